//! `linalg_inv_ex` of complex matrices: an LU factorization with partial
//! pivoting (the pivot of largest `|re| + |im|`, as LAPACK's `cgetrf`
//! picks it), then the solve of the identity, in complex f64 rounded once
//! to the result's parts. `info` is LAPACK's: the 1-based index of the
//! first zero pivot, 0 for an invertible matrix.

use super::{Stack, check_info, info_tensor, square_stack};
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;

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
