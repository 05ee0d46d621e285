//! Composites an evaluation loop calls inside `torch.inference_mode()`,
//! where a dispatch mode sees them whole: the bitwise dunders of boolean
//! masks (`pred & target`), `where` with Python numbers, the variance
//! family's `unbiased` overloads, `argsort`, `one_hot`, `diff`, `isclose`,
//! `isfinite`, `square`, the trapezoid rules of an AUROC, and the losses
//! and distances `torch.nn.functional` builds from other operators. Each
//! runs PyTorch's decomposition (ATen's CompositeImplicitAutograd kernel,
//! torch 2.15) so that results are bit for bit its own: the same operators
//! in the same order, Python numbers entering as wrapped scalars.

use super::{Bound, first, one, reshape, wrap_dim};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::promote::{PromoteOperand, result_type};

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    let out = match a.op {
        "aten.__and__.Tensor" => rt.dispatch("aten.bitwise_and.Tensor", two(a)),
        "aten.__and__.Scalar" => rt.dispatch("aten.bitwise_and.Scalar", two(a)),
        "aten.__or__.Tensor" => rt.dispatch("aten.bitwise_or.Tensor", two(a)),
        "aten.__or__.Scalar" => rt.dispatch("aten.bitwise_or.Scalar", two(a)),
        "aten.__xor__.Tensor" => rt.dispatch("aten.bitwise_xor.Tensor", two(a)),
        "aten.__xor__.Scalar" => rt.dispatch("aten.bitwise_xor.Scalar", two(a)),
        "aten.__iand__.Tensor" => rt.dispatch("aten.bitwise_and_.Tensor", two(a)),
        "aten.__iand__.Scalar" => rt.dispatch("aten.bitwise_and_.Scalar", two(a)),
        "aten.__ior__.Tensor" => rt.dispatch("aten.bitwise_or_.Tensor", two(a)),
        "aten.__ior__.Scalar" => rt.dispatch("aten.bitwise_or_.Scalar", two(a)),
        "aten.__ixor__.Tensor" => rt.dispatch("aten.bitwise_xor_.Tensor", two(a)),
        "aten.__ixor__.Scalar" => rt.dispatch("aten.bitwise_xor_.Scalar", two(a)),
        // `square(x)` is `pow(x, 2)`.
        "aten.square.default" => rt.dispatch(
            "aten.pow.Tensor_Scalar",
            vec![a.args[0].clone(), IValue::Int(2)],
        ),
        "aten.square_.default" => {
            rt.dispatch("aten.pow_.Scalar", vec![a.args[0].clone(), IValue::Int(2)])
        }
        "aten.where.ScalarOther" => where_scalar(rt, a, Some(1), None),
        "aten.where.ScalarSelf" => where_scalar(rt, a, None, Some(2)),
        "aten.where.Scalar" => where_scalar(rt, a, None, None),
        // The `unbiased` overloads: the `correction` ones with 1 or 0.
        "aten.var.dim" => variance(rt, a, "aten.var.correction", true),
        "aten.std.dim" => variance(rt, a, "aten.std.correction", true),
        "aten.var_mean.dim" => variance(rt, a, "aten.var_mean.correction", true),
        "aten.std_mean.dim" => variance(rt, a, "aten.std_mean.correction", true),
        "aten.var.default" => variance(rt, a, "aten.var.correction", false),
        "aten.std.default" => variance(rt, a, "aten.std.correction", false),
        "aten.var_mean.default" => variance(rt, a, "aten.var_mean.correction", false),
        "aten.std_mean.default" => variance(rt, a, "aten.std_mean.correction", false),
        // `argsort` is the indices of `sort` (not stable unless asked).
        "aten.argsort.default" => argsort(rt, a, IValue::Bool(false), 1, 2),
        "aten.argsort.stable" => argsort(rt, a, a.args[1].clone(), 2, 3),
        "aten.reshape_as.default" => match a.tensor(1) {
            Ok(other) => {
                let shape = other.shape().to_vec();
                match a.tensor(0) {
                    Ok(x) => reshape(rt, x, &shape),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        },
        "aten.isfinite.default" => isfinite(rt, a),
        "aten.isclose.default" => isclose(rt, a),
        "aten.one_hot.default" => one_hot(rt, a),
        "aten.diff.default" => diff(rt, a),
        "aten.broadcast_tensors.default" => broadcast_tensors(rt, a),
        "aten.trapezoid.x" | "aten.trapz.x" => trapezoid_x(rt, a, false),
        "aten.cumulative_trapezoid.x" => trapezoid_x(rt, a, true),
        "aten.trapezoid.dx" | "aten.trapz.dx" => trapezoid_dx(rt, a, false),
        "aten.cumulative_trapezoid.dx" => trapezoid_dx(rt, a, true),
        "aten.l1_loss.default" => l1_loss(rt, a),
        "aten.kl_div.default" => kl_div(rt, a),
        "aten.cosine_similarity.default" => cosine_similarity(rt, a),
        "aten.pairwise_distance.default" => pairwise_distance(rt, a),
        "aten.pad.default" => pad(rt, a),
        "aten.max_pool1d.default" => pool1d(rt, a, "aten.max_pool2d_with_indices.default"),
        "aten.max_pool1d_with_indices.default" => {
            pool1d(rt, a, "aten.max_pool2d_with_indices.default")
        }
        "aten.avg_pool1d.default" => pool1d(rt, a, "aten.avg_pool2d.default"),
        "aten.adaptive_avg_pool1d.default" => pool1d(rt, a, "aten.adaptive_avg_pool2d.default"),
        "aten.adaptive_max_pool1d.default" => pool1d(rt, a, "aten.adaptive_max_pool2d.default"),
        _ => return None,
    };
    Some(out)
}

fn two(a: &Bound<'_>) -> Vec<IValue> {
    a.args.iter().take(2).cloned().collect()
}

/// The dtype a Python number has when it takes part in promotion.
fn number_dtype(a: &Bound<'_>, v: &IValue) -> Result<DType> {
    match v {
        IValue::Bool(_) => Ok(DType::Bool),
        IValue::Int(_) => Ok(DType::Int64),
        IValue::Float(_) => Ok(DType::Float64),
        _ => Err(a.refuse("a scalar that is not a bool, int or float")),
    }
}

fn scalar_tensor(rt: &mut Runtime, value: IValue, dtype: DType) -> Result<Tensor> {
    one(
        rt,
        "aten.scalar_tensor.default",
        vec![value, IValue::Dtype(dtype)],
    )
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

/// `where` with one or two Python numbers: the result type of the
/// operands, each number a 0-d tensor of it (`scalar_tensor`), the tensor
/// converted (`to`), then `where.self`. `tensor_self` / `tensor_other`
/// name the argument that is a tensor.
fn where_scalar(
    rt: &mut Runtime,
    a: &Bound<'_>,
    tensor_self: Option<usize>,
    tensor_other: Option<usize>,
) -> Result<Vec<IValue>> {
    let cond = a.tensor(0)?.clone();
    let (sv, ov) = (a.value(1)?.clone(), a.value(2)?.clone());
    let operand = |i: Option<usize>, v: &IValue| -> Result<PromoteOperand> {
        Ok(match i {
            Some(i) => {
                let t = a.tensor(i)?;
                PromoteOperand::Tensor {
                    dtype: t.dtype(),
                    dim: t.dim(),
                }
            }
            None => PromoteOperand::Number(number_dtype(a, v)?),
        })
    };
    let ops = [operand(tensor_self, &sv)?, operand(tensor_other, &ov)?];
    let dtype = result_type(&ops, rt.default_dtype())
        .ok_or_else(|| a.refuse("operands without a result type"))?;
    let mut side = |i: Option<usize>, v: IValue| -> Result<Tensor> {
        match i {
            Some(i) => to_dtype(rt, a.tensor(i)?, dtype),
            None => scalar_tensor(rt, v, dtype),
        }
    };
    let s = side(tensor_self, sv)?;
    let o = side(tensor_other, ov)?;
    rt.dispatch("aten.where.self", vec![cond.into(), s.into(), o.into()])
}

/// `var.dim(self, dim, unbiased, keepdim)` and friends: the `correction`
/// overload with `correction = 1` when unbiased, else 0. The `.default`
/// overloads (`self, unbiased`) reduce every dimension.
fn variance(rt: &mut Runtime, a: &Bound<'_>, target: &str, with_dim: bool) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let (dim, unbiased, keepdim) = if with_dim {
        (a.value(1)?.clone(), a.flag(2)?, a.flag(3)?)
    } else {
        (IValue::None, a.flag(1)?, false)
    };
    rt.dispatch(
        target,
        vec![
            x.into(),
            dim,
            IValue::Int(i64::from(unbiased)),
            keepdim.into(),
        ],
    )
}

fn argsort(
    rt: &mut Runtime,
    a: &Bound<'_>,
    stable: IValue,
    dim_at: usize,
    descending_at: usize,
) -> Result<Vec<IValue>> {
    let out = rt.dispatch(
        "aten.sort.stable",
        vec![
            a.tensor(0)?.into(),
            stable,
            a.int(dim_at)?.into(),
            a.flag(descending_at)?.into(),
        ],
    )?;
    Ok(out.into_iter().skip(1).take(1).collect())
}

/// Integral tensors are finite everywhere (`ones_like` of bool); a
/// floating one is finite where `(x == x) * (abs(x) != inf)`.
fn isfinite(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dtype().is_complex() {
        return Err(a.refuse("a complex tensor"));
    }
    if !x.dtype().is_floating() {
        return rt.dispatch(
            "aten.ones_like.default",
            vec![x.into(), IValue::Dtype(DType::Bool)],
        );
    }
    let same = one(rt, "aten.eq.Tensor", vec![x.into(), x.into()])?;
    let abs = one(rt, "aten.abs.default", vec![x.into()])?;
    let bounded = one(
        rt,
        "aten.ne.Scalar",
        vec![abs.into(), IValue::Float(f64::INFINITY)],
    )?;
    rt.dispatch("aten.mul.Tensor", vec![same.into(), bounded.into()])
}

/// `isclose`: `self == other`, or-ed with both-NaN when `equal_nan`, then
/// (unless both tolerances are 0) with `isfinite(err) & (err <= allowed)`,
/// `err = |self - other|`, `allowed = atol + |rtol * other|`.
fn isclose(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    let (rtol, atol, equal_nan) = (a.float(2)?, a.float(3)?, a.flag(4)?);
    if x.dtype() != y.dtype() {
        return Err(RuntimeError::unsupported(
            a.op,
            format!("{:?} did not match {:?}", x.dtype(), y.dtype()),
        ));
    }
    if x.dtype().is_complex() {
        return Err(a.refuse("complex operands"));
    }
    if rtol < 0.0 || atol < 0.0 {
        return Err(a.refuse("a negative tolerance"));
    }
    let close = one(rt, "aten.eq.Tensor", vec![x.into(), y.into()])?;
    if equal_nan && x.dtype().is_floating() {
        let xn = one(rt, "aten.isnan.default", vec![x.into()])?;
        let yn = one(rt, "aten.isnan.default", vec![y.into()])?;
        let both = one(rt, "aten.bitwise_and_.Tensor", vec![xn.into(), yn.into()])?;
        one(
            rt,
            "aten.bitwise_or_.Tensor",
            vec![(&close).into(), both.into()],
        )?;
    }
    if rtol == 0.0 && atol == 0.0 {
        return Ok(vec![close.into()]);
    }
    let default = rt.default_dtype();
    let cx = if x.dtype() == DType::Bool {
        to_dtype(rt, x, default)?
    } else {
        x.clone()
    };
    let cy = if y.dtype() == DType::Bool {
        to_dtype(rt, y, default)?
    } else {
        y.clone()
    };
    let scaled = one(
        rt,
        "aten.mul.Tensor",
        vec![(&cy).into(), IValue::Float(rtol)],
    )?;
    let scaled = one(rt, "aten.abs.default", vec![scaled.into()])?;
    let allowed = one(
        rt,
        "aten.add.Tensor",
        vec![scaled.into(), IValue::Float(atol)],
    )?;
    let diff = one(rt, "aten.sub.Tensor", vec![cx.into(), cy.into()])?;
    let actual = one(rt, "aten.abs.default", vec![diff.into()])?;
    let finite = isfinite_tensor(rt, &actual)?;
    let within = one(rt, "aten.le.Tensor", vec![actual.into(), allowed.into()])?;
    let ok = one(
        rt,
        "aten.bitwise_and_.Tensor",
        vec![finite.into(), within.into()],
    )?;
    one(
        rt,
        "aten.bitwise_or_.Tensor",
        vec![(&close).into(), ok.into()],
    )?;
    Ok(vec![close.into()])
}

fn isfinite_tensor(rt: &mut Runtime, x: &Tensor) -> Result<Tensor> {
    let same = one(rt, "aten.eq.Tensor", vec![x.into(), x.into()])?;
    let abs = one(rt, "aten.abs.default", vec![x.into()])?;
    let bounded = one(
        rt,
        "aten.ne.Scalar",
        vec![abs.into(), IValue::Float(f64::INFINITY)],
    )?;
    one(rt, "aten.mul.Tensor", vec![same.into(), bounded.into()])
}

/// `one_hot(self, num_classes)`: int64 indices, all non-negative and below
/// `num_classes` (the largest plus one when -1), scattered as 1 into
/// int64 zeros of shape `self.shape + [num_classes]`.
fn one_hot(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let mut classes = a.int(1)?;
    if x.dtype() != DType::Int64 {
        return Err(RuntimeError::unsupported(
            a.op,
            "one_hot is only applicable to index tensor of type LongTensor.",
        ));
    }
    let mut shape = x.shape().to_vec();
    if x.numel() == 0 {
        if classes <= 0 {
            return Err(RuntimeError::unsupported(
                a.op,
                "Can not infer total number of classes from empty tensor.",
            ));
        }
        shape.push(classes);
        return rt.dispatch(
            "aten.empty.memory_format",
            vec![shape.into(), IValue::Dtype(DType::Int64)],
        );
    }
    let values = x.to_i64_vec()?;
    let (lo, hi) = (
        values.iter().copied().min().unwrap_or(0),
        values.iter().copied().max().unwrap_or(0),
    );
    if lo < 0 {
        return Err(RuntimeError::unsupported(
            a.op,
            "Class values must be non-negative.",
        ));
    }
    if classes == -1 {
        classes = hi + 1;
    } else if hi >= classes {
        return Err(RuntimeError::unsupported(
            a.op,
            "Class values must be smaller than num_classes.",
        ));
    }
    shape.push(classes);
    let zeros = one(
        rt,
        "aten.zeros.default",
        vec![shape.into(), IValue::Dtype(DType::Int64)],
    )?;
    let index = one(
        rt,
        "aten.unsqueeze.default",
        vec![x.into(), IValue::Int(-1)],
    )?;
    one(
        rt,
        "aten.scatter_.value",
        vec![
            (&zeros).into(),
            IValue::Int(-1),
            index.into(),
            IValue::Int(1),
        ],
    )?;
    Ok(vec![zeros.into()])
}

fn slice(rt: &mut Runtime, x: &Tensor, dim: usize, start: i64, end: Option<i64>) -> Result<Tensor> {
    one(
        rt,
        "aten.slice.Tensor",
        vec![
            x.into(),
            IValue::Int(dim as i64),
            IValue::Int(start),
            end.map_or(IValue::None, IValue::Int),
            IValue::Int(1),
        ],
    )
}

/// `diff(self, n, dim, prepend, append)`: `prepend`/`append` concatenated
/// along `dim` (a 0-d one expanded to a slice first), then `n` times the
/// difference of neighbours (`logical_xor` for bool), `n` capped at the
/// length.
fn diff(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let n = a.int(1)?;
    if x.dim() == 0 {
        return Err(a.refuse("a 0-d tensor (diff expects input to be at least one-dimensional)"));
    }
    if n < 0 {
        return Err(a.refuse("a negative order"));
    }
    let dim = wrap_dim(a, a.int(2)?, x.dim())?;
    let (prepend, append) = (
        a.value(3)?.as_tensor().cloned(),
        a.value(4)?.as_tensor().cloned(),
    );
    let mut x = x.clone();
    if n > 0 && (prepend.is_some() || append.is_some()) {
        let mut parts = Vec::new();
        let edge = |rt: &mut Runtime, t: Tensor| -> Result<Tensor> {
            if t.dim() == 0 {
                let mut shape = x.shape().to_vec();
                shape[dim] = 1;
                one(rt, "aten.expand.default", vec![t.into(), shape.into()])
            } else {
                Ok(t)
            }
        };
        if let Some(p) = prepend {
            parts.push(edge(rt, p)?);
        }
        parts.push(x.clone());
        if let Some(q) = append {
            parts.push(edge(rt, q)?);
        }
        x = one(
            rt,
            "aten.cat.default",
            vec![IValue::TensorList(parts), IValue::Int(dim as i64)],
        )?;
    }
    let len = x.shape()[dim];
    let n = n.min(len);
    let mut out_len = len - 1;
    let is_bool = x.dtype() == DType::Bool;
    for _ in 0..n {
        let hi = slice(rt, &x, dim, 1, Some(1 + out_len))?;
        let lo = slice(rt, &x, dim, 0, Some(out_len))?;
        let op = if is_bool {
            "aten.logical_xor.default"
        } else {
            "aten.sub.Tensor"
        };
        x = one(rt, op, vec![hi.into(), lo.into()])?;
        out_len -= 1;
    }
    Ok(vec![x.into()])
}

/// Every tensor expanded to the broadcast shape; one already of that
/// shape is returned itself.
fn broadcast_tensors(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let IValue::TensorList(ts) = a.value(0)? else {
        return Err(a.refuse("argument 0 that is not a tensor list"));
    };
    let mut shape: Vec<i64> = Vec::new();
    for t in ts {
        shape = super::broadcast_shapes(&shape, t.shape())
            .ok_or_else(|| a.refuse("shapes that do not broadcast"))?;
    }
    let mut out = Vec::with_capacity(ts.len());
    for t in ts {
        if t.shape() == shape.as_slice() {
            out.push(t.clone());
        } else {
            out.push(one(
                rt,
                "aten.expand.default",
                vec![t.into(), shape.clone().into()],
            )?);
        }
    }
    Ok(vec![IValue::TensorList(out)])
}

fn sum_dim(rt: &mut Runtime, x: Tensor, dim: usize) -> Result<Tensor> {
    one(
        rt,
        "aten.sum.dim_IntList",
        vec![x.into(), vec![dim as i64].into(), false.into()],
    )
}

/// Sample points `x`: a 1-d `x` viewed along `dim`, a shorter one padded
/// with leading ones; `dx = x[1:] - x[:-1]` along `dim`; then
/// `((y[:-1] + y[1:]) * dx).sum(dim) / 2` (cumulative: `cumsum` instead of
/// `sum`). No samples along `dim` integrate to zeros.
fn trapezoid_x(rt: &mut Runtime, a: &Bound<'_>, cumulative: bool) -> Result<Vec<IValue>> {
    let (y, x) = (a.tensor(0)?, a.tensor(1)?);
    let dim = wrap_dim(a, a.int(2)?, y.dim())?;
    if !cumulative && y.shape()[dim] == 0 {
        return zeros_except(rt, y, dim);
    }
    if y.dtype() == DType::Bool || x.dtype() == DType::Bool {
        return Err(a.refuse("a bool input for `x` or `y`"));
    }
    let viewed = if x.dim() == 1 {
        if x.shape()[0] != y.shape()[dim] {
            return Err(a.refuse("an `x` without one value for each sample point"));
        }
        let mut sizes = vec![1i64; y.dim()];
        sizes[dim] = x.shape()[0];
        one(rt, "aten.view.default", vec![x.into(), sizes.into()])?
    } else if x.dim() < y.dim() {
        let mut sizes = vec![1i64; y.dim() - x.dim()];
        sizes.extend_from_slice(x.shape());
        one(rt, "aten.view.default", vec![x.into(), sizes.into()])?
    } else {
        x.clone()
    };
    let x_left = slice(rt, &viewed, dim, 0, Some(-1))?;
    let x_right = slice(rt, &viewed, dim, 1, None)?;
    let dx = one(rt, "aten.sub.Tensor", vec![x_right.into(), x_left.into()])?;
    let left = slice(rt, y, dim, 0, Some(-1))?;
    let right = slice(rt, y, dim, 1, None)?;
    let pair = one(rt, "aten.add.Tensor", vec![left.into(), right.into()])?;
    let weighted = one(rt, "aten.mul.Tensor", vec![pair.into(), dx.into()])?;
    let total = if cumulative {
        one(
            rt,
            "aten.cumsum.default",
            vec![weighted.into(), IValue::Int(dim as i64)],
        )?
    } else {
        sum_dim(rt, weighted, dim)?
    };
    if rt.faults.trapezoid_skips_half {
        return Ok(vec![total.into()]);
    }
    rt.dispatch("aten.div.Tensor", vec![total.into(), IValue::Float(2.0)])
}

/// A constant spacing: `(y.sum(dim) - (y[0] + y[-1]) * 0.5) * dx`;
/// cumulative: `(dx / 2 * (y[:-1] + y[1:])).cumsum(dim)`.
fn trapezoid_dx(rt: &mut Runtime, a: &Bound<'_>, cumulative: bool) -> Result<Vec<IValue>> {
    let y = a.tensor(0)?;
    let dx = match a.value(1)? {
        IValue::Float(v) => *v,
        IValue::Int(v) => *v as f64,
        _ => return Err(a.refuse("a spacing that is not a real number")),
    };
    let dim = wrap_dim(a, a.int(2)?, y.dim())?;
    if !cumulative && y.shape()[dim] == 0 {
        return zeros_except(rt, y, dim);
    }
    if y.dtype() == DType::Bool {
        return Err(a.refuse("a bool input for `y`"));
    }
    if cumulative {
        let left = slice(rt, y, dim, 0, Some(-1))?;
        let right = slice(rt, y, dim, 1, None)?;
        let pair = one(rt, "aten.add.Tensor", vec![left.into(), right.into()])?;
        let scaled = one(
            rt,
            "aten.mul.Tensor",
            vec![pair.into(), IValue::Float(dx / 2.0)],
        )?;
        return rt.dispatch(
            "aten.cumsum.default",
            vec![scaled.into(), IValue::Int(dim as i64)],
        );
    }
    let total = sum_dim(rt, y.clone(), dim)?;
    let first_ = one(
        rt,
        "aten.select.int",
        vec![y.into(), IValue::Int(dim as i64), IValue::Int(0)],
    )?;
    let last = one(
        rt,
        "aten.select.int",
        vec![y.into(), IValue::Int(dim as i64), IValue::Int(-1)],
    )?;
    let ends = one(rt, "aten.add.Tensor", vec![first_.into(), last.into()])?;
    let half = one(rt, "aten.mul.Tensor", vec![ends.into(), IValue::Float(0.5)])?;
    let inner = one(rt, "aten.sub.Tensor", vec![total.into(), half.into()])?;
    rt.dispatch("aten.mul.Tensor", vec![inner.into(), IValue::Float(dx)])
}

fn zeros_except(rt: &mut Runtime, y: &Tensor, dim: usize) -> Result<Vec<IValue>> {
    let mut shape = y.shape().to_vec();
    shape.remove(dim);
    rt.dispatch(
        "aten.zeros.default",
        vec![shape.into(), IValue::Dtype(y.dtype())],
    )
}

/// `apply_loss_reduction`: 0 none, 1 mean, 2 sum.
fn reduce_loss(rt: &mut Runtime, a: &Bound<'_>, x: Tensor, reduction: i64) -> Result<Vec<IValue>> {
    match reduction {
        0 => Ok(vec![x.into()]),
        1 => rt.dispatch("aten.mean.default", vec![x.into()]),
        2 => rt.dispatch("aten.sum.default", vec![x.into()]),
        _ => Err(a.refuse(&format!("reduction {reduction}"))),
    }
}

/// `l1_loss`: `|input - target|`, reduced.
fn l1_loss(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let d = one(
        rt,
        "aten.sub.Tensor",
        vec![a.tensor(0)?.into(), a.tensor(1)?.into()],
    )?;
    let d = one(rt, "aten.abs.default", vec![d.into()])?;
    reduce_loss(rt, a, d, a.int(2)?)
}

/// `kl_div(input, target, reduction, log_target)`: `exp(t) * (t - input)`
/// for log targets, else `xlogy(t, t) - t * input`, reduced (`batchmean`
/// is `sum` divided in Python).
fn kl_div(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, t) = (a.tensor(0)?, a.tensor(1)?);
    if x.dtype().is_complex() || t.dtype().is_complex() {
        return Err(a.refuse("complex operands"));
    }
    let out = if a.flag(3)? {
        let e = one(rt, "aten.exp.default", vec![t.into()])?;
        let d = one(rt, "aten.sub.Tensor", vec![t.into(), x.into()])?;
        one(rt, "aten.mul.Tensor", vec![e.into(), d.into()])?
    } else {
        let xl = one(rt, "aten.xlogy.Tensor", vec![t.into(), t.into()])?;
        let p = one(rt, "aten.mul.Tensor", vec![t.into(), x.into()])?;
        one(rt, "aten.sub.Tensor", vec![xl.into(), p.into()])?
    };
    reduce_loss(rt, a, out, a.int(2)?)
}

/// `cosine_similarity(x1, x2, dim, eps)`: integral operands converted to
/// the result type, both broadcast, each divided by its 2-norm along `dim`
/// (kept, cloned, clamped below at `eps`), multiplied and summed.
fn cosine_similarity(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x1, x2) = (a.tensor(0)?, a.tensor(1)?);
    let (dim, eps) = (a.int(2)?, a.float(3)?);
    let ops = [
        PromoteOperand::Tensor {
            dtype: x1.dtype(),
            dim: x1.dim(),
        },
        PromoteOperand::Tensor {
            dtype: x2.dtype(),
            dim: x2.dim(),
        },
    ];
    let common = result_type(&ops, rt.default_dtype())
        .ok_or_else(|| a.refuse("operands without a result type"))?;
    if !common.is_floating() {
        return Err(RuntimeError::unsupported(
            a.op,
            format!("expected common dtype to be floating point, yet common dtype is {common:?}"),
        ));
    }
    let x1 = if x1.dtype().is_floating() || x1.dtype().is_complex() {
        x1.clone()
    } else {
        to_dtype(rt, x1, common)?
    };
    let x2 = if x2.dtype().is_floating() || x2.dtype().is_complex() {
        x2.clone()
    } else {
        to_dtype(rt, x2, common)?
    };
    let shape = super::broadcast_shapes(x1.shape(), x2.shape())
        .ok_or_else(|| a.refuse("shapes that do not broadcast"))?;
    let expand = |rt: &mut Runtime, t: Tensor| -> Result<Tensor> {
        if t.shape() == shape.as_slice() {
            Ok(t)
        } else {
            one(
                rt,
                "aten.expand.default",
                vec![t.into(), shape.clone().into()],
            )
        }
    };
    let x1 = expand(rt, x1)?;
    let x2 = expand(rt, x2)?;
    let mut normed = Vec::with_capacity(2);
    for x in [&x1, &x2] {
        let n = one(
            rt,
            "aten.linalg_vector_norm.default",
            vec![
                x.into(),
                IValue::Int(2),
                IValue::IntList(vec![dim]),
                true.into(),
            ],
        )?;
        let n = one(rt, "aten.clone.default", vec![n.into()])?;
        one(
            rt,
            "aten.clamp_min_.default",
            vec![(&n).into(), IValue::Float(eps)],
        )?;
        normed.push(one(rt, "aten.div.Tensor", vec![x.into(), n.into()])?);
    }
    let (q2, q1) = (normed.pop(), normed.pop());
    let (Some(q1), Some(q2)) = (q1, q2) else {
        return Err(a.refuse("missing norms"));
    };
    let p = one(rt, "aten.mul.Tensor", vec![q1.into(), q2.into()])?;
    rt.dispatch(
        "aten.sum.dim_IntList",
        vec![p.into(), vec![dim].into(), false.into()],
    )
}

/// `pairwise_distance(x1, x2, p, eps, keepdim)`: `norm(x1 - x2 + eps, p,
/// last dim, keepdim)`.
fn pairwise_distance(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x1, x2) = (a.tensor(0)?, a.tensor(1)?);
    let (p, eps, keepdim) = (a.float(2)?, a.float(3)?, a.flag(4)?);
    let last = x1.dim().max(x2.dim()) as i64 - 1;
    let d = one(rt, "aten.sub.Tensor", vec![x1.into(), x2.into()])?;
    let d = one(rt, "aten.add.Tensor", vec![d.into(), IValue::Float(eps)])?;
    first(rt.dispatch(
        "aten.norm.ScalarOpt_dim",
        vec![
            d.into(),
            IValue::Float(p),
            IValue::IntList(vec![last]),
            keepdim.into(),
        ],
    )?)
}

/// `pad(self, pad, mode, value)`: `constant_pad_nd` (value 0 when none
/// given); `reflect` / `replicate` through the `reflection_pad{1,2,3}d` /
/// `replication_pad{1,2,3}d` kernel of the padded dimensions' count and
/// `circular` through `_pad_circular`, which take no value but 0, for an
/// input with one or two unpadded leading dimensions (PyTorch's checks and
/// messages).
fn pad(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let widths = a.ints(1)?;
    let mode = match a.value(2)? {
        IValue::Str(m) => m.clone(),
        _ => return Err(a.refuse("a mode that is not a string")),
    };
    let value = a.value(3)?.clone();
    let torch_error = |message: String| RuntimeError::Shape {
        op: a.op.to_owned(),
        message,
    };
    if !widths.len().is_multiple_of(2) {
        return Err(torch_error("Padding length must be divisible by 2".into()));
    }
    if widths.len() > x.dim() * 2 {
        return Err(torch_error(format!(
            "Padding length should be less than or equal to two times the input dimension but got padding length {} and input of dimension {}",
            widths.len(),
            x.dim()
        )));
    }
    if mode == "constant" {
        let value = match value {
            IValue::None => IValue::Float(0.0),
            v => v,
        };
        return rt.dispatch(
            "aten.constant_pad_nd.default",
            vec![x.into(), widths.into(), value],
        );
    }
    if !matches!(value, IValue::None) && a.float(3)? != 0.0 {
        return Err(torch_error(format!(
            "Padding mode \"{mode}\" doesn't take in value argument"
        )));
    }
    let n = widths.len() / 2;
    if n == 0 || n > 3 || (x.dim() != n + 1 && x.dim() != n + 2) {
        return Err(RuntimeError::unsupported(
            a.op,
            format!(
                "Padding size {} is not supported for {}D input tensor.",
                widths.len(),
                x.dim()
            ),
        ));
    }
    let mut kind = match mode.as_str() {
        "reflect" => "reflection",
        "replicate" => "replication",
        "circular" => return super::inference_eval::pad_circular(rt, a, x, &widths),
        _ => return Err(a.refuse(&format!("padding mode {mode:?}"))),
    };
    if rt.faults.pad_reflect_as_replicate && kind == "reflection" {
        kind = "replication";
    }
    rt.dispatch(
        &format!("aten.{kind}_pad{n}d.default"),
        vec![x.into(), widths.into()],
    )
}

/// The 1-d poolings: the 2-d operator over `self.unsqueeze(-2)` with a
/// height of one (kernel 1, stride 1, padding 0, dilation 1; an adaptive
/// output height of 1), every result squeezed back at -2 (`max_pool1d`
/// keeps the values only).
fn pool1d(rt: &mut Runtime, a: &Bound<'_>, op2d: &str) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dim() != 2 && x.dim() != 3 {
        return Err(a.refuse(&format!("a {}-d input (2-d or 3-d expected)", x.dim())));
    }
    let one_more = |v: Vec<i64>, lead: i64| -> Vec<i64> {
        let mut out = vec![lead];
        out.extend(v);
        out
    };
    let rows = one(
        rt,
        "aten.unsqueeze.default",
        vec![x.into(), IValue::Int(-2)],
    )?;
    let args: Vec<IValue> = match a.op {
        "aten.adaptive_avg_pool1d.default" | "aten.adaptive_max_pool1d.default" => {
            vec![rows.into(), one_more(a.ints(1)?, 1).into()]
        }
        "aten.avg_pool1d.default" => {
            let kernel = a.ints(1)?;
            let stride = match a.ints(2)? {
                s if s.is_empty() => kernel.clone(),
                s => s,
            };
            vec![
                rows.into(),
                one_more(kernel, 1).into(),
                one_more(stride, 1).into(),
                one_more(a.ints(3)?, 0).into(),
                a.flag(4)?.into(),
                a.flag(5)?.into(),
            ]
        }
        _ => {
            let kernel = a.ints(1)?;
            let stride = match a.ints(2)? {
                s if s.is_empty() => kernel.clone(),
                s => s,
            };
            vec![
                rows.into(),
                one_more(kernel, 1).into(),
                one_more(stride, 1).into(),
                one_more(a.ints(3)?, 0).into(),
                one_more(a.ints(4)?, 1).into(),
                a.flag(5)?.into(),
            ]
        }
    };
    let outs = rt.dispatch(op2d, args)?;
    let keep = if a.op == "aten.max_pool1d.default" {
        1
    } else {
        outs.len()
    };
    let mut squeezed = Vec::with_capacity(keep);
    for out in outs.into_iter().take(keep) {
        let t = out
            .into_tensor()
            .ok_or_else(|| a.refuse("a pooling without a tensor result"))?;
        squeezed.push(
            rt.dispatch("aten.squeeze.dim", vec![t.into(), IValue::Int(-2)])?
                .remove(0),
        );
    }
    Ok(squeezed)
}

#[cfg(test)]
mod tests {
    //! The composites run whole, as under `inference_mode` with a dispatch
    //! mode active. Expected values observed in torch 2.15.

    use super::super::test_support::call;
    use crate::ivalue::IValue;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;

    fn tensor(dtype: DType, values: &[f64]) -> Tensor {
        super::super::test_support::tensor(&[values.len() as i64], dtype, values)
    }

    fn values(t: &Tensor) -> (DType, Vec<f64>) {
        (t.dtype(), t.to_f64_vec().expect("values"))
    }

    #[test]
    fn trapezoid_rules_over_points_and_spacing() {
        let y = tensor(DType::Float32, &[0.0, 0.5, 0.75, 1.0]);
        let x = tensor(DType::Float32, &[0.0, 0.25, 0.5, 1.0]);
        let area = call("aten.trapezoid.x", vec![(&y).into(), (&x).into()]);
        assert_eq!(values(&area), (DType::Float32, vec![0.65625]));
        let curve = call(
            "aten.cumulative_trapezoid.x",
            vec![(&y).into(), (&x).into()],
        );
        assert_eq!(values(&curve).1, vec![0.0625, 0.21875, 0.65625]);
        let area = call("aten.trapezoid.dx", vec![(&y).into(), IValue::Float(0.5)]);
        assert_eq!(values(&area).1, vec![0.875]);
        let curve = call(
            "aten.cumulative_trapezoid.dx",
            vec![(&y).into(), IValue::Int(2)],
        );
        assert_eq!(values(&curve).1, vec![0.5, 1.75, 3.5]);
    }

    #[test]
    fn where_with_numbers_promotes_as_pytorch() {
        let cond = tensor(DType::Bool, &[1.0, 0.0]);
        let ints = tensor(DType::Int64, &[1.0, 2.0]);
        let r = call(
            "aten.where.ScalarOther",
            vec![(&cond).into(), (&ints).into(), IValue::Float(0.5)],
        );
        assert_eq!(values(&r), (DType::Float32, vec![1.0, 0.5]));
        let r = call(
            "aten.where.Scalar",
            vec![(&cond).into(), IValue::Int(1), IValue::Int(0)],
        );
        assert_eq!(values(&r), (DType::Int64, vec![1.0, 0.0]));
    }

    #[test]
    fn finiteness_closeness_differences_and_one_hot() {
        let x = tensor(DType::Float32, &[1.0, f64::INFINITY, f64::NAN]);
        let r = call("aten.isfinite.default", vec![(&x).into()]);
        assert_eq!(values(&r), (DType::Bool, vec![1.0, 0.0, 0.0]));
        let a = tensor(DType::Float32, &[1.0, f64::NAN, 2.0]);
        let b = tensor(DType::Float32, &[1.000001, f64::NAN, 2.1]);
        let r = call(
            "aten.isclose.default",
            vec![
                (&a).into(),
                (&b).into(),
                IValue::Float(1e-5),
                IValue::Float(1e-8),
                IValue::Bool(true),
            ],
        );
        assert_eq!(values(&r).1, vec![1.0, 1.0, 0.0]);
        let sq = tensor(DType::Int64, &[1.0, 4.0, 9.0, 16.0]);
        let r = call("aten.diff.default", vec![(&sq).into(), IValue::Int(2)]);
        assert_eq!(values(&r), (DType::Int64, vec![2.0, 2.0]));
        let mask = tensor(DType::Bool, &[1.0, 0.0, 0.0, 1.0]);
        let r = call("aten.diff.default", vec![(&mask).into()]);
        assert_eq!(values(&r), (DType::Bool, vec![1.0, 0.0, 1.0]));
        let labels = tensor(DType::Int64, &[0.0, 2.0]);
        let r = call("aten.one_hot.default", vec![(&labels).into()]);
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(values(&r).1, vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn masks_combine_through_the_bitwise_operators() {
        let p = tensor(DType::Bool, &[1.0, 1.0, 0.0]);
        let t = tensor(DType::Bool, &[1.0, 0.0, 0.0]);
        let and = call("aten.__and__.Tensor", vec![(&p).into(), (&t).into()]);
        assert_eq!(values(&and).1, vec![1.0, 0.0, 0.0]);
        let xor = call("aten.__xor__.Scalar", vec![(&p).into(), IValue::Bool(true)]);
        assert_eq!(values(&xor), (DType::Bool, vec![0.0, 0.0, 1.0]));
    }

    fn row(values: &[f64]) -> Tensor {
        super::super::test_support::tensor(&[1, values.len() as i64], DType::Float32, values)
    }

    fn ints(v: &[i64]) -> IValue {
        IValue::IntList(v.to_vec())
    }

    #[test]
    fn pads_and_one_dimensional_poolings_of_an_unbatched_row() {
        let x = row(&[1.0, 3.0, 2.0, 5.0]);
        let pad = |mode: &str, widths: &[i64], value: IValue| {
            let r = call(
                "aten.pad.default",
                vec![(&x).into(), ints(widths), IValue::Str(mode.into()), value],
            );
            values(&r).1
        };
        assert_eq!(
            pad("reflect", &[2, 1], IValue::None),
            vec![2.0, 3.0, 1.0, 3.0, 2.0, 5.0, 2.0]
        );
        assert_eq!(
            pad("replicate", &[1, 1], IValue::None),
            vec![1.0, 1.0, 3.0, 2.0, 5.0, 5.0]
        );
        assert_eq!(
            pad("constant", &[1, 0], IValue::Float(-1.0)),
            vec![-1.0, 1.0, 3.0, 2.0, 5.0]
        );
        let r = call("aten.max_pool1d.default", vec![(&x).into(), ints(&[2])]);
        assert_eq!(
            (r.shape().to_vec(), values(&r).1),
            (vec![1, 2], vec![3.0, 5.0])
        );
        let r = call(
            "aten.avg_pool1d.default",
            vec![
                (&x).into(),
                ints(&[3]),
                ints(&[1]),
                ints(&[1]),
                IValue::Bool(false),
                IValue::Bool(false),
            ],
        );
        assert_eq!(values(&r).1, vec![2.0, 2.0, f64::from(10.0f32 / 3.0), 3.5]);
        let r = call(
            "aten.adaptive_avg_pool1d.default",
            vec![(&x).into(), ints(&[3])],
        );
        assert_eq!(values(&r).1, vec![2.0, 2.5, 3.5]);
    }
}
