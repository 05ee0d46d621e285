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
use crate::dispatch::dispatcher::Plan;
use crate::dispatch::registry::OpEntry;
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
        let metas = self.tracer.as_mut().map(|tracer| {
            tracer.introduce_unseen(args.iter().flat_map(IValue::tensors));
            args.iter()
                .flat_map(IValue::tensors)
                .map(ArgMeta::of)
                .collect::<Vec<_>>()
        });
        let tracer = self.tracer.take();
        let result = decompose::run(self, entry, args);
        self.tracer = tracer;
        let outputs = result?;
        // `--inject-fault perturb=` reaches a composite seen whole as it
        // reaches a kernel: its first output tensor is off.
        self.apply_perturb_fault(entry.python_name.as_str(), args, &outputs)?;
        if let Some(metas) = metas {
            self.trace_composite(entry, plan, args, metas, &outputs);
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
