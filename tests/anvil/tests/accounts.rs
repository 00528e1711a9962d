//! `policy install` beyond the OpenZeppelin account: on Nexus, the ERC-7579 reference account and
//! Safe7579 (EntryPoint v0.7, the owner through a validator module) the account is recognised by its
//! `accountId()`, the owner's operation is routed through the owner's validator, every module goes
//! in with one operation, and the agent's payments pass through AgentValidator and the leash.

use alloy::primitives::{address, Address, U256};
use alloy::providers::ext::AnvilApi;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use eyre::Result;
use leash::abi::IERC20Metadata;
use leash::account::{owner_sender, AccountFlavor, UserOpSender};
use leash::errors::{LeashRevert, TokenBook};
use leash::ops;
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::{subscription, usdc_for};
use leash_devnet::accounts::AccountKind;

cases!(installs_on:
    subscription_installs_on_nexus => AccountKind::Nexus,
    subscription_installs_on_the_reference_account => AccountKind::Reference,
    subscription_installs_on_safe7579 => AccountKind::Safe,
    subscription_installs_on_kernel => AccountKind::Kernel,
);

async fn installs_on(kind: AccountKind) -> Result<()> {
    let (net, modules, person, deployed) = leash_anvil_tests::account_bed(kind).await?;
    let account = deployed.account;
    net.provider.anvil_set_balance(account, U256::from(10u64).pow(U256::from(19u64))).await?;
    let usdc = usdc_for(&net, account, 1_000_000_000).await?;
    let token = TestToken::new(usdc, net.provider.clone());
    let agent_key = PrivateKeySigner::random();
    let policy = subscription(&net, usdc, agent_key.address())?;
    let book = TokenBook::of(&policy.tokens);

    // Recognised by its accountId: EntryPoint v0.7, and the owner needs a validator.
    let (flavor, id) = AccountFlavor::detect(&net.provider, account).await;
    assert_eq!(flavor, kind.flavor(), "{id}");
    assert_eq!(flavor.entry_point(), deployed.entry_point);
    if kind != AccountKind::Kernel {
        // Kernel's nonce key 0 reaches the owner's root validation; the others need the validator.
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
    }
    let owner = owner_sender(net.provider.clone(), flavor, &id, account, person, deployed.owner_validator)?;
    assert_eq!(owner.nonce_key, deployed.owner_nonce_key);

    let installed = ops::install(&owner, &policy, &modules, &book).await?;
    let expected: Vec<Address> = policy.install_payloads(&modules).iter().map(|p| p.module).collect();
    assert_eq!(installed.modules.iter().map(|(_, m)| *m).collect::<Vec<_>>(), expected);
    // On Kernel the hook is the agent's validation's, not listed as the account's.
    for p in policy
        .install_payloads(&modules)
        .into_iter()
        .filter(|p| kind != AccountKind::Kernel || p.module_type != 4)
    {
        let listed = leash::live::module_installed(&net.provider, account, p.module_type, p.module).await?;
        assert!(listed, "{} on {kind}", p.label);
    }

    // The agent's own key through AgentValidator, on this account's nonce-key layout.
    let mut agent = UserOpSender::new(net.provider.clone(), flavor.entry_point(), account, agent_key)
        .nonce_key(flavor.nonce_key(modules.validator));
    if flavor == AccountFlavor::Kernel {
        // Kernel runs a validation's hook only for UserOps through `executeUserOp`.
        agent = agent.through_execute_user_op();
    }
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
        // Safe7579 reports any module's revert as its own ExecutionFailed().
        assert_eq!(refusal, LeashRevert::Safe7579ExecutionFailed);
    } else {
        let words = refusal.describe(&book);
        assert!(words.starts_with("spending limit exceeded: tried 16 USDC, 15 USDC left"), "{words}");
    }
    assert_eq!(token.balanceOf(merchant).call().await?, U256::from(5_000_000u64));
    // What is left fits exactly: the limit, not something else, refused the 16.
    let rest = agent.execute(usdc, U256::ZERO, &transfer(15_000_000)).await?;
    assert!(rest.success, "{:?}", rest.refusal());
    assert_eq!(token.balanceOf(merchant).call().await?, U256::from(20_000_000u64));
    Ok(())
}

cases!(agent_added_on:
    agent_add_on_nexus => AccountKind::Nexus,
    agent_add_on_safe7579 => AccountKind::Safe,
);

/// `agent add` beyond the OpenZeppelin account: the subscription without its `[agent]` installed
/// through the owner's validator, then AgentValidator added under the engine's authority (the
/// authority approves the exact install at the hook, the owner's operation runs it); the agent's
/// key then pays within the leash and is refused past it.
async fn agent_added_on(kind: AccountKind) -> Result<()> {
    let (net, modules, person, deployed) = leash_anvil_tests::account_bed(kind).await?;
    let account = deployed.account;
    net.provider.anvil_set_balance(account, U256::from(10u64).pow(U256::from(19u64))).await?;
    let usdc = usdc_for(&net, account, 1_000_000_000).await?;
    let agent_key = PrivateKeySigner::random();
    let mut policy = subscription(&net, usdc, agent_key.address())?;
    let agent = policy.agent.take().expect("the subscription names an agent");
    let (flavor, id) = AccountFlavor::detect(&net.provider, account).await;
    let owner = owner_sender(net.provider.clone(), flavor, &id, account, person, deployed.owner_validator)?;
    ops::install(&owner, &policy, &modules, &TokenBook::of(&policy.tokens)).await?;

    let authority = net.anvil.addresses()[1];
    leash::admin::add_agent(&owner, &net.wallet(1), authority, &modules, agent.clone()).await?;
    let status = ops::agent_status(&net.provider, modules.validator, account).await?;
    assert_eq!(
        (status.agent, status.gas_allowance, status.authority),
        (agent.key, agent.gas_allowance, authority)
    );

    let agents = UserOpSender::new(net.provider.clone(), flavor.entry_point(), account, agent_key)
        .nonce_key(flavor.nonce_key(modules.validator));
    let merchant = address!("0x000000000000000000000000000000000000beef");
    let transfer =
        |value: u64| IERC20Metadata::transferCall { to: merchant, value: U256::from(value) }.abi_encode();
    let paid = agents.execute(usdc, U256::ZERO, &transfer(20_000_000)).await?;
    assert!(paid.success, "{:?}", paid.refusal());
    let over = agents.execute(usdc, U256::ZERO, &transfer(1)).await?;
    assert!(!over.success, "past the limit");
    assert_eq!(
        TestToken::new(usdc, net.provider.clone()).balanceOf(merchant).call().await?,
        U256::from(20_000_000u64)
    );
    Ok(())
}
