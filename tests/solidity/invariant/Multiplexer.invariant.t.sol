// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {MODULE_TYPE_EXECUTOR, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {HookMultiPlexer} from "../../../contracts/multiplexer/HookMultiPlexer.sol";

import {InvariantBase} from "../utils/InvariantBase.sol";
import {LeashTestAccount} from "../utils/LeashTestAccount.sol";
import {MaxValueSubHook} from "../utils/mocks/MaxValueSubHook.sol";
import {MockExecutor} from "../utils/mocks/MockExecutor.sol";
import {Target} from "../utils/mocks/Target.sol";

/// @dev The authority adds and removes sub-hooks; the agent, through the account, tries to do the
/// same, to uninstall the multiplexer or install an executor, alone and hidden in batches, and
/// runs ordinary calls. A ghost list predicts the sub-hooks in order.
contract MultiplexerHandler is Test {
    uint256 internal constant POOL = 10; // more than the multiplexer's cap of 8

    LeashTestAccount internal account;
    HookMultiPlexer internal mux;
    address internal authority;
    Target internal target;
    MockExecutor internal executor;
    MaxValueSubHook[POOL] internal pool;

    address[] internal ghost;
    uint256 public agentChanges; // changes the agent got through: must stay zero
    uint256 public refusedAuthorityChanges; // valid changes the authority was refused: must stay zero
    uint256 public refusedCalls; // ordinary calls refused: must stay zero
    uint256 public authorityChanges;

    constructor(LeashTestAccount a, HookMultiPlexer m, address au) {
        (account, mux, authority) = (a, m, au);
        target = new Target();
        executor = new MockExecutor();
        for (uint256 i; i < POOL; ++i) {
            pool[i] = new MaxValueSubHook(address(m));
        }
    }

    function executorModule() external view returns (address) {
        return address(executor);
    }

    function ghostList() external view returns (address[] memory) {
        return ghost;
    }

    function _listed(address hook) internal view returns (bool) {
        for (uint256 i; i < ghost.length; ++i) {
            if (ghost[i] == hook) return true;
        }
        return false;
    }

    function _execute(bytes memory executionCalldata, bytes32 mode) internal returns (bool ok) {
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        try account.execute(mode, executionCalldata) {
            ok = true;
        } catch {}
    }

    function authorityAdd(uint256 k) external {
        address hook = address(pool[k % POOL]);
        bool valid = ghost.length < 8 && !_listed(hook);
        vm.prank(authority);
        try mux.addSubHook(address(account), hook, abi.encode(uint256(1 ether))) {
            ghost.push(hook);
            ++authorityChanges;
        } catch {
            if (valid) ++refusedAuthorityChanges;
        }
    }

    function authorityRemove(uint256 k) external {
        if (ghost.length == 0) return;
        uint256 i = k % ghost.length;
        vm.prank(authority);
        try mux.removeSubHook(address(account), ghost[i], "") {
            for (; i + 1 < ghost.length; ++i) {
                ghost[i] = ghost[i + 1];
            }
            ghost.pop();
            ++authorityChanges;
        } catch {
            ++refusedAuthorityChanges;
        }
    }

    function agentAdd(uint256 k) external {
        bytes memory data = abi.encodeCall(
            HookMultiPlexer.addSubHook, (address(account), address(pool[k % POOL]), abi.encode(uint256(1 ether)))
        );
        if (_execute(abi.encodePacked(address(mux), uint256(0), data), bytes32(0))) ++agentChanges;
    }

    function agentRemove(uint256 k) external {
        if (ghost.length == 0) return;
        bytes memory data =
            abi.encodeCall(HookMultiPlexer.removeSubHook, (address(account), ghost[k % ghost.length], ""));
        if (_execute(abi.encodePacked(address(mux), uint256(0), data), bytes32(0))) ++agentChanges;
    }

    /// The change hidden behind an ordinary call in a batch.
    function agentBatch(uint256 k, bool remove) external {
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(address(target), 0, abi.encodeCall(Target.ping, ()));
        bytes memory change = remove && ghost.length != 0
            ? abi.encodeCall(HookMultiPlexer.removeSubHook, (address(account), ghost[k % ghost.length], ""))
            : abi.encodeCall(
                HookMultiPlexer.addSubHook, (address(account), address(pool[k % POOL]), abi.encode(uint256(1 ether)))
            );
        items[1] = Execution(address(mux), 0, change);
        if (_execute(abi.encode(items), bytes32(uint256(1) << 248))) ++agentChanges;
    }

    /// Module management through the account's own entry points, as a UserOp would reach them.
    function agentModuleManagement(bool install) external {
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        if (install) {
            try account.installModule(MODULE_TYPE_EXECUTOR, address(executor), "") {
                ++agentChanges;
            } catch {}
        } else {
            try account.uninstallModule(MODULE_TYPE_HOOK, address(mux), "") {
                ++agentChanges;
            } catch {}
        }
    }

    /// The same, as a call the account makes to itself.
    function agentSelfCall(bool install) external {
        bytes memory data = install
            ? abi.encodeCall(account.installModule, (MODULE_TYPE_EXECUTOR, address(executor), ""))
            : abi.encodeCall(account.uninstallModule, (MODULE_TYPE_HOOK, address(mux), ""));
        if (_execute(abi.encodePacked(address(account), uint256(0), data), bytes32(0))) ++agentChanges;
    }

    function agentCall() external {
        if (!_execute(abi.encodePacked(address(target), uint256(0), abi.encodeCall(Target.ping, ())), bytes32(0))) {
            ++refusedCalls;
        }
    }
}

contract MultiplexerInvariantTest is InvariantBase {
    MultiplexerHandler internal handler;
    HookMultiPlexer internal mux;
    LeashTestAccount internal account;

    function setUp() public {
        mux = new HookMultiPlexer();
        account =
            newAccountWith(MODULE_TYPE_HOOK, address(mux), abi.encode(address(0xA0), new address[](0), new bytes[](0)));
        handler = new MultiplexerHandler(account, mux, address(0xA0));
        bytes4[] memory actions = new bytes4[](8);
        actions[0] = MultiplexerHandler.authorityAdd.selector;
        actions[1] = MultiplexerHandler.authorityRemove.selector;
        actions[2] = MultiplexerHandler.agentAdd.selector;
        actions[3] = MultiplexerHandler.agentRemove.selector;
        actions[4] = MultiplexerHandler.agentBatch.selector;
        actions[5] = MultiplexerHandler.agentModuleManagement.selector;
        actions[6] = MultiplexerHandler.agentSelfCall.selector;
        actions[7] = MultiplexerHandler.agentCall.selector;
        targetActions(address(handler), actions);
    }

    /// The sub-hook list is exactly what the authority's changes made it, in order.
    function invariant_SubHooksAreTheAuthoritys() public view {
        assertEq(mux.subHooks(address(account)), handler.ghostList());
    }

    /// No agent path (a call to the multiplexer, alone or in a batch, module management, a
    /// self-call) changes the sub-hooks or the account's modules.
    function invariant_AgentChangesNothing() public view {
        assertEq(handler.agentChanges(), 0, "an agent's change went through");
        assertTrue(account.isModuleInstalled(MODULE_TYPE_HOOK, address(mux), ""), "the multiplexer was removed");
        assertFalse(
            account.isModuleInstalled(MODULE_TYPE_EXECUTOR, handler.executorModule(), ""), "an executor was installed"
        );
    }

    /// The authority's valid changes always go through, and ordinary calls are never refused.
    function invariant_NobodyIsBricked() public view {
        assertEq(handler.refusedAuthorityChanges(), 0, "a valid change by the authority was refused");
        assertEq(handler.refusedCalls(), 0, "an ordinary call was refused");
    }

    /// At most eight sub-hooks, none twice, each one reported as a sub-hook.
    function invariant_BoundedAndDistinct() public view {
        address[] memory hooks = mux.subHooks(address(account));
        assertLe(hooks.length, 8);
        for (uint256 i; i < hooks.length; ++i) {
            assertTrue(mux.isSubHook(address(account), hooks[i]));
            for (uint256 j = i + 1; j < hooks.length; ++j) {
                assertTrue(hooks[i] != hooks[j], "a sub-hook is listed twice");
            }
        }
    }
}
