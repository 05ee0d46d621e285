//! Errors as PyTorch raises them, and as events: a kernel that raised is an
//! `op_error`, a backward that raised ends with `graph_task_error`, and the
//! program's own exception is `program_error` (messages observed in torch
//! 2.15).

use ft_runtime::{IValue, Runtime, RuntimeError};
use ft_trace::event::{ApiEvent, AutogradEvent, DispatchEvent};
use ft_trace::{Context, EventBody, ValuePolicy};

use crate::common::{call1, tensor, traced};

fn events(sink: &std::rc::Rc<std::cell::RefCell<ft_trace::MemorySink>>) -> Vec<EventBody> {
    sink.borrow()
        .events()
        .iter()
        .map(|e| e.body.clone())
        .collect()
}

#[test]
fn a_kernel_that_raises_is_an_op_error_with_pytorchs_message() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let a = tensor(&mut rt, &[2, 3], &[1.0; 6], true);
    let b = tensor(&mut rt, &[4, 5], &[1.0; 20], false);
    let err = rt
        .call("aten.mm.default", vec![(&a).into(), (&b).into()])
        .expect_err("shapes");
    let message = "RuntimeError: mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)";
    assert_eq!(err.python_message(), message);
    let bodies = events(&sink);
    let op_error = bodies
        .iter()
        .find_map(|b| match b {
            EventBody::Dispatch(DispatchEvent::OpError(e)) => Some(e),
            _ => None,
        })
        .expect("op_error event");
    assert_eq!(op_error.op, "aten.mm.default");
    assert_eq!(op_error.error, message);
    assert_eq!(op_error.context, Context::TopLevel);
    assert_eq!(op_error.args.len(), 2);
    assert!(
        !bodies
            .iter()
            .any(|b| matches!(b, EventBody::Dispatch(DispatchEvent::Op(_)))),
        "a call that raised has no op event"
    );
}

#[test]
fn broadcasting_and_index_errors_have_pytorchs_class_and_message() {
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[2, 3], &[1.0; 6], false);
    let b = tensor(&mut rt, &[2, 4], &[1.0; 8], false);
    let err = rt
        .call("aten.add.Tensor", vec![(&a).into(), (&b).into()])
        .expect_err("broadcast");
    assert_eq!(
        err.python_message(),
        "RuntimeError: The size of tensor a (3) must match the size of tensor b (4) at \
         non-singleton dimension 1"
    );
    let err = rt
        .call(
            "aten.select.int",
            vec![(&a).into(), IValue::Int(0), IValue::Int(5)],
        )
        .expect_err("index");
    assert_eq!(err.python_class(), "IndexError");
    assert_eq!(
        err.python_message(),
        "IndexError: select(): index 5 out of range for tensor of size [2, 3] at dimension 0"
    );
    let t = call1(&mut rt, "aten.t.default", vec![(&a).into()]);
    let err = rt
        .call(
            "aten.view.default",
            vec![t.into(), IValue::IntList(vec![6])],
        )
        .expect_err("view");
    assert!(
        err.python_message()
            .starts_with("RuntimeError: view size is not compatible with input tensor's size"),
        "{err}"
    );
}

#[test]
fn a_leaf_modified_in_place_raises_above_the_recorded_call() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let err = rt
        .call("aten.mul_.Scalar", vec![(&x).into(), IValue::Float(2.0)])
        .expect_err("leaf");
    assert_eq!(
        err.python_message(),
        "RuntimeError: a leaf Variable that requires grad is being used in an in-place operation."
    );
    // The autograd kernel raised before the dispatch mode PyTorch is
    // captured with would see the call: no op_error.
    assert!(
        !events(&sink)
            .iter()
            .any(|b| matches!(b, EventBody::Dispatch(DispatchEvent::OpError(_))))
    );
}

#[test]
fn a_saved_tensor_modified_in_place_ends_the_backward_with_graph_task_error() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let x = tensor(&mut rt, &[2], &[1.0, -1.0], true);
    let r = call1(&mut rt, "aten.exp.default", vec![(&x).into()]);
    let s = call1(&mut rt, "aten.sum.default", vec![(&r).into()]);
    rt.set_grad_mode(false, false);
    call1(
        &mut rt,
        "aten.add_.Scalar",
        vec![(&r).into(), IValue::Int(1)],
    );
    rt.set_grad_mode(true, false);
    let err = rt
        .backward(std::slice::from_ref(&s), &[None], false, false)
        .expect_err("modified");
    let message = "RuntimeError: one of the variables needed for gradient computation has been \
                   modified by an inplace operation: [torch.FloatTensor [2]], which is output 0 \
                   of Exp, is at version 1; expected version 0 instead. Hint: enable anomaly \
                   detection to find the operation that failed to compute its gradient, with \
                   torch.autograd.set_detect_anomaly(True, check_nan=False).";
    assert_eq!(err.python_message(), message);
    let bodies = events(&sink);
    let last_pop = bodies
        .iter()
        .rposition(|b| matches!(b, EventBody::Autograd(AutogradEvent::Pop(_))))
        .expect("pops");
    let error_at = bodies
        .iter()
        .position(|b| matches!(b, EventBody::Autograd(AutogradEvent::GraphTaskError(e)) if e.error == message))
        .expect("graph_task_error");
    // Right after the pop of ExpBackward0: it raised before dispatching.
    assert_eq!(error_at, last_pop + 1);
    assert!(
        !bodies
            .iter()
            .any(|b| matches!(b, EventBody::Autograd(AutogradEvent::GraphTaskEnd(_))))
    );
}

#[test]
fn a_backward_that_raises_before_the_engine_has_no_graph_task_begin() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let x = tensor(&mut rt, &[3], &[1.0; 3], false);
    let s = call1(&mut rt, "aten.sum.default", vec![(&x).into()]);
    rt.backward(std::slice::from_ref(&s), &[None], false, false)
        .expect_err("no grad");
    let bodies = events(&sink);
    let backward = bodies
        .iter()
        .position(|b| matches!(b, EventBody::Api(ApiEvent::Backward(_))))
        .expect("backward");
    match bodies.get(backward + 1) {
        Some(EventBody::Autograd(AutogradEvent::GraphTaskError(e))) => assert_eq!(
            e.error,
            "RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn"
        ),
        other => panic!("expected graph_task_error, got {other:?}"),
    }
}

#[test]
fn a_saved_wrapped_number_is_freed_like_a_saved_tensor() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let y = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&x).into(), IValue::Int(2)],
    );
    let s = call1(&mut rt, "aten.sum.default", vec![y.into()]);
    rt.backward(std::slice::from_ref(&s), &[None], false, false)
        .expect("first");
    let err = rt
        .backward(std::slice::from_ref(&s), &[None], false, false)
        .expect_err("second");
    assert!(matches!(err, RuntimeError::GraphFreed { .. }), "{err}");
    assert!(
        err.python_message()
            .starts_with("RuntimeError: Trying to backward through the graph a second time"),
        "{err}"
    );
}

#[test]
fn program_error_is_the_runtimes_own_event() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    rt.program_error("ValueError: boom");
    match events(&sink).last() {
        Some(EventBody::Api(ApiEvent::ProgramError(p))) => {
            assert_eq!(p.message, "ValueError: boom")
        }
        other => panic!("expected program_error, got {other:?}"),
    }
}
