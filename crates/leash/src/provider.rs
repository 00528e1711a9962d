//! Providers that sign with a local key and fetch the nonce for every transaction. (A cached
//! nonce is reserved even when gas estimation then refuses the transaction, which would leave
//! every later transaction of that key stuck behind a gap.) And [`Confirm`], which waits for a
//! receipt without alloy's block polling on a local node.

use std::future::Future;
use std::time::{Duration, Instant};

use alloy::network::{Ethereum, EthereumWallet};
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

/// Parses an `http(s)://` endpoint.
pub fn parse_url(url: &str) -> Result<Url> {
    url.parse().map_err(|_| eyre!("`{url}` is not an http(s) URL"))
}

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
