//! A session's execution mode and enable-in-first-op grant, byte for byte.

use alloy::primitives::{address, Address, Bytes, U256};
use alloy::sol_types::{SolCall, SolValue};
use leash::abi::{IERC7579Batch, IERC7579Execution, IPolicyEngine};
use leash::account::{enable_blob, execute_batch_as, execute_single_as, session_mode, SESSION_MODE};

const AGENT: Address = address!("0x00000000000000000000000000000000000000a2");

/// `callType ++ execType ++ 0 (4) ++ SESSION_MODE ++ 0 (2) ++ agent (20)`, the one layout
/// ExecutionDecoder reads as a session.
#[test]
fn a_session_mode_names_the_agent_after_the_mode_selector() {
    assert_eq!(SESSION_MODE, alloy::primitives::keccak256("leash.session")[..4]);
    let mode = session_mode(0x01, 0x00, AGENT);
    assert_eq!(mode[0], 0x01);
    assert_eq!(&mode[1..6], &[0; 5]);
    assert_eq!(&mode[6..10], &SESSION_MODE);
    assert_eq!(&mode[10..12], &[0; 2]);
    assert_eq!(&mode[12..], AGENT.as_slice());

    let single =
        IERC7579Execution::executeCall::abi_decode(&execute_single_as(Some(AGENT), AGENT, U256::ZERO, &[]))
            .unwrap();
    assert_eq!(single.mode, session_mode(0x00, 0x00, AGENT));
    let plain =
        IERC7579Execution::executeCall::abi_decode(&execute_single_as(None, AGENT, U256::ZERO, &[])).unwrap();
    assert!(plain.mode.is_zero(), "no session: the plain single mode");
    let item = IERC7579Batch::Execution { target: AGENT, value: U256::from(1), callData: Bytes::new() };
    let batch = IERC7579Execution::executeCall::abi_decode(&execute_batch_as(
        Some(AGENT),
        std::slice::from_ref(&item),
    ))
    .unwrap();
    assert_eq!(batch.mode, session_mode(0x01, 0x00, AGENT));
    let items = <Vec<IERC7579Batch::Execution>>::abi_decode(&batch.executionCalldata).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!((items[0].target, items[0].value), (item.target, item.value));
}

/// What AgentValidator decodes after the agent's 65 bytes: `abi.encode(Session, bytes)`.
#[test]
fn the_enable_blob_is_the_session_and_the_authoritys_signature() {
    let session = IPolicyEngine::Session {
        agent: AGENT,
        validUntil: alloy::primitives::Uint::from(9u64),
        ..Default::default()
    };
    let signature = [7u8; 65];
    let blob = enable_blob(&session, &signature);
    let (decoded, sig) = <(IPolicyEngine::Session, Bytes)>::abi_decode_params(&blob).unwrap();
    assert_eq!((decoded, sig.to_vec()), (session, signature.to_vec()));
}
