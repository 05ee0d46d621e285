//! `backward()`: what `torch.autograd.backward` does before the engine runs.
//!
//! 1. The api `backward` event (roots; per root the gradient given, or nil).
//! 2. `_make_grads`: a root without a gradient that requires grad gets
//!    `torch.ones_like(root, memory_format=torch.preserve_format)` — a Python
//!    factory call, so it runs below autograd — recorded in context
//!    "backward"; it must be a scalar.
//! 3. Every root must require grad; its gradient edge is its `grad_fn` (or
//!    its AccumulateGrad for a leaf).
//! 4. The engine runs. The root gradients stay referenced until it returns
//!    (Python holds them), which matters to AccumulateGrad's "steal the
//!    gradient when nobody else holds it" rule.
//! 5. A call that raised — at any step — is closed by `graph_task_error`
//!    with the exception as Python shows it, in place of `graph_task_end`.

use super::call::gradient_edge;
use super::grad::Restriction;
use super::{ExecContext, Runtime};
use crate::autograd::engine;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::options::MemoryFormat;

impl Runtime {
    /// `torch.autograd.backward(roots, grads, retain_graph, create_graph)`.
    /// `grads[i] == None` asks for the implicit `ones_like` of a scalar root.
    pub fn backward(
        &mut self,
        roots: &[Tensor],
        grads: &[Option<Tensor>],
        retain_graph: bool,
        create_graph: bool,
    ) -> Result<()> {
        if roots.len() != grads.len() {
            return Err(RuntimeError::autograd(format!(
                "got {} roots but {} gradients",
                roots.len(),
                grads.len()
            )));
        }
        if let Some(t) = &mut self.tracer {
            t.flush_state();
            t.backward_call(roots, grads, retain_graph, create_graph);
        }
        // A backward() called while the engine runs a node (reentrant)
        // returns to that node's context.
        let caller = std::mem::replace(&mut self.context, ExecContext::Backward);
        let result = self
            .run_backward(roots, grads.to_vec(), retain_graph, create_graph, None)
            .map(|_| ());
        self.context = caller;
        // A backward that raised ends with graph_task_error where it stopped
        // (FORMAT §3.4): before the engine ran, or after the node that raised.
        if let (Err(e), Some(t)) = (&result, &mut self.tracer) {
            t.graph_task_error(e.python_message());
        }
        result
    }

    /// Steps 2–4, for `backward()` and (with a `restriction`) for
    /// `torch.autograd.grad` / `backward(inputs=...)`; returns the gradients
    /// captured for a restriction's inputs.
    pub(super) fn run_backward(
        &mut self,
        roots: &[Tensor],
        grads: Vec<Option<Tensor>>,
        retain_graph: bool,
        create_graph: bool,
        restriction: Option<&Restriction<'_>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut root_grads = Vec::with_capacity(roots.len());
        for (i, (root, grad)) in roots.iter().zip(grads).enumerate() {
            let g = match grad {
                Some(g) => {
                    if g.shape() != root.shape() {
                        return Err(RuntimeError::shape(
                            "backward",
                            format!(
                                "Mismatch in shape: grad_output[{i}] has a shape of torch.Size({:?}) and output[{i}] has a shape of torch.Size({:?}).",
                                g.shape(),
                                root.shape()
                            ),
                        ));
                    }
                    Some(g)
                }
                None if root.requires_grad() => {
                    if root.numel() != 1 {
                        return Err(RuntimeError::autograd(
                            "grad can be implicitly created only for scalar outputs",
                        ));
                    }
                    Some(self.implicit_ones_like(root)?)
                }
                None => None,
            };
            root_grads.push(g);
        }
        let mut edges = Vec::with_capacity(roots.len());
        for (i, root) in roots.iter().enumerate() {
            if !root.requires_grad() {
                return Err(RuntimeError::autograd(format!(
                    "element {i} of tensors does not require grad and does not have a grad_fn"
                )));
            }
            self.refresh_view_history(root);
            edges.push(gradient_edge(root));
        }
        if let Some(t) = &mut self.tracer {
            t.unseen_accumulators(&edges);
        }
        let (outputs, accumulate) = match restriction {
            Some(r) => (self.input_edges(r)?, r.accumulate),
            None => (Vec::new(), true),
        };
        // Python keeps its list of gradients alive for the whole call.
        let held = root_grads.clone();
        let result = engine::execute(
            self,
            edges,
            root_grads,
            retain_graph,
            create_graph,
            &outputs,
            accumulate,
        );
        drop(held);
        result
    }

    /// `torch.ones_like(root, memory_format=torch.preserve_format)` as
    /// `_make_grads` calls it (`pin_memory` is filled in by the Python binding).
    fn implicit_ones_like(&mut self, root: &Tensor) -> Result<Tensor> {
        let tls = self.tls.below_ad_inplace_or_view();
        self.dispatch_with_tls(
            "aten.ones_like.default",
            vec![
                root.into(),
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::Bool(false),
                IValue::MemoryFormat(MemoryFormat::Preserve),
            ],
            tls,
        )?
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::unsupported("aten.ones_like.default", "a non-tensor result"))
    }
}
