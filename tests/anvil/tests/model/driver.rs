//! The driver: performs the model's operations on a real ERC-7579 account on Anvil and reads the
//! contracts' answers and views. One driver owns one Anvil node, with one stack on the account:
//! the policy engine (the default), or the multiplexer with the separate hooks. The engine's
//! configuration functions and views have the separate hooks' signatures and errors, so the same
//! calls go to the engine or to the hook that holds the policy.
//!
//! Built for throughput, since the model test's depth is bounded by it (a JSON-RPC round trip
//! costs about 0.5 ms from this unoptimised test binary, an elliptic-curve signature about 1 ms):
//! - Anvil runs with `--prune-history`, which halves the cost of mining a block;
//! - every case starts from one snapshot (the modules, tokens, account and policy installed once
//!   per node), restored with `evm_revert`, instead of deploying a fresh account per case;
//! - transactions go through `eth_sendTransactionSync` from Anvil's unlocked accounts with a fixed
//!   gas limit: one request that returns once the block is mined, with no nonce, fee or gas
//!   requests before it and no receipt polling after it;
//! - the account's owner is one of Anvil's accounts, and a case's UserOps (their nonces follow
//!   from the sequence) are signed by Anvil in one batch when the case starts;
//! - blocks are one second apart (`anvil_setBlockTimestampInterval`); the clock is set only when
//!   the next step's time is not the next second, in the same batch as the views;
//! - a refusal the model predicts from the authority, the guardian or the keeper is confirmed by
//!   simulating the call at the step's time (nothing to mine); a predicted acceptance is sent.

use std::collections::{BTreeSet, VecDeque};

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, FixedBytes, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::client::BatchRequest;
use alloy::rpc::types::{BlockNumberOrTag, BlockOverrides, TransactionReceipt, TransactionRequest};
use alloy::sol_types::{SolCall, SolEvent};
use eyre::{bail, ensure, eyre, Result, WrapErr};
use leash::abi::{
    AllowlistHook, AutomationExecutor, EmergencyPauseHook, IAutomationExecutor, IERC20Metadata,
    SpendingLimitHook,
};
use leash::account::{
    execute_single, outcome_of, IEntryPoint, PackedUserOperation, UserOpSender, ENTRYPOINT_V08,
};
use leash::addresses::ModuleAddresses;
use leash::config::{self, HookStack};
use leash::provider::Confirm;
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::{devnet, Devnet, Options};
use serde_json::json;

use super::reference::{
    ping_call, ping_selector, transfer_selector, Entry, Names, Step, Verdict, Views, AUTO_UNPAUSE,
    TASK_AMOUNT, TASK_COOLDOWN, TASK_DELAY, TASK_ID, TASK_LIFETIME, TASK_RUNS, WINDOW,
};

/// Where each policy's calls and views go: all to the engine, or each to its separate hook.
#[derive(Clone, Copy)]
struct Targets {
    pause: Address,
    allowlist: Address,
    spending: Address,
}

/// Where the chain's clock starts (2030), far from Anvil's wall-clock genesis.
const START: u64 = 1_900_000_000;
/// Anvil's accounts: the bundler, the authority, the guardian, the keeper, and the owner of the
/// test account.
const BUNDLER: usize = 0;
const AUTHORITY: usize = 1;
const GUARDIAN: usize = 2;
const KEEPER: usize = 3;
const OWNER: usize = 5;
const HANDLE_OPS_GAS: u64 = 15_000_000;
const CALL_GAS: u64 = 2_000_000;

pub struct Driver {
    /// Kept alive for the node's lifetime; the node stops when this drops.
    _net: Devnet,
    rpc: RootProvider,
    pub names: Names,
    /// The token's limit per window.
    pub limit: u64,
    modules: ModuleAddresses,
    targets: Targets,
    owner: Address,
    bundler: Address,
    authority: Address,
    guardian: Address,
    keeper: Address,
    chain_id: u64,
    /// The state every case starts from.
    snapshot: U256,
    /// The time of the snapshot's block: the model's clock when a case starts.
    pub start: u64,
    pub task_starts_at: u64,
    /// The keeper's task as added: the keeper passes it whole.
    task: IAutomationExecutor::Task,
    first_op_nonce: U256,
    // Per case: the case's signed UserOps still to send, the time Anvil gives the next block
    // unless told otherwise, and the authority's allowlist changes (to send add or remove; each
    // mode has its own list, allow mode's first).
    signed: VecDeque<PackedUserOperation>,
    next_block_time: u64,
    listed: [BTreeSet<Entry>; 2],
    block_mode: bool,
    protected_other: bool,
}

impl Driver {
    /// A node with EntryPoint v0.8, the Leash modules, two tokens and an account with the policy
    /// (on `stack`, `limit` of the token per window) and the keeper's task installed in one
    /// operation, snapshotted.
    pub async fn spawn(stack: HookStack, limit: u64) -> Result<Self> {
        // Without history Anvil mines about twice as fast (nothing here reads an old block).
        let net = devnet(Options { prune_history: true, ..Options::default() })?;
        let rpc: RootProvider = RootProvider::new_http(net.anvil.endpoint_url());
        let [bundler, authority, guardian, keeper, owner] =
            [BUNDLER, AUTHORITY, GUARDIAN, KEEPER, OWNER].map(|i| net.anvil.addresses()[i]);
        // Key 0, the bundler, deploys and sends.
        let setup = net.provider.clone();
        rpc.anvil_set_block_timestamp_interval(1).await?;
        rpc.anvil_set_next_block_timestamp(START).await?;

        let modules = net.leash_on_v08().await?;
        let token = net.deploy_token("TestToken", "T").await?;
        let other = net.deploy_token("TestToken", "O").await?;

        // The account, its tokens and its policy, one block (one second) each after `installed`.
        let latest = rpc.get_block_by_number(BlockNumberOrTag::Latest).await?;
        let installed_at = latest.ok_or_else(|| eyre!("no latest block"))?.header.timestamp;
        let task_starts_at = installed_at + TASK_DELAY;
        let account = net.deploy_test_account(owner).await?;
        let minter = TestToken::new(token, setup.clone());
        minter.mint(account, U256::from(1_000_000u64)).send().await?.confirmed().await?;
        let sender =
            UserOpSender::new(setup.clone(), ENTRYPOINT_V08, account, net.key(OWNER)).bundler(bundler);
        let mut policy = policy([authority, guardian, keeper], token, task_starts_at, limit)?;
        policy.hook = stack;
        let task = policy.tasks[0].abi();
        let installed = sender.submit(policy.install_call(&modules, account)).await?;
        ensure!(
            installed.success,
            "install: {}",
            leash::errors::LeashRevert::decode(&installed.revert_reason)
        );
        let targets = match stack {
            HookStack::Engine => {
                Targets { pause: modules.engine, allowlist: modules.engine, spending: modules.engine }
            }
            HookStack::Multiplexer => {
                Targets { pause: modules.pause, allowlist: modules.allowlist, spending: modules.spending }
            }
        };

        let chain_id = rpc.get_chain_id().await?;
        let first_op_nonce = sender.entry_point().getNonce(account, Default::default()).call().await?;
        let latest = rpc.get_block_by_number(BlockNumberOrTag::Latest).await?;
        let start = latest.ok_or_else(|| eyre!("no latest block"))?.header.timestamp;
        // Deploy, mint, install: one second each, or the interval is not in force.
        ensure!(start == installed_at + 3, "blocks are not one second apart");
        let snapshot = rpc.anvil_snapshot().await?;
        Ok(Self {
            _net: net,
            rpc,
            names: Names { account, token, other },
            limit,
            modules,
            targets,
            owner,
            bundler,
            authority,
            guardian,
            keeper,
            chain_id,
            snapshot,
            start,
            task_starts_at,
            task,
            first_op_nonce,
            signed: VecDeque::new(),
            next_block_time: start + 1,
            listed: [BTreeSet::new(), BTreeSet::new()],
            block_mode: false,
            protected_other: false,
        })
    }

    /// Back to the snapshot for a case of `steps`, with the case's UserOps signed ahead.
    pub async fn reset(&mut self, steps: &[Step]) -> Result<()> {
        ensure!(self.rpc.anvil_revert(self.snapshot).await?, "the snapshot is gone");
        // Every UserOp uses the next nonce, whatever its execution does.
        let mut ops: Vec<PackedUserOperation> = steps
            .iter()
            .filter_map(|s| self.agent_call_of(s))
            .enumerate()
            .map(|(k, call_data)| {
                PackedUserOperation::unsigned(
                    self.names.account,
                    self.first_op_nonce + U256::from(k),
                    call_data,
                )
            })
            .collect();
        // `evm_revert` consumed the snapshot: a new one goes in the same batch as the signatures.
        let mut batch = BatchRequest::new(self.rpc.client());
        let snapshot = batch.add_call::<_, U256>("evm_snapshot", &())?;
        let signatures = ops
            .iter()
            .map(|op| batch.add_call::<_, Bytes>("eth_signTypedData_v4", &(self.owner, self.typed_data(op))))
            .collect::<Result<Vec<_>, _>>()?;
        batch.send().await?;
        self.snapshot = snapshot.await?;
        for (op, signature) in ops.iter_mut().zip(signatures) {
            op.signature = signature.await.wrap_err("eth_signTypedData_v4")?;
        }
        self.signed = ops.into();
        self.next_block_time = self.start + 1;
        self.listed = [[Entry::TokenTransfer].into_iter().collect(), BTreeSet::new()];
        self.block_mode = false;
        self.protected_other = false;
        Ok(())
    }

    /// Performs `step` at time `at` and returns the contracts' verdict. `refusal_predicted` says
    /// whether the model expects a refusal: for the authority's, the guardian's and the keeper's
    /// calls a predicted refusal is checked by simulation at `at`, anything else is sent.
    pub async fn perform(&mut self, step: &Step, at: u64, refusal_predicted: bool) -> Result<Verdict> {
        let Names { account, token, other } = self.names;
        let (m, t) = (self.modules, self.targets);
        match step {
            Step::Spend(_) | Step::Ping | Step::Malformed(_) => self.agent_call(step, at).await,
            Step::RunTask => {
                let data =
                    AutomationExecutor::executeTaskCall { account, task: self.task.clone() }.abi_encode();
                self.transact(at, self.keeper, m.automation, data, refusal_predicted).await
            }
            Step::Toggle(key) => {
                let (target, selector) = match key {
                    Entry::TokenTransfer => (token, transfer_selector()),
                    Entry::OtherPing => (other, ping_selector()),
                    Entry::OtherWildcard => (other, FixedBytes(config::WILDCARD_SELECTOR)),
                };
                let list = usize::from(self.block_mode);
                let data = if self.listed[list].contains(key) {
                    AllowlistHook::removePermissionCall { account, target, selector }.abi_encode()
                } else {
                    AllowlistHook::addPermissionCall { account, target, selector }.abi_encode()
                };
                let verdict = self.transact(at, self.authority, t.allowlist, data, refusal_predicted).await?;
                if verdict.is_none() && !self.listed[list].remove(key) {
                    self.listed[list].insert(*key);
                }
                Ok(verdict)
            }
            Step::Protect => {
                let data = if self.protected_other {
                    AllowlistHook::removeProtectedCall { account, target: other }.abi_encode()
                } else {
                    AllowlistHook::addProtectedCall { account, target: other }.abi_encode()
                };
                let verdict = self.transact(at, self.authority, t.allowlist, data, refusal_predicted).await?;
                if verdict.is_none() {
                    self.protected_other = !self.protected_other;
                }
                Ok(verdict)
            }
            Step::SetBlockMode(block) => {
                let data =
                    AllowlistHook::setModeCall { account, mode: if *block { 2 } else { 1 } }.abi_encode();
                let verdict = self.transact(at, self.authority, t.allowlist, data, refusal_predicted).await?;
                if verdict.is_none() {
                    self.block_mode = *block;
                }
                Ok(verdict)
            }
            Step::GuardianPause => {
                let data = EmergencyPauseHook::pauseCall { account }.abi_encode();
                self.transact(at, self.guardian, t.pause, data, refusal_predicted).await
            }
            Step::GuardianUnpause | Step::AuthorityUnpause => {
                let who = if matches!(step, Step::AuthorityUnpause) { self.authority } else { self.guardian };
                let data = EmergencyPauseHook::unpauseCall { account }.abi_encode();
                self.transact(at, who, t.pause, data, refusal_predicted).await
            }
            Step::Warp(_) => bail!("a time jump has nothing to perform"),
        }
    }

    /// The contracts' views at time `at`, read in one batch. When the next step reaches the
    /// chain at `next` (not the next second), the same batch sets the clock for it: the views are
    /// read at `at` explicitly and do not see it.
    pub async fn views(&mut self, at: u64, next: Option<u64>) -> Result<Views> {
        let Names { account, token, .. } = self.names;
        let overrides = BlockOverrides { time: Some(at), ..Default::default() };
        let read = |to: Address, data: Vec<u8>| {
            let tx = TransactionRequest::default().with_to(to).with_input(Bytes::from(data));
            (tx, BlockNumberOrTag::Latest, None::<()>, overrides.clone())
        };
        let spending = SpendingLimitHook::remainingAtCall { account, token, timestamp: U256::from(at) };
        let task = AutomationExecutor::taskOfCall { account, id: U256::from(TASK_ID) };
        let mut batch = BatchRequest::new(self.rpc.client());
        let remaining =
            batch.add_call::<_, Bytes>("eth_call", &read(self.targets.spending, spending.abi_encode()))?;
        let paused_until = batch.add_call::<_, Bytes>(
            "eth_call",
            &read(self.targets.pause, EmergencyPauseHook::pausedUntilCall { account }.abi_encode()),
        )?;
        let task =
            batch.add_call::<_, Bytes>("eth_call", &read(self.modules.automation, task.abi_encode()))?;
        let clock = match next {
            Some(next) if next != self.next_block_time => {
                self.next_block_time = next;
                Some(batch.add_call::<_, ()>("evm_setNextBlockTimestamp", &(next,))?)
            }
            _ => None,
        };
        batch.send().await?;
        if let Some(clock) = clock {
            clock.await.wrap_err("evm_setNextBlockTimestamp")?;
        }
        let (remaining, paused_until, task): (Bytes, Bytes, Bytes) =
            (remaining.await?, paused_until.await?, task.await?);
        let task = AutomationExecutor::taskOfCall::abi_decode_returns(&task)?;
        Ok(Views {
            remaining: SpendingLimitHook::remainingAtCall::abi_decode_returns(&remaining)?,
            paused_until: EmergencyPauseHook::pausedUntilCall::abi_decode_returns(&paused_until)?,
            task_runs: task.executions,
            task_last_run: task.lastRunAt,
        })
    }

    /// The account's `execute` calldata for an agent step: a transfer of the token, a ping of the
    /// other target, or calldata the allowlist must refuse.
    fn agent_call_of(&self, step: &Step) -> Option<Bytes> {
        let Names { token, other, .. } = self.names;
        let (target, data) = match step {
            Step::Spend(v) => {
                let to = Address::with_last_byte(0xb0);
                (token, IERC20Metadata::transferCall { to, value: U256::from(*v) }.abi_encode())
            }
            Step::Ping => (other, ping_call()),
            Step::Malformed(len) if *len < 4 => (other, vec![0xab; *len as usize]),
            Step::Malformed(_) => (other, vec![0; 36]),
            _ => return None,
        };
        Some(execute_single(target, U256::ZERO, &data))
    }

    /// The step's UserOp (signed when the case started) through `handleOps`.
    async fn agent_call(&mut self, step: &Step, at: u64) -> Result<Verdict> {
        let op = self.signed.pop_front().ok_or_else(|| eyre!("no UserOp was signed for {step:?}"))?;
        ensure!(Some(&op.callData) == self.agent_call_of(step).as_ref(), "the UserOps are out of step");
        let input = IEntryPoint::handleOpsCall { ops: vec![op], beneficiary: self.bundler }.abi_encode();
        let receipt = self.send(at, self.bundler, ENTRYPOINT_V08, input, HANDLE_OPS_GAS).await?;
        ensure!(receipt.status(), "handleOps reverted");
        // One UserOp per bundle: its hash is the one its event names.
        let hash = receipt
            .inner
            .logs()
            .iter()
            .find(|log| {
                log.address() == ENTRYPOINT_V08
                    && log.topics().first() == Some(&IEntryPoint::UserOperationEvent::SIGNATURE_HASH)
            })
            .and_then(|log| log.topics().get(1).copied())
            .ok_or_else(|| eyre!("no UserOperationEvent"))?;
        let outcome = outcome_of(&receipt, ENTRYPOINT_V08, hash, 0)?;
        Ok((!outcome.success).then_some(outcome.revert_reason))
    }

    /// EntryPoint v0.8's EIP-712 typed data of `op`, whose hash is `getUserOpHash(op)`.
    fn typed_data(&self, op: &PackedUserOperation) -> serde_json::Value {
        let field = |name: &str, ty: &str| json!({ "name": name, "type": ty });
        json!({
            "types": {
                "EIP712Domain": [
                    field("name", "string"),
                    field("version", "string"),
                    field("chainId", "uint256"),
                    field("verifyingContract", "address"),
                ],
                "PackedUserOperation": [
                    field("sender", "address"),
                    field("nonce", "uint256"),
                    field("initCode", "bytes"),
                    field("callData", "bytes"),
                    field("accountGasLimits", "bytes32"),
                    field("preVerificationGas", "uint256"),
                    field("gasFees", "bytes32"),
                    field("paymasterAndData", "bytes"),
                ],
            },
            "primaryType": "PackedUserOperation",
            "domain": {
                "name": "ERC4337",
                "version": "1",
                "chainId": self.chain_id,
                "verifyingContract": ENTRYPOINT_V08,
            },
            "message": {
                "sender": op.sender,
                "nonce": op.nonce,
                "initCode": op.initCode,
                "callData": op.callData,
                "accountGasLimits": op.accountGasLimits,
                "preVerificationGas": op.preVerificationGas,
                "gasFees": op.gasFees,
                "paymasterAndData": op.paymasterAndData,
            },
        })
    }

    /// A plain call from one of Anvil's accounts (the authority, the guardian, the keeper).
    async fn transact(
        &mut self,
        at: u64,
        from: Address,
        to: Address,
        data: Vec<u8>,
        refusal_predicted: bool,
    ) -> Result<Verdict> {
        if refusal_predicted {
            return self.simulate(at, from, to, data).await;
        }
        let receipt = self.send(at, from, to, data.clone(), CALL_GAS).await?;
        if receipt.status() {
            return Ok(None);
        }
        // A receipt carries no revert data: the same call at the same time has it.
        Ok(Some(self.simulate(at, from, to, data).await?.unwrap_or_default()))
    }

    /// Sends a transaction to be mined at `at` and returns its receipt.
    async fn send(
        &mut self,
        at: u64,
        from: Address,
        to: Address,
        data: Vec<u8>,
        gas: u64,
    ) -> Result<TransactionReceipt> {
        if at != self.next_block_time {
            self.rpc.anvil_set_next_block_timestamp(at).await?;
        }
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(to)
            .with_input(Bytes::from(data))
            .with_gas_limit(gas);
        let receipt: TransactionReceipt = self
            .rpc
            .client()
            .request("eth_sendTransactionSync", (tx,))
            .await
            .wrap_err("eth_sendTransactionSync")?;
        self.next_block_time = at + 1;
        Ok(receipt)
    }

    /// The call's revert data if it reverts at time `at` on the current state, `None` if it passes.
    async fn simulate(&self, at: u64, from: Address, to: Address, data: Vec<u8>) -> Result<Verdict> {
        let tx = TransactionRequest::default().with_from(from).with_to(to).with_input(Bytes::from(data));
        let overrides = BlockOverrides { time: Some(at), ..Default::default() };
        match self.rpc.call(tx).block(BlockNumberOrTag::Latest.into()).with_block_overrides(overrides).await {
            Ok(_) => Ok(None),
            Err(e) => match e.as_error_resp().and_then(|r| r.as_revert_data()) {
                Some(data) => Ok(Some(data)),
                None => Err(e.into()),
            },
        }
    }
}

/// The policy under test: pause with auto-unpause, allow mode with (token, transfer), one limit
/// on the token, and the keeper's task (a transfer of the token).
fn policy(
    [authority, guardian, keeper]: [Address; 3],
    token: Address,
    task_starts_at: u64,
    limit: u64,
) -> Result<config::PolicyConfig> {
    let text = format!(
        r#"
        authority = "{authority}"
        [pause]
        guardian = "{guardian}"
        auto_unpause_after = {AUTO_UNPAUSE}
        [allowlist]
        mode = "allow"
        permissions = [ {{ target = "{token}", function = "transfer(address,uint256)" }} ]
        [[spending]]
        token = "{token}"
        limits = [ {{ amount = "{limit}", window = {WINDOW} }} ]
        "#,
    );
    let mut policy = config::parse("model.toml", &text)?;
    let transfer =
        IERC20Metadata::transferCall { to: Address::with_last_byte(0xb1), value: U256::from(TASK_AMOUNT) };
    policy.tasks.push(config::TaskConfig {
        id: TASK_ID,
        caller: keeper,
        target: token,
        value: U256::ZERO,
        call: transfer.abi_encode().into(),
        cooldown: TASK_COOLDOWN,
        max_executions: TASK_RUNS,
        starts_at: task_starts_at,
        expires_at: task_starts_at + TASK_LIFETIME,
    });
    Ok(policy)
}
