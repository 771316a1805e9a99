//! node-asyncstd's binary (async-std runtime), rebuilt here so this crate's tests get its path
//! from Cargo.
fn main() -> std::process::ExitCode {
    node_asyncstd::main()
}
