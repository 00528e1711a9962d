//! The gas snapshot gate: forge rewrites `snapshots/*.json` on every `forge test`; this compares the
//! new figures with the ones committed (`git show HEAD:snapshots/…`). Any difference the working
//! tree did not already hold fails the run — a rise of more than 2% as a regression, any other
//! change (a drop, a small rise, a new or removed figure) as a figure to commit — unless accepted
//! with `--accept-gas`. Small rises cannot pile up unseen, and drops get committed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use eyre::{bail, Result, WrapErr};

/// The largest rise, in percent, that passes without updating the snapshot on purpose.
const TOLERANCE_PERCENT: f64 = 2.0;

/// Each snapshot file: its path, its text in the working tree before the run, and its committed
/// text (none outside a git checkout or for a file not committed yet).
pub struct Before(Vec<(PathBuf, String, Option<String>)>);

fn snapshot_files(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("snapshots");
    let mut files = Vec::new();
    if let Ok(entries) = fs::read_dir(&dir) {
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A forge gas snapshot's figures by name.
pub type Figures = BTreeMap<String, u64>;

/// The figures of the snapshot `text` read from `path` (named in errors).
pub fn parse(path: &Path, text: &str) -> Result<Figures> {
    let json: BTreeMap<String, String> =
        serde_json::from_str(text).wrap_err_with(|| format!("{} is not a gas snapshot", path.display()))?;
    json.into_iter()
        .map(|(k, v)| {
            let gas = v.parse().wrap_err_with(|| format!("{}: {k} is not a number", path.display()))?;
            Ok((k, gas))
        })
        .collect()
}

/// Reads the snapshots as they are before forge rewrites them, and as committed.
pub fn before(root: &Path) -> Result<Before> {
    let mut saved = Vec::new();
    for path in snapshot_files(root)? {
        let text = fs::read_to_string(&path)?;
        let committed = committed(root, &path);
        saved.push((path, text, committed));
    }
    Ok(Before(saved))
}

/// `path` as committed at HEAD, if the tree is a git checkout that has it.
fn committed(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?.to_str()?.replace('\\', "/");
    let output = std::process::Command::new("git")
        .current_dir(root)
        .args(["show", &format!("HEAD:{relative}")])
        .output()
        .ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Compares the rewritten snapshots with the committed ones (`before`). A change the working tree
/// did not already hold fails and puts the old file back, so the gate keeps failing until the
/// figures are accepted on purpose (`accept`: keep forge's new figures; commit them with the change
/// that explains them).
pub fn check(before: Before, accept: bool) -> Result<()> {
    let (mut rises, mut changes, mut pending) = (Vec::new(), Vec::new(), 0usize);
    for (path, old_text, committed_text) in &before.0 {
        let Ok(new_text) = fs::read_to_string(path) else { continue };
        let (old, mut new) = (parse(path, old_text)?, parse(path, &new_text)?);
        // A filtered `forge test` rewrites a file with only the tests it ran: keep the others.
        let dropped: Vec<_> = old.iter().filter(|(k, _)| !new.contains_key(*k)).collect();
        if !dropped.is_empty() {
            new.extend(dropped.into_iter().map(|(k, v)| (k.clone(), *v)));
            let json: BTreeMap<&String, String> = new.iter().map(|(k, v)| (k, v.to_string())).collect();
            fs::write(path, serde_json::to_string_pretty(&json)?)
                .wrap_err_with(|| format!("rewriting {}", path.display()))?;
        }
        let committed = match committed_text {
            Some(text) => parse(path, text)?,
            None => old.clone(),
        };
        let file = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let (file_rises, file_changes, file_pending) = compare(&file, &committed, &old, &new);
        pending += file_pending;
        if (!file_rises.is_empty() || !file_changes.is_empty()) && !accept {
            fs::write(path, old_text).wrap_err_with(|| format!("restoring {}", path.display()))?;
        }
        rises.extend(file_rises);
        changes.extend(file_changes);
    }
    let note = if pending == 0 {
        String::new()
    } else {
        format!("; {pending} accepted figures not committed yet: commit snapshots/")
    };
    if rises.is_empty() && changes.is_empty() {
        println!("gas snapshots: as committed{note}");
        return Ok(());
    }
    let mut report = String::new();
    if !rises.is_empty() {
        report += &format!(
            "rises above {TOLERANCE_PERCENT}% against the committed snapshot:\n{}\n",
            rises.join("\n")
        );
    }
    if !changes.is_empty() {
        report += &format!("other changes against the committed snapshot:\n{}\n", changes.join("\n"));
    }
    if accept {
        println!("gas snapshots: accepted (commit snapshots/ with the change){note}\n{report}");
        return Ok(());
    }
    bail!(
        "gas figures differ from the committed snapshot{note}\n{report}\
         If this is on purpose, run `cargo xtask test --accept-gas` and commit snapshots/."
    )
}

/// One file's figures: rises above the tolerance and other changes against `committed` that the
/// working tree (`old`) did not already hold, and how many it held (accepted, not committed).
fn compare(
    file: &str,
    committed: &Figures,
    old: &Figures,
    new: &Figures,
) -> (Vec<String>, Vec<String>, usize) {
    let (mut rises, mut changes, mut pending) = (Vec::new(), Vec::new(), 0);
    let names: std::collections::BTreeSet<&String> = committed.keys().chain(new.keys()).collect();
    for name in names {
        let (was, now) = (committed.get(name), new.get(name));
        if was == now {
            continue;
        }
        if now == old.get(name) {
            pending += 1;
            continue;
        }
        match (was, now) {
            (Some(&was), Some(&now)) => {
                let rise = (now as f64 - was as f64) * 100.0 / was.max(1) as f64;
                let line = format!("  {file} {name}: {was} -> {now} ({rise:+.1}%)");
                if rise > TOLERANCE_PERCENT {
                    rises.push(line)
                } else {
                    changes.push(line)
                }
            }
            (Some(&was), None) => changes.push(format!("  {file} {name}: {was} -> removed")),
            (None, Some(&now)) => changes.push(format!("  {file} {name}: new, {now}")),
            (None, None) => {}
        }
    }
    (rises, changes, pending)
}

/// Figures from `(name, gas)` pairs, for the tests.
#[cfg(test)]
pub fn figures(pairs: &[(&str, u64)]) -> Figures {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_rise_or_a_drop_is_flagged_until_accepted() {
        let committed = figures(&[("a", 1000), ("b", 1000)]);
        let new = figures(&[("a", 1010), ("b", 900)]);
        let (rises, changes, pending) = compare("f", &committed, &committed, &new);
        assert!(rises.is_empty());
        assert_eq!(changes.len(), 2);
        assert_eq!(pending, 0);
        // Accepted into the working tree, not committed yet: a note, not a failure.
        let (rises, changes, pending) = compare("f", &committed, &new, &new);
        assert!(rises.is_empty() && changes.is_empty());
        assert_eq!(pending, 2);
    }

    #[test]
    fn a_rise_above_the_tolerance_is_a_regression() {
        let committed = figures(&[("a", 1000)]);
        let (rises, changes, _) = compare("f", &committed, &committed, &figures(&[("a", 1030)]));
        assert_eq!(rises.len(), 1);
        assert!(changes.is_empty());
    }

    #[test]
    fn new_and_removed_figures_are_changes() {
        let committed = figures(&[("a", 1000)]);
        let (_, changes, _) = compare("f", &committed, &committed, &figures(&[("b", 5)]));
        assert_eq!(changes.len(), 2);
    }
}
