//! `out=` overloads and in-place forms of operators that have a
//! functional kernel.
//!
//! Registering an `out=` schema (`mm.out`, `mul.out`, `addmm.out`,
//! `amax.out`, ...) in `native_functions/` is enough to give it a kernel:
//! [`lookup`] finds the functional overload of the same name whose
//! arguments are the `out=` overload's minus its `out` tensors (`mul.out`
//! → `mul.Tensor`, `mm.out` → `mm.default`), runs that overload's kernel
//! and writes its results into the `out` tensors the way PyTorch's
//! `resize_output` and structured kernels do:
//!
//! * an `out` of the result's shape keeps its geometry: the values are
//!   written through its strides (a column-major `out` stays column-major);
//! * an `out` of another shape is resized (PyTorch warns when it had
//!   elements): it takes the result's shape and the strides the functional
//!   kernel chose (TensorIterator's layout for pointwise operators,
//!   contiguous for matrix products and reductions), under the same tensor
//!   and storage identity;
//! * a result dtype that cannot be cast to `out`'s fails with PyTorch's
//!   "result type ... can't be cast to the desired output type ..." error.
//!
//! An in-place form (`addmm_`, `cumsum_`) registered without a kernel of
//! its own is found the same way (`addmm_` → `addmm.default`, same
//! arguments): the functional result, which must have `self`'s shape, is
//! written through `self`'s strides.
//!
//! The call returns the `out` tensors themselves (the alias the schema's
//! `Tensor(a!)` return names). The functional result is computed first, so
//! an `out` that is also an input (`torch.mul(x, y, out=x)`) reads its old
//! values.

use crate::dispatch::args::Args;
use crate::dispatch::registry::{OpEntry, Registry};
use crate::dispatch::schema::{Argument, FunctionSchema};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::promote::check_inplace_cast;

/// The generic kernel for `op` if it is a registered `out=` overload whose
/// functional overload has a kernel.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    let registry = Registry::builtin().ok()?;
    let entry = registry.get(op).ok()?;
    if functional_of(registry, &entry.schema).is_some() {
        Some(into_out)
    } else if functional_of_inplace(registry, &entry.schema).is_some() {
        Some(into_self)
    } else {
        None
    }
}

/// The functional overload an in-place schema (`name_`) computes: base
/// name without the `_`, the same overload name or the default one, the
/// same argument names and types, and a kernel of its own.
fn functional_of_inplace<'r>(
    registry: &'r Registry,
    inplace: &FunctionSchema,
) -> Option<&'r OpEntry> {
    if !inplace.is_inplace() || inplace.is_out() {
        return None;
    }
    let base = inplace.name.strip_suffix('_')?;
    registry.ops().find(|e| {
        e.schema.name == base
            && (e.schema.overload_name == inplace.overload_name
                || e.schema.overload_name.is_empty())
            && e.schema.returns.len() == 1
            && e.schema.arguments.len() == inplace.arguments.len()
            && e.schema
                .arguments
                .iter()
                .zip(&inplace.arguments)
                .all(|(f, o)| f.name == o.name && f.ty == o.ty)
            && super::lookup(&e.python_name).is_some()
    })
}

/// Runs the functional kernel and writes its result into `self`.
fn into_self(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let registry = Registry::builtin()?;
    let functional = functional_of_inplace(registry, a.schema).ok_or_else(|| {
        RuntimeError::unsupported(ctx.op, "a functional kernel to write in place")
    })?;
    let results = run_functional(ctx, functional, a.values)?;
    let this = a.tensor(0)?;
    let result = results.first().and_then(IValue::as_tensor).ok_or_else(|| {
        RuntimeError::unsupported(ctx.op, "an in-place form of a non-tensor result")
    })?;
    write_into_self(ctx, this, result)?;
    Ok(vec![this.clone().into()])
}

/// Writes an in-place operator's functional `result` into `this` (its
/// `self`): the result's dtype must cast to `self`'s and its shape must be
/// `self`'s (PyTorch's "doesn't match the broadcast shape" otherwise).
pub(crate) fn write_into_self(
    ctx: &mut KernelCtx<'_>,
    this: &Tensor,
    result: &Tensor,
) -> Result<()> {
    check_inplace_cast(ctx.op, result.dtype(), this.dtype())?;
    if this.shape() != result.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "output with shape {:?} doesn't match the broadcast shape {:?}",
                this.shape(),
                result.shape()
            ),
        ));
    }
    copy_into(ctx, this, result)
}

/// `functional`'s kernel on `values`, under its own name (kernels shared
/// by several operators tell them apart by `ctx.op`).
fn run_functional(
    ctx: &mut KernelCtx<'_>,
    functional: &OpEntry,
    values: &[IValue],
) -> Result<Vec<IValue>> {
    let kernel = super::lookup(&functional.python_name)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a CPU kernel"))?;
    let mut inner = KernelCtx {
        op: &functional.python_name,
        backend: ctx.backend,
        random: &mut *ctx.random,
        default_dtype: ctx.default_dtype,
        faults: ctx.faults,
        cpu: ctx.cpu,
        grad_enabled: ctx.grad_enabled,
        gauge: None,
        resized: &mut *ctx.resized,
    };
    kernel(
        &mut inner,
        Args {
            op: &functional.python_name,
            schema: &functional.schema,
            values,
        },
    )
}

/// The functional overload an `out=` schema writes the results of: same
/// base name, neither in-place nor `out=`, the same argument names and
/// types once the `out` tensors are left out, and a kernel of its own.
fn functional_of<'r>(registry: &'r Registry, out: &FunctionSchema) -> Option<&'r OpEntry> {
    functional_overload(registry, out, |e| super::lookup(&e.python_name).is_some())
}

/// The functional overload of `out=` schema `out` (see [`functional_of`])
/// among the registered operators `usable` accepts.
pub(crate) fn functional_overload<'r>(
    registry: &'r Registry,
    out: &FunctionSchema,
    usable: impl Fn(&OpEntry) -> bool,
) -> Option<&'r OpEntry> {
    if !out.is_out() {
        return None;
    }
    let outs = out.out_arguments();
    let inputs: Vec<&Argument> = out
        .arguments
        .iter()
        .enumerate()
        .filter(|(i, _)| !outs.contains(i))
        .map(|(_, a)| a)
        .collect();
    registry.ops().find(|e| {
        e.schema.name == out.name
            && !e.schema.is_out()
            && !e.schema.is_inplace()
            && e.schema.returns.len() == outs.len()
            && e.schema.arguments.len() == inputs.len()
            && e.schema
                .arguments
                .iter()
                .zip(&inputs)
                .all(|(f, o)| f.name == o.name && f.ty == o.ty)
            && usable(e)
    })
}

/// Sums and products whose `out=` overload takes its accumulation dtype
/// from `out` when `dtype` is not given (PyTorch's `get_dtype_from_result`):
/// `torch.sum(x_f32, 0, out=o_f64)` adds in float64, where the generic
/// write would round a float32 sum. Other operators compute in their own
/// dtype and cast into `out`.
const DTYPE_FROM_OUT: &[&str] = &["sum", "nansum", "mean", "prod", "cumsum", "cumprod"];

/// Sets the functional's missing `dtype` to `out`'s for [`DTYPE_FROM_OUT`].
/// `mean` of an integer or bool tensor still fails as PyTorch's does
/// ("could not infer output dtype"): its check reads the input, not `out`.
fn accumulate_in_out_dtype(functional: &OpEntry, values: &mut [IValue], out: &Tensor) {
    let name = functional.schema.name.as_str();
    if !DTYPE_FROM_OUT.contains(&name) {
        return;
    }
    let integral_input = values
        .first()
        .and_then(IValue::as_tensor)
        .is_some_and(|t| t.dtype().is_integral(true));
    if name == "mean" && integral_input {
        return;
    }
    let dtype = functional
        .schema
        .arguments
        .iter()
        .position(|arg| arg.name == "dtype");
    if let Some(slot) = dtype.and_then(|i| values.get_mut(i))
        && matches!(slot, IValue::None)
    {
        *slot = IValue::Dtype(out.dtype());
    }
}

/// Runs the functional kernel and writes each result into its `out`.
fn into_out(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let registry = Registry::builtin()?;
    let functional = functional_of(registry, a.schema)
        .ok_or_else(|| RuntimeError::unsupported(ctx.op, "a functional kernel to write out="))?;
    let outs = a.schema.out_arguments();
    let mut values: Vec<IValue> = a
        .values
        .iter()
        .enumerate()
        .filter(|(i, _)| !outs.contains(i))
        .map(|(_, v)| v.clone())
        .collect();
    if let [index] = outs[..]
        && !ctx.faults.out_reduction_in_input_dtype
    {
        accumulate_in_out_dtype(functional, &mut values, a.tensor(index)?);
    }
    let results = run_functional(ctx, functional, &values)?;
    let mut returned = Vec::with_capacity(outs.len());
    for (&index, result) in outs.iter().zip(&results) {
        let out = a.tensor(index)?;
        let result = result.as_tensor().ok_or_else(|| {
            RuntimeError::unsupported(ctx.op, "an out= overload of a non-tensor result")
        })?;
        ctx.check(out, "out")?;
        returned.push(IValue::from(write_out(ctx, index, out, result)?));
    }
    Ok(returned)
}

/// Writes an out= kernel's own `result` into `out` (argument `index`) as
/// the generic `out=` kernels do: through `out`'s strides when the shapes
/// agree, else into `out` resized to `result`'s geometry.
pub(crate) fn write_result(
    ctx: &mut KernelCtx<'_>,
    index: usize,
    out: &Tensor,
    result: &Tensor,
) -> Result<Tensor> {
    write_out(ctx, index, out, result)
}

/// Writes `result` into `out` (argument `index`): through `out`'s strides
/// when the shapes agree, else into `out` resized to `result`'s geometry
/// (the handle the caller binds in the old one's place).
fn write_out(
    ctx: &mut KernelCtx<'_>,
    index: usize,
    out: &Tensor,
    result: &Tensor,
) -> Result<Tensor> {
    check_inplace_cast(ctx.op, result.dtype(), out.dtype())?;
    if out.shape() == result.shape() {
        copy_into(ctx, out, result)?;
        return Ok(out.clone());
    }
    let resized = if result.dtype() == out.dtype() && !ctx.faults.out_resize_contiguous {
        result.clone()
    } else if ctx.faults.out_resize_contiguous {
        // Fault: a plain `resize_` of `out` (contiguous), ignoring the
        // strides the functional kernel computed.
        let fresh = ctx.output(
            result.shape(),
            &crate::tensor::strides::contiguous_strides(result.shape()),
            out.dtype(),
            || Ok(vec![0.0; result.numel()]),
        )?;
        copy_into(ctx, &fresh, result)?;
        fresh
    } else {
        let fresh = ctx.output(result.shape(), result.stride(), out.dtype(), || {
            Ok(vec![0.0; result.numel()])
        })?;
        copy_into(ctx, &fresh, result)?;
        fresh
    };
    let handle = reseat(out, &resized);
    ctx.resized.push((index, handle.clone()));
    Ok(handle)
}

/// `out`'s new handle over `resized` (its values and geometry): PyTorch
/// resizes `out`'s storage in place, so the stream keeps one storage.
pub(crate) fn reseat(out: &Tensor, resized: &Tensor) -> Tensor {
    resized.0.storage.trace.assume(&out.0.storage.trace);
    super::set::reseated(out, resized)
}

/// `dst.copy_(src)` for tensors of one shape (exact for integers).
fn copy_into(ctx: &mut KernelCtx<'_>, dst: &Tensor, src: &Tensor) -> Result<()> {
    let registry = Registry::builtin()?;
    let copy = registry.get("aten.copy_.default")?;
    let values = [
        IValue::from(dst.clone()),
        IValue::from(src.clone()),
        IValue::Bool(false),
    ];
    let op = ctx.op;
    super::factory::copy_(
        ctx,
        Args {
            op,
            schema: &copy.schema,
            values: &values,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::functional_of;
    use crate::dispatch::registry::Registry;
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn tensor(shape: &[i64], strides: &[i64], dtype: DType, values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, strides, dtype, values).expect("tensor")
    }

    fn dense(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
        tensor(shape, &contiguous_strides(shape), dtype, values)
    }

    fn first(outputs: Vec<IValue>) -> Tensor {
        outputs
            .into_iter()
            .next()
            .and_then(|v| v.as_tensor().cloned())
            .expect("a tensor result")
    }

    #[test]
    fn a_resized_out_takes_the_functional_kernels_strides() {
        // mul of two transposed [4, 3] views: TensorIterator keeps their
        // column-major layout, and so does the resized `out`.
        let base = dense(
            &[3, 4],
            DType::Float32,
            &(0..12).map(f64::from).collect::<Vec<_>>(),
        );
        let t = base.alias_with(vec![4, 3], vec![1, 4], 0);
        let out = dense(&[0], DType::Float32, &[]);
        let mut rt = Runtime::new();
        let r = first(
            rt.call(
                "aten.mul.out",
                vec![t.clone().into(), t.clone().into(), out.clone().into()],
            )
            .expect("mul.out"),
        );
        assert_eq!((r.shape(), r.stride()), (&[4i64, 3][..], &[1i64, 4][..]));
        // The same tensor over new storage: one version counter.
        assert_eq!((r.version(), out.version()), (1, 1));
        let squares: Vec<f64> = t
            .to_f64_vec()
            .expect("values")
            .iter()
            .map(|v| v * v)
            .collect();
        assert_eq!(r.to_f64_vec().expect("values"), squares);
        let resized = rt.take_resized_arguments();
        assert_eq!(resized.len(), 1);
        assert_eq!(resized[0].0, 2);
    }

    #[test]
    fn an_out_of_the_right_shape_keeps_its_strides_and_storage() {
        let a = dense(&[2, 2], DType::Float64, &[1.0, 2.0, 3.0, 4.0]);
        let b = dense(&[2, 2], DType::Float64, &[5.0, 6.0, 7.0, 8.0]);
        let out = tensor(&[2, 2], &[1, 2], DType::Float64, &[0.0; 4]);
        let mut rt = Runtime::new();
        let r = first(
            rt.call("aten.mm.out", vec![a.into(), b.into(), out.clone().into()])
                .expect("mm.out"),
        );
        assert_eq!(r.stride(), &[1, 2]);
        assert!(r.shares_storage(&out));
        assert_eq!(
            out.to_f64_vec().expect("values"),
            vec![19.0, 22.0, 43.0, 50.0]
        );
        assert!(rt.take_resized_arguments().is_empty());
    }

    #[test]
    fn a_result_that_cannot_be_cast_into_out_is_refused() {
        let a = dense(&[2], DType::Float32, &[1.5, 2.5]);
        let out = dense(&[2], DType::Int64, &[0.0, 0.0]);
        let err = Runtime::new()
            .call("aten.mul.out", vec![a.clone().into(), a.into(), out.into()])
            .expect_err("a float result into an int64 out");
        assert!(
            err.to_string()
                .contains("result type Float can't be cast to the desired output type Long"),
            "{err}"
        );
    }

    #[test]
    fn an_inplace_form_writes_the_functional_result_into_self() {
        let this = dense(&[2, 2], DType::Float32, &[1.0, 1.0, 1.0, 1.0]);
        let a = dense(&[2, 2], DType::Float32, &[1.0, 2.0, 3.0, 4.0]);
        let r = first(
            Runtime::new()
                .call(
                    "aten.addmm_.default",
                    vec![
                        this.clone().into(),
                        a.clone().into(),
                        a.into(),
                        IValue::Float(0.5),
                        IValue::Int(2),
                    ],
                )
                .expect("addmm_"),
        );
        assert!(r.same_tensor(&this));
        assert_eq!(
            this.to_f64_vec().expect("values"),
            vec![14.5, 20.5, 30.5, 44.5]
        );
        assert_eq!(this.version(), 1);
    }

    #[test]
    fn every_out_overload_without_a_kernel_of_its_own_finds_its_functional() {
        // out.yaml holds `out=` overloads that rely on the generic kernel: an
        // entry whose functional overload is missing, or has other argument
        // names or types, would be registered and still not run.
        let registry = Registry::builtin().expect("registry");
        let text = crate::dispatch::registry::NATIVE_FUNCTIONS
            .iter()
            .find(|(file, _)| *file == "out.yaml")
            .map(|(_, text)| *text)
            .expect("out.yaml");
        let mut checked = 0;
        let mut missing = Vec::new();
        for line in text.lines() {
            let Some(decl) = line.strip_prefix("- func: ") else {
                continue;
            };
            let name = decl.split('(').next().expect("a name");
            let (base, overload) = name.split_once('.').unwrap_or((name, "default"));
            let op = format!("aten.{base}.{overload}");
            let entry = registry.get(&op).expect("registered");
            if functional_of(registry, &entry.schema).is_none() {
                missing.push(op);
            }
            checked += 1;
        }
        assert!(checked > 400, "{checked} entries");
        assert!(missing.is_empty(), "no functional kernel for {missing:?}");
    }

    #[test]
    fn a_sum_into_a_wider_out_accumulates_in_outs_dtype() {
        // 2^24 + 1 + 1: float32 rounds each partial sum back to 2^24, float64
        // keeps both ones.
        let x = dense(&[3], DType::Float32, &[16_777_216.0, 1.0, 1.0]);
        let call = |faults: crate::faults::Faults| {
            let out = dense(&[], DType::Float64, &[0.0]);
            let mut rt = Runtime::new();
            rt.set_faults(faults);
            rt.call(
                "aten.sum.IntList_out",
                vec![
                    x.clone().into(),
                    IValue::IntList(vec![0]),
                    IValue::Bool(false),
                    IValue::None,
                    out.clone().into(),
                ],
            )
            .expect("sum.IntList_out");
            out.to_f64_vec().expect("values")
        };
        assert_eq!(call(Default::default()), vec![16_777_218.0]);
        let fault = crate::faults::Faults {
            out_reduction_in_input_dtype: true,
            ..Default::default()
        };
        assert_eq!(call(fault), vec![16_777_216.0]);
    }

    #[test]
    fn a_mean_of_integers_into_a_float_out_still_fails_as_pytorch_does() {
        let x = dense(&[3], DType::Int64, &[1.0, 2.0, 4.0]);
        let out = dense(&[], DType::Float32, &[0.0]);
        let err = Runtime::new()
            .call(
                "aten.mean.dtype_out",
                vec![x.into(), IValue::None, out.into()],
            )
            .expect_err("mean of int64");
        assert!(
            err.to_string().contains("could not infer output dtype"),
            "{err}"
        );
    }

    #[test]
    fn the_fault_resizes_out_contiguously() {
        let base = dense(&[3, 4], DType::Float32, &[1.0; 12]);
        let t = base.alias_with(vec![4, 3], vec![1, 4], 0);
        let out = dense(&[0], DType::Float32, &[]);
        let mut rt = Runtime::new();
        rt.set_faults(crate::faults::Faults {
            out_resize_contiguous: true,
            ..Default::default()
        });
        let r = first(
            rt.call("aten.mul.out", vec![t.clone().into(), t.into(), out.into()])
                .expect("mul.out"),
        );
        assert_eq!(r.stride(), &[3, 1]);
    }
}
