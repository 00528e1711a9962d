//! The authority's own commands: `authority rotate|show`, `approve-change` and `uninstall`.

use std::path::Path;

use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use clap::{Args, Subcommand};
use eyre::{bail, eyre, Result};
use leash::account::{detected_owner_sender, execute_single, AccountFlavor};
use leash::admin;
use leash::config;
use leash::provider::{connect, Unfunded};
use serde_json::json;

use crate::operate::{key, modules_for, named, Chain, OwnerKey};

/// The authority of an account's Leash modules.
#[derive(Subcommand, Debug)]
pub enum AuthorityCmd {
    /// Hand the authority of every Leash module on the account to another key (the authority's key)
    ///
    /// Sends `setAuthority(account, newAuthority)` at each module that holds the account: the
    /// policy engine or the multiplexer and its sub-hooks, AutomationExecutor, AgentValidator.
    /// Every module is checked first and nothing is sent unless each names this key; should one
    /// then refuse, the modules moved so far are named and a rerun with the same key finishes
    /// the rotation. The old key's pending approvals are void.
    Rotate {
        /// The account whose authority changes.
        #[arg(long)]
        account: Address,
        /// The new authority's address.
        #[arg(long, value_name = "ADDRESS")]
        to: Address,
        /// The current authority's key (or LEASH_AUTHORITY_KEY).
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
        #[command(flatten)]
        chain: Chain,
    },
    /// Each Leash module that holds the account, and the authority it names
    Show {
        /// The account to read.
        #[arg(long)]
        account: Address,
        #[command(flatten)]
        chain: Chain,
    },
}

/// One exact change the account may not make alone, approved (or withdrawn) by its authority.
#[derive(Args, Debug)]
pub struct ApproveArgs {
    /// The account that will run the change.
    #[arg(long)]
    account: Address,
    /// Where to approve: engine, multiplexer, pause-hook, allowlist, spending, automation,
    /// validator, or a module's address (default: the account's Leash hook, which sees the change).
    #[arg(long, value_name = "MODULE")]
    at: Option<String>,
    /// The change, as its hash: keccak256 of the calldata the account hands its hook (on
    /// OpenZeppelin's account, the owner's UserOp callData).
    #[arg(long, value_name = "HASH", conflicts_with_all = ["uninstall", "call"])]
    hash: Option<B256>,
    /// The change: the owner's UserOp `uninstallModule(type, MODULE, data)` in the account's own
    /// form (a module named as for --at).
    #[arg(long, value_name = "MODULE", conflicts_with = "call")]
    uninstall: Option<String>,
    /// The change: the owner's UserOp `execute` of one call to this address, with --data.
    #[arg(long, value_name = "ADDRESS", requires = "data")]
    call: Option<Address>,
    /// The calldata of --call (hex).
    #[arg(long, value_name = "HEX", requires = "call")]
    data: Option<Bytes>,
    /// The ether --call sends, as policy files write amounts (default 0).
    #[arg(long, value_name = "ETHER", requires = "call")]
    value: Option<String>,
    /// Withdraw the unused approval instead (`revokeApproval`).
    #[arg(long)]
    revoke: bool,
    /// The authority's key (or LEASH_AUTHORITY_KEY).
    #[arg(long, value_name = "HEX")]
    authority_key: Option<String>,
    #[command(flatten)]
    chain: Chain,
}

/// The leash's removal from an account.
#[derive(Args, Debug)]
pub struct UninstallArgs {
    /// The account to take the leash off.
    #[arg(long)]
    account: Address,
    /// The owner's key, which sends the removal.
    #[command(flatten)]
    owner: OwnerKey,
    /// The authority's key, which approves it (or LEASH_AUTHORITY_KEY).
    #[arg(long, value_name = "HEX")]
    authority_key: Option<String>,
    /// Print what would be removed, the owner's calldata and the hash the authority approves;
    /// send nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    chain: Chain,
}

pub fn authority(root: &Path, cmd: AuthorityCmd) -> Result<()> {
    crate::block_on(async {
        match cmd {
            AuthorityCmd::Rotate { account, to, authority_key, chain } => {
                let signer = key(authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")?;
                let from = signer.address();
                let (provider, modules) = chain.signed_by(root, signer).await?;
                let rotated = admin::rotate_authority(&provider, from, &modules, account, to).await;
                let rotated = named(rotated, &provider, from).await?;
                match chain.json {
                    true => chain.print_json(json!(rotated))?,
                    false => println!("{rotated}"),
                }
            }
            AuthorityCmd::Show { account, chain } => {
                let provider = connect(&chain.rpc_url, None).await?;
                let modules = modules_for(root, &provider, &chain.overrides).await?;
                let held = admin::held(&provider, &modules, account).await?;
                if chain.json {
                    return chain.print_json(json!({ "account": account, "modules": held }));
                }
                if held.is_empty() {
                    println!("no Leash module is installed on {account}");
                }
                for h in held {
                    println!("{}: authority {}", h.module, h.authority);
                }
            }
        }
        Ok(())
    })
}

pub fn approve_change(root: &Path, args: ApproveArgs) -> Result<()> {
    // The change is read before any key or node, so a mistyped one is the first thing said.
    let value = match &args.value {
        Some(v) => config::parse_amount(v, 18, U256::MAX).map_err(|e| eyre!("--value: {e}"))?,
        None => U256::ZERO,
    };
    if args.hash.is_none() && args.uninstall.is_none() && args.call.is_none() {
        bail!("name the change: --hash HASH, --uninstall MODULE, or --call ADDRESS --data HEX");
    }
    crate::block_on(async {
        let signer = key(args.authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")?;
        let from = signer.address();
        let (provider, modules) = args.chain.signed_by(root, signer).await?;
        let account = args.account;
        // The owner's UserOp calldata of the change, where the command builds it.
        let call = match (&args.uninstall, args.call, &args.data) {
            (Some(module), _, _) => {
                let module = admin::module_named(&modules, module)?;
                let (flavor, _) = AccountFlavor::detect(&provider, account).await;
                let data = admin::removal_data(&provider, flavor, account, &module).await?;
                Some(admin::uninstall_module_call(&module, data))
            }
            (None, Some(target), Some(data)) => Some(execute_single(target, value, data)),
            _ => None,
        };
        let hash = match (&call, args.hash) {
            (Some(call), _) => admin::change_hash(call),
            (None, Some(hash)) => hash,
            (None, None) => unreachable!("checked above"),
        };
        let at = match &args.at {
            Some(name) => admin::module_named(&modules, name)?,
            None => match admin::leash_hook(&provider, &modules, account).await? {
                Some(hook) => hook.module,
                None => bail!("{account} runs no Leash hook, so nothing asks for an approval: name the module with --at"),
            },
        };
        if args.revoke {
            let tx = admin::revoke_approval(&provider, &modules, account, at.address, hash).await;
            let tx = named(tx, &provider, from).await?;
            if args.chain.json {
                return args.chain.print_json(
                    json!({ "account": account, "at": at, "change_hash": hash, "withdrawn": tx }),
                );
            }
            println!("withdrew the approval of {hash} at {at} (tx {tx})");
            return Ok(());
        }
        let tx = admin::approve_change(&provider, &modules, account, at.address, hash).await;
        let tx = named(tx, &provider, from).await?;
        if args.chain.json {
            return args.chain.print_json(
                json!({ "account": account, "at": at, "change_hash": hash, "approved": tx, "call": call }),
            );
        }
        println!("approved the change {hash} at {at} for {account}, for one run (tx {tx})");
        if let Some(call) = call {
            println!("the owner's UserOp that runs it has the callData\n{call}");
        }
        Ok(())
    })
}

pub fn uninstall(root: &Path, args: UninstallArgs) -> Result<()> {
    crate::block_on(async {
        let account = args.account;
        let provider = connect(&args.chain.rpc_url, None).await?;
        let modules = modules_for(root, &provider, &args.chain.overrides).await?;
        let plan = admin::uninstall_plan(&provider, &modules, account).await?;
        if args.dry_run && args.chain.json {
            return args.chain.print_json(json!(plan));
        }
        if args.dry_run {
            let names: Vec<String> = plan.modules.iter().map(|m| m.to_string()).collect();
            println!("would remove {} from {account} in one operation", names.join(" and "));
            match plan.hook {
                Some(h) => println!(
                    "the authority {} approves at {} the change {}",
                    h.authority, h.module, plan.change_hash
                ),
                None => println!("no Leash hook runs: the owner needs no approval"),
            }
            println!("the owner's UserOp callData:\n{}", plan.call);
            return Ok(());
        }
        let owner = args.owner.signer()?;
        let authority: PrivateKeySigner = key(args.authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")?;
        let (owner_address, authority_address) = (owner.address(), authority.address());
        let owner_provider = connect(&args.chain.rpc_url, Some(owner.clone())).await?;
        let authority_provider = connect(&args.chain.rpc_url, Some(authority)).await?;
        let sender =
            detected_owner_sender(owner_provider.clone(), account, owner, args.owner.validator).await?;
        let done = admin::uninstall(&sender, &authority_provider, authority_address, &modules).await;
        // Either key may be the one short of funds: the owner's sends handleOps.
        let done = match done {
            Err(e) if e.downcast_ref::<Unfunded>().is_some_and(|u| u.what == "handleOps") => {
                Err(Unfunded::name_key(e, &owner_provider, owner_address).await)
            }
            other => named(other, &authority_provider, authority_address).await,
        }?;
        match args.chain.json {
            true => args.chain.print_json(json!(done))?,
            false => println!("{done}"),
        }
        Ok(())
    })
}
