//! Index-along-a-dimension kernels: `gather`, `scatter` (`src` / `value`,
//! out-of-place and in-place), `scatter_add(_)`, `index_select`,
//! `index_add(_)`, `index_copy(_)`, `index_fill(_)` (what `x[idx] = number`
//! dispatches).
//!
//! For `gather`/`scatter` along `dim` the index tensor has `self`'s rank
//! and names, for each of its positions `c`, the coordinate along `dim`:
//! gather reads out[c] = self[c with c[dim] = index[c]], scatter writes
//! self[c with c[dim] = index[c]] = src[c] (later positions win; `add`
//! accumulates).

use super::coords::{ravel, strides, unravel};
use super::{Elems, index_values, output};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::view::wrap;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

use super::elems::write;

/// `i` as a coordinate along `d` of size `size`: gather, scatter and
/// index_select take no negative indices.
fn wrap_index(op: &str, i: i64, d: usize, size: i64) -> Result<usize> {
    if (0..size).contains(&i) {
        Ok(i as usize)
    } else {
        Err(RuntimeError::shape(
            op,
            format!("index {i} is out of bounds for dimension {d} with size {size}"),
        ))
    }
}

/// Rank and size checks of gather/scatter: `index` no larger than `self`
/// apart from `dim` (and no larger than `src` anywhere).
fn check_index_shape(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    d: usize,
    index: &Tensor,
    src: Option<&Tensor>,
) -> Result<()> {
    let rank = |t: &Tensor| t.dim().max(1);
    if index.numel() == 0 {
        return Ok(());
    }
    if rank(index) != rank(this) || src.is_some_and(|s| rank(s) != rank(index)) {
        return Err(RuntimeError::shape(
            ctx.op,
            "Index tensor must have the same number of dimensions as input tensor",
        ));
    }
    let size = |t: &Tensor, k: usize| t.shape().get(k).copied().unwrap_or(1);
    for k in 0..rank(index) {
        let too_big_self = k != d && size(index, k) > size(this, k);
        let too_big_src = src.is_some_and(|s| size(index, k) > size(s, k));
        if too_big_self || too_big_src {
            return Err(RuntimeError::shape(
                ctx.op,
                format!(
                    "Size does not match at dimension {k} expected index {:?} to be no larger \
                     than self {:?} apart from dimension {d}",
                    index.shape(),
                    this.shape()
                ),
            ));
        }
    }
    Ok(())
}

/// `shape`, or `[1]` for a 0-dim tensor: gather and scatter take a 0-dim
/// `self`, `index` or `src` as a 1-element vector (PyTorch's
/// `ensure_nonempty_dim`), so a 0-dim index still names a coordinate
/// along `dim`.
fn nonempty<'a>(ctx: &KernelCtx<'_>, shape: &'a [i64]) -> &'a [i64] {
    if shape.is_empty() && !ctx.faults.scatter_0d_index_at_origin {
        &[1]
    } else {
        shape
    }
}

/// `gather(self, dim, index, *, sparse_grad=False)`.
pub(crate) fn gather(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, index) = (a.tensor(0)?, a.tensor(2)?);
    ctx.check(this, "self")?;
    ctx.check(index, "index")?;
    crate::kernels::indexing::check_gather_index(ctx, index, "gather")?;
    let d = wrap(ctx.op, a.int(1)?, this.dim())?;
    check_index_shape(ctx, this, d, index, None)?;
    let shape = index.shape().to_vec();
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        this.dtype(),
        || {
            let src = Elems::read(ctx.op, this)?;
            let idx = index_values(ctx, index, "gather")?;
            let self_shape = this.shape();
            let st = strides(self_shape);
            let size = self_shape.get(d).copied().unwrap_or(1);
            let positions = idx
                .iter()
                .enumerate()
                .map(|(p, &i)| {
                    let mut c = unravel(p, nonempty(ctx, &shape));
                    if let Some(slot) = c.get_mut(d) {
                        *slot = wrap_index(ctx.op, i, d, size)?;
                    }
                    Ok(ravel(&c, &st))
                })
                .collect::<Result<Vec<_>>>()?;
            src.pick(ctx.op, &positions)
        },
    )?;
    Ok(vec![out.into()])
}

/// What a scatter writes: a tensor's elements or one scalar.
enum Source<'a> {
    Tensor(&'a Tensor),
    Value(f64),
    /// The value of an integer tensor's scatter, exactly (PyTorch's
    /// `Scalar::to<scalar_t>()`, overflow refused).
    Int(i64),
}

/// `values` (self's elements) after scattering `source` through `index`.
fn scattered(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    d: usize,
    index: &Tensor,
    source: &Source<'_>,
    add: bool,
) -> Result<Elems> {
    let mut values = Elems::read(ctx.op, this)?;
    let idx = index_values(ctx, index, "scatter")?;
    let (src, src_strides) = match source {
        Source::Tensor(s) => (Elems::read(ctx.op, s)?, Some(strides(s.shape()))),
        Source::Value(v) => (Elems::F(vec![*v]).cast(this.dtype()), None),
        Source::Int(v) => (Elems::I(vec![*v]).cast(this.dtype()), None),
    };
    let st = strides(this.shape());
    let size = this.shape().get(d).copied().unwrap_or(1);
    for (p, &i) in idx.iter().enumerate() {
        let mut c = unravel(p, nonempty(ctx, index.shape()));
        let from = src_strides.as_ref().map_or(0, |s| ravel(&c, s));
        if let Some(slot) = c.get_mut(d) {
            *slot = wrap_index(ctx.op, i, d, size)?;
        }
        values.put(ravel(&c, &st), &src, from, add);
    }
    Ok(values)
}

/// The checked pieces of a scatter call: `self`, `dim`, `index`, source.
fn scatter_args<'a>(
    ctx: &KernelCtx<'_>,
    a: &Args<'a>,
    value: bool,
) -> Result<(&'a Tensor, usize, &'a Tensor, Source<'a>)> {
    let (this, index) = (a.tensor(0)?, a.tensor(2)?);
    ctx.check(this, "self")?;
    ctx.check(index, "index")?;
    crate::kernels::indexing::check_gather_index(ctx, index, "scatter")?;
    let d = wrap(ctx.op, a.int(1)?, this.dim())?;
    let source = if value {
        let dtype = this.dtype();
        if dtype.is_integral(false) {
            Source::Int(a.int_scalar(ctx.op, 3, dtype)?)
        } else {
            Source::Value(a.scalar(3)?)
        }
    } else {
        let src = a.tensor(3)?;
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
        Source::Tensor(src)
    };
    let src = match &source {
        Source::Tensor(s) => Some(*s),
        Source::Value(_) | Source::Int(_) => None,
    };
    check_index_shape(ctx, this, d, index, src)?;
    Ok((this, d, index, source))
}

fn scatter_out(ctx: &KernelCtx<'_>, a: &Args<'_>, value: bool, add: bool) -> Result<Vec<IValue>> {
    let (this, d, index, source) = scatter_args(ctx, a, value)?;
    let shape = this.shape();
    let out = output(ctx, shape, &contiguous_strides(shape), this.dtype(), || {
        scattered(ctx, this, d, index, &source, add)
    })?;
    Ok(vec![out.into()])
}

fn scatter_in_place(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    value: bool,
    add: bool,
) -> Result<Vec<IValue>> {
    let (this, d, index, source) = scatter_args(ctx, a, value)?;
    write(ctx, this, || scattered(ctx, this, d, index, &source, add))?;
    Ok(vec![this.clone().into()])
}

/// `scatter.src(self, dim, index, src)`.
pub(crate) fn scatter_src(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    scatter_out(ctx, &a, false, false)
}

/// `scatter.value(self, dim, index, value)`.
pub(crate) fn scatter_value(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    scatter_out(ctx, &a, true, false)
}

/// `scatter_add(self, dim, index, src)`.
pub(crate) fn scatter_add(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    scatter_out(ctx, &a, false, true)
}

/// `scatter_.src(self, dim, index, src)`.
pub(crate) fn scatter_src_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    scatter_in_place(ctx, &a, false, false)
}

/// `scatter_.value(self, dim, index, value)`.
pub(crate) fn scatter_value_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    scatter_in_place(ctx, &a, true, false)
}

/// `scatter_add_(self, dim, index, src)`.
pub(crate) fn scatter_add_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    scatter_in_place(ctx, &a, false, true)
}

/// A vector of indices (0-D or 1-D) for `index_select` / `index_add`.
fn vector_index(ctx: &KernelCtx<'_>, index: &Tensor, what: &str) -> Result<Vec<i64>> {
    if index.dim() > 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{what}(): Index is supposed to be a vector"),
        ));
    }
    if !matches!(index.dtype(), DType::Int64 | DType::Int32) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("{what}(): Expected dtype int32 or int64 for index"),
        ));
    }
    index_values(ctx, index, what)
}

/// `index_select(self, dim, index)`: out[c] = self[c with c[dim] =
/// index[c[dim]]].
pub(crate) fn index_select(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, index) = (a.tensor(0)?, a.tensor(2)?);
    ctx.check(this, "self")?;
    ctx.check(index, "index")?;
    let d = wrap(ctx.op, a.int(1)?, this.dim())?;
    let mut shape = this.shape().to_vec();
    if let Some(s) = shape.get_mut(d) {
        *s = index.numel() as i64;
    }
    if index.dim() > 1 {
        vector_index(ctx, index, "index_select")?;
    }
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        this.dtype(),
        || {
            let idx = vector_index(ctx, index, "index_select")?;
            let src = Elems::read(ctx.op, this)?;
            let st = strides(this.shape());
            let size = this.shape().get(d).copied().unwrap_or(1);
            let numel: usize = shape.iter().map(|&s| s as usize).product();
            let positions = (0..numel)
                .map(|p| {
                    let mut c = unravel(p, &shape);
                    if let Some(slot) = c.get_mut(d) {
                        let i = idx.get(*slot).copied().unwrap_or(-1);
                        // PyTorch's IndexError (observed in torch 2.15).
                        *slot = wrap_index(ctx.op, i, d, size).map_err(|_| {
                            RuntimeError::index(ctx.op, "index out of range in self")
                        })?;
                    }
                    Ok(ravel(&c, &st))
                })
                .collect::<Result<Vec<_>>>()?;
            src.pick(ctx.op, &positions)
        },
    )?;
    Ok(vec![out.into()])
}

/// `self`'s elements after writing `source`'s slices along `dim` to the
/// slices `index[i]`: added times `alpha` (`index_add`), or copied when
/// `alpha` is `None` (`index_copy`).
fn index_write(ctx: &KernelCtx<'_>, a: &Args<'_>, alpha: Option<f64>, what: &str) -> Result<Elems> {
    let (this, index, source) = (a.tensor(0)?, a.tensor(2)?, a.tensor(3)?);
    let d = wrap(ctx.op, a.int(1)?, this.dim())?;
    let idx = vector_index(ctx, index, what)?;
    let mut values = Elems::read(ctx.op, this)?;
    let src = match (Elems::read_as(ctx.op, source, this.dtype())?, alpha) {
        (Elems::F(v), Some(k)) if k != 1.0 => Elems::F(v.into_iter().map(|x| x * k).collect()),
        (Elems::C(v), Some(k)) if k != 1.0 => Elems::C(v.into_iter().map(|x| x * k).collect()),
        (Elems::I(v), Some(k)) if k != 1.0 => {
            Elems::I(v.into_iter().map(|x| x * k as i64).collect())
        }
        (same, _) => same,
    };
    let shape = this.shape();
    let st = strides(shape);
    let size = shape.get(d).copied().unwrap_or(1);
    // PyTorch's CPU `index_add` stores each float32 sum, and each
    // float16/bfloat16 one of a 1-d `self` or with an `alpha` other than 1,
    // in the element dtype; with `alpha` 1 the float16/bfloat16 sums of a
    // `self` of more dimensions are carried in float32 and rounded once.
    let dtype = this.dtype();
    let step = match alpha {
        Some(_) if ctx.faults.index_add_sums_in_double => None,
        Some(k)
            if k == 1.0 && this.dim() > 1 && matches!(dtype, DType::Float16 | DType::BFloat16) =>
        {
            Some(DType::Float32)
        }
        Some(_) if matches!(dtype, DType::Float32 | DType::Float16 | DType::BFloat16) => {
            Some(dtype)
        }
        _ => None,
    };
    for p in 0..src.len() {
        let mut c = unravel(p, source.shape());
        if let Some(slot) = c.get_mut(d) {
            let i = idx.get(*slot).copied().ok_or_else(|| {
                RuntimeError::shape(ctx.op, format!("{what}(): source is larger than index"))
            })?;
            *slot = wrap_index(ctx.op, i, d, size)?;
        }
        let to = ravel(&c, &st);
        values.put(to, &src, p, alpha.is_some());
        if let Some(step) = step {
            values.round_at(to, step);
        }
    }
    Ok(values)
}

fn index_write_args<'a>(ctx: &KernelCtx<'_>, a: &Args<'a>, what: &str) -> Result<&'a Tensor> {
    let (this, index, source) = (a.tensor(0)?, a.tensor(2)?, a.tensor(3)?);
    ctx.check(this, "self")?;
    ctx.check(index, "index")?;
    ctx.check(source, "source")?;
    let d = wrap(ctx.op, a.int(1)?, this.dim())?;
    let size = |t: &Tensor, k: usize| t.shape().get(k).copied().unwrap_or(1);
    if source.dim() > 0 && size(source, d) != index.numel() as i64 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "{what}(): Number of indices ({}) should be equal to source.size(dim) ({})",
                index.numel(),
                size(source, d)
            ),
        ));
    }
    let mismatch = source.dim() > 0
        && (source.dim() != this.dim().max(1)
            || (0..source.dim()).any(|k| k != d && size(source, k) != size(this, k)));
    if mismatch {
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
    Ok(this)
}

fn index_write_out(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    alpha: Option<f64>,
    what: &str,
) -> Result<Vec<IValue>> {
    let this = index_write_args(ctx, a, what)?;
    let shape = this.shape();
    let out = output(ctx, shape, &contiguous_strides(shape), this.dtype(), || {
        index_write(ctx, a, alpha, what)
    })?;
    Ok(vec![out.into()])
}

fn index_write_in_place(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    alpha: Option<f64>,
    what: &str,
) -> Result<Vec<IValue>> {
    let this = index_write_args(ctx, a, what)?;
    write(ctx, this, || index_write(ctx, a, alpha, what))?;
    Ok(vec![this.clone().into()])
}

/// `index_add(self, dim, index, source, *, alpha=1)`: out = self, then
/// out[c with c[dim] = index[i]] += alpha * source[c with c[dim] = i];
/// contiguous.
pub(crate) fn index_add(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let alpha = a.scalar(4)?;
    index_write_out(ctx, &a, Some(alpha), "index_add")
}

/// `index_add_(self, dim, index, source, *, alpha=1)`.
pub(crate) fn index_add_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let alpha = a.scalar(4)?;
    index_write_in_place(ctx, &a, Some(alpha), "index_add_")
}

/// `index_copy(self, dim, index, source)`: out = self with the slices
/// `index[i]` along `dim` replaced by `source`'s slice `i`; contiguous.
pub(crate) fn index_copy(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    index_write_out(ctx, &a, None, "index_copy")
}

/// `index_copy_(self, dim, index, source)`.
pub(crate) fn index_copy_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    index_write_in_place(ctx, &a, None, "index_copy_")
}

/// `self`'s elements with the slices `index[i]` along `dim` set to
/// `value` (negative indices count from the end).
fn filled_slices(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    d: usize,
    index: &Tensor,
    value: f64,
) -> Result<Elems> {
    if index.dtype() != DType::Int64 {
        return Err(RuntimeError::shape(
            ctx.op,
            "index_fill_(): Expected dtype int64 for index.",
        ));
    }
    let idx = index_values(ctx, index, "index_fill")?;
    let mut values = Elems::read(ctx.op, this)?;
    let fill = Elems::F(vec![value]).cast(this.dtype());
    let shape = this.shape();
    let size = shape.get(d).copied().unwrap_or(1);
    let targets = idx
        .iter()
        .map(|&i| super::wrap_index(ctx.op, i, d, size).map_err(super::as_index_error))
        .collect::<Result<Vec<_>>>()?;
    for p in 0..values.len() {
        let c = unravel(p, shape);
        if c.get(d).is_some_and(|at| targets.contains(at))
            || (shape.is_empty() && !targets.is_empty())
        {
            values.put(p, &fill, 0, false);
        }
    }
    Ok(values)
}

/// The fill value of `index_fill`: a Scalar (`int_Scalar`) or a 0-dim
/// tensor (`int_Tensor`).
fn fill_value(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<f64> {
    match a.values.get(3) {
        Some(IValue::Tensor(t)) => {
            ctx.check(t, "value")?;
            if t.dim() != 0 {
                return Err(RuntimeError::shape(
                    ctx.op,
                    format!(
                        "index_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                        t.dim()
                    ),
                ));
            }
            if !ctx.has_data() {
                return Ok(0.0);
            }
            t.read_f64(ctx.op)?
                .first()
                .copied()
                .ok_or_else(|| RuntimeError::shape(ctx.op, "empty value tensor"))
        }
        _ => a.scalar(3),
    }
}

fn index_fill_args<'a>(
    ctx: &KernelCtx<'_>,
    a: &Args<'a>,
) -> Result<(&'a Tensor, usize, &'a Tensor, f64)> {
    let (this, index) = (a.tensor(0)?, a.tensor(2)?);
    ctx.check(this, "self")?;
    ctx.check(index, "index")?;
    if index.dim() > 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            "Index has to be a vector/scalar",
        ));
    }
    Ok((
        this,
        wrap(ctx.op, a.int(1)?, this.dim())?,
        index,
        fill_value(ctx, a)?,
    ))
}

/// `index_fill.int_Scalar` / `.int_Tensor(self, dim, index, value)`: a copy of `self`
/// (laid out as `clone` preserves it: observed strides `(1, 4)` for a
/// transposed input) with the indexed slices along `dim` set to `value`.
pub(crate) fn index_fill(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, d, index, value) = index_fill_args(ctx, &a)?;
    let shape = this.shape();
    let strides = if this.is_non_overlapping_and_dense() {
        this.stride().to_vec()
    } else {
        contiguous_strides(shape)
    };
    let out = output(ctx, shape, &strides, this.dtype(), || {
        filled_slices(ctx, this, d, index, value)
    })?;
    Ok(vec![out.into()])
}

/// `index_fill_.int_Scalar` / `.int_Tensor(self, dim, index, value)`.
pub(crate) fn index_fill_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, d, index, value) = index_fill_args(ctx, &a)?;
    write(ctx, this, || filled_slices(ctx, this, d, index, value))?;
    Ok(vec![this.clone().into()])
}
