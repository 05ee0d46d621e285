//! `convolution` and `convolution_backward` (1-d and 2-d, stride, padding,
//! dilation, groups, optional bias; not transposed).
//!
//! Computed as im2col + matrix product per batch element and group: the
//! input patches of one group form a `(C/g·kh·kw) x (oh·ow)` matrix
//! `cols`, and `out[n, group] = W[group] @ cols`. Backward reuses the same
//! matrices: `grad_weight[group] += grad_out[n, group] @ colsᵀ`, and
//! `grad_input` scatters `W[group]ᵀ @ grad_out[n, group]` back through the
//! patches (col2im). A 1-d convolution is a 2-d one with height 1.
//!
//! A transposed convolution is the adjoint of the regular convolution that
//! maps its output back to its input (same weight, stride, padding,
//! dilation, groups): its forward is that convolution's input gradient,
//! its input gradient that convolution's forward, and its weight gradient
//! that convolution's weight gradient with the roles of input and output
//! gradient exchanged. [`Geometry`] then describes that regular convolution.
//!
//! Measured against a direct seven-deep loop (release build, f64): LeNet's
//! first layer (16x1x28x28, 6 5x5 filters) 1.7 ms vs 4.3 ms, its second
//! (16x6x12x12, 16 filters) 1.7 ms vs 6.2 ms, 8x32x32x32 with 64 3x3
//! filters 111 ms vs 488 ms; identical results.
//!
//! Observed in torch 2.15: `F.conv1d`/`F.conv2d`/`nn.Conv2d` reach
//! `aten.convolution.default` (CompositeExplicitAutograd), which keeps the
//! input's memory format (a channels-last input gives a channels-last
//! output; otherwise contiguous); integer dtypes are accepted; input,
//! weight and bias must share one dtype.

use super::gemm::{Mat, gemm_acc};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a convolution operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.convolution.default" => convolution,
        "aten.convolution_backward.default" => convolution_backward,
        _ => return None,
    })
}

/// The geometry of one convolution, with a 1-d one seen as 2-d (height 1).
#[derive(Clone, Debug)]
pub(super) struct Geometry {
    batch: usize,
    c_in: usize,
    h: usize,
    w: usize,
    c_out: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    groups: usize,
    /// Number of spatial dimensions of the operator call (1 or 2).
    spatial: usize,
    /// The operator is the transposed convolution: its input has this
    /// geometry's output shape and its output this geometry's input shape.
    transposed: bool,
}

impl Geometry {
    /// The patch geometry of `F.unfold`/`F.fold` on `(batch, channels, h,
    /// w)` planes: one group, sliding blocks `out` (`[oh, ow]`).
    pub(super) fn patches(
        batch: usize,
        channels: usize,
        size: [usize; 2],
        kernel: [usize; 2],
        window: [[usize; 2]; 3],
        out: [usize; 2],
    ) -> Geometry {
        let [stride, padding, dilation] = window;
        Geometry {
            batch,
            c_in: channels,
            h: size[0],
            w: size[1],
            c_out: 1,
            kh: kernel[0],
            kw: kernel[1],
            oh: out[0],
            ow: out[1],
            stride,
            padding,
            dilation,
            groups: 1,
            spatial: 2,
            transposed: false,
        }
    }

    /// The 2-d geometry of one depth slice of a 3-d convolution:
    /// `sizes` are `[c_in, h, w]`, `kernel` `[c_out, kh, kw]`, `out`
    /// `[oh, ow]`, `window` `[stride, padding, dilation]`.
    pub(super) fn plane(
        batch: usize,
        sizes: [usize; 3],
        kernel: [usize; 3],
        out: [usize; 2],
        window: [[usize; 2]; 3],
        groups: usize,
    ) -> Geometry {
        let [stride, padding, dilation] = window;
        Geometry {
            batch,
            c_in: sizes[0],
            h: sizes[1],
            w: sizes[2],
            c_out: kernel[0],
            kh: kernel[1],
            kw: kernel[2],
            oh: out[0],
            ow: out[1],
            stride,
            padding,
            dilation,
            groups,
            spatial: 2,
            transposed: false,
        }
    }

    /// The output plane size `[oh, ow]`.
    pub(super) fn oh_ow(&self) -> [usize; 2] {
        [self.oh, self.ow]
    }

    /// Input channels per group.
    fn c_group(&self) -> usize {
        self.c_in / self.groups
    }

    /// Output channels per group.
    fn o_group(&self) -> usize {
        self.c_out / self.groups
    }

    /// Rows of the patch matrix: `C/g · kh · kw`.
    fn patch(&self) -> usize {
        self.c_group() * self.kh * self.kw
    }

    /// Output positions per channel.
    fn positions(&self) -> usize {
        self.oh * self.ow
    }

    /// The shape `(N, channels, [h,] w)` with this geometry's spatial rank.
    fn shape(&self, channels: usize, h: usize, w: usize) -> Vec<i64> {
        let mut shape = vec![self.batch as i64, channels as i64];
        if self.spatial == 2 {
            shape.push(h as i64);
        }
        shape.push(w as i64);
        shape
    }

    /// The output shape of the (regular) convolution.
    fn output_shape(&self) -> Vec<i64> {
        self.shape(self.c_out, self.oh, self.ow)
    }

    /// The input shape of the (regular) convolution.
    fn input_shape(&self) -> Vec<i64> {
        self.shape(self.c_in, self.h, self.w)
    }

    /// The shape the operator returns: the regular convolution's output, or
    /// for a transposed convolution its input.
    fn result_shape(&self) -> Vec<i64> {
        if self.transposed {
            self.input_shape()
        } else {
            self.output_shape()
        }
    }

    /// Channels of the operator's result (the bias size).
    fn result_channels(&self) -> usize {
        if self.transposed {
            self.c_in
        } else {
            self.c_out
        }
    }

    /// Spatial positions per channel of the operator's result.
    fn result_positions(&self) -> usize {
        if self.transposed {
            self.h * self.w
        } else {
            self.positions()
        }
    }
}

/// PyTorch's legacy tensor type name (`torch.FloatTensor`) used in the
/// convolution dtype messages.
/// BFloat16 and the complex dtypes have no legacy Python class: PyTorch
/// prints their backend type instead (observed in torch 2.15:
/// `CPUBFloat16Type`, `CPUComplexFloatType`).
fn legacy_type(dtype: DType) -> String {
    match dtype {
        DType::BFloat16 | DType::Complex64 | DType::Complex128 => {
            format!("CPU{}Type", dtype.scalar_type_name())
        }
        _ => format!("torch.{}Tensor", dtype.scalar_type_name()),
    }
}

/// An `int[]` argument expanded to `n` entries (a single value repeats),
/// with PyTorch's message naming it by its position (stride, padding,
/// dilation, transposed, output_padding from `convolution`'s argument 3,
/// `convolution_backward`'s 4).
pub(super) fn expand_list(a: &Args<'_>, i: usize, n: usize) -> Result<Vec<i64>> {
    let v = a.int_list(i)?;
    match v.len() {
        1 => Ok(vec![v[0]; n]),
        len if len == n => Ok(v),
        _ => {
            // convolution's stride is argument 3, convolution_backward's 4.
            let first = if a.op.contains("backward") { 4 } else { 3 };
            let name = [
                "stride",
                "padding",
                "dilation",
                "transposed",
                "output_padding",
            ]
            .get(i.wrapping_sub(first))
            .copied()
            .unwrap_or("argument");
            Err(RuntimeError::shape(
                a.op,
                format!(
                    "expected {name} to be a single integer value or a list of {n} values to match the convolution dimensions, but got {name}={v:?}"
                ),
            ))
        }
    }
}

/// Stride, padding, dilation (as 2-d lists) and groups, checked with
/// PyTorch's messages.
fn params(a: &Args<'_>, first: usize, spatial: usize) -> Result<([i64; 2], [i64; 2], [i64; 2])> {
    let stride = expand_list(a, first, spatial)?;
    let padding = expand_list(a, first + 1, spatial)?;
    let dilation = expand_list(a, first + 2, spatial)?;
    if stride.iter().any(|&s| s <= 0) {
        return Err(RuntimeError::shape(
            a.op,
            "non-positive stride is not supported",
        ));
    }
    if padding.iter().any(|&p| p < 0) {
        return Err(RuntimeError::shape(
            a.op,
            "negative padding is not supported",
        ));
    }
    if dilation.iter().any(|&d| d <= 0) {
        return Err(RuntimeError::shape(
            a.op,
            "dilation should be greater than zero",
        ));
    }
    let two = |v: &[i64]| {
        if spatial == 2 {
            [v[0], v[1]]
        } else {
            [1, v[0]]
        }
    };
    let pad = |v: &[i64]| {
        if spatial == 2 {
            [v[0], v[1]]
        } else {
            [0, v[0]]
        }
    };
    Ok((two(&stride), pad(&padding), two(&dilation)))
}

fn dims(shape: &[i64]) -> Vec<usize> {
    shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect()
}

/// Checks the operands of a convolution (PyTorch's `check_shape_forward`
/// messages) and computes its geometry. `args` at `first` are stride,
/// padding, dilation; `transposed` and `groups` follow as in the schema.
fn geometry(
    a: &Args<'_>,
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    first: usize,
) -> Result<Geometry> {
    let op = a.op;
    let groups = a.int(first + 5)?;
    if groups <= 0 {
        return Err(RuntimeError::shape(
            op,
            "non-positive groups is not supported",
        ));
    }
    let ndim = weight.dim();
    if !(3..=4).contains(&ndim) {
        return Err(RuntimeError::unsupported(
            op,
            format!("a {}-d convolution", ndim.saturating_sub(2)),
        ));
    }
    // PyTorch expands the lists to the weight's spatial rank first.
    for i in [0, 1, 2, 4] {
        expand_list(a, first + i, ndim - 2)?;
    }
    if input.dim() != ndim {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected {ndim}-dimensional input for {ndim}-dimensional weight {:?}, but got {}-dimensional input of size {:?} instead",
                weight.shape(),
                input.dim(),
                input.shape()
            ),
        ));
    }
    let spatial = ndim - 2;
    let (stride, padding, dilation) = params(a, first, spatial)?;
    let (x, k) = (dims(input.shape()), dims(weight.shape()));
    let g = groups as usize;
    if k[0] % g != 0 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size [{:?}] instead",
                weight.shape()
            ),
        ));
    }
    if a.bool(first + 3)? {
        let output_padding = expand_list(a, first + 4, spatial)?;
        let output_padding = if spatial == 2 {
            [output_padding[0], output_padding[1]]
        } else {
            [0, output_padding[0]]
        };
        let p = ConvParams {
            stride,
            padding,
            dilation,
            output_padding,
            groups: g,
            spatial,
        };
        return transposed_geometry(op, input, weight, bias, &p);
    }
    if x[1] != k[1] * g {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given groups={groups}, weight of size {:?}, expected input{:?} to have {} channels, but got {} channels instead",
                weight.shape(),
                input.shape(),
                k[1] * g,
                x[1]
            ),
        ));
    }
    if let Some(b) = bias
        && (b.dim() != 1 || b.shape()[0] != weight.shape()[0])
    {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given weight of size {:?}, expected bias to be 1-dimensional with {} elements, but got bias of size {:?} instead",
                weight.shape(),
                k[0],
                b.shape()
            ),
        ));
    }
    let (h, w, kh, kw) = if spatial == 2 {
        (x[2], x[3], k[2], k[3])
    } else {
        (1, x[2], 1, k[2])
    };
    let padded = [h as i64 + 2 * padding[0], w as i64 + 2 * padding[1]];
    let effective = [
        dilation[0] * (kh as i64 - 1) + 1,
        dilation[1] * (kw as i64 - 1) + 1,
    ];
    if padded[0] < effective[0] || padded[1] < effective[1] {
        let (p, e) = if spatial == 2 {
            (
                format!("{} x {}", padded[0], padded[1]),
                format!("{} x {}", effective[0], effective[1]),
            )
        } else {
            (padded[1].to_string(), effective[1].to_string())
        };
        return Err(RuntimeError::shape(
            op,
            format!(
                "Calculated padded input size per channel: ({p}). Kernel size: ({e}). Kernel size can't be greater than actual input size"
            ),
        ));
    }
    let out = |i: usize| ((padded[i] - effective[i]) / stride[i] + 1) as usize;
    let u = |v: i64| v as usize;
    Ok(Geometry {
        batch: x[0],
        c_in: x[1],
        h,
        w,
        c_out: k[0],
        kh,
        kw,
        oh: out(0),
        ow: out(1),
        stride: [u(stride[0]), u(stride[1])],
        padding: [u(padding[0]), u(padding[1])],
        dilation: [u(dilation[0]), u(dilation[1])],
        groups: g,
        spatial,
        transposed: false,
    })
}

/// Stride, padding, dilation, output padding (2-d) and groups.
struct ConvParams {
    stride: [i64; 2],
    padding: [i64; 2],
    dilation: [i64; 2],
    output_padding: [i64; 2],
    groups: usize,
    spatial: usize,
}

/// The geometry of a transposed convolution (weight `(C_in, C_out/g, ..)`):
/// the regular convolution from its output back to its input.
fn transposed_geometry(
    op: &str,
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    p: &ConvParams,
) -> Result<Geometry> {
    let (x, k) = (dims(input.shape()), dims(weight.shape()));
    if x[1] != k[0] {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given transposed=1, weight of size {:?}, expected input{:?} to have {} channels, but got {} channels instead",
                weight.shape(),
                input.shape(),
                k[0],
                x[1]
            ),
        ));
    }
    let c_out = k[1] * p.groups;
    if let Some(b) = bias
        && (b.dim() != 1 || b.shape()[0] != c_out as i64)
    {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given transposed=1, weight of size {:?}, expected bias to be 1-dimensional with {c_out} elements, but got bias of size {:?} instead",
                weight.shape(),
                b.shape()
            ),
        ));
    }
    for i in 0..2 {
        let op_i = p.output_padding[i];
        if op_i < 0 || (op_i >= p.stride[i] && op_i >= p.dilation[i]) {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "output padding must be smaller than either stride or dilation, but got output_padding: {op_i}, stride: {}, dilation: {}",
                    p.stride[i], p.dilation[i]
                ),
            ));
        }
    }
    let (h, w, kh, kw) = if p.spatial == 2 {
        (x[2], x[3], k[2], k[3])
    } else {
        (1, x[2], 1, k[2])
    };
    let size = |i: usize, n: usize, kernel: usize| {
        (n as i64 - 1) * p.stride[i] - 2 * p.padding[i]
            + p.dilation[i] * (kernel as i64 - 1)
            + p.output_padding[i]
            + 1
    };
    let (oh, ow) = (size(0, h, kh), size(1, w, kw));
    if oh <= 0 || ow <= 0 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given input size per channel: ({h} x {w}). Calculated output size per channel: ({oh} x {ow}). Output size is too small"
            ),
        ));
    }
    let u = |v: i64| v as usize;
    Ok(Geometry {
        batch: x[0],
        c_in: c_out,
        h: u(oh),
        w: u(ow),
        c_out: k[0],
        kh,
        kw,
        oh: h,
        ow: w,
        stride: p.stride.map(u),
        padding: p.padding.map(u),
        dilation: p.dilation.map(u),
        groups: p.groups,
        spatial: p.spatial,
        transposed: true,
    })
}

/// The common dtype of input, weight and bias, with PyTorch's messages:
/// the bias first, its dtypes printed as C++ type names (observed in torch
/// 2.15: "Input type (float) and bias type (double) should be the same"
/// whatever the backend), then the weight as oneDNN's and the depthwise
/// kernels' check prints it (legacy type names; a complex input goes
/// through the complex decomposition, whose message stops after "should be
/// the same"). [`convolution`] reports a weight mismatch on the `Slow2d`
/// path its own way first.
pub(super) fn check_dtypes(
    op: &str,
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
) -> Result<DType> {
    if let Some(b) = bias
        && b.dtype() != input.dtype()
    {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "Input type ({}) and bias type ({}) should be the same",
                input.dtype().type_meta_name(),
                b.dtype().type_meta_name()
            ),
        });
    }
    if weight.dtype() != input.dtype() {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "Input type ({}) and weight type ({}) should be the same{}",
                legacy_type(input.dtype()),
                legacy_type(weight.dtype()),
                if input.dtype().is_complex() {
                    ""
                } else {
                    " or input should be a MKLDNN tensor and weight is a dense tensor"
                }
            ),
        });
    }
    Ok(input.dtype())
}

/// A weight whose dtype differs from the input's, on a convolution PyTorch
/// runs on its `Slow2d` loops (see [`backward_on_slow2d`]: float64 and
/// integer inputs, small float32 ones): the loops' typed read fails first
/// (observed in torch 2.15: a float32 1x2x4x4 input under a float64 3x3
/// weight says "expected scalar type Float but found Double", the same
/// pair with a batch of two the oneDNN message).
fn slow2d_weight_dtype(
    ctx: &KernelCtx<'_>,
    input: &Tensor,
    weight: &Tensor,
    geo: &Geometry,
) -> Result<()> {
    if weight.dtype() != input.dtype()
        && !input.dtype().is_complex()
        && !ctx.faults.conv_dtype_message_ignores_backend
        && backward_on_slow2d(ctx, input.dtype(), geo)
    {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "expected scalar type {} but found {}",
                input.dtype().scalar_type_name(),
                weight.dtype().scalar_type_name()
            ),
        });
    }
    Ok(())
}

/// Whether `t` suggests a channels-last layout (PyTorch's
/// `suggest_memory_format`): a 4-d NHWC or 5-d NDHWC stride order by the
/// walk of `is_channels_last_strides_2d`/`_3d`, which also holds for a
/// non-dense view of a channels-last tensor (a crop, a channel chunk) and
/// for a channels-last tensor that is contiguous too (one channel). Kernels
/// that follow it produce results in that format ([`strides_like`]).
pub(super) fn is_channels_last(t: &Tensor) -> bool {
    crate::kernels::join::is_channels_last(t.shape(), t.stride())
}

/// Whether a convolution runs channels-last on `t` (input or weight):
/// PyTorch's `suggest_memory_format`, the strides walk of
/// `is_channels_last_strides_2d`, which also reads a map of one pixel with
/// NHWC strides (`(N, C, 1, 1)` at `(C, 1, C, C)`, a ConvNeXt block's
/// permuted-back output) as channels-last although it is contiguous too.
fn suggests_channels_last(t: &Tensor) -> bool {
    t.dim() == 4 && crate::kernels::join::is_channels_last(t.shape(), t.stride())
}

/// PyTorch's `is_contiguous(ChannelsLast)`: NHWC strides of a 4-d
/// tensor, size-1 dimensions ignored.
fn is_channels_last_contiguous(t: &Tensor) -> bool {
    if t.dim() != 4 {
        return false;
    }
    let (shape, stride) = (t.shape(), t.stride());
    let mut expected = 1i64;
    for d in [1, 3, 2, 0] {
        if shape[d] != 1 {
            if stride[d] != expected {
                return false;
            }
            expected = expected.saturating_mul(shape[d]);
        }
    }
    true
}

/// Whether PyTorch computes a regular 2-d convolution's backward on its
/// `Slow2d` loops with their weight-gradient layout rather than on oneDNN
/// (`use_mkldnn` in `Convolution.cpp`): always for float64 and integer
/// dtypes, and for float32 when its size heuristics prefer the loops (a
/// 1x1 kernel with stride 1, no dilation and a batch under 16 on one
/// thread; or one group, a kernel not larger than 3x3 on some side, a
/// batch of one and at most 20480 input elements). Measured in torch 2.15:
/// float16 and bfloat16 weight gradients come back channels-last like
/// oneDNN's.
fn backward_on_slow2d(ctx: &KernelCtx<'_>, dtype: DType, geo: &Geometry) -> bool {
    if geo.transposed {
        return false;
    }
    match dtype {
        DType::Float32 => {
            let pointwise = geo.kh == 1 && geo.kw == 1;
            let strided = geo.stride != [1, 1];
            let dilated = geo.dilation != [1, 1];
            let threaded =
                strided || dilated || geo.batch >= 16 || !pointwise || ctx.cpu.threads() > 1;
            let elements = geo.batch * geo.c_in * geo.h * geo.w;
            let large =
                geo.groups > 1 || (geo.kh > 3 && geo.kw > 3) || geo.batch > 1 || elements > 20480;
            !(threaded && large)
        }
        DType::Float16 | DType::BFloat16 => false,
        _ => true,
    }
}

/// Whether a channels-last convolution's weight gradient is nevertheless
/// contiguous. PyTorch's `Slow2d` backward lays the weight gradient out
/// as `weight.contiguous(channels_last).suggest_memory_format()`: a weight
/// that already passes as channels-last contiguous without suggesting it
/// (a contiguous `(O, C, 1, 1)` pointwise or `(O, 1, kh, kw)` depthwise
/// weight) keeps a contiguous gradient; oneDNN always returns a
/// channels-last one.
fn keeps_contiguous_weight_grad(
    ctx: &KernelCtx<'_>,
    dtype: DType,
    geo: &Geometry,
    weight: &Tensor,
) -> bool {
    !ctx.faults.conv_slow2d_channels_last_weight_grad
        && backward_on_slow2d(ctx, dtype, geo)
        && is_channels_last_contiguous(weight)
        && !suggests_channels_last(weight)
}

/// NHWC strides of a 4-d shape.
fn channels_last_strides(shape: &[i64]) -> Vec<i64> {
    let s = |i: usize| shape[i].max(1);
    vec![s(1) * s(2) * s(3), 1, s(3) * s(1), s(1)]
}

/// Strides of a result shaped like `shape`: channels-last (NHWC for a 4-d
/// shape, NDHWC for a 5-d one) when `channels_last`, else contiguous.
pub(super) fn strides_like(shape: &[i64], channels_last: bool) -> Vec<i64> {
    match shape.len() {
        4 if channels_last => channels_last_strides(shape),
        5 if channels_last => channels_last_3d_strides(shape),
        _ => contiguous_strides(shape),
    }
}

/// NDHWC strides of a 5-d shape (sizes of 0 count as 1, as in
/// [`channels_last_strides`]).
fn channels_last_3d_strides(shape: &[i64]) -> Vec<i64> {
    let s = |i: usize| shape[i].max(1);
    let (c, d, h, w) = (s(1), s(2), s(3), s(4));
    vec![c * d * h * w, 1, h * w * c, w * c, c]
}

/// im2col of batch element `n`, group `g`: `patch x positions` values.
pub(super) fn im2col(x: &[f64], geo: &Geometry, n: usize, g: usize, cols: &mut [f64]) {
    let plane = geo.h * geo.w;
    let base = (n * geo.c_in + g * geo.c_group()) * plane;
    let positions = geo.positions();
    for c in 0..geo.c_group() {
        for i in 0..geo.kh {
            for j in 0..geo.kw {
                let row = (c * geo.kh + i) * geo.kw + j;
                let dst = &mut cols[row * positions..(row + 1) * positions];
                fill_patch_row(x, geo, base + c * plane, i, j, dst);
            }
        }
    }
}

/// The input offset of output position `(oy, ox)` under kernel tap `(i, j)`,
/// or `None` when it falls into the padding.
fn tap(geo: &Geometry, oy: usize, ox: usize, i: usize, j: usize) -> Option<usize> {
    let y = (oy * geo.stride[0] + i * geo.dilation[0]).checked_sub(geo.padding[0])?;
    let x = (ox * geo.stride[1] + j * geo.dilation[1]).checked_sub(geo.padding[1])?;
    (y < geo.h && x < geo.w).then_some(y * geo.w + x)
}

fn fill_patch_row(x: &[f64], geo: &Geometry, plane: usize, i: usize, j: usize, dst: &mut [f64]) {
    for oy in 0..geo.oh {
        for ox in 0..geo.ow {
            dst[oy * geo.ow + ox] = tap(geo, oy, ox, i, j)
                .and_then(|at| x.get(plane + at).copied())
                .unwrap_or(0.0);
        }
    }
}

/// col2im of batch element `n`, group `g`: adds `cols` back into `dx`.
pub(super) fn col2im(cols: &[f64], geo: &Geometry, n: usize, g: usize, dx: &mut [f64]) {
    col2im_rounded(cols, geo, n, g, dx, |v| v);
}

/// [`col2im`] with each sum passed through `round` as it is stored (the
/// element dtype's rounding, for a kernel that accumulates in it).
pub(super) fn col2im_rounded(
    cols: &[f64],
    geo: &Geometry,
    n: usize,
    g: usize,
    dx: &mut [f64],
    round: impl Fn(f64) -> f64,
) {
    let plane = geo.h * geo.w;
    let base = (n * geo.c_in + g * geo.c_group()) * plane;
    let positions = geo.positions();
    for c in 0..geo.c_group() {
        for i in 0..geo.kh {
            for j in 0..geo.kw {
                let row = (c * geo.kh + i) * geo.kw + j;
                let src = &cols[row * positions..(row + 1) * positions];
                for oy in 0..geo.oh {
                    for ox in 0..geo.ow {
                        if let Some(at) = tap(geo, oy, ox, i, j)
                            && let Some(d) = dx.get_mut(base + c * plane + at)
                        {
                            *d = round(*d + src[oy * geo.ow + ox]);
                        }
                    }
                }
            }
        }
    }
}

/// The forward values (logical NCHW order).
pub(super) fn forward_values(
    geo: &Geometry,
    x: &[f64],
    w: &[f64],
    bias: Option<&[f64]>,
) -> Vec<f64> {
    let (og, positions, patch) = (geo.o_group(), geo.positions(), geo.patch());
    let mut out = vec![0.0; geo.batch * geo.c_out * positions];
    let mut cols = vec![0.0; patch * positions];
    for n in 0..geo.batch {
        for g in 0..geo.groups {
            im2col(x, geo, n, g, &mut cols);
            let start = (n * geo.c_out + g * og) * positions;
            let dst = &mut out[start..start + og * positions];
            let wg = &w[g * og * patch..(g + 1) * og * patch];
            gemm_acc(
                Mat::new(wg, og, patch),
                Mat::new(&cols, patch, positions),
                dst,
            );
        }
    }
    if let Some(b) = bias {
        add_bias(&mut out, b, positions);
    }
    out
}

/// Adds `bias[c]` to every position of channel `c` (NC.. layout).
fn add_bias(out: &mut [f64], bias: &[f64], positions: usize) {
    let channels = bias.len().max(1);
    for (chunk, i) in out.chunks_mut(positions.max(1)).zip(0..) {
        let b = bias.get(i % channels).copied().unwrap_or(0.0);
        chunk.iter_mut().for_each(|v| *v += b);
    }
}

/// Argument `i` as an optional tensor.
pub(super) fn opt_tensor<'a>(a: &Args<'a>, i: usize) -> Result<Option<&'a Tensor>> {
    match a.values.get(i) {
        None | Some(IValue::None) => Ok(None),
        _ => a.tensor(i).map(Some),
    }
}

/// `convolution(input, weight, bias, stride, padding, dilation, transposed,
/// output_padding, groups)`.
pub(crate) fn convolution(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (input, weight) = (a.tensor(0)?, a.tensor(1)?);
    if weight.dim() == 5 {
        return super::conv3d::convolution(ctx, a);
    }
    let bias = opt_tensor(&a, 2)?;
    ctx.check(input, "input")?;
    ctx.check(weight, "weight")?;
    if let Some(b) = bias {
        ctx.check(b, "bias")?;
    }
    if weight.dtype() != input.dtype() && bias.is_none_or(|b| b.dtype() == input.dtype()) {
        let geo = geometry(&a, input, weight, bias, 3)?;
        slow2d_weight_dtype(ctx, input, weight, &geo)?;
    }
    let dtype = check_dtypes(ctx.op, input, weight, bias)?;
    let geo = geometry(&a, input, weight, bias, 3)?;
    let shape = geo.result_shape();
    let strides = strides_like(
        &shape,
        suggests_channels_last(input) || suggests_channels_last(weight),
    );
    let plan = float16_plan(ctx, dtype, &geo, input, weight);
    let out = ctx.output(&shape, &strides, dtype, || {
        let x = input.read_f64(ctx.op)?;
        let w = weight.read_f64(ctx.op)?;
        let b = bias.map(|b| b.read_f64(ctx.op)).transpose()?;
        if let Some(plan) = plan {
            Ok(float16::forward(&geo, &x, &w, b.as_deref(), plan))
        } else if let Some(plan) = transposed_float16_plan(ctx, dtype, &geo, input, weight) {
            let mut y = float16::input_grad(&geo, &x, &w, plan);
            if let Some(b) = b {
                float16::add_bias(&mut y, &b, geo.result_positions());
            }
            Ok(y)
        } else if geo.transposed {
            let mut y = input_grad(&geo, &x, &w);
            if let Some(b) = b {
                add_bias(&mut y, &b, geo.result_positions());
            }
            Ok(y)
        } else {
            Ok(forward_values(&geo, &x, &w, b.as_deref()))
        }
    })?;
    Ok(vec![out.into()])
}

/// The input gradient of the (regular) convolution from `dy`
/// (`W[group]ᵀ @ dy[n, group]`, scattered back through the patches).
pub(super) fn input_grad(geo: &Geometry, dy: &[f64], w: &[f64]) -> Vec<f64> {
    let (og, positions, patch) = (geo.o_group(), geo.positions(), geo.patch());
    let mut dx = vec![0.0; geo.batch * geo.c_in * geo.h * geo.w];
    let mut cols = vec![0.0; patch * positions];
    for n in 0..geo.batch {
        for g in 0..geo.groups {
            let start = (n * geo.c_out + g * og) * positions;
            let dyg = Mat::new(&dy[start..start + og * positions], og, positions);
            let wg = &w[g * og * patch..(g + 1) * og * patch];
            cols.iter_mut().for_each(|v| *v = 0.0);
            gemm_acc(Mat::t(wg, patch, og), dyg, &mut cols);
            col2im(&cols, geo, n, g, &mut dx);
        }
    }
    dx
}

/// The weight gradient of the (regular) convolution of `x` from `dy`
/// (`Σ_n dy[n, group] @ cols(x[n, group])ᵀ`).
pub(super) fn weight_grad(geo: &Geometry, dy: &[f64], x: &[f64]) -> Vec<f64> {
    let (og, positions, patch) = (geo.o_group(), geo.positions(), geo.patch());
    let mut dw = vec![0.0; geo.c_out * patch];
    let mut cols = vec![0.0; patch * positions];
    for n in 0..geo.batch {
        for g in 0..geo.groups {
            let start = (n * geo.c_out + g * og) * positions;
            let dyg = Mat::new(&dy[start..start + og * positions], og, positions);
            im2col(x, geo, n, g, &mut cols);
            let dwg = &mut dw[g * og * patch..(g + 1) * og * patch];
            gemm_acc(dyg, Mat::t(&cols, positions, patch), dwg);
        }
    }
    dw
}

/// The float16 loops' plan for a regular float16 convolution (PyTorch's
/// `Slow2d` arithmetic, [`float16`]); `None` for other dtypes, transposed
/// convolutions, a CPU whose PyTorch runs float16 convolutions on oneDNN
/// (one rounding, as in f64) and under the `half-conv-float-accumulation`
/// fault.
fn float16_plan(
    ctx: &KernelCtx<'_>,
    dtype: DType,
    geo: &Geometry,
    input: &Tensor,
    weight: &Tensor,
) -> Option<float16::Plan> {
    let onednn = ctx.cpu.float16_conv_onednn && !ctx.faults.half_conv_ignores_onednn;
    let exact = dtype == DType::Float16 && !geo.transposed && !onednn;
    (exact && !ctx.faults.half_conv_float_accumulation).then(|| {
        let channels_last = suggests_channels_last(input) || suggests_channels_last(weight);
        float16::Plan::new(geo, channels_last, ctx.cpu.vectorised())
    })
}

/// The float16 loops' plan for a transposed float16 convolution's forward:
/// PyTorch's `slow_conv_transpose2d` computes it as the regular
/// convolution's input gradient (float16 columns `Wᵀ @ x`, scattered into
/// the plane with a rounding per addition), then adds the bias with one
/// more float16 addition. Measured in torch 2.15 for contiguous inputs
/// (kernels 2 to 4, strides 1 and 2, groups, 1-d), bit-exact; `None` for
/// other dtypes and layouts, a CPU with float16 oneDNN kernels and under
/// the `half-conv-scatter-in-double` fault.
fn transposed_float16_plan(
    ctx: &KernelCtx<'_>,
    dtype: DType,
    geo: &Geometry,
    input: &Tensor,
    weight: &Tensor,
) -> Option<float16::Plan> {
    let contiguous = !suggests_channels_last(input) && !suggests_channels_last(weight);
    let exact = dtype == DType::Float16 && geo.transposed && contiguous;
    let onednn = ctx.cpu.float16_conv_onednn && !ctx.faults.half_conv_ignores_onednn;
    (exact && !onednn && !ctx.faults.half_conv_scatter_in_double)
        .then(|| float16::Plan::new(geo, false, ctx.cpu.vectorised()))
}

/// Input and weight gradients of the operator (each when asked) from its
/// output gradient `dy` and its input `x`, on the float16 loops when
/// `plan` is given.
fn backward_values(
    geo: &Geometry,
    (dy, x, w): (&[f64], &[f64], &[f64]),
    mask: [bool; 2],
    plan: Option<float16::Plan>,
) -> (Vec<f64>, Vec<f64>) {
    let (dx, dw) = if let Some(plan) = plan {
        (
            mask[0].then(|| float16::input_grad(geo, dy, w, plan)),
            mask[1].then(|| float16::weight_grad(geo, dy, x, plan)),
        )
    } else if geo.transposed {
        // The transposed operator's input is the regular convolution's
        // output: its gradient is the regular forward of `dy`.
        (
            mask[0].then(|| forward_values(geo, dy, w, None)),
            mask[1].then(|| weight_grad(geo, x, dy)),
        )
    } else {
        (
            mask[0].then(|| input_grad(geo, dy, w)),
            mask[1].then(|| weight_grad(geo, dy, x)),
        )
    };
    (dx.unwrap_or_default(), dw.unwrap_or_default())
}

/// Argument `i` as a `bool[3]` output mask.
pub(super) fn output_mask(a: &Args<'_>, i: usize) -> Result<[bool; 3]> {
    match a.values.get(i) {
        Some(IValue::BoolList(v)) if v.len() == 3 => Ok([v[0], v[1], v[2]]),
        _ => Err(RuntimeError::shape(a.op, "output_mask must be a bool[3]")),
    }
}

/// `convolution_backward(grad_output, input, weight, bias_sizes, stride,
/// padding, dilation, transposed, output_padding, groups, output_mask)`:
/// `(grad_input, grad_weight, grad_bias)`, `None` where the mask is false.
pub(crate) fn convolution_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (dy, input, weight) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    if weight.dim() == 5 {
        return super::conv3d::convolution_backward(ctx, a);
    }
    ctx.check(dy, "grad_output")?;
    ctx.check(input, "input")?;
    ctx.check(weight, "weight")?;
    let dtype = check_dtypes(ctx.op, input, weight, None)?;
    let geo = geometry(&a, input, weight, None, 4)?;
    if dy.shape() != geo.result_shape().as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of size {:?} does not match the convolution output size {:?}",
                dy.shape(),
                geo.result_shape()
            ),
        ));
    }
    let mask = output_mask(&a, 10)?;
    let channels_last = suggests_channels_last(input) || suggests_channels_last(weight);
    let weight_channels_last =
        channels_last && !keeps_contiguous_weight_grad(ctx, dtype, &geo, weight);
    let plan = float16_plan(ctx, dtype, &geo, input, weight);
    let values = if ctx.has_data() && (mask[0] || mask[1]) {
        let (g, x, w) = (
            dy.read_f64(ctx.op)?,
            input.read_f64(ctx.op)?,
            weight.read_f64(ctx.op)?,
        );
        backward_values(&geo, (&g, &x, &w), [mask[0], mask[1]], plan)
    } else {
        (Vec::new(), Vec::new())
    };
    let (dx, dw) = values;
    let mut out = vec![IValue::None, IValue::None, IValue::None];
    if mask[0] {
        let strides = strides_like(input.shape(), channels_last);
        out[0] = ctx
            .output(input.shape(), &strides, dtype, || Ok(dx))?
            .into();
    }
    if mask[1] {
        let strides = strides_like(weight.shape(), weight_channels_last);
        out[1] = ctx
            .output(weight.shape(), &strides, dtype, || Ok(dw))?
            .into();
    }
    if mask[2] {
        let channels = geo.result_channels();
        out[2] = ctx
            .output(&[channels as i64], &[1], dtype, || {
                let g = dy.read_f64(ctx.op)?;
                let positions = geo.result_positions().max(1);
                if plan.is_some() {
                    return Ok(float16::bias_grad(&geo, &g, channels, positions));
                }
                let mut db = vec![0.0; channels];
                for (chunk, i) in g.chunks(positions).zip(0..) {
                    if let Some(d) = db.get_mut(i % channels.max(1)) {
                        *d += chunk.iter().sum::<f64>();
                    }
                }
                Ok(db)
            })?
            .into();
    }
    Ok(out)
}

#[cfg(test)]
mod behaviour;
mod float16;
#[cfg(test)]
mod float16_calls;

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(h: usize, w: usize, k: usize, stride: usize, pad: usize, dil: usize) -> Geometry {
        let oh = (h + 2 * pad - dil * (k - 1) - 1) / stride + 1;
        let ow = (w + 2 * pad - dil * (k - 1) - 1) / stride + 1;
        Geometry {
            batch: 1,
            c_in: 1,
            h,
            w,
            c_out: 1,
            kh: k,
            kw: k,
            oh,
            ow,
            stride: [stride; 2],
            padding: [pad; 2],
            dilation: [dil; 2],
            groups: 1,
            spatial: 2,
            transposed: false,
        }
    }

    /// The convolution by its definition.
    fn direct(geo: &Geometry, x: &[f64], w: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; geo.oh * geo.ow];
        for oy in 0..geo.oh {
            for ox in 0..geo.ow {
                for i in 0..geo.kh {
                    for j in 0..geo.kw {
                        if let Some(at) = tap(geo, oy, ox, i, j) {
                            out[oy * geo.ow + ox] += x[at] * w[i * geo.kw + j];
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn im2col_product_equals_the_definition() {
        for (stride, pad, dil) in [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 2)] {
            let g = geo(7, 6, 3, stride, pad, dil);
            let x: Vec<f64> = (0..42).map(|v| (v as f64 * 0.37).sin()).collect();
            let w: Vec<f64> = (0..9).map(|v| v as f64 - 4.0).collect();
            let got = forward_values(&g, &x, &w, None);
            let want = direct(&g, &x, &w);
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "{stride} {pad} {dil}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn input_gradient_is_the_adjoint_of_the_forward() {
        // <conv(x), dy> == <x, conv_backward_input(dy)> for any x, dy.
        let g = geo(5, 6, 3, 2, 1, 1);
        let x: Vec<f64> = (0..30).map(|v| (v as f64 * 0.91).cos()).collect();
        let w: Vec<f64> = (0..9).map(|v| (v as f64 * 0.5).sin()).collect();
        let dy: Vec<f64> = (0..g.positions()).map(|v| v as f64 * 0.1 - 0.3).collect();
        let y = forward_values(&g, &x, &w, None);
        let (dx, dw) = backward_values(&g, (&dy, &x, &w), [true, true], None);
        let lhs: f64 = y.iter().zip(&dy).map(|(a, b)| a * b).sum();
        let rhs: f64 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
        let rhs_w: f64 = w.iter().zip(&dw).map(|(a, b)| a * b).sum();
        assert!((lhs - rhs).abs() < 1e-9);
        assert!((lhs - rhs_w).abs() < 1e-9);
    }

    #[test]
    fn transposed_convolution_scatters_each_input_through_the_kernel() {
        // One channel, 1-d: y[ix * stride - pad + j * dil] += x[ix] * w[j].
        let (len, k, stride, pad, dil, out_pad) = (4usize, 3usize, 2usize, 1usize, 1usize, 1usize);
        let out = (len - 1) * stride - 2 * pad + dil * (k - 1) + out_pad + 1;
        let geo = Geometry {
            batch: 1,
            c_in: 1,
            h: 1,
            w: out,
            c_out: 1,
            kh: 1,
            kw: k,
            oh: 1,
            ow: len,
            stride: [1, stride],
            padding: [0, pad],
            dilation: [1, dil],
            groups: 1,
            spatial: 1,
            transposed: true,
        };
        let x = [1.0, -2.0, 0.5, 3.0];
        let w = [0.25, -1.0, 2.0];
        let mut want = vec![0.0; out];
        for (ix, xv) in x.iter().enumerate() {
            for (j, wv) in w.iter().enumerate() {
                let at = (ix * stride + j * dil) as i64 - pad as i64;
                if (0..out as i64).contains(&at) {
                    want[at as usize] += xv * wv;
                }
            }
        }
        assert_eq!(input_grad(&geo, &x, &w), want);
        // Its input gradient is the regular convolution of the output gradient.
        let dy: Vec<f64> = (0..out).map(|v| v as f64 - 2.0).collect();
        let (dx, dw) = backward_values(&geo, (&dy, &x, &w), [true, true], None);
        let lhs: f64 = want.iter().zip(&dy).map(|(a, b)| a * b).sum();
        let rhs: f64 = x.iter().zip(&dx).map(|(a, b)| a * b).sum();
        let rhs_w: f64 = w.iter().zip(&dw).map(|(a, b)| a * b).sum();
        assert!((lhs - rhs).abs() < 1e-12 && (lhs - rhs_w).abs() < 1e-12);
    }
}
