//! The authority's own changes to a leashed account: handing the authority to another key
//! ([`rotate_authority`]), approving one exact change the account may not make alone, or
//! withdrawing that approval ([`approve_change`], [`revoke_approval`]), and removing the leash
//! ([`uninstall`]). Each is checked before anything is sent, and refused in a sentence.
//!
//! What an approval covers is the `msgData` the account hands its hook: on OpenZeppelin's account
//! (and the EIP-7702 account, built on it) the owner's UserOp `callData` itself, so its hash is
//! [`change_hash`] of that calldata.

use std::fmt;

use alloy::primitives::{keccak256, Address, Bytes, TxHash, B256, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolCall, SolValue};
use eyre::{bail, eyre, Result, WrapErr};
use serde::Serialize;

use crate::abi::{IERC7579Batch, IERC7579ModuleConfig, ILeashModule, IModuleLists};
use crate::account::{AccountFlavor, UserOpSender};
use crate::addresses::ModuleAddresses;
use crate::config::{
    AgentConfig, PolicyConfig, MODULE_TYPE_EXECUTOR, MODULE_TYPE_HOOK, MODULE_TYPE_VALIDATOR,
};
use crate::errors::{LeashRevert, Refused, TokenBook};
use crate::ops::{authority_sends, send_checked, AUTHORITY};
use crate::provider::{Confirm, Unfunded};

/// One Leash module of a deployment: its contract's name, address and ERC-7579 module type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeashModule {
    pub name: &'static str,
    pub address: Address,
    pub module_type: u64,
}

impl fmt::Display for LeashModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.address)
    }
}

/// The deployment's Leash modules (those it has an address for), the hooks first.
pub fn catalogue(modules: &ModuleAddresses) -> Vec<LeashModule> {
    [
        ("PolicyEngine", modules.engine, MODULE_TYPE_HOOK),
        ("HookMultiPlexer", modules.multiplexer, MODULE_TYPE_HOOK),
        ("EmergencyPauseHook", modules.pause, MODULE_TYPE_HOOK),
        ("AllowlistHook", modules.allowlist, MODULE_TYPE_HOOK),
        ("SpendingLimitHook", modules.spending, MODULE_TYPE_HOOK),
        ("AutomationExecutor", modules.automation, MODULE_TYPE_EXECUTOR),
        ("AgentValidator", modules.validator, MODULE_TYPE_VALIDATOR),
    ]
    .into_iter()
    .filter(|(_, address, _)| !address.is_zero())
    .map(|(name, address, module_type)| LeashModule { name, address, module_type })
    .collect()
}

/// The names the command line gives the modules, each with its contract's name.
pub const MODULE_NAMES: [(&str, &str); 7] = [
    ("engine", "PolicyEngine"),
    ("multiplexer", "HookMultiPlexer"),
    ("pause-hook", "EmergencyPauseHook"),
    ("allowlist", "AllowlistHook"),
    ("spending", "SpendingLimitHook"),
    ("automation", "AutomationExecutor"),
    ("validator", "AgentValidator"),
];

/// The module `name` stands for: one of [`MODULE_NAMES`], a contract's name, or an address of the
/// deployment.
pub fn module_named(modules: &ModuleAddresses, name: &str) -> Result<LeashModule> {
    let all = catalogue(modules);
    let found = match name.parse::<Address>() {
        Ok(address) => all.iter().find(|m| m.address == address),
        Err(_) => {
            let contract = MODULE_NAMES.iter().find(|(short, _)| *short == name).map_or(name, |(_, c)| *c);
            all.iter().find(|m| m.name == contract)
        }
    };
    found.copied().ok_or_else(|| {
        let names: Vec<&str> = MODULE_NAMES.iter().map(|(short, _)| *short).collect();
        eyre!(
            "`{name}` is not a Leash module of this deployment: name one of {}, or give its address",
            names.join(", ")
        )
    })
}

/// A module with a record for the account, and the authority it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Held {
    pub module: LeashModule,
    pub authority: Address,
}

/// Every Leash module that holds `account` now (its record names an authority, which it does from
/// install to uninstall): the hook or the multiplexer and its sub-hooks, the executor, the
/// validator. A module with no code on the chain holds nothing.
pub async fn held<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
) -> Result<Vec<Held>> {
    let mut held = Vec::new();
    for module in catalogue(modules) {
        if provider.get_code_at(module.address).await.wrap_err("reading the chain")?.is_empty() {
            continue;
        }
        let authority = ILeashModule::new(module.address, provider.clone())
            .authorityOf(account)
            .call()
            .await
            .wrap_err_with(|| format!("reading the authority at {module}"))?;
        if !authority.is_zero() {
            held.push(Held { module, authority });
        }
    }
    Ok(held)
}

/// The calldata of `uninstallModule(moduleType, module, deInitData)`.
pub fn uninstall_module_call(module: &LeashModule, deinit_data: Bytes) -> Bytes {
    IERC7579ModuleConfig::uninstallModuleCall {
        moduleTypeId: U256::from(module.module_type),
        module: module.address,
        deInitData: deinit_data,
    }
    .abi_encode()
    .into()
}

/// The head of a sentinel-linked list.
const SENTINEL: Address = Address::with_last_byte(1);

/// What `uninstallModule` of `module` takes on an account of `flavor`: nothing on OpenZeppelin's;
/// on Nexus, the reference account and Safe7579 a validator or executor's removal names the
/// module before it in the account's list (`abi.encode(previous, "")`), and Safe7579 reads a hook's
/// kind first (the global hook's form of [`AccountFlavor::hook_init_data`]). Kernel is refused:
/// its modules come off with the validation or executor they ride on.
pub async fn removal_data<P: Provider + Clone>(
    provider: &P,
    flavor: AccountFlavor,
    account: Address,
    module: &LeashModule,
) -> Result<Bytes> {
    match (flavor, module.module_type) {
        (AccountFlavor::Kernel, _) => Err(kernel_removal(account)),
        (AccountFlavor::OpenZeppelin, _) => Ok(Bytes::new()),
        (_, MODULE_TYPE_HOOK) => Ok(flavor.hook_init_data(Bytes::new())),
        (_, kind) => {
            let previous = previous_in_list(provider, account, module.address, kind).await?;
            Ok((previous, Bytes::new()).abi_encode_params().into())
        }
    }
}

/// Why `uninstall` does not build Kernel's removals.
fn kernel_removal(account: Address) -> eyre::Report {
    eyre!(
        "{account} is a Kernel account: its Leash hook rides on the agent's validation and the executor and comes off with them, as its own wallet removes them; the authority approves what the hook sees with `approve-change --hash`"
    )
}

/// The entry before `module` in `account`'s validator or executor list (the sentinel when it is
/// the first).
async fn previous_in_list<P: Provider + Clone>(
    provider: &P,
    account: Address,
    module: Address,
    module_type: u64,
) -> Result<Address> {
    let lists = IModuleLists::new(account, provider.clone());
    let (mut cursor, mut previous) = (SENTINEL, SENTINEL);
    loop {
        let size = U256::from(32u64);
        // Nexus, Safe7579 and this reference build name the getters in the plural; other
        // releases of the reference account in the singular.
        let (array, next) = match module_type {
            MODULE_TYPE_VALIDATOR => match lists.getValidatorsPaginated(cursor, size).call().await {
                Ok(p) => Ok((p.array, p.next)),
                Err(_) => lists.getValidatorPaginated(cursor, size).call().await.map(|p| (p.array, p.next)),
            },
            _ => match lists.getExecutorsPaginated(cursor, size).call().await {
                Ok(p) => Ok((p.array, p.next)),
                Err(_) => lists.getExecutorPaginated(cursor, size).call().await.map(|p| (p.array, p.next)),
            },
        }
        .wrap_err("reading the account's module list")?;
        for entry in &array {
            if *entry == module {
                return Ok(previous);
            }
            previous = *entry;
        }
        if array.is_empty() || next == SENTINEL || next.is_zero() {
            bail!("{module} is not in {account}'s module list");
        }
        cursor = next;
    }
}

/// What the authority approves for the owner's UserOp with `call_data`: `keccak256(msgData)`,
/// where the account hands its hook the UserOp's calldata as `msgData` (OpenZeppelin's account and
/// the EIP-7702 account; a Safe appends its sender, Kernel unwraps `executeUserOp`).
pub fn change_hash(call_data: &[u8]) -> B256 {
    keccak256(call_data)
}

// ---------------------------------------------------------------------- the authority's key

/// What [`rotate_authority`] did: the modules handed over, each with its transaction, and those
/// already naming the new authority (from an earlier rotation cut short).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rotated {
    pub account: Address,
    pub new_authority: Address,
    pub moved: Vec<(LeashModule, TxHash)>,
    pub already: Vec<LeashModule>,
}

impl fmt::Display for Rotated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (module, tx) in &self.moved {
            writeln!(f, "  {module}: authority {} (tx {tx})", self.new_authority)?;
        }
        for module in &self.already {
            writeln!(f, "  {module}: named {} already", self.new_authority)?;
        }
        write!(
            f,
            "{} is now the authority of every Leash module on {}; the old key's pending approvals are void",
            self.new_authority, self.account
        )
    }
}

/// Why `new_authority` cannot take over from `key` on `account`, in a sentence, or nothing when
/// it can: the modules' own rule (`Leash_InvalidAuthority`) and a rotation to the same key.
pub fn check_new_authority(account: Address, key: Address, new_authority: Address) -> Result<(), String> {
    crate::ops::first_refusal([
        (
            new_authority.is_zero(),
            "the new authority cannot be the zero address: every Leash module needs one (to remove the leash, `uninstall`)".into(),
        ),
        (
            new_authority == account,
            format!("the new authority cannot be the account {account} itself: the authority acts from outside the account, so that a pause cannot lock it out"),
        ),
        (
            new_authority == key,
            format!("{new_authority} is the key making this rotation: name another key as the new authority"),
        ),
    ])
}

/// `setAuthority(account, newAuthority)` at every Leash module holding `account`, from the
/// provider's wallet, whose address is `key`. Every module is checked before anything is sent:
/// each must name `key` (or, from an earlier rotation cut short, `new_authority` already, which is
/// skipped). A module that then refuses stops the rotation with the modules moved so far named.
pub async fn rotate_authority<P: Provider + Clone>(
    provider: &P,
    key: Address,
    modules: &ModuleAddresses,
    account: Address,
    new_authority: Address,
) -> Result<Rotated> {
    check_new_authority(account, key, new_authority).map_err(|e| eyre!(e))?;
    let held = held(provider, modules, account).await?;
    if held.is_empty() {
        bail!("no Leash module is installed on {account}: there is no authority to rotate");
    }
    let others: Vec<String> = held
        .iter()
        .filter(|h| h.authority != key && h.authority != new_authority)
        .map(|h| format!("{} names {}", h.module, h.authority))
        .collect();
    if !others.is_empty() {
        bail!("{key} is not the authority of {account}: {}; nothing was sent", others.join(", "));
    }
    let (to_move, already): (Vec<Held>, Vec<Held>) = held.into_iter().partition(|h| h.authority == key);
    let already: Vec<LeashModule> = already.into_iter().map(|h| h.module).collect();
    if to_move.is_empty() {
        bail!(
            "{new_authority} is the authority of every Leash module on {account} already: nothing to rotate"
        );
    }
    let mut moved = Vec::new();
    for (i, h) in to_move.iter().enumerate() {
        match set_authority(provider, h.module, account, new_authority).await {
            Ok(tx) => moved.push((h.module, tx)),
            Err(e) if moved.is_empty() => return Err(e),
            Err(e) => {
                let done = listing(moved.iter().map(|(m, _)| m));
                let left = listing(to_move[i..].iter().map(|h| &h.module));
                return Err(e.wrap_err(format!(
                    "the rotation stopped half way: {done} now name {new_authority}, while {left} still name {key}; run the rotation again with {key}'s key to finish it"
                )));
            }
        }
    }
    Ok(Rotated { account, new_authority, moved, already })
}

/// Modules named one after the other: `PolicyEngine (0x…), AgentValidator (0x…)`.
fn listing<'a>(modules: impl Iterator<Item = &'a LeashModule>) -> String {
    modules.map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
}

async fn set_authority<P: Provider + Clone>(
    provider: &P,
    module: LeashModule,
    account: Address,
    new_authority: Address,
) -> Result<TxHash> {
    let m = ILeashModule::new(module.address, provider.clone());
    Ok(authority_sends!(
        provider,
        m.setAuthority(account, new_authority),
        format!("handing the authority of {account} at {module} to {new_authority}")
    ))
}

// ---------------------------------------------------------------------- approvals

/// The module at `module`, once it holds `account` (else a sentence saying what it is).
async fn holding<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
    module: Address,
) -> Result<Held> {
    let held = held(provider, modules, account).await?;
    if let Some(h) = held.iter().find(|h| h.module.address == module) {
        return Ok(*h);
    }
    match catalogue(modules).into_iter().find(|m| m.address == module) {
        Some(m) => bail!("{m} is not installed on {account}: it has no authority there to approve anything"),
        None => bail!("{module} is not a Leash module of this deployment"),
    }
}

/// Whether `module` holds an unused approval of `change_hash` for `account`.
pub async fn is_approved<P: Provider + Clone>(
    provider: &P,
    module: Address,
    account: Address,
    change_hash: B256,
) -> Result<bool> {
    ILeashModule::new(module, provider.clone())
        .isApproved(account, change_hash)
        .call()
        .await
        .wrap_err("reading the approval")
}

/// The module at `module` once it holds `account`, and whether it holds an unused approval of
/// `change_hash` for it.
async fn approval_at<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
    module: Address,
    change_hash: B256,
) -> Result<(LeashModule, bool)> {
    let held = holding(provider, modules, account, module).await?;
    Ok((held.module, is_approved(provider, module, account, change_hash).await?))
}

/// `approveChange(account, changeHash)` at `module` from the provider's wallet (the authority):
/// one run of the exact change whose `msgData` hashes to `change_hash` ([`change_hash`]). Refused
/// before sending when the module does not hold the account or holds that approval already.
pub async fn approve_change<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
    module: Address,
    change_hash: B256,
) -> Result<TxHash> {
    let (at, approved) = approval_at(provider, modules, account, module, change_hash).await?;
    if approved {
        bail!("{at} holds an unused approval of {change_hash} for {account} already: nothing was sent");
    }
    let m = ILeashModule::new(module, provider.clone());
    Ok(authority_sends!(
        provider,
        m.approveChange(account, change_hash),
        format!("approving the change {change_hash} at {at}")
    ))
}

/// `revokeApproval(account, changeHash)` at `module` from the provider's wallet (the authority).
/// Refused before sending when there is no such unused approval.
pub async fn revoke_approval<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
    module: Address,
    change_hash: B256,
) -> Result<TxHash> {
    let (at, approved) = approval_at(provider, modules, account, module, change_hash).await?;
    if !approved {
        bail!(
            "{at} holds no unused approval of {change_hash} for {account} (never approved, spent, or voided by a new authority): nothing to withdraw"
        );
    }
    let m = ILeashModule::new(module, provider.clone());
    Ok(authority_sends!(
        provider,
        m.revokeApproval(account, change_hash),
        format!("withdrawing the approval of {change_hash} at {at}")
    ))
}

// ---------------------------------------------------------------------- removing the leash

/// The removal of every Leash module from an account, as one UserOp of its owner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UninstallPlan {
    pub account: Address,
    /// The Leash module the account runs as its hook, if any: the authority approves the removal
    /// there, with `authority`'s key.
    pub hook: Option<Held>,
    /// What the account lists, in the order they go: the executor and the validator, the hook
    /// last (the multiplexer takes its sub-hooks with it).
    pub modules: Vec<LeashModule>,
    /// The owner's UserOp calldata: `execute(batch, [uninstallModule(...) of each])`, calls of
    /// the account to itself.
    pub call: Bytes,
    /// What the hook sees: [`change_hash`] of `call`.
    pub change_hash: B256,
}

/// Whether `account` lists `module` (as the type it is).
async fn lists<P: Provider + Clone>(provider: &P, account: Address, module: &LeashModule) -> Result<bool> {
    crate::live::module_installed(provider, account, module.module_type, module.address).await
}

/// The Leash modules `account` lists itself: its Leash hook, if it runs one, and the others (a
/// sub-hook behind the multiplexer is the multiplexer's, not the account's).
async fn listed<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
) -> Result<(Option<Held>, Vec<LeashModule>)> {
    let mut hook = None;
    let mut others = Vec::new();
    for h in held(provider, modules, account).await? {
        if !lists(provider, account, &h.module).await? {
            continue;
        }
        if h.module.module_type == MODULE_TYPE_HOOK {
            hook = Some(h);
        } else {
            others.push(h.module);
        }
    }
    Ok((hook, others))
}

/// The Leash module `account` runs as its hook (the engine, the multiplexer, or a hook installed
/// alone), with its authority: where the authority approves the account's module changes.
pub async fn leash_hook<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
) -> Result<Option<Held>> {
    Ok(listed(provider, modules, account).await?.0)
}

/// The removal of the leash from `account`: which modules it lists, the owner's one call, and
/// the hash the hook must have approved. On OpenZeppelin's accounts (and the EIP-7702 account),
/// Nexus, the reference account and Safe7579, each module's removal in the account's own form
/// ([`removal_data`]); Kernel and accounts Leash does not know are refused in a sentence.
pub async fn uninstall_plan<P: Provider + Clone>(
    provider: &P,
    modules: &ModuleAddresses,
    account: Address,
) -> Result<UninstallPlan> {
    if provider.get_code_at(account).await.wrap_err("reading the account")?.is_empty() {
        bail!("{account} has no code: it is not a deployed ERC-7579 account");
    }
    let (flavor, id) = AccountFlavor::detect(provider, account).await;
    if flavor == AccountFlavor::Kernel {
        return Err(kernel_removal(account));
    }
    if flavor == AccountFlavor::OpenZeppelin && !id.starts_with("@openzeppelin/contracts.AccountERC7579") {
        let id = if id.is_empty() { "no accountId".to_string() } else { format!("account {id}") };
        bail!(
            "{account} ({id}) is not an account `uninstall` knows (OpenZeppelin's ERC-7579, Nexus, the ERC-7579 reference account, Safe7579): remove the modules as its own wallet does, with the authority's `approve-change --hash` of what the hook sees"
        );
    }
    let (hook, mut listed) = listed(provider, modules, account).await?;
    listed.extend(hook.map(|h| h.module));
    if listed.is_empty() {
        bail!("no Leash module is installed on {account}: nothing to uninstall");
    }
    let mut items = Vec::new();
    for m in &listed {
        let data = removal_data(provider, flavor, account, m).await?;
        items.push(IERC7579Batch::Execution {
            target: account,
            value: U256::ZERO,
            callData: uninstall_module_call(m, data),
        });
    }
    let call = crate::account::execute_batch_as(None, &items);
    let change_hash = change_hash(&call);
    Ok(UninstallPlan { account, hook, modules: listed, call, change_hash })
}

/// What [`uninstall`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uninstalled {
    pub account: Address,
    /// The authority's approval at the hook (none when the account ran no Leash hook).
    pub approval: Option<TxHash>,
    pub removed: Vec<LeashModule>,
    pub gas_used: u64,
}

impl fmt::Display for Uninstalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(tx) = self.approval {
            writeln!(f, "  the authority approved the removal (tx {tx})")?;
        }
        for m in &self.removed {
            writeln!(f, "  uninstalled {m}")?;
        }
        write!(
            f,
            "{} runs no Leash module now: no hook, no keeper task, no agent key (gas {})",
            self.account, self.gas_used
        )
    }
}

/// Removes the leash from `owner`'s account: the authority (the `authority` provider's wallet,
/// whose address is `key`) approves the exact removal at the account's Leash hook, then the
/// owner's one UserOp uninstalls every Leash module ([`uninstall_plan`]); each module forgets the
/// account in O(1) (a new generation). The owner's operation is validated before the approval is
/// sent; should it fail all the same, the approval is withdrawn again and nothing was removed.
/// Afterwards the account is checked to list none of them.
pub async fn uninstall<P: Provider + Clone, A: Provider + Clone>(
    owner: &UserOpSender<P>,
    authority: &A,
    key: Address,
    modules: &ModuleAddresses,
) -> Result<Uninstalled> {
    let account = owner.account;
    let plan = uninstall_plan(&owner.provider, modules, account).await?;
    let change = ApprovedChange {
        hook: plan.hook.as_ref(),
        call: plan.call.clone(),
        what: "the owner's removal of the leash",
        approves: "the removal",
        undone: "nothing was removed",
    };
    let (approval, gas_used) = change.run(owner, authority, key, modules).await?;
    for m in &plan.modules {
        if lists(&owner.provider, account, m).await? {
            bail!("the removal operation succeeded but {account} still lists {m}");
        }
    }
    Ok(Uninstalled { account, approval, removed: plan.modules, gas_used })
}

/// An operation of the account's owner that its Leash hook lets through only with the authority's
/// approval of its exact calldata (a module change, a call to the account itself).
struct ApprovedChange<'a> {
    /// The account's Leash hook and its authority (none: no hook asks for an approval).
    hook: Option<&'a Held>,
    call: Bytes,
    /// The operation, what the authority approves, and what did not happen when it fails, for
    /// the errors.
    what: &'static str,
    approves: &'static str,
    undone: &'static str,
}

impl ApprovedChange<'_> {
    /// Validates the owner's operation (its key, nonce, prefund: a mistake there leaves no approval
    /// behind), has the authority (`authority`'s wallet, address `key`) approve it at the hook
    /// unless an approval waits already, and sends it; should it fail all the same, the approval
    /// is withdrawn again. The approval's transaction, and the operation's gas.
    async fn run<P: Provider + Clone, A: Provider + Clone>(
        &self,
        owner: &UserOpSender<P>,
        authority: &A,
        key: Address,
        modules: &ModuleAddresses,
    ) -> Result<(Option<TxHash>, u64)> {
        let (account, what) = (owner.account, self.what);
        let change_hash = change_hash(&self.call);
        let mut approval = None;
        if let Some(hook) = self.hook {
            if hook.authority != key {
                bail!(
                    "{key} is not the authority of {account}: {} names {}, whose key approves {}; nothing was sent",
                    hook.module,
                    hook.authority,
                    self.approves
                );
            }
            owner
                .validate(self.call.clone())
                .await
                .wrap_err(format!("{what} would be refused; nothing was sent"))?;
            if !is_approved(authority, hook.module.address, account, change_hash).await? {
                approval = Some(
                    approve_change(authority, modules, account, hook.module.address, change_hash).await?,
                );
            }
        }
        let outcome = owner.submit(self.call.clone()).await;
        if !outcome.as_ref().is_ok_and(|o| o.success) {
            let withdrawn = match (self.hook, approval) {
                (Some(hook), Some(_)) => {
                    match revoke_approval(authority, modules, account, hook.module.address, change_hash).await
                    {
                        Ok(tx) => format!("; the authority's approval was withdrawn (tx {tx})"),
                        Err(e) => format!("; the authority's approval is still pending ({e})"),
                    }
                }
                _ => String::new(),
            };
            let refused = format!("{what} was refused and {}", self.undone);
            // An error keeps its type (a key short of funds is named by the caller).
            let o = outcome.map_err(|e| e.wrap_err(format!("{refused}{withdrawn}")))?;
            let reason = LeashRevert::decode(&o.revert_reason).describe(&TokenBook::default());
            bail!("{refused}: {reason}{withdrawn}");
        }
        Ok((approval, outcome.map(|o| o.gas_used)?))
    }
}

/// Installs AgentValidator holding `agent` on `owner`'s account, which runs a Leash hook already:
/// the owner's one operation (`policy install` of a policy with only `[agent]`), approved by the
/// authority (`authority`'s wallet, address `key`) at the hook, under which the validator's
/// authority is the hook's. Refused in words before anything is sent on an account without a
/// Leash hook, with AgentValidator installed already (`agent rotate` changes its key), for a key
/// [`crate::ops::check_agent`] refuses, or an allowance above AgentValidator's largest.
pub async fn add_agent<P: Provider + Clone, A: Provider + Clone>(
    owner: &UserOpSender<P>,
    authority: &A,
    key: Address,
    modules: &ModuleAddresses,
    agent: AgentConfig,
) -> Result<TxHash> {
    let account = owner.account;
    if AccountFlavor::detect(&owner.provider, account).await.0 == AccountFlavor::Kernel {
        bail!(
            "{account} is a Kernel account: the agent's validation carries the hook there, so AgentValidator goes in with the policy (`policy install` of a file with its [agent]), not on its own"
        );
    }
    let Some(hook) = leash_hook(&owner.provider, modules, account).await? else {
        bail!("{account} runs no Leash hook: `policy install` a policy first (its [agent] installs the agent with it)");
    };
    crate::ops::check_agent(account, hook.authority, agent.key).map_err(|e| eyre!(e))?;
    if agent.gas_allowance > crate::config::MAX_GAS_ALLOWANCE {
        bail!(
            "a gas allowance of {} is above the largest AgentValidator keeps (2^96 - 1 wei)",
            crate::errors::ether(agent.gas_allowance)
        );
    }
    let status = crate::ops::agent_status(&owner.provider, modules.validator, account).await?;
    if status.installed {
        bail!(
            "AgentValidator ({}) is installed on {account} already (agent {}): `agent rotate` changes its key; nothing was sent",
            modules.validator,
            status.agent
        );
    }
    let policy = PolicyConfig::agent_only(hook.authority, agent);
    let change = ApprovedChange {
        hook: Some(&hook),
        call: policy.install_call(modules, account),
        what: "the owner's install of AgentValidator",
        approves: "the install",
        undone: "nothing was installed",
    };
    let (approval, _) = change.run(owner, authority, key, modules).await?;
    if !crate::ops::agent_status(&owner.provider, modules.validator, account).await?.installed {
        bail!("the install operation succeeded but {account} does not list AgentValidator");
    }
    Ok(approval.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use alloy::sol_types::SolValue;

    use super::*;

    fn modules() -> ModuleAddresses {
        ModuleAddresses {
            engine: Address::with_last_byte(1),
            multiplexer: Address::with_last_byte(2),
            automation: Address::with_last_byte(6),
            validator: Address::with_last_byte(7),
            ..Default::default()
        }
    }

    #[test]
    fn modules_are_named_by_role_contract_or_address() {
        let m = modules();
        assert_eq!(module_named(&m, "engine").unwrap().address, m.engine);
        assert_eq!(module_named(&m, "AgentValidator").unwrap().module_type, MODULE_TYPE_VALIDATOR);
        assert_eq!(module_named(&m, &m.automation.to_string()).unwrap().name, "AutomationExecutor");
        // The pause hook has no address in this deployment.
        let err = module_named(&m, "pause-hook").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "`pause-hook` is not a Leash module of this deployment: name one of engine, multiplexer"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_new_authority_is_another_real_key_apart_from_the_account() {
        let (account, key, new) =
            (Address::with_last_byte(0xac), Address::with_last_byte(0xa1), Address::with_last_byte(0xa2));
        assert_eq!(check_new_authority(account, key, new), Ok(()));
        assert!(check_new_authority(account, key, Address::ZERO)
            .unwrap_err()
            .starts_with("the new authority cannot be the zero address"));
        assert!(check_new_authority(account, key, account)
            .unwrap_err()
            .starts_with(&format!("the new authority cannot be the account {account} itself")));
        assert_eq!(
            check_new_authority(account, key, key).unwrap_err(),
            format!("{key} is the key making this rotation: name another key as the new authority")
        );
    }

    /// The hash of an uninstall is the hash of the exact `uninstallModule` calldata.
    #[test]
    fn the_change_hash_is_the_hash_of_the_calldata() {
        let m = module_named(&modules(), "engine").unwrap();
        let call = uninstall_module_call(&m, Bytes::new());
        assert_eq!(&call[..4], IERC7579ModuleConfig::uninstallModuleCall::SELECTOR);
        assert_eq!(change_hash(&call), keccak256(&call));
        assert_eq!((U256::from(4u64), m.address, Bytes::new()).abi_encode_params(), call[4..].to_vec());
    }
}
