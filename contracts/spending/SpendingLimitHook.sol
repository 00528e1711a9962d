// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, IERC7579Module, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {LeashModule} from "../base/LeashModule.sol";
import {ISpendingLimitHook} from "../interfaces/ISpendingLimitHook.sol";
import {ExecutionDecoder} from "../libraries/ExecutionDecoder.sol";
import {RollingWindow} from "../libraries/RollingWindow.sol";
import {TokenOutflow} from "../libraries/TokenOutflow.sol";

/// @title SpendingLimitHook
/// @notice Caps what an account moves per token over strict rolling windows. Works behind the
/// HookMultiPlexer or installed alone.
/// @dev Storage per account: `_accounts[account]` (generation, installed); per (generation,
/// token): one policy slot `perTxCap (128) | limitCount (8) | tracked (8)` and, per limit, the
/// four RollingWindow slots. A check reads the policy slot of every distinct target called with
/// data, and for each limited token its limits: O(1) in the number of tokens configured.
/// Install data: `abi.encode(address authority, TokenPolicy[] policies)`.
contract SpendingLimitHook is LeashModule, ISpendingLimitHook {
    using RollingWindow for RollingWindow.Limit;

    /// @inheritdoc ISpendingLimitHook
    address public constant NATIVE_TOKEN = address(0);
    /// @inheritdoc ISpendingLimitHook
    uint256 public constant MAX_TOKENS = 16;
    /// @inheritdoc ISpendingLimitHook
    uint256 public constant MAX_LIMITS_PER_TOKEN = 4;

    struct AccountState {
        uint64 generation;
        bool installed;
    }

    struct Policy {
        uint128 perTxCap;
        uint8 limitCount;
        bool tracked;
    }

    mapping(address account => AccountState) internal _accounts;
    mapping(address account => mapping(uint256 generation => mapping(address token => Policy))) internal _policies;
    mapping(
        address account
            => mapping(uint256 generation => mapping(address token => RollingWindow.Limit[MAX_LIMITS_PER_TOKEN]))
    ) internal _limits;
    mapping(address account => mapping(uint256 generation => address[])) internal _tokens;

    constructor(address multiplexer) LeashModule(multiplexer) {}

    // ------------------------------------------------------------------ ERC-7579 module

    /// @inheritdoc IERC7579Module
    function onInstall(bytes calldata data) external {
        address account = _account();
        (address authority, TokenPolicy[] memory policies) = abi.decode(data, (address, TokenPolicy[]));
        _installRecord(account, authority, MODULE_TYPE_HOOK);
        _accounts[account].installed = true;
        for (uint256 i; i < policies.length; ++i) {
            _setPolicy(account, policies[i]);
        }
    }

    /// @inheritdoc IERC7579Module
    /// @dev O(1): every policy and spend lives under the old generation.
    function onUninstall(bytes calldata) external {
        address account = _account();
        _uninstallRecord(account, MODULE_TYPE_HOOK);
        AccountState storage state = _accounts[account];
        state.installed = false;
        ++state.generation;
    }

    /// @inheritdoc IERC7579Module
    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    // ------------------------------------------------------------------ hook

    /// @inheritdoc IERC7579Hook
    /// @dev Counts and records every outflow before the execution runs; if the execution reverts,
    /// so does the record. Asks for no postCheck.
    function preCheck(address msgSender, uint256, bytes calldata msgData) external returns (bytes memory) {
        address account = _account();
        AccountState memory state = _accounts[account];
        require(state.installed, Leash_NotInstalled(account));
        ExecutionDecoder.Executions memory ex;
        if (_viaMultiplexer()) {
            (, ex) = ExecutionDecoder.decode(ExecutionDecoder.withoutSender(msgData, msgSender));
        } else {
            bool approved;
            bool consumed;
            (approved, consumed, ex) = _leashGuardAlone(account, msgSender, msgData);
            if (approved) return consumed ? APPROVED_CHANGE : bytes("");
        }
        uint256 generation = state.generation;

        // Outflows per limited token in this execution: at most one entry per item, plus native.
        address[] memory tokens = new address[](ex.count + 1);
        uint256[] memory amounts = new uint256[](ex.count + 1);
        uint256 distinct;
        uint256 native;
        for (uint256 i; i < ex.count; ++i) {
            (address target, uint256 value, bytes calldata data) = ExecutionDecoder.at(ex, i);
            native += value; // checked: an overflowing batch reverts
            if (data.length == 0 || !_policies[account][generation][target].tracked) continue;
            uint256 amount = TokenOutflow.amountOf(account, target, data);
            uint256 k;
            while (k < distinct && tokens[k] != target) ++k;
            if (k == distinct) tokens[distinct++] = target;
            amounts[k] += amount;
        }
        if (native != 0 && _policies[account][generation][NATIVE_TOKEN].tracked) {
            tokens[distinct] = NATIVE_TOKEN;
            amounts[distinct++] = native;
        }
        for (uint256 k; k < distinct; ++k) {
            _charge(account, generation, tokens[k], amounts[k]);
        }
        return "";
    }

    /// @inheritdoc IERC7579Hook
    function postCheck(bytes calldata hookData) external {
        _endApprovedChange(_account(), hookData);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ISpendingLimitHook
    function tokensOf(address account) external view returns (address[] memory) {
        return _tokens[account][_accounts[account].generation];
    }

    /// @inheritdoc ISpendingLimitHook
    function policyOf(address account, address token)
        external
        view
        returns (uint256 perTxCap, LimitConfig[] memory limits)
    {
        uint256 generation = _accounts[account].generation;
        Policy memory policy = _policies[account][generation][token];
        limits = new LimitConfig[](policy.limitCount);
        for (uint256 i; i < limits.length; ++i) {
            RollingWindow.Limit storage limit = _limits[account][generation][token][i];
            limits[i] = LimitConfig(limit.amount, limit.window);
        }
        return (policy.perTxCap, limits);
    }

    /// @inheritdoc ISpendingLimitHook
    function remaining(address account, address token) external view returns (uint256) {
        return remainingAt(account, token, block.timestamp);
    }

    /// @inheritdoc ISpendingLimitHook
    function remainingAt(address account, address token, uint256 timestamp) public view returns (uint256 left) {
        uint256 generation = _accounts[account].generation;
        Policy memory policy = _policies[account][generation][token];
        if (!policy.tracked) return type(uint256).max;
        left = policy.perTxCap == 0 ? type(uint256).max : policy.perTxCap;
        if (timestamp < block.timestamp) timestamp = block.timestamp;
        for (uint256 i; i < policy.limitCount; ++i) {
            RollingWindow.Limit storage limit = _limits[account][generation][token][i];
            uint256 used = limit.usedAt(timestamp);
            uint256 headroom = used >= limit.amount ? 0 : limit.amount - used;
            if (headroom < left) left = headroom;
        }
    }

    /// @inheritdoc ISpendingLimitHook
    function availableAt(address account, address token, uint256 amount) public view returns (uint256 at) {
        uint256 generation = _accounts[account].generation;
        Policy memory policy = _policies[account][generation][token];
        at = block.timestamp;
        if (!policy.tracked) return at;
        if (policy.perTxCap != 0 && amount > policy.perTxCap) return type(uint256).max;
        for (uint256 i; i < policy.limitCount; ++i) {
            uint256 limitAt = _limits[account][generation][token][i].availableAt(block.timestamp, amount);
            if (limitAt > at) at = limitAt;
        }
    }

    // ------------------------------------------------------------------ configuration

    /// @inheritdoc ISpendingLimitHook
    function setTokenPolicy(address account, TokenPolicy calldata policy) external {
        address authority = _records[account].authority;
        require(authority != address(0), Leash_NotInstalled(account));
        if (!_actsAsAuthority(account, authority)) {
            require(msg.sender == account, Leash_OnlyAccountOrAuthority(account, msg.sender));
            require(_isTightening(account, policy), SpendingLimit_NotTightening(account, policy.token));
        }
        _setPolicy(account, policy);
    }

    /// @inheritdoc ISpendingLimitHook
    function removeTokenPolicy(address account, address token) external onlyAuthority(account) {
        uint256 generation = _accounts[account].generation;
        require(_policies[account][generation][token].tracked, SpendingLimit_UnknownToken(account, token));
        delete _policies[account][generation][token];
        address[] storage tokens = _tokens[account][generation];
        for (uint256 i; i < tokens.length; ++i) {
            if (tokens[i] == token) {
                tokens[i] = tokens[tokens.length - 1];
                tokens.pop();
                break;
            }
        }
        emit TokenPolicyRemoved(account, token);
    }

    // ------------------------------------------------------------------ internals

    function _charge(address account, uint256 generation, address token, uint256 amount) internal {
        Policy memory policy = _policies[account][generation][token];
        if (policy.perTxCap != 0) {
            require(amount <= policy.perTxCap, SpendingLimit_PerTxCapExceeded(account, token, amount, policy.perTxCap));
        }
        for (uint256 i; i < policy.limitCount; ++i) {
            (bool ok,) = _limits[account][generation][token][i].spend(block.timestamp, amount);
            if (!ok) {
                revert SpendingLimit_Exceeded(
                    account,
                    token,
                    amount,
                    remainingAt(account, token, block.timestamp),
                    availableAt(account, token, amount)
                );
            }
        }
        emit Spent(account, token, amount);
    }

    function _setPolicy(address account, TokenPolicy memory policy) internal {
        uint256 n = policy.limits.length;
        require(n != 0 || policy.perTxCap != 0, SpendingLimit_NoLimits(policy.token));
        require(n <= MAX_LIMITS_PER_TOKEN, SpendingLimit_TooManyLimits(policy.token, n, MAX_LIMITS_PER_TOKEN));
        require(policy.perTxCap <= type(uint128).max, SpendingLimit_AmountTooLarge(policy.perTxCap));
        uint256 generation = _accounts[account].generation;
        Policy storage stored = _policies[account][generation][policy.token];
        RollingWindow.Limit[MAX_LIMITS_PER_TOKEN] storage limits = _limits[account][generation][policy.token];

        // What was spent under the old limits, to carry into new windows.
        uint256 carried;
        uint256 oldCount = stored.tracked ? stored.limitCount : 0;
        RollingWindow.Limit[] memory old = new RollingWindow.Limit[](oldCount);
        for (uint256 i; i < oldCount; ++i) {
            old[i] = limits[i];
            uint256 used = limits[i].usedAt(block.timestamp);
            if (used > carried) carried = used;
        }
        if (!stored.tracked) {
            address[] storage tokens = _tokens[account][generation];
            require(tokens.length < MAX_TOKENS, SpendingLimit_TooManyTokens(account, MAX_TOKENS));
            tokens.push(policy.token);
        }
        for (uint256 i; i < n; ++i) {
            LimitConfig memory config = policy.limits[i];
            require(config.amount <= type(uint128).max, SpendingLimit_AmountTooLarge(config.amount));
            // A limit whose window already existed keeps its exact history; a new window starts
            // with everything the old limits still counted, recorded now.
            uint256 same = oldCount;
            for (uint256 j; j < oldCount; ++j) {
                if (old[j].window == config.window) same = j;
            }
            limits[i].init(config.amount, config.window);
            if (same < oldCount) {
                limits[i].lastIndex = old[same].lastIndex;
                limits[i].buckets = old[same].buckets;
            } else if (carried != 0) {
                limits[i].carry(block.timestamp, carried);
            }
        }
        stored.perTxCap = uint128(policy.perTxCap);
        stored.limitCount = uint8(n);
        stored.tracked = true;
        emit TokenPolicySet(account, policy.token, policy.perTxCap, policy.limits);
    }

    /// @dev The same windows in the same order, no amount higher, and a cap no looser.
    function _isTightening(address account, TokenPolicy calldata policy) internal view returns (bool) {
        uint256 generation = _accounts[account].generation;
        Policy memory current = _policies[account][generation][policy.token];
        if (!current.tracked || policy.limits.length != current.limitCount) return false;
        if (current.perTxCap != 0 && (policy.perTxCap == 0 || policy.perTxCap > current.perTxCap)) return false;
        for (uint256 i; i < policy.limits.length; ++i) {
            RollingWindow.Limit storage limit = _limits[account][generation][policy.token][i];
            if (policy.limits[i].window != limit.window || policy.limits[i].amount > limit.amount) return false;
        }
        return true;
    }
}
