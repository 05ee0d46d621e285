//! Statistical reductions: `mean`, `var`/`std`/`var_mean`/`std_mean`
//! (`.correction`), `prod`, `linalg_vector_norm`, `logsumexp`, `dist`.
//!
//! `mean` of float32/float64 in the layouts `sum` models is PyTorch's CPU
//! sum (`crate::kernels::reduce`'s cascade, in the dtype) divided in the
//! dtype, bit for bit. float32 `logsumexp` of a contiguous input follows
//! ATen's composition in float32 tensors (maxima, `exp`, the cascade sum,
//! `log` plus maxima). Other values are accumulated in f64 and rounded once
//! to the result dtype; for float32 that is within the value comparison's
//! tolerance of PyTorch's cascaded float32 (or, for float16/bfloat16,
//! float32) accumulation.

use super::dims::Reduction;
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::elementwise::common::{broadcast_all, promoted, values_f64};
use crate::kernels::reduce::{SumOrder, sum_order};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;

/// Reduces `t` group by group with `f` into a new contiguous tensor of `dtype`.
pub(crate) fn reduce_f64(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    r: &Reduction,
    dtype: DType,
    f: impl Fn(&[f64]) -> f64,
) -> Result<Tensor> {
    ctx.output(&r.out_shape, &r.out_strides(), dtype, || {
        let values = t.read_f64(ctx.op)?;
        Ok(r.groups(&values).iter().map(|g| f(g)).collect())
    })
}

fn type_error(ctx: &KernelCtx<'_>, message: String) -> RuntimeError {
    // Observed in torch 2.15: every one of these dtype refusals (mean, std
    // and var, norms) is a NotImplementedError.
    RuntimeError::KernelDtype {
        op: ctx.op.to_owned(),
        message,
    }
}

/// The result dtype of `mean`: the `dtype` argument or the input's, which
/// must be floating (observed in torch 2.15: integer inputs are refused
/// rather than promoted).
fn mean_dtype(ctx: &KernelCtx<'_>, input: DType, requested: Option<DType>) -> Result<DType> {
    let (dtype, which) = match requested {
        Some(d) => (d, "Optional dtype"),
        None => (input, "Input dtype"),
    };
    if dtype.is_floating() {
        Ok(dtype)
    } else {
        Err(type_error(
            ctx,
            format!(
                "mean(): could not infer output dtype. {which} must be either a floating point or complex dtype. Got: {}",
                dtype.scalar_type_name()
            ),
        ))
    }
}

fn mean_of(g: &[f64]) -> f64 {
    g.iter().sum::<f64>() / g.len() as f64
}

/// `mean(self, *, dtype=None)`.
pub(crate) fn mean(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dtype = mean_dtype(ctx, t.dtype(), a.opt_dtype(1)?)?;
    let r = Reduction::new(ctx.op, t.shape(), None, false)?;
    Ok(vec![mean_reduce(ctx, t, &r, dtype)?.into()])
}

/// `mean.dim(self, dim, keepdim=False, *, dtype=None)`.
pub(crate) fn mean_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dtype = mean_dtype(ctx, t.dtype(), a.opt_dtype(3)?)?;
    let dims = a.opt_int_list(1)?;
    let r = Reduction::new(ctx.op, t.shape(), dims.as_deref(), a.bool(2)?)?;
    Ok(vec![mean_reduce(ctx, t, &r, dtype)?.into()])
}

/// The mean of each group: as PyTorch's CPU kernel orders it (its cascade
/// sum in the dtype, divided in the dtype) where [`sum_order`] models
/// the layout, else summed in f64 and rounded once.
fn mean_reduce(ctx: &KernelCtx<'_>, t: &Tensor, r: &Reduction, dtype: DType) -> Result<Tensor> {
    let Some(order) = sum_order(ctx, t, dtype, &r.reduce) else {
        return reduce_f64(ctx, t, r, dtype, mean_of);
    };
    let threads = ctx.cpu.threads();
    let count = r.group_size();
    ctx.output(&r.out_shape, &r.out_strides(), dtype, || {
        Ok(order.means(&t.read_f64(ctx.op)?, dtype, threads, count))
    })
}

/// The `correction` argument of `var`/`std` (absent: 1, Bessel's).
fn correction(a: &Args<'_>, i: usize) -> Result<f64> {
    match a.values.get(i) {
        None | Some(IValue::None) => Ok(1.0),
        _ => a.scalar(i),
    }
}

/// `sum((x - mean)^2) / max(0, N - correction)`: zero degrees of freedom
/// give inf (or NaN for a zero sum), as in PyTorch.
fn variance(g: &[f64], correction: f64) -> f64 {
    let m = mean_of(g);
    let m2: f64 = g.iter().map(|x| (x - m) * (x - m)).sum();
    m2 / (g.len() as f64 - correction).max(0.0)
}

/// `var`/`std` (and with `with_mean`, the mean as a second result) of
/// `self` over `dim`, with PyTorch's dtype check naming `name`.
fn var_std(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    sqrt: bool,
    with_mean: Option<&str>,
) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if t.dtype().is_complex() && with_mean.is_none() {
        return complex_var_std(ctx, a, t, sqrt);
    }
    if !t.dtype().is_floating() {
        let name = with_mean.unwrap_or("std and var");
        return Err(type_error(
            ctx,
            format!("{name} only support floating point and complex dtypes"),
        ));
    }
    let dims = a.opt_int_list(1)?;
    let c = correction(a, 2)?;
    let r = Reduction::new(ctx.op, t.shape(), dims.as_deref(), a.bool(3)?)?;
    let out = reduce_f64(ctx, t, &r, t.dtype(), |g| {
        let v = variance(g, c);
        if sqrt { v.sqrt() } else { v }
    })?;
    let mut results = vec![out.into()];
    if with_mean.is_some() {
        results.push(reduce_f64(ctx, t, &r, t.dtype(), mean_of)?.into());
    }
    Ok(results)
}

/// `var`/`std` of a complex tensor, a real result: the variance of the
/// real parts plus that of the imaginary parts (the mean of `|x - mean|²`
/// with the correction), as PyTorch computes it part by part.
fn complex_var_std(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    t: &Tensor,
    sqrt: bool,
) -> Result<Vec<IValue>> {
    let dims = a.opt_int_list(1)?;
    let c = correction(a, 2)?;
    let r = Reduction::new(ctx.op, t.shape(), dims.as_deref(), a.bool(3)?)?;
    let drop_imag = ctx.faults.complex_var_drops_imag;
    let out = ctx.output(&r.out_shape, &r.out_strides(), t.dtype().to_real(), || {
        let parts = t.read_f64(ctx.op)?;
        let re: Vec<f64> = parts.iter().copied().step_by(2).collect();
        let im: Vec<f64> = if drop_imag {
            vec![0.0; re.len()]
        } else {
            parts.iter().copied().skip(1).step_by(2).collect()
        };
        Ok(r.groups(&re)
            .iter()
            .zip(r.groups(&im))
            .map(|(x, y)| {
                let v = variance(x, c) + variance(&y, c);
                if sqrt { v.sqrt() } else { v }
            })
            .collect())
    })?;
    Ok(vec![out.into()])
}

/// `var.correction(self, dim=None, *, correction=None, keepdim=False)`.
pub(crate) fn var(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    var_std(ctx, &a, false, None)
}

/// `std.correction(self, dim=None, *, correction=None, keepdim=False)`.
pub(crate) fn std(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    var_std(ctx, &a, true, None)
}

/// `var_mean.correction(self, dim=None, *, correction=None, keepdim=False)`.
pub(crate) fn var_mean(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    var_std(ctx, &a, false, Some("var_mean"))
}

/// `std_mean.correction(self, dim=None, *, correction=None, keepdim=False)`.
pub(crate) fn std_mean(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    var_std(ctx, &a, true, Some("std_mean"))
}

/// `log(sum(exp(x)))` of one group, shifted by its maximum for stability,
/// the maximum taken as `amax` does: a NaN anywhere makes it (and the
/// result) NaN, even beside `+inf`; otherwise all `-inf` gives `-inf` and a
/// `+inf` gives `+inf`. `max_skips_nan` takes the maximum over the other
/// elements instead (fault logsumexp-max-skips-nan).
fn log_sum_exp(g: &[f64], max_skips_nan: bool) -> f64 {
    let m = if max_skips_nan {
        g.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    } else {
        g.iter().copied().fold(f64::NEG_INFINITY, |m, x| {
            if m.is_nan() || x.is_nan() {
                f64::NAN
            } else {
                m.max(x)
            }
        })
    };
    if m.is_infinite() {
        return m;
    }
    m + g.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// `logsumexp(self, dim, keepdim=False)`: integer and bool inputs give the
/// default dtype (observed in torch 2.15).
pub(crate) fn logsumexp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dims = a.int_list(1)?;
    let r = Reduction::new(ctx.op, t.shape(), Some(&dims), a.bool(2)?)?;
    let dtype = if t.dtype().is_floating() {
        t.dtype()
    } else {
        ctx.default_dtype
    };
    let skips_nan = ctx.faults.logsumexp_max_skips_nan;
    let stepwise = !skips_nan && !ctx.faults.logsumexp_in_double && t.dtype() == DType::Float32;
    if let Some(order) = sum_order(ctx, t, DType::Float32, &r.reduce).filter(|_| stepwise)
        && t.numel() > 0
        && t.is_contiguous()
    {
        let threads = ctx.cpu.threads();
        return Ok(vec![
            ctx.output(&r.out_shape, &r.out_strides(), dtype, || {
                let values = t.read_f64(ctx.op)?;
                Ok(log_sum_exp_f32(&values, &r, &order, threads))
            })?
            .into(),
        ]);
    }
    Ok(vec![
        reduce_f64(ctx, t, &r, dtype, |g| log_sum_exp(g, skips_nan))?.into(),
    ])
}

/// float32 `logsumexp` of a contiguous input (`values` in logical order)
/// as ATen composes it, each step a float32 tensor: the maxima (`amax`, a
/// NaN wins) with infinite ones replaced by 0, `exp(x − max)` for every
/// element, their sum in PyTorch's order (`order`), then `log(sum) + max`.
/// `exp` and `log` are rounded from float64 (PyTorch's vectorised ones agree
/// with that for all but a few in ten thousand).
fn log_sum_exp_f32(values: &[f64], r: &Reduction, order: &SumOrder, threads: usize) -> Vec<f64> {
    let indices: Vec<usize> = (0..values.len()).collect();
    let groups = r.groups(&indices);
    let maxes: Vec<f32> = groups
        .iter()
        .map(|g| {
            let m = g.iter().fold(f32::NEG_INFINITY, |m, &i| {
                let x = values[i] as f32;
                if m.is_nan() || x.is_nan() {
                    f32::NAN
                } else {
                    m.max(x)
                }
            });
            if m.is_infinite() { 0.0 } else { m }
        })
        .collect();
    let mut exps = vec![0f64; values.len()];
    for (g, &m) in groups.iter().zip(&maxes) {
        for &i in g {
            let shifted = values[i] as f32 - m;
            exps[i] = f64::from(f64::from(shifted).exp() as f32);
        }
    }
    order
        .sums(&exps, DType::Float32, threads)
        .into_iter()
        .zip(&maxes)
        .map(|(sum, &m)| f64::from((sum.ln() as f32) + m))
        .collect()
}

/// The result dtype of `prod`/`cumsum`: the `dtype` argument, else int64
/// for integer and bool inputs, else the input's.
pub(crate) fn integral_to_long(requested: Option<DType>, input: DType) -> DType {
    requested.unwrap_or(if input.is_integral(true) {
        DType::Int64
    } else {
        input
    })
}

fn prod_of(ctx: &KernelCtx<'_>, t: &Tensor, r: &Reduction, dtype: DType) -> Result<Tensor> {
    if dtype.is_integral(true) && t.dtype().is_integral(true) {
        // Exact integer products, wrapping as int64 arithmetic does.
        return ctx.output_i64(&r.out_shape, &r.out_strides(), dtype, || {
            let values = t.read_i64(ctx.op)?;
            Ok(r.groups(&values)
                .iter()
                .map(|g| g.iter().fold(1i64, |p, &v| p.wrapping_mul(v)))
                .collect())
        });
    }
    if t.dtype().is_complex() {
        // the elements multiplied in order, as complex values
        return ctx.output(&r.out_shape, &r.out_strides(), dtype, || {
            let values = crate::kernels::complex::pairs(ctx.op, t)?;
            Ok(r.groups(&values)
                .iter()
                .flat_map(|g| {
                    let p = g
                        .iter()
                        .fold((1.0, 0.0), |p, &z| crate::kernels::complex::product(p, z));
                    [p.0, p.1]
                })
                .collect())
        });
    }
    if !ctx.faults.prod_in_double {
        let values = t.read_f64(ctx.op)?;
        let values: Vec<f64> = if dtype == t.dtype() {
            values
        } else {
            // `prod(dtype=)` multiplies the input cast to the result's dtype
            values.iter().map(|&v| cast_value(dtype, v)).collect()
        };
        if let Some(products) = super::product_order::products(t, &values, r, dtype, ctx.cpu) {
            return ctx.output(&r.out_shape, &r.out_strides(), dtype, || Ok(products));
        }
    }
    reduce_f64(ctx, t, r, dtype, |g| g.iter().product())
}

/// `prod(self, *, dtype=None)`.
pub(crate) fn prod(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dtype = integral_to_long(a.opt_dtype(1)?, t.dtype());
    let r = Reduction::new(ctx.op, t.shape(), None, false)?;
    Ok(vec![prod_of(ctx, t, &r, dtype)?.into()])
}

/// `prod.dim_int(self, dim, keepdim=False, *, dtype=None)`.
pub(crate) fn prod_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dtype = integral_to_long(a.opt_dtype(3)?, t.dtype());
    let r = Reduction::single(ctx.op, t.shape(), a.int(1)?, a.bool(2)?)?;
    Ok(vec![prod_of(ctx, t, &r, dtype)?.into()])
}

/// The p-norm of one group: `ord` 0 counts non-zeros, ±inf is the largest
/// / smallest magnitude, otherwise `(sum |x|^p)^(1/p)`.
fn vector_norm(g: &[f64], ord: f64) -> f64 {
    let abs = g.iter().map(|x| x.abs());
    if ord == 0.0 {
        g.iter().filter(|&&x| x != 0.0).count() as f64
    } else if ord == f64::INFINITY {
        abs.fold(0.0, |m, x| if x.is_nan() || x > m { x } else { m })
    } else if ord == f64::NEG_INFINITY {
        abs.fold(
            f64::INFINITY,
            |m, x| if x.is_nan() || x < m { x } else { m },
        )
    } else if ord == 1.0 {
        abs.sum()
    } else if ord == 2.0 {
        abs.map(|x| x * x).sum::<f64>().sqrt()
    } else {
        abs.map(|x| x.powf(ord)).sum::<f64>().powf(1.0 / ord)
    }
}

/// `linalg_vector_norm(self, ord=2, dim=None, keepdim=False, *, dtype=None)`.
pub(crate) fn linalg_vector_norm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if !t.dtype().is_floating() && !t.dtype().is_complex() {
        return Err(type_error(
            ctx,
            format!(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}",
                t.dtype().scalar_type_name()
            ),
        ));
    }
    let ord = a.scalar(1)?;
    let dims = a.opt_int_list(2)?;
    let r = Reduction::new(ctx.op, t.shape(), dims.as_deref(), a.bool(3)?)?;
    // A complex tensor's norm is the norm of its moduli, of the real dtype.
    let dtype = a.opt_dtype(4)?.unwrap_or(t.dtype()).to_real();
    if t.numel() == 0 && ord < 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the operation does not have an identity"
            ),
        ));
    }
    let out = ctx.output(&r.out_shape, &r.out_strides(), dtype, || {
        group_norms(ctx, t, &r, ord, dtype)
    })?;
    Ok(vec![out.into()])
}

/// The elements of `t` in logical order; a complex tensor's moduli
/// (`hypot` of the parts), which its vector norms reduce.
pub(crate) fn moduli(op: &str, t: &Tensor) -> Result<Vec<f64>> {
    let values = t.read_f64(op)?;
    if !t.dtype().is_complex() {
        return Ok(values);
    }
    Ok(values.chunks_exact(2).map(|z| z[0].hypot(z[1])).collect())
}

/// The `ord`-norm of every group of `r` over `t` (a complex tensor's
/// moduli), in PyTorch's order where it is modelled, else summed in f64.
fn group_norms(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    r: &Reduction,
    ord: f64,
    out_dtype: DType,
) -> Result<Vec<f64>> {
    let values = moduli(ctx.op, t)?;
    if let Some(norms) = kernel_ordered_norms(ctx, t, &values, r, ord, out_dtype) {
        return Ok(norms);
    }
    Ok(r.groups(&values)
        .iter()
        .map(|g| vector_norm(g, ord))
        .collect())
}

/// The 1- and 2-norms of a real tensor in the order PyTorch's CPU kernel
/// accumulates them ([`super::norm_order`]); None for what it does not
/// model (and under the `vector-norm-in-double` fault), left to the f64 sum.
pub(crate) fn kernel_ordered_norms(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    values: &[f64],
    r: &Reduction,
    ord: f64,
    out_dtype: DType,
) -> Option<Vec<f64>> {
    if ctx.faults.vector_norm_in_double || t.dtype().is_complex() {
        return None;
    }
    super::norm_order::vector_norms(t, values, r, ord, out_dtype, ctx.cpu)
}

/// `norm.ScalarOpt_dim(self, p=None, dim, keepdim=False)`: the legacy
/// `torch.norm` overload `pairwise_distance` calls; PyTorch computes it with
/// `linalg_vector_norm`'s kernel (`p=None` is 2), the result keeps `self`'s
/// dtype.
pub(crate) fn norm_scalaropt_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let dims = a.int_list(2)?;
    let keepdim = a.bool(3)?;
    p_norm(ctx, &a, Some(&dims), keepdim)
}

/// `norm.Scalar(self, p=2)`: the p-norm of every element.
pub(crate) fn norm_scalar(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    p_norm(ctx, &a, None, false)
}

/// The p-norm (`p` argument 1, `None` is 2) of floating `self` over `dims`
/// (every dim when `None`), in `self`'s dtype.
fn p_norm(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    dims: Option<&[i64]>,
    keepdim: bool,
) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    if !t.dtype().is_floating() {
        return Err(type_error(
            ctx,
            format!(
                "norm(): input dtype should be either floating point or complex. Got {} instead.",
                t.dtype().scalar_type_name()
            ),
        ));
    }
    let ord = match a.values.get(1) {
        None | Some(IValue::None) => 2.0,
        Some(_) => a.scalar(1)?,
    };
    let r = Reduction::new(ctx.op, t.shape(), dims, keepdim)?;
    let out = ctx.output(&r.out_shape, &r.out_strides(), t.dtype(), || {
        group_norms(ctx, t, &r, ord, t.dtype())
    })?;
    Ok(vec![out.into()])
}

/// `dist(self, other, p=2)`: PyTorch's `at::norm(self - other, p)`, the
/// broadcast difference rounded to the promoted dtype, then its p-norm.
pub(crate) fn dist(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x, "self")?;
    ctx.check(y, "other")?;
    let p = if ctx.faults.dist_ignores_p {
        2.0
    } else {
        a.scalar(2)?
    };
    let operands = [Operand::Tensor(x), Operand::Tensor(y)];
    let shape = broadcast_all(ctx.op, &operands)?;
    let dtype = promoted(ctx, &operands);
    if !dtype.is_floating() {
        return Err(type_error(
            ctx,
            format!(
                "norm(): input dtype should be either floating point or complex. Got {} instead.",
                dtype.scalar_type_name()
            ),
        ));
    }
    ctx.output(&[], &[], dtype, || {
        let columns = values_f64(ctx.op, &operands, &shape)?;
        let diff: Vec<f64> = columns[0]
            .iter()
            .zip(&columns[1])
            .map(|(u, v)| cast_value(dtype, u - v))
            .collect();
        Ok(vec![vector_norm(&diff, p)])
    })
    .map(|t| vec![t.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variance_and_norms() {
        assert_eq!(variance(&[1.0, 3.0], 1.0), 2.0);
        assert_eq!(variance(&[1.0, 3.0], 0.0), 1.0);
        assert!(variance(&[1.0], 1.0).is_nan());
        assert_eq!(vector_norm(&[3.0, -4.0], 2.0), 5.0);
        assert_eq!(vector_norm(&[3.0, -4.0], 1.0), 7.0);
        assert_eq!(vector_norm(&[3.0, -4.0, 0.0], 0.0), 2.0);
        assert_eq!(vector_norm(&[3.0, -4.0], f64::INFINITY), 4.0);
        assert_eq!(vector_norm(&[3.0, -4.0], f64::NEG_INFINITY), 3.0);
        assert_eq!(
            log_sum_exp(&[f64::NEG_INFINITY; 2], false),
            f64::NEG_INFINITY
        );
        assert!((log_sum_exp(&[0.0, 0.0], false) - 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn log_sum_exp_propagates_nan_past_infinite_maxima() {
        // torch 2.15: logsumexp([-inf, nan]) and logsumexp([inf, nan]) are nan;
        // logsumexp([inf, -inf]) is inf.
        let (inf, nan) = (f64::INFINITY, f64::NAN);
        assert!(log_sum_exp(&[-inf, nan, -inf], false).is_nan());
        assert!(log_sum_exp(&[inf, nan], false).is_nan());
        assert!(log_sum_exp(&[nan, 0.0, 5.0], false).is_nan());
        assert_eq!(log_sum_exp(&[inf, -inf], false), inf);
        // the maximum that skips NaN loses it beside an infinite maximum
        assert_eq!(log_sum_exp(&[-inf, nan, -inf], true), -inf);
    }

    #[test]
    fn integer_results_widen_to_long() {
        assert_eq!(integral_to_long(None, DType::Bool), DType::Int64);
        assert_eq!(integral_to_long(None, DType::Int8), DType::Int64);
        assert_eq!(integral_to_long(None, DType::Float16), DType::Float16);
        assert_eq!(
            integral_to_long(Some(DType::Float32), DType::Int32),
            DType::Float32
        );
    }
}
