//! A local chain for Leash's tests, bench and demo: an Anvil node from the project's pinned
//! toolchain ([`Devnet::spawn`]), the Leash modules deployed on it, the real EntryPoint placed at
//! its canonical address, the project's test account and tokens, the other account kinds
//! ([`accounts`]), a real ERC-4337 bundler against the node ([`alto`]), and the demo ([`demo`]).
//!
//! Everything here reads artifacts the `leash` library never does: the test contracts forge
//! compiles from `tests/solidity/utils/` and the npm packages' compiled EntryPoints and Uniswap V3.

pub mod abi;
pub mod accounts;
pub mod alto;
pub mod demo;

use std::path::{Path, PathBuf};

use alloy::network::TransactionBuilder;
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use eyre::{bail, eyre, Result, WrapErr};
use leash::account::{UserOpSender, ENTRYPOINT_V07, ENTRYPOINT_V08};
use leash::addresses::ModuleAddresses;
use leash::provider::Confirm;
use leash::{artifacts, deploy};

/// The project root (two levels above this crate).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate lives at crates/leash-devnet")
        .to_path_buf()
}

/// How the node is started; the default is a plain Anvil on a free port.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// No 24 KiB code-size limit: the contracts that carry Nexus', the reference account's, Safe's
    /// and Kernel's bytecode are larger.
    pub no_code_size_limit: bool,
    /// The genesis block's time.
    pub timestamp: Option<u64>,
    pub chain_id: Option<u64>,
    /// A fixed port (the operator commands' default `--rpc-url` is port 8545).
    pub port: Option<u16>,
    /// No copy of the state per block: mining about twice as fast, for runs that never read an
    /// old block (snapshots work the same).
    pub prune_history: bool,
}

/// The EntryPoint versions the accounts use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPoint {
    /// v0.8: the OpenZeppelin test account.
    V08,
    /// v0.7: Nexus, the reference account, Safe7579, Kernel.
    V07,
}

impl EntryPoint {
    /// Its canonical address.
    pub fn address(self) -> Address {
        match self {
            Self::V08 => ENTRYPOINT_V08,
            Self::V07 => ENTRYPOINT_V07,
        }
    }

    /// The npm package's Hardhat artifact, from the project root.
    fn artifact(self) -> &'static str {
        match self {
            Self::V08 => "node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json",
            Self::V07 => "node_modules/account-abstraction-v0.7/artifacts/EntryPoint.json",
        }
    }
}

/// A running Anvil node; it stops when this drops.
pub struct Devnet {
    pub anvil: AnvilInstance,
    pub root: PathBuf,
    /// Signs with Anvil's key 0: deploys, and sends `handleOps` as the bundler.
    pub provider: DynProvider,
}

impl Devnet {
    /// Starts Anvil from `node_modules/.bin` (installed by `cargo xtask setup`).
    pub fn spawn(options: Options) -> Result<Self> {
        let root = project_root();
        let bin = root.join("node_modules/.bin/anvil");
        if !bin.exists() {
            bail!("{} is missing: run `cargo xtask setup`", bin.display());
        }
        // The hardfork the contracts are compiled for (foundry.toml's evm_version), with EIP-7702,
        // rather than whatever a newer Anvil takes as its latest.
        let mut anvil = Anvil::new().path(bin).args(["--hardfork", "prague"]);
        if options.no_code_size_limit {
            anvil = anvil.arg("--disable-code-size-limit");
        }
        if let Some(timestamp) = options.timestamp {
            anvil = anvil.args(["--timestamp", &timestamp.to_string()]);
        }
        if let Some(chain_id) = options.chain_id {
            anvil = anvil.chain_id(chain_id);
        }
        if let Some(port) = options.port {
            anvil = anvil.port(port);
        }
        if options.prune_history {
            anvil = anvil.arg("--prune-history");
        }
        let anvil = anvil.try_spawn().wrap_err_with(|| match options.port {
            Some(port) => format!("could not start anvil (is port {port} free?)"),
            None => "could not start anvil".to_string(),
        })?;
        let provider = leash::provider::with_wallet(anvil.endpoint_url(), anvil.keys()[0].clone().into());
        Ok(Self { anvil, root, provider })
    }

    /// Anvil's funded key `index`.
    pub fn key(&self, index: usize) -> PrivateKeySigner {
        self.anvil.keys()[index].clone().into()
    }

    /// A provider that signs with key `index`.
    pub fn wallet(&self, index: usize) -> DynProvider {
        leash::provider::with_wallet(self.anvil.endpoint_url(), self.key(index))
    }

    /// Key 0's address: it sends `handleOps`, so the EntryPoint's fee payment goes to an account
    /// already warm in the transaction.
    pub fn bundler(&self) -> Address {
        self.anvil.addresses()[0]
    }

    /// Forge's output directory.
    pub fn out(&self) -> PathBuf {
        self.root.join("out")
    }

    /// Deploys every Leash module through the CREATE2 deployer.
    pub async fn deploy_leash(&self) -> Result<(ModuleAddresses, deploy::Report)> {
        let plan = deploy::plan(&self.out())?;
        let report = deploy::deploy(&self.provider, &plan, None, |_| {}).await?;
        Ok((ModuleAddresses::from_plan(&plan), report))
    }

    /// Every module and EntryPoint v0.8 (the OpenZeppelin account's and the EOA's): the modules'
    /// addresses.
    pub async fn leash_on_v08(&self) -> Result<ModuleAddresses> {
        let (modules, _) = self.deploy_leash().await?;
        self.place_entry_point(EntryPoint::V08).await?;
        Ok(modules)
    }

    /// LeashEOAAccount, the implementation an EOA delegates to, through the CREATE2 deployer like
    /// the modules (nothing is sent if it is there already): its address.
    pub async fn deploy_eoa_account(&self) -> Result<Address> {
        let plan: Vec<_> =
            deploy::plan(&self.out())?.into_iter().filter(|m| m.name == deploy::EOA_ACCOUNT).collect();
        deploy::deploy(&self.provider, &plan, None, |_| {}).await?;
        Ok(plan[0].address)
    }

    /// Puts the real EntryPoint (the npm package's artifact) at its canonical address: deployed
    /// anywhere, then its runtime code copied there.
    pub async fn place_entry_point(&self, version: EntryPoint) -> Result<()> {
        let code = hardhat_creation_code(&self.root.join(version.artifact()))?;
        let deployed = self.deploy_code(code).await.wrap_err("deploying the EntryPoint")?;
        let runtime = self.provider.get_code_at(deployed).await?;
        self.provider.anvil_set_code(version.address(), runtime).await.wrap_err("placing the EntryPoint")?;
        Ok(())
    }

    /// Deploys `code` (creation code with its constructor arguments) with a plain CREATE from key 0.
    pub async fn deploy_code(&self, code: Bytes) -> Result<Address> {
        deploy_code(&self.provider, code).await
    }

    /// The creation code of a test contract forge compiled from `tests/solidity/utils/`.
    pub fn test_contract_code(&self, name: &str) -> Result<Bytes> {
        artifacts::creation_code(&self.out(), name)
    }

    /// Deploys a test token (`tests/solidity/utils/mocks/Tokens.sol`): `TestToken` (18 decimals)
    /// or `SixDecimalToken`, with its symbol.
    pub async fn deploy_token(&self, contract: &str, symbol: &str) -> Result<Address> {
        let code = hardhat_creation_code(&self.out().join("Tokens.sol").join(format!("{contract}.json")))?;
        self.deploy_code([code.as_ref(), &(symbol.to_string(),).abi_encode_params()].concat().into()).await
    }

    /// Deploys the project's test account (`LeashTestAccount`: OpenZeppelin's ERC-7579 account
    /// with one ECDSA owner, on EntryPoint v0.8) owned by `owner`, with 100 ETH.
    pub async fn deploy_test_account(&self, owner: Address) -> Result<Address> {
        let code = self.test_contract_code("LeashTestAccount")?;
        let account = self
            .deploy_code([code.as_ref(), &owner.abi_encode()].concat().into())
            .await
            .wrap_err("could not deploy LeashTestAccount")?;
        self.provider.anvil_set_balance(account, ether(100)).await?;
        Ok(account)
    }

    /// EntryPoint v0.8 and a test account owned by `owner`, with 100 ETH: the owner's UserOps,
    /// sent by key 0.
    pub async fn test_account(&self, owner: PrivateKeySigner) -> Result<UserOpSender<DynProvider>> {
        self.place_entry_point(EntryPoint::V08).await?;
        let account = self.deploy_test_account(owner.address()).await?;
        Ok(UserOpSender::new(self.provider.clone(), ENTRYPOINT_V08, account, owner).bundler(self.bundler()))
    }
}

/// `n` ether in wei.
pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// Deploys `code` (creation code with its constructor arguments) with a plain CREATE and returns
/// the new contract's address.
pub async fn deploy_code<P: Provider>(provider: &P, code: Bytes) -> Result<Address> {
    let tx = TransactionRequest::default().with_deploy_code(code).with_value(U256::ZERO);
    let receipt = provider.send_transaction(tx).await?.confirmed().await?;
    if !receipt.status() {
        return Err(eyre!("a deployment reverted ({})", receipt.transaction_hash));
    }
    receipt.contract_address.ok_or_else(|| eyre!("no contract address in the receipt"))
}

/// The creation code of a Hardhat artifact (`{"bytecode": "0x…"}`), as npm packages ship them
/// (forge writes the same field as `{"object": …}`, also read).
pub fn hardhat_creation_code(path: &Path) -> Result<Bytes> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("{} is missing: run `cargo xtask setup`", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).wrap_err_with(|| format!("{} is not valid JSON", path.display()))?;
    let hex = json["bytecode"]
        .as_str()
        .or_else(|| json["bytecode"]["object"].as_str())
        .ok_or_else(|| eyre!("{} has no bytecode", path.display()))?;
    hex.parse().wrap_err_with(|| format!("{}: bytecode is not hex", path.display()))
}
