// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IPolicyEngine} from "../interfaces/IPolicyEngine.sol";
import {ISpendingLimitHook} from "../interfaces/ISpendingLimitHook.sol";
import {PackedWindow} from "../libraries/PackedWindow.sol";
import {PolicyKey} from "../libraries/PolicyKey.sol";
import {SpendingPolicy} from "../libraries/SpendingPolicy.sol";
import {EngineState} from "./EngineState.sol";

/// @title SessionConfig
/// @notice The sessions' configuration of the policy engine: grants (by the authority, or by its
/// signature in the agent's first operation), revocation and views (IPolicyEngine). The engine's
/// configuration half, PolicyEngineConfig, runs it through `delegatecall` for what it does not know
/// itself, so it runs in the engine's storage with the engine's address; called directly, it only
/// touches its own, unused storage. The checks of a session's execution are the engine's own.
contract SessionConfig is EngineState {
    constructor(address[] memory leashModules) EngineState(leashModules) {}

    /// @notice Grants `session` (or replaces the agent's earlier grant: a new epoch, its counters and
    /// entries fresh, the old ones unreachable).
    function grantSession(address account, IPolicyEngine.Session calldata session) external onlyAuthority(account) {
        uint256 state = _state[account];
        _grant(account, state, session, _nextEpoch(account, state, session.agent), block.timestamp);
    }

    /// @notice Grants `session` on the authority's EIP-712 signature of it (`sessionGrantDigest`),
    /// whoever submits it: what AgentValidator does in the agent's first operation. Reads no time
    /// and only storage keyed by the account (ERC-7562), so it may run during validation. The
    /// signature names the account, the install's generation and the grant's epoch (the engine and
    /// the chain in its domain): it grants once, on one account and chain, and a revocation (which
    /// takes the epoch on) voids it. ECDSA signatures of an EOA authority only.
    function enableSession(address account, IPolicyEngine.Session calldata session, bytes calldata signature) external {
        uint256 state = _state[account];
        require(state & INSTALLED != 0, Leash_NotInstalled(account));
        uint256 epoch = _nextEpoch(account, state, session.agent);
        (address signer, ECDSA.RecoverError err,) =
            ECDSA.tryRecoverCalldata(_grantDigest(account, state, epoch, session), signature);
        address authority = _records[account].authority;
        require(
            err == ECDSA.RecoverError.NoError && signer == authority,
            IPolicyEngine.Session_GrantNotSigned(account, session.agent)
        );
        _grant(account, state, session, epoch, 0);
    }

    /// @notice The digest the authority signs to grant `session` by signature, for the next epoch.
    function sessionGrantDigest(address account, IPolicyEngine.Session calldata session)
        external
        view
        returns (bytes32)
    {
        uint256 state = _state[account];
        return _grantDigest(account, state, _nextEpoch(account, state, session.agent), session);
    }

    /// @dev EIP-712: `EnableSession(address account,uint64 generation,uint24 epoch,bytes32 session)`,
    /// `session` the keccak of the ABI-encoded Session; domain `Leash PolicyEngine`, version 1, this
    /// chain, the engine.
    function _grantDigest(address account, uint256 state, uint256 epoch, IPolicyEngine.Session calldata session)
        private
        view
        returns (bytes32)
    {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Leash PolicyEngine"),
                keccak256("1"),
                block.chainid,
                address(this)
            )
        );
        bytes32 grant = keccak256(
            abi.encode(
                keccak256("EnableSession(address account,uint64 generation,uint24 epoch,bytes32 session)"),
                account,
                uint64(state),
                epoch,
                keccak256(abi.encode(session))
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domain, grant));
    }

    /// @dev The epoch the agent's next grant takes (the first is 1, so no entry of epoch 0 exists).
    function _nextEpoch(address account, uint256 state, address agent) private view returns (uint256) {
        return ((PolicyKey.load(_sessionKey(account, state, agent)) >> EPOCH_SHIFT) & 0xffffff) + 1;
    }

    /// @dev Stores `session` as the agent's grant of `epoch`, its windows starting at `t`.
    function _grant(address account, uint256 state, IPolicyEngine.Session calldata session, uint256 epoch, uint256 t)
        private
    {
        address agent = session.agent;
        require(
            agent != address(0) && agent != account && agent != _records[account].authority
                && !_isOwner(account, agent),
            IPolicyEngine.Session_InvalidAgent(account, agent)
        );
        require(
            session.validUntil != 0 && session.validAfter <= session.validUntil,
            IPolicyEngine.Session_InvalidTimeRange(session.validAfter, session.validUntil)
        );
        require(
            session.calls.length <= MAX_SESSION_CALLS,
            IPolicyEngine.Session_TooMany("calls", session.calls.length, MAX_SESSION_CALLS)
        );
        require(
            session.tokens.length <= MAX_TOKENS,
            IPolicyEngine.Session_TooMany("tokens", session.tokens.length, MAX_TOKENS)
        );
        uint256 key = _sessionKey(account, state, agent);
        uint256 slot = uint256(session.validAfter) | (uint256(session.validUntil) << VALID_UNTIL_SHIFT) | S_LIVE
            | (epoch << EPOCH_SHIFT);
        if (session.maxUses != 0) slot |= S_MAX_USES | (uint256(session.maxUses) << MAX_USES_SHIFT);
        if (session.usesPerWindow != 0) {
            uint256 width = PackedWindow.widthOf(session.usesPerWindow, session.usageWindow);
            slot |= S_USAGE_WINDOW | (uint256(session.usesPerWindow) << PER_WINDOW_SHIFT) | (width << USAGE_WIDTH_SHIFT);
            PackedWindow.init(key + 1, t, width, session.usesPerWindow, 0);
        } else {
            require(
                session.usageWindow == 0,
                IPolicyEngine.Session_InvalidUsageLimit(session.usesPerWindow, session.usageWindow)
            );
        }
        for (uint256 i; i < session.calls.length; ++i) {
            _grantCall(account, state, agent, epoch, i, session.calls[i], t);
        }
        if (session.tokens.length != 0) slot |= S_TOKENS;
        for (uint256 i; i < session.tokens.length; ++i) {
            ISpendingLimitHook.TokenPolicy memory policy = session.tokens[i];
            uint256 tokenKey = _sessionEntryKey(account, state, agent, KIND_SESSION_TOKEN, epoch, policy.token, 0);
            uint256 tokenSlot = PolicyKey.load(tokenKey);
            require(tokenSlot & TRACKED == 0, IPolicyEngine.Session_DuplicateToken(policy.token));
            SpendingPolicy.store(tokenKey, tokenSlot, policy, t);
        }
        PolicyKey.store(key, slot);
        emit IPolicyEngine.SessionGranted(account, agent, epoch, session.validAfter, session.validUntil);
    }

    /// @dev One permitted (target, selector) of a session with its rules, checked.
    function _grantCall(
        address account,
        uint256 state,
        address agent,
        uint256 epoch,
        uint256 index,
        IPolicyEngine.SessionCall calldata call,
        uint256 t
    ) private {
        uint256 key = _sessionEntryKey(account, state, agent, KIND_SESSION_CALL, epoch, call.target, call.selector);
        require(PolicyKey.load(key) == 0, IPolicyEngine.Session_DuplicateCall(call.target, call.selector));
        uint256 n = call.rules.length;
        require(n <= MAX_RULES, IPolicyEngine.Session_TooMany("rules", n, MAX_RULES));
        // Selector 0 names plain transfers, which have no arguments to rule on; the wildcard, any call.
        bool ruled = call.selector != bytes4(0) && call.selector != WILDCARD_SELECTOR;
        uint256 entry = C_PERMITTED | (n << RULES_SHIFT);
        for (uint256 r; r < n; ++r) {
            (bool valid, uint256 word) = _rule(account, key + r, call.rules[r], t, 0);
            require(ruled && valid, IPolicyEngine.Session_InvalidRule(index, r));
            if (r == 0) entry |= word;
            else PolicyKey.store(key + r, word);
        }
        PolicyKey.store(key, entry);
    }

    /// @notice Ends the session now (its operations already validated fail at execution too) and
    /// takes its epoch on, which voids a grant signed for it and not used yet.
    function revokeSession(address account, address agent) external onlyAuthority(account) {
        uint256 key = _sessionKey(account, _state[account], agent);
        uint256 slot = PolicyKey.load(key);
        uint256 epoch = (slot >> EPOCH_SHIFT) & 0xffffff;
        require(epoch < 0xffffff, IPolicyEngine.Session_TooMany("epochs", epoch + 1, 0xffffff));
        PolicyKey.store(key, (slot & ~S_LIVE) + (1 << EPOCH_SHIFT));
        emit IPolicyEngine.SessionRevoked(account, agent);
    }

    function sessionOf(address account, address agent)
        external
        view
        returns (bool live, uint48 validAfter, uint48 validUntil, uint256 uses, uint256 maxUses, uint256 epoch)
    {
        uint256 slot = PolicyKey.load(_sessionKey(account, _state[account], agent));
        return (
            slot & S_LIVE != 0,
            uint48(slot),
            uint48(slot >> VALID_UNTIL_SHIFT),
            uint32(slot >> USES_SHIFT),
            uint32(slot >> MAX_USES_SHIFT),
            (slot >> EPOCH_SHIFT) & 0xffffff
        );
    }

    function sessionRemaining(address account, address agent, address token) external view returns (uint256) {
        uint256 state = _state[account];
        uint256 epoch = (PolicyKey.load(_sessionKey(account, state, agent)) >> EPOCH_SHIFT) & 0xffffff;
        uint256 key = _sessionEntryKey(account, state, agent, KIND_SESSION_TOKEN, epoch, token, 0);
        return SpendingPolicy.remainingAt(key, PolicyKey.load(key), block.timestamp);
    }

    function sessionArgumentRemaining(address account, address agent, address target, bytes4 selector, uint256 rule)
        external
        view
        returns (uint256)
    {
        uint256 state = _state[account];
        uint256 epoch = (PolicyKey.load(_sessionKey(account, state, agent)) >> EPOCH_SHIFT) & 0xffffff;
        uint256 key = _sessionEntryKey(account, state, agent, KIND_SESSION_CALL, epoch, target, selector);
        return _capRemaining(account, key, PolicyKey.load(key), rule);
    }

    /// @dev Whether the account says `agent` is one of its owners (`isOwner(address)`, as a Safe
    /// answers): an owner acts through paths no hook sees. Accounts that cannot answer: false.
    function _isOwner(address account, address agent) private view returns (bool) {
        (bool ok, bytes memory ret) = account.staticcall(abi.encodeWithSignature("isOwner(address)", agent));
        return ok && ret.length >= 32 && abi.decode(ret, (bool));
    }
}
