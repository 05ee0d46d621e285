//! `linalg_inv_ex` and `_linalg_solve_ex` (left, matrix right-hand side)
//! of complex matrices: an LU factorization with partial pivoting (the
//! pivot of largest `|re| + |im|`, as LAPACK's `zgetrf` picks it), then the
//! solve of the identity or of `B`, in complex f64 rounded once to the
//! result's parts. `info` is LAPACK's: the 1-based index of the first zero
//! pivot, 0 for an invertible matrix.

use super::{Stack, check_info, info_tensor, pair, square_stack};
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::error::RuntimeError;
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// One complex value `(re, im)`.
type C = (f64, f64);

fn sub(x: C, y: C) -> C {
    (x.0 - y.0, x.1 - y.1)
}

fn mul(x: C, y: C) -> C {
    crate::kernels::complex::product(x, y)
}

fn div(x: C, y: C) -> C {
    let norm = y.0 * y.0 + y.1 * y.1;
    (
        (x.0 * y.0 + x.1 * y.1) / norm,
        (x.1 * y.0 - x.0 * y.1) / norm,
    )
}

/// The inverse of the row-major `n×n` matrix `a` (row-major) and its
/// `info`.
fn inverse(mut a: Vec<C>, n: usize) -> (Vec<C>, i64) {
    let mut inv: Vec<C> = (0..n * n)
        .map(|k| {
            if k / n == k % n {
                (1.0, 0.0)
            } else {
                (0.0, 0.0)
            }
        })
        .collect();
    let mut info = 0;
    for k in 0..n {
        let magnitude = |z: C| z.0.abs() + z.1.abs();
        let p = (k..n).fold(k, |best, i| {
            if magnitude(a[i * n + k]) > magnitude(a[best * n + k]) {
                i
            } else {
                best
            }
        });
        if magnitude(a[p * n + k]) == 0.0 {
            if info == 0 {
                info = k as i64 + 1;
            }
            continue;
        }
        if p != k {
            for j in 0..n {
                a.swap(p * n + j, k * n + j);
                inv.swap(p * n + j, k * n + j);
            }
        }
        let pivot = a[k * n + k];
        for i in k + 1..n {
            let f = div(a[i * n + k], pivot);
            for j in k..n {
                a[i * n + j] = sub(a[i * n + j], mul(f, a[k * n + j]));
            }
            for j in 0..n {
                inv[i * n + j] = sub(inv[i * n + j], mul(f, inv[k * n + j]));
            }
        }
    }
    if info != 0 {
        return (inv, info);
    }
    // back substitution, column by column of the right-hand side
    for i in (0..n).rev() {
        for j in 0..n {
            let mut v = inv[i * n + j];
            for m in i + 1..n {
                v = sub(v, mul(a[i * n + m], inv[m * n + j]));
            }
            inv[i * n + j] = div(v, a[i * n + i]);
        }
    }
    (inv, info)
}

/// `linalg_inv_ex(A, *, check_errors=False) -> (inverse, info)` of a
/// complex `A`; the result's matrices are column-major, as LAPACK writes
/// them.
pub(super) fn linalg_inv_ex(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    x: &Tensor,
) -> Result<Vec<IValue>> {
    let op = ctx.op;
    let api = "linalg.inv";
    let s: Stack = square_stack(op, x, api)?;
    let n = s.rows;
    let (inverses, infos): (Vec<Vec<C>>, Vec<i64>) = if ctx.has_data() {
        let values = crate::kernels::complex::pairs(op, x)?;
        values
            .chunks(n * n)
            .take(s.count())
            .map(|m| inverse(m.to_vec(), n))
            .unzip()
    } else {
        (Vec::new(), vec![0; s.count()])
    };
    if a.bool(1)? {
        check_info(op, &infos, api, s.batch.is_empty())?;
    }
    let inv = ctx.output(&s.shape(), &s.f_strides(), x.dtype(), || {
        // logical (row-major) order of each matrix
        Ok(inverses
            .iter()
            .flat_map(|m| m.iter().flat_map(|z| [z.0, z.1]))
            .collect())
    })?;
    let info = info_tensor(ctx, &s.batch, infos)?;
    Ok(vec![inv.into(), info.into()])
}

/// `zgetf2` of the row-major `n×n` matrix `a`: the factors in place (unit
/// lower `L` below the diagonal, `U` on and above; whole rows swapped), the
/// 1-based pivots and `info`.
fn lu(a: &mut [C], n: usize) -> (Vec<i64>, i64) {
    let mut piv = Vec::with_capacity(n);
    let mut info = 0;
    let magnitude = |z: C| z.0.abs() + z.1.abs();
    for k in 0..n {
        let p = (k..n).fold(k, |best, i| {
            if magnitude(a[i * n + k]) > magnitude(a[best * n + k]) {
                i
            } else {
                best
            }
        });
        piv.push(p as i64 + 1);
        if magnitude(a[p * n + k]) == 0.0 {
            if info == 0 {
                info = k as i64 + 1;
            }
            continue;
        }
        if p != k {
            for j in 0..n {
                a.swap(p * n + j, k * n + j);
            }
        }
        let pivot = a[k * n + k];
        for i in k + 1..n {
            let f = div(a[i * n + k], pivot);
            a[i * n + k] = f;
            for j in k + 1..n {
                a[i * n + j] = sub(a[i * n + j], mul(f, a[k * n + j]));
            }
        }
    }
    (piv, info)
}

/// One matrix's LU factors (row-major) and 1-based pivots.
type Factors = (Vec<C>, Vec<i64>);

/// Solves `A·X = B` from [`lu`]'s factors; `b` is row-major `n×cols`.
fn lu_solve(f: &[C], piv: &[i64], n: usize, b: &mut [C], cols: usize) {
    for (k, &p) in piv.iter().enumerate() {
        let p = usize::try_from(p - 1).unwrap_or(k);
        if p != k {
            for j in 0..cols {
                b.swap(p * cols + j, k * cols + j);
            }
        }
    }
    for i in 0..n {
        for k in 0..i {
            let l = f[i * n + k];
            for j in 0..cols {
                b[i * cols + j] = sub(b[i * cols + j], mul(l, b[k * cols + j]));
            }
        }
    }
    for i in (0..n).rev() {
        for j in 0..cols {
            let mut v = b[i * cols + j];
            for k in i + 1..n {
                v = sub(v, mul(f[i * n + k], b[k * cols + j]));
            }
            b[i * cols + j] = div(v, f[i * n + i]);
        }
    }
}

/// `_linalg_solve_ex(A, B, *, left=True, check_errors=False) -> (result,
/// LU, pivots, info)` of complex `A` and `B` (same dtype, `B` a batch of
/// matrices): the result and `LU` column-major, as LAPACK writes them.
pub(super) fn linalg_solve_ex(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    x: &Tensor,
    b: &Tensor,
) -> Result<Vec<IValue>> {
    let op = ctx.op;
    let api = "linalg.solve";
    let sa: Stack = square_stack(op, x, api)?;
    if x.dtype() != b.dtype() || !x.dtype().is_complex() {
        return Err(RuntimeError::unsupported(
            op,
            "a complex solve with operands of different dtypes",
        ));
    }
    if !a.bool(2)? || b.dim() < 2 || b.dim() + 1 == x.dim() {
        return Err(RuntimeError::unsupported(
            op,
            "a complex solve with left=False or a vector right-hand side",
        ));
    }
    let sb = Stack::of(op, b, api)?;
    let n = sa.rows;
    let (rows, cols) = (sb.rows, sb.cols);
    super::check_equation(op, api, n, true, rows, cols)?;
    let p = pair(op, &sa, &sb)?;
    let (factors, infos): (Vec<Factors>, Vec<i64>) = if ctx.has_data() {
        let values = crate::kernels::complex::pairs(op, x)?;
        values
            .chunks(n * n)
            .take(sa.count())
            .map(|m| {
                let mut f = m.to_vec();
                let (piv, info) = lu(&mut f, n);
                ((f, piv), info)
            })
            .unzip()
    } else {
        (Vec::new(), vec![0; sa.count()])
    };
    if a.bool(3)? {
        check_info(op, &infos, "torch.linalg.solve", sa.batch.is_empty())?;
    }
    let out = p.out(rows, cols);
    let dtype = x.dtype();
    let res = ctx.output(&out.shape(), &out.f_strides(), dtype, || {
        let bv = crate::kernels::complex::pairs(op, b)?;
        let mut flat = Vec::with_capacity(p.from_a.len() * rows * cols * 2);
        for i in 0..p.from_a.len() {
            let (f, piv) = &factors[p.from_a[i]];
            let start = p.from_b[i] * rows * cols;
            let mut bm = bv.get(start..start + rows * cols).unwrap_or(&[]).to_vec();
            bm.resize(rows * cols, (0.0, 0.0));
            lu_solve(f, piv, n, &mut bm, cols);
            flat.extend(bm.iter().flat_map(|z| [z.0, z.1]));
        }
        Ok(flat)
    })?;
    let lu_t = ctx.output(&sa.shape(), &sa.f_strides(), dtype, || {
        Ok(factors
            .iter()
            .flat_map(|(f, _)| f.iter().flat_map(|z| [z.0, z.1]))
            .collect())
    })?;
    let mut pshape = sa.batch.clone();
    pshape.push(n as i64);
    let piv = ctx.output_i64(&pshape, &contiguous_strides(&pshape), DType::Int32, || {
        Ok(factors
            .iter()
            .flat_map(|(_, p)| p.iter().copied())
            .collect())
    })?;
    let info = info_tensor(ctx, &sa.batch, infos)?;
    Ok(vec![res.into(), lu_t.into(), piv.into(), info.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverts_with_pivoting_and_reports_singular_pivots() {
        // [[0, i], [2, 1]]⁻¹ = [[i/2, 1/2], [-i, 0]]
        let (inv, info) = inverse(vec![(0.0, 0.0), (0.0, 1.0), (2.0, 0.0), (1.0, 0.0)], 2);
        assert_eq!(info, 0);
        assert_eq!(inv, vec![(0.0, 0.5), (0.5, 0.0), (0.0, -1.0), (0.0, 0.0)]);
        let (_, info) = inverse(vec![(1.0, 1.0), (2.0, 2.0), (1.0, 1.0), (2.0, 2.0)], 2);
        assert_eq!(info, 2);
    }
}
