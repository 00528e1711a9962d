//! The agent's UserOps through a real ERC-4337 bundler (Alto, `leash_devnet::alto`) instead of
//! `handleOps` from a funded key: on the test account with `subscription.toml` installed (its
//! `[agent]` in AgentValidator, 20 USDC per 30 days), the bundler estimates, takes and includes a
//! payment within the leash; a payment past it is refused in words, at the estimate (nothing sent)
//! or, sent with fixed gas limits, from the receipt's revert reason (nothing moved); a key that is
//! not the agent's is refused at validation, and so is one past the agent's gas allowance, in
//! words. Alto runs without its ERC-7562 checks, which fail on EntryPoint v0.8 in Alto itself (a
//! test records it), so a tracer of our own checks the agent's validation against ERC-7562's
//! storage and opcode rules.

use alloy::primitives::utils::parse_ether;
use alloy::primitives::{address, keccak256, Address, Bytes, B256, U256};
use alloy::providers::DynProvider;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use eyre::{ensure, Result, WrapErr};
use leash::abi::AgentValidator::AgentValidatorErrors as V;
use leash::abi::IERC20Metadata;
use leash::account::UserOpSender;
use leash::account::ENTRYPOINT_V08;
use leash::addresses::ModuleAddresses;
use leash::errors::{LeashRevert, TokenBook};
use leash::ops;
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::sessions::{vars, SessionBed};
use leash_anvil_tests::{modules_bed, policy, refusal, subscription, test_bed, usdc_for, Devnet};
use leash_devnet::alto::AltoOptions;

const MERCHANT: Address = address!("0x000000000000000000000000000000000000beef");

fn transfer(value: u64) -> Vec<u8> {
    IERC20Metadata::transferCall { to: MERCHANT, value: U256::from(value) }.abi_encode()
}

/// Alto without its ERC-7562 checks (`--safe-mode false`): its safe mode fails on EntryPoint
/// v0.8 before any rule is checked ([`alto_safe_mode_cannot_validate_on_entry_point_v08`]).
/// The test account with `subscription.toml` installed (the agent's key in AgentValidator) and
/// 1,000 USDC.
struct Leashed {
    net: Devnet,
    owner: UserOpSender<DynProvider>,
    modules: ModuleAddresses,
    usdc: Address,
    agent_key: PrivateKeySigner,
    book: TokenBook,
}

impl Leashed {
    async fn new() -> Result<Self> {
        let (net, owner, modules) = modules_bed().await?;
        let usdc = usdc_for(&net, owner.account, 1_000_000_000).await?;
        let agent_key = PrivateKeySigner::random();
        let policy = subscription(&net, usdc, agent_key.address())?;
        let book = TokenBook::of(&policy.tokens);
        ops::install(&owner, &policy, &modules, &book).await?;
        Ok(Self { net, owner, modules, usdc, agent_key, book })
    }

    /// The agent's operations: signed by its key, through AgentValidator.
    fn agent(&self) -> UserOpSender<DynProvider> {
        self.owner.clone().signed_by(self.agent_key.clone()).via_validator(self.modules.validator)
    }
}

/// Alto without its ERC-7562 checks (`--safe-mode false`): its safe mode fails on EntryPoint
/// v0.8 before any rule is checked ([`alto_safe_mode_cannot_validate_on_entry_point_v08`]).
#[tokio::test]
async fn agent_pays_within_the_leash_through_alto() -> Result<()> {
    let Leashed { net, owner, modules, usdc, agent_key, book } = Leashed::new().await?;
    let token = TestToken::new(usdc, net.provider.clone());
    let allowance = |net: &leash_devnet::Devnet| {
        let provider = net.provider.clone();
        async move {
            Ok::<_, eyre::Report>(
                ops::agent_status(&provider, modules.validator, owner.account).await?.gas_allowance,
            )
        }
    };
    let before = allowance(&net).await?;

    let alto = net.start_alto(AltoOptions { entry_points: vec![ENTRYPOINT_V08], safe_mode: false }).await?;
    let run = async {
        let bundler = alto.client();
        ensure!(bundler.supported_entry_points().await?.contains(&ENTRYPOINT_V08), "v0.8 served");
        let agent = owner
            .clone()
            .signed_by(agent_key.clone())
            .via_validator(modules.validator)
            .via_bundler(bundler.clone());

        // Within the leash: estimated, taken, included; the tokens moved and the agent's gas
        // allowance paid for it.
        let paid = agent.execute(usdc, U256::ZERO, &transfer(5_000_000)).await.wrap_err("the payment")?;
        ensure!(paid.success, "the payment failed: {:?}", paid.refusal());
        ensure!(token.balanceOf(MERCHANT).call().await? == U256::from(5_000_000u64), "5 USDC paid");
        let after = allowance(&net).await?;
        ensure!(after < before, "the operation's cost comes out of the gas allowance: {after} of {before}");

        // Past the 20 USDC per 30 days: the bundler's estimate simulates the execution and the
        // refusal comes back in words; nothing is sent.
        let refused =
            refusal(agent.execute(usdc, U256::ZERO, &transfer(16_000_000)).await, "past the limit")?;
        let words = refused.revert.describe(&book);
        ensure!(words.starts_with("spending limit exceeded: tried 16 USDC, 15 USDC left"), "{words}");
        ensure!(allowance(&net).await? == after, "nothing was sent");

        // The same with fixed gas limits: the bundler includes it, the execution fails, and the
        // receipt's revert reason reads the same.
        let fixed = agent.clone().via_bundler(bundler.clone().without_estimate());
        let over =
            fixed.execute(usdc, U256::ZERO, &transfer(16_000_000)).await.wrap_err("the fixed-gas op")?;
        ensure!(!over.success, "a payment past the limit went through");
        let words = over.refusal().ok_or_else(|| eyre::eyre!("no refusal"))?.describe(&book);
        ensure!(words.starts_with("spending limit exceeded: tried 16 USDC, 15 USDC left"), "{words}");
        ensure!(token.balanceOf(MERCHANT).call().await? == U256::from(5_000_000u64), "nothing moved");

        // A key that is not the agent's: the bundler refuses it at validation.
        let stranger = agent.clone().signed_by(PrivateKeySigner::random());
        let err = stranger
            .execute(usdc, U256::ZERO, &transfer(1))
            .await
            .err()
            .ok_or_else(|| eyre::eyre!("a stranger's key was taken"))?;
        ensure!(
            err.to_string().ends_with(
                "refused eth_sendUserOperation: UserOperation reverted with reason: AA24 signature error"
            ),
            "{err:#}"
        );

        // The gas allowance spent: refused at validation, read in words from the bundler's answer.
        ops::set_gas_allowance(&net.wallet(1), modules.validator, owner.account, U256::from(1u64)).await?;
        let refused = refusal(agent.execute(usdc, U256::ZERO, &transfer(1)).await, "past the gas allowance")?;
        ensure!(
            matches!(refused.revert, LeashRevert::Validator(V::AgentValidator_GasAllowanceExceeded(_))),
            "{refused:?}"
        );
        ensure!(
            refused
                .to_string()
                .ends_with("in gas fees; the agent's gas allowance has 0.000000000000000001 native left"),
            "{refused}"
        );
        Ok(())
    };
    run.await.wrap_err_with(|| format!("alto's log:\n{}", alto.log_tail()))
}

/// Why the bundler runs without safe mode: Alto 0.0.20 traces validation with a JavaScript tracer,
/// which Anvil runs, but then decodes the trace's last call frame as a `ValidationResult`, and on
/// EntryPoint v0.8 that frame is the EntryPoint's `DelegateAndRevert(bool,bytes)` (`0x99410554`):
/// every operation is refused, even the owner's plainest one, before any ERC-7562 rule is checked.
/// When this fails, a newer Alto validates in safe mode: run the tests above with it.
#[tokio::test]
async fn alto_safe_mode_cannot_validate_on_entry_point_v08() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let alto = net.start_alto(AltoOptions { entry_points: vec![ENTRYPOINT_V08], safe_mode: true }).await?;
    let sender = owner.clone().via_bundler(alto.client());
    let err = sender
        .execute(Address::with_last_byte(0xa1), U256::from(1u64), &[])
        .await
        .err()
        .ok_or_else(|| eyre::eyre!("safe mode took the operation: run the bundler tests in safe mode"))?;
    ensure!(
        err.to_string().contains("Encoded error signature \"0x99410554\" not found on ABI"),
        "safe mode failed otherwise: {err:#}\nalto's log:\n{}",
        alto.log_tail()
    );
    Ok(())
}

/// What the tracer records while the EntryPoint validates (until its `BeforeExecution` event):
/// each storage access below the EntryPoint, each `KECCAK256` preimage (mapping keys), and each
/// opcode ERC-7562 forbids in validation [OP-011] with the contract that ran it.
const VALIDATION_TRACER: &str = r#"{
  done: false, accesses: [], preimages: [], banned: [],
  forbidden: { GASPRICE: 1, GASLIMIT: 1, DIFFICULTY: 1, PREVRANDAO: 1, TIMESTAMP: 1, BASEFEE: 1,
    BLOCKHASH: 1, NUMBER: 1, SELFBALANCE: 1, BALANCE: 1, ORIGIN: 1, CREATE: 1, COINBASE: 1,
    SELFDESTRUCT: 1, BLOBHASH: 1, BLOBBASEFEE: 1, INVALID: 1 },
  step: function(log) {
    if (this.done) return;
    var op = log.op.toString();
    if (log.getDepth() === 1) {
      if (op === "LOG1" && log.stack.peek(2).toString(16) === "bb47ee3e183a558b1a2ff0874b079f3fc5478b7454eacf2bfc5af2ff5878f972") this.done = true;
      return;
    }
    var at = toHex(log.contract.getAddress());
    if (op === "SLOAD" || op === "SSTORE") this.accesses.push([op, at, "0x" + log.stack.peek(0).toString(16)]);
    if (op === "KECCAK256" || op === "SHA3") {
      var ofs = parseInt(log.stack.peek(0).toString()), len = parseInt(log.stack.peek(1).toString());
      if (len >= 32 && len <= 256) this.preimages.push(toHex(log.memory.slice(ofs, ofs + len)));
    }
    if (this.forbidden[op]) this.banned.push(op + " in " + at);
  },
  fault: function() {},
  result: function() { return { accesses: this.accesses, preimages: this.preimages, banned: this.banned }; }
}"#;

/// The tracer's answer, read.
struct ValidationTrace {
    accesses: Vec<(String, Address, U256)>,
    preimages: Vec<Vec<u8>>,
    banned: Vec<String>,
}

impl ValidationTrace {
    fn read(json: &serde_json::Value) -> Result<Self> {
        let list = |key: &str| json[key].as_array().cloned().ok_or_else(|| eyre::eyre!("no {key} in {json}"));
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        let mut accesses = Vec::new();
        for a in list("accesses")? {
            accesses.push((text(&a[0]), text(&a[1]).parse()?, text(&a[2]).parse()?));
        }
        let preimages =
            list("preimages")?.iter().map(|p| alloy::hex::decode(text(p))).collect::<Result<_, _>>()?;
        let banned = list("banned")?.iter().map(text).collect();
        Ok(Self { accesses, preimages, banned })
    }
}

/// Alto's safe mode cannot check ERC-7562 on EntryPoint v0.8, so this checks the agent's
/// validation against its storage and opcode rules for an unstaked account itself: `handleOps` of
/// the agent's payment (with fees, so AgentValidator charges the gas allowance) traced on Anvil
/// up to the EntryPoint's `BeforeExecution`; every slot read or written outside the account and
/// the EntryPoint must be associated with the account [STO-021]: the account's address, or
/// `keccak256(account ++ x) + n` with n up to 128; and no forbidden opcode runs [OP-011].
#[tokio::test]
async fn the_agents_validation_keeps_to_erc7562() -> Result<()> {
    let bed = Leashed::new().await?;
    let agent = bed.agent();
    let mut op = agent
        .user_op(leash::account::execute_single_as(None, bed.usdc, U256::ZERO, &transfer(1_000_000)))
        .await?;
    let gwei = 1_000_000_000u128;
    op.gasFees = leash::bundler::pack_u128s(gwei, gwei);
    agent.sign_with_enable(&mut op).await?;
    let call = leash::abi::IEntryPoint::handleOpsCall { ops: vec![op], beneficiary: bed.net.bundler() };
    let tx = serde_json::json!({
        "from": bed.net.bundler(),
        "to": ENTRYPOINT_V08,
        "data": Bytes::from(call.abi_encode()),
        "gas": "0xe4e1c0",
    });
    let trace: serde_json::Value = bed
        .net
        .provider
        .raw_request(
            "debug_traceCall".into(),
            (tx, "latest", serde_json::json!({ "tracer": VALIDATION_TRACER })),
        )
        .await?;
    let trace = ValidationTrace::read(&trace)?;
    ensure!(!trace.accesses.is_empty(), "the tracer saw no storage access: it did not run");
    ensure!(trace.banned.is_empty(), "opcodes ERC-7562 forbids in validation: {:?}", trace.banned);

    let account = bed.owner.account;
    let account_word = B256::left_padding_from(account.as_slice());
    let bases: Vec<U256> = trace
        .preimages
        .iter()
        .filter(|p| p[..32] == account_word[..])
        .map(|p| U256::from_be_bytes(keccak256(p).0))
        .collect();
    let associated = |slot: U256| {
        slot == U256::from_be_bytes(account_word.0)
            || bases.iter().any(|b| slot >= *b && slot - *b <= U256::from(128u64))
    };
    let names = [
        (bed.modules.validator, "AgentValidator"),
        (bed.modules.engine, "PolicyEngine"),
        (bed.modules.automation, "AutomationExecutor"),
        (bed.usdc, "USDC"),
    ];
    let name = |a: Address| names.iter().find(|(m, _)| *m == a).map_or(a.to_string(), |(_, n)| n.to_string());
    let outside: Vec<String> = trace
        .accesses
        .iter()
        .filter(|(_, at, slot)| *at != account && *at != ENTRYPOINT_V08 && !associated(*slot))
        .map(|(op, at, slot)| format!("{op} of slot {slot:#x} at {}", name(*at)))
        .collect();
    ensure!(
        outside.is_empty(),
        "the agent's validation touches storage not associated with the account (ERC-7562 STO-021; an unstaked account's bundler would refuse it): {outside:#?}"
    );
    let checked = trace.accesses.iter().filter(|(_, at, _)| *at != account && *at != ENTRYPOINT_V08).count();
    ensure!(checked > 0, "no access outside the account was checked");
    Ok(())
}

/// Sessions through the bundler: one granted by the authority's transaction, one enabled in the
/// agent's first operation by the authority's signature it carries (sent with fixed gas limits:
/// the estimate cannot validate the grant); each agent's transfers within its session land, one
/// past the session's limit is refused in words at the estimate.
#[tokio::test]
async fn sessions_through_alto() -> Result<()> {
    let (net, owner) = test_bed().await?;
    let bed = SessionBed::new(net, owner, parse_ether("0.1")?).await?;
    let (net, modules, account) = (&bed.net, bed.modules, bed.owner.account);
    let usdc = usdc_for(net, account, 1_000_000_000).await?;
    let token = TestToken::new(usdc, net.provider.clone());
    let now = net.provider.get_block_by_number(Default::default()).await?.expect("a block").header.timestamp;
    let (payer, topper) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    let session = |agent: &str| {
        format!(
            "[[session]]\nagent = \"${agent}\"\nvalid_until = {}\n[[session.call]]\ntarget = \"USDC\"\nfunction = \"transfer(address,uint256)\"\n[[session.spending]]\ntoken = \"USDC\"\nlimits = [ {{ amount = \"50\", window = \"1d\" }} ]\n",
            now + 86_400
        )
    };
    let text = format!(
        "authority = \"$AUTHORITY\"\n[tokens]\nUSDC = {{ address = \"$USDC\", decimals = 6 }}\n{}{}",
        session("PAYER"),
        session("TOPPER")
    );
    let names = vars([
        ("AUTHORITY", bed.authority.address()),
        ("USDC", usdc),
        ("PAYER", payer.address()),
        ("TOPPER", topper.address()),
    ]);
    let policy = policy("sessions.toml", &text, &names)?;
    let book = TokenBook([(usdc, ("USDC".to_string(), 6))].into_iter().collect());
    bed.install(&policy, &book).await?;
    ops::grant_session(&bed.authority_wallet(), modules.engine, account, &policy.sessions[0], &book).await?;
    let blob = ops::sign_session(&net.provider, modules.engine, account, &policy.sessions[1], &bed.authority)
        .await?;

    let alto = net.start_alto(AltoOptions { entry_points: vec![ENTRYPOINT_V08], safe_mode: false }).await?;
    let run = async {
        let payer = bed.agent(&payer).via_bundler(alto.client());
        let paid = payer.execute(usdc, U256::ZERO, &transfer(30_000_000)).await.wrap_err("the payer's")?;
        ensure!(paid.success, "the payer's transfer failed: {:?}", paid.refusal());
        let refused = refusal(
            payer.execute(usdc, U256::ZERO, &transfer(30_000_000)).await,
            "past the session's limit",
        )?;
        let words = refused.revert.describe(&book);
        ensure!(words.contains("tried 30 USDC, 20 USDC left"), "{words}");

        let topper = bed.agent(&topper).with_enable(Some(blob.clone())).via_bundler(alto.client());
        let first =
            topper.execute(usdc, U256::ZERO, &transfer(10_000_000)).await.wrap_err("the enabling op")?;
        ensure!(first.success, "the topper's first transfer failed: {:?}", first.refusal());
        let topper = topper.with_enable(None);
        ensure!(topper.execute(usdc, U256::ZERO, &transfer(10_000_000)).await?.success, "its second");
        ensure!(token.balanceOf(MERCHANT).call().await? == U256::from(50_000_000u64), "50 USDC paid");
        Ok(())
    };
    run.await.wrap_err_with(|| format!("alto's log:\n{}", alto.log_tail()))
}
