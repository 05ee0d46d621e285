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
