//! The sampling operators behind `torch.distributions`' Gamma family —
//! `_standard_gamma`, `_sample_dirichlet`, `poisson`, `binomial` — and the
//! reparameterised gradients `_standard_gamma_grad` and `_dirichlet_grad`
//! ([`super::reparam`]).
//!
//! The samplers are random operators: replay feeds them PyTorch's recorded
//! outputs through the runtime's [`crate::kernels::random::RandomSource`],
//! as for `normal_` or `multinomial`, and an explicit CPU `torch.Generator`
//! is accepted (another device's is refused). Their own draws, when none
//! are provided, come from the runtime's generator, not PyTorch's streams.
//!
//! Dtypes and layouts as observed in torch 2.15: every result is contiguous
//! and shaped like the first operand; `poisson` takes float16/bfloat16 too,
//! the others only float32/float64 (`"gamma_cpu" not implemented for
//! 'Half'`); the gradients need every operand of the first's dtype (`Found
//! dtype Double but expected Float`) and broadcast the others to the first's
//! shape; `poisson` refuses a negative rate.

use super::reparam::{Real, dirichlet_grad, standard_gamma_grad};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::iter::read_broadcast;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

type Out = Result<Vec<IValue>>;

/// PyTorch's refusal of a dtype its kernel has no instance for.
pub(super) fn refuse_dtype(ctx: &KernelCtx<'_>, kernel: &str, dtype: DType) -> RuntimeError {
    RuntimeError::KernelDtype {
        op: ctx.op.to_owned(),
        message: format!(
            "\"{kernel}\" not implemented for '{}'",
            dtype.scalar_type_name()
        ),
    }
}

/// Float32 or float64, else PyTorch's refusal naming `kernel`.
fn float_or_double(ctx: &KernelCtx<'_>, kernel: &str, t: &Tensor) -> Result<()> {
    ctx.check(t, "self")?;
    match t.dtype() {
        DType::Float32 | DType::Float64 => Ok(()),
        other => Err(refuse_dtype(ctx, kernel, other)),
    }
}

/// A contiguous result shaped like `like`, holding `values` (drawn or
/// computed only on a backend with data).
fn output_like(
    ctx: &mut KernelCtx<'_>,
    like: &Tensor,
    values: impl FnOnce(&mut KernelCtx<'_>) -> Result<Vec<f64>>,
) -> Out {
    let values = if ctx.has_data() {
        values(ctx)?
    } else {
        Vec::new()
    };
    let strides = contiguous_strides(like.shape());
    Ok(vec![
        ctx.output(like.shape(), &strides, like.dtype(), || Ok(values))?
            .into(),
    ])
}

/// `_standard_gamma(self, generator=None)`: one Gamma(α, 1) draw per
/// concentration α.
pub(crate) fn standard_gamma(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let alpha = a.tensor(0)?;
    float_or_double(ctx, "gamma_cpu", alpha)?;
    a.cpu_generator(1)?;
    output_like(ctx, alpha, |ctx| {
        let alphas = alpha.read_f64(ctx.op)?;
        ctx.random.gamma(ctx.op, &alphas)
    })
}

/// `_sample_dirichlet(self, generator=None)`: one Dirichlet draw per row
/// of concentrations (the last dimension).
pub(crate) fn sample_dirichlet(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let alpha = a.tensor(0)?;
    float_or_double(ctx, "dirichlet", alpha)?;
    a.cpu_generator(1)?;
    let row = alpha.shape().last().map_or(1, |&n| n.max(1) as usize);
    output_like(ctx, alpha, |ctx| {
        let alphas = alpha.read_f64(ctx.op)?;
        ctx.random.dirichlet(ctx.op, &alphas, row)
    })
}

/// `poisson(self, generator=None)`: one Poisson count per rate.
pub(crate) fn poisson(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let rate = a.tensor(0)?;
    ctx.check(rate, "self")?;
    if !rate.dtype().is_floating() {
        return Err(refuse_dtype(ctx, "poisson_cpu", rate.dtype()));
    }
    a.cpu_generator(1)?;
    output_like(ctx, rate, |ctx| {
        let rates = rate.read_f64(ctx.op)?;
        if rates.iter().any(|r| r.is_nan() || *r < 0.0) {
            return Err(RuntimeError::shape(
                ctx.op,
                "invalid Poisson rate, expected rate to be non-negative",
            ));
        }
        ctx.random.poisson(ctx.op, &rates)
    })
}

/// `binomial(count, prob, generator=None)`: one Binomial(count, prob) draw
/// per count (`prob` broadcast to `count`).
pub(crate) fn binomial(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let count = a.tensor(0)?;
    let prob = a.tensor(1)?;
    float_or_double(ctx, "binomial_cpu", count)?;
    ctx.check(prob, "prob")?;
    a.cpu_generator(2)?;
    output_like(ctx, count, |ctx| {
        let counts = count.read_f64(ctx.op)?;
        let probs = read_broadcast(ctx.op, prob, count.shape())?;
        ctx.random.binomial(ctx.op, &counts, &probs)
    })
}

/// The operands of a gradient kernel: the first's dtype for all (PyTorch's
/// message otherwise), the others broadcast to the first's shape.
fn gradient_operands(ctx: &KernelCtx<'_>, kernel: &str, ops: &[&Tensor]) -> Result<Vec<Vec<f64>>> {
    let first = ops[0];
    float_or_double(ctx, kernel, first)?;
    for t in &ops[1..] {
        ctx.check(t, "input")?;
        if t.dtype() != first.dtype() {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "Found dtype {} but expected {}",
                    t.dtype().scalar_type_name(),
                    first.dtype().scalar_type_name()
                ),
            ));
        }
    }
    if !ctx.has_data() {
        for t in &ops[1..] {
            crate::kernels::iter::broadcast_view(ctx.op, t, first.shape())?;
        }
        return Ok(Vec::new());
    }
    ops.iter()
        .map(|t| read_broadcast(ctx.op, t, first.shape()))
        .collect()
}

/// `_standard_gamma_grad(self, output)`: `dx/dα` of each Gamma(α, 1)
/// sample `output` (α = `self`), computed in double.
pub(crate) fn standard_gamma_grad_kernel(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let alpha = a.tensor(0)?;
    let sample = a.tensor(1)?;
    let values = gradient_operands(ctx, "_standard_gamma_grad_cpu", &[alpha, sample])?;
    let wrong_series = ctx.faults.gamma_grad_wrong_series;
    let narrow = alpha.dtype() == DType::Float32;
    output_like(ctx, alpha, move |_| {
        let [alphas, xs] = <[Vec<f64>; 2]>::try_from(values)
            .map_err(|_| RuntimeError::autograd("_standard_gamma_grad: operands missing"))?;
        Ok(alphas
            .iter()
            .zip(&xs)
            .map(|(&al, &x)| {
                // Float operands are widened exactly; the double result is
                // rounded once by the float output.
                let (al, x) = if narrow {
                    (f64::from(al as f32), f64::from(x as f32))
                } else {
                    (al, x)
                };
                standard_gamma_grad(al, x, wrong_series)
            })
            .collect())
    })
}

/// `_dirichlet_grad(x, alpha, total)`: the scaled gradient of Beta(α,
/// total - α) samples `x`, in PyTorch's mix of the element type and double.
pub(crate) fn dirichlet_grad_kernel(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let x = a.tensor(0)?;
    let alpha = a.tensor(1)?;
    let total = a.tensor(2)?;
    let values = gradient_operands(ctx, "_dirichlet_grad_cpu", &[x, alpha, total])?;
    let flipped = ctx.faults.dirichlet_grad_sign;
    let narrow = x.dtype() == DType::Float32;
    output_like(ctx, x, move |_| {
        let [xs, alphas, totals] = <[Vec<f64>; 3]>::try_from(values)
            .map_err(|_| RuntimeError::autograd("_dirichlet_grad: operands missing"))?;
        Ok(xs
            .iter()
            .zip(&alphas)
            .zip(&totals)
            .map(|((&x, &al), &t)| {
                if narrow {
                    typed::<f32>(x, al, t, flipped)
                } else {
                    typed::<f64>(x, al, t, flipped)
                }
            })
            .collect())
    })
}

fn typed<T: Real>(x: f64, alpha: f64, total: f64, flipped: bool) -> f64 {
    dirichlet_grad(T::of(x), T::of(alpha), T::of(total), flipped).wide()
}

#[cfg(test)]
mod tests {
    use crate::error::Result;
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn tensor(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
    }

    fn call(op: &str, args: Vec<IValue>) -> Result<Vec<IValue>> {
        Runtime::new().call(op, args)
    }

    fn values(op: &str, args: Vec<IValue>) -> Vec<f64> {
        call(op, args)
            .expect("call")
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor result")
            .to_f64_vec()
            .expect("values")
    }

    fn error(op: &str, args: Vec<IValue>) -> String {
        call(op, args).expect_err("an error").to_string()
    }

    #[test]
    fn samplers_draw_in_their_support() {
        let alpha = tensor(&[2, 3], DType::Float32, &[0.3, 1.0, 5.0, 0.5, 0.5, 0.5]);
        let g = values("aten._standard_gamma.default", vec![alpha.clone().into()]);
        assert!(g.iter().all(|&v| v > 0.0), "{g:?}");
        let d = values("aten._sample_dirichlet.default", vec![alpha.into()]);
        for row in d.chunks(3) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{row:?}");
        }
        let counts = tensor(&[3], DType::Float64, &[10.0, 0.0, 3.0]);
        let probs = tensor(&[1], DType::Float64, &[0.4]);
        let b = values("aten.binomial.default", vec![counts.into(), probs.into()]);
        assert!(
            b[0] >= 0.0 && b[0] <= 10.0 && b[1] == 0.0 && b[2] <= 3.0,
            "{b:?}"
        );
        let rates = tensor(&[2], DType::Float32, &[0.0, 4.0]);
        let p = values("aten.poisson.default", vec![rates.into()]);
        assert!(p[0] == 0.0 && p[1] >= 0.0 && p[1].fract() == 0.0, "{p:?}");
    }

    #[test]
    fn refusals_are_pytorchs() {
        let ints = tensor(&[2], DType::Int64, &[1.0, 2.0]);
        assert!(
            error("aten._standard_gamma.default", vec![ints.into()])
                .contains("\"gamma_cpu\" not implemented for 'Long'")
        );
        let half = tensor(&[2], DType::Float16, &[1.0, 2.0]);
        assert!(
            error("aten._sample_dirichlet.default", vec![half.clone().into()])
                .contains("\"dirichlet\" not implemented for 'Half'")
        );
        assert!(
            error(
                "aten._standard_gamma_grad.default",
                vec![half.clone().into(), half.into()]
            )
            .contains("\"_standard_gamma_grad_cpu\" not implemented for 'Half'")
        );
        let negative = tensor(&[2], DType::Float32, &[1.0, -1.0]);
        assert!(
            error("aten.poisson.default", vec![negative.into()])
                .contains("invalid Poisson rate, expected rate to be non-negative")
        );
        let f = tensor(&[2], DType::Float32, &[1.0, 2.0]);
        let d = tensor(&[2], DType::Float64, &[1.0, 2.0]);
        assert!(
            error(
                "aten._standard_gamma_grad.default",
                vec![f.clone().into(), d.into()]
            )
            .contains("Found dtype Double but expected Float")
        );
        assert!(
            error(
                "aten._standard_gamma.default",
                vec![f.into(), IValue::Str("generator:cuda".into())]
            )
            .contains("a Generator on device cuda")
        );
    }

    #[test]
    fn gradients_broadcast_to_the_first_operand() {
        // dx/dα at (α, x) = (2, 3), the fitted rational function's region:
        // torch 2.15 gives 1.3217135522829573; the float32 result is the
        // double one rounded.
        let alpha = tensor(&[2], DType::Float64, &[2.0, 2.0]);
        let x = tensor(&[1], DType::Float64, &[3.0]);
        let g = values(
            "aten._standard_gamma_grad.default",
            vec![alpha.into(), x.into()],
        );
        assert_eq!(g[0], g[1]);
        assert_eq!(g[0], 1.321_713_552_282_957_3);
        let alpha32 = tensor(&[1], DType::Float32, &[2.0]);
        let x32 = tensor(&[1], DType::Float32, &[3.0]);
        let g32 = values(
            "aten._standard_gamma_grad.default",
            vec![alpha32.into(), x32.into()],
        );
        assert_eq!(g32[0], f64::from(g[0] as f32));
        // A Beta(3, 3) sample at its mean, x = 1/2: the rational correction
        // of x (ψ(6) - ψ(3)) / 3 (neither series applies: τ x (1 - x) =
        // 1.5); torch 2.15 gives 0.18634516296530415.
        let xs = tensor(&[1], DType::Float64, &[0.5]);
        let a = tensor(&[1], DType::Float64, &[3.0]);
        let t = tensor(&[1], DType::Float64, &[6.0]);
        let d = values(
            "aten._dirichlet_grad.default",
            vec![xs.into(), a.into(), t.into()],
        );
        assert!((d[0] - 0.186_345_162_965_304_15).abs() < 1e-15, "{d:?}");
    }
}
