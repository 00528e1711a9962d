//! The demo: a trading agent on a leash, swapping on real Uniswap V3 on a local chain.
//!
//! Deploys Leash, EntryPoint v0.8, an ERC-7579 account the person owns, two tokens, and Uniswap V3
//! (factory, pool, position manager, SwapRouter) from the compiled artifacts the `@uniswap/v3-core`
//! and `@uniswap/v3-periphery` npm packages ship; the person installs AgentValidator with the
//! agent's key (the agent is never an owner) and `examples/trading-agent.toml` (the policy engine as
//! the account's hook, with the file's pause, allowlist and limits); then the agent,
//! signing through AgentValidator, is walked through allowed and refused actions, a pause, a
//! window rolling forward, and an attempt to remove its leash.

use std::collections::BTreeMap;

use alloy::primitives::utils::format_units;
use alloy::primitives::{aliases::U160, aliases::U24, Address, Bytes, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolError, SolValue};
use eyre::{bail, Result, WrapErr};

use leash::abi::{EmergencyPauseHook, IERC20Metadata, IERC7579Batch, IERC7579ModuleConfig, IEntryPoint};
use leash::account::{OpOutcome, UserOpSender};
use leash::config;
use leash::errors::{LeashRevert, Refused, TokenBook};
use leash::ops;
use leash::provider::Confirm;

use crate::abi::{
    ExactInputSingleParams, INonfungiblePositionManager, ISwapRouter, ITestToken, IUniswapV3Factory,
    IUniswapV3Pool, MintParams,
};
use crate::accounts::{self, AccountKind};
use crate::{deploy_code, hardhat_creation_code, Devnet};

const FEE: u32 = 3000;
const USDC: u64 = 1_000_000; // one USDC in base units

/// One step of the walk-through and what happened.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: String,
    pub allowed: bool,
    /// What came of it, or the refusal in plain words.
    pub detail: String,
    /// The refusal, decoded (`None` when allowed, or when nothing was decoded).
    pub refusal: Option<LeashRevert>,
}

/// What came of one action: allowed with a detail, or refused.
struct Verdict {
    allowed: bool,
    detail: String,
    refusal: Option<LeashRevert>,
}

impl Verdict {
    fn allowed(detail: String) -> Self {
        Self { allowed: true, detail, refusal: None }
    }

    fn refused(refusal: LeashRevert, book: &TokenBook) -> Self {
        Self { allowed: false, detail: refusal.describe(book), refusal: Some(refusal) }
    }
}

/// What the demo did, for printing and for tests.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub steps: Vec<Step>,
    pub weth_bought: U256,
}

struct Demo {
    /// The account's hook: the policy engine, or the multiplexer if the policy file asks for it.
    hook: Address,
    /// The module that holds the guardian's pause: the engine, or the pause hook behind the
    /// multiplexer.
    pause: Address,
    provider: DynProvider,
    agent: UserOpSender<DynProvider>,
    usdc: Address,
    weth: Address,
    router: Address,
    book: TokenBook,
}

/// Runs the demo on an account of `kind` on `net` (a fresh node spawned with
/// `no_code_size_limit`); prints each step through `say`.
pub async fn run(net: &Devnet, kind: AccountKind, mut say: impl FnMut(&str)) -> Result<Report> {
    let key = |i: usize| net.key(i);
    let deployer = net.provider.clone();
    let (authority, guardian, lp) = (key(1).address(), net.wallet(2), net.wallet(3));
    let root = &net.root;

    say("deploying Leash through the CREATE2 deployer");
    let (modules, _) = net.deploy_leash().await?;

    let person = key(4);
    if kind == AccountKind::Eoa {
        say(&format!(
            "the person's EOA {} delegates to LeashEOAAccount with EIP-7702 (a type-4 transaction \
             carrying its signed authorization), keeping its address and balance; EntryPoint v0.8",
            person.address()
        ));
    } else {
        say(&format!("deploying the person's {kind} account and its EntryPoint"));
    }
    let agent_key = PrivateKeySigner::random();
    let deployed = accounts::deploy(net, kind, &person).await?;
    let account = deployed.account;
    let owner = UserOpSender::new(deployer.clone(), deployed.entry_point, account, person)
        .bundler(key(0).address())
        .nonce_key(deployed.owner_nonce_key);
    let agent_validator = modules.validator;
    let mut agent =
        owner.clone().signed_by(agent_key.clone()).nonce_key(deployed.nonce_key_of(agent_validator));
    if kind == AccountKind::Kernel {
        // Kernel runs a validation's hook only for UserOps through `executeUserOp`.
        agent = agent.through_execute_user_op();
    }

    say("deploying two tokens and real Uniswap V3 (factory, pool, position manager, SwapRouter)");
    let usdc = net.deploy_token("SixDecimalToken", "USDC").await?;
    let weth = net.deploy_token("TestToken", "WETH").await?;
    let uniswap = root.join("node_modules/@uniswap");
    let factory = deploy_code(
        &deployer,
        hardhat_creation_code(
            &uniswap.join("v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json"),
        )?,
    )
    .await?;
    let npm_code = hardhat_creation_code(&uniswap.join(
        "v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
    ))?;
    let npm = deploy_code(
        &deployer,
        [npm_code.as_ref(), &(factory, weth, Address::with_last_byte(1)).abi_encode_params()].concat().into(),
    )
    .await?;
    let router_code = hardhat_creation_code(
        &uniswap.join("v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json"),
    )?;
    let router =
        deploy_code(&deployer, [router_code.as_ref(), &(factory, weth).abi_encode_params()].concat().into())
            .await?;

    // A USDC/WETH pool at 2,000 USDC per WETH, with full-range liquidity from a provider.
    let f = IUniswapV3Factory::new(factory, deployer.clone());
    f.createPool(usdc, weth, U24::from(FEE)).send().await?.confirmed().await?;
    let pool = f.getPool(usdc, weth, U24::from(FEE)).call().await?;
    let (token0, token1) = if usdc < weth { (usdc, weth) } else { (weth, usdc) };
    IUniswapV3Pool::new(pool, deployer.clone())
        .initialize(sqrt_price_x96(token0 == usdc))
        .send()
        .await?
        .confirmed()
        .await?;
    let lp_address = key(3).address();
    for (token, amount) in [
        (usdc, U256::from(4_000_000u64 * USDC)),
        (weth, U256::from(2_000u64) * U256::from(10u64).pow(U256::from(18))),
    ] {
        ITestToken::new(token, deployer.clone()).mint(lp_address, amount).send().await?.confirmed().await?;
        IERC20Metadata::new(token, lp.clone()).approve(npm, U256::MAX).send().await?.confirmed().await?;
    }
    let (amount0, amount1) = if token0 == usdc {
        (U256::from(2_000_000u64 * USDC), U256::from(1_000u64) * U256::from(10u64).pow(U256::from(18)))
    } else {
        (U256::from(1_000u64) * U256::from(10u64).pow(U256::from(18)), U256::from(2_000_000u64 * USDC))
    };
    INonfungiblePositionManager::new(npm, lp.clone())
        .mint(MintParams {
            token0,
            token1,
            fee: U24::from(FEE),
            tickLower: alloy::primitives::aliases::I24::try_from(-887_220).unwrap(),
            tickUpper: alloy::primitives::aliases::I24::try_from(887_220).unwrap(),
            amount0Desired: amount0,
            amount1Desired: amount1,
            amount0Min: U256::ZERO,
            amount1Min: U256::ZERO,
            recipient: lp_address,
            deadline: U256::from(u64::MAX),
        })
        // Not estimated: the pool writes an oracle observation when the block's second differs
        // from the last one's, so an estimate made within one second falls short in the next.
        .gas(1_000_000)
        .send()
        .await?
        .confirmed()
        .await
        .wrap_err("adding liquidity")?;
    if IUniswapV3Pool::new(pool, deployer.clone()).liquidity().call().await? == 0 {
        bail!("the pool has no liquidity");
    }
    ITestToken::new(usdc, deployer.clone())
        .mint(account, U256::from(20_000u64 * USDC))
        .send()
        .await?
        .confirmed()
        .await?;

    let vars: BTreeMap<String, Address> =
        [("AUTHORITY", authority), ("GUARDIAN", key(2).address()), ("USDC", usdc), ("ROUTER", router)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    let mut policy = config::load(&root.join("examples/trading-agent.toml"), &vars)?;
    policy.agent = Some(config::AgentConfig {
        key: agent_key.address(),
        gas_allowance: U256::from(10u64).pow(U256::from(17u64)),
    });
    let hook = policy.hook_module(&modules);
    let hook_name = match policy.hook {
        config::HookStack::Engine => "the policy engine",
        config::HookStack::Multiplexer => "the multiplexer",
    };
    say(&format!(
        "the person installs examples/trading-agent.toml with {hook_name} as the hook, and AgentValidator \
         with the agent's key (the agent is never an owner), in one operation{}",
        if kind == AccountKind::Kernel {
            ": on Kernel the hook rides on the agent's validation and on the executor"
        } else {
            ""
        }
    ));
    ops::install(&owner, &policy, &modules, &TokenBook::default()).await?;
    let book = TokenBook(
        [(usdc, ("USDC".to_string(), 6u8)), (weth, ("WETH".to_string(), 18u8))]
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
    );
    let pause = match policy.hook {
        config::HookStack::Engine => modules.engine,
        config::HookStack::Multiplexer => modules.pause,
    };
    let demo = Demo { hook, pause, provider: deployer.clone(), agent, usdc, weth, router, book };
    let mut report = Report::default();
    let step = |say: &mut dyn FnMut(&str), report: &mut Report, action: String, v: Verdict| {
        say(&format!("{} {action}: {}", if v.allowed { "ALLOWED" } else { "REFUSED" }, v.detail));
        report.steps.push(Step { action, allowed: v.allowed, detail: v.detail, refusal: v.refusal });
    };

    say("\nthe agent trades");
    let r = demo.swap(400).await?;
    step(&mut say, &mut report, "swap 400 USDC for WETH on Uniswap V3".into(), r);
    let r = demo.swap(600).await?;
    step(&mut say, &mut report, "swap 600 USDC (over the 500 per-trade cap)".into(), r);
    let stranger = Address::repeat_byte(0x5e);
    let transfer = IERC20Metadata::transferCall { to: stranger, value: U256::from(100 * USDC) }.abi_encode();
    let r = demo.run(usdc, &transfer).await?;
    step(&mut say, &mut report, "transfer 100 USDC to a stranger (not on the allowlist)".into(), r);
    let r = demo.swap_to(100, stranger).await?;
    step(
        &mut say,
        &mut report,
        "swap 100 USDC paying the stranger (the swap must pay the account)".into(),
        r,
    );
    for _ in 0..9 {
        let r = demo.swap(500).await?;
        step(&mut say, &mut report, "swap 500 USDC".into(), r);
    }
    let r = demo.swap(500).await?;
    step(&mut say, &mut report, "swap 500 USDC (past 5,000 USDC today)".into(), r);

    say("\nthe guardian pulls the kill switch");
    ops::pause(&guardian, &modules, account).await?;
    let r = demo.swap(100).await?;
    step(&mut say, &mut report, "swap 100 USDC while paused".into(), r);

    say("\na day passes: the pause ends by itself and the daily window rolls forward");
    demo.provider.anvil_increase_time(86_400 + 6 * 3_600 + 1).await?;
    demo.provider.evm_mine(None).await?;
    let r = demo.swap(500).await?;
    step(&mut say, &mut report, "swap 500 USDC the next day".into(), r);

    say("\nthe agent tries to take its leash off");
    let uninstall = IERC7579ModuleConfig::uninstallModuleCall {
        moduleTypeId: U256::from(4u64),
        module: hook,
        deInitData: Bytes::new(),
    };
    let r = match demo.submit(uninstall.abi_encode().into()).await {
        Ok(Ok(outcome)) if outcome.success => Verdict::allowed(format!("{hook_name} is gone")),
        Ok(Ok(outcome)) => Verdict::refused(LeashRevert::decode(&outcome.revert_reason), &demo.book),
        Ok(Err(refusal)) => Verdict::refused(refusal, &demo.book),
        Err(err) => match err.downcast::<Refused>() {
            Ok(refused) => {
                Verdict { allowed: false, detail: refused.to_string(), refusal: Some(refused.revert) }
            }
            Err(err) => return Err(err),
        },
    };
    step(&mut say, &mut report, format!("uninstall {hook_name} with the agent's key"), r);

    report.weth_bought = IERC20Metadata::new(weth, demo.provider.clone()).balanceOf(account).call().await?;
    say(&format!("\nthe agent holds {} WETH", format_units(report.weth_bought, 18).unwrap_or_default()));
    Ok(report)
}

impl Demo {
    /// One UserOp: approve the router for `usdc` USDC, then exactInputSingle USDC -> WETH, paid to
    /// the account.
    async fn swap(&self, usdc: u64) -> Result<Verdict> {
        self.swap_to(usdc, self.agent.account).await
    }

    /// The same swap with its output paid to `recipient`.
    async fn swap_to(&self, usdc: u64, recipient: Address) -> Result<Verdict> {
        let amount = U256::from(usdc * USDC);
        let approve = IERC20Metadata::approveCall { spender: self.router, value: amount }.abi_encode();
        let swap = ISwapRouter::exactInputSingleCall {
            params: ExactInputSingleParams {
                tokenIn: self.usdc,
                tokenOut: self.weth,
                fee: U24::from(FEE),
                recipient,
                deadline: U256::from(u64::MAX),
                amountIn: amount,
                amountOutMinimum: U256::ZERO,
                sqrtPriceLimitX96: U160::ZERO,
            },
        }
        .abi_encode();
        let items = vec![
            IERC7579Batch::Execution { target: self.usdc, value: U256::ZERO, callData: approve.into() },
            IERC7579Batch::Execution { target: self.router, value: U256::ZERO, callData: swap.into() },
        ];
        let mut mode = [0u8; 32];
        mode[0] = 0x01; // batch
        let call =
            IERC7579Batch::executeCall { mode: mode.into(), executionCalldata: items.abi_encode().into() };
        let before = IERC20Metadata::new(self.weth, self.provider.clone())
            .balanceOf(self.agent.account)
            .call()
            .await?;
        let call: Bytes = call.abi_encode().into();
        let outcome = match self.submit(call.clone()).await? {
            Ok(outcome) => outcome,
            Err(refusal) => return Ok(Verdict::refused(refusal, &self.book)),
        };
        if !outcome.success {
            return Ok(Verdict::refused(self.why_refused(&call, &outcome.revert_reason).await, &self.book));
        }
        let after = IERC20Metadata::new(self.weth, self.provider.clone())
            .balanceOf(self.agent.account)
            .call()
            .await?;
        Ok(Verdict::allowed(format!("got {} WETH", format_units(after - before, 18).unwrap_or_default())))
    }

    async fn run(&self, target: Address, data: &[u8]) -> Result<Verdict> {
        let call = leash::account::execute_single(target, U256::ZERO, data);
        let outcome = match self.submit(call.clone()).await? {
            Ok(outcome) => outcome,
            Err(refusal) => return Ok(Verdict::refused(refusal, &self.book)),
        };
        if outcome.success {
            Ok(Verdict::allowed("done".to_string()))
        } else {
            Ok(Verdict::refused(self.why_refused(&call, &outcome.revert_reason).await, &self.book))
        }
    }

    /// The agent's UserOp, or the pause that kept it from running: while the guardian's pause holds,
    /// AgentValidator makes the agent's operations valid only from its end, and the EntryPoint
    /// refuses them before they run or cost anything (`AA22`).
    async fn submit(&self, call: Bytes) -> Result<std::result::Result<OpOutcome, LeashRevert>> {
        let error = match self.agent.submit(call).await {
            Ok(outcome) => return Ok(Ok(outcome)),
            Err(error) => error,
        };
        let not_due = matches!(
            error.downcast_ref::<Refused>().map(|r| &r.revert),
            Some(LeashRevert::EntryPoint(IEntryPoint::IEntryPointErrors::FailedOp(f))) if f.reason.starts_with("AA22")
        );
        if !not_due {
            return Err(error);
        }
        let account = self.agent.account;
        // The engine answers the pause hook's `pausedUntil` too.
        let until =
            EmergencyPauseHook::new(self.pause, self.provider.clone()).pausedUntil(account).call().await?;
        let paused = EmergencyPauseHook::Pause_AccountPaused { account, until };
        Ok(Err(LeashRevert::decode(&paused.abi_encode())))
    }

    /// The refusal, in the hook's words where the account reports only its own
    /// ([`UserOpSender::explain`]).
    async fn why_refused(&self, call: &Bytes, reason: &Bytes) -> LeashRevert {
        self.agent.explain(self.hook, call, LeashRevert::decode(reason)).await
    }
}

/// sqrt(token1 per token0, in base units) * 2^96 at 2,000 USDC per WETH.
fn sqrt_price_x96(usdc_is_token0: bool) -> U160 {
    // WETH per USDC in base units: (1 / 2000) * 1e18 / 1e6 = 5e8; the other way round 2e-9.
    let price: f64 = if usdc_is_token0 { 5e8 } else { 2e-9 };
    let value = price.sqrt() * 2f64.powi(96);
    U160::from(value as u128)
}
