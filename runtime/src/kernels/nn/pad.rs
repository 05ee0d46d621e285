//! Padding: `constant_pad_nd` (what `F.pad(mode="constant")` and a
//! convolution with `padding="same"` and an even kernel dispatch),
//! `reflection_pad{1,2,3}d` and `replication_pad{1,2,3}d` with their
//! backward kernels.
//!
//! `pad` lists (before, after) pairs starting from the last dimension; a
//! negative entry crops. Every output element reads at most one input
//! element, found per dimension through a table: inside the input it is
//! the element itself; outside, the constant (no element), the mirror image
//! without repeating the edge (reflection) or the nearest edge element
//! (replication). A backward kernel adds each output gradient into the
//! element it read, in the gradient's dtype and the padded output's order.

use super::common::round_to;
use super::conv::{is_channels_last, strides_like};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::output_strides;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{contiguous_strides, is_non_overlapping_and_dense};

/// The kernel of `op` if it is a padding operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.constant_pad_nd.default" => constant_pad_nd,
        "aten.reflection_pad1d.default"
        | "aten.reflection_pad2d.default"
        | "aten.reflection_pad3d.default" => reflection_pad,
        "aten.replication_pad1d.default"
        | "aten.replication_pad2d.default"
        | "aten.replication_pad3d.default" => replication_pad,
        "aten.reflection_pad1d_backward.default"
        | "aten.reflection_pad2d_backward.default"
        | "aten.reflection_pad3d_backward.default" => reflection_pad_backward,
        "aten.replication_pad1d_backward.default"
        | "aten.replication_pad2d_backward.default"
        | "aten.replication_pad3d_backward.default" => replication_pad_backward,
        _ => return None,
    })
}

/// What lies outside the input.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Constant,
    Reflect,
    Replicate,
    /// Mirrors with the edge repeated (numpy's `symmetric`): not a PyTorch
    /// mode, the fault `reflection-pad-repeats-edge`.
    Symmetric,
}

/// The input index output index `j` of a dimension of `size` reads, with
/// `before` elements of padding in front.
fn source(mode: Mode, j: i64, before: i64, size: i64) -> Option<i64> {
    let o = j - before;
    if (0..size).contains(&o) {
        return Some(o);
    }
    match mode {
        Mode::Constant => None,
        Mode::Reflect if o < 0 => Some(-o),
        Mode::Reflect => Some(2 * (size - 1) - o),
        Mode::Replicate => Some(o.clamp(0, size - 1)),
        Mode::Symmetric if o < 0 => Some((-o - 1).min(size - 1)),
        Mode::Symmetric => Some((2 * size - 1 - o).max(0)),
    }
}

/// Per-dimension source tables and the output shape.
struct Plan {
    out_shape: Vec<i64>,
    /// `tables[d][j]`: the input index output index `j` of dimension `d` reads.
    tables: Vec<Vec<Option<i64>>>,
}

/// Builds the padding plan of `shape` for `pad` (pairs from the last
/// dimension), checking PyTorch's conditions.
fn plan(op: &str, mode: Mode, shape: &[i64], pad: &[i64]) -> Result<Plan> {
    if !pad.len().is_multiple_of(2) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Length of pad must be even but instead it equals {}",
                pad.len()
            ),
        ));
    }
    if pad.len() / 2 > shape.len() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Length of pad should be no more than twice the number of dimensions of the input. Pad length is {} while the input has {} dimensions.",
                pad.len(),
                shape.len()
            ),
        ));
    }
    let mut out_shape = shape.to_vec();
    let mut tables: Vec<Vec<Option<i64>>> =
        shape.iter().map(|&s| (0..s).map(Some).collect()).collect();
    for (k, pair) in pad.chunks(2).enumerate() {
        let d = shape.len() - 1 - k;
        let (before, after, size) = (pair[0], pair[1], shape[d]);
        if matches!(mode, Mode::Reflect | Mode::Symmetric) && (before >= size || after >= size) {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding ({before}, {after}) at dimension {d} of input {shape:?}"
                ),
            ));
        }
        // Constant padding first narrows away negative pads, left then
        // right, so a pad that removes more than the dimension holds fails
        // in `narrow` (observed in torch 2.15 for every such pad).
        let narrowed_left = size + before.min(0);
        if mode == Mode::Constant && (narrowed_left < 0 || narrowed_left + after.min(0) < 0) {
            return Err(RuntimeError::shape(
                op,
                "narrow(): length must be non-negative.",
            ));
        }
        let out = size + before + after;
        if out < 0 || (mode != Mode::Constant && out == 0) {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "The input size {size}, plus negative padding {before} and {after} resulted in a negative output size, which is invalid. Check dimension {d} of your input."
                ),
            ));
        }
        out_shape[d] = out;
        tables[d] = (0..out).map(|j| source(mode, j, before, size)).collect();
    }
    Ok(Plan { out_shape, tables })
}

impl Plan {
    /// For every output element (logical order), the contiguous input
    /// offset it reads.
    fn sources(&self, in_shape: &[i64]) -> Vec<Option<usize>> {
        let in_strides = contiguous_strides(in_shape);
        let mut offsets: Vec<Option<i64>> = vec![Some(0)];
        for (table, &stride) in self.tables.iter().zip(&in_strides) {
            offsets = offsets
                .iter()
                .flat_map(|base| {
                    table
                        .iter()
                        .map(move |src| base.and_then(|b| src.map(|s| b + s * stride)))
                })
                .collect();
        }
        offsets
            .into_iter()
            .map(|o| o.and_then(|o| usize::try_from(o).ok()))
            .collect()
    }
}

/// The `padding` argument of the reflection/replication operators, checked
/// against the operator's dimension count.
fn padding_arg(a: &Args<'_>, i: usize, x: &Tensor) -> Result<Vec<i64>> {
    let pad = a.int_list(i)?;
    let want = if a.op.contains("pad1d") {
        2
    } else if a.op.contains("pad3d") {
        6
    } else {
        4
    };
    if pad.len() != want {
        return Err(RuntimeError::shape(
            a.op,
            format!(
                "padding size is expected to be {want}, but got: {}",
                pad.len()
            ),
        ));
    }
    let dims = want / 2;
    if x.dim() != dims + 1 && x.dim() != dims + 2 {
        return Err(RuntimeError::shape(
            a.op,
            format!(
                "Expected {}D or {}D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: {:?}",
                dims + 1,
                dims + 2,
                x.shape()
            ),
        ));
    }
    Ok(pad)
}

fn pad_forward(
    ctx: &KernelCtx<'_>,
    x: &Tensor,
    mode: Mode,
    pad: &[i64],
    value: f64,
) -> Result<Tensor> {
    ctx.check(x, "self")?;
    let p = plan(ctx.op, mode, x.shape(), pad)?;
    let crop = mode == Mode::Constant && pad.iter().all(|&q| q <= 0);
    let strides = if crop && !ctx.faults.contiguous_pad_crop {
        cropped_strides(&p.out_shape, x.stride())
    } else {
        strides_like(&p.out_shape, is_channels_last(x))
    };
    ctx.output(&p.out_shape, &strides, x.dtype(), || {
        let xs = x.read_f64(ctx.op)?;
        Ok(p.sources(x.shape())
            .into_iter()
            .map(|s| s.and_then(|i| xs.get(i).copied()).unwrap_or(value))
            .collect())
    })
}

/// The strides of a constant pad that only crops (every pad `<= 0`, as
/// ConstantPadNdBackward0's call is): PyTorch narrows the input and clones
/// the narrowed view in its own format, so the result keeps the input's
/// strides where the crop is non-overlapping and dense (`[1, 1, 6, 3]` cut
/// from a contiguous `[1, 1, 7, 3]` has strides `[21, 21, 3, 1]`) and is
/// dense in the input's dim order otherwise.
fn cropped_strides(shape: &[i64], input_strides: &[i64]) -> Vec<i64> {
    if is_non_overlapping_and_dense(shape, input_strides) {
        input_strides.to_vec()
    } else {
        output_strides(shape, &[(shape, input_strides)])
    }
}

fn pad_backward(
    ctx: &KernelCtx<'_>,
    g: &Tensor,
    x: &Tensor,
    mode: Mode,
    pad: &[i64],
) -> Result<Tensor> {
    ctx.check(g, "grad_output")?;
    ctx.check(x, "self")?;
    let p = plan(ctx.op, mode, x.shape(), pad)?;
    if g.shape() != p.out_shape.as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of size {:?} does not match the padded size {:?}",
                g.shape(),
                p.out_shape
            ),
        ));
    }
    let strides = strides_like(x.shape(), is_channels_last(x));
    // PyTorch's `cpu_padding_backward` adds in the gradient's dtype, each
    // output element in turn (row-major over the padded shape, in either
    // memory format): a sum rounds at every step.
    let dtype = if ctx.faults.pad_backward_sums_in_double {
        DType::Float64
    } else {
        g.dtype()
    };
    ctx.output(x.shape(), &strides, g.dtype(), || {
        let gs = g.read_f64(ctx.op)?;
        let mut dx = vec![0.0; x.numel()];
        for (src, d) in p.sources(x.shape()).into_iter().zip(gs) {
            if let Some(slot) = src.and_then(|i| dx.get_mut(i)) {
                *slot = round_to(dtype, *slot + d);
            }
        }
        Ok(dx)
    })
}

/// `constant_pad_nd(self, pad, value=0)`. A complex input keeps both
/// parts of every element it copies; the padding is `value` with a zero
/// imaginary part (or a Python complex `value`'s two parts).
pub(crate) fn constant_pad_nd(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let pad = a.int_list(1)?;
    if x.dtype().is_complex() {
        let value = match a.values.get(2) {
            Some(IValue::Complex(re, im)) => [*re, *im],
            None => [0.0, 0.0],
            _ => [a.scalar(2)?, 0.0],
        };
        return Ok(vec![pad_complex(ctx, x, &pad, value)?.into()]);
    }
    let out = pad_forward(ctx, x, Mode::Constant, &pad, a.scalar(2)?)?;
    Ok(vec![out.into()])
}

/// A constant pad of a complex tensor: each output element's two parts
/// read together from the input's (conjugate-resolved) parts. The fault
/// `complex-pad-drops-imag` zeroes the imaginary parts it copies.
fn pad_complex(ctx: &KernelCtx<'_>, x: &Tensor, pad: &[i64], value: [f64; 2]) -> Result<Tensor> {
    ctx.check(x, "self")?;
    let p = plan(ctx.op, Mode::Constant, x.shape(), pad)?;
    let crop = pad.iter().all(|&q| q <= 0);
    let strides = if crop && !ctx.faults.contiguous_pad_crop {
        cropped_strides(&p.out_shape, x.stride())
    } else {
        strides_like(&p.out_shape, is_channels_last(x))
    };
    let drop_imag = ctx.faults.complex_pad_drops_imag;
    ctx.output(&p.out_shape, &strides, x.dtype(), || {
        let parts = x.read_f64(ctx.op)?;
        let mut out = Vec::with_capacity(2 * p.out_shape.iter().product::<i64>().max(0) as usize);
        for s in p.sources(x.shape()) {
            let element = s
                .and_then(|i| Some([*parts.get(2 * i)?, *parts.get(2 * i + 1)?]))
                .map(|[re, im]| [re, if drop_imag { 0.0 } else { im }])
                .unwrap_or(value);
            out.extend(element);
        }
        Ok(out)
    })
}

/// The mirror mode of the reflection operators (the edge repeated under
/// the fault `reflection-pad-repeats-edge`).
fn reflect(ctx: &KernelCtx<'_>) -> Mode {
    if ctx.faults.reflection_pad_repeats_edge {
        Mode::Symmetric
    } else {
        Mode::Reflect
    }
}

/// `reflection_pad1d/2d/3d(self, padding)`.
pub(crate) fn reflection_pad(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let out = pad_forward(ctx, x, reflect(ctx), &padding_arg(&a, 1, x)?, 0.0)?;
    Ok(vec![out.into()])
}

/// `replication_pad1d/2d/3d(self, padding)`.
pub(crate) fn replication_pad(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let out = pad_forward(ctx, x, Mode::Replicate, &padding_arg(&a, 1, x)?, 0.0)?;
    Ok(vec![out.into()])
}

/// `reflection_pad1d/2d/3d_backward(grad_output, self, padding)`.
pub(crate) fn reflection_pad_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(1)?;
    let out = pad_backward(ctx, a.tensor(0)?, x, reflect(ctx), &padding_arg(&a, 2, x)?)?;
    Ok(vec![out.into()])
}

/// `replication_pad1d/2d/3d_backward(grad_output, self, padding)`.
pub(crate) fn replication_pad_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let x = a.tensor(1)?;
    let out = pad_backward(
        ctx,
        a.tensor(0)?,
        x,
        Mode::Replicate,
        &padding_arg(&a, 2, x)?,
    )?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crop_keeps_the_input_strides_only_where_it_is_dense() {
        // One row cut from a contiguous [1, 1, 7, 3]: dense, strides kept
        // (size-1 dims' strides included).
        assert_eq!(
            cropped_strides(&[1, 1, 6, 3], &[21, 21, 3, 1]),
            [21, 21, 3, 1]
        );
        // Two channels: a gap between the planes, so a dense clone.
        assert_eq!(
            cropped_strides(&[1, 2, 6, 3], &[42, 21, 3, 1]),
            [36, 18, 3, 1]
        );
        // Columns cut from a channels-last map: dense in its own dim order.
        assert_eq!(
            cropped_strides(&[2, 3, 4, 4], &[75, 1, 15, 3]),
            [48, 1, 12, 3]
        );
    }

    #[test]
    fn constant_pad_nd_crops_like_a_narrowed_clone() {
        // ConstantPadNdBackward0 of `F.pad(x, (0, 0, 1, 0))` on a [1, 1, 6, 3]
        // input: the gradient [1, 1, 7, 3] cropped by one row.
        let mut rt = crate::runtime::Runtime::new();
        let g = crate::kernels::nn::tests::f32s(&mut rt, &[1, 1, 7, 3], &[1.0; 21]);
        let out = rt
            .call(
                "aten.constant_pad_nd.default",
                vec![(&g).into(), IValue::IntList(vec![0, 0, -1, 0])],
            )
            .expect("crop");
        let t = out[0].as_tensor().expect("tensor");
        assert_eq!(
            (t.shape(), t.stride()),
            (&[1, 1, 6, 3][..], &[21, 21, 3, 1][..])
        );
        // Padding anywhere gives a new contiguous tensor.
        let out = rt
            .call(
                "aten.constant_pad_nd.default",
                vec![(&g).into(), IValue::IntList(vec![0, 0, -1, 1])],
            )
            .expect("pad");
        let t = out[0].as_tensor().expect("tensor");
        assert_eq!(t.stride(), &[21, 21, 3, 1][..]);
    }

    /// The backward kernel's float32 result for `grad` over an input of
    /// `width` elements.
    fn pad1d_backward(op: &str, grad: &[f32], width: i64, pad: [i64; 2]) -> Vec<f64> {
        let mut rt = crate::runtime::Runtime::new();
        let n = grad.len() as i64;
        let g = rt
            .introduce_tensor_f32(&[1, 1, n], &[n, n, 1], 0, grad, false)
            .expect("grad");
        let x = rt
            .introduce_tensor_f32(
                &[1, 1, width],
                &[width, width, 1],
                0,
                &vec![0.0; width as usize],
                false,
            )
            .expect("self");
        let out = rt
            .call(
                op,
                vec![(&g).into(), (&x).into(), IValue::IntList(pad.to_vec())],
            )
            .expect("backward");
        out[0]
            .as_tensor()
            .expect("tensor")
            .to_f64_vec()
            .expect("values")
    }

    #[test]
    fn backward_sums_round_in_the_gradient_dtype_in_output_order() {
        let tiny = 2f32.powi(-24);
        // torch 2.15: reflection_pad1d_backward of [0, 1, 0, 2^-24, 0, 2^-24, 0]
        // over 3 elements, pad (2, 2): element 1 gets 1 + 2^-24 + 2^-24 added
        // in float32, 1.0 (float64 would give 1.0000001192092896).
        assert_eq!(
            pad1d_backward(
                "aten.reflection_pad1d_backward.default",
                &[0.0, 1.0, 0.0, tiny, 0.0, tiny, 0.0],
                3,
                [2, 2]
            ),
            [0.0, 1.0, 0.0]
        );
        // replication_pad1d_backward of [2^-24, 2^-24, 1, 0], pad (2, 0):
        // element 0 adds the two small ones first, 1.0000001192092896.
        assert_eq!(
            pad1d_backward(
                "aten.replication_pad1d_backward.default",
                &[tiny, tiny, 1.0, 0.0],
                2,
                [2, 0]
            ),
            [f64::from(1.0 + 2f32.powi(-23)), 0.0]
        );
    }

    #[test]
    fn sources_per_mode() {
        let map = |mode| (0..7).map(|j| source(mode, j, 2, 3)).collect::<Vec<_>>();
        assert_eq!(
            map(Mode::Constant),
            vec![None, None, Some(0), Some(1), Some(2), None, None]
        );
        assert_eq!(
            map(Mode::Reflect),
            vec![
                Some(2),
                Some(1),
                Some(0),
                Some(1),
                Some(2),
                Some(1),
                Some(0)
            ]
        );
        assert_eq!(
            map(Mode::Replicate),
            vec![
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                Some(2),
                Some(2),
                Some(2)
            ]
        );
    }

    #[test]
    fn negative_padding_crops_and_odd_lists_fail() {
        let p = plan("op", Mode::Constant, &[2, 3], &[-1, 1]).expect("plan");
        assert_eq!(p.out_shape, vec![2, 3]);
        assert_eq!(
            p.sources(&[2, 3]),
            vec![Some(1), Some(2), None, Some(4), Some(5), None]
        );
        assert!(plan("op", Mode::Constant, &[2, 3], &[1]).is_err());
        assert!(plan("op", Mode::Constant, &[2, 3], &[-2, -2]).is_err());
        assert!(plan("op", Mode::Reflect, &[2, 3], &[3, 0]).is_err());
    }
}
