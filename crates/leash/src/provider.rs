//! Providers that sign with a local key and fetch the nonce for every transaction. (A cached
//! nonce is reserved even when gas estimation then refuses the transaction, which would leave
//! every later transaction of that key stuck behind a gap.)

use alloy::network::EthereumWallet;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use eyre::{eyre, Result};

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
