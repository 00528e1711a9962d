// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILeashModule} from "../interfaces/ILeashModule.sol";
import {ExecutionDecoder} from "../libraries/ExecutionDecoder.sol";

/// @title LeashModule
/// @notice Shared by every Leash module: which account a call is about, the authority named at
/// install, and the authority's one-time approvals of exact changes.
/// @dev Every piece of per-account state a module keeps is keyed by the account's `generation`,
/// which uninstall bumps: reinstalling starts from a clean state in O(1), whatever was stored.
abstract contract LeashModule is ILeashModule {
    /// @dev The multiplexer whose appended account suffix this module trusts (zero: trust none).
    address internal immutable TRUSTED_MULTIPLEXER;

    /// @dev One slot: the authority (zero when not installed) and the uninstall counter.
    struct AccountRecord {
        address authority;
        uint96 generation;
    }

    mapping(address account => AccountRecord) internal _records;
    mapping(address account => mapping(uint256 generation => mapping(bytes32 changeHash => bool))) internal _approvals;

    constructor(address trustedMultiplexer) {
        TRUSTED_MULTIPLEXER = trustedMultiplexer;
    }

    modifier onlyAuthority(address account) {
        _checkAuthority(account);
        _;
    }

    /// @dev For tightening changes: the account itself (the agent's operations) or its authority.
    modifier onlyAccountOrAuthority(address account) {
        _checkAccountOrAuthority(account);
        _;
    }

    // ------------------------------------------------------------------ ILeashModule

    /// @inheritdoc ILeashModule
    function authorityOf(address account) public view returns (address) {
        return _records[account].authority;
    }

    /// @inheritdoc ILeashModule
    function setAuthority(address account, address newAuthority) external onlyAuthority(account) {
        _requireValidAuthority(account, newAuthority);
        _records[account].authority = newAuthority;
        emit AuthoritySet(account, newAuthority);
    }

    /// @inheritdoc ILeashModule
    function approveChange(address account, bytes32 changeHash) external onlyAuthority(account) {
        _approvals[account][_records[account].generation][changeHash] = true;
        emit ChangeApproved(account, changeHash);
    }

    /// @inheritdoc ILeashModule
    function revokeApproval(address account, bytes32 changeHash) external onlyAuthority(account) {
        delete _approvals[account][_records[account].generation][changeHash];
        emit ApprovalRevoked(account, changeHash);
    }

    /// @inheritdoc ILeashModule
    function approvedChangeInProgress(address account) public view returns (bool active) {
        bytes32 slot = _inProgressSlot(account);
        assembly ("memory-safe") {
            active := tload(slot)
        }
    }

    /// @inheritdoc ILeashModule
    function isApproved(address account, bytes32 changeHash) external view returns (bool) {
        return _approvals[account][_records[account].generation][changeHash];
    }

    // ------------------------------------------------------------------ internals

    /// @dev The account this call is about: the 20-byte suffix when the trusted multiplexer calls
    /// (it appends its own `msg.sender`, the account), otherwise the caller itself.
    function _account() internal view returns (address account) {
        if (msg.sender == TRUSTED_MULTIPLEXER && msg.data.length >= 24) {
            assembly ("memory-safe") {
                // The last 20 bytes of calldata, right-aligned.
                account := shr(96, calldataload(sub(calldatasize(), 20)))
            }
        } else {
            account = msg.sender;
        }
    }

    /// @dev Whether this call arrived through the trusted multiplexer (which already applied the
    /// authority model to the account's call).
    function _viaMultiplexer() internal view returns (bool) {
        return msg.sender == TRUSTED_MULTIPLEXER && msg.data.length >= 24;
    }

    function _installRecord(address account, address authority) internal {
        AccountRecord storage record = _records[account];
        require(record.authority == address(0), Leash_AlreadyInstalled(account));
        _requireValidAuthority(account, authority);
        record.authority = authority;
        emit AuthoritySet(account, authority);
    }

    /// @dev Forgets the authority and, by moving to a new generation, every approval and every
    /// generation-keyed entry the module kept for `account`.
    function _uninstallRecord(address account) internal returns (uint256 newGeneration) {
        AccountRecord storage record = _records[account];
        require(record.authority != address(0), Leash_NotInstalled(account));
        record.authority = address(0);
        newGeneration = ++record.generation;
        emit AuthoritySet(account, address(0));
    }

    function _requireInstalled(address account) internal view {
        require(_records[account].authority != address(0), Leash_NotInstalled(account));
    }

    /// @dev The authority model applied to one account-level call. Module management and calls to
    /// the account itself pass only with the authority's approval of these exact bytes. A call to a
    /// `sensitive` address (a Leash module guarding this account) passes every policy when the
    /// authority approved these exact bytes; without approval it is left to the policies (and to
    /// the module's own guards). A used approval is spent. Returns `approved = true` when an
    /// approved change is under way (the caller then skips its policy checks), else the decoded
    /// executions to check. Approvals are read only on these paths, never for ordinary calls.
    function _leashGuard(address account, bytes calldata msgData, address[] memory sensitive)
        internal
        returns (bool approved, ExecutionDecoder.Executions memory ex)
    {
        // Nested account calls made by an approved change are part of that change.
        if (approvedChangeInProgress(account)) return (true, ex);
        ExecutionDecoder.Action action;
        (action, ex) = ExecutionDecoder.decode(msgData);
        if (action != ExecutionDecoder.Action.Execute) {
            bytes32 changeHash = keccak256(msgData);
            if (_consumeApproval(account, changeHash)) return (true, ex);
            address module;
            if (msgData.length >= 68) module = address(uint160(uint256(bytes32(msgData[36:68]))));
            revert Leash_ModuleChangeNotApproved(account, bytes4(msgData[:4]), module, changeHash);
        }
        bool touchesLeash;
        for (uint256 i; i < ex.count; ++i) {
            (address target,,) = ExecutionDecoder.at(ex, i);
            if (target == account) {
                bytes32 changeHash = keccak256(msgData);
                if (_consumeApproval(account, changeHash)) return (true, ex);
                revert Leash_SelfCallNotApproved(account, changeHash);
            }
            for (uint256 j; j < sensitive.length && !touchesLeash; ++j) {
                touchesLeash = target == sensitive[j];
            }
        }
        if (touchesLeash && _consumeApproval(account, keccak256(msgData))) return (true, ex);
    }

    /// @dev `_leashGuard` for a module installed alone: the sensitive address is the module itself.
    function _leashGuardAlone(address account, bytes calldata msgData)
        internal
        returns (bool approved, ExecutionDecoder.Executions memory ex)
    {
        address[] memory self = new address[](1);
        self[0] = address(this);
        return _leashGuard(account, msgData, self);
    }

    function _consumeApproval(address account, bytes32 changeHash) private returns (bool) {
        mapping(bytes32 => bool) storage approvals = _approvals[account][_records[account].generation];
        if (!approvals[changeHash] || _records[account].authority == address(0)) return false;
        delete approvals[changeHash];
        _setInProgress(account, true);
        emit ApprovalUsed(account, changeHash);
        return true;
    }

    /// @dev Ends the approved change, if any: every hook's postCheck calls this, so the flag never
    /// outlives the execution it was granted for (not even within one bundle of UserOps).
    function _endApprovedChange(address account) internal {
        _setInProgress(account, false);
    }

    function _setInProgress(address account, bool active) private {
        bytes32 slot = _inProgressSlot(account);
        assembly ("memory-safe") {
            tstore(slot, active)
        }
    }

    /// @dev Transient slot of the "approved change in progress" flag of `account`.
    function _inProgressSlot(address account) private pure returns (bytes32) {
        return keccak256(abi.encode(account, keccak256("leash.approved-change-in-progress")));
    }

    /// @dev The caller may act as the authority of `account`: it is the authority, or it is the
    /// account running a change the authority approved (here, or at the trusted multiplexer).
    function _actsAsAuthority(address account, address authority) internal view returns (bool) {
        if (msg.sender == authority) return true;
        if (msg.sender != account) return false;
        if (approvedChangeInProgress(account)) return true;
        return TRUSTED_MULTIPLEXER != address(0) && ILeashModule(TRUSTED_MULTIPLEXER).approvedChangeInProgress(account);
    }

    function _checkAuthority(address account) private view {
        address authority = _records[account].authority;
        require(authority != address(0), Leash_NotInstalled(account));
        require(_actsAsAuthority(account, authority), Leash_OnlyAuthority(account, msg.sender, authority));
    }

    function _checkAccountOrAuthority(address account) private view {
        address authority = _records[account].authority;
        require(authority != address(0), Leash_NotInstalled(account));
        require(msg.sender == account || msg.sender == authority, Leash_OnlyAccountOrAuthority(account, msg.sender));
    }

    function _requireValidAuthority(address account, address authority) private pure {
        require(authority != address(0) && authority != account, Leash_InvalidAuthority(account, authority));
    }
}
