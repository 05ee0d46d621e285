//! Sliding blocks and sub-pixel shuffles: `im2col` / `col2im` (what
//! `F.unfold` / `F.fold` dispatch) and `pixel_shuffle` / `pixel_unshuffle`.
//!
//! `im2col` lays out every `kh x kw` block of every channel as a column:
//! `(N, C·kh·kw, L)` with `L` blocks — the convolution's patch matrix;
//! `col2im` adds such columns back into `(N, C, H, W)` (overlaps sum, in
//! PyTorch's CPU order: per channel, kernel offset by kernel offset, block
//! by block, each sum stored in the element dtype, so float32, bfloat16 and
//! float16 round after every addition). Each
//! is the other's gradient. `pixel_shuffle(r)` moves channel `c·r² + i·r + j`
//! of `(.., C·r², H, W)` to position `(h·r + i, w·r + j)` of channel `c`;
//! `pixel_unshuffle` inverts it. Unbatched inputs (one dimension fewer) are
//! accepted as PyTorch does.

use super::common::round_to;
use super::conv::{Geometry, col2im_rounded, im2col as gather_columns};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::indexing::{self, Elems};
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{channels_last_strides, contiguous_strides};

/// The kernel of `op` if it is a block or shuffle operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.im2col.default" => im2col,
        "aten.col2im.default" => col2im,
        "aten.pixel_shuffle.default" => pixel_shuffle,
        "aten.pixel_unshuffle.default" => pixel_unshuffle,
        "aten.channel_shuffle.default" => channel_shuffle,
        _ => return None,
    })
}

/// An `int[2]` argument of positive (`min` = 1) or non-negative values.
fn pair(a: &Args<'_>, i: usize, name: &str, min: i64) -> Result<[usize; 2]> {
    match a.int_list(i)?.as_slice() {
        &[x, y] if x >= min && y >= min => Ok([x as usize, y as usize]),
        &[x] if x >= min => Ok([x as usize, x as usize]),
        other => Err(RuntimeError::shape(
            a.op,
            format!(
                "{name} should be {} but got {other:?}",
                if min > 0 { "positive" } else { "non-negative" }
            ),
        )),
    }
}

/// Kernel size and `[stride, padding, dilation]` from the arguments at
/// `kernel`, `dilation`, `padding`, `stride` (schema order).
fn window(a: &Args<'_>, first: usize) -> Result<([usize; 2], [[usize; 2]; 3])> {
    let kernel = pair(a, first, "kernel_size", 1)?;
    let dilation = pair(a, first + 1, "dilation", 1)?;
    let padding = pair(a, first + 2, "padding", 0)?;
    let stride = pair(a, first + 3, "stride", 1)?;
    Ok((kernel, [stride, padding, dilation]))
}

/// Number of sliding blocks along one dimension (may be ≤ 0).
fn blocks(size: usize, kernel: usize, [stride, padding, dilation]: [usize; 3]) -> i64 {
    (size as i64 + 2 * padding as i64 - (dilation * (kernel - 1)) as i64 - 1)
        .div_euclid(stride as i64)
        + 1
}

/// `im2col(self, kernel_size, dilation, padding, stride)`.
pub(crate) fn im2col(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let (kernel, win) = window(&a, 1)?;
    let s = x.shape();
    let batched = s.len() == 4;
    if !(s.len() == 3 || batched) || s[s.len() - 3..].contains(&0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected 3D or 4D (batch mode) tensor with non-zero channel and spatial dimensions for input, but got: {s:?}"
            ),
        ));
    }
    let n = s.len();
    let (batch, channels) = (if batched { s[0] as usize } else { 1 }, s[n - 3] as usize);
    let size = [s[n - 2] as usize, s[n - 1] as usize];
    let per_dim = |d: usize| blocks(size[d], kernel[d], [win[0][d], win[1][d], win[2][d]]);
    let (oh, ow) = (per_dim(0), per_dim(1));
    if oh < 1 || ow < 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Given input with spatial size ({}, {}), kernel_size=({}, {}), dilation=({}, {}), padding=({}, {}), calculated shape of the array of sliding blocks as ({oh}, {ow}), but its components must be at least one.",
                size[0], size[1], kernel[0], kernel[1], win[2][0], win[2][1], win[1][0], win[1][1]
            ),
        ));
    }
    let geo = Geometry::patches(
        batch,
        channels,
        size,
        kernel,
        win,
        [oh as usize, ow as usize],
    );
    let rows = channels * kernel[0] * kernel[1];
    let blocks = (oh * ow) as usize;
    let mut shape = vec![rows as i64, blocks as i64];
    if batched {
        shape.insert(0, batch as i64);
    }
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        let xs = x.read_f64(ctx.op)?;
        let mut out = vec![0.0; batch * rows * blocks];
        for (b, cols) in out
            .chunks_mut((rows * blocks).max(1))
            .enumerate()
            .take(batch)
        {
            gather_columns(&xs, &geo, b, 0, cols);
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// `col2im(self, output_size, kernel_size, dilation, padding, stride)`.
pub(crate) fn col2im(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let size = pair(&a, 1, "output_size", 1)?;
    let (kernel, win) = window(&a, 2)?;
    let s = x.shape();
    let batched = s.len() == 3;
    if !(s.len() == 2 || batched) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: {s:?}"
            ),
        ));
    }
    let n = s.len();
    let (rows, given_blocks) = (s[n - 2] as usize, s[n - 1]);
    let k = kernel[0] * kernel[1];
    if rows % k != 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)={rows} and kernel_size=({}, {}).",
                kernel[0], kernel[1]
            ),
        ));
    }
    let per_dim = |d: usize| blocks(size[d], kernel[d], [win[0][d], win[1][d], win[2][d]]);
    let (oh, ow) = (per_dim(0), per_dim(1));
    if oh < 1 || ow < 1 || oh * ow != given_blocks {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Given output_size=({}, {}), kernel_size=({}, {}), dilation=({}, {}), padding=({}, {}), stride=({}, {}), expected size of input's dimension 2 to match the calculated number of sliding blocks {oh} * {ow} = {}, but got input.size(2)={given_blocks}.",
                size[0],
                size[1],
                kernel[0],
                kernel[1],
                win[2][0],
                win[2][1],
                win[1][0],
                win[1][1],
                win[0][0],
                win[0][1],
                oh * ow
            ),
        ));
    }
    let batch = if batched { s[0] as usize } else { 1 };
    let channels = rows / k;
    let geo = Geometry::patches(
        batch,
        channels,
        size,
        kernel,
        win,
        [oh as usize, ow as usize],
    );
    let mut shape = vec![channels as i64, size[0] as i64, size[1] as i64];
    if batched {
        shape.insert(0, batch as i64);
    }
    let out = ctx.output(&shape, &contiguous_strides(&shape), x.dtype(), || {
        let cols = x.read_f64(ctx.op)?;
        let mut out = vec![0.0; batch * channels * size[0] * size[1]];
        let per_batch = rows * (oh * ow) as usize;
        let dtype = if ctx.faults.col2im_sums_in_double {
            DType::Float64
        } else {
            x.dtype()
        };
        for (b, c) in cols.chunks(per_batch.max(1)).enumerate().take(batch) {
            col2im_rounded(c, &geo, b, 0, &mut out, |v| round_to(dtype, v));
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// Where each element of the result of moving elements between
/// `(.., C·r², H, W)` (`packed`) and `(.., C, H·r, W·r)` (`spread`) comes
/// from, in logical order; `shuffle` goes packed → spread.
fn shuffle_sources(
    lead: usize,
    c: usize,
    h: usize,
    w: usize,
    r: usize,
    shuffle: bool,
) -> Vec<usize> {
    let mut out = vec![0; lead * c * r * r * h * w];
    for l in 0..lead {
        for ch in 0..c {
            for i in 0..r {
                for j in 0..r {
                    for y in 0..h {
                        for x in 0..w {
                            let packed = (((l * c + ch) * r * r + i * r + j) * h + y) * w + x;
                            let spread = ((l * c + ch) * h * r + y * r + i) * w * r + x * r + j;
                            let (src, dst) = if shuffle {
                                (packed, spread)
                            } else {
                                (spread, packed)
                            };
                            if let Some(o) = out.get_mut(dst) {
                                *o = src;
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// The strides PyTorch gives a result of `shape` made from `x`: the memory
/// format `x` suggests (`suggest_memory_format`: channels-last for 4-d and
/// 5-d inputs whose strides walk as NHWC / NDHWC, size-1 dimensions
/// included), else contiguous.
fn suggested_strides(x: &Tensor, shape: &[i64]) -> Vec<i64> {
    if crate::kernels::join::is_channels_last(x.shape(), x.stride()) {
        channels_last_strides(shape).unwrap_or_else(|| contiguous_strides(shape))
    } else {
        contiguous_strides(shape)
    }
}

fn shuffle_op(ctx: &KernelCtx<'_>, a: &Args<'_>, shuffle: bool) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let factor = a.int(1)?;
    let s = x.shape();
    let name = if shuffle {
        "pixel_shuffle"
    } else {
        "pixel_unshuffle"
    };
    if s.len() < 3 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "{name} expects input to have at least 3 dimensions, but got input with {} dimension(s)",
                s.len()
            ),
        ));
    }
    if factor <= 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "{name} expects a positive {}, but got {factor}",
                if shuffle {
                    "upscale_factor"
                } else {
                    "downscale_factor"
                }
            ),
        ));
    }
    let r = factor as usize;
    let n = s.len();
    let (c, h, w) = (s[n - 3] as usize, s[n - 2] as usize, s[n - 1] as usize);
    let lead: usize = s[..n - 3].iter().map(|&d| d as usize).product();
    let mut shape = s.to_vec();
    let (base_c, base_h, base_w) = if shuffle {
        if c % (r * r) != 0 {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)={c} is not divisible by {}",
                    r * r
                ),
            ));
        }
        shape[n - 3] = (c / (r * r)) as i64;
        shape[n - 2] = (h * r) as i64;
        shape[n - 1] = (w * r) as i64;
        (c / (r * r), h, w)
    } else {
        for (what, dim, size) in [("height", -2, h), ("width", -1, w)] {
            if size % r != 0 {
                return Err(RuntimeError::shape(
                    ctx.op,
                    format!(
                        "pixel_unshuffle expects {what} to be divisible by downscale_factor, but input.size({dim})={size} is not divisible by {r}"
                    ),
                ));
            }
        }
        shape[n - 3] = (c * r * r) as i64;
        shape[n - 2] = (h / r) as i64;
        shape[n - 1] = (w / r) as i64;
        (c, h / r, w / r)
    };
    // The CPU kernels lay out contiguous or channels-last (2-d) results only.
    if n == 5 && crate::kernels::join::is_channels_last(s, x.stride()) {
        return Err(RuntimeError::shape(
            ctx.op,
            "Unsupported memory format. Supports only ChannelsLast, Contiguous",
        ));
    }
    let strides = suggested_strides(x, &shape);
    let out = indexing::output(ctx, &shape, &strides, x.dtype(), || {
        let sources = shuffle_sources(lead, base_c, base_h, base_w, r, shuffle);
        Elems::read(ctx.op, x)?.pick(ctx.op, &sources)
    })?;
    Ok(vec![out.into()])
}

/// `pixel_shuffle(self, upscale_factor)`.
pub(crate) fn pixel_shuffle(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    shuffle_op(ctx, &a, true)
}

/// `pixel_unshuffle(self, downscale_factor)`.
pub(crate) fn pixel_unshuffle(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    shuffle_op(ctx, &a, false)
}

/// `channel_shuffle(self, groups)` (ATen's CPU `channel_shuffle`, which
/// checks its arguments and runs `native_channel_shuffle` below the
/// dispatcher): channels `(g, C/g)` transposed to `(C/g, g)`, so result
/// channel `i·g + j` is input channel `j·(C/g) + i`; every dtype, the memory
/// format the input suggests (channels-last 2-d and 3-d kept); an empty
/// input comes back as an alias of itself. The fault
/// `channel-shuffle-inverse` shuffles with `C / groups` groups.
pub(crate) fn channel_shuffle(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let groups = a.int(1)?;
    let s = x.shape();
    if s.len() <= 2 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("channel_shuffle expects input with > 2 dims, but got input with sizes {s:?}"),
        ));
    }
    if groups <= 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Number of groups to divide channels in must be positive. Value of groups:{groups}"
            ),
        ));
    }
    if s[1] % groups != 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Number of channels must be divisible by groups. Got {} channels and {groups} groups.",
                s[1]
            ),
        ));
    }
    if x.numel() == 0 {
        // `self.alias()`: an empty input comes back as a view of itself.
        return Ok(vec![
            x.alias_with(s.to_vec(), x.stride().to_vec(), x.storage_offset())
                .into(),
        ]);
    }
    let (c, mut g) = (s[1] as usize, groups as usize);
    if ctx.faults.channel_shuffle_inverse {
        g = c / g;
    }
    let per_group = c / g;
    let batch = s[0] as usize;
    let inner: usize = s[2..].iter().map(|&d| d as usize).product();
    let strides = suggested_strides(x, s);
    let out = indexing::output(ctx, s, &strides, x.dtype(), || {
        let mut sources = Vec::with_capacity(batch * c * inner);
        for n in 0..batch {
            for i in 0..per_group {
                for j in 0..g {
                    let base = (n * c + j * per_group + i) * inner;
                    sources.extend(base..base + inner);
                }
            }
        }
        Elems::read(ctx.op, x)?.pick(ctx.op, &sources)
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_and_unshuffle_are_inverse() {
        // 4 channels of 1x1 become one 2x2 channel: the identity order.
        assert_eq!(shuffle_sources(1, 1, 1, 1, 2, true), vec![0, 1, 2, 3]);
        // Two batches of 4 channels of 2x2: spread row 0 of channel 0 reads
        // packed channels 0 and 1 alternately.
        let spread = shuffle_sources(2, 1, 2, 2, 2, true);
        assert_eq!(spread[..4], [0, 4, 1, 5]);
        let packed = shuffle_sources(2, 1, 2, 2, 2, false);
        let round_trip: Vec<usize> = packed.iter().map(|&p| spread[p]).collect();
        assert_eq!(round_trip, (0..32).collect::<Vec<_>>());
    }

    #[test]
    fn col2im_stores_every_sum_in_the_element_dtype() {
        // F.fold of 3 blocks of a 1x3 kernel into a 1x3 image with padding
        // (0, 1): pixel 1 gets row 0's block 2 (1.0) first, then row 1's
        // block 1 and row 2's block 0 (2^-8 each). torch 2.15: bfloat16
        // gives 1.0 (1 + 2^-8 ties to even, twice), float64 1.0078125.
        let geo = Geometry::patches(1, 1, [1, 3], [1, 3], [[1, 1], [0, 1], [1, 1]], [1, 3]);
        let mut cols = vec![0.0; 9];
        cols[2] = 1.0;
        cols[3 + 1] = 2f64.powi(-8);
        cols[6] = 2f64.powi(-8);
        let fold = |dtype: DType| {
            let mut out = vec![0.0; 3];
            col2im_rounded(&cols, &geo, 0, 0, &mut out, |v| round_to(dtype, v));
            out
        };
        assert_eq!(fold(DType::BFloat16), vec![0.0, 1.0, 0.0]);
        assert_eq!(fold(DType::Float64), vec![0.0, 1.0078125, 0.0]);
    }
}
