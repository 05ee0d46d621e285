//! More composites an evaluation loop meets inside `torch.inference_mode()`,
//! where a dispatch mode sees them whole: `cross_entropy` with label
//! smoothing or class-probability targets (and `nll_loss_nd` over sequence
//! logits), `quantile` / `nanquantile` in every interpolation mode,
//! circular `F.pad`, `if mask.any():` (`is_nonzero`), `.T` / `.mT`,
//! `diag`, `cdist`, `F.interpolate`'s `upsample_*.vec` and
//! `pad_sequence`. Each runs the operators ATen's CompositeImplicitAutograd
//! kernel runs (torch 2.15, the order observed by recording the parts
//! outside inference mode), Python numbers entering as wrapped scalars, and
//! refuses bad input with PyTorch's message.

use super::{Bound, broadcast_shapes, fail, first, one, reshape_one, wrap};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    let out = match a.op {
        "aten.quantile.default" => quantile(rt, a, false),
        "aten.quantile.scalar" => quantile(rt, a, false),
        "aten.nanquantile.default" => quantile(rt, a, true),
        "aten.nanquantile.scalar" => quantile(rt, a, true),
        "aten._pad_circular.default" => match (a.tensor(0), a.ints(1)) {
            (Ok(x), Ok(widths)) => pad_circular(rt, a, x, &widths),
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        "aten.is_nonzero.default" => is_nonzero(rt, a),
        "aten.numpy_T.default" | "aten.numpy_T.a" => numpy_t(rt, a),
        "aten.mT.default" | "aten.mT.a" => matrix_t(rt, a),
        "aten.diag.default" => diag(rt, a),
        "aten.cdist.default" => cdist(rt, a),
        "aten.pad_sequence.default" => pad_sequence(rt, a),
        op if op.ends_with(".vec") && op.contains("upsample_") => upsample(rt, a),
        _ => return None,
    };
    Some(out)
}

fn to_dtype(rt: &mut Runtime, x: &Tensor, dtype: DType) -> Result<Tensor> {
    if x.dtype() == dtype {
        return Ok(x.clone());
    }
    one(
        rt,
        "aten._to_copy.default",
        vec![x.into(), IValue::Dtype(dtype)],
    )
}

// -- cross_entropy ----------------------------------------------------------

/// `cross_entropy_loss(self, target, weight, reduction, ignore_index,
/// label_smoothing)`: class-probability targets when `target` has `self`'s
/// shape, else label smoothing when it is positive, else `log_softmax`
/// then `nll_loss_nd`.
pub(super) fn cross_entropy(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, target) = (a.tensor(0)?, a.tensor(1)?);
    let weight = a.value(2)?.as_tensor().cloned();
    let (reduction, ignore_index, smoothing) = (a.int(3)?, a.int(4)?, a.float(5)?);
    if !(0..=2).contains(&reduction) {
        return Err(fail(
            a,
            format!("Invalid reduction type encountered in cross_entropy: {reduction}"),
        ));
    }
    let class_dim = i64::from(x.dim() != 1);
    if x.shape() == target.shape() {
        if !target.dtype().is_floating() {
            return Err(fail(
                a,
                format!(
                    "Expected floating point type for target with class probabilities, got {}",
                    target.dtype().scalar_type_name()
                ),
            ));
        }
        if ignore_index >= 0 {
            return Err(fail(
                a,
                "ignore_index is not supported for floating point target",
            ));
        }
        return probability_targets(rt, a, x, target, weight.as_ref(), reduction, smoothing);
    }
    if smoothing > 0.0 {
        if smoothing > 1.0 {
            return Err(fail(
                a,
                format!("label_smoothing must be between 0.0 and 1.0. Got: {smoothing}"),
            ));
        }
        return label_smoothing(rt, a, x, target, weight, reduction, ignore_index, smoothing);
    }
    let lsm = one(
        rt,
        "aten._log_softmax.default",
        vec![x.into(), class_dim.into(), false.into()],
    )?;
    super::nll_loss(rt, a, &lsm, target, a.value(2)?.clone(), true)
}

/// `weight` viewed as `[1, C, 1, ...]` for an input of `rank` dimensions.
fn weight_view(rt: &mut Runtime, weight: &Tensor, rank: usize) -> Result<Tensor> {
    let mut shape = vec![1i64; rank];
    if let Some(s) = shape.get_mut(1) {
        *s = weight.shape().first().copied().unwrap_or(1);
    }
    one(rt, "aten.view.default", vec![weight.into(), shape.into()])
}

/// `-(log_softmax(x) * target [* weight]).sum(...)`, the target smoothed
/// to `target * (1 - ls) + ls / C` first; `mean` divides by the number of
/// rows (`numel / C`, an integer).
fn probability_targets(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: i64,
    smoothing: f64,
) -> Result<Vec<IValue>> {
    let class_dim = usize::from(x.dim() != 1);
    let classes = x.shape().get(class_dim).copied().unwrap_or(1);
    if let Some(w) = weight
        && (w.dim() != 1 || w.numel() as i64 != classes)
    {
        return Err(fail(
            a,
            format!(
                "cross_entropy: weight tensor should be defined either for all {classes} classes or no classes but got weight tensor of shape: {:?}",
                w.shape()
            ),
        ));
    }
    let input = one(
        rt,
        "aten._log_softmax.default",
        vec![x.into(), (class_dim as i64).into(), false.into()],
    )?;
    let target = if smoothing > 0.0 {
        if smoothing > 1.0 {
            return Err(fail(
                a,
                format!("label_smoothing must be between 0.0 and 1.0. Got: {smoothing}"),
            ));
        }
        let kept = one(
            rt,
            "aten.mul.Scalar",
            vec![target.into(), IValue::Float(1.0 - smoothing)],
        )?;
        one(
            rt,
            "aten.add.Scalar",
            vec![kept.into(), IValue::Float(smoothing / classes as f64)],
        )?
    } else {
        target.clone()
    };
    let weight = match weight {
        Some(w) if input.dim() > 1 => Some(weight_view(rt, w, input.dim())?),
        other => other.cloned(),
    };
    let mut product = one(rt, "aten.mul.Tensor", vec![input.into(), target.into()])?;
    if let Some(w) = weight {
        product = one(rt, "aten.mul.Tensor", vec![product.into(), w.into()])?;
    }
    if reduction == 0 {
        let summed = one(
            rt,
            "aten.sum.dim_IntList",
            vec![product.into(), vec![class_dim as i64].into(), false.into()],
        )?;
        return rt.dispatch("aten.neg.default", vec![summed.into()]);
    }
    let summed = one(rt, "aten.sum.default", vec![product.clone().into()])?;
    let loss = one(rt, "aten.neg.default", vec![summed.into()])?;
    if reduction == 2 {
        return Ok(vec![loss.into()]);
    }
    if product.numel() == 0 {
        return rt.dispatch("aten.fill_.Scalar", vec![loss.into(), f64::NAN.into()]);
    }
    let rows = product.numel() as i64 / classes;
    rt.dispatch("aten.div.Scalar", vec![loss.into(), IValue::Int(rows)])
}

/// Label smoothing over class indices: `(1 - ls) * nll_loss_nd(lsm) +
/// smooth * (ls / C)`, `smooth` the negated (weighted) sum of `lsm` over
/// the classes, zero where the target is ignored, reduced as asked (`mean`
/// over the count, or the weights, of the targets not ignored).
#[allow(clippy::too_many_arguments)]
fn label_smoothing(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    target: &Tensor,
    weight: Option<Tensor>,
    reduction: i64,
    ignore_index: i64,
    smoothing: f64,
) -> Result<Vec<IValue>> {
    let class_dim = usize::from(x.dim() != 1);
    let input = one(
        rt,
        "aten._log_softmax.default",
        vec![x.into(), (class_dim as i64).into(), false.into()],
    )?;
    let nll = first(super::nll_loss(
        rt,
        a,
        &input,
        target,
        weight.as_ref().map_or(IValue::None, IValue::from),
        true,
    )?)?
    .into_iter()
    .next()
    .and_then(IValue::into_tensor)
    .ok_or_else(|| a.refuse("nll_loss without a tensor result"))?;
    let classes = input.shape().get(class_dim).copied().unwrap_or(1);
    let per_class = match &weight {
        Some(w) => {
            let mut shape = vec![1i64; input.dim()];
            shape[class_dim] = w.shape().first().copied().unwrap_or(1);
            let w = one(rt, "aten.view.default", vec![w.into(), shape.into()])?;
            one(rt, "aten.mul.Tensor", vec![(&input).into(), w.into()])?
        }
        None => input.clone(),
    };
    let summed = one(
        rt,
        "aten.sum.dim_IntList",
        vec![
            per_class.into(),
            vec![class_dim as i64].into(),
            false.into(),
        ],
    )?;
    let smooth = one(rt, "aten.neg.default", vec![summed.into()])?;
    let ignored = one(
        rt,
        "aten.eq.Scalar",
        vec![target.into(), IValue::Int(ignore_index)],
    )?;
    one(
        rt,
        "aten.masked_fill_.Scalar",
        vec![(&smooth).into(), (&ignored).into(), IValue::Float(0.0)],
    )?;
    let ret = match reduction {
        0 => smooth,
        2 => one(rt, "aten.sum.default", vec![smooth.into()])?,
        _ => {
            // The denominator is computed first, as PyTorch's kernel does.
            let denominator = match &weight {
                Some(w) => {
                    let kept = one(
                        rt,
                        "aten.masked_fill.Scalar",
                        vec![target.into(), (&ignored).into(), IValue::Int(0)],
                    )?;
                    let kept = reshape_one(rt, &kept, &[-1])?;
                    let picked = one(
                        rt,
                        "aten.gather.default",
                        vec![w.into(), IValue::Int(0), kept.into()],
                    )?;
                    let flat = reshape_one(rt, &ignored, &[-1])?;
                    one(
                        rt,
                        "aten.masked_fill_.Scalar",
                        vec![(&picked).into(), flat.into(), IValue::Int(0)],
                    )?;
                    one(rt, "aten.sum.default", vec![picked.into()])?
                }
                None => {
                    let kept = one(rt, "aten.bitwise_not.default", vec![ignored.into()])?;
                    one(rt, "aten.sum.default", vec![kept.into()])?
                }
            };
            let total = one(rt, "aten.sum.default", vec![smooth.into()])?;
            one(
                rt,
                "aten.div.Tensor",
                vec![total.into(), denominator.into()],
            )?
        }
    };
    let smooth_part = one(
        rt,
        "aten.mul.Scalar",
        vec![ret.into(), IValue::Float(smoothing / classes as f64)],
    )?;
    let nll_part = one(
        rt,
        "aten.mul.Scalar",
        vec![nll.into(), IValue::Float(1.0 - smoothing)],
    )?;
    if rt.faults.label_smoothing_drops_uniform_term {
        return Ok(vec![nll_part.into()]);
    }
    rt.dispatch("aten.add.Tensor", vec![nll_part.into(), smooth_part.into()])
}

// -- quantile ---------------------------------------------------------------

/// `quantile` / `nanquantile` (Tensor or float `q`): the input viewed with
/// the reduced dimension last (flattened without `dim`), ranks
/// `q * (n - 1)` in double (NaN rows ranked last; for `nanquantile` over
/// the non-NaN count, negatives clamped to 0), rounded by the
/// interpolation mode, the sorted values gathered at them and, for
/// `linear`/`midpoint`, `lerp`ed between the neighbours; `q`'s dimension
/// moved to the front.
fn quantile(rt: &mut Runtime, a: &Bound<'_>, ignore_nan: bool) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?.clone();
    let q = match a.value(1)? {
        IValue::Tensor(q) => q.clone(),
        v => {
            let q = match v {
                IValue::Float(q) => *q,
                IValue::Int(q) => *q as f64,
                _ => return Err(a.refuse("a q that is neither a tensor nor a number")),
            };
            if !(0.0..=1.0).contains(&q) {
                return Err(fail(
                    a,
                    format!("quantile() q must be in the range [0, 1] but got {q}"),
                ));
            }
            one(
                rt,
                "aten.scalar_tensor.default",
                vec![IValue::Float(q), IValue::Dtype(x.dtype())],
            )?
        }
    };
    let dim = match a.value(2)? {
        IValue::None => None,
        IValue::Int(d) => Some(*d),
        _ => return Err(a.refuse("a dim that is not an int")),
    };
    let keepdim = a.flag(3)?;
    let mode = match a.value(4)? {
        IValue::Str(s) => s.clone(),
        _ => return Err(a.refuse("an interpolation that is not a string")),
    };
    if x.numel() == 0 {
        return Err(fail(a, "quantile() input tensor must be non-empty"));
    }
    if q.dim() > 1 {
        return Err(fail(a, "quantile() q must be a scalar or 1D tensor"));
    }
    if !matches!(x.dtype(), DType::Float32 | DType::Float64) {
        return Err(fail(
            a,
            "quantile() input tensor must be either float or double dtype",
        ));
    }
    if q.dtype() != x.dtype() {
        return Err(fail(
            a,
            "quantile() q tensor must be same dtype as the input tensor",
        ));
    }
    if !["linear", "lower", "higher", "midpoint", "nearest"].contains(&mode.as_str()) {
        return Err(fail(
            a,
            format!(
                "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, but got {mode}"
            ),
        ));
    }
    let wrapped = wrap(a, dim.unwrap_or(0), x.dim())?;
    if q.to_f64_vec()?.iter().any(|v| !(0.0..=1.0).contains(v)) {
        return Err(fail(a, "quantile() q values must be in the range [0, 1]"));
    }
    // The result's shape without q's dimension.
    let mut reduced: Vec<i64> = Vec::new();
    if dim.is_some() && x.dim() > 0 {
        reduced = x.shape().to_vec();
        if keepdim {
            reduced[wrapped] = 1;
        } else {
            reduced.remove(wrapped);
        }
    } else if keepdim {
        reduced = vec![1; x.dim()];
    }
    let rows = if dim.is_none() {
        reshape_one(rt, &x, &[-1])?
    } else if wrapped as i64 == x.dim() as i64 - 1 {
        x.clone()
    } else {
        let t = one(
            rt,
            "aten.unsqueeze.default",
            vec![(&x).into(), IValue::Int(-1)],
        )?;
        one(
            rt,
            "aten.transpose.int",
            vec![t.into(), IValue::Int(wrapped as i64), IValue::Int(-1)],
        )?
    };
    let n = rows.shape().last().copied().unwrap_or(1);
    let mut in_shape = reduced.clone();
    in_shape.push(n);
    let rows = one(rt, "aten.view.default", vec![rows.into(), in_shape.into()])?;
    let qd = to_dtype(rt, &q, DType::Float64)?;
    let ranks = if ignore_nan {
        let valid = one(rt, "aten.isnan.default", vec![(&rows).into()])?;
        one(rt, "aten.logical_not_.default", vec![(&valid).into()])?;
        let count = one(
            rt,
            "aten.sum.dim_IntList",
            vec![valid.into(), vec![-1i64].into(), true.into()],
        )?;
        let last = one(rt, "aten.sub.Scalar", vec![count.into(), IValue::Int(1)])?;
        let ranks = one(rt, "aten.mul.Tensor", vec![qd.into(), last.into()])?;
        let negative = one(rt, "aten.lt.Scalar", vec![(&ranks).into(), IValue::Int(0)])?;
        one(
            rt,
            "aten.masked_fill_.Scalar",
            vec![(&ranks).into(), negative.into(), IValue::Int(0)],
        )?;
        ranks
    } else {
        let last = n - 1;
        let scaled = one(rt, "aten.mul.Scalar", vec![qd.into(), IValue::Int(last)])?;
        let nan = one(rt, "aten.isnan.default", vec![(&rows).into()])?;
        let any = one(
            rt,
            "aten.any.dim",
            vec![nan.into(), IValue::Int(-1), true.into()],
        )?;
        let shape = broadcast_shapes(scaled.shape(), any.shape())
            .ok_or_else(|| a.refuse("ranks that do not broadcast"))?;
        let expand = |rt: &mut Runtime, t: Tensor| -> Result<Tensor> {
            if t.shape() == shape.as_slice() {
                return Ok(t);
            }
            one(
                rt,
                "aten.expand.default",
                vec![t.into(), shape.clone().into()],
            )
        };
        let scaled = expand(rt, scaled)?;
        let any = expand(rt, any)?;
        one(
            rt,
            "aten.masked_fill.Scalar",
            vec![scaled.into(), any.into(), IValue::Int(last)],
        )?
    };
    let to_long = |rt: &mut Runtime, t: &Tensor| to_dtype(rt, t, DType::Int64);
    let sort = |rt: &mut Runtime, t: &Tensor| -> Result<Tensor> {
        one(
            rt,
            "aten.sort.default",
            vec![t.into(), IValue::Int(-1), false.into()],
        )
    };
    let gather = |rt: &mut Runtime, t: &Tensor, i: Tensor| -> Result<Tensor> {
        one(
            rt,
            "aten.gather.default",
            vec![t.into(), IValue::Int(-1), i.into()],
        )
    };
    let out = match mode.as_str() {
        "lower" | "higher" | "nearest" => {
            let round = match mode.as_str() {
                "lower" => "aten.floor_.default",
                "higher" => "aten.ceil_.default",
                _ => "aten.round_.default",
            };
            one(rt, round, vec![(&ranks).into()])?;
            let index = to_long(rt, &ranks)?;
            let sorted = sort(rt, &rows)?;
            gather(rt, &sorted, index)?
        }
        _ => {
            let below = to_long(rt, &ranks)?;
            let weights = if mode == "linear" {
                let w = one(
                    rt,
                    "aten.sub.Tensor",
                    vec![(&ranks).into(), (&below).into()],
                )?;
                to_dtype(rt, &w, x.dtype())?
            } else {
                one(
                    rt,
                    "aten.full_like.default",
                    vec![
                        (&ranks).into(),
                        IValue::Float(0.5),
                        IValue::Dtype(x.dtype()),
                    ],
                )?
            };
            let above_op = if rt.faults.quantile_rounds_above_down {
                "aten.floor_.default"
            } else {
                "aten.ceil_.default"
            };
            one(rt, above_op, vec![(&ranks).into()])?;
            let above = to_long(rt, &ranks)?;
            let sorted = sort(rt, &rows)?;
            let lo = gather(rt, &sorted, below)?;
            let hi = gather(rt, &sorted, above)?;
            one(
                rt,
                "aten.lerp_.Tensor",
                vec![(&lo).into(), hi.into(), weights.into()],
            )?;
            lo
        }
    };
    // The in-place view operators' results carry the new geometry.
    let out = if q.dim() == 0 {
        one(rt, "aten.squeeze_.dim", vec![out.into(), IValue::Int(-1)])?
    } else {
        let out = one(
            rt,
            "aten.unsqueeze_.default",
            vec![out.into(), IValue::Int(0)],
        )?;
        let out = one(
            rt,
            "aten.transpose_.default",
            vec![out.into(), IValue::Int(0), IValue::Int(-1)],
        )?;
        one(rt, "aten.squeeze_.dim", vec![out.into(), IValue::Int(-1)])?
    };
    Ok(vec![out.into()])
}

// -- circular padding ---------------------------------------------------------

/// `_pad_circular(self, pad)`: a new tensor of the padded shape, the input
/// copied into its middle (cropped where a pad is negative), then per
/// padded dimension (last first) the left pad copied from the right end of
/// the result and the right pad from its left end (corners written more
/// than once).
pub(super) fn pad_circular(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    widths: &[i64],
) -> Result<Vec<IValue>> {
    let rank = x.dim();
    let padded = widths.len() / 2;
    let unpadded = rank as i64 - padded as i64;
    if !widths.len().is_multiple_of(2) || !(unpadded == 1 || unpadded == 2) {
        return Err(fail(
            a,
            format!(
                "Invalid padding size, expected 1 or 2 non-padded dimensions, which would be equivalent to padding of length {} or {} respectively but got {}",
                (rank as i64 - 1) * 2,
                (rank as i64 - 2) * 2,
                widths.len()
            ),
        ));
    }
    let in_shape = x.shape().to_vec();
    let mut out_shape = in_shape.clone();
    // pad[2i], pad[2i + 1] pad dimension rank - 1 - i.
    let dim_of = |i: usize| rank - 1 - i;
    for i in (0..padded).rev() {
        let d = dim_of(i);
        let (l, r) = (widths[2 * i], widths[2 * i + 1]);
        let size = in_shape[d];
        out_shape[d] = size + l + r;
        if l > size || r > size {
            return Err(fail(
                a,
                "Padding value causes wrapping around more than once.",
            ));
        }
        if out_shape[d] < 0 {
            return Err(fail(
                a,
                "Negative padding value is resulting in an empty dimension",
            ));
        }
    }
    let out = one(
        rt,
        "aten.new_empty.default",
        vec![x.into(), out_shape.clone().into()],
    )?;
    let slice = |rt: &mut Runtime, t: &Tensor, d: usize, start: i64, end: i64| -> Result<Tensor> {
        one(
            rt,
            "aten.slice.Tensor",
            vec![
                t.into(),
                IValue::Int(d as i64),
                IValue::Int(start),
                IValue::Int(end),
                IValue::Int(1),
            ],
        )
    };
    let copy = |rt: &mut Runtime, dst: Tensor, src: Tensor| -> Result<()> {
        one(rt, "aten.copy_.default", vec![dst.into(), src.into()]).map(|_| ())
    };
    let (mut dst, mut src) = (out.clone(), x.clone());
    for i in 0..padded {
        let d = dim_of(i);
        let (l, r) = (widths[2 * i], widths[2 * i + 1]);
        dst = slice(rt, &dst, d, l.max(0), out_shape[d] - r.max(0))?;
        src = slice(rt, &src, d, (-l).max(0), in_shape[d] - (-r).max(0))?;
    }
    copy(rt, dst, src)?;
    for i in 0..padded {
        let d = dim_of(i);
        let (l, r) = (widths[2 * i], widths[2 * i + 1]);
        let size = out_shape[d];
        if l > 0 {
            let dst = slice(rt, &out, d, 0, l)?;
            let src = slice(rt, &out, d, size - l - r.max(0), size - r.max(0))?;
            copy(rt, dst, src)?;
        }
        if r > 0 {
            let dst = slice(rt, &out, d, size - r, size)?;
            let src = slice(rt, &out, d, l.max(0), l.max(0) + r)?;
            copy(rt, dst, src)?;
        }
    }
    Ok(vec![out.into()])
}

// -- small composites -----------------------------------------------------------

/// `is_nonzero` (`bool(t)`, `if mask.any():`): one element, `item() != 0`.
fn is_nonzero(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    match x.numel() {
        0 => {
            return Err(fail(
                a,
                "Boolean value of Tensor with no values is ambiguous",
            ));
        }
        1 => {}
        _ => {
            return Err(fail(
                a,
                "Boolean value of Tensor with more than one value is ambiguous",
            ));
        }
    }
    let value = rt
        .dispatch("aten._local_scalar_dense.default", vec![x.into()])?
        .into_iter()
        .next()
        .ok_or_else(|| a.refuse("item() without a value"))?;
    let truth = match value {
        IValue::Bool(b) => b,
        IValue::Int(n) => n != 0,
        IValue::Float(v) => v != 0.0,
        IValue::Complex(re, im) => re != 0.0 || im != 0.0,
        _ => return Err(a.refuse("item() of an unexpected kind")),
    };
    Ok(vec![IValue::Bool(truth)])
}

/// `.T`: the dimensions reversed by `permute` (a 0-d tensor: its alias).
fn numpy_t(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dim() == 0 {
        return rt.dispatch("aten.alias.default", vec![x.into()]);
    }
    let dims: Vec<i64> = (0..x.dim() as i64).rev().collect();
    rt.dispatch("aten.permute.default", vec![x.into(), dims.into()])
}

/// `.mT`: the last two dimensions transposed.
fn matrix_t(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dim() < 2 {
        return Err(fail(
            a,
            format!(
                "tensor.mT is only supported on matrices or batches of matrices. Got {}-D tensor.",
                x.dim()
            ),
        ));
    }
    rt.dispatch(
        "aten.transpose.int",
        vec![x.into(), IValue::Int(-2), IValue::Int(-1)],
    )
}

/// `diag`: a vector's `diag_embed`, a matrix's `diagonal_copy`.
fn diag(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let offset = a.int(1)?;
    match x.dim() {
        1 => rt.dispatch(
            "aten.diag_embed.default",
            vec![
                x.into(),
                IValue::Int(offset),
                IValue::Int(-2),
                IValue::Int(-1),
            ],
        ),
        2 => rt.dispatch(
            "aten.diagonal_copy.default",
            vec![
                x.into(),
                IValue::Int(offset),
                IValue::Int(0),
                IValue::Int(1),
            ],
        ),
        n => Err(fail(
            a,
            format!("diag(): Supports 1D or 2D tensors. Got {n}D"),
        )),
    }
}

/// `cdist(x1, x2, p, compute_mode)`: for `p == 2` with more than 25 rows on
/// either side (or `compute_mode` 1, "use_mm") `_euclidean_dist` over the
/// broadcast batch, viewed to `batch + [r1, r2]`; otherwise
/// `_cdist_forward`.
fn cdist(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x1, x2) = (a.tensor(0)?, a.tensor(1)?);
    let p = a.float(2)?;
    let mode_arg = a.value(3)?.clone();
    for (name, t) in [("X1", x1), ("X2", x2)] {
        if t.dim() < 2 {
            return Err(fail(
                a,
                format!(
                    "cdist only supports at least 2D tensors, {name} got: {}D",
                    t.dim()
                ),
            ));
        }
    }
    let (s1, s2) = (x1.shape().to_vec(), x2.shape().to_vec());
    let (c1, c2) = (s1[s1.len() - 1], s2[s2.len() - 1]);
    if c1 != c2 {
        return Err(fail(
            a,
            format!("X1 and X2 must have the same number of columns. X1: {c1} X2: {c2}"),
        ));
    }
    let (r1, r2) = (s1[s1.len() - 2], s2[s2.len() - 2]);
    let mode = match mode_arg {
        IValue::Int(m) => m,
        _ => 0,
    };
    let forward = |rt: &mut Runtime| {
        rt.dispatch(
            "aten._cdist_forward.default",
            vec![x1.into(), x2.into(), IValue::Float(p), mode_arg.clone()],
        )
    };
    if x1.numel() == 0 || x2.numel() == 0 {
        return forward(rt);
    }
    if !(p == 2.0 && (mode == 1 || (mode == 0 && (r1 > 25 || r2 > 25)))) {
        return forward(rt);
    }
    for (name, t) in [("X1", x1), ("X2", x2)] {
        if !t.dtype().is_floating() {
            return Err(fail(
                a,
                format!(
                    "cdist only supports floating-point dtypes, {name} got: {}",
                    t.dtype().scalar_type_name()
                ),
            ));
        }
    }
    let batch = broadcast_shapes(&s1[..s1.len() - 2], &s2[..s2.len() - 2])
        .ok_or_else(|| a.refuse("batch dimensions that do not broadcast"))?;
    let count: i64 = batch.iter().product();
    let mut out_shape = batch.clone();
    out_shape.extend([r1, r2]);
    let dist = if count == 1 {
        one(
            rt,
            "aten._euclidean_dist.default",
            vec![x1.into(), x2.into()],
        )?
    } else {
        let mut flat = Vec::with_capacity(2);
        for (t, r) in [(x1, r1), (x2, r2)] {
            let mut size = batch.clone();
            size.extend([r, c1]);
            let e = one(rt, "aten.expand.default", vec![t.into(), size.into()])?;
            flat.push(reshape_one(rt, &e, &[count, r, c1])?);
        }
        one(
            rt,
            "aten._euclidean_dist.default",
            vec![(&flat[0]).into(), (&flat[1]).into()],
        )?
    };
    rt.dispatch("aten.view.default", vec![dist.into(), out_shape.into()])
}

/// `pad_sequence(sequences, batch_first, padding_value, padding_side)`:
/// `full` of the padded shape, each sequence copied into its row (at the
/// end for left padding).
fn pad_sequence(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let seqs = match a.value(0)? {
        IValue::TensorList(ts) => ts.clone(),
        _ => return Err(a.refuse("sequences that are not a tensor list")),
    };
    let batch_first = a.flag(1)?;
    let value = a.float(2)?;
    let side = match a.value(3)? {
        IValue::Str(s) => s.clone(),
        _ => return Err(a.refuse("a padding side that is not a string")),
    };
    if side != "left" && side != "right" {
        return Err(fail(
            a,
            format!("Expected padding_side to be one of left or right, but got {side}."),
        ));
    }
    let Some(head) = seqs.first() else {
        return Err(fail(a, "received an empty list of sequences"));
    };
    if seqs.iter().any(|s| s.dim() == 0) {
        return Err(fail(
            a,
            "Dimension specified as 0 but tensor has no dimensions",
        ));
    }
    let max_len = seqs.iter().map(|s| s.shape()[0]).max().unwrap_or(0);
    let count = seqs.len() as i64;
    let mut shape = if batch_first {
        vec![count, max_len]
    } else {
        vec![max_len, count]
    };
    shape.extend_from_slice(&head.shape()[1..]);
    let out = one(
        rt,
        "aten.full.default",
        vec![
            shape.into(),
            IValue::Float(value),
            IValue::Dtype(head.dtype()),
        ],
    )?;
    for (i, seq) in seqs.iter().enumerate() {
        let len = seq.shape()[0];
        let start = if side == "left" { max_len - len } else { 0 };
        let narrow = |rt: &mut Runtime, t: Tensor| -> Result<Tensor> {
            one(
                rt,
                "aten.slice.Tensor",
                vec![
                    t.into(),
                    IValue::Int(0),
                    IValue::Int(start),
                    IValue::Int(start + len),
                    IValue::Int(1),
                ],
            )
        };
        let select = |rt: &mut Runtime, t: Tensor, d: i64| -> Result<Tensor> {
            one(
                rt,
                "aten.select.int",
                vec![t.into(), IValue::Int(d), IValue::Int(i as i64)],
            )
        };
        let dst = if batch_first {
            let row = select(rt, out.clone(), 0)?;
            narrow(rt, row)?
        } else {
            let rows = narrow(rt, out.clone())?;
            select(rt, rows, 1)?
        };
        one(rt, "aten.copy_.default", vec![dst.into(), seq.into()])?;
    }
    Ok(vec![out.into()])
}

/// `upsample_*.vec(input, output_size, [align_corners,] scale_factors)`:
/// exactly one of the size and the factors; the size from the factors is
/// `int(in * factor)` per spatial dimension, and the factors go on to the
/// kernel as its scales.
fn upsample(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let kernel = a.op.trim_end_matches(".vec").to_owned() + ".default";
    let linear = !(a.op.contains("nearest"));
    let scales_at = if linear { 3 } else { 2 };
    let spatial = x.dim().saturating_sub(2);
    let sizes = a.value(1)?.clone();
    let factors = a.value(scales_at)?.clone();
    let both = "Must specify exactly one of output_size and scale_factors";
    let (size, scales): (Vec<i64>, Vec<IValue>) = match (&sizes, &factors) {
        (IValue::IntList(s), IValue::None) => {
            if s.len() != spatial {
                return Err(fail(
                    a,
                    format!(
                        "It is expected output_size equals to {spatial}, but got size {}",
                        s.len()
                    ),
                ));
            }
            (s.clone(), vec![IValue::None; spatial])
        }
        (IValue::None, IValue::FloatList(f)) => {
            if f.len() != spatial {
                return Err(fail(
                    a,
                    format!(
                        "It is expected scale_factors equals to {spatial}, but got size {}",
                        f.len()
                    ),
                ));
            }
            let size = f
                .iter()
                .zip(&x.shape()[2..])
                .map(|(f, &n)| (n as f64 * f) as i64)
                .collect();
            (size, f.iter().map(|&v| IValue::Float(v)).collect())
        }
        _ => return Err(fail(a, both)),
    };
    let mut args = vec![x.into(), size.into()];
    if linear {
        args.push(a.flag(2)?.into());
    }
    args.extend(scales);
    rt.dispatch(&kernel, args)
}

#[cfg(test)]
mod tests {
    //! The composites run whole, as under `inference_mode` with a dispatch
    //! mode active. Expected values observed in torch 2.15.

    use super::super::test_support::{call, tensor};
    use crate::ivalue::IValue;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;

    fn f32s(t: &Tensor) -> Vec<f32> {
        t.to_f64_vec()
            .expect("values")
            .into_iter()
            .map(|v| v as f32)
            .collect()
    }

    #[test]
    fn quantiles_in_every_interpolation_mode() {
        let x = tensor(&[5], DType::Float32, &[3.0, 1.0, 4.0, 1.5, 9.0]);
        let q = |mode: &str, q: f64| {
            let r = call(
                "aten.quantile.scalar",
                vec![
                    (&x).into(),
                    IValue::Float(q),
                    IValue::None,
                    false.into(),
                    IValue::Str(mode.into()),
                ],
            );
            f32s(&r)[0]
        };
        // sorted: 1, 1.5, 3, 4, 9; rank 0.3 * 4 = 1.2
        assert_eq!(q("linear", 0.3), 1.800_000_1);
        assert_eq!(q("lower", 0.3), 1.5);
        assert_eq!(q("higher", 0.3), 3.0);
        assert_eq!(q("nearest", 0.3), 1.5);
        assert_eq!(q("midpoint", 0.3), 2.25);
        let nan = tensor(
            &[2, 3],
            DType::Float64,
            &[1.0, f64::NAN, 3.0, 2.0, 4.0, 6.0],
        );
        let qs = tensor(&[2], DType::Float64, &[0.0, 0.5]);
        let r = call(
            "aten.nanquantile.default",
            vec![
                (&nan).into(),
                (&qs).into(),
                IValue::Int(1),
                true.into(),
                IValue::Str("linear".into()),
            ],
        );
        assert_eq!(r.shape(), &[2, 2, 1]);
        assert_eq!(r.to_f64_vec().expect("values"), vec![1.0, 2.0, 2.0, 4.0]);
    }

    #[test]
    fn label_smoothing_and_probability_targets() {
        let x = tensor(&[2, 3], DType::Float32, &[1.0, 2.0, 0.5, -1.0, 0.0, 3.0]);
        let y = tensor(&[2], DType::Int64, &[1.0, -100.0]);
        let r = call(
            "aten.cross_entropy_loss.default",
            vec![
                (&x).into(),
                (&y).into(),
                IValue::None,
                IValue::Int(1),
                IValue::Int(-100),
                IValue::Float(0.1),
            ],
        );
        // torch 2.15: F.cross_entropy(x, y, label_smoothing=0.1), within an
        // ulp (its log_softmax rounds differently)
        let v = f32s(&r)[0];
        assert!((v - 0.547_702_13_f32).abs() <= 1e-7, "{v}");
        let soft = tensor(&[2, 3], DType::Float32, &[0.2, 0.5, 0.3, 0.0, 0.0, 1.0]);
        let r = call(
            "aten.cross_entropy_loss.default",
            vec![
                (&x).into(),
                (&soft).into(),
                IValue::None,
                IValue::Int(0),
                IValue::Int(-100),
                IValue::Float(0.0),
            ],
        );
        let v = f32s(&r);
        assert!((v[0] - 1.114_368_8_f32).abs() <= 2e-7, "{v:?}");
        assert!((v[1] - 0.065_883_91_f32).abs() <= 2e-7, "{v:?}");
    }

    #[test]
    fn circular_padding_wraps_each_dimension() {
        let x = tensor(
            &[1, 1, 2, 3],
            DType::Float32,
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        );
        let r = call(
            "aten._pad_circular.default",
            vec![(&x).into(), IValue::IntList(vec![1, 1, 1, 0])],
        );
        assert_eq!(r.shape(), &[1, 1, 3, 5]);
        assert_eq!(
            f32s(&r),
            vec![
                6.0, 4.0, 5.0, 6.0, 4.0, 3.0, 1.0, 2.0, 3.0, 1.0, 6.0, 4.0, 5.0, 6.0, 4.0
            ]
        );
    }
}
