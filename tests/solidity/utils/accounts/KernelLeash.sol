// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IKernel} from "modulekit/accounts/kernel/interfaces/IKernel.sol";

import {ExecutionDecoder} from "../../../../contracts/libraries/ExecutionDecoder.sol";
import {KernelHarness} from "./KernelHarness.sol";
import {LeashAccountBase} from "./LeashAccountSuite.sol";

/// @notice How Leash is attached to Kernel v3.1, which has no account-wide hook: the multiplexer
/// rides on the agent's validation (its install data names that validation, Kernel's report of
/// the validation's hook is the install proof) and on the executor's; the person's root
/// validation carries no hook.
abstract contract KernelLeash is LeashAccountBase, KernelHarness {
    function agentValidation() internal view returns (bytes21) {
        return bytes21(abi.encodePacked(bytes1(0x01), address(agentValidator)));
    }

    /// @dev The multiplexer's four-field install data: the suite's, plus the agent's validation.
    function kernelMuxInit() internal view returns (bytes memory) {
        (address a, address[] memory hooks, bytes[] memory init) = abi.decode(muxInit(), (address, address[], bytes[]));
        return abi.encode(a, hooks, init, agentValidation());
    }

    /// @dev Installs AgentValidator with `hook` and `hookData` (Kernel strips its first byte, a
    /// flag, and hands the rest to the hook's `onInstall` unless the hook says it is initialized).
    function installAgentValidatorCall(address hook, bytes memory hookData) internal view returns (bytes memory) {
        bytes memory validatorData = abi.encode(authority, agent.addr, uint256(1 ether));
        bytes memory config = abi.encodePacked(
            hook, abi.encode(validatorData, bytes.concat(hex"00", hookData), abi.encodePacked(ExecutionDecoder.EXECUTE))
        );
        return abi.encodeCall(IKernel.installModule, (1, address(agentValidator), config));
    }

    /// @dev Kernel answers for the hook of the agent's validation: it reports none.
    function pretendTheValidationsHookIsGone() internal {
        vm.mockCall(
            account,
            abi.encodeWithSignature("validationConfig(bytes21)", agentValidation()),
            abi.encode(uint32(0), address(0))
        );
    }

    /// @dev The agent's validation carrying the multiplexer, which installs with it; then the
    /// executor carrying it too (Kernel finds it initialized and does not install it twice).
    function installKernelStack() internal {
        ownerDoes(installAgentValidatorCall(address(mux), kernelMuxInit()));
        ownerDoes(installExecutorCall(address(automation), automationInit(), address(mux)));
    }
}
