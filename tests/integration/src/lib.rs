//! Leash's Rust test bed: a spawned Anvil with the real EntryPoint v0.8 at its canonical address,
//! the project's ERC-7579 test account, and UserOps built, signed and sent through `handleOps`.

pub mod abi;

use std::path::{Path, PathBuf};

use alloy::network::EthereumWallet;
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{address, Address, Bytes, FixedBytes, B256, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol_types::{SolCall, SolEvent};
use eyre::{bail, eyre, Result, WrapErr};

use abi::{EntryPoint, LeashTestAccount, PackedUserOperation};

/// Where every ERC-7579 account built on OpenZeppelin 5.7 (as overridden here) finds EntryPoint v0.8.
pub const ENTRYPOINT_V08: Address = address!("0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108");

const VERIFICATION_GAS: u128 = 1_000_000;
const CALL_GAS: u128 = 2_000_000;

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
}

/// What the EntryPoint reported for one UserOp.
#[derive(Debug)]
pub struct OpOutcome {
    pub success: bool,
    /// Revert data of the account's execution when it failed (empty otherwise).
    pub revert_reason: Bytes,
    pub gas_used: u64,
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
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(bundler_key))
            .connect_http(anvil.endpoint_url())
            .erased();

        install_entry_point(&provider).await?;

        let owner = PrivateKeySigner::random();
        let account = *LeashTestAccount::deploy(&provider, owner.address())
            .await
            .wrap_err("could not deploy LeashTestAccount (did `forge build` run?)")?
            .address();
        provider
            .anvil_set_balance(account, U256::from(100u64) * U256::from(10u64).pow(U256::from(18)))
            .await?;
        Ok(Self { anvil, provider, bundler, owner, account })
    }

    pub fn entry_point(&self) -> EntryPoint::EntryPointInstance<DynProvider> {
        EntryPoint::new(ENTRYPOINT_V08, self.provider.clone())
    }

    /// An unsigned UserOp from the account on nonce key 0 (the owner's ECDSA path), with no fees.
    pub async fn user_op(&self, call_data: Bytes) -> Result<PackedUserOperation> {
        let nonce =
            self.entry_point().getNonce(self.account, alloy::primitives::aliases::U192::ZERO).call().await?;
        Ok(PackedUserOperation {
            sender: self.account,
            nonce,
            initCode: Bytes::new(),
            callData: call_data,
            accountGasLimits: pack_u128s(VERIFICATION_GAS, CALL_GAS),
            preVerificationGas: U256::from(50_000u64),
            gasFees: FixedBytes::ZERO,
            paymasterAndData: Bytes::new(),
            signature: Bytes::new(),
        })
    }

    /// Signs the EntryPoint's hash of `op` (EIP-712 in v0.8) with `signer`.
    pub async fn sign(&self, op: &mut PackedUserOperation, signer: &PrivateKeySigner) -> Result<()> {
        let hash: B256 = self.entry_point().getUserOpHash(op.clone()).call().await?;
        let sig = signer.sign_hash_sync(&hash)?;
        op.signature = Bytes::from(sig.as_bytes().to_vec());
        Ok(())
    }

    /// Signs `call_data` as the owner and submits it through `handleOps`.
    pub async fn submit(&self, call_data: Bytes) -> Result<OpOutcome> {
        let mut op = self.user_op(call_data).await?;
        let owner = self.owner.clone();
        self.sign(&mut op, &owner).await?;
        self.handle_op(op).await
    }

    /// Sends one UserOp; the transaction itself must succeed (validation passed).
    pub async fn handle_op(&self, op: PackedUserOperation) -> Result<OpOutcome> {
        let hash: B256 = self.entry_point().getUserOpHash(op.clone()).call().await?;
        let entry_point = self.entry_point();
        let call = entry_point.handleOps(vec![op], self.bundler).gas(10_000_000);
        // Simulate first so that a refused UserOp surfaces as the EntryPoint's decoded error.
        call.call().await.map_err(|e| eyre!("handleOps was refused: {}", abi::describe_error(&e)))?;
        let receipt = call.send().await.wrap_err("could not send handleOps")?.get_receipt().await?;
        if !receipt.status() {
            bail!("handleOps transaction reverted");
        }
        let mut outcome = None;
        let mut revert_reason = Bytes::new();
        for log in receipt.inner.logs() {
            if log.address() != ENTRYPOINT_V08 || log.topics().get(1) != Some(&hash) {
                continue;
            }
            if let Ok(ev) = EntryPoint::UserOperationEvent::decode_log_data(log.data()) {
                outcome = Some(ev.success);
            } else if let Ok(ev) = EntryPoint::UserOperationRevertReason::decode_log_data(log.data()) {
                revert_reason = ev.revertReason;
            }
        }
        let success = outcome.ok_or_else(|| eyre!("no UserOperationEvent for this UserOp"))?;
        Ok(OpOutcome { success, revert_reason, gas_used: receipt.gas_used })
    }
}

/// `account.execute(single mode, target ++ value ++ data)`.
pub fn execute_single(target: Address, value: U256, data: &[u8]) -> Bytes {
    let mut packed = Vec::with_capacity(52 + data.len());
    packed.extend_from_slice(target.as_slice());
    packed.extend_from_slice(&value.to_be_bytes::<32>());
    packed.extend_from_slice(data);
    LeashTestAccount::executeCall { mode: B256::ZERO, executionCalldata: packed.into() }.abi_encode().into()
}

fn pack_u128s(high: u128, low: u128) -> FixedBytes<32> {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&high.to_be_bytes());
    out[16..].copy_from_slice(&low.to_be_bytes());
    FixedBytes(out)
}

/// Puts the real EntryPoint v0.8 runtime code at its canonical address: deploy the packaged
/// creation code anywhere, then copy the runtime code over.
async fn install_entry_point(provider: &DynProvider) -> Result<()> {
    let deployed =
        EntryPoint::deploy(provider).await.wrap_err("could not deploy the packaged EntryPoint v0.8")?;
    let code = provider.get_code_at(*deployed.address()).await?;
    provider.anvil_set_code(ENTRYPOINT_V08, code).await?;
    Ok(())
}
