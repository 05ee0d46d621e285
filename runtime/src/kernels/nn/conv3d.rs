//! 3-d convolution (`nn.Conv3d`, `F.conv3d`) and transposed 3-d
//! convolution (`nn.ConvTranspose3d`, `F.conv_transpose3d`): `convolution`
//! and `convolution_backward` with 5-d operands.
//!
//! The depth dimension is a sum of 2-d convolutions: output slice `zo`
//! adds, for every kernel tap `kz` whose input slice
//! `zi = zo·stride + kz·dilation − padding` exists, the 2-d convolution
//! (im2col + matrix product, see [`super::conv`]) of input slice `zi` with
//! weight slice `kz`. Backward distributes the same pairs: input slice
//! `zi` gets the 2-d input gradient of `dy[zo]` through weight slice `kz`,
//! weight slice `kz` the 2-d weight gradient of `dy[zo]` over input slice
//! `zi`.
//!
//! A transposed convolution is, as in [`super::conv`], the adjoint of the
//! regular convolution from its output back to its input: [`Conv3d`] then
//! describes that regular convolution, the operator's forward is its input
//! gradient, its input gradient the regular forward of `dy`, and its weight
//! gradient the regular weight gradient with input and output gradient
//! exchanged. The weight `(C_in, C_out/g, kd, kh, kw)` is already laid out
//! as the regular convolution's `(c_out, c_in/g, ..)`.
//!
//! Observed in torch 2.15 on CPU: float32 transposed 3-d convolutions run
//! oneDNN's (`MkldnnTranspose`) for a batch of two or more and
//! `slow_conv_transpose3d` (GEMM + col2vol) for a batch of one, float64
//! always the latter; both sum in another order than the runtime (which
//! sums in f64 and rounds once), within the replay's summation-order room.
//! Results are laid out as PyTorch's backends lay them out
//! ([`channels_last_result`]): channels_last_3d when an operand suggests
//! that format and the call runs on oneDNN, contiguous otherwise.

use super::conv::{
    Geometry, check_dtypes, expand_list, forward_values, input_grad, opt_tensor, output_mask,
    strides_like, weight_grad,
};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// A 3-d convolution: the 2-d geometry of one depth slice and the depth.
struct Conv3d {
    plane: Geometry,
    batch: usize,
    c_in: usize,
    c_out: usize,
    /// Input depth, kernel depth, output depth.
    d: usize,
    kd: usize,
    od: usize,
    /// Depth stride, padding, dilation.
    depth: [usize; 3],
    /// Input and output plane sizes `h·w`, kernel plane size `kh·kw`,
    /// input channels per group.
    hw: usize,
    ohw: usize,
    khw: usize,
    c_group: usize,
    /// Input plane `[h, w]` of the regular convolution.
    h_w: [usize; 2],
    /// The operator is the transposed convolution: its input has this
    /// geometry's output shape and its output this geometry's input shape.
    transposed: bool,
}

impl Conv3d {
    /// The (output slice, kernel tap, input slice) triples that contribute.
    fn pairs(&self) -> Vec<(usize, usize, usize)> {
        let [stride, padding, dilation] = self.depth;
        let mut out = Vec::new();
        for zo in 0..self.od {
            for kz in 0..self.kd {
                if let Some(zi) = (zo * stride + kz * dilation).checked_sub(padding)
                    && zi < self.d
                {
                    out.push((zo, kz, zi));
                }
            }
        }
        out
    }

    /// `t[:, :, z]` of an `(N, C, D, plane)` buffer as `(N, C, plane)`.
    fn slice(t: &[f64], lead: usize, depth: usize, plane: usize, z: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(lead * plane);
        for l in 0..lead {
            let at = (l * depth + z) * plane;
            out.extend_from_slice(t.get(at..at + plane).unwrap_or(&[]));
        }
        out
    }

    /// `t[:, :, z] += add` (shapes as in [`Conv3d::slice`]).
    fn add_slice(t: &mut [f64], add: &[f64], depth: usize, plane: usize, z: usize) {
        for (l, chunk) in add.chunks(plane.max(1)).enumerate() {
            let at = (l * depth + z) * plane;
            if let Some(dst) = t.get_mut(at..at + chunk.len()) {
                dst.iter_mut().zip(chunk).for_each(|(d, s)| *d += s);
            }
        }
    }

    fn x_slice(&self, x: &[f64], zi: usize) -> Vec<f64> {
        Self::slice(x, self.batch * self.c_in, self.d, self.hw, zi)
    }

    fn w_slice(&self, w: &[f64], kz: usize) -> Vec<f64> {
        Self::slice(w, self.c_out * self.c_group, self.kd, self.khw, kz)
    }

    fn dy_slice(&self, dy: &[f64], zo: usize) -> Vec<f64> {
        Self::slice(dy, self.batch * self.c_out, self.od, self.ohw, zo)
    }

    fn forward(&self, x: &[f64], w: &[f64], bias: Option<&[f64]>) -> Vec<f64> {
        let mut out = vec![0.0; self.batch * self.c_out * self.od * self.ohw];
        for (zo, kz, zi) in self.pairs() {
            let part = forward_values(
                &self.plane,
                &self.x_slice(x, zi),
                &self.w_slice(w, kz),
                None,
            );
            Self::add_slice(&mut out, &part, self.od, self.ohw, zo);
        }
        if let Some(b) = bias {
            let per_channel = self.od * self.ohw;
            for (chunk, i) in out.chunks_mut(per_channel.max(1)).zip(0..) {
                let v = b.get(i % self.c_out.max(1)).copied().unwrap_or(0.0);
                chunk.iter_mut().for_each(|o| *o += v);
            }
        }
        out
    }

    fn backward(&self, dy: &[f64], x: &[f64], w: &[f64], mask: [bool; 2]) -> (Vec<f64>, Vec<f64>) {
        let input_len = self.batch * self.c_in * self.d * self.hw;
        let mut dx = vec![0.0; if mask[0] { input_len } else { 0 }];
        let mut dw = vec![0.0; if mask[1] { w.len() } else { 0 }];
        for (zo, kz, zi) in self.pairs() {
            let g = self.dy_slice(dy, zo);
            if mask[0] {
                let part = input_grad(&self.plane, &g, &self.w_slice(w, kz));
                Self::add_slice(&mut dx, &part, self.d, self.hw, zi);
            }
            if mask[1] {
                let part = weight_grad(&self.plane, &g, &self.x_slice(x, zi));
                Self::add_slice(&mut dw, &part, self.kd, self.khw, kz);
            }
        }
        (dx, dw)
    }

    fn output_shape(&self) -> Vec<i64> {
        let p = &self.plane;
        [self.batch, self.c_out, self.od, p.oh_ow()[0], p.oh_ow()[1]]
            .map(|v| v as i64)
            .to_vec()
    }

    /// The shape the operator returns: the regular convolution's output,
    /// or for a transposed convolution its input.
    fn result_shape(&self) -> Vec<i64> {
        if self.transposed {
            [self.batch, self.c_in, self.d, self.h_w[0], self.h_w[1]]
                .map(|v| v as i64)
                .to_vec()
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

    /// Positions per channel of the operator's result.
    fn result_positions(&self) -> usize {
        if self.transposed {
            self.d * self.hw
        } else {
            self.od * self.ohw
        }
    }

    /// The operator's forward values: the regular convolution, or for a
    /// transposed one the regular input gradient of `x`; plus the bias.
    fn apply(&self, x: &[f64], w: &[f64], bias: Option<&[f64]>) -> Vec<f64> {
        if !self.transposed {
            return self.forward(x, w, bias);
        }
        let (mut out, _) = self.backward(x, &[], w, [true, false]);
        if let Some(b) = bias {
            let channels = self.c_in.max(1);
            for (chunk, i) in out.chunks_mut(self.result_positions().max(1)).zip(0..) {
                let v = b.get(i % channels).copied().unwrap_or(0.0);
                chunk.iter_mut().for_each(|o| *o += v);
            }
        }
        out
    }

    /// The fault `conv_transpose3d_drops_output_padding`: the trailing
    /// `output_padding` planes of a transposed result hold only the bias.
    fn drop_output_padding(&self, y: &mut [f64], output_padding: &[i64], bias: Option<&[f64]>) {
        let size = [self.d, self.h_w[0], self.h_w[1]];
        let keep: Vec<usize> = (0..3)
            .map(|i| size[i].saturating_sub(output_padding.get(i).map_or(0, |&p| p as usize)))
            .collect();
        let positions = self.result_positions().max(1);
        for (at, v) in y.iter_mut().enumerate() {
            let p = at % positions;
            let at_dim = [
                p / self.hw,
                (p % self.hw) / self.h_w[1].max(1),
                p % self.h_w[1].max(1),
            ];
            if (0..3).any(|i| at_dim[i] >= keep[i]) {
                let channel = (at / positions) % self.c_in.max(1);
                *v = bias.and_then(|b| b.get(channel)).copied().unwrap_or(0.0);
            }
        }
    }

    /// The operator's input and weight gradients (each when asked) from
    /// its output gradient `dy` and its input `x`.
    fn gradients(&self, dy: &[f64], x: &[f64], w: &[f64], mask: [bool; 2]) -> (Vec<f64>, Vec<f64>) {
        if !self.transposed {
            return self.backward(dy, x, w, mask);
        }
        // The transposed operator's input is the regular convolution's
        // output: its gradient is the regular forward of `dy`, and the
        // weight gradient pairs `x` (as the output gradient) with `dy`.
        let dx = if mask[0] {
            self.forward(dy, w, None)
        } else {
            Vec::new()
        };
        let dw = if mask[1] {
            self.backward(x, dy, w, [false, true]).1
        } else {
            Vec::new()
        };
        (dx, dw)
    }
}

fn dims(shape: &[i64]) -> Vec<usize> {
    shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect()
}

/// Checks a 3-d convolution's operands (PyTorch's `check_shape_forward`
/// messages, in its order) and computes its geometry; stride, padding,
/// dilation, transposed, output_padding, groups start at `first`.
fn geometry(
    a: &Args<'_>,
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    first: usize,
) -> Result<Conv3d> {
    let op = a.op;
    let transposed = a.bool(first + 3)?;
    let groups = a.int(first + 5)?;
    let stride = expand_list(a, first, 3)?;
    let padding = expand_list(a, first + 1, 3)?;
    let dilation = expand_list(a, first + 2, 3)?;
    let output_padding = expand_list(a, first + 4, 3)?;
    if groups <= 0 {
        return Err(RuntimeError::shape(
            op,
            "non-positive groups is not supported",
        ));
    }
    if padding.iter().any(|&p| p < 0) {
        return Err(RuntimeError::shape(op, "negative padding is not supported"));
    }
    if output_padding.iter().any(|&p| p < 0) {
        return Err(RuntimeError::shape(
            op,
            "negative output_padding is not supported",
        ));
    }
    if stride.iter().any(|&s| s <= 0) {
        return Err(RuntimeError::shape(
            op,
            "non-positive stride is not supported",
        ));
    }
    if dilation.iter().any(|&d| d <= 0) {
        return Err(RuntimeError::shape(
            op,
            "dilation should be greater than zero",
        ));
    }
    if input.dim() != 5 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Expected 5-dimensional input for 5-dimensional weight {:?}, but got {}-dimensional input of size {:?} instead",
                weight.shape(),
                input.dim(),
                input.shape()
            ),
        ));
    }
    let (x, k, g) = (dims(input.shape()), dims(weight.shape()), groups as usize);
    let window = Window {
        stride,
        padding,
        dilation,
        output_padding,
    };
    if transposed {
        return transposed_geometry(op, input, weight, bias, g, &window);
    }
    let Window {
        stride,
        padding,
        dilation,
        ..
    } = window;
    if k[0] % g != 0 || x[1] != k[1] * g {
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
    let padded: Vec<i64> = (0..3).map(|i| x[i + 2] as i64 + 2 * padding[i]).collect();
    let effective: Vec<i64> = (0..3)
        .map(|i| dilation[i] * (k[i + 2] as i64 - 1) + 1)
        .collect();
    if (0..3).any(|i| padded[i] < effective[i]) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Calculated padded input size per channel: ({} x {} x {}). Kernel size: ({} x {} x {}). Kernel size can't be greater than actual input size",
                padded[0], padded[1], padded[2], effective[0], effective[1], effective[2]
            ),
        ));
    }
    let out: Vec<usize> = (0..3)
        .map(|i| ((padded[i] - effective[i]) / stride[i] + 1) as usize)
        .collect();
    let window = Window {
        stride,
        padding,
        dilation,
        output_padding: Vec::new(),
    };
    Ok(Conv3d::regular(
        x[0],
        [x[1], x[2], x[3], x[4]],
        [k[0], k[1], k[2], k[3], k[4]],
        [out[0], out[1], out[2]],
        &window,
        g,
        false,
    ))
}

/// Stride, padding, dilation and output padding, three entries each.
struct Window {
    stride: Vec<i64>,
    padding: Vec<i64>,
    dilation: Vec<i64>,
    output_padding: Vec<i64>,
}

impl Conv3d {
    /// The regular convolution of a `[c_in, d, h, w]` input by a `[c_out,
    /// c_in/g, kd, kh, kw]` weight to an `[od, oh, ow]` output; `transposed`
    /// when the operator is its adjoint.
    fn regular(
        batch: usize,
        input: [usize; 4],
        kernel: [usize; 5],
        out: [usize; 3],
        window: &Window,
        groups: usize,
        transposed: bool,
    ) -> Conv3d {
        let u = |v: &[i64], i: usize| v[i] as usize;
        let (stride, padding, dilation) = (&window.stride, &window.padding, &window.dilation);
        let window2 = [
            [u(stride, 1), u(stride, 2)],
            [u(padding, 1), u(padding, 2)],
            [u(dilation, 1), u(dilation, 2)],
        ];
        let [c_in, d, h, w] = input;
        let [c_out, c_group, kd, kh, kw] = kernel;
        Conv3d {
            plane: Geometry::plane(
                batch,
                [c_in, h, w],
                [c_out, kh, kw],
                [out[1], out[2]],
                window2,
                groups,
            ),
            batch,
            c_in,
            c_out,
            d,
            kd,
            od: out[0],
            depth: [u(stride, 0), u(padding, 0), u(dilation, 0)],
            hw: h * w,
            ohw: out[1] * out[2],
            khw: kh * kw,
            c_group,
            h_w: [h, w],
            transposed,
        }
    }
}

/// The geometry of a transposed 3-d convolution (weight `(C_in, C_out/g,
/// kd, kh, kw)`): the regular convolution from its output back to its
/// input, with PyTorch's messages for its operands.
fn transposed_geometry(
    op: &str,
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    g: usize,
    p: &Window,
) -> Result<Conv3d> {
    let (x, k) = (dims(input.shape()), dims(weight.shape()));
    if k[0] % g != 0 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given groups={g}, expected weight to be divisible by {g} at dimension 0, but got weight of size [{:?}] instead",
                weight.shape()
            ),
        ));
    }
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
    let c_out = k[1] * g;
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
    if (0..3).any(|i| p.output_padding[i] >= p.stride[i] && p.output_padding[i] >= p.dilation[i]) {
        let [od, oh, ow] = [0, 1, 2].map(|i| p.output_padding[i]);
        let [sd, sh, sw] = [0, 1, 2].map(|i| p.stride[i]);
        let [dd, dh, dw] = [0, 1, 2].map(|i| p.dilation[i]);
        return Err(RuntimeError::shape(
            op,
            format!(
                "output padding must be smaller than either stride or dilation, but got output_padding_depth: {od} output_padding_height: {oh} output_padding_width: {ow} stride_depth: {sd} stride_height: {sh} stride_width: {sw} dilation_depth: {dd} dilation_height: {dh} dilation_width: {dw}"
            ),
        ));
    }
    let size: Vec<i64> = (0..3)
        .map(|i| {
            (x[i + 2] as i64 - 1) * p.stride[i] - 2 * p.padding[i]
                + p.dilation[i] * (k[i + 2] as i64 - 1)
                + p.output_padding[i]
                + 1
        })
        .collect();
    if size.iter().any(|&s| s <= 0) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Given input size per channel: ({} x {} x {}). Calculated output size per channel: ({} x {} x {}). Output size is too small",
                x[2], x[3], x[4], size[0], size[1], size[2]
            ),
        ));
    }
    let s = |i: usize| size[i] as usize;
    Ok(Conv3d::regular(
        x[0],
        [c_out, s(0), s(1), s(2)],
        [k[0], k[1], k[2], k[3], k[4]],
        [x[2], x[3], x[4]],
        p,
        g,
        true,
    ))
}

/// Whether a 3-d convolution's result and gradients are channels_last_3d:
/// PyTorch runs the call on oneDNN (`ConvParams::use_mkldnn`: always for
/// float16 and bfloat16; never for float64; for float32 when its size
/// heuristics prefer oneDNN to the slow 3-d loops — a stride, a dilation, a
/// batch of 16 or more, a kernel not 1x1 in its last two dimensions or more
/// than one thread, together with groups, a kernel larger than 3x3 in its
/// last two dimensions, a batch over one or more than 20480 elements in
/// `N·C·D·H`; a transposed call with an output padding not below its
/// stride never) and the input or the weight suggests channels_last_3d.
/// Measured in torch 2.15: the slow loops return contiguous results for
/// any operand layout.
fn channels_last_result(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    input: &Tensor,
    weight: &Tensor,
    first: usize,
) -> Result<bool> {
    let suggests =
        |t: &Tensor| t.dim() == 5 && crate::kernels::join::is_channels_last(t.shape(), t.stride());
    if ctx.faults.conv3d_contiguous_channels_last || !(suggests(input) || suggests(weight)) {
        return Ok(false);
    }
    let stride = expand_list(a, first, 3)?;
    let dilation = expand_list(a, first + 2, 3)?;
    let output_padding = expand_list(a, first + 4, 3)?;
    let groups = a.int(first + 5)?;
    if a.bool(first + 3)? && output_padding.iter().zip(&stride).any(|(p, s)| p >= s) {
        return Ok(false);
    }
    Ok(match input.dtype() {
        DType::Float16 | DType::BFloat16 => true,
        DType::Float32 => {
            let (x, k) = (input.shape(), weight.shape());
            let threaded = stride.iter().any(|&s| s != 1)
                || dilation.iter().any(|&d| d != 1)
                || x[0] >= 16
                || k[4] != 1
                || k[3] != 1
                || ctx.cpu.threads() > 1;
            let large = groups > 1
                || (k[4] > 3 && k[3] > 3)
                || x[0] > 1
                || x[..4].iter().product::<i64>() > 20480;
            threaded && large
        }
        _ => false,
    })
}

/// `convolution` with 5-d operands.
pub(super) fn convolution(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (input, weight) = (a.tensor(0)?, a.tensor(1)?);
    let bias = opt_tensor(&a, 2)?;
    ctx.check(input, "input")?;
    ctx.check(weight, "weight")?;
    if let Some(b) = bias {
        ctx.check(b, "bias")?;
    }
    let dtype = check_dtypes(ctx.op, input, weight, bias)?;
    let conv = geometry(&a, input, weight, bias, 3)?;
    let shape = conv.result_shape();
    let strides = strides_like(&shape, channels_last_result(ctx, &a, input, weight, 3)?);
    let out = ctx.output(&shape, &strides, dtype, || {
        let (x, w) = (input.read_f64(ctx.op)?, weight.read_f64(ctx.op)?);
        let b = bias.map(|b| b.read_f64(ctx.op)).transpose()?;
        let mut y = conv.apply(&x, &w, b.as_deref());
        if conv.transposed && ctx.faults.conv_transpose3d_drops_output_padding {
            conv.drop_output_padding(&mut y, &expand_list(&a, 7, 3)?, b.as_deref());
        }
        Ok(y)
    })?;
    Ok(vec![out.into()])
}

/// `convolution_backward` with 5-d operands.
pub(super) fn convolution_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (dy, input, weight) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(dy, "grad_output")?;
    ctx.check(input, "input")?;
    ctx.check(weight, "weight")?;
    let dtype = check_dtypes(ctx.op, input, weight, None)?;
    let conv = geometry(&a, input, weight, None, 4)?;
    if dy.shape() != conv.result_shape().as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of size {:?} does not match the convolution output size {:?}",
                dy.shape(),
                conv.result_shape()
            ),
        ));
    }
    let mask = output_mask(&a, 10)?;
    let channels_last = channels_last_result(ctx, &a, input, weight, 4)?;
    let (dx, dw) = if ctx.has_data() && (mask[0] || mask[1]) {
        let (g, x, w) = (
            dy.read_f64(ctx.op)?,
            input.read_f64(ctx.op)?,
            weight.read_f64(ctx.op)?,
        );
        conv.gradients(&g, &x, &w, [mask[0], mask[1]])
    } else {
        (Vec::new(), Vec::new())
    };
    let mut out = vec![IValue::None, IValue::None, IValue::None];
    if mask[0] {
        out[0] = ctx
            .output(
                input.shape(),
                &strides_like(input.shape(), channels_last),
                dtype,
                || Ok(dx),
            )?
            .into();
    }
    if mask[1] {
        out[1] = ctx
            .output(
                weight.shape(),
                &strides_like(weight.shape(), channels_last),
                dtype,
                || Ok(dw),
            )?
            .into();
    }
    if mask[2] {
        let channels = conv.result_channels();
        out[2] = ctx
            .output(&[channels as i64], &[1], dtype, || {
                let g = dy.read_f64(ctx.op)?;
                let per_channel = conv.result_positions().max(1);
                let mut db = vec![0.0; channels];
                for (chunk, i) in g.chunks(per_channel).zip(0..) {
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
mod tests {
    use super::*;
    use crate::tensor::strides::contiguous_strides;

    /// A transposed convolution's parameters: batch, input channels,
    /// output channels per group, groups, input size, kernel, stride,
    /// padding, dilation, output padding.
    struct Case {
        batch: usize,
        c_in: usize,
        o_group: usize,
        groups: usize,
        size: [usize; 3],
        kernel: [usize; 3],
        stride: [usize; 3],
        padding: [usize; 3],
        dilation: [usize; 3],
        output_padding: [usize; 3],
    }

    impl Case {
        fn out(&self) -> [usize; 3] {
            [0, 1, 2].map(|i| {
                (self.size[i] - 1) * self.stride[i]
                    + self.dilation[i] * (self.kernel[i] - 1)
                    + self.output_padding[i]
                    + 1
                    - 2 * self.padding[i]
            })
        }

        fn conv(&self) -> Conv3d {
            let i64s = |v: [usize; 3]| v.iter().map(|&x| x as i64).collect();
            let window = Window {
                stride: i64s(self.stride),
                padding: i64s(self.padding),
                dilation: i64s(self.dilation),
                output_padding: i64s(self.output_padding),
            };
            let out = self.out();
            let [kd, kh, kw] = self.kernel;
            Conv3d::regular(
                self.batch,
                [self.o_group * self.groups, out[0], out[1], out[2]],
                [self.c_in, self.o_group, kd, kh, kw],
                self.size,
                &window,
                self.groups,
                true,
            )
        }

        /// The transposed convolution by its definition: every input
        /// element scattered through the kernel.
        fn direct(&self, x: &[f64], w: &[f64], bias: &[f64]) -> Vec<f64> {
            let out = self.out();
            let c_out = self.o_group * self.groups;
            let i_group = self.c_in / self.groups;
            let positions = out.iter().product::<usize>();
            let mut y = vec![0.0; self.batch * c_out * positions];
            for (i, v) in y.iter_mut().enumerate() {
                *v = bias[(i / positions) % c_out];
            }
            let [d, h, wd] = self.size;
            let [kd, kh, kw] = self.kernel;
            for n in 0..self.batch {
                for ci in 0..self.c_in {
                    let g = ci / i_group;
                    for co in 0..self.o_group {
                        let oc = g * self.o_group + co;
                        for (z, yy, xx) in itertools(d, h, wd) {
                            let xv = x[(((n * self.c_in + ci) * d + z) * h + yy) * wd + xx];
                            for (a, b, c) in itertools(kd, kh, kw) {
                                let wv = w[(((ci * self.o_group + co) * kd + a) * kh + b) * kw + c];
                                let at = [(z, a), (yy, b), (xx, c)]
                                    .iter()
                                    .enumerate()
                                    .map(|(i, &(p, t))| {
                                        (p * self.stride[i] + t * self.dilation[i]) as i64
                                            - self.padding[i] as i64
                                    })
                                    .collect::<Vec<_>>();
                                if (0..3).all(|i| (0..out[i] as i64).contains(&at[i])) {
                                    let [oz, oy, ox] = [0, 1, 2].map(|i| at[i] as usize);
                                    y[(((n * c_out + oc) * out[0] + oz) * out[1] + oy) * out[2]
                                        + ox] += xv * wv;
                                }
                            }
                        }
                    }
                }
            }
            y
        }
    }

    fn itertools(a: usize, b: usize, c: usize) -> Vec<(usize, usize, usize)> {
        let mut v = Vec::new();
        for i in 0..a {
            for j in 0..b {
                for k in 0..c {
                    v.push((i, j, k));
                }
            }
        }
        v
    }

    fn values(n: usize, seed: f64) -> Vec<f64> {
        (0..n).map(|i| ((i as f64 + seed) * 0.731).sin()).collect()
    }

    fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn cases() -> Vec<Case> {
        vec![
            // A U-Net's upsampling: kernel 2, stride 2.
            Case {
                batch: 2,
                c_in: 4,
                o_group: 2,
                groups: 1,
                size: [2, 3, 2],
                kernel: [2, 2, 2],
                stride: [2, 2, 2],
                padding: [0, 0, 0],
                dilation: [1, 1, 1],
                output_padding: [0, 0, 0],
            },
            // Anisotropic everything, groups, output padding below the
            // stride and (depth) below the dilation.
            Case {
                batch: 1,
                c_in: 4,
                o_group: 3,
                groups: 2,
                size: [3, 2, 4],
                kernel: [3, 2, 3],
                stride: [1, 3, 2],
                padding: [1, 0, 2],
                dilation: [2, 1, 2],
                output_padding: [1, 2, 1],
            },
        ]
    }

    #[test]
    fn transposed_forward_scatters_each_input_through_the_kernel() {
        for case in cases() {
            let conv = case.conv();
            let x = values(
                case.batch * case.c_in * case.size.iter().product::<usize>(),
                0.0,
            );
            let w = values(
                case.c_in * case.o_group * case.kernel.iter().product::<usize>(),
                3.0,
            );
            let bias = values(case.o_group * case.groups, 7.0);
            let got = conv.apply(&x, &w, Some(&bias));
            let want = case.direct(&x, &w, &bias);
            let out = case.out();
            assert_eq!(
                conv.result_shape(),
                [
                    case.batch,
                    case.o_group * case.groups,
                    out[0],
                    out[1],
                    out[2]
                ]
                .map(|v| v as i64)
                .to_vec()
            );
            assert_eq!(got.len(), want.len());
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn transposed_gradients_are_the_adjoints_of_the_forward() {
        // <T(x, w), dy> == <x, dT/dx(dy)> == <w, dT/dw(dy)>, and the bias
        // gradient sums dy per output channel.
        for case in cases() {
            let conv = case.conv();
            let x = values(
                case.batch * case.c_in * case.size.iter().product::<usize>(),
                1.0,
            );
            let w = values(
                case.c_in * case.o_group * case.kernel.iter().product::<usize>(),
                5.0,
            );
            let y = conv.apply(&x, &w, None);
            let dy = values(y.len(), 11.0);
            let (dx, dw) = conv.gradients(&dy, &x, &w, [true, true]);
            assert_eq!((dx.len(), dw.len()), (x.len(), w.len()));
            let lhs = dot(&y, &dy);
            assert!((lhs - dot(&x, &dx)).abs() < 1e-9 * lhs.abs().max(1.0));
            assert!((lhs - dot(&w, &dw)).abs() < 1e-9 * lhs.abs().max(1.0));
            let (only_w_dx, only_w) = conv.gradients(&dy, &x, &w, [false, true]);
            assert!(only_w_dx.is_empty());
            assert_eq!(only_w, dw);
        }
    }

    /// `convolution(x, w, None, stride, padding, dilation, transposed=True,
    /// output_padding, groups)` through the runtime.
    fn transposed_call(
        x: &[i64],
        w: &[i64],
        lists: [&[i64]; 4],
        groups: i64,
    ) -> std::result::Result<Vec<IValue>, String> {
        use crate::tensor::dtype::DType;
        let tensor = |shape: &[i64]| {
            let n: i64 = shape.iter().product();
            let v: Vec<f64> = (0..n).map(|i| (i % 5) as f64 - 2.0).collect();
            Tensor::from_f64(
                "test",
                shape,
                &contiguous_strides(shape),
                DType::Float32,
                &v,
            )
            .expect("tensor")
        };
        let [stride, padding, dilation, output_padding] = lists;
        crate::runtime::Runtime::new()
            .call(
                "aten.convolution.default",
                vec![
                    tensor(x).into(),
                    tensor(w).into(),
                    IValue::None,
                    IValue::IntList(stride.to_vec()),
                    IValue::IntList(padding.to_vec()),
                    IValue::IntList(dilation.to_vec()),
                    IValue::Bool(true),
                    IValue::IntList(output_padding.to_vec()),
                    IValue::Int(groups),
                ],
            )
            .map_err(|e| e.to_string())
    }

    /// A weight shape, stride/padding/dilation/output_padding, groups and
    /// the message PyTorch refuses them with.
    type Refusal<'a> = (&'a [i64], [&'a [i64]; 4], i64, &'a str);

    #[test]
    fn transposed_refusals_are_pytorchs() {
        // Messages as torch 2.15 raises them for F.conv_transpose3d.
        let x = [1, 4, 3, 4, 5];
        let w = [4, 3, 2, 2, 2];
        let one: &[i64] = &[1, 1, 1];
        let zero: &[i64] = &[0, 0, 0];
        let two: &[i64] = &[2, 2, 2];
        let cases: [Refusal<'_>; 8] = [
            (
                &w,
                [two, zero, one, two],
                1,
                "output padding must be smaller than either stride or dilation, but got output_padding_depth: 2 output_padding_height: 2 output_padding_width: 2 stride_depth: 2 stride_height: 2 stride_width: 2 dilation_depth: 1 dilation_height: 1 dilation_width: 1",
            ),
            (
                &w,
                [one, zero, one, &[0, 0, 1]],
                1,
                "output_padding_width: 1 stride_depth: 1",
            ),
            (
                &[3, 3, 2, 2, 2],
                [one, zero, one, zero],
                1,
                "Given transposed=1, weight of size [3, 3, 2, 2, 2], expected input[1, 4, 3, 4, 5] to have 3 channels, but got 4 channels instead",
            ),
            (
                &[4, 3, 2, 2],
                [one, zero, one, zero],
                1,
                "expected stride to be a single integer value or a list of 2 values to match the convolution dimensions, but got stride=[1, 1, 1]",
            ),
            (
                &w,
                [one, zero, one, zero],
                3,
                "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size [[4, 3, 2, 2, 2]] instead",
            ),
            (
                &w,
                [one, &[3, 0, 0], one, zero],
                1,
                "Given input size per channel: (3 x 4 x 5). Calculated output size per channel: (-2 x 5 x 6). Output size is too small",
            ),
            (
                &w,
                [&[0, 1, 1], zero, one, &[-1, 0, 0]],
                1,
                "negative output_padding is not supported",
            ),
            (
                &w,
                [&[0, 1, 1], &[-1, 0, 0], one, zero],
                1,
                "negative padding is not supported",
            ),
        ];
        for (weight, lists, groups, want) in cases {
            let msg = transposed_call(&x, weight, lists, groups).expect_err("a refusal");
            assert!(msg.contains(want), "{msg}\nwant: {want}");
        }
        // Output padding below the dilation (not the stride) is accepted.
        let out = transposed_call(&x, &w, [one, zero, two, &[1, 1, 1]], 1).expect("accepted");
        let IValue::Tensor(y) = &out[0] else {
            panic!("a tensor")
        };
        assert_eq!(y.shape(), [1, 3, 6, 7, 8]);
        assert!(y.is_contiguous());
    }
}
