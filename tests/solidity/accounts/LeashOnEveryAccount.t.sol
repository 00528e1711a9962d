// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";

import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";

import {KernelHarness} from "../utils/accounts/KernelHarness.sol";
import {LeashAccountSuite} from "../utils/accounts/LeashAccountSuite.sol";
import {LeashEngineAccountSuite} from "../utils/accounts/LeashEngineAccountSuite.sol";
import {NexusHarness} from "../utils/accounts/NexusHarness.sol";
import {OpenZeppelinHarness} from "../utils/accounts/OpenZeppelinHarness.sol";
import {ReferenceHarness} from "../utils/accounts/ReferenceHarness.sol";
import {SafeHarness} from "../utils/accounts/SafeHarness.sol";
import {MockExecutor} from "../utils/mocks/MockExecutor.sol";
import {OwnerValidator} from "../utils/mocks/OwnerValidator.sol";

/// @dev The same suite on every account; each subclass adds its harness and its owner-only paths.
contract LeashOnOpenZeppelinTest is LeashAccountSuite, OpenZeppelinHarness {}

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

contract LeashOnReferenceAccountTest is LeashAccountSuite, ReferenceHarness {}

contract LeashOnSafeTest is LeashAccountSuite, SafeHarness {
    /// @dev The adapter's module management, and the Safe's own owner and module management (which
    /// only the Safe itself may call).
    function ownerOnlyCalls() internal view override returns (bytes[] memory) {
        bytes[] memory safes = new bytes[](3);
        safes[0] = abi.encodeWithSignature("addOwnerWithThreshold(address,uint256)", address(0xbad), 1);
        safes[1] = abi.encodeWithSignature("enableModule(address)", address(0xbad));
        safes[2] = abi.encodeWithSignature("setFallbackHandler(address)", address(0xbad));
        return withModuleManagement(safes);
    }

    /// @dev The adapter takes the Safe's calls with an appended sender as calls from that sender.
    function accountAliases() internal view override returns (address[] memory aliases) {
        aliases = new address[](2);
        (aliases[0], aliases[1]) = (address(0), adapter);
    }
}

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

// ---------------------------------------------------------------------- the policy engine as the hook

contract EngineOnOpenZeppelinTest is LeashEngineAccountSuite, OpenZeppelinHarness {}

contract EngineOnNexusTest is LeashEngineAccountSuite, NexusHarness {}

contract EngineOnReferenceAccountTest is LeashEngineAccountSuite, ReferenceHarness {}

contract EngineOnSafeTest is LeashEngineAccountSuite, SafeHarness {
    function expectedAccountKind() internal pure override returns (uint8) {
        return 2;
    }

    /// @dev The Safe owners' own transaction reaches the engine as a call of the Safe to itself
    /// with no hooked call around it: a module change passes with the authority's approval, which
    /// it spends, and is refused without one. The agent's own route to the same change (a nested
    /// self-call) is refused with the approval in place (`test_engine_attack_NestedSelfCall...`).
    function test_safe_OwnersTransactionSpendsTheApproval() public {
        MockExecutor executor = new MockExecutor();
        bytes memory install = installExecutorCall(address(executor), "", address(engine));
        assertFalse(ownersTransaction(install), "a module change without the authority's approval");
        assertFalse(IERC7579ModuleConfig(account).isModuleInstalled(2, address(executor), ""));
        vm.prank(authority);
        engine.approveChange(account, keccak256(install));
        assertTrue(ownersTransaction(install), "the owners' approved change was refused");
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(2, address(executor), ""));
        assertFalse(engine.isApproved(account, keccak256(install)), "the approval was not spent");
        assertFalse(engine.approvedChangeInProgress(account), "the change did not end");
        // After an operation through the EntryPoint in the same transaction, the owners' next change
        // still passes: that hooked call has ended.
        ownerDoes(call1(address(target), 0, ping));
        assertTrue(ownersTransaction(approvedExecutorInstall()), "the approved change after the owner's operation");
        // Not after an operation of the agent: its transaction carries no approved change.
        assertAgentPasses(call1(address(target), 0, ping));
        bytes memory installThird = approvedExecutorInstall();
        assertFalse(ownersTransaction(installThird), "the approved change beside the agent's operation");
        assertTrue(engine.isApproved(account, keccak256(installThird)));
    }

    /// @dev The install of a fresh executor, approved by the authority.
    function approvedExecutorInstall() internal returns (bytes memory install) {
        install = installExecutorCall(address(new MockExecutor()), "", address(engine));
        vm.prank(authority);
        engine.approveChange(account, keccak256(install));
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
