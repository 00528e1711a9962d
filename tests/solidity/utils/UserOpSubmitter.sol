// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {Test, Vm} from "forge-std/Test.sol";

/// @notice Submits UserOps through a real EntryPoint as a bundler and reads back what the account's
/// execution did (v0.7 and v0.8 share `handleOps`, the packed UserOp and the events read here).
abstract contract UserOpSubmitter is Test {
    IEntryPoint internal entryPoint;
    address payable internal bundler;

    /// @dev Submits one UserOp. Returns whether the account's execution succeeded and, if not, the
    /// revert data it produced (the EntryPoint catches it and logs it).
    function handleOp(PackedUserOperation memory op) internal returns (bool success, bytes memory revertReason) {
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        (bool[] memory successes, bytes[] memory reasons) = handleOps(ops);
        return (successes[0], reasons[0]);
    }

    /// @dev Submits `ops` as one bundle: the EntryPoint validates every one of them before it
    /// executes any. Per UserOp, whether its execution succeeded and, if not, its revert data.
    function handleOps(PackedUserOperation[] memory ops)
        internal
        returns (bool[] memory success, bytes[] memory revertReason)
    {
        vm.recordLogs();
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        (success, revertReason) = (new bool[](ops.length), new bytes[](ops.length));
        for (uint256 k; k < ops.length; ++k) {
            bytes32 opHash = entryPoint.getUserOpHash(ops[k]);
            bool seen;
            for (uint256 i; i < logs.length; ++i) {
                Vm.Log memory log = logs[i];
                if (log.emitter != address(entryPoint) || log.topics.length < 2 || log.topics[1] != opHash) continue;
                if (log.topics[0] == IEntryPoint.UserOperationEvent.selector) {
                    // data: nonce, success, actualGasCost, actualGasUsed
                    (, success[k],,) = abi.decode(log.data, (uint256, bool, uint256, uint256));
                    seen = true;
                } else if (log.topics[0] == IEntryPoint.UserOperationRevertReason.selector) {
                    // data: nonce, revertReason
                    (, revertReason[k]) = abi.decode(log.data, (uint256, bytes));
                }
            }
            require(seen, "UserOperationEvent missing");
        }
    }

    /// @dev The EntryPoint refuses `op` before executing it, with exactly `refusal`.
    function expectOpRefused(PackedUserOperation memory op, bytes memory refusal) internal {
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        vm.expectRevert(refusal);
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
    }

    /// @dev The EntryPoint's refusal of the first UserOp of a bundle, as `AA22 expired or not due`.
    function failedOp(string memory reason) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, reason);
    }
}
