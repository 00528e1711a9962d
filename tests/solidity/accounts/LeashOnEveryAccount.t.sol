// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {LeashAccountSuite} from "../utils/accounts/LeashAccountSuite.sol";
import {NexusHarness} from "../utils/accounts/NexusHarness.sol";
import {OpenZeppelinHarness} from "../utils/accounts/OpenZeppelinHarness.sol";
import {ReferenceHarness} from "../utils/accounts/ReferenceHarness.sol";
import {SafeHarness} from "../utils/accounts/SafeHarness.sol";

/// @dev The same suite on every account; each subclass adds its harness and its owner-only paths.
contract LeashOnOpenZeppelinTest is LeashAccountSuite, OpenZeppelinHarness {
    function ownerOnlyCalls() internal view override returns (bytes[] memory calls) {
        calls = new bytes[](2);
        calls[0] = abi.encodeCall(IERC7579ModuleConfig.installModule, (2, address(0xbad), ""));
        calls[1] = abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (4, address(mux), ""));
    }
}

contract LeashOnNexusTest is LeashAccountSuite, NexusHarness {
    function ownerOnlyCalls() internal view override returns (bytes[] memory calls) {
        calls = new bytes[](3);
        calls[0] = abi.encodeCall(IERC7579ModuleConfig.installModule, (2, address(0xbad), ""));
        calls[1] = abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (4, address(mux), ""));
        calls[2] = abi.encodeWithSignature("upgradeToAndCall(address,bytes)", address(0xbad), "");
    }
}

contract LeashOnReferenceAccountTest is LeashAccountSuite, ReferenceHarness {
    function ownerOnlyCalls() internal view override returns (bytes[] memory calls) {
        calls = new bytes[](2);
        calls[0] = abi.encodeCall(IERC7579ModuleConfig.installModule, (2, address(0xbad), ""));
        calls[1] = abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (4, address(mux), ""));
    }
}

contract LeashOnSafeTest is LeashAccountSuite, SafeHarness {
    /// @dev The adapter's module management, and the Safe's own owner and module management (which
    /// only the Safe itself may call).
    function ownerOnlyCalls() internal view override returns (bytes[] memory calls) {
        calls = new bytes[](5);
        calls[0] = abi.encodeCall(IERC7579ModuleConfig.installModule, (2, address(0xbad), ""));
        calls[1] = abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (4, address(mux), ""));
        calls[2] = abi.encodeWithSignature("addOwnerWithThreshold(address,uint256)", address(0xbad), 1);
        calls[3] = abi.encodeWithSignature("enableModule(address)", address(0xbad));
        calls[4] = abi.encodeWithSignature("setFallbackHandler(address)", address(0xbad));
    }
}
