//! The contracts' interfaces as Rust types, all in this one module.
//!
//! The Leash modules and what they talk to (the ERC-7579 account, ERC-20, EntryPoint v0.8) are
//! generated with `sol!` from the ABI files committed under `crates/leash/abi/`, which
//! `cargo xtask abi` writes from forge's artifacts and `cargo xtask abi --check` (part of
//! `cargo xtask test`) holds to them: the crate builds before forge runs, and the bindings cannot
//! drift from the contracts. The list is `crates/leash/abi/contracts.toml` ([`SOURCES`]); each
//! binding is named after its contract (`HookMultiPlexer`, `AllowlistHook`, ...), and the types the
//! contracts declare in their interfaces live under the interface's name (`IAllowlistHook::Permission`).
//!
//! Below them, written by hand: the ERC-7579 batch execution.

#![allow(missing_docs, clippy::too_many_arguments)]

use alloy::sol;

/// A contract whose binding is generated: `crates/leash/abi/<contract>.json` holds the ABI of
/// `contract` as forge compiles it from `source` (a path from the project root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiSource {
    pub contract: &'static str,
    pub source: &'static str,
}

// `SOURCES` and one `sol!(Name, "abi/Name.json")` per contract, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/abi.rs"));

/// A UserOp as EntryPoint v0.7 and v0.8 take it.
pub use IEntryPoint::PackedUserOperation;

// The policy engine's install data, `abi.encode(address authority, IPolicyEngine.Config config)`.
// The engine reads `Config` with `abi.decode` in `onInstall`, so no function of its ABI names the
// struct: it is declared here, field for field as in `contracts/interfaces/IPolicyEngine.sol` (a
// test holds the two together), from the generated types of the separate hooks' ABI.
sol! {
    /// `IPolicyEngine.Config`: the guardian (zero: no pause) and its auto-unpause, the allowlist's
    /// mode (0: none, 1: allow, 2: block) with its permissions and protected addresses, the token
    /// policies, on Kernel the validation the engine is the hook of (zero elsewhere), and the
    /// account-wide parameter rules.
    #[derive(Debug, PartialEq, Eq)]
    struct PolicyEngineConfig {
        address guardian;
        uint256 autoUnpauseAfter;
        uint8 mode;
        IAllowlistHook.Permission[] permissions;
        address[] protectedTargets;
        ISpendingLimitHook.TokenPolicy[] tokens;
        bytes21 validationId;
        CallRules[] callRules;
    }

    /// `IPolicyEngine.CallRules`: the rules every call to (target, selector) must meet.
    #[derive(Debug, PartialEq, Eq)]
    struct CallRules {
        address target;
        bytes4 selector;
        IPolicyEngine.ParamRule[] rules;
    }
}

// ---------------------------------------------------------------- written by hand

// The ERC-7579 batch execution the install sends (`execute(batch mode, abi.encode(Execution[]))`).
sol! {
    interface IERC7579Batch {
        struct Execution { address target; uint256 value; bytes callData; }
        function execute(bytes32 mode, bytes calldata executionCalldata) external payable;
    }
}

// The validator and executor lists of Nexus, the reference account and Safe7579 (sentinel-linked
// lists, read a page at a time): their `uninstallModule` takes the module before the one removed.
sol! {
    #[sol(rpc)]
    interface IModuleLists {
        function getValidatorsPaginated(address cursor, uint256 size) external view returns (address[] memory array, address next);
        function getExecutorsPaginated(address cursor, uint256 size) external view returns (address[] memory array, address next);
        function getValidatorPaginated(address cursor, uint256 size) external view returns (address[] memory array, address next);
        function getExecutorPaginated(address cursor, uint256 size) external view returns (address[] memory array, address next);
    }
}

// ERC-7579's account name (`kernel.advanced.v0.3.1`, `rhinestone.safe7579.v1.0.0`, ...), asked
// where an install differs by account.
sol! {
    #[sol(rpc)]
    interface IERC7579AccountId {
        function accountId() external view returns (string memory);
    }
}

// Account factories and what they initialise an account with, for `create`: OpenZeppelin
// (the project's test account factory), Biconomy's Nexus and the ERC-7579 reference account (MSA),
// with the bootstraps that install the owner's validator, and Kernel, whose owner's validator is
// its root validation.
sol! {
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

    #[sol(rpc)]
    interface IOwnerAccountFactory {
        function createAccount(address owner, bytes32 salt) external returns (address);
        function getAddress(address owner, bytes32 salt) external view returns (address);
    }

    #[sol(rpc)]
    interface INexusAccountFactory {
        function createAccount(bytes initData, bytes32 salt) external payable returns (address);
        function computeAccountAddress(bytes initData, bytes32 salt) external view returns (address);
    }

    #[sol(rpc)]
    interface IReferenceAccountFactory {
        function createAccount(bytes32 salt, bytes initCode) external payable returns (address);
        function getAddress(bytes32 salt, bytes initCode) external view returns (address);
    }

    /// Kernel v3's factory; the account's address is what `createAccount` answers when called.
    #[sol(rpc)]
    interface IKernelFactory {
        function createAccount(bytes data, bytes32 salt) external payable returns (address);
    }

    interface IKernelInitialize {
        function initialize(bytes21 rootValidator, address hook, bytes validatorData, bytes hookData, bytes[] initConfig) external;
    }
}

// A Safe with the Safe7579 adapter: the Safe proxy factory, and the launchpad the proxy starts on,
// whose one UserOp sets the Safe up with its owner, the adapter and the owner's validator.
sol! {
    struct ModuleInit { address module; bytes initData; }

    struct SafeInitData {
        address singleton;
        address[] owners;
        uint256 threshold;
        address setupTo;
        bytes setupData;
        address safe7579;
        ModuleInit[] validators;
        bytes callData;
    }

    #[sol(rpc)]
    interface ISafe7579Launchpad {
        function initSafe7579(address safe7579, ModuleInit[] executors, ModuleInit[] fallbacks, ModuleInit[] hooks, address[] attesters, uint8 threshold) external;
        function preValidationSetup(bytes32 initHash, address to, bytes preInit) external;
        function setupSafe(SafeInitData initData) external;
        function hash(SafeInitData data) external pure returns (bytes32);
    }

    #[sol(rpc)]
    interface ISafeProxyFactory {
        function createProxyWithNonce(address singleton, bytes initializer, uint256 saltNonce) external returns (address proxy);
        function proxyCreationCode() external pure returns (bytes);
    }
}
