// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LeashAccountSuite} from "../utils/accounts/LeashAccountSuite.sol";
import {LeashEngineAccountSuite} from "../utils/accounts/LeashEngineAccountSuite.sol";
import {LeashSessionSuite} from "../utils/accounts/LeashSessionSuite.sol";
import {OpenZeppelinHarness} from "../utils/accounts/OpenZeppelinHarness.sol";

// The account suites on OpenZeppelin's AccountERC7579Hooked: the multiplexer stack, the policy
// engine and sessions (LeashAccountSuite, LeashEngineAccountSuite, LeashSessionSuite). One file per
// account, so that checking one account compiles only its own suites.

contract LeashOnOpenZeppelinTest is LeashAccountSuite, OpenZeppelinHarness {}

contract EngineOnOpenZeppelinTest is LeashEngineAccountSuite, OpenZeppelinHarness {}

contract SessionsOnOpenZeppelinTest is LeashSessionSuite, OpenZeppelinHarness {}
