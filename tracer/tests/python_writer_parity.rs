//! The Python writer (`scripts/ftr.py`) and the Rust writer produce
//! byte-identical files for the same events.
//!
//! Every trace written by Python that the repository holds — the synthetic
//! fixture covering every event kind and value tag, and the golden PyTorch
//! traces — is re-written here event by event and blob by blob, in the
//! original order, with the Rust [`TraceWriter`]; the bytes must be equal.

use std::path::{Path, PathBuf};

use ft_trace::TraceReader;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tracer/ has a parent")
        .to_owned()
}

/// Re-writes `path` with the Rust writer, preserving chunk order.
fn rewrite(path: &Path) -> Vec<u8> {
    let mut reader = TraceReader::open(path).expect("open python-written trace");
    ft_trace::rewrite::rewrite_to_vec(&mut reader).expect("rewrite")
}

fn assert_same_bytes(path: &Path) {
    let original = std::fs::read(path).expect("read file");
    let rewritten = rewrite(path);
    if original != rewritten {
        let first = original
            .iter()
            .zip(&rewritten)
            .position(|(a, b)| a != b)
            .unwrap_or(original.len().min(rewritten.len()));
        panic!(
            "{}: Rust writer output differs from the Python writer's at byte {first} \
             (python {} bytes, rust {} bytes)",
            path.display(),
            original.len(),
            rewritten.len()
        );
    }
}

#[test]
fn synthetic_fixture_with_every_kind_is_byte_identical() {
    let fixture = repo_root().join("tracer/tests/fixtures/all_kinds.ftr");
    assert!(
        fixture.exists(),
        "{} is missing: run scripts/make_format_fixture.py",
        fixture.display()
    );
    let mut reader = TraceReader::open(&fixture).expect("open");
    assert!(
        reader.index().chunks.len() >= 3,
        "fixture spans several chunks"
    );
    let events = reader.read_all().expect("events");
    let unknown = events
        .iter()
        .filter(|e| matches!(e.body, ft_trace::EventBody::Unknown { .. }))
        .count();
    assert_eq!(unknown, 0, "every fixture event decodes to a known kind");
    assert_same_bytes(&fixture);
}

#[test]
fn golden_pytorch_traces_are_byte_identical() {
    let traces = repo_root().join("traces");
    let mut seen = 0;
    for entry in std::fs::read_dir(&traces).expect("traces/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "ftr") {
            assert_same_bytes(&path);
            seen += 1;
        }
    }
    assert!(
        seen >= 2,
        "expected the golden traces in {}",
        traces.display()
    );
}
