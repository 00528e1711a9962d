//! `cargo xtask account delegate`: an existing EOA delegates to the deployed LeashEOAAccount with
//! EIP-7702, and what came of it in words (`account create` is `create.rs`).

use std::path::Path;

use alloy::primitives::utils::format_ether;
use alloy::primitives::Address;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use clap::Subcommand;
use eyre::{bail, eyre, Result};
use leash::account::ENTRYPOINT_V08;
use leash::addresses::{ModuleAddresses, ModuleOverrides};
use leash::deploy::{self, EOA_ACCOUNT};
use leash::eip7702;
use leash::provider::connect;

/// An account for the leash: a new one through its factory, or an EOA delegated.
#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    /// A new account for the owner's key at its counterfactual address, through its kind's factory
    /// on the chain, and with --policy the leash installed on it right after (as `policy install`).
    ///
    /// The address follows from the factory, the owner's key and --salt: the same inputs give the
    /// same account. An account already there is reported and not created again; the rest (--fund,
    /// --policy) goes on, so a rerun after a failed install finishes it. The factories come from
    /// the deployment record (`deploy --keep-running` places one of each kind on the local chain)
    /// or --factory. `--kind eoa` delegates the owner key's own EOA instead (as `delegate`).
    Create(Box<crate::create::CreateArgs>),
    /// Delegate an EOA to LeashEOAAccount with EIP-7702: a type-4 transaction from the EOA to
    /// itself, carrying the authorization its key signs. The EOA keeps its address and balance;
    /// its key signs its own UserOps (nonce key 0, EntryPoint v0.8) and stays unleashed.
    Delegate {
        /// The EOA's private key (hex), which signs the authorization and pays (or LEASH_EOA_KEY).
        #[arg(long, value_name = "HEX")]
        key: Option<String>,
        /// JSON-RPC endpoint (the node `cargo xtask deploy --keep-running` serves by default).
        #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8545")]
        rpc_url: String,
        /// Override the deployment record's LeashEOAAccount address.
        #[arg(long, value_name = "ADDRESS")]
        implementation: Option<Address>,
    },
}

pub fn run(root: &Path, cmd: AccountCmd) -> Result<()> {
    let (key, rpc_url, implementation) = match cmd {
        AccountCmd::Create(args) => return crate::create::run(root, *args),
        AccountCmd::Delegate { key, rpc_url, implementation } => (key, rpc_url, implementation),
    };
    let text = key
        .or_else(|| std::env::var("LEASH_EOA_KEY").ok())
        .ok_or_else(|| eyre!("a key is needed: --key or LEASH_EOA_KEY"))?;
    let eoa: PrivateKeySigner =
        text.trim().parse().map_err(|_| eyre!("--key: not a 32-byte hex private key"))?;
    crate::block_on(async {
        delegate(root, &eoa, &rpc_url, implementation, &|line| println!("{line}")).await?;
        println!(
            "next, a policy on it with this key as the owner's (its authority another key):\n  cargo xtask policy install FILE --account {} --owner-key … --rpc-url {rpc_url}",
            eoa.address()
        );
        Ok(())
    })
}

/// Delegates `eoa` to LeashEOAAccount (the record's, or `over`), saying what came of it; whether
/// a delegation was sent (none when the EOA delegates there already).
pub(crate) async fn delegate(
    root: &Path,
    eoa: &PrivateKeySigner,
    url: &str,
    over: Option<Address>,
    say: &impl Fn(String),
) -> Result<bool> {
    let provider = connect(url, Some(eoa.clone())).await?;
    let chain_id = provider.get_chain_id().await?;
    let implementation = match over {
        Some(address) => address,
        None => ModuleAddresses::resolve(root, chain_id, &ModuleOverrides::default())?.eoa_account,
    };
    if implementation == Address::ZERO {
        bail!(
            "{} predates {EOA_ACCOUNT}: run `cargo xtask deploy` on chain {chain_id} again (it sends only what is missing) or pass --implementation",
            deploy::record_path(root, chain_id).strip_prefix(root).unwrap_or(root).display()
        );
    }
    if provider.get_code_at(implementation).await?.is_empty() {
        bail!(
            "no {EOA_ACCOUNT} at {implementation} on chain {chain_id}: deploy there (`cargo xtask deploy --rpc-url …`) or pass the right --rpc-url"
        );
    }
    let address = eoa.address();
    let before = eip7702::delegate_of(&provider.get_code_at(address).await?);
    if before == Some(implementation) {
        say(format!("{address} already delegates to {EOA_ACCOUNT} at {implementation} on chain {chain_id}: nothing sent"));
        return Ok(false);
    }
    if before.is_none() && !provider.get_code_at(address).await?.is_empty() {
        bail!("{address} holds contract code on chain {chain_id}: only an EOA can delegate with EIP-7702");
    }

    let receipt = eip7702::delegate(&provider, eoa, implementation).await?;
    let balance = provider.get_balance(address).await?;
    say(match before {
        Some(old) => {
            format!("{address} delegated to {old}; it now delegates to {EOA_ACCOUNT} at {implementation}")
        }
        None => format!("{address} now delegates to {EOA_ACCOUNT} at {implementation}"),
    });
    say(format!(
        "  chain {chain_id}, tx {} (gas {}); its code is {}",
        receipt.transaction_hash,
        receipt.gas_used,
        eip7702::designator(implementation)
    ));
    say(format!("  same address, {} ETH left", format_ether(balance)));
    say(
        "  its key signs its own UserOps on nonce key 0 through EntryPoint v0.8, and still sends its own transactions: the leash binds the agent, not this key".to_string(),
    );
    if provider.get_code_at(ENTRYPOINT_V08).await?.is_empty() {
        say(format!("  note: chain {chain_id} has no EntryPoint v0.8 at {ENTRYPOINT_V08}: no UserOp reaches the account there"));
    }
    Ok(true)
}
