//! How the diff scales: two recordings of a long synthetic training run
//! (forward op + node, backward pop/op/push per step), identical but for one
//! missing op in the middle, diffed end to end (alignment, graph hashing and
//! VF2 skip above its limit, dataflow, values by digest).
//!
//! The `diff_only_files` group measures what `ft-replay A.ftr --against
//! B.ftr` does: both recordings written to `.ftr` files first, then loaded
//! (decoded, chain hashes verified) and diffed, as events of one trace per
//! second.
//!
//! `cargo bench -p ft-replay --bench diff`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ft_replay::{Tolerances, TraceData, diff};
use ft_trace::{
    AutogradEvent, ChainStep, Context, DispatchEvent, Edge, Event, EventBody, FileTraceWriter,
    NodeCreated, OpCall, QueueEntry, TensorRef, TraceMeta, Value,
};

fn tensor(id: u64) -> TensorRef {
    TensorRef {
        id,
        dtype: "float32".into(),
        shape: vec![64, 64].into(),
        stride: vec![64, 1].into(),
        offset: 0,
        storage: id,
        device: "cpu".into(),
        requires_grad: true,
        version: 0,
        value: None,
        sparse: None,
        nested: None,
    }
}

fn op(name: &str, input: u64, output: u64, context: Context) -> EventBody {
    EventBody::Dispatch(DispatchEvent::Op(OpCall {
        op: name.into(),
        keyset: vec!["AutogradCPU".into(), "CPU".into()].into(),
        chain: vec![ChainStep {
            key: "CPU".into(),
            handler: "kernel".into(),
        }]
        .into(),
        args: vec![("self".into(), Value::Tensor(Box::new(tensor(input))))],
        outputs: vec![Value::Tensor(Box::new(tensor(output)))],
        context,
    }))
}

/// `steps` chained ops with their nodes, then a backward through all of them.
fn run(steps: u64, skip: Option<u64>) -> TraceData {
    let mut bodies = Vec::new();
    for i in 0..steps {
        if Some(i) != skip {
            bodies.push(op("aten.relu.default", i, i + 1, Context::TopLevel));
        }
        bodies.push(EventBody::Autograd(AutogradEvent::Node(NodeCreated {
            node: i,
            name: "ReluBackward0".into(),
            seq_nr: i,
            next: vec![Edge {
                node: i.checked_sub(1),
                input_nr: 0,
            }],
            tensors: vec![i + 1],
        })));
    }
    for i in (0..steps).rev() {
        let q = QueueEntry {
            node: i,
            depth: 0,
            seq_nr: i,
            deps: 1,
        };
        bodies.push(EventBody::Autograd(AutogradEvent::Pop(q.clone())));
        bodies.push(op(
            "aten.threshold_backward.default",
            steps + 1 + i,
            steps + 2 + i,
            Context::Node(i),
        ));
        bodies.push(EventBody::Autograd(AutogradEvent::Push(q)));
    }
    TraceData {
        label: "bench".into(),
        meta: TraceMeta {
            producer: "bench".into(),
            program: "bench".into(),
            value_policy: "none".into(),
            attrs: vec![],
        },
        events: bodies
            .into_iter()
            .enumerate()
            .map(|(seq, body)| Event {
                seq: seq as u64,
                ts: 0,
                body,
            })
            .collect(),
        blobs: Default::default(),
        produced: Default::default(),
    }
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    for steps in [1_000u64, 10_000, 50_000] {
        let expected = run(steps, None);
        let actual = run(steps, Some(steps / 2));
        group.throughput(Throughput::Elements(expected.events.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(steps), &steps, |b, _| {
            b.iter(|| black_box(diff(&expected, &actual, &Tolerances::new(None, None)).exit()))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("diff_only_files");
    group.sample_size(10);
    let dir = tempfile::tempdir().expect("temporary directory");
    for steps in [10_000u64, 50_000] {
        let expected = dir.path().join(format!("expected_{steps}.ftr"));
        let actual = dir.path().join(format!("actual_{steps}.ftr"));
        let events = write(&run(steps, None), &expected);
        write(&run(steps, Some(steps / 2)), &actual);
        group.throughput(Throughput::Elements(events));
        group.bench_with_input(BenchmarkId::from_parameter(steps), &steps, |b, _| {
            b.iter(|| {
                let e = TraceData::load(&expected).expect("load");
                let a = TraceData::load(&actual).expect("load");
                black_box(diff(&e, &a, &Tolerances::new(None, None)).exit())
            })
        });
    }
    group.finish();
}

/// Writes `data` as a trace file; returns its number of events.
fn write(data: &TraceData, path: &std::path::Path) -> u64 {
    let mut writer = FileTraceWriter::create(path, &data.meta).expect("create trace");
    for event in &data.events {
        writer.writer().append_event(event).expect("append");
    }
    writer.finish().expect("finish trace");
    data.events.len() as u64
}

criterion_group!(diff_benches, benches);
criterion_main!(diff_benches);
