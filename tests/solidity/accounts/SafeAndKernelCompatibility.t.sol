// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";

import {IAgentValidator} from "../../../contracts/interfaces/IAgentValidator.sol";
import {ILeashModule} from "../../../contracts/interfaces/ILeashModule.sol";
import {ExecutionDecoder} from "../../../contracts/libraries/ExecutionDecoder.sol";
import {KernelHarness} from "../utils/accounts/KernelHarness.sol";
import {LeashAccountBase} from "../utils/accounts/LeashAccountSuite.sol";
import {SafeHarness} from "../utils/accounts/SafeHarness.sol";

/// @notice Safe7579 and Kernel cannot carry today's multiplexer; these tests pin down exactly why,
/// and that Leash then fails closed: the agent's key validates nothing and no policy is skipped.
/// Each test fails the day the account or the multiplexer changes, so the accounts can move to
/// `LeashOnEveryAccount.t.sol`. The fixes are described in docs/COMPATIBILITY.md.
abstract contract StackNotInstalled is LeashAccountBase {
    /// @dev The suite's stack without the multiplexer: the agent's validator and the executor only.
    function installLeash() internal override {
        ownerDoes(
            installValidatorCall(
                address(agentValidator), abi.encode(authority, agent.addr, uint256(1 ether)), address(1)
            )
        );
        ownerDoes(installExecutorCall(address(automation), automationInit(), address(1)));
    }

    /// @dev Without the multiplexer the agent's key validates nothing.
    function test_compat_AgentRefusedWithoutTheMultiplexer() public {
        assertAgentNotValidated(
            call1(address(target), 0, ping),
            validationRevert(abi.encodeWithSelector(IAgentValidator.AgentValidator_LeashNotInstalled.selector, account))
        );
        assertEq(target.pings(), 0);
    }

    /// @dev The agent's validator uninstalls cleanly on this account too (the owner's own change:
    /// no multiplexer is there to ask the authority).
    function test_compat_AgentValidatorUninstallsClean() public {
        ownerDoes(uninstallValidatorCall(address(agentValidator)));
        assertFalse(agentValidator.isInitialized(account));
        assertEq(agentValidator.agentOf(account), address(0));
        assertEq(agentValidator.authorityOf(account), address(0));
    }

    /// @dev How the account reports a validator's revert to the EntryPoint.
    function validationRevert(bytes memory inner) internal pure virtual returns (bytes memory);
}

contract SafeCompatibilityTest is StackNotInstalled, SafeHarness {
    bytes4 internal constant EXECUTION_FAILED = 0xacfdb444; // Safe7579's ExecutionFailed()

    /// @dev Safe7579 runs the validator through the Safe's module transaction and reports any
    /// failure as `ExecutionFailed()`: the refusal stands, its reason is lost.
    function validationRevert(bytes memory) internal pure override returns (bytes memory) {
        return abi.encodeWithSelector(EXECUTION_FAILED);
    }

    /// @dev Blocker 1: the multiplexer asks `isModuleInstalled(4, mux, "")`, which Safe7579 cannot
    /// answer without a `(HookType, selector)` context, so the multiplexer refuses its own install.
    function test_compat_MultiplexerCannotProveItsInstall() public {
        vm.expectRevert();
        IERC7579ModuleConfig(account).isModuleInstalled(4, address(mux), "");
        (bool ok, bytes memory reason) = submitAsOwner(installHookCall(address(mux), muxInit()));
        assertFalse(ok);
        assertEq(reason, abi.encodeWithSelector(EXECUTION_FAILED));
        assertEq(mux.authorityOf(account), address(0));
    }

    /// @dev Blocker 2: Safe7579 hands its hook `msg.data` with the ERC-2771 sender (20 bytes)
    /// still appended, which the canonical decoder refuses, so every execution is refused.
    function test_compat_HookSeesTheSenderAppended() public {
        shimHookInstall(address(mux), true);
        ownerDoes(installHookCall(address(mux), muxInit()));
        shimHookInstall(address(mux), false);
        bytes memory execution = call1(address(target), 0, ping);
        vm.expectCall(
            address(mux),
            abi.encodeCall(
                IERC7579Hook.preCheck, (address(entryPoint), 0, bytes.concat(execution, bytes20(address(entryPoint))))
            )
        );
        (bool ok,) = agentDoes(execution);
        assertFalse(ok, "refused, not run unchecked");
        assertEq(target.pings(), 0);
        vm.prank(account);
        vm.expectRevert(abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector, 180));
        mux.preCheck(address(entryPoint), 0, bytes.concat(execution, bytes20(address(entryPoint))));
    }

    /// @dev A Safe owner can act through `execTransaction`, which no hook sees: it may not be the agent.
    function test_compat_SafeOwnerCannotBeTheAgent() public {
        vm.prank(authority);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentValidator.AgentValidator_AgentIsOwner.selector, account, owner.addr)
        );
        agentValidator.setAgent(account, owner.addr);
    }
}

contract KernelCompatibilityTest is StackNotInstalled, KernelHarness {
    function validationRevert(bytes memory inner) internal pure override returns (bytes memory) {
        return inner;
    }

    /// @dev Blocker 1: Kernel asks every hook `isInitialized(account)` when a validator or executor
    /// is installed with it; the multiplexer has no such function, so the install reverts.
    function test_compat_KernelAsksTheHookIsInitialized() public {
        vm.expectCall(address(mux), abi.encodeWithSignature("isInitialized(address)", account));
        (bool ok,) = submitAsOwner(installExecutorCall(address(new StackNotInstalledExecutor()), "", address(mux)));
        assertFalse(ok);
        assertEq(mux.authorityOf(account), address(0));
    }

    /// @dev Blocker 2: Kernel does not list hooks in `isModuleInstalled(4, ...)`, so the multiplexer
    /// refuses an install through `installModule(4, ...)` too.
    function test_compat_KernelDoesNotListHooks() public {
        (bool ok, bytes memory reason) = submitAsOwner(installHookCall(address(mux), muxInit()));
        assertFalse(ok);
        assertEq(reason, abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, account));
    }
}

/// @dev An executor module that does nothing (Kernel asks it nothing Leash cares about).
contract StackNotInstalledExecutor {
    function onInstall(bytes calldata) external {}

    function onUninstall(bytes calldata) external {}

    function isModuleType(uint256 id) external pure returns (bool) {
        return id == 2;
    }

    function isInitialized(address) external pure returns (bool) {
        return false;
    }
}
