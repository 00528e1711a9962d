//! The authority's own changes, through the library calls the `authority rotate`, `approve-change`
//! and `uninstall` commands make: a rotation moving every Leash module (the multiplexer's sub-hooks
//! too) after which only the new key configures and approves; each bad rotation refused in words
//! with nothing sent; an approved loosening by the owner's operation running once; and the leash
//! removed by the owner with the authority's approval of the exact bytes the hook sees (refused
//! without it, and nothing approved for an owner's operation the EntryPoint would refuse),
//! leaving an account whose formerly refused call passes; the same on an EIP-7702 EOA, and a
//! Kernel account refused in a sentence.

use alloy::primitives::utils::parse_ether;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use eyre::Result;
use leash::abi::ILeashModule::ILeashModuleErrors as L;
use leash::abi::{IERC7579ModuleConfig, IPolicyEngine};
use leash::admin::{self, LeashModule};
use leash::config::{self, HookStack};
use leash::errors::{LeashRevert, Refused, TokenBook};
use leash::ops;
use leash::provider::Confirm;
use leash_anvil_tests::sessions::{vars, SessionBed};
use leash_anvil_tests::{policy, test_bed, UserOpSender};

/// An address the policy protects: every call to it is refused while the leash is on.
const COLD: Address = Address::with_last_byte(0xc0);

/// The test account with AgentValidator (Anvil's key 1 its authority, an agent key set) and a
/// policy on `hook`: the guardian's pause (key 2), COLD protected, and a keeper's task (key 3).
async fn leashed(hook: HookStack) -> Result<(SessionBed, PrivateKeySigner)> {
    let (net, owner) = test_bed().await?;
    let bed = SessionBed::new(net, owner, parse_ether("0.1")?).await?;
    let policy = policy(
        "admin.toml",
        "authority = \"$AUTHORITY\"\n[pause]\nguardian = \"$GUARDIAN\"\n[allowlist]\nmode = \"block\"\nprotected = [\"$COLD\"]\n\
         [[tasks]]\nid = 1\ncaller = \"$KEEPER\"\ntarget = \"$PAYEE\"\ncall = \"0x\"\ncooldown = \"1d\"\n",
        &vars([
            ("AUTHORITY", bed.authority.address()),
            ("GUARDIAN", bed.net.anvil.addresses()[2]),
            ("COLD", COLD),
            ("KEEPER", bed.net.anvil.addresses()[3]),
            ("PAYEE", Address::with_last_byte(0xa1)),
        ]),
    )?;
    bed.install(&config::PolicyConfig { hook, ..policy }, &TokenBook::default()).await?;
    let agent = PrivateKeySigner::random();
    ops::set_agent(&bed.authority_wallet(), bed.modules.validator, bed.owner.account, agent.address())
        .await?;
    Ok((bed, agent))
}

fn names(modules: &[LeashModule]) -> Vec<&'static str> {
    modules.iter().map(|m| m.name).collect()
}

/// Whether `sender`'s payment of 1 wei to COLD went through.
async fn pays_cold(sender: &UserOpSender<DynProvider>) -> bool {
    sender.execute(COLD, U256::from(1u64), &[]).await.is_ok_and(|o| o.success)
}

/// The decoded refusal of `err`, which must be a [`Refused`].
fn revert(err: &eyre::Report) -> LeashRevert {
    err.downcast_ref::<Refused>().unwrap_or_else(|| panic!("not a refusal: {err}")).revert.clone()
}

async fn rotate_moves_every_module(hook: HookStack) -> Result<()> {
    let (bed, _) = leashed(hook).await?;
    let (account, modules) = (bed.owner.account, bed.modules);
    let (old, new) = (bed.authority.address(), bed.net.anvil.addresses()[5]);
    let (old_wallet, new_wallet) = (bed.authority_wallet(), bed.net.wallet(5));

    let rotated = admin::rotate_authority(&old_wallet, old, &modules, account, new).await?;
    let moved: Vec<LeashModule> = rotated.moved.iter().map(|(m, _)| *m).collect();
    let expected = match hook {
        HookStack::Engine => vec!["PolicyEngine", "AutomationExecutor", "AgentValidator"],
        HookStack::Multiplexer => vec![
            "HookMultiPlexer",
            "EmergencyPauseHook",
            "AllowlistHook",
            "AutomationExecutor",
            "AgentValidator",
        ],
    };
    assert_eq!(names(&moved), expected);
    assert!(rotated.already.is_empty());
    assert!(rotated.to_string().ends_with(&format!(
        "{new} is now the authority of every Leash module on {account}; the old key's pending approvals are void"
    )));
    for h in admin::held(&bed.net.provider, &modules, account).await? {
        assert_eq!(h.authority, new, "{}", h.module);
    }

    // The old key no longer configures the pause, sets the agent's allowance or approves a change.
    let pause = if hook == HookStack::Engine { modules.engine } else { modules.pause };
    let guardian = Address::with_last_byte(0x99);
    let old_pause = IPolicyEngine::new(pause, old_wallet.clone());
    let Err(refused) = old_pause.setGuardian(account, guardian).call().await else {
        panic!("the old key set the guardian")
    };
    let only = |revert: LeashRevert| matches!(revert, LeashRevert::Leash(L::Leash_OnlyAuthority(e)) if e.authority == new && e.caller == old);
    assert!(only(LeashRevert::from_call_error(&refused).expect("a revert")));
    let allowance = ops::set_gas_allowance(&old_wallet, modules.validator, account, U256::ZERO).await;
    assert!(only(revert(&allowance.expect_err("the old key"))));
    let hash = admin::change_hash(b"any change");
    let approve = admin::approve_change(&old_wallet, &modules, account, moved[0].address, hash).await;
    let approve = approve.expect_err("the old key");
    assert_eq!(
        approve.to_string(),
        format!(
            "approving the change {hash} at {} was refused: only the authority {new} may make this change (caller {old})",
            moved[0]
        )
    );

    // The new key does all three.
    IPolicyEngine::new(pause, new_wallet.clone())
        .setGuardian(account, guardian)
        .send()
        .await?
        .confirmed()
        .await?;
    assert_eq!(
        IPolicyEngine::new(pause, bed.net.provider.clone()).guardianOf(account).call().await?,
        guardian
    );
    ops::set_gas_allowance(&new_wallet, modules.validator, account, U256::ZERO).await?;
    admin::approve_change(&new_wallet, &modules, account, moved[0].address, hash).await?;
    assert!(admin::is_approved(&bed.net.provider, moved[0].address, account, hash).await?);
    Ok(())
}

cases!(rotate_moves_every_module:
    admin_rotate_moves_the_engine_the_executor_and_the_validator => HookStack::Engine,
    admin_rotate_moves_the_multiplexer_and_its_sub_hooks => HookStack::Multiplexer,
);

#[tokio::test]
async fn admin_bad_rotations_are_refused_in_words_and_send_nothing() -> Result<()> {
    let (bed, _) = leashed(HookStack::Engine).await?;
    let (account, modules) = (bed.owner.account, bed.modules);
    let (key, wallet) = (bed.authority.address(), bed.authority_wallet());
    let rotate = |new: Address| {
        let wallet = wallet.clone();
        async move { admin::rotate_authority(&wallet, key, &modules, account, new).await }
    };
    let refusal = |r: Result<admin::Rotated>| r.expect_err("refused").to_string();
    assert_eq!(
        refusal(rotate(Address::ZERO).await),
        "the new authority cannot be the zero address: every Leash module needs one (to remove the leash, `uninstall`)"
    );
    assert_eq!(
        refusal(rotate(account).await),
        format!(
            "the new authority cannot be the account {account} itself: the authority acts from outside the account, so that a pause cannot lock it out"
        )
    );
    assert_eq!(
        refusal(rotate(key).await),
        format!("{key} is the key making this rotation: name another key as the new authority")
    );
    // A key that is not the authority: the current one named, for each module.
    let stranger = bed.net.anvil.addresses()[4];
    let err = admin::rotate_authority(&bed.net.wallet(4), stranger, &modules, account, COLD)
        .await
        .expect_err("not the authority");
    assert_eq!(
        err.to_string(),
        format!(
            "{stranger} is not the authority of {account}: PolicyEngine ({}) names {key}, AutomationExecutor ({}) names {key}, AgentValidator ({}) names {key}; nothing was sent",
            modules.engine, modules.automation, modules.validator
        )
    );
    for h in admin::held(&bed.net.provider, &modules, account).await? {
        assert_eq!(h.authority, key, "nothing was sent: {}", h.module);
    }
    // A rotation cut short (the validator handed over alone): the rerun moves the rest.
    let new = bed.net.anvil.addresses()[5];
    leash::abi::ILeashModule::new(modules.validator, wallet.clone())
        .setAuthority(account, new)
        .send()
        .await?
        .confirmed()
        .await?;
    let finished = rotate(new).await?;
    let moved: Vec<LeashModule> = finished.moved.iter().map(|(m, _)| *m).collect();
    assert_eq!(
        (names(&moved), names(&finished.already)),
        (vec!["PolicyEngine", "AutomationExecutor"], vec!["AgentValidator"])
    );
    assert!(finished
        .to_string()
        .contains(&format!("AgentValidator ({}): named {new} already\n", modules.validator)));
    assert_eq!(
        refusal(rotate(new).await),
        format!("{new} is the authority of every Leash module on {account} already: nothing to rotate")
    );

    // An account with no Leash module.
    let (other, bare) = test_bed().await?;
    let bare = bare.account;
    let (other_modules, _) = other.deploy_leash().await?;
    let none =
        admin::rotate_authority(&other.wallet(1), other.anvil.addresses()[1], &other_modules, bare, COLD)
            .await;
    assert_eq!(
        none.expect_err("nothing installed").to_string(),
        format!("no Leash module is installed on {bare}: there is no authority to rotate")
    );
    Ok(())
}

#[tokio::test]
async fn admin_an_approved_loosening_runs_once() -> Result<()> {
    let (bed, _) = leashed(HookStack::Engine).await?;
    let (account, modules, authority) = (bed.owner.account, bed.modules, bed.authority_wallet());
    let engine = IPolicyEngine::new(modules.engine, bed.net.provider.clone());
    let guardian = Address::with_last_byte(0x99);
    // The owner's operation handing the guardian's role to another key: a loosening the account
    // may not make alone.
    let data = IPolicyEngine::setGuardianCall { account, guardian }.abi_encode();
    let call = leash::account::execute_single(modules.engine, U256::ZERO, &data);
    let hash = admin::change_hash(&call);
    let refused = |outcome: leash::account::OpOutcome| match outcome.refusal() {
        Some(LeashRevert::Leash(L::Leash_ModuleCallNotApproved(e))) => e.changeHash == hash,
        _ => false,
    };
    assert!(refused(bed.owner.submit(call.clone()).await?), "refused without the approval");

    // Approved and withdrawn: still refused; a second withdrawal says there is nothing to withdraw.
    admin::approve_change(&authority, &modules, account, modules.engine, hash).await?;
    admin::revoke_approval(&authority, &modules, account, modules.engine, hash).await?;
    assert!(refused(bed.owner.submit(call.clone()).await?), "refused after the withdrawal");
    // A change that would do nothing is refused with what the engine holds.
    let holds = |refused: Result<alloy::primitives::TxHash>, what: String| {
        let words = refused.expect_err("nothing to send").to_string();
        assert_eq!(words, format!("PolicyEngine ({}) holds {what}", modules.engine));
    };
    holds(
        admin::revoke_approval(&authority, &modules, account, modules.engine, hash).await,
        format!("no unused approval of {hash} for {account} (never approved, spent, or voided by a new authority): nothing to withdraw"),
    );

    // Approved: it runs once, and the approval is spent.
    admin::approve_change(&authority, &modules, account, modules.engine, hash).await?;
    holds(
        admin::approve_change(&authority, &modules, account, modules.engine, hash).await,
        format!("an unused approval of {hash} for {account} already: nothing was sent"),
    );
    assert!(bed.owner.submit(call.clone()).await?.success, "the approved change runs");
    assert_eq!(engine.guardianOf(account).call().await?, guardian);
    assert!(!admin::is_approved(&bed.net.provider, modules.engine, account, hash).await?);
    assert!(refused(bed.owner.submit(call).await?), "the second run is refused");

    // One module's removal, the owner's `uninstallModule` UserOp as it is: the hook sees exactly
    // its calldata, refuses it unapproved and lets it through approved.
    let validator = admin::module_named(&modules, "validator")?;
    let uninstall = admin::uninstall_module_call(&validator, Bytes::new());
    let uninstall_hash = admin::change_hash(&uninstall);
    match bed.owner.submit(uninstall.clone()).await?.refusal() {
        Some(LeashRevert::Leash(L::Leash_ModuleChangeNotApproved(e))) => {
            assert_eq!((e.module, e.changeHash), (modules.validator, uninstall_hash))
        }
        other => panic!("expected the hook's refusal, got {other:?}"),
    }
    admin::approve_change(&authority, &modules, account, modules.engine, uninstall_hash).await?;
    assert!(bed.owner.submit(uninstall).await?.success, "the approved removal runs");
    assert!(!ops::agent_status(&bed.net.provider, modules.validator, account).await?.installed);

    // A module that does not hold the account approves nothing.
    let err = admin::approve_change(&authority, &modules, account, modules.multiplexer, hash).await;
    assert_eq!(
        err.expect_err("not installed").to_string(),
        format!(
            "HookMultiPlexer ({}) is not installed on {account}: it has no authority there to approve anything",
            modules.multiplexer
        )
    );
    Ok(())
}

async fn lists(bed: &SessionBed, module: &LeashModule) -> Result<bool> {
    let account = IERC7579ModuleConfig::new(bed.owner.account, bed.net.provider.clone());
    Ok(account.isModuleInstalled(U256::from(module.module_type), module.address, Bytes::new()).call().await?)
}

async fn uninstall_removes_the_leash(hook: HookStack) -> Result<()> {
    let (bed, agent) = leashed(hook).await?;
    let (account, modules, authority) = (bed.owner.account, bed.modules, bed.authority_wallet());
    let key = bed.authority.address();
    let agent = bed.owner.clone().signed_by(agent).via_validator(modules.validator);
    assert!(!pays_cold(&bed.owner).await && !pays_cold(&agent).await, "COLD is protected");

    let plan = admin::uninstall_plan(&bed.net.provider, &modules, account).await?;
    let hook_name = if hook == HookStack::Engine { "PolicyEngine" } else { "HookMultiPlexer" };
    assert_eq!(names(&plan.modules), vec!["AutomationExecutor", "AgentValidator", hook_name]);
    assert_eq!(plan.hook.map(|h| (h.module.name, h.authority)), Some((hook_name, key)));

    // The owner alone: refused by the hook, which names the hash of exactly the UserOp's calldata.
    let alone = bed.owner.submit(plan.call.clone()).await?;
    match alone.refusal() {
        Some(LeashRevert::Leash(L::Leash_SelfCallNotApproved(e))) => {
            assert_eq!(e.changeHash, plan.change_hash)
        }
        other => panic!("expected the hook's refusal, got {other:?}"),
    }
    // With a key that is not the authority: refused before anything is sent.
    let stranger = bed.net.anvil.addresses()[4];
    let err = admin::uninstall(&bed.owner, &bed.net.wallet(4), stranger, &modules)
        .await
        .expect_err("not the authority");
    assert_eq!(
        err.to_string(),
        format!(
            "{stranger} is not the authority of {account}: {} names {key}, whose key approves the removal; nothing was sent",
            plan.hook.expect("a hook").module
        )
    );
    assert!(
        !admin::is_approved(
            &bed.net.provider,
            plan.hook.expect("a hook").module.address,
            account,
            plan.change_hash
        )
        .await?
    );

    // An owner's operation the EntryPoint would refuse (signed by a key that is not the
    // owner's): found before the approval, so nothing is sent.
    let impostor = bed.owner.clone().signed_by(PrivateKeySigner::random());
    let failed = admin::uninstall(&impostor, &authority, key, &modules).await.expect_err("not the owner");
    assert_eq!(failed.to_string(), "the owner's removal of the leash would be refused; nothing was sent");
    let cause = failed.root_cause().to_string();
    assert!(
        cause.contains("AA24 signature error: the --owner-key is not an owner of this account"),
        "{cause}"
    );
    let hook_module = plan.hook.expect("a hook").module;
    assert!(!admin::is_approved(&bed.net.provider, hook_module.address, account, plan.change_hash).await?);
    assert!(lists(&bed, &hook_module).await?, "nothing was removed");

    // An operation that validates but fails in execution (wrapped in Kernel's `executeUserOp`,
    // the hook sees other bytes than it approved): the approval is withdrawn again.
    let wrapped = bed.owner.clone().through_execute_user_op();
    let failed = admin::uninstall(&wrapped, &authority, key, &modules).await.expect_err("a failed execution");
    let text = failed.to_string();
    assert!(
        text.starts_with("the owner's removal of the leash was refused and nothing was removed: "),
        "{text}"
    );
    assert!(text.contains("; the authority's approval was withdrawn (tx "), "{text}");
    assert!(!admin::is_approved(&bed.net.provider, hook_module.address, account, plan.change_hash).await?);
    assert!(lists(&bed, &hook_module).await?, "nothing was removed");

    let done = admin::uninstall(&bed.owner, &authority, key, &modules).await?;
    assert!(done.approval.is_some());
    assert_eq!(names(&done.removed), vec!["AutomationExecutor", "AgentValidator", hook_name]);
    assert!(done.to_string().contains(&format!("{account} runs no Leash module now")), "{done}");
    for m in admin::catalogue(&modules) {
        assert!(!lists(&bed, &m).await?, "{m} is still listed");
    }
    assert!(
        admin::held(&bed.net.provider, &modules, account).await?.is_empty(),
        "every module forgot the account"
    );
    assert!(!ops::agent_status(&bed.net.provider, modules.validator, account).await?.installed);
    // The owner's formerly refused call passes; the agent's key has nothing to validate it.
    assert!(pays_cold(&bed.owner).await, "no hook refuses COLD any more");
    assert!(!pays_cold(&agent).await, "no validator holds the agent's key");

    let again = admin::uninstall(&bed.owner, &authority, key, &modules).await;
    assert_eq!(
        again.expect_err("nothing left").to_string(),
        format!("no Leash module is installed on {account}: nothing to uninstall")
    );
    Ok(())
}

cases!(uninstall_removes_the_leash:
    admin_uninstall_removes_the_engine_the_executor_and_the_validator => HookStack::Engine,
    admin_uninstall_removes_the_multiplexer_with_its_sub_hooks => HookStack::Multiplexer,
);

/// An EOA delegated to LeashEOAAccount (OpenZeppelin's hooked account): its leash comes off the
/// same way, with its own key as the owner's.
#[tokio::test]
async fn admin_uninstall_on_an_eip7702_eoa() -> Result<()> {
    use leash_devnet::EntryPoint;
    let net = leash_anvil_tests::devnet(leash_anvil_tests::Options::default())?;
    let (modules, _) = net.deploy_leash().await?;
    net.place_entry_point(EntryPoint::V08).await?;
    let person = net.key(5);
    leash::eip7702::delegate(&net.wallet(5), &person, net.deploy_eoa_account().await?).await?;
    let owner =
        UserOpSender::new(net.provider.clone(), leash::account::ENTRYPOINT_V08, person.address(), person)
            .bundler(net.bundler());
    let authority = net.key(1).address();
    let policy = policy(
        "eoa.toml",
        "authority = \"$AUTHORITY\"\n[allowlist]\nmode = \"block\"\nprotected = [\"$COLD\"]\n",
        &vars([("AUTHORITY", authority), ("COLD", COLD)]),
    )?;
    ops::install(&owner, &policy, &modules, &TokenBook::default()).await?;
    assert!(!pays_cold(&owner).await, "COLD is protected");

    let done = admin::uninstall(&owner, &net.wallet(1), authority, &modules).await?;
    assert_eq!(names(&done.removed), vec!["PolicyEngine"]);
    assert!(admin::held(&net.provider, &modules, owner.account).await?.is_empty());
    assert!(pays_cold(&owner).await, "no hook refuses COLD any more");
    Ok(())
}

/// Kernel takes its module removals its own way: refused in a sentence, nothing sent.
#[tokio::test]
async fn admin_uninstall_refuses_an_account_it_cannot_build_the_removal_for() -> Result<()> {
    let (net, modules, _, kernel) =
        leash_anvil_tests::account_bed(leash_devnet::accounts::AccountKind::Kernel).await?;
    let err = admin::uninstall_plan(&net.provider, &modules, kernel.account).await.expect_err("Kernel");
    assert_eq!(
        err.to_string(),
        format!(
            "{} is a Kernel account: its Leash hook rides on the agent's validation and the executor and comes off with them, as its own wallet removes them; the authority approves what the hook sees with `approve-change --hash`",
            kernel.account
        )
    );
    Ok(())
}
