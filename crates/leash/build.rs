//! Generates `leash::abi`'s bindings: one `sol!` per contract of `abi/contracts.toml`, from its
//! committed ABI `abi/<Name>.json`. A contract whose file is not there yet gets no binding (and a
//! warning), so that the crate, and `cargo xtask abi` which writes the file, still build.

use std::collections::BTreeMap;
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
    for name in contracts.keys() {
        if abi.join(format!("{name}.json")).exists() {
            writeln!(code, "alloy::sol!(#[sol(rpc, all_derives)] {name}, \"abi/{name}.json\");").unwrap();
        } else {
            println!("cargo:warning=abi/{name}.json is missing: run `cargo xtask abi` to write it");
        }
    }
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("abi.rs");
    std::fs::write(out, code).expect("writing the generated bindings");
}
