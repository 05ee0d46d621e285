//! Composites an evaluation loop reaches through PyTorch's operator
//! aliases and small conveniences inside `torch.inference_mode()`, where a
//! dispatch mode sees them whole: `torch.max(a, b)` / `torch.min(a, b)`
//! (`max.other` / `min.other`, which are `maximum` / `minimum`), `clip`,
//! `absolute`, `negative`, `fix`, the `arc*` spellings, `multiply` /
//! `divide` / `true_divide` / `subtract`, the named comparisons (`greater`,
//! `less_equal`, `not_equal`, ...), the one-argument `torch.where(mask)`,
//! `nanmean`, `float_power`, `torch.cross` without a dimension, `narrow`
//! (a slice of the input; PyTorch gives it an ADInplaceOrView kernel, see
//! the registry), and the
//! `_has_compatible_shallow_copy_type` check `Module._apply` makes when
//! `model.half()` / `model.to(dtype)` runs in inference mode.
//!
//! An alias's ATen kernel calls its target with the same arguments, so the
//! decomposition is that one dispatch: same values, same result tensor
//! (in-place aliases return `self`). The others run the operators ATen's
//! CompositeImplicitAutograd kernel runs (torch 2.15), in its order.

use super::{Bound, convert, fail, one};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::dtype::DType;

/// The operator an alias stands for, overload included; `None` when `op`
/// is not one of the aliases this module knows.
pub(super) fn alias_target(op: &str) -> Option<&'static str> {
    Some(match op {
        "aten.max.other" => "aten.maximum.default",
        "aten.min.other" => "aten.minimum.default",
        "aten.clip.default" => "aten.clamp.default",
        "aten.clip.Tensor" => "aten.clamp.Tensor",
        "aten.clip_.default" => "aten.clamp_.default",
        "aten.clip_.Tensor" => "aten.clamp_.Tensor",
        "aten.absolute.default" => "aten.abs.default",
        "aten.absolute_.default" => "aten.abs_.default",
        "aten.negative.default" => "aten.neg.default",
        "aten.negative_.default" => "aten.neg_.default",
        "aten.fix.default" => "aten.trunc.default",
        "aten.fix_.default" => "aten.trunc_.default",
        "aten.arccos.default" => "aten.acos.default",
        "aten.arccos_.default" => "aten.acos_.default",
        "aten.arcsin.default" => "aten.asin.default",
        "aten.arcsin_.default" => "aten.asin_.default",
        "aten.arctan.default" => "aten.atan.default",
        "aten.arctan_.default" => "aten.atan_.default",
        "aten.arccosh.default" => "aten.acosh.default",
        "aten.arccosh_.default" => "aten.acosh_.default",
        "aten.arcsinh.default" => "aten.asinh.default",
        "aten.arcsinh_.default" => "aten.asinh_.default",
        "aten.arctanh.default" => "aten.atanh.default",
        "aten.arctanh_.default" => "aten.atanh_.default",
        "aten.arctan2.default" => "aten.atan2.default",
        "aten.multiply.Tensor" => "aten.mul.Tensor",
        "aten.multiply.Scalar" => "aten.mul.Scalar",
        "aten.multiply_.Tensor" => "aten.mul_.Tensor",
        "aten.multiply_.Scalar" => "aten.mul_.Scalar",
        "aten.divide.Tensor" | "aten.true_divide.Tensor" => "aten.div.Tensor",
        "aten.divide.Scalar" | "aten.true_divide.Scalar" => "aten.div.Scalar",
        "aten.divide.Tensor_mode" => "aten.div.Tensor_mode",
        "aten.divide.Scalar_mode" => "aten.div.Scalar_mode",
        "aten.divide_.Tensor" | "aten.true_divide_.Tensor" => "aten.div_.Tensor",
        "aten.divide_.Scalar" | "aten.true_divide_.Scalar" => "aten.div_.Scalar",
        "aten.divide_.Tensor_mode" => "aten.div_.Tensor_mode",
        "aten.subtract.Tensor" => "aten.sub.Tensor",
        "aten.subtract.Scalar" => "aten.sub.Scalar",
        "aten.subtract_.Tensor" => "aten.sub_.Tensor",
        "aten.subtract_.Scalar" => "aten.sub_.Scalar",
        "aten.greater.Tensor" => "aten.gt.Tensor",
        "aten.greater.Scalar" => "aten.gt.Scalar",
        "aten.greater_equal.Tensor" => "aten.ge.Tensor",
        "aten.greater_equal.Scalar" => "aten.ge.Scalar",
        "aten.less.Tensor" => "aten.lt.Tensor",
        "aten.less.Scalar" => "aten.lt.Scalar",
        "aten.less_equal.Tensor" => "aten.le.Tensor",
        "aten.less_equal.Scalar" => "aten.le.Scalar",
        "aten.not_equal.Tensor" => "aten.ne.Tensor",
        "aten.not_equal.Scalar" => "aten.ne.Scalar",
        _ => return None,
    })
}

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    if let Some(target) = alias_target(a.op) {
        let target = if rt.faults.max_other_as_minimum {
            match target {
                "aten.maximum.default" => "aten.minimum.default",
                other => other,
            }
        } else {
            target
        };
        return Some(rt.dispatch(target, a.args.to_vec()));
    }
    let out = match a.op {
        "aten._has_compatible_shallow_copy_type.default" => shallow_copy_compatible(a),
        // `torch.where(mask)` is `nonzero(as_tuple=True)`.
        "aten.where.default" => match a.value(0) {
            Ok(c) => rt.dispatch("aten.nonzero_numpy.default", vec![c.clone()]),
            Err(e) => Err(e),
        },
        "aten.nanmean.default" => nanmean(rt, a),
        "aten.float_power.Tensor_Scalar" => float_power(rt, a, true, false),
        "aten.float_power.Tensor_Tensor" => float_power(rt, a, true, true),
        "aten.float_power.Scalar" => float_power(rt, a, false, true),
        "aten.cross.default" => cross(rt, a),
        "aten.narrow.default" => match a.int(2) {
            Ok(start) => narrow(rt, a, start),
            Err(e) => Err(e),
        },
        "aten.narrow.Tensor" => narrow_tensor(rt, a),
        _ => return None,
    };
    Some(out)
}

/// `_has_compatible_shallow_copy_type(self, from)`: whether `from`'s
/// implementation can be shallow-copied into `self`'s (`param.data =
/// converted` in `Module._apply`): both dense or both sparse COO (the
/// runtime's only two tensor implementations).
fn shallow_copy_compatible(a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, from) = (a.tensor(0)?, a.tensor(1)?);
    Ok(vec![IValue::Bool(x.is_sparse() == from.is_sparse())])
}

/// `nanmean(self, dim, keepdim, dtype)`: `nansum` divided by the count of
/// non-NaN elements, `(d != d).logical_not_().sum(dim, keepdim)` of
/// `d = self.detach()` (ATen's order: detach, ne, logical_not_, sum,
/// nansum, div).
fn nanmean(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if !(x.dtype().is_floating() || x.dtype().is_complex()) {
        return Err(RuntimeError::Shape {
            op: a.op.to_owned(),
            message: format!(
                "nanmean(): expected input to have floating point or complex dtype but got {}",
                x.dtype().scalar_type_name()
            ),
        });
    }
    let (dim, keepdim, dtype) = (
        a.value(1)?.clone(),
        a.value(2)?.clone(),
        a.value(3)?.clone(),
    );
    let detached = one(rt, "aten.detach.default", vec![x.into()])?;
    let isnan = one(
        rt,
        "aten.ne.Tensor",
        vec![(&detached).into(), (&detached).into()],
    )?;
    let kept = one(rt, "aten.logical_not_.default", vec![isnan.into()])?;
    let factor = one(
        rt,
        "aten.sum.dim_IntList",
        vec![kept.into(), dim.clone(), keepdim.clone()],
    )?;
    let total = one(
        rt,
        "aten.nansum.default",
        vec![x.into(), dim, keepdim, dtype],
    )?;
    rt.dispatch("aten.div.Tensor", vec![total.into(), factor.into()])
}

/// `float_power`: both operands in double precision (complex double when
/// either is complex), then `pow`. `base_tensor` / `exp_tensor` say which
/// operands are tensors (`Tensor_Scalar`, `Tensor_Tensor`, `Scalar`).
fn float_power(
    rt: &mut Runtime,
    a: &Bound<'_>,
    base_tensor: bool,
    exp_tensor: bool,
) -> Result<Vec<IValue>> {
    let (base, exp) = (a.value(0)?, a.value(1)?);
    let complex = |v: &IValue| match v {
        IValue::Tensor(t) => t.dtype().is_complex(),
        IValue::Complex(..) => true,
        _ => false,
    };
    let dtype = if complex(base) || complex(exp) {
        DType::Complex128
    } else {
        DType::Float64
    };
    let cast = |rt: &mut Runtime, v: &IValue, is_tensor: bool| -> Result<IValue> {
        if is_tensor {
            let t = v
                .as_tensor()
                .ok_or_else(|| a.refuse("an operand that is not a tensor"))?;
            return convert(rt, t, dtype, false)?
                .into_iter()
                .next()
                .ok_or_else(|| a.refuse("a conversion without a result"));
        }
        let (re, im) = match v {
            IValue::Int(n) => (*n as f64, 0.0),
            IValue::Float(f) => (*f, 0.0),
            IValue::Bool(b) => (f64::from(u8::from(*b)), 0.0),
            IValue::Complex(re, im) => (*re, *im),
            _ => return Err(a.refuse("a scalar operand that is not a number")),
        };
        Ok(if dtype == DType::Complex128 {
            IValue::Complex(re, im)
        } else {
            IValue::Float(re)
        })
    };
    let base = cast(rt, base, base_tensor)?;
    let exp = cast(rt, exp, exp_tensor)?;
    let op = match (base_tensor, exp_tensor) {
        (true, false) => "aten.pow.Tensor_Scalar",
        (true, true) => "aten.pow.Tensor_Tensor",
        _ => "aten.pow.Scalar",
    };
    rt.dispatch(op, vec![base, exp])
}

/// `cross(self, other, dim=None)`: `linalg_cross` over `dim`, or without
/// one over the first dimension of `self` of size 3.
fn cross(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    let dim = match a.value(2)? {
        IValue::None => match x.shape().iter().position(|&s| s == 3) {
            Some(d) => d as i64,
            None => {
                return Err(RuntimeError::Shape {
                    op: a.op.to_owned(),
                    message: "no dimension of size 3 in input".to_owned(),
                });
            }
        },
        _ => a.int(2)?,
    };
    rt.dispatch(
        "aten.linalg_cross.default",
        vec![x.into(), y.into(), IValue::Int(dim)],
    )
}

/// `narrow(self, dim, start, length)`: `slice(dim, start, start + length)`
/// after PyTorch's checks, a negative `start` counted from the end.
fn narrow(rt: &mut Runtime, a: &Bound<'_>, start: i64) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let (dim, length) = (a.int(1)?, a.int(3)?);
    if x.dim() == 0 {
        return Err(fail(
            a,
            "narrow() cannot be applied to a 0-dim tensor.".to_owned(),
        ));
    }
    if length < 0 {
        return Err(fail(a, "narrow(): length must be non-negative.".to_owned()));
    }
    let rank = x.dim() as i64;
    if dim < -rank || dim >= rank {
        return Err(fail(
            a,
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -rank,
                rank - 1
            ),
        ));
    }
    let d = if dim < 0 { dim + rank } else { dim };
    let size = x.shape()[d as usize];
    if start < -size || start > size {
        return Err(RuntimeError::index(
            a.op,
            format!(
                "start out of range (expected to be in range of [{}, {size}], but got {start})",
                -size
            ),
        ));
    }
    let start = if start < 0 { start + size } else { start };
    if start > size - length {
        return Err(fail(
            a,
            format!("start ({start}) + length ({length}) exceeds dimension size ({size})."),
        ));
    }
    rt.dispatch(
        "aten.slice.Tensor",
        vec![
            x.into(),
            IValue::Int(d),
            IValue::Int(start),
            IValue::Int(start + length),
            IValue::Int(1),
        ],
    )
}

/// `narrow.Tensor`: `start` a 0-d integer tensor, read with `item()`.
fn narrow_tensor(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let start = a.tensor(2)?;
    let dtype = start.dtype();
    if start.dim() != 0 || dtype.is_floating() || dtype.is_complex() || dtype == DType::Bool {
        return Err(fail(
            a,
            "start must be an 0-dim integral Tensor.".to_owned(),
        ));
    }
    let value = start
        .to_f64_vec()?
        .first()
        .copied()
        .ok_or_else(|| a.refuse("an empty start"))?;
    narrow(rt, a, value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;
    use crate::tensor::strides::contiguous_strides;

    fn tensor(dtype: DType, shape: &[i64], values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
    }

    fn call(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Vec<IValue>> {
        rt.set_dispatch_mode_active(true);
        rt.call(op, args)
    }

    fn result(out: Result<Vec<IValue>>) -> Tensor {
        out.expect("call")
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor result")
    }

    fn floats(t: &Tensor) -> Vec<f64> {
        t.to_f64_vec().expect("values")
    }

    #[test]
    fn every_alias_and_its_target_are_registered() {
        let registry = Runtime::registry().expect("registry");
        for alias in [
            "aten.max.other",
            "aten.min.other",
            "aten.clip_.Tensor",
            "aten.arctan2.default",
            "aten.divide_.Tensor_mode",
            "aten.true_divide.Scalar",
            "aten.not_equal.Scalar",
            "aten.fix_.default",
        ] {
            let target = alias_target(alias).expect("an alias");
            let entry = registry.get(alias).expect("alias registered");
            assert!(entry.is_composite_implicit(), "{alias}");
            let target_entry = registry.get(target).expect("target registered");
            assert_eq!(
                entry.schema.arguments.len(),
                target_entry.schema.arguments.len(),
                "{alias} binds as {target}"
            );
        }
    }

    #[test]
    fn max_other_is_maximum_and_in_place_aliases_return_self() {
        let mut rt = Runtime::new();
        let x = tensor(DType::Float32, &[3], &[1.0, -2.0, f64::NAN]);
        let y = tensor(DType::Float32, &[3], &[0.5, 3.0, 0.0]);
        let m = result(call(
            &mut rt,
            "aten.max.other",
            vec![(&x).into(), (&y).into()],
        ));
        let v = floats(&m);
        assert_eq!(&v[..2], &[1.0, 3.0]);
        assert!(v[2].is_nan(), "maximum propagates NaN");
        let m = result(call(
            &mut rt,
            "aten.min.other",
            vec![(&x).into(), (&y).into()],
        ));
        assert_eq!(&floats(&m)[..2], &[0.5, -2.0]);
        let c = result(call(
            &mut rt,
            "aten.clip_.default",
            vec![(&y).into(), IValue::Float(0.0), IValue::Float(1.0)],
        ));
        assert!(c.same_tensor(&y), "clip_ returns self");
        assert_eq!(floats(&y), vec![0.5, 1.0, 0.0]);
    }

    #[test]
    fn nanmean_skips_nans_and_float_power_is_double() {
        let mut rt = Runtime::new();
        let x = tensor(DType::Float32, &[2, 2], &[1.0, f64::NAN, 3.0, 4.0]);
        let m = result(call(
            &mut rt,
            "aten.nanmean.default",
            vec![(&x).into(), IValue::IntList(vec![1]), IValue::Bool(true)],
        ));
        assert_eq!(m.shape(), &[2, 1]);
        assert_eq!(m.dtype(), DType::Float32);
        assert_eq!(floats(&m), vec![1.0, 3.5]);
        let ints = tensor(DType::Int64, &[2], &[2.0, 3.0]);
        assert!(call(&mut rt, "aten.nanmean.default", vec![(&ints).into()]).is_err());
        let p = result(call(
            &mut rt,
            "aten.float_power.Tensor_Scalar",
            vec![(&x).into(), IValue::Int(2)],
        ));
        assert_eq!(p.dtype(), DType::Float64);
        let p = result(call(
            &mut rt,
            "aten.float_power.Scalar",
            vec![IValue::Int(2), (&ints).into()],
        ));
        assert_eq!((p.dtype(), floats(&p)), (DType::Float64, vec![4.0, 8.0]));
    }

    #[test]
    fn cross_without_a_dim_takes_the_first_of_size_three() {
        let mut rt = Runtime::new();
        let x = tensor(DType::Float32, &[3, 2], &[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        let y = tensor(DType::Float32, &[3, 2], &[0.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
        let c = result(call(
            &mut rt,
            "aten.cross.default",
            vec![(&x).into(), (&y).into()],
        ));
        assert_eq!(c.shape(), &[3, 2]);
        // columns (1,0,0)x(0,0,1) = (0,-1,0) and (0,1,0)x(0,0,1) = (1,0,0)
        assert_eq!(floats(&c), vec![0.0, 1.0, -1.0, 0.0, 0.0, 0.0]);
        let flat = tensor(DType::Float32, &[2], &[1.0, 2.0]);
        assert!(
            call(
                &mut rt,
                "aten.cross.default",
                vec![(&flat).into(), (&flat).into()]
            )
            .is_err()
        );
    }

    #[test]
    fn narrow_is_a_slice_and_checks_its_range() {
        let mut rt = Runtime::new();
        let x = tensor(
            DType::Float32,
            &[5, 2],
            &[0., 1., 2., 3., 4., 5., 6., 7., 8., 9.],
        );
        let n = result(call(
            &mut rt,
            "aten.narrow.default",
            vec![(&x).into(), IValue::Int(0), IValue::Int(-2), IValue::Int(2)],
        ));
        assert_eq!((n.shape(), n.stride()), (&[2, 2][..], &[2, 1][..]));
        assert_eq!(floats(&n), vec![6.0, 7.0, 8.0, 9.0]);
        assert!(n.shares_version_with(&x), "a view of the input");
        let one = tensor(DType::Int64, &[], &[1.0]);
        let n = result(call(
            &mut rt,
            "aten.narrow.Tensor",
            vec![(&x).into(), IValue::Int(1), (&one).into(), IValue::Int(1)],
        ));
        assert_eq!(floats(&n), vec![1.0, 3.0, 5.0, 7.0, 9.0]);
        let err = call(
            &mut rt,
            "aten.narrow.default",
            vec![(&x).into(), IValue::Int(0), IValue::Int(6), IValue::Int(1)],
        )
        .expect_err("start out of range");
        assert_eq!(err.python_class(), "IndexError");
        let err = call(
            &mut rt,
            "aten.narrow.default",
            vec![(&x).into(), IValue::Int(0), IValue::Int(3), IValue::Int(3)],
        )
        .expect_err("too long");
        assert!(
            err.to_string()
                .contains("start (3) + length (3) exceeds dimension size (5).")
        );
    }

    #[test]
    fn dense_tensors_have_compatible_shallow_copy_types() {
        let mut rt = Runtime::new();
        let x = tensor(DType::Float32, &[1], &[1.0]);
        let h = tensor(DType::Float16, &[1], &[1.0]);
        let out = call(
            &mut rt,
            "aten._has_compatible_shallow_copy_type.default",
            vec![(&x).into(), (&h).into()],
        )
        .expect("call");
        assert!(matches!(out.first(), Some(IValue::Bool(true))));
    }
}
