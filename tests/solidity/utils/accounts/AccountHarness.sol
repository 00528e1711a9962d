// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UserOpSubmitter} from "../UserOpSubmitter.sol";
import {IEntryPoint} from "account-abstraction/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {Vm} from "forge-std/Test.sol";

/// @notice One ERC-7579 account kind behind one interface, so that a single suite runs on every
/// account. A concrete harness deploys its account with the owner's path ready and says how
/// that account picks a validator, wraps calldata for hooked validators and installs modules.
/// @dev The EntryPoint's interface is the same for v0.7 and v0.8 in everything used here
/// (`handleOps`, `getNonce`, `getUserOpHash`, the `UserOperationEvent` and revert events).
abstract contract AccountHarness is UserOpSubmitter {
    address internal constant ENTRYPOINT_V07 = 0x0000000071727De22E5E9d8BAf0edAc6f37da032;

    address internal account;
    Vm.Wallet internal owner;

    uint256 internal constant VERIFICATION_GAS = 2_000_000;
    uint256 internal constant CALL_GAS = 8_000_000;

    // ------------------------------------------------------------------ what each account says

    function accountName() internal pure virtual returns (string memory);

    /// @dev Deploys the account (and its EntryPoint) with the owner's path ready.
    function deployAccount(address ownerKey) internal virtual returns (address);

    /// @dev The nonce key that routes a UserOp to `validator`; zero: the owner's path.
    function nonceKey(address validator) internal view virtual returns (uint192);

    /// @dev The owner's validator module, if the account has no built-in owner (else zero).
    function ownerValidator() internal view virtual returns (address);

    /// @dev The callData a UserOp validated by `validator` must carry to run `execution`.
    function wrapCallData(address validator, bytes memory execution) internal view virtual returns (bytes memory);

    /// @dev Module management calls as this account encodes them (`hook`: the hook the module rides
    /// on, for accounts whose hooks are per validator or executor).
    function installValidatorCall(address validator, bytes memory initData, address hook)
        internal
        view
        virtual
        returns (bytes memory);

    function installExecutorCall(address executor, bytes memory initData, address hook)
        internal
        view
        virtual
        returns (bytes memory);

    function installHookCall(address hook, bytes memory initData) internal view virtual returns (bytes memory);

    function uninstallHookCall(address hook) internal view virtual returns (bytes memory);

    /// @dev Uninstalls `validator`, installed last (accounts that keep validators in a linked list
    /// need its predecessor: the list's sentinel, as the newest entry sits at its head).
    function uninstallValidatorCall(address validator) internal view virtual returns (bytes memory);

    /// @dev A revert from a module (hook or validator) as the account reports it to its caller.
    function reported(bytes memory reason) internal pure virtual returns (bytes memory);

    /// @dev The `msgData` this account hands its hook for a call from `sender` (some accounts
    /// append the sender).
    function hookMsgData(address sender, bytes memory call) internal view virtual returns (bytes memory);

    /// @dev Called with `true` before and `false` after the suite installs `hook` on the account:
    /// the place for a harness to stand in for an answer the account cannot give Leash's
    /// multiplexer today (each use is explained where it is made; see docs/COMPATIBILITY.md).
    function shimHookInstall(address hook, bool active) internal virtual;

    /// @dev The validation `validator` carries its hook on where the account has no account-wide
    /// hook (Kernel: a hook rides on each validation, and Leash's install data names it); zero
    /// where the account runs one hook for every call.
    function hookedValidation(address validator) internal view virtual returns (bytes21);

    /// @dev The owner installs `validator` (with `validatorData`) carrying `hook`, and `hook` with
    /// `hookData`: the validator, then the account-wide hook; where hooks ride on validations,
    /// both in one install.
    function installValidatorWithHook(
        address validator,
        bytes memory validatorData,
        address hook,
        bytes memory hookData
    ) internal virtual;

    /// @dev Makes the account answer, to AgentValidator's question, that `hook` is not its hook
    /// (not the hook of `validator`'s validation, where hooks ride on validations).
    function pretendTheAccountDropsHook(address hook, address validator) internal virtual;

    // ------------------------------------------------------------------ set-up

    function setUpAccount() internal {
        owner = vm.createWallet("owner");
        bundler = payable(makeAddr("bundler"));
        account = deployAccount(owner.addr);
        vm.label(account, accountName());
        vm.deal(account, 100 ether);
    }

    /// @dev Deploys the packaged EntryPoint (creation code from `artifact`) and copies its runtime
    /// code to `canonical`, the address the accounts trust.
    function placeEntryPoint(string memory artifact, address canonical) internal returns (IEntryPoint) {
        bytes memory creation = vm.getCode(artifact);
        address deployed;
        assembly ("memory-safe") {
            deployed := create(0, add(creation, 0x20), mload(creation))
        }
        require(deployed != address(0), "EntryPoint deployment failed");
        vm.etch(canonical, deployed.code);
        vm.label(canonical, "EntryPoint");
        entryPoint = IEntryPoint(canonical);
        return entryPoint;
    }

    // ------------------------------------------------------------------ UserOps

    function userOpFor(address validator, bytes memory execution, uint256 key)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op.sender = account;
        op.nonce = entryPoint.getNonce(account, nonceKey(validator));
        op.callData = wrapCallData(validator, execution);
        op.accountGasLimits = bytes32((VERIFICATION_GAS << 128) | CALL_GAS);
        op.preVerificationGas = 50_000;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, entryPoint.getUserOpHash(op));
        op.signature = abi.encodePacked(r, s, v);
    }

    /// @dev The owner signs `execution` on the owner's path and submits it.
    function submitAsOwner(bytes memory execution) internal returns (bool, bytes memory) {
        return handleOp(userOpFor(ownerValidator(), execution, owner.privateKey));
    }

    /// @dev Submits as the owner and requires success.
    function ownerDoes(bytes memory execution) internal {
        (bool ok, bytes memory reason) = submitAsOwner(execution);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
    }
}
