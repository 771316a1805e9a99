//! node-tokio's binary, rebuilt here so this crate's tests get its path from Cargo.
fn main() -> std::process::ExitCode {
    node_tokio::main()
}
