//! Double backward of the pooling, padding and upsampling backward kernels,
//! edges `[grad_output, self]` (`[grad_output]` for upsampling), observed in
//! torch 2.15:
//!
//! * `MaxPool2DWithIndicesBackwardBackward0`: `grad_output`'s gradient picks
//!   the incoming gradient at the saved indices — `indices.view(N, C, -1)`,
//!   `grad.view(N, C, -1)`, `gather(-1)`, `view` to the indices' shape;
//! * `AvgPool2DBackwardBackward0`: `grad_output`'s gradient is the average
//!   pooling of the incoming gradient with the forward's parameters;
//! * `AdaptiveAvgPool2DBackwardBackward0`: `_adaptive_avg_pool2d` of the
//!   incoming gradient to `grad_output`'s last two sizes;
//! * the 3-d pools, `adaptive_max_pool2d`, the reflection and replication
//!   pads and the upsampling kernels likewise, as derivatives.yaml states:
//!   the forward operator on the incoming gradient (max pools: the gather at
//!   the indices over their spatial dims);
//! * `self`'s gradient is zero for both (the kernels are linear in
//!   `grad_output` and do not read `self`'s values): `zeros(self sizes,
//!   self options)`, the node keeping only `self`'s geometry.

use super::super::single;
use super::{call, release, unpack};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::{Layout, MemoryFormat};

/// Sizes and options of `self`, for its zero gradient.
#[derive(Clone, Debug)]
pub(crate) struct ZerosLike {
    pub(crate) sizes: Vec<i64>,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
}

impl ZerosLike {
    pub(crate) fn of(t: &Tensor) -> ZerosLike {
        ZerosLike {
            sizes: t.shape().to_vec(),
            dtype: t.dtype(),
            device: t.device(),
        }
    }

    /// `at::zeros(sizes, options)`.
    pub(crate) fn make(&self, ctx: &mut BackwardCtx<'_>) -> Result<Tensor> {
        let args = vec![
            IValue::IntList(self.sizes.clone()),
            IValue::Dtype(self.dtype),
            IValue::Layout(Layout::Strided),
            IValue::Device(self.device),
        ];
        call(ctx, "aten.zeros.default", args)
    }
}

/// How `grad_output`'s gradient is computed.
pub(crate) enum Pool {
    /// Max pooling over `spatial` dims: the saved indices (when
    /// `grad_output` needs a gradient).
    Max {
        indices: Option<SavedVariable>,
        spatial: usize,
    },
    /// A kernel linear in `grad_output` whose double backward is its
    /// forward operator on the incoming gradient (`reflection_pad2d`,
    /// `upsample_nearest2d`, `avg_pool3d`, ...): `op(grad, params...)`.
    Forward {
        op: &'static str,
        params: Vec<IValue>,
    },
    /// Average pooling: `avg_pool2d`'s arguments after the input
    /// (kernel_size, stride, padding, ceil_mode, count_include_pad,
    /// divisor_override).
    Avg { params: Vec<IValue> },
}

/// `MaxPool2DWithIndicesBackwardBackward0` / `AvgPool2DBackwardBackward0`.
pub(crate) struct PoolBackwardBackward {
    pub(crate) pool: Pool,
    /// `self`'s geometry when the kernel has a `self` edge (the upsampling
    /// kernels have none).
    pub(crate) self_zeros: Option<ZerosLike>,
}

impl PoolBackwardBackward {
    fn grad_output_grad(&self, ctx: &mut BackwardCtx<'_>, g: &Tensor) -> Result<Tensor> {
        match &self.pool {
            Pool::Avg { params } => {
                let mut args = vec![g.into()];
                args.extend(params.iter().cloned());
                call(ctx, "aten.avg_pool2d.default", args)
            }
            Pool::Forward { op, params } => {
                let mut args = vec![g.into()];
                args.extend(params.iter().cloned());
                call(ctx, op, args)
            }
            Pool::Max { indices, spatial } => {
                let indices = unpack(ctx, indices)?;
                let lead = indices.shape().len().saturating_sub(*spatial);
                let mut size: Vec<i64> = indices.shape()[..lead].to_vec();
                size.push(-1);
                let flat_indices = ctx.rt.view(&indices, &size)?;
                // `grad.reshape(size)` (observed in torch 2.15): a contiguous
                // gradient is viewed with the `-1` as it is; any other one is
                // viewed with it resolved when its strides allow (an
                // expanded or channels-last gradient: no copy), else copied
                // contiguous and `_unsafe_view`ed.
                let copied;
                let g = if ctx.rt.faults().contiguous_pool_gradient && !g.is_contiguous() {
                    copied = ctx.rt.clone_tensor(g, MemoryFormat::Contiguous)?;
                    &copied
                } else {
                    g
                };
                let flat = if g.is_contiguous() {
                    ctx.rt.view(g, &size)?
                } else {
                    let known: i64 = size.iter().filter(|&&d| d != -1).product();
                    let rest = if known == 0 {
                        0
                    } else {
                        g.numel() as i64 / known
                    };
                    let resolved: Vec<i64> = size
                        .iter()
                        .map(|&d| if d == -1 { rest } else { d })
                        .collect();
                    ctx.rt.reshape(g, &resolved)?
                };
                let picked = ctx.rt.gather(&flat, -1, &flat_indices)?;
                ctx.rt.view(&picked, indices.shape())
            }
        }
    }
}

impl BackwardFn for PoolBackwardBackward {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let edges = if self.self_zeros.is_some() { 2 } else { 1 };
        let Some(g) = single(grads) else {
            return Ok(vec![None; edges]);
        };
        let mut out = vec![None; edges];
        if ctx.needs(0) {
            out[0] = Some(self.grad_output_grad(ctx, &g)?);
        }
        if let Some(zeros) = &self.self_zeros
            && ctx.needs(1)
        {
            out[1] = Some(zeros.make(ctx)?);
        }
        Ok(out)
    }

    fn release_variables(&mut self) {
        if let Pool::Max { indices, .. } = &mut self.pool {
            release(indices);
        }
    }
}
