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

/// A NaN element makes its own group's mean and rstd NaN (torch 2.15
/// keeps NaN through the variance's clamp at zero, so rstd is not
/// `1/sqrt(eps)`); the other group of the sample stays finite.
#[test]
fn group_norm_keeps_a_nan_in_its_own_group() {
    let mut rt = Runtime::new();
    let x = f32s(
        &mut rt,
        &[1, 4, 2],
        &[1.0, f32::NAN, 3.0, 4.0, 1.0, 2.0, 3.0, 5.0],
    );
    let w = f32s(&mut rt, &[4], &[1.0; 4]);
    let b = f32s(&mut rt, &[4], &[0.0; 4]);
    let out = tensors(
        rt.call(
            "aten.native_group_norm.default",
            group_norm_args(&x, &w, &b, 2),
        )
        .expect("group norm"),
    );
    let (y, mean, rstd) = (values(&out[0]), values(&out[1]), values(&out[2]));
    assert!(y[..4].iter().all(|v| v.is_nan()), "{y:?}");
    let finite = [
        -1.183_215_856_552_124,
        -0.507_092_475_891_113_3,
        0.169_030_904_769_897_46,
        1.521_277_666_091_919,
    ];
    assert!(close(&y[4..], &finite), "{y:?}");
    assert!(mean[0].is_nan() && rstd[0].is_nan(), "{mean:?} {rstd:?}");
    assert_eq!(mean[1], 2.75);
    assert!(close(&rstd[1..], &[0.676_123_380_661_010_7]), "{rstd:?}");
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

/// `native_batch_norm` in training of a float32 `x` (no running
/// statistics): `(out, save_mean, save_invstd)` as values.
fn batch_norm_train(rt: &mut Runtime, x: &Tensor, w: &[f32], b: &[f32]) -> Vec<Vec<f64>> {
    let c = w.len() as i64;
    let w = f32s(rt, &[c], w);
    let b = f32s(rt, &[c], b);
    let args = vec![
        x.into(),
        (&w).into(),
        (&b).into(),
        IValue::None,
        IValue::None,
        IValue::Bool(true),
        IValue::Float(0.1),
        IValue::Float(1e-5),
    ];
    let out = rt
        .call("aten.native_batch_norm.default", args)
        .expect("batch norm");
    tensors(out).iter().map(values).collect()
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

#[test]
fn batch_norm_output_and_statistics_are_pytorchs_float_arithmetic() {
    // torch 2.15's values, bit for bit: x·(s·w) + (b − m·s·w) fused, the
    // variance from float squares about the float mean.
    let mut rt = Runtime::new();
    let xs: [f32; 24] = [
        -0.521_595_1,
        2.556_543_6,
        -0.206_303_18,
        0.745_982_65,
        0.136_891_07,
        -2.494_456_3,
        0.784_209_1,
        -0.548_564_9,
        0.648_878_34,
        0.131_408_9,
        2.092_073_4,
        2.418_468_5,
        2.056_549_5,
        1.465_110_8,
        -3.158_213,
        -0.602_899_3,
        4.322_547,
        1.095_808_1,
        -0.908_245_9,
        1.496_600_6,
        0.402_374_45,
        3.150_303_6,
        2.348_011_5,
        0.951_054_9,
    ];
    let x = f32s(&mut rt, &[2, 3, 2, 2], &xs);
    let out = batch_norm_train(
        &mut rt,
        &x,
        &[-1.447_020_8, 1.194_069_5, 0.546_240_9],
        &[-2.075_015_3, -0.969_113_2, -2.135_431_5],
    );
    let y: [f32; 24] = [
        -1.387_311_2,
        -3.989_485_5,
        -1.653_850_4,
        -2.458_886_9,
        -1.190_806_9,
        -2.863_708,
        -0.779_269_1,
        -1.626_591_3,
        -2.589_601,
        -2.860_066,
        -1.835_288_2,
        -1.664_691_8,
        -3.566_804_4,
        -3.066_818_2,
        0.841_613_4,
        -1.318_579,
        1.470_258_7,
        -0.581_167_4,
        -1.855_261_4,
        -0.326_360_23,
        -2.718_440_8,
        -1.282_184_6,
        -1.701_517_5,
        -2.431_662_8,
    ];
    assert_eq!(out[0], f64s(&y));
    assert_eq!(out[1], f64s(&[0.291_897, 0.485_598_6, 1.517_821_7]));
    assert_eq!(out[2], f64s(&[0.584_216, 0.532_429_93, 0.956_846_24]));
}

#[test]
fn batch_norm_of_near_maximal_equal_values_overflows_as_pytorchs() {
    // A channel of equal values 3.25e38 (mean 3.25e38, invstd 1/√eps):
    // x·α overflows and PyTorch's output is inf, not the bias.
    let mut rt = Runtime::new();
    let mut xs = [3.25e38_f32; 16];
    for (n, v) in [[0.5, 0.25, 0.75, 1.0], [0.5, 0.25, 0.75, 1.0]]
        .iter()
        .enumerate()
    {
        xs[n * 8 + 4..n * 8 + 8].copy_from_slice(v);
    }
    let x = f32s(&mut rt, &[2, 2, 2, 2], &xs);
    let out = batch_norm_train(&mut rt, &x, &[-1.5, 2.0], &[5.0, -0.25]);
    let row = [-1.144_370_1, -2.933_11, 0.644_369_84, 2.433_109_8];
    for n in 0..2 {
        assert!(
            out[0][n * 8..n * 8 + 4].iter().all(|&v| v == f64::INFINITY),
            "{out:?}"
        );
        assert_eq!(out[0][n * 8 + 4..n * 8 + 8], f64s(&row));
    }
    assert_eq!(out[2], f64s(&[316.227_75, 3.577_479_8]));
}

/// A float32 view of `shape` at `strides` over a fresh buffer of ramp values.
fn strided(rt: &mut Runtime, shape: &[i64], strides: &[i64]) -> Tensor {
    let span: i64 = shape
        .iter()
        .zip(strides)
        .map(|(n, s)| (n - 1) * s)
        .sum::<i64>()
        + 1;
    let ramp: Vec<f32> = (0..span).map(|i| (i % 7) as f32 - 3.0).collect();
    let base = f32s(rt, &[span], &ramp);
    let args = vec![
        (&base).into(),
        IValue::IntList(shape.to_vec()),
        IValue::IntList(strides.to_vec()),
        IValue::Int(0),
    ];
    tensors(
        rt.call("aten.as_strided.default", args)
            .expect("as_strided"),
    )
    .remove(0)
    .expect("a tensor")
}

/// Strides of `native_batch_norm`'s output and of
/// `native_batch_norm_backward`'s `grad_input` (training) for an input and
/// a `grad_out` laid out as given.
fn batch_norm_layouts(
    rt: &mut Runtime,
    shape: &[i64],
    x: &[i64],
    g: &[i64],
) -> (Vec<i64>, Vec<i64>) {
    let c = shape[1];
    let x = strided(rt, shape, x);
    let g = strided(rt, shape, g);
    let w = f32s(rt, &[c], &vec![1.5; c as usize]);
    let b = f32s(rt, &[c], &vec![0.5; c as usize]);
    let fwd = tensors(
        rt.call(
            "aten.native_batch_norm.default",
            vec![
                (&x).into(),
                (&w).into(),
                (&b).into(),
                IValue::None,
                IValue::None,
                IValue::Bool(true),
                IValue::Float(0.1),
                IValue::Float(1e-5),
            ],
        )
        .expect("batch norm"),
    );
    let out = fwd[0].clone().expect("output");
    let args = vec![
        (&g).into(),
        (&x).into(),
        (&w).into(),
        IValue::None,
        IValue::None,
        fwd[1].as_ref().expect("mean").into(),
        fwd[2].as_ref().expect("invstd").into(),
        IValue::Bool(true),
        IValue::Float(1e-5),
        IValue::BoolList(vec![true, true, true]),
    ];
    let grads = tensors(
        rt.call("aten.native_batch_norm_backward.default", args)
            .expect("batch norm backward"),
    );
    let gi = grads[0].clone().expect("grad_input");
    (out.stride().to_vec(), gi.stride().to_vec())
}

#[test]
fn batch_norm_layouts_follow_pytorchs_memory_format_choice() {
    // Each row observed in torch 2.15: shape, input strides, grad_out
    // strides, then the output's and grad_input's strides.
    let mut rt = Runtime::new();
    type Row = (
        &'static [i64],
        &'static [i64],
        &'static [i64],
        &'static [i64],
        &'static [i64],
    );
    #[rustfmt::skip]
    let rows: &[Row] = &[
        // ResNet's last stage trained channels-last: a 1x1 map with NHWC
        // strides is contiguous too. With a contiguous grad_out the two
        // suggest different formats and grad_input follows the input's
        // suggestion (NHWC); with the same strides it is allocated
        // contiguous first.
        (&[2, 4, 1, 1], &[4, 1, 4, 4], &[4, 1, 1, 1], &[4, 1, 1, 1], &[4, 1, 4, 4]),
        (&[2, 4, 1, 1], &[4, 1, 4, 4], &[4, 1, 4, 4], &[4, 1, 1, 1], &[4, 1, 1, 1]),
        (&[2, 4, 1, 1], &[4, 1, 1, 1], &[4, 1, 1, 1], &[4, 1, 1, 1], &[4, 1, 1, 1]),
        // channels-last maps, either grad_out
        (&[2, 4, 2, 2], &[16, 1, 8, 4], &[16, 4, 2, 1], &[16, 1, 8, 4], &[16, 1, 8, 4]),
        (&[2, 4, 2, 2], &[16, 1, 8, 4], &[16, 1, 8, 4], &[16, 1, 8, 4], &[16, 1, 8, 4]),
        // one channel: NHWC strides are contiguous
        (&[2, 1, 2, 2], &[4, 1, 2, 1], &[4, 1, 2, 1], &[4, 4, 2, 1], &[4, 4, 2, 1]),
        (&[2, 1, 2, 2], &[4, 1, 2, 1], &[4, 4, 2, 1], &[4, 4, 2, 1], &[4, 1, 2, 1]),
        // not dense: a channels-last map sliced (every other column, the
        // top-left pixel) stays channels-last; a sliced NCHW one does not
        (&[2, 4, 4, 2], &[64, 1, 16, 8], &[32, 8, 2, 1], &[32, 1, 8, 4], &[32, 1, 8, 4]),
        (&[2, 4, 1, 1], &[64, 1, 16, 4], &[4, 1, 1, 1], &[4, 1, 4, 4], &[4, 1, 4, 4]),
        (&[2, 4, 1, 1], &[64, 16, 4, 1], &[4, 1, 1, 1], &[4, 1, 1, 1], &[4, 1, 1, 1]),
        // 3-d: always contiguous; 5-d: NDHWC like 4-d
        (&[2, 4, 5], &[20, 1, 4], &[20, 1, 4], &[20, 5, 1], &[20, 5, 1]),
        (&[2, 4, 2, 2, 2], &[32, 1, 16, 8, 4], &[32, 8, 4, 2, 1], &[32, 1, 16, 8, 4], &[32, 1, 16, 8, 4]),
        (&[2, 4, 1, 1, 1], &[4, 1, 4, 4, 4], &[4, 1, 1, 1, 1], &[4, 1, 1, 1, 1], &[4, 1, 4, 4, 4]),
    ];
    for &(shape, x, g, out, gi) in rows {
        let got = batch_norm_layouts(&mut rt, shape, x, g);
        assert_eq!(
            got,
            (out.to_vec(), gi.to_vec()),
            "{shape:?} x {x:?} grad_out {g:?}"
        );
    }
}

/// The weight gradient of a pointwise convolution of an NHWC-strided
/// `(n, 4, 3, 3)` input with a contiguous `(2, 4, 1, 1)` weight.
fn pointwise_weight_grad(rt: &mut Runtime, dtype: &str, n: i64) -> Tensor {
    let width = if dtype == "float64" { 8 } else { 4 };
    let len = usize::try_from(n * 36).expect("size");
    let bytes = |count: usize| vec![0u8; count * width];
    let x = rt
        .introduce_tensor(dtype, &[n, 4, 3, 3], &[36, 1, 12, 4], 0, &bytes(len), false)
        .expect("input");
    let w = rt
        .introduce_tensor(dtype, &[2, 4, 1, 1], &[4, 1, 1, 1], 0, &bytes(8), false)
        .expect("weight");
    let dy_len = usize::try_from(n * 18).expect("size");
    let dy = rt
        .introduce_tensor(
            dtype,
            &[n, 2, 3, 3],
            &[18, 1, 6, 2],
            0,
            &bytes(dy_len),
            false,
        )
        .expect("grad_output");
    let pair = |v: i64| IValue::IntList(vec![v, v]);
    let args = vec![
        (&dy).into(),
        (&x).into(),
        (&w).into(),
        IValue::IntList(vec![2]),
        pair(1),
        pair(0),
        pair(1),
        IValue::Bool(false),
        pair(0),
        IValue::Int(1),
        IValue::BoolList(vec![false, true, false]),
    ];
    tensors(
        rt.call("aten.convolution_backward.default", args)
            .expect("convolution_backward"),
    )
    .remove(1)
    .expect("a weight gradient")
}

#[test]
fn a_pointwise_weight_grad_keeps_the_weight_layout_on_the_slow_loops() {
    // torch 2.15: behind a channels-last input, float64 (always `Slow2d`)
    // and a float32 batch of one (`use_mkldnn` declines) return the
    // contiguous (2, 4, 1, 1) weight's gradient at (4, 1, 1, 1); a float32
    // batch of sixteen runs on oneDNN on any thread count and returns
    // channels-last (4, 1, 4, 4).
    let mut rt = Runtime::new();
    assert_eq!(
        pointwise_weight_grad(&mut rt, "float64", 2).stride(),
        [4, 1, 1, 1]
    );
    assert_eq!(
        pointwise_weight_grad(&mut rt, "float32", 1).stride(),
        [4, 1, 1, 1]
    );
    assert_eq!(
        pointwise_weight_grad(&mut rt, "float32", 16).stride(),
        [4, 1, 4, 4]
    );
}

#[test]
fn a_bfloat16_bicubic_downscale_applies_bfloat16_weights() {
    // torch 2.15: a (1, 1, 4, 1) bfloat16 column resized to height 3
    // (fractions 1/6, 1/2, 5/6 of a 4/3 step) gives [0.71484375,
    // 0.138671875, -0.51171875]: the cubic weights are stored as bfloat16
    // before they are applied; float weights round the last to -0.515625.
    let mut rt = Runtime::new();
    let column = [0.8046875f64, 0.1748046875, 0.0888671875, -0.61328125];
    let bytes: Vec<u8> = column
        .iter()
        .flat_map(|v| half::bf16::from_f64(*v).to_le_bytes())
        .collect();
    let x = rt
        .introduce_tensor("bfloat16", &[1, 1, 4, 1], &[4, 1, 1, 1], 0, &bytes, false)
        .expect("input");
    let y = tensors(
        rt.call(
            "aten.upsample_bicubic2d.default",
            vec![
                (&x).into(),
                IValue::IntList(vec![3, 1]),
                IValue::Bool(false),
            ],
        )
        .expect("upsample_bicubic2d"),
    )
    .remove(0);
    assert_eq!(values(&y), [0.71484375, 0.138671875, -0.51171875]);
}

/// The crop `x[:, :, 1:5, 1:5]` of `arange(72).reshape(1, 2, 6, 6)` in
/// channels-last: strides `(72, 1, 12, 2)`, not dense, still NHWC-ordered.
fn channels_last_crop(rt: &mut Runtime) -> Tensor {
    let values: Vec<f32> = (0..72).map(|v| v as f32).collect();
    let mut t = rt
        .introduce_tensor_f32(&[1, 2, 6, 6], &[72, 1, 12, 2], 0, &values, false)
        .expect("tensor");
    for dim in [2, 3] {
        let args = vec![
            (&t).into(),
            IValue::Int(dim),
            IValue::Int(1),
            IValue::Int(5),
            IValue::Int(1),
        ];
        t = tensors(rt.call("aten.slice.Tensor", args).expect("slice"))
            .remove(0)
            .expect("a view");
    }
    assert_eq!(t.stride(), [72, 1, 12, 2]);
    t
}

#[test]
fn pooling_a_channels_last_crop_returns_nhwc_results() {
    // torch 2.15: F.max_pool2d(crop, 2, return_indices=True) and
    // F.avg_pool2d(crop, 2) both have strides (8, 1, 4, 2).
    let mut rt = Runtime::new();
    let crop = channels_last_crop(&mut rt);
    let pair = |v| IValue::IntList(vec![v, v]);
    let out = tensors(
        rt.call(
            "aten.max_pool2d_with_indices.default",
            vec![
                (&crop).into(),
                pair(2),
                pair(2),
                pair(0),
                pair(1),
                IValue::Bool(false),
            ],
        )
        .expect("max pool"),
    );
    let (v, i) = (
        out[0].as_ref().expect("values"),
        out[1].as_ref().expect("indices"),
    );
    assert_eq!(v.stride(), [8, 1, 4, 2]);
    assert_eq!(i.stride(), [8, 1, 4, 2]);
    assert_eq!(
        v.to_f64_vec().expect("values"),
        [14.0, 16.0, 26.0, 28.0, 50.0, 52.0, 62.0, 64.0]
    );
    assert_eq!(
        i.to_f64_vec().expect("indices"),
        [5.0, 7.0, 13.0, 15.0, 5.0, 7.0, 13.0, 15.0]
    );
    let avg = tensors(
        rt.call(
            "aten.avg_pool2d.default",
            vec![(&crop).into(), pair(2), pair(2), pair(0)],
        )
        .expect("avg pool"),
    );
    let avg = avg[0].as_ref().expect("a tensor");
    assert_eq!(avg.stride(), [8, 1, 4, 2]);
    assert_eq!(
        avg.to_f64_vec().expect("values"),
        [10.5, 12.5, 22.5, 24.5, 46.5, 48.5, 58.5, 60.5]
    );
}

#[test]
fn max_pool3d_keeps_ndhwc_and_avg_pool3d_refuses_bfloat16() {
    let mut rt = Runtime::new();
    // arange(16).reshape(1, 2, 2, 2, 2) in channels_last_3d.
    let values: Vec<f32> = (0..16).map(|i| i as f32).collect();
    let x = rt
        .introduce_tensor_f32(&[1, 2, 2, 2, 2], &[16, 1, 8, 4, 2], 0, &values, false)
        .expect("tensor");
    let triple = |v| IValue::IntList(vec![v, v, v]);
    let out = tensors(
        rt.call(
            "aten.max_pool3d_with_indices.default",
            vec![
                (&x).into(),
                triple(2),
                triple(2),
                triple(0),
                triple(1),
                IValue::Bool(false),
            ],
        )
        .expect("max pool"),
    );
    // torch 2.15: values (7, 15) at flat indices (7, 7), strides (2, 1, 2, 2, 2).
    let (v, i) = (
        out[0].as_ref().expect("values"),
        out[1].as_ref().expect("indices"),
    );
    assert_eq!(v.stride(), [2, 1, 2, 2, 2]);
    assert_eq!(v.to_f64_vec().expect("values"), [7.0, 15.0]);
    assert_eq!(i.to_f64_vec().expect("indices"), [7.0, 7.0]);
    // 1.0 in bfloat16 is 0x3f80.
    let bytes: Vec<u8> = std::iter::repeat_n([0x80, 0x3f], 8).flatten().collect();
    let half = rt
        .introduce_tensor(
            "bfloat16",
            &[1, 1, 2, 2, 2],
            &[8, 8, 4, 2, 1],
            0,
            &bytes,
            false,
        )
        .expect("tensor");
    let err = rt
        .call("aten.avg_pool3d.default", vec![(&half).into(), triple(2)])
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("\"avg_pool3d_out_frame\" not implemented for 'BFloat16'"),
        "{err}"
    );
}

#[test]
fn flip_and_roll_keep_a_one_channel_nhwc_image_layout() {
    // torch 2.15, x = arange(6.).reshape(1, 1, 2, 3).to(memory_format=
    // torch.channels_last) (strides (6, 1, 3, 1)): x.flip(-1) and
    // x.roll(1, -1) keep them; x.roll(1, 1) rolls the one channel by its
    // whole size (an empty narrowed piece) and comes back contiguous.
    let mut rt = Runtime::new();
    let values: Vec<f32> = (0..6).map(|v| v as f32).collect();
    let x = rt
        .introduce_tensor_f32(&[1, 1, 2, 3], &[6, 1, 3, 1], 0, &values, false)
        .expect("tensor");
    let call = |rt: &mut Runtime, op: &str, args: Vec<IValue>| {
        tensors(rt.call(op, args).expect(op))
            .remove(0)
            .expect("a tensor")
    };
    let ints = |v: &[i64]| IValue::IntList(v.to_vec());
    let flipped = call(&mut rt, "aten.flip.default", vec![(&x).into(), ints(&[-1])]);
    assert_eq!(flipped.stride(), [6, 1, 3, 1]);
    assert_eq!(
        flipped.to_f64_vec().expect("values"),
        [2.0, 1.0, 0.0, 5.0, 4.0, 3.0]
    );
    let rolled = call(
        &mut rt,
        "aten.roll.default",
        vec![(&x).into(), ints(&[1]), ints(&[-1])],
    );
    assert_eq!(rolled.stride(), [6, 1, 3, 1]);
    assert_eq!(
        rolled.to_f64_vec().expect("values"),
        [2.0, 0.0, 1.0, 5.0, 3.0, 4.0]
    );
    let channel = call(
        &mut rt,
        "aten.roll.default",
        vec![(&x).into(), ints(&[1]), ints(&[1])],
    );
    assert_eq!(channel.stride(), [6, 6, 3, 1]);
}

#[test]
fn bfloat16_adaptive_avg_pool3d_sums_and_divides_in_bfloat16() {
    // torch 2.15: adaptive_avg_pool3d of [1, 2^-8, 2^-8, 2^-8, 2^-8, 1]
    // (bfloat16, shape (1, 1, 1, 1, 6)) to (1, 1, 2) is
    // [0.333984375, 0.3359375]: 1 + 2^-8 rounds back to 1 in bfloat16, so
    // the first window's sum is 1 (then 1 / 3), while the second adds the
    // small values first (2^-7 + 2^-8 + 1 = 1.0078125, then / 3).
    let mut rt = Runtime::new();
    let (one, small) = ([0x80u8, 0x3f], [0x80u8, 0x3b]);
    let bytes: Vec<u8> = [one, small, small, small, small, one].concat();
    let x = rt
        .introduce_tensor(
            "bfloat16",
            &[1, 1, 1, 1, 6],
            &[6, 6, 6, 6, 1],
            0,
            &bytes,
            false,
        )
        .expect("tensor");
    let out = tensors(
        rt.call(
            "aten._adaptive_avg_pool3d.default",
            vec![(&x).into(), IValue::IntList(vec![1, 1, 2])],
        )
        .expect("pool"),
    );
    assert_eq!(values(&out[0]), [0.333984375, 0.3359375]);
}
