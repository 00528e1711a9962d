//! The agent's key at AgentValidator, through the library calls the `agent` commands make: the
//! status read before and after a rotation, the rotated key acting on the leashed account and the
//! old one no more, a revocation, the gas allowance set and read back and charged, and each bad
//! input and a key that is not the authority's refused in words; a policy file's `[agent]` refused
//! on Kernel, where `policy install` cannot carry it.

use alloy::primitives::utils::parse_ether;
use alloy::primitives::{Address, FixedBytes, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use eyre::Result;
use leash::abi::ILeashModule::ILeashModuleErrors as L;
use leash::config;
use leash::errors::{LeashRevert, Refused, TokenBook};
use leash::ops::{self, AgentStatus};
use leash_anvil_tests::sessions::SessionBed;
use leash_anvil_tests::{modules_bed, pause_policy, test_bed, UserOpSender};

/// The test account with AgentValidator installed (no agent yet, 0.1 ether of gas allowance, Anvil's
/// key 1 its authority) and the policy engine as its hook, so an agent's key acts.
async fn leashed() -> Result<SessionBed> {
    let (net, owner) = test_bed().await?;
    let bed = SessionBed::new(net, owner, parse_ether("0.1")?).await?;
    let policy = pause_policy(bed.authority.address(), bed.net.anvil.addresses()[2])?;
    bed.install(&policy, &TokenBook::default()).await?;
    Ok(bed)
}

async fn status(bed: &SessionBed) -> Result<AgentStatus> {
    ops::agent_status(&bed.net.provider, bed.modules.validator, bed.owner.account).await
}

/// The account's operations signed by `key` through AgentValidator.
fn signed_by(bed: &SessionBed, key: &PrivateKeySigner) -> UserOpSender<DynProvider> {
    bed.owner.clone().signed_by(key.clone()).via_validator(bed.modules.validator)
}

const GWEI: u64 = 1_000_000_000;

/// `sender`'s payment of 1 wei in a UserOp paying 1 gwei per gas: its maximum cost is its gas
/// limits (9,050,000 gas) at that fee.
async fn pay_with_fees(sender: &UserOpSender<DynProvider>) -> Result<()> {
    let call = leash::account::execute_single(Address::with_last_byte(0xa1), U256::from(1u64), &[]);
    let mut op = sender.user_op(call).await?;
    let fee = u128::from(GWEI).to_be_bytes();
    op.gasFees = FixedBytes([fee, fee].concat().try_into().expect("32 bytes"));
    sender.sign(&mut op, &sender.signer).await?;
    eyre::ensure!(sender.handle_op(op).await?.success, "the payment failed");
    Ok(())
}

/// Whether `sender`'s payment of 1 wei went through.
async fn pays(sender: &UserOpSender<DynProvider>) -> bool {
    let payee = Address::with_last_byte(0xa1);
    sender.execute(payee, U256::from(1u64), &[]).await.is_ok_and(|o| o.success)
}

#[tokio::test]
async fn agent_rotate_then_revoke_and_the_status_follows() -> Result<()> {
    let bed = leashed().await?;
    let (validator, account, authority) = (bed.modules.validator, bed.owner.account, bed.authority_wallet());
    let before = status(&bed).await?;
    assert_eq!(
        before,
        AgentStatus {
            account,
            installed: true,
            agent: Address::ZERO,
            gas_allowance: parse_ether("0.1")?,
            authority: bed.authority.address(),
        }
    );
    assert!(before
        .to_string()
        .starts_with(&format!("agent of {account}: no agent (none set, or revoked)\n")));

    let first = PrivateKeySigner::random();
    ops::set_agent(&authority, validator, account, first.address()).await?;
    let after = status(&bed).await?;
    assert_eq!(after.agent, first.address());
    assert!(after.to_string().starts_with(&format!("agent of {account}: {}\n", first.address())), "{after}");
    assert!(pays(&signed_by(&bed, &first)).await, "the agent's key acts");

    // Rotated: the new key acts, the old one no more.
    let second = PrivateKeySigner::random();
    ops::set_agent(&authority, validator, account, second.address()).await?;
    assert_eq!(status(&bed).await?.agent, second.address());
    assert!(!pays(&signed_by(&bed, &first)).await, "the rotated-out key is refused");
    assert!(pays(&signed_by(&bed, &second)).await);

    ops::revoke_agent(&authority, validator, account).await?;
    let revoked = status(&bed).await?;
    assert!(revoked.agent.is_zero());
    assert!(revoked.to_string().contains("no agent (none set, or revoked)"), "{revoked}");
    assert!(!pays(&signed_by(&bed, &second)).await, "the revoked key is refused");
    // Nothing left to revoke: said so, nothing sent.
    let again = ops::revoke_agent(&authority, validator, account).await.expect_err("no agent key");
    assert_eq!(
        again.to_string(),
        format!("{account} has no agent key (none set, or revoked already): nothing to revoke")
    );
    Ok(())
}

#[tokio::test]
async fn agent_allowance_is_set_read_back_and_charged() -> Result<()> {
    let bed = leashed().await?;
    let (validator, account, authority) = (bed.modules.validator, bed.owner.account, bed.authority_wallet());
    let agent = PrivateKeySigner::random();
    ops::set_agent(&authority, validator, account, agent.address()).await?;

    let quarter = config::parse_amount("0.25", 18, U256::MAX).map_err(|e| eyre::eyre!(e))?;
    ops::set_gas_allowance(&authority, validator, account, quarter).await?;
    let set = status(&bed).await?;
    assert_eq!(set.gas_allowance, parse_ether("0.25")?);
    assert!(set.to_string().contains("gas allowance: 0.25 ether (250000000000000000 wei)\n"), "{set}");

    // The agent's operation with fees is charged its maximum cost against it.
    let cost = U256::from(9_050_000u64 * GWEI);
    pay_with_fees(&signed_by(&bed, &agent)).await?;
    let charged = status(&bed).await?.gas_allowance;
    assert_eq!(charged, quarter - cost);

    // Above the validator's 96 bits: refused before sending, the allowance as it was.
    let too_much = ops::MAX_GAS_ALLOWANCE + U256::from(1u64);
    let err = ops::set_gas_allowance(&authority, validator, account, too_much).await.expect_err("too large");
    assert_eq!(
        err.to_string(),
        "a gas allowance of 79228162514.264337593543950336 ether (79228162514264337593543950336 wei) is above the largest AgentValidator keeps (2^96 - 1 wei, about 79.2 billion ether)"
    );
    assert_eq!(status(&bed).await?.gas_allowance, charged);

    // Below the operation's cost: the agent's next operation is refused for its gas, in words.
    ops::set_gas_allowance(&authority, validator, account, parse_ether("0.005")?).await?;
    let refused = pay_with_fees(&signed_by(&bed, &agent)).await.expect_err("over the allowance");
    assert!(
        refused.to_string().ends_with(
            "(the UserOp may cost up to 0.00905 native in gas fees; the agent's gas allowance has 0.005 native left)"
        ),
        "{refused}"
    );
    ops::set_gas_allowance(&authority, validator, account, U256::ZERO).await?;
    assert!(status(&bed).await?.to_string().contains("gas allowance: 0 ether (0 wei)"));
    Ok(())
}

#[tokio::test]
async fn agent_bad_inputs_and_a_key_not_the_authoritys_are_refused_in_words() -> Result<()> {
    let bed = leashed().await?;
    let (validator, account, authority) = (bed.modules.validator, bed.owner.account, bed.authority_wallet());

    // rotate: the zero address, the account itself and the authority, before anything is sent.
    for (agent, words) in [
        (
            Address::ZERO,
            "the agent cannot be the zero address: to take the agent's key away, revoke it (`agent revoke`)"
                .to_string(),
        ),
        (
            account,
            format!("the agent cannot be the account {account} itself: an agent signs with a key of its own"),
        ),
        (
            bed.authority.address(),
            format!(
                "the agent cannot be {}, the authority of {account}: the authority rotates and revokes the agent's key, so the agent needs a key of its own",
                bed.authority.address()
            ),
        ),
    ] {
        let err = ops::set_agent(&authority, validator, account, agent).await.expect_err("refused");
        assert_eq!(err.to_string(), words);
    }
    assert!(status(&bed).await?.agent.is_zero(), "nothing was sent");

    // A key that is not the authority's: the validator's refusal, in words, for each change.
    let stranger = bed.net.wallet(4);
    let (caller, owner) = (bed.net.anvil.addresses()[4], bed.authority.address());
    let only = format!("only the authority {owner} may make this change (caller {caller})");
    let agent = Address::with_last_byte(0xa9);
    let rotate = ops::set_agent(&stranger, validator, account, agent).await.expect_err("not the authority");
    assert_eq!(rotate.to_string(), format!("making {agent} the agent of {account} was refused: {only}"));
    let refused = rotate.downcast_ref::<Refused>().expect("a refusal");
    assert!(matches!(refused.revert, LeashRevert::Leash(L::Leash_OnlyAuthority(_))), "{refused:?}");
    let allowance = ops::set_gas_allowance(&stranger, validator, account, U256::from(1u64)).await;
    assert_eq!(
        allowance.expect_err("not the authority").to_string(),
        format!("setting the agent's gas allowance on {account} was refused: {only}")
    );
    ops::set_agent(&authority, validator, account, agent).await?;
    let revoke = ops::revoke_agent(&stranger, validator, account).await.expect_err("not the authority");
    assert_eq!(revoke.to_string(), format!("revoking the agent key of {account} was refused: {only}"));
    let kept = status(&bed).await?;
    assert_eq!((kept.agent, kept.gas_allowance), (agent, parse_ether("0.1")?));
    Ok(())
}

#[tokio::test]
async fn agent_commands_on_an_account_without_the_validator_say_so() -> Result<()> {
    let (net, owner, modules) = modules_bed().await?;
    let account = owner.account;
    let status = ops::agent_status(&net.provider, modules.validator, account).await?;
    assert!(!status.installed);
    assert_eq!(status.to_string(), format!("AgentValidator is not installed on {account}"));
    let err = ops::set_agent(&net.wallet(1), modules.validator, account, Address::with_last_byte(0xa9))
        .await
        .expect_err("not installed");
    assert_eq!(
        err.to_string(),
        format!(
            "AgentValidator is not installed on {account}: it holds no agent key there (the account's owner installs it)"
        )
    );
    Ok(())
}

/// A policy file without `[agent]` on Kernel, where the hook rides on the agent's validation:
/// refused in one sentence before anything is sent (with one, `accounts::subscription_installs_on_kernel`).
#[tokio::test]
async fn a_kernel_install_without_an_agent_is_refused_before_anything_is_sent() -> Result<()> {
    let (net, modules, person, kernel) =
        leash_anvil_tests::account_bed(leash_devnet::accounts::AccountKind::Kernel).await?;
    let owner = UserOpSender::new(net.provider.clone(), kernel.entry_point, kernel.account, person)
        .nonce_key(kernel.owner_nonce_key);
    let policy = pause_policy(net.anvil.addresses()[1], net.anvil.addresses()[2])?;
    let err = ops::install(&owner, &policy, &modules, &TokenBook::default()).await.expect_err("Kernel");
    assert_eq!(
        err.to_string(),
        format!(
            "{} is a Kernel account: it has no account-wide hook, so the leash rides on the agent's validation, and the file needs both an [agent] and policies for the hook",
            kernel.account
        )
    );
    let status = ops::agent_status(&net.provider, modules.validator, kernel.account).await?;
    assert!(!status.installed, "nothing was sent");
    Ok(())
}

/// `agent add`: AgentValidator installed with the agent's key on an account that already runs the
/// engine, under the engine's authority, in one operation of the owner; the key then acts. Refused
/// in words before anything is sent on an account without Leash, for a key that is the authority,
/// and a second time.
#[tokio::test]
async fn agent_add_installs_the_validator_under_the_leashs_authority() -> Result<()> {
    use leash::config::AgentConfig;
    let (net, owner, modules) = modules_bed().await?;
    let (authority, guardian) = (net.anvil.addresses()[1], net.anvil.addresses()[2]);
    let agent = PrivateKeySigner::random();
    let allowance = parse_ether("0.05")?;
    let approver = net.wallet(1);
    let add = |key: Address| {
        leash::admin::add_agent(
            &owner,
            &approver,
            authority,
            &modules,
            AgentConfig { key, gas_allowance: allowance },
        )
    };

    let bare = add(agent.address()).await.expect_err("no Leash yet");
    assert_eq!(
        bare.to_string(),
        format!(
            "{} runs no Leash hook: `policy install` a policy first (its [agent] installs the agent with it)",
            owner.account
        )
    );
    let policy = pause_policy(authority, guardian)?;
    ops::install(&owner, &policy, &modules, &TokenBook::default()).await?;
    let file = config::PolicyConfig::agent_only(
        authority,
        AgentConfig { key: agent.address(), gas_allowance: allowance },
    );
    let unapproved =
        ops::install(&owner, &file, &modules, &TokenBook::default()).await.expect_err("needs approval");
    assert!(
        unapproved.to_string().contains("approves and installs AgentValidator in one step"),
        "{unapproved}"
    );
    let itself = add(authority).await.expect_err("the authority is no agent");
    assert!(itself.to_string().contains("the agent needs a key of its own"), "{itself}");
    assert!(
        !ops::agent_status(&net.provider, modules.validator, owner.account).await?.installed,
        "nothing sent"
    );

    add(agent.address()).await?;
    let status = ops::agent_status(&net.provider, modules.validator, owner.account).await?;
    assert_eq!(
        (status.agent, status.gas_allowance, status.authority),
        (agent.address(), allowance, authority)
    );
    let agents_ops = owner.clone().signed_by(agent.clone()).via_validator(modules.validator);
    assert!(pays(&agents_ops).await, "the added agent acts");
    let again = add(agent.address()).await.expect_err("installed already");
    assert!(again.to_string().contains("`agent rotate` changes its key; nothing was sent"), "{again}");
    Ok(())
}
