// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {IERC7579Module, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";

import {IAgentValidator} from "../../../../contracts/interfaces/IAgentValidator.sol";
import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {IEmergencyPauseHook} from "../../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {IPolicyEngine} from "../../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";

import {AgentValidatorTestBase} from "../../utils/AgentValidatorTestBase.sol";
import {Target} from "../../utils/mocks/Target.sol";

/// @notice AgentValidator with the policy engine as the account's hook (OpenZeppelin account,
/// EntryPoint v0.8): the engine's record says how to ask the account, and the account's answer,
/// not the record, decides.
contract AgentValidatorOnEngineTest is AgentValidatorTestBase {
    function setUp() public override {
        super.setUp();
        // After the agent's validator, the owner installs the engine (block mode, nothing listed).
        installEngine(
            fullEngineConfig(
                IAllowlistHook.Mode.Block, new IAllowlistHook.Permission[](0), new ISpendingLimitHook.TokenPolicy[](0)
            )
        );
    }

    // ------------------------------------------------------------------ helpers

    function leashNotInstalled() internal view returns (bytes memory) {
        return abi.encodeWithSelector(IAgentValidator.AgentValidator_LeashNotInstalled.selector, address(account));
    }

    /// @dev The owner removes the engine with the authority's approval at the engine.
    function uninstallEngine() internal {
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_HOOK, address(engine), "");
        vm.prank(authority);
        engine.approveChange(address(account), keccak256(uninstall));
        assertPasses(uninstall);
    }

    // ------------------------------------------------------------------ the engine as the hook

    function test_engine_AgentExecutionPasses() public {
        (bool installed, uint8 kind,,) = engine.leashContext(address(account));
        assertTrue(installed);
        assertEq(kind, 0, "the account lists the engine as its hook");
        (bool ok, bytes memory reason) = submitAsAgent(call1(address(target), ping));
        assertTrue(ok, string(reason));
        assertEq(target.pings(), 1);
        assertEq(validator.POLICY_ENGINE(), address(engine));
        assertEq(validator.MULTIPLEXER(), address(mux));
    }

    function test_engine_AgentStillMeetsThePolicies() public {
        vm.prank(authority);
        engine.addPermission(address(account), address(target), Target.ping.selector); // block mode: a block
        (bool ok, bytes memory reason) = submitAsAgent(call1(address(target), ping));
        assertFalse(ok);
        assertEq(bytes4(reason), IAllowlistHook.Allowlist_CallBlocked.selector);
        assertEq(target.pings(), 0);
    }

    /// @dev Every rule of the agent's execution holds on the engine's path as on the multiplexer's.
    function test_engine_attack_AgentReachesTheAccountOrItsModules() public {
        bytes memory install = installModuleCall(2, makeAddr("executor"), "");
        assertValidationReverts(
            install,
            abi.encodeWithSelector(
                IAgentValidator.AgentValidator_CallNotAllowed.selector, address(account), bytes4(install)
            )
        );
        address[3] memory targets = [address(account), address(0), address(validator)];
        for (uint256 i; i < targets.length; ++i) {
            assertValidationReverts(
                call1(targets[i], ping),
                abi.encodeWithSelector(
                    IAgentValidator.AgentValidator_TargetNotAllowed.selector, address(account), targets[i]
                )
            );
        }
    }

    /// @dev The account drops the engine without the engine forgetting the account (an account
    /// that ignores a failed `onUninstall`; Safe7579 removing its global hook): the engine's record
    /// stays, the account no longer runs the engine, and the agent's key validates nothing.
    function test_attack_EngineRecordedButNoLongerTheHook() public {
        vm.mockCall(address(engine), abi.encodeWithSelector(IERC7579Module.onUninstall.selector), "");
        uninstallEngine();
        vm.clearMockedCalls();
        (bool installed,,,) = engine.leashContext(address(account));
        assertTrue(installed, "the engine keeps a stale record");
        assertValidationReverts(call1(address(target), ping), leashNotInstalled());
        assertEq(target.pings(), 0);
    }

    /// @dev A stale engine record does not stand in the way of the multiplexer: with the
    /// multiplexer as the hook, the agent acts again, through it.
    function test_engine_StaleRecordThenTheMultiplexer() public {
        vm.mockCall(address(engine), abi.encodeWithSelector(IERC7579Module.onUninstall.selector), "");
        uninstallEngine();
        vm.clearMockedCalls();
        installStack(IAllowlistHook.Mode.Allow); // target.ping allowed
        (bool ok,) = submitAsAgent(call1(address(target), ping));
        assertTrue(ok);
        // The multiplexer's pause applies (from validation on).
        pauseAsGuardian();
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = agentOp(call1(address(target), ping), agent.privateKey);
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA22 expired or not due"));
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
        assertEq(target.pings(), 1);
    }

    /// @dev The engine's record of another account says nothing of this one.
    function test_attack_EngineInstalledForAnotherAccount() public {
        uninstallEngine();
        EngineAccount other_ = new EngineAccount();
        other_.install(engine, abi.encode(authority, engineConfig()));
        (bool installed,,,) = engine.leashContext(address(other_));
        assertTrue(installed);
        (installed,,,) = engine.leashContext(address(account));
        assertFalse(installed);
        assertValidationReverts(call1(address(target), ping), leashNotInstalled());
    }

    /// @dev Uninstall forgets the record; a reinstall records the account's answer afresh.
    function test_engine_ReinstallRecordsAfresh() public {
        uninstallEngine();
        (bool installed,,,) = engine.leashContext(address(account));
        assertFalse(installed);
        assertValidationReverts(call1(address(target), ping), leashNotInstalled());
        installEngine(engineConfig());
        (bool ok,) = submitAsAgent(call1(address(target), ping));
        assertTrue(ok);
    }

    // ------------------------------------------------------------------ the authority

    /// @dev No change approved at the engine reaches the validator: the engine guards no call to
    /// it (a lone call is ordinary there and spends no approval), and a change that spends one for
    /// another item does not make the account the validator's authority. Only the authority's
    /// own key rotates the agent's key on an account the engine guards.
    function test_setAgent_RevertWhen_ApprovedAtTheEngine() public {
        address next = makeAddr("agent2");
        bytes memory rotate = abi.encodeCall(IAgentValidator.setAgent, (address(account), next));
        bytes memory single = call1(address(validator), rotate);
        vm.prank(authority);
        engine.approveChange(address(account), keccak256(single));
        bytes memory onlyAuthority = abi.encodeWithSelector(
            ILeashModule.Leash_OnlyAuthority.selector, address(account), address(account), authority
        );
        assertRefused(single, onlyAuthority);
        assertTrue(engine.isApproved(address(account), keccak256(single)), "not spent");

        Execution[] memory items = new Execution[](2);
        items[0] = Execution(
            address(engine), 0, abi.encodeCall(IPolicyEngine.setMode, (address(account), IAllowlistHook.Mode.Allow))
        );
        items[1] = Execution(address(validator), 0, rotate);
        bytes memory batch = executeBatch(items);
        vm.prank(authority);
        engine.approveChange(address(account), keccak256(batch));
        assertRefused(batch, onlyAuthority);
        assertEq(validator.agentOf(address(account)), agent.addr);
        assertEq(uint8(engine.modeOf(address(account))), uint8(IAllowlistHook.Mode.Block), "the change reverted whole");
    }

    /// @dev Attack: while the guardian has the account paused, the agent keeps submitting
    /// operations. Behind the engine they are valid only from the pause's end: the EntryPoint refuses
    /// them before validation can charge the agent's gas allowance or the account pay for them.
    function test_attack_PausedAgentCannotSpendTheAccountsGas() public {
        vm.prank(guardian);
        engine.pause(address(account));
        uint256 until = engine.pausedUntil(address(account));
        PackedUserOperation memory op = agentOp(call1(address(target), ping), agent.privateKey);
        // The validation data says "valid from the pause's end" (validAfter, bits 208 and up: the
        // EntryPoint takes an operation strictly after it).
        bytes32 hash = entryPoint.getUserOpHash(op);
        vm.prank(address(account));
        (bool answered, bytes memory data) =
            address(validator).call(abi.encodeWithSelector(validator.validateUserOp.selector, op, hash));
        assertTrue(answered);
        assertEq(abi.decode(data, (uint256)), (until - 1) << 208);
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        uint256 balance = address(account).balance;
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA22 expired or not due"));
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
        assertEq(address(account).balance, balance, "the account paid nothing");
        // One second before the pause's end it is still refused; at its end it goes through.
        vm.warp(until - 1);
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA22 expired or not due"));
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
        vm.warp(until);
        (bool ok,) = submitAsAgent(call1(address(target), ping));
        assertTrue(ok, "valid again after the pause");
    }
}

/// @dev An account that lists every module and installs the engine on itself.
contract EngineAccount {
    function isModuleInstalled(uint256, address, bytes calldata) external pure returns (bool) {
        return true;
    }

    function install(IPolicyEngine engine, bytes calldata data) external {
        engine.onInstall(data);
    }
}
