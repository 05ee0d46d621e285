//! [`BackgroundWriter`] (what the capture writes with: a [`NativeWriter`]
//! on a thread of its own), fed what the capture hands it (packed events
//! in batches, values as they are stored), writes every golden trace byte
//! for byte; the [`NativeWriter`] refuses bad input with a message naming
//! it, and an unfinished trace stays readable.

use std::path::{Path, PathBuf};

use ft_trace::rewrite::{FileItem, file_order};
use ft_trace::{TraceReader, ValueRecord};
use ft_trace_ffi::{BackgroundWriter, NativeWriter};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tracer/ffi is two levels down")
        .to_owned()
}

/// The elements of an EVENTS payload (its array header dropped) and their
/// count.
fn events_of(payload: &[u8]) -> (u32, &[u8]) {
    let mut cursor = payload;
    let count = rmp::decode::read_array_len(&mut cursor).expect("EVENTS payload is an array");
    (count, cursor)
}

/// Writes `source`'s events and values with a [`BackgroundWriter`] to
/// `dest`, in the source's order, as the capture would hand them over.
fn write_natively(source: &Path, dest: &Path) {
    let mut reader = TraceReader::open(source).expect("open golden");
    let meta = rmp_serde::to_vec(reader.meta()).expect("encode META");
    let mut writer = BackgroundWriter::create(dest, &meta).expect("create");
    for item in file_order(&reader) {
        match item {
            FileItem::Value(entry) => match reader.value_record_at(&entry).expect("value") {
                ValueRecord::Blob(blob) => {
                    writer
                        .put_blob(&blob.dtype, &blob.shape, &blob.data)
                        .expect("put_blob");
                }
                ValueRecord::Stats(stats) => {
                    let packed = rmp_serde::to_vec(&stats).expect("encode STATS");
                    writer.put_stats(&packed).expect("put_stats");
                }
            },
            FileItem::Events { chunk, .. } => {
                let payload = reader
                    .read_chunk_payload(chunk)
                    .expect("read chunk")
                    .expect("chunk exists");
                let (count, events) = events_of(&payload);
                writer.append_events(count, events).expect("append_events");
            }
        }
    }
    writer.finish().expect("finish");
}

#[test]
fn every_golden_trace_is_written_byte_for_byte() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut seen = 0;
    for entry in std::fs::read_dir(repo_root().join("traces")).expect("traces/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "ftr") {
            continue;
        }
        let dest = scratch.path().join("out.ftr");
        write_natively(&path, &dest);
        let original = std::fs::read(&path).expect("read golden");
        let written = std::fs::read(&dest).expect("read written");
        if original != written {
            let at = original
                .iter()
                .zip(&written)
                .position(|(a, b)| a != b)
                .unwrap_or(original.len().min(written.len()));
            panic!(
                "{}: the native writer's bytes differ at byte {at} ({} against {} bytes)",
                path.display(),
                written.len(),
                original.len()
            );
        }
        seen += 1;
    }
    assert!(seen >= 100, "expected the golden traces, found {seen}");
}

fn meta() -> Vec<u8> {
    rmp_serde::to_vec(&ft_trace::TraceMeta {
        producer: "test".into(),
        program: "p.py".into(),
        value_policy: "none".into(),
        attrs: vec![],
    })
    .expect("encode META")
}

/// The payload of an api `grad_mode` event (kind 0, 4):
/// `[grad enabled, inference mode]`.
fn grad_mode(enabled: bool) -> Vec<u8> {
    rmp_serde::to_vec(&(enabled, false)).expect("encode")
}

#[test]
fn single_appends_number_events_and_finish_renames_into_place() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dest = scratch.path().join("t.ftr");
    let mut writer = NativeWriter::create(&dest, &meta()).expect("create");
    assert!(scratch.path().join("t.ftr.partial").exists());
    assert_eq!(
        writer.append(0, 4, &grad_mode(false), 7).expect("append"),
        0
    );
    assert_eq!(writer.append(0, 4, &grad_mode(true), 8).expect("append"), 1);
    assert_eq!(writer.next_seq(), 2);
    let index = writer.finish().expect("finish");
    assert!(!index.is_empty());
    assert!(!scratch.path().join("t.ftr.partial").exists());
    let mut reader = TraceReader::open(&dest).expect("open");
    let events = reader.read_all().expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!((events[0].seq, events[0].ts), (0, 7));
    assert_eq!((events[1].seq, events[1].ts), (1, 8));
}

/// `[seq, layer, kind, payload, ts]` of an api `grad_mode` event.
fn event(seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x95];
    rmp::encode::write_uint(&mut out, seq).expect("encode");
    out.extend_from_slice(&[0x00, 0x04]);
    out.extend_from_slice(payload);
    out.push(0x00);
    out
}

#[test]
fn a_payload_that_does_not_decode_is_refused_with_its_seq_after_the_good_ones() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dest = scratch.path().join("t.ftr");
    let mut writer = NativeWriter::create(&dest, &meta()).expect("create");
    writer.append(0, 4, &grad_mode(true), 0).expect("append");
    // `grad_mode` carries bools, not a string: the second of this batch.
    let bad = rmp_serde::to_vec(&("yes", false)).expect("encode");
    let mut batch = event(1, &grad_mode(false));
    batch.extend(event(2, &bad));
    batch.extend(event(3, &grad_mode(true)));
    let error = writer
        .append_events(3, &batch)
        .expect_err("refused")
        .to_string();
    assert!(error.contains("event seq 2 does not decode"), "{error}");
    assert!(error.starts_with("cannot write trace:"), "{error}");
    assert_eq!(
        writer.next_seq(),
        2,
        "the good event before the bad one is kept"
    );
    writer.abort().expect("abort");
    let mut reader = TraceReader::recover(ft_trace::partial_path(&dest)).expect("recover");
    let events = reader.read_all().expect("events");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![0, 1]);
}

#[test]
fn an_event_of_an_unknown_kind_is_refused() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut writer = NativeWriter::create(&scratch.path().join("t.ftr"), &meta()).expect("create");
    let error = writer
        .append(0, 99, &grad_mode(true), 0)
        .expect_err("refused")
        .to_string();
    assert!(error.contains("unknown kind (0, 99)"), "{error}");
}

#[test]
fn a_meta_that_does_not_decode_is_refused() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let error = NativeWriter::create(&scratch.path().join("t.ftr"), b"\xc1")
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("META does not decode"), "{error}");
}

#[test]
fn an_aborted_trace_is_left_partial_and_readable() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dest = scratch.path().join("t.ftr");
    let mut writer = NativeWriter::create(&dest, &meta()).expect("create");
    for i in 0..5 {
        writer
            .append(0, 4, &grad_mode(i % 2 == 0), 0)
            .expect("append");
    }
    writer.abort().expect("abort");
    assert!(!dest.exists());
    let partial = ft_trace::partial_path(&dest);
    let reader = TraceReader::recover(&partial).expect("recover the partial trace");
    assert!(reader.truncation().is_some());
    assert_eq!(reader.salvaged().len() + reader.event_count() as usize, 5);
}
