// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MODULE_TYPE_VALIDATOR} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {Vm} from "forge-std/Test.sol";

import {AgentValidator} from "../../../contracts/validator/AgentValidator.sol";

import {LeashTestBase} from "./LeashTestBase.sol";

/// @notice The agent's validator installed by the owner on the real account, and the agent's
/// UserOps through the EntryPoint; each suite installs the hook the agent answers to.
abstract contract AgentValidatorTestBase is LeashTestBase {
    AgentValidator internal validator;
    Vm.Wallet internal agent;

    uint256 internal constant GAS_ALLOWANCE = 1 ether;

    function setUp() public virtual override {
        super.setUp();
        validator = new AgentValidator(address(mux), address(engine), address(pauseHook));
        agent = vm.createWallet("agent");
        (bool ok,) = submit(installModuleCall(MODULE_TYPE_VALIDATOR, address(validator), validatorInit(agent.addr)));
        require(ok, "validator install");
    }

    function validatorInit(address agentKey) internal view returns (bytes memory) {
        return abi.encode(authority, agentKey, GAS_ALLOWANCE);
    }

    /// @dev A UserOp on the validator's nonce key (the OpenZeppelin account reads the validator
    /// from the key's top 20 bytes), signed with `key`.
    function agentOp(bytes memory callData, uint256 key) internal view returns (PackedUserOperation memory op) {
        op = userOp(callData);
        op.nonce = entryPoint.getNonce(address(account), uint192(uint160(address(validator))) << 32);
        signUserOp(op, key);
    }

    function submitAsAgent(bytes memory callData) internal returns (bool, bytes memory) {
        return handleOp(agentOp(callData, agent.privateKey));
    }

    /// @dev The agent's op must be refused at validation with exactly `inner` as the revert.
    function assertValidationReverts(bytes memory callData, bytes memory inner) internal {
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = agentOp(callData, agent.privateKey);
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOpWithRevert.selector, 0, "AA23 reverted", inner));
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
    }
}
