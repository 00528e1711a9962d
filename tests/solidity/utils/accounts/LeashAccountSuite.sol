// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {
    IERC7579Execution,
    IERC7579Hook,
    IERC7579ModuleConfig
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {Vm} from "forge-std/Test.sol";

import {AutomationExecutor} from "../../../../contracts/automation/AutomationExecutor.sol";
import {IAgentValidator} from "../../../../contracts/interfaces/IAgentValidator.sol";
import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {IAutomationExecutor} from "../../../../contracts/interfaces/IAutomationExecutor.sol";
import {IEmergencyPauseHook} from "../../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {IHookMultiPlexer} from "../../../../contracts/interfaces/IHookMultiPlexer.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";
import {AgentValidator} from "../../../../contracts/validator/AgentValidator.sol";

import {LeashDeployment} from "../LeashDeployment.sol";
import {MockExecutor} from "../mocks/MockExecutor.sol";
import {OwnerValidator} from "../mocks/OwnerValidator.sol";
import {Target} from "../mocks/Target.sol";
import {TestToken} from "../mocks/Tokens.sol";
import {AccountHarness} from "./AccountHarness.sol";

/// @notice The Leash modules beside one account kind, and the helpers to drive them the way an agent
/// does: UserOps signed by the agent's key through AgentValidator and the account's real
/// validation and execution paths.
/// @dev Stack: multiplexer -> [pause, allowlist (allow: target.ping, token.transfer), spending
/// (100 TOKEN an hour)]; AgentValidator with the agent's key; AutomationExecutor with two tasks.
abstract contract LeashAccountBase is AccountHarness, LeashDeployment {
    AgentValidator internal agentValidator;
    Target internal target;
    Target internal other;
    TestToken internal token;

    Vm.Wallet internal agent;
    address internal authority = makeAddr("authority");
    address internal guardian = makeAddr("guardian");
    address internal keeper = makeAddr("keeper");
    address internal payee = makeAddr("payee");

    uint256 internal constant LIMIT = 100e18;
    uint256 internal constant TASK_PING = 1;
    uint256 internal constant TASK_PAY = 2;

    bytes internal ping = abi.encodeCall(Target.ping, ());

    function setUp() public virtual {
        setUpAccount();
        agent = vm.createWallet("agent");
        deployLeash();
        agentValidator = new AgentValidator(address(mux), address(engine), address(pauseHook));
        target = new Target();
        other = new Target();
        token = new TestToken("TOKEN");
        token.mint(account, 1000e18);
        installLeash();
    }

    // ------------------------------------------------------------------ the stack

    function muxInit() internal view returns (bytes memory) {
        address[] memory hooks = new address[](3);
        bytes[] memory init = new bytes[](3);
        (hooks[0], init[0]) = (address(pauseHook), abi.encode(authority, guardian, uint256(1 days)));
        IAllowlistHook.Permission[] memory perms = new IAllowlistHook.Permission[](2);
        perms[0] = IAllowlistHook.Permission(address(target), Target.ping.selector);
        perms[1] = IAllowlistHook.Permission(address(token), IERC20.transfer.selector);
        (hooks[1], init[1]) =
        (address(allowlist), abi.encode(authority, IAllowlistHook.Mode.Allow, perms, new address[](0)));
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0].token = address(token);
        policies[0].limits = new ISpendingLimitHook.LimitConfig[](1);
        policies[0].limits[0] = ISpendingLimitHook.LimitConfig(LIMIT, 1 hours);
        (hooks[2], init[2]) = (address(spending), abi.encode(authority, policies));
        return abi.encode(authority, hooks, init);
    }

    /// @dev The multiplexer's install data where it rides on the agent's validation (Kernel): the
    /// suite's, plus that validation, its install proof.
    function muxInitOnValidation() internal view returns (bytes memory) {
        (address a, address[] memory hooks, bytes[] memory init) = abi.decode(muxInit(), (address, address[], bytes[]));
        return abi.encode(a, hooks, init, agentValidation());
    }

    /// @dev The validation the Leash hook rides on where the account has no account-wide hook
    /// (Kernel: the agent's); zero elsewhere.
    function agentValidation() internal view returns (bytes21) {
        return hookedValidation(address(agentValidator));
    }

    function agentValidatorInit() internal view returns (bytes memory) {
        return abi.encode(authority, agent.addr, uint256(1 ether));
    }

    function automationInit() internal view returns (bytes memory) {
        IAutomationExecutor.Task[] memory tasks = new IAutomationExecutor.Task[](2);
        (tasks[0], tasks[1]) = (taskOf(TASK_PING), taskOf(TASK_PAY));
        return abi.encode(authority, tasks);
    }

    /// @dev The suite's tasks, as installed (the keeper passes them whole).
    function taskOf(uint256 id) internal view returns (IAutomationExecutor.Task memory) {
        if (id == TASK_PING) return IAutomationExecutor.Task(TASK_PING, keeper, address(target), 0, ping, 0, 0, 0, 0);
        return IAutomationExecutor.Task(
            TASK_PAY, keeper, address(token), 0, abi.encodeCall(IERC20.transfer, (payee, 150e18)), 0, 0, 0, 0
        );
    }

    /// @dev Installs the stack at set-up.
    function installLeash() internal virtual {
        installStack();
    }

    /// @dev The owner installs the agent's validator and the executor, then the multiplexer. Where
    /// hooks ride on validations (Kernel), the multiplexer installs with the agent's validation,
    /// then rides on the executor too (Kernel finds it initialized and does not install it twice).
    function installStack() internal {
        if (agentValidation() != bytes21(0)) {
            installValidatorWithHook(address(agentValidator), agentValidatorInit(), address(mux), muxInitOnValidation());
            ownerDoes(installExecutorCall(address(automation), automationInit(), address(mux)));
            return;
        }
        ownerDoes(installValidatorCall(address(agentValidator), agentValidatorInit(), address(mux)));
        ownerDoes(installExecutorCall(address(automation), automationInit(), address(mux)));
        installMux();
    }

    function installMux() internal {
        shimHookInstall(address(mux), true);
        ownerDoes(installHookCall(address(mux), muxInit()));
        shimHookInstall(address(mux), false);
    }

    // ------------------------------------------------------------------ helpers

    function call1(address to, uint256 value, bytes memory data) internal pure returns (bytes memory) {
        return abi.encodeCall(IERC7579Execution.execute, (bytes32(0), abi.encodePacked(to, value, data)));
    }

    function batch2(address a, bytes memory da, address b, bytes memory db) internal pure returns (bytes memory) {
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(a, 0, da);
        items[1] = Execution(b, 0, db);
        return abi.encodeCall(IERC7579Execution.execute, (bytes32(uint256(1) << 248), abi.encode(items)));
    }

    function transfer(uint256 amount) internal view returns (bytes memory) {
        return call1(address(token), 0, abi.encodeCall(IERC20.transfer, (payee, amount)));
    }

    function agentDoes(bytes memory execution) internal returns (bool, bytes memory) {
        return handleOp(userOpFor(address(agentValidator), execution, agent.privateKey));
    }

    function assertAgentPasses(bytes memory execution) internal {
        (bool ok, bytes memory reason) = agentDoes(execution);
        assertTrue(ok, "the agent's operation should pass");
        assertEq(reason.length, 0);
    }

    function assertAgentRefused(bytes memory execution, bytes memory expected) internal {
        (bool ok, bytes memory reason) = agentDoes(execution);
        assertFalse(ok, "the agent's operation should be refused");
        assertEq(reason, reported(expected), "revert data");
        if (keccak256(reported(expected)) != keccak256(expected)) assertHookRefuses(execution, expected);
    }

    /// @dev For an account that wraps its hook's revert: the Leash hook's own verdict on the
    /// `msgData` the account hands it for an operation through AgentValidator, checked exactly (no
    /// state changes: the operation above reverted).
    function assertHookRefuses(bytes memory execution, bytes memory expected) internal {
        bytes memory msgData = hookMsgData(address(entryPoint), wrapCallData(address(agentValidator), execution));
        vm.prank(account);
        try IERC7579Hook(leashHook()).preCheck(address(entryPoint), 0, msgData) {
            assertTrue(false, "the hook let the refused operation through");
        } catch (bytes memory inner) {
            assertEq(inner, expected, "the hook's own revert data");
        }
    }

    /// @dev The agent's operation must not get past validation; `inner` is what the validator said.
    function assertAgentNotValidated(bytes memory execution, bytes memory inner) internal {
        assertNotValidated(userOpFor(address(agentValidator), execution, agent.privateKey), inner);
    }

    function assertNotValidated(PackedUserOperation memory op, bytes memory inner) internal {
        expectOpRefused(
            op,
            inner.length == 0
                ? failedOp("AA24 signature error")
                : abi.encodeWithSelector(IEntryPoint.FailedOpWithRevert.selector, 0, "AA23 reverted", reported(inner))
        );
    }

    function callNotAllowed(bytes4 selector) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IAgentValidator.AgentValidator_CallNotAllowed.selector, account, selector);
    }

    function targetNotAllowed(address to) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IAgentValidator.AgentValidator_TargetNotAllowed.selector, account, to);
    }

    /// @dev Makes the account answer, to AgentValidator's question, that the Leash hook is not its
    /// hook (not the agent's validation's, where hooks ride on validations).
    function pretendTheHookIsGone() internal {
        pretendTheAccountDropsHook(leashHook(), address(agentValidator));
    }

    /// @dev The Leash hook the suite installed: the multiplexer, or the policy engine.
    function leashHook() internal view virtual returns (address) {
        return address(mux);
    }

    /// @dev The agent bundles its operation after the owner's approved removal of the leash (the
    /// agent's validator, then `hook`, in one operation, the way `leash uninstall` makes it): the
    /// EntryPoint validates both before it executes either, so the agent's operation is valid while
    /// the leash is whole, and would execute after its removal, with no hook. The removal is
    /// refused in a transaction that carries an operation of the agent, which then executes under
    /// the hook (here: refused past the limit), and the approval stays for another transaction.
    /// On Kernel the person's own path takes no approval and runs no hook, but Kernel runs the hook
    /// the agent's validation had when it validated the operation.
    function checkRemovalBesideTheAgentRefused(address hook, PackedUserOperation memory agentsOp) internal {
        bytes memory removal = approvedRemoval(hook);
        PackedUserOperation[] memory ops = new PackedUserOperation[](2);
        ops[0] = userOpFor(ownerValidator(), removal, owner.privateKey);
        ops[1] = agentsOp;
        (bool[] memory ok, bytes[] memory reason) = handleOps(ops);
        assertFalse(ok[1], "the agent's transfer past the limit ran");
        assertEq(token.balanceOf(payee), 0);
        if (agentValidation() != bytes21(0)) {
            // Kernel: the removal ran; the hook the agent's validation had refuses an account it no
            // longer knows.
            assertTrue(ok[0]);
            assertEq(bytes4(reason[1]), ILeashModule.Leash_NotInstalled.selector);
            return;
        }
        assertEq(ILeashModule(hook).authorityOf(account), authority, "the hook stays");
        assertFalse(ok[0], "the removal ran beside the agent's operation");
        assertEq(
            reason[0],
            reported(abi.encodeWithSelector(ILeashModule.Leash_AgentOperationInTransaction.selector, account))
        );
        assertEq(agentValidator.agentOf(account), agent.addr, "the agent's validator stays");
        assertTrue(ILeashModule(hook).isApproved(account, keccak256(removal)), "the approval stays");
    }

    /// @dev Anyone may ask `hook` what AgentValidator asks (`leashContext`), which marks the
    /// account for the transaction. Strangers' marks alone hold back no approved change (the
    /// owner's removal of the leash runs); asked after the agent's operation was validated, they do
    /// not wipe out that operation's mark (the removal is refused). Asked first, they do not keep
    /// the agent's mark from counting either (`test_attack_StrangerAsksBeforeTheAgentsBundle`).
    function checkStrangersMark(address hook, bool afterTheAgent) internal {
        bytes memory removal = approvedRemoval(hook);
        if (afterTheAgent) assertAgentPasses(call1(address(target), 0, ping));
        askAsAStranger(hook);
        (bool ok, bytes memory reason) = handleOp(userOpFor(ownerValidator(), removal, owner.privateKey));
        if (afterTheAgent && agentValidation() == bytes21(0)) {
            assertFalse(ok, "the removal ran beside the agent's operation");
            assertEq(
                reason,
                reported(abi.encodeWithSelector(ILeashModule.Leash_AgentOperationInTransaction.selector, account))
            );
            assertEq(ILeashModule(hook).authorityOf(account), authority, "the hook stays");
            return;
        }
        // Kernel's owner takes the root path, which needs no approval and runs no hook.
        assertTrue(ok, "the stranger's mark held back the owner's approved removal");
        assertEq(ILeashModule(hook).authorityOf(account), address(0), "the hook is gone");
        assertEq(agentValidator.agentOf(account), address(0), "the agent's validator is gone");
    }

    /// @dev The owner's removal of the leash (the agent's validator, then `hook`, in one operation,
    /// the way `leash uninstall` makes it), approved at `hook` by the authority.
    function approvedRemoval(address hook) internal returns (bytes memory removal) {
        removal = batch2(account, uninstallValidatorCall(address(agentValidator)), account, uninstallHookCall(hook));
        vm.prank(authority);
        ILeashModule(hook).approveChange(account, keccak256(removal));
    }

    /// @dev Two strangers ask `hook` AgentValidator's question about the account (the second
    /// finds the first one's mark).
    function askAsAStranger(address hook) internal {
        askAsStrangers(hook, abi.encodeWithSignature("leashContext(address)", account));
    }

    /// @dev Two strangers make the call `question` to `hook`.
    function askAsStrangers(address hook, bytes memory question) internal {
        string[2] memory strangers = ["stranger", "another stranger"];
        for (uint256 i; i < strangers.length; ++i) {
            vm.prank(makeAddr(strangers[i]));
            (bool ok,) = hook.call(question);
            assertTrue(ok, "anyone may ask");
        }
    }

    /// @dev The agent's key pays the payee one more than the limit.
    function overTheLimit() internal view returns (PackedUserOperation memory) {
        return userOpFor(address(agentValidator), transfer(LIMIT + 1), agent.privateKey);
    }

    /// @dev The authority approves, at the multiplexer, the module change `callData` makes.
    /// @dev An approval the authority made for the owner's own module change cannot be spent by a
    /// call the account makes to itself while one of its hooked calls runs (the way an agent's
    /// nested self-call would reach `hook`, the account's hook): the hook refuses it and the
    /// approval stays. Once no hooked call of the account is in progress, the same self-call
    /// spends it where `ownersSpend` (the policy engine on a Safe, whose owners' own transactions
    /// reach it so), and is refused everywhere else.
    function checkNestedSelfCallCannotSpendTheApproval(address hook, bool ownersSpend) internal {
        MockExecutor executor = new MockExecutor();
        bytes memory install = installExecutorCall(address(executor), "", hook);
        vm.prank(authority);
        ILeashModule(hook).approveChange(account, keccak256(install));
        bytes memory refused = abi.encodeWithSelector(
            ILeashModule.Leash_ModuleChangeNotApproved.selector,
            account,
            bytes4(install),
            address(executor),
            keccak256(install)
        );
        IERC7579Hook h = IERC7579Hook(hook);
        vm.startPrank(account);
        // The agent's operation, whose execution makes the nested call.
        bytes memory outer =
            h.preCheck(address(entryPoint), 0, hookMsgData(address(entryPoint), call1(address(target), 0, ping)));
        vm.expectRevert(refused);
        h.preCheck(account, 0, hookMsgData(account, install));
        assertTrue(ILeashModule(hook).isApproved(account, keccak256(install)), "the approval is not spent");
        // A nested self-call that has ended does not make the next one top-level either.
        h.postCheck(h.preCheck(account, 0, hookMsgData(account, call1(address(target), 0, ping))));
        vm.expectRevert(refused);
        h.preCheck(account, 0, hookMsgData(account, install));
        h.postCheck(outer);

        if (!ownersSpend) {
            vm.expectRevert(refused);
            h.preCheck(account, 0, hookMsgData(account, install));
            vm.stopPrank();
            return;
        }
        bytes memory own = h.preCheck(account, 0, hookMsgData(account, install));
        assertFalse(ILeashModule(hook).isApproved(account, keccak256(install)), "the top-level self-call spent it");
        assertTrue(ILeashModule(hook).approvedChangeInProgress(account));
        h.postCheck(own);
        assertFalse(ILeashModule(hook).approvedChangeInProgress(account));
        vm.stopPrank();
    }

    /// @dev Attack, with the leash out of allow mode: a module keyed by the calling account that
    /// the account does not list as a validator or executor (a Kernel permission's signer, a Nexus
    /// default validator; here an owner validator the account set up by calling its `onInstall`
    /// itself). The agent calls its lifecycle functions through an execution to put its own key
    /// there: without the authority's approval the hook refuses each, alone or in a batch, and the
    /// module keeps the owner.
    function checkLifecycleCallsRefused() internal {
        OwnerValidator signer = new OwnerValidator();
        vm.prank(account);
        signer.onInstall(abi.encode(owner.addr));
        bytes memory clear = abi.encodeCall(OwnerValidator.onUninstall, (""));
        bytes memory toAgent = abi.encodeCall(OwnerValidator.onInstall, (abi.encode(agent.addr)));
        bytes[3] memory executions = [
            call1(address(signer), 0, clear),
            call1(address(signer), 0, toAgent),
            batch2(address(signer), clear, address(signer), toAgent)
        ];
        bytes4[3] memory selectors = [bytes4(clear), bytes4(toAgent), bytes4(clear)];
        for (uint256 i; i < executions.length; ++i) {
            assertAgentRefused(
                executions[i],
                abi.encodeWithSelector(
                    ILeashModule.Leash_ModuleCallNotApproved.selector,
                    account,
                    address(signer),
                    selectors[i],
                    keccak256(executions[i])
                )
            );
        }
        assertEq(signer.ownerOf(account), owner.addr);
    }

    function approveModuleChange(bytes memory callData) internal {
        vm.prank(authority);
        mux.approveChange(account, keccak256(callData));
    }
}

/// @notice The Leash stack on one account kind, driven the way an agent drives it; a keeper's task
/// through `executeFromExecutor`; the authority and guardian by direct calls. Each account runs
/// this suite through a tiny subclass that adds its harness and its owner-only functions.
/// @notice Tests of every suite with the whole stack installed, behind the multiplexer or the
/// policy engine (`leashHook`).
abstract contract LeashStackTests is LeashAccountBase {
    /// @dev See `checkStrangersMark`.
    function test_attack_StrangersMarkHoldsBackNoApproval() public {
        checkStrangersMark(leashHook(), false);
    }

    /// @dev See `checkStrangersMark`.
    function test_attack_StrangerCannotWipeOutTheAgentsMark() public {
        checkStrangersMark(leashHook(), true);
    }

    /// @dev A stranger's question before the bundle of `checkRemovalBesideTheAgentRefused`: the
    /// agent's mark still counts.
    function test_attack_StrangerAsksBeforeTheAgentsBundle() public {
        askAsAStranger(leashHook());
        checkRemovalBesideTheAgentRefused(leashHook(), overTheLimit());
    }
}

abstract contract LeashAccountSuite is LeashStackTests {
    // ------------------------------------------------------------------ the agent within its leash

    function test_agent_AllowedCallPasses() public {
        assertAgentPasses(call1(address(target), 0, ping));
        assertEq(target.pings(), 1);
    }

    function test_agent_RevertWhen_CallNotOnTheAllowlist() public {
        assertAgentRefused(
            call1(address(other), 0, ping),
            abi.encodeWithSelector(
                IAllowlistHook.Allowlist_CallNotAllowed.selector, account, address(other), Target.ping.selector
            )
        );
        assertEq(other.pings(), 0);
    }

    function test_agent_RevertWhen_SpendingPastTheLimit() public {
        assertAgentPasses(transfer(60e18));
        (bool ok, bytes memory reason) = agentDoes(transfer(60e18));
        assertFalse(ok);
        assertEq(
            bytes4(reason), bytes4(reported(abi.encodeWithSelector(ISpendingLimitHook.SpendingLimit_Exceeded.selector)))
        );
        assertEq(token.balanceOf(payee), 60e18);
    }

    /// @dev While paused the agent's operations are not yet valid (from the pause's end on): the
    /// EntryPoint refuses them before they run or cost the account anything.
    function test_agent_RevertWhen_Paused() public {
        vm.prank(guardian);
        pauseHook.pause(account);
        uint256 balance = account.balance;
        expectOpRefused(
            userOpFor(address(agentValidator), call1(address(target), 0, ping), agent.privateKey),
            failedOp("AA22 expired or not due")
        );
        assertEq(target.pings(), 0);
        assertEq(account.balance, balance, "the account paid nothing");
        // The pause ends by itself a day later: the agent acts again.
        vm.warp(block.timestamp + 1 days);
        assertAgentPasses(call1(address(target), 0, ping));
        assertEq(target.pings(), 1);
    }

    function test_agent_RevertWhen_KeyRotatedOut() public {
        vm.prank(authority);
        agentValidator.setAgent(account, makeAddr("nextAgent"));
        assertNotValidated(userOpFor(address(agentValidator), call1(address(target), 0, ping), agent.privateKey), "");
    }

    // ------------------------------------------------------------------ a keeper's task through executeFromExecutor

    function test_task_RunsThroughTheHooks() public {
        vm.prank(keeper);
        automation.executeTask(account, taskOf(TASK_PING));
        assertEq(target.pings(), 1);

        vm.prank(keeper);
        vm.expectRevert(
            reported(
                abi.encodeWithSelector(
                    ISpendingLimitHook.SpendingLimit_Exceeded.selector,
                    account,
                    address(token),
                    150e18,
                    LIMIT,
                    type(uint256).max // more than the limit: never
                )
            )
        );
        automation.executeTask(account, taskOf(TASK_PAY));

        vm.prank(guardian);
        pauseHook.pause(account);
        vm.prank(keeper);
        vm.expectRevert(
            reported(
                abi.encodeWithSelector(
                    IEmergencyPauseHook.Pause_AccountPaused.selector, account, block.timestamp + 1 days
                )
            )
        );
        automation.executeTask(account, taskOf(TASK_PING));
    }

    // ------------------------------------------------------------------ attacks: the agent loosening its leash

    function test_attack_AgentInstallsAModule() public {
        bytes memory call = installExecutorCall(address(new MockExecutor()), "", address(mux));
        assertAgentNotValidated(call, callNotAllowed(bytes4(call)));
    }

    function test_attack_AgentUninstallsTheMultiplexer() public {
        bytes memory call = uninstallHookCall(address(mux));
        assertAgentNotValidated(call, callNotAllowed(bytes4(call)));
    }

    function test_attack_AgentUninstallsItsValidator() public {
        bytes memory call = abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (1, address(agentValidator), ""));
        assertAgentNotValidated(call, callNotAllowed(bytes4(call)));
    }

    function test_attack_AgentReconfiguresTheMultiplexer() public {
        bytes memory removePause = abi.encodeCall(IHookMultiPlexer.removeSubHook, (account, address(pauseHook), ""));
        bytes memory execution = call1(address(mux), 0, removePause);
        (bool ok, bytes memory reason) = agentDoes(execution);
        assertFalse(ok);
        assertEq(
            bytes4(reason), bytes4(reported(abi.encodeWithSelector(ILeashModule.Leash_ModuleCallNotApproved.selector)))
        );
        assertTrue(mux.isSubHook(account, address(pauseHook)));
    }

    /// @dev A tightening entry point passes the multiplexer's guard; the allowlist then refuses any
    /// call to a Leash module (always protected).
    function test_attack_AgentLoosensAPolicyDirectly() public {
        bytes memory execution = call1(
            address(allowlist),
            0,
            abi.encodeCall(IAllowlistHook.addPermission, (account, address(other), bytes4(0x431e2cf5)))
        );
        assertAgentRefused(
            execution,
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, account, address(allowlist))
        );
        assertFalse(allowlist.isListed(account, address(other), bytes4(0x431e2cf5)));
    }

    /// @dev A block the account added stays a block: it cannot turn into an allow when the
    /// authority switches to allow mode (each mode has its own list). The agent's own call to the
    /// allowlist is refused (it is protected), so the account lists it on a path no hook sees (a
    /// Safe owner's `execTransaction`, Kernel's root validation), here by a direct call.
    function test_attack_AccountsBlockIsNoAllowAfterAModeSwitch() public {
        vm.prank(authority);
        allowlist.setMode(account, IAllowlistHook.Mode.Block);
        vm.prank(account);
        allowlist.addPermission(account, address(other), Target.ping.selector);
        assertAgentRefused(
            call1(address(other), 0, ping),
            abi.encodeWithSelector(
                IAllowlistHook.Allowlist_CallBlocked.selector, account, address(other), Target.ping.selector
            )
        );
        vm.prank(authority);
        allowlist.setMode(account, IAllowlistHook.Mode.Allow);
        assertAgentRefused(
            call1(address(other), 0, ping),
            abi.encodeWithSelector(
                IAllowlistHook.Allowlist_CallNotAllowed.selector, account, address(other), Target.ping.selector
            )
        );
        assertEq(other.pings(), 0);
        assertAgentPasses(call1(address(target), 0, ping));
        assertEq(target.pings(), 1, "the authority's allow list is in force again");
    }

    function test_attack_AgentRotatesItsOwnKey() public {
        bytes memory execution =
            call1(address(agentValidator), 0, abi.encodeCall(IAgentValidator.setAgent, (account, makeAddr("x"))));
        assertAgentNotValidated(execution, targetNotAllowed(address(agentValidator)));
    }

    function test_attack_AgentSignsOnTheOwnersPath() public {
        PackedUserOperation memory op = userOpFor(ownerValidator(), call1(address(other), 0, ping), agent.privateKey);
        assertNotValidated(op, "");
    }

    /// @dev Every owner-only function of this account, as the top-level call, nested in a self-call,
    /// and hidden after an allowed item of a batch.
    function test_attack_AgentUsesTheAccountsOwnerPaths() public {
        bytes[] memory calls = ownerOnlyCalls();
        assertGt(calls.length, 0);
        for (uint256 i; i < calls.length; ++i) {
            assertAgentNotValidated(calls[i], callNotAllowed(bytes4(calls[i])));
            assertAgentNotValidated(call1(account, 0, calls[i]), targetNotAllowed(account));
            assertAgentNotValidated(batch2(address(target), ping, account, calls[i]), targetNotAllowed(account));
        }
    }

    /// @dev Functions of the account only its owner (or the account itself) may call: the ERC-7579
    /// module management, and what an account adds (`withModuleManagement`).
    function ownerOnlyCalls() internal view virtual returns (bytes[] memory) {
        return withModuleManagement(new bytes[](0));
    }

    function withModuleManagement(bytes[] memory accountsOwn) internal view returns (bytes[] memory calls) {
        calls = new bytes[](accountsOwn.length + 2);
        calls[0] = abi.encodeCall(IERC7579ModuleConfig.installModule, (2, address(0xbad), ""));
        calls[1] = abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (4, address(mux), ""));
        for (uint256 i; i < accountsOwn.length; ++i) {
            calls[i + 2] = accountsOwn[i];
        }
    }

    // ------------------------------------------------------------------ attacks: aliases of the account

    /// @dev Targets a call from this account reaches as the account itself. Every account:
    /// `address(0)` (OpenZeppelin's execution runs it as a self-call; Leash refuses it everywhere).
    /// Safe7579 adds its adapter (the Safe's fallback handler and an enabled Safe module).
    function accountAliases() internal view virtual returns (address[] memory aliases) {
        aliases = new address[](1);
        aliases[0] = address(0);
    }

    /// @dev The agent's key validates no call to an alias, alone or hidden in a batch; the hook
    /// refuses the same execution on its own (for the owner's operation, which AgentValidator does
    /// not see), with the allowlist out of the way (block mode, nothing blocked).
    function test_attack_AgentCallsAnAliasOfTheAccount() public {
        vm.prank(authority);
        allowlist.setMode(account, IAllowlistHook.Mode.Block);
        address[] memory aliases = accountAliases();
        bytes memory uninstallMux = uninstallHookCall(address(mux));
        for (uint256 i; i < aliases.length; ++i) {
            bytes memory single = call1(aliases[i], 0, uninstallMux);
            assertAgentNotValidated(single, targetNotAllowed(aliases[i]));
            assertAgentNotValidated(
                batch2(address(target), ping, aliases[i], uninstallMux), targetNotAllowed(aliases[i])
            );
            vm.prank(account);
            vm.expectRevert(
                abi.encodeWithSelector(ILeashModule.Leash_SelfCallNotApproved.selector, account, keccak256(single))
            );
            mux.preCheck(address(entryPoint), 0, hookMsgData(address(entryPoint), single));
        }
        assertEq(mux.authorityOf(account), authority, "the leash stays");
    }

    /// @dev See `checkLifecycleCallsRefused`.
    function test_attack_AgentReinstallsAModuleKeyedByTheAccount() public {
        vm.prank(authority);
        allowlist.setMode(account, IAllowlistHook.Mode.Block);
        checkLifecycleCallsRefused();
    }

    /// @dev A module installed on the account acts for it: the agent's key validates no call to
    /// one (an owner validator the account may reconfigure, an executor), with the allowlist out
    /// of the way.
    function test_attack_AgentCallsAModuleOfTheAccount() public {
        vm.prank(authority);
        allowlist.setMode(account, IAllowlistHook.Mode.Block);
        bytes memory removeTask = abi.encodeCall(IAutomationExecutor.removeTask, (account, TASK_PING));
        assertAgentNotValidated(call1(address(automation), 0, removeTask), targetNotAllowed(address(automation)));
        address ownerModule = ownerValidator();
        if (ownerModule != address(0)) {
            bytes memory takeOver = abi.encodeWithSignature("setOwner(address)", agent.addr);
            assertAgentNotValidated(call1(ownerModule, 0, takeOver), targetNotAllowed(ownerModule));
            assertAgentNotValidated(batch2(address(target), ping, ownerModule, takeOver), targetNotAllowed(ownerModule));
            assertEq(OwnerValidator(ownerModule).ownerOf(account), owner.addr, "the owner path stays the owner's");
        }
    }

    /// @dev Should the multiplexer keep its record while the account no longer runs it (a removal
    /// the account made without it, or whose `onUninstall` failed and was ignored), AgentValidator
    /// still refuses the agent: it asks the account for its hook, not only the multiplexer.
    function test_attack_AgentActsWhileTheAccountRunsNoHook() public {
        pretendTheHookIsGone();
        assertEq(mux.authorityOf(account), authority);
        assertAgentNotValidated(
            call1(address(target), 0, ping),
            abi.encodeWithSelector(IAgentValidator.AgentValidator_LeashNotInstalled.selector, account)
        );
        vm.clearMockedCalls();
        assertAgentPasses(call1(address(target), 0, ping));
    }

    /// @dev See `checkNestedSelfCallCannotSpendTheApproval`.
    function test_attack_NestedSelfCallCannotSpendTheOwnersApproval() public {
        checkNestedSelfCallCannotSpendTheApproval(address(mux), false);
    }

    // ------------------------------------------------------------------ attacks: the EntryPoint deposit

    /// @dev The agent cannot move the account's EntryPoint deposit or stake: every such function
    /// of the account's EntryPoint is refused by the hook (nothing reaches the agent), with the
    /// allowlist out of the way.
    function test_attack_AgentMovesTheEntryPointDeposit() public {
        vm.prank(authority);
        allowlist.setMode(account, IAllowlistHook.Mode.Block);
        entryPoint.depositTo{value: 5 ether}(account);
        bytes[] memory calls = new bytes[](4);
        calls[0] = abi.encodeWithSelector(bytes4(0x205c2878), agent.addr, 5 ether); // withdrawTo
        calls[1] = abi.encodeWithSelector(bytes4(0xc23a5cea), agent.addr); // withdrawStake
        calls[2] = abi.encodeWithSelector(bytes4(0xbb9fe6bf)); // unlockStake
        calls[3] = abi.encodeWithSelector(bytes4(0x0396cb60), uint32(1)); // addStake
        for (uint256 i; i < calls.length; ++i) {
            bytes memory execution = call1(address(entryPoint), 0, calls[i]);
            (bool ok, bytes memory reason) = agentDoes(execution);
            assertFalse(ok, "the deposit moved");
            // The hook sees the execution itself on every account (Kernel unwraps executeUserOp).
            bytes memory expected = abi.encodeWithSelector(
                ILeashModule.Leash_DepositCallNotApproved.selector,
                account,
                address(entryPoint),
                bytes4(calls[i]),
                keccak256(execution)
            );
            assertEq(reason, reported(expected));
            vm.prank(account);
            vm.expectRevert(expected);
            mux.preCheck(address(entryPoint), 0, hookMsgData(address(entryPoint), execution));
        }
        assertEq(agent.addr.balance, 0, "nothing reached the agent");
    }

    /// @dev Attack: the agent bundles its own operation with a fee and `paymasterAndData` naming
    /// address zero. EntryPoint v0.7 then has the account pay, its prefund counting the two
    /// paymaster gas limits the field carries; v0.8 refuses such a field (AA98). The fee is chosen
    /// so that the cost without the paymaster gas limits would fit the allowance and the whole
    /// prefund does not: the validator charges the whole of it, so the operation is refused and
    /// nothing leaves the account.
    function test_attack_AgentPaysItselfThroughAZeroPaymaster() public {
        uint256 paymasterGas = 1_000_000;
        uint256 maxFee = 90 gwei;
        PackedUserOperation memory op =
            userOpFor(address(agentValidator), call1(address(target), 0, ping), agent.privateKey);
        op.gasFees = bytes32((maxFee << 128) | maxFee);
        op.paymasterAndData = abi.encodePacked(address(0), uint128(paymasterGas), uint128(paymasterGas));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(agent.privateKey, entryPoint.getUserOpHash(op));
        op.signature = abi.encodePacked(r, s, v);
        uint256 allowance = agentValidator.gasAllowanceOf(account);
        uint256 withoutPaymasterGas = (VERIFICATION_GAS + CALL_GAS + op.preVerificationGas) * maxFee;
        uint256 cost = withoutPaymasterGas + 2 * paymasterGas * maxFee;
        assertLe(withoutPaymasterGas, allowance);
        assertGt(cost, allowance);
        (uint256 balance, uint256 deposit) = (account.balance, entryPoint.balanceOf(account));
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        if (address(entryPoint) == ENTRYPOINT_V07) {
            bytes memory exceeded = abi.encodeWithSelector(
                IAgentValidator.AgentValidator_GasAllowanceExceeded.selector, account, cost, allowance
            );
            vm.expectRevert(
                abi.encodeWithSelector(IEntryPoint.FailedOpWithRevert.selector, 0, "AA23 reverted", reported(exceeded))
            );
        } else {
            vm.expectRevert(bytes("AA98 invalid paymaster"));
        }
        vm.prank(agent.addr, agent.addr);
        entryPoint.handleOps(ops, payable(agent.addr));
        assertEq(account.balance, balance, "the account paid");
        assertEq(entryPoint.balanceOf(account), deposit, "the deposit paid");
        assertEq(agent.addr.balance, 0, "nothing reached the agent");
        assertEq(agentValidator.gasAllowanceOf(account), allowance);
    }

    /// @dev Token receiver callbacks execute nothing: the hook lets them through on every account
    /// (Nexus runs its hook before answering them).
    function test_hook_LetsTokenReceiverCallbacksThrough() public {
        bytes[] memory callbacks = tokenReceiverCallbacks();
        for (uint256 i; i < callbacks.length; ++i) {
            vm.prank(account);
            mux.preCheck(payee, 0, hookMsgData(payee, callbacks[i]));
        }
    }

    /// @dev ERC-721, ERC-1155 single and ERC-1155 batch receiver callbacks, as a token calls them.
    function tokenReceiverCallbacks() internal view returns (bytes[] memory callbacks) {
        callbacks = new bytes[](3);
        callbacks[0] = abi.encodeWithSelector(bytes4(0x150b7a02), payee, payee, uint256(1), "");
        callbacks[1] = abi.encodeWithSelector(bytes4(0xf23a6e61), payee, payee, uint256(7), uint256(3), "");
        callbacks[2] = abi.encodeWithSelector(bytes4(0xbc197c81), payee, payee, new uint256[](1), new uint256[](1), "");
    }

    // ------------------------------------------------------------------ the authority

    function test_authority_LoosensAndTheAgentFollows() public {
        vm.startPrank(authority);
        allowlist.addPermission(account, address(other), Target.ping.selector);
        ISpendingLimitHook.TokenPolicy memory p;
        p.token = address(token);
        p.limits = new ISpendingLimitHook.LimitConfig[](1);
        p.limits[0] = ISpendingLimitHook.LimitConfig(500e18, 1 hours);
        spending.setTokenPolicy(account, p);
        vm.stopPrank();
        assertAgentPasses(call1(address(other), 0, ping));
        assertAgentPasses(transfer(300e18));
    }

    function test_authority_ApprovesAModuleChangeTheOwnerThenMakes() public virtual {
        MockExecutor executor = new MockExecutor();
        bytes memory install = installExecutorCall(address(executor), "", address(mux));
        (bool ok, bytes memory reason) = submitAsOwner(install);
        assertFalse(ok, "unapproved module change");
        assertEq(
            bytes4(reason),
            bytes4(reported(abi.encodeWithSelector(ILeashModule.Leash_ModuleChangeNotApproved.selector)))
        );
        approveModuleChange(install);
        ownerDoes(install);
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(2, address(executor), ""));
    }

    function test_authority_RecoversWhilePaused() public {
        vm.prank(guardian);
        pauseHook.pause(account);
        vm.prank(authority);
        pauseHook.unpause(account);
        assertAgentPasses(call1(address(target), 0, ping));
    }

    // ------------------------------------------------------------------ uninstall, reinstall

    function test_authority_RemovesTheAgentsValidatorAndReinstallsClean() public {
        bytes memory uninstall = uninstallValidatorCall(address(agentValidator));
        approveModuleChange(uninstall);
        ownerDoes(uninstall);
        assertFalse(agentValidator.isInitialized(account));
        assertEq(agentValidator.agentOf(account), address(0));
        Vm.Wallet memory next = vm.createWallet("nextAgent");
        bytes memory install = installValidatorCall(
            address(agentValidator), abi.encode(authority, next.addr, uint256(1 ether)), address(mux)
        );
        approveModuleChange(install);
        ownerDoes(install);
        assertNotValidated(userOpFor(address(agentValidator), call1(address(target), 0, ping), agent.privateKey), "");
        (bool ok,) = handleOp(userOpFor(address(agentValidator), call1(address(target), 0, ping), next.privateKey));
        assertTrue(ok, "the new key works");
    }

    /// @dev See `checkRemovalBesideTheAgentRefused`.
    function test_attack_AgentBundledWithTheOwnersApprovedRemoval() public {
        checkRemovalBesideTheAgentRefused(address(mux), overTheLimit());
    }

    function test_reinstall_StartsClean() public virtual {
        // The owner's spend: an agent's operation would keep the approved removal below out of this
        // transaction (`test_attack_AgentBundledWithTheOwnersApprovedRemoval`).
        ownerDoes(transfer(100e18));
        vm.prank(guardian);
        pauseHook.pause(account);

        bytes memory uninstall = uninstallHookCall(address(mux));
        approveModuleChange(uninstall);
        ownerDoes(uninstall);
        assertEq(mux.authorityOf(account), address(0));
        assertAgentNotValidated(
            call1(address(target), 0, ping),
            abi.encodeWithSelector(IAgentValidator.AgentValidator_LeashNotInstalled.selector, account)
        );

        installMux();
        assertFalse(pauseHook.isPaused(account), "no pause survives");
        assertEq(spending.remaining(account, address(token)), LIMIT, "no spend survives");
        assertAgentPasses(transfer(100e18));
        assertEq(token.balanceOf(payee), 200e18);
    }
}
