//! `Tensor.to` seen whole (under `inference_mode`): every overload bound
//! to one set of options, and ATen's rule for when the result is the input
//! itself rather than a `_to_copy`.

use super::Bound;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::options::{Layout, MemoryFormat};

/// The options of one `Tensor.to` call, as ATen's `to_impl` takes them:
/// each `None` keeps the input's.
struct ToOptions {
    dtype: IValue,
    layout: IValue,
    device: IValue,
    pin_memory: IValue,
    non_blocking: bool,
    copy: bool,
    memory_format: IValue,
}

/// `Tensor.to` (every overload): the input itself when the options change
/// nothing, no copy is asked for and the memory format is `preserve` or
/// the one the input suggests (ATen's `to_will_alias`), else one
/// `_to_copy` with the options as given.
fn to_impl(rt: &mut Runtime, a: &Bound<'_>, x: &Tensor, o: ToOptions) -> Result<Vec<IValue>> {
    let same_dtype = match &o.dtype {
        IValue::None => true,
        IValue::Dtype(d) => *d == x.dtype(),
        _ => return Err(a.refuse("a dtype that is not a ScalarType")),
    };
    let layout = if x.is_sparse() {
        Layout::SparseCoo
    } else {
        Layout::Strided
    };
    let same_layout = match &o.layout {
        IValue::None => true,
        IValue::Layout(l) => *l == layout,
        _ => return Err(a.refuse("a layout that is not a Layout")),
    };
    let same_device = match &o.device {
        IValue::None => true,
        IValue::Device(d) => *d == x.device(),
        _ => return Err(a.refuse("a device that is not a Device")),
    };
    let format_kept = match &o.memory_format {
        IValue::None | IValue::MemoryFormat(MemoryFormat::Preserve) => true,
        IValue::MemoryFormat(f) => !x.is_sparse() && *f == suggested_memory_format(x),
        _ => return Err(a.refuse("a memory_format that is not a MemoryFormat")),
    };
    let alias = same_dtype && same_layout && same_device && format_kept && !o.copy;
    if alias && !rt.faults.to_always_copies {
        return Ok(vec![x.into()]);
    }
    rt.dispatch(
        "aten._to_copy.default",
        vec![
            x.into(),
            o.dtype,
            o.layout,
            o.device,
            o.pin_memory,
            IValue::Bool(o.non_blocking),
            o.memory_format,
        ],
    )
}

/// The memory format PyTorch suggests for a strided tensor: channels-last
/// (2-d or 3-d) when its strides are, else contiguous.
fn suggested_memory_format(x: &Tensor) -> MemoryFormat {
    if crate::kernels::join::is_channels_last(x.shape(), x.stride()) {
        if x.dim() == 5 {
            MemoryFormat::ChannelsLast3d
        } else {
            MemoryFormat::ChannelsLast
        }
    } else {
        MemoryFormat::Contiguous
    }
}

/// The four `Tensor.to` overloads bound to [`to_impl`]'s options:
/// `to.dtype_layout(self, *, dtype, layout, device, pin_memory,
/// non_blocking, copy, memory_format)`, `to.dtype(self, dtype,
/// non_blocking, copy, memory_format)`, `to.device(self, device, dtype,
/// non_blocking, copy, memory_format)` and `to.other(self, other,
/// non_blocking, copy, memory_format)` (the other tensor's dtype, layout
/// and device).
pub(super) fn to(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let none = || IValue::None;
    let options = match a.op {
        "aten.to.dtype_layout" => ToOptions {
            dtype: a.value(1)?.clone(),
            layout: a.value(2)?.clone(),
            device: a.value(3)?.clone(),
            pin_memory: a.value(4)?.clone(),
            non_blocking: a.flag(5)?,
            copy: a.flag(6)?,
            memory_format: a.value(7)?.clone(),
        },
        "aten.to.dtype" => ToOptions {
            dtype: a.value(1)?.clone(),
            layout: none(),
            device: none(),
            pin_memory: none(),
            non_blocking: a.flag(2)?,
            copy: a.flag(3)?,
            memory_format: a.value(4)?.clone(),
        },
        "aten.to.device" => ToOptions {
            dtype: a.value(2)?.clone(),
            layout: none(),
            device: a.value(1)?.clone(),
            pin_memory: none(),
            non_blocking: a.flag(3)?,
            copy: a.flag(4)?,
            memory_format: a.value(5)?.clone(),
        },
        "aten.to.other" => {
            let other = a.tensor(1)?;
            let layout = if other.is_sparse() {
                Layout::SparseCoo
            } else {
                Layout::Strided
            };
            ToOptions {
                dtype: IValue::Dtype(other.dtype()),
                layout: IValue::Layout(layout),
                device: IValue::Device(other.device()),
                pin_memory: none(),
                non_blocking: a.flag(2)?,
                copy: a.flag(3)?,
                memory_format: a.value(4)?.clone(),
            }
        }
        _ => return Err(a.refuse("an overload of to that is not known")),
    };
    to_impl(rt, a, x, options)
}

#[cfg(test)]
mod tests {
    //! Which calls alias and which copy, as torch 2.15 decides under
    //! `inference_mode` (`to_will_alias`).

    use super::super::test_support::{call, tensor};
    use crate::device::Device;
    use crate::ivalue::IValue;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::options::MemoryFormat;

    fn input(shape: &[i64], dtype: DType) -> Tensor {
        let n = shape.iter().product::<i64>();
        let values: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        tensor(shape, dtype, &values)
    }

    /// `to.dtype_layout(x, device=…, memory_format=…)`.
    fn to_options(x: &Tensor, device: Option<Device>, format: Option<MemoryFormat>) -> Tensor {
        let none = IValue::None;
        let no = IValue::Bool(false);
        call(
            "aten.to.dtype_layout",
            vec![
                x.into(),
                none.clone(),
                none.clone(),
                device.map_or(IValue::None, IValue::Device),
                none,
                no.clone(),
                no,
                format.map_or(IValue::None, IValue::MemoryFormat),
            ],
        )
    }

    /// `to.device(x, device, dtype, copy=…)`.
    fn to_device(x: &Tensor, dtype: DType, copy: bool) -> Tensor {
        call(
            "aten.to.device",
            vec![
                x.into(),
                IValue::Device(Device::Cpu),
                IValue::Dtype(dtype),
                IValue::Bool(false),
                IValue::Bool(copy),
                IValue::None,
            ],
        )
    }

    /// `to.other(x, other)`.
    fn to_other(x: &Tensor, other: &Tensor) -> Tensor {
        let no = IValue::Bool(false);
        call(
            "aten.to.other",
            vec![x.into(), other.into(), no.clone(), no, IValue::None],
        )
    }

    #[test]
    fn nothing_changed_is_the_input_itself() {
        let x = input(&[2, 3], DType::Float32);
        assert!(to_options(&x, Some(Device::Cpu), None).same_tensor(&x));
        assert!(to_device(&x, DType::Float32, false).same_tensor(&x));
        assert!(to_other(&x, &input(&[1], DType::Float32)).same_tensor(&x));
        let contiguous = Some(MemoryFormat::Contiguous);
        assert!(to_options(&x, None, contiguous).same_tensor(&x));
    }

    #[test]
    fn a_change_or_copy_is_a_new_tensor() {
        let x = input(&[2, 3], DType::Float32);
        let doubled = to_device(&x, DType::Float64, false);
        assert!(!doubled.same_tensor(&x));
        assert_eq!(doubled.dtype(), DType::Float64);
        assert_eq!(
            doubled.to_f64_vec().expect("values"),
            x.to_f64_vec().expect("values")
        );
        assert!(!to_device(&x, DType::Float32, true).same_tensor(&x));
        let copied = call(
            "aten.to.dtype",
            vec![
                (&x).into(),
                IValue::Dtype(DType::Float32),
                IValue::Bool(false),
                IValue::Bool(true),
                IValue::None,
            ],
        );
        assert!(!copied.same_tensor(&x));
        let as_other = to_other(&x, &input(&[1], DType::Int64));
        assert_eq!(as_other.dtype(), DType::Int64);
    }

    #[test]
    fn a_memory_format_the_input_lacks_is_a_copy_in_that_format() {
        let x = input(&[1, 3, 2, 2], DType::Float32);
        let channels_last = Some(MemoryFormat::ChannelsLast);
        let nhwc = to_options(&x, None, channels_last);
        assert!(!nhwc.same_tensor(&x));
        assert_eq!(nhwc.stride(), &[12, 1, 6, 3]);
        assert!(to_options(&nhwc, None, channels_last).same_tensor(&nhwc));
    }
}
