// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    IERC7579Module,
    IERC7579ModuleConfig,
    MODULE_TYPE_HOOK
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {PolicyEngine} from "../../../contracts/engine/PolicyEngine.sol";
import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {IAutomationExecutor} from "../../../contracts/interfaces/IAutomationExecutor.sol";
import {IPolicyEngine} from "../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {AgentAccountSymbolic} from "./AgentAccountSymbolic.sol";

/// @notice The policy engine as the OpenZeppelin account's hook, with the executor, installed by the
/// owner: guardian (pauses last a day), allowlist in block mode with one blocked pair, and the native
/// coin limited to 10 ether an hour, 50 a day and 5 per transaction, 7 ether of it spent. The agent's
/// operation is `execute(single call)` arriving from the EntryPoint.
///   - E8 (`check_engine_NoAgentExecutionLoosensAnything`): whatever the call, afterwards no
///     authority, installed module, pause setting, task, allowlist verdict or spending limit has
///     loosened, no headroom came back, and the guardian can still pause the account for a day.
///     The call reaches the account's own module management (`installModule`, `uninstallModule`
///     of any type, a nested `execute`), every function of the engine and of the executor.
///   - E9 (`check_engine_PermittedCallWithinLimitsPasses`): a call the policies allow, within the
///     limits, goes through and is charged exactly (the liveness side: an engine refusing
///     everything fails it).
///   - E10 (`check_engine_VerdictIsEveryPolicyTogether`): the engine's verdict on a call to an
///     outside address, paused or not, blocked or not, of any value, is exactly the conjunction of
///     the three policies, and the headroom moves by exactly what passed.
/// @dev Bounds: calldata is a symbolic selector and three words: the first (every function's account
/// argument) this account or another; to the engine, the second a target (blocked, the executor, an
/// outside address: its storage keys hash the target, which must be concrete) and the third one of
/// three selectors or any word that is not a selector (`_thirdWord`);
/// to the executor, the task's id or another and a symbolic word; to the account, two symbolic words.
/// Functions with dynamic arguments get their canonical encoding with symbolic values
/// (`_dynamicCall`; `setTokenPolicy` with 0 to 2 limits of any amount up to `MAX_AMOUNT` over one of
/// three windows: a larger amount is refused before anything is written).
/// The account's module management takes any module type and one of the installed modules or a
/// stranger; a nested `execute` one more call of these shapes. Time does not move within a check
/// (the window's arithmetic over time is PackedWindow's check).
contract PolicyEngineSymbolic is AgentAccountSymbolic {
    bytes4 internal constant OTHER_SELECTOR = 0x0badf00d;
    uint256 internal constant AUTO_UNPAUSE = 1 days;
    uint256 internal constant SPENT = 7 ether; // in two spends: the hour's headroom (3) is below the cap

    function setUp() public {
        _newAccount();
        _installExecutor();

        IPolicyEngine.Config memory config;
        config.guardian = GUARDIAN;
        config.autoUnpauseAfter = AUTO_UNPAUSE;
        config.mode = IAllowlistHook.Mode.Block;
        config.permissions = new IAllowlistHook.Permission[](1);
        config.permissions[0] = IAllowlistHook.Permission(BLOCKED_TARGET, BLOCKED_SELECTOR);
        config.tokens = new ISpendingLimitHook.TokenPolicy[](1);
        config.tokens[0] = _nativePolicy();
        require(
            _asEntryPoint(
                abi.encodeCall(
                    account.installModule, (MODULE_TYPE_HOOK, address(engine), abi.encode(AUTHORITY, config))
                )
            )
        );

        // Some spending history, so that headroom coming back would show.
        require(_asEntryPoint(_executeSingle(OUTSIDER, 4 ether, "")));
        require(_asEntryPoint(_executeSingle(OUTSIDER, SPENT - 4 ether, "")));
    }

    // ------------------------------------------------------------------ what an agent could loosen

    struct Snapshot {
        Observed o;
        bool blockedPairListed;
    }

    function _snapshot() internal view returns (Snapshot memory s) {
        address a = address(account);
        s.o.authorities = keccak256(abi.encode(engine.authorityOf(a), automation.authorityOf(a)));
        s.o.modules = _modules(address(engine));
        // Not `leashContext`, which would mark an agent's operation and so make the engine stricter
        // for the rest of the run.
        s.o.pause = keccak256(
            abi.encode(engine.isInitialized(a), engine.isPaused(a), engine.pausedUntil(a), engine.guardianOf(a))
        );
        (s.o.perTxCap, s.o.limits) = engine.policyOf(a, NATIVE);
        s.o.remaining = engine.remainingAt(a, NATIVE, block.timestamp);
        (s.o.tasks, s.o.taskCount) = _tasks();
        s.blockedPairListed = engine.isListed(a, BLOCKED_TARGET, BLOCKED_SELECTOR);
        s.o.mode = engine.modeOf(a);
    }

    /// @dev Whether anything loosened from `b` (before) to `a` (after): what either stack may not
    /// loosen (`_observedLoosened`), and the blocked pair's listing.
    function _loosened(Snapshot memory b, Snapshot memory a) internal pure returns (uint256 broken) {
        broken = _observedLoosened(b.o, a.o);
        broken |= _flag(b.blockedPairListed && !a.blockedPairListed);
    }

    // ------------------------------------------------------------------ the agent's call

    function _target(uint256 choice) internal view returns (address) {
        vm.assume(choice < 4);
        if (choice == 0) return address(account);
        if (choice == 1) return address(engine);
        if (choice == 2) return address(automation);
        return OUTSIDER;
    }

    /// @dev A module argument of the account's management: an installed Leash module or a stranger.
    function _module() internal returns (address) {
        uint256 choice = svm.createUint256("module");
        vm.assume(choice < 3);
        if (choice == 0) return address(engine);
        if (choice == 1) return address(automation);
        return STRANGER_MODULE;
    }

    /// @dev A call to the account itself: its module management with any module type, a nested
    /// `execute` of one call to any of the targets, or any other selector with symbolic words.
    function _accountCall(uint256 depth) internal returns (bytes memory) {
        uint256 choice = svm.createUint256("accountFunction");
        vm.assume(choice < 4);
        if (choice == 0) {
            return abi.encodeCall(IERC7579ModuleConfig.installModule, (svm.createUint256("moduleType"), _module(), ""));
        }
        if (choice == 1) {
            return
                abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (svm.createUint256("moduleType"), _module(), ""));
        }
        if (choice == 2 && depth == 0) {
            address inner = _target(svm.createUint256("innerTarget"));
            return _executeSingle(inner, svm.createUint(96, "innerValue"), _calldata(inner, depth + 1));
        }
        return abi.encodePacked(
            svm.createBytes4("selector"),
            uint256(uint160(_accountArgument())),
            svm.createBytes((WORDS - 1) * 32, "arguments")
        );
    }

    /// @dev Calldata for `target`: see the bounds.
    function _calldata(address target, uint256 depth) internal returns (bytes memory) {
        if (target == address(account)) return _accountCall(depth);
        if (target == OUTSIDER) return svm.createBool("emptyCall") ? bytes("") : abi.encode(svm.createBytes4("probe"));
        bytes4 selector = svm.createBytes4("selector");
        (bool dynamic, bytes memory data) = _dynamicCall(target, selector);
        if (dynamic) return data;
        if (target == address(automation)) return _executorCall(selector);
        // The engine: the account argument, then a target (every function of the engine with a second
        // argument takes a target or a token), then a symbolic word.
        return abi.encodePacked(
            selector, uint256(uint160(_accountArgument())), uint256(uint160(_targetArgument())), _thirdWord()
        );
    }

    /// @dev The engine's and the executor's functions with dynamic arguments (halmos needs their
    /// offsets concrete): canonical encodings with symbolic values; install data of each module's
    /// own shape, the rest as `_sharedDynamicCall`.
    function _dynamicCall(address target, bytes4 selector) internal returns (bool, bytes memory) {
        if (selector == IERC7579Module.onInstall.selector) {
            IPolicyEngine.Config memory config;
            config.guardian = svm.createAddress("guardian");
            bytes memory data = target == address(engine)
                ? abi.encode(AUTHORITY, config)
                : abi.encode(AUTHORITY, new IAutomationExecutor.Task[](0));
            return (true, abi.encodeCall(IERC7579Module.onInstall, (data)));
        }
        return _sharedDynamicCall(selector);
    }

    /// @dev A target argument of the engine's functions: the blocked one, the executor, or an
    /// outside address (a symbolic one would make the engine's storage keys symbolic).
    function _targetArgument() internal returns (address) {
        uint256 choice = svm.createUint256("targetArgument");
        vm.assume(choice < 3);
        if (choice == 0) return BLOCKED_TARGET;
        if (choice == 1) return address(automation);
        return OUTSIDER;
    }

    /// @dev The third word to the engine: a selector (blocked, the wildcard, another: entries are keyed
    /// by it, so it must be concrete), or any word that is not a selector (its low bytes not all
    /// zero, so a `bytes4` argument refuses it), taken by the functions whose third argument is a number.
    function _thirdWord() internal returns (uint256 word) {
        uint256 choice = svm.createUint256("thirdWord");
        vm.assume(choice < 4);
        if (choice == 0) return uint256(bytes32(BLOCKED_SELECTOR));
        if (choice == 1) return uint256(bytes32(PolicyEngine(address(engine)).WILDCARD_SELECTOR()));
        if (choice == 2) return uint256(bytes32(OTHER_SELECTOR));
        word = svm.createUint256("number");
        vm.assume(uint224(word) != 0);
    }

    // ------------------------------------------------------------------ checks

    /// @dev What the engine must report as left after `spent` within the hour and the day: the
    /// smallest of the cap and each limit's headroom (the model, written apart from the engine).
    function _remaining(uint256 spent) internal pure returns (uint256 left) {
        left = CAP;
        if (HOURLY - spent < left) left = HOURLY - spent;
        if (DAILY - spent < left) left = DAILY - spent;
    }

    function check_engine_NoAgentExecutionLoosensAnything() public {
        Snapshot memory before = _snapshot();
        address target = _target(svm.createUint256("target"));
        uint256 value = svm.createUint(96, "value");
        // A refused execution reverts, and a revert undoes every change: only executions that ran
        // can have loosened anything.
        if (!_asEntryPoint(_executeSingle(target, value, _calldata(target, 0)))) return;

        assert(_loosened(before, _snapshot()) == 0);
        // The kill switch still works, for at least as long as configured.
        if (!engine.isPaused(address(account))) {
            vm.prank(GUARDIAN);
            engine.pause(address(account));
        }
        assert(engine.pausedUntil(address(account)) >= block.timestamp + AUTO_UNPAUSE);
    }

    function check_engine_PermittedCallWithinLimitsPasses() public {
        uint256 value = svm.createUint(96, "value");
        vm.assume(value <= CAP && SPENT + value <= HOURLY);
        bytes memory data = svm.createBool("emptyCall") ? bytes("") : abi.encode(svm.createBytes4("selector"));
        // A zero selector is never a call; a module's lifecycle function needs the authority (R10).
        vm.assume(data.length == 0 || (bytes4(data) != bytes4(0) && !_lifecycle(bytes4(data))));
        assert(engine.remainingAt(address(account), NATIVE, block.timestamp) == _remaining(SPENT));

        assert(_asEntryPoint(_executeSingle(OUTSIDER, value, data)));
        assert(engine.remainingAt(address(account), NATIVE, block.timestamp) == _remaining(SPENT + value));
    }

    /// @dev `onInstall(bytes)`, `onUninstall(bytes)`: the guard refuses a call to them without the
    /// authority's approval, whatever the target (R10).
    function _lifecycle(bytes4 selector) internal pure returns (bool) {
        return selector == 0x6d61fe70 || selector == 0x8a91b0e3;
    }

    function check_engine_VerdictIsEveryPolicyTogether() public {
        bool paused = svm.createBool("paused");
        if (paused) {
            vm.prank(GUARDIAN);
            engine.pause(address(account));
        }
        address target = svm.createBool("blockedTarget") ? BLOCKED_TARGET : OUTSIDER;
        bytes4 selector = svm.createBytes4("selector");
        bool empty = svm.createBool("emptyCall");
        bytes memory data = empty ? bytes("") : abi.encodePacked(selector);
        uint256 value = svm.createUint(96, "value");

        bool allowed = !paused && (empty || (selector != bytes4(0) && !_lifecycle(selector)))
            && !(target == BLOCKED_TARGET && !empty && selector == BLOCKED_SELECTOR);
        bool withinLimits = value <= CAP && SPENT + value <= HOURLY;
        bool ok = _asEntryPoint(_executeSingle(target, value, data));

        assert(ok == (allowed && withinLimits));
        uint256 afterwards = engine.remainingAt(address(account), NATIVE, block.timestamp);
        assert(afterwards == _remaining(ok ? SPENT + value : SPENT));
    }
}
