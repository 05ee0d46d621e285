//! `ft-replay info`, `verify`, `protect` and `repair` on copies of a golden
//! trace: damage up to the sidecar's overhead is repaired byte-identical,
//! damage beyond it is refused with the original untouched, `verify` lists
//! every damaged chunk, `info` describes complete and cut traces, and a
//! damaged sidecar is never used.

use std::path::{Path, PathBuf};

use ft_trace::TraceReader;
use ft_trace::sidecar::{Sidecar, sidecar_path};

mod support;

use support::{path_str as s, repo, run as ft_replay, text};

/// A copy of a golden in a fresh directory.
fn golden_copy(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(repo().join("traces").join(name), &path).expect("copy golden");
    path
}

fn protect(path: &Path, overhead: &str) -> Sidecar {
    let out = ft_replay(&["protect", s(path), "--overhead", overhead]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    Sidecar::read(&sidecar_path(path)).expect("sidecar reads back")
}

/// Overwrites `symbols` whole symbols from symbol `first` on with garbage.
fn destroy_symbols(path: &Path, sidecar: &Sidecar, first: u64, symbols: u64) {
    let mut bytes = std::fs::read(path).expect("read");
    let t = u64::from(sidecar.layout.symbol_size);
    let from = (first * t) as usize;
    let to = (((first + symbols) * t) as usize).min(bytes.len());
    for (i, b) in bytes[from..to].iter_mut().enumerate() {
        *b = !*b ^ (i as u8);
    }
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn damage_up_to_the_overhead_is_repaired_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = golden_copy(dir.path(), "mlp_train.torch.ftr");
    let original = std::fs::read(&path).expect("read");
    let sidecar = protect(&path, "10");
    let covered = sidecar.repair_symbols();
    assert!(covered >= 10, "{covered}");
    // Two regions, several whole chunks each, exactly `covered` symbols lost.
    destroy_symbols(&path, &sidecar, 2, covered / 2);
    let second = sidecar.layout.symbols / 2;
    assert!(second > 2 + covered / 2, "the regions must not overlap");
    destroy_symbols(&path, &sidecar, second, covered - covered / 2);
    let broken = ft_replay(&["verify", s(&path)]);
    assert_eq!(broken.status.code(), Some(4), "{:?}", text(&broken));
    let out = ft_replay(&["repair", s(&path)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("{covered} of the {covered} symbols")),
        "{stdout}"
    );
    assert_eq!(std::fs::read(&path).expect("read"), original);
    let again = ft_replay(&["repair", s(&path)]);
    assert!(text(&again).0.contains("intact"), "{:?}", text(&again));
    // A cut tail is missing bytes, restored the same way.
    std::fs::write(&path, &original[..original.len() - 1000]).expect("cut");
    let out = ft_replay(&["repair", s(&path)]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(std::fs::read(&path).expect("read"), original);
}

#[test]
fn a_missing_trace_is_rebuilt_from_a_full_sidecar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = golden_copy(dir.path(), "mlp_train.torch.ftr");
    let original = std::fs::read(&path).expect("read");
    protect(&path, "110");
    std::fs::remove_file(&path).expect("remove");
    let out = ft_replay(&["repair", s(&path)]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(std::fs::read(&path).expect("read"), original);
}

#[test]
fn damage_beyond_the_overhead_cannot_be_repaired_and_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = golden_copy(dir.path(), "mlp_train.torch.ftr");
    let sidecar = protect(&path, "10");
    let covered = sidecar.repair_symbols();
    destroy_symbols(&path, &sidecar, 3, covered + 1);
    let damaged = std::fs::read(&path).expect("read");
    let out = ft_replay(&["repair", s(&path)]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot repair: {} symbols lost, sidecar covers {covered}",
            covered + 1
        )),
        "{stderr}"
    );
    assert!(stderr.contains("was not modified"), "{stderr}");
    assert_eq!(std::fs::read(&path).expect("read"), damaged);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary file left: {leftovers:?}");
}

#[test]
fn a_damaged_sidecar_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = golden_copy(dir.path(), "mlp_train.torch.ftr");
    let sidecar = protect(&path, "10");
    destroy_symbols(&path, &sidecar, 5, 1);
    let damaged = std::fs::read(&path).expect("read");
    let rq = sidecar_path(&path);
    let mut bytes = std::fs::read(&rq).expect("read sidecar");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    std::fs::write(&rq, &bytes).expect("write sidecar");
    let out = ft_replay(&["repair", s(&path)]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("sidecar refused: checksum mismatch"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&path).expect("read"), damaged);
}

#[test]
fn protect_is_deterministic_and_refuses_a_damaged_trace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = golden_copy(dir.path(), "mlp_train.torch.ftr");
    protect(&path, "25");
    let first = std::fs::read(sidecar_path(&path)).expect("read");
    protect(&path, "25");
    assert_eq!(std::fs::read(sidecar_path(&path)).expect("read"), first);
    let other = dir.path().join("copy.ftr");
    std::fs::copy(&path, &other).expect("copy");
    protect(&other, "25");
    assert_eq!(std::fs::read(sidecar_path(&other)).expect("read"), first);

    let mut bytes = std::fs::read(&path).expect("read");
    bytes[2000] ^= 1;
    std::fs::write(&path, bytes).expect("write");
    let out = ft_replay(&["protect", s(&path)]);
    assert_eq!(out.status.code(), Some(4), "{:?}", text(&out));
    assert!(text(&out).1.contains("cannot protect"), "{:?}", text(&out));
    assert_eq!(std::fs::read(sidecar_path(&path)).expect("read"), first);
}

#[test]
fn verify_lists_every_damaged_chunk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = golden_copy(dir.path(), "mlp_train.torch.ftr");
    let clean = ft_replay(&["verify", s(&path)]);
    assert_eq!(clean.status.code(), Some(0), "{:?}", text(&clean));
    let (events_at, blob_at) = {
        let reader = TraceReader::open(&path).expect("open");
        (
            reader.index().chunks[1].offset,
            reader.blobs()[reader.blobs().len() / 2].offset,
        )
    };
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[events_at as usize + 20] ^= 0x01;
    bytes[blob_at as usize + 12] ^= 0x80;
    std::fs::write(&path, bytes).expect("write");
    let other = golden_copy(dir.path(), "batch_one.torch.ftr");
    let out = ft_replay(&["verify", s(&path), s(&other)]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    let name = s(&path);
    assert!(
        stdout.contains(&format!(
            "{name}: offset {events_at}: EVENTS: checksum mismatch"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{name}: offset {blob_at}: BLOB: checksum mismatch"
        )),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{}: ok", s(&other))), "{stdout}");
    assert!(
        stdout.contains("DAMAGED: 2 problem(s), 2 damaged chunk(s)"),
        "{stdout}"
    );
    let json = ft_replay(&["verify", "--format", "json", s(&path)]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(
        doc["files"][0]["problems"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn info_on_complete_and_truncated_traces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = golden_copy(dir.path(), "mlp_train.torch.ftr");
    let out = ft_replay(&["info", s(&path)]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let chain = TraceReader::open(&path)
        .expect("open")
        .index()
        .chain
        .to_hex();
    for needle in [
        "producer   capture_torch.py",
        "program    traces/programs/mlp_train.py",
        "values     all",
        "torch_version=",
        "complete   yes",
        chain.as_str(),
    ] {
        assert!(stdout.contains(needle), "{needle} in {stdout}");
    }
    let json = ft_replay(&["info", "--format", "json", s(&path)]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["chain"], chain.as_str());

    let bytes = std::fs::read(&path).expect("read");
    let cut = dir.path().join("cut.ftr");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).expect("write");
    let out = ft_replay(&["info", s(&cut)]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("complete   no: readable up to offset"),
        "{stdout}"
    );
    let json = ft_replay(&["info", "--format", "json", s(&cut)]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(doc["complete"], false);
    assert!(doc["stop"]["offset"].as_u64().is_some());
}
