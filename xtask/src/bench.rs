//! `cargo xtask bench`: what Leash costs, measured on Anvil through real UserOps.
//!
//! Every figure is one transaction (so every account and slot starts cold) into the project's
//! ERC-7579 test account (OpenZeppelin 5.7 with EntryPoint v0.8): the gas of the `handleOps`
//! transaction minus its intrinsic part (21,000 and calldata, which varies with the signature's
//! bytes). Overheads are differences against the same operation on an account with no hook.
//! Each case runs on a fresh account; "first" is the first such operation after installing,
//! "repeat" the same operation again (the steady state of an agent that transacts often).

pub mod accounts;
pub mod report;

use std::path::Path;

use alloy::primitives::{keccak256, Address, Bytes, FixedBytes, B256, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use eyre::{bail, eyre, Result};
use leash::abi::i_policy_engine::ISpendingLimitHook;
use leash::abi::{AutomationExecutor, IERC7579Execution, IPolicyEngine};
use leash::account::{
    enable_blob, execute_single, execute_single_as, intrinsic_gas, UserOpSender, ENTRYPOINT_V08,
};
use leash::addresses::ModuleAddresses;
use leash::artifacts;
use leash::config::{
    AllowlistConfig, AllowlistMode, HookStack, PauseConfig, PolicyConfig, SpendingConfig, TaskConfig,
    MODULE_TYPE_HOOK, WILDCARD_SELECTOR,
};
use leash::deploy::{self, Status};
use leash::errors::LeashRevert;
use leash::provider::Confirm;
use leash_devnet::{deploy_code, Devnet, EntryPoint, Options};

pub use report::Outcome;

sol! {
    #[sol(rpc)]
    interface IBenchToken {
        function mint(address to, uint256 amount) external;
        function transfer(address to, uint256 amount) external returns (bool);
    }

    struct Execution { address target; uint256 value; bytes callData; }
}

/// Genesis time: a multiple of every bucket width the bench uses (900 s, 1,800 s, 6 h, 1.75 days),
/// plus a minute, so that no run crosses a bucket edge between a "first" and its "repeat".
const GENESIS_TIMESTAMP: u64 = 151_200 * 13_000 + 60;
const ONE_TOKEN: u64 = 1_000_000_000_000_000_000;
const MODULE_TYPE_VALIDATOR: u64 = 1;
const PAYEES: usize = 32;

/// The configurations of the main table, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    Bare,
    Multiplexer,
    Pause,
    Allowlist,
    Spending,
    Full,
    Engine,
}

impl Stack {
    pub const ALL: [Stack; 7] = [
        Stack::Bare,
        Stack::Multiplexer,
        Stack::Pause,
        Stack::Allowlist,
        Stack::Spending,
        Stack::Full,
        Stack::Engine,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Stack::Bare => "no hook (baseline)",
            Stack::Multiplexer => "multiplexer, no sub-hooks",
            Stack::Pause => "pause alone",
            Stack::Allowlist => "allowlist alone",
            Stack::Spending => "spending limit alone",
            Stack::Full => "multiplexer stack (multiplexer + pause + allowlist + spending)",
            Stack::Engine => "full stack: the policy engine (pause + allowlist + spending in one hook)",
        }
    }
}

/// The operations measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Native,
    Erc20,
    Batch(usize),
}

impl Op {
    pub const MAIN: [Op; 3] = [Op::Native, Op::Erc20, Op::Batch(10)];

    pub fn label(self) -> String {
        match self {
            Op::Native => "native transfer".into(),
            Op::Erc20 => "ERC-20 transfer".into(),
            Op::Batch(n) => format!("batch of {n} ERC-20 transfers"),
        }
    }
}

/// First and repeat gas of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub first: u64,
    pub repeat: u64,
}

/// Everything the bench measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// (stack, op) → gas.
    pub main: Vec<(Stack, Op, Pair)>,
    /// The keeper's task with the executor alone, then behind the multiplexer stack and behind the
    /// policy engine, and the transfer the task makes, sent by a plain address.
    pub task_bare: Option<Pair>,
    pub task_full: Option<Pair>,
    pub task_engine: Option<Pair>,
    pub transfer_itself: Option<Pair>,
    /// An ERC-20 transfer signed by the agent's key through AgentValidator, behind the multiplexer
    /// stack and behind the policy engine.
    pub agent_full: Option<Pair>,
    pub agent_engine: Option<Pair>,
    /// An agent's session (one permitted pair, one parameter rule, its own limit, a usage limit, a
    /// time range): its ERC-20 transfers; granting it (the authority's transaction); the first
    /// transfer carrying its grant (enable-in-first-op) less the same first transfer granted before.
    pub session: Option<Pair>,
    pub session_grant: Option<u64>,
    pub session_enable: Option<u64>,
    /// The README's worked example installed on a fresh account, every install in all.
    pub install_example: Option<u64>,
    /// Module name → deployment transaction gas, and runtime code size in bytes.
    pub deployments: Vec<(String, u64)>,
    pub code_sizes: Vec<(String, u64)>,
    /// The EIP-7702 account implementation (not a module, outside the modules' figures): its
    /// deployment gas and runtime code size in bytes.
    pub eoa_account: Option<(u64, u64)>,
    /// Scaling curves: (x, gas of the ERC-20 transfer, repeat).
    pub sub_hooks: Vec<(u64, u64)>,
    pub allowlist_entries: Vec<(u64, u64)>,
    pub tracked_tokens: Vec<(u64, u64)>,
    pub limits_per_token: Vec<(u64, u64)>,
    /// (batch size, bare gas, policy engine gas)
    pub batch: Vec<(u64, u64, u64)>,
}

impl Results {
    pub fn gas(&self, stack: Stack, op: Op) -> Option<Pair> {
        self.main.iter().find(|(s, o, _)| *s == stack && *o == op).map(|(_, _, p)| *p)
    }
}

struct Bench {
    /// Kept alive for the node's lifetime.
    _net: Devnet,
    provider: DynProvider,
    bundler: Address,
    keeper: DynProvider,
    keeper_address: Address,
    authority: Address,
    /// The authority's key and wallet: sessions are granted (or signed) by it.
    authority_key: PrivateKeySigner,
    authority_wallet: DynProvider,
    guardian: Address,
    modules: ModuleAddresses,
    token: Address,
    payees: Vec<Address>,
    account_code: Bytes,
    pause_code: Bytes,
    accounts: u64,
}

/// Runs every measurement on a fresh Anvil. `progress` receives one line per group.
pub async fn run(root: &Path, mut progress: impl FnMut(&str)) -> Result<Results> {
    let out = root.join("out");
    let net = Devnet::spawn(Options { timestamp: Some(GENESIS_TIMESTAMP), ..Options::default() })?;
    let key = |i: usize| net.key(i);
    let provider = net.provider.clone();
    let keeper = net.wallet(3);

    progress("deploying Leash through the CREATE2 deployer");
    let (modules, report) = net.deploy_leash().await?;
    let mut results = Results::default();
    for (module, status) in &report.modules {
        let Status::Deployed { gas_used, .. } = status else {
            bail!("{} was already on a fresh chain", module.name);
        };
        let size = provider.get_code_at(module.address).await?.len() as u64;
        if module.name == deploy::EOA_ACCOUNT {
            results.eoa_account = Some((*gas_used, size));
            continue;
        }
        results.deployments.push((module.name.to_string(), *gas_used));
        results.code_sizes.push((module.name.to_string(), size));
    }
    net.place_entry_point(EntryPoint::V08).await?;
    let token = net.deploy_token("TestToken", "USD").await?;

    let mut bench = Bench {
        bundler: key(0).address(),
        keeper_address: key(3).address(),
        authority: key(1).address(),
        authority_key: key(1),
        authority_wallet: net.wallet(1),
        guardian: key(2).address(),
        modules,
        token,
        payees: (0..PAYEES)
            .map(|i| Address::from_word(keccak256(format!("leash-bench-payee-{i}"))))
            .collect(),
        account_code: net.test_contract_code("LeashTestAccount")?,
        pause_code: artifacts::creation_code(&out, "EmergencyPauseHook")?,
        accounts: 0,
        provider,
        keeper,
        _net: net,
    };
    // Every recipient already holds ether and tokens: no case pays for creating a balance.
    for payee in bench.payees.clone().into_iter().chain([bench.keeper_address]) {
        bench.provider.anvil_set_balance(payee, U256::from(1u64)).await?;
        bench.mint(payee, U256::from(1u64)).await?;
    }
    bench.provider.anvil_set_balance(bench.keeper_address, U256::from(10u64).pow(U256::from(20))).await?;
    bench.mint(bench.keeper_address, tokens(1_000)).await?;

    for stack in Stack::ALL {
        progress(&format!("{}: native, ERC-20, batch of 10", stack.label()));
        for op in Op::MAIN {
            let pair = bench.case(stack, &bench.policy(), op).await?;
            results.main.push((stack, op, pair));
        }
    }

    progress(
        "automation: a keeper's task with the executor alone, behind the multiplexer stack and the engine",
    );
    results.task_bare = Some(bench.task(None).await?);
    results.task_full = Some(bench.task(Some(Stack::Full)).await?);
    results.task_engine = Some(bench.task(Some(Stack::Engine)).await?);
    results.transfer_itself = Some(bench.plain_transfer().await?);

    progress("the agent's key: AgentValidator behind the multiplexer stack and the policy engine");
    results.agent_full = Some(bench.agent_case(Stack::Full).await?);
    results.agent_engine = Some(bench.agent_case(Stack::Engine).await?);

    progress("an agent's session: its transfers, its grant, and its grant carried in its first operation");
    let (session, grant, enable) = bench.session_case().await?;
    (results.session, results.session_grant, results.session_enable) =
        (Some(session), Some(grant), Some(enable));

    progress("installing the README's worked example: AgentValidator, the executor and its task, the engine");
    results.install_example = Some(bench.install_example().await?);

    progress("scaling: 0 to 8 sub-hooks");
    for n in 0..=8u64 {
        let gas = bench.sub_hooks_case(n as usize).await?;
        results.sub_hooks.push((n, gas));
    }

    progress("scaling: 1 to 100 allowlist entries");
    for n in [1u64, 10, 25, 50, 75, 100] {
        let mut policy = bench.policy();
        let allowlist = policy.allowlist.as_mut().expect("the bench policy has an allowlist");
        // Only the token's `transfer` and n - 1 other entries (the transfer needs no more).
        allowlist.permissions.retain(|(target, _)| *target == bench.token);
        for i in 1..n {
            let filler = Address::from_word(keccak256(format!("leash-bench-listed-{i}")));
            allowlist.permissions.insert(0, (filler, FixedBytes([0x12, 0x34, 0x56, i as u8])));
        }
        results.allowlist_entries.push((n, bench.case(Stack::Allowlist, &policy, Op::Erc20).await?.repeat));
    }

    progress("scaling: 1 to 16 tracked tokens");
    for n in [1u64, 2, 4, 8, 12, 16] {
        let mut policy = bench.policy();
        policy.spending.retain(|s| s.token == bench.token);
        for i in 1..n {
            let filler = Address::from_word(keccak256(format!("leash-bench-token-{i}")));
            policy.spending.insert(0, SpendingConfig { token: filler, ..policy.spending[0].clone() });
        }
        results.tracked_tokens.push((n, bench.case(Stack::Spending, &policy, Op::Erc20).await?.repeat));
    }

    progress("scaling: 1 to 4 limits on one token");
    for n in 1..=4u64 {
        let mut policy = bench.policy();
        policy.spending.retain(|s| s.token == bench.token);
        policy.spending[0].limits = [(100, 3_600), (1_000, 86_400), (5_000, 604_800), (150, 7_200)]
            .into_iter()
            .take(n as usize)
            .map(|(amount, window)| (tokens(amount), window))
            .collect();
        results.limits_per_token.push((n, bench.case(Stack::Spending, &policy, Op::Erc20).await?.repeat));
    }

    progress("scaling: batches of 1 to 32 ERC-20 transfers, bare and behind the policy engine");
    for n in [1u64, 2, 4, 8, 16, 32] {
        let bare = bench.case(Stack::Bare, &bench.policy(), Op::Batch(n as usize)).await?.repeat;
        let full = bench.case(Stack::Engine, &bench.policy(), Op::Batch(n as usize)).await?.repeat;
        results.batch.push((n, bare, full));
    }
    progress(&format!("done: {} accounts measured", bench.accounts));
    Ok(results)
}

fn tokens(n: u64) -> U256 {
    U256::from(n) * U256::from(ONE_TOKEN)
}

impl Bench {
    /// The policy every case starts from: the token and ether limited per day, the token's
    /// `transfer` and plain transfers to the first payee listed, a guardian with manual unpause.
    fn policy(&self) -> PolicyConfig {
        PolicyConfig {
            authority: self.authority,
            hook: HookStack::Engine,
            tokens: Vec::new(),
            pause: Some(PauseConfig { guardian: self.guardian, auto_unpause_after: 0 }),
            allowlist: Some(AllowlistConfig {
                mode: AllowlistMode::Allow,
                permissions: vec![
                    (self.payees[0], FixedBytes(WILDCARD_SELECTOR)),
                    (self.token, IBenchToken::transferCall::SELECTOR.into()),
                ],
                protected: Vec::new(),
            }),
            spending: vec![
                SpendingConfig {
                    token: self.token,
                    per_tx_cap: U256::ZERO,
                    limits: vec![(tokens(1_000), 86_400)],
                },
                SpendingConfig {
                    token: Address::ZERO,
                    per_tx_cap: U256::ZERO,
                    limits: vec![(tokens(10), 86_400)],
                },
            ],
            tasks: Vec::new(),
            custom_hooks: Vec::new(),
            sessions: Vec::new(),
            call_rules: Vec::new(),
            agent: None,
        }
    }

    async fn mint(&self, to: Address, amount: U256) -> Result<()> {
        IBenchToken::new(self.token, &self.provider).mint(to, amount).send().await?.confirmed().await?;
        Ok(())
    }

    /// A fresh test account with ether and tokens, owned by a key derived from a counter (the
    /// same accounts on every run).
    async fn account(&mut self) -> Result<UserOpSender<DynProvider>> {
        self.accounts += 1;
        let owner = PrivateKeySigner::from_bytes(&keccak256(format!("leash-bench-owner-{}", self.accounts)))?;
        let code = [self.account_code.as_ref(), &owner.address().abi_encode()].concat();
        let account = deploy_code(&self.provider, code.into()).await?;
        self.provider.anvil_set_balance(account, U256::from(10u64).pow(U256::from(20))).await?;
        self.mint(account, tokens(1_000_000)).await?;
        // The bundler sends handleOps: its fee payment goes to an account already warm.
        let sender =
            UserOpSender::new(self.provider.clone(), ENTRYPOINT_V08, account, owner).bundler(self.bundler);
        // The account's first UserOp pays for its EntryPoint nonce slot: spend it on nothing, so
        // that "first" means the first operation of a configuration, not of the account.
        self.measure(&sender, execute_single(self.payees[PAYEES - 1], U256::ZERO, &[])).await?;
        Ok(sender)
    }

    /// Installs `stack`, configured from `policy`, on `sender`'s account.
    async fn install(
        &self,
        sender: &UserOpSender<DynProvider>,
        stack: Stack,
        policy: &PolicyConfig,
    ) -> Result<()> {
        let alone = |module: Address| -> Result<(u64, Address, Bytes)> {
            let (_, init) = policy
                .sub_hooks(&self.modules)
                .into_iter()
                .find(|(m, _)| *m == module)
                .ok_or_else(|| eyre!("the policy does not configure {module}"))?;
            Ok((MODULE_TYPE_HOOK, module, init))
        };
        let installs: Vec<(u64, Address, Bytes)> = match stack {
            Stack::Bare => Vec::new(),
            Stack::Multiplexer => {
                let init = (self.authority, Vec::<Address>::new(), Vec::<Bytes>::new()).abi_encode_params();
                vec![(MODULE_TYPE_HOOK, self.modules.multiplexer, init.into())]
            }
            Stack::Pause => vec![alone(self.modules.pause)?],
            Stack::Allowlist => vec![alone(self.modules.allowlist)?],
            Stack::Spending => vec![alone(self.modules.spending)?],
            Stack::Full => PolicyConfig { hook: HookStack::Multiplexer, ..policy.clone() }
                .install_payloads(&self.modules)
                .into_iter()
                .map(|p| (p.module_type, p.module, p.init_data))
                .collect(),
            Stack::Engine => {
                vec![(MODULE_TYPE_HOOK, self.modules.engine, policy.engine_install_data(FixedBytes::ZERO))]
            }
        };
        for (module_type, module, init) in installs {
            let outcome = sender.install_module(module_type, module, init).await?;
            if !outcome.success {
                bail!("installing {module}: {}", LeashRevert::decode(&outcome.revert_reason));
            }
        }
        Ok(())
    }

    fn call_data(&self, op: Op) -> Bytes {
        let transfer =
            |to: Address| IBenchToken::transferCall { to, amount: U256::from(ONE_TOKEN) }.abi_encode();
        match op {
            Op::Native => execute_single(self.payees[0], U256::from(ONE_TOKEN / 100), &[]),
            Op::Erc20 => execute_single(self.token, U256::ZERO, &transfer(self.payees[0])),
            Op::Batch(n) => {
                let items: Vec<Execution> = (0..n)
                    .map(|i| Execution {
                        target: self.token,
                        value: U256::ZERO,
                        callData: transfer(self.payees[i % PAYEES]).into(),
                    })
                    .collect();
                let mut mode = B256::ZERO;
                mode.0[0] = 0x01; // call type: batch
                IERC7579Execution::executeCall { mode, executionCalldata: items.abi_encode().into() }
                    .abi_encode()
                    .into()
            }
        }
    }

    /// One UserOp's execution gas; a refused operation is an error (the bench measures only
    /// operations within every limit).
    async fn measure(&self, sender: &UserOpSender<DynProvider>, call: Bytes) -> Result<u64> {
        let outcome = sender.submit(call).await?;
        if !outcome.success {
            bail!("a measured operation was refused: {}", LeashRevert::decode(&outcome.revert_reason));
        }
        Ok(outcome.execution_gas())
    }

    /// A fresh account with `stack` installed from `policy`: `op` once, then again.
    async fn case(&mut self, stack: Stack, policy: &PolicyConfig, op: Op) -> Result<Pair> {
        let sender = self.account().await?;
        self.install(&sender, stack, policy).await?;
        let first = self.measure(&sender, self.call_data(op)).await?;
        let repeat = self.measure(&sender, self.call_data(op)).await?;
        Ok(Pair { first, repeat })
    }

    /// A mulitplexer with `n` pause hooks (each its own deployment, trusting the multiplexer):
    /// what each further sub-hook adds to an ERC-20 transfer.
    async fn sub_hooks_case(&mut self, n: usize) -> Result<u64> {
        let sender = self.account().await?;
        let mut hooks = Vec::new();
        for i in 0..n {
            hooks.push(if i == 0 {
                self.modules.pause
            } else {
                let code = [self.pause_code.as_ref(), &self.modules.multiplexer.abi_encode()].concat();
                deploy_code(&self.provider, code.into()).await?
            });
        }
        let init = (self.authority, self.guardian, U256::ZERO).abi_encode_params();
        let inits = vec![Bytes::from(init); n];
        let mux_init = (self.authority, hooks, inits).abi_encode_params();
        let outcome =
            sender.install_module(MODULE_TYPE_HOOK, self.modules.multiplexer, mux_init.into()).await?;
        if !outcome.success {
            bail!("installing {n} sub-hooks: {}", LeashRevert::decode(&outcome.revert_reason));
        }
        self.measure(&sender, self.call_data(Op::Erc20)).await?;
        self.measure(&sender, self.call_data(Op::Erc20)).await
    }

    /// The agent's key in AgentValidator signs ERC-20 transfers, behind `stack` (the multiplexer
    /// stack or the policy engine; the validator is installed first: afterwards module changes need
    /// the authority's approval).
    async fn agent_case(&mut self, stack: Stack) -> Result<Pair> {
        let owner = self.account().await?;
        let agent = PrivateKeySigner::from_bytes(&keccak256("leash-bench-agent"))?;
        // UserOps here pay no fees (zero gas prices), so the gas-fee allowance is never drawn on.
        let init = (self.authority, agent.address(), U256::from(ONE_TOKEN)).abi_encode_params();
        let outcome =
            owner.install_module(MODULE_TYPE_VALIDATOR, self.modules.validator, init.into()).await?;
        if !outcome.success {
            bail!("installing AgentValidator: {}", LeashRevert::decode(&outcome.revert_reason));
        }
        self.install(&owner, stack, &self.policy()).await?;
        let sender = owner.signed_by(agent).via_validator(self.modules.validator);
        // The agent's first UserOp opens its own nonce sequence at the EntryPoint: spend it on nothing.
        self.measure(&sender, execute_single(self.payees[0], U256::ZERO, &[])).await?;
        let first = self.measure(&sender, self.call_data(Op::Erc20)).await?;
        let repeat = self.measure(&sender, self.call_data(Op::Erc20)).await?;
        Ok(Pair { first, repeat })
    }

    /// A fresh account with AgentValidator for sessions only and the engine with the guardian's
    /// pause alone, for `agent`'s session: the account's sender and the session's.
    async fn session_account(
        &mut self,
        agent: &PrivateKeySigner,
    ) -> Result<(UserOpSender<DynProvider>, UserOpSender<DynProvider>)> {
        let owner = self.account().await?;
        let init = (self.authority, Address::ZERO, U256::from(ONE_TOKEN)).abi_encode_params();
        let outcome =
            owner.install_module(MODULE_TYPE_VALIDATOR, self.modules.validator, init.into()).await?;
        if !outcome.success {
            bail!("installing AgentValidator: {}", LeashRevert::decode(&outcome.revert_reason));
        }
        let mut policy = self.policy();
        policy.allowlist = None;
        policy.spending.clear();
        self.install(&owner, Stack::Engine, &policy).await?;
        let session =
            owner.clone().signed_by(agent.clone()).via_validator(self.modules.validator).as_session();
        Ok((owner, session))
    }

    /// The session measured: the token's `transfer` to the first payee only (a rule on the
    /// recipient), 100 tokens an hour of its own, 1,000 calls in all, thirty days.
    fn session_grant(&self, agent: Address) -> IPolicyEngine::Session {
        let rule = IPolicyEngine::ParamRule {
            op: 1, // Equal
            argIndex: 0,
            width: 20,
            values: vec![U256::from_be_slice(self.payees[0].as_slice())],
        };
        IPolicyEngine::Session {
            agent,
            validAfter: alloy::primitives::Uint::from(GENESIS_TIMESTAMP),
            validUntil: alloy::primitives::Uint::from(GENESIS_TIMESTAMP + 10 * 365 * 86_400),
            maxUses: 1_000,
            usesPerWindow: 0,
            usageWindow: 0,
            calls: vec![IPolicyEngine::SessionCall {
                target: self.token,
                selector: IBenchToken::transferCall::SELECTOR.into(),
                rules: vec![rule],
            }],
            tokens: vec![ISpendingLimitHook::TokenPolicy {
                token: self.token,
                perTxCap: U256::ZERO,
                limits: vec![ISpendingLimitHook::LimitConfig {
                    amount: tokens(100),
                    window: U256::from(3_600u64),
                }],
            }],
        }
    }

    /// The session's transfers (the first of its nonce key opens it, as the agent's case does),
    /// its grant, and on a second account the same first operation carrying the grant.
    async fn session_case(&mut self) -> Result<(Pair, u64, u64)> {
        let agent = PrivateKeySigner::from_bytes(&keccak256("leash-bench-session"))?;
        let transfer =
            IBenchToken::transferCall { to: self.payees[0], amount: U256::from(ONE_TOKEN) }.abi_encode();
        let call = execute_single_as(Some(agent.address()), self.token, U256::ZERO, &transfer);

        let (owner, session) = self.session_account(&agent).await?;
        let engine = IPolicyEngine::new(self.modules.engine, self.authority_wallet.clone());
        let grant = engine
            .grantSession(owner.account, self.session_grant(agent.address()))
            .send()
            .await?
            .confirmed()
            .await?;
        let opening = self.measure(&session, call.clone()).await?;
        let first = self.measure(&session, call.clone()).await?;
        let repeat = self.measure(&session, call.clone()).await?;

        let (owner, session) = self.session_account(&agent).await?;
        let grant_data = self.session_grant(agent.address());
        let digest = IPolicyEngine::new(self.modules.engine, self.provider.clone())
            .sessionGrantDigest(owner.account, grant_data.clone())
            .call()
            .await?;
        let signature = self.authority_key.sign_hash_sync(&digest)?;
        let enabling = session.with_enable(Some(enable_blob(&grant_data, &signature.as_bytes())));
        let enabled = self.measure(&enabling, call).await?;
        Ok((Pair { first, repeat }, grant.gas_used, enabled.saturating_sub(opening)))
    }

    /// The installs of `policy` without its hooks: the executor and its tasks (installed before
    /// any hook, which would then require approvals for them).
    fn executor_payloads(&self, policy: &PolicyConfig) -> Vec<(u64, Address, Bytes, String)> {
        let mut executor_only = policy.clone();
        executor_only.pause = None;
        executor_only.allowlist = None;
        executor_only.spending.clear();
        executor_only
            .install_payloads(&self.modules)
            .into_iter()
            .map(|p| (p.module_type, p.module, p.init_data, p.label.to_string()))
            .collect()
    }

    /// The README's worked example on a fresh account: AgentValidator with the agent's key, the
    /// executor with a monthly rent task, and the policy engine (a guardian with auto-unpause after
    /// a day; only the token's `transfer`; 500 an hour and 5,000 a day, at most 300 at once). The
    /// gas of the three installing UserOps, each less what an empty UserOp costs.
    async fn install_example(&mut self) -> Result<u64> {
        let sender = self.account().await?;
        let empty = self.measure(&sender, execute_single(self.payees[PAYEES - 1], U256::ZERO, &[])).await?;
        let agent = PrivateKeySigner::from_bytes(&keccak256("leash-bench-example-agent"))?;
        let mut policy = self.policy();
        policy.pause = Some(PauseConfig { guardian: self.guardian, auto_unpause_after: 86_400 });
        policy.allowlist = Some(AllowlistConfig {
            mode: AllowlistMode::Allow,
            permissions: vec![(self.token, IBenchToken::transferCall::SELECTOR.into())],
            protected: Vec::new(),
        });
        policy.spending = vec![SpendingConfig {
            token: self.token,
            per_tx_cap: tokens(300),
            limits: vec![(tokens(500), 3_600), (tokens(5_000), 86_400)],
        }];
        policy.tasks.push(TaskConfig {
            id: 1,
            caller: self.keeper_address,
            target: self.token,
            value: U256::ZERO,
            call: IBenchToken::transferCall { to: self.payees[2], amount: tokens(1_000) }.abi_encode().into(),
            cooldown: 30 * 86_400,
            max_executions: 0,
            starts_at: 0,
            expires_at: 0,
        });
        let mut installs: Vec<(u64, Address, Bytes, String)> = vec![(
            MODULE_TYPE_VALIDATOR,
            self.modules.validator,
            (self.authority, agent.address(), U256::from(ONE_TOKEN)).abi_encode_params().into(),
            "AgentValidator".into(),
        )];
        installs.extend(self.executor_payloads(&policy));
        installs.push((
            MODULE_TYPE_HOOK,
            self.modules.engine,
            policy.engine_install_data(FixedBytes::ZERO),
            "the policy engine".into(),
        ));
        let mut total = 0;
        for (module_type, module, init, label) in installs {
            let outcome = sender.install_module(module_type, module, init).await?;
            if !outcome.success {
                bail!("installing {label}: {}", LeashRevert::decode(&outcome.revert_reason));
            }
            total += outcome.execution_gas().saturating_sub(empty);
        }
        Ok(total)
    }

    /// The keeper runs a task that transfers one token: the executor alone (`None`), or behind the
    /// multiplexer stack or the policy engine.
    async fn task(&mut self, stack: Option<Stack>) -> Result<Pair> {
        let sender = self.account().await?;
        let mut policy = self.policy();
        let task = TaskConfig {
            id: 1,
            caller: self.keeper_address,
            target: self.token,
            value: U256::ZERO,
            call: IBenchToken::transferCall { to: self.payees[1], amount: U256::from(ONE_TOKEN) }
                .abi_encode()
                .into(),
            cooldown: 0,
            max_executions: 0,
            starts_at: 0,
            expires_at: 0,
        };
        policy.tasks.push(task.clone());
        let mut payloads: Vec<(u64, Address, Bytes, String)> = Vec::new();
        if stack == Some(Stack::Full) {
            policy.hook = HookStack::Multiplexer;
            for p in policy.install_payloads(&self.modules) {
                payloads.push((p.module_type, p.module, p.init_data, p.label.to_string()));
            }
        } else {
            // The executor and its tasks alone (the engine follows: the executor goes first, before any
            // hook requires approvals).
            payloads.extend(self.executor_payloads(&policy));
            if stack == Some(Stack::Engine) {
                payloads.push((
                    MODULE_TYPE_HOOK,
                    self.modules.engine,
                    policy.engine_install_data(FixedBytes::ZERO),
                    "the policy engine".into(),
                ));
            }
        }
        for (module_type, module, init, label) in payloads {
            let outcome = sender.install_module(module_type, module, init).await?;
            if !outcome.success {
                bail!("installing {label}: {}", LeashRevert::decode(&outcome.revert_reason));
            }
        }
        let executor = AutomationExecutor::new(self.modules.automation, &self.keeper);
        let mut gas = Vec::new();
        for _ in 0..2 {
            // The keeper passes the task whole: its bytes are in the calldata the intrinsic gas
            // covers, as the plain transfer's are.
            let call = executor.executeTask(sender.account, task.abi());
            let input = call.calldata().clone();
            let receipt = call.send().await?.confirmed().await?;
            if !receipt.status() {
                bail!("the keeper's task reverted ({})", receipt.transaction_hash);
            }
            gas.push(receipt.gas_used - intrinsic_gas(&input));
        }
        Ok(Pair { first: gas[0], repeat: gas[1] })
    }

    /// The task's transfer sent by a plain address: the cost of the transfer itself.
    async fn plain_transfer(&self) -> Result<Pair> {
        let token = IBenchToken::new(self.token, &self.keeper);
        let mut gas = Vec::new();
        for _ in 0..2 {
            let call = token.transfer(self.payees[1], U256::from(ONE_TOKEN));
            let input = call.calldata().clone();
            let receipt = call.send().await?.confirmed().await?;
            if !receipt.status() {
                bail!("a plain transfer reverted");
            }
            gas.push(receipt.gas_used - intrinsic_gas(&input));
        }
        Ok(Pair { first: gas[0], repeat: gas[1] })
    }
}
