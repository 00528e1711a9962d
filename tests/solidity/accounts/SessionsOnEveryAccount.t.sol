// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {KernelHarness} from "../utils/accounts/KernelHarness.sol";
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
contract SessionsOnKernelTest is LeashSessionSuite, KernelHarness {}
