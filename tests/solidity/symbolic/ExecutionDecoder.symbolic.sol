// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {
    CallType,
    ERC7579Utils,
    ExecType,
    Execution,
    Mode
} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {IERC7579Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {Test} from "forge-std/Test.sol";

import {ExecutionDecoder} from "../../../contracts/libraries/ExecutionDecoder.sol";
import {SymbolicBase} from "./SymbolicVM.sol";

/// @dev The decoder's verdict, and what the OpenZeppelin account runs, over the same `msgData`.
contract DecoderUnderTest {
    function decode(bytes calldata msgData)
        external
        pure
        returns (uint8 action, bool batch, bool tryMode, address session, Execution[] memory items)
    {
        (ExecutionDecoder.Action a, ExecutionDecoder.Executions memory ex) = ExecutionDecoder.decode(msgData);
        items = new Execution[](ex.count);
        for (uint256 i; i < ex.count; ++i) {
            (address target, uint256 value, bytes calldata data) = ExecutionDecoder.at(ex, i);
            items[i] = Execution(target, value, data);
        }
        return (uint8(a), ex.batch, ex.tryMode, ex.session, items);
    }

    /// @dev `execute(mode, executionCalldata)` as the OpenZeppelin account reads it: Solidity's
    /// decoding of the arguments, then `ERC7579Utils` on the execution data.
    function accountDecode(bytes calldata msgData) external view returns (Execution[] memory items) {
        (bytes32 mode, bytes memory executionCalldata) = abi.decode(msgData[4:], (bytes32, bytes));
        return this.accountDecodeExecutions(mode, executionCalldata);
    }

    function accountDecodeExecutions(bytes32 mode, bytes calldata executionCalldata)
        external
        pure
        returns (Execution[] memory items)
    {
        (CallType callType,,,) = ERC7579Utils.decodeMode(Mode.wrap(mode));
        if (CallType.unwrap(callType) == CallType.unwrap(ERC7579Utils.CALLTYPE_BATCH)) {
            return ERC7579Utils.decodeBatch(executionCalldata);
        }
        items = new Execution[](1);
        (items[0].target, items[0].value, items[0].callData) = ERC7579Utils.decodeSingle(executionCalldata);
    }
}

/// @notice D1/D2 proven: every `execute` calldata within the bound is refused by ExecutionDecoder or
/// decodes to exactly what the OpenZeppelin account runs, and is the canonical encoding of it.
contract ExecutionDecoderSymbolic is Test, SymbolicBase {
    DecoderUnderTest internal decoder;

    function setUp() public {
        decoder = new DecoderUnderTest();
    }

    /// @dev Bound: `execute.selector ++` k symbolic 32-byte words, 3 <= k <= 6 (msgData of 100..196
    /// bytes): every mode, offset, length, address, value and data byte symbolic. Covers single
    /// executions with up to 92 bytes of call data, and every refusal at these sizes.
    function check_decode_ShortExecuteIsCanonicalAndWhatTheAccountRuns() public {
        uint256 k = svm.createUint256("words");
        vm.assume(k >= 3 && k <= 6);
        for (uint256 n = 3; n <= 6; ++n) {
            if (k == n) return _checkExecute(_symbolicWords(n));
        }
    }

    /// @dev Bound: batches. `execute.selector ++ mode ++ 0x40 ++ 32m ++` m symbolic words, m in
    /// {7, 8} (msgData of 324 and 356 bytes): the mode, the item count, every offset, address,
    /// value, length and data byte symbolic; only the execution data's length word is fixed (to the
    /// bytes that follow it). Covers one-item batches with up to 32 bytes of call data, and every
    /// placement of the item's offset (the decoy of a fixed-offset reader).
    function check_decode_BatchIsCanonicalAndWhatTheAccountRuns() public {
        bool longer = svm.createBool("eight words");
        uint256[] memory w = _symbolicWords(longer ? 11 : 10);
        w[1] = 0x40;
        w[2] = 32 * (w.length - 3);
        _checkExecute(w);
    }

    function _symbolicWords(uint256 k) internal returns (uint256[] memory w) {
        w = new uint256[](k);
        for (uint256 i; i < k; ++i) {
            w[i] = svm.createUint256("word");
        }
    }

    function _checkExecute(uint256[] memory w) internal view {
        _pinLengths(w);
        bytes memory msgData = abi.encodePacked(ExecutionDecoder.EXECUTE, w);
        try decoder.decode(msgData) returns (
            uint8 action, bool batch, bool tryMode, address session, Execution[] memory items
        ) {
            assertEq(action, uint8(ExecutionDecoder.Action.Execute));
            // D4: only a plain call or batch, default or try, is accepted (never delegatecall 0xff,
            // staticcall 0xfe or an unknown type): of the mode word only bytes 0 and 1 may be set,
            // each to 0 or 1, besides, at most, a session's selector and its non-zero agent, which
            // the decoder reports as the session. And the mode the decoder reports is the account's
            // own reading of that word.
            uint256 rest = w[0] & ~(uint256(0x0101) << 240);
            uint256 sessionBits = uint256(uint32(ExecutionDecoder.SESSION_MODE)) << 176;
            assertTrue(
                rest == 0 || (rest >> 160 << 160 == sessionBits && uint160(rest) != 0),
                "a mode other than call or batch, default or try, or a session's"
            );
            assertEq(session, rest == 0 ? address(0) : address(uint160(rest)), "the session named");
            (CallType callType, ExecType execType,,) = ERC7579Utils.decodeMode(Mode.wrap(bytes32(w[0])));
            assertEq(batch, CallType.unwrap(callType) == 0x01, "batch flag differs from the account's call type");
            assertEq(tryMode, ExecType.unwrap(execType) == 0x01, "try flag differs from the account's exec type");
            // Canonical: re-encoding what was decoded gives back the very same bytes, so there is
            // no second reading of them (no decoy).
            bytes memory executionCalldata =
                batch ? abi.encode(items) : abi.encodePacked(items[0].target, items[0].value, items[0].callData);
            assertEq(items.length != 0, true);
            _assertSameBytes(abi.encodeCall(IERC7579Execution.execute, (bytes32(w[0]), executionCalldata)), msgData);
            // And the account runs exactly these items.
            Execution[] memory run = decoder.accountDecode(msgData);
            assertEq(run.length, items.length);
            for (uint256 i; i < items.length; ++i) {
                assertEq(run[i].target, items[i].target);
                assertEq(run[i].value, items[i].value);
                _assertSameBytes(run[i].callData, items[i].callData);
            }
        } catch {
            // refused: nothing runs past the hook
        }
    }

    /// @dev Splits paths on every word the decoder could use as a length or an item offset (at
    /// their canonical places), so that offsets are concrete on every path. Each split covers every
    /// value (see `_pin`), so no input is left out.
    function _pinLengths(uint256[] memory w) internal pure {
        uint256 k = w.length;
        uint256 room = 32 * (k - 3); // bytes after the execution data's length word
        if (!_pin(w[2], room) || ((w[2] + 31) & ~uint256(31)) != room || k < 5) return;
        // Batch: d = words 3.. (d.length = w[2]); d[1] is the item count, then one offset word per
        // item; a tuple is address, value, data offset, data length, data.
        uint256 size = w[2];
        if (!_pin(w[4], size < 64 ? 0 : (size - 64) / 160)) return;
        uint256 n = w[4];
        if (n == 0) return;
        // The first item's offset word: only whole words can place a tuple; others are refused by
        // comparison alone. `next`: where this item's data ends (relative to the array body).
        uint256 first = 3 + 2;
        if (!_pinWordAligned(w[first], size)) return;
        uint256 next = w[first];
        for (uint256 i; i < n; ++i) {
            uint256 tupleEnd = 0x40 + next + 0x80; // after the tuple's four head words
            if (tupleEnd > size) return;
            uint256 lengthWord = 3 + (tupleEnd - 0x20) / 32;
            if (!_pin(w[lengthWord], size - tupleEnd)) return;
            next += 0x80 + ((w[lengthWord] + 31) & ~uint256(31));
            if (i + 1 < n && !_pinWordAligned(w[first + i + 1], size)) return;
            if (i + 1 < n) next = w[first + i + 1];
        }
    }

    /// @dev On each path: `w` is one multiple of 32 up to `max`, or anything else (false).
    function _pinWordAligned(uint256 w, uint256 max) internal pure returns (bool) {
        if (w > max || w % 32 != 0) return false;
        for (uint256 c; c <= max; c += 32) {
            if (w == c) return true;
        }
        return false;
    }

    function _assertSameBytes(bytes memory a, bytes memory b) internal pure {
        assert(a.length == b.length);
        for (uint256 i; i < a.length; i += 32) {
            bytes32 x;
            bytes32 y;
            assembly ("memory-safe") {
                x := mload(add(add(a, 0x20), i))
                y := mload(add(add(b, 0x20), i))
            }
            // The tail past the length is not compared: mask it off in the last word.
            if (a.length - i < 32) {
                uint256 keep = (a.length - i) * 8;
                x &= bytes32(~(type(uint256).max >> keep));
                y &= bytes32(~(type(uint256).max >> keep));
            }
            assert(x == y);
        }
    }
}
