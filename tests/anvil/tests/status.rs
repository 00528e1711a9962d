//! `status`'s one read of an account ([`leash::status::read`]) on the dev chain, on either hook:
//! a USDC policy of 100 an hour and 150 a day, the agent's key spending 60 and refused 50; the
//! status then reads what each window spent, what is left, when more and when all of it frees up
//! (the hook's own times, the same the refusal gave), the refusal in words from the EntryPoint's
//! events, the keeper's task and its next run, the session and the agent's gas allowance; a
//! guardian's pause; two hours on, the hourly window has nothing spent and the daily one still
//! has. An account with no Leash module reads as such, and the JSON holds the same figures.

use alloy::primitives::utils::parse_ether;
use alloy::primitives::{Address, U256};
use alloy::providers::ext::AnvilApi;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use eyre::{ensure, Result};
use leash::abi::SpendingLimitHook::SpendingLimitHookErrors as S;
use leash::errors::{utc, LeashRevert, TokenBook};
use leash::ops;
use leash::provider::Confirm;
use leash::status::{self, AccountStatus};
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::sessions::{vars, SessionBed};
use leash_anvil_tests::{modules_bed, policy, test_bed};

/// The chain's clock once the account is set up (2030).
const START: u64 = 1_900_000_000;
const USDC: u64 = 1_000_000;

const POLICY: &str = r#"
authority = "$AUTHORITY"

[tokens]
USDC = { address = "$USDC", decimals = 6 }

[pause]
guardian = "$GUARDIAN"

[[spending]]
token = "USDC"
limits = [ { amount = "100", window = "1h" }, { amount = "150", window = "1d" } ]

[[tasks]]
id = 1
caller = "$KEEPER"
target = "$PAYEE"
call = "0x"
cooldown = "6h"
max_executions = 3
"#;

const SESSION: &str = r#"
[[session]]
agent = "$HELPER"
valid_until = 1900086400
max_uses = 4

[[session.call]]
target = "$PAYEE"
function = "plain"
"#;

/// The account on `hook`, its policy installed, the agent's key set, 60 USDC spent by the agent and
/// 50 refused; the keeper's task run once; on the engine, a session granted.
struct Scene {
    bed: SessionBed,
    usdc: Address,
    agent: PrivateKeySigner,
    /// The time at which the refused 50 USDC fits, as the refusal said.
    refused_fits_at: U256,
}

async fn scene(hook: &str) -> Result<Scene> {
    let (net, owner) = test_bed().await?;
    let bed = SessionBed::new(net, owner, parse_ether("0.1")?).await?;
    let (net, account) = (&bed.net, bed.owner.account);
    let usdc = net.deploy_token("SixDecimalToken", "USDC").await?;
    TestToken::new(usdc, net.provider.clone())
        .mint(account, U256::from(1_000 * USDC))
        .send()
        .await?
        .confirmed()
        .await?;
    net.provider.anvil_set_next_block_timestamp(START).await?;
    net.provider.evm_mine(None).await?;
    let (agent, helper) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    let names = vars([
        ("AUTHORITY", bed.authority.address()),
        ("GUARDIAN", net.anvil.addresses()[2]),
        ("KEEPER", net.anvil.addresses()[3]),
        ("PAYEE", Address::with_last_byte(0xa1)),
        ("USDC", usdc),
        ("HELPER", helper.address()),
    ]);
    let text = format!("hook = \"{hook}\"\n{POLICY}{}", if hook == "engine" { SESSION } else { "" });
    let policy = policy("status.toml", &text, &names)?;
    let book = TokenBook::of(&policy.tokens);
    bed.install(&policy, &book).await?;
    let authority = bed.authority_wallet();
    ops::set_agent(&authority, bed.modules.validator, account, agent.address()).await?;
    bed.grant_all(&policy, &book).await?;
    ops::task_run(&net.wallet(3), bed.modules.automation, account, 1, &book).await?;

    let agent_ops = bed.owner.clone().signed_by(agent.clone()).via_validator(bed.modules.validator);
    let pay = |amount: u64| {
        TestToken::transferCall { to: Address::with_last_byte(0xa2), amount: U256::from(amount * USDC) }
            .abi_encode()
    };
    ensure!(agent_ops.execute(usdc, U256::ZERO, &pay(60)).await?.success, "60 of 100 fits");
    let refused = agent_ops.execute(usdc, U256::ZERO, &pay(50)).await?;
    let refused_fits_at = match refused.refusal() {
        Some(LeashRevert::Spending(S::SpendingLimit_Exceeded(e))) => e.availableAt,
        other => panic!("expected the spending limit's refusal, got {other:?}"),
    };
    Ok(Scene { bed, usdc, agent, refused_fits_at })
}

async fn read(scene: &Scene) -> Result<AccountStatus> {
    let bed = &scene.bed;
    status::read(&bed.net.provider, bed.owner.account, &bed.modules, status::REFUSAL_BLOCKS).await
}

async fn reads_what_is_spent_left_and_when_it_frees_up(hook: &str) -> Result<()> {
    let scene = scene(hook).await?;
    let (bed, usdc) = (&scene.bed, scene.usdc);
    let s = read(&scene).await?;
    let now = s.time.unix.expect("a time");
    assert!(s.installed);
    assert_eq!(s.hook, Some(hook));
    assert_eq!(s.authority, Some(bed.authority.address()));

    // USDC: both windows spent 60; 40 left (the hourly limit); more fits when the spend leaves the
    // hourly window (when the refused 50 fits), all of it when it leaves the daily one.
    assert_eq!(s.spending.len(), 1);
    let t = &s.spending[0];
    assert_eq!((t.token, t.name.as_str()), (usdc, "USDC"));
    let windows: Vec<(u64, &str, &str)> =
        t.windows.iter().map(|w| (w.seconds, w.limit.text.as_str(), w.spent.text.as_str())).collect();
    assert_eq!(windows, vec![(3_600, "100 USDC", "60 USDC"), (86_400, "150 USDC", "60 USDC")]);
    assert_eq!((t.left.units.as_str(), t.left.text.as_str()), ("40000000", "40 USDC"));
    let more = t.more_at.clone().expect("more frees up");
    let all = t.all_at.clone().expect("all frees up");
    assert_eq!(U256::from(more.unix.expect("a time")), scene.refused_fits_at);
    assert_eq!(more.utc, utc(scene.refused_fits_at));
    let (more, all) = (more.unix.unwrap(), all.unix.expect("a time"));
    assert!(more > now && more <= now + 3_600 + 900, "{more} vs {now}");
    assert!(all >= now + 86_400 && all <= now + 86_400 + 21_600, "{all} vs {now}");

    // The refusal, in words, from the EntryPoint's event.
    assert_eq!(s.refusals.len(), 1, "{:?}", s.refusals);
    let r = &s.refusals[0];
    assert_eq!(
        r.reason,
        format!(
            "spending limit exceeded: tried 50 USDC, 40 USDC left; enough frees up at {}",
            utc(scene.refused_fits_at)
        )
    );
    assert!(r.time.unix.is_some_and(|t| t >= START && t <= now), "{r:?}");
    assert!(r.block <= s.block);

    // The task ran once at its keeper's hand; its next run is the cooldown later.
    assert_eq!(s.tasks.len(), 1);
    let task = &s.tasks[0];
    assert_eq!((task.id, task.runs, task.max_runs, task.can_run), (1, 1, 3, false));
    assert_eq!(task.blocker, "cooling down");
    let next = task.next_run.as_ref().and_then(|t| t.unix).expect("a next run");
    assert!(next > now && next <= START + 6 * 3_600 + 60, "{next}");

    // The session (the engine's only): its expiry and uses.
    if hook == "engine" {
        assert_eq!(s.sessions.len(), 1);
        let session = &s.sessions[0];
        assert_eq!((session.state.as_str(), session.uses, session.max_uses), ("live", 0, 4));
        assert_eq!(session.valid_until.unix, Some(START + 86_400));
    } else {
        assert!(s.sessions.is_empty());
    }

    // The agent's key and its allowance (fee-less operations cost it nothing).
    let agent = s.agent.as_ref().expect("AgentValidator is installed");
    assert_eq!(agent.key, Some(scene.agent.address()));
    assert_eq!(agent.gas_allowance.units, parse_ether("0.1")?.to_string());
    assert_eq!(agent.gas_allowance.text, "0.1 ether (100000000000000000 wei)");

    // Not paused, then paused by the guardian.
    let pause = s.pause.as_ref().expect("a guardian");
    assert!(!pause.paused && pause.until.is_none());
    assert_eq!(pause.guardian, bed.net.anvil.addresses()[2]);
    ops::pause(&bed.net.wallet(2), &bed.modules, bed.owner.account).await?;
    let paused = read(&scene).await?.pause.expect("a guardian");
    assert!(paused.paused);
    assert_eq!(paused.until.as_ref().map(|u| u.utc.as_str()), Some("never (until someone acts)"));

    // Two hours on: the hourly window has nothing spent, the daily one still its 60.
    bed.net.provider.anvil_increase_time(7_200).await?;
    bed.net.provider.evm_mine(None).await?;
    let later = read(&scene).await?;
    let t = &later.spending[0];
    let spent: Vec<&str> = t.windows.iter().map(|w| w.spent.text.as_str()).collect();
    assert_eq!(spent, vec!["0 USDC", "60 USDC"]);
    assert_eq!(t.left.text, "90 USDC");
    Ok(())
}

cases!(reads_what_is_spent_left_and_when_it_frees_up:
    status_on_the_engine => "engine",
    status_on_the_multiplexer => "multiplexer",
);

#[tokio::test]
async fn status_json_holds_the_same_figures() -> Result<()> {
    let scene = scene("engine").await?;
    let s = read(&scene).await?;
    let json: serde_json::Value = serde_json::from_str(&serde_json::to_string(&s)?)?;
    assert_eq!(json["installed"], true);
    assert_eq!(json["hook"], "engine");
    let address = |v: &serde_json::Value| v.as_str().and_then(|a| a.parse::<Address>().ok());
    assert_eq!(address(&json["account"]), Some(scene.bed.owner.account));
    let usdc = &json["spending"][0];
    assert_eq!(usdc["left"]["units"], "40000000");
    assert_eq!(usdc["windows"][0]["spent"]["units"], "60000000");
    assert_eq!(usdc["windows"][1]["seconds"], 86_400);
    assert_eq!(usdc["more_at"]["unix"], scene.refused_fits_at.to::<u64>());
    assert_eq!(json["pause"]["paused"], false);
    assert_eq!(json["pause"]["until"], serde_json::Value::Null);
    assert_eq!(address(&json["agent"]["key"]), Some(scene.agent.address()));
    assert_eq!(json["tasks"][0]["blocker"], "cooling down");
    assert!(json["refusals"][0]["reason"].as_str().is_some_and(|r| r.starts_with("spending limit exceeded")));
    Ok(())
}

#[tokio::test]
async fn an_account_with_no_leash_reads_as_such() -> Result<()> {
    let (net, owner, modules) = modules_bed().await?;
    let s = status::read(&net.provider, owner.account, &modules, status::REFUSAL_BLOCKS).await?;
    assert!(!s.installed && s.hook.is_none() && s.pause.is_none() && s.agent.is_none());
    // An address with no code is not an account: said so.
    let nobody = Address::with_last_byte(0x77);
    let err = status::read(&net.provider, nobody, &modules, 10).await.expect_err("no code");
    assert_eq!(err.to_string(), format!("{nobody} has no code: it is not a deployed ERC-7579 account"));
    Ok(())
}
