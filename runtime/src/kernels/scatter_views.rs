//! `select_scatter` and `slice_scatter`: a copy of `self` (PyTorch's
//! `clone()`, which keeps a dense input's strides) whose `select` /
//! `slice` view is overwritten by `src`. `src` must have the view's shape
//! and `self`'s dtype, as PyTorch requires.

use crate::dispatch::args::Args;
use crate::dispatch::registry::Registry;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;

/// The kernel of `op` if it is one of this module's.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.select_scatter.default" => select_scatter,
        "aten.slice_scatter.default" => slice_scatter,
        _ => return None,
    })
}

/// `op`'s kernel on `values` bound to `op`'s schema: the first tensor it
/// returns.
fn run(ctx: &mut KernelCtx<'_>, op: &str, kernel: Kernel, values: &[IValue]) -> Result<Tensor> {
    let entry = Registry::builtin()?.get(op)?;
    let out = kernel(
        ctx,
        Args {
            op,
            schema: &entry.schema,
            values,
        },
    )?;
    out.into_iter()
        .next()
        .and_then(|v| v.as_tensor().cloned())
        .ok_or_else(|| RuntimeError::unsupported(op, "a tensor result"))
}

/// A clone of `self` with `src` copied into the view `view_op(clone,
/// view_args...)`.
fn scatter_into(
    ctx: &mut KernelCtx<'_>,
    a: &Args<'_>,
    view_op: &str,
    view: Kernel,
    view_args: &[IValue],
) -> Result<Vec<IValue>> {
    let (this, src) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(this, "self")?;
    ctx.check(src, "src")?;
    let out = run(
        ctx,
        "aten.clone.default",
        super::factory::clone,
        &[this.clone().into(), IValue::None],
    )?;
    let mut values = vec![IValue::from(out.clone())];
    values.extend_from_slice(view_args);
    let slot = run(ctx, view_op, view, &values)?;
    if slot.shape() != src.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "expected src to have a size equal to the slice of self. src size = {:?}, slice size = {:?}",
                src.shape(),
                slot.shape()
            ),
        ));
    }
    if src.dtype() != this.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "expected src of dtype {} like self, got {}",
                this.dtype().scalar_type_name(),
                src.dtype().scalar_type_name()
            ),
        ));
    }
    run(
        ctx,
        "aten.copy_.default",
        super::factory::copy_,
        &[slot.into(), src.clone().into(), IValue::Bool(false)],
    )?;
    Ok(vec![out.into()])
}

fn arg(a: &Args<'_>, i: usize) -> IValue {
    a.values.get(i).cloned().unwrap_or(IValue::None)
}

/// `select_scatter(self, src, dim, index)`.
fn select_scatter(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let args = [arg(&a, 2), arg(&a, 3)];
    scatter_into(ctx, &a, "aten.select.int", super::view::select, &args)
}

/// `slice_scatter(self, src, dim=0, start=None, end=None, step=1)`.
fn slice_scatter(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let args = [arg(&a, 2), arg(&a, 3), arg(&a, 4), arg(&a, 5)];
    scatter_into(ctx, &a, "aten.slice.Tensor", super::view::slice, &args)
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;

    fn tensor(shape: &[i64], strides: &[i64], values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, strides, DType::Float32, values).expect("tensor")
    }

    #[test]
    fn slice_scatter_writes_a_strided_slice_of_a_copy_in_selfs_layout() {
        // A column-major [3, 2] self keeps its strides in the copy.
        let this = tensor(&[3, 2], &[1, 3], &[0.0; 6]);
        let src = tensor(&[2, 2], &[2, 1], &[1.0, 2.0, 3.0, 4.0]);
        let out = Runtime::new()
            .call(
                "aten.slice_scatter.default",
                vec![
                    this.clone().into(),
                    src.into(),
                    IValue::Int(0),
                    IValue::Int(0),
                    IValue::None,
                    IValue::Int(2),
                ],
            )
            .expect("slice_scatter");
        let out = out[0].as_tensor().expect("a tensor");
        assert_eq!(out.stride(), &[1, 3]);
        assert_eq!(
            out.to_f64_vec().expect("values"),
            vec![1.0, 2.0, 0.0, 0.0, 3.0, 4.0]
        );
        assert_eq!(this.to_f64_vec().expect("values"), vec![0.0; 6]);
    }

    #[test]
    fn select_scatter_refuses_a_source_of_another_shape() {
        let this = tensor(&[2, 3], &[3, 1], &[0.0; 6]);
        let src = tensor(&[2], &[1], &[1.0, 2.0]);
        let err = Runtime::new()
            .call(
                "aten.select_scatter.default",
                vec![this.into(), src.into(), IValue::Int(0), IValue::Int(-1)],
            )
            .expect_err("a [2] source for a [3] row");
        assert!(
            err.to_string()
                .contains("expected src to have a size equal to the slice of self"),
            "{err}"
        );
    }
}
