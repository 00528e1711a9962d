// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {IERC7579ModuleConfig, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {IEmergencyPauseHook} from "../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {ILeashModule} from "../../../contracts/interfaces/ILeashModule.sol";
import {IPolicyEngine} from "../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";

import {AccountTestBed} from "./AccountTestBed.sol";
import {LeashDeployment} from "./LeashDeployment.sol";
import {Target} from "./mocks/Target.sol";
import {TestToken} from "./mocks/Tokens.sol";

/// @notice The Leash modules deployed beside the real account, and helpers to install them and
/// to run UserOps against them.
abstract contract LeashTestBase is AccountTestBed, LeashDeployment {
    Target internal target;
    Target internal other;
    bytes internal ping = abi.encodeCall(Target.ping, ());
    bytes internal pong = abi.encodeCall(Target.pong, ());
    address internal acct; // the account's address

    address internal authority = makeAddr("authority");
    address internal guardian = makeAddr("guardian");
    uint256 internal constant AUTO_UNPAUSE = 1 days;
    bytes4 internal constant WILDCARD = 0x431e2cf5;

    function setUp() public virtual override {
        super.setUp();
        deployLeash();
        acct = address(account);
        target = new Target();
        other = new Target();
        vm.label(address(target), "target");
        vm.label(address(other), "other");
    }

    // ------------------------------------------------------------------ init data

    function pauseInit() internal view returns (bytes memory) {
        return abi.encode(authority, guardian, AUTO_UNPAUSE);
    }

    function allowlistInit(IAllowlistHook.Mode mode, IAllowlistHook.Permission[] memory permissions)
        internal
        view
        returns (bytes memory)
    {
        return abi.encode(authority, mode, permissions, new address[](0));
    }

    /// @dev One permission: (target, ping).
    function pingOnly() internal view returns (IAllowlistHook.Permission[] memory permissions) {
        permissions = new IAllowlistHook.Permission[](1);
        permissions[0] = IAllowlistHook.Permission(address(target), Target.ping.selector);
    }

    /// @dev One token policy: `amount` per `window`, optional per-transaction cap.
    function policy(address token, uint256 amount, uint256 window, uint256 perTxCap)
        internal
        pure
        returns (ISpendingLimitHook.TokenPolicy memory p)
    {
        p.token = token;
        p.perTxCap = perTxCap;
        p.limits = new ISpendingLimitHook.LimitConfig[](1);
        p.limits[0] = ISpendingLimitHook.LimitConfig(amount, window);
    }

    function spendingInit(ISpendingLimitHook.TokenPolicy[] memory policies) internal view returns (bytes memory) {
        return abi.encode(authority, policies);
    }

    /// @dev The multiplexer's install data for the stack, in its order: pause, allowlist(`mode`,
    /// `permissions`) and, `withSpending`, spending(`policies`).
    function stackInit(
        IAllowlistHook.Mode mode,
        IAllowlistHook.Permission[] memory permissions,
        bool withSpending,
        ISpendingLimitHook.TokenPolicy[] memory policies
    ) internal view returns (bytes memory) {
        uint256 n = withSpending ? 3 : 2;
        address[] memory hooks = new address[](n);
        bytes[] memory initData = new bytes[](n);
        (hooks[0], initData[0]) = (address(pauseHook), pauseInit());
        (hooks[1], initData[1]) = (address(allowlist), allowlistInit(mode, permissions));
        if (withSpending) (hooks[2], initData[2]) = (address(spending), spendingInit(policies));
        return muxInit(hooks, initData);
    }

    /// @dev The part-1 stack's install data: multiplexer -> [pause, allowlist(`mode`, `permissions`)].
    function stackInit(IAllowlistHook.Mode mode, IAllowlistHook.Permission[] memory permissions)
        internal
        view
        returns (bytes memory)
    {
        return stackInit(mode, permissions, false, new ISpendingLimitHook.TokenPolicy[](0));
    }

    /// @dev The full stack: multiplexer -> [pause, allowlist (block mode, nothing listed), spending].
    function installFullStack(ISpendingLimitHook.TokenPolicy[] memory policies) internal {
        installMux(stackInit(IAllowlistHook.Mode.Block, new IAllowlistHook.Permission[](0), true, policies));
    }

    /// @dev The engine's install data: every policy off; tests switch on what they need.
    function engineConfig() internal pure returns (IPolicyEngine.Config memory config) {}

    function engineInit(IPolicyEngine.Config memory config) internal view returns (bytes memory) {
        return abi.encode(authority, config);
    }

    /// @dev The engine with the full stack's policies: pause, allowlist, spending.
    function fullEngineConfig(
        IAllowlistHook.Mode mode,
        IAllowlistHook.Permission[] memory permissions,
        ISpendingLimitHook.TokenPolicy[] memory policies
    ) internal view returns (IPolicyEngine.Config memory config) {
        config.guardian = guardian;
        config.autoUnpauseAfter = AUTO_UNPAUSE;
        config.mode = mode;
        config.permissions = permissions;
        config.tokens = policies;
    }

    /// @dev Installs the engine as the account's hook (as the owner would, before any hook exists).
    function installEngine(IPolicyEngine.Config memory config) internal {
        (bool ok, bytes memory reason) =
            submit(installModuleCall(MODULE_TYPE_HOOK, address(engine), engineInit(config)));
        require(ok, string(reason));
    }

    // ------------------------------------------------------------------ installing

    function installModuleCall(uint256 moduleType, address module, bytes memory initData)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeCall(IERC7579ModuleConfig.installModule, (moduleType, module, initData));
    }

    function uninstallModuleCall(uint256 moduleType, address module, bytes memory deInitData)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (moduleType, module, deInitData));
    }

    function muxInit(address[] memory hooks, bytes[] memory initData) internal view returns (bytes memory) {
        return abi.encode(authority, hooks, initData);
    }

    /// @dev Installs the multiplexer (as the owner would, before any hook exists) with sub-hooks.
    function installMux(address[] memory hooks, bytes[] memory initData) internal {
        installMux(muxInit(hooks, initData));
    }

    /// @dev Installs the multiplexer with its install data `initData`.
    function installMux(bytes memory initData) internal {
        (bool ok, bytes memory reason) = submit(installModuleCall(MODULE_TYPE_HOOK, address(mux), initData));
        require(ok, string(reason));
    }

    /// @dev The multiplexer with the pause hook alone.
    function installPauseOnly() internal {
        address[] memory hooks = new address[](1);
        bytes[] memory initData = new bytes[](1);
        (hooks[0], initData[0]) = (address(pauseHook), pauseInit());
        installMux(hooks, initData);
    }

    /// @dev The full part-1 stack: multiplexer -> [pause, allowlist(mode, (target, ping))].
    function installStack(IAllowlistHook.Mode mode) internal {
        installMux(stackInit(mode, pingOnly()));
    }

    /// @dev The owner removes the multiplexer with the authority's approval: the account runs no hook.
    function removeMux() internal {
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), "");
        approveAtMux(uninstall);
        assertPasses(uninstall);
        assertEq(account.hook(), address(0));
    }

    /// @dev The owner's removal of the hook `module` (a hook installed alone, or the engine) is
    /// refused without the authority's approval at `module`, and passes with it.
    function removeHookWithApproval(address module) internal {
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_HOOK, module, "");
        (bool ok,) = submit(uninstall);
        assertFalse(ok, "uninstall without approval");
        vm.prank(authority);
        ILeashModule(module).approveChange(acct, keccak256(uninstall));
        assertPasses(uninstall);
    }

    /// @dev A token minted to the account, `amount` of it.
    function fundedToken(string memory name, uint256 amount) internal returns (TestToken token) {
        token = new TestToken(name);
        token.mint(acct, amount);
    }

    // ------------------------------------------------------------------ running

    function pauseAsGuardian() internal {
        vm.prank(guardian);
        pauseHook.pause(acct);
    }

    /// @dev The guardian's pause through `pauser` (the pause hook or the engine) is refused as
    /// cooling down until `until`; at `until`, `caller` pauses the account.
    function assertPauseCoolsDownUntil(address pauser, uint256 until, address caller) internal {
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IEmergencyPauseHook.Pause_CooldownActive.selector, acct, until));
        IEmergencyPauseHook(pauser).pause(acct);
        vm.warp(until);
        vm.prank(caller);
        IEmergencyPauseHook(pauser).pause(acct);
    }

    function call1(address to, bytes memory data) internal pure returns (bytes memory) {
        return executeSingle(to, 0, data);
    }

    /// @dev Submits `callData` and requires the account's execution to revert with exactly `expected`.
    function assertRefused(bytes memory callData, bytes memory expected) internal {
        (bool ok, bytes memory reason) = submit(callData);
        assertFalse(ok, "execution should have been refused");
        assertEq(reason, expected, "revert data");
    }

    function assertPasses(bytes memory callData) internal {
        (bool ok, bytes memory reason) = submit(callData);
        assertTrue(ok, "execution should have passed");
        assertEq(reason.length, 0);
    }

    /// @dev The spending hook's (or the engine's) refusal of a spend of `attempted` of `token`, with
    /// `remaining` left and the full amount available at `availableAt` (figures a test works out
    /// from the policy it set, never reads back from the hook).
    function exceeded(address token, uint256 attempted, uint256 remaining, uint256 availableAt)
        internal
        view
        returns (bytes memory)
    {
        return abi.encodeWithSelector(
            ISpendingLimitHook.SpendingLimit_Exceeded.selector, acct, token, attempted, remaining, availableAt
        );
    }

    /// @dev The allowlist's refusal of a call to `to` with `selector` that allow mode does not list.
    function callNotAllowed(address to, bytes4 selector) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IAllowlistHook.Allowlist_CallNotAllowed.selector, acct, to, selector);
    }

    /// @dev The allowlist's refusal of a call to `to` with `selector` that block mode lists.
    function callBlocked(address to, bytes4 selector) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IAllowlistHook.Allowlist_CallBlocked.selector, acct, to, selector);
    }

    /// @dev The authority approves, at the multiplexer, the exact account-level call `callData`.
    function approveAtMux(bytes memory callData) internal {
        vm.prank(authority);
        mux.approveChange(address(account), keccak256(callData));
    }

    function batchOf(address a, bytes memory da, address b, bytes memory db) internal pure returns (bytes memory) {
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(a, 0, da);
        items[1] = Execution(b, 0, db);
        return executeBatch(items);
    }
}
