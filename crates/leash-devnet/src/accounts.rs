//! The ERC-7579 accounts the demo runs on: OpenZeppelin's (built here) on EntryPoint v0.8, and
//! Nexus, the ERC-7579 reference account and Kernel from the compiled bytecode in
//! `@rhinestone/modulekit` on EntryPoint v0.7. That bytecode is test-only (GPL-3.0): `cargo xtask setup` extracts it into
//! `.deps/`, and `forge build` compiles the contracts that carry it into `out/`. The fifth is the
//! person's own EOA, delegated with EIP-7702 to LeashEOAAccount (EntryPoint v0.8). The person owns
//! each account: through the account's own ECDSA signer (OpenZeppelin), the EOA's own key, or an
//! owner validator. [`place_factories`] puts what `cargo xtask account create` makes accounts with
//! on the local chain (the Safe here comes from the same code, [`leash::create`]).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use alloy::primitives::aliases::U192;
use alloy::primitives::{keccak256, Address, Bytes, B256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue};
use eyre::{bail, Result, WrapErr};
use leash::abi::{IInitializeAccount, IKernelFactory};
use leash::account::{AccountFlavor, ENTRYPOINT_V07, ENTRYPOINT_V08};
use leash::create::{self, AccountFactory};
use leash::provider::Confirm;

use crate::{deploy_code, Devnet, EntryPoint};

/// Which account the demo runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    OpenZeppelin,
    Nexus,
    Reference,
    Safe,
    Kernel,
    /// The person's funded EOA, delegated with EIP-7702 to LeashEOAAccount: the account is the
    /// EOA's own address.
    Eoa,
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
            "eoa" => Self::Eoa,
            other => bail!("unknown account `{other}`: oz, nexus, msa, safe, kernel or eoa"),
        })
    }
}

impl AccountKind {
    /// The library's account family of this kind.
    pub fn flavor(self) -> AccountFlavor {
        match self {
            Self::OpenZeppelin | Self::Eoa => AccountFlavor::OpenZeppelin,
            Self::Nexus => AccountFlavor::Nexus,
            Self::Reference => AccountFlavor::Reference,
            Self::Safe => AccountFlavor::Safe7579,
            Self::Kernel => AccountFlavor::Kernel,
        }
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
            Self::Eoa => "EOA delegated with EIP-7702",
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
    /// The validator module holding the person's key (`None`: the account's own signer, or
    /// Kernel's root validation on nonce key 0).
    pub owner_validator: Option<Address>,
}

impl DeployedAccount {
    /// The nonce key that routes a UserOp to `validator` on this account.
    pub fn nonce_key_of(&self, validator: Address) -> U192 {
        self.kind.flavor().nonce_key(validator)
    }
}

/// Deploys an account of `kind` owned by `person`, with its EntryPoint at the canonical address.
/// Nexus and the reference account need a node without the 24 KiB code-size limit (the contracts
/// that carry their bytecode are larger): spawn the devnet with `no_code_size_limit`.
pub async fn deploy(net: &Devnet, kind: AccountKind, person: &PrivateKeySigner) -> Result<DeployedAccount> {
    let provider = &net.provider;
    match kind {
        AccountKind::OpenZeppelin => {
            net.place_entry_point(EntryPoint::V08).await?;
            let code = net.test_contract_code("LeashTestAccount")?;
            let account =
                deploy_code(provider, [code.as_ref(), &person.address().abi_encode()].concat().into())
                    .await?;
            Ok(DeployedAccount {
                kind,
                account,
                entry_point: ENTRYPOINT_V08,
                owner_nonce_key: U192::ZERO,
                owner_validator: None,
            })
        }
        AccountKind::Nexus | AccountKind::Reference => {
            net.place_entry_point(EntryPoint::V07).await?;
            let owner_validator = deploy_code(provider, net.test_contract_code("OwnerValidator")?).await?;
            let owner = person.address();
            let (implementation, proxy_code, init) = if kind == AccountKind::Nexus {
                let carrier = Carrier::new(net, "NexusPrecompiles").await?;
                let implementation = carrier.deploy("NEXUS_BYTECODE", &ENTRYPOINT_V07.abi_encode()).await?;
                let bootstrap = carrier.deploy("NEXUS_BOOTSTRAP_BYTECODE", &[]).await?;
                let init = create::nexus_init(bootstrap, owner_validator, owner);
                (implementation, carrier.code("NEXUS_PROXY_BYTECODE").await?, init)
            } else {
                let carrier = Carrier::new(net, "ERC7579Precompiles").await?;
                let implementation = carrier.deploy("ERC7579_BYTECODE", &[]).await?;
                let bootstrap = carrier.deploy("ERC7579_BOOTSTRAP_BYTECODE", &[]).await?;
                let init = create::reference_init(bootstrap, owner_validator, owner);
                (implementation, carrier.code("MSAPROXY_BYTECODE").await?, init)
            };
            let initialize = IInitializeAccount::initializeAccountCall { data: init };
            let args = (implementation, Bytes::from(initialize.abi_encode())).abi_encode_params();
            let account = deploy_code(provider, [proxy_code.as_ref(), &args].concat().into())
                .await
                .wrap_err_with(|| format!("deploying the {kind} account"))?;
            Ok(DeployedAccount {
                kind,
                account,
                entry_point: ENTRYPOINT_V07,
                owner_nonce_key: kind.flavor().nonce_key(owner_validator),
                owner_validator: Some(owner_validator),
            })
        }
        AccountKind::Kernel => {
            net.place_entry_point(EntryPoint::V07).await?;
            let owner_validator = deploy_code(provider, net.test_contract_code("OwnerValidator")?).await?;
            let carrier = Carrier::new(net, "KernelPrecompiles").await?;
            let implementation = carrier.deploy("KERNEL_BYTECODE", &ENTRYPOINT_V07.abi_encode()).await?;
            let factory = carrier.deploy("KERNEL_FACTORY_BYTECODE", &implementation.abi_encode()).await?;
            // The person's root validation (the owner validator, no hook).
            let init = create::kernel_init(owner_validator, person.address());
            let factory = IKernelFactory::new(factory, provider.clone());
            let create = factory.createAccount(init, B256::ZERO);
            let account = create.call().await.wrap_err_with(|| format!("deploying the {kind} account"))?;
            create.send().await?.confirmed().await?;
            Ok(DeployedAccount {
                kind,
                account,
                entry_point: ENTRYPOINT_V07,
                owner_nonce_key: U192::ZERO,
                owner_validator: None,
            })
        }
        AccountKind::Safe => deploy_safe(net, person).await,
        AccountKind::Eoa => {
            net.place_entry_point(EntryPoint::V08).await?;
            let implementation = net.deploy_eoa_account().await?;
            let wallet = leash::provider::with_wallet(net.anvil.endpoint_url(), person.clone());
            leash::eip7702::delegate(&wallet, person, implementation)
                .await
                .wrap_err("delegating the person's EOA to LeashEOAAccount")?;
            // Its own key signs on nonce key 0, as on the OpenZeppelin account.
            Ok(DeployedAccount {
                kind,
                account: person.address(),
                entry_point: ENTRYPOINT_V08,
                owner_nonce_key: U192::ZERO,
                owner_validator: None,
            })
        }
    }
}

/// What `account create` makes accounts with, placed on the dev chain (spawned without the
/// code-size limit, as for [`deploy`]): both EntryPoints, one owner validator for every account,
/// and by kind name its factory: the project's `LeashTestAccountFactory` (`oz`), Nexus' own
/// factory over its implementation and bootstrap (`nexus`), `ReferenceAccountFactory` over the
/// reference account's proxy, implementation and bootstrap (`msa`), and the Safe proxy factory with
/// the Safe7579 launchpad, adapter and Safe singleton (`safe`).
pub async fn place_factories(net: &Devnet) -> Result<BTreeMap<String, AccountFactory>> {
    let provider = &net.provider;
    net.place_entry_point(EntryPoint::V08).await?;
    net.place_entry_point(EntryPoint::V07).await?;
    let validator = deploy_code(provider, net.test_contract_code("OwnerValidator")?).await?;
    let owner_validator = Some(validator);
    let oz = deploy_code(provider, net.test_contract_code("LeashTestAccountFactory")?).await?;

    let nexus = Carrier::new(net, "NexusPrecompiles").await?;
    let implementation = nexus.deploy("NEXUS_BYTECODE", &ENTRYPOINT_V07.abi_encode()).await?;
    let nexus_bootstrap = nexus.deploy("NEXUS_BOOTSTRAP_BYTECODE", &[]).await?;
    // Its second argument owns the factory's EntryPoint stake, which nothing here uses.
    let factory_args = (implementation, net.bundler()).abi_encode_params();
    let nexus_factory = nexus.deploy("NEXUS_ACCOUNT_FACTORY_BYTECODE", &factory_args).await?;

    let msa = Carrier::new(net, "ERC7579Precompiles").await?;
    let implementation = msa.deploy("ERC7579_BYTECODE", &[]).await?;
    let msa_bootstrap = msa.deploy("ERC7579_BOOTSTRAP_BYTECODE", &[]).await?;
    let factory_args = (implementation, msa.code("MSAPROXY_BYTECODE").await?).abi_encode_params();
    let factory_code = net.test_contract_code("ReferenceAccountFactory")?;
    let msa_factory = deploy_code(provider, [factory_code.as_ref(), &factory_args].concat().into()).await?;

    let with_bootstrap = |factory, bootstrap| AccountFactory {
        factory,
        bootstrap: Some(bootstrap),
        owner_validator,
        ..AccountFactory::default()
    };
    let kernel = Carrier::new(net, "KernelPrecompiles").await?;
    let implementation = kernel.deploy("KERNEL_BYTECODE", &ENTRYPOINT_V07.abi_encode()).await?;
    let kernel_factory = kernel.deploy("KERNEL_FACTORY_BYTECODE", &implementation.abi_encode()).await?;

    let safe = place_safe(net, validator).await?;
    Ok(BTreeMap::from([
        ("oz".to_string(), AccountFactory { factory: oz, ..AccountFactory::default() }),
        ("nexus".to_string(), with_bootstrap(nexus_factory, nexus_bootstrap)),
        ("msa".to_string(), with_bootstrap(msa_factory, msa_bootstrap)),
        ("safe".to_string(), safe),
        (
            "kernel".to_string(),
            AccountFactory { factory: kernel_factory, owner_validator, ..AccountFactory::default() },
        ),
    ]))
}

/// A test contract that carries other contracts' creation code, each behind a getter
/// `NAME() returns (bytes)`.
struct Carrier<'a> {
    net: &'a Devnet,
    address: Address,
}

impl<'a> Carrier<'a> {
    /// Deploys the carrier compiled as `name`.
    async fn new(net: &'a Devnet, name: &str) -> Result<Self> {
        let address = deploy_code(&net.provider, net.test_contract_code(name)?).await?;
        Ok(Self { net, address })
    }

    /// The creation code behind `getter`.
    async fn code(&self, getter: &str) -> Result<Bytes> {
        let selector = &keccak256(format!("{getter}()"))[..4];
        let call =
            TransactionRequest::default().to(self.address).input(Bytes::copy_from_slice(selector).into());
        let answer = self.net.provider.call(call).await.wrap_err_with(|| format!("reading {getter}"))?;
        Ok(Bytes::abi_decode(&answer)?)
    }

    /// Deploys the code behind `getter`, `args` (its constructor's, ABI-encoded) appended.
    async fn deploy(&self, getter: &str, args: &[u8]) -> Result<Address> {
        let code = self.code(getter).await?;
        deploy_code(&self.net.provider, [code.as_ref(), args].concat().into()).await
    }
}

/// What makes Safes with Safe7579: the adapter, the launchpad (on EntryPoint v0.7), the Safe
/// singleton and the Safe proxy factory, with `owner_validator` for the owner's key.
async fn place_safe(net: &Devnet, owner_validator: Address) -> Result<AccountFactory> {
    let carrier = Carrier::new(net, "Safe7579Precompiles").await?;
    let adapter = carrier.deploy("SAFE7579_BYTECODE", &[]).await?;
    let launchpad = carrier
        .deploy("SAFE7579_LAUNCHPAD_BYTECODE", &(ENTRYPOINT_V07, Address::ZERO).abi_encode_params())
        .await?;
    let singleton = carrier.deploy("SAFE_SINGLETON_BYTECODE", &[]).await?;
    let factory = carrier.deploy("SAFE_PROXY_FACTORY_BYTECODE", &[]).await?;
    Ok(AccountFactory {
        factory,
        bootstrap: Some(launchpad),
        owner_validator: Some(owner_validator),
        singleton: Some(singleton),
        adapter: Some(adapter),
    })
}

/// A Safe proxy from the Safe proxy factory, set up through the Safe7579 launchpad
/// ([`create::Planned`]): the proxy starts on the launchpad, whose one UserOp (`setupSafe`, signed
/// by the person through the owner validator) installs that validator, switches the proxy to the
/// Safe singleton and makes the Safe7579 adapter its module and fallback handler. The person is
/// the Safe's only owner.
async fn deploy_safe(net: &Devnet, person: &PrivateKeySigner) -> Result<DeployedAccount> {
    let provider = &net.provider;
    net.place_entry_point(EntryPoint::V07).await?;
    let owner_validator = deploy_code(provider, net.test_contract_code("OwnerValidator")?).await?;
    let factory = place_safe(net, owner_validator).await?;
    let planned =
        create::Planned::new(provider, AccountFlavor::Safe7579, factory, person.address(), B256::ZERO)
            .await?;
    planned.create(provider, person).await.wrap_err("deploying the Safe")?;
    Ok(DeployedAccount {
        kind: AccountKind::Safe,
        account: planned.address,
        entry_point: ENTRYPOINT_V07,
        owner_nonce_key: AccountFlavor::Safe7579.nonce_key(owner_validator),
        owner_validator: Some(owner_validator),
    })
}
