//! Sessions through real UserOps on the dev chain: two agents' sessions on one account (the
//! policy engine as its hook, AgentValidator installed for sessions only), granted from a policy
//! file by the authority's transaction and by its signature carried in the agent's first
//! operation; calls within the rules pass, others are refused by rule, by call, by uses, by the
//! usage window, by expiry and after revocation; the live sessions are read back.

use alloy::primitives::utils::parse_ether;
use alloy::primitives::{Address, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use eyre::{ensure, Result};
use leash::abi::IPolicyEngine::IPolicyEngineErrors as G;
use leash::account::OpOutcome;
use leash::config::{self, PolicyConfig};
use leash::errors::{LeashRevert, TokenBook};
use leash::provider::Confirm;
use leash::{live, ops};
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::sessions::{vars, SessionBed};
use leash_anvil_tests::{policy, test_bed, UserOpSender};

const DAY: u64 = 86_400;
/// The chain's clock once the account is set up (2030): the policy file's times count from it.
const START: u64 = 1_900_000_000;

/// The engine's refusal of an executed operation.
fn engine_refusal(outcome: &OpOutcome) -> G {
    match outcome.refusal() {
        Some(LeashRevert::Engine(e)) => e,
        other => panic!("expected the engine's refusal, got {other:?}"),
    }
}

fn transfer(to: Address, amount: u64) -> Vec<u8> {
    TestToken::transferCall { to, amount: U256::from(amount) }.abi_encode()
}

#[tokio::test]
async fn two_sessions_through_real_user_ops() -> Result<()> {
    let (net, owner) = test_bed().await?;
    // AgentValidator with no account-wide agent: sessions only.
    let bed = SessionBed::new(net, owner, parse_ether("0.1")?).await?;
    let (net, owner, modules) = (&bed.net, &bed.owner, bed.modules);
    let usdc = net.deploy_token("TestToken", "USDC").await?;
    let account = owner.account;
    TestToken::new(usdc, net.provider.clone())
        .mint(account, U256::from(1_000_000_000u64))
        .send()
        .await?
        .confirmed()
        .await?;
    net.provider
        .send_transaction(
            alloy::rpc::types::TransactionRequest::default().to(account).value(parse_ether("10")?),
        )
        .await?
        .confirmed()
        .await?;
    let (authority_key, authority) = (&bed.authority, bed.authority_wallet());
    let (payer_key, topper_key) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    let [p1, p2, p3] = [0xa1, 0xa2, 0xa3].map(Address::with_last_byte);
    // The policy file's times count from START.
    net.provider.anvil_set_next_block_timestamp(START).await?;
    net.provider.evm_mine(None).await?;
    let names = vars([
        ("AUTHORITY", authority_key.address()),
        ("USDC", usdc),
        ("GUARDIAN", net.anvil.addresses()[2]),
        ("PAYER", payer_key.address()),
        ("TOPPER", topper_key.address()),
        ("PAYEE_1", p1),
        ("PAYEE_2", p2),
        ("PAYEE_3", p3),
    ]);
    let policy: PolicyConfig = policy("sessions.toml", include_str!("policies/sessions.toml"), &names)?;
    policy.check_account(account).map_err(|e| eyre::eyre!(e))?;
    let book = TokenBook([(usdc, ("USDC".to_string(), 6))].into_iter().collect());
    bed.install(&policy, &book).await?;
    let (payer_session, topper_session) = (&policy.sessions[0], &policy.sessions[1]);

    // The payer's session, granted by the authority's transaction.
    ops::grant_session(&authority, modules.engine, account, payer_session, &book).await?;
    let payer = bed.agent(&payer_key);
    ensure!(payer.execute(usdc, U256::ZERO, &transfer(p1, 60_000_000)).await?.success, "a listed payee");
    // Refused by rule: a payee not listed (rule 0), an amount over 100 USDC (rule 1).
    match engine_refusal(&payer.execute(usdc, U256::ZERO, &transfer(p3, 1)).await?) {
        G::Session_ParamRuleBroken(e) => assert_eq!((e.rule, e.target), (U256::ZERO, usdc)),
        other => panic!("{other:?}"),
    }
    match engine_refusal(&payer.execute(usdc, U256::ZERO, &transfer(p2, 100_000_001)).await?) {
        G::Session_ParamRuleBroken(e) => assert_eq!(e.rule, U256::from(1)),
        other => panic!("{other:?}"),
    }
    // A call the session does not list.
    let unlisted = TestToken::balanceOfCall { owner: p1 }.abi_encode();
    assert!(matches!(
        engine_refusal(&payer.execute(usdc, U256::ZERO, &unlisted).await?),
        G::Session_CallNotPermitted(_)
    ));
    ensure!(payer.execute(usdc, U256::ZERO, &transfer(p2, 100_000_000)).await?.success);
    // The session's own limit: 250 a day, 160 spent.
    let status =
        ops::session_status(&net.provider, modules.engine, account, payer_key.address(), &[usdc]).await?;
    assert_eq!(
        (status.uses, status.max_uses, status.remaining.clone()),
        (U256::from(2), U256::from(3), vec![(usdc, U256::from(90_000_000u64))])
    );
    assert!(status.describe(&book).contains("may still move: 90 USDC"), "{}", status.describe(&book));
    ensure!(payer.execute(usdc, U256::ZERO, &transfer(p1, 90_000_000)).await?.success);
    // Uses: three of three made.
    assert!(matches!(
        engine_refusal(&payer.execute(usdc, U256::ZERO, &transfer(p1, 1)).await?),
        G::Session_UsesExceeded(_)
    ));

    // The topper's session, enabled in its first operation by the authority's signature.
    let blob =
        ops::sign_session(&net.provider, modules.engine, account, topper_session, authority_key).await?;
    let topper = bed.agent(&topper_key).with_enable(Some(blob.clone()));
    let tenth = parse_ether("0.1")?;
    ensure!(topper.execute(p3, tenth, &[]).await?.success, "enabled in the first operation");
    let topper = topper.with_enable(None);
    ensure!(topper.execute(p3, tenth, &[]).await?.success);
    assert!(matches!(
        engine_refusal(&topper.execute(p3, tenth, &[]).await?),
        G::Session_UsageWindowExceeded(_)
    ));
    // Another agent's key cannot act as the topper's session.
    let impostor = owner.clone().signed_by(payer_key.clone()).via_validator(modules.validator);
    let impostor = UserOpSender { session: Some(topper_key.address()), ..impostor };
    assert!(impostor.execute(p3, tenth, &[]).await.is_err(), "validation refuses another key");

    // The live sessions read back, each grant from its transaction (the topper's from handleOps).
    let sessions = live::sessions(&net.provider, modules.engine, account).await?;
    assert_eq!(
        sessions.iter().map(|s| s.agent).collect::<Vec<_>>(),
        vec![payer_key.address(), topper_key.address()]
    );
    let read = live::read(&net.provider, account, &modules).await?;
    assert_eq!(read.sessions, policy.sessions);

    // Expiry: a day on, the payer's operations are refused at validation; the topper's window is fresh.
    net.provider.anvil_increase_time(DAY + 1).await?;
    net.provider.evm_mine(None).await?;
    let payer_status =
        ops::session_status(&net.provider, modules.engine, account, payer_key.address(), &[]).await?;
    assert!(payer_status.describe(&book).contains("expired"));
    assert!(payer.execute(usdc, U256::ZERO, &transfer(p1, 1)).await.is_err(), "expired");
    ensure!(topper.execute(p3, tenth, &[]).await?.success);

    // Revoked: the topper's operations fail validation, and its used grant cannot be replayed.
    ops::revoke_session(&authority, modules.engine, account, topper_key.address()).await?;
    assert!(topper.execute(p3, tenth, &[]).await.is_err(), "revoked");
    assert!(topper.clone().with_enable(Some(blob)).execute(p3, tenth, &[]).await.is_err(), "no replay");
    // What remains listed: the payer's grant, expired (not revoked: it stays until replaced).
    let sessions = live::sessions(&net.provider, modules.engine, account).await?;
    assert_eq!(sessions.iter().map(|s| s.agent).collect::<Vec<_>>(), vec![payer_key.address()]);
    assert!(sessions[0].describe(&book).contains("expired"));
    Ok(())
}

/// The session examples installed and granted on the dev chain read back as written.
#[tokio::test]
async fn the_session_examples_install_grant_and_read_back() -> Result<()> {
    for example in ["session-payments.toml", "session-swap.toml"] {
        let (net, owner) = test_bed().await?;
        let bed = SessionBed::new(net, owner, U256::ZERO).await?;
        let usdc = bed.net.deploy_token("TestToken", "USDC").await?;
        let vars = vars([
            ("AUTHORITY", bed.authority.address()),
            ("GUARDIAN", bed.net.anvil.addresses()[2]),
            ("USDC", usdc),
            ("WETH", Address::with_last_byte(0xee)),
            ("ROUTER", Address::with_last_byte(0x77)),
            ("AGENT", Address::with_last_byte(0xa0)),
            ("TOP_UP_AGENT", Address::with_last_byte(0xa9)),
            ("PAYEE_A", Address::with_last_byte(0xa1)),
            ("PAYEE_B", Address::with_last_byte(0xa2)),
            ("PAYEE_C", Address::with_last_byte(0xa3)),
        ]);
        let path = leash_anvil_tests::project_root().join("examples").join(example);
        let policy = config::load(&path, &vars).map_err(|e| eyre::eyre!("{e}"))?;
        let book = TokenBook::default();
        bed.install(&policy, &book).await?;
        bed.grant_all(&policy, &book).await?;
        let (net, owner, modules) = (&bed.net, &bed.owner, bed.modules);
        let read = live::read(&net.provider, owner.account, &modules).await?;
        assert_eq!(read.sessions, policy.sessions, "{example}");
        // And the file `policy show` writes reads back to the same sessions, each call's selector
        // named by the signature the file wrote.
        let text = live::to_toml_named(&read, &config::Signatures::load(&path)?);
        let again = config::parse("shown.toml", &text).map_err(|e| eyre::eyre!("{e}\n{text}"))?;
        assert_eq!(again.sessions, policy.sessions, "{example}");
        let named: &[(&str, &str)] = match example {
            "session-payments.toml" => &[("0xa9059cbb", "transfer(address,uint256)")],
            _ => &[
                ("0x095ea7b3", "approve(address,uint256)"),
                (
                    "0x414bf389",
                    "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
                ),
            ],
        };
        for (selector, signature) in named {
            let line = format!("function = \"{selector}\"  # {signature}\n");
            assert!(text.contains(&line), "{example}: no `{line}` in\n{text}");
        }
    }
    Ok(())
}
