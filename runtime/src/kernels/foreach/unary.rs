//! Unary foreach operators (in place and out of place): `sqrt`, `rsqrt`,
//! `neg`, `reciprocal`, `sign`, `abs`, `exp`, `expm1`, `log`, `log1p`,
//! `sigmoid`, `tanh`, `sin`, `cos`, `floor`, `ceil`, `round`, `trunc`; and
//! `zero_`.
//!
//! Dtypes as the single-tensor operators (observed in torch 2.15): the
//! transcendental ones of an integer or bool element give the default float
//! dtype (so their in-place forms refuse integer elements); `neg` and `abs`
//! refuse bool; `sign` keeps every dtype; the rounding ones keep integer
//! dtypes (the values are unchanged) and refuse bool. `round` rounds half
//! to even.

use super::map::apply;
use super::{ForeachCall, results, self_list};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::elementwise::{rsqrt_f32, sqrt_of, wide};
use crate::tensor::dtype::DType;

/// Which unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnaryOp {
    Sqrt,
    Neg,
    Reciprocal,
    Sign,
    Abs,
    Exp,
    Rsqrt,
    Log,
    Log1p,
    Expm1,
    Sigmoid,
    Tanh,
    Sin,
    Cos,
    Floor,
    Ceil,
    Round,
    Trunc,
}

impl UnaryOp {
    fn of(base: &str) -> Option<UnaryOp> {
        Some(match base {
            "sqrt" => UnaryOp::Sqrt,
            "neg" => UnaryOp::Neg,
            "reciprocal" => UnaryOp::Reciprocal,
            "sign" => UnaryOp::Sign,
            "abs" => UnaryOp::Abs,
            "exp" => UnaryOp::Exp,
            "rsqrt" => UnaryOp::Rsqrt,
            "log" => UnaryOp::Log,
            "log1p" => UnaryOp::Log1p,
            "expm1" => UnaryOp::Expm1,
            "sigmoid" => UnaryOp::Sigmoid,
            "tanh" => UnaryOp::Tanh,
            "sin" => UnaryOp::Sin,
            "cos" => UnaryOp::Cos,
            "floor" => UnaryOp::Floor,
            "ceil" => UnaryOp::Ceil,
            "round" => UnaryOp::Round,
            "trunc" => UnaryOp::Trunc,
            _ => return None,
        })
    }

    /// Whether an integer input gives a floating result.
    fn to_float(self) -> bool {
        !matches!(
            self,
            UnaryOp::Neg
                | UnaryOp::Sign
                | UnaryOp::Abs
                | UnaryOp::Floor
                | UnaryOp::Ceil
                | UnaryOp::Round
                | UnaryOp::Trunc
        )
    }

    /// The rounding operators (identity on integers, refused on bool).
    fn rounds(self) -> bool {
        matches!(
            self,
            UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round | UnaryOp::Trunc
        )
    }

    /// PyTorch's CPU kernel name in its "not implemented for 'Bool'" error.
    fn bool_kernel_name(self) -> &'static str {
        match self {
            UnaryOp::Abs => "abs_cpu",
            UnaryOp::Floor => "floor_vml_cpu",
            UnaryOp::Ceil => "ceil_vml_cpu",
            UnaryOp::Round => "round_vml_cpu",
            _ => "trunc_vml_cpu",
        }
    }

    /// `apply` in the dtype's compute precision (`narrow`: float32 and the
    /// half dtypes, which compute in float32) where PyTorch's kernel rounds
    /// between steps.
    fn apply_in(self, x: f64, narrow: bool) -> f64 {
        match self {
            UnaryOp::Rsqrt if narrow => f64::from(rsqrt_f32(x as f32)),
            _ => self.apply(x),
        }
    }

    fn apply(self, x: f64) -> f64 {
        match self {
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Neg => -x,
            UnaryOp::Reciprocal => 1.0 / x,
            // `(0 < x) - (x < 0)`: 0 for zero and NaN.
            UnaryOp::Sign => f64::from(u8::from(x > 0.0)) - f64::from(u8::from(x < 0.0)),
            UnaryOp::Abs => x.abs(),
            UnaryOp::Exp => x.exp(),
            UnaryOp::Rsqrt => 1.0 / x.sqrt(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Log1p => x.ln_1p(),
            UnaryOp::Expm1 => x.exp_m1(),
            UnaryOp::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Sin => x.sin(),
            UnaryOp::Cos => x.cos(),
            UnaryOp::Floor => x.floor(),
            UnaryOp::Ceil => x.ceil(),
            UnaryOp::Round => x.round_ties_even(),
            UnaryOp::Trunc => x.trunc(),
        }
    }
}

/// The result dtype of `op` on an element of `dtype`, with PyTorch's
/// refusals.
fn result_dtype(ctx: &KernelCtx<'_>, op: UnaryOp, dtype: DType) -> Result<DType> {
    match op {
        _ if op.to_float() && dtype.is_integral(true) => Ok(ctx.default_dtype),
        UnaryOp::Neg if dtype == DType::Bool => Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.".into(),
        }),
        _ if dtype == DType::Bool && (op == UnaryOp::Abs || op.rounds()) => {
            Err(RuntimeError::KernelDtype {
                op: ctx.op.to_owned(),
                message: format!(
                    "\"{}\" not implemented for 'Bool'",
                    op.bool_kernel_name()
                ),
            })
        }
        _ => Ok(dtype),
    }
}

/// Kernel of every unary foreach overload.
pub(super) fn kernel(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let call = ForeachCall::of(ctx)?;
    let op = UnaryOp::of(call.base)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a unary foreach kernel"))?;
    let this = self_list(ctx, &a, 0)?;
    let mut outs = Vec::with_capacity(this.len());
    for t in this {
        let dtype = result_dtype(ctx, op, t.dtype())?;
        let narrow = !wide(dtype);
        let root = sqrt_of(ctx, dtype);
        outs.push(apply(ctx, call.inplace, t, &[], dtype, |v| match op {
            UnaryOp::Sqrt => root(v[0]),
            _ => op.apply_in(v[0], narrow),
        })?);
    }
    Ok(results(call.inplace, outs))
}

/// `_foreach_zero_(Tensor(a!)[] self) -> ()`: fills every element with 0.
pub(super) fn zero_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = self_list(ctx, &a, 0)?;
    for t in this {
        ctx.write(t, || Ok(vec![0.0; t.numel()]))?;
    }
    Ok(Vec::new())
}
