// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";

import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";

import {KernelHarness} from "../utils/accounts/KernelHarness.sol";
import {LeashAccountSuite} from "../utils/accounts/LeashAccountSuite.sol";
import {LeashEngineAccountSuite} from "../utils/accounts/LeashEngineAccountSuite.sol";
import {LeashSessionSuite} from "../utils/accounts/LeashSessionSuite.sol";
import {MockExecutor} from "../utils/mocks/MockExecutor.sol";
import {OwnerValidator} from "../utils/mocks/OwnerValidator.sol";

// The account suites on Kernel: the multiplexer stack, the policy engine and sessions
// (LeashAccountSuite, LeashEngineAccountSuite, LeashSessionSuite), with what differs here. One file
// per account, so that checking one account compiles only its own suites.

/// @dev Kernel carries the multiplexer on the agent's validation and the executor
/// (`LeashAccountBase.installStack`); two tests differ, because Kernel's root validation (the
/// person's) carries no hook.
contract LeashOnKernelTest is LeashAccountSuite, KernelHarness {
    /// @dev Kernel's module management and upgrade, which only the root validation (the person) or
    /// the account itself may call.
    function ownerOnlyCalls() internal view override returns (bytes[] memory calls) {
        calls = new bytes[](5);
        calls[0] = abi.encodeCall(IERC7579ModuleConfig.installModule, (2, address(0xbad), ""));
        calls[1] = abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (1, address(agentValidator), ""));
        calls[2] = abi.encodeWithSignature("upgradeTo(address)", address(0xbad));
        calls[3] = abi.encodeWithSignature(
            "changeRootValidator(bytes21,address,bytes,bytes)", agentValidation(), address(1), "", ""
        );
        calls[4] = abi.encodeWithSignature("grantAccess(bytes21,bytes4,bool)", agentValidation(), bytes4(0), true);
    }

    /// @dev The person's root validation carries no hook on Kernel: module changes made through it
    /// need no approval (as a Safe owner's own transactions); the agent's attempt still fails.
    function test_authority_ApprovesAModuleChangeTheOwnerThenMakes() public override {
        MockExecutor executor = new MockExecutor();
        bytes memory install = installExecutorCall(address(executor), "", address(mux));
        assertAgentNotValidated(install, callNotAllowed(bytes4(install)));
        ownerDoes(install);
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(2, address(executor), ""));
    }

    /// @dev Kernel does not tell a hook when the validation carrying it goes, so the multiplexer
    /// refuses to uninstall while the agent's validation still carries it (Kernel ignores the
    /// refusal; the stack stays whole). Removing the agent's validation first frees it.
    function test_reinstall_StartsClean() public override {
        assertAgentPasses(transfer(100e18));
        vm.prank(guardian);
        pauseHook.pause(account);

        ownerDoes(uninstallHookCall(address(mux)));
        assertEq(mux.authorityOf(account), authority, "still carried by the agent's validation");
        assertTrue(pauseHook.isPaused(account));

        ownerDoes(uninstallValidatorCall(address(agentValidator)));
        ownerDoes(uninstallHookCall(address(mux)));
        assertEq(mux.authorityOf(account), address(0));
        assertFalse(mux.isInitialized(account));

        installValidatorWithHook(address(agentValidator), agentValidatorInit(), address(mux), muxInitOnValidation());
        assertFalse(pauseHook.isPaused(account), "no pause survives");
        assertEq(spending.remaining(account, address(token)), LIMIT, "no spend survives");
        assertAgentPasses(transfer(100e18));
        assertEq(token.balanceOf(payee), 200e18);
    }
}

/// @dev Kernel carries the engine on the agent's validation, named in the engine's install data.
contract EngineOnKernelTest is LeashEngineAccountSuite, KernelHarness {
    function expectedAccountKind() internal pure override returns (uint8) {
        return 1;
    }

    /// @dev The person's own path takes no approval and runs no hook: the install runs beside the
    /// agent's operation (docs/INVARIANTS.md, "Not yet covered"). In allow mode the new module is
    /// one nobody listed, refused at execution.
    function test_engine_attack_AgentBundledWithTheOwnersApprovedModuleInstall() public override {
        OwnerValidator fresh = new OwnerValidator();
        bytes memory install = installValidatorCall(address(fresh), abi.encode(owner.addr), address(1));
        PackedUserOperation[] memory ops = new PackedUserOperation[](2);
        ops[0] = userOpFor(ownerValidator(), install, owner.privateKey);
        ops[1] = userOpFor(address(agentValidator), call1(address(fresh), 0, takeOver()), agent.privateKey);
        (bool[] memory ok, bytes[] memory reason) = handleOps(ops);
        assertTrue(ok[0], "the person's install");
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(1, address(fresh), ""));
        assertFalse(ok[1], "the agent reached the new module");
        assertEq(bytes4(reason[1]), IAllowlistHook.Allowlist_CallNotAllowed.selector);
        assertEq(fresh.ownerOf(account), owner.addr);
    }

    /// @dev Kernel does not tell a hook when the validation carrying it goes: the engine keeps a
    /// stale record. The agent's validation comes back without a hook, and the engine rides on
    /// another validation (Kernel finds it initialized): the engine is a live hook of the account
    /// with a record for it, yet not the hook Kernel runs for the agent's operations, which are refused.
    function test_engine_OwnersApprovedRemovalStopsTheAgent() public override {
        ownerDoes(uninstallValidatorCall(address(agentValidator)));
        installValidatorWithHook(address(agentValidator), agentValidatorInit(), address(1), "");
        (bool installed,,,) = engine.leashContext(account);
        assertTrue(installed, "a stale record");
        assertAgentNotValidatedUnwrapped();
        OwnerValidator second = new OwnerValidator();
        ownerDoes(installValidatorCall(address(second), abi.encode(owner.addr), address(engine)));
        bytes21 secondValidation = bytes21(abi.encodePacked(bytes1(0x01), address(second)));
        (bool ok, bytes memory config) =
            account.staticcall(abi.encodeWithSignature("validationConfig(bytes21)", secondValidation));
        assertTrue(ok);
        (, address hook) = abi.decode(config, (uint32, address));
        assertEq(hook, address(engine), "the engine is the hook of another validation");
        assertAgentNotValidatedUnwrapped();
        assertEq(target.pings(), 0);
    }

    /// @dev The agent's operation as Kernel takes it from a validation without a hook (`execute`
    /// unwrapped), refused at validation.
    function assertAgentNotValidatedUnwrapped() internal {
        PackedUserOperation memory op =
            userOpFor(address(agentValidator), call1(address(target), 0, ping), agent.privateKey);
        op.callData = call1(address(target), 0, ping);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(agent.privateKey, entryPoint.getUserOpHash(op));
        op.signature = abi.encodePacked(r, s, v);
        assertNotValidated(op, leashNotInstalled());
    }
}

/// @dev Kernel carries the engine on the agent's validation, named in the engine's install data.
contract SessionsOnKernelTest is LeashSessionSuite, KernelHarness {}
