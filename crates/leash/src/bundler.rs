//! An ERC-4337 bundler over JSON-RPC: `eth_supportedEntryPoints`, `eth_estimateUserOperationGas`,
//! `eth_sendUserOperation` and `eth_getUserOperationReceipt`, with UserOps in the unpacked JSON
//! shape of EntryPoint v0.7 and v0.8 (`factory`/`factoryData`, separate gas limits and fees,
//! `paymaster` fields). [`crate::account::UserOpSender::via_bundler`] sends its operations here
//! instead of calling `handleOps` itself.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, Bytes, FixedBytes, Log, B256, U256, U64};
use alloy::rpc::client::RpcClient;
use alloy::transports::http::reqwest::Url;
use alloy::transports::{RpcError, TransportErrorKind};
use eyre::{bail, eyre, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::abi::PackedUserOperation;
use crate::errors::{LeashRevert, Refused, TokenBook};

/// How long [`Bundler::wait`] polls for an operation's receipt by default.
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(200);

/// A bundler's JSON-RPC endpoint.
#[derive(Clone, Debug)]
pub struct Bundler {
    client: RpcClient,
    pub url: Url,
    /// How long [`Self::wait`] polls before giving up.
    pub timeout: Duration,
    /// Whether the sender asks the bundler for gas limits (`eth_estimateUserOperationGas`) or
    /// sends its own fixed ones: an estimate simulates the execution, so an operation the leash
    /// refuses fails there and is never sent; with fixed limits it is included and its receipt
    /// says why it failed.
    pub estimate_gas: bool,
}

/// A UserOp as the bundler's JSON-RPC takes it (EntryPoint v0.7 and v0.8): the packed fields
/// unpacked, numbers as hex quantities, absent optional fields left out. alloy's type, whose name
/// speaks of the packed struct it stands for; [`unpacked`] makes one.
pub use alloy::rpc::types::PackedUserOperation as RpcUserOperation;

/// The gas limits a bundler estimated for an operation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GasEstimate {
    pub pre_verification_gas: U256,
    pub verification_gas_limit: U256,
    pub call_gas_limit: U256,
    #[serde(default)]
    pub paymaster_verification_gas_limit: Option<U256>,
    #[serde(default)]
    pub paymaster_post_op_gas_limit: Option<U256>,
}

/// `eth_getUserOperationReceipt`'s answer once the operation is in a block.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOpReceipt {
    pub user_op_hash: B256,
    pub entry_point: Address,
    pub sender: Address,
    pub nonce: U256,
    pub actual_gas_cost: U256,
    pub actual_gas_used: U256,
    pub success: bool,
    /// The bundle transaction's receipt, with every log of the bundle.
    pub receipt: BundleReceipt,
}

/// The fields of the bundle transaction's receipt read here.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleReceipt {
    pub transaction_hash: B256,
    pub block_number: U64,
    pub gas_used: U64,
    pub logs: Vec<RpcLog>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RpcLog {
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Bytes,
}

impl BundleReceipt {
    /// Its logs as alloy's (address, topics, data).
    pub fn logs(&self) -> Vec<Log> {
        self.logs.iter().map(|l| Log::new_unchecked(l.address, l.topics.clone(), l.data.clone())).collect()
    }
}

/// The unpacked form of `op`, as a bundler takes it.
pub fn unpacked(op: &PackedUserOperation) -> RpcUserOperation {
    let (verification, call) = split_u128s(&op.accountGasLimits);
    let (priority, max_fee) = split_u128s(&op.gasFees);
    let (factory, factory_data) = match op.initCode.len() {
        0 => (None, None),
        _ => {
            (Some(Address::from_slice(&op.initCode[..20])), Some(Bytes::copy_from_slice(&op.initCode[20..])))
        }
    };
    let pm = &op.paymasterAndData;
    let (paymaster, pm_verification, pm_post_op, pm_data) = if pm.len() >= 52 {
        (
            Some(Address::from_slice(&pm[..20])),
            Some(U256::from_be_slice(&pm[20..36])),
            Some(U256::from_be_slice(&pm[36..52])),
            Some(Bytes::copy_from_slice(&pm[52..])),
        )
    } else {
        (None, None, None, None)
    };
    RpcUserOperation {
        sender: op.sender,
        nonce: op.nonce,
        factory,
        factory_data,
        call_data: op.callData.clone(),
        call_gas_limit: U256::from(call),
        verification_gas_limit: U256::from(verification),
        pre_verification_gas: op.preVerificationGas,
        max_fee_per_gas: U256::from(max_fee),
        max_priority_fee_per_gas: U256::from(priority),
        paymaster,
        paymaster_verification_gas_limit: pm_verification,
        paymaster_post_op_gas_limit: pm_post_op,
        paymaster_data: pm_data,
        signature: op.signature.clone(),
    }
}

impl GasEstimate {
    /// `op` with these limits (the paymaster's too, when it has one).
    pub fn apply(&self, op: &mut PackedUserOperation) -> Result<()> {
        let verification = to_u128(self.verification_gas_limit, "verificationGasLimit")?;
        let call = to_u128(self.call_gas_limit, "callGasLimit")?;
        op.accountGasLimits = pack_u128s(verification, call);
        op.preVerificationGas = self.pre_verification_gas;
        if op.paymasterAndData.len() >= 52 {
            let mut pm = op.paymasterAndData.to_vec();
            if let Some(v) = self.paymaster_verification_gas_limit {
                pm[20..36].copy_from_slice(&to_u128(v, "paymasterVerificationGasLimit")?.to_be_bytes());
            }
            if let Some(v) = self.paymaster_post_op_gas_limit {
                pm[36..52].copy_from_slice(&to_u128(v, "paymasterPostOpGasLimit")?.to_be_bytes());
            }
            op.paymasterAndData = pm.into();
        }
        Ok(())
    }
}

impl Bundler {
    /// The bundler at `url` (nothing is sent until a call).
    pub fn new(url: Url) -> Self {
        Self { client: RpcClient::new_http(url.clone()), url, timeout: RECEIPT_TIMEOUT, estimate_gas: true }
    }

    /// [`Self::new`] from text.
    pub fn parse(url: &str) -> Result<Self> {
        Ok(Self::new(crate::provider::parse_url(url)?))
    }

    /// Waits `timeout` for a receipt instead.
    pub fn timeout(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }

    /// Sends operations with the sender's own fixed gas limits, not the bundler's estimate.
    pub fn without_estimate(self) -> Self {
        Self { estimate_gas: false, ..self }
    }

    async fn call<P, R>(&self, method: &'static str, params: P) -> Result<R>
    where
        P: Serialize + Clone + std::fmt::Debug + Send + Sync + Unpin,
        R: DeserializeOwned + std::fmt::Debug + Send + Sync + Unpin + 'static,
    {
        self.client.request(method, params).await.map_err(|e| self.error(method, e))
    }

    /// `eth_supportedEntryPoints`.
    pub async fn supported_entry_points(&self) -> Result<Vec<Address>> {
        self.call("eth_supportedEntryPoints", ()).await
    }

    /// Fails in words unless the bundler serves `entry_point`.
    pub async fn require_entry_point(&self, entry_point: Address) -> Result<()> {
        let served = self.supported_entry_points().await?;
        if !served.contains(&entry_point) {
            bail!(
                "the bundler at {} serves the EntryPoints {served:?}, not {entry_point} (the account's)",
                self.url
            );
        }
        Ok(())
    }

    /// `eth_estimateUserOperationGas`: the limits for `op` (its signature need only have the
    /// length of the real one). An execution the contracts refuse fails here as a [`Refused`].
    pub async fn estimate(&self, op: &PackedUserOperation, entry_point: Address) -> Result<GasEstimate> {
        self.call("eth_estimateUserOperationGas", (unpacked(op), entry_point)).await
    }

    /// `eth_sendUserOperation`: the operation's hash, once the bundler has taken it.
    pub async fn send(&self, op: &PackedUserOperation, entry_point: Address) -> Result<B256> {
        self.call("eth_sendUserOperation", (unpacked(op), entry_point)).await
    }

    /// `eth_getUserOperationReceipt`: `None` while the operation is not in a block.
    pub async fn receipt(&self, hash: B256) -> Result<Option<UserOpReceipt>> {
        self.call("eth_getUserOperationReceipt", (hash,)).await
    }

    /// Polls for the receipt of `hash` until it is in a block, for at most [`Self::timeout`].
    pub async fn wait(&self, hash: B256) -> Result<UserOpReceipt> {
        let start = Instant::now();
        loop {
            if let Some(receipt) = self.receipt(hash).await? {
                return Ok(receipt);
            }
            if start.elapsed() >= self.timeout {
                bail!(
                    "the bundler at {} took UserOp {hash} but it was not in a block after {} s: the bundler may have dropped it (its log says why), or its executor key may be out of funds",
                    self.url,
                    self.timeout.as_secs()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// A failed call in words: an unreachable bundler with its URL, a refusal with the revert
    /// data it carries decoded.
    fn error(&self, method: &str, e: RpcError<TransportErrorKind>) -> eyre::Report {
        let url = &self.url;
        match e {
            RpcError::ErrorResp(payload) => {
                let data = payload.data.as_ref().map(|d| d.get().to_string()).unwrap_or_default();
                self.refused(method, &payload.message, &data)
            }
            // Some bundlers answer a refusal with HTTP 500 and the JSON-RPC error as its body.
            RpcError::Transport(kind) => match kind.as_http_error().and_then(|h| error_in_body(&h.body)) {
                Some((message, data)) => self.refused(method, &message, &data),
                None => eyre!(
                    "no bundler answers at {url} ({kind}): start one there or pass the URL of a running bundler"
                ),
            },
            other => eyre!("{method} at the bundler {url} failed: {other}"),
        }
    }

    fn refused(&self, method: &str, message: &str, data: &str) -> eyre::Report {
        let url = &self.url;
        match revert_in(message).or_else(|| revert_in(data)) {
            Some(revert) => Refused::new(
                format!("the UserOp ({method} at the bundler {url})"),
                revert,
                &TokenBook::default(),
            )
            .into(),
            None => eyre!("the bundler at {url} refused {method}: {message}"),
        }
    }
}

/// The message and data of a JSON-RPC error carried as an HTTP body.
fn error_in_body(body: &str) -> Option<(String, String)> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    let error = json.get("error")?;
    let message = error.get("message")?.as_str()?.to_string();
    let data = error.get("data").map(|d| d.to_string()).unwrap_or_default();
    Some((message, data))
}

/// The first `0x…` hex in `text` that decodes as a Leash module's or the EntryPoint's error, or as
/// a revert message (bundlers put the revert data in their error message).
fn revert_in(text: &str) -> Option<LeashRevert> {
    text.match_indices("0x").find_map(|(at, _)| {
        let hex: String = text[at + 2..].chars().take_while(char::is_ascii_hexdigit).collect();
        if hex.len() < 8 || !hex.len().is_multiple_of(2) {
            return None;
        }
        let data = alloy::hex::decode(&hex).ok()?;
        match LeashRevert::decode(&data) {
            LeashRevert::Unknown(_) | LeashRevert::Empty => None,
            known => Some(known),
        }
    })
}

fn to_u128(value: U256, name: &str) -> Result<u128> {
    u128::try_from(value).map_err(|_| eyre!("the bundler's {name} ({value}) does not fit in 128 bits"))
}

/// Two 128-bit numbers in one word (`accountGasLimits`, `gasFees`): `high ++ low`.
pub fn pack_u128s(high: u128, low: u128) -> FixedBytes<32> {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&high.to_be_bytes());
    out[16..].copy_from_slice(&low.to_be_bytes());
    FixedBytes(out)
}

/// The `(high, low)` halves of a packed word.
pub fn split_u128s(word: &FixedBytes<32>) -> (u128, u128) {
    let high = u128::from_be_bytes(word[..16].try_into().expect("16 bytes"));
    let low = u128::from_be_bytes(word[16..].try_into().expect("16 bytes"));
    (high, low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_op_unpacks_into_the_rpc_shape() {
        let mut op =
            PackedUserOperation::unsigned(Address::with_last_byte(1), U256::from(7u64), Bytes::new());
        op.accountGasLimits = pack_u128s(100_000, 200_000);
        op.gasFees = pack_u128s(2, 3);
        op.initCode = [&[0xfa; 20][..], &[1, 2]].concat().into();
        let json = serde_json::to_value(unpacked(&op)).unwrap();
        assert_eq!(json["verificationGasLimit"], "0x186a0");
        assert_eq!(json["callGasLimit"], "0x30d40");
        assert_eq!(json["maxPriorityFeePerGas"], "0x2");
        assert_eq!(json["maxFeePerGas"], "0x3");
        assert_eq!(json["nonce"], "0x7");
        assert_eq!(json["factory"].as_str().unwrap().parse::<Address>().unwrap(), Address::repeat_byte(0xfa));
        assert_eq!(json["factoryData"], "0x0102");
        assert!(json.get("paymaster").is_none(), "no paymaster fields without a paymaster");

        let estimate = GasEstimate {
            pre_verification_gas: U256::from(5u64),
            verification_gas_limit: U256::from(6u64),
            call_gas_limit: U256::from(8u64),
            paymaster_verification_gas_limit: None,
            paymaster_post_op_gas_limit: None,
        };
        estimate.apply(&mut op).unwrap();
        assert_eq!(split_u128s(&op.accountGasLimits), (6, 8));
        assert_eq!(op.preVerificationGas, U256::from(5u64));
    }

    #[test]
    fn revert_data_in_a_bundler_message_is_decoded() {
        let message = "UserOperation reverted during simulation with reason: 0x08c379a0\
            0000000000000000000000000000000000000000000000000000000000000020\
            0000000000000000000000000000000000000000000000000000000000000002\
            6e6f000000000000000000000000000000000000000000000000000000000000";
        assert_eq!(revert_in(message), Some(LeashRevert::Message("no".into())));
        assert_eq!(revert_in("AA25 invalid account nonce 0x1234"), None);
    }
}
