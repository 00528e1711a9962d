// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    IERC7579ModuleConfig,
    MODULE_TYPE_HOOK,
    MODULE_TYPE_VALIDATOR
} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {IAllowlistHook} from "../interfaces/IAllowlistHook.sol";
import {IAutomationExecutor} from "../interfaces/IAutomationExecutor.sol";
import {IHookMultiPlexer} from "../interfaces/IHookMultiPlexer.sol";
import {ILeashModule} from "../interfaces/ILeashModule.sol";
import {ISpendingLimitHook} from "../interfaces/ISpendingLimitHook.sol";
import {ExecutionDecoder} from "../libraries/ExecutionDecoder.sol";

/// @title LeashModule
/// @notice Shared by every Leash module: which account a call is about, the authority named at
/// install, the authority's one-time approvals of exact changes, and the guard that keeps the
/// account from loosening its own leash.
/// @dev Per-account state of a module is keyed by a generation that uninstall bumps: reinstalling
/// starts from a clean state in O(1), whatever was stored. Approvals are keyed by an epoch that
/// uninstall and every change of authority bump, so an outgoing authority's approvals die with it.
abstract contract LeashModule is ILeashModule {
    /// @dev The multiplexer whose appended account suffix this module trusts (zero: trust none).
    address internal immutable TRUSTED_MULTIPLEXER;

    /// @dev Gas for one sub-hook's `onUninstall` when a removal must not be blockable by it.
    uint256 internal constant UNINSTALL_CALL_GAS = 500_000;

    /// @dev One slot: `authority (160) | generation (48) | approvalEpoch (48)`.
    struct AccountRecord {
        address authority;
        uint48 generation;
        uint48 approvalEpoch;
    }

    mapping(address account => AccountRecord) internal _records;
    mapping(address account => mapping(uint256 epoch => mapping(bytes32 changeHash => bool))) internal _approvals;

    /// @dev Kernel v3's `validationConfig(bytes21 validationId) returns ((uint32 nonce, address hook))`.
    bytes4 internal constant KERNEL_VALIDATION_CONFIG = bytes4(keccak256("validationConfig(bytes21)"));

    /// @dev Hook data a hook returns when it let an approved change through; its postCheck ends it.
    bytes internal constant APPROVED_CHANGE = hex"01";
    /// @dev Hook data of a call `_guardCall` counted (`counts`): its postCheck ends it; with the
    /// approved change it started, `APPROVED_COUNTED`.
    bytes internal constant COUNTED_CALL = hex"02";
    bytes internal constant APPROVED_COUNTED = hex"03";

    /// @dev Per account, in transient storage at `CALLS_TAG | account`: how many of the account's
    /// hooked calls this module is inside (preCheck run, postCheck not yet), and in the top bit
    /// whether an approved change is in progress.
    uint256 private constant CALLS_TAG = uint256(keccak256("leash.calls-in-progress")) >> 160 << 160;
    uint256 private constant CHANGE_IN_PROGRESS = 1 << 255;
    uint256 private constant DEPTH = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;

    /// @dev Safe: `isModuleEnabled(address)`, `getStorageAt(uint256,uint256)`, and the slot of its
    /// fallback handler, `keccak256("fallback_manager.handler.address")`.
    bytes4 internal constant SAFE_IS_MODULE_ENABLED = 0x2d9ad53d;
    bytes4 internal constant SAFE_GET_STORAGE_AT = 0x5624b25b;
    bytes32 internal constant SAFE_FALLBACK_HANDLER_SLOT =
        0x6c9a6c4a39284e37ed1cf53d337577d14212a4870fb976a4366c693b939918d5;

    /// @dev ERC-4337: the account's `entryPoint()`, the canonical EntryPoints, and the EntryPoint
    /// functions that move a deposit or stake: `withdrawTo(address,uint256)`,
    /// `withdrawStake(address)`, `unlockStake()`, `addStake(uint32)`.
    bytes4 internal constant ENTRY_POINT = 0xb0d691fe;
    address internal constant ENTRYPOINT_V06 = 0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789;
    address internal constant ENTRYPOINT_V07 = 0x0000000071727De22E5E9d8BAf0edAc6f37da032;
    address internal constant ENTRYPOINT_V08 = 0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108;
    address internal constant ENTRYPOINT_V09 = 0x433709009B8330FDa32311DF1C2AFA402eD8D009;
    bytes4 internal constant EP_WITHDRAW_TO = 0x205c2878;
    bytes4 internal constant EP_WITHDRAW_STAKE = 0xc23a5cea;
    bytes4 internal constant EP_UNLOCK_STAKE = 0xbb9fe6bf;
    bytes4 internal constant EP_ADD_STAKE = 0x0396cb60;
    /// @dev ERC-7579 module lifecycle: `onInstall(bytes)`, `onUninstall(bytes)`. An account calls
    /// them on a module itself while installing or removing it; called through an execution they
    /// would set up or clear a module's record for the account outside the account's own module
    /// management (a Kernel permission's signer, a Nexus default validator: modules the account
    /// does not list as validators or executors, whose state is keyed by the calling account).
    bytes4 internal constant MODULE_ON_INSTALL = 0x6d61fe70;
    bytes4 internal constant MODULE_ON_UNINSTALL = 0x8a91b0e3;
    /// @dev Bit n set: a selector whose first byte is n may be one of the six above (the four
    /// deposit functions, the two lifecycle functions). One test per item on the path every
    /// execution takes; a selector that only shares a first byte with them takes the longer one.
    uint256 internal constant SPECIAL_SELECTOR_HEADS = (1 << uint8(bytes1(EP_WITHDRAW_TO)))
        | (1 << uint8(bytes1(EP_WITHDRAW_STAKE))) | (1 << uint8(bytes1(EP_UNLOCK_STAKE)))
        | (1 << uint8(bytes1(EP_ADD_STAKE))) | (1 << uint8(bytes1(MODULE_ON_INSTALL)))
        | (1 << uint8(bytes1(MODULE_ON_UNINSTALL)));

    constructor(address trustedMultiplexer) {
        TRUSTED_MULTIPLEXER = trustedMultiplexer;
    }

    /// @dev Loosening changes: the authority, or the account running a change the authority approved.
    modifier onlyAuthority(address account) {
        _checkAuthority(account);
        _;
    }

    /// @dev Tightening changes: the account itself (the agent's operations) or its authority.
    modifier onlyAccountOrAuthority(address account) {
        _checkAccountOrAuthority(account);
        _;
    }

    /// @dev Approvals and the authority itself: the authority's own key, never through the account.
    modifier onlyAuthorityDirect(address account) {
        address authority = _records[account].authority;
        require(authority != address(0), Leash_NotInstalled(account));
        require(msg.sender == authority, Leash_OnlyAuthority(account, msg.sender, authority));
        _;
    }

    // ------------------------------------------------------------------ ILeashModule

    /// @inheritdoc ILeashModule
    function authorityOf(address account) public view returns (address) {
        return _records[account].authority;
    }

    /// @inheritdoc ILeashModule
    function setAuthority(address account, address newAuthority) external onlyAuthorityDirect(account) {
        _requireValidAuthority(account, newAuthority);
        AccountRecord storage record = _records[account];
        record.authority = newAuthority;
        ++record.approvalEpoch;
        emit AuthoritySet(account, newAuthority);
    }

    /// @inheritdoc ILeashModule
    function approveChange(address account, bytes32 changeHash) external onlyAuthorityDirect(account) {
        _approvals[account][_records[account].approvalEpoch][changeHash] = true;
        emit ChangeApproved(account, changeHash);
    }

    /// @inheritdoc ILeashModule
    function revokeApproval(address account, bytes32 changeHash) external onlyAuthorityDirect(account) {
        delete _approvals[account][_records[account].approvalEpoch][changeHash];
        emit ApprovalRevoked(account, changeHash);
    }

    /// @inheritdoc ILeashModule
    function approvedChangeInProgress(address account) public view returns (bool) {
        return _calls(account) & CHANGE_IN_PROGRESS != 0;
    }

    /// @inheritdoc ILeashModule
    function isApproved(address account, bytes32 changeHash) external view returns (bool) {
        return _approvals[account][_records[account].approvalEpoch][changeHash];
    }

    // ------------------------------------------------------------------ account context

    /// @dev The account this call is about: the 20-byte suffix when the trusted multiplexer calls
    /// (it appends its own `msg.sender`, the account), otherwise the caller itself.
    function _account() internal view returns (address account) {
        if (_viaMultiplexer()) {
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

    // ------------------------------------------------------------------ install / uninstall

    /// @dev `onInstall` runs only as part of a real install: the account (or, for a sub-hook, the
    /// trusted multiplexer on the account's behalf) must already list this module. Nobody, the
    /// account included, can call it directly to plant or reset state.
    function _installRecord(address account, address authority, uint256 moduleType) internal {
        require(_isInstalledOn(account, moduleType), Leash_NotInstalling(account));
        AccountRecord storage record = _records[account];
        require(record.authority == address(0), Leash_AlreadyInstalled(account));
        _requireValidAuthority(account, authority);
        record.authority = authority;
        emit AuthoritySet(account, authority);
    }

    /// @dev `onUninstall` runs only as part of a real uninstall (the module is no longer listed).
    /// Forgets the authority and moves to a new generation and approval epoch.
    function _uninstallRecord(address account, uint256 moduleType) internal returns (uint256 newGeneration) {
        require(!_isInstalledOn(account, moduleType), Leash_NotInstalling(account));
        AccountRecord storage record = _records[account];
        require(record.authority != address(0), Leash_NotInstalled(account));
        record.authority = address(0);
        ++record.approvalEpoch;
        newGeneration = ++record.generation;
        emit AuthoritySet(account, address(0));
    }

    /// @dev Whether `account` lists this module now: through the multiplexer's sub-hook list when
    /// the multiplexer calls, else the account's own `isModuleInstalled` (false if it cannot answer;
    /// for a hook, a question the account cannot answer with an empty context is asked again with
    /// Safe7579's global-hook context).
    function _isInstalledOn(address account, uint256 moduleType) internal view virtual returns (bool) {
        if (_viaMultiplexer()) return IHookMultiPlexer(TRUSTED_MULTIPLEXER).isSubHook(account, address(this));
        (bool ok, bytes memory ret) =
            account.staticcall(abi.encodeCall(IERC7579ModuleConfig.isModuleInstalled, (moduleType, address(this), "")));
        if (!ok && moduleType == MODULE_TYPE_HOOK) {
            // Safe7579 cannot answer for a hook without a `(HookType, selector)` context and reverts
            // on an empty one: ask whether this is its global hook (HookType.GLOBAL, no selector).
            // A selector hook is not a global one and is refused.
            (ok, ret) = account.staticcall(
                abi.encodeCall(
                    IERC7579ModuleConfig.isModuleInstalled, (moduleType, address(this), abi.encode(uint8(0), bytes4(0)))
                )
            );
        }
        return ok && ret.length >= 32 && abi.decode(ret, (bool));
    }

    /// @dev Kernel v3 has no account-wide hook: it runs a hook per validator (and per executor)
    /// and lists none in `isModuleInstalled`. The hook Kernel keeps for validation `validationId`
    /// (`0x01 ++ validator`), read through its `validationConfig(bytes21)`; zero when the account
    /// gives no such answer (every other account).
    function _kernelValidationHook(address account, bytes21 validationId) internal view returns (address hook) {
        (bool ok, bytes memory ret) = account.staticcall(abi.encodeWithSelector(KERNEL_VALIDATION_CONFIG, validationId));
        if (!ok || ret.length < 64) return address(0);
        uint256 word;
        assembly ("memory-safe") {
            word := mload(add(ret, 0x40)) // (uint32 nonce, address hook): the second word
        }
        if (word <= type(uint160).max) hook = address(uint160(word));
    }

    // ------------------------------------------------------------------ the guard

    /// @dev The authority model applied to one account-level call:
    ///   - module management, and any item calling the account itself or one of its aliases
    ///     (`_isAccount`), need the authority's approval of these exact bytes;
    ///   - an item moving the account's EntryPoint deposit or stake needs it too;
    ///   - an item calling a Leash module in `leash` needs it too, unless it calls one of the
    ///     functions through which the account may only tighten (the module enforces that);
    ///   - an approval is spent only by a top-level call (its sender is not the account, or, for
    ///     a Safe on the engine, no hooked call of it is in progress: `_guardCall`), once;
    ///     the change then skips every policy check (`approved = true`) and, until its
    ///     postCheck, the account's own nested calls are part of it.
    /// Approvals are read only on these paths, never for ordinary calls.
    function _leashGuard(address account, address msgSender, bytes calldata msgData, address[] memory leash)
        internal
        returns (bool approved, bool consumed, ExecutionDecoder.Executions memory ex)
    {
        bool decided;
        (decided, approved, consumed, ex) = _guardCall(account, msgSender, msgData, false);
        if (decided) return (approved, consumed, ex);
        if (_guardItemsAmong(account, msgSender, msgData, ex, leash)) return (true, true, ex);
    }

    /// @dev `_guardExecutionItem` for every item, `leash` naming the caller's Leash modules: true
    /// when one of them spent the authority's approval.
    function _guardItemsAmong(
        address account,
        address msgSender,
        bytes calldata msgData,
        ExecutionDecoder.Executions memory ex,
        address[] memory leash
    ) private returns (bool) {
        for (uint256 i; i < ex.count; ++i) {
            (address target,, bytes calldata data) = ExecutionDecoder.at(ex, i);
            if (_guardExecutionItem(account, msgSender, msgData, target, data, _isIn(target, leash))) return true;
        }
        return false;
    }

    /// @dev The call-level half of `_leashGuard`: decides module management, token receiver
    /// callbacks and the account's nested calls during an approved change (`decided`), or decodes
    /// the executions whose items `_guardExecutionItem` must then see, each of them.
    /// `counts`: the account is a Safe (as it proved at install), whose owners' own transactions
    /// reach the hook as calls of the account to itself: this call is counted among the account's
    /// hooked calls in progress (its postCheck gets `COUNTED_CALL` back), so that such a call with
    /// none around it may spend an approval. Elsewhere, and on a Safe inside another hooked call,
    /// a call of the account to itself never does.
    function _guardCall(address account, address msgSender, bytes calldata msgData, bool counts)
        internal
        returns (bool decided, bool approved, bool consumed, ExecutionDecoder.Executions memory ex)
    {
        uint256 calls = counts || msgSender == account ? _calls(account) : 0;
        // Nested calls the account itself makes during an approved change are part of it.
        if (msgSender == account && calls & CHANGE_IN_PROGRESS != 0) {
            if (counts) _enterCall(account, calls);
            return (true, true, false, ex);
        }
        // The call the account runs: `msgData` without an appended sender.
        bytes calldata call = ExecutionDecoder.withoutSender(msgData, msgSender);
        ExecutionDecoder.Action action;
        (action, ex) = ExecutionDecoder.decode(call);
        // Counted once decoded: a call the decoder refuses (a view the account's fallback would
        // route, often through `staticcall`) reverts before any write.
        if (counts) _enterCall(account, calls);
        if (ex.session != address(0)) _requireSessions(account, ex.session);
        if (action == ExecutionDecoder.Action.Receive) return (true, false, false, ex);
        if (action != ExecutionDecoder.Action.Execute) {
            bytes32 changeHash = keccak256(call);
            bool topLevel = msgSender != account || (counts && calls & DEPTH == 0);
            if (topLevel && _consumeApproval(account, changeHash)) return (true, true, true, ex);
            address module;
            if (call.length >= 68) module = address(uint160(uint256(bytes32(call[36:68]))));
            revert Leash_ModuleChangeNotApproved(account, bytes4(call[:4]), module, changeHash);
        }
    }

    /// @dev The item half of `_leashGuard`, for one execution item (`isLeash`: the target is one of
    /// the caller's Leash modules): true when the item spent the authority's approval of the whole
    /// call; false when it is ordinary or calls a tightening function of a Leash module; otherwise
    /// reverts with the rule it breaks.
    function _guardExecutionItem(
        address account,
        address msgSender,
        bytes calldata msgData,
        address target,
        bytes calldata data,
        bool isLeash
    ) internal returns (bool) {
        // The ordinary call, in one pass (this runs per item in every hook): not the account,
        // not `address(0)`, not a selector that may be a deposit or lifecycle function (its
        // first byte against SPECIAL_SELECTOR_HEADS; `_kindOfItem` decides), not on a Safe (whose
        // aliases need asking: `_endsWithSender`), not a Leash module.
        bool special;
        uint256 heads = SPECIAL_SELECTOR_HEADS;
        assembly ("memory-safe") {
            let head := 0
            if gt(data.length, 3) { head := shr(248, calldataload(data.offset)) }
            special := or(or(eq(target, account), iszero(target)), and(shr(head, heads), 1))
            // The last 20 bytes of msgData against msgSender (msgData is at least 4 + 96 bytes long).
            special := or(special, eq(shr(96, calldataload(sub(add(msgData.offset, msgData.length), 20))), msgSender))
        }
        if (!special && !isLeash) return false;
        return _guardItem(isLeash, account, msgSender, msgData, target, data);
    }

    /// @dev One item that may need the authority's approval of the whole call: true when it spent
    /// that approval; false when the item turns out ordinary or calls a tightening function of a
    /// Leash module; otherwise reverts with the rule it breaks. An approval is spent only by a
    /// top-level call, never by a call the account makes to itself inside one of its hooked calls.
    function _guardItem(
        bool isLeash,
        address account,
        address msgSender,
        bytes calldata msgData,
        address target,
        bytes calldata data
    ) private returns (bool) {
        bool onSafe = _endsWithSender(msgData, msgSender);
        ItemKind kind = _kindOfItem(isLeash, account, target, data, onSafe);
        if (kind == ItemKind.Ordinary) return false;
        bytes32 changeHash = keccak256(ExecutionDecoder.withoutSender(msgData, msgSender));
        if ((msgSender != account || _calls(account) & DEPTH == 1) && _consumeApproval(account, changeHash)) {
            return true;
        }
        _requireTightening(account, target, data, kind, changeHash);
        return false;
    }

    /// @dev Whether the account may be a Safe: Safe7579 appends the sender to every `msgData` it
    /// hands its hook. Decided on the last 20 bytes alone, not on whether `withoutSender` removed
    /// them: a call crafted so that the Safe's appended bytes complete a canonical encoding is
    /// read as is, and is still a call from a Safe. On another account a call that happens to end
    /// in its sender's address is only checked more strictly (the account cannot answer the Safe's
    /// questions, so every target is taken for an alias).
    function _endsWithSender(bytes calldata msgData, address msgSender) private pure returns (bool ends) {
        uint256 n = msgData.length;
        if (n < 20) return false;
        assembly ("memory-safe") {
            ends := eq(shr(96, calldataload(add(msgData.offset, sub(n, 20)))), msgSender)
        }
    }

    /// @dev An unapproved item that is not ordinary: only a tightening function of a Leash module
    /// passes; anything else reverts with the rule it breaks.
    function _requireTightening(address account, address target, bytes calldata data, ItemKind kind, bytes32 changeHash)
        private
        pure
    {
        bytes4 selector = data.length >= 4 ? bytes4(data) : bytes4(0);
        if (kind == ItemKind.Account) revert Leash_SelfCallNotApproved(account, changeHash);
        if (kind == ItemKind.Deposit) revert Leash_DepositCallNotApproved(account, target, selector, changeHash);
        if (data.length < 4 || !_isTighteningSelector(selector)) {
            revert Leash_ModuleCallNotApproved(account, target, selector, changeHash);
        }
    }

    /// @dev What one execution item calls, as far as the guard is concerned.
    enum ItemKind {
        Ordinary,
        Account,
        Deposit,
        LeashModule,
        ModuleLifecycle
    }

    function _kindOfItem(bool isLeash, address account, address target, bytes calldata data, bool onSafe)
        private
        view
        returns (ItemKind)
    {
        if (_isAccount(account, target, onSafe)) return ItemKind.Account;
        if (isLeash) return ItemKind.LeashModule;
        if (data.length < 4) return ItemKind.Ordinary;
        bytes4 selector = bytes4(data);
        if (selector == MODULE_ON_INSTALL || selector == MODULE_ON_UNINSTALL) return ItemKind.ModuleLifecycle;
        if (_isDepositSelector(selector) && _isEntryPointOf(account, target)) return ItemKind.Deposit;
        return ItemKind.Ordinary;
    }

    // ------------------------------------------------------------------ aliases of the account

    /// @dev Whether a call the account makes to `target` is a call to the account itself:
    /// the account; `address(0)`, which OpenZeppelin's ERC-7579 execution runs as a call to the
    /// account; and on a Safe (`onSafe`) its Safe7579 adapter and every module it enabled.
    function _isAccount(address account, address target, bool onSafe) internal view returns (bool) {
        return target == account || target == address(0) || (onSafe && _isSafeAlias(account, target));
    }

    /// @dev Whether `target` acts as the Safe `safe` when the Safe calls it: its fallback handler
    /// (the Safe7579 adapter takes a call from the Safe with 20 appended bytes as a call from
    /// whoever those bytes name, the EntryPoint or the Safe included) or a module the Safe enabled
    /// (which may act on the Safe through its module transactions, with no hook). Fails closed: a
    /// Safe that does not answer both questions makes every target an alias.
    function _isSafeAlias(address safe, address target) internal view returns (bool) {
        (bool ok, bytes memory ret) = safe.staticcall(abi.encodeWithSelector(SAFE_IS_MODULE_ENABLED, target));
        if (!ok || ret.length < 32 || abi.decode(ret, (uint256)) != 0) return true;
        // getStorageAt(slot, 1) returns `bytes` holding one word: (offset, length, word).
        (ok, ret) = safe.staticcall(
            abi.encodeWithSelector(SAFE_GET_STORAGE_AT, uint256(SAFE_FALLBACK_HANDLER_SLOT), uint256(1))
        );
        if (!ok || ret.length < 96) return true;
        uint256 handler;
        assembly ("memory-safe") {
            handler := mload(add(ret, 0x60)) // the third word: the slot's content
        }
        return handler == uint256(uint160(target));
    }

    /// @dev EntryPoint functions that move the account's deposit or stake out of it, or lock
    /// ether into a stake the account could later withdraw unseen.
    function _isDepositSelector(bytes4 selector) internal pure returns (bool) {
        return selector == EP_WITHDRAW_TO || selector == EP_WITHDRAW_STAKE || selector == EP_UNLOCK_STAKE
            || selector == EP_ADD_STAKE;
    }

    /// @dev Whether `target` is (or may be) the account's EntryPoint: a canonical EntryPoint
    /// (v0.6 to v0.9), or the one the account names; an account that names none fails closed.
    function _isEntryPointOf(address account, address target) internal view returns (bool) {
        if (
            target == ENTRYPOINT_V06 || target == ENTRYPOINT_V07 || target == ENTRYPOINT_V08 || target == ENTRYPOINT_V09
        ) {
            return true;
        }
        (bool ok, bytes memory ret) = account.staticcall(abi.encodeWithSelector(ENTRY_POINT));
        if (!ok || ret.length < 32) return true;
        return abi.decode(ret, (uint256)) == uint256(uint160(target));
    }

    function _isIn(address target, address[] memory list) private pure returns (bool) {
        for (uint256 j; j < list.length; ++j) {
            if (target == list[j]) return true;
        }
        return false;
    }

    /// @dev `_leashGuard` for a module installed alone (its Leash modules: itself), with no list to
    /// build.
    function _leashGuardAlone(address account, address msgSender, bytes calldata msgData)
        internal
        returns (bool approved, bool consumed, ExecutionDecoder.Executions memory ex)
    {
        bool decided;
        (decided, approved, consumed, ex) = _guardCall(account, msgSender, msgData, false);
        if (decided) return (approved, consumed, ex);
        if (_guardItemsAlone(account, msgSender, msgData, ex)) return (true, true, ex);
    }

    /// @dev `_guardExecutionItem` for every item, this module being the caller's only Leash module:
    /// true when one of them spent the authority's approval.
    function _guardItemsAlone(
        address account,
        address msgSender,
        bytes calldata msgData,
        ExecutionDecoder.Executions memory ex
    ) internal returns (bool) {
        for (uint256 i; i < ex.count; ++i) {
            (address target,, bytes calldata data) = ExecutionDecoder.at(ex, i);
            if (_guardExecutionItem(account, msgSender, msgData, target, data, target == address(this))) return true;
        }
        return false;
    }

    /// @dev The start of a separate hook's `preCheck` that reads the executions. Behind the
    /// trusted multiplexer, which applied the authority model, only the decode; run by the
    /// account directly, the guard, as `_startPreCheckAlone`.
    function _startPreCheck(address account, address msgSender, bytes calldata msgData)
        internal
        returns (bool done, bytes memory hookData, ExecutionDecoder.Executions memory ex)
    {
        if (_viaMultiplexer()) {
            (, ex) = ExecutionDecoder.decode(ExecutionDecoder.withoutSender(msgData, msgSender));
        } else {
            bool consumed;
            (done, consumed, ex) = _leashGuardAlone(account, msgSender, msgData);
            if (consumed) hookData = APPROVED_CHANGE;
        }
    }

    /// @dev The start of every separate hook's `preCheck` when the account runs it directly: the
    /// guard; `done` when it let an approved change through, which the hook then ends by returning
    /// `hookData`, with no policy check. (The pause hook, which reads no execution behind the
    /// multiplexer, calls it alone.)
    function _startPreCheckAlone(address account, address msgSender, bytes calldata msgData)
        internal
        returns (bool done, bytes memory hookData)
    {
        bool consumed;
        (done, consumed,) = _leashGuardAlone(account, msgSender, msgData);
        if (consumed) hookData = APPROVED_CHANGE;
    }

    /// @dev An execution names a session (ExecutionDecoder.SESSION_MODE). Only the policy engine
    /// applies a session's scope: every other hook refuses it rather than run it unscoped.
    function _requireSessions(address account, address session) internal view virtual {
        revert Leash_SessionsNeedTheEngine(account, session);
    }

    /// @dev Functions of Leash modules through which the account may only tighten: each checks
    /// that the change tightens (or reverts) unless the authority approved it.
    function _isTighteningSelector(bytes4 selector) internal pure returns (bool) {
        return selector == IAllowlistHook.addPermission.selector || selector == IAllowlistHook.removePermission.selector
            || selector == IAllowlistHook.addProtected.selector
            || selector == ISpendingLimitHook.setTokenPolicy.selector
            || selector == IAutomationExecutor.removeTask.selector;
    }

    /// @dev Spends the approval of `changeHash` if there is one; the change then runs as the
    /// authority's until its postCheck. Never in a transaction that carries an operation of the
    /// account's agent (`Leash_AgentOperationInTransaction`).
    function _consumeApproval(address account, bytes32 changeHash) private returns (bool) {
        AccountRecord memory record = _records[account];
        if (record.authority == address(0)) return false;
        mapping(bytes32 => bool) storage approvals = _approvals[account][record.approvalEpoch];
        if (!approvals[changeHash]) return false;
        require(!_agentOperationInTransaction(account), Leash_AgentOperationInTransaction(account));
        delete approvals[changeHash];
        _setInProgress(account, true);
        emit ApprovalUsed(account, changeHash);
        return true;
    }

    /// @dev In every preCheck that applies the authority model: one more hooked call of `account`
    /// in progress (`calls`: the count and flag as `_calls` read them).
    function _enterCall(address account, uint256 calls) private {
        uint256 slot = _callsSlot(account);
        assembly ("memory-safe") {
            tstore(slot, add(calls, 1))
        }
    }

    /// @dev Called by postCheck with the hook data preCheck returned: the approved change ended
    /// only in the frame that started it (so nested executions do not end it early), a counted
    /// call ended. Nothing to do for any other hook data (the common case: empty). Never below
    /// zero: a postCheck without its preCheck leaves the count as is.
    function _leaveCall(address account, bytes calldata hookData) internal {
        if (hookData.length != 1) return;
        uint256 marks = uint8(hookData[0]);
        if (marks & 3 == 0) return;
        uint256 slot = _callsSlot(account);
        assembly ("memory-safe") {
            let calls := tload(slot)
            if and(shr(1, marks), gt(and(calls, DEPTH), 0)) { calls := sub(calls, 1) }
            if and(marks, 1) { calls := and(calls, DEPTH) }
            tstore(slot, calls)
        }
    }

    /// @dev The hook data of a call the guard let through: whether it started an approved change
    /// (`consumed`), whether `_guardCall` counted it (`counts`).
    function _guardHookData(bool consumed, bool counts) internal pure returns (bytes memory) {
        if (counts) return consumed ? APPROVED_COUNTED : COUNTED_CALL;
        return consumed ? APPROVED_CHANGE : bytes("");
    }

    function _calls(address account) private view returns (uint256 calls) {
        uint256 slot = _callsSlot(account);
        assembly ("memory-safe") {
            calls := tload(slot)
        }
    }

    function _setInProgress(address account, bool active) internal {
        uint256 calls = _calls(account);
        calls = active ? calls | CHANGE_IN_PROGRESS : calls & DEPTH;
        uint256 slot = _callsSlot(account);
        assembly ("memory-safe") {
            tstore(slot, calls)
        }
    }

    /// @dev The key of the transient mark that AgentValidator validated an operation of the
    /// account's agent in this transaction: the key of the account's record, which AgentValidator
    /// reads anyway. Keyed by the account, it is storage ERC-7562 lets the account's validation write.
    function _agentMarkKey(address account) internal pure virtual returns (uint256 key) {
        uint256 slot;
        assembly ("memory-safe") {
            slot := _records.slot
        }
        return _accountKey(account, slot);
    }

    /// @dev `keccak256(account . slot)`: where a mapping at `slot` keeps `account`'s value.
    function _accountKey(address account, uint256 slot) internal pure returns (uint256 key) {
        assembly ("memory-safe") {
            mstore(0x00, account)
            mstore(0x20, slot)
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev Marks `account` for the rest of the transaction, as the caller's: the question is open
    /// to anyone, so the mark holds who asked, and counts only while that is a validator the
    /// account has installed (`_agentOperationInTransaction`). A validator's mark is never replaced:
    /// a caller finding another's mark asks the account about it (strictly: an account that cannot
    /// answer fails the question) and takes the mark only from a stranger.
    function _markAgentOperation(address account) internal {
        _markAt(account, _agentMarkKey(account));
    }

    function _markAt(address account, uint256 key) internal {
        bool found; // another caller's mark
        assembly ("memory-safe") {
            let marker := tload(key)
            switch marker
            case 0 { tstore(key, caller()) }
            default { found := iszero(eq(marker, caller())) }
        }
        if (found) _keepOrTakeMark(account, key);
    }

    /// @dev The caller found another's mark: it keeps it if that is an installed validator of the
    /// account, and takes it otherwise.
    function _keepOrTakeMark(address account, uint256 key) internal {
        uint256 marker;
        assembly ("memory-safe") {
            marker := tload(key)
        }
        if (_isValidatorOf(account, marker)) return;
        assembly ("memory-safe") {
            tstore(key, caller())
        }
    }

    /// @dev Whether a validator of `account` validated an operation of it in this transaction: the
    /// mark's caller is one the account reports as installed now.
    function _agentOperationInTransaction(address account) internal view returns (bool) {
        uint256 key = _agentMarkKey(account);
        uint256 marker;
        assembly ("memory-safe") {
            marker := tload(key)
        }
        return marker != 0 && _isValidatorOf(account, marker);
    }

    /// @dev The account's own answer; an account that cannot answer reverts the question (the mark
    /// is neither taken nor passed over).
    function _isValidatorOf(address account, uint256 marker) private view returns (bool) {
        return IERC7579ModuleConfig(account).isModuleInstalled(MODULE_TYPE_VALIDATOR, address(uint160(marker)), "");
    }

    /// @dev The transient slot of `account`'s calls in progress: `CALLS_TAG | account`.
    function _callsSlot(address account) private pure returns (uint256) {
        return CALLS_TAG | uint256(uint160(account));
    }

    /// @dev The caller may act as the authority of `account`: it is the authority, or it is the
    /// account running a change the same authority approved (here, or at the trusted multiplexer).
    function _actsAsAuthority(address account, address authority) internal view returns (bool) {
        if (msg.sender == authority) return true;
        if (msg.sender != account) return false;
        if (approvedChangeInProgress(account)) return true;
        return TRUSTED_MULTIPLEXER != address(0)
            && IHookMultiPlexer(TRUSTED_MULTIPLEXER).authorityOf(account) == authority
            && IHookMultiPlexer(TRUSTED_MULTIPLEXER).approvedChangeInProgress(account);
    }

    function _checkAuthority(address account) internal view {
        address authority = _records[account].authority;
        require(authority != address(0), Leash_NotInstalled(account));
        require(_actsAsAuthority(account, authority), Leash_OnlyAuthority(account, msg.sender, authority));
    }

    function _checkAccountOrAuthority(address account) internal view {
        address authority = _records[account].authority;
        require(authority != address(0), Leash_NotInstalled(account));
        require(msg.sender == account || msg.sender == authority, Leash_OnlyAccountOrAuthority(account, msg.sender));
    }

    function _requireValidAuthority(address account, address authority) private pure {
        require(authority != address(0) && authority != account, Leash_InvalidAuthority(account, authority));
    }
}
