// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {PolicyEngineConfig} from "../../../../contracts/engine/PolicyEngineConfig.sol";
import {SessionConfig} from "../../../../contracts/engine/SessionConfig.sol";
import {IAllowlistHook} from "../../../../contracts/interfaces/IAllowlistHook.sol";
import {IEmergencyPauseHook} from "../../../../contracts/interfaces/IEmergencyPauseHook.sol";
import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {IPolicyEngine} from "../../../../contracts/interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";
import {PackedWindow} from "../../../../contracts/libraries/PackedWindow.sol";

import {LeashTestBase} from "../../utils/LeashTestBase.sol";
import {Target} from "../../utils/mocks/Target.sol";
import {TestToken} from "../../utils/mocks/Tokens.sol";

/// @notice The policy engine as the real account's hook: each policy's rules, their composition,
/// the authority model, and the packed state's edges.
contract PolicyEngineTest is LeashTestBase {
    TestToken internal token;
    address internal payee = makeAddr("payee");

    function setUp() public override {
        super.setUp();
        token = fundedToken("USD", 1_000_000e18);
        vm.deal(acct, 100 ether);
        vm.warp(1_700_000_000);
    }

    function _perms2(address t1, bytes4 s1, address t2, bytes4 s2)
        internal
        pure
        returns (IAllowlistHook.Permission[] memory p)
    {
        p = new IAllowlistHook.Permission[](2);
        p[0] = IAllowlistHook.Permission(t1, s1);
        p[1] = IAllowlistHook.Permission(t2, s2);
    }

    function _tokens(ISpendingLimitHook.TokenPolicy memory p)
        internal
        pure
        returns (ISpendingLimitHook.TokenPolicy[] memory list)
    {
        list = new ISpendingLimitHook.TokenPolicy[](1);
        list[0] = p;
    }

    /// @dev The engine with one spending policy, `p`, and nothing else.
    function _installLimit(ISpendingLimitHook.TokenPolicy memory p) internal {
        installEngine(fullEngineConfig(IAllowlistHook.Mode.None, new IAllowlistHook.Permission[](0), _tokens(p)));
    }

    /// @dev The engine with the allowlist in `mode`, nothing listed, and no spending policy.
    function _installMode(IAllowlistHook.Mode mode) internal {
        installEngine(
            fullEngineConfig(mode, new IAllowlistHook.Permission[](0), new ISpendingLimitHook.TokenPolicy[](0))
        );
    }

    function _transfer(uint256 amount) internal view returns (bytes memory) {
        return call1(address(token), abi.encodeCall(IERC20.transfer, (payee, amount)));
    }

    /// @dev The account calls the engine (what an agent's operation would do).
    function _viaAccount(bytes memory call) internal view returns (bytes memory) {
        return call1(address(engine), call);
    }

    // ------------------------------------------------------------------ spending

    function test_spending_TenOfOneHundredFillOneThousandExactly() public {
        _installLimit(policy(address(token), 1000, 1 days, 0));
        for (uint256 i; i < 10; ++i) {
            assertPasses(_transfer(100));
        }
        uint256 width = 1 days / 4;
        uint256 freeAt = (block.timestamp / width + 5) * width;
        assertRefused(_transfer(1), exceeded(address(token), 1, 0, freeAt));
        assertEq(engine.remainingAt(acct, address(token), block.timestamp), 0);
        vm.warp(freeAt);
        assertPasses(_transfer(1000));
    }

    function test_spending_PerTxCapAppliesToTheBatchTotal() public {
        _installLimit(policy(address(token), 1000, 1 days, 150));
        bytes memory t100 = abi.encodeCall(IERC20.transfer, (payee, 100));
        assertPasses(call1(address(token), t100));
        assertRefused(
            batchOf(address(token), t100, address(token), t100),
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_PerTxCapExceeded.selector, acct, address(token), 200, 150
            )
        );
    }

    function test_spending_NativeSummedOverTheBatch() public {
        _installLimit(policy(address(0), 1 ether, 1 days, 0));
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(address(target), 0.6 ether, ping);
        items[1] = Execution(address(other), 0.6 ether, ping);
        // More than the limit itself: it never fits.
        assertRefused(executeBatch(items), exceeded(address(0), 1.2 ether, 1 ether, type(uint256).max));
        items[1].value = 0.4 ether;
        assertPasses(executeBatch(items));
        assertEq(engine.remainingAt(acct, address(0), block.timestamp), 0);
    }

    /// @dev approve, increaseAllowance and transferFrom out of the account all count; any other
    /// function of a limited token is refused.
    function test_spending_EveryOutflowCounts() public {
        _installLimit(policy(address(token), 1000, 1 days, 0));
        assertPasses(call1(address(token), abi.encodeCall(IERC20.approve, (payee, 400))));
        assertPasses(call1(address(token), abi.encodeCall(TestToken.increaseAllowance, (payee, 400))));
        assertEq(engine.remainingAt(acct, address(token), block.timestamp), 200);
        assertRefused(
            call1(address(token), abi.encodeCall(TestToken.transferAndCall, (payee, 1, ""))),
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_UnsupportedTokenCall.selector,
                acct,
                address(token),
                TestToken.transferAndCall.selector
            )
        );
    }

    /// @dev Several limits per token hold at once; the account may tighten, never loosen.
    function test_spending_SeveralLimitsAndTightening() public {
        ISpendingLimitHook.TokenPolicy memory p = policy(address(token), 500, 1 hours, 0);
        p.limits = new ISpendingLimitHook.LimitConfig[](2);
        p.limits[0] = ISpendingLimitHook.LimitConfig(500, 1 hours);
        p.limits[1] = ISpendingLimitHook.LimitConfig(800, 1 days);
        _installLimit(p);
        assertPasses(_transfer(500));
        vm.warp(block.timestamp + 2 hours);
        assertPasses(_transfer(300));
        assertEq(engine.remainingAt(acct, address(token), block.timestamp), 0, "the daily limit is full");

        // Tightening through the account: lower amounts, same windows.
        p.limits[1].amount = 700;
        assertPasses(_viaAccount(abi.encodeCall(IPolicyEngine.setTokenPolicy, (acct, p))));
        (, ISpendingLimitHook.LimitConfig[] memory limits) = engine.policyOf(acct, address(token));
        assertEq(limits[1].amount, 700);
        // Loosening through the account: refused by the engine.
        p.limits[1].amount = 5000;
        assertRefused(
            _viaAccount(abi.encodeCall(IPolicyEngine.setTokenPolicy, (acct, p))),
            abi.encodeWithSelector(ISpendingLimitHook.SpendingLimit_NotTightening.selector, acct, address(token))
        );
        // The authority may loosen; spent history stays.
        vm.prank(authority);
        engine.setTokenPolicy(acct, p);
        assertEq(engine.remainingAt(acct, address(token), block.timestamp), 200, "the hourly window still holds 300");
    }

    /// @dev A new window starts with what the old limits still count: a change never hands back
    /// spent allowance.
    function test_spending_NewWindowCarriesSpentAllowance() public {
        _installLimit(policy(address(token), 1000, 1 days, 0));
        assertPasses(_transfer(900));
        vm.prank(authority);
        engine.setTokenPolicy(acct, policy(address(token), 1000, 2 days, 0));
        assertEq(engine.remainingAt(acct, address(token), block.timestamp), 100);
    }

    function test_spending_RevertWhen_LimitTooLargeToPack() public {
        _installLimit(policy(address(token), 1000, 1 days, 0));
        uint256 max = PackedWindow.MAX_AMOUNT;
        vm.prank(authority);
        vm.expectRevert(abi.encodeWithSelector(PackedWindow.Window_AmountTooLarge.selector, max + 1, max));
        engine.setTokenPolicy(acct, policy(address(token), max + 1, 1 days, 0));
    }

    /// @dev Removing a policy forgets it; setting it again starts from an empty window.
    function test_spending_RemovedTokenIsUnlimitedThenFresh() public {
        _installLimit(policy(address(token), 1000, 1 days, 0));
        assertPasses(_transfer(1000));
        vm.startPrank(authority);
        engine.removeTokenPolicy(acct, address(token));
        vm.stopPrank();
        assertPasses(_transfer(5000));
        vm.prank(authority);
        engine.setTokenPolicy(acct, policy(address(token), 1000, 1 days, 0));
        assertPasses(_transfer(1000));
    }

    // ------------------------------------------------------------------ allowlist

    /// @dev Several selectors on one target: the first inline, the others in their own slots;
    /// removing the inline one keeps the others.
    function test_allowlist_SelectorsBeyondTheInlineOne() public {
        installEngine(
            fullEngineConfig(
                IAllowlistHook.Mode.Allow,
                _perms2(address(target), Target.ping.selector, address(target), Target.pong.selector),
                new ISpendingLimitHook.TokenPolicy[](0)
            )
        );
        assertPasses(call1(address(target), ping));
        assertPasses(call1(address(target), pong));
        assertRefused(call1(address(other), ping), callNotAllowed(address(other), Target.ping.selector));
        // The account may only tighten an allowlist: remove an allowance.
        assertPasses(
            _viaAccount(abi.encodeCall(IPolicyEngine.removePermission, (acct, address(target), Target.ping.selector)))
        );
        assertRefused(call1(address(target), ping), callNotAllowed(address(target), Target.ping.selector));
        assertPasses(call1(address(target), pong));
        assertFalse(engine.isListed(acct, address(target), Target.ping.selector));
        assertTrue(engine.isListed(acct, address(target), Target.pong.selector));
        // Listed again: the freed inline place takes it.
        vm.prank(authority);
        engine.addPermission(acct, address(target), Target.ping.selector);
        assertPasses(call1(address(target), ping));
    }

    /// @dev Composition: a limited token's call within its limit still needs its allowance, and an
    /// allowed call still meets the limit. No policy stands in for another.
    function test_composition_EveryPolicyJudgesEveryItem() public {
        installEngine(
            fullEngineConfig(
                IAllowlistHook.Mode.Allow,
                _perms2(address(target), Target.ping.selector, address(token), IERC20.approve.selector),
                _tokens(policy(address(token), 1000, 1 days, 0))
            )
        );
        assertRefused(_transfer(1), callNotAllowed(address(token), IERC20.transfer.selector));
        assertPasses(call1(address(token), abi.encodeCall(IERC20.approve, (payee, 1000))));
        uint256 width = 1 days / 4;
        assertRefused(
            call1(address(token), abi.encodeCall(IERC20.approve, (payee, 1))),
            exceeded(address(token), 1, 0, (block.timestamp / width + 5) * width)
        );
        // And in a batch: the unlisted item is refused even when the other one is fine.
        assertRefused(
            batchOf(address(target), ping, address(token), abi.encodeCall(IERC20.transfer, (payee, 1))),
            callNotAllowed(address(token), IERC20.transfer.selector)
        );
    }

    /// @dev Attack on the batch path's reuse of a verdict: after an allowed item, an item to the same
    /// target with another selector, 1 to 3 bytes of calldata or a protected target is still judged.
    function test_attack_BatchReusesNoVerdictItShouldNot() public {
        installEngine(
            fullEngineConfig(
                IAllowlistHook.Mode.Allow,
                _perms2(address(target), Target.ping.selector, address(automation), WILDCARD),
                new ISpendingLimitHook.TokenPolicy[](0)
            )
        );
        assertPasses(batchOf(address(target), ping, address(target), ping));
        assertRefused(
            batchOf(address(target), ping, address(target), pong), callNotAllowed(address(target), Target.pong.selector)
        );
        assertRefused(
            batchOf(address(target), ping, address(target), hex"03"),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ShortCalldata.selector, acct, address(target), 1)
        );
        assertRefused(
            batchOf(address(target), hex"03", address(target), ping),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ShortCalldata.selector, acct, address(target), 1)
        );
        assertRefused(
            batchOf(address(target), ping, address(automation), hex"03"),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(automation))
        );
        // A plain transfer after a call to the same target: another kind of call, judged again.
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(address(target), 0, ping);
        items[1] = Execution(address(target), 1, "");
        assertRefused(executeBatch(items), callNotAllowed(address(target), bytes4(0)));
    }

    function test_allowlist_AccountCannotAddAnAllowance() public {
        _installMode(IAllowlistHook.Mode.Allow);
        assertRefused(
            _viaAccount(abi.encodeCall(IPolicyEngine.addPermission, (acct, address(target), Target.ping.selector))),
            abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, acct, authority)
        );
    }

    /// @dev Attack: in block mode the agent lists a block (tightening, allowed); the authority then
    /// switches to allow mode. Read as an allowance, the agent's block would open the target.
    function test_attack_AccountsBlockNeverBecomesAnAllowance() public {
        _installMode(IAllowlistHook.Mode.Block);
        assertPasses(_viaAccount(abi.encodeCall(IPolicyEngine.addPermission, (acct, address(target), WILDCARD))));
        assertPasses(
            _viaAccount(abi.encodeCall(IPolicyEngine.addPermission, (acct, address(other), Target.ping.selector)))
        );
        assertRefused(call1(address(target), ping), callBlocked(address(target), WILDCARD));
        vm.prank(authority);
        engine.setMode(acct, IAllowlistHook.Mode.Allow);
        assertRefused(call1(address(target), ping), callNotAllowed(address(target), Target.ping.selector));
        assertRefused(call1(address(other), ping), callNotAllowed(address(other), Target.ping.selector));
        // Back in block mode, the blocks hold again.
        vm.prank(authority);
        engine.setMode(acct, IAllowlistHook.Mode.Block);
        assertRefused(call1(address(other), ping), callBlocked(address(other), Target.ping.selector));
    }

    /// @dev Protected targets and the other Leash modules are refused in every mode, and with no allowlist.
    /// @dev A call that moves value is checked against the allowlist like any other: the spending
    /// limit it passes does not stand in for the block.
    function test_allowlist_BlockAppliesToCallsWithValue() public {
        IAllowlistHook.Permission[] memory blocked = new IAllowlistHook.Permission[](1);
        blocked[0] = IAllowlistHook.Permission(address(target), Target.ping.selector);
        installEngine(
            fullEngineConfig(IAllowlistHook.Mode.Block, blocked, _tokens(policy(address(0), 10 ether, 1 days, 0)))
        );
        bytes memory refusal = callBlocked(address(target), Target.ping.selector);
        assertRefused(executeSingle(address(target), 1 ether, ping), refusal);
        assertRefused(call1(address(target), ping), refusal);
        assertPasses(executeSingle(address(target), 1 ether, pong));
        assertEq(target.pings(), 0);
        assertEq(address(target).balance, 1 ether);
    }

    function test_allowlist_ProtectedInEveryMode() public {
        _installMode(IAllowlistHook.Mode.None);
        assertPasses(_viaAccount(abi.encodeCall(IPolicyEngine.addProtected, (acct, address(target)))));
        bytes memory refusal =
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(target));
        assertRefused(call1(address(target), ping), refusal);
        vm.prank(authority);
        engine.setMode(acct, IAllowlistHook.Mode.Block);
        assertRefused(call1(address(target), ping), refusal);
        assertRefused(
            call1(address(automation), ""),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(automation))
        );
        assertTrue(engine.isProtected(acct, address(automation)));
    }

    /// @dev With no allowlist mode, no protected target and no limited token the engine reads no
    /// target slot; the Leash modules stay refused, and a target protected or a token limited
    /// later counts from the next execution on (the state slot's counts say when to read again).
    function test_allowlist_NoTargetPoliciesStillGuardAndLaterOnesApply() public {
        _installMode(IAllowlistHook.Mode.None);
        assertRefused(
            call1(address(automation), ""),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(automation))
        );
        assertPasses(call1(address(target), ping));
        assertPasses(_transfer(500));

        vm.startPrank(authority);
        engine.setTokenPolicy(acct, policy(address(token), 100, 1 days, 0));
        vm.stopPrank();
        // Above the limit itself: it never fits.
        assertRefused(_transfer(101), exceeded(address(token), 101, 100, type(uint256).max));
        assertPasses(_transfer(100));
        vm.prank(authority);
        engine.removeTokenPolicy(acct, address(token));
        assertPasses(_transfer(500));

        assertPasses(_viaAccount(abi.encodeCall(IPolicyEngine.addProtected, (acct, address(target)))));
        assertRefused(
            call1(address(target), ping),
            abi.encodeWithSelector(IAllowlistHook.Allowlist_ProtectedTarget.selector, acct, address(target))
        );
        vm.prank(authority);
        engine.removeProtected(acct, address(target));
        assertPasses(call1(address(target), ping));
        assertEq(target.pings(), 2);
    }

    // ------------------------------------------------------------------ pause

    function test_pause_StopsEverythingUntilAutoUnpauseThenCooldown() public {
        _installMode(IAllowlistHook.Mode.None);
        vm.prank(guardian);
        engine.pause(acct);
        uint256 until = block.timestamp + AUTO_UNPAUSE;
        assertRefused(
            call1(address(target), ping),
            abi.encodeWithSelector(IEmergencyPauseHook.Pause_AccountPaused.selector, acct, until)
        );
        vm.warp(until);
        assertPasses(call1(address(target), ping));
        assertPauseCoolsDownUntil(address(engine), until + 1 hours, authority);
        assertTrue(engine.isPaused(acct));
        vm.prank(guardian);
        engine.unpause(acct);
        assertPasses(call1(address(target), ping));
    }

    function test_pause_RevertWhen_NoGuardianOrNotGuardian() public {
        installEngine(engineConfig());
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IPolicyEngine.Engine_NoGuardian.selector, acct));
        engine.pause(acct);
        vm.prank(authority);
        engine.setGuardian(acct, guardian);
        vm.prank(payee);
        vm.expectRevert(abi.encodeWithSelector(IEmergencyPauseHook.Pause_NotGuardian.selector, acct, payee));
        engine.pause(acct);
    }

    /// @dev While paused, the authority still changes the leash: its approved change skips the pause.
    function test_pause_ApprovedChangeStillRuns() public {
        _installMode(IAllowlistHook.Mode.None);
        vm.prank(guardian);
        engine.pause(acct);
        removeHookWithApproval(address(engine));
        assertFalse(engine.isPaused(acct), "a reinstall starts unpaused");
    }

    // ------------------------------------------------------------------ authority model and lifecycle

    function test_guard_UninstallNeedsApproval() public {
        installEngine(engineConfig());
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_HOOK, address(engine), "");
        assertRefused(
            uninstall,
            abi.encodeWithSelector(
                ILeashModule.Leash_ModuleChangeNotApproved.selector,
                acct,
                bytes4(uninstall),
                address(engine),
                keccak256(uninstall)
            )
        );
    }

    /// @dev Reinstalling starts from a clean state: no limit, no allowlist entry, no spent history.
    function test_reinstall_StartsClean() public {
        installEngine(
            fullEngineConfig(
                IAllowlistHook.Mode.Block,
                _perms2(address(target), Target.ping.selector, address(other), WILDCARD),
                _tokens(policy(address(token), 1000, 1 days, 0))
            )
        );
        assertPasses(_transfer(1000));
        bytes memory uninstall = uninstallModuleCall(MODULE_TYPE_HOOK, address(engine), "");
        vm.prank(authority);
        engine.approveChange(acct, keccak256(uninstall));
        assertPasses(uninstall);
        _installMode(IAllowlistHook.Mode.Block);
        assertPasses(call1(address(target), ping));
        assertPasses(call1(address(other), ping));
        assertPasses(_transfer(5000));
    }

    /// @dev The configuration half runs only inside the engine: on its own it cannot be installed.
    function test_config_RevertWhen_InstalledDirectly() public {
        address config = address(new PolicyEngineConfig(new address[](0), address(new SessionConfig(new address[](0)))));
        (bool ok,) = submit(installModuleCall(MODULE_TYPE_HOOK, config, engineInit(engineConfig())));
        assertFalse(ok);
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, acct));
        PolicyEngineConfig(config).onInstall(engineInit(engineConfig()));
    }

    /// @dev onInstall cannot be called to plant state outside a real install.
    function test_onInstall_RevertWhen_NotInstalling() public {
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalling.selector, acct));
        engine.onInstall(engineInit(engineConfig()));
    }
}
