//! `cholesky_inverse(self, upper=False)`: `(L·Lᵀ)⁻¹` (`upper`: `(Uᵀ·U)⁻¹`)
//! from a Cholesky factor, as LAPACK's `potri`: the factor's triangular
//! inverse `X` (`X = L⁻¹` by a triangular solve of the identity, in the
//! tensor's precision), then `Xᵀ·X` (`X·Xᵀ` for `upper`) accumulated in
//! that precision, one triangle computed and mirrored so the result is
//! exactly symmetric. Observed in torch 2.15 (CPU): batch-contiguous, each
//! matrix column-major.

use super::{c_order, lapack, matrices, square_float};
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;

/// `cholesky_inverse(self, upper=False)`.
pub(super) fn cholesky_inverse(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let upper = a.bool(1)?;
    let op = ctx.op;
    let (s, dtype) = square_float(op, x, "cholesky_inverse")?;
    let single = dtype == DType::Float32;
    let n = s.rows;
    let transposed = ctx.faults.cholesky_inverse_transposed_product;
    let out = ctx.output(&s.shape(), &s.f_strides(), dtype, || {
        let mats: Vec<Vec<f64>> = matrices(op, x, &s)?
            .iter()
            .map(|f| inverse_of_factor(f, n, upper != transposed, single))
            .collect();
        Ok(c_order(&mats, n, n, dtype))
    })?;
    Ok(vec![out.into()])
}

/// `(L·Lᵀ)⁻¹` of the lower factor `f` (upper: `(Uᵀ·U)⁻¹`), column-major.
fn inverse_of_factor(f: &[f64], n: usize, upper: bool, single: bool) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    (0..n).for_each(|i| inv[i + i * n] = 1.0);
    // X = T⁻¹ for the triangular factor T.
    lapack::trsm_left(f, n, !upper, false, false, &mut inv, n, single);
    // lower: A⁻¹ = Xᵀ·X (X lower); upper: A⁻¹ = X·Xᵀ (X upper).
    let mut out = vec![0.0; n * n];
    for j in 0..n {
        for i in 0..=j {
            let terms = (0..n).map(|p| {
                if upper {
                    inv[i + p * n] * inv[j + p * n]
                } else {
                    inv[p + i * n] * inv[p + j * n]
                }
            });
            let v = if single {
                f64::from(terms.fold(0f32, |acc, t| acc + t as f32))
            } else {
                terms.sum()
            };
            out[i + j * n] = v;
            out[j + i * n] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inverse_of_l_lt() {
        // L = [[2, 0], [1, 1]]: L·Lᵀ = [[4, 2], [2, 2]], inverse
        // [[0.5, −0.5], [−0.5, 1]]; U = Lᵀ gives the same through Uᵀ·U.
        let l = [2.0, 1.0, 0.0, 1.0];
        let want = vec![0.5, -0.5, -0.5, 1.0];
        assert_eq!(inverse_of_factor(&l, 2, false, false), want);
        let u = [2.0, 0.0, 1.0, 1.0];
        assert_eq!(inverse_of_factor(&u, 2, true, false), want);
    }
}
