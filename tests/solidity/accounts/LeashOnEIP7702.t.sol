// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {LeashAccountSuite} from "../utils/accounts/LeashAccountSuite.sol";
import {LeashEngineAccountSuite} from "../utils/accounts/LeashEngineAccountSuite.sol";
import {LeashSessionSuite} from "../utils/accounts/LeashSessionSuite.sol";
import {EIP7702Harness} from "../utils/accounts/OpenZeppelinHarness.sol";

/// @dev An existing EOA delegated to LeashEOAAccount with EIP-7702: the multiplexer stack's suite,
/// and what is particular to an EOA.
contract LeashOnEIP7702Test is LeashAccountSuite, EIP7702Harness {
    /// @dev The account is the owner's own address, its code the delegation to LeashEOAAccount.
    function test_eip7702_TheEOAIsTheAccount() public view {
        assertEq(account, owner.addr);
        bytes memory code = account.code;
        assertEq(code.length, 23);
        assertEq(bytes3(code), bytes3(0xef0100), "a delegation designator");
        assertEq(agentValidator.agentOf(account), agent.addr, "the agent's key is the validator's, not the EOA's");
    }

    /// @dev The leash binds the agent, not the EOA's own key: the EOA's own transaction moves what
    /// the agent may not (the EOA's key could also re-delegate). docs/COMPATIBILITY.md says so.
    function test_eip7702_TheEOAsOwnKeyIsNotLeashed() public {
        assertAgentRefused(
            transfer(LIMIT + 1),
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_Exceeded.selector,
                account,
                address(token),
                LIMIT + 1,
                LIMIT,
                type(uint256).max
            )
        );
        vm.prank(owner.addr, owner.addr);
        IERC20(address(token)).transfer(payee, LIMIT + 1);
        assertEq(token.balanceOf(payee), LIMIT + 1);
    }
}

contract EngineOnEIP7702Test is LeashEngineAccountSuite, EIP7702Harness {}

contract SessionsOnEIP7702Test is LeashSessionSuite, EIP7702Harness {}
