//! `ft_trace::verify`: every damaged chunk is listed (not only the first),
//! with its offset and kind; any single changed byte of a complete trace is
//! a problem; cut, resynchronised and hostile files are reported, never a
//! panic. Sidecars: a flipped byte anywhere in one is refused.

use std::path::{Path, PathBuf};

use ft_trace::sidecar::{self, Sidecar};
use ft_trace::verify::verify_file;
use ft_trace::{ApiEvent, EventBody, FileTraceWriter, ManualSeed, TraceMeta, TraceReader};
use proptest::prelude::*;

/// A complete trace with several EVENTS chunks and a handful of blobs.
fn sample(dir: &Path) -> PathBuf {
    let path = dir.join("sample.ftr");
    let meta = TraceMeta {
        producer: "verify".into(),
        program: "p".into(),
        value_policy: "all".into(),
        attrs: vec![("k".into(), "v".into())],
    };
    let mut file = FileTraceWriter::create(&path, &meta).expect("create");
    let w = file.writer();
    for seed in 0..4000u64 {
        if seed % 500 == 0 {
            let data: Vec<u8> = (0..64).map(|i| (seed as u8).wrapping_add(i)).collect();
            w.put_blob("float32", &[16], &data).expect("blob");
        }
        w.append(
            &EventBody::Api(ApiEvent::ManualSeed(ManualSeed { seed })),
            0,
        )
        .expect("append");
    }
    file.finish().expect("finish");
    path
}

fn offsets(path: &Path) -> (Vec<u64>, Vec<u64>) {
    let reader = TraceReader::open(path).expect("open");
    (
        reader.index().chunks.iter().map(|c| c.offset).collect(),
        reader.blobs().iter().map(|b| b.offset).collect(),
    )
}

#[test]
fn two_damaged_chunks_are_both_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = sample(dir.path());
    let (events, blobs) = offsets(&path);
    assert!(events.len() >= 3 && blobs.len() >= 3);
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[events[1] as usize + 30] ^= 1;
    bytes[blobs[2] as usize + 40] ^= 1;
    std::fs::write(&path, &bytes).expect("write");
    let v = verify_file(&path).expect("verify");
    let listed: Vec<(u64, &str)> = v
        .problems
        .iter()
        .map(|p| (p.offset, p.what.as_str()))
        .collect();
    let mut expected = vec![(events[1], "EVENTS"), (blobs[2], "BLOB")];
    expected.sort();
    assert_eq!(listed, expected, "{:?}", v.problems);
    assert_eq!(v.chunks.iter().filter(|c| !c.ok).count(), 2);
}

#[test]
fn a_damaged_length_field_resumes_at_the_next_indexed_chunk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = sample(dir.path());
    let (events, _) = offsets(&path);
    let mut bytes = std::fs::read(&path).expect("read");
    // Chunk header reserved byte: the header no longer parses.
    bytes[events[0] as usize + 6] = 0xee;
    // A later chunk's length field (one that another indexed chunk
    // follows): its checksum fails.
    bytes[events[1] as usize + 1] ^= 0x01;
    std::fs::write(&path, &bytes).expect("write");
    let v = verify_file(&path).expect("verify");
    let at: Vec<u64> = v.problems.iter().map(|p| p.offset).collect();
    assert!(at.contains(&events[0]), "{:?}", v.problems);
    assert!(at.contains(&events[1]), "{:?}", v.problems);
    assert!(
        v.problems
            .iter()
            .all(|p| p.what == "EVENTS" && [events[0], events[1]].contains(&p.offset)),
        "{:?}",
        v.problems
    );
}

#[test]
fn a_cut_file_is_incomplete_at_the_cut_chunk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = sample(dir.path());
    let (events, _) = offsets(&path);
    let bytes = std::fs::read(&path).expect("read");
    let cut = events[2] as usize + 100;
    std::fs::write(&path, &bytes[..cut]).expect("write");
    let v = verify_file(&path).expect("verify");
    assert!(!v.complete);
    assert!(
        v.problems
            .iter()
            .any(|p| p.offset == events[2] && p.detail.starts_with("incomplete")),
        "{:?}",
        v.problems
    );
    assert!(v.chunks.iter().all(|c| c.ok));
}

#[test]
fn a_blob_whose_content_misses_its_digest_is_listed() {
    // Rewrite one blob's data and its checksum: only the digest rule catches it.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = sample(dir.path());
    let (_, blobs) = offsets(&path);
    let mut bytes = std::fs::read(&path).expect("read");
    let at = blobs[1] as usize;
    let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4")) as usize;
    let payload_end = at + 8 + len;
    bytes[payload_end - 1] ^= 0x55; // last data byte
    let sum = blake3::hash(&bytes[at..payload_end]);
    bytes[payload_end..payload_end + 32].copy_from_slice(sum.as_bytes());
    std::fs::write(&path, &bytes).expect("write");
    let v = verify_file(&path).expect("verify");
    assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
    assert_eq!(v.problems[0].offset, blobs[1]);
    assert!(v.problems[0].detail.contains("not to its digest"));
}

fn sample_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::read(sample(dir.path())).expect("read")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every byte of a complete trace is covered: changing any one is a problem.
    #[test]
    fn any_changed_byte_is_a_problem(pos in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let mut bytes = sample_bytes().to_vec();
        let at = pos.index(bytes.len());
        bytes[at] ^= xor;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.ftr");
        std::fs::write(&path, &bytes).expect("write");
        let v = verify_file(&path).expect("verify");
        prop_assert!(!v.ok(), "byte {} ^ {:#x} went unnoticed", at, xor);
    }

    /// Hostile damage (runs of garbage, cuts) is reported, never a panic.
    #[test]
    fn garbage_is_reported_not_a_panic(
        at in any::<prop::sample::Index>(),
        run in 1usize..3000,
        fill in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = sample_bytes().to_vec();
        let start = at.index(bytes.len());
        let end = (start + run).min(bytes.len());
        bytes[start..end].fill(fill);
        let keep = bytes.len() - cut.index(bytes.len() / 4 + 1);
        bytes.truncate(keep);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.ftr");
        std::fs::write(&path, &bytes).expect("write");
        let v = verify_file(&path).expect("verify");
        if bytes != sample_bytes() {
            prop_assert!(!v.ok());
        }
    }

    /// A sidecar with any byte changed is refused before it is used.
    #[test]
    fn any_changed_sidecar_byte_is_refused(pos in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let data = sample_bytes();
        let made = sidecar::protect(Path::new("t.ftr"), data, ft_trace::Digest::ZERO, 0, 10)
            .expect("protect");
        let mut bytes = made.to_bytes().expect("encode");
        let at = pos.index(bytes.len());
        bytes[at] ^= xor;
        prop_assert!(Sidecar::from_bytes(Path::new("t.ftr.rq"), &bytes).is_err());
    }
}
