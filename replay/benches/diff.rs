//! How the diff scales: two recordings of a long synthetic training run
//! (forward op + node, backward pop/op/push per step), identical but for one
//! missing op in the middle, diffed end to end (alignment, graph hashing and
//! VF2 skip above its limit, dataflow, values by digest).
//!
//! `cargo bench -p ft-replay --bench diff`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ft_replay::{Tolerances, TraceData, diff};
use ft_trace::{
    AutogradEvent, ChainStep, Context, DispatchEvent, Edge, Event, EventBody, NodeCreated, OpCall,
    QueueEntry, TensorRef, TraceMeta, Value,
};

fn tensor(id: u64) -> TensorRef {
    TensorRef {
        id,
        dtype: "float32".into(),
        shape: vec![64, 64],
        stride: vec![64, 1],
        offset: 0,
        storage: id,
        device: "cpu".into(),
        requires_grad: true,
        version: 0,
        value: None,
    }
}

fn op(name: &str, input: u64, output: u64, context: Context) -> EventBody {
    EventBody::Dispatch(DispatchEvent::Op(OpCall {
        op: name.into(),
        keyset: vec!["AutogradCPU".into(), "CPU".into()],
        chain: vec![ChainStep {
            key: "CPU".into(),
            handler: "kernel".into(),
        }],
        args: vec![("self".into(), Value::Tensor(tensor(input)))],
        outputs: vec![Value::Tensor(tensor(output))],
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
}

criterion_group!(diff_benches, benches);
criterion_main!(diff_benches);
