//! Operators on the representation of floating-point numbers, as
//! quantisation and numerics utilities use them: `frexp` / `ldexp` /
//! `ldexp_` (mantissa and binary exponent), `nextafter` (the neighbouring
//! representable value; `nextafter_` through it), `deg2rad` / `rad2deg` (a multiplication by
//! PyTorch's rounded constant), `view.dtype` between a float dtype and the
//! integer dtype of its width (the bit pattern), and `nonzero_static`
//! (the first `size` nonzero positions, padded).
//!
//! Results follow TensorIterator's layout where PyTorch computes through
//! it, and each value is rounded once to the dtype PyTorch computes in.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::iter::{output_strides, read_broadcast};
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::promote::{PromoteOperand, result_type};
use crate::tensor::storage::StorageData;
use crate::tensor::strides::contiguous_strides;

type Out = Result<Vec<IValue>>;

/// `M_PI / 180`, PyTorch's `M_PI_180`.
pub(crate) const PI_180: f64 = std::f64::consts::PI / 180.0;
/// `180 / M_PI`, PyTorch's `M_180_PI`.
pub(crate) const D180_PI: f64 = 180.0 / std::f64::consts::PI;

/// The kernel of `op` if it is one of this module's.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.deg2rad.default" => deg2rad,
        "aten.rad2deg.default" => rad2deg,
        "aten.nextafter.default" => nextafter,
        "aten.frexp.Tensor" => frexp,
        "aten.ldexp.Tensor" => ldexp,
        "aten.ldexp_.default" => ldexp_,
        "aten.view.dtype" => view_dtype,
        "aten.nonzero_static.default" => nonzero_static,
        _ => return None,
    })
}

/// The TensorIterator strides of a result over one input.
fn pointwise_strides(t: &Tensor) -> Vec<i64> {
    output_strides(t.shape(), &[(t.shape(), t.stride())])
}

/// `value` rounded to the dtype a CPU kernel of `dtype` computes in
/// (float for float32 and the half types, double for float64).
fn in_opmath(dtype: DType, value: f64) -> f64 {
    if dtype == DType::Float64 {
        value
    } else {
        f64::from(value as f32)
    }
}

/// `self * constant` as `mul(self, wrapped_scalar)`: the constant
/// rounded to the computation's dtype (float for float32), integers giving
/// the default dtype.
fn times_constant(ctx: &mut KernelCtx<'_>, a: &Args<'_>, constant: f64) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dtype = if t.dtype().is_integral(true) {
        ctx.default_dtype
    } else {
        t.dtype()
    };
    let c = in_opmath(dtype, constant);
    let strides = pointwise_strides(t);
    let out = ctx.output(t.shape(), &strides, dtype, || {
        Ok(read_broadcast(ctx.op, t, t.shape())?
            .into_iter()
            .map(|x| in_opmath(dtype, x) * c)
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `deg2rad(self)`: `self * M_PI_180`.
fn deg2rad(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    times_constant(ctx, &a, PI_180)
}

/// `rad2deg(self)`: `self * M_180_PI`.
fn rad2deg(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    times_constant(ctx, &a, D180_PI)
}

fn require_float(ctx: &KernelCtx<'_>, t: &Tensor, what: &str) -> Result<()> {
    if matches!(t.dtype(), DType::Float32 | DType::Float64) {
        Ok(())
    } else {
        Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "{what} is implemented here for float32 and float64 only, got {}",
                t.dtype().scalar_type_name()
            ),
        })
    }
}

/// The next float32 after `x` towards `y` (C's `nextafterf`).
fn next_f32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        return f32::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return f32::from_bits(1).copysign(y);
    }
    let bits = x.to_bits();
    let up = (y > x) == (x > 0.0);
    f32::from_bits(if up { bits + 1 } else { bits - 1 })
}

/// The next float16 or bfloat16 value after `x` towards `y` (both values
/// of that type), stepping its 16-bit pattern as C's `nextafter` steps a
/// float's; `bits` / `value` convert to and from the pattern.
fn next_half(x: f64, y: f64, bits: fn(f64) -> u16, value: fn(u16) -> f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return value(1).copysign(y);
    }
    let b = bits(x);
    let up = (y > x) == (x > 0.0);
    value(if up { b + 1 } else { b - 1 })
}

/// The next float16 after `x` towards `y`.
fn next_f16(x: f64, y: f64) -> f64 {
    next_half(
        x,
        y,
        |v| half::f16::from_f64(v).to_bits(),
        |b| half::f16::from_bits(b).to_f64(),
    )
}

/// The next bfloat16 after `x` towards `y`.
fn next_bf16(x: f64, y: f64) -> f64 {
    next_half(
        x,
        y,
        |v| half::bf16::from_f64(v).to_bits(),
        |b| half::bf16::from_bits(b).to_f64(),
    )
}

/// The next float64 after `x` towards `y` (C's `nextafter`).
fn next_f64(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return f64::from_bits(1).copysign(y);
    }
    let bits = x.to_bits();
    let up = (y > x) == (x > 0.0);
    f64::from_bits(if up { bits + 1 } else { bits - 1 })
}

/// The promoted dtype of two tensor operands.
fn promote_tensors(ctx: &KernelCtx<'_>, x: &Tensor, y: &Tensor) -> DType {
    result_type(
        &[
            PromoteOperand::Tensor {
                dtype: x.dtype(),
                dim: x.dim(),
            },
            PromoteOperand::Tensor {
                dtype: y.dtype(),
                dim: y.dim(),
            },
        ],
        ctx.default_dtype,
    )
    .unwrap_or(ctx.default_dtype)
}

/// `nextafter(self, other)`: float32, float64, float16 or bfloat16 after
/// promotion (integers and bool fail with AT_DISPATCH's
/// NotImplementedError).
fn nextafter(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "other")?;
    // The operands promote as a binary TensorIterator's do.
    let dtype = promote_tensors(ctx, x, y);
    if !matches!(
        dtype,
        DType::Float32 | DType::Float64 | DType::Float16 | DType::BFloat16
    ) {
        // AT_DISPATCH's NotImplementedError.
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"nextafter_cpu\" not implemented for '{}'",
                dtype.scalar_type_name()
            ),
        });
    }
    let shape = crate::tensor::strides::broadcast_shapes(x.shape(), y.shape())
        .ok_or_else(|| super::elementwise::broadcast_mismatch(ctx.op, x.shape(), y.shape()))?;
    let strides = output_strides(&shape, &[(x.shape(), x.stride()), (y.shape(), y.stride())]);
    let out = ctx.output(&shape, &strides, dtype, || {
        let (xs, ys) = (
            read_broadcast(ctx.op, x, &shape)?,
            read_broadcast(ctx.op, y, &shape)?,
        );
        Ok(xs
            .iter()
            .zip(&ys)
            .map(|(&p, &q)| match dtype {
                DType::Float32 => f64::from(next_f32(p as f32, q as f32)),
                DType::Float16 => next_f16(p, q),
                DType::BFloat16 => next_bf16(p, q),
                _ => next_f64(p, q),
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// C's `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1`; zero, infinities and
/// NaN give themselves and exponent 0. Exact for float32 values too (a
/// float32 subnormal is normal in float64, as `frexpf` treats it).
pub(crate) fn frexp_f64(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (scaled, bias) = if x.abs() < f64::MIN_POSITIVE {
        (x * 2f64.powi(64), 64)
    } else {
        (x, 0)
    };
    let bits = scaled.to_bits();
    let raw = ((bits >> 52) & 0x7ff) as i32;
    let e = raw - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, e - bias)
}

/// `frexp.Tensor(self) -> (mantissa, exponent)`: the mantissa in `self`'s
/// dtype, the exponent int32. A float16 or bfloat16 value splits as its
/// float32 value does (ATen's kernel calls `frexp` on the float), and its
/// mantissa is exact in its own type: checked against torch 2.15 on all
/// 65536 bit patterns of both types.
fn frexp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if !t.dtype().is_floating() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: "torch.frexp() only supports floating-point dtypes".into(),
        });
    }
    if ctx.faults.frexp_reduced_refused {
        require_float(ctx, t, "frexp")?;
    }
    let strides = pointwise_strides(t);
    // c10's float-to-bfloat16 conversion gives every NaN as 0x7FC0 (a
    // float16 NaN keeps its sign and payload).
    let canonical_nan = t.dtype() == DType::BFloat16;
    let parts: Vec<(f64, i32)> = if ctx.has_data() {
        read_broadcast(ctx.op, t, t.shape())?
            .into_iter()
            .map(|x| match frexp_f64(x) {
                (m, e) if m.is_nan() && canonical_nan => (f64::NAN, e),
                other => other,
            })
            .collect()
    } else {
        Vec::new()
    };
    let mantissa = ctx.output(t.shape(), &strides, t.dtype(), || {
        Ok(parts.iter().map(|p| p.0).collect())
    })?;
    let exponent = ctx.output_i64(t.shape(), &strides, DType::Int32, || {
        Ok(parts.iter().map(|p| i64::from(p.1)).collect())
    })?;
    Ok(vec![mantissa.into(), exponent.into()])
}

/// `ldexp.Tensor(self, other)`: `self * 2^other` with the power and the
/// product in the promoted dtype (the default dtype when both are
/// integers): observed in torch 2.15, `ldexp(float64, int64 130)` is
/// finite while `ldexp(float32, int64 130)` is infinite.
fn ldexp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (x, e) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(e, "other")?;
    let promoted = promote_tensors(ctx, x, e);
    let dtype = if promoted.is_floating() {
        promoted
    } else {
        ctx.default_dtype
    };
    let power_dtype = dtype;
    let shape = crate::tensor::strides::broadcast_shapes(x.shape(), e.shape())
        .ok_or_else(|| super::elementwise::broadcast_mismatch(ctx.op, x.shape(), e.shape()))?;
    let strides = output_strides(&shape, &[(x.shape(), x.stride()), (e.shape(), e.stride())]);
    let out = ctx.output(&shape, &strides, dtype, || {
        let (xs, es) = (
            read_broadcast(ctx.op, x, &shape)?,
            read_broadcast(ctx.op, e, &shape)?,
        );
        Ok(xs
            .iter()
            .zip(&es)
            .map(|(&m, &k)| {
                let p = round_to(power_dtype, 2f64.powf(k));
                in_opmath(dtype, m) * in_opmath(dtype, p)
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `ldexp_(self, other)`: `ldexp.Tensor`'s result written into `self`.
/// The result is floating, so an integer `self` fails with PyTorch's
/// "ldexp can't be cast to the desired output type Long" (the check is
/// ldexp's own, made before anything is computed); a float `self` takes
/// the promoted result cast to its dtype (float32 `self`, float64
/// exponent: computed in float64, then rounded).
fn ldexp_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    if !this.dtype().is_floating() && !ctx.faults.ldexp_inplace_casts_into_integer {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "ldexp can't be cast to the desired output type {}",
                this.dtype().scalar_type_name()
            ),
        });
    }
    let results = ldexp(ctx, a)?;
    let result = results
        .first()
        .and_then(IValue::as_tensor)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a tensor result of ldexp"))?;
    if ctx.faults.ldexp_inplace_casts_into_integer && !this.dtype().is_floating() {
        let values = read_broadcast(ctx.op, result, result.shape())?;
        ctx.write(this, || Ok(values.iter().map(|v| v.trunc()).collect()))?;
    } else {
        super::out_variant::write_into_self(ctx, this, result)?;
    }
    Ok(vec![this.clone().into()])
}

fn round_to(dtype: DType, v: f64) -> f64 {
    match dtype {
        DType::Float64 => v,
        _ => f64::from(v as f32),
    }
}

/// `view.dtype(self, dtype)` between float32 and int32 or float64 and
/// int64 (or to `self`'s own dtype): the same geometry over the bit
/// patterns of `self`'s storage. The result is a snapshot under the
/// storage's identity: a later in-place write through one of the two is
/// not seen by the other.
fn view_dtype(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let to = match a.values.get(1) {
        Some(IValue::Dtype(d)) => *d,
        _ => return Err(RuntimeError::shape(ctx.op, "view.dtype expects a dtype")),
    };
    if to == t.dtype() {
        return Ok(vec![
            t.alias_with(t.shape().to_vec(), t.stride().to_vec(), t.storage_offset())
                .into(),
        ]);
    }
    let refuse = || {
        RuntimeError::unsupported(
            ctx.op,
            format!(
                "view.dtype from {} to {} (float32<->int32 and float64<->int64 only)",
                t.dtype().scalar_type_name(),
                to.scalar_type_name()
            ),
        )
    };
    let data = match t.read_storage() {
        None => None,
        Some(guard) if ctx.faults.view_dtype_casts => {
            // Fault: the values converted, not their bit patterns.
            let values: Vec<f64> = with_f64_elements(&guard);
            Some(StorageData::from_f64(to, &values))
        }
        Some(guard) => Some(match (&*guard, to) {
            (StorageData::F32(v), DType::Int32) => {
                StorageData::I32(v.iter().map(|x| x.to_bits() as i32).collect())
            }
            (StorageData::I32(v), DType::Float32) => {
                StorageData::F32(v.iter().map(|&x| f32::from_bits(x as u32)).collect())
            }
            (StorageData::F64(v), DType::Int64) => {
                StorageData::I64(v.iter().map(|x| x.to_bits() as i64).collect())
            }
            (StorageData::I64(v), DType::Float64) => {
                StorageData::F64(v.iter().map(|&x| f64::from_bits(x as u64)).collect())
            }
            _ => return Err(refuse()),
        }),
    };
    let flat = match data {
        Some(data) => {
            let len = data.len() as i64;
            Tensor::from_storage_data(ctx.op, &[len], data)?
        }
        None => {
            let len = t.0.storage.len() as i64;
            Tensor::meta(ctx.op, &[len], &[1], to)?
        }
    };
    flat.0.storage.trace.assume(&t.0.storage.trace);
    let view = flat.alias_with(t.shape().to_vec(), t.stride().to_vec(), t.storage_offset());
    Ok(vec![view.into()])
}

/// Every element of `data` as f64 (the `view_dtype_casts` fault).
fn with_f64_elements(data: &StorageData) -> Vec<f64> {
    match data {
        StorageData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        StorageData::F64(v) => v.clone(),
        StorageData::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        StorageData::I64(v) => v.iter().map(|&x| x as f64).collect(),
        _ => Vec::new(),
    }
}

/// `nonzero_static(self, *, size, fill_value=-1)`: `[size, self.dim()]`
/// int64, the first `size` nonzero positions in row-major order, the rest
/// `fill_value`.
fn nonzero_static(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let size = a.int(1)?;
    let fill = a.int(2)?;
    if size < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("nonzero_static: 'size' must be an non-negative integer, got {size}"),
        ));
    }
    let rank = t.dim();
    let shape = [size, rank as i64];
    let out = ctx.output_i64(&shape, &contiguous_strides(&shape), DType::Int64, || {
        let values = read_broadcast(ctx.op, t, t.shape())?;
        let dims = t.shape();
        let mut rows = Vec::with_capacity(size as usize * rank);
        for (p, v) in values.iter().enumerate() {
            if rows.len() >= size as usize * rank {
                break;
            }
            if *v == 0.0 {
                continue;
            }
            let mut rest = p as i64;
            let mut coord = vec![0i64; rank];
            for d in (0..rank).rev() {
                coord[d] = rest % dims[d].max(1);
                rest /= dims[d].max(1);
            }
            rows.extend(coord);
        }
        rows.resize(size as usize * rank, fill);
        Ok(rows)
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::{frexp_f64, next_bf16, next_f16, next_f32, next_f64};
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;

    #[test]
    fn frexp_splits_normal_subnormal_and_special_values() {
        assert_eq!(frexp_f64(8.0), (0.5, 4));
        assert_eq!(frexp_f64(-0.375), (-0.75, -1));
        assert_eq!(frexp_f64(f64::from(f32::from_bits(1))), (0.5, -148));
        assert_eq!(frexp_f64(f64::MIN_POSITIVE / 4.0), (0.5, -1023));
        assert_eq!(frexp_f64(0.0), (0.0, 0));
        assert_eq!(frexp_f64(f64::INFINITY), (f64::INFINITY, 0));
    }

    #[test]
    fn nextafter_steps_one_representable_value() {
        assert_eq!(next_f32(1.0, 2.0), f32::from_bits(1.0f32.to_bits() + 1));
        assert_eq!(next_f32(-1.0, 0.0), f32::from_bits((-1.0f32).to_bits() - 1));
        assert_eq!(next_f32(0.0, -1.0), -f32::from_bits(1));
        assert_eq!(next_f64(1.0, 0.0), 1.0 - f64::EPSILON / 2.0);
        assert!(next_f64(f64::NAN, 0.0).is_nan());
    }

    #[test]
    fn nextafter_steps_the_half_types_by_their_own_bits() {
        // torch.nextafter on float16 / bfloat16 (torch 2.15):
        // (1 → 0, 1 → 2, 0 → -1, -2 → -3).
        let (f16, bf16) = (next_f16, next_bf16);
        assert_eq!(f16(1.0, 0.0), 0.99951171875);
        assert_eq!(f16(1.0, 2.0), 1.0009765625);
        assert_eq!(f16(0.0, -1.0), -5.960464477539063e-08);
        assert_eq!(f16(-2.0, -3.0), -2.001953125);
        assert_eq!(bf16(1.0, 0.0), 0.99609375);
        assert_eq!(bf16(1.0, 2.0), 1.0078125);
        assert_eq!(bf16(0.0, -1.0), -9.183549615799121e-41);
        assert_eq!(bf16(-2.0, -3.0), -2.015625);
        assert!(f16(f64::NAN, 1.0).is_nan());
        assert_eq!(bf16(3.0, 3.0), 3.0);
    }

    #[test]
    fn view_dtype_reads_the_bit_patterns_under_the_same_geometry() {
        let t = Tensor::from_f64(
            "test",
            &[2, 2],
            &[1, 2],
            DType::Float32,
            &[1.0, -2.0, 0.5, 0.0],
        )
        .expect("tensor");
        let out = Runtime::new()
            .call(
                "aten.view.dtype",
                vec![t.into(), IValue::Dtype(DType::Int32)],
            )
            .expect("view.dtype");
        let v = out[0].as_tensor().expect("a tensor");
        assert_eq!((v.dtype(), v.stride()), (DType::Int32, &[1i64, 2][..]));
        let bits: Vec<i64> = [1.0f32, -2.0, 0.5, 0.0]
            .iter()
            .map(|x| i64::from(x.to_bits() as i32))
            .collect();
        assert_eq!(v.to_i64_vec().expect("values"), bits);
    }

    #[test]
    fn nonzero_static_pads_with_the_fill_value() {
        let t = Tensor::from_f64(
            "test",
            &[2, 2],
            &[2, 1],
            DType::Float32,
            &[0.0, 3.0, 1.0, 0.0],
        )
        .expect("tensor");
        let out = Runtime::new()
            .call(
                "aten.nonzero_static.default",
                vec![t.into(), IValue::Int(3), IValue::Int(-7)],
            )
            .expect("nonzero_static");
        let v = out[0].as_tensor().expect("a tensor");
        assert_eq!(v.shape(), &[3, 2]);
        assert_eq!(v.to_i64_vec().expect("values"), vec![0, 1, 1, 0, -7, -7]);
    }
}
