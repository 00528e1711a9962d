//! Where the Leash modules live on a chain: the deployment record `deployments/<chainId>.json`,
//! else the predicted CREATE2 addresses (the same on every chain), each overridable.

use std::collections::BTreeMap;
use std::path::Path;

use alloy::primitives::Address;
use alloy::providers::Provider;
use eyre::{bail, eyre, Result, WrapErr};

use crate::deploy::{self, PlannedModule};

/// One value per Leash module.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Modules<T> {
    pub engine: T,
    pub multiplexer: T,
    pub pause: T,
    pub allowlist: T,
    pub spending: T,
    pub automation: T,
    /// AgentValidator, which holds an agent's key (zero in a record from before it).
    pub validator: T,
    /// LeashEOAAccount, the account implementation an EOA delegates to with EIP-7702 (not a
    /// module; zero in a record from before it).
    pub eoa_account: T,
}

/// The Leash module addresses a policy is installed with and read back from.
pub type ModuleAddresses = Modules<Address>;

/// Addresses given by hand, each taking the place of the record's.
pub type ModuleOverrides = Modules<Option<Address>>;

impl ModuleAddresses {
    /// The addresses of a deployment plan (the same on every chain).
    pub fn from_plan(plan: &[PlannedModule]) -> Self {
        let at = |name: &str| plan.iter().find(|m| m.name == name).map(|m| m.address).unwrap_or_default();
        Self {
            engine: at("PolicyEngine"),
            multiplexer: at("HookMultiPlexer"),
            pause: at("EmergencyPauseHook"),
            allowlist: at("AllowlistHook"),
            spending: at("SpendingLimitHook"),
            automation: at("AutomationExecutor"),
            validator: at("AgentValidator"),
            eoa_account: at(deploy::EOA_ACCOUNT),
        }
    }

    /// The addresses on chain `chain_id`, from the project at `root`: its deployment record
    /// `deployments/<chainId>.json`, or without one the addresses predicted from the build in
    /// `out/`; `overrides` take the place of either.
    pub fn resolve(root: &Path, chain_id: u64, overrides: &ModuleOverrides) -> Result<Self> {
        let path = deploy::record_path(root, chain_id);
        let known: BTreeMap<String, Address> = match deploy::read_record(&path)? {
            Some(record) => record.modules.into_iter().map(|(name, m)| (name, m.address)).collect(),
            None => deploy::plan(&root.join("out"))
                .wrap_err_with(|| {
                    format!("no deployment record {} and no build to predict from", path.display())
                })?
                .into_iter()
                .map(|m| (m.name.to_string(), m.address))
                .collect(),
        };
        Self::from_known(known, overrides)
    }

    /// `known` (module name to address) with `overrides` applied. The engine, the validator and
    /// the EOA account may be missing (a record from before them: the multiplexer stack still
    /// works); the other modules must be there.
    fn from_known(mut known: BTreeMap<String, Address>, o: &ModuleOverrides) -> Result<Self> {
        let mut optional =
            |name: &str, over: Option<Address>| over.or_else(|| known.remove(name)).unwrap_or_default();
        let engine = optional("PolicyEngine", o.engine);
        let validator = optional("AgentValidator", o.validator);
        let eoa_account = optional(deploy::EOA_ACCOUNT, o.eoa_account);
        let mut get = |name: &str, over: Option<Address>| -> Result<Address> {
            over.or_else(|| known.remove(name))
                .ok_or_else(|| eyre!("no address for {name}: pass it explicitly"))
        };
        Ok(Self {
            engine,
            multiplexer: get("HookMultiPlexer", o.multiplexer)?,
            pause: get("EmergencyPauseHook", o.pause)?,
            allowlist: get("AllowlistHook", o.allowlist)?,
            spending: get("SpendingLimitHook", o.spending)?,
            automation: get("AutomationExecutor", o.automation)?,
            validator,
            eoa_account,
        })
    }
}

/// Fails unless `module` holds code on the provider's chain. A deployment record's addresses on a
/// chain where Leash was not deployed (a wrong `--rpc-url`, a fresh node) answer every view with
/// no data: said so here, before a view's empty answer reads as "not installed" or an ABI error.
pub async fn require_deployed<P: Provider>(provider: &P, module: Address) -> Result<()> {
    if provider.get_code_at(module).await.wrap_err("reading the chain")?.is_empty() {
        let chain = provider.get_chain_id().await.wrap_err("reading the chain id")?;
        bail!(
            "no Leash deployment at {module} on chain {chain}: deploy there (`cargo xtask deploy --rpc-url …`) or pass the right --rpc-url"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_and_a_record_from_before_the_engine_still_resolves() {
        let names = [
            "HookMultiPlexer",
            "EmergencyPauseHook",
            "AllowlistHook",
            "SpendingLimitHook",
            "AutomationExecutor",
        ];
        let known: BTreeMap<String, Address> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), Address::with_last_byte(i as u8 + 1)))
            .collect();
        let spending = Address::with_last_byte(0x99);
        let modules = ModuleAddresses::from_known(
            known.clone(),
            &ModuleOverrides { spending: Some(spending), ..Default::default() },
        )
        .unwrap();
        assert_eq!(modules.multiplexer, Address::with_last_byte(1));
        assert_eq!(modules.spending, spending);
        assert_eq!(
            (modules.engine, modules.validator, modules.eoa_account),
            (Address::ZERO, Address::ZERO, Address::ZERO)
        );

        let mut partial = known;
        partial.remove("AllowlistHook");
        let err = ModuleAddresses::from_known(partial, &ModuleOverrides::default()).unwrap_err();
        assert_eq!(err.to_string(), "no address for AllowlistHook: pass it explicitly");
    }
}
