// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {
    CallType,
    ERC7579Utils,
    ExecType,
    Execution,
    Mode,
    ModePayload,
    ModeSelector
} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {IERC7579Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {Vm} from "forge-std/Test.sol";

import {LeashTestAccount} from "./LeashTestAccount.sol";
import {UserOpSubmitter} from "./UserOpSubmitter.sol";

/// @notice Real ERC-4337 plumbing for Leash tests: the EntryPoint v0.8 bytecode from the
/// account-abstraction npm package at its canonical address, a LeashTestAccount, and helpers
/// that build, sign and submit UserOps through `EntryPoint.handleOps`.
abstract contract AccountTestBed is UserOpSubmitter {
    LeashTestAccount internal account;
    Vm.Wallet internal owner;

    uint256 internal constant VERIFICATION_GAS = 1_000_000;
    uint256 internal constant CALL_GAS = 8_000_000;

    function setUp() public virtual {
        entryPoint = deployEntryPoint();
        owner = vm.createWallet("owner");
        bundler = payable(makeAddr("bundler"));
        account = new LeashTestAccount(owner.addr);
        vm.deal(address(account), 100 ether);
    }

    /// @dev Deploys the packaged EntryPoint v0.8 creation code, then copies its runtime code to the
    /// canonical address the account trusts.
    function deployEntryPoint() internal returns (IEntryPoint) {
        bytes memory creation = vm.getCode("node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json");
        address deployed;
        assembly ("memory-safe") {
            deployed := create(0, add(creation, 0x20), mload(creation))
        }
        require(deployed != address(0), "EntryPoint deployment failed");
        address canonical = address(ERC4337Utils.ENTRYPOINT_V08);
        vm.etch(canonical, deployed.code);
        vm.label(canonical, "EntryPointV08");
        return IEntryPoint(canonical);
    }

    // ---------------------------------------------------------------- execution calldata

    function modeSingle() internal pure returns (bytes32) {
        return Mode.unwrap(
            ERC7579Utils.encodeMode(
                ERC7579Utils.CALLTYPE_SINGLE, ERC7579Utils.EXECTYPE_DEFAULT, ModeSelector.wrap(0), ModePayload.wrap(0)
            )
        );
    }

    function modeBatch() internal pure returns (bytes32) {
        return Mode.unwrap(
            ERC7579Utils.encodeMode(
                ERC7579Utils.CALLTYPE_BATCH, ERC7579Utils.EXECTYPE_DEFAULT, ModeSelector.wrap(0), ModePayload.wrap(0)
            )
        );
    }

    /// @dev `account.execute(single mode, target ++ value ++ data)`, the calldata of a UserOp.
    function executeSingle(address target, uint256 value, bytes memory data) internal pure returns (bytes memory) {
        return abi.encodeCall(IERC7579Execution.execute, (modeSingle(), abi.encodePacked(target, value, data)));
    }

    function executeBatch(Execution[] memory executions) internal pure returns (bytes memory) {
        return abi.encodeCall(IERC7579Execution.execute, (modeBatch(), abi.encode(executions)));
    }

    // ---------------------------------------------------------------- UserOps

    /// @dev An unsigned UserOp from `account` on nonce key 0 (the owner's ECDSA path), with no fees.
    function userOp(bytes memory callData) internal view returns (PackedUserOperation memory op) {
        op.sender = address(account);
        op.nonce = entryPoint.getNonce(address(account), 0);
        op.callData = callData;
        op.accountGasLimits = bytes32((VERIFICATION_GAS << 128) | CALL_GAS);
        op.preVerificationGas = 50_000;
        op.gasFees = bytes32(0);
    }

    function signUserOp(PackedUserOperation memory op, uint256 privateKey) internal view {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, entryPoint.getUserOpHash(op));
        op.signature = abi.encodePacked(r, s, v);
    }

    /// @dev Signs `callData` as the owner and submits it. Returns whether the account's execution
    /// succeeded and, if not, the revert data it produced (the EntryPoint catches it and logs it).
    function submit(bytes memory callData) internal returns (bool success, bytes memory revertReason) {
        PackedUserOperation memory op = userOp(callData);
        signUserOp(op, owner.privateKey);
        return handleOp(op);
    }
}
