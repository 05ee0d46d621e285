//! [`BackgroundWriter`] reports a failure of work it took over at the next
//! call, keeps what came before it, never renames a failed trace into
//! place, and bounds the work it holds without refusing large values.

use std::path::Path;

use ft_trace::{TraceReader, ValueRecord, blob_digest, partial_path};
use ft_trace_ffi::{BackgroundWriter, QUEUE_BYTES};

fn meta(policy: &str) -> Vec<u8> {
    rmp_serde::to_vec(&ft_trace::TraceMeta {
        producer: "test".into(),
        program: "p.py".into(),
        value_policy: policy.into(),
        attrs: vec![],
    })
    .expect("encode META")
}

/// `[seq, layer, kind, payload, ts]` of an api `grad_mode` event whose
/// payload is `payload` (`[grad enabled, inference mode]` when good).
fn event<T: serde::Serialize>(seq: u64, payload: &T) -> Vec<u8> {
    let mut out = vec![0x95];
    rmp::encode::write_uint(&mut out, seq).expect("encode");
    out.extend_from_slice(&[0x00, 0x04]);
    out.extend(rmp_serde::to_vec(payload).expect("encode"));
    out.push(0x00);
    out
}

fn recovered_seqs(dest: &Path) -> Vec<u64> {
    let mut reader = TraceReader::recover(partial_path(dest)).expect("recover");
    let mut seqs: Vec<u64> = reader
        .read_all()
        .expect("events")
        .iter()
        .map(|e| e.seq)
        .collect();
    seqs.extend(reader.salvaged().iter().map(|e| e.seq));
    seqs
}

#[test]
fn a_bad_event_is_reported_by_the_next_call_and_what_came_before_is_kept() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dest = scratch.path().join("t.ftr");
    let mut writer = BackgroundWriter::create(&dest, &meta("none")).expect("create");
    let mut batch = event(0, &(true, false));
    batch.extend(event(1, &(false, false)));
    // `grad_mode` carries bools, not a string: the third of this batch.
    batch.extend(event(2, &("yes", false)));
    batch.extend(event(3, &(true, false)));
    writer
        .append_events(4, &batch)
        .expect("handed over: decoded on the writer's thread");
    let error = writer.sync().expect_err("reported").to_string();
    assert!(
        error.starts_with("cannot write trace: event seq 2 does not decode"),
        "{error}"
    );
    // Every later call reports the same failure, and nothing more is taken.
    let later = writer
        .put_blob("float32", &[1], &[0, 0, 128, 63])
        .expect_err("refused after the failure")
        .to_string();
    assert_eq!(later, error);
    writer.abort().expect("abort");
    assert!(!dest.exists());
    assert_eq!(recovered_seqs(&dest), vec![0, 1]);
}

#[test]
fn a_failed_trace_is_not_finished_into_place() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dest = scratch.path().join("t.ftr");
    let mut writer = BackgroundWriter::create(&dest, &meta("none")).expect("create");
    let mut batch = event(0, &(true, false));
    batch.extend(event(1, &[1, 2, 3]));
    writer.append_events(2, &batch).expect("handed over");
    let error = writer.finish().expect_err("refused").to_string();
    assert!(error.contains("event seq 1 does not decode"), "{error}");
    assert!(!dest.exists(), "a failed trace was renamed into place");
    assert_eq!(recovered_seqs(&dest), vec![0]);
}

#[test]
fn a_writer_dropped_unfinished_leaves_what_it_took_readable() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dest = scratch.path().join("t.ftr");
    let mut writer = BackgroundWriter::create(&dest, &meta("none")).expect("create");
    for seq in 0..5 {
        writer
            .append_events(1, &event(seq, &(seq % 2 == 0, false)))
            .expect("handed over");
    }
    drop(writer);
    assert!(!dest.exists());
    assert_eq!(recovered_seqs(&dest), vec![0, 1, 2, 3, 4]);
}

#[test]
fn values_beyond_the_queue_budget_are_all_written_once() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dest = scratch.path().join("t.ftr");
    let mut writer = BackgroundWriter::create(&dest, &meta("all")).expect("create");
    // Three values that together exceed the budget (the caller waits for
    // the writer between them), one of them larger than it on its own.
    let sizes = [QUEUE_BYTES / 2 + 4, QUEUE_BYTES + 8, QUEUE_BYTES / 2 + 4];
    let mut digests = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..n).map(|k| (k % 251) as u8 ^ i as u8).collect();
        let shape = [(n / 4) as i64];
        let digest = writer.put_blob("float32", &shape, &data).expect("put_blob");
        assert_eq!(digest, blob_digest("float32", &shape, &data));
        assert!(writer.has_value(&digest, true) && writer.has_value(&digest, false));
        // Handed over again: nothing more is queued or written.
        assert_eq!(
            writer.put_blob("float32", &shape, &data).expect("again"),
            digest
        );
        digests.push((digest, data));
    }
    writer.finish().expect("finish");
    let mut reader = TraceReader::open(&dest).expect("open");
    let entries = reader.index().blobs.clone();
    assert_eq!(entries.len(), sizes.len());
    for (digest, data) in &digests {
        let entry = entries
            .iter()
            .find(|e| e.digest == *digest)
            .expect("value written");
        match reader.value_record_at(entry).expect("value") {
            ValueRecord::Blob(blob) => assert!(blob.data == *data, "value bytes differ"),
            ValueRecord::Stats(_) => panic!("a BLOB was written as STATS"),
        }
    }
}

#[test]
fn positions_wait_for_what_was_handed_over() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dest = scratch.path().join("t.ftr");
    let mut writer = BackgroundWriter::create(&dest, &meta("none")).expect("create");
    let start = writer.sync().expect("sync");
    assert_eq!(start.next_seq, 0);
    assert_eq!(writer.written(), start.offset, "the header and META");
    let mut batch = Vec::new();
    for seq in 0..10 {
        batch.extend(event(seq, &(seq % 3 == 0, false)));
    }
    writer.append_events(10, &batch).expect("handed over");
    let end = writer.sync().expect("sync");
    assert_eq!(end.next_seq, 10);
    assert_eq!(writer.written(), end.offset);
    writer.finish().expect("finish");
    let mut reader = TraceReader::open(&dest).expect("open");
    assert_eq!(reader.read_all().expect("events").len(), 10);
}

#[test]
fn events_are_written_as_they_come_without_a_sync() {
    // What a process killed outright keeps: the EVENTS chunks the thread
    // completed, so events must not wait on the caller's side for a call.
    let scratch = tempfile::tempdir().expect("tempdir");
    let dest = scratch.path().join("t.ftr");
    let mut writer = BackgroundWriter::create(&dest, &meta("none")).expect("create");
    let start = writer.written();
    let mut seq = 0;
    for _ in 0..40 {
        let mut batch = Vec::new();
        for _ in 0..1000 {
            batch.extend(event(seq, &(seq % 3 == 0, seq % 5 == 0)));
            seq += 1;
        }
        writer.append_events(1000, &batch).expect("handed over");
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut chunks = 0;
    while std::time::Instant::now() < deadline {
        if writer.written() > start {
            let reader = TraceReader::recover(partial_path(&dest)).expect("recover");
            chunks = reader.index().chunks.len();
            if chunks >= 2 {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        chunks >= 2,
        "the .partial file holds {chunks} EVENTS chunks without a sync"
    );
    writer.finish().expect("finish");
}
