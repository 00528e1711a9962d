//! Leash's Rust test bed: a spawned Anvil with the real EntryPoint v0.8 at its canonical address,
//! the project's ERC-7579 test account, and UserOps built, signed and sent through `handleOps`.

pub mod abi;

use std::path::{Path, PathBuf};

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use eyre::{bail, Result, WrapErr};
pub use leash::account::{
    execute_single, install_entry_point, OpOutcome, PackedUserOperation, UserOpSender, ENTRYPOINT_V08,
};

use abi::LeashTestAccount;

/// The project root (two levels above this crate).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate lives at tests/integration")
        .to_path_buf()
}

/// An Anvil node with EntryPoint v0.8 and one funded test account owned by `owner`.
pub struct TestBed {
    /// Kept alive for the node's lifetime; the node stops when this drops.
    pub anvil: AnvilInstance,
    /// Sends transactions as `bundler`.
    pub provider: DynProvider,
    pub bundler: Address,
    pub owner: PrivateKeySigner,
    pub account: Address,
    /// UserOps from the account signed by the owner.
    pub sender: UserOpSender<DynProvider>,
}

impl TestBed {
    pub async fn spawn() -> Result<Self> {
        let anvil_bin = project_root().join("node_modules/.bin/anvil");
        if !anvil_bin.exists() {
            bail!("{} is missing: run `cargo xtask setup`", anvil_bin.display());
        }
        let anvil = Anvil::new().path(anvil_bin).try_spawn().wrap_err("could not start anvil")?;
        let bundler_key: PrivateKeySigner = anvil.keys()[0].clone().into();
        let bundler = bundler_key.address();
        let provider = leash::provider::with_wallet(anvil.endpoint_url(), bundler_key);

        install_entry_point(&provider, &project_root()).await?;

        let owner = PrivateKeySigner::random();
        let account = deploy_account(&provider, owner.address()).await?;
        let sender = UserOpSender {
            provider: provider.clone(),
            account,
            signer: owner.clone(),
            bundler,
            nonce_key: Default::default(),
            entry_point: leash::account::ENTRYPOINT_V08,
            execute_user_op: false,
        };
        Ok(Self { anvil, provider, bundler, owner, account, sender })
    }

    /// An unsigned UserOp from the account (nonce key 0, no fees).
    pub async fn user_op(&self, call_data: Bytes) -> Result<PackedUserOperation> {
        self.sender.user_op(call_data).await
    }

    pub async fn sign(&self, op: &mut PackedUserOperation, signer: &PrivateKeySigner) -> Result<()> {
        self.sender.sign(op, signer).await
    }

    /// Signs `call_data` as the owner and submits it through `handleOps`.
    pub async fn submit(&self, call_data: Bytes) -> Result<OpOutcome> {
        self.sender.submit(call_data).await
    }

    pub async fn handle_op(&self, op: PackedUserOperation) -> Result<OpOutcome> {
        self.sender.handle_op(op).await
    }
}

/// Deploys a LeashTestAccount owned by `owner`, funded with 100 ETH.
pub async fn deploy_account(provider: &DynProvider, owner: Address) -> Result<Address> {
    let account = *LeashTestAccount::deploy(provider, owner)
        .await
        .wrap_err("could not deploy LeashTestAccount (did `forge build` run?)")?
        .address();
    provider.anvil_set_balance(account, U256::from(100u64) * U256::from(10u64).pow(U256::from(18))).await?;
    Ok(account)
}
