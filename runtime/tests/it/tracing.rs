//! What the runtime writes into a sink: ids, introductions, value policies,
//! state changes, determinism.

use ft_runtime::{Faults, IValue, Runtime};
use ft_trace::event::{ApiEvent, AutogradEvent};
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, ops, tensor, traced};

#[test]
fn ids_are_dense_in_order_of_first_appearance() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    // Created in the order a, b but used in the order b, a.
    let a = tensor(&mut rt, &[2], &[1.0, 2.0], false);
    let b = tensor(&mut rt, &[2], &[3.0, 4.0], false);
    let c = call1(&mut rt, "aten.add.Tensor", vec![(&b).into(), (&a).into()]);
    let v = call1(
        &mut rt,
        "aten.view.default",
        vec![(&c).into(), IValue::IntList(vec![2, 1])],
    );
    call1(&mut rt, "aten.mul.Tensor", vec![(&v).into(), (&a).into()]);
    let sink = sink.borrow();
    let ev = sink.events();
    // b is introduced first (id 0), then a (id 1), right before the add.
    let intros: Vec<(u64, u64, bool)> = ev
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::Tensor(t)) => Some((t.tensor.id, t.tensor.storage, t.alias)),
            _ => None,
        })
        .collect();
    assert_eq!(intros, [(0, 0, false), (1, 1, false)]);
    assert!(matches!(ev[2].body, EventBody::Dispatch(_)));
    let ops = ops(ev);
    let add_out = ops[0].outputs[0].as_tensor().expect("tensor");
    assert_eq!((add_out.id, add_out.storage), (2, 2));
    // A view is a new tensor over the same storage.
    let view_out = ops[1].outputs[0].as_tensor().expect("tensor");
    assert_eq!((view_out.id, view_out.storage), (3, 2));
    let mul_out = ops[2].outputs[0].as_tensor().expect("tensor");
    assert_eq!((mul_out.id, mul_out.storage), (4, 3));
    // Introduced values are recorded; argument references never carry one.
    assert!(ops.iter().all(|o| {
        o.args
            .iter()
            .all(|(_, v)| v.tensors().iter().all(|t| t.value.is_none()))
    }));
}

#[test]
fn alias_introductions_carry_no_value() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let [w1, ..] = {
        let (w, b) = crate::mlp::linear_params(&mut rt, 2, 2);
        [w, b]
    };
    assert!(w1.requires_grad());
    let sink = sink.borrow();
    let intro = sink
        .events()
        .iter()
        .find_map(|e| match &e.body {
            EventBody::Api(ApiEvent::Tensor(t)) => Some(t.clone()),
            _ => None,
        })
        .expect("intro");
    assert!(intro.alias);
    assert!(intro.tensor.value.is_none());
    assert!(intro.tensor.requires_grad);
    // The parameter shares the storage id of the `empty` output.
    assert_eq!(intro.tensor.storage, 0);
}

#[test]
fn value_policies() {
    for policy in [
        ValuePolicy::All,
        ValuePolicy::Stats,
        ValuePolicy::Inputs,
        ValuePolicy::None,
    ] {
        let (mut rt, sink) = traced(policy);
        crate::mlp::tiny_mlp(&mut rt);
        let sink = sink.borrow();
        for op in ops(sink.events()) {
            for t in op.outputs.iter().flat_map(|v| v.tensors()) {
                let base = op.op.split('.').nth(1).unwrap_or_default();
                let want = match policy {
                    // Stats records (in full or as statistics) what All does.
                    ValuePolicy::All | ValuePolicy::Stats => {
                        !base.starts_with("empty") && !base.starts_with("new_empty")
                    }
                    ValuePolicy::Inputs => matches!(base, "randn" | "uniform_"),
                    ValuePolicy::None => false,
                };
                assert_eq!(t.value.is_some(), want, "{policy:?} {}", op.op);
            }
        }
        let accumulated = sink.events().iter().filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Accumulate(a)) => Some(a.grad.value.is_some()),
            _ => None,
        });
        for has_value in accumulated {
            assert_eq!(has_value, policy.records_every_value());
        }
        assert_eq!(sink.blobs().is_empty(), policy == ValuePolicy::None);
    }
}

#[test]
fn recording_is_deterministic() {
    let run = || {
        let (mut rt, sink) = traced(ValuePolicy::All);
        crate::mlp::tiny_mlp(&mut rt);
        let sink = sink.borrow();
        (sink.events().to_vec(), sink.blobs().clone())
    };
    assert_eq!(run(), run());
}

#[test]
fn node_events_follow_their_op_with_new_accumulators_first() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let w = tensor(&mut rt, &[2, 2], &[1.0; 4], true);
    call1(&mut rt, "aten.t.default", vec![(&w).into()]);
    let sink = sink.borrow();
    let kinds: Vec<&str> = sink.events().iter().map(|e| e.body.kind_name()).collect();
    assert_eq!(kinds, ["tensor", "op", "node", "node"]);
    let nodes: Vec<(String, u64, Vec<u64>)> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) => {
                Some((n.name.clone(), n.seq_nr, n.tensors.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        nodes,
        [
            ("AccumulateGrad".to_string(), u64::MAX, vec![0]),
            ("TBackward0".to_string(), 0, vec![1])
        ]
    );
}

#[test]
fn state_changes_are_flushed_before_the_next_op_by_tensor_id() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let a = tensor(&mut rt, &[1], &[1.0], true);
    let b = tensor(&mut rt, &[1], &[2.0], true);
    let g = tensor(&mut rt, &[1], &[0.5], false);
    call1(&mut rt, "aten.add.Tensor", vec![(&a).into(), (&b).into()]);
    // A mode change and back with no op in between: nothing to record.
    rt.set_grad_mode(false, false);
    rt.set_grad_mode(true, false);
    // Replace .grad of b, then of a: recorded by ascending id, grad mode first.
    rt.set_grad(&b, Some(g.clone())).expect("set_grad");
    rt.set_grad(&a, Some(g)).expect("set_grad");
    rt.set_grad_mode(false, false);
    // A no-op change of a flag is not recorded either.
    rt.set_requires_grad(&a, false).expect("flag");
    rt.set_requires_grad(&a, true).expect("flag");
    call1(&mut rt, "aten.mul.Tensor", vec![(&a).into(), (&b).into()]);
    let sink = sink.borrow();
    let api: Vec<String> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::GradMode(m)) => Some(format!("grad_mode {}", m.grad_enabled)),
            EventBody::Api(ApiEvent::SetGrad(s)) => {
                Some(format!("set_grad {} {:?}", s.tensor, s.grad))
            }
            EventBody::Api(ApiEvent::SetRequiresGrad(s)) => Some(format!("rg {}", s.tensor)),
            EventBody::Api(ApiEvent::Tensor(t)) => Some(format!("tensor {}", t.tensor.id)),
            _ => None,
        })
        .collect();
    assert_eq!(
        api,
        [
            "tensor 0",
            "tensor 1",
            "grad_mode false",
            "tensor 3",
            "set_grad 0 Some(3)",
            "set_grad 1 Some(3)"
        ]
    );
}

/// `detach_` of a tensor with history writes `set_requires_grad [t, false]`;
/// flagged again before the next op (`t.detach_().requires_grad_()`), it
/// writes `[t, true]` after it, as PyTorch's capture does. A leaf detached
/// and flagged again changed nothing and writes nothing.
#[test]
fn in_place_detach_then_requires_grad_writes_both_flags() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let a = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let h = call1(
        &mut rt,
        "aten.mul.Scalar",
        vec![(&a).into(), IValue::Float(3.0)],
    );
    let k = call1(
        &mut rt,
        "aten.mul.Scalar",
        vec![(&a).into(), IValue::Float(2.0)],
    );
    rt.detach_(&h).expect("detach_");
    rt.set_requires_grad(&h, true).expect("flag");
    rt.detach_(&k).expect("detach_");
    rt.detach_(&a).expect("detach_ of a leaf");
    rt.set_requires_grad(&a, true).expect("flag");
    let s = call1(&mut rt, "aten.sum.default", vec![(&h).into()]);
    assert!(h.is_leaf() && h.requires_grad() && !k.requires_grad());
    assert!(s.grad_fn_name().is_some());
    let sink = sink.borrow();
    let flags: Vec<String> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::SetRequiresGrad(s)) => {
                Some(format!("{} {}", s.tensor, s.requires_grad))
            }
            _ => None,
        })
        .collect();
    assert_eq!(flags, ["1 false", "1 true", "2 false"]);
}

#[test]
fn renamed_node_fault_is_visible() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    rt.set_faults(Faults {
        rename_node: Some(("ReluBackward0".into(), "ReluBackward1".into())),
        ..Faults::default()
    });
    crate::mlp::tiny_mlp(&mut rt);
    let names: Vec<String> = sink
        .borrow()
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) => Some(n.name.clone()),
            _ => None,
        })
        .collect();
    assert!(names.contains(&"ReluBackward1".to_string()));
    assert!(!names.contains(&"ReluBackward0".to_string()));
}

#[test]
fn perturb_fault_changes_one_ops_values() {
    let run = |faults: Faults| {
        let mut rt = Runtime::new();
        rt.set_faults(faults);
        let x = tensor(&mut rt, &[2], &[-1.0, 2.0], false);
        let r = call1(&mut rt, "aten.relu.default", vec![(&x).into()]);
        let n = call1(&mut rt, "aten.neg.default", vec![(&x).into()]);
        (r.to_f32_vec().expect("relu"), n.to_f32_vec().expect("neg"))
    };
    let clean = run(Faults::default());
    let faulty = run(Faults {
        perturb: Some(("aten.relu.default".into(), 0.5)),
        ..Faults::default()
    });
    assert_eq!(clean.0, [0.0, 2.0]);
    assert_eq!(faulty.0, [0.5, 2.5]);
    assert_eq!(clean.1, faulty.1);
}

#[test]
fn releases_follow_the_other_state_changes_by_tensor_id() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let a = tensor(&mut rt, &[1], &[1.0], true);
    let b = tensor(&mut rt, &[1], &[2.0], false);
    let never_recorded = rt
        .introduce_tensor_f32(&[1], &[1], 0, &[3.0], false)
        .expect("introduce");
    let y = call1(&mut rt, "aten.mul.Tensor", vec![(&a).into(), (&b).into()]);
    let z = call1(&mut rt, "aten.add.Tensor", vec![(&y).into(), (&b).into()]);
    rt.release(z);
    rt.release(y);
    rt.release(never_recorded);
    rt.set_grad(&a, None).expect("set_grad");
    rt.set_grad_mode(false, false);
    call1(&mut rt, "aten.mul.Tensor", vec![(&a).into(), (&b).into()]);
    let sink = sink.borrow();
    let api: Vec<String> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::GradMode(_)) => Some("grad_mode".to_owned()),
            EventBody::Api(ApiEvent::Release(r)) => Some(format!("release {}", r.tensor)),
            _ => None,
        })
        .collect();
    // Introductions are written when a tensor is first used, so
    // `never_recorded` has no id and nothing to release: y (2) and z (3) are
    // released by ascending id, after the grad mode change.
    assert_eq!(api, ["grad_mode", "release 2", "release 3"]);
}

#[test]
fn releasing_a_finished_graph_frees_its_accumulate_grad_nodes() {
    // d(sum(w*x))/dw twice. While the first loss is held, the second graph
    // reuses w's AccumulateGrad (as PyTorch does when `loss` is still bound);
    // once the program drops the first loss, a new AccumulateGrad is created.
    let count_accumulators = |release_first: bool| {
        let (mut rt, sink) = traced(ValuePolicy::None);
        let w = tensor(&mut rt, &[2], &[1.0, 2.0], true);
        let x = tensor(&mut rt, &[2], &[3.0, 4.0], false);
        let y = call1(&mut rt, "aten.mul.Tensor", vec![(&w).into(), (&x).into()]);
        let loss = call1(&mut rt, "aten.sum.default", vec![(&y).into(), IValue::None]);
        rt.backward(std::slice::from_ref(&loss), &[None], false, false)
            .expect("backward");
        let held = if release_first {
            rt.release(loss);
            rt.release(y);
            None
        } else {
            Some((loss, y))
        };
        call1(&mut rt, "aten.mul.Tensor", vec![(&w).into(), (&x).into()]);
        drop(held);
        let sink = sink.borrow();
        sink.events()
            .iter()
            .filter(|e| matches!(&e.body, EventBody::Autograd(AutogradEvent::Node(n)) if n.name == "AccumulateGrad"))
            .count()
    };
    assert_eq!(count_accumulators(false), 1);
    assert_eq!(count_accumulators(true), 2);
}
