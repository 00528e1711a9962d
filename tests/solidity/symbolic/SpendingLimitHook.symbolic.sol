// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC7579Utils, ModePayload, ModeSelector} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {IERC7579Execution, IERC7579Hook, IERC7579Module} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {ISpendingLimitHook} from "../../../contracts/interfaces/ISpendingLimitHook.sol";
import {SpendingLimitHook} from "../../../contracts/spending/SpendingLimitHook.sol";
import {SymbolicBase} from "./SymbolicVM.sol";

/// @notice S5 proven: two rolling windows and a per-transaction cap on one token hold at once.
/// For every sequence of SPENDS native-coin executions (symbolic values and timestamps, in time
/// order) through `preCheck`, against symbolic limits L1 per W1 and L2 per W2 and a symbolic cap:
/// no accepted spend exceeds the cap, and the accepted spends inside any W1 seconds sum to at most
/// L1 and inside any W2 seconds to at most L2. The check contract stands in for the multiplexer
/// (the hook trusts it by construction), so `preCheck` sees each execution as the account's.
contract SpendingLimitHookSymbolic is Test, SymbolicBase {
    /// @dev Bounds: SPENDS spends; L1, L2 any uint128, the cap any uint128 or 0 (none); values any
    /// uint128; timestamps anywhere in the first BUCKETS_SPANNED 16-second buckets (96 s: W1's
    /// ring of five 16-second buckets wraps around, W2's of five 32-second buckets does not; the
    /// wrap-around itself is proven by the single-window check), each path with every spend's
    /// bucket fixed and its second symbolic. Windows of 64 and 128 s (bucket widths 16 and 32,
    /// powers of two, which halmos divides exactly).
    uint256 internal constant SPENDS = 2;
    uint256 internal constant BUCKETS_SPANNED = 6;
    uint256 internal constant W1 = 64;
    uint256 internal constant W2 = 128;

    address internal constant ACCOUNT = address(0xACC0);
    address internal constant PAYEE = address(0x7A);

    SpendingLimitHook internal hook;

    function setUp() public {
        hook = new SpendingLimitHook(address(this));
    }

    /// @dev The hook asks its trusted multiplexer whether it is a sub-hook during install.
    function isSubHook(address, address) external pure returns (bool) {
        return true;
    }

    function _timestamp(uint256 bucket, uint256 second) internal pure returns (uint256) {
        vm.assume(bucket < BUCKETS_SPANNED);
        for (uint256 c; c < BUCKETS_SPANNED; ++c) {
            if (bucket == c) return (c << 4) | second;
        }
        return 0;
    }

    /// @dev `x` when flag `f` (0 or 1) is set, else 0, without a branch.
    function _when(uint256 f, uint256 x) internal pure returns (uint256 r) {
        unchecked {
            r = x & (0 - f);
        }
    }

    function _flag(bool b) internal pure returns (uint256 f) {
        assembly ("memory-safe") {
            f := b
        }
    }

    /// @dev One execution of the account paying `value` of native coin, as the multiplexer hands it on.
    function _spend(uint256 value) internal returns (bool ok) {
        bytes32 mode = bytes32(
            abi.encodePacked(
                ERC7579Utils.CALLTYPE_SINGLE,
                ERC7579Utils.EXECTYPE_DEFAULT,
                bytes4(0),
                ModeSelector.wrap(0),
                ModePayload.wrap(0)
            )
        );
        bytes memory msgData = abi.encodeCall(IERC7579Execution.execute, (mode, abi.encodePacked(PAYEE, value)));
        (ok,) = address(hook)
            .call(abi.encodePacked(abi.encodeCall(IERC7579Hook.preCheck, (address(0xE4), 0, msgData)), ACCOUNT));
    }

    function check_preCheck_WindowsAndCapHoldTogether() public {
        uint256 l1 = svm.createUint(128, "limit1");
        uint256 l2 = svm.createUint(128, "limit2");
        uint256 cap = svm.createUint(128, "perTxCap");
        ISpendingLimitHook.TokenPolicy[] memory policies = new ISpendingLimitHook.TokenPolicy[](1);
        policies[0].perTxCap = cap; // token: the native coin
        policies[0].limits = new ISpendingLimitHook.LimitConfig[](2);
        policies[0].limits[0] = ISpendingLimitHook.LimitConfig(l1, W1);
        policies[0].limits[1] = ISpendingLimitHook.LimitConfig(l2, W2);
        (bool installed,) = address(hook)
            .call(
                abi.encodePacked(
                    abi.encodeCall(IERC7579Module.onInstall, (abi.encode(address(0xA0), policies))), ACCOUNT
                )
            );
        vm.assume(installed); // every limit the hook accepts

        uint256[SPENDS] memory t;
        uint256[SPENDS] memory v;
        bool[SPENDS] memory ok;
        for (uint256 i; i < SPENDS; ++i) {
            t[i] = _timestamp(svm.createUint256("bucket"), svm.createUint(4, "second"));
            v[i] = svm.createUint(128, "value");
            if (i > 0) vm.assume(t[i] >= t[i - 1]);
            vm.warp(t[i]);
            ok[i] = _spend(v[i]);
        }
        // One verdict per path, without branching or overflow checks (no sum comes near overflow).
        uint256 broken;
        unchecked {
            for (uint256 i; i < SPENDS; ++i) {
                broken |= _flag(ok[i]) & _flag(cap != 0) & _flag(v[i] > cap);
                uint256 sum1;
                uint256 sum2;
                for (uint256 j = i; j < SPENDS; ++j) {
                    sum1 += _when(_flag(ok[j]) & _flag(t[j] < t[i] + W1), v[j]);
                    sum2 += _when(_flag(ok[j]) & _flag(t[j] < t[i] + W2), v[j]);
                }
                broken |= _flag(sum1 > l1) | _flag(sum2 > l2);
            }
        }
        assert(broken == 0);
    }
}
