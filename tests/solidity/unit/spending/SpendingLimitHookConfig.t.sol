// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";
import {PackedWindow} from "../../../../contracts/libraries/PackedWindow.sol";

import {LeashTestBase} from "../../utils/LeashTestBase.sol";
import {TestToken} from "../../utils/mocks/Tokens.sol";

/// @notice The spending limit's configuration rules and readable refusals, installed alone on the
/// real account: what the authority may set, what the account may only tighten, malformed token
/// calls, and the views for tokens without a policy.
contract SpendingLimitHookConfigTest is LeashTestBase {
    TestToken internal usdc;
    uint256 internal constant L = 1000e6;
    uint256 internal constant CAP = 300e6;

    function setUp() public override {
        super.setUp();
        usdc = fundedToken("USDC", 1_000_000e6);
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0] = policy(address(usdc), L, 1 hours, CAP);
        (bool ok, bytes memory reason) =
            submit(installModuleCall(MODULE_TYPE_HOOK, address(spending), spendingInit(policies)));
        require(ok, string(reason));
    }

    function _limits(uint256 n, uint256 amount) internal pure returns (ISpendingLimitHook.LimitConfig[] memory l) {
        l = new ISpendingLimitHook.LimitConfig[](n);
        for (uint256 i; i < n; ++i) {
            l[i] = ISpendingLimitHook.LimitConfig(amount, (i + 1) * 1 hours);
        }
    }

    function _set(address caller, ISpendingLimitHook.TokenPolicy memory p, bytes memory expected) internal {
        vm.prank(caller);
        if (expected.length != 0) vm.expectRevert(expected);
        spending.setTokenPolicy(acct, p);
    }

    // ------------------------------------------------------------------ the authority's limits

    function test_setTokenPolicy_RevertWhen_NoLimitAndNoCap() public {
        ISpendingLimitHook.TokenPolicy memory p = policy(address(usdc), L, 1 hours, 0);
        p.limits = new ISpendingLimitHook.LimitConfig[](0);
        _set(authority, p, abi.encodeWithSelector(ISpendingLimitHook.SpendingLimit_NoLimits.selector, address(usdc)));
    }

    function test_setTokenPolicy_CapAloneIsALimit() public {
        ISpendingLimitHook.TokenPolicy memory p = policy(address(usdc), L, 1 hours, 50e6);
        p.limits = new ISpendingLimitHook.LimitConfig[](0);
        _set(authority, p, "");
        assertEq(spending.remaining(acct, address(usdc)), 50e6);
    }

    function test_setTokenPolicy_RevertWhen_MoreThanFourLimits() public {
        ISpendingLimitHook.TokenPolicy memory p = policy(address(usdc), L, 1 hours, 0);
        p.limits = _limits(5, L);
        _set(
            authority,
            p,
            abi.encodeWithSelector(ISpendingLimitHook.SpendingLimit_TooManyLimits.selector, address(usdc), 5, 4)
        );
    }

    /// @dev The engine's bounds: a limit of at most 2^95 - 1 (kept exactly in a packed window), a
    /// window of at most 100,000,000 s; refused with the figures.
    function test_setTokenPolicy_RevertWhen_AmountOrWindowOutOfRange() public {
        uint256 max = PackedWindow.MAX_AMOUNT;
        _set(
            authority,
            policy(address(usdc), max + 1, 1 hours, 0),
            abi.encodeWithSelector(PackedWindow.Window_AmountTooLarge.selector, max + 1, max)
        );
        _set(authority, policy(address(usdc), max, 1 hours, 0), "");
        uint256 longest = PackedWindow.MAX_WINDOW;
        _set(
            authority,
            policy(address(usdc), L, longest + 4, 0),
            abi.encodeWithSelector(PackedWindow.Window_TooLong.selector, longest + 4, longest)
        );
        _set(authority, policy(address(usdc), L, longest, 0), "");
    }

    /// @dev The per-transaction cap is a whole slot: any amount is a cap.
    function test_setTokenPolicy_CapAnyAmount() public {
        _set(authority, policy(address(usdc), L, 1 hours, type(uint256).max), "");
        (uint256 cap,) = spending.policyOf(acct, address(usdc));
        assertEq(cap, type(uint256).max);
    }

    function test_setTokenPolicy_RevertWhen_SeventeenthToken() public {
        for (uint256 i = 1; i < 16; ++i) {
            _set(authority, policy(address(uint160(0x1000 + i)), L, 1 hours, 0), "");
        }
        assertEq(spending.tokensOf(acct).length, 16);
        _set(
            authority,
            policy(address(0x2000), L, 1 hours, 0),
            abi.encodeWithSelector(ISpendingLimitHook.SpendingLimit_TooManyTokens.selector, acct, 16)
        );
    }

    function test_setTokenPolicy_RevertWhen_NotInstalledOrStranger() public {
        address stranger = makeAddr("stranger");
        vm.prank(authority);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_NotInstalled.selector, stranger));
        spending.setTokenPolicy(stranger, policy(address(usdc), L, 1 hours, 0));
        _set(
            stranger,
            policy(address(usdc), 1, 1 hours, 1),
            abi.encodeWithSelector(ILeashModule.Leash_OnlyAccountOrAuthority.selector, acct, stranger)
        );
    }

    // ------------------------------------------------------------------ the account only tightens

    function test_setTokenPolicy_AccountMayLowerItsLimitAndCap() public {
        _set(acct, policy(address(usdc), L / 2, 1 hours, CAP / 2), "");
        assertEq(spending.remaining(acct, address(usdc)), CAP / 2);
    }

    function test_setTokenPolicy_RevertWhen_AccountLoosens() public {
        bytes memory notTightening =
            abi.encodeWithSelector(ISpendingLimitHook.SpendingLimit_NotTightening.selector, acct, address(usdc));
        _set(acct, policy(address(usdc), L + 1, 1 hours, CAP), notTightening); // higher amount
        _set(acct, policy(address(usdc), L, 2 hours, CAP), notTightening); // another window
        _set(acct, policy(address(usdc), L, 1 hours, 0), notTightening); // cap removed
        _set(acct, policy(address(usdc), L, 1 hours, CAP + 1), notTightening); // cap raised
        ISpendingLimitHook.TokenPolicy memory two = policy(address(usdc), L, 1 hours, CAP);
        two.limits = _limits(2, L);
        _set(acct, two, notTightening); // a different number of limits
        _set(
            acct,
            policy(address(0xBEEF), 1, 1 hours, 1),
            abi.encodeWithSelector(ISpendingLimitHook.SpendingLimit_NotTightening.selector, acct, address(0xBEEF))
        ); // a token without a policy: only the authority adds one
    }

    // ------------------------------------------------------------------ removing

    function test_removeTokenPolicy_KeepsTheOthers() public {
        _set(authority, policy(address(0xA1), L, 1 hours, 0), "");
        _set(authority, policy(address(0xA2), L, 1 hours, 0), "");
        vm.prank(authority);
        spending.removeTokenPolicy(acct, address(0xA1));
        address[] memory tokens = spending.tokensOf(acct);
        assertEq(tokens.length, 2);
        assertEq(tokens[0], address(usdc));
        assertEq(tokens[1], address(0xA2));
        assertEq(spending.remaining(acct, address(0xA1)), type(uint256).max);
    }

    function test_removeTokenPolicy_RevertWhen_UnknownToken() public {
        vm.prank(authority);
        vm.expectRevert(
            abi.encodeWithSelector(ISpendingLimitHook.SpendingLimit_UnknownToken.selector, acct, address(0xA1))
        );
        spending.removeTokenPolicy(acct, address(0xA1));
    }

    // ------------------------------------------------------------------ malformed token calls

    function test_tokenCall_RevertWhen_ShorterThanASelector() public {
        assertRefused(
            executeSingle(address(usdc), 0, hex"a905"),
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_MalformedTokenCall.selector, acct, address(usdc), bytes4(0xa9050000), 2
            )
        );
    }

    function test_tokenCall_RevertWhen_ArgumentsCutShort() public {
        bytes memory cut = abi.encodeWithSelector(IERC20.transfer.selector, makeAddr("bob"));
        assertRefused(
            executeSingle(address(usdc), 0, cut),
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_MalformedTokenCall.selector,
                acct,
                address(usdc),
                IERC20.transfer.selector,
                36
            )
        );
    }

    // ------------------------------------------------------------------ views

    function test_views_TokenWithoutPolicyIsUnlimited() public view {
        assertEq(spending.remaining(acct, address(0xA1)), type(uint256).max);
        assertEq(spending.availableAt(acct, address(0xA1), 1e30), block.timestamp);
    }

    function test_views_OverTheCapNeverFits() public view {
        assertEq(spending.availableAt(acct, address(usdc), CAP + 1), type(uint256).max);
    }

    function test_remainingAt_PastTimesReadAsNow() public {
        for (uint256 i; i < 3; ++i) {
            assertPasses(executeSingle(address(usdc), 0, abi.encodeCall(IERC20.transfer, (makeAddr("bob"), CAP))));
        }
        assertEq(spending.remaining(acct, address(usdc)), L - 3 * CAP);
        assertEq(spending.remainingAt(acct, address(usdc), 0), L - 3 * CAP);
        vm.warp(block.timestamp + 2 hours);
        assertEq(spending.remaining(acct, address(usdc)), CAP);
    }

    // ------------------------------------------------------------------ storage

    /// @dev Every slot of the hook a spend writes was already non-zero before it, for the first
    /// spend after install and the first in a new bucket (both packed slots rewritten): no spend
    /// pays for a fresh slot, the first costs what a repeat costs.
    function test_spend_WritesNoZeroSlot() public {
        _assertWritesNoZeroSlot(); // the first spend after install
        vm.warp(block.timestamp + 2 hours);
        _assertWritesNoZeroSlot(); // a later bucket: the window rebuilt
    }

    function _assertWritesNoZeroSlot() internal {
        bytes memory transfer = executeSingle(address(usdc), 0, abi.encodeCall(IERC20.transfer, (makeAddr("bob"), 1)));
        uint256 before = vm.snapshotState();
        vm.record();
        assertPasses(transfer);
        (, bytes32[] memory writes) = vm.accesses(address(spending));
        assertGt(writes.length, 0, "the spend is recorded");
        vm.revertToState(before);
        for (uint256 i; i < writes.length; ++i) {
            assertTrue(vm.load(address(spending), writes[i]) != 0, "a spend writes a zero slot");
        }
        assertPasses(transfer);
    }
}
