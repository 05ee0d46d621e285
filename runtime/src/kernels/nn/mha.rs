//! The inference fast paths of `nn.MultiheadAttention` and
//! `nn.TransformerEncoderLayer`: `_native_multi_head_attention` and
//! `_transformer_encoder_layer_fwd`, each one CPU kernel (a dispatch mode
//! sees one call, never the projections, softmax or norms inside).
//!
//! `_native_multi_head_attention(query, key, value, embed_dim, num_head,
//! qkv_weight, qkv_bias, proj_weight, proj_bias, mask, need_weights,
//! average_attn_weights, mask_type)` for `(B, T, D)` inputs, `h` heads of
//! size `dh = D / h`:
//! `q, k, v = chunk(x Wqkvᵀ, 3)` (each input through its third of the
//! weight) `+ bias`; `q /= √dh`; `P = masked_softmax(q kᵀ)` per head;
//! `out = (P v)` with heads merged back to `(B, T, D)`, then `out Woᵀ + bo`.
//! The second result is `P` `(B, h, T, T)`, its mean over heads `(B, T, T)`
//! when `average_attn_weights`, or undefined without `need_weights`.
//!
//! Observed in torch 2.15 (CPU): the mask is read as a bool mask whatever
//! its dtype — a float mask is converted with `to(bool)`, so every nonzero
//! element (`-inf` from `nn.MultiheadAttention`'s canonical mask, but also
//! `0.5`) masks its position out. `mask_type` 0 is a `(T, T)` attention
//! mask, 1 a `(B, T)` key padding mask, 2 a mask of the scores' shape
//! `(B, h, T, T)` (what `nn.MultiheadAttention.merge_masks` passes for any
//! `attn_mask`); a mask without a type is refused as PyTorch refuses it. A
//! row whose every key is masked comes out NaN (the masked softmax divides
//! 0 by a zero sum), and so does that row of the output. Both results are
//! contiguous.
//!
//! `_transformer_encoder_layer_fwd` runs the layer around that attention:
//! post-norm `x = LN1(src + MHA(src)); x = LN2(x + FFN(x))`, pre-norm
//! (`norm_first`) `x = src + MHA(LN1(src)); x = x + FFN(LN2(x))`, with
//! `FFN(x) = act(x W1ᵀ + b1) W2ᵀ + b2`, `act` exact GELU when `use_gelu`
//! and ReLU otherwise.
//!
//! Values are computed in f64 and rounded to the inputs' dtype wherever
//! ATen stores an intermediate in a tensor (each projection, the scores,
//! the softmax, each residual sum and norm): for bfloat16 and float16
//! layers that is what makes the result PyTorch's.
//!
//! `_nested_tensor_from_mask_left_aligned(t, mask)` is the question
//! `nn.TransformerEncoder` asks in `eval()` under `no_grad` before it packs
//! a padded batch into a nested tensor: is every row of the boolean
//! `(N, L)` keep-mask a run of `True` followed only by `False`? PyTorch
//! answers it by comparing each row's count of `True` with the position of
//! its first `False` (the row's length when it has none); a left-padded
//! row, or one with a gap, answers no, and the encoder then runs each
//! layer's fused kernel on the padded batch with the mask.

use super::common::{is_reduced_float, round_to, zero_clamp};
use super::gemm::{Mat, gemm_acc};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a transformer fast-path operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._native_multi_head_attention.default" => native_multi_head_attention,
        "aten._transformer_encoder_layer_fwd.default" => transformer_encoder_layer_fwd,
        "aten._nested_tensor_from_mask_left_aligned.default" => nested_mask_left_aligned,
        _ => return None,
    })
}

/// Sizes of one call: batch, sequence length, embedding, heads.
#[derive(Clone, Copy, Debug)]
struct Dims {
    b: usize,
    t: usize,
    d: usize,
    h: usize,
}

impl Dims {
    fn dh(&self) -> usize {
        self.d / self.h.max(1)
    }
}

/// The attention parameters, in logical order.
struct Weights {
    qkv_w: Vec<f64>,
    qkv_b: Vec<f64>,
    proj_w: Vec<f64>,
    proj_b: Vec<f64>,
}

/// Whether position `(b, head, i, j)` is masked out, laid out `(B, h, T, T)`.
type Mask = Vec<bool>;

fn usize_of(x: i64) -> usize {
    usize::try_from(x).unwrap_or(0)
}

fn check_shape(op: &str, ok: bool, message: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::shape(op, message()))
    }
}

/// Checks the arguments as `native_multi_head_attention_cpu` does.
fn mha_dims(
    op: &str,
    qkv: [&Tensor; 3],
    embed_dim: i64,
    num_head: i64,
    weights: [&Tensor; 4],
) -> Result<Dims> {
    let [q, k, v] = qkv;
    let [qkv_w, qkv_b, proj_w, proj_b] = weights;
    let qs = q.shape();
    check_shape(op, qs.len() == 3, || {
        format!("expected 3-D `query`, got {}-D tensor", qs.len())
    })?;
    check_shape(op, qs[2] == embed_dim, || {
        format!(
            "passed-in embed_dim {embed_dim} didn't match last dim of query {}",
            qs[2]
        )
    })?;
    check_shape(op, k.shape().len() == 3, || {
        format!("expected 3-D `key`, got {}-D tensor", k.shape().len())
    })?;
    check_shape(op, v.shape().len() == 3, || {
        format!("expected 3-D `value`, got {}-D tensor", v.shape().len())
    })?;
    check_shape(op, qs == k.shape() && k.shape() == v.shape(), || {
        "expected `query`/`key`/`value` shapes to match".to_owned()
    })?;
    check_shape(op, qkv_w.shape() == [3 * embed_dim, embed_dim], || {
        format!(
            "expected `qkv_weight` of shape [{}, {embed_dim}], got {:?}",
            3 * embed_dim,
            qkv_w.shape()
        )
    })?;
    check_shape(op, qkv_b.shape() == [3 * embed_dim], || {
        "expected `qkv_bias` first dim and first dim of query to be equal".to_owned()
    })?;
    check_shape(op, num_head > 0 && embed_dim % num_head == 0, || {
        "`embed_dim` must divide evenly by `num_heads`".to_owned()
    })?;
    check_shape(
        op,
        proj_w.shape() == [embed_dim, embed_dim] && proj_b.shape() == [embed_dim],
        || {
            format!(
                "expected `proj_weight` [{embed_dim}, {embed_dim}] and `proj_bias` [{embed_dim}], got {:?} and {:?}",
                proj_w.shape(),
                proj_b.shape()
            )
        },
    )?;
    let dtype = q.dtype();
    if !dtype.is_floating() {
        return Err(RuntimeError::unsupported(
            op,
            format!("dtype {}", dtype.scalar_type_name()),
        ));
    }
    if let Some(t) = [k, v, qkv_w, qkv_b, proj_w, proj_b]
        .iter()
        .find(|t| t.dtype() != dtype)
    {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "expected every tensor in {}, got {}",
                dtype.scalar_type_name(),
                t.dtype().scalar_type_name()
            ),
        });
    }
    Ok(Dims {
        b: usize_of(qs[0]),
        t: usize_of(qs[1]),
        d: usize_of(embed_dim),
        h: usize_of(num_head),
    })
}

/// The mask as PyTorch's masked softmax reads it (see the module doc).
fn read_mask(
    ctx: &KernelCtx<'_>,
    mask: Option<&Tensor>,
    mask_type: Option<i64>,
    dims: &Dims,
) -> Result<Option<Mask>> {
    let Some(m) = mask else {
        return Ok(None);
    };
    ctx.check(m, "mask")?;
    let (b, h, t) = (dims.b as i64, dims.h as i64, dims.t as i64);
    let values = match mask_type {
        Some(0) | Some(2) => crate::kernels::iter::read_broadcast(ctx.op, m, &[b, h, t, t])?,
        Some(1) => {
            check_shape(ctx.op, m.shape() == [b, t], || {
                format!(
                    "a key padding mask (mask_type 1) must be [{b}, {t}], got {:?}",
                    m.shape()
                )
            })?;
            let rows = m.read_f64(ctx.op)?;
            let (t, h) = (dims.t, dims.h);
            (0..dims.b * h * t * t)
                .map(|i| rows[(i / (h * t * t)) * t + i % t])
                .collect()
        }
        Some(other) => {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "Mask Type should be 0 (src_mask) or 1 (src_key_padding_mask), or 2 (default_mask), got {other}"
                ),
            ));
        }
        None => {
            return Err(RuntimeError::shape(ctx.op, "Mask Type should be defined"));
        }
    };
    Ok(Some(values.into_iter().map(|v| v != 0.0).collect()))
}

/// `x Wᵀ + b` for `x` `(rows, inp)` and `W` `(out, inp)`.
fn linear(x: &[f64], rows: usize, w: &[f64], bias: &[f64], out: usize) -> Vec<f64> {
    let inp = x.len().checked_div(rows).unwrap_or(0);
    let mut y: Vec<f64> = (0..rows * out).map(|i| bias[i % out]).collect();
    gemm_acc(Mat::new(x, rows, inp), Mat::t(w, inp, out), &mut y);
    y
}

/// One row of the masked softmax: NaN throughout when every position is
/// masked, as PyTorch's kernel gives.
fn masked_softmax_row(row: &mut [f64], masked: Option<&[bool]>) {
    let is_masked = |j: usize| masked.is_some_and(|m| m.get(j).copied().unwrap_or(false));
    let max = row
        .iter()
        .enumerate()
        .filter(|(j, _)| !is_masked(*j))
        .map(|(_, v)| *v)
        .fold(
            f64::NEG_INFINITY,
            |a, v| if v.is_nan() { v } else { a.max(v) },
        );
    let mut sum = 0.0;
    for (j, v) in row.iter_mut().enumerate() {
        *v = if is_masked(j) { 0.0 } else { (*v - max).exp() };
        sum += *v;
    }
    let inv = 1.0 / sum;
    row.iter_mut().for_each(|v| *v *= inv);
}

/// The dtype the attention's and the layer's stages round to: the inputs'
/// own, or float64 (no rounding until the result) under the
/// `attention-rounds-once` fault.
fn stage_dtype(ctx: &KernelCtx<'_>, dtype: DType) -> DType {
    if ctx.faults.attention_rounds_once {
        DType::Float64
    } else {
        dtype
    }
}

/// One row of ATen's masked softmax (`_masked_softmax`, its scalar loop)
/// in float16 or bfloat16: `x - max` over the kept positions and its `exp`
/// each rounded to `dtype`, a float sum of those, its reciprocal rounded to
/// `dtype`, then each term times it. Measured in torch 2.15: bit-exact for
/// both dtypes (a float computation rounded once matches 62%). A row whose
/// every position is masked comes out NaN.
fn reduced_masked_softmax_row(row: &mut [f64], masked: &[bool], dtype: DType) {
    let kept = |j: usize| !masked.get(j).copied().unwrap_or(false);
    let max = row
        .iter()
        .enumerate()
        .filter(|(j, _)| kept(*j))
        .map(|(_, v)| *v)
        .fold(
            f64::NEG_INFINITY,
            |a, v| if v.is_nan() { v } else { a.max(v) },
        );
    let mut sum = 0f32;
    for (j, v) in row.iter_mut().enumerate() {
        *v = if kept(j) {
            round_to(dtype, round_to(dtype, *v - max).exp())
        } else {
            0.0
        };
        sum += *v as f32;
    }
    let inv = round_to(dtype, f64::from(1.0 / sum));
    row.iter_mut().for_each(|v| *v = round_to(dtype, *v * inv));
}

/// How the attention's softmax leaves out masked keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyMask {
    /// ATen's `_masked_softmax` over a dense batch and its mask.
    Masked,
    /// A nested batch padded for the attention: each component's softmax
    /// runs over its own keys as a plain softmax does
    /// (`_nested_tensor_softmax_with_shape`), the padding masked out.
    NestedComponents,
}

/// The attention of `(B, T, D)` inputs: `(output (B, T, D), P (B, h, T, T))`.
/// Each stage's result is rounded to `dtype`, as ATen stores it in a tensor
/// of that dtype (identity for float64): the packed projection without its
/// bias; `q + bq`, then times `1/√dh` (itself in `dtype`); `k + bk`;
/// `v + bv`; the scores; the softmax; `P v`; the output projection with its
/// bias. Measured in torch 2.15: bit-exact for bfloat16 and float16 layers.
/// `wrong_scale` divides the scores by `dh` instead of `√dh` (a fault).
fn attention(
    x: [&[f64]; 3],
    dims: &Dims,
    w: &Weights,
    mask: Option<&[bool]>,
    key_mask: KeyMask,
    wrong_scale: bool,
    dtype: DType,
) -> (Vec<f64>, Vec<f64>) {
    let Dims { b, t, d, h } = *dims;
    let dh = dims.dh();
    let rows = b * t;
    let round = |v: &mut [f64]| v.iter_mut().for_each(|x| *x = round_to(dtype, *x));
    let scale = round_to(
        dtype,
        if wrong_scale {
            1.0 / dh.max(1) as f64
        } else {
            1.0 / (dh.max(1) as f64).sqrt()
        },
    );
    // Each input through its third of the packed projection, then its bias
    // (and the query's scale), a rounding after each.
    let proj = |i: usize| {
        let mut y = vec![0.0; rows * d];
        let weight = &w.qkv_w[i * d * d..(i + 1) * d * d];
        gemm_acc(Mat::new(x[i], rows, d), Mat::t(weight, d, d), &mut y);
        round(&mut y);
        let bias = &w.qkv_b[i * d..(i + 1) * d];
        for (j, v) in y.iter_mut().enumerate() {
            *v = round_to(dtype, *v + bias[j % d]);
            if i == 0 {
                *v = round_to(dtype, *v * scale);
            }
        }
        y
    };
    let (q, k, v) = (proj(0), proj(1), proj(2));
    // Head `hd` of batch `bi` as a contiguous (T, dh) block.
    let head = |src: &[f64], bi: usize, hd: usize| -> Vec<f64> {
        (0..t * dh)
            .map(|i| src[(bi * t + i / dh) * d + hd * dh + i % dh])
            .collect()
    };
    let mut probs = vec![0.0; b * h * t * t];
    let mut ctx = vec![0.0; rows * d];
    for bi in 0..b {
        for hd in 0..h {
            let (qh, kh, vh) = (head(&q, bi, hd), head(&k, bi, hd), head(&v, bi, hd));
            let at = (bi * h + hd) * t * t;
            let p = &mut probs[at..at + t * t];
            gemm_acc(Mat::new(&qh, t, dh), Mat::t(&kh, dh, t), p);
            round(p);
            for (i, row) in p.chunks_mut(t.max(1)).enumerate() {
                match mask.map(|m| &m[at + i * t..at + (i + 1) * t]) {
                    Some(m) if key_mask == KeyMask::Masked && is_reduced_float(dtype) => {
                        reduced_masked_softmax_row(row, m, dtype)
                    }
                    m => masked_softmax_row(row, m),
                }
            }
            round(p);
            let mut o = vec![0.0; t * dh];
            gemm_acc(Mat::new(p, t, t), Mat::new(&vh, t, dh), &mut o);
            round(&mut o);
            for (i, val) in o.into_iter().enumerate() {
                ctx[(bi * t + i / dh) * d + hd * dh + i % dh] = val;
            }
        }
    }
    let mut out = linear(&ctx, rows, &w.proj_w, &w.proj_b, d);
    round(&mut out);
    (out, probs)
}

/// The mean over heads of `P` `(B, h, T, T)`: `(B, T, T)`.
fn average_heads(probs: &[f64], dims: &Dims) -> Vec<f64> {
    let (h, tt) = (dims.h, dims.t * dims.t);
    (0..dims.b * tt)
        .map(|i| {
            let (bi, r) = (i / tt, i % tt);
            let sum: f64 = (0..h).map(|hd| probs[(bi * h + hd) * tt + r]).sum();
            sum / h as f64
        })
        .collect()
}

pub(crate) fn opt_tensor<'a>(a: &Args<'a>, i: usize) -> Option<&'a Tensor> {
    match a.values.get(i) {
        Some(IValue::Tensor(t)) => Some(t),
        _ => None,
    }
}

fn opt_int(a: &Args<'_>, i: usize) -> Option<i64> {
    match a.values.get(i) {
        Some(IValue::Int(v)) => Some(*v),
        _ => None,
    }
}

fn bool_or(a: &Args<'_>, i: usize, default: bool) -> Result<bool> {
    match a.values.get(i) {
        None | Some(IValue::None) => Ok(default),
        Some(_) => a.bool(i),
    }
}

fn read_weights(op: &str, ts: [&Tensor; 4]) -> Result<Weights> {
    Ok(Weights {
        qkv_w: ts[0].read_f64(op)?,
        qkv_b: ts[1].read_f64(op)?,
        proj_w: ts[2].read_f64(op)?,
        proj_b: ts[3].read_f64(op)?,
    })
}

/// `_native_multi_head_attention(...) -> (Tensor, Tensor)`.
pub(crate) fn native_multi_head_attention(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (q, k, v) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let ws = [a.tensor(5)?, a.tensor(6)?, a.tensor(7)?, a.tensor(8)?];
    for (t, name) in [q, k, v].iter().chain(&ws).zip([
        "query",
        "key",
        "value",
        "qkv_weight",
        "qkv_bias",
        "proj_weight",
        "proj_bias",
    ]) {
        ctx.check(t, name)?;
    }
    let dims = mha_dims(ctx.op, [q, k, v], a.int(3)?, a.int(4)?, ws)?;
    let need_weights = bool_or(&a, 10, true)?;
    let average = bool_or(&a, 11, true)?;
    let mask = read_mask(ctx, opt_tensor(&a, 9), opt_int(&a, 12), &dims)?;
    let dtype = q.dtype();
    let (out, probs) = if ctx.has_data() && q.numel() > 0 {
        let w = read_weights(ctx.op, ws)?;
        let (qv, kv, vv) = (
            q.read_f64(ctx.op)?,
            k.read_f64(ctx.op)?,
            v.read_f64(ctx.op)?,
        );
        let wrong_scale = ctx.faults.mha_wrong_scale;
        let masked = mask.as_deref();
        let stages = stage_dtype(ctx, dtype);
        attention(
            [&qv, &kv, &vv],
            &dims,
            &w,
            masked,
            KeyMask::Masked,
            wrong_scale,
            stages,
        )
    } else {
        (vec![0.0; q.numel()], Vec::new())
    };
    let shape = q.shape().to_vec();
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || Ok(out))?;
    if !need_weights || q.numel() == 0 {
        return Ok(vec![out.into(), IValue::None]);
    }
    let (b, h, t) = (dims.b as i64, dims.h as i64, dims.t as i64);
    let (wshape, wvalues) = if average {
        let avg = if ctx.has_data() {
            average_heads(&probs, &dims)
        } else {
            Vec::new()
        };
        (vec![b, t, t], avg)
    } else {
        (vec![b, h, t, t], probs)
    };
    let weights = ctx.output(&wshape, &contiguous_strides(&wshape), dtype, || Ok(wvalues))?;
    Ok(vec![out.into(), weights.into()])
}

/// Layer norm over the last dimension (`d` wide) of `x`, biased variance.
fn layer_norm(x: &[f64], d: usize, w: &[f64], bias: &[f64], eps: f64) -> Vec<f64> {
    let mut y = Vec::with_capacity(x.len());
    for row in x.chunks(d.max(1)) {
        let mean = row.iter().sum::<f64>() / d as f64;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / d as f64;
        let rstd = 1.0 / (var + eps).sqrt();
        y.extend(
            row.iter()
                .enumerate()
                .map(|(j, v)| (v - mean) * rstd * w[j] + bias[j]),
        );
    }
    y
}

/// Whether each row of `mask` (the rows of an `(N, L)` keep-mask, logical
/// order) is a prefix of `True`s: its count of `True` equals the index of
/// its first `False` (`L` when it has none). `gaps_only` is the
/// `nested-mask-gaps-only` fault: it only asks that a row's `True`s be
/// contiguous, wherever they start, so a left-padded row passes.
fn mask_rows_left_aligned(mask: &[i64], l: usize, gaps_only: bool) -> bool {
    if l == 0 {
        return true;
    }
    mask.chunks(l).all(|row| {
        let count = row.iter().filter(|&&v| v != 0).count();
        let start = if gaps_only {
            row.iter().position(|&v| v != 0).unwrap_or(0)
        } else {
            0
        };
        let first_false = row[start..]
            .iter()
            .position(|&v| v == 0)
            .map_or(l, |i| start + i);
        count == first_false - start
    })
}

/// Checks a padded batch `t` `(N, L, D)` and its boolean keep-mask
/// `(N, L)` as ATen's nested-from-mask kernels do, with their messages (an
/// empty `L` fails where ATen selects column `L - 1`); gives `(N, L)`.
pub(crate) fn check_padded_batch_mask(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    mask: &Tensor,
) -> Result<(i64, i64)> {
    ctx.check(t, "t")?;
    ctx.check(mask, "mask")?;
    let op = ctx.op;
    if mask.dtype() != DType::Bool {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected mask to be of ScalarType Bool, but got {} instead.",
                mask.dtype().scalar_type_name()
            ),
        ));
    }
    check_shape(op, mask.shape().len() == 2, || {
        "Padding mask should be 2D".to_owned()
    })?;
    check_shape(op, t.shape().len() == 3, || {
        "Input should be a 3D tensor, N * L * D".to_owned()
    })?;
    let (n, l) = (t.shape()[0], t.shape()[1]);
    check_shape(op, mask.shape() == [n, l], || {
        "Mask size should match input size".to_owned()
    })?;
    if l == 0 && n > 0 {
        return Err(RuntimeError::index(
            op,
            format!("select(): index -1 out of range for tensor of size [{n}, 0] at dimension 1"),
        ));
    }
    Ok((n, l))
}

/// `_nested_tensor_from_mask_left_aligned(t, mask) -> bool`: checks the
/// arguments as PyTorch does (a Bool mask, 2-D, a 3-D `t` of the mask's
/// `(N, L)`; an empty `L` fails where PyTorch selects column `L - 1`), then
/// whether every row of `mask` is left-aligned without gaps.
pub(crate) fn nested_mask_left_aligned(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (t, mask) = (a.tensor(0)?, a.tensor(1)?);
    let l = check_padded_batch_mask(ctx, t, mask)?.1;
    let op = ctx.op;
    if !ctx.has_data() {
        return Err(RuntimeError::NoData { op: op.to_owned() });
    }
    let values = mask.read_i64(op)?;
    let gaps_only = ctx.faults.nested_mask_gaps_only;
    Ok(vec![IValue::Bool(mask_rows_left_aligned(
        &values,
        usize_of(l),
        gaps_only,
    ))])
}

/// `_transformer_encoder_layer_fwd(src, embed_dim, num_heads, qkv_weight,
/// qkv_bias, proj_weight, proj_bias, use_gelu, norm_first, eps,
/// norm_weight_1, norm_bias_1, norm_weight_2, norm_bias_2, ffn_weight_1,
/// ffn_bias_1, ffn_weight_2, ffn_bias_2, mask=None, mask_type=None)`.
pub(crate) fn transformer_encoder_layer_fwd(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let src = a.tensor(0)?;
    let mask = opt_tensor(&a, 18);
    let values = encoder_layer_values(ctx, &a, src, mask, opt_int(&a, 19), KeyMask::Masked)?;
    let shape = src.shape().to_vec();
    let out = ctx.output(&shape, &contiguous_strides(&shape), src.dtype(), || {
        Ok(values)
    })?;
    Ok(vec![out.into()])
}

/// The values of `_transformer_encoder_layer_fwd` (its arguments `a`) over
/// the dense `(B, T, D)` batch `src` with `mask` of `mask_type`, in logical
/// order; empty when the kernel runs without data. The nested kernel
/// (`kernels::nested_ops`) calls it on its padded batch, its padding masked
/// as [`KeyMask::NestedComponents`].
pub(crate) fn encoder_layer_values(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    src: &Tensor,
    mask: Option<&Tensor>,
    mask_type: Option<i64>,
    key_mask: KeyMask,
) -> Result<Vec<f64>> {
    let ws = [a.tensor(3)?, a.tensor(4)?, a.tensor(5)?, a.tensor(6)?];
    let norms = [a.tensor(10)?, a.tensor(11)?, a.tensor(12)?, a.tensor(13)?];
    let ffn = [a.tensor(14)?, a.tensor(15)?, a.tensor(16)?, a.tensor(17)?];
    for t in std::iter::once(&src).chain(&ws).chain(&norms).chain(&ffn) {
        ctx.check(t, "argument")?;
    }
    let dims = mha_dims(ctx.op, [src, src, src], a.int(1)?, a.int(2)?, ws)?;
    let (use_gelu, norm_first, eps) = (a.bool(7)?, a.bool(8)?, a.scalar(9)?);
    let d = dims.d as i64;
    for n in norms {
        check_shape(ctx.op, n.shape() == [d], || {
            format!(
                "expected layer norm weights of shape [{d}], got {:?}",
                n.shape()
            )
        })?;
    }
    let hidden = ffn[0].shape().first().copied().unwrap_or(0);
    check_shape(
        ctx.op,
        ffn[0].shape() == [hidden, d]
            && ffn[1].shape() == [hidden]
            && ffn[2].shape() == [d, hidden]
            && ffn[3].shape() == [d],
        || {
            format!(
                "expected feed-forward weights [H, {d}], [H], [{d}, H], [{d}], got {:?}, {:?}, {:?}, {:?}",
                ffn[0].shape(),
                ffn[1].shape(),
                ffn[2].shape(),
                ffn[3].shape()
            )
        },
    )?;
    if let Some(t) = norms.iter().chain(&ffn).find(|t| t.dtype() != src.dtype()) {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "expected every tensor in {}, got {}",
                src.dtype().scalar_type_name(),
                t.dtype().scalar_type_name()
            ),
        });
    }
    let mask = read_mask(ctx, mask, mask_type, &dims)?;
    Ok(if ctx.has_data() {
        let op = ctx.op;
        let x = src.read_f64(op)?;
        if x.is_empty() {
            x
        } else {
            let w = read_weights(op, ws)?;
            let read = |t: &Tensor| t.read_f64(op);
            let [n1w, n1b, n2w, n2b] = [
                read(norms[0])?,
                read(norms[1])?,
                read(norms[2])?,
                read(norms[3])?,
            ];
            let [f1w, f1b, f2w, f2b] = [read(ffn[0])?, read(ffn[1])?, read(ffn[2])?, read(ffn[3])?];
            let width = dims.d;
            let rows = dims.b * dims.t;
            let hidden = usize_of(hidden);
            let wrong_scale = ctx.faults.mha_wrong_scale;
            let relu = zero_clamp(ctx.faults.nan_clamped_to_zero);
            // Every stage rounds to the layer's dtype, as ATen's
            // `transformer_encoder_layer_forward` stores each in a tensor:
            // the attention's (see `attention`), the residual sums, the
            // norms, each feed-forward product (its bias inside) and the
            // activation applied to the rounded first product.
            let dtype = stage_dtype(ctx, src.dtype());
            let rounded = |mut v: Vec<f64>| -> Vec<f64> {
                v.iter_mut().for_each(|x| *x = round_to(dtype, *x));
                v
            };
            let attend = |inp: &[f64]| {
                let masked = mask.as_deref();
                attention(
                    [inp, inp, inp],
                    &dims,
                    &w,
                    masked,
                    key_mask,
                    wrong_scale,
                    dtype,
                )
                .0
            };
            let add = |a: Vec<f64>, b: &[f64]| -> Vec<f64> {
                rounded(a.into_iter().zip(b).map(|(a, b)| a + b).collect())
            };
            let norm =
                |inp: &[f64], w: &[f64], b: &[f64]| rounded(layer_norm(inp, width, w, b, eps));
            let feed_forward = |inp: &[f64]| {
                let mut hid = rounded(linear(inp, rows, &f1w, &f1b, hidden));
                for v in &mut hid {
                    *v = if use_gelu {
                        0.5 * *v * (1.0 + libm::erf(*v / std::f64::consts::SQRT_2))
                    } else {
                        relu(*v, 0.0)
                    };
                }
                rounded(linear(&rounded(hid), rows, &f2w, &f2b, width))
            };
            if norm_first {
                let x1 = add(attend(&norm(&x, &n1w, &n1b)), &x);
                add(feed_forward(&norm(&x1, &n2w, &n2b)), &x1)
            } else {
                let x1 = norm(&add(attend(&x), &x), &n1w, &n1b);
                norm(&add(feed_forward(&x1), &x1), &n2w, &n2b)
            }
        }
    } else {
        Vec::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(d: usize) -> Weights {
        let f = |n: usize, s: f64| (0..n).map(|i| ((i as f64) * s).sin() * 0.5).collect();
        Weights {
            qkv_w: f(3 * d * d, 0.37),
            qkv_b: f(3 * d, 0.11),
            proj_w: f(d * d, 0.23),
            proj_b: f(d, 0.07),
        }
    }

    #[test]
    fn left_aligned_masks_are_valid_prefixes_per_row() {
        // Rows of L = 3 (1 = keep): right padding, all kept and all padded
        // are left-aligned; left padding and a gap are not (torch 2.15).
        for (row, want) in [
            ([1, 1, 0], true),
            ([1, 1, 1], true),
            ([0, 0, 0], true),
            ([0, 1, 1], false),
            ([1, 0, 1], false),
        ] {
            assert_eq!(mask_rows_left_aligned(&row, 3, false), want, "{row:?}");
        }
        assert!(!mask_rows_left_aligned(&[1, 1, 0, 0, 1, 1], 3, false));
        assert!(mask_rows_left_aligned(&[], 3, false));
        // The fault accepts contiguous rows wherever they start.
        assert!(mask_rows_left_aligned(&[0, 1, 1], 3, true));
        assert!(!mask_rows_left_aligned(&[1, 0, 1], 3, true));
    }

    #[test]
    fn one_head_of_one_position_is_the_projected_value() {
        // T = 1: softmax over one key is 1, so out = (x Wvᵀ + bv) Woᵀ + bo.
        let dims = Dims {
            b: 1,
            t: 1,
            d: 2,
            h: 1,
        };
        let w = weights(2);
        let x = [0.3, -0.8];
        let (out, probs) = attention(
            [&x, &x, &x],
            &dims,
            &w,
            None,
            KeyMask::Masked,
            false,
            DType::Float64,
        );
        assert_eq!(probs, vec![1.0]);
        let v = linear(&x, 1, &w.qkv_w[8..12], &w.qkv_b[4..6], 2);
        let want = linear(&v, 1, &w.proj_w, &w.proj_b, 2);
        for (a, b) in out.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "{out:?} vs {want:?}");
        }
    }

    #[test]
    fn masked_keys_get_no_weight_and_a_fully_masked_row_is_nan() {
        let mut row = [1.0, 2.0, 3.0];
        masked_softmax_row(&mut row, Some(&[false, true, false]));
        assert_eq!(row[1], 0.0);
        assert!((row[0] + row[2] - 1.0).abs() < 1e-12);
        let mut row = [1.0, 2.0];
        masked_softmax_row(&mut row, Some(&[true, true]));
        assert!(row.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn averaged_weights_are_the_mean_over_heads() {
        let dims = Dims {
            b: 1,
            t: 2,
            d: 4,
            h: 2,
        };
        let probs = [0.1, 0.9, 0.3, 0.7, 0.5, 0.5, 0.7, 0.3];
        let avg = average_heads(&probs, &dims);
        let want = [0.3, 0.7, 0.5, 0.5];
        for (a, b) in avg.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "{avg:?}");
        }
    }
}
