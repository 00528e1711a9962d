// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILeashModule} from "./ILeashModule.sol";
import {IERC7579Validator} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

/// @title IAgentValidator
/// @notice Holds the agent's key (an ECDSA address) for an account and accepts the agent's
/// signature only for operations the Leash hook sees in full: a canonically encoded
/// `execute(bytes32,bytes)` (bare, or behind the `executeUserOp` selector) whose calls target
/// neither the account itself nor this validator, while a Leash hook (the policy engine or the
/// multiplexer) is the account's hook.
/// Module management, executor entry points, fallback functions, nested self-calls, delegatecall
/// and ERC-1271 signatures are refused. The agent is never an owner of the account: the person
/// stays the owner and, as the authority named at install, is the only one who rotates or revokes
/// the agent's key.
/// Gas. The agent chooses its UserOps' gas limits and fees, and the account pays them, possibly to
/// the agent itself as bundler: an outflow no hook sees. So every UserOp the agent signs without a
/// paymaster is charged its maximum cost (`(verificationGasLimit + callGasLimit +
/// preVerificationGas) * maxFeePerGas`, what the EntryPoint may take) against a gas allowance the
/// authority sets and refills; an operation that would exceed it is refused. (ERC-4337's
/// validation rules forbid reading the time, so the allowance is a budget, not a rolling window.)
/// @dev Refusals. A bad signature (no key, wrong signer, malformed) makes `validateUserOp` return
/// `SIG_VALIDATION_FAILED` (1), as ERC-4337 asks, so bundlers drop the operation without a revert.
/// An operation the agent may never sign reverts with a custom error naming the rule, so the
/// refusal reads the same whatever key signed it: the EntryPoint reports it as `FailedOpWithRevert`
/// with these bytes inside.
/// Install data: `abi.encode(address authority, address agent, uint256 gasAllowance)`.
interface IAgentValidator is IERC7579Validator, ILeashModule {
    /// @notice The agent key of `account` is now `agent` (zero: revoked).
    event AgentSet(address indexed account, address indexed agent);
    /// @notice What the agent's UserOps may still cost `account` in gas fees, in wei.
    event GasAllowanceSet(address indexed account, uint256 allowance);

    /// @notice The UserOp's callData is not the account's execution entry point
    /// (`execute(bytes32,bytes)`, optionally behind `executeUserOp`'s selector); `selector` is the
    /// call's, behind `executeUserOp`'s when wrapped.
    error AgentValidator_CallNotAllowed(address account, bytes4 selector);
    /// @notice An execution item calls the account itself or this validator: that reaches module
    /// management and the account's own paths, which the agent's key may never use.
    error AgentValidator_TargetNotAllowed(address account, address target);
    /// @notice The UserOp's sender is not the account asking for validation.
    error AgentValidator_SenderMismatch(address account, address sender);
    /// @notice Neither the policy engine nor the Leash multiplexer is the account's hook (on
    /// Kernel: the hook of this validation), as the account itself reports it, so no policy would
    /// see the operation; the agent's key acts only on a leashed account.
    error AgentValidator_LeashNotInstalled(address account);
    /// @notice An agent key must be a real address other than the account and its authority.
    error AgentValidator_InvalidAgent(address account, address agent);
    /// @notice The UserOp may cost the account up to `cost` wei in gas fees; the agent's allowance
    /// has `allowance` left (the authority refills it with `setGasAllowance`).
    error AgentValidator_GasAllowanceExceeded(address account, uint256 cost, uint256 allowance);
    /// @notice A gas allowance above `type(uint96).max` wei.
    error AgentValidator_GasAllowanceTooLarge(uint256 allowance);
    /// @notice The agent is an owner of the account (it answers `isOwner(agent)`): an owner can
    /// act through paths no hook sees, so it may not be the agent.
    error AgentValidator_AgentIsOwner(address account, address agent);

    /// @notice The multiplexer: the agent's key acts where it (or the policy engine) is the hook.
    function MULTIPLEXER() external view returns (address);

    /// @notice The policy engine: the agent's key acts where it (or the multiplexer) is the hook.
    function POLICY_ENGINE() external view returns (address);

    /// @notice The guardian's pause behind the multiplexer: while it holds an account, the agent's
    /// operations are valid only from its end on.
    function PAUSE_HOOK() external view returns (address);

    /// @notice The agent key of `account` (zero when none or revoked).
    function agentOf(address account) external view returns (address);

    /// @notice Rotates the agent key of `account`. Authority only (or an account change it
    /// approved at the multiplexer; the policy engine guards no call to this validator, so no
    /// change approved there reaches it).
    function setAgent(address account, address agent) external;

    /// @notice Revokes the agent key of `account`: no signature validates until `setAgent`.
    /// Authority only (or an account change it approved at the multiplexer).
    function revokeAgent(address account) external;

    /// @notice Sets what the agent's UserOps may still cost `account` in gas fees, in wei.
    /// Authority only (or an account change it approved at the multiplexer).
    function setGasAllowance(address account, uint256 allowance) external;

    /// @notice What the agent's UserOps may still cost `account` in gas fees, in wei.
    function gasAllowanceOf(address account) external view returns (uint256);

    /// @notice Whether the validator is installed for `account`.
    function isInitialized(address account) external view returns (bool);
}
