// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {LeashAccountSuite} from "../utils/accounts/LeashAccountSuite.sol";
import {LeashEngineAccountSuite} from "../utils/accounts/LeashEngineAccountSuite.sol";
import {LeashSessionSuite} from "../utils/accounts/LeashSessionSuite.sol";
import {SafeHarness} from "../utils/accounts/SafeHarness.sol";
import {MockExecutor} from "../utils/mocks/MockExecutor.sol";

// The account suites on a Safe with the Safe7579 adapter: the multiplexer stack, the policy engine
// and sessions (LeashAccountSuite, LeashEngineAccountSuite, LeashSessionSuite), with what differs
// here. One file per account, so that checking one account compiles only its own suites.

contract LeashOnSafeTest is LeashAccountSuite, SafeHarness {
    /// @dev The adapter's module management, and the Safe's own owner and module management (which
    /// only the Safe itself may call).
    function ownerOnlyCalls() internal view override returns (bytes[] memory) {
        bytes[] memory safes = new bytes[](3);
        safes[0] = abi.encodeWithSignature("addOwnerWithThreshold(address,uint256)", address(0xbad), 1);
        safes[1] = abi.encodeWithSignature("enableModule(address)", address(0xbad));
        safes[2] = abi.encodeWithSignature("setFallbackHandler(address)", address(0xbad));
        return withModuleManagement(safes);
    }

    /// @dev The adapter takes the Safe's calls with an appended sender as calls from that sender.
    function accountAliases() internal view override returns (address[] memory aliases) {
        aliases = new address[](2);
        (aliases[0], aliases[1]) = (address(0), adapter);
    }
}

contract EngineOnSafeTest is LeashEngineAccountSuite, SafeHarness {
    function expectedAccountKind() internal pure override returns (uint8) {
        return 2;
    }

    /// @dev The Safe owners' own transaction reaches the engine as a call of the Safe to itself
    /// with no hooked call around it: a module change passes with the authority's approval, which
    /// it spends, and is refused without one. The agent's own route to the same change (a nested
    /// self-call) is refused with the approval in place (`test_engine_attack_NestedSelfCall...`).
    function test_safe_OwnersTransactionSpendsTheApproval() public {
        MockExecutor executor = new MockExecutor();
        bytes memory install = installExecutorCall(address(executor), "", address(engine));
        assertFalse(ownersTransaction(install), "a module change without the authority's approval");
        assertFalse(IERC7579ModuleConfig(account).isModuleInstalled(2, address(executor), ""));
        vm.prank(authority);
        engine.approveChange(account, keccak256(install));
        assertTrue(ownersTransaction(install), "the owners' approved change was refused");
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(2, address(executor), ""));
        assertFalse(engine.isApproved(account, keccak256(install)), "the approval was not spent");
        assertFalse(engine.approvedChangeInProgress(account), "the change did not end");
        // After an operation through the EntryPoint in the same transaction, the owners' next change
        // still passes: that hooked call has ended.
        ownerDoes(call1(address(target), 0, ping));
        assertTrue(ownersTransaction(approvedExecutorInstall()), "the approved change after the owner's operation");
        // Not after an operation of the agent: its transaction carries no approved change.
        assertAgentPasses(call1(address(target), 0, ping));
        bytes memory installThird = approvedExecutorInstall();
        assertFalse(ownersTransaction(installThird), "the approved change beside the agent's operation");
        assertTrue(engine.isApproved(account, keccak256(installThird)));
    }

    /// @dev The install of a fresh executor, approved by the authority.
    function approvedExecutorInstall() internal returns (bytes memory install) {
        install = installExecutorCall(address(new MockExecutor()), "", address(engine));
        vm.prank(authority);
        engine.approveChange(account, keccak256(install));
    }
}

contract SessionsOnSafeTest is LeashSessionSuite, SafeHarness {}
