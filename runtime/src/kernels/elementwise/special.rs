//! The special functions: `lgamma`, `digamma` (and `digamma_`),
//! `polygamma` (and `polygamma_`), `mvlgamma`, `erfinv`, the modified Bessel functions `i0`,
//! `special_i0e`, `special_i1`, `special_i1e`, `sinc`, `logit` and
//! `logit_backward`, `special_entr`, `special_ndtri`, `special_erfcx`,
//! `special_log_ndtr`, and the binary `hypot`, `logaddexp`, `logaddexp2`,
//! `special_xlog1py` and the regularized incomplete gamma functions
//! `igamma` / `igammac` (floating dtypes only, as `igamma_cpu` /
//! `igammac_cpu` refuse integers; see [`incomplete_gamma`]); the Bessel
//! family (`special_bessel_j0` ... `special_spherical_bessel_j0`,
//! `special_airy_ai`; see [`bessel`]), the orthogonal polynomials
//! (`special_chebyshev_polynomial_t` ... `special_legendre_polynomial_p`,
//! each also with a number for `x` or `n`; see [`polynomials`]) and the
//! Hurwitz zeta function `special_zeta` (with a number for either side).
//! These last three families refuse float16/bfloat16 and give integer
//! inputs the default float dtype.
//!
//! Integer and bool inputs give the default float dtype (`hypot`,
//! `logaddexp` and `logaddexp2` refuse them, and `special_ndtri` refuses
//! float16/bfloat16, as do `special_erfcx` and `special_log_ndtr`, as
//! PyTorch's kernels do); float16 and bfloat16 are
//! computed in float and rounded once (`special_entr` and
//! `special_xlog1py` live in [`super::log_products`], which rounds their
//! steps). The scalar algorithms are in [`cephes`].

pub(crate) mod bessel;
pub(crate) mod cephes;
pub(crate) mod erfcx;
pub(crate) mod i0e_reduced;
pub(crate) mod incomplete_gamma;
pub(crate) mod polynomials;
pub(crate) mod real;

use super::common::{nary, promoted, round_to, to_floating, wide};
use super::unary::{float_op_prec, write_map};
use crate::dispatch::args::{Args, Operand};
use crate::dispatch::registry::Registry;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::out_variant::write_into_self;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::dtype::DType;
use crate::tensor::promote::check_inplace_cast;

type Out = Result<Vec<IValue>>;

/// The kernel of `op` if it is one of the special functions.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.lgamma.default" => lgamma,
        "aten.digamma.default" => digamma,
        "aten.digamma_.default" => digamma_,
        "aten.polygamma.default" => polygamma,
        "aten.polygamma_.default" => polygamma_,
        "aten.mvlgamma.default" => mvlgamma,
        "aten.erfinv.default" => erfinv,
        "aten.i0.default" => i0,
        "aten.special_i0e.default" => i0e,
        "aten.special_i1.default" => i1,
        "aten.special_i1e.default" => i1e,
        "aten.sinc.default" => sinc,
        "aten.logit.default" => logit,
        "aten.logit_backward.default" => logit_backward,
        "aten.special_entr.default" => super::log_products::entr,
        "aten.special_ndtri.default" => ndtri,
        "aten.special_erfcx.default" => special_erfcx,
        "aten.special_log_ndtr.default" => special_log_ndtr,
        "aten.hypot.default" => hypot,
        "aten.logaddexp.default" => logaddexp,
        "aten.logaddexp2.default" => logaddexp2,
        "aten.special_xlog1py.default"
        | "aten.special_xlog1py.other_scalar"
        | "aten.special_xlog1py.self_scalar" => super::log_products::xlog1py,
        "aten.igamma.default" => igamma,
        "aten.igammac.default" => igammac,
        "aten.special_zeta.default"
        | "aten.special_zeta.other_scalar"
        | "aten.special_zeta.self_scalar" => special_zeta,
        _ => return bessel_kernel(op).or_else(|| polynomial_kernel(op)),
    })
}

/// `ψ(x)`, or `ψ(x + 1)` under the `digamma-off-by-one-shift` fault.
fn digamma_f64(ctx: &KernelCtx<'_>) -> fn(f64) -> f64 {
    if ctx.faults.digamma_off_by_one_shift {
        |x| cephes::digamma(x + 1.0)
    } else {
        cephes::digamma
    }
}

fn digamma_f32(ctx: &KernelCtx<'_>) -> fn(f32) -> f32 {
    if ctx.faults.digamma_off_by_one_shift {
        |x| cephes::digamma_f32(x + 1.0)
    } else {
        cephes::digamma_f32
    }
}

/// `lgamma(self)`.
fn lgamma(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, libm::lgammaf, libm::lgamma)
}

/// `digamma(self)`.
fn digamma(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, digamma_f32(ctx), digamma_f64(ctx))
}

/// `digamma_(self)`: the float result must cast back to `self`.
fn digamma_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    check_inplace_cast(ctx.op, to_floating(ctx, t.dtype()), t.dtype())?;
    let (f32f, f64f) = (digamma_f32(ctx), digamma_f64(ctx));
    let narrow = !wide(t.dtype());
    write_map(ctx, t, move |x| {
        if narrow {
            f64::from(f32f(x as f32))
        } else {
            f64f(x)
        }
    })?;
    Ok(vec![t.clone().into()])
}

/// `polygamma(n, self)`: digamma for `n = 0`, trigamma for 1, the zeta
/// formula beyond.
fn polygamma(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let n = a.int(0)?;
    if n < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "polygamma(n, x) does not support negative n.",
        ));
    }
    let t = a.tensor(1)?;
    let dtype = to_floating(ctx, t.dtype());
    let narrow = !wide(dtype);
    let (d32, d64) = (digamma_f32(ctx), digamma_f64(ctx));
    let f = move |x: f64| match (n, narrow) {
        (0, true) => f64::from(d32(x as f32)),
        (0, false) => d64(x),
        (1, true) => f64::from(cephes::trigamma_f32(x as f32)),
        (1, false) => cephes::trigamma(x),
        (_, true) => f64::from(cephes::polygamma_f32(n, x as f32)),
        (_, false) => cephes::polygamma(n, x),
    };
    Ok(vec![
        crate::kernels::pointwise::unary(ctx, t, Some(dtype), f)?.into(),
    ])
}

/// `polygamma_(self, n)`: `self` comes first here, unlike the functional
/// `polygamma(n, self)`. The functional result (a float dtype) is written
/// back into `self`, so an integer `self` fails with PyTorch's "result type
/// Float can't be cast to the desired output type Long" and a negative `n`
/// with the functional's message.
fn polygamma_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let n = a.int(1)?;
    let functional = Registry::builtin()?.get("aten.polygamma.default")?;
    let values = [IValue::Int(n), IValue::from(this.clone())];
    let op = ctx.op;
    let results = polygamma(
        ctx,
        Args {
            op,
            schema: &functional.schema,
            values: &values,
        },
    )?;
    let result = results
        .first()
        .and_then(IValue::as_tensor)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a tensor result of polygamma"))?;
    if ctx.faults.polygamma_inplace_skips_write {
        check_inplace_cast(ctx.op, result.dtype(), this.dtype())?;
    } else {
        write_into_self(ctx, this, result)?;
    }
    Ok(vec![this.clone().into()])
}

/// `mvlgamma(self, p)`: `sum_{j<p} lgamma(self + (1 - p)/2 + j/2)` plus
/// `p(p-1)/4 · log π`, as PyTorch's composite computes it (each step
/// rounded to the dtype: `arange`, `add`, `lgamma_`, `sum(-1)`, `add_`).
fn mvlgamma(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    let p = a.int(1)?;
    if p < 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            "p has to be greater than or equal to 1",
        ));
    }
    // torch 2.15 computes every element without a domain check: arguments
    // at or below `(p-1)/2` give lgamma's poles (inf) or values of negative
    // arguments, NaN stays NaN.
    if ctx.faults.mvlgamma_domain_check && ctx.has_data() {
        let bound = 0.5 * (p - 1) as f64;
        if t.read_f64(ctx.op)?
            .iter()
            .any(|&x| x <= bound || x.is_nan())
        {
            return Err(RuntimeError::shape(
                ctx.op,
                "All elements must be greater than (p-1)/2",
            ));
        }
    }
    let dtype = to_floating(ctx, t.dtype());
    let r = move |v: f64| crate::tensor::storage::cast_value(dtype, v);
    let narrow = !wide(dtype);
    // PyTorch materialises `arange` of p elements; so do the offsets.
    crate::tensor::check_alloc(ctx.op, usize::try_from(p).unwrap_or(usize::MAX))?;
    let offsets: Vec<f64> = (0..p)
        .map(|j| r(-(p as f64) / 2.0 + 0.5 + 0.5 * j as f64))
        .collect();
    let constant = p as f64 * (p - 1) as f64 * std::f64::consts::PI.ln() / 4.0;
    // The half types sum the rounded `lgamma`s in float (`sum(-1)`
    // accumulates in float) and add the constant in float as `add` does a
    // number; float32 and float64 sum and add in the dtype.
    let half =
        matches!(dtype, DType::BFloat16 | DType::Float16) && !ctx.faults.reduced_steps_in_float;
    let f = move |x: f64| {
        let mut sum = 0.0;
        for &o in &offsets {
            let arg = r(o + x);
            let lg = if narrow {
                f64::from(libm::lgammaf(arg as f32))
            } else {
                libm::lgamma(arg)
            };
            sum = if half {
                f64::from(sum as f32 + r(lg) as f32)
            } else {
                r(sum + r(lg))
            };
        }
        if half {
            r(f64::from(r(sum) as f32 + constant as f32))
        } else {
            r(sum + r(constant))
        }
    };
    Ok(vec![
        crate::kernels::pointwise::unary(ctx, t, Some(dtype), f)?.into(),
    ])
}

/// `erfinv(self)`.
fn erfinv(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(ctx, &a, cephes::erfinv_f32, cephes::erfinv)
}

/// The float32 algorithm of a Bessel function: PyTorch's fused series
/// steps, or the separately rounded ones under `bessel-chebyshev-unfused`.
fn bessel_f32(
    ctx: &KernelCtx<'_>,
    fused: fn(f32) -> f32,
    unfused: fn(f32) -> f32,
) -> fn(f32) -> f32 {
    if ctx.faults.bessel_chebyshev_unfused {
        unfused
    } else {
        fused
    }
}

/// `i0(self)`.
fn i0(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let f = bessel_f32(ctx, cephes::i0_f32, cephes::i0_f32_unfused);
    float_op_prec(ctx, &a, f, cephes::i0)
}

/// `special_i0e(self)`: float16/bfloat16 elements of the scalar loop in
/// the dtype's arithmetic ([`i0e_reduced`]).
fn i0e(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let f = bessel_f32(ctx, cephes::i0e_f32, cephes::i0e_f32_unfused);
    let out = float_op_prec(ctx, &a, f, cephes::i0e)?;
    if let Some(IValue::Tensor(result)) = out.first() {
        i0e_reduced::redo_scalar_loop(ctx, result, a.tensor(0)?)?;
    }
    Ok(out)
}

/// `special_i1(self)`.
fn i1(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let f = bessel_f32(ctx, cephes::i1_f32, cephes::i1_f32_unfused);
    float_op_prec(ctx, &a, f, cephes::i1)
}

/// `special_i1e(self)`.
fn i1e(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let f = bessel_f32(ctx, cephes::i1e_f32, cephes::i1e_f32_unfused);
    float_op_prec(ctx, &a, f, cephes::i1e)
}

/// `sinc(self)`: 1 at 0, else `sin(πx)/(πx)` in the compute precision.
fn sinc(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    float_op_prec(
        ctx,
        &a,
        |x| {
            if x == 0.0 {
                return 1.0;
            }
            let p = std::f32::consts::PI * x;
            p.sin() / p
        },
        |x| {
            if x == 0.0 {
                return 1.0;
            }
            let p = std::f64::consts::PI * x;
            p.sin() / p
        },
    )
}

/// The optional `eps` of `logit` / `logit_backward`; `None` is negative.
fn eps_arg(a: &Args<'_>, i: usize) -> Result<f64> {
    match a.values.get(i) {
        None | Some(IValue::None) => Ok(-1.0),
        Some(_) => a.scalar(i),
    }
}

macro_rules! logit_fn {
    ($t:ty, $eps:expr) => {{
        let eps = $eps as $t;
        move |x: $t| -> $t {
            let x = if eps < 0.0 {
                x
            } else {
                let hi = 1.0 - eps;
                if x < eps {
                    eps
                } else if x > hi {
                    hi
                } else {
                    x
                }
            };
            if x == 1.0 {
                <$t>::INFINITY
            } else {
                (x / (1.0 - x)).ln()
            }
        }
    }};
}

/// `logit` of a float16/bfloat16 value: each step of the formula is
/// rounded to the dtype (PyTorch's scalar arithmetic on `Half`), `eps`
/// and `1 - eps` too.
fn logit_rounded(dtype: DType, eps: f64, x: f64) -> f64 {
    let r = |v: f32| crate::tensor::storage::cast_value(dtype, f64::from(v)) as f32;
    let x = x as f32;
    let x = if eps < 0.0 {
        x
    } else {
        let lo = r(eps as f32);
        let hi = r(1.0 - lo);
        x.clamp(lo, hi)
    };
    if x == 1.0 {
        return f64::INFINITY;
    }
    f64::from(r(r(x / r(1.0 - x)).ln()))
}

/// `logit(self, eps=None)`: `log(x / (1 - x))`, `x` clamped to
/// `[eps, 1 - eps]` when `eps` is given.
fn logit(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let eps = eps_arg(&a, 1)?;
    let t = a.tensor(0)?;
    let dtype = to_floating(ctx, t.dtype());
    let (f32f, f64f) = (logit_fn!(f32, eps), logit_fn!(f64, eps));
    let narrow = !wide(dtype);
    let half = matches!(dtype, DType::Float16 | DType::BFloat16);
    let f = move |x: f64| {
        if half {
            logit_rounded(dtype, eps, x)
        } else if narrow {
            f64::from(f32f(x as f32))
        } else {
            f64f(x)
        }
    };
    Ok(vec![
        crate::kernels::pointwise::unary(ctx, t, Some(dtype), f)?.into(),
    ])
}

macro_rules! logit_grad_fn {
    ($t:ty, $eps:expr, $hi:expr) => {{
        let (eps, hi) = ($eps as $t, $hi as $t);
        move |dy: $t, x: $t| -> $t {
            if eps < 0.0 {
                if !(0.0..=1.0).contains(&x) {
                    <$t>::NAN
                } else if x == 0.0 || x == 1.0 {
                    dy * <$t>::INFINITY
                } else {
                    dy / (x * (1.0 - x))
                }
            } else if x < eps || x > hi {
                0.0
            } else {
                dy / (x * (1.0 - x))
            }
        }
    }};
}

/// `logit_backward(grad_output, self, eps=None)`: `dy / (x (1 - x))`, 0
/// outside `[eps, 1 - eps]`; without `eps`, NaN outside `[0, 1]`. A NaN
/// `self` with `eps` gives 0 in PyTorch's vectorised loop, NaN in its
/// scalar loop ([`super::common::vector_lanes`]).
fn logit_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let eps = eps_arg(&a, 2)?;
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = to_floating(ctx, promoted(ctx, &ops));
    // the bounds `eps` and `1 - eps` in the element dtype: in bfloat16
    // `1 - 0.001` is 1, so `x = 1` is inside and gets `dy / 0`
    let (lo, hi) = if eps >= 0.0
        && matches!(dtype, DType::BFloat16 | DType::Float16)
        && !ctx.faults.logit_backward_bounds_in_float
    {
        let lo = round_to(dtype, eps);
        (lo, round_to(dtype, 1.0 - lo))
    } else {
        (eps, f64::from(1.0 - eps as f32))
    };
    let f32f = logit_grad_fn!(f32, lo, hi);
    let f64f = logit_grad_fn!(f64, eps, 1.0 - eps);
    let narrow = !wide(dtype);
    // with eps, the vectorised loop masks `eps <= x <= 1 - eps`, which NaN
    // fails (0); the scalar loop gives NaN
    let lanes = eps >= 0.0 && !ctx.faults.nan_grads_scalar_loop;
    let out = super::common::nary_lanes(ctx, &ops, dtype, 2, move |v, lane| {
        if lanes && lane && v[1].is_nan() {
            0.0
        } else if narrow {
            f64::from(f32f(v[0] as f32, v[1] as f32))
        } else {
            f64f(v[0], v[1])
        }
    })?;
    Ok(vec![out.into()])
}

/// Refuses float16/bfloat16, which `kernel` has no instance for.
fn no_half(ctx: &KernelCtx<'_>, a: &Args<'_>, kernel: &str) -> Result<()> {
    let dtype = a.tensor(0)?.dtype();
    if matches!(dtype, DType::Float16 | DType::BFloat16) {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"{kernel}\" not implemented for '{}'",
                dtype.scalar_type_name()
            ),
        });
    }
    Ok(())
}

/// `special_ndtri(self)`: no float16/bfloat16 kernel (observed in torch
/// 2.15: `"ndtri_cpu" not implemented for 'Half'`).
fn ndtri(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    no_half(ctx, &a, "ndtri_cpu")?;
    float_op_prec(ctx, &a, cephes::ndtri_f32, cephes::ndtri)
}

/// `special_erfcx(self)`: `exp(x²) erfc(x)` ([`erfcx`]); no float16/bfloat16.
fn special_erfcx(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    no_half(ctx, &a, "erfcx_cpu")?;
    float_op_prec(ctx, &a, erfcx::erfcx_f32, erfcx::erfcx)
}

/// `special_log_ndtr(self)`: `log Φ(x)` ([`erfcx`]); no float16/bfloat16.
fn special_log_ndtr(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    no_half(ctx, &a, "log_ndtr_cpu")?;
    float_op_prec(ctx, &a, erfcx::log_ndtr_f32, erfcx::log_ndtr)
}

/// A binary operator in the compute precision of its promoted dtype.
fn binary_prec(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    floating_only: Option<&str>,
    f32f: fn(f32, f32) -> f32,
    f64f: fn(f64, f64) -> f64,
) -> Out {
    let ops: [Operand<'_>; 2] = [a.operand(0)?, a.operand(1)?];
    let common = promoted(ctx, &ops);
    let dtype = match floating_only {
        Some(kernel) if !common.is_floating() => {
            return Err(RuntimeError::KernelDtype {
                op: ctx.op.to_owned(),
                message: format!(
                    "\"{kernel}\" not implemented for '{}'",
                    common.scalar_type_name()
                ),
            });
        }
        Some(_) => common,
        None => to_floating(ctx, common),
    };
    let narrow = !wide(dtype);
    let out = nary(ctx, &ops, dtype, move |v| {
        if narrow {
            f64::from(f32f(v[0] as f32, v[1] as f32))
        } else {
            f64f(v[0], v[1])
        }
    })?;
    Ok(vec![out.into()])
}

/// `igamma(self, other)`: P(self, other), the lower regularized
/// incomplete gamma function.
fn igamma(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    if ctx.faults.igamma_is_complement {
        return igammac(ctx, a);
    }
    binary_prec(
        ctx,
        &a,
        Some("igamma_cpu"),
        |x, y| incomplete_gamma::lower(f64::from(x), f64::from(y)) as f32,
        incomplete_gamma::lower,
    )
}

/// `igammac(self, other)`: Q(self, other) = 1 − P(self, other).
fn igammac(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    binary_prec(
        ctx,
        &a,
        Some("igammac_cpu"),
        |x, y| incomplete_gamma::upper(f64::from(x), f64::from(y)) as f32,
        incomplete_gamma::upper,
    )
}

/// `hypot(self, other)`.
fn hypot(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    binary_prec(ctx, &a, Some("hypot_cpu"), libm::hypotf, f64::hypot)
}

macro_rules! logaddexp_fn {
    ($t:ty, $scaled:expr) => {
        |a: $t, b: $t| -> $t {
            if a.is_infinite() && a == b {
                return a;
            }
            let m = a.max(b);
            let scaled: fn($t) -> $t = $scaled;
            m + scaled(-(a - b).abs())
        }
    };
}

/// `logaddexp(self, other)`: `max + log1p(exp(-|a - b|))`; equal
/// infinities give themselves.
fn logaddexp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    binary_prec(
        ctx,
        &a,
        Some("logaddexp_cpu"),
        logaddexp_fn!(f32, |d| d.exp().ln_1p()),
        logaddexp_fn!(f64, |d| d.exp().ln_1p()),
    )
}

/// `logaddexp2(self, other)`: `max + log1p(2^-|a - b|) / ln 2`.
fn logaddexp2(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    binary_prec(
        ctx,
        &a,
        Some("logaddexp2_cpu"),
        logaddexp_fn!(f32, |d| d.exp2().ln_1p()
            * (1.0 / std::f64::consts::LN_2) as f32),
        logaddexp_fn!(f64, |d| d.exp2().ln_1p() * (1.0 / std::f64::consts::LN_2)),
    )
}

/// A unary function of the Bessel family, in `f32` and `f64`, with its
/// CPU kernel's name.
type Unary = (&'static str, fn(f32) -> f32, fn(f64) -> f64);

/// The Bessel-family function behind `op`.
fn bessel_function(op: &str) -> Option<Unary> {
    macro_rules! both {
        ($name:literal, $f:ident) => {
            (
                $name,
                bessel::$f::<f32> as fn(f32) -> f32,
                bessel::$f::<f64> as fn(f64) -> f64,
            )
        };
    }
    Some(
        match op.strip_prefix("aten.special_")?.strip_suffix(".default")? {
            "airy_ai" => both!("airy_ai_cpu", airy_ai),
            "bessel_j0" => both!("bessel_j0_cpu", bessel_j0),
            "bessel_j1" => both!("bessel_j1_cpu", bessel_j1),
            "bessel_y0" => both!("bessel_y0_cpu", bessel_y0),
            "bessel_y1" => both!("bessel_y1_cpu", bessel_y1),
            "modified_bessel_i0" => both!("modified_bessel_i0_cpu", modified_bessel_i0),
            "modified_bessel_i1" => both!("modified_bessel_i1_cpu", modified_bessel_i1),
            "modified_bessel_k0" => both!("modified_bessel_k0_cpu", modified_bessel_k0),
            "modified_bessel_k1" => both!("modified_bessel_k1_cpu", modified_bessel_k1),
            "scaled_modified_bessel_k0" => {
                both!("scaled_modified_bessel_k0_cpu", scaled_modified_bessel_k0)
            }
            "scaled_modified_bessel_k1" => {
                both!("scaled_modified_bessel_k1_cpu", scaled_modified_bessel_k1)
            }
            "spherical_bessel_j0" => both!("spherical_bessel_j0_cpu", spherical_bessel_j0),
            _ => return None,
        },
    )
}

fn bessel_kernel(op: &str) -> Option<Kernel> {
    bessel_function(op).map(|_| bessel_op as Kernel)
}

/// A Bessel-family operator: no float16/bfloat16 kernel, integers give the
/// default float dtype.
fn bessel_op(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let Some((kernel, f32f, f64f)) = bessel_function(ctx.op) else {
        return Err(RuntimeError::shape(ctx.op, "not a Bessel-family operator"));
    };
    no_half(ctx, &a, kernel)?;
    float_op_prec(ctx, &a, f32f, f64f)
}

/// An orthogonal polynomial, in `f32` and `f64`, with its CPU kernel's
/// name.
type Polynomial = (&'static str, fn(f32, i64) -> f32, fn(f64, i64) -> f64);

/// The polynomial behind `op` (any of its three overloads).
fn polynomial_function(op: &str) -> Option<Polynomial> {
    macro_rules! both {
        ($name:literal, $f:ident) => {
            (
                $name,
                polynomials::$f::<f32> as fn(f32, i64) -> f32,
                polynomials::$f::<f64> as fn(f64, i64) -> f64,
            )
        };
    }
    let (name, overload) = op.strip_prefix("aten.special_")?.split_once('.')?;
    if !matches!(overload, "default" | "x_scalar" | "n_scalar") {
        return None;
    }
    Some(match name {
        "chebyshev_polynomial_t" => both!("chebyshev_polynomial_t_cpu", chebyshev_t),
        "chebyshev_polynomial_u" => both!("chebyshev_polynomial_u_cpu", chebyshev_u),
        "chebyshev_polynomial_v" => both!("chebyshev_polynomial_v_cpu", chebyshev_v),
        "chebyshev_polynomial_w" => both!("chebyshev_polynomial_w_cpu", chebyshev_w),
        "shifted_chebyshev_polynomial_t" => {
            both!("shifted_chebyshev_polynomial_t_cpu", shifted_chebyshev_t)
        }
        "shifted_chebyshev_polynomial_u" => {
            both!("shifted_chebyshev_polynomial_u_cpu", shifted_chebyshev_u)
        }
        "shifted_chebyshev_polynomial_v" => {
            both!("shifted_chebyshev_polynomial_v_cpu", shifted_chebyshev_v)
        }
        "shifted_chebyshev_polynomial_w" => {
            both!("shifted_chebyshev_polynomial_w_cpu", shifted_chebyshev_w)
        }
        "hermite_polynomial_h" => both!("hermite_polynomial_h_cpu", hermite_h),
        "hermite_polynomial_he" => both!("hermite_polynomial_he_cpu", hermite_he),
        "laguerre_polynomial_l" => both!("laguerre_polynomial_l_cpu", laguerre_l),
        "legendre_polynomial_p" => both!("legendre_polynomial_p_cpu", legendre_p),
        _ => return None,
    })
}

fn polynomial_kernel(op: &str) -> Option<Kernel> {
    polynomial_function(op).map(|_| polynomial_op as Kernel)
}

/// The floating dtype of a two-input special function (integers give the
/// default float dtype), refused when it is float16/bfloat16.
fn float_pair_dtype(ctx: &KernelCtx<'_>, ops: &[Operand<'_>], kernel: &str) -> Result<DType> {
    let dtype = to_floating(ctx, promoted(ctx, ops));
    if matches!(dtype, DType::Float16 | DType::BFloat16) {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"{kernel}\" not implemented for '{}'",
                dtype.scalar_type_name()
            ),
        });
    }
    Ok(dtype)
}

/// `special_<polynomial>(x, n)`: the degree is `n` in the common dtype,
/// truncated to an integer ([`polynomials::degree`]).
fn polynomial_op(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let Some((kernel, f32f, f64f)) = polynomial_function(ctx.op) else {
        return Err(RuntimeError::shape(ctx.op, "not a polynomial operator"));
    };
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = float_pair_dtype(ctx, &ops, kernel)?;
    let narrow = !wide(dtype);
    // The `chebyshev-plain-recurrence` fault: Tₙ by its recurrence at
    // every degree, without the trigonometric form inside (−1, 1).
    let (f32f, f64f) =
        if ctx.faults.chebyshev_plain_recurrence && kernel == "chebyshev_polynomial_t_cpu" {
            (
                polynomials::chebyshev_t_by_recurrence::<f32> as fn(f32, i64) -> f32,
                polynomials::chebyshev_t_by_recurrence::<f64> as fn(f64, i64) -> f64,
            )
        } else {
            (f32f, f64f)
        };
    let out = nary(ctx, &ops, dtype, move |v| {
        if narrow {
            let n = polynomials::degree(f64::from(v[1] as f32));
            f64::from(f32f(v[0] as f32, n))
        } else {
            f64f(v[0], polynomials::degree(v[1]))
        }
    })?;
    Ok(vec![out.into()])
}

/// `special_zeta(self, other)`: the Hurwitz zeta function `ζ(self, other)`
/// ([`cephes::zeta`]), accumulated in double for float32 too.
fn special_zeta(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = float_pair_dtype(ctx, &ops, "zeta_cpu")?;
    let narrow = !wide(dtype);
    let out = nary(ctx, &ops, dtype, move |v| {
        if narrow {
            f64::from(cephes::zeta_f32(v[0] as f32, v[1] as f32))
        } else {
            cephes::zeta(v[0], v[1])
        }
    })?;
    Ok(vec![out.into()])
}
