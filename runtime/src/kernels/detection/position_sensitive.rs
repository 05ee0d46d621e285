//! Position-sensitive RoI pooling (R-FCN): `torchvision::ps_roi_align`,
//! `ps_roi_pool` and their backward operators, as torchvision 0.29's CPU
//! kernels compute them.
//!
//! Output channel `c_out` of bin `(ph, pw)` reads input channel
//! `(c_out·PH + ph)·PW + pw` (returned as the int32 `channel_mapping`), so
//! the input has `C_out·PH·PW` channels.
//!
//! * `ps_roi_align` always shifts boxes by half a pixel and never forces
//!   them to 1×1; a bin's points are RoIAlign's, each interpolated value
//!   added to the bin's sum, divided by the point count (0/0 = NaN for a
//!   box without points, as torchvision leaves it).
//! * `ps_roi_pool` rounds corners half away from zero, boxes at least one
//!   pixel (`end - start`, no `+ 1`), averages each bin over its pixels;
//!   its forward clips bin bounds to `size - 1`, its backward (corners
//!   rounded in float32, `roundf`) to `size`, as torchvision does.

use super::{
    Map, Real, align_box, batch_index, c_int, given_map, pooled, read, rois_have_five_columns,
    same_type_as_rois, sample, size, wide_dtype,
};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The checks and geometry of a forward call: the map (channels are the
/// input's; `pooled_*` from arguments 3 and 4) and the output channels.
fn forward_map(
    ctx: &KernelCtx<'_>,
    x: &Tensor,
    rois: &Tensor,
    a: &Args<'_>,
) -> Result<(Map, usize)> {
    rois_have_five_columns(ctx, rois, "Tensor rois should have shape as Tensor[K, 5]")?;
    same_type_as_rois(ctx, x, "input", rois)?;
    let map = Map {
        channels: size(x, 1)?,
        height: size(x, 2)?,
        width: size(x, 3)?,
        batch: size(x, 0)?,
        pooled_height: pooled(ctx, a, 3)?,
        pooled_width: pooled(ctx, a, 4)?,
    };
    let bins = map.bins();
    if bins == 0 || !map.channels.is_multiple_of(bins) {
        return Err(RuntimeError::shape(
            ctx.op,
            "input channels must be a multiple of pooling height * pooling width",
        ));
    }
    Ok((map, map.channels / bins))
}

fn ps_align_values<T: Real>(
    ctx: &KernelCtx<'_>,
    input: &[T],
    rois: &[T],
    (map, c_out): (&Map, usize),
    (scale, ratio): (f64, i64),
) -> Result<Vec<f64>> {
    let scale = T::of(scale);
    let mut out = Vec::with_capacity(rois.len() / 5 * c_out * map.bins());
    for roi in rois.chunks_exact(5) {
        // Position-sensitive RoIAlign always samples aligned boxes.
        let b = align_box(ctx, roi, map, scale, ratio, true)?;
        let count = T::of_int(b.grid_h * b.grid_w);
        for c in 0..c_out {
            for ph in 0..map.pooled_height {
                for pw in 0..map.pooled_width {
                    let c_in = (c * map.pooled_height + ph) * map.pooled_width + pw;
                    let plane =
                        &input[(b.batch * map.channels + c_in) * map.plane()..][..map.plane()];
                    let mut sum = T::ZERO;
                    for iy in 0..b.grid_h {
                        for ix in 0..b.grid_w {
                            let val = match sample(&b, map, ph, pw, iy, ix) {
                                Some((p, w)) => {
                                    w[0] * plane[p[0]]
                                        + w[1] * plane[p[1]]
                                        + w[2] * plane[p[2]]
                                        + w[3] * plane[p[3]]
                                }
                                None => T::ZERO,
                            };
                            sum = sum + val;
                        }
                    }
                    out.push((sum / count).wide());
                }
            }
        }
    }
    Ok(out)
}

/// The channel mapping of `rois` boxes: `(c_out·PH + ph)·PW + pw`.
fn channel_mapping(n_rois: usize, map: &Map, c_out: usize) -> Vec<i64> {
    let per_roi = (c_out * map.bins()) as i64;
    (0..n_rois).flat_map(|_| 0..per_roi).collect()
}

/// `torchvision::ps_roi_align(Tensor input, Tensor rois, float
/// spatial_scale, SymInt pooled_height, SymInt pooled_width, int
/// sampling_ratio) -> (Tensor, Tensor)`.
pub(super) fn ps_roi_align(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let rois = a.tensor(1)?;
    ctx.check(x, "input")?;
    ctx.check(rois, "rois")?;
    let (map, c_out) = forward_map(ctx, x, rois, &a)?;
    let (scale, ratio) = (a.scalar(2)?, a.int(5)?);
    let n_rois = size(rois, 0)?;
    let shape = [n_rois, c_out, map.pooled_height, map.pooled_width].map(|d| d as i64);
    let strides = contiguous_strides(&shape);
    let numel = n_rois * c_out * map.bins();
    let values = if numel == 0 || !ctx.has_data() {
        vec![0.0; numel]
    } else if wide_dtype(ctx, "ps_roi_align_forward_kernel", x)? {
        ps_align_values::<f64>(
            ctx,
            &read(ctx, x)?,
            &read(ctx, rois)?,
            (&map, c_out),
            (scale, ratio),
        )?
    } else {
        ps_align_values::<f32>(
            ctx,
            &read(ctx, x)?,
            &read(ctx, rois)?,
            (&map, c_out),
            (scale, ratio),
        )?
    };
    let mapping = if numel == 0 {
        Vec::new()
    } else {
        channel_mapping(n_rois, &map, c_out)
    };
    let out = ctx.output(&shape, &strides, x.dtype(), || Ok(values))?;
    let ch = ctx.output_i64(&shape, &strides, DType::Int32, || Ok(mapping))?;
    Ok(vec![out.into(), ch.into()])
}

fn ps_pool_values<T: Real>(
    ctx: &KernelCtx<'_>,
    input: &[T],
    rois: &[T],
    (map, c_out): (&Map, usize),
    scale: f64,
) -> Result<Vec<f64>> {
    let scale = T::of(scale);
    let (height, width) = (map.height as i64, map.width as i64);
    let mut out = Vec::with_capacity(rois.len() / 5 * c_out * map.bins());
    for roi in rois.chunks_exact(5) {
        let batch = batch_index(ctx, roi[0], map.batch)?;
        let corner = |v: T| c_int((v * scale).round());
        let (sw, sh, ew, eh) = (
            corner(roi[1]),
            corner(roi[2]),
            corner(roi[3]),
            corner(roi[4]),
        );
        let bin_h = T::of_int((eh - sh).max(1)) / T::of_int(map.pooled_height as i64);
        let bin_w = T::of_int((ew - sw).max(1)) / T::of_int(map.pooled_width as i64);
        for c in 0..c_out {
            for ph in 0..map.pooled_height as i64 {
                for pw in 0..map.pooled_width as i64 {
                    let clip = |v: i64, start: i64, n: i64| (v + start).max(0).min(n - 1);
                    let hstart = clip(c_int((T::of_int(ph) * bin_h).floor()), sh, height);
                    let wstart = clip(c_int((T::of_int(pw) * bin_w).floor()), sw, width);
                    let hend = clip(c_int((T::of_int(ph + 1) * bin_h).ceil()), sh, height);
                    let wend = clip(c_int((T::of_int(pw + 1) * bin_w).ceil()), sw, width);
                    let c_in =
                        (c * map.pooled_height + ph as usize) * map.pooled_width + pw as usize;
                    let plane =
                        &input[(batch * map.channels + c_in) * map.plane()..][..map.plane()];
                    let mut sum = T::ZERO;
                    for h in hstart..hend {
                        for w in wstart..wend {
                            sum = sum + plane[(h * width + w) as usize];
                        }
                    }
                    let empty = hend <= hstart || wend <= wstart;
                    let area = T::of_int((hend - hstart) * (wend - wstart));
                    out.push(if empty { 0.0 } else { (sum / area).wide() });
                }
            }
        }
    }
    Ok(out)
}

/// `torchvision::ps_roi_pool(Tensor input, Tensor rois, float
/// spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor,
/// Tensor)`.
pub(super) fn ps_roi_pool(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let rois = a.tensor(1)?;
    ctx.check(x, "input")?;
    ctx.check(rois, "rois")?;
    let (map, c_out) = forward_map(ctx, x, rois, &a)?;
    let scale = a.scalar(2)?;
    let n_rois = size(rois, 0)?;
    let shape = [n_rois, c_out, map.pooled_height, map.pooled_width].map(|d| d as i64);
    let strides = contiguous_strides(&shape);
    let numel = n_rois * c_out * map.bins();
    let values = if numel == 0 || !ctx.has_data() {
        vec![0.0; numel]
    } else if wide_dtype(ctx, "ps_roi_pool_forward_kernel", x)? {
        ps_pool_values::<f64>(ctx, &read(ctx, x)?, &read(ctx, rois)?, (&map, c_out), scale)?
    } else {
        ps_pool_values::<f32>(ctx, &read(ctx, x)?, &read(ctx, rois)?, (&map, c_out), scale)?
    };
    let mapping = if numel == 0 {
        Vec::new()
    } else {
        channel_mapping(n_rois, &map, c_out)
    };
    let out = ctx.output(&shape, &strides, x.dtype(), || Ok(values))?;
    let ch = ctx.output_i64(&shape, &strides, DType::Int32, || Ok(mapping))?;
    Ok(vec![out.into(), ch.into()])
}

/// The checks of a backward call: its map and output channels.
fn backward_map(ctx: &KernelCtx<'_>, a: &Args<'_>, first: usize) -> Result<(Map, usize)> {
    let grad = a.tensor(0)?;
    let rois = a.tensor(1)?;
    let mapping = a.tensor(2)?;
    ctx.check(grad, "grad")?;
    ctx.check(rois, "rois")?;
    ctx.check(mapping, "channel_mapping")?;
    same_type_as_rois(ctx, grad, "grad", rois)?;
    let map = given_map(ctx, a, first, 4)?;
    let bins = map.bins();
    let c_out = map.channels.checked_div(bins).unwrap_or(0);
    let n = grad.numel();
    if n != 0
        && (mapping.numel() != n
            || mapping.dtype() != DType::Int32
            || n != size(rois, 0)? * c_out * bins)
    {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad {:?} and channel_mapping {:?} do not match the boxes pooled to {}x{} over {} channels",
                grad.shape(),
                mapping.shape(),
                map.pooled_height,
                map.pooled_width,
                map.channels
            ),
        ));
    }
    Ok((map, c_out))
}

/// The input channel each gradient goes to, checked against the map.
fn mapping_of(ctx: &KernelCtx<'_>, t: &Tensor, map: &Map) -> Result<Vec<usize>> {
    t.read_i64(ctx.op)?
        .into_iter()
        .map(|c| {
            usize::try_from(c)
                .ok()
                .filter(|&c| c < map.channels)
                .ok_or_else(|| {
                    RuntimeError::shape(
                        ctx.op,
                        format!("channel_mapping {c} outside {} channels", map.channels),
                    )
                })
        })
        .collect()
}

fn ps_align_grad<T: Real>(
    ctx: &KernelCtx<'_>,
    grad: &[T],
    rois: &[T],
    mapping: &[usize],
    (map, c_out): (&Map, usize),
    (scale, ratio): (f64, i64),
) -> Result<Vec<f64>> {
    let scale = T::of(scale);
    let mut gi = vec![T::ZERO; map.batch * map.channels * map.plane()];
    for (index, &g) in grad.iter().enumerate() {
        let pw = index % map.pooled_width;
        let ph = (index / map.pooled_width) % map.pooled_height;
        let n = index / map.bins() / c_out;
        let b = align_box(ctx, &rois[n * 5..n * 5 + 5], map, scale, ratio, true)?;
        let count = T::of_int(b.grid_h * b.grid_w);
        let base = (b.batch * map.channels + mapping[index]) * map.plane();
        for iy in 0..b.grid_h {
            for ix in 0..b.grid_w {
                if let Some((pos, w)) = sample(&b, map, ph, pw, iy, ix) {
                    for k in 0..4 {
                        gi[base + pos[k]] = gi[base + pos[k]] + g * w[k] / count;
                    }
                }
            }
        }
    }
    Ok(gi.into_iter().map(Real::wide).collect())
}

/// `torchvision::_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor
/// channel_mapping, float spatial_scale, SymInt pooled_height, SymInt
/// pooled_width, int sampling_ratio, SymInt batch_size, SymInt channels,
/// SymInt height, SymInt width) -> Tensor`.
pub(super) fn ps_roi_align_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (map, c_out) = backward_map(ctx, &a, 7)?;
    let (grad, rois, mapping) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let (scale, ratio) = (a.scalar(3)?, a.int(6)?);
    let shape = map.input_shape();
    let numel = grad.numel();
    let wide = if numel == 0 {
        grad.dtype() == DType::Float64
    } else {
        wide_dtype(ctx, "ps_roi_align_backward_kernel", grad)?
    };
    let values = || -> Result<Vec<f64>> {
        if numel == 0 {
            return Ok(vec![0.0; map.batch * map.channels * map.plane()]);
        }
        let m = mapping_of(ctx, mapping, &map)?;
        if wide {
            ps_align_grad::<f64>(
                ctx,
                &read(ctx, grad)?,
                &read(ctx, rois)?,
                &m,
                (&map, c_out),
                (scale, ratio),
            )
        } else {
            ps_align_grad::<f32>(
                ctx,
                &read(ctx, grad)?,
                &read(ctx, rois)?,
                &m,
                (&map, c_out),
                (scale, ratio),
            )
        }
    };
    let out = ctx.output(&shape, &contiguous_strides(&shape), grad.dtype(), values)?;
    Ok(vec![out.into()])
}

fn ps_pool_grad<T: Real>(
    ctx: &KernelCtx<'_>,
    grad: &[T],
    rois: &[T],
    mapping: &[usize],
    (map, c_out): (&Map, usize),
    scale: f64,
) -> Result<Vec<f64>> {
    let scale = T::of(scale);
    let (height, width) = (map.height as i64, map.width as i64);
    let mut gi = vec![T::ZERO; map.batch * map.channels * map.plane()];
    for (n, roi) in rois.chunks_exact(5).enumerate() {
        let batch = batch_index(ctx, roi[0], map.batch)?;
        // `roundf`: the product rounded to float32 first.
        let corner = |v: T| c_int(((v * scale).wide() as f32).round());
        let (sw, sh, ew, eh) = (
            corner(roi[1]),
            corner(roi[2]),
            corner(roi[3]),
            corner(roi[4]),
        );
        let bin_h = T::of_int((eh - sh).max(1)) / T::of_int(map.pooled_height as i64);
        let bin_w = T::of_int((ew - sw).max(1)) / T::of_int(map.pooled_width as i64);
        for ph in 0..map.pooled_height as i64 {
            for pw in 0..map.pooled_width as i64 {
                let clip = |v: i64, start: i64, n: i64| (v + start).max(0).min(n);
                let hstart = clip(c_int((T::of_int(ph) * bin_h).floor()), sh, height);
                let wstart = clip(c_int((T::of_int(pw) * bin_w).floor()), sw, width);
                let hend = clip(c_int((T::of_int(ph + 1) * bin_h).ceil()), sh, height);
                let wend = clip(c_int((T::of_int(pw + 1) * bin_w).ceil()), sw, width);
                let empty = hend <= hstart || wend <= wstart;
                let area = T::of_int((hend - hstart) * (wend - wstart));
                for c in 0..c_out {
                    let index = ((n * c_out + c) * map.pooled_height + ph as usize)
                        * map.pooled_width
                        + pw as usize;
                    let base = (batch * map.channels + mapping[index]) * map.plane();
                    let diff = if empty { T::ZERO } else { grad[index] / area };
                    for h in hstart..hend {
                        for w in wstart..wend {
                            let i = base + (h * width + w) as usize;
                            gi[i] = gi[i] + diff;
                        }
                    }
                }
            }
        }
    }
    Ok(gi.into_iter().map(Real::wide).collect())
}

/// `torchvision::_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor
/// channel_mapping, float spatial_scale, SymInt pooled_height, SymInt
/// pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt
/// width) -> Tensor`.
pub(super) fn ps_roi_pool_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (map, c_out) = backward_map(ctx, &a, 6)?;
    let (grad, rois, mapping) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let scale = a.scalar(3)?;
    let shape = map.input_shape();
    let numel = grad.numel();
    let wide = if numel == 0 {
        grad.dtype() == DType::Float64
    } else {
        wide_dtype(ctx, "ps_roi_pool_backward_kernel", grad)?
    };
    let values = || -> Result<Vec<f64>> {
        if numel == 0 {
            return Ok(vec![0.0; map.batch * map.channels * map.plane()]);
        }
        let m = mapping_of(ctx, mapping, &map)?;
        if wide {
            ps_pool_grad::<f64>(
                ctx,
                &read(ctx, grad)?,
                &read(ctx, rois)?,
                &m,
                (&map, c_out),
                scale,
            )
        } else {
            ps_pool_grad::<f32>(
                ctx,
                &read(ctx, grad)?,
                &read(ctx, rois)?,
                &m,
                (&map, c_out),
                scale,
            )
        }
    };
    let out = ctx.output(&shape, &contiguous_strides(&shape), grad.dtype(), values)?;
    Ok(vec![out.into()])
}
