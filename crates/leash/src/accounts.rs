//! The ERC-7579 accounts the demo runs on: OpenZeppelin's (built here) on EntryPoint v0.8, and
//! Nexus and the ERC-7579 reference account from the compiled bytecode in `@rhinestone/modulekit`
//! on EntryPoint v0.7. That bytecode is test-only (GPL-3.0): `cargo xtask setup` extracts it into
//! `.deps/`, and `forge build` compiles the contracts that carry it into `out/`. The person owns
//! each account: through the account's own ECDSA signer (OpenZeppelin) or an owner validator.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use alloy::primitives::aliases::U192;
use alloy::primitives::{Address, Bytes};
use alloy::providers::DynProvider;
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use eyre::{bail, Result, WrapErr};

use crate::account::{validator_nonce_key, ENTRYPOINT_V07, ENTRYPOINT_V08};
use crate::artifacts;
use crate::deploy::deploy_code;

sol! {
    #[sol(rpc)]
    interface INexusPrecompiles {
        function NEXUS_BYTECODE() external view returns (bytes memory);
        function NEXUS_BOOTSTRAP_BYTECODE() external view returns (bytes memory);
        function NEXUS_PROXY_BYTECODE() external view returns (bytes memory);
    }

    #[sol(rpc)]
    interface IReferencePrecompiles {
        function ERC7579_BYTECODE() external view returns (bytes memory);
        function ERC7579_BOOTSTRAP_BYTECODE() external view returns (bytes memory);
        function MSAPROXY_BYTECODE() external view returns (bytes memory);
    }

    struct BootstrapConfig { address module; bytes data; }

    interface INexusBootstrap {
        function initNexusWithSingleValidator(address validator, bytes data, address registry, address[] attesters, uint8 threshold) external;
    }

    interface IReferenceBootstrap {
        function initMSA(BootstrapConfig[] validators, BootstrapConfig[] executors, BootstrapConfig hook, BootstrapConfig[] fallbacks) external;
    }

    interface IInitializeAccount {
        function initializeAccount(bytes data) external payable;
    }
}

/// Which account the demo runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    OpenZeppelin,
    Nexus,
    Reference,
    Safe,
    Kernel,
}

impl FromStr for AccountKind {
    type Err = eyre::Report;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "oz" | "openzeppelin" => Self::OpenZeppelin,
            "nexus" => Self::Nexus,
            "msa" | "reference" => Self::Reference,
            "safe" => Self::Safe,
            "kernel" => Self::Kernel,
            other => bail!("unknown account `{other}`: oz, nexus, msa, safe or kernel"),
        })
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OpenZeppelin => "OpenZeppelin ERC-7579",
            Self::Nexus => "Nexus",
            Self::Reference => "ERC-7579 reference (MSA)",
            Self::Safe => "Safe + Safe7579",
            Self::Kernel => "Kernel",
        })
    }
}

/// An account on chain and how UserOps reach it.
#[derive(Clone, Debug)]
pub struct DeployedAccount {
    pub kind: AccountKind,
    pub account: Address,
    pub entry_point: Address,
    /// The nonce key of the person's own path.
    pub owner_nonce_key: U192,
}

impl DeployedAccount {
    /// The nonce key that routes a UserOp to `validator` on this account.
    pub fn nonce_key_of(&self, validator: Address) -> U192 {
        match self.kind {
            // Nexus reads the validator from nonce bytes 4..24: the key's low 20 bytes, mode 0.
            AccountKind::Nexus => U192::from_be_slice(validator.as_slice()),
            _ => validator_nonce_key(validator),
        }
    }
}

/// Deploys an account of `kind` owned by `person`, with its EntryPoint at the canonical address.
/// Nexus and the reference account need a node without the 24 KiB code-size limit (the contracts
/// that carry their bytecode are larger): start Anvil with `--disable-code-size-limit`.
pub async fn deploy(
    root: &Path,
    provider: &DynProvider,
    kind: AccountKind,
    person: Address,
) -> Result<DeployedAccount> {
    let out = root.join("out");
    match kind {
        AccountKind::OpenZeppelin => {
            crate::account::place_entry_point(
                provider,
                &root.join("node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json"),
                ENTRYPOINT_V08,
            )
            .await?;
            let code = artifacts::creation_code(&out, "LeashTestAccount")?;
            let account =
                deploy_code(provider, [code.as_ref(), &person.abi_encode()].concat().into()).await?;
            Ok(DeployedAccount { kind, account, entry_point: ENTRYPOINT_V08, owner_nonce_key: U192::ZERO })
        }
        AccountKind::Nexus | AccountKind::Reference => {
            crate::account::place_entry_point(
                provider,
                &root.join("node_modules/account-abstraction-v0.7/artifacts/EntryPoint.json"),
                ENTRYPOINT_V07,
            )
            .await?;
            let owner_validator =
                deploy_code(provider, artifacts::creation_code(&out, "OwnerValidator")?).await?;
            let owner_init: Bytes = person.abi_encode().into();
            let (implementation, proxy_code, init) = if kind == AccountKind::Nexus {
                let carrier =
                    deploy_code(provider, artifacts::creation_code(&out, "NexusPrecompiles")?).await?;
                let p = INexusPrecompiles::new(carrier, provider.clone());
                let implementation = deploy_code(
                    provider,
                    [p.NEXUS_BYTECODE().call().await?.as_ref(), &ENTRYPOINT_V07.abi_encode()].concat().into(),
                )
                .await?;
                let bootstrap = deploy_code(provider, p.NEXUS_BOOTSTRAP_BYTECODE().call().await?).await?;
                let call = INexusBootstrap::initNexusWithSingleValidatorCall {
                    validator: owner_validator,
                    data: owner_init,
                    registry: Address::ZERO,
                    attesters: vec![],
                    threshold: 0,
                };
                (
                    implementation,
                    p.NEXUS_PROXY_BYTECODE().call().await?,
                    (bootstrap, Bytes::from(call.abi_encode())),
                )
            } else {
                let carrier =
                    deploy_code(provider, artifacts::creation_code(&out, "ERC7579Precompiles")?).await?;
                let p = IReferencePrecompiles::new(carrier, provider.clone());
                let implementation = deploy_code(provider, p.ERC7579_BYTECODE().call().await?).await?;
                let bootstrap = deploy_code(provider, p.ERC7579_BOOTSTRAP_BYTECODE().call().await?).await?;
                let call = IReferenceBootstrap::initMSACall {
                    validators: vec![BootstrapConfig { module: owner_validator, data: owner_init }],
                    executors: vec![],
                    hook: BootstrapConfig { module: Address::ZERO, data: Bytes::new() },
                    fallbacks: vec![],
                };
                (
                    implementation,
                    p.MSAPROXY_BYTECODE().call().await?,
                    (bootstrap, Bytes::from(call.abi_encode())),
                )
            };
            let initialize =
                IInitializeAccount::initializeAccountCall { data: init.abi_encode_params().into() };
            let args = (implementation, Bytes::from(initialize.abi_encode())).abi_encode_params();
            let account = deploy_code(provider, [proxy_code.as_ref(), &args].concat().into())
                .await
                .wrap_err_with(|| format!("deploying the {kind} account"))?;
            let deployed =
                DeployedAccount { kind, account, entry_point: ENTRYPOINT_V07, owner_nonce_key: U192::ZERO };
            let owner_nonce_key = deployed.nonce_key_of(owner_validator);
            Ok(DeployedAccount { owner_nonce_key, ..deployed })
        }
        AccountKind::Safe | AccountKind::Kernel => {
            supported(kind)?;
            unreachable!("refused above")
        }
    }
}

/// Whether the demo can run Leash on `kind` today; if not, why (in plain words).
pub fn supported(kind: AccountKind) -> Result<()> {
    match kind {
        AccountKind::Safe => bail!(
            "the demo does not deploy a Safe yet: Leash runs on Safe7579 in the forge suite, but the \
             Safe proxy, Safe7579 adapter and launchpad set-up is not part of the demo \
             (docs/COMPATIBILITY.md)"
        ),
        AccountKind::Kernel => bail!(
            "the demo does not deploy {kind} yet: Leash runs on Kernel in the forge suite (the \
             multiplexer rides on the agent's validation), but Kernel's factory and validation \
             set-up is not part of the demo (docs/COMPATIBILITY.md)"
        ),
        _ => Ok(()),
    }
}
