//! Custom autograd.Functions from a native program: the node `apply` makes,
//! the program's backward the engine calls, and a backward called from it
//! (reentrant) at depth + 1.

use ft_runtime::{IValue, Runtime, Tensor};
use ft_trace::event::{ApiEvent, AutogradEvent};
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, tensor, traced};

fn mul_scalar(rt: &mut Runtime, t: &Tensor, s: f64) -> Tensor {
    call1(rt, "aten.mul.Tensor", vec![t.into(), IValue::Float(s)])
}

fn sum(rt: &mut Runtime, t: &Tensor) -> Tensor {
    call1(rt, "aten.sum.default", vec![t.into()])
}

/// `Scale.apply(x, k)`: forward `x * k` under no_grad, backward `g * k`.
fn scale(rt: &mut Runtime, x: &Tensor, k: f64) -> Tensor {
    rt.set_grad_mode(false, false);
    let y = mul_scalar(rt, x, k);
    rt.set_grad_mode(true, false);
    let made = rt
        .apply_function(
            "ScaleBackward",
            std::slice::from_ref(x),
            std::slice::from_ref(&y),
            &[],
            Box::new(move |rt, grads| {
                let g = grads[0].as_ref().expect("a gradient flows");
                Ok(vec![Some(mul_scalar(rt, g, k))])
            }),
        )
        .expect("apply");
    assert!(made);
    y
}

#[test]
fn the_engine_runs_the_programs_backward_and_writes_node_result() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let y = scale(&mut rt, &x, 3.0);
    assert!(y.requires_grad());
    let s = sum(&mut rt, &y);
    rt.backward(&[s], &[None], false, false).expect("backward");
    assert_eq!(
        x.grad().expect("grad").to_f32_vec().expect("f32"),
        vec![3.0, 3.0]
    );
    let sink = sink.borrow();
    let events = sink.events();
    let function = events
        .iter()
        .position(|e| matches!(&e.body, EventBody::Api(ApiEvent::Function(f)) if f.name == "ScaleBackward"))
        .expect("function event");
    // The node follows (after the leaf's AccumulateGrad), number 0: the
    // forward's mul ran without grad and took none.
    let node = events[function + 1..]
        .iter()
        .find_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) if n.name == "ScaleBackward" => Some(n),
            _ => None,
        })
        .expect("node event");
    assert_eq!(node.seq_nr, 0);
    let result = events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::NodeResult(r)) => Some(r),
            _ => None,
        })
        .expect("node_result");
    assert_eq!((result.grads.len(), result.results.len()), (1, 1));
}

#[test]
fn apply_takes_a_sequence_number_even_without_a_node() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], false);
    let y = mul_scalar(&mut rt, &x, 2.0);
    let made = rt
        .apply_function(
            "NoGradBackward",
            std::slice::from_ref(&x),
            &[y],
            &[],
            Box::new(|_, _| Ok(vec![None])),
        )
        .expect("apply");
    assert!(!made);
    let w = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let _z = mul_scalar(&mut rt, &w, 2.0);
    let sink = sink.borrow();
    let numbers: Vec<(String, u64)> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) if n.name != "AccumulateGrad" => {
                Some((n.name.clone(), n.seq_nr))
            }
            _ => None,
        })
        .collect();
    assert_eq!(numbers, vec![("MulBackward0".to_owned(), 1)]);
}

#[test]
fn a_backward_inside_a_functions_backward_runs_at_depth_one() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let w = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let x = tensor(&mut rt, &[2], &[0.5, 0.5], true);
    let held = w.clone();
    rt.set_grad_mode(false, false);
    let y = mul_scalar(&mut rt, &x, 1.0);
    rt.set_grad_mode(true, false);
    rt.apply_function(
        "InnerBackward",
        std::slice::from_ref(&x),
        std::slice::from_ref(&y),
        &[],
        Box::new(move |rt, grads| {
            // A nested backward through a graph of its own.
            rt.set_grad_mode(true, false);
            let inner = mul_scalar(rt, &held, 4.0);
            let s = sum(rt, &inner);
            rt.backward(&[s], &[None], false, false)?;
            Ok(vec![grads[0].clone()])
        }),
    )
    .expect("apply");
    let s = sum(&mut rt, &y);
    rt.backward(&[s], &[None], false, false).expect("backward");
    assert_eq!(
        w.grad().expect("w.grad").to_f32_vec().expect("f32"),
        vec![4.0, 4.0]
    );
    assert_eq!(
        x.grad().expect("x.grad").to_f32_vec().expect("f32"),
        vec![1.0, 1.0]
    );
    let sink = sink.borrow();
    let depths: Vec<u32> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::GraphTaskBegin(g)) => Some(g.depth),
            _ => None,
        })
        .collect();
    assert_eq!(depths, vec![0, 1]);
    // The engine restored grad mode after the node: the program's mode is on.
    assert!(rt.is_grad_enabled());
}
