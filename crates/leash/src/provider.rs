//! Providers that sign with a local key and fetch the nonce for every transaction. (A cached
//! nonce is reserved even when gas estimation then refuses the transaction, which would leave
//! every later transaction of that key stuck behind a gap.) [`connect`] checks the node answers;
//! [`Unfunded`] is a transaction its key cannot pay for, in words; and [`Confirm`] waits for a
//! receipt without alloy's block polling on a local node.

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use alloy::network::{Ethereum, EthereumWallet};
use alloy::primitives::utils::format_units;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use eyre::{bail, eyre, Result, WrapErr};

/// An HTTP provider that signs with `signer`.
pub fn with_wallet(url: Url, signer: PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url)
        .erased()
}

/// A read-only HTTP provider.
pub fn read_only(url: Url) -> DynProvider {
    ProviderBuilder::new().connect_http(url).erased()
}

/// A provider for the node at `url` (signing with `signer`, if given), once the node has answered.
/// A node that does not answer is one sentence naming the URL and the fix, not a transport error.
pub async fn connect(url: &str, signer: Option<PrivateKeySigner>) -> Result<DynProvider> {
    let endpoint = parse_url(url)?;
    let provider = match signer {
        Some(s) => with_wallet(endpoint, s),
        None => read_only(endpoint),
    };
    if provider.get_chain_id().await.is_err() {
        bail!(
            "no node answers at {url}: start one there (`cargo xtask deploy --keep-running` serves one at http://127.0.0.1:8545) or pass --rpc-url with the URL of a running node"
        );
    }
    Ok(provider)
}

/// Parses an `http(s)://` endpoint.
pub fn parse_url(url: &str) -> Result<Url> {
    url.parse().map_err(|_| eyre!("`{url}` is not an http(s) URL"))
}

/// A transaction the node refused because its key cannot pay for it: what it was, whose key sent
/// it, and roughly what it costs (its gas limit at the fee the node asks now). The library knows
/// the key only as the provider's wallet; [`Self::with_key`] adds its address and balance, which
/// the message then names. Reach it through `eyre::Report::downcast_ref`.
#[derive(Debug, Clone, PartialEq)]
pub struct Unfunded {
    /// What was sent: "the pause", "handleOps".
    pub what: String,
    /// Whose key sends it: "the guardian's", "the authority's".
    pub role: String,
    pub chain_id: u64,
    pub gas: u64,
    pub fee_per_gas: u128,
    /// The key and its balance, once known.
    pub key: Option<(Address, U256)>,
}

impl Unfunded {
    /// About what the transaction needs: its gas at the fee per gas (the node asks the key for
    /// its whole gas limit at the maximum fee before it runs).
    pub fn need(&self) -> U256 {
        U256::from(self.gas) * U256::from(self.fee_per_gas)
    }

    /// The same, naming `key` (the provider's signer) and what it holds now.
    pub async fn with_key<P: Provider>(self, provider: &P, key: Address) -> Result<Self> {
        let balance = provider.get_balance(key).await.wrap_err("reading the key's balance")?;
        Ok(Self { key: Some((key, balance)), ..self })
    }

    /// An error that is `Unfunded` named with `key` and its balance; any other error as it is.
    pub async fn name_key<P: Provider>(err: eyre::Report, provider: &P, key: Address) -> eyre::Report {
        match err.downcast_ref::<Unfunded>() {
            Some(u) => match u.clone().with_key(provider, key).await {
                Ok(named) => named.into(),
                Err(_) => err,
            },
            None => err,
        }
    }

    /// The refusal of a transaction sent through `provider`, if the node refused it for funds
    /// (geth and Anvil both say "insufficient funds").
    pub async fn from_send_error<P: Provider>(
        provider: &P,
        err: &impl fmt::Display,
        what: &str,
        role: &str,
        gas: u64,
    ) -> Option<Self> {
        if !err.to_string().to_ascii_lowercase().contains("insufficient funds") {
            return None;
        }
        let chain_id = provider.get_chain_id().await.ok()?;
        let fee_per_gas = provider.estimate_eip1559_fees().await.ok()?.max_fee_per_gas;
        Some(Self { what: what.into(), role: role.into(), chain_id, gas, fee_per_gas, key: None })
    }
}

/// Wei as ETH, without trailing zeros.
fn eth(wei: U256) -> String {
    format_units(wei, 18).map(|t| crate::errors::trim_units(&t)).unwrap_or_else(|_| wei.to_string())
}

impl fmt::Display for Unfunded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let need = self.need();
        let cost = format!(
            "about {} ETH ({} gas at {} gwei)",
            eth(need),
            self.gas,
            format_units(U256::from(self.fee_per_gas), 9)
                .map(|t| crate::errors::trim_units(&t))
                .unwrap_or_default()
        );
        match self.key {
            Some((key, balance)) => write!(
                f,
                "{} key {key} has {} ETH on chain {}, and {} needs {cost}: send it at least {} ETH, then run this again",
                self.role,
                eth(balance),
                self.chain_id,
                self.what,
                eth(need.saturating_sub(balance))
            ),
            None => write!(
                f,
                "{} key has too little ETH on chain {} for {}, which needs {cost}: fund it, then run this again",
                self.role, self.chain_id, self.what
            ),
        }
    }
}

impl std::error::Error for Unfunded {}

/// Waiting for a sent transaction's receipt.
pub trait Confirm {
    /// The receipt of the transaction. On a local node (Anvil mines each transaction as it
    /// arrives) the receipt is asked for straight away and then every few milliseconds: alloy's
    /// `get_receipt` looks once and then waits for its block poller, which ticks every 250 ms on
    /// a local node, so any transaction not mined at the first look cost a quarter second (most
    /// of them, once Anvil's state had grown). Other nodes keep alloy's watcher.
    /// A receipt whose transaction reverted is an error: nothing after it may assume it ran.
    fn confirmed(self) -> impl Future<Output = Result<TransactionReceipt>> + Send;
}

impl Confirm for PendingTransactionBuilder<Ethereum> {
    async fn confirmed(self) -> Result<TransactionReceipt> {
        let receipt = self.receipt().await?;
        if !receipt.status() {
            bail!("transaction {} reverted (gas used {})", receipt.transaction_hash, receipt.gas_used);
        }
        Ok(receipt)
    }
}

/// Waiting for a receipt, as `Confirm::confirmed` does, whatever the transaction's outcome.
trait Receipt {
    fn receipt(self) -> impl Future<Output = Result<TransactionReceipt>> + Send;
}

impl Receipt for PendingTransactionBuilder<Ethereum> {
    async fn receipt(self) -> Result<TransactionReceipt> {
        if !self.provider().client().is_local() {
            return self.get_receipt().await.wrap_err("no receipt");
        }
        let hash = *self.tx_hash();
        let provider = self.provider().clone();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut wait = Duration::from_micros(250);
        loop {
            if let Some(receipt) = provider.get_transaction_receipt(hash).await? {
                return Ok(receipt);
            }
            if Instant::now() > deadline {
                bail!("no receipt for {hash} after 60 s");
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_millis(20));
        }
    }
}
