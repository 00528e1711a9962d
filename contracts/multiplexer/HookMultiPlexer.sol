// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, IERC7579Module, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {LeashModule} from "../base/LeashModule.sol";
import {IHookMultiPlexer} from "../interfaces/IHookMultiPlexer.sol";
import {ExecutionDecoder} from "../libraries/ExecutionDecoder.sol";

/// @title HookMultiPlexer
/// @notice The one ERC-7579 hook an account installs. Applies the authority model, then runs each
/// sub-hook's `preCheck` in order and, after the execution, `postCheck` for those that asked.
/// @dev Storage per account: the base record (authority, generation) and the ordered sub-hook
/// array (length + one slot per sub-hook, at most `MAX_SUB_HOOKS`). Install data:
/// `abi.encode(address authority, address[] subHooks, bytes[] subHookInitData)`, or on Kernel v3,
/// which attaches hooks to validators and lists none account-wide,
/// `abi.encode(address authority, address[] subHooks, bytes[] subHookInitData, bytes21 validationId)`
/// naming the validation (`0x01 ++ validator`) the multiplexer rides on: Kernel's report that this
/// validation's hook is the multiplexer is then the install proof, and uninstalling needs that
/// validation gone first.
contract HookMultiPlexer is LeashModule, IHookMultiPlexer {
    /// @inheritdoc IHookMultiPlexer
    uint256 public constant MAX_SUB_HOOKS = 8;

    mapping(address account => address[]) internal _subHooks;
    /// @dev Kernel accounts only: the validation whose hook the multiplexer is (see the install data).
    mapping(address account => bytes21) internal _kernelValidation;

    /// @dev The multiplexer trusts no other multiplexer: its account is always `msg.sender`.
    constructor() LeashModule(address(0)) {}

    // ------------------------------------------------------------------ ERC-7579 module

    /// @inheritdoc IERC7579Module
    function onInstall(bytes calldata data) external {
        address account = msg.sender;
        (address authority, address[] memory hooks, bytes[] memory initData) =
            abi.decode(data, (address, address[], bytes[]));
        require(hooks.length == initData.length, Multiplexer_LengthMismatch(hooks.length, initData.length));
        // The four-field form: its head is four words, so the first offset is 0x80 instead of 0x60.
        if (data.length >= 0x80 && uint256(bytes32(data[0x20:0x40])) == 0x80) {
            (,,, bytes21 validationId) = abi.decode(data, (address, address[], bytes[], bytes21));
            _kernelValidation[account] = validationId;
        }
        _installRecord(account, authority, MODULE_TYPE_HOOK);
        for (uint256 i; i < hooks.length; ++i) {
            _addSubHook(account, hooks[i], initData[i]);
        }
    }

    /// @inheritdoc IERC7579Module
    /// @dev Uninstalls every sub-hook (a reverting or gas-burning one cannot block this) and
    /// clears all state. Where the account runs its hook for the removal, the hook has already
    /// required the authority's approval; an approved change ends here (no postCheck of this
    /// multiplexer follows). Safe7579 runs no hook when its global hook is removed and ignores a
    /// refusal here, so refusing would only leave stale state behind (docs/COMPATIBILITY.md).
    function onUninstall(bytes calldata) external {
        address account = msg.sender;
        _uninstallRecord(account, MODULE_TYPE_HOOK);
        _setInProgress(account, false);
        delete _kernelValidation[account];
        address[] storage hooks = _subHooks[account];
        for (uint256 i = hooks.length; i > 0; --i) {
            address subHook = hooks[i - 1];
            hooks.pop();
            emit SubHookRemoved(account, subHook, _uninstallSubHook(account, subHook, ""));
        }
    }

    /// @inheritdoc IERC7579Module
    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    /// @inheritdoc IHookMultiPlexer
    function isInitialized(address account) public view returns (bool) {
        return _records[account].authority != address(0);
    }

    /// @inheritdoc IHookMultiPlexer
    function leashContext(address account) external returns (bool installed) {
        _markAgentOperation(account);
        return isInitialized(account);
    }

    /// @dev The account lists the multiplexer as its hook, or (Kernel) reports it as the hook of
    /// the validation named at install.
    function _isInstalledOn(address account, uint256 moduleType) internal view override returns (bool) {
        if (super._isInstalledOn(account, moduleType)) return true;
        bytes21 validationId = _kernelValidation[account];
        return validationId != bytes21(0) && _kernelValidationHook(account, validationId) == address(this);
    }

    // ------------------------------------------------------------------ hook

    /// @inheritdoc IERC7579Hook
    /// @dev Returns empty data when no sub-hook asked for a `postCheck`, `APPROVED_CHANGE` when
    /// this call spent an approval (no policy runs), otherwise `abi.encode(address[] subHooks,
    /// bytes[] data)`, whose hash is held in transient storage until `postCheck`.
    function preCheck(address msgSender, uint256 msgValue, bytes calldata msgData)
        external
        returns (bytes memory hookData)
    {
        address account = msg.sender;
        // The sub-hooks, then this multiplexer: the Leash modules the account may not freely call.
        address[] memory hooks = _subHooks[account];
        uint256 n = hooks.length;
        address[] memory leash = new address[](n + 1);
        for (uint256 i; i < n; ++i) {
            leash[i] = hooks[i];
        }
        leash[n] = address(this);
        (bool approved, bool consumed,) = _leashGuard(account, msgSender, msgData, leash);
        if (approved) return consumed ? APPROVED_CHANGE : bytes("");
        if (n == 0) {
            // No sub-hooks: installed with none, or not installed (uninstall takes them all). Kernel
            // runs the hook a validation had when it validated an operation, also after the
            // multiplexer left the account: an account it does not know is refused, not waved through.
            require(isInitialized(account), Leash_NotInstalled(account));
            return "";
        }
        bytes memory call =
            abi.encodePacked(abi.encodeCall(IERC7579Hook.preCheck, (msgSender, msgValue, msgData)), account);
        address[] memory postHooks;
        bytes[] memory postData;
        uint256 posts;
        for (uint256 i; i < n; ++i) {
            address subHook = hooks[i];
            bytes memory context = abi.decode(_callBubbling(subHook, call), (bytes));
            if (context.length != 0) {
                if (posts == 0) {
                    postHooks = new address[](n);
                    postData = new bytes[](n);
                }
                postHooks[posts] = subHook;
                postData[posts] = context;
                ++posts;
            }
        }
        if (posts == 0) return "";
        assembly ("memory-safe") {
            // Trim both arrays to the sub-hooks that asked for a postCheck.
            mstore(postHooks, posts)
            mstore(postData, posts)
        }
        hookData = abi.encode(postHooks, postData);
        _addPendingPost(account, keccak256(hookData));
    }

    /// @inheritdoc IERC7579Hook
    /// @dev Only hook data this multiplexer handed out to this account in `preCheck` is honoured.
    function postCheck(bytes calldata hookData) external {
        address account = msg.sender;
        _leaveCall(account, hookData);
        if (hookData.length <= 1) return;
        require(_takePendingPost(account, keccak256(hookData)), Multiplexer_UnknownHookData(account));
        (address[] memory postHooks, bytes[] memory postData) = abi.decode(hookData, (address[], bytes[]));
        for (uint256 i; i < postHooks.length; ++i) {
            _callBubbling(
                postHooks[i], abi.encodePacked(abi.encodeCall(IERC7579Hook.postCheck, (postData[i])), account)
            );
        }
    }

    // ------------------------------------------------------------------ sub-hook management

    /// @inheritdoc IHookMultiPlexer
    function subHooks(address account) external view returns (address[] memory) {
        return _subHooks[account];
    }

    /// @inheritdoc IHookMultiPlexer
    function isSubHook(address account, address subHook) external view returns (bool) {
        address[] storage hooks = _subHooks[account];
        for (uint256 i; i < hooks.length; ++i) {
            if (hooks[i] == subHook) return true;
        }
        return false;
    }

    /// @inheritdoc IHookMultiPlexer
    function addSubHook(address account, address subHook, bytes calldata initData) external onlyAuthority(account) {
        _addSubHook(account, subHook, initData);
    }

    /// @inheritdoc IHookMultiPlexer
    function removeSubHook(address account, address subHook, bytes calldata deInitData)
        external
        onlyAuthority(account)
    {
        address[] storage hooks = _subHooks[account];
        uint256 n = hooks.length;
        uint256 i;
        while (i < n && hooks[i] != subHook) ++i;
        require(i < n, Multiplexer_UnknownSubHook(account, subHook));
        // Shift the tail left to keep the order of the remaining checks.
        for (; i + 1 < n; ++i) {
            hooks[i] = hooks[i + 1];
        }
        hooks.pop();
        emit SubHookRemoved(account, subHook, _uninstallSubHook(account, subHook, deInitData));
    }

    // ------------------------------------------------------------------ internals

    function _addSubHook(address account, address subHook, bytes memory initData) internal {
        address[] storage hooks = _subHooks[account];
        uint256 n = hooks.length;
        require(n < MAX_SUB_HOOKS, Multiplexer_TooManySubHooks(account, MAX_SUB_HOOKS));
        require(
            subHook != address(0) && subHook != address(this) && subHook != account && subHook.code.length != 0,
            Multiplexer_InvalidSubHook(subHook)
        );
        for (uint256 i; i < n; ++i) {
            require(hooks[i] != subHook, Multiplexer_DuplicateSubHook(account, subHook));
        }
        hooks.push(subHook);
        _callBubbling(subHook, abi.encodePacked(abi.encodeCall(IERC7579Module.onInstall, (initData)), account));
        emit SubHookAdded(account, subHook);
    }

    /// @dev Best effort with a fixed gas allowance and no return data copied: removal must succeed
    /// even if the sub-hook reverts, burns its gas or returns a huge revert message.
    function _uninstallSubHook(address account, address subHook, bytes memory deInitData) internal returns (bool ok) {
        // EIP-150 forwards at most 63/64 of what is left: make sure the full allowance is there.
        uint256 needed = UNINSTALL_CALL_GAS + UNINSTALL_CALL_GAS / 63 + 10_000;
        require(gasleft() >= needed, Multiplexer_InsufficientGas(needed, gasleft()));
        bytes memory data = abi.encodePacked(abi.encodeCall(IERC7579Module.onUninstall, (deInitData)), account);
        uint256 gasAllowance = UNINSTALL_CALL_GAS;
        assembly ("memory-safe") {
            ok := call(gasAllowance, subHook, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }

    /// @dev Outstanding hook data handed out to `account` and not yet checked back, counted per
    /// hash in transient storage (nested executions each hold their own).
    function _postSlot(address account, bytes32 hash) internal pure returns (bytes32) {
        return keccak256(abi.encode(account, hash, keccak256("leash.multiplexer.pending-post")));
    }

    function _addPendingPost(address account, bytes32 hash) internal {
        bytes32 slot = _postSlot(account, hash);
        assembly ("memory-safe") {
            tstore(slot, add(tload(slot), 1))
        }
    }

    function _takePendingPost(address account, bytes32 hash) internal returns (bool found) {
        bytes32 slot = _postSlot(account, hash);
        uint256 count;
        assembly ("memory-safe") {
            count := tload(slot)
        }
        if (count == 0) return false;
        assembly ("memory-safe") {
            tstore(slot, sub(count, 1))
        }
        return true;
    }

    /// @dev Calls `target`; on failure re-raises its revert data unchanged.
    function _callBubbling(address target, bytes memory data) internal returns (bytes memory ret) {
        bool ok;
        (ok, ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
