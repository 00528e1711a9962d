//! A real ERC-4337 bundler on the dev chain: Pimlico's Alto (npm `@pimlico/alto`, pinned in
//! `package.json`, GPL-3.0: run as a separate program, never linked or shipped), started against the
//! node [`Devnet`] spawned and stopped when [`Alto`] drops.
//!
//! Its executor and utility wallets are Anvil's keys 8 and 9, which nothing else here signs with,
//! so their nonces never race the deployer's (key 0) or the operators' (keys 1 to 5).
//!
//! Alto logs at `warn` into a temporary file, removed when it stops; `LEASH_ALTO_LOG_LEVEL=debug`
//! (or `info`) logs more and keeps the file, to see what it was asked and what it answered.

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::hex;
use alloy::primitives::Address;
use alloy::transports::http::reqwest::Url;
use eyre::{bail, eyre, Result, WrapErr};
use leash::bundler::Bundler;

use crate::Devnet;

/// The Anvil keys Alto's executor and utility wallets use.
pub const EXECUTOR_KEY: usize = 8;
pub const UTILITY_KEY: usize = 9;
/// How long Alto may take to answer after it starts (it deploys its simulation contracts first).
const STARTUP: Duration = Duration::from_secs(90);

/// How Alto runs.
#[derive(Debug, Clone)]
pub struct AltoOptions {
    /// The EntryPoints it serves.
    pub entry_points: Vec<Address>,
    /// ERC-7562's validation rules, checked with a JavaScript debug tracer (`debug_traceCall`).
    pub safe_mode: bool,
}

/// A running Alto process: killed when this drops.
pub struct Alto {
    child: Child,
    pub url: Url,
    /// Its output, for the reasons of a refusal or a dropped operation ([`Self::log_tail`]).
    pub log: PathBuf,
    pub options: AltoOptions,
}

impl Devnet {
    /// Starts Alto (`node_modules/.bin/alto`) against this node on a free port, and waits until it
    /// answers `eth_supportedEntryPoints` with the EntryPoints asked for.
    pub async fn start_alto(&self, options: AltoOptions) -> Result<Alto> {
        let bin = self.root.join("node_modules/.bin/alto");
        if !bin.exists() {
            bail!(
                "{} is missing: run `cargo xtask setup` (it installs the pinned @pimlico/alto)",
                bin.display()
            );
        }
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!("leash-alto-{port}.log"));
        let out = File::create(&log).wrap_err_with(|| format!("could not create {}", log.display()))?;
        let key = |i: usize| format!("0x{}", hex::encode(self.key(i).to_bytes()));
        let entry_points: Vec<String> = options.entry_points.iter().map(|a| a.to_string()).collect();
        let child = Command::new(&bin)
            .current_dir(&self.root)
            .args(["--entrypoints", &entry_points.join(",")])
            .args(["--executor-private-keys", &key(EXECUTOR_KEY)])
            .args(["--utility-private-key", &key(UTILITY_KEY)])
            .args(["--rpc-url", self.anvil.endpoint().as_str()])
            .args(["--port", &port.to_string()])
            .args(["--safe-mode", if options.safe_mode { "true" } else { "false" }])
            // Anvil mines a block per transaction: no need to wait a second between bundles.
            .args(["--min-bundle-interval", "50", "--max-bundle-interval", "200"])
            .args(["--log-level", &std::env::var("LEASH_ALTO_LOG_LEVEL").unwrap_or_else(|_| "warn".into())])
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .wrap_err_with(|| {
                format!("could not start {} (Node.js 20 or later must be on PATH)", bin.display())
            })?;
        let url: Url = format!("http://127.0.0.1:{port}").parse().expect("a valid URL");
        let mut alto = Alto { child, url, log, options };
        alto.ready().await?;
        Ok(alto)
    }
}

impl Alto {
    /// A client of this bundler.
    pub fn client(&self) -> Bundler {
        Bundler::new(self.url.clone())
    }

    /// The last lines of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    async fn ready(&mut self) -> Result<()> {
        let client = self.client();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "alto exited ({status}) before it answered; its log ({}):\n{}",
                    self.log.display(),
                    self.log_tail()
                );
            }
            if let Ok(served) = client.supported_entry_points().await {
                if let Some(missing) = self.options.entry_points.iter().find(|a| !served.contains(a)) {
                    bail!("alto serves {served:?}, not {missing}");
                }
                return Ok(());
            }
            if start.elapsed() > STARTUP {
                return Err(eyre!(
                    "alto did not answer at {} within {} s; its log ({}):\n{}",
                    self.url,
                    STARTUP.as_secs(),
                    self.log.display(),
                    self.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for Alto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::env::var_os("LEASH_ALTO_LOG_LEVEL").is_none() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// A port nothing listens on now (the OS picks it; Alto binds it a moment later).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").wrap_err("could not find a free port")?;
    Ok(listener.local_addr()?.port())
}
