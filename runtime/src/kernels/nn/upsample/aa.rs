//! Antialiased resampling (`F.interpolate(..., antialias=True)`, what
//! torchvision's tensor `Resize` runs by default): `_upsample_bilinear2d_aa`
//! and `_upsample_bicubic2d_aa` with their backward kernels, as ATen's CPU
//! kernels compute them in float32 and float64.
//!
//! Per axis, output index `i` reads the input elements of a window around
//! its centre `scale · (i + ½)`: the support is `interp_size / 2` (2 for
//! linear, 4 for cubic taps), widened by `scale` when downsampling
//! (`scale ≥ 1`), and the filter (triangle, or Keys' cubic with `A = −½`
//! as PIL uses) is evaluated at `(j + xmin − centre + ½) / scale` and
//! normalised by its sum (`_compute_indices_min_size_weights_aa`). The
//! forward resamples the width first, then the height, each pass rounded
//! to the dtype and skipped when that size is unchanged
//! (`separable_upsample_generic_Nd_kernel_impl`); the backward adds
//! `grad · wy · wx` into a zeroed input gradient in output order
//! (`cpu_upsample_genNd_backward_aa`). Every step rounds in the kernel's
//! precision (float for float32). A uint8 image resamples in integers
//! (`uint8.rs`) over the same geometry.

use super::super::conv::{is_channels_last, strides_like};
use super::uint8::{ByteAxis, ByteResample};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::dtype::DType;

/// The kernel of `op` if it is an antialiased resampling operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._upsample_bilinear2d_aa.default" => bilinear_aa,
        "aten._upsample_bilinear2d_aa_backward.default" => bilinear_aa_backward,
        "aten._upsample_bicubic2d_aa.default" => bicubic_aa,
        "aten._upsample_bicubic2d_aa_backward.default" => bicubic_aa_backward,
        _ => return None,
    })
}

/// The separable filter: PyTorch's `HelperInterpLinear` or
/// `HelperInterpCubic` antialias filter.
#[derive(Clone, Copy, Debug)]
pub(super) enum Filter {
    Triangle,
    /// Keys' cubic convolution with coefficient `a` (−½).
    Cubic {
        a: f64,
    },
}

impl Filter {
    /// `interp_size`: the taps of the filter at scale 1.
    pub(super) fn interp_size(self) -> f64 {
        match self {
            Filter::Triangle => 2.0,
            Filter::Cubic { .. } => 4.0,
        }
    }

    /// `aa_filter(x)` in the kernel's precision.
    pub(super) fn eval(self, x: f64, single: bool) -> f64 {
        let p = |v: f64| prec(v, single);
        let x = x.abs();
        match self {
            Filter::Triangle => {
                if x < 1.0 {
                    p(1.0 - x)
                } else {
                    0.0
                }
            }
            Filter::Cubic { a } => {
                if x < 1.0 {
                    // ((A + 2) x − (A + 3)) x x + 1
                    let t = p(p(p(a + 2.0) * x) - p(a + 3.0));
                    p(p(p(t * x) * x) + 1.0)
                } else if x < 2.0 {
                    // ((A x − 5A) x + 8A) x − 4A
                    let t = p(p(a * x) - p(5.0 * a));
                    let t = p(p(t * x) + p(8.0 * a));
                    p(p(t * x) - p(4.0 * a))
                } else {
                    0.0
                }
            }
        }
    }
}

/// Rounds to float32 when the kernel computes in float.
fn prec(x: f64, single: bool) -> f64 {
    if single { x as f32 as f64 } else { x }
}

/// One resampled axis: input and output sizes and the caller's scale factor.
#[derive(Clone, Copy, Debug)]
struct Axis {
    input: usize,
    output: usize,
    scale: Option<f64>,
}

impl Axis {
    /// The same axis for the uint8 kernel.
    fn bytes(self) -> ByteAxis {
        ByteAxis {
            input: self.input,
            output: self.output,
            scale: self.scale,
        }
    }

    /// `area_pixel_compute_scale`.
    fn scale(&self, align_corners: bool, single: bool) -> f64 {
        if align_corners {
            if self.output > 1 {
                prec(
                    (self.input as f64 - 1.0) / (self.output as f64 - 1.0),
                    single,
                )
            } else {
                0.0
            }
        } else {
            match self.scale {
                Some(s) if s > 0.0 => prec(1.0 / s, single),
                _ => prec(self.input as f64 / self.output as f64, single),
            }
        }
    }

    /// Per output index, the first input index and the normalised weights
    /// of the window (`_compute_indices_min_size_weights_aa`).
    fn windows(&self, filter: Filter, align_corners: bool, single: bool) -> Vec<(usize, Vec<f64>)> {
        let p = |v: f64| prec(v, single);
        let scale = self.scale(align_corners, single);
        let half = filter.interp_size() * 0.5;
        let support = if scale >= 1.0 {
            p(half * scale)
        } else {
            p(half)
        };
        let max_size = (support.ceil() as i64) * 2 + 1;
        let invscale = if scale >= 1.0 { p(1.0 / scale) } else { 1.0 };
        let input = self.input as i64;
        (0..self.output)
            .map(|i| {
                let center = p(scale * (i as f64 + 0.5));
                let xmin = ((p(center - support) + 0.5) as i64).max(0);
                let xsize =
                    (((p(center + support) + 0.5) as i64).min(input) - xmin).clamp(0, max_size);
                let mut weights: Vec<f64> = (0..xsize)
                    .map(|j| {
                        let d = p((j + xmin) as f64 - center);
                        filter.eval(p((d + 0.5) * invscale), single)
                    })
                    .collect();
                let total = weights.iter().fold(0.0, |acc, &w| p(acc + w));
                if total != 0.0 {
                    for w in &mut weights {
                        *w = p(*w / total);
                    }
                }
                (xmin.max(0) as usize, weights)
            })
            .collect()
    }
}

/// A call's geometry: `planes` (batch × channels) planes of
/// `height × width`, resampled along both axes.
struct Resample {
    planes: usize,
    height: Axis,
    width: Axis,
    filter: Filter,
    align_corners: bool,
    single: bool,
}

impl Resample {
    /// One pass along the last axis of `(rows, axis.input)` data (`stride`
    /// 1) or along the middle axis of `(planes, axis.input, inner)` data.
    fn pass(&self, x: &[f64], outer: usize, axis: Axis, inner: usize) -> Vec<f64> {
        let windows = axis.windows(self.filter, self.align_corners, self.single);
        let mut out = Vec::with_capacity(outer * axis.output * inner);
        for o in 0..outer {
            let base = o * axis.input * inner;
            for (xmin, weights) in &windows {
                for k in 0..inner {
                    let at =
                        |j: usize| x.get(base + (xmin + j) * inner + k).copied().unwrap_or(0.0);
                    let mut acc = 0.0;
                    for (j, &w) in weights.iter().enumerate() {
                        let term = prec(at(j) * w, self.single);
                        acc = if j == 0 {
                            term
                        } else {
                            prec(acc + term, self.single)
                        };
                    }
                    out.push(acc);
                }
            }
        }
        out
    }

    /// Width first, then height; an axis whose size is unchanged is skipped.
    fn forward(&self, x: &[f64]) -> Vec<f64> {
        let (h, w) = (self.height, self.width);
        let mut data = x.to_vec();
        if w.input != w.output {
            data = self.pass(&data, self.planes * h.input, w, 1);
        }
        if h.input != h.output {
            data = self.pass(&data, self.planes, h, w.output);
        }
        data
    }

    /// `grad_input[c, ymin + y, xmin + x] += grad[c, oh, ow] · wy[y] · wx[x]`
    /// in output order, both axes weighted.
    fn backward(&self, g: &[f64]) -> Vec<f64> {
        let (h, w) = (self.height, self.width);
        let wy = h.windows(self.filter, self.align_corners, self.single);
        let wx = w.windows(self.filter, self.align_corners, self.single);
        let plane_in = h.input * w.input;
        let plane_out = h.output * w.output;
        let mut dx = vec![0.0; self.planes * plane_in];
        for c in 0..self.planes {
            for (oh, (ymin, ys)) in wy.iter().enumerate() {
                for (ow, (xmin, xs)) in wx.iter().enumerate() {
                    let go = g
                        .get(c * plane_out + oh * w.output + ow)
                        .copied()
                        .unwrap_or(0.0);
                    for (y, &wyv) in ys.iter().enumerate() {
                        let gy = prec(go * wyv, self.single);
                        for (x, &wxv) in xs.iter().enumerate() {
                            let at = c * plane_in + (ymin + y) * w.input + xmin + x;
                            if let Some(slot) = dx.get_mut(at) {
                                *slot = prec(*slot + prec(gy * wxv, self.single), self.single);
                            }
                        }
                    }
                }
            }
        }
        dx
    }
}

fn opt_float(a: &Args<'_>, i: usize) -> Option<f64> {
    match a.values.get(i) {
        Some(IValue::Float(v)) => Some(*v),
        Some(IValue::Int(v)) => Some(*v as f64),
        _ => None,
    }
}

/// The geometry of a call on an input of `shape` (`(N, C, H, W)`): output
/// sizes are argument 1, `align_corners` and the two scales follow at
/// `align_at`.
fn plan(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    shape: &[i64],
    dtype: DType,
    filter: Filter,
    align_at: usize,
) -> Result<Resample> {
    let sizes = a.int_list(1)?;
    if sizes.len() != 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "It is expected output_size equals to 2, but got size {}",
                sizes.len()
            ),
        ));
    }
    if shape.len() != 4 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "It is expected input_size equals to 4, but got size {}",
                shape.len()
            ),
        ));
    }
    if sizes.iter().chain(&shape[2..]).any(|&s| s <= 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Input and output sizes should be greater than 0, but got input (H: {}, W: {}) \
                 output (H: {}, W: {})",
                shape[2], shape[3], sizes[0], sizes[1]
            ),
        ));
    }
    let single = match dtype {
        DType::Float32 => true,
        DType::Float16 | DType::BFloat16 if ctx.faults.antialias_reduced_float => true,
        // uint8 resamples in integers (`uint8.rs`); the geometry is shared.
        DType::Float64 | DType::UInt8 => false,
        // PyTorch computes the weights in the input's dtype and dispatches
        // float32, float64 and uint8 only.
        other => {
            return Err(RuntimeError::KernelDtype {
                op: ctx.op.to_owned(),
                message: format!(
                    "\"compute_index_ranges_weights\" not implemented for '{}'",
                    other.scalar_type_name()
                ),
            });
        }
    };
    let filter = if ctx.faults.antialias_cubic_keys_a {
        match filter {
            Filter::Cubic { .. } => Filter::Cubic { a: -0.75 },
            f => f,
        }
    } else {
        filter
    };
    Ok(Resample {
        planes: (shape[0].max(0) * shape[1].max(0)) as usize,
        height: Axis {
            input: shape[2] as usize,
            output: sizes[0] as usize,
            scale: opt_float(a, align_at + 1),
        },
        width: Axis {
            input: shape[3] as usize,
            output: sizes[1] as usize,
            scale: opt_float(a, align_at + 2),
        },
        filter,
        align_corners: a.bool(align_at)?,
        single,
    })
}

fn forward(ctx: &mut KernelCtx<'_>, a: &Args<'_>, filter: Filter) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let r = plan(ctx, a, x.shape(), x.dtype(), filter, 2)?;
    let shape = vec![
        x.shape()[0],
        x.shape()[1],
        r.height.output as i64,
        r.width.output as i64,
    ];
    let bytes = (x.dtype() == DType::UInt8).then(|| ByteResample {
        planes: r.planes,
        height: r.height.bytes(),
        width: r.width.bytes(),
        filter: r.filter,
        align_corners: r.align_corners,
        antialias: true,
        truncate: ctx.faults.resample_u8_truncates,
    });
    if let Some(b) = &bytes {
        b.check_supported(ctx.op, x.shape()[1])?;
    }
    let out = ctx.output(
        &shape,
        &strides_like(&shape, is_channels_last(x)),
        x.dtype(),
        || {
            let values = x.read_f64(ctx.op)?;
            Ok(match &bytes {
                Some(b) => b.forward(&values),
                None => r.forward(&values),
            })
        },
    )?;
    Ok(vec![out.into()])
}

fn backward(ctx: &mut KernelCtx<'_>, a: &Args<'_>, filter: Filter) -> Result<Vec<IValue>> {
    let g = a.tensor(0)?;
    ctx.check(g, "grad_output")?;
    if !matches!(g.dtype(), DType::Float32 | DType::Float64) {
        let name = match filter {
            Filter::Triangle => "upsample_bilinear2d_aa_backward_cpu",
            Filter::Cubic { .. } => "upsample_bicubic2d_aa_backward_cpu",
        };
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"{name}\" not implemented for '{}'",
                g.dtype().scalar_type_name()
            ),
        });
    }
    let input = a.int_list(2)?;
    let r = plan(ctx, a, &input, g.dtype(), filter, 3)?;
    let expected = [
        input[0],
        input[1],
        r.height.output as i64,
        r.width.output as i64,
    ];
    if g.shape() != expected {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of size {:?} does not match the resampled size {expected:?}",
                g.shape()
            ),
        ));
    }
    let out = ctx.output(
        &input,
        &strides_like(&input, is_channels_last(g)),
        g.dtype(),
        || Ok(r.backward(&g.read_f64(ctx.op)?)),
    )?;
    Ok(vec![out.into()])
}

const CUBIC: Filter = Filter::Cubic { a: -0.5 };

/// `_upsample_bilinear2d_aa(self, output_size, align_corners, scales_h,
/// scales_w)`.
pub(crate) fn bilinear_aa(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    forward(ctx, &a, Filter::Triangle)
}

/// `_upsample_bilinear2d_aa_backward(grad_output, output_size, input_size,
/// align_corners, scales_h, scales_w)`.
pub(crate) fn bilinear_aa_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    backward(ctx, &a, Filter::Triangle)
}

/// `_upsample_bicubic2d_aa(self, output_size, align_corners, scales_h,
/// scales_w)`.
pub(crate) fn bicubic_aa(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    forward(ctx, &a, CUBIC)
}

/// `_upsample_bicubic2d_aa_backward(grad_output, output_size, input_size,
/// align_corners, scales_h, scales_w)`.
pub(crate) fn bicubic_aa_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    backward(ctx, &a, CUBIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_windows_widen_and_sum_to_one() {
        // 16 -> 8 with the triangle: scale 2, support 2, centre 2i + 1.
        let axis = Axis {
            input: 16,
            output: 8,
            scale: None,
        };
        let w = axis.windows(Filter::Triangle, false, true);
        assert_eq!(w[0].0, 0);
        assert_eq!(w[0].1.len(), 3);
        // (x − 1 + ½)/2 for x = 0, 1, 2: triangle weights ¾, ¾, ¼ over 1.75.
        assert!((w[0].1[0] - 0.75 / 1.75).abs() < 1e-7);
        for (_, ws) in &w {
            let s: f64 = ws.iter().sum();
            assert!((s - 1.0).abs() < 1e-6, "{ws:?}");
        }
    }

    #[test]
    fn an_unchanged_axis_passes_values_through() {
        let r = Resample {
            planes: 1,
            height: Axis {
                input: 2,
                output: 2,
                scale: None,
            },
            width: Axis {
                input: 3,
                output: 3,
                scale: None,
            },
            filter: CUBIC,
            align_corners: false,
            single: true,
        };
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(r.forward(&x), x.to_vec());
        // The backward still weighs both axes: identity at scale 1.
        assert_eq!(r.backward(&x), x.to_vec());
    }
}
