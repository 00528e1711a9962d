//! An agent team puts its agent on a leash and reads a refusal, with the `leash` library alone.
//!
//! The account's owner installs AgentValidator with the agent's key (the agent is never an owner)
//! and the policy file `agent-team.toml` (the policy engine as the account's hook), in UserOps it
//! signs. Then the agent, signing through AgentValidator, pays its payee within the limits, and is
//! refused past them: the refusals are read in words.
//!
//! Against the local chain `cargo xtask deploy --keep-running` serves (it prints the account and
//! the funded keys; key 1 owns the account):
//!
//! ```sh
//! cargo xtask deploy --keep-running          # in another terminal
//! cargo run -p leash --example install_and_refuse -- \
//!     --rpc-url http://127.0.0.1:8545 --account 0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e \
//!     --owner-key <key 1> --authority <address of key 2> --guardian <address of key 3>
//! ```
//!
//! Each flag may be given as an environment variable instead (`LEASH_RPC_URL`, `LEASH_ACCOUNT`,
//! `LEASH_OWNER_KEY`, `LEASH_AUTHORITY`, `LEASH_GUARDIAN`); `--policy FILE` installs another
//! policy file (its `$PAYEE` is the agent's payee). Module addresses come from the deployment
//! record `deployments/<chainId>.json` (or the addresses predicted from `out/`). On an account
//! that already has the leash, the install is skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy::primitives::{address, keccak256, utils::parse_ether, Address, Bytes};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use eyre::{bail, eyre, Result, WrapErr};
use leash::account::{UserOpSender, ENTRYPOINT_V08};
use leash::addresses::{ModuleAddresses, ModuleOverrides};
use leash::config::{self, MODULE_TYPE_HOOK};
use leash::errors::TokenBook;
use leash::{live, ops};

/// The only address the agent may pay.
const PAYEE: Address = address!("0x000000000000000000000000000000000000bEEF");
/// Someone the policy does not list.
const STRANGER: Address = address!("0x0000000000000000000000000000000000005e5e");
const MODULE_TYPE_VALIDATOR: u64 = 1;

/// What the example needs to know.
pub struct Setup {
    pub rpc_url: String,
    pub account: Address,
    /// The account's owner: signs the installs, and sends the UserOps as bundler.
    pub owner: PrivateKeySigner,
    pub authority: Address,
    pub guardian: Address,
    /// The policy file's text and its name in errors.
    pub policy: (String, String),
    /// The project root (where `deployments/` and `out/` are).
    pub root: PathBuf,
    pub overrides: ModuleOverrides,
}

#[tokio::main]
async fn main() -> Result<()> {
    let setup = setup_from_args()?;
    run(setup, |line| println!("{line}")).await?;
    Ok(())
}

/// Installs the leash (unless it is there) and has the agent try three payments; every line it
/// says also goes to `say`.
pub async fn run(setup: Setup, mut say: impl FnMut(&str)) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    let mut say = |line: String| {
        say(&line);
        lines.push(line);
    };
    let url = leash::provider::parse_url(&setup.rpc_url)?;
    let provider = leash::provider::with_wallet(url, setup.owner.clone());
    let chain_id = provider
        .get_chain_id()
        .await
        .wrap_err_with(|| format!("could not reach {}: is a node running?", setup.rpc_url))?;
    let modules = ModuleAddresses::resolve(&setup.root, chain_id, &setup.overrides)?;

    let vars: BTreeMap<String, Address> =
        [("AUTHORITY", setup.authority), ("GUARDIAN", setup.guardian), ("PAYEE", PAYEE)]
            .into_iter()
            .map(|(name, address)| (name.to_string(), address))
            .collect();
    let (file, text) = &setup.policy;
    let policy = config::parse_with(file, text, &vars)?;
    policy.check_account(setup.account).map_err(|e| eyre!("{file}: {e}"))?;

    // The agent's key, the same on every run; it lives in AgentValidator, never as an owner.
    let agent_key = PrivateKeySigner::from_bytes(&keccak256("leash example agent"))?;
    let owner = UserOpSender::new(provider.clone(), ENTRYPOINT_V08, setup.account, setup.owner.clone());
    let agent = owner.clone().signed_by(agent_key.clone()).via_validator(modules.validator);
    let book = TokenBook::default();

    if live::module_installed(&provider, setup.account, MODULE_TYPE_HOOK, policy.hook_module(&modules))
        .await?
    {
        say(format!("{} already has its leash: nothing to install", setup.account));
    } else {
        // AgentValidator first: once the hook is in, module changes need the authority's approval.
        let gas_allowance = parse_ether("0.1")?;
        let init: Bytes = (setup.authority, agent_key.address(), gas_allowance).abi_encode_params().into();
        let outcome = owner.install_module(MODULE_TYPE_VALIDATOR, modules.validator, init).await?;
        if let Some(refusal) = outcome.refusal() {
            bail!("installing AgentValidator was refused: {}", refusal.describe(&book));
        }
        say(format!(
            "installed AgentValidator ({}) with the agent's key {}",
            modules.validator,
            agent_key.address()
        ));
        let done = ops::install(&owner, &policy, &modules, &book).await?;
        for (label, module) in &done.modules {
            say(format!("installed {label} ({module}) from {file}"));
        }
    }

    for (what, to, value) in [
        ("pay the payee 0.4 ETH", PAYEE, "0.4"),
        ("pay the payee 0.6 ETH (over the 0.5 per payment)", PAYEE, "0.6"),
        ("pay a stranger 0.1 ETH (not on the allowlist)", STRANGER, "0.1"),
    ] {
        let outcome = agent.execute(to, parse_ether(value)?, &[]).await?;
        match outcome.refusal() {
            None => say(format!("ALLOWED {what}")),
            Some(refusal) => say(format!("REFUSED {what}: {}", refusal.describe(&book))),
        }
    }
    Ok(lines)
}

/// `--name value` flags, each with an environment variable in its place.
fn setup_from_args() -> Result<Setup> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, env: &str| -> Option<String> {
        args.iter()
            .position(|a| a == &format!("--{name}"))
            .and_then(|i| args.get(i + 1).cloned())
            .or_else(|| std::env::var(env).ok())
    };
    let need = |name: &str, env: &str| flag(name, env).ok_or_else(|| eyre!("give --{name} (or {env})"));
    let address = |name: &str, env: &str| -> Result<Address> {
        config::parse_address(&need(name, env)?).map_err(|e| eyre!("--{name}: {e}"))
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let policy = match flag("policy", "LEASH_POLICY") {
        Some(path) => {
            let text = std::fs::read_to_string(&path).wrap_err_with(|| format!("could not read {path}"))?;
            (path, text)
        }
        None => ("agent-team.toml".to_string(), include_str!("agent-team.toml").to_string()),
    };
    Ok(Setup {
        rpc_url: flag("rpc-url", "LEASH_RPC_URL").unwrap_or_else(|| "http://127.0.0.1:8545".to_string()),
        account: address("account", "LEASH_ACCOUNT")?,
        owner: need("owner-key", "LEASH_OWNER_KEY")?
            .trim()
            .parse()
            .map_err(|_| eyre!("--owner-key: not a 32-byte hex private key"))?,
        authority: address("authority", "LEASH_AUTHORITY")?,
        guardian: address("guardian", "LEASH_GUARDIAN")?,
        policy,
        root,
        overrides: ModuleOverrides::default(),
    })
}
