//! Backward of the matrix decompositions and solves (FunctionsManual.cpp's
//! `linalg_qr_backward`, `cholesky_backward`,
//! `linalg_solve_triangular_backward`, `cholesky_solve_backward`,
//! `linalg_solve_backward`, the `linalg_inv_ex` row, `linalg_det_backward`,
//! `slogdet_backward`), each dispatching exactly the calls PyTorch's formula
//! makes, in the order torch 2.15 makes them: `X.mH()` of a real tensor is
//! `transpose(-2, -1)`, `matmul` decomposes as PyTorch's does, and in
//! `a - b` / `a + b` of two computed terms the right operand is dispatched
//! first (observed: `gR·Rᴴ − Qᴴ·gQ` computes `Qᴴ·gQ` first).
//!
//! With grad mode off while the node runs, `linalg_det_backward` and
//! `slogdet_backward` solve with the forward's LU factors
//! (`linalg_lu_solve(LU, pivots, d, adjoint = !A.is_contiguous())`, the
//! factors being of `Aᵀ` for a contiguous `A`), and `linalg_solve_backward`
//! with `adjoint = true` (observed in torch 2.15: `_linalg_solve_ex`
//! factors `A` itself). When the backward is itself recorded
//! (`create_graph=True`), `linalg_solve_backward` and `slogdet_backward`
//! solve again, `linalg_solve(Aᴴ, ·)`, so the factorization is
//! differentiable; the other decompositions' recorded backwards are
//! refused.

use super::reduction::unpack;
use super::{one_to_one, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// Dispatches `op` and returns its single tensor result.
pub(super) fn one(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    rt.dispatch(op, args)?
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::autograd(format!("{op} returned no tensor")))
}

pub(super) fn mh(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.transpose.int",
        vec![t.into(), IValue::Int(-2), IValue::Int(-1)],
    )
}

/// `t.mH()`: the transpose of the last two dimensions, conjugated for a
/// complex tensor (a `_conj` view).
fn adjoint(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    let transposed = mh(rt, t)?;
    if rt.faults().inv_grad_unconjugated {
        return Ok(transposed);
    }
    super::complex::conj(rt, &transposed)
}

pub(super) fn matmul(rt: &mut Runtime, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    one(rt, "aten.matmul.default", vec![a.into(), b.into()])
}

pub(super) fn add(rt: &mut Runtime, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.add.Tensor",
        vec![a.into(), b.into(), IValue::Int(1)],
    )
}

pub(super) fn sub(rt: &mut Runtime, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.sub.Tensor",
        vec![a.into(), b.into(), IValue::Int(1)],
    )
}

pub(super) fn neg(rt: &mut Runtime, a: &Tensor) -> Result<Tensor> {
    one(rt, "aten.neg.default", vec![a.into()])
}

pub(super) fn tri(rt: &mut Runtime, lower: bool, a: &Tensor, diagonal: i64) -> Result<Tensor> {
    let op = if lower {
        "aten.tril.default"
    } else {
        "aten.triu.default"
    };
    one(rt, op, vec![a.into(), IValue::Int(diagonal)])
}

/// `t.diagonal(0, -2, -1)`.
fn diagonal(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.diagonal.default",
        vec![t.into(), IValue::Int(0), IValue::Int(-2), IValue::Int(-1)],
    )
}

/// `at::diag_embed(t, 0, -2, -1)`.
fn diag_embed(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.diag_embed.default",
        vec![t.into(), IValue::Int(0), IValue::Int(-2), IValue::Int(-1)],
    )
}

/// `t.unsqueeze(-1)`.
fn unsqueeze_last(rt: &mut Runtime, t: &Tensor) -> Result<Tensor> {
    one(
        rt,
        "aten.unsqueeze.default",
        vec![t.into(), IValue::Int(-1)],
    )
}

/// `-(g·Xᴴ)` for a left solve, `-(Xᴴ·g)` for a right one: the gradient
/// with respect to `A` of `AX = B` / `XA = B` given `g`, the gradient of
/// `B`.
fn minus_side_product(rt: &mut Runtime, left: bool, g: &Tensor, x: &Tensor) -> Result<Tensor> {
    let xh = mh(rt, x)?;
    let p = if left {
        matmul(rt, g, &xh)?
    } else {
        matmul(rt, &xh, g)?
    };
    neg(rt, &p)
}

/// `linalg_lu_solve(LU, pivots, d, adjoint = !A.is_contiguous())`: the
/// determinants' solve with the forward's factors (of `Aᵀ` for a contiguous
/// `A`).
fn det_lu_solve(
    rt: &mut Runtime,
    a: &Tensor,
    lu: &Tensor,
    pivots: &Tensor,
    d: &Tensor,
) -> Result<Tensor> {
    let adjoint = !a.is_contiguous();
    lu_solve(rt, lu, pivots, d, true, adjoint)
}

/// `at::linalg_solve_triangular(a, b, upper, left, unitriangular)`.
pub(super) fn solve_triangular(
    rt: &mut Runtime,
    a: &Tensor,
    b: &Tensor,
    upper: bool,
    left: bool,
    unit: bool,
) -> Result<Tensor> {
    one(
        rt,
        "aten.linalg_solve_triangular.default",
        vec![a.into(), b.into(), upper.into(), left.into(), unit.into()],
    )
}

pub(super) fn lu_solve(
    rt: &mut Runtime,
    lu: &Tensor,
    pivots: &Tensor,
    b: &Tensor,
    left: bool,
    adjoint: bool,
) -> Result<Tensor> {
    one(
        rt,
        "aten.linalg_lu_solve.default",
        vec![
            lu.into(),
            pivots.into(),
            b.into(),
            left.into(),
            adjoint.into(),
        ],
    )
}

/// PyTorch's formula recomputes the factorization when the backward is
/// itself recorded (`create_graph=True`); only the first-order branch is
/// modelled, so a recorded backward through `node` is refused.
fn first_order_only(ctx: &BackwardCtx<'_>, node: &str) -> Result<()> {
    if ctx.rt.is_grad_enabled() {
        return Err(RuntimeError::unsupported(
            node,
            "a backward recorded for higher-order gradients (create_graph=True)",
        ));
    }
    Ok(())
}

/// The saved tensor when `needed`, else `None` (nothing unpacked).
fn unpack_if(
    needed: bool,
    saved: &Option<SavedVariable>,
    ctx: &BackwardCtx<'_>,
) -> Result<Option<Tensor>> {
    if needed {
        Ok(Some(unpack(saved, ctx)?))
    } else {
        Ok(None)
    }
}

/// The forward's LU factors and pivots, unpacked in that order.
fn unpack_lu(
    lu: &Option<SavedVariable>,
    pivots: &Option<SavedVariable>,
    ctx: &BackwardCtx<'_>,
) -> Result<(Tensor, Tensor)> {
    let lu = unpack(lu, ctx)?;
    let pivots = unpack(pivots, ctx)?;
    Ok((lu, pivots))
}

/// Whether a two-input node's inputs need gradients, `None` when neither
/// does.
fn needs_either(ctx: &BackwardCtx<'_>) -> Option<(bool, bool)> {
    let (need_a, need_b) = (ctx.needs(0), ctx.needs(1));
    (need_a || need_b).then_some((need_a, need_b))
}

/// The forward's output `i`, saved as the node's own output.
pub(super) fn saved_output(outputs: &[Tensor], i: u32) -> Option<SavedVariable> {
    outputs.get(i as usize).map(|t| SavedVariable::output(t, i))
}

/// The forward's output `i`, saved as a plain tensor.
pub(super) fn saved_input(outputs: &[Tensor], i: usize) -> Option<SavedVariable> {
    outputs.get(i).map(SavedVariable::input)
}

/// Frees every saved tensor in `saved`.
pub(super) fn release(saved: &mut [&mut Option<SavedVariable>]) {
    for s in saved.iter_mut() {
        s.iter_mut().for_each(SavedVariable::release);
    }
}

fn bool_of(v: &IValue, default: bool) -> bool {
    match v {
        IValue::Bool(b) => *b,
        _ => default,
    }
}

/// LinalgQrBackward0 (`linalg_qr_backward(grad_Q, grad_R, Q, R, mode)`).
pub(crate) struct LinalgQrBackward0 {
    pub(crate) mode: String,
    pub(crate) q: Option<SavedVariable>,
    pub(crate) r: Option<SavedVariable>,
}

impl BackwardFn for LinalgQrBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut grads = grads.into_iter();
        let (gq, gr) = (grads.next().flatten(), grads.next().flatten());
        if self.mode == "r" {
            return Err(RuntimeError::autograd(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.",
            ));
        }
        let (q, r) = (unpack(&self.q, ctx)?, unpack(&self.r, ctx)?);
        let m = q.shape().get(q.dim().wrapping_sub(2)).copied().unwrap_or(0);
        let n = r.shape().last().copied().unwrap_or(0);
        if self.mode == "complete" && m > n {
            return Err(RuntimeError::autograd(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.",
            ));
        }
        if gq.is_none() && gr.is_none() {
            return Ok(vec![None]);
        }
        let rt = &mut *ctx.rt;
        let ga = match (&gq, &gr) {
            (Some(gq), Some(gr)) => {
                let qh = mh(rt, &q)?;
                let right = matmul(rt, &qh, gq)?;
                let rh = mh(rt, &r)?;
                let left = matmul(rt, gr, &rh)?;
                sub(rt, &left, &right)?
            }
            (Some(gq), None) => {
                let qh = mh(rt, &q)?;
                let p = matmul(rt, &qh, gq)?;
                neg(rt, &p)?
            }
            (None, Some(gr)) => {
                let rh = mh(rt, &r)?;
                matmul(rt, gr, &rh)?
            }
            (None, None) => return Ok(vec![None]),
        };
        if m >= n {
            // syminvadj(gA.triu()): X + Xᴴ with its diagonal halved.
            let x = tri(rt, false, &ga, 0)?;
            let xh = mh(rt, &x)?;
            let ret = add(rt, &x, &xh)?;
            let diag = diagonal(rt, &ret)?;
            one(
                rt,
                "aten.mul_.Scalar",
                vec![diag.into(), IValue::Float(0.5)],
            )?;
            let mut ga = matmul(rt, &q, &ret)?;
            if let Some(gq) = &gq {
                ga = add(rt, &ga, gq)?;
            }
            let rh = mh(rt, &r)?;
            Ok(vec![Some(solve_triangular(
                rt, &rh, &ga, false, false, false,
            )?)])
        } else {
            // trilImInvAdjSkew(-gA) = (X − Xᴴ).tril() for X = −gA.
            let x = neg(rt, &ga)?;
            let xh = mh(rt, &x)?;
            let skew = sub(rt, &x, &xh)?;
            let skew = tri(rt, true, &skew, 0)?;
            let ga = matmul(rt, &q, &skew)?;
            let r1 = one(
                rt,
                "aten.slice.Tensor",
                vec![
                    (&r).into(),
                    IValue::Int(-1),
                    IValue::Int(0),
                    IValue::Int(m),
                    IValue::Int(1),
                ],
            )?;
            let r1h = mh(rt, &r1)?;
            let ga = solve_triangular(rt, &r1h, &ga, false, false, false)?;
            let mut shape = r.shape().to_vec();
            if let Some(last) = shape.last_mut() {
                *last = n - m;
            }
            let zeros = one(
                rt,
                "aten.new_zeros.default",
                vec![
                    (&ga).into(),
                    IValue::IntList(shape),
                    IValue::None,
                    IValue::None,
                    IValue::None,
                    IValue::None,
                ],
            )?;
            let mut ga = one(
                rt,
                "aten.cat.default",
                vec![IValue::TensorList(vec![ga, zeros]), IValue::Int(-1)],
            )?;
            if let Some(gr) = &gr {
                let p = matmul(rt, &q, gr)?;
                ga = add(rt, &ga, &p)?;
            }
            Ok(vec![Some(ga)])
        }
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.q = saved_output(outputs, 0);
        self.r = saved_output(outputs, 1);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.q, &mut self.r]);
    }
}

/// LinalgCholeskyExBackward0 (`cholesky_backward(grad, upper, L)`).
pub(crate) struct LinalgCholeskyExBackward0 {
    pub(crate) upper: bool,
    pub(crate) l: Option<SavedVariable>,
}

impl BackwardFn for LinalgCholeskyExBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, gl| {
            let l = unpack(&self.l, ctx)?;
            let rt = &mut *ctx.rt;
            let (l_, gl_) = if self.upper {
                let l_ = mh(rt, &l)?;
                let gl_ = mh(rt, &gl)?;
                (l_, gl_)
            } else {
                (l, gl)
            };
            // gA = (L_ᴴ·gL_).tril(); gA = 0.5·(gA + gA.tril(−1)ᴴ).
            let lh = mh(rt, &l_)?;
            let ga = matmul(rt, &lh, &gl_)?;
            let ga = tri(rt, true, &ga, 0)?;
            let strict = tri(rt, true, &ga, -1)?;
            let strict = mh(rt, &strict)?;
            let ga = add(rt, &ga, &strict)?;
            let ga = one(rt, "aten.mul.Scalar", vec![ga.into(), IValue::Float(0.5)])?;
            let lh = mh(rt, &l_)?;
            let ga = solve_triangular(rt, &lh, &ga, true, true, false)?;
            solve_triangular(rt, &l_, &ga, false, false, false)
        })
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.l = saved_output(outputs, 0);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.l]);
    }
}

/// LinalgSolveTriangularBackward0 (`linalg_solve_triangular_backward`).
pub(crate) struct LinalgSolveTriangularBackward0 {
    pub(crate) a: Option<SavedVariable>,
    pub(crate) upper: bool,
    pub(crate) left: bool,
    pub(crate) unitriangular: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for LinalgSolveTriangularBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let Some((need_a, need_b)) = needs_either(ctx) else {
            return Ok(vec![None, None]);
        };
        let a = unpack(&self.a, ctx)?;
        let x = unpack_if(need_a, &self.result, ctx)?;
        let rt = &mut *ctx.rt;
        let ah = mh(rt, &a)?;
        let gb = solve_triangular(rt, &ah, &grad, !self.upper, self.left, self.unitriangular)?;
        let ga = match x {
            Some(x) => {
                let p = minus_side_product(rt, self.left, &gb, &x)?;
                let d = i64::from(self.unitriangular);
                Some(if self.upper {
                    tri(rt, false, &p, d)?
                } else {
                    tri(rt, true, &p, -d)?
                })
            }
            None => None,
        };
        Ok(vec![ga, need_b.then_some(gb)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = saved_output(outputs, 0);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.a, &mut self.result]);
    }
}

/// TriangularSolveBackward0 (`triangular_solve_backward(grads[0], grads[1],
/// self, A, solution, ...)`). With `G` the solution's gradient and `X` the
/// solution: `gB = triangular_solve(G, A, upper, !transpose)` (solved
/// whether or not `B` needs it), `gA = −X·gBᵀ` (transposed) or `−gB·Xᵀ`,
/// masked to `A`'s triangle (the diagonal dropped for a unit one). A
/// gradient missing on that path is `zeros([1]).expand_as(...)`, and the
/// copy of `A`'s gradient is added to `gA`.
pub(crate) struct TriangularSolveBackward0 {
    pub(crate) b: Option<SavedVariable>,
    pub(crate) a: Option<SavedVariable>,
    pub(crate) upper: bool,
    pub(crate) transpose: bool,
    pub(crate) unitriangular: bool,
    pub(crate) solution: Option<SavedVariable>,
}

impl BackwardFn for TriangularSolveBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut grads = grads.into_iter();
        let (gx, gm) = (grads.next().flatten(), grads.next().flatten());
        if gx.is_none() && gm.is_none() {
            return Ok(vec![None, None]);
        }
        let need_a = ctx.needs(1);
        let b = unpack(&self.b, ctx)?;
        let a = unpack(&self.a, ctx)?;
        let x = unpack_if(need_a && gx.is_some(), &self.solution, ctx)?;
        let flipped = ctx.rt.faults().triangular_solve_grad_other_triangle;
        let rt = &mut *ctx.rt;
        let (mut ga, mut gb) = (None, None);
        if let Some(g) = &gx {
            gb = Some(one(
                rt,
                "aten.triangular_solve.default",
                vec![
                    g.into(),
                    (&a).into(),
                    self.upper.into(),
                    (!self.transpose).into(),
                    self.unitriangular.into(),
                ],
            )?);
            if let (Some(x), Some(gb)) = (&x, &gb) {
                let p = if self.transpose {
                    let gbt = mh(rt, gb)?;
                    matmul(rt, x, &gbt)?
                } else {
                    let xt = mh(rt, x)?;
                    matmul(rt, gb, &xt)?
                };
                let p = neg(rt, &p)?;
                let d = i64::from(self.unitriangular);
                ga = Some(if self.upper != flipped {
                    tri(rt, false, &p, d)?
                } else {
                    tri(rt, true, &p, -d)?
                });
            }
        }
        let ga = match ga {
            Some(t) => t,
            None => zeros_expanded(rt, &a)?,
        };
        let gb = match gb {
            Some(t) => t,
            None => zeros_expanded(rt, &b)?,
        };
        let ga = match (&gm, need_a) {
            (Some(m), true) => add(rt, &ga, m)?,
            _ => ga,
        };
        Ok(vec![Some(gb), Some(ga)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.solution = saved_output(outputs, 0);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.b, &mut self.a, &mut self.solution]);
    }
}

/// `at::zeros({1}, like.options()).expand_as(like)`.
fn zeros_expanded(rt: &mut Runtime, like: &Tensor) -> Result<Tensor> {
    let z = one(
        rt,
        "aten.zeros.default",
        vec![
            IValue::IntList(vec![1]),
            IValue::Dtype(like.dtype()),
            IValue::Layout(crate::tensor::options::Layout::Strided),
            IValue::Device(like.device()),
            IValue::None,
        ],
    )?;
    one(
        rt,
        "aten.expand.default",
        vec![(&z).into(), IValue::IntList(like.shape().to_vec())],
    )
}

/// CholeskySolveBackward0 (`cholesky_solve_backward`).
pub(crate) struct CholeskySolveBackward0 {
    pub(crate) input2: Option<SavedVariable>,
    pub(crate) upper: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for CholeskySolveBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let need_l = ctx.needs(1);
        let l = unpack(&self.input2, ctx)?;
        let x = unpack_if(need_l, &self.result, ctx)?;
        let rt = &mut *ctx.rt;
        let gs = one(
            rt,
            "aten.cholesky_solve.default",
            vec![grad.into(), (&l).into(), self.upper.into()],
        )?;
        let gl = match x {
            Some(x) => {
                let xh = mh(rt, &x)?;
                let common = matmul(rt, &gs, &xh)?;
                let ch = mh(rt, &common)?;
                let common = add(rt, &common, &ch)?;
                let p = if self.upper {
                    matmul(rt, &l, &common)?
                } else {
                    matmul(rt, &common, &l)?
                };
                Some(neg(rt, &p)?)
            }
            None => None,
        };
        Ok(vec![Some(gs), gl])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = saved_output(outputs, 0);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.input2, &mut self.result]);
    }
}

/// LinalgSolveExBackward0 (`linalg_solve_backward(grad, result, A, LU,
/// pivots, left, B requires grad)`).
pub(crate) struct LinalgSolveExBackward0 {
    pub(crate) left: bool,
    /// The forward's `A`, solved with again under grad mode.
    pub(crate) a: Option<SavedVariable>,
    pub(crate) result: Option<SavedVariable>,
    pub(crate) lu: Option<SavedVariable>,
    pub(crate) pivots: Option<SavedVariable>,
}

impl BackwardFn for LinalgSolveExBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(gx) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let Some((need_a, need_b)) = needs_either(ctx) else {
            return Ok(vec![None, None]);
        };
        let x = unpack(&self.result, ctx)?;
        let (lu, pivots) = unpack_lu(&self.lu, &self.pivots, ctx)?;
        let recorded = solves_again(ctx);
        let a = unpack_if(recorded, &self.a, ctx)?;
        // linalg_solve_is_vector_rhs(LU, X).
        let vector =
            x.dim() == 1 || (lu.dim() == x.dim() + 1 && lu.shape()[..lu.dim() - 1] == *x.shape());
        let rt = &mut *ctx.rt;
        let gx_ = if vector { unsqueeze_last(rt, &gx)? } else { gx };
        let gb = match &a {
            Some(a) => solve_adjoint(rt, a, &gx_, self.left)?,
            None => lu_solve(rt, &lu, &pivots, &gx_, self.left, true)?,
        };
        let ga = if need_a {
            let x_ = if vector { unsqueeze_last(rt, &x)? } else { x };
            Some(minus_side_product(rt, self.left, &gb, &x_)?)
        } else {
            None
        };
        let gb = if need_b {
            Some(if vector {
                one(rt, "aten.squeeze.dim", vec![gb.into(), IValue::Int(-1)])?
            } else {
                gb
            })
        } else {
            None
        };
        Ok(vec![ga, gb])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = saved_output(outputs, 0);
        self.lu = saved_input(outputs, 1);
        self.pivots = saved_input(outputs, 2);
    }

    fn release_variables(&mut self) {
        release(&mut [
            &mut self.a,
            &mut self.result,
            &mut self.lu,
            &mut self.pivots,
        ]);
    }
}

/// LinalgInvExBackward0 (`-matmul(inverse.mH(), matmul(grad, inverse.mH()))`).
pub(crate) struct LinalgInvExBackward0 {
    pub(crate) inverse: Option<SavedVariable>,
}

impl BackwardFn for LinalgInvExBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        one_to_one(ctx, grads, |ctx, grad| {
            let inv = unpack(&self.inverse, ctx)?;
            let rt = &mut *ctx.rt;
            let ih = adjoint(rt, &inv)?;
            let inner = matmul(rt, &grad, &ih)?;
            let ih = adjoint(rt, &inv)?;
            let outer = matmul(rt, &ih, &inner)?;
            neg(rt, &outer)
        })
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.inverse = saved_output(outputs, 0);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.inverse]);
    }
}

/// `at::diag_embed(g.unsqueeze(-1).expand_as(pivots)).mT()`.
fn diag_rhs(rt: &mut Runtime, g: &Tensor, pivots: &Tensor) -> Result<Tensor> {
    let u = unsqueeze_last(rt, g)?;
    let e = one(
        rt,
        "aten.expand.default",
        vec![
            u.into(),
            IValue::IntList(pivots.shape().to_vec()),
            false.into(),
        ],
    )?;
    let d = diag_embed(rt, &e)?;
    mh(rt, &d)
}

/// LinalgDetBackward0 (`linalg_det_backward(grad, result, A, LU, pivots)`).
pub(crate) struct LinalgDetBackward0 {
    pub(crate) a: Option<SavedVariable>,
    pub(crate) result: Option<SavedVariable>,
    pub(crate) lu: Option<SavedVariable>,
    pub(crate) pivots: Option<SavedVariable>,
}

impl BackwardFn for LinalgDetBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None]);
        };
        first_order_only(ctx, "LinalgDetBackward0")?;
        let a = unpack(&self.a, ctx)?;
        if a.numel() == 0 {
            return Ok(vec![None]);
        }
        let det = unpack(&self.result, ctx)?;
        let (lu, pivots) = unpack_lu(&self.lu, &self.pivots, ctx)?;
        let default = ctx.rt.default_dtype();
        let rt = &mut *ctx.rt;
        let d_diag = one(rt, "aten.mul.Tensor", vec![grad.into(), det.into()])?;
        let d = diag_rhs(rt, &d_diag, &pivots)?;
        // LU + diag_embed(where(LU.diagonal() == 0, eps, 0)).
        let eps = if lu.dtype() == DType::Float32 {
            f64::from(f32::EPSILON)
        } else {
            f64::EPSILON
        };
        let diag = diagonal(rt, &lu)?;
        let zero = one(rt, "aten.eq.Scalar", vec![diag.into(), IValue::Float(0.0)])?;
        let device = lu.device();
        let scalar = |rt: &mut Runtime, v: f64| {
            one(
                rt,
                "aten.scalar_tensor.default",
                vec![
                    IValue::Float(v),
                    IValue::Dtype(default),
                    IValue::Layout(crate::tensor::options::Layout::Strided),
                    IValue::Device(device),
                ],
            )
        };
        let other = scalar(rt, 0.0)?;
        let this = scalar(rt, eps)?;
        let w = one(
            rt,
            "aten.where.self",
            vec![zero.into(), this.into(), other.into()],
        )?;
        let w = diag_embed(rt, &w)?;
        let lu_ = add(rt, &lu, &w)?;
        Ok(vec![Some(det_lu_solve(rt, &a, &lu_, &pivots, &d)?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = saved_output(outputs, 0);
        self.lu = saved_input(outputs, 1);
        self.pivots = saved_input(outputs, 2);
    }

    fn release_variables(&mut self) {
        release(&mut [
            &mut self.a,
            &mut self.result,
            &mut self.lu,
            &mut self.pivots,
        ]);
    }
}

/// Whether a solve's backward solves again (it is recorded) rather than
/// reusing the forward's LU factors.
fn solves_again(ctx: &BackwardCtx<'_>) -> bool {
    ctx.rt.is_grad_enabled() && !ctx.rt.faults().recorded_solve_reuses_lu
}

/// `linalg_solve(Aᴴ, b, left)`, the recorded backwards' solve.
fn solve_adjoint(rt: &mut Runtime, a: &Tensor, b: &Tensor, left: bool) -> Result<Tensor> {
    let ah = mh(rt, a)?;
    one(
        rt,
        "aten.linalg_solve.default",
        vec![ah.into(), b.into(), left.into()],
    )
}

/// LinalgSlogdetBackward0 (`slogdet_backward(grad_sign, grad_logabsdet, A,
/// sign, LU, pivots)`; real: only `grad_logabsdet` matters).
pub(crate) struct LinalgSlogdetBackward0 {
    pub(crate) a: Option<SavedVariable>,
    pub(crate) lu: Option<SavedVariable>,
    pub(crate) pivots: Option<SavedVariable>,
}

impl BackwardFn for LinalgSlogdetBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = grads.into_iter().nth(1).flatten() else {
            return Ok(vec![None]);
        };
        let a = unpack(&self.a, ctx)?;
        let (lu, pivots) = unpack_lu(&self.lu, &self.pivots, ctx)?;
        let recorded = solves_again(ctx);
        let rt = &mut *ctx.rt;
        let d = diag_rhs(rt, &g, &pivots)?;
        if recorded {
            return Ok(vec![Some(solve_adjoint(rt, &a, &d, true)?)]);
        }
        Ok(vec![Some(det_lu_solve(rt, &a, &lu, &pivots, &d)?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.lu = saved_input(outputs, 2);
        self.pivots = saved_input(outputs, 3);
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.a, &mut self.lu, &mut self.pivots]);
    }
}

/// A saved flag (`upper`, `left`, ...) from a bound argument.
pub(crate) fn flag(v: &IValue, default: bool) -> bool {
    bool_of(v, default)
}

/// CholeskyInverseBackward0 (`cholesky_inverse_backward(grad, self, upper,
/// result)`): `C = grad + gradᴴ`, `C = inverse·(C·inverse)`, then
/// `−(C·L)` for a lower factor, `−(U·C)` for an upper one.
pub(crate) struct CholeskyInverseBackward0 {
    pub(crate) a: Option<SavedVariable>,
    pub(crate) upper: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for CholeskyInverseBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None]);
        };
        let l = unpack(&self.a, ctx)?;
        let inverse = unpack(&self.result, ctx)?;
        let rt = &mut *ctx.rt;
        let gh = mh(rt, &grad)?;
        let common = add(rt, &grad, &gh)?;
        let right = matmul(rt, &common, &inverse)?;
        let common = matmul(rt, &inverse, &right)?;
        let p = if self.upper {
            matmul(rt, &l, &common)?
        } else {
            matmul(rt, &common, &l)?
        };
        Ok(vec![Some(neg(rt, &p)?)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|t| SavedVariable::output(t, 0));
    }

    fn release_variables(&mut self) {
        release(&mut [&mut self.a, &mut self.result]);
    }
}
