//! Writer ↔ reader round trips, crash recovery and version handling of `.ftr` files.

use std::path::{Path, PathBuf};

use ft_trace::format::{self, FLOOR_MINOR, VERSION_MAJOR};
use ft_trace::{
    ApiEvent, AutogradEvent, BackwardCall, ChainStep, Context, DispatchEvent, Edge, EventBody,
    FileTraceWriter, MemorySink, NodeCreated, OpCall, QueueEntry, TensorRef, TraceError, TraceMeta,
    TraceReader, TraceWriter, Value, ValuePolicy, partial_path,
};

fn meta() -> TraceMeta {
    TraceMeta {
        producer: "roundtrip-test".into(),
        program: "synthetic".into(),
        value_policy: "all".into(),
        attrs: vec![("purpose".into(), "test".into())],
    }
}

fn tensor(id: u64, value: Option<ft_trace::Digest>) -> TensorRef {
    TensorRef {
        id,
        dtype: "float32".into(),
        shape: vec![16, 8].into(),
        stride: vec![8, 1].into(),
        offset: 0,
        storage: id,
        device: "cpu".into(),
        requires_grad: id.is_multiple_of(2),
        version: 0,
        value,
        sparse: None,
        nested: None,
    }
}

fn op_event(i: u64, value: Option<ft_trace::Digest>) -> EventBody {
    EventBody::Dispatch(DispatchEvent::Op(OpCall {
        op: "aten.addmm.default".into(),
        keyset: vec![
            "AutogradCPU".into(),
            "ADInplaceOrView".into(),
            "BackendSelect".into(),
            "CPU".into(),
        ]
        .into(),
        chain: vec![
            ChainStep {
                key: "AutogradCPU".into(),
                handler: "autograd".into(),
            },
            ChainStep {
                key: "CPU".into(),
                handler: "kernel".into(),
            },
        ]
        .into(),
        args: vec![
            ("self".into(), Value::Tensor(Box::new(tensor(i, None)))),
            ("beta".into(), Value::Int(1)),
            ("alpha".into(), Value::Float(0.5)),
        ],
        outputs: vec![Value::Tensor(Box::new(tensor(i + 1, value)))],
        context: if i.is_multiple_of(3) {
            Context::TopLevel
        } else {
            Context::Node(i)
        },
    }))
}

/// Writes `n` events (op / node / push, cycling) with one blob per 10 events.
fn write_trace(path: &Path, n: u64) -> ft_trace::TraceSummary {
    let mut file = FileTraceWriter::create(path, &meta()).expect("create");
    let w = file.writer();
    for i in 0..n {
        let body = match i % 3 {
            0 => {
                let data: Vec<u8> = (0..512u32)
                    .flat_map(|x| (x + (i / 10) as u32).to_le_bytes())
                    .collect();
                let digest = w.put_blob("float32", &[16, 32], &data).expect("blob");
                op_event(i, Some(digest))
            }
            1 => EventBody::Autograd(AutogradEvent::Node(NodeCreated {
                node: i,
                name: "AddmmBackward0".into(),
                seq_nr: i,
                next: vec![
                    Edge {
                        node: Some(i.saturating_sub(1)),
                        input_nr: 0,
                    },
                    Edge {
                        node: None,
                        input_nr: 0,
                    },
                ],
                tensors: vec![i + 1],
            })),
            _ => EventBody::Autograd(AutogradEvent::Push(QueueEntry {
                node: i,
                depth: 0,
                seq_nr: i,
                deps: 1,
            })),
        };
        w.append(&body, 0).expect("append");
    }
    file.finish().expect("finish")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[test]
fn events_and_blobs_round_trip_through_a_file() {
    let dir = tmp();
    let path = dir.path().join("t.ftr");
    let summary = write_trace(&path, 3000);
    assert!(
        summary.index.chunks.len() >= 3,
        "spans several event chunks"
    );
    assert!(!partial_path(&path).exists(), "partial file renamed away");

    let mut reader = TraceReader::open(&path).expect("open");
    assert_eq!(reader.meta(), &meta());
    assert_eq!(reader.event_count(), 3000);
    assert_eq!(reader.index().layer_counts, [0, 1000, 2000, 0]);
    let events = reader.read_all().expect("read");
    assert_eq!(events.len(), 3000);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64);
    }
    // Blobs are deduplicated: 300 ops but only 300/… distinct values.
    assert_eq!(reader.blobs().len(), 300);
    let digest = events[0].body.tensor_refs()[1]
        .value
        .expect("output digest");
    let blob = reader
        .blob(&digest)
        .expect("read blob")
        .expect("blob exists");
    assert_eq!(blob.shape, vec![16, 32]);
    assert_eq!(blob.data.len(), 2048);
}

#[test]
fn events_iterate_chunk_by_chunk_in_order() {
    let dir = tmp();
    let path = dir.path().join("t.ftr");
    write_trace(&path, 3000);
    let mut reader = TraceReader::open(&path).expect("open");
    let seqs: Vec<u64> = reader.events().map(|e| e.expect("event").seq).collect();
    assert_eq!(seqs, (0..3000).collect::<Vec<u64>>());
}

#[test]
fn read_range_seeks_through_the_index() {
    let dir = tmp();
    let path = dir.path().join("t.ftr");
    write_trace(&path, 3000);
    let mut reader = TraceReader::open(&path).expect("open");
    let events = reader.read_range(2500, 10).expect("range");
    assert_eq!(events.len(), 10);
    assert_eq!(events[0].seq, 2500);
    assert_eq!(events[9].seq, 2509);
}

#[test]
fn every_event_is_written_deterministically() {
    let dir = tmp();
    let a = dir.path().join("a.ftr");
    let b = dir.path().join("b.ftr");
    write_trace(&a, 500);
    write_trace(&b, 500);
    assert_eq!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
}

#[test]
fn memory_sink_writes_the_same_bytes_as_a_streaming_writer() {
    let dir = tmp();
    let direct = dir.path().join("direct.ftr");
    write_trace(&direct, 700);

    let mut reader = TraceReader::open(&direct).expect("open");
    let events = reader.read_all().expect("read");
    // Feed the same stream through a MemorySink in the same interleaving.
    let mut sink = MemorySink::new(ValuePolicy::All, false);
    for event in &events {
        if let Some(digest) = event.body.tensor_refs().iter().find_map(|t| t.value) {
            let blob = reader.blob(&digest).expect("blob").expect("present");
            ft_trace::EventSink::put_blob(&mut sink, &blob.dtype, &blob.shape, &blob.data);
        }
        ft_trace::EventSink::record(&mut sink, event.body.clone());
    }
    let via_memory = dir.path().join("memory.ftr");
    sink.write_file(&via_memory, &meta()).expect("write");
    assert_eq!(
        std::fs::read(&direct).expect("direct"),
        std::fs::read(&via_memory).expect("memory")
    );
}

fn cut(path: &Path, keep: u64) -> PathBuf {
    let bytes = std::fs::read(path).expect("read");
    let out = path.with_extension("cut.ftr");
    std::fs::write(&out, &bytes[..keep as usize]).expect("write");
    out
}

#[test]
fn a_trace_cut_in_half_is_refused_strictly_and_recovered_leniently() {
    let dir = tmp();
    let path = dir.path().join("t.ftr");
    let summary = write_trace(&path, 3000);
    let half = cut(&path, summary.bytes / 2);

    let err = TraceReader::open(&half).err().expect("strict open fails");
    let TraceError::Truncated { offset, .. } = &err else {
        panic!("expected Truncated, got {err}");
    };
    let message = err.to_string();
    assert!(message.contains("truncated at offset"), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");

    let mut reader = TraceReader::recover(&half).expect("recover");
    let t = reader.truncation().expect("truncation reported").clone();
    assert_eq!(t.offset, *offset);
    assert!(t.offset <= summary.bytes / 2);
    let events = reader.read_all().expect("readable part");
    assert!(!events.is_empty() && events.len() < 3000);
    assert_eq!(reader.event_count(), events.len() as u64);
    // Every event that survived refers only to blobs that survived.
    for e in &events {
        for r in e.body.tensor_refs() {
            if let Some(d) = r.value {
                assert!(reader.has_blob(&d), "blob {d:?} of event {} lost", e.seq);
            }
        }
    }
}

/// A compressed (2.0) EVENTS chunk cut short yields no events: its one
/// zstd block never completes. Reading stops at the cut chunk with every
/// event before it.
#[test]
fn a_cut_inside_a_compressed_events_chunk_keeps_the_chunks_before_it() {
    let dir = tmp();
    let path = dir.path().join("t.ftr");
    write_trace(&path, 3000);
    let second = TraceReader::open(&path).expect("open").index().chunks[1];
    let cut_file = cut(&path, second.offset + 200);

    let mut reader = TraceReader::recover(&cut_file).expect("recover");
    let t = reader.truncation().expect("truncated").clone();
    assert_eq!(
        t.offset, second.offset,
        "the cut chunk is where reading stops"
    );
    assert_eq!(t.salvaged, 0, "{t:?}");
    let events = reader.read_all().expect("events");
    assert_eq!(events.len() as u64, second.first_seq);
}

/// In a 1.x file (raw chunks) the complete events at the start of a cut
/// EVENTS chunk are salvaged, as before 2.0.
#[test]
fn a_cut_inside_a_raw_events_chunk_salvages_the_complete_events_before_it() {
    let dir = tmp();
    let legacy =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy_1_1_mlp_train.ftr");
    let path = dir.path().join("legacy.ftr");
    std::fs::copy(&legacy, &path).expect("copy fixture");
    let second = TraceReader::open(&path).expect("open").index().chunks[1];
    let cut_file = cut(&path, second.offset + 5000);

    let mut reader = TraceReader::recover(&cut_file).expect("recover");
    let t = reader.truncation().expect("truncated").clone();
    assert_eq!(
        t.offset, second.offset,
        "the cut chunk is where reading stops"
    );
    assert!(t.salvaged > 0 && t.salvaged < second.count, "{t:?}");
    assert!(t.detail.contains("without checksum"), "{}", t.detail);
    let events = reader.read_all().expect("events");
    assert_eq!(events.len() as u64, second.first_seq + t.salvaged);
    assert_eq!(reader.event_count(), events.len() as u64);
    let iterated: Vec<u64> = reader.events().map(|e| e.expect("event").seq).collect();
    assert_eq!(iterated, (0..events.len() as u64).collect::<Vec<_>>());
    let tail = reader.read_range(second.first_seq, 10_000).expect("range");
    assert_eq!(tail.len() as u64, t.salvaged);
}

#[test]
fn a_trace_without_footer_is_truncated_at_its_end() {
    let dir = tmp();
    let path = dir.path().join("t.ftr");
    write_trace(&path, 100);
    let bytes = std::fs::read(&path).expect("read");
    let trailer = &bytes[bytes.len() - format::TRAILER_LEN as usize..];
    let index_offset = u64::from_le_bytes(trailer[..8].try_into().expect("8 bytes"));
    let no_footer = cut(&path, index_offset);
    let reader = TraceReader::recover(&no_footer).expect("recover");
    let t = reader.truncation().expect("truncated");
    assert_eq!(t.offset, index_offset);
    assert!(t.detail.contains("did not finish"), "{}", t.detail);
    assert_eq!(reader.event_count(), 100);
}

#[test]
fn a_dropped_writer_leaves_a_readable_partial_file() {
    let dir = tmp();
    let path = dir.path().join("crash.ftr");
    {
        let mut file = FileTraceWriter::create(&path, &meta()).expect("create");
        for i in 0..10 {
            file.writer()
                .append(&op_event(i * 3, None), 0)
                .expect("append");
        }
        // dropped without finish(): a crash from the writer's point of view
    }
    let partial = partial_path(&path);
    assert!(!path.exists());
    let mut reader = TraceReader::recover(&partial).expect("recover");
    assert!(reader.truncation().is_some());
    assert_eq!(reader.read_all().expect("events").len(), 10);
}

#[test]
fn a_future_major_version_is_refused_with_the_version_named() {
    let dir = tmp();
    let path = dir.path().join("t.ftr");
    write_trace(&path, 10);
    let mut bytes = std::fs::read(&path).expect("read");
    let future = VERSION_MAJOR + 1;
    bytes[8..10].copy_from_slice(&future.to_le_bytes());
    std::fs::write(&path, bytes).expect("write");
    let err = TraceReader::open(&path).err().expect("refused");
    assert!(matches!(err, TraceError::UnsupportedVersion { major, .. } if major == future));
    let message = err.to_string();
    assert!(
        message.contains(&format!("version {future}.{FLOOR_MINOR}")),
        "{message}"
    );
}

#[test]
fn bad_magic_and_flipped_bits_are_named() {
    let dir = tmp();
    let path = dir.path().join("t.ftr");
    write_trace(&path, 50);
    let good = std::fs::read(&path).expect("read");

    let mut not_trace = good.clone();
    not_trace[1] = b'X';
    std::fs::write(&path, &not_trace).expect("write");
    assert!(matches!(
        TraceReader::open(&path).err(),
        Some(TraceError::NotATrace { .. })
    ));

    // Flip a byte inside the first events chunk: its checksum fails.
    let mut flipped = good;
    let reader_offset = {
        std::fs::write(&path, &flipped).expect("write");
        let r = TraceReader::open(&path).expect("open");
        r.index().chunks[0].offset
    };
    flipped[(reader_offset + 20) as usize] ^= 0xff;
    std::fs::write(&path, &flipped).expect("write");
    let mut reader = TraceReader::open(&path).expect("footer still valid");
    let err = reader.read_all().expect_err("corrupt chunk detected");
    let message = err.to_string();
    assert!(
        message.contains(&format!("offset {reader_offset}")),
        "{message}"
    );
    assert!(message.contains("checksum"), "{message}");
}

#[test]
fn in_memory_writer_produces_a_header_meta_index_and_trailer() {
    let mut w = TraceWriter::new(Vec::new(), &meta()).expect("writer");
    w.append(
        &EventBody::Api(ApiEvent::Backward(BackwardCall {
            roots: vec![3],
            grads: vec![None],
            retain_graph: false,
            create_graph: false,
        })),
        0,
    )
    .expect("append");
    let (bytes, summary) = w.finish().expect("finish");
    assert_eq!(&bytes[..8], &format::MAGIC);
    assert_eq!(&bytes[bytes.len() - 8..], b"FTRINDEX");
    assert_eq!(summary.bytes as usize, bytes.len());
    assert_eq!(summary.index.event_count, 1);
    assert_eq!(summary.index.layer_counts, [1, 0, 0, 0]);
}

/// A writer starts at the floor minor (2.0) and stays there for every kind
/// of 2.0, for file and in-memory sinks alike; the reader reports the
/// version and decodes the events. A 1.x file says the 1.x minor of its
/// newest kind (1.2 for `default_dtype`) and reads as before.
#[test]
fn the_header_minor_is_the_lowest_that_covers_the_events() {
    use ft_trace::{ApiEvent, DefaultDtype, EventBody, ManualSeed};
    let seed = EventBody::Api(ApiEvent::ManualSeed(ManualSeed { seed: 1 }));
    let dtype = EventBody::Api(ApiEvent::DefaultDtype(DefaultDtype {
        dtype: "float64".into(),
    }));
    let dir = tmp();
    for (name, bodies) in [
        ("old.ftr", vec![seed.clone()]),
        ("new.ftr", vec![seed.clone(), dtype.clone(), seed]),
    ] {
        let path = dir.path().join(name);
        let mut file = FileTraceWriter::create(&path, &meta()).expect("create");
        let mut memory = TraceWriter::new(Vec::new(), &meta()).expect("writer");
        for body in &bodies {
            file.writer().append(body, 0).expect("append");
            memory.append(body, 0).expect("append");
        }
        assert_eq!(memory.minor_version(), FLOOR_MINOR);
        file.finish().expect("finish");
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(bytes, memory.finish().expect("finish").0, "{name}");
        assert_eq!(
            u16::from_le_bytes([bytes[10], bytes[11]]),
            FLOOR_MINOR,
            "{name}"
        );
        let mut reader = TraceReader::open(&path).expect("open");
        assert_eq!(reader.version(), (VERSION_MAJOR, FLOOR_MINOR));
        let events = reader.read_all().expect("events");
        let decoded: Vec<&EventBody> = events.iter().map(|e| &e.body).collect();
        assert_eq!(decoded, bodies.iter().collect::<Vec<_>>());
    }
    let legacy =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy_1_2_default_dtype.ftr");
    let mut reader = TraceReader::open(&legacy).expect("open 1.2");
    assert_eq!(reader.version(), (format::LEGACY_MAJOR, 2));
    let events = reader.read_all().expect("events of 1.2");
    assert!(events.iter().any(|e| e.body
        == EventBody::Api(ApiEvent::DefaultDtype(DefaultDtype {
            dtype: "float64".into(),
        }))));
}

/// api `autocast` is a 2.1 kind: a writer raises the header's minor in
/// place at the first one (file and memory sinks alike), the event reads
/// back field for field, and a complete file that says 2.0 over it is
/// refused — while a recording without one still says 2.0.
#[test]
fn an_autocast_event_raises_the_minor_to_2_1() {
    use ft_trace::{ApiEvent, Autocast, EventBody, ManualSeed};
    let seed = EventBody::Api(ApiEvent::ManualSeed(ManualSeed { seed: 1 }));
    let autocast = EventBody::Api(ApiEvent::Autocast(Autocast {
        device_type: "cpu".into(),
        enabled: true,
        dtype: "bfloat16".into(),
        cache_enabled: false,
    }));
    let dir = tmp();
    let path = dir.path().join("autocast.ftr");
    let mut file = FileTraceWriter::create(&path, &meta()).expect("create");
    let mut memory = TraceWriter::new(Vec::new(), &meta()).expect("writer");
    for body in [&seed, &autocast, &seed] {
        file.writer().append(body, 0).expect("append");
        memory.append(body, 0).expect("append");
        let expected = if body == &seed && memory.minor_version() == FLOOR_MINOR {
            FLOOR_MINOR
        } else {
            1
        };
        assert_eq!(memory.minor_version(), expected);
    }
    file.finish().expect("finish");
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(bytes, memory.finish().expect("finish").0);
    assert_eq!(u16::from_le_bytes([bytes[10], bytes[11]]), 1);
    const { assert!(format::VERSION_MINOR >= 1) };
    let mut reader = TraceReader::open(&path).expect("open");
    assert_eq!(reader.version(), (VERSION_MAJOR, 1));
    let events = reader.read_all().expect("events");
    assert_eq!(events[1].body, autocast);
    assert_eq!(events[1].body.kind_name(), "autocast");
    assert_eq!(events[1].body.code(), (0, 21));

    let mut lowered = bytes.clone();
    lowered[10] = 0;
    let low = dir.path().join("low.ftr");
    std::fs::write(&low, &lowered).expect("write");
    let refused = TraceReader::open(&low).and_then(|mut r| r.read_all().map(|_| ()));
    let message = format!("{}", refused.expect_err("a 2.0 header over a 2.1 kind"));
    assert!(message.contains("minor"), "{message}");
}

#[test]
fn a_complex_value_raises_the_minor_to_2_2() {
    let seed = EventBody::Api(ApiEvent::ManualSeed(ft_trace::ManualSeed { seed: 7 }));
    let mut call = op_event(0, None);
    if let EventBody::Dispatch(DispatchEvent::Op(op)) = &mut call {
        op.args[2].1 = Value::Complex { re: 0.0, im: 1.0 };
    }
    let dir = tmp();
    let path = dir.path().join("complex.ftr");
    let mut file = FileTraceWriter::create(&path, &meta()).expect("create");
    file.writer().append(&seed, 0).expect("append");
    assert_eq!(file.writer().minor_version(), FLOOR_MINOR);
    file.writer().append(&call, 0).expect("append");
    assert_eq!(file.writer().minor_version(), format::COMPLEX_VALUE_MINOR);
    file.finish().expect("finish");
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(u16::from_le_bytes([bytes[10], bytes[11]]), 2);
    let mut reader = TraceReader::open(&path).expect("open");
    let events = reader.read_all().expect("events");
    assert_eq!(events[1].body, call);

    let mut lowered = bytes.clone();
    lowered[10] = 1;
    let low = dir.path().join("low.ftr");
    std::fs::write(&low, &lowered).expect("write");
    let refused = TraceReader::open(&low).and_then(|mut r| r.read_all().map(|_| ()));
    let message = format!(
        "{}",
        refused.expect_err("a 2.1 header over a complex value")
    );
    assert!(message.contains("minor"), "{message}");
}

/// Appends `bodies` with both writers, checking the header's minor after
/// each (`minors`), and that both wrote the same bytes; then that a reader
/// gives the newest minor back and refuses the complete file once its
/// header says `lowered`. Returns the events read.
fn assert_kind_raises_minor(
    name: &str,
    bodies: &[&EventBody],
    minors: &[u16],
    lowered: u16,
) -> Vec<ft_trace::Event> {
    let dir = tmp();
    let path = dir.path().join(format!("{name}.ftr"));
    let mut file = FileTraceWriter::create(&path, &meta()).expect("create");
    let mut memory = TraceWriter::new(Vec::new(), &meta()).expect("writer");
    for (body, &minor) in bodies.iter().zip(minors) {
        file.writer().append(body, 0).expect("append");
        memory.append(body, 0).expect("append");
        assert_eq!(memory.minor_version(), minor);
        assert_eq!(file.writer().minor_version(), minor);
    }
    file.finish().expect("finish");
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(bytes, memory.finish().expect("finish").0);
    let newest = *minors.last().expect("a minor");
    assert_eq!(u16::from_le_bytes([bytes[10], bytes[11]]), newest);
    let mut reader = TraceReader::open(&path).expect("open");
    assert_eq!(reader.version(), (VERSION_MAJOR, newest));
    let events = reader.read_all().expect("events");

    let mut low_bytes = bytes.clone();
    low_bytes[10..12].copy_from_slice(&lowered.to_le_bytes());
    let low = dir.path().join("low.ftr");
    std::fs::write(&low, &low_bytes).expect("write");
    let refused = TraceReader::open(&low).and_then(|mut r| r.read_all().map(|_| ()));
    let message = format!(
        "{}",
        refused.expect_err("a lower minor than the kinds need")
    );
    assert!(message.contains("minor"), "{message}");
    events
}

/// api `anomaly_mode` is a 2.3 kind: a writer raises the header's minor to
/// 3 at the first one (above a complex value's 2), the event reads back
/// field for field, and a complete file that says 2.2 over it is refused.
#[test]
fn an_anomaly_mode_event_raises_the_minor_to_2_3() {
    use ft_trace::AnomalyMode;
    let seed = EventBody::Api(ApiEvent::ManualSeed(ft_trace::ManualSeed { seed: 3 }));
    let mut call = op_event(0, None);
    if let EventBody::Dispatch(DispatchEvent::Op(op)) = &mut call {
        op.args[2].1 = Value::Complex { re: 1.0, im: 0.0 };
    }
    let anomaly = EventBody::Api(ApiEvent::AnomalyMode(AnomalyMode {
        enabled: true,
        check_nan: false,
    }));
    let minors = [FLOOR_MINOR, format::COMPLEX_VALUE_MINOR, 3, 3];
    let events = assert_kind_raises_minor("anomaly", &[&seed, &call, &anomaly, &seed], &minors, 2);
    assert_eq!(format::ANOMALY_MODE_MINOR, 3);
    assert_eq!(events[2].body, anomaly);
    assert_eq!(events[2].body.kind_name(), "anomaly_mode");
    assert_eq!(events[2].body.code(), (0, 22));
}

/// api `below_autograd` is a 2.7 kind: a writer raises the header's minor
/// to 2.7 at it (both writers, byte for byte), a reader gives it back, and
/// a complete file that says 2.6 over it is refused.
#[test]
fn a_below_autograd_event_raises_the_minor_to_2_7() {
    use ft_trace::BelowAutograd;
    let seed = EventBody::Api(ApiEvent::ManualSeed(ft_trace::ManualSeed { seed: 3 }));
    let below = EventBody::Api(ApiEvent::BelowAutograd(BelowAutograd { enabled: true }));
    let events =
        assert_kind_raises_minor("below", &[&seed, &below, &seed], &[FLOOR_MINOR, 7, 7], 6);
    assert_eq!(format::BELOW_AUTOGRAD_MINOR, 7);
    assert_eq!(events[1].body, below);
    assert_eq!(events[1].body.kind_name(), "below_autograd");
    assert_eq!(events[1].body.code(), (0, 23));
}
