// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";

import {IAgentValidator} from "../../../../contracts/interfaces/IAgentValidator.sol";
import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {IEmergencyPauseHook} from "../../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {IPolicyEngine} from "../../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";

import {OwnerValidator} from "../mocks/OwnerValidator.sol";
import {Target} from "../mocks/Target.sol";
import {LeashStackTests} from "./LeashAccountSuite.sol";

/// @notice The agent's key through AgentValidator with the policy engine as the account's hook,
/// on one account kind: the same policies as the multiplexer suite (pause, allowlist with
/// target.ping and token.transfer, 100 TOKEN an hour) in one hook.
abstract contract LeashEngineAccountBase is LeashStackTests {
    /// @dev The engine's install data for this account (Kernel: naming the agent's validation).
    function engineConfig() internal view virtual returns (IPolicyEngine.Config memory config) {
        config.validationId = agentValidation();
        config.guardian = guardian;
        config.autoUnpauseAfter = 1 days;
        config.mode = IAllowlistHook.Mode.Allow;
        config.permissions = new IAllowlistHook.Permission[](2);
        config.permissions[0] = IAllowlistHook.Permission(address(target), Target.ping.selector);
        config.permissions[1] = IAllowlistHook.Permission(address(token), IERC20.transfer.selector);
        config.tokens = new ISpendingLimitHook.TokenPolicy[](1);
        config.tokens[0].token = address(token);
        config.tokens[0].limits = new ISpendingLimitHook.LimitConfig[](1);
        config.tokens[0].limits[0] = ISpendingLimitHook.LimitConfig(LIMIT, 1 hours);
    }

    function engineInit() internal view returns (bytes memory) {
        return abi.encode(authority, engineConfig());
    }

    function leashHook() internal view virtual override returns (address) {
        return address(engine);
    }

    /// @dev How this account proves the engine's install (`IPolicyEngine.leashContext`): 0, it
    /// lists the engine as its hook; 1, Kernel; 2, Safe7579.
    function expectedAccountKind() internal pure virtual returns (uint8) {
        return 0;
    }

    /// @dev The owner installs the agent's validator, then the engine (on Kernel, in one install).
    function installLeash() internal virtual override {
        installValidatorWithHook(address(agentValidator), agentValidatorInit(), address(engine), engineInit());
    }

    /// @dev The agent's operation runs and is refused by the hook with `selector`.
    function assertEngineRefuses(bytes memory execution, bytes4 selector) internal {
        (bool ok, bytes memory reason) = agentDoes(execution);
        assertFalse(ok, "the agent's operation should be refused");
        assertEq(bytes4(reason), bytes4(reported(abi.encodeWithSelector(selector))), "refusal");
    }

    function leashNotInstalled() internal view returns (bytes memory) {
        return abi.encodeWithSelector(IAgentValidator.AgentValidator_LeashNotInstalled.selector, account);
    }
}

/// @notice The engine's suite on one account kind.
abstract contract LeashEngineAccountSuite is LeashEngineAccountBase {
    // ------------------------------------------------------------------ the agent within its leash

    function test_engine_RecordsHowTheAccountProvedTheInstall() public {
        (bool installed, uint8 kind,,) = engine.leashContext(account);
        assertTrue(installed);
        assertEq(kind, expectedAccountKind());
        assertTrue(engine.isInitialized(account));
        assertEq(engine.authorityOf(account), authority);
    }

    function test_engine_AgentAllowedCallsPass() public {
        assertAgentPasses(call1(address(target), 0, ping));
        assertAgentPasses(transfer(60e18));
        assertEq(target.pings(), 1);
        assertEq(token.balanceOf(payee), 60e18);
    }

    function test_engine_AgentMeetsEveryPolicy() public {
        assertEngineRefuses(call1(address(other), 0, ping), IAllowlistHook.Allowlist_CallNotAllowed.selector);
        assertAgentPasses(transfer(60e18));
        assertEngineRefuses(transfer(41e18), ISpendingLimitHook.SpendingLimit_Exceeded.selector);
        // While paused, the agent's operations are not even valid yet: the EntryPoint refuses them
        // before they cost the account anything (AgentValidator's validAfter is the pause's end).
        vm.prank(guardian);
        engine.pause(account);
        expectOpRefused(
            userOpFor(address(agentValidator), call1(address(target), 0, ping), agent.privateKey),
            failedOp("AA22 expired or not due")
        );
        assertEq(token.balanceOf(payee), 60e18);
        assertEq(target.pings(), 0);
    }

    function test_engine_attack_AgentLoosensTheEngine() public {
        bytes memory loosen =
            call1(address(engine), 0, abi.encodeCall(IPolicyEngine.setMode, (account, IAllowlistHook.Mode.None)));
        assertEngineRefuses(loosen, ILeashModule.Leash_ModuleCallNotApproved.selector);
        assertEq(uint8(engine.modeOf(account)), uint8(IAllowlistHook.Mode.Allow));
    }

    function test_engine_attack_AgentManagesModules() public {
        bytes memory uninstall = uninstallHookCall(address(engine));
        assertAgentNotValidated(uninstall, callNotAllowed(bytes4(uninstall)));
        bytes memory install = installExecutorCall(makeAddr("executor"), "", address(engine));
        assertAgentNotValidated(install, callNotAllowed(bytes4(install)));
    }

    function test_engine_attack_AgentCallsTheAccountOrItsValidator() public {
        assertAgentNotValidated(call1(account, 0, ping), targetNotAllowed(account));
        bytes memory rotate = abi.encodeCall(IAgentValidator.setAgent, (account, makeAddr("x")));
        assertAgentNotValidated(call1(address(agentValidator), 0, rotate), targetNotAllowed(address(agentValidator)));
        assertEq(agentValidator.agentOf(account), agent.addr);
    }

    /// @dev A module installed on the account acts for it (an owner validator the account may
    /// reconfigure, an executor). In allow mode every target the agent reaches is one the authority
    /// listed, so AgentValidator does not ask the account and the allowlist refuses the module
    /// nobody listed (here); in block mode and with no allowlist, AgentValidator asks, and refuses
    /// it (`...OutsideAllowMode`). `other` stands for a third-party executor (the account answers
    /// that it is one); the owner's validator, where the account has one, is the real thing.
    function test_engine_attack_AgentCallsAModuleOfTheAccount() public {
        pretendOtherIsAnExecutor();
        address ownerModule = ownerValidator();
        assertEngineRefuses(call1(address(other), 0, ping), IAllowlistHook.Allowlist_CallNotAllowed.selector);
        if (ownerModule != address(0)) {
            assertEngineRefuses(call1(ownerModule, 0, takeOver()), IAllowlistHook.Allowlist_CallNotAllowed.selector);
        }
        assertEq(other.pings(), 0);
    }

    function test_engine_attack_AgentCallsAModuleOfTheAccountOutsideAllowMode() public {
        pretendOtherIsAnExecutor();
        address ownerModule = ownerValidator();
        bytes memory toAgent = takeOver();
        IAllowlistHook.Mode[2] memory open = [IAllowlistHook.Mode.Block, IAllowlistHook.Mode.None];
        for (uint256 i; i < open.length; ++i) {
            vm.prank(authority);
            engine.setMode(account, open[i]);
            assertAgentNotValidated(call1(address(other), 0, ping), targetNotAllowed(address(other)));
            if (ownerModule != address(0)) {
                assertAgentNotValidated(call1(ownerModule, 0, toAgent), targetNotAllowed(ownerModule));
                assertAgentNotValidated(
                    batch2(address(target), ping, ownerModule, toAgent), targetNotAllowed(ownerModule)
                );
            }
        }
        // The account's own answer is what counts: without it, `other` is an ordinary target.
        vm.clearMockedCalls();
        assertAgentPasses(call1(address(other), 0, ping));
        assertEq(other.pings(), 1);
        if (ownerModule != address(0)) assertEq(OwnerValidator(ownerModule).ownerOf(account), owner.addr);
    }

    /// @dev See `checkLifecycleCallsRefused`, in both modes outside allow mode.
    function test_engine_attack_AgentReinstallsAModuleKeyedByTheAccount() public {
        IAllowlistHook.Mode[2] memory open = [IAllowlistHook.Mode.Block, IAllowlistHook.Mode.None];
        for (uint256 i; i < open.length; ++i) {
            vm.prank(authority);
            engine.setMode(account, open[i]);
            checkLifecycleCallsRefused();
        }
    }

    function pretendOtherIsAnExecutor() internal {
        vm.mockCall(
            account, abi.encodeCall(IERC7579ModuleConfig.isModuleInstalled, (2, address(other), "")), abi.encode(true)
        );
    }

    /// @dev What the account's call to its owner validator would do for the agent.
    function takeOver() internal view returns (bytes memory) {
        return abi.encodeWithSignature("setOwner(address)", agent.addr);
    }

    /// @dev See `checkRemovalBesideTheAgentRefused`.
    function test_engine_attack_AgentBundledWithTheOwnersApprovedRemoval() public {
        checkRemovalBesideTheAgentRefused(address(engine), overTheLimit());
    }

    /// @dev A stranger's question about a session (`sessionContext`) marks the account as
    /// `leashContext` does: it does not hold back the authority leaving allow mode, which an
    /// operation of the agent validated in the transaction does.
    function test_engine_attack_StrangersSessionQuestionHoldsBackNoModeChange() public {
        askAsStrangers(address(engine), abi.encodeCall(engine.sessionContext, (account, agent.addr)));
        vm.prank(authority);
        engine.setMode(account, IAllowlistHook.Mode.Block);
        assertEq(uint8(engine.modeOf(account)), uint8(IAllowlistHook.Mode.Block));
    }

    /// @dev In block mode a module installed after the agent's operation was validated is one
    /// AgentValidator could not refuse: the owner's approved install is refused in a transaction
    /// that carries an operation of the agent.
    function test_engine_attack_AgentBundledWithTheOwnersApprovedModuleInstall() public virtual {
        vm.prank(authority);
        engine.setMode(account, IAllowlistHook.Mode.Block);
        OwnerValidator fresh = new OwnerValidator();
        bytes memory install = installValidatorCall(address(fresh), abi.encode(owner.addr), address(engine));
        vm.prank(authority);
        engine.approveChange(account, keccak256(install));
        PackedUserOperation[] memory ops = new PackedUserOperation[](2);
        ops[0] = userOpFor(ownerValidator(), install, owner.privateKey);
        ops[1] = userOpFor(address(agentValidator), call1(address(fresh), 0, takeOver()), agent.privateKey);
        (bool[] memory ok, bytes[] memory reason) = handleOps(ops);
        assertFalse(ok[0], "the install ran beside the agent's operation");
        assertEq(
            reason[0],
            reported(abi.encodeWithSelector(ILeashModule.Leash_AgentOperationInTransaction.selector, account))
        );
        assertFalse(IERC7579ModuleConfig(account).isModuleInstalled(1, address(fresh), ""));
        // The agent's call reached an address that is no module of the account.
        assertTrue(ok[1]);
        assertEq(reason[1].length, 0);
        assertEq(fresh.ownerOf(account), agent.addr);
    }

    /// @dev AgentValidator does not ask the account about modules in allow mode: the engine does not
    /// leave allow mode in a transaction that carries an operation of the agent (which executes in
    /// the mode it was validated in); tightening back to allow mode stays open.
    function test_engine_attack_AuthorityLeavesAllowModeBesideTheAgent() public {
        assertAgentPasses(call1(address(target), 0, ping));
        IAllowlistHook.Mode[2] memory open = [IAllowlistHook.Mode.Block, IAllowlistHook.Mode.None];
        for (uint256 i; i < open.length; ++i) {
            vm.prank(authority);
            vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_AgentOperationInTransaction.selector, account));
            engine.setMode(account, open[i]);
        }
        assertEq(uint8(engine.modeOf(account)), uint8(IAllowlistHook.Mode.Allow));
        vm.prank(authority);
        engine.setMode(account, IAllowlistHook.Mode.Allow);
    }

    /// @dev See `checkNestedSelfCallCannotSpendTheApproval`.
    function test_engine_attack_NestedSelfCallCannotSpendTheOwnersApproval() public {
        checkNestedSelfCallCannotSpendTheApproval(address(engine), expectedAccountKind() == 2);
    }

    /// @dev An account-wide rule the authority sets binds the agent's calls: payments only to the
    /// payee, another recipient refused by the hook.
    function test_engine_AccountWideRuleBindsTheAgent() public {
        uint256[] memory values = new uint256[](1);
        values[0] = uint256(uint160(payee));
        IPolicyEngine.ParamRule[] memory rules = new IPolicyEngine.ParamRule[](1);
        rules[0] = IPolicyEngine.ParamRule(IPolicyEngine.ParamOp.Equal, 0, 20, values);
        vm.prank(authority);
        engine.setCallRules(account, address(token), IERC20.transfer.selector, rules);
        assertAgentPasses(transfer(10e18));
        address thief = makeAddr("thief");
        assertEngineRefuses(
            call1(address(token), 0, abi.encodeCall(IERC20.transfer, (thief, 10e18))),
            IPolicyEngine.Engine_CallRuleBroken.selector
        );
        assertEq(token.balanceOf(thief), 0);
        assertEq(token.balanceOf(payee), 10e18);
    }

    /// @dev The engine keeps its record while the account no longer runs it (a removal the
    /// account made without it, or whose `onUninstall` failed and was ignored): AgentValidator
    /// still refuses the agent, because it asks the account for its hook, not only the engine.
    function test_engine_attack_AgentActsWhileTheAccountRunsNoHook() public {
        pretendTheHookIsGone();
        (bool installed,,,) = engine.leashContext(account);
        assertTrue(installed, "the engine keeps its record");
        assertAgentNotValidated(call1(address(target), 0, ping), leashNotInstalled());
        vm.clearMockedCalls();
        assertAgentPasses(call1(address(target), 0, ping));
    }

    /// @dev The owner removes the engine with the authority's approval: the agent's key validates
    /// nothing more, whatever record the engine keeps (Safe7579 removes its global hook whatever
    /// the hook answers).
    function test_engine_OwnersApprovedRemovalStopsTheAgent() public virtual {
        bytes memory uninstall = uninstallHookCall(address(engine));
        vm.prank(authority);
        engine.approveChange(account, keccak256(uninstall));
        ownerDoes(uninstall);
        assertAgentNotValidated(call1(address(target), 0, ping), leashNotInstalled());
    }
}
