//! Sessions on the test account, as the session tests set them up: the Leash modules, AgentValidator
//! installed for sessions only (no account-wide agent), a policy file's `$NAME`s, its install and
//! its sessions granted by the authority, and an agent's operations naming its own session.

use std::collections::BTreeMap;

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use eyre::{ensure, Result};
use leash::addresses::ModuleAddresses;
use leash::config::PolicyConfig;
use leash::errors::TokenBook;
use leash::ops;

use crate::{Devnet, UserOpSender};

/// ERC-7579's validator module type.
pub const MODULE_TYPE_VALIDATOR: u64 = 1;

/// The `$NAME`s of a policy file.
pub fn vars<const N: usize>(pairs: [(&str, Address); N]) -> BTreeMap<String, Address> {
    pairs.into_iter().map(|(name, address)| (name.to_string(), address)).collect()
}

/// An account ready for sessions: the Leash modules deployed, AgentValidator installed with no
/// account-wide agent and the authority as its authority; the authority is Anvil's key 1.
pub struct SessionBed {
    pub net: Devnet,
    /// The account's owner's operations.
    pub owner: UserOpSender<DynProvider>,
    pub modules: ModuleAddresses,
    pub authority: PrivateKeySigner,
}

impl SessionBed {
    /// On `net`, for `owner`'s account; AgentValidator gives agents `gas_allowance` in all for fees.
    pub async fn new(net: Devnet, owner: UserOpSender<DynProvider>, gas_allowance: U256) -> Result<Self> {
        let (modules, _) = net.deploy_leash().await?;
        let authority = net.key(1);
        let init: Bytes = (authority.address(), Address::ZERO, gas_allowance).abi_encode_params().into();
        let installed = owner.install_module(MODULE_TYPE_VALIDATOR, modules.validator, init).await?;
        ensure!(installed.success, "AgentValidator was not installed: {:?}", installed.refusal());
        Ok(Self { net, owner, modules, authority })
    }

    /// A provider that signs with the authority's key.
    pub fn authority_wallet(&self) -> DynProvider {
        self.net.wallet(1)
    }

    /// Installs `policy` on the account in one operation.
    pub async fn install(&self, policy: &PolicyConfig, book: &TokenBook) -> Result<()> {
        ops::install(&self.owner, policy, &self.modules, book).await?;
        Ok(())
    }

    /// Grants each of `policy`'s sessions by the authority's transaction.
    pub async fn grant_all(&self, policy: &PolicyConfig, book: &TokenBook) -> Result<()> {
        let authority = self.authority_wallet();
        for s in &policy.sessions {
            ops::grant_session(&authority, self.modules.engine, self.owner.account, s, book).await?;
        }
        Ok(())
    }

    /// Operations signed by `key` through AgentValidator, naming the session of `key`'s address.
    pub fn agent(&self, key: &PrivateKeySigner) -> UserOpSender<DynProvider> {
        self.owner.clone().signed_by(key.clone()).via_validator(self.modules.validator).as_session()
    }
}
