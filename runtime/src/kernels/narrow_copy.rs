//! `narrow_copy(self, dim, start, length)`: the elements of
//! `narrow(self, dim, start, length)` in a new contiguous tensor (PyTorch's
//! CPU kernel allocates the result row-major whatever `self`'s strides).
//! Bounds are checked as that kernel checks them: a negative `dim` is
//! wrapped (an `IndexError` beyond range), a non-negative one must be below
//! `self.dim()`, `start` may count from the end and `start + length` may
//! not pass the dimension's size.

use crate::device::Device;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::strides::contiguous_strides;

/// `narrow_copy(self, dim, start, length)`.
pub(crate) fn narrow_copy(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    if this.dim() == 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            "narrow() cannot be applied to a 0-dim tensor.",
        ));
    }
    let dim = a.int(1)?;
    let d = if dim < 0 {
        super::view::wrap(ctx.op, dim, this.dim())?
    } else if dim < this.dim() as i64 {
        dim as usize
    } else {
        return Err(RuntimeError::shape(
            ctx.op,
            "Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, but got false.",
        ));
    };
    let size = this.shape()[d];
    let (start, length) = (a.int(2)?, a.int(3)?);
    if !(-size..=size).contains(&start) {
        return Err(RuntimeError::index(
            ctx.op,
            format!(
                "start out of range (expected to be in range of [{}, {size}], but got {start})",
                -size
            ),
        ));
    }
    let start = if start < 0 { start + size } else { start };
    if length < 0 || start > size - length {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("start ({start}) + length ({length}) exceeds dimension size ({size})."),
        ));
    }
    let mut shape = this.shape().to_vec();
    shape[d] = length;
    // The test fault copies the window one row further on where one fits:
    // the same shape, the wrong rows.
    let from = if ctx.faults.narrow_copy_shifted && start + length < size {
        start + 1
    } else {
        start
    };
    let offset = this
        .storage_offset()
        .saturating_add(from.saturating_mul(this.stride()[d]));
    let window = this.alias_with(shape.clone(), this.stride().to_vec(), offset);
    let strides = contiguous_strides(&shape);
    let out = match ctx.backend {
        Device::Cpu => Tensor::from_le_bytes_storage(
            ctx.op,
            this.dtype(),
            &window.le_bytes(ctx.op)?,
            &shape,
            &strides,
            0,
        )?,
        _ => ctx.output(&shape, &strides, this.dtype(), || Ok(Vec::new()))?,
    };
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use crate::error::RuntimeError;
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;

    fn narrow_copy(
        this: &Tensor,
        dim: i64,
        start: i64,
        length: i64,
    ) -> crate::error::Result<Tensor> {
        let out = Runtime::new().call(
            "aten.narrow_copy.default",
            vec![
                this.into(),
                IValue::Int(dim),
                IValue::Int(start),
                IValue::Int(length),
            ],
        )?;
        Ok(out[0].as_tensor().expect("a tensor").clone())
    }

    #[test]
    fn copies_a_window_of_a_transposed_view_row_major() {
        // [[0, 1, 2], [3, 4, 5]] stored column-major as its transpose:
        // rows 1..3 of the [3, 2] view are [[1, 4], [2, 5]].
        let t = Tensor::from_f64(
            "test",
            &[3, 2],
            &[1, 3],
            DType::Float32,
            &[0., 3., 1., 4., 2., 5.],
        )
        .expect("tensor");
        let out = narrow_copy(&t, 0, 1, 2).expect("narrow_copy");
        assert_eq!(out.shape(), &[2, 2]);
        assert_eq!(out.stride(), &[2, 1]);
        assert_eq!(out.to_f64_vec().expect("values"), vec![1., 4., 2., 5.]);
        // A negative start counts from the end.
        let out = narrow_copy(&t, -1, -1, 1).expect("narrow_copy");
        assert_eq!(out.to_f64_vec().expect("values"), vec![3., 4., 5.]);
    }

    #[test]
    fn refuses_bounds_as_pytorch_does() {
        let t = Tensor::from_f64("test", &[4], &[1], DType::Float64, &[1., 2., 3., 4.])
            .expect("tensor");
        let err = narrow_copy(&t, 0, 5, 1).expect_err("start out of range");
        assert!(matches!(err, RuntimeError::Index { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("expected to be in range of [-4, 4], but got 5")
        );
        let err = narrow_copy(&t, 0, 1, 9).expect_err("too long");
        assert!(
            err.to_string()
                .contains("start (1) + length (9) exceeds dimension size (4).")
        );
        let scalar = Tensor::from_f64("test", &[], &[], DType::Float64, &[1.]).expect("tensor");
        let err = narrow_copy(&scalar, 0, 0, 1).expect_err("0-dim");
        assert!(
            err.to_string()
                .contains("narrow() cannot be applied to a 0-dim tensor.")
        );
    }
}
