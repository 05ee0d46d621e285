//! Upsampling (`F.interpolate`): `upsample_nearest{1,2,3}d`,
//! `upsample_linear1d`, `upsample_bilinear2d`, `upsample_trilinear3d`,
//! `upsample_bicubic2d` with their backward kernels; the antialiased
//! `_upsample_bilinear2d_aa` / `_upsample_bicubic2d_aa` are in [`aa`].
//!
//! Every output element is a weighted sum of at most 2^k input elements of
//! its plane (k spatial axes); backward adds the output gradient into the
//! same elements with the same weights (nearest backward of float32,
//! bfloat16 and float16 in float, one output gradient at a time in output
//! order, as PyTorch's kernels accumulate). Source positions follow PyTorch's
//! CPU kernels, per axis: the scale is `1 / scales_x` when given, else
//! `in / out` (linear with `align_corners`: `(in - 1) / (out - 1)`);
//! nearest reads `min(floor(dst · scale), in − 1)` (nearest-exact:
//! `min(floor((dst + ½) · scale), in − 1)`); linear reads
//! `max(scale · (dst + ½) − ½, 0)` (or `scale · dst` with `align_corners`)
//! and interpolates between its floor and the next element; bicubic reads
//! `scale · (dst + ½) − ½` unclamped (or `scale · dst`), takes the four
//! elements around its floor (indices clamped to the edge) with Keys'
//! cubic convolution weights (`A = −0.75`) of the fraction. Positions and
//! weights are computed in the kernels' precision (float for the reduced
//! and single floating types, double for float64), so that boundary cases
//! round as PyTorch's do; a bfloat16 or float16 bicubic forward stores
//! each axis's weights in the tensor's dtype before applying them, as
//! PyTorch's generic kernel does. A bicubic backward's result is
//! contiguous whatever the gradient's format. Bilinear and bicubic resampling of uint8 images
//! is integer arithmetic of its own ([`uint8`]); linear modes of bfloat16
//! and float16 tensors round as PyTorch's float kernels do
//! ([`reduced_linear`]).

mod aa;
mod reduced_linear;
mod uint8;

use super::conv::{is_channels_last, strides_like};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;

/// The kernel of `op` if it is an upsampling operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.upsample_nearest1d.default"
        | "aten.upsample_nearest2d.default"
        | "aten.upsample_nearest3d.default" => upsample_nearest,
        "aten.upsample_nearest1d_backward.default"
        | "aten.upsample_nearest2d_backward.default"
        | "aten.upsample_nearest3d_backward.default" => upsample_nearest_backward,
        "aten._upsample_nearest_exact1d.default"
        | "aten._upsample_nearest_exact2d.default"
        | "aten._upsample_nearest_exact3d.default" => upsample_nearest_exact,
        "aten._upsample_nearest_exact1d_backward.default"
        | "aten._upsample_nearest_exact2d_backward.default"
        | "aten._upsample_nearest_exact3d_backward.default" => upsample_nearest_exact_backward,
        "aten.upsample_linear1d.default"
        | "aten.upsample_bilinear2d.default"
        | "aten.upsample_trilinear3d.default" => upsample_linear,
        "aten.upsample_linear1d_backward.default"
        | "aten.upsample_bilinear2d_backward.default"
        | "aten.upsample_trilinear3d_backward.default" => upsample_linear_backward,
        "aten.upsample_bicubic2d.default" => upsample_bicubic,
        "aten.upsample_bicubic2d_backward.default" => upsample_bicubic_backward,
        _ => return aa::lookup(op),
    })
}

/// How output positions map to input positions.
#[derive(Clone, Copy, Debug)]
enum Interp {
    Nearest,
    /// `mode="nearest-exact"`: the source pixel whose centre is nearest.
    NearestExact,
    Bilinear {
        align_corners: bool,
    },
    /// Keys' cubic convolution with coefficient `a`.
    Bicubic {
        align_corners: bool,
        a: f64,
    },
}

/// PyTorch's cubic convolution coefficient `A`.
const CUBIC_A: f64 = -0.75;

/// The bicubic interpolation of a call (`A = −0.5` under the
/// `bicubic-wrong-a` fault).
fn bicubic(ctx: &KernelCtx<'_>, align_corners: bool) -> Interp {
    Interp::Bicubic {
        align_corners,
        a: if ctx.faults.bicubic_wrong_a {
            -0.5
        } else {
            CUBIC_A
        },
    }
}

/// Keys' kernel for `|x| ≤ 1`.
fn cubic_near(x: f64, a: f64) -> f64 {
    ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
}

/// Keys' kernel for `1 < |x| < 2`.
fn cubic_far(x: f64, a: f64) -> f64 {
    ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
}

/// One spatial dimension: input and output sizes and the optional scale
/// factor the caller gave.
#[derive(Clone, Copy, Debug)]
struct Axis {
    input: usize,
    output: usize,
    scale: Option<f64>,
}

/// Rounds to float32 when the kernel computes in float.
fn prec(x: f64, single: bool) -> f64 {
    if single { x as f32 as f64 } else { x }
}

impl Axis {
    /// PyTorch's `compute_scales_value`: `1 / scale` when given and
    /// positive, else `in / out`.
    fn ratio(&self, single: bool) -> f64 {
        match self.scale {
            Some(s) if s > 0.0 => prec(1.0 / s, single),
            _ => prec(self.input as f64 / self.output.max(1) as f64, single),
        }
    }

    /// PyTorch's `area_pixel_compute_source_index` before linear's clamp
    /// at zero: `scale · dst` with `align_corners` (scale `(in − 1) / (out
    /// − 1)`), else `scale · (dst + ½) − ½`.
    fn source(&self, align_corners: bool, dst: usize, single: bool) -> f64 {
        if align_corners {
            let scale = if self.output > 1 {
                prec(
                    self.input.saturating_sub(1) as f64 / (self.output - 1) as f64,
                    single,
                )
            } else {
                0.0
            };
            prec(scale * dst as f64, single)
        } else {
            let scale = self.ratio(single);
            prec(prec(scale * (dst as f64 + 0.5), single) - 0.5, single)
        }
    }

    /// The (input index, weight) pairs output index `dst` reads.
    fn taps(&self, interp: Interp, dst: usize, single: bool) -> Vec<(usize, f64)> {
        let last = self.input.saturating_sub(1);
        match interp {
            Interp::Nearest => {
                let src = if self.output == self.input {
                    dst
                } else if self.output == 2 * self.input {
                    dst >> 1
                } else {
                    (prec(dst as f64 * self.ratio(single), single).floor() as usize).min(last)
                };
                vec![(src, 1.0)]
            }
            Interp::NearestExact => {
                // PyTorch's `nearest_neighbor_exact_compute_source_index`:
                // `floorf((dst + 0.5) * scale)` with a float scale, the
                // product taken in double and rounded to float; no shortcut
                // for equal or doubled sizes.
                let scale = self.ratio(true);
                let real = ((dst as f64 + 0.5) * scale) as f32;
                vec![((real.floor() as usize).min(last), 1.0)]
            }
            Interp::Bilinear { align_corners } => {
                let real = self.source(align_corners, dst, single);
                let real = if align_corners { real } else { real.max(0.0) };
                let i0 = (real.floor() as usize).min(last);
                let lambda1 = prec(real - i0 as f64, single).clamp(0.0, 1.0);
                let lambda0 = prec(1.0 - lambda1, single);
                let i1 = if i0 < last { i0 + 1 } else { i0 };
                vec![(i0, lambda0), (i1, lambda1)]
            }
            Interp::Bicubic { align_corners, a } => {
                let real = self.source(align_corners, dst, single);
                let floor = real.floor();
                let t = prec(real - floor, single);
                let weights = [
                    cubic_far(t + 1.0, a),
                    cubic_near(t, a),
                    cubic_near(1.0 - t, a),
                    cubic_far(2.0 - t, a),
                ];
                let base = floor as i64 - 1;
                weights
                    .iter()
                    .enumerate()
                    .map(|(k, &w)| {
                        let index = (base + k as i64).clamp(0, last as i64) as usize;
                        (index, prec(w, single))
                    })
                    .collect()
            }
        }
    }
}

/// The upsampling of one call: planes, the spatial axes, how to
/// interpolate.
struct Upsample {
    planes: usize,
    axes: Vec<Axis>,
    interp: Interp,
    single: bool,
    /// The dtype each axis's weights are stored in before they are
    /// applied, when it is coarser than the kernel's float arithmetic: a
    /// bfloat16 or float16 bicubic forward (PyTorch's generic upsampling
    /// kernel keeps the per-axis weights in the tensor's own dtype).
    stored_weights: Option<DType>,
}

impl Upsample {
    /// Input elements per plane.
    fn plane(&self) -> usize {
        self.axes.iter().map(|a| a.input).product()
    }

    /// For every output element of a plane (row-major), the input offsets
    /// within the plane and their weights (products taken outermost axis
    /// first, each rounded in the kernel's precision).
    fn taps(&self) -> Vec<Vec<(usize, f64)>> {
        let mut out: Vec<Vec<(usize, f64)>> = vec![vec![(0, 1.0)]];
        for (k, axis) in self.axes.iter().enumerate() {
            let per_index: Vec<_> = (0..axis.output)
                .map(|d| {
                    let taps = axis.taps(self.interp, d, self.single);
                    match self.stored_weights {
                        Some(dtype) => taps
                            .into_iter()
                            .map(|(i, w)| (i, cast_value(dtype, w)))
                            .collect(),
                        None => taps,
                    }
                })
                .collect();
            out = out
                .iter()
                .flat_map(|prefix| {
                    per_index.iter().map(move |taps| {
                        prefix
                            .iter()
                            .flat_map(|&(o, w)| {
                                taps.iter().map(move |&(i, wi)| {
                                    let weight = if k == 0 {
                                        wi
                                    } else {
                                        prec(w * wi, self.single)
                                    };
                                    (o * axis.input + i, weight)
                                })
                            })
                            .collect()
                    })
                })
                .collect();
        }
        out
    }

    fn forward(&self, x: &[f64]) -> Vec<f64> {
        let taps = self.taps();
        let plane = self.plane();
        let mut out = Vec::with_capacity(self.planes * taps.len());
        for p in x.chunks(plane.max(1)).take(self.planes) {
            for t in &taps {
                out.push(
                    t.iter()
                        .map(|&(i, w)| w * p.get(i).copied().unwrap_or(0.0))
                        .sum(),
                );
            }
        }
        out
    }

    fn backward(&self, g: &[f64]) -> Vec<f64> {
        let taps = self.taps();
        let plane = self.plane();
        let mut dx = vec![0.0; self.planes * plane];
        for (k, &d) in g.iter().enumerate() {
            let (p, o) = (k / taps.len().max(1), k % taps.len().max(1));
            for &(i, w) in &taps[o] {
                if let Some(slot) = dx.get_mut(p * plane + i) {
                    *slot += w * d;
                }
            }
        }
        dx
    }

    /// Nearest backward as PyTorch's float kernels run it for float32,
    /// bfloat16 and float16: each input element's gradient accumulates the
    /// output gradients that read it, in output order, in float (for
    /// float32 in the result itself, for the reduced types in a float
    /// buffer rounded once at the end).
    fn nearest_backward_in_float(&self, g: &[f64]) -> Vec<f64> {
        let taps = self.taps();
        let plane = self.plane();
        let mut dx = vec![0.0f32; self.planes * plane];
        for (k, &d) in g.iter().enumerate() {
            let (p, o) = (k / taps.len().max(1), k % taps.len().max(1));
            for &(i, _) in &taps[o] {
                if let Some(slot) = dx.get_mut(p * plane + i) {
                    *slot += d as f32;
                }
            }
        }
        dx.into_iter().map(f64::from).collect()
    }

    /// The integer resample of a uint8 input: bilinear and bicubic of
    /// images (`upsample_bilinear2d`, `upsample_bicubic2d`) as PyTorch's
    /// uint8 kernel computes them; linear and trilinear are refused as
    /// PyTorch refuses them (`"compute_indices_weights_linear" not
    /// implemented for 'Byte'`); nearest copies bytes (`None`).
    fn bytes(&self, ctx: &KernelCtx<'_>) -> Result<Option<uint8::ByteResample>> {
        let (filter, align_corners) = match self.interp {
            Interp::Nearest | Interp::NearestExact => return Ok(None),
            Interp::Bilinear { align_corners } => (aa::Filter::Triangle, align_corners),
            Interp::Bicubic { align_corners, a } => (aa::Filter::Cubic { a }, align_corners),
        };
        if self.axes.len() != 2 {
            return Err(RuntimeError::KernelDtype {
                op: ctx.op.to_owned(),
                message: "\"compute_indices_weights_linear\" not implemented for 'Byte'".into(),
            });
        }
        let axis = |k: usize| uint8::ByteAxis {
            input: self.axes[k].input,
            output: self.axes[k].output,
            scale: self.axes[k].scale,
        };
        Ok(Some(uint8::ByteResample {
            planes: self.planes,
            height: axis(0),
            width: axis(1),
            filter,
            align_corners,
            antialias: false,
            truncate: ctx.faults.resample_u8_truncates,
        }))
    }

    /// The input and output sizes of the axes and their linear taps as
    /// the float kernels compute them ([`reduced_linear::axis_taps`]).
    fn linear_axes(
        &self,
        align_corners: bool,
    ) -> (Vec<usize>, Vec<usize>, Vec<Vec<reduced_linear::Tap>>) {
        let input = self.axes.iter().map(|a| a.input).collect();
        let output = self.axes.iter().map(|a| a.output).collect();
        let taps = self
            .axes
            .iter()
            .map(|a| reduced_linear::axis_taps(a.input, a.output, a.scale, align_corners))
            .collect();
        (input, output, taps)
    }

    /// The linear resize of these planes (`channels` per batch element).
    fn linear_resize<'a>(
        &self,
        channels: i64,
        input: &'a [usize],
        output: &'a [usize],
        taps: &'a [Vec<reduced_linear::Tap>],
    ) -> reduced_linear::Resize<'a> {
        reduced_linear::Resize {
            planes: self.planes,
            channels: channels.max(1) as usize,
            input,
            output,
            taps,
        }
    }

    /// The output shape: `shape`'s batch and channels, then the output sizes.
    fn output_shape(&self, shape: &[i64]) -> Vec<i64> {
        let mut out = shape[..2].to_vec();
        out.extend(self.axes.iter().map(|a| a.output as i64));
        out
    }
}

fn opt_float(a: &Args<'_>, i: usize) -> Option<f64> {
    match a.values.get(i) {
        Some(IValue::Float(v)) => Some(*v),
        Some(IValue::Int(v)) => Some(*v as f64),
        _ => None,
    }
}

/// The plan of a call on an input of `shape` (`(N, C, spatial..)`): the
/// output sizes are argument 1, the scale factors start at `scales_at`.
fn plan(
    a: &Args<'_>,
    shape: &[i64],
    dtype: DType,
    interp: Interp,
    scales_at: usize,
) -> Result<Upsample> {
    let sizes = a.int_list(1)?;
    let k = sizes.len();
    if sizes.iter().any(|&s| s <= 0) {
        return Err(RuntimeError::shape(
            a.op,
            format!(
                "Input and output sizes should be greater than 0, but got output_size {sizes:?}"
            ),
        ));
    }
    if shape.len() != k + 2 || shape[2..].iter().any(|&d| d <= 0) {
        return Err(RuntimeError::shape(
            a.op,
            format!(
                "Non-empty {}D data tensor expected but got a tensor with sizes {shape:?}",
                k + 2
            ),
        ));
    }
    Ok(Upsample {
        planes: (shape[0].max(0) * shape[1].max(0)) as usize,
        axes: (0..k)
            .map(|d| Axis {
                input: shape[d + 2] as usize,
                output: sizes[d] as usize,
                scale: opt_float(a, scales_at + d),
            })
            .collect(),
        interp,
        single: dtype != DType::Float64,
        stored_weights: None,
    })
}

fn forward(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    interp: Interp,
    scales_at: usize,
) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let mut up = plan(a, x.shape(), x.dtype(), interp, scales_at)?;
    let reduced = matches!(x.dtype(), DType::BFloat16 | DType::Float16);
    if reduced
        && matches!(interp, Interp::Bicubic { .. })
        && !ctx.faults.bicubic_reduced_weights_in_float
    {
        up.stored_weights = Some(x.dtype());
    }
    let bytes = if x.dtype() == DType::UInt8 {
        up.bytes(ctx)?
    } else {
        None
    };
    if let Some(b) = &bytes {
        b.check_supported(ctx.op, x.shape()[1])?;
    }
    let shape = up.output_shape(x.shape());
    let linear = match interp {
        Interp::Bilinear { align_corners }
            if reduced && !ctx.faults.upsample_linear_reduced_in_double =>
        {
            Some(align_corners)
        }
        _ => None,
    };
    let out = ctx.output(
        &shape,
        &strides_like(&shape, is_channels_last(x)),
        x.dtype(),
        || {
            let values = x.read_f64(ctx.op)?;
            Ok(match (&bytes, linear) {
                (Some(b), _) => b.forward(&values),
                (None, Some(align_corners)) => {
                    let (input, output, taps) = up.linear_axes(align_corners);
                    let kernel = reduced_linear::choose(x.shape(), x.stride(), &output);
                    up.linear_resize(x.shape()[1], &input, &output, &taps)
                        .forward(&values, x.dtype(), kernel)
                }
                (None, None) => up.forward(&values),
            })
        },
    )?;
    Ok(vec![out.into()])
}

fn backward(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    interp: Interp,
    scales_at: usize,
) -> Result<Vec<IValue>> {
    let g = a.tensor(0)?;
    ctx.check(g, "grad_output")?;
    let input = a.int_list(2)?;
    let up = plan(a, &input, g.dtype(), interp, scales_at)?;
    let expected = up.output_shape(&input);
    if g.shape() != expected.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of size {:?} does not match the upsampled size {expected:?}",
                g.shape()
            ),
        ));
    }
    // PyTorch's bicubic and 3-d nearest backward kernels allocate their
    // result in the default (contiguous) format; the other modes follow the
    // gradient's format (NHWC, or NDHWC for trilinear).
    let bicubic = matches!(interp, Interp::Bicubic { .. });
    let nearest_3d = matches!(interp, Interp::Nearest | Interp::NearestExact) && input.len() == 5;
    let channels_last = is_channels_last(g)
        && (!bicubic || ctx.faults.bicubic_backward_channels_last)
        && (!nearest_3d || ctx.faults.nearest3d_backward_channels_last);
    let linear = match interp {
        Interp::Bilinear { align_corners }
            if matches!(g.dtype(), DType::BFloat16 | DType::Float16)
                && !ctx.faults.upsample_linear_backward_reduced_in_double =>
        {
            Some(align_corners)
        }
        _ => None,
    };
    let nearest_in_float = matches!(interp, Interp::Nearest | Interp::NearestExact)
        && matches!(g.dtype(), DType::Float32 | DType::BFloat16 | DType::Float16)
        && !ctx.faults.nearest_backward_in_double;
    let out = ctx.output(
        &input,
        &strides_like(&input, channels_last),
        g.dtype(),
        || {
            let values = g.read_f64(ctx.op)?;
            Ok(match linear {
                Some(align_corners) => {
                    let (sizes, output, taps) = up.linear_axes(align_corners);
                    up.linear_resize(input[1], &sizes, &output, &taps)
                        .backward(&values)
                }
                None if nearest_in_float => up.nearest_backward_in_float(&values),
                None => up.backward(&values),
            })
        },
    )?;
    Ok(vec![out.into()])
}

/// `upsample_nearest{1,2,3}d(self, output_size, scales..)`.
pub(crate) fn upsample_nearest(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    forward(ctx, &a, Interp::Nearest, 2)
}

/// `upsample_nearest{1,2,3}d_backward(grad_output, output_size, input_size,
/// scales..)`.
pub(crate) fn upsample_nearest_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    backward(ctx, &a, Interp::Nearest, 3)
}

/// `_upsample_nearest_exact{1,2,3}d(self, output_size, scales..)`.
pub(crate) fn upsample_nearest_exact(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    forward(ctx, &a, Interp::NearestExact, 2)
}

/// `_upsample_nearest_exact{1,2,3}d_backward(grad_output, output_size,
/// input_size, scales..)`.
pub(crate) fn upsample_nearest_exact_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    backward(ctx, &a, Interp::NearestExact, 3)
}

/// `upsample_linear1d/bilinear2d/trilinear3d(self, output_size, align_corners,
/// scales..)`: linear interpolation along every axis.
pub(crate) fn upsample_linear(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let align_corners = a.bool(2)?;
    forward(ctx, &a, Interp::Bilinear { align_corners }, 3)
}

/// `upsample_linear1d/bilinear2d/trilinear3d_backward(grad_output, output_size,
/// input_size, align_corners, scales..)`.
pub(crate) fn upsample_linear_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let align_corners = a.bool(3)?;
    backward(ctx, &a, Interp::Bilinear { align_corners }, 4)
}

/// `upsample_bicubic2d(self, output_size, align_corners, scales_h,
/// scales_w)`.
pub(crate) fn upsample_bicubic(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let interp = bicubic(ctx, a.bool(2)?);
    forward(ctx, &a, interp, 3)
}

/// `upsample_bicubic2d_backward(grad_output, output_size, input_size,
/// align_corners, scales_h, scales_w)`.
pub(crate) fn upsample_bicubic_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let interp = bicubic(ctx, a.bool(3)?);
    backward(ctx, &a, interp, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bicubic_taps_clamp_at_the_edge_and_sum_to_one() {
        let axis = Axis {
            input: 4,
            output: 8,
            scale: Some(2.0),
        };
        let bicubic = Interp::Bicubic {
            align_corners: false,
            a: CUBIC_A,
        };
        // dst 0: real = 0.5 * 0.5 - 0.5 = -0.25, floor -1, t = 0.75: taps
        // -2..1 clamp to 0, 0, 0, 1.
        let first = axis.taps(bicubic, 0, false);
        let indices: Vec<usize> = first.iter().map(|&(i, _)| i).collect();
        assert_eq!(indices, vec![0, 0, 0, 1]);
        for dst in 0..8 {
            let sum: f64 = axis.taps(bicubic, dst, false).iter().map(|&(_, w)| w).sum();
            assert!((sum - 1.0).abs() < 1e-12, "dst {dst}: {sum}");
        }
        // An integer position reads its own element with weight 1.
        let aligned = Axis {
            input: 4,
            output: 7,
            scale: None,
        };
        let on_grid = aligned.taps(
            Interp::Bicubic {
                align_corners: true,
                a: CUBIC_A,
            },
            2,
            false,
        );
        assert_eq!(on_grid[1], (1, 1.0));
        assert!(
            on_grid
                .iter()
                .filter(|&&(i, _)| i != 1)
                .all(|&(_, w)| w.abs() < 1e-12)
        );
    }

    #[test]
    fn nearest_and_bilinear_sources() {
        let axis = Axis {
            input: 3,
            output: 6,
            scale: Some(2.0),
        };
        let near: Vec<usize> = (0..6)
            .map(|d| axis.taps(Interp::Nearest, d, true)[0].0)
            .collect();
        assert_eq!(near, vec![0, 0, 1, 1, 2, 2]);
        let bil = axis.taps(
            Interp::Bilinear {
                align_corners: false,
            },
            1,
            false,
        );
        // scale 0.5: real = 0.5 * 1.5 - 0.5 = 0.25 between elements 0 and 1.
        assert_eq!(bil, vec![(0, 0.75), (1, 0.25)]);
        let edge = axis.taps(
            Interp::Bilinear {
                align_corners: true,
            },
            5,
            false,
        );
        assert_eq!(edge[0].0, 2);
    }
}
