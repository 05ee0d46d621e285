//! `resize_(self, size, *, memory_format=None)` and
//! `resize_as_(self, the_template, *, memory_format=None)`: give `self` a
//! new shape in place, over the same storage when it is large enough.
//!
//! As ATen's CPU `resize_` (torch 2.15):
//! * a shape equal to `self`'s keeps its strides (a transposed tensor stays
//!   transposed); any other shape is laid out contiguously;
//! * a `memory_format` then restrides the result (`channels_last` needs 4
//!   dimensions, `channels_last_3d` 5, `preserve_format` is refused), even
//!   when the shape did not change; `resize_as_`'s `preserve_format` takes
//!   the template's suggested format instead;
//! * a non-empty result whose elements (from the storage offset on) do not
//!   fit the storage grows it: the elements it held are kept and the new
//!   ones are zero. PyTorch leaves them as the allocator found them; the
//!   capture zero-fills them before the program sees them, as it does for
//!   `empty` (docs/CAPTURE.md §3.4), so the values agree and an element a
//!   program reads before writing is still compared. A storage large
//!   enough is never shrunk.
//!
//! The version counter moves only when the shape changes (observed in
//! torch 2.15: a resize to the same shape, restrided or not, keeps it;
//! [`keeps_version`]).
//!
//! Handles are immutable here, so the result is `self`'s new handle (same
//! trace identity, version counter and autograd state) that the caller
//! binds in the old one's place ([`KernelCtx::resized`]). A storage is grown
//! in place ([`Storage::grow`]): every other view of it reads and writes the
//! longer buffer, as every view of a PyTorch storage follows its
//! reallocation.

use std::sync::Arc;

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::set::reseated;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::options::MemoryFormat;
use crate::tensor::storage::{Storage, StorageData};
use crate::tensor::strides::{channels_last_strides, contiguous_strides};
use crate::tensor::{Tensor, VersionCounter};

/// The kernel of `op` if it is one of the resizes.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.resize_.default" => resize,
        "aten.resize_as_.default" => resize_as,
        _ => return None,
    })
}

/// Whether the in-place call `op` of `this` that returned `outputs` leaves
/// the version counter where it was: a resize that kept `this`'s shape.
pub(crate) fn keeps_version(op: &str, this: &Tensor, outputs: &[IValue]) -> bool {
    matches!(op, "aten.resize_.default" | "aten.resize_as_.default")
        && outputs
            .first()
            .and_then(IValue::as_tensor)
            .is_some_and(|out| out.shape() == this.shape())
}

fn resize(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    let size = a.int_list(1)?;
    let format = a.opt_memory_format(2)?;
    let handle = resized(ctx, this, &size, format)?;
    Ok(vec![handle.into()])
}

fn resize_as(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, template) = (a.tensor(0)?, a.tensor(1)?);
    let format = a.opt_memory_format(2)?.map(|f| match f {
        MemoryFormat::Preserve => suggested_format(template),
        other => other,
    });
    let handle = resized(ctx, this, template.shape(), format)?;
    Ok(vec![handle.into()])
}

/// PyTorch's `suggest_memory_format`: channels-last when the strides are
/// exactly channels-last's (and not also contiguous), else contiguous.
fn suggested_format(t: &Tensor) -> MemoryFormat {
    let shape = t.shape();
    match channels_last_strides(shape) {
        Some(strides) if strides == t.stride() && !t.is_contiguous() => {
            if shape.len() == 4 {
                MemoryFormat::ChannelsLast
            } else {
                MemoryFormat::ChannelsLast3d
            }
        }
        _ => MemoryFormat::Contiguous,
    }
}

/// `this` resized to `size` and restrided to `format`: its new handle,
/// registered as argument 0's replacement.
fn resized(
    ctx: &mut KernelCtx<'_>,
    this: &Tensor,
    size: &[i64],
    format: Option<MemoryFormat>,
) -> Result<Tensor> {
    if let Some(&bad) = size.iter().find(|&&s| s < 0) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("Trying to create tensor with negative dimension {bad}: {size:?}"),
        ));
    }
    if this.requires_grad() {
        return Err(RuntimeError::autograd(
            "cannot resize variables that require grad",
        ));
    }
    let same_shape = size == this.shape();
    let strides = match format {
        None if same_shape && !ctx.faults.resize_restrides_same_shape => this.stride().to_vec(),
        None | Some(MemoryFormat::Contiguous) => contiguous_strides(size),
        Some(MemoryFormat::ChannelsLast | MemoryFormat::ChannelsLast3d) => {
            let rank = if format == Some(MemoryFormat::ChannelsLast) {
                4
            } else {
                5
            };
            match channels_last_strides(size).filter(|_| size.len() == rank) {
                Some(strides) => strides,
                None => {
                    return Err(RuntimeError::shape(
                        ctx.op,
                        format!(
                            "required rank {rank} tensor to use {} format",
                            format.map_or("", MemoryFormat::name)
                        ),
                    ));
                }
            }
        }
        Some(MemoryFormat::Preserve) => {
            return Err(RuntimeError::shape(
                ctx.op,
                "Unsupported memory formatPreserve",
            ));
        }
    };
    if same_shape && strides == this.stride() {
        return Ok(this.clone());
    }
    let numel = crate::tensor::strides::checked_numel(size)
        .ok_or_else(|| RuntimeError::shape(ctx.op, format!("invalid shape {size:?}")))?;
    let offset = this.storage_offset();
    let parts = if this.dtype().is_complex() { 2 } else { 1 };
    // Storage elements the result spans (ATen: `(offset + numel) * itemsize`
    // bytes, only for a non-empty result).
    let needed = if numel == 0 {
        0
    } else {
        (usize::try_from(offset).unwrap_or(0) + numel) * parts
    };
    let grows = needed > this.0.storage.len();
    if grows {
        crate::tensor::check_alloc(ctx.op, needed)?;
    }
    let source = if grows && ctx.faults.resize_grows_from_zeros {
        zeroed_copy(this, needed, size, strides, offset)
    } else {
        if grows {
            this.0.storage.grow(needed);
        }
        this.alias_with(size.to_vec(), strides, offset)
    };
    let handle = reseated(this, &source);
    ctx.resized.push((0, handle.clone()));
    Ok(handle)
}

/// Fault `resize-grows-from-zeros`: `this` reshaped over a fresh buffer of
/// `len` zeros under its storage's trace id, the held elements dropped.
fn zeroed_copy(this: &Tensor, len: usize, size: &[i64], strides: Vec<i64>, offset: i64) -> Tensor {
    let storage = Arc::new(match this.0.storage.read() {
        Some(data) => Storage::with_data(StorageData::zeros(data.dtype(), len)),
        None => Storage::without_data(len),
    });
    storage.trace.assume(&this.0.storage.trace);
    Tensor::from_parts(
        storage,
        this.shape().to_vec(),
        this.stride().to_vec(),
        offset,
        this.dtype(),
        this.device(),
        VersionCounter::new(),
    )
    .reinterpreted(this.dtype(), this.is_conj(), size.to_vec(), strides, offset)
}

#[cfg(test)]
mod tests {
    use crate::error::Result;
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::options::MemoryFormat;

    fn call(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Result<Tensor> {
        let out = rt.call(op, args)?;
        out.into_iter()
            .next()
            .and_then(|v| v.as_tensor().cloned())
            .ok_or_else(|| crate::error::RuntimeError::autograd("no tensor result"))
    }

    fn ints(v: &[i64]) -> IValue {
        IValue::IntList(v.to_vec())
    }

    #[test]
    fn shrinking_views_the_storage_prefix_and_growing_keeps_old_elements() -> Result<()> {
        let mut rt = Runtime::new();
        let x = Tensor::from_f32_contiguous("test", &[2, 3], vec![1., 2., 3., 4., 5., 6.])?;
        let small = call(
            &mut rt,
            "aten.resize_.default",
            vec![x.into(), ints(&[2, 2])],
        )?;
        assert_eq!(small.shape(), &[2, 2]);
        assert_eq!(small.stride(), &[2, 1]);
        assert_eq!(small.to_f32_vec()?, vec![1., 2., 3., 4.]);
        // The storage kept all six elements: growing to six reads them back.
        let six = call(
            &mut rt,
            "aten.resize_.default",
            vec![small.into(), ints(&[6])],
        )?;
        assert_eq!(six.to_f32_vec()?, vec![1., 2., 3., 4., 5., 6.]);
        let big = call(
            &mut rt,
            "aten.resize_.default",
            vec![six.into(), ints(&[2, 4])],
        )?;
        assert_eq!(big.to_f32_vec()?, vec![1., 2., 3., 4., 5., 6., 0., 0.]);
        Ok(())
    }

    #[test]
    fn every_view_of_a_grown_storage_sees_the_longer_buffer() -> Result<()> {
        let mut rt = Runtime::new();
        let x = Tensor::from_f32_contiguous("test", &[4], vec![0., 1., 2., 3.])?;
        let middle = x.alias_with(vec![2], vec![1], 1);
        let grown = call(&mut rt, "aten.resize_.default", vec![x.into(), ints(&[10])])?;
        assert_eq!(middle.0.storage.len(), 10);
        call(
            &mut rt,
            "aten.fill_.Scalar",
            vec![grown.clone().into(), IValue::Float(7.)],
        )?;
        // A write through the grown tensor reaches the older view, and back.
        assert_eq!(middle.to_f32_vec()?, vec![7., 7.]);
        call(
            &mut rt,
            "aten.mul_.Scalar",
            vec![middle.into(), IValue::Float(2.)],
        )?;
        assert_eq!(grown.to_f32_vec()?[..4], [7., 14., 14., 7.]);
        Ok(())
    }

    #[test]
    fn the_same_shape_keeps_strides_unless_a_format_is_given() -> Result<()> {
        let mut rt = Runtime::new();
        let x = Tensor::from_f32_contiguous("test", &[2, 3], vec![0.; 6])?;
        let t = x.alias_with(vec![3, 2], vec![1, 3], 0);
        let kept = call(
            &mut rt,
            "aten.resize_.default",
            vec![t.clone().into(), ints(&[3, 2])],
        )?;
        assert_eq!(kept.stride(), &[1, 3]);
        let restrided = call(
            &mut rt,
            "aten.resize_.default",
            vec![
                t.into(),
                ints(&[3, 2]),
                IValue::MemoryFormat(MemoryFormat::Contiguous),
            ],
        )?;
        assert_eq!(restrided.stride(), &[2, 1]);
        let y = Tensor::from_f32_contiguous("test", &[120], vec![0.; 120])?;
        let nhwc = call(
            &mut rt,
            "aten.resize_.default",
            vec![
                y.into(),
                ints(&[1, 2, 3, 4]),
                IValue::MemoryFormat(MemoryFormat::ChannelsLast),
            ],
        )?;
        assert_eq!(nhwc.stride(), &[24, 1, 8, 2]);
        Ok(())
    }

    #[test]
    fn resize_as_takes_the_templates_shape_and_refuses_a_wrong_rank_format() -> Result<()> {
        let mut rt = Runtime::new();
        let x = Tensor::from_f32_contiguous("test", &[3], vec![7., 8., 9.])?;
        let template = Tensor::from_f32_contiguous("test", &[2, 2], vec![0.; 4])?;
        let out = call(
            &mut rt,
            "aten.resize_as_.default",
            vec![x.clone().into(), template.into()],
        )?;
        assert_eq!(out.shape(), &[2, 2]);
        assert_eq!(out.to_f32_vec()?, vec![7., 8., 9., 0.]);
        let err = call(
            &mut rt,
            "aten.resize_.default",
            vec![
                x.into(),
                ints(&[2, 3]),
                IValue::MemoryFormat(MemoryFormat::ChannelsLast),
            ],
        )
        .expect_err("rank 2 is not channels-last");
        assert!(err.to_string().contains("required rank 4 tensor"), "{err}");
        Ok(())
    }
}
