// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    IERC7579Execution,
    IERC7579ModuleConfig,
    MODULE_TYPE_EXECUTOR,
    MODULE_TYPE_HOOK,
    MODULE_TYPE_VALIDATOR
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {Vm} from "forge-std/Test.sol";

import {IAgentValidator} from "../../../../contracts/interfaces/IAgentValidator.sol";
import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {ExecutionDecoder} from "../../../../contracts/libraries/ExecutionDecoder.sol";
import {AgentValidator} from "../../../../contracts/validator/AgentValidator.sol";

import {AgentValidatorTestBase} from "../../utils/AgentValidatorTestBase.sol";
import {Target} from "../../utils/mocks/Target.sol";

/// @notice AgentValidator on the OpenZeppelin account, through the real EntryPoint v0.8: the
/// agent's key signs executions the hook sees, and nothing else.
contract AgentValidatorTest is AgentValidatorTestBase {
    function setUp() public override {
        super.setUp();
        // After the agent's validator, the owner installs the leash (block mode, nothing listed).
        installMux(stackInit(IAllowlistHook.Mode.Block, new IAllowlistHook.Permission[](0)));
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The agent's op paying `maxFee` wei per gas (priority fee the same).
    function agentOpWithFee(bytes memory callData, uint256 maxFee)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op = userOp(callData);
        op.nonce = entryPoint.getNonce(address(account), uint192(uint160(address(validator))) << 32);
        op.gasFees = bytes32((maxFee << 128) | maxFee);
        signUserOp(op, agent.privateKey);
    }

    function maxCost(PackedUserOperation memory op) internal pure returns (uint256) {
        return (VERIFICATION_GAS + CALL_GAS + op.preVerificationGas) * uint128(uint256(op.gasFees));
    }

    function assertSignatureFails(PackedUserOperation memory op) internal {
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA24 signature error"));
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
    }

    function notAllowed(bytes4 selector) internal view returns (bytes memory) {
        return
            abi.encodeWithSelector(IAgentValidator.AgentValidator_CallNotAllowed.selector, address(account), selector);
    }

    function targetNotAllowed(address to) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IAgentValidator.AgentValidator_TargetNotAllowed.selector, address(account), to);
    }

    // ------------------------------------------------------------------ the agent's executions

    function test_validateUserOp_AgentExecutionPasses() public {
        (bool ok, bytes memory reason) = submitAsAgent(call1(address(target), ping));
        assertTrue(ok, string(reason));
        assertEq(target.pings(), 1);
    }

    function test_validateUserOp_AgentBatchPasses() public {
        (bool ok,) = submitAsAgent(batchOf(address(target), ping, address(other), ping));
        assertTrue(ok);
        assertEq(target.pings() + other.pings(), 2);
    }

    function test_validateUserOp_AgentStillMeetsThePolicies() public {
        vm.prank(authority);
        allowlist.addPermission(address(account), address(target), Target.ping.selector);
        (bool ok, bytes memory reason) = submitAsAgent(call1(address(target), ping));
        assertFalse(ok);
        assertEq(reason, callBlocked(address(target), Target.ping.selector));
        assertEq(target.pings(), 0);
    }

    function test_validateUserOp_FailsForAnotherKey() public {
        Vm.Wallet memory stranger = vm.createWallet("stranger");
        assertSignatureFails(agentOp(call1(address(target), ping), stranger.privateKey));
    }

    function test_validateUserOp_FailsForTheOwnersKeyOnTheAgentsValidator() public {
        assertSignatureFails(agentOp(call1(address(target), ping), owner.privateKey));
    }

    function test_validateUserOp_FailsForMalformedSignature() public {
        PackedUserOperation memory op = agentOp(call1(address(target), ping), agent.privateKey);
        op.signature = bytes.concat(op.signature, hex"00");
        assertSignatureFails(op);
    }

    function test_validateUserOp_ExecuteUserOpWrappingIsAccepted() public {
        PackedUserOperation memory op = agentOp(call1(address(target), ping), agent.privateKey);
        op.callData = bytes.concat(ExecutionDecoder.EXECUTE_USER_OP, op.callData);
        assertEq(validateAs(address(account), op, keccak256("op")), 1, "signature over another hash fails");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(agent.privateKey, keccak256("op"));
        op.signature = abi.encodePacked(r, s, v);
        assertEq(validateAs(address(account), op, keccak256("op")), 0);
    }

    function test_validateUserOp_RevertWhen_SenderIsAnotherAccount() public {
        PackedUserOperation memory op = agentOp(call1(address(target), ping), agent.privateKey);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentValidator.AgentValidator_SenderMismatch.selector, makeAddr("otherAccount"), address(account)
            )
        );
        this.validateAs(makeAddr("otherAccount"), op, bytes32(0));
    }

    // ------------------------------------------------------------------ attacks: what the agent may never sign

    function test_attack_AgentSignsInstallModule() public {
        assertValidationReverts(
            installModuleCall(MODULE_TYPE_EXECUTOR, makeAddr("evil"), ""), notAllowed(ExecutionDecoder.INSTALL_MODULE)
        );
    }

    function test_attack_AgentSignsUninstallModule() public {
        bytes memory call = uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), "");
        assertValidationReverts(call, notAllowed(bytes4(call)));
    }

    function test_attack_AgentSignsUninstallOfItsOwnValidator() public {
        bytes memory call = uninstallModuleCall(MODULE_TYPE_VALIDATOR, address(validator), "");
        assertValidationReverts(call, notAllowed(bytes4(call)));
    }

    function test_attack_AgentSignsExecuteFromExecutor() public {
        bytes memory call = bytes.concat(ExecutionDecoder.EXECUTE_FROM_EXECUTOR, slice(call1(address(target), ping), 4));
        assertValidationReverts(call, notAllowed(ExecutionDecoder.EXECUTE_FROM_EXECUTOR));
    }

    function test_attack_AgentWrapsModuleManagementInExecuteUserOp() public {
        bytes memory call =
            bytes.concat(ExecutionDecoder.EXECUTE_USER_OP, uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), ""));
        // The refusal names the wrapped call, not the wrapper.
        assertValidationReverts(call, notAllowed(IERC7579ModuleConfig.uninstallModule.selector));
    }

    function test_attack_AgentCallsTheValidatorItself() public {
        address newAgent = makeAddr("agent2");
        assertValidationReverts(
            call1(address(validator), abi.encodeCall(IAgentValidator.setAgent, (address(account), newAgent))),
            targetNotAllowed(address(validator))
        );
        assertEq(validator.agentOf(address(account)), agent.addr);
    }

    function test_attack_AgentNestsASelfCallToModuleManagement() public {
        assertValidationReverts(
            call1(address(account), uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), "")),
            targetNotAllowed(address(account))
        );
    }

    function test_attack_AgentHidesASelfCallInABatch() public {
        assertValidationReverts(
            batchOf(address(target), ping, address(account), uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), "")),
            targetNotAllowed(address(account))
        );
    }

    function test_attack_AgentSignsNonCanonicalExecute() public {
        bytes memory call = bytes.concat(call1(address(target), ping), hex"00");
        assertValidationReverts(
            call, abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector, call.length - 4)
        );
    }

    function test_attack_AgentSignsDelegatecallMode() public {
        bytes memory call = abi.encodeCall(
            IERC7579Execution.execute, (bytes32(bytes1(0xff)), abi.encodePacked(address(target), uint256(0), ping))
        );
        assertValidationReverts(
            call, abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_UnsupportedCallType.selector, bytes1(0xff))
        );
    }

    function test_attack_AgentSignsAFallbackCall() public {
        assertValidationReverts(hex"deadbeef", notAllowed(0xdeadbeef));
    }

    function test_attack_AgentSignsForERC1271() public view {
        bytes32 hash = keccak256("permit");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(agent.privateKey, hash);
        bytes memory signature = abi.encodePacked(address(validator), r, s, v);
        assertTrue(account.isValidSignature(hash, signature) != bytes4(0x1626ba7e), "ERC-1271 refused");
        assertEq(
            validator.isValidSignatureWithSender(address(this), hash, abi.encodePacked(r, s, v)), bytes4(0xffffffff)
        );
    }

    function test_validateUserOp_RevertWhen_LeashUninstalled() public {
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_HOOK, address(mux), "");
        approveAtMux(uninstall);
        (bool ok,) = submit(uninstall);
        assertTrue(ok);
        assertValidationReverts(
            call1(address(target), ping),
            abi.encodeWithSelector(IAgentValidator.AgentValidator_LeashNotInstalled.selector, address(account))
        );
    }

    // ------------------------------------------------------------------ gas the agent makes the account pay

    function test_validateUserOp_ChargesTheMaximumCostToTheAllowance() public {
        PackedUserOperation memory op = agentOpWithFee(call1(address(target), ping), 1 gwei);
        uint256 cost = maxCost(op);
        assertGt(cost, 0);
        (bool ok,) = handleOp(op);
        assertTrue(ok);
        assertEq(validator.gasAllowanceOf(address(account)), GAS_ALLOWANCE - cost);
    }

    /// @dev The agent bundles its own UserOp with a huge fee, naming itself the beneficiary: the
    /// account would pay the agent through gas, which no hook sees.
    function test_attack_AgentPaysItselfThroughGasFees() public {
        PackedUserOperation memory op = agentOpWithFee(call1(address(target), ping), 1000 gwei);
        uint256 cost = maxCost(op);
        assertGt(cost, GAS_ALLOWANCE);
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        uint256 balanceBefore = address(account).balance;
        vm.expectRevert(
            abi.encodeWithSelector(
                IEntryPoint.FailedOpWithRevert.selector,
                0,
                "AA23 reverted",
                abi.encodeWithSelector(
                    IAgentValidator.AgentValidator_GasAllowanceExceeded.selector, address(account), cost, GAS_ALLOWANCE
                )
            )
        );
        vm.prank(agent.addr, agent.addr);
        entryPoint.handleOps(ops, payable(agent.addr));
        assertEq(address(account).balance, balanceBefore);
        assertEq(agent.addr.balance, 0);
    }

    /// @dev What the validator answers the account for `op` (the EntryPoint's struct, encoded by hand).
    function validationData(PackedUserOperation memory op, bytes32 hash) internal returns (uint256) {
        vm.prank(address(account));
        (bool answered, bytes memory data) =
            address(validator).call(abi.encodeWithSelector(validator.validateUserOp.selector, op, hash));
        assertTrue(answered, "validateUserOp reverted");
        return abi.decode(data, (uint256));
    }

    /// @dev Attack: while the guardian has the account paused, the agent keeps submitting
    /// operations. Behind the multiplexer too they are valid only from the pause hook's end: the
    /// EntryPoint refuses them before validation charges the gas allowance or the account pays.
    function test_attack_PausedAgentCannotSpendTheAccountsGas() public {
        pauseAsGuardian();
        uint256 until = pauseHook.pausedUntil(address(account));
        PackedUserOperation memory op = agentOp(call1(address(target), ping), agent.privateKey);
        bytes32 hash = entryPoint.getUserOpHash(op);
        assertEq(validationData(op, hash), (until - 1) << 208, "valid only from the pause's end");
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        uint256 balance = address(account).balance;
        uint256 allowance = validator.gasAllowanceOf(address(account));
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA22 expired or not due"));
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
        assertEq(address(account).balance, balance, "the account paid nothing");
        assertEq(validator.gasAllowanceOf(address(account)), allowance, "the allowance was not charged");
        // The guardian's unpause makes the agent's operations valid again at once.
        vm.prank(guardian);
        pauseHook.unpause(address(account));
        (bool ok,) = submitAsAgent(call1(address(target), ping));
        assertTrue(ok, "valid again after the unpause");
    }

    function test_validateUserOp_NoPauseRestrictsNothing() public {
        PackedUserOperation memory op = agentOp(call1(address(target), ping), agent.privateKey);
        bytes32 hash = entryPoint.getUserOpHash(op);
        assertEq(validationData(op, hash), 0);
        assertEq(validator.PAUSE_HOOK(), address(pauseHook));
    }

    function test_setGasAllowance_AuthorityRefills() public {
        PackedUserOperation memory op = agentOpWithFee(call1(address(target), ping), 1000 gwei);
        vm.prank(authority);
        validator.setGasAllowance(address(account), maxCost(op));
        (bool ok,) = handleOp(op);
        assertTrue(ok);
        assertEq(validator.gasAllowanceOf(address(account)), 0);
        vm.prank(agent.addr);
        vm.expectRevert(
            abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, address(account), agent.addr, authority)
        );
        validator.setGasAllowance(address(account), 1 ether);
    }

    function test_setGasAllowance_RevertWhen_TooLarge() public {
        vm.prank(authority);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentValidator.AgentValidator_GasAllowanceTooLarge.selector, uint256(1) << 96)
        );
        validator.setGasAllowance(address(account), uint256(1) << 96);
    }

    // ------------------------------------------------------------------ the authority

    function test_setAgent_AuthorityRotatesTheKey() public {
        Vm.Wallet memory next = vm.createWallet("agent2");
        vm.expectEmit(address(validator));
        emit IAgentValidator.AgentSet(address(account), next.addr);
        vm.prank(authority);
        validator.setAgent(address(account), next.addr);
        assertSignatureFails(agentOp(call1(address(target), ping), agent.privateKey));
        (bool ok,) = handleOp(agentOp(call1(address(target), ping), next.privateKey));
        assertTrue(ok);
    }

    function test_revokeAgent_NoSignatureValidates() public {
        vm.prank(authority);
        validator.revokeAgent(address(account));
        assertEq(validator.agentOf(address(account)), address(0));
        assertSignatureFails(agentOp(call1(address(target), ping), agent.privateKey));
    }

    function test_setAgent_RevertWhen_AgentOrStranger() public {
        for (uint256 i; i < 2; ++i) {
            address caller = i == 0 ? agent.addr : makeAddr("stranger");
            vm.prank(caller);
            vm.expectRevert(
                abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, address(account), caller, authority)
            );
            validator.setAgent(address(account), caller);
        }
    }

    /// @dev The agent's key never reaches the validator (see the attack above); the owner's own
    /// operations cannot rotate the key either: only the authority's own key does.
    function test_setAgent_RevertWhen_ThroughTheAccount() public {
        address next = makeAddr("agent2");
        bytes memory call =
            call1(address(validator), abi.encodeCall(IAgentValidator.setAgent, (address(account), next)));
        (bool ok, bytes memory reason) = submit(call);
        assertFalse(ok, "the owner's call through the account is refused");
        assertEq(
            reason,
            abi.encodeWithSelector(
                ILeashModule.Leash_OnlyAuthority.selector, address(account), address(account), authority
            )
        );
        assertEq(validator.agentOf(address(account)), agent.addr);
    }

    function test_setAgent_RevertWhen_InvalidAgent() public {
        address[3] memory bad = [address(0), address(account), authority];
        for (uint256 i; i < 3; ++i) {
            vm.prank(authority);
            vm.expectRevert(
                abi.encodeWithSelector(IAgentValidator.AgentValidator_InvalidAgent.selector, address(account), bad[i])
            );
            validator.setAgent(address(account), bad[i]);
        }
    }

    function test_onInstall_RevertWhen_AgentIsAnOwner() public {
        OwnedAccount safeLike = new OwnedAccount(agent.addr);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentValidator.AgentValidator_AgentIsOwner.selector, address(safeLike), agent.addr)
        );
        safeLike.install(validator, validatorInit(agent.addr));
        safeLike.install(validator, validatorInit(makeAddr("notAnOwner")));
        assertEq(validator.agentOf(address(safeLike)), makeAddr("notAnOwner"));
    }

    function test_onInstall_RevertWhen_CalledDirectly() public {
        vm.prank(makeAddr("someone"));
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, makeAddr("someone")));
        validator.onInstall(validatorInit(agent.addr));
    }

    function test_reinstall_StartsClean() public {
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_VALIDATOR, address(validator), "");
        approveAtMux(uninstall);
        (bool ok,) = submit(uninstall);
        assertTrue(ok);
        assertEq(validator.agentOf(address(account)), address(0));
        assertEq(validator.authorityOf(address(account)), address(0));
        Vm.Wallet memory next = vm.createWallet("agent2");
        bytes memory install = installModuleCall(MODULE_TYPE_VALIDATOR, address(validator), validatorInit(next.addr));
        approveAtMux(install);
        (ok,) = submit(install);
        assertTrue(ok);
        assertSignatureFails(agentOp(call1(address(target), ping), agent.privateKey));
        (ok,) = handleOp(agentOp(call1(address(target), ping), next.privateKey));
        assertTrue(ok);
    }

    function test_isModuleType_ValidatorOnly() public view {
        assertTrue(validator.isModuleType(MODULE_TYPE_VALIDATOR));
        assertFalse(validator.isModuleType(MODULE_TYPE_HOOK));
        assertTrue(validator.isInitialized(address(account)));
        assertEq(validator.MULTIPLEXER(), address(mux));
    }

    /// @dev Calls `validateUserOp` as `caller` (the account's struct type is ABI-identical to OpenZeppelin's).
    function validateAs(address caller, PackedUserOperation memory op, bytes32 hash) public returns (uint256) {
        vm.prank(caller);
        (bool ok, bytes memory ret) =
            address(validator).call(abi.encodeWithSelector(AgentValidator.validateUserOp.selector, op, hash));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return abi.decode(ret, (uint256));
    }

    function slice(bytes memory data, uint256 from) internal pure returns (bytes memory out) {
        out = new bytes(data.length - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = data[from + i];
        }
    }
}

/// @dev An account that, like a Safe, answers `isOwner` and lists the validator while installing it.
contract OwnedAccount {
    address internal immutable OWNER;

    constructor(address owner_) {
        OWNER = owner_;
    }

    function isOwner(address who) external view returns (bool) {
        return who == OWNER;
    }

    function isModuleInstalled(uint256, address, bytes calldata) external pure returns (bool) {
        return true;
    }

    function install(AgentValidator validator, bytes calldata data) external {
        validator.onInstall(data);
    }
}
