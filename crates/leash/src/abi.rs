//! The Leash contracts' external interface, declared here so that this crate builds before forge
//! runs. A test (`tests/integration/tests/abi_drift.rs`) checks every selector against the
//! compiled artifacts, so these declarations cannot drift from the contracts.

#![allow(missing_docs, clippy::too_many_arguments)]

use alloy::sol;

sol! {
    #[derive(Debug, PartialEq)]
    struct Permission { address target; bytes4 selector; }
    #[derive(Debug, PartialEq)]
    struct LimitConfig { uint256 amount; uint256 window; }
    #[derive(Debug, PartialEq)]
    struct TokenPolicy { address token; uint256 perTxCap; LimitConfig[] limits; }
    #[derive(Debug, PartialEq)]
    struct Task {
        uint256 id;
        address caller;
        address target;
        uint256 value;
        bytes callData;
        uint32 cooldown;
        uint32 maxExecutions;
        uint48 startsAt;
        uint48 expiresAt;
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface ILeashModule {
        error Leash_NotInstalled(address account);
        error Leash_AlreadyInstalled(address account);
        error Leash_NotInstalling(address account);
        error Leash_InvalidAuthority(address account, address authority);
        error Leash_OnlyAuthority(address account, address caller, address authority);
        error Leash_OnlyAccountOrAuthority(address account, address caller);
        error Leash_ModuleChangeNotApproved(address account, bytes4 selector, address module, bytes32 changeHash);
        error Leash_SelfCallNotApproved(address account, bytes32 changeHash);
        error Leash_ModuleCallNotApproved(address account, address module, bytes4 selector, bytes32 changeHash);
        error Leash_DepositCallNotApproved(address account, address entryPoint, bytes4 selector, bytes32 changeHash);

        function authorityOf(address account) external view returns (address);
        function setAuthority(address account, address newAuthority) external;
        function approveChange(address account, bytes32 changeHash) external;
        function revokeApproval(address account, bytes32 changeHash) external;
        function isApproved(address account, bytes32 changeHash) external view returns (bool);
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface IHookMultiPlexer {
        error Multiplexer_TooManySubHooks(address account, uint256 max);
        error Multiplexer_DuplicateSubHook(address account, address subHook);
        error Multiplexer_InvalidSubHook(address subHook);
        error Multiplexer_UnknownSubHook(address account, address subHook);
        error Multiplexer_LengthMismatch(uint256 subHooks, uint256 initData);
        error Multiplexer_UnknownHookData(address account);
        error Multiplexer_InsufficientGas(uint256 needed, uint256 left);

        function preCheck(address msgSender, uint256 msgValue, bytes calldata msgData) external returns (bytes memory hookData);
        function subHooks(address account) external view returns (address[] memory);
        function isSubHook(address account, address subHook) external view returns (bool);
        function addSubHook(address account, address subHook, bytes calldata initData) external;
        function removeSubHook(address account, address subHook, bytes calldata deInitData) external;
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface IAllowlistHook {
        error Allowlist_CallNotAllowed(address account, address target, bytes4 selector);
        error Allowlist_CallBlocked(address account, address target, bytes4 selector);
        error Allowlist_ProtectedTarget(address account, address target);
        error Allowlist_ShortCalldata(address account, address target, uint256 length);
        error Allowlist_ZeroSelector(address account, address target);
        error Allowlist_InvalidMode(uint8 mode);
        error Allowlist_TooManyPermissions(address account, uint256 max);
        error Allowlist_TooManyProtected(address account, uint256 max);
        error Allowlist_TooManyLeashModules(uint256 given, uint256 max);
        error Allowlist_PermissionExists(address account, address target, bytes4 selector);
        error Allowlist_PermissionMissing(address account, address target, bytes4 selector);
        error Allowlist_ProtectedExists(address account, address target);
        error Allowlist_ProtectedMissing(address account, address target);

        function modeOf(address account) external view returns (uint8);
        function isListed(address account, address target, bytes4 selector) external view returns (bool);
        function isProtected(address account, address target) external view returns (bool);
        function permissionCount(address account) external view returns (uint256);
        function protectedCount(address account) external view returns (uint256);
        function permissionsOf(address account) external view returns (Permission[] memory);
        function protectedOf(address account) external view returns (address[] memory);
        function addPermission(address account, address target, bytes4 selector) external;
        function removePermission(address account, address target, bytes4 selector) external;
        function addProtected(address account, address target) external;
        function removeProtected(address account, address target) external;
        function setMode(address account, uint8 mode) external;
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface IEmergencyPauseHook {
        event Paused(address indexed account, address indexed by, uint256 until);
        event Unpaused(address indexed account, address indexed by);

        error Pause_AccountPaused(address account, uint256 until);
        error Pause_NotPaused(address account);
        error Pause_CooldownActive(address account, uint256 availableAt);
        error Pause_NotGuardian(address account, address caller);
        error Pause_InvalidGuardian(address guardian);
        error Pause_AutoUnpauseTooLong(uint256 autoUnpauseAfter, uint256 max);

        function pause(address account) external;
        function unpause(address account) external;
        function isPaused(address account) external view returns (bool);
        function pausedUntil(address account) external view returns (uint256);
        function nextPauseAt(address account) external view returns (uint256);
        function guardianOf(address account) external view returns (address);
        function autoUnpauseAfterOf(address account) external view returns (uint256);
        function setGuardian(address account, address guardian) external;
        function setAutoUnpauseAfter(address account, uint256 autoUnpauseAfter) external;
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface ISpendingLimitHook {
        error SpendingLimit_Exceeded(address account, address token, uint256 attempted, uint256 remaining, uint256 availableAt);
        error SpendingLimit_PerTxCapExceeded(address account, address token, uint256 attempted, uint256 cap);
        error SpendingLimit_UnsupportedTokenCall(address account, address token, bytes4 selector);
        error SpendingLimit_MalformedTokenCall(address account, address token, bytes4 selector, uint256 length);
        error SpendingLimit_DirtyAddressArgument(address account, address token, bytes4 selector, uint256 index);
        error SpendingLimit_TooManyTokens(address account, uint256 max);
        error SpendingLimit_TooManyLimits(address token, uint256 given, uint256 max);
        error SpendingLimit_NoLimits(address token);
        error SpendingLimit_AmountTooLarge(uint256 amount);
        error SpendingLimit_UnknownToken(address account, address token);
        error SpendingLimit_NotTightening(address account, address token);
        error RollingWindow_WindowTooShort(uint256 window, uint256 min);
        error RollingWindow_WindowTooLong(uint256 window);
        error RollingWindow_WindowNotMultiple(uint256 window, uint256 buckets);

        function tokensOf(address account) external view returns (address[] memory);
        function policyOf(address account, address token) external view returns (uint256 perTxCap, LimitConfig[] memory limits);
        function remaining(address account, address token) external view returns (uint256);
        function remainingAt(address account, address token, uint256 timestamp) external view returns (uint256);
        function availableAt(address account, address token, uint256 amount) external view returns (uint256);
        function setTokenPolicy(address account, TokenPolicy calldata policy) external;
        function removeTokenPolicy(address account, address token) external;
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface IAutomationExecutor {
        error Automation_UnknownTask(address account, uint256 id);
        error Automation_TaskExists(address account, uint256 id);
        error Automation_TooManyTasks(address account, uint256 max);
        error Automation_NotCaller(address account, uint256 id, address caller);
        error Automation_NotStarted(address account, uint256 id, uint256 startsAt);
        error Automation_Expired(address account, uint256 id, uint256 expiresAt);
        error Automation_MaxExecutionsReached(address account, uint256 id, uint256 maxExecutions);
        error Automation_CooldownActive(address account, uint256 id, uint256 availableAt);
        error Automation_Reentrancy();
        error Automation_InvalidTask(address account, uint256 id);

        function executeTask(address account, uint256 id) external returns (bytes[] memory results);
        function canRun(address account, uint256 id) external view returns (bool ok, uint8 blocker, uint256 availableAt);
        function taskOf(address account, uint256 id) external view returns (Task memory task, uint256 executions, uint256 lastRunAt);
        function taskIds(address account) external view returns (uint256[] memory);
        function addTask(address account, Task calldata task) external;
        function removeTask(address account, uint256 id) external;
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface IAgentValidator {
        event AgentSet(address indexed account, address indexed agent);
        event GasAllowanceSet(address indexed account, uint256 allowance);

        error AgentValidator_CallNotAllowed(address account, bytes4 selector);
        error AgentValidator_TargetNotAllowed(address account, address target);
        error AgentValidator_SenderMismatch(address account, address sender);
        error AgentValidator_LeashNotInstalled(address account);
        error AgentValidator_InvalidAgent(address account, address agent);
        error AgentValidator_AgentIsOwner(address account, address agent);
        error AgentValidator_GasAllowanceExceeded(address account, uint256 cost, uint256 allowance);
        error AgentValidator_GasAllowanceTooLarge(uint256 allowance);

        function MULTIPLEXER() external view returns (address);
        function agentOf(address account) external view returns (address);
        function setAgent(address account, address agent) external;
        function revokeAgent(address account) external;
        function setGasAllowance(address account, uint256 allowance) external;
        function gasAllowanceOf(address account) external view returns (uint256);
        function isInitialized(address account) external view returns (bool);
        function isValidSignatureWithSender(address sender, bytes32 hash, bytes calldata signature) external view returns (bytes4);
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface IExecutionDecoderErrors {
        error ExecutionDecoder_NonCanonical(uint256 position);
        error ExecutionDecoder_UnsupportedSelector(bytes4 selector);
        error ExecutionDecoder_UnsupportedCallType(bytes1 callType);
        error ExecutionDecoder_UnsupportedExecType(bytes1 execType);
        error ExecutionDecoder_UnsupportedMode(bytes32 mode);
        error ExecutionDecoder_EmptyBatch();
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface IERC7579Account {
        function execute(bytes32 mode, bytes calldata executionCalldata) external payable;
        function installModule(uint256 moduleTypeId, address module, bytes calldata initData) external;
        function uninstallModule(uint256 moduleTypeId, address module, bytes calldata deInitData) external;
        function isModuleInstalled(uint256 moduleTypeId, address module, bytes calldata additionalContext) external view returns (bool);
    }

    #[sol(rpc)]
    #[derive(Debug)]
    interface IERC20Metadata {
        function symbol() external view returns (string memory);
        function decimals() external view returns (uint8);
        function balanceOf(address owner) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
    }
}
