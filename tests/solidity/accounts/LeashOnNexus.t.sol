// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LeashAccountSuite} from "../utils/accounts/LeashAccountSuite.sol";
import {LeashEngineAccountSuite} from "../utils/accounts/LeashEngineAccountSuite.sol";
import {LeashSessionSuite} from "../utils/accounts/LeashSessionSuite.sol";
import {NexusHarness} from "../utils/accounts/NexusHarness.sol";

// The account suites on Nexus: the multiplexer stack, the policy engine and sessions
// (LeashAccountSuite, LeashEngineAccountSuite, LeashSessionSuite), with what differs here. One file
// per account, so that checking one account compiles only its own suites.

contract LeashOnNexusTest is LeashAccountSuite, NexusHarness {
    function ownerOnlyCalls() internal view override returns (bytes[] memory) {
        bytes[] memory upgrade = new bytes[](1);
        upgrade[0] = abi.encodeWithSignature("upgradeToAndCall(address,bytes)", address(0xbad), "");
        return withModuleManagement(upgrade);
    }

    /// @dev Nexus runs its hook before it answers a token receiver callback itself: under Leash it
    /// still answers each of them with its selector (as a token contract calls it).
    function test_nexus_AnswersTokenReceiverCallbacks() public {
        bytes[] memory callbacks = tokenReceiverCallbacks();
        for (uint256 i; i < callbacks.length; ++i) {
            vm.prank(makeAddr("token"));
            (bool ok, bytes memory answer) = account.call(callbacks[i]);
            assertTrue(ok, "the callback was refused");
            assertEq(bytes4(answer), bytes4(callbacks[i]));
        }
    }
}

contract EngineOnNexusTest is LeashEngineAccountSuite, NexusHarness {}

contract SessionsOnNexusTest is LeashSessionSuite, NexusHarness {}
