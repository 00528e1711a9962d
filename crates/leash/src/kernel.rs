//! Kernel v3's own encodings. Kernel has no account-wide hook: a hook rides on a validation (the
//! agent's, through AgentValidator) or on an executor, named in that module's install data, and
//! the owner's root validation carries none.

use alloy::primitives::{Address, Bytes, FixedBytes, U256};
use alloy::sol_types::{SolCall, SolValue};
use eyre::{bail, Result, WrapErr};

use crate::abi::{IERC7579Batch, IERC7579Execution, IERC7579ModuleConfig};
use crate::addresses::ModuleAddresses;
use crate::config::{HookStack, PolicyConfig, MODULE_TYPE_HOOK, MODULE_TYPE_VALIDATOR};

/// Kernel's validation id of `validator`: `0x01 ++ validator`.
pub fn validation(validator: Address) -> FixedBytes<21> {
    let mut id = [0u8; 21];
    id[0] = 0x01;
    id[1..].copy_from_slice(validator.as_slice());
    FixedBytes(id)
}

/// Kernel's `installModule(1, validator, …)` with `hook` riding on the validation and its
/// `hookInit` handed to the hook (after Kernel's one-byte flag), granting the validation `execute`.
pub fn install_validator(
    validator: Address,
    validator_init: Bytes,
    hook: Address,
    hook_init: &[u8],
) -> Bytes {
    let hook_data: Bytes = [&[0u8][..], hook_init].concat().into();
    let selector: Bytes = IERC7579Execution::executeCall::SELECTOR.to_vec().into();
    let config = [hook.as_slice(), &(validator_init, hook_data, selector).abi_encode_params()].concat();
    install_module(MODULE_TYPE_VALIDATOR, validator, config.into())
}

/// Kernel's `installModule(2, executor, …)` with `hook` riding on the executor (Kernel calls the
/// hook's `onInstall` only if it is not initialized yet).
pub fn install_executor(executor: Address, executor_init: Bytes, hook: Address) -> Bytes {
    let config = [hook.as_slice(), &(executor_init, Bytes::from(vec![0u8])).abi_encode_params()].concat();
    install_module(2, executor, config.into())
}

fn install_module(module_type: u64, module: Address, init_data: Bytes) -> Bytes {
    IERC7579ModuleConfig::installModuleCall {
        moduleTypeId: U256::from(module_type),
        module,
        initData: init_data,
    }
    .abi_encode()
    .into()
}

/// Kernel's `uninstallModule(1, validator, "")`: the validation goes (Kernel does not call its
/// hook's `onUninstall`, so the hook keeps the account).
pub fn uninstall_validator(validator: Address) -> Bytes {
    IERC7579ModuleConfig::uninstallModuleCall {
        moduleTypeId: U256::from(MODULE_TYPE_VALIDATOR),
        module: validator,
        deInitData: Bytes::new(),
    }
    .abi_encode()
    .into()
}

/// The multiplexer's install data on Kernel: the three fields plus the validation it rides on.
pub fn multiplexer_init(init: &[u8], validation: FixedBytes<21>) -> Result<Bytes> {
    let (authority, hooks, inits) = <(Address, Vec<Address>, Vec<Bytes>)>::abi_decode_params(init)
        .wrap_err("the multiplexer's install data")?;
    Ok((authority, hooks, inits, validation).abi_encode_params().into())
}

/// Refused in words unless `policy` can go on a Kernel account: the hook rides on the agent's
/// validation, so the file needs an `[agent]` and policies for the hook.
pub fn check(policy: &PolicyConfig, account: Address) -> Result<()> {
    if policy.agent.is_none() || !policy.has_hook_policies() {
        bail!(
            "{account} is a Kernel account: it has no account-wide hook, so the leash rides on the agent's validation, and the file needs both an [agent] and policies for the hook"
        );
    }
    Ok(())
}

/// A policy's install on Kernel as one call of the account to itself: AgentValidator with the
/// agent's key, carrying the policy's hook (whose install data names the agent's validation),
/// then each executor carrying the same hook. Refused without an `[agent]` or a hook: the hook has
/// nothing to ride on, or nothing to run.
pub fn install_call(policy: &PolicyConfig, modules: &ModuleAddresses, account: Address) -> Result<Bytes> {
    check(policy, account)?;
    let payloads = policy.install_payloads(modules);
    let validator_init = policy.validator_install_data().expect("checked: the file has an [agent]");
    let hook = policy.hook_module(modules);
    let agent_validation = validation(modules.validator);
    let hook_init = match policy.hook {
        HookStack::Engine => policy.engine_install_data(agent_validation),
        HookStack::Multiplexer => {
            let mux =
                payloads.iter().find(|p| p.module_type == MODULE_TYPE_HOOK).expect("the hook's payload");
            multiplexer_init(&mux.init_data, agent_validation)?
        }
    };
    let mut calls = vec![install_validator(modules.validator, validator_init, hook, &hook_init)];
    for p in payloads
        .iter()
        .filter(|p| p.module_type != MODULE_TYPE_HOOK && p.module_type != MODULE_TYPE_VALIDATOR)
    {
        calls.push(install_executor(p.module, p.init_data.clone(), hook));
    }
    let items: Vec<IERC7579Batch::Execution> = calls
        .into_iter()
        .map(|call_data| IERC7579Batch::Execution { target: account, value: U256::ZERO, callData: call_data })
        .collect();
    Ok(crate::account::execute_batch_as(None, &items))
}
