//! `policy install` beyond the OpenZeppelin account: on Nexus, the ERC-7579 reference account and
//! a Safe with Safe7579 (EntryPoint v0.7, the owner through a validator module) the account is
//! recognised by its `accountId()`, the owner's operation is routed through the owner's validator,
//! every module goes in with one operation (on the Safe the hook as its global hook), and the
//! agent's payments pass through AgentValidator and the leash.

use std::collections::BTreeMap;

use alloy::primitives::{address, Address, Bytes, B256, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use eyre::Result;
use leash::abi::{IERC20Metadata, IERC7579ModuleConfig};
use leash::account::{hook_context, owner_sender, AccountFlavor, UserOpSender};
use leash::config;
use leash::create::Planned;
use leash::errors::{LeashRevert, TokenBook};
use leash::ops;
use leash::provider::Confirm;
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::project_root;
use leash_devnet::accounts::AccountKind;

cases!(installs_on:
    subscription_installs_on_nexus => AccountKind::Nexus,
    subscription_installs_on_the_reference_account => AccountKind::Reference,
    subscription_installs_on_a_safe => AccountKind::Safe,
);

async fn installs_on(kind: AccountKind) -> Result<()> {
    let (net, modules, person, deployed) = leash_anvil_tests::account_bed(kind).await?;
    let account = deployed.account;
    net.provider.anvil_set_balance(account, U256::from(10u64).pow(U256::from(19u64))).await?;
    let usdc = net.deploy_token("TestToken", "USDC").await?;
    let token = TestToken::new(usdc, net.provider.clone());
    token.mint(account, U256::from(1_000_000_000u64)).send().await?.confirmed().await?;
    let agent_key = PrivateKeySigner::random();
    let mut vars = BTreeMap::new();
    for (i, name) in ["AUTHORITY", "GUARDIAN", "KEEPER"].iter().enumerate() {
        vars.insert(name.to_string(), net.anvil.addresses()[i + 1]);
    }
    vars.insert("USDC".into(), usdc);
    vars.insert("AGENT".into(), agent_key.address());
    let policy = config::load(&project_root().join("examples/subscription.toml"), &vars)
        .map_err(|e| eyre::eyre!("{e}"))?;
    let book = TokenBook::of(&policy.tokens);

    // Recognised by its accountId: EntryPoint v0.7, and the owner needs a validator.
    let (flavor, id) = AccountFlavor::detect(&net.provider, account).await;
    assert_eq!(flavor, kind.flavor(), "{id}");
    assert_eq!(flavor.entry_point(), deployed.entry_point);
    let missing = owner_sender(net.provider.clone(), flavor, &id, account, person.clone(), None)
        .err()
        .expect("no owner validator");
    assert_eq!(
        missing.to_string(),
        format!(
            "{account} is a {} account ({id}): its owner signs through a validator module, so pass --owner-validator with the address of the validator that holds the owner's key",
            flavor.name()
        )
    );
    let owner = owner_sender(net.provider.clone(), flavor, &id, account, person, deployed.owner_validator)?;
    assert_eq!(owner.nonce_key, deployed.owner_nonce_key);

    let installed = ops::install(&owner, &policy, &modules, &book).await?;
    let expected: Vec<Address> = policy.install_payloads(&modules).iter().map(|p| p.module).collect();
    assert_eq!(installed.modules.iter().map(|(_, m)| *m).collect::<Vec<_>>(), expected);
    let config = IERC7579ModuleConfig::new(account, net.provider.clone());
    for p in policy.install_payloads(&modules) {
        // Safe7579 answers for its global hook only with that context.
        let context =
            if p.module_type == config::MODULE_TYPE_HOOK { hook_context(flavor) } else { Bytes::new() };
        let listed = config.isModuleInstalled(U256::from(p.module_type), p.module, context).call().await?;
        assert!(listed, "{} on {kind}", p.label);
    }

    // The agent's own key through AgentValidator, on this account's nonce-key layout.
    let agent = UserOpSender::new(net.provider.clone(), flavor.entry_point(), account, agent_key)
        .nonce_key(flavor.nonce_key(modules.validator));
    let merchant = address!("0x000000000000000000000000000000000000beef");
    let transfer =
        |value: u64| IERC20Metadata::transferCall { to: merchant, value: U256::from(value) }.abi_encode();
    let paid = agent.execute(usdc, U256::ZERO, &transfer(5_000_000)).await?;
    assert!(paid.success, "{:?}", paid.refusal());
    assert_eq!(token.balanceOf(merchant).call().await?, U256::from(5_000_000u64));
    let over = agent.execute(usdc, U256::ZERO, &transfer(16_000_000)).await?;
    assert!(!over.success, "over the limit");
    let refusal = over.refusal().expect("refused");
    if kind == AccountKind::Safe {
        // Safe7579 reports every execution's revert as its own error.
        assert_eq!(refusal, LeashRevert::Safe7579ExecutionFailed);
    } else {
        let words = refusal.describe(&book);
        assert!(words.starts_with("spending limit exceeded: tried 16 USDC, 15 USDC left"), "{words}");
    }
    assert_eq!(token.balanceOf(merchant).call().await?, U256::from(5_000_000u64));
    Ok(())
}

/// A Safe whose proxy the factory made but whose launchpad setup never ran is no account yet:
/// `Planned::exists` says so, and `create` sets it up without making a second proxy.
#[tokio::test]
async fn a_safe_left_on_the_launchpad_is_set_up_by_create() -> Result<()> {
    let net = leash_anvil_tests::devnet(leash_anvil_tests::Options {
        no_code_size_limit: true,
        ..Default::default()
    })?;
    let factories = leash_devnet::accounts::place_factories(&net).await?;
    let person = net.key(4);
    let planned =
        Planned::new(&net.provider, AccountFlavor::Safe7579, factories["safe"], person.address(), B256::ZERO)
            .await?;
    // The factory's transaction alone: the proxy is there, on the launchpad.
    let factory_only =
        TransactionRequest::default().to(planned.factory.factory).input(planned.call.clone().into());
    net.provider.send_transaction(factory_only).await?.confirmed().await?;
    assert!(!net.provider.get_code_at(planned.address).await?.is_empty());
    assert!(!planned.exists(&net.provider).await?);

    let created = planned.create(&net.provider, &person).await?;
    assert!(created.receipt.is_none(), "no second proxy");
    assert!(created.setup.is_some_and(|s| s.success));
    assert!(planned.exists(&net.provider).await?);
    let (flavor, id) = AccountFlavor::detect(&net.provider, planned.address).await;
    assert_eq!(flavor, AccountFlavor::Safe7579, "{id}");
    Ok(())
}
