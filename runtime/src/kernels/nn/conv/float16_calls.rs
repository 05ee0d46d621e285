//! float16 convolutions through [`crate::Runtime::call`], against values
//! torch 2.15 computes on a CPU without float16 oneDNN kernels: the
//! transposed convolution's forward and a convolution's input gradient
//! both round after every tap they add into the plane.

use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

fn half(shape: &[i64], values: &[f64]) -> Tensor {
    Tensor::from_f64(
        "test",
        shape,
        &contiguous_strides(shape),
        DType::Float16,
        values,
    )
    .expect("tensor")
}

fn values(out: &[IValue]) -> Vec<f64> {
    out[0]
        .as_tensor()
        .expect("tensor")
        .to_f64_vec()
        .expect("values")
}

/// torch 2.15: `F.conv_transpose1d` at stride 2 of float16
/// `x = [[0.1, 0.7, -0.3], [1.3, -0.9, 0.45]]`, `w = [[[0.33, 1.7,
/// -0.61]], [[0.9, -0.27, 1.1]]]`, `b = [0.013]`; the once-rounded sum
/// gives -1.09765625 at index 4, where the two taps overlap.
#[test]
fn float16_transposed_convolution_rounds_every_tap() {
    let x = half(&[1, 2, 3], &[0.1, 0.7, -0.3, 1.3, -0.9, 0.45]);
    let w = half(&[2, 1, 3], &[0.33, 1.7, -0.61, 0.9, -0.27, 1.1]);
    let b = half(&[1], &[0.013]);
    let out = Runtime::new()
        .call(
            "aten.convolution.default",
            vec![
                x.into(),
                w.into(),
                b.into(),
                IValue::IntList(vec![2]),
                IValue::IntList(vec![0]),
                IValue::IntList(vec![1]),
                IValue::Bool(true),
                IValue::IntList(vec![0]),
                IValue::Int(1),
            ],
        )
        .expect("conv_transpose1d");
    let want = [
        1.215_820_312_5,
        -0.167_968_75,
        0.802_734_375,
        1.446_289_062_5,
        -1.098_632_812_5,
        -0.618_652_343_75,
        0.690_917_968_75,
    ];
    assert_eq!(values(&out), want);
}

/// torch 2.15: the input gradient of a float16 `F.conv1d` (padding 1)
/// of a `(1, 2, 5)` input with `w = [[[0.33, 1.7, -0.61], [0.9, -0.27,
/// 1.1]]]` from `gy = [0.71, -1.3, 0.37, 2.1, 0.05]`; rounding once
/// gives 0.77783203125 first.
#[test]
fn float16_input_gradient_rounds_every_tap() {
    let gy = half(&[1, 1, 5], &[0.71, -1.3, 0.37, 2.1, 0.05]);
    let x = half(
        &[1, 2, 5],
        &[0.1, 0.7, -0.3, 0.2, 0.5, 1.3, -0.9, 0.45, 0.3, -0.2],
    );
    let w = half(&[1, 2, 3], &[0.33, 1.7, -0.61, 0.9, -0.27, 1.1]);
    let out = Runtime::new()
        .call(
            "aten.convolution_backward.default",
            vec![
                gy.into(),
                x.into(),
                w.into(),
                IValue::None,
                IValue::IntList(vec![1]),
                IValue::IntList(vec![1]),
                IValue::IntList(vec![1]),
                IValue::Bool(false),
                IValue::IntList(vec![0]),
                IValue::Int(1),
                IValue::BoolList(vec![true, false, false]),
            ],
        )
        .expect("convolution_backward");
    let want = [
        0.778_320_312_5,
        -2.519_531_25,
        2.115_234_375,
        3.359_375,
        -1.195_312_5,
        -1.361_328_125,
        1.464_843_75,
        0.360_351_562_5,
        -0.114_990_234_375,
        2.294_921_875,
    ];
    assert_eq!(values(&out), want);
}
