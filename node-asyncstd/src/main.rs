//! `node-asyncstd`: the peer node on async-std (or smol). See the crate library for the runtime glue.
fn main() -> std::process::ExitCode {
    node_asyncstd::main()
}
