//! The operator commands as an operator runs them: the `xtask` binary against the dev chain, each
//! command's output read, and the chain read afterwards. `policy install --authority-key` grants
//! the file's sessions; `session grant`, `revoke`, `sign` and `show` act on one agent's; `agent
//! rotate`, `revoke`, `allowance` and `status` on the agent's key at AgentValidator; a node
//! that does not answer, a chain without the deployment and a guardian's key without ETH each
//! read as one sentence with the fix; `account delegate` delegates an EOA with EIP-7702; `account
//! create` makes each kind it makes through its factory with the leash; `status` prints an
//! account's sections and its JSON.

use std::collections::BTreeMap;
use std::process::Command;

use alloy::hex;
use alloy::primitives::utils::parse_ether;
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use eyre::{ensure, Result};
use leash::config::{self, PolicyConfig};
use leash::{live, ops};
use leash_anvil_tests::sessions::{vars, SessionBed};
use leash_anvil_tests::{project_root, test_bed};
use leash_devnet::alto::AltoOptions;

const EXAMPLE: &str = "examples/session-payments.toml";

/// One command's outcome: whether it exited 0, its stdout and its stderr.
struct Run {
    ok: bool,
    out: String,
    err: String,
}

/// The account ready for sessions ([`SessionBed`]: the authority is Anvil's key 1), its owner's
/// key funded to send `handleOps`, and the keys the example's sessions name.
struct World {
    bed: SessionBed,
    payer: PrivateKeySigner,
    topper: PrivateKeySigner,
    vars: BTreeMap<String, Address>,
}

impl std::ops::Deref for World {
    type Target = SessionBed;

    fn deref(&self) -> &SessionBed {
        &self.bed
    }
}

impl World {
    async fn new() -> Result<Self> {
        let (net, owner) = test_bed().await?;
        net.provider.anvil_set_balance(owner.signer.address(), parse_ether("10")?).await?;
        let bed = SessionBed::new(net, owner, parse_ether("0.1")?).await?;
        let (payer, topper) = (PrivateKeySigner::random(), PrivateKeySigner::random());
        let vars = vars([
            ("AUTHORITY", bed.authority.address()),
            ("GUARDIAN", bed.net.anvil.addresses()[2]),
            ("USDC", bed.net.deploy_token("SixDecimalToken", "USDC").await?),
            ("AGENT", payer.address()),
            ("TOP_UP_AGENT", topper.address()),
            ("PAYEE_A", Address::with_last_byte(0xa1)),
            ("PAYEE_B", Address::with_last_byte(0xa2)),
            ("PAYEE_C", Address::with_last_byte(0xa3)),
        ]);
        Ok(Self { bed, payer, topper, vars })
    }

    /// `cargo xtask ARGS --rpc-url <the dev chain>`.
    fn xtask(&self, args: &[&str]) -> Run {
        xtask_at(&self.net.anvil.endpoint(), args)
    }

    /// `--set NAME=ADDRESS` for every variable of the example.
    fn sets(&self) -> Vec<String> {
        self.vars.iter().flat_map(|(k, v)| ["--set".to_string(), format!("{k}={v}")]).collect()
    }

    fn account(&self) -> String {
        self.owner.account.to_string()
    }

    fn policy(&self) -> PolicyConfig {
        config::load(&project_root().join(EXAMPLE), &self.vars).unwrap_or_else(|e| panic!("{e}"))
    }

    async fn live(&self, agent: Address) -> Result<bool> {
        let status =
            ops::session_status(&self.net.provider, self.modules.engine, self.owner.account, agent, &[])
                .await?;
        Ok(status.live)
    }

    /// `policy install` of the example, with these extra arguments.
    fn install(&self, extra: &[&str]) -> Run {
        let owner_key = key_hex(&self.owner.signer);
        let account = self.account();
        let mut args = vec!["policy", "install", EXAMPLE, "--account", &account, "--owner-key", &owner_key];
        args.extend_from_slice(extra);
        let sets = self.sets();
        args.extend(sets.iter().map(String::as_str));
        self.xtask(&args)
    }

    /// `session SUBCOMMAND` for `agent` with the example and the authority's key.
    fn session(&self, subcommand: &str, agent: Address, key: &PrivateKeySigner) -> Run {
        self.session_with(subcommand, agent, key, &[])
    }

    /// [`Self::session`] with these extra arguments.
    fn session_with(&self, subcommand: &str, agent: Address, key: &PrivateKeySigner, extra: &[&str]) -> Run {
        let (account, agent, key) = (self.account(), agent.to_string(), key_hex(key));
        let mut args = vec![
            "session",
            subcommand,
            "--account",
            &account,
            "--policy",
            EXAMPLE,
            "--agent",
            &agent,
            "--authority-key",
            &key,
        ];
        args.extend_from_slice(extra);
        let sets = self.sets();
        args.extend(sets.iter().map(String::as_str));
        self.xtask(&args)
    }
}

fn key_hex(key: &PrivateKeySigner) -> String {
    hex::encode_prefixed(key.to_bytes())
}

#[tokio::test]
async fn policy_install_with_the_authority_key_grants_the_files_sessions() -> Result<()> {
    let world = World::new().await?;
    // A key that is not the file's authority is refused before anything is sent.
    let wrong = world.install(&["--authority-key", &key_hex(&world.net.key(4))]);
    assert!(!wrong.ok);
    assert!(
        wrong.err.contains(&format!(
            "--authority-key is the key of {}, not of the file's authority {}",
            world.net.anvil.addresses()[4],
            world.authority.address()
        )),
        "{}",
        wrong.err
    );
    assert!(live::read(&world.net.provider, world.owner.account, &world.modules).await?.authority.is_zero());

    let run = world.install(&["--authority-key", &key_hex(&world.authority)]);
    assert!(run.ok, "{}{}", run.out, run.err);
    for agent in [world.payer.address(), world.topper.address()] {
        assert!(run.out.contains(&format!("granted the session of {agent} (tx ")), "{}", run.out);
        assert!(world.live(agent).await?, "{agent} is live on chain");
    }
    let read = live::read(&world.net.provider, world.owner.account, &world.modules).await?;
    assert_eq!(read.sessions, world.policy().sessions, "the sessions on chain are the file's");

    // `agent list`: no agent key at AgentValidator (the sessions carry the agents), both sessions.
    let account = world.account();
    let list = world.xtask(&["agent", "list", "--account", &account]).succeeded();
    assert!(list.out.starts_with("agent key: none (none set, or revoked)\n"), "{}", list.out);
    for agent in [world.payer.address(), world.topper.address()] {
        assert!(list.out.contains(&format!("session {agent}: ")), "{}", list.out);
    }

    // `policy show` lists them, each call's selector named.
    let show = world.xtask(&["policy", "show", "--account", &account]);
    assert!(show.ok, "{}", show.err);
    assert!(show.out.contains("function = \"0xa9059cbb\"  # transfer(address,uint256)"), "{}", show.out);
    assert!(
        show.out.contains(&format!(
            "# session {}: granted, acts from 2027-01-01 00:00:00 UTC",
            world.payer.address()
        )),
        "{}",
        show.out
    );
    Ok(())
}

#[tokio::test]
async fn session_grant_show_revoke_and_sign_through_the_commands() -> Result<()> {
    let world = World::new().await?;
    let run = world.install(&[]).succeeded();
    assert!(run.out.contains("2 session(s) in the file are not granted yet"), "{}", run.out);
    let (payer, topper) = (world.payer.address(), world.topper.address());
    assert!(!world.live(payer).await? && !world.live(topper).await?);
    let account = world.account();

    // grant: the payer's session, live on chain, and its status printed.
    let grant = world.session("grant", payer, &world.authority);
    assert!(grant.ok, "{}", grant.err);
    assert!(
        grant.out.contains(&format!("granted the session of {payer} on {account} (tx ")),
        "{}",
        grant.out
    );
    assert!(grant.out.contains("may still move: 1000 USDC"), "{}", grant.out);
    assert!(world.live(payer).await?);
    // An agent the file has no session for, and a key that is not the authority: refused.
    let stranger = world.session("grant", Address::with_last_byte(0x55), &world.authority);
    assert!(!stranger.ok && stranger.err.contains("has no [[session]] with agent"), "{}", stranger.err);
    let not_authority = world.session("grant", topper, &world.net.key(4));
    assert!(
        !not_authority.ok && not_authority.err.contains("not of the file's authority"),
        "{}",
        not_authority.err
    );
    assert!(!world.live(topper).await?);

    // show: the live session only, with its time range and what it may move.
    let show = world.xtask(&["session", "show", "--account", &account]);
    assert!(show.ok, "{}", show.err);
    assert!(
        show.out.starts_with(&format!("session {payer}: granted, acts from 2027-01-01 00:00:00 UTC\n")),
        "{}",
        show.out
    );
    assert!(
        show.out.contains("until 2027-03-31 23:59:59 UTC")
            && show.out.contains("uses: 0 calls (no total limit)"),
        "{}",
        show.out
    );
    assert!(!show.out.contains(&topper.to_string()), "{}", show.out);

    // sign: the top-up agent's grant, sent by nobody; the agent's first operation carries it.
    let sign = world.session("sign", topper, &world.authority);
    assert!(sign.ok, "{}", sign.err);
    let blob: Bytes = sign.out.trim().parse()?;
    assert!(!world.live(topper).await?, "signing sends nothing");
    let agent = world.agent(&world.topper).with_enable(Some(blob));
    let payee = world.vars["PAYEE_A"];
    ensure!(agent.execute(payee, parse_ether("0.01")?, &[]).await?.success, "the enabled session acts");
    assert_eq!(world.net.provider.get_balance(payee).await?, parse_ether("0.01")?);
    let one = world.xtask(&["session", "show", "--account", &account, "--agent", &topper.to_string()]);
    assert!(one.ok, "{}", one.err);
    assert!(
        one.out.contains(&format!("session {topper}: live")) && one.out.contains("uses: 1 of 30 calls"),
        "{}",
        one.out
    );
    assert!(one.out.contains("may still move: 0.04 native"), "{}", one.out);

    // revoke: ended at once on chain, and shown so.
    let (key, topper_text) = (key_hex(&world.authority), topper.to_string());
    let revoke = world.xtask(&[
        "session",
        "revoke",
        "--account",
        &account,
        "--agent",
        &topper_text,
        "--authority-key",
        &key,
    ]);
    assert!(revoke.ok, "{}", revoke.err);
    assert!(
        revoke.out.contains(&format!("revoked the session of {topper} on {account} (tx ")),
        "{}",
        revoke.out
    );
    assert!(!world.live(topper).await?);
    let one = world.xtask(&["session", "show", "--account", &account, "--agent", &topper_text]);
    assert!(one.out.contains("not live (never granted, revoked or replaced)"), "{}", one.out);
    assert!(!agent.with_enable(None).execute(payee, U256::from(1u64), &[]).await.is_ok_and(|o| o.success));
    let all = world.xtask(&["session", "show", "--account", &account]);
    assert!(all.out.contains(&payer.to_string()) && !all.out.contains(&topper_text), "{}", all.out);
    Ok(())
}

impl Run {
    fn succeeded(self) -> Self {
        assert!(self.ok, "{}{}", self.out, self.err);
        self
    }

    /// Refused because `whose` key `key` holds no ETH: the error names the key, what `what`
    /// needs, and the fix.
    fn refused_unfunded(&self, whose: &str, key: Address, what: &str) {
        assert!(!self.ok, "{}", self.out);
        let opening = format!("error: {whose} key {key} has 0 ETH on chain 31337, and {what} needs about ");
        assert!(self.err.starts_with(&opening), "{}", self.err);
        assert!(self.err.trim_end().ends_with("then run this again"), "{}", self.err);
    }
}

/// `cargo xtask ARGS --rpc-url URL`, with no key from the environment.
fn xtask_at(url: &str, args: &[&str]) -> Run {
    xtask_with(url, args, &[])
}

/// `cargo xtask ARGS --rpc-url URL` with only the keys of `env` in the environment.
fn xtask_with(url: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args).args(["--rpc-url", url]).current_dir(project_root());
    for role in ["OWNER", "AUTHORITY", "GUARDIAN", "KEEPER", "AGENT"] {
        command.env_remove(format!("LEASH_{role}_KEY"));
    }
    command.env_remove("LEASH_KEYSTORE_PASSWORD");
    command.envs(env.iter().copied());
    let output = command.output().expect("the xtask binary runs");
    Run {
        ok: output.status.success(),
        out: String::from_utf8_lossy(&output.stdout).into_owned(),
        err: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]
async fn the_commands_say_what_is_wrong_with_the_node_the_chain_and_the_key() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let url = net.anvil.endpoint();
    let account = owner.account.to_string();

    // Nothing answers: one sentence, no transport error under it.
    let dead = {
        let other = leash_anvil_tests::devnet(leash_anvil_tests::Options::default())?;
        other.anvil.endpoint()
    };
    for args in [
        &["guardian", "status", "--account", &account][..],
        &["task", "status", "--id", "1", "--account", &account],
        &["policy", "show", "--account", &account],
        &["session", "show", "--account", &account],
        &["agent", "status", "--account", &account],
        &["status", "--account", &account, "--json"],
    ] {
        let run = xtask_at(&dead, args);
        assert!(!run.ok);
        assert_eq!(
            run.err,
            format!(
                "error: no node answers at {dead}: start one there (`cargo xtask deploy --keep-running` serves one at http://127.0.0.1:8545) or pass --rpc-url with the URL of a running node\n"
            ),
            "{args:?}"
        );
    }

    // A chain where the modules are not deployed: said so, not "not installed" nor an ABI error.
    for args in [
        &["guardian", "status", "--account", &account][..],
        &["task", "status", "--id", "1", "--account", &account],
        &["agent", "status", "--account", &account],
    ] {
        let run = xtask_at(&url, args);
        assert!(!run.ok);
        assert!(run.err.starts_with("error: no Leash deployment at 0x"), "{args:?}: {}", run.err);
        assert!(run.err.contains(" on chain 31337: deploy there"), "{}", run.err);
        assert!(!run.err.contains("not installed") && !run.err.contains("caused by"), "{}", run.err);
    }

    // The guardian's key holds no ETH: its address, its balance, and what the pause needs.
    let (modules, _) = net.deploy_leash().await?;
    let guardian = PrivateKeySigner::random();
    let policy = config::parse_with(
        "guardian.toml",
        "authority = \"$AUTHORITY\"\n[pause]\nguardian = \"$GUARDIAN\"\n",
        &vars([("AUTHORITY", net.anvil.addresses()[1]), ("GUARDIAN", guardian.address())]),
    )
    .map_err(|e| eyre::eyre!("{e}"))?;
    ops::install(&owner, &policy, &modules, &leash::errors::TokenBook::default()).await?;
    let pause = ["guardian", "pause", "--account", &account, "--guardian-key", &key_hex(&guardian)];
    xtask_at(&url, &pause).refused_unfunded(
        "the guardian's (or the authority's)",
        guardian.address(),
        "the pause",
    );
    net.provider.anvil_set_balance(guardian.address(), parse_ether("1")?).await?;
    let run = xtask_at(&url, &pause);
    assert!(run.ok, "{}", run.err);
    assert!(
        run.out.contains(&format!("paused {account} (tx ")) && run.out.contains("paused until never"),
        "{}",
        run.out
    );
    Ok(())
}

#[tokio::test]
async fn account_delegate_delegates_an_eoa_and_says_what_is_wrong() -> Result<()> {
    let net = leash_anvil_tests::devnet(leash_anvil_tests::Options::default())?;
    let url = net.anvil.endpoint();
    let eoa = net.key(6);
    let delegate = |key: &PrivateKeySigner| xtask_at(&url, &["account", "delegate", "--key", &key_hex(key)]);

    // A chain without LeashEOAAccount: said so, nothing sent.
    let run = delegate(&eoa);
    assert!(!run.ok);
    assert!(run.err.starts_with("error: no LeashEOAAccount at 0x"), "{}", run.err);
    assert!(run.err.contains(" on chain 31337: deploy there"), "{}", run.err);
    ensure!(net.provider.get_code_at(eoa.address()).await?.is_empty());

    // A key without ETH: its address, its balance, and what the delegation needs.
    let implementation = net.deploy_eoa_account().await?;
    let broke = PrivateKeySigner::random();
    delegate(&broke).refused_unfunded("the EOA's", broke.address(), "the delegation");

    // Delegated: the designator, in words; a second run sends nothing.
    let run = delegate(&eoa);
    assert!(run.ok, "{}", run.err);
    assert!(
        run.out
            .starts_with(&format!("{} now delegates to LeashEOAAccount at {implementation}", eoa.address())),
        "{}",
        run.out
    );
    let designator = leash::eip7702::designator(implementation);
    assert!(run.out.contains(&format!("its code is {designator}")), "{}", run.out);
    assert_eq!(net.provider.get_code_at(eoa.address()).await?, designator);
    let nonce = net.provider.get_transaction_count(eoa.address()).await?;
    let run = delegate(&eoa);
    assert!(
        run.ok
            && run.out.contains("already delegates to LeashEOAAccount")
            && run.out.contains("nothing sent"),
        "{}",
        run.out
    );
    assert_eq!(net.provider.get_transaction_count(eoa.address()).await?, nonce);
    Ok(())
}

/// `agent status|rotate|revoke|allowance` as the authority runs them, on an account with
/// AgentValidator installed (no agent yet, 0.1 ether of gas allowance): each change read back with
/// `agent status` and on chain, and one refused input per command, said in one sentence.
#[tokio::test]
async fn agent_rotate_revoke_allowance_and_status_through_the_commands() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let bed = SessionBed::new(net, owner, parse_ether("0.1")?).await?;
    let url = bed.net.anvil.endpoint();
    let (account, authority) = (bed.owner.account.to_string(), bed.authority.address());
    let key = key_hex(&bed.authority);
    let agent = |subcommand: &str, extra: &[&str]| {
        let mut args = vec!["agent", subcommand, "--account", &account];
        args.extend_from_slice(extra);
        xtask_at(&url, &args)
    };
    let on_chain = || ops::agent_status(&bed.net.provider, bed.modules.validator, bed.owner.account);
    let status_with = |agent: &str, allowance: &str| {
        format!("agent of {account}: {agent}\ngas allowance: {allowance}\nauthority: {authority}\n")
    };

    // status before any agent.
    let before = agent("status", &[]);
    assert!(before.ok, "{}", before.err);
    assert_eq!(
        before.out,
        status_with("no agent (none set, or revoked)", "0.1 ether (100000000000000000 wei)")
    );

    // rotate: the zero address refused before sending; a key not the authority's refused in words.
    let zero = agent("rotate", &["--agent", &Address::ZERO.to_string(), "--authority-key", &key]);
    assert!(!zero.ok);
    assert_eq!(
        zero.err,
        "error: the agent cannot be the zero address: to take the agent's key away, revoke it (`agent revoke`)\n"
    );
    let first = PrivateKeySigner::random().address();
    let stranger = bed.net.key(4);
    let wrong = agent("rotate", &["--agent", &first.to_string(), "--authority-key", &key_hex(&stranger)]);
    assert!(!wrong.ok);
    assert_eq!(
        wrong.err,
        format!(
            "error: making {first} the agent of {account} was refused: only the authority {authority} may make this change (caller {})\n",
            stranger.address()
        )
    );
    assert!(on_chain().await?.agent.is_zero(), "nothing was sent");
    let rotate = agent("rotate", &["--agent", &first.to_string(), "--authority-key", &key]);
    assert!(rotate.ok, "{}", rotate.err);
    assert!(
        rotate.out.starts_with(&format!("{first} is now the agent of {account} (tx 0x")),
        "{}",
        rotate.out
    );
    assert!(rotate.out.ends_with(&status_with(&first.to_string(), "0.1 ether (100000000000000000 wei)")));
    assert_eq!(on_chain().await?.agent, first);
    let after = agent("status", &[]);
    assert_eq!(after.out, status_with(&first.to_string(), "0.1 ether (100000000000000000 wei)"));
    let json: serde_json::Value = serde_json::from_str(&agent("status", &["--json"]).succeeded().out)?;
    assert_eq!(json["agent"]["key"], serde_json::json!(first), "{json}");
    assert_eq!(json["agent"]["gas_allowance"]["units"], "100000000000000000", "{json}");
    assert_eq!((json["installed"].as_bool(), json["tx"].is_null()), (Some(true), true), "{json}");

    // revoke, with the key from LEASH_AUTHORITY_KEY; then nothing is left to revoke.
    let revoke = xtask_with(
        &url,
        &["agent", "revoke", "--account", &account],
        &[("LEASH_AUTHORITY_KEY", key.as_str())],
    );
    assert!(revoke.ok, "{}", revoke.err);
    assert!(revoke.out.starts_with(&format!("revoked the agent key of {account} (tx 0x")), "{}", revoke.out);
    assert!(on_chain().await?.agent.is_zero());
    let none = agent("status", &[]);
    assert!(
        none.out.starts_with(&format!("agent of {account}: no agent (none set, or revoked)\n")),
        "{}",
        none.out
    );
    let again = agent("revoke", &["--authority-key", &key]);
    assert!(!again.ok);
    assert_eq!(
        again.err,
        format!("error: {account} has no agent key (none set, or revoked already): nothing to revoke\n")
    );

    // allowance: a negative amount and garbage refused with the reason; 0.25 ether set and read back.
    let negative = agent("allowance", &["--set", "-1", "--authority-key", &key]);
    assert!(!negative.ok);
    assert_eq!(negative.err, "error: --set: `-1` is negative: amounts are at least 0\n");
    let garbage = agent("allowance", &["--set", "lots", "--authority-key", &key]);
    assert!(
        !garbage.ok && garbage.err.starts_with("error: --set: `lots` is not an amount with 18 decimals (")
    );
    let set = agent("allowance", &["--set", "0.25", "--authority-key", &key]);
    assert!(set.ok, "{}", set.err);
    assert!(
        set.out.starts_with(&format!(
            "set the agent's gas allowance on {account} to 0.25 ether (250000000000000000 wei) (tx 0x"
        )),
        "{}",
        set.out
    );
    assert_eq!(on_chain().await?.gas_allowance, parse_ether("0.25")?);
    let read = agent("status", &[]);
    assert!(read.out.contains("gas allowance: 0.25 ether (250000000000000000 wei)\n"), "{}", read.out);

    // status of an account without AgentValidator: said so.
    let bare = bed.net.test_account(PrivateKeySigner::random()).await?.account;
    let other = xtask_at(&url, &["agent", "status", "--account", &bare.to_string()]);
    assert!(other.ok, "{}", other.err);
    assert_eq!(other.out, format!("AgentValidator is not installed on {bare}\n"));
    Ok(())
}

/// `policy encode|install|show` of a file with `[agent]` (subscription.toml): the encoding prints
/// AgentValidator's payload first, the install puts it on the account with the rest in one
/// operation, `agent status` and `policy show` read the file's agent back, and a second install,
/// or an agent that is the account itself, is refused in one sentence with nothing sent.
#[tokio::test]
async fn policy_install_of_an_agent_section_installs_the_agents_key() -> Result<()> {
    let (net, owner) = test_bed().await?;
    net.provider.anvil_set_balance(owner.signer.address(), parse_ether("10")?).await?;
    let (modules, _) = net.deploy_leash().await?;
    let url = net.anvil.endpoint();
    let agent = PrivateKeySigner::random().address();
    let authority = net.anvil.addresses()[1];
    let sets = |agent: Address| {
        [
            ("AUTHORITY", authority),
            ("USDC", Address::with_last_byte(0xc1)),
            ("KEEPER", net.anvil.addresses()[3]),
            ("AGENT", agent),
        ]
        .iter()
        .flat_map(|(k, v)| ["--set".to_string(), format!("{k}={v}")])
        .collect::<Vec<_>>()
    };
    let file = "examples/subscription.toml";
    let (account, owner_key) = (owner.account.to_string(), key_hex(&owner.signer));
    let install = |agent: Address| {
        let mut args = vec!["policy", "install", file, "--account", &account, "--owner-key", &owner_key];
        let sets = sets(agent);
        args.extend(sets.iter().map(String::as_str));
        xtask_at(&url, &args)
    };

    let mut args = vec!["policy", "encode", file];
    let encode_sets = sets(agent);
    args.extend(encode_sets.iter().map(String::as_str));
    // Offline: the module addresses from the deployment record.
    let output =
        Command::new(env!("CARGO_BIN_EXE_xtask")).args(&args).current_dir(project_root()).output()?;
    let encode = Run {
        ok: output.status.success(),
        out: String::from_utf8_lossy(&output.stdout).into_owned(),
        err: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(encode.ok, "{}", encode.err);
    let init: Bytes = (authority, agent, parse_ether("0.05")?).abi_encode_params().into();
    let validator = format!(
        "\nAgentValidator (validator)\n  module:      {}\n  module type: 1\n  init data:   {init}\n",
        modules.validator
    );
    assert!(encode.out.contains(&validator), "{}", encode.out);
    assert!(encode.out.find("AgentValidator") < encode.out.find("PolicyEngine"), "{}", encode.out);

    let itself = install(owner.account);
    assert!(!itself.ok);
    assert_eq!(
        itself.err,
        format!(
            "error: {file}: the agent key is {account}, the account itself: an agent signs with a key of its own\n"
        )
    );

    let first = install(agent);
    assert!(first.ok, "{}", first.err);
    assert!(
        first.out.starts_with(&format!(
            "installing AgentValidator and AutomationExecutor and PolicyEngine on {account} in one operation\n  installed AgentValidator ({})\n",
            modules.validator
        )),
        "{}",
        first.out
    );
    let status = xtask_at(&url, &["agent", "status", "--account", &account]);
    assert_eq!(
        status.out,
        format!(
            "agent of {account}: {agent}\ngas allowance: 0.05 ether (50000000000000000 wei)\nauthority: {authority}\n"
        )
    );
    let show = xtask_at(&url, &["policy", "show", "--account", &account]);
    assert!(show.ok, "{}", show.err);
    assert!(
        show.out.contains(&format!("\n[agent]\nkey = \"{agent}\"\ngas_allowance = \"0.05\"")),
        "{}",
        show.out
    );

    let second = install(agent);
    assert!(!second.ok);
    assert!(
        second.err.starts_with(&format!(
            "error: AgentValidator ({}) is already installed on {account} (agent {agent}, gas allowance 0.05 ether (50000000000000000 wei), authority {authority}): nothing was sent.",
            modules.validator
        )),
        "{}",
        second.err
    );
    Ok(())
}

#[tokio::test]
async fn status_prints_the_sections_and_json_and_says_what_is_wrong() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let url = net.anvil.endpoint();
    let account = owner.account.to_string();
    // A chain without the deployment, then an account with no Leash module, then no account.
    let run = xtask_at(&url, &["status", "--account", &account]);
    assert!(!run.ok && run.err.starts_with("error: no Leash deployment at 0x"), "{}", run.err);
    let (modules, _) = net.deploy_leash().await?;
    let run = xtask_at(&url, &["status", "--account", &account]);
    assert!(run.ok, "{}", run.err);
    assert!(run.out.ends_with("no Leash module installed\n"), "{}", run.out);
    let nobody = Address::with_last_byte(0x77);
    let run = xtask_at(&url, &["status", "--account", &nobody.to_string()]);
    assert!(!run.ok);
    assert_eq!(run.err, format!("error: {nobody} has no code: it is not a deployed ERC-7579 account\n"));

    // 100 USDC a day: the owner spends 60, and 50 more is refused.
    let usdc = net.deploy_token("SixDecimalToken", "USDC").await?;
    leash_anvil_tests::abi::TestToken::new(usdc, net.provider.clone())
        .mint(owner.account, U256::from(1_000_000_000u64))
        .send()
        .await?
        .get_receipt()
        .await?;
    let policy = config::parse_with(
        "status.toml",
        "authority = \"$AUTHORITY\"\n[tokens]\nUSDC = { address = \"$USDC\", decimals = 6 }\n[pause]\nguardian = \"$GUARDIAN\"\n[[spending]]\ntoken = \"USDC\"\nlimits = [ { amount = \"100\", window = \"1d\" } ]\n",
        &vars([("AUTHORITY", net.anvil.addresses()[1]), ("GUARDIAN", net.anvil.addresses()[2]), ("USDC", usdc)]),
    )
    .map_err(|e| eyre::eyre!("{e}"))?;
    ops::install(&owner, &policy, &modules, &leash::errors::TokenBook::of(&policy.tokens)).await?;
    let pay = |amount: u64| leash_anvil_tests::abi::TestToken::transferCall {
        to: Address::with_last_byte(0xa2),
        amount: U256::from(amount),
    };
    let call = |amount| alloy::sol_types::SolCall::abi_encode(&pay(amount));
    ensure!(owner.execute(usdc, U256::ZERO, &call(60_000_000)).await?.success);
    ensure!(!owner.execute(usdc, U256::ZERO, &call(50_000_000)).await?.success);

    let run = xtask_at(&url, &["status", "--account", &account, "--json"]);
    assert!(run.ok, "{}", run.err);
    let json: serde_json::Value = serde_json::from_str(&run.out).expect("stdout is one JSON object");
    assert_eq!(json["hook"], "engine");
    assert_eq!(json["spending"][0]["windows"][0]["spent"]["text"], "60 USDC");
    assert_eq!(json["spending"][0]["left"]["text"], "40 USDC");
    let reason = json["refusals"][0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("spending limit exceeded: tried 50 USDC, 40 USDC left; enough frees up at 20"),
        "{reason}"
    );
    assert_eq!(json["pause"]["paused"], false);

    let run = xtask_at(&url, &["status", "--account", &account]);
    assert!(run.ok, "{}", run.err);
    for part in [
        "hook: engine, authority ",
        "\npause\n",
        "not paused",
        "\nspending\n",
        "60 USDC",
        "40 USDC",
        "\nlast refusals",
        reason,
    ] {
        assert!(run.out.contains(part), "{part:?} in\n{}", run.out);
    }
    Ok(())
}

#[tokio::test]
async fn policy_apply_prints_the_difference_then_sends_only_it() -> Result<()> {
    let w = World::new().await?;
    w.install(&[]).succeeded();
    assert!(!w.live(w.payer.address()).await?, "installed without the authority's key: no session yet");
    let (account, authority) = (w.account(), key_hex(&w.authority));
    let apply = |extra: &[&str]| {
        let mut args = vec!["policy", "apply", EXAMPLE, "--account", &account];
        args.extend_from_slice(extra);
        let sets = w.sets();
        args.extend(sets.iter().map(String::as_str));
        w.xtask(&args)
    };

    // The dry run needs no key, prints the two sessions the file grants and sends nothing.
    let dry = apply(&["--dry-run"]);
    assert!(dry.ok, "{}", dry.err);
    assert!(dry.out.contains("2 change(s) make the live policy of"), "{}", dry.out);
    assert!(dry.out.contains(&format!("+ session of {}", w.payer.address())), "{}", dry.out);
    assert!(dry.out.trim_end().ends_with("(dry run: nothing sent)"), "{}", dry.out);
    let json: serde_json::Value = serde_json::from_str(&apply(&["--dry-run", "--json"]).succeeded().out)?;
    assert_eq!(json["changes"].as_array().map(Vec::len), Some(2), "{json}");
    assert_eq!(json["sent"], serde_json::json!([]), "{json}");
    assert!(!w.live(w.payer.address()).await?);

    // Another key than the file's authority: refused before anything is read or sent.
    let stranger = key_hex(&PrivateKeySigner::random());
    let wrong = apply(&["--authority-key", &stranger]);
    assert!(!wrong.ok && wrong.err.contains("not of the file's authority"), "{}", wrong.err);

    let sent = apply(&["--authority-key", &authority]);
    assert!(sent.ok, "{}", sent.err);
    assert_eq!(sent.out.matches("  sent: + session of ").count(), 2, "{}", sent.out);
    assert!(w.live(w.payer.address()).await? && w.live(w.topper.address()).await?);
    let again = apply(&["--authority-key", &authority]);
    assert!(again.ok && again.out.contains("is the file's: nothing to change"), "{}{}", again.out, again.err);
    Ok(())
}

/// `policy install --bundler-url`: the owner's operation goes through Alto (started against the
/// dev chain, without its ERC-7562 checks, see `tests/anvil/tests/bundler.rs`), so the owner's key
/// needs no ETH; the file's modules are then live. A URL where no bundler answers is one sentence.
#[tokio::test]
async fn policy_install_through_a_bundler() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let (modules, _) = net.deploy_leash().await?;
    ensure!(
        net.provider.get_balance(owner.signer.address()).await?.is_zero(),
        "the owner's key holds no ETH"
    );
    let alto = net
        .start_alto(AltoOptions { entry_points: vec![leash::account::ENTRYPOINT_V08], safe_mode: false })
        .await?;
    let (url, bundler) = (net.anvil.endpoint(), alto.url.to_string());
    let (account, owner_key) = (owner.account.to_string(), key_hex(&owner.signer));
    let agent_key = PrivateKeySigner::random();
    let agent = agent_key.address();
    let sets: Vec<String> = [
        ("AUTHORITY", net.anvil.addresses()[1]),
        ("USDC", Address::with_last_byte(0xc1)),
        ("KEEPER", net.anvil.addresses()[3]),
        ("AGENT", agent),
    ]
    .iter()
    .flat_map(|(k, v)| ["--set".to_string(), format!("{k}={v}")])
    .collect();
    let install = |bundler: &str| {
        let mut args = vec![
            "policy",
            "install",
            "examples/subscription.toml",
            "--account",
            &account,
            "--owner-key",
            &owner_key,
            "--bundler-url",
            bundler,
        ];
        args.extend(sets.iter().map(String::as_str));
        xtask_at(&url, &args)
    };

    let nobody = install("http://127.0.0.1:1");
    assert!(!nobody.ok);
    assert!(nobody.err.starts_with("error: no bundler answers at http://127.0.0.1:1/"), "{}", nobody.err);

    let run = install(&bundler);
    assert!(run.ok, "{}\nalto's log:\n{}", run.err, alto.log_tail());
    assert!(
        run.out.starts_with(&format!(
            "installing AgentValidator and AutomationExecutor and PolicyEngine on {account} in one operation through the bundler at {bundler}\n  installed AgentValidator ({})\n",
            modules.validator
        )),
        "{}",
        run.out
    );
    let status = ops::agent_status(&net.provider, modules.validator, owner.account).await?;
    assert_eq!(status.agent, agent);

    // The agent's own calls through the bundler: a permitted payment goes, one past the limit and
    // one to a target the allowlist does not name are refused in words.
    let pay = |amount: u64| {
        let call = leash::abi::IERC20Metadata::transferCall {
            to: Address::with_last_byte(0xbe),
            value: U256::from(amount * 1_000_000),
        };
        hex::encode_prefixed(alloy::sol_types::SolCall::abi_encode(&call))
    };
    let (usdc, key) = (Address::with_last_byte(0xc1).to_string(), key_hex(&agent_key));
    let send = |to: &str, data: &str| {
        let args = ["agent", "send", "--account", &account, "--to", to, "--data", data];
        xtask_at(&url, &[&args[..], &["--agent-key", &key, "--bundler-url", &bundler]].concat())
    };
    let paid = send(&usdc, &pay(5)).succeeded();
    assert!(paid
        .out
        .starts_with(&format!("the agent's call to {} went through", Address::with_last_byte(0xc1))));
    let over = send(&usdc, &pay(16));
    assert!(!over.ok && over.err.contains("spending limit exceeded"), "{}", over.err);
    let elsewhere = send(&Address::with_last_byte(0x99).to_string(), "0x");
    assert!(!elsewhere.ok && elsewhere.err.contains("was refused"), "{}", elsewhere.err);
    Ok(())
}

/// The README's walk from nothing to a leashed agent, its commands on the dev chain with alto: the
/// owner (no ETH) installs `examples/first-agent.toml` through the bundler, the agent (no ETH)
/// pays within its limit, is refused past it and to another address in words, `status` reads what
/// it spent, and after the guardian's pause the agent is stopped.
#[tokio::test]
async fn the_readme_walk_from_nothing_to_a_leashed_agent() -> Result<()> {
    let (net, owner) = test_bed().await?;
    net.deploy_leash().await?;
    let alto = net
        .start_alto(AltoOptions { entry_points: vec![leash::account::ENTRYPOINT_V08], safe_mode: false })
        .await?;
    let (url, bundler) = (net.anvil.endpoint(), alto.url.to_string());
    let keys = net.anvil.addresses();
    let (guardian, payee, stranger) = (net.key(3), keys[7].to_string(), keys[4].to_string());
    let agent = PrivateKeySigner::random();
    let (account, agent_key) = (owner.account.to_string(), key_hex(&agent));
    let sets = [
        format!("AUTHORITY={}", keys[2]),
        format!("GUARDIAN={}", guardian.address()),
        format!("AGENT={}", agent.address()),
        format!("PAYEE={payee}"),
    ];
    let mut install = vec!["policy", "install", "examples/first-agent.toml", "--account", &account];
    let owner_key = key_hex(&owner.signer);
    install.extend(["--owner-key", &owner_key, "--bundler-url", &bundler]);
    install.extend(sets.iter().flat_map(|s| ["--set", s.as_str()]));
    xtask_at(&url, &install).succeeded();

    let send = |to: &str, value: &str| {
        let args = ["agent", "send", "--account", &account, "--to", to, "--value", value];
        xtask_at(&url, &[&args[..], &["--agent-key", &agent_key, "--bundler-url", &bundler]].concat())
    };
    let paid = send(&payee, "0.4").succeeded();
    assert!(paid.out.starts_with(&format!("the agent's call to {payee} went through (gas ")), "{}", paid.out);
    let over = send(&payee, "0.7");
    assert!(
        !over.ok && over.err.contains("spending limit exceeded: tried 0.7 native, 0.6 native left"),
        "{}",
        over.err
    );
    let elsewhere = send(&stranger, "0.1");
    assert!(!elsewhere.ok && elsewhere.err.contains("is not on the allowlist"), "{}", elsewhere.err);

    let status: serde_json::Value =
        serde_json::from_str(&xtask_at(&url, &["status", "--account", &account, "--json"]).succeeded().out)?;
    assert_eq!(status["spending"][0]["windows"][0]["spent"]["text"], "0.4 native", "{status}");
    assert_eq!(status["spending"][0]["left"]["text"], "0.6 native", "{status}");

    // The guardian's key from an encrypted keystore (`cast wallet import` writes it).
    let dir = std::env::temp_dir().join(format!("leash-keystore-{}", std::process::id()));
    let cast = Command::new(project_root().join("node_modules/.bin/cast"))
        .args([
            "wallet",
            "import",
            "guardian",
            "--private-key",
            &key_hex(&guardian),
            "--unsafe-password",
            "pw",
        ])
        .arg("--keystore-dir")
        .arg(&dir)
        .output()?;
    ensure!(cast.status.success(), "cast wallet import: {}", String::from_utf8_lossy(&cast.stderr));
    let keystore = format!("keystore:{}", dir.join("guardian").display());
    let pause = ["guardian", "pause", "--account", &account, "--guardian-key", &keystore];
    let no_password = xtask_at(&url, &pause);
    assert!(
        !no_password.ok && no_password.err.contains("set LEASH_KEYSTORE_PASSWORD to decrypt"),
        "{}",
        no_password.err
    );
    xtask_with(&url, &pause, &[("LEASH_KEYSTORE_PASSWORD", "pw")]).succeeded();
    std::fs::remove_dir_all(&dir)?;
    let paused = send(&payee, "0.1");
    assert!(!paused.ok && paused.err.contains("paused"), "{}", paused.err);
    Ok(())
}

/// `policy install` and `agent send` on Nexus (EntryPoint v0.7, the owner through a validator
/// module): without `--owner-validator` the install names the account and what to pass; with it,
/// every module goes in, and the agent's payment passes while one past the limit is refused.
#[tokio::test]
async fn policy_install_and_agent_send_on_nexus() -> Result<()> {
    let (net, modules, person, nexus) =
        leash_anvil_tests::account_bed(leash_devnet::accounts::AccountKind::Nexus).await?;
    let account = nexus.account.to_string();
    net.provider.anvil_set_balance(nexus.account, parse_ether("10")?).await?;
    // Six decimals, as the file says: the refusal reads in USDC.
    let usdc = net.deploy_token("SixDecimalToken", "USDC").await?;
    let token = leash_anvil_tests::abi::TestToken::new(usdc, net.provider.clone());
    token.mint(nexus.account, U256::from(1_000_000_000u64)).send().await?.get_receipt().await?;
    let agent_key = PrivateKeySigner::random();
    net.provider.anvil_set_balance(agent_key.address(), parse_ether("1")?).await?;
    let url = net.anvil.endpoint();
    let sets: Vec<String> = [
        ("AUTHORITY", net.anvil.addresses()[1]),
        ("USDC", usdc),
        ("KEEPER", net.anvil.addresses()[3]),
        ("AGENT", agent_key.address()),
    ]
    .iter()
    .flat_map(|(k, v)| ["--set".to_string(), format!("{k}={v}")])
    .collect();
    let owner_key = key_hex(&person);
    let install = |extra: &[&str]| {
        let args = ["policy", "install", "examples/subscription.toml", "--account", &account];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        xtask_at(&url, &[&args[..], &["--owner-key", &owner_key], &sets, extra].concat())
    };

    let missing = install(&[]);
    assert!(!missing.ok);
    assert_eq!(
        missing.err,
        format!("error: {account} is a Nexus account (biconomy.nexus.1.0.0): its owner signs through a validator module, so pass --owner-validator with the address of the validator that holds the owner's key\n")
    );
    let validator = nexus.owner_validator.expect("Nexus's owner validator").to_string();
    let done = install(&["--owner-validator", &validator]).succeeded();
    assert!(
        done.out.contains(&format!("  installed AgentValidator ({})", modules.validator)),
        "{}",
        done.out
    );
    assert!(done.out.contains(&format!("  installed PolicyEngine ({})", modules.engine)), "{}", done.out);

    let key = key_hex(&agent_key);
    let pay = |amount: u64| {
        let call = leash::abi::IERC20Metadata::transferCall {
            to: Address::with_last_byte(0xa2),
            value: U256::from(amount * 1_000_000),
        };
        Bytes::from(alloy::sol_types::SolCall::abi_encode(&call)).to_string()
    };
    let usdc_text = usdc.to_string();
    let send = |data: &str| {
        xtask_at(
            &url,
            &[
                "agent",
                "send",
                "--account",
                &account,
                "--to",
                &usdc_text,
                "--data",
                data,
                "--agent-key",
                &key,
            ],
        )
    };
    let paid = send(&pay(5)).succeeded();
    assert!(paid.out.starts_with(&format!("the agent's call to {usdc} went through")), "{}", paid.out);
    let over = send(&pay(16));
    assert!(
        !over.ok && over.err.contains("spending limit exceeded: tried 16 USDC, 15 USDC left"),
        "{}",
        over.err
    );
    Ok(())
}

/// `policy install`, `policy show` and the session commands as a script reads them: one JSON
/// object on stdout each (the install's progress on stderr), saying what the chain then shows.
#[tokio::test]
async fn the_policy_and_session_commands_print_json() -> Result<()> {
    let w = World::new().await?;
    let parse = |run: Run| -> Result<serde_json::Value> { Ok(serde_json::from_str(&run.succeeded().out)?) };
    let lower = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_lowercase();
    let run = w.install(&["--json"]);
    assert!(run.err.contains("installing PolicyEngine on "), "{}", run.err);
    let installed = parse(run)?;
    let names: Vec<_> =
        installed["installed"].as_array().into_iter().flatten().map(|m| m["name"].clone()).collect();
    assert_eq!(names, vec![serde_json::json!("PolicyEngine")], "{installed}");
    assert_eq!(installed["sessions_granted"], serde_json::json!([]), "{installed}");

    let account = w.account();
    let show = parse(w.xtask(&["policy", "show", "--account", &account, "--json"]))?;
    assert_eq!(
        lower(&show["policy"]["authority"]),
        w.authority.address().to_string().to_lowercase(),
        "{show}"
    );
    assert_eq!(show["policy"]["hook"], serde_json::json!("engine"), "{show}");
    assert_eq!(show["sessions"], serde_json::json!([]), "{show}");

    let payer = w.payer.address();
    let granted = parse(w.session_with("grant", payer, &w.authority, &["--json"]))?;
    assert!(granted["granted"].is_string(), "{granted}");
    assert_eq!(lower(&granted["session"]["agent"]), payer.to_string().to_lowercase(), "{granted}");
    assert!(w.live(payer).await?);
    let show = parse(w.xtask(&["policy", "show", "--account", &account, "--json"]))?;
    assert_eq!(show["sessions"].as_array().map(Vec::len), Some(1), "{show}");

    let topper = w.topper.address();
    let signed = parse(w.session_with("sign", topper, &w.authority, &["--json"]))?;
    let blob: Bytes = signed["enable"].as_str().unwrap_or_default().parse()?;
    assert!(!blob.is_empty() && !w.live(topper).await?, "{signed}");

    let (key, payer_text) = (key_hex(&w.authority), payer.to_string());
    let args = [
        "session",
        "revoke",
        "--account",
        &account,
        "--agent",
        &payer_text,
        "--authority-key",
        &key,
        "--json",
    ];
    let revoked = parse(w.xtask(&args))?;
    assert!(revoked["revoked"].is_string(), "{revoked}");
    assert!(!w.live(payer).await?);
    Ok(())
}

/// The authority's commands as a script reads them: `authority show`, `approve-change` and its
/// withdrawal, and `uninstall` (the dry run's plan, then the removal) each print one JSON object,
/// and the chain agrees with what they say.
#[tokio::test]
async fn the_authoritys_commands_print_json() -> Result<()> {
    let w = World::new().await?;
    w.install(&[]).succeeded();
    let (account, owner_key, authority_key) = (w.account(), key_hex(&w.owner.signer), key_hex(&w.authority));
    let json = |args: &[&str]| -> Result<serde_json::Value> {
        let mut args = args.to_vec();
        args.extend(["--account", &account, "--json"]);
        Ok(serde_json::from_str(&w.xtask(&args).succeeded().out)?)
    };
    let lower = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_lowercase();
    let engine = w.modules.engine.to_string().to_lowercase();

    let show = json(&["authority", "show"])?;
    let held = show["modules"].as_array().cloned().unwrap_or_default();
    assert!(
        held.iter().any(|h| lower(&h["module"]["address"]) == engine
            && lower(&h["authority"]) == w.authority.address().to_string().to_lowercase()),
        "{show}"
    );

    let plan = json(&["uninstall", "--dry-run"])?;
    assert_eq!(lower(&plan["hook"]["module"]["address"]), engine, "{plan}");
    let hash = plan["change_hash"].as_str().unwrap_or_default().to_string();
    assert_eq!(hash.len(), 66, "{plan}");
    let approved = json(&["approve-change", "--hash", &hash, "--authority-key", &authority_key])?;
    assert_eq!(approved["change_hash"].as_str(), Some(hash.as_str()), "{approved}");
    assert!(approved["approved"].is_string(), "{approved}");
    let withdrawn =
        json(&["approve-change", "--hash", &hash, "--revoke", "--authority-key", &authority_key])?;
    assert!(withdrawn["withdrawn"].is_string(), "{withdrawn}");

    let done = json(&["uninstall", "--owner-key", &owner_key, "--authority-key", &authority_key])?;
    assert_eq!(done["removed"], plan["modules"], "{done}");
    assert!(done["approval"].is_string(), "{done}");
    let still = live::module_installed(&w.net.provider, w.owner.account, 4, w.modules.engine).await?;
    assert!(!still, "the engine is off the account");
    Ok(())
}

/// `account create --kind KIND` with `examples/first-agent.toml`, as the README shows it: the
/// account goes where the factory predicts for the owner's key and salt 0, funded, with the leash
/// installed through the bundler in the same command; run again it is not created twice (the
/// install then refuses its validator, installed already); salt 1 gives another account, printed
/// as JSON with `--json`; and the agent (no ETH) pays through the bundler within its limit and is
/// refused past it in the engine's words (on the Safe too, which reports only its own).
async fn account_create_leashes_a_new(kind: &str) -> Result<()> {
    let net = leash_anvil_tests::devnet(leash_anvil_tests::Options {
        no_code_size_limit: true,
        ..Default::default()
    })?;
    let (modules, _) = net.deploy_leash().await?;
    let factories = leash_devnet::accounts::place_factories(&net).await?;
    let factory = factories[kind];
    let flavor = leash::create::KINDS.iter().find(|(k, _)| *k == kind).expect("a kind create makes").1;
    let owner = net.key(4);
    let planned =
        leash::create::Planned::new(&net.provider, flavor, factory, owner.address(), Default::default())
            .await?;
    let account = planned.address.to_string();
    let keys = net.anvil.addresses();
    let agent = PrivateKeySigner::random();
    let alto =
        net.start_alto(AltoOptions { entry_points: vec![flavor.entry_point()], safe_mode: false }).await?;
    let bundler = alto.url.to_string();
    let payee = keys[7].to_string();
    let sets = [
        format!("AUTHORITY={}", keys[2]),
        format!("GUARDIAN={}", keys[3]),
        format!("AGENT={}", agent.address()),
        format!("PAYEE={payee}"),
    ];
    let (owner_key, factory_text) = (key_hex(&owner), factory.factory.to_string());
    // The account and where it comes from, then its leash.
    let mut base = vec!["account", "create", "--kind", kind, "--owner-key", &owner_key, "--fund", "2"];
    base.extend(["--factory", &factory_text]);
    let (bootstrap, validator) =
        (factory.bootstrap.map(|b| b.to_string()), factory.owner_validator.map(|v| v.to_string()));
    if let Some(bootstrap) = &bootstrap {
        base.extend(["--bootstrap", bootstrap]);
    }
    if let Some(validator) = &validator {
        base.extend(["--owner-validator", validator]);
    }
    let safe = factory.singleton.zip(factory.adapter).map(|(s, a)| (s.to_string(), a.to_string()));
    if let Some((singleton, adapter)) = &safe {
        base.extend(["--safe-singleton", singleton, "--safe7579", adapter]);
    }
    let mut args = base.clone();
    args.extend(["--policy", "examples/first-agent.toml", "--bundler-url", &bundler]);
    args.extend(sets.iter().flat_map(|s| ["--set", s.as_str()]));

    let made = xtask_at(&net.anvil.endpoint(), &args).succeeded();
    let opening = format!(
        "the {} account of {} (salt 0) is {account}, from the factory at {factory_text}\n  created (tx ",
        flavor.name(),
        owner.address()
    );
    assert!(made.out.starts_with(&opening), "{}", made.out);
    assert!(made.out.contains("\n  sent it 2 ether (2000000000000000000 wei) (tx "), "{}", made.out);
    let installing = format!(
        "installing AgentValidator and PolicyEngine on {account} in one operation through the bundler at {bundler}\n"
    );
    assert!(made.out.contains(&installing), "{}", made.out);
    assert!(made.out.contains(&format!("  installed PolicyEngine ({})", modules.engine)), "{}", made.out);
    let (detected, _) = leash::account::AccountFlavor::detect(&net.provider, planned.address).await;
    assert_eq!(detected, flavor);
    let status = ops::agent_status(&net.provider, modules.validator, planned.address).await?;
    assert_eq!(status.agent, agent.address());

    let again = xtask_at(&net.anvil.endpoint(), &args);
    assert!(!again.ok, "{}", again.out);
    assert!(again.out.contains(&format!("  {account} exists already: not created again\n")), "{}", again.out);
    assert!(again.err.contains("is already installed on"), "{}", again.err);

    // Another salt, another account of the same owner; --json prints it as one object.
    let other = [&base[..], &["--salt", "1", "--json"]].concat();
    let other = xtask_at(&net.anvil.endpoint(), &other).succeeded();
    let other: serde_json::Value = serde_json::from_str(&other.out)?;
    let salted =
        leash::create::Planned::new(&net.provider, flavor, factory, owner.address(), B256::with_last_byte(1))
            .await?;
    assert_ne!(salted.address, planned.address);
    assert_eq!(other["account"], serde_json::json!(salted.address), "{other}");
    assert_eq!(
        (&other["kind"], &other["salt"], &other["created"]),
        (&serde_json::json!(kind), &serde_json::json!(1), &serde_json::json!(true))
    );
    assert!(salted.exists(&net.provider).await?);

    let agent_key = key_hex(&agent);
    let send = |value: &str| {
        let args = ["agent", "send", "--account", &account, "--to", &payee, "--value", value];
        let through = ["--agent-key", &agent_key, "--bundler-url", &bundler];
        xtask_at(&net.anvil.endpoint(), &[&args[..], &through].concat())
    };
    let paid = send("0.4").succeeded();
    assert!(paid.out.starts_with(&format!("the agent's call to {payee} went through (gas ")), "{}", paid.out);
    // On the Safe too: Safe7579 reports every module's refusal as its own `ExecutionFailed()`, and
    // the command asks the engine why.
    let over = send("0.7");
    let why = "spending limit exceeded: tried 0.7 native, 0.6 native left";
    assert!(!over.ok && over.err.contains(why), "{}", over.err);
    Ok(())
}

/// `account create --kind eoa`: the owner key's own EOA, delegated to LeashEOAAccount and leashed
/// with `examples/first-agent.toml` in one command (its address and balance kept); the agent then
/// pays within its limit and is refused past it. A salt does not apply to an EOA: refused first.
#[tokio::test]
async fn account_create_leashes_an_eoa_where_it_is() -> Result<()> {
    let net = leash_anvil_tests::devnet(leash_anvil_tests::Options::default())?;
    let modules = net.leash_on_v08().await?;
    net.deploy_eoa_account().await?;
    let url = net.anvil.endpoint();
    let (eoa, agent, keys) = (net.key(6), PrivateKeySigner::random(), net.anvil.addresses());
    let (eoa_key, payee) = (key_hex(&eoa), keys[7].to_string());
    let sets = [
        format!("AUTHORITY={}", keys[2]),
        format!("GUARDIAN={}", keys[3]),
        format!("AGENT={}", agent.address()),
        format!("PAYEE={payee}"),
    ];
    let mut args = vec!["account", "create", "--kind", "eoa", "--owner-key", &eoa_key];
    args.extend(["--policy", "examples/first-agent.toml"]);
    args.extend(sets.iter().flat_map(|s| ["--set", s.as_str()]));

    let salted = xtask_at(&url, &[&args[..], &["--salt", "1"]].concat());
    assert_eq!(
        salted.err,
        "error: --kind eoa: --salt does not apply: the account is the owner key's own EOA, delegated where it is\n"
    );
    let before = net.provider.get_balance(eoa.address()).await?;
    let made = xtask_at(&url, &args).succeeded();
    assert!(
        made.out.starts_with(&format!("{} now delegates to LeashEOAAccount at ", eoa.address())),
        "{}",
        made.out
    );
    assert!(made.out.contains("  installed PolicyEngine ("), "{}", made.out);
    assert!(leash::eip7702::delegate_of(&net.provider.get_code_at(eoa.address()).await?).is_some());
    assert!(net.provider.get_balance(eoa.address()).await? < before, "its own ETH paid, on its own address");
    let status = ops::agent_status(&net.provider, modules.validator, eoa.address()).await?;
    assert_eq!(status.agent, agent.address());

    // The agent's key pays handleOps itself here (no bundler), so it needs ETH.
    net.provider.anvil_set_balance(agent.address(), parse_ether("1")?).await?;
    let (account, agent_key) = (eoa.address().to_string(), key_hex(&agent));
    let send = |value: &str| {
        let args = ["agent", "send", "--account", &account, "--to", &payee, "--value", value];
        xtask_at(&url, &[&args[..], &["--agent-key", &agent_key]].concat())
    };
    send("0.4").succeeded();
    let over = send("0.7");
    assert!(
        !over.ok && over.err.contains("spending limit exceeded: tried 0.7 native, 0.6 native left"),
        "{}",
        over.err
    );
    Ok(())
}

// One test per kind, each on its own chain (they run in parallel).
macro_rules! account_create_cases {
    ($($name:ident => $kind:literal),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() -> Result<()> {
                account_create_leashes_a_new($kind).await
            }
        )+
    };
}

account_create_cases!(
    account_create_leashes_a_new_openzeppelin_account => "oz",
    account_create_leashes_a_new_nexus_account => "nexus",
    account_create_leashes_a_new_reference_account => "msa",
    account_create_leashes_a_new_safe => "safe",
    account_create_leashes_a_new_kernel_account => "kernel",
);

/// What `account create` refuses, each in a sentence before anything is sent: a kind it does
/// not make, a chain whose deployment record names no factory, and a factory address with no code.
#[tokio::test]
async fn account_create_refuses_in_words() -> Result<()> {
    // A chain id no deployment record is kept for.
    let net = leash_anvil_tests::devnet(leash_anvil_tests::Options {
        chain_id: Some(424_242),
        ..Default::default()
    })?;
    let url = net.anvil.endpoint();
    let owner_key = key_hex(&net.key(4));
    let create = |extra: &[&str]| {
        xtask_at(&url, &[&["account", "create", "--owner-key", &owner_key][..], extra].concat())
    };
    let unknown = create(&["--kind", "wallet"]);
    assert!(!unknown.ok);
    assert_eq!(
        unknown.err,
        "error: --kind wallet: not a kind `account create` makes (oz, nexus, msa, safe, kernel or eoa)\n"
    );
    let missing = create(&["--kind", "nexus"]);
    assert!(!missing.ok);
    assert_eq!(
        missing.err,
        "error: no Nexus account factory known on chain 424242: deployments/424242.json records none for `nexus`. On the local chain `cargo xtask deploy --keep-running` places and records one; elsewhere pass --factory (with --bootstrap and --owner-validator for nexus, msa and safe, --safe-singleton and --safe7579 for safe, and --owner-validator for kernel)\n"
    );
    let nowhere = Address::with_last_byte(0xfa).to_string();
    let empty = create(&["--kind", "oz", "--factory", &nowhere]);
    assert!(!empty.ok);
    assert_eq!(
        empty.err,
        format!("error: no OpenZeppelin ERC-7579 account factory at {nowhere} on chain 424242 (it holds no code): pass the right --factory or --rpc-url, or on the local chain run `cargo xtask deploy --keep-running`, which places one\n")
    );
    Ok(())
}
