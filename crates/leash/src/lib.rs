//! Leash from Rust: deterministic deployment of every module through the CREATE2 deployer and
//! its records (`deploy`), policy files turned into install payloads (`config`), and the
//! contracts' interface and errors (`abi`).
//!
//! The bindings are generated from the ABI files committed in `crates/leash/abi/`, and bytecode is
//! read at run time from forge's `out/` directory, so this crate builds before any contract is
//! compiled.

pub mod abi;
pub mod account;
pub mod accounts;
pub mod addresses;
pub mod artifacts;
pub mod config;
pub mod demo;
pub mod deploy;
pub mod errors;
pub mod live;
pub mod ops;
pub mod provider;
