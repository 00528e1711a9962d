// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPolicyEngine} from "../../../contracts/interfaces/IPolicyEngine.sol";
import {KernelLeash} from "../utils/accounts/KernelLeash.sol";
import {LeashAccountBase} from "../utils/accounts/LeashAccountSuite.sol";
import {LeashEngineAccountBase} from "../utils/accounts/LeashEngineAccountSuite.sol";
import {LeashSessionSuite} from "../utils/accounts/LeashSessionSuite.sol";
import {NexusHarness} from "../utils/accounts/NexusHarness.sol";
import {OpenZeppelinHarness} from "../utils/accounts/OpenZeppelinHarness.sol";
import {ReferenceHarness} from "../utils/accounts/ReferenceHarness.sol";
import {SafeHarness} from "../utils/accounts/SafeHarness.sol";

contract SessionsOnOpenZeppelinTest is LeashSessionSuite, OpenZeppelinHarness {}

contract SessionsOnNexusTest is LeashSessionSuite, NexusHarness {}

contract SessionsOnReferenceAccountTest is LeashSessionSuite, ReferenceHarness {}

contract SessionsOnSafeTest is LeashSessionSuite, SafeHarness {}

/// @dev Kernel carries the engine on the agent's validation, named in the engine's install data.
contract SessionsOnKernelTest is LeashSessionSuite, KernelLeash {
    function setUp() public override(LeashAccountBase, LeashSessionSuite) {
        LeashSessionSuite.setUp();
    }

    function engineConfig() internal view override returns (IPolicyEngine.Config memory config) {
        config = super.engineConfig();
        config.validationId = agentValidation();
    }

    function installLeash() internal override(LeashAccountBase, LeashEngineAccountBase) {
        ownerDoes(installAgentValidatorCall(address(engine), engineInit()));
    }

    function leashHook() internal view override(LeashAccountBase, LeashEngineAccountBase) returns (address) {
        return address(engine);
    }
}
