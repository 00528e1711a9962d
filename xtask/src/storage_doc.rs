//! docs/ARCHITECTURE.md's storage table against the compiler's layout in forge's artifacts: where a
//! row's contents start with a packed slot written as fields and widths in bits,
//! `` `authority (160) | generation (48) | approvalEpoch (48)` ``, the variable of its slot column
//! must hold a struct whose first slot has exactly those members, in storage order, with those
//! widths (each member's name starting with the field's first word). Which variables each module
//! stores is checked by tests/anvil/tests/storage_layout.rs; this checks what the rows say
//! is inside them.

use std::path::Path;

use eyre::{bail, eyre, Result, WrapErr};
use serde_json::Value;

pub const DOC: &str = "docs/ARCHITECTURE.md";

/// One claim of the table: in `module`, variable `variable` packs `fields` (name, bits).
#[derive(Debug, PartialEq, Eq)]
struct Claim {
    module: String,
    variable: String,
    fields: Vec<(String, u64)>,
}

/// Checks every packed-slot claim of the storage table against `out/<Module>.sol/<Module>.json`.
pub fn check(root: &Path) -> Result<usize> {
    let doc = std::fs::read_to_string(root.join(DOC)).wrap_err_with(|| format!("{DOC} is missing"))?;
    let claims = claims(&doc)?;
    if claims.is_empty() {
        bail!("{DOC}'s storage table states no packed slot: the check would check nothing");
    }
    let mut wrong = Vec::new();
    for claim in &claims {
        // The shared rows are LeashModule's, which every module inherits.
        let module =
            if claim.module.starts_with("LeashModule") { "LeashModule" } else { claim.module.as_str() };
        let path = root.join("out").join(format!("{module}.sol")).join(format!("{module}.json"));
        let text = std::fs::read_to_string(&path)
            .wrap_err_with(|| format!("{} is missing: run forge build", path.display()))?;
        let artifact: Value = serde_json::from_str(&text)?;
        let compiled = packed_members(&artifact["storageLayout"], &claim.variable)
            .wrap_err_with(|| format!("{module}.{}", claim.variable))?;
        if let Some(problem) = compare(&claim.fields, &compiled) {
            wrong.push(format!("  {module} `{}`: {problem}", claim.variable));
        }
    }
    if !wrong.is_empty() {
        bail!("{DOC}'s storage table disagrees with the compiled layout:\n{}", wrong.join("\n"));
    }
    Ok(claims.len())
}

/// The packed-slot claims of the "## Storage layout" table.
fn claims(doc: &str) -> Result<Vec<Claim>> {
    let start = doc.find("\n## Storage layout").ok_or_else(|| eyre!("{DOC} has no `## Storage layout`"))?;
    let section = &doc[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |i| i + 1)];
    let mut out = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| module")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells.len() < 3 {
            continue;
        }
        let Some(variable) = code_spans(cells[1]).into_iter().find_map(|span| {
            let name: String = span.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            name.starts_with('_').then_some(name)
        }) else {
            continue;
        };
        let Some(fields) = code_spans(cells[2]).first().and_then(|span| fields(span)) else { continue };
        out.push(Claim { module: cells[0].trim_start_matches("| ").to_string(), variable, fields });
    }
    Ok(out)
}

/// The text inside each pair of backticks.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// `name (bits) | name (bits) | ...`, or none when the span is not written that way.
fn fields(span: &str) -> Option<Vec<(String, u64)>> {
    span.split(" \\| ")
        .map(|field| {
            let (name, bits) = field.trim().rsplit_once(" (")?;
            let bits = bits.strip_suffix(')')?.parse().ok()?;
            let first = name.split_whitespace().next()?.to_string();
            Some((first, bits))
        })
        .collect()
}

/// The members of the first slot of the struct `variable` holds (through any mappings), nested
/// structs flattened, as (name, bits).
fn packed_members(layout: &Value, variable: &str) -> Result<Vec<(String, u64)>> {
    let types = &layout["types"];
    let entry = layout["storage"]
        .as_array()
        .ok_or_else(|| eyre!("the artifact has no storage layout"))?
        .iter()
        .find(|e| e["label"] == variable)
        .ok_or_else(|| eyre!("no such storage variable"))?;
    let mut ty = entry["type"].as_str().unwrap_or_default().to_string();
    while types[&ty]["encoding"] == "mapping" {
        ty = types[&ty]["value"].as_str().unwrap_or_default().to_string();
    }
    let mut out = Vec::new();
    flatten(types, &ty, &mut out)?;
    Ok(out)
}

fn flatten(types: &Value, ty: &str, out: &mut Vec<(String, u64)>) -> Result<()> {
    let members = types[ty]["members"]
        .as_array()
        .ok_or_else(|| eyre!("holds `{ty}`, not a struct packed in a slot"))?;
    for member in members.iter().filter(|m| m["slot"] == "0") {
        let member_ty = member["type"].as_str().unwrap_or_default();
        if types[member_ty]["members"].is_array() {
            flatten(types, member_ty, out)?;
            continue;
        }
        let bytes: u64 = types[member_ty]["numberOfBytes"].as_str().and_then(|b| b.parse().ok()).unwrap_or(0);
        out.push((member["label"].as_str().unwrap_or_default().to_string(), bytes * 8));
    }
    Ok(())
}

/// What is wrong with `documented` against `compiled`, if anything.
fn compare(documented: &[(String, u64)], compiled: &[(String, u64)]) -> Option<String> {
    let show = |fields: &[(String, u64)]| {
        fields.iter().map(|(n, b)| format!("{n} ({b})")).collect::<Vec<_>>().join(" | ")
    };
    let same = documented.len() == compiled.len()
        && documented
            .iter()
            .zip(compiled)
            .all(|((dn, db), (cn, cb))| db == cb && cn.to_lowercase().starts_with(&dn.to_lowercase()));
    (!same)
        .then(|| format!("the table says `{}`, the compiler lays out `{}`", show(documented), show(compiled)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_TEXT: &str = "# Doc\n\n## Storage layout\n\n| module | slot | contents |\n|---|---|---|\n\
        | LeashModule (all) | `_records[account]` | `authority (160) \\| generation (48) \\| approvalEpoch (48)` |\n\
        | LeashModule (all) | `_approvals[account][epoch][hash]` | approval flag |\n\
        | AutomationExecutor | `_tasks[account][generation][id]` | `caller (160) \\| executions (32) \\| lastRunAt (48)` (a task exists when its caller is set), then `keccak256(abi.encode(task))` |\n\
        \n## Limits\n\n| Other | `_x` | `a (8)` |\n";

    fn layout() -> Value {
        serde_json::json!({
            "storage": [{ "label": "_tasks", "slot": "2", "type": "t_mapping(a,t_struct(Stored))" }],
            "types": {
                "t_mapping(a,t_struct(Stored))": { "encoding": "mapping", "value": "t_struct(Stored)" },
                "t_struct(Stored)": { "encoding": "inplace", "members": [
                    { "label": "run", "slot": "0", "type": "t_struct(Run)" },
                    { "label": "hash", "slot": "1", "type": "t_bytes32" }
                ]},
                "t_struct(Run)": { "encoding": "inplace", "members": [
                    { "label": "caller", "slot": "0", "type": "t_address" },
                    { "label": "executions", "slot": "0", "type": "t_uint32" },
                    { "label": "lastRunAt", "slot": "0", "type": "t_uint48" }
                ]},
                "t_address": { "numberOfBytes": "20" },
                "t_uint32": { "numberOfBytes": "4" },
                "t_uint48": { "numberOfBytes": "6" },
                "t_bytes32": { "numberOfBytes": "32" }
            }
        })
    }

    #[test]
    fn rows_with_a_packed_slot_are_claims_and_other_rows_are_not() {
        let claims = claims(DOC_TEXT).unwrap();
        assert_eq!(claims.len(), 2, "{claims:?}");
        assert_eq!(claims[0].variable, "_records");
        assert_eq!(claims[1].module, "AutomationExecutor");
        assert_eq!(
            claims[1].fields,
            vec![("caller".to_string(), 160), ("executions".to_string(), 32), ("lastRunAt".to_string(), 48)]
        );
    }

    #[test]
    fn a_nested_struct_in_the_first_slot_is_flattened() {
        let members = packed_members(&layout(), "_tasks").unwrap();
        assert_eq!(members, claims(DOC_TEXT).unwrap()[1].fields);
        assert_eq!(compare(&claims(DOC_TEXT).unwrap()[1].fields, &members), None);
    }

    #[test]
    fn a_wrong_width_a_wrong_name_or_a_missing_field_is_caught() {
        let compiled = packed_members(&layout(), "_tasks").unwrap();
        let doc = |s: &str| fields(s).unwrap();
        assert!(compare(&doc("caller (160) \\| executions (64) \\| lastRunAt (48)"), &compiled).is_some());
        assert!(compare(&doc("keeper (160) \\| executions (32) \\| lastRunAt (48)"), &compiled).is_some());
        assert!(compare(&doc("caller (160) \\| executions (32)"), &compiled).is_some());
        assert!(compare(&doc("caller (160) \\| executions of the task (32) \\| lastRunAt (48)"), &compiled)
            .is_none());
    }

    #[test]
    fn a_variable_the_compiler_lacks_is_an_error() {
        assert!(packed_members(&layout(), "_gone").is_err());
    }
}
