//! The checked policy encoded for the contracts: the policy engine's `Config` and install data,
//! the multiplexer's sub-hooks with their init data, and the `installModule` calls (one batch) that
//! put a policy on an account.

use alloy::primitives::{Address, Bytes, FixedBytes, U256};
use alloy::sol_types::{SolCall, SolValue};

use super::{
    HookStack, InstallPayload, ParamRuleConfig, PolicyConfig, SessionCallConfig, SessionConfig,
    SpendingConfig, TaskConfig, Token, MODULE_TYPE_EXECUTOR, MODULE_TYPE_HOOK, MODULE_TYPE_VALIDATOR,
};
use crate::abi;
use crate::addresses::ModuleAddresses;

impl PolicyConfig {
    /// The policy's sub-hooks in the order the multiplexer runs them (pause, allowlist, spending,
    /// custom hooks), each with its init data. The same init data installs a sub-hook alone.
    pub fn sub_hooks(&self, modules: &ModuleAddresses) -> Vec<(Address, Bytes)> {
        let mut hooks: Vec<Address> = Vec::new();
        let mut inits: Vec<Bytes> = Vec::new();
        if let Some(p) = &self.pause {
            hooks.push(modules.pause);
            inits.push(
                (self.authority, p.guardian, U256::from(p.auto_unpause_after)).abi_encode_params().into(),
            );
        }
        if let Some(a) = &self.allowlist {
            hooks.push(modules.allowlist);
            let perms: Vec<abi::IAllowlistHook::Permission> = a
                .permissions
                .iter()
                .map(|(target, selector)| abi::IAllowlistHook::Permission {
                    target: *target,
                    selector: *selector,
                })
                .collect();
            inits.push(
                (self.authority, U256::from(a.mode as u8), perms, a.protected.clone())
                    .abi_encode_params()
                    .into(),
            );
        }
        if !self.spending.is_empty() {
            hooks.push(modules.spending);
            let policies = token_policies(&self.spending);
            inits.push((self.authority, policies).abi_encode_params().into());
        }
        for (address, init) in &self.custom_hooks {
            hooks.push(*address);
            inits.push(init.clone());
        }
        hooks.into_iter().zip(inits).collect()
    }

    /// The policy engine's `Config` for this policy: the guardian (none: no pause), the
    /// allowlist's mode (`None` without an allowlist), its permissions and protected addresses,
    /// the token policies. `validation_id` is Kernel's validation whose hook the engine becomes
    /// (`0x01 ++ validator`), zero on every other account.
    pub fn engine_config(&self, validation_id: FixedBytes<21>) -> abi::PolicyEngineConfig {
        use abi::IAllowlistHook;
        let (guardian, auto_unpause_after) =
            self.pause.as_ref().map_or((Address::ZERO, 0), |p| (p.guardian, p.auto_unpause_after));
        let (mode, permissions, protected) = match &self.allowlist {
            None => (0u8, Vec::new(), Vec::new()),
            Some(a) => (
                a.mode as u8,
                a.permissions
                    .iter()
                    .map(|(target, selector)| IAllowlistHook::Permission {
                        target: *target,
                        selector: *selector,
                    })
                    .collect(),
                a.protected.clone(),
            ),
        };
        abi::PolicyEngineConfig {
            guardian,
            autoUnpauseAfter: U256::from(auto_unpause_after),
            mode,
            permissions,
            protectedTargets: protected,
            tokens: token_policies(&self.spending),
            validationId: validation_id,
            callRules: self
                .call_rules
                .iter()
                .map(|c| abi::CallRules {
                    target: c.target,
                    selector: c.selector,
                    rules: c.rules.iter().map(ParamRuleConfig::abi).collect(),
                })
                .collect(),
        }
    }

    /// The policy engine's install data: `abi.encode(authority, IPolicyEngine.Config)` with
    /// [`Self::engine_config`].
    pub fn engine_install_data(&self, validation_id: FixedBytes<21>) -> Bytes {
        (self.authority, self.engine_config(validation_id)).abi_encode_params().into()
    }

    /// Whether the policy has anything for a hook to run (pause, allowlist, limits, custom hooks,
    /// sessions, which need the engine installed even with nothing account-wide).
    pub fn has_hook_policies(&self) -> bool {
        self.pause.is_some()
            || self.allowlist.is_some()
            || !self.spending.is_empty()
            || !self.custom_hooks.is_empty()
            || !self.sessions.is_empty()
            || !self.call_rules.is_empty()
    }

    /// The hook this policy installs on the account: the engine or the multiplexer.
    pub fn hook_module(&self, modules: &ModuleAddresses) -> Address {
        match self.hook {
            HookStack::Engine => modules.engine,
            HookStack::Multiplexer => modules.multiplexer,
        }
    }

    /// AgentValidator's install data for the file's `[agent]`: `abi.encode(authority, key,
    /// gasAllowance)`.
    pub fn validator_install_data(&self) -> Option<Bytes> {
        self.agent.as_ref().map(|a| (self.authority, a.key, a.gas_allowance).abi_encode_params().into())
    }

    /// The `installModule` calls that put this policy on an account, in order: AgentValidator (if
    /// the file has an `[agent]`), the executor (if there are tasks), then the hook
    /// ([`Self::hook`]): the policy engine with its `Config`, or the multiplexer with its
    /// sub-hooks (pause, allowlist, spending, custom hooks). The hook goes last: once it is
    /// installed, module changes need the authority's approval. The validator needs no hook to
    /// install: it asks for one at each of the agent's operations.
    pub fn install_payloads(&self, modules: &ModuleAddresses) -> Vec<InstallPayload> {
        let mut payloads = Vec::new();
        if let Some(init_data) = self.validator_install_data() {
            payloads.push(InstallPayload {
                module: modules.validator,
                module_type: MODULE_TYPE_VALIDATOR,
                init_data,
                label: "AgentValidator",
            });
        }
        if !self.tasks.is_empty() {
            let tasks: Vec<abi::IAutomationExecutor::Task> = self.tasks.iter().map(TaskConfig::abi).collect();
            payloads.push(InstallPayload {
                module: modules.automation,
                module_type: MODULE_TYPE_EXECUTOR,
                init_data: (self.authority, tasks).abi_encode_params().into(),
                label: "AutomationExecutor",
            });
        }
        if !self.has_hook_policies() {
            return payloads;
        }
        payloads.push(match self.hook {
            HookStack::Engine => InstallPayload {
                module: modules.engine,
                module_type: MODULE_TYPE_HOOK,
                init_data: self.engine_install_data(FixedBytes::ZERO),
                label: "PolicyEngine",
            },
            HookStack::Multiplexer => {
                let (hooks, inits): (Vec<Address>, Vec<Bytes>) = self.sub_hooks(modules).into_iter().unzip();
                InstallPayload {
                    module: modules.multiplexer,
                    module_type: MODULE_TYPE_HOOK,
                    init_data: (self.authority, hooks, inits).abi_encode_params().into(),
                    label: "HookMultiPlexer",
                }
            }
        });
        payloads
    }

    /// The whole install as one call of the account to itself: `execute(batch, [installModule
    /// of each payload])`. It runs as one UserOp, so either every module is installed or, when
    /// one is refused, none is (the batch reverts as a whole).
    pub fn install_call(&self, modules: &ModuleAddresses, account: Address) -> Bytes {
        install_batch(self.install_payloads(modules), account)
    }

    /// The symbol and decimals of `token`, for readable output.
    pub fn token_info(&self, token: Address) -> Option<&Token> {
        self.tokens.iter().find(|t| t.address == token)
    }
}

/// Token policies as the engine takes them, account-wide or a session's.
fn token_policies(spending: &[SpendingConfig]) -> Vec<abi::ISpendingLimitHook::TokenPolicy> {
    spending.iter().map(SpendingConfig::abi).collect()
}

impl SpendingConfig {
    /// The token's policy as `setTokenPolicy` (engine or SpendingLimitHook) and installs take it.
    pub fn abi(&self) -> abi::ISpendingLimitHook::TokenPolicy {
        abi::ISpendingLimitHook::TokenPolicy {
            token: self.token,
            perTxCap: self.per_tx_cap,
            limits: self
                .limits
                .iter()
                .map(|(amount, window)| abi::ISpendingLimitHook::LimitConfig {
                    amount: *amount,
                    window: U256::from(*window),
                })
                .collect(),
        }
    }
}

impl ParamRuleConfig {
    pub fn abi(&self) -> abi::IPolicyEngine::ParamRule {
        abi::IPolicyEngine::ParamRule {
            op: self.op as u8,
            argIndex: self.arg,
            width: self.width,
            values: self.values.clone(),
        }
    }
}

impl SessionCallConfig {
    pub fn abi(&self) -> abi::IPolicyEngine::SessionCall {
        abi::IPolicyEngine::SessionCall {
            target: self.target,
            selector: self.selector,
            rules: self.rules.iter().map(ParamRuleConfig::abi).collect(),
        }
    }
}

impl SessionConfig {
    /// The session as `grantSession`, `enableSession` and `sessionGrantDigest` take it.
    pub fn abi(&self) -> abi::IPolicyEngine::Session {
        abi::IPolicyEngine::Session {
            agent: self.agent,
            validAfter: alloy::primitives::Uint::from(self.valid_from),
            validUntil: alloy::primitives::Uint::from(self.valid_until),
            maxUses: self.max_uses,
            usesPerWindow: self.uses_per_window,
            usageWindow: self.usage_window,
            calls: self.calls.iter().map(SessionCallConfig::abi).collect(),
            // The engine's binding declares the spending types again under its own module.
            tokens: self
                .spending
                .iter()
                .map(|s| abi::i_policy_engine::ISpendingLimitHook::TokenPolicy {
                    token: s.token,
                    perTxCap: s.per_tx_cap,
                    limits: s
                        .limits
                        .iter()
                        .map(|(amount, window)| abi::i_policy_engine::ISpendingLimitHook::LimitConfig {
                            amount: *amount,
                            window: U256::from(*window),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The (target, selector) entry a call falls under, as the engine looks it up: the exact
    /// selector (empty calldata: zero, plain transfers), else the target's wildcard. Calldata of 1
    /// to 3 bytes, or a real selector of zero, falls under none.
    pub fn entry_for(&self, target: Address, data: &[u8]) -> Option<&SessionCallConfig> {
        let selector = match data.len() {
            0 => FixedBytes::ZERO,
            1..=3 => return None,
            _ if data[..4] == [0; 4] => return None,
            _ => FixedBytes::from_slice(&data[..4]),
        };
        let wildcard = FixedBytes(super::WILDCARD_SELECTOR);
        self.calls
            .iter()
            .find(|c| c.target == target && c.selector == selector)
            .or_else(|| self.calls.iter().find(|c| c.target == target && c.selector == wildcard))
    }
}

impl ParamRuleConfig {
    /// Whether the call `data` meets the rule on `account`, as the engine decides (the argument
    /// word present and canonical for the width), with the word read (0 when the call is short).
    pub fn check(&self, data: &[u8], account: Address) -> (bool, U256) {
        let end = 36 + 32 * usize::from(self.arg);
        if data.len() < end {
            return (false, U256::ZERO);
        }
        let word = U256::from_be_slice(&data[end - 32..end]);
        let canonical = self.width >= 32 || word >> (8 * usize::from(self.width)) == U256::ZERO;
        (canonical && self.op.holds(word, &self.values, account), word)
    }
}

/// `execute(batch)` of `account`'s own `installModule` call for each payload, in order.
pub fn install_batch(payloads: Vec<InstallPayload>, account: Address) -> Bytes {
    let items: Vec<abi::IERC7579Batch::Execution> = payloads
        .into_iter()
        .map(|p| abi::IERC7579Batch::Execution {
            target: account,
            value: U256::ZERO,
            callData: abi::IERC7579ModuleConfig::installModuleCall {
                moduleTypeId: U256::from(p.module_type),
                module: p.module,
                initData: p.init_data,
            }
            .abi_encode()
            .into(),
        })
        .collect();
    let mut mode = FixedBytes::<32>::ZERO;
    mode.0[0] = 0x01; // call type: batch
    abi::IERC7579Execution::executeCall { mode, executionCalldata: items.abi_encode().into() }
        .abi_encode()
        .into()
}
