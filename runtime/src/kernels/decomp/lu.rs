//! The LU factorization as `torch.linalg` exposes it: `linalg_lu_factor_ex`
//! (packed factors, LAPACK's 1-based pivots and `info`; `linalg.lu_factor`,
//! `linalg.lu_factor_ex` and the deprecated `torch.lu` all dispatch it),
//! `linalg_lu` (`P`, `L`, `U`) and `lu_unpack` (the packed factors and
//! pivots back to `P`, `L`, `U`).
//!
//! The factorization itself is the one `_linalg_solve_ex`, `linalg_inv_ex`
//! and `_linalg_det` use ([`super::lu_factor`], LAPACK's `getf2` with MKL's
//! rounding on small matrices), on square and rectangular `m×n` matrices
//! alike. Observed in torch 2.15 (CPU): `LU` is batch-contiguous with each
//! matrix column-major, as LAPACK writes it; `pivots` (`[*, min(m, n)]`) and
//! `info` (`[*]`) are int32; `P`, `L` and `U` are contiguous (row-major),
//! `P` in the factors' dtype with `A = P·L·U`.

use super::{Lu, Stack, c_order, check_info, info_tensor, lu_of, size};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The stack of `t`, at least 2-D (PyTorch's message, prefixed `api`).
fn stack(op: &str, t: &Tensor, api: &str) -> Result<Stack> {
    let s = t.shape();
    if s.len() < 2 {
        return Err(RuntimeError::shape(
            op,
            format!("{api}: Expected tensor with 2 or more dimensions. Got size: {s:?} instead"),
        ));
    }
    Ok(Stack {
        batch: s[..s.len() - 2].to_vec(),
        rows: size(s[s.len() - 2]),
        cols: size(s[s.len() - 1]),
    })
}

/// CPU has partial pivoting only.
fn check_pivot(op: &str, pivot: bool) -> Result<()> {
    if pivot {
        Ok(())
    } else {
        Err(RuntimeError::shape(
            op,
            "linalg.lu_factor: LU without pivoting is not implemented on the CPU",
        ))
    }
}

/// float32 or float64, else the CPU kernel's own refusal.
fn lu_dtype(op: &str, t: &Tensor) -> Result<DType> {
    match t.dtype() {
        d @ (DType::Float32 | DType::Float64) => Ok(d),
        d => Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!("\"lu_cpu\" not implemented for '{}'", d.scalar_type_name()),
        }),
    }
}

/// The geometry of `P` (`m×m`), `L` (`m×k`) and `U` (`k×n`) of an `m×n`
/// stack, `k = min(m, n)`.
struct Unpacked {
    m: usize,
    n: usize,
    k: usize,
}

impl Unpacked {
    fn of(s: &Stack) -> Unpacked {
        Unpacked {
            m: s.rows,
            n: s.cols,
            k: s.rows.min(s.cols),
        }
    }

    /// `A = P·L·U`: row `i` of `L·U` is row `perm[i]` of `A`, `perm` the
    /// identity with LAPACK's row interchanges applied in order; `P` has a
    /// one at `(perm[i], i)`. Row-major `m×m`.
    fn permutation(&self, piv: &[i64]) -> Vec<f64> {
        let m = self.m;
        let mut perm: Vec<usize> = (0..m).collect();
        for (i, &p) in piv.iter().enumerate().take(self.k) {
            let p = usize::try_from(p - 1).unwrap_or(i).min(m.saturating_sub(1));
            perm.swap(i, p);
        }
        let mut out = vec![0.0; m * m];
        for (i, &r) in perm.iter().enumerate() {
            out[r * m + i] = 1.0;
        }
        out
    }

    /// The unit-lower `L` (row-major `m×k`) of column-major factors.
    fn lower(&self, lu: &[f64]) -> Vec<f64> {
        let (m, k) = (self.m, self.k);
        let mut out = vec![0.0; m * k];
        for i in 0..m {
            for j in 0..k.min(i + 1) {
                out[i * k + j] = if i == j { 1.0 } else { lu[i + j * m] };
            }
        }
        out
    }

    /// The upper `U` (row-major `k×n`) of column-major factors.
    fn upper(&self, lu: &[f64]) -> Vec<f64> {
        let (m, n, k) = (self.m, self.n, self.k);
        let mut out = vec![0.0; k * n];
        for i in 0..k {
            for j in i..n {
                out[i * n + j] = lu[i + j * m];
            }
        }
        out
    }
}

/// A contiguous `[*batch, rows, cols]` output from per-matrix row-major
/// values.
fn stacked(
    ctx: &KernelCtx<'_>,
    batch: &[i64],
    rows: usize,
    cols: usize,
    dtype: DType,
    mats: impl FnOnce() -> Result<Vec<Vec<f64>>>,
) -> Result<Tensor> {
    let mut shape = batch.to_vec();
    shape.extend([rows as i64, cols as i64]);
    ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        Ok(mats()?.into_iter().flatten().collect())
    })
}

/// The empty `[0]` output of a part `lu_unpack` was told not to unpack.
fn nothing(ctx: &KernelCtx<'_>, dtype: DType) -> Result<Tensor> {
    ctx.output(&[0], &[1], dtype, || Ok(Vec::new()))
}

/// `linalg_lu_factor_ex(A, *, pivot=True, check_errors=False) -> (LU, pivots, info)`.
pub(super) fn linalg_lu_factor_ex(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "A")?;
    let (pivot, check_errors) = (a.bool(1)?, a.bool(2)?);
    let op = ctx.op;
    let s = stack(op, x, "torch.lu_factor")?;
    check_pivot(op, pivot)?;
    let dtype = lu_dtype(op, x)?;
    let lu = lu_of(ctx, x, &s, dtype == DType::Float32)?;
    if check_errors {
        check_info(
            op,
            &lu.info,
            "torch.linalg.lu_factor_ex",
            s.batch.is_empty(),
        )?;
    }
    let (m, n) = (s.rows, s.cols);
    let lu_t = ctx.output(&s.shape(), &s.f_strides(), dtype, || {
        Ok(c_order(&lu.lu, m, n, dtype))
    })?;
    let mut pshape = s.batch.clone();
    pshape.push(m.min(n) as i64);
    let piv = ctx.output_i64(&pshape, &contiguous_strides(&pshape), DType::Int32, || {
        Ok(lu.piv.iter().flatten().copied().collect())
    })?;
    let info = info_tensor(ctx, &s.batch, lu.info.clone())?;
    Ok(vec![lu_t.into(), piv.into(), info.into()])
}

/// `linalg_lu(A, *, pivot=True) -> (P, L, U)`: the factorization of
/// `linalg_lu_factor_ex`, unpacked as `lu_unpack` does.
pub(super) fn linalg_lu(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "A")?;
    let pivot = a.bool(1)?;
    let op = ctx.op;
    let s = stack(op, x, "linalg.lu")?;
    check_pivot(op, pivot)?;
    let dtype = lu_dtype(op, x)?;
    let Lu { lu, piv, .. } = lu_of(ctx, x, &s, dtype == DType::Float32)?;
    let g = Unpacked::of(&s);
    let p = stacked(ctx, &s.batch, g.m, g.m, dtype, || {
        Ok(piv.iter().map(|p| g.permutation(p)).collect())
    })?;
    let l = stacked(ctx, &s.batch, g.m, g.k, dtype, || {
        Ok(lu.iter().map(|f| g.lower(f)).collect())
    })?;
    let u = stacked(ctx, &s.batch, g.k, g.n, dtype, || {
        Ok(lu.iter().map(|f| g.upper(f)).collect())
    })?;
    Ok(vec![p.into(), l.into(), u.into()])
}

/// `lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True) -> (P, L, U)`.
pub(super) fn lu_unpack(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (lu_t, piv_t) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(lu_t, "LU_data")?;
    ctx.check(piv_t, "LU_pivots")?;
    let (unpack_data, unpack_pivots) = (a.bool(2)?, a.bool(3)?);
    let op = ctx.op;
    let s = stack(op, lu_t, "torch.lu_unpack")?;
    if piv_t.dtype() != DType::Int32 || !piv_t.is_contiguous() {
        return Err(RuntimeError::shape(
            op,
            "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\nNote: this function is intended to be used with the output produced by torch.linalg.lu_factor",
        ));
    }
    let g = Unpacked::of(&s);
    let mut pshape = s.batch.clone();
    pshape.push(g.k as i64);
    if piv_t.shape() != pshape.as_slice() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected LU_pivots to have shape {pshape:?} but got {:?} instead.",
                piv_t.shape()
            ),
        ));
    }
    let dtype = lu_dtype(op, lu_t)?;
    let pivs: Vec<Vec<i64>> = if ctx.has_data() && unpack_pivots {
        let v = piv_t.read_i64(op)?;
        if v.iter().any(|&p| p < 1 || p > g.m as i64) {
            return Err(RuntimeError::shape(
                op,
                "pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you properly pass the result of lu_factor?",
            ));
        }
        let k = g.k;
        (0..s.count())
            .map(|b| v.get(b * k..(b + 1) * k).unwrap_or(&[]).to_vec())
            .collect()
    } else {
        Vec::new()
    };
    let mats = || -> Result<Vec<Vec<f64>>> { super::matrices(op, lu_t, &s) };
    let p = if unpack_pivots {
        stacked(ctx, &s.batch, g.m, g.m, dtype, || {
            Ok(pivs.iter().map(|p| g.permutation(p)).collect())
        })?
    } else {
        nothing(ctx, dtype)?
    };
    let (l, u) = if unpack_data {
        let l = stacked(ctx, &s.batch, g.m, g.k, dtype, || {
            Ok(mats()?.iter().map(|f| g.lower(f)).collect())
        })?;
        let u = stacked(ctx, &s.batch, g.k, g.n, dtype, || {
            Ok(mats()?.iter().map(|f| g.upper(f)).collect())
        })?;
        (l, u)
    } else {
        (nothing(ctx, dtype)?, nothing(ctx, dtype)?)
    };
    Ok(vec![p.into(), l.into(), u.into()])
}

#[cfg(test)]
mod tests {
    use super::super::lapack::{Pivoting, getf2};
    use super::*;

    #[test]
    fn unpacking_a_wide_factor() {
        // A = [[0, 2, 1], [4, 1, 3]]: getf2 swaps the rows (pivots [2, 2]),
        // L = [[1, 0], [0, 1]], U = [[4, 1, 3], [0, 2, 1]], P = [[0, 1], [1, 0]].
        let mut a = vec![0.0, 4.0, 2.0, 1.0, 1.0, 3.0];
        let (piv, info) = getf2(&mut a, 2, 3, false, Pivoting::Partial);
        assert_eq!((piv.clone(), info), (vec![2, 2], 0));
        let g = Unpacked { m: 2, n: 3, k: 2 };
        assert_eq!(g.permutation(&piv), vec![0.0, 1.0, 1.0, 0.0]);
        assert_eq!(g.lower(&a), vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(g.upper(&a), vec![4.0, 1.0, 3.0, 0.0, 2.0, 1.0]);
    }

    #[test]
    fn a_tall_factor_keeps_l_below_and_p_reproduces_a() {
        // A (3×2) = [[1, 2], [3, 4], [5, 6]]: pivot rows 3 then 3.
        let rows = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let mut a: Vec<f64> = (0..2)
            .flat_map(|j| rows.iter().map(move |r| r[j]))
            .collect();
        let (piv, _) = getf2(&mut a, 3, 2, false, Pivoting::Partial);
        let g = Unpacked { m: 3, n: 2, k: 2 };
        let (p, l, u) = (g.permutation(&piv), g.lower(&a), g.upper(&a));
        // P·L·U == A.
        for i in 0..3 {
            for j in 0..2 {
                let mut v = 0.0;
                for r in 0..3 {
                    for q in 0..2 {
                        v += p[i * 3 + r] * l[r * 2 + q] * u[q * 2 + j];
                    }
                }
                assert!((v - rows[i][j]).abs() < 1e-12, "{i} {j} {v}");
            }
        }
    }
}
