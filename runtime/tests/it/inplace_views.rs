//! In-place operators on views of tensors that require grad: the base's
//! CopySlices, the view's AsStridedBackward0, their sequence numbers and
//! gradients (observed in torch 2.15).

use ft_runtime::{IValue, Runtime};
use ft_trace::event::AutogradEvent;
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, tensor, traced};

/// `x = a.clone(); x[:, 0].mul_(2)`; returns `(runtime, a, x)`.
fn scaled_column(rt: &mut Runtime) -> (ft_runtime::Tensor, ft_runtime::Tensor) {
    let a = tensor(rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], true);
    let x = call1(rt, "aten.clone.default", vec![(&a).into()]);
    let column = call1(
        rt,
        "aten.select.int",
        vec![(&x).into(), IValue::Int(1), IValue::Int(0)],
    );
    call1(
        rt,
        "aten.mul_.Tensor",
        vec![(&column).into(), IValue::Int(2)],
    );
    (a, x)
}

#[test]
fn the_base_gets_copy_slices_and_the_view_as_strided_backward() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let (a, x) = scaled_column(&mut rt);
    let nodes: Vec<(String, u64, usize)> = sink
        .borrow()
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) => {
                Some((n.name.clone(), n.seq_nr, n.tensors.len()))
            }
            _ => None,
        })
        .collect();
    let names: Vec<&str> = nodes.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "AccumulateGrad",
            "CloneBackward0",
            "SelectBackward0",
            "CopySlices",
            "AsStridedBackward0"
        ]
    );
    // MulBackward0 took 2 inside CopySlices and has no event; CopySlices is
    // attached to no output of the call.
    assert_eq!(nodes[3].1, 3);
    assert_eq!(nodes[3].2, 0);
    assert_eq!(nodes[4].1, 4);
    let s = call1(&mut rt, "aten.sum.default", vec![(&x).into()]);
    rt.backward(std::slice::from_ref(&s), &[None], false, false)
        .expect("backward");
    let grad = a.grad().expect("grad").to_f32_vec().expect("values");
    assert_eq!(grad, vec![2.0, 1.0, 2.0, 1.0]);
}

#[test]
fn a_view_of_a_leaf_that_requires_grad_cannot_be_modified_in_place() {
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[2, 2], &[1.0; 4], true);
    let row = call1(
        &mut rt,
        "aten.select.int",
        vec![(&a).into(), IValue::Int(0), IValue::Int(0)],
    );
    let err = rt
        .call("aten.mul_.Scalar", vec![row.into(), IValue::Float(2.0)])
        .expect_err("view of a leaf");
    assert_eq!(
        err.python_message(),
        "RuntimeError: a view of a leaf Variable that requires grad is being used in an in-place \
         operation."
    );
}

#[test]
fn the_modified_view_differentiates_through_as_strided_backward() {
    let mut rt = Runtime::new();
    let (a, x) = scaled_column(&mut rt);
    let flat = call1(
        &mut rt,
        "aten.view.default",
        vec![(&x).into(), IValue::IntList(vec![4])],
    );
    call1(&mut rt, "aten.relu_.default", vec![(&flat).into()]);
    let twice = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&flat).into(), IValue::Int(3)],
    );
    let s = call1(&mut rt, "aten.sum.default", vec![twice.into()]);
    rt.backward(std::slice::from_ref(&s), &[None], false, false)
        .expect("backward");
    // d/da of 3 * relu(x) with x = a, column 0 doubled (all positive).
    let grad = a.grad().expect("grad").to_f32_vec().expect("values");
    assert_eq!(grad, vec![6.0, 3.0, 6.0, 3.0]);
}

#[test]
fn an_output_of_a_multi_view_operator_cannot_be_modified_in_place() {
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[4], &[1.0; 4], true);
    let x = call1(&mut rt, "aten.clone.default", vec![(&a).into()]);
    let parts = rt
        .call("aten.split.Tensor", vec![x.into(), IValue::Int(2)])
        .expect("split")
        .into_iter()
        .flat_map(IValue::into_tensors)
        .collect::<Vec<_>>();
    let err = rt
        .call(
            "aten.mul_.Scalar",
            vec![(&parts[1]).into(), IValue::Float(2.0)],
        )
        .expect_err("multi-output view");
    assert_eq!(
        err.python_message(),
        "RuntimeError: Output 1 of Split is a view and is being modified inplace. This view is \
         the output of a function that returns multiple views. Such functions do not allow the \
         output views to be modified inplace. You should replace the inplace operation by an \
         out-of-place one."
    );
}

#[test]
fn a_view_whose_base_changed_gets_new_history_when_next_used() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let (a, x) = {
        let a = tensor(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], true);
        let x = call1(&mut rt, "aten.clone.default", vec![(&a).into()]);
        (a, x)
    };
    let row0 = call1(
        &mut rt,
        "aten.select.int",
        vec![(&x).into(), IValue::Int(0), IValue::Int(0)],
    );
    let row1 = call1(
        &mut rt,
        "aten.select.int",
        vec![(&x).into(), IValue::Int(0), IValue::Int(1)],
    );
    call1(
        &mut rt,
        "aten.mul_.Tensor",
        vec![row0.into(), IValue::Int(2)],
    );
    // row1's SelectBackward0 is stale: MulBackward0 takes its number, then
    // row1's regenerated AsStridedBackward0 the next, written before it.
    let y = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&row1).into(), IValue::Int(3)],
    );
    let nodes: Vec<(String, u64)> = sink
        .borrow()
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) => Some((n.name.clone(), n.seq_nr)),
            _ => None,
        })
        .collect();
    let tail: Vec<(&str, u64)> = nodes[nodes.len() - 2..]
        .iter()
        .map(|(n, s)| (n.as_str(), *s))
        .collect();
    assert_eq!(tail, [("AsStridedBackward0", 7), ("MulBackward0", 6)]);
    let s = call1(&mut rt, "aten.sum.default", vec![y.into()]);
    rt.backward(std::slice::from_ref(&s), &[None], false, false)
        .expect("backward");
    let grad = a.grad().expect("grad").to_f32_vec().expect("values");
    assert_eq!(grad, vec![0.0, 0.0, 3.0, 3.0]);
}

/// `x = a.clone(); s = sin(x[1]); x[0].mul_(2)`: sin saved the row, whose
/// base was then written through the other row. Backward's version check
/// names the row's history as PyTorch regenerates it while reading it
/// (AsStrided, not Select), and that AsStridedBackward0 takes the next
/// sequence number at the error, so a later use of the row makes no new
/// node and its own node follows (observed in torch 2.15).
#[test]
fn a_saved_view_whose_base_changed_is_named_by_its_regenerated_history() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let a = tensor(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], true);
    let x = call1(&mut rt, "aten.clone.default", vec![(&a).into()]);
    let row = |rt: &mut Runtime, i: i64| {
        call1(
            rt,
            "aten.select.int",
            vec![(&x).into(), IValue::Int(0), IValue::Int(i)],
        )
    };
    let row1 = row(&mut rt, 1);
    let s = call1(&mut rt, "aten.sin.default", vec![(&row1).into()]);
    let row0 = row(&mut rt, 0);
    call1(
        &mut rt,
        "aten.mul_.Tensor",
        vec![row0.into(), IValue::Int(2)],
    );
    let total = call1(&mut rt, "aten.sum.default", vec![s.into()]);
    let err = rt
        .backward(std::slice::from_ref(&total), &[None], false, false)
        .expect_err("sin's saved row was modified");
    assert!(
        err.python_message().contains(
            "[torch.FloatTensor [2]], which is output 0 of AsStrided, is at version 1; \
             expected version 0 instead."
        ),
        "{}",
        err.python_message()
    );
    assert_eq!(row1.grad_fn_name().as_deref(), Some("AsStridedBackward0"));
    // Numbers: clone 0, select 1, sin 2, select 3, mul 4 in CopySlices 5
    // with the row's AsStridedBackward0 6, sum 7; row1's regenerated
    // history took 8, so the multiply takes 9 and no other node is made.
    let y = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&row1).into(), IValue::Int(3)],
    );
    let last = sink
        .borrow()
        .events()
        .iter()
        .rev()
        .find_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) => Some((n.name.clone(), n.seq_nr)),
            _ => None,
        });
    assert_eq!(last, Some(("MulBackward0".to_owned(), 9)));
    let s = call1(&mut rt, "aten.sum.default", vec![y.into()]);
    rt.backward(std::slice::from_ref(&s), &[None], false, false)
        .expect("backward through the regenerated history");
    let grad = a.grad().expect("grad").to_f32_vec().expect("values");
    assert_eq!(grad, vec![0.0, 0.0, 3.0, 3.0]);
}
