//! Complex reductions and copies: `sum`, `mean` (whole and over
//! dimensions), `copy_` and `_to_copy`
//! between real and complex (complex → real keeps the real part, as
//! PyTorch does after its "discards the imaginary part" warning),
//! `_conj_physical`, and fills with a complex value (`fill`, `fill_`).

use super::{KernelCtx, any_complex, real_kernel};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::factory::{check_fill_value, fill_output};
use crate::kernels::iter::{output_strides, read_broadcast};
use crate::kernels::reduce::sum_order;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The real parts of interleaved complex parts.
fn real_parts(parts: Vec<f64>) -> Vec<f64> {
    parts.into_iter().step_by(2).collect()
}

/// The total of a complex tensor's values as parts `[re, im]`: in PyTorch's
/// order when the result keeps the input's dtype ([`sum_order`]), else
/// summed in float64.
fn total(ctx: &KernelCtx<'_>, a: &Args<'_>, dtype: DType) -> Result<[f64; 2]> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let parts = t.read_f64(ctx.op)?;
    let all = vec![true; t.shape().len()];
    if let Some(order) = sum_order(ctx, t, dtype, &all)
        && let [re, im] = order.sums(&parts, dtype, ctx.cpu.threads())[..]
    {
        return Ok([re, im]);
    }
    Ok(parts
        .chunks_exact(2)
        .fold([0.0, 0.0], |acc, x| [acc[0] + x[0], acc[1] + x[1]]))
}

/// `sum(self, *, dtype=None)` of a complex tensor.
pub(crate) fn sum(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let dtype = a.opt_dtype(1)?.unwrap_or(a.tensor(0)?.dtype());
    let out = ctx.output(&[], &[], dtype, || Ok(total(ctx, &a, dtype)?.to_vec()))?;
    Ok(vec![out.into()])
}

/// `mean(self, *, dtype=None)` of a complex tensor.
pub(crate) fn mean(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let t = a.tensor(0)?;
    let dtype = a.opt_dtype(1)?.unwrap_or(t.dtype());
    let by_n = divide_by_count(ctx, dtype, t.numel());
    let out = ctx.output(&[], &[], dtype, || {
        let [re, im] = total(ctx, &a, dtype)?;
        Ok(by_n(re, im).to_vec())
    })?;
    Ok(vec![out.into()])
}

/// The division of a complex sum `re + im·i` by the element count `n`, as
/// PyTorch's `mean` divides its sum by the scalar `n` (`c10::complex`
/// division by `n + 0i`): with `rat = 0/n` and `scl = 1/(n + 0·rat)`
/// rounded to the parts' type, `((re + im·rat)·scl, (im − re·rat)·scl)`, so
/// each finite part is multiplied by the rounded reciprocal and an infinite
/// part turns the other into NaN (measured on torch 2.15: 0 of 56,600 parts
/// differ over random shapes in complex64 and complex128, against 13,050
/// divided by `n` in float64; inf/NaN parts as described). Under the
/// `complex-mean-divided-in-double` fault each part is divided in float64.
fn divide_by_count(ctx: &KernelCtx<'_>, dtype: DType, n: usize) -> impl Fn(f64, f64) -> [f64; 2] {
    let n = n as f64;
    let in_double = ctx.faults.complex_mean_divided_in_double;
    let single = dtype == DType::Complex64;
    move |re: f64, im: f64| {
        if in_double {
            return [re / n, im / n];
        }
        if single {
            let (re, im, n) = (re as f32, im as f32, n as f32);
            let rat = 0.0 / n;
            let scl = 1.0 / (n + 0.0 * rat);
            [
                f64::from((re + im * rat) * scl),
                f64::from((im - re * rat) * scl),
            ]
        } else {
            let rat = 0.0 / n;
            let scl = 1.0 / (n + 0.0 * rat);
            [(re + im * rat) * scl, (im - re * rat) * scl]
        }
    }
}

/// A complex tensor's per-group sums over `dim` (`sum.dim_IntList`,
/// `mean.dim`) into a `dtype` result: the result's geometry and its parts,
/// in PyTorch's order where [`sum_order`] models it.
fn dim_sums(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    dtype: DType,
) -> Result<(crate::kernels::reduction::dims::Reduction, Vec<f64>)> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dims = a.opt_int_list(1)?;
    let r = crate::kernels::reduction::dims::Reduction::new(
        ctx.op,
        t.shape(),
        dims.as_deref(),
        a.bool(2)?,
    )?;
    if !ctx.has_data() {
        return Ok((r, Vec::new()));
    }
    let parts = t.read_f64(ctx.op)?;
    if let Some(order) = sum_order(ctx, t, dtype, &r.reduce) {
        let values = order.sums(&parts, dtype, ctx.cpu.threads());
        return Ok((r, values));
    }
    let re: Vec<f64> = parts.iter().copied().step_by(2).collect();
    let im: Vec<f64> = parts.iter().copied().skip(1).step_by(2).collect();
    let (re, im) = (r.sums(&re), r.sums(&im));
    let values = re.into_iter().zip(im).flat_map(|(x, y)| [x, y]).collect();
    Ok((r, values))
}

/// `sum.dim_IntList(self, dim, keepdim=False, *, dtype=None)` of a complex
/// tensor.
pub(crate) fn sum_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let dtype = a.opt_dtype(3)?.unwrap_or(a.tensor(0)?.dtype());
    let (r, values) = dim_sums(ctx, &a, dtype)?;
    let out = ctx.output(&r.out_shape, &r.out_strides(), dtype, || Ok(values))?;
    Ok(vec![out.into()])
}

/// `mean.dim(self, dim, keepdim=False, *, dtype=None)` of a complex tensor.
pub(crate) fn mean_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if !any_complex(&a) {
        return real_kernel(ctx, a);
    }
    let dtype = a.opt_dtype(3)?.unwrap_or(a.tensor(0)?.dtype());
    let (r, values) = dim_sums(ctx, &a, dtype)?;
    let by_n = divide_by_count(ctx, dtype, r.group_size());
    let out = ctx.output(&r.out_shape, &r.out_strides(), dtype, || {
        Ok(values
            .chunks_exact(2)
            .flat_map(|parts| by_n(parts[0], parts[1]))
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `copy_(self, src, non_blocking=False)` with a complex `src` into a real
/// `self` (the real part); every other case is the real kernel's, which
/// writes complex parts as they are and real values as real parts.
pub(crate) fn copy_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, src) = (a.tensor(0)?, a.tensor(1)?);
    if this.dtype().is_complex() || !src.dtype().is_complex() {
        return real_kernel(ctx, a);
    }
    ctx.check(this, "self")?;
    ctx.write(this, || {
        Ok(real_parts(read_broadcast(ctx.op, src, this.shape())?))
    })?;
    Ok(vec![this.clone().into()])
}

/// `_to_copy(self, *, dtype, ...)` of a complex tensor to a real dtype (the
/// real part); every other case is the real kernel's.
pub(crate) fn to_copy(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let target = a.opt_dtype(1)?.unwrap_or(this.dtype());
    if !this.dtype().is_complex() || target.is_complex() || !ctx.has_data() {
        return real_kernel(ctx, a);
    }
    let strides = crate::kernels::factory::like_strides(ctx, this, a.opt_memory_format(6)?)?;
    let out = ctx.output(this.shape(), &strides, target, || {
        Ok(real_parts(this.read_f64(ctx.op)?))
    })?;
    Ok(vec![out.into()])
}

/// `_conj_physical(self)`: a new tensor holding the conjugate values.
pub(crate) fn conj_physical(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let strides = output_strides(t.shape(), &[(t.shape(), t.stride())]);
    let out = ctx.output(t.shape(), &strides, t.dtype(), || {
        let mut values = t.read_f64(ctx.op)?;
        if t.dtype().is_complex() {
            values.iter_mut().skip(1).step_by(2).for_each(|v| *v = -*v);
        }
        Ok(values)
    })?;
    Ok(vec![out.into()])
}

/// `fill_.Scalar(self, value)` / `fill.Scalar`: a Python complex fills a
/// complex `self` with both parts and is refused for a real one (PyTorch's
/// `Scalar::to<float>()` "without overflow" error); a real value takes the
/// real kernel.
pub(crate) fn fill_scalar(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let &IValue::Complex(re, im) = a.values.get(1).unwrap_or(&IValue::None) else {
        return real_kernel(ctx, a);
    };
    let this = a.tensor(0)?;
    if !this.dtype().is_complex() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "value cannot be converted to type {} without overflow",
                cpp_type_name(this.dtype())
            ),
        });
    }
    let out = functional_target(ctx, &a)?;
    ctx.write(&out, || {
        Ok([re, im].into_iter().cycle().take(2 * out.numel()).collect())
    })?;
    Ok(vec![out.into()])
}

/// `fill_.Tensor(self, value)` / `fill.Tensor` with a complex `value` and a
/// real `self` (the real part, as `copy_` stores it); every other case is
/// the real kernel's.
pub(crate) fn fill_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, value) = (a.tensor(0)?, a.tensor(1)?);
    if this.dtype().is_complex() || !value.dtype().is_complex() {
        return real_kernel(ctx, a);
    }
    check_fill_value(ctx, value)?;
    let out = functional_target(ctx, &a)?;
    ctx.write(&out, || {
        let part = real_parts(read_broadcast(ctx.op, value, &[])?);
        Ok(vec![part.first().copied().unwrap_or(0.0); out.numel()])
    })?;
    Ok(vec![out.into()])
}

/// What a fill writes: `self` for `fill_`, a new tensor like it for the
/// functional `fill`.
fn functional_target(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<Tensor> {
    let this = a.tensor(0)?;
    if a.op.starts_with("aten.fill_.") {
        ctx.check(this, "self")?;
        Ok(this.clone())
    } else {
        fill_output(ctx, this)
    }
}

/// The C++ element type PyTorch's `Scalar::to<T>()` names in its overflow
/// error ("value cannot be converted to type float without overflow").
fn cpp_type_name(dtype: DType) -> &'static str {
    match dtype {
        DType::Float32 => "float",
        DType::Float64 => "double",
        DType::Float16 => "c10::Half",
        DType::BFloat16 => "c10::BFloat16",
        DType::Int64 => "int64_t",
        DType::Int32 => "int",
        DType::Int16 => "int16_t",
        DType::Int8 => "int8_t",
        DType::UInt8 => "uint8_t",
        DType::Bool => "bool",
        DType::Complex64 => "c10::complex<float>",
        DType::Complex128 => "c10::complex<double>",
    }
}
