//! Deterministic deployment: every module through the CREATE2 deployer with a fixed salt, so that
//! the same sources give the same addresses on every chain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy::network::TransactionBuilder;
use alloy::primitives::{address, keccak256, Address, Bytes, TxHash, B256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolValue;
use eyre::{bail, eyre, Result, WrapErr};
use serde::{Deserialize, Serialize};

use crate::artifacts;
use crate::create::AccountFactory;
use crate::provider::Confirm;

/// The deterministic deployment proxy present on most EVM chains (and in Anvil's genesis).
pub const CREATE2_DEPLOYER: Address = address!("0x4e59b44847b379578588920ca78fbf26c0b4956c");

/// The modules in deployment order: later ones take earlier addresses as constructor arguments.
/// New modules go last, so the addresses of the earlier ones never change. AgentValidator comes
/// after the policy engine, whose address it takes (the engine protects only the executor, so it
/// needs no validator address: no cycle). Last comes [`EOA_ACCOUNT`], not a module but deployed
/// the same way.
pub const MODULES: [&str; 10] = [
    "HookMultiPlexer",
    "EmergencyPauseHook",
    "SpendingLimitHook",
    "AutomationExecutor",
    "AllowlistHook",
    "SessionConfig",
    "PolicyEngineConfig",
    "PolicyEngine",
    "AgentValidator",
    EOA_ACCOUNT,
];

/// The ERC-7579 account implementation an existing EOA delegates to with EIP-7702 (no constructor
/// arguments): every EOA that delegates to it shares this one deployment.
pub const EOA_ACCOUNT: &str = "LeashEOAAccount";

/// The fixed salt of a module: `keccak256("leash:<Name>:v1")`.
pub fn salt(name: &str) -> B256 {
    keccak256(format!("leash:{name}:v1"))
}

/// Where CREATE2 through the deployer puts `init_code` with `salt`.
pub fn create2_address(salt: B256, init_code: &[u8]) -> Address {
    CREATE2_DEPLOYER.create2(salt, keccak256(init_code))
}

/// One module, ready to deploy.
#[derive(Clone, Debug)]
pub struct PlannedModule {
    pub name: &'static str,
    pub salt: B256,
    pub init_code: Bytes,
    pub address: Address,
}

impl PlannedModule {
    pub fn init_code_hash(&self) -> B256 {
        keccak256(&self.init_code)
    }
}

/// The modules with their salts, init code (creation code + constructor arguments) and
/// predicted addresses, from the artifacts in `out`.
pub fn plan(out: &Path) -> Result<Vec<PlannedModule>> {
    let mut planned: Vec<PlannedModule> = Vec::new();
    let addr = |planned: &[PlannedModule], name: &str| {
        planned.iter().find(|m| m.name == name).map(|m| m.address).expect("deployed earlier in MODULES order")
    };
    for name in MODULES {
        let code = artifacts::creation_code(out, name)?;
        let args: Vec<u8> = match name {
            "HookMultiPlexer" | "AutomationExecutor" | EOA_ACCOUNT => Vec::new(),
            "EmergencyPauseHook" | "SpendingLimitHook" => addr(&planned, "HookMultiPlexer").abi_encode(),
            "AgentValidator" => (
                addr(&planned, "HookMultiPlexer"),
                addr(&planned, "PolicyEngine"),
                addr(&planned, "EmergencyPauseHook"),
            )
                .abi_encode_params(),
            "AllowlistHook" => (
                addr(&planned, "HookMultiPlexer"),
                vec![
                    addr(&planned, "EmergencyPauseHook"),
                    addr(&planned, "SpendingLimitHook"),
                    addr(&planned, "AutomationExecutor"),
                ],
            )
                .abi_encode_params(),
            // The other Leash modules the engine protects (the executor: AgentValidator lets no call
            // from the account loosen anything, see EngineState), then (the hook half) its
            // configuration half, which hands the sessions' configuration on to SessionConfig.
            "SessionConfig" => (vec![addr(&planned, "AutomationExecutor")],).abi_encode_params(),
            "PolicyEngineConfig" => {
                (vec![addr(&planned, "AutomationExecutor")], addr(&planned, "SessionConfig"))
                    .abi_encode_params()
            }
            "PolicyEngine" => {
                (vec![addr(&planned, "AutomationExecutor")], addr(&planned, "PolicyEngineConfig"))
                    .abi_encode_params()
            }
            _ => unreachable!("every module has its constructor arguments here"),
        };
        let init_code: Bytes = [code.as_ref(), &args].concat().into();
        let salt = salt(name);
        planned.push(PlannedModule { name, salt, address: create2_address(salt, &init_code), init_code });
    }
    Ok(planned)
}

/// `deployments/<chainId>.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentRecord {
    pub chain_id: u64,
    pub deployer: Address,
    pub modules: BTreeMap<String, ModuleRecord>,
    /// What `account create` makes accounts with on this chain, by kind (`oz`, `nexus`, `msa`, `safe`):
    /// placed by `deploy --keep-running` on the local chain, kept as they are by later deploys.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accounts: BTreeMap<String, AccountFactory>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ModuleRecord {
    pub address: Address,
    pub salt: B256,
    pub init_code_hash: B256,
    /// The transaction that created it (absent if it was found already deployed with no record).
    pub tx_hash: Option<TxHash>,
    pub gas_used: Option<u64>,
}

pub fn record_path(root: &Path, chain_id: u64) -> PathBuf {
    root.join("deployments").join(format!("{chain_id}.json"))
}

pub fn read_record(path: &Path) -> Result<Option<DeploymentRecord>> {
    if !path.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(path).wrap_err_with(|| format!("could not read {}", path.display()))?;
    let record = serde_json::from_str(&text)
        .wrap_err_with(|| format!("{} is not a deployment record", path.display()))?;
    Ok(Some(record))
}

pub fn write_record(path: &Path, record: &DeploymentRecord) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).wrap_err_with(|| format!("could not create {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(record)? + "\n";
    std::fs::write(path, text).wrap_err_with(|| format!("could not write {}", path.display()))
}

/// What happened to one module.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Deployed { tx_hash: TxHash, gas_used: u64 },
    AlreadyDeployed,
}

/// A step of a deployment, for progress output.
#[derive(Clone, Debug)]
pub enum Progress<'a> {
    Checking(&'a PlannedModule),
    Sending(&'a PlannedModule),
    Done(&'a PlannedModule, &'a Status),
}

#[derive(Clone, Debug)]
pub struct Report {
    pub chain_id: u64,
    pub modules: Vec<(PlannedModule, Status)>,
    pub record: DeploymentRecord,
    /// Disagreements between an existing record and the chain (reported, then corrected).
    pub record_mismatches: Vec<String>,
}

impl Report {
    pub fn sent_nothing(&self) -> bool {
        self.modules.iter().all(|(_, s)| *s == Status::AlreadyDeployed)
    }
}

/// Fails with an explanation when the chain has no CREATE2 deployer.
pub async fn check_deployer<P: Provider>(provider: &P) -> Result<()> {
    let code = provider.get_code_at(CREATE2_DEPLOYER).await.wrap_err("could not read the chain")?;
    if code.is_empty() {
        bail!(
            "this chain has no CREATE2 deployer at {CREATE2_DEPLOYER}. It is the standard \
             deterministic-deployment proxy (a pre-signed transaction from 0x3fab184622dc19b6109349b94811493bf2a45362, \
             funded with 0.01 ETH, deploys it). Ask the chain's operators to add it, or deploy it with that \
             transaction, then run the deploy again."
        );
    }
    Ok(())
}

/// Deploys every module not yet on the chain; sends nothing for modules already there. `previous`
/// is the existing record for this chain, checked against the chain.
pub async fn deploy<P: Provider>(
    provider: &P,
    planned: &[PlannedModule],
    previous: Option<&DeploymentRecord>,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<Report> {
    let chain_id = provider.get_chain_id().await.wrap_err("could not read the chain id")?;
    check_deployer(provider).await?;
    let accounts = previous.map(|r| r.accounts.clone()).unwrap_or_default();
    let mut record =
        DeploymentRecord { chain_id, deployer: CREATE2_DEPLOYER, modules: BTreeMap::new(), accounts };
    let mut mismatches = Vec::new();
    let mut modules = Vec::new();
    for module in planned {
        progress(Progress::Checking(module));
        let expected_runtime = runtime_of(provider, module).await?;
        let onchain = provider.get_code_at(module.address).await?;
        let old = previous.and_then(|r| r.modules.get(module.name));
        let status = if !onchain.is_empty() {
            if onchain != expected_runtime {
                bail!(
                    "{} at {} holds different code than these sources produce: the address is taken by other bytecode",
                    module.name,
                    module.address
                );
            }
            Status::AlreadyDeployed
        } else {
            progress(Progress::Sending(module));
            send(provider, module).await?
        };
        if let Some(old) = old {
            if old.address != module.address || old.init_code_hash != module.init_code_hash() {
                mismatches.push(format!(
                    "{}: the record says {} (init code {}), the chain and these sources say {} (init code {})",
                    module.name,
                    old.address,
                    old.init_code_hash,
                    module.address,
                    module.init_code_hash()
                ));
            }
        } else if previous.is_some() && status == Status::AlreadyDeployed {
            mismatches.push(format!("{}: deployed on chain but missing from the record", module.name));
        }
        if previous.is_some() && onchain.is_empty() && old.is_some() {
            mismatches.push(format!("{}: the record lists it but the chain had no code there", module.name));
        }
        let (tx_hash, gas_used) = match &status {
            Status::Deployed { tx_hash, gas_used } => (Some(*tx_hash), Some(*gas_used)),
            Status::AlreadyDeployed => match old {
                Some(o) if o.address == module.address => (o.tx_hash, o.gas_used),
                _ => (None, None),
            },
        };
        record.modules.insert(
            module.name.to_string(),
            ModuleRecord {
                address: module.address,
                salt: module.salt,
                init_code_hash: module.init_code_hash(),
                tx_hash,
                gas_used,
            },
        );
        progress(Progress::Done(module, &status));
        modules.push((module.clone(), status));
    }
    Ok(Report { chain_id, modules, record, record_mismatches: mismatches })
}

/// The runtime code `module`'s init code produces (simulated creation).
async fn runtime_of<P: Provider>(provider: &P, module: &PlannedModule) -> Result<Bytes> {
    let tx = TransactionRequest::default().with_deploy_code(module.init_code.clone());
    provider.call(tx).await.wrap_err_with(|| format!("simulating the creation of {} failed", module.name))
}

async fn send<P: Provider>(provider: &P, module: &PlannedModule) -> Result<Status> {
    let input: Bytes = [module.salt.as_slice(), module.init_code.as_ref()].concat().into();
    let tx = TransactionRequest::default().with_to(CREATE2_DEPLOYER).with_input(input);
    let receipt = provider
        .send_transaction(tx)
        .await
        .wrap_err_with(|| format!("could not send the deployment of {}", module.name))?
        .confirmed()
        .await
        .wrap_err_with(|| format!("no receipt for the deployment of {}", module.name))?;
    if !receipt.status() {
        return Err(eyre!(
            "the deployment transaction of {} reverted ({})",
            module.name,
            receipt.transaction_hash
        ));
    }
    let code = provider.get_code_at(module.address).await?;
    if code.is_empty() {
        bail!("{} is not at its predicted address {} after deployment", module.name, module.address);
    }
    Ok(Status::Deployed { tx_hash: receipt.transaction_hash, gas_used: receipt.gas_used })
}
