//! Running `ft-replay` on a golden trace, with or without a deliberate fault.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `traces/<name>` in the repository.
pub fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("replay/ has a parent")
        .join("traces")
        .join(name)
}

/// `ft-replay --against traces/<trace> <args>`: the exit code and
/// everything printed (stdout, then stderr).
pub fn run(trace: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .arg("--against")
        .arg(golden(trace))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ft-replay");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code(), format!("{stdout}\n{stderr}"))
}

/// `ft-replay --against traces/<trace> [--inject-fault <fault>]`: the exit
/// code and everything printed (stdout, then stderr).
pub fn replay(trace: &str, fault: Option<&str>) -> (Option<i32>, String) {
    match fault {
        Some(fault) => run(trace, &["--inject-fault", fault]),
        None => run(trace, &[]),
    }
}

/// The golden replays to MATCH (exit 0) without a fault.
pub fn assert_replays_to_match(trace: &str) {
    let (code, out) = replay(trace, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

/// [`replay`] with `--inject-fault <fault>`.
pub fn replay_with_fault(trace: &str, fault: &str) -> (Option<i32>, String) {
    replay(trace, Some(fault))
}

/// [`replay`] with `--inject-fault perturb=<op>:<delta>`.
pub fn replay_perturbed(trace: &str, op: &str, delta: &str) -> (Option<i32>, String) {
    replay(trace, Some(&format!("perturb={op}:{delta}")))
}

/// `ft-replay --against traces/<trace> --anchor --inject-fault <fault>`:
/// the replay that feeds every operator PyTorch's recorded inputs, with a
/// deliberate fault.
pub fn replay_anchored_with_fault(trace: &str, fault: &str) -> (Option<i32>, String) {
    run(trace, &["--anchor", "--inject-fault", fault])
}

/// `ft-replay --against traces/<trace> --anchor --tol <dtype>=0,0
/// [--inject-fault <fault>]`: the anchored replay that allows `dtype` no
/// error at all, so any value of it that is not PyTorch's to the bit fails.
pub fn replay_anchored_bit_exact(
    trace: &str,
    dtype: &str,
    fault: Option<&str>,
) -> (Option<i32>, String) {
    let tolerance = format!("{dtype}=0,0");
    let mut args = vec!["--anchor", "--tol", tolerance.as_str()];
    if let Some(fault) = fault {
        args.extend(["--inject-fault", fault]);
    }
    run(trace, &args)
}

/// `fault` fails the replay of `trace` free-running and anchored, each
/// with an exit code among `codes`, and the first value out of tolerance
/// each report lists holds `expected` (an operator and its output, with
/// whatever else the caller pins). Returns both reports, free-running
/// first, for further checks.
pub fn assert_first_value_failure(
    trace: &str,
    fault: &str,
    codes: &[i32],
    expected: &str,
) -> [String; 2] {
    [
        replay_with_fault(trace, fault),
        replay_anchored_with_fault(trace, fault),
    ]
    .map(|(code, out)| {
        assert!(code.is_some_and(|c| codes.contains(&c)), "{out}");
        let first_value = out
            .lines()
            .skip_while(|l| !l.starts_with("FAIL values"))
            .nth(1)
            .unwrap_or_default();
        assert!(first_value.contains(expected), "{out}");
        out
    })
}

/// The operator lines (`aten.…`) listed under a report's `FAIL values`,
/// in the report's order.
pub fn value_failures(out: &str) -> Vec<&str> {
    out.lines()
        .skip_while(|l| !l.starts_with("FAIL values"))
        .skip(1)
        .take_while(|l| l.starts_with("       aten."))
        .collect()
}

/// Anchored, `fault` fails `trace` with exit 3; the first value failure
/// holds `first`, some failure holds each of `also`, and every failure
/// holds `only` (the operator family the fault breaks; `""` for any).
pub fn assert_anchored_value_failures(
    trace: &str,
    fault: &str,
    first: &str,
    also: &[&str],
    only: &str,
) {
    let (code, out) = replay_anchored_with_fault(trace, fault);
    assert_eq!(code, Some(3), "{out}");
    let failures = value_failures(&out);
    assert!(failures.first().is_some_and(|l| l.contains(first)), "{out}");
    for op in also {
        assert!(failures.iter().any(|l| l.contains(op)), "{op}: {out}");
    }
    assert!(
        failures.iter().all(|l| l.contains(only)),
        "only {only} differs on PyTorch's inputs: {out}"
    );
}

/// `fault` fails `trace` on values (exit 3) free-running and anchored,
/// the drift starting at `op` both ways.
pub fn assert_drift_starts_at_both_ways(trace: &str, fault: &str, op: &str) {
    for (code, out) in [
        replay_with_fault(trace, fault),
        replay_anchored_with_fault(trace, fault),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(out.contains(&format!("drift starts at {op}")), "{out}");
    }
}

/// Each operator's kernel, perturbed by `delta`, is a value failure named
/// where it happens: free-running the drift starts at the operator, or,
/// where float drift of the golden's own grows beyond tolerance earlier
/// (amplified rounding, right anchored), the anchored re-check names the
/// operator as the first that is wrong (exit 3); anchored the operator
/// fails on PyTorch's own inputs (exit 3).
pub fn assert_perturbed_ops_caught(trace: &str, ops: &[&str], delta: &str) {
    for op in ops {
        let (code, out) = replay_perturbed(trace, op, delta);
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}"))
                || out.contains(&format!("fail anchored elsewhere, the first at {op} (")),
            "{op}: {out}"
        );
        let (code, out) = replay_anchored_with_fault(trace, &format!("perturb={op}:{delta}"));
        assert_eq!(code, Some(3), "{op} anchored: {out}");
        assert!(out.contains(op), "{op} anchored: {out}");
    }
}

/// Each backward node, recorded under another name, is a graph divergence
/// naming it (exit 1).
pub fn assert_renamed_nodes_caught(trace: &str, nodes: &[&str]) {
    for node in nodes {
        let (code, out) = replay_with_fault(trace, &format!("rename-node={node}:Renamed"));
        assert_eq!(code, Some(1), "{node}: {out}");
        assert!(out.contains(node), "{node}: {out}");
    }
}

/// `fault` fails the replay of `trace` free-running and anchored, each
/// with exit `code`, and each report holds every one of `needles`.
pub fn assert_fault_reported_both_ways(trace: &str, fault: &str, code: i32, needles: &[&str]) {
    for (code_got, out) in [
        replay_with_fault(trace, fault),
        replay_anchored_with_fault(trace, fault),
    ] {
        assert_eq!(code_got, Some(code), "{out}");
        for needle in needles {
            assert!(out.contains(needle), "missing {needle:?}: {out}");
        }
    }
}

/// `fault` fails the replay of `trace` free-running and anchored with exit
/// 1, and each report's first `[dispatch changed]` line holds every one of
/// `needles` (the operator, its node, the seq or strides it pins).
pub fn assert_first_dispatch_change_both_ways(trace: &str, fault: &str, needles: &[&str]) {
    for (code, out) in [
        replay_with_fault(trace, fault),
        replay_anchored_with_fault(trace, fault),
    ] {
        assert_eq!(code, Some(1), "{out}");
        let first = out
            .lines()
            .find(|l| l.contains("[dispatch changed]"))
            .unwrap_or_default();
        for needle in needles {
            assert!(first.contains(needle), "missing {needle:?}: {out}");
        }
    }
}

/// The `values.inexact` part of the anchored JSON report of `trace` (with
/// `fault` injected, if any): the operators whose outputs were not
/// bit-identical on PyTorch's inputs. The replay must match.
pub fn inexact_anchored_on(trace: &str, fault: Option<&str>) -> serde_json::Value {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ft-replay"));
    cmd.arg("--against")
        .arg(golden(trace))
        .args(["--anchor", "--format", "json"]);
    if let Some(fault) = fault {
        cmd.args(["--inject-fault", fault]);
    }
    let out = cmd.output().expect("run ft-replay");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    report["values"]["inexact"].clone()
}
