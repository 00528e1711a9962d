//! The operator's commands beyond the OpenZeppelin account: on Nexus, the ERC-7579 reference
//! account, Safe7579 and Kernel (EntryPoint v0.7, the owner through a validator module or Kernel's
//! root validation) the account is recognised by its `accountId()`, the owner's operation is routed
//! its way, `policy install` puts every module in with one operation, and the agent's payments pass
//! through AgentValidator and the leash; `agent add` and `uninstall` on the others.

use alloy::primitives::{address, Address, B256, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue};
use eyre::Result;
use leash::abi::IERC20Metadata;
use leash::account::{detected_owner_sender, owner_sender, AccountFlavor, UserOpSender};
use leash::addresses::ModuleAddresses;
use leash::config::PolicyConfig;
use leash::create::Planned;
use leash::errors::{LeashRevert, TokenBook};
use leash::ops;
use leash::provider::Confirm;
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::{subscription, usdc_for};
use leash_devnet::accounts::{AccountKind, DeployedAccount};
use leash_devnet::Devnet;

cases!(installs_on:
    subscription_installs_on_nexus => AccountKind::Nexus,
    subscription_installs_on_the_reference_account => AccountKind::Reference,
    subscription_installs_on_safe7579 => AccountKind::Safe,
    subscription_installs_on_kernel => AccountKind::Kernel,
);

/// An account of a kind with 10 ETH and 1,000 USDC (18 decimals as the test token has, 6 as the
/// file says), every module deployed, and `examples/subscription.toml` for a fresh agent key.
struct Bed {
    net: Devnet,
    modules: ModuleAddresses,
    person: PrivateKeySigner,
    deployed: DeployedAccount,
    usdc: Address,
    agent_key: PrivateKeySigner,
    policy: PolicyConfig,
}

impl Bed {
    async fn new(kind: AccountKind) -> Result<Self> {
        let (net, modules, person, deployed) = leash_anvil_tests::account_bed(kind).await?;
        net.provider.anvil_set_balance(deployed.account, U256::from(10u64).pow(U256::from(19u64))).await?;
        let usdc = usdc_for(&net, deployed.account, 1_000_000_000).await?;
        let agent_key = PrivateKeySigner::random();
        let policy = subscription(&net, usdc, agent_key.address())?;
        Ok(Self { net, modules, person, deployed, usdc, agent_key, policy })
    }

    /// The owner's operations, through its validator where the account needs one.
    async fn owner(&self) -> Result<UserOpSender<DynProvider>> {
        let (net, deployed) = (&self.net, &self.deployed);
        detected_owner_sender(
            net.provider.clone(),
            deployed.account,
            self.person.clone(),
            deployed.owner_validator,
        )
        .await
    }

    /// The agent's operations through AgentValidator, on the account's nonce-key layout.
    fn agent(&self) -> UserOpSender<DynProvider> {
        let flavor = self.deployed.kind.flavor();
        let agent = UserOpSender::new(
            self.net.provider.clone(),
            flavor.entry_point(),
            self.deployed.account,
            self.agent_key.clone(),
        )
        .nonce_key(flavor.nonce_key(self.modules.validator));
        match flavor {
            // Kernel runs a validation's hook only for UserOps through `executeUserOp`.
            AccountFlavor::Kernel => agent.through_execute_user_op(),
            _ => agent,
        }
    }

    async fn paid_to_the_merchant(&self) -> Result<U256> {
        Ok(TestToken::new(self.usdc, self.net.provider.clone()).balanceOf(MERCHANT).call().await?)
    }
}

const MERCHANT: Address = address!("0x000000000000000000000000000000000000beef");

/// An ERC-20 `transfer` of `value` to the merchant.
fn transfer(value: u64) -> Vec<u8> {
    IERC20Metadata::transferCall { to: MERCHANT, value: U256::from(value) }.abi_encode()
}

async fn installs_on(kind: AccountKind) -> Result<()> {
    let bed = Bed::new(kind).await?;
    let Bed { net, modules, person, deployed, usdc, policy, .. } = &bed;
    let account = deployed.account;
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
    let owner = bed.owner().await?;
    assert_eq!(owner.nonce_key, deployed.owner_nonce_key);

    let installed = ops::install(&owner, policy, modules, &book).await?;
    let expected: Vec<Address> = policy.install_payloads(modules).iter().map(|p| p.module).collect();
    assert_eq!(installed.modules.iter().map(|(_, m)| *m).collect::<Vec<_>>(), expected);
    // On Kernel the hook is the agent's validation's, not listed as the account's: it answers.
    for p in policy.install_payloads(modules) {
        let listed = leash::live::module_installed(&net.provider, account, p.module_type, p.module).await?;
        assert!(listed, "{} on {kind}", p.label);
    }

    // The agent's own key through AgentValidator, on this account's nonce-key layout.
    let agent = bed.agent();
    let paid = agent.execute(*usdc, U256::ZERO, &transfer(5_000_000)).await?;
    assert!(paid.success, "{:?}", paid.refusal());
    assert_eq!(bed.paid_to_the_merchant().await?, U256::from(5_000_000u64));
    let over = agent.execute(*usdc, U256::ZERO, &transfer(16_000_000)).await?;
    assert!(!over.success, "over the limit");
    let refusal = over.refusal().expect("refused");
    if kind == AccountKind::Safe {
        // Safe7579 reports any module's revert as its own ExecutionFailed().
        assert_eq!(refusal, LeashRevert::Safe7579ExecutionFailed);
    }
    // The engine's own words on every account: on the Safe, its verdict on the same call.
    let call = agent.execute_call(*usdc, U256::ZERO, &transfer(16_000_000));
    let words = agent.explain(modules.engine, &call, refusal).await.describe(&book);
    assert!(words.starts_with("spending limit exceeded: tried 16 USDC, 15 USDC left"), "{words}");
    assert_eq!(bed.paid_to_the_merchant().await?, U256::from(5_000_000u64));
    // What is left fits exactly: the limit, not something else, refused the 16.
    let rest = agent.execute(*usdc, U256::ZERO, &transfer(15_000_000)).await?;
    assert!(rest.success, "{:?}", rest.refusal());
    assert_eq!(bed.paid_to_the_merchant().await?, U256::from(20_000_000u64));
    Ok(())
}

cases!(agent_added_on:
    agent_add_on_nexus => AccountKind::Nexus,
    agent_add_on_the_reference_account => AccountKind::Reference,
    agent_add_on_safe7579 => AccountKind::Safe,
);

/// `agent add` beyond the OpenZeppelin account: the subscription without its `[agent]` installed
/// through the owner's validator, then AgentValidator added under the engine's authority (the
/// authority approves the exact install at the hook, the owner's operation runs it); the agent's
/// key then pays within the leash and is refused past it.
async fn agent_added_on(kind: AccountKind) -> Result<()> {
    let mut bed = Bed::new(kind).await?;
    let agent = bed.policy.agent.take().expect("the subscription names an agent");
    let owner = bed.owner().await?;
    let Bed { net, modules, deployed, usdc, policy, .. } = &bed;
    ops::install(&owner, policy, modules, &TokenBook::of(&policy.tokens)).await?;

    let authority = net.anvil.addresses()[1];
    leash::admin::add_agent(&owner, &net.wallet(1), authority, modules, agent.clone()).await?;
    let status = ops::agent_status(&net.provider, modules.validator, deployed.account).await?;
    assert_eq!(
        (status.agent, status.gas_allowance, status.authority),
        (agent.key, agent.gas_allowance, authority)
    );
    let paid = bed.agent().execute(*usdc, U256::ZERO, &transfer(20_000_000)).await?;
    assert!(paid.success, "{:?}", paid.refusal());
    let over = bed.agent().execute(*usdc, U256::ZERO, &transfer(1)).await?;
    assert!(!over.success, "past the limit");
    assert_eq!(bed.paid_to_the_merchant().await?, U256::from(20_000_000u64));
    Ok(())
}

cases!(uninstalled_from:
    uninstall_from_nexus => AccountKind::Nexus,
    uninstall_from_the_reference_account => AccountKind::Reference,
    uninstall_from_safe7579 => AccountKind::Safe,
);

/// `uninstall` beyond the OpenZeppelin account: the authority approves the exact removal, the
/// owner's one operation through its validator takes every Leash module off in the account's own
/// form (a listed module's predecessor, here another validator of the owner's, not the list's head;
/// Safe7579's hook kind), and the policy installs again.
async fn uninstalled_from(kind: AccountKind) -> Result<()> {
    let bed = Bed::new(kind).await?;
    let owner = bed.owner().await?;
    let Bed { net, modules, deployed, policy, .. } = &bed;
    let book = TokenBook::of(&policy.tokens);
    ops::install(&owner, policy, modules, &book).await?;
    // A validator of the owner's own, installed after AgentValidator (approved at the engine):
    // the list now names it before AgentValidator, whose removal must name it as its predecessor.
    let (account, authority) = (deployed.account, net.anvil.addresses()[1]);
    let other = leash_devnet::deploy_code(&net.provider, net.test_contract_code("OwnerValidator")?).await?;
    let init = alloy::primitives::Bytes::from(bed.person.address().abi_encode());
    let install_other = leash::abi::IERC7579ModuleConfig::installModuleCall {
        moduleTypeId: U256::from(1u64),
        module: other,
        initData: init,
    }
    .abi_encode();
    let hash = leash::admin::change_hash(&install_other);
    leash::admin::approve_change(&net.wallet(1), modules, account, modules.engine, hash).await?;
    let installed = owner.submit(install_other.into()).await?;
    assert!(installed.success, "{:?}", installed.refusal());

    let removed = leash::admin::uninstall(&owner, &net.wallet(1), authority, modules).await?;
    assert!(removed.approval.is_some(), "approved at the engine");
    let payloads = policy.install_payloads(modules);
    assert_eq!(removed.removed.len(), payloads.len());
    for p in &payloads {
        let listed =
            leash::live::module_installed(&net.provider, deployed.account, p.module_type, p.module).await?;
        assert!(!listed, "{} still on {kind}", p.label);
    }
    assert!(leash::live::module_installed(&net.provider, account, 1, other).await?, "the owner's own stays");
    // Each module forgot the account: the same file installs again from nothing.
    ops::install(&owner, policy, modules, &book).await?;
    Ok(())
}

/// Kernel tells no hook when the validation carrying it goes, and installs a hook only if it does
/// not hold the account yet: after the wallet took the agent's validation and the executor off
/// (its own way, no hook asked), the engine still
/// holds the account, so a new install (which would leave the old policy in force) is refused in
/// words and nothing is sent; `agent add`, which would install the validation alone, is too.
#[tokio::test]
async fn kernel_refuses_an_install_over_a_hook_it_still_holds() -> Result<()> {
    let bed = Bed::new(AccountKind::Kernel).await?;
    let owner = bed.owner().await?;
    let Bed { net, modules, deployed, policy, .. } = &bed;
    let book = TokenBook::of(&policy.tokens);
    ops::install(&owner, policy, modules, &book).await?;
    // The wallet's own removal of the agent's validation and the executor: Kernel's root
    // validation runs no hook.
    let executor = leash::admin::module_named(modules, "automation")?;
    for removal in [
        leash::kernel::uninstall_validator(modules.validator),
        leash::admin::uninstall_module_call(&executor, alloy::primitives::Bytes::new()),
    ] {
        let removed = owner.submit(removal).await?;
        assert!(removed.success, "{:?}", removed.refusal());
    }
    assert!(!leash::live::module_installed(&net.provider, deployed.account, 1, modules.validator).await?);
    assert!(!leash::live::module_installed(&net.provider, deployed.account, 2, modules.automation).await?);

    let again = ops::install(&owner, policy, modules, &book).await.expect_err("a stale hook");
    assert!(
        again.to_string().starts_with(&format!(
            "PolicyEngine ({}) still holds {} from an earlier install: Kernel tells no hook",
            modules.engine, deployed.account
        )),
        "{again}"
    );
    assert!(!leash::live::module_installed(&net.provider, deployed.account, 1, modules.validator).await?);
    let agent = policy.agent.clone().expect("an agent");
    let add = leash::admin::add_agent(&owner, &net.wallet(1), net.anvil.addresses()[1], modules, agent).await;
    assert!(add.expect_err("Kernel").to_string().contains("AgentValidator goes in with the policy"));
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
