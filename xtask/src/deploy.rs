//! `cargo xtask deploy`: every module through the CREATE2 deployer, to an embedded Anvil by
//! default or to any chain with `--rpc-url`.

use std::path::{Path, PathBuf};

use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use clap::Args;
use eyre::{eyre, Result, WrapErr};
use leash::account::ENTRYPOINT_V07;
use leash::deploy::{self, PlannedModule, Progress, Status};
use leash_devnet::accounts::{self, AccountKind};
use leash_devnet::alto::AltoOptions;
use leash_devnet::{Devnet, Options};

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// Deploy to this chain instead of an embedded Anvil.
    #[arg(long, value_name = "URL")]
    rpc_url: Option<String>,
    /// Deployer key (hex). Also read from LEASH_PRIVATE_KEY.
    #[arg(long, value_name = "HEX", conflicts_with = "keystore")]
    private_key: Option<String>,
    /// Encrypted JSON keystore of the deployer; its password comes from LEASH_KEYSTORE_PASSWORD.
    #[arg(long, value_name = "FILE")]
    keystore: Option<PathBuf>,
    /// Print the predicted addresses and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Leave the embedded Anvil serving after the deployment (until Ctrl-C).
    #[arg(long, conflicts_with = "rpc_url")]
    keep_running: bool,
    /// With --keep-running: also serve an ERC-4337 bundler (alto, for EntryPoints v0.8 and v0.7,
    /// its ERC-7562 checks off: docs/COMPATIBILITY.md) against the node, for `--bundler-url`.
    #[arg(long, requires = "keep_running")]
    bundler: bool,
}

pub fn run(root: &Path, args: DeployArgs) -> Result<()> {
    let planned = deploy::plan(&root.join("out"))?;
    crate::block_on(run_async(root, args, planned))
}

async fn run_async(root: &Path, args: DeployArgs, planned: Vec<PlannedModule>) -> Result<()> {
    if args.dry_run {
        println!("dry run: predicted addresses (identical on every chain), nothing is sent\n");
        print_table(&planned, None);
        if let Some(url) = &args.rpc_url {
            let provider = leash::provider::read_only(leash::provider::parse_url(url)?);
            deploy::check_deployer(&provider).await?;
            println!("\nthe CREATE2 deployer is present on {url}");
        }
        return Ok(());
    }

    // Either an embedded Anvil (kept alive in `_anvil`) or the given chain.
    let (_anvil, provider) = match &args.rpc_url {
        None => {
            println!("starting an embedded Anvil ({})", root.join("node_modules/.bin/anvil").display());
            // With --keep-running, on the operator commands' default --rpc-url.
            let port = args.keep_running.then_some(8545u16);
            // The Nexus and reference account factories' carriers exceed the 24 KiB code-size limit.
            let no_code_size_limit = args.keep_running;
            let net = Devnet::spawn(Options { port, no_code_size_limit, ..Options::default() })?;
            let provider = net.provider.clone();
            (Some(net), provider)
        }
        Some(url) => {
            let signer = signer(&args)?;
            println!("deploying from {} to {url}", signer.address());
            let provider = leash::provider::with_wallet(leash::provider::parse_url(url)?, signer);
            (None, provider)
        }
    };

    let chain_id = provider.get_chain_id().await.wrap_err("could not read the chain id")?;
    let record_path = deploy::record_path(root, chain_id);
    let mut previous = deploy::read_record(&record_path)?;
    if _anvil.is_some() && previous.take().is_some() {
        // Each run starts a fresh chain: the last run's record names a node that no longer exists.
        println!("replacing {}: it records an earlier embedded Anvil", relative(root, &record_path));
    }
    let total = planned.len();
    let report = deploy::deploy(&provider, &planned, previous.as_ref(), |step| match step {
        Progress::Checking(m) => {
            println!("[{}/{total}] {}: checking {}", index(&planned, m), m.name, m.address)
        }
        Progress::Sending(m) => println!("      sending the CREATE2 deployment of {}", m.name),
        Progress::Done(m, Status::Deployed { tx_hash, gas_used }) => {
            println!("      deployed {} (gas {gas_used}, tx {tx_hash})", m.name)
        }
        Progress::Done(m, Status::AlreadyDeployed) => {
            println!("      {} is already deployed: nothing sent", m.name)
        }
    })
    .await?;

    for mismatch in &report.record_mismatches {
        println!("warning: {} disagreed with the chain: {mismatch}", record_path.display());
    }
    let mut record = report.record.clone();
    if let (true, Some(net)) = (args.keep_running, &_anvil) {
        record.accounts =
            accounts::place_factories(net).await.wrap_err("could not place the account factories")?;
    }
    deploy::write_record(&record_path, &record)?;
    println!();
    print_table(&planned, Some(&report));
    println!("\nchain {chain_id}: record written to {}", relative(root, &record_path));
    if report.sent_nothing() {
        println!("every module was already deployed: no transaction was sent");
    }

    if let (true, Some(net)) = (args.keep_running, &_anvil) {
        serve(net, chain_id, &record, args.bundler).await?;
    }
    Ok(())
}

/// `--keep-running`: what an operator needs on the local chain besides the modules (an EntryPoint,
/// an account to put on a leash, funded keys), printed, then serving until Ctrl-C.
async fn serve(net: &Devnet, chain_id: u64, record: &deploy::DeploymentRecord, bundler: bool) -> Result<()> {
    let (provider, endpoint) = (&net.provider, net.anvil.endpoint());
    let keys: Vec<PrivateKeySigner> = net.anvil.keys().iter().map(|k| k.clone().into()).collect();
    let owner = keys.get(1).ok_or_else(|| eyre!("anvil gave fewer than two funded keys"))?;
    let account = accounts::deploy(net, AccountKind::OpenZeppelin, owner)
        .await
        .wrap_err("could not deploy the EntryPoint and an account on the local chain")?;
    // The account pays its own UserOps.
    let funding = alloy::rpc::types::TransactionRequest::default()
        .to(account.account)
        .value(alloy::primitives::utils::parse_ether("100")?);
    provider
        .send_transaction(funding)
        .await
        .wrap_err("could not fund the account")?
        .get_receipt()
        .await
        .wrap_err("could not fund the account")?;
    println!("\nthe local chain also has:");
    println!("  EntryPoint v0.8 at {} and v0.7 at {ENTRYPOINT_V07}", account.entry_point);
    for (kind, f) in leash::create::KINDS.iter().filter_map(|(k, _)| record.accounts.get(*k).map(|f| (k, f)))
    {
        let with = match (f.bootstrap, f.owner_validator, f.singleton.zip(f.adapter)) {
            (Some(b), Some(v), Some((s, a))) => {
                format!(" (launchpad {b}, owner validator {v}, Safe singleton {s}, Safe7579 {a})")
            }
            (Some(b), Some(v), None) => format!(" (bootstrap {b}, owner validator {v})"),
            _ => String::new(),
        };
        println!("  the `{kind}` account factory at {}{with}", f.factory);
    }
    println!(
        "  an OpenZeppelin ERC-7579 account at {} (100 ETH), owned by key 1 ({})",
        account.account,
        owner.address()
    );
    let mut table = crate::table::new(&["key", "address", "private key (10,000 ETH each)"], &[]);
    for (i, key) in keys.iter().enumerate() {
        table.add_row(vec![i.to_string(), key.address().to_string(), key.to_bytes().to_string()]);
    }
    println!("\nfunded keys (key 0 deployed the modules):\n{table}");
    let address = |i: usize| keys.get(i).map(|k| k.address().to_string()).unwrap_or_default();
    println!(
        "\nfor example, key 2 the authority and key 3 the guardian (every $NAME in the file needs a --set):\n  \
         cargo xtask policy install examples/treasury.toml --account {} --owner-key {} \\\n    \
         --set AUTHORITY={} --set GUARDIAN={} --set USDC=0x… --set COLD_WALLET=0x…",
        account.account,
        owner.to_bytes(),
        address(2),
        address(3)
    );
    println!(
        "\nor a new account with its leash in one step (--kind oz, nexus, msa, safe or kernel; the factories above):\n  \
         cargo xtask account create --kind nexus --owner-key {} --fund 1 --policy examples/first-agent.toml \\\n    \
         --set AUTHORITY={} --set GUARDIAN={} --set AGENT=0x… --set PAYEE=0x…",
        keys.get(6).map(|k| k.to_bytes().to_string()).unwrap_or_default(),
        address(2),
        address(3)
    );
    println!(
        "\nor an existing EOA as the account, delegated to LeashEOAAccount with EIP-7702 (its key the owner key):\n  \
         cargo xtask account delegate --key {}",
        keys.get(5).map(|k| k.to_bytes().to_string()).unwrap_or_default()
    );
    // Alto signs with keys 8 and 9: the table's others are free for the roles.
    let alto = match bundler {
        false => None,
        true => {
            // v0.7 too: the Nexus and reference accounts `account create` makes.
            let entry_points = vec![account.entry_point, ENTRYPOINT_V07];
            let options = AltoOptions { entry_points, safe_mode: false };
            Some(net.start_alto(options).await.wrap_err("could not start the bundler")?)
        }
    };
    if let Some(alto) = &alto {
        println!(
            "\na bundler (alto, keys 8 and 9) serves EntryPoints v0.8 and v0.7 at {}: pass it as --bundler-url\n  \
             to policy install, account create and agent send, and the owner's and the agent's UserOps go\n  \
             through it",
            alto.url
        );
    }
    println!("\nAnvil keeps serving at {endpoint} (chain {chain_id}); Ctrl-C stops it");
    tokio::signal::ctrl_c().await.wrap_err("could not wait for Ctrl-C")?;
    Ok(())
}

fn signer(args: &DeployArgs) -> Result<PrivateKeySigner> {
    if let Some(path) = &args.keystore {
        return crate::operate::keystore(path);
    }
    let key = match &args.private_key {
        Some(key) => key.clone(),
        None => std::env::var("LEASH_PRIVATE_KEY").map_err(|_| {
            eyre!("a deployer key is needed for --rpc-url: --private-key, LEASH_PRIVATE_KEY, or --keystore")
        })?,
    };
    key.trim().parse().map_err(|_| eyre!("the deployer key is not a 32-byte hex private key"))
}

fn index(planned: &[PlannedModule], m: &PlannedModule) -> usize {
    planned.iter().position(|p| p.name == m.name).map_or(0, |i| i + 1)
}

fn print_table(planned: &[PlannedModule], report: Option<&deploy::Report>) {
    let mut table = crate::table::new(&["contract", "address", "status", "gas"], &[3]);
    for m in planned {
        let (status, gas) = match report.and_then(|r| r.modules.iter().find(|(p, _)| p.name == m.name)) {
            Some((_, Status::Deployed { gas_used, .. })) => ("deployed", gas_used.to_string()),
            Some((_, Status::AlreadyDeployed)) => ("present", "-".to_string()),
            None => ("predicted", "-".to_string()),
        };
        table.add_row(vec![m.name.to_string(), m.address.to_string(), status.to_string(), gas]);
    }
    println!("{table}");
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}
