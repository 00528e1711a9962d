//! New accounts at counterfactual addresses, each through its kind's factory: the OpenZeppelin
//! ERC-7579 account (one ECDSA owner, EntryPoint v0.8), Biconomy's Nexus and the ERC-7579
//! reference account (MSA), both on EntryPoint v0.7 with the owner's key in a validator module a
//! bootstrap installs, and a Safe with the Safe7579 adapter (EntryPoint v0.7), a proxy from the
//! Safe proxy factory that starts on the Safe7579 launchpad and is set up by the owner's first
//! UserOp, and Kernel v3 (EntryPoint v0.7, the owner's validator its root validation). The address follows from the factory, the owner's key and a salt, so it is known (and
//! can be funded) before the account exists.

use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue};
use eyre::{bail, eyre, Result, WrapErr};
use serde::{Deserialize, Serialize};

use crate::abi::{
    BootstrapConfig, IKernelFactory, IKernelInitialize, INexusAccountFactory, INexusBootstrap,
    IOwnerAccountFactory, IReferenceAccountFactory, IReferenceBootstrap, ISafe7579Launchpad,
    ISafeProxyFactory, ModuleInit, SafeInitData,
};
use crate::account::{AccountFlavor, OpOutcome, UserOpSender};
use crate::errors::{LeashRevert, TokenBook};
use crate::provider::Confirm;

/// What makes accounts of one kind on a chain: the factory and, on the accounts whose owner signs
/// through a validator module, the bootstrap that installs it and that validator (and a Safe's
/// singleton and adapter).
#[serde_with::skip_serializing_none]
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AccountFactory {
    pub factory: Address,
    /// The bootstrap (Nexus, the reference account) or the Safe7579 launchpad (the Safe).
    pub bootstrap: Option<Address>,
    pub owner_validator: Option<Address>,
    /// The Safe: the singleton the launchpad switches the proxy to.
    pub singleton: Option<Address>,
    /// The Safe: the Safe7579 adapter, its module and fallback handler.
    pub adapter: Option<Address>,
}

/// The kinds `create` makes, by the name the command line and the deployment record use.
pub const KINDS: [(&str, AccountFlavor); 5] = [
    ("oz", AccountFlavor::OpenZeppelin),
    ("nexus", AccountFlavor::Nexus),
    ("msa", AccountFlavor::Reference),
    ("safe", AccountFlavor::Safe7579),
    ("kernel", AccountFlavor::Kernel),
];

/// The record's name of `flavor` (`oz`, `nexus`, `msa`, `safe`), for the kinds `create` makes.
pub fn kind_name(flavor: AccountFlavor) -> Option<&'static str> {
    KINDS.iter().find(|(_, f)| *f == flavor).map(|(name, _)| *name)
}

/// Nexus' `initializeAccount` data: its bootstrap installing `validator` with `owner`'s address,
/// no module registry.
pub fn nexus_init(bootstrap: Address, validator: Address, owner: Address) -> Bytes {
    let call = INexusBootstrap::initNexusWithSingleValidatorCall {
        validator,
        data: owner.abi_encode().into(),
        registry: Address::ZERO,
        attesters: vec![],
        threshold: 0,
    };
    (bootstrap, Bytes::from(call.abi_encode())).abi_encode_params().into()
}

/// The reference account's `initializeAccount` data: its bootstrap installing `validator` with
/// `owner`'s address, and nothing else.
pub fn reference_init(bootstrap: Address, validator: Address, owner: Address) -> Bytes {
    let call = IReferenceBootstrap::initMSACall {
        validators: vec![BootstrapConfig { module: validator, data: owner.abi_encode().into() }],
        executors: vec![],
        hook: BootstrapConfig { module: Address::ZERO, data: Bytes::new() },
        fallbacks: vec![],
    };
    (bootstrap, Bytes::from(call.abi_encode())).abi_encode_params().into()
}

/// What the Safe7579 launchpad sets a Safe up with: `owner` its only owner, the adapter its module
/// and fallback handler, `validator` installed with `owner`'s address, then a no-op execution.
pub fn safe_init(
    singleton: Address,
    launchpad: Address,
    adapter: Address,
    validator: Address,
    owner: Address,
) -> SafeInitData {
    let setup = ISafe7579Launchpad::initSafe7579Call {
        safe7579: adapter,
        executors: vec![],
        fallbacks: vec![],
        hooks: vec![],
        attesters: vec![],
        threshold: 0,
    };
    SafeInitData {
        singleton,
        owners: vec![owner],
        threshold: U256::from(1u64),
        setupTo: launchpad,
        setupData: setup.abi_encode().into(),
        safe7579: adapter,
        validators: vec![ModuleInit { module: validator, initData: owner.abi_encode().into() }],
        // The launchpad hands this to the adapter once the Safe is set up.
        callData: crate::account::execute_single(owner, U256::ZERO, &[]),
    }
}

/// Kernel's `initialize` data: `validator` with `owner`'s address as the root validation, with no
/// hook on it (Kernel's marker 1).
pub fn kernel_init(validator: Address, owner: Address) -> Bytes {
    IKernelInitialize::initializeCall {
        rootValidator: crate::kernel::validation(validator),
        hook: Address::with_last_byte(1),
        validatorData: owner.abi_encode().into(),
        hookData: Bytes::new(),
        initConfig: vec![],
    }
    .abi_encode()
    .into()
}

/// The counterfactual account of `owner` and `salt` from one kind's factory.
#[derive(Clone, Debug)]
pub struct Planned {
    pub flavor: AccountFlavor,
    pub factory: AccountFactory,
    pub owner: Address,
    pub salt: B256,
    pub address: Address,
    /// The factory call that creates it.
    pub call: Bytes,
    /// The Safe: the owner's first UserOp, `setupSafe` at the launchpad the proxy starts on.
    pub setup: Option<Bytes>,
}

/// What [`Planned::create`] sent: the factory's transaction, and the Safe's setup UserOp.
#[derive(Clone, Debug)]
pub struct Created {
    pub receipt: Option<TransactionReceipt>,
    pub setup: Option<OpOutcome>,
}

impl Planned {
    /// Asks `factory` where the account of `owner` and `salt` goes. Refused in words for a kind
    /// `create` does not make, a factory with no code, or a missing bootstrap, owner validator, or
    /// Safe singleton or adapter.
    pub async fn new<P: Provider>(
        provider: &P,
        flavor: AccountFlavor,
        factory: AccountFactory,
        owner: Address,
        salt: B256,
    ) -> Result<Self> {
        let Some(kind) = kind_name(flavor) else {
            bail!("{} accounts are not made by `account create`", flavor.name());
        };
        let f = factory.factory;
        if provider.get_code_at(f).await.wrap_err("reading the chain")?.is_empty() {
            let chain = provider.get_chain_id().await.wrap_err("reading the chain id")?;
            bail!("no {} account factory at {f} on chain {chain} (it holds no code): pass the right --factory or --rpc-url, or on the local chain run `cargo xtask deploy --keep-running`, which places one", flavor.name());
        }
        let missing = |what: &str| {
            let flags = match flavor {
                AccountFlavor::Safe7579 => {
                    "--bootstrap (the Safe7579 launchpad), --owner-validator, --safe-singleton and --safe7579"
                }
                AccountFlavor::Kernel => "--owner-validator",
                _ => "--bootstrap and --owner-validator",
            };
            eyre!("a {} account ({kind}) is set up with the owner's validator: pass {flags} ({what} is missing)", flavor.name())
        };
        let unanswered = |e: alloy::contract::Error| {
            eyre!(
                "{f} does not answer as a {} account factory ({e}): pass the right --factory",
                flavor.name()
            )
        };
        let mut setup = None;
        let (address, call) = match flavor {
            AccountFlavor::OpenZeppelin => {
                let factory = IOwnerAccountFactory::new(f, provider);
                let address = factory.getAddress(owner, salt).call().await.map_err(unanswered)?;
                (address, IOwnerAccountFactory::createAccountCall { owner, salt }.abi_encode())
            }
            AccountFlavor::Nexus | AccountFlavor::Reference | AccountFlavor::Safe7579 => {
                let bootstrap = factory.bootstrap.ok_or_else(|| missing("the bootstrap"))?;
                let validator = factory.owner_validator.ok_or_else(|| missing("the owner validator"))?;
                match flavor {
                    AccountFlavor::Nexus => {
                        let init = nexus_init(bootstrap, validator, owner);
                        let address = INexusAccountFactory::new(f, provider)
                            .computeAccountAddress(init.clone(), salt)
                            .call()
                            .await
                            .map_err(unanswered)?;
                        (
                            address,
                            INexusAccountFactory::createAccountCall { initData: init, salt }.abi_encode(),
                        )
                    }
                    AccountFlavor::Reference => {
                        let init = reference_init(bootstrap, validator, owner);
                        let address = IReferenceAccountFactory::new(f, provider)
                            .getAddress(salt, init.clone())
                            .call()
                            .await
                            .map_err(unanswered)?;
                        (
                            address,
                            IReferenceAccountFactory::createAccountCall { salt, initCode: init }.abi_encode(),
                        )
                    }
                    _ => {
                        let singleton = factory.singleton.ok_or_else(|| missing("the Safe singleton"))?;
                        let adapter = factory.adapter.ok_or_else(|| missing("the Safe7579 adapter"))?;
                        let init = safe_init(singleton, bootstrap, adapter, validator, owner);
                        let init_hash = ISafe7579Launchpad::new(bootstrap, provider)
                            .hash(init.clone())
                            .call()
                            .await
                            .map_err(|e| eyre!("{bootstrap} does not answer as the Safe7579 launchpad ({e}): pass the right --bootstrap"))?;
                        let initializer: Bytes = ISafe7579Launchpad::preValidationSetupCall {
                            initHash: init_hash,
                            to: Address::ZERO,
                            preInit: Bytes::new(),
                        }
                        .abi_encode()
                        .into();
                        let nonce = U256::from_be_bytes(salt.0);
                        // The Safe proxy factory's CREATE2: salt keccak256(keccak256(initializer) ++
                        // nonce), the proxy's creation code with the singleton it starts on.
                        let code = ISafeProxyFactory::new(f, provider)
                            .proxyCreationCode()
                            .call()
                            .await
                            .map_err(unanswered)?;
                        let create2_salt = keccak256(
                            [keccak256(&initializer).as_slice(), &nonce.to_be_bytes::<32>()].concat(),
                        );
                        let init_code = [code.as_ref(), bootstrap.into_word().as_slice()].concat();
                        let address = f.create2(create2_salt, keccak256(init_code));
                        setup =
                            Some(ISafe7579Launchpad::setupSafeCall { initData: init }.abi_encode().into());
                        (
                            address,
                            ISafeProxyFactory::createProxyWithNonceCall {
                                singleton: bootstrap,
                                initializer,
                                saltNonce: nonce,
                            }
                            .abi_encode(),
                        )
                    }
                }
            }
            AccountFlavor::Kernel => {
                let validator = factory.owner_validator.ok_or_else(|| missing("the owner validator"))?;
                let init = kernel_init(validator, owner);
                let address = IKernelFactory::new(f, provider)
                    .createAccount(init.clone(), salt)
                    .call()
                    .await
                    .map_err(unanswered)?;
                (address, IKernelFactory::createAccountCall { data: init, salt }.abi_encode())
            }
        };
        Ok(Self { flavor, factory, owner, salt, address, call: call.into(), setup })
    }

    /// Whether the account exists already: code at its address, and a Safe set up (its proxy on
    /// the Safe singleton, not on the launchpad it starts on).
    pub async fn exists<P: Provider>(&self, provider: &P) -> Result<bool> {
        if provider.get_code_at(self.address).await.wrap_err("reading the chain")?.is_empty() {
            return Ok(false);
        }
        let Some(singleton) = self.factory.singleton.filter(|_| self.setup.is_some()) else {
            return Ok(true);
        };
        // The Safe proxy keeps its implementation in slot 0.
        let slot = provider.get_storage_at(self.address, U256::ZERO).await.wrap_err("reading the chain")?;
        Ok(slot == U256::from_be_bytes(singleton.into_word().0))
    }

    /// Creates the account: the factory call from the provider's key, unless its code is there
    /// already; then a Safe's setup, the owner's first UserOp (through `handleOps` from the
    /// provider's key). Fails when either is refused, or unless the account then exists.
    pub async fn create<P: Provider + Clone>(
        &self,
        provider: &P,
        owner: &PrivateKeySigner,
    ) -> Result<Created> {
        let mut created = Created { receipt: None, setup: None };
        if provider.get_code_at(self.address).await.wrap_err("reading the chain")?.is_empty() {
            let tx = alloy::rpc::types::TransactionRequest::default()
                .to(self.factory.factory)
                .input(self.call.clone().into());
            let receipt = provider
                .send_transaction(tx)
                .await
                .wrap_err("sending the factory's transaction")?
                .confirmed()
                .await?;
            created.receipt = Some(receipt);
        }
        if let (Some(setup), Some(validator)) = (&self.setup, self.factory.owner_validator) {
            let launcher =
                UserOpSender::new(provider.clone(), self.flavor.entry_point(), self.address, owner.clone())
                    .nonce_key(self.flavor.nonce_key(validator));
            let outcome = launcher.submit(setup.clone()).await?;
            if !outcome.success {
                bail!(
                    "setting the Safe at {} up through the Safe7579 launchpad failed: {}",
                    self.address,
                    LeashRevert::decode(&outcome.revert_reason).describe(&TokenBook::default())
                );
            }
            created.setup = Some(outcome);
        }
        if !self.exists(provider).await? {
            bail!(
                "the factory at {} made no {} account at {}, the address it predicted",
                self.factory.factory,
                self.flavor.name(),
                self.address
            );
        }
        Ok(created)
    }
}
