//! Backward schedules, checked against torch 2.15 (node pre-hooks record the
//! order the engine runs nodes; a TorchDispatchMode the operators they call).

use std::collections::HashMap;

use ft_runtime::{Faults, IValue, Runtime, Tensor};
use ft_trace::event::AutogradEvent;
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, ops, pops, tensor, traced};

fn backward_ops(events: &[ft_trace::Event]) -> Vec<String> {
    ops(events)
        .into_iter()
        .filter(|o| o.context != ft_trace::event::Context::TopLevel)
        .map(|o| o.op.clone())
        .collect()
}

/// (x*2, x*3, a+b, sum): torch runs SumBackward0, AddBackward0,
/// MulBackward0 (seq 1), MulBackward0 (seq 0), AccumulateGrad.
#[test]
fn diamond() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let a = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&x).into(), IValue::Int(2)],
    );
    let b = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&x).into(), IValue::Int(3)],
    );
    let c = call1(&mut rt, "aten.add.Tensor", vec![a.into(), b.into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![c.into()]);
    rt.backward(&[y], &[None], false, false).expect("backward");
    let sink = sink.borrow();
    assert_eq!(
        pops(sink.events()),
        [
            "SumBackward0",
            "AddBackward0",
            "MulBackward0",
            "MulBackward0",
            "AccumulateGrad"
        ]
    );
    let seqs: Vec<u64> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Pop(p)) => Some(p.seq_nr),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, [3, 2, 1, 0, u64::MAX]);
    // Without a dispatch mode the second gradient for x is added in place
    // (the profiler shows aten::add_), then AccumulateGrad steals the sum.
    assert_eq!(
        backward_ops(sink.events()),
        [
            "aten.ones_like.default",
            "aten.expand.default",
            "aten.mul.Tensor",
            "aten.mul.Tensor",
            "aten.add_.Tensor",
            "aten.detach.default"
        ]
    );
}

/// x * x: one node with two edges into the same AccumulateGrad input.
#[test]
fn leaf_used_twice() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let sq = call1(&mut rt, "aten.mul.Tensor", vec![(&x).into(), (&x).into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![sq.into()]);
    rt.backward(&[y], &[None], false, false).expect("backward");
    let sink = sink.borrow();
    assert_eq!(
        pops(sink.events()),
        ["SumBackward0", "MulBackward0", "AccumulateGrad"]
    );
    // AccumulateGrad's dependency count is 2: two incoming edges.
    let deps: Vec<u32> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Pop(p)) => Some(p.deps),
            _ => None,
        })
        .collect();
    assert_eq!(deps, [0, 1, 2]);
}

fn chain_of_adds(dispatch_mode: bool) -> Vec<String> {
    // y = x; 4 times y = y + x; sum — torch: SumBackward0, AddBackward0 ×4
    // (highest sequence number first), AccumulateGrad.
    let (mut rt, sink) = traced(ValuePolicy::None);
    rt.set_dispatch_mode_active(dispatch_mode);
    let x = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let mut y = x.clone();
    for _ in 0..4 {
        y = call1(&mut rt, "aten.add.Tensor", vec![(&y).into(), (&x).into()]);
    }
    let s = call1(&mut rt, "aten.sum.default", vec![y.into()]);
    rt.backward(&[s], &[None], false, false).expect("backward");
    assert_eq!(
        x.grad().expect("grad").to_f32_vec().expect("values"),
        [5.0, 5.0, 5.0]
    );
    let sink = sink.borrow();
    assert_eq!(
        pops(sink.events()),
        [
            "SumBackward0",
            "AddBackward0",
            "AddBackward0",
            "AddBackward0",
            "AddBackward0",
            "AccumulateGrad"
        ]
    );
    backward_ops(sink.events())
}

#[test]
fn chain_of_adds_accumulates_in_place_without_a_dispatch_mode() {
    // The first sum adds two stride-0 gradients (not dense: out of place),
    // later ones add into the dense buffer we alone hold.
    assert_eq!(
        chain_of_adds(false),
        [
            "aten.ones_like.default",
            "aten.expand.default",
            "aten.add.Tensor",
            "aten.add_.Tensor",
            "aten.add_.Tensor",
            "aten.add_.Tensor",
            "aten.detach.default"
        ]
    );
}

#[test]
fn chain_of_adds_under_a_dispatch_mode_matches_the_capture() {
    // Observed with a TorchDispatchMode in torch 2.15: four aten.add.Tensor.
    assert_eq!(
        chain_of_adds(true),
        [
            "aten.ones_like.default",
            "aten.expand.default",
            "aten.add.Tensor",
            "aten.add.Tensor",
            "aten.add.Tensor",
            "aten.add.Tensor",
            "aten.detach.default"
        ]
    );
}

/// Seven leaves as the roots of one backward: a GraphRoot pushes seven tied
/// AccumulateGrads; torch 2.15 runs them p0, p2, p5, p6, p4, p1, p3 (same as
/// `torch.stack(ps).sum().backward()`).
fn seven_tied_leaves(faults: Faults) -> Vec<usize> {
    let (mut rt, sink) = traced(ValuePolicy::None);
    rt.set_faults(faults);
    let ps: Vec<Tensor> = (0..7)
        .map(|i| tensor(&mut rt, &[2], &[i as f32, 1.0], true))
        .collect();
    let grads: Vec<Option<Tensor>> = (0..7)
        .map(|_| Some(tensor(&mut rt, &[2], &[1.0, 1.0], false)))
        .collect();
    rt.backward(&ps, &grads, false, false).expect("backward");
    let sink = sink.borrow();
    let mut by_node: HashMap<u64, u64> = HashMap::new();
    let mut leaf_ids = Vec::new();
    let mut order = Vec::new();
    for e in sink.events() {
        match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) if n.name == "AccumulateGrad" => {
                by_node.insert(n.node, n.tensors[0]);
                leaf_ids.push(n.tensors[0]);
            }
            EventBody::Autograd(AutogradEvent::Pop(p)) => {
                if let Some(leaf) = by_node.get(&p.node) {
                    order.push(leaf_ids.iter().position(|l| l == leaf).expect("leaf"));
                }
            }
            _ => {}
        }
    }
    assert_eq!(pops(sink.events())[0], "GraphRoot");
    order
}

#[test]
fn seven_tied_leaves_run_in_libstdcxx_heap_order() {
    assert_eq!(seven_tied_leaves(Faults::default()), [0, 2, 5, 6, 4, 1, 3]);
}

#[test]
fn fifo_ties_fault_is_visible() {
    let faults = Faults {
        fifo_ties: true,
        ..Faults::default()
    };
    assert_eq!(seven_tied_leaves(faults), [0, 1, 2, 3, 4, 5, 6]);
}

#[test]
fn reversed_ready_queue_fault_changes_the_mlp_schedule() {
    let mut rt = Runtime::new();
    rt.set_faults(Faults {
        reverse_ready_queue: true,
        ..Faults::default()
    });
    let (mut traced_rt, sink) = traced(ValuePolicy::None);
    traced_rt.set_faults(rt.faults().clone());
    crate::mlp::tiny_mlp(&mut traced_rt);
    let got = pops(sink.borrow().events());
    assert_eq!(got[0], "MseLossBackward0");
    assert_ne!(
        got,
        [
            "MseLossBackward0",
            "AddmmBackward0",
            "AccumulateGrad",
            "TBackward0",
            "AccumulateGrad",
            "ReluBackward0",
            "AddmmBackward0",
            "AccumulateGrad",
            "TBackward0",
            "AccumulateGrad",
        ]
    );
}

/// Two leaves summed: AddBackward0 hands the *same* gradient tensor to both
/// AccumulateGrads. The first to run sees it still referenced by the other's
/// input buffer and copies it (new_empty_strided + copy_); the second steals
/// it (detach) — as torch 2.15 does for `((a + b) * 2).sum()`.
#[test]
fn shared_gradient_is_copied_then_stolen() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let a = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let b = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let s = call1(&mut rt, "aten.add.Tensor", vec![(&a).into(), (&b).into()]);
    let m = call1(&mut rt, "aten.mul.Tensor", vec![s.into(), IValue::Int(2)]);
    let y = call1(&mut rt, "aten.sum.default", vec![m.into()]);
    rt.backward(&[y], &[None], false, false).expect("backward");
    assert_eq!(
        backward_ops(sink.borrow().events()),
        [
            "aten.ones_like.default",
            "aten.expand.default",
            "aten.mul.Tensor",
            "aten.new_empty_strided.default",
            "aten.copy_.default",
            "aten.detach.default"
        ]
    );
}
