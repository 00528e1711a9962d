//! `status --account …`: an account's whole leash in one read ([`leash::status::read`]), as
//! aligned sections, or with `--json` (a flag of every operator command's chain arguments) as one
//! JSON object on stdout.

use std::path::Path;

use alloy::primitives::Address;
use clap::Args;
use eyre::Result;
use leash::provider::connect;
use leash::status::{self, AccountStatus, Time};

use crate::operate::{modules_for, Chain};
use crate::table;

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The account to read.
    #[arg(long)]
    account: Address,
    /// How many blocks back to look for refused UserOps (the last 5 are shown).
    #[arg(long, value_name = "N", default_value_t = status::REFUSAL_BLOCKS)]
    blocks: u64,
    #[command(flatten)]
    chain: Chain,
}

pub fn run(root: &Path, args: StatusArgs) -> Result<()> {
    crate::block_on(async {
        let provider = connect(&args.chain.rpc_url, None).await?;
        let modules = modules_for(root, &provider, &args.chain.overrides).await?;
        let status = status::read(&provider, args.account, &modules, args.blocks).await?;
        if args.chain.json {
            println!("{}", serde_json::to_string_pretty(&status)?);
        } else {
            print!("{}", human(&status, args.blocks));
        }
        Ok(())
    })
}

/// The sections an operator reads: a heading line, then one table per part of the leash.
fn human(s: &AccountStatus, blocks: u64) -> String {
    let mut out =
        format!("account {} on chain {}, block {} ({})\n", s.account, s.chain_id, s.block, s.time.utc);
    if !s.installed {
        out.push_str("no Leash module installed\n");
        return out;
    }
    let hook = s.hook.map_or("no Leash hook".to_string(), |h| format!("hook: {h}"));
    out.push_str(&format!("{hook}, authority {}\n", s.authority.unwrap_or_default()));

    let mut section = |title: &str, body: String| out.push_str(&format!("\n{title}\n{body}\n"));
    match &s.pause {
        None => section("pause", "no guardian: no pause policy".to_string()),
        Some(p) => {
            let mut t = table::new(&["state", "guardian", "auto-unpause", "next pause possible"], &[]);
            let state = match &p.until {
                Some(until) if p.paused => format!("paused until {}", until.utc),
                _ => "not paused".to_string(),
            };
            let auto = match p.auto_unpause_after {
                0 => "manual only".to_string(),
                s => format!("after {}", duration(s)),
            };
            t.add_row(vec![state, p.guardian.to_string(), auto, p.next_pause_at.utc.clone()]);
            section("pause", t.to_string());
        }
    }
    if !s.spending.is_empty() {
        let mut t = table::new(
            &["token", "limit", "window", "spent in window", "left now", "more frees up", "all free at"],
            &[1, 3, 4],
        );
        for token in &s.spending {
            let when = |t: &Option<Time>| t.as_ref().map_or("-".to_string(), |t| t.utc.clone());
            let shared = [token.left.text.clone(), when(&token.more_at), when(&token.all_at)];
            for (i, w) in token.windows.iter().enumerate() {
                let name = if i == 0 { token.name.clone() } else { String::new() };
                let mut row = vec![name, w.limit.text.clone(), duration(w.seconds), w.spent.text.clone()];
                row.extend(shared.iter().map(|c| if i == 0 { c.clone() } else { String::new() }));
                t.add_row(row);
            }
            if let Some(cap) = &token.per_tx_cap {
                let name = if token.windows.is_empty() { token.name.clone() } else { String::new() };
                t.add_row(vec![name, cap.text.clone(), "per tx".to_string()]);
            }
        }
        section("spending", t.to_string());
    }
    if !s.tasks.is_empty() {
        let mut t = table::new(&["task", "keeper", "target", "runs", "next run"], &[0, 3]);
        for task in &s.tasks {
            let runs = match task.max_runs {
                0 => task.runs.to_string(),
                max => format!("{} of {max}", task.runs),
            };
            let next = match &task.next_run {
                _ if task.can_run => "now".to_string(),
                Some(at) => format!("{} ({})", at.utc, task.blocker),
                None => format!("never ({})", task.blocker),
            };
            t.add_row(vec![
                task.id.to_string(),
                task.keeper.to_string(),
                task.target.to_string(),
                runs,
                next,
            ]);
        }
        section("tasks", t.to_string());
    }
    if !s.sessions.is_empty() {
        let mut t = table::new(&["session of", "state", "until", "uses", "may still move"], &[3]);
        for session in &s.sessions {
            let uses = match session.max_uses {
                0 => session.uses.to_string(),
                max => format!("{} of {max}", session.uses),
            };
            let moves: Vec<&str> = session.may_move.iter().map(|a| a.text.as_str()).collect();
            t.add_row(vec![
                session.agent.to_string(),
                session.state.clone(),
                session.valid_until.utc.clone(),
                uses,
                moves.join(", "),
            ]);
        }
        section("sessions", t.to_string());
    }
    match &s.agent {
        None => section("agent", "AgentValidator is not installed".to_string()),
        Some(a) => {
            let mut t = table::new(&["agent key", "gas allowance"], &[]);
            let key = a.key.map_or("none (none set, or revoked)".to_string(), |k| k.to_string());
            t.add_row(vec![key, a.gas_allowance.text.clone()]);
            section("agent", t.to_string());
        }
    }
    let title = format!("last refusals (UserOps whose execution reverted, last {blocks} blocks)");
    if s.refusals.is_empty() {
        section(&title, "none".to_string());
    } else {
        let mut t = table::new(&["block", "time", "refusal"], &[0]);
        for r in &s.refusals {
            t.add_row(vec![r.block.to_string(), r.time.utc.clone(), r.reason.clone()]);
        }
        section(&title, t.to_string());
    }
    out
}

/// A window as policy files write it: `1d`, `6h`, `90s`.
fn duration(seconds: u64) -> String {
    for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds >= size && seconds.is_multiple_of(size) {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn windows_read_as_policy_files_write_them() {
        assert_eq!(duration(86_400), "1d");
        assert_eq!(duration(3 * 3_600), "3h");
        assert_eq!(duration(604_800), "1w");
        assert_eq!(duration(90), "90s");
        assert_eq!(duration(120), "2m");
    }
}
