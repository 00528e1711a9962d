// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console} from "forge-std/Script.sol";

import {AllowlistHook} from "../contracts/allowlist/AllowlistHook.sol";
import {AutomationExecutor} from "../contracts/automation/AutomationExecutor.sol";
import {PolicyEngine} from "../contracts/engine/PolicyEngine.sol";
import {PolicyEngineConfig} from "../contracts/engine/PolicyEngineConfig.sol";
import {SessionConfig} from "../contracts/engine/SessionConfig.sol";
import {LeashEOAAccount} from "../contracts/eoa/LeashEOAAccount.sol";
import {HookMultiPlexer} from "../contracts/multiplexer/HookMultiPlexer.sol";
import {EmergencyPauseHook} from "../contracts/pause/EmergencyPauseHook.sol";
import {SpendingLimitHook} from "../contracts/spending/SpendingLimitHook.sol";
import {AgentValidator} from "../contracts/validator/AgentValidator.sol";

/// @notice Deploys the Leash modules with `forge script`, to the same addresses as
/// `cargo xtask deploy`: the same init code through the same CREATE2 deployer
/// (0x4e59b44847b379578588920ca78fbf26c0b4956c, which forge uses for `new X{salt: s}()`), with the
/// same salts `keccak256("leash:<Name>:v1")`, in the order of `MODULES` in crates/leash/src/deploy.rs.
/// Modules already deployed are left alone. Last, as there, LeashEOAAccount: not a module, the
/// account implementation an EOA delegates to with EIP-7702.
///
/// forge script script/Deploy.s.sol --rpc-url $RPC_URL --private-key $KEY --broadcast
contract Deploy is Script {
    address internal constant CREATE2_DEPLOYER = 0x4e59b44847b379578588920cA78FbF26c0B4956C;

    function salt(string memory name) internal pure returns (bytes32) {
        return keccak256(bytes(string.concat("leash:", name, ":v1")));
    }

    function predict(string memory name, bytes memory initCode) internal pure returns (address) {
        return address(
            uint160(
                uint256(keccak256(abi.encodePacked(bytes1(0xff), CREATE2_DEPLOYER, salt(name), keccak256(initCode))))
            )
        );
    }

    function run()
        external
        returns (
            address mux,
            address pause,
            address spending,
            address automation,
            address allowlist,
            address engine,
            address agentValidator
        )
    {
        vm.startBroadcast();
        mux = predict("HookMultiPlexer", type(HookMultiPlexer).creationCode);
        if (mux.code.length == 0) new HookMultiPlexer{salt: salt("HookMultiPlexer")}();

        bytes memory args = abi.encode(mux);
        pause = predict("EmergencyPauseHook", bytes.concat(type(EmergencyPauseHook).creationCode, args));
        if (pause.code.length == 0) new EmergencyPauseHook{salt: salt("EmergencyPauseHook")}(mux);

        spending = predict("SpendingLimitHook", bytes.concat(type(SpendingLimitHook).creationCode, args));
        if (spending.code.length == 0) new SpendingLimitHook{salt: salt("SpendingLimitHook")}(mux);

        automation = predict("AutomationExecutor", type(AutomationExecutor).creationCode);
        if (automation.code.length == 0) new AutomationExecutor{salt: salt("AutomationExecutor")}();

        address[] memory leash = new address[](3);
        (leash[0], leash[1], leash[2]) = (pause, spending, automation);
        allowlist = predict("AllowlistHook", bytes.concat(type(AllowlistHook).creationCode, abi.encode(mux, leash)));
        if (allowlist.code.length == 0) new AllowlistHook{salt: salt("AllowlistHook")}(mux, leash);

        // The engine protects the executor only (AgentValidator, deployed after it, names it).
        address[] memory others = new address[](1);
        others[0] = automation;
        address sessions = predict("SessionConfig", bytes.concat(type(SessionConfig).creationCode, abi.encode(others)));
        if (sessions.code.length == 0) new SessionConfig{salt: salt("SessionConfig")}(others);
        address config = predict(
            "PolicyEngineConfig", bytes.concat(type(PolicyEngineConfig).creationCode, abi.encode(others, sessions))
        );
        if (config.code.length == 0) new PolicyEngineConfig{salt: salt("PolicyEngineConfig")}(others, sessions);
        engine = predict("PolicyEngine", bytes.concat(type(PolicyEngine).creationCode, abi.encode(others, config)));
        if (engine.code.length == 0) new PolicyEngine{salt: salt("PolicyEngine")}(others, config);

        agentValidator =
            predict("AgentValidator", bytes.concat(type(AgentValidator).creationCode, abi.encode(mux, engine, pause)));
        if (agentValidator.code.length == 0) new AgentValidator{salt: salt("AgentValidator")}(mux, engine, pause);
        vm.stopBroadcast();

        console.log("HookMultiPlexer   ", mux);
        console.log("EmergencyPauseHook", pause);
        console.log("SpendingLimitHook ", spending);
        console.log("AutomationExecutor", automation);
        console.log("AllowlistHook     ", allowlist);
        console.log("SessionConfig     ", sessions);
        console.log("PolicyEngineConfig", config);
        console.log("PolicyEngine      ", engine);
        console.log("AgentValidator    ", agentValidator);
        require(
            mux.code.length != 0 && pause.code.length != 0 && spending.code.length != 0 && automation.code.length != 0
                && allowlist.code.length != 0 && sessions.code.length != 0 && config.code.length != 0
                && engine.code.length != 0 && agentValidator.code.length != 0,
            "a module is missing after deployment"
        );
        deployEOAAccount();
    }

    /// In its own frame: run's stack is full.
    function deployEOAAccount() internal {
        address account = predict("LeashEOAAccount", type(LeashEOAAccount).creationCode);
        if (account.code.length == 0) {
            vm.broadcast();
            new LeashEOAAccount{salt: salt("LeashEOAAccount")}();
        }
        console.log("LeashEOAAccount   ", account);
        require(account.code.length != 0, "LeashEOAAccount is missing after deployment");
    }
}
