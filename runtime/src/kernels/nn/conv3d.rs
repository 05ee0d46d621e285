//! 3-d convolution (`nn.Conv3d`, `F.conv3d`): `convolution` and
//! `convolution_backward` with 5-d operands (not transposed).
//!
//! The depth dimension is a sum of 2-d convolutions: output slice `zo`
//! adds, for every kernel tap `kz` whose input slice
//! `zi = zo·stride + kz·dilation − padding` exists, the 2-d convolution
//! (im2col + matrix product, see [`super::conv`]) of input slice `zi` with
//! weight slice `kz`. Backward distributes the same pairs: input slice
//! `zi` gets the 2-d input gradient of `dy[zo]` through weight slice `kz`,
//! weight slice `kz` the 2-d weight gradient of `dy[zo]` over input slice
//! `zi`. Results are contiguous.

use super::conv::{
    Geometry, check_dtypes, expand_list, forward_values, input_grad, opt_tensor, output_mask,
    weight_grad,
};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::strides::contiguous_strides;

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
        let mut dx = vec![0.0; if mask[0] { x.len() } else { 0 }];
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
}

fn dims(shape: &[i64]) -> Vec<usize> {
    shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect()
}

/// Checks a 3-d convolution's operands and computes its geometry;
/// stride, padding, dilation, transposed, output_padding, groups start at
/// `first`.
fn geometry(
    a: &Args<'_>,
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    first: usize,
) -> Result<Conv3d> {
    let op = a.op;
    if a.bool(first + 3)? {
        return Err(RuntimeError::unsupported(
            op,
            "a transposed 3-d convolution",
        ));
    }
    let groups = a.int(first + 5)?;
    let stride = expand_list(a, first, 3)?;
    let padding = expand_list(a, first + 1, 3)?;
    let dilation = expand_list(a, first + 2, 3)?;
    if groups <= 0 {
        return Err(RuntimeError::shape(
            op,
            "non-positive groups is not supported",
        ));
    }
    if stride.iter().any(|&s| s <= 0) {
        return Err(RuntimeError::shape(
            op,
            "non-positive stride is not supported",
        ));
    }
    if padding.iter().any(|&p| p < 0) {
        return Err(RuntimeError::shape(op, "negative padding is not supported"));
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
    let u = |v: &[i64], i: usize| v[i] as usize;
    let window2 = [
        [u(&stride, 1), u(&stride, 2)],
        [u(&padding, 1), u(&padding, 2)],
        [u(&dilation, 1), u(&dilation, 2)],
    ];
    Ok(Conv3d {
        plane: Geometry::plane(
            x[0],
            [x[1], x[3], x[4]],
            [k[0], k[3], k[4]],
            [out[1], out[2]],
            window2,
            g,
        ),
        batch: x[0],
        c_in: x[1],
        c_out: k[0],
        d: x[2],
        kd: k[2],
        od: out[0],
        depth: [u(&stride, 0), u(&padding, 0), u(&dilation, 0)],
        hw: x[3] * x[4],
        ohw: out[1] * out[2],
        khw: k[3] * k[4],
        c_group: k[1],
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
    let shape = conv.output_shape();
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let (x, w) = (input.read_f64(ctx.op)?, weight.read_f64(ctx.op)?);
        let b = bias.map(|b| b.read_f64(ctx.op)).transpose()?;
        Ok(conv.forward(&x, &w, b.as_deref()))
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
    if dy.shape() != conv.output_shape().as_slice() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output of size {:?} does not match the convolution output size {:?}",
                dy.shape(),
                conv.output_shape()
            ),
        ));
    }
    let mask = output_mask(&a, 10)?;
    let (dx, dw) = if ctx.has_data() && (mask[0] || mask[1]) {
        let (g, x, w) = (
            dy.read_f64(ctx.op)?,
            input.read_f64(ctx.op)?,
            weight.read_f64(ctx.op)?,
        );
        conv.backward(&g, &x, &w, [mask[0], mask[1]])
    } else {
        (Vec::new(), Vec::new())
    };
    let mut out = vec![IValue::None, IValue::None, IValue::None];
    if mask[0] {
        out[0] = ctx
            .output(
                input.shape(),
                &contiguous_strides(input.shape()),
                dtype,
                || Ok(dx),
            )?
            .into();
    }
    if mask[1] {
        out[1] = ctx
            .output(
                weight.shape(),
                &contiguous_strides(weight.shape()),
                dtype,
                || Ok(dw),
            )?
            .into();
    }
    if mask[2] {
        out[2] = ctx
            .output(&[conv.c_out as i64], &[1], dtype, || {
                let g = dy.read_f64(ctx.op)?;
                let per_channel = (conv.od * conv.ohw).max(1);
                let mut db = vec![0.0; conv.c_out];
                for (chunk, i) in g.chunks(per_channel).zip(0..) {
                    if let Some(d) = db.get_mut(i % conv.c_out.max(1)) {
                        *d += chunk.iter().sum::<f64>();
                    }
                }
                Ok(db)
            })?
            .into();
    }
    Ok(out)
}
