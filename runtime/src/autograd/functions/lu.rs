//! Backward of the LU family (FunctionsManual.cpp's `linalg_lu_backward`,
//! `lu_factor_ex_backward`, `lu_unpack_backward` and `linalg_lu_solve_LU`),
//! each dispatching the calls PyTorch's formula makes in torch 2.15's order.
//!
//! Observed order rules (as in [`super::decomp`]): the arguments of a call
//! are evaluated right to left (`linalg_solve_triangular(U1ᴴ, G.tril(-1))`
//! computes the `tril` before `U1`'s `slice`), the right operand of `a + b`
//! first, the receiver of a method call before its argument, and braced
//! lists (`cat({…})`) left to right. `narrow` is `slice`, `mH`/`mT` of a real
//! matrix `transpose(-2, -1)`.
//!
//! With `A = P·L·U`, `L` `m×k`, `U` `k×n` (`k = min(m, n)`):
//! square `gA = P·L⁻ᴴ·(Lᴴ·gL ∘ 1_L + gU·Uᴴ ∘ 1_U)·U⁻ᴴ`; wide and tall
//! matrices carry the extra block of `gU` (`gL`) through one triangular
//! solve. `lu_unpack` routes `gL` below and `gU` on and above the diagonal
//! of the packed factors; `linalg_lu_solve`'s `gB` is the adjoint solve with
//! the same factors.

use super::decomp::{
    add, lu_solve, matmul, mh, neg, one, release, saved_input, saved_output, solve_triangular, sub,
    tri,
};
use super::orthogonal::zeros_like;
use super::reduction::unpack;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// `t.narrow(dim, start, len)` (a `slice.Tensor`).
fn narrow(rt: &mut Runtime, t: &Tensor, dim: i64, start: i64, end: i64) -> Result<Tensor> {
    one(
        rt,
        "aten.slice.Tensor",
        vec![
            t.into(),
            IValue::Int(dim),
            IValue::Int(start),
            IValue::Int(end),
            IValue::Int(1),
        ],
    )
}

fn cat(rt: &mut Runtime, parts: Vec<Tensor>, dim: i64) -> Result<Tensor> {
    one(
        rt,
        "aten.cat.default",
        vec![IValue::TensorList(parts), IValue::Int(dim)],
    )
}

/// `at::zeros(shape, like.options())`.
fn zeros(rt: &mut Runtime, shape: Vec<i64>, like: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.zeros.default",
        vec![
            IValue::IntList(shape),
            IValue::Dtype(like.dtype()),
            IValue::Layout(crate::tensor::options::Layout::Strided),
            IValue::Device(like.device()),
            IValue::None,
        ],
    )
}

/// Size `i` from the end (`-1` the last).
fn dim_from_end(t: &Tensor, i: usize) -> i64 {
    t.shape()
        .len()
        .checked_sub(i)
        .and_then(|d| t.shape().get(d))
        .copied()
        .unwrap_or(0)
}

/// `linalg_lu_backward(gL, gU, P, L, U, pivot)`; `None` when neither
/// gradient is defined.
fn linalg_lu_backward(
    rt: &mut Runtime,
    gl: Option<Tensor>,
    gu: Option<Tensor>,
    (p, l, u): (&Tensor, &Tensor, &Tensor),
    pivot: bool,
) -> Result<Option<Tensor>> {
    if gl.is_none() && gu.is_none() {
        return Ok(None);
    }
    let (m, n) = (dim_from_end(l, 2), dim_from_end(u, 1));
    let k = m.min(n);
    let a = if m == n {
        // (Lᴴ·gL).tril(-1) + (gU·Uᴴ).triu(), then U⁻ᴴ from the right and
        // the unit L⁻ᴴ from the left.
        let mut a = match &gl {
            Some(gl) => {
                let lh = mh(rt, l)?;
                let p = matmul(rt, &lh, gl)?;
                Some(tri(rt, true, &p, -1)?)
            }
            None => None,
        };
        if let Some(gu) = &gu {
            let uh = mh(rt, u)?;
            let p = matmul(rt, gu, &uh)?;
            let t = tri(rt, false, &p, 0)?;
            a = Some(match a {
                Some(a) => add(rt, &a, &t)?,
                None => t,
            });
        }
        let a = a.expect("a gradient is defined");
        let uh = mh(rt, u)?;
        let a = solve_triangular(rt, &uh, &a, false, false, false)?;
        let lh = mh(rt, l)?;
        solve_triangular(rt, &lh, &a, true, true, true)?
    } else if m < n {
        // Wide: the first k columns as the square case, gU's last n − k
        // columns straight through L⁻ᴴ.
        let mut a = match &gl {
            Some(gl) => {
                let lh = mh(rt, l)?;
                Some(matmul(rt, &lh, gl)?)
            }
            None => None,
        };
        if let Some(gu) = &gu {
            let t = tri(rt, false, gu, 0)?;
            let uh = mh(rt, u)?;
            let p = matmul(rt, &t, &uh)?;
            a = Some(match a {
                Some(a) => sub(rt, &a, &p)?,
                None => neg(rt, &p)?,
            });
        }
        let a = a.expect("a gradient is defined");
        let a = tri(rt, true, &a, -1)?;
        let u1 = narrow(rt, u, -1, 0, k)?;
        let u1h = mh(rt, &u1)?;
        let mut a = solve_triangular(rt, &u1h, &a, false, false, false)?;
        if let Some(gu) = &gu {
            let g1 = narrow(rt, gu, -1, 0, k)?;
            let g1 = tri(rt, false, &g1, 0)?;
            let head = add(rt, &a, &g1)?;
            let g2 = narrow(rt, gu, -1, k, n)?;
            a = cat(rt, vec![head, g2], -1)?;
        }
        let lh = mh(rt, l)?;
        let a = solve_triangular(rt, &lh, &a, true, true, true)?;
        if gu.is_none() {
            let u2 = narrow(rt, u, -1, k, n)?;
            let z = zeros_like(rt, &u2)?;
            cat(rt, vec![a, z], -1)?
        } else {
            a
        }
    } else {
        // Tall: the first k rows as the square case, gL's last m − k rows
        // straight through U⁻ᴴ.
        let mut a = match &gu {
            Some(gu) => {
                let uh = mh(rt, u)?;
                Some(matmul(rt, gu, &uh)?)
            }
            None => None,
        };
        if let Some(gl) = &gl {
            let lh = mh(rt, l)?;
            let t = tri(rt, true, gl, -1)?;
            let p = matmul(rt, &lh, &t)?;
            a = Some(match a {
                Some(a) => sub(rt, &a, &p)?,
                None => neg(rt, &p)?,
            });
        }
        let a = a.expect("a gradient is defined");
        let a = tri(rt, false, &a, 0)?;
        let l1 = narrow(rt, l, -2, 0, k)?;
        let l1h = mh(rt, &l1)?;
        let mut a = solve_triangular(rt, &l1h, &a, true, true, true)?;
        if let Some(gl) = &gl {
            let g1 = narrow(rt, gl, -2, 0, k)?;
            let g1 = tri(rt, true, &g1, -1)?;
            let head = add(rt, &a, &g1)?;
            let g2 = narrow(rt, gl, -2, k, m)?;
            a = cat(rt, vec![head, g2], -2)?;
        }
        let uh = mh(rt, u)?;
        let a = solve_triangular(rt, &uh, &a, false, false, false)?;
        if gl.is_none() {
            let l2 = narrow(rt, l, -2, k, m)?;
            let z = zeros_like(rt, &l2)?;
            cat(rt, vec![a, z], -2)?
        } else {
            a
        }
    };
    Ok(Some(if pivot { matmul(rt, p, &a)? } else { a }))
}

/// `at::lu_unpack(LU, pivots, unpack_data=True, unpack_pivots)`.
fn lu_unpack(
    rt: &mut Runtime,
    lu: &Tensor,
    pivots: &Tensor,
    unpack_pivots: bool,
) -> Result<(Tensor, Tensor, Tensor)> {
    let mut out = rt
        .dispatch(
            "aten.lu_unpack.default",
            vec![lu.into(), pivots.into(), true.into(), unpack_pivots.into()],
        )?
        .into_iter()
        .filter_map(IValue::into_tensor);
    match (out.next(), out.next(), out.next()) {
        (Some(p), Some(l), Some(u)) => Ok((p, l, u)),
        _ => Err(crate::error::RuntimeError::autograd(
            "lu_unpack returned fewer than three tensors",
        )),
    }
}

/// LinalgLuFactorExBackward0 (`lu_factor_ex_backward(grad, LU, pivots,
/// pivot)`): the packed gradient split into `gL = grad[..., :k]` and
/// `gU = grad[..., :k, :]`, then `linalg_lu_backward`.
pub(crate) struct LinalgLuFactorExBackward0 {
    pub(crate) pivot: bool,
    pub(crate) lu: Option<SavedVariable>,
    pub(crate) pivots: Option<SavedVariable>,
}

impl BackwardFn for LinalgLuFactorExBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = grads.into_iter().next().flatten() else {
            return Ok(vec![None]);
        };
        let lu = unpack(&self.lu, ctx)?;
        let pivots = unpack(&self.pivots, ctx)?;
        let rt = &mut *ctx.rt;
        let (p, l, u) = lu_unpack(rt, &lu, &pivots, self.pivot)?;
        let k = dim_from_end(&lu, 2).min(dim_from_end(&lu, 1));
        let gl = narrow(rt, &grad, -1, 0, k)?;
        let gu = narrow(rt, &grad, -2, 0, k)?;
        Ok(vec![linalg_lu_backward(
            rt,
            Some(gl),
            Some(gu),
            (&p, &l, &u),
            self.pivot,
        )?])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.lu = saved_output(outputs, 0);
        self.pivots = saved_input(outputs, 1);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.lu, &mut self.pivots]);
    }
}

/// LinalgLuBackward0 (`linalg_lu_backward(grad_L, grad_U, P, L, U, pivot)`).
pub(crate) struct LinalgLuBackward0 {
    pub(crate) pivot: bool,
    pub(crate) p: Option<SavedVariable>,
    pub(crate) l: Option<SavedVariable>,
    pub(crate) u: Option<SavedVariable>,
}

impl BackwardFn for LinalgLuBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        // The gradients of the differentiable outputs, L and U.
        let mut grads = grads.into_iter();
        let (gl, gu) = (grads.next().flatten(), grads.next().flatten());
        if gl.is_none() && gu.is_none() {
            return Ok(vec![None]);
        }
        let p = unpack(&self.p, ctx)?;
        let l = unpack(&self.l, ctx)?;
        let u = unpack(&self.u, ctx)?;
        Ok(vec![linalg_lu_backward(
            ctx.rt,
            gl,
            gu,
            (&p, &l, &u),
            self.pivot,
        )?])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.p = saved_input(outputs, 0);
        self.l = saved_output(outputs, 1);
        self.u = saved_output(outputs, 2);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.p, &mut self.l, &mut self.u]);
    }
}

/// LuUnpackBackward0 (`lu_unpack_backward(grad_L, grad_U, m, n)`): `gL`
/// strictly below the diagonal plus `gU` on and above it, the extra block
/// of a wide `gU` or tall `gL` concatenated (zeros where that gradient is
/// undefined).
pub(crate) struct LuUnpackBackward0 {
    pub(crate) m: i64,
    pub(crate) n: i64,
}

impl BackwardFn for LuUnpackBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        // The gradients of the differentiable outputs, L and U.
        let mut grads = grads.into_iter();
        let (gl, gu) = (grads.next().flatten(), grads.next().flatten());
        let (m, n) = (self.m, self.n);
        let k = m.min(n);
        let rt = &mut *ctx.rt;
        let g = match (gl, gu) {
            (None, None) => return Ok(vec![None]),
            (Some(gl), Some(gu)) => {
                if m == n {
                    let tu = tri(rt, false, &gu, 0)?;
                    let tl = tri(rt, true, &gl, -1)?;
                    add(rt, &tl, &tu)?
                } else if m < n {
                    let g1 = narrow(rt, &gu, -1, 0, k)?;
                    let tu = tri(rt, false, &g1, 0)?;
                    let tl = tri(rt, true, &gl, -1)?;
                    let head = add(rt, &tl, &tu)?;
                    let g2 = narrow(rt, &gu, -1, k, n)?;
                    cat(rt, vec![head, g2], -1)?
                } else {
                    let tu = tri(rt, false, &gu, 0)?;
                    let g1 = narrow(rt, &gl, -2, 0, k)?;
                    let tl = tri(rt, true, &g1, -1)?;
                    let head = add(rt, &tl, &tu)?;
                    let g2 = narrow(rt, &gl, -2, k, m)?;
                    cat(rt, vec![head, g2], -2)?
                }
            }
            (Some(gl), None) => {
                let tl = tri(rt, true, &gl, -1)?;
                if m < n {
                    let mut shape = gl.shape()[..gl.dim() - 2].to_vec();
                    shape.extend([m, n - k]);
                    let z = zeros(rt, shape, &gl)?;
                    cat(rt, vec![tl, z], -1)?
                } else {
                    tl
                }
            }
            (None, Some(gu)) => {
                let tu = tri(rt, false, &gu, 0)?;
                if m > n {
                    let mut shape = gu.shape()[..gu.dim() - 2].to_vec();
                    shape.extend([m - k, n]);
                    let z = zeros(rt, shape, &gu)?;
                    cat(rt, vec![tu, z], -2)?
                } else {
                    tu
                }
            }
        };
        Ok(vec![Some(g)])
    }
}

/// LinalgLuSolveBackward0: `gB = linalg_lu_solve(LU, pivots, grad, left,
/// !adjoint)` (computed first), then `gLU = linalg_lu_solve_LU(grad, LU,
/// pivots, X, left, adjoint)`.
pub(crate) struct LinalgLuSolveBackward0 {
    pub(crate) left: bool,
    pub(crate) adjoint: bool,
    pub(crate) lu: Option<SavedVariable>,
    pub(crate) pivots: Option<SavedVariable>,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for LinalgLuSolveBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(gx) = grads.into_iter().next().flatten() else {
            return Ok(vec![None, None]);
        };
        let (need_lu, need_b) = (ctx.needs(0), ctx.needs(1));
        let lu = unpack(&self.lu, ctx)?;
        let pivots = unpack(&self.pivots, ctx)?;
        let x = if need_lu {
            Some(unpack(&self.result, ctx)?)
        } else {
            None
        };
        let (left, adjoint) = (self.left, self.adjoint);
        let rt = &mut *ctx.rt;
        let gb = if need_b {
            Some(lu_solve(rt, &lu, &pivots, &gx, left, !adjoint)?)
        } else {
            None
        };
        let glu = match x {
            Some(x) => Some(lu_solve_lu(rt, &gx, &lu, &pivots, &x, left, adjoint)?),
            None => None,
        };
        Ok(vec![glu, gb])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = saved_output(outputs, 0);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.lu, &mut self.pivots, &mut self.result]);
    }
}

/// `linalg_lu_solve_LU(gX, LU, pivots, X, left, adjoint)`: the gradient of
/// the packed factors. With `op₂(X) = X` (left) or `Xᴴ`:
/// `left != adjoint`: `gR = U⁻ᴴ·(−op₂(gX)·op₂(X)ᴴ)`, `gLU = (L⁻ᴴ·gR·Uᴴ).tril(-1) + gR.triu()`;
/// otherwise `gR = −Pᵀ·op₃(X)·op₁(gX)·P·L⁻ᴴ`, `gLU = gR.tril(-1) + (Lᴴ·gR·U⁻ᴴ).triu()`.
fn lu_solve_lu(
    rt: &mut Runtime,
    gx: &Tensor,
    lu: &Tensor,
    pivots: &Tensor,
    x: &Tensor,
    left: bool,
    adjoint: bool,
) -> Result<Tensor> {
    let (p, l, u) = lu_unpack(rt, lu, pivots, left == adjoint)?;
    if left != adjoint {
        let prod = if left {
            let xh = mh(rt, x)?;
            matmul(rt, gx, &xh)?
        } else {
            let gxh = mh(rt, gx)?;
            matmul(rt, &gxh, x)?
        };
        let rhs = neg(rt, &prod)?;
        let uh = mh(rt, &u)?;
        let gr = solve_triangular(rt, &uh, &rhs, false, true, false)?;
        let uh = mh(rt, &u)?;
        let gru = matmul(rt, &gr, &uh)?;
        let lh = mh(rt, &l)?;
        let gl = solve_triangular(rt, &lh, &gru, true, true, true)?;
        let gl = tri(rt, true, &gl, -1)?;
        let gu = tri(rt, false, &gr, 0)?;
        add(rt, &gl, &gu)
    } else {
        let pt = mh(rt, &p)?;
        let x_ = if left { x.clone() } else { mh(rt, x)? };
        let a = matmul(rt, &pt, &x_)?;
        let g_ = if left { mh(rt, gx)? } else { gx.clone() };
        let a = matmul(rt, &a, &g_)?;
        let a = matmul(rt, &a, &p)?;
        let gr = neg(rt, &a)?;
        let lh = mh(rt, &l)?;
        let gr = solve_triangular(rt, &lh, &gr, true, false, true)?;
        let lh = mh(rt, &l)?;
        let lgr = matmul(rt, &lh, &gr)?;
        let uh = mh(rt, &u)?;
        let gu = solve_triangular(rt, &uh, &lgr, false, false, false)?;
        let gu = tri(rt, false, &gu, 0)?;
        let gl = tri(rt, true, &gr, -1)?;
        add(rt, &gl, &gu)
    }
}
