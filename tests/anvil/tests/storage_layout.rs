//! docs/ARCHITECTURE.md's storage layout against the compiler's: every storage variable of every
//! module is in the table (or, for the policy engine, in its own table), and every variable the
//! table names for a module exists in that module (`forge inspect <Module> storageLayout`).

use std::collections::BTreeSet;
use std::process::Command;

use leash_anvil_tests::{ensure_artifacts, forge_lock, project_root};

const MODULES: [&str; 7] = [
    "HookMultiPlexer",
    "AllowlistHook",
    "EmergencyPauseHook",
    "SpendingLimitHook",
    "AutomationExecutor",
    "AgentValidator",
    "PolicyEngine",
];

/// The storage variables the compiler lays out for `module`.
fn layout(module: &str) -> BTreeSet<String> {
    let root = project_root();
    let _forge = forge_lock();
    let output = Command::new(root.join("node_modules/.bin/forge"))
        .current_dir(&root)
        .args(["inspect", module, "storageLayout", "--json"])
        .output()
        .expect("forge runs");
    assert!(output.status.success(), "forge inspect {module}: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a storage layout in JSON");
    json["storage"]
        .as_array()
        .expect("a storage list")
        .iter()
        .map(|entry| entry["label"].as_str().expect("a label").to_string())
        .collect()
}

/// Identifiers written as `` `_name...` `` in a table cell.
fn variables(cell: &str) -> BTreeSet<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|code| {
            let name: String = code.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            name.starts_with('_').then_some(name)
        })
        .collect()
}

/// (module column, variables of the slot column) for each row of the "Storage layout" table, and
/// the variables of the policy engine's own table.
fn documented() -> (Vec<(String, BTreeSet<String>)>, BTreeSet<String>) {
    let text = std::fs::read_to_string(project_root().join("docs/ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let section = |title: &str| -> String {
        let start = text.find(title).unwrap_or_else(|| panic!("ARCHITECTURE.md has no `{title}`"));
        let rest = &text[start + title.len()..];
        rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
    };
    let rows = section("## Storage layout")
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| module") && !line.starts_with("|---"))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            (cells[0].trim_start_matches("| ").to_string(), variables(cells.get(1).copied().unwrap_or("")))
        })
        .collect();
    let engine = section("## The policy engine")
        .lines()
        .filter(|line| line.starts_with("| "))
        .flat_map(|line| variables(line.split(" | ").nth(1).unwrap_or("")))
        .collect();
    (rows, engine)
}

#[test]
fn architecture_storage_table_matches_the_compiled_layouts() {
    ensure_artifacts().expect("forge build");
    let (rows, engine) = documented();
    let shared: BTreeSet<String> =
        rows.iter().filter(|(m, _)| m.starts_with("LeashModule")).flat_map(|(_, v)| v.clone()).collect();
    assert!(!shared.is_empty(), "the table has no LeashModule rows");
    for module in MODULES {
        let compiled = layout(module);
        let mut doc: BTreeSet<String> =
            rows.iter().filter(|(m, _)| m == module).flat_map(|(_, v)| v.clone()).collect();
        if module == "PolicyEngine" {
            doc.extend(engine.iter().cloned());
        }
        for name in &doc {
            assert!(
                compiled.contains(name),
                "ARCHITECTURE.md names `{name}` for {module}, which has no such variable"
            );
        }
        doc.extend(shared.iter().cloned());
        let missing: Vec<_> = compiled.difference(&doc).collect();
        assert!(
            missing.is_empty(),
            "{module} stores {missing:?}, which ARCHITECTURE.md's storage tables do not name"
        );
    }
    for name in &shared {
        assert!(
            layout("HookMultiPlexer").contains(name),
            "the shared row names `{name}`, which LeashModule lacks"
        );
    }
}

#[test]
fn a_cell_yields_its_variables() {
    assert_eq!(
        variables(
            "`_approvals[account][approvalEpoch][hash]` and `_records[account]`, not `authority (160)`"
        ),
        BTreeSet::from(["_approvals".to_string(), "_records".to_string()])
    );
}
