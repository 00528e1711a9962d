// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IHook} from "modulekit/accounts/kernel/interfaces/IERC7579Module.sol";
import {IKernel} from "modulekit/accounts/kernel/interfaces/IKernel.sol";
import {ValidationId} from "modulekit/accounts/kernel/types/Types.sol";
import {KernelPrecompiles} from "modulekit/deployment/precompiles/KernelPrecompiles.sol";

import {ExecutionDecoder} from "../../../../contracts/libraries/ExecutionDecoder.sol";
import {OwnerValidator} from "../mocks/OwnerValidator.sol";
import {ERC7579Harness} from "./ERC7579Harness.sol";

/// @notice ZeroDev's Kernel v3.1 behind its factory's proxy, with the owner's validator as root
/// validator (no hook: the person's own path).
/// @dev Kernel has no account-wide hook: a hook rides on each validator and executor, given in
/// their install data (`hook (20 bytes) ++ abi.encode(moduleData, hookData, selectorData)`), and a
/// UserOp validated by a hooked validator must call `executeUserOp.selector ++ execute(...)`.
/// A non-root validator is named in the nonce key: `mode (1) | type 0x01 (1) | validator (20) | key (2)`.
abstract contract KernelHarness is ERC7579Harness, KernelPrecompiles {
    function accountName() internal pure override returns (string memory) {
        return "Kernel";
    }

    function nonceKey(address validator) internal view override returns (uint192) {
        if (validator == address(ownersValidator)) return 0; // the root validator
        return (uint192(0x01) << 176) | (uint192(uint160(validator)) << 16);
    }

    function wrapCallData(address validator, bytes memory execution) internal view override returns (bytes memory) {
        if (validator == address(ownersValidator)) return execution;
        return bytes.concat(ExecutionDecoder.EXECUTE_USER_OP, execution);
    }

    function deployAccount(address ownerKey) internal override returns (address) {
        placeEntryPointV07();
        IKernel implementation = deployKernel(ENTRYPOINT_V07);
        ownersValidator = new OwnerValidator();
        ValidationId root = ValidationId.wrap(bytes21(abi.encodePacked(bytes1(0x01), address(ownersValidator))));
        bytes memory init =
            abi.encodeCall(IKernel.initialize, (root, IHook(address(1)), abi.encode(ownerKey), "", new bytes[](0)));
        return deployKernelFactory(address(implementation)).createAccount(init, bytes32(0));
    }

    function installValidatorCall(address validator, bytes memory initData, address hook)
        internal
        pure
        override
        returns (bytes memory)
    {
        return kernelValidatorCall(validator, initData, hook, "");
    }

    /// @dev Installs `validator` carrying `hook` with `hookData` (Kernel strips its first byte, a
    /// flag, and hands the rest to the hook's `onInstall` unless the hook says it is initialized);
    /// the validation may call `execute` only.
    function kernelValidatorCall(address validator, bytes memory initData, address hook, bytes memory hookData)
        internal
        pure
        returns (bytes memory)
    {
        bytes memory config = abi.encodePacked(
            hook, abi.encode(initData, bytes.concat(hex"00", hookData), abi.encodePacked(ExecutionDecoder.EXECUTE))
        );
        return abi.encodeCall(IKernel.installModule, (1, validator, config));
    }

    /// @dev Kernel has no account-wide hook: a hook rides on a validation, named `0x01 ++ validator`.
    function hookedValidation(address validator) internal pure override returns (bytes21) {
        return bytes21(abi.encodePacked(bytes1(0x01), validator));
    }

    /// @dev One install: the validation carries the hook, which installs with it.
    function installValidatorWithHook(
        address validator,
        bytes memory validatorData,
        address hook,
        bytes memory hookData
    ) internal override {
        ownerDoes(kernelValidatorCall(validator, validatorData, hook, hookData));
    }

    /// @dev Kernel answers for the hook of the validation: it reports none.
    function pretendTheAccountDropsHook(address, address validator) internal override {
        vm.mockCall(
            account,
            abi.encodeWithSignature("validationConfig(bytes21)", hookedValidation(validator)),
            abi.encode(uint32(0), address(0))
        );
    }

    function installExecutorCall(address executor, bytes memory initData, address hook)
        internal
        pure
        override
        returns (bytes memory)
    {
        return abi.encodeCall(
            IKernel.installModule, (2, executor, abi.encodePacked(hook, abi.encode(initData, hex"00")))
        );
    }
}
