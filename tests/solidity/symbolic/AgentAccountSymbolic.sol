// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {ERC7579Utils, ModePayload, ModeSelector} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {
    IERC7579Execution,
    IERC7579Hook,
    IERC7579Module,
    MODULE_TYPE_EXECUTOR,
    MODULE_TYPE_HOOK,
    MODULE_TYPE_VALIDATOR
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {IAutomationExecutor} from "../../../contracts/interfaces/IAutomationExecutor.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {LeashDeployment} from "../utils/LeashDeployment.sol";
import {LeashTestAccount} from "../utils/LeashTestAccount.sol";
import {SymbolicBase} from "./SymbolicVM.sol";

/// @dev What the checks of one agent execution share, whichever hook judges it (the multiplexer
/// stack in `Leash.symbolic.sol`, the policy engine in `PolicyEngine.symbolic.sol`): the
/// OpenZeppelin account with the executor and its one task, the agent's call as the EntryPoint
/// makes it, the native coin's policy, what is observed of the account and the executor, and the
/// symbolic arguments given to the functions both stacks have. The modules are deployed as for
/// every test bed (`LeashDeployment`); each check installs the ones it judges.
abstract contract AgentAccountSymbolic is LeashDeployment, SymbolicBase {
    LeashTestAccount internal account;

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
    // The native coin's policy: 10 ether an hour, 50 a day, at most 5 per transaction.
    uint256 internal constant CAP = 5 ether;
    uint256 internal constant HOURLY = 10 ether;
    uint256 internal constant DAILY = 50 ether;

    // ------------------------------------------------------------------ set-up

    /// @dev The owner's account, funded, at a fixed time, and the Leash modules.
    function _newAccount() internal {
        vm.warp(1_000_000);
        account = new LeashTestAccount(OWNER);
        vm.deal(address(account), 1000 ether);
        deployLeash();
    }

    /// @dev The one task: the keeper sends 1 ether to an outside address, at most once an hour.
    function _storedTask() internal pure returns (IAutomationExecutor.Task memory) {
        return IAutomationExecutor.Task(TASK_ID, KEEPER, OUTSIDER, 1 ether, "", 1 hours, 0, 0, 0);
    }

    /// @dev The owner installs `automation` with the one task.
    function _installExecutor() internal {
        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](1);
        tasks[0] = _storedTask();
        require(
            _asEntryPoint(
                abi.encodeCall(
                    account.installModule, (MODULE_TYPE_EXECUTOR, address(automation), abi.encode(AUTHORITY, tasks))
                )
            )
        );
    }

    function _nativePolicy() internal pure returns (ISpendingLimitHook.TokenPolicy memory p) {
        p.token = NATIVE;
        p.perTxCap = CAP;
        p.limits = new ISpendingLimitHook.LimitConfig[](2);
        p.limits[0] = ISpendingLimitHook.LimitConfig(HOURLY, 1 hours);
        p.limits[1] = ISpendingLimitHook.LimitConfig(DAILY, 1 days);
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

    // ------------------------------------------------------------------ what is observed

    /// @dev Which modules the account lists: `hook`, the executor, and a stranger of each type.
    function _modules(address hook) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                account.isModuleInstalled(MODULE_TYPE_HOOK, hook, ""),
                account.isModuleInstalled(MODULE_TYPE_EXECUTOR, address(automation), ""),
                account.isModuleInstalled(MODULE_TYPE_HOOK, STRANGER_MODULE, ""),
                account.isModuleInstalled(MODULE_TYPE_EXECUTOR, STRANGER_MODULE, ""),
                account.isModuleInstalled(MODULE_TYPE_VALIDATOR, STRANGER_MODULE, "")
            )
        );
    }

    /// @dev The executor's record of the account: its task ids and the one task's state.
    function _tasks() internal view returns (bytes32 state, uint256 count) {
        (address caller, bytes32 hash, uint256 executions, uint256 lastRunAt) =
            automation.taskOf(address(account), TASK_ID);
        uint256[] memory ids = automation.taskIds(address(account));
        return (keccak256(abi.encode(ids, caller, hash, executions, lastRunAt)), ids.length);
    }

    /// @dev What is observed of either stack: every authority, the modules the account lists, the
    /// pause setting, the native coin's policy and headroom, the executor's task, the allowlist's mode.
    struct Observed {
        bytes32 authorities;
        bytes32 modules;
        bytes32 pause;
        uint256 perTxCap;
        ISpendingLimitHook.LimitConfig[] limits;
        uint256 remaining;
        bytes32 tasks;
        uint256 taskCount;
        IAllowlistHook.Mode mode;
    }

    /// @dev Whether any of it loosened from `b` (before) to `a` (after). Tasks may only disappear,
    /// the limits only tighten as `setTokenPolicy` allows, headroom only shrink.
    function _observedLoosened(Observed memory b, Observed memory a) internal pure returns (uint256 broken) {
        broken |= _flag(a.authorities != b.authorities);
        broken |= _flag(a.modules != b.modules);
        broken |= _flag(a.pause != b.pause);
        broken |= _spendingLoosened(b.perTxCap, b.limits, a.perTxCap, a.limits);
        broken |= _flag(a.remaining > b.remaining);
        broken |= _flag(a.tasks != b.tasks && a.taskCount != 0); // the one task unchanged, or removed
        broken |= _flag(a.mode != b.mode);
    }

    function _flag(bool b) internal pure returns (uint256 f) {
        assembly ("memory-safe") {
            f := b
        }
    }

    /// @dev Whether a spending policy loosened from (`capBefore`, `before`) to (`capAfter`, `after_`):
    /// only the tightening `setTokenPolicy` allows may happen (same windows, no larger amounts or cap).
    function _spendingLoosened(
        uint256 capBefore,
        ISpendingLimitHook.LimitConfig[] memory before,
        uint256 capAfter,
        ISpendingLimitHook.LimitConfig[] memory after_
    ) internal pure returns (uint256 broken) {
        broken |= _flag(capBefore != 0 && (capAfter == 0 || capAfter > capBefore));
        broken |= _flag(after_.length != before.length);
        for (uint256 i; i < after_.length && i < before.length; ++i) {
            broken |= _flag(after_[i].window != before[i].window || after_[i].amount > before[i].amount);
        }
    }

    // ------------------------------------------------------------------ symbolic arguments

    /// @dev This account or another (a symbolic address would make every storage key symbolic).
    function _accountArgument() internal returns (address) {
        return svm.createBool("thisAccount") ? address(account) : OTHER_ACCOUNT;
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

    /// @dev A static-argument function of the executor: the account argument, the task's id or an
    /// unknown one (a symbolic id would make the stored task symbolic), and a symbolic word. Its
    /// functions that take no id are the authority's own, refused to the account whatever their
    /// arguments (running a task takes the task whole: `_sharedDynamicCall`).
    function _executorCall(bytes4 selector) internal returns (bytes memory) {
        uint256 id = svm.createBool("knownTask") ? TASK_ID : TASK_ID + 1;
        return abi.encodePacked(selector, uint256(uint160(_accountArgument())), id, svm.createUint256("argument"));
    }

    /// @dev The functions with dynamic arguments that both stacks have (halmos needs their offsets
    /// concrete): canonical encodings with symbolic values, the account argument this account or
    /// another; `preCheck` of a single call, `postCheck` with one symbolic byte, the stored task as
    /// it is (its hash matches: only the keeper may run it), a new task of symbolic id, caller and
    /// value, `setTokenPolicy` with 0 to 2 limits of any amount up to 2^95 - 1 over one of three
    /// windows. Returns false for any other selector.
    function _sharedDynamicCall(bytes4 selector) internal returns (bool, bytes memory) {
        if (selector == IERC7579Module.onUninstall.selector) {
            return (true, abi.encodeCall(IERC7579Module.onUninstall, ("")));
        }
        if (selector == IERC7579Hook.preCheck.selector) {
            bytes memory inner = _executeSingle(svm.createAddress("hookTarget"), svm.createUint(96, "hookValue"), "");
            return (true, abi.encodeCall(IERC7579Hook.preCheck, (svm.createAddress("msgSender"), 0, inner)));
        }
        if (selector == IERC7579Hook.postCheck.selector) {
            return (true, abi.encodeCall(IERC7579Hook.postCheck, (svm.createBytes(1, "hookData"))));
        }
        if (selector == IAutomationExecutor.executeTask.selector || selector == IAutomationExecutor.canRun.selector) {
            return (true, abi.encodeWithSelector(selector, _accountArgument(), _storedTask()));
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
            // Concrete lengths: a symbolic one would make memory offsets symbolic.
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
}
