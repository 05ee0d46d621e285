//! CompositeImplicitAutograd kernels (handler `math`).
//!
//! A composite operator is not an event: its parts dispatch from the top,
//! each recorded on its own — what a dispatch mode sees of `aten.linear`
//! is `aten.t` then `aten.addmm`. Where a mode sees a composite whole
//! (inside `inference_mode`, see `observed_composite.rs`) these
//! decompositions run unrecorded, so only their results must be PyTorch's:
//! values, shapes, strides, and whether the result is the input itself, a
//! view of it or a new tensor.

mod composite_out;
mod conversion;
mod eval_aliases;
mod eval_chains;
mod eval_composites;
mod eval_dropout;
mod eval_embedding;
mod eval_fft;
mod eval_layers;
mod eval_metrics;
mod eval_rnn;
mod eval_sequence;
mod eval_sparse;
mod eval_spectral;
mod inference_eval;
#[cfg(test)]
mod test_support;

use super::Runtime;
use crate::dispatch::registry::OpEntry;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::MemoryFormat;
use crate::tensor::strides::{infer_size, view_strides};

/// Runs the decomposition of `entry` on bound `args`.
pub(super) fn run(rt: &mut Runtime, entry: &OpEntry, args: &[IValue]) -> Result<Vec<IValue>> {
    let op = entry.python_name.as_str();
    let a = Bound { op, args };
    match op {
        "aten.linear.default" => linear(rt, op, args),
        "aten.promote_types.default" => {
            let (x, y) = (a.dtype(0)?, a.dtype(1)?);
            let promoted = if rt.faults.promote_types_by_size {
                if y.element_size() > x.element_size() {
                    y
                } else {
                    x
                }
            } else {
                crate::tensor::promote::promote_types(x, y)
            };
            Ok(vec![IValue::Int(promoted.scalar_type_index())])
        }
        "aten.can_cast.default" => Ok(vec![IValue::Bool(crate::tensor::promote::can_cast(
            a.dtype(0)?,
            a.dtype(1)?,
        ))]),
        "aten.softmax.int" => softmax(rt, &a, "aten._softmax.default"),
        "aten.log_softmax.int" => softmax(rt, &a, "aten._log_softmax.default"),
        "aten.cross_entropy_loss.default" => inference_eval::cross_entropy(rt, &a),
        "aten.nll_loss.default" => nll_loss(
            rt,
            &a,
            a.tensor(0)?,
            a.tensor(1)?,
            a.value(2)?.clone(),
            false,
        ),
        "aten.nll_loss_nd.default" => nll_loss(
            rt,
            &a,
            a.tensor(0)?,
            a.tensor(1)?,
            a.value(2)?.clone(),
            true,
        ),
        "aten.layer_norm.default" => first(rt.dispatch(
            "aten.native_layer_norm.default",
            // (input, normalized_shape, weight, bias, eps)
            a.args.iter().take(5).cloned().collect(),
        )?),
        "aten.batch_norm.default" => first(rt.dispatch(
            "aten.native_batch_norm.default",
            a.args.iter().take(8).cloned().collect(),
        )?),
        "aten.group_norm.default" => group_norm(rt, &a),
        "aten.scaled_dot_product_attention.default" => attention(rt, &a),
        "aten.conv1d.default" => convolution(rt, &a, 1),
        "aten.conv2d.default" => convolution(rt, &a, 2),
        "aten.max_pool2d.default" => first(rt.dispatch(
            "aten.max_pool2d_with_indices.default",
            a.args.iter().take(6).cloned().collect(),
        )?),
        "aten.adaptive_avg_pool2d.default" => adaptive_avg_pool2d(rt, &a),
        "aten.matmul.default" => matmul(rt, &a),
        "aten.flatten.using_ints" => flatten(rt, &a),
        "aten.unflatten.int" => unflatten(rt, &a),
        "aten.reshape.default" => {
            let x = a.tensor(0)?;
            reshape(rt, x, &a.ints(1)?)
        }
        "aten.view_as.default" => rt.dispatch(
            "aten.view.default",
            vec![a.tensor(0)?.into(), a.tensor(1)?.shape().to_vec().into()],
        ),
        "aten.expand_as.default" => rt.dispatch(
            "aten.expand.default",
            vec![a.tensor(0)?.into(), a.tensor(1)?.shape().to_vec().into()],
        ),
        "aten.chunk.default" => chunk(rt, &a),
        "aten.contiguous.default" => contiguous(rt, &a),
        // `tolist()` and `numpy()` resolve the conjugate and negative bits
        // first: the tensor itself when they are unset.
        "aten.resolve_conj.default" => {
            let x = a.tensor(0)?;
            if x.is_conj() {
                return Err(a.refuse("a tensor with its conjugate bit set"));
            }
            Ok(vec![x.into()])
        }
        "aten.resolve_neg.default" => {
            let x = a.tensor(0)?;
            if x.is_neg() {
                // the negation materialized by the copy `clone` makes
                return rt.dispatch("aten.clone.default", vec![x.into()]);
            }
            Ok(vec![x.into()])
        }
        "aten.item.default" => rt.dispatch(
            "aten._local_scalar_dense.default",
            vec![a.tensor(0)?.into()],
        ),
        "aten.type_as.default" => {
            let dtype = a.tensor(1)?.dtype();
            convert(rt, a.tensor(0)?, dtype, false)
        }
        "aten.rms_norm.default" => rms_norm(rt, &a),
        "aten.to.dtype_layout" | "aten.to.dtype" | "aten.to.device" | "aten.to.other" => {
            conversion::to(rt, &a)
        }
        "aten.to_dense.default" => {
            // A sparse tensor: `_to_dense`; a strided one: itself, or
            // `to(dtype)`.
            let x = a.tensor(0)?;
            if x.is_sparse() {
                return rt.dispatch(
                    "aten._to_dense.default",
                    vec![x.into(), a.value(1)?.clone(), a.value(2)?.clone()],
                );
            }
            match a.value(1)? {
                IValue::None => Ok(vec![x.into()]),
                _ => convert(rt, x, a.dtype(1)?, false),
            }
        }
        "aten.to_dense_backward.default" => {
            let (grad, input) = (a.tensor(0)?, a.tensor(1)?);
            if !input.is_sparse() {
                return Ok(vec![grad.into()]);
            }
            let masked_grad = a.value(2)?.clone();
            Ok(vec![
                crate::autograd::functions::sparse::to_dense_backward(
                    rt,
                    grad,
                    input,
                    &masked_grad,
                )?
                .into(),
            ])
        }
        _ => match eval_metrics::run(rt, &a)
            .or_else(|| composite_out::run(rt, entry, args))
            .or_else(|| inference_eval::run(rt, &a))
            .or_else(|| eval_sequence::run(rt, &a))
            .or_else(|| eval_embedding::run(rt, &a))
            .or_else(|| eval_rnn::run(rt, &a))
            .or_else(|| eval_sparse::run(rt, &a))
            .or_else(|| eval_spectral::run(rt, &a))
            .or_else(|| eval_fft::run(rt, &a))
            .or_else(|| eval_chains::run(rt, &a))
            .or_else(|| eval_composites::run(rt, &a))
            .or_else(|| eval_aliases::run(rt, &a))
            .or_else(|| eval_layers::run(rt, &a))
        {
            Some(out) => out,
            None => Err(RuntimeError::unsupported(op, "a decomposition")),
        },
    }
}

/// A composite's bound arguments (schema order, defaults filled in).
struct Bound<'a> {
    op: &'a str,
    args: &'a [IValue],
}

impl Bound<'_> {
    fn refuse(&self, what: &str) -> RuntimeError {
        RuntimeError::unsupported(self.op, what.to_owned())
    }

    fn value(&self, i: usize) -> Result<&IValue> {
        self.args
            .get(i)
            .ok_or_else(|| self.refuse(&format!("a call without argument {i}")))
    }

    fn tensor(&self, i: usize) -> Result<&Tensor> {
        self.value(i)?
            .as_tensor()
            .ok_or_else(|| self.refuse(&format!("argument {i} that is not a tensor")))
    }

    fn int(&self, i: usize) -> Result<i64> {
        match self.value(i)? {
            IValue::Int(n) => Ok(*n),
            _ => Err(self.refuse(&format!("argument {i} that is not an int"))),
        }
    }

    /// An optional int; an argument the caller left out is its schema
    /// default, `None`.
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.args.get(i) {
            None | Some(IValue::None) => Ok(None),
            Some(IValue::Int(n)) => Ok(Some(*n)),
            _ => Err(self.refuse(&format!("argument {i} that is not an int"))),
        }
    }

    fn float(&self, i: usize) -> Result<f64> {
        match self.value(i)? {
            IValue::Float(x) => Ok(*x),
            IValue::Int(n) => Ok(*n as f64),
            _ => Err(self.refuse(&format!("argument {i} that is not a float"))),
        }
    }

    fn dtype(&self, i: usize) -> Result<DType> {
        match self.value(i)? {
            IValue::Dtype(d) => Ok(*d),
            _ => Err(self.refuse(&format!("argument {i} that is not a dtype"))),
        }
    }

    fn flag(&self, i: usize) -> Result<bool> {
        match self.value(i)? {
            IValue::Bool(b) => Ok(*b),
            _ => Err(self.refuse(&format!("argument {i} that is not a bool"))),
        }
    }

    fn ints(&self, i: usize) -> Result<Vec<i64>> {
        match self.value(i)? {
            IValue::IntList(v) => Ok(v.clone()),
            IValue::Int(n) => Ok(vec![*n]),
            _ => Err(self.refuse(&format!("argument {i} that is not an int list"))),
        }
    }
}

/// The first result of a multi-result operator.
fn first(mut outputs: Vec<IValue>) -> Result<Vec<IValue>> {
    outputs.truncate(1);
    Ok(outputs)
}

fn one(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    rt.dispatch(op, args)?
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
}

/// PyTorch raised `RuntimeError(message)` inside the composite.
fn fail(a: &Bound<'_>, message: impl Into<String>) -> RuntimeError {
    RuntimeError::shape(a.op, message)
}

/// `maybe_wrap_dim`: a 0-d tensor takes dimensions -1 and 0; out of range
/// is PyTorch's error (an `IndexError` in Python).
fn wrap(a: &Bound<'_>, dim: i64, rank: usize) -> Result<usize> {
    let n = rank.max(1) as i64;
    if dim < -n || dim >= n {
        return Err(fail(
            a,
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -n,
                n - 1
            ),
        ));
    }
    Ok(if dim < 0 { dim + n } else { dim } as usize)
}

/// A dimension index, negative ones counted from the end.
fn wrap_dim(a: &Bound<'_>, dim: i64, rank: usize) -> Result<usize> {
    let rank = rank.max(1) as i64;
    let d = if dim < 0 { dim + rank } else { dim };
    if (0..rank).contains(&d) {
        Ok(d as usize)
    } else {
        Err(a.refuse(&format!("dimension {dim} of a {rank}-d tensor")))
    }
}

/// `softmax.int` / `log_softmax.int`: converted to `dtype` first when
/// given, then the kernel without `half_to_float`.
fn softmax(rt: &mut Runtime, a: &Bound<'_>, kernel: &str) -> Result<Vec<IValue>> {
    let mut x = a.tensor(0)?.clone();
    if let IValue::Dtype(dtype) = a.value(2)? {
        x = one(
            rt,
            "aten._to_copy.default",
            vec![x.into(), IValue::Dtype(*dtype)],
        )?;
    }
    rt.dispatch(kernel, vec![x.into(), a.int(1)?.into(), false.into()])
}

/// `nll_loss` (the 1-d/2-d kernel, or the 2-d spatial one for images) and
/// `nll_loss_nd` (`nd`), which also takes `(N, C, d1, ...)` of 3 or more
/// than 4 dimensions: both made contiguous, viewed as `(N, C, 1, -1)` and
/// `(N, 1, -1)` for the 2-d kernel, an unreduced loss viewed back to
/// `(N, d1, ...)`.
fn nll_loss(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    target: &Tensor,
    weight: IValue,
    nd: bool,
) -> Result<Vec<IValue>> {
    let (reduction, ignore_index) = (a.int(3)?, a.int(4)?);
    // PyTorch raises these as ValueError; the runtime has no such class
    // for an operator's own check, so they surface as RuntimeError.
    let value_error = |message: String| RuntimeError::Shape {
        op: a.op.to_owned(),
        message,
    };
    if nd && x.dim() < 1 {
        return Err(value_error(format!(
            "Expected 1 or more dimensions (got {})",
            x.dim()
        )));
    }
    if nd && x.dim() != 1 && x.shape().first() != target.shape().first() {
        return Err(value_error(format!(
            "Expected input batch_size ({}) to match target batch_size ({}).",
            x.shape().first().copied().unwrap_or(0),
            target.shape().first().copied().unwrap_or(0)
        )));
    }
    let kernel = match x.dim() {
        1 | 2 => "aten.nll_loss_forward.default",
        4 => "aten.nll_loss2d_forward.default",
        d if nd && d >= 3 => return nll_loss_spatial(rt, a, x, target, weight),
        _ => return Err(a.refuse("inputs that are not 1-d, 2-d or 4-d")),
    };
    first(rt.dispatch(
        kernel,
        vec![
            x.into(),
            target.into(),
            weight,
            reduction.into(),
            ignore_index.into(),
        ],
    )?)
}

/// `nll_loss_nd` of a 3-d or more-than-4-d input through `nll_loss2d`.
fn nll_loss_spatial(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    target: &Tensor,
    weight: IValue,
) -> Result<Vec<IValue>> {
    let (reduction, ignore_index) = (a.int(3)?, a.int(4)?);
    let shape = x.shape();
    let (n, c) = (shape[0], shape[1]);
    let mut out_size = vec![n];
    out_size.extend_from_slice(&shape[2..]);
    if target.shape().get(1..) != Some(&shape[2..]) {
        return Err(RuntimeError::Shape {
            op: a.op.to_owned(),
            message: format!(
                "Expected target size {out_size:?}, got {:?}",
                target.shape()
            ),
        });
    }
    let contiguous = |rt: &mut Runtime, t: &Tensor| -> Result<Tensor> {
        if t.is_contiguous() {
            return Ok(t.clone());
        }
        one(
            rt,
            "aten.clone.default",
            vec![t.into(), IValue::MemoryFormat(MemoryFormat::Contiguous)],
        )
    };
    let input = contiguous(rt, x)?;
    let target = contiguous(rt, target)?;
    let (input_shape, target_shape) = if input.numel() > 0 {
        (vec![n, c, 1, -1], vec![n, 1, -1])
    } else {
        (vec![n, c, 0, 0], vec![n, 0, 0])
    };
    let target_shape = if target.numel() > 0 {
        vec![n, 1, -1]
    } else {
        target_shape
    };
    let input = one(
        rt,
        "aten.view.default",
        vec![input.into(), input_shape.into()],
    )?;
    let target = one(
        rt,
        "aten.view.default",
        vec![target.into(), target_shape.into()],
    )?;
    let out = first(rt.dispatch(
        "aten.nll_loss2d_forward.default",
        vec![
            input.into(),
            target.into(),
            weight,
            reduction.into(),
            ignore_index.into(),
        ],
    )?)?;
    if reduction != 0 {
        return Ok(out);
    }
    let out = out
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| a.refuse("nll_loss2d without a tensor result"))?;
    rt.dispatch("aten.view.default", vec![out.into(), out_size.into()])
}

/// `group_norm`: `native_group_norm` over `(N, C, H*W)`.
fn group_norm(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let shape = x.shape();
    let (Some(&n), Some(&c)) = (shape.first(), shape.get(1)) else {
        return Err(a.refuse("inputs of fewer than 2 dimensions"));
    };
    let hxw: i64 = shape[2..].iter().product();
    first(rt.dispatch(
        "aten.native_group_norm.default",
        vec![
            x.into(),
            a.value(2)?.clone(),
            a.value(3)?.clone(),
            n.into(),
            c.into(),
            hxw.into(),
            a.int(1)?.into(),
            a.float(4)?.into(),
        ],
    )?)
}

/// `scaled_dot_product_attention` without dropout: the CPU flash kernel,
/// which takes fewer key/value heads than query heads itself
/// (`enable_gqa=True`: PyTorch's CPU flash kernel supports grouped-query
/// attention and checks the head counts).
fn attention(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    if a.float(4)? != 0.0 {
        return Err(a.refuse("dropout"));
    }
    first(rt.dispatch(
        "aten._scaled_dot_product_flash_attention_for_cpu.default",
        vec![
            a.tensor(0)?.into(),
            a.tensor(1)?.into(),
            a.tensor(2)?.into(),
            0.0.into(),
            a.flag(5)?.into(),
            a.value(3)?.clone(),
            a.value(6)?.clone(),
        ],
    )?)
}

/// `conv1d` / `conv2d`: `convolution`, an unbatched input given a batch of
/// one and the result's batch dimension dropped again.
fn convolution(rt: &mut Runtime, a: &Bound<'_>, spatial: usize) -> Result<Vec<IValue>> {
    let mut x = a.tensor(0)?.clone();
    let batched = x.dim() == spatial + 2;
    if !batched {
        if x.dim() != spatial + 1 {
            return Err(a.refuse("an input of the wrong rank"));
        }
        x = one(rt, "aten.unsqueeze.default", vec![x.into(), 0i64.into()])?;
    }
    let out = one(
        rt,
        "aten.convolution.default",
        vec![
            x.into(),
            a.tensor(1)?.into(),
            a.value(2)?.clone(),
            a.ints(3)?.into(),
            a.ints(4)?.into(),
            a.ints(5)?.into(),
            false.into(),
            vec![0i64; spatial].into(),
            a.int(6)?.into(),
        ],
    )?;
    if batched {
        return Ok(vec![out.into()]);
    }
    rt.dispatch("aten.squeeze.dim", vec![out.into(), 0i64.into()])
}

/// `adaptive_avg_pool2d`: a mean over the spatial dimensions for a 1×1
/// output (as PyTorch does), the kernel otherwise.
fn adaptive_avg_pool2d(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let size = a.ints(1)?;
    if size.iter().all(|&s| s == 1) {
        return rt.dispatch(
            "aten.mean.dim",
            vec![a.tensor(0)?.into(), vec![-1i64, -2].into(), true.into()],
        );
    }
    rt.dispatch(
        "aten._adaptive_avg_pool2d.default",
        vec![a.tensor(0)?.into(), size.into()],
    )
}

/// `matmul` by the ranks of its operands: `dot`, `mv`, `mm`, a folded `mm`
/// for a batch of rows times a matrix, and `bmm` over broadcast batches.
fn matmul(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?.clone(), a.tensor(1)?.clone());
    let out = match (x.dim(), y.dim()) {
        (0, _) | (_, 0) => return Err(a.refuse("0-d operands")),
        (1, 1) => one(rt, "aten.dot.default", vec![x.into(), y.into()])?,
        (2, 1) => one(rt, "aten.mv.default", vec![x.into(), y.into()])?,
        (1, 2) => {
            let row = one(rt, "aten.unsqueeze.default", vec![x.into(), 0i64.into()])?;
            let out = one(rt, "aten.mm.default", vec![row.into(), y.into()])?;
            one(rt, "aten.squeeze.dim", vec![out.into(), 0i64.into()])?
        }
        (2, 2) => one(rt, "aten.mm.default", vec![x.into(), y.into()])?,
        (n, 1 | 2) if n >= 3 && should_fold(&x, &y) => {
            // fold the leading dimensions into rows
            let shape = x.shape().to_vec();
            let k = shape[n - 1];
            let rows = reshape_one(rt, &x, &[-1, k])?;
            let (y2, vector) = if y.dim() == 1 {
                (
                    one(rt, "aten.unsqueeze.default", vec![y.into(), 1i64.into()])?,
                    true,
                )
            } else {
                (y, false)
            };
            let m = y2.shape()[1];
            let out = one(rt, "aten.mm.default", vec![rows.into(), y2.into()])?;
            let mut out_shape = shape[..n - 1].to_vec();
            if !vector {
                out_shape.push(m);
            }
            one(
                rt,
                "aten._unsafe_view.default",
                vec![out.into(), out_shape.into()],
            )?
        }
        _ => batched_matmul(rt, a, x, y)?,
    };
    Ok(vec![out.into()])
}

/// PyTorch's `should_fold` for a batch of rows `x` (≥ 3-d) times a matrix
/// or vector `y`: fold into one `mm` when `y` requires grad (the copy of a
/// reshape is cheaper than a large gradient in `bmm`'s backward), when `x`
/// is empty, or when `x`'s leading dimensions merge into rows without a
/// copy; otherwise `bmm` over the broadcast batch.
fn should_fold(x: &Tensor, y: &Tensor) -> bool {
    if y.requires_grad() || x.numel() == 0 {
        return true;
    }
    let (shape, strides) = (x.shape(), x.stride());
    (0..shape.len() - 2).all(|i| strides[i] == strides[i + 1] * shape[i + 1])
}

/// `matmul` with a batch on either side: both operands broadcast to one
/// batch shape, flattened to 3-d for `bmm`, the result viewed back.
fn batched_matmul(rt: &mut Runtime, a: &Bound<'_>, x: Tensor, y: Tensor) -> Result<Tensor> {
    let x_vec = x.dim() == 1;
    let y_vec = y.dim() == 1;
    let x = if x_vec {
        one(rt, "aten.unsqueeze.default", vec![x.into(), 0i64.into()])?
    } else {
        x
    };
    let y = if y_vec {
        one(rt, "aten.unsqueeze.default", vec![y.into(), 1i64.into()])?
    } else {
        y
    };
    let (xs, ys) = (x.shape().to_vec(), y.shape().to_vec());
    let (n, k) = (xs[xs.len() - 2], xs[xs.len() - 1]);
    let (k2, m) = (ys[ys.len() - 2], ys[ys.len() - 1]);
    if k != k2 {
        return Err(a.refuse("operands whose inner dimensions differ"));
    }
    let batch = broadcast_shapes(&xs[..xs.len() - 2], &ys[..ys.len() - 2])
        .ok_or_else(|| a.refuse("batch dimensions that do not broadcast"))?;
    let count: i64 = batch.iter().product();
    let expand_to = |dims: [i64; 2]| -> Vec<i64> { batch.iter().copied().chain(dims).collect() };
    // Each operand is expanded and reshaped before the other's (observed
    // in torch 2.15: `expand`, `view`, `expand`, `view`, `bmm`).
    let xe = one(
        rt,
        "aten.expand.default",
        vec![x.into(), expand_to([n, k]).into()],
    )?;
    let x3 = reshape_one(rt, &xe, &[count, n, k])?;
    let ye = one(
        rt,
        "aten.expand.default",
        vec![y.into(), expand_to([k, m]).into()],
    )?;
    let y3 = reshape_one(rt, &ye, &[count, k, m])?;
    let out = one(rt, "aten.bmm.default", vec![x3.into(), y3.into()])?;
    let mut shape = batch.clone();
    if !x_vec {
        shape.push(n);
    }
    if !y_vec {
        shape.push(m);
    }
    one(
        rt,
        "aten._unsafe_view.default",
        vec![out.into(), shape.into()],
    )
}

/// The broadcast of two batch shapes, or `None` when they do not broadcast.
fn broadcast_shapes(a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
    let n = a.len().max(b.len());
    let at = |s: &[i64], i: usize| -> i64 {
        let pad = n - s.len();
        if i < pad { 1 } else { s[i - pad] }
    };
    (0..n)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// `flatten.using_ints`: the input itself when there is nothing to merge
/// (as PyTorch returns it), a reshape otherwise.
fn flatten(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dim() == 0 {
        return reshape(rt, x, &[1]);
    }
    let start = wrap_dim(a, a.int(1)?, x.dim())?;
    let end = wrap_dim(a, a.int(2)?, x.dim())?;
    if start > end {
        return Err(a.refuse("start_dim after end_dim"));
    }
    if start == end {
        return Ok(vec![x.into()]);
    }
    let shape = x.shape();
    let merged: i64 = shape[start..=end].iter().product();
    let new: Vec<i64> = shape[..start]
        .iter()
        .copied()
        .chain([merged])
        .chain(shape[end + 1..].iter().copied())
        .collect();
    reshape(rt, x, &new)
}

/// `unflatten.int`: dimension `dim` split into `sizes` (one `-1` inferred
/// from the dimension's size), always a `view` as PyTorch's
/// `unflatten_impl` takes one (a layout no view can give fails there).
/// The `unflatten-copies` fault returns a contiguous copy instead.
fn unflatten(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dim() == 0 {
        return Err(a.refuse("a 0-d tensor"));
    }
    let dim = wrap_dim(a, a.int(1)?, x.dim())?;
    let mut sizes = a.ints(2)?;
    if sizes.is_empty() {
        return Err(RuntimeError::shape(
            a.op,
            "unflatten: sizes must be non-empty",
        ));
    }
    let n = x.shape()[dim];
    let inferred = infer_size(&sizes, usize::try_from(n).unwrap_or(0)).map_err(|e| {
        if e.contains("only one dimension") {
            RuntimeError::shape(a.op, e)
        } else {
            RuntimeError::shape(
                a.op,
                format!(
                    "unflatten: Provided sizes {sizes:?} don't multiply up to the size of dim {dim} ({n}) in the input tensor"
                ),
            )
        }
    })?;
    sizes = inferred;
    let shape = x.shape();
    let new: Vec<i64> = shape[..dim]
        .iter()
        .copied()
        .chain(sizes)
        .chain(shape[dim + 1..].iter().copied())
        .collect();
    if rt.faults.unflatten_copies {
        let copy = one(
            rt,
            "aten.clone.default",
            vec![x.into(), IValue::MemoryFormat(MemoryFormat::Contiguous)],
        )?;
        return rt.dispatch("aten._unsafe_view.default", vec![copy.into(), new.into()]);
    }
    rt.dispatch("aten.view.default", vec![x.into(), new.into()])
}

/// `reshape`: a view when the strides allow one, else a contiguous copy
/// viewed to the shape.
fn reshape(rt: &mut Runtime, x: &Tensor, shape: &[i64]) -> Result<Vec<IValue>> {
    Ok(vec![reshape_one(rt, x, shape)?.into()])
}

fn reshape_one(rt: &mut Runtime, x: &Tensor, shape: &[i64]) -> Result<Tensor> {
    let size = infer_size(shape, x.numel())
        .map_err(|e| RuntimeError::unsupported("aten.reshape.default", e))?;
    if view_strides(x.shape(), x.stride(), &size).is_some() {
        return one(rt, "aten.view.default", vec![x.into(), size.into()]);
    }
    let copy = one(
        rt,
        "aten.clone.default",
        vec![x.into(), IValue::MemoryFormat(MemoryFormat::Contiguous)],
    )?;
    one(
        rt,
        "aten._unsafe_view.default",
        vec![copy.into(), shape.to_vec().into()],
    )
}

/// `chunk`: `split` into pieces of `ceil(size / chunks)`.
fn chunk(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let chunks = a.int(1)?;
    if chunks <= 0 {
        return Err(a.refuse("a chunk count that is not positive"));
    }
    let dim = wrap_dim(a, a.int(2)?, x.dim())?;
    let size = x.shape().get(dim).copied().unwrap_or(1);
    let split = ((size + chunks - 1) / chunks).max(1);
    rt.dispatch(
        "aten.split.Tensor",
        vec![x.into(), split.into(), (dim as i64).into()],
    )
}

/// `contiguous`: the input itself when it already is, else a copy.
fn contiguous(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    match a.value(1)? {
        IValue::MemoryFormat(MemoryFormat::Contiguous) | IValue::Int(0) => {}
        _ => return Err(a.refuse("a memory format other than contiguous")),
    }
    if x.is_contiguous() {
        return Ok(vec![x.into()]);
    }
    rt.dispatch(
        "aten.clone.default",
        vec![x.into(), IValue::MemoryFormat(MemoryFormat::Contiguous)],
    )
}

/// `to(dtype)` / `type_as`: the input itself when nothing changes and no
/// copy is asked for, else `_to_copy`.
fn convert(rt: &mut Runtime, x: &Tensor, dtype: DType, copy: bool) -> Result<Vec<IValue>> {
    if x.dtype() == dtype && !copy {
        return Ok(vec![x.into()]);
    }
    rt.dispatch(
        "aten._to_copy.default",
        vec![x.into(), IValue::Dtype(dtype)],
    )
}

/// `linear(input, weight, bias)`: for a matrix input with a bias,
/// `addmm(bias, input, weight.t())`; without a bias, `mm(input, weight.t())`
/// (matmul of two matrices). An input of other rank is folded into rows
/// first and the result viewed back (PyTorch's `_flatten_nd_linear`).
fn linear(rt: &mut Runtime, op: &str, args: &[IValue]) -> Result<Vec<IValue>> {
    let input = args.first().and_then(IValue::as_tensor);
    let weight = args.get(1).and_then(IValue::as_tensor);
    let (Some(input), Some(weight)) = (input, weight) else {
        return Err(RuntimeError::unsupported(op, "non-tensor input or weight"));
    };
    if input.dim() == 0 {
        return Err(RuntimeError::unsupported(op, "a 0-d input"));
    }
    let shape = input.shape().to_vec();
    let features = shape[shape.len() - 1];
    let rows = if input.dim() == 2 {
        input.clone()
    } else {
        reshape_one(rt, input, &[-1, features])?
    };
    let wt = rt.t(weight)?;
    let out = match args.get(2) {
        Some(IValue::Tensor(bias)) => one(
            rt,
            "aten.addmm.default",
            vec![bias.into(), rows.into(), wt.into()],
        )?,
        _ => rt.mm(&rows, &wt)?,
    };
    if input.dim() == 2 {
        return Ok(vec![out.into()]);
    }
    // the input's leading dimensions (none for a vector), then out_features
    let mut out_shape = shape[..shape.len() - 1].to_vec();
    out_shape.push(weight.shape().first().copied().unwrap_or(1));
    reshape(rt, &out, &out_shape)
}

/// `rms_norm`: ATen's composite, computed in the input's op-math dtype
/// (float32 for float16 and bfloat16): `x * rsqrt(mean(x^2) + eps)` over
/// the trailing `normalized_shape` dimensions (kept), times `weight` when
/// given, converted back to the input's dtype at the end. `eps` defaults to
/// the op-math dtype's machine epsilon and is rounded to float32 when that
/// dtype is float32, as ATen's `float eps_val`.
fn rms_norm(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let normalized = a.ints(1)?.len();
    if normalized > x.dim() {
        return Err(a.refuse("a normalized_shape longer than the input's shape"));
    }
    let opmath = match x.dtype() {
        DType::Float16 | DType::BFloat16 => DType::Float32,
        DType::Float32 | DType::Float64 => x.dtype(),
        other => return Err(a.refuse(&format!("a {other:?} input"))),
    };
    let eps = match a.value(3)? {
        IValue::None if opmath == DType::Float64 => f64::EPSILON,
        IValue::None => f64::from(f32::EPSILON),
        _ => a.float(3)?,
    };
    let eps = if opmath == DType::Float32 {
        f64::from(eps as f32)
    } else {
        eps
    };
    let upcast = match convert(rt, x, opmath, false)?.into_iter().next() {
        Some(IValue::Tensor(t)) => t,
        _ => return Err(a.refuse("an input its op-math conversion did not return")),
    };
    let rank = x.dim() as i64;
    let dims: Vec<i64> = (1..=normalized as i64).map(|i| rank - i).collect();
    let squares = one(
        rt,
        "aten.pow.Tensor_Scalar",
        vec![(&upcast).into(), 2i64.into()],
    )?;
    let mean = one(
        rt,
        "aten.mean.dim",
        vec![squares.into(), IValue::IntList(dims), true.into()],
    )?;
    let shifted = one(rt, "aten.add_.Scalar", vec![mean.into(), eps.into()])?;
    let scale = one(rt, "aten.rsqrt.default", vec![shifted.into()])?;
    let mut out = one(rt, "aten.mul.Tensor", vec![upcast.into(), scale.into()])?;
    if let IValue::Tensor(weight) = a.value(2)? {
        if rt.faults.rms_norm_rounds_before_weight {
            let rounded = convert(rt, &out, x.dtype(), false)?;
            let mut args = rounded;
            args.push(weight.into());
            return rt.dispatch("aten.mul.Tensor", args);
        }
        out = one(rt, "aten.mul.Tensor", vec![out.into(), weight.into()])?;
    }
    convert(rt, &out, x.dtype(), false)
}
