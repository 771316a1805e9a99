//! Results of a run and their three renderings: a human table, JSON (versioned schema
//! [`JSON_SCHEMA`]) and JUnit XML. Owns the exit-code rule ([`Report::exit_code`]). Knows nothing
//! about sockets or how a case was run.

use std::fmt::Write as _;

use serde::Serialize;

use crate::catalogue::{CaseInfo, Severity};

/// `schema` field of the JSON report. Bump the suffix on any incompatible change.
pub const JSON_SCHEMA: &str = "xrpl-overlay-conformance-report/1";

/// Exit code: every must-case passed (or was unsupported/skipped).
pub const EXIT_PASS: u8 = 0;
/// Exit code: at least one must-case failed.
pub const EXIT_MUST_FAILED: u8 = 1;
/// Exit code: bad usage, or the target could not be reached at all.
pub const EXIT_USAGE: u8 = 2;

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    /// The target behaved wrongly; the text says what it did.
    Fail(String),
    /// The target (or this kind of target) cannot take part in the case: not a failure.
    Unsupported(String),
    /// Not run in this configuration (e.g. needs `--slow` or `--listen`).
    Skipped(String),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "FAIL",
            Outcome::Unsupported(_) => "unsupported",
            Outcome::Skipped(_) => "skipped",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Outcome::Pass => "",
            Outcome::Fail(d) | Outcome::Unsupported(d) | Outcome::Skipped(d) => d,
        }
    }

    pub fn is_fail(&self) -> bool {
        matches!(self, Outcome::Fail(_))
    }
}

/// One case's result.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    #[serde(flatten)]
    pub info: CaseInfo,
    pub outcome: Outcome,
    pub duration_ms: u64,
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    /// What was tested: `host:port`, `runtime:tokio`, `replay:<dir>`.
    pub target: String,
    pub network: String,
    /// Unix seconds at start.
    pub started_unix: u64,
    pub results: Vec<CaseResult>,
    pub summary: Summary,
}

/// Counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub must_failed: usize,
    pub unsupported: usize,
    pub skipped: usize,
}

impl Report {
    pub fn new(target: impl Into<String>, network: impl Into<String>, started_unix: u64) -> Self {
        Report {
            schema: JSON_SCHEMA,
            target: target.into(),
            network: network.into(),
            started_unix,
            results: Vec::new(),
            summary: Summary::default(),
        }
    }

    pub fn push(&mut self, info: CaseInfo, outcome: Outcome, duration_ms: u64) {
        let s = &mut self.summary;
        s.total += 1;
        match &outcome {
            Outcome::Pass => s.passed += 1,
            Outcome::Fail(_) => {
                s.failed += 1;
                if info.severity == Severity::Must {
                    s.must_failed += 1;
                }
            }
            Outcome::Unsupported(_) => s.unsupported += 1,
            Outcome::Skipped(_) => s.skipped += 1,
        }
        self.results.push(CaseResult { info, outcome, duration_ms });
    }

    /// Ids of failed cases, in run order.
    pub fn failed_ids(&self) -> Vec<&'static str> {
        self.results.iter().filter(|r| r.outcome.is_fail()).map(|r| r.info.id).collect()
    }

    pub fn outcome_of(&self, id: &str) -> Option<&Outcome> {
        self.results.iter().find(|r| r.info.id == id).map(|r| &r.outcome)
    }

    /// 0 when no must-case failed (unsupported and skipped cases do not fail a run), else 1.
    pub fn exit_code(&self) -> u8 {
        if self.summary.must_failed == 0 {
            EXIT_PASS
        } else {
            EXIT_MUST_FAILED
        }
    }

    /// Fixed-width table for a terminal.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "conformance: target {} network {}", self.target, self.network);
        let w = self.results.iter().map(|r| r.info.id.len()).max().unwrap_or(0).max(7);
        let _ = writeln!(out, "{:<w$} {:<6} {:<11} {:>7}  description / detail", "id", "sev", "result", "ms");
        for r in &self.results {
            let sev = match r.info.severity {
                Severity::Must => "must",
                Severity::Should => "should",
            };
            let _ = writeln!(
                out,
                "{:<w$} {:<6} {:<11} {:>7}  {}",
                r.info.id,
                sev,
                r.outcome.label(),
                r.duration_ms,
                r.info.description
            );
            if !r.outcome.detail().is_empty() {
                let _ = writeln!(out, "{:<pad$}-> {}", "", r.outcome.detail(), pad = w + 28);
            }
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "{} cases: {} passed, {} failed ({} must), {} unsupported, {} skipped",
            s.total, s.passed, s.failed, s.must_failed, s.unsupported, s.skipped
        );
        out
    }

    pub fn to_json(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() // ok: no maps with non-string keys
    }

    /// JUnit XML (the Ant/Jenkins/Surefire dialect CI systems read): one `testsuite` per
    /// group, `failure` for failed cases, `skipped` for unsupported and skipped ones.
    pub fn to_junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let s = &self.summary;
        let total_ms: u64 = self.results.iter().map(|r| r.duration_ms).sum();
        let _ = writeln!(
            out,
            "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
            xml_escape(&format!("conformance {}", self.target)),
            s.total,
            s.failed,
            s.unsupported + s.skipped,
            secs(total_ms)
        );
        let mut groups: Vec<&str> = Vec::new();
        for r in &self.results {
            if !groups.contains(&r.info.group.name()) {
                groups.push(r.info.group.name());
            }
        }
        for g in groups {
            let cases: Vec<&CaseResult> = self.results.iter().filter(|r| r.info.group.name() == g).collect();
            let failures = cases.iter().filter(|r| r.outcome.is_fail()).count();
            let skipped = cases
                .iter()
                .filter(|r| matches!(r.outcome, Outcome::Unsupported(_) | Outcome::Skipped(_)))
                .count();
            let time: u64 = cases.iter().map(|r| r.duration_ms).sum();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{g}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\">",
                cases.len(),
                secs(time)
            );
            for r in cases {
                let sev = match r.info.severity {
                    Severity::Must => "must",
                    Severity::Should => "should",
                };
                let _ = write!(
                    out,
                    "    <testcase classname=\"conformance.{g}\" name=\"{} [{sev}] {}\" time=\"{}\"",
                    r.info.id,
                    xml_escape(r.info.description),
                    secs(r.duration_ms)
                );
                let props = format!(
                    "      <properties><property name=\"section\" value=\"{}\"/><property name=\"severity\" value=\"{sev}\"/></properties>\n",
                    xml_escape(r.info.section)
                );
                match &r.outcome {
                    Outcome::Pass => {
                        let _ = write!(out, ">\n{props}    </testcase>\n");
                    }
                    Outcome::Fail(d) => {
                        let _ = write!(
                            out,
                            ">\n{props}      <failure message=\"{}\" type=\"{sev}\">{}</failure>\n    </testcase>\n",
                            xml_escape(d),
                            xml_escape(d)
                        );
                    }
                    Outcome::Unsupported(d) | Outcome::Skipped(d) => {
                        let _ = write!(
                            out,
                            ">\n{props}      <skipped message=\"{}: {}\"/>\n    </testcase>\n",
                            r.outcome.label(),
                            xml_escape(d)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Escapes text for XML attribute or element content; drops characters XML 1.0 forbids
/// (a target's bytes can end up in a failure detail).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", ch as u32);
            }
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::find;

    fn sample() -> Report {
        let mut r = Report::new("127.0.0.1:51235", "xrpl", 0);
        r.push(*find("HS-001").unwrap(), Outcome::Pass, 12);
        r.push(*find("HS-004").unwrap(), Outcome::Fail("got 101 <\"&'\u{1}\n>".into()), 3);
        r.push(*find("HS-009").unwrap(), Outcome::Fail("accepted".into()), 3);
        r.push(*find("HR-001").unwrap(), Outcome::Skipped("no --listen".into()), 0);
        r.push(*find("HS-014").unwrap(), Outcome::Unsupported("target seed unknown".into()), 0);
        r
    }

    #[test]
    fn exit_code_counts_only_must_failures() {
        let r = sample();
        assert_eq!(r.exit_code(), EXIT_MUST_FAILED);
        assert_eq!(r.summary.must_failed, 1);
        assert_eq!(r.failed_ids(), vec!["HS-004", "HS-009"]);
        let mut ok = Report::new("t", "xrpl", 0);
        ok.push(*find("HS-009").unwrap(), Outcome::Fail("should only".into()), 1);
        ok.push(*find("HS-014").unwrap(), Outcome::Unsupported("x".into()), 1);
        assert_eq!(ok.exit_code(), EXIT_PASS);
    }

    #[test]
    fn json_has_schema_and_ids() {
        let v: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(v["schema"], JSON_SCHEMA);
        assert_eq!(v["results"][1]["id"], "HS-004");
        assert_eq!(v["results"][1]["outcome"]["status"], "fail");
        assert_eq!(v["results"][0]["outcome"]["status"], "pass");
        assert_eq!(v["results"][1]["severity"], "must");
        assert_eq!(v["summary"]["must_failed"], 1);
    }

    #[test]
    fn table_lists_every_case() {
        let t = sample().to_table();
        for id in ["HS-001", "HS-004", "HS-009", "HR-001", "HS-014"] {
            assert!(t.contains(id));
        }
        assert!(t.contains("FAIL"));
    }

    #[test]
    fn escape_covers_markup_and_controls() {
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml_escape("\u{1}"), "\u{FFFD}");
        assert_eq!(xml_escape("\n"), "&#10;");
    }
}
