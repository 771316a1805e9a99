//! Compiles `proto/xrpl.proto` with protox (pure Rust), so no system `protoc` is needed.
fn main() {
    println!("cargo:rerun-if-changed=proto/xrpl.proto");
    let fds = protox::compile(["xrpl.proto"], ["proto"]).expect("proto/xrpl.proto must compile");
    prost_build::Config::new().compile_fds(fds).expect("prost code generation");
}
