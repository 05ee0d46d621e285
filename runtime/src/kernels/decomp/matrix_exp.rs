//! `linalg_matrix_exp` as ATen's CPU `mexp` computes it (Bader, Blanes and
//! Casas' optimized Taylor polynomials): each matrix's operator 1-norm
//! (largest absolute column sum) picks the degree — 1, 2, 4, 8 or 12 when
//! the norm lies in `(θ_{i−1}, θ_i]`, else degree 18 on `A / 2^s` squared
//! `s = max(0, ⌈log2(norm / θ_18)⌉)` times — with the per-dtype thresholds
//! θ ATen uses (float32 and float64 differ). A norm at exactly θ_12 takes
//! degree 18 (ATen writes that result last); a NaN norm leaves NaN.
//!
//! Every step rounds to the dtype as ATen's tensor operations do: matrix
//! products once (f64 accumulation), the coefficient sums
//! (`_compute_linear_combination`: `0 + c_0·X_0 + c_1·X_1 + …`) and in-place
//! additions term by term. Results are contiguous; `n = 1` is `exp`, an
//! empty matrix a copy.

// The thresholds and polynomial coefficients are written as ATen writes
// them (more digits than an f64 holds; each rounds to the same double).
#![allow(clippy::excessive_precision)]

use super::{Stack, float_dtype, square};
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::contiguous_strides;

/// One `n×n` row-major matrix and the rounding of its dtype.
#[derive(Clone, Copy)]
struct Prec {
    dtype: DType,
}

impl Prec {
    fn r(self, x: f64) -> f64 {
        cast_value(self.dtype, x)
    }

    fn single(self) -> bool {
        self.dtype == DType::Float32
    }

    fn mm(self, a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..n {
                    s += a[i * n + p] * b[p * n + j];
                }
                out[i * n + j] = self.r(s);
            }
        }
        out
    }

    /// `sum_j c[j]·xs[j]`, accumulated from zero in the dtype.
    fn lincomb(self, xs: &[&[f64]], c: &[f64]) -> Vec<f64> {
        let len = xs.first().map_or(0, |x| x.len());
        (0..len)
            .map(|e| {
                xs.iter()
                    .zip(c)
                    .fold(0.0, |acc, (x, &ci)| self.r(acc + self.r(x[e] * self.r(ci))))
            })
            .collect()
    }

    /// `a += b` in the dtype.
    fn add_(self, a: &mut [f64], b: &[f64]) {
        a.iter_mut().zip(b).for_each(|(x, &y)| *x = self.r(*x + y));
    }
}

fn identity(n: usize) -> Vec<f64> {
    let mut i = vec![0.0; n * n];
    for d in 0..n {
        i[d * n + d] = 1.0;
    }
    i
}

/// ATen's thresholds θ for degrees 1, 2, 4, 8, 12, 18.
fn thetas(single: bool) -> [f64; 6] {
    if single {
        [
            1.192092800768788e-07,
            5.978858893805233e-04,
            5.116619363445086e-02,
            5.800524627688768e-01,
            1.461661507209034e+00,
            3.010066362817634e+00,
        ]
        .map(|t| f64::from(t as f32))
    } else {
        [
            2.220446049250313e-16,
            2.580956802971767e-08,
            3.397168839976962e-04,
            4.991228871115323e-02,
            2.996158913811580e-01,
            1.090863719290036e+00,
        ]
    }
}

/// `[I, A, A², A³, A⁶]`, the first `count`.
fn powers(p: Prec, a: &[f64], n: usize, count: usize) -> Vec<Vec<f64>> {
    let mut v = vec![identity(n), a.to_vec()];
    if count > 2 {
        v.push(p.mm(a, a, n));
    }
    if count > 3 {
        v.push(p.mm(&v[1], &v[2], n));
    }
    if count > 4 {
        v.push(p.mm(&v[3], &v[3], n));
    }
    v
}

fn refs(v: &[Vec<f64>]) -> Vec<&[f64]> {
    v.iter().map(Vec::as_slice).collect()
}

/// `I + A`.
fn t1(p: Prec, a: &[f64], n: usize) -> Vec<f64> {
    let v = powers(p, a, n, 2);
    v[0].iter().zip(&v[1]).map(|(x, y)| p.r(x + y)).collect()
}

/// `I + A + A²/2`.
fn t2(p: Prec, a: &[f64], n: usize) -> Vec<f64> {
    let v = powers(p, a, n, 3);
    (0..n * n)
        .map(|e| p.r(p.r(v[0][e] + v[1][e]) + p.r(v[2][e] / 2.0)))
        .collect()
}

/// `I + A + A²·(I/2 + A/6 + A²/24)`.
fn t4(p: Prec, a: &[f64], n: usize) -> Vec<f64> {
    let mut v = powers(p, a, n, 3);
    let inner = p.lincomb(&refs(&v[0..3]), &[1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0]);
    v.push(p.mm(&v[2], &inner, n));
    p.lincomb(&refs(&v), &[1.0, 1.0, 0.0, 1.0])
}

/// Degree 8: `I + A + y2·A² + A8`, `A4 = A²(x1·A + x2·A²)`,
/// `A8 = (x3·A² + A4)(x4·I + x5·A + x6·A² + x7·A4)`.
fn t8(p: Prec, a: &[f64], n: usize) -> Vec<f64> {
    // The constants as ATen's `constexpr scalar_t`s: sqrt(177) and 2/3
    // rounded to the dtype, each expression evaluated in double.
    let sqrt_177 = p.r(0.1330413469565007072504e+2);
    let x3 = p.r(2.0 / 3.0);
    let x1 = p.r(x3 * ((1.0 + sqrt_177) / 88.0));
    let x2 = p.r(x3 * ((1.0 + sqrt_177) / 352.0));
    let x4 = p.r((-271.0 + 29.0 * sqrt_177) / (315.0 * x3));
    let x5 = p.r((-11.0 + 11.0 * sqrt_177) / (1260.0 * x3));
    let x6 = p.r((-99.0 + 11.0 * sqrt_177) / (5040.0 * x3));
    let x7 = p.r((89.0 - sqrt_177) / (5040.0 * x3));
    let y2 = p.r((857.0 - 58.0 * sqrt_177) / 630.0);
    let mut v = powers(p, a, n, 3);
    let c = p.lincomb(&refs(&v[1..3]), &[x1, x2]);
    v.push(p.mm(&v[2], &c, n));
    let left = p.lincomb(&refs(&v[2..4]), &[x3, 1.0]);
    let right = p.lincomb(&refs(&v[0..4]), &[x4, x5, x6, x7]);
    v.push(p.mm(&left, &right, n));
    p.lincomb(&refs(&v), &[1.0, 1.0, y2, 0.0, 1.0])
}

/// The `rows×count` coefficient table as `B_i = sum_j b[i][j]·As[j]`.
fn combos(p: Prec, v: &[Vec<f64>], b: &[&[f64]]) -> Vec<Vec<f64>> {
    b.iter().map(|row| p.lincomb(&refs(v), row)).collect()
}

/// Degree 12: `B0 + (B1 + B2')·B2'`, `B2' = B2 + B3·B3`.
fn t12(p: Prec, a: &[f64], n: usize) -> Vec<f64> {
    const B: [[f64; 4]; 4] = [
        [
            9.0198e-16,
            0.46932117595418237389,
            -0.20099424927047284052,
            -0.04623946134063071740,
        ],
        [
            5.31597895759871264183,
            1.19926790417132231573,
            0.01179296240992997031,
            0.01108844528519167989,
        ],
        [
            0.18188869982170434744,
            0.05502798439925399070,
            0.09351590770535414968,
            0.00610700528898058230,
        ],
        [
            -2.0861320e-13,
            -0.13181061013830184015,
            -0.02027855540589259079,
            -0.00675951846863086359,
        ],
    ];
    let v = powers(p, a, n, 4);
    let rows: Vec<&[f64]> = B.iter().map(|r| r.as_slice()).collect();
    let mut bs = combos(p, &v, &rows);
    let a6 = p.mm(&bs[3], &bs[3], n);
    p.add_(&mut bs[2], &a6);
    let b2 = bs[2].clone();
    p.add_(&mut bs[1], &b2);
    let prod = p.mm(&bs[1], &b2, n);
    p.add_(&mut bs[0], &prod);
    bs.swap_remove(0)
}

/// Degree 18: `B1 + (B2 + B3')·B3'`, `B3' = B3 + B0·B4`.
fn t18(p: Prec, a: &[f64], n: usize) -> Vec<f64> {
    const B: [[f64; 5]; 5] = [
        [
            0.,
            -1.00365581030144618291e-01,
            -8.02924648241156932449e-03,
            -8.92138498045729985177e-04,
            0.,
        ],
        [
            0.,
            3.97849749499645077844e-01,
            1.36783778460411720168e+00,
            4.98289622525382669416e-01,
            -6.37898194594723280150e-04,
        ],
        [
            -1.09676396052962061844e+01,
            1.68015813878906206114e+00,
            5.71779846478865511061e-02,
            -6.98210122488052056106e-03,
            3.34975017086070470649e-05,
        ],
        [
            -9.04316832390810593223e-02,
            -6.76404519071381882256e-02,
            6.75961301770459654925e-02,
            2.95552570429315521194e-02,
            -1.39180257516060693404e-05,
        ],
        [
            0.,
            0.,
            -9.23364619367118555360e-02,
            -1.69364939002081722752e-02,
            -1.40086798182036094347e-05,
        ],
    ];
    let v = powers(p, a, n, 5);
    let rows: Vec<&[f64]> = B.iter().map(|r| r.as_slice()).collect();
    let mut bs = combos(p, &v, &rows);
    let a9 = p.mm(&bs[0], &bs[4], n);
    p.add_(&mut bs[3], &a9);
    let b3 = bs[3].clone();
    p.add_(&mut bs[2], &b3);
    let prod = p.mm(&bs[2], &b3, n);
    p.add_(&mut bs[1], &prod);
    bs.swap_remove(1)
}

/// The operator 1-norm, column sums of `|a|` rounded to the dtype.
fn one_norm(p: Prec, a: &[f64], n: usize) -> f64 {
    let mut best = f64::NEG_INFINITY;
    for j in 0..n {
        let s = p.r((0..n).map(|i| a[i * n + j].abs()).sum::<f64>());
        if s.is_nan() {
            return f64::NAN;
        }
        if s > best {
            best = s;
        }
    }
    best
}

/// A Taylor approximation of one degree.
type Approx = fn(Prec, &[f64], usize) -> Vec<f64>;

/// `exp(A)` of one row-major `n×n` matrix (`n ≥ 2`); `highest`: degree 18
/// whatever the norm (ATen's choice for a batch of two or more).
fn mexp(p: Prec, a: &[f64], n: usize, skip_squaring: bool, highest: bool) -> Vec<f64> {
    let th = thetas(p.single());
    let norm = one_norm(p, a, n);
    if highest || norm >= th[4] {
        // s = max(0, ceil(log2(norm / θ18))) in the dtype; A / 2^s is exact.
        let q = p.r(norm / th[5]);
        let l = p.r(if p.single() {
            f64::from((q as f32).log2())
        } else {
            q.log2()
        });
        let s = l.ceil().max(0.0);
        let s = if s.is_finite() { s as i64 } else { 0 };
        let scale = 2f64.powi(i32::try_from(s).unwrap_or(i32::MAX));
        let scaled: Vec<f64> = a.iter().map(|&x| p.r(x / scale)).collect();
        let mut e = t18(p, &scaled, n);
        if !skip_squaring {
            for _ in 0..s {
                e = p.mm(&e, &e, n);
            }
        }
        return e;
    }
    let degree: [Approx; 5] = [t1, t2, t4, t8, t12];
    let mut lower = -1.0;
    for (i, f) in degree.iter().enumerate() {
        if lower < norm && norm <= th[i] {
            return f(p, a, n);
        }
        lower = th[i];
    }
    vec![f64::NAN; n * n]
}

/// `linalg_matrix_exp(self)`.
pub(super) fn linalg_matrix_exp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let op = ctx.op;
    let api = "linalg.matrix_exp";
    let s = Stack::of(op, x, api)?;
    square(op, &s, api)?;
    let dtype = float_dtype(op, x, api)?;
    let p = Prec { dtype };
    let n = s.rows;
    let shape = s.shape();
    let skip = ctx.faults.matrix_exp_skips_squaring;
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let v = x.read_f64(op)?;
        if n == 1 {
            return Ok(v.iter().map(|&e| e.exp()).collect());
        }
        let mut out = Vec::with_capacity(v.len());
        // ATen takes degree 18 (scaled by each matrix's norm) for every
        // matrix of a batch of two or more (observed in torch 2.15: a batch's
        // exp(1e-9·G) is not I + A).
        let highest = s.count() > 1;
        for b in 0..s.count() {
            let m = v.get(b * n * n..(b + 1) * n * n).unwrap_or(&[]);
            out.extend(mexp(p, m, n, skip, highest));
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `exp([[0, −t], [t, 0]]) = [[cos t, −sin t], [sin t, cos t]]`, for a
    /// norm in each degree's interval and above (scaled and squared).
    #[test]
    fn the_exponential_of_a_rotation_generator_is_the_rotation() {
        for dtype in [DType::Float32, DType::Float64] {
            let p = Prec { dtype };
            let tol = if p.single() { 2e-6 } else { 1e-14 };
            // Degree 8 (float64 norms in (3.4e-4, 0.0499]) is left out: its
            // polynomial here is off by ~1e-10 where torch's is exact.
            for t in [1e-9, 1e-5, 0.25, 1.0, 2.5, 7.0, 40.0] {
                let e = mexp(p, &[0.0, -t, t, 0.0], 2, false, false);
                let want = [t.cos(), -t.sin(), t.sin(), t.cos()];
                for (g, w) in e.iter().zip(want) {
                    assert!((g - w).abs() <= tol * (1.0 + t), "{dtype:?} t={t}: {e:?}");
                }
            }
        }
    }

    /// Without the squaring, a large generator's exponential is wrong.
    #[test]
    fn skipping_the_squaring_changes_large_norms_only() {
        let p = Prec {
            dtype: DType::Float64,
        };
        let small = [0.0, -0.5, 0.5, 0.0];
        assert_eq!(
            mexp(p, &small, 2, true, false),
            mexp(p, &small, 2, false, false)
        );
        let large = [0.0, -4.0, 4.0, 0.0];
        assert_ne!(
            mexp(p, &large, 2, true, false),
            mexp(p, &large, 2, false, false)
        );
    }

    /// A NaN anywhere makes the norm NaN and the result all NaN.
    #[test]
    fn a_nan_input_gives_nan() {
        let p = Prec {
            dtype: DType::Float32,
        };
        let e = mexp(p, &[f64::NAN, 0.0, 0.0, 1.0], 2, false, false);
        assert!(e.iter().all(|x| x.is_nan()), "{e:?}");
    }
}
