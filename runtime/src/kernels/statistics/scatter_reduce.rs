//! Scatter and index reductions: `scatter_reduce.two` (`sum`, `prod`,
//! `mean`, `amax`, `amin`; `include_self`), `index_reduce` (`prod`, `mean`,
//! `amax`, `amin`; `include_self`) and the older `scatter.reduce` /
//! `scatter.value_reduce` (`add`, `multiply`).
//!
//! As PyTorch's CPU kernels (torch 2.15): the result starts as a copy of
//! `self`; without `include_self` every destination that receives a value
//! is first set to the reduction's identity (0, 1, the lowest or the
//! highest value); contributions are folded in one at a time in the
//! index's logical order, each step rounded to the dtype (float16 and
//! bfloat16 sums, means and products of the scatter reductions are carried
//! in float32 and rounded to the dtype once, before `mean` divides); `amax`/`amin`
//! propagate NaN from either side; `mean` divides the sum by the number of
//! contributions (plus one for `self`, zero counts read as one), with floor
//! division for integers. The result is contiguous. Integer dtypes fold in
//! wrapping i64 arithmetic wrapped to their width after every step
//! ([`reduce_routes_int`]), exact beyond 2^53, and a Python int `value`
//! is taken exactly.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::indexing::Elems;
use crate::kernels::reduction::dims::wrap;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value;
use crate::tensor::strides::contiguous_strides;

/// A reduction of scattered values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reduce {
    Sum,
    Prod,
    Mean,
    Amax,
    Amin,
}

impl Reduce {
    /// The identity a destination starts from without `include_self`.
    fn identity(self, dtype: DType) -> f64 {
        match self {
            Reduce::Sum | Reduce::Mean => 0.0,
            Reduce::Prod => 1.0,
            Reduce::Amax => lowest(dtype),
            Reduce::Amin => -lowest(dtype),
        }
    }

    /// `acc` with `x` folded in.
    fn fold(self, acc: f64, x: f64) -> f64 {
        match self {
            Reduce::Sum | Reduce::Mean => acc + x,
            Reduce::Prod => acc * x,
            // std::max(acc, x) after a NaN check of x: a NaN acc stays.
            Reduce::Amax if x.is_nan() => x,
            Reduce::Amin if x.is_nan() => x,
            Reduce::Amax => {
                if acc < x {
                    x
                } else {
                    acc
                }
            }
            Reduce::Amin => {
                if x < acc {
                    x
                } else {
                    acc
                }
            }
        }
    }
}

/// The most negative value of `dtype` (`-inf` for floating dtypes).
fn lowest(dtype: DType) -> f64 {
    match dtype {
        DType::Int64 => i64::MIN as f64,
        DType::Int32 => f64::from(i32::MIN),
        DType::Int16 => f64::from(i16::MIN),
        DType::Int8 => f64::from(i8::MIN),
        DType::UInt8 | DType::Bool => 0.0,
        _ => f64::NEG_INFINITY,
    }
}

/// `ravel(unravel(p, from), strides)` with coordinate `dim` replaced.
fn coords(mut p: usize, shape: &[i64]) -> Vec<usize> {
    let mut c = vec![0usize; shape.len()];
    for (slot, &s) in c.iter_mut().zip(shape).rev() {
        let s = s.max(1) as usize;
        *slot = p % s;
        p /= s;
    }
    c
}

fn ravel(c: &[usize], strides: &[i64]) -> usize {
    c.iter().zip(strides).map(|(&i, &s)| i * s as usize).sum()
}

/// One contribution: destination position in `self`, source position.
type Route = (usize, usize);

/// The reduced elements: `values` (self's, logical order) after folding
/// `src[from]` into `values[to]` for every route.
fn reduce_routes(
    values: &mut [f64],
    src: &[f64],
    routes: &[Route],
    reduce: Reduce,
    include_self: bool,
    dtype: DType,
) {
    reduce_routes_in(values, src, routes, reduce, include_self, dtype, dtype);
}

/// [`reduce_routes`] with every step rounded to `acc` (the dtype the sums
/// and products are carried in) and each reached destination rounded to
/// `dtype` once at the end, before `mean` divides it in `dtype`.
fn reduce_routes_in(
    values: &mut [f64],
    src: &[f64],
    routes: &[Route],
    reduce: Reduce,
    include_self: bool,
    dtype: DType,
    acc: DType,
) {
    let round = |v: f64| cast_value(dtype, v);
    let mut count = vec![if include_self { 1u64 } else { 0 }; values.len()];
    if !include_self {
        for &(to, _) in routes {
            values[to] = reduce.identity(dtype);
        }
    }
    for &(to, from) in routes {
        values[to] = cast_value(acc, reduce.fold(values[to], src[from]));
        count[to] += 1;
    }
    if acc != dtype {
        for &(to, _) in routes {
            values[to] = round(values[to]);
        }
    }
    if reduce == Reduce::Mean {
        for (v, &n) in values.iter_mut().zip(&count) {
            let n = n.max(1) as f64;
            *v = if dtype.is_floating() {
                round(*v / n)
            } else {
                (*v / n).floor()
            };
        }
    }
}

/// `v` wrapped to the width of the integer `dtype` (C++'s conversion of
/// the wider result back to `scalar_t`).
fn wrap_to(dtype: DType, v: i64) -> i64 {
    match dtype {
        DType::Int32 => i64::from(v as i32),
        DType::Int16 => i64::from(v as i16),
        DType::Int8 => i64::from(v as i8),
        DType::UInt8 => i64::from(v as u8),
        _ => v,
    }
}

/// [`reduce_routes`] on integer elements (`dtype` not bool) in exact
/// wrapping arithmetic, each step wrapped to `dtype`'s width as PyTorch's
/// integer kernels store it (int64 values beyond 2^53 stay exact, int32
/// products wrap).
fn reduce_routes_int(
    values: &mut [i64],
    src: &[i64],
    routes: &[Route],
    reduce: Reduce,
    include_self: bool,
    dtype: DType,
) {
    let mut count = vec![if include_self { 1i64 } else { 0 }; values.len()];
    if !include_self {
        let identity = match reduce {
            Reduce::Sum | Reduce::Mean => 0,
            Reduce::Prod => 1,
            Reduce::Amax => i64::MIN,
            Reduce::Amin => i64::MAX,
        };
        for &(to, _) in routes {
            values[to] = identity;
        }
    }
    for &(to, from) in routes {
        let (acc, x) = (values[to], src[from]);
        values[to] = wrap_to(
            dtype,
            match reduce {
                Reduce::Sum | Reduce::Mean => acc.wrapping_add(x),
                Reduce::Prod => acc.wrapping_mul(x),
                Reduce::Amax => acc.max(x),
                Reduce::Amin => acc.min(x),
            },
        );
        count[to] += 1;
    }
    if reduce == Reduce::Mean {
        for (v, &n) in values.iter_mut().zip(&count) {
            *v = v.div_euclid(n.max(1));
        }
    }
}

/// The routes of a scatter along `d`: index position `c` sends
/// `src[c]` to `self[c with c[d] = index[c]]`.
fn scatter_routes(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    d: usize,
    index: &Tensor,
    src_shape: Option<&[i64]>,
) -> Result<Vec<Route>> {
    let idx = index.read_i64(ctx.op)?;
    let self_strides = contiguous_strides(this.shape());
    let src_strides = src_shape.map(contiguous_strides);
    let size = this.shape().get(d).copied().unwrap_or(1);
    idx.iter()
        .enumerate()
        .map(|(p, &i)| {
            // A 0-dim index is a 1-element vector (PyTorch's
            // `ensure_nonempty_dim`): its coordinate along `d` is its value.
            let index_shape: &[i64] = if index.dim() == 0 && !ctx.faults.scatter_0d_index_at_origin
            {
                &[1]
            } else {
                index.shape()
            };
            let mut c = coords(p, index_shape);
            let from = src_strides.as_ref().map_or(0, |s| ravel(&c, s));
            if !(0..size).contains(&i) {
                return Err(RuntimeError::shape(
                    ctx.op,
                    format!("index {i} is out of bounds for dimension {d} with size {size}"),
                ));
            }
            if let Some(slot) = c.get_mut(d) {
                *slot = i as usize;
            }
            Ok((ravel(&c, &self_strides), from))
        })
        .collect()
}

/// Rank and size checks of a scatter: `index` no larger than `self` apart
/// from `dim`, and no larger than `src`.
fn check_scatter_shapes(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    d: usize,
    index: &Tensor,
    src: Option<&Tensor>,
) -> Result<()> {
    if index.numel() == 0 {
        return Ok(());
    }
    let rank = |t: &Tensor| t.dim().max(1);
    if rank(index) != rank(this) || src.is_some_and(|s| rank(s) != rank(index)) {
        return Err(RuntimeError::shape(
            ctx.op,
            "Index tensor must have the same number of dimensions as self tensor",
        ));
    }
    let size = |t: &Tensor, k: usize| t.shape().get(k).copied().unwrap_or(1);
    for k in 0..rank(index) {
        if (k != d && size(index, k) > size(this, k))
            || src.is_some_and(|s| size(index, k) > size(s, k))
        {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "Size does not match at dimension {k} expected index {:?} to be no larger \
                     than self {:?} apart from dimension {d} and to be no larger size than src {:?}",
                    index.shape(),
                    this.shape(),
                    src.map(|s| s.shape().to_vec()).unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

/// The scattered value: a double for a floating `self`, the exact
/// element of an integer one (PyTorch's `Scalar::to<scalar_t>()`).
#[derive(Clone, Copy, Debug)]
enum Value {
    Float(f64),
    Int(i64),
}

impl Value {
    fn of(ctx: &KernelCtx<'_>, a: &Args<'_>, i: usize) -> Result<Value> {
        let dtype = a.tensor(0)?.dtype();
        if dtype.is_integral(false) {
            return Ok(Value::Int(a.int_scalar(ctx.op, i, dtype)?));
        }
        Ok(Value::Float(a.scalar(i)?))
    }

    fn float(self) -> f64 {
        match self {
            Value::Float(v) => v,
            Value::Int(v) => v as f64,
        }
    }

    fn int(self, dtype: DType) -> i64 {
        match self {
            Value::Int(v) => wrap_to(dtype, v),
            Value::Float(v) => cast_value(dtype, v) as i64,
        }
    }
}

/// A scatter reduction of `src` (or one value) into a copy of `self`.
fn scatter_reduced(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    source: Result<&Tensor, Value>,
    reduce: Reduce,
    include_self: bool,
) -> Result<Vec<IValue>> {
    let (this, index) = (a.tensor(0)?, a.tensor(2)?);
    ctx.check(this, "self")?;
    ctx.check(index, "index")?;
    crate::kernels::indexing::check_gather_index(ctx, index, "scatter")?;
    let d = wrap(ctx.op, a.int(1)?, this.dim())?;
    if let Ok(src) = source {
        ctx.check(src, "src")?;
        if src.dtype() != this.dtype() {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "scatter(): Expected self.dtype to be equal to src.dtype, but got {} and {}",
                    this.dtype().name(),
                    src.dtype().name()
                ),
            ));
        }
    }
    check_scatter_shapes(ctx, this, d, index, source.ok())?;
    let shape = this.shape().to_vec();
    let dtype = this.dtype();
    if dtype.is_integral(false) {
        let out = ctx.output_i64(&shape, &contiguous_strides(&shape), dtype, || {
            let mut values = this.read_i64(ctx.op)?;
            let (src, src_shape) = match source {
                Ok(s) => (s.read_i64(ctx.op)?, Some(s.shape())),
                Err(v) => (vec![v.int(dtype)], None),
            };
            let routes = scatter_routes(ctx, this, d, index, src_shape)?;
            reduce_routes_int(&mut values, &src, &routes, reduce, include_self, dtype);
            Ok(values)
        })?;
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let mut values = this.read_f64(ctx.op)?;
        let (src, src_shape) = match source {
            Ok(s) => (s.read_f64(ctx.op)?, Some(s.shape())),
            Err(v) => (vec![cast_value(dtype, v.float())], None),
        };
        let routes = scatter_routes(ctx, this, d, index, src_shape)?;
        // float16/bfloat16 sums, means and products are carried in float32
        // (torch 2.15 CPU, `scatter_reduce.two` and the legacy
        // `scatter.reduce` alike: one rounding to the dtype at the end).
        let acc = if matches!(dtype, DType::Float16 | DType::BFloat16)
            && matches!(reduce, Reduce::Sum | Reduce::Mean | Reduce::Prod)
            && !ctx.faults.scatter_reduce_half_steps_rounded
        {
            DType::Float32
        } else {
            dtype
        };
        reduce_routes_in(&mut values, &src, &routes, reduce, include_self, dtype, acc);
        Ok(values)
    })?;
    Ok(vec![out.into()])
}

fn reduce_arg<'a>(a: &Args<'a>, i: usize) -> Option<&'a str> {
    match a.values.get(i) {
        Some(IValue::Str(s)) => Some(s.as_str()),
        _ => None,
    }
}

/// `scatter_reduce.two(self, dim, index, src, reduce, *, include_self=True)`.
pub(crate) fn scatter_reduce_two(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let reduce = match reduce_arg(&a, 4) {
        Some("sum") => Reduce::Sum,
        Some("prod") => Reduce::Prod,
        Some("mean") => Reduce::Mean,
        Some("amax") => Reduce::Amax,
        Some("amin") => Reduce::Amin,
        other => {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "reduce argument must be either sum, prod, mean, amax or amin, got {}",
                    other.unwrap_or("")
                ),
            ));
        }
    };
    let src = a.tensor(3)?;
    scatter_reduced(ctx, &a, Ok(src), reduce, a.bool(5)?)
}

/// `add` / `multiply` of `scatter.reduce` and `scatter.value_reduce`.
fn legacy_reduce(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<Reduce> {
    match reduce_arg(a, 4) {
        Some("add") => Ok(Reduce::Sum),
        Some("multiply") => Ok(Reduce::Prod),
        _ => Err(RuntimeError::shape(
            ctx.op,
            "reduce argument must be either add or multiply.",
        )),
    }
}

/// `scatter.reduce(self, dim, index, src, *, reduce)`.
pub(crate) fn scatter_reduce_src(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let reduce = legacy_reduce(ctx, &a)?;
    scatter_reduced(ctx, &a, Ok(a.tensor(3)?), reduce, true)
}

/// `scatter.value_reduce(self, dim, index, value, *, reduce)`.
pub(crate) fn scatter_reduce_value(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let reduce = legacy_reduce(ctx, &a)?;
    scatter_reduced(ctx, &a, Err(Value::of(ctx, &a, 3)?), reduce, true)
}

/// `self` overwritten with the result of an out-of-place kernel (the
/// in-place overloads `scatter_.reduce`, `scatter_.value_reduce`,
/// `index_reduce_`).
fn into_self(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
    kernel: fn(&mut KernelCtx<'_>, Args<'_>) -> Result<Vec<IValue>>,
) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?.clone();
    let out = kernel(ctx, a)?;
    if let Some(IValue::Tensor(result)) = out.first() {
        crate::kernels::indexing::write(ctx, &this, || Elems::read(ctx.op, result))?;
    }
    Ok(vec![this.into()])
}

/// `scatter_reduce_.two(self, dim, index, src, reduce, *, include_self=True)`.
pub(crate) fn scatter_reduce_two_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    into_self(ctx, a, scatter_reduce_two)
}

/// `scatter_.reduce(self, dim, index, src, *, reduce)`.
pub(crate) fn scatter_reduce_src_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    into_self(ctx, a, scatter_reduce_src)
}

/// `scatter_.value_reduce(self, dim, index, value, *, reduce)`.
pub(crate) fn scatter_reduce_value_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    into_self(ctx, a, scatter_reduce_value)
}

/// `index_reduce_(self, dim, index, source, reduce, *, include_self=True)`.
pub(crate) fn index_reduce_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    into_self(ctx, a, index_reduce)
}

/// `index_reduce(self, dim, index, source, reduce, *, include_self=True)`:
/// source slice `i` along `dim` is folded into self's slice `index[i]`.
pub(crate) fn index_reduce(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, index, source) = (a.tensor(0)?, a.tensor(2)?, a.tensor(3)?);
    ctx.check(this, "self")?;
    ctx.check(index, "index")?;
    ctx.check(source, "source")?;
    let reduce = match reduce_arg(&a, 4) {
        Some("prod") => Reduce::Prod,
        Some("mean") => Reduce::Mean,
        Some("amax") => Reduce::Amax,
        Some("amin") => Reduce::Amin,
        other => {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {}.",
                    other.unwrap_or("")
                ),
            ));
        }
    };
    let include_self = a.bool(5)?;
    let d = wrap(ctx.op, a.int(1)?, this.dim())?;
    if index.dim() > 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            "index_reduce_(): Index is supposed to be a vector",
        ));
    }
    if !matches!(index.dtype(), DType::Int64 | DType::Int32) {
        return Err(RuntimeError::shape(
            ctx.op,
            "index_reduce_(): Expected dtype int32/int64 for index",
        ));
    }
    if source.dtype() != this.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            "index_reduce_(): self and source must have the same scalar type",
        ));
    }
    let size = |t: &Tensor, k: usize| t.shape().get(k).copied().unwrap_or(1);
    if size(source, d) != index.numel() as i64 {
        return Err(RuntimeError::shape(
            ctx.op,
            "index_reduce_(): Number of indices should be equal to source.size(dim)",
        ));
    }
    let same_rest = source.dim().max(1) == this.dim().max(1)
        && (0..this.dim()).all(|k| k == d || size(source, k) == size(this, k));
    if !same_rest {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "source tensor shape must match self tensor shape, excluding the specified \
                 dimension. Got self.shape = {:?} source.shape = {:?}",
                this.shape(),
                source.shape()
            ),
        ));
    }
    let shape = this.shape().to_vec();
    let dtype = this.dtype();
    if dtype.is_integral(false) && !ctx.faults.integer_index_reduce_in_double {
        let out = ctx.output_i64(&shape, &contiguous_strides(&shape), dtype, || {
            let mut values = this.read_i64(ctx.op)?;
            let src = source.read_i64(ctx.op)?;
            let routes = index_routes(ctx, this, d, index, source)?;
            reduce_routes_int(&mut values, &src, &routes, reduce, include_self, dtype);
            Ok(values)
        })?;
        return Ok(vec![out.into()]);
    }
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let mut values = this.read_f64(ctx.op)?;
        let src = source.read_f64(ctx.op)?;
        let routes = index_routes(ctx, this, d, index, source)?;
        reduce_routes(&mut values, &src, &routes, reduce, include_self, dtype);
        Ok(values)
    })?;
    Ok(vec![out.into()])
}

/// The routes of `index_reduce` along `d`: source slice `i` goes to self's
/// slice `index[i]`, slice by slice (PyTorch folds whole slices in index
/// order).
fn index_routes(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    d: usize,
    index: &Tensor,
    source: &Tensor,
) -> Result<Vec<Route>> {
    let size = |t: &Tensor, k: usize| t.shape().get(k).copied().unwrap_or(1);
    let numel = source.numel();
    let idx = index.read_i64(ctx.op)?;
    let self_strides = contiguous_strides(this.shape());
    let limit = size(this, d);
    let mut routes = Vec::with_capacity(numel);
    let src_shape = source.shape();
    let per_slice: Vec<Vec<usize>> = {
        let mut slices = vec![Vec::new(); idx.len()];
        for p in 0..numel {
            let c = coords(p, src_shape);
            let i = c.get(d).copied().unwrap_or(0);
            if let Some(s) = slices.get_mut(i) {
                s.push(p);
            }
        }
        slices
    };
    for (i, positions) in per_slice.iter().enumerate() {
        let target = idx[i];
        if !(-limit..limit).contains(&target) {
            return Err(RuntimeError::index(
                ctx.op,
                format!("index {target} is out of bounds for dimension {d} with size {limit}"),
            ));
        }
        let target = if target < 0 { target + limit } else { target } as usize;
        for &p in positions {
            let mut c = coords(p, src_shape);
            if let Some(slot) = c.get_mut(d) {
                *slot = target;
            }
            routes.push((ravel(&c, &self_strides), p));
        }
    }
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_scatter_sums_are_carried_in_float32() {
        // torch 2.15: bfloat16 [1].scatter_reduce(0, [0, 0], [2^-8, 2^-8], "sum")
        // → 1.0078125 (rounding each step to bfloat16 would give 1.0).
        let src = [2f64.powi(-8); 2];
        let routes = [(0, 0), (0, 1)];
        let run = |acc| {
            let mut v = vec![1.0];
            reduce_routes_in(
                &mut v,
                &src,
                &routes,
                Reduce::Sum,
                true,
                DType::BFloat16,
                acc,
            );
            v
        };
        assert_eq!(run(DType::Float32), vec![1.0078125]);
        assert_eq!(run(DType::BFloat16), vec![1.0]);
    }

    #[test]
    fn reductions_fold_in_index_order_and_mean_counts_self() {
        // scatter_reduce(self=[10, 20], 0, [0, 1, 0], [1, 2, 3], r).
        let src = [1.0, 2.0, 3.0];
        let routes = [(0, 0), (1, 1), (0, 2)];
        let run = |r, include_self| {
            let mut v = vec![10.0, 20.0];
            reduce_routes(&mut v, &src, &routes, r, include_self, DType::Float64);
            v
        };
        assert_eq!(run(Reduce::Sum, true), vec![14.0, 22.0]);
        assert_eq!(run(Reduce::Sum, false), vec![4.0, 2.0]);
        assert_eq!(run(Reduce::Prod, true), vec![30.0, 40.0]);
        assert_eq!(run(Reduce::Mean, true), vec![14.0 / 3.0, 11.0]);
        assert_eq!(run(Reduce::Mean, false), vec![2.0, 2.0]);
        assert_eq!(run(Reduce::Amax, true), vec![10.0, 20.0]);
        assert_eq!(run(Reduce::Amax, false), vec![3.0, 2.0]);
        assert_eq!(run(Reduce::Amin, false), vec![1.0, 2.0]);
    }

    #[test]
    fn integer_folds_are_exact_and_wrap_in_the_width() {
        // int64 one apart beyond 2^53: amax tells them apart, prod wraps.
        let big = (1i64 << 53) + 1;
        let mut v = vec![0, 0];
        let routes = [(0, 0), (0, 1), (1, 2)];
        let src = [big, big - 1, i64::MAX];
        reduce_routes_int(&mut v, &src, &routes, Reduce::Amax, false, DType::Int64);
        assert_eq!(v, vec![big, i64::MAX]);
        let mut v = vec![3, 1];
        reduce_routes_int(&mut v, &src, &routes, Reduce::Prod, true, DType::Int64);
        assert_eq!(v[0], 3i64.wrapping_mul(big).wrapping_mul(big - 1));
        // int32: each step wraps to 32 bits, as the stored element does.
        let mut v = vec![i64::from(i32::MAX)];
        reduce_routes_int(&mut v, &[2], &[(0, 0)], Reduce::Sum, true, DType::Int32);
        assert_eq!(v, vec![i64::from(i32::MAX.wrapping_add(2))]);
        let mut v = vec![200];
        reduce_routes_int(&mut v, &[2], &[(0, 0)], Reduce::Prod, true, DType::UInt8);
        assert_eq!(v, vec![144]);
    }

    #[test]
    fn integer_mean_floors_and_nan_propagates() {
        let mut v = vec![0.0];
        reduce_routes(
            &mut v,
            &[-3.0, 0.0],
            &[(0, 0), (0, 1)],
            Reduce::Mean,
            false,
            DType::Int64,
        );
        assert_eq!(v, vec![-2.0]);
        let mut v = vec![1.0];
        reduce_routes(
            &mut v,
            &[f64::NAN, 5.0],
            &[(0, 0), (0, 1)],
            Reduce::Amax,
            true,
            DType::Float32,
        );
        assert!(v[0].is_nan());
    }
}
