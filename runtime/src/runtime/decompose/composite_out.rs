//! `out=` overloads of composites a dispatch mode sees whole.
//!
//! Under `torch.inference_mode()` PyTorch runs `torch.matmul(a, b, out=c)`
//! as the CompositeImplicitAutograd operator `aten.matmul.out`, seen whole
//! (outside it, the mode sees its parts: `mm.out`, ...). The same holds for
//! `clip.out`, `std.out`, `var.out`, the `torch.fft` family's outs and the
//! aliases' outs (`divide.out`, `greater.Tensor_out`, ...), listed in
//! `native_functions/composite_out.yaml`.
//!
//! The value is the functional composite's (`matmul`), decomposed here
//! unrecorded, written into each `out` as the generic `out=` kernels write
//! (`kernels/out_variant.rs`): an `out` of the result's shape keeps its
//! strides (values go through them); one of another shape is resized in
//! place to the result's shape and strides. The call returns the `out`
//! tensors themselves.

use super::one;
use crate::dispatch::DispatchKey;
use crate::dispatch::registry::{Handler, OpEntry, Registry};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::out_variant::{functional_overload, reseat};
use crate::runtime::Runtime;

/// The results of `out=` overload `entry` if it writes a composite's
/// results, else `None`.
pub(super) fn run(
    rt: &mut Runtime,
    entry: &OpEntry,
    args: &[IValue],
) -> Option<Result<Vec<IValue>>> {
    let registry = Registry::builtin().ok()?;
    let functional = functional_overload(registry, &entry.schema, OpEntry::is_composite_implicit)?;
    Some(write_functional(rt, entry, functional, args))
}

fn write_functional(
    rt: &mut Runtime,
    entry: &OpEntry,
    functional: &OpEntry,
    args: &[IValue],
) -> Result<Vec<IValue>> {
    let op = entry.python_name.as_str();
    let outs = entry.schema.out_arguments();
    let inputs: Vec<IValue> = args
        .iter()
        .enumerate()
        .filter(|(i, _)| !outs.contains(i))
        .map(|(_, v)| v.clone())
        .collect();
    let results = super::run(rt, functional, &inputs)?;
    if results.len() != outs.len() {
        return Err(RuntimeError::unsupported(
            op,
            "as many results as out tensors",
        ));
    }
    outs.iter()
        .zip(results)
        .map(|(&slot, result)| {
            let out = args
                .get(slot)
                .and_then(IValue::as_tensor)
                .ok_or_else(|| RuntimeError::unsupported(op, "an out tensor"))?;
            let result = result
                .as_tensor()
                .ok_or_else(|| RuntimeError::unsupported(op, "a tensor result"))?;
            // ADInplaceOrView counts the write, where the composite has
            // that kernel (`matmul.out`); its parts run below it uncounted.
            if matches!(entry.handler(DispatchKey::ADInplaceOrView), Handler::Kernel)
                && !out.is_inference()
                && !rt.faults.composite_out_uncounted_write
            {
                out.0.version.bump();
            }
            if out.shape() == result.shape() {
                let copy = vec![out.clone().into(), result.clone().into()];
                rt.call_below_ad_inplace_or_view("aten.copy_.default", copy)?;
                return Ok(IValue::Tensor(out.clone()));
            }
            // Resized: `out` takes the result's values and geometry, on new
            // storage the replayer binds in place of the argument's.
            let resized = if result.dtype() == out.dtype() {
                result.clone()
            } else {
                let dtype = IValue::Int(out.dtype().scalar_type_index());
                one(
                    rt,
                    "aten._to_copy.default",
                    vec![result.clone().into(), dtype],
                )?
            };
            let handle = reseat(out, &resized);
            rt.resized_arguments.push((slot, handle.clone()));
            Ok(IValue::Tensor(handle))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::functional_overload;
    use crate::dispatch::registry::{OpEntry, Registry};

    /// Every overload of `composite_out.yaml` finds the composite whose
    /// results it writes.
    #[test]
    fn every_composite_out_overload_has_its_functional_composite() {
        let registry = Registry::builtin().expect("registry");
        let listed = include_str!("../../dispatch/native_functions/composite_out.yaml");
        let mut checked = 0;
        for line in listed.lines().filter(|l| l.starts_with("- func: ")) {
            let name = line["- func: ".len()..]
                .split('(')
                .next()
                .unwrap_or_default();
            let (base, overload) = name.split_once('.').unwrap_or((name, "default"));
            let entry = registry
                .get(&format!("aten.{base}.{overload}"))
                .expect(name);
            assert!(entry.is_composite_implicit(), "{name}");
            assert!(
                functional_overload(registry, &entry.schema, OpEntry::is_composite_implicit)
                    .is_some(),
                "{name} has no functional composite"
            );
            checked += 1;
        }
        assert!(checked >= 50, "{checked}");
    }
}
