//! Factories, fills, copies and random kernels.
//!
//! `empty*` kernels return zero-filled memory (PyTorch's is uninitialised;
//! traces never record those values). `*_like`, `clone` and `_to_copy` with
//! `preserve_format` keep the input's strides when it is non-overlapping and
//! dense; otherwise they are dense in the input's dim order (PyTorch's
//! `infer_dense_strides`: a transposed slice `(96, 4, 24, 1)` gives
//! `(32, 4, 8, 1)`, observed in torch 2.15; an expanded dim is laid out in
//! place). Random kernels draw from the
//! runtime's [`super::random::RandomSource`], so replay can feed PyTorch's
//! recorded values.

use super::KernelCtx;
use super::indexing::Elems;
use super::iter::{broadcast_view, read_broadcast};
use crate::device::Device;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::{Layout, MemoryFormat};
use crate::tensor::storage::float_to_integer;
use crate::tensor::strides::{checked_numel, contiguous_strides, numel, storage_span};

/// The dtype of a TensorOptions group (`dtype` at `dtype_at`, else
/// `fallback`), after checking its `layout`.
pub(crate) fn options_dtype(
    ctx: &KernelCtx<'_>,
    a: &Args<'_>,
    dtype_at: usize,
    layout_at: usize,
    fallback: DType,
) -> Result<DType> {
    match a.opt_layout(layout_at)? {
        None | Some(Layout::Strided) => Ok(a.opt_dtype(dtype_at)?.unwrap_or(fallback)),
        Some(other) => Err(RuntimeError::unsupported(ctx.op, format!("layout {other}"))),
    }
}

/// The `size` argument at `i`, checked non-negative (and, with data,
/// allocatable).
pub(crate) fn size_arg(ctx: &KernelCtx<'_>, a: &Args<'_>, i: usize) -> Result<Vec<i64>> {
    let size = a.int_list(i)?;
    let numel = checked_numel(&size).ok_or_else(|| {
        RuntimeError::shape(
            ctx.op,
            format!("invalid size {size:?}: sizes must be non-negative"),
        )
    })?;
    if ctx.has_data() {
        crate::tensor::check_alloc(ctx.op, numel)?;
    }
    Ok(size)
}

/// Strides for a result "like" `t` in `format` (absent = preserve).
pub(crate) fn like_strides(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    format: Option<MemoryFormat>,
) -> Result<Vec<i64>> {
    match format {
        None | Some(MemoryFormat::Preserve) => Ok(if t.is_non_overlapping_and_dense() {
            t.stride().to_vec()
        } else {
            super::iter::output_strides(t.shape(), &[(t.shape(), t.stride())])
        }),
        Some(MemoryFormat::Contiguous) => Ok(contiguous_strides(t.shape())),
        Some(format) => format_strides(ctx, t.shape(), format),
    }
}

/// Strides of a new tensor of `shape` in `format` (PyTorch's
/// `empty_tensor_restride`): channels-last formats need a 4-d
/// (`channels_last`) or 5-d (`channels_last_3d`) shape.
pub(crate) fn format_strides(
    ctx: &KernelCtx<'_>,
    shape: &[i64],
    format: MemoryFormat,
) -> Result<Vec<i64>> {
    let rank = match format {
        MemoryFormat::ChannelsLast => 4,
        MemoryFormat::ChannelsLast3d => 5,
        MemoryFormat::Contiguous => return Ok(contiguous_strides(shape)),
        MemoryFormat::Preserve => {
            return Err(RuntimeError::shape(
                ctx.op,
                "preserve memory format is unsupported by the contiguous operator",
            ));
        }
    };
    match crate::tensor::strides::channels_last_strides(shape) {
        Some(strides) if shape.len() == rank => Ok(strides),
        _ => Err(RuntimeError::shape(
            ctx.op,
            format!("required rank {rank} tensor to use {format} format"),
        )),
    }
}

/// A new tensor of `dtype` with this geometry, every element `value`.
pub(crate) fn filled(
    ctx: &KernelCtx<'_>,
    shape: &[i64],
    strides: &[i64],
    dtype: DType,
    value: f64,
) -> Result<Tensor> {
    ctx.output(shape, strides, dtype, || Ok(vec![value; numel(shape)]))
}

/// `empty.memory_format(size, *, dtype, layout, device, pin_memory, memory_format)`.
pub(crate) fn empty(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let size = size_arg(ctx, &a, 0)?;
    let dtype = options_dtype(ctx, &a, 1, 2, ctx.default_dtype)?;
    let strides = match a.opt_memory_format(5)? {
        None => contiguous_strides(&size),
        Some(format) => format_strides(ctx, &size, format)?,
    };
    Ok(vec![filled(ctx, &size, &strides, dtype, 0.0)?.into()])
}

/// `empty_strided(size, stride, *, dtype, layout, device, pin_memory)`.
pub(crate) fn empty_strided(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let size = size_arg(ctx, &a, 0)?;
    let stride = a.int_list(1)?;
    let dtype = options_dtype(ctx, &a, 2, 3, ctx.default_dtype)?;
    strided(ctx, &size, &stride, dtype).map(|t| vec![t.into()])
}

fn strided(ctx: &KernelCtx<'_>, size: &[i64], stride: &[i64], dtype: DType) -> Result<Tensor> {
    if stride.len() != size.len() || storage_span(size, stride, 0).is_none() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("invalid strides {stride:?} for size {size:?}"),
        ));
    }
    filled(ctx, size, stride, dtype, 0.0)
}

/// `new_empty_strided(self, size, stride, *, dtype, layout, device, pin_memory)`:
/// options default to `self`'s.
pub(crate) fn new_empty_strided(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let size = size_arg(ctx, &a, 1)?;
    let stride = a.int_list(2)?;
    let dtype = options_dtype(ctx, &a, 3, 4, this.dtype())?;
    strided(ctx, &size, &stride, dtype).map(|t| vec![t.into()])
}

/// `empty_like(self, *, dtype, layout, device, pin_memory, memory_format)`.
pub(crate) fn empty_like(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    like(ctx, &a, 0.0)
}

/// `zeros_like(...)`.
pub(crate) fn zeros_like(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    like(ctx, &a, 0.0)
}

/// `ones_like(...)`: the implicit gradient of `backward()`.
pub(crate) fn ones_like(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    like(ctx, &a, 1.0)
}

fn like(ctx: &KernelCtx<'_>, a: &Args<'_>, value: f64) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let dtype = options_dtype(ctx, a, 1, 2, this.dtype())?;
    let strides = like_strides(ctx, this, a.opt_memory_format(5)?)?;
    Ok(vec![
        filled(ctx, this.shape(), &strides, dtype, value)?.into(),
    ])
}

/// `zeros(size, *, dtype, layout, device, pin_memory)`.
pub(crate) fn zeros(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let size = size_arg(ctx, &a, 0)?;
    let dtype = options_dtype(ctx, &a, 1, 2, ctx.default_dtype)?;
    Ok(vec![
        filled(ctx, &size, &contiguous_strides(&size), dtype, 0.0)?.into(),
    ])
}

/// `ones(size, *, dtype, layout, device, pin_memory)`.
pub(crate) fn ones(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let size = size_arg(ctx, &a, 0)?;
    let dtype = options_dtype(ctx, &a, 1, 2, ctx.default_dtype)?;
    Ok(vec![
        filled(ctx, &size, &contiguous_strides(&size), dtype, 1.0)?.into(),
    ])
}

/// `clone(self, *, memory_format)`.
pub(crate) fn clone(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let strides = like_strides(ctx, this, a.opt_memory_format(1)?)?;
    let out = super::indexing::output(ctx, this.shape(), &strides, this.dtype(), || {
        Elems::read(ctx.op, this)
    })?;
    Ok(vec![out.into()])
}

/// `copy_(self, src, non_blocking=False)`: `src` broadcasts to `self`.
pub(crate) fn copy_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, src) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(this, "self")?;
    if ctx.has_data() && !src.has_data() {
        return Err(RuntimeError::NoData {
            op: ctx.op.to_owned(),
        });
    }
    if !src.dtype().is_floating() && !src.dtype().is_complex() && !this.dtype().is_complex() {
        // integers and bools move exactly (int64 beyond 2^53 included)
        super::indexing::write(ctx, this, || {
            Elems::read(ctx.op, &broadcast_view(ctx.op, src, this.shape())?)
        })?;
        return Ok(vec![this.clone().into()]);
    }
    ctx.write(this, || {
        let values = read_broadcast(ctx.op, src, this.shape())?;
        Ok(floating_source(src.dtype(), this.dtype(), values))
    })?;
    Ok(vec![this.clone().into()])
}

/// Values of a `from` tensor about to be stored as `to`: converted as x86
/// converts a floating value to an integer when `from` is floating and `to`
/// an integer dtype ([`float_to_integer`]), unchanged otherwise.
fn floating_source(from: DType, to: DType, mut values: Vec<f64>) -> Vec<f64> {
    if from.is_floating() && to.is_integral(false) {
        for v in &mut values {
            *v = float_to_integer(to, *v);
        }
    }
    values
}

/// `_to_copy(self, *, dtype, layout, device, pin_memory, non_blocking, memory_format)`:
/// a copy, possibly to another device. `meta` → `cpu` fails as in PyTorch
/// ("Cannot copy out of meta tensor; no data!").
pub(crate) fn to_copy(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let dtype = options_dtype(ctx, &a, 1, 2, this.dtype())?;
    let target = a.opt_device(3)?.unwrap_or(this.device());
    if target != Device::Meta && !this.has_data() {
        return Err(RuntimeError::NoData {
            op: ctx.op.to_owned(),
        });
    }
    let strides = like_strides(ctx, this, a.opt_memory_format(6)?)?;
    let out = match target {
        Device::Meta => Tensor::meta(ctx.op, this.shape(), &strides, dtype)?,
        Device::Cpu if dtype.is_integral(true) && this.dtype().is_integral(true) => {
            Tensor::from_i64(
                ctx.op,
                this.shape(),
                &strides,
                dtype,
                &this.read_i64(ctx.op)?,
            )?
        }
        Device::Cpu => Tensor::from_f64(
            ctx.op,
            this.shape(),
            &strides,
            dtype,
            &floating_source(this.dtype(), dtype, this.read_f64(ctx.op)?),
        )?,
        other => {
            return Err(RuntimeError::unsupported(
                ctx.op,
                format!("copies to {other}"),
            ));
        }
    };
    Ok(vec![out.into()])
}

/// `zero_(self)`.
pub(crate) fn zero_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    fill(ctx, a.tensor(0)?, 0.0)
}

/// `fill_.Scalar(self, value)`.
pub(crate) fn fill_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let dtype = a.tensor(0)?.dtype();
    if dtype.is_integral(false) {
        // PyTorch's Scalar::to<scalar_t>(): exact, truncated, or refused
        return fill_int(ctx, a.tensor(0)?, a.int_scalar(ctx.op, 1, dtype)?);
    }
    if let Some(v) = a.exact_int(1)? {
        return fill_int(ctx, a.tensor(0)?, v);
    }
    fill(ctx, a.tensor(0)?, a.scalar(1)?)
}

/// `fill.Scalar(self, value)`: a new tensor like `self` (its strides kept
/// when non-overlapping and dense, as `empty_like`), filled as `fill_`.
pub(crate) fn fill_scalar(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let out = fill_output(ctx, a.tensor(0)?)?;
    let values = [out.into(), a.values.get(1).cloned().unwrap_or(IValue::None)];
    fill_(
        ctx,
        Args {
            values: &values,
            ..a
        },
    )
}

/// `fill_.Tensor(self, value)`: `value` must be 0-dimensional; its element
/// is stored as `copy_` stores it (an integer wraps to a narrower integer
/// dtype, a float truncates to an integer one), not with `fill_.Scalar`'s
/// overflow check (observed in torch 2.15: an int8 filled with
/// `tensor(300)` holds 44).
pub(crate) fn fill_tensor_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    check_fill_value(ctx, a.tensor(1)?)?;
    if ctx.faults.fill_tensor_saturates
        && let Some(filled) = saturating_fill(ctx, a.tensor(0)?, a.tensor(1)?)?
    {
        return Ok(filled);
    }
    copy_(ctx, a)
}

/// The `fill-tensor-saturates` fault: an integer value clamped to an
/// integer `this`'s range (`None` when either is not an integer).
fn saturating_fill(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    value: &Tensor,
) -> Result<Option<Vec<IValue>>> {
    let (lo, hi) = match this.dtype() {
        DType::Int8 => (i64::from(i8::MIN), i64::from(i8::MAX)),
        DType::UInt8 => (0, i64::from(u8::MAX)),
        DType::Int16 => (i64::from(i16::MIN), i64::from(i16::MAX)),
        DType::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        DType::Int64 => (i64::MIN, i64::MAX),
        _ => return Ok(None),
    };
    if !value.dtype().is_integral(false) || !ctx.has_data() {
        return Ok(None);
    }
    let v = value.read_i64(ctx.op)?.first().copied().unwrap_or(0);
    fill_int(ctx, this, v.clamp(lo, hi)).map(Some)
}

/// `fill.Tensor(self, value)`: a new tensor like `self`, filled as
/// `fill_.Tensor`.
pub(crate) fn fill_tensor(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    check_fill_value(ctx, a.tensor(1)?)?;
    let out = fill_output(ctx, a.tensor(0)?)?;
    let values = [out.into(), a.tensor(1)?.clone().into()];
    fill_tensor_(
        ctx,
        Args {
            values: &values,
            ..a
        },
    )
}

/// A fill's value tensor: 0-dimensional, on the kernel's device.
pub(crate) fn check_fill_value(ctx: &KernelCtx<'_>, value: &Tensor) -> Result<()> {
    if value.dim() != 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "fill_ only supports 0-dimension value tensor but got tensor with {} dimensions.",
                value.dim()
            ),
        ));
    }
    ctx.check(value, "value")
}

/// The result of a functional fill: `empty_like(self)`.
pub(crate) fn fill_output(ctx: &KernelCtx<'_>, this: &Tensor) -> Result<Tensor> {
    ctx.check(this, "self")?;
    let strides = like_strides(ctx, this, None)?;
    filled(ctx, this.shape(), &strides, this.dtype(), 0.0)
}

fn fill(ctx: &KernelCtx<'_>, this: &Tensor, value: f64) -> Result<Vec<IValue>> {
    ctx.check(this, "self")?;
    ctx.write(this, || Ok(vec![value; this.numel()]))?;
    Ok(vec![this.clone().into()])
}

/// `fill_.Scalar` with a Python int: exact in an integer tensor (an int64
/// beyond 2^53 stays itself), as a double otherwise.
fn fill_int(ctx: &KernelCtx<'_>, this: &Tensor, value: i64) -> Result<Vec<IValue>> {
    ctx.check(this, "self")?;
    if this.dtype().is_floating() || this.dtype().is_complex() {
        return fill(ctx, this, value as f64);
    }
    super::indexing::write(ctx, this, || Ok(Elems::I(vec![value; this.numel()])))?;
    Ok(vec![this.clone().into()])
}

/// `randn` / `rand(size, *, [generator,] dtype, layout, device,
/// pin_memory)`: contiguous N(0, 1) or U[0, 1) draws of the default dtype
/// unless `dtype` says otherwise. A generator (the `.generator` overloads)
/// must be a CPU one; the values replay from the recording either way.
fn continuous(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    normal: bool,
    generator: bool,
) -> Result<Vec<IValue>> {
    let size = size_arg(ctx, a, 0)?;
    let dtype_at = if generator {
        a.cpu_generator(1)?;
        2
    } else {
        1
    };
    let dtype = options_dtype(ctx, a, dtype_at, dtype_at + 1, ctx.default_dtype)?;
    let strides = contiguous_strides(&size);
    // A complex tensor draws both parts; `randn`'s have variance 1/2 each.
    let count = numel(&size) * dtype.parts();
    let std = if dtype.is_complex() {
        std::f64::consts::FRAC_1_SQRT_2
    } else {
        1.0
    };
    let values = if !ctx.has_data() {
        None
    } else if normal {
        Some(ctx.random.normal(ctx.op, count, 0.0, std)?)
    } else {
        Some(ctx.random.uniform(ctx.op, count, 0.0, 1.0)?)
    };
    let out = ctx.output(&size, &strides, dtype, || Ok(values.unwrap_or_default()))?;
    Ok(vec![out.into()])
}

/// `randn(size, *, dtype, layout, device, pin_memory)`: N(0, 1).
pub(crate) fn randn(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    continuous(ctx, &a, true, false)
}

/// `randn.generator(size, *, generator, dtype, ...)`: N(0, 1).
pub(crate) fn randn_generator(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    continuous(ctx, &a, true, true)
}

/// `rand(size, *, dtype, layout, device, pin_memory)`: U[0, 1).
pub(crate) fn rand(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    continuous(ctx, &a, false, false)
}

/// `rand.generator(size, *, generator, dtype, ...)`: U[0, 1).
pub(crate) fn rand_generator(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    continuous(ctx, &a, false, true)
}

/// `uniform_(self, from=0., to=1., *, generator=None)`. A complex tensor
/// draws both parts of each element from U[from, to), as its real view
/// would (observed in torch 2.15: `uniform_` of a complex64 tensor of n
/// elements holds the 2n draws of a float32 one from the same generator
/// state, real part first).
pub(crate) fn uniform_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (from, to) = (a.scalar(1)?, a.scalar(2)?);
    a.cpu_generator(3)?;
    if ctx.has_data() {
        let count = this.numel() * this.dtype().parts();
        let values = ctx.random.uniform(ctx.op, count, from, to)?;
        this.write_f64(ctx.op, &values)?;
    }
    Ok(vec![this.clone().into()])
}

/// `normal_(self, mean=0., std=1., *, generator=None)`. A complex tensor
/// draws both parts of each element from N(mean, std²/2), so that the
/// element's variance is std² (observed in torch 2.15: `normal_(m, s)` of
/// a complex64 tensor of n elements holds a float32 `normal_(m, s/√2)` of
/// 2n elements from the same generator state; `mean` shifts both parts).
pub(crate) fn normal_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let (mean, std) = (a.scalar(1)?, a.scalar(2)?);
    a.cpu_generator(3)?;
    if ctx.has_data() {
        let (count, std) = if this.dtype().is_complex() {
            (2 * this.numel(), std * std::f64::consts::FRAC_1_SQRT_2)
        } else {
            (this.numel(), std)
        };
        let values = ctx.random.normal(ctx.op, count, mean, std)?;
        this.write_f64(ctx.op, &values)?;
    }
    Ok(vec![this.clone().into()])
}

#[cfg(test)]
mod tests {
    use crate::device::Device;
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;

    fn like(op: &str, this: &Tensor, device: Device) -> Tensor {
        let mut args = vec![this.clone().into()];
        if op == "aten.full_like.default" {
            args.push(IValue::Float(0.5));
        }
        args.extend([IValue::None, IValue::None, IValue::Device(device)]);
        let out = Runtime::new().call(op, args).expect(op);
        out[0].as_tensor().expect("tensor").clone()
    }

    #[test]
    fn a_like_factory_puts_its_result_on_the_options_device() {
        // `empty_like(meta_t, device="cpu")` is a CPU tensor (what
        // `Module.to_empty(device="cpu")` calls), and back.
        let meta = Tensor::meta("t", &[2, 3], &[3, 1], DType::Float32).expect("meta");
        for op in [
            "aten.empty_like.default",
            "aten.zeros_like.default",
            "aten.ones_like.default",
            "aten.full_like.default",
        ] {
            let out = like(op, &meta, Device::Cpu);
            assert_eq!(out.device(), Device::Cpu, "{op}");
            assert_eq!(out.shape(), &[2, 3]);
        }
        let cpu = like("aten.full_like.default", &meta, Device::Cpu);
        assert_eq!(cpu.to_f64_vec().expect("values"), vec![0.5; 6]);
        assert_eq!(
            like("aten.zeros_like.default", &cpu, Device::Meta).device(),
            Device::Meta
        );
    }
}
