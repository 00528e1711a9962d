//! docs/COMPATIBILITY.md's gas tables, rendered from the forge snapshot `snapshots/AccountGas.json`
//! (what `tests/solidity/gas/AccountGas.t.sol` records on each account), so that the page holds the
//! committed figures and `bench --check` fails when it does not.

use std::fmt::Write;
use std::path::Path;

use eyre::{Result, WrapErr};

use super::report::{n, signed};
use crate::gas::{self, Figures};

pub const DOC: &str = "docs/COMPATIBILITY.md";
pub const SNAPSHOT: &str = "snapshots/AccountGas.json";

/// Snapshot prefix → the account's name in the table, in the table's order.
const ACCOUNTS: [(&str, &str); 6] = [
    ("OpenZeppelin", "OpenZeppelin"),
    ("Nexus", "Nexus"),
    ("ReferenceMSA", "reference MSA"),
    ("Safe+Safe7579", "Safe7579"),
    ("Kernel", "Kernel"),
    ("EIP-7702 EOA", "an EOA through EIP-7702 (LeashEOAAccount)"),
];

/// The columns of the account table: (base figure, figure with Leash) for the UserOp and for the
/// EntryPoint's `execute` call alone.
const USER_OP: (&str, &str) = ("userOp_owner_noHook", "userOp_agent_fullStack");
const EXECUTE: (&str, &str) = ("execute_noHook", "execute_fullStack");

/// The session figures (OpenZeppelin, the policy engine as the hook).
const GRANT: &str = "OpenZeppelin_grantSession";
const SESSION: &str = "OpenZeppelin_userOp_session";
const ENABLE: &str = "OpenZeppelin_userOp_session_enable";
const OWNER: &str = "OpenZeppelin_userOp_owner_noHook";

/// The snapshot's figures by name.
pub fn read(root: &Path) -> Result<Figures> {
    let text =
        std::fs::read_to_string(root.join(SNAPSHOT)).wrap_err_with(|| format!("{SNAPSHOT} is missing"))?;
    gas::parse(Path::new(SNAPSHOT), &text)
}

/// The markdown between the `bench:accounts` markers: one row per account, then the session
/// figures, then any figure of the snapshot neither names (so none is left out unseen).
pub fn table(figures: &Figures) -> String {
    let mut used: Vec<String> = Vec::new();
    let mut get = |name: String| -> Option<u64> {
        let value = figures.get(&name).copied();
        used.push(name);
        value
    };
    let cell = |v: Option<u64>| v.map_or("–".to_string(), n);
    let over = |base: Option<u64>, with: Option<u64>| match (base, with) {
        (Some(b), Some(w)) => signed(w as i64 - b as i64),
        _ => "–".to_string(),
    };
    let mut out = String::from(
        "| account | owner's UserOp, no hook | agent's UserOp, AgentValidator + multiplexer stack | overhead | execute, no hook | execute, multiplexer stack | overhead |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (prefix, name) in ACCOUNTS {
        let mut row = format!("| {name} |");
        for (base, with) in [USER_OP, EXECUTE] {
            let (b, w) = (get(format!("{prefix}_{base}")), get(format!("{prefix}_{with}")));
            let _ = write!(row, " {} | {} | {} |", cell(b), cell(w), over(b, w));
        }
        out.push_str(&row);
        out.push('\n');
    }
    let (grant, session, enable, owner) =
        (get(GRANT.into()), get(SESSION.into()), get(ENABLE.into()), get(OWNER.into()));
    if grant.is_some() || session.is_some() || enable.is_some() {
        out.push_str(
            "\nAn agent's session on OpenZeppelin, the policy engine as the hook (one permitted pair, one \
             parameter rule, its own limit, a usage limit, a time range):\n\n\
             | case | gas | over |\n|---|---:|---|\n",
        );
        let _ = writeln!(out, "| granting it, the authority's `grantSession` call | {} | |", cell(grant));
        let _ = writeln!(
            out,
            "| its UserOp (ERC-20 transfer) | {} | {} over the owner's UserOp with no hook |",
            cell(session),
            over(owner, session)
        );
        let _ = writeln!(
            out,
            "| its first UserOp carrying its grant (enable-in-first-op) | {} | {} over the UserOp granted before |",
            cell(enable),
            over(session, enable)
        );
    }
    let rest: Vec<(&String, &u64)> = figures.iter().filter(|(k, _)| !used.contains(k)).collect();
    if !rest.is_empty() {
        out.push_str("\nFurther figures of the snapshot:\n\n| figure | gas |\n|---|---:|\n");
        for (k, v) in rest {
            let _ = writeln!(out, "| `{k}` | {} |", n(*v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gas::figures;

    #[test]
    fn each_account_gets_its_figures_and_overheads() {
        let t = table(&figures(&[
            ("Nexus_userOp_owner_noHook", 100_000),
            ("Nexus_userOp_agent_fullStack", 170_500),
            ("Nexus_execute_noHook", 24_000),
            ("Nexus_execute_fullStack", 85_000),
        ]));
        assert!(t.contains("| Nexus | 100,000 | 170,500 | +70,500 | 24,000 | 85,000 | +61,000 |"), "{t}");
        // An account with no figures shows dashes, not zeros.
        assert!(t.contains("| Kernel | – | – | – | – | – | – |"), "{t}");
        assert!(!t.contains("session"), "{t}");
    }

    #[test]
    fn session_figures_are_over_their_baselines() {
        let t = table(&figures(&[(OWNER, 70_000), (SESSION, 100_000), (ENABLE, 250_000), (GRANT, 146_000)]));
        assert!(t.contains("| its UserOp (ERC-20 transfer) | 100,000 | +30,000 over"), "{t}");
        assert!(t.contains("enable-in-first-op) | 250,000 | +150,000 over"), "{t}");
        assert!(t.contains("`grantSession` call | 146,000 |"), "{t}");
    }

    #[test]
    fn a_figure_no_row_names_is_still_shown() {
        let t = table(&figures(&[("Nexus_userOp_agent_engine", 150_000)]));
        assert!(t.contains("| `Nexus_userOp_agent_engine` | 150,000 |"), "{t}");
    }

    #[test]
    fn the_committed_snapshot_parses() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository root");
        let figures = read(root).expect("snapshots/AccountGas.json");
        assert!(figures.contains_key(OWNER));
    }
}
