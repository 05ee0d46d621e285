//! Backward hooks from a native program: where the engine calls them, what
//! they may replace, retained gradients, and the events they leave.

use std::cell::RefCell;
use std::rc::Rc;

use ft_runtime::{IValue, Runtime, Tensor};
use ft_trace::event::{ApiEvent, AutogradEvent};
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, ops, tensor, traced};

fn sum(rt: &mut Runtime, t: &Tensor) -> Tensor {
    call1(rt, "aten.sum.default", vec![t.into()])
}

fn mul_scalar(rt: &mut Runtime, t: &Tensor, s: f64) -> Tensor {
    call1(rt, "aten.mul.Tensor", vec![t.into(), IValue::Float(s)])
}

#[test]
fn a_tensor_hook_replaces_the_gradient_before_retain_grad_sees_it() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let x = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let y = mul_scalar(&mut rt, &x, 2.0);
    rt.retain_grad(&y).expect("retain_grad");
    assert!(rt.retains_grad(&y));
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&seen);
    rt.register_hook(
        &y,
        Box::new(move |rt, g| {
            let g = g.expect("a gradient flows");
            log.borrow_mut().push(g.to_f32_vec()?);
            Ok(Some(mul_scalar(rt, g, 10.0)))
        }),
    )
    .expect("register_hook");
    let s = sum(&mut rt, &y);
    rt.backward(&[s], &[None], false, false).expect("backward");
    assert_eq!(*seen.borrow(), vec![vec![1.0, 1.0, 1.0]]);
    // retain_grad keeps the replaced gradient; the leaf gets it through MulBackward0.
    let yg = y.grad().expect("retained");
    assert_eq!(yg.to_f32_vec().expect("f32"), vec![10.0; 3]);
    assert_eq!(
        x.grad().expect("x.grad").to_f32_vec().expect("f32"),
        vec![20.0; 3]
    );
    // The hook's op is recorded between hook_begin and hook_end, then the
    // retain-grad clone (contiguous) and the accumulate of y's gradient.
    let sink = sink.borrow();
    let kinds: Vec<&str> = sink
        .events()
        .iter()
        .filter(|e| !matches!(e.body, EventBody::Api(ApiEvent::Tensor(_))))
        .map(|e| e.body.kind_name())
        .collect();
    // SumBackward0 runs first; MulBackward0 (y's grad_fn) carries the hook.
    let from_pop = kinds.iter().position(|k| *k == "hook_begin").expect("hook") - 1;
    assert_eq!(
        &kinds[from_pop..from_pop + 6],
        ["pop", "hook_begin", "op", "hook_end", "op", "accumulate"]
    );
    let names: Vec<&str> = ops(sink.events()).iter().map(|o| o.op.as_str()).collect();
    assert!(names.contains(&"aten.clone.default"));
}

#[test]
fn retain_grad_adds_later_gradients_out_of_place() {
    let (mut rt, _sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let y = mul_scalar(&mut rt, &x, 3.0);
    rt.retain_grad(&y).expect("retain_grad");
    let s = sum(&mut rt, &y);
    rt.backward(std::slice::from_ref(&s), &[None], true, false)
        .expect("first");
    let first = y.grad().expect("first grad");
    rt.backward(&[s], &[None], false, false).expect("second");
    let second = y.grad().expect("second grad");
    assert!(!first.same_tensor(&second));
    assert_eq!(second.to_f32_vec().expect("f32"), vec![2.0, 2.0]);
}

#[test]
fn leaf_hooks_run_once_with_the_summed_gradient_and_chain() {
    let (mut rt, _sink) = traced(ValuePolicy::None);
    let w = tensor(&mut rt, &[2], &[1.0, 1.0], true);
    let order = Rc::new(RefCell::new(Vec::new()));
    let (a, b) = (Rc::clone(&order), Rc::clone(&order));
    rt.register_hook(
        &w,
        Box::new(move |rt, g| {
            let g = g.expect("grad");
            a.borrow_mut().push(("first", g.to_f32_vec()?));
            Ok(Some(mul_scalar(rt, g, 10.0)))
        }),
    )
    .expect("hook");
    let removed = rt
        .register_hook(&w, Box::new(|_, _| panic!("a removed hook ran")))
        .expect("hook");
    rt.register_hook(
        &w,
        Box::new(move |_, g| {
            b.borrow_mut()
                .push(("second", g.expect("grad").to_f32_vec()?));
            Ok(None)
        }),
    )
    .expect("hook");
    rt.remove_hook(removed);
    let post = Rc::new(RefCell::new(Vec::new()));
    let p = Rc::clone(&post);
    rt.register_post_accumulate_grad_hook(
        &w,
        Box::new(move |_, leaf| {
            p.borrow_mut()
                .push(leaf.grad().expect("stored").to_f32_vec()?);
            Ok(())
        }),
    )
    .expect("post hook");
    let u = mul_scalar(&mut rt, &w, 2.0);
    let v = mul_scalar(&mut rt, &w, 3.0);
    let z = call1(&mut rt, "aten.add.Tensor", vec![(&u).into(), (&v).into()]);
    let s = sum(&mut rt, &z);
    rt.backward(&[s], &[None], false, false).expect("backward");
    assert_eq!(
        *order.borrow(),
        vec![("first", vec![5.0, 5.0]), ("second", vec![50.0, 50.0])]
    );
    assert_eq!(*post.borrow(), vec![vec![50.0, 50.0]]);
}

#[test]
fn hook_errors_and_skipped_hooks() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let c = tensor(&mut rt, &[2], &[1.0, 1.0], false);
    assert!(rt.register_hook(&c, Box::new(|_, _| Ok(None))).is_err());
    assert!(rt.retain_grad(&c).is_err());
    let w = tensor(&mut rt, &[2], &[1.0, 1.0], true);
    let y = mul_scalar(&mut rt, &w, 2.0);
    assert!(
        rt.register_post_accumulate_grad_hook(&y, Box::new(|_, _| Ok(())))
            .is_err()
    );
    rt.set_faults(ft_runtime::Faults {
        skip_hooks: true,
        ..Default::default()
    });
    rt.register_hook(&y, Box::new(|_, _| panic!("skipped hooks never run")))
        .expect("hook");
    let s = sum(&mut rt, &y);
    rt.backward(&[s], &[None], false, false).expect("backward");
    let sink = sink.borrow();
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e.body, EventBody::Autograd(AutogradEvent::HookBegin(_))))
    );
}

#[test]
fn retain_grad_follows_an_in_place_op_while_tensor_hooks_stay() {
    // Observed in torch 2.15: y = x * 2; hook(g * 10); retain_grad; y.mul_(3):
    // y.grad is 1 (the new y's gradient), x.grad is 60.
    let (mut rt, _sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2], &[1.0, 1.0], true);
    let y = mul_scalar(&mut rt, &x, 2.0);
    rt.register_hook(&y, Box::new(|rt, g| Ok(g.map(|g| mul_scalar(rt, g, 10.0)))))
        .expect("hook");
    rt.retain_grad(&y).expect("retain_grad");
    rt.call("aten.mul_.Scalar", vec![(&y).into(), IValue::Float(3.0)])
        .expect("mul_");
    let s = sum(&mut rt, &y);
    rt.backward(&[s], &[None], false, false).expect("backward");
    assert_eq!(
        y.grad().expect("retained").to_f32_vec().expect("f32"),
        vec![1.0; 2]
    );
    assert_eq!(
        x.grad().expect("x.grad").to_f32_vec().expect("f32"),
        vec![60.0; 2]
    );
}

#[test]
fn a_native_hooks_calls_are_recorded_in_the_nodes_context() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    rt.register_hook(&x, Box::new(|rt, g| Ok(g.map(|g| mul_scalar(rt, g, 0.5)))))
        .expect("hook");
    let s = sum(&mut rt, &x);
    rt.backward(&[s], &[None], false, false).expect("backward");
    let sink = sink.borrow();
    let ops = ops(sink.events());
    let in_hook = ops
        .iter()
        .find(|o| o.op == "aten.mul.Tensor")
        .expect("the hook's mul");
    assert!(matches!(in_hook.context, ft_trace::Context::Node(_)));
    assert_eq!(
        x.grad().expect("grad").to_f32_vec().expect("f32"),
        vec![0.5; 2]
    );
}

#[test]
fn a_hook_that_raises_ends_the_backward_with_its_exception() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    rt.register_hook(
        &x,
        Box::new(|_, _| {
            Err(ft_runtime::RuntimeError::Raised {
                exception: "ValueError: gradient rejected".into(),
            })
        }),
    )
    .expect("hook");
    let s = sum(&mut rt, &x);
    let err = rt
        .backward(&[s], &[None], false, false)
        .expect_err("raises");
    assert_eq!(err.python_message(), "ValueError: gradient rejected");
    let sink = sink.borrow();
    let kinds: Vec<&str> = sink.events().iter().map(|e| e.body.kind_name()).collect();
    let n = kinds.len();
    assert_eq!(&kinds[n - 2..], ["hook_begin", "graph_task_error"]);
    assert!(x.grad().is_none());
}
