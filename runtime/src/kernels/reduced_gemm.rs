//! bfloat16 and float16 matrix products as PyTorch's CPU computes them when
//! its own loops run (not oneDNN): float32 arithmetic in the order and
//! with the fused multiply-adds of the loop the operands' layout selects,
//! one rounding to the dtype at the end. `mm`/`addmm` ([`product`]),
//! `bmm`/`baddbmm` ([`batched`]), `addbmm` ([`accumulated`]: one in-place
//! `addmm_` per batch entry), `mv`/`addmv` ([`gemv`]: gemv's loops and its
//! reduced-precision fast path) and `dot`/`vdot` ([`dot`]).
//!
//! Measured on torch 2.15 (x86-64, AVX-512 with bf16/fp16 oneDNN) against
//! products built to expose every summation order (pairs of products of
//! ±2^14..2^22 that cancel, at random positions), every `M, N, K` up to 70
//! with `M·N·K ≤ 4096`, both operands contiguous or transposed, no bias, a
//! row, column or full bias, `beta` 0, 0.3, 0.5 and 1, `alpha` 0.7, 1 and
//! 1.9: bit-exact for both dtypes.
//!
//! `addmm_impl_cpu_` fills the result with `self` (when `beta != 0`) and
//! calls `cpublas::gemm` on column-major views: for a contiguous result of
//! more than one column it swaps the operands (`c^T = m2^T · m1^T`), and each
//! operand is passed transposed or not by its strides. The four loops:
//!
//! - neither transposed, or both: each `dot` is four interleaved float sums
//!   (element `l` into sum `l % 4`, the last `k % 4` into sum 0, then
//!   `((s0 + s1) + s2) + s3`), and `c = fma(beta, c, alpha·dot)`
//!   (`c = alpha·dot` when `beta == 0`);
//! - `a` transposed: `dot` is the vectorised reduced-precision dot product
//!   (`dot_with_fp32_arith`, here with 8-float vectors): 8 registers of 8
//!   lanes over whole 64-element blocks, folded `r + r+4`, `r + r+2`,
//!   `r + r+1` and then lane `l + l^4`, `l^2`, `l^1`; then 16-element blocks
//!   into one 8-lane register (the low half, then the high half), folded
//!   the same way and added; then the rest one by one; `c` as above;
//! - `b` transposed: a float copy of `c` (`beta·c`, or `c` itself when
//!   `beta == 1`, zeros when 0) accumulates `fma(a, b·alpha, acc)` over `l`
//!   in order.
//!
//! Without vector kernels (`ATEN_CPU_CAPABILITY=default`, measured too)
//! the same loops fold a register's lanes in order (`((l0 + l1) + l2)…`)
//! and nothing is fused: `beta·c + alpha·dot` and `acc + a·(b·alpha)`
//! round each product.
//!
//! Products above `16³` multiply-adds with a non-zero `alpha` run oneDNN's
//! matmul instead (its blocked kernels sum even and odd `k` in separate
//! chains over blocks of 20 or 32; not modelled): [`product`] declines them.

use super::iter::broadcast_view;
use super::matmul::Bias;
use crate::error::Result;
use crate::tensor::dtype::DType;
use crate::tensor::{StorageData, Tensor, check_alloc};

/// Above this many multiply-adds (`m·n·k`) PyTorch hands a bfloat16/float16
/// GEMM with a non-zero `alpha` to oneDNN (`mkldnn_gemm`'s `16 * 16 * 16`).
pub(crate) const ONEDNN_MIN_WORK: usize = 16 * 16 * 16;

/// Which of `cpublas::gemm`'s loops a product runs, and whether the
/// operands were swapped for a row-major result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loop {
    /// Four interleaved sums (`gemm_notrans_`, `gemm_transab_`).
    Interleaved,
    /// The vectorised dot product (`gemm_transa_`).
    VectorDot,
    /// Accumulation into a float copy of the result (`gemm_transb_`).
    Accumulate,
}

/// `addmm_impl_cpu_`'s choice for `m1 [rows, k] @ m2 [k, cols]` into a
/// contiguous result: the loop, and whether the operands are swapped
/// (`transpose_c`).
pub(crate) fn plan((rows, cols, k): (i64, i64, i64), s1: [i64; 2], s2: [i64; 2]) -> (Loop, bool) {
    // A contiguous result is column-major only when it has one column.
    let swapped = cols != 1;
    let (m, n) = if swapped { (cols, rows) } else { (rows, cols) };
    let (x1, x2) = if swapped { (s2, s1) } else { (s1, s2) };
    let (lead, inner) = if swapped { (1, 0) } else { (0, 1) };
    let trans_a = if x1[lead] == 1 && x1[inner] >= m.max(1) {
        false
    } else if x1[inner] == 1 && x1[lead] >= k.max(1) {
        true
    } else {
        !swapped
    };
    let trans_b = if x2[lead] == 1 && x2[inner] >= k.max(1) {
        false
    } else if x2[inner] == 1 && x2[lead] >= n.max(1) {
        true
    } else {
        !swapped
    };
    let kernel = match (trans_a, trans_b) {
        (true, false) => Loop::VectorDot,
        (false, true) => Loop::Accumulate,
        _ => Loop::Interleaved,
    };
    (kernel, swapped)
}

/// `beta * bias + alpha * (m1 @ m2)` for 2-D bfloat16/float16 operands on
/// the GEMM loops PyTorch's CPU runs; `None` for other dtypes or ranks,
/// empty products and the products oneDNN takes (the caller's path).
/// `vectorised`: PyTorch ran its vector kernels ([`crate::cpu::CpuProfile`]).
pub(crate) fn product(
    op: &str,
    (m1, m2): (&Tensor, &Tensor),
    bias: Option<Bias<'_>>,
    alpha: f64,
    shape: &[i64],
    vectorised: bool,
) -> Result<Option<Tensor>> {
    let dtype = m1.dtype();
    if !matches!(dtype, DType::BFloat16 | DType::Float16) || m2.dtype() != dtype {
        return Ok(None);
    }
    let (&[rows, k], &[_, cols]) = (m1.shape(), m2.shape()) else {
        return Ok(None);
    };
    let (Ok(r), Ok(c), Ok(kk)) = (
        usize::try_from(rows),
        usize::try_from(cols),
        usize::try_from(k),
    ) else {
        return Ok(None);
    };
    let work = r.checked_mul(c).and_then(|v| v.checked_mul(kk));
    if r == 0 || c == 0 || kk == 0 || (alpha != 0.0 && work.is_none_or(|w| w > ONEDNN_MIN_WORK)) {
        return Ok(None);
    }
    let (&[a0, a1], &[b0, b1]) = (m1.stride(), m2.stride()) else {
        return Ok(None);
    };
    check_alloc(op, r * c)?;
    let (kernel, swapped) = plan((rows, cols, k), [a0, a1], [b0, b1]);
    let a = m1.read_f32(op)?;
    let b = m2.read_f32(op)?;
    let (acc, beta) = match bias {
        Some(bias) if bias.beta != 0.0 => (
            Some(broadcast_view(op, bias.tensor, shape)?.read_f32(op)?),
            bias.beta as f32,
        ),
        _ => (None, 0.0),
    };
    let g = Gemm {
        a: &a,
        b: &b,
        k: kk,
        cols: c,
        alpha: alpha as f32,
        vectorised,
    };
    let mut out = vec![0f32; r * c];
    for (e, o) in out.iter_mut().enumerate() {
        let (i, j) = (e / c, e % c);
        let bias = acc.as_ref().and_then(|v| v.get(e).copied());
        *o = g.element((kernel, swapped), i, j, bias.map(|v| (v, beta)));
    }
    store(op, dtype, shape, out).map(Some)
}

/// `out` rounded to `dtype` (bfloat16 or float16) as a contiguous tensor.
fn store(op: &str, dtype: DType, shape: &[i64], out: Vec<f32>) -> Result<Tensor> {
    let data = match dtype {
        DType::Float16 => StorageData::F16(out.into_iter().map(half::f16::from_f32).collect()),
        _ => StorageData::BF16(out.into_iter().map(half::bf16::from_f32).collect()),
    };
    Tensor::from_storage_data(op, shape, data)
}

/// `v` rounded to `dtype` (bfloat16 or float16) and back.
fn round_to(dtype: DType, v: f32) -> f32 {
    match dtype {
        DType::Float16 => half::f16::from_f32(v).to_f32(),
        _ => half::bf16::from_f32(v).to_f32(),
    }
}

/// `bmm` and `baddbmm` of bfloat16/float16 operands `[batch, rows, k] @
/// [batch, k, cols]` as PyTorch's CPU computes them below oneDNN's
/// threshold (`batch·rows·k·cols <= 16³`): when `k·rows·cols < 400` its
/// naive batched loop (`baddbmm_cpu_kernel`), one float sum per element in
/// order, then `alpha·sum` (`beta == 0`) or `c·beta + alpha·sum` unfused,
/// `beta` and `alpha` in float; otherwise each batch entry on the GEMM
/// loops as a 2-D `addmm` of its matrices' strides into the result that
/// already holds `self`. Measured bit-exact on torch 2.15 (AVX-512) over
/// products of every layout with cancelling terms, with and without a
/// bias. `None` for other dtypes, empty products and oneDNN's.
pub(crate) fn batched(
    op: &str,
    (b1, b2): (&Tensor, &Tensor),
    bias: Option<Bias<'_>>,
    alpha: f64,
    shape: &[i64],
    vectorised: bool,
) -> Result<Option<Tensor>> {
    let dtype = b1.dtype();
    if !matches!(dtype, DType::BFloat16 | DType::Float16) || b2.dtype() != dtype {
        return Ok(None);
    }
    let (&[batch, rows, k], &[_, _, cols]) = (b1.shape(), b2.shape()) else {
        return Ok(None);
    };
    let dims = [batch, rows, k, cols].map(usize::try_from);
    let [Ok(nb), Ok(r), Ok(kk), Ok(c)] = dims else {
        return Ok(None);
    };
    let work = [nb, r, kk, c]
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if work.is_none_or(|w| w == 0 || w > ONEDNN_MIN_WORK) {
        return Ok(None);
    }
    let (&[_, a0, a1], &[_, b0, b1s]) = (b1.stride(), b2.stride()) else {
        return Ok(None);
    };
    let naive = kk * r * c < 400;
    let plan = plan((rows, cols, k), [a0, a1], [b0, b1s]);
    let (a, b) = (b1.read_f32(op)?, b2.read_f32(op)?);
    let (acc, beta) = match bias {
        Some(bias) if bias.beta != 0.0 => (
            Some(broadcast_view(op, bias.tensor, shape)?.read_f32(op)?),
            bias.beta as f32,
        ),
        _ => (None, 0.0),
    };
    let alpha = alpha as f32;
    let mut out = Vec::with_capacity(nb * r * c);
    for e in 0..nb {
        let g = Gemm {
            a: a.get(e * r * kk..(e + 1) * r * kk).unwrap_or_default(),
            b: b.get(e * kk * c..(e + 1) * kk * c).unwrap_or_default(),
            k: kk,
            cols: c,
            alpha,
            vectorised,
        };
        for (i, j) in (0..r).flat_map(|i| (0..c).map(move |j| (i, j))) {
            let bias = acc.as_ref().and_then(|v| v.get(out.len()).copied());
            out.push(if naive {
                let sum = (0..kk).fold(0f32, |acc, l| acc + g.p(i, j, l));
                match bias {
                    Some(c) => c * beta + alpha * sum,
                    None => alpha * sum,
                }
            } else {
                g.element(plan, i, j, bias.map(|v| (v, beta)))
            });
        }
    }
    store(op, dtype, shape, out).map(Some)
}

/// `addbmm` of bfloat16/float16 operands as PyTorch's CPU computes it: the
/// result starts as a copy of `self` and each batch entry is an in-place
/// `addmm_` into it on the GEMM loops (`beta` for the first, 1 after),
/// rounded to the dtype after every entry. `None` for other dtypes, empty
/// products and entries oneDNN takes (`rows·k·cols > 16³`, `alpha != 0`).
pub(crate) fn accumulated(
    op: &str,
    (b1, b2): (&Tensor, &Tensor),
    bias: Bias<'_>,
    alpha: f64,
    shape: &[i64],
    vectorised: bool,
) -> Result<Option<Tensor>> {
    let dtype = b1.dtype();
    if !matches!(dtype, DType::BFloat16 | DType::Float16) || b2.dtype() != dtype {
        return Ok(None);
    }
    let (&[batch, rows, k], &[_, _, cols]) = (b1.shape(), b2.shape()) else {
        return Ok(None);
    };
    let dims = [batch, rows, k, cols].map(usize::try_from);
    let [Ok(nb), Ok(r), Ok(kk), Ok(c)] = dims else {
        return Ok(None);
    };
    let work = r.checked_mul(c).and_then(|v| v.checked_mul(kk));
    if [nb, r, kk, c].contains(&0) || (alpha != 0.0 && work.is_none_or(|w| w > ONEDNN_MIN_WORK)) {
        return Ok(None);
    }
    let (&[_, a0, a1], &[_, b0, b1s]) = (b1.stride(), b2.stride()) else {
        return Ok(None);
    };
    let plan = plan((rows, cols, k), [a0, a1], [b0, b1s]);
    let (a, b) = (b1.read_f32(op)?, b2.read_f32(op)?);
    let mut acc = broadcast_view(op, bias.tensor, shape)?.read_f32(op)?;
    let mut beta = bias.beta as f32;
    for e in 0..nb {
        let g = Gemm {
            a: a.get(e * r * kk..(e + 1) * r * kk).unwrap_or_default(),
            b: b.get(e * kk * c..(e + 1) * kk * c).unwrap_or_default(),
            k: kk,
            cols: c,
            alpha: alpha as f32,
            vectorised,
        };
        for (idx, v) in acc.iter_mut().enumerate() {
            let bias = (beta != 0.0).then_some((*v, beta));
            *v = round_to(dtype, g.element(plan, idx / c, idx % c, bias));
        }
        beta = 1.0;
    }
    store(op, dtype, shape, acc).map(Some)
}

/// `mv` and `addmv` of bfloat16/float16 operands as PyTorch's CPU computes
/// them (`addmv_out_cpu` into `gemv`), below oneDNN's threshold for
/// bfloat16 (`rows·k <= 16³`; float16 goes to oneDNN only on CPUs with
/// AVX512-FP16 or AMX-FP16, not modelled). `beta` and `alpha` are rounded
/// to the dtype; the result starts as a copy of `self` (`beta != 0`).
///
/// - A column-major matrix (stride 1 down the rows, or one column) runs
///   gemv's non-transposed loop: `self` scaled by `beta` in the dtype
///   (unless `beta` is 0 or 1); a float sum per row accumulating
///   `(alpha·vec[j])·mat[i, j]` over `j` in order; the sum rounded to the
///   dtype, then added to the scaled `self` and rounded again.
/// - Otherwise (a contiguous copy when neither stride is 1) the transposed
///   loop. Its fast path (a unit-stride vector, `alpha == 1`, and for
///   bfloat16 `beta == 0`) sums each row with the vectorised
///   `dot_with_fp32_arith` of 8-float vectors (as `mm`'s transposed loop
///   does), then `dot`, `self + dot` or `beta·self + dot` in float. Other
///   calls run the generic loop: a float sum of the exact products in
///   order, then `alpha·sum` or `dtype(beta·self) + alpha·sum`.
///
/// Measured bit-exact on torch 2.15 (AVX-512) over thousands of rows of
/// both dtypes with cancelling terms: k up to 1000, contiguous,
/// transposed and strided matrices, strided vectors, `beta` 0, 0.3, 0.5
/// and 1, `alpha` 0.7, 1, 1.5 and 1.9, a full and a one-element `self`.
/// `in_order` (the `reduced-mv-in-order` fault) takes the generic loop
/// where the fast path runs.
pub(crate) fn gemv(
    op: &str,
    (mat, vec): (&Tensor, &Tensor),
    bias: Option<Bias<'_>>,
    alpha: f64,
    vectorised: bool,
    in_order: bool,
) -> Result<Option<Tensor>> {
    let dtype = mat.dtype();
    if !matches!(dtype, DType::BFloat16 | DType::Float16) || vec.dtype() != dtype {
        return Ok(None);
    }
    let (&[rows, k], &[s0, s1]) = (mat.shape(), mat.stride()) else {
        return Ok(None);
    };
    let (Ok(r), Ok(kk)) = (usize::try_from(rows), usize::try_from(k)) else {
        return Ok(None);
    };
    if r == 0 || (dtype == DType::BFloat16 && r.saturating_mul(kk) > ONEDNN_MIN_WORK) {
        return Ok(None);
    }
    let shape = [rows];
    let round = |v: f64| round_to(dtype, v as f32);
    let (beta, alpha) = (bias.as_ref().map_or(0.0, |b| round(b.beta)), round(alpha));
    let y = match bias {
        Some(b) if b.beta != 0.0 => broadcast_view(op, b.tensor, &shape)?.read_f32(op)?,
        _ => vec![0f32; r],
    };
    check_alloc(op, r)?;
    if kk == 0 {
        // `self` times the dtype's `beta` (zeros when `beta == 0`)
        let out = y
            .iter()
            .map(|&c| if beta == 0.0 { 0.0 } else { c * beta })
            .collect();
        return store(op, dtype, &shape, out).map(Some);
    }
    let a = mat.read_f32(op)?;
    let x = vec.read_f32(op)?;
    let p = |i: usize, j: usize| x[j] * a[i * kk + j];
    let column_major = s0 == 1 && (kk == 1 || s1 >= rows.max(1));
    let fast = !column_major
        && !in_order
        && vec.stride() == [1]
        && alpha == 1.0
        && (dtype == DType::Float16 || beta == 0.0);
    let out = (0..r).map(|i| {
        if column_major {
            let sum = (0..kk).fold(0f32, |s, j| s + (alpha * x[j]) * a[i * kk + j]);
            let c = if beta == 0.0 || beta == 1.0 {
                y[i]
            } else {
                round_to(dtype, beta * y[i])
            };
            return if beta == 0.0 {
                sum
            } else {
                c + round_to(dtype, sum)
            };
        }
        if fast {
            let dot = dot_with_fp32_arith(kk, |j| p(i, j), 8, vectorised);
            return match beta {
                0.0 => dot,
                1.0 => y[i] + dot,
                _ if vectorised => beta.mul_add(y[i], dot),
                _ => beta * y[i] + dot,
            };
        }
        let sum = (0..kk).fold(0f32, |s, j| s + p(i, j));
        if beta == 0.0 {
            alpha * sum
        } else {
            round_to(dtype, beta * y[i]) + alpha * sum
        }
    });
    store(op, dtype, &shape, out.collect()).map(Some)
}

/// `dot` (and `vdot`) of bfloat16/float16 vectors as PyTorch's CPU
/// computes them (oneDNN does not take them): the vectorised
/// `dot_with_fp32_arith` of 8-float vectors over the exact products,
/// rounded to the dtype. Measured bit-exact on torch 2.15 over lengths
/// 1..1000 and 4096..8192, contiguous and strided, with cancelling terms.
/// `in_order` (the `reduced-mv-in-order` fault): one float sum in order.
pub(crate) fn dot(
    op: &str,
    (x, y): (&Tensor, &Tensor),
    vectorised: bool,
    in_order: bool,
) -> Result<Option<Tensor>> {
    let dtype = x.dtype();
    if !matches!(dtype, DType::BFloat16 | DType::Float16) || y.dtype() != dtype {
        return Ok(None);
    }
    let (xs, ys) = (x.read_f32(op)?, y.read_f32(op)?);
    let p = |l: usize| xs.get(l).copied().unwrap_or(0.0) * ys.get(l).copied().unwrap_or(0.0);
    let sum = if in_order {
        (0..xs.len()).fold(0f32, |s, l| s + p(l))
    } else {
        dot_with_fp32_arith(xs.len(), p, 8, vectorised)
    };
    store(op, dtype, &[], vec![sum]).map(Some)
}

/// Row-major float copies of `m1 [rows, k]` and `m2 [k, cols]`.
struct Gemm<'a> {
    a: &'a [f32],
    b: &'a [f32],
    k: usize,
    cols: usize,
    alpha: f32,
    /// Vector kernels: lanes folded as a tree, multiply-adds fused.
    vectorised: bool,
}

impl Gemm<'_> {
    /// Element `(i, j)` of `beta·c + alpha·(m1 @ m2)` on `kernel`.
    fn element(
        &self,
        (kernel, swapped): (Loop, bool),
        i: usize,
        j: usize,
        bias: Option<(f32, f32)>,
    ) -> f32 {
        match kernel {
            Loop::Accumulate => self.accumulate(i, j, bias, swapped),
            Loop::Interleaved => self.finish(self.interleaved(i, j), bias),
            Loop::VectorDot => self.finish(self.vector_dot(i, j), bias),
        }
    }

    /// `beta * c + alpha * dot` as the loops write it (`alpha * dot` alone
    /// when `beta == 0`): one fused multiply-add in the vector build (the
    /// compiler contracts it), two roundings without.
    fn finish(&self, dot: f32, bias: Option<(f32, f32)>) -> f32 {
        match bias {
            Some((c, beta)) if self.vectorised => beta.mul_add(c, self.alpha * dot),
            Some((c, beta)) => beta * c + self.alpha * dot,
            None => self.alpha * dot,
        }
    }

    fn m1(&self, i: usize, l: usize) -> f32 {
        self.a.get(i * self.k + l).copied().unwrap_or(0.0)
    }

    fn m2(&self, l: usize, j: usize) -> f32 {
        self.b.get(l * self.cols + j).copied().unwrap_or(0.0)
    }

    /// `m1[i, l] · m2[l, j]`, exact in float32 for bfloat16/float16 values
    /// (8 or 11 significant bits each) away from underflow.
    fn p(&self, i: usize, j: usize, l: usize) -> f32 {
        self.m1(i, l) * self.m2(l, j)
    }

    /// `cpublas::sum` with four partial sums.
    fn interleaved(&self, i: usize, j: usize) -> f32 {
        interleaved_sum(self.k, |l| self.p(i, j, l))
    }

    /// `dot_with_fp32_arith` with 8-lane float vectors.
    fn vector_dot(&self, i: usize, j: usize) -> f32 {
        dot_with_fp32_arith(self.k, |l| self.p(i, j, l), 8, self.vectorised)
    }

    /// `gemm_transb_`: a float copy of the result accumulates
    /// `a · (b · alpha)` over `l` with fused multiply-adds; `b` is `m1`'s
    /// row when the operands are swapped, `m2`'s column otherwise.
    fn accumulate(&self, i: usize, j: usize, bias: Option<(f32, f32)>, swapped: bool) -> f32 {
        let mut acc = match bias {
            Some((c, 1.0)) => c,
            Some((c, beta)) => beta * c,
            None => 0.0,
        };
        for l in 0..self.k {
            let (scaled, other) = if swapped {
                (self.m1(i, l), self.m2(l, j))
            } else {
                (self.m2(l, j), self.m1(i, l))
            };
            let val = scaled * self.alpha;
            acc = if self.vectorised {
                other.mul_add(val, acc)
            } else {
                acc + other * val
            };
        }
        acc
    }
}

/// `cpublas::sum` of `len` products `p(l)` with four partial float sums:
/// element `l` into sum `l % 4`, the last `len % 4` into sum 0, then
/// `((s0 + s1) + s2) + s3`.
pub(crate) fn interleaved_sum(len: usize, p: impl Fn(usize) -> f32) -> f32 {
    let mut s = [0f32; 4];
    let whole = len / 4 * 4;
    for l in (0..whole).step_by(4) {
        for (q, part) in s.iter_mut().enumerate() {
            *part += p(l + q);
        }
    }
    for l in whole..len {
        s[0] += p(l);
    }
    ((s[0] + s[1]) + s[2]) + s[3]
}

/// The widest float register modelled (AVX-512's 16 lanes).
const MAX_LANES: usize = 16;

/// `vec_reduce_all` of one register: with vector kernels lanes
/// `l + l^(lanes/2)`, then half as far apart down to `l^1` (lane 0's
/// value); without, the lanes in order.
fn fold_lanes(v: &mut [f32], vectorised: bool) -> f32 {
    let Some(&first) = v.first() else {
        return 0.0;
    };
    if !vectorised {
        return v.iter().skip(1).fold(first, |acc, &x| acc + x);
    }
    let mut step = v.len() / 2;
    let mut prev = [0f32; MAX_LANES];
    while step > 0 {
        prev[..v.len()].copy_from_slice(v);
        for (l, x) in v.iter_mut().enumerate() {
            *x = prev[l] + prev.get(l ^ step).copied().unwrap_or(0.0);
        }
        step /= 2;
    }
    v[0]
}

/// `dot_with_fp32_arith` over `len` products `p(l)` with `lanes`-float
/// vectors: 8 registers over whole `8·lanes`-element blocks (element `e`
/// of a block into register `e / lanes`, lane `e % lanes`), the registers
/// folded `r + r+4`, `r + r+2`, `r + r+1` and then the lanes
/// ([`fold_lanes`]); then `2·lanes`-element blocks into one register (the
/// low half, then the high half), folded and added; then the rest one by
/// one. Products of two bfloat16/float16 values are exact in float, so the
/// loop's fused multiply-adds round like a sum of products.
pub(crate) fn dot_with_fp32_arith(
    len: usize,
    p: impl Fn(usize) -> f32,
    lanes: usize,
    vectorised: bool,
) -> f32 {
    const REGS: usize = 8;
    let lanes = lanes.clamp(1, MAX_LANES);
    let block = lanes * REGS;
    let aligned = len / block * block;
    let mut sums = [[0f32; MAX_LANES]; REGS];
    for base in (0..aligned).step_by(block) {
        for (q, reg) in sums.iter_mut().enumerate() {
            for (l, lane) in reg[..lanes].iter_mut().enumerate() {
                *lane += p(base + q * lanes + l);
            }
        }
    }
    let mut width = REGS;
    while width > 1 {
        width /= 2;
        for q in 0..width {
            let upper = sums[q + width];
            sums[q].iter_mut().zip(upper).for_each(|(x, y)| *x += y);
        }
    }
    let mut total = fold_lanes(&mut sums[0][..lanes], vectorised);
    let pair = 2 * lanes;
    let vectors = len / pair * pair;
    let mut tail = [0f32; MAX_LANES];
    for base in (aligned..vectors).step_by(pair) {
        for half in [0, lanes] {
            for (l, lane) in tail[..lanes].iter_mut().enumerate() {
                *lane += p(base + half + l);
            }
        }
    }
    total += fold_lanes(&mut tail[..lanes], vectorised);
    for l in vectors..len {
        total += p(l);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loop_follows_the_operands_layout() {
        // Linear: x [8, 6] @ w.t() [6, 12] (w contiguous [12, 6])
        assert_eq!(plan((8, 12, 6), [6, 1], [1, 6]), (Loop::VectorDot, true));
        // one output column: the result is column-major, no swap
        assert_eq!(plan((8, 1, 6), [6, 1], [1, 6]), (Loop::VectorDot, false));
        // weight gradient: g.t() [12, 8] @ x [8, 6]
        assert_eq!(plan((12, 6, 8), [1, 12], [6, 1]), (Loop::Accumulate, true));
        // input gradient: g [8, 12] @ w [12, 6]
        assert_eq!(plan((8, 6, 12), [12, 1], [6, 1]), (Loop::Interleaved, true));
        // both transposed
        assert_eq!(plan((8, 6, 12), [1, 8], [1, 12]), (Loop::Interleaved, true));
    }

    fn bf16(v: f32) -> f32 {
        half::bf16::from_f32(v).to_f32()
    }

    #[test]
    fn each_loop_sums_in_its_own_order() {
        // 1 x 16 @ 16 x 1 with +2^24 at 0, -2^24 at 1 and 1 at 2: the
        // 1 is lost wherever it meets +2^24 first.
        let mut a = vec![0f32; 16];
        a[0] = 4096.0;
        a[1] = -4096.0;
        a[2] = 1.0 / 4096.0;
        let b = vec![4096f32; 16];
        let g = Gemm {
            a: &a,
            b: &b,
            k: 16,
            cols: 1,
            alpha: 1.0,
            vectorised: true,
        };
        // (s0 + s1) cancels before s2 = 1 joins
        assert_eq!(g.interleaved(0, 0), 1.0);
        // lane 0 meets lane 2 (the 1 is lost) before lane 1: as torch 2.15
        // gives for this probe
        assert_eq!(g.vector_dot(0, 0), 0.0);
        // in order: 2^24 - 2^24 + 1
        assert_eq!(g.accumulate(0, 0, None, false), 1.0);
        // a bias of 0.5 starts the accumulator and is lost against 2^24
        assert_eq!(bf16(g.accumulate(0, 0, Some((0.5, 1.0)), false)), 1.0);
    }

    #[test]
    fn folding_pairs_lanes_four_then_two_then_one_apart() {
        let v = [1e8f32, 1.0, 1.0, 1.0, -1e8, 0.0, 0.0, 0.0];
        // (1e8 + -1e8) + (1 + 0) + ((1 + 0) + (1 + 0))
        assert_eq!(fold_lanes(&mut v.clone(), true), 3.0);
        // in order: 1e8 + 1 + 1 + 1 is 1e8 in float, minus 1e8
        assert_eq!(fold_lanes(&mut v.clone(), false), 0.0);
    }

    /// A row of 17 float16 products, two of ±2^24·1.0625 that cancel
    /// (torch 2.15: `dot` and `mv` give 1961, the exact sum 1960.7 rounded;
    /// in order the float sum keeps 1962).
    fn cancelling_row() -> (Vec<f32>, Vec<f32>) {
        let a = [
            -0.46875,
            0.6875,
            3.46875,
            17408.0,
            0.011_596_68,
            -37.0,
            -6.0,
            -0.140625,
            3.25,
            428.0,
            0.043_945_312,
            0.004_638_672,
            0.008_544_922,
            -0.013_061_523,
            74.0,
            -17408.0,
            -0.019_531_25,
        ];
        let x = [
            704.0,
            1024.0,
            1.25,
            1024.0,
            -44.0,
            -52.0,
            0.039_062_5,
            1024.0,
            0.010_375_977,
            -0.492_187_5,
            180.0,
            -432.0,
            1024.0,
            0.75,
            -0.012_451_172,
            1024.0,
            -0.103_515_625,
        ];
        (a.to_vec(), x.to_vec())
    }

    fn half_tensor(shape: &[i64], v: &[f32]) -> Tensor {
        let data = StorageData::F16(v.iter().map(|&x| half::f16::from_f32(x)).collect());
        Tensor::from_storage_data("test", shape, data).expect("test tensor")
    }

    fn bf16_tensor(shape: &[i64], v: &[f32]) -> Tensor {
        let data = StorageData::BF16(v.iter().map(|&x| half::bf16::from_f32(x)).collect());
        Tensor::from_storage_data("test", shape, data).expect("test tensor")
    }

    fn values(t: Result<Option<Tensor>>) -> Vec<f32> {
        t.expect("a product")
            .expect("on the loops")
            .read_f32("test")
            .expect("its values")
    }

    #[test]
    fn dot_and_mv_run_the_vector_dot_and_strided_vectors_the_loop() {
        let (a, x) = cancelling_row();
        let (m, v) = (half_tensor(&[1, 17], &a), half_tensor(&[17], &x));
        let row = half_tensor(&[17], &a);
        assert_eq!(values(dot("test", (&row, &v), true, false)), [1961.0]);
        assert_eq!(
            values(gemv("test", (&m, &v), None, 1.0, true, false)),
            [1961.0]
        );
        // the `reduced-mv-in-order` fault keeps the in-order sum
        assert_eq!(values(dot("test", (&row, &v), true, true)), [1962.0]);
        // a vector of stride 2 takes gemv's generic loop (torch: 1962)
        let wide: Vec<f32> = x.iter().flat_map(|&e| [e, 0.0]).collect();
        let strided = half_tensor(&[34], &wide).alias_with(vec![17], vec![2], 0);
        assert_eq!(
            values(gemv("test", (&m, &strided), None, 1.0, true, false)),
            [1962.0]
        );
    }

    #[test]
    fn a_column_major_matrix_rounds_its_sum_before_the_bias() {
        // addmv([1, 3], [[300, 1], [7, 0.5]], [1, 2^-8]) in bfloat16: torch
        // 2.15 gives [300, 10] for the column-major matrix (300.004 rounds
        // to 300, then 301 ties to even) and [302, 10] for the contiguous
        // one (1 + 300.004 rounds once).
        let bias = bf16_tensor(&[2], &[1.0, 3.0]);
        let v = bf16_tensor(&[2], &[1.0, 0.003_906_25]);
        let rows = bf16_tensor(&[2, 2], &[300.0, 1.0, 7.0, 0.5]);
        let cols =
            bf16_tensor(&[2, 2], &[300.0, 7.0, 1.0, 0.5]).alias_with(vec![2, 2], vec![1, 2], 0);
        let b = || {
            Some(Bias {
                tensor: &bias,
                beta: 1.0,
            })
        };
        assert_eq!(
            values(gemv("test", (&cols, &v), b(), 1.0, true, false)),
            [300.0, 10.0]
        );
        assert_eq!(
            values(gemv("test", (&rows, &v), b(), 1.0, true, false)),
            [302.0, 10.0]
        );
    }

    #[test]
    fn batched_products_with_a_bias() {
        // [256, 1, -256] . [256, 1, 256] = 1 in float; torch 2.15:
        // baddbmm(0.3, .., beta=0.5, alpha=1.5) = 1.6484375 and addbmm over
        // two such entries 3.15625 (1.6484375 rounded, then + 1.5)
        let b1 = bf16_tensor(&[1, 1, 3], &[256.0, 1.0, -256.0]);
        let b2 = bf16_tensor(&[1, 3, 1], &[256.0, 1.0, 256.0]);
        let c = bf16_tensor(&[1, 1, 1], &[0.3]);
        let bias = Some(Bias {
            tensor: &c,
            beta: 0.5,
        });
        let out = batched("test", (&b1, &b2), bias, 1.5, &[1, 1, 1], true);
        assert_eq!(values(out), [1.648_437_5]);
        let two1 = bf16_tensor(&[2, 1, 3], &[256.0, 1.0, -256.0, 256.0, 1.0, -256.0]);
        let two2 = bf16_tensor(&[2, 3, 1], &[256.0, 1.0, 256.0, 256.0, 1.0, 256.0]);
        let c2 = bf16_tensor(&[1, 1], &[0.3]);
        let out = accumulated(
            "test",
            (&two1, &two2),
            Bias {
                tensor: &c2,
                beta: 0.5,
            },
            1.5,
            &[1, 1],
            true,
        );
        assert_eq!(values(out), [3.156_25]);
    }
}
