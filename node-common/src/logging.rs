//! Log set-up for both binaries: `tracing-subscriber`, filter from `RUST_LOG` (default
//! [`DEFAULT_LOG_FILTER`]), compact one-line format with the target, written to stderr so stdout
//! stays free for command output (`keygen` JSON).
//!
//! Owns: subscriber installation. Must not touch: what is logged (each module decides).

use tracing_subscriber::EnvFilter;

/// Filter used when `RUST_LOG` is unset.
pub const DEFAULT_LOG_FILTER: &str = "info";
/// Environment variable holding the filter directives.
pub const LOG_ENV_VAR: &str = "RUST_LOG";

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("{LOG_ENV_VAR}={value:?} is not a valid log filter: {reason}")]
    BadFilter { value: String, reason: String },
    #[error("a global log subscriber is already installed")]
    AlreadyInstalled,
}

/// Build the filter from the value of `RUST_LOG` (if set). An invalid value is an error rather
/// than silently logging nothing.
pub fn env_filter(rust_log: Option<&str>) -> Result<EnvFilter, LoggingError> {
    let value = rust_log.filter(|v| !v.trim().is_empty()).unwrap_or(DEFAULT_LOG_FILTER);
    EnvFilter::try_new(value)
        .map_err(|e| LoggingError::BadFilter { value: value.to_string(), reason: e.to_string() })
}

/// Install the global subscriber. Call once, early in `main`.
pub fn init_logging() -> Result<(), LoggingError> {
    let rust_log = std::env::var(LOG_ENV_VAR).ok();
    let filter = env_filter(rust_log.as_deref())?;
    tracing_subscriber::fmt()
        .compact()
        .with_target(true)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: logs piped to files or journald stay greppable.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init()
        .map_err(|_| LoggingError::AlreadyInstalled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_explicit_filters_parse() {
        assert_eq!(env_filter(None).unwrap().to_string(), DEFAULT_LOG_FILTER);
        assert_eq!(env_filter(Some("  ")).unwrap().to_string(), DEFAULT_LOG_FILTER);
        assert_eq!(env_filter(Some("node_common=debug")).unwrap().to_string(), "node_common=debug");
    }

    #[test]
    fn bad_filter_is_an_error_naming_the_variable() {
        let e = env_filter(Some("node_common=loud")).unwrap_err();
        assert!(e.to_string().contains("RUST_LOG=\"node_common=loud\""), "{e}");
    }
}
