//! `node-tokio`: the peer node on tokio. See the crate library for the runtime glue.
fn main() -> std::process::ExitCode {
    node_tokio::main()
}
