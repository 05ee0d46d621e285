//! `_scaled_dot_product_flash_attention_for_cpu` and its backward.
//!
//! For each batch and head: `S = scale · Q Kᵀ` (`scale` defaults to
//! `1/√E`), causal rows see keys `j <= i` (top-left aligned, also when the
//! query and key lengths differ), `P = softmax(S)`, `out = P V`, and
//! `logsumexp[i] = log Σ_j exp(S_ij)`. Backward recomputes `P` from the
//! saved logsumexp: `dV = Pᵀ dO`, `dP = dO Vᵀ`,
//! `dS = P ∘ (dP − rowsum(dO ∘ out))`, `dQ = scale · dS K`,
//! `dK = scale · dSᵀ Q`.
//!
//! Observed in torch 2.15 (CPU): `F.scaled_dot_product_attention` reaches
//! this operator for 4-d floating inputs (float32, float64, bfloat16,
//! float16) with equal head sizes and no dropout, with or without an
//! `attn_mask` (a bool mask arrives as `where(mask, 0, -inf)`, broadcast to
//! `(B, H, L, S)` and added to the scaled scores, in backward too); 3-d
//! inputs or a different value head size take the math path (`bmm`,
//! `_safe_softmax`, ...); so does dropout (`bernoulli_` on the weights).
//! The reduced floating types round where the CPU kernel stores in them
//! (see [`Precision`]); the logsumexp is float32 for them.
//! Grouped-query attention (`enable_gqa=True`, key and value with fewer
//! heads `Hk` dividing the query's `H`) reaches this operator too: query
//! head `j` reads key/value head `j / (H / Hk)` (`repeat_interleave`'s
//! grouping), and the backward accumulates the group's query heads into
//! their shared key and value gradients in head order (observed in torch
//! 2.15: not the sum of separately computed per-head gradients).
//! Layouts: `output` is laid out like `empty_like(query)` (a dense query's
//! strides, otherwise its dimensions ordered by stride); `logsumexp`
//! `(B, H, L)` is stored
//! `(B, L, H)`; the three gradients are stored `(B, L, H, E)` and viewed
//! `(B, H, L, E)`.

use super::common::{is_reduced_float, round_to};
use super::fast_exp::{VECTOR_LANES, row_exp};
use super::gemm::{Mat, gemm_acc_ieee};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::output_strides;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The kernel of `op` if it is an attention operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._scaled_dot_product_flash_attention_for_cpu.default" => flash_attention,
        "aten._scaled_dot_product_flash_attention_for_cpu_backward.default" => {
            flash_attention_backward
        }
        _ => return None,
    })
}

/// Sizes of one attention call: batch, query heads, key/value heads,
/// query length, key length, head size.
#[derive(Clone, Copy, Debug)]
struct Dims {
    b: usize,
    h: usize,
    hk: usize,
    l: usize,
    s: usize,
    e: usize,
}

impl Dims {
    fn heads(&self) -> usize {
        self.b * self.h
    }

    /// The key/value head (over batch and heads) query head `head` reads.
    fn kv_head(&self, head: usize) -> usize {
        let group = (self.h / self.hk.max(1)).max(1);
        (head / self.h.max(1)) * self.hk + (head % self.h.max(1)) / group
    }
}

fn dims(op: &str, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<Dims> {
    let (qs, ks, vs) = (q.shape(), k.shape(), v.shape());
    if qs.len() != 4 || ks.len() != 4 || vs.len() != 4 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "scaled_dot_product_attention_flash_attention: Accept only 4 dims inputs shape of {{B, H, T, K}}, got query {qs:?}, key {ks:?}, value {vs:?}"
            ),
        ));
    }
    let grouped = ks[1] > 0 && qs[1] % ks[1] == 0;
    if ks != vs || qs[0] != ks[0] || !grouped || qs[3] != ks[3] {
        return Err(RuntimeError::shape(
            op,
            format!(
                "flash attention needs query (B, H, L, E), key and value (B, Hk, S, E) of one batch and head size, Hk dividing H; got {qs:?}, {ks:?}, {vs:?}"
            ),
        ));
    }
    let u = |x: i64| usize::try_from(x).unwrap_or(0);
    Ok(Dims {
        b: u(qs[0]),
        h: u(qs[1]),
        hk: u(ks[1]),
        l: u(qs[2]),
        s: u(ks[2]),
        e: u(qs[3]),
    })
}

fn same_dtype(op: &str, ts: &[&Tensor]) -> Result<DType> {
    let first = ts.first().map_or(DType::Float32, |t| t.dtype());
    if let Some(t) = ts.iter().find(|t| t.dtype() != first) {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "scaled_dot_product_attention_flash_attention: Expected query, key, and value to have the same dtype, but got {} and {}",
                first.scalar_type_name(),
                t.dtype().scalar_type_name()
            ),
        });
    }
    Ok(first)
}

/// The settings shared by forward and backward: `(causal, scale)`, refusing
/// dropout (never reached through `F.scaled_dot_product_attention`).
fn settings(a: &Args<'_>, dropout_at: usize, e: usize) -> Result<(bool, f64)> {
    if a.scalar(dropout_at)? != 0.0 {
        return Err(RuntimeError::unsupported(a.op, "dropout_p > 0"));
    }
    let scale = match a.values.get(dropout_at + 3) {
        Some(IValue::Float(s)) => *s,
        Some(IValue::Int(s)) => *s as f64,
        _ => 1.0 / (e.max(1) as f64).sqrt(),
    };
    Ok((a.bool(dropout_at + 1)?, scale))
}

/// The additive `attn_mask` (argument `at`) broadcast to `(B, H, L, S)`, in
/// logical order; `None` without a mask or without data. Observed in torch
/// 2.15: `F.scaled_dot_product_attention` turns a bool mask into a float one
/// (`where(mask, 0, -inf)`) before this operator, and the kernel adds the
/// mask to the scaled scores (`scale · QKᵀ + mask`). A bool mask given
/// directly is read the same way.
fn attn_mask(ctx: &KernelCtx<'_>, a: &Args<'_>, at: usize, d: &Dims) -> Result<Option<Vec<f64>>> {
    let Some(IValue::Tensor(m)) = a.values.get(at) else {
        return Ok(None);
    };
    ctx.check(m, "attn_mask")?;
    if !ctx.has_data() {
        return Ok(None);
    }
    let shape = [d.b, d.h, d.l, d.s].map(|x| x as i64);
    let values = crate::kernels::iter::read_broadcast(ctx.op, m, &shape)?;
    Ok(Some(if m.dtype() == DType::Bool {
        values
            .into_iter()
            .map(|v| if v != 0.0 { 0.0 } else { f64::NEG_INFINITY })
            .collect()
    } else {
        values
    }))
}

/// One head's slice of the broadcast mask.
fn head_mask<'m>(mask: Option<&'m [f64]>, d: &Dims, head: usize) -> Option<&'m [f64]> {
    let n = d.l * d.s;
    mask.and_then(|m| m.get(head * n..(head + 1) * n))
}

/// `(B, H, L, E)` strides of a tensor stored `(B, L, H, E)`.
fn blhe_strides(d: &Dims, last: usize) -> Vec<i64> {
    let (l, h, e) = (d.l as i64, d.h as i64, last as i64);
    vec![l * h * e, e, h * e, 1]
}

/// Scaled scores of one head plus its additive mask, causal positions
/// masked with -inf. With `single`, each step is rounded to float32 as the
/// kernel's accumulation type does it (`f32(f32(qk) · f32(scale)) + mask`).
fn scores_masked(
    q: &[f64],
    k: &[f64],
    d: &Dims,
    causal: bool,
    scale: f64,
    mask: Option<&[f64]>,
    single: bool,
) -> Vec<f64> {
    let mut s = vec![0.0; d.l * d.s];
    gemm_acc_ieee(Mat::new(q, d.l, d.e), Mat::t(k, d.e, d.s), &mut s);
    let r = |v: f64| if single { f64::from(v as f32) } else { v };
    for (i, row) in s.chunks_mut(d.s.max(1)).enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            let add = mask
                .and_then(|m| m.get(i * d.s + j))
                .copied()
                .unwrap_or(0.0);
            *v = if causal && j > i {
                f64::NEG_INFINITY
            } else {
                r(r(r(*v) * r(scale)) + r(add))
            };
        }
    }
    s
}

/// Keys per block of the CPU kernel (its `kv_split_size`): the online
/// softmax rescales its running sum and output at each block boundary.
const KV_BLOCK: usize = 512;

/// Query rows per block of the CPU kernel's backward (its `q_split_size`,
/// chosen by the query length): the gradients are stored in their dtype
/// after each block's products.
fn q_block(l: usize) -> usize {
    if l >= 768 {
        256
    } else if l >= 192 {
        64
    } else {
        32
    }
}

/// Where the CPU kernel keeps intermediates in the tensor's dtype. For
/// bfloat16 and float16 the probabilities multiplied with `V` (forward),
/// with `dO` and the score gradients multiplied with `K` and `Q` (backward)
/// are stored in the dtype first; float32 and float64 keep them in the
/// accumulation type. The gradients themselves are stored in the dtype after
/// every block (`C = round(C + A·B)`), for every dtype. For the reduced
/// types the forward also computes its scores in float32 and its softmax
/// exponentials with ATen's fast exponential on full vectors
/// ([`row_exp`]); the backward's exponentials are exact.
#[derive(Clone, Copy)]
struct Precision {
    dtype: DType,
}

impl Precision {
    /// Whether the kernel works in float32 with the fast exponential: the
    /// reduced floating types.
    fn reduced(self) -> bool {
        is_reduced_float(self.dtype)
    }

    /// `exp(s − max)` of the element at `index` of a block row of `len`
    /// scores: float32 with [`row_exp`] for the reduced types, exact
    /// otherwise.
    fn softmax_exp(self, s: f64, max: f64, index: usize, len: usize) -> f64 {
        if self.reduced() {
            f64::from(row_exp(s as f32 - max as f32, index, len))
        } else {
            (s - max).exp()
        }
    }

    fn intermediate(self, v: f64) -> f64 {
        if self.reduced() {
            round_to(self.dtype, v)
        } else {
            v
        }
    }

    fn stored(self, v: f64) -> f64 {
        round_to(self.dtype, v)
    }
}

/// Output (logical `(B, H, L, E)`) and logsumexp (logical `(B, H, L)`).
#[cfg(test)]
fn forward_values(
    q: &[f64],
    k: &[f64],
    v: &[f64],
    d: &Dims,
    causal: bool,
    scale: f64,
) -> (Vec<f64>, Vec<f64>) {
    let exact = Precision {
        dtype: DType::Float64,
    };
    forward_values_masked(q, k, v, d, causal, scale, None, exact, false)
}

/// [`forward_values`] with an additive mask broadcast to `(B, H, L, S)`,
/// computed as the CPU kernel does: keys in blocks of [`KV_BLOCK`], each
/// row's running maximum and sum of `exp(s - max)` rescaled at a block
/// boundary, the unnormalised probabilities (stored per `precision`)
/// multiplied with `V`, and the row divided by its sum at the end. A row
/// with every key masked gives zeros and a logsumexp of 0. A NaN score
/// (a query row of NaN, as a diverged float16 run produces) reaches the
/// block's maximum as the kernel's reductions let it ([`block_max`]): then
/// the row's output and logsumexp are NaN, otherwise the row reads as fully
/// masked. `max_skips_nan`, a test fault, skips every NaN score.
#[allow(clippy::too_many_arguments)]
fn forward_values_masked(
    q: &[f64],
    k: &[f64],
    v: &[f64],
    d: &Dims,
    causal: bool,
    scale: f64,
    mask: Option<&[f64]>,
    precision: Precision,
    max_skips_nan: bool,
) -> (Vec<f64>, Vec<f64>) {
    let (qn, kn) = (d.l * d.e, d.s * d.e);
    let mut out = vec![0.0; d.heads() * qn];
    let mut lse = Vec::with_capacity(d.heads() * d.l);
    for head in 0..d.heads() {
        let kvh = d.kv_head(head);
        let scores = scores_masked(
            &q[head * qn..(head + 1) * qn],
            &k[kvh * kn..(kvh + 1) * kn],
            d,
            causal,
            scale,
            head_mask(mask, d, head),
            precision.reduced(),
        );
        let vh = &v[kvh * kn..(kvh + 1) * kn];
        let oh = &mut out[head * qn..(head + 1) * qn];
        let mut max = vec![f64::NEG_INFINITY; d.l];
        let mut sum = vec![0.0; d.l];
        for start in (0..d.s).step_by(KV_BLOCK) {
            let w = KV_BLOCK.min(d.s - start);
            let mut p = vec![0.0; d.l * w];
            let mut rescale = vec![1.0; d.l];
            for i in 0..d.l {
                let row = &scores[i * d.s + start..i * d.s + start + w];
                // A causal kernel reads each block of query rows against the
                // keys up to that block's last row only.
                let keys = if causal {
                    let qb = q_block(d.l);
                    ((i / qb + 1) * qb).min(d.s)
                } else {
                    d.s
                };
                let visible = &row[..keys.saturating_sub(start).min(w)];
                let propagate_all = mask.is_some() && !max_skips_nan;
                let block = block_max(visible, propagate_all, precision, max_skips_nan);
                // The running maximum replaces the previous one unless that
                // is strictly greater (a NaN block maximum replaces it).
                let new_max = if max[i] > block { max[i] } else { block };
                if new_max == f64::NEG_INFINITY {
                    continue;
                }
                let mut block_sum = 0.0;
                for (j, (pj, &sj)) in p[i * w..(i + 1) * w].iter_mut().zip(row).enumerate() {
                    let x = precision.softmax_exp(sj, new_max, j, w);
                    block_sum += x;
                    *pj = precision.intermediate(x);
                }
                rescale[i] = (max[i] - new_max).exp();
                sum[i] = block_sum + rescale[i] * sum[i];
                max[i] = new_max;
            }
            let mut block = vec![0.0; d.l * d.e];
            gemm_acc_ieee(
                Mat::new(&p, d.l, w),
                Mat::new(&vh[start * d.e..(start + w) * d.e], w, d.e),
                &mut block,
            );
            for ((o_row, b_row), r) in oh
                .chunks_mut(d.e.max(1))
                .zip(block.chunks(d.e.max(1)))
                .zip(&rescale)
            {
                for (o, b) in o_row.iter_mut().zip(b_row) {
                    *o = *o * r + b;
                }
            }
        }
        for ((o_row, m), s) in oh.chunks_mut(d.e.max(1)).zip(&mut max).zip(&mut sum) {
            if *m == f64::NEG_INFINITY {
                *m = 0.0;
            }
            if *s == 0.0 {
                *s = 1.0;
            }
            let reciprocal = 1.0 / *s;
            o_row.iter_mut().for_each(|o| *o *= reciprocal);
            lse.push(*m + s.ln());
        }
    }
    (out, lse)
}

/// The maximum of one block row of scores as the CPU kernel reduces it.
/// With an attention mask, the masked scores' maximum is a vector reduction
/// over the whole row, so any NaN makes it NaN (`propagate_all`). Without
/// one, full vectors of [`VECTOR_LANES`] float32 (8 float64) lanes are
/// reduced with a NaN-propagating maximum and the remaining tail with
/// `std::max`, which keeps its first operand when the second is NaN: a NaN
/// in the tail is skipped, one in the vector part wins. Observed in torch
/// 2.15 on AVX-512: a NaN query row against 8 float32 keys reads as fully
/// masked (zeros, logsumexp 0), against 16 keys it gives NaN.
fn block_max(row: &[f64], propagate_all: bool, precision: Precision, skip_all: bool) -> f64 {
    let lanes = if precision.dtype == DType::Float64 {
        VECTOR_LANES / 2
    } else {
        VECTOR_LANES
    };
    let vector_part = row.len() - row.len() % lanes;
    let mut max = f64::NEG_INFINITY;
    for (j, &x) in row.iter().enumerate() {
        if x.is_nan() {
            if !skip_all && (propagate_all || j < vector_part) {
                return f64::NAN;
            }
        } else if x > max {
            max = x;
        }
    }
    max
}

/// `_scaled_dot_product_flash_attention_for_cpu(query, key, value,
/// dropout_p=0., is_causal=False, *, attn_mask=None, scale=None)`:
/// `(output, logsumexp)`.
pub(crate) fn flash_attention(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (q, k, v) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    for (t, name) in [(q, "query"), (k, "key"), (v, "value")] {
        ctx.check(t, name)?;
    }
    let dtype = same_dtype(ctx.op, &[q, k, v])?;
    let d = dims(ctx.op, q, k, v)?;
    let (causal, scale) = settings(&a, 3, d.e)?;
    let mask = attn_mask(ctx, &a, 5, &d)?;
    let (out_values, lse_values) = if ctx.has_data() {
        let (qv, kv, vv) = (
            q.read_f64(ctx.op)?,
            k.read_f64(ctx.op)?,
            v.read_f64(ctx.op)?,
        );
        let precision = Precision {
            dtype: if ctx.faults.attention_reduced_as_float {
                DType::Float32
            } else {
                dtype
            },
        };
        forward_values_masked(
            &qv,
            &kv,
            &vv,
            &d,
            causal,
            scale,
            mask.as_deref(),
            precision,
            ctx.faults.flash_attention_max_skips_nan,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let shape = q.shape().to_vec();
    // Observed in torch 2.15: the output is laid out like `empty_like(query)`
    // — a dense query's strides exactly, size-1 dimensions included.
    let strides = if q.is_non_overlapping_and_dense() {
        q.stride().to_vec()
    } else {
        output_strides(&shape, &[(q.shape(), q.stride())])
    };
    let out = ctx.output(&shape, &strides, dtype, || Ok(out_values))?;
    let (h, l) = (d.h as i64, d.l as i64);
    // The logsumexp is kept in the accumulation type (float32 for the
    // reduced floating types).
    let lse_dtype = if dtype == DType::Float64 {
        DType::Float64
    } else {
        DType::Float32
    };
    let lse = ctx.output(&shape[..3], &[l * h, 1, h], lse_dtype, || Ok(lse_values))?;
    Ok(vec![out.into(), lse.into()])
}

/// Gradients of one query head: `dq`, and the key and value gradients of
/// its key/value head, which the heads of a group accumulate into in turn.
struct HeadGrads<'a> {
    dq: &'a mut [f64],
    dk: &'a mut [f64],
    dv: &'a mut [f64],
}

/// The inputs of one head's backward.
struct HeadInputs<'a> {
    q: &'a [f64],
    k: &'a [f64],
    v: &'a [f64],
    out: &'a [f64],
    dout: &'a [f64],
    lse: &'a [f64],
    /// This head's additive mask `(L, S)`, if any.
    mask: Option<&'a [f64]>,
}

/// One head's gradients as the CPU kernel computes them: `P` recomputed
/// from the saved logsumexp, then for each block of [`q_block`] query rows
/// and [`KV_BLOCK`] keys `dV += Pᵀ dO`, `dS = P ∘ (dO Vᵀ − rowsum(dO ∘ out))`,
/// `dQ += scale · dS K`, `dK += scale · dSᵀ Q`, with `P` and `dS` stored per
/// `precision` before their products and each gradient stored in the dtype
/// after each block.
fn head_backward(
    x: &HeadInputs<'_>,
    d: &Dims,
    causal: bool,
    scale: f64,
    precision: Precision,
    grads: HeadGrads<'_>,
) {
    let mut p = scores_masked(x.q, x.k, d, causal, scale, x.mask, false);
    for (row, &m) in p.chunks_mut(d.s.max(1)).zip(x.lse) {
        row.iter_mut()
            .for_each(|s| *s = if m.is_infinite() { 0.0 } else { (*s - m).exp() });
    }
    let dsum: Vec<f64> = (0..d.l)
        .map(|i| {
            (0..d.e)
                .map(|c| x.dout[i * d.e + c] * x.out[i * d.e + c])
                .sum()
        })
        .collect();
    let HeadGrads { dq, dk, dv } = grads;
    let store = |acc: &mut [f64], add: &[f64], factor: f64| {
        for (a, b) in acc.iter_mut().zip(add) {
            *a = precision.stored(*a + factor * b);
        }
    };
    let rows_block = q_block(d.l);
    for m in (0..d.l).step_by(rows_block) {
        let qb = rows_block.min(d.l - m);
        let keys = if causal { (m + qb).min(d.s) } else { d.s };
        let (q_rows, dout_rows) = (m * d.e..(m + qb) * d.e, m * d.e..(m + qb) * d.e);
        for n in (0..keys).step_by(KV_BLOCK) {
            let w = KV_BLOCK.min(d.s - n);
            let kv_rows = n * d.e..(n + w) * d.e;
            let attn: Vec<f64> = (m..m + qb)
                .flat_map(|i| p[i * d.s + n..i * d.s + n + w].iter().copied())
                .collect();
            let attn_stored: Vec<f64> = attn.iter().map(|&a| precision.intermediate(a)).collect();
            let mut dv_block = vec![0.0; w * d.e];
            gemm_acc_ieee(
                Mat::t(&attn_stored, w, qb),
                Mat::new(&x.dout[dout_rows.clone()], qb, d.e),
                &mut dv_block,
            );
            store(&mut dv[kv_rows.clone()], &dv_block, 1.0);
            let mut ds = vec![0.0; qb * w];
            gemm_acc_ieee(
                Mat::new(&x.dout[dout_rows.clone()], qb, d.e),
                Mat::t(&x.v[kv_rows.clone()], d.e, w),
                &mut ds,
            );
            for ((row, a_row), di) in ds
                .chunks_mut(w.max(1))
                .zip(attn.chunks(w.max(1)))
                .zip(&dsum[m..m + qb])
            {
                for (g, a) in row.iter_mut().zip(a_row) {
                    *g = precision.intermediate(a * (*g - di));
                }
            }
            let mut dq_block = vec![0.0; qb * d.e];
            gemm_acc_ieee(
                Mat::new(&ds, qb, w),
                Mat::new(&x.k[kv_rows.clone()], w, d.e),
                &mut dq_block,
            );
            store(&mut dq[q_rows.clone()], &dq_block, scale);
            let mut dk_block = vec![0.0; w * d.e];
            gemm_acc_ieee(
                Mat::t(&ds, w, qb),
                Mat::new(&x.q[q_rows.clone()], qb, d.e),
                &mut dk_block,
            );
            store(&mut dk[kv_rows], &dk_block, scale);
        }
    }
}

/// `_scaled_dot_product_flash_attention_for_cpu_backward(grad_out, query,
/// key, value, out, logsumexp, dropout_p, is_causal, *, attn_mask=None,
/// scale=None)`: `(grad_query, grad_key, grad_value)`.
pub(crate) fn flash_attention_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let ts: Vec<&Tensor> = (0..6).map(|i| a.tensor(i)).collect::<Result<_>>()?;
    let (dout, q, k, v, out, lse) = (ts[0], ts[1], ts[2], ts[3], ts[4], ts[5]);
    for (t, name) in ts
        .iter()
        .zip(["grad_out", "query", "key", "value", "out", "logsumexp"])
    {
        ctx.check(t, name)?;
    }
    let dtype = same_dtype(ctx.op, &[q, k, v])?;
    let d = dims(ctx.op, q, k, v)?;
    if dout.shape() != q.shape() || out.shape() != q.shape() || lse.shape() != &q.shape()[..3] {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_out {:?}, out {:?} and logsumexp {:?} do not match query {:?}",
                dout.shape(),
                out.shape(),
                lse.shape(),
                q.shape()
            ),
        ));
    }
    let (causal, scale) = settings(&a, 6, d.e)?;
    let mask = attn_mask(ctx, &a, 8, &d)?;
    let grads = if ctx.has_data() {
        let read = |t: &Tensor| t.read_f64(ctx.op);
        let (qv, kv, vv, ov, gv, lv) = (
            read(q)?,
            read(k)?,
            read(v)?,
            read(out)?,
            read(dout)?,
            read(lse)?,
        );
        let (qn, kn) = (d.l * d.e, d.s * d.e);
        let mut all = [
            vec![0.0; d.heads() * qn],
            vec![0.0; d.b * d.hk * kn],
            vec![0.0; d.b * d.hk * kn],
        ];
        for head in 0..d.heads() {
            let kvh = d.kv_head(head);
            let inputs = HeadInputs {
                q: &qv[head * qn..(head + 1) * qn],
                k: &kv[kvh * kn..(kvh + 1) * kn],
                v: &vv[kvh * kn..(kvh + 1) * kn],
                out: &ov[head * qn..(head + 1) * qn],
                dout: &gv[head * qn..(head + 1) * qn],
                lse: &lv[head * d.l..(head + 1) * d.l],
                mask: head_mask(mask.as_deref(), &d, head),
            };
            let [dq, dk, dv] = &mut all;
            let grads = HeadGrads {
                dq: &mut dq[head * qn..(head + 1) * qn],
                dk: &mut dk[kvh * kn..(kvh + 1) * kn],
                dv: &mut dv[kvh * kn..(kvh + 1) * kn],
            };
            head_backward(&inputs, &d, causal, scale, Precision { dtype }, grads);
        }
        all
    } else {
        [Vec::new(), Vec::new(), Vec::new()]
    };
    let [dq, dk, dv] = grads;
    let q_strides = blhe_strides(&d, d.e);
    let kv_dims = Dims {
        l: d.s,
        h: d.hk,
        ..d
    };
    let kv_strides = blhe_strides(&kv_dims, d.e);
    Ok(vec![
        ctx.output(q.shape(), &q_strides, dtype, || Ok(dq))?.into(),
        ctx.output(k.shape(), &kv_strides, dtype, || Ok(dk))?.into(),
        ctx.output(v.shape(), &kv_strides, dtype, || Ok(dv))?.into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nan_query_row_gives_a_nan_row_not_a_masked_one() {
        // One head, L = 2 queries, S = 3 keys, E = 2, the last key masked
        // with -inf. Query row 0 is NaN: torch 2.15 gives that row NaN
        // outputs and a NaN logsumexp; row 1 is unaffected.
        let d = Dims {
            b: 1,
            h: 1,
            hk: 1,
            l: 2,
            s: 3,
            e: 2,
        };
        let q = [f64::NAN, f64::NAN, 0.5, -1.0];
        let k = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mask = [0.0, 0.0, f64::NEG_INFINITY, 0.0, 0.0, f64::NEG_INFINITY];
        let exact = Precision {
            dtype: DType::Float64,
        };
        let run =
            |skips| forward_values_masked(&q, &k, &v, &d, false, 1.0, Some(&mask), exact, skips);
        let (out, lse) = run(false);
        assert!(out[..2].iter().all(|o| o.is_nan()) && lse[0].is_nan());
        // Row 1: scores 0.5 and -1.0 over the first two keys.
        let (p0, p1) = (0.5f64.exp(), (-1.0f64).exp());
        assert!((lse[1] - (p0 + p1).ln()).abs() < 1e-12);
        assert!((out[2] - (p0 * 1.0 + p1 * 3.0) / (p0 + p1)).abs() < 1e-12);
        // Without a mask only NaN in full float32 vectors of 16 reaches the
        // maximum: 8 NaN scores read as fully masked, 16 give NaN.
        let single = Precision {
            dtype: DType::Float32,
        };
        assert_eq!(
            block_max(&[f64::NAN; 8], false, single, false),
            f64::NEG_INFINITY
        );
        assert!(block_max(&[f64::NAN; 16], false, single, false).is_nan());
        assert!(block_max(&[f64::NAN; 8], false, exact, false).is_nan());
        assert_eq!(block_max(&[1.0, f64::NAN, 2.0], false, single, false), 2.0);
        // Skipping NaN in the maximum reads row 0 as fully masked.
        let (out, lse) = run(true);
        assert_eq!((out[0], lse[0]), (0.0, 0.0));
    }

    #[test]
    fn gradients_match_finite_differences() {
        let d = Dims {
            b: 1,
            h: 1,
            hk: 1,
            l: 3,
            s: 4,
            e: 2,
        };
        let q: Vec<f64> = (0..6).map(|i| (i as f64 * 0.7).sin()).collect();
        let k: Vec<f64> = (0..8).map(|i| (i as f64 * 0.3).cos()).collect();
        let v: Vec<f64> = (0..8).map(|i| i as f64 * 0.25 - 1.0).collect();
        let weights: Vec<f64> = (0..6).map(|i| 1.0 + i as f64 * 0.1).collect();
        let loss = |q: &[f64], k: &[f64], v: &[f64]| -> f64 {
            let (out, _) = forward_values(q, k, v, &d, true, 0.6);
            out.iter().zip(&weights).map(|(a, b)| a * b).sum()
        };
        let (out, lse) = forward_values(&q, &k, &v, &d, true, 0.6);
        let exact = Precision {
            dtype: DType::Float64,
        };
        let (mut dq, mut dk, mut dv) = (vec![0.0; 6], vec![0.0; 8], vec![0.0; 8]);
        head_backward(
            &HeadInputs {
                q: &q,
                k: &k,
                v: &v,
                out: &out,
                dout: &weights,
                lse: &lse,
                mask: None,
            },
            &d,
            true,
            0.6,
            exact,
            HeadGrads {
                dq: &mut dq,
                dk: &mut dk,
                dv: &mut dv,
            },
        );
        let eps = 1e-6;
        let check = |which: usize, grad: &[f64]| {
            for (i, &analytic) in grad.iter().enumerate() {
                let (mut qp, mut kp, mut vp) = (q.clone(), k.clone(), v.clone());
                [&mut qp, &mut kp, &mut vp][which][i] += eps;
                let numeric = (loss(&qp, &kp, &vp) - loss(&q, &k, &v)) / eps;
                assert!(
                    (numeric - analytic).abs() < 1e-4,
                    "{which}/{i}: {numeric} vs {analytic}"
                );
            }
        };
        check(0, &dq);
        check(1, &dk);
        check(2, &dv);
    }
}
