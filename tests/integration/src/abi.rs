//! Bindings generated from artifacts: the packaged EntryPoint v0.8 and the project's forge output.

use alloy::sol;
use alloy::sol_types::SolInterface;

sol!(
    #[allow(missing_docs, clippy::too_many_arguments)]
    #[sol(rpc)]
    #[derive(Debug)]
    EntryPoint,
    "../../node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json"
);

sol!(
    #[allow(missing_docs)]
    #[sol(rpc)]
    #[derive(Debug)]
    LeashTestAccount,
    "../../out/LeashTestAccount.sol/LeashTestAccount.json"
);

pub use EntryPoint::PackedUserOperation;

/// Plain words for a failed call: the EntryPoint's own errors decoded, else the raw error.
pub fn describe_error(err: &alloy::contract::Error) -> String {
    if let Some(data) = err.as_revert_data() {
        if let Ok(decoded) = EntryPoint::EntryPointErrors::abi_decode(&data) {
            return format!("{decoded:?}");
        }
        return format!("reverted with 0x{}", alloy::hex::encode(&data));
    }
    err.to_string()
}
