// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Execution, IERC7579ModuleConfig} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {ISafe7579} from "modulekit/accounts/safe/interfaces/ISafe7579.sol";
import {ISafe7579Launchpad, ModuleInit} from "modulekit/accounts/safe/interfaces/ISafe7579Launchpad.sol";
import {Safe7579Precompiles} from "modulekit/deployment/precompiles/Safe7579Precompiles.sol";

import {OwnerValidator} from "../mocks/OwnerValidator.sol";
import {ERC7579Harness} from "./ERC7579Harness.sol";

/// @notice A Safe (singleton behind a proxy from the Safe proxy factory) with the Safe7579
/// adapter as module and fallback handler, set up through the Safe7579 launchpad: the proxy starts
/// on the launchpad, whose first UserOp (`setupSafe`) installs the owner's validator, switches to
/// the Safe singleton and enables the adapter. The person is the Safe's only owner.
/// @dev Safe7579 picks the validator from the nonce key's top 20 bytes. Hooks are installed with
/// `abi.encode(HookType.GLOBAL, bytes4(0), initData)`.
/// @dev The Safe's own transaction, signed by its owners (no hook sees it).
interface ISafeTransaction {
    function execTransaction(
        address to,
        uint256 value,
        bytes calldata data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address payable refundReceiver,
        bytes memory signatures
    ) external payable returns (bool success);
}

abstract contract SafeHarness is ERC7579Harness, Safe7579Precompiles {
    /// @dev The Safe7579 adapter: the Safe's fallback handler and an enabled Safe module.
    address internal adapter;

    function accountName() internal pure override returns (string memory) {
        return "Safe+Safe7579";
    }

    function deployAccount(address ownerKey) internal override returns (address safe) {
        placeEntryPointV07();
        ISafe7579 safe7579 = deploySafe7579();
        adapter = address(safe7579);
        ISafe7579Launchpad launchpad = deploySafe7579Launchpad(ENTRYPOINT_V07, address(0));
        address singleton = deploySafeSingleton();
        ownersValidator = new OwnerValidator();

        ModuleInit[] memory validators = new ModuleInit[](1);
        validators[0] = ModuleInit(address(ownersValidator), abi.encode(ownerKey));
        ModuleInit[] memory none = new ModuleInit[](0);
        address[] memory owners = new address[](1);
        owners[0] = ownerKey;
        ISafe7579Launchpad.InitData memory init = ISafe7579Launchpad.InitData({
            singleton: singleton,
            owners: owners,
            threshold: 1,
            setupTo: address(launchpad),
            setupData: abi.encodeCall(
                ISafe7579Launchpad.initSafe7579, (adapter, none, none, none, new address[](0), 0)
            ),
            safe7579: safe7579,
            validators: validators,
            // The launchpad hands this to the adapter once the Safe is set up: a no-op execution.
            callData: abi.encodeCall(
                IERC7579Execution.execute, (bytes32(0), abi.encodePacked(ownerKey, uint256(0), ""))
            )
        });
        bytes memory initializer =
            abi.encodeCall(ISafe7579Launchpad.preValidationSetup, (launchpad.hash(init), address(0), ""));
        safe = deploySafeProxyFactory().createProxyWithNonce(address(launchpad), initializer, 0);
        account = safe;

        // The launchpad's one UserOp: set the Safe up, signed by the owner through its validator.
        PackedUserOperation memory op;
        op.sender = safe;
        op.nonce = entryPoint.getNonce(safe, nonceKey(address(ownersValidator)));
        op.callData = abi.encodeCall(ISafe7579Launchpad.setupSafe, (init));
        op.accountGasLimits = bytes32((VERIFICATION_GAS << 128) | CALL_GAS);
        op.preVerificationGas = 50_000;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(owner.privateKey, entryPoint.getUserOpHash(op));
        op.signature = abi.encodePacked(r, s, v);
        vm.deal(safe, 1 ether);
        (bool ok, bytes memory reason) = handleOp(op);
        require(ok, string(reason));
    }

    function installHookCall(address hook, bytes memory initData) internal pure override returns (bytes memory) {
        return abi.encodeCall(ISafe7579.installModule, (4, hook, abi.encode(uint8(0), bytes4(0), initData)));
    }

    function uninstallHookCall(address hook) internal pure override returns (bytes memory) {
        return abi.encodeCall(ISafe7579.uninstallModule, (4, hook, abi.encode(uint8(0), bytes4(0), bytes(""))));
    }

    /// @dev Safe7579 answers Leash's install proof itself: the empty-context question reverts and
    /// the modules ask again with the global-hook context (`LeashModule._isInstalledOn`).
    function shimHookInstall(address, bool) internal pure override {}

    /// @dev The Safe forwards to its fallback handler, the adapter, with the caller appended
    /// (ERC-2771), and the adapter hands its hook that `msg.data` as is.
    function hookMsgData(address sender, bytes memory call) internal pure override returns (bytes memory) {
        return bytes.concat(call, bytes20(sender));
    }

    /// @dev Safe7579 runs modules through the Safe's module transactions and reports any failure
    /// as its own `ExecutionFailed()`: the refusal stands, the module's reason is lost.
    function reported(bytes memory) internal pure override returns (bytes memory) {
        return abi.encodeWithSignature("ExecutionFailed()");
    }

    /// @dev Safe7579 reports its global hook through `getActiveHook()`.
    function pretendTheAccountDropsHook(address, address) internal override {
        vm.mockCall(account, abi.encodeWithSignature("getActiveHook()"), abi.encode(address(0)));
    }

    /// @dev Validators live in a sentinel list; the newest sits right after the sentinel `address(1)`.
    function uninstallValidatorCall(address validator) internal pure override returns (bytes memory) {
        return abi.encodeCall(IERC7579ModuleConfig.uninstallModule, (1, validator, abi.encode(address(1), "")));
    }

    /// @dev The Safe's sole owner sends `data` to the Safe itself with `execTransaction` (its
    /// signature "approved by the sender": v = 1). The Safe reverts when the call fails.
    function ownersTransaction(bytes memory data) internal returns (bool) {
        bytes memory signature = abi.encodePacked(bytes32(uint256(uint160(owner.addr))), bytes32(0), uint8(1));
        vm.prank(owner.addr);
        try ISafeTransaction(account)
            .execTransaction(account, 0, data, 0, 0, 0, 0, address(0), payable(address(0)), signature) returns (
            bool success
        ) {
            return success;
        } catch {
            return false;
        }
    }
}
