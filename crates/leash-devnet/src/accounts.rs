//! The ERC-7579 accounts the demo runs on: OpenZeppelin's (built here) on EntryPoint v0.8, and
//! Nexus, the ERC-7579 reference account and Kernel from the compiled bytecode in
//! `@rhinestone/modulekit` on EntryPoint v0.7. That bytecode is test-only (GPL-3.0): `cargo xtask setup` extracts it into
//! `.deps/`, and `forge build` compiles the contracts that carry it into `out/`. The fifth is the
//! person's own EOA, delegated with EIP-7702 to LeashEOAAccount (EntryPoint v0.8). The person owns
//! each account: through the account's own ECDSA signer (OpenZeppelin), the EOA's own key, or an
//! owner validator.

use std::fmt;
use std::str::FromStr;

use alloy::primitives::aliases::U192;
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue};
use eyre::{bail, Result, WrapErr};
use leash::account::{AccountFlavor, UserOpSender, ENTRYPOINT_V07, ENTRYPOINT_V08};
use leash::provider::Confirm;

use crate::abi::{
    BootstrapConfig, IInitializeAccount, IKernelFactory, IKernelInitialize, INexusBootstrap,
    IReferenceBootstrap, ISafe7579Launchpad, ISafeProxyFactory, ModuleInit, SafeInitData,
};
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
            let owner_init: Bytes = person.address().abi_encode().into();
            let (implementation, proxy_code, init) = if kind == AccountKind::Nexus {
                let carrier = Carrier::new(net, "NexusPrecompiles").await?;
                let implementation = carrier.deploy("NEXUS_BYTECODE", &ENTRYPOINT_V07.abi_encode()).await?;
                let bootstrap = carrier.deploy("NEXUS_BOOTSTRAP_BYTECODE", &[]).await?;
                let call = INexusBootstrap::initNexusWithSingleValidatorCall {
                    validator: owner_validator,
                    data: owner_init,
                    registry: Address::ZERO,
                    attesters: vec![],
                    threshold: 0,
                };
                (
                    implementation,
                    carrier.code("NEXUS_PROXY_BYTECODE").await?,
                    (bootstrap, Bytes::from(call.abi_encode())),
                )
            } else {
                let carrier = Carrier::new(net, "ERC7579Precompiles").await?;
                let implementation = carrier.deploy("ERC7579_BYTECODE", &[]).await?;
                let bootstrap = carrier.deploy("ERC7579_BOOTSTRAP_BYTECODE", &[]).await?;
                let call = IReferenceBootstrap::initMSACall {
                    validators: vec![BootstrapConfig { module: owner_validator, data: owner_init }],
                    executors: vec![],
                    hook: BootstrapConfig { module: Address::ZERO, data: Bytes::new() },
                    fallbacks: vec![],
                };
                (
                    implementation,
                    carrier.code("MSAPROXY_BYTECODE").await?,
                    (bootstrap, Bytes::from(call.abi_encode())),
                )
            };
            let initialize =
                IInitializeAccount::initializeAccountCall { data: init.abi_encode_params().into() };
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
            // The person's root validation (the owner validator, no hook: address 1).
            let init = IKernelInitialize::initializeCall {
                rootValidator: leash::kernel::validation(owner_validator),
                hook: Address::with_last_byte(1),
                validatorData: person.address().abi_encode().into(),
                hookData: Bytes::new(),
                initConfig: vec![],
            };
            let factory = IKernelFactory::new(factory, provider.clone());
            let create = factory.createAccount(init.abi_encode().into(), B256::ZERO);
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

/// A Safe proxy from the Safe proxy factory, set up through the Safe7579 launchpad: the proxy
/// starts on the launchpad, whose one UserOp (`setupSafe`, signed by the person through the owner
/// validator) installs that validator, switches the proxy to the Safe singleton and makes the
/// Safe7579 adapter its module and fallback handler. The person is the Safe's only owner.
async fn deploy_safe(net: &Devnet, person: &PrivateKeySigner) -> Result<DeployedAccount> {
    let provider = &net.provider;
    net.place_entry_point(EntryPoint::V07).await?;
    let owner_validator = deploy_code(provider, net.test_contract_code("OwnerValidator")?).await?;
    let carrier = Carrier::new(net, "Safe7579Precompiles").await?;
    let adapter = carrier.deploy("SAFE7579_BYTECODE", &[]).await?;
    let launchpad = carrier
        .deploy("SAFE7579_LAUNCHPAD_BYTECODE", &(ENTRYPOINT_V07, Address::ZERO).abi_encode_params())
        .await?;
    let singleton = carrier.deploy("SAFE_SINGLETON_BYTECODE", &[]).await?;
    let factory = carrier.deploy("SAFE_PROXY_FACTORY_BYTECODE", &[]).await?;

    let setup = ISafe7579Launchpad::initSafe7579Call {
        safe7579: adapter,
        executors: vec![],
        fallbacks: vec![],
        hooks: vec![],
        attesters: vec![],
        threshold: 0,
    };
    let init = SafeInitData {
        singleton,
        owners: vec![person.address()],
        threshold: U256::from(1u64),
        setupTo: launchpad,
        setupData: setup.abi_encode().into(),
        safe7579: adapter,
        validators: vec![ModuleInit {
            module: owner_validator,
            initData: person.address().abi_encode().into(),
        }],
        // The launchpad hands this to the adapter once the Safe is set up: a no-op execution.
        callData: leash::account::execute_single(person.address(), U256::ZERO, &[]),
    };
    let launch = ISafe7579Launchpad::new(launchpad, provider.clone());
    let init_hash = launch.hash(init.clone()).call().await?;
    let initializer = ISafe7579Launchpad::preValidationSetupCall {
        initHash: init_hash,
        to: Address::ZERO,
        preInit: Bytes::new(),
    };
    let factory = ISafeProxyFactory::new(factory, provider.clone());
    let create = factory.createProxyWithNonce(launchpad, initializer.abi_encode().into(), U256::ZERO);
    let safe = create.call().await.wrap_err("deploying the Safe proxy")?;
    create.send().await?.confirmed().await?;

    let owner_nonce_key = AccountFlavor::Safe7579.nonce_key(owner_validator);
    let launcher = UserOpSender::new(provider.clone(), ENTRYPOINT_V07, safe, person.clone())
        .bundler(Address::with_last_byte(0xb0))
        .nonce_key(owner_nonce_key);
    let outcome =
        launcher.submit(ISafe7579Launchpad::setupSafeCall { initData: init }.abi_encode().into()).await?;
    if !outcome.success {
        bail!("setting the Safe up through the launchpad failed");
    }
    Ok(DeployedAccount {
        kind: AccountKind::Safe,
        account: safe,
        entry_point: ENTRYPOINT_V07,
        owner_nonce_key,
        owner_validator: Some(owner_validator),
    })
}
