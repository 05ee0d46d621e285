//! Nested tensors in `nn.TransformerEncoder`'s evaluation fast path: a
//! padded batch packed by its keep-mask (`_nested_tensor_from_mask`), the
//! fused layer on the packed batch, and the unpacking (`to_padded_tensor`).
//! The nested layer must give each sentence what the dense layer gives it
//! with the padding masked out (a key padding mask, `mask_type` 1): the
//! same attention over the sentence's own tokens.

use ft_runtime::{IValue, Runtime, Tensor};

use crate::common::{assert_close, call1, tensor, values};

const N: i64 = 3;
const L: i64 = 4;
const D: i64 = 4;
const HIDDEN: i64 = 6;

fn bool_tensor(rt: &mut Runtime, shape: &[i64], values: &[bool]) -> Tensor {
    let bytes: Vec<u8> = values.iter().map(|&b| u8::from(b)).collect();
    let strides = [shape[1], 1];
    rt.introduce_tensor("bool", shape, &strides, 0, &bytes, false)
        .expect("mask")
}

fn ramp(n: i64, scale: f32) -> Vec<f32> {
    (0..n).map(|i| ((i as f32) * scale).sin() * 0.5).collect()
}

/// Rows kept per batch element: 2, 4 and 1 of L = 4.
const LENGTHS: [usize; 3] = [2, 4, 1];

fn keep_mask() -> Vec<bool> {
    LENGTHS
        .iter()
        .flat_map(|&len| (0..L as usize).map(move |j| j < len))
        .collect()
}

fn pack(rt: &mut Runtime, x: &Tensor, keep: &Tensor, check: bool) -> Result<Tensor, String> {
    rt.call(
        "aten._nested_tensor_from_mask.default",
        vec![x.into(), keep.into(), IValue::Bool(check)],
    )
    .map_err(|e| e.to_string())
    .map(|out| {
        out.into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("tensor")
    })
}

/// The layer's weights, post-norm with ReLU.
fn layer_args(rt: &mut Runtime, src: &Tensor) -> Vec<IValue> {
    let mut t = |shape: &[i64], scale: f32| {
        let n = shape.iter().product();
        IValue::from(&tensor(rt, shape, &ramp(n, scale), false))
    };
    let (qkv_w, qkv_b, proj_w, proj_b) = (
        t(&[3 * D, D], 0.37),
        t(&[3 * D], 0.11),
        t(&[D, D], 0.23),
        t(&[D], 0.07),
    );
    let (n1w, n1b, n2w, n2b) = (t(&[D], 0.5), t(&[D], 0.3), t(&[D], 0.9), t(&[D], 0.2));
    let (f1w, f1b, f2w, f2b) = (
        t(&[HIDDEN, D], 0.41),
        t(&[HIDDEN], 0.13),
        t(&[D, HIDDEN], 0.29),
        t(&[D], 0.17),
    );
    vec![
        src.into(),
        IValue::Int(D),
        IValue::Int(2),
        qkv_w,
        qkv_b,
        proj_w,
        proj_b,
        IValue::Bool(false),
        IValue::Bool(false),
        IValue::Float(1e-5),
        n1w,
        n1b,
        n2w,
        n2b,
        f1w,
        f1b,
        f2w,
        f2b,
    ]
}

#[test]
fn packing_keeps_each_rows_valid_tokens_and_padding_restores_them() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[N, L, D], &ramp(N * L * D, 0.7), false);
    let keep = bool_tensor(&mut rt, &[N, L], &keep_mask());
    let nested = pack(&mut rt, &x, &keep, true).expect("pack");
    assert!(nested.is_nested());
    assert_eq!(nested.shape(), [N, -1, D]);
    assert_eq!(
        nested.nested_sizes().expect("sizes"),
        vec![vec![2, D], vec![4, D], vec![1, D]]
    );
    let all = values(&x);
    let want: Vec<f32> = LENGTHS
        .iter()
        .enumerate()
        .flat_map(|(b, &len)| all[b * (L * D) as usize..][..len * D as usize].to_vec())
        .collect();
    assert_eq!(values(&nested.nested_buffer().expect("buffer")), want);

    let padded = call1(
        &mut rt,
        "aten.to_padded_tensor.default",
        vec![nested.into(), IValue::Float(-1.0), IValue::None],
    );
    // padded to the longest sentence (4), -1 where a sentence has no token
    let keep_all = keep_mask();
    let want: Vec<f32> = all
        .iter()
        .enumerate()
        .map(|(i, &v)| if keep_all[i / D as usize] { v } else { -1.0 })
        .collect();
    assert_eq!(values(&padded), want);
    assert_eq!(padded.stride(), [L * D, D, 1]);
}

#[test]
fn a_mask_with_a_gap_is_refused_only_when_checked() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[1, 3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], false);
    let keep = bool_tensor(&mut rt, &[1, 3], &[true, false, true]);
    let err = pack(&mut rt, &x, &keep, true).expect_err("refused");
    assert!(
        err.contains("Mask must be left-aligned without gaps"),
        "{err}"
    );
    // unchecked, the count of kept tokens (2) takes the first two rows
    let nested = pack(&mut rt, &x, &keep, false).expect("pack");
    assert_eq!(
        values(&nested.nested_buffer().expect("buffer")),
        [1.0, 2.0, 3.0, 4.0]
    );
}

#[test]
fn the_nested_layer_is_the_dense_layer_with_the_padding_masked() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[N, L, D], &ramp(N * L * D, 0.7), false);
    let keep = bool_tensor(&mut rt, &[N, L], &keep_mask());
    let nested = pack(&mut rt, &x, &keep, true).expect("pack");
    let args = layer_args(&mut rt, &nested);
    let out = call1(&mut rt, "aten._transformer_encoder_layer_fwd.default", args);
    assert!(out.is_nested());
    assert_eq!(out.nested_sizes(), nested.nested_sizes());

    let padding: Vec<bool> = keep_mask().iter().map(|k| !k).collect();
    let padding = bool_tensor(&mut rt, &[N, L], &padding);
    let mut dense_args = layer_args(&mut rt, &x);
    dense_args.extend([padding.into(), IValue::Int(1)]);
    let dense = values(&call1(
        &mut rt,
        "aten._transformer_encoder_layer_fwd.default",
        dense_args,
    ));
    let want: Vec<f32> = LENGTHS
        .iter()
        .enumerate()
        .flat_map(|(b, &len)| dense[b * (L * D) as usize..][..len * D as usize].to_vec())
        .collect();
    let got = values(&out.nested_buffer().expect("buffer"));
    assert_close(&got, &want);
    // a sentence attending to its padding would differ
    let mut unmasked_args = layer_args(&mut rt, &x);
    unmasked_args.extend([IValue::None, IValue::None]);
    let unmasked = values(&call1(
        &mut rt,
        "aten._transformer_encoder_layer_fwd.default",
        unmasked_args,
    ));
    assert!(
        got[..2 * D as usize]
            .iter()
            .zip(&unmasked)
            .any(|(a, b)| (a - b).abs() > 1e-3),
        "the first sentence's rows do not depend on its padding"
    );
}

#[test]
fn a_mask_with_a_nested_source_is_refused() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[N, L, D], &ramp(N * L * D, 0.7), false);
    let keep = bool_tensor(&mut rt, &[N, L], &keep_mask());
    let nested = pack(&mut rt, &x, &keep, true).expect("pack");
    let mut args = layer_args(&mut rt, &nested);
    args.extend([keep.into(), IValue::Int(1)]);
    let err = rt
        .call("aten._transformer_encoder_layer_fwd.default", args)
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("NestedTensor with mask is not supported yet"),
        "{err}"
    );
}
