//! Backward of the spatial-transformer operators.
//!
//! * GridSampler2DBackward0 calls `grid_sampler_2d_backward(grad, input,
//!   grid, interpolation_mode, padding_mode, align_corners, output_mask)`
//!   once, the mask naming which of input and grid need a gradient;
//!   GridSampler3DBackward0 likewise `grid_sampler_3d_backward`.
//! * AffineGridGeneratorBackward0 runs PyTorch's composite
//!   `affine_grid_generator_backward(grad, size, align_corners)` operator by
//!   operator (observed in torch 2.15): `empty (N, H, W, 3)`; per column
//!   `select(-1, k)` then `linspace(-1, 1, steps)` (without
//!   `align_corners`: `mul(steps − 1)`, `div(steps)`) copied in, the `y`
//!   column after `unsqueeze_(-1)`, the third `fill_(1)`; then
//!   `view (N, H·W, 3)`, `transpose(1, 2)`, `grad.view (N, H·W, 2)`, `bmm`
//!   and `transpose(1, 2)` to theta's `(N, 2, 3)`. A 5-d size `(N, C, D, H,
//!   W)` builds `(N, D, H, W, 4)`: x, y (one `unsqueeze_`), z (two), ones,
//!   then `(N, D·H·W, 4)` against the gradient's `(N, D·H·W, 3)`.

use crate::autograd::functions::{keep_needed, single};
use crate::autograd::saved::SavedVariable;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::options::Layout;

/// GridSampler2DBackward0 and GridSampler3DBackward0.
pub(crate) struct GridSampler2DBackward0 {
    /// `aten.grid_sampler_2d_backward.default` or its 3-d form.
    pub(crate) backward_op: &'static str,
    pub(crate) input: SavedVariable,
    pub(crate) grid: SavedVariable,
    /// `interpolation_mode`, `padding_mode`, `align_corners`.
    pub(crate) modes: [IValue; 3],
}

impl BackwardFn for GridSampler2DBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None, None]);
        };
        let needs = [ctx.needs(0), ctx.needs(1)];
        let mut args = vec![
            g.into(),
            self.input.unpack(ctx.node)?.into(),
            self.grid.unpack(ctx.node)?.into(),
        ];
        args.extend(self.modes.iter().cloned());
        args.push(IValue::BoolList(needs.to_vec()));
        let out = ctx.rt.norm_backward(self.backward_op, args)?;
        Ok(keep_needed(out, &needs))
    }

    fn release_variables(&mut self) {
        self.input.release();
        self.grid.release();
    }
}

/// AffineGridGeneratorBackward0.
pub(crate) struct AffineGridGeneratorBackward0 {
    /// The forward's `size` (N, C, H, W).
    pub(crate) size: Vec<i64>,
    pub(crate) align_corners: bool,
}

fn tensor_of(op: &str, out: Vec<IValue>) -> Result<Tensor> {
    out.into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
}

fn call(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    let out = rt.dispatch(op, args)?;
    tensor_of(op, out)
}

/// `linspace(-1, 1, steps)`, scaled by `(steps − 1) / steps` without
/// `align_corners`, in `grad`'s dtype.
fn linspace_from_neg_one(
    rt: &mut Runtime,
    grad: &Tensor,
    steps: i64,
    align_corners: bool,
) -> Result<Tensor> {
    let r = call(
        rt,
        "aten.linspace.default",
        vec![
            IValue::Int(-1),
            IValue::Int(1),
            IValue::Int(steps),
            IValue::Dtype(grad.dtype()),
            IValue::Layout(Layout::Strided),
            IValue::Device(Device::Cpu),
            IValue::None,
        ],
    )?;
    if align_corners {
        return Ok(r);
    }
    let r = call(
        rt,
        "aten.mul.Scalar",
        vec![r.into(), IValue::Int(steps - 1)],
    )?;
    call(rt, "aten.div.Scalar", vec![r.into(), IValue::Int(steps)])
}

impl BackwardFn for AffineGridGeneratorBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(grad) = single(grads) else {
            return Ok(vec![None]);
        };
        let (n, d, h, w, coords) = match *self.size.as_slice() {
            [n, _, h, w] => (n, 1, h, w, 2),
            [n, _, d, h, w] => (n, d, h, w, 3),
            _ => {
                return Err(RuntimeError::unsupported(
                    "aten.affine_grid_generator.default",
                    format!("the backward of an affine grid of size {:?}", self.size),
                ));
            }
        };
        let rt = &mut *ctx.rt;
        let mut base_shape = vec![n];
        if coords == 3 {
            base_shape.push(d);
        }
        base_shape.extend([h, w, coords + 1]);
        let base = call(
            rt,
            "aten.empty.memory_format",
            vec![
                IValue::IntList(base_shape),
                IValue::Dtype(grad.dtype()),
                IValue::Layout(Layout::Strided),
                IValue::Device(Device::Cpu),
                IValue::None,
                IValue::None,
            ],
        )?;
        let select = |rt: &mut Runtime, k: i64| {
            call(
                rt,
                "aten.select.int",
                vec![base.clone().into(), IValue::Int(-1), IValue::Int(k)],
            )
        };
        let copy = |rt: &mut Runtime, dst: Tensor, src: Tensor| {
            call(
                rt,
                "aten.copy_.default",
                vec![dst.into(), src.into(), IValue::Bool(false)],
            )
        };
        // Column k holds the linspace of the k-th axis from the last,
        // unsqueezed k times to broadcast along the faster axes.
        let steps = [w, h, d];
        for k in 0..coords {
            let dst = select(rt, k)?;
            let mut line = linspace_from_neg_one(rt, &grad, steps[k as usize], self.align_corners)?;
            for _ in 0..k {
                line = call(
                    rt,
                    "aten.unsqueeze_.default",
                    vec![line.into(), IValue::Int(-1)],
                )?;
            }
            copy(rt, dst, line)?;
        }
        let ones = select(rt, coords)?;
        call(rt, "aten.fill_.Scalar", vec![ones.into(), IValue::Int(1)])?;
        let flat = call(
            rt,
            "aten.view.default",
            vec![
                base.clone().into(),
                IValue::IntList(vec![n, d * h * w, coords + 1]),
            ],
        )?;
        let flat_t = call(
            rt,
            "aten.transpose.int",
            vec![flat.into(), IValue::Int(1), IValue::Int(2)],
        )?;
        let g = call(
            rt,
            "aten.view.default",
            vec![grad.into(), IValue::IntList(vec![n, d * h * w, coords])],
        )?;
        let prod = call(rt, "aten.bmm.default", vec![flat_t.into(), g.into()])?;
        let theta = call(
            rt,
            "aten.transpose.int",
            vec![prod.into(), IValue::Int(1), IValue::Int(2)],
        )?;
        Ok(vec![Some(theta)])
    }
}
