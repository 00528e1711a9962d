// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";

import {AccountTestBed} from "../utils/AccountTestBed.sol";

/// @notice The test bed itself: UserOps through the real EntryPoint into the real account.
contract AccountTestBedTest is AccountTestBed {
    address internal recipient = makeAddr("recipient");

    function test_handleOps_TransfersEthOutOfAccount() public {
        uint256 before = address(account).balance;
        (bool ok,) = submit(executeSingle(recipient, 1 ether, ""));
        assertTrue(ok, "userop failed");
        assertEq(recipient.balance, 1 ether);
        assertEq(address(account).balance, before - 1 ether);
        assertEq(entryPoint.getNonce(address(account), 0), 1);
    }

    function test_handleOps_RunsBatch() public {
        Execution[] memory batch = new Execution[](3);
        for (uint256 i; i < 3; ++i) {
            batch[i] = Execution({target: recipient, value: 1 ether, callData: ""});
        }
        (bool ok,) = submit(executeBatch(batch));
        assertTrue(ok, "userop failed");
        assertEq(recipient.balance, 3 ether);
    }

    function test_handleOps_ReportsExecutionRevert() public {
        // More ETH than the account holds: validation passes, execution reverts, the EntryPoint logs it.
        (bool ok, bytes memory reason) = submit(executeSingle(recipient, 1000 ether, ""));
        assertFalse(ok);
        assertGt(reason.length, 0);
        assertEq(recipient.balance, 0);
    }

    function test_handleOps_RevertWhen_SignedByStranger() public {
        PackedUserOperation memory op = userOp(executeSingle(recipient, 1 ether, ""));
        signUserOp(op, vm.createWallet("stranger").privateKey);
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        vm.prank(bundler, bundler);
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA24 signature error"));
        entryPoint.handleOps(ops, bundler);
        assertEq(recipient.balance, 0);
    }

    function test_handleOps_RevertWhen_SignatureTampered() public {
        PackedUserOperation memory op = userOp(executeSingle(recipient, 1 ether, ""));
        signUserOp(op, owner.privateKey);
        op.callData = executeSingle(recipient, 2 ether, ""); // signed one thing, submits another
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        vm.prank(bundler, bundler);
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA24 signature error"));
        entryPoint.handleOps(ops, bundler);
    }

    function test_execute_RevertWhen_CalledByStranger() public {
        vm.prank(recipient);
        vm.expectRevert(abi.encodeWithSignature("AccountUnauthorized(address)", recipient));
        account.execute(modeSingle(), abi.encodePacked(recipient, uint256(1 ether)));
    }
}
