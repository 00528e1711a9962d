//! Leash's Rust test bed: a spawned Anvil with the real EntryPoint v0.8 at its canonical address,
//! the project's ERC-7579 test account, and UserOps built, signed and sent through `handleOps`.

pub mod abi;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use eyre::{bail, Result, WrapErr};
pub use leash::account::{
    execute_single, install_entry_point, OpOutcome, PackedUserOperation, UserOpSender, ENTRYPOINT_V08,
};
use leash::artifacts;

/// The project root (two levels above this crate).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate lives at tests/integration")
        .to_path_buf()
}

/// What the tests load from `out/`: the modules, the test account and tokens, and the contracts
/// that carry the other accounts' bytecode.
const ARTIFACTS: [&str; 16] = [
    "PolicyEngine.sol/PolicyEngine.json",
    "PolicyEngineConfig.sol/PolicyEngineConfig.json",
    "HookMultiPlexer.sol/HookMultiPlexer.json",
    "EmergencyPauseHook.sol/EmergencyPauseHook.json",
    "SpendingLimitHook.sol/SpendingLimitHook.json",
    "AutomationExecutor.sol/AutomationExecutor.json",
    "AllowlistHook.sol/AllowlistHook.json",
    "AgentValidator.sol/AgentValidator.json",
    "LeashTestAccount.sol/LeashTestAccount.json",
    "Tokens.sol/TestToken.json",
    "Tokens.sol/SixDecimalToken.json",
    "OwnerValidator.sol/OwnerValidator.json",
    "NexusPrecompiles.sol/NexusPrecompiles.json",
    "ERC7579Precompiles.sol/ERC7579Precompiles.json",
    "KernelPrecompiles.sol/KernelPrecompiles.json",
    "Safe7579Precompiles.sol/Safe7579Precompiles.json",
];

/// Forge's output directory, holding every artifact the tests load: when one is missing (a fresh
/// clone, or a command that rebuilt `out/` without the tests) `forge build` runs first, once per
/// test binary, so the tests run after any `cargo xtask` command.
pub fn ensure_artifacts() -> Result<PathBuf> {
    static BUILD: Mutex<()> = Mutex::new(());
    let root = project_root();
    let out = root.join("out");
    let _one_build = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if ARTIFACTS.iter().all(|a| out.join(a).exists()) {
        return Ok(out);
    }
    let forge = root.join("node_modules/.bin/forge");
    if !forge.exists() {
        bail!("{} is missing: run `cargo xtask setup`", forge.display());
    }
    let mut path = vec![root.join("node_modules/.bin")];
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    let output = Command::new(forge)
        .current_dir(&root)
        .env("PATH", std::env::join_paths(path)?)
        .arg("build")
        .output()
        .wrap_err("could not run forge build")?;
    if !output.status.success() {
        bail!(
            "forge build failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    if let Some(missing) = ARTIFACTS.iter().find(|a| !out.join(a).exists()) {
        bail!("forge build did not produce out/{missing}");
    }
    Ok(out)
}

/// Deploys the test token (`tests/solidity/utils/mocks/Tokens.sol`) named `name`.
pub async fn deploy_token(provider: &DynProvider, name: &str) -> Result<Address> {
    let path = ensure_artifacts()?.join("Tokens.sol/TestToken.json");
    let code = artifacts::hardhat_creation_code(&path)?;
    let init = [code.as_ref(), &(name.to_string(),).abi_encode_params()].concat();
    leash::deploy::deploy_code(provider, init.into()).await
}

/// An Anvil node with EntryPoint v0.8 and one funded test account owned by `owner`.
pub struct TestBed {
    /// Kept alive for the node's lifetime; the node stops when this drops.
    pub anvil: AnvilInstance,
    /// Sends transactions as `bundler`.
    pub provider: DynProvider,
    pub bundler: Address,
    pub owner: PrivateKeySigner,
    pub account: Address,
    /// UserOps from the account signed by the owner.
    pub sender: UserOpSender<DynProvider>,
}

impl TestBed {
    pub async fn spawn() -> Result<Self> {
        let anvil_bin = project_root().join("node_modules/.bin/anvil");
        if !anvil_bin.exists() {
            bail!("{} is missing: run `cargo xtask setup`", anvil_bin.display());
        }
        let anvil = Anvil::new().path(anvil_bin).try_spawn().wrap_err("could not start anvil")?;
        let bundler_key: PrivateKeySigner = anvil.keys()[0].clone().into();
        let bundler = bundler_key.address();
        let provider = leash::provider::with_wallet(anvil.endpoint_url(), bundler_key);

        install_entry_point(&provider, &project_root()).await?;

        let owner = PrivateKeySigner::random();
        let account = deploy_account(&provider, owner.address()).await?;
        let sender =
            UserOpSender::new(provider.clone(), ENTRYPOINT_V08, account, owner.clone()).bundler(bundler);
        Ok(Self { anvil, provider, bundler, owner, account, sender })
    }

    /// An unsigned UserOp from the account (nonce key 0, no fees).
    pub async fn user_op(&self, call_data: Bytes) -> Result<PackedUserOperation> {
        self.sender.user_op(call_data).await
    }

    pub async fn sign(&self, op: &mut PackedUserOperation, signer: &PrivateKeySigner) -> Result<()> {
        self.sender.sign(op, signer).await
    }

    /// Signs `call_data` as the owner and submits it through `handleOps`.
    pub async fn submit(&self, call_data: Bytes) -> Result<OpOutcome> {
        self.sender.submit(call_data).await
    }

    pub async fn handle_op(&self, op: PackedUserOperation) -> Result<OpOutcome> {
        self.sender.handle_op(op).await
    }
}

/// Deploys a LeashTestAccount owned by `owner`, funded with 100 ETH.
pub async fn deploy_account(provider: &DynProvider, owner: Address) -> Result<Address> {
    let code = artifacts::creation_code(&ensure_artifacts()?, "LeashTestAccount")?;
    let init = [code.as_ref(), &owner.abi_encode()].concat();
    let account = leash::deploy::deploy_code(provider, init.into())
        .await
        .wrap_err("could not deploy LeashTestAccount")?;
    provider.anvil_set_balance(account, U256::from(100u64) * U256::from(10u64).pow(U256::from(18))).await?;
    Ok(account)
}
