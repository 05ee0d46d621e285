//! Random operators beyond `randn`/`rand`/`uniform_`/`normal_`: `randint`,
//! `randperm`, `bernoulli` / `bernoulli_`, `multinomial`, `rand_like`,
//! `randn_like`, `randint_like`, `random_` (three overloads),
//! `exponential_`, and the `.generator` overloads of the factories.
//!
//! Every one accepts an explicit CPU `torch.Generator`: a program that keeps
//! seeded generators apart from the global one (a `random_split`, a
//! shuffling `DataLoader`, augmentation or initialisation streams) replays
//! because the values come from the recording, whichever stream drew them.
//!
//! Every draw goes through the runtime's [`crate::kernels::random::RandomSource`]
//! (replay feeds PyTorch's recorded outputs there). On the meta backend
//! nothing is drawn and no provided values are consumed. Layouts observed in
//! torch 2.15: `bernoulli(self)` and `bernoulli(self, p)` are contiguous,
//! `*_like` preserve `self`'s layout, the rest are contiguous.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::factory::{like_strides, options_dtype, size_arg};
use crate::kernels::iter::read_broadcast;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{contiguous_strides, numel};

/// The values a random kernel writes: drawn by `draw` on a backend with
/// data, nothing on meta.
fn draw<T>(
    ctx: &mut KernelCtx<'_>,
    draw: impl FnOnce(&mut KernelCtx<'_>) -> Result<Vec<T>>,
) -> Result<Vec<T>> {
    if ctx.has_data() {
        draw(ctx)
    } else {
        Ok(Vec::new())
    }
}

/// A new tensor of `dtype` holding integer draws (exact for integer dtypes).
fn int_output(
    ctx: &KernelCtx<'_>,
    shape: &[i64],
    strides: &[i64],
    dtype: DType,
    values: Vec<i64>,
) -> Result<Tensor> {
    if dtype.is_integral(true) {
        ctx.output_i64(shape, strides, dtype, || Ok(values))
    } else {
        ctx.output(shape, strides, dtype, || {
            Ok(values.into_iter().map(|v| v as f64).collect())
        })
    }
}

/// PyTorch's check of a `[low, high)` integer range.
fn check_range(ctx: &KernelCtx<'_>, low: i64, high: i64) -> Result<()> {
    if low >= high {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"),
        ));
    }
    Ok(())
}

/// A new tensor of integers uniform in `[low, high)`.
fn integers(
    ctx: &mut KernelCtx<'_>,
    shape: &[i64],
    strides: &[i64],
    dtype: DType,
    (low, high): (i64, i64),
) -> Result<Tensor> {
    check_range(ctx, low, high)?;
    let n = numel(shape);
    let values = draw(ctx, |ctx| ctx.random.integers(ctx.op, n, low, high))?;
    int_output(ctx, shape, strides, dtype, values)
}

/// Where the tensor options of a random factory start: right after its
/// leading arguments, or one further in a `.generator` overload, whose
/// generator comes first among the keyword arguments (and is checked here).
fn options_start(a: &Args<'_>, leading: usize, generator: bool) -> Result<usize> {
    if generator {
        a.cpu_generator(leading)?;
        Ok(leading + 1)
    } else {
        Ok(leading)
    }
}

/// `randint` and `randint.low` (`low` given) with `size` after the bounds:
/// contiguous integers in `[low, high)`, int64 unless `dtype` says otherwise.
fn randint_impl(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    with_low: bool,
    generator: bool,
) -> Result<Vec<IValue>> {
    let (low, high, size_at) = if with_low {
        (a.int(0)?, a.int(1)?, 2)
    } else {
        (0, a.int(0)?, 1)
    };
    let size = size_arg(ctx, a, size_at)?;
    let dtype_at = options_start(a, size_at + 1, generator)?;
    let dtype = options_dtype(ctx, a, dtype_at, dtype_at + 1, DType::Int64)?;
    let strides = contiguous_strides(&size);
    Ok(vec![
        integers(ctx, &size, &strides, dtype, (low, high))?.into(),
    ])
}

/// `randint(high, size, *, dtype=long, layout, device, pin_memory)`.
pub(crate) fn randint(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    randint_impl(ctx, &a, false, false)
}

/// `randint.generator(high, size, *, generator, dtype=long, ...)`.
pub(crate) fn randint_generator(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    randint_impl(ctx, &a, false, true)
}

/// `randint.low(low, high, size, *, dtype=long, layout, device, pin_memory)`.
pub(crate) fn randint_low(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    randint_impl(ctx, &a, true, false)
}

/// `randint.low_generator(low, high, size, *, generator, dtype=long, ...)`.
pub(crate) fn randint_low_generator(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    randint_impl(ctx, &a, true, true)
}

/// `randint_like` (`low` given or not) after `self`: integers shaped and laid
/// out like `self`, of its dtype unless `dtype` says otherwise.
fn randint_like_impl(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    with_low: bool,
    generator: bool,
) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let (low, high, leading) = if with_low {
        (a.int(1)?, a.int(2)?, 3)
    } else {
        (0, a.int(1)?, 2)
    };
    let dtype_at = options_start(a, leading, generator)?;
    let dtype = options_dtype(ctx, a, dtype_at, dtype_at + 1, this.dtype())?;
    let strides = like_strides(ctx, this, a.opt_memory_format(dtype_at + 4)?)?;
    Ok(vec![
        integers(ctx, this.shape(), &strides, dtype, (low, high))?.into(),
    ])
}

/// `randint_like(self, high, *, dtype, layout, device, pin_memory, memory_format)`.
pub(crate) fn randint_like(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    randint_like_impl(ctx, &a, false, false)
}

/// `randint_like.generator(self, high, *, generator, dtype, ...)`.
pub(crate) fn randint_like_generator(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    randint_like_impl(ctx, &a, false, true)
}

/// `randint_like.low_dtype(self, low, high, *, dtype, layout, device, pin_memory, memory_format)`.
pub(crate) fn randint_like_low(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    randint_like_impl(ctx, &a, true, false)
}

/// `randint_like.low_generator_dtype(self, low, high, *, generator, dtype, ...)`.
pub(crate) fn randint_like_low_generator(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    randint_like_impl(ctx, &a, true, true)
}

/// `randperm(n, *, dtype=long, layout, device, pin_memory)`.
pub(crate) fn randperm(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    randperm_impl(ctx, &a, 1)
}

/// `randperm.generator(n, *, generator, dtype=long, layout, device,
/// pin_memory)`: a `DataLoader(shuffle=True)`'s sampler draws with its own
/// generator; the values replay from the recording like every random op.
pub(crate) fn randperm_generator(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    a.cpu_generator(1)?;
    randperm_impl(ctx, &a, 2)
}

/// `randperm` with its dtype argument at `dtype_at` (layout follows).
fn randperm_impl(ctx: &mut KernelCtx<'_>, a: &Args<'_>, dtype_at: usize) -> Result<Vec<IValue>> {
    let n = a.int(0)?;
    if n < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("Trying to create tensor with negative dimension {n}: [{n}]"),
        ));
    }
    let dtype = options_dtype(ctx, a, dtype_at, dtype_at + 1, DType::Int64)?;
    let values = draw(ctx, |ctx| ctx.random.permutation(ctx.op, n as usize))?;
    Ok(vec![int_output(ctx, &[n], &[1], dtype, values)?.into()])
}

/// `rand_like` / `randn_like(self, *, [generator,] dtype, layout, device,
/// pin_memory, memory_format)`.
fn continuous_like(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    normal: bool,
    generator: bool,
) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let dtype_at = options_start(a, 1, generator)?;
    let dtype = options_dtype(ctx, a, dtype_at, dtype_at + 1, this.dtype())?;
    let strides = like_strides(ctx, this, a.opt_memory_format(dtype_at + 4)?)?;
    let n = this.numel();
    let values = draw(ctx, |ctx| {
        if normal {
            ctx.random.normal(ctx.op, n, 0.0, 1.0)
        } else {
            ctx.random.uniform(ctx.op, n, 0.0, 1.0)
        }
    })?;
    Ok(vec![
        ctx.output(this.shape(), &strides, dtype, || Ok(values))?
            .into(),
    ])
}

/// `rand_like(self, ...)`: U[0, 1).
pub(crate) fn rand_like(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    continuous_like(ctx, &a, false, false)
}

/// `rand_like.generator(self, *, generator, ...)`: U[0, 1).
pub(crate) fn rand_like_generator(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    continuous_like(ctx, &a, false, true)
}

/// `randn_like(self, ...)`: N(0, 1).
pub(crate) fn randn_like(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    continuous_like(ctx, &a, true, false)
}

/// `randn_like.generator(self, *, generator, ...)`: N(0, 1).
pub(crate) fn randn_like_generator(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    continuous_like(ctx, &a, true, true)
}

/// PyTorch's check that every probability lies in [0, 1].
fn check_probs(ctx: &KernelCtx<'_>, probs: &[f64]) -> Result<()> {
    if probs.iter().any(|p| !(0.0..=1.0).contains(p)) {
        return Err(RuntimeError::shape(
            ctx.op,
            // A bare TORCH_CHECK: PyTorch appends its stock request.
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error \
             message be improved?  If so, please report an enhancement request to PyTorch.)",
        ));
    }
    Ok(())
}

/// PyTorch's check of a float `p` (the message names `bernoulli_` for both
/// `bernoulli_.float` and `bernoulli.p`, as observed in torch 2.15).
fn check_p(ctx: &KernelCtx<'_>, p: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&p) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("bernoulli_ expects p to be in [0, 1], but got p={p}"),
        ));
    }
    Ok(())
}

/// `bernoulli_.float(self, p=0.5, *, generator=None)`: fills `self` with 0/1.
pub(crate) fn bernoulli_float_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let p = a.scalar(1)?;
    a.cpu_generator(2)?;
    check_p(ctx, p)?;
    let probs = vec![p; this.numel()];
    let values = draw(ctx, |ctx| ctx.random.bernoulli(ctx.op, &probs))?;
    ctx.write(this, || Ok(values))?;
    Ok(vec![this.clone().into()])
}

/// `bernoulli_.Tensor(self, p, *, generator=None)`: `p` broadcasts to `self`.
pub(crate) fn bernoulli_tensor_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let p = a.tensor(1)?;
    ctx.check(this, "self")?;
    ctx.check(p, "p")?;
    a.cpu_generator(2)?;
    let values = draw(ctx, |ctx| {
        let probs = read_broadcast(ctx.op, p, this.shape())?;
        check_probs(ctx, &probs)?;
        ctx.random.bernoulli(ctx.op, &probs)
    })?;
    ctx.write(this, || Ok(values))?;
    Ok(vec![this.clone().into()])
}

/// `bernoulli(self, *, generator=None)`: one draw per element with
/// probability `self`.
pub(crate) fn bernoulli(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    a.cpu_generator(1)?;
    let values = draw(ctx, |ctx| {
        let probs = this.read_f64(ctx.op)?;
        check_probs(ctx, &probs)?;
        ctx.random.bernoulli(ctx.op, &probs)
    })?;
    let strides = contiguous_strides(this.shape());
    Ok(vec![
        ctx.output(this.shape(), &strides, this.dtype(), || Ok(values))?
            .into(),
    ])
}

/// `bernoulli.p(self, p, *, generator=None)`: a new tensor shaped like
/// `self`, each element 1 with probability `p`.
pub(crate) fn bernoulli_p(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let p = a.scalar(1)?;
    a.cpu_generator(2)?;
    check_p(ctx, p)?;
    let probs = vec![p; this.numel()];
    let values = draw(ctx, |ctx| ctx.random.bernoulli(ctx.op, &probs))?;
    let strides = contiguous_strides(this.shape());
    Ok(vec![
        ctx.output(this.shape(), &strides, this.dtype(), || Ok(values))?
            .into(),
    ])
}

/// `multinomial(self, num_samples, replacement=False, *, generator=None)`:
/// category indices (int64) drawn from each row of `self`.
pub(crate) fn multinomial(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let samples = a.int(1)?;
    let replacement = a.bool(2)?;
    a.cpu_generator(3)?;
    if !(1..=2).contains(&this.dim()) {
        return Err(RuntimeError::shape(ctx.op, "prob_dist must be 1 or 2 dim"));
    }
    let categories = this.shape().last().copied().unwrap_or(0);
    if !replacement && samples > categories {
        return Err(RuntimeError::shape(
            ctx.op,
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
        ));
    }
    let shape: Vec<i64> = if this.dim() == 1 {
        vec![samples]
    } else {
        vec![this.shape()[0], samples]
    };
    if ctx.has_data() {
        check_distribution(ctx, this, categories, samples, replacement)?;
    }
    let values = draw(ctx, |ctx| {
        let flat = this.read_f64(ctx.op)?;
        let rows: Vec<Vec<f64>> = flat
            .chunks(categories.max(1) as usize)
            .map(<[f64]>::to_vec)
            .collect();
        ctx.random
            .multinomial(ctx.op, &rows, samples.max(0) as usize, replacement)
    })?;
    let strides = contiguous_strides(&shape);
    Ok(vec![
        int_output(ctx, &shape, &strides, DType::Int64, values)?.into(),
    ])
}

/// `multinomial`'s checks of the probabilities, with PyTorch's messages.
/// Without replacement or for one sample, the whole tensor first: no `inf`,
/// NaN or negative entry, then no row summing to 0. Otherwise row by row,
/// entry by entry (a NaN fails the `>= 0` test), then the row's sum.
fn check_distribution(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    categories: i64,
    samples: i64,
    replacement: bool,
) -> Result<()> {
    let flat = this.read_f64(ctx.op)?;
    let fail = |m: &str| Err(RuntimeError::shape(ctx.op, m));
    let rows = flat.chunks(usize::try_from(categories).unwrap_or(0).max(1));
    if !replacement || samples == 1 {
        if flat.iter().any(|p| !(p.is_finite() && *p >= 0.0)) {
            return fail("probability tensor contains either `inf`, `nan` or element < 0");
        }
        if rows.clone().any(|r| r.iter().sum::<f64>() == 0.0) {
            return fail("invalid multinomial distribution (sum of probabilities <= 0)");
        }
        return Ok(());
    }
    for row in rows {
        for p in row {
            if p.is_nan() || *p < 0.0 {
                return fail(
                    "invalid multinomial distribution (encountering probability entry < 0)",
                );
            }
            if !p.is_finite() {
                return fail(
                    "invalid multinomial distribution (encountering probability entry = infinity or NaN)",
                );
            }
        }
        if row.iter().sum::<f64>() <= 0.0 {
            return fail("invalid multinomial distribution (sum of probabilities <= 0)");
        }
    }
    Ok(())
}

/// The upper bound (exclusive) of `random_` without `to` for `dtype`
/// (observed in torch 2.15: floats draw integers up to 2^mantissa
/// inclusive, integers up to their largest value inclusive).
fn random_upper(dtype: DType) -> i64 {
    match dtype {
        DType::Float32 | DType::Complex64 => (1 << 24) + 1,
        DType::Float64 | DType::Complex128 => (1 << 53) + 1,
        DType::Float16 => (1 << 11) + 1,
        DType::BFloat16 => (1 << 8) + 1,
        DType::Int64 => i64::MAX,
        DType::Int32 => i64::from(i32::MAX) + 1,
        DType::Int16 => i64::from(i16::MAX) + 1,
        DType::Int8 => i64::from(i8::MAX) + 1,
        DType::UInt8 => i64::from(u8::MAX) + 1,
        DType::Bool => 2,
    }
}

/// Fills `self` with integers uniform in `[low, high)`.
fn random_fill(ctx: &mut KernelCtx<'_>, this: &Tensor, low: i64, high: i64) -> Result<Vec<IValue>> {
    ctx.check(this, "self")?;
    check_range(ctx, low, high)?;
    let n = this.numel();
    let values = draw(ctx, |ctx| ctx.random.integers(ctx.op, n, low, high))?;
    if ctx.has_data() {
        // Integers are written exactly (int64 draws may exceed 2^53).
        this.write_i64(ctx.op, &values)?;
    }
    Ok(vec![this.clone().into()])
}

/// `random_(self, *, generator=None)`: integers in `[0, upper]` for the dtype.
/// A generator (a DataLoader drawing its workers' base seed from its
/// shuffling generator) only selects the stream; the values replay from the
/// recording like every random op.
pub(crate) fn random_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    a.cpu_generator(1)?;
    random_fill(ctx, this, 0, random_upper(this.dtype()))
}

/// `random_.from(self, from, to, *, generator=None)`: `[from, to)`, or up
/// to the dtype's bound without `to`.
pub(crate) fn random_from(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let from = a.int(1)?;
    let to = match a.values.get(2) {
        Some(IValue::Int(to)) => *to,
        _ => random_upper(this.dtype()),
    };
    a.cpu_generator(3)?;
    random_fill(ctx, this, from, to)
}

/// `random_.to(self, to, *, generator=None)`: `[0, to)`.
pub(crate) fn random_to(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let to = a.int(1)?;
    a.cpu_generator(2)?;
    random_fill(ctx, this, 0, to)
}

/// `exponential_(self, lambd=1., *, generator=None)`: Exp(lambd) draws,
/// floating dtypes only.
pub(crate) fn exponential_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let lambd = a.scalar(1)?;
    a.cpu_generator(2)?;
    if lambd.is_nan() || lambd <= 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("exponential_ expects lambda > 0.0, but found lambda={lambd}"),
        ));
    }
    if !this.dtype().is_floating() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: format!(
                "Exponential distribution is a continuous probability distribution. dtype must be a floating point but you specified {}",
                this.dtype().scalar_type_name()
            ),
        });
    }
    let n = this.numel();
    let values = draw(ctx, |ctx| ctx.random.exponential(ctx.op, n, lambd))?;
    ctx.write(this, || Ok(values))?;
    Ok(vec![this.clone().into()])
}

/// PyTorch's check of a float standard deviation (`CHECK_NORMAL_STD`).
fn check_normal_std(ctx: &KernelCtx<'_>, std: f64) -> Result<()> {
    // A NaN is refused too, as PyTorch's `std >= 0.0` refuses it.
    if std.is_nan() || std < 0.0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("normal expects std >= 0.0, but found std {std}"),
        ));
    }
    Ok(())
}

/// PyTorch's check of a tensor of standard deviations
/// (`CHECK_NORMAL_TENSOR_STD`): real, every element `>= 0` (an empty
/// tensor passes; a NaN fails `min().ge(0)`).
fn check_normal_tensor_std(ctx: &KernelCtx<'_>, std: &Tensor) -> Result<()> {
    if std.dtype().is_complex() {
        return Err(RuntimeError::shape(
            ctx.op,
            "normal expects standard deviation to be non-complex",
        ));
    }
    if ctx.has_data() && std.read_f64(ctx.op)?.iter().any(|s| s.is_nan() || *s < 0.0) {
        return Err(RuntimeError::shape(
            ctx.op,
            "normal expects all elements of std >= 0.0",
        ));
    }
    Ok(())
}

/// A mean or standard deviation of `normal`: a tensor, or a float.
enum Moment<'t> {
    Tensor(&'t Tensor),
    Float(f64),
}

impl Moment<'_> {
    /// The values broadcast to `shape` (a float repeated).
    fn values(&self, op: &str, shape: &[i64]) -> Result<Vec<f64>> {
        match self {
            Moment::Tensor(t) => read_broadcast(op, t, shape),
            Moment::Float(v) => Ok(vec![*v; numel(shape)]),
        }
    }
}

/// The tensor overloads of `normal` (`normal_out_impl`): a contiguous
/// result of `like`'s dtype (the mean's, or the standard deviation's when
/// the mean is a float) shaped as the moments broadcast, drawn as
/// `N(0, 1) · std + mean` (replay feeds PyTorch's recorded values). A
/// non-floating result is refused as the CPU kernel refuses it.
fn normal_moments(
    ctx: &mut KernelCtx<'_>,
    mean: Moment<'_>,
    std: Moment<'_>,
    like: &Tensor,
) -> Result<Vec<IValue>> {
    let shape = match (&mean, &std) {
        (Moment::Tensor(m), Moment::Tensor(s)) => {
            crate::tensor::strides::broadcast_shapes(m.shape(), s.shape()).ok_or_else(|| {
                RuntimeError::shape(ctx.op, broadcast_message(m.shape(), s.shape()))
            })?
        }
        _ => like.shape().to_vec(),
    };
    let mut dtype = like.dtype();
    if ctx.faults.normal_result_default_dtype && matches!(mean, Moment::Float(_)) {
        dtype = ctx.default_dtype;
    }
    if dtype.is_complex() {
        return Err(RuntimeError::Unsupported {
            op: ctx.op.to_owned(),
            what: format!("a {} normal draw", dtype.scalar_type_name()),
        });
    }
    if !dtype.is_floating() {
        return Err(RuntimeError::KernelDtype {
            op: ctx.op.to_owned(),
            message: format!(
                "\"normal_kernel_cpu\" not implemented for '{}'",
                dtype.scalar_type_name()
            ),
        });
    }
    let values = draw(ctx, |ctx| {
        let (m, s) = (mean.values(ctx.op, &shape)?, std.values(ctx.op, &shape)?);
        ctx.random.normal_each(ctx.op, &m, &s)
    })?;
    let strides = contiguous_strides(&shape);
    Ok(vec![
        ctx.output(&shape, &strides, dtype, || Ok(values))?.into(),
    ])
}

/// PyTorch's `infer_size` message for shapes that do not broadcast.
fn broadcast_message(a: &[i64], b: &[i64]) -> String {
    let ndim = a.len().max(b.len());
    for i in (0..ndim).rev() {
        let offset = ndim - 1 - i;
        let da = a.len().checked_sub(offset + 1).map_or(1, |j| a[j]);
        let db = b.len().checked_sub(offset + 1).map_or(1, |j| b[j]);
        if da != db && da != 1 && db != 1 {
            return format!(
                "The size of tensor a ({da}) must match the size of tensor b ({db}) at \
                 non-singleton dimension {i}"
            );
        }
    }
    format!("shapes {a:?} and {b:?} do not broadcast")
}

/// `normal.Tensor_float(mean, std=1, *, generator=None)`.
pub(crate) fn normal_tensor_float(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let mean = a.tensor(0)?;
    ctx.check(mean, "mean")?;
    let std = a.scalar(1)?;
    a.cpu_generator(2)?;
    check_normal_std(ctx, std)?;
    normal_moments(ctx, Moment::Tensor(mean), Moment::Float(std), mean)
}

/// `normal.float_Tensor(mean, std, *, generator=None)`.
pub(crate) fn normal_float_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let mean = a.scalar(0)?;
    let std = a.tensor(1)?;
    ctx.check(std, "std")?;
    a.cpu_generator(2)?;
    check_normal_tensor_std(ctx, std)?;
    normal_moments(ctx, Moment::Float(mean), Moment::Tensor(std), std)
}

/// `normal.Tensor_Tensor(mean, std, *, generator=None)`: the result has the
/// mean's dtype and the broadcast shape of both.
pub(crate) fn normal_tensor_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let mean = a.tensor(0)?;
    let std = a.tensor(1)?;
    ctx.check(mean, "mean")?;
    ctx.check(std, "std")?;
    a.cpu_generator(2)?;
    check_normal_tensor_std(ctx, std)?;
    normal_moments(ctx, Moment::Tensor(mean), Moment::Tensor(std), mean)
}

/// `normal.float_float(mean, std, size, *, generator, dtype, layout, device,
/// pin_memory)`: a contiguous factory of the default dtype unless `dtype`
/// says otherwise.
pub(crate) fn normal_float_float(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (mean, std) = (a.scalar(0)?, a.scalar(1)?);
    let size = size_arg(ctx, &a, 2)?;
    a.cpu_generator(3)?;
    let dtype = options_dtype(ctx, &a, 4, 5, ctx.default_dtype)?;
    check_normal_std(ctx, std)?;
    if dtype.is_complex() {
        return Err(RuntimeError::Unsupported {
            op: ctx.op.to_owned(),
            what: format!("a {} normal factory", dtype.scalar_type_name()),
        });
    }
    let n = numel(&size);
    let values = draw(ctx, |ctx| ctx.random.normal(ctx.op, n, mean, std))?;
    let strides = contiguous_strides(&size);
    Ok(vec![
        ctx.output(&size, &strides, dtype, || Ok(values))?.into(),
    ])
}
