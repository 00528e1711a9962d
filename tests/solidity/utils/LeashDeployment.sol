// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";

import {AllowlistHook} from "../../../contracts/allowlist/AllowlistHook.sol";
import {AutomationExecutor} from "../../../contracts/automation/AutomationExecutor.sol";
import {PolicyEngine} from "../../../contracts/engine/PolicyEngine.sol";
import {PolicyEngineConfig} from "../../../contracts/engine/PolicyEngineConfig.sol";
import {SessionConfig} from "../../../contracts/engine/SessionConfig.sol";
import {IPolicyEngine} from "../../../contracts/interfaces/IPolicyEngine.sol";
import {HookMultiPlexer} from "../../../contracts/multiplexer/HookMultiPlexer.sol";
import {EmergencyPauseHook} from "../../../contracts/pause/EmergencyPauseHook.sol";
import {SpendingLimitHook} from "../../../contracts/spending/SpendingLimitHook.sol";

/// @notice The Leash modules wired as the deploy script wires them, for every test bed: the
/// multiplexer and the separate hooks that trust it, the executor, and the policy engine with its
/// two configuration halves (the executor its other protected module).
abstract contract LeashDeployment is Test {
    HookMultiPlexer internal mux;
    EmergencyPauseHook internal pauseHook;
    AllowlistHook internal allowlist;
    SpendingLimitHook internal spending;
    AutomationExecutor internal automation;
    IPolicyEngine internal engine;

    function deployLeash() internal {
        mux = new HookMultiPlexer();
        pauseHook = new EmergencyPauseHook(address(mux));
        spending = new SpendingLimitHook(address(mux));
        automation = new AutomationExecutor();
        address[] memory leash = new address[](3);
        (leash[0], leash[1], leash[2]) = (address(pauseHook), address(spending), address(automation));
        allowlist = new AllowlistHook(address(mux), leash);
        address[] memory others = new address[](1);
        others[0] = address(automation);
        engine = IPolicyEngine(
            address(
                new PolicyEngine(others, address(new PolicyEngineConfig(others, address(new SessionConfig(others)))))
            )
        );
        vm.label(address(mux), "HookMultiPlexer");
        vm.label(address(pauseHook), "EmergencyPauseHook");
        vm.label(address(allowlist), "AllowlistHook");
        vm.label(address(spending), "SpendingLimitHook");
        vm.label(address(automation), "AutomationExecutor");
        vm.label(address(engine), "PolicyEngine");
    }
}
