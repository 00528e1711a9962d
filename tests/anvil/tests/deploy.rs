//! Deterministic deployment against Anvil: predicted addresses, idempotence, two chains, the
//! forge script agreeing with the Rust path, records, and a chain without the CREATE2 deployer.

use std::process::Command;

use alloy::primitives::Bytes;
use alloy::providers::ext::AnvilApi;
use alloy::providers::{DynProvider, Provider};
use eyre::Result;
use leash::deploy::{self, Status, CREATE2_DEPLOYER};
use leash_anvil_tests::{devnet, ensure_artifacts, forge_lock, project_root, Devnet, Options};

fn anvil(chain_id: u64) -> Result<(Devnet, DynProvider)> {
    let net = devnet(Options { chain_id: Some(chain_id), ..Options::default() })?;
    let provider = net.provider.clone();
    Ok((net, provider))
}

fn planned() -> Vec<deploy::PlannedModule> {
    deploy::plan(&ensure_artifacts().expect("forge build")).expect("artifacts are built")
}

async fn codes(provider: &DynProvider, modules: &[deploy::PlannedModule]) -> Result<Vec<Bytes>> {
    let mut out = Vec::new();
    for m in modules {
        out.push(provider.get_code_at(m.address).await?);
    }
    Ok(out)
}

#[tokio::test]
async fn deploys_every_module_at_its_predicted_address_then_sends_nothing() -> Result<()> {
    let (_node, provider) = anvil(31337)?;
    let plan = planned();
    let first = deploy::deploy(&provider, &plan, None, |_| {}).await?;
    assert_eq!(first.modules.len(), deploy::MODULES.len());
    for (module, status) in &first.modules {
        assert!(matches!(status, Status::Deployed { .. }), "{} not deployed", module.name);
        assert!(!provider.get_code_at(module.address).await?.is_empty(), "{} has no code", module.name);
        let rec = &first.record.modules[module.name];
        assert_eq!(rec.address, module.address);
        assert_eq!(rec.init_code_hash, module.init_code_hash());
        assert!(rec.tx_hash.is_some() && rec.gas_used.is_some());
    }

    let nonce_before = provider.get_transaction_count(provider.get_accounts().await?[0]).await?;
    let second = deploy::deploy(&provider, &plan, Some(&first.record), |_| {}).await?;
    assert!(second.sent_nothing(), "a second deploy must send nothing");
    assert!(second.record_mismatches.is_empty());
    assert_eq!(second.record, first.record, "the record is unchanged");
    assert_eq!(provider.get_transaction_count(provider.get_accounts().await?[0]).await?, nonce_before);
    Ok(())
}

#[tokio::test]
async fn two_chains_get_identical_code_at_identical_addresses() -> Result<()> {
    let plan = planned();
    let (_a, chain_a) = anvil(31337)?;
    let (_b, chain_b) = anvil(4242)?;
    assert_ne!(chain_a.get_chain_id().await?, chain_b.get_chain_id().await?);
    deploy::deploy(&chain_a, &plan, None, |_| {}).await?;
    deploy::deploy(&chain_b, &plan, None, |_| {}).await?;
    let (code_a, code_b) = (codes(&chain_a, &plan).await?, codes(&chain_b, &plan).await?);
    assert!(code_a.iter().all(|c| !c.is_empty()));
    assert_eq!(code_a, code_b, "byte-identical code at the same addresses");
    Ok(())
}

#[tokio::test]
async fn forge_script_agrees_with_the_rust_path() -> Result<()> {
    let plan = planned();
    let (_rust_node, rust_chain) = anvil(31337)?;
    deploy::deploy(&rust_chain, &plan, None, |_| {}).await?;

    let (script_node, script_chain) = anvil(31337)?;
    let key = alloy::hex::encode_prefixed(script_node.key(0).to_bytes());
    let root = project_root();
    let forge = forge_lock();
    let output = Command::new(root.join("node_modules/.bin/forge"))
        .current_dir(&root)
        .env("PATH", format!("{}:{}", root.join("node_modules/.bin").display(), std::env::var("PATH")?))
        .args([
            "script",
            "script/Deploy.s.sol",
            "--rpc-url",
            &script_node.anvil.endpoint(),
            "--private-key",
            &key,
        ])
        .args(["--broadcast", "--slow"])
        .output()?;
    drop(forge);
    assert!(
        output.status.success(),
        "forge script failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(codes(&script_chain, &plan).await?, codes(&rust_chain, &plan).await?);
    // And the Rust path then finds everything deployed.
    let after = deploy::deploy(&script_chain, &plan, None, |_| {}).await?;
    assert!(after.sent_nothing());
    Ok(())
}

#[tokio::test]
async fn a_record_that_disagrees_with_the_chain_is_reported() -> Result<()> {
    let (_node, provider) = anvil(31337)?;
    let plan = planned();
    let first = deploy::deploy(&provider, &plan, None, |_| {}).await?;
    let mut wrong = first.record.clone();
    wrong.modules.get_mut("AllowlistHook").unwrap().address = CREATE2_DEPLOYER;
    let report = deploy::deploy(&provider, &plan, Some(&wrong), |_| {}).await?;
    assert!(report.sent_nothing());
    assert_eq!(report.record_mismatches.len(), 1, "{:?}", report.record_mismatches);
    assert!(report.record_mismatches[0].starts_with("AllowlistHook"));
    for (name, module) in &report.record.modules {
        assert_eq!(
            module.address, first.record.modules[name].address,
            "the rewritten record matches the chain"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_chain_without_the_create2_deployer_is_explained() -> Result<()> {
    let (_node, provider) = anvil(31337)?;
    provider.anvil_set_code(CREATE2_DEPLOYER, Bytes::new()).await?;
    let err = deploy::deploy(&provider, &planned(), None, |_| {}).await.expect_err("no deployer");
    assert!(err.to_string().contains("no CREATE2 deployer"), "{err}");
    Ok(())
}
