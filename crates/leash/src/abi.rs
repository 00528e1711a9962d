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
//! Below them, written by hand: the few functions the demo and the account kinds call on contracts
//! that ship as bytecode only (the third-party accounts, Uniswap V3).

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
    /// policies, and on Kernel the validation the engine is the hook of (zero elsewhere).
    #[derive(Debug, PartialEq, Eq)]
    struct PolicyEngineConfig {
        address guardian;
        uint256 autoUnpauseAfter;
        uint8 mode;
        IAllowlistHook.Permission[] permissions;
        address[] protectedTargets;
        ISpendingLimitHook.TokenPolicy[] tokens;
        bytes21 validationId;
    }
}

// ---------------------------------------------------------------- written by hand

// The accounts of the demo: the precompiles that carry their bytecode, their bootstraps.
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

    #[sol(rpc)]
    interface IKernelPrecompiles {
        function KERNEL_BYTECODE() external view returns (bytes memory);
        function KERNEL_FACTORY_BYTECODE() external view returns (bytes memory);
    }

    #[sol(rpc)]
    interface IKernelFactory {
        function createAccount(bytes data, bytes32 salt) external payable returns (address);
    }

    interface IKernelInitialize {
        function initialize(bytes21 rootValidator, address hook, bytes validatorData, bytes hookData, bytes[] initConfig) external;
    }
}

sol! {
    #[sol(rpc)]
    interface ISafe7579Precompiles {
        function SAFE7579_BYTECODE() external view returns (bytes memory);
        function SAFE7579_LAUNCHPAD_BYTECODE() external view returns (bytes memory);
        function SAFE_SINGLETON_BYTECODE() external view returns (bytes memory);
        function SAFE_PROXY_FACTORY_BYTECODE() external view returns (bytes memory);
    }

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
    }
}

// Uniswap V3, the demo's batch call and its test token.
sol! {
    #[sol(rpc)]
    interface IUniswapV3Factory {
        function createPool(address tokenA, address tokenB, uint24 fee) external returns (address pool);
        function getPool(address tokenA, address tokenB, uint24 fee) external view returns (address pool);
    }

    #[sol(rpc)]
    interface IUniswapV3Pool {
        function initialize(uint160 sqrtPriceX96) external;
        function liquidity() external view returns (uint128);
    }

    struct MintParams {
        address token0;
        address token1;
        uint24 fee;
        int24 tickLower;
        int24 tickUpper;
        uint256 amount0Desired;
        uint256 amount1Desired;
        uint256 amount0Min;
        uint256 amount1Min;
        address recipient;
        uint256 deadline;
    }

    #[sol(rpc)]
    interface INonfungiblePositionManager {
        function mint(MintParams calldata params) external payable returns (uint256 tokenId, uint128 liquidity, uint256 amount0, uint256 amount1);
    }

    struct ExactInputSingleParams {
        address tokenIn;
        address tokenOut;
        uint24 fee;
        address recipient;
        uint256 deadline;
        uint256 amountIn;
        uint256 amountOutMinimum;
        uint160 sqrtPriceLimitX96;
    }

    interface ISwapRouter {
        function exactInputSingle(ExactInputSingleParams calldata params) external payable returns (uint256 amountOut);
    }

    interface IERC7579Batch {
        struct Execution { address target; uint256 value; bytes callData; }
        function execute(bytes32 mode, bytes calldata executionCalldata) external payable;
    }

    #[sol(rpc)]
    interface ITestToken {
        function mint(address to, uint256 amount) external;
    }
}
