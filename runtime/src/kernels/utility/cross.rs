//! `linalg_cross(self, other, dim=-1)`: the cross product of 3-vectors
//! along `dim`, operands broadcast (same number of dimensions required),
//! promoted, result contiguous; float32 is computed in float.

use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::iter::broadcast_view;
use crate::kernels::pointwise::result_type;
use crate::kernels::reduction::dims::wrap;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides};

/// `a × b` for one triple, in float for float32 (and narrower).
fn cross3(a: [f64; 3], b: [f64; 3], narrow: bool) -> [f64; 3] {
    if narrow {
        let (a, b) = (a.map(|v| v as f32), b.map(|v| v as f32));
        [
            f64::from(a[1] * b[2] - a[2] * b[1]),
            f64::from(a[2] * b[0] - a[0] * b[2]),
            f64::from(a[0] * b[1] - a[1] * b[0]),
        ]
    } else {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    }
}

/// `linalg_cross(Tensor self, Tensor other, *, int dim=-1) -> Tensor`.
pub(crate) fn linalg_cross(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "other")?;
    let dim_arg = a.int(2)?;
    if x.dim() != y.dim() {
        return Err(RuntimeError::shape(
            ctx.op,
            "linalg.cross: inputs must have the same number of dimensions.",
        ));
    }
    let shape = broadcast_shapes(x.shape(), y.shape()).ok_or_else(|| {
        crate::kernels::elementwise::broadcast_mismatch(ctx.op, x.shape(), y.shape())
    })?;
    let dim = wrap(ctx.op, dim_arg, shape.len())?;
    let (nx, ny) = (x.shape()[dim], y.shape()[dim]);
    if nx != 3 || ny != 3 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "linalg.cross: inputs dimension {dim_arg} must have length 3. Got {nx} and {ny}"
            ),
        ));
    }
    let dtype = result_type(ctx, &[Operand::Tensor(x), Operand::Tensor(y)]);
    let narrow = matches!(dtype, DType::Float32 | DType::Float16 | DType::BFloat16);
    let flip = ctx.faults.cross_sign_flipped;
    let strides = contiguous_strides(&shape);
    let out = ctx.output(&shape, &strides, dtype, || {
        let xs = broadcast_view(ctx.op, x, &shape)?.read_f64(ctx.op)?;
        let ys = broadcast_view(ctx.op, y, &shape)?.read_f64(ctx.op)?;
        let inner: usize = shape[dim + 1..].iter().map(|&s| s as usize).product();
        let outer: usize = shape[..dim].iter().map(|&s| s as usize).product();
        let mut out = vec![0.0; xs.len()];
        for o in 0..outer {
            for i in 0..inner {
                let at = |k: usize| (o * 3 + k) * inner + i;
                let u = [xs[at(0)], xs[at(1)], xs[at(2)]];
                let v = [ys[at(0)], ys[at(1)], ys[at(2)]];
                let r = if flip {
                    cross3(v, u, narrow)
                } else {
                    cross3(u, v, narrow)
                };
                for (k, value) in r.into_iter().enumerate() {
                    out[at(k)] = value;
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}
