// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, IERC7579Module, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {LeashModule} from "../base/LeashModule.sol";
import {ISpendingLimitHook} from "../interfaces/ISpendingLimitHook.sol";
import {ExecutionDecoder} from "../libraries/ExecutionDecoder.sol";
import {PackedWindow} from "../libraries/PackedWindow.sol";
import {PolicyKey} from "../libraries/PolicyKey.sol";
import {SpendingPolicy} from "../libraries/SpendingPolicy.sol";
import {TokenOutflow} from "../libraries/TokenOutflow.sol";

/// @title SpendingLimitHook
/// @notice Caps what an account moves per token over strict rolling windows. Works behind the
/// HookMultiPlexer or installed alone. The rules are the policy engine's (SpendingPolicy,
/// PackedWindow): the same limits, windows, caps and errors.
/// @dev Storage per account: `_records[account]` (LeashModule: installed while it names an
/// authority, and the generation); per (generation, token), at `K = PolicyKey.at(account,
/// generation, TARGET, token, 0)`, the token's policy as SpendingPolicy lays it out (its slot, its
/// packed windows, further limits, the cap); `_tokens[account][generation]` for `tokensOf`, never
/// read by a check. A transfer within its limits reads the record, the token's slot and its
/// window's first slot, and writes one of them.
/// Install data: `abi.encode(address authority, TokenPolicy[] policies)`.
contract SpendingLimitHook is LeashModule, ISpendingLimitHook {
    /// @inheritdoc ISpendingLimitHook
    address public constant NATIVE_TOKEN = address(0);
    /// @inheritdoc ISpendingLimitHook
    uint256 public constant MAX_TOKENS = 16;
    /// @inheritdoc ISpendingLimitHook
    uint256 public constant MAX_LIMITS_PER_TOKEN = SpendingPolicy.MAX_LIMITS;
    /// @notice The largest limit amount (PackedWindow keeps amounts exactly in 95 bits).
    uint256 public constant MAX_AMOUNT = PackedWindow.MAX_AMOUNT;

    mapping(address account => mapping(uint256 generation => address[])) internal _tokens;

    constructor(address multiplexer) LeashModule(multiplexer) {}

    // ------------------------------------------------------------------ ERC-7579 module

    /// @inheritdoc IERC7579Module
    function onInstall(bytes calldata data) external {
        address account = _account();
        (address authority, TokenPolicy[] memory policies) = abi.decode(data, (address, TokenPolicy[]));
        _installRecord(account, authority, MODULE_TYPE_HOOK);
        uint256 generation = _records[account].generation;
        for (uint256 i; i < policies.length; ++i) {
            _setPolicy(account, generation, policies[i]);
        }
    }

    /// @inheritdoc IERC7579Module
    /// @dev O(1): every policy and spend lives under the old generation.
    function onUninstall(bytes calldata) external {
        _uninstallRecord(_account(), MODULE_TYPE_HOOK);
    }

    /// @inheritdoc IERC7579Module
    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    // ------------------------------------------------------------------ hook

    /// @inheritdoc IERC7579Hook
    /// @dev Counts and records every outflow before the execution runs; if the execution reverts,
    /// so does the record. Asks for no postCheck unless it spent an approval.
    function preCheck(address msgSender, uint256, bytes calldata msgData) external returns (bytes memory) {
        address account = _account();
        AccountRecord memory record = _records[account];
        require(record.authority != address(0), Leash_NotInstalled(account));
        (bool done, bytes memory hookData, ExecutionDecoder.Executions memory ex) =
            _startPreCheck(account, msgSender, msgData);
        if (done) return hookData;
        if (ex.count == 1) _chargeSingle(account, record.generation, ex);
        else if (ex.count != 0) _chargeBatch(account, record.generation, ex);
        return "";
    }

    /// @inheritdoc IERC7579Hook
    function postCheck(bytes calldata hookData) external {
        _leaveCall(_account(), hookData);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ISpendingLimitHook
    function tokensOf(address account) external view returns (address[] memory) {
        return _tokens[account][_records[account].generation];
    }

    /// @inheritdoc ISpendingLimitHook
    function policyOf(address account, address token)
        external
        view
        returns (uint256 perTxCap, LimitConfig[] memory limits)
    {
        uint256 key = _keyOf(account, _records[account].generation, token);
        return SpendingPolicy.policyOf(key, PolicyKey.load(key));
    }

    /// @inheritdoc ISpendingLimitHook
    function remaining(address account, address token) external view returns (uint256) {
        return remainingAt(account, token, block.timestamp);
    }

    /// @inheritdoc ISpendingLimitHook
    function remainingAt(address account, address token, uint256 timestamp) public view returns (uint256) {
        uint256 key = _keyOf(account, _records[account].generation, token);
        return
            SpendingPolicy.remainingAt(
                key, PolicyKey.load(key), timestamp < block.timestamp ? block.timestamp : timestamp
            );
    }

    /// @inheritdoc ISpendingLimitHook
    function availableAt(address account, address token, uint256 amount) external view returns (uint256) {
        uint256 key = _keyOf(account, _records[account].generation, token);
        return SpendingPolicy.availableAt(key, PolicyKey.load(key), amount);
    }

    // ------------------------------------------------------------------ configuration

    /// @inheritdoc ISpendingLimitHook
    function setTokenPolicy(address account, TokenPolicy calldata policy) external {
        AccountRecord memory record = _records[account];
        require(record.authority != address(0), Leash_NotInstalled(account));
        if (!_actsAsAuthority(account, record.authority)) {
            require(msg.sender == account, Leash_OnlyAccountOrAuthority(account, msg.sender));
            uint256 key = _keyOf(account, record.generation, policy.token);
            require(
                SpendingPolicy.isTightening(key, PolicyKey.load(key), policy),
                SpendingLimit_NotTightening(account, policy.token)
            );
        }
        _setPolicy(account, record.generation, policy);
    }

    /// @inheritdoc ISpendingLimitHook
    function removeTokenPolicy(address account, address token) external onlyAuthority(account) {
        uint256 generation = _records[account].generation;
        uint256 key = _keyOf(account, generation, token);
        SpendingPolicy.remove(account, token, key, PolicyKey.load(key));
        address[] storage tokens = _tokens[account][generation];
        for (uint256 i; i < tokens.length; ++i) {
            if (tokens[i] == token) {
                tokens[i] = tokens[tokens.length - 1];
                tokens.pop();
                break;
            }
        }
    }

    // ------------------------------------------------------------------ internals

    /// @dev One item: no memory arrays, each slot read once.
    function _chargeSingle(address account, uint256 generation, ExecutionDecoder.Executions memory ex) internal {
        (address target, uint256 value, bytes calldata data) = ExecutionDecoder.at(ex, 0);
        if (data.length != 0) {
            uint256 key = _keyOf(account, generation, target);
            uint256 slot = PolicyKey.load(key);
            if (slot & SpendingPolicy.TRACKED != 0) {
                SpendingPolicy.charge(account, target, key, slot, TokenOutflow.amountOf(account, target, data));
            }
        }
        if (value != 0) _chargeNative(account, generation, value);
    }

    /// @dev The limited tokens of a batch, each once, with what the batch moves of it.
    struct Outflows {
        address[] tokens;
        uint256[] keys;
        uint256[] amounts;
        uint256 distinct;
    }

    /// @dev Every item's outflow, then each limited token once with its total, then the native sum.
    function _chargeBatch(address account, uint256 generation, ExecutionDecoder.Executions memory ex) internal {
        uint256 n = ex.count;
        Outflows memory out = Outflows(new address[](n), new uint256[](n), new uint256[](n), 0);
        uint256 native;
        for (uint256 i; i < n; ++i) {
            (address target, uint256 value, bytes calldata data) = ExecutionDecoder.at(ex, i);
            native += value; // checked: an overflowing batch reverts
            if (data.length != 0) _addOutflow(out, account, generation, target, data);
        }
        for (uint256 k; k < out.distinct; ++k) {
            SpendingPolicy.charge(account, out.tokens[k], out.keys[k], PolicyKey.load(out.keys[k]), out.amounts[k]);
        }
        if (native != 0) _chargeNative(account, generation, native);
    }

    /// @dev Adds what a call to `target` moves out, if `target` is a limited token.
    function _addOutflow(Outflows memory out, address account, uint256 generation, address target, bytes calldata data)
        internal
        view
    {
        uint256 k;
        while (k < out.distinct && out.tokens[k] != target) ++k;
        if (k == out.distinct) {
            uint256 key = _keyOf(account, generation, target);
            if (PolicyKey.load(key) & SpendingPolicy.TRACKED == 0) return;
            (out.tokens[k], out.keys[k]) = (target, key);
            ++out.distinct;
        }
        out.amounts[k] += TokenOutflow.amountOf(account, target, data);
    }

    function _chargeNative(address account, uint256 generation, uint256 value) internal {
        uint256 key = _keyOf(account, generation, NATIVE_TOKEN);
        uint256 slot = PolicyKey.load(key);
        if (slot & SpendingPolicy.TRACKED != 0) SpendingPolicy.charge(account, NATIVE_TOKEN, key, slot, value);
    }

    /// @dev Sets (or replaces) one token's policy (SpendingPolicy), listing a new token.
    function _setPolicy(address account, uint256 generation, TokenPolicy memory policy) internal {
        uint256 key = _keyOf(account, generation, policy.token);
        uint256 slot = PolicyKey.load(key);
        if (slot & SpendingPolicy.TRACKED == 0) {
            address[] storage tokens = _tokens[account][generation];
            require(tokens.length < MAX_TOKENS, SpendingLimit_TooManyTokens(account, MAX_TOKENS));
            tokens.push(policy.token);
        }
        SpendingPolicy.set(account, key, slot, policy);
    }

    function _keyOf(address account, uint256 generation, address token) internal pure returns (uint256) {
        return PolicyKey.at(account, generation, PolicyKey.TARGET, token, 0);
    }
}
