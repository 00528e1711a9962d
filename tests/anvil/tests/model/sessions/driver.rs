//! The sessions' driver: each step as real UserOps and transactions on the dev chain, and the
//! contracts' views read back.

use alloy::primitives::utils::parse_ether;
use alloy::primitives::{Address, FixedBytes, U256};
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use eyre::{ensure, eyre, Result};
use leash::abi::IERC7579Batch;
use leash::abi::IPolicyEngine;
use leash::account::{execute_batch_as, execute_single_as, outcome_of, UserOpSender};
use leash::addresses::ModuleAddresses;
use leash::config::{self, SessionConfig};
use leash::errors::TokenBook;
use leash::ops;
use leash::provider::Confirm;
use leash_anvil_tests::abi::TestToken;
use leash_anvil_tests::sessions::SessionBed;
use leash_anvil_tests::{devnet, Devnet, Options};

use super::{Names, Step, Verdict, SESSIONS_FILE, START};

pub struct Driver {
    _net: Devnet,
    provider: DynProvider,
    authority: DynProvider,
    authority_key: PrivateKeySigner,
    guardian: DynProvider,
    owner: UserOpSender<DynProvider>,
    modules: ModuleAddresses,
    /// The three agents' keys, then a key with no session.
    keys: [PrivateKeySigner; 4],
    pub names: Names,
    pub configs: Vec<SessionConfig>,
    /// Taken again after each revert (`evm_revert` consumes it).
    snapshot: std::cell::Cell<U256>,
    pub start: u64,
}

impl Driver {
    /// A node with the Leash modules, a token, an account with the engine (a guardian only
    /// account-wide) and AgentValidator installed, the three sessions granted; snapshotted.
    pub async fn spawn() -> Result<Self> {
        let net = devnet(Options { prune_history: true, ..Options::default() })?;
        let provider = net.provider.clone();
        provider.anvil_set_block_timestamp_interval(1).await?;
        provider.anvil_set_next_block_timestamp(START - 100).await?;
        let owner = net.test_account(PrivateKeySigner::random()).await?;
        let bed = SessionBed::new(net, owner, U256::ZERO).await?;
        let account = bed.owner.account;
        let token = bed.net.deploy_token("TestToken", "T").await?;
        TestToken::new(token, provider.clone())
            .mint(account, U256::from(1_000_000u64))
            .send()
            .await?
            .confirmed()
            .await?;
        provider
            .send_transaction(TransactionRequest::default().to(account).value(parse_ether("1")?))
            .await?
            .confirmed()
            .await?;
        let keys = [0, 1, 2, 3].map(|_| PrivateKeySigner::random());
        let payees = [0xa1, 0xa2, 0xa3].map(Address::with_last_byte);
        let guardian = bed.net.anvil.addresses()[2];
        let mut vars: std::collections::BTreeMap<String, Address> = [
            ("AUTHORITY".to_string(), bed.authority.address()),
            ("GUARDIAN".to_string(), guardian),
            ("TOKEN".to_string(), token),
        ]
        .into_iter()
        .collect();
        for i in 0..3 {
            vars.insert(format!("AGENT_{i}"), keys[i].address());
            vars.insert(format!("PAYEE_{i}"), payees[i]);
        }
        let policy = config::parse_with("sessions.toml", SESSIONS_FILE, &vars).map_err(|e| eyre!("{e}"))?;
        bed.install(&policy, &TokenBook::default()).await?;
        bed.grant_all(&policy, &TokenBook::default()).await?;
        let latest =
            provider.get_block_by_number(Default::default()).await?.ok_or_else(|| eyre!("no block"))?;
        let start = latest.header.timestamp;
        ensure!(start < START, "the setup ran past the sessions' start");
        let snapshot = provider.anvil_snapshot().await?;
        let (authority, guardian) = (bed.authority_wallet(), bed.net.wallet(2));
        let SessionBed { net, owner, modules, authority: authority_key } = bed;
        Ok(Self {
            _net: net,
            provider,
            authority,
            authority_key,
            guardian,
            owner,
            modules,
            keys,
            names: Names { account, token, payees },
            configs: policy.sessions,
            snapshot: std::cell::Cell::new(snapshot),
            start,
        })
    }

    /// Back to the snapshot.
    pub async fn reset(&self) -> Result<()> {
        ensure!(self.provider.anvil_revert(self.snapshot.get()).await?, "the snapshot is gone");
        self.snapshot.set(self.provider.anvil_snapshot().await?);
        Ok(())
    }

    /// `step` on the chain, mined at `at` (the model's time after it).
    pub async fn perform(&self, step: &Step, at: u64) -> Result<Option<Verdict>> {
        let (engine, account) = (self.modules.engine, self.names.account);
        match step {
            Step::Warp(_) => Ok(None),
            Step::Revoke(s) => {
                self.provider.anvil_set_next_block_timestamp(at).await?;
                ops::revoke_session(&self.authority, engine, account, self.configs[usize::from(*s)].agent)
                    .await?;
                Ok(None)
            }
            Step::Grant(s) => {
                self.provider.anvil_set_next_block_timestamp(at).await?;
                let cfg = &self.configs[usize::from(*s)];
                ops::grant_session(&self.authority, engine, account, cfg, &TokenBook::default()).await?;
                Ok(None)
            }
            Step::Pause | Step::Unpause => {
                // Sent as they are, at `at` (a simulation would run at the last block's time): a
                // refused one reverts, which `pausedUntil` shows.
                let engine = IPolicyEngine::new(engine, self.guardian.clone());
                self.provider.anvil_set_next_block_timestamp(at).await?;
                let pending = if matches!(step, Step::Pause) {
                    engine.pause(account).gas(200_000).send().await?
                } else {
                    engine.unpause(account).gas(200_000).send().await?
                };
                // Its receipt asked for directly: with alloy's receipt watcher, whose poller keeps
                // running across the snapshot reverts, a pause sent again from the same nonce in a
                // later case failed now and then (a null receipt, or a pruned block asked for).
                let hash = *pending.tx_hash();
                let started = std::time::Instant::now();
                while self.provider.get_transaction_receipt(hash).await?.is_none() {
                    ensure!(started.elapsed().as_secs() < 30, "{step:?} not mined");
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
                Ok(None)
            }
            Step::Op { session, key, calls, enable } => {
                let key = &self.keys[usize::from(*key)];
                let cfg = &self.configs[usize::from(*session)];
                let sender = UserOpSender {
                    session: Some(cfg.agent),
                    ..self.owner.clone().signed_by(key.clone()).via_validator(self.modules.validator)
                };
                let items: Vec<(Address, U256, Vec<u8>)> = calls.iter().map(|c| self.names.call(c)).collect();
                let call_data = match items.as_slice() {
                    [(target, value, data)] => execute_single_as(sender.session, *target, *value, data),
                    _ => execute_batch_as(
                        sender.session,
                        &items
                            .into_iter()
                            .map(|(target, value, data)| IERC7579Batch::Execution {
                                target,
                                value,
                                callData: data.into(),
                            })
                            .collect::<Vec<_>>(),
                    ),
                };
                let mut op = sender.user_op(call_data).await?;
                sender.sign(&mut op, key).await?;
                if *enable {
                    let grant =
                        ops::sign_session(&self.provider, engine, account, cfg, &self.authority_key).await?;
                    op.signature = [&op.signature[..], &grant[..]].concat().into();
                }
                let entry_point = sender.entry_point();
                let hash = entry_point.getUserOpHash(op.clone()).call().await?;
                // Sent without a simulation, so that it runs at exactly `at`.
                self.provider.anvil_set_next_block_timestamp(at).await?;
                let receipt = entry_point
                    .handleOps(vec![op], sender.bundler)
                    .gas(15_000_000)
                    .send()
                    .await?
                    .get_receipt()
                    .await?;
                ensure!(receipt.block_number.is_some(), "not mined");
                if !receipt.status() {
                    return Ok(Some(Verdict::Invalid));
                }
                let outcome = outcome_of(&receipt, sender.entry_point, hash, 0)?;
                Ok(Some(match outcome.refusal() {
                    None => Verdict::Accepted,
                    Some(refusal) => Verdict::Refused(refusal),
                }))
            }
        }
    }

    /// (live, uses, epoch) of each session.
    pub async fn views(&self) -> Result<Vec<(bool, u64, u64)>> {
        let engine = IPolicyEngine::new(self.modules.engine, self.provider.clone());
        let mut out = Vec::new();
        for cfg in &self.configs {
            let s = engine.sessionOf(self.names.account, cfg.agent).call().await?;
            out.push((s.live, s.uses.to::<u64>(), s.epoch.to::<u64>()));
        }
        Ok(out)
    }

    /// `sessionArgumentRemaining` of session `s` for rule `rule` of its entry for (target, selector).
    pub async fn cap_remaining(
        &self,
        s: usize,
        target: Address,
        selector: FixedBytes<4>,
        rule: usize,
    ) -> Result<U256> {
        let engine = IPolicyEngine::new(self.modules.engine, self.provider.clone());
        Ok(engine
            .sessionArgumentRemaining(
                self.names.account,
                self.configs[s].agent,
                target,
                selector,
                U256::from(rule),
            )
            .call()
            .await?)
    }

    /// `sessionRemaining` of session `s` for what it limits (the token, or ether).
    pub async fn remaining(&self, s: usize) -> Result<U256> {
        let engine = IPolicyEngine::new(self.modules.engine, self.provider.clone());
        let limited = self.configs[s].spending.first().map_or(self.names.token, |l| l.token);
        Ok(engine.sessionRemaining(self.names.account, self.configs[s].agent, limited).call().await?)
    }

    /// The engine's `pausedUntil` for the account.
    pub async fn paused_until(&self) -> Result<u64> {
        let engine = IPolicyEngine::new(self.modules.engine, self.provider.clone());
        Ok(engine.pausedUntil(self.names.account).call().await?.to::<u64>())
    }
}
