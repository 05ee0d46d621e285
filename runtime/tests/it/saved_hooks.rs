//! Saved-tensor hooks from a native program: the pack hook sees what an
//! operator saves, the unpack hook runs (with the runtime) before the saving
//! node's function, which uses what it returned; the events it leaves.

use std::cell::RefCell;
use std::rc::Rc;

use ft_runtime::{IValue, Runtime, Tensor};
use ft_trace::event::{ApiEvent, AutogradEvent};
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, tensor, traced, values};

fn exp_sum(rt: &mut Runtime, x: &Tensor) -> (Tensor, Tensor) {
    let e = call1(rt, "aten.exp.default", vec![x.into()]);
    let s = call1(rt, "aten.sum.default", vec![(&e).into()]);
    (e, s)
}

#[test]
fn the_node_uses_what_the_unpack_hook_returned() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let x = tensor(&mut rt, &[2], &[0.0, 1.0], true);
    let packed = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&packed);
    let scope = rt.saved_tensors_hooks_enter(
        Box::new(move |_rt, t| {
            log.borrow_mut().push(values(t));
            Ok(t.clone())
        }),
        // Recomputes in place of the saved result: exp(x) * 2.
        Box::new(|rt, t| {
            Ok(call1(
                rt,
                "aten.mul.Tensor",
                vec![t.into(), IValue::Float(2.0)],
            ))
        }),
    );
    let (_e, s) = exp_sum(&mut rt, &x);
    rt.saved_tensors_hooks_exit(scope);
    // ExpBackward0 saved its result, packed once.
    let e1 = 1.0f32.exp();
    assert_eq!(packed.borrow().len(), 1);
    rt.backward(&[s], &[None], false, false).expect("backward");
    let grad = values(&x.grad().expect("x.grad"));
    crate::common::assert_close(&grad, &[2.0, 2.0 * e1]);

    let sink = sink.borrow();
    let events = sink.events();
    let scopes: Vec<bool> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::SavedTensorsHooks(h)) => {
                assert_eq!(h.hook, scope.id());
                Some(h.enter)
            }
            _ => None,
        })
        .collect();
    assert_eq!(scopes, vec![true, false]);
    let kinds: Vec<&str> = events
        .iter()
        .filter(|e| {
            matches!(
                e.body,
                EventBody::Autograd(AutogradEvent::HookBegin(_) | AutogradEvent::HookEnd(_))
                    | EventBody::Dispatch(_)
            )
        })
        .map(|e| e.body.kind_name())
        .collect();
    // The unpack's mul is bracketed, before exp_backward's own ops.
    let begin = kinds
        .iter()
        .position(|k| *k == "hook_begin")
        .expect("begin");
    assert_eq!(&kinds[begin..begin + 3], &["hook_begin", "op", "hook_end"]);
}

#[test]
fn tensors_saved_outside_the_scope_are_not_hooked() {
    let (mut rt, _sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2], &[0.0, 1.0], true);
    let calls = Rc::new(RefCell::new(0));
    let count = Rc::clone(&calls);
    let scope = rt.saved_tensors_hooks_enter(
        Box::new(|_rt, t| Ok(t.clone())),
        Box::new(move |_rt, t| {
            *count.borrow_mut() += 1;
            Ok(t.clone())
        }),
    );
    rt.saved_tensors_hooks_exit(scope);
    let (_e, s) = exp_sum(&mut rt, &x);
    rt.backward(&[s], &[None], false, false).expect("backward");
    assert_eq!(*calls.borrow(), 0);
    crate::common::assert_close(&values(&x.grad().expect("grad")), &[1.0, 1.0f32.exp()]);
}

#[test]
fn a_retained_graph_unpacks_again() {
    let (mut rt, _sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[1], &[0.0], true);
    let calls = Rc::new(RefCell::new(0));
    let count = Rc::clone(&calls);
    let scope = rt.saved_tensors_hooks_enter(
        Box::new(|_rt, t| Ok(t.clone())),
        Box::new(move |_rt, t| {
            *count.borrow_mut() += 1;
            Ok(t.clone())
        }),
    );
    let (_e, s) = exp_sum(&mut rt, &x);
    rt.saved_tensors_hooks_exit(scope);
    rt.backward(std::slice::from_ref(&s), &[None], true, false)
        .expect("first");
    rt.backward(&[s], &[None], false, false).expect("second");
    assert_eq!(*calls.borrow(), 2);
    crate::common::assert_close(&values(&x.grad().expect("grad")), &[2.0]);
}

/// What a pack hook sees, in order: each saved tensor's first element and
/// rank.
fn pack_order(rt: &mut Runtime, run: impl FnOnce(&mut Runtime)) -> Vec<(f32, usize)> {
    let packed = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&packed);
    let scope = rt.saved_tensors_hooks_enter(
        Box::new(move |_rt, t| {
            log.borrow_mut().push((
                values(t).first().copied().unwrap_or(f32::NAN),
                t.shape().len(),
            ));
            Ok(t.clone())
        }),
        Box::new(|_rt, t| Ok(t.clone())),
    );
    run(rt);
    rt.saved_tensors_hooks_exit(scope);
    packed.take()
}

/// What a pack hook sees of `native_layer_norm(h, [4], w, b)`.
fn layer_norm_pack_order(
    rt: &mut Runtime,
    h: &Tensor,
    w: &Tensor,
    b: &Tensor,
) -> Vec<(f32, usize)> {
    pack_order(rt, |rt| {
        rt.call(
            "aten.native_layer_norm.default",
            vec![
                h.into(),
                IValue::IntList(vec![4]),
                w.into(),
                b.into(),
                IValue::Float(1e-5),
            ],
        )
        .expect("native_layer_norm");
    })
}

#[test]
fn the_pack_hook_sees_inputs_by_argument_name_then_outputs_by_return_name() {
    // Orders observed in torch 2.15 with a pack hook (autograd's generated
    // code saves inputs sorted by argument name, then outputs by return
    // name). Each tensor is tagged by its first element.
    let (mut rt, _sink) = traced(ValuePolicy::Inputs);
    let h = tensor(&mut rt, &[2, 4], &[1.0; 8], true);
    let a = tensor(&mut rt, &[2, 4], &[2.0; 8], true);
    let w = tensor(&mut rt, &[4], &[3.0; 4], true);
    let b = tensor(&mut rt, &[4], &[5.0; 4], true);

    let lerp = pack_order(&mut rt, |rt| {
        call1(
            rt,
            "aten.lerp.Tensor",
            vec![(&h).into(), (&a).into(), (&w).into()],
        );
    });
    assert_eq!(
        lerp,
        vec![(2.0, 2), (1.0, 2), (3.0, 1)],
        "end, self, weight"
    );

    // `self` and `tensor2` are one tensor; only tensor1 and tensor2 are saved.
    let addcmul = pack_order(&mut rt, |rt| {
        call1(
            rt,
            "aten.addcmul.default",
            vec![(&h).into(), (&a).into(), (&h).into()],
        );
    });
    assert_eq!(addcmul, vec![(2.0, 2), (1.0, 2)], "tensor1, tensor2");

    let layer_norm = layer_norm_pack_order(&mut rt, &h, &w, &b);
    let tags: Vec<f32> = layer_norm.iter().take(3).map(|p| p.0).collect();
    assert_eq!(tags, vec![5.0, 1.0, 3.0], "bias, input, weight");
    assert_eq!(layer_norm.len(), 5, "then the mean and rstd results");

    let q = tensor(&mut rt, &[1, 1, 2, 4], &[1.0; 8], true);
    let k = tensor(&mut rt, &[1, 1, 2, 4], &[2.0; 8], true);
    let v = tensor(&mut rt, &[1, 1, 2, 4], &[3.0; 8], true);
    let attention = pack_order(&mut rt, |rt| {
        rt.call(
            "aten._scaled_dot_product_flash_attention_for_cpu.default",
            vec![(&q).into(), (&k).into(), (&v).into()],
        )
        .expect("flash attention");
    });
    let tags: Vec<f32> = attention.iter().take(3).map(|p| p.0).collect();
    assert_eq!(tags, vec![2.0, 1.0, 3.0], "key, query, value");
    let ranks: Vec<usize> = attention.iter().skip(3).map(|p| p.1).collect();
    assert_eq!(ranks, vec![3, 4], "logsumexp, then output");
}

#[test]
fn in_build_order_the_pack_hook_sees_another_order() {
    // The fault packs in the order the backward function saved: the test
    // above tells the two apart.
    let (mut rt, _sink) = traced(ValuePolicy::Inputs);
    rt.set_faults(ft_runtime::Faults {
        build_order_saved_tensors: true,
        ..Default::default()
    });
    let h = tensor(&mut rt, &[2, 4], &[1.0; 8], true);
    let w = tensor(&mut rt, &[4], &[3.0; 4], true);
    let b = tensor(&mut rt, &[4], &[5.0; 4], true);
    let layer_norm = layer_norm_pack_order(&mut rt, &h, &w, &b);
    let tags: Vec<f32> = layer_norm.iter().take(3).map(|p| p.0).collect();
    assert_ne!(tags, vec![5.0, 1.0, 3.0]);
}

/// The `detach` ops written right after an unpack's `hook_end`, with
/// whether their output requires grad.
fn unpack_detaches(rt_events: &[ft_trace::Event]) -> Vec<bool> {
    rt_events
        .windows(2)
        .filter_map(|pair| match (&pair[0].body, &pair[1].body) {
            (
                EventBody::Autograd(AutogradEvent::HookEnd(_)),
                EventBody::Dispatch(ft_trace::DispatchEvent::Op(op)),
            ) if op.op.as_ref() == "aten.detach.default" => match op.outputs.first() {
                Some(ft_trace::Value::Tensor(t)) => Some(t.requires_grad),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// `x * w` (saves `x`: no history, no grad), `exp(w)` (saves its result)
/// and `cos(w)` (saves the leaf `w`), summed and run backward under a
/// pass-through pair; `mode`: the pair's unpacks run under a program
/// dispatch mode. Returns the unpack detaches and `w.grad`.
fn unpack_under_mode(mode: bool) -> (Vec<bool>, Vec<f32>) {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let w = tensor(&mut rt, &[2], &[0.5, 1.0], true);
    let x = tensor(&mut rt, &[2], &[2.0, 3.0], false);
    let scope = rt.saved_tensors_hooks_enter(
        Box::new(|_, t| Ok(t.clone())),
        Box::new(|_, t| Ok(t.clone())),
    );
    if mode {
        rt.saved_tensors_hooks_under_dispatch_mode(scope);
    }
    let p = call1(&mut rt, "aten.mul.Tensor", vec![(&x).into(), (&w).into()]);
    let e = call1(&mut rt, "aten.exp.default", vec![(&w).into()]);
    let c = call1(&mut rt, "aten.cos.default", vec![(&w).into()]);
    let pe = call1(&mut rt, "aten.add.Tensor", vec![(&p).into(), (&e).into()]);
    let all = call1(&mut rt, "aten.add.Tensor", vec![(&pe).into(), (&c).into()]);
    let s = call1(&mut rt, "aten.sum.default", vec![(&all).into()]);
    rt.backward(&[s], &[None], false, false).expect("backward");
    rt.saved_tensors_hooks_exit(scope);
    let grad = values(&w.grad().expect("w.grad"));
    let detaches = unpack_detaches(sink.borrow().events());
    (detaches, grad)
}

#[test]
fn under_a_dispatch_mode_an_unpack_is_detached_unless_nothing_needs_its_history() {
    // Observed in torch 2.15 under allow_mutation_on_saved_tensors: a
    // `detach` after the unpack of exp's result (the node as history: it
    // requires grad in the event) and of the leaf `w` (flag set after the
    // event), none for `x`.
    let (detaches, grad) = unpack_under_mode(true);
    let mut sorted = detaches.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![false, true], "{detaches:?}");
    let (plain, plain_grad) = unpack_under_mode(false);
    assert!(plain.is_empty(), "{plain:?}");
    // The same gradient either way: x + exp(w) - sin(w).
    assert_eq!(grad, plain_grad);
    let want: Vec<f32> = [(2.0f32, 0.5f32), (3.0, 1.0)]
        .iter()
        .map(|&(x, w)| x + w.exp() - w.sin())
        .collect();
    crate::common::assert_close(&grad, &want);
}
