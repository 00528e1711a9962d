//! `cargo xtask account create`: a new account for the owner's key at its counterfactual address,
//! made through its kind's factory on the chain, then (with `--policy`) the leash installed on it
//! as `policy install` does.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use clap::Args;
use eyre::{bail, eyre, Result, WrapErr};
use leash::account::AccountFlavor;
use leash::config::{self, HookStack};
use leash::create::{self, AccountFactory, Planned};
use leash::deploy;
use leash::errors::ether;
use leash::provider::{connect, Confirm};
use serde_json::json;

use crate::operate::{key, named, Chain, PolicyInstall};

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The account's kind: oz (OpenZeppelin ERC-7579, its owner its own signer, EntryPoint v0.8),
    /// nexus, msa (the ERC-7579 reference account), safe (a Safe with the Safe7579 adapter, its
    /// owner the Safe's only owner) or kernel (Kernel v3, the owner's validator its root
    /// validation; a policy there needs an [agent], whose validation carries the hook): the last
    /// four on EntryPoint v0.7, the owner through a validator module. eoa: the owner key's own EOA,
    /// delegated to LeashEOAAccount with EIP-7702 (EntryPoint v0.8), keeping its address.
    #[arg(long, value_name = "oz|nexus|msa|safe|kernel|eoa")]
    kind: String,
    /// The owner's key (hex or keystore:FILE; or LEASH_OWNER_KEY): it owns the account, and sends
    /// the factory's transaction and the install.
    #[arg(long, value_name = "HEX")]
    owner_key: Option<String>,
    /// A number: the same factory, owner key and salt give the same address; another salt,
    /// another account of the same owner.
    #[arg(long, default_value_t = 0)]
    salt: u64,
    /// Ether the owner's key sends the new account (`0.5`): its payments, and the gas of its
    /// operations through a bundler.
    #[arg(long, value_name = "ETHER")]
    fund: Option<String>,
    /// The kind's account factory (default: the deployment record's, which `cargo xtask deploy
    /// --keep-running` writes for the local chain).
    #[arg(long, value_name = "ADDRESS")]
    factory: Option<Address>,
    /// nexus and msa: the bootstrap that installs the owner's validator; safe: the Safe7579
    /// launchpad (default: the record's).
    #[arg(long, value_name = "ADDRESS")]
    bootstrap: Option<Address>,
    /// nexus, msa, safe and kernel: the validator module that holds the owner's key (Kernel's root
    /// validation; default: the record's).
    #[arg(long, value_name = "ADDRESS")]
    owner_validator: Option<Address>,
    /// safe: the Safe singleton the launchpad switches the proxy to (default: the record's).
    #[arg(long, value_name = "ADDRESS")]
    safe_singleton: Option<Address>,
    /// safe: the Safe7579 adapter (default: the record's).
    #[arg(long, value_name = "ADDRESS")]
    safe7579: Option<Address>,
    /// A policy file to install on the new account right after, as `policy install` does.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// With --policy: the hook to install, `engine` or `multiplexer` (default: the file's `hook`).
    #[arg(long, value_name = "engine|multiplexer", requires = "policy")]
    hook: Option<HookStack>,
    /// With --policy: the authority's key, to grant the file's [[session]]s after the install (or
    /// LEASH_AUTHORITY_KEY).
    #[arg(long, value_name = "HEX", requires = "policy")]
    authority_key: Option<String>,
    /// With --policy: send the install through this ERC-4337 bundler.
    #[arg(long, value_name = "URL", requires = "policy")]
    bundler_url: Option<String>,
    /// With --policy: give an address written $NAME in the file: --set USDC=0x…
    #[arg(long = "set", value_name = "NAME=ADDRESS", requires = "policy")]
    vars: Vec<String>,
    #[command(flatten)]
    chain: Chain,
}

impl CreateArgs {
    /// The file of --policy and its keys, checked before anything is sent.
    fn install(&self) -> Result<Option<PolicyInstall>> {
        let Some(file) = &self.policy else { return Ok(None) };
        let (vars, key, url) = (&self.vars, self.authority_key.clone(), self.bundler_url.clone());
        Ok(Some(PolicyInstall::load(file.clone(), self.hook, vars, key, url)?))
    }
}

/// The kind `--kind` names (`None`: the owner's own EOA), or why `account create` does not make it.
fn flavor_of(kind: &str) -> Result<Option<AccountFlavor>> {
    if let Some((_, flavor)) = create::KINDS.iter().find(|(name, _)| *name == kind) {
        return Ok(Some(*flavor));
    }
    match kind {
        "eoa" => Ok(None),
        other => {
            bail!("--kind {other}: not a kind `account create` makes (oz, nexus, msa, safe, kernel or eoa)")
        }
    }
}

pub fn run(root: &Path, args: CreateArgs) -> Result<()> {
    let owner = key(args.owner_key.clone(), "LEASH_OWNER_KEY", "--owner-key")?;
    let Some(flavor) = flavor_of(&args.kind)? else {
        return leash_the_eoa(root, args, owner);
    };
    let fund = match &args.fund {
        Some(amount) => config::parse_amount(amount, 18, U256::MAX).map_err(|e| eyre!("--fund: {e}"))?,
        None => U256::ZERO,
    };
    // The file and the authority's key are checked before anything is sent.
    let install = args.install()?;
    let json = args.chain.json;
    // With --json, stdout holds the one JSON object: the progress goes to stderr.
    let say = move |line: String| if json { eprintln!("{line}") } else { println!("{line}") };
    crate::block_on(async move {
        let provider = connect(&args.chain.rpc_url, Some(owner.clone())).await?;
        let chain_id = provider.get_chain_id().await.wrap_err("reading the chain id")?;
        let factory = factory_of(root, chain_id, flavor, &args)?;
        let salt = B256::from(U256::from(args.salt));
        let planned = Planned::new(&provider, flavor, factory, owner.address(), salt).await?;
        let account = planned.address;
        if let Some(install) = &install {
            install.check_account(account)?;
            // Checked before the account is made, so an unreachable bundler leaves nothing half done.
            install.bundler(flavor.entry_point()).await?;
        }
        say(format!(
            "the {} account of {} (salt {}) is {account}, from the factory at {}",
            flavor.name(),
            owner.address(),
            args.salt,
            factory.factory
        ));
        let existed = planned.exists(&provider).await?;
        let tx = if existed {
            // A rerun after a failed install finishes it: the account is there, the rest goes on.
            say(format!("  {account} exists already: not created again"));
            None
        } else {
            let created = named(planned.create(&provider, &owner).await, &provider, owner.address()).await?;
            if let Some(receipt) = &created.receipt {
                say(format!("  created (tx {}, gas {})", receipt.transaction_hash, receipt.gas_used));
            }
            if let Some(setup) = &created.setup {
                say(format!("  set up through the Safe7579 launchpad (gas {})", setup.gas_used));
            }
            created.receipt.map(|r| r.transaction_hash)
        };
        let (detected, id) = AccountFlavor::detect(&provider, account).await;
        if detected != flavor {
            bail!(
                "{account} answers as a {} account ({id}), not a {}: the factory at {} makes another kind",
                detected.name(),
                flavor.name(),
                factory.factory
            );
        }
        if !fund.is_zero() {
            let send = TransactionRequest::default().to(account).value(fund);
            let sent = async { provider.send_transaction(send).await?.confirmed().await };
            let receipt = named(sent.await, &provider, owner.address()).await?;
            say(format!("  sent it {} (tx {})", ether(fund), receipt.transaction_hash));
        }
        if provider.get_code_at(flavor.entry_point()).await?.is_empty() {
            say(format!(
                "  note: chain {chain_id} has no EntryPoint at {}: no UserOp reaches the account there",
                flavor.entry_point()
            ));
        }
        let validator = factory.owner_validator.filter(|_| flavor.owner_needs_validator());
        let mut installed = None;
        if let Some(install) = &install {
            installed = Some(install.send(root, &args.chain, account, owner.clone(), validator, &say).await?);
        } else if !json {
            let through = validator.map(|v| format!(" --owner-validator {v}")).unwrap_or_default();
            say(format!(
                "next, its leash:\n  cargo xtask policy install FILE --account {account} --owner-key …{through} --rpc-url {}",
                args.chain.rpc_url
            ));
        }
        if json {
            args.chain.print_json(json!({
                "kind": args.kind,
                "account": account,
                "owner": owner.address(),
                "salt": args.salt,
                "factory": factory.factory,
                "ownerValidator": factory.owner_validator,
                "entryPoint": flavor.entry_point(),
                "created": !existed,
                "tx": tx,
                "funded": fund.to_string(),
                "policy": args.policy,
                "installed": installed,
            }))?;
        }
        Ok(())
    })
}

/// `--kind eoa`: the owner's own EOA is the account, delegated to LeashEOAAccount with EIP-7702
/// (nothing is created: its address and balance stay), then leashed with --policy.
fn leash_the_eoa(root: &Path, args: CreateArgs, eoa: PrivateKeySigner) -> Result<()> {
    let given = [
        ("--salt", args.salt != 0),
        ("--fund", args.fund.is_some()),
        ("--factory", args.factory.is_some()),
        ("--bootstrap", args.bootstrap.is_some()),
        ("--owner-validator", args.owner_validator.is_some()),
        ("--safe-singleton", args.safe_singleton.is_some()),
        ("--safe7579", args.safe7579.is_some()),
    ];
    if let Some((flag, _)) = given.iter().find(|(_, set)| *set) {
        bail!("--kind eoa: {flag} does not apply: the account is the owner key's own EOA, delegated where it is");
    }
    let install = args.install()?;
    let account = eoa.address();
    let json = args.chain.json;
    let say = move |line: String| if json { eprintln!("{line}") } else { println!("{line}") };
    crate::block_on(async move {
        if let Some(install) = &install {
            install.check_account(account)?;
            install.bundler(AccountFlavor::OpenZeppelin.entry_point()).await?;
        }
        let sent = crate::eoa::delegate(root, &eoa, &args.chain.rpc_url, None, &say).await?;
        let mut installed = None;
        match &install {
            Some(install) => {
                installed = Some(install.send(root, &args.chain, account, eoa.clone(), None, &say).await?)
            }
            None if !json => say(format!(
                "next, its leash:\n  cargo xtask policy install FILE --account {account} --owner-key … --rpc-url {}",
                args.chain.rpc_url
            )),
            None => {}
        }
        if json {
            args.chain.print_json(json!({
                "kind": "eoa",
                "account": account,
                "owner": account,
                "entryPoint": AccountFlavor::OpenZeppelin.entry_point(),
                "delegated": sent,
                "policy": args.policy,
                "installed": installed,
            }))?;
        }
        Ok(())
    })
}

/// The factory of `flavor` on chain `chain_id`: the record's, with what the command line gives in
/// its place; refused in words when neither names one.
fn factory_of(
    root: &Path,
    chain_id: u64,
    flavor: AccountFlavor,
    args: &CreateArgs,
) -> Result<AccountFactory> {
    let path = deploy::record_path(root, chain_id);
    let kind = create::kind_name(flavor).unwrap_or_default();
    let recorded = deploy::read_record(&path)?.and_then(|r| r.accounts.get(kind).copied());
    let shown = path.strip_prefix(root).unwrap_or(&path).display().to_string();
    let factory = match (args.factory, recorded) {
        (Some(factory), _) => factory,
        (None, Some(r)) => r.factory,
        (None, None) => bail!(
            "no {} account factory known on chain {chain_id}: {shown} records none for `{kind}`. On the local chain `cargo xtask deploy --keep-running` places and records one; elsewhere pass --factory (with --bootstrap and --owner-validator for nexus, msa and safe, --safe-singleton and --safe7579 for safe, and --owner-validator for kernel)",
            flavor.name()
        ),
    };
    let recorded = recorded.unwrap_or_default();
    Ok(AccountFactory {
        factory,
        bootstrap: args.bootstrap.or(recorded.bootstrap),
        owner_validator: args.owner_validator.or(recorded.owner_validator),
        singleton: args.safe_singleton.or(recorded.singleton),
        adapter: args.safe7579.or(recorded.adapter),
    })
}
