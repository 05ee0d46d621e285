//! `linalg_lstsq(self, b, rcond=None, *, driver=None) -> (solution,
//! residuals, rank, singular_values)`: least squares `min ‖A·X − B‖_F` per
//! batch matrix, by the LAPACK driver PyTorch's CPU kernel calls
//! (default `gelsy`).
//!
//! * `gels`: Householder QR of `A` (`m ≥ n`), `X = R⁻¹·(QᵀB)[..n]`; for
//!   `m < n` the minimum-norm solution through the QR of `Aᵀ` (LAPACK's LQ
//!   of `A`). No rank.
//! * `gelsy`: QR with column pivoting (`dgeqp3`), the numerical rank the
//!   largest `r` with `σ_max(R₁₁)·rcond ≤ σ_min(R₁₁)` for the leading
//!   `r×r` triangle (LAPACK estimates both incrementally with `dlaic1`;
//!   they are computed here), then `X = P·[R₁₁ R₁₂]⁺·(QᵀB)[..r]` (LAPACK's
//!   RZ factorization when `r < n`, here the QR of the trapezoid's
//!   transpose: the same minimum-norm solution).
//! * `gelsd` / `gelss`: the SVD, singular values at or below
//!   `rcond·σ_max` dropped; the singular values are returned.
//!
//! `rcond` defaults to `eps(dtype)·max(m, n)`. Observed in torch 2.15
//! (CPU): the solution is the first `n` rows of a batch-contiguous
//! column-major `[*, max(m, n), k]` buffer (strides `[…, 1, max(m, n)]`),
//! squeezed in the vector case (`b` one dimension short); `rank` is int64
//! of `A`'s batch shape (empty for `gels`); `residuals` (`‖A·X − B‖²` per
//! column, `[*, k]`, `k = 1` in the vector case) only for drivers other than `gelsy` when `m > n` and every
//! matrix has full rank, otherwise `[0]`; `singular_values` `[*, min(m,
//! n)]` for `gelsd`/`gelss`, otherwise `[0]`.

use super::spectral::svd;
use super::{Stack, c_order, lapack, matrices, size, transpose_rect};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::{broadcast_index, broadcast_shapes, contiguous_strides};

#[derive(Clone, Copy, PartialEq)]
enum Driver {
    Gels,
    Gelsy,
    Gelsd,
    Gelss,
}

/// One solve: the `max(m, n)×k` column-major buffer, the rank, the
/// singular values, the residuals.
struct Solved {
    buf: Vec<f64>,
    rank: i64,
    sv: Vec<f64>,
    residuals: Vec<f64>,
}

/// `linalg_lstsq(self, b, rcond=None, *, driver=None)`.
pub(super) fn linalg_lstsq(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, b) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(b, "b")?;
    let op = ctx.op;
    let api = "torch.linalg.lstsq";
    let shape_err = |m: String| RuntimeError::shape(op, m);
    if x.dim() < 2 {
        return Err(shape_err(format!(
            "{api}: input must have at least 2 dimensions."
        )));
    }
    if b.dim() < 1 {
        return Err(shape_err(format!(
            "{api}: other must have at least 1 dimension."
        )));
    }
    let dtype = match x.dtype() {
        d @ (DType::Float32 | DType::Float64) => d,
        _ => {
            return Err(RuntimeError::KernelDtype {
                op: op.to_owned(),
                message: "This function doesn't handle types other than float and double"
                    .to_owned(),
            });
        }
    };
    if b.dtype() != dtype {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "{api}: Expected input and other to have the same dtype, but got input's dtype {} and other's dtype {}",
                dtype.scalar_type_name(),
                b.dtype().scalar_type_name()
            ),
        });
    }
    let dim_diff = x.dim() as i64 - b.dim() as i64;
    if !(0..=1).contains(&dim_diff) {
        return Err(shape_err(format!(
            "{api}: input.dim() must be greater or equal to other.dim() and (input.dim() - other.dim()) <= 1"
        )));
    }
    let vector = dim_diff == 1;
    let sa = Stack::of(op, x, api)?;
    let sb = if vector {
        let mut batch = b.shape().to_vec();
        let rows = batch.pop().unwrap_or(0);
        Stack {
            batch,
            rows: size(rows),
            cols: 1,
        }
    } else {
        Stack::of(op, b, api)?
    };
    if sa.rows != sb.rows {
        return Err(shape_err(format!(
            "{api}: input.size(-2) should match other.size(-{})",
            if vector { 1 } else { 2 }
        )));
    }
    let driver = match a.values.get(3) {
        None | Some(IValue::None) => Driver::Gelsy,
        Some(IValue::Str(s)) => match s.as_str() {
            "gels" => Driver::Gels,
            "gelsy" => Driver::Gelsy,
            "gelsd" => Driver::Gelsd,
            "gelss" => Driver::Gelss,
            _ => {
                return Err(shape_err(format!(
                    "{api}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
                )));
            }
        },
        Some(_) => return Err(RuntimeError::unsupported(op, "driver is not a str")),
    };
    let (m, n, k) = (sa.rows, sa.cols, sb.cols);
    let eps = if dtype == DType::Float32 {
        f64::from(f32::EPSILON)
    } else {
        f64::EPSILON
    };
    let rcond = match a.values.get(2) {
        Some(IValue::Float(r)) => *r,
        Some(IValue::Int(r)) => *r as f64,
        _ => eps * m.max(n) as f64,
    };
    let batch = broadcast_shapes(&sa.batch, &sb.batch).ok_or_else(|| {
        shape_err(format!(
            "The size of tensor a ({:?}) must match the size of tensor b ({:?}) at a non-singleton dimension",
            sa.batch, sb.batch
        ))
    })?;
    let (from_a, from_b) = (
        broadcast_index(&sa.batch, &batch),
        broadcast_index(&sb.batch, &batch),
    );
    let single = dtype == DType::Float32;
    let ld = m.max(n);
    let mut solved = Vec::new();
    if ctx.has_data() {
        let am = matrices(op, x, &sa)?;
        let bm = if vector {
            let v = b.read_f64(op)?;
            (0..sb.count())
                .map(|i| v.get(i * m..(i + 1) * m).unwrap_or(&[]).to_vec())
                .collect()
        } else {
            matrices(op, b, &sb)?
        };
        let system = System {
            m,
            n,
            k,
            ld,
            rcond,
            single,
            unpermuted: ctx.faults.lstsq_solution_unpermuted,
        };
        for (ia, ib) in from_a.iter().zip(&from_b) {
            solved.push(solve(driver, &am[*ia], &bm[*ib], &system));
        }
    }
    // The solution: rows 0..n of each max(m, n)×k buffer.
    let mut sol_shape = batch.clone();
    let mut sol_strides = contiguous_strides(&{
        let mut s = batch.clone();
        s.extend([ld as i64, k as i64]);
        s
    });
    sol_strides.truncate(batch.len());
    sol_shape.push(n as i64);
    sol_strides.push(1);
    if !vector {
        sol_shape.push(k as i64);
        sol_strides.push(ld.max(1) as i64);
    }
    let solution = ctx.output(&sol_shape, &sol_strides, dtype, || {
        let mats: Vec<Vec<f64>> = solved
            .iter()
            .map(|s| {
                (0..k)
                    .flat_map(|c| s.buf[c * ld..c * ld + n].to_vec())
                    .collect()
            })
            .collect();
        Ok(c_order(&mats, n, k, dtype))
    })?;
    let full_rank = solved.iter().all(|s| s.rank == n as i64);
    let residuals = if driver != Driver::Gelsy && m > n && (driver == Driver::Gels || full_rank) {
        let mut rs = batch.clone();
        rs.push(k as i64);
        ctx.output(&rs, &contiguous_strides(&rs), dtype, || {
            Ok(solved
                .iter()
                .flat_map(|s| s.residuals.iter().map(|&r| cast_value(dtype, r)))
                .collect())
        })?
    } else {
        ctx.output(&[0], &[1], dtype, || Ok(Vec::new()))?
    };
    // rank and singular values follow A's own batch.
    let firsts: Vec<usize> = (0..sa.count())
        .map(|i| from_a.iter().position(|&f| f == i).unwrap_or(0))
        .collect();
    let rank = if driver == Driver::Gels {
        ctx.output_i64(&[0], &[1], DType::Int64, || Ok(Vec::new()))?
    } else {
        ctx.output_i64(
            &sa.batch,
            &contiguous_strides(&sa.batch),
            DType::Int64,
            || {
                Ok(firsts
                    .iter()
                    .map(|&i| solved.get(i).map_or(0, |s| s.rank))
                    .collect())
            },
        )?
    };
    let sv = if matches!(driver, Driver::Gelsd | Driver::Gelss) {
        let mut ss = sa.batch.clone();
        ss.push(m.min(n) as i64);
        ctx.output(&ss, &contiguous_strides(&ss), dtype, || {
            Ok(firsts
                .iter()
                .flat_map(|&i| {
                    solved
                        .get(i)
                        .map(|s| s.sv.iter().map(|&v| cast_value(dtype, v)).collect())
                        .unwrap_or_else(|| vec![0.0; m.min(n)])
                })
                .collect())
        })?
    } else {
        ctx.output(&[0], &[1], dtype, || Ok(Vec::new()))?
    };
    Ok(vec![
        solution.into(),
        residuals.into(),
        rank.into(),
        sv.into(),
    ])
}

/// The geometry and settings every system of one `linalg_lstsq` call shares.
struct System {
    /// Rows of A (and of B).
    m: usize,
    /// Columns of A (rows of the solution).
    n: usize,
    /// Right-hand sides.
    k: usize,
    /// Rows of each column of the solution buffer, `max(m, n)`.
    ld: usize,
    /// The relative threshold for the rank (gelsy, gelsd, gelss).
    rcond: f64,
    /// Whether LAPACK's single-precision routine runs (float32).
    single: bool,
    /// The `lstsq-solution-unpermuted` test fault.
    unpermuted: bool,
}

/// Solves one `m×n` system for the `m×k` right-hand side `b` (column-major).
fn solve(driver: Driver, a: &[f64], b: &[f64], system: &System) -> Solved {
    let &System {
        m,
        n,
        k,
        ld,
        rcond,
        single,
        ..
    } = system;
    let mut buf = vec![0.0; ld * k];
    for c in 0..k {
        buf[c * ld..c * ld + m].copy_from_slice(&b[c * m..(c + 1) * m]);
    }
    match driver {
        Driver::Gels => {
            gels(a, &mut buf, system);
            // Σ over rows n..m of (QᵀB)², in the working precision.
            let residuals = (0..k)
                .map(|c| {
                    let tail = if m > n {
                        &buf[c * ld + n..c * ld + m]
                    } else {
                        &[]
                    };
                    if single {
                        f64::from(tail.iter().fold(0f32, |s, &v| s + (v * v) as f32))
                    } else {
                        tail.iter().map(|v| v * v).sum()
                    }
                })
                .collect();
            Solved {
                buf,
                rank: n as i64,
                sv: Vec::new(),
                residuals,
            }
        }
        Driver::Gelsy => {
            let rank = gelsy(a, &mut buf, system);
            Solved {
                buf,
                rank,
                sv: Vec::new(),
                residuals: Vec::new(),
            }
        }
        Driver::Gelsd | Driver::Gelss => {
            let r = svd(a, m, n, false);
            let smax = r.s.first().copied().unwrap_or(0.0);
            let rc = if rcond < 0.0 { f64::EPSILON } else { rcond };
            let kept: Vec<usize> = (0..r.s.len()).filter(|&i| r.s[i] > rc * smax).collect();
            let mut x = vec![0.0; n * k];
            for c in 0..k {
                let bc = &b[c * m..(c + 1) * m];
                for &i in &kept {
                    let u = &r.u[i * m..(i + 1) * m];
                    let coef = u.iter().zip(bc).map(|(p, q)| p * q).sum::<f64>() / r.s[i];
                    for (row, xv) in x[c * n..(c + 1) * n].iter_mut().enumerate() {
                        *xv += coef * r.v[i * n + row];
                    }
                }
            }
            let residuals = (0..k)
                .map(|c| {
                    (0..m)
                        .map(|i| {
                            let ax: f64 = (0..n).map(|j| a[i + j * m] * x[j + c * n]).sum();
                            let d = ax - b[i + c * m];
                            d * d
                        })
                        .sum()
                })
                .collect();
            for c in 0..k {
                buf[c * ld..c * ld + n].copy_from_slice(&x[c * n..(c + 1) * n]);
            }
            Solved {
                buf,
                rank: kept.len() as i64,
                sv: r.s,
                residuals,
            }
        }
    }
}

/// `dgels`: the QR solve (`m ≥ n`) or the minimum-norm solve through the
/// QR of `Aᵀ` (`m < n`) into the `ld×k` buffer.
fn gels(a: &[f64], buf: &mut [f64], system: &System) {
    let &System {
        m,
        n,
        k,
        ld,
        single,
        ..
    } = system;
    if m >= n {
        let mut f = a.to_vec();
        let tau = lapack::geqr2(&mut f, m, n, single);
        let mut c = columns(buf, ld, m, k);
        lapack::orm2r(&f, m, &tau, &mut c, m, k, true, true, single);
        let mut top = rows(&c, m, n, k);
        let r = square(&f, m, n);
        lapack::trsm_left(&r, n, false, false, false, &mut top, k, single);
        put(buf, ld, &top, n, k);
        for col in 0..k {
            buf[col * ld + n..col * ld + m].copy_from_slice(&c[col * m + n..(col + 1) * m]);
        }
    } else {
        let c = columns(buf, ld, m, k);
        let x = min_norm(&transpose_rect(a, m, n), n, m, &c, k, single);
        put(buf, ld, &x, n, k);
    }
}

/// The minimum-norm `X` (`n×k`) of `W·X = C` for the full-row-rank `r×n`
/// `W` given as its transpose `wt` (`n×r`): `Wᵀ = Q·R`, `X = Q·[R⁻ᵀ·C; 0]`.
fn min_norm(wt: &[f64], n: usize, r: usize, c: &[f64], k: usize, single: bool) -> Vec<f64> {
    let mut f = wt.to_vec();
    let tau = lapack::geqr2(&mut f, n, r, single);
    let rr = square(&f, n, r);
    let mut y = c.to_vec();
    lapack::trsm_left(&rr, r, false, true, false, &mut y, k, single);
    let mut x = vec![0.0; n * k];
    for col in 0..k {
        x[col * n..col * n + r].copy_from_slice(&y[col * r..(col + 1) * r]);
    }
    lapack::orm2r(&f, n, &tau, &mut x, n, k, true, false, single);
    x
}

/// `dgelsy` into the `ld×k` buffer; returns the numerical rank.
fn gelsy(a: &[f64], buf: &mut [f64], system: &System) -> i64 {
    let &System {
        m,
        n,
        k,
        ld,
        rcond,
        single,
        unpermuted,
    } = system;
    let mn = m.min(n);
    let mut f = a.to_vec();
    let (tau, perm) = lapack::geqp3(&mut f, m, n, single);
    if mn == 0 || f[0] == 0.0 {
        buf.iter_mut().for_each(|v| *v = 0.0);
        return 0;
    }
    // The largest leading triangle whose condition stays within 1/rcond.
    let mut rank = 1;
    while rank < mn {
        let r = rank + 1;
        let tri: Vec<f64> = (0..r * r)
            .map(|p| {
                let (i, j) = (p % r, p / r);
                if i <= j { f[i + j * m] } else { 0.0 }
            })
            .collect();
        let s = svd(&tri, r, r, false).s;
        let (smax, smin) = (s[0], s[r - 1]);
        if smax * rcond <= smin {
            rank = r;
        } else {
            break;
        }
    }
    let mut c = columns(buf, ld, m, k);
    lapack::orm2r(&f, m, &tau, &mut c, m, k, true, true, single);
    let top = rows(&c, m, rank, k);
    let y = if rank == n {
        let r = square(&f, m, n);
        let mut y = top;
        lapack::trsm_left(&r, n, false, false, false, &mut y, k, single);
        y
    } else {
        // [R11 R12] (rank×n), given as its transpose (n×rank).
        let mut wt = vec![0.0; n * rank];
        for i in 0..rank {
            for j in i..n {
                wt[j + i * n] = f[i + j * m];
            }
        }
        min_norm(&wt, n, rank, &top, k, single)
    };
    // X = P·Y.
    for col in 0..k {
        for (i, &p) in perm.iter().enumerate() {
            let p = if unpermuted { i } else { p };
            buf[col * ld + p] = y[col * n + i];
        }
    }
    rank as i64
}

/// The first `m` rows of each of the `k` columns of the `ld×k` buffer.
fn columns(buf: &[f64], ld: usize, m: usize, k: usize) -> Vec<f64> {
    (0..k)
        .flat_map(|c| buf[c * ld..c * ld + m].to_vec())
        .collect()
}

/// The first `r` rows of the column-major `m×k` `c`.
fn rows(c: &[f64], m: usize, r: usize, k: usize) -> Vec<f64> {
    (0..k)
        .flat_map(|col| c[col * m..col * m + r].to_vec())
        .collect()
}

/// Writes the `r×k` `x` into the first `r` rows of the `ld×k` buffer.
fn put(buf: &mut [f64], ld: usize, x: &[f64], r: usize, k: usize) {
    for col in 0..k {
        buf[col * ld..col * ld + r].copy_from_slice(&x[col * r..(col + 1) * r]);
    }
}

/// The upper `n×n` triangle of the `m×n` factor `f` (`m ≥ n`), `n×n`.
fn square(f: &[f64], m: usize, n: usize) -> Vec<f64> {
    let mut r = vec![0.0; n * n];
    for j in 0..n {
        for i in 0..=j {
            r[i + j * n] = f[i + j * m];
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivoted_qr_takes_the_largest_column_first() {
        // Columns [1, 0, 0] and [0, 3, 4] (norm 5): the second is pivoted
        // first; R's first diagonal is −5 (LAPACK's beta = −sign(alpha)·‖x‖).
        let mut a = vec![1.0, 0.0, 0.0, 0.0, 3.0, 4.0];
        let (_, perm) = lapack::geqp3(&mut a, 3, 2, false);
        assert_eq!(perm, vec![1, 0]);
        assert!((a[0] + 5.0).abs() < 1e-12);
    }

    #[test]
    fn gelsy_finds_the_rank_of_a_deficient_design() {
        // Column 2 = 2·column 1: rank 1, the minimum-norm solution of
        // x₁ + 2x₂ = b over rows [1, 1] is b/5·[1, 2] = [0.2, 0.4] for b = 1.
        let a = [1.0, 1.0, 2.0, 2.0];
        let mut buf = vec![1.0, 1.0];
        let system = System {
            m: 2,
            n: 2,
            k: 1,
            ld: 2,
            rcond: 1e-7,
            single: false,
            unpermuted: false,
        };
        let rank = gelsy(&a, &mut buf, &system);
        assert_eq!(rank, 1);
        assert!(
            (buf[0] - 0.2).abs() < 1e-12 && (buf[1] - 0.4).abs() < 1e-12,
            "{buf:?}"
        );
    }
}
