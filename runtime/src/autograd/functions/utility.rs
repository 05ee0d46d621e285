//! Backward functions of the tensor utilities, each making torch 2.15's
//! calls in its order:
//!
//! * LinalgCrossBackward0: `other` first (`linalg_cross(grad, self,
//!   dim)`), then `self` (`linalg_cross(other, grad, dim)`);
//! * TraceBackward0 (`trace_backward`): `zeros(n·m)`, `arange(0,
//!   min(n, m)·(m + 1), m + 1)` as int64, `index_fill(0, indices, grad)`,
//!   `view(n, m)`;
//! * Rot90Backward0: `grad.rot90(-k, dims)`;
//! * NansumBackward0 (`nansum_backward`): `self.isnan().logical_not()`
//!   first, then the gradient unsqueezed at the reduced dimensions,
//!   expanded to `self`'s shape, times the mask;
//! * AminmaxBackward0: for `min` then `max`, `view` of the gradient and of
//!   the result to the kept-dimension shape, `eq(self, result)`, its
//!   `sum(dims, keepdim=True)`, `div`, `mul`; the two terms added.

use super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::Layout;

fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    ctx.rt.elementwise().call(op, args)
}

fn freed(ctx: &BackwardCtx<'_>) -> RuntimeError {
    RuntimeError::GraphFreed {
        node: ctx.node.name().to_owned(),
    }
}

/// `linalg_cross(self, other, dim)` (LinalgCrossBackward0).
pub(crate) struct LinalgCrossBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) other: SavedVariable,
    pub(crate) dim: i64,
}

impl BackwardFn for LinalgCrossBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let x = self.self_.unpack(ctx.node)?;
        let y = self.other.unpack(ctx.node)?;
        let dim = IValue::Int(self.dim);
        let mut out = vec![None, None];
        if ctx.needs(1) {
            let args = vec![(&g).into(), (&x).into(), dim.clone()];
            out[1] = Some(call(ctx, "aten.linalg_cross.default", args)?);
        }
        if ctx.needs(0) {
            let args = vec![(&y).into(), (&g).into(), dim];
            out[0] = Some(call(ctx, "aten.linalg_cross.default", args)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.other.release();
    }
}

/// `trace(self)` (TraceBackward0): saves `self`'s sizes.
pub(crate) struct TraceBackward0 {
    pub(crate) self_sizes: Vec<i64>,
}

impl BackwardFn for TraceBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let (n, m) = match self.self_sizes[..] {
            [n, m] => (n, m),
            _ => {
                return Err(RuntimeError::autograd(
                    "TraceBackward0: self is not a matrix",
                ));
            }
        };
        let zeros = call(
            ctx,
            "aten.zeros.default",
            vec![
                IValue::IntList(vec![n * m]),
                IValue::Dtype(g.dtype()),
                IValue::Layout(Layout::Strided),
                IValue::Device(g.device()),
            ],
        )?;
        let step = m + 1;
        let indices = call(
            ctx,
            "aten.arange.start_step",
            vec![
                IValue::Int(0),
                IValue::Int(n.min(m) * step),
                IValue::Int(step),
                IValue::Dtype(DType::Int64),
                IValue::Layout(Layout::Strided),
                IValue::Device(g.device()),
            ],
        )?;
        let filled = call(
            ctx,
            "aten.index_fill.int_Tensor",
            vec![
                (&zeros).into(),
                IValue::Int(0),
                (&indices).into(),
                (&g).into(),
            ],
        )?;
        let grad = call(
            ctx,
            "aten.view.default",
            vec![(&filled).into(), IValue::IntList(vec![n, m])],
        )?;
        Ok(vec![Some(grad)])
    }
}

/// `rot90(self, k, dims)` (Rot90Backward0).
pub(crate) struct Rot90Backward0 {
    pub(crate) k: i64,
    pub(crate) dims: Vec<i64>,
}

impl BackwardFn for Rot90Backward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let args = vec![
            (&g).into(),
            IValue::Int(-self.k),
            IValue::IntList(self.dims.clone()),
        ];
        Ok(vec![Some(call(ctx, "aten.rot90.default", args)?)])
    }
}

/// `nansum(self, dim, keepdim)` (NansumBackward0).
pub(crate) struct NansumBackward0 {
    pub(crate) self_: SavedVariable,
    /// The `dim` argument, wrapped and sorted (empty when None: the
    /// gradient is expanded without unsqueezing).
    pub(crate) dims: Vec<usize>,
    pub(crate) keepdim: bool,
}

impl BackwardFn for NansumBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let x = self.self_.unpack(ctx.node)?;
        let g = if g.dtype() == x.dtype() {
            g
        } else {
            call(
                ctx,
                "aten._to_copy.default",
                vec![(&g).into(), IValue::Dtype(x.dtype())],
            )?
        };
        let nan = call(ctx, "aten.isnan.default", vec![(&x).into()])?;
        let mask = call(ctx, "aten.logical_not.default", vec![(&nan).into()])?;
        let mut g = g;
        if !self.keepdim {
            for &d in &self.dims {
                g = call(
                    ctx,
                    "aten.unsqueeze.default",
                    vec![(&g).into(), IValue::Int(d as i64)],
                )?;
            }
        }
        let expanded = call(
            ctx,
            "aten.expand.default",
            vec![(&g).into(), IValue::IntList(x.shape().to_vec())],
        )?;
        Ok(vec![Some(call(
            ctx,
            "aten.mul.Tensor",
            vec![(&expanded).into(), (&mask).into()],
        )?)])
    }

    fn release_variables(&mut self) {
        self.self_.release();
    }
}

/// `aminmax(self, dim, keepdim)` (AminmaxBackward0): saves `self` and both
/// results.
pub(crate) struct AminmaxBackward0 {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: Option<i64>,
    pub(crate) keepdim: bool,
    pub(crate) min: Option<SavedVariable>,
    pub(crate) max: Option<SavedVariable>,
}

impl AminmaxBackward0 {
    /// The reduced dimensions and the shape with them kept.
    fn geometry(&self, x: &Tensor) -> Result<(Vec<i64>, Vec<i64>)> {
        let n = x.dim();
        let dims: Vec<usize> = match self.dim {
            Some(d) => vec![
                crate::tensor::strides::wrap_dim(d, n.max(1))
                    .ok_or_else(|| RuntimeError::autograd("AminmaxBackward0: bad dim"))?,
            ],
            None => (0..n).collect(),
        };
        let kept = x
            .shape()
            .iter()
            .enumerate()
            .map(|(d, &s)| if dims.contains(&d) { 1 } else { s })
            .collect();
        Ok((dims.iter().map(|&d| d as i64).collect(), kept))
    }

    /// `(restore(grad) / mask.sum(dims, keepdim=True)) * mask` with `mask =
    /// self == restore(result)`.
    fn term(
        &self,
        ctx: &mut BackwardCtx<'_>,
        g: &Tensor,
        result: &Tensor,
        x: &Tensor,
        dims: &[i64],
        kept: &[i64],
    ) -> Result<Tensor> {
        let restore = |ctx: &mut BackwardCtx<'_>, t: &Tensor| -> Result<Tensor> {
            if self.keepdim || x.dim() == 0 {
                Ok(t.clone())
            } else {
                call(
                    ctx,
                    "aten.view.default",
                    vec![t.into(), IValue::IntList(kept.to_vec())],
                )
            }
        };
        let gv = restore(ctx, g)?;
        let rv = restore(ctx, result)?;
        let mask = call(ctx, "aten.eq.Tensor", vec![x.into(), (&rv).into()])?;
        let count = call(
            ctx,
            "aten.sum.dim_IntList",
            vec![
                (&mask).into(),
                IValue::IntList(dims.to_vec()),
                IValue::Bool(true),
            ],
        )?;
        let share = call(ctx, "aten.div.Tensor", vec![(&gv).into(), (&count).into()])?;
        call(
            ctx,
            "aten.mul.Tensor",
            vec![(&share).into(), (&mask).into()],
        )
    }
}

impl BackwardFn for AminmaxBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut grads = grads.into_iter();
        let (g_min, g_max) = (grads.next().flatten(), grads.next().flatten());
        if g_min.is_none() && g_max.is_none() {
            return Ok(vec![None]);
        }
        let x = self.self_.unpack(ctx.node)?;
        let (dims, kept) = self.geometry(&x)?;
        let mut total: Option<Tensor> = None;
        for (g, saved) in [(g_min, &self.min), (g_max, &self.max)] {
            let Some(g) = g else { continue };
            let result = saved.as_ref().ok_or_else(|| freed(ctx))?.unpack(ctx.node)?;
            let term = self.term(ctx, &g, &result, &x, &dims, &kept)?;
            total = Some(match total {
                None => term,
                Some(t) => call(ctx, "aten.add.Tensor", vec![(&t).into(), (&term).into()])?,
            });
        }
        Ok(vec![total])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.min = outputs.first().map(|r| SavedVariable::output(r, 0));
        self.max = outputs.get(1).map(|r| SavedVariable::output(r, 1));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        for s in [&mut self.min, &mut self.max].into_iter().flatten() {
            s.release();
        }
    }
}

/// `block_diag(tensors)` (BlockDiagBackward0): each input's gradient is its
/// block of `grad`, `slice(0, …)` then `slice(1, …)` (a view back to the
/// input's shape for 0- and 1-dim inputs; an empty 1-dim input gets an
/// empty gradient).
pub(crate) struct BlockDiagBackward0 {
    pub(crate) sizes: Vec<Vec<i64>>,
}

impl BackwardFn for BlockDiagBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None; self.sizes.len()]);
        };
        let mut out = Vec::with_capacity(self.sizes.len());
        let (mut r0, mut c0) = (0i64, 0i64);
        for (i, shape) in self.sizes.iter().enumerate() {
            if shape[..] == [0] {
                out.push(Some(call(
                    ctx,
                    "aten.zeros.default",
                    vec![
                        IValue::IntList(vec![0]),
                        IValue::Dtype(g.dtype()),
                        IValue::Layout(Layout::Strided),
                        IValue::Device(g.device()),
                    ],
                )?));
                continue;
            }
            let (r, c) = match shape[..] {
                [r, c] => (r, c),
                [n] => (1, n),
                _ => (1, 1),
            };
            // PyTorch slices every block, the frozen ones too, and the
            // engine drops the gradients nothing needs; the
            // `block-diag-backward-skips-frozen` fault skips them.
            let needed = ctx.needs(i);
            if !needed && ctx.rt.faults().block_diag_backward_skips_frozen {
                out.push(None);
                r0 += r;
                c0 += c;
                continue;
            }
            let rows = call(
                ctx,
                "aten.slice.Tensor",
                vec![
                    (&g).into(),
                    IValue::Int(0),
                    IValue::Int(r0),
                    IValue::Int(r0 + r),
                ],
            )?;
            let mut block = call(
                ctx,
                "aten.slice.Tensor",
                vec![
                    (&rows).into(),
                    IValue::Int(1),
                    IValue::Int(c0),
                    IValue::Int(c0 + c),
                ],
            )?;
            if shape.len() < 2 && !needed {
                // A frozen 1-d (0-d) block: PyTorch's `squeeze(-1)` (twice),
                // its result then dropped.
                let squeezes = if shape.is_empty() { 2 } else { 1 };
                for _ in 0..squeezes {
                    block = call(
                        ctx,
                        "aten.squeeze.dim",
                        vec![(&block).into(), IValue::Int(-1)],
                    )?;
                }
            } else if shape.len() < 2 {
                block = call(
                    ctx,
                    "aten.view.default",
                    vec![(&block).into(), IValue::IntList(shape.clone())],
                )?;
            }
            out.push(needed.then_some(block));
            r0 += r;
            c0 += c;
        }
        Ok(out)
    }
}
