//! Binary foreach operators: `add`, `sub`, `mul`, `div`, `maximum`,
//! `minimum`, `clamp_min`, `clamp_max`, `pow`, in place and out of place.
//!
//! The second operand per element comes from the overload:
//!
//! | overload | operand of element `i` |
//! |---|---|
//! | `Scalar` | the one Python number (a wrapped number) |
//! | `ScalarList` | `scalars[i]` |
//! | `List` | `other[i]` (broadcasting with `self[i]`) |
//! | `Tensor` | the one tensor, which must be 0-dim (it promotes as a 0-dim tensor) |
//! | `ScalarAndTensor` (`pow`) | the number is the base, `exponent[i]` the tensor |
//!
//! Dtypes follow the single-tensor operator (observed in torch 2.15):
//! `int64 / 2` is the default float dtype, `maximum(int64, 1.5)` is float,
//! `mul(float16, float64 0-dim)` stays float16, `mul(int64, float64 0-dim)`
//! is float64.

use super::map::apply;
use super::{
    ForeachCall, element_scalar, opmath_scalar, other_list, results, scalar_list, scalar_value,
    self_list,
};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::pointwise::result_type;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// Which binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
    Pow,
}

impl BinaryOp {
    fn of(base: &str) -> Option<BinaryOp> {
        Some(match base {
            "add" => BinaryOp::Add,
            "sub" => BinaryOp::Sub,
            "mul" => BinaryOp::Mul,
            "div" => BinaryOp::Div,
            // `clamp_min(x, m)` is `maximum(x, m)` with NaN propagating from
            // either side, as `maximum` does.
            "maximum" | "clamp_min" => BinaryOp::Maximum,
            "minimum" | "clamp_max" => BinaryOp::Minimum,
            "pow" => BinaryOp::Pow,
            _ => return None,
        })
    }

    /// The value a Python-number operand takes in a kernel computing in
    /// `dtype`. Observed in torch 2.15 on float16 / bfloat16 elements: add,
    /// sub and pow (and in-place mul) round the number to the element
    /// dtype; div, out-of-place mul and the extrema compute with it in
    /// float32. `alpha` is rounded to the element dtype too.
    fn scalar(self, inplace: bool, v: f64, dtype: DType) -> f64 {
        match self {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Pow => element_scalar(v, dtype),
            BinaryOp::Mul if inplace => element_scalar(v, dtype),
            _ => opmath_scalar(v, dtype),
        }
    }

    /// Whether the schema has an `alpha` argument (at position 2).
    fn has_alpha(self, overload: &str) -> bool {
        matches!(self, BinaryOp::Add | BinaryOp::Sub) && matches!(overload, "List" | "Tensor")
    }
}

/// The second operand of each element.
enum Other<'a> {
    /// One wrapped number for every element.
    Scalar(Operand<'a>),
    /// One wrapped number per element.
    Scalars(Vec<Operand<'a>>),
    /// One tensor per element.
    Tensors(&'a [Tensor]),
    /// One 0-dim tensor for every element.
    Tensor(&'a Tensor),
}

impl<'a> Other<'a> {
    fn at(&self, i: usize) -> Operand<'a> {
        match self {
            Other::Scalar(o) => *o,
            Other::Scalars(v) => v
                .get(i)
                .copied()
                .unwrap_or(Operand::Scalar(0.0, DType::Int64)),
            Other::Tensors(ts) => ts
                .get(i)
                .map_or(Operand::Scalar(0.0, DType::Int64), Operand::Tensor),
            Other::Tensor(t) => Operand::Tensor(t),
        }
    }
}

/// The second operand argument (position 1) by overload.
fn other<'a>(ctx: &KernelCtx<'_>, a: &Args<'a>, overload: &str, len: usize) -> Result<Other<'a>> {
    Ok(match overload {
        "Scalar" => Other::Scalar(a.operand(1)?),
        "ScalarList" => Other::Scalars(scalar_list(ctx, a, 1, len)?),
        "List" => Other::Tensors(other_list(ctx, a, 1, len)?),
        "Tensor" => {
            let t = a.tensor(1)?;
            ctx.check(t, "other")?;
            if t.dim() != 0 {
                return Err(RuntimeError::shape(
                    ctx.op,
                    format!(
                        "scalar tensor expected to be 0 dim but it has {} dimensions and {} elements.",
                        t.dim(),
                        t.numel()
                    ),
                ));
            }
            Other::Tensor(t)
        }
        other => {
            return Err(RuntimeError::unsupported(
                ctx.op,
                format!("the foreach overload {other}"),
            ));
        }
    })
}

/// Kernel of every binary foreach overload.
pub(super) fn kernel(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let call = ForeachCall::of(ctx)?;
    let op = BinaryOp::of(call.base)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a binary foreach kernel"))?;
    if call.overload == "ScalarAndTensor" {
        return pow_scalar_and_tensor(ctx, &a);
    }
    let this = self_list(ctx, &a, 0)?;
    let other = other(ctx, &a, call.overload, this.len())?;
    let alpha = if op.has_alpha(call.overload) {
        Some(a.values.get(2).cloned().unwrap_or(IValue::Int(1)))
    } else {
        None
    };
    let mut outs = Vec::with_capacity(this.len());
    for (i, t) in this.iter().enumerate() {
        let y = other.at(i);
        outs.push(element(ctx, op, call.inplace, t, y, alpha.as_ref())?);
    }
    Ok(results(call.inplace, outs))
}

/// `pow.ScalarAndTensor(Scalar self, Tensor[] exponent)`: `self ** exponent[i]`.
fn pow_scalar_and_tensor(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<Vec<IValue>> {
    let base = a.operand(0)?;
    let exponents = self_list(ctx, a, 1)?;
    let mut outs = Vec::with_capacity(exponents.len());
    for t in exponents {
        let operands = [base, Operand::Tensor(t)];
        let dtype = result_type(ctx, &operands);
        outs.push(super::map::map_out(ctx, &operands, dtype, |v| {
            pow(v[0], v[1])
        })?);
    }
    Ok(results(false, outs))
}

/// One element: `op(x, y)` (times `alpha` for add/sub).
fn element(
    ctx: &KernelCtx<'_>,
    op: BinaryOp,
    inplace: bool,
    x: &Tensor,
    y: Operand<'_>,
    alpha: Option<&IValue>,
) -> Result<Tensor> {
    let computed = computed_dtype(ctx, op, x, y)?;
    let alpha = match alpha {
        Some(alpha) => element_scalar(check_alpha(ctx, computed, alpha)?, computed),
        None => 1.0,
    };
    let y = match y {
        Operand::Scalar(v, kind) => Operand::Scalar(op.scalar(inplace, v, computed), kind),
        tensor => tensor,
    };
    if op == BinaryOp::Pow
        && computed.is_integral(true)
        && matches!(y, Operand::Scalar(..))
        && scalar_value(&y) < 0.0
    {
        return Err(RuntimeError::shape(
            ctx.op,
            "Integers to negative integer powers are not allowed.",
        ));
    }
    // `add`/`sub` with an `alpha` run the single-tensor kernel, whose scalar
    // loop rounds `alpha * other` to a bfloat16/float16 before the sum
    // (`reduced_axpy`); in place, `self` is read before it is overwritten.
    let axpy = match (op, y) {
        (BinaryOp::Add | BinaryOp::Sub, Operand::Tensor(yt)) => {
            Some((if op == BinaryOp::Sub { -alpha } else { alpha }, yt))
        }
        _ => None,
    };
    let before = match axpy {
        Some((k, yt)) if inplace => {
            crate::kernels::reduced_axpy::scalar_loop(ctx, computed, k, x, x, yt)
                .map(|plan| Ok::<_, RuntimeError>((plan, x.read_f64(ctx.op)?)))
                .transpose()?
        }
        _ => None,
    };
    let out = apply(ctx, inplace, x, &[y], computed, |v| {
        let (a, b) = (v[0], v[1]);
        match op {
            BinaryOp::Add => a + alpha * b,
            BinaryOp::Sub => a - alpha * b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Maximum => nan_or(a, b, f64::max),
            BinaryOp::Minimum => nan_or(a, b, f64::min),
            BinaryOp::Pow => pow(a, b),
        }
    })?;
    if let Some((k, yt)) = axpy {
        if let Some((plan, xs)) = before {
            plan.redo(ctx, &out, &xs, yt)?;
        } else if !inplace
            && let Some(plan) =
                crate::kernels::reduced_axpy::scalar_loop(ctx, computed, k, &out, x, yt)
        {
            plan.redo(
                ctx,
                &out,
                &crate::kernels::iter::read_broadcast(ctx.op, x, out.shape())?,
                yt,
            )?;
        }
    }
    Ok(out)
}

/// The single-tensor operator's computed dtype for `x op y`.
fn computed_dtype(ctx: &KernelCtx<'_>, op: BinaryOp, x: &Tensor, y: Operand<'_>) -> Result<DType> {
    let promoted = result_type(ctx, &[Operand::Tensor(x), y]);
    if op == BinaryOp::Sub {
        crate::kernels::elementwise::common::sub_check(ctx.op, &[Operand::Tensor(x), y])?;
    }
    match op {
        // True division of integers (and bools) gives the default dtype.
        BinaryOp::Div if promoted.is_integral(true) => Ok(ctx.default_dtype),
        _ => Ok(promoted),
    }
}

/// PyTorch's check that `alpha` fits the operands' type.
fn check_alpha(ctx: &KernelCtx<'_>, dtype: DType, alpha: &IValue) -> Result<f64> {
    match alpha {
        IValue::Float(_) if dtype.is_integral(true) => Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message:
                "For integral input tensors, argument alpha must not be a floating point number."
                    .into(),
        }),
        IValue::Float(v) => Ok(*v),
        IValue::Int(v) => Ok(*v as f64),
        IValue::Bool(b) => Ok(f64::from(u8::from(*b))),
        other => Err(RuntimeError::ArgumentType {
            op: ctx.op.to_owned(),
            arg: "alpha".into(),
            expected: "Scalar".into(),
            got: other.kind().into(),
        }),
    }
}

/// `f(a, b)`, NaN when either is NaN (`maximum`, `minimum`, `clamp_*`).
fn nan_or(a: f64, b: f64, f: impl Fn(f64, f64) -> f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        f(a, b)
    }
}

/// `a ** b`. For integer operands `powf` is exact whenever the result is
/// representable (below 2^53).
fn pow(a: f64, b: f64) -> f64 {
    a.powf(b)
}
