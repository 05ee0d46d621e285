//! The recurrent layers and cells inside `torch.inference_mode()`, where a
//! dispatch mode sees `lstm`, `gru`, `rnn_tanh`, `rnn_relu` (padded
//! `.input` and packed `.data`) and `lstm_cell`, `gru_cell`,
//! `rnn_tanh_cell`, `rnn_relu_cell` whole.
//!
//! Each runs the operators ATen's CPU kernel runs (torch 2.15, RNN.cpp and
//! mkldnn/RNN.cpp):
//!
//! * `lstm.input` in float32 or bfloat16 without projections goes through
//!   oneDNN: the input made time-major and contiguous, one
//!   `mkldnn_rnn_layer` per layer and direction (`hx[index]`, `cx[index]`,
//!   zero biases of the weights' shapes when `has_biases` is false), the two
//!   directions' outputs concatenated along the last dimension, `hy` and
//!   `cy` stacked, the output transposed back for `batch_first`;
//! * every other layer (GRU, tanh/ReLU RNN, float64 or projected LSTM,
//!   packed sequences) runs the cell decomposition. The input projection of
//!   a whole layer is one `linear` over all steps, then per step the hidden
//!   projection `linear(h, w_hh, b_hh)` gets the step's input projection
//!   added in place: an LSTM chunks the gates into input, forget, cell and
//!   output gates (`σ, σ, tanh, σ` in place), `c' = f·c + i·g`,
//!   `h' = o·tanh(c')` (times `w_hrᵀ` with projections); a GRU chunks both
//!   projections into reset, update and new parts, `r = σ(h_r + x_r)`,
//!   `z = σ(h_z + x_z)`, `n = tanh(x_n + h_n·r)`, `h' = (h - n)·z + n`; a
//!   simple cell is `tanh` or `relu` of the sum. A bidirectional layer runs
//!   the reverse direction over the steps backwards and concatenates its
//!   outputs after the forward ones. Packed layers narrow each step's rows
//!   (and the hidden state as sequences end, or begin for the reverse
//!   direction), concatenate the steps' outputs, and the final hidden state
//!   is the pieces put back in batch order.
//!
//! `_pad_packed_sequence` (what `pad_packed_sequence` calls) fills a
//! `(T, B, ...)` tensor with the padding value and copies each run of
//! steps with the same batch size in one block; the lengths are int64.
//!
//! `linear` is ATen's: `addmm` for a 2-d input with a bias, the rows of a
//! contiguous 3-d input with a bias through one `addmm`, otherwise
//! `matmul(x, wᵀ)` with the bias added in place. Dropout between layers
//! only runs with `train=True`; it draws random numbers, so such a call is
//! refused.

use super::{Bound, one};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::MemoryFormat;

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    let out = match a.op {
        "aten.lstm.input" => lstm_input(rt, a),
        "aten.lstm.data" => lstm_data(rt, a),
        "aten.gru.input" => one_hidden_input(rt, a, Kind::Gru),
        "aten.gru.data" => one_hidden_data(rt, a, Kind::Gru),
        "aten.rnn_tanh.input" => one_hidden_input(rt, a, Kind::Tanh),
        "aten.rnn_tanh.data" => one_hidden_data(rt, a, Kind::Tanh),
        "aten.rnn_relu.input" => one_hidden_input(rt, a, Kind::Relu),
        "aten.rnn_relu.data" => one_hidden_data(rt, a, Kind::Relu),
        "aten.lstm_cell.default" => lstm_cell(rt, a),
        "aten.gru_cell.default" => simple_cell(rt, a, Kind::Gru),
        "aten.rnn_tanh_cell.default" => simple_cell(rt, a, Kind::Tanh),
        "aten.rnn_relu_cell.default" => simple_cell(rt, a, Kind::Relu),
        "aten._pad_packed_sequence.default" => pad_packed_sequence(rt, a),
        _ => return None,
    };
    Some(out)
}

/// Which recurrence a cell computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Lstm,
    Gru,
    Tanh,
    Relu,
}

impl Kind {
    fn gates(self) -> i64 {
        match self {
            Kind::Lstm => 4,
            Kind::Gru => 3,
            Kind::Tanh | Kind::Relu => 1,
        }
    }
}

/// One layer-direction's weights (`w_hr` only for a projected LSTM).
#[derive(Clone)]
struct Params {
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Option<Tensor>,
    b_hh: Option<Tensor>,
    w_hr: Option<Tensor>,
}

/// A hidden state: `h`, and `c` for an LSTM.
#[derive(Clone)]
struct Hidden {
    h: Tensor,
    c: Option<Tensor>,
}

/// The flat parameter list split per layer and direction: `w_ih, w_hh`,
/// then `b_ih, b_hh` with biases, then `w_hr` with projections.
fn gather_params(
    a: &Bound<'_>,
    list: &[Tensor],
    has_biases: bool,
    projections: bool,
) -> Result<Vec<Params>> {
    let stride = 2 + 2 * usize::from(has_biases) + usize::from(projections);
    if list.is_empty() || !list.len().is_multiple_of(stride) {
        return Err(a.refuse(&format!(
            "{} parameters, not a multiple of {stride}",
            list.len()
        )));
    }
    Ok(list
        .chunks(stride)
        .map(|p| Params {
            w_ih: p[0].clone(),
            w_hh: p[1].clone(),
            b_ih: has_biases.then(|| p[2].clone()),
            b_hh: has_biases.then(|| p[3].clone()),
            w_hr: projections.then(|| p[stride - 1].clone()),
        })
        .collect())
}

fn tensors(a: &Bound<'_>, i: usize) -> Result<Vec<Tensor>> {
    match a.value(i)? {
        IValue::TensorList(v) => Ok(v.clone()),
        _ => Err(a.refuse(&format!("argument {i} that is not a tensor list"))),
    }
}

fn optional(a: &Bound<'_>, i: usize) -> Result<Option<Tensor>> {
    Ok(a.value(i)?.as_tensor().cloned())
}

fn call(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    one(rt, op, args)
}

fn add_(rt: &mut Runtime, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    call(rt, "aten.add_.Tensor", vec![x.into(), y.into()])
}

fn mul(rt: &mut Runtime, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    call(rt, "aten.mul.Tensor", vec![x.into(), y.into()])
}

fn unary(rt: &mut Runtime, op: &str, x: &Tensor) -> Result<Tensor> {
    call(rt, op, vec![x.into()])
}

/// `x.contiguous()`: `x` itself when it already is, else a copy.
fn contiguous(rt: &mut Runtime, x: &Tensor) -> Result<Tensor> {
    if x.is_contiguous() {
        return Ok(x.clone());
    }
    call(
        rt,
        "aten.clone.default",
        vec![x.into(), IValue::MemoryFormat(MemoryFormat::Contiguous)],
    )
}

/// `x.narrow(0, start, len)`.
fn narrow(rt: &mut Runtime, x: &Tensor, start: i64, len: i64) -> Result<Tensor> {
    call(
        rt,
        "aten.slice.Tensor",
        vec![
            x.into(),
            0i64.into(),
            start.into(),
            (start + len).into(),
            1i64.into(),
        ],
    )
}

fn unbind(rt: &mut Runtime, x: &Tensor) -> Result<Vec<Tensor>> {
    Ok(rt
        .dispatch("aten.unbind.int", vec![x.into(), 0i64.into()])?
        .into_iter()
        .flat_map(|v| match v {
            IValue::TensorList(ts) => ts,
            IValue::Tensor(t) => vec![t],
            _ => Vec::new(),
        })
        .collect())
}

fn cat(rt: &mut Runtime, parts: Vec<Tensor>, dim: i64) -> Result<Tensor> {
    call(
        rt,
        "aten.cat.default",
        vec![IValue::TensorList(parts), dim.into()],
    )
}

fn stack(rt: &mut Runtime, parts: Vec<Tensor>) -> Result<Tensor> {
    call(
        rt,
        "aten.stack.default",
        vec![IValue::TensorList(parts), 0i64.into()],
    )
}

/// `unsafe_chunk(n, 1)` of a gate matrix whose columns divide into `n`.
fn chunk(rt: &mut Runtime, a: &Bound<'_>, x: &Tensor, n: i64) -> Result<Vec<Tensor>> {
    let cols = x.shape().get(1).copied().unwrap_or(0);
    if n <= 0 || cols % n != 0 {
        return Err(a.refuse(&format!("{cols} gate columns for {n} gates")));
    }
    let parts: Vec<Tensor> = rt
        .dispatch(
            "aten.unsafe_split.Tensor",
            vec![x.into(), (cols / n).into(), 1i64.into()],
        )?
        .into_iter()
        .flat_map(|v| match v {
            IValue::TensorList(ts) => ts,
            IValue::Tensor(t) => vec![t],
            _ => Vec::new(),
        })
        .collect();
    if parts.len() != n as usize {
        return Err(a.refuse(&format!("{cols} gate columns for {n} gates")));
    }
    Ok(parts)
}

/// ATen's `linear(x, w, b)` (see the module documentation).
fn linear(rt: &mut Runtime, x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let wt = rt.t(w)?;
    match (x.dim(), b) {
        (2, Some(b)) => call(
            rt,
            "aten.addmm.default",
            vec![b.into(), x.into(), wt.into()],
        ),
        (3, Some(b)) if x.is_contiguous() => call(
            rt,
            "aten.linear.default",
            vec![x.into(), w.into(), b.into()],
        ),
        _ => {
            let out = call(rt, "aten.matmul.default", vec![x.into(), wt.into()])?;
            match b {
                Some(b) => add_(rt, &out, b),
                None => Ok(out),
            }
        }
    }
}

/// One step of the recurrence; `x` is the step's input, or its input
/// projection when `projected`.
fn cell(
    rt: &mut Runtime,
    a: &Bound<'_>,
    kind: Kind,
    x: &Tensor,
    hidden: &Hidden,
    p: &Params,
    projected: bool,
) -> Result<Hidden> {
    let input_proj = |rt: &mut Runtime| -> Result<Tensor> {
        if projected {
            Ok(x.clone())
        } else {
            linear(rt, x, &p.w_ih, p.b_ih.as_ref())
        }
    };
    let h = &hidden.h;
    match kind {
        Kind::Tanh | Kind::Relu => {
            let gates = linear(rt, h, &p.w_hh, p.b_hh.as_ref())?;
            let xi = input_proj(rt)?;
            let gates = add_(rt, &gates, &xi)?;
            let op = if kind == Kind::Tanh {
                "aten.tanh.default"
            } else {
                "aten.relu.default"
            };
            Ok(Hidden {
                h: unary(rt, op, &gates)?,
                c: None,
            })
        }
        Kind::Lstm => {
            let Some(c) = &hidden.c else {
                return Err(a.refuse("an LSTM step without a cell state"));
            };
            let gates = linear(rt, h, &p.w_hh, p.b_hh.as_ref())?;
            let xi = input_proj(rt)?;
            let gates = add_(rt, &gates, &xi)?;
            let g = chunk(rt, a, &gates, 4)?;
            let (i, f) = if rt.faults.rnn_eval_gate_order {
                (1, 0)
            } else {
                (0, 1)
            };
            let ingate = unary(rt, "aten.sigmoid_.default", &g[i])?;
            let forget = unary(rt, "aten.sigmoid_.default", &g[f])?;
            let cellgate = unary(rt, "aten.tanh_.default", &g[2])?;
            let outgate = unary(rt, "aten.sigmoid_.default", &g[3])?;
            let fc = mul(rt, &forget, c)?;
            let ig = mul(rt, &ingate, &cellgate)?;
            let cy = add_(rt, &fc, &ig)?;
            let tc = unary(rt, "aten.tanh.default", &cy)?;
            let mut hy = mul(rt, &outgate, &tc)?;
            if let Some(w_hr) = &p.w_hr {
                let wt = rt.t(w_hr)?;
                hy = call(rt, "aten.matmul.default", vec![hy.into(), wt.into()])?;
            }
            Ok(Hidden { h: hy, c: Some(cy) })
        }
        Kind::Gru => {
            let xi = input_proj(rt)?;
            let ig = chunk(rt, a, &xi, 3)?;
            let hg = linear(rt, h, &p.w_hh, p.b_hh.as_ref())?;
            let hg = chunk(rt, a, &hg, 3)?;
            let r = add_(rt, &hg[0], &ig[0])?;
            let reset = unary(rt, "aten.sigmoid_.default", &r)?;
            let z = add_(rt, &hg[1], &ig[1])?;
            let update = unary(rt, "aten.sigmoid_.default", &z)?;
            let hn = call(rt, "aten.mul_.Tensor", vec![(&hg[2]).into(), reset.into()])?;
            let n = call(rt, "aten.add.Tensor", vec![(&ig[2]).into(), hn.into()])?;
            let new = unary(rt, "aten.tanh_.default", &n)?;
            let d = call(rt, "aten.sub.Tensor", vec![h.into(), (&new).into()])?;
            let d = call(rt, "aten.mul_.Tensor", vec![d.into(), update.into()])?;
            Ok(Hidden {
                h: add_(rt, &d, &new)?,
                c: None,
            })
        }
    }
}

/// A padded layer in one direction over time-major `x`: the outputs
/// `(T, B, H)` stacked and the last hidden state.
fn full_layer(
    rt: &mut Runtime,
    a: &Bound<'_>,
    kind: Kind,
    x: &Tensor,
    hidden: &Hidden,
    p: &Params,
    reverse: bool,
) -> Result<(Tensor, Hidden)> {
    let xw = linear(rt, x, &p.w_ih, p.b_ih.as_ref())?;
    let mut steps = unbind(rt, &xw)?;
    if steps.is_empty() {
        return Err(RuntimeError::Shape {
            op: a.op.to_owned(),
            message: "Expected sequence length to be larger than 0 in RNN".to_owned(),
        });
    }
    if reverse {
        steps.reverse();
    }
    let mut hidden = hidden.clone();
    let mut outputs = Vec::with_capacity(steps.len());
    for step in &steps {
        hidden = cell(rt, a, kind, step, &hidden, p, true)?;
        outputs.push(hidden.h.clone());
    }
    if reverse {
        outputs.reverse();
    }
    Ok((stack(rt, outputs)?, hidden))
}

/// `hidden.narrow(0, start, len)` for `h` and `c`.
fn hidden_slice(rt: &mut Runtime, hidden: &Hidden, start: i64, len: i64) -> Result<Hidden> {
    Ok(Hidden {
        h: narrow(rt, &hidden.h, start, len)?,
        c: match &hidden.c {
            Some(c) => Some(narrow(rt, c, start, len)?),
            None => None,
        },
    })
}

/// The pieces of a hidden state concatenated along the batch.
fn hidden_concat(rt: &mut Runtime, pieces: &[Hidden]) -> Result<Hidden> {
    let h = cat(rt, pieces.iter().map(|p| p.h.clone()).collect(), 0)?;
    let c = match pieces
        .iter()
        .map(|p| p.c.clone())
        .collect::<Option<Vec<_>>>()
    {
        Some(cs) if !cs.is_empty() => Some(cat(rt, cs, 0)?),
        _ => None,
    };
    Ok(Hidden { h, c })
}

/// A packed layer over `data` with `batch_sizes`: forwards, the hidden
/// state narrowed as sequences end; backwards, widened as they begin.
#[allow(clippy::too_many_arguments)]
fn packed_layer(
    rt: &mut Runtime,
    a: &Bound<'_>,
    kind: Kind,
    data: &Tensor,
    batch_sizes: &[i64],
    hidden: &Hidden,
    p: &Params,
    reverse: bool,
) -> Result<(Tensor, Hidden)> {
    let xw = linear(rt, data, &p.w_ih, p.b_ih.as_ref())?;
    let (Some(&first), Some(&last)) = (batch_sizes.first(), batch_sizes.last()) else {
        return Err(a.refuse("an empty batch_sizes"));
    };
    let mut outputs = Vec::with_capacity(batch_sizes.len());
    if !reverse {
        let mut pieces = Vec::new();
        let (mut offset, mut last_bs) = (0i64, first);
        let mut h = hidden.clone();
        for &bs in batch_sizes {
            let step = narrow(rt, &xw, offset, bs)?;
            offset += bs;
            let dec = last_bs - bs;
            if dec > 0 {
                pieces.push(hidden_slice(rt, &h, last_bs - dec, dec)?);
                h = hidden_slice(rt, &h, 0, last_bs - dec)?;
            }
            last_bs = bs;
            h = cell(rt, a, kind, &step, &h, p, true)?;
            outputs.push(h.h.clone());
        }
        pieces.push(h);
        pieces.reverse();
        let out = cat(rt, outputs, 0)?;
        Ok((out, hidden_concat(rt, &pieces)?))
    } else {
        let mut offset = data.shape().first().copied().unwrap_or(0);
        let mut last_bs = last;
        let mut h = hidden_slice(rt, hidden, 0, last)?;
        for &bs in batch_sizes.iter().rev() {
            let inc = bs - last_bs;
            if inc > 0 {
                let more = hidden_slice(rt, hidden, last_bs, inc)?;
                h = hidden_concat(rt, &[h, more])?;
            }
            let step = narrow(rt, &xw, offset - bs, bs)?;
            offset -= bs;
            last_bs = bs;
            h = cell(rt, a, kind, &step, &h, p, true)?;
            outputs.push(h.h.clone());
        }
        outputs.reverse();
        let out = cat(rt, outputs, 0)?;
        Ok((out, h))
    }
}

/// The layer stack of the cell decomposition: the last layer's output and
/// each layer-direction's final hidden state, in parameter order.
#[allow(clippy::too_many_arguments)]
fn layer_stack(
    rt: &mut Runtime,
    a: &Bound<'_>,
    kind: Kind,
    input: &Tensor,
    batch_sizes: Option<&[i64]>,
    hiddens: &[Hidden],
    params: &[Params],
    num_layers: i64,
    dropout: f64,
    train: bool,
    bidirectional: bool,
) -> Result<(Tensor, Vec<Hidden>)> {
    let dirs = if bidirectional { 2 } else { 1 };
    let layers = usize::try_from(num_layers).unwrap_or(0);
    if layers == 0 || params.len() != layers * dirs || hiddens.len() != layers * dirs {
        return Err(a.refuse(&format!(
            "{} weight sets and {} hidden states for {num_layers} layers",
            params.len(),
            hiddens.len()
        )));
    }
    if dropout != 0.0 && train && layers > 1 {
        return Err(a.refuse("dropout between layers (random) in train mode"));
    }
    let mut x = input.clone();
    let mut finals = Vec::with_capacity(layers * dirs);
    for l in 0..layers {
        let mut outs = Vec::with_capacity(dirs);
        for d in 0..dirs {
            let index = l * dirs + d;
            let (p, h) = (&params[index], &hiddens[index]);
            let (out, last) = match batch_sizes {
                None => full_layer(rt, a, kind, &x, h, p, d == 1)?,
                Some(bs) => packed_layer(rt, a, kind, &x, bs, h, p, d == 1)?,
            };
            outs.push(out);
            finals.push(last);
        }
        x = if dirs == 1 {
            outs.remove(0)
        } else {
            let last = outs[0].dim() as i64 - 1;
            let dim = if batch_sizes.is_some() { -1 } else { last };
            cat(rt, outs, dim)?
        };
    }
    Ok((x, finals))
}

/// The common scalar arguments after the parameter list: `has_biases,
/// num_layers, dropout, train, bidirectional`.
struct Flags {
    has_biases: bool,
    num_layers: i64,
    dropout: f64,
    train: bool,
    bidirectional: bool,
}

fn flags(a: &Bound<'_>, from: usize) -> Result<Flags> {
    Ok(Flags {
        has_biases: a.flag(from)?,
        num_layers: a.int(from + 1)?,
        dropout: a.float(from + 2)?,
        train: a.flag(from + 3)?,
        bidirectional: a.flag(from + 4)?,
    })
}

fn batch_sizes(a: &Bound<'_>, i: usize) -> Result<Vec<i64>> {
    let sizes = a.tensor(i)?.to_i64_vec()?;
    if sizes.iter().any(|&b| b <= 0) || sizes.windows(2).any(|w| w[1] > w[0]) {
        return Err(a.refuse("batch_sizes that are not positive and non-increasing"));
    }
    Ok(sizes)
}

/// `gru` / `rnn_tanh` / `rnn_relu` over a padded input.
fn one_hidden_input(rt: &mut Runtime, a: &Bound<'_>, kind: Kind) -> Result<Vec<IValue>> {
    let (input, hx) = (a.tensor(0)?, a.tensor(1)?);
    let f = flags(a, 3)?;
    let batch_first = a.flag(8)?;
    let x = if batch_first {
        rt.transpose(input, 0, 1)?
    } else {
        input.clone()
    };
    let params = gather_params(a, &tensors(a, 2)?, f.has_biases, false)?;
    let hiddens = one_hidden_states(rt, hx)?;
    let (out, finals) = layer_stack(
        rt,
        a,
        kind,
        &x,
        None,
        &hiddens,
        &params,
        f.num_layers,
        f.dropout,
        f.train,
        f.bidirectional,
    )?;
    let hy = stack(rt, finals.into_iter().map(|h| h.h).collect())?;
    // The output is transposed in place: a new tensor with swapped strides.
    let out = if batch_first {
        call(
            rt,
            "aten.transpose_.default",
            vec![out.into(), 0i64.into(), 1i64.into()],
        )?
    } else {
        out
    };
    Ok(vec![out.into(), hy.into()])
}

/// `gru` / `rnn_tanh` / `rnn_relu` over a packed sequence's data.
fn one_hidden_data(rt: &mut Runtime, a: &Bound<'_>, kind: Kind) -> Result<Vec<IValue>> {
    let (data, hx) = (a.tensor(0)?, a.tensor(2)?);
    let sizes = batch_sizes(a, 1)?;
    let f = flags(a, 4)?;
    let params = gather_params(a, &tensors(a, 3)?, f.has_biases, false)?;
    let hiddens = one_hidden_states(rt, hx)?;
    let (out, finals) = layer_stack(
        rt,
        a,
        kind,
        data,
        Some(&sizes),
        &hiddens,
        &params,
        f.num_layers,
        f.dropout,
        f.train,
        f.bidirectional,
    )?;
    let hy = stack(rt, finals.into_iter().map(|h| h.h).collect())?;
    Ok(vec![out.into(), hy.into()])
}

fn one_hidden_states(rt: &mut Runtime, hx: &Tensor) -> Result<Vec<Hidden>> {
    Ok(unbind(rt, hx)?
        .into_iter()
        .map(|h| Hidden { h, c: None })
        .collect())
}

fn lstm_states(rt: &mut Runtime, a: &Bound<'_>, i: usize) -> Result<(Tensor, Tensor, bool)> {
    let hx = tensors(a, i)?;
    let [h, c] = hx.as_slice() else {
        return Err(RuntimeError::Shape {
            op: a.op.to_owned(),
            message: "lstm expects two hidden states".to_owned(),
        });
    };
    if h.dim() != 3 || c.dim() != 3 {
        return Err(a.refuse("hidden states that are not 3-d"));
    }
    let _ = rt;
    let projections = h.shape()[2] != c.shape()[2];
    Ok((h.clone(), c.clone(), projections))
}

fn lstm_hiddens(rt: &mut Runtime, h: &Tensor, c: &Tensor) -> Result<Vec<Hidden>> {
    let hs = unbind(rt, h)?;
    let cs = unbind(rt, c)?;
    Ok(hs
        .into_iter()
        .zip(cs)
        .map(|(h, c)| Hidden { h, c: Some(c) })
        .collect())
}

fn lstm_finals(rt: &mut Runtime, a: &Bound<'_>, finals: Vec<Hidden>) -> Result<(Tensor, Tensor)> {
    let mut hs = Vec::with_capacity(finals.len());
    let mut cs = Vec::with_capacity(finals.len());
    for f in finals {
        hs.push(f.h);
        cs.push(f.c.ok_or_else(|| a.refuse("an LSTM layer without a cell state"))?);
    }
    Ok((stack(rt, hs)?, stack(rt, cs)?))
}

/// `lstm.input`: oneDNN for float32 and bfloat16 without projections, the
/// cell decomposition otherwise.
fn lstm_input(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let input = a.tensor(0)?;
    let (h0, c0, projections) = lstm_states(rt, a, 1)?;
    let list = tensors(a, 2)?;
    let f = flags(a, 3)?;
    let batch_first = a.flag(8)?;
    let onednn = matches!(input.dtype(), DType::Float32 | DType::BFloat16)
        && input.numel() != 0
        && !projections;
    if input.dtype() == DType::Float16 {
        return Err(a.refuse("a float16 LSTM (oneDNN's float16 path)"));
    }
    if onednn {
        return lstm_onednn(rt, a, input, &h0, &c0, &list, &f, batch_first);
    }
    let x = if batch_first {
        rt.transpose(input, 0, 1)?
    } else {
        input.clone()
    };
    let params = gather_params(a, &list, f.has_biases, projections)?;
    let hiddens = lstm_hiddens(rt, &h0, &c0)?;
    let (out, finals) = layer_stack(
        rt,
        a,
        Kind::Lstm,
        &x,
        None,
        &hiddens,
        &params,
        f.num_layers,
        f.dropout,
        f.train,
        f.bidirectional,
    )?;
    let (hy, cy) = lstm_finals(rt, a, finals)?;
    let out = if batch_first {
        rt.transpose(&out, 0, 1)?
    } else {
        out
    };
    Ok(vec![out.into(), hy.into(), cy.into()])
}

/// `lstm.data`: packed sequences never go through oneDNN.
fn lstm_data(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let data = a.tensor(0)?;
    let sizes = batch_sizes(a, 1)?;
    let (h0, c0, projections) = lstm_states(rt, a, 2)?;
    let f = flags(a, 4)?;
    let params = gather_params(a, &tensors(a, 3)?, f.has_biases, projections)?;
    let hiddens = lstm_hiddens(rt, &h0, &c0)?;
    let (out, finals) = layer_stack(
        rt,
        a,
        Kind::Lstm,
        data,
        Some(&sizes),
        &hiddens,
        &params,
        f.num_layers,
        f.dropout,
        f.train,
        f.bidirectional,
    )?;
    let (hy, cy) = lstm_finals(rt, a, finals)?;
    Ok(vec![out.into(), hy.into(), cy.into()])
}

/// oneDNN's LSTM: one `mkldnn_rnn_layer` per layer and direction.
#[allow(clippy::too_many_arguments)]
fn lstm_onednn(
    rt: &mut Runtime,
    a: &Bound<'_>,
    input: &Tensor,
    h0: &Tensor,
    c0: &Tensor,
    list: &[Tensor],
    f: &Flags,
    batch_first: bool,
) -> Result<Vec<IValue>> {
    let dirs: usize = if f.bidirectional { 2 } else { 1 };
    let layers = usize::try_from(f.num_layers).unwrap_or(0);
    let stride = if f.has_biases { 4 } else { 2 };
    if layers == 0 || list.len() != layers * dirs * stride {
        return Err(a.refuse(&format!(
            "{} parameters for {} layers",
            list.len(),
            f.num_layers
        )));
    }
    if f.dropout != 0.0 && f.train && layers > 1 {
        return Err(a.refuse("dropout between layers (random) in train mode"));
    }
    let x = if batch_first {
        rt.transpose(input, 0, 1)?
    } else {
        input.clone()
    };
    let mut x = contiguous(rt, &x)?;
    let hx = contiguous(rt, h0)?;
    let cx = contiguous(rt, c0)?;
    let hidden_size = h0.shape()[2];
    let (mut hys, mut cys) = (Vec::new(), Vec::new());
    for l in 0..layers {
        let mut outs = Vec::with_capacity(dirs);
        for d in 0..dirs {
            let index = l * dirs + d;
            let w = &list[index * stride..(index + 1) * stride];
            let (b0, b1) = if f.has_biases {
                (w[2].clone(), w[3].clone())
            } else {
                let zeros = |rt: &mut Runtime, t: &Tensor| {
                    call(
                        rt,
                        "aten.zeros.default",
                        vec![
                            t.shape().to_vec().into(),
                            IValue::Dtype(t.dtype()),
                            IValue::None,
                            IValue::None,
                            IValue::None,
                        ],
                    )
                };
                (zeros(rt, &w[0])?, zeros(rt, &w[1])?)
            };
            let hi = call(
                rt,
                "aten.select.int",
                vec![(&hx).into(), 0i64.into(), (index as i64).into()],
            )?;
            let ci = call(
                rt,
                "aten.select.int",
                vec![(&cx).into(), 0i64.into(), (index as i64).into()],
            )?;
            let mut res = rt
                .dispatch(
                    "aten.mkldnn_rnn_layer.default",
                    vec![
                        (&x).into(),
                        (&w[0]).into(),
                        (&w[1]).into(),
                        b0.into(),
                        b1.into(),
                        hi.into(),
                        ci.into(),
                        (d == 1).into(),
                        IValue::IntList(Vec::new()),
                        2i64.into(),
                        hidden_size.into(),
                        f.num_layers.into(),
                        f.has_biases.into(),
                        f.bidirectional.into(),
                        batch_first.into(),
                        f.train.into(),
                    ],
                )?
                .into_iter();
            let mut next = || {
                res.next()
                    .and_then(IValue::into_tensor)
                    .ok_or_else(|| a.refuse("an mkldnn_rnn_layer call without its results"))
            };
            outs.push(next()?);
            hys.push(next()?);
            cys.push(next()?);
        }
        x = if dirs == 1 {
            outs.remove(0)
        } else {
            cat(rt, outs, -1)?
        };
    }
    let hy = stack(rt, hys)?;
    let cy = stack(rt, cys)?;
    let out = if batch_first {
        rt.transpose(&x, 0, 1)?
    } else {
        x
    };
    Ok(vec![out.into(), hy.into(), cy.into()])
}

/// `lstm_cell(input, [hx, cx], w_ih, w_hh, b_ih, b_hh) -> (hy, cy)`.
fn lstm_cell(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let hx = tensors(a, 1)?;
    let [h, c] = hx.as_slice() else {
        return Err(RuntimeError::Shape {
            op: a.op.to_owned(),
            message: "lstm_cell expects two hidden states".to_owned(),
        });
    };
    let p = cell_params(a)?;
    check_cell(a, x, h, &p, Kind::Lstm)?;
    let hidden = Hidden {
        h: h.clone(),
        c: Some(c.clone()),
    };
    let out = cell(rt, a, Kind::Lstm, x, &hidden, &p, false)?;
    let cy = out
        .c
        .ok_or_else(|| a.refuse("an LSTM step without a cell state"))?;
    Ok(vec![out.h.into(), cy.into()])
}

/// `gru_cell` / `rnn_tanh_cell` / `rnn_relu_cell(input, hx, w_ih, w_hh,
/// b_ih, b_hh)`.
fn simple_cell(rt: &mut Runtime, a: &Bound<'_>, kind: Kind) -> Result<Vec<IValue>> {
    let (x, h) = (a.tensor(0)?, a.tensor(1)?);
    let p = cell_params(a)?;
    check_cell(a, x, h, &p, kind)?;
    let hidden = Hidden {
        h: h.clone(),
        c: None,
    };
    Ok(vec![cell(rt, a, kind, x, &hidden, &p, false)?.h.into()])
}

fn cell_params(a: &Bound<'_>) -> Result<Params> {
    Ok(Params {
        w_ih: a.tensor(2)?.clone(),
        w_hh: a.tensor(3)?.clone(),
        b_ih: optional(a, 4)?,
        b_hh: optional(a, 5)?,
        w_hr: None,
    })
}

/// ATen's checks of a cell's input, hidden state and weights, with its
/// messages.
fn check_cell(a: &Bound<'_>, x: &Tensor, h: &Tensor, p: &Params, kind: Kind) -> Result<()> {
    let fail = |message: String| RuntimeError::Shape {
        op: a.op.to_owned(),
        message,
    };
    let size = |t: &Tensor, d: usize| t.shape().get(d).copied().unwrap_or(0);
    let hidden = size(&p.w_hh, 1);
    let gates = kind.gates();
    if x.dim() != 2 || h.dim() != 2 || p.w_ih.dim() != 2 || p.w_hh.dim() != 2 {
        return Err(a.refuse("a cell input, state or weight that is not 2-d"));
    }
    if size(x, 1) != size(&p.w_ih, 1) {
        return Err(fail(format!(
            "input has inconsistent input_size: got {} expected {}",
            size(x, 1),
            size(&p.w_ih, 1)
        )));
    }
    for (name, w) in [("weight_ih", &p.w_ih), ("weight_hh", &p.w_hh)] {
        if size(w, 0) != gates * hidden {
            return Err(fail(format!(
                "{name} first dim must be {gates} * hidden_size = {}, but got {}",
                gates * hidden,
                size(w, 0)
            )));
        }
    }
    if size(x, 0) != size(h, 0) {
        return Err(fail(format!(
            "Input batch size {} doesn't match hidden0 batch size {}",
            size(x, 0),
            size(h, 0)
        )));
    }
    if size(h, 1) != hidden {
        return Err(fail(format!(
            "hidden0 has inconsistent hidden_size: got {}, expected {hidden}",
            size(h, 1)
        )));
    }
    Ok(())
}

/// `_pad_packed_sequence(data, batch_sizes, batch_first, padding_value,
/// total_length) -> (padded, lengths)`.
fn pad_packed_sequence(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let data = a.tensor(0)?;
    let sizes = a.tensor(1)?.to_i64_vec()?;
    let batch_first = a.flag(2)?;
    let total_length = a.int(4)?;
    let Some(&max_batch) = sizes.first() else {
        return Err(RuntimeError::Shape {
            op: a.op.to_owned(),
            message: "batch_sizes can not be empty".to_owned(),
        });
    };
    let real_len = sizes.len() as i64;
    let max_len = if total_length > 0 {
        if total_length < real_len {
            return Err(RuntimeError::Shape {
                op: a.op.to_owned(),
                message: format!(
                    "Expected total_length to be at least the length of the longest sequence \
                     in input, but got total_length={total_length} and max sequence length \
                     being {real_len}"
                ),
            });
        }
        total_length
    } else {
        real_len
    };
    let tail: Vec<i64> = data.shape().iter().skip(1).copied().collect();
    let mut size = vec![max_len, max_batch];
    size.extend_from_slice(&tail);
    let output = call(
        rt,
        "aten.full.default",
        vec![
            size.clone().into(),
            a.value(3)?.clone(),
            IValue::Dtype(data.dtype()),
        ],
    )?;
    let mut lengths = vec![0i64; usize::try_from(max_batch).unwrap_or(0)];
    let (mut offset, mut prev_bs, mut prev_i) = (0i64, max_batch, 0i64);
    let mut next_len = lengths.len();
    for i in 0..=real_len {
        let bs = if i == real_len { 0 } else { sizes[i as usize] };
        if bs != prev_bs {
            let l = prev_bs * (i - prev_i);
            let block = call(
                rt,
                "aten.slice.Tensor",
                vec![data.into(), 0i64.into(), offset.into(), (offset + l).into()],
            )?;
            let mut view = vec![i - prev_i, prev_bs];
            view.extend_from_slice(&tail);
            let block = call(rt, "aten.view.default", vec![block.into(), view.into()])?;
            let rows = call(
                rt,
                "aten.slice.Tensor",
                vec![(&output).into(), 0i64.into(), prev_i.into(), i.into()],
            )?;
            let dst = call(
                rt,
                "aten.slice.Tensor",
                vec![rows.into(), 1i64.into(), 0i64.into(), prev_bs.into()],
            )?;
            call(rt, "aten.copy_.default", vec![dst.into(), block.into()])?;
            offset += l;
            prev_i = i;
        }
        for _ in bs..prev_bs {
            if next_len == 0 {
                return Err(a.refuse("batch_sizes that grow"));
            }
            next_len -= 1;
            lengths[next_len] = i;
        }
        prev_bs = bs;
    }
    let lengths = Tensor::from_i64(a.op, &[max_batch], &[1], DType::Int64, &lengths)?;
    let output = if batch_first {
        rt.transpose(&output, 0, 1)?
    } else {
        output
    };
    Ok(vec![output.into(), lengths.into()])
}
