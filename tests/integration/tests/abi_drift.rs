//! The `leash` crate declares the contracts' interface by hand (so it builds before forge runs).
//! Every function and error selector it declares must exist in the compiled artifacts.

use std::collections::BTreeSet;

use alloy::json_abi::JsonAbi;
use alloy::primitives::FixedBytes;
use leash::abi::*;
use leash_tests::ensure_artifacts;

fn artifact_selectors(name: &str) -> BTreeSet<FixedBytes<4>> {
    let path = ensure_artifacts().unwrap().join(format!("{name}.sol")).join(format!("{name}.json"));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let abi: JsonAbi = serde_json::from_value(json["abi"].clone()).unwrap();
    abi.functions().map(|f| f.selector()).chain(abi.errors().map(|e| e.selector())).collect()
}

fn check(module: &str, declared: &[[u8; 4]]) {
    let compiled = artifact_selectors(module);
    assert!(!declared.is_empty());
    for selector in declared {
        assert!(
            compiled.contains(&FixedBytes(*selector)),
            "{module}: selector 0x{} is declared in leash::abi but not in the contract",
            alloy::hex::encode(selector)
        );
    }
}

#[test]
fn hand_written_bindings_match_the_artifacts() {
    check("HookMultiPlexer", ILeashModule::ILeashModuleCalls::SELECTORS);
    check("HookMultiPlexer", ILeashModule::ILeashModuleErrors::SELECTORS);
    check("HookMultiPlexer", IHookMultiPlexer::IHookMultiPlexerCalls::SELECTORS);
    check("HookMultiPlexer", IHookMultiPlexer::IHookMultiPlexerErrors::SELECTORS);
    check("AllowlistHook", IAllowlistHook::IAllowlistHookCalls::SELECTORS);
    check("AllowlistHook", IAllowlistHook::IAllowlistHookErrors::SELECTORS);
    check("AllowlistHook", IExecutionDecoderErrors::IExecutionDecoderErrorsErrors::SELECTORS);
    check("EmergencyPauseHook", IEmergencyPauseHook::IEmergencyPauseHookCalls::SELECTORS);
    check("EmergencyPauseHook", IEmergencyPauseHook::IEmergencyPauseHookErrors::SELECTORS);
    check("SpendingLimitHook", ISpendingLimitHook::ISpendingLimitHookCalls::SELECTORS);
    check("SpendingLimitHook", ISpendingLimitHook::ISpendingLimitHookErrors::SELECTORS);
    check("AutomationExecutor", IAutomationExecutor::IAutomationExecutorCalls::SELECTORS);
    check("AutomationExecutor", IAutomationExecutor::IAutomationExecutorErrors::SELECTORS);
    check("AgentValidator", ILeashModule::ILeashModuleCalls::SELECTORS);
    check("AgentValidator", IAgentValidator::IAgentValidatorCalls::SELECTORS);
    check("AgentValidator", IAgentValidator::IAgentValidatorErrors::SELECTORS);
    check("AgentValidator", IExecutionDecoderErrors::IExecutionDecoderErrorsErrors::SELECTORS);
}
