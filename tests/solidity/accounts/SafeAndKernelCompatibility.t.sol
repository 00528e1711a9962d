// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    IERC7579Execution,
    IERC7579Hook,
    IERC7579Module,
    IERC7579ModuleConfig
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {ISafe7579} from "modulekit/accounts/safe/interfaces/ISafe7579.sol";

import {IAgentValidator} from "../../../contracts/interfaces/IAgentValidator.sol";
import {IAllowlistHook} from "../../../contracts/interfaces/IAllowlistHook.sol";
import {ILeashModule} from "../../../contracts/interfaces/ILeashModule.sol";
import {ExecutionDecoder} from "../../../contracts/libraries/ExecutionDecoder.sol";
import {HookMultiPlexer} from "../../../contracts/multiplexer/HookMultiPlexer.sol";
import {EmergencyPauseHook} from "../../../contracts/pause/EmergencyPauseHook.sol";
import {KernelHarness} from "../utils/accounts/KernelHarness.sol";
import {LeashAccountBase} from "../utils/accounts/LeashAccountSuite.sol";
import {SafeHarness} from "../utils/accounts/SafeHarness.sol";
import {MockExecutor} from "../utils/mocks/MockExecutor.sol";
import {Target} from "../utils/mocks/Target.sol";

/// @notice Each account without the multiplexer: Leash fails closed (the agent's key validates
/// nothing), and the account-specific ways the multiplexer could be planted are refused. Safe7579
/// and Kernel carry it since the fixes of docs/COMPATIBILITY.md; `SafeFixesTest` and
/// `KernelFixesTest` pin them.
abstract contract StackNotInstalled is LeashAccountBase {
    /// @dev The suite's stack without the multiplexer: the agent's validator and the executor only.
    function installLeash() internal virtual override {
        ownerDoes(installValidatorCall(address(agentValidator), agentValidatorInit(), address(1)));
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

    /// @dev A Safe owner can act through `execTransaction`, which no hook sees: it may not be the agent.
    function test_compat_SafeOwnerCannotBeTheAgent() public {
        vm.prank(authority);
        vm.expectRevert(
            abi.encodeWithSelector(IAgentValidator.AgentValidator_AgentIsOwner.selector, account, owner.addr)
        );
        agentValidator.setAgent(account, owner.addr);
    }
}

/// @notice Safe7579 carries the multiplexer since the two fixes of docs/COMPATIBILITY.md: the
/// install proof asks again with the global-hook context, and hooks read `msgData` without the
/// ERC-2771 sender the adapter appends. These tests pin both, and that neither opens a way around
/// the leash. The whole suite runs on Safe7579 in `LeashOnSafe.t.sol`.
contract SafeFixesTest is LeashAccountBase, SafeHarness {
    bytes4 internal constant EXECUTION_FAILED = 0xacfdb444; // Safe7579's ExecutionFailed()
    bytes internal constant GLOBAL_HOOK = abi.encode(uint8(0), bytes4(0));

    function appended(bytes memory call) internal view returns (bytes memory) {
        return bytes.concat(call, bytes20(address(entryPoint)));
    }

    // ------------------------------------------------------------------ fix 1: the install proof

    /// @dev The empty-context question still reverts; the global-hook question answers, and the
    /// multiplexer installed with its authority.
    function test_safe_MultiplexerProvesItsInstallWithTheGlobalContext() public {
        // Asked without the hook-type context, Safe7579 reverts without data.
        vm.expectRevert(bytes(""));
        IERC7579ModuleConfig(account).isModuleInstalled(4, address(mux), "");
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(4, address(mux), GLOBAL_HOOK));
        assertEq(mux.authorityOf(account), authority);
        assertTrue(mux.isSubHook(account, address(pauseHook)));
    }

    /// @dev The second question does not let the account plant state: a direct `onInstall` of a
    /// hook that is not the Safe's global hook is refused, for the multiplexer and a hook alone.
    function test_attack_DirectOnInstallStillRefused() public {
        HookMultiPlexer fresh = new HookMultiPlexer();
        vm.prank(account);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, account));
        fresh.onInstall(abi.encode(authority, new address[](0), new bytes[](0)));
        assertEq(fresh.authorityOf(account), address(0));

        EmergencyPauseHook alone = new EmergencyPauseHook(address(0));
        vm.prank(account);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, account));
        alone.onInstall(abi.encode(authority, guardian, uint256(1 days)));
        assertEq(alone.authorityOf(account), address(0));
    }

    /// @dev A selector hook is not the global hook: the multiplexer refuses to install as one
    /// (the same approved install of a hook that asks nothing passes, so the refusal is Leash's).
    function test_attack_SelectorHookIsNotAGlobalHook() public {
        bytes4 selector = Target.ping.selector;
        HookMultiPlexer fresh = new HookMultiPlexer();
        bytes memory install = abi.encodeCall(
            IERC7579ModuleConfig.installModule, (4, address(fresh), abi.encode(uint8(1), selector, muxInit()))
        );
        approveModuleChange(install);
        vm.expectCall(address(fresh), abi.encodeCall(IERC7579Module.onInstall, (muxInit())));
        (bool ok, bytes memory reason) = submitAsOwner(install);
        assertFalse(ok, "installed as a selector hook");
        assertEq(reason, abi.encodeWithSelector(EXECUTION_FAILED));
        assertEq(fresh.authorityOf(account), address(0));

        AnyHook any = new AnyHook();
        install =
            abi.encodeCall(IERC7579ModuleConfig.installModule, (4, address(any), abi.encode(uint8(1), selector, "")));
        approveModuleChange(install);
        ownerDoes(install);
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(4, address(any), abi.encode(uint8(1), selector)));
    }

    // ------------------------------------------------------------------ fix 2: the hook's data

    /// @dev The adapter appends the sender; the hooks read the call without it and the agent's
    /// allowed call passes.
    function test_safe_HookReadsTheCallWithoutTheAppendedSender() public {
        bytes memory execution = call1(address(target), 0, ping);
        vm.expectCall(
            address(mux), abi.encodeCall(IERC7579Hook.preCheck, (address(entryPoint), 0, appended(execution)))
        );
        assertAgentPasses(execution);
        assertEq(target.pings(), 1);
    }

    /// @dev Twenty trailing bytes that are not the sender the hook was told of are refused, as any
    /// other trailing bytes are.
    function test_attack_TrailingBytesThatAreNotTheSender() public {
        bytes memory execution = call1(address(target), 0, ping);
        bytes memory nonCanonical = abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector, 180);
        vm.startPrank(account);
        vm.expectRevert(nonCanonical);
        mux.preCheck(address(entryPoint), 0, bytes.concat(execution, bytes20(address(other))));
        vm.expectRevert(nonCanonical);
        mux.preCheck(address(other), 0, appended(execution));
        vm.stopPrank();
        // Through the multiplexer the sub-hooks apply the same rule (the multiplexer appends the account).
        bytes memory forSubHooks = abi.encodePacked(
            abi.encodeCall(
                IERC7579Hook.preCheck, (address(entryPoint), 0, bytes.concat(execution, bytes20(address(other))))
            ),
            account
        );
        vm.startPrank(address(mux));
        (bool ok, bytes memory reason) = address(allowlist).call(forSubHooks);
        assertFalse(ok);
        assertEq(reason, nonCanonical);
        (ok, reason) = address(spending).call(forSubHooks);
        assertFalse(ok);
        assertEq(reason, nonCanonical);
        vm.stopPrank();
        // The same calls with the true sender pass.
        vm.prank(account);
        mux.preCheck(address(entryPoint), 0, appended(execution));
    }

    /// @dev A batch placed after a canonical call, ahead of the true sender, cannot be reached: the
    /// part before the sender must be canonical as a whole, so its offsets cannot point past it.
    function test_attack_BatchHiddenInTheTrailingBytes() public {
        bytes memory hidden = batch2(address(target), ping, address(other), ping);
        bytes memory hiddenItems = slice(hidden, 4 + 64, hidden.length); // length ++ abi.encode(Execution[])

        // A canonical single call, then the batch, then the sender.
        bytes memory single = call1(address(target), 0, ping);
        vm.prank(account);
        vm.expectPartialRevert(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector);
        mux.preCheck(address(entryPoint), 0, appended(bytes.concat(single, hiddenItems)));

        // A batch-mode call whose executionCalldata offset points at the hidden batch.
        bytes memory decoy = call1(address(target), 0, ping);
        bytes memory repointed = bytes.concat(decoy, hiddenItems);
        repointed[4] = 0x01; // batch mode
        assembly ("memory-safe") {
            mstore(add(repointed, add(0x20, 36)), sub(mload(decoy), 4)) // offset: behind the decoy
        }
        vm.prank(account);
        vm.expectPartialRevert(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector);
        mux.preCheck(address(entryPoint), 0, appended(repointed));

        // The agent cannot submit either (its validator decodes the same way, without a sender).
        (bool ok,) = agentDoesUnvalidated(bytes.concat(single, hiddenItems));
        assertFalse(ok);
        assertEq(other.pings(), 0);
    }

    /// @dev What the hook decodes from the appended form is what the account runs: the same items,
    /// in order, and nothing else.
    function test_safe_StrippedFormDecodesWhatTheAccountRuns() public {
        bytes memory execution =
            batch2(address(target), ping, address(token), abi.encodeCall(IERC20.transfer, (payee, 7e18)));
        DecoderProbe probe = new DecoderProbe();
        (address[] memory targets, bytes[] memory datas, bytes memory call) =
            probe.items(appended(execution), address(entryPoint));
        assertEq(call, execution, "the call without the sender");
        assertEq(targets.length, 2);
        assertEq(targets[0], address(target));
        assertEq(datas[0], ping);
        assertEq(targets[1], address(token));
        assertEq(datas[1], abi.encodeCall(IERC20.transfer, (payee, 7e18)));
        assertAgentPasses(execution);
        assertEq(target.pings(), 1);
        assertEq(token.balanceOf(payee), 7e18);
        assertEq(spending.remaining(account, address(token)), LIMIT - 7e18, "the hook counted what ran");
    }

    /// @dev A canonical call whose last 20 bytes happen to be the sender is read as is: every
    /// canonical call is 4 bytes plus whole words, so only the appended form loses 20 bytes.
    function test_safe_CanonicalCallEndingInTheSenderIsReadAsIs() public {
        bytes memory data = abi.encodePacked(Target.ping.selector, bytes20(payee), bytes20(address(entryPoint)));
        bytes memory execution = call1(address(target), 0, data);
        assertEq(execution.length % 32, 4);
        assertEq(bytes20(slice(execution, execution.length - 20, execution.length)), bytes20(address(entryPoint)));
        DecoderProbe probe = new DecoderProbe();
        (address[] memory targets, bytes[] memory datas, bytes memory call) =
            probe.items(execution, address(entryPoint));
        assertEq(call, execution);
        assertEq(targets.length, 1);
        assertEq(targets[0], address(target));
        assertEq(datas[0], data);
        (,, call) = probe.items(appended(execution), address(entryPoint));
        assertEq(call, execution);
    }

    /// @dev An approval is of the call the authority sees (without the sender), on Safe7579 as on
    /// every account; one of the appended form is no approval.
    function test_attack_ApprovalOfTheAppendedFormIsNoApproval() public {
        MockExecutor executor = new MockExecutor();
        bytes memory install = installExecutorCall(address(executor), "", address(mux));
        vm.prank(authority);
        mux.approveChange(account, keccak256(appended(install)));
        (bool ok,) = submitAsOwner(install);
        assertFalse(ok);
        assertFalse(IERC7579ModuleConfig(account).isModuleInstalled(2, address(executor), ""));
        approveModuleChange(install);
        ownerDoes(install);
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(2, address(executor), ""));
    }

    /// @dev Submits the agent's UserOp without expecting validation to pass.
    function agentDoesUnvalidated(bytes memory execution) internal returns (bool, bytes memory) {
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = userOpFor(address(agentValidator), execution, agent.privateKey);
        vm.prank(bundler, bundler);
        try entryPoint.handleOps(ops, bundler) {
            return (true, "");
        } catch (bytes memory reason) {
            return (false, reason);
        }
    }

    function slice(bytes memory data, uint256 from, uint256 to) internal pure returns (bytes memory out) {
        out = new bytes(to - from);
        for (uint256 i; i < out.length; ++i) {
            out[i] = data[from + i];
        }
    }
}

/// @notice A hook installed alone on Safe7579 reads the call without the appended sender too.
contract SafeHookAloneTest is LeashAccountBase, SafeHarness {
    /// @dev The allowlist alone, allowing `target.ping` only.
    function installLeash() internal override {
        IAllowlistHook.Permission[] memory perms = new IAllowlistHook.Permission[](1);
        perms[0] = IAllowlistHook.Permission(address(target), Target.ping.selector);
        ownerDoes(
            installHookCall(
                address(allowlist), abi.encode(authority, IAllowlistHook.Mode.Allow, perms, new address[](0))
            )
        );
    }

    function test_safe_AllowlistAloneReadsTheCallWithoutTheSender() public {
        assertEq(allowlist.authorityOf(account), authority);
        ownerDoes(call1(address(target), 0, ping));
        assertEq(target.pings(), 1);
        bytes memory refused = call1(address(other), 0, ping);
        (bool ok,) = submitAsOwner(refused);
        assertFalse(ok);
        assertEq(other.pings(), 0);
        vm.startPrank(account);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAllowlistHook.Allowlist_CallNotAllowed.selector, account, address(other), Target.ping.selector
            )
        );
        allowlist.preCheck(address(entryPoint), 0, bytes.concat(refused, bytes20(address(entryPoint))));
        vm.expectRevert(abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector, 180));
        allowlist.preCheck(
            address(entryPoint), 0, bytes.concat(call1(address(target), 0, ping), bytes20(address(other)))
        );
        vm.stopPrank();
    }
}

/// @notice On a Safe, the Safe7579 adapter (its fallback handler and an enabled Safe module)
/// takes a call from the Safe with 20 appended bytes as a call from whoever those bytes name, and
/// runs no hook when its global hook is removed. Every route an outside review found through it,
/// each refused by AgentValidator and, for operations it does not see, by the hook itself: with the
/// allowlist in block mode and with no allowlist at all.
contract SafeAliasAttacksTest is LeashAccountBase, SafeHarness {
    bytes4 internal constant EXECUTION_FAILED = 0xacfdb444; // Safe7579's ExecutionFailed()

    /// @dev The stack variants the attacks run against: the allowlist in block mode blocking
    /// nothing, then no allowlist.
    function loosenAllowlist(uint256 variant) internal {
        vm.prank(authority);
        if (variant == 0) allowlist.setMode(account, IAllowlistHook.Mode.Block);
        else mux.removeSubHook(account, address(allowlist), "");
    }

    /// @dev The agent cannot sign `execution`; the owner's own operation carrying it is refused by
    /// the hook as a call to the account; the leash stays.
    function assertAliasRefused(bytes memory execution) internal {
        assertAgentNotValidated(execution, targetNotAllowed(adapter));
        assertOwnersOperationRefused(
            execution, bytes.concat(execution, bytes20(address(entryPoint))), keccak256(execution)
        );
    }

    /// @dev The owner's `operation` fails in the adapter; the hook, handed `hookMsgData`, refuses
    /// it as the unapproved module change `change`; the leash stays.
    function assertOwnersOperationRefused(bytes memory operation, bytes memory hookMsgData, bytes32 change) internal {
        (bool ok, bytes memory reason) = submitAsOwner(operation);
        assertFalse(ok, "the owner's unapproved operation through the adapter passed");
        assertEq(reason, abi.encodeWithSelector(EXECUTION_FAILED));
        vm.prank(account);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_SelfCallNotApproved.selector, account, change));
        mux.preCheck(address(entryPoint), 0, hookMsgData);
        assertEq(mux.authorityOf(account), authority, "the leash stays");
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(4, address(mux), abi.encode(uint8(0), bytes4(0))));
    }

    /// @dev The critical route: `uninstallModule` of the multiplexer through the adapter, the
    /// appended 20 bytes naming the Safe or the EntryPoint, then items sent through the adapter
    /// unhooked (tokens over the limit).
    function test_attack_AgentUninstallsTheLeashThroughTheAdapter() public {
        bytes memory removal = abi.encodeCall(
            IERC7579ModuleConfig.uninstallModule, (4, address(mux), abi.encode(uint8(0), bytes4(0), bytes("")))
        );
        bytes memory drain = abi.encodeCall(
            IERC7579Execution.execute,
            (
                bytes32(0),
                abi.encodePacked(address(token), uint256(0), abi.encodeCall(IERC20.transfer, (payee, 1000e18)))
            )
        );
        for (uint256 variant; variant < 2; ++variant) {
            if (variant == 1) setUp();
            loosenAllowlist(variant);
            for (uint256 s; s < 2; ++s) {
                address sender = s == 0 ? account : address(entryPoint);
                assertAliasRefused(call1(adapter, 0, bytes.concat(removal, bytes20(sender))));
                assertAliasRefused(
                    batch2(
                        adapter, bytes.concat(removal, bytes20(sender)), adapter, bytes.concat(drain, bytes20(sender))
                    )
                );
            }
        }
        assertEq(token.balanceOf(payee), 0);
    }

    /// @dev The critical route with the Safe's appended sender hidden in the encoding: the
    /// operation leaves out the last 20 bytes of a canonical `execute`, and the EntryPoint's
    /// address the Safe appends completes it. The hook's `msgData` is then canonical as it stands,
    /// so `withoutSender` strips nothing, yet it still comes from a Safe: the guard decides on
    /// the last 20 bytes alone, asks whether the adapter is an alias of the Safe, and refuses.
    /// The short form is not canonical, so the agent's key cannot sign it; the owner's operation
    /// without the authority's approval is refused by the hook.
    function test_attack_AppendedSenderCompletesACanonicalCall() public {
        for (uint256 variant; variant < 2; ++variant) {
            if (variant == 1) setUp();
            loosenAllowlist(variant);
            (bytes memory full, bytes memory short) = completedBySender();
            DecoderProbe probe = new DecoderProbe();
            (address[] memory targets,, bytes memory call) = probe.items(full, address(entryPoint));
            assertEq(call, full, "withoutSender strips nothing");
            assertEq(targets.length, 1);
            assertEq(targets[0], adapter);
            bytes memory notCanonical;
            try probe.items(short, address(entryPoint)) {
                fail();
            } catch (bytes memory refusal) {
                notCanonical = refusal;
            }
            assertEq(bytes4(notCanonical), ExecutionDecoder.ExecutionDecoder_NonCanonical.selector);
            assertAgentNotValidated(short, notCanonical);

            // The real Safe hands the hook the completed, canonical form, and the hook refuses it.
            vm.expectCall(address(mux), abi.encodeCall(IERC7579Hook.preCheck, (address(entryPoint), 0, full)));
            assertOwnersOperationRefused(short, full, keccak256(full));
        }
    }

    /// @dev `uninstallModule` of the multiplexer through the adapter, naming the EntryPoint as the
    /// adapter's sender, as a canonical `execute` (`full`) whose last 20 bytes are the EntryPoint's
    /// address, and the operation without them (`short`). 20 filler bytes end the execution on a
    /// word boundary (the adapter's decoding ignores them).
    function completedBySender() internal view returns (bytes memory full, bytes memory short) {
        bytes memory removal = bytes.concat(
            abi.encodeCall(
                IERC7579ModuleConfig.uninstallModule, (4, address(mux), abi.encode(uint8(0), bytes4(0), bytes("")))
            ),
            bytes20(0),
            bytes20(address(entryPoint))
        );
        full = call1(adapter, 0, removal);
        assertEq(full.length % 32, 4, "canonical as it stands, no padding");
        short = bytes.concat(full);
        assembly ("memory-safe") {
            mstore(short, sub(mload(short), 20))
        }
        assertEq(bytes.concat(short, bytes20(address(entryPoint))), full, "the Safe's appended sender completes it");
    }

    /// @dev The second route: the adapter's `validateUserOp` for a made-up operation, sender the
    /// EntryPoint, pays the Safe's ether into its deposit without a hook.
    function test_attack_AgentPaysTheDepositThroughTheAdapter() public {
        PackedUserOperation memory fake;
        fake.sender = account;
        bytes memory pay = bytes.concat(
            abi.encodeWithSelector(ISafe7579.validateUserOp.selector, fake, bytes32(0), 50 ether),
            bytes20(address(entryPoint))
        );
        uint256 deposit = entryPoint.balanceOf(account);
        for (uint256 variant; variant < 2; ++variant) {
            if (variant == 1) setUp();
            loosenAllowlist(variant);
            assertAliasRefused(call1(adapter, 0, pay));
        }
        assertLe(entryPoint.balanceOf(account), deposit, "no ether went into the deposit");
    }

    /// @dev The third route: `setRegistry` through the adapter, which would break every later
    /// executor call and module install.
    function test_attack_AgentSetsTheRegistryThroughTheAdapter() public {
        bytes memory setRegistry = bytes.concat(
            abi.encodeWithSignature("setRegistry(address,address[],uint8)", makeAddr("evil"), new address[](0), 0),
            bytes20(account)
        );
        for (uint256 variant; variant < 2; ++variant) {
            if (variant == 1) setUp();
            loosenAllowlist(variant);
            assertAliasRefused(call1(adapter, 0, setRegistry));
        }
        vm.prank(keeper);
        automation.executeTask(account, taskOf(TASK_PING));
        assertEq(target.pings(), 1, "tasks still run");
    }

    /// @dev Any module the Safe enabled is an alias too (it may act on the Safe with no hook).
    function test_attack_AgentCallsAnotherEnabledSafeModule() public {
        Target module = new Target();
        vm.prank(account);
        (bool ok,) = account.call(abi.encodeWithSignature("enableModule(address)", address(module)));
        assertTrue(ok, "module enabled");
        loosenAllowlist(0);
        bytes memory execution = call1(address(module), 0, ping);
        assertAgentNotValidated(execution, targetNotAllowed(address(module)));
        vm.prank(account);
        vm.expectRevert(
            abi.encodeWithSelector(ILeashModule.Leash_SelfCallNotApproved.selector, account, keccak256(execution))
        );
        mux.preCheck(address(entryPoint), 0, bytes.concat(execution, bytes20(address(entryPoint))));
        assertEq(module.pings(), 0);
    }

    /// @dev Behind the multiplexer, the Safe owners' own transaction cannot spend the authority's
    /// approval of a module change (the multiplexer does not tell it from a self-call nested in an
    /// execution: it fails closed); the owner's UserOp spends it. The policy engine lets the
    /// owners' transaction spend it (`EngineOnSafeTest.test_safe_OwnersTransactionSpendsTheApproval`).
    function test_safe_OwnersTransactionCannotSpendBehindTheMultiplexer() public {
        MockExecutor executor = new MockExecutor();
        bytes memory install = installExecutorCall(address(executor), "", address(mux));
        approveModuleChange(install);
        assertFalse(ownersTransaction(install), "the owners' transaction spent the approval");
        assertTrue(mux.isApproved(account, keccak256(install)), "the approval stays");
        ownerDoes(install);
        assertTrue(IERC7579ModuleConfig(account).isModuleInstalled(2, address(executor), ""));
        assertFalse(mux.isApproved(account, keccak256(install)));
    }

    /// @dev Safe7579 runs no hook when its global hook is removed and ignores the hook's answer, as
    /// it is the Safe owner's own change (like any `execTransaction` of the owner, which no hook
    /// sees): it passes without the authority. The multiplexer forgets the account, and the
    /// agent's key validates nothing from then on.
    function test_safe_OwnersOwnRemovalStopsTheAgent() public {
        ownerDoes(uninstallHookCall(address(mux)));
        assertEq(mux.authorityOf(account), address(0));
        assertAgentNotValidated(
            call1(address(target), 0, ping),
            abi.encodeWithSelector(IAgentValidator.AgentValidator_LeashNotInstalled.selector, account)
        );
        assertEq(target.pings(), 0);
    }
}

contract KernelCompatibilityTest is StackNotInstalled, KernelHarness {
    function validationRevert(bytes memory inner) internal pure override returns (bytes memory) {
        return inner;
    }

    /// @dev Kernel lists no hook in `isModuleInstalled(4, ...)` and keeps none from
    /// `installModule(4, ...)`: the multiplexer's install proof there is the validation named in its
    /// install data carrying it, which the agent's validation (no hook here) does not.
    function test_attack_HookInstallNamingAValidationWithoutItRefused() public {
        (bool ok, bytes memory reason) = submitAsOwner(installHookCall(address(mux), muxInitOnValidation()));
        assertFalse(ok);
        assertEq(reason, abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, account));
        vm.prank(account);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, account));
        mux.onInstall(muxInitOnValidation());
        assertFalse(mux.isInitialized(account));
    }

    /// @dev Kernel asks a hook `isInitialized(account)` before installing it with a validator or
    /// executor; the multiplexer answers, and the three-field install data (no validation named)
    /// has no proof to offer Kernel.
    function test_compat_KernelAsksTheHookIsInitialized() public {
        vm.expectCall(address(mux), abi.encodeCall(HookMultiPlexer.isInitialized, (account)));
        (bool ok,) = submitAsOwner(
            installExecutorCall(
                address(new StackNotInstalledExecutor()), bytes.concat(hex"00", muxInit()), address(mux)
            )
        );
        assertFalse(ok);
        assertEq(mux.authorityOf(account), address(0));
    }
}

/// @notice How Kernel carries the multiplexer (docs/COMPATIBILITY.md): on the agent's validation,
/// named in the install data, and on the executor.
contract KernelFixesTest is LeashAccountBase, KernelHarness {
    function test_kernel_OneMultiplexerOnTheAgentsValidationAndTheExecutor() public view {
        assertTrue(mux.isInitialized(account));
        assertEq(mux.authorityOf(account), authority);
        (, address validationHook) = abi.decode(
            _kernelView(abi.encodeWithSignature("validationConfig(bytes21)", agentValidation())), (uint32, address)
        );
        assertEq(validationHook, address(mux));
        address executorHook =
            abi.decode(_kernelView(abi.encodeWithSignature("executorConfig(address)", address(automation))), (address));
        assertEq(executorHook, address(mux));
    }

    /// @dev The person re-attaches the agent's validation without the hook (Kernel tells the
    /// multiplexer nothing, so it stays installed): Kernel would now run the agent's operations
    /// without any hook, so AgentValidator refuses them.
    function test_attack_AgentValidationWithoutTheMultiplexerRefused() public {
        ownerDoes(uninstallValidatorCall(address(agentValidator)));
        installValidatorWithHook(address(agentValidator), agentValidatorInit(), address(1), "");
        assertEq(mux.authorityOf(account), authority);
        // Unwrapped: Kernel takes `execute` directly from a validation without a hook.
        PackedUserOperation memory op =
            userOpFor(address(agentValidator), call1(address(target), 0, ping), agent.privateKey);
        op.callData = call1(address(target), 0, ping);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(agent.privateKey, entryPoint.getUserOpHash(op));
        op.signature = abi.encodePacked(r, s, v);
        assertNotValidated(
            op, abi.encodeWithSelector(IAgentValidator.AgentValidator_LeashNotInstalled.selector, account)
        );
        assertEq(target.pings(), 0);
    }

    function _kernelView(bytes memory call) internal view returns (bytes memory ret) {
        bool ok;
        (ok, ret) = account.staticcall(call);
        require(ok, "Kernel view failed");
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

/// @dev A hook that asks nothing (Safe7579 accepts it as a selector hook).
contract AnyHook {
    function onInstall(bytes calldata) external {}

    function onUninstall(bytes calldata) external {}

    function isModuleType(uint256 id) external pure returns (bool) {
        return id == 4;
    }

    function preCheck(address, uint256, bytes calldata) external pure returns (bytes memory) {
        return "";
    }

    function postCheck(bytes calldata) external {}
}

/// @dev `ExecutionDecoder.withoutSender` then `decode`, as the hooks call them, listing the items it decoded.
contract DecoderProbe {
    function items(bytes calldata msgData, address msgSender)
        external
        pure
        returns (address[] memory targets, bytes[] memory datas, bytes memory call)
    {
        bytes calldata c = ExecutionDecoder.withoutSender(msgData, msgSender);
        (, ExecutionDecoder.Executions memory ex) = ExecutionDecoder.decode(c);
        targets = new address[](ex.count);
        datas = new bytes[](ex.count);
        for (uint256 i; i < ex.count; ++i) {
            (targets[i],, datas[i]) = ExecutionDecoder.at(ex, i);
        }
        call = c;
    }
}
