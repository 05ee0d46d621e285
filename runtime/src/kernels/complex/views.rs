//! The dtype-changing views and the conjugate bit: `view_as_real`,
//! `view_as_complex`, `_conj`.
//!
//! All three share their input's storage and version counter. A complex
//! element is two parts, so `view_as_real` appends a dimension of 2 parts
//! with stride 1 and doubles the strides and the offset, and
//! `view_as_complex` undoes that, with PyTorch's checks on the geometry.

use super::{KernelCtx, check_float_parts};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::dtype::DType;

fn refuse(ctx: &KernelCtx<'_>, message: &str) -> RuntimeError {
    RuntimeError::shape(ctx.op, message.to_owned())
}

/// `view_as_real(self)`: the parts of a complex tensor as a real tensor
/// with a trailing dimension of 2.
pub(crate) fn view_as_real(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    if !this.dtype().is_complex() {
        return Err(RuntimeError::TypeCast {
            op: ctx.op.to_owned(),
            message: "view_as_real is only supported for complex tensors".into(),
        });
    }
    if this.is_conj() {
        return Err(refuse(
            ctx,
            "view_as_real doesn't work on unresolved conjugated tensors.  To resolve the \
             conjugate tensor so you can view it as real, use self.resolve_conj(); however, be \
             warned that the resulting tensor will NOT alias the original.",
        ));
    }
    let mut shape = this.shape().to_vec();
    shape.push(2);
    let mut strides: Vec<i64> = this.stride().iter().map(|s| s * 2).collect();
    strides.push(1);
    let out = this.reinterpreted(
        this.dtype().to_real(),
        false,
        shape,
        strides,
        this.storage_offset() * 2,
    );
    Ok(vec![out.into()])
}

/// `view_as_complex(self)`: a float32/float64 tensor whose last dimension
/// holds (real, imag) pairs, as a complex tensor.
pub(crate) fn view_as_complex(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    check_float_parts(ctx.op, this, "view_as_complex")?;
    let (shape, strides) = (this.shape(), this.stride());
    let Some((&last, outer)) = shape.split_last() else {
        return Err(refuse(ctx, "Input tensor must have one or more dimensions"));
    };
    if last != 2 {
        return Err(refuse(ctx, "Tensor must have a last dimension of size 2"));
    }
    let (&last_stride, outer_strides) = strides.split_last().unwrap_or((&1, &[]));
    if last_stride != 1 {
        return Err(refuse(
            ctx,
            "Tensor must have a last dimension with stride 1",
        ));
    }
    if outer_strides.iter().any(|s| s % 2 != 0) {
        return Err(refuse(
            ctx,
            "Tensor must have a stride divisible by 2 for all but last dimension",
        ));
    }
    if this.storage_offset() % 2 != 0 {
        return Err(refuse(
            ctx,
            "Tensor must have a storage_offset divisible by 2",
        ));
    }
    let dtype = this
        .dtype()
        .to_complex()
        .ok_or_else(|| refuse(ctx, "view_as_complex of this dtype"))?;
    let out = this.reinterpreted(
        dtype,
        false,
        outer.to_vec(),
        outer_strides.iter().map(|s| s / 2).collect(),
        this.storage_offset() / 2,
    );
    Ok(vec![out.into()])
}

/// `_conj(self)`: a view with the conjugate bit flipped (a real tensor's
/// `_conj` is a plain alias).
pub(crate) fn conj(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    if let Some(IValue::Complex(re, im)) = a.values.first() {
        // A Python complex (MulBackward0's `other.conj()` of `x * 1j`): its
        // wrapped-number tensor, a 0-dim complex128, conjugated.
        let wrapped = ctx.output(&[], &[], DType::Complex128, || Ok(vec![*re, *im]))?;
        let out = wrapped.reinterpreted(DType::Complex128, true, Vec::new(), Vec::new(), 0);
        return Ok(vec![out.into()]);
    }
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let out = this.reinterpreted(
        this.dtype(),
        !this.is_conj(),
        this.shape().to_vec(),
        this.stride().to_vec(),
        this.storage_offset(),
    );
    Ok(vec![out.into()])
}

/// `_neg_view(self)`: a view with the negative bit flipped (the imaginary
/// part of a conjugated tensor). Under the `neg_view_unresolved` fault the
/// bit is left as it was: the view reads as its storage.
pub(crate) fn neg_view(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let out = if ctx.faults.neg_view_unresolved {
        this.alias_with(
            this.shape().to_vec(),
            this.stride().to_vec(),
            this.storage_offset(),
        )
    } else {
        this.neg_flipped()
    };
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;

    fn f32s(rt: &mut Runtime, shape: &[i64], values: &[f32]) -> Tensor {
        let strides = crate::tensor::strides::contiguous_strides(shape);
        rt.introduce_tensor_f32(shape, &strides, 0, values, false)
            .expect("tensor")
    }

    fn call(rt: &mut Runtime, op: &str, t: &Tensor) -> crate::error::Result<Tensor> {
        let out = rt.call(op, vec![t.into()])?;
        Ok(out
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("tensor"))
    }

    #[test]
    fn views_round_trip_and_bad_geometry_is_a_typed_error() {
        let mut rt = Runtime::new();
        let x = f32s(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0]);
        let z = call(&mut rt, "aten.view_as_complex.default", &x).expect("complex");
        assert_eq!((z.shape(), z.stride()), (&[2][..], &[1][..]));
        assert!(z.shares_storage(&x));
        let c = call(&mut rt, "aten._conj.default", &z).expect("conj");
        assert!(c.is_conj());
        assert_eq!(c.to_f64_vec().expect("values"), vec![1.0, -2.0, 3.0, -4.0]);
        let err = call(&mut rt, "aten.view_as_real.default", &c).expect_err("conj view");
        assert!(
            err.to_string().contains("unresolved conjugated tensors"),
            "{err}"
        );
        let r = call(&mut rt, "aten.view_as_real.default", &z).expect("real");
        assert_eq!((r.shape(), r.stride()), (&[2, 2][..], &[2, 1][..]));
        let y = f32s(&mut rt, &[3], &[1.0, 2.0, 3.0]);
        let err = call(&mut rt, "aten.view_as_complex.default", &y).expect_err("size 3");
        assert!(
            err.to_string().contains("last dimension of size 2"),
            "{err}"
        );
        let t = call(&mut rt, "aten.t.default", &x).expect("t");
        let err = call(&mut rt, "aten.view_as_complex.default", &t).expect_err("stride");
        assert!(
            err.to_string().contains("last dimension with stride 1"),
            "{err}"
        );
    }

    #[test]
    fn the_angle_of_a_transposed_complex_tensor_is_contiguous() {
        // z = [[1+0i, 0+1i], [-1+0i, 0-1i]] transposed (strides [1, 2]);
        // angle(z.t()) = [[0, pi], [pi/2, -pi/2]] with strides [2, 1]
        // (torch 2.15), where a real input's result would keep [1, 2].
        let mut rt = Runtime::new();
        let x = f32s(
            &mut rt,
            &[2, 2, 2],
            &[1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0, -1.0],
        );
        let z = call(&mut rt, "aten.view_as_complex.default", &x).expect("complex");
        let t = call(&mut rt, "aten.t.default", &z).expect("t");
        assert_eq!(t.stride(), &[1, 2]);
        let a = call(&mut rt, "aten.angle.default", &t).expect("angle");
        assert_eq!((a.shape(), a.stride()), (&[2, 2][..], &[2, 1][..]));
        let pi = std::f32::consts::PI;
        let want: Vec<f64> = [0.0, pi, pi / 2.0, -pi / 2.0]
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        assert_eq!(a.to_f64_vec().expect("values"), want);
    }
}
