//! The values check's room for another summation order
//! (`checks::accumulation`): a matrix product whose element cancels may
//! differ from PyTorch's by more than `assert_close` allows yet within what
//! two correct summation orders can leave apart — that is no failure, and
//! neither is a view showing it — while an error beyond that room still
//! is, naming the operator.

use std::collections::BTreeMap;

use ft_replay::{Exit, Tolerances, TraceData, diff};
use ft_trace::tensor_bytes::f32_to_bytes;
use ft_trace::{
    BlobRecord, ChainStep, Context, DispatchEvent, Event, EventBody, OpCall, TensorRef, TraceMeta,
    Value, blob_digest,
};

/// `a · b` cancels: the products sum to 4000.5 in absolute value, the
/// result is −0.5, so the room of another order (2·γ₆ of float32 times
/// 4000.5, about 2.9e-3) is far beyond `assert_close`'s 1e-5 there.
const A: [f32; 4] = [1000.0, -1000.0, 1000.0, -1000.5];
const B: [f32; 4] = [1.0, 1.0, 1.0, 1.0];
const PRODUCT: f32 = -0.5;

struct Trace {
    events: Vec<Event>,
    blobs: BTreeMap<ft_trace::Digest, BlobRecord>,
}

impl Trace {
    fn tensor(&mut self, id: u64, storage: u64, shape: &[i64], values: &[f32]) -> TensorRef {
        let data = f32_to_bytes(values);
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
            storage,
            device: "cpu".into(),
            requires_grad: false,
            version: 0,
            value: Some(digest),
            sparse: None,
            nested: None,
        }
    }

    fn op(&mut self, name: &str, args: Vec<(&str, Value)>, out: TensorRef) {
        let seq = self.events.len() as u64;
        self.events.push(Event {
            seq,
            ts: 0,
            body: EventBody::Dispatch(DispatchEvent::Op(OpCall {
                op: name.into(),
                keyset: vec!["CPU".into()].into(),
                chain: vec![ChainStep {
                    key: "CPU".into(),
                    handler: "kernel".into(),
                }]
                .into(),
                args: args.into_iter().map(|(n, v)| (n.into(), v)).collect(),
                outputs: vec![out.into()],
                context: Context::TopLevel,
            })),
        });
    }
}

/// `mm(a [1, 4], b [4, 1])` whose result is off by `error`, then a view of
/// it as a vector.
fn product_then_view(error: f32) -> TraceData {
    let mut t = Trace {
        events: Vec::new(),
        blobs: BTreeMap::new(),
    };
    let a = t.tensor(0, 0, &[1, 4], &A);
    let b = t.tensor(1, 1, &[4, 1], &B);
    let out = t.tensor(2, 2, &[1, 1], &[PRODUCT + error]);
    t.op(
        "aten.mm.default",
        vec![("self", a.into()), ("mat2", b.into())],
        out.clone(),
    );
    let view = t.tensor(3, 2, &[1], &[PRODUCT + error]);
    t.op(
        "aten.view.default",
        vec![
            ("self", out.into()),
            ("size", Value::List(vec![Value::Int(1)])),
        ],
        view,
    );
    trace_data(t)
}

#[test]
fn a_cancelling_product_within_another_orders_rounding_matches() {
    let report = diff(
        &product_then_view(0.0),
        &product_then_view(1e-3),
        &Tolerances::new(None, None),
    );
    assert_eq!(report.exit(), Exit::Match, "{}", report.to_text(false));
    // the product and the view that shows it
    assert_eq!(report.values.reordered, 2, "{}", report.to_text(false));
    assert!(report.values.max_abs > 9e-4);
    assert!(
        report.to_text(false).contains(
            "2 sums (matrix products, reductions) within the rounding of another summation order"
        ),
        "{}",
        report.to_text(false)
    );
}

#[test]
fn an_error_beyond_that_rounding_still_fails_naming_the_product() {
    let report = diff(
        &product_then_view(0.0),
        &product_then_view(1e-2),
        &Tolerances::new(None, None),
    );
    assert_eq!(report.exit(), Exit::Values, "{}", report.to_text(false));
    assert_eq!(report.values.reordered, 0);
    let first = &report.values.failures[0];
    assert_eq!(first.op, "aten.mm.default");
    assert_eq!(first.drift, "local");
}

#[test]
fn the_room_is_left_out_of_json_until_used() {
    let same = diff(
        &product_then_view(0.0),
        &product_then_view(0.0),
        &Tolerances::new(None, None),
    );
    let json = serde_json::to_value(&same).expect("json");
    assert!(json["values"].get("reordered").is_none(), "{json}");
    let reordered = diff(
        &product_then_view(0.0),
        &product_then_view(1e-3),
        &Tolerances::new(None, None),
    );
    let json = serde_json::to_value(&reordered).expect("json");
    assert_eq!(json["values"]["reordered"], 2);
}

fn trace_data(t: Trace) -> TraceData {
    TraceData {
        label: "synthetic".into(),
        meta: TraceMeta {
            producer: "test".into(),
            program: "synthetic".into(),
            value_policy: "all".into(),
            attrs: vec![],
        },
        events: t.events,
        blobs: ft_replay::blob_store::BlobStore::in_memory(t.blobs),
        produced: Default::default(),
    }
}

fn ints(v: &[i64]) -> Value {
    Value::List(v.iter().map(|&i| Value::Int(i)).collect())
}

/// The arguments a convolution and its backward share after the tensors.
fn conv_geometry() -> Vec<(&'static str, Value)> {
    vec![
        ("stride", ints(&[1])),
        ("padding", ints(&[0])),
        ("dilation", ints(&[1])),
        ("transposed", Value::Bool(false)),
        ("output_padding", ints(&[0])),
        ("groups", Value::Int(1)),
    ]
}

/// `conv1d(x [1, 1, 4], w [1, 1, 4])`: one output that sums the cancelling
/// products of `A` and `B`, off by `error`.
fn convolution(error: f32) -> TraceData {
    let mut t = Trace {
        events: Vec::new(),
        blobs: BTreeMap::new(),
    };
    let x = t.tensor(0, 0, &[1, 1, 4], &A);
    let w = t.tensor(1, 1, &[1, 1, 4], &B);
    let out = t.tensor(2, 2, &[1, 1, 1], &[PRODUCT + error]);
    let mut args = vec![
        ("input", x.into()),
        ("weight", w.into()),
        ("bias", Value::None),
    ];
    args.extend(conv_geometry());
    t.op("aten.convolution.default", args, out);
    trace_data(t)
}

/// The weight gradient of a 1x1 convolution over a batch of four, whose
/// sum over the batch cancels (off by `error`), then AccumulateGrad storing
/// it as the weight's `.grad`.
fn weight_gradient_then_accumulate(error: f32) -> TraceData {
    let mut t = Trace {
        events: Vec::new(),
        blobs: BTreeMap::new(),
    };
    let grad_output = t.tensor(0, 0, &[4, 1, 1], &B);
    let x = t.tensor(1, 1, &[4, 1, 1], &A);
    let w = t.tensor(2, 2, &[1, 1, 1], &[0.25]);
    let grad_weight = t.tensor(3, 3, &[1, 1, 1], &[PRODUCT + error]);
    let mut args = vec![
        ("grad_output", grad_output.into()),
        ("input", x.into()),
        ("weight", w.into()),
        ("bias_sizes", Value::None),
    ];
    args.extend(conv_geometry());
    args.push((
        "output_mask",
        Value::List(vec![
            Value::Bool(false),
            Value::Bool(true),
            Value::Bool(false),
        ]),
    ));
    let seq = t.events.len() as u64;
    t.events.push(Event {
        seq,
        ts: 0,
        body: EventBody::Dispatch(DispatchEvent::Op(OpCall {
            op: "aten.convolution_backward.default".into(),
            keyset: vec!["CPU".into()].into(),
            chain: vec![ChainStep {
                key: "CPU".into(),
                handler: "kernel".into(),
            }]
            .into(),
            args: args.into_iter().map(|(n, v)| (n.into(), v)).collect(),
            outputs: vec![Value::None, grad_weight.clone().into(), Value::None],
            context: Context::Node(0),
        })),
    });
    t.events.push(Event {
        seq: seq + 1,
        ts: 0,
        body: EventBody::Autograd(ft_trace::AutogradEvent::Accumulate(ft_trace::Accumulate {
            node: 1,
            tensor: 2,
            grad: Box::new(grad_weight),
        })),
    });
    trace_data(t)
}

#[test]
fn a_convolution_within_another_orders_rounding_matches() {
    let report = diff(
        &convolution(0.0),
        &convolution(1e-3),
        &Tolerances::new(None, None),
    );
    assert_eq!(report.exit(), Exit::Match, "{}", report.to_text(false));
    assert_eq!(report.values.reordered, 1, "{}", report.to_text(false));
}

#[test]
fn a_convolution_beyond_that_rounding_still_fails_naming_it() {
    let report = diff(
        &convolution(0.0),
        &convolution(1e-2),
        &Tolerances::new(None, None),
    );
    assert_eq!(report.exit(), Exit::Values, "{}", report.to_text(false));
    assert_eq!(report.values.failures[0].op, "aten.convolution.default");
}

#[test]
fn a_weight_gradient_and_the_grad_it_becomes_get_the_batch_sums_room() {
    let report = diff(
        &weight_gradient_then_accumulate(0.0),
        &weight_gradient_then_accumulate(1e-3),
        &Tolerances::new(None, None),
    );
    assert_eq!(report.exit(), Exit::Match, "{}", report.to_text(false));
    // convolution_backward's weight gradient, and the accumulated `.grad`
    assert_eq!(report.values.reordered, 2, "{}", report.to_text(false));
    let beyond = diff(
        &weight_gradient_then_accumulate(0.0),
        &weight_gradient_then_accumulate(1e-2),
        &Tolerances::new(None, None),
    );
    assert_eq!(beyond.exit(), Exit::Values, "{}", beyond.to_text(false));
    assert_eq!(
        beyond.values.failures[0].op,
        "aten.convolution_backward.default"
    );
}

/// `mm(a [1, 3], b [3, 1])` summing `3e38 + 3e38 - 3e38`: the exact sum is
/// 3e38, but float32 left to right overflows at the first addition and
/// stays infinite. `result` is what the kernel returned.
fn overflowing_product(a: [f32; 3], result: f32) -> TraceData {
    let mut t = Trace {
        events: Vec::new(),
        blobs: BTreeMap::new(),
    };
    let a = t.tensor(0, 0, &[1, 3], &a);
    let b = t.tensor(1, 1, &[3, 1], &[1.0, 1.0, 1.0]);
    let out = t.tensor(2, 2, &[1, 1], &[result]);
    t.op(
        "aten.mm.default",
        vec![("self", a.into()), ("mat2", b.into())],
        out,
    );
    trace_data(t)
}

const PAST_RANGE: [f32; 3] = [3e38, 3e38, -3e38];

#[test]
fn a_sum_whose_terms_pass_the_range_may_overflow_in_one_order_only() {
    let tol = Tolerances::new(None, None);
    // PyTorch's order overflowed, the runtime's did not, and the reverse;
    // an infinity of the other sign joining gives NaN.
    for (expected, actual) in [
        (f32::INFINITY, 3e38),
        (3e38, f32::INFINITY),
        (f32::NAN, 3e38),
    ] {
        let report = diff(
            &overflowing_product(PAST_RANGE, expected),
            &overflowing_product(PAST_RANGE, actual),
            &tol,
        );
        let text = report.to_text(false);
        assert_eq!(report.exit(), Exit::Match, "{expected} vs {actual}: {text}");
        assert_eq!(report.values.overflowed, 1, "{text}");
        assert!(
            text.contains("1 of them overflowing to inf or NaN in one order only"),
            "{text}"
        );
    }
}

#[test]
fn two_finite_results_of_a_sum_past_the_range_are_still_held_to_its_rounding() {
    // Both finite: no order overflowed, and two correct orders lie within
    // 2·γ₅·Σ|terms| (about 5e32 here) of each other; 1e38 apart is a
    // wrong kernel.
    let report = diff(
        &overflowing_product(PAST_RANGE, 3e38),
        &overflowing_product(PAST_RANGE, 2e38),
        &Tolerances::new(None, None),
    );
    assert_eq!(report.exit(), Exit::Values, "{}", report.to_text(false));
    assert_eq!(report.values.failures[0].op, "aten.mm.default");
    assert_eq!(report.values.overflowed, 0);
}

#[test]
fn an_infinity_from_terms_within_the_range_is_a_failure() {
    // Σ|terms| = 2e38 + 3e37 + 3e37 stays below float32's largest finite
    // number: no order can overflow, so an infinite result is wrong.
    let within = [2e38, 3e37, -3e37];
    let report = diff(
        &overflowing_product(within, 2e38),
        &overflowing_product(within, f32::INFINITY),
        &Tolerances::new(None, None),
    );
    assert_eq!(report.exit(), Exit::Values, "{}", report.to_text(false));
    assert_eq!(report.values.overflowed, 0);
    assert_eq!(report.values.failures[0].op, "aten.mm.default");
}
