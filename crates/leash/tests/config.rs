//! Policy files: every rule broken gets its own message and line, before anything is sent.

use alloy::primitives::FixedBytes;
use alloy::primitives::{address, Address, Bytes, U256};
use alloy::sol_types::{SolCall, SolStruct, SolValue};
use leash::abi::{IERC7579Batch, IERC7579Execution, IERC7579ModuleConfig, IPolicyEngine, PolicyEngineConfig};
use leash::account::AccountFlavor;
use leash::addresses::ModuleAddresses;
use leash::config::{
    self, AllowlistMode, HookStack, ParamOp, PolicyConfig, MODULE_TYPE_EXECUTOR, MODULE_TYPE_HOOK,
    MODULE_TYPE_VALIDATOR,
};

const GOOD: &str = include_str!("policies/good.toml");

fn parse(text: &str) -> Result<config::PolicyConfig, config::ConfigError> {
    config::parse("policy.toml", text)
}

/// Replaces `from` by `to` in `fixture` and expects an error on `line` containing `needle`.
fn rejects(fixture: &str, from: &str, to: &str, line: usize, needle: &str) {
    assert!(fixture.contains(from), "fixture lacks {from:?}");
    let err = parse(&fixture.replacen(from, to, 1)).expect_err("must be rejected");
    assert!(err.message.contains(needle), "message {:?} lacks {needle:?}", err.message);
    assert_eq!(err.line, line, "line of {err}");
    assert!(err.to_string().starts_with(&format!("policy.toml:{line}: ")), "{err}");
}

#[test]
fn good_file_parses_with_units_and_selectors() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.authority, address!("0x00000000000000000000000000000000000000a1"));
    let pause = c.pause.unwrap();
    assert_eq!(pause.auto_unpause_after, 86_400);
    let allow = c.allowlist.unwrap();
    assert_eq!(allow.mode, AllowlistMode::Allow);
    assert_eq!(allow.permissions[0].1.as_slice(), &[0xa9, 0x05, 0x9c, 0xbb]);
    assert_eq!(allow.permissions[1].1.as_slice(), &[0x43, 0x1e, 0x2c, 0xf5], "the wildcard");
    assert_eq!(c.spending[0].per_tx_cap, U256::from(300_000_000u64));
    assert_eq!(
        c.spending[0].limits,
        vec![(U256::from(500_000_000u64), 3600), (U256::from(5_000_000_000u64), 86_400)]
    );
    assert_eq!(c.spending[1].token, Address::ZERO);
    assert_eq!(c.spending[1].limits[0].0, U256::from(500_000_000_000_000_000u64));
    assert_eq!(c.tasks[0].cooldown, 30 * 86_400);
}

#[test]
fn window_under_60_seconds() {
    rejects(GOOD, r#"window = "1h" }"#, r#"window = "30s" }"#, 22, "window under 60 s (got 30 s)");
}

#[test]
fn window_not_a_multiple_of_four() {
    rejects(GOOD, r#"window = 86400"#, r#"window = 86401"#, 26, "multiple of 4");
}

#[test]
fn unknown_token_symbol() {
    rejects(GOOD, r#"token = "USDC""#, r#"token = "USDT""#, 20, "unknown token symbol `USDT`");
}

#[test]
fn zero_guardian() {
    rejects(
        GOOD,
        r#"guardian = "0x00000000000000000000000000000000000000b1""#,
        r#"guardian = "0x0000000000000000000000000000000000000000""#,
        8,
        "pause guardian must not be the zero address",
    );
}

#[test]
fn auto_unpause_over_a_year() {
    rejects(GOOD, r#"auto_unpause_after = "1d""#, r#"auto_unpause_after = "366d""#, 9, "at most 365 days");
}

#[test]
fn one_hundred_and_one_permissions() {
    let many: String =
        (0..101).map(|i| format!("  {{ target = \"0x{:040x}\", function = \"*\" }},\n", i + 1)).collect();
    let text = GOOD.replacen(
        "  { target = \"0x00000000000000000000000000000000000000d1\", function = \"*\" },\n",
        &many,
        1,
    );
    let err = parse(&text).expect_err("101 permissions");
    assert!(err.message.contains("102 permissions: at most 100"), "{err}");
    assert_eq!(err.line, 14 + 100, "points at the first permission over the cap");
}

#[test]
fn bad_mode_selector_address_and_amount() {
    rejects(GOOD, r#"mode = "allow""#, r#"mode = "maybe""#, 12, "use \"allow\" or \"block\"");
    rejects(GOOD, r#"function = "*""#, r#"function = "everything""#, 15, "function `everything`");
    rejects(
        GOOD,
        r#"protected = ["0x00000000000000000000000000000000000000e1"]"#,
        r#"protected = ["0x12"]"#,
        17,
        "is not an address",
    );
    rejects(
        GOOD,
        r#"per_tx_cap = "300""#,
        r#"per_tx_cap = "3.0000001""#,
        21,
        "not an amount with 6 decimals",
    );
}

#[test]
fn duplicates_and_unknown_fields() {
    rejects(
        GOOD,
        r#"{ target = "0x00000000000000000000000000000000000000d1", function = "*" },"#,
        r#"{ target = "USDC", function = "transfer(address,uint256)" },"#,
        15,
        "listed twice",
    );
    let err = parse(&GOOD.replacen("max_executions = 12", "max_runs = 12", 1)).unwrap_err();
    assert!(err.message.contains("unknown field `max_runs`"), "{err}");
    assert_eq!(err.line, 34);
}

/// The fields of struct `name` in IPolicyEngine.sol as `type name`: an enum as the uint8 the ABI
/// encodes it as, a struct by its own name.
fn solidity_fields(name: &str) -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/interfaces/IPolicyEngine.sol");
    let source = std::fs::read_to_string(path).unwrap();
    let body = source.split(&format!("struct {name} {{")).nth(1).unwrap().split('}').next().unwrap();
    body.lines()
        .map(|l| l.split("//").next().unwrap().trim())
        .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('/'))
        .map(|l| {
            let (ty, name) = l.trim_end_matches(';').rsplit_once(' ').unwrap();
            let ty = match ty {
                "IAllowlistHook.Mode" | "ParamOp" => "uint8",
                _ => ty.rsplit('.').next().unwrap(),
            };
            format!("{ty} {name}")
        })
        .collect()
}

/// The fields of a struct's Rust binding, as its EIP-712 root type lists them.
fn rust_fields<S: SolStruct>() -> Vec<String> {
    let root = S::eip712_root_type();
    let inner = root.strip_prefix(&format!("{}(", S::NAME)).and_then(|r| r.strip_suffix(')')).unwrap();
    inner.split(',').map(String::from).collect()
}

const MODULES: ModuleAddresses = ModuleAddresses {
    engine: address!("0x0000000000000000000000000000000000000100"),
    multiplexer: address!("0x0000000000000000000000000000000000000101"),
    pause: address!("0x0000000000000000000000000000000000000102"),
    allowlist: address!("0x0000000000000000000000000000000000000103"),
    spending: address!("0x0000000000000000000000000000000000000104"),
    automation: address!("0x0000000000000000000000000000000000000105"),
    validator: address!("0x0000000000000000000000000000000000000106"),
    eoa_account: address!("0x0000000000000000000000000000000000000107"),
};

#[test]
fn payloads_install_the_executor_then_the_engine_by_default() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.hook, HookStack::Engine);
    let payloads = c.install_payloads(&MODULES);
    assert_eq!(payloads.len(), 2);
    assert_eq!((payloads[0].module, payloads[0].module_type), (MODULES.automation, MODULE_TYPE_EXECUTOR));
    assert_eq!((payloads[1].module, payloads[1].module_type), (MODULES.engine, MODULE_TYPE_HOOK));
    // abi.encode(authority, IPolicyEngine.Config): every setting of the file.
    let (authority, engine) =
        <(Address, PolicyEngineConfig)>::abi_decode_params(&payloads[1].init_data).unwrap();
    assert_eq!(authority, c.authority);
    assert_eq!(engine.guardian, address!("0x00000000000000000000000000000000000000b1"));
    assert_eq!(engine.autoUnpauseAfter, U256::from(86_400u64));
    assert_eq!(engine.mode, AllowlistMode::Allow as u8);
    let permissions: Vec<_> = engine.permissions.iter().map(|p| (p.target, p.selector)).collect();
    assert_eq!(permissions, c.allowlist.as_ref().unwrap().permissions);
    assert_eq!(engine.protectedTargets, vec![address!("0x00000000000000000000000000000000000000e1")]);
    assert_eq!(engine.tokens.len(), 2);
    assert_eq!(engine.tokens[0].perTxCap, U256::from(300_000_000u64));
    let limits: Vec<_> = engine.tokens[0].limits.iter().map(|l| (l.amount, l.window.to::<u64>())).collect();
    assert_eq!(limits, c.spending[0].limits);
    assert_eq!(engine.tokens[1].token, Address::ZERO);
    assert_eq!(engine.validationId, FixedBytes::ZERO);
}

#[test]
fn an_engine_without_pause_or_allowlist_has_no_guardian_and_no_mode() {
    let text = r#"
authority = "0x00000000000000000000000000000000000000a1"
[[spending]]
token = "native"
limits = [ { amount = "1", window = "1d" } ]
"#;
    let c = parse(text).unwrap();
    let kernel = FixedBytes([7u8; 21]);
    let engine = c.engine_config(kernel);
    assert_eq!((engine.guardian, engine.mode, engine.validationId), (Address::ZERO, 0, kernel));
    assert!(engine.permissions.is_empty() && engine.protectedTargets.is_empty());
}

/// `PolicyEngineConfig` is written by hand (no function of the engine's ABI names the struct):
/// its fields must be those of `IPolicyEngine.Config` in the Solidity source, in order.
#[test]
fn the_engine_config_struct_matches_the_solidity_source() {
    let solidity = solidity_fields("Config");
    assert_eq!(solidity, rust_fields::<PolicyEngineConfig>());
    assert_eq!(solidity.len(), 8);
}

#[test]
fn the_whole_install_is_one_batch_of_installs_on_the_account_itself() {
    let c = parse(GOOD).unwrap();
    let account = address!("0x00000000000000000000000000000000000000ac");
    let call = IERC7579Execution::executeCall::abi_decode(&c.install_call(&MODULES, account)).unwrap();
    assert_eq!(call.mode.0[0], 0x01, "batch call type");
    assert!(call.mode.0[1..].iter().all(|b| *b == 0), "default exec type: one revert reverts all");
    let items = Vec::<IERC7579Batch::Execution>::abi_decode(&call.executionCalldata).unwrap();
    let payloads = c.install_payloads(&MODULES);
    assert_eq!(items.len(), payloads.len());
    for (item, p) in items.iter().zip(&payloads) {
        assert_eq!((item.target, item.value), (account, U256::ZERO));
        let install = IERC7579ModuleConfig::installModuleCall::abi_decode(&item.callData).unwrap();
        assert_eq!(
            (install.moduleTypeId, install.module, &install.initData),
            (U256::from(p.module_type), p.module, &p.init_data)
        );
    }
}

/// The batch's items, each `installModule(type, module, initData)`, of an install call.
fn installs(call: &[u8]) -> Vec<(U256, Address, Vec<u8>)> {
    let call = IERC7579Execution::executeCall::abi_decode(call).unwrap();
    Vec::<IERC7579Batch::Execution>::abi_decode(&call.executionCalldata)
        .unwrap()
        .iter()
        .map(|item| {
            let i = IERC7579ModuleConfig::installModuleCall::abi_decode(&item.callData).unwrap();
            (i.moduleTypeId, i.module, i.initData.to_vec())
        })
        .collect()
}

/// Safe7579 takes the hook's install data behind its hook kind (global, no selector); Kernel
/// takes AgentValidator carrying the hook, whose install data names the agent's validation, then
/// the executor carrying it, and nothing without an `[agent]` for the hook to ride on.
#[test]
fn safe7579_and_kernel_take_the_hook_their_own_way() {
    let mut c = parse(GOOD).unwrap();
    let account = address!("0x00000000000000000000000000000000000000ac");
    let payloads = c.install_payloads(&MODULES);
    let safe = installs(&c.install_call_on(&MODULES, account, AccountFlavor::Safe7579).unwrap());
    for ((kind, module, init), p) in safe.iter().zip(&payloads) {
        assert_eq!((*kind, *module), (U256::from(p.module_type), p.module));
        let expected = match p.module_type {
            MODULE_TYPE_HOOK => (U256::ZERO, FixedBytes::<4>::ZERO, p.init_data.clone()).abi_encode_params(),
            _ => p.init_data.to_vec(),
        };
        assert_eq!(init, &expected, "{}", p.label);
    }

    let no_agent = c.install_call_on(&MODULES, account, AccountFlavor::Kernel).unwrap_err();
    assert!(
        no_agent.to_string().contains("the file needs both an [agent] and policies for the hook"),
        "{no_agent}"
    );
    c.agent =
        Some(config::AgentConfig { key: Address::with_last_byte(0xa9), gas_allowance: U256::from(7u64) });
    let kernel = installs(&c.install_call_on(&MODULES, account, AccountFlavor::Kernel).unwrap());
    assert_eq!(
        kernel.iter().map(|(kind, module, _)| (*kind, *module)).collect::<Vec<_>>(),
        vec![
            (U256::from(MODULE_TYPE_VALIDATOR), MODULES.validator),
            (U256::from(MODULE_TYPE_EXECUTOR), MODULES.automation)
        ]
    );
    let (validator_init, executor_init) = (&kernel[0].2, &kernel[1].2);
    assert_eq!(&validator_init[..20], MODULES.engine.as_slice(), "the hook rides on the validation");
    let (init, hook_data, grant) = <(Bytes, Bytes, Bytes)>::abi_decode_params(&validator_init[20..]).unwrap();
    assert_eq!(init, c.validator_install_data().unwrap());
    let engine_init = c.engine_install_data(leash::kernel::validation(MODULES.validator));
    assert_eq!(
        hook_data.to_vec(),
        [&[0u8][..], &engine_init].concat(),
        "Kernel's flag, then the engine's data"
    );
    assert_eq!(grant.to_vec(), IERC7579Execution::executeCall::SELECTOR.to_vec());
    assert_eq!(&executor_init[..20], MODULES.engine.as_slice(), "and on the executor");
}

#[test]
fn custom_hooks_need_the_multiplexer_and_the_engine_bounds_its_limits() {
    let custom =
        format!("{GOOD}\n[[custom_hooks]]\naddress = \"0x00000000000000000000000000000000000000cc\"\n");
    let err = parse(&custom).unwrap_err();
    assert!(err.message.contains("add hook = \"multiplexer\""), "{err}");
    assert_eq!(err.line, 36, "the first custom hook");
    let on_mux = parse(&custom.replacen("\n[tokens]", "hook = \"multiplexer\"\n\n[tokens]", 1)).unwrap();
    assert_eq!(on_mux.hook, HookStack::Multiplexer);
    assert_eq!(on_mux.install_payloads(&MODULES)[1].module, MODULES.multiplexer);

    rejects(GOOD, r#"amount = "5000""#, r#"amount = "1e30""#, 22, "not an amount");
    // 2^95 base units of a 6-decimals token is 39,614,081,257,132,168,796,771.975168: above the
    // largest limit on either hook (both keep windows in PackedWindow).
    rejects(
        GOOD,
        r#"amount = "5000""#,
        r#"amount = "39614081257132168796772""#,
        22,
        "above the largest amount",
    );
    let big = GOOD.replacen(r#"amount = "5000""#, r#"amount = "39614081257132168796772""#, 1);
    let big = big.replacen("\n[tokens]", "hook = \"multiplexer\"\n\n[tokens]", 1);
    assert!(parse(&big).unwrap_err().message.contains("above the largest amount"), "the multiplexer too");
    rejects(GOOD, r#"window = "1d" }"#, r#"window = 100000004 }"#, 22, "at most 100000000 s");
    rejects(
        GOOD,
        r#"authority = "0x00000000000000000000000000000000000000a1""#,
        "authority = \"0x00000000000000000000000000000000000000a1\"\nhook = \"hooks\"",
        3,
        "hook `hooks`: use \"engine\" or \"multiplexer\"",
    );
}

#[test]
fn negative_amounts_and_bad_checksums_are_refused() {
    rejects(GOOD, r#"per_tx_cap = "300""#, r#"per_tx_cap = "-300""#, 21, "`-300` is negative");
    rejects(GOOD, r#"per_tx_cap = "300""#, r#"per_tx_cap = -300"#, 21, "`-300` is negative");
    // The checksummed form of ...00a1 is all digits; a real one with letters: 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed.
    let good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    assert_eq!(config::parse_address(good).unwrap(), address!("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
    assert!(config::parse_address(&good.to_lowercase()).is_ok(), "all lower case carries no checksum");
    assert!(config::parse_address(&good.to_uppercase().replace("0X", "0x")).is_ok(), "nor all upper case");
    let typo = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
    let err = config::parse_address(typo).unwrap_err();
    assert!(err.contains("wrong EIP-55 checksum") && err.contains(good), "{err}");
    rejects(
        GOOD,
        r#"guardian = "0x00000000000000000000000000000000000000b1""#,
        &format!("guardian = \"{typo}\""),
        8,
        "wrong EIP-55 checksum",
    );
}

/// The command line reads amounts (the agent's gas allowance in ether) by the files' rule.
#[test]
fn amounts_outside_a_file_follow_the_files_rule() {
    let ether = |text: &str| config::parse_amount(text, 18, U256::MAX);
    assert_eq!(ether("0.5"), Ok(U256::from(500_000_000_000_000_000u128)));
    assert_eq!(ether(" 2 "), Ok(U256::from(2_000_000_000_000_000_000u128)));
    assert_eq!(ether("0"), Ok(U256::ZERO));
    assert_eq!(ether("-0.1"), Err("`-0.1` is negative: amounts are at least 0".to_string()));
    assert_eq!(
        ether("0.0000000000000000001"),
        Err("`0.0000000000000000001` is not an amount with 18 decimals (too many digits after the point)"
            .to_string())
    );
    assert!(ether("one").unwrap_err().starts_with("`one` is not an amount with 18 decimals ("));
    assert_eq!(
        config::parse_amount("301", 0, U256::from(300)),
        Err("301 is above the largest amount (300 base units)".to_string())
    );
}

#[test]
fn payloads_install_the_executor_then_the_multiplexer_when_asked() {
    let c = PolicyConfig { hook: HookStack::Multiplexer, ..parse(GOOD).unwrap() };
    let modules = MODULES;
    let payloads = c.install_payloads(&modules);
    assert_eq!(payloads.len(), 2);
    assert_eq!((payloads[0].module, payloads[0].module_type), (modules.automation, MODULE_TYPE_EXECUTOR));
    assert_eq!((payloads[1].module, payloads[1].module_type), (modules.multiplexer, MODULE_TYPE_HOOK));
    // abi.encode(authority, address[] hooks, bytes[] inits): the hooks in order.
    use alloy::sol_types::SolValue;
    let (authority, hooks, inits) =
        <(Address, Vec<Address>, Vec<alloy::primitives::Bytes>)>::abi_decode_params(&payloads[1].init_data)
            .unwrap();
    assert_eq!(authority, c.authority);
    assert_eq!(hooks, vec![modules.pause, modules.allowlist, modules.spending]);
    assert_eq!(inits.len(), 3);
}

#[test]
fn selectors_are_named_by_the_files_signatures_then_the_common_functions() {
    let text = r#"
authority = "0x0000000000000000000000000000000000000001"

[allowlist]
mode = "allow"
permissions = [
  { target = "0x00000000000000000000000000000000000000c0", function = "transfer(address to, uint amount)" },
  { target = "0x00000000000000000000000000000000000000c0", function = "payFor(bytes32 invoice, uint96)" },
  { target = "0x00000000000000000000000000000000000000c0", function = "0x095ea7b3" },
  { target = "0x00000000000000000000000000000000000000c0", function = "0x12345678" },
  { target = "0x00000000000000000000000000000000000000c0", function = "*" },
]
"#;
    let names = config::Signatures::parse("named.toml", text).unwrap();
    let name = |s: &str| names.name(config::parse_selector(s).unwrap());
    assert_eq!(name("transfer(address,uint256)").as_deref(), Some("transfer(address,uint256)"));
    // Written with names and an unusual width, shown canonical.
    assert_eq!(name("payFor(bytes32,uint96)").as_deref(), Some("payFor(bytes32,uint96)"));
    // A hex selector of a common function is named; an unknown one and `*` are not.
    assert_eq!(name("0x095ea7b3").as_deref(), Some("approve(address,uint256)"));
    assert_eq!(name("0x12345678"), None);
    assert_eq!(name("*"), None);
    assert_eq!(
        config::canonical_signature(
            "exactInputSingle((address, address, uint24, address, uint, uint, uint, uint160) p)"
        )
        .as_deref(),
        Some("exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))")
    );
    assert_eq!(config::canonical_signature("0xa9059cbb"), None);
    assert_eq!(config::canonical_signature("transfer(Recipient,uint256)"), None);
    // With no file, the common functions only.
    let none = config::Signatures::default();
    assert_eq!(
        none.name(config::parse_selector("transferFrom(address,address,uint256)").unwrap()).as_deref(),
        Some("transferFrom(address,address,uint256)")
    );
    assert_eq!(none.name(config::parse_selector("payFor(bytes32,uint96)").unwrap()), None);
}

#[test]
fn signatures_are_read_the_way_solidity_hashes_them() {
    let transfer = config::parse_selector("transfer(address,uint256)").unwrap();
    assert_eq!(transfer.0, [0xa9, 0x05, 0x9c, 0xbb]);
    for written in
        ["transfer(address, uint)", "transfer(address to, uint256 amount)", " transfer( address ,uint ) "]
    {
        assert_eq!(config::parse_selector(written), Ok(transfer), "{written}");
    }
    let swap = "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))";
    let named = "exactInputSingle((address, address, uint24, address, uint, uint, uint, uint160) params)";
    assert_eq!(config::parse_selector(named), config::parse_selector(swap));
    assert_eq!(config::parse_selector(swap).unwrap().0, [0x41, 0x4b, 0xf3, 0x89]);
    for bad in
        ["transfer(Recipient,uint256)", "transfer(address,uint7)", "f((address,Thing))", "transfer(address"]
    {
        assert!(config::parse_selector(bad).is_err(), "{bad} must be refused");
    }
    rejects(
        GOOD,
        r#"function = "transfer(address,uint256)""#,
        r#"function = "transfer(address,money)""#,
        14,
        "`money` is not an ABI type",
    );
}

#[test]
fn a_zero_limit_or_cap_is_refused_with_its_meaning() {
    rejects(GOOD, r#"amount = "500""#, r#"amount = "0""#, 22, "a limit of 0 would freeze USDC");
    rejects(GOOD, r#"per_tx_cap = "300""#, r#"per_tx_cap = "0""#, 21, "per_tx_cap = 0 would mean no cap");
}

#[test]
fn durations() {
    assert_eq!(config::parse_duration("90"), Some(90));
    assert_eq!(config::parse_duration("15m"), Some(900));
    assert_eq!(config::parse_duration("1w"), Some(604_800));
    assert_eq!(config::parse_duration("1y"), None);
}

#[test]
fn every_example_parses() {
    let vars: std::collections::BTreeMap<String, Address> = [
        "AUTHORITY",
        "GUARDIAN",
        "USDC",
        "ROUTER",
        "KEEPER",
        "COLD_WALLET",
        "AGENT",
        "TOP_UP_AGENT",
        "WETH",
        "PAYEE_A",
        "PAYEE_B",
        "PAYEE_C",
        "PAYEE",
    ]
    .iter()
    .enumerate()
    .map(|(i, name)| (name.to_string(), Address::with_last_byte(i as u8 + 1)))
    .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            config::load(&path, &vars).unwrap_or_else(|e| panic!("{e}"));
            seen += 1;
        }
    }
    assert!(seen >= 6, "at least six example policies");
    // The session examples: recipient pinned, listed payees, a minimum output, a daily cap on amountIn.
    let swap = config::load(&dir.join("session-swap.toml"), &vars).unwrap();
    let router = &swap.sessions[0].calls[1];
    assert!(router.rules.iter().any(|r| r.op == ParamOp::IsAccount && r.arg == 3));
    assert!(router.rules.iter().any(|r| r.op == ParamOp::GreaterOrEqual && r.arg == 6));
    assert!(router.rules.iter().any(|r| r.op == ParamOp::CapPerWindow
        && r.arg == 5
        && r.values == [U256::from(1_500_000_000u64), U256::from(86_400)]));
    let payments = config::load(&dir.join("session-payments.toml"), &vars).unwrap();
    assert_eq!(payments.sessions[0].calls[0].rules[0].op, ParamOp::OneOf);
    assert_eq!(payments.sessions[0].calls[0].rules[0].values.len(), 3);
    let subscription = config::load(&dir.join("subscription.toml"), &vars).unwrap();
    let agent = subscription.agent.expect("the subscription's [agent]");
    assert_eq!((agent.key, agent.gas_allowance), (vars["AGENT"], U256::from(50_000_000_000_000_000u64)));
    let err = config::load(&dir.join("trading-agent.toml"), &Default::default()).unwrap_err();
    assert!(err.message.contains("unknown variable $USDC"), "{err}");
}

// ---------------------------------------------------------------------- sessions

const SESSIONS: &str = include_str!("policies/sessions.toml");

#[test]
fn sessions_parse_with_times_rules_and_limits() {
    let c = parse(SESSIONS).unwrap();
    assert_eq!(c.sessions.len(), 2);
    let s = &c.sessions[0];
    assert_eq!(s.agent, address!("0x00000000000000000000000000000000000000a2"));
    assert_eq!((s.valid_from, s.valid_until), (1_767_225_600, 1_769_904_000));
    assert_eq!((s.max_uses, s.uses_per_window, s.usage_window), (100, 10, 3600));
    assert_eq!(s.calls[0].selector.as_slice(), &[0xa9, 0x05, 0x9c, 0xbb], "signature normalised");
    let one_of = &s.calls[0].rules[0];
    assert_eq!((one_of.op, one_of.arg, one_of.width), (ParamOp::OneOf, 0, 20));
    assert_eq!(one_of.values, vec![U256::from(0xd1), U256::from(0xd2)]);
    assert_eq!(s.calls[0].rules[1].values, vec![U256::from(250_000_000u64)]);
    assert_eq!((s.calls[1].rules[0].op, s.calls[1].rules[0].values.len()), (ParamOp::IsAccount, 0));
    assert!(s.calls[2].selector.is_zero(), "plain transfers");
    assert_eq!(s.spending[0].limits, vec![(U256::from(100_000_000u64), 86_400)]);
    let second = &c.sessions[1];
    assert_eq!((second.valid_from, second.valid_until, second.max_uses), (0, 1_800_000_000, 0));
    assert_eq!(second.calls[0].selector.0, config::WILDCARD_SELECTOR);
    // Sessions alone still install the engine: it holds them.
    assert_eq!(c.install_payloads(&MODULES).len(), 1);
}

#[test]
fn session_times() {
    assert_eq!(config::parse_time("1970-01-01T00:00:00Z"), Ok(0));
    assert_eq!(config::parse_time("2000-03-01T00:00:01Z"), Ok(951_868_801));
    assert_eq!(config::parse_time("2024-02-29T23:59:59+00:00"), Ok(1_709_251_199));
    assert_eq!(config::parse_time("1700000000"), Ok(1_700_000_000));
    assert!(config::parse_time("2023-02-29T00:00:00Z").unwrap_err().contains("not a date"));
    assert!(config::parse_time("2026-01-01T00:00:00+02:00").unwrap_err().contains("UTC"));
    assert!(config::parse_time("2026-01-01T00:00:00.5Z").is_err());
    assert!(config::parse_time("tomorrow").is_err());
    rejects(
        SESSIONS,
        "valid_until = \"2026-02-01T00:00:00Z\"",
        "valid_until = \"2025-12-01T00:00:00Z\"",
        10,
        "at or after valid_from",
    );
    rejects(SESSIONS, "valid_until = 1800000000", "valid_until = 0", 50, "not 0");
    rejects(SESSIONS, "valid_until = 1800000000", "valid_until = 281474976710656", 50, "past the last time");
    rejects(SESSIONS, "valid_from = 2026-01-01T00:00:00Z", "valid_from = 2026-01-01T00:00:00", 9, "UTC");
}

#[test]
fn session_usage_limits() {
    // (the fixture's line, what replaces it, the error's line, words the error holds)
    let cases = [
        ("max_uses = 100", "max_uses = 0", 11, "no limit"),
        ("usage_window = \"1h\"", "", 12, "needs a usage_window"),
        ("uses_per_window = 10", "", 13, "needs uses_per_window"),
        ("usage_window = \"1h\"", "usage_window = 30", 13, "under 60 s"),
        ("usage_window = \"1h\"", "usage_window = 62", 13, "multiple of 4"),
        ("uses_per_window = 10", "uses_per_window = 0", 12, "freeze"),
    ];
    for (from, to, line, needle) in cases {
        rejects(SESSIONS, from, to, line, needle);
    }
}

#[test]
fn session_rules_are_held_to_the_engine() {
    rejects(SESSIONS, "op = \"one_of\"", "op = \"greater_than\"", 21, "use one of equal, not_equal");
    rejects(SESSIONS, "type = \"uint256\"", "type = \"int256\"", 28, "unsigned");
    rejects(SESSIONS, "type = \"uint256\"", "type = \"uint8\"", 29, "does not fit uint8");
    rejects(
        SESSIONS,
        "value = \"250000000\"",
        &format!("value = \"{}\"", U256::from(1) << 232),
        29,
        "not below 2^232",
    );
    rejects(SESSIONS, "value = \"250000000\"", "values = [1, 2]", 29, "takes one `value`");
    rejects(
        SESSIONS,
        "op = \"is_account\"\ntype = \"address\"",
        "op = \"is_account\"\ntype = \"uint64\"",
        38,
        "narrower",
    );
    rejects(
        SESSIONS,
        "type = \"address\"\n\n[[session.call]]",
        "type = \"address\"\nvalue = \"0x00000000000000000000000000000000000000d1\"\n\n[[session.call]]",
        39,
        "takes no value",
    );
    let nine: Vec<String> = (1..=9).map(|i| i.to_string()).collect();
    rejects(SESSIONS,
        "values = [\"0x00000000000000000000000000000000000000d1\", \"0x00000000000000000000000000000000000000d2\"]",
        &format!("values = [{}]", nine.join(", ")),
        23,
        "at most 8",
    );
    rejects(
        SESSIONS,
        "\"0x00000000000000000000000000000000000000d2\"]",
        "\"0x00000000000000000000000000000000000000dA\"]",
        23,
        "EIP-55",
    );
    rejects(
        SESSIONS,
        "\"0x00000000000000000000000000000000000000d2\"]",
        "\"0x00000000000000000000000000000000000000d1\"]",
        23,
        "listed twice",
    );
    // Rules sit only on exact functions.
    rejects(
        SESSIONS,
        "function = \"swap(address,uint256,uint256)\"",
        "function = \"*\"",
        35,
        "exact function",
    );
    rejects(
        SESSIONS,
        "[[session.call.rule]]\narg = 1",
        &((0..4)
            .map(|i| {
                format!("[[session.call.rule]]\narg = {i}\nop = \"equal\"\ntype = \"uint8\"\nvalue = 1\n\n")
            })
            .collect::<String>()
            + "[[session.call.rule]]\narg = 1"),
        43,
        "at most 4",
    );
}

#[test]
fn session_calls_agents_and_the_hook() {
    rejects(
        SESSIONS,
        "target = \"0x00000000000000000000000000000000000000e2\"\nfunction = \"plain\"",
        "target = \"USDC\"\nfunction = \"transfer(address,uint256)\"",
        41,
        "listed twice",
    );
    rejects(
        SESSIONS,
        "agent = \"0x00000000000000000000000000000000000000a3\"",
        "agent = \"0x00000000000000000000000000000000000000a2\"",
        49,
        "two sessions",
    );
    rejects(
        SESSIONS,
        "agent = \"0x00000000000000000000000000000000000000a3\"",
        "agent = \"0x00000000000000000000000000000000000000a1\"",
        49,
        "is the authority",
    );
    rejects(
        SESSIONS,
        "agent = \"0x00000000000000000000000000000000000000a3\"",
        "agent = \"0x00000000000000000000000000000000000000aB\"",
        49,
        "EIP-55",
    );
    rejects(
        SESSIONS,
        "[[session.call]]\ntarget = \"0x00000000000000000000000000000000000000e1\"\nfunction = \"*\"",
        "",
        49,
        "permits no call",
    );
    rejects(
        SESSIONS,
        "authority = \"0x00000000000000000000000000000000000000a1\"",
        "authority = \"0x00000000000000000000000000000000000000a1\"\nhook = \"multiplexer\"",
        9,
        "policy engine's",
    );
    let many: String = (0..33)
        .map(|i| {
            format!("[[session.call]]\ntarget = \"{}\"\nfunction = \"*\"\n", Address::with_last_byte(i + 1))
        })
        .collect();
    let text = SESSIONS.to_string() + &many;
    let err = parse(&text).unwrap_err();
    assert!(err.message.contains("at most 32"), "{err}");
    let c = parse(SESSIONS).unwrap();
    assert!(c.check_account(c.sessions[0].agent).unwrap_err().contains("agent"));
}

/// `IPolicyEngine.Session` and its parts as the bindings encode them, field for field against
/// the Solidity source, and the file's session in it.
#[test]
fn the_session_struct_matches_the_solidity_source_and_the_file() {
    assert_eq!(solidity_fields("Session"), rust_fields::<IPolicyEngine::Session>());
    assert_eq!(solidity_fields("SessionCall"), rust_fields::<IPolicyEngine::SessionCall>());
    assert_eq!(solidity_fields("ParamRule"), rust_fields::<IPolicyEngine::ParamRule>());

    let c = parse(SESSIONS).unwrap();
    let s = c.sessions[0].abi();
    assert_eq!(s.agent, c.sessions[0].agent);
    assert_eq!((s.validAfter.to::<u64>(), s.validUntil.to::<u64>()), (1_767_225_600, 1_769_904_000));
    assert_eq!((s.maxUses, s.usesPerWindow, s.usageWindow), (100, 10, 3600));
    assert_eq!(s.calls.len(), 3);
    assert_eq!(s.calls[0].target, address!("0x00000000000000000000000000000000000000c1"));
    assert_eq!(s.calls[0].rules[0].op, 8, "OneOf");
    assert_eq!((s.calls[0].rules[1].op, s.calls[0].rules[1].argIndex, s.calls[0].rules[1].width), (4, 1, 32));
    assert_eq!((s.calls[1].rules[0].op, s.calls[1].rules[0].width), (7, 20), "IsAccount on an address");
    assert!(s.calls[1].rules[0].values.is_empty());
    assert_eq!(s.tokens[0].token, address!("0x00000000000000000000000000000000000000c1"));
    assert_eq!(s.tokens[0].limits[0].window, U256::from(86_400));
    // The encoding round-trips as the engine's calldata.
    let call = IPolicyEngine::grantSessionCall { account: Address::ZERO, session: s.clone() };
    let back = IPolicyEngine::grantSessionCall::abi_decode(&call.abi_encode()).unwrap();
    assert_eq!(back.session, s);
}

/// `policy show` writes the live sessions back as `[[session]]` sections that read back the same.
#[test]
fn sessions_written_back_read_the_same() {
    let c = parse(SESSIONS).unwrap();
    let text = leash::live::to_toml(&c);
    let back = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.sessions, c.sessions);
    let from_abi: Vec<_> = c.sessions.iter().map(|s| leash::live::session_config(&s.abi())).collect();
    assert_eq!(from_abi, c.sessions);
}

/// The sessions fixture with a cap on the swap's amount (argument 1): 1,000 per rolling day.
fn with_cap(cap_lines: &str) -> String {
    let anchor = "op = \"is_account\"\ntype = \"address\"\n";
    assert!(SESSIONS.contains(anchor));
    SESSIONS.replacen(anchor, &format!("{anchor}\n[[session.call.rule]]\narg = 1\n{cap_lines}\n"), 1)
}

#[test]
fn session_caps_per_window() {
    let text = with_cap("op = \"cap_per_window\"\ntype = \"uint256\"\nvalue = \"1000\"\nwindow = \"1d\"");
    let c = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let cap = &c.sessions[0].calls[1].rules[1];
    assert_eq!((cap.op, cap.arg, cap.width), (ParamOp::CapPerWindow, 1, 32));
    assert_eq!(cap.values, vec![U256::from(1000), U256::from(86_400)]);
    // Written back and read from the engine's struct, the same.
    let back = parse(&leash::live::to_toml(&c)).unwrap();
    assert_eq!(back.sessions, c.sessions);
    assert_eq!(leash::live::session_config(&c.sessions[0].abi()), c.sessions[0]);

    let rejects_cap = |lines: &str, line: usize, needle: &str| {
        let err = parse(&with_cap(lines)).expect_err("must be rejected");
        assert!(err.message.contains(needle), "message {:?} lacks {needle:?}", err.message);
        assert_eq!(err.line, line, "line of {err}");
    };
    rejects_cap("op = \"cap_per_window\"\ntype = \"uint256\"\nvalue = \"1000\"", 42, "needs a `window`");
    rejects_cap("op = \"cap_per_window\"\ntype = \"uint256\"\nwindow = \"1d\"", 42, "needs a `value`");
    rejects_cap(
        "op = \"cap_per_window\"\ntype = \"uint256\"\nvalue = \"0\"\nwindow = \"1d\"",
        44,
        "refuse every call",
    );
    rejects_cap(
        "op = \"cap_per_window\"\ntype = \"address\"\nvalue = \"1\"\nwindow = \"1d\"",
        43,
        "sums amounts",
    );
    rejects_cap(
        &format!(
            "op = \"cap_per_window\"\ntype = \"uint256\"\nvalue = \"{}\"\nwindow = \"1d\"",
            U256::from(1) << 95
        ),
        44,
        "2^95 - 1",
    );
    rejects_cap(
        "op = \"cap_per_window\"\ntype = \"uint256\"\nvalue = \"1\"\nwindow = \"61s\"",
        45,
        "multiple of 4",
    );
    rejects_cap(
        "op = \"less\"\ntype = \"uint256\"\nvalue = \"1\"\nwindow = \"1d\"",
        45,
        "belongs to cap_per_window",
    );
}

const CALL_RULES: &str = include_str!("policies/call-rules.toml");

#[test]
fn account_wide_rules_parse_and_reach_the_engine_config() {
    let c = parse(CALL_RULES).unwrap();
    assert_eq!(c.call_rules.len(), 2);
    let payees = &c.call_rules[0];
    assert_eq!(payees.target, address!("0x00000000000000000000000000000000000000c1"), "the token's symbol");
    assert_eq!(payees.selector.as_slice(), &[0xa9, 0x05, 0x9c, 0xbb], "signature normalised");
    assert_eq!((payees.rules[0].op, payees.rules[0].width), (ParamOp::OneOf, 20));
    assert_eq!(payees.rules[0].values, vec![U256::from(0xd1), U256::from(0xd2)]);
    let cap = &c.call_rules[1].rules[0];
    assert_eq!(
        (cap.op, cap.values.clone()),
        (ParamOp::CapPerWindow, vec![U256::from(1000), U256::from(86_400)])
    );
    // Rules alone install the engine, and its Config carries them as written.
    let payloads = c.install_payloads(&MODULES);
    assert_eq!(payloads.len(), 1);
    let (_, engine) = <(Address, PolicyEngineConfig)>::abi_decode_params(&payloads[0].init_data).unwrap();
    assert_eq!(engine.callRules.len(), 2);
    assert_eq!((engine.callRules[0].target, engine.callRules[0].selector), (payees.target, payees.selector));
    assert_eq!(engine.callRules[1].rules[0].op, ParamOp::CapPerWindow as u8);
    assert_eq!(engine.callRules[1].rules[0].values, cap.values);
}

#[test]
fn account_wide_rules_are_held_to_the_engine() {
    rejects(
        CALL_RULES,
        "authority = \"0x00000000000000000000000000000000000000a1\"",
        "authority = \"0x00000000000000000000000000000000000000a1\"\nhook = \"multiplexer\"",
        8,
        "the policy engine's",
    );
    rejects(CALL_RULES, "function = \"swap(uint256,uint256)\"", "function = \"*\"", 21, "an exact function");
    rejects(
        CALL_RULES,
        "target = \"0x00000000000000000000000000000000000000e1\"\nfunction = \"swap(uint256,uint256)\"",
        "target = \"USDC\"\nfunction = \"transfer(address,uint256)\"",
        18,
        "listed twice",
    );
    let no_rule = CALL_RULES.split("\n[[call_rules.rule]]\narg = 0\nop = \"cap_per_window\"").next().unwrap();
    let err = parse(no_rule).expect_err("a ruled call without a rule");
    assert!(err.message.contains("without a rule"), "{err}");
    assert_eq!(err.line, 17, "{err}");
}

// ---------------------------------------------------------------------- the agent's key

const AGENT: &str = include_str!("policies/agent.toml");

#[test]
fn the_agent_section_installs_agent_validator_first() {
    let c = parse(AGENT).unwrap();
    let agent = c.agent.clone().expect("the [agent] section");
    assert_eq!(agent.key, address!("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
    assert_eq!(agent.gas_allowance, U256::from(500_000_000_000_000_000u128));
    let payloads = c.install_payloads(&MODULES);
    assert_eq!(payloads.len(), 2);
    // The validator goes first (it needs no hook to install), the hook last.
    assert_eq!(
        (payloads[0].module, payloads[0].module_type, payloads[0].label),
        (MODULES.validator, MODULE_TYPE_VALIDATOR, "AgentValidator")
    );
    assert_eq!((payloads[1].module, payloads[1].module_type), (MODULES.engine, MODULE_TYPE_HOOK));
    // abi.encode(authority, agent, gasAllowance), as AgentValidator's onInstall reads it.
    let (authority, key, allowance) =
        <(Address, Address, U256)>::abi_decode_params(&payloads[0].init_data).unwrap();
    assert_eq!((authority, key, allowance), (c.authority, agent.key, agent.gas_allowance));
    assert_eq!(c.validator_install_data().as_ref(), Some(&payloads[0].init_data));
    // In the same batch as the rest.
    let account = address!("0x00000000000000000000000000000000000000ac");
    let call = IERC7579Execution::executeCall::abi_decode(&c.install_call(&MODULES, account)).unwrap();
    let items = Vec::<IERC7579Batch::Execution>::abi_decode(&call.executionCalldata).unwrap();
    let first = IERC7579ModuleConfig::installModuleCall::abi_decode(&items[0].callData).unwrap();
    assert_eq!(
        (first.moduleTypeId, first.module, first.initData),
        (U256::from(MODULE_TYPE_VALIDATOR), MODULES.validator, payloads[0].init_data.clone())
    );
    // Without the section, no validator.
    assert!(parse(GOOD).unwrap().install_payloads(&MODULES).iter().all(|p| p.module != MODULES.validator));
}

#[test]
fn the_agent_section_alone_installs_the_validator_alone() {
    let text = "authority = \"0x00000000000000000000000000000000000000a1\"\n[agent]\nkey = \"0x00000000000000000000000000000000000000a9\"\ngas_allowance = 0\n";
    let c = parse(text).unwrap();
    assert_eq!(
        c.agent.as_ref().map(|a| a.gas_allowance),
        Some(U256::ZERO),
        "0: paymaster-paid operations only"
    );
    let labels: Vec<_> = c.install_payloads(&MODULES).iter().map(|p| p.label).collect();
    assert_eq!(labels, ["AgentValidator"]);
    let nothing = "authority = \"0x00000000000000000000000000000000000000a1\"\n";
    assert!(parse(nothing).unwrap_err().message.ends_with("[[custom_hooks]] or [agent]"));
}

#[test]
fn the_agent_key_is_a_real_address_apart_from_the_authority_and_the_account() {
    let key = r#"key = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed""#;
    rejects(
        AGENT,
        key,
        r#"key = "0x0000000000000000000000000000000000000000""#,
        5,
        "agent key must not be the zero address",
    );
    rejects(
        AGENT,
        key,
        r#"key = "0x00000000000000000000000000000000000000a1""#,
        5,
        "the agent key is the authority: the authority rotates and revokes the agent's key, so the agent needs a key of its own",
    );
    rejects(AGENT, key, r#"key = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD""#, 5, "wrong EIP-55 checksum");
    rejects(AGENT, key, r#"key = "0x12""#, 5, "agent key: `0x12` is not an address");
    rejects(
        AGENT,
        key,
        r#"key = "$AGENT""#,
        5,
        "agent key: unknown variable $AGENT (give it with --set AGENT=0x…)",
    );
    rejects(AGENT, "gas_allowance", "allowance", 6, "unknown field `allowance`");
    // The account is known at install: `policy install` checks it before sending.
    let c = parse(AGENT).unwrap();
    let account = c.agent.as_ref().unwrap().key;
    assert_eq!(
        c.check_account(account),
        Err(format!("the agent key is {account}, the account itself: an agent signs with a key of its own"))
    );
    assert_eq!(c.check_account(address!("0x00000000000000000000000000000000000000ac")), Ok(()));
}

#[test]
fn the_agent_key_is_no_sessions_agent() {
    let session = "\n[[session]]\nagent = \"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\"\nvalid_until = 2000000000\n[[session.call]]\ntarget = \"0x00000000000000000000000000000000000000d1\"\nfunction = \"*\"\n";
    let err = parse(&format!("{AGENT}{session}")).unwrap_err();
    assert_eq!(err.line, 5, "{err}");
    assert_eq!(
        err.message,
        "the agent key 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed also has a [[session]]: it signs account-wide operations too, so the session's limits would bind nothing (give the session a key of its own)"
    );
}

#[test]
fn the_gas_allowance_is_required_in_ether_and_fits_the_validator() {
    let line = r#"gas_allowance = "0.5""#;
    let err = parse(&AGENT.replacen(&format!("{line}\n"), "", 1)).unwrap_err();
    assert_eq!(
        err.message,
        "[agent] needs a gas_allowance: what the agent's UserOps may cost the account in gas fees, in ether (\"0\": only operations a paymaster pays)"
    );
    assert_eq!(err.line, 4, "the [agent] line: {err}");
    rejects(AGENT, line, r#"gas_allowance = "-1""#, 6, "gas_allowance: `-1` is negative");
    rejects(
        AGENT,
        line,
        r#"gas_allowance = "0.0000000000000000001""#,
        6,
        "not an amount with 18 decimals (too many digits after the point)",
    );
    rejects(
        AGENT,
        line,
        r#"gas_allowance = "lots""#,
        6,
        "gas_allowance: `lots` is not an amount with 18 decimals",
    );
    rejects(AGENT, line, "gas_allowance = true", 6, "gas_allowance: `true` is not an amount");
    // 2^96 wei is one wei above what AgentValidator keeps (its allowance is a uint96).
    rejects(
        AGENT,
        line,
        r#"gas_allowance = "79228162514.264337593543950336""#,
        6,
        "gas_allowance is above the largest AgentValidator keeps (2^96 - 1 wei, about 79.2 billion ether)",
    );
    let most =
        parse(&AGENT.replacen(line, r#"gas_allowance = "79228162514.264337593543950335""#, 1)).unwrap();
    assert_eq!(most.agent.unwrap().gas_allowance, config::MAX_GAS_ALLOWANCE);
    let whole = parse(&AGENT.replacen(line, "gas_allowance = 2", 1)).unwrap();
    assert_eq!(whole.agent.unwrap().gas_allowance, U256::from(2_000_000_000_000_000_000u128));
}

/// `policy show` writes the live agent back as an `[agent]` section that reads back the same.
#[test]
fn the_agent_written_back_reads_the_same() {
    let c = parse(AGENT).unwrap();
    let text = leash::live::to_toml(&c);
    assert!(
        text.contains(
            "\n[agent]\nkey = \"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\"\ngas_allowance = \"0.5\""
        ),
        "{text}"
    );
    let back = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.agent, c.agent);
}
