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
import {IEmergencyPauseHook} from "../interfaces/IEmergencyPauseHook.sol";
import {IHookMultiPlexer} from "../interfaces/IHookMultiPlexer.sol";
import {IPolicyEngine} from "../interfaces/IPolicyEngine.sol";
import {ExecutionDecoder} from "../libraries/ExecutionDecoder.sol";

/// @title AgentValidator
/// @notice The agent's key as an ERC-7579 validator: it signs executions the Leash hook sees and
/// nothing else, so the agent never needs to be an owner of the account.
/// @dev Storage per account: the base record (authority, generation) and one slot,
/// `agent (160) | gasAllowance (96)`. `validateUserOp` reads and writes only storage keyed by the
/// account (here, and reads the engine's state slot or the multiplexer's record) and never the
/// time, as ERC-4337's validation rules require. Signatures are 65-byte ECDSA over the raw
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

    /// @dev The policy engine (zero: none). Deployed before this validator, which it does not
    /// name: see the engine's constructor for why it need not protect this validator.
    address internal immutable ENGINE;

    /// @dev Leash's EmergencyPauseHook, as the multiplexer runs it (zero: none).
    address internal immutable PAUSE;

    /// @param multiplexer The Leash multiplexer: the agent's key acts where it is the account's hook,
    /// and a change its authority approved there may rotate the key through the account.
    /// @param engine The policy engine: the agent's key acts where it is the account's hook. No
    /// change approved at the engine reaches this validator (the engine guards no call to it), so
    /// only the authority's own key rotates the key of an account the engine guards.
    /// @param pauseHook Leash's pause hook: behind the multiplexer, the agent's operations are valid
    /// only from the end of its pause (its record is cleared when it leaves the multiplexer).
    constructor(address multiplexer, address engine, address pauseHook) LeashModule(multiplexer) {
        ENGINE = engine;
        PAUSE = pauseHook;
    }

    /// @inheritdoc IAgentValidator
    function MULTIPLEXER() external view returns (address) {
        return TRUSTED_MULTIPLEXER;
    }

    /// @inheritdoc IAgentValidator
    function POLICY_ENGINE() external view returns (address) {
        return ENGINE;
    }

    /// @inheritdoc IAgentValidator
    function PAUSE_HOOK() external view returns (address) {
        return PAUSE;
    }

    // ------------------------------------------------------------------ ERC-7579 module

    /// @inheritdoc IERC7579Module
    /// @dev Install data: `abi.encode(address authority, address agent, uint256 gasAllowance)`.
    function onInstall(bytes calldata data) external {
        address account = msg.sender;
        (address authority, address agent, uint256 gasAllowance) = abi.decode(data, (address, address, uint256));
        _installRecord(account, authority, MODULE_TYPE_VALIDATOR);
        // No account-wide agent: only sessions the policy engine grants act.
        if (agent != address(0)) _setAgent(account, authority, agent);
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
    /// @dev Checks, in order: the sender is the calling account; the callData is an execution the
    /// hook decodes exactly (canonical, call or batch, no delegatecall); a Leash hook runs the
    /// account's executions (`_requireLeashHook`: the policy engine or the multiplexer, as the
    /// account itself reports its hook); no call targets the account or a module; the signature;
    /// then the gas allowance, which a valid operation is charged its maximum cost against. Only a
    /// bad signature returns `SIG_VALIDATION_FAILED`; the others revert with their rule. The
    /// operation is valid only from the end of the guardian's pause on (`validAfter`; the engine's
    /// pause, or behind the multiplexer the pause hook's): while paused the EntryPoint refuses it
    /// before it costs the account anything.
    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash) external returns (uint256) {
        address account = msg.sender;
        require(userOp.sender == account, AgentValidator_SenderMismatch(account, userOp.sender));
        ExecutionDecoder.Executions memory ex = _execution(account, userOp.callData);
        address session = ex.session;
        (bool onSafe, bool viaEngine, uint256 validAfter, uint256 sessionTimes) = _requireLeashHook(account, session);
        _checkTargets(account, ex, onSafe, session != address(0) || sessionTimes & ALLOW_MODE != 0);
        uint256 validUntil;
        if (session == address(0)) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(userOpHash, userOp.signature);
            address agent = _agents[account].agent;
            if (err != ECDSA.RecoverError.NoError || agent == address(0) || signer != agent) {
                return VALIDATION_FAILED;
            }
        } else {
            require(viaEngine, Leash_SessionsNeedTheEngine(account, session));
            sessionTimes = _validateSession(account, session, userOpHash, userOp.signature, sessionTimes);
            if (sessionTimes & SESSION_LIVE == 0) return VALIDATION_FAILED;
            if (sessionTimes & U48 > validAfter) validAfter = sessionTimes & U48;
            validUntil = (sessionTimes >> 48) & U48;
        }
        uint256 cost = _maxCost(userOp);
        if (cost != 0) {
            uint256 allowance = _agents[account].gasAllowance;
            require(cost <= allowance, AgentValidator_GasAllowanceExceeded(account, cost, allowance));
            _agents[account].gasAllowance = uint96(allowance - cost);
        }
        // ERC-4337 validation data: `validAfter (48) | validUntil (48, 0: none) | aggregator (160)`;
        // the EntryPoint takes an operation only strictly after `validAfter`, and both the pause's
        // end and a session's start are first valid seconds, so one second before it.
        return (validAfter == 0 ? 0 : (validAfter - 1) << 208) | (validUntil << 160);
    }

    /// @dev A session's operation: signed by that session's agent (its first 65 bytes; a first
    /// operation may carry its grant after them, `_enable`). `times` is what the engine said of the
    /// session (packed as `_engineContext` returns them); returns them as they are after an enable,
    /// and not live when the signature is not the agent's.
    function _validateSession(
        address account,
        address session,
        bytes32 userOpHash,
        bytes calldata signature,
        uint256 times
    ) private returns (uint256) {
        bytes calldata grant = signature[:0];
        if (signature.length > 65) (signature, grant) = (signature[:65], signature[65:]);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(userOpHash, signature);
        if (err != ECDSA.RecoverError.NoError || signer != session) return 0;
        if (times & SESSION_LIVE == 0 && grant.length != 0) {
            _enable(account, grant);
            (,,, times) = _engineContext(account, session);
        }
        return times;
    }

    /// @dev Enable-in-first-op: `grant` is `abi.encode(IPolicyEngine.Session, bytes authoritySignature)`;
    /// the engine checks the authority's signature and stores the grant (in storage keyed by the
    /// account, reading no time). Skipped when the session is live already (someone submitted the
    /// same grant first), so a front-run enable never fails the agent's operation.
    function _enable(address account, bytes calldata grant) private {
        (IPolicyEngine.Session memory granted, bytes memory authoritySignature) =
            abi.decode(grant, (IPolicyEngine.Session, bytes));
        IPolicyEngine(ENGINE).enableSession(account, granted, authoritySignature);
    }

    /// @dev The policy engine's `leashContext` kinds (EngineState): how the account proved the
    /// engine's install.
    uint256 internal constant ENGINE_ON_LISTING_ACCOUNT = 0;
    uint256 internal constant ENGINE_ON_KERNEL = 1;
    uint256 internal constant ENGINE_ON_SAFE7579 = 2;

    /// @dev Requires that a Leash hook sees the operation's execution: the policy engine or the
    /// multiplexer is the account's hook now (on Kernel: the hook of this validation, the one
    /// Kernel runs for the operations it validates). A hook's own record is no proof of that
    /// (Safe7579 removes its global hook without running it and ignores the hook's answer; an
    /// account may ignore a failed `onUninstall`): the account is asked. Returns whether the
    /// account is a Safe7579 account (its aliases then need asking).
    /// The engine first, from its state slot (the execution reads that slot next, so the read
    /// costs little), which says how the account proved the install and so which question to ask
    /// it, with no probe of the account's kind; failing that, the multiplexer as before.
    /// For a session's operation the same call to the engine also returns the session's times;
    /// for the agent's own, whether the engine's allowlist is in allow mode (`ALLOW_MODE`).
    function _requireLeashHook(address account, address session)
        private
        returns (bool onSafe, bool viaEngine, uint256 validAfter, uint256 sessionTimes)
    {
        (bool installed, uint256 engineKind, uint256 pausedUntil, uint256 times) = _engineContext(account, session);
        if (installed) {
            address hook;
            if (engineKind == ENGINE_ON_KERNEL) {
                hook = _kernelValidationHook(account, bytes21(abi.encodePacked(bytes1(0x01), address(this))));
            } else if (engineKind == ENGINE_ON_SAFE7579) {
                hook = _safeActiveHook(account);
            } else if (engineKind == ENGINE_ON_LISTING_ACCOUNT && _listsHook(account, ENGINE)) {
                hook = ENGINE;
            }
            if (hook == ENGINE) return (engineKind == ENGINE_ON_SAFE7579, true, pausedUntil, times);
        }
        require(IHookMultiPlexer(TRUSTED_MULTIPLEXER).leashContext(account), AgentValidator_LeashNotInstalled(account));
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
        // The multiplexer must still be the account's hook, not only hold a record for it.
        // Kernel's answer is the validation's hook, asked above.
        if (kind == AccountKind.Safe7579) {
            require(_safeActiveHook(account) == TRUSTED_MULTIPLEXER, AgentValidator_LeashNotInstalled(account));
        } else if (kind == AccountKind.Other) {
            require(_installedAs(account, 4, TRUSTED_MULTIPLEXER), AgentValidator_LeashNotInstalled(account));
        }
        return (kind == AccountKind.Safe7579, false, _pauseHookEnds(account), 0);
    }

    /// @dev The pause hook's `pausedUntil(account)`: the end of the current or last pause, 0 when it
    /// has none for the account (never paused, not a sub-hook, or no pause hook) or gives no answer.
    /// A pause that has ended lies in the past, where `validAfter` restricts nothing.
    function _pauseHookEnds(address account) private view returns (uint256 ends) {
        address pauseHook = PAUSE;
        if (pauseHook == address(0)) return 0;
        bytes4 selector = IEmergencyPauseHook.pausedUntil.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), account)
            let ok := staticcall(gas(), pauseHook, m, 0x24, 0x00, 0x20)
            // 48 bits: `validAfter`'s width; the hook never stores more.
            if and(ok, gt(returndatasize(), 0x1f)) { ends := and(mload(0x00), 0xffffffffffff) }
        }
    }

    /// @dev `live (at 96) | validUntil (48, at 48) | validAfter (48)`: a session's times, packed;
    /// with no session, only the engine's allow mode (at 97).
    uint256 internal constant SESSION_LIVE = 1 << 96;
    uint256 internal constant ALLOW_MODE = 1 << 97;
    uint256 internal constant U48 = 0xffffffffffff;

    /// @dev The engine's `leashContext(account)`, with its allow mode in `times` (`ALLOW_MODE`), or
    /// with a session its `sessionContext(account, session)`, which adds the session's times
    /// (packed: `SESSION_LIVE`); not installed when there is no engine or no answer.
    function _engineContext(address account, address session)
        private
        returns (bool installed, uint256 kind, uint256 pausedUntil, uint256 times)
    {
        address engine = ENGINE;
        bytes4 selector =
            session == address(0) ? IPolicyEngine.leashContext.selector : IPolicyEngine.sessionContext.selector;
        assembly ("memory-safe") {
            // Up to six words back: in free memory, which is not advanced (nothing outlives the call).
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), account)
            mstore(add(m, 0x24), session)
            let size := 0x80
            let argsSize := 0x24
            if session {
                size := 0xc0
                argsSize := 0x44
            }
            // A call, not a static one: the engine marks the operation (IPolicyEngine.leashContext).
            let ok := call(gas(), engine, 0, m, argsSize, m, size)
            if and(ok, iszero(lt(returndatasize(), size))) {
                installed := eq(mload(m), 1)
                kind := mload(add(m, 0x20))
                pausedUntil := and(mload(add(m, 0x40)), U48)
                if iszero(session) { times := shl(97, eq(mload(add(m, 0x60)), 1)) }
                if session {
                    times := or(
                        or(shl(96, eq(mload(add(m, 0x60)), 1)), shl(48, and(mload(add(m, 0xa0)), U48))),
                        and(mload(add(m, 0x80)), U48)
                    )
                }
            }
        }
    }

    /// @dev Whether `account` answers `isModuleInstalled(4, hook, "")` with true. An account that
    /// cannot answer does not list it: this is the proof a hook runs, so it fails closed the other
    /// way than `_installedAs`.
    function _listsHook(address account, address hook) private view returns (bool) {
        (bool answered, uint256 answer) = _askInstalled(account, 4, hook);
        return answered && answer == 1;
    }

    /// @dev The account's `isModuleInstalled(moduleType, module, "")`: whether it answered (with at
    /// least one word) and the word. Encoded by hand: it runs up to three times per operation.
    function _askInstalled(address account, uint256 moduleType, address module)
        private
        view
        returns (bool answered, uint256 answer)
    {
        bytes4 selector = IERC7579ModuleConfig.isModuleInstalled.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), moduleType)
            mstore(add(m, 0x24), module)
            mstore(add(m, 0x44), 0x60) // the context's offset
            mstore(add(m, 0x64), 0) // its length: empty
            let ok := staticcall(gas(), account, m, 0x84, 0x00, 0x20)
            answered := and(ok, gt(returndatasize(), 0x1f))
            if answered { answer := mload(0x00) }
        }
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
        (bool answered, uint256 answer) = _askInstalled(account, moduleType, module);
        return !answered || answer != 0;
    }

    /// @dev Safe7579's global hook for `safe` (`getActiveHook()`); zero when it gives no answer.
    function _safeActiveHook(address safe) private view returns (address hook) {
        (bool ok, bytes memory ret) = safe.staticcall(abi.encodeWithSelector(SAFE7579_GET_ACTIVE_HOOK));
        if (!ok || ret.length < 32) return address(0);
        uint256 word = abi.decode(ret, (uint256));
        if (word >> 160 == 0) hook = address(uint160(word));
    }

    /// @dev The most the EntryPoint may take from the account for `userOp` (v0.7 / v0.8 packing):
    /// `(verificationGasLimit + callGasLimit + preVerificationGas) * maxFeePerGas`, plus the two
    /// paymaster gas limits when `paymasterAndData` carries them; nothing when the fee is zero or a
    /// paymaster pays. Only a paymaster named by a non-zero address pays: EntryPoint v0.7 takes
    /// `paymasterAndData` that names address zero as "the account pays", with the paymaster gas
    /// limits it carries in the prefund (v0.8 refuses it, AA98).
    function _maxCost(PackedUserOperation calldata userOp) private pure returns (uint256) {
        uint256 maxFee = uint128(uint256(userOp.gasFees));
        if (maxFee == 0) return 0;
        bytes calldata paymaster = userOp.paymasterAndData;
        // `paymaster (20) | verification gas limit (16) | postOp gas limit (16) | data`.
        (address named, uint256 paymasterGas) = (address(0), 0);
        assembly ("memory-safe") {
            let at := paymaster.offset
            if gt(paymaster.length, 19) { named := shr(96, calldataload(at)) }
            if gt(paymaster.length, 51) {
                paymasterGas := add(shr(128, calldataload(add(at, 20))), shr(128, calldataload(add(at, 36))))
            }
        }
        if (named != address(0)) return 0;
        uint256 limits = uint256(userOp.accountGasLimits);
        if (userOp.preVerificationGas > type(uint128).max) return type(uint256).max;
        // Each term is below 2^128, so the sum is below 2^131; capped so the product fits.
        uint256 gas = (limits >> 128) + uint128(limits) + userOp.preVerificationGas + paymasterGas;
        if (gas > type(uint128).max) return type(uint256).max;
        return gas * maxFee;
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
    /// and any non-canonical byte).
    function _execution(address account, bytes calldata callData)
        private
        pure
        returns (ExecutionDecoder.Executions memory ex)
    {
        bytes4 selector = bytes4(callData);
        bytes calldata execution = callData;
        if (selector == ExecutionDecoder.EXECUTE_USER_OP && callData.length >= 8) {
            execution = callData[4:];
            selector = bytes4(execution);
        }
        require(selector == ExecutionDecoder.EXECUTE, AgentValidator_CallNotAllowed(account, selector));
        (, ex) = ExecutionDecoder.decode(execution);
    }

    /// @dev None of the execution's calls may target the account, an alias of it (`address(0)`; on
    /// a Safe its adapter and enabled modules), this module, or a module installed on the account
    /// (an owner validator the account may reconfigure, an executor: a call from the account to one
    /// is a call to the account). The last is asked of the account (two cold slots per target)
    /// only where the agent could reach a target nobody named: `listed` says every target must be
    /// named by the authority to pass the hook (a session's permitted pairs; the engine's allowlist
    /// in allow mode), and naming a module is the authority's decision to make.
    function _checkTargets(address account, ExecutionDecoder.Executions memory ex, bool onSafe, bool listed)
        private
        view
    {
        for (uint256 i; i < ex.count; ++i) {
            (address target,,) = ExecutionDecoder.at(ex, i);
            require(
                target != address(this) && !_isAccount(account, target, onSafe)
                    && (listed || (!_installedAs(account, 1, target) && !_installedAs(account, 2, target))),
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
