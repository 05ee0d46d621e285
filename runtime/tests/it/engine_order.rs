//! Backward schedules, checked against torch 2.15 (node pre-hooks record the
//! order the engine runs nodes; a TorchDispatchMode the operators they call).

use std::collections::HashMap;

use ft_runtime::{Faults, IValue, Runtime, Tensor};
use ft_trace::event::AutogradEvent;
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, ops, pops, tensor, traced, values};

fn backward_ops(events: &[ft_trace::Event]) -> Vec<String> {
    ops(events)
        .into_iter()
        .filter(|o| o.context != ft_trace::event::Context::TopLevel)
        .map(|o| o.op.to_string())
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

/// The tensor ids a backward op reads, per op (for "which operand first").
fn backward_op_args(events: &[ft_trace::Event]) -> Vec<(String, Vec<u64>)> {
    ops(events)
        .into_iter()
        .filter(|o| o.context != ft_trace::event::Context::TopLevel)
        .map(|o| {
            let ids = o
                .args
                .iter()
                .flat_map(|(_, v)| v.tensors())
                .map(|t| t.id)
                .collect();
            (o.op.to_string(), ids)
        })
        .collect()
}

/// `(x * w).sum()`: MulBackward0 computes `other`'s gradient (grad · x)
/// before `self`'s (grad · w), as torch 2.15 does (a dispatch mode sees
/// `mul(grad, x)` first).
#[test]
fn mul_backward_computes_the_other_operand_first() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let w = tensor(&mut rt, &[3], &[10.0, 20.0, 30.0], true);
    let p = call1(&mut rt, "aten.mul.Tensor", vec![(&x).into(), (&w).into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![p.into()]);
    rt.backward(&[y], &[None], false, false).expect("backward");
    // Ids: x 0, w 1 (first appearance in the stream).
    let muls: Vec<u64> = backward_op_args(sink.borrow().events())
        .into_iter()
        .filter(|(op, _)| op == "aten.mul.Tensor")
        .map(|(_, ids)| ids[1])
        .collect();
    assert_eq!(muls, [0, 1]);
    assert_eq!(values(&w.grad().expect("w")), [1.0, 2.0, 3.0]);
    assert_eq!(values(&x.grad().expect("x")), [10.0, 20.0, 30.0]);
}

/// `addmm(b, m1, m2, beta=2)`: AddmmBackward0 computes mat1, mat2, then
/// self (torch 2.15: t, mm, t, mm, then mul.Scalar by beta, reduced to b's
/// shape by validate_outputs).
#[test]
fn addmm_backward_computes_mat1_mat2_then_self() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let b = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let m1 = tensor(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], true);
    let m2 = tensor(&mut rt, &[2, 2], &[5.0, 6.0, 7.0, 8.0], true);
    let out = call1(
        &mut rt,
        "aten.addmm.default",
        vec![(&b).into(), (&m1).into(), (&m2).into(), IValue::Int(2)],
    );
    let y = call1(&mut rt, "aten.sum.default", vec![out.into()]);
    rt.backward(&[y], &[None], false, false).expect("backward");
    assert_eq!(
        backward_ops(sink.borrow().events()),
        [
            "aten.ones_like.default",
            "aten.expand.default",
            "aten.t.default",
            "aten.mm.default",
            "aten.t.default",
            "aten.mm.default",
            "aten.mul.Scalar",
            "aten.sum.dim_IntList",
            "aten.view.default",
            "aten.detach.default",
            "aten.detach.default",
            "aten.detach.default"
        ]
    );
    // d/db = beta · Σ_rows 1 = [4, 4]
    assert_eq!(values(&b.grad().expect("b")), [4.0, 4.0]);
}

/// `torch.stack(rows).sum()` where leaf i fills i + 1 rows (the corpus
/// program `tied_leaves`): the seven AccumulateGrads are made ready together
/// by StackBackward0, with dependency counts 1..7, and run in libstdc++ heap
/// order.
#[test]
fn stacked_leaves_run_in_libstdcxx_heap_order_with_their_dependency_counts() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    rt.set_dispatch_mode_active(true);
    let ps: Vec<Tensor> = (0..7)
        .map(|i| tensor(&mut rt, &[3], &[i as f32, 1.0, 2.0], true))
        .collect();
    let rows: Vec<Tensor> = ps
        .iter()
        .enumerate()
        .flat_map(|(i, p)| std::iter::repeat_n(p.clone(), i + 1))
        .collect();
    let s = call1(
        &mut rt,
        "aten.stack.default",
        vec![IValue::TensorList(rows)],
    );
    let y = call1(&mut rt, "aten.sum.default", vec![s.into()]);
    rt.backward(&[y], &[None], false, false).expect("backward");
    let sink = sink.borrow();
    let deps: Vec<u32> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Pop(p)) if p.seq_nr == u64::MAX => Some(p.deps),
            _ => None,
        })
        .collect();
    // Leaf i has i + 1 edges: p0, p2, p5, p6, p4, p1, p3.
    assert_eq!(deps, [1, 3, 6, 7, 5, 2, 4]);
    for (i, p) in ps.iter().enumerate() {
        assert_eq!(values(&p.grad().expect("grad")), [(i + 1) as f32; 3]);
    }
    // 28 slices, then the row gradients of p1..p6 summed out of place (21
    // adds under a dispatch mode), p0 copied, p1..p6 stolen.
    let ops = backward_ops(sink.events());
    let count = |name: &str| ops.iter().filter(|o| *o == name).count();
    assert_eq!(count("aten.select.int"), 28);
    assert_eq!(count("aten.add.Tensor"), 21);
    assert_eq!(count("aten.copy_.default"), 1);
    assert_eq!(count("aten.detach.default"), 6);
}

/// `(x.select(1, -1) * 2).sum()`: torch 2.15 dispatches one
/// `select_backward(grad, [2, 3], 1, -1)` (dim and index as given) and then
/// steals its contiguous result.
#[test]
fn select_backward_is_one_operator() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], true);
    let s = call1(
        &mut rt,
        "aten.select.int",
        vec![(&x).into(), IValue::Int(1), IValue::Int(-1)],
    );
    let m = call1(&mut rt, "aten.mul.Tensor", vec![s.into(), IValue::Int(2)]);
    let y = call1(&mut rt, "aten.sum.default", vec![m.into()]);
    rt.backward(&[y], &[None], false, false).expect("backward");
    let sink = sink.borrow();
    assert_eq!(
        backward_ops(sink.events()),
        [
            "aten.ones_like.default",
            "aten.expand.default",
            "aten.mul.Tensor",
            "aten.select_backward.default",
            "aten.detach.default"
        ]
    );
    let call = ops(sink.events())
        .into_iter()
        .find(|o| o.op == "aten.select_backward.default")
        .expect("select_backward");
    let args: Vec<String> = call.args.iter().map(|(_, v)| v.to_string()).collect();
    assert_eq!(args[1..], ["[2, 3]", "1", "-1"]);
}

/// `swap_input_buffer_sum` reverses the operands of the input-buffer sum and
/// nothing else: under a dispatch mode `x * w` with x = w sums
/// `add(grad·self, grad·other)` instead of `add(grad·other, grad·self)`.
#[test]
fn swapped_input_buffer_sum_fault_changes_only_the_operand_order() {
    let run = |faults: Faults| {
        let (mut rt, sink) = traced(ValuePolicy::None);
        rt.set_dispatch_mode_active(true);
        rt.set_faults(faults);
        let w = tensor(&mut rt, &[2], &[1.5, -1.0], true);
        let sq = call1(&mut rt, "aten.mul.Tensor", vec![(&w).into(), (&w).into()]);
        let y = call1(&mut rt, "aten.sum.default", vec![sq.into()]);
        rt.backward(&[y], &[None], false, false).expect("backward");
        let args = backward_op_args(sink.borrow().events());
        let add = args
            .into_iter()
            .find(|(op, _)| op == "aten.add.Tensor")
            .expect("input buffer sum");
        (add.1, values(&w.grad().expect("grad")))
    };
    let (correct, grad) = run(Faults::default());
    let (swapped, faulty_grad) = run(Faults {
        swap_input_buffer_sum: true,
        ..Faults::default()
    });
    // Same two mul outputs (same ids in both runs), in the other order.
    assert_eq!(swapped, [correct[1], correct[0]]);
    // d/dw Σ w² = 2w, bit for bit either way.
    assert_eq!(grad, [3.0, -2.0]);
    assert_eq!(faulty_grad, grad);
}
