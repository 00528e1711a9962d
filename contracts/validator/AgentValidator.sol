// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {
    IERC7579Module,
    IERC7579ModuleConfig,
    IERC7579Validator,
    MODULE_TYPE_VALIDATOR
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {LeashModule} from "../base/LeashModule.sol";
import {IAgentValidator} from "../interfaces/IAgentValidator.sol";
import {IHookMultiPlexer} from "../interfaces/IHookMultiPlexer.sol";
import {ExecutionDecoder} from "../libraries/ExecutionDecoder.sol";

/// @title AgentValidator
/// @notice The agent's key as an ERC-7579 validator: it signs executions the Leash hook sees and
/// nothing else, so the agent never needs to be an owner of the account.
/// @dev Storage per account: the base record (authority, generation) and one slot,
/// `agent (160) | gasAllowance (96)`. `validateUserOp` reads and writes only storage keyed by the
/// account (here, and reads the multiplexer's record) and never the time, as ERC-4337's
/// validation rules require. Signatures are 65-byte ECDSA over the raw
/// `userOpHash` (no EIP-191 prefix), the form the EntryPoint's hash already binds to chain and
/// EntryPoint.
contract AgentValidator is LeashModule, IAgentValidator {
    /// @dev ERC-4337 `SIG_VALIDATION_FAILED`.
    uint256 internal constant VALIDATION_FAILED = 1;
    /// @dev Safe7579's `getActiveHook()`: the Safe's global hook.
    bytes4 internal constant SAFE7579_GET_ACTIVE_HOOK = 0x0a664dba;
    /// @dev ERC-1271 refusal: any value other than the magic `0x1626ba7e`.
    bytes4 internal constant ERC1271_REFUSED = 0xffffffff;

    /// @dev One slot: the agent's key and what its UserOps may still cost the account, in wei.
    struct AgentRecord {
        address agent;
        uint96 gasAllowance;
    }

    mapping(address account => AgentRecord) internal _agents;

    /// @param multiplexer The Leash multiplexer: the agent's key acts only where it is installed,
    /// and a change its authority approved there may rotate the key through the account.
    constructor(address multiplexer) LeashModule(multiplexer) {}

    /// @inheritdoc IAgentValidator
    function MULTIPLEXER() external view returns (address) {
        return TRUSTED_MULTIPLEXER;
    }

    // ------------------------------------------------------------------ ERC-7579 module

    /// @inheritdoc IERC7579Module
    /// @dev Install data: `abi.encode(address authority, address agent, uint256 gasAllowance)`.
    function onInstall(bytes calldata data) external {
        address account = msg.sender;
        (address authority, address agent, uint256 gasAllowance) = abi.decode(data, (address, address, uint256));
        _installRecord(account, authority, MODULE_TYPE_VALIDATOR);
        _setAgent(account, authority, agent);
        _setGasAllowance(account, gasAllowance);
    }

    /// @inheritdoc IERC7579Module
    function onUninstall(bytes calldata) external {
        address account = msg.sender;
        _uninstallRecord(account, MODULE_TYPE_VALIDATOR);
        delete _agents[account];
        emit AgentSet(account, address(0));
        emit GasAllowanceSet(account, 0);
    }

    /// @inheritdoc IERC7579Module
    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_VALIDATOR;
    }

    /// @inheritdoc IAgentValidator
    function isInitialized(address account) external view returns (bool) {
        return _records[account].authority != address(0);
    }

    // ------------------------------------------------------------------ validation

    /// @inheritdoc IERC7579Validator
    /// @dev Checks, in order: the sender is the calling account; the multiplexer is installed on
    /// it (on Kernel: as this validation's hook); the callData is an execution the hook decodes
    /// exactly (canonical, call or batch, no delegatecall) that calls neither the account nor this
    /// validator; the signature; then the gas allowance, which a valid operation is charged its
    /// maximum cost against. Only a bad signature returns `SIG_VALIDATION_FAILED`; the others
    /// revert with their rule.
    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash) external returns (uint256) {
        address account = msg.sender;
        require(userOp.sender == account, AgentValidator_SenderMismatch(account, userOp.sender));
        require(
            IHookMultiPlexer(TRUSTED_MULTIPLEXER).authorityOf(account) != address(0),
            AgentValidator_LeashNotInstalled(account)
        );
        AccountKind kind = _kindOf(account);
        // Kernel runs the hook of the validation that validated the operation, not one account-wide
        // hook: this validation's hook must be the multiplexer.
        if (kind == AccountKind.Kernel) {
            require(
                _kernelValidationHook(account, bytes21(abi.encodePacked(bytes1(0x01), address(this))))
                    == TRUSTED_MULTIPLEXER,
                AgentValidator_LeashNotInstalled(account)
            );
        }
        // The multiplexer must still be the account's hook, not only hold a record for it (Safe7579
        // removes its global hook without running it and ignores the hook's answer; an account may
        // ignore a failed `onUninstall`). Kernel's answer is the validation's hook, asked above.
        if (kind == AccountKind.Safe7579) {
            require(_safeActiveHook(account) == TRUSTED_MULTIPLEXER, AgentValidator_LeashNotInstalled(account));
        } else if (kind == AccountKind.Other) {
            require(_installedAs(account, 4, TRUSTED_MULTIPLEXER), AgentValidator_LeashNotInstalled(account));
        }
        _checkExecution(account, userOp.callData, kind == AccountKind.Safe7579);
        AgentRecord memory record = _agents[account];
        if (record.agent == address(0)) return VALIDATION_FAILED;
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(userOpHash, userOp.signature);
        if (err != ECDSA.RecoverError.NoError || signer != record.agent) return VALIDATION_FAILED;
        uint256 cost = _maxCost(userOp);
        if (cost != 0) {
            require(
                cost <= record.gasAllowance, AgentValidator_GasAllowanceExceeded(account, cost, record.gasAllowance)
            );
            _agents[account].gasAllowance = uint96(record.gasAllowance - cost);
        }
        return 0;
    }

    /// @dev Accounts whose differences the validator must know of.
    enum AccountKind {
        Other,
        Kernel,
        Safe7579
    }

    /// @dev What the account's ERC-7579 `accountId()` names: Kernel (`kernel.…`) or Safe7579
    /// (`rhinestone.safe7579…`). Asked first because it is cheap on every account, while Kernel's
    /// and the Safe's own views reach other accounts' fallback paths (and their hooks).
    function _kindOf(address account) private view returns (AccountKind) {
        (bool ok, bytes memory ret) = account.staticcall(abi.encodeWithSignature("accountId()"));
        if (!ok || ret.length < 0x60) return AccountKind.Other;
        (uint256 offset, uint256 length, bytes32 head) = (0, 0, 0);
        assembly ("memory-safe") {
            offset := mload(add(ret, 0x20))
            length := mload(add(ret, 0x40))
            head := mload(add(ret, 0x60))
        }
        if (offset != 0x20) return AccountKind.Other;
        if (length >= 7 && bytes7(head) == bytes7("kernel.")) return AccountKind.Kernel;
        if (length >= 19 && bytes19(head) == bytes19("rhinestone.safe7579")) return AccountKind.Safe7579;
        return AccountKind.Other;
    }

    /// @dev Whether `account` lists `module` as a module of `moduleType` (with no context). An
    /// account that cannot answer is taken to list it: the check fails closed.
    function _installedAs(address account, uint256 moduleType, address module) private view returns (bool) {
        (bool ok, bytes memory ret) =
            account.staticcall(abi.encodeCall(IERC7579ModuleConfig.isModuleInstalled, (moduleType, module, "")));
        if (!ok || ret.length < 32) return true;
        return abi.decode(ret, (uint256)) != 0;
    }

    /// @dev Safe7579's global hook for `safe` (`getActiveHook()`); zero when it gives no answer.
    function _safeActiveHook(address safe) private view returns (address hook) {
        (bool ok, bytes memory ret) = safe.staticcall(abi.encodeWithSelector(SAFE7579_GET_ACTIVE_HOOK));
        if (!ok || ret.length < 32) return address(0);
        uint256 word = abi.decode(ret, (uint256));
        if (word >> 160 == 0) hook = address(uint160(word));
    }

    /// @dev The most the EntryPoint may take from the account for `userOp` (v0.7 / v0.8 packing):
    /// `(verificationGasLimit + callGasLimit + preVerificationGas) * maxFeePerGas`; nothing when a
    /// paymaster pays.
    function _maxCost(PackedUserOperation calldata userOp) private pure returns (uint256) {
        if (userOp.paymasterAndData.length != 0) return 0;
        uint256 limits = uint256(userOp.accountGasLimits);
        if (userOp.preVerificationGas > type(uint128).max) return type(uint256).max;
        // Each term is below 2^128, so the sum is below 2^130; capped so the product fits.
        uint256 gas = (limits >> 128) + uint128(limits) + userOp.preVerificationGas;
        if (gas > type(uint128).max) return type(uint256).max;
        return gas * uint128(uint256(userOp.gasFees));
    }

    /// @inheritdoc IERC7579Validator
    /// @dev Always refuses. A signature the account gives through ERC-1271 (a `permit`, a Permit2
    /// transfer, an off-chain order) moves or approves assets without any execution the hooks
    /// see, so the agent's key may never produce one.
    function isValidSignatureWithSender(address, bytes32, bytes calldata) external pure returns (bytes4) {
        return ERC1271_REFUSED;
    }

    /// @dev `callData` must be `execute(...)` or `executeUserOp.selector ++ execute(...)`, canonical
    /// by the decoder every Leash hook uses (which refuses delegatecall, staticcall, unknown modes
    /// and any non-canonical byte), and none of its calls may target the account, an alias of it
    /// (`address(0)`; on a Safe its adapter and enabled modules) or this module.
    function _checkExecution(address account, bytes calldata callData, bool onSafe) private view {
        bytes4 selector = bytes4(callData);
        bytes calldata execution = callData;
        if (selector == ExecutionDecoder.EXECUTE_USER_OP && callData.length >= 8) {
            execution = callData[4:];
            selector = bytes4(execution);
        }
        require(selector == ExecutionDecoder.EXECUTE, AgentValidator_CallNotAllowed(account, selector));
        (, ExecutionDecoder.Executions memory ex) = ExecutionDecoder.decode(execution);
        for (uint256 i; i < ex.count; ++i) {
            (address target,,) = ExecutionDecoder.at(ex, i);
            // A module installed on the account acts for it (an owner validator the account may
            // reconfigure, an executor): a call from the account to one is a call to the account.
            require(
                target != address(this) && !_isAccount(account, target, onSafe) && !_installedAs(account, 1, target)
                    && !_installedAs(account, 2, target),
                AgentValidator_TargetNotAllowed(account, target)
            );
        }
    }

    // ------------------------------------------------------------------ authority

    /// @inheritdoc IAgentValidator
    function agentOf(address account) external view returns (address) {
        return _agents[account].agent;
    }

    /// @inheritdoc IAgentValidator
    function gasAllowanceOf(address account) external view returns (uint256) {
        return _agents[account].gasAllowance;
    }

    /// @inheritdoc IAgentValidator
    function setGasAllowance(address account, uint256 allowance) external onlyAuthority(account) {
        _setGasAllowance(account, allowance);
    }

    /// @inheritdoc IAgentValidator
    function setAgent(address account, address agent) external onlyAuthority(account) {
        _setAgent(account, _records[account].authority, agent);
    }

    /// @inheritdoc IAgentValidator
    function revokeAgent(address account) external onlyAuthority(account) {
        delete _agents[account].agent;
        emit AgentSet(account, address(0));
    }

    function _setAgent(address account, address authority, address agent) private {
        require(
            agent != address(0) && agent != account && agent != authority, AgentValidator_InvalidAgent(account, agent)
        );
        require(!_isOwner(account, agent), AgentValidator_AgentIsOwner(account, agent));
        _agents[account].agent = agent;
        emit AgentSet(account, agent);
    }

    function _setGasAllowance(address account, uint256 allowance) private {
        require(allowance <= type(uint96).max, AgentValidator_GasAllowanceTooLarge(allowance));
        _agents[account].gasAllowance = uint96(allowance);
        emit GasAllowanceSet(account, allowance);
    }

    /// @dev Whether the account says `agent` is one of its owners (`isOwner(address)`, as a Safe
    /// answers). Accounts that cannot answer are taken at their word: false.
    function _isOwner(address account, address agent) private view returns (bool) {
        (bool ok, bytes memory ret) = account.staticcall(abi.encodeWithSignature("isOwner(address)", agent));
        return ok && ret.length >= 32 && abi.decode(ret, (bool));
    }
}
