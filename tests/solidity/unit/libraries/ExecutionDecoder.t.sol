// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC7579Utils, Execution} from "@openzeppelin/contracts/account/utils/draft-ERC7579Utils.sol";
import {IERC7579Execution} from "@openzeppelin/contracts/interfaces/draft-IERC7579.sol";
import {PackedUserOperation} from "account-abstraction/interfaces/PackedUserOperation.sol";
import {Test} from "forge-std/Test.sol";

import {ExecutionDecoder} from "../../../../contracts/libraries/ExecutionDecoder.sol";

/// @dev Exposes the library, and what the OpenZeppelin account itself would run, over calldata.
contract DecoderHarness {
    /// @dev The session the execution's mode names.
    function sessionOf(bytes calldata msgData) external pure returns (address) {
        (, ExecutionDecoder.Executions memory ex) = ExecutionDecoder.decode(msgData);
        return ex.session;
    }

    function decode(bytes calldata msgData)
        external
        pure
        returns (uint8 action, bool batch, bool tryMode, Execution[] memory items)
    {
        (ExecutionDecoder.Action a, ExecutionDecoder.Executions memory ex) = ExecutionDecoder.decode(msgData);
        items = new Execution[](ex.count);
        for (uint256 i; i < ex.count; ++i) {
            (address target, uint256 value, bytes calldata data) = ExecutionDecoder.at(ex, i);
            items[i] = Execution(target, value, data);
        }
        return (uint8(a), ex.batch, ex.tryMode, items);
    }

    /// @dev What OpenZeppelin's account decodes from the same batch bytes.
    function accountDecodeBatch(bytes calldata executionCalldata) external pure returns (Execution[] memory) {
        return ERC7579Utils.decodeBatch(executionCalldata);
    }

    /// @dev Solidity's own decoder, then its canonical re-encoding.
    function abiRoundTrip(bytes calldata executionCalldata)
        external
        pure
        returns (Execution[] memory items, bytes memory canonical)
    {
        items = abi.decode(executionCalldata, (Execution[]));
        canonical = abi.encode(items);
    }
}

contract ExecutionDecoderTest is Test {
    DecoderHarness internal harness = new DecoderHarness();

    bytes32 internal constant SINGLE = bytes32(0);
    bytes32 internal constant BATCH = bytes32(uint256(1) << 248);
    bytes32 internal constant BATCH_TRY = bytes32((uint256(1) << 248) | (uint256(1) << 240));

    function _execute(bytes32 mode, bytes memory executionCalldata) internal pure returns (bytes memory) {
        return abi.encodeCall(IERC7579Execution.execute, (mode, executionCalldata));
    }

    function _items(uint256 n, uint256 seed) internal pure returns (Execution[] memory items) {
        items = new Execution[](n);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            bytes memory data = new bytes(r % 70);
            for (uint256 j; j < data.length; ++j) {
                data[j] = bytes1(uint8(r >> (j % 32)));
            }
            items[i] = Execution(address(uint160(r)), r >> 200, data);
        }
    }

    function _assertSame(Execution[] memory a, Execution[] memory b) internal pure {
        assertEq(a.length, b.length, "item count");
        for (uint256 i; i < a.length; ++i) {
            assertEq(a[i].target, b[i].target, "target");
            assertEq(a[i].value, b[i].value, "value");
            assertEq(a[i].callData, b[i].callData, "callData");
        }
    }

    // ------------------------------------------------------------------ canonical inputs decode exactly

    function testFuzz_decode_SingleMatchesPackedFields(address target, uint256 value, bytes calldata data) public view {
        (uint8 action, bool batch,, Execution[] memory items) =
            harness.decode(_execute(SINGLE, abi.encodePacked(target, value, data)));
        assertEq(action, 0);
        assertFalse(batch);
        assertEq(items.length, 1);
        assertEq(items[0].target, target);
        assertEq(items[0].value, value);
        assertEq(items[0].callData, data);
    }

    function testFuzz_decode_BatchMatchesAbiDecode(uint8 n, uint256 seed) public view {
        Execution[] memory items = _items(bound(n, 1, 12), seed);
        (, bool batch, bool tryMode, Execution[] memory got) = harness.decode(_execute(BATCH, abi.encode(items)));
        assertTrue(batch);
        assertFalse(tryMode);
        _assertSame(got, items);
    }

    function test_decode_ReportsTryMode() public view {
        (,, bool tryMode,) = harness.decode(_execute(BATCH_TRY, abi.encode(_items(2, 1))));
        assertTrue(tryMode);
    }

    function test_decode_ExecuteFromExecutorSameAsExecute() public view {
        bytes memory data = abi.encodeCall(IERC7579Execution.executeFromExecutor, (BATCH, abi.encode(_items(3, 7))));
        (,,, Execution[] memory got) = harness.decode(data);
        _assertSame(got, _items(3, 7));
    }

    // ------------------------------------------------------------------ differential: accepted => canonical

    /// @dev Mutate one byte of a canonical batch anywhere (offsets, lengths, padding, content). If the
    /// decoder still accepts, the bytes must be exactly Solidity's canonical encoding of what
    /// `abi.decode` reads, and the decoder must agree with it and with the account's own decoder.
    function testFuzz_decode_AcceptsOnlyCanonicalBatches(uint256 seed, uint8 n, uint256 position, uint8 newByte)
        public
        view
    {
        bytes memory encoded = abi.encode(_items(bound(n, 1, 4), seed));
        position = bound(position, 0, encoded.length - 1);
        encoded[position] = bytes1(newByte);
        _checkAcceptedIsCanonical(encoded);
    }

    /// @dev A canonical batch with up to four of its words replaced by words a batch is made of
    /// (offsets, lengths, counts, an address, an amount, a selector, zero): rewrites of its
    /// structure (decoys, aliases, lengths) and of its content alike. Whatever is accepted is
    /// canonical and means one thing. (Random bytes almost never decode, so arbitrary input would
    /// test nothing; with no word replaced, or only content, the batch is accepted.)
    function testFuzz_decode_BatchWithMeaningfulWordsSwapped(
        uint256 seed,
        uint8 n,
        uint8[4] calldata at,
        uint8[4] calldata pick,
        uint8 swaps
    ) public view {
        uint256[12] memory alphabet = [
            uint256(0),
            1,
            2,
            4,
            0x20,
            0x40,
            0x60,
            0x80,
            0xa0,
            uint256(uint160(address(0xBEEF))),
            1 ether,
            uint256(bytes32(bytes4(0xa9059cbb)))
        ];
        bytes memory encoded = abi.encode(_items(bound(n, 1, 3), seed));
        uint256 words = encoded.length / 32;
        for (uint256 k; k < bound(swaps, 0, 4); ++k) {
            uint256 offset = 0x20 + 32 * (at[k] % words);
            uint256 word = alphabet[pick[k] % alphabet.length];
            assembly ("memory-safe") {
                mstore(add(encoded, offset), word)
            }
        }
        _checkAcceptedIsCanonical(encoded);
    }

    /// @dev Cut or extend a canonical batch: trailing bytes and truncations are refused.
    function testFuzz_decode_RefusesTrailingOrMissingBytes(uint256 seed, uint8 n, uint8 delta, bool extend) public {
        bytes memory encoded = abi.encode(_items(bound(n, 1, 4), seed));
        uint256 d = bound(delta, 1, 64);
        bytes memory changed;
        if (extend) {
            changed = bytes.concat(encoded, new bytes(d));
        } else {
            d = d > encoded.length ? encoded.length : d;
            changed = new bytes(encoded.length - d);
            for (uint256 i; i < changed.length; ++i) {
                changed[i] = encoded[i];
            }
        }
        vm.expectPartialRevert(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector);
        harness.decode(_execute(BATCH, changed));
    }

    function _checkAcceptedIsCanonical(bytes memory executionCalldata) internal view {
        try harness.decode(_execute(BATCH, executionCalldata)) returns (uint8, bool, bool, Execution[] memory got) {
            (Execution[] memory expected, bytes memory canonical) = harness.abiRoundTrip(executionCalldata);
            assertEq(keccak256(canonical), keccak256(executionCalldata), "accepted a non-canonical encoding");
            _assertSame(got, expected);
            _assertSame(got, harness.accountDecodeBatch(executionCalldata));
        } catch {
            // refused: nothing to compare
        }
    }

    // ------------------------------------------------------------------ decoys

    /// @dev The decoy attack: item 0's offset word points past a harmless tuple (where a
    /// fixed-offset decoder looks) to a malicious one (what the account runs). The account's own
    /// decoder really runs the malicious call; Leash refuses the encoding.
    function test_decode_RevertWhen_OffsetPointsToDecoy() public {
        address harmless = makeAddr("harmless");
        address drain = makeAddr("drain");
        Execution[] memory shown = new Execution[](1);
        shown[0] = Execution(harmless, 0, "");
        bytes memory canonical = abi.encode(shown);
        // Append a second tuple and point item 0 at it (offset relative to the array body at 0x40).
        bytes memory decoyTuple = abi.encode(drain, uint256(100 ether), uint256(0x60), uint256(0));
        bytes memory attack = bytes.concat(canonical, decoyTuple);
        uint256 newOffset = canonical.length - 0x40;
        assembly {
            mstore(add(attack, add(0x20, 0x40)), newOffset)
        }
        Execution[] memory runs = harness.accountDecodeBatch(attack);
        assertEq(runs[0].target, drain, "the account really runs the decoy");
        assertEq(runs[0].value, 100 ether);

        vm.expectRevert(abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector, 0x40));
        harness.decode(_execute(BATCH, attack));
    }

    /// @dev Two items whose offsets both point at the same tuple: a hook summing items once each
    /// would be shown one transfer; refused.
    function test_decode_RevertWhen_ItemsAlias() public {
        bytes memory encoded = abi.encode(_items(2, 3));
        bytes memory aliased = encoded;
        assembly {
            // item 1's offset word := item 0's offset
            mstore(add(aliased, add(0x20, 0x60)), mload(add(aliased, add(0x20, 0x40))))
        }
        vm.expectPartialRevert(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector);
        harness.decode(_execute(BATCH, aliased));
    }

    function test_decode_RevertWhen_OuterOffsetNotCanonical() public {
        bytes memory data = _execute(SINGLE, abi.encodePacked(address(1), uint256(0)));
        assembly {
            mstore(add(data, add(0x20, 36)), 0x60) // offset word of executionCalldata
        }
        vm.expectRevert(abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector, 32));
        harness.decode(data);
    }

    function test_decode_RevertWhen_TrailingBytesAfterCall() public {
        bytes memory data = bytes.concat(_execute(SINGLE, abi.encodePacked(address(1), uint256(0))), bytes32(0));
        vm.expectPartialRevert(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector);
        harness.decode(data);
    }

    function test_decode_RevertWhen_DirtyPadding() public {
        bytes memory data = _execute(SINGLE, abi.encodePacked(address(1), uint256(0), hex"aa"));
        data[data.length - 1] = 0x01; // a byte of the padding after the 53-byte executionCalldata
        vm.expectPartialRevert(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector);
        harness.decode(data);
    }

    function test_decode_RevertWhen_DirtyAddressInBatch() public {
        bytes memory encoded = abi.encode(_items(1, 5));
        encoded[0x60] = 0x01; // upper (must-be-zero) byte of item 0's target word
        vm.expectRevert(abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector, 0x60));
        harness.decode(_execute(BATCH, encoded));
    }

    function test_decode_RevertWhen_SingleTooShort() public {
        vm.expectPartialRevert(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector);
        harness.decode(_execute(SINGLE, abi.encodePacked(address(1), uint64(0))));
    }

    // ------------------------------------------------------------------ modes fail closed

    /// @dev A single call under call type `callType` must be refused as an unsupported call type.
    function _assertCallTypeRefused(uint8 callType) internal {
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_UnsupportedCallType.selector, bytes1(callType))
        );
        harness.decode(_execute(bytes32(uint256(callType) << 248), abi.encodePacked(address(1), uint256(0))));
    }

    function test_decode_RevertWhen_Delegatecall() public {
        _assertCallTypeRefused(0xff);
    }

    function test_decode_RevertWhen_Staticcall() public {
        _assertCallTypeRefused(0xfe);
    }

    function testFuzz_decode_RevertWhen_UnknownCallType(uint8 callType) public {
        vm.assume(callType > 1);
        _assertCallTypeRefused(callType);
    }

    function test_decode_RevertWhen_UnknownExecType() public {
        bytes32 mode = bytes32(uint256(0x02) << 240);
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_UnsupportedExecType.selector, bytes1(0x02))
        );
        harness.decode(_execute(mode, abi.encodePacked(address(1), uint256(0))));
    }

    function testFuzz_decode_RevertWhen_ModeSelectorOrPayloadSet(uint240 rest) public {
        vm.assume(rest != 0);
        // Exactly a session's mode (its selector and a non-zero agent) decodes: the test below.
        vm.assume(rest >> 160 != uint256(uint32(ExecutionDecoder.SESSION_MODE)) << 16 || uint160(rest) == 0);
        bytes32 mode = bytes32(uint256(rest));
        vm.expectRevert(abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_UnsupportedMode.selector, mode));
        harness.decode(_execute(mode, abi.encodePacked(address(1), uint256(0))));
    }

    /// @dev A session's mode names its agent; one more bit anywhere beside the call and exec types
    /// is refused.
    function testFuzz_decode_SessionModeNamesItsAgent(address agent, uint8 bit) public {
        vm.assume(agent != address(0));
        bytes32 mode = bytes32((uint256(uint32(ExecutionDecoder.SESSION_MODE)) << 176) | uint160(agent));
        assertEq(harness.sessionOf(_execute(mode, abi.encodePacked(address(1), uint256(0)))), agent);
        uint256 extra = uint256(1) << bit;
        vm.assume(bit < 240 && uint256(mode) & extra == 0);
        bytes32 spoiled = mode | bytes32(extra);
        // A bit inside the agent names another agent; anywhere else the mode is refused.
        if (bit < 160) return;
        vm.expectRevert(abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_UnsupportedMode.selector, spoiled));
        harness.decode(_execute(spoiled, abi.encodePacked(address(1), uint256(0))));
    }

    function test_decode_RevertWhen_EmptyBatch() public {
        vm.expectRevert(ExecutionDecoder.ExecutionDecoder_EmptyBatch.selector);
        harness.decode(_execute(BATCH, abi.encode(new Execution[](0))));
    }

    function testFuzz_decode_RevertWhen_UnknownSelector(bytes4 selector, bytes calldata rest) public {
        vm.assume(
            selector != ExecutionDecoder.EXECUTE && selector != ExecutionDecoder.EXECUTE_FROM_EXECUTOR
                && selector != ExecutionDecoder.EXECUTE_USER_OP && selector != ExecutionDecoder.INSTALL_MODULE
                && selector != ExecutionDecoder.UNINSTALL_MODULE && selector != ExecutionDecoder.ON_ERC721_RECEIVED
                && selector != ExecutionDecoder.ON_ERC1155_RECEIVED
                && selector != ExecutionDecoder.ON_ERC1155_BATCH_RECEIVED
        );
        vm.expectRevert(
            abi.encodeWithSelector(ExecutionDecoder.ExecutionDecoder_UnsupportedSelector.selector, selector)
        );
        harness.decode(bytes.concat(selector, rest));
    }

    /// @dev Token receiver callbacks execute nothing: classified as such, with no items.
    function test_decode_ClassifiesReceiverCallbacks() public view {
        bytes4[3] memory callbacks = [
            ExecutionDecoder.ON_ERC721_RECEIVED,
            ExecutionDecoder.ON_ERC1155_RECEIVED,
            ExecutionDecoder.ON_ERC1155_BATCH_RECEIVED
        ];
        for (uint256 i; i < callbacks.length; ++i) {
            (uint8 action,,, Execution[] memory items) =
                harness.decode(abi.encodeWithSelector(callbacks[i], address(1), uint256(2)));
            assertEq(action, uint8(ExecutionDecoder.Action.Receive));
            assertEq(items.length, 0);
        }
    }

    function test_decode_ClassifiesModuleManagement() public view {
        (uint8 action,,,) = harness.decode(abi.encodeWithSelector(ExecutionDecoder.INSTALL_MODULE, 1, address(2), ""));
        assertEq(action, uint8(ExecutionDecoder.Action.InstallModule));
        (action,,,) = harness.decode(abi.encodeWithSelector(ExecutionDecoder.UNINSTALL_MODULE, 4, address(2), ""));
        assertEq(action, uint8(ExecutionDecoder.Action.UninstallModule));
    }

    // ------------------------------------------------------------------ executeUserOp wrapping

    function _userOpCall(bytes memory innerCallData) internal pure returns (bytes memory) {
        PackedUserOperation memory op;
        op.sender = address(0xA11CE);
        op.nonce = 7;
        op.initCode = hex"01";
        op.callData = innerCallData;
        op.paymasterAndData = hex"0203";
        op.signature = new bytes(65);
        return abi.encodeWithSelector(ExecutionDecoder.EXECUTE_USER_OP, op, bytes32(uint256(1)));
    }

    function testFuzz_decode_ExecuteUserOpUnwrapsInnerExecute(uint8 n, uint256 seed) public view {
        Execution[] memory items = _items(bound(n, 1, 4), seed);
        bytes memory inner = bytes.concat(ExecutionDecoder.EXECUTE_USER_OP, _execute(BATCH, abi.encode(items)));
        (,,, Execution[] memory got) = harness.decode(_userOpCall(inner));
        _assertSame(got, items);
    }

    function test_decode_RevertWhen_ExecuteUserOpWrapsOtherCall() public {
        bytes memory inner = bytes.concat(
            ExecutionDecoder.EXECUTE_USER_OP, abi.encodeWithSelector(ExecutionDecoder.INSTALL_MODULE, 1, address(2), "")
        );
        vm.expectRevert(
            abi.encodeWithSelector(
                ExecutionDecoder.ExecutionDecoder_UnsupportedSelector.selector, ExecutionDecoder.INSTALL_MODULE
            )
        );
        harness.decode(_userOpCall(inner));
    }

    function testFuzz_decode_ExecuteUserOpRefusesMutatedHead(uint256 word) public {
        bytes memory inner =
            bytes.concat(ExecutionDecoder.EXECUTE_USER_OP, _execute(SINGLE, abi.encodePacked(address(1), uint256(0))));
        bytes memory data = _userOpCall(inner);
        // Offset words: the tuple offset (arg word 0) and the four dynamic members of the tuple.
        uint256[5] memory heads = [uint256(0), 0x40 + 0x40, 0x40 + 0x60, 0x40 + 0xe0, 0x40 + 0x100];
        uint256 at = 4 + heads[bound(word, 0, 4)];
        data[at + 31] = bytes1(uint8(data[at + 31]) ^ 0x20);
        vm.expectPartialRevert(ExecutionDecoder.ExecutionDecoder_NonCanonical.selector);
        harness.decode(data);
    }
}
