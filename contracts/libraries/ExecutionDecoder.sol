// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ExecutionDecoder
/// @notice The one decoder every Leash hook uses to learn what an account is about to run, from the
/// `msgData` the account hands its hook. Accounts decode `execute` calldata with their own code
/// (OpenZeppelin, Safe7579, Kernel, Nexus and the reference account all differ in what they
/// tolerate), so a hook that reads fixed offsets can be shown a decoy while the account runs
/// something else. The rule that holds on every account: accept only the canonical encoding
/// (exactly what `abi.encode` produces, zero padding, no trailing bytes) and refuse everything else.
/// Under that rule there is exactly one interpretation of any accepted calldata.
/// @dev Accepted top-level calls:
///   - `execute(bytes32 mode, bytes executionCalldata)` and `executeFromExecutor(...)` (same layout);
///   - `executeUserOp(PackedUserOperation, bytes32)` whose `userOp.callData` is
///     `executeUserOp.selector ++ execute(...)` (what the account runs after stripping 4 bytes);
///   - `installModule` / `uninstallModule`, reported as module management (not decoded further);
///   - `onERC721Received` / `onERC1155Received` / `onERC1155BatchReceived`, reported as `Receive`
///     with no items (an account that hooks its receiver callbacks runs nothing for them).
/// Modes: call type single (0x00) or batch (0x01), exec type default (0x00) or try (0x01), and every
/// other mode byte zero, except a session's mode: mode selector `SESSION_MODE` with the session's
/// agent in the payload's low 20 bytes (the accounts read only the call and exec types; the policy
/// engine applies that session's scope). Delegatecall (0xff), staticcall (0xfe), other mode
/// selectors and payloads fail closed. Single executions are `target (20) ++ value (32) ++ callData`; batches are
/// `abi.encode(Execution[])` with at least one item.
library ExecutionDecoder {
    bytes4 internal constant EXECUTE = 0xe9ae5c53; // execute(bytes32,bytes)
    bytes4 internal constant EXECUTE_FROM_EXECUTOR = 0xd691c964; // executeFromExecutor(bytes32,bytes)
    bytes4 internal constant EXECUTE_USER_OP = 0x8dd7712f; // executeUserOp(PackedUserOperation,bytes32)
    bytes4 internal constant INSTALL_MODULE = 0x9517e29f; // installModule(uint256,address,bytes)
    bytes4 internal constant UNINSTALL_MODULE = 0xa71763a8; // uninstallModule(uint256,address,bytes)
    bytes4 internal constant ON_ERC721_RECEIVED = 0x150b7a02; // onERC721Received(address,address,uint256,bytes)
    bytes4 internal constant ON_ERC1155_RECEIVED = 0xf23a6e61; // onERC1155Received(address,address,uint256,uint256,bytes)
    bytes4 internal constant ON_ERC1155_BATCH_RECEIVED = 0xbc197c81; // onERC1155BatchReceived(...)

    /// @notice The mode selector of a session's execution: `bytes4(keccak256("leash.session"))`.
    /// Mode: `callType (1) ++ execType (1) ++ 0 (4) ++ SESSION_MODE (4) ++ 0 (2) ++ agent (20)`.
    bytes4 internal constant SESSION_MODE = 0x2e421525;

    bytes1 internal constant CALLTYPE_SINGLE = 0x00;
    bytes1 internal constant CALLTYPE_BATCH = 0x01;
    bytes1 internal constant EXECTYPE_DEFAULT = 0x00;
    bytes1 internal constant EXECTYPE_TRY = 0x01;

    enum Action {
        Execute,
        InstallModule,
        UninstallModule,
        /// @dev A token receiver callback the account answers itself (Nexus runs its hook first):
        /// it executes nothing, so it carries no items.
        Receive
    }

    /// @notice What the account will run: calldata offsets of the validated execution data.
    struct Executions {
        bool batch;
        bool tryMode;
        uint256 count;
        /// @dev Absolute calldata offset and length of the execution data (`executionCalldata`).
        uint256 offset;
        uint256 length;
        /// @dev The session's agent the mode names (zero: no session).
        address session;
    }

    /// @notice The calldata is not the canonical ABI encoding; `position` is the byte (relative to
    /// the start of the part being decoded) where it departs from it.
    error ExecutionDecoder_NonCanonical(uint256 position);
    error ExecutionDecoder_UnsupportedSelector(bytes4 selector);
    error ExecutionDecoder_UnsupportedCallType(bytes1 callType);
    error ExecutionDecoder_UnsupportedExecType(bytes1 execType);
    /// @notice Mode bytes 2..31 (unused, mode selector, payload) must be zero, or name a session
    /// (`SESSION_MODE`, a non-zero agent in the payload's low 20 bytes, every other byte zero).
    error ExecutionDecoder_UnsupportedMode(bytes32 mode);
    error ExecutionDecoder_EmptyBatch();

    /// @notice Classifies `msgData` and, for executions, validates and locates every item.
    /// Reverts on anything that is not one canonical interpretation.
    function decode(bytes calldata msgData) internal pure returns (Action action, Executions memory ex) {
        if (msgData.length < 4) revert ExecutionDecoder_UnsupportedSelector(bytes4(msgData));
        bytes4 selector;
        bytes calldata args;
        // The selector and the arguments after it, without the bounds checks of slicing (length >= 4).
        assembly ("memory-safe") {
            selector := and(calldataload(msgData.offset), shl(224, 0xffffffff))
            args.offset := add(msgData.offset, 4)
            args.length := sub(msgData.length, 4)
        }
        if (selector == EXECUTE || selector == EXECUTE_FROM_EXECUTOR) {
            _decodeExecute(args, ex);
        } else if (selector == EXECUTE_USER_OP) {
            _decodeExecute(_userOpInnerCall(args), ex);
        } else if (selector == INSTALL_MODULE) {
            action = Action.InstallModule;
        } else if (selector == UNINSTALL_MODULE) {
            action = Action.UninstallModule;
        } else if (
            selector == ON_ERC721_RECEIVED || selector == ON_ERC1155_RECEIVED || selector == ON_ERC1155_BATCH_RECEIVED
        ) {
            action = Action.Receive;
        } else {
            revert ExecutionDecoder_UnsupportedSelector(selector);
        }
    }

    /// @notice The call a hook's `msgData` describes, given `msgSender`: what every hook passes
    /// to `decode` (and keys approvals by).
    /// @dev Safe7579 hands its hook `msg.data` with the ERC-2771 sender (20 bytes) appended. Every
    /// call `decode` accepts as an execution is 4 bytes plus whole 32-byte words, so the appended
    /// form is exactly the one whose length is 24 modulo 32: it is returned without its last 20
    /// bytes when they equal `msgSender`, and `decode` then requires what precedes them to be
    /// canonical on its own. Anything else is returned as is, so a canonical call is always read as
    /// is and every other rule of `decode` applies unchanged. The account runs exactly that prefix:
    /// every supported account decodes `execute` by offset and ignores bytes past the canonical
    /// encoding, and a canonical prefix has no offset pointing past its own end.
    function withoutSender(bytes calldata msgData, address msgSender) internal pure returns (bytes calldata call) {
        call = msgData;
        uint256 n = msgData.length;
        if (n & 31 == 24) {
            address appended;
            assembly ("memory-safe") {
                appended := shr(96, calldataload(add(msgData.offset, sub(n, 20))))
            }
            if (appended == msgSender) call = msgData[:n - 20];
        }
    }

    /// @notice Item `i` of validated executions. `i` must be below `ex.count`.
    function at(Executions memory ex, uint256 i)
        internal
        pure
        returns (address target, uint256 value, bytes calldata data)
    {
        uint256 base = ex.offset;
        if (!ex.batch) {
            // target (20 bytes) ++ value (32 bytes) ++ callData; length >= 52 was validated.
            uint256 dataLength = ex.length - 52;
            assembly ("memory-safe") {
                target := shr(96, calldataload(base))
                value := calldataload(add(base, 20))
                data.offset := add(base, 52)
                data.length := dataLength
            }
            return (target, value, data);
        }
        assembly ("memory-safe") {
            // base + 0x40: the array body (after the array offset and length words); its i-th word
            // is the offset of tuple i relative to the body.
            let body := add(base, 0x40)
            let tuple := add(body, calldataload(add(body, shl(5, i))))
            target := calldataload(tuple)
            value := calldataload(add(tuple, 0x20))
            // tuple + 0x60: length of callData (its offset word at +0x40 is validated to be 0x60)
            data.length := calldataload(add(tuple, 0x60))
            data.offset := add(tuple, 0x80)
        }
    }

    /// @dev `mode (32) ++ offset (32, = 0x40) ++ length (32) ++ executionCalldata (zero-padded)`,
    /// validated into `ex` in place (one allocation fewer per hook).
    function _decodeExecute(bytes calldata args, Executions memory ex) private pure {
        if (args.length < 96) revert ExecutionDecoder_NonCanonical(args.length);
        uint256 mode;
        assembly ("memory-safe") {
            mode := calldataload(args.offset)
        }
        // Call type (byte 0) and exec type (byte 1) each 0x00 or 0x01 and every other byte zero, in
        // one mask, or exactly a session's selector and agent besides; `_refuseMode` names what is wrong.
        uint256 rest = mode & ~(uint256(0x0101) << 240);
        if (rest != 0) {
            uint256 agent = rest & type(uint160).max;
            if (rest ^ agent != uint256(uint32(SESSION_MODE)) << 176 || agent == 0) _refuseMode(bytes32(mode));
            ex.session = address(uint160(agent));
        }
        (uint256 offset, uint256 length) = _bytesAt(args, 0, 32, 64);
        // Unchecked: `_bytesAt` bounded `length` by args.length.
        unchecked {
            if (offset + ((length + 31) & ~uint256(31)) != args.length) {
                revert ExecutionDecoder_NonCanonical(args.length);
            }
        }
        ex.batch = mode >> 248 == 1;
        ex.tryMode = (mode >> 240) & 0xff == 1;
        ex.length = length;
        assembly ("memory-safe") {
            mstore(add(ex, 0x60), add(args.offset, offset)) // ex.offset
        }
        if (ex.batch) {
            ex.count = _validateBatch(args[offset:offset + length]);
        } else {
            if (length < 52) revert ExecutionDecoder_NonCanonical(offset);
            ex.count = 1;
        }
    }

    /// @dev Reverts with the error that names what is wrong with `mode`.
    function _refuseMode(bytes32 mode) private pure {
        // Everything after the call and exec type bytes zero (no mode selector, no payload), or a
        // session's selector and agent.
        if (uint256(mode) << 16 != 0) revert ExecutionDecoder_UnsupportedMode(mode);
        bytes1 callType = mode[0];
        bytes1 execType = mode[1];
        if (callType != CALLTYPE_SINGLE && callType != CALLTYPE_BATCH) {
            revert ExecutionDecoder_UnsupportedCallType(callType);
        }
        if (execType != EXECTYPE_DEFAULT && execType != EXECTYPE_TRY) {
            revert ExecutionDecoder_UnsupportedExecType(execType);
        }
        revert ExecutionDecoder_UnsupportedMode(mode);
    }

    /// @dev Checks `d` is exactly `abi.encode(Execution[])` with at least one item; returns the count.
    function _validateBatch(bytes calldata d) private pure returns (uint256 n) {
        if (d.length < 64 || _word(d, 0) != 0x20) revert ExecutionDecoder_NonCanonical(0);
        n = _word(d, 32);
        if (n == 0) revert ExecutionDecoder_EmptyBatch();
        // Each item needs at least its offset word and four head words: bounds n before any arithmetic.
        if (n > (d.length - 64) / 160) revert ExecutionDecoder_NonCanonical(32);
        // Every item, in one assembly loop (it runs per item in every hook): the offset word points
        // exactly behind the previous tuple, the address is clean, and callData is a canonical
        // `bytes` member (see `_bytesAt`, which checks the same for single members). `bad` is
        // 1 + the position of the first departure. Lengths are bounded by d.length before use.
        uint256 expected = n << 5; // canonical offset of tuple 0, relative to the array body at 0x40
        uint256 bad;
        assembly ("memory-safe") {
            // Few live variables (nested blocks end theirs early): coverage builds run unoptimised.
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                {
                    let at_ := add(0x40, shl(5, i))
                    if iszero(eq(calldataload(add(d.offset, at_)), expected)) {
                        bad := add(at_, 1)
                        break
                    }
                }
                let tuple := add(0x40, expected)
                if or(gt(add(tuple, 0x80), d.length), shr(160, calldataload(add(d.offset, tuple)))) {
                    bad := add(tuple, 1)
                    break
                }
                if iszero(eq(calldataload(add(d.offset, add(tuple, 0x40))), 0x60)) {
                    bad := add(tuple, 0x41)
                    break
                }
                // callData: its length word at tuple + 0x60, its bytes from tuple + 0x80.
                let length := calldataload(add(d.offset, add(tuple, 0x60)))
                let padded := and(add(length, 31), not(31))
                if or(gt(length, sub(d.length, add(tuple, 0x80))), gt(padded, sub(d.length, add(tuple, 0x80)))) {
                    bad := add(tuple, 0x61)
                    break
                }
                if and(length, 31) {
                    let end := add(add(tuple, 0x80), length)
                    if shl(shl(3, and(length, 31)), calldataload(add(d.offset, sub(end, and(length, 31))))) {
                        bad := add(end, 1)
                        break
                    }
                }
                expected := add(expected, add(0x80, padded))
            }
        }
        if (bad != 0) revert ExecutionDecoder_NonCanonical(bad - 1);
        if (0x40 + expected != d.length) revert ExecutionDecoder_NonCanonical(d.length);
    }

    /// @dev From `abi.encode(PackedUserOperation, bytes32)`, checked canonical end to end, returns
    /// `userOp.callData[4:]`, which must itself be an `execute` call (its args are returned).
    function _userOpInnerCall(bytes calldata args) private pure returns (bytes calldata inner) {
        // Head: offset of the tuple (0x40), userOpHash. Tuple head: sender, nonce, initCode,
        // callData, accountGasLimits, preVerificationGas, gasFees, paymasterAndData, signature.
        if (args.length < 0x40 + 0x120 || _word(args, 0) != 0x40) revert ExecutionDecoder_NonCanonical(0);
        uint256 tuple = 0x40;
        if (_word(args, tuple) >> 160 != 0) revert ExecutionDecoder_NonCanonical(tuple);
        uint256 next = 0x120; // dynamic members follow the 9-word head, in order
        uint256 callDataStart;
        uint256 callDataLength;
        // Offset words of initCode (word 2), callData (3), paymasterAndData (7), signature (8).
        uint256[4] memory heads = [uint256(2), 3, 7, 8];
        for (uint256 k; k < 4; ++k) {
            uint256 headAt = tuple + (heads[k] << 5);
            (uint256 start, uint256 length) = _bytesAt(args, tuple, headAt, tuple + next);
            if (k == 1) (callDataStart, callDataLength) = (start, length);
            next += 0x20 + _padded(length);
        }
        if (tuple + next != args.length) revert ExecutionDecoder_NonCanonical(args.length);
        bytes calldata callData = args[callDataStart:callDataStart + callDataLength];
        if (callData.length < 8 || bytes4(callData[:4]) != EXECUTE_USER_OP) {
            revert ExecutionDecoder_UnsupportedSelector(callData.length < 4 ? bytes4(0) : bytes4(callData[:4]));
        }
        if (bytes4(callData[4:8]) != EXECUTE) revert ExecutionDecoder_UnsupportedSelector(bytes4(callData[4:8]));
        return callData[8:];
    }

    /// @dev A `bytes` member whose offset word sits at `headAt` (relative to `base`) and whose
    /// length word sits at `lengthAt`, with the offset pointing exactly there, the data inside `d`
    /// and zero padding. Returns the data's start (relative to `d`) and length.
    function _bytesAt(bytes calldata d, uint256 base, uint256 headAt, uint256 lengthAt)
        private
        pure
        returns (uint256 start, uint256 length)
    {
        // One assembly block: this runs once per batch item in every hook, and the same checks in
        // Solidity cost several times the gas. `bad` is 1 + the position of the first departure.
        uint256 bad;
        assembly ("memory-safe") {
            let size := d.length
            switch or(gt(add(lengthAt, 32), size), iszero(eq(calldataload(add(d.offset, headAt)), sub(lengthAt, base))))
            case 1 { bad := add(headAt, 1) }
            default {
                length := calldataload(add(d.offset, lengthAt))
                start := add(lengthAt, 32)
                let room := sub(size, start)
                // length <= room first: then the padded length cannot wrap around.
                switch or(gt(length, room), gt(and(add(length, 31), not(31)), room))
                case 1 { bad := add(lengthAt, 1) }
                default {
                    // The last word's bytes after the data must be zero.
                    let rem := and(length, 31)
                    if rem {
                        let end := add(start, length)
                        if shl(shl(3, rem), calldataload(add(d.offset, sub(end, rem)))) { bad := add(end, 1) }
                    }
                }
            }
        }
        if (bad != 0) revert ExecutionDecoder_NonCanonical(bad - 1);
    }

    function _word(bytes calldata d, uint256 at_) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := calldataload(add(d.offset, at_))
        }
    }

    function _padded(uint256 length) private pure returns (uint256) {
        return (length + 31) & ~uint256(31);
    }
}
