//! Derivative rows of the matrix decompositions and solves
//! (derivatives.yaml).
//!
//! | operator | node | differentiable inputs | differentiable outputs | saves |
//! |---|---|---|---|---|
//! | `linalg_qr` | LinalgQrBackward0 | A | Q, R | mode, Q, R |
//! | `linalg_cholesky_ex` | LinalgCholeskyExBackward0 | self | L | upper, L |
//! | `linalg_solve_triangular` | LinalgSolveTriangularBackward0 | self, B | result | self, upper, left, unitriangular, result |
//! | `triangular_solve` | TriangularSolveBackward0 | self, A | solution, cloned_coefficient | self, A, upper, transpose, unitriangular, solution |
//! | `linalg_ldl_factor_ex`, `linalg_ldl_solve` (no formula in PyTorch) | NotImplemented (fails when run) | self; LD, B | — | — |
//! | `cholesky_solve` | CholeskySolveBackward0 | self, input2 | result | input2, upper, result |
//! | `cholesky_inverse` | CholeskyInverseBackward0 | self | result | self, upper, result |
//! | `_linalg_solve_ex` | LinalgSolveExBackward0 | A, B | result | left, result, LU, pivots |
//! | `linalg_inv_ex` | LinalgInvExBackward0 | A | inverse | inverse |
//! | `_linalg_det` | LinalgDetBackward0 | A | result | A, result, LU, pivots |
//! | `_linalg_slogdet` | LinalgSlogdetBackward0 | A | sign, logabsdet | A, LU, pivots |
//! | `linalg_lu_factor_ex` | LinalgLuFactorExBackward0 | A | LU | pivot, LU, pivots |
//! | `linalg_lu` | LinalgLuBackward0 | A | L, U | pivot, P, L, U |
//! | `lu_unpack` | LuUnpackBackward0 | LU_data | L, U | LU_data's sizes |
//! | `linalg_lu_solve` | LinalgLuSolveBackward0 | LU, B | result | LU, pivots, left, adjoint, result |
//! | `_linalg_svd` | LinalgSvdBackward0 | A | U, S, Vh | full_matrices, U, S, Vh |
//! | `_linalg_eigh` | LinalgEighBackward0 | A | eigenvalues, eigenvectors | eigenvalues, eigenvectors |
//! | `linalg_eig` | LinalgEigBackward0 | self | eigenvalues, eigenvectors | self's dtype, eigenvalues, eigenvectors |
//! | `linalg_pinv.atol_rtol_tensor` | LinalgPinvBackward0 | self | result | self, result |
//! | `linalg_lstsq` | LinalgLstsqBackward0 | self, b | solution, residuals | b, self, solution |
//!
//! | `vdot` | VdotBackward0 | self, other | the other operand |
//!
//! | `linalg_matrix_exp` | LinalgMatrixExpBackward0 | self | result | self |
//! | `linalg_householder_product` | LinalgHouseholderProductBackward0 | input, tau | result | input, tau, result |
//! | `geqrf` | GeqrfBackward0 (not differentiable: fails when run) | self | a, tau | — |
//! | `ormqr` | OrmqrBackward0 (recorded; refused when run) | self, input2, input3 | result | — |
//!
use super::{Derivative, Differentiability, arg, derivative, tensor};
use crate::autograd::functions::decomp::{
    CholeskyInverseBackward0, CholeskySolveBackward0, LinalgCholeskyExBackward0,
    LinalgDetBackward0, LinalgInvExBackward0, LinalgQrBackward0, LinalgSlogdetBackward0,
    LinalgSolveExBackward0, LinalgSolveTriangularBackward0, TriangularSolveBackward0, flag,
};
use crate::autograd::functions::double_backward::not_implemented::NotImplemented;
use crate::autograd::functions::linalg::DotBackward0;
use crate::autograd::functions::lu::{
    LinalgLuBackward0, LinalgLuFactorExBackward0, LinalgLuSolveBackward0, LuUnpackBackward0,
};
use crate::autograd::functions::orthogonal::{
    GeqrfBackward0, LinalgHouseholderProductBackward0, LinalgMatrixExpBackward0, OrmqrBackward0,
};
use crate::autograd::functions::spectral::{
    LinalgEigBackward0, LinalgEighBackward0, LinalgLstsqBackward0, LinalgPinvBackward0,
    LinalgSvdBackward0,
};
use crate::autograd::saved::SavedVariable;
use crate::ivalue::IValue;

/// The autograd entry of `op` if it is a decomposition or solve.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    Some(match op {
        "aten.linalg_matrix_exp.default" => {
            D(derivative!("LinalgMatrixExpBackward0", &[0], |a, _| {
                Ok(Box::new(LinalgMatrixExpBackward0 {
                    self_: Some(SavedVariable::input(tensor(a, 0)?)),
                }))
            }))
        }
        "aten.linalg_householder_product.default" => D(derivative!(
            "LinalgHouseholderProductBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(LinalgHouseholderProductBackward0 {
                    input: Some(SavedVariable::input(tensor(a, 0)?)),
                    tau: Some(SavedVariable::input(tensor(a, 1)?)),
                    result: None,
                }))
            }
        )),
        "aten.geqrf.default" => D(derivative!("GeqrfBackward0", &[0], |_, _| Ok(Box::new(
            GeqrfBackward0
        )))),
        "aten.ormqr.default" => D(derivative!("OrmqrBackward0", &[0, 1, 2], |_, _| Ok(
            Box::new(OrmqrBackward0)
        ))),
        "aten.linalg_qr.default" => D(derivative!("LinalgQrBackward0", &[0], |a, _| {
            let mode = match arg(a, 1) {
                IValue::Str(s) => s,
                _ => "reduced".to_owned(),
            };
            Ok(Box::new(LinalgQrBackward0 {
                mode,
                q: None,
                r: None,
            }))
        })),
        "aten.linalg_cholesky_ex.default" => D(derivative!(
            "LinalgCholeskyExBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(LinalgCholeskyExBackward0 {
                    upper: flag(&arg(a, 1), false),
                    l: None,
                }))
            },
            outputs = &[true, false]
        )),
        "aten.linalg_solve_triangular.default" => D(derivative!(
            "LinalgSolveTriangularBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(LinalgSolveTriangularBackward0 {
                    a: Some(SavedVariable::input(tensor(a, 0)?)),
                    upper: flag(&arg(a, 2), false),
                    left: flag(&arg(a, 3), true),
                    unitriangular: flag(&arg(a, 4), false),
                    result: None,
                }))
            }
        )),
        "aten.triangular_solve.default" => {
            D(derivative!("TriangularSolveBackward0", &[0, 1], |a, _| {
                Ok(Box::new(TriangularSolveBackward0 {
                    b: Some(SavedVariable::input(tensor(a, 0)?)),
                    a: Some(SavedVariable::input(tensor(a, 1)?)),
                    upper: flag(&arg(a, 2), true),
                    transpose: flag(&arg(a, 3), false),
                    unitriangular: flag(&arg(a, 4), false),
                    solution: None,
                }))
            }))
        }
        // Only `LD` takes the node; `pivots` and `info` are integers.
        "aten.linalg_ldl_factor_ex.default" => D(&Derivative {
            name: "NotImplemented",
            inputs: &[0],
            build: |_, _| {
                Ok(Box::new(NotImplemented {
                    op: "aten::linalg_ldl_factor_ex",
                }))
            },
            outputs: &[true, false, false],
            original_self: super::never,
            fallback: true,
        }),
        "aten.linalg_ldl_solve.default" => D(derivative!(
            "NotImplemented",
            &[0, 2],
            |_, _| Ok(Box::new(NotImplemented {
                op: "aten::linalg_ldl_solve",
            })),
            fallback
        )),
        "aten.cholesky_solve.default" => {
            D(derivative!("CholeskySolveBackward0", &[0, 1], |a, _| {
                Ok(Box::new(CholeskySolveBackward0 {
                    input2: Some(SavedVariable::input(tensor(a, 1)?)),
                    upper: flag(&arg(a, 2), false),
                    result: None,
                }))
            }))
        }
        "aten.cholesky_inverse.default" => {
            D(derivative!("CholeskyInverseBackward0", &[0], |a, _| {
                Ok(Box::new(CholeskyInverseBackward0 {
                    a: Some(SavedVariable::input(tensor(a, 0)?)),
                    upper: flag(&arg(a, 1), false),
                    result: None,
                }))
            }))
        }
        "aten._linalg_solve_ex.default" => D(derivative!(
            "LinalgSolveExBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(LinalgSolveExBackward0 {
                    left: flag(&arg(a, 2), true),
                    a: Some(SavedVariable::input(tensor(a, 0)?)),
                    result: None,
                    lu: None,
                    pivots: None,
                }))
            },
            outputs = &[true, false, false, false]
        )),
        "aten.linalg_inv_ex.default" => D(derivative!(
            "LinalgInvExBackward0",
            &[0],
            |_, _| Ok(Box::new(LinalgInvExBackward0 { inverse: None })),
            outputs = &[true, false]
        )),
        "aten._linalg_det.default" => D(derivative!(
            "LinalgDetBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(LinalgDetBackward0 {
                    a: Some(SavedVariable::input(tensor(a, 0)?)),
                    result: None,
                    lu: None,
                    pivots: None,
                }))
            },
            outputs = &[true, false, false]
        )),
        "aten._linalg_slogdet.default" => D(derivative!(
            "LinalgSlogdetBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(LinalgSlogdetBackward0 {
                    a: Some(SavedVariable::input(tensor(a, 0)?)),
                    lu: None,
                    pivots: None,
                }))
            },
            outputs = &[true, true, false, false]
        )),
        "aten.linalg_lu_factor_ex.default" => D(derivative!(
            "LinalgLuFactorExBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(LinalgLuFactorExBackward0 {
                    pivot: flag(&arg(a, 1), true),
                    lu: None,
                    pivots: None,
                }))
            },
            outputs = &[true, false, false]
        )),
        "aten.linalg_lu.default" => D(derivative!(
            "LinalgLuBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(LinalgLuBackward0 {
                    pivot: flag(&arg(a, 1), true),
                    p: None,
                    l: None,
                    u: None,
                }))
            },
            outputs = &[false, true, true]
        )),
        "aten.lu_unpack.default" => D(derivative!(
            "LuUnpackBackward0",
            &[0],
            |a, _| {
                let lu = tensor(a, 0)?;
                let size = |i: usize| lu.shape().get(lu.dim().wrapping_sub(i)).copied();
                Ok(Box::new(LuUnpackBackward0 {
                    m: size(2).unwrap_or(0),
                    n: size(1).unwrap_or(0),
                }))
            },
            outputs = &[false, true, true]
        )),
        "aten.linalg_lu_solve.default" => {
            D(derivative!("LinalgLuSolveBackward0", &[0, 2], |a, _| {
                Ok(Box::new(LinalgLuSolveBackward0 {
                    left: flag(&arg(a, 3), true),
                    adjoint: flag(&arg(a, 4), false),
                    lu: Some(SavedVariable::input(tensor(a, 0)?)),
                    pivots: Some(SavedVariable::input(tensor(a, 1)?)),
                    result: None,
                }))
            }))
        }
        "aten._linalg_svd.default" => D(derivative!(
            "LinalgSvdBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(LinalgSvdBackward0 {
                    full_matrices: flag(&arg(a, 1), false),
                    u: None,
                    s: None,
                    vh: None,
                }))
            },
            outputs = &[true, true, true]
        )),
        "aten._linalg_eigh.default" => D(derivative!(
            "LinalgEighBackward0",
            &[0],
            |_, _| {
                Ok(Box::new(LinalgEighBackward0 {
                    eigenvalues: None,
                    eigenvectors: None,
                }))
            },
            outputs = &[true, true]
        )),
        "aten.linalg_eig.default" => D(derivative!(
            "LinalgEigBackward0",
            &[0],
            |a, _| {
                Ok(Box::new(LinalgEigBackward0 {
                    real_input: !tensor(a, 0)?.dtype().is_complex(),
                    eigenvalues: None,
                    eigenvectors: None,
                }))
            },
            outputs = &[true, true]
        )),
        "aten.linalg_pinv.atol_rtol_tensor" => {
            D(derivative!("LinalgPinvBackward0", &[0], |a, _| {
                Ok(Box::new(LinalgPinvBackward0 {
                    a: Some(SavedVariable::input(tensor(a, 0)?)),
                    result: None,
                }))
            }))
        }
        "aten.linalg_lstsq.default" => D(derivative!(
            "LinalgLstsqBackward0",
            &[0, 1],
            |a, _| {
                Ok(Box::new(LinalgLstsqBackward0 {
                    a: Some(SavedVariable::input(tensor(a, 0)?)),
                    b: Some(SavedVariable::input(tensor(a, 1)?)),
                    solution: None,
                }))
            },
            outputs = &[true, true, false, false]
        )),
        // `grad * self` then `grad.conj() * other`: DotBackward0 with vdot's
        // formulas and order, under vdot's node name.
        "aten.vdot.default" => D(derivative!("VdotBackward0", &[0, 1], |a, n| {
            let keep = |i: usize, edge: usize| -> crate::error::Result<Option<SavedVariable>> {
                Ok(if super::needs(n, edge) {
                    Some(SavedVariable::input(tensor(a, i)?))
                } else {
                    None
                })
            };
            Ok(Box::new(DotBackward0 {
                self_: keep(0, 1)?,
                tensor: keep(1, 0)?,
                vdot: true,
            }))
        })),
        _ => return None,
    })
}
