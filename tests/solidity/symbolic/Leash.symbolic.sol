// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Module, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {AllowlistHook} from "../../../contracts/allowlist/AllowlistHook.sol";
import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {IAutomationExecutor} from "../../../contracts/interfaces/IAutomationExecutor.sol";
import {IHookMultiPlexer} from "../../../contracts/interfaces/IHookMultiPlexer.sol";
import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {AgentAccountSymbolic} from "./AgentAccountSymbolic.sol";

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
abstract contract LeashSymbolic is AgentAccountSymbolic {
    /// @dev The sub-hooks behind the multiplexer, in order (the allowlist protects every Leash
    /// module, so without it calls to tightening functions reach the modules).
    function _withAllowlist() internal pure virtual returns (bool);

    function setUp() public {
        _newAccount();
        _installExecutor();

        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0] = _nativePolicy();

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

    /// @dev Every configuration an agent could loosen, as read through the modules' own views.
    struct Snapshot {
        Observed o;
        bytes32 subHooks;
        bytes32 tokens;
        bool blockedPairRefused;
        bool moduleProtected;
    }

    function _snapshot() internal view returns (Snapshot memory s) {
        address a = address(account);
        s.o.authorities = keccak256(
            abi.encode(
                mux.authorityOf(a),
                pauseHook.authorityOf(a),
                spending.authorityOf(a),
                automation.authorityOf(a),
                allowlist.authorityOf(a)
            )
        );
        s.subHooks = keccak256(abi.encode(mux.subHooks(a)));
        s.o.modules = _modules(address(mux));
        s.o.pause = keccak256(
            abi.encode(
                pauseHook.isPaused(a),
                pauseHook.pausedUntil(a),
                pauseHook.guardianOf(a),
                pauseHook.autoUnpauseAfterOf(a),
                pauseHook.nextPauseAt(a)
            )
        );
        s.tokens = keccak256(abi.encode(spending.tokensOf(a)));
        (s.o.perTxCap, s.o.limits) = spending.policyOf(a, NATIVE);
        s.o.remaining = spending.remaining(a, NATIVE);
        (s.o.tasks, s.o.taskCount) = _tasks();
        if (_withAllowlist()) {
            s.blockedPairRefused = !allowlist.isCallAllowed(a, BLOCKED_TARGET, abi.encodePacked(BLOCKED_SELECTOR));
            s.moduleProtected = allowlist.isProtected(a, address(automation));
            s.o.mode = allowlist.modeOf(a);
        }
    }

    /// @dev Whether anything loosened from `b` (before) to `a` (after): what either stack may not
    /// loosen (`_observedLoosened`), the sub-hooks, the limited tokens and the allowlist's verdicts.
    function _loosened(Snapshot memory b, Snapshot memory a) internal pure returns (uint256 broken) {
        broken = _observedLoosened(b.o, a.o);
        broken |= _flag(a.subHooks != b.subHooks);
        broken |= _flag(a.tokens != b.tokens);
        broken |= _flag(b.blockedPairRefused && !a.blockedPairRefused);
        broken |= _flag(b.moduleProtected && !a.moduleProtected);
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
        if (target == address(automation)) return _executorCall(selector);
        return abi.encodePacked(
            selector, uint256(uint160(_accountArgument())), svm.createBytes((WORDS - 1) * 32, "arguments")
        );
    }

    /// @dev Every module function with a dynamic argument (halmos needs their offsets concrete):
    /// addresses and numbers symbolic, the account argument this account or another, each
    /// module's install data of its own shape with empty lists, sub-hook changes with empty data,
    /// the allowlist's probes with a symbolic selector; the rest as `_sharedDynamicCall`.
    function _dynamicCall(address target, bytes4 selector) internal returns (bool, bytes memory) {
        if (selector == IERC7579Module.onInstall.selector) {
            return (true, abi.encodeCall(IERC7579Module.onInstall, (_installData(target))));
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
        return _sharedDynamicCall(selector);
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
