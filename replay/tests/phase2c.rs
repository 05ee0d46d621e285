//! The Phase-2C packet artifacts and their validator: the shipped
//! artifacts validate; deleting a mandatory field, staling a report (a
//! golden changes), corrupting a sidecar or failing a gate each turn a
//! packet NOT_READY with the right reason; `ft-replay parity-report`
//! regenerates a report byte for byte; native fixtures run their programs
//! against the twins, and one that diverges fails its packet; checkpoint
//! fixtures round-trip PyTorch's files and fail when a verdict is wrong.

use std::path::{Path, PathBuf};
use std::process::Command;

use ft_replay::phase2c::{self, packet_reasons, parse_gate_yaml, validate};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shipped() -> PathBuf {
    repo().join("artifacts/phase2c")
}

/// A scratch repository: `artifacts/phase2c` copied, and the goldens packet
/// `id`'s report names. Returns (tempdir, its artifacts root).
fn scratch(id: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("artifacts/phase2c");
    copy_dir(&shipped(), &root);
    std::fs::create_dir_all(dir.path().join("traces")).expect("traces dir");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(id).join("parity_report.json")).expect("report"),
    )
    .expect("report json");
    for f in report["fixtures"].as_array().expect("fixtures") {
        if let Some(trace) = f["trace"].as_str() {
            std::fs::copy(repo().join(trace), dir.path().join(trace)).expect("copy golden");
        }
        if let Some(file) = f["file"].as_str() {
            let to = dir.path().join(file);
            std::fs::create_dir_all(to.parent().expect("a folder")).expect("checkpoint dir");
            std::fs::copy(repo().join(file), to).expect("copy checkpoint file");
        }
        let shared = f["program_shared"].as_array().into_iter().flatten();
        let sources = std::iter::once(&f["program_source"]).chain(shared.map(|s| &s["source"]));
        for source in sources.filter_map(Value::as_str) {
            let to = dir.path().join(source);
            std::fs::create_dir_all(to.parent().expect("a folder")).expect("program dir");
            std::fs::copy(repo().join(source), to).expect("copy native program");
        }
    }
    (dir, root)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn has(reasons: &[String], want: &str) -> bool {
    reasons.iter().any(|r| r.contains(want))
}

#[test]
fn the_shipped_artifacts_validate() {
    let v = validate(&shipped());
    assert!(v.passes(), "{}", v.to_text());
    for id in [
        "FT-P2C-001",
        "FT-P2C-002",
        "FT-P2C-003",
        "FT-P2C-004",
        "FT-P2C-005",
        "FT-P2C-006",
        "FT-P2C-008",
    ] {
        let p = v.packets.iter().find(|p| p.packet == id).expect("packet");
        assert!(p.ready(), "{id}: {:?}", p.reasons);
    }
}

#[test]
fn a_fresh_copy_of_a_critical_packet_is_ready() {
    let (_dir, root) = scratch("FT-P2C-004");
    assert_eq!(packet_reasons(&root, "FT-P2C-004"), Vec::<String>::new());
}

#[test]
fn deleting_a_mandatory_field_makes_the_packet_not_ready() {
    let (_dir, root) = scratch("FT-P2C-004");
    let path = root.join("FT-P2C-004/fixture_manifest.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    manifest["packet"]
        .as_object_mut()
        .expect("packet object")
        .remove("error_contract");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&manifest).expect("json"),
    )
    .expect("write");
    let reasons = packet_reasons(&root, "FT-P2C-004");
    assert!(
        has(
            &reasons,
            "mandatory field error_contract is missing or empty"
        ),
        "{reasons:?}"
    );
    let v = validate(&root);
    assert!(!v.passes());
    assert!(
        v.to_text().contains("FT-P2C-004 NOT_READY"),
        "{}",
        v.to_text()
    );
}

#[test]
fn a_changed_golden_makes_the_report_stale() {
    let (dir, root) = scratch("FT-P2C-004");
    let golden = dir.path().join("traces/diamond.torch.ftr");
    let mut bytes = std::fs::read(&golden).expect("read golden");
    bytes.push(0);
    std::fs::write(&golden, bytes).expect("write golden");
    let reasons = packet_reasons(&root, "FT-P2C-004");
    assert!(
        has(
            &reasons,
            "stale report: traces/diamond.torch.ftr has BLAKE3"
        ),
        "{reasons:?}"
    );
    assert!(
        has(&reasons, "regenerate: ft-replay parity-report --all"),
        "{reasons:?}"
    );
}

#[test]
fn a_corrupted_sidecar_does_not_decode() {
    let (_dir, root) = scratch("FT-P2C-004");
    let path = root.join("FT-P2C-004/parity_report.raptorq.json");
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    let hex = doc["sidecar_hex"].as_str().expect("hex").to_owned();
    let mid = hex.len() / 2;
    let flipped = if &hex[mid..=mid] == "0" { "1" } else { "0" };
    doc["sidecar_hex"] = Value::String(format!("{}{flipped}{}", &hex[..mid], &hex[mid + 1..]));
    std::fs::write(&path, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    let reasons = packet_reasons(&root, "FT-P2C-004");
    assert!(has(&reasons, "sidecar does not decode"), "{reasons:?}");
    assert!(has(&reasons, "checksum mismatch"), "{reasons:?}");
}

#[test]
fn a_damaged_report_is_refused_by_its_sidecar_and_proof() {
    let (_dir, root) = scratch("FT-P2C-004");
    let path = root.join("FT-P2C-004/parity_report.json");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replacen("\"MATCH\"", "\"MATCH!\"", 1)).expect("write");
    let reasons = packet_reasons(&root, "FT-P2C-004");
    assert!(
        has(&reasons, "source_blake3 is not the report's BLAKE3"),
        "{reasons:?}"
    );
    assert!(
        has(&reasons, "the recorded recovery is not the report's BLAKE3"),
        "{reasons:?}"
    );
}

#[test]
fn a_gate_that_the_report_does_not_meet_fails() {
    let (_dir, root) = scratch("FT-P2C-004");
    let path = root.join("FT-P2C-004/parity_gate.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    let tightened = text.replace("max_gradient_abs: 1.0e-5", "max_gradient_abs: 0");
    assert_ne!(text, tightened);
    std::fs::write(&path, tightened).expect("write");
    let reasons = packet_reasons(&root, "FT-P2C-004");
    assert!(
        has(
            &reasons,
            "gate: strict.max_gradient_abs 0e0: accumulated gradients drift"
        ),
        "{reasons:?}"
    );
    // The gate itself changed since the report: stale as well.
    assert!(
        has(&reasons, "stale report: parity_gate.yaml changed"),
        "{reasons:?}"
    );
}

#[test]
fn a_ready_packet_listed_as_expected_not_ready_fails_the_run() {
    let (_dir, root) = scratch("FT-P2C-001");
    let path = root.join("expected_not_ready.json");
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    doc["packets"]
        .as_array_mut()
        .expect("list")
        .push(serde_json::json!({"packet": "FT-P2C-001", "reason": "pretend"}));
    std::fs::write(&path, doc.to_string()).expect("write");
    let v = validate(&root);
    assert!(!v.passes());
    assert!(
        v.to_text().contains(
            "FT-P2C-001 READY (listed in expected_not_ready.json: remove it from the list)"
        ),
        "{}",
        v.to_text()
    );
}

#[test]
fn parity_report_regenerates_a_report_byte_for_byte() {
    let (_dir, root) = scratch("FT-P2C-007");
    let dir = root.join("FT-P2C-007");
    let before: Vec<Vec<u8>> = [
        "parity_report.json",
        "parity_report.raptorq.json",
        "parity_report.decode_proof.json",
    ]
    .iter()
    .map(|f| std::fs::read(dir.join(f)).expect("read"))
    .collect();
    for f in [
        "parity_report.json",
        "parity_report.raptorq.json",
        "parity_report.decode_proof.json",
    ] {
        std::fs::remove_file(dir.join(f)).expect("remove");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .args(["parity-report", "--packet", "FT-P2C-007", "--root"])
        .arg(&root)
        .output()
        .expect("run parity-report");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after: Vec<Vec<u8>> = [
        "parity_report.json",
        "parity_report.raptorq.json",
        "parity_report.decode_proof.json",
    ]
    .iter()
    .map(|f| std::fs::read(dir.join(f)).expect("read"))
    .collect();
    assert!(
        before == after,
        "regenerated artifacts differ from the shipped ones"
    );
    let proof: Value = serde_json::from_slice(&after[2]).expect("proof json");
    assert_eq!(proof["recovered_equals_source"], true);
    assert!(
        !proof["erased_symbols"]
            .as_array()
            .expect("erased")
            .is_empty()
    );
}

#[test]
fn an_unknown_packet_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .args(["parity-report", "--packet", "FT-P2C-009", "--root"])
        .arg(shipped())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown packet"));
}

#[test]
fn the_gate_yaml_subset_parses_and_refuses_what_it_cannot_read() {
    let doc = parse_gate_yaml(
        "# comment\npacket_id: FT-P2C-004\ncritical: true\nstrict:\n  max_deviations: 0 # inline\n  max_gradient_abs: 1.0e-5\ncoverage:\n  classes:\n    - happy\n    - \"edge\"\n",
    )
    .expect("parses");
    assert_eq!(doc["packet_id"], "FT-P2C-004");
    assert_eq!(doc["critical"], true);
    assert_eq!(doc["strict"]["max_deviations"], 0);
    assert_eq!(doc["strict"]["max_gradient_abs"], 1e-5);
    assert_eq!(
        doc["coverage"]["classes"],
        serde_json::json!(["happy", "edge"])
    );
    assert!(
        parse_gate_yaml("a: 1\na: 2\n")
            .expect_err("twice")
            .contains("given twice")
    );
    assert!(
        parse_gate_yaml("a:\n\tb: 1\n")
            .expect_err("tab")
            .contains("tabs")
    );
    assert!(parse_gate_yaml("a: 1\n   b: 2\n").is_err());
    assert!(parse_gate_yaml("just text\n").is_err());
}

#[test]
fn every_packet_has_its_files_and_fields() {
    for id in phase2c::PACKET_IDS {
        for file in phase2c::PACKET_FILES {
            assert!(shipped().join(id).join(file).is_file(), "{id}/{file}");
        }
    }
    for file in phase2c::CROSS_PACKET_FILES {
        assert!(shipped().join(file).is_file(), "{file}");
    }
}

/// Rewrites packet `id`'s manifest in a scratch copy: `edit` gets the
/// fixture list.
fn edit_fixtures(root: &Path, id: &str, edit: impl FnOnce(&mut Vec<Value>)) {
    let path = root.join(id).join("fixture_manifest.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("manifest")).expect("json");
    edit(manifest["fixtures"].as_array_mut().expect("fixtures"));
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&manifest).expect("json"),
    )
    .expect("write");
}

fn report_of(root: &Path, id: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root.join(id).join("parity_report.json")).expect("report"),
    )
    .expect("report json")
}

/// The shipped FT-P2C-008 report runs every native program against its
/// twin (MATCH) and every native mutation (CAUGHT), recording the
/// program's source hash.
#[test]
fn the_native_fixtures_match_and_their_mutations_are_caught() {
    let report = report_of(&shipped(), "FT-P2C-008");
    let native: Vec<&Value> = report["fixtures"]
        .as_array()
        .expect("fixtures")
        .iter()
        .filter(|f| f["kind"] == "native")
        .collect();
    let programs: std::collections::BTreeSet<&str> = native
        .iter()
        .filter_map(|f| f["program"].as_str())
        .collect();
    for p in ft_replay::native::PROGRAMS {
        assert!(
            programs.contains(p.name),
            "no native fixture runs {}",
            p.name
        );
    }
    for f in &native {
        let faulty = !f["runs"][0]["fault"].as_array().expect("fault").is_empty();
        let want = if faulty { "CAUGHT" } else { "MATCH" };
        assert_eq!(f["verdict"], want, "{f}");
        assert_eq!(f["runs"][0]["run"], "native", "{f}");
        assert!(f["program_blake3"].is_string(), "{f}");
    }
}

/// Regenerated from scratch, the native fixtures give the same verdicts:
/// the programs really run (and their mutations really diverge).
#[test]
fn parity_report_runs_the_native_programs() {
    let (_dir, root) = scratch("FT-P2C-008");
    edit_fixtures(&root, "FT-P2C-008", |fixtures| {
        fixtures.retain(|f| f["kind"] == "native");
    });
    phase2c::generate(&root, "FT-P2C-008").expect("generate");
    let report = report_of(&root, "FT-P2C-008");
    assert_eq!(report["summary"]["failed"], 0, "{report}");
    let shipped = report_of(&shipped(), "FT-P2C-008");
    let verdicts = |r: &Value| -> Vec<(String, String)> {
        r["fixtures"]
            .as_array()
            .expect("fixtures")
            .iter()
            .filter(|f| f["kind"] == "native")
            .map(|f| (f["id"].to_string(), f["verdict"].to_string()))
            .collect()
    };
    assert_eq!(verdicts(&report), verdicts(&shipped));
}

/// A native program whose `nn` or `optim` goes wrong (here AdamW's decay
/// applied as L2) where the fixture expects its twin's trace: the fixture
/// FAILs and the packet is NOT_READY.
#[test]
fn a_native_fixture_that_diverges_fails_its_packet() {
    let (_dir, root) = scratch("FT-P2C-008");
    edit_fixtures(&root, "FT-P2C-008", |fixtures| {
        fixtures.retain(|f| f["kind"] == "native");
        for f in fixtures.iter_mut() {
            if f["id"] == "native_gpt" {
                f["fault"] = Value::String("adamw-decay-as-l2".into());
            }
        }
    });
    phase2c::generate(&root, "FT-P2C-008").expect("generate");
    let report = report_of(&root, "FT-P2C-008");
    let gpt = report["fixtures"]
        .as_array()
        .expect("fixtures")
        .iter()
        .find(|f| f["id"] == "native_gpt")
        .expect("native_gpt");
    assert_eq!(gpt["verdict"], "FAIL", "{gpt}");
    assert_eq!(gpt["runs"][0]["exit_strict"], 1, "{gpt}");
    let reasons = packet_reasons(&root, "FT-P2C-008");
    assert!(has(&reasons, "strict.all_fixtures_pass"), "{reasons:?}");
}

/// Appends a comment to `source` (repository-relative) in a scratch copy of
/// the FT-P2C-008 tree and asserts the report is then stale naming it.
fn assert_editing_stales_the_native_report(source: &str) {
    let (dir, root) = scratch("FT-P2C-008");
    let path = dir.path().join(source);
    let mut text = std::fs::read_to_string(&path).expect("native source");
    text.push_str("\n// edited\n");
    std::fs::write(&path, text).expect("write");
    let reasons = packet_reasons(&root, "FT-P2C-008");
    assert!(
        has(&reasons, &format!("native program {source} changed")),
        "{reasons:?}"
    );
}

/// Editing a native program's source under a report stales the report.
#[test]
fn a_changed_native_program_makes_the_report_stale() {
    assert_editing_stales_the_native_report("runtime/examples/native/mlp.rs");
}

/// Editing the training loop the native programs share stales the report.
#[test]
fn a_changed_shared_native_source_makes_the_report_stale() {
    assert_editing_stales_the_native_report("runtime/examples/native/fit.rs");
}

/// The FT-P2C-006 report round-trips PyTorch's files byte for byte and
/// refuses the hostile ones.
#[test]
fn the_checkpoint_fixtures_round_trip_and_refuse() {
    let report = report_of(&shipped(), "FT-P2C-006");
    let verdict = |id: &str| {
        report["fixtures"]
            .as_array()
            .expect("fixtures")
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| (f["verdict"].clone(), f["runs"][0]["result"].clone()))
            .expect("fixture")
    };
    assert_eq!(
        verdict("mlp_state_dict"),
        ("MATCH".into(), "identical".into())
    );
    assert_eq!(verdict("every_dtype"), ("MATCH".into(), "identical".into()));
    assert_eq!(verdict("os_system"), ("CAUGHT".into(), "refused".into()));
    assert_eq!(verdict("truncated"), ("CAUGHT".into(), "refused".into()));
}

/// Expectations swapped — the hostile file expected to round-trip, the
/// good one expected to be refused — both fixtures FAIL and the packet is
/// NOT_READY; a changed file stales the report.
#[test]
fn a_checkpoint_fixture_with_the_wrong_outcome_fails_its_packet() {
    let (dir, root) = scratch("FT-P2C-006");
    edit_fixtures(&root, "FT-P2C-006", |fixtures| {
        fixtures.retain(|f| f["kind"] == "checkpoint");
        for f in fixtures.iter_mut() {
            if f["id"] == "os_system" {
                f.as_object_mut().expect("object").remove("expect_refusal");
            }
            if f["id"] == "mlp_state_dict" {
                f["expect_refusal"] = Value::String("posix.system".into());
            }
        }
    });
    phase2c::generate(&root, "FT-P2C-006").expect("generate");
    let report = report_of(&root, "FT-P2C-006");
    assert_eq!(report["summary"]["failed"], 2, "{report}");
    let reasons = packet_reasons(&root, "FT-P2C-006");
    assert!(has(&reasons, "strict.all_fixtures_pass"), "{reasons:?}");
    let file = dir.path().join("traces/checkpoints/every_dtype/archive.pt");
    let mut bytes = std::fs::read(&file).expect("file");
    bytes.push(0);
    std::fs::write(&file, bytes).expect("write");
    let reasons = packet_reasons(&root, "FT-P2C-006");
    assert!(
        has(
            &reasons,
            "traces/checkpoints/every_dtype/archive.pt changed"
        ),
        "{reasons:?}"
    );
}

/// A file whose records the runtime's writer lays out differently (here
/// `data.pkl` moved behind the storages: still readable) is a difference
/// naming the first record that differs.
#[test]
fn a_layout_the_writer_does_not_reproduce_is_a_difference() {
    use ft_replay::roundtrip::{RoundTrip, round_trip};
    use ft_runtime::serialize::{torch_archive_bytes, torch_archive_records};
    let bytes = std::fs::read(repo().join("traces/checkpoints/mlp_state_dict/archive.pt"))
        .expect("checkpoint");
    assert!(matches!(round_trip(&bytes), RoundTrip::Identical { .. }));
    let mut records = torch_archive_records(&bytes).expect("records");
    let pkl = records
        .iter()
        .position(|r| r.name == "archive/data.pkl")
        .expect("data.pkl");
    let moved = records.remove(pkl);
    records.push(moved);
    let entries: Vec<(&str, &[u8])> = records
        .iter()
        .map(|r| (r.name.as_str(), r.data.as_slice()))
        .collect();
    match round_trip(&torch_archive_bytes(&entries)) {
        RoundTrip::Differs(d) => assert!(d.contains("archive/data.pkl"), "{d}"),
        other => panic!("expected a difference, got {other:?}"),
    }
}

/// Regenerated from scratch, the checkpoint fixtures give the shipped
/// verdicts: the round trips really run on this build's reader and writer.
#[test]
fn parity_report_runs_the_checkpoint_round_trips() {
    let (_dir, root) = scratch("FT-P2C-006");
    edit_fixtures(&root, "FT-P2C-006", |fixtures| {
        fixtures.retain(|f| f["kind"] == "checkpoint");
    });
    phase2c::generate(&root, "FT-P2C-006").expect("generate");
    let verdicts = |r: &Value| -> Vec<(String, String, String)> {
        r["fixtures"]
            .as_array()
            .expect("fixtures")
            .iter()
            .filter(|f| f["kind"] == "checkpoint")
            .map(|f| {
                (
                    f["id"].to_string(),
                    f["verdict"].to_string(),
                    f["runs"][0].to_string(),
                )
            })
            .collect()
    };
    let report = report_of(&root, "FT-P2C-006");
    assert_eq!(report["summary"]["failed"], 0, "{report}");
    assert_eq!(
        verdicts(&report),
        verdicts(&report_of(&shipped(), "FT-P2C-006"))
    );
}
