// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {OwnerValidator} from "../mocks/OwnerValidator.sol";
import {AccountHarness} from "./AccountHarness.sol";

/// @notice The plain ERC-7579 encodings, as OpenZeppelin, Nexus and the reference account use them:
/// each account's harness overrides only where its account differs.
abstract contract ERC7579Harness is AccountHarness {
    /// @dev The owner's validator, where the account validates its owner through a module (all but
    /// OpenZeppelin's, which checks the owner's signature itself and so names none).
    OwnerValidator internal ownersValidator;

    function ownerValidator() internal view virtual override returns (address) {
        return address(ownersValidator);
    }

    /// @dev EntryPoint v0.8 at its canonical address (OpenZeppelin's account, the EIP-7702 EOA).
    function placeEntryPointV08() internal {
        placeEntryPoint(
            "node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json",
            0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108
        );
    }

    /// @dev EntryPoint v0.7 at its canonical address (what the third-party accounts expect).
    function placeEntryPointV07() internal {
        placeEntryPoint("lib/account-abstraction-v0.7/artifacts/EntryPoint.json", ENTRYPOINT_V07);
    }

    /// @dev The validator in the nonce key's top 20 bytes (OpenZeppelin, the reference account, Safe7579).
    function nonceKey(address validator) internal view virtual override returns (uint192) {
        return uint192(uint160(validator)) << 32;
    }

    function wrapCallData(address, bytes memory execution) internal view virtual override returns (bytes memory) {
        return execution;
    }

    function installValidatorCall(address validator, bytes memory initData, address)
        internal
        view
        virtual
        override
        returns (bytes memory)
    {
        return abi.encodeCall(IERC7579ModuleConfig.installModule, (1, validator, initData));
    }

    function installExecutorCall(address executor, bytes memory initData, address)
        internal
        view
        virtual
        override
        returns (bytes memory)
    {
        return abi.encodeCall(IERC7579ModuleConfig.installModule, (2, executor, initData));
    }

    function installHookCall(address hook, bytes memory initData)
        internal
        view
        virtual
        override
        returns (bytes memory)
    {
        return abi.encodeCall(IERC7579ModuleConfig.installModule, (4, hook, initData));
    }

    function uninstallHookCall(address hook) internal view virtual override returns (bytes memory) {
        return abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (4, hook, ""));
    }

    function uninstallValidatorCall(address validator) internal view virtual override returns (bytes memory) {
        return abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (1, validator, ""));
    }

    /// @dev The module's revert data reaches the caller as is.
    function reported(bytes memory reason) internal pure virtual override returns (bytes memory) {
        return reason;
    }

    /// @dev The account hands its hook its own `msg.data` as is.
    function hookMsgData(address, bytes memory call) internal view virtual override returns (bytes memory) {
        return call;
    }

    /// @dev Nothing to stand in for: the account answers Leash's install proof itself.
    function shimHookInstall(address, bool) internal virtual override {}

    /// @dev One hook for every call, installed on its own.
    function hookedValidation(address) internal view virtual override returns (bytes21) {
        return bytes21(0);
    }

    function installValidatorWithHook(
        address validator,
        bytes memory validatorData,
        address hook,
        bytes memory hookData
    ) internal virtual override {
        ownerDoes(installValidatorCall(validator, validatorData, hook));
        shimHookInstall(hook, true);
        ownerDoes(installHookCall(hook, hookData));
        shimHookInstall(hook, false);
    }

    /// @dev The account lists its hook in `isModuleInstalled(4, hook, "")`.
    function pretendTheAccountDropsHook(address hook, address) internal virtual override {
        vm.mockCall(account, abi.encodeCall(IERC7579ModuleConfig.isModuleInstalled, (4, hook, "")), abi.encode(false));
    }
}
