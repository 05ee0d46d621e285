//! `--mode strict|hardened`: every rule of the hardened allowlist, and a
//! real injected fault allowed within its bound and refused beyond it.
//!
//! The fault: `perturb=aten.mse_loss.default:0.1` adds 0.1 to every MSE
//! loss of `mlp_train` (three steps); replayed anchored, only the three
//! losses are out of tolerance (FT-P2C-005, max abs 1.0e-1 each).

use std::path::{Path, PathBuf};
use std::process::Command;

use ft_replay::parity::Allowlist;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name)
}

/// `ft-replay --against traces/mlp_train.torch.ftr --anchor ARGS...`.
fn replay(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .arg("--against")
        .arg(golden("mlp_train.torch.ftr"))
        .arg("--anchor")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ft-replay");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const PERTURB: &str = "perturb=aten.mse_loss.default:0.1";

fn allowlist(dir: &tempfile::TempDir, entries: &str) -> PathBuf {
    let path = dir.path().join("allow.json");
    std::fs::write(
        &path,
        format!(r#"{{"schema": "ft-hardened-deviation-allowlist/v1", "entries": [{entries}]}}"#),
    )
    .expect("write allowlist");
    path
}

fn loss_entry(bound: &str) -> String {
    format!(
        r#"{{"id": "loss-offset", "packet": "FT-P2C-005", "op": "aten.mse_loss.default",
            "field": "max_abs", "bound": {bound}, "reason": "test: a known offset"}}"#
    )
}

#[test]
fn strict_mode_fails_the_perturbed_loss() {
    let (code, out, _) = replay(&["--inject-fault", PERTURB]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("FAIL values"), "{out}");
}

#[test]
fn hardened_mode_allows_the_fault_within_its_bound_in_every_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = allowlist(&dir, &loss_entry("0.2"));
    let junit = dir.path().join("r.xml");
    let list_arg = list.to_str().expect("utf-8 path");
    let junit_arg = junit.to_str().expect("utf-8 path");
    let args = [
        "--inject-fault",
        PERTURB,
        "--mode",
        "hardened",
        "--allowlist",
        list_arg,
        "--junit",
        junit_arg,
    ];
    let (code, out, err) = replay(&args);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("ALLOW values"), "{out}");
    assert!(
        out.contains("parity:   hardened (3 deviations allowed by"),
        "{out}"
    );
    assert_eq!(
        out.matches("allowed FT-P2C-005 aten.mse_loss.default max_abs 1.000e-1 <= bound 2.000e-1 (entry loss-offset")
            .count(),
        3,
        "{out}"
    );
    assert!(
        out.contains("MATCH (hardened: deviations allowed)"),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(
        xml.contains("allowed FT-P2C-005 aten.mse_loss.default"),
        "{xml}"
    );
    assert!(
        xml.contains(r#"name="parity_mode" value="hardened""#),
        "{xml}"
    );

    let mut json_args = args[..6].to_vec();
    json_args.extend(["--format", "json"]);
    let (code, out, err) = replay(&json_args);
    assert_eq!(code, Some(0), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["parity"]["mode"], "hardened");
    let allowed = doc["parity"]["allowed"].as_array().expect("allowed list");
    assert_eq!(allowed.len(), 3);
    assert_eq!(allowed[0]["entry"], "loss-offset");
    assert_eq!(allowed[0]["deviation"]["packet"], "FT-P2C-005");
    // Never hidden: the failures are still in the values section.
    assert_eq!(doc["values"]["failures"].as_array().map(Vec::len), Some(3));
}

#[test]
fn hardened_mode_refuses_the_fault_beyond_its_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = allowlist(&dir, &loss_entry("0.05"));
    let (code, out, _) = replay(&[
        "--inject-fault",
        PERTURB,
        "--mode",
        "hardened",
        "--allowlist",
        list.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("FAIL values"), "{out}");
    assert!(
        out.contains("refused FT-P2C-005 aten.mse_loss.default max_abs 1.000e-1 > bound 5.000e-2 (entry loss-offset"),
        "{out}"
    );
    assert!(out.contains("VALUES OUT OF TOLERANCE"), "{out}");
}

#[test]
fn a_critical_packet_deviation_fails_in_hardened_mode() {
    // reverse-ready-queue breaks the schedule (FT-P2C-004); an allowlist
    // for kernel values does not touch it.
    let dir = tempfile::tempdir().expect("tempdir");
    let list = allowlist(&dir, &loss_entry("1"));
    let (code, out, _) = replay(&[
        "--inject-fault",
        "reverse-ready-queue",
        "--mode",
        "hardened",
        "--allowlist",
        list.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1), "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let deviations = doc["parity"]["deviations"].as_array().expect("deviations");
    assert!(!deviations.is_empty());
    assert!(
        deviations
            .iter()
            .filter(|d| d["check"] == "schedule")
            .all(|d| d["packet"] == "FT-P2C-004"),
        "{deviations:?}"
    );
    assert_eq!(doc["parity"]["allowed"].as_array().map(Vec::len), Some(0));
}

#[test]
fn allowlist_in_strict_mode_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = allowlist(&dir, &loss_entry("1"));
    let (code, _, err) = replay(&["--allowlist", list.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--allowlist is read in --mode hardened only"),
        "{err}"
    );
}

#[test]
fn the_shipped_allowlist_is_read_by_default_and_a_golden_matches() {
    let (code, out, err) = replay(&["--mode", "hardened"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("parity:   hardened (0 deviations allowed by"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("MATCH"), "{out}");
}

#[test]
fn a_malformed_allowlist_is_refused_on_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = allowlist(
        &dir,
        r#"{"id": "x", "packet": "FT-P2C-005", "op": "aten.mul.Tensor", "field": "max_abs", "bound": -1, "reason": "r"}"#,
    );
    let (code, _, err) = replay(&[
        "--mode",
        "hardened",
        "--allowlist",
        list.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(r#"entry 0 ("x"): field "bound": must be a finite number >= 0"#),
        "{err}"
    );
}

/// Each schema rule, and the entry and field its refusal names.
#[test]
fn every_schema_rule_names_the_entry_and_field() {
    let ok = r#"{"id": "a", "packet": "FT-P2C-005", "op": "aten.mul.Tensor", "field": "max_abs", "bound": 0.1, "reason": "r"}"#;
    let doc = |entries: &str| {
        format!(r#"{{"schema": "ft-hardened-deviation-allowlist/v1", "entries": [{entries}]}}"#)
    };
    assert_eq!(
        Allowlist::parse("l", &doc(ok))
            .expect("valid")
            .entries
            .len(),
        1
    );
    let cases = [
        (
            r#"{"id": "c", "packet": "FT-P2C-004", "node": "MulBackward0", "field": "max_abs", "bound": 1, "reason": "r"}"#,
            r#"entry 0 ("c"): field "packet": FT-P2C-004 is critical: it allows no deviation in either mode"#,
        ),
        (
            r#"{"id": "c", "packet": "FT-P2C-001", "op": "x", "field": "max_abs", "bound": 1, "reason": "r"}"#,
            r#"field "packet": FT-P2C-001 is critical"#,
        ),
        (
            r#"{"id": "c", "packet": "FT-P2C-009", "op": "x", "field": "max_abs", "bound": 1, "reason": "r"}"#,
            r#"field "packet": "FT-P2C-009" is not"#,
        ),
        (
            r#"{"id": "c", "packet": "FT-P2C-005", "op": "x", "field": "max_abs", "bound": 1}"#,
            r#"entry 0 ("c"): field "reason": is missing"#,
        ),
        (
            r#"{"id": "c", "packet": "FT-P2C-005", "op": "x", "node": "y", "field": "max_abs", "bound": 1, "reason": "r"}"#,
            r#"field "op": give exactly one of "op" and "node""#,
        ),
        (
            r#"{"id": "c", "packet": "FT-P2C-005", "field": "max_abs", "bound": 1, "reason": "r"}"#,
            r#"field "op": give exactly one"#,
        ),
        (
            r#"{"id": "c", "packet": "FT-P2C-005", "op": "x", "field": "count", "bound": 1, "reason": "r"}"#,
            r#"field "field": "count" cannot be bounded in FT-P2C-005"#,
        ),
        (
            r#"{"id": "c", "packet": "FT-P2C-007", "op": "device.guard_enter", "field": "count", "bound": 1.5, "reason": "r"}"#,
            r#"field "bound": a count is a whole number"#,
        ),
        (
            r#"{"id": "c", "packet": "FT-P2C-005", "op": "x", "field": "max_abs", "bound": "big", "reason": "r"}"#,
            r#"field "bound": must be a finite number >= 0"#,
        ),
        (
            r#"{"id": "c", "packet": "FT-P2C-005", "op": "x", "field": "max_abs", "bound": 1, "reason": "", "why": 1}"#,
            r#"field "entry": unknown key "why""#,
        ),
        (
            r#"{"id": "", "packet": "FT-P2C-005", "op": "x", "field": "max_abs", "bound": 1, "reason": "r"}"#,
            r#"entry 0 (""): field "id": must be a non-empty string"#,
        ),
    ];
    for (entry, want) in cases {
        let err = Allowlist::parse("l", &doc(entry))
            .expect_err(entry)
            .to_string();
        assert!(err.contains(want), "{entry}\n  got:  {err}\n  want: {want}");
        assert!(err.starts_with("allowlist l: "), "{err}");
    }
    let twice = format!("{ok}, {ok}");
    let err = Allowlist::parse("l", &doc(&twice)).expect_err("duplicate");
    assert!(
        err.to_string()
            .contains(r#"entry 1: field "id": "a" is used twice"#),
        "{err}"
    );
    let err = Allowlist::parse("l", r#"{"schema": "v0", "entries": []}"#).expect_err("schema");
    assert!(err.to_string().contains(r#"field "schema""#), "{err}");
    assert!(Allowlist::parse("l", "[").is_err());
}

/// A call whose DispatchKeySet differs (same op, keys reversed) is a
/// dispatch divergence charged to FT-P2C-002, the critical dispatch-keys
/// packet: no allowlist can allow it.
#[test]
fn a_changed_dispatch_keyset_is_charged_to_ft_p2c_002() {
    use ft_replay::{Tolerances, TraceData, diff, mutate};
    let torch = TraceData::load(&golden("mlp_train.torch.ftr")).expect("golden");
    let at = torch
        .events
        .iter()
        .position(|e| {
            matches!(&e.body, ft_trace::EventBody::Dispatch(ft_trace::DispatchEvent::Op(o)) if o.keyset.len() > 1)
        })
        .expect("an op with two keys");
    let [lo, hi] = u16::try_from(at).expect("small index").to_le_bytes();
    // Edit kind 8 with arg 2: reverse the op's keyset.
    let ours = mutate::mutate(&torch, &[8, lo, hi, 2, 0]);
    let report = diff(&torch, &ours, &Tolerances::default());
    assert_eq!(report.exit(), ft_replay::Exit::Structural);
    let dispatch: Vec<_> = report
        .parity
        .deviations
        .iter()
        .filter(|d| d.check == "dispatch")
        .collect();
    assert!(!dispatch.is_empty(), "{}", report.to_text(false));
    assert!(
        dispatch.iter().all(|d| d.packet == "FT-P2C-002"),
        "{dispatch:?}"
    );
    let mut hardened = report.clone();
    let list = Allowlist::parse(
        "l",
        r#"{"schema": "ft-hardened-deviation-allowlist/v1", "entries": []}"#,
    )
    .expect("empty list");
    ft_replay::parity::apply(&mut hardened, &list);
    assert_eq!(hardened.exit(), ft_replay::Exit::Structural);
}
