//! A CompositeImplicitAutograd operator that a dispatch mode sees whole.
//!
//! A composite normally decomposes at its Autograd key, above the Python
//! key where a dispatch mode observes calls, so the mode sees its parts.
//! When the walk has no Autograd key — inside `torch.inference_mode()`
//! (Autograd keys excluded), or when every tensor argument is an inference
//! tensor — the decomposition runs at the backend key, *below* the Python
//! key: the mode sees the composite itself, and the parts it runs through
//! `func(*args)` are not seen (observed in torch 2.15: `nn.Linear` under
//! `inference_mode` records one `aten.linear.default` with the chain
//! `ADInplaceOrView[fallthrough] → BackendSelect[fallthrough] → CPU[math]`,
//! and no `t` or `addmm`). With [`Runtime::set_dispatch_mode_active`] on,
//! the runtime records such a call as one op event and runs the
//! decomposition without recording its parts.

use super::{Runtime, call, decompose};
use crate::dispatch::args::bind;
use crate::dispatch::dispatcher::{OptionsBackend, Plan};
use crate::dispatch::registry::{OpEntry, Registry};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::trace::ArgMeta;

impl Runtime {
    /// Whether a dispatch mode sees this composite whole: a `math` walk
    /// that ends at a backend key while a mode is active.
    pub(super) fn composite_seen_whole(&self, plan: &Plan) -> bool {
        self.dispatch_mode_active && plan.is_math() && plan.backend().is_some()
    }

    /// Runs the decomposition with the tracer set aside, then records the
    /// composite as the one op event the mode saw.
    pub(super) fn run_composite_seen_whole(
        &mut self,
        entry: &'static OpEntry,
        plan: &Plan,
        args: &[IValue],
    ) -> Result<Vec<IValue>> {
        // The Conjugate fallback comes first (observed in torch 2.15: a
        // conjugate view given to `fft_hfft` is cloned, the clone recorded,
        // before the mode sees the composite); views pass through.
        let materialized = self.materialize_conjugates(entry, args)?;
        let args = materialized.as_deref().unwrap_or(args);
        let metas = self.tracer.as_mut().map(|tracer| {
            tracer.introduce_unseen(args.iter().flat_map(IValue::tensors));
            args.iter()
                .flat_map(IValue::tensors)
                .map(ArgMeta::of)
                .collect::<Vec<_>>()
        });
        // Neither recorded nor anchored: the mode saw no parts, so none of
        // PyTorch's calls inside a node pairs with them.
        let tracer = self.tracer.take();
        let anchor = self.node_anchor.take();
        let result = decompose::run(self, entry, args);
        self.tracer = tracer;
        self.node_anchor = anchor;
        // `chunk` and `narrow` have ADInplaceOrView kernels: their pieces
        // are views of the input sharing its version counter.
        let outputs = if plan.has_inplace_or_view_kernel() {
            result?
        } else {
            own_versions(args, result?)
        };
        // `--inject-fault perturb=` reaches a composite seen whole as it
        // reaches a kernel: its first output tensor is off.
        self.apply_perturb_fault(entry.python_name.as_str(), args, &outputs)?;
        if let Some(metas) = metas {
            self.trace_composite(entry, plan, args, metas, &outputs);
        }
        Ok(outputs)
    }

    /// Runs composite `op` the way PyTorch's ZeroTensor `add` calls
    /// `Tensor::to` from C++ (observed in torch 2.15): the mode sees the
    /// composite whole, its walk stopping at the Autograd key's `math`
    /// handler, not its parts; an output on another device than its input
    /// is then recorded as a transfer.
    pub(crate) fn call_composite_whole(
        &mut self,
        op: &str,
        args: Vec<IValue>,
    ) -> Result<Vec<IValue>> {
        let entry = Registry::builtin()?.get(op)?;
        let args = bind(op, &entry.schema, args)?;
        let options = OptionsBackend::of(entry, &args);
        let keys = self.tls.apply(call::keys_of_tensors(&args));
        let plan = Plan::walk(entry, keys, options)?;
        let outputs = self.run_composite_seen_whole(entry, &plan, &args)?;
        if let Some(tracer) = &mut self.tracer {
            for dst in outputs.iter().flat_map(IValue::tensors) {
                let src = args
                    .iter()
                    .flat_map(IValue::tensors)
                    .find(|a| a.device() != dst.device());
                if let Some(src) = src {
                    tracer.transfer(src, dst);
                }
            }
        }
        Ok(outputs)
    }

    fn trace_composite(
        &mut self,
        entry: &OpEntry,
        plan: &Plan,
        args: &[IValue],
        metas: Vec<ArgMeta>,
        outputs: &[IValue],
    ) {
        let Some(context) = self.traced_context() else {
            return;
        };
        let Some(tracer) = &mut self.tracer else {
            return;
        };
        let names = call::argument_names(entry);
        let out_tensors: Vec<Tensor> = outputs.iter().flat_map(IValue::tensors).cloned().collect();
        // No Autograd key ran: no node, no history attached by this call.
        let out_metas = call::output_metas(args, &metas, &out_tensors, &[]);
        tracer.op(
            entry.python_name.as_str(),
            plan.keyset,
            plan.chain_names(),
            &names,
            args,
            metas,
            outputs,
            out_metas,
            context,
        );
    }
}

/// A composite seen whole runs its parts below ADInplaceOrView, so a view of
/// an input it returns shares no version counter with that input: its own
/// counter starts at 0 (observed in torch 2.15 under `inference_mode`:
/// after `y[0] = 1`, `y.reshape(-1)`, `y.flatten()` and `y.T` are at
/// version 0 while `y.view(-1)` is at 1). An input returned itself keeps
/// its counter, and so do the pieces of `chunk` and the slice `narrow`
/// returns, which PyTorch's ADInplaceOrView kernels for them make views of
/// the input (observed in torch 2.15: on a normal tensor at version 1,
/// `x.narrow(0, 1, 2)` is recorded at version 1, `x.reshape(-1)` at 0).
fn own_versions(args: &[IValue], outputs: Vec<IValue>) -> Vec<IValue> {
    let inputs: Vec<&Tensor> = args.iter().flat_map(IValue::tensors).collect();
    let own = |t: Tensor| -> Tensor {
        // An `out=` argument resized in place comes back as its new handle
        // (`reseat`), the same tensor to the trace.
        let view_of_input = !t.is_sparse()
            && inputs.iter().any(|i| {
                !i.same_tensor(&t) && !i.same_trace_identity(&t) && i.shares_version_with(&t)
            });
        if view_of_input {
            t.with_own_version()
        } else {
            t
        }
    };
    outputs
        .into_iter()
        .map(|v| match v {
            IValue::Tensor(t) => IValue::Tensor(own(t)),
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    /// Under `inference_mode`, after an in-place write to a normal tensor,
    /// its `reshape` (a view the composite returns) is at version 0 while
    /// `flatten` of a 1-d tensor (the input itself) keeps version 1, as in
    /// torch 2.15.
    #[test]
    fn views_returned_by_composites_seen_whole_have_their_own_counter() {
        let shape = [2, 3];
        let y = Tensor::from_f64(
            "y",
            &shape,
            &contiguous_strides(&shape),
            DType::Float32,
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        )
        .expect("tensor");
        let mut rt = Runtime::new();
        rt.set_dispatch_mode_active(true);
        rt.call("aten.add_.Scalar", vec![(&y).into(), IValue::Int(1)])
            .expect("add_");
        assert_eq!(y.version(), 1);
        rt.set_grad_mode(false, true);
        let out = |rt: &mut Runtime, op: &str, args: Vec<IValue>| -> Tensor {
            rt.call(op, args)
                .expect("call")
                .into_iter()
                .next()
                .and_then(IValue::into_tensor)
                .expect("a tensor")
        };
        let r = out(
            &mut rt,
            "aten.reshape.default",
            vec![(&y).into(), IValue::IntList(vec![-1])],
        );
        assert_eq!((r.shape().to_vec(), r.version()), (vec![6], 0));
        let row = out(
            &mut rt,
            "aten.select.int",
            vec![(&y).into(), IValue::Int(0), IValue::Int(0)],
        );
        assert_eq!(row.version(), 1);
        let same = out(
            &mut rt,
            "aten.flatten.using_ints",
            vec![(&row).into(), IValue::Int(0), IValue::Int(-1)],
        );
        assert!(same.same_tensor(&row));
        assert_eq!(same.version(), 1);
    }
}
