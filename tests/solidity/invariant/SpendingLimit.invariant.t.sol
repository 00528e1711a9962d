// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Test} from "forge-std/Test.sol";

import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {SpendingLimitHook} from "../../../contracts/spending/SpendingLimitHook.sol";

import {InvariantBase} from "../utils/InvariantBase.sol";
import {LeashTestAccount} from "../utils/LeashTestAccount.sol";
import {TestToken} from "../utils/mocks/Tokens.sol";

/// @dev Drives one account with two limits on one token (100/hour and 250/day) through the real
/// account's `execute`, keeping an exact log of every accepted spend.
contract SpendingHandler is Test {
    LeashTestAccount internal account;
    TestToken internal token;
    SpendingLimitHook internal hook;
    address internal constant BOB = address(0xB0B);

    uint256 public constant L1 = 100;
    uint256 public constant W1 = 3600;
    uint256 public constant L2 = 250;
    uint256 public constant W2 = 86_400;

    uint256[] public times;
    uint256[] public amounts;
    uint256 public earlyRefusals; // refusals the one-bucket bound does not explain
    uint256 public accepted;
    uint256 public refused;

    constructor(LeashTestAccount account_, TestToken token_, SpendingLimitHook hook_) {
        (account, token, hook) = (account_, token_, hook_);
    }

    function count() external view returns (uint256) {
        return times.length;
    }

    function exactSum(uint256 fromExclusive, uint256 toInclusive) public view returns (uint256 sum) {
        for (uint256 i; i < times.length; ++i) {
            if (times[i] > fromExclusive && times[i] <= toInclusive) sum += amounts[i];
        }
    }

    function spend(uint256 amount) external {
        amount = bound(amount, 1, 120);
        uint256 t = block.timestamp;
        vm.prank(address(ERC4337Utils.ENTRYPOINT_V08));
        try account.execute(
            bytes32(0), abi.encodePacked(address(token), uint256(0), abi.encodeCall(IERC20.transfer, (BOB, amount)))
        ) {
            times.push(t);
            amounts.push(amount);
            ++accepted;
        } catch {
            ++refused;
            // A refusal must be explained by some limit counting at most one bucket more than exact.
            bool overOne = exactSum(t - W1 - W1 / 4, t) + amount > L1;
            bool overTwo = exactSum(t - W2 - W2 / 4, t) + amount > L2;
            if (!overOne && !overTwo) ++earlyRefusals;
        }
    }

    /// Time moves by a random amount or exactly by a window or bucket edge.
    function warp(uint256 choice, uint256 dt) external {
        uint256[6] memory edges = [uint256(1), W1 / 4, W1, W1 - 1, W2 / 4, W2];
        // One choice in seven is a free step; the other six reach every edge.
        choice = choice % 7;
        uint256 step = choice < 6 ? edges[choice] : bound(dt, 0, W1);
        vm.warp(block.timestamp + step);
    }
}

contract SpendingLimitInvariantTest is InvariantBase {
    SpendingHandler internal handler;

    function setUp() public {
        TestToken token = new TestToken("T");
        SpendingLimitHook hook = new SpendingLimitHook(address(0));
        ISpendingLimitHook.TokenPolicy[] memory p = new ISpendingLimitHook.TokenPolicy[](1);
        p[0].token = address(token);
        p[0].limits = new ISpendingLimitHook.LimitConfig[](2);
        p[0].limits[0] = ISpendingLimitHook.LimitConfig(100, 3600);
        p[0].limits[1] = ISpendingLimitHook.LimitConfig(250, 86_400);
        LeashTestAccount account = newAccountWith(MODULE_TYPE_HOOK, address(hook), abi.encode(address(0xA0), p));
        token.mint(address(account), 1e30);
        vm.warp(1_700_000_000);
        handler = new SpendingHandler(account, token, hook);
        bytes4[] memory actions = new bytes4[](2);
        actions[0] = SpendingHandler.spend.selector;
        actions[1] = SpendingHandler.warp.selector;
        targetActions(address(handler), actions);
    }

    /// In no interval of W seconds do recorded spends exceed L, for both limits at once. After each
    /// call, the windows that end at the newest spend: spends are only appended, at the latest time
    /// so far, so a call adds no spend to any earlier window (each was checked after its own call).
    function invariant_NoWindowHoldsMoreThanItsLimit() public view {
        uint256 n = handler.count();
        if (n != 0) _assertWindowsEndingAt(n - 1);
    }

    /// And every window again at the end of each run, so the check above stands on its own.
    function afterInvariant() public view {
        uint256 n = handler.count();
        for (uint256 i; i < n; ++i) {
            _assertWindowsEndingAt(i);
        }
    }

    function _assertWindowsEndingAt(uint256 i) internal view {
        uint256 t = handler.times(i);
        assertLe(handler.exactSum(t - handler.W1(), t), handler.L1(), "hourly limit exceeded");
        assertLe(handler.exactSum(t - handler.W2(), t), handler.L2(), "daily limit exceeded");
    }

    /// A spend is refused early by at most one bucket's width, never more.
    function invariant_RefusedAtMostOneBucketEarly() public view {
        assertEq(handler.earlyRefusals(), 0);
    }
}
