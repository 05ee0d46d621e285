//! Edge cases of the softmax, loss, normalisation and matrix-product
//! kernels, through the runtime's public call API: PyTorch's error
//! messages, negative dims, 0-dim and empty inputs, result dtypes and
//! layouts (each expectation observed in torch 2.15).

use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// A contiguous float32 tensor introduced into `rt` (shared with the other
/// kernel test modules here).
pub(super) fn f32s(rt: &mut Runtime, shape: &[i64], values: &[f32]) -> Tensor {
    let strides = crate::tensor::strides::contiguous_strides(shape);
    rt.introduce_tensor_f32(shape, &strides, 0, values, false)
        .expect("tensor")
}

/// A contiguous int64 tensor introduced into `rt`.
pub(super) fn i64s(rt: &mut Runtime, shape: &[i64], values: &[i64]) -> Tensor {
    let strides = crate::tensor::strides::contiguous_strides(shape);
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    rt.introduce_tensor("int64", shape, &strides, 0, &bytes, false)
        .expect("tensor")
}

fn first(out: Vec<IValue>) -> Tensor {
    out.into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .expect("a tensor result")
}

fn error(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> String {
    rt.call(op, args).expect_err("an error").to_string()
}

#[test]
fn softmax_wraps_negative_dims_and_refuses_out_of_range_ones() {
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[2, 2], &[0.0, 0.0, 1.0, 3.0]);
    let y = first(
        rt.call(
            "aten._softmax.default",
            vec![(&x).into(), IValue::Int(-2), IValue::Bool(false)],
        )
        .expect("softmax"),
    );
    let v = y.to_f64_vec().expect("values");
    assert!((v[0] - 0.2689414).abs() < 1e-6 && (v[1] - 0.0474259).abs() < 1e-6);
    let err = error(
        &mut rt,
        "aten._log_softmax.default",
        vec![(&x).into(), IValue::Int(2), IValue::Bool(false)],
    );
    assert!(
        err.contains("Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        "{err}"
    );
    let err = error(
        &mut rt,
        "aten._softmax.default",
        vec![(&x).into(), IValue::Int(0), IValue::Bool(true)],
    );
    assert!(
        err.contains("half to float conversion is not supported on CPU"),
        "{err}"
    );
}

#[test]
fn a_zero_dim_softmax_is_one_and_log_softmax_zero() {
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[], &[2.0]);
    for (op, expected) in [
        ("aten._softmax.default", 1.0),
        ("aten._log_softmax.default", 0.0),
    ] {
        let y = first(
            rt.call(op, vec![(&x).into(), IValue::Int(-1), IValue::Bool(false)])
                .expect("softmax"),
        );
        assert_eq!(y.to_f64_vec().expect("values"), vec![expected], "{op}");
    }
}

#[test]
fn nll_loss_checks_targets_and_reports_total_weight() {
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[2, 3], &[-1.0, -2.0, -3.0, -4.0, -5.0, -6.0]);
    let bad = i64s(&mut rt, &[2], &[0, 3]);
    let err = error(
        &mut rt,
        "aten.nll_loss_forward.default",
        vec![
            (&x).into(),
            (&bad).into(),
            IValue::None,
            IValue::Int(1),
            IValue::Int(-100),
        ],
    );
    assert!(err.contains("Target 3 is out of bounds."), "{err}");
    let t = i64s(&mut rt, &[2], &[2, -100]);
    let out = rt
        .call(
            "aten.nll_loss_forward.default",
            vec![
                (&x).into(),
                (&t).into(),
                IValue::None,
                IValue::Int(0),
                IValue::Int(-100),
            ],
        )
        .expect("nll");
    let values: Vec<Vec<f64>> = out
        .into_iter()
        .map(|v| {
            v.into_tensor()
                .expect("tensor")
                .to_f64_vec()
                .expect("values")
        })
        .collect();
    // Unreduced: the ignored row is 0, and total_weight is 0.
    assert_eq!(values, vec![vec![3.0, 0.0], vec![0.0]]);
}

#[test]
fn layer_norm_names_the_expected_shape_and_keeps_mixed_precision_stats() {
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let err = error(
        &mut rt,
        "aten.native_layer_norm.default",
        vec![
            (&x).into(),
            vec![4i64].as_slice().into(),
            IValue::None,
            IValue::None,
            IValue::Float(1e-5),
        ],
    );
    assert!(
        err.contains("Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 3]"),
        "{err}"
    );
    let out = rt
        .call(
            "aten.native_layer_norm.default",
            vec![
                (&x).into(),
                vec![3i64].as_slice().into(),
                IValue::None,
                IValue::None,
                IValue::Float(1e-5),
            ],
        )
        .expect("layer norm");
    let mean = out[1].as_tensor().expect("mean");
    assert_eq!(mean.shape(), &[2, 1]);
    assert_eq!(mean.to_f64_vec().expect("values"), vec![2.0, 5.0]);
}

#[test]
fn matrix_products_check_shapes_and_dtypes() {
    let mut rt = Runtime::new();
    let a = f32s(&mut rt, &[2, 3, 4], &[1.0; 24]);
    let b = f32s(&mut rt, &[3, 4, 5], &[1.0; 60]);
    let err = error(&mut rt, "aten.bmm.default", vec![(&a).into(), (&b).into()]);
    assert!(
        err.contains(
            "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4]."
        ),
        "{err}"
    );
    let v = f32s(&mut rt, &[3], &[1.0, 2.0, 3.0]);
    let w = f32s(&mut rt, &[4], &[1.0; 4]);
    let err = error(&mut rt, "aten.dot.default", vec![(&v).into(), (&w).into()]);
    assert!(err.contains("inconsistent tensor size"), "{err}");
    let empty = f32s(&mut rt, &[2, 0, 4], &[]);
    let c = f32s(&mut rt, &[2, 4, 5], &[1.0; 40]);
    let out = first(
        rt.call("aten.bmm.default", vec![(&empty).into(), (&c).into()])
            .expect("bmm"),
    );
    // PyTorch's contiguous strides of an empty result treat size 0 as 1.
    assert_eq!(
        (out.shape(), out.stride()),
        (&[2, 0, 5][..], &[5, 5, 1][..])
    );
    let d = first(
        rt.call("aten.dot.default", vec![(&v).into(), (&v).into()])
            .expect("dot"),
    );
    assert_eq!(d.to_f64_vec().expect("values"), vec![14.0]);
}
