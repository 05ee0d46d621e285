//! Edge cases of the group norm, max unpooling and memory-format kernels
//! through the runtime's public call API (each expectation observed in
//! torch 2.15).

use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::options::MemoryFormat;

use super::tests::{f32s, i64s};

fn tensors(out: Vec<IValue>) -> Vec<Option<Tensor>> {
    out.into_iter().map(IValue::into_tensor).collect()
}

fn values(t: &Option<Tensor>) -> Vec<f64> {
    t.as_ref().expect("a tensor").to_f64_vec().expect("values")
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
}

fn group_norm_args(x: &Tensor, w: &Tensor, b: &Tensor, group: i64) -> Vec<IValue> {
    let s = x.shape();
    vec![
        x.into(),
        w.into(),
        b.into(),
        IValue::Int(s[0]),
        IValue::Int(s[1]),
        IValue::Int(s[2..].iter().product()),
        IValue::Int(group),
        IValue::Float(0.0),
    ]
}

#[test]
fn group_norm_normalises_each_sample_group_and_returns_n_by_group_stats() {
    let mut rt = Runtime::new();
    // One sample, two channels of two elements, one group:
    // mean = 4, var = (9 + 1 + 1 + 9) / 4 = 5, x̂ = (x - 4) / √5.
    let x = f32s(&mut rt, &[1, 2, 2], &[1.0, 3.0, 5.0, 7.0]);
    let w = f32s(&mut rt, &[2], &[1.0, 2.0]);
    let b = f32s(&mut rt, &[2], &[0.0, 1.0]);
    let out = tensors(
        rt.call(
            "aten.native_group_norm.default",
            group_norm_args(&x, &w, &b, 1),
        )
        .expect("group norm"),
    );
    let r5 = 5f64.sqrt();
    let expected = [-3.0 / r5, -1.0 / r5, 2.0 / r5 + 1.0, 6.0 / r5 + 1.0];
    assert!(close(&values(&out[0]), &expected), "{:?}", values(&out[0]));
    assert_eq!(
        out[1].as_ref().map(|t| t.shape().to_vec()),
        Some(vec![1, 1])
    );
    assert!(close(&values(&out[1]), &[4.0]));
    assert!(close(&values(&out[2]), &[1.0 / r5]));

    // A gradient of ones through an unscaled group norm vanishes (the
    // normalised values sum to a constant); grad_bias = Σ g per channel,
    // grad_weight = Σ g x̂ per channel.
    let ones = f32s(&mut rt, &[1, 2, 2], &[1.0; 4]);
    let unit = f32s(&mut rt, &[2], &[1.0, 1.0]);
    let grads = tensors(
        rt.call(
            "aten.native_group_norm_backward.default",
            vec![
                (&ones).into(),
                (&x).into(),
                out[1].as_ref().expect("mean").into(),
                out[2].as_ref().expect("rstd").into(),
                (&unit).into(),
                IValue::Int(1),
                IValue::Int(2),
                IValue::Int(2),
                IValue::Int(1),
                IValue::BoolList(vec![true, true, true]),
            ],
        )
        .expect("group norm backward"),
    );
    assert!(
        close(&values(&grads[0]), &[0.0; 4]),
        "{:?}",
        values(&grads[0])
    );
    assert!(close(&values(&grads[1]), &[-4.0 / r5, 4.0 / r5]));
    assert!(close(&values(&grads[2]), &[2.0, 2.0]));
}

#[test]
fn group_norm_refuses_channels_not_divisible_by_groups() {
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[1, 2, 2], &[1.0, 3.0, 5.0, 7.0]);
    let w = f32s(&mut rt, &[2], &[1.0, 2.0]);
    let err = rt
        .call(
            "aten.native_group_norm.default",
            group_norm_args(&x, &w, &w, 3),
        )
        .expect_err("an error")
        .to_string();
    assert!(
        err.contains("Expected number of channels in input to be divisible by num_groups"),
        "{err}"
    );
}

#[test]
fn max_unpool_scatters_at_the_indices_and_checks_them() {
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[1, 1, 2], &[5.0, 7.0]);
    let idx = i64s(&mut rt, &[1, 1, 2], &[3, 0]);
    let out = tensors(
        rt.call(
            "aten.max_unpool2d.default",
            vec![(&x).into(), (&idx).into(), IValue::IntList(vec![2, 2])],
        )
        .expect("unpool"),
    );
    assert_eq!(values(&out[0]), [7.0, 0.0, 0.0, 5.0]);
    let bad = i64s(&mut rt, &[1, 1, 2], &[4, 0]);
    let err = rt
        .call(
            "aten.max_unpool2d.default",
            vec![(&x).into(), (&bad).into(), IValue::IntList(vec![2, 2])],
        )
        .expect_err("an error")
        .to_string();
    assert!(
        err.contains("Found an invalid max index: 4 (output volumes are of size 2x2)"),
        "{err}"
    );
    let longs = i64s(&mut rt, &[1, 1, 2], &[1, 2]);
    let err = rt
        .call(
            "aten.max_unpool2d.default",
            vec![(&longs).into(), (&idx).into(), IValue::IntList(vec![2, 2])],
        )
        .expect_err("an error")
        .to_string();
    assert!(err.contains("Long"), "{err}");
}

#[test]
fn channels_last_clone_needs_a_4d_tensor_and_gives_nhwc_strides() {
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[1, 2, 1, 2], &[1.0, 2.0, 3.0, 4.0]);
    let y = tensors(
        rt.call(
            "aten.clone.default",
            vec![
                (&x).into(),
                IValue::MemoryFormat(MemoryFormat::ChannelsLast),
            ],
        )
        .expect("clone"),
    );
    let y = y[0].as_ref().expect("a tensor");
    assert_eq!(y.stride(), [4, 1, 4, 2]);
    assert_eq!(y.to_f64_vec().expect("values"), [1.0, 2.0, 3.0, 4.0]);
    let flat = f32s(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let err = rt
        .call(
            "aten.clone.default",
            vec![
                (&flat).into(),
                IValue::MemoryFormat(MemoryFormat::ChannelsLast),
            ],
        )
        .expect_err("an error")
        .to_string();
    assert!(
        err.contains("required rank 4 tensor to use channels_last format"),
        "{err}"
    );
}

#[test]
fn channels_last_strides_are_plain_products_of_the_sizes() {
    use crate::tensor::strides::channels_last_strides;
    assert_eq!(
        channels_last_strides(&[2, 3, 1, 4]),
        Some(vec![12, 1, 12, 3])
    );
    // A size-0 channel dim zeroes the outer strides (torch.empty(2, 0, 3, 4,
    // memory_format=torch.channels_last).stride() == (0, 1, 0, 0)).
    assert_eq!(channels_last_strides(&[2, 0, 3, 4]), Some(vec![0, 1, 0, 0]));
    assert_eq!(
        channels_last_strides(&[1, 2, 3, 4, 5]),
        Some(vec![120, 1, 40, 10, 2])
    );
    assert_eq!(channels_last_strides(&[2, 3, 4]), None);
}

#[test]
fn relu_and_leaky_relu_backward_take_the_layout_of_self() {
    // TensorIterator's operand order is (self, grad_output) for these two:
    // a contiguous gradient and a channels-last `self` give a
    // channels-last result (elu_backward, gelu_backward, ... keep grad's).
    let mut rt = Runtime::new();
    let g = f32s(&mut rt, &[1, 2, 1, 2], &[1.0, 2.0, 3.0, 4.0]);
    let x = f32s(&mut rt, &[1, 2, 1, 2], &[-1.0, 1.0, 1.0, -1.0]);
    let x_cl = tensors(
        rt.call(
            "aten.clone.default",
            vec![
                (&x).into(),
                IValue::MemoryFormat(MemoryFormat::ChannelsLast),
            ],
        )
        .expect("clone"),
    )
    .remove(0)
    .expect("a tensor");
    for (op, extra, expected) in [
        (
            "aten.threshold_backward.default",
            vec![IValue::Float(0.0)],
            [0.0, 2.0, 3.0, 0.0],
        ),
        (
            "aten.leaky_relu_backward.default",
            vec![IValue::Float(0.5), IValue::Bool(false)],
            [0.5, 2.0, 3.0, 2.0],
        ),
    ] {
        let mut args = vec![(&g).into(), (&x_cl).into()];
        args.extend(extra);
        let out = tensors(rt.call(op, args).expect(op)).remove(0);
        let out = out.expect("a tensor");
        assert_eq!(out.stride(), [4, 1, 4, 2], "{op}");
        assert_eq!(out.to_f64_vec().expect("values"), expected, "{op}");
    }
}

/// `aten.convolution` of `x` by a depthwise 3×3 kernel (padding 1).
fn depthwise(rt: &mut Runtime, x: &Tensor, channels: usize) -> Tensor {
    let w = f32s(rt, &[channels as i64, 1, 3, 3], &vec![0.5; channels * 9]);
    let pair = |v| IValue::IntList(vec![v, v]);
    let args = vec![
        x.into(),
        (&w).into(),
        IValue::None,
        pair(1),
        pair(1),
        pair(1),
        IValue::Bool(false),
        pair(0),
        IValue::Int(channels as i64),
    ];
    tensors(
        rt.call("aten.convolution.default", args)
            .expect("convolution"),
    )
    .remove(0)
    .expect("a tensor")
}

#[test]
fn a_one_pixel_map_with_nhwc_strides_convolves_channels_last() {
    // A ConvNeXt block's permuted-back (N, C, 1, 1) output has strides
    // (C, 1, C, C): contiguous, and channels-last by PyTorch's strides
    // walk, so its depthwise convolution's result is channels-last too
    // (torch 2.15: stride (3, 1, 3, 3)); a plain contiguous map's is not.
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[2, 3, 1, 1], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let x_cl = tensors(
        rt.call(
            "aten.clone.default",
            vec![
                (&x).into(),
                IValue::MemoryFormat(MemoryFormat::ChannelsLast),
            ],
        )
        .expect("clone"),
    )
    .remove(0)
    .expect("a tensor");
    assert_eq!(x_cl.stride(), [3, 1, 3, 3]);
    let y = depthwise(&mut rt, &x_cl, 3);
    assert_eq!(y.stride(), [3, 1, 3, 3]);
    assert_eq!(values(&Some(y)), [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
    assert_eq!(depthwise(&mut rt, &x, 3).stride(), [3, 1, 1, 1]);
}

#[test]
fn a_too_small_pooling_input_is_named_by_its_channels() {
    // PyTorch names the planes of one sample: "(4x3x3)" for a [2, 4, 3, 3]
    // input, not the 8 planes of the batch.
    let mut rt = Runtime::new();
    let x = f32s(&mut rt, &[2, 4, 3, 3], &[0.0; 72]);
    let err = rt
        .call(
            "aten.avg_pool2d.default",
            vec![(&x).into(), IValue::IntList(vec![5, 5])],
        )
        .expect_err("an error")
        .to_string();
    assert!(
        err.contains("Given input size: (4x3x3). Calculated output size: (4x0x0)."),
        "{err}"
    );
}
