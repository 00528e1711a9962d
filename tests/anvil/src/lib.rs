//! Leash's Rust test bed: the dev chain (`leash-devnet`) once forge has built what it deploys, with
//! the real EntryPoint v0.8 at its canonical address, the project's ERC-7579 test account, and
//! UserOps built, signed and sent through `handleOps`.

pub mod abi;
pub mod sessions;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use alloy::primitives::{Address, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use eyre::{bail, eyre, Result, WrapErr};
pub use leash::account::{execute_single, UserOpSender};
use leash::addresses::ModuleAddresses;
use leash::config::{self, PolicyConfig};
use leash::errors::Refused;
use leash::provider::Confirm;
use leash_devnet::accounts::{self, AccountKind, DeployedAccount};
pub use leash_devnet::{Devnet, Options};

pub use leash_devnet::project_root;

/// What the tests load from `out/`: the modules, the EOA account implementation, the test account
/// and tokens, and the contracts that carry the other accounts' bytecode.
const ARTIFACTS: [&str; 18] = [
    "PolicyEngine.sol/PolicyEngine.json",
    "PolicyEngineConfig.sol/PolicyEngineConfig.json",
    "SessionConfig.sol/SessionConfig.json",
    "HookMultiPlexer.sol/HookMultiPlexer.json",
    "EmergencyPauseHook.sol/EmergencyPauseHook.json",
    "SpendingLimitHook.sol/SpendingLimitHook.json",
    "AutomationExecutor.sol/AutomationExecutor.json",
    "AllowlistHook.sol/AllowlistHook.json",
    "AgentValidator.sol/AgentValidator.json",
    "LeashEOAAccount.sol/LeashEOAAccount.json",
    "LeashTestAccount.sol/LeashTestAccount.json",
    "Tokens.sol/TestToken.json",
    "Tokens.sol/SixDecimalToken.json",
    "OwnerValidator.sol/OwnerValidator.json",
    "NexusPrecompiles.sol/NexusPrecompiles.json",
    "ERC7579Precompiles.sol/ERC7579Precompiles.json",
    "KernelPrecompiles.sol/KernelPrecompiles.json",
    "Safe7579Precompiles.sol/Safe7579Precompiles.json",
];

/// Held while a test runs forge on the project: the tests share one process, and two forge
/// commands at once could both rewrite `out/` and `cache/`.
pub fn forge_lock() -> MutexGuard<'static, ()> {
    static FORGE: Mutex<()> = Mutex::new(());
    FORGE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Forge's output directory, holding every artifact the tests load: when one is missing (a fresh
/// clone, or a command that rebuilt `out/` without the tests) `forge build` runs first, once, so
/// the tests run after any `cargo xtask` command.
pub fn ensure_artifacts() -> Result<PathBuf> {
    let root = project_root();
    let out = root.join("out");
    let _forge = forge_lock();
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

/// A fresh node ([`Devnet::spawn`]) once the artifacts it deploys from are built.
pub fn devnet(options: Options) -> Result<Devnet> {
    ensure_artifacts()?;
    Devnet::spawn(options)
}

/// A fresh node without the code-size limit (the contracts that carry the other accounts'
/// bytecode are larger), every Leash module, and an account of `kind` owned by Anvil's key 4: the
/// node, the modules, the owner's key and the account.
pub async fn account_bed(
    kind: AccountKind,
) -> Result<(Devnet, ModuleAddresses, PrivateKeySigner, DeployedAccount)> {
    let net = devnet(Options { no_code_size_limit: true, ..Options::default() })?;
    let (modules, _) = net.deploy_leash().await?;
    let person = net.key(4);
    let account = accounts::deploy(&net, kind, &person).await?;
    Ok((net, modules, person, account))
}

/// A fresh node with EntryPoint v0.8 and a funded test account owned by a random key: the node,
/// and the owner's UserOps (sent by key 0).
pub async fn test_bed() -> Result<(Devnet, UserOpSender<DynProvider>)> {
    let net = devnet(Options::default())?;
    let owner = net.test_account(PrivateKeySigner::random()).await?;
    Ok((net, owner))
}

/// [`test_bed`] with every Leash module deployed: the node, the owner's UserOps, the modules.
pub async fn modules_bed() -> Result<(Devnet, UserOpSender<DynProvider>, ModuleAddresses)> {
    let (net, owner) = test_bed().await?;
    let (modules, _) = net.deploy_leash().await?;
    Ok((net, owner, modules))
}

/// A fresh 18-decimal test token called USDC, with `amount` base units minted to `holder`.
pub async fn usdc_for(net: &Devnet, holder: Address, amount: u64) -> Result<Address> {
    let usdc = net.deploy_token("TestToken", "USDC").await?;
    abi::TestToken::new(usdc, net.provider.clone())
        .mint(holder, U256::from(amount))
        .send()
        .await?
        .confirmed()
        .await?;
    Ok(usdc)
}

/// The example files' roles on this node: `$AUTHORITY`, `$GUARDIAN` and `$KEEPER` are Anvil's
/// keys 1, 2 and 3 ([`Devnet::wallet`] signs as them).
pub fn role_vars(net: &Devnet) -> BTreeMap<String, Address> {
    ["AUTHORITY", "GUARDIAN", "KEEPER"]
        .iter()
        .enumerate()
        .map(|(i, name)| (name.to_string(), net.anvil.addresses()[i + 1]))
        .collect()
}

/// A test's policy file, `text` read as `name` with the `$NAME`s of `vars`.
pub fn policy(name: &str, text: &str, vars: &BTreeMap<String, Address>) -> Result<PolicyConfig> {
    config::parse_with(name, text, vars).map_err(|e| eyre!("{e}"))
}

/// The smallest policy with a pause: `authority`, and `guardian`, who may pause the account.
pub fn pause_policy(authority: Address, guardian: Address) -> Result<PolicyConfig> {
    policy(
        "pause.toml",
        "authority = \"$AUTHORITY\"\n[pause]\nguardian = \"$GUARDIAN\"\n",
        &sessions::vars([("AUTHORITY", authority), ("GUARDIAN", guardian)]),
    )
}

/// `examples/subscription.toml` for `usdc` and `agent`, the roles from [`role_vars`].
pub fn subscription(net: &Devnet, usdc: Address, agent: Address) -> Result<PolicyConfig> {
    let mut vars = role_vars(net);
    vars.insert("USDC".into(), usdc);
    vars.insert("AGENT".into(), agent);
    config::load(&project_root().join("examples/subscription.toml"), &vars).map_err(|e| eyre!("{e}"))
}

/// The refusal of an operation that must not go out: an error when it went out, or failed for
/// another reason.
pub fn refusal<T>(sent: Result<T>, what: &str) -> Result<Refused> {
    let Err(err) = sent else { bail!("{what} went out") };
    err.downcast::<Refused>().map_err(|err| eyre!("{what}: not a refusal: {err:#}"))
}
