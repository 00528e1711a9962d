// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ILeashModule} from "../../../../contracts/interfaces/ILeashModule.sol";
import {ISpendingLimitHook} from "../../../../contracts/interfaces/ISpendingLimitHook.sol";

import {LeashTestBase} from "../../utils/LeashTestBase.sol";
import {FalseReturningToken, FeeOnTransferToken, TestToken} from "../../utils/mocks/Tokens.sol";

/// @notice The spending limit through the real account and EntryPoint, behind the full stack.
contract SpendingLimitTest is LeashTestBase {
    TestToken internal usdc;
    TestToken internal weth;
    address internal bob = makeAddr("bob");

    uint256 internal constant L = 1000e6;
    uint256 internal constant W = 1 hours;
    uint256 internal constant WIDTH = W / 4;

    function setUp() public override {
        super.setUp();
        usdc = fundedToken("USDC", 1_000_000e6);
        weth = fundedToken("WETH", 1000 ether);
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](3);
        policies[0] = policy(address(usdc), L, W, 0);
        policies[1] = policy(address(weth), 10 ether, 1 days, 0);
        policies[2] = policy(address(0), 5 ether, 1 days, 0);
        installFullStack(policies);
        vm.warp((block.timestamp / W + 1) * W); // start at a window-aligned second
    }

    function _transfer(IERC20 token, address to, uint256 amount) internal pure returns (bytes memory) {
        return executeSingle(address(token), 0, abi.encodeCall(IERC20.transfer, (to, amount)));
    }

    /// @dev `availableAt` of an amount above the limit itself.
    uint256 internal constant NEVER = type(uint256).max;

    /// @dev When a spend made at `spentAt` leaves a window of `window` seconds: windows count in
    /// four buckets of `window / 4` plus the current one, so it leaves when the fifth bucket
    /// after its own begins.
    function _leavesAt(uint256 spentAt, uint256 window) internal pure returns (uint256) {
        uint256 width = window / 4;
        return (spentAt / width + 5) * width;
    }

    // ------------------------------------------------------------------ limits

    function test_transfer_UnderLimitPasses() public {
        assertPasses(_transfer(usdc, bob, 400e6));
        assertEq(usdc.balanceOf(bob), 400e6);
        assertEq(spending.remaining(acct, address(usdc)), L - 400e6);
    }

    function test_transfer_RevertWhen_OverLimitWithFigures() public {
        assertPasses(_transfer(usdc, bob, 700e6));
        // The figures: 300 left now; 400 fits once the first bucket has left the window.
        assertRefused(_transfer(usdc, bob, 400e6), exceeded(address(usdc), 400e6, 300e6, block.timestamp + W + WIDTH));
        assertEq(usdc.balanceOf(bob), 700e6);
    }

    /// @dev A lazily reset fixed window would let 2L through one second apart; here the second is refused.
    function test_transfer_NoDoubleLimitAcrossWindowEdge() public {
        vm.warp(block.timestamp + W - 1);
        uint256 spentAt = block.timestamp;
        assertPasses(_transfer(usdc, bob, L));
        vm.warp(block.timestamp + 1); // a fixed window resets exactly here
        assertRefused(_transfer(usdc, bob, 1), exceeded(address(usdc), 1, 0, _leavesAt(spentAt, W)));
        vm.warp(block.timestamp + W - 2);
        assertRefused(_transfer(usdc, bob, 1), exceeded(address(usdc), 1, 0, _leavesAt(spentAt, W)));
        assertEq(usdc.balanceOf(bob), L);
    }

    function test_transfer_AllowanceReturnsGradually() public {
        for (uint256 i; i < 4; ++i) {
            assertPasses(_transfer(usdc, bob, L / 4));
            vm.warp(block.timestamp + WIDTH);
        }
        // t = start + W: the spends of start .. start + 3*WIDTH are all still in the window
        // (conservatively), then leave it one bucket at a time.
        uint256 start = block.timestamp - W;
        for (uint256 k; k <= 4; ++k) {
            vm.warp(start + W + WIDTH + k * WIDTH);
            uint256 expectedBack = (k + 1) * (L / 4);
            assertEq(spending.remaining(acct, address(usdc)), expectedBack > L ? L : expectedBack);
        }
        assertPasses(_transfer(usdc, bob, L));
    }

    function test_remainingAt_PredictsTheFuture() public {
        assertPasses(_transfer(usdc, bob, L));
        assertEq(spending.remainingAt(acct, address(usdc), block.timestamp + W), 0);
        assertEq(spending.remainingAt(acct, address(usdc), block.timestamp + W + WIDTH), L);
    }

    // ------------------------------------------------------------------ what counts

    function test_approveThenTransferFrom_CountedOnceInFull() public {
        bytes memory approve = executeSingle(address(usdc), 0, abi.encodeCall(IERC20.approve, (bob, 600e6)));
        assertPasses(approve);
        assertEq(spending.remaining(acct, address(usdc)), 400e6, "approve counted in full");
        vm.prank(bob);
        usdc.transferFrom(acct, bob, 600e6); // the spender pulls: nothing more is counted
        assertEq(spending.remaining(acct, address(usdc)), 400e6, "not counted twice");
        // And the allowance cannot slip past the limit.
        assertRefused(
            executeSingle(address(usdc), 0, abi.encodeCall(IERC20.approve, (bob, 500e6))),
            exceeded(address(usdc), 500e6, 400e6, _leavesAt(block.timestamp, W))
        );
    }

    function test_transferFrom_OutOfAccountCounted() public {
        // The account approves itself (counted when used) then moves its own tokens with transferFrom.
        assertPasses(executeSingle(address(usdc), 0, abi.encodeCall(IERC20.approve, (acct, type(uint256).max))));
        assertEq(spending.remaining(acct, address(usdc)), L);
        assertPasses(executeSingle(address(usdc), 0, abi.encodeCall(IERC20.transferFrom, (acct, bob, 800e6))));
        assertEq(spending.remaining(acct, address(usdc)), 200e6);
    }

    function test_increaseAllowance_Counted() public {
        assertPasses(executeSingle(address(usdc), 0, abi.encodeCall(TestToken.increaseAllowance, (bob, 900e6))));
        assertEq(spending.remaining(acct, address(usdc)), 100e6);
        assertPasses(executeSingle(address(usdc), 0, abi.encodeCall(TestToken.decreaseAllowance, (bob, 900e6))));
        assertEq(spending.remaining(acct, address(usdc)), 100e6, "decreasing hands nothing back");
    }

    function test_otherTokenFunction_Refused() public {
        assertRefused(
            executeSingle(address(usdc), 0, abi.encodeCall(TestToken.transferAndCall, (bob, 1, ""))),
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_UnsupportedTokenCall.selector,
                acct,
                address(usdc),
                TestToken.transferAndCall.selector
            )
        );
    }

    function test_batchOfSmallTransfers_SummedAndRefusedWhole() public {
        Execution[] memory ten = new Execution[](10);
        for (uint256 i; i < 10; ++i) {
            ten[i] = Execution(address(usdc), 0, abi.encodeCall(IERC20.transfer, (bob, 100e6)));
        }
        assertPasses(executeBatch(ten));
        assertEq(spending.remaining(acct, address(usdc)), 0);
        vm.warp(block.timestamp + W + WIDTH);
        Execution[] memory eleven = new Execution[](11);
        for (uint256 i; i < 11; ++i) {
            eleven[i] = Execution(address(usdc), 0, abi.encodeCall(IERC20.transfer, (bob, 100e6)));
        }
        assertRefused(executeBatch(eleven), exceeded(address(usdc), 1100e6, L, NEVER));
        assertEq(usdc.balanceOf(bob), L, "no item of the refused batch ran");
    }

    function test_nativeValue_SummedOverBatch() public {
        Execution[] memory items = new Execution[](3);
        for (uint256 i; i < 3; ++i) {
            items[i] = Execution(bob, 2 ether, "");
        }
        assertRefused(executeBatch(items), exceeded(address(0), 6 ether, 5 ether, NEVER));
        // Value on a token call counts too: 4 ether fits the limit alone, 2 + 4 does not, so the
        // hook refuses before the token (which is not payable) is ever called.
        items = new Execution[](2);
        items[0] = Execution(bob, 2 ether, "");
        items[1] = Execution(address(usdc), 4 ether, abi.encodeCall(IERC20.transfer, (bob, 1)));
        assertRefused(executeBatch(items), exceeded(address(0), 6 ether, 5 ether, NEVER));
        items[1] = Execution(bob, 2 ether, "");
        assertPasses(executeBatch(items));
        assertEq(spending.remaining(acct, address(0)), 1 ether);
    }

    /// @dev Try-mode: an item that fails is still counted (conservative).
    function test_tryMode_FailedItemsStillCounted() public {
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(address(usdc), 0, abi.encodeCall(IERC20.transfer, (bob, 300e6)));
        items[1] = Execution(address(usdc), 0, abi.encodeCall(IERC20.transfer, (bob, 2_000_000e6))); // fails: balance
        bytes32 tryBatch = bytes32((uint256(1) << 248) | (uint256(1) << 240));
        bytes memory callData = abi.encodeWithSelector(account.execute.selector, tryBatch, abi.encode(items));
        assertRefused(callData, exceeded(address(usdc), 2_000_300e6, L, NEVER));
        // Within the limit, with the second item failing (zero recipient): both count.
        items[1] = Execution(address(usdc), 0, abi.encodeCall(IERC20.transfer, (address(0), 600e6))); // fails
        assertPasses(abi.encodeWithSelector(account.execute.selector, tryBatch, abi.encode(items)));
        assertEq(usdc.balanceOf(bob), 300e6, "the second item failed");
        assertEq(spending.remaining(acct, address(usdc)), 100e6, "and was counted");
    }

    /// @dev Funds the account with `token`, limits it to 100e18 a window and sends `amount` of it to bob.
    function _limitAndSend(TestToken token, uint256 amount) internal {
        token.mint(acct, 1000e18);
        vm.prank(authority);
        spending.setTokenPolicy(acct, policy(address(token), 100e18, W, 0));
        assertPasses(_transfer(token, bob, amount));
    }

    function test_feeOnTransferToken_CountsAmountSent() public {
        FeeOnTransferToken fee = new FeeOnTransferToken();
        _limitAndSend(fee, 100e18);
        assertEq(fee.balanceOf(bob), 99e18, "recipient got less");
        assertEq(spending.remaining(acct, address(fee)), 0, "the full amount left the account");
    }

    function test_falseReturningToken_CountedConservatively() public {
        FalseReturningToken f = new FalseReturningToken();
        _limitAndSend(f, 60e18);
        assertEq(f.balanceOf(bob), 0, "nothing moved");
        assertEq(spending.remaining(acct, address(f)), 40e18, "counted anyway");
    }

    function test_twoTokens_EachLimitedIndependently() public {
        Execution[] memory items = new Execution[](2);
        items[0] = Execution(address(usdc), 0, abi.encodeCall(IERC20.transfer, (bob, 500e6)));
        items[1] = Execution(address(weth), 0, abi.encodeCall(IERC20.transfer, (bob, 11 ether)));
        assertRefused(executeBatch(items), exceeded(address(weth), 11 ether, 10 ether, NEVER));
        items[1].callData = abi.encodeCall(IERC20.transfer, (bob, 4 ether));
        assertPasses(executeBatch(items));
        assertEq(spending.remaining(acct, address(usdc)), 500e6);
        assertEq(spending.remaining(acct, address(weth)), 6 ether);
    }

    // ------------------------------------------------------------------ composition

    function test_limitsAndPerTxCapCompose() public {
        ISpendingLimitHook.TokenPolicy memory p;
        p.token = address(usdc);
        p.perTxCap = 300e6;
        p.limits = new ISpendingLimitHook.LimitConfig[](2);
        p.limits[0] = ISpendingLimitHook.LimitConfig(500e6, 1 hours);
        p.limits[1] = ISpendingLimitHook.LimitConfig(800e6, 1 days);
        vm.prank(authority);
        spending.setTokenPolicy(acct, p);

        assertRefused(
            _transfer(usdc, bob, 301e6),
            abi.encodeWithSelector(
                ISpendingLimitHook.SpendingLimit_PerTxCapExceeded.selector, acct, address(usdc), 301e6, 300e6
            )
        );
        uint256 start = block.timestamp;
        assertPasses(_transfer(usdc, bob, 300e6));
        // Hourly: 200 left (below the cap of 300); 300 fits once the first spend leaves the hour.
        assertRefused(_transfer(usdc, bob, 300e6), exceeded(address(usdc), 300e6, 200e6, _leavesAt(start, 1 hours)));
        assertPasses(_transfer(usdc, bob, 200e6));
        vm.warp(block.timestamp + 1 hours + 15 minutes);
        assertPasses(_transfer(usdc, bob, 300e6)); // hourly free again; daily now 800 of 800
        vm.warp(block.timestamp + 1 hours + 15 minutes);
        // The daily limit holds: nothing left until the first spends (500) leave the day.
        assertRefused(_transfer(usdc, bob, 1), exceeded(address(usdc), 1, 0, _leavesAt(start, 1 days)));
    }

    function test_changingLimit_NeverHandsBackSpentAllowance() public {
        assertPasses(_transfer(usdc, bob, 900e6));
        // Same window, higher amount: the 900 stays spent.
        vm.prank(authority);
        spending.setTokenPolicy(acct, policy(address(usdc), 2000e6, W, 0));
        assertEq(spending.remaining(acct, address(usdc)), 1100e6);
        // New window: what was counted is carried into it.
        vm.prank(authority);
        spending.setTokenPolicy(acct, policy(address(usdc), 1000e6, 2 hours, 0));
        assertEq(spending.remaining(acct, address(usdc)), 100e6);
    }

    function test_setTokenPolicy_AccountMayTightenNotLoosen() public {
        vm.prank(acct);
        spending.setTokenPolicy(acct, policy(address(usdc), L / 2, W, 0));
        assertEq(spending.remaining(acct, address(usdc)), L / 2);
        vm.prank(acct);
        vm.expectRevert(
            abi.encodeWithSelector(ISpendingLimitHook.SpendingLimit_NotTightening.selector, acct, address(usdc))
        );
        spending.setTokenPolicy(acct, policy(address(usdc), L, W, 0));
        vm.prank(acct);
        vm.expectRevert(abi.encodeWithSelector(ILeashModule.Leash_OnlyAuthority.selector, acct, acct, authority));
        spending.removeTokenPolicy(acct, address(usdc));
    }

    function test_setTokenPolicy_RevertWhen_WindowUnder60s() public {
        vm.prank(authority);
        vm.expectRevert(abi.encodeWithSignature("Window_TooShort(uint256,uint256)", 56, 60));
        spending.setTokenPolicy(acct, policy(address(usdc), L, 56, 0));
    }

    // ------------------------------------------------------------------ uninstall

    function test_reinstall_StartsClean() public {
        assertPasses(_transfer(usdc, bob, L));
        vm.prank(authority);
        mux.removeSubHook(acct, address(spending), "");
        assertEq(spending.tokensOf(acct).length, 0);
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0] = policy(address(usdc), L, W, 0);
        vm.prank(authority);
        mux.addSubHook(acct, address(spending), spendingInit(policies));
        assertEq(spending.remaining(acct, address(usdc)), L, "no stale spend");
        assertPasses(_transfer(usdc, bob, L));
    }

    function test_alone_WorksWithoutMultiplexer() public {
        removeMux();
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0] = policy(address(usdc), L, W, 0);
        assertPasses(installModuleCall(MODULE_TYPE_HOOK, address(spending), spendingInit(policies)));
        assertPasses(_transfer(usdc, bob, L));
        assertRefused(_transfer(usdc, bob, 1), exceeded(address(usdc), 1, 0, _leavesAt(block.timestamp, W)));
    }
}
