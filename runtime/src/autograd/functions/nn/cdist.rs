//! Backward of the pairwise distances.
//!
//! CdistBackward0 (derivatives.yaml's `_cdist_forward` row): for `x1`,
//! `_cdist_backward(grad.contiguous(), x1, x2, p, result)`; for `x2` the
//! same with the roles swapped on the transposed distances,
//! `_cdist_backward(grad.mT().contiguous(), x2, x1, p,
//! result.mT().contiguous())` — `x1` first, then `x2`, each only when its
//! edge needs a gradient; observed in torch 2.15, the second call's
//! arguments are made last to first (the transposed distances' `transpose`
//! and `clone` before the gradient's). `.contiguous()` copies (`clone`) only a
//! non-contiguous tensor; `.mT()` is `transpose(-2, -1)`.
//!
//! EuclideanDistBackward0 runs `_euclidean_dist_backward`, a composite whose
//! parts dispatch one by one: `ratio = grad / result`, zeroed where the
//! distance is 0 (`masked_fill_(result == 0, 0)`), then
//! `x1·ratio.sum(-1, keepdim) − ratio @ x2` for `x1` and
//! `x2·ratio.sum(-2).unsqueeze(-1) − ratio.mT() @ x1` for `x2`. Observed
//! in torch 2.15: both gradients are computed whichever edge needs one, and
//! each difference's right operand (the product) dispatches before its left.

use crate::autograd::functions::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::options::MemoryFormat;

/// Dispatches `op` and returns its single tensor result.
fn one(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    rt.dispatch(op, args)?
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::autograd(format!("{op} returned no tensor")))
}

/// The saved forward result, or the error of a freed graph.
fn saved_result(result: &Option<SavedVariable>, ctx: &BackwardCtx<'_>) -> Result<Tensor> {
    match result {
        Some(saved) => saved.unpack(ctx.node),
        None => Err(RuntimeError::GraphFreed {
            node: ctx.node.name().to_owned(),
        }),
    }
}

/// `t.contiguous()`: `t` itself when it already is, else a `clone`.
fn contiguous(ctx: &mut BackwardCtx<'_>, t: Tensor) -> Result<Tensor> {
    if t.is_contiguous() {
        return Ok(t);
    }
    one(
        ctx.rt,
        "aten.clone.default",
        vec![t.into(), IValue::MemoryFormat(MemoryFormat::Contiguous)],
    )
}

/// `t.mT()`.
fn mt(ctx: &mut BackwardCtx<'_>, t: Tensor) -> Result<Tensor> {
    one(
        ctx.rt,
        "aten.transpose.int",
        vec![t.into(), IValue::Int(-2), IValue::Int(-1)],
    )
}

/// CdistBackward0.
pub(crate) struct CdistBackward0 {
    pub(crate) x1: SavedVariable,
    pub(crate) x2: SavedVariable,
    pub(crate) p: IValue,
    pub(crate) result: Option<SavedVariable>,
}

const CDIST_BACKWARD: &str = "aten._cdist_backward.default";

impl BackwardFn for CdistBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let mut out = vec![None, None];
        if ctx.needs(0) {
            let g = contiguous(ctx, grad.clone())?;
            let (x1, x2) = (self.x1.unpack(ctx.node)?, self.x2.unpack(ctx.node)?);
            let result = saved_result(&self.result, ctx)?;
            out[0] = Some(one(
                ctx.rt,
                CDIST_BACKWARD,
                vec![
                    g.into(),
                    x1.into(),
                    x2.into(),
                    self.p.clone(),
                    result.into(),
                ],
            )?);
        }
        if ctx.needs(1) {
            // The call's arguments are evaluated last to first: the
            // transposed distances, then the transposed gradient.
            let rt_ = mt(ctx, saved_result(&self.result, ctx)?)?;
            let rt_ = contiguous(ctx, rt_)?;
            let gt = mt(ctx, grad)?;
            let gt = contiguous(ctx, gt)?;
            let (x1, x2) = (self.x1.unpack(ctx.node)?, self.x2.unpack(ctx.node)?);
            out[1] = Some(one(
                ctx.rt,
                CDIST_BACKWARD,
                vec![gt.into(), x2.into(), x1.into(), self.p.clone(), rt_.into()],
            )?);
        }
        Ok(out)
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(result) = outputs.first() {
            self.result = Some(SavedVariable::output(result, 0));
        }
    }

    fn release_variables(&mut self) {
        self.x1.release();
        self.x2.release();
        self.result.iter_mut().for_each(SavedVariable::release);
    }
}

/// EuclideanDistBackward0.
pub(crate) struct EuclideanDistBackward0 {
    pub(crate) x1: SavedVariable,
    pub(crate) x2: SavedVariable,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for EuclideanDistBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let (x1, x2) = (self.x1.unpack(ctx.node)?, self.x2.unpack(ctx.node)?);
        let res = saved_result(&self.result, ctx)?;
        let rt = &mut *ctx.rt;
        let ratio = one(rt, "aten.div.Tensor", vec![grad.into(), res.clone().into()])?;
        let zero = one(rt, "aten.eq.Scalar", vec![res.into(), IValue::Int(0)])?;
        let ratio = one(
            rt,
            "aten.masked_fill_.Scalar",
            vec![ratio.into(), zero.into(), IValue::Int(0)],
        )?;
        let matmul = |rt: &mut Runtime, a: Tensor, b: Tensor| {
            one(rt, "aten.matmul.default", vec![a.into(), b.into()])
        };
        let sub = |rt: &mut Runtime, a: Tensor, b: Tensor| {
            one(
                rt,
                "aten.sub.Tensor",
                vec![a.into(), b.into(), IValue::Int(1)],
            )
        };
        let prod1 = matmul(rt, ratio.clone(), x2.clone())?;
        let rows = one(
            rt,
            "aten.sum.dim_IntList",
            vec![
                ratio.clone().into(),
                vec![-1i64].into(),
                true.into(),
                IValue::None,
            ],
        )?;
        let scaled1 = one(rt, "aten.mul.Tensor", vec![x1.clone().into(), rows.into()])?;
        let g1 = sub(rt, scaled1, prod1)?;
        let ratio_t = one(
            rt,
            "aten.transpose.int",
            vec![ratio.clone().into(), IValue::Int(-2), IValue::Int(-1)],
        )?;
        let prod2 = matmul(rt, ratio_t, x1)?;
        let cols = one(
            rt,
            "aten.sum.dim_IntList",
            vec![ratio.into(), vec![-2i64].into(), false.into(), IValue::None],
        )?;
        let cols = one(
            rt,
            "aten.unsqueeze.default",
            vec![cols.into(), IValue::Int(-1)],
        )?;
        let scaled2 = one(rt, "aten.mul.Tensor", vec![x2.into(), cols.into()])?;
        let g2 = sub(rt, scaled2, prod2)?;
        Ok(vec![ctx.needs(0).then_some(g1), ctx.needs(1).then_some(g2)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        if let Some(result) = outputs.first() {
            self.result = Some(SavedVariable::output(result, 0));
        }
    }

    fn release_variables(&mut self) {
        self.x1.release();
        self.x2.release();
        self.result.iter_mut().for_each(SavedVariable::release);
    }
}
