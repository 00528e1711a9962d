//! Operator commands: `policy encode|install|apply|show`, `session grant|revoke|sign|show`,
//! `guardian pause|unpause|status`, `task run|status`, `agent add|list|rotate|revoke|allowance|status`
//! (and the chain arguments `status`, in `status.rs`, shares). Module addresses come from
//! `deployments/<chainId>.json` unless overridden.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use clap::{Args, Subcommand};
use eyre::{bail, eyre, Result};
use leash::account::{AccountFlavor, UserOpSender};
use leash::addresses::{ModuleAddresses, ModuleOverrides as Overrides};
use leash::bundler::Bundler;
use leash::config::{self, HookStack};
use leash::errors::{ether, LeashRevert, Refused, TokenBook};
use leash::provider::{connect, Unfunded};
use leash::{apply, live, ops};
use leash_devnet::{Devnet, Options};
use serde_json::json;

#[derive(Args, Debug, Clone)]
pub struct Chain {
    /// JSON-RPC endpoint (the node `cargo xtask deploy --keep-running` serves by default).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8545", global = true)]
    pub(crate) rpc_url: String,
    #[command(flatten)]
    pub(crate) overrides: ModuleOverrides,
    /// Print one JSON object on stdout instead of text, for scripts and agents (progress lines,
    /// where a command has them, go to stderr).
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

impl Chain {
    /// The node with `signer`'s wallet, and the deployment's modules on it.
    pub(crate) async fn signed_by(
        &self,
        root: &Path,
        signer: PrivateKeySigner,
    ) -> Result<(DynProvider, ModuleAddresses)> {
        let provider = connect(&self.rpc_url, Some(signer)).await?;
        let modules = modules_for(root, &provider, &self.overrides).await?;
        Ok((provider, modules))
    }

    /// `value` as one JSON object on stdout.
    pub(crate) fn print_json(&self, value: serde_json::Value) -> Result<()> {
        println!("{}", serde_json::to_string_pretty(&value)?);
        Ok(())
    }
}

/// The account owner's key, and the validator module it signs through where the account needs one.
#[derive(Args, Debug, Clone)]
pub struct OwnerKey {
    /// Owner key of the account (hex or keystore:FILE; or LEASH_OWNER_KEY).
    #[arg(id = "owner_key", long = "owner-key", value_name = "HEX")]
    key: Option<String>,
    /// The validator module holding the owner's key, on accounts whose owner signs through one
    /// (Nexus, the ERC-7579 reference account, Safe7579); OpenZeppelin's account, the EOA and
    /// Kernel's root validation need none.
    #[arg(id = "owner_validator", long = "owner-validator", value_name = "ADDRESS")]
    pub(crate) validator: Option<Address>,
}

impl OwnerKey {
    pub(crate) fn signer(&self) -> Result<PrivateKeySigner> {
        key(self.key.clone(), "LEASH_OWNER_KEY", "--owner-key")
    }
}

#[derive(Args, Debug, Clone, Default)]
pub struct ModuleOverrides {
    /// Override the deployment record's PolicyEngine address.
    #[arg(long, global = true)]
    engine: Option<Address>,
    /// Override the deployment record's HookMultiPlexer address.
    #[arg(long, global = true)]
    multiplexer: Option<Address>,
    /// Override the deployment record's EmergencyPauseHook address.
    #[arg(long, global = true)]
    pause_hook: Option<Address>,
    /// Override the deployment record's AllowlistHook address.
    #[arg(long, global = true)]
    allowlist: Option<Address>,
    /// Override the deployment record's SpendingLimitHook address.
    #[arg(long, global = true)]
    spending: Option<Address>,
    /// Override the deployment record's AutomationExecutor address.
    #[arg(long, global = true)]
    automation: Option<Address>,
    /// Override the deployment record's AgentValidator address.
    #[arg(long, global = true)]
    validator: Option<Address>,
}

impl From<&ModuleOverrides> for Overrides {
    fn from(o: &ModuleOverrides) -> Self {
        Overrides {
            engine: o.engine,
            multiplexer: o.multiplexer,
            pause: o.pause_hook,
            allowlist: o.allowlist,
            spending: o.spending,
            automation: o.automation,
            validator: o.validator,
            eoa_account: None,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum PolicyCmd {
    /// Print the install payloads (module, module type, init data) of a policy file.
    Encode {
        file: PathBuf,
        /// Give an address written $NAME in the file: --set USDC=0x…
        #[arg(long = "set", value_name = "NAME=ADDRESS")]
        vars: Vec<String>,
        /// Chain whose deployment record gives the module addresses (offline).
        #[arg(long, default_value_t = 31337)]
        chain_id: u64,
        /// The hook to install: `engine` or `multiplexer` (default: the file's `hook`, else engine).
        #[arg(long, value_name = "engine|multiplexer")]
        hook: Option<HookStack>,
        /// The account: also print the authority's `grantSession` calldata for each of the file's
        /// sessions (for an authority that sends it some other way, a multisig for one).
        #[arg(long)]
        account: Option<Address>,
        #[command(flatten)]
        overrides: ModuleOverrides,
    },
    /// Install a policy file on an account in one UserOp signed by the account's owner key: every
    /// module (AgentValidator with the file's [agent], the executor, then the hook) or none. The
    /// file's sessions are granted after it with the authority's key, if given (else `session
    /// grant` grants them later).
    Install {
        file: PathBuf,
        #[arg(long)]
        account: Address,
        /// The hook to install: `engine` or `multiplexer` (default: the file's `hook`, else engine).
        #[arg(long, value_name = "engine|multiplexer")]
        hook: Option<HookStack>,
        #[command(flatten)]
        owner: OwnerKey,
        /// Authority key, to grant the file's [[session]]s after the install (or LEASH_AUTHORITY_KEY).
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
        /// Send the UserOp through this ERC-4337 bundler (`eth_sendUserOperation`) instead of
        /// `handleOps` from the owner's key, which then needs no ETH.
        #[arg(long, value_name = "URL")]
        bundler_url: Option<String>,
        #[arg(long = "set", value_name = "NAME=ADDRESS")]
        vars: Vec<String>,
        #[command(flatten)]
        chain: Chain,
    },
    /// Make an account's live policy the file's: print what differs, then send each change with
    /// the authority's key (one transaction a change; what does not change keeps its windows,
    /// task runs and session usage).
    Apply {
        file: PathBuf,
        #[arg(long)]
        account: Address,
        /// Authority key (or LEASH_AUTHORITY_KEY).
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
        /// Print the changes and send nothing (no key needed).
        #[arg(long)]
        dry_run: bool,
        #[arg(long = "set", value_name = "NAME=ADDRESS")]
        vars: Vec<String>,
        #[command(flatten)]
        chain: Chain,
    },
    /// Read the account's live Leash configuration back, as a policy file, with its live sessions;
    /// each selector with its function's signature, where known.
    Show {
        #[arg(long)]
        account: Address,
        /// A policy file whose signatures name the live selectors (beside the common functions').
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[command(flatten)]
        chain: Chain,
    },
}

/// An agent's session on an account, at the policy engine.
#[derive(Subcommand, Debug)]
pub enum SessionCmd {
    /// Grant (or replace, with fresh counters) the session the policy file gives the agent:
    /// `grantSession` from the authority's key.
    Grant {
        #[command(flatten)]
        session: SessionArgs,
        /// Authority key of the account's policy engine (or LEASH_AUTHORITY_KEY).
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
    },
    /// End the agent's session at once (operations already validated fail at execution too), and
    /// void a signed grant not used yet: `revokeSession` from the authority's key.
    Revoke {
        /// The account (the policy engine is its hook).
        #[arg(long)]
        account: Address,
        /// The session's agent.
        #[arg(long)]
        agent: Address,
        /// Authority key (or LEASH_AUTHORITY_KEY).
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
        #[command(flatten)]
        chain: Chain,
    },
    /// Sign the session for enable-in-first-op, sending nothing.
    ///
    /// Prints abi.encode(Session, authoritySignature), the authority's signature over the engine's
    /// `sessionGrantDigest`. The agent appends it to its first UserOp's signature (after its own
    /// 65 bytes); the grant holds once, for this account, chain, install and the agent's next
    /// epoch, and a revocation voids it.
    Sign {
        #[command(flatten)]
        session: SessionArgs,
        /// Authority key (or LEASH_AUTHORITY_KEY); it signs offline, the chain gives the digest.
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
    },
    /// The account's live sessions (or one agent's): time range, uses of the maximum, epoch, and
    /// what each may still move of the tokens it limits.
    Show {
        /// The account (the policy engine is its hook).
        #[arg(long)]
        account: Address,
        /// Only this agent's session (shown even when not live).
        #[arg(long)]
        agent: Option<Address>,
        #[command(flatten)]
        chain: Chain,
    },
}

/// A session from a policy file, for an account.
#[derive(Args, Debug)]
pub struct SessionArgs {
    /// The account (the policy engine is its hook).
    #[arg(long)]
    account: Address,
    /// The policy file whose [[session]] gives the agent's grant.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// The session's agent (the file's [[session]] with this agent).
    #[arg(long)]
    agent: Address,
    /// Give an address written $NAME in the file: --set USDC=0x…
    #[arg(long = "set", value_name = "NAME=ADDRESS")]
    vars: Vec<String>,
    #[command(flatten)]
    chain: Chain,
}

#[derive(Subcommand, Debug)]
pub enum GuardianCmd {
    /// Pause the account: every execution stops until the pause ends (the guardian's or the authority's key)
    Pause(GuardianArgs),
    /// End the account's pause now (the guardian's or the authority's key)
    Unpause(GuardianArgs),
    /// Whether the account is paused, until when, and who its guardian is
    Status(GuardianArgs),
}

#[derive(Args, Debug)]
pub struct GuardianArgs {
    /// The account the guardian watches.
    #[arg(long)]
    account: Address,
    /// Guardian (or authority) key, for pause and unpause (or LEASH_GUARDIAN_KEY).
    #[arg(long, value_name = "HEX")]
    guardian_key: Option<String>,
    #[command(flatten)]
    chain: Chain,
}

#[derive(Subcommand, Debug)]
pub enum TaskCmd {
    /// Run the account's task now, as its keeper (refused, in words, unless its schedule allows it)
    Run(TaskArgs),
    /// The task as added, its runs so far, and whether and when it can run next
    Status(TaskArgs),
}

#[derive(Args, Debug)]
pub struct TaskArgs {
    /// The account the task belongs to.
    #[arg(long)]
    account: Address,
    /// The task's id (as in the policy file's [[task]]).
    #[arg(long)]
    id: u64,
    /// The task's keeper key, for run (or LEASH_KEEPER_KEY).
    #[arg(long, value_name = "HEX")]
    keeper_key: Option<String>,
    #[command(flatten)]
    chain: Chain,
}

/// The agent's own key on an account, held by AgentValidator: the authority rotates it, revokes
/// it and sets what the agent's UserOps may cost the account in gas fees.
#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Install AgentValidator with --agent on an account that runs a Leash hook (the owner's key)
    ///
    /// One UserOp of the account's owner installing it, which the authority approves at the hook
    /// first (a module change): the validator's authority is the hook's. Refused in words before
    /// anything is sent on an account without a Leash hook, with AgentValidator installed already
    /// (`agent rotate` changes its key), or for a key that cannot be the agent.
    Add {
        #[arg(long)]
        account: Address,
        /// The agent key's address.
        #[arg(long, value_name = "ADDRESS")]
        agent: Address,
        /// What the agent's UserOps may cost the account in gas fees, in ether (`0.05`).
        #[arg(long, value_name = "ETHER")]
        gas_allowance: String,
        #[command(flatten)]
        owner: OwnerKey,
        /// Authority key, which approves the install at the account's Leash hook (or
        /// LEASH_AUTHORITY_KEY).
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
        #[command(flatten)]
        chain: Chain,
    },
    /// Send one call as the agent: a UserOp its key signs, validated by AgentValidator, which the
    /// leash then checks (`--session` names the agent's own session)
    ///
    /// Through a bundler with --bundler-url (it pays the gas, charged to the account); otherwise
    /// `handleOps` from the agent's key, which then needs ETH. A refusal is printed in words and
    /// exits non-zero.
    Send {
        #[arg(long)]
        account: Address,
        /// The call's target.
        #[arg(long, value_name = "ADDRESS")]
        to: Address,
        /// Ether sent with the call (`0.1`).
        #[arg(long, value_name = "ETHER", default_value = "0")]
        value: String,
        /// The call's calldata (hex; none: a plain transfer).
        #[arg(long, value_name = "HEX", default_value = "0x")]
        data: String,
        /// The agent's key (or LEASH_AGENT_KEY).
        #[arg(long, value_name = "HEX")]
        agent_key: Option<String>,
        /// The call acts under the agent's session at the policy engine, not the account's agent key.
        #[arg(long)]
        session: bool,
        /// An ERC-4337 bundler's JSON-RPC endpoint.
        #[arg(long, value_name = "URL")]
        bundler_url: Option<String>,
        #[command(flatten)]
        chain: Chain,
    },
    /// The account's agents: its agent key at AgentValidator, and each live session's agent
    List {
        #[arg(long)]
        account: Address,
        #[command(flatten)]
        chain: Chain,
    },
    /// Make --agent the account's agent key, in place of the current one (the authority's key)
    ///
    /// Sends `setAgent(account, agent)` from the authority's key. Refused in words before anything
    /// is sent when the agent is the zero address, the account itself or its authority; the
    /// validator itself refuses an owner of the account.
    Rotate {
        /// The account whose agent key changes (AgentValidator is installed on it).
        #[arg(long)]
        account: Address,
        /// The new agent key's address.
        #[arg(long, value_name = "ADDRESS")]
        agent: Address,
        /// Authority key of the account's AgentValidator (or LEASH_AUTHORITY_KEY).
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
        #[command(flatten)]
        chain: Chain,
    },
    /// Take the agent's key away now: nothing it signs validates until the next rotate
    ///
    /// Sends `revokeAgent(account)` from the authority's key. Sessions the policy engine granted
    /// are not touched (`session revoke` ends those). Refused when the account has no agent key.
    Revoke {
        /// The account whose agent key ends (AgentValidator is installed on it).
        #[arg(long)]
        account: Address,
        /// Authority key of the account's AgentValidator (or LEASH_AUTHORITY_KEY).
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
        #[command(flatten)]
        chain: Chain,
    },
    /// Set what the agent's UserOps may still cost the account in gas fees (the authority's key)
    ///
    /// Sends `setGasAllowance(account, wei)` from the authority's key; the amount replaces what is
    /// left. Each UserOp the agent signs without a paymaster is charged its maximum cost against
    /// it, and one that would exceed it is refused.
    Allowance {
        /// The account (AgentValidator is installed on it).
        #[arg(long)]
        account: Address,
        /// The allowance in ether, as policy files write amounts: `0.5`, `2`, `0` (up to 18
        /// decimals).
        #[arg(long = "set", value_name = "ETHER", allow_hyphen_values = true)]
        amount: String,
        /// Authority key of the account's AgentValidator (or LEASH_AUTHORITY_KEY).
        #[arg(long, value_name = "HEX")]
        authority_key: Option<String>,
        #[command(flatten)]
        chain: Chain,
    },
    /// The account's agent key (or none), its gas allowance in ether and wei, and its authority
    Status {
        /// The account to read.
        #[arg(long)]
        account: Address,
        #[command(flatten)]
        chain: Chain,
    },
}

pub fn policy(root: &Path, cmd: PolicyCmd) -> Result<()> {
    match cmd {
        PolicyCmd::Encode { file, vars, chain_id, hook, account, overrides } => {
            let modules = ModuleAddresses::resolve(root, chain_id, &(&overrides).into())?;
            let policy = with_hook(config::load(&file, &parse_vars(&vars)?)?, hook, &file)?;
            println!(
                "install payloads for {} (in this order; `policy install` sends them as one batch):",
                file.display()
            );
            for p in policy.install_payloads(&modules) {
                println!(
                    "\n{} ({})\n  module:      {}\n  module type: {}\n  init data:   {}",
                    p.label,
                    type_name(p.module_type),
                    p.module,
                    p.module_type,
                    p.init_data
                );
            }
            if policy.sessions.is_empty() {
                return Ok(());
            }
            let Some(account) = account else {
                println!(
                    "\n{} session(s): add --account to print the authority's grantSession calldata",
                    policy.sessions.len()
                );
                return Ok(());
            };
            println!("\nsessions, granted by the authority after the install (grantSession at the engine):");
            for s in &policy.sessions {
                let call = leash::abi::IPolicyEngine::grantSessionCall { account, session: s.abi() };
                println!(
                    "\nsession of {}\n  to:   {}\n  data: {}",
                    s.agent,
                    modules.engine,
                    alloy::primitives::Bytes::from(alloy::sol_types::SolCall::abi_encode(&call))
                );
            }
            Ok(())
        }
        PolicyCmd::Install { file, account, hook, owner, authority_key, bundler_url, vars, chain } => {
            let install = PolicyInstall::load(file, hook, &vars, authority_key, bundler_url)?;
            install.check_account(account)?;
            let (owner, owner_validator) = (owner.signer()?, owner.validator);
            // With --json, stdout holds the one JSON object: the progress goes to stderr.
            let json = chain.json;
            let say = move |line: String| if json { eprintln!("{line}") } else { println!("{line}") };
            crate::block_on(async {
                let installed = install.send(root, &chain, account, owner, owner_validator, say).await?;
                if json {
                    chain.print_json(installed)?;
                }
                Ok(())
            })
        }
        PolicyCmd::Apply { file, account, dry_run, authority_key, vars, chain } => crate::block_on(async {
            let policy = config::load(&file, &parse_vars(&vars)?)?;
            policy.check_account(account).map_err(|e| eyre!("{}: {e}", file.display()))?;
            let authority = match dry_run {
                true => None,
                false => {
                    let k = key(authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")?;
                    check_authority(&k, &policy)?;
                    Some(k)
                }
            };
            let provider = connect(&chain.rpc_url, authority.clone()).await?;
            let modules = modules_for(root, &provider, &chain.overrides).await?;
            let live = live::read(&provider, account, &modules).await?;
            let plan = apply::plan(&live, &policy).map_err(|e| eyre!("{}: {e}", file.display()))?;
            let names = config::Signatures::load(&file)?;
            let mut book = book_of(&live);
            book.0.extend(book_of(&policy).0);
            let lines: Vec<String> = plan.changes.iter().map(|c| c.describe(&names, &book)).collect();
            let Some(authority) = authority else {
                if chain.json {
                    let dry =
                        json!({ "account": account, "changes": lines, "notes": plan.notes, "sent": [] });
                    return chain.print_json(dry);
                }
                print_plan(account, &plan.notes, &lines);
                println!("(dry run: nothing sent)");
                return Ok(());
            };
            if !chain.json {
                print_plan(account, &plan.notes, &lines);
            }
            let mut sent = Vec::new();
            let done =
                apply::send(&provider, &modules, account, live.hook, &plan.changes, &book, |change, tx| {
                    if !chain.json {
                        println!("  sent: {} (tx {tx})", change.describe(&names, &book));
                    }
                    sent.push(json!({ "change": change.describe(&names, &book), "tx": tx }));
                })
                .await;
            named(done, &provider, authority.address()).await?;
            if chain.json {
                let applied =
                    json!({ "account": account, "changes": lines, "notes": plan.notes, "sent": sent });
                return chain.print_json(applied);
            }
            if !plan.changes.is_empty() {
                println!("done: the live policy of {account} is the file's");
            }
            Ok(())
        }),
        PolicyCmd::Show { account, policy: file, chain } => crate::block_on(async {
            let names = match &file {
                Some(file) => config::Signatures::load(file)?,
                None => config::Signatures::default(),
            };
            let provider = connect(&chain.rpc_url, None).await?;
            let modules = modules_for(root, &provider, &chain.overrides).await?;
            let policy = live::read(&provider, account, &modules).await?;
            let installed = !policy.authority.is_zero();
            let sessions = match policy.hook == HookStack::Engine && !modules.engine.is_zero() && installed {
                true => live::sessions(&provider, modules.engine, account).await?,
                false => Vec::new(),
            };
            let text = live::to_toml_named(&policy, &names);
            if chain.json {
                // The policy as a file holds it, in JSON's shape; the live sessions as `status` shows them.
                let file: Option<serde_json::Value> = match installed {
                    true => {
                        Some(toml::from_str(&text).map_err(|e| eyre!("reading back the live policy: {e}"))?)
                    }
                    false => None,
                };
                let book = book_of(&policy);
                let sessions: Vec<_> =
                    sessions.iter().map(|s| leash::status::Session::of(s, &book)).collect();
                return chain.print_json(json!({ "account": account, "policy": file, "sessions": sessions }));
            }
            if !installed {
                println!("# {account} has no Leash module installed");
                return Ok(());
            }
            println!("# live configuration of {account}\n{text}");
            for s in &sessions {
                let shown = policy.sessions.iter().any(|x| x.agent == s.agent);
                let note = if shown { "" } else { " (its grant is not readable from its transaction)" };
                println!("# {}{note}", s.describe(&book_of(&policy)).replace('\n', "\n# "));
            }
            Ok(())
        }),
    }
}

pub fn session(root: &Path, cmd: SessionCmd) -> Result<()> {
    crate::block_on(async {
        match cmd {
            SessionCmd::Grant { session, authority_key } => {
                let key = key(authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")?;
                let (policy, granted) = session_from(&session)?;
                check_authority(&key, &policy)?;
                let address = key.address();
                let (provider, modules) = session.chain.signed_by(root, key).await?;
                let book = book_of(&policy);
                let tx =
                    ops::grant_session(&provider, modules.engine, session.account, &granted, &book).await;
                let tx = named(tx, &provider, address).await?;
                let tokens: Vec<Address> = granted.spending.iter().map(|t| t.token).collect();
                let status =
                    ops::session_status(&provider, modules.engine, session.account, granted.agent, &tokens)
                        .await?;
                if session.chain.json {
                    let shown = leash::status::Session::of(&status, &book);
                    return session
                        .chain
                        .print_json(json!({ "account": session.account, "granted": tx, "session": shown }));
                }
                println!("granted the session of {} on {} (tx {tx})", granted.agent, session.account);
                println!("{}", status.describe(&book));
            }
            SessionCmd::Revoke { account, agent, authority_key, chain } => {
                let key = key(authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")?;
                let address = key.address();
                let (provider, modules) = chain.signed_by(root, key).await?;
                let tx = ops::revoke_session(&provider, modules.engine, account, agent).await;
                let tx = named(tx, &provider, address).await?;
                if chain.json {
                    return chain.print_json(json!({ "account": account, "agent": agent, "revoked": tx }));
                }
                println!("revoked the session of {agent} on {account} (tx {tx})");
            }
            SessionCmd::Sign { session, authority_key } => {
                let key = key(authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")?;
                let (policy, granted) = session_from(&session)?;
                check_authority(&key, &policy)?;
                let provider = connect(&session.chain.rpc_url, None).await?;
                let modules = modules_for(root, &provider, &session.chain.overrides).await?;
                let blob =
                    ops::sign_session(&provider, modules.engine, session.account, &granted, &key).await?;
                if session.chain.json {
                    return session.chain.print_json(
                        json!({ "account": session.account, "agent": granted.agent, "enable": blob }),
                    );
                }
                eprintln!(
                    "the grant of {}'s session on {}: append it to the signature of the agent's first UserOp",
                    granted.agent, session.account
                );
                println!("{blob}");
            }
            SessionCmd::Show { account, agent, chain } => {
                let provider = connect(&chain.rpc_url, None).await?;
                let modules = modules_for(root, &provider, &chain.overrides).await?;
                let policy = live::read(&provider, account, &modules).await?;
                let book = book_of(&policy);
                let sessions = match agent {
                    Some(agent) => {
                        let tokens: Vec<Address> = policy
                            .sessions
                            .iter()
                            .filter(|s| s.agent == agent)
                            .flat_map(|s| s.spending.iter().map(|t| t.token))
                            .collect();
                        vec![ops::session_status(&provider, modules.engine, account, agent, &tokens).await?]
                    }
                    None => live::sessions(&provider, modules.engine, account).await?,
                };
                if chain.json {
                    let sessions: Vec<_> =
                        sessions.iter().map(|s| leash::status::Session::of(s, &book)).collect();
                    return chain.print_json(json!({ "account": account, "sessions": sessions }));
                }
                if sessions.is_empty() {
                    println!("{account} has no live session");
                }
                for s in sessions {
                    println!("{}", s.describe(&book));
                }
            }
        }
        Ok(())
    })
}

/// A policy file ready to install on an account (`policy install`, `account create --policy`):
/// loaded with its variables and hook, the authority's key (which grants the file's sessions after
/// the install) checked against it before anything is sent.
pub(crate) struct PolicyInstall {
    file: PathBuf,
    pub(crate) policy: config::PolicyConfig,
    authority: Option<PrivateKeySigner>,
    bundler_url: Option<String>,
}

impl PolicyInstall {
    pub(crate) fn load(
        file: PathBuf,
        hook: Option<HookStack>,
        vars: &[String],
        authority_key: Option<String>,
        bundler_url: Option<String>,
    ) -> Result<Self> {
        let policy = with_hook(config::load(&file, &parse_vars(vars)?)?, hook, &file)?;
        // Checked before the install, so a wrong key leaves nothing half done.
        let authority = match optional_key(authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")? {
            Some(k) if !policy.sessions.is_empty() => Some(check_authority(&k, &policy).map(|()| k)?),
            _ => None,
        };
        Ok(Self { file, policy, authority, bundler_url })
    }

    /// Refused in words when the file may not go on `account` (it names the account in a role).
    pub(crate) fn check_account(&self, account: Address) -> Result<()> {
        self.policy.check_account(account).map_err(|e| eyre!("{}: {e}", self.file.display()))
    }

    /// The bundler of `--bundler-url`, if given, checked to serve `entry_point`.
    pub(crate) async fn bundler(&self, entry_point: Address) -> Result<Option<Bundler>> {
        let Some(url) = &self.bundler_url else { return Ok(None) };
        let bundler = Bundler::parse(url)?;
        bundler.require_entry_point(entry_point).await?;
        Ok(Some(bundler))
    }

    /// Installs the file on `account` in one UserOp of `owner` (through `owner_validator` where the
    /// owner signs through one), then grants its sessions with the authority's key if given; each
    /// progress line goes to `say`. What was installed and granted, as JSON.
    pub(crate) async fn send(
        &self,
        root: &Path,
        chain: &Chain,
        account: Address,
        owner: PrivateKeySigner,
        owner_validator: Option<Address>,
        say: impl Fn(String),
    ) -> Result<serde_json::Value> {
        let (policy, file) = (&self.policy, &self.file);
        let (provider, modules) = chain.signed_by(root, owner.clone()).await?;
        // The account's family picks the EntryPoint and how the nonce key names the owner's validator.
        let mut sender =
            leash::account::detected_owner_sender(provider.clone(), account, owner, owner_validator).await?;
        if let Some(bundler) = self.bundler(sender.entry_point).await? {
            sender = sender.via_bundler(bundler);
        }
        if policy.hook == HookStack::Engine && modules.engine.is_zero() {
            bail!("the deployment record has no PolicyEngine: deploy again, pass --engine, or install with --hook multiplexer");
        }
        let labels: Vec<&str> = policy.install_payloads(&modules).iter().map(|p| p.label).collect();
        let via =
            self.bundler_url.as_ref().map(|u| format!(" through the bundler at {u}")).unwrap_or_default();
        say(format!("installing {} on {account} in one operation{via}", labels.join(" and ")));
        let installed = ops::install(&sender, policy, &modules, &book_of(policy)).await;
        let installed = named(installed, &provider, sender.signer.address()).await?;
        for (label, module) in &installed.modules {
            say(format!("  installed {label} ({module})"));
        }
        say(format!("  done (gas {})", installed.gas_used));
        let modules_json: Vec<_> = installed
            .modules
            .iter()
            .map(|(label, module)| json!({ "name": label, "address": module }))
            .collect();
        let mut granted = Vec::new();
        let summary = |granted: Vec<serde_json::Value>| json!({ "account": account, "installed": modules_json, "gas_used": installed.gas_used, "sessions_granted": granted });
        if policy.sessions.is_empty() {
            return Ok(summary(granted));
        }
        let Some(authority) = self.authority.clone() else {
            say(format!(
                "{} session(s) in the file are not granted yet: the authority grants each with\n  cargo xtask session grant --account {account} --policy {} --agent <AGENT> --authority-key …",
                policy.sessions.len(),
                file.display()
            ));
            return Ok(summary(granted));
        };
        let key = authority.address();
        let provider = connect(&chain.rpc_url, Some(authority)).await?;
        for s in &policy.sessions {
            let tx = ops::grant_session(&provider, modules.engine, account, s, &book_of(policy)).await;
            let tx = named(tx, &provider, key).await?;
            say(format!("  granted the session of {} (tx {tx})", s.agent));
            granted.push(json!({ "agent": s.agent, "tx": tx }));
        }
        Ok(summary(granted))
    }
}

/// The policy file of `args` and its session for `args.agent`.
fn session_from(args: &SessionArgs) -> Result<(config::PolicyConfig, config::SessionConfig)> {
    let policy = config::load(&args.policy, &parse_vars(&args.vars)?)?;
    policy.check_account(args.account).map_err(|e| eyre!("{}: {e}", args.policy.display()))?;
    let session = policy.sessions.iter().find(|s| s.agent == args.agent).cloned().ok_or_else(|| {
        eyre!("{} has no [[session]] with agent = \"{}\"", args.policy.display(), args.agent)
    })?;
    Ok((policy, session))
}

fn check_authority(key: &PrivateKeySigner, policy: &config::PolicyConfig) -> Result<()> {
    if key.address() != policy.authority {
        bail!(
            "--authority-key is the key of {}, not of the file's authority {}",
            key.address(),
            policy.authority
        );
    }
    Ok(())
}

pub fn guardian(root: &Path, cmd: GuardianCmd) -> Result<()> {
    crate::block_on(async {
        let (args, action) = match cmd {
            GuardianCmd::Pause(a) => (a, "pause"),
            GuardianCmd::Unpause(a) => (a, "unpause"),
            GuardianCmd::Status(a) => (a, "status"),
        };
        let signer = if action == "status" {
            None
        } else {
            Some(key(args.guardian_key, "LEASH_GUARDIAN_KEY", "--guardian-key")?)
        };
        let key = signer.as_ref().map(|s| s.address()).unwrap_or_default();
        let provider = connect(&args.chain.rpc_url, signer).await?;
        let modules = modules_for(root, &provider, &args.chain.overrides).await?;
        let tx = match action {
            "pause" => {
                Some(named(ops::pause(&provider, &modules, args.account).await, &provider, key).await?)
            }
            "unpause" => {
                Some(named(ops::unpause(&provider, &modules, args.account).await, &provider, key).await?)
            }
            _ => None,
        };
        let status = ops::pause_status(&provider, &modules, args.account).await?;
        if args.chain.json {
            let pause = leash::status::Pause::from(&status);
            return args.chain.print_json(json!({ "account": args.account, "tx": tx, "pause": pause }));
        }
        if let Some(tx) = tx {
            println!("{action}d {} (tx {tx})", args.account);
        }
        println!("{status}");
        Ok(())
    })
}

pub fn task(root: &Path, cmd: TaskCmd) -> Result<()> {
    crate::block_on(async {
        let (args, run) = match cmd {
            TaskCmd::Run(a) => (a, true),
            TaskCmd::Status(a) => (a, false),
        };
        let signer = if run { Some(key(args.keeper_key, "LEASH_KEEPER_KEY", "--keeper-key")?) } else { None };
        let key = signer.as_ref().map(|s| s.address()).unwrap_or_default();
        let provider = connect(&args.chain.rpc_url, signer).await?;
        let modules = modules_for(root, &provider, &args.chain.overrides).await?;
        let mut tx = None;
        if run {
            let policy = live::read(&provider, args.account, &modules).await?;
            let ran =
                ops::task_run(&provider, modules.automation, args.account, args.id, &book_of(&policy)).await;
            tx = Some(named(ran, &provider, key).await?);
        }
        let status = ops::task_status(&provider, modules.automation, args.account, args.id).await?;
        if args.chain.json {
            let task = leash::status::Task::from(&status);
            return args.chain.print_json(json!({ "account": args.account, "tx": tx, "task": task }));
        }
        if let Some(tx) = tx {
            println!("ran task {} on {} (tx {tx})", args.id, args.account);
        }
        println!("{status}");
        Ok(())
    })
}

/// What `policy apply` would change, before it sends anything.
fn print_plan(account: Address, notes: &[String], lines: &[String]) {
    for note in notes {
        println!("note: {note}");
    }
    if lines.is_empty() {
        println!("the live policy of {account} is the file's: nothing to change");
        return;
    }
    println!("{} change(s) make the live policy of {account} the file's:", lines.len());
    for line in lines {
        println!("  {line}");
    }
}

/// The agent's key at AgentValidator as `--json` prints it, with the transaction that changed it.
fn agent_json(status: &ops::AgentStatus, tx: Option<alloy::primitives::TxHash>) -> serde_json::Value {
    json!({
        "account": status.account,
        "tx": tx,
        "installed": status.installed,
        "agent": status.installed.then(|| leash::status::Agent::from(status)),
        "authority": status.authority,
    })
}

/// What an `agent` command changes: the key, its end, or the gas allowance (in wei).
enum AgentChange {
    Rotate(Address),
    Revoke,
    Allowance(U256),
}

pub fn agent(root: &Path, cmd: AgentCmd) -> Result<()> {
    let cmd = match cmd {
        AgentCmd::Add { account, agent, gas_allowance, owner, authority_key, chain } => {
            let gas_allowance = config::parse_amount(&gas_allowance, 18, config::MAX_GAS_ALLOWANCE)
                .map_err(|e| eyre!("--gas-allowance: {e}"))?;
            let (owner, owner_validator) = (owner.signer()?, owner.validator);
            let authority = key(authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")?;
            return crate::block_on(async {
                let by = authority.address();
                let approver = connect(&chain.rpc_url, Some(authority)).await?;
                let (provider, modules) = chain.signed_by(root, owner.clone()).await?;
                let sender =
                    leash::account::detected_owner_sender(provider.clone(), account, owner, owner_validator)
                        .await?;
                let agent_key = config::AgentConfig { key: agent, gas_allowance };
                let added = leash::admin::add_agent(&sender, &approver, by, &modules, agent_key).await;
                let tx = named(added, &approver, by).await?;
                let status = ops::agent_status(&provider, modules.validator, account).await?;
                if chain.json {
                    return chain.print_json(agent_json(&status, Some(tx)));
                }
                println!("the authority approved the install (tx {tx}); installed AgentValidator on {account} with the agent {agent}");
                println!("{status}");
                Ok(())
            });
        }
        AgentCmd::Send { account, to, value, data, agent_key, session, bundler_url, chain } => {
            let value = config::parse_amount(&value, 18, U256::MAX).map_err(|e| eyre!("--value: {e}"))?;
            let data: alloy::primitives::Bytes =
                data.parse().map_err(|_| eyre!("--data: not hex calldata"))?;
            let agent = key(agent_key, "LEASH_AGENT_KEY", "--agent-key")?;
            return crate::block_on(async {
                let signer = agent.address();
                let (provider, modules) = chain.signed_by(root, agent.clone()).await?;
                let (flavor, _) = AccountFlavor::detect(&provider, account).await;
                let mut sender = UserOpSender::new(provider.clone(), flavor.entry_point(), account, agent)
                    .nonce_key(flavor.nonce_key(modules.validator));
                if flavor == AccountFlavor::Kernel {
                    // Kernel runs a validation's hook only for UserOps through `executeUserOp`.
                    sender = sender.through_execute_user_op();
                }
                if session {
                    sender = sender.as_session();
                }
                if let Some(url) = &bundler_url {
                    let bundler = Bundler::parse(url)?;
                    bundler.require_entry_point(sender.entry_point).await?;
                    sender = sender.via_bundler(bundler);
                }
                let live = live::read(&provider, account, &modules).await?;
                let book = book_of(&live);
                // The hook asked why a Safe refused: the account's Leash hook, if it runs one.
                let hook = live.hook_module(&modules);
                let hook =
                    match !hook.is_zero() && live::module_installed(&provider, account, 4, hook).await? {
                        true => hook,
                        false => Address::ZERO,
                    };
                let call = sender.execute_call(to, value, &data);
                // A bundler's estimate that simulates the refusal answers with it before sending.
                let (gas_used, refusal) = match sender.submit(call.clone()).await {
                    Err(e) if e.downcast_ref::<Refused>().is_some() => {
                        (None, e.downcast_ref::<Refused>().map(|r| r.revert.clone()))
                    }
                    sent => {
                        let sent = named(sent, &provider, signer).await?;
                        (
                            Some(sent.gas_used),
                            (!sent.success).then(|| LeashRevert::decode(&sent.revert_reason)),
                        )
                    }
                };
                let refusal = match refusal {
                    Some(r) => Some(sender.explain(hook, &call, r).await.describe(&book)),
                    None => None,
                };
                if chain.json {
                    chain.print_json(json!({ "account": account, "success": refusal.is_none(), "refusal": refusal, "gas_used": gas_used }))?;
                } else if let (None, Some(gas)) = (&refusal, gas_used) {
                    println!("the agent's call to {to} went through (gas {gas})");
                }
                match refusal {
                    Some(words) => bail!("the agent's call to {to} was refused: {words}"),
                    None => Ok(()),
                }
            });
        }
        AgentCmd::List { account, chain } => {
            return crate::block_on(async {
                let provider = connect(&chain.rpc_url, None).await?;
                let modules = modules_for(root, &provider, &chain.overrides).await?;
                let status = ops::agent_status(&provider, modules.validator, account).await?;
                let sessions = match modules.engine.is_zero() {
                    true => Vec::new(),
                    false => live::sessions(&provider, modules.engine, account).await?,
                };
                if chain.json {
                    let book = TokenBook::default();
                    let sessions: Vec<_> =
                        sessions.iter().map(|s| leash::status::Session::of(s, &book)).collect();
                    return chain
                        .print_json(json!({ "agent": agent_json(&status, None), "sessions": sessions }));
                }
                match (status.installed, status.agent.is_zero()) {
                    (false, _) => println!("agent key: none (AgentValidator is not installed)"),
                    (true, true) => println!("agent key: none (none set, or revoked)"),
                    (true, false) => println!(
                        "agent key: {} (gas allowance {})",
                        status.agent,
                        ether(status.gas_allowance)
                    ),
                }
                if sessions.is_empty() {
                    println!("sessions: none live");
                }
                for s in &sessions {
                    println!("{}", s.describe(&TokenBook::default()));
                }
                Ok(())
            });
        }
        other => other,
    };
    // The amount is read before any key or node, so a mistyped one is the first thing said.
    let (account, chain, change, authority_key) = match cmd {
        AgentCmd::Rotate { account, agent, authority_key, chain } => {
            (account, chain, Some(AgentChange::Rotate(agent)), authority_key)
        }
        AgentCmd::Revoke { account, authority_key, chain } => {
            (account, chain, Some(AgentChange::Revoke), authority_key)
        }
        AgentCmd::Allowance { account, amount, authority_key, chain } => {
            let wei = config::parse_amount(&amount, 18, U256::MAX).map_err(|e| eyre!("--set: {e}"))?;
            (account, chain, Some(AgentChange::Allowance(wei)), authority_key)
        }
        AgentCmd::Status { account, chain } => (account, chain, None, None),
        AgentCmd::Add { .. } | AgentCmd::Send { .. } | AgentCmd::List { .. } => {
            unreachable!("answered above")
        }
    };
    crate::block_on(async {
        let signer = match change {
            Some(_) => Some(key(authority_key, "LEASH_AUTHORITY_KEY", "--authority-key")?),
            None => None,
        };
        let key = signer.as_ref().map(|s| s.address()).unwrap_or_default();
        let provider = connect(&chain.rpc_url, signer).await?;
        let validator = modules_for(root, &provider, &chain.overrides).await?.validator;
        let (tx, done) = match change {
            Some(AgentChange::Rotate(agent)) => {
                let tx =
                    named(ops::set_agent(&provider, validator, account, agent).await, &provider, key).await?;
                (Some(tx), format!("{agent} is now the agent of {account}"))
            }
            Some(AgentChange::Revoke) => {
                let tx =
                    named(ops::revoke_agent(&provider, validator, account).await, &provider, key).await?;
                (Some(tx), format!("revoked the agent key of {account}"))
            }
            Some(AgentChange::Allowance(wei)) => {
                let set = ops::set_gas_allowance(&provider, validator, account, wei).await;
                let tx = named(set, &provider, key).await?;
                (Some(tx), format!("set the agent's gas allowance on {account} to {}", ether(wei)))
            }
            None => (None, String::new()),
        };
        let status = ops::agent_status(&provider, validator, account).await?;
        if chain.json {
            return chain.print_json(agent_json(&status, tx));
        }
        if let Some(tx) = tx {
            println!("{done} (tx {tx})");
        }
        println!("{status}");
        Ok(())
    })
}

pub fn demo(account: &str) -> Result<()> {
    let kind: leash_devnet::accounts::AccountKind = account.parse()?;
    crate::block_on(async {
        // No 24 KiB code-size limit: the contracts carrying other accounts' bytecode are larger.
        let net = Devnet::spawn(Options { no_code_size_limit: true, ..Options::default() })?;
        println!("embedded Anvil at {}", net.anvil.endpoint());
        let report = leash_devnet::demo::run(&net, kind, |line| println!("{line}")).await?;
        let (allowed, refused) =
            report.steps.iter().fold((0, 0), |(a, r), s| if s.allowed { (a + 1, r) } else { (a, r + 1) });
        println!(
            "
{allowed} actions allowed, {refused} refused by the leash"
        );
        Ok(())
    })
}

// ---------------------------------------------------------------------- helpers

/// `result`, with an [`Unfunded`] refusal naming `key` (the command's signer) and its balance.
pub(crate) async fn named<T>(result: Result<T>, provider: &DynProvider, key: Address) -> Result<T> {
    match result {
        Ok(value) => Ok(value),
        Err(e) => Err(Unfunded::name_key(e, provider, key).await),
    }
}

pub(crate) async fn modules_for(
    root: &Path,
    provider: &DynProvider,
    overrides: &ModuleOverrides,
) -> Result<ModuleAddresses> {
    let chain_id = provider.get_chain_id().await?;
    ModuleAddresses::resolve(root, chain_id, &overrides.into())
}

/// The policy with the hook the command line asks for, if it does (a file with custom hooks stays
/// on the multiplexer).
fn with_hook(
    mut policy: config::PolicyConfig,
    hook: Option<HookStack>,
    file: &Path,
) -> Result<config::PolicyConfig> {
    if let Some(hook) = hook {
        if hook == HookStack::Engine && !policy.custom_hooks.is_empty() {
            bail!(
                "{}: custom hooks plug into the multiplexer: they cannot go onto the policy engine",
                file.display()
            );
        }
        if hook == HookStack::Multiplexer && !policy.sessions.is_empty() {
            bail!(
                "{}: sessions are the policy engine's (the multiplexer refuses an execution naming one): install with --hook engine",
                file.display()
            );
        }
        policy.hook = hook;
    }
    Ok(policy)
}

fn parse_vars(vars: &[String]) -> Result<BTreeMap<String, Address>> {
    vars.iter()
        .map(|v| {
            let (name, value) = v.split_once('=').ok_or_else(|| eyre!("--set {v}: expected NAME=0x…"))?;
            let address = config::parse_address(value).map_err(|e| eyre!("--set {v}: {e}"))?;
            Ok((name.trim().trim_start_matches('$').to_string(), address))
        })
        .collect()
}

/// A key if given (flag or environment), none otherwise.
fn optional_key(given: Option<String>, env: &str, flag: &str) -> Result<Option<PrivateKeySigner>> {
    if given.is_none() && std::env::var(env).is_err() {
        return Ok(None);
    }
    key(given, env, flag).map(Some)
}

/// A role's key: hex, or `keystore:FILE` (an encrypted JSON keystore, its password from
/// LEASH_KEYSTORE_PASSWORD), from the flag or else the environment variable.
pub(crate) fn key(given: Option<String>, env: &str, flag: &str) -> Result<PrivateKeySigner> {
    let text =
        given.or_else(|| std::env::var(env).ok()).ok_or_else(|| eyre!("a key is needed: {flag} or {env}"))?;
    match text.trim().strip_prefix("keystore:") {
        Some(path) => keystore(Path::new(path)),
        None => text.trim().parse().map_err(|_| {
            eyre!("{flag}: not a 32-byte hex private key (nor keystore:FILE, an encrypted JSON keystore)")
        }),
    }
}

/// The key in the encrypted JSON keystore at `path`, with the password in LEASH_KEYSTORE_PASSWORD.
pub(crate) fn keystore(path: &Path) -> Result<PrivateKeySigner> {
    let password = std::env::var("LEASH_KEYSTORE_PASSWORD")
        .map_err(|_| eyre!("set LEASH_KEYSTORE_PASSWORD to decrypt {}", path.display()))?;
    PrivateKeySigner::decrypt_keystore(path, password)
        .map_err(|e| eyre!("could not decrypt {}: {e}", path.display()))
}

fn book_of(policy: &config::PolicyConfig) -> TokenBook {
    TokenBook::of(&policy.tokens)
}

fn type_name(module_type: u64) -> &'static str {
    match module_type {
        config::MODULE_TYPE_VALIDATOR => "validator",
        config::MODULE_TYPE_HOOK => "hook",
        config::MODULE_TYPE_EXECUTOR => "executor",
        _ => "module",
    }
}
