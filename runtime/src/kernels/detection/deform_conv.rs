//! torchvision's deformable convolution (`torchvision::deform_conv2d`,
//! DCNv1, and DCNv2 with a modulation `mask`) and the backward operator its
//! Python autograd registration calls (`_deform_conv2d_backward`), as its
//! CPU kernel computes them (torchvision 0.29), in the input's dtype:
//!
//! * Sampling: kernel tap `(i, j)` of output pixel `(oy, ox)` reads the
//!   input at `y = (oy·stride - pad + i·dilation) + offset_y` (the integer
//!   part first, then one addition in the dtype), likewise `x`. A point
//!   with `y <= -1`, `y >= height`, `x <= -1` or `x >= width` reads 0;
//!   otherwise the four pixels around it (those outside the map read 0) are
//!   blended with `(1-ly)(1-lx), (1-ly)lx, ly(1-lx), ly·lx`, summed left to
//!   right, and multiplied by the mask (DCNv2). Offsets and masks belong to
//!   `offset_groups` consecutive blocks of input channels.
//! * The batch runs in blocks of `n_parallel_imgs` images (the greatest
//!   divisor of the batch not above `min(batch / 2, 32)`, else 1): each block
//!   fills a columns buffer `[C·kh·kw, n·oh·ow]` and multiplies it, per
//!   weight group, by the group's weights; the bias is added to the result.
//! * Backward, per block: the columns' gradient is `Wᵀ · grad` per group;
//!   the offset (and mask) gradient of each point sums, channel by channel
//!   of its offset group, `mask·∂sample/∂y|x · col` (and `col · sample`);
//!   the input gradient scatters `mask · (1-|y-yp|)(1-|x-xp|) · col` to the
//!   pixels `(yp, xp)` around the truncated point, taps in
//!   `(channel, i, j, image, oy, ox)` order. The weight gradient adds, block
//!   after block, `grad · columnsᵀ` per group; the bias gradient is the
//!   output gradient summed over batch and pixels.
//!
//! The products (PyTorch `addmm_` on MKL) are modelled as one chain per
//! element over the reduction index in order, as MKL's sgemm/dgemm computed
//! them on the measured shapes (torch 2.15, x86-64 AVX-512): fused
//! multiply-adds, except in the result's last `rows % 4` rows (a partial
//! block of four) and, in float64, its columns past the last multiple of
//! 12, which MKL sums unfused; a weight gradient accumulated over several
//! blocks adds each block's chain to the running value in float32 and
//! continues the chain from it in float64. MKL picks other kernels for
//! some shapes (float32 weight gradients with a partial row block, long
//! reductions), where results differ by an ulp or so.

use super::{Real, c_int, not_implemented, read, size, wide_dtype};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::pointwise::fma_f32;
use crate::kernels::{KernelCtx, reduce};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// torchvision's cap on the images one block of the batch holds.
const MAX_PARALLEL_IMGS: usize = 32;

/// A dtype the kernel computes in, with the fused multiply-add of its
/// GEMM model.
trait Float: Real {
    fn fma(a: Self, b: Self, c: Self) -> Self;
    fn abs(self) -> Self;
    /// Whether `addmm_` into a non-zero result continues the chain from the
    /// result (float64) instead of adding the chain's sum to it (float32).
    const CHAIN_FROM_RESULT: bool;
    /// The result's columns come in blocks of this many (MKL's vector
    /// width in this dtype); those past the last whole block are summed
    /// without fusing. `None`: no such tail.
    const COLUMN_BLOCK: Option<usize>;
}

impl Float for f32 {
    fn fma(a: f32, b: f32, c: f32) -> f32 {
        fma_f32(a, b, c)
    }
    fn abs(self) -> f32 {
        f32::abs(self)
    }
    const CHAIN_FROM_RESULT: bool = false;
    const COLUMN_BLOCK: Option<usize> = None;
}

impl Float for f64 {
    fn fma(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    const CHAIN_FROM_RESULT: bool = true;
    const COLUMN_BLOCK: Option<usize> = Some(12);
}

/// The sizes and parameters of one deformable convolution.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    out_channels: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride_h: i64,
    stride_w: i64,
    pad_h: i64,
    pad_w: i64,
    dilation_h: i64,
    dilation_w: i64,
    groups: usize,
    offset_groups: usize,
    out_h: usize,
    out_w: usize,
    use_mask: bool,
}

impl Geometry {
    fn taps(&self) -> usize {
        self.kernel_h * self.kernel_w
    }

    fn pixels(&self) -> usize {
        self.out_h * self.out_w
    }

    fn plane(&self) -> usize {
        self.height * self.width
    }

    /// Images per block: the greatest divisor of the batch in
    /// `2..=min(batch / 2, 32)`, else 1.
    fn parallel(&self) -> usize {
        let limit = (self.batch / 2).min(MAX_PARALLEL_IMGS);
        (2..=limit)
            .rev()
            .find(|&k| self.batch.is_multiple_of(k))
            .unwrap_or(1)
    }

    /// Where tap `(i, j)` of output pixel `s` samples, before its offset.
    fn base(&self, i: usize, j: usize, s: usize) -> (i64, i64) {
        let (oy, ox) = ((s / self.out_w) as i64, (s % self.out_w) as i64);
        (
            oy * self.stride_h - self.pad_h + i as i64 * self.dilation_h,
            ox * self.stride_w - self.pad_w + j as i64 * self.dilation_w,
        )
    }
}

/// One block of images: its input, offsets and masks.
struct Block<'a, T> {
    input: &'a [T],
    offset: &'a [T],
    mask: &'a [T],
    images: usize,
}

impl<T: Float> Block<'_, T> {
    /// Sampling point of tap `tap` at pixel `s` of image `p` in offset
    /// group `og`, and its mask value.
    fn point(&self, g: &Geometry, p: usize, og: usize, tap: usize, s: usize) -> (T, T, T) {
        let px = g.pixels();
        let group = p * g.offset_groups + og;
        let offsets = &self.offset[group * 2 * g.taps() * px..];
        let (by, bx) = g.base(tap / g.kernel_w, tap % g.kernel_w, s);
        let y = T::of_int(by) + offsets[2 * tap * px + s];
        let x = T::of_int(bx) + offsets[(2 * tap + 1) * px + s];
        let m = if g.use_mask {
            self.mask[(group * g.taps() + tap) * px + s]
        } else {
            T::of(1.0)
        };
        (y, x, m)
    }

    /// Input plane of channel `c` of image `p`.
    fn plane(&self, g: &Geometry, p: usize, c: usize) -> &[T] {
        &self.input[(p * g.channels + c) * g.plane()..][..g.plane()]
    }

    /// The columns buffer `[C·taps, images·pixels]`: each sampled value
    /// times its mask.
    fn columns(&self, g: &Geometry, swapped: bool) -> Vec<T> {
        let (px, taps) = (g.pixels(), g.taps());
        let n = self.images * px;
        let per_group = g.channels / g.offset_groups;
        let mut cols = vec![T::ZERO; g.channels * taps * n];
        for c in 0..g.channels {
            for p in 0..self.images {
                let plane = self.plane(g, p, c);
                for s in 0..px {
                    for tap in 0..taps {
                        let (y, x, m) = self.point(g, p, c / per_group, tap, s);
                        cols[(c * taps + tap) * n + p * px + s] =
                            m * bilinear(plane, g, y, x, swapped);
                    }
                }
            }
        }
        cols
    }
}

/// The value of `plane` at `(y, x)`: zero outside `(-1, size)`, else the
/// four neighbours (those off the map read zero) blended bilinearly, summed
/// left to right. `swapped` is the `deform-conv-bilinear-swapped` fault.
fn bilinear<T: Float>(plane: &[T], g: &Geometry, y: T, x: T, swapped: bool) -> T {
    let (h, w) = (g.height as i64, g.width as i64);
    let minus_one = T::of(-1.0);
    if y <= minus_one || T::of_int(h) <= y || x <= minus_one || T::of_int(w) <= x {
        return T::ZERO;
    }
    let (y_low, x_low) = (c_int(y.floor()), c_int(x.floor()));
    let mut ly = y - T::of_int(y_low);
    let mut lx = x - T::of_int(x_low);
    let mut hy = T::of(1.0) - ly;
    let mut hx = T::of(1.0) - lx;
    if swapped {
        (ly, hy) = (hy, ly);
        (lx, hx) = (hx, lx);
    }
    let at = |r: i64, c: i64| pixel(plane, h, w, r, c);
    let (v1, v2) = (at(y_low, x_low), at(y_low, x_low + 1));
    let (v3, v4) = (at(y_low + 1, x_low), at(y_low + 1, x_low + 1));
    let (w1, w2, w3, w4) = (hy * hx, hy * lx, ly * hx, ly * lx);
    w1 * v1 + w2 * v2 + w3 * v3 + w4 * v4
}

/// `plane[r, c]`, or zero off the map.
fn pixel<T: Float>(plane: &[T], h: i64, w: i64, r: i64, c: i64) -> T {
    if (0..h).contains(&r) && (0..w).contains(&c) {
        plane[(r * w + c) as usize]
    } else {
        T::ZERO
    }
}

/// The derivative of the bilinear sample at `(y, x)` along y (`along_y`)
/// or x, from the four neighbours (those off the map read zero), without
/// the forward's range cut.
fn coordinate_weight<T: Float>(plane: &[T], g: &Geometry, y: T, x: T, along_y: bool) -> T {
    let (h, w) = (g.height as i64, g.width as i64);
    let (y_l, x_l) = (c_int(y.floor()), c_int(x.floor()));
    let at = |r: i64, c: i64| pixel(plane, h, w, r, c);
    let (v_yx, v_y_x1) = (at(y_l, x_l), at(y_l, x_l + 1));
    let (v_y1_x, v_y1_x1) = (at(y_l + 1, x_l), at(y_l + 1, x_l + 1));
    let one = T::of(1.0);
    if along_y {
        let dx = x - T::of_int(x_l);
        dx * (v_y1_x1 - v_y_x1) + (one - dx) * (v_y1_x - v_yx)
    } else {
        let dy = y - T::of_int(y_l);
        dy * (v_y1_x1 - v_y1_x) + (one - dy) * (v_y_x1 - v_yx)
    }
}

/// `c[r, k] (+)= Σ_l a(r, l)·b(l, k)` for an `m × n` row-major `c`, one
/// chain per element over `l` in order, fused but for the last `m % 4` rows
/// and, in float64, the columns past the last multiple of 12 (see the
/// module docs).
fn gemm<T: Float>(
    (m, n, depth): (usize, usize, usize),
    a: impl Fn(usize, usize) -> T,
    b: impl Fn(usize, usize) -> T,
    c: &mut [T],
) {
    let fused_rows = m - m % 4;
    let fused_columns = T::COLUMN_BLOCK.map_or(n, |b| n - n % b);
    for r in 0..m {
        for k in 0..n {
            let cell = &mut c[r * n + k];
            let mut acc = if T::CHAIN_FROM_RESULT { *cell } else { T::ZERO };
            if r < fused_rows && k < fused_columns {
                for l in 0..depth {
                    acc = T::fma(a(r, l), b(l, k), acc);
                }
            } else {
                for l in 0..depth {
                    acc = acc + a(r, l) * b(l, k);
                }
            }
            *cell = if T::CHAIN_FROM_RESULT {
                acc
            } else {
                *cell + acc
            };
        }
    }
}

/// The tensors and sizes of one call, checked as torchvision checks them.
struct Call<'a> {
    input: &'a Tensor,
    weight: &'a Tensor,
    offset: &'a Tensor,
    mask: &'a Tensor,
    bias: &'a Tensor,
    geometry: Geometry,
}

fn check(ctx: &KernelCtx<'_>, ok: bool, message: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::shape(ctx.op, message()))
    }
}

fn expected(condition: &str) -> String {
    format!("Expected {condition} to be true, but got false.")
}

/// Reads the operator's tensors and sizes from argument `first` on
/// (`input, weight, offset, mask, bias, stride_h, stride_w, pad_h, pad_w,
/// dilation_h, dilation_w, groups, offset_groups, use_mask`).
fn call<'a>(ctx: &KernelCtx<'_>, a: &Args<'a>, first: usize) -> Result<Call<'a>> {
    let names = ["input", "weight", "offset", "mask", "bias"];
    let mut tensors = Vec::with_capacity(names.len());
    for (k, name) in names.iter().enumerate() {
        let t = a.tensor(first + k)?;
        ctx.check(t, name)?;
        tensors.push(t);
    }
    let (input, weight, offset, mask, bias) =
        (tensors[0], tensors[1], tensors[2], tensors[3], tensors[4]);
    let int = |k: usize| a.int(first + 5 + k);
    let (stride_h, stride_w, pad_h, pad_w) = (int(0)?, int(1)?, int(2)?, int(3)?);
    let (dilation_h, dilation_w, groups, offset_groups) = (int(4)?, int(5)?, int(6)?, int(7)?);
    let use_mask = a.bool(first + 13)?;
    for (t, name) in [(input, "input_c"), (offset, "offset_c")] {
        check(ctx, t.dim() == 4, || {
            expected(&format!("{name}.ndimension() == 4"))
        })?;
    }
    check(ctx, !use_mask || mask.dim() == 4, || {
        expected("!use_mask || mask_c.ndimension() == 4")
    })?;
    check(ctx, weight.dim() == 4, || {
        expected("weight_c.ndimension() == 4")
    })?;
    let dim = |t: &Tensor, d: usize| size(t, d).map(|v| v as i64);
    let (kernel_h, kernel_w) = (dim(weight, 2)?, dim(weight, 3)?);
    check(ctx, kernel_h > 0 && kernel_w > 0, || {
        format!("weight_h: {kernel_h} weight_w: {kernel_w}")
    })?;
    check(ctx, stride_h > 0 && stride_w > 0, || {
        format!("stride_h: {stride_h} stride_w: {stride_w}")
    })?;
    check(ctx, pad_h >= 0 && pad_w >= 0, || {
        format!("pad_h: {pad_h} pad_w: {pad_w}")
    })?;
    check(ctx, dilation_h > 0 && dilation_w > 0, || {
        format!("dilation_h: {dilation_h} dilation_w: {dilation_w}")
    })?;
    if groups <= 0 || offset_groups <= 0 {
        return Err(RuntimeError::unsupported(
            ctx.op,
            format!(
                "groups {groups} and offset_groups {offset_groups} (torchvision divides by them)"
            ),
        ));
    }
    let (batch, channels) = (dim(input, 0)?, dim(input, 1)?);
    let (height, width) = (dim(input, 2)?, dim(input, 3)?);
    check(ctx, dim(weight, 1)? * groups == channels, || {
        expected("weight_c.size(1) * n_weight_grps == input_c.size(1)")
    })?;
    let out_channels = dim(weight, 0)?;
    check(ctx, out_channels % groups == 0, || {
        expected("weight_c.size(0) % n_weight_grps == 0")
    })?;
    let taps = kernel_h * kernel_w;
    let offset_channels = dim(offset, 1)?;
    check(ctx, offset_channels == offset_groups * 2 * taps, || {
        format!(
            "offset.shape[1] is not valid: got: {offset_channels} expected: {}",
            offset_groups * 2 * taps
        )
    })?;
    if use_mask {
        let mask_channels = dim(mask, 1)?;
        check(ctx, mask_channels == offset_groups * taps, || {
            format!(
                "mask.shape[1] is not valid: got: {mask_channels} expected: {}",
                offset_groups * taps
            )
        })?;
    }
    check(ctx, channels % offset_groups == 0, || {
        expected("input_c.size(1) % n_offset_grps == 0")
    })?;
    let out_h = (height + 2 * pad_h - (dilation_h * (kernel_h - 1) + 1)) / stride_h + 1;
    let out_w = (width + 2 * pad_w - (dilation_w * (kernel_w - 1) + 1)) / stride_w + 1;
    check(ctx, dim(offset, 0)? == batch, || {
        "invalid batch size of offset".to_owned()
    })?;
    let (off_h, off_w) = (dim(offset, 2)?, dim(offset, 3)?);
    check(ctx, off_h == out_h && off_w == out_w, || {
        format!("offset output dims: ({off_h}, {off_w}) - computed output dims: ({out_h}, {out_w})")
    })?;
    check(ctx, dim(mask, 0)? == batch, || {
        "invalid batch size of mask".to_owned()
    })?;
    if use_mask {
        let (mask_h, mask_w) = (dim(mask, 2)?, dim(mask, 3)?);
        check(ctx, mask_h == out_h && mask_w == out_w, || {
            format!(
                "mask output dims: ({mask_h}, {mask_w}) - computed output dims: ({out_h}, {out_w})"
            )
        })?;
    }
    check(ctx, out_h > 0 && out_w > 0, || {
        format!("Calculated output size too small - out_h: {out_h} out_w: {out_w}")
    })?;
    if bias.numel() != out_channels as usize {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "shape '[1, {out_channels}, 1, 1]' is invalid for input of size {}",
                bias.numel()
            ),
        ));
    }
    for t in [weight, offset, mask, bias] {
        if t.dtype() != input.dtype() {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "expected scalar type {} but found {}",
                    input.dtype().scalar_type_name(),
                    t.dtype().scalar_type_name()
                ),
            ));
        }
    }
    let u = |v: i64| v as usize;
    Ok(Call {
        input,
        weight,
        offset,
        mask,
        bias,
        geometry: Geometry {
            batch: u(batch),
            channels: u(channels),
            height: u(height),
            width: u(width),
            out_channels: u(out_channels),
            kernel_h: u(kernel_h),
            kernel_w: u(kernel_w),
            stride_h,
            stride_w,
            pad_h,
            pad_w,
            dilation_h,
            dilation_w,
            groups: u(groups),
            offset_groups: u(offset_groups),
            out_h: u(out_h),
            out_w: u(out_w),
            use_mask,
        },
    })
}

/// Whether the call computes in float64; refuses dtypes torchvision does
/// not dispatch (float16 is not reproduced).
fn is_wide(ctx: &KernelCtx<'_>, input: &Tensor) -> Result<bool> {
    match input.dtype() {
        DType::Float32 | DType::Float64 | DType::Float16 => {
            wide_dtype(ctx, "deformable_im2col", input)
        }
        other => Err(not_implemented(ctx, "deformable_im2col", other)),
    }
}

/// The operands of a call in `T`, C order.
struct Values<T> {
    input: Vec<T>,
    weight: Vec<T>,
    offset: Vec<T>,
    mask: Vec<T>,
}

impl<T: Float> Values<T> {
    fn of(ctx: &KernelCtx<'_>, c: &Call<'_>) -> Result<Self> {
        Ok(Values {
            input: read(ctx, c.input)?,
            weight: read(ctx, c.weight)?,
            offset: read(ctx, c.offset)?,
            mask: if c.geometry.use_mask {
                read(ctx, c.mask)?
            } else {
                Vec::new()
            },
        })
    }

    /// Block `k` of `images` images.
    fn block(&self, g: &Geometry, k: usize, images: usize) -> Block<'_, T> {
        let (px, taps) = (g.pixels(), g.taps());
        let per_image_mask = if g.use_mask {
            g.offset_groups * taps * px
        } else {
            0
        };
        let span = |per: usize| k * images * per..(k + 1) * images * per;
        Block {
            input: &self.input[span(g.channels * g.plane())],
            offset: &self.offset[span(g.offset_groups * 2 * taps * px)],
            mask: &self.mask[span(per_image_mask)],
            images,
        }
    }
}

fn forward_values<T: Float>(ctx: &KernelCtx<'_>, c: &Call<'_>) -> Result<Vec<f64>> {
    let g = &c.geometry;
    let v = Values::<T>::of(ctx, c)?;
    let bias: Vec<T> = read(ctx, c.bias)?;
    let swapped = ctx.faults.deform_conv_bilinear_swapped;
    let (px, np) = (g.pixels(), g.parallel());
    let (rows, depth, n) = (
        g.out_channels / g.groups,
        g.channels / g.groups * g.taps(),
        np * px,
    );
    let mut out = vec![0.0; g.batch * g.out_channels * px];
    for k in 0..g.batch / np {
        let cols = v.block(g, k, np).columns(g, swapped);
        for grp in 0..g.groups {
            let mut buf = vec![T::ZERO; rows * n];
            gemm(
                (rows, n, depth),
                |r, l| v.weight[(grp * rows + r) * depth + l],
                |l, col| cols[(grp * depth + l) * n + col],
                &mut buf,
            );
            for r in 0..rows {
                let oc = grp * rows + r;
                for p in 0..np {
                    let dst = ((k * np + p) * g.out_channels + oc) * px;
                    for s in 0..px {
                        out[dst + s] = (buf[r * n + p * px + s] + bias[oc]).wide();
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `torchvision::deform_conv2d(Tensor input, Tensor weight, Tensor offset,
/// Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt
/// pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt
/// groups, SymInt offset_groups, bool use_mask) -> Tensor`.
pub(super) fn deform_conv2d(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let c = call(ctx, &a, 0)?;
    let g = c.geometry;
    let wide = is_wide(ctx, c.input)?;
    let shape = [g.batch, g.out_channels, g.out_h, g.out_w].map(|d| d as i64);
    let out = ctx.output(&shape, &contiguous_strides(&shape), c.input.dtype(), || {
        if g.batch == 0 {
            Ok(Vec::new())
        } else if wide {
            forward_values::<f64>(ctx, &c)
        } else {
            forward_values::<f32>(ctx, &c)
        }
    })?;
    Ok(vec![out.into()])
}

/// The gradients of input, weight, offset and mask, in C order.
struct Gradients {
    input: Vec<f64>,
    weight: Vec<f64>,
    offset: Vec<f64>,
    mask: Vec<f64>,
}

fn backward_values<T: Float>(
    ctx: &KernelCtx<'_>,
    c: &Call<'_>,
    grad: &Tensor,
) -> Result<Gradients> {
    let g = &c.geometry;
    let v = Values::<T>::of(ctx, c)?;
    let grad: Vec<T> = read(ctx, grad)?;
    let swapped = ctx.faults.deform_conv_bilinear_swapped;
    let (px, taps, np) = (g.pixels(), g.taps(), g.parallel());
    let (rows, depth, n) = (
        g.out_channels / g.groups,
        g.channels / g.groups * taps,
        np * px,
    );
    let per_group = g.channels / g.offset_groups;
    let offset_channels = g.offset_groups * 2 * taps;
    let mut gi = vec![T::ZERO; g.batch * g.channels * g.plane()];
    let mut go = vec![T::ZERO; g.batch * offset_channels * px];
    let mut gm = vec![T::ZERO; c.mask.numel()];
    let mut gw = vec![T::ZERO; g.out_channels * depth];
    // The output gradient of image `p` of block `k` at (channel, pixel).
    let grad_at = |k: usize, oc: usize, col: usize| {
        let (p, s) = (col / px, col % px);
        grad[((k * np + p) * g.out_channels + oc) * px + s]
    };
    for k in 0..g.batch / np {
        let block = v.block(g, k, np);
        // Columns' gradient: Wᵀ · grad, per group.
        let mut cols = vec![T::ZERO; g.channels * taps * n];
        for grp in 0..g.groups {
            gemm(
                (depth, n, rows),
                |r, l| v.weight[(grp * rows + l) * depth + r],
                |l, col| grad_at(k, grp * rows + l, col),
                &mut cols[grp * depth * n..(grp + 1) * depth * n],
            );
        }
        // Offsets and masks.
        for p in 0..np {
            let image = k * np + p;
            for oc in 0..offset_channels {
                let og = oc / (2 * taps);
                let tap = (oc % (2 * taps)) / 2;
                let along_y = oc % 2 == 0;
                for s in 0..px {
                    let (mut d_offset, mut d_mask) = (T::ZERO, T::ZERO);
                    let (y, x, m) = block.point(g, p, og, tap, s);
                    for ch in og * per_group..(og + 1) * per_group {
                        let plane = block.plane(g, p, ch);
                        let col = cols[(ch * taps + tap) * n + p * px + s];
                        let w = coordinate_weight(plane, g, y, x, along_y);
                        d_offset = d_offset + m * w * col;
                        if g.use_mask && along_y {
                            d_mask = d_mask + col * bilinear(plane, g, y, x, swapped);
                        }
                    }
                    go[(image * offset_channels + oc) * px + s] = d_offset;
                    if g.use_mask && along_y {
                        gm[((image * g.offset_groups + og) * taps + tap) * px + s] = d_mask;
                    }
                }
            }
        }
        // Input: each tap's gradient spread over the pixels around it.
        let (h, w) = (g.height as i64, g.width as i64);
        for ch in 0..g.channels {
            for tap in 0..taps {
                for p in 0..np {
                    let base = ((k * np + p) * g.channels + ch) * g.plane();
                    for s in 0..px {
                        let (y, x, m) = block.point(g, p, ch / per_group, tap, s);
                        let col = cols[(ch * taps + tap) * n + p * px + s];
                        let (yi, xi) = (c_int(y), c_int(x));
                        for yp in yi - 1..=yi + 1 {
                            for xp in xi - 1..=xi + 1 {
                                let (dy, dx) =
                                    ((y - T::of_int(yp)).abs(), (x - T::of_int(xp)).abs());
                                let one = T::of(1.0);
                                if (0..h).contains(&yp)
                                    && (0..w).contains(&xp)
                                    && dy < one
                                    && dx < one
                                {
                                    let at = base + (yp * w + xp) as usize;
                                    gi[at] = gi[at] + m * ((one - dy) * (one - dx)) * col;
                                }
                            }
                        }
                    }
                }
            }
        }
        // Weight: grad · columnsᵀ per group, added block after block.
        let cols = block.columns(g, swapped);
        for grp in 0..g.groups {
            gemm(
                (rows, depth, n),
                |r, l| grad_at(k, grp * rows + r, l),
                |l, col| cols[(grp * depth + col) * n + l],
                &mut gw[grp * rows * depth..(grp + 1) * rows * depth],
            );
        }
    }
    let wide = |v: Vec<T>| v.into_iter().map(Real::wide).collect();
    Ok(Gradients {
        input: wide(gi),
        weight: wide(gw),
        offset: wide(go),
        mask: wide(gm),
    })
}

/// `grad.sum([0, 2, 3])` as PyTorch's CPU sum orders it (measured): each
/// image's plane of each channel summed as a contiguous row (the cascade
/// of [`reduce::cascade_sums`]), then the images' row sums added in batch
/// order from zero, in the dtype.
fn bias_gradient(grad: &[f64], g: &Geometry, dtype: DType, threads: usize) -> Vec<f64> {
    let layout = reduce::Layout::Inner { len: g.pixels() };
    let rows = reduce::cascade_sums(grad, dtype, layout, threads);
    let mut sums = vec![0.0f64; g.out_channels];
    for image in rows.chunks_exact(g.out_channels.max(1)) {
        for (acc, &v) in sums.iter_mut().zip(image) {
            *acc = if dtype == DType::Float32 {
                f64::from(*acc as f32 + v as f32)
            } else {
                *acc + v
            };
        }
    }
    sums
}

/// Which of the [`Gradients`] an output takes.
type Pick = fn(&mut Gradients) -> &mut Vec<f64>;

/// `torchvision::_deform_conv2d_backward(Tensor grad, Tensor input, Tensor
/// weight, Tensor offset, Tensor mask, Tensor bias, SymInt stride_h, SymInt
/// stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt
/// dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) ->
/// (Tensor, Tensor, Tensor, Tensor, Tensor)`: the gradients of input,
/// weight, offset, mask and bias.
pub(super) fn deform_conv2d_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let grad = a.tensor(0)?;
    ctx.check(grad, "grad")?;
    let c = call(ctx, &a, 1)?;
    let g = c.geometry;
    let out_shape = [g.batch, g.out_channels, g.out_h, g.out_w].map(|d| d as i64);
    if grad.shape() != out_shape {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad of shape {:?} for an output of shape {out_shape:?}",
                grad.shape()
            ),
        ));
    }
    if grad.dtype() != c.input.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "expected scalar type {} but found {}",
                c.input.dtype().scalar_type_name(),
                grad.dtype().scalar_type_name()
            ),
        ));
    }
    let wide = is_wide(ctx, c.input)?;
    let dtype = c.input.dtype();
    let mut grads = if !ctx.has_data() || g.batch == 0 {
        None
    } else if wide {
        Some(backward_values::<f64>(ctx, &c, grad)?)
    } else {
        Some(backward_values::<f32>(ctx, &c, grad)?)
    };
    let mut take = |pick: Pick, numel: usize| {
        grads
            .as_mut()
            .map(|gr| std::mem::take(pick(gr)))
            .unwrap_or_else(|| vec![0.0; numel])
    };
    let mut outputs = Vec::with_capacity(5);
    let pieces: [(&Tensor, Pick); 4] = [
        (c.input, |gr| &mut gr.input),
        (c.weight, |gr| &mut gr.weight),
        (c.offset, |gr| &mut gr.offset),
        (c.mask, |gr| &mut gr.mask),
    ];
    for (t, pick) in pieces {
        let shape = t.shape().to_vec();
        let values = take(pick, t.numel());
        let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || Ok(values))?;
        outputs.push(out.into());
    }
    // Bias: `ones_like(bias) * grad.sum([0, 2, 3])`.
    let threads = ctx.cpu.threads();
    let shape = c.bias.shape().to_vec();
    let bias = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        Ok(bias_gradient(&grad.read_f64(ctx.op)?, &g, dtype, threads))
    })?;
    outputs.push(bias.into());
    Ok(outputs)
}

#[cfg(test)]
mod tests;
