//! Throughput of the trace format: encoding + hashing events into a writer,
//! reading them back through the index, structural hashing alone, and
//! decoding EVENTS payloads with their hashes through the event decoder and
//! through serde.
//!
//! `cargo bench -p ft-trace`; numbers are events per second on this machine.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ft_trace::event_decode::{decode_events_with_hashes, decode_events_with_hashes_serde};
use ft_trace::{
    ChainStep, Context, DispatchEvent, EventBody, OpCall, TensorRef, TraceMeta, TraceReader,
    TraceWriter, Value,
};

const EVENTS: u64 = 20_000;

fn op(i: u64) -> EventBody {
    let t = |id: u64| TensorRef {
        id,
        dtype: "float32".into(),
        shape: vec![64, 256].into(),
        stride: vec![256, 1].into(),
        offset: 0,
        storage: id,
        device: "cpu".into(),
        requires_grad: true,
        version: 0,
        value: None,
        sparse: None,
        nested: None,
    };
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
            ("self".into(), Value::Tensor(Box::new(t(i)))),
            ("mat1".into(), Value::Tensor(Box::new(t(i + 1)))),
            ("mat2".into(), Value::Tensor(Box::new(t(i + 2)))),
            ("beta".into(), Value::Int(1)),
            ("alpha".into(), Value::Int(1)),
        ],
        outputs: vec![Value::Tensor(Box::new(t(i + 3)))],
        context: Context::TopLevel,
    }))
}

fn meta() -> TraceMeta {
    TraceMeta {
        producer: "bench".into(),
        program: "bench".into(),
        value_policy: "none".into(),
        attrs: vec![],
    }
}

fn write_events() -> Vec<u8> {
    let mut w = TraceWriter::new(Vec::with_capacity(8 << 20), &meta()).expect("writer");
    for i in 0..EVENTS {
        w.append(&op(i), 0).expect("append");
    }
    w.finish().expect("finish").0
}

fn benches(c: &mut Criterion) {
    let bodies: Vec<EventBody> = (0..EVENTS).map(op).collect();
    let mut group = c.benchmark_group("trace");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("write (encode + hash + frame)", |b| {
        b.iter(|| black_box(write_events()))
    });
    group.bench_function("structural hash", |b| {
        b.iter(|| {
            for body in &bodies {
                black_box(body.structural_hash());
            }
        })
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.ftr");
    std::fs::write(&path, write_events()).expect("write");
    group.bench_function("read_all (verify + decode + chain)", |b| {
        b.iter(|| {
            let mut r = TraceReader::open(&path).expect("open");
            black_box(r.read_all().expect("read"))
        })
    });
    let mut reader = TraceReader::open(&path).expect("open");
    let payloads: Vec<Vec<u8>> = (0..)
        .map_while(|chunk| reader.read_chunk_payload(chunk).expect("chunk"))
        .collect();
    group.bench_function("decode events + hashes (event_decode)", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(decode_events_with_hashes(payload).expect("decode"));
            }
        })
    });
    group.bench_function("decode events + hashes (serde)", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(decode_events_with_hashes_serde(payload).expect("decode"));
            }
        })
    });
    group.finish();
}

criterion_group!(trace, benches);
criterion_main!(trace);
