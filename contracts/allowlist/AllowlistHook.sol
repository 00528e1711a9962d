// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC7579Hook, IERC7579Module, MODULE_TYPE_HOOK} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";

import {LeashModule} from "../base/LeashModule.sol";
import {IAllowlistHook} from "../interfaces/IAllowlistHook.sol";
import {ExecutionDecoder} from "../libraries/ExecutionDecoder.sol";

/// @title AllowlistHook
/// @notice Allow or block (target, selector) pairs per account, with protected addresses that
/// can never be called. Works behind the HookMultiPlexer or installed alone.
/// @dev Storage per account: one config slot (mode, counts, generation) read on every check, and
/// entries keyed by (generation, target, selector) holding flags. Each mode has its own list: an
/// entry is ALLOWED (listed in allow mode) or BLOCKED (listed in block mode), and a check reads
/// only the flag of the mode in force. The (target, WILDCARD) entry also carries the PROTECTED
/// flag, so a check reads the config and at most two entries.
/// Install data: `abi.encode(address authority, Mode mode, Permission[] permissions, address[] protected)`.
contract AllowlistHook is LeashModule, IAllowlistHook {
    /// @inheritdoc IAllowlistHook
    bytes4 public constant WILDCARD_SELECTOR = 0x431e2cf5;
    /// @inheritdoc IAllowlistHook
    uint256 public constant MAX_PERMISSIONS = 100;
    /// @inheritdoc IAllowlistHook
    uint256 public constant MAX_PROTECTED = 20;
    uint256 public constant MAX_LEASH_MODULES = 6;

    /// @dev Entry flags. An entry means what the mode it was listed in says, and only in that mode:
    /// the account may only tighten (list in block mode, unlist in allow mode), so if one list
    /// served both modes, a block the account added would become an allow at the authority's next
    /// `setMode`, a loosening the authority never made. With a list per mode, `setMode` puts the
    /// other mode's list in force (empty the first time), every entry keeps its meaning, protected
    /// addresses stay, and a check reads the same slots as with one list. Cheaper than clearing
    /// the entries at each switch, which would also have to carry the protected flags over.
    uint8 internal constant ALLOWED = 1;
    uint8 internal constant PROTECTED = 2;
    uint8 internal constant BLOCKED = 4;

    /// @dev One slot: mode (8) | permissions of the mode in force (16) | protected (8) | generation (64).
    struct Config {
        Mode mode;
        uint16 permissions;
        uint8 protectedCount;
        uint64 generation;
    }

    mapping(address account => Config) internal _configs;
    mapping(
        address account => mapping(uint256 generation => mapping(address target => mapping(bytes4 selector => uint8)))
    ) internal _entries;

    /// @dev Enumeration for `permissionsOf` / `protectedOf` (configuration paths only, never read
    /// by a check): the lists (permissions one per mode) and 1-based positions in them.
    mapping(address account => mapping(uint256 generation => mapping(Mode => Permission[]))) internal _permissionList;
    mapping(
        address account
            => mapping(uint256 generation => mapping(Mode => mapping(address target => mapping(bytes4 => uint256))))
    ) internal _permissionPos;
    mapping(address account => mapping(uint256 generation => address[])) internal _protectedList;
    mapping(address account => mapping(uint256 generation => mapping(address target => uint256))) internal
        _protectedPos;

    /// @dev The Leash modules every account protects: immutables, so checking them reads no storage.
    address internal immutable LEASH_0;
    address internal immutable LEASH_1;
    address internal immutable LEASH_2;
    address internal immutable LEASH_3;
    address internal immutable LEASH_4;
    address internal immutable LEASH_5;

    /// @param multiplexer The HookMultiPlexer this hook trusts for the account suffix (always protected).
    /// @param leashModules The other Leash modules to protect (at most `MAX_LEASH_MODULES`); this
    /// hook protects itself and the multiplexer without being told.
    constructor(address multiplexer, address[] memory leashModules) LeashModule(multiplexer) {
        require(
            leashModules.length <= MAX_LEASH_MODULES,
            Allowlist_TooManyLeashModules(leashModules.length, MAX_LEASH_MODULES)
        );
        address[MAX_LEASH_MODULES] memory m;
        for (uint256 i; i < leashModules.length; ++i) {
            m[i] = leashModules[i];
        }
        // Unused slots repeat the multiplexer so that none of them matches address(0).
        for (uint256 i = leashModules.length; i < MAX_LEASH_MODULES; ++i) {
            m[i] = multiplexer == address(0) ? address(this) : multiplexer;
        }
        (LEASH_0, LEASH_1, LEASH_2, LEASH_3, LEASH_4, LEASH_5) = (m[0], m[1], m[2], m[3], m[4], m[5]);
    }

    // ------------------------------------------------------------------ ERC-7579 module

    /// @inheritdoc IERC7579Module
    function onInstall(bytes calldata data) external {
        address account = _account();
        (address authority, Mode mode, Permission[] memory permissions, address[] memory protectedTargets) =
            abi.decode(data, (address, Mode, Permission[], address[]));
        require(mode == Mode.Allow || mode == Mode.Block, Allowlist_InvalidMode(uint8(mode)));
        _installRecord(account, authority, MODULE_TYPE_HOOK);
        Config storage config = _configs[account];
        config.mode = mode;
        emit ModeSet(account, mode);
        for (uint256 i; i < permissions.length; ++i) {
            _add(account, config, permissions[i].target, permissions[i].selector);
        }
        for (uint256 i; i < protectedTargets.length; ++i) {
            _protect(account, config, protectedTargets[i]);
        }
    }

    /// @inheritdoc IERC7579Module
    /// @dev O(1): entries live under the old generation and become unreachable.
    function onUninstall(bytes calldata) external {
        address account = _account();
        _uninstallRecord(account, MODULE_TYPE_HOOK);
        Config storage config = _configs[account];
        uint64 generation = config.generation + 1;
        delete _configs[account];
        config.generation = generation;
    }

    /// @inheritdoc IERC7579Module
    function isModuleType(uint256 moduleTypeId) external pure returns (bool) {
        return moduleTypeId == MODULE_TYPE_HOOK;
    }

    // ------------------------------------------------------------------ hook

    /// @inheritdoc IERC7579Hook
    function preCheck(address msgSender, uint256, bytes calldata msgData) external returns (bytes memory) {
        address account = _account();
        Config memory config = _configs[account];
        require(config.mode != Mode.None, Leash_NotInstalled(account));
        (bool done, bytes memory hookData, ExecutionDecoder.Executions memory ex) =
            _startPreCheck(account, msgSender, msgData);
        if (done) return hookData;
        for (uint256 i; i < ex.count; ++i) {
            (address target,, bytes calldata data) = ExecutionDecoder.at(ex, i);
            _check(account, config, target, data);
        }
        return "";
    }

    /// @inheritdoc IERC7579Hook
    function postCheck(bytes calldata hookData) external {
        _leaveCall(_account(), hookData);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IAllowlistHook
    function modeOf(address account) external view returns (Mode) {
        return _configs[account].mode;
    }

    /// @inheritdoc IAllowlistHook
    function isListed(address account, address target, bytes4 selector) external view returns (bool) {
        Config memory config = _configs[account];
        return _entry(account, config.generation, target, selector) & _listed(config.mode) != 0;
    }

    /// @inheritdoc IAllowlistHook
    function isProtected(address account, address target) public view returns (bool) {
        return target == address(0) || _isLeashProtected(account, target)
            || _entry(account, _configs[account].generation, target, WILDCARD_SELECTOR) & PROTECTED != 0;
    }

    /// @inheritdoc IAllowlistHook
    function permissionCount(address account) external view returns (uint256) {
        return _configs[account].permissions;
    }

    /// @inheritdoc IAllowlistHook
    function protectedCount(address account) external view returns (uint256) {
        return _configs[account].protectedCount;
    }

    /// @inheritdoc IAllowlistHook
    function permissionsOf(address account) external view returns (Permission[] memory) {
        Config memory config = _configs[account];
        return _permissionList[account][config.generation][config.mode];
    }

    /// @inheritdoc IAllowlistHook
    function protectedOf(address account) external view returns (address[] memory) {
        return _protectedList[account][_configs[account].generation];
    }

    /// @inheritdoc IAllowlistHook
    function isCallAllowed(address account, address target, bytes calldata data) external view returns (bool) {
        Config memory config = _configs[account];
        if (config.mode == Mode.None) return false;
        try this.checkCall(account, target, data) {
            return true;
        } catch {
            return false;
        }
    }

    /// @notice Reverts with the reason a call to `target` with `data` would be refused (view helper).
    function checkCall(address account, address target, bytes calldata data) external view {
        Config memory config = _configs[account];
        require(config.mode != Mode.None, Leash_NotInstalled(account));
        _check(account, config, target, data);
    }

    // ------------------------------------------------------------------ configuration

    /// @inheritdoc IAllowlistHook
    function addPermission(address account, address target, bytes4 selector) external {
        Config storage config = _configs[account];
        _requireRole(account, config.mode == Mode.Block);
        _add(account, config, target, selector);
    }

    /// @inheritdoc IAllowlistHook
    function removePermission(address account, address target, bytes4 selector) external {
        Config storage config = _configs[account];
        Mode mode = config.mode;
        _requireRole(account, mode == Mode.Allow);
        uint256 generation = config.generation;
        uint8 listed = _listed(mode);
        uint8 flags = _entries[account][generation][target][selector];
        require(flags & listed != 0, Allowlist_PermissionMissing(account, target, selector));
        _entries[account][generation][target][selector] = flags & ~listed;
        config.permissions -= 1;
        // Swap-and-pop from the enumeration list.
        Permission[] storage list = _permissionList[account][generation][mode];
        mapping(address => mapping(bytes4 => uint256)) storage positions = _permissionPos[account][generation][mode];
        uint256 pos = positions[target][selector];
        Permission memory last = list[list.length - 1];
        list[pos - 1] = last;
        positions[last.target][last.selector] = pos;
        list.pop();
        delete positions[target][selector];
        emit PermissionRemoved(account, target, selector);
    }

    /// @inheritdoc IAllowlistHook
    function addProtected(address account, address target) external onlyAccountOrAuthority(account) {
        _protect(account, _configs[account], target);
    }

    /// @inheritdoc IAllowlistHook
    function removeProtected(address account, address target) external onlyAuthority(account) {
        Config storage config = _configs[account];
        uint256 generation = config.generation;
        uint8 flags = _entries[account][generation][target][WILDCARD_SELECTOR];
        require(flags & PROTECTED != 0, Allowlist_ProtectedMissing(account, target));
        _entries[account][generation][target][WILDCARD_SELECTOR] = flags & ~PROTECTED;
        config.protectedCount -= 1;
        address[] storage list = _protectedList[account][generation];
        uint256 pos = _protectedPos[account][generation][target];
        address last = list[list.length - 1];
        list[pos - 1] = last;
        _protectedPos[account][generation][last] = pos;
        list.pop();
        delete _protectedPos[account][generation][target];
        emit ProtectedRemoved(account, target);
    }

    /// @inheritdoc IAllowlistHook
    /// @dev Puts `mode`'s own list in force (see the entry flags): entries listed in the other mode
    /// stay with it and mean nothing until it is back.
    function setMode(address account, Mode mode) external onlyAuthority(account) {
        require(mode == Mode.Allow || mode == Mode.Block, Allowlist_InvalidMode(uint8(mode)));
        Config storage config = _configs[account];
        config.mode = mode;
        config.permissions = uint16(_permissionList[account][config.generation][mode].length);
        emit ModeSet(account, mode);
    }

    // ------------------------------------------------------------------ internals

    /// @dev The matching rules of IAllowlistHook, for one execution item.
    function _check(address account, Config memory config, address target, bytes calldata data) internal view {
        require(!_isLeashProtected(account, target), Allowlist_ProtectedTarget(account, target));
        uint256 generation = config.generation;
        uint8 wildcard = _entry(account, generation, target, WILDCARD_SELECTOR);
        require(wildcard & PROTECTED == 0, Allowlist_ProtectedTarget(account, target));
        bytes4 selector;
        if (data.length >= 4) {
            selector = bytes4(data[:4]);
            // 0x00000000 is the key of plain transfers: a call with that selector would share it.
            require(selector != bytes4(0), Allowlist_ZeroSelector(account, target));
        } else if (data.length != 0) {
            revert Allowlist_ShortCalldata(account, target, data.length);
        } // empty calldata: selector 0x00000000, a plain value transfer

        if (config.mode == Mode.Allow) {
            if (wildcard & ALLOWED != 0) return;
            require(
                _entry(account, generation, target, selector) & ALLOWED != 0,
                Allowlist_CallNotAllowed(account, target, selector)
            );
        } else {
            require(wildcard & BLOCKED == 0, Allowlist_CallBlocked(account, target, WILDCARD_SELECTOR));
            require(
                _entry(account, generation, target, selector) & BLOCKED == 0,
                Allowlist_CallBlocked(account, target, selector)
            );
        }
    }

    /// @dev The account and every Leash module. The account's aliases (`address(0)`; a Safe's
    /// adapter and modules) never reach a check: the guard refuses them first, behind the
    /// multiplexer and alone.
    function _isLeashProtected(address account, address target) internal view returns (bool) {
        return target == account || target == address(this) || target == TRUSTED_MULTIPLEXER || target == LEASH_0
            || target == LEASH_1 || target == LEASH_2 || target == LEASH_3 || target == LEASH_4 || target == LEASH_5;
    }

    function _entry(address account, uint256 generation, address target, bytes4 selector)
        internal
        view
        returns (uint8)
    {
        return _entries[account][generation][target][selector];
    }

    /// @dev Lists (target, selector) in the list of the mode in force.
    function _add(address account, Config storage config, address target, bytes4 selector) internal {
        uint256 generation = config.generation;
        Mode mode = config.mode;
        uint8 listed = _listed(mode);
        uint8 flags = _entries[account][generation][target][selector];
        require(flags & listed == 0, Allowlist_PermissionExists(account, target, selector));
        require(config.permissions < MAX_PERMISSIONS, Allowlist_TooManyPermissions(account, MAX_PERMISSIONS));
        _entries[account][generation][target][selector] = flags | listed;
        config.permissions += 1;
        Permission[] storage list = _permissionList[account][generation][mode];
        list.push(Permission(target, selector));
        _permissionPos[account][generation][mode][target][selector] = list.length;
        emit PermissionAdded(account, target, selector);
    }

    /// @dev The flag of entries listed in `mode`.
    function _listed(Mode mode) internal pure returns (uint8) {
        return mode == Mode.Block ? BLOCKED : ALLOWED;
    }

    function _protect(address account, Config storage config, address target) internal {
        uint256 generation = config.generation;
        uint8 flags = _entries[account][generation][target][WILDCARD_SELECTOR];
        require(flags & PROTECTED == 0, Allowlist_ProtectedExists(account, target));
        require(config.protectedCount < MAX_PROTECTED, Allowlist_TooManyProtected(account, MAX_PROTECTED));
        _entries[account][generation][target][WILDCARD_SELECTOR] = flags | PROTECTED;
        config.protectedCount += 1;
        address[] storage list = _protectedList[account][generation];
        list.push(target);
        _protectedPos[account][generation][target] = list.length;
        emit ProtectedAdded(account, target);
    }

    /// @dev Tightening changes are open to the account and the authority; loosening to the authority.
    function _requireRole(address account, bool tightening) internal view {
        if (tightening) _checkAccountOrAuthority(account);
        else _checkAuthority(account);
    }
}
