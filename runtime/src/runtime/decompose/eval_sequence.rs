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

#[cfg(test)]
mod tests {
    //! The composites run whole, as under `inference_mode` with a dispatch
    //! mode active. Expected values observed in torch 2.15.

    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn tensor(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
    }

    fn call(op: &str, args: Vec<IValue>) -> Vec<Tensor> {
        let mut rt = Runtime::new();
        rt.set_dispatch_mode_active(true);
        rt.set_grad_mode(false, true);
        rt.call(op, args)
            .expect("call")
            .into_iter()
            .filter_map(IValue::into_tensor)
            .collect()
    }

    /// `(T=2, N=1, C=3)` log-probabilities, `log_softmax` of
    /// `[[-1, -0.5, -2], [-0.25, -1.5, -0.75]]` in float64.
    fn log_probs() -> Tensor {
        tensor(
            &[2, 1, 3],
            DType::Float64,
            &[
                -1.1041306257247925,
                -0.6041306257247925,
                -2.104130744934082,
                -0.6381815671920776,
                -1.8881815671920776,
                -1.1381815671920776,
            ],
        )
    }

    fn ctc(input_length: i64, target_length: i64, reduction: i64, zero_infinity: bool) -> Tensor {
        let targets = tensor(&[1, 2], DType::Int64, &[1.0, 2.0]);
        call(
            "aten.ctc_loss.IntList",
            vec![
                log_probs().into(),
                targets.into(),
                IValue::IntList(vec![input_length]),
                IValue::IntList(vec![target_length]),
                IValue::Int(0),
                IValue::Int(reduction),
                IValue::Bool(zero_infinity),
            ],
        )
        .remove(0)
    }

    fn value(t: &Tensor) -> f64 {
        t.to_f64_vec().expect("values")[0]
    }

    /// `mean` divides by the target length clamped to 1; an impossible
    /// alignment is `inf` unless `zero_infinity` zeroes it.
    #[test]
    fn ctc_loss_mean_divides_by_clamped_lengths_and_zero_infinity_zeroes() {
        let nll = 1.7423121929168701;
        assert_eq!(value(&ctc(2, 2, 0, false)), nll);
        assert_eq!(value(&ctc(2, 2, 1, false)), nll / 2.0);
        assert_eq!(value(&ctc(2, 0, 1, false)), nll);
        assert_eq!(value(&ctc(1, 2, 0, false)), f64::INFINITY);
        assert_eq!(value(&ctc(1, 2, 1, true)), 0.0);
    }

    /// An unbatched `(T, C)` input's unreduced loss is 0-d.
    #[test]
    fn unbatched_ctc_loss_is_squeezed() {
        let lp = log_probs();
        let lp = tensor(&[2, 3], DType::Float64, &lp.to_f64_vec().expect("values"));
        let out = call(
            "aten.ctc_loss.Tensor",
            vec![
                lp.into(),
                tensor(&[2], DType::Int64, &[1.0, 2.0]).into(),
                tensor(&[], DType::Int64, &[2.0]).into(),
                tensor(&[], DType::Int64, &[2.0]).into(),
                IValue::Int(0),
                IValue::Int(0),
                IValue::Bool(false),
            ],
        );
        assert!(out[0].shape().is_empty());
        assert_eq!(value(&out[0]), 1.7423121929168701);
    }

    /// `_embedding_bag_forward_only` in sum mode sizes `bag_size` and
    /// `max_indices` by the offsets, the last offset included.
    #[test]
    fn forward_only_sum_bookkeeping_follows_the_offsets() {
        let weight = tensor(&[3, 2], DType::Float32, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let out = call(
            "aten.embedding_bag.padding_idx",
            vec![
                weight.into(),
                tensor(&[4], DType::Int32, &[0.0, 2.0, 1.0, 1.0]).into(),
                tensor(&[3], DType::Int64, &[0.0, 1.0, 4.0]).into(),
                IValue::Bool(false),
                IValue::Int(0),
                IValue::Bool(false),
                IValue::None,
                IValue::Bool(true),
                IValue::None,
            ],
        );
        assert_eq!(
            out[0].to_f64_vec().expect("values"),
            vec![1.0, 2.0, 11.0, 14.0]
        );
        assert_eq!(out[2].shape(), &[3]);
        assert_eq!(out[3].shape(), &[3]);
        // int32 indices with int64 offsets: int64 bookkeeping
        assert_eq!(out[2].dtype(), DType::Int64);
    }
}
