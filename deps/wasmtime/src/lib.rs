//! Re-exports Wasmtime's C API so that the staticlib carries every
//! `wasm_*` and `wasmtime_*` symbol that Theater's C code calls.
pub use wasmtime_c_api::*;
