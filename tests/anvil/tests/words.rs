//! An operator's mistakes, each read back as the sentence it gives on the dev chain: a node that
//! does not answer, a key without the ETH its transaction costs (the guardian's kill switch first),
//! a chain where the deployment record's modules have no code, and the owner-key mistakes the
//! EntryPoint reports as `AA20` to `AA25`.

use alloy::primitives::{Address, Bytes, FixedBytes, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use eyre::{ensure, Result};
use leash::account::ENTRYPOINT_V08;
use leash::addresses::ModuleAddresses;
use leash::config::{self, PolicyConfig};
use leash::errors::{Refused, TokenBook};
use leash::provider::{connect, with_wallet, Unfunded};
use leash::{live, ops};
use leash_anvil_tests::sessions::vars;
use leash_anvil_tests::{
    devnet, modules_bed, pause_policy, project_root, test_bed, Devnet, Options, UserOpSender,
};

/// The words of a refused UserOp (the EntryPoint's `FailedOp`, decoded).
fn refusal_words(err: &eyre::Report) -> String {
    err.downcast_ref::<Refused>().unwrap_or_else(|| panic!("expected a refusal, got: {err:#}")).words.clone()
}

/// A provider that signs with a fresh key holding no ETH, and that key.
fn unfunded_key(net: &Devnet) -> (DynProvider, PrivateKeySigner) {
    let key = PrivateKeySigner::random();
    (with_wallet(net.anvil.endpoint_url(), key.clone()), key)
}

/// The words of an unfunded key's error, checked to open with `whose` key, its 0 ETH and what
/// `what` needs.
fn unfunded_words(err: &eyre::Report, whose: &str, key: Address, what: &str) -> String {
    let words = err.to_string();
    let opening = format!("{whose} key {key} has 0 ETH on chain 31337, and {what} needs about ");
    assert!(words.starts_with(&opening), "{words}");
    words
}

#[tokio::test]
async fn a_node_that_does_not_answer_is_one_sentence_naming_the_url_and_the_fix() -> Result<()> {
    let url = {
        let net = devnet(Options::default())?;
        net.anvil.endpoint()
    }; // the node has stopped: its port answers nothing
    let err = connect(&url, None).await.expect_err("no node answers");
    assert_eq!(
        err.to_string(),
        format!(
            "no node answers at {url}: start one there (`cargo xtask deploy --keep-running` serves one at http://127.0.0.1:8545) or pass --rpc-url with the URL of a running node"
        )
    );
    assert_eq!(err.chain().count(), 1, "no transport error under the sentence: {err:#}");
    // The same command against a live node connects.
    let net = devnet(Options::default())?;
    assert_eq!(connect(&net.anvil.endpoint(), None).await?.get_chain_id().await?, 31_337);
    Ok(())
}

#[tokio::test]
async fn an_unfunded_guardian_is_told_its_address_balance_and_what_the_pause_costs() -> Result<()> {
    let (net, owner, modules) = modules_bed().await?;
    let (guardian, guardian_key) = unfunded_key(&net);
    let vars = vars([
        ("AUTHORITY", net.anvil.addresses()[1]),
        ("GUARDIAN", guardian_key.address()),
        ("USDC", net.deploy_token("TestToken", "USDC").await?),
        ("COLD_WALLET", Address::with_last_byte(0x78)),
    ]);
    let policy: PolicyConfig = config::load(&project_root().join("examples/treasury.toml"), &vars)
        .map_err(|e| eyre::eyre!("{e}"))?;
    ops::install(&owner, &policy, &modules, &TokenBook::default()).await?;

    let err = ops::pause(&guardian, &modules, owner.account).await.expect_err("no ETH for gas");
    let unfunded = err.downcast_ref::<Unfunded>().unwrap_or_else(|| panic!("{err:#}")).clone();
    assert!(unfunded.gas > 21_000 && unfunded.fee_per_gas > 0, "{unfunded:?}");
    let err = Unfunded::name_key(err, &guardian, guardian_key.address()).await;
    let need = unfunded.need();
    let words =
        unfunded_words(&err, "the guardian's (or the authority's)", guardian_key.address(), "the pause");
    assert!(words.contains(&format!("({} gas at ", unfunded.gas)), "{words}");
    assert!(words.ends_with("then run this again"), "{words}");

    // Half of it is still short, and says what it holds now.
    net.provider.anvil_set_balance(guardian_key.address(), need / U256::from(2)).await?;
    let err = ops::pause(&guardian, &modules, owner.account).await.expect_err("half the cost");
    let err = Unfunded::name_key(err, &guardian, guardian_key.address()).await;
    let named = err.downcast_ref::<Unfunded>().expect("still unfunded");
    assert_eq!(named.key, Some((guardian_key.address(), need / U256::from(2))));
    // What the sentence asks for is enough: the kill switch then works.
    net.provider.anvil_set_balance(guardian_key.address(), need).await?;
    ops::pause(&guardian, &modules, owner.account).await?;
    assert!(ops::pause_status(&guardian, &modules, owner.account).await?.paused);
    Ok(())
}

#[tokio::test]
async fn an_unfunded_handle_ops_sender_is_told_what_it_needs() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let (submitter, key) = unfunded_key(&net);
    let sender = UserOpSender { provider: submitter.clone(), ..owner.clone() };
    let err = sender.execute(Address::with_last_byte(0x99), U256::ZERO, &[]).await.expect_err("no ETH");
    let err = Unfunded::name_key(err, &submitter, key.address()).await;
    let words = unfunded_words(&err, "the handleOps sender's", key.address(), "handleOps");
    assert!(words.contains("(15000000 gas at "), "{words}");
    // The owner's own operation, sent by the funded key, goes through.
    ensure!(owner.execute(Address::with_last_byte(0x99), U256::ZERO, &[]).await?.success);
    Ok(())
}

#[tokio::test]
async fn a_chain_without_the_deployment_says_so_instead_of_not_installed() -> Result<()> {
    let (net, owner) = test_bed().await?;
    // The addresses this build deploys to, which the commands use on a chain with no record (a
    // record left by an earlier build may name others); nothing is deployed there yet.
    let modules = ModuleAddresses::from_plan(&leash::deploy::plan(&project_root().join("out"))?);
    let sentence = |module: Address| {
        format!(
            "no Leash deployment at {module} on chain 31337: deploy there (`cargo xtask deploy --rpc-url …`) or pass the right --rpc-url"
        )
    };
    let account = owner.account;
    let p = &net.provider;
    let err = ops::pause_status(p, &modules, account).await.expect_err("guardian status");
    assert_eq!(err.to_string(), sentence(modules.pause));
    let err = ops::task_status(p, modules.automation, account, 1).await.expect_err("task status");
    assert_eq!(err.to_string(), sentence(modules.automation));
    let err = live::read(p, account, &modules).await.expect_err("policy show");
    assert_eq!(err.to_string(), sentence(modules.engine));
    let err = live::sessions(p, modules.engine, account).await.expect_err("session show");
    assert_eq!(err.to_string(), sentence(modules.engine));
    let err = ops::revoke_session(p, modules.engine, account, Address::with_last_byte(1))
        .await
        .expect_err("a transaction to no code would succeed doing nothing");
    assert_eq!(err.to_string(), sentence(modules.engine));

    let policy = pause_policy(Address::with_last_byte(1), Address::with_last_byte(2))?;
    let err =
        ops::install(&owner, &policy, &modules, &TokenBook::default()).await.expect_err("policy install");
    assert_eq!(err.to_string(), sentence(modules.engine));

    // Deployed, the same account reads as what it is: no Leash module installed.
    let (deployed, _) = net.deploy_leash().await?;
    assert_eq!(deployed, modules);
    let err = ops::pause_status(p, &modules, account).await.expect_err("no guardian");
    assert!(err.to_string().starts_with(&format!("{account} has no guardian")), "{err}");
    assert!(live::read(p, account, &modules).await?.authority.is_zero());
    Ok(())
}

#[tokio::test]
async fn owner_key_mistakes_reported_by_the_entry_point_read_as_their_fix() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let target = Address::with_last_byte(0x99);

    // AA24: a key that is not the account's owner.
    let err = owner.clone().signed_by(PrivateKeySigner::random()).execute(target, U256::ZERO, &[]).await;
    let words = refusal_words(&err.expect_err("not the owner"));
    assert_eq!(
        words,
        "the EntryPoint refused the UserOp: AA24 signature error: the --owner-key is not an owner of this account (or, for an agent's operation, its key is not the agent's nor a live session's): sign with the account's own key"
    );

    // AA20: an account address with no code on this chain.
    let nowhere =
        UserOpSender::new(net.provider.clone(), ENTRYPOINT_V08, Address::with_last_byte(0xab), net.key(5))
            .bundler(net.bundler());
    let words = refusal_words(&nowhere.execute(target, U256::ZERO, &[]).await.expect_err("no account"));
    assert!(words.contains("AA20 account not deployed: no account is deployed at the operation's sender on this chain: check --account and --rpc-url"), "{words}");

    // AA25: a nonce the account is not at.
    let mut op = owner.user_op(leash::account::execute_single(target, U256::ZERO, &[])).await?;
    op.nonce += U256::from(1);
    owner.sign(&mut op, &owner.signer).await?;
    let words = refusal_words(&owner.handle_op(op).await.expect_err("nonce ahead"));
    assert!(
        words.contains("AA25 invalid account nonce: the operation's nonce is not the account's next one"),
        "{words}"
    );

    // AA21: an operation with fees, from an account holding nothing.
    net.provider.anvil_set_balance(owner.account, U256::ZERO).await?;
    let mut op = owner.user_op(leash::account::execute_single(target, U256::ZERO, &[])).await?;
    let gwei = 1_000_000_000u128;
    let mut fees = [0u8; 32];
    fees[..16].copy_from_slice(&gwei.to_be_bytes());
    fees[16..].copy_from_slice(&gwei.to_be_bytes());
    op.gasFees = FixedBytes(fees);
    owner.sign(&mut op, &owner.signer).await?;
    let words = refusal_words(&owner.handle_op(op).await.expect_err("no prefund"));
    assert!(
        words
            .contains("AA21 didn't pay prefund: the account cannot pay for its operation's gas: send it ETH"),
        "{words}"
    );
    net.provider.anvil_set_balance(owner.account, U256::from(10u64).pow(U256::from(18))).await?;

    // AA23: the validator the operation names reverts (AgentValidator, on an account with no Leash
    // hook, refuses every operation of the agent's key).
    let (modules, _) = net.deploy_leash().await?;
    let agent = PrivateKeySigner::random();
    let init: Bytes = (net.anvil.addresses()[1], agent.address(), U256::ZERO).abi_encode_params().into();
    ensure!(owner.install_module(1, modules.validator, init).await?.success);
    let as_agent = owner.clone().signed_by(agent).via_validator(modules.validator);
    let words = refusal_words(&as_agent.execute(target, U256::ZERO, &[]).await.expect_err("no hook"));
    assert!(words.contains("AA23 reverted: the account's validation reverted"), "{words}");
    let inner = format!("(the agent's key acts only while the leash is installed on {})", owner.account);
    assert!(words.ends_with(&inner), "{words}");
    Ok(())
}
