//! End-to-end tests of both node binaries over loopback. The tests live in `tests/`; this crate
//! only re-builds the two binaries under its own name so Cargo hands the tests their paths
//! (`CARGO_BIN_EXE_*` exists only for a package's own binaries).
