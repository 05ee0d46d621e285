//! Volumetric spatial transformers: `grid_sampler_3d` and its backward.
//!
//! `F.grid_sample` of a 5-d input `(N, C, D, H, W)` with a grid `(N, D_out,
//! H_out, W_out, 3)` dispatches `grid_sampler_3d(input, grid,
//! interpolation_mode, padding_mode, align_corners)`; the grid's last axis
//! holds `(x, y, z)` against `(W, H, D)`. Coordinates are unnormalised,
//! clipped or reflected as in 2-d ([`Sampling::source`]). Trilinear (mode
//! 0) weighs the eight corners `tnw, tne, tsw, tse, bnw, bne, bsw, bse`
//! (x fastest, then y, then z) with products of the distances to the far
//! corner, `((wx · wy) · wz)`, and accumulates `value · weight` in that
//! order in the input's precision, skipping corners outside the input;
//! nearest (mode 1) rounds half to even. Bicubic has no 3-d form (PyTorch
//! refuses it).
//!
//! The backward `grid_sampler_3d_backward(grad_output, input, grid, modes..,
//! output_mask)` walks the output voxels in order, each channel adding
//! `weight · grad` to the eight corners of the input's gradient (when the
//! mask asks) and `± ((value · wa) · wb) · grad` to the coordinate
//! gradients (minus for the near corner along that axis), which are then
//! scaled by the unnormalisation's and padding's derivative. Nearest leaves
//! the grid's gradient zero. As PyTorch's CPU kernel (a scalar loop for
//! 3-d, templated on the element type), every product and sum is rounded
//! to the input's dtype: float32 for float32, and for float16/bfloat16
//! every step of the coordinates ([`ScalarAxis`]), the weights, the
//! interpolation and both gradients rounds to the reduced dtype (measured
//! bit for bit against torch 2.15). Under the
//! `grid-sample-3d-reduced-in-float` fault float16/bfloat16 compute in
//! float and round once.

use super::scalar_reduced::ScalarAxis;
use super::{Sampling, nearest_index, prec};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::nn::common::{bool_list, require_floating};
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The checked geometry: `(N, C, D, H, W)` of the input and `(D_out, H_out,
/// W_out)` of the grid.
fn geometry(op: &str, input: &[i64], grid: &[i64]) -> Result<[usize; 8]> {
    match (input, grid) {
        (&[n, c, d, h, w], &[gn, dout, hout, wout, 3])
            if n == gn && d > 0 && h > 0 && w > 0 && c >= 0 =>
        {
            Ok([n, c, d, h, w, dout, hout, wout].map(|v| v.max(0) as usize))
        }
        _ => Err(RuntimeError::shape(
            op,
            format!(
                "grid_sampler(): expected a 5-D input and a grid of shape (N, D_out, H_out, W_out, 3) with the same batch size, got input {input:?} and grid {grid:?}"
            ),
        )),
    }
}

/// Sampling of a 5-d input: the 2-d rules without bicubic.
fn sampling(ctx: &KernelCtx<'_>, a: &Args<'_>, at: usize, single: bool) -> Result<Sampling> {
    let s = Sampling::of(ctx, a, at, single)?;
    if s.bicubic {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "bicubic grid sampling of a 5-D input (PyTorch supports it for 4-D inputs only)",
        ));
    }
    Ok(s)
}

/// How each arithmetic step of the loop rounds: not at all (float64), to
/// float32, or to a reduced dtype.
#[derive(Clone, Copy)]
enum Steps {
    Exact,
    Float,
    Reduced(DType),
}

impl Steps {
    /// The rounding of a sampling of `dtype`; `in_float` computes
    /// float16/bfloat16 in float (the `grid-sample-3d-reduced-in-float`
    /// fault).
    fn of(dtype: DType, in_float: bool) -> Steps {
        match dtype {
            DType::Float64 => Steps::Exact,
            DType::BFloat16 | DType::Float16 if !in_float => Steps::Reduced(dtype),
            _ => Steps::Float,
        }
    }

    fn r(self, v: f64) -> f64 {
        match self {
            Steps::Exact => v,
            Steps::Float => prec(v, true),
            Steps::Reduced(dtype) => super::reduced::round(dtype, v),
        }
    }
}

/// One output voxel's corners inside the input: `(flat volume offset,
/// weight, [d weight / dx, d weight / dy, d weight / dz] before the grad
/// factor)`, in PyTorch's corner order. For trilinear sampling each
/// derivative is the signed product of the other two axes' distances.
struct Corner {
    offset: usize,
    weight: f64,
    /// `(sign, first factor, second factor)` per axis x, y, z.
    slopes: [(f64, f64, f64); 3],
}

fn corners(
    s: &Sampling,
    steps: Steps,
    pos: [f64; 3],
    dims: [usize; 3],
    yz_swapped: bool,
) -> Vec<Corner> {
    let [ix, iy, iz] = pos;
    let [d, h, w] = dims;
    let inside = |x: i64, y: i64, z: i64| {
        x >= 0 && y >= 0 && z >= 0 && (x as usize) < w && (y as usize) < h && (z as usize) < d
    };
    let flat = |x: i64, y: i64, z: i64| (z as usize * h + y as usize) * w + x as usize;
    let mut out = Vec::with_capacity(8);
    if s.nearest {
        let (x, y, z) = (nearest_index(ix), nearest_index(iy), nearest_index(iz));
        if inside(x, y, z) {
            out.push(Corner {
                offset: flat(x, y, z),
                weight: 1.0,
                slopes: [(0.0, 0.0, 0.0); 3],
            });
        }
        return out;
    }
    let p = |v: f64| steps.r(v);
    let (x0, y0, z0) = (ix.floor(), iy.floor(), iz.floor());
    // Distances to the far corner along each axis: index 0 weighs the near
    // corner (`x1 − x`), index 1 the far one (`x − x0`); the integer
    // corners are converted to the dtype first.
    let wx = [p(p(x0 + 1.0) - ix), p(ix - p(x0))];
    let wy = [p(p(y0 + 1.0) - iy), p(iy - p(y0))];
    let wz = [p(p(z0 + 1.0) - iz), p(iz - p(z0))];
    for dz in 0..2 {
        for dy in 0..2 {
            for (dx, &wdx) in wx.iter().enumerate() {
                let (cx, cy, cz) = (
                    x0 as i64 + dx as i64,
                    y0 as i64 + dy as i64,
                    z0 as i64 + dz as i64,
                );
                if !inside(cx, cy, cz) {
                    continue;
                }
                // The fault reads the y distance with the z corner index and
                // the z distance with the y one.
                let (a, b, c) = if yz_swapped {
                    (wdx, wy[dz], wz[dy])
                } else {
                    (wdx, wy[dy], wz[dz])
                };
                let sign = |far: usize| if far == 1 { 1.0 } else { -1.0 };
                out.push(Corner {
                    offset: flat(cx, cy, cz),
                    weight: p(p(a * b) * c),
                    slopes: [(sign(dx), b, c), (sign(dy), a, c), (sign(dz), a, b)],
                });
            }
        }
    }
    out
}

/// The voxel position and coordinate multipliers of grid entry `at`.
fn position(
    s: &Sampling,
    steps: Steps,
    g: &[f64],
    at: usize,
    dims: [usize; 3],
) -> ([f64; 3], [f64; 3]) {
    let [d, h, w] = dims;
    let locate = |c: f64, size: usize| match steps {
        Steps::Reduced(dtype) => ScalarAxis::new(s, dtype, size).locate(c),
        _ => s.source(c, size),
    };
    let (x, mx) = locate(g[at], w);
    let (y, my) = locate(g[at + 1], h);
    let (z, mz) = locate(g[at + 2], d);
    ([x, y, z], [mx, my, mz])
}

/// `grid_sampler_3d(input, grid, interpolation_mode, padding_mode,
/// align_corners)`.
pub(crate) fn grid_sampler_3d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (input, grid) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(input, "input")?;
    ctx.check(grid, "grid")?;
    require_floating("grid_sampler_3d", "input", input.dtype())?;
    let single = input.dtype() != DType::Float64;
    let s = sampling(ctx, &a, 2, single)?;
    let steps = Steps::of(input.dtype(), ctx.faults.grid_sample_3d_reduced_in_float);
    let swapped = ctx.faults.grid_sample_3d_yz_swapped;
    let [n, c, d, h, w, dout, hout, wout] = geometry(ctx.op, input.shape(), grid.shape())?;
    let (vol, outs) = (d * h * w, dout * hout * wout);
    let shape = [n, c, dout, hout, wout].map(|v| v as i64);
    let out = ctx.output(&shape, &contiguous_strides(&shape), input.dtype(), || {
        let (x, g) = (input.read_f64(ctx.op)?, grid.read_f64(ctx.op)?);
        let mut out = vec![0.0; n * c * outs];
        for b in 0..n {
            for vox in 0..outs {
                let (pos, _) = position(&s, steps, &g, (b * outs + vox) * 3, [d, h, w]);
                let taps = corners(&s, steps, pos, [d, h, w], swapped);
                for ch in 0..c {
                    let volume = &x[(b * c + ch) * vol..(b * c + ch + 1) * vol];
                    out[(b * c + ch) * outs + vox] = taps.iter().fold(0.0, |acc, t| {
                        steps.r(acc + steps.r(volume[t.offset] * t.weight))
                    });
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// `grid_sampler_3d_backward(grad_output, input, grid, interpolation_mode,
/// padding_mode, align_corners, output_mask)` -> `(grad_input or None,
/// grad_grid)`.
pub(crate) fn grid_sampler_3d_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (gout, input, grid) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    for (t, name) in [(gout, "grad_output"), (input, "input"), (grid, "grid")] {
        ctx.check(t, name)?;
    }
    let single = input.dtype() != DType::Float64;
    let s = sampling(ctx, &a, 3, single)?;
    let steps = Steps::of(input.dtype(), ctx.faults.grid_sample_3d_reduced_in_float);
    let swapped = ctx.faults.grid_sample_3d_yz_swapped;
    let mask = bool_list(&a, 6)?;
    let [n, c, d, h, w, dout, hout, wout] = geometry(ctx.op, input.shape(), grid.shape())?;
    let (vol, outs) = (d * h * w, dout * hout * wout);
    if gout.shape() != [n, c, dout, hout, wout].map(|v| v as i64) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of shape {:?} does not match the sampled output",
                gout.shape()
            ),
        ));
    }
    let p = |v: f64| steps.r(v);
    // Both gradients from one pass: (grad_input, grad_grid).
    let compute = || -> Result<(Vec<f64>, Vec<f64>)> {
        let (x, g, go) = (
            input.read_f64(ctx.op)?,
            grid.read_f64(ctx.op)?,
            gout.read_f64(ctx.op)?,
        );
        let mut gin = vec![0.0; n * c * vol];
        let mut ggrid = vec![0.0; n * outs * 3];
        for b in 0..n {
            for vox in 0..outs {
                let at = (b * outs + vox) * 3;
                let (pos, mult) = position(&s, steps, &g, at, [d, h, w]);
                let taps = corners(&s, steps, pos, [d, h, w], swapped);
                let mut gpos = [0.0; 3];
                for ch in 0..c {
                    let base = (b * c + ch) * vol;
                    let d_out = go[(b * c + ch) * outs + vox];
                    for t in &taps {
                        gin[base + t.offset] = p(gin[base + t.offset] + p(t.weight * d_out));
                    }
                    if s.nearest {
                        continue;
                    }
                    for t in &taps {
                        let v = x[base + t.offset];
                        for (acc, &(sign, fa, fb)) in gpos.iter_mut().zip(&t.slopes) {
                            *acc = p(*acc + sign * p(p(p(v * fa) * fb) * d_out));
                        }
                    }
                }
                for k in 0..3 {
                    ggrid[at + k] = p(mult[k] * gpos[k]);
                }
            }
        }
        Ok((gin, ggrid))
    };
    let grad_input = if mask.first().copied().unwrap_or(false) {
        let shape = input.shape().to_vec();
        IValue::Tensor(
            ctx.output(&shape, &contiguous_strides(&shape), input.dtype(), || {
                Ok(compute()?.0)
            })?,
        )
    } else {
        IValue::None
    };
    let gshape = grid.shape().to_vec();
    let grad_grid = ctx.output(&gshape, &contiguous_strides(&gshape), grid.dtype(), || {
        Ok(compute()?.1)
    })?;
    Ok(vec![grad_input, grad_grid.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trilinear() -> Sampling {
        Sampling {
            nearest: false,
            bicubic: false,
            cubic_a: -0.75,
            padding: 0,
            align_corners: false,
            single: false,
        }
    }

    #[test]
    fn trilinear_corners_weigh_products_of_distances_in_pytorch_order() {
        // Position (0.25, 0.5, 0.75) in a 2×2×2 volume:
        // wx = [0.75, 0.25], wy = [0.5, 0.5], wz = [0.25, 0.75];
        // tnw = 0.75·0.5·0.25, tne = 0.25·0.5·0.25, ..., bse = 0.25·0.5·0.75.
        let t = corners(
            &trilinear(),
            Steps::Exact,
            [0.25, 0.5, 0.75],
            [2, 2, 2],
            false,
        );
        let offsets: Vec<usize> = t.iter().map(|c| c.offset).collect();
        assert_eq!(offsets, (0..8).collect::<Vec<_>>());
        let weights: Vec<f64> = t.iter().map(|c| c.weight).collect();
        assert_eq!(
            weights,
            vec![
                0.09375, 0.03125, 0.09375, 0.03125, 0.28125, 0.09375, 0.28125, 0.09375
            ]
        );
        assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // d tnw / dx = −wy·wz of the near corners.
        assert_eq!(t[0].slopes[0], (-1.0, 0.5, 0.25));
        // d bse / dz = +wx·wy of the far corners.
        assert_eq!(t[7].slopes[2], (1.0, 0.25, 0.5));
    }

    #[test]
    fn corners_outside_the_volume_are_dropped() {
        // Half a voxel left of the first column (x0 = -1, x1 = 0): only the
        // four corners with x = 0 are inside.
        let t = corners(
            &trilinear(),
            Steps::Exact,
            [-0.5, 0.0, 0.5],
            [2, 2, 2],
            false,
        );
        assert_eq!(t.len(), 4);
        assert!(t.iter().all(|c| c.offset % 2 == 0));
        let nearest = Sampling {
            nearest: true,
            ..trilinear()
        };
        // 0.5 rounds to 0, 1.5 to 2 (outside a 2-wide axis).
        assert_eq!(
            corners(&nearest, Steps::Exact, [0.5, 0.5, 0.5], [2, 2, 2], false).len(),
            1
        );
        assert!(corners(&nearest, Steps::Exact, [1.5, 0.0, 0.0], [2, 2, 2], false).is_empty());
    }
}
