//! Backwards restricted to inputs (`torch.autograd.grad`,
//! `backward(inputs=...)`) and backwards with several roots, checked against
//! what torch 2.15 does (probes with node pre-hooks, the profiler and
//! `torch._C._autograd._get_sequence_nr()`).

use ft_runtime::{GradRequest, IValue, Runtime, Tensor};
use ft_trace::event::{ApiEvent, AutogradEvent};
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, ops, pops, tensor, traced, values};

fn mm(rt: &mut Runtime, a: &Tensor, b: &Tensor) -> Tensor {
    call1(rt, "aten.mm.default", vec![a.into(), b.into()])
}

fn request<'a>(
    roots: &'a [Tensor],
    grads: &'a [Option<Tensor>],
    inputs: &'a [Tensor],
    accumulate: bool,
) -> GradRequest<'a> {
    GradRequest {
        roots,
        grads,
        inputs,
        retain_graph: true,
        create_graph: false,
        accumulate,
        allow_unused: true,
    }
}

/// `tanh(x @ w1) @ w2` summed, `autograd.grad(y, [w1])`: torch pops
/// SumBackward0, MmBackward0, TanhBackward0, MmBackward0 and w1's
/// AccumulateGrad (not run: `.grad` stays None); the first MmBackward0
/// computes only its input's gradient, the second only w1's.
#[test]
fn grad_runs_only_what_leads_to_the_input() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2, 3], &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], true);
    let w1 = tensor(&mut rt, &[3, 2], &[1.0, -1.0, 0.5, 0.25, -0.5, 2.0], true);
    let w2 = tensor(&mut rt, &[2, 1], &[1.5, -2.0], true);
    let h = mm(&mut rt, &x, &w1);
    let h = call1(&mut rt, "aten.tanh.default", vec![h.into()]);
    let out = mm(&mut rt, &h, &w2);
    let y = call1(&mut rt, "aten.sum.default", vec![out.into()]);
    let grads = rt
        .grad(&request(&[y], &[None], std::slice::from_ref(&w1), false))
        .expect("grad");
    assert_eq!(grads.len(), 1);
    assert!(grads[0].is_some() && w1.grad().is_none() && x.grad().is_none());
    let sink = sink.borrow();
    let events = sink.events();
    assert_eq!(
        pops(events),
        [
            "SumBackward0",
            "MmBackward0",
            "TanhBackward0",
            "MmBackward0",
            "AccumulateGrad"
        ]
    );
    let mms = ops(events)
        .iter()
        .filter(|o| o.op == "aten.mm.default" && o.context != ft_trace::event::Context::TopLevel)
        .count();
    assert_eq!(mms, 2, "one gradient per MmBackward0");
    let executed = events.iter().find_map(|e| match &e.body {
        EventBody::Autograd(AutogradEvent::GraphTaskEnd(end)) => Some(end.executed),
        _ => None,
    });
    assert_eq!(executed, Some(4), "the AccumulateGrad only captures");
    assert!(
        events.iter().any(
            |e| matches!(&e.body, EventBody::Api(ApiEvent::GradResult(r)) if r.grads.len() == 1)
        )
    );
}

/// `backward(inputs=[w])` of `(x * w).sum()`: x's AccumulateGrad is never
/// pushed, MulBackward0 computes w's gradient only.
#[test]
fn backward_inputs_accumulates_only_the_inputs() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let x = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let w = tensor(&mut rt, &[3], &[4.0, 5.0, 6.0], true);
    let p = call1(&mut rt, "aten.mul.Tensor", vec![(&x).into(), (&w).into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![p.into()]);
    let out = rt
        .grad(&request(&[y], &[None], std::slice::from_ref(&w), true))
        .expect("backward(inputs=...)");
    assert!(out.is_empty() && x.grad().is_none());
    assert_eq!(values(&w.grad().expect("w.grad")), [1.0, 2.0, 3.0]);
    let sink = sink.borrow();
    assert_eq!(
        pops(sink.events()),
        ["SumBackward0", "MulBackward0", "AccumulateGrad"]
    );
}

/// An input without `grad_fn` and without a live AccumulateGrad gets an
/// `Identity` node: torch's sequence counter advances by one (observed:
/// `grad(y, [a, u], allow_unused=True)`), and its gradient is None.
#[test]
fn an_unreachable_input_takes_a_sequence_number() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let a = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let u = tensor(&mut rt, &[2], &[3.0, 4.0], true);
    let p = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&a).into(), IValue::Int(2)],
    );
    let y = call1(&mut rt, "aten.sum.default", vec![p.into()]);
    let grads = rt
        .grad(&request(&[y], &[None], &[a.clone(), u], false))
        .expect("grad");
    assert!(grads[0].is_some() && grads[1].is_none());
    call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&a).into(), IValue::Int(3)],
    );
    let sink = sink.borrow();
    let seqs: Vec<u64> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) if n.name != "AccumulateGrad" => {
                Some(n.seq_nr)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        seqs,
        [0, 1, 3],
        "MulBackward0, SumBackward0, Identity (no event), MulBackward0"
    );
}

/// Two roots: a GraphRoot (sequence number 4 after two mul/sum pairs) runs
/// first; its node event precedes graph_task_begin.
#[test]
fn several_roots_run_a_graph_root_first() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let mut roots = Vec::new();
    for k in [2, 3] {
        let p = call1(
            &mut rt,
            "aten.mul.Tensor",
            vec![(&x).into(), IValue::Int(k)],
        );
        roots.push(call1(&mut rt, "aten.sum.default", vec![p.into()]));
    }
    rt.backward(&roots, &[None, None], false, false)
        .expect("backward");
    let sink = sink.borrow();
    let events = sink.events();
    let begin = events
        .iter()
        .position(|e| {
            matches!(
                e.body,
                EventBody::Autograd(AutogradEvent::GraphTaskBegin(_))
            )
        })
        .expect("graph_task_begin");
    match &events[begin - 1].body {
        EventBody::Autograd(AutogradEvent::Node(n)) => {
            assert_eq!(
                (n.name.as_str(), n.seq_nr, n.next.len()),
                ("GraphRoot", 4, 2)
            );
        }
        other => panic!("expected GraphRoot's node event, got {other:?}"),
    }
    assert_eq!(pops(events)[0], "GraphRoot");
    assert_eq!(values(&x.grad().expect("x.grad")), [5.0, 5.0, 5.0]);
}
