// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {
    ERC7579Utils,
    Execution,
    ModePayload,
    ModeSelector
} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {
    IERC7579Execution,
    IERC7579Hook,
    IERC7579Module,
    MODULE_TYPE_EXECUTOR,
    MODULE_TYPE_HOOK,
    MODULE_TYPE_VALIDATOR
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {AllowlistHook} from "../../../contracts/allowlist/AllowlistHook.sol";
import {AutomationExecutor} from "../../../contracts/automation/AutomationExecutor.sol";
import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {IAutomationExecutor} from "../../../contracts/interfaces/IAutomationExecutor.sol";
import {IHookMultiPlexer} from "../../../contracts/interfaces/IHookMultiPlexer.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {HookMultiPlexer} from "../../../contracts/multiplexer/HookMultiPlexer.sol";
import {EmergencyPauseHook} from "../../../contracts/pause/EmergencyPauseHook.sol";
import {SpendingLimitHook} from "../../../contracts/spending/SpendingLimitHook.sol";
import {LeashTestAccount} from "../utils/LeashTestAccount.sol";
import {SymbolicBase} from "./SymbolicVM.sol";

/// @notice L1/L2/L9 proven for one agent execution: the OpenZeppelin account, its multiplexer and
/// executor installed by the owner, no approval pending; the agent's operation is
/// `execute(single call, target ++ value ++ data)` arriving from the EntryPoint, with the target any
/// of the account itself, the multiplexer, each Leash module or an outside address, any value,
/// and symbolic calldata. Afterwards no authority, sub-hook list, installed module, pause setting,
/// task or allowlist verdict has loosened, and no spending limit or per-transaction cap has grown
/// nor any headroom come back.
/// @dev Bounds: calldata is a symbolic selector and three words: the first (every module function's
/// account argument) this account or another, the other two symbolic. That is every
/// static-argument function of every module, the tightening ones included, with any further
/// arguments; functions with dynamic arguments see whatever those words decode to.
/// `setTokenPolicy`, the one tightening function with a dynamic argument, is called with its
/// canonical encoding instead: this account or another, the limited token or another, any cap,
/// and 0 to 2 limits of any amount up to the largest (2^95 - 1) over one of three windows (a larger
/// amount is refused before anything is written). Observed: the pause, spending and executor
/// settings, every authority and the sub-hook list, whether the account lists a stranger module
/// (of each type), and the allowlist's verdict on its blocked pair and on a Leash module.
abstract contract LeashSymbolic is Test, SymbolicBase {
    LeashTestAccount internal account;
    HookMultiPlexer internal mux;
    EmergencyPauseHook internal pauseHook;
    AllowlistHook internal allowlist;
    SpendingLimitHook internal spending;
    AutomationExecutor internal automation;

    address internal constant OWNER = address(0x0E);
    address internal constant AUTHORITY = address(0xA0);
    address internal constant GUARDIAN = address(0x6A);
    address internal constant KEEPER = address(0xBEEF);
    address internal constant OUTSIDER = address(0x7A);
    address internal constant OTHER_ACCOUNT = address(0xD00D);
    address internal constant STRANGER_MODULE = address(0xBAD);
    address internal constant BLOCKED_TARGET = address(0xB10C);
    bytes4 internal constant BLOCKED_SELECTOR = 0x12345678;
    address internal constant NATIVE = address(0);
    uint256 internal constant TASK_ID = 1;
    uint256 internal constant WORDS = 3;

    /// @dev The sub-hooks behind the multiplexer, in order (the allowlist protects every Leash
    /// module, so without it calls to tightening functions reach the modules).
    function _withAllowlist() internal pure virtual returns (bool);

    function setUp() public {
        vm.warp(1_000_000);
        account = new LeashTestAccount(OWNER);
        vm.deal(address(account), 1000 ether);
        mux = new HookMultiPlexer();
        pauseHook = new EmergencyPauseHook(address(mux));
        spending = new SpendingLimitHook(address(mux));
        automation = new AutomationExecutor();
        address[] memory leash = new address[](3);
        (leash[0], leash[1], leash[2]) = (address(pauseHook), address(spending), address(automation));
        allowlist = new AllowlistHook(address(mux), leash);

        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](1);
        tasks[0] = IAutomationExecutor.Task(TASK_ID, KEEPER, OUTSIDER, 1 ether, "", 1 hours, 0, 0, 0);
        require(
            _asEntryPoint(
                abi.encodeCall(
                    account.installModule, (MODULE_TYPE_EXECUTOR, address(automation), abi.encode(AUTHORITY, tasks))
                )
            )
        );

        // Native coin: 10 ether an hour, 50 a day, at most 5 per transaction.
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0].token = NATIVE;
        policies[0].perTxCap = 5 ether;
        policies[0].limits = new ISpendingLimitHook.LimitConfig[](2);
        policies[0].limits[0] = ISpendingLimitHook.LimitConfig(10 ether, 1 hours);
        policies[0].limits[1] = ISpendingLimitHook.LimitConfig(50 ether, 1 days);

        uint256 n = _withAllowlist() ? 3 : 2;
        address[] memory hooks = new address[](n);
        bytes[] memory init = new bytes[](n);
        (hooks[0], init[0]) = (address(pauseHook), abi.encode(AUTHORITY, GUARDIAN, 1 days));
        (hooks[1], init[1]) = (address(spending), abi.encode(AUTHORITY, policies));
        if (_withAllowlist()) {
            IAllowlistHook.Permission[] memory blocked = new IAllowlistHook.Permission[](1);
            blocked[0] = IAllowlistHook.Permission(BLOCKED_TARGET, BLOCKED_SELECTOR);
            (hooks[2], init[2]) =
            (address(allowlist), abi.encode(AUTHORITY, IAllowlistHook.Mode.Block, blocked, new address[](0)));
        }
        require(
            _asEntryPoint(
                abi.encodeCall(
                    account.installModule, (MODULE_TYPE_HOOK, address(mux), abi.encode(AUTHORITY, hooks, init))
                )
            )
        );

        // Some spending history, so that headroom coming back would show.
        require(_asEntryPoint(_executeSingle(OUTSIDER, 4 ether, "")));
    }

    /// @dev A call to the account from the EntryPoint: a UserOp's execution, after validation.
    function _asEntryPoint(bytes memory callData) internal returns (bool ok) {
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        (ok,) = address(account).call(callData);
    }

    function _executeSingle(address target, uint256 value, bytes memory data) internal pure returns (bytes memory) {
        bytes32 mode = bytes32(
            abi.encodePacked(
                ERC7579Utils.CALLTYPE_SINGLE,
                ERC7579Utils.EXECTYPE_DEFAULT,
                bytes4(0),
                ModeSelector.wrap(0),
                ModePayload.wrap(0)
            )
        );
        return abi.encodeCall(IERC7579Execution.execute, (mode, abi.encodePacked(target, value, data)));
    }

    /// @dev Every configuration an agent could loosen, as read through the modules' own views.
    struct Snapshot {
        bytes32 authorities;
        bytes32 subHooks;
        bytes32 modules;
        bytes32 pause;
        bytes32 tokens;
        uint256 perTxCap;
        ISpendingLimitHook.LimitConfig[] limits;
        uint256 remaining;
        bytes32 tasks;
        uint256 taskCount;
        bool blockedPairRefused;
        bool moduleProtected;
        IAllowlistHook.Mode mode;
    }

    function _snapshot() internal view returns (Snapshot memory s) {
        address a = address(account);
        s.authorities = keccak256(
            abi.encode(
                mux.authorityOf(a),
                pauseHook.authorityOf(a),
                spending.authorityOf(a),
                automation.authorityOf(a),
                allowlist.authorityOf(a)
            )
        );
        s.subHooks = keccak256(abi.encode(mux.subHooks(a)));
        s.modules = keccak256(
            abi.encode(
                account.isModuleInstalled(MODULE_TYPE_HOOK, address(mux), ""),
                account.isModuleInstalled(MODULE_TYPE_EXECUTOR, address(automation), ""),
                account.isModuleInstalled(MODULE_TYPE_HOOK, STRANGER_MODULE, ""),
                account.isModuleInstalled(MODULE_TYPE_EXECUTOR, STRANGER_MODULE, ""),
                account.isModuleInstalled(MODULE_TYPE_VALIDATOR, STRANGER_MODULE, "")
            )
        );
        s.pause = keccak256(
            abi.encode(
                pauseHook.isPaused(a),
                pauseHook.pausedUntil(a),
                pauseHook.guardianOf(a),
                pauseHook.autoUnpauseAfterOf(a),
                pauseHook.nextPauseAt(a)
            )
        );
        s.tokens = keccak256(abi.encode(spending.tokensOf(a)));
        (s.perTxCap, s.limits) = spending.policyOf(a, NATIVE);
        s.remaining = spending.remaining(a, NATIVE);
        (address caller, bytes32 hash, uint256 executions, uint256 lastRunAt) = automation.taskOf(a, TASK_ID);
        uint256[] memory ids = automation.taskIds(a);
        (s.tasks, s.taskCount) = (keccak256(abi.encode(ids, caller, hash, executions, lastRunAt)), ids.length);
        if (_withAllowlist()) {
            s.blockedPairRefused = !allowlist.isCallAllowed(a, BLOCKED_TARGET, abi.encodePacked(BLOCKED_SELECTOR));
            s.moduleProtected = allowlist.isProtected(a, address(automation));
            s.mode = allowlist.modeOf(a);
        }
    }

    function _flag(bool b) internal pure returns (uint256 f) {
        assembly ("memory-safe") {
            f := b
        }
    }

    /// @dev Whether anything loosened from `b` (before) to `a` (after). Tasks may only disappear, and the
    /// spending policy may only tighten as `setTokenPolicy` allows (same windows, amounts and cap
    /// no larger); headroom may only shrink.
    function _loosened(Snapshot memory b, Snapshot memory a) internal pure returns (uint256 broken) {
        broken |= _flag(a.authorities != b.authorities);
        broken |= _flag(a.subHooks != b.subHooks);
        broken |= _flag(a.modules != b.modules);
        broken |= _flag(a.pause != b.pause);
        broken |= _flag(a.tokens != b.tokens);
        broken |= _flag(b.perTxCap != 0 && (a.perTxCap == 0 || a.perTxCap > b.perTxCap));
        broken |= _flag(a.limits.length != b.limits.length);
        for (uint256 i; i < a.limits.length && i < b.limits.length; ++i) {
            broken |= _flag(a.limits[i].window != b.limits[i].window || a.limits[i].amount > b.limits[i].amount);
        }
        broken |= _flag(a.remaining > b.remaining);
        broken |= _flag(a.tasks != b.tasks && a.taskCount != 0); // the one task unchanged, or removed
        broken |= _flag(b.blockedPairRefused && !a.blockedPairRefused);
        broken |= _flag(b.moduleProtected && !a.moduleProtected);
        broken |= _flag(a.mode != b.mode);
    }

    function _target(uint256 choice) internal view returns (address) {
        vm.assume(choice < 7);
        if (choice == 0) return address(account);
        if (choice == 1) return address(mux);
        if (choice == 2) return address(pauseHook);
        if (choice == 3) return address(spending);
        if (choice == 4) return address(automation);
        if (choice == 5) return address(allowlist);
        return OUTSIDER;
    }

    /// @dev A symbolic call to `target`: for a function with dynamic arguments, its canonical
    /// encoding with symbolic values (`_dynamicCall`); for any other selector, the selector and
    /// WORDS words (see the bounds).
    function _calldata(address target, bytes4 selector) internal returns (bytes memory) {
        (bool dynamic, bytes memory data) = _dynamicCall(target, selector);
        if (dynamic) return data;
        if (target == address(automation)) {
            // The second argument: the task's id or an unknown one. The executor's functions that
            // take no id are the authority's own, refused to the account whatever their arguments
            // (running a task takes the task whole: `_dynamicCall`).
            uint256 id = svm.createBool("knownTask") ? TASK_ID : TASK_ID + 1;
            return abi.encodePacked(selector, uint256(uint160(_accountArgument())), id, svm.createUint256("argument"));
        }
        return abi.encodePacked(
            selector, uint256(uint160(_accountArgument())), svm.createBytes((WORDS - 1) * 32, "arguments")
        );
    }

    /// @dev Every module function with a dynamic argument (halmos needs their offsets concrete):
    /// addresses and numbers symbolic, the account argument this account or another, each
    /// module's install data of its own shape with empty lists, other byte strings empty or (for
    /// `postCheck`) one symbolic byte, `setTokenPolicy` with 0 to 2 limits.
    function _dynamicCall(address target, bytes4 selector) internal returns (bool, bytes memory) {
        if (selector == IERC7579Module.onInstall.selector) {
            return (true, abi.encodeCall(IERC7579Module.onInstall, (_installData(target))));
        }
        if (selector == IERC7579Module.onUninstall.selector) {
            return (true, abi.encodeCall(IERC7579Module.onUninstall, ("")));
        }
        if (selector == IERC7579Hook.preCheck.selector) {
            bytes memory inner = _executeSingle(svm.createAddress("innerTarget"), svm.createUint(96, "innerValue"), "");
            return (true, abi.encodeCall(IERC7579Hook.preCheck, (svm.createAddress("msgSender"), 0, inner)));
        }
        if (selector == IERC7579Hook.postCheck.selector) {
            return (true, abi.encodeCall(IERC7579Hook.postCheck, (svm.createBytes(1, "hookData"))));
        }
        if (selector == IHookMultiPlexer.addSubHook.selector) {
            return (true, abi.encodeCall(IHookMultiPlexer.addSubHook, (_accountArgument(), _subHook(), "")));
        }
        if (selector == IHookMultiPlexer.removeSubHook.selector) {
            return (true, abi.encodeCall(IHookMultiPlexer.removeSubHook, (_accountArgument(), _subHook(), "")));
        }
        if (selector == IAllowlistHook.isCallAllowed.selector || selector == AllowlistHook.checkCall.selector) {
            bytes memory probe = abi.encodePacked(svm.createBytes4("probe"));
            return (true, abi.encodeWithSelector(selector, _accountArgument(), OUTSIDER, probe));
        }
        if (selector == IAutomationExecutor.executeTask.selector || selector == IAutomationExecutor.canRun.selector) {
            // The task as stored (its hash matches): only the keeper may run it.
            IAutomationExecutor.Task memory stored =
                IAutomationExecutor.Task(TASK_ID, KEEPER, OUTSIDER, 1 ether, "", 1 hours, 0, 0, 0);
            return (true, abi.encodeWithSelector(selector, _accountArgument(), stored));
        }
        if (selector == IAutomationExecutor.addTask.selector) {
            IAutomationExecutor.Task memory task = IAutomationExecutor.Task(
                svm.createUint256("id"),
                svm.createAddress("caller"),
                OUTSIDER,
                svm.createUint(96, "taskValue"),
                "",
                0,
                0,
                0,
                0
            );
            return (true, abi.encodeCall(IAutomationExecutor.addTask, (_accountArgument(), task)));
        }
        if (selector == ISpendingLimitHook.setTokenPolicy.selector) {
            ISpendingLimitHook.TokenPolicy memory p;
            p.token = svm.createBool("limitedToken") ? NATIVE : OUTSIDER;
            p.perTxCap = svm.createUint256("perTxCap");
            uint256 n = svm.createUint256("limits");
            vm.assume(n <= 2);
            if (n == 0) p.limits = new ISpendingLimitHook.LimitConfig[](0);
            else if (n == 1) p.limits = new ISpendingLimitHook.LimitConfig[](1);
            else p.limits = new ISpendingLimitHook.LimitConfig[](2);
            for (uint256 i; i < p.limits.length; ++i) {
                p.limits[i] = ISpendingLimitHook.LimitConfig(svm.createUint(95, "amount"), _window());
            }
            return (true, abi.encodeCall(ISpendingLimitHook.setTokenPolicy, (_accountArgument(), p)));
        }
        return (false, "");
    }

    /// @dev A limit's window: one of the configured ones or another (a symbolic window would make
    /// the packed window's bucket arithmetic index memory symbolically).
    function _window() internal returns (uint256) {
        uint256 choice = svm.createUint256("window");
        vm.assume(choice < 3);
        if (choice == 0) return 1 hours;
        if (choice == 1) return 1 days;
        return 2 hours;
    }

    /// @dev Install data of `target`'s own shape (a module refuses a foreign shape while decoding).
    function _installData(address target) internal returns (bytes memory) {
        address authority = svm.createBool("sameAuthority") ? AUTHORITY : OTHER_ACCOUNT;
        if (target == address(mux)) return abi.encode(authority, new address[](0), new bytes[](0));
        if (target == address(spending)) return abi.encode(authority, new ISpendingLimitHook.TokenPolicy[](0));
        if (target == address(automation)) return abi.encode(authority, new IAutomationExecutor.Task[](0));
        if (target == address(allowlist)) {
            return
                abi.encode(authority, IAllowlistHook.Mode.Allow, new IAllowlistHook.Permission[](0), new address[](0));
        }
        return abi.encode(authority, svm.createAddress("guardian"), svm.createUint256("autoUnpauseAfter"));
    }

    /// @dev A sub-hook argument: an installed one or a stranger.
    function _subHook() internal returns (address) {
        return svm.createBool("installedSubHook") ? address(spending) : STRANGER_MODULE;
    }

    /// @dev This account or another (a symbolic address would make every storage key symbolic).
    function _accountArgument() internal returns (address) {
        return svm.createBool("thisAccount") ? address(account) : OTHER_ACCOUNT;
    }

    function check_leash_NoAgentExecutionLoosensAnything() public {
        Snapshot memory before = _snapshot();

        address target = _target(svm.createUint256("target"));
        uint256 value = svm.createUint(96, "value");
        bytes memory data = _calldata(target, svm.createBytes4("selector"));
        // A refused execution reverts, and a revert undoes every change: only executions that ran
        // can have loosened anything.
        if (!_asEntryPoint(_executeSingle(target, value, data))) return;

        assert(_loosened(before, _snapshot()) == 0);
    }
}

/// @notice The full stack: multiplexer -> [pause, spending, allowlist (block mode)], and the executor.
contract LeashFullStackSymbolic is LeashSymbolic {
    function _withAllowlist() internal pure override returns (bool) {
        return true;
    }
}

/// @notice Without the allowlist, whose protection of every Leash module would otherwise refuse
/// the tightening calls before they reach the modules: here they do, and the modules' own
/// only-tighten rules are what the check proves.
contract LeashWithoutAllowlistSymbolic is LeashSymbolic {
    function _withAllowlist() internal pure override returns (bool) {
        return false;
    }
}
