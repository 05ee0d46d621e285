//! Comparison and logic kernels: `eq`/`ne`/`gt`/`ge`/`lt`/`le`, `logical_*`,
//! `bitwise_*` (integers and bool), `isnan`, `isinf`, `where` and
//! `masked_fill`.
//!
//! Comparisons compare in the operands' promoted dtype (observed in torch
//! 2.15: a half tensor compares with `half(0.1)`, not with 0.1) and produce
//! bool. `where` promotes its two value operands; `masked_fill` keeps
//! `self`'s dtype (the value is cast, `int.masked_fill(m, 2.5)` writes 2)
//! and its out-of-place result is contiguous.

use super::common::{
    broadcast_all, nary, nary_, nary_i64, nary_i64_, operand_dtype, promoted, round_to,
};
use crate::dispatch::args::{Args, Operand};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::iter::read_broadcast;
use crate::kernels::pointwise::unary;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

use std::cmp::Ordering;

type Out = Result<Vec<IValue>>;

fn bool_of(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// Which comparison.
#[derive(Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Cmp {
    /// The comparison for an ordering (`None`: a NaN was involved, only
    /// `ne` holds).
    fn holds(self, ord: Option<Ordering>) -> bool {
        match (self, ord) {
            (Cmp::Ne, None) => true,
            (_, None) => false,
            (Cmp::Eq, Some(o)) => o == Ordering::Equal,
            (Cmp::Ne, Some(o)) => o != Ordering::Equal,
            (Cmp::Gt, Some(o)) => o == Ordering::Greater,
            (Cmp::Ge, Some(o)) => o != Ordering::Less,
            (Cmp::Lt, Some(o)) => o == Ordering::Less,
            (Cmp::Le, Some(o)) => o != Ordering::Greater,
        }
    }
}

/// A comparison in the promoted dtype, giving bool; integers compare
/// exactly.
fn compare(ctx: &KernelCtx<'_>, a: &Args<'_>, cmp: Cmp) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let common = promoted(ctx, &ops);
    let out = if common.is_integral(false) {
        nary_i64(ctx, &ops, DType::Bool, |v| {
            Ok(i64::from(cmp.holds(Some(v[0].cmp(&v[1])))))
        })?
    } else {
        nary(ctx, &ops, DType::Bool, |v| {
            let (x, y) = (round_to(common, v[0]), round_to(common, v[1]));
            bool_of(cmp.holds(x.partial_cmp(&y)))
        })?
    };
    Ok(vec![out.into()])
}

/// `eq.Scalar` / `eq.Tensor`.
pub(crate) fn eq(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    compare(ctx, &a, Cmp::Eq)
}
/// `ne.Scalar` / `ne.Tensor`.
pub(crate) fn ne(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    compare(ctx, &a, Cmp::Ne)
}
/// `gt.Scalar` / `gt.Tensor`.
pub(crate) fn gt(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    compare(ctx, &a, Cmp::Gt)
}
/// `ge.Scalar` / `ge.Tensor`.
pub(crate) fn ge(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    compare(ctx, &a, Cmp::Ge)
}
/// `lt.Scalar` / `lt.Tensor`.
pub(crate) fn lt(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    compare(ctx, &a, Cmp::Lt)
}
/// `le.Scalar` / `le.Tensor`.
pub(crate) fn le(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    compare(ctx, &a, Cmp::Le)
}

/// `logical_and` / `logical_or` of two operands (nonzero is true), bool.
fn logical(ctx: &KernelCtx<'_>, a: &Args<'_>, f: fn(bool, bool) -> bool) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let out = nary(ctx, &ops, DType::Bool, |v| {
        bool_of(f(v[0] != 0.0, v[1] != 0.0))
    })?;
    Ok(vec![out.into()])
}

/// In place: the truth value is written in `self`'s dtype (1 or 0).
fn logical_(ctx: &KernelCtx<'_>, a: &Args<'_>, f: fn(bool, bool) -> bool) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    nary_(ctx, this, &ops, this.dtype(), |v| {
        bool_of(f(v[0] != 0.0, v[1] != 0.0))
    })?;
    Ok(vec![this.clone().into()])
}

/// `logical_and(self, other)`.
pub(crate) fn logical_and(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    logical(ctx, &a, |x, y| x && y)
}
/// `logical_and_(self, other)`.
pub(crate) fn logical_and_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    logical_(ctx, &a, |x, y| x && y)
}
/// `logical_or(self, other)`.
pub(crate) fn logical_or(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    logical(ctx, &a, |x, y| x || y)
}
/// `logical_or_(self, other)`.
pub(crate) fn logical_or_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    logical_(ctx, &a, |x, y| x || y)
}

/// `logical_not(self)`: bool.
pub(crate) fn logical_not(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    Ok(vec![
        unary(ctx, t, Some(DType::Bool), |x| bool_of(x == 0.0))?.into(),
    ])
}

/// `logical_not_(self)`.
pub(crate) fn logical_not_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    super::unary::write_map(ctx, t, |x| bool_of(x == 0.0))?;
    Ok(vec![t.clone().into()])
}

fn refuse_floating(ctx: &KernelCtx<'_>, dtype: DType) -> Result<()> {
    if dtype.is_floating() || dtype.is_complex() {
        // PyTorch's CPU kernel has no floating or complex instance (observed
        // in torch 2.15: `"bitwise_and_cpu" not implemented for 'Float'`,
        // the in-place forms naming the same kernel).
        let base = ctx.op.split('.').nth(1).unwrap_or(ctx.op);
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"{}_cpu\" not implemented for '{}'",
                base.trim_end_matches('_'),
                dtype.scalar_type_name()
            ),
        });
    }
    Ok(())
}

/// A bitwise operator on integers and bool (bool: the logical operator).
fn bitwise(ctx: &KernelCtx<'_>, a: &Args<'_>, f: fn(i64, i64) -> i64) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = promoted(ctx, &ops);
    refuse_floating(ctx, dtype)?;
    let out = nary_i64(ctx, &ops, dtype, |v| Ok(f(v[0], v[1])))?;
    Ok(vec![out.into()])
}

fn bitwise_(ctx: &KernelCtx<'_>, a: &Args<'_>, f: fn(i64, i64) -> i64) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let dtype = promoted(ctx, &ops);
    refuse_floating(ctx, dtype)?;
    nary_i64_(ctx, this, &ops, dtype, |v| Ok(f(v[0], v[1])))?;
    Ok(vec![this.clone().into()])
}

/// `bitwise_and.Tensor` / `.Scalar` (`mask & other`).
pub(crate) fn bitwise_and(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    bitwise(ctx, &a, |x, y| x & y)
}
/// `bitwise_and_.Tensor`.
pub(crate) fn bitwise_and_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    bitwise_(ctx, &a, |x, y| x & y)
}
/// `bitwise_or.Tensor` / `.Scalar`.
pub(crate) fn bitwise_or(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    bitwise(ctx, &a, |x, y| x | y)
}
/// `bitwise_or_.Tensor`.
pub(crate) fn bitwise_or_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    bitwise_(ctx, &a, |x, y| x | y)
}
/// `bitwise_xor.Tensor` / `.Scalar`.
pub(crate) fn bitwise_xor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    bitwise(ctx, &a, |x, y| x ^ y)
}
/// `bitwise_xor_.Tensor` / `.Scalar`.
pub(crate) fn bitwise_xor_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    bitwise_(ctx, &a, |x, y| x ^ y)
}

/// PyTorch's `calc_gcd`: Euclid on absolute values (wrapping, so
/// `gcd(i64::MIN, 0)` stays `i64::MIN` as in C++).
fn calc_gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.wrapping_abs(), b.wrapping_abs());
    while a != 0 {
        let c = a;
        a = b.wrapping_rem(a);
        b = c;
    }
    b
}

/// PyTorch's lcm: `|a / gcd * b|`, 0 when the gcd is.
fn calc_lcm(a: i64, b: i64) -> i64 {
    let g = calc_gcd(a, b);
    if g == 0 {
        0
    } else {
        a.wrapping_div(g).wrapping_mul(b).wrapping_abs()
    }
}

/// gcd and lcm are integer-only (bool included in the refusal).
fn refuse_bool(ctx: &KernelCtx<'_>, a: &Args<'_>, kernel: &str) -> Result<()> {
    let ops = [a.operand(0)?, a.operand(1)?];
    if promoted(ctx, &ops) == DType::Bool {
        return Err(RuntimeError::UnsupportedDtype {
            op: ctx.op.to_owned(),
            arg: kernel.into(),
            dtype: DType::Bool.scalar_type_name().into(),
        });
    }
    Ok(())
}

/// `gcd(self, other)`.
pub(crate) fn gcd(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    refuse_bool(ctx, &a, "gcd_cpu")?;
    bitwise(ctx, &a, calc_gcd)
}
/// `gcd_(self, other)`.
pub(crate) fn gcd_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    refuse_bool(ctx, &a, "gcd_cpu")?;
    bitwise_(ctx, &a, calc_gcd)
}
/// `lcm(self, other)`.
pub(crate) fn lcm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    refuse_bool(ctx, &a, "lcm_cpu")?;
    bitwise(ctx, &a, calc_lcm)
}
/// `lcm_(self, other)`.
pub(crate) fn lcm_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    refuse_bool(ctx, &a, "lcm_cpu")?;
    bitwise_(ctx, &a, calc_lcm)
}

/// Which way a shift goes.
#[derive(Clone, Copy)]
enum Shift {
    Left,
    Right,
}

/// The dtype a shift computes in, refusing floating and bool as PyTorch's
/// CPU kernels do (`"rshift_cpu" not implemented for 'Float'`).
fn shift_dtype(ctx: &KernelCtx<'_>, ops: &[Operand<'_>], way: Shift) -> Result<DType> {
    let dtype = promoted(ctx, ops);
    if dtype.is_integral(false) {
        return Ok(dtype);
    }
    let kernel = match way {
        Shift::Left => "lshift_cpu",
        Shift::Right => "rshift_cpu",
    };
    Err(RuntimeError::KernelDtype {
        op: ctx.op.to_owned(),
        message: format!(
            "\"{kernel}\" not implemented for '{}'",
            dtype.scalar_type_name()
        ),
    })
}

/// PyTorch's shift of one value of `dtype` (values held as i64, the
/// result wrapped into the dtype's width by the store). A left shift by a
/// count outside `[0, bits)` is 0, otherwise the bits of `a` moved up as
/// unsigned; a right shift by a count outside `[0, max)` is `a >> max`,
/// `max` being `bits - 1` for a signed type (the sign fills) and `bits`
/// for an unsigned one (0).
fn shift_fn(dtype: DType, way: Shift, no_sign_fill: bool) -> impl Fn(i64, i64) -> i64 {
    let bits = (dtype.element_size() * 8) as i64;
    let unsigned = dtype == DType::UInt8 || no_sign_fill;
    move |a, b| match way {
        Shift::Left if (0..bits).contains(&b) => ((a as u64) << b) as i64,
        Shift::Left => 0,
        Shift::Right => {
            let max = if unsigned { bits } else { bits - 1 };
            let count = if (0..max).contains(&b) { b } else { max };
            // `a` is the value sign-extended (zero-extended for uint8) to
            // 64 bits: its arithmetic shift is the narrow type's shift.
            if no_sign_fill {
                // A logical shift of the narrow type's bits.
                let mask = if bits == 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                };
                return (((a as u64) & mask).checked_shr(count as u32).unwrap_or(0)) as i64;
            }
            a >> count
        }
    }
}

fn shift(ctx: &KernelCtx<'_>, a: &Args<'_>, way: Shift) -> Out {
    let ops = [a.operand(0)?, a.operand(1)?];
    let dtype = shift_dtype(ctx, &ops, way)?;
    let f = shift_fn(dtype, way, ctx.faults.right_shift_without_sign_fill);
    let out = nary_i64(ctx, &ops, dtype, |v| Ok(f(v[0], v[1])))?;
    Ok(vec![out.into()])
}

fn shift_(ctx: &KernelCtx<'_>, a: &Args<'_>, way: Shift) -> Out {
    let this = a.tensor(0)?;
    let ops = [Operand::Tensor(this), a.operand(1)?];
    let dtype = shift_dtype(ctx, &ops, way)?;
    let f = shift_fn(dtype, way, ctx.faults.right_shift_without_sign_fill);
    nary_i64_(ctx, this, &ops, dtype, |v| Ok(f(v[0], v[1])))?;
    Ok(vec![this.clone().into()])
}

/// `__lshift__` / `bitwise_left_shift` (every overload): `self << other`.
pub(crate) fn left_shift(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    shift(ctx, &a, Shift::Left)
}
/// `__ilshift__` / `bitwise_left_shift_`.
pub(crate) fn left_shift_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    shift_(ctx, &a, Shift::Left)
}
/// `__rshift__` / `bitwise_right_shift` (every overload): `self >> other`.
pub(crate) fn right_shift(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    shift(ctx, &a, Shift::Right)
}
/// `__irshift__` / `bitwise_right_shift_`.
pub(crate) fn right_shift_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    shift_(ctx, &a, Shift::Right)
}

/// `bitwise_not(self)`: `~x` on integers, logical not on bool.
pub(crate) fn bitwise_not(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    refuse_floating(ctx, t.dtype())?;
    let ops = [Operand::Tensor(t)];
    let out = if t.dtype() == DType::Bool {
        nary_i64(ctx, &ops, DType::Bool, |v| Ok(i64::from(v[0] == 0)))?
    } else {
        nary_i64(ctx, &ops, t.dtype(), |v| Ok(!v[0]))?
    };
    Ok(vec![out.into()])
}

/// `bitwise_not_(self)`.
pub(crate) fn bitwise_not_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    refuse_floating(ctx, t.dtype())?;
    let ops = [Operand::Tensor(t)];
    if t.dtype() == DType::Bool {
        nary_i64_(ctx, t, &ops, DType::Bool, |v| Ok(i64::from(v[0] == 0)))?;
    } else {
        nary_i64_(ctx, t, &ops, t.dtype(), |v| Ok(!v[0]))?;
    }
    Ok(vec![t.clone().into()])
}

/// `isnan(self)`.
pub(crate) fn isnan(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    Ok(vec![
        unary(ctx, t, Some(DType::Bool), |x| bool_of(x.is_nan()))?.into(),
    ])
}

/// `isinf(self)`.
pub(crate) fn isinf(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let t = a.tensor(0)?;
    Ok(vec![
        unary(ctx, t, Some(DType::Bool), |x| bool_of(x.is_infinite()))?.into(),
    ])
}

fn check_bool_condition(ctx: &KernelCtx<'_>, t: &Tensor) -> Result<()> {
    if !matches!(t.dtype(), DType::Bool | DType::UInt8) {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "where expected condition to be a boolean tensor, but got a tensor with dtype {}",
                t.dtype().scalar_type_name()
            ),
        });
    }
    Ok(())
}

/// `where.self(condition, self, other)`: the promoted dtype of `self` and
/// `other`; the layout follows condition, self, other in that order.
pub(crate) fn where_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let cond = a.tensor(0)?;
    check_bool_condition(ctx, cond)?;
    let (x, y) = (a.operand(1)?, a.operand(2)?);
    let dtype = promoted(ctx, &[x, y]);
    let ops = [Operand::Tensor(cond), x, y];
    let out = if dtype.is_integral(false) {
        nary_i64(ctx, &ops, dtype, |v| {
            Ok(if v[0] != 0 { v[1] } else { v[2] })
        })?
    } else {
        nary(ctx, &ops, dtype, |v| if v[0] != 0.0 { v[1] } else { v[2] })?
    };
    Ok(vec![out.into()])
}

fn check_mask(ctx: &KernelCtx<'_>, mask: &Tensor) -> Result<()> {
    if mask.dtype() != DType::Bool {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "masked_fill_ only supports boolean masks, but got mask with dtype {}",
                mask.dtype().type_meta_name()
            ),
        });
    }
    Ok(())
}

/// The fill value of `masked_fill.Scalar` / `.Tensor` (a 0-dim tensor).
/// A `masked_fill` value: as a double, and exactly when it is an integer
/// (a Python int or an integer tensor's element; int64 beyond 2^53 fills
/// an integer tensor exactly).
#[derive(Clone, Copy)]
struct FillValue {
    float: f64,
    int: Option<i64>,
}

fn fill_value(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<FillValue> {
    if let Some(v) = a.exact_int(2)? {
        return Ok(FillValue {
            float: v as f64,
            int: Some(v),
        });
    }
    if let Some(IValue::Tensor(v)) = a.values.get(2)
        && v.dtype().is_integral(true)
        && v.dim() == 0
        && ctx.has_data()
    {
        ctx.check(v, "value")?;
        let int = v.read_i64(ctx.op)?.first().copied();
        return Ok(FillValue {
            float: fill_value_float(ctx, a)?,
            int,
        });
    }
    Ok(FillValue {
        float: fill_value_float(ctx, a)?,
        int: None,
    })
}

fn fill_value_float(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<f64> {
    match a.values.get(2) {
        Some(IValue::Tensor(v)) => {
            if v.dim() != 0 {
                return Err(RuntimeError::shape(
                    ctx.op,
                    format!(
                        "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                        v.dim()
                    ),
                ));
            }
            ctx.check(v, "value")?;
            if !ctx.has_data() {
                return Ok(0.0);
            }
            v.read_f64(ctx.op)?
                .first()
                .copied()
                .ok_or_else(|| RuntimeError::shape(ctx.op, "empty value tensor"))
        }
        _ => a.scalar(2),
    }
}

/// Writes `value` where `mask` (broadcast to `this`) is true.
fn fill_masked(ctx: &KernelCtx<'_>, this: &Tensor, mask: &Tensor, fill: FillValue) -> Result<()> {
    if !ctx.has_data() {
        return Ok(());
    }
    let value = fill.float;
    let m = read_broadcast(ctx.op, mask, this.shape())?;
    if this.dtype().is_integral(true) {
        let v = fill.int.unwrap_or(value as i64);
        let mut x = this.read_i64(ctx.op)?;
        for (x, &m) in x.iter_mut().zip(&m) {
            if m != 0.0 {
                *x = v;
            }
        }
        this.write_i64(ctx.op, &x)
    } else {
        let mut x = this.read_f64(ctx.op)?;
        for (x, &m) in x.iter_mut().zip(&m) {
            if m != 0.0 {
                *x = value;
            }
        }
        this.write_f64(ctx.op, &x)
    }
}

/// `masked_fill_.Scalar(self, mask, value)` / `.Tensor`.
pub(crate) fn masked_fill_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (this, mask) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(this, "self")?;
    ctx.check(mask, "mask")?;
    check_mask(ctx, mask)?;
    let shape = broadcast_all(ctx.op, &[Operand::Tensor(this), Operand::Tensor(mask)])?;
    if shape != this.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "output with shape {:?} doesn't match the broadcast shape {shape:?}",
                this.shape()
            ),
        ));
    }
    let value = fill_value(ctx, &a)?;
    fill_masked(ctx, this, mask, value)?;
    Ok(vec![this.clone().into()])
}

/// `masked_fill.Scalar(self, mask, value)` / `.Tensor`: a contiguous copy
/// of `self` (broadcast with `mask`) with `value` where `mask` is true.
pub(crate) fn masked_fill(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    let (this, mask) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(this, "self")?;
    ctx.check(mask, "mask")?;
    check_mask(ctx, mask)?;
    // The mask comes first in PyTorch's broadcast error (observed in torch
    // 2.15: "The size of tensor a (2) ..." for a [2] mask on [2, 3]).
    let shape = broadcast_all(ctx.op, &[Operand::Tensor(mask), Operand::Tensor(this)])?;
    let value = fill_value(ctx, &a)?;
    let strides = contiguous_strides(&shape);
    let dtype = operand_dtype(&Operand::Tensor(this));
    let out = if dtype.is_integral(true) {
        ctx.output_i64(&shape, &strides, dtype, || {
            crate::kernels::iter::broadcast_view(ctx.op, this, &shape)?.read_i64(ctx.op)
        })?
    } else {
        ctx.output(&shape, &strides, dtype, || {
            read_broadcast(ctx.op, this, &shape)
        })?
    };
    fill_masked(ctx, &out, mask, value)?;
    Ok(vec![out.into()])
}

/// `logical_xor(self, other)`.
pub(crate) fn logical_xor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Out {
    logical(ctx, &a, |x, y| x != y)
}
