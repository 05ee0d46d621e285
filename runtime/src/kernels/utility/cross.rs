//! `linalg_cross(self, other, dim=-1)`: the cross product of 3-vectors
//! along `dim`, operands broadcast (same number of dimensions required),
//! promoted, result contiguous; float32 is computed in float, integers
//! exactly in wrapping arithmetic.

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

/// `cross(u, v)` of every triple along `dim` of two contiguous buffers of
/// `shape`.
fn cross_along<T: Copy + Default>(
    u: &[T],
    v: &[T],
    shape: &[i64],
    dim: usize,
    cross: impl Fn([T; 3], [T; 3]) -> [T; 3],
) -> Vec<T> {
    let inner: usize = shape[dim + 1..].iter().map(|&s| s as usize).product();
    let outer: usize = shape[..dim].iter().map(|&s| s as usize).product();
    let mut out = vec![T::default(); u.len()];
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * 3 + k) * inner + i;
            let r = cross(
                [u[at(0)], u[at(1)], u[at(2)]],
                [v[at(0)], v[at(1)], v[at(2)]],
            );
            for (k, value) in r.into_iter().enumerate() {
                out[at(k)] = value;
            }
        }
    }
    out
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
    if dtype.is_integral(false) {
        // exact in wrapping integer arithmetic, as PyTorch's integer kernel
        let out = ctx.output_i64(&shape, &strides, dtype, || {
            let xs = broadcast_view(ctx.op, x, &shape)?.read_i64(ctx.op)?;
            let ys = broadcast_view(ctx.op, y, &shape)?.read_i64(ctx.op)?;
            let (u, v) = if flip { (ys, xs) } else { (xs, ys) };
            Ok(cross_along(&u, &v, &shape, dim, |a, b| {
                [
                    a[1].wrapping_mul(b[2])
                        .wrapping_sub(a[2].wrapping_mul(b[1])),
                    a[2].wrapping_mul(b[0])
                        .wrapping_sub(a[0].wrapping_mul(b[2])),
                    a[0].wrapping_mul(b[1])
                        .wrapping_sub(a[1].wrapping_mul(b[0])),
                ]
            }))
        })?;
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &strides, dtype, || {
        let xs = broadcast_view(ctx.op, x, &shape)?.read_f64(ctx.op)?;
        let ys = broadcast_view(ctx.op, y, &shape)?.read_f64(ctx.op)?;
        let (u, v) = if flip { (ys, xs) } else { (xs, ys) };
        Ok(cross_along(&u, &v, &shape, dim, |a, b| {
            cross3(a, b, narrow)
        }))
    })?;
    Ok(vec![out.into()])
}
