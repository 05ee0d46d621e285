//! The LSTM layer CPU float `nn.LSTM` dispatches: `mkldnn_rnn_layer` and
//! `mkldnn_rnn_layer_backward`, one call per layer and direction.
//!
//! `mkldnn_rnn_layer(input, w_ih, w_hh, b_ih, b_hh, hx, cx, reverse,
//! batch_sizes, mode, hidden_size, num_layers, has_biases, bidirectional,
//! batch_first, train) -> (output, hy, cy, workspace)` for a time-major
//! input `(T, B, I)` (the caller transposes a batch-first input and the
//! output back), `hx`, `cx` `(B, H)`. Per step
//! `i, f, g, o = chunk(x_t W_ihᵀ + b_ih + h W_hhᵀ + b_hh, 4)`,
//! `c' = σ(f) c + σ(i) tanh(g)`, `h' = σ(o) tanh(c')`; a `reverse` layer
//! runs `t = T-1 … 0` and still writes `output[t]` at step `t`. `output` is
//! `(T, B, H)` contiguous, `hy`/`cy` the last step's states.
//!
//! The fourth result is oneDNN's workspace: uint8, defined only while grad
//! mode is on (observed in torch 2.15: undefined under `no_grad` even with
//! `train=True`, defined in `eval()` with grad on). Its bytes are scratch
//! oneDNN leaves partly uninitialised, so the format never records them
//! (`ft_trace::op_class::OPAQUE_OUTPUTS`); here it is zero-filled and the
//! backward never reads it — it recomputes the gates. Its size is
//! [`workspace_bytes`], the sum of oneDNN's page-aligned (4096-byte) regions,
//! fitted to torch 2.15 (AVX512 x86-64) over 250 calls of random sizes,
//! layer counts, directions and layouts without a miss.
//!
//! `mkldnn_rnn_layer_backward(input, w_ih, w_hh, b_ih, b_hh, hx, cx,
//! output, hy, cy, grad_output?, grad_hy?, grad_cy?, reverse, mode,
//! hidden_size, num_layers, has_biases, train, bidirectional, batch_sizes,
//! batch_first, workspace) -> (grad_input, grad_w_ih, grad_w_hh, grad_b_ih,
//! grad_b_hh, grad_hx, grad_cx)`: back-propagation through time, every
//! result defined and contiguous (both bias gradients are the summed gate
//! gradients; a bfloat16 layer's gradients are float32, observed in torch
//! 2.15). Without biases (`has_biases=False`) the bias slots are ignored.
//!
//! Rounding, as ATen and oneDNN store the values (a bfloat16 layer measured
//! bit for bit against torch 2.15, forward and backward, both directions):
//! the bias oneDNN sees is `b_ih + b_hh` added in the bias dtype; the gate
//! pre-activations and the new cell state are computed in float32 (float64
//! for a float64 layer) and the hidden state `σ(o)·tanh(c')` is taken from
//! that unrounded cell state; then both states are stored in the layer's
//! dtype, which is what the next step reads. The backward reads the
//! activated gates and the states as the workspace holds them (in the
//! layer's dtype), rounds each step's gate gradients to the layer's dtype
//! before they enter the weight, input and bias gradients and the hidden
//! state's gradient, and carries the state gradients unrounded. Values are
//! computed in f64 in between, so a float32 layer agrees to float32 rounding
//! (its sums run in another order than oneDNN's kernels).
//!
//! Packed sequences (`batch_sizes` non-empty) and modes other than LSTM (2)
//! are refused with a typed error.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is an RNN layer operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.mkldnn_rnn_layer.default" => mkldnn_rnn_layer,
        "aten.mkldnn_rnn_layer_backward.default" => mkldnn_rnn_layer_backward,
        _ => return None,
    })
}

/// oneDNN's `get_good_ld`: a leading dimension of `elem`-byte elements
/// rounded up to 64 bytes, plus 64 bytes more when it is a multiple of 256
/// elements.
fn good_ld(dim: usize, elem: usize) -> usize {
    let step = 64 / elem;
    let ld = dim.div_ceil(step) * step;
    if ld.is_multiple_of(256) {
        ld + step
    } else {
        ld
    }
}

/// A region rounded up to whole 4096-byte pages.
fn page(bytes: usize) -> usize {
    bytes.div_ceil(4096) * 4096
}

/// Size in bytes of the workspace torch 2.15 returns for one LSTM layer call
/// of `steps` × `batch` with input size `input` and hidden size `hidden`,
/// the sum of page-aligned regions: the gates `T·B·ld(4H)`, three state
/// regions `2·(T+1)·B·ld(max(I, H))`, one `T·B·ld(H)` and two
/// `2·(T+1)·B·H`. A float32 layer stores every region in float32. A
/// bfloat16 layer stores the gates, the first state region, the `T·B·ld(H)`
/// region and one `2·(T+1)·B·H` region in bfloat16 (leading dimensions
/// rounded for 2-byte elements) and the other three in float32 (fitted to
/// 250 random calls without a miss).
pub(crate) fn workspace_bytes(
    steps: usize,
    batch: usize,
    input: usize,
    hidden: usize,
    dtype: DType,
) -> usize {
    let (t, b) = (steps, batch);
    let w = input.max(hidden);
    // Element sizes of the regions stored in the layer's dtype.
    let r = if dtype == DType::BFloat16 { 2 } else { 4 };
    page(t * b * good_ld(4 * hidden, r) * r)
        + page(2 * (t + 1) * b * good_ld(w, r) * r)
        + 2 * page(2 * (t + 1) * b * good_ld(w, 4) * 4)
        + page(t * b * good_ld(hidden, r) * r)
        + page(2 * (t + 1) * b * hidden * r)
        + page(2 * (t + 1) * b * hidden * 4)
}

fn usize_of(x: i64) -> usize {
    usize::try_from(x).unwrap_or(0)
}

fn opt_tensor<'a>(a: &Args<'a>, i: usize) -> Result<Option<&'a Tensor>> {
    match a.values.get(i) {
        None | Some(IValue::None) => Ok(None),
        _ => a.tensor(i).map(Some),
    }
}

/// Sizes of one layer call.
#[derive(Clone, Copy, Debug)]
struct Dims {
    t: usize,
    b: usize,
    i: usize,
    h: usize,
}

/// The layer's arguments as values, logical order.
struct Layer {
    dims: Dims,
    x: Vec<f64>,
    w_ih: Vec<f64>,
    w_hh: Vec<f64>,
    /// `b_ih + b_hh` (zero without biases).
    bias: Vec<f64>,
    hx: Vec<f64>,
    cx: Vec<f64>,
    reverse: bool,
    /// The layer's dtype (the input's): both states after every step, the
    /// workspace's gates and the backward's gate gradients are rounded to
    /// it (float64 keeps every bit).
    dtype: DType,
    /// The dtype the gates and the new cell state are computed in: float32
    /// for a bfloat16 or float16 layer, else the layer's dtype.
    compute: DType,
    /// The fault `lstm_reduced_state_unrounded`: a reduced-precision layer
    /// carries its cell state and workspace in float32.
    state_unrounded: bool,
}

/// The activated gates and states of every step, in step (not time) order.
struct Forward {
    /// Per step `(B, 4H)`: σ(i), σ(f), tanh(g), σ(o).
    gates: Vec<Vec<f64>>,
    /// Per step the cell state after it `(B, H)`.
    cells: Vec<Vec<f64>>,
    /// `(T, B, H)` by time.
    output: Vec<f64>,
    hy: Vec<f64>,
    cy: Vec<f64>,
}

fn check_shape(op: &str, ok: bool, message: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::shape(op, message()))
    }
}

/// Checks the common arguments (positions: input 0, weights 1-4, hx 5, cx 6)
/// and returns the sizes.
fn layer_dims(ctx: &KernelCtx<'_>, a: &Args<'_>, mode: i64, batch_sizes: &[i64]) -> Result<Dims> {
    let op = ctx.op;
    if mode != 2 {
        return Err(RuntimeError::unsupported(
            op,
            format!("RNN mode {mode} (only LSTM, mode 2)"),
        ));
    }
    if !batch_sizes.is_empty() {
        return Err(RuntimeError::unsupported(
            op,
            "packed sequences (non-empty batch_sizes)",
        ));
    }
    for (k, name) in [
        (0, "input"),
        (1, "weight0"),
        (2, "weight1"),
        (5, "hx_"),
        (6, "cx_"),
    ] {
        ctx.check(a.tensor(k)?, name)?;
    }
    let x = a.tensor(0)?;
    let xs = x.shape();
    check_shape(op, xs.len() == 3, || {
        format!("expected a 3-D time-major input, got {}-D", xs.len())
    })?;
    let (t, b, i) = (usize_of(xs[0]), usize_of(xs[1]), usize_of(xs[2]));
    let w_ih = a.tensor(1)?.shape();
    let h = usize_of(w_ih.first().copied().unwrap_or(0)) / 4;
    check_shape(op, w_ih == [4 * h as i64, i as i64], || {
        format!("weight0 of shape {w_ih:?} does not fit input size {i}")
    })?;
    let w_hh = a.tensor(2)?.shape();
    check_shape(op, w_hh == [4 * h as i64, h as i64], || {
        format!("weight1 of shape {w_hh:?} for hidden size {h}")
    })?;
    for k in [5, 6] {
        let state = a.tensor(k)?.shape();
        check_shape(op, state == [b as i64, h as i64], || {
            format!("state of shape {state:?}, expected [{b}, {h}]")
        })?;
    }
    Ok(Dims { t, b, i, h })
}

fn read_layer(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    dims: Dims,
    reverse: bool,
    has_biases: bool,
) -> Result<Layer> {
    let op = ctx.op;
    let mut bias = vec![0.0; 4 * dims.h];
    if has_biases {
        for k in [3, 4] {
            let b = a.tensor(k)?;
            ctx.check(b, "bias")?;
            check_shape(op, b.numel() == 4 * dims.h, || {
                format!("bias of shape {:?} for hidden size {}", b.shape(), dims.h)
            })?;
            for (acc, v) in bias.iter_mut().zip(b.read_f64(op)?) {
                *acc += v;
            }
        }
        // ATen hands oneDNN `b_ih + b_hh`, one add in the bias dtype.
        let dtype = a.tensor(3)?.dtype();
        for v in &mut bias {
            *v = cast_value(dtype, *v);
        }
    }
    let dtype = a.tensor(0)?.dtype();
    Ok(Layer {
        dims,
        x: a.tensor(0)?.read_f64(op)?,
        w_ih: a.tensor(1)?.read_f64(op)?,
        w_hh: a.tensor(2)?.read_f64(op)?,
        bias,
        hx: a.tensor(5)?.read_f64(op)?,
        cx: a.tensor(6)?.read_f64(op)?,
        reverse,
        dtype,
        compute: match dtype {
            DType::BFloat16 | DType::Float16 => DType::Float32,
            other => other,
        },
        state_unrounded: ctx.faults.lstm_reduced_state_unrounded,
    })
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Layer {
    /// Time index of step `s`.
    fn time(&self, s: usize) -> usize {
        if self.reverse { self.dims.t - 1 - s } else { s }
    }

    /// A value as the layer stores it (states, workspace gates, gate
    /// gradients).
    fn stored(&self, v: f64) -> f64 {
        cast_value(self.dtype, v)
    }

    /// A value as the layer computes it (gate pre-activations, new cell
    /// state).
    fn computed(&self, v: f64) -> f64 {
        cast_value(self.compute, v)
    }

    /// The cell state as the next step (and the backward) reads it.
    fn stored_cell(&self, v: f64) -> f64 {
        if self.state_unrounded {
            self.computed(v)
        } else {
            self.stored(v)
        }
    }

    /// `x_t W_ihᵀ + h W_hhᵀ + b` for every batch row: `(B, 4H)`.
    fn pre_gates(&self, t: usize, h: &[f64]) -> Vec<f64> {
        let Dims { b, i, h: hs, .. } = self.dims;
        let g4 = 4 * hs;
        let mut out = vec![0.0; b * g4];
        for n in 0..b {
            let xr = &self.x[(t * b + n) * i..(t * b + n + 1) * i];
            let hr = &h[n * hs..(n + 1) * hs];
            for (j, slot) in out[n * g4..(n + 1) * g4].iter_mut().enumerate() {
                let wi = &self.w_ih[j * i..(j + 1) * i];
                let wh = &self.w_hh[j * hs..(j + 1) * hs];
                let s: f64 = xr.iter().zip(wi).map(|(a, w)| a * w).sum::<f64>()
                    + hr.iter().zip(wh).map(|(a, w)| a * w).sum::<f64>();
                *slot = self.computed(s + self.bias[j]);
            }
        }
        out
    }

    fn forward(&self, forget_bias_ignored: bool) -> Forward {
        let Dims {
            t: steps, b, h: hs, ..
        } = self.dims;
        let mut h = self.hx.clone();
        let mut c = self.cx.clone();
        let mut output = vec![0.0; steps * b * hs];
        let mut gates = Vec::with_capacity(steps);
        let mut cells = Vec::with_capacity(steps);
        for s in 0..steps {
            let t = self.time(s);
            let mut g = self.pre_gates(t, &h);
            for n in 0..b {
                let row = &mut g[n * 4 * hs..(n + 1) * 4 * hs];
                for k in 0..hs {
                    if forget_bias_ignored {
                        row[hs + k] -= self.bias[hs + k];
                    }
                    let (ig, fg) = (sigmoid(row[k]), sigmoid(row[hs + k]));
                    let (gg, og) = (row[2 * hs + k].tanh(), sigmoid(row[3 * hs + k]));
                    let cn = self.computed(fg * c[n * hs + k] + ig * gg);
                    c[n * hs + k] = self.stored_cell(cn);
                    h[n * hs + k] = self.stored(og * cn.tanh());
                    // The workspace keeps the activated gates in the
                    // layer's dtype.
                    let ws = |v: f64| {
                        if self.state_unrounded {
                            v
                        } else {
                            self.stored(v)
                        }
                    };
                    row[k] = ws(ig);
                    row[hs + k] = ws(fg);
                    row[2 * hs + k] = ws(gg);
                    row[3 * hs + k] = ws(og);
                }
            }
            output[t * b * hs..(t + 1) * b * hs].copy_from_slice(&h);
            gates.push(g);
            cells.push(c.clone());
        }
        Forward {
            gates,
            cells,
            output,
            hy: h,
            cy: c,
        }
    }
}

/// `mkldnn_rnn_layer`.
pub(crate) fn mkldnn_rnn_layer(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let reverse = a.bool(7)?;
    let batch_sizes = a.int_list(8)?;
    let dims = layer_dims(ctx, &a, a.int(9)?, &batch_sizes)?;
    let has_biases = a.bool(12)?;
    let dtype = a.tensor(0)?.dtype();
    let fwd = if ctx.has_data() {
        let layer = read_layer(ctx, &a, dims, reverse, has_biases)?;
        Some(layer.forward(ctx.faults.lstm_forget_bias_ignored))
    } else {
        None
    };
    let Dims { t, b, i, h } = dims;
    let (oshape, sshape) = ([t as i64, b as i64, h as i64], [b as i64, h as i64]);
    let (output, hy, cy) = match fwd {
        Some(f) => (f.output, f.hy, f.cy),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let output = ctx.output(&oshape, &contiguous_strides(&oshape), dtype, || Ok(output))?;
    let hy = ctx.output(&sshape, &contiguous_strides(&sshape), dtype, || Ok(hy))?;
    let cy = ctx.output(&sshape, &contiguous_strides(&sshape), dtype, || Ok(cy))?;
    let workspace = if ctx.grad_enabled {
        let n = workspace_bytes(t, b, i, h, dtype) as i64;
        IValue::Tensor(ctx.output_i64(&[n], &[1], DType::UInt8, || Ok(vec![0; n as usize]))?)
    } else {
        IValue::None
    };
    Ok(vec![output.into(), hy.into(), cy.into(), workspace])
}

/// Back-propagation through one layer: the seven gradients in schema order.
fn backward(
    layer: &Layer,
    fwd: &Forward,
    grads: [Option<Vec<f64>>; 3],
    cell_grad_dropped: bool,
) -> [Vec<f64>; 7] {
    let Dims {
        t: steps,
        b,
        i,
        h: hs,
    } = layer.dims;
    let g4 = 4 * hs;
    let [gout, ghy, gcy] = grads;
    let mut dh = ghy.unwrap_or_else(|| vec![0.0; b * hs]);
    let mut dc = gcy.unwrap_or_else(|| vec![0.0; b * hs]);
    let mut dx = vec![0.0; steps * b * i];
    let mut dw_ih = vec![0.0; g4 * i];
    let mut dw_hh = vec![0.0; g4 * hs];
    let mut db = vec![0.0; g4];
    for s in (0..steps).rev() {
        let t = layer.time(s);
        if let Some(go) = &gout {
            for (d, g) in dh.iter_mut().zip(&go[t * b * hs..(t + 1) * b * hs]) {
                *d += g;
            }
        }
        let gates = &fwd.gates[s];
        let c = &fwd.cells[s];
        let (h_prev, c_prev) = if s == 0 {
            (&layer.hx[..], &layer.cx[..])
        } else {
            let tp = layer.time(s - 1);
            (
                &fwd.output[tp * b * hs..(tp + 1) * b * hs],
                &fwd.cells[s - 1][..],
            )
        };
        let mut dgates = vec![0.0; b * g4];
        let mut dc_prev = vec![0.0; b * hs];
        for n in 0..b {
            let row = &gates[n * g4..(n + 1) * g4];
            for k in 0..hs {
                let (ig, fg, gg, og) = (row[k], row[hs + k], row[2 * hs + k], row[3 * hs + k]);
                let at = n * hs + k;
                let tc = c[at].tanh();
                let dhv = dh[at];
                let dcv = if cell_grad_dropped {
                    dhv * og * (1.0 - tc * tc)
                } else {
                    dc[at] + dhv * og * (1.0 - tc * tc)
                };
                let d = &mut dgates[n * g4..(n + 1) * g4];
                d[k] = dcv * gg * ig * (1.0 - ig);
                d[hs + k] = dcv * c_prev[at] * fg * (1.0 - fg);
                d[2 * hs + k] = dcv * ig * (1.0 - gg * gg);
                d[3 * hs + k] = dhv * tc * og * (1.0 - og);
                dc_prev[at] = dcv * fg;
            }
        }
        if !layer.state_unrounded {
            // The gate gradients enter the products in the layer's dtype.
            for v in &mut dgates {
                *v = layer.stored(*v);
            }
        }
        let mut dh_prev = vec![0.0; b * hs];
        for n in 0..b {
            let d = &dgates[n * g4..(n + 1) * g4];
            let xr = &layer.x[(t * b + n) * i..(t * b + n + 1) * i];
            let hr = &h_prev[n * hs..(n + 1) * hs];
            let dxr = &mut dx[(t * b + n) * i..(t * b + n + 1) * i];
            for (j, &dj) in d.iter().enumerate() {
                if dj == 0.0 {
                    continue;
                }
                db[j] += dj;
                let wi = &layer.w_ih[j * i..(j + 1) * i];
                for (k, w) in wi.iter().enumerate() {
                    dxr[k] += dj * w;
                    dw_ih[j * i + k] += dj * xr[k];
                }
                let wh = &layer.w_hh[j * hs..(j + 1) * hs];
                for (k, w) in wh.iter().enumerate() {
                    dh_prev[n * hs + k] += dj * w;
                    dw_hh[j * hs + k] += dj * hr[k];
                }
            }
        }
        dh = dh_prev;
        dc = dc_prev;
    }
    [dx, dw_ih, dw_hh, db.clone(), db, dh, dc]
}

/// `mkldnn_rnn_layer_backward`.
pub(crate) fn mkldnn_rnn_layer_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let reverse = a.bool(13)?;
    let batch_sizes = a.int_list(20)?;
    let dims = layer_dims(ctx, &a, a.int(14)?, &batch_sizes)?;
    let has_biases = a.bool(17)?;
    let Dims { t, b, i, h } = dims;
    // A bfloat16 layer's gradients come back in float32 (observed in torch
    // 2.15).
    let dtype = match a.tensor(0)?.dtype() {
        DType::BFloat16 => DType::Float32,
        other => other,
    };
    let grads_in = [
        opt_tensor(&a, 10)?,
        opt_tensor(&a, 11)?,
        opt_tensor(&a, 12)?,
    ];
    let expected = [
        vec![t as i64, b as i64, h as i64],
        vec![b as i64, h as i64],
        vec![b as i64, h as i64],
    ];
    for (g, shape) in grads_in.iter().zip(&expected) {
        if let Some(g) = g {
            ctx.check(g, "grad")?;
            check_shape(ctx.op, g.shape() == shape.as_slice(), || {
                format!("gradient of shape {:?}, expected {shape:?}", g.shape())
            })?;
        }
    }
    let values = if ctx.has_data() {
        let layer = read_layer(ctx, &a, dims, reverse, has_biases)?;
        let fwd = layer.forward(false);
        let mut grads: [Option<Vec<f64>>; 3] = [None, None, None];
        for (slot, g) in grads.iter_mut().zip(grads_in) {
            *slot = g.map(|g| g.read_f64(ctx.op)).transpose()?;
        }
        Some(backward(
            &layer,
            &fwd,
            grads,
            ctx.faults.lstm_cell_grad_dropped,
        ))
    } else {
        None
    };
    let h4 = 4 * h as i64;
    let shapes: [Vec<i64>; 7] = [
        vec![t as i64, b as i64, i as i64],
        vec![h4, i as i64],
        vec![h4, h as i64],
        vec![h4],
        vec![h4],
        vec![b as i64, h as i64],
        vec![b as i64, h as i64],
    ];
    let mut values = values.map(|v| v.into_iter());
    let mut out = Vec::with_capacity(7);
    for shape in &shapes {
        let v = values.as_mut().and_then(Iterator::next).unwrap_or_default();
        out.push(
            ctx.output(shape, &contiguous_strides(shape), dtype, || Ok(v))?
                .into(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_sizes_match_torch() {
        // (T, B, I, H) -> bytes, observed in torch 2.15.
        for ((t, b, i, h), bytes) in [
            ((5, 2, 4, 8), 28672),
            ((5, 3, 10, 20), 45056),
            ((5, 2, 64, 8), 40960),
            ((35, 16, 32, 32), 1097728),
            ((200, 2, 4, 8), 299008),
            ((7, 5, 64, 100), 61 * 4096),
            ((35, 64, 200, 128), 5395 * 4096),
        ] {
            let got = workspace_bytes(t, b, i, h, DType::Float32);
            assert_eq!(got, bytes, "{:?}", (t, b, i, h));
        }
    }

    #[test]
    fn bfloat16_workspace_sizes_match_torch() {
        // (T, B, I, H) -> bytes of a bfloat16 layer, observed in torch 2.15.
        for ((t, b, i, h), bytes) in [
            ((8, 3, 8, 12), 28672),
            ((36, 19, 134, 138), 4251648),
            ((40, 20, 85, 118), 4239360),
            ((37, 18, 52, 130), 4030464),
            ((2, 14, 26, 48), 86016),
            ((19, 4, 86, 129), 483328),
            ((28, 17, 49, 78), 1699840),
        ] {
            let got = workspace_bytes(t, b, i, h, DType::BFloat16);
            assert_eq!(got, bytes, "{:?}", (t, b, i, h));
        }
    }

    fn layer(reverse: bool) -> Layer {
        let dims = Dims {
            t: 3,
            b: 2,
            i: 2,
            h: 2,
        };
        let seq = |n: usize, k: f64| {
            (0..n)
                .map(|j| ((j as f64) * k).sin() * 0.5)
                .collect::<Vec<_>>()
        };
        Layer {
            dims,
            x: seq(12, 0.7),
            w_ih: seq(16, 1.3),
            w_hh: seq(16, 0.4),
            bias: seq(8, 2.1),
            hx: seq(4, 0.9),
            cx: seq(4, 1.7),
            reverse,
            dtype: DType::Float64,
            compute: DType::Float64,
            state_unrounded: false,
        }
    }

    #[test]
    fn a_bfloat16_layer_stores_its_states_and_gates_in_bfloat16() {
        let mut l = layer(false);
        l.dtype = DType::BFloat16;
        l.compute = DType::Float32;
        let f = l.forward(false);
        let bf16 = |v: &f64| cast_value(DType::BFloat16, *v) == *v;
        assert!(f.cells.iter().flatten().all(bf16));
        assert!(f.gates.iter().flatten().all(bf16));
        assert!(f.output.iter().all(bf16) && f.cy.iter().all(bf16));
        // h = σ(o)·tanh(c) takes the float32 cell state, not the stored one:
        // the first step's h differs from σ(o)·tanh(stored c) somewhere.
        let mut unrounded = layer(false);
        unrounded.dtype = DType::BFloat16;
        unrounded.compute = DType::Float32;
        unrounded.state_unrounded = true;
        let g = unrounded.forward(false);
        assert!(g.cells.iter().flatten().any(|v| !bf16(v)));
        // The backward runs on the bfloat16 workspace.
        let grads = [Some(vec![1.0; 12]), None, None];
        let out = backward(&l, &f, grads, false);
        assert!(out[3].iter().all(|v| v.is_finite()));
    }

    /// `Σ output·wo + hy·wh + cy·wc` for fixed weights.
    fn loss(l: &Layer) -> f64 {
        let f = l.forward(false);
        let w = |v: &[f64], k: f64| {
            v.iter()
                .enumerate()
                .map(|(j, x)| x * ((j as f64) * k).cos())
                .sum::<f64>()
        };
        w(&f.output, 0.3) + w(&f.hy, 1.1) + w(&f.cy, 0.5)
    }

    #[test]
    fn backward_matches_finite_differences() {
        for reverse in [false, true] {
            let l = layer(reverse);
            let f = l.forward(false);
            let wv = |n: usize, k: f64| (0..n).map(|j| ((j as f64) * k).cos()).collect::<Vec<_>>();
            let grads = [Some(wv(12, 0.3)), Some(wv(4, 1.1)), Some(wv(4, 0.5))];
            let g = backward(&l, &f, grads, false);
            let eps = 1e-6;
            let check = |name: &str, analytic: &[f64], field: fn(&mut Layer) -> &mut Vec<f64>| {
                for (k, &an) in analytic.iter().enumerate() {
                    let (mut p, mut m) = (layer(reverse), layer(reverse));
                    field(&mut p)[k] += eps;
                    field(&mut m)[k] -= eps;
                    let num = (loss(&p) - loss(&m)) / (2.0 * eps);
                    assert!(
                        (num - an).abs() < 1e-6,
                        "{name}[{k}] reverse={reverse}: {num} vs {an}"
                    );
                }
            };
            check("x", &g[0], |l| &mut l.x);
            check("w_ih", &g[1], |l| &mut l.w_ih);
            check("w_hh", &g[2], |l| &mut l.w_hh);
            check("bias", &g[3], |l| &mut l.bias);
            check("hx", &g[5], |l| &mut l.hx);
            check("cx", &g[6], |l| &mut l.cx);
        }
    }
}
