//! Bad input never panics the reader: random cuts, flipped bytes and random
//! files all end in `Ok` (possibly truncated) or a `TraceError`.

use std::path::Path;

use ft_trace::{ApiEvent, EventBody, FileTraceWriter, ManualSeed, Mark, TraceMeta, TraceReader};
use proptest::prelude::*;

fn sample_trace(dir: &Path) -> Vec<u8> {
    let path = dir.join("sample.ftr");
    let meta = TraceMeta {
        producer: "hostile".into(),
        program: "p".into(),
        value_policy: "all".into(),
        attrs: vec![],
    };
    let mut file = FileTraceWriter::create(&path, &meta).expect("create");
    let w = file.writer();
    for i in 0..2000u64 {
        if i % 50 == 0 {
            let data: Vec<u8> = (0..64u8).map(|b| b.wrapping_add(i as u8)).collect();
            w.put_blob("float32", &[16], &data).expect("blob");
        }
        let body = if i % 2 == 0 {
            EventBody::Api(ApiEvent::ManualSeed(ManualSeed { seed: i }))
        } else {
            EventBody::Api(ApiEvent::MarkBegin(Mark {
                name: format!("step {i}"),
            }))
        };
        w.append(&body, i).expect("append");
    }
    file.finish().expect("finish");
    std::fs::read(&path).expect("read back")
}

/// Opens `bytes` both ways and reads everything; must not panic.
fn exercise(dir: &Path, bytes: &[u8]) {
    let path = dir.join("hostile.ftr");
    std::fs::write(&path, bytes).expect("write");
    if let Ok(mut reader) = TraceReader::recover(&path) {
        let _ = reader.read_all();
        let _ = reader.events().count();
        let _ = reader.read_range(reader.event_count() / 2, 10);
        for entry in reader.blobs().to_vec() {
            let _ = reader.blob(&entry.digest);
        }
    }
    if let Ok(mut reader) = TraceReader::open(&path) {
        let _ = reader.read_all();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cut_anywhere(fraction in 0.0f64..1.0) {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = sample_trace(dir.path());
        let keep = (bytes.len() as f64 * fraction) as usize;
        exercise(dir.path(), &bytes[..keep]);
    }

    #[test]
    fn flip_bytes_anywhere(positions in proptest::collection::vec(any::<prop::sample::Index>(), 1..8), xor in 1u8..=255) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut bytes = sample_trace(dir.path());
        for p in &positions {
            let i = p.index(bytes.len());
            bytes[i] ^= xor;
        }
        exercise(dir.path(), &bytes);
    }

    #[test]
    fn random_files(bytes in proptest::collection::vec(any::<u8>(), 0..4096), magic in any::<bool>()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut bytes = bytes;
        if magic && bytes.len() >= 16 {
            bytes[..16].copy_from_slice(&ft_trace::format::file_header());
        }
        exercise(dir.path(), &bytes);
    }

    #[test]
    fn garbage_payloads_with_valid_checksums(
        payloads in proptest::collection::vec((1u8..=6, proptest::collection::vec(any::<u8>(), 0..512)), 1..6),
        with_trailer in any::<bool>(),
    ) {
        use ft_trace::format::{chunk_kind, file_header, frame_chunk, trailer};
        let dir = tempfile::tempdir().expect("tempdir");
        let mut bytes = file_header().to_vec();
        bytes.extend(frame_chunk(chunk_kind::META, ft_trace::codec::RAW, &[0x94, 0xa1, b'p', 0xa1, b'q', 0xa3, b'a', b'l', b'l', 0x90]));
        let mut last_offset = 0;
        for (kind, payload) in &payloads {
            last_offset = bytes.len() as u64;
            bytes.extend(frame_chunk(*kind, ft_trace::codec::RAW, payload));
        }
        if with_trailer {
            bytes.extend(trailer(last_offset));
        }
        exercise(dir.path(), &bytes);
    }
}
