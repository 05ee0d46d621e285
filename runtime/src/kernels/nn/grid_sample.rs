//! Spatial transformers: `affine_grid_generator` and `grid_sampler_2d` with
//! its backward.
//!
//! `F.affine_grid(theta, (N, C, H, W), align_corners)` dispatches
//! `affine_grid_generator`: a base grid of `(x, y, 1)` per output pixel —
//! `x` and `y` from `linspace(-1, 1, steps)`, scaled by `(steps − 1) /
//! steps` without `align_corners` — multiplied by `thetaᵀ`, giving `(N, H,
//! W, 2)`. `F.grid_sample(input, grid, mode, padding_mode, align_corners)`
//! dispatches `grid_sampler_2d(input, grid, interpolation_mode,
//! padding_mode, align_corners)` (modes 0 bilinear, 1 nearest, 2 bicubic;
//! padding 0 zeros, 1 border, 2 reflection). Each grid coordinate is
//! unnormalised to pixels (`(c + 1) / 2 · (size − 1)` with `align_corners`,
//! else `((c + 1) · size − 1) / 2`), then clipped (border) or reflected
//! and clipped (reflection); bilinear weighs the four neighbours, nearest
//! rounds half to even; neighbours outside the input read zero. The
//! backward `grid_sampler_2d_backward(grad_output, input, grid, modes..,
//! output_mask)` scatters the gradient into the input (when the mask asks)
//! and always returns the grid's gradient, the bilinear weights'
//! derivatives times the unnormalisation's and the padding's. Coordinates
//! are computed in the input's precision (float for float32), as PyTorch's
//! CPU kernels do, so that floors and clips fall as theirs; float16 and
//! bfloat16 bilinear and nearest sampling round every operation to the
//! dtype, as PyTorch's vectorised kernel does ([`reduced`]); bicubic too.
//! Bicubic
//! sampling (mode 2) unnormalises the coordinate only, weighs the 4 × 4
//! pixels around it with Keys' cubic (`A = −¾`), pads each tap's integer
//! coordinate on its own (border clips, reflection reflects then clips)
//! and reads zero outside; its grid gradient is the weights' derivatives
//! times the unnormalisation's (no padding factor). 5-d grids are refused
//! (unsupported). 5-d inputs are sampled by `grid_sampler_3d` ([`volume`];
//! float16/bfloat16 coordinates as the scalar kernel computes them in
//! [`scalar_reduced`]);
//! a 5-d `size` makes a `(N, D, H, W, 3)` grid from `(x, y, z, 1)` and a
//! `(N, 3, 4)` theta.

mod reduced;
mod scalar_reduced;
mod volume;

use super::common::{bool_list, require_floating};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::reduction::linspace_values_as;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a spatial-transformer operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.affine_grid_generator.default" => affine_grid_generator,
        "aten.grid_sampler_2d.default" => grid_sampler_2d,
        "aten.grid_sampler_2d_backward.default" => grid_sampler_2d_backward,
        "aten.grid_sampler_3d.default" => volume::grid_sampler_3d,
        "aten.grid_sampler_3d_backward.default" => volume::grid_sampler_3d_backward,
        _ => return None,
    })
}

/// Rounds to float32 when the kernel computes in float.
fn prec(x: f64, single: bool) -> f64 {
    if single { x as f32 as f64 } else { x }
}

/// `linspace(-1, 1, steps)` as PyTorch's CPU kernel computes it (the
/// second half counted down from the end), scaled by `(steps − 1) / steps`
/// without `align_corners`.
pub(crate) fn linspace_from_neg_one(steps: usize, align_corners: bool, single: bool) -> Vec<f64> {
    let step = prec(2.0 / (steps.max(2) - 1) as f64, single);
    let halfway = steps / 2;
    (0..steps)
        .map(|i| {
            let v = if i < halfway {
                prec(-1.0 + prec(step * i as f64, single), single)
            } else {
                prec(1.0 - prec(step * (steps - i - 1) as f64, single), single)
            };
            if align_corners {
                v
            } else {
                prec(prec(v * (steps - 1) as f64, single) / steps as f64, single)
            }
        })
        .collect()
}

/// The base grid's coordinates for a float16/bfloat16 theta: PyTorch's
/// `linspace(-1, 1, steps)` in the dtype, then (without `align_corners`)
/// `· (steps − 1)` and `/ steps` as tensor operations, each rounded to the
/// dtype. `linspace_in_float` is the `linspace-reduced-as-float` fault.
fn reduced_linspace_from_neg_one(
    dtype: DType,
    steps: usize,
    align_corners: bool,
    linspace_in_float: bool,
) -> Vec<f64> {
    let r = |v: f64| cast_value(dtype, v as f32 as f64);
    linspace_values_as(dtype, -1.0, 1.0, steps, linspace_in_float)
        .into_iter()
        .map(|v| {
            let v = r(v);
            if align_corners {
                v
            } else {
                r(r(v * (steps - 1) as f64) / steps as f64)
            }
        })
        .collect()
}

/// `affine_grid_generator(theta, size, align_corners)` for a 4-d `size`
/// `(N, C, H, W)` (theta `(N, 2, 3)`, grid `(N, H, W, 2)`) or a 5-d one
/// `(N, C, D, H, W)` (theta `(N, 3, 4)`, grid `(N, D, H, W, 3)`).
pub(crate) fn affine_grid_generator(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let theta = a.tensor(0)?;
    ctx.check(theta, "theta")?;
    require_floating("affine_grid_generator", "theta", theta.dtype())?;
    let size = a.int_list(1)?;
    let align_corners = a.bool(2)?;
    // (N, D, H, W) with D = 1 for a 4-d size, and the grid's coordinates.
    let (n, d, h, w, coords) = match *size.as_slice() {
        [n, _, h, w] => (n, 1, h, w, 2),
        [n, _, d, h, w] => (n, d, h, w, 3),
        _ => {
            return Err(RuntimeError::unsupported(
                ctx.op,
                format!("an affine grid of size {size:?} (only 4-d and 5-d sizes)"),
            ));
        }
    };
    let spatial_ok = h > 1 && w > 1 && (coords == 2 || d > 1);
    if theta.shape() != [n, coords, coords + 1] || !spatial_ok {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "expected theta of shape [{n}, {coords}, {}] and a grid of at least 2 along each spatial axis, got theta {:?} and size {size:?}",
                coords + 1,
                theta.shape()
            ),
        ));
    }
    let (n, d, h, w, coords) = (
        n as usize,
        d as usize,
        h as usize,
        w as usize,
        coords as usize,
    );
    let single = theta.dtype() != DType::Float64;
    let reduced_base = matches!(theta.dtype(), DType::BFloat16 | DType::Float16);
    let mut shape = vec![n as i64];
    if coords == 3 {
        shape.push(d as i64);
    }
    shape.extend([h as i64, w as i64, coords as i64]);
    let out = ctx.output(&shape, &contiguous_strides(&shape), theta.dtype(), || {
        let th = theta.read_f64(ctx.op)?;
        let base = |steps: usize| {
            if reduced_base && !ctx.faults.grid_sample_reduced_in_float {
                reduced_linspace_from_neg_one(
                    theta.dtype(),
                    steps,
                    align_corners,
                    ctx.faults.linspace_reduced_as_float,
                )
            } else {
                linspace_from_neg_one(steps, align_corners, single)
            }
        };
        let xs = base(w);
        let ys = base(h);
        // A 4-d grid has no z: its base row is (x, y, 1).
        let zs = if coords == 3 { base(d) } else { vec![0.0] };
        let row_len = coords + 1;
        let mut out = Vec::with_capacity(n * d * h * w * coords);
        for b in 0..n {
            let t = &th[b * coords * row_len..(b + 1) * coords * row_len];
            // `base (D·H·W, coords + 1) @ thetaᵀ`, summed in order in the
            // kernel's precision.
            let dot = |base: &[f64], row: &[f64]| {
                let p = |v: f64| prec(v, single);
                let last = row_len - 1;
                let mut acc = p(base[0] * row[0]);
                for k in 1..last {
                    acc = p(acc + p(base[k] * row[k]));
                }
                p(acc + row[last])
            };
            for &z in &zs {
                for &y in &ys {
                    for &x in &xs {
                        let base: &[f64] = if coords == 3 { &[x, y, z] } else { &[x, y] };
                        for r in 0..coords {
                            out.push(dot(base, &t[r * row_len..(r + 1) * row_len]));
                        }
                    }
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// How a grid coordinate becomes a pixel position.
#[derive(Clone, Copy)]
struct Sampling {
    nearest: bool,
    /// Mode 2: Keys' cubic convolution (`A = −¾`) over the 4 × 4 pixels
    /// around the position, each tap's coordinate padded on its own.
    bicubic: bool,
    /// Keys' coefficient: −¾, or −½ under the `grid-sample-cubic-keys-half`
    /// fault.
    cubic_a: f64,
    /// 0 zeros, 1 border, 2 reflection.
    padding: i64,
    align_corners: bool,
    single: bool,
}

impl Sampling {
    fn of(ctx: &KernelCtx<'_>, a: &Args<'_>, at: usize, single: bool) -> Result<Sampling> {
        let flip = ctx.faults.grid_sample_flipped_align_corners;
        let (mode, padding) = (a.int(at)?, a.int(at + 1)?);
        if !(0..=2).contains(&mode) || !(0..=2).contains(&padding) {
            return Err(RuntimeError::unsupported(
                ctx.op,
                format!(
                    "grid sampling with interpolation mode {mode} and padding mode {padding} (bilinear, nearest and bicubic only)"
                ),
            ));
        }
        Ok(Sampling {
            nearest: mode == 1,
            bicubic: mode == 2,
            cubic_a: if ctx.faults.grid_sample_cubic_keys_half {
                -0.5
            } else {
                -0.75
            },
            padding,
            align_corners: a.bool(at + 2)? != flip,
            single,
        })
    }

    /// The pixel position of coordinate `c` along an axis of `size` and the
    /// derivative of that position with respect to `c`. Bicubic sampling
    /// only unnormalises here: it pads each tap's coordinate instead
    /// ([`Sampling::pad`]), and the grid's gradient carries no padding
    /// factor.
    fn source(&self, c: f64, size: usize) -> (f64, f64) {
        let p = |x: f64| prec(x, self.single);
        let size_f = size as f64;
        let (mut x, mut grad) = if self.align_corners {
            (
                p(p(p(c + 1.0) / 2.0) * (size_f - 1.0)),
                (size_f - 1.0) / 2.0,
            )
        } else {
            (p(p(p(c + 1.0) * size_f - 1.0) / 2.0), size_f / 2.0)
        };
        if self.bicubic {
            return (x, grad);
        }
        match self.padding {
            1 => {
                let (clipped, g) = clip(x, size_f);
                x = clipped;
                grad *= g;
            }
            2 => {
                let (reflected, g) = if self.align_corners {
                    reflect(x, 0.0, 2.0 * (size_f - 1.0), self.single)
                } else {
                    reflect(x, -1.0, 2.0 * size_f - 1.0, self.single)
                };
                let (clipped, gc) = clip(reflected, size_f);
                x = clipped;
                grad *= g * gc;
            }
            _ => {}
        }
        (x, grad)
    }
}

impl Sampling {
    /// PyTorch's `compute_coordinates`: a bicubic tap's integer coordinate
    /// clipped (border) or reflected and clipped (reflection), then
    /// truncated to an index.
    fn pad(&self, x: f64, size: usize) -> i64 {
        let size_f = size as f64;
        let padded = match self.padding {
            1 => clip(x, size_f).0,
            2 => {
                let (reflected, _) = if self.align_corners {
                    reflect(x, 0.0, 2.0 * (size_f - 1.0), self.single)
                } else {
                    reflect(x, -1.0, 2.0 * size_f - 1.0, self.single)
                };
                clip(reflected, size_f).0
            }
            _ => x,
        };
        padded as i64
    }
}

/// Keys' cubic convolution weights (coefficient `a`, −¾) of the four taps around a
/// fraction `t` (`get_cubic_upsample_coefficients`) and their derivatives
/// with respect to `t` (the negation of `get_cubic_coefficients_grad`).
fn cubic_weights(t: f64, a: f64, single: bool) -> ([f64; 4], [f64; 4]) {
    let p = |v: f64| prec(v, single);
    let near = |x: f64| p(p(p(p(p(a + 2.0) * x) - (a + 3.0)) * x) * x + 1.0);
    let far = |x: f64| p(p(p(p(p(a * x) - 5.0 * a) * x) + 8.0 * a) * x - 4.0 * a);
    let w = [far(p(t + 1.0)), near(t), near(p(1.0 - t)), far(p(2.0 - t))];
    let x0 = p(-1.0 - t);
    let x1 = -t;
    let x2 = p(1.0 - t);
    let x3 = p(2.0 - t);
    let g = [
        p(p(p(-3.0 * a * x0) - 10.0 * a) * x0) - 8.0 * a,
        p(p(-3.0 * (a + 2.0) * x1) - 2.0 * (a + 3.0)) * x1,
        p(p(3.0 * (a + 2.0) * x2) - 2.0 * (a + 3.0)) * x2,
        p(p(p(3.0 * a * x3) - 10.0 * a) * x3) + 8.0 * a,
    ];
    (w, g.map(|v| -p(v)))
}

/// `min(size − 1, max(x, 0))` and its derivative.
fn clip(x: f64, size: f64) -> (f64, f64) {
    if x <= 0.0 {
        (0.0, 0.0)
    } else if x >= size - 1.0 {
        (size - 1.0, 0.0)
    } else {
        (x, 1.0)
    }
}

/// PyTorch's `reflect_coordinates` between `twice_low / 2` and
/// `twice_high / 2`, with its derivative (±1).
fn reflect(x: f64, twice_low: f64, twice_high: f64, single: bool) -> (f64, f64) {
    if twice_low == twice_high {
        return (0.0, 0.0);
    }
    let p = |v: f64| prec(v, single);
    let min = twice_low / 2.0;
    let span = (twice_high - twice_low) / 2.0;
    let (mut sign, mut v) = (1.0, p(x - min));
    if v < 0.0 {
        sign = -1.0;
        v = -v;
    }
    let extra = p(v % span);
    let flips = (v / span).floor() as i64;
    if flips % 2 == 0 {
        (p(extra + min), sign)
    } else {
        (p(span - extra + min), -sign)
    }
}

/// Round half to even (`std::nearbyint` in the default rounding mode).
fn nearest_index(x: f64) -> i64 {
    let floor = x.floor();
    if x - floor == 0.5 {
        let f = floor as i64;
        if f.rem_euclid(2) == 0 { f } else { f + 1 }
    } else {
        x.round() as i64
    }
}

/// One output pixel's neighbours: (flat plane offset, weight) of those
/// inside the input, and the weights' derivatives with respect to the
/// pixel position `(x, y)` for every neighbour (inside or not).
struct Taps {
    /// `(offset, weight, d weight / dx, d weight / dy)`, inside only.
    inside: Vec<(usize, f64, f64, f64)>,
}

fn taps(s: &Sampling, x: f64, y: f64, h: usize, w: usize) -> Taps {
    let inside = |ix: i64, iy: i64| ix >= 0 && iy >= 0 && (ix as usize) < w && (iy as usize) < h;
    let mut out = Vec::with_capacity(4);
    if s.bicubic {
        let (x0, y0) = (x.floor(), y.floor());
        let (wx, gx) = cubic_weights(prec(x - x0, s.single), s.cubic_a, s.single);
        let (wy, gy) = cubic_weights(prec(y - y0, s.single), s.cubic_a, s.single);
        for j in 0..4 {
            let iy = s.pad(y0 - 1.0 + j as f64, h);
            for i in 0..4 {
                let ix = s.pad(x0 - 1.0 + i as f64, w);
                if inside(ix, iy) {
                    out.push((
                        iy as usize * w + ix as usize,
                        prec(wx[i] * wy[j], s.single),
                        gx[i] * wy[j],
                        wx[i] * gy[j],
                    ));
                }
            }
        }
        return Taps { inside: out };
    }
    if s.nearest {
        let (ix, iy) = (nearest_index(x), nearest_index(y));
        if inside(ix, iy) {
            out.push((iy as usize * w + ix as usize, 1.0, 0.0, 0.0));
        }
        return Taps { inside: out };
    }
    let p = |v: f64| prec(v, s.single);
    let (x0, y0) = (x.floor(), y.floor());
    let (x1, y1) = (x0 + 1.0, y0 + 1.0);
    // nw, ne, sw, se as PyTorch names them.
    let corners = [
        (x0, y0, p(p(x1 - x) * p(y1 - y)), -p(y1 - y), -p(x1 - x)),
        (x1, y0, p(p(x - x0) * p(y1 - y)), p(y1 - y), -p(x - x0)),
        (x0, y1, p(p(x1 - x) * p(y - y0)), -p(y - y0), p(x1 - x)),
        (x1, y1, p(p(x - x0) * p(y - y0)), p(y - y0), p(x - x0)),
    ];
    for (cx, cy, weight, dx, dy) in corners {
        let (ix, iy) = (cx as i64, cy as i64);
        if inside(ix, iy) {
            out.push((iy as usize * w + ix as usize, weight, dx, dy));
        }
    }
    Taps { inside: out }
}

/// Whether a sampling runs [`reduced`]'s per-operation float16/bfloat16
/// arithmetic (every mode), or,
/// under the `grid-sample-reduced-in-float` fault, float throughout.
fn reduced_per_op(dtype: DType, in_float: bool) -> bool {
    matches!(dtype, DType::BFloat16 | DType::Float16) && !in_float
}

/// The checked geometry of a grid sampling: `(N, C, H, W)` of the input and
/// `(H_out, W_out)` of the grid.
fn geometry(op: &str, input: &[i64], grid: &[i64]) -> Result<[usize; 6]> {
    match (input, grid) {
        (&[n, c, h, w], &[gn, ho, wo, 2]) if n == gn && h > 0 && w > 0 => Ok([
            n as usize,
            c as usize,
            h as usize,
            w as usize,
            ho as usize,
            wo as usize,
        ]),
        _ => Err(RuntimeError::shape(
            op,
            format!(
                "grid_sampler(): expected a 4-D input and a grid of shape (N, H_out, W_out, 2) with the same batch size, got input {input:?} and grid {grid:?}"
            ),
        )),
    }
}

/// `grid_sampler_2d(input, grid, interpolation_mode, padding_mode,
/// align_corners)`.
pub(crate) fn grid_sampler_2d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (input, grid) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(input, "input")?;
    ctx.check(grid, "grid")?;
    require_floating("grid_sampler_2d", "input", input.dtype())?;
    let s = Sampling::of(ctx, &a, 2, input.dtype() != DType::Float64)?;
    let [n, c, h, w, ho, wo] = geometry(ctx.op, input.shape(), grid.shape())?;
    let shape = [n as i64, c as i64, ho as i64, wo as i64];
    let dtype = input.dtype();
    let per_op = reduced_per_op(dtype, ctx.faults.grid_sample_reduced_in_float);
    let out = ctx.output(&shape, &contiguous_strides(&shape), input.dtype(), || {
        let (x, g) = (input.read_f64(ctx.op)?, grid.read_f64(ctx.op)?);
        if per_op {
            let geo = reduced::Geometry { n, c, h, w, ho, wo };
            return Ok(reduced::forward(&s, dtype, geo, &x, &g));
        }
        let mut out = vec![0.0; n * c * ho * wo];
        for b in 0..n {
            for pix in 0..ho * wo {
                let at = (b * ho * wo + pix) * 2;
                let (px, _) = s.source(g[at], w);
                let (py, _) = s.source(g[at + 1], h);
                let t = taps(&s, px, py, h, w);
                for ch in 0..c {
                    let plane = &x[(b * c + ch) * h * w..(b * c + ch + 1) * h * w];
                    out[(b * c + ch) * ho * wo + pix] =
                        t.inside.iter().map(|&(o, wt, _, _)| plane[o] * wt).sum();
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// `grid_sampler_2d_backward(grad_output, input, grid, interpolation_mode,
/// padding_mode, align_corners, output_mask)` -> `(grad_input or None,
/// grad_grid)`.
pub(crate) fn grid_sampler_2d_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (gout, input, grid) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    for (t, name) in [(gout, "grad_output"), (input, "input"), (grid, "grid")] {
        ctx.check(t, name)?;
    }
    let s = Sampling::of(ctx, &a, 3, input.dtype() != DType::Float64)?;
    let mask = bool_list(&a, 6)?;
    let [n, c, h, w, ho, wo] = geometry(ctx.op, input.shape(), grid.shape())?;
    if gout.shape() != [n as i64, c as i64, ho as i64, wo as i64] {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of shape {:?} does not match the sampled output",
                gout.shape()
            ),
        ));
    }
    let dtype = input.dtype();
    let per_op = reduced_per_op(dtype, ctx.faults.grid_sample_reduced_in_float);
    let geo = reduced::Geometry { n, c, h, w, ho, wo };
    let steps = reduced::chunks(geo, grid.stride(), reduced::LANES);
    let input_grad = mask.first().copied().unwrap_or(false);
    // Both gradients from one pass: (grad_input, grad_grid).
    let compute = || -> Result<(Vec<f64>, Vec<f64>)> {
        let (x, g, go) = (
            input.read_f64(ctx.op)?,
            grid.read_f64(ctx.op)?,
            gout.read_f64(ctx.op)?,
        );
        if per_op {
            return Ok(reduced::backward(
                &s, dtype, geo, &steps, &go, &x, &g, input_grad,
            ));
        }
        let mut gin = vec![0.0; n * c * h * w];
        let mut ggrid = vec![0.0; n * ho * wo * 2];
        for b in 0..n {
            for pix in 0..ho * wo {
                let at = (b * ho * wo + pix) * 2;
                let (px, gx_mult) = s.source(g[at], w);
                let (py, gy_mult) = s.source(g[at + 1], h);
                let t = taps(&s, px, py, h, w);
                let (mut gx, mut gy) = (0.0, 0.0);
                for ch in 0..c {
                    let base = (b * c + ch) * h * w;
                    let d = go[(b * c + ch) * ho * wo + pix];
                    for &(o, wt, dx, dy) in &t.inside {
                        gin[base + o] += wt * d;
                        gx += x[base + o] * dx * d;
                        gy += x[base + o] * dy * d;
                    }
                }
                ggrid[at] = gx_mult * gx;
                ggrid[at + 1] = gy_mult * gy;
            }
        }
        Ok((gin, ggrid))
    };
    let grad_input = if input_grad {
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

    fn sampling(padding: i64, align_corners: bool) -> Sampling {
        Sampling {
            nearest: false,
            bicubic: false,
            cubic_a: -0.75,
            padding,
            align_corners,
            single: false,
        }
    }

    #[test]
    fn coordinates_unnormalise_then_clip_or_reflect() {
        // Without align_corners -1 and 1 are the outer edges of the border
        // pixels: -0.5 and size - 0.5.
        assert_eq!(sampling(0, false).source(-1.0, 4), (-0.5, 2.0));
        assert_eq!(sampling(0, true).source(1.0, 4), (3.0, 1.5));
        // Border clips with a zero derivative outside.
        assert_eq!(sampling(1, false).source(-1.0, 4), (0.0, 0.0));
        // Reflection about -0.5 (twice_low -1): -0.75 -> -0.25 -> clipped 0.
        let (x, g) = sampling(2, false).source(-1.0 - 0.25 / 2.0, 4);
        assert_eq!((x, g), (0.0, 0.0));
        // 4.25 reflects about 3.5 to 2.75, derivative flipped.
        let (x, g) = sampling(2, false).source(2.0 * 4.25 / 4.0 + 0.25 - 1.0, 4);
        assert!((x - 2.75).abs() < 1e-12, "{x}");
        assert_eq!(g, -2.0);
    }

    #[test]
    fn nearest_rounds_half_to_even_and_linspace_counts_down_its_second_half() {
        assert_eq!(
            [0.5, 1.5, 2.5, -0.5, 2.4].map(nearest_index),
            [0, 2, 2, 0, 2]
        );
        // Counting the second half down from 1 keeps float32 linspace
        // symmetric (counting up would give 0.33333337 for the third).
        let xs = linspace_from_neg_one(4, true, true);
        assert_eq!((xs[0], xs[3]), (-1.0, 1.0));
        assert_eq!(xs[2], -xs[1]);
        let shrunk = linspace_from_neg_one(4, false, false);
        assert!((shrunk[0] + 0.75).abs() < 1e-12 && (shrunk[3] - 0.75).abs() < 1e-12);
    }

    #[test]
    fn cubic_weights_sum_to_one_and_their_derivatives_to_zero() {
        // t = ½: Keys' A = −¾ gives −0.09375, 0.59375, 0.59375, −0.09375.
        let (w, g) = cubic_weights(0.5, -0.75, false);
        assert_eq!(w, [-0.09375, 0.59375, 0.59375, -0.09375]);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Symmetric about ½: d/dt of the outer pair cancel, of the inner too.
        assert!(g.iter().sum::<f64>().abs() < 1e-12, "{g:?}");
        // t = 0: the tap at the position has weight 1, its slope 0.
        let (w0, g0) = cubic_weights(0.0, -0.75, false);
        assert_eq!(w0, [0.0, 1.0, 0.0, 0.0]);
        assert_eq!(g0[1], 0.0);
    }

    #[test]
    fn bicubic_taps_pad_each_coordinate_on_its_own() {
        // Border padding at the top-left corner of a 3 × 3 input: the 16
        // taps fold onto the pixels they clip to, all inside.
        let s = Sampling {
            bicubic: true,
            ..sampling(1, false)
        };
        let t = taps(&s, 0.25, 0.25, 3, 3);
        assert_eq!(t.inside.len(), 16);
        let total: f64 = t.inside.iter().map(|&(_, w, _, _)| w).sum();
        assert!((total - 1.0).abs() < 1e-12);
        // Zero padding drops the taps left of and above the input.
        let z = Sampling {
            bicubic: true,
            ..sampling(0, false)
        };
        assert_eq!(taps(&z, 0.25, 0.25, 3, 3).inside.len(), 9);
    }

    #[test]
    fn bilinear_taps_weigh_the_four_neighbours_and_drop_outside_ones() {
        let s = sampling(0, false);
        let t = taps(&s, 0.25, 0.5, 2, 2);
        let weights: Vec<f64> = t.inside.iter().map(|&(_, w, _, _)| w).collect();
        assert_eq!(weights, vec![0.375, 0.125, 0.375, 0.125]);
        // Left of the first column: only the two right-hand neighbours.
        let edge = taps(&s, -0.5, 0.0, 2, 2);
        assert_eq!(edge.inside.len(), 2);
    }
}
