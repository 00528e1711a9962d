// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LeashAccountSuite} from "../utils/accounts/LeashAccountSuite.sol";
import {LeashEngineAccountSuite} from "../utils/accounts/LeashEngineAccountSuite.sol";
import {LeashSessionSuite} from "../utils/accounts/LeashSessionSuite.sol";
import {ReferenceHarness} from "../utils/accounts/ReferenceHarness.sol";

// The account suites on the ERC-7579 reference account: the multiplexer stack, the policy engine
// and sessions (LeashAccountSuite, LeashEngineAccountSuite, LeashSessionSuite), with what differs
// here. One file per account, so that checking one account compiles only its own suites.

contract LeashOnReferenceAccountTest is LeashAccountSuite, ReferenceHarness {}

contract EngineOnReferenceAccountTest is LeashEngineAccountSuite, ReferenceHarness {}

contract SessionsOnReferenceAccountTest is LeashSessionSuite, ReferenceHarness {}
