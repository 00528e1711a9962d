//! Leash from Rust, what an agent or an operator links: deterministic deployment of every module
//! through the CREATE2 deployer and its records (`deploy`), where the modules live on a chain
//! (`addresses`), policy files turned into install payloads (`config`), UserOps (`account`), new accounts
//! through their factories (`create`), an
//! EOA delegating to the Leash account implementation with EIP-7702 (`eip7702`),
//! an ERC-4337 bundler over JSON-RPC (`bundler`), refusals in words (`errors`), installing,
//! pausing and running tasks (`ops`), the authority's rotation, approvals and the leash's removal
//! (`admin`), a live policy changed to a file's (`apply`), the live policy read back (`live`), an
//! account's whole standing in one read (`status`), and the contracts' interface (`abi`).
//!
//! A local chain with accounts, tokens and the demo is the `leash-devnet` crate's.
//!
//! The bindings are generated from the ABI files committed in `crates/leash/abi/`, and bytecode is
//! read at run time from forge's `out/` directory, so this crate builds before any contract is
//! compiled.

pub mod abi;
pub mod account;
pub mod addresses;
pub mod admin;
pub mod apply;
pub mod artifacts;
pub mod bundler;
pub mod config;
pub mod create;
pub mod deploy;
pub mod eip7702;
pub mod errors;
pub mod kernel;
pub mod live;
pub mod ops;
pub mod provider;
pub mod status;
