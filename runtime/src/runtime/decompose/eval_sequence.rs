//! The composites a sequence model's evaluation meets inside
//! `torch.inference_mode()`, where a dispatch mode sees them whole:
//! `ctc_loss` (`nn.CTCLoss` / `F.ctc_loss` scoring a speech model, lengths
//! as tensors or as lists) and `embedding_bag` (`nn.EmbeddingBag` /
//! `F.embedding_bag` pooling a text classifier's tokens). Both run the
//! kernels the training step records (`_ctc_loss`, `_embedding_bag` or
//! `_embedding_bag_forward_only`) and then what ATen's
//! CompositeImplicitAutograd kernel does around them in torch 2.15 (the
//! order observed by recording the parts under `no_grad`).

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
        "aten.ctc_loss.Tensor" => ctc_loss(rt, a, Lengths::Tensors),
        "aten.ctc_loss.IntList" => ctc_loss(rt, a, Lengths::Lists),
        "aten.embedding_bag.padding_idx" | "aten.embedding_bag.default" => embedding_bag(rt, a),
        _ => return None,
    };
    Some(out)
}

/// How a `ctc_loss` overload takes its lengths.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lengths {
    /// `ctc_loss.Tensor`: integral tensors, passed on to `_ctc_loss.Tensor`.
    Tensors,
    /// `ctc_loss.IntList`: `int[]`, passed on to `_ctc_loss`.
    Lists,
}

/// `ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
/// reduction, zero_infinity)`:
///
/// * an unbatched `(T, C)` input is unsqueezed to `(T, 1, C)`;
/// * `_ctc_loss` on targets converted to int64 (lengths as given), with
///   `zero_infinity` passed on — its forward still returns `inf` for an
///   impossible alignment, so the composite then replaces `inf` by a 0-d
///   zero through `where`;
/// * `mean` divides each loss by its target length clamped to at least 1
///   (the length tensor itself for `.Tensor`, a tensor of the list in the
///   loss's dtype for `.IntList`) and averages; `sum` sums; `none` returns
///   the per-sample losses, squeezed to 0-d when unbatched.
fn ctc_loss(rt: &mut Runtime, a: &Bound<'_>, lengths: Lengths) -> Result<Vec<IValue>> {
    let (log_probs, targets) = (a.tensor(0)?, a.tensor(1)?);
    let (blank, reduction, zero_infinity) = (a.int(4)?, a.int(5)?, a.flag(6)?);
    if lengths == Lengths::Tensors {
        for (i, name) in [(2, "input_lengths"), (3, "target_lengths")] {
            if !a.tensor(i)?.dtype().is_integral(false) {
                return Err(RuntimeError::shape(
                    a.op,
                    format!("{name} must be integral"),
                ));
            }
        }
    }
    let batched = log_probs.dim() == 3;
    let log_probs = if batched {
        log_probs.clone()
    } else {
        one(
            rt,
            "aten.unsqueeze.default",
            vec![log_probs.into(), IValue::Int(1)],
        )?
    };
    let targets = if targets.dtype() == DType::Int64 {
        targets.clone()
    } else {
        one(
            rt,
            "aten._to_copy.default",
            vec![targets.into(), IValue::Dtype(DType::Int64)],
        )?
    };
    let kernel = match lengths {
        Lengths::Tensors => "aten._ctc_loss.Tensor",
        Lengths::Lists => "aten._ctc_loss.default",
    };
    let mut res = one(
        rt,
        kernel,
        vec![
            log_probs.into(),
            targets.into(),
            a.value(2)?.clone(),
            a.value(3)?.clone(),
            IValue::Int(blank),
            IValue::Bool(zero_infinity),
        ],
    )?;
    if zero_infinity && !rt.faults.ctc_loss_keeps_infinity {
        let is_inf = one(
            rt,
            "aten.eq.Scalar",
            vec![(&res).into(), IValue::Float(f64::INFINITY)],
        )?;
        let zero = one(
            rt,
            "aten.zeros.default",
            vec![IValue::IntList(Vec::new()), IValue::Dtype(res.dtype())],
        )?;
        res = one(
            rt,
            "aten.where.self",
            vec![is_inf.into(), zero.into(), res.into()],
        )?;
    }
    let out = match reduction {
        1 => {
            let target_lengths = match lengths {
                Lengths::Tensors => a.tensor(3)?.clone(),
                Lengths::Lists => {
                    let values: Vec<f64> = a.ints(3)?.iter().map(|&n| n as f64).collect();
                    let n = values.len() as i64;
                    Tensor::from_f64(a.op, &[n], &[1], res.dtype(), &values)?
                }
            };
            let clamped = one(
                rt,
                "aten.clamp_min.default",
                vec![target_lengths.into(), IValue::Int(1)],
            )?;
            let per_label = one(rt, "aten.div.Tensor", vec![res.into(), clamped.into()])?;
            one(rt, "aten.mean.default", vec![per_label.into()])?
        }
        2 => one(rt, "aten.sum.default", vec![res.into()])?,
        0 if batched => res,
        0 => one(rt, "aten.squeeze.dim", vec![res.into(), IValue::Int(0)])?,
        r => {
            return Err(RuntimeError::shape(
                a.op,
                format!("{r} is not a valid value for reduction"),
            ));
        }
    };
    Ok(vec![out.into()])
}

/// `embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode,
/// sparse, per_sample_weights, include_last_offset[, padding_idx])`:
/// `padding_idx` checked against the weight's rows and wrapped (-1 when
/// absent), then `_embedding_bag` when the weight requires grad, else
/// `_embedding_bag_forward_only`, on contiguous indices and offsets; its
/// four results returned as they are.
fn embedding_bag(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let weight = a.tensor(0)?;
    let padding_idx = match a.args.get(8) {
        None | Some(IValue::None) => -1,
        Some(_) => {
            let p = a.int(8)?;
            let rows = weight.shape().first().copied().unwrap_or(0);
            if !(-rows..rows).contains(&p) {
                return Err(RuntimeError::shape(
                    a.op,
                    format!(
                        "padding_idx must be within the number of embeddings, -{rows} through {}, but got {p}",
                        rows - 1
                    ),
                ));
            }
            if p < 0 { p + rows } else { p }
        }
    };
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
    let indices = contiguous(rt, a.tensor(1)?)?;
    let offsets = contiguous(rt, a.tensor(2)?)?;
    let kernel = if weight.requires_grad() {
        "aten._embedding_bag.default"
    } else {
        "aten._embedding_bag_forward_only.default"
    };
    rt.dispatch(
        kernel,
        vec![
            weight.into(),
            indices.into(),
            offsets.into(),
            a.value(3)?.clone(),
            a.value(4)?.clone(),
            a.value(5)?.clone(),
            a.value(6)?.clone(),
            a.value(7)?.clone(),
            IValue::Int(padding_idx),
        ],
    )
}
