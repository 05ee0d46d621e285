//! torchvision's detection operators (`torch.ops.torchvision`, the
//! compiled extension `torchvision.ops` calls): `nms`, `roi_align`,
//! `roi_pool` and the backward operators torchvision's Python autograd
//! registration calls (`_roi_align_backward`, `_roi_pool_backward`), as its
//! CPU kernels compute them (torchvision 0.29); the position-sensitive
//! variants (`ps_roi_align`, `ps_roi_pool`) are in [`position_sensitive`],
//! the deformable convolution (`deform_conv2d`) in [`deform_conv`].
//!
//! The arithmetic runs in the input's dtype (float32 or float64), step by
//! step in the kernels' order, so results are bit-identical:
//!
//! * `roi_align`: a box's corners are `coord * spatial_scale` (the scale
//!   rounded to the dtype) less half a pixel when `aligned`; without
//!   `aligned` a box is at least 1×1. Each output bin averages a grid of
//!   `sampling_ratio²` points (`ceil(roi / pooled)` per axis when
//!   `sampling_ratio <= 0`) at `start + p·bin + (i + 0.5)·bin / grid`.
//!   A point outside `[-1, size]` counts zero; otherwise it is clamped to
//!   `[0, size - 1]` and interpolated with weights `hy·hx, hy·lx, ly·hx,
//!   ly·lx`, the four products summed left to right and added to the bin's
//!   running sum, which is divided by the point count at the end.
//! * `_roi_align_backward`: for each output element in C order, each grid
//!   point adds `grad·w / count` to its four pixels of a zeroed input
//!   gradient, in that order.
//! * `roi_pool`: corners rounded half away from zero to pixels, bins of
//!   `(roi + 1) / pooled` pixels, `floor`/`ceil` bounds clipped to the map;
//!   each bin's maximum (the first largest, strict `>`, starting from
//!   `-FLT_MAX`; an empty bin is 0 with index -1) and its flat index in the
//!   plane (int32). Its backward adds each gradient at its index.
//! * `nms`: scores ordered by a stable descending sort (ties in index
//!   order, NaN first; measured: torchvision 0.29's CPU kernel keeps ties
//!   in order where `sort(descending=True)` would not), then greedy
//!   suppression with
//!   `IoU = inter / (area_i + area_j - inter)` in the dtype, compared with
//!   the threshold in double (`>`: a box at exactly the threshold stays).
//!
//! A box's batch index is truncated to an integer as the kernels do; an
//! index outside the batch (torchvision reads out of bounds there) is
//! refused.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

mod deform_conv;
mod position_sensitive;

/// The kernel of `op` if it is one of torchvision's detection operators.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "torchvision.nms.default" => nms,
        "torchvision.roi_align.default" => roi_align,
        "torchvision._roi_align_backward.default" => roi_align_backward,
        "torchvision.roi_pool.default" => roi_pool,
        "torchvision._roi_pool_backward.default" => roi_pool_backward,
        "torchvision.ps_roi_align.default" => position_sensitive::ps_roi_align,
        "torchvision._ps_roi_align_backward.default" => position_sensitive::ps_roi_align_backward,
        "torchvision.ps_roi_pool.default" => position_sensitive::ps_roi_pool,
        "torchvision._ps_roi_pool_backward.default" => position_sensitive::ps_roi_pool_backward,
        "torchvision.deform_conv2d.default" => deform_conv::deform_conv2d,
        "torchvision._deform_conv2d_backward.default" => deform_conv::deform_conv2d_backward,
        _ => return None,
    })
}

/// The element type a kernel computes in (float32 or float64), with the C
/// conversions the kernels rely on.
trait Real:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
{
    const ZERO: Self;
    /// `-FLT_MAX` in this type (roi_pool's starting maximum for both).
    const NEG_FLT_MAX: Self;
    fn of(v: f64) -> Self;
    fn of_int(v: i64) -> Self;
    fn wide(self) -> f64;
    fn floor(self) -> Self;
    fn ceil(self) -> Self;
    /// `round`: half away from zero.
    fn round(self) -> Self;
}

impl Real for f32 {
    const ZERO: f32 = 0.0;
    const NEG_FLT_MAX: f32 = -f32::MAX;
    fn of(v: f64) -> f32 {
        v as f32
    }
    fn of_int(v: i64) -> f32 {
        v as f32
    }
    fn wide(self) -> f64 {
        f64::from(self)
    }
    fn floor(self) -> f32 {
        f32::floor(self)
    }
    fn ceil(self) -> f32 {
        f32::ceil(self)
    }
    fn round(self) -> f32 {
        f32::round(self)
    }
}

impl Real for f64 {
    const ZERO: f64 = 0.0;
    const NEG_FLT_MAX: f64 = -(f32::MAX as f64);
    fn of(v: f64) -> f64 {
        v
    }
    fn of_int(v: i64) -> f64 {
        v as f64
    }
    fn wide(self) -> f64 {
        self
    }
    fn floor(self) -> f64 {
        f64::floor(self)
    }
    fn ceil(self) -> f64 {
        f64::ceil(self)
    }
    fn round(self) -> f64 {
        f64::round(self)
    }
}

/// C's float-to-int conversion as x86 executes it: truncation, and
/// `INT_MIN` for NaN or a value out of range.
fn c_int<T: Real>(v: T) -> i64 {
    let w = v.wide();
    if w.is_nan() || w >= 2_147_483_648.0 || w <= -2_147_483_649.0 {
        i64::from(i32::MIN)
    } else {
        w.trunc() as i64
    }
}

/// `std::max(a, b)`: `a` unless `a < b`.
fn c_max<T: Real>(a: T, b: T) -> T {
    if a < b { b } else { a }
}

/// `std::min(a, b)`: `a` unless `b < a`.
fn c_min<T: Real>(a: T, b: T) -> T {
    if b < a { b } else { a }
}

/// torchvision's dtype dispatch refusing `dtype` (a RuntimeError: its
/// kernels raise through the stable ABI or `TORCH_CHECK`).
fn not_implemented(ctx: &KernelCtx<'_>, kernel: &str, dtype: DType) -> RuntimeError {
    RuntimeError::shape(
        ctx.op,
        format!(
            "\"{kernel}\" not implemented for '{}'",
            dtype.scalar_type_name()
        ),
    )
}

/// Whether `t` computes in float64 (else float32); float16, which
/// torchvision computes in `c10::Half` steps, is not reproduced; other
/// dtypes are refused as `kernel` refuses them.
fn wide_dtype(ctx: &KernelCtx<'_>, kernel: &str, t: &Tensor) -> Result<bool> {
    match t.dtype() {
        DType::Float32 => Ok(false),
        DType::Float64 => Ok(true),
        DType::Float16 => Err(RuntimeError::unsupported(
            ctx.op,
            format!("float16 {kernel} (torchvision computes it in c10::Half steps)"),
        )),
        other => Err(not_implemented(ctx, kernel, other)),
    }
}

/// `size(d)` of a tensor that must have it. torchvision's stable-ABI
/// kernels raise `Tensor::size`'s message as a RuntimeError.
fn size(t: &Tensor, d: usize) -> Result<usize> {
    let n = t.dim();
    if d >= n {
        let n = n.max(1) as i64;
        return Err(RuntimeError::Raised {
            exception: format!(
                "RuntimeError: Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                -n,
                n - 1
            ),
        });
    }
    Ok(t.shape()[d].max(0) as usize)
}

/// torchvision's check that `rois` is `[K, 5]` (each kernel words its
/// message its own way).
fn rois_have_five_columns(ctx: &KernelCtx<'_>, rois: &Tensor, message: &str) -> Result<()> {
    if size(rois, 1)? != 5 {
        return Err(RuntimeError::shape(ctx.op, message));
    }
    Ok(())
}

/// torchvision's check that `t` (argument `name`) has the dtype of `rois`.
fn same_type_as_rois(ctx: &KernelCtx<'_>, t: &Tensor, name: &str, rois: &Tensor) -> Result<()> {
    if t.dtype() != rois.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{name} should have the same type as rois"),
        ));
    }
    Ok(())
}

/// The elements of `t` in C order, in `T`.
fn read<T: Real>(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<Vec<T>> {
    Ok(t.read_f64(ctx.op)?.into_iter().map(T::of).collect())
}

/// A box's batch index (`int roi_batch_ind = rois[0]`), refused outside
/// the batch where torchvision would read out of bounds.
fn batch_index<T: Real>(ctx: &KernelCtx<'_>, v: T, batch: usize) -> Result<usize> {
    let b = c_int(v);
    if b < 0 || b as usize >= batch {
        return Err(RuntimeError::unsupported(
            ctx.op,
            format!(
                "a box with batch index {} for a batch of {batch} (torchvision reads outside the input)",
                v.wide()
            ),
        ));
    }
    Ok(b as usize)
}

/// The geometry shared by every RoI kernel: channels and the map's size.
#[derive(Clone, Copy)]
struct Map {
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    pooled_height: usize,
    pooled_width: usize,
}

impl Map {
    fn plane(&self) -> usize {
        self.height * self.width
    }

    fn bins(&self) -> usize {
        self.pooled_height * self.pooled_width
    }

    fn output_shape(&self, rois: usize) -> Vec<i64> {
        [rois, self.channels, self.pooled_height, self.pooled_width]
            .iter()
            .map(|&d| d as i64)
            .collect()
    }

    fn input_shape(&self) -> Vec<i64> {
        [self.batch, self.channels, self.height, self.width]
            .iter()
            .map(|&d| d as i64)
            .collect()
    }
}

fn pooled(ctx: &KernelCtx<'_>, a: &Args<'_>, i: usize) -> Result<usize> {
    let v = a.int(i)?;
    usize::try_from(v).map_err(|_| {
        RuntimeError::shape(
            ctx.op,
            format!("Trying to create tensor with negative dimension {v}"),
        )
    })
}

/// The sizes a backward operator is given (`batch_size, channels,
/// height, width` from argument `first`).
fn given_map(ctx: &KernelCtx<'_>, a: &Args<'_>, first: usize, pooled_at: usize) -> Result<Map> {
    let mut dims = [0usize; 4];
    for (k, d) in dims.iter_mut().enumerate() {
        *d = pooled(ctx, a, first + k)?;
    }
    Ok(Map {
        batch: dims[0],
        channels: dims[1],
        height: dims[2],
        width: dims[3],
        pooled_height: pooled(ctx, a, pooled_at)?,
        pooled_width: pooled(ctx, a, pooled_at + 1)?,
    })
}

/// The map of a forward call from its input's sizes.
fn input_map(ctx: &KernelCtx<'_>, x: &Tensor, a: &Args<'_>) -> Result<Map> {
    Ok(Map {
        channels: size(x, 1)?,
        height: size(x, 2)?,
        width: size(x, 3)?,
        batch: size(x, 0)?,
        pooled_height: pooled(ctx, a, 3)?,
        pooled_width: pooled(ctx, a, 4)?,
    })
}

// ---------------------------------------------------------------- RoIAlign

/// One box of RoIAlign: where it starts, its bins and its sampling grid.
struct AlignBox<T> {
    batch: usize,
    start_h: T,
    start_w: T,
    bin_h: T,
    bin_w: T,
    grid_h: i64,
    grid_w: i64,
}

fn align_box<T: Real>(
    ctx: &KernelCtx<'_>,
    roi: &[T],
    map: &Map,
    scale: T,
    sampling_ratio: i64,
    aligned: bool,
) -> Result<AlignBox<T>> {
    let mut offset = if aligned { T::of(0.5) } else { T::ZERO };
    if ctx.faults.roi_align_sample_half_pixel {
        // The fault: the half-pixel shift applied the wrong way round.
        offset = T::of(0.5) - offset;
    }
    let start_w = roi[1] * scale - offset;
    let start_h = roi[2] * scale - offset;
    let end_w = roi[3] * scale - offset;
    let end_h = roi[4] * scale - offset;
    let mut roi_w = end_w - start_w;
    let mut roi_h = end_h - start_h;
    if !aligned {
        roi_w = c_max(roi_w, T::of(1.0));
        roi_h = c_max(roi_h, T::of(1.0));
    }
    let ph = T::of_int(map.pooled_height as i64);
    let pw = T::of_int(map.pooled_width as i64);
    let (grid_h, grid_w) = if sampling_ratio > 0 {
        (sampling_ratio, sampling_ratio)
    } else {
        (c_int((roi_h / ph).ceil()), c_int((roi_w / pw).ceil()))
    };
    Ok(AlignBox {
        batch: batch_index(ctx, roi[0], map.batch)?,
        start_h,
        start_w,
        bin_h: roi_h / ph,
        bin_w: roi_w / pw,
        grid_h,
        grid_w,
    })
}

/// A sampling point's four pixels (flat in the plane) and weights, or
/// `None` when it lies outside the map (it contributes nothing).
type Sample<T> = Option<([usize; 4], [T; 4])>;

/// The sampling point `(iy, ix)` of bin `(ph, pw)`.
fn sample<T: Real>(
    b: &AlignBox<T>,
    map: &Map,
    ph: usize,
    pw: usize,
    iy: i64,
    ix: i64,
) -> Sample<T> {
    let half = |i: i64| T::of(f64::from(i as f32 + 0.5f32));
    let y = b.start_h + T::of_int(ph as i64) * b.bin_h + half(iy) * b.bin_h / T::of_int(b.grid_h);
    let x = b.start_w + T::of_int(pw as i64) * b.bin_w + half(ix) * b.bin_w / T::of_int(b.grid_w);
    let (height, width) = (map.height as i64, map.width as i64);
    let inside =
        y.wide() >= -1.0 && y <= T::of_int(height) && x.wide() >= -1.0 && x <= T::of_int(width);
    if !inside {
        return None;
    }
    let axis = |v: T, n: i64| -> (T, i64, i64) {
        let v = if v <= T::ZERO { T::ZERO } else { v };
        let low = c_int(v);
        if low >= n - 1 {
            (T::of_int(n - 1), n - 1, n - 1)
        } else {
            (v, low, low + 1)
        }
    };
    let (y, y_low, y_high) = axis(y, height);
    let (x, x_low, x_high) = axis(x, width);
    if y_low < 0 || x_low < 0 {
        // An empty map (height or width 0) has no pixel to read.
        return None;
    }
    let ly = y - T::of_int(y_low);
    let lx = x - T::of_int(x_low);
    // `T hy = 1. - ly`: the subtraction in double, then rounded.
    let hy = T::of(1.0 - ly.wide());
    let hx = T::of(1.0 - lx.wide());
    let w = width as usize;
    let (yl, yh, xl, xh) = (
        y_low as usize,
        y_high as usize,
        x_low as usize,
        x_high as usize,
    );
    Some((
        [yl * w + xl, yl * w + xh, yh * w + xl, yh * w + xh],
        [hy * hx, hy * lx, ly * hx, ly * lx],
    ))
}

/// The box parameters shared by a forward and a backward call.
struct AlignArgs {
    scale: f64,
    sampling_ratio: i64,
    aligned: bool,
}

fn roi_align_values<T: Real>(
    ctx: &KernelCtx<'_>,
    input: &[T],
    rois: &[T],
    map: &Map,
    p: &AlignArgs,
) -> Result<Vec<f64>> {
    let scale = T::of(p.scale);
    let n_rois = rois.len() / 5;
    let mut out = Vec::with_capacity(n_rois * map.channels * map.bins());
    for roi in rois.chunks_exact(5) {
        let b = align_box(ctx, roi, map, scale, p.sampling_ratio, p.aligned)?;
        let count = T::of_int((b.grid_h * b.grid_w).max(1));
        let mut points = Vec::new();
        for ph in 0..map.pooled_height {
            for pw in 0..map.pooled_width {
                for iy in 0..b.grid_h {
                    for ix in 0..b.grid_w {
                        points.push(sample(&b, map, ph, pw, iy, ix));
                    }
                }
            }
        }
        let per_bin = (b.grid_h.max(0) * b.grid_w.max(0)) as usize;
        for c in 0..map.channels {
            let plane = &input[(b.batch * map.channels + c) * map.plane()..][..map.plane()];
            for bin in 0..map.bins() {
                let mut acc = T::ZERO;
                for point in &points[bin * per_bin..(bin + 1) * per_bin] {
                    let (pos, w) = match point {
                        Some(s) => *s,
                        // torchvision stores zero weights at position 0.
                        None => ([0; 4], [T::ZERO; 4]),
                    };
                    let v = |k: usize| plane.get(pos[k]).copied().unwrap_or(T::ZERO);
                    acc = acc + (w[0] * v(0) + w[1] * v(1) + w[2] * v(2) + w[3] * v(3));
                }
                out.push((acc / count).wide());
            }
        }
    }
    Ok(out)
}

/// `torchvision::roi_align(Tensor input, Tensor rois, float spatial_scale,
/// SymInt pooled_height, SymInt pooled_width, int sampling_ratio, bool
/// aligned) -> Tensor`.
fn roi_align(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let rois = a.tensor(1)?;
    ctx.check(x, "input")?;
    ctx.check(rois, "rois")?;
    rois_have_five_columns(ctx, rois, "rois must have shape as Tensor[K, 5]")?;
    same_type_as_rois(ctx, x, "input", rois)?;
    let map = input_map(ctx, x, &a)?;
    let p = AlignArgs {
        scale: a.scalar(2)?,
        sampling_ratio: a.int(5)?,
        aligned: a.bool(6)?,
    };
    let n_rois = size(rois, 0)?;
    let shape = map.output_shape(n_rois);
    let numel = n_rois * map.channels * map.bins();
    let wide = if numel == 0 {
        x.dtype() == DType::Float64
    } else {
        wide_dtype(ctx, "roi_align_forward_kernel", x)?
    };
    let values = || -> Result<Vec<f64>> {
        if numel == 0 {
            return Ok(Vec::new());
        }
        if wide {
            roi_align_values::<f64>(ctx, &read(ctx, x)?, &read(ctx, rois)?, &map, &p)
        } else {
            roi_align_values::<f32>(ctx, &read(ctx, x)?, &read(ctx, rois)?, &map, &p)
        }
    };
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), values)?;
    Ok(vec![out.into()])
}

fn roi_align_grad<T: Real>(
    ctx: &KernelCtx<'_>,
    grad: &[T],
    rois: &[T],
    map: &Map,
    p: &AlignArgs,
) -> Result<Vec<f64>> {
    let scale = T::of(p.scale);
    let mut gi = vec![T::ZERO; map.batch * map.channels * map.plane()];
    let per_roi = map.channels * map.bins();
    for (index, &g) in grad.iter().enumerate() {
        let n = index / per_roi;
        let c = (index / map.bins()) % map.channels;
        let ph = (index / map.pooled_width) % map.pooled_height;
        let pw = index % map.pooled_width;
        let b = align_box(
            ctx,
            &rois[n * 5..n * 5 + 5],
            map,
            scale,
            p.sampling_ratio,
            p.aligned,
        )?;
        let count = T::of_int(b.grid_h * b.grid_w);
        let base = (b.batch * map.channels + c) * map.plane();
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

/// `torchvision::_roi_align_backward(Tensor grad, Tensor rois, float
/// spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt
/// batch_size, SymInt channels, SymInt height, SymInt width, int
/// sampling_ratio, bool aligned) -> Tensor`.
fn roi_align_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let grad = a.tensor(0)?;
    let rois = a.tensor(1)?;
    ctx.check(grad, "grad")?;
    ctx.check(rois, "rois")?;
    same_type_as_rois(ctx, grad, "grad", rois)?;
    let map = given_map(ctx, &a, 5, 3)?;
    let p = AlignArgs {
        scale: a.scalar(2)?,
        sampling_ratio: a.int(9)?,
        aligned: a.bool(10)?,
    };
    let shape = map.input_shape();
    let numel = grad.numel();
    let expected = size(rois, 0)? * map.channels * map.bins();
    if numel != 0 && (grad.dim() != 4 || numel != expected) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad of shape {:?} does not match {} boxes pooled to {}x{} over {} channels",
                grad.shape(),
                size(rois, 0)?,
                map.pooled_height,
                map.pooled_width,
                map.channels
            ),
        ));
    }
    let wide = if numel == 0 {
        grad.dtype() == DType::Float64
    } else {
        wide_dtype(ctx, "roi_align_backward_kernel", grad)?
    };
    let values = || -> Result<Vec<f64>> {
        if numel == 0 {
            return Ok(vec![0.0; map.batch * map.channels * map.plane()]);
        }
        if wide {
            roi_align_grad::<f64>(ctx, &read(ctx, grad)?, &read(ctx, rois)?, &map, &p)
        } else {
            roi_align_grad::<f32>(ctx, &read(ctx, grad)?, &read(ctx, rois)?, &map, &p)
        }
    };
    let out = ctx.output(&shape, &contiguous_strides(&shape), grad.dtype(), values)?;
    Ok(vec![out.into()])
}

// ---------------------------------------------------------------- RoIPool

fn roi_pool_values<T: Real>(
    ctx: &KernelCtx<'_>,
    input: &[T],
    rois: &[T],
    map: &Map,
    scale: f64,
) -> Result<(Vec<f64>, Vec<i64>)> {
    let scale = T::of(scale);
    let n_rois = rois.len() / 5;
    let numel = n_rois * map.channels * map.bins();
    let mut out = vec![0.0; numel];
    let mut arg = vec![0i64; numel];
    let (height, width) = (map.height as i64, map.width as i64);
    for (n, roi) in rois.chunks_exact(5).enumerate() {
        let batch = batch_index(ctx, roi[0], map.batch)?;
        let start_w = c_int((roi[1] * scale).round());
        let start_h = c_int((roi[2] * scale).round());
        let end_w = c_int((roi[3] * scale).round());
        let end_h = c_int((roi[4] * scale).round());
        let roi_w = (end_w - start_w + 1).max(1);
        let roi_h = (end_h - start_h + 1).max(1);
        let bin_h = T::of_int(roi_h) / T::of_int(map.pooled_height as i64);
        let bin_w = T::of_int(roi_w) / T::of_int(map.pooled_width as i64);
        for ph in 0..map.pooled_height as i64 {
            for pw in 0..map.pooled_width as i64 {
                let clip = |v: i64, start: i64, n: i64| (v + start).max(0).min(n);
                let hstart = clip(c_int((T::of_int(ph) * bin_h).floor()), start_h, height);
                let wstart = clip(c_int((T::of_int(pw) * bin_w).floor()), start_w, width);
                let hend = clip(c_int((T::of_int(ph + 1) * bin_h).ceil()), start_h, height);
                let wend = clip(c_int((T::of_int(pw + 1) * bin_w).ceil()), start_w, width);
                let empty = hend <= hstart || wend <= wstart;
                for c in 0..map.channels {
                    let plane = &input[(batch * map.channels + c) * map.plane()..][..map.plane()];
                    let mut best = if empty { T::ZERO } else { T::NEG_FLT_MAX };
                    let mut best_at = -1i64;
                    for h in hstart..hend {
                        for w in wstart..wend {
                            let i = h * width + w;
                            let v = plane[i as usize];
                            if v > best {
                                best = v;
                                best_at = i;
                            }
                        }
                    }
                    let index = ((n * map.channels + c) * map.pooled_height + ph as usize)
                        * map.pooled_width
                        + pw as usize;
                    out[index] = best.wide();
                    arg[index] = best_at;
                }
            }
        }
    }
    Ok((out, arg))
}

/// `torchvision::roi_pool(Tensor input, Tensor rois, float spatial_scale,
/// SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)`: the
/// pooled maxima and their int32 indices.
fn roi_pool(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let rois = a.tensor(1)?;
    ctx.check(x, "input")?;
    ctx.check(rois, "rois")?;
    rois_have_five_columns(ctx, rois, "Tensor rois should have shape as Tensor[K, 5]")?;
    same_type_as_rois(ctx, x, "input", rois)?;
    let n_rois = size(rois, 0)?;
    let map = input_map(ctx, x, &a)?;
    let scale = a.scalar(2)?;
    let shape = map.output_shape(n_rois);
    let strides = contiguous_strides(&shape);
    let numel = n_rois * map.channels * map.bins();
    let (values, indices) = if numel == 0 || !ctx.has_data() {
        (vec![0.0; numel], vec![0i64; numel])
    } else if wide_dtype(ctx, "roi_pool_forward_kernel", x)? {
        roi_pool_values::<f64>(ctx, &read(ctx, x)?, &read(ctx, rois)?, &map, scale)?
    } else {
        roi_pool_values::<f32>(ctx, &read(ctx, x)?, &read(ctx, rois)?, &map, scale)?
    };
    let out = ctx.output(&shape, &strides, x.dtype(), || Ok(values))?;
    let arg = ctx.output_i64(&shape, &strides, DType::Int32, || Ok(indices))?;
    Ok(vec![out.into(), arg.into()])
}

/// `torchvision::_roi_pool_backward(Tensor grad, Tensor rois, Tensor
/// argmax, float spatial_scale, SymInt pooled_height, SymInt pooled_width,
/// SymInt batch_size, SymInt channels, SymInt height, SymInt width) ->
/// Tensor`.
fn roi_pool_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let grad = a.tensor(0)?;
    let rois = a.tensor(1)?;
    let argmax = a.tensor(2)?;
    ctx.check(grad, "grad")?;
    ctx.check(rois, "rois")?;
    ctx.check(argmax, "argmax")?;
    rois_have_five_columns(ctx, rois, "Tensor rois should have shape as Tensor[K, 5]")?;
    same_type_as_rois(ctx, grad, "grad", rois)?;
    let map = given_map(ctx, &a, 6, 4)?;
    let shape = map.input_shape();
    let n_rois = size(rois, 0)?;
    let numel = grad.numel();
    let expected = n_rois * map.channels * map.bins();
    if numel != 0
        && (numel != expected || argmax.numel() != expected || argmax.dtype() != DType::Int32)
    {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad {:?} and argmax {:?} ({}) do not match {n_rois} boxes pooled to {}x{} over {} channels",
                grad.shape(),
                argmax.shape(),
                argmax.dtype(),
                map.pooled_height,
                map.pooled_width,
                map.channels
            ),
        ));
    }
    let wide = if numel == 0 {
        grad.dtype() == DType::Float64
    } else {
        wide_dtype(ctx, "roi_pool_backward_kernel", grad)?
    };
    let values = || -> Result<Vec<f64>> {
        let mut gi = vec![0.0f64; map.batch * map.channels * map.plane()];
        if numel == 0 {
            return Ok(gi);
        }
        let g = grad.read_f64(ctx.op)?;
        let idx = argmax.read_i64(ctx.op)?;
        let r = rois.read_f64(ctx.op)?;
        for n in 0..n_rois {
            let batch = if wide {
                batch_index(ctx, r[n * 5], map.batch)?
            } else {
                batch_index(ctx, r[n * 5] as f32, map.batch)?
            };
            for c in 0..map.channels {
                let base = (batch * map.channels + c) * map.plane();
                for bin in 0..map.bins() {
                    let o = (n * map.channels + c) * map.bins() + bin;
                    let at = idx[o];
                    if at == -1 {
                        continue;
                    }
                    let target = usize::try_from(at)
                        .ok()
                        .filter(|&i| i < map.plane())
                        .ok_or_else(|| {
                            RuntimeError::shape(
                                ctx.op,
                                format!("argmax {at} outside a {}x{} map", map.height, map.width),
                            )
                        })?;
                    // One addition in the dtype (float32 values are exact in f64,
                    // and their sum rounded to float32 is float32's sum).
                    let sum = gi[base + target] + g[o];
                    gi[base + target] = if wide { sum } else { f64::from(sum as f32) };
                }
            }
        }
        Ok(gi)
    };
    let out = ctx.output(&shape, &contiguous_strides(&shape), grad.dtype(), values)?;
    Ok(vec![out.into()])
}

// ---------------------------------------------------------------- NMS

fn nms_keep<T: Real>(boxes: &[T], scores: &[f64], threshold: f64) -> Vec<i64> {
    let n = scores.len();
    let coord = |i: usize, k: usize| boxes[i * 4 + k];
    let areas: Vec<T> = (0..n)
        .map(|i| (coord(i, 2) - coord(i, 0)) * (coord(i, 3) - coord(i, 1)))
        .collect();
    let order = crate::kernels::reduction::descending_stable_order(scores);
    let mut suppressed = vec![false; n];
    let mut keep = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        if suppressed[i] {
            continue;
        }
        keep.push(i as i64);
        for &j in &order[pos + 1..] {
            if suppressed[j] {
                continue;
            }
            let xx1 = c_max(coord(i, 0), coord(j, 0));
            let yy1 = c_max(coord(i, 1), coord(j, 1));
            let xx2 = c_min(coord(i, 2), coord(j, 2));
            let yy2 = c_min(coord(i, 3), coord(j, 3));
            let w = c_max(T::ZERO, xx2 - xx1);
            let h = c_max(T::ZERO, yy2 - yy1);
            let inter = w * h;
            let iou = inter / (areas[i] + areas[j] - inter);
            if iou.wide() > threshold {
                suppressed[j] = true;
            }
        }
    }
    keep
}

/// `torchvision::nms(Tensor dets, Tensor scores, float iou_threshold) ->
/// Tensor`: the indices of the boxes kept, by decreasing score (int64).
fn nms(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let dets = a.tensor(0)?;
    let scores = a.tensor(1)?;
    ctx.check(dets, "dets")?;
    ctx.check(scores, "scores")?;
    let threshold = a.scalar(2)?;
    if dets.dim() != 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("boxes should be a 2d tensor, got {}D", dets.dim()),
        ));
    }
    if dets.shape()[1] != 4 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "boxes should have 4 elements in dimension 1, got {}",
                dets.shape()[1]
            ),
        ));
    }
    if scores.dim() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("scores should be a 1d tensor, got {}D", scores.dim()),
        ));
    }
    if dets.shape()[0] != scores.shape()[0] {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "boxes and scores should have same number of elements in dimension 0, got {} and {}",
                dets.shape()[0],
                scores.shape()[0]
            ),
        ));
    }
    let wide = match dets.dtype() {
        DType::Float32 => false,
        DType::Float64 => true,
        other => return Err(not_implemented(ctx, "nms_kernel", other)),
    };
    if dets.dtype() != scores.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            "dets should have the same type as scores",
        ));
    }
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "nms on a tensor without data (its output size depends on the values)",
        ));
    }
    let keep = if dets.numel() == 0 {
        Vec::new()
    } else {
        let s = scores.read_f64(ctx.op)?;
        if wide {
            nms_keep::<f64>(&read(ctx, dets)?, &s, threshold)
        } else {
            nms_keep::<f32>(&read(ctx, dets)?, &s, threshold)
        }
    };
    let shape = [keep.len() as i64];
    let out = ctx.output_i64(&shape, &[1], DType::Int64, || Ok(keep))?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests;
