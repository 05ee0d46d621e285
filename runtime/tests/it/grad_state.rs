//! Grad-mode state the way PyTorch leaves it outside any operator:
//! `detach_` (no dispatch at all), composites a dispatch mode sees whole
//! under `inference_mode`, and the version an introduced tensor arrives with.

use ft_runtime::{IValue, Runtime};
use ft_trace::event::ApiEvent;
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, ops, tensor, traced};

fn set_requires_grad_events(events: &[ft_trace::Event]) -> Vec<(u64, bool)> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::SetRequiresGrad(s)) => Some((s.tensor, s.requires_grad)),
            _ => None,
        })
        .collect()
}

#[test]
fn detach_in_place_drops_history_and_is_a_set_requires_grad_false() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let w = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let h = call1(&mut rt, "aten.mul.Tensor", vec![(&w).into(), (&w).into()]);
    assert!(!h.is_leaf() && h.requires_grad());
    rt.detach_(&h).expect("detach_");
    assert!(h.is_leaf() && !h.requires_grad());
    // An in-place op on it now records no history.
    let out = call1(
        &mut rt,
        "aten.mul_.Scalar",
        vec![(&h).into(), IValue::Float(0.5)],
    );
    assert!(out.is_leaf() && !out.requires_grad());
    let sink = sink.borrow();
    // T0 = w, T1 = h: the change is written before the next op.
    assert_eq!(set_requires_grad_events(sink.events()), [(1, false)]);
}

#[test]
fn a_view_cannot_be_detached_in_place() {
    let mut rt = Runtime::new();
    let w = tensor(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], true);
    let h = call1(&mut rt, "aten.mul.Tensor", vec![(&w).into(), (&w).into()]);
    let v = call1(&mut rt, "aten.t.default", vec![(&h).into()]);
    let err = rt.detach_(&v).expect_err("a view");
    assert!(
        err.to_string().contains("Can't detach views in-place"),
        "{err}"
    );
}

#[test]
fn under_inference_mode_a_mode_sees_linear_whole() {
    for mode_active in [false, true] {
        let (mut rt, sink) = traced(ValuePolicy::None);
        rt.set_dispatch_mode_active(mode_active);
        let x = tensor(&mut rt, &[1, 2], &[1.0, 2.0], false);
        let w = tensor(&mut rt, &[3, 2], &[1.0; 6], true);
        let b = tensor(&mut rt, &[3], &[0.5; 3], true);
        rt.set_grad_mode(false, true);
        let y = call1(
            &mut rt,
            "aten.linear.default",
            vec![(&x).into(), (&w).into(), (&b).into()],
        );
        rt.set_grad_mode(true, false);
        assert!(y.is_inference() && !y.requires_grad());
        assert_eq!(y.to_f32_vec().expect("values"), [3.5, 3.5, 3.5]);
        let sink = sink.borrow();
        let names: Vec<&str> = ops(sink.events()).iter().map(|o| o.op.as_str()).collect();
        if mode_active {
            // Observed in torch 2.15: one `linear`, its parts unseen.
            assert_eq!(names, ["aten.linear.default"]);
            let op = ops(sink.events())[0];
            assert_eq!(*op.keyset, ["ADInplaceOrView", "BackendSelect", "CPU"]);
            assert_eq!(
                op.chain
                    .last()
                    .map(|s| (s.key.as_str(), s.handler.as_str())),
                Some(("CPU", "math"))
            );
        } else {
            assert_eq!(names, ["aten.t.default", "aten.addmm.default"]);
        }
    }
}

#[test]
fn below_autograd_a_mode_sees_linear_whole_with_grad_mode_on_and_no_graph() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    rt.set_dispatch_mode_active(true);
    let x = tensor(&mut rt, &[1, 2], &[1.0, 2.0], false);
    let w = tensor(&mut rt, &[3, 2], &[1.0; 6], true);
    rt.set_below_autograd(true);
    assert!(rt.is_grad_enabled() && rt.is_below_autograd());
    let y = call1(
        &mut rt,
        "aten.linear.default",
        vec![(&x).into(), (&w).into(), IValue::None],
    );
    // Not an inference tensor, and no node although `w` requires grad.
    assert!(!y.is_inference() && !y.requires_grad() && y.is_leaf());
    // ADInplaceOrView stays: an in-place write bumps the version.
    call1(
        &mut rt,
        "aten.mul_.Scalar",
        vec![(&y).into(), IValue::Float(2.0)],
    );
    assert_eq!(y.version(), 1);
    rt.set_below_autograd(false);
    let z = call1(&mut rt, "aten.mul.Tensor", vec![(&w).into(), (&w).into()]);
    assert!(z.requires_grad());
    let sink = sink.borrow();
    let kinds: Vec<String> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::BelowAutograd(b)) => {
                Some(format!("below_autograd {}", b.enabled))
            }
            EventBody::Dispatch(ft_trace::event::DispatchEvent::Op(o)) => Some(o.op.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "below_autograd true",
            "aten.linear.default",
            "aten.mul_.Scalar",
            "below_autograd false",
            "aten.mul.Tensor"
        ]
    );
    let linear = ops(sink.events())[0];
    assert_eq!(*linear.keyset, ["ADInplaceOrView", "BackendSelect", "CPU"]);
}

#[test]
fn with_grad_mode_on_linear_still_decomposes_under_a_mode() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    rt.set_dispatch_mode_active(true);
    let x = tensor(&mut rt, &[1, 2], &[1.0, 2.0], false);
    let w = tensor(&mut rt, &[3, 2], &[1.0; 6], true);
    call1(
        &mut rt,
        "aten.linear.default",
        vec![(&x).into(), (&w).into(), IValue::None],
    );
    let sink = sink.borrow();
    let names: Vec<&str> = ops(sink.events()).iter().map(|o| o.op.as_str()).collect();
    assert_eq!(names, ["aten.t.default", "aten.mm.default"]);
}

#[test]
fn an_introduced_tensor_keeps_the_version_it_arrived_with() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let bytes: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let t = rt
        .introduce_tensor("float32", &[2], &[1], 0, &bytes, false)
        .expect("introduce");
    rt.set_introduced_version(&t, 1);
    assert_eq!(t.version(), 1);
    call1(&mut rt, "aten.neg.default", vec![(&t).into()]);
    let sink = sink.borrow();
    let intro = sink
        .events()
        .iter()
        .find_map(|e| match &e.body {
            EventBody::Api(ApiEvent::Tensor(t)) => Some(t.tensor.version),
            _ => None,
        })
        .expect("introduction");
    assert_eq!(intro, 1);
}

#[test]
fn in_place_ops_leave_an_inference_tensor_at_version_zero() {
    let mut rt = Runtime::new();
    rt.set_grad_mode(false, true);
    let z = call1(
        &mut rt,
        "aten.zeros.default",
        vec![IValue::IntList(vec![3])],
    );
    call1(
        &mut rt,
        "aten.add_.Scalar",
        vec![(&z).into(), IValue::Float(1.0)],
    );
    assert!(z.is_inference());
    assert_eq!(z.version(), 0);
    // Outside inference mode PyTorch raises after the kernel ran; the
    // version still does not move.
    rt.set_grad_mode(true, false);
    call1(
        &mut rt,
        "aten.mul_.Scalar",
        vec![(&z).into(), IValue::Float(2.0)],
    );
    assert_eq!(z.version(), 0);
    assert_eq!(z.to_f32_vec().expect("values"), [2.0, 2.0, 2.0]);
}
