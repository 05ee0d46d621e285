//! bfloat16 and float16 `mm`/`addmm` as PyTorch's CPU computes them when
//! its own GEMM loops run (not oneDNN): float32 arithmetic in the order and
//! with the fused multiply-adds of the loop the operands' layout selects,
//! one rounding to the dtype at the end.
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
        *o = match kernel {
            Loop::Accumulate => g.accumulate(i, j, bias.map(|v| (v, beta)), swapped),
            Loop::Interleaved => g.finish(g.interleaved(i, j), bias.map(|v| (v, beta))),
            Loop::VectorDot => g.finish(g.vector_dot(i, j), bias.map(|v| (v, beta))),
        };
    }
    let data = match dtype {
        DType::Float16 => StorageData::F16(out.into_iter().map(half::f16::from_f32).collect()),
        _ => StorageData::BF16(out.into_iter().map(half::bf16::from_f32).collect()),
    };
    Tensor::from_storage_data(op, shape, data).map(Some)
}

/// `bmm` of bfloat16/float16 operands `[batch, rows, k] @ [batch, k, cols]`
/// as PyTorch's CPU computes it below oneDNN's threshold (`batch·rows·k·cols
/// <= 16³`): when `k·rows·cols < 400` its naive batched loop, one float
/// sum per element in order (`baddbmm_cpu_kernel`); otherwise each batch
/// entry on the GEMM loops as a 2-D product of its matrices' strides.
/// Measured bit-exact on torch 2.15 (AVX-512) over 116 products of every
/// layout with cancelling terms. `None` for other dtypes, empty products
/// and oneDNN's.
pub(crate) fn batched(
    op: &str,
    (b1, b2): (&Tensor, &Tensor),
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
    let (kernel, swapped) = plan((rows, cols, k), [a0, a1], [b0, b1s]);
    let (a, b) = (b1.read_f32(op)?, b2.read_f32(op)?);
    let mut out = Vec::with_capacity(nb * r * c);
    for e in 0..nb {
        let g = Gemm {
            a: a.get(e * r * kk..(e + 1) * r * kk).unwrap_or_default(),
            b: b.get(e * kk * c..(e + 1) * kk * c).unwrap_or_default(),
            k: kk,
            cols: c,
            alpha: 1.0,
            vectorised,
        };
        for (i, j) in (0..r).flat_map(|i| (0..c).map(move |j| (i, j))) {
            out.push(match kernel {
                _ if naive => (0..kk).fold(0f32, |acc, l| acc + g.p(i, j, l)),
                Loop::Accumulate => g.accumulate(i, j, None, swapped),
                Loop::Interleaved => g.finish(g.interleaved(i, j), None),
                Loop::VectorDot => g.finish(g.vector_dot(i, j), None),
            });
        }
    }
    let data = match dtype {
        DType::Float16 => StorageData::F16(out.into_iter().map(half::f16::from_f32).collect()),
        _ => StorageData::BF16(out.into_iter().map(half::bf16::from_f32).collect()),
    };
    Tensor::from_storage_data(op, shape, data).map(Some)
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
        let mut s = [0f32; 4];
        let whole = self.k / 4 * 4;
        for l in (0..whole).step_by(4) {
            for (q, part) in s.iter_mut().enumerate() {
                *part += self.p(i, j, l + q);
            }
        }
        for l in whole..self.k {
            s[0] += self.p(i, j, l);
        }
        ((s[0] + s[1]) + s[2]) + s[3]
    }

    /// `dot_with_fp32_arith` with 8-lane float vectors.
    fn vector_dot(&self, i: usize, j: usize) -> f32 {
        const LANES: usize = 8;
        const REGS: usize = 8;
        const BLOCK: usize = LANES * REGS;
        const HALF_VECTOR: usize = 2 * LANES;
        let aligned = self.k / BLOCK * BLOCK;
        let mut sums = [[0f32; LANES]; REGS];
        for base in (0..aligned).step_by(BLOCK) {
            for (q, reg) in sums.iter_mut().enumerate() {
                for (l, lane) in reg.iter_mut().enumerate() {
                    *lane += self.p(i, j, base + q * LANES + l);
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
        let mut total = fold_lanes(sums[0], self.vectorised);
        let vectors = self.k / HALF_VECTOR * HALF_VECTOR;
        let mut tail = [0f32; LANES];
        for base in (aligned..vectors).step_by(HALF_VECTOR) {
            for half in [0, LANES] {
                for (l, lane) in tail.iter_mut().enumerate() {
                    *lane += self.p(i, j, base + half + l);
                }
            }
        }
        total += fold_lanes(tail, self.vectorised);
        for l in vectors..self.k {
            total += self.p(i, j, l);
        }
        total
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

/// `vec_reduce_all` of one 8-lane register: with vector kernels lanes
/// `l + l^4`, then `l^2`, then `l^1` (lane 0's value); without, the lanes
/// in order.
fn fold_lanes(mut v: [f32; 8], vectorised: bool) -> f32 {
    if !vectorised {
        return v.iter().skip(1).fold(v[0], |acc, &x| acc + x);
    }
    for step in [4, 2, 1] {
        let prev = v;
        for (l, x) in v.iter_mut().enumerate() {
            *x = prev[l] + prev[l ^ step];
        }
    }
    v[0]
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
        assert_eq!(fold_lanes(v, true), 3.0);
        // in order: 1e8 + 1 + 1 + 1 is 1e8 in float, minus 1e8
        assert_eq!(fold_lanes(v, false), 0.0);
    }
}
