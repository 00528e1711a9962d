//! Leash from Rust. Deterministic deployment of the five modules through the CREATE2 deployer,
//! and the deployment records in `deployments/<chainId>.json`.
//!
//! Artifacts are read at run time from forge's `out/` directory, so this crate builds before any
//! contract is compiled.

pub mod artifacts;
pub mod deploy;
