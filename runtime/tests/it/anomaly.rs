//! Autograd's anomaly mode: with `check_nan`, the engine checks every
//! gradient a node returns (`isnan`, `_is_any_true`, `_local_scalar_dense`
//! in the node's context, after the node ran) and raises PyTorch's error at
//! the first NaN (observed in torch 2.15).

use ft_runtime::IValue;
use ft_runtime::autograd::anomaly::AnomalyMode;
use ft_trace::event::{ApiEvent, AutogradEvent};
use ft_trace::{Context, EventBody, Value, ValuePolicy};

use crate::common::{call1, ops, pops, tensor, traced, values};

const CHECK: [&str; 3] = [
    "aten.isnan.default",
    "aten._is_any_true.default",
    "aten._local_scalar_dense.default",
];

/// `0 * sqrt(x)` summed, `x = [0, 4]`: d/dx = 0 · 1 / (2 sqrt(x)), which
/// is `0 · inf = NaN` at 0 and 0 at 4. SqrtBackward0's output holds the NaN.
fn zero_times_sqrt(
    mode: AnomalyMode,
) -> (
    ft_runtime::Result<()>,
    Vec<ft_trace::Event>,
    ft_runtime::Tensor,
) {
    let (mut rt, sink) = traced(ValuePolicy::All);
    rt.set_anomaly_mode(mode);
    let x = tensor(&mut rt, &[2], &[0.0, 4.0], true);
    let r = call1(&mut rt, "aten.sqrt.default", vec![(&x).into()]);
    let z = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&r).into(), IValue::Int(0)],
    );
    let s = call1(&mut rt, "aten.sum.default", vec![(&z).into()]);
    let outcome = rt.backward(std::slice::from_ref(&s), &[None], false, false);
    let events = sink.borrow().events().to_vec();
    (outcome.map(|_| ()), events, x)
}

#[test]
fn a_nan_gradient_ends_the_backward_with_pytorchs_error() {
    let (outcome, events, x) = zero_times_sqrt(AnomalyMode {
        enabled: true,
        check_nan: true,
    });
    let message = "RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.";
    assert_eq!(outcome.expect_err("NaN").python_message(), message);
    assert!(x.grad().is_none(), "AccumulateGrad never ran");
    assert!(events.iter().any(|e| e.body
        == EventBody::Api(ApiEvent::AnomalyMode(ft_trace::AnomalyMode {
            enabled: true,
            check_nan: true,
        }))));
    assert!(events.iter().any(|e| matches!(&e.body,
        EventBody::Autograd(AutogradEvent::GraphTaskError(g)) if g.error == message)));
    assert_eq!(
        pops(&events),
        ["SumBackward0", "MulBackward0", "SqrtBackward0"]
    );
    // Each node's own calls, then the check of its one output.
    let in_nodes: Vec<&str> = ops(&events)
        .into_iter()
        .filter(|op| matches!(op.context, Context::Node(_)))
        .map(|op| op.op.as_str())
        .collect();
    let mut want = vec!["aten.expand.default"];
    want.extend(CHECK);
    want.push("aten.mul.Tensor");
    want.extend(CHECK);
    want.extend(["aten.mul.Scalar", "aten.div.Tensor"]);
    want.extend(CHECK);
    assert_eq!(in_nodes, want);
    let verdicts: Vec<&Value> = ops(&events)
        .into_iter()
        .filter(|op| op.op == CHECK[2])
        .map(|op| &op.outputs[0])
        .collect();
    assert_eq!(
        verdicts,
        [&Value::Bool(false), &Value::Bool(false), &Value::Bool(true)]
    );
}

#[test]
fn without_check_nan_the_engine_checks_nothing_and_the_nan_reaches_the_leaf() {
    let (outcome, events, x) = zero_times_sqrt(AnomalyMode {
        enabled: true,
        check_nan: false,
    });
    outcome.expect("no check");
    let grad = values(&x.grad().expect("grad"));
    assert!(grad[0].is_nan() && grad[1] == 0.0, "{grad:?}");
    assert!(
        !ops(&events)
            .iter()
            .any(|op| CHECK.contains(&op.op.as_str()))
    );
}

/// `relu(x)` then `+= 1` in place on the output ReluBackward0 saved: the
/// version-check error's hint depends on anomaly mode (`enabled` alone).
#[test]
fn anomaly_mode_rewords_the_hint_of_a_saved_tensor_modified_in_place() {
    let hint = |mode: AnomalyMode| {
        let (mut rt, _sink) = traced(ValuePolicy::None);
        rt.set_anomaly_mode(mode);
        let x = tensor(&mut rt, &[2], &[1.0, -1.0], true);
        let r = call1(&mut rt, "aten.relu.default", vec![(&x).into()]);
        call1(
            &mut rt,
            "aten.add_.Scalar",
            vec![(&r).into(), IValue::Int(1)],
        );
        let s = call1(&mut rt, "aten.sum.default", vec![(&r).into()]);
        let err = rt
            .backward(std::slice::from_ref(&s), &[None], false, false)
            .expect_err("modified");
        let message = err.python_message();
        let prefix = "RuntimeError: one of the variables needed for gradient computation has \
                      been modified by an inplace operation: [torch.FloatTensor [2]], which is \
                      output 0 of Relu, is at version 1; expected version 0 instead. Hint: ";
        message
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{message}"))
            .to_owned()
    };
    let advice = "enable anomaly detection to find the operation that failed to compute its \
                  gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).";
    let backtrace = "the backtrace further above shows the operation that failed to compute its \
                     gradient. The variable in question was changed in there or anywhere later. \
                     Good luck!";
    assert_eq!(hint(AnomalyMode::default()), advice);
    for check_nan in [true, false] {
        let mode = AnomalyMode {
            enabled: true,
            check_nan,
        };
        assert_eq!(hint(mode), backtrace);
    }
}

/// The runtime writes anomaly mode as the capture does: a net change only,
/// before the next top-level call, after grad mode (FORMAT §3.6 rule 4).
#[test]
fn the_runtime_writes_each_net_change_before_the_next_call() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let on = AnomalyMode {
        enabled: true,
        check_nan: true,
    };
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], false);
    // Entered and left with no call between: nothing to write.
    rt.set_anomaly_mode(on);
    rt.set_anomaly_mode(AnomalyMode::default());
    call1(&mut rt, "aten.neg.default", vec![(&x).into()]);
    rt.set_grad_mode(false, false);
    rt.set_anomaly_mode(on);
    rt.set_anomaly_mode(on);
    call1(&mut rt, "aten.neg.default", vec![(&x).into()]);
    rt.set_anomaly_mode(AnomalyMode {
        enabled: true,
        check_nan: false,
    });
    call1(&mut rt, "aten.neg.default", vec![(&x).into()]);
    let names: Vec<String> = sink
        .borrow()
        .events()
        .iter()
        .filter(|e| !matches!(e.body, EventBody::Api(ApiEvent::Tensor(_))))
        .map(|e| match &e.body {
            EventBody::Api(ApiEvent::AnomalyMode(a)) => {
                format!("anomaly_mode {} {}", a.enabled, a.check_nan)
            }
            other => other.kind_name().to_owned(),
        })
        .collect();
    assert_eq!(
        names,
        [
            "op",
            "grad_mode",
            "anomaly_mode true true",
            "op",
            "anomaly_mode true false",
            "op"
        ]
    );
}

/// The check of a complex gradient: `isnan` of a complex tensor is true
/// where either part is NaN.
#[test]
fn isnan_of_a_complex_tensor_looks_at_both_parts() {
    let (mut rt, _sink) = traced(ValuePolicy::None);
    for dtype in [ft_runtime::DType::Complex64, ft_runtime::DType::Complex128] {
        let parts = tensor(
            &mut rt,
            &[3, 2],
            &[1.0, 2.0, f32::NAN, 0.0, 0.0, f32::NAN],
            false,
        );
        let parts = if dtype == ft_runtime::DType::Complex128 {
            call1(
                &mut rt,
                "aten._to_copy.default",
                vec![(&parts).into(), IValue::Dtype(ft_runtime::DType::Float64)],
            )
        } else {
            parts
        };
        let z = call1(
            &mut rt,
            "aten.view_as_complex.default",
            vec![(&parts).into()],
        );
        assert_eq!(z.dtype(), dtype);
        let mask = call1(&mut rt, "aten.isnan.default", vec![(&z).into()]);
        assert_eq!(mask.dtype(), ft_runtime::DType::Bool);
        assert_eq!(values(&mask), [0.0, 1.0, 1.0]);
    }
}
