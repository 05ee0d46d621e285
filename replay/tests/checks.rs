//! The diff's checks on hand-built traces: each deliberate difference must be
//! caught by the right check, with the right exit code and sequence numbers.

use std::collections::BTreeMap;

use ft_replay::{Exit, Tolerances, TraceData, diff};
use ft_trace::tensor_bytes::f32_to_bytes;
use ft_trace::{
    Accumulate, ApiEvent, AutogradEvent, BackwardCall, BlobRecord, ChainStep, Context,
    DispatchEvent, Edge, Event, EventBody, NodeCreated, OpCall, QueueEntry, TensorRef, TraceMeta,
    Value, blob_digest,
};

/// Builds a trace event by event, storing values as blobs.
struct Builder {
    events: Vec<Event>,
    blobs: BTreeMap<ft_trace::Digest, BlobRecord>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            events: Vec::new(),
            blobs: BTreeMap::new(),
        }
    }

    fn push(&mut self, body: EventBody) {
        let seq = self.events.len() as u64;
        self.events.push(Event { seq, ts: 0, body });
    }

    fn tensor(&mut self, id: u64, shape: &[i64], values: Option<&[f32]>) -> TensorRef {
        let value = values.map(|v| {
            let data = f32_to_bytes(v);
            let digest = blob_digest("float32", shape, &data);
            self.blobs.insert(
                digest,
                BlobRecord {
                    digest,
                    dtype: "float32".into(),
                    shape: shape.to_vec(),
                    data,
                },
            );
            digest
        });
        let mut stride = vec![1i64; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            stride[i] = stride[i + 1] * shape[i + 1];
        }
        TensorRef {
            id,
            dtype: "float32".into(),
            shape: shape.to_vec().into(),
            stride: stride.into(),
            offset: 0,
            storage: id,
            device: "cpu".into(),
            requires_grad: false,
            version: 0,
            value,
            sparse: None,
            nested: None,
        }
    }

    fn op(&mut self, name: &str, args: Vec<TensorRef>, out: TensorRef, context: Context) {
        self.push(EventBody::Dispatch(DispatchEvent::Op(OpCall {
            op: name.into(),
            keyset: vec!["AutogradCPU".into(), "CPU".into()].into(),
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
            args: args
                .into_iter()
                .enumerate()
                .map(|(i, t)| (format!("a{i}").into(), Value::Tensor(Box::new(t))))
                .collect(),
            outputs: vec![Value::Tensor(Box::new(out))],
            context,
        })));
    }

    fn node(&mut self, node: u64, name: &str, seq_nr: u64, next: &[Option<u64>], tensors: &[u64]) {
        self.push(EventBody::Autograd(AutogradEvent::Node(NodeCreated {
            node,
            name: name.into(),
            seq_nr,
            next: next
                .iter()
                .map(|&n| Edge {
                    node: n,
                    input_nr: 0,
                })
                .collect(),
            tensors: tensors.to_vec(),
        })));
    }

    fn queue(&mut self, push: bool, node: u64, seq_nr: u64) {
        let entry = QueueEntry {
            node,
            depth: 0,
            seq_nr,
            deps: 1,
        };
        self.push(EventBody::Autograd(if push {
            AutogradEvent::Push(entry)
        } else {
            AutogradEvent::Pop(entry)
        }));
    }

    fn build(self, label: &str) -> TraceData {
        TraceData {
            label: label.into(),
            meta: TraceMeta {
                producer: "test".into(),
                program: "synthetic".into(),
                value_policy: "all".into(),
                attrs: vec![],
            },
            events: self.events,
            blobs: ft_replay::blob_store::BlobStore::in_memory(self.blobs),
            produced: Default::default(),
        }
    }
}

/// Options for the synthetic program, each a deliberate deviation.
#[derive(Clone, Copy, Default)]
struct Deviation {
    drop_relu: bool,
    swap_pops: bool,
    relu_node_name: Option<&'static str>,
    backward_reads_input: bool,
    relu_delta: f32,
    extra_op: bool,
}

/// x (leaf) -> mul -> relu -> sum; backward through SumBackward0, ReluBackward0, MulBackward0.
fn program(dev: Deviation) -> TraceData {
    let mut b = Builder::new();
    let x = [1.0f32, -2.0, 3.0, -4.0];
    let mut leaf = b.tensor(0, &[4], Some(&x));
    leaf.requires_grad = true;
    b.push(EventBody::Api(ApiEvent::Tensor(ft_trace::TensorIntro {
        tensor: Box::new(leaf.clone()),
        alias: false,
    })));
    let mut arg = leaf.clone();
    arg.value = None;

    let doubled: Vec<f32> = x.iter().map(|v| v * 2.0).collect();
    let y = b.tensor(1, &[4], Some(&doubled));
    b.op(
        "aten.mul.Tensor",
        vec![arg.clone(), arg.clone()],
        y.clone(),
        Context::TopLevel,
    );
    b.node(0, "AccumulateGrad", u64::MAX, &[], &[0]);
    b.node(1, "MulBackward0", 0, &[Some(0), Some(0)], &[1]);
    if dev.extra_op {
        let c = b.tensor(9, &[4], Some(&doubled));
        b.op("aten.clone.default", vec![y.clone()], c, Context::TopLevel);
    }
    let relu: Vec<f32> = doubled
        .iter()
        .map(|v| v.max(0.0) + dev.relu_delta)
        .collect();
    let r = b.tensor(2, &[4], Some(&relu));
    if !dev.drop_relu {
        b.op(
            "aten.relu.default",
            vec![y.clone()],
            r.clone(),
            Context::TopLevel,
        );
        b.node(
            2,
            dev.relu_node_name.unwrap_or("ReluBackward0"),
            1,
            &[Some(1)],
            &[2],
        );
    }
    let total: f32 = relu.iter().sum();
    let s = b.tensor(3, &[], Some(&[total]));
    b.op(
        "aten.sum.default",
        vec![r.clone()],
        s.clone(),
        Context::TopLevel,
    );
    b.node(3, "SumBackward0", 2, &[Some(2)], &[3]);
    b.push(EventBody::Api(ApiEvent::Backward(BackwardCall {
        roots: vec![3],
        grads: vec![None],
        retain_graph: false,
        create_graph: false,
    })));
    b.queue(true, 3, 2);
    let mut pops = vec![(3u64, 2u64), (2, 1), (1, 0)];
    if dev.swap_pops {
        pops.swap(1, 2);
    }
    for (node, seq_nr) in pops {
        b.queue(false, node, seq_nr);
        if node == 2 {
            let g = b.tensor(10, &[4], Some(&[1.0; 4]));
            let saved = if dev.backward_reads_input {
                y.clone()
            } else {
                r.clone()
            };
            let out = b.tensor(11, &[4], Some(&[1.0, 0.0, 1.0, 0.0]));
            b.op(
                "aten.threshold_backward.default",
                vec![g, saved],
                out,
                Context::Node(2),
            );
        }
    }
    let mut grad = b.tensor(12, &[4], Some(&[4.0, 0.0, 12.0, 0.0]));
    grad.version = 0;
    b.push(EventBody::Autograd(AutogradEvent::Accumulate(Accumulate {
        node: 0,
        tensor: 0,
        grad: Box::new(grad),
    })));
    b.build("synthetic")
}

fn tol() -> Tolerances {
    Tolerances::new(None, None)
}

#[test]
fn identical_runs_match_with_zero_error() {
    let report = diff(
        &program(Deviation::default()),
        &program(Deviation::default()),
        &tol(),
    );
    assert_eq!(report.exit(), Exit::Match, "{}", report.to_text(false));
    assert_eq!(report.dispatch.matched, 4);
    assert_eq!(report.graph.matched, 4);
    assert_eq!(report.schedule.matched, 4);
    assert_eq!(report.values.max_abs, 0.0);
    assert!(
        report.graph.note.contains("VF2 confirms"),
        "{}",
        report.graph.note
    );
    assert!(report.to_text(false).contains("MATCH"));
}

#[test]
fn a_missing_op_is_structural_and_named_with_both_sequence_numbers() {
    let expected = program(Deviation::default());
    let actual = program(Deviation {
        drop_relu: true,
        ..Deviation::default()
    });
    let report = diff(&expected, &actual, &tol());
    assert_eq!(report.exit(), Exit::Structural);
    let missing = report
        .dispatch
        .divergences
        .iter()
        .find(|d| d.kind == "missing")
        .expect("relu reported missing");
    assert!(
        missing.message.contains("aten.relu.default"),
        "{}",
        missing.message
    );
    assert_eq!(missing.expected_seq, Some(4));
    assert!(missing.actual_seq.is_some());
    let first = report.first_divergence.expect("first divergence");
    assert_eq!(first.expected_seq, Some(4));
}

#[test]
fn an_extra_op_leaves_the_rest_aligned() {
    let expected = program(Deviation::default());
    let actual = program(Deviation {
        extra_op: true,
        ..Deviation::default()
    });
    let report = diff(&expected, &actual, &tol());
    assert_eq!(report.dispatch.matched, 4, "{}", report.to_text(false));
    assert_eq!(report.dispatch.divergences.len(), 1);
    assert_eq!(report.dispatch.divergences[0].kind, "extra");
}

#[test]
fn a_swapped_ready_queue_order_fails_the_schedule() {
    let expected = program(Deviation::default());
    let actual = program(Deviation {
        swap_pops: true,
        ..Deviation::default()
    });
    let report = diff(&expected, &actual, &tol());
    assert_eq!(report.exit(), Exit::Structural);
    assert!(!report.schedule.ok());
    let text = report.to_text(false);
    assert!(
        text.contains("autograd pop N1 MulBackward0 key=(0, 0)"),
        "{text}"
    );
}

#[test]
fn a_renamed_backward_node_fails_the_graph_check_naming_both() {
    let expected = program(Deviation::default());
    let actual = program(Deviation {
        relu_node_name: Some("ReluBackward1"),
        ..Deviation::default()
    });
    let report = diff(&expected, &actual, &tol());
    assert_eq!(report.exit(), Exit::Structural);
    let d = report.graph.divergences.first().expect("graph divergence");
    assert!(
        d.message.contains("ReluBackward0") && d.message.contains("ReluBackward1"),
        "{}",
        d.message
    );
    // The hashes already differ: no VF2 search (exponential on graphs that
    // are not isomorphic).
    assert!(
        report
            .graph
            .note
            .contains("canonical hashes differ (VF2 not run)"),
        "{}",
        report.graph.note
    );
}

#[test]
fn a_backward_formula_reading_the_wrong_tensor_fails_dataflow() {
    // threshold_backward reads relu's input instead of its saved result: same
    // shapes, so only the tensor correspondence can tell.
    let expected = program(Deviation::default());
    let actual = program(Deviation {
        backward_reads_input: true,
        ..Deviation::default()
    });
    let report = diff(&expected, &actual, &tol());
    assert_eq!(report.dispatch.matched, 4, "{}", report.to_text(false));
    assert_eq!(report.exit(), Exit::Structural);
    let d = report
        .dataflow
        .divergences
        .first()
        .expect("dataflow divergence");
    assert!(d.message.contains("threshold_backward"), "{}", d.message);
}

#[test]
fn a_perturbed_kernel_is_a_value_failure_with_local_then_propagated_drift() {
    let expected = program(Deviation::default());
    let actual = program(Deviation {
        relu_delta: 0.01,
        ..Deviation::default()
    });
    let report = diff(&expected, &actual, &tol());
    assert_eq!(report.exit(), Exit::Values, "{}", report.to_text(false));
    let first = &report.values.failures[0];
    assert_eq!(first.op, "aten.relu.default");
    assert_eq!(first.drift, "local");
    let sum = report
        .values
        .failures
        .iter()
        .find(|f| f.op == "aten.sum.default")
        .expect("sum drifts too");
    assert_eq!(sum.drift, "propagated");
    assert!(
        report
            .to_text(false)
            .contains("drift starts at aten.relu.default")
    );
}

#[test]
fn a_perturbation_within_tolerance_matches() {
    let expected = program(Deviation::default());
    let actual = program(Deviation {
        relu_delta: 1e-6,
        ..Deviation::default()
    });
    let report = diff(&expected, &actual, &tol());
    assert_eq!(report.exit(), Exit::Match, "{}", report.to_text(false));
    assert!(report.values.max_abs > 0.0);
}

#[test]
fn json_report_carries_the_counts() {
    let report = diff(
        &program(Deviation::default()),
        &program(Deviation::default()),
        &tol(),
    );
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["dispatch"]["matched"], 4);
    assert_eq!(json["schedule"]["matched"], 4);
}
