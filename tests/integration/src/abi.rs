//! Bindings generated from artifacts, for deploying the test bed: the packaged EntryPoint v0.8 and
//! the project's test account. Everything else goes through the `leash` crate.

use alloy::sol;

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

// The test account's JSON ABI names the EntryPoint's struct; its bindings look it up here.
#[allow(unused_imports)]
use EntryPoint::PackedUserOperation;

sol!(
    #[allow(missing_docs)]
    #[sol(rpc)]
    #[derive(Debug)]
    TestToken,
    "../../out/Tokens.sol/TestToken.json"
);
