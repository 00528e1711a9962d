//! The bench's output: markdown tables spliced into `docs/gas.md` (and the README's targets)
//! between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` markers (the prose around them is
//! written by hand and quotes no figure), docs/COMPATIBILITY.md's accounts table from the forge
//! snapshot, and the scaling curves as an SVG chart.

use std::fmt::Write;
use std::path::Path;

use eyre::{Result, WrapErr};
use plotters::prelude::*;

use super::{accounts, Op, Results, Stack};
use crate::markers::splice;

/// The targets of the policy-engine issue: overhead over the bare account, cold.
const TARGET_FULL: u64 = 24_000;
const TARGET_FULL_NATIVE: u64 = 26_000;
const TARGET_BATCH_ITEM: u64 = 3_000;
const TARGET_PAUSE: u64 = 6_000;
const TARGET_ALLOWLIST: u64 = 8_000;
const TARGET_SPENDING: u64 = 15_000;
const TARGET_TASK: u64 = 45_000;
const TARGET_AGENT: u64 = 36_000;
/// The sessions issue's targets, beside Smart Sessions' figures for the same scope.
const TARGET_SESSION: u64 = 40_000;
const TARGET_SESSION_GRANT: u64 = 200_000;
const TARGET_SESSION_ENABLE: u64 = 250_000;
/// Runtime code of any one module: half the EIP-170 limit, room to grow.
const TARGET_CODE_SIZE: u64 = 12 * 1024;
/// The README's worked example installed on a fresh account, in all.
const TARGET_INSTALL: u64 = 350_000;
/// Every module deployed, in all.
const TARGET_DEPLOY_TOTAL: u64 = 7_000_000;

pub const DOC: &str = "docs/gas.md";
pub const CHART: &str = "docs/gas-scaling.svg";
pub const README: &str = "README.md";
/// Every file the bench writes.
pub const FILES: [&str; 4] = [DOC, README, accounts::DOC, CHART];

/// What `--check` found, or that the files were written.
pub enum Outcome {
    Written,
    UpToDate,
    Stale(Vec<String>),
}

/// Renders every section and the chart; writes them (or, with `check`, compares them). The gas
/// page holds every section; the README holds the ones it has markers for; the compatibility page
/// holds the accounts' table, rendered from the committed forge snapshot.
pub fn publish(root: &Path, results: &Results, check: bool) -> Result<Outcome> {
    let rendered = sections(results);
    let mut files: Vec<(&str, String)> = Vec::new();
    let compatibility = std::fs::read_to_string(root.join(accounts::DOC))
        .wrap_err_with(|| format!("{} is missing", accounts::DOC))?;
    let table = accounts::table(&accounts::read(root)?);
    files.push((accounts::DOC, splice(accounts::DOC, &compatibility, "bench:accounts", &table)?));
    for (file, all_required) in [(DOC, true), (README, false)] {
        let old = std::fs::read_to_string(root.join(file)).wrap_err_with(|| format!("{file} is missing"))?;
        let mut updated = old.clone();
        for (name, body) in &rendered {
            if all_required || updated.contains(&format!("<!-- bench:{name} -->")) {
                updated = splice(file, &updated, &format!("bench:{name}"), body)?;
            }
        }
        files.push((file, updated));
    }
    files.push((CHART, chart(results)?));
    let mut stale = Vec::new();
    for (file, content) in &files {
        let path = root.join(file);
        if std::fs::read_to_string(&path).unwrap_or_default() == *content {
            continue;
        }
        if check {
            stale.push(file.to_string());
        } else {
            std::fs::write(&path, content).wrap_err_with(|| format!("writing {file}"))?;
        }
    }
    Ok(match (check, stale.is_empty()) {
        (false, _) => Outcome::Written,
        (true, true) => Outcome::UpToDate,
        (true, false) => Outcome::Stale(stale),
    })
}

pub(super) fn n(gas: u64) -> String {
    let digits = gas.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn signed(value: i64) -> String {
    if value < 0 {
        format!("−{}", n(value.unsigned_abs()))
    } else {
        format!("+{}", n(value as u64))
    }
}

fn verdict(measured: u64, target: u64) -> String {
    if measured <= target {
        format!("met ({} under)", n(target - measured))
    } else {
        format!("**missed by {}** ({:.1}×)", n(measured - target), measured as f64 / target as f64)
    }
}

/// A row of the targets table: what, its limit, the repeat and first figures (`None`: only the
/// repeat figure means something), and the verdict on the repeat figure.
fn target_row(out: &mut String, what: &str, limit: u64, repeat: u64, first: Option<u64>) {
    let first = first.map_or_else(|| "—".to_string(), n);
    let _ = writeln!(out, "| {what} | {} | {} | {first} | {} |", n(limit), n(repeat), verdict(repeat, limit));
}

/// The markdown sections, by marker name.
pub fn sections(r: &Results) -> Vec<(&'static str, String)> {
    let over = |stack: Stack, op: Op| -> Option<(u64, u64)> {
        let (s, b) = (r.gas(stack, op)?, r.gas(Stack::Bare, op)?);
        Some((s.repeat.saturating_sub(b.repeat), s.first.saturating_sub(b.first)))
    };
    let mut targets = String::from(
        "| target | at most | measured (repeat) | measured (first) | verdict (repeat) |\n|---|---:|---:|---:|---|\n",
    );
    for (what, stack, op, limit) in [
        ("full stack (the policy engine), ERC-20 transfer", Stack::Engine, Op::Erc20, TARGET_FULL),
        ("full stack (the policy engine), native transfer", Stack::Engine, Op::Native, TARGET_FULL_NATIVE),
        ("pause alone, ERC-20 transfer", Stack::Pause, Op::Erc20, TARGET_PAUSE),
        ("allowlist alone, ERC-20 transfer", Stack::Allowlist, Op::Erc20, TARGET_ALLOWLIST),
        ("spending limit alone, ERC-20 transfer", Stack::Spending, Op::Erc20, TARGET_SPENDING),
    ] {
        if let Some((repeat, first)) = over(stack, op) {
            target_row(&mut targets, what, limit, repeat, Some(first));
        }
    }
    if let (Some((batch, _)), Some((single, _))) =
        (over(Stack::Engine, Op::Batch(10)), over(Stack::Engine, Op::Erc20))
    {
        let per_item = batch.saturating_sub(single) / 9;
        let what = "full stack (the policy engine), each further item of a batch of 10 ERC-20 transfers";
        target_row(&mut targets, what, TARGET_BATCH_ITEM, per_item, None);
    }
    if let (Some(agent), Some(bare)) = (r.agent_engine, r.gas(Stack::Bare, Op::Erc20)) {
        let (repeat, first) =
            (agent.repeat.saturating_sub(bare.repeat), agent.first.saturating_sub(bare.first));
        let what = "agent's UserOp (ERC-20 transfer) through AgentValidator + the policy engine, over the owner's with no hook";
        target_row(&mut targets, what, TARGET_AGENT, repeat, Some(first));
    }
    if let (Some(session), Some(bare)) = (r.session, r.gas(Stack::Bare, Op::Erc20)) {
        let (repeat, first) =
            (session.repeat.saturating_sub(bare.repeat), session.first.saturating_sub(bare.first));
        let what = "an agent's session UserOp (ERC-20 transfer: one permitted pair, one parameter rule, its own limit, a usage limit, a time range), over the owner's with no hook (Smart Sessions: 104,442 / 121,542)";
        target_row(&mut targets, what, TARGET_SESSION, repeat, Some(first));
    }
    if let Some(grant) = r.session_grant {
        target_row(
            &mut targets,
            "granting that session, the authority's transaction (Smart Sessions: 1,039,372)",
            TARGET_SESSION_GRANT,
            grant,
            Some(grant),
        );
    }
    if let Some(enable) = r.session_enable {
        let what = "the session's first UserOp carrying its grant (enable-in-first-op), over the same first UserOp with the session granted (Smart Sessions: 1,060,415)";
        target_row(&mut targets, what, TARGET_SESSION_ENABLE, enable, Some(enable));
    }
    if let (Some(task), Some(transfer)) = (r.task_engine, r.transfer_itself) {
        let (repeat, first) = (task.repeat - transfer.repeat, task.first - transfer.first);
        target_row(
            &mut targets,
            "task through the full stack (the policy engine), over the transfer itself",
            TARGET_TASK,
            repeat,
            Some(first),
        );
    }
    if let Some(install) = r.install_example {
        target_row(
            &mut targets,
            "installing the README's worked example (AgentValidator, executor and task, policy engine)",
            TARGET_INSTALL,
            install,
            Some(install),
        );
    }
    if let Some(&(ref worst, max)) = r.code_sizes.iter().max_by_key(|(_, size)| *size) {
        target_row(
            &mut targets,
            &format!("runtime code, largest module ({worst}), bytes"),
            TARGET_CODE_SIZE,
            max,
            Some(max),
        );
    }
    if !r.deployments.is_empty() {
        let total: u64 = r.deployments.iter().map(|(_, g)| *g).sum();
        target_row(&mut targets, "deployment, every module in all", TARGET_DEPLOY_TOTAL, total, Some(total));
    }

    let mut main = String::new();
    for (title, first) in [("Repeat (steady state)", false), ("First operation after installing", true)] {
        let _ = writeln!(main, "{title}:\n");
        main.push_str("| configuration |");
        for op in Op::MAIN {
            let _ = write!(main, " {} | overhead |", op.label());
        }
        main.push_str("\n|---|");
        for _ in Op::MAIN {
            main.push_str("---:|---:|");
        }
        main.push('\n');
        for stack in Stack::ALL {
            let _ = write!(main, "| {} |", stack.label());
            for op in Op::MAIN {
                let (Some(g), Some(b)) = (r.gas(stack, op), r.gas(Stack::Bare, op)) else { continue };
                let (g, b) = if first { (g.first, b.first) } else { (g.repeat, b.repeat) };
                let overhead =
                    if stack == Stack::Bare { "—".to_string() } else { signed(g as i64 - b as i64) };
                let _ = write!(main, " {} | {} |", n(g), overhead);
            }
            main.push('\n');
        }
        for (agent, stack, what) in [
            (r.agent_full, Stack::Full, "the multiplexer stack"),
            (r.agent_engine, Stack::Engine, "the policy engine"),
        ] {
            let (Some(agent), Some(bare), Some(owner)) =
                (agent, r.gas(Stack::Bare, Op::Erc20), r.gas(stack, Op::Erc20))
            else {
                continue;
            };
            let (g, b, o) = if first {
                (agent.first, bare.first, owner.first)
            } else {
                (agent.repeat, bare.repeat, owner.repeat)
            };
            let _ = writeln!(
                main,
                "\nThe agent's key (AgentValidator) behind {what}, ERC-20 transfer: {} ({} over no hook, {} over the owner's key behind the same hook).",
                n(g),
                signed(g as i64 - b as i64),
                signed(g as i64 - o as i64)
            );
        }
        main.push('\n');
    }

    let mut automation = String::from("| case | first | repeat |\n|---|---:|---:|\n");
    for (what, pair) in [
        ("the transfer itself, sent by a plain address", r.transfer_itself),
        ("task, executor alone (no hook)", r.task_bare),
        ("task, executor behind the multiplexer stack", r.task_full),
        ("task, executor behind the policy engine", r.task_engine),
    ] {
        if let Some(p) = pair {
            let _ = writeln!(automation, "| {what} | {} | {} |", n(p.first), n(p.repeat));
        }
    }
    for (what, stack) in [("multiplexer stack", r.task_full), ("policy engine", r.task_engine)] {
        if let (Some(full), Some(bare)) = (stack, r.task_bare) {
            let _ = writeln!(
                automation,
                "| {what}'s overhead on the task | {} | {} |",
                signed(full.first as i64 - bare.first as i64),
                signed(full.repeat as i64 - bare.repeat as i64)
            );
        }
    }

    let mut deployment = String::from(
        "| module | deployment gas | runtime code, bytes | verdict (code at most 12,288 bytes) |\n|---|---:|---:|---|\n",
    );
    for (module, gas) in &r.deployments {
        let size = r.code_sizes.iter().find(|(m, _)| m == module).map_or(0, |(_, s)| *s);
        let _ = writeln!(
            deployment,
            "| {module} | {} | {} | {} |",
            n(*gas),
            n(size),
            verdict(size, TARGET_CODE_SIZE)
        );
    }
    if let Some((gas, size)) = r.eoa_account {
        let _ = writeln!(
            deployment,
            "\nNot a module, so in none of the figures above: LeashEOAAccount, the account implementation an EOA delegates to with EIP-7702, {} gas to deploy, {} bytes of runtime code.",
            n(gas),
            n(size)
        );
    }

    let mut scaling = String::new();
    let bare_erc20 = r.gas(Stack::Bare, Op::Erc20).map(|p| p.repeat).unwrap_or(0);
    for (title, unit, curve) in [
        ("Sub-hooks behind the multiplexer (pause hooks), ERC-20 transfer", "sub-hooks", &r.sub_hooks),
        ("Allowlist entries (allowlist alone), ERC-20 transfer", "entries", &r.allowlist_entries),
        ("Tracked tokens (spending limit alone), ERC-20 transfer", "tokens", &r.tracked_tokens),
        (
            "Limits on the transferred token (spending limit alone), ERC-20 transfer",
            "limits",
            &r.limits_per_token,
        ),
    ] {
        let _ = writeln!(scaling, "{title}:\n\n| {unit} | gas | overhead over no hook |\n|---:|---:|---:|");
        for (x, gas) in curve.iter() {
            let _ = writeln!(scaling, "| {x} | {} | {} |", n(*gas), signed(*gas as i64 - bare_erc20 as i64));
        }
        if let (Some(a), Some(b)) = (curve.first(), curve.last()) {
            if b.0 > a.0 {
                let slope = (b.1 as f64 - a.1 as f64) / (b.0 - a.0) as f64;
                let _ = writeln!(
                    scaling,
                    "\nFrom {} to {} {unit}: {:+.0} gas per {}.",
                    a.0,
                    b.0,
                    slope,
                    unit.trim_end_matches('s')
                );
            }
        }
        scaling.push('\n');
    }
    let _ = writeln!(
        scaling,
        "Batches of ERC-20 transfers:\n\n| transfers | no hook | policy engine | overhead | overhead per transfer |\n|---:|---:|---:|---:|---:|"
    );
    for (x, bare, full) in &r.batch {
        let overhead = *full as i64 - *bare as i64;
        let _ = writeln!(
            scaling,
            "| {x} | {} | {} | {} | {} |",
            n(*bare),
            n(*full),
            signed(overhead),
            n((overhead / *x as i64) as u64)
        );
    }
    if let (Some(a), Some(b)) = (r.batch.first(), r.batch.last()) {
        let slope = ((b.2 as f64 - b.1 as f64) - (a.2 as f64 - a.1 as f64)) / (b.0 - a.0) as f64;
        let _ = writeln!(scaling, "\nEach further transfer in a batch adds {slope:.0} gas of overhead.");
    }

    vec![
        ("targets", targets),
        ("main", main),
        ("automation", automation),
        ("deployment", deployment),
        ("scaling", scaling),
    ]
}

/// One chart panel: title, unit of the x axis, (x, overhead) points.
type Panel = (&'static str, &'static str, Vec<(f64, f64)>);

/// The scaling curves as one SVG image: a panel per curve, overhead over the bare account, each
/// measured point marked.
pub fn chart(r: &Results) -> Result<String> {
    let bare_erc20 = r.gas(Stack::Bare, Op::Erc20).map(|p| p.repeat).unwrap_or(0) as f64;
    let over = |curve: &[(u64, u64)]| -> Vec<(f64, f64)> {
        curve.iter().map(|(x, g)| (*x as f64, *g as f64 - bare_erc20)).collect()
    };
    let batch_overhead: Vec<(f64, f64)> =
        r.batch.iter().map(|(x, b, f)| (*x as f64, *f as f64 - *b as f64)).collect();
    let panels: [Panel; 5] = [
        ("sub-hooks behind the multiplexer", "sub-hooks", over(&r.sub_hooks)),
        ("allowlist entries", "entries", over(&r.allowlist_entries)),
        ("tracked tokens", "tokens", over(&r.tracked_tokens)),
        ("limits on one token", "limits", over(&r.limits_per_token)),
        ("batch size, policy engine", "transfers", batch_overhead),
    ];
    let (w, h, cols) = (320, 230, 3);
    let rows = panels.len().div_ceil(cols);
    let blue = RGBColor(0x1f, 0x6f, 0xeb);
    let mut svg = String::new();
    {
        let page =
            SVGBackend::with_string(&mut svg, (w * cols as u32, h * rows as u32 + 30)).into_drawing_area();
        page.fill(&WHITE)?;
        let page = page.titled(
            "Leash gas overhead over an account with no hook (cargo xtask bench)",
            ("sans-serif", 17),
        )?;
        for ((title, unit, points), area) in panels.iter().zip(page.split_evenly((rows, cols))) {
            let max_x = points.iter().map(|p| p.0).fold(1.0, f64::max);
            let max_y = points.iter().map(|p| p.1).fold(1.0, f64::max) * 1.1;
            let mut panel = ChartBuilder::on(&area)
                .caption(*title, ("sans-serif", 15))
                .margin(8)
                .x_label_area_size(32)
                .y_label_area_size(52)
                .build_cartesian_2d(0.0..max_x, 0.0..max_y)?;
            panel
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(points.len())
                .y_labels(5)
                .light_line_style(TRANSPARENT)
                .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
                .axis_style(RGBColor(0x44, 0x44, 0x44))
                .label_style(("sans-serif", 13))
                .x_label_formatter(&|x| format!("{x}"))
                .y_label_formatter(&|y| n(y.round() as u64))
                .x_desc(*unit)
                .draw()?;
            panel.draw_series(LineSeries::new(points.iter().copied(), blue.stroke_width(2)))?;
            panel.draw_series(points.iter().map(|p| Circle::new(*p, 3, blue.filled())))?;
        }
        page.present()?;
    }
    Ok(svg)
}

/// The tables for the terminal (the same markdown as in the document).
pub fn print(r: &Results) {
    for (name, body) in sections(r) {
        println!("\n## {name}\n\n{}", crate::table::from_markdown(&body));
    }
}
