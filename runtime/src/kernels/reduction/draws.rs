//! The remaining in-place draws of `Tensor`'s random methods: `cauchy_`
//! (what `Cauchy.rsample` and `HalfCauchy` draw), `log_normal_` and
//! `geometric_`, each with an optional CPU generator.
//!
//! As every random kernel, the values come from the runtime's
//! [`crate::kernels::random::RandomSource`]: PyTorch's recorded output when a
//! replay provides it, else the runtime's own generator. PyTorch's argument
//! checks and dtype refusals come first, with its messages (torch 2.15):
//! `cauchy_` needs `sigma > 0` and a floating `self`; `log_normal_` needs
//! `std > 0` and has no integer instance; `geometric_` needs `p` in `(0, 1)`
//! (a NaN fails it) and fills integer tensors too, bool excepted. A NaN
//! `median` or `mean` is accepted, as PyTorch accepts it.

use super::distributions::refuse_dtype;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

type Out = Result<Vec<IValue>>;

/// `cauchy_(self, median=0., sigma=1., *, generator=None)`.
pub(crate) fn cauchy_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (median, sigma) = (a.scalar(1)?, a.scalar(2)?);
    a.cpu_generator(3)?;
    if (sigma.is_nan() || sigma <= 0.0) && !ctx.faults.cauchy_accepts_zero_sigma {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "cauchy_ expects sigma > 0.0, but found sigma={}",
                number(sigma)
            ),
        ));
    }
    if !this.dtype().is_floating() {
        return Err(continuous_only(ctx, "Cauchy", this.dtype()));
    }
    let n = this.numel();
    fill(ctx, this, |ctx| ctx.random.cauchy(ctx.op, n, median, sigma))
}

/// `log_normal_(self, mean=1., std=2., *, generator=None)`: `exp` of
/// N(mean, std²) draws.
pub(crate) fn log_normal_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (mean, std) = (a.scalar(1)?, a.scalar(2)?);
    a.cpu_generator(3)?;
    if std.is_nan() || std <= 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "log_normal_ expects std > 0.0, but found std={}",
                number(std)
            ),
        ));
    }
    if !this.dtype().is_floating() {
        return Err(refuse_dtype(ctx, "log_normal_cpu", this.dtype()));
    }
    let n = this.numel();
    fill(ctx, this, |ctx| ctx.random.log_normal(ctx.op, n, mean, std))
}

/// `geometric_(self, p, *, generator=None)`: the number of Bernoulli(p)
/// trials up to the first success (1, 2, ...).
pub(crate) fn geometric_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let p = a.scalar(1)?;
    a.cpu_generator(2)?;
    if !(p > 0.0 && p < 1.0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "geometric_ expects p to be in (0, 1), but got p={}",
                number(p)
            ),
        ));
    }
    if this.dtype() == DType::Bool {
        return Err(refuse_dtype(ctx, "geometric_cpu", this.dtype()));
    }
    let n = this.numel();
    fill(ctx, this, |ctx| ctx.random.geometric(ctx.op, n, p))
}

/// Writes the values `draw` makes into `this` (nothing drawn on meta).
fn fill(
    ctx: &mut KernelCtx<'_>,
    this: &Tensor,
    draw: impl FnOnce(&mut KernelCtx<'_>) -> Result<Vec<f64>>,
) -> Out {
    if ctx.has_data() {
        let values = draw(ctx)?;
        ctx.write(this, || Ok(values))?;
    }
    Ok(vec![this.clone().into()])
}

/// A number as PyTorch's message prints a double: `0`, `-1`, `0.5`, `nan`.
fn number(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else {
        format!("{x}")
    }
}

/// PyTorch's refusal of an integer tensor for a continuous distribution.
/// `cauchy_`'s check runs inside the kernel's dtype switch, so the message
/// names the C++ element type (`long int`), not the ScalarType (`Long`)
/// as `exponential_`'s does.
fn continuous_only(ctx: &KernelCtx<'_>, name: &str, dtype: DType) -> RuntimeError {
    let element = match dtype {
        DType::UInt8 => "unsigned char",
        DType::Int8 => "signed char",
        DType::Int16 => "short int",
        DType::Int32 => "int",
        DType::Int64 => "long int",
        DType::Bool => "bool",
        other => other.scalar_type_name(),
    };
    RuntimeError::TypeCast {
        op: ctx.op.to_owned(),
        message: format!(
            "{name} distribution is a continuous probability distribution. dtype must be a floating point but you specified {element}"
        ),
    }
}
