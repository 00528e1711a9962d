//! Driving an ERC-7579 account through ERC-4337 UserOps on its EntryPoint (v0.8 for OpenZeppelin's,
//! v0.7 for Nexus, the reference account, Safe7579 and Kernel: [`AccountFlavor`]), signed by an
//! ECDSA key the account accepts: its owner (nonce key 0, OpenZeppelin accounts with an ECDSA
//! signer), or a key held by a validator module the nonce key names (the owner's validator on the
//! other accounts, the agent's key in AgentValidator).

use alloy::primitives::aliases::U192;
use alloy::primitives::{address, Address, Bytes, FixedBytes, Log, B256, U256};

use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol_types::{SolCall, SolEvent, SolValue};
use eyre::{bail, eyre, Result, WrapErr};

use crate::abi::{IERC7579Batch, IERC7579Execution, IERC7579ModuleConfig, IPolicyEngine};
pub use crate::abi::{IEntryPoint, PackedUserOperation};
use crate::bundler::{pack_u128s, Bundler};
use crate::errors::{LeashRevert, Refused, TokenBook};
use crate::provider::{Confirm, Unfunded};

/// EntryPoint v0.8 at its canonical address.
pub const ENTRYPOINT_V08: Address = address!("0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108");
/// EntryPoint v0.7 at its canonical address (Nexus, the reference account, Safe7579, Kernel).
pub const ENTRYPOINT_V07: Address = address!("0x0000000071727De22E5E9d8BAf0edAc6f37da032");

const VERIFICATION_GAS: u128 = 1_000_000;
/// The gas limit of a `handleOps` transaction of one operation (its key must hold this much gas at
/// the fee before the node runs it).
const HANDLE_OPS_GAS: u64 = 15_000_000;
const CALL_GAS: u128 = 8_000_000;

impl PackedUserOperation {
    /// An unsigned UserOp from `sender` with no init code, no paymaster and no fees.
    pub fn unsigned(sender: Address, nonce: U256, call_data: Bytes) -> Self {
        Self {
            sender,
            nonce,
            initCode: Bytes::new(),
            callData: call_data,
            accountGasLimits: pack_u128s(VERIFICATION_GAS, CALL_GAS),
            preVerificationGas: U256::from(50_000u64),
            gasFees: FixedBytes::ZERO,
            paymasterAndData: Bytes::new(),
            signature: Bytes::new(),
        }
    }
}

/// What the EntryPoint reported for one UserOp.
#[derive(Debug, Clone)]
pub struct OpOutcome {
    pub success: bool,
    /// Revert data of the account's execution when it failed (empty otherwise).
    pub revert_reason: Bytes,
    /// Gas of the `handleOps` transaction; through a bundler, the operation's own
    /// (`actualGasUsed`).
    pub gas_used: u64,
    /// The part of `gas_used` the transaction pays before executing: 21,000 plus its calldata
    /// (zero through a bundler, whose bundle the operation shares).
    pub intrinsic_gas: u64,
}

impl OpOutcome {
    /// Why the execution failed, decoded (`None` when it succeeded).
    pub fn refusal(&self) -> Option<LeashRevert> {
        (!self.success).then(|| LeashRevert::decode(&self.revert_reason))
    }

    /// Gas of the `handleOps` execution alone: independent of the signature's zero bytes, so equal
    /// operations measure equal.
    pub fn execution_gas(&self) -> u64 {
        self.gas_used - self.intrinsic_gas
    }
}

/// The outcome of the UserOp whose hash is `hash`, read from the logs of the `handleOps`
/// transaction's receipt.
pub fn outcome_of(
    receipt: &TransactionReceipt,
    entry_point: Address,
    hash: B256,
    intrinsic_gas: u64,
) -> Result<OpOutcome> {
    if !receipt.status() {
        bail!("the handleOps transaction reverted");
    }
    let logs = receipt.inner.logs().iter().map(|l| &l.inner);
    let (success, revert_reason) = result_in_logs(logs, entry_point, hash)?;
    Ok(OpOutcome { success, revert_reason, gas_used: receipt.gas_used, intrinsic_gas })
}

/// Whether the UserOp `hash` succeeded, from its `UserOperationEvent`, and the revert data of
/// its `UserOperationRevertReason` (empty when there is none).
pub fn result_in_logs<'a>(
    logs: impl IntoIterator<Item = &'a Log>,
    entry_point: Address,
    hash: B256,
) -> Result<(bool, Bytes)> {
    let mut outcome = None;
    let mut revert_reason = Bytes::new();
    for log in logs {
        if log.address != entry_point || log.topics().get(1) != Some(&hash) {
            continue;
        }
        if let Ok(ev) = IEntryPoint::UserOperationEvent::decode_log_data(&log.data) {
            outcome = Some(ev.success);
        } else if let Ok(ev) = IEntryPoint::UserOperationRevertReason::decode_log_data(&log.data) {
            revert_reason = ev.revertReason;
        }
    }
    let success = outcome.ok_or_else(|| eyre!("no UserOperationEvent for this UserOp"))?;
    Ok((success, revert_reason))
}

/// 21,000 plus 4 gas per zero byte and 16 per other byte of `input` (a call, not a creation).
pub fn intrinsic_gas(input: &[u8]) -> u64 {
    21_000 + input.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum::<u64>()
}

/// An account and the key that signs its UserOps; the provider's wallet sends `handleOps`, or an
/// ERC-4337 bundler takes them ([`Self::via_bundler`]).
///
/// ```ignore
/// let owner = UserOpSender::new(provider, ENTRYPOINT_V08, account, owner_key);
/// let agent = owner.clone().signed_by(agent_key).via_validator(agent_validator);
/// let agent = agent.via_bundler(Bundler::parse("http://127.0.0.1:4337")?);
/// ```
#[derive(Clone)]
pub struct UserOpSender<P> {
    pub provider: P,
    pub account: Address,
    pub signer: PrivateKeySigner,
    /// Where the EntryPoint pays the operation's fees (`handleOps`' beneficiary).
    pub bundler: Address,
    /// The nonce key: zero for the account's own signer, [`validator_nonce_key`] for a module.
    pub nonce_key: U192,
    /// The EntryPoint the account trusts ([`ENTRYPOINT_V08`] for the OpenZeppelin account).
    pub entry_point: Address,
    /// Kernel: a validation that carries a hook takes only `executeUserOp.selector ++ call`, so
    /// every call this sender submits is wrapped so.
    pub execute_user_op: bool,
    /// The session the executions name in their mode ([`session_mode`]); `None`: the account-wide
    /// policies only.
    pub session: Option<Address>,
    /// Appended to the next signatures after the signer's 65 bytes: a session's grant for
    /// enable-in-first-op ([`enable_blob`]).
    pub enable: Option<Bytes>,
    /// Sends through this ERC-4337 bundler instead of calling `handleOps` from the provider's key.
    pub via: Option<Bundler>,
}

/// `bytes4(keccak256("leash.session"))`: the mode selector that names a session (ExecutionDecoder).
pub const SESSION_MODE: [u8; 4] = [0x2e, 0x42, 0x15, 0x25];
/// ERC-7579 call types.
pub const CALLTYPE_SINGLE: u8 = 0x00;
pub const CALLTYPE_BATCH: u8 = 0x01;

/// An execution mode naming `agent`'s session: `callType ++ execType ++ 0 (4) ++ SESSION_MODE ++
/// 0 (2) ++ agent (20)`. The accounts read only the call and exec types; the engine reads the rest.
pub fn session_mode(call_type: u8, exec_type: u8, agent: Address) -> B256 {
    let mut mode = [0u8; 32];
    mode[0] = call_type;
    mode[1] = exec_type;
    mode[6..10].copy_from_slice(&SESSION_MODE);
    mode[12..].copy_from_slice(agent.as_slice());
    B256::from(mode)
}

/// The mode of a plain (no session) execution of `call_type`.
fn plain_mode(call_type: u8) -> B256 {
    let mut mode = [0u8; 32];
    mode[0] = call_type;
    B256::from(mode)
}

/// `execute(mode, target ++ value ++ data)` calldata, naming `session`'s agent if given.
pub fn execute_single_as(session: Option<Address>, target: Address, value: U256, data: &[u8]) -> Bytes {
    let mut packed = Vec::with_capacity(52 + data.len());
    packed.extend_from_slice(target.as_slice());
    packed.extend_from_slice(&value.to_be_bytes::<32>());
    packed.extend_from_slice(data);
    let mode = session.map_or(plain_mode(CALLTYPE_SINGLE), |a| session_mode(CALLTYPE_SINGLE, 0, a));
    IERC7579Execution::executeCall { mode, executionCalldata: packed.into() }.abi_encode().into()
}

/// `execute(batch mode, abi.encode(executions))` calldata, naming `session`'s agent if given.
pub fn execute_batch_as(session: Option<Address>, executions: &[IERC7579Batch::Execution]) -> Bytes {
    let mode = session.map_or(plain_mode(CALLTYPE_BATCH), |a| session_mode(CALLTYPE_BATCH, 0, a));
    IERC7579Execution::executeCall { mode, executionCalldata: executions.to_vec().abi_encode().into() }
        .abi_encode()
        .into()
}

/// What the agent appends to its first operation's signature to enable its session there:
/// `abi.encode(session, authoritySignature)`, the authority's signature over the engine's
/// `sessionGrantDigest(account, session)`.
pub fn enable_blob(session: &IPolicyEngine::Session, authority_signature: &[u8]) -> Bytes {
    (session.clone(), Bytes::copy_from_slice(authority_signature)).abi_encode_params().into()
}

/// `executeUserOp(PackedUserOperation,bytes32)`: Kernel runs a hooked validation's UserOps through it.
pub const EXECUTE_USER_OP: [u8; 4] = [0x8d, 0xd7, 0x71, 0x2f];

/// The nonce key that routes a UserOp of an OpenZeppelin ERC-7579 account (and Safe7579, the
/// reference account) to `validator`: the validator's address in the key's top 20 bytes.
pub fn validator_nonce_key(validator: Address) -> U192 {
    U192::from_be_slice(validator.as_slice()) << 32
}

/// The ERC-7579 account families Leash drives, told apart by their `accountId()`: which EntryPoint
/// each trusts and how a nonce key names the validator module that checks an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountFlavor {
    /// OpenZeppelin's `AccountERC7579` (and an EOA delegated to one with EIP-7702): EntryPoint
    /// v0.8, its own signer on nonce key 0. Also any account whose id Leash does not know.
    OpenZeppelin,
    /// Biconomy's Nexus: EntryPoint v0.7, every operation through a validator module.
    Nexus,
    /// The ERC-7579 reference account (MSA): EntryPoint v0.7, through a validator module.
    Reference,
    /// Safe with the Safe7579 adapter: EntryPoint v0.7, through a validator module.
    Safe7579,
    /// Kernel v3: EntryPoint v0.7, through a validation (validator module or root validator).
    Kernel,
}

impl AccountFlavor {
    /// The family an `accountId()` names (an id Leash does not know reads as OpenZeppelin's).
    pub fn from_id(id: &str) -> Self {
        if id.starts_with("biconomy.nexus.") {
            Self::Nexus
        } else if id.starts_with("uMSA.") {
            Self::Reference
        } else if id.starts_with("rhinestone.safe7579.") {
            Self::Safe7579
        } else if id.starts_with("kernel.") {
            Self::Kernel
        } else {
            Self::OpenZeppelin
        }
    }

    /// The family's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::OpenZeppelin => "OpenZeppelin ERC-7579",
            Self::Nexus => "Nexus",
            Self::Reference => "ERC-7579 reference (MSA)",
            Self::Safe7579 => "Safe7579",
            Self::Kernel => "Kernel",
        }
    }

    /// `account`'s family and its `accountId()` (empty when it does not answer).
    pub async fn detect<P: Provider>(provider: &P, account: Address) -> (Self, String) {
        let id = crate::abi::IERC7579AccountId::new(account, provider)
            .accountId()
            .call()
            .await
            .unwrap_or_default();
        (Self::from_id(&id), id)
    }

    /// The EntryPoint the family's accounts trust.
    pub fn entry_point(self) -> Address {
        match self {
            Self::OpenZeppelin => ENTRYPOINT_V08,
            Self::Nexus | Self::Reference | Self::Safe7579 | Self::Kernel => ENTRYPOINT_V07,
        }
    }

    /// Whether the owner's own operations go through a validator module named in the nonce key
    /// (nonce key 0 reaches no owner on these accounts; on Kernel it reaches the root validation,
    /// the owner's).
    pub fn owner_needs_validator(self) -> bool {
        !matches!(self, Self::OpenZeppelin | Self::Kernel)
    }

    /// The context `isModuleInstalled(4, hook, context)` needs for the account-wide hook: Safe7579
    /// reads the hook's kind from it (`HookType.GLOBAL`, no selector) and reverts on an empty one.
    pub fn hook_context(self) -> Bytes {
        match self {
            Self::Safe7579 => (U256::ZERO, FixedBytes::<4>::ZERO).abi_encode_params().into(),
            _ => Bytes::new(),
        }
    }

    /// A hook's install data as the family's `installModule(4, hook, data)` takes it: Safe7579
    /// wants the hook's kind first (`HookType.GLOBAL`, the account-wide hook, with no selector);
    /// the others pass the module's own data through.
    pub fn hook_init_data(self, init: Bytes) -> Bytes {
        match self {
            // HookType.GLOBAL is 0: its uint8 word encodes as a zero uint256.
            Self::Safe7579 => (U256::ZERO, FixedBytes::<4>::ZERO, init).abi_encode_params().into(),
            _ => init,
        }
    }

    /// The nonce key that routes an operation to `validator`.
    pub fn nonce_key(self, validator: Address) -> U192 {
        let low = U192::from_be_slice(validator.as_slice());
        match self {
            // Nexus reads the validator from nonce bytes 4..24: the key's low 20 bytes, mode 0.
            Self::Nexus => low,
            // Kernel: mode (1 byte, 0) | type 0x01 | validator (20 bytes) | key (2 bytes).
            Self::Kernel => (U192::from(1u64) << 176) | (low << 16),
            Self::OpenZeppelin | Self::Reference | Self::Safe7579 => validator_nonce_key(validator),
        }
    }
}

/// The owner's UserOps on `account` (of family `flavor`), through `owner_validator` when given
/// (else the account's own signer, nonce key 0), on the family's EntryPoint. Refused in words when
/// the family routes the owner through a validator module and none is given.
pub fn owner_sender<P>(
    provider: P,
    flavor: AccountFlavor,
    account_id: &str,
    account: Address,
    owner: PrivateKeySigner,
    owner_validator: Option<Address>,
) -> Result<UserOpSender<P>> {
    let sender = UserOpSender::new(provider, flavor.entry_point(), account, owner);
    match owner_validator {
        Some(v) => Ok(sender.nonce_key(flavor.nonce_key(v))),
        None if flavor.owner_needs_validator() => bail!(
            "{account} is a {} account ({account_id}): its owner signs through a validator module, so pass --owner-validator with the address of the validator that holds the owner's key",
            flavor.name()
        ),
        None => Ok(sender),
    }
}

/// [`owner_sender`] for the family `account` belongs to, read from its `accountId()`.
pub async fn detected_owner_sender<P: Provider>(
    provider: P,
    account: Address,
    owner: PrivateKeySigner,
    owner_validator: Option<Address>,
) -> Result<UserOpSender<P>> {
    let (flavor, id) = AccountFlavor::detect(&provider, account).await;
    owner_sender(provider, flavor, &id, account, owner, owner_validator)
}

impl<P> UserOpSender<P> {
    /// UserOps from `account` through `entry_point`, signed by `signer` as the account's own
    /// signer (nonce key 0); the fees go to the signer's address unless [`Self::bundler`] says
    /// otherwise.
    pub fn new(provider: P, entry_point: Address, account: Address, signer: PrivateKeySigner) -> Self {
        Self {
            provider,
            account,
            bundler: signer.address(),
            signer,
            nonce_key: U192::ZERO,
            entry_point,
            execute_user_op: false,
            session: None,
            enable: None,
            via: None,
        }
    }

    /// Signed by `signer` instead (the same account, entry point and nonce key).
    pub fn signed_by(self, signer: PrivateKeySigner) -> Self {
        Self { signer, ..self }
    }

    /// Through the validator module at `validator`, on accounts that read it from the nonce key's
    /// top 20 bytes (OpenZeppelin, Safe7579, the reference account; see [`AccountFlavor::nonce_key`]).
    pub fn via_validator(self, validator: Address) -> Self {
        self.nonce_key(validator_nonce_key(validator))
    }

    /// On this nonce key (the validator routing of accounts with their own layout: Nexus, Kernel).
    pub fn nonce_key(self, nonce_key: U192) -> Self {
        Self { nonce_key, ..self }
    }

    /// The fees go to `bundler`.
    pub fn bundler(self, bundler: Address) -> Self {
        Self { bundler, ..self }
    }

    /// Sent through `bundler` (estimated there, signed, and waited for until included) instead of
    /// `handleOps` from the provider's key.
    pub fn via_bundler(self, bundler: Bundler) -> Self {
        Self { via: Some(bundler), ..self }
    }

    /// Every call wrapped in Kernel's `executeUserOp` (a validation that carries a hook).
    pub fn through_execute_user_op(self) -> Self {
        Self { execute_user_op: true, ..self }
    }

    /// As the session of the signer's address: [`Self::execute`] and [`Self::execute_batch`] name
    /// it in their mode (the signer must be the session's agent, routed to AgentValidator).
    pub fn as_session(self) -> Self {
        Self { session: Some(self.signer.address()), ..self }
    }

    /// The session's grant ([`enable_blob`]) carried after the signature, for enable-in-first-op;
    /// `None` stops carrying it.
    pub fn with_enable(self, enable: Option<Bytes>) -> Self {
        Self { enable, ..self }
    }
}

impl<P: Provider + Clone> UserOpSender<P> {
    pub fn entry_point(&self) -> IEntryPoint::IEntryPointInstance<P> {
        IEntryPoint::new(self.entry_point, self.provider.clone())
    }

    /// An unsigned UserOp from the account on this sender's nonce key, with no fees.
    pub async fn user_op(&self, call_data: Bytes) -> Result<PackedUserOperation> {
        let nonce = self
            .entry_point()
            .getNonce(self.account, self.nonce_key)
            .call()
            .await
            .wrap_err("reading the nonce")?;
        Ok(PackedUserOperation::unsigned(self.account, nonce, call_data))
    }

    /// Signs the EntryPoint's hash of `op` (EIP-712 in v0.8, a plain hash in v0.7) with `signer`.
    pub async fn sign(&self, op: &mut PackedUserOperation, signer: &PrivateKeySigner) -> Result<()> {
        let hash: B256 = self.entry_point().getUserOpHash(op.clone()).call().await?;
        op.signature = Bytes::from(signer.sign_hash_sync(&hash)?.as_bytes().to_vec());
        Ok(())
    }

    /// `call_data` as this sender's UserOp, unsigned (wrapped for Kernel).
    async fn wrapped_op(&self, call_data: Bytes) -> Result<PackedUserOperation> {
        let call_data =
            if self.execute_user_op { [&EXECUTE_USER_OP[..], &call_data].concat().into() } else { call_data };
        self.user_op(call_data).await
    }

    /// Signs `call_data` with this sender's key and submits it: through `handleOps`, or through
    /// the bundler of [`Self::via_bundler`].
    pub async fn submit(&self, call_data: Bytes) -> Result<OpOutcome> {
        let mut op = self.wrapped_op(call_data).await?;
        match &self.via {
            None => {
                self.sign_with_enable(&mut op).await?;
                self.handle_op(op).await
            }
            Some(bundler) => self.through_bundler(bundler, op).await,
        }
    }

    /// Signs `op` with this sender's key, then appends the session's grant if it carries one.
    pub async fn sign_with_enable(&self, op: &mut PackedUserOperation) -> Result<()> {
        let signer = self.signer.clone();
        self.sign(op, &signer).await?;
        if let Some(enable) = &self.enable {
            op.signature = [&op.signature[..], &enable[..]].concat().into();
        }
        Ok(())
    }

    /// `op` through `bundler`: the chain's current fees, the bundler's gas limits (unless it sends
    /// fixed ones, `op` enables a session, or goes through Kernel's `executeUserOp`), signed, sent, and its receipt awaited. A validation
    /// failure is the bundler's error, in words; a failed execution is reported in the outcome
    /// (or, when the estimate simulates it, as a [`Refused`] error before anything is sent).
    pub async fn through_bundler(&self, bundler: &Bundler, mut op: PackedUserOperation) -> Result<OpOutcome> {
        let fees = self.provider.estimate_eip1559_fees().await.wrap_err("reading the chain's fees")?;
        op.gasFees = pack_u128s(fees.max_priority_fee_per_gas, fees.max_fee_per_gas);
        // The bundler simulates with gas fields of its own, so no signature over this operation
        // verifies there: a placeholder of the real length (its calldata is priced) stands in. A
        // session's grant carried for enable-in-first-op is enabled only after a valid signature,
        // so its estimate would simulate the execution without the session: sent with the fixed
        // limits instead. So is a Kernel operation through `executeUserOp`: Alto's estimate of it
        // comes back with its 18,000 floor as the call's limit, too little to run the hook.
        if bundler.estimate_gas && self.enable.is_none() && !self.execute_user_op {
            op.signature = self.signer.sign_hash_sync(&B256::ZERO)?.as_bytes().to_vec().into();
            bundler.estimate(&op, self.entry_point).await?.apply(&mut op)?;
        }
        self.sign_with_enable(&mut op).await?;
        let hash = bundler.send(&op, self.entry_point).await?;
        let receipt = bundler.wait(hash).await?;
        let (success, revert_reason) = result_in_logs(&receipt.receipt.logs(), self.entry_point, hash)?;
        let gas_used = u64::try_from(receipt.actual_gas_used).unwrap_or(u64::MAX);
        Ok(OpOutcome { success, revert_reason, gas_used, intrinsic_gas: 0 })
    }

    /// Whether the EntryPoint would accept `call_data` as this sender's UserOp now, sending
    /// nothing: its simulated `handleOps` refuses a wrong key, a used nonce or a missing prefund
    /// in words. How the execution ends is known only once it is sent.
    pub async fn validate(&self, call_data: Bytes) -> Result<()> {
        let mut op = self.wrapped_op(call_data).await?;
        self.sign_with_enable(&mut op).await?;
        self.simulate(op).await
    }

    /// The `handleOps` call of `op` alone, simulated: a refused UserOp surfaces as the
    /// EntryPoint's decoded error.
    async fn simulate(&self, op: PackedUserOperation) -> Result<()> {
        let entry_point = self.entry_point();
        if let Err(e) = entry_point.handleOps(vec![op], self.bundler).gas(HANDLE_OPS_GAS).call().await {
            return Err(match LeashRevert::from_call_error(&e) {
                Some(revert) => Refused::new("handleOps", revert, &TokenBook::default()).into(),
                None => eyre!("handleOps was refused: {e}"),
            });
        }
        Ok(())
    }

    /// `account.execute(single, target ++ value ++ data)` as a UserOp (naming the sender's session,
    /// if it has one).
    pub async fn execute(&self, target: Address, value: U256, data: &[u8]) -> Result<OpOutcome> {
        self.submit(self.execute_call(target, value, data)).await
    }

    /// Why `hook` refused this sender's operation with `call_data`, where the account does not
    /// say: Safe7579 reports every module's revert as its own `ExecutionFailed()`, so on a Safe the
    /// hook is asked for its verdict on the same call as the adapter hands it over (the EntryPoint
    /// as sender, appended ERC-2771 style), at the chain's state now (a window or a pause may have
    /// moved since). Any other refusal is `refusal`, and so is this one when the hook does not
    /// answer with a refusal of its own.
    pub async fn explain(&self, hook: Address, call_data: &[u8], refusal: LeashRevert) -> LeashRevert
    where
        P: Provider,
    {
        if refusal != LeashRevert::Safe7579ExecutionFailed || hook.is_zero() {
            return refusal;
        }
        let msg_data: Bytes = [call_data, self.entry_point.as_slice()].concat().into();
        // The engine and the multiplexer share the ERC-7579 hook's `preCheck`.
        let verdict = IPolicyEngine::new(hook, &self.provider)
            .preCheck(self.entry_point, U256::ZERO, msg_data)
            .from(self.account)
            .call()
            .await;
        match verdict.err().as_ref().and_then(LeashRevert::from_call_error) {
            // A hook that does not hold the account is not why it refused.
            Some(LeashRevert::Leash(crate::abi::ILeashModule::ILeashModuleErrors::Leash_NotInstalled(_)))
            | None => refusal,
            Some(verdict) => verdict,
        }
    }

    /// The calldata of [`Self::execute`]: `account.execute(single, target, value, data)`, naming
    /// the sender's session, if any.
    pub fn execute_call(&self, target: Address, value: U256, data: &[u8]) -> Bytes {
        execute_single_as(self.session, target, value, data)
    }

    /// `account.execute(batch, executions)` as one UserOp (naming the sender's session, if any).
    pub async fn execute_batch(&self, executions: &[IERC7579Batch::Execution]) -> Result<OpOutcome> {
        self.submit(execute_batch_as(self.session, executions)).await
    }

    /// `account.installModule(moduleType, module, initData)` as a UserOp.
    pub async fn install_module(
        &self,
        module_type: u64,
        module: Address,
        init_data: Bytes,
    ) -> Result<OpOutcome> {
        let call = IERC7579ModuleConfig::installModuleCall {
            moduleTypeId: U256::from(module_type),
            module,
            initData: init_data,
        };
        self.submit(call.abi_encode().into()).await
    }

    /// Sends one UserOp. Validation failures (bad signature, nonce) are errors; a failed
    /// execution is reported in the outcome.
    pub async fn handle_op(&self, op: PackedUserOperation) -> Result<OpOutcome> {
        let hash: B256 = self.entry_point().getUserOpHash(op.clone()).call().await?;
        self.simulate(op.clone()).await?;
        let entry_point = self.entry_point();
        let call = entry_point.handleOps(vec![op], self.bundler).gas(HANDLE_OPS_GAS);
        let intrinsic_gas = intrinsic_gas(&call.calldata()[..]);
        let pending = match call.send().await {
            Ok(pending) => pending,
            Err(e) => {
                let unfunded = Unfunded::from_send_error(
                    &self.provider,
                    &e,
                    "handleOps",
                    "the handleOps sender's",
                    HANDLE_OPS_GAS,
                )
                .await;
                return Err(match unfunded {
                    Some(u) => u.into(),
                    None => eyre::Report::new(e).wrap_err("could not send handleOps"),
                });
            }
        };
        let receipt = pending.confirmed().await.wrap_err("no receipt")?;
        outcome_of(&receipt, self.entry_point, hash, intrinsic_gas)
    }
}

/// `execute(single mode, target ++ value ++ data)` calldata.
pub fn execute_single(target: Address, value: U256, data: &[u8]) -> Bytes {
    execute_single_as(None, target, value, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_name_their_family() {
        for (id, flavor) in [
            ("@openzeppelin/contracts.AccountERC7579Hooked.v1.0.0", AccountFlavor::OpenZeppelin),
            ("biconomy.nexus.1.0.0", AccountFlavor::Nexus),
            ("uMSA.advanced/withHook.v0.1", AccountFlavor::Reference),
            ("rhinestone.safe7579.v1.0.0", AccountFlavor::Safe7579),
            ("kernel.advanced.v0.3.1", AccountFlavor::Kernel),
            ("", AccountFlavor::OpenZeppelin),
        ] {
            assert_eq!(AccountFlavor::from_id(id), flavor, "{id}");
        }
        assert_eq!(AccountFlavor::OpenZeppelin.entry_point(), ENTRYPOINT_V08);
        assert_eq!(AccountFlavor::Nexus.entry_point(), ENTRYPOINT_V07);
        assert!(!AccountFlavor::OpenZeppelin.owner_needs_validator());
        assert!(AccountFlavor::Reference.owner_needs_validator());
        assert!(!AccountFlavor::Kernel.owner_needs_validator(), "the root validation on nonce key 0");
    }

    #[test]
    fn nonce_keys_place_the_validator_where_each_account_reads_it() {
        let v = Address::repeat_byte(0xab);
        // The 32-byte nonce of sequence 0 on each key.
        let nonce = |flavor: AccountFlavor| (U256::from(flavor.nonce_key(v)) << 64usize).to_be_bytes::<32>();
        let top = nonce(AccountFlavor::Reference);
        assert_eq!(&top[..20], v.as_slice());
        assert_eq!(top, nonce(AccountFlavor::OpenZeppelin));
        assert_eq!(top, nonce(AccountFlavor::Safe7579));
        let nexus = nonce(AccountFlavor::Nexus);
        assert_eq!(&nexus[..4], &[0u8; 4], "mode byte 0 (default validation)");
        assert_eq!(&nexus[4..24], v.as_slice());
        let kernel = nonce(AccountFlavor::Kernel);
        assert_eq!(&kernel[..2], &[0x00, 0x01], "mode 0, type validator");
        assert_eq!(&kernel[2..22], v.as_slice());
    }
}
