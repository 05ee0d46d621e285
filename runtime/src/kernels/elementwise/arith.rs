//! Arithmetic kernels beyond `add`/`sub`/`mul`: the Scalar and in-place
//! overloads of those, true and rounding division, `rsub`, `pow`,
//! `floor_divide`, `remainder`, `fmod`, `minimum`/`maximum`, `clamp`, `lerp`,
//! `addcmul` and `addcdiv`.
//!
//! A `Scalar` argument takes part in type promotion as a wrapped Python
//! number, exactly like a number passed for a `Tensor` argument. In-place
//! variants compute in the promoted type and refuse results that cannot be
//! cast back to `self` ("result type Float can't be cast to the desired
//! output type Long").

use super::common::{
    nary, nary_, nary_i64, nary_i64_, nary_i64_params, nary_lanes, nary_lanes_, nary_params,
    operand_dtype, opmath, promoted, require_floating, round_to, to_floating, wide, zero_division,
};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::pointwise::{exact_integers, with_axpy};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

type Out = Result<Vec<IValue>>;

fn one(t: Tensor) -> Out {
    Ok(vec![t.into()])
}

/// `alpha`, refusing a float alpha for integral operands as PyTorch does.
fn alpha(ctx: &KernelCtx<'_>, a: &Args<'_>, i: usize, dtype: DType) -> Result<f64> {
    if dtype.is_integral(true) && matches!(a.values.get(i), Some(IValue::Float(_))) {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message:
                "For integral input tensors, argument alpha must not be a floating point number."
                    .into(),
        });
    }
    a.scalar(i)
}

// -- add / sub / mul in place --------------------------------------------------

/// `sub_.Tensor` / `sub_.Scalar`: `self -= alpha * other`.
pub(crate) fn sub_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let dtype = promoted(ctx, &ops);
    super::common::sub_check(ctx.op, &ops)?;
    let k = alpha(ctx, &a, 2, dtype)?;
    if exact_integers(dtype) && !ctx.faults.integer_arithmetic_in_double {
        let k = k as i64;
        nary_i64_(ctx, this, &ops, dtype, |v| {
            Ok(v[0].wrapping_sub(k.wrapping_mul(v[1])))
        })?;
        return one(this.clone());
    }
    let before = match ops[1] {
        Operand::Tensor(y) => {
            crate::kernels::reduced_axpy::scalar_loop(ctx, dtype, -k, this, this, y)
                .map(|plan| Ok::<_, RuntimeError>((plan, y, this.read_f64(ctx.op)?)))
                .transpose()?
        }
        _ => None,
    };
    let ops = [
        ops[0],
        crate::kernels::pointwise::reduced_addend(ctx, dtype, k, ops[1]),
    ];
    with_axpy!(dtype, -k, |f| nary_(
        ctx,
        this,
        &ops,
        dtype,
        move |v: &[f64]| f(v[0], v[1])
    ))?;
    if let Some((plan, y, xs)) = before {
        plan.redo(ctx, this, &xs, y)?;
    }
    one(this.clone())
}

/// `mul_.Tensor` / `mul_.Scalar`: `self *= other`.
pub(crate) fn mul_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let dtype = promoted(ctx, &ops);
    if dtype == DType::Bool {
        nary_(ctx, this, &ops, dtype, |v| {
            f64::from(u8::from(v[0] != 0.0 && v[1] != 0.0))
        })?;
    } else if exact_integers(dtype) && !ctx.faults.integer_arithmetic_in_double {
        nary_i64_(ctx, this, &ops, dtype, |v| Ok(v[0].wrapping_mul(v[1])))?;
    } else {
        nary_(ctx, this, &ops, dtype, |v| v[0] * v[1])?;
    }
    one(this.clone())
}

/// `rsub.Tensor(self, other, alpha)` / `rsub.Scalar`: `other - alpha * self`.
pub(crate) fn rsub(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = promoted(ctx, &ops);
    super::common::sub_check(ctx.op, &ops)?;
    let k = alpha(ctx, &a, 2, dtype)?;
    let ops = [
        ops[0],
        crate::kernels::pointwise::reduced_addend(ctx, dtype, k, ops[1]),
    ];
    one(with_axpy!(dtype, -k, |f| nary(
        ctx,
        &ops,
        dtype,
        move |v: &[f64]| f(v[1], v[0])
    ))?)
}

// -- division ----------------------------------------------------------------

/// `div.Tensor` / `div.Scalar`: true division; integers divide as the
/// default float dtype.
pub(crate) fn div(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = to_floating(ctx, promoted(ctx, &ops));
    one(nary(ctx, &ops, dtype, |v| v[0] / v[1])?)
}

/// `div.out(self, other, *, out)`: true division written into `out`,
/// which must already have the broadcast shape (the runtime does not
/// resize an `out=` tensor; `F.normalize(..., out=)` in spectral norm's
/// power iteration passes one that has).
pub(crate) fn div_out(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let out = a.tensor(2)?;
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = to_floating(ctx, promoted(ctx, &ops));
    nary_(ctx, out, &ops, dtype, |v| v[0] / v[1])?;
    one(out.clone())
}

/// `div_.Tensor` / `div_.Scalar`.
pub(crate) fn div_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let dtype = to_floating(ctx, promoted(ctx, &ops));
    nary_(ctx, this, &ops, dtype, |v| v[0] / v[1])?;
    one(this.clone())
}

/// A `div` rounding mode.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rounding {
    True,
    Trunc,
    Floor,
}

fn rounding(ctx: &KernelCtx<'_>, a: &Args<'_>, i: usize) -> Result<Rounding> {
    match a.values.get(i) {
        None | Some(IValue::None) => Ok(Rounding::True),
        Some(IValue::Str(s)) if s == "trunc" => Ok(Rounding::Trunc),
        Some(IValue::Str(s)) if s == "floor" => Ok(Rounding::Floor),
        Some(other) => Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{other:?}'"
            ),
        }),
    }
}

macro_rules! floor_div_in {
    ($name:ident, $t:ty) => {
        /// Python's floor division of floats (PyTorch's
        /// `div_floor_floating`) in this precision: exact where
        /// `floor(a / b)` would round across an integer.
        pub(crate) fn $name(a: $t, b: $t) -> $t {
            if b == 0.0 {
                return a / b;
            }
            let m = a % b;
            let mut d = (a - m) / b;
            if m != 0.0 && (b < 0.0) != (m < 0.0) {
                d -= 1.0;
            }
            if d == 0.0 {
                return (0.0 as $t).copysign(a / b);
            }
            let f = d.floor();
            if d - f > 0.5 { f + 1.0 } else { f }
        }
    };
}

floor_div_in!(floor_div_f64, f64);
floor_div_in!(floor_div_f32, f32);

fn floor_div_i64(a: i64, b: i64) -> i64 {
    let q = a.wrapping_div(b);
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

fn div_rounded(ctx: &KernelCtx<'_>, ops: &[Operand<'_>], mode: Rounding) -> Result<Tensor> {
    let dtype = promoted(ctx, ops);
    match mode {
        Rounding::True => nary(ctx, ops, to_floating(ctx, dtype), |v| v[0] / v[1]),
        _ if dtype.is_integral(true) => {
            let op = ctx.op.to_owned();
            nary_i64(ctx, ops, dtype, move |v| {
                if v[1] == 0 {
                    return Err(zero_division(&op));
                }
                Ok(if mode == Rounding::Floor {
                    floor_div_i64(v[0], v[1])
                } else {
                    v[0].wrapping_div(v[1])
                })
            })
        }
        _ if dtype == DType::Float64 || ctx.faults.rounded_division_in_double => match mode {
            Rounding::Trunc => nary(ctx, ops, dtype, |v| (v[0] / v[1]).trunc()),
            _ => nary(ctx, ops, dtype, |v| floor_div_f64(v[0], v[1])),
        },
        _ => {
            // float32 and the half types divide in float32. A bfloat16 or
            // float16 quotient by a divisor the iterator broadcasts to every
            // element (a number, a one-element tensor) is PyTorch's float
            // path: the divisor's own value as a float, nothing rounded
            // before the result. Between two such tensors the quotient is
            // `scalar_t / scalar_t`, rounded to the dtype before `trunc`.
            let reduced = matches!(dtype, DType::BFloat16 | DType::Float16);
            let by_scalar = reduced && single_element(&ops[1]);
            let trunc = mode == Rounding::Trunc;
            nary(ctx, ops, dtype, move |v| {
                let (a, b) = (v[0] as f32, v[1] as f32);
                if !trunc {
                    f64::from(floor_div_f32(a, b))
                } else if by_scalar {
                    f64::from((a / b).trunc())
                } else {
                    round_to(dtype, f64::from(a / b)).trunc()
                }
            })
        }
    }
}

/// Whether an operand holds one element (TensorIterator broadcasts it to
/// every element: its `is_scalar`).
fn single_element(operand: &Operand<'_>) -> bool {
    match operand {
        Operand::Tensor(t) => t.numel() == 1,
        Operand::Scalar(..) | Operand::BigInt(_) => true,
    }
}

/// `div.Tensor_mode` / `div.Scalar_mode(self, other, *, rounding_mode)`.
pub(crate) fn div_mode(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let mode = rounding(ctx, &a, 2)?;
    one(div_rounded(ctx, &ops, mode)?)
}

/// `div_.Tensor_mode`.
pub(crate) fn div_mode_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let mode = rounding(ctx, &a, 2)?;
    let result = div_rounded(ctx, &ops, mode)?;
    write_back(ctx, this, &result)?;
    one(this.clone())
}

/// Writes an out-of-place result into an in-place operator's `self`, with
/// the casting check.
fn write_back(ctx: &KernelCtx<'_>, this: &Tensor, result: &Tensor) -> Result<()> {
    crate::tensor::promote::check_inplace_cast(ctx.op, result.dtype(), this.dtype())?;
    if result.shape() != this.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "output with shape {:?} doesn't match the broadcast shape {:?}",
                this.shape(),
                result.shape()
            ),
        ));
    }
    if !ctx.has_data() {
        return Ok(());
    }
    if result.dtype().is_integral(true) {
        this.write_i64(ctx.op, &result.read_i64(ctx.op)?)
    } else {
        this.write_f64(ctx.op, &result.read_f64(ctx.op)?)
    }
}

/// `floor_divide(self, other)` / `floor_divide.Scalar`: division rounded
/// down, in the promoted dtype.
pub(crate) fn floor_divide(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    one(div_rounded(ctx, &ops, Rounding::Floor)?)
}

/// `floor_divide_.Tensor`.
pub(crate) fn floor_divide_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let result = div_rounded(ctx, &ops, Rounding::Floor)?;
    write_back(ctx, this, &result)?;
    one(this.clone())
}

/// Python's modulo of floats: the sign of the divisor.
pub(crate) fn remainder_f64(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 && (b < 0.0) != (m < 0.0) {
        m + b
    } else {
        m
    }
}

/// The operands of `remainder`/`fmod` as their kernels see them:
/// TensorIterator casts every input to the common dtype, so with a
/// bfloat16/float16 result a Python number is rounded to it first
/// (bfloat16 `remainder(x, 0.7)` divides by 0.69921875; unlike `mul`/`add`,
/// which keep the number in float). Without the rounding under fault
/// remainder-number-unrounded.
fn operand_rounding(ctx: &KernelCtx<'_>, dtype: DType) -> impl Fn(f64) -> f64 + use<> {
    let unrounded = ctx.faults.remainder_number_unrounded;
    move |v| if unrounded { v } else { round_to(dtype, v) }
}

fn remainder_of(ctx: &KernelCtx<'_>, ops: &[Operand<'_>]) -> Result<Tensor> {
    let dtype = promoted(ctx, ops);
    if dtype.is_integral(true) {
        let op = ctx.op.to_owned();
        nary_i64(ctx, ops, dtype, move |v| {
            if v[1] == 0 {
                return Err(zero_division(&op));
            }
            let m = v[0].wrapping_rem(v[1]);
            Ok(if m != 0 && (v[1] < 0) != (m < 0) {
                m + v[1]
            } else {
                m
            })
        })
    } else {
        let r = operand_rounding(ctx, dtype);
        nary(ctx, ops, dtype, |v| remainder_f64(r(v[0]), r(v[1])))
    }
}

/// `remainder.Tensor` / `remainder.Scalar`: Python's `%`.
pub(crate) fn remainder(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    one(remainder_of(ctx, &ops)?)
}

/// `remainder_.Tensor` / `remainder_.Scalar`.
pub(crate) fn remainder_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let result = remainder_of(ctx, &ops)?;
    write_back(ctx, this, &result)?;
    one(this.clone())
}

fn fmod_of(ctx: &KernelCtx<'_>, ops: &[Operand<'_>]) -> Result<Tensor> {
    let dtype = promoted(ctx, ops);
    if dtype.is_integral(true) {
        let op = ctx.op.to_owned();
        nary_i64(ctx, ops, dtype, move |v| {
            if v[1] == 0 {
                return Err(zero_division(&op));
            }
            Ok(v[0].wrapping_rem(v[1]))
        })
    } else {
        let r = operand_rounding(ctx, dtype);
        nary(ctx, ops, dtype, |v| r(v[0]) % r(v[1]))
    }
}

/// `fmod.Tensor` / `fmod.Scalar`: C's `fmod`, the sign of the dividend.
pub(crate) fn fmod(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    one(fmod_of(ctx, &ops)?)
}

/// `fmod_.Tensor` / `fmod_.Scalar`: the promoted result must cast back to
/// `self` (an int64 `self` by a float divisor is refused).
pub(crate) fn fmod_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let result = fmod_of(ctx, &ops)?;
    write_back(ctx, this, &result)?;
    one(this.clone())
}

// -- pow -----------------------------------------------------------------------

/// Integer power with wrapping; negative exponents give 0 except for bases
/// 1 and -1 (PyTorch's `powi`).
fn pow_i64(base: i64, exp: i64) -> i64 {
    if exp < 0 {
        return match base {
            1 => 1,
            -1 => {
                if exp % 2 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        };
    }
    let (mut result, mut b, mut e) = (1i64, base, exp);
    while e > 0 {
        if e & 1 == 1 {
            result = result.wrapping_mul(b);
        }
        b = b.wrapping_mul(b);
        e >>= 1;
    }
    result
}

fn pow_of(ctx: &KernelCtx<'_>, ops: &[Operand<'_>]) -> Result<Tensor> {
    let dtype = promoted(ctx, ops);
    if dtype.is_integral(true) {
        if let Operand::Scalar(e, _) = ops[1]
            && e < 0.0
        {
            return Err(RuntimeError::TypeCast {
                op: ctx.op.to_owned(),
                message: "Integers to negative integer powers are not allowed.".into(),
            });
        }
        if dtype == DType::Bool {
            return nary_params(ctx, ops, dtype, |v| if v[1] == 0.0 { 1.0 } else { v[0] });
        }
        nary_i64_params(ctx, ops, dtype, |v| Ok(pow_i64(v[0], v[1])))
    } else if let (Some(steps), false) = (
        ProductPower::of(dtype, ops),
        ctx.faults.pow_by_general_power,
    ) {
        if let ProductPower::InverseRoot(DType::BFloat16) = steps {
            // Two vectors per step of the vectorised loop.
            let lanes = !ctx.faults.reduced_inverse_root_rounded_once;
            return super::common::nary_lanes(ctx, ops, dtype, 2, |v, vector| {
                super::common::reduced_inverse_root(dtype, v[0], vector || !lanes)
            });
        }
        nary_params(ctx, ops, dtype, move |v| steps.apply(v[0]))
    } else {
        nary_params(ctx, ops, dtype, |v| v[0].powf(v[1]))
    }
}

/// A float32/float64 power by a number that PyTorch's `pow(Tensor, Scalar)`
/// kernel computes with products and a square root instead of its general
/// power (observed in torch 2.15: `x*x*x` for 3, `1/(x*x)` for -2 and
/// `1/sqrt(x)` for -0.5 reproduce every element, each step rounded to the
/// dtype; the general power misses a quarter of them). 2 and -1 are one
/// correctly rounded step either way.
#[derive(Clone, Copy)]
enum ProductPower {
    Cube(DType),
    InverseSquare(DType),
    InverseRoot(DType),
}

impl ProductPower {
    fn of(dtype: DType, ops: &[Operand<'_>]) -> Option<ProductPower> {
        let (Operand::Tensor(_), Operand::Scalar(e, _)) = (ops.first()?, ops.get(1)?) else {
            return None;
        };
        if !matches!(dtype, DType::Float32 | DType::Float64 | DType::BFloat16) {
            return None;
        }
        match *e {
            3.0 => Some(ProductPower::Cube(dtype)),
            -2.0 => Some(ProductPower::InverseSquare(dtype)),
            -0.5 => Some(ProductPower::InverseRoot(dtype)),
            _ => None,
        }
    }

    /// `x` to the power, each product, quotient and root rounded to the
    /// dtype (exact in f64 before that rounding, or rounded once more
    /// harmlessly: 53 bits hold a float32 product and round its quotients
    /// and roots correctly).
    fn apply(self, x: f64) -> f64 {
        let (dtype, value) = match self {
            ProductPower::Cube(d) => (d, round_as(d, round_as(d, x * x) * x)),
            ProductPower::InverseSquare(d) => (d, 1.0 / round_as(d, x * x)),
            // bfloat16: `1 / sqrt(x)` in float, rounded to bfloat16 once
            ProductPower::InverseRoot(DType::BFloat16) => {
                let root = f64::from(x.sqrt() as f32);
                (DType::BFloat16, 1.0 / root)
            }
            ProductPower::InverseRoot(d) => (d, 1.0 / round_as(d, x.sqrt())),
        };
        round_as(dtype, value)
    }
}

/// `v` rounded to float32 for a float32 computation (float64 computes in
/// f64 already); for bfloat16, rounded to float32 and then to bfloat16, as
/// each `BFloat16` operation of PyTorch's kernel computes in float and
/// stores a bfloat16 (observed in torch 2.15 on 4096 elements: bfloat16
/// `x ** 3` is `(x * x) * x` and `x ** -2` is `1 / (x * x)` with every step
/// rounded to bfloat16, a quarter of the elements one ulp from the
/// correctly rounded power; float16 computes the power once in float).
fn round_as(dtype: DType, v: f64) -> f64 {
    match dtype {
        DType::Float32 => f64::from(v as f32),
        DType::BFloat16 => super::common::round_to(DType::BFloat16, f64::from(v as f32)),
        _ => v,
    }
}

/// `pow.Tensor_Scalar`, `pow.Tensor_Tensor` and `pow.Scalar(self, exponent)`
/// (`self` a number): the promoted dtype of base and exponent, laid out from
/// the tensor operands (a number is no input of PyTorch's iterator).
pub(crate) fn pow(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    one(pow_of(ctx, &ops)?)
}

/// `pow_.Scalar` / `pow_.Tensor`.
pub(crate) fn pow_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let result = pow_of(ctx, &ops)?;
    write_back(ctx, this, &result)?;
    one(this.clone())
}

// -- minimum / maximum / clamp ---------------------------------------------------

fn nan_min(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.min(y)
    }
}

fn nan_max(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else {
        x.max(y)
    }
}

/// Which extreme of two values an operator keeps.
#[derive(Clone, Copy)]
enum Keep {
    Min,
    Max,
}

impl Keep {
    fn f64(self, x: f64, y: f64) -> f64 {
        match self {
            Keep::Min => nan_min(x, y),
            Keep::Max => nan_max(x, y),
        }
    }

    /// The kept value as PyTorch's CPU loops pick it between equal
    /// operands (`-0.0` and `+0.0`): the vectorised loop (`max_ps` /
    /// `min_ps`) returns the second, the scalar loop (`std::max` /
    /// `std::min`) the first. NaN propagates in both.
    fn f64_in_lane(self, x: f64, y: f64, vector: bool) -> f64 {
        if x.is_nan() || y.is_nan() {
            return f64::NAN;
        }
        let take_first = match self {
            Keep::Max if vector => x > y,
            Keep::Max => x >= y,
            Keep::Min if vector => x < y,
            Keep::Min => x <= y,
        };
        if take_first { x } else { y }
    }

    fn i64(self, x: i64, y: i64) -> i64 {
        match self {
            Keep::Min => x.min(y),
            Keep::Max => x.max(y),
        }
    }
}

/// `minimum`/`maximum`/`clamp_min`/`clamp_max` of two operands into
/// `dtype`: exact i64 for integers (int64 beyond 2^53), f64 otherwise.
fn keep_of(ctx: &KernelCtx<'_>, ops: &[Operand<'_>], dtype: DType, keep: Keep) -> Result<Tensor> {
    if dtype.is_integral(false) {
        nary_i64_params(ctx, ops, dtype, |v| Ok(keep.i64(v[0], v[1])))
    } else if tie_lanes(ctx, ops, dtype) {
        nary_lanes(ctx, ops, dtype, 1, |v, lane| {
            keep.f64_in_lane(v[0], v[1], lane)
        })
    } else {
        nary_params(ctx, ops, dtype, |v| keep.f64(v[0], v[1]))
    }
}

/// Whether a floating max/min of tensors picks between equal operands by
/// loop ([`Keep::f64_in_lane`]; measured on torch 2.15 with AVX-512 for
/// `maximum`, `minimum`, `clamp_min`/`clamp_max`/`clamp` with Tensor
/// bounds, float32/float64/bfloat16/float16: whole vectors of 16, 8, 32
/// and 32 lanes give the second operand, the scalar tail of each run the
/// first). A Scalar bound is a kernel of its own that keeps `self`. The
/// in-place (`clamp_*_`) and `out=` (`maximum.out`, `minimum.out`) forms
/// run the same loop into their destination ([`tie_lanes_into`]).
fn tie_lanes(ctx: &KernelCtx<'_>, ops: &[Operand<'_>], dtype: DType) -> bool {
    !ctx.faults.max_min_tie_lanes_ignored
        && dtype.is_floating()
        && !dtype.is_complex()
        && ops.iter().all(|o| matches!(o, Operand::Tensor(_)))
}

/// [`tie_lanes`] for a result written into `self` or an `out=` tensor
/// (measured on torch 2.15 with AVX-512: the vector/scalar split follows
/// the destination's loop, two threads included, 0 of 686,168 elements
/// off the rule).
fn tie_lanes_into(ctx: &KernelCtx<'_>, ops: &[Operand<'_>], dtype: DType) -> bool {
    !ctx.faults.max_min_tie_lanes_out_of_place_only && tie_lanes(ctx, ops, dtype)
}

/// [`keep_of`] written into `out`.
fn keep_into(
    ctx: &KernelCtx<'_>,
    out: &Tensor,
    ops: &[Operand<'_>],
    dtype: DType,
    keep: Keep,
) -> Result<()> {
    if dtype.is_integral(false) && out.dtype().is_integral(false) {
        nary_i64_(ctx, out, ops, dtype, |v| Ok(keep.i64(v[0], v[1])))
    } else if tie_lanes_into(ctx, ops, dtype) {
        nary_lanes_(ctx, out, ops, dtype, 1, |v, lane| {
            keep.f64_in_lane(v[0], v[1], lane)
        })
    } else {
        nary_(ctx, out, ops, dtype, |v| keep.f64(v[0], v[1]))
    }
}

/// `minimum(self, other)`: NaN-propagating, promoted.
pub(crate) fn minimum(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = promoted(ctx, &ops);
    one(keep_of(ctx, &ops, dtype, Keep::Min)?)
}

/// `maximum(self, other)`: NaN-propagating, promoted.
pub(crate) fn maximum(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = promoted(ctx, &ops);
    one(keep_of(ctx, &ops, dtype, Keep::Max)?)
}

/// `maximum.out(self, other, *, out)` / `minimum.out`: the elementwise
/// maximum (minimum) written into `out`, which must already have the
/// broadcast shape (the runtime does not resize an `out=` tensor) and a
/// dtype the promoted result casts to. NaN propagates as in `maximum`.
pub(crate) fn max_min_out(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let out = a.tensor(2)?;
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = promoted(ctx, &ops);
    let keep = if ctx.op.starts_with("aten.maximum") {
        Keep::Max
    } else {
        Keep::Min
    };
    keep_into(ctx, out, &ops, dtype, keep)?;
    one(out.clone())
}

/// `clamp`'s bounds: optional Scalars or optional Tensors at positions 1, 2.
fn bounds<'a>(a: &Args<'a>) -> Result<(Option<Operand<'a>>, Option<Operand<'a>>)> {
    let get = |i: usize| -> Result<Option<Operand<'a>>> {
        match a.values.get(i) {
            None | Some(IValue::None) => Ok(None),
            Some(_) => a.operand(i).map(Some),
        }
    };
    Ok((get(1)?, get(2)?))
}

/// The dtype of a clamp: a floating `self` keeps its dtype, otherwise the
/// bounds promote it (observed in torch 2.15: `int_tensor.clamp(0.5)` is
/// float32, `half_tensor.clamp(0.5)` stays half).
fn clamp_dtype(ctx: &KernelCtx<'_>, ops: &[Operand<'_>]) -> DType {
    let own = operand_dtype(&ops[0]);
    if own.is_floating() {
        own
    } else {
        promoted(ctx, ops)
    }
}

/// `min(max(x, lo), hi)` with NaN propagation; a NaN bound gives NaN.
fn clamp_value(x: f64, lo: Option<f64>, hi: Option<f64>) -> f64 {
    let mut y = x;
    if let Some(lo) = lo {
        y = nan_max(y, lo);
    }
    if let Some(hi) = hi {
        y = nan_min(y, hi);
    }
    y
}

/// Operands and the per-element clamp of a clamp call.
fn clamp_parts<'a>(
    ctx: &KernelCtx<'_>,
    a: &Args<'a>,
) -> Result<(Vec<Operand<'a>>, DType, bool, bool)> {
    let this = a.tensor(0)?;
    let (lo, hi) = bounds(a)?;
    if lo.is_none() && hi.is_none() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: "torch.clamp: At least one of 'min' or 'max' must not be None".into(),
        });
    }
    let mut ops = vec![Operand::Tensor(this)];
    ops.extend(lo);
    ops.extend(hi);
    let dtype = clamp_dtype(ctx, &ops);
    Ok((ops, dtype, lo.is_some(), hi.is_some()))
}

fn clamp_fn(has_lo: bool, has_hi: bool) -> impl Fn(&[f64]) -> f64 {
    move |v: &[f64]| {
        let lo = has_lo.then(|| v[1]);
        let hi = has_hi.then(|| v[if has_lo { 2 } else { 1 }]);
        clamp_value(v[0], lo, hi)
    }
}

/// [`clamp_fn`] on exact integers.
fn clamp_fn_i64(has_lo: bool, has_hi: bool) -> impl Fn(&[i64]) -> Result<i64> {
    move |v: &[i64]| {
        let mut y = v[0];
        if has_lo {
            y = y.max(v[1]);
        }
        if has_hi {
            y = y.min(v[if has_lo { 2 } else { 1 }]);
        }
        Ok(y)
    }
}

/// `clamp(self, min, max)` and `clamp.Tensor`.
pub(crate) fn clamp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (ops, dtype, has_lo, has_hi) = clamp_parts(ctx, &a)?;
    if dtype.is_integral(false) {
        return one(nary_i64_params(
            ctx,
            &ops,
            dtype,
            clamp_fn_i64(has_lo, has_hi),
        )?);
    }
    if tie_lanes(ctx, &ops, dtype) {
        return one(nary_lanes(
            ctx,
            &ops,
            dtype,
            1,
            clamp_in_lane(has_lo, has_hi),
        )?);
    }
    one(nary_params(ctx, &ops, dtype, clamp_fn(has_lo, has_hi))?)
}

/// [`clamp_fn`] with ties picked by loop ([`Keep::f64_in_lane`]).
fn clamp_in_lane(has_lo: bool, has_hi: bool) -> impl Fn(&[f64], bool) -> f64 {
    move |v: &[f64], lane: bool| {
        let mut y = v[0];
        if has_lo {
            y = Keep::Max.f64_in_lane(y, v[1], lane);
        }
        if has_hi {
            y = Keep::Min.f64_in_lane(y, v[if has_lo { 2 } else { 1 }], lane);
        }
        y
    }
}

/// `clamp_(self, min, max)` and `clamp_.Tensor`: no promotion in place.
pub(crate) fn clamp_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let (ops, dtype, has_lo, has_hi) = clamp_parts(ctx, &a)?;
    if dtype.is_integral(false) && this.dtype().is_integral(false) {
        nary_i64_(ctx, this, &ops, dtype, clamp_fn_i64(has_lo, has_hi))?;
    } else if tie_lanes_into(ctx, &ops, dtype) {
        nary_lanes_(ctx, this, &ops, dtype, 1, clamp_in_lane(has_lo, has_hi))?;
    } else {
        nary_(ctx, this, &ops, dtype, clamp_fn(has_lo, has_hi))?;
    }
    one(this.clone())
}

/// `clamp_min(self, min)` / `clamp_min.Tensor`.
pub(crate) fn clamp_min(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = clamp_dtype(ctx, &ops);
    one(keep_of(ctx, &ops, dtype, Keep::Max)?)
}

/// `clamp_max(self, max)` / `clamp_max.Tensor`.
pub(crate) fn clamp_max(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = clamp_dtype(ctx, &ops);
    one(keep_of(ctx, &ops, dtype, Keep::Min)?)
}

/// `clamp_min_(self, min)`.
pub(crate) fn clamp_min_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let dtype = clamp_dtype(ctx, &ops);
    keep_into(ctx, this, &ops, dtype, Keep::Max)?;
    one(this.clone())
}

/// `clamp_max_(self, max)`.
pub(crate) fn clamp_max_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let dtype = clamp_dtype(ctx, &ops);
    keep_into(ctx, this, &ops, dtype, Keep::Min)?;
    one(this.clone())
}

// -- lerp / addcmul / addcdiv ------------------------------------------------------

/// `self + weight * (end - self)`, as PyTorch's `lerp` evaluates it: from
/// the nearer end for |weight| >= 0.5, so that weight 1 gives `end` exactly;
/// in the dtype's compute precision with one fused multiply-add (observed in
/// torch 2.15: bitwise equal in float32 and float64).
pub(crate) fn lerp_formula(dtype: DType) -> impl Fn(&[f64]) -> f64 {
    opmath!(wide(dtype), |v: [T]| {
        let (x, end, w) = (v[0], v[1], v[2]);
        let diff = end - x;
        if w.abs() < 0.5 {
            w.mul_add(diff, x)
        } else {
            (-diff).mul_add(1.0 - w, end)
        }
    })
}

fn lerp_dtype(ctx: &KernelCtx<'_>, ops: &[Operand<'_>]) -> Result<DType> {
    let dtype = operand_dtype(&ops[0]);
    require_floating(ctx, dtype)?;
    // PyTorch prints C++ type names (observed in torch 2.15: "expected
    // dtype float for `weight` but got dtype double").
    for (o, name) in ops[1..].iter().zip(["end", "weight"]) {
        if let Operand::Tensor(t) = o
            && t.dtype() != dtype
        {
            return Err(RuntimeError::TypeCast {
                op: ctx.op.to_owned(),
                message: format!(
                    "expected dtype {} for `{name}` but got dtype {}",
                    dtype.type_meta_name(),
                    t.dtype().type_meta_name()
                ),
            });
        }
    }
    Ok(dtype)
}

/// `lerp.Scalar(self, end, weight)` / `lerp.Tensor`.
pub(crate) fn lerp(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?, a.operand(2)?];
    let dtype = lerp_dtype(ctx, &ops)?;
    one(nary_params(ctx, &ops, dtype, lerp_formula(dtype))?)
}

/// `lerp_.Scalar` / `lerp_.Tensor`.
pub(crate) fn lerp_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?, a.operand(2)?];
    let dtype = lerp_dtype(ctx, &ops)?;
    nary_(ctx, this, &ops, dtype, lerp_formula(dtype))?;
    one(this.clone())
}

fn addc_parts<'a>(a: &Args<'a>) -> Result<([Operand<'a>; 3], f64)> {
    Ok(([a.operand(0)?, a.operand(1)?, a.operand(2)?], a.scalar(3)?))
}

fn refuse_integer_addcdiv(ctx: &KernelCtx<'_>, ops: &[Operand<'_>]) -> Result<()> {
    if ops[1..].iter().all(|o| operand_dtype(o).is_integral(true)) {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.".into(),
        });
    }
    Ok(())
}

/// TensorIterator's cast of every tensor input to the computed floating
/// `dtype` before a ternary kernel reads it: a 0-dim tensor of a wider
/// dtype takes part at the computed precision (ASGD's float32 step size
/// `eta` in a float16 `addcmul_` is first rounded to float16; observed in
/// torch 2.15). Values already of `dtype` are unchanged; float64 and
/// integer computations are left alone.
fn cast_inputs(dtype: DType, f: impl Fn(&[f64]) -> f64) -> impl Fn(&[f64]) -> f64 {
    let cast = matches!(dtype, DType::Float32 | DType::Float16 | DType::BFloat16);
    move |row: &[f64]| {
        if !cast || row.len() > 4 {
            return f(row);
        }
        let mut buf = [0.0f64; 4];
        for (slot, &v) in buf.iter_mut().zip(row) {
            *slot = super::common::round_to(dtype, v);
        }
        f(&buf[..row.len()])
    }
}

/// `self + value * t1 * t2` in the dtype's compute precision as
/// `fma(value * t1, t2, self)` (observed in torch 2.15: bitwise equal in
/// float32 and float64; integers: f64, exact below 2^53), the inputs cast
/// to the computed dtype first ([`cast_inputs`]). The CPU foreach
/// `addcmul` runs this kernel on each list element.
pub(crate) fn addcmul_formula(dtype: DType, value: f64) -> impl Fn(&[f64]) -> f64 {
    cast_inputs(
        dtype,
        opmath!(wide(dtype), |v: [T]| (value as T * v[1])
            .mul_add(v[2], v[0])),
    )
}

/// `self + value * t1 / t2` in the dtype's compute precision, left to
/// right, the inputs cast to the computed dtype first ([`cast_inputs`]).
/// The CPU foreach `addcdiv` runs this kernel on each list element.
pub(crate) fn addcdiv_formula(dtype: DType, value: f64) -> impl Fn(&[f64]) -> f64 {
    cast_inputs(
        dtype,
        opmath!(wide(dtype), |v: [T]| v[0] + value as T * v[1] / v[2]),
    )
}

/// `self + value * t1 * t2` of an integer `dtype`, exactly in wrapping
/// arithmetic (int64 beyond 2^53), `value` converted as PyTorch's
/// `Scalar::to<scalar_t>()`; `None` for other dtypes.
fn addcmul_int(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    dtype: DType,
) -> Result<Option<impl Fn(&[i64]) -> Result<i64>>> {
    if !dtype.is_integral(false) {
        return Ok(None);
    }
    let value = a.int_scalar(ctx.op, 3, dtype)?;
    Ok(Some(move |v: &[i64]| {
        Ok(v[0].wrapping_add(value.wrapping_mul(v[1]).wrapping_mul(v[2])))
    }))
}

/// `addcmul(self, tensor1, tensor2, *, value)`: `self + value * t1 * t2`.
pub(crate) fn addcmul(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (ops, value) = addc_parts(&a)?;
    let dtype = promoted(ctx, &ops);
    if let Some(f) = addcmul_int(ctx, &a, dtype)? {
        return one(nary_i64(ctx, &ops, dtype, f)?);
    }
    one(nary(ctx, &ops, dtype, addcmul_formula(dtype, value))?)
}

/// `addcmul_`.
pub(crate) fn addcmul_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let (ops, value) = addc_parts(&a)?;
    let dtype = promoted(ctx, &ops);
    if let Some(f) = addcmul_int(ctx, &a, dtype)? {
        nary_i64_(ctx, this, &ops, dtype, f)?;
        return one(this.clone());
    }
    nary_(ctx, this, &ops, dtype, addcmul_formula(dtype, value))?;
    one(this.clone())
}

/// `addcdiv(self, tensor1, tensor2, *, value)`: `self + value * t1 / t2`.
pub(crate) fn addcdiv(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (ops, value) = addc_parts(&a)?;
    refuse_integer_addcdiv(ctx, &ops)?;
    let dtype = promoted(ctx, &ops);
    one(nary(ctx, &ops, dtype, addcdiv_formula(dtype, value))?)
}

/// `addcdiv_`.
pub(crate) fn addcdiv_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let this = a.tensor(0)?;
    let (ops, value) = addc_parts(&a)?;
    refuse_integer_addcdiv(ctx, &ops)?;
    let dtype = promoted(ctx, &ops);
    nary_(ctx, this, &ops, dtype, addcdiv_formula(dtype, value))?;
    one(this.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_division_and_remainder_follow_python() {
        assert_eq!(floor_div_f64(7.0, -2.0), -4.0);
        assert_eq!(floor_div_f64(-7.0, 2.0), -4.0);
        assert_eq!(floor_div_i64(-7, 2), -4);
        assert_eq!(floor_div_i64(7, 2), 3);
        assert_eq!(remainder_f64(-1.0, 3.0), 2.0);
        assert_eq!(remainder_f64(1.0, -3.0), -2.0);
    }

    #[test]
    fn integer_powers_wrap_and_handle_negative_exponents() {
        assert_eq!(pow_i64(2, 10), 1024);
        assert_eq!(pow_i64(-1, -3), -1);
        assert_eq!(pow_i64(5, -1), 0);
    }

    fn int_tensor(dtype: DType, values: &[f64]) -> Tensor {
        let shape = [values.len() as i64];
        Tensor::from_f64(
            "test",
            &shape,
            &crate::tensor::strides::contiguous_strides(&shape),
            dtype,
            values,
        )
        .expect("tensor")
    }

    fn run(op: &str, args: Vec<IValue>) -> Result<Vec<IValue>> {
        crate::runtime::Runtime::new().call(op, args)
    }

    fn values(op: &str, args: Vec<IValue>) -> (DType, Vec<i64>) {
        let t = run(op, args)
            .expect("call")
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor");
        (t.dtype(), t.read_i64("test").expect("values"))
    }

    #[test]
    fn integer_division_casts_numbers_to_the_tensor_dtype() {
        // Measured in torch 2.15: uint8 [10, 200] // -7 is [0, 0] (-7 is
        // 249), % -7 and fmod by -7 leave [10, 200]; % tensor(300) divides
        // by 44 and stays uint8.
        let u = || int_tensor(DType::UInt8, &[10.0, 200.0]).into();
        let by = |op: &str, other: IValue| values(op, vec![u(), other]);
        assert_eq!(
            by("aten.floor_divide.Scalar", IValue::Int(-7)),
            (DType::UInt8, vec![0, 0])
        );
        assert_eq!(
            by("aten.remainder.Scalar", IValue::Int(-7)),
            (DType::UInt8, vec![10, 200])
        );
        assert_eq!(
            by("aten.fmod.Scalar", IValue::Int(-7)),
            (DType::UInt8, vec![10, 200])
        );
        let wide = Tensor::from_f64("test", &[], &[], DType::Int64, &[300.0]).expect("0-dim");
        assert_eq!(
            by("aten.remainder.Tensor", wide.into()),
            (DType::UInt8, vec![10, 24])
        );
        // int8 keeps Python's floor semantics once the number fits.
        let s = int_tensor(DType::Int8, &[-128.0, -7.0, 7.0]);
        assert_eq!(
            values(
                "aten.floor_divide.Scalar",
                vec![s.clone().into(), IValue::Int(-3)]
            ),
            (DType::Int8, vec![42, 2, -3])
        );
        assert_eq!(
            values("aten.remainder.Scalar", vec![s.into(), IValue::Int(-3)]),
            (DType::Int8, vec![-2, -1, -2])
        );
    }

    fn f64_values(op: &str, args: Vec<IValue>) -> Vec<f64> {
        run(op, args)
            .expect("call")
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor")
            .read_f64("test")
            .expect("values")
    }

    #[test]
    fn a_number_added_to_half_is_rounded_to_half_first() {
        // Measured in torch 2.15: half(-0.0012235641479492188) + 0.001 is
        // -0.0002231597900390625 (0.001 taken as half(0.001)); the exact
        // sum rounds to -0.00022351741790771484.
        let x = || int_tensor(DType::Float16, &[-0.0012235641479492188]).into();
        let sum = f64_values("aten.add.Tensor", vec![x(), IValue::Float(0.001)]);
        assert_eq!(sum, vec![-0.0002231597900390625]);
        let diff = f64_values("aten.sub.Tensor", vec![x(), IValue::Float(-0.001)]);
        assert_eq!(diff, vec![-0.0002231597900390625]);
        let r = f64_values("aten.rsub.Scalar", vec![x(), IValue::Float(-0.001)]);
        assert_eq!(r, vec![0.0002231597900390625]);
    }

    #[test]
    fn bool_subtraction_and_integer_mean_are_not_implemented_errors() {
        // torch 2.15 raises NotImplementedError for both.
        let b = int_tensor(DType::Bool, &[1.0, 0.0]);
        let err = run("aten.sub.Tensor", vec![b.clone().into(), b.clone().into()])
            .expect_err("bool - bool");
        assert_eq!(err.python_class(), "NotImplementedError");
        // one bool operand: another message, whatever the result type
        for (op, args) in [
            ("aten.rsub.Scalar", vec![b.clone().into(), IValue::Int(1)]),
            (
                "aten.sub.Tensor",
                vec![
                    int_tensor(DType::Int64, &[1.0, 2.0]).into(),
                    b.clone().into(),
                ],
            ),
            (
                "aten.sub.Scalar",
                vec![
                    int_tensor(DType::Float32, &[1.0, 2.0]).into(),
                    IValue::Bool(true),
                ],
            ),
        ] {
            let err = run(op, args).expect_err("a bool operand");
            assert_eq!(err.python_class(), "NotImplementedError");
            assert!(
                err.python_message()
                    .contains("with a bool tensor is not supported")
            );
        }
        let err = run("aten.neg.default", vec![b.into()]).expect_err("-bool");
        assert_eq!(err.python_class(), "NotImplementedError");
        let i = int_tensor(DType::Int64, &[1.0, 2.0]);
        let err = run("aten.mean.default", vec![i.clone().into()]).expect_err("mean of ints");
        assert_eq!(err.python_class(), "NotImplementedError");
        let err = run("aten.var.correction", vec![i.into()]).expect_err("var of ints");
        assert_eq!(err.python_class(), "NotImplementedError");
    }

    #[test]
    fn bfloat16_cube_and_inverse_square_round_each_product() {
        // Measured in torch 2.15: bfloat16 1.0390625 ** 3 is 1.1171875 (the
        // correctly rounded cube is 1.125); 1.0234375 ** -2 is 0.95703125
        // (correctly rounded: 0.953125).
        assert_eq!(
            ProductPower::Cube(DType::BFloat16).apply(1.0390625),
            1.1171875
        );
        assert_eq!(
            ProductPower::Cube(DType::BFloat16).apply(1.078125),
            1.2578125
        );
        assert_eq!(
            ProductPower::InverseSquare(DType::BFloat16).apply(1.0234375),
            0.95703125
        );
        assert_eq!(
            ProductPower::InverseSquare(DType::BFloat16).apply(1.0625),
            0.890625
        );
    }

    #[test]
    fn lerp_hits_the_end_points() {
        let f = lerp_formula(DType::Float64);
        assert_eq!(f(&[1.0, 3.0, 1.0]), 3.0);
        assert_eq!(f(&[1.0, 3.0, 0.0]), 1.0);
    }
}
