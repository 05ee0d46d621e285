//! Backward functions of the order statistics and scatter/index
//! reductions that no other node shares: `cummax`/`cummin`
//! (CummaxBackward0 / CumminBackward0), `scatter_reduce.two`
//! (ScatterReduceBackward0) and `index_reduce` (IndexReduceBackward0).
//! `kthvalue`, `median`, `nanmedian` and `mode` reuse the extremum nodes'
//! `value_selecting_reduction_backward` and `evenly_distribute_backward`.
//!
//! Each dispatches the operators PyTorch 2.15's formula dispatches, in the
//! order a dispatch mode observes them (where C++ evaluates the operands of
//! a call right to left, so does this code).

use super::reduction::{release, unpack};
use super::single;
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// The typed operator calls of these formulas (one dispatch each).
struct Ops<'a>(&'a mut Runtime);

impl Ops<'_> {
    fn call(&mut self, op: &str, args: Vec<IValue>) -> Result<Tensor> {
        self.0
            .dispatch(op, args)?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
    }

    fn new_zeros(&mut self, like: &Tensor, sizes: &[i64]) -> Result<Tensor> {
        self.call("aten.new_zeros.default", vec![like.into(), sizes.into()])
    }

    fn zeros_like(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.zeros_like.default", vec![x.into()])
    }

    fn ones_like(&mut self, x: &Tensor) -> Result<Tensor> {
        self.call("aten.ones_like.default", vec![x.into()])
    }

    fn scatter_add(
        &mut self,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
    ) -> Result<Tensor> {
        self.call(
            "aten.scatter_add.default",
            vec![x.into(), IValue::Int(dim), index.into(), src.into()],
        )
    }

    fn scatter_add_(
        &mut self,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
    ) -> Result<Tensor> {
        self.call(
            "aten.scatter_add_.default",
            vec![x.into(), IValue::Int(dim), index.into(), src.into()],
        )
    }

    fn index_add(&mut self, x: &Tensor, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.index_add.default",
            vec![x.into(), IValue::Int(dim), index.into(), src.into()],
        )
    }

    fn gather(&mut self, x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.gather.default",
            vec![x.into(), IValue::Int(dim), index.into()],
        )
    }

    fn index_select(&mut self, x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
        self.call(
            "aten.index_select.default",
            vec![x.into(), IValue::Int(dim), index.into()],
        )
    }

    fn eq_scalar(&mut self, x: &Tensor, v: i64) -> Result<Tensor> {
        self.call("aten.eq.Scalar", vec![x.into(), IValue::Int(v)])
    }

    fn eq(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.eq.Tensor", vec![a.into(), b.into()])
    }

    fn masked_fill(&mut self, x: &Tensor, mask: &Tensor, v: i64) -> Result<Tensor> {
        self.call(
            "aten.masked_fill.Scalar",
            vec![x.into(), mask.into(), IValue::Int(v)],
        )
    }

    fn masked_fill_(&mut self, x: &Tensor, mask: &Tensor, v: i64) -> Result<Tensor> {
        self.call(
            "aten.masked_fill_.Scalar",
            vec![x.into(), mask.into(), IValue::Int(v)],
        )
    }

    fn mul(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.mul.Tensor", vec![a.into(), b.into()])
    }

    fn div(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.div.Tensor", vec![a.into(), b.into()])
    }

    fn cast(&mut self, x: &Tensor, like: &Tensor) -> Result<Tensor> {
        self.call(
            "aten._to_copy.default",
            vec![x.into(), IValue::Dtype(like.dtype())],
        )
    }

    fn bitwise_and(&mut self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.bitwise_and.Tensor", vec![a.into(), b.into()])
    }

    fn where_self(&mut self, cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        self.call("aten.where.self", vec![cond.into(), a.into(), b.into()])
    }
}

/// `cummax` / `cummin(self, dim)` (CummaxBackward0 / CumminBackward0):
/// PyTorch's `cummaxmin_backward(grad, self, indices, dim)` — nothing for
/// an empty input (the input itself), otherwise
/// `grad.new_zeros(self.sizes()).scatter_add(dim, indices, grad)` (in place
/// unless a dispatch mode makes the tensors subclass-like).
pub(crate) struct CummaxminBackward {
    pub(crate) self_: SavedVariable,
    pub(crate) dim: i64,
    pub(crate) indices: Option<SavedVariable>,
}

impl BackwardFn for CummaxminBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        let input = self.self_.unpack(ctx.node)?;
        if input.numel() == 0 {
            return Ok(vec![Some(input)]);
        }
        let indices = unpack(&self.indices, ctx)?;
        let composite = ctx.rt.is_dispatch_mode_active();
        let mut ops = Ops(&mut *ctx.rt);
        let zeros = ops.new_zeros(&g, input.shape())?;
        let out = if composite {
            ops.scatter_add(&zeros, self.dim, &indices, &g)?
        } else {
            ops.scatter_add_(&zeros, self.dim, &indices, &g)?
        };
        Ok(vec![Some(out)])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        // The indices have no history: saved as a plain tensor.
        self.indices = outputs.get(1).map(SavedVariable::input);
    }

    fn release_variables(&mut self) {
        self.self_.release();
        release(&mut self.indices);
    }
}

/// How a reduction node reaches its destinations: `scatter_reduce`'s
/// element-wise index (`gather`, `scatter_add`, `scatter.value`) or
/// `index_reduce`'s slice index (`index_select`, `index_add`,
/// `index_fill`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Routing {
    Scatter,
    Index,
}

impl Routing {
    fn pick(self, ops: &mut Ops<'_>, x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
        match self {
            Routing::Scatter => ops.gather(x, dim, index),
            Routing::Index => ops.index_select(x, dim, index),
        }
    }

    fn add_into(
        self,
        ops: &mut Ops<'_>,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
    ) -> Result<Tensor> {
        match self {
            Routing::Scatter => ops.scatter_add(x, dim, index, src),
            Routing::Index => ops.index_add(x, dim, index, src),
        }
    }

    /// `x` with every reached destination zeroed (`!include_self`).
    fn zero_reached(
        self,
        ops: &mut Ops<'_>,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
    ) -> Result<Tensor> {
        let (op, args) = match self {
            Routing::Scatter => (
                "aten.scatter.value",
                vec![x.into(), IValue::Int(dim), index.into(), IValue::Int(0)],
            ),
            Routing::Index => (
                "aten.index_fill.int_Scalar",
                vec![x.into(), IValue::Int(dim), index.into(), IValue::Int(0)],
            ),
        };
        ops.call(op, args)
    }

    /// The forward again on other operands (`prod`'s exclusive products).
    #[allow(clippy::too_many_arguments)]
    fn reduce(
        self,
        ops: &mut Ops<'_>,
        x: &Tensor,
        dim: i64,
        index: &Tensor,
        src: &Tensor,
        reduce: &str,
        include_self: bool,
    ) -> Result<Tensor> {
        let op = match self {
            Routing::Scatter => "aten.scatter_reduce.two",
            Routing::Index => "aten.index_reduce.default",
        };
        ops.call(
            op,
            vec![
                x.into(),
                IValue::Int(dim),
                index.into(),
                src.into(),
                IValue::Str(reduce.into()),
                IValue::Bool(include_self),
            ],
        )
    }
}

/// `scatter_reduce.two` / `index_reduce(self, dim, index, src, reduce,
/// include_self)` (ScatterReduceBackward0 / IndexReduceBackward0):
/// PyTorch's `scatter_reduce_backward` / `index_reduce_backward`, which
/// compute both gradients together:
///
/// * `sum`: `grad` and `grad.gather(dim, index)`;
/// * `prod`: `grad * (self with zeros as 1).reduce(...) / (self with zeros
///   as 1)` for self; for src, where src is the only zero of its
///   destination `(grad * self.reduce(src with that zero as 1))` picked,
///   elsewhere `(grad * result)` picked over `src` with zeros as 1;
/// * `mean`: `grad / N` and `grad` picked over `N` picked, with `N` the
///   destination's count (one for self unless excluded, zeros read as 1);
/// * `amax`/`amin`: the gradient split evenly among every element (of self
///   and src) equal to its destination's result;
///
/// then without `include_self` self's reached destinations get zero.
pub(crate) struct ReduceBackward {
    pub(crate) routing: Routing,
    pub(crate) self_: SavedVariable,
    pub(crate) dim: i64,
    pub(crate) index: SavedVariable,
    pub(crate) src: SavedVariable,
    pub(crate) reduce: String,
    pub(crate) include_self: bool,
    pub(crate) result: Option<SavedVariable>,
}

impl BackwardFn for ReduceBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let this = self.self_.unpack(ctx.node)?;
        let index = self.index.unpack(ctx.node)?;
        let src = self.src.unpack(ctx.node)?;
        let result = unpack(&self.result, ctx)?;
        let (needs_self, needs_src) = (ctx.needs(0), ctx.needs(1));
        let not_split = ctx.rt.faults().scatter_amax_gradient_not_split;
        let (dim, route) = (self.dim, self.routing);
        let mut ops = Ops(&mut *ctx.rt);
        let (grad_self, grad_src) = match self.reduce.as_str() {
            "sum" => {
                let picked = route.pick(&mut ops, &g, dim, &index)?;
                (g.clone(), picked)
            }
            "prod" => {
                let self_zero = ops.eq_scalar(&this, 0)?;
                let masked_self = ops.masked_fill(&this, &self_zero, 1)?;
                let masked_self_result = route.reduce(
                    &mut ops,
                    &masked_self,
                    dim,
                    &index,
                    &src,
                    &self.reduce,
                    self.include_self,
                )?;
                let scaled = ops.mul(&g, &masked_self_result)?;
                let grad_self = ops.div(&scaled, &masked_self)?;
                let src_zero = ops.eq_scalar(&src, 0)?;
                let zeros = ops.zeros_like(&this)?;
                let src_zero_f = ops.cast(&src_zero, &this)?;
                let zero_counts = route.add_into(&mut ops, &zeros, dim, &index, &src_zero_f)?;
                let src_num_zeros = route.pick(&mut ops, &zero_counts, dim, &index)?;
                let one_zero = ops.eq_scalar(&src_num_zeros, 1)?;
                let src_single_zero = ops.bitwise_and(&src_zero, &one_zero)?;
                let masked_src = ops.masked_fill(&src, &src_single_zero, 1)?;
                let masked_src_result = route.reduce(
                    &mut ops,
                    &this,
                    dim,
                    &index,
                    &masked_src,
                    &self.reduce,
                    self.include_self,
                )?;
                // where(single_zero, A, B): C++ builds B first, and in B the
                // divisor before the dividend.
                let src_nonzero = ops.masked_fill(&src, &src_zero, 1)?;
                let scaled_result = ops.mul(&g, &result)?;
                let picked_result = route.pick(&mut ops, &scaled_result, dim, &index)?;
                let otherwise = ops.div(&picked_result, &src_nonzero)?;
                let scaled_masked = ops.mul(&g, &masked_src_result)?;
                let single = route.pick(&mut ops, &scaled_masked, dim, &index)?;
                let grad_src = ops.where_self(&src_single_zero, &single, &otherwise)?;
                (grad_self, grad_src)
            }
            "mean" => {
                let base = if self.include_self {
                    ops.ones_like(&g)?
                } else {
                    ops.zeros_like(&g)?
                };
                let ones = ops.ones_like(&src)?;
                let counts = route.add_into(&mut ops, &base, dim, &index, &ones)?;
                let empty = ops.eq_scalar(&counts, 0)?;
                let counts = ops.masked_fill_(&counts, &empty, 1)?;
                let grad_self = ops.div(&g, &counts)?;
                let src_counts = route.pick(&mut ops, &counts, dim, &index)?;
                let picked = route.pick(&mut ops, &g, dim, &index)?;
                (grad_self, ops.div(&picked, &src_counts)?)
            }
            "amax" | "amin" => {
                let value = route.pick(&mut ops, &result, dim, &index)?;
                let self_hit = ops.eq(&this, &result)?;
                let self_is_result = ops.cast(&self_hit, &this)?;
                let src_hit = ops.eq(&src, &value)?;
                let src_is_result = ops.cast(&src_hit, &this)?;
                let ties =
                    route.add_into(&mut ops, &self_is_result, dim, &index, &src_is_result)?;
                let share = if not_split {
                    g.clone()
                } else {
                    ops.div(&g, &ties)?
                };
                let grad_self = match route {
                    // scatter_reduce_backward multiplies by a fresh bool
                    // mask, index_reduce_backward by the float one.
                    Routing::Scatter => {
                        let mask = ops.eq(&this, &result)?;
                        ops.mul(&mask, &share)?
                    }
                    Routing::Index => ops.mul(&self_is_result, &share)?,
                };
                let picked = route.pick(&mut ops, &share, dim, &index)?;
                let grad_src = match route {
                    Routing::Scatter => {
                        let mask = ops.eq(&src, &value)?;
                        ops.mul(&mask, &picked)?
                    }
                    Routing::Index => ops.mul(&src_is_result, &picked)?,
                };
                (grad_self, grad_src)
            }
            other => {
                return Err(RuntimeError::autograd(format!(
                    "reduce argument must be either sum, prod, mean, amax or amin, got {other}"
                )));
            }
        };
        let grad_self = if self.include_self {
            grad_self
        } else {
            route.zero_reached(&mut ops, &grad_self, dim, &index)?
        };
        Ok(vec![
            needs_self.then_some(grad_self),
            needs_src.then_some(grad_src),
        ])
    }

    fn save_outputs(&mut self, outputs: &[Tensor]) {
        self.result = outputs.first().map(|r| SavedVariable::output(r, 0));
    }

    fn release_variables(&mut self) {
        self.self_.release();
        self.index.release();
        self.src.release();
        release(&mut self.result);
    }
}
