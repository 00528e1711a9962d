//! Generates `leash::abi`'s bindings: one `sol!` per contract of `abi/contracts.toml`, from its
//! committed ABI `abi/<Name>.json`. A contract whose file is not there yet gets no binding (and a
//! warning), so that the crate, and `cargo xtask abi` which writes the file, still build.
//!
//! `sol!` declares, beside each contract, the namespaces of the structs and enums its ABI uses
//! (`IAllowlistHook` for `IAllowlistHook.Permission`). Two contracts that use the same namespace
//! (AllowlistHook and IPolicyEngine both use `IAllowlistHook`) would declare it twice, so one of
//! them is generated in a module of its own, `abi::<snake_name>`, and re-exported as
//! `abi::<Name>`: the contract using the fewest foreign namespaces keeps them at the top level (the
//! separate hooks keep theirs; the engine's copies are `abi::i_policy_engine::IAllowlistHook`, ...).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=abi");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let abi = Path::new(&manifest).join("abi");
    let list = std::fs::read_to_string(abi.join("contracts.toml")).expect("abi/contracts.toml is readable");
    let contracts: BTreeMap<String, String> =
        toml::from_str(&list).expect("abi/contracts.toml: `Name = \"path\"` lines");

    let mut code = String::from(
        "/// Every contract of `abi/contracts.toml`: its name and the file forge compiles it from.\n",
    );
    code.push_str("pub const SOURCES: &[AbiSource] = &[\n");
    for (name, source) in &contracts {
        writeln!(code, "    AbiSource {{ contract: {name:?}, source: {source:?} }},").unwrap();
    }
    code.push_str("];\n");

    let mut present: Vec<(String, BTreeSet<String>)> = Vec::new();
    for name in contracts.keys() {
        let file = abi.join(format!("{name}.json"));
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                let json: serde_json::Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("abi/{name}.json: {e}"));
                let mut namespaces = BTreeSet::new();
                collect_namespaces(&json, &mut namespaces);
                namespaces.remove(name);
                present.push((name.clone(), namespaces));
            }
            Err(_) => println!("cargo:warning=abi/{name}.json is missing: run `cargo xtask abi` to write it"),
        }
    }
    present.sort_by(|(a, na), (b, nb)| (na.len(), a).cmp(&(nb.len(), b)));
    let mut taken = BTreeSet::new();
    for (name, namespaces) in &present {
        let binding = format!("alloy::sol!(#[sol(rpc, all_derives)] {name}, \"abi/{name}.json\");");
        if namespaces.is_disjoint(&taken) {
            taken.extend(namespaces.iter().cloned());
            writeln!(code, "{binding}").unwrap();
        } else {
            let module = snake_case(name);
            writeln!(
                code,
                "/// `{name}` and its own copies of the struct and enum namespaces it shares with another contract.\npub mod {module} {{ {binding} }}\npub use {module}::{name};"
            )
            .unwrap();
        }
    }
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("abi.rs");
    std::fs::write(out, code).expect("writing the generated bindings");
}

/// The namespaces of `struct X.Y` and `enum X.Y` internal types anywhere in an ABI.
fn collect_namespaces(value: &serde_json::Value, into: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(ty) = map.get("internalType").and_then(|t| t.as_str()) {
                let qualified = ty.strip_prefix("struct ").or_else(|| ty.strip_prefix("enum "));
                if let Some((namespace, _)) = qualified.and_then(|q| q.split_once('.')) {
                    into.insert(namespace.to_string());
                }
            }
            map.values().for_each(|v| collect_namespaces(v, into));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_namespaces(v, into)),
        _ => {}
    }
}

/// `IPolicyEngine` → `i_policy_engine`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
