//! Backward of the matrix products: `mm`, `addmm`, `bmm`, `baddbmm`, `mv`,
//! `addmv` and `dot`.
//!
//! For `out = beta * self + alpha * mat1 @ mat2`:
//! d/dself = beta * grad, d/dmat1 = alpha * grad @ mat2ᵀ,
//! d/dmat2 = alpha * mat1ᵀ @ grad.
//!
//! PyTorch computes the matrix gradients in one of two forms depending on the
//! *forward input's* strides (`mm_mat1_backward` / `mm_mat2_backward`): when
//! the input was column-major (strides `(1, rows)`) it returns the gradient
//! column-major too, as the transpose of a product of transposes. The two
//! forms dispatch different operator sequences, which the trace records:
//!
//! | gradient | input row-major | input column-major |
//! |---|---|---|
//! | mat1 | `t(mat2)`, `mm(grad, ·)` | `t(grad)`, `mm(mat2, ·)`, `t(·)` |
//! | mat2 | `t(mat1)`, `mm(·, grad)` | `t(grad)`, `mm(·, mat1)`, `t(·)` |
//!
//! A complex operand enters its partner's gradient conjugated (`mat2ᴴ`,
//! `mat1ᴴ`: `_conj` after the transpose, or before it in the column-major
//! form, as PyTorch's `mat2.t().conj()` and `mat2.conj().mm(grad.t())`);
//! `mm` and `bmm` are conjugate-aware, so no `clone` materializes it.
//!
//! (Observed in torch 2.15: `nn.Linear`'s weight enters addmm as `w.t()`,
//! column-major, so its gradient takes the second form. Also observed, with
//! `beta = 2` so that self's gradient is an op: AddmmBackward0 computes
//! mat1, mat2, then self; MmBackward0 computes mat2 before self.)

use super::complex::{conj, conj_scalar};
use super::{maybe_multiply, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

fn column_major(sizes: &[i64], strides: &[i64]) -> bool {
    matches!((sizes, strides), (&[rows, _], &[1, s1]) if s1 == rows)
}

/// PyTorch's `mm_mat1_backward`.
fn mat1_grad(
    ctx: &mut BackwardCtx<'_>,
    grad: &Tensor,
    mat2: &Tensor,
    mat1_layout: &MatrixLayout,
    alpha: &IValue,
) -> Result<Tensor> {
    let g = if column_major(&mat1_layout.sizes, &mat1_layout.strides) {
        let m2c = conj(ctx.rt, mat2)?;
        let gt = ctx.rt.t(grad)?;
        let p = ctx.rt.mm(&m2c, &gt)?;
        ctx.rt.t(&p)?
    } else {
        let m2t = ctx.rt.t(mat2)?;
        let m2t = conj(ctx.rt, &m2t)?;
        ctx.rt.mm(grad, &m2t)?
    };
    maybe_multiply(ctx, g, alpha)
}

/// PyTorch's `mm_mat2_backward`.
pub(crate) fn mat2_grad(
    ctx: &mut BackwardCtx<'_>,
    grad: &Tensor,
    mat1: &Tensor,
    mat2_layout: &MatrixLayout,
    alpha: &IValue,
) -> Result<Tensor> {
    // The column-major shortcut is for strided operands only: a sparse
    // `mat1` (SparseAddmmBackward0) takes the general `mat1ᵀ @ grad`.
    let strided = !mat1.is_sparse() && !grad.is_sparse();
    let g = if strided && column_major(&mat2_layout.sizes, &mat2_layout.strides) {
        let gt = ctx.rt.t(grad)?;
        let m1c = conj(ctx.rt, mat1)?;
        let p = ctx.rt.mm(&gt, &m1c)?;
        ctx.rt.t(&p)?
    } else {
        let m1t = ctx.rt.t(mat1)?;
        let m1t = conj(ctx.rt, &m1t)?;
        ctx.rt.mm(&m1t, grad)?
    };
    maybe_multiply(ctx, g, alpha)
}

fn unpack(ctx: &BackwardCtx<'_>, saved: &Option<SavedVariable>) -> Result<Tensor> {
    saved.as_ref().map_or_else(
        || {
            Err(RuntimeError::GraphFreed {
                node: ctx.node.name().to_owned(),
            })
        },
        |s| s.unpack(ctx.node),
    )
}

/// Geometry of a matrix operand, saved when its own gradient is needed.
#[derive(Clone, Debug, Default)]
pub(crate) struct MatrixLayout {
    pub(crate) sizes: Vec<i64>,
    pub(crate) strides: Vec<i64>,
}

impl MatrixLayout {
    pub(crate) fn of(t: &Tensor) -> MatrixLayout {
        MatrixLayout {
            sizes: t.shape().to_vec(),
            strides: t.stride().to_vec(),
        }
    }
}

/// `addmm(self, mat1, mat2, *, beta, alpha)`.
pub(crate) struct AddmmBackward0 {
    pub(crate) beta: IValue,
    pub(crate) alpha: IValue,
    /// Saved when mat2 needs a gradient.
    pub(crate) mat1: Option<SavedVariable>,
    /// Saved when mat1 needs a gradient.
    pub(crate) mat2: Option<SavedVariable>,
    pub(crate) mat1_layout: MatrixLayout,
    pub(crate) mat2_layout: MatrixLayout,
}

impl BackwardFn for AddmmBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        // PyTorch unpacks (and version-checks) every saved tensor before
        // computing anything (observed in torch 2.15: a modified `mat2`
        // fails the node before its `mat1` gradient is dispatched).
        let mat1 = ctx.needs(2).then(|| unpack(ctx, &self.mat1)).transpose()?;
        let mat2 = ctx.needs(1).then(|| unpack(ctx, &self.mat2)).transpose()?;
        let mut out = vec![None, None, None];
        if let Some(mat2) = &mat2 {
            out[1] = Some(mat1_grad(
                ctx,
                &g,
                mat2,
                &self.mat1_layout,
                &conj_scalar(&self.alpha),
            )?);
        }
        if let Some(mat1) = &mat1 {
            out[2] = Some(mat2_grad(
                ctx,
                &g,
                mat1,
                &self.mat2_layout,
                &conj_scalar(&self.alpha),
            )?);
        }
        if ctx.needs(0) {
            out[0] = Some(maybe_multiply(ctx, g, &conj_scalar(&self.beta))?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.mat1.iter_mut().for_each(SavedVariable::release);
        self.mat2.iter_mut().for_each(SavedVariable::release);
    }
}

/// `mm(self, mat2)`.
pub(crate) struct MmBackward0 {
    /// Saved when mat2 needs a gradient.
    pub(crate) self_: Option<SavedVariable>,
    /// Saved when self needs a gradient.
    pub(crate) mat2: Option<SavedVariable>,
    pub(crate) self_layout: MatrixLayout,
    pub(crate) mat2_layout: MatrixLayout,
}

impl BackwardFn for MmBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let one = IValue::Int(1);
        let mut out = vec![None, None];
        // Every saved tensor is unpacked (and version-checked) first, as
        // PyTorch's generated node does (observed in torch 2.15: a `mat2`
        // modified in place fails the node before any op is dispatched).
        let mat2 = ctx.needs(0).then(|| unpack(ctx, &self.mat2)).transpose()?;
        let mat1 = ctx.needs(1).then(|| unpack(ctx, &self.self_)).transpose()?;
        // MmBackward0 computes mat2's gradient before self's (observed in
        // torch 2.15).
        if let Some(mat1) = &mat1 {
            out[1] = Some(mat2_grad(ctx, &g, mat1, &self.mat2_layout, &one)?);
        }
        if let Some(mat2) = &mat2 {
            out[0] = Some(mat1_grad(ctx, &g, mat2, &self.self_layout, &one)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.iter_mut().for_each(SavedVariable::release);
        self.mat2.iter_mut().for_each(SavedVariable::release);
    }
}

/// A saved operand that must be present when its partner needs a gradient.
fn saved(ctx: &BackwardCtx<'_>, s: &Option<SavedVariable>) -> Result<Tensor> {
    unpack(ctx, s)
}

/// `bmm`-style gradients shared by BmmBackward0 and BaddbmmBackward0:
/// d/dbatch1 = grad @ batch2ᵀ (`transpose(batch2, 1, 2)`, `bmm`),
/// d/dbatch2 = batch1ᵀ @ grad (`transpose(batch1, 1, 2)`, `bmm`).
fn batch1_grad(ctx: &mut BackwardCtx<'_>, g: &Tensor, batch2: &Tensor) -> Result<Tensor> {
    let b2t = ctx.rt.transpose(batch2, 1, 2)?;
    let b2t = conj(ctx.rt, &b2t)?;
    ctx.rt.bmm(g, &b2t)
}

fn batch2_grad(ctx: &mut BackwardCtx<'_>, g: &Tensor, batch1: &Tensor) -> Result<Tensor> {
    let b1t = ctx.rt.transpose(batch1, 1, 2)?;
    let b1t = conj(ctx.rt, &b1t)?;
    ctx.rt.bmm(&b1t, g)
}

/// `bmm(self, mat2)`: edges (self, mat2); mat2's gradient is computed first
/// (observed in torch 2.15).
pub(crate) struct BmmBackward0 {
    /// Saved when mat2 needs a gradient.
    pub(crate) self_: Option<SavedVariable>,
    /// Saved when self needs a gradient.
    pub(crate) mat2: Option<SavedVariable>,
}

impl BackwardFn for BmmBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(1) {
            let this = saved(ctx, &self.self_)?;
            out[1] = Some(batch2_grad(ctx, &g, &this)?);
        }
        if ctx.needs(0) {
            let mat2 = saved(ctx, &self.mat2)?;
            out[0] = Some(batch1_grad(ctx, &g, &mat2)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.iter_mut().for_each(SavedVariable::release);
        self.mat2.iter_mut().for_each(SavedVariable::release);
    }
}

/// `baddbmm(self, batch1, batch2, *, beta, alpha)`: edges (self, batch1,
/// batch2), computed batch1, batch2, self (observed in torch 2.15); the
/// scalars enter conjugated (`alpha.conj()`, `beta.conj()`), as in
/// AddmmBackward0.
pub(crate) struct BaddbmmBackward0 {
    pub(crate) beta: IValue,
    pub(crate) alpha: IValue,
    /// Saved when batch2 needs a gradient.
    pub(crate) batch1: Option<SavedVariable>,
    /// Saved when batch1 needs a gradient.
    pub(crate) batch2: Option<SavedVariable>,
}

impl BackwardFn for BaddbmmBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mut out = vec![None, None, None];
        let (alpha, beta) = if ctx.rt.faults().baddbmm_grad_unconjugated_scalars {
            (self.alpha.clone(), self.beta.clone())
        } else {
            (conj_scalar(&self.alpha), conj_scalar(&self.beta))
        };
        if ctx.needs(1) {
            let batch2 = saved(ctx, &self.batch2)?;
            let p = batch1_grad(ctx, &g, &batch2)?;
            out[1] = Some(maybe_multiply(ctx, p, &alpha)?);
        }
        if ctx.needs(2) {
            let batch1 = saved(ctx, &self.batch1)?;
            let p = batch2_grad(ctx, &g, &batch1)?;
            out[2] = Some(maybe_multiply(ctx, p, &alpha)?);
        }
        if ctx.needs(0) {
            out[0] = Some(maybe_multiply(ctx, g, &beta)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.batch1.iter_mut().for_each(SavedVariable::release);
        self.batch2.iter_mut().for_each(SavedVariable::release);
    }
}

/// PyTorch's `grad.ger(vec)` as the formulas dispatch it:
/// `view(grad, [n, 1])` then `mul(·, vec)`.
fn outer(ctx: &mut BackwardCtx<'_>, g: &Tensor, vec: &Tensor) -> Result<Tensor> {
    let n = g.shape().first().copied().unwrap_or(1);
    let column = ctx.rt.reshape(g, &[n, 1])?;
    ctx.rt.mul(&column, IValue::Tensor(vec.clone()))
}

/// `matᵀ @ grad`: `t(mat)`, `mv`.
fn mat_t_mv(ctx: &mut BackwardCtx<'_>, mat: &Tensor, g: &Tensor) -> Result<Tensor> {
    let mt = ctx.rt.t(mat)?;
    ctx.rt.mv(&mt, g)
}

/// `mv(self, vec)`: d/dself = grad ⊗ conj(vec), d/dvec = conj(self)ᵀ @
/// grad; self first (observed in torch 2.15: `_conj(vec)` comes before
/// the `view` of grad, `_conj(self)` before its `t`).
pub(crate) struct MvBackward0 {
    /// Saved when vec needs a gradient.
    pub(crate) self_: Option<SavedVariable>,
    /// Saved when self needs a gradient.
    pub(crate) vec: Option<SavedVariable>,
}

impl BackwardFn for MvBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(0) {
            let vec = saved(ctx, &self.vec)?;
            let vec = conj(ctx.rt, &vec)?;
            out[0] = Some(outer(ctx, &g, &vec)?);
        }
        if ctx.needs(1) {
            let mat = saved(ctx, &self.self_)?;
            let mat = conj(ctx.rt, &mat)?;
            out[1] = Some(mat_t_mv(ctx, &mat, &g)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.iter_mut().for_each(SavedVariable::release);
        self.vec.iter_mut().for_each(SavedVariable::release);
    }
}

/// `addmv(self, mat, vec, *, beta, alpha)`: edges (self, mat, vec),
/// computed mat, self, vec; the scalars and operands enter conjugated
/// (`grad ⊗ conj(vec) · conj(alpha)`, `grad · conj(beta)`,
/// `t(mat)ᴴ @ grad · conj(alpha)`: `t` then `_conj`, observed in torch 2.15).
pub(crate) struct AddmvBackward0 {
    pub(crate) beta: IValue,
    pub(crate) alpha: IValue,
    /// Saved when vec needs a gradient.
    pub(crate) mat: Option<SavedVariable>,
    /// Saved when mat needs a gradient.
    pub(crate) vec: Option<SavedVariable>,
}

impl BackwardFn for AddmvBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mut out = vec![None, None, None];
        let (alpha, beta) = (conj_scalar(&self.alpha), conj_scalar(&self.beta));
        if ctx.needs(1) {
            let vec = saved(ctx, &self.vec)?;
            let vec = conj(ctx.rt, &vec)?;
            let p = outer(ctx, &g, &vec)?;
            out[1] = Some(maybe_multiply(ctx, p, &alpha)?);
        }
        if ctx.needs(0) {
            out[0] = Some(maybe_multiply(ctx, g.clone(), &beta)?);
        }
        if ctx.needs(2) {
            let mat = saved(ctx, &self.mat)?;
            let mt = ctx.rt.t(&mat)?;
            let mt = conj(ctx.rt, &mt)?;
            let p = ctx.rt.mv(&mt, &g)?;
            out[2] = Some(maybe_multiply(ctx, p, &alpha)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.mat.iter_mut().for_each(SavedVariable::release);
        self.vec.iter_mut().for_each(SavedVariable::release);
    }
}

/// `addr(self, vec1, vec2, *, beta, alpha)`: edges (self, vec1, vec2),
/// computed in that order (observed in torch 2.15): `grad * beta`,
/// `mv(grad, vec2) * alpha`, `mv(grad.t(), vec1) * alpha`, each product by
/// a scalar skipped when it is 1.
pub(crate) struct AddrBackward0 {
    pub(crate) beta: IValue,
    pub(crate) alpha: IValue,
    /// Saved when vec2 needs a gradient.
    pub(crate) vec1: Option<SavedVariable>,
    /// Saved when vec1 needs a gradient.
    pub(crate) vec2: Option<SavedVariable>,
}

impl BackwardFn for AddrBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mut out = vec![None, None, None];
        if ctx.needs(0) {
            out[0] = Some(maybe_multiply(ctx, g.clone(), &self.beta)?);
        }
        if ctx.needs(1) {
            let vec2 = saved(ctx, &self.vec2)?;
            let p = ctx.rt.mv(&g, &vec2)?;
            out[1] = Some(maybe_multiply(ctx, p, &self.alpha)?);
        }
        if ctx.needs(2) {
            let vec1 = saved(ctx, &self.vec1)?;
            let p = mat_t_mv(ctx, &g, &vec1)?;
            out[2] = Some(maybe_multiply(ctx, p, &self.alpha)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.vec1.iter_mut().for_each(SavedVariable::release);
        self.vec2.iter_mut().for_each(SavedVariable::release);
    }
}

/// `dot(self, tensor)`: d/dself = grad * tensor.conj(), d/dtensor =
/// grad * self.conj() (`mul.Tensor` with the 0-dim gradient first; `conj`
/// is the identity on real operands), self first. `vdot(self, other)`:
/// d/dother = grad * self, then d/dself = grad.conj() * other (observed in
/// torch 2.15: VdotBackward0 dispatches the other operand's product first),
/// which decides the order their sum is accumulated in when both operands
/// are one tensor.
pub(crate) struct DotBackward0 {
    /// Saved when tensor needs a gradient.
    pub(crate) self_: Option<SavedVariable>,
    /// Saved when self needs a gradient.
    pub(crate) tensor: Option<SavedVariable>,
    /// `vdot`'s formulas and order.
    pub(crate) vdot: bool,
}

impl BackwardFn for DotBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        let order = if self.vdot && !ctx.rt.faults().vdot_grads_self_first {
            [1, 0]
        } else {
            [0, 1]
        };
        for edge in order {
            if !ctx.needs(edge) {
                continue;
            }
            // Each operand's gradient is the gradient times the other one.
            let factor = saved(ctx, if edge == 0 { &self.tensor } else { &self.self_ })?;
            let (g, factor) = match (self.vdot, edge) {
                (true, 0) => (conj(ctx.rt, &g)?, factor),
                (true, _) => (g.clone(), factor),
                (false, _) => (g.clone(), conj(ctx.rt, &factor)?),
            };
            out[edge] = Some(ctx.rt.mul(&g, IValue::Tensor(factor))?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.iter_mut().for_each(SavedVariable::release);
        self.tensor.iter_mut().for_each(SavedVariable::release);
    }
}

/// `addbmm(self, batch1, batch2, *, beta, alpha)`: edges (self, batch1,
/// batch2), computed batch1, batch2, self (observed in torch 2.15). The
/// gradient is broadcast back over the batch as
/// `expand(unsqueeze(grad, 0), [b, n, m])` for each batch operand.
pub(crate) struct AddbmmBackward0 {
    pub(crate) beta: IValue,
    pub(crate) alpha: IValue,
    /// Saved when batch2 needs a gradient.
    pub(crate) batch1: Option<SavedVariable>,
    /// Saved when batch1 needs a gradient.
    pub(crate) batch2: Option<SavedVariable>,
    /// `[batch1.size(0), batch1.size(1), batch2.size(2)]`.
    pub(crate) batched_sizes: Vec<i64>,
}

impl AddbmmBackward0 {
    fn batched_grad(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor) -> Result<Tensor> {
        let unsqueezed = ctx.rt.unsqueeze(g, 0)?;
        ctx.rt.expand(&unsqueezed, &self.batched_sizes)
    }
}

impl BackwardFn for AddbmmBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None, None]);
        };
        let mut out = vec![None, None, None];
        if ctx.needs(1) {
            let batch2 = saved(ctx, &self.batch2)?;
            let expanded = self.batched_grad(ctx, &g)?;
            let p = batch1_grad(ctx, &expanded, &batch2)?;
            out[1] = Some(maybe_multiply(ctx, p, &self.alpha)?);
        }
        if ctx.needs(2) {
            let batch1 = saved(ctx, &self.batch1)?;
            let b1t = ctx.rt.transpose(&batch1, 1, 2)?;
            let expanded = self.batched_grad(ctx, &g)?;
            let p = ctx.rt.bmm(&b1t, &expanded)?;
            out[2] = Some(maybe_multiply(ctx, p, &self.alpha)?);
        }
        if ctx.needs(0) {
            out[0] = Some(maybe_multiply(ctx, g, &self.beta)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.batch1.iter_mut().for_each(SavedVariable::release);
        self.batch2.iter_mut().for_each(SavedVariable::release);
    }
}
