// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LeashTestAccount} from "../LeashTestAccount.sol";
import {AccountHarness} from "./AccountHarness.sol";
import {IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @notice OpenZeppelin 5.7's hooked ERC-7579 account with one ECDSA owner, on EntryPoint v0.8.
/// @dev The owner's own signature validates on nonce key 0; a key whose top 20 bytes name an
/// installed validator routes the UserOp to it.
abstract contract OpenZeppelinHarness is AccountHarness {
    function accountName() internal pure override returns (string memory) {
        return "OpenZeppelin";
    }

    function ownerValidator() internal pure override returns (address) {
        return address(0);
    }

    function nonceKey(address validator) internal pure override returns (uint192) {
        return uint192(uint160(validator)) << 32;
    }

    function deployAccount(address ownerKey) internal override returns (address) {
        placeEntryPoint(
            "node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json",
            0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108
        );
        return address(new LeashTestAccount(ownerKey));
    }

    function wrapCallData(address, bytes memory execution) internal pure override returns (bytes memory) {
        return execution;
    }

    function installValidatorCall(address validator, bytes memory initData, address)
        internal
        pure
        override
        returns (bytes memory)
    {
        return abi.encodeCall(IERC7579ModuleConfig.installModule, (1, validator, initData));
    }

    function installExecutorCall(address executor, bytes memory initData, address)
        internal
        pure
        override
        returns (bytes memory)
    {
        return abi.encodeCall(IERC7579ModuleConfig.installModule, (2, executor, initData));
    }

    function installHookCall(address hook, bytes memory initData) internal pure override returns (bytes memory) {
        return abi.encodeCall(IERC7579ModuleConfig.installModule, (4, hook, initData));
    }

    function uninstallHookCall(address hook) internal pure override returns (bytes memory) {
        return abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (4, hook, ""));
    }

    function shimHookInstall(address, bool) internal pure override {}

    function reported(bytes memory reason) internal pure override returns (bytes memory) {
        return reason;
    }

    function uninstallValidatorCall(address validator) internal pure override returns (bytes memory) {
        return abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (1, validator, ""));
    }

    /// @dev The account hands its hook its own `msg.data` as is.
    function hookMsgData(address, bytes memory call) internal pure override returns (bytes memory) {
        return call;
    }
}
