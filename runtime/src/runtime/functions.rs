//! Custom `autograd.Function`s: `MyFunction.apply(...)` after its forward
//! ran, and the engine calling the program's backward.
//!
//! Observed in torch 2.15: `apply` runs the program's `forward` with grad
//! mode off (its operators create no node), then, when grad mode is on and
//! a tensor argument requires grad, attaches one node named
//! `<ClassName>Backward` to every tensor it returned (by position:
//! `output_nr`), with one next edge per tensor argument. The node's
//! sequence number is taken before `forward` runs; `forward` takes none, so
//! taking it after is the same number. Every `apply` takes one, node or
//! not (grad mode off, no argument requiring grad). When the engine runs
//! the node, the
//! program's backward receives the node's gradients and returns one
//! gradient per next edge; what it dispatches is recorded in the node's
//! context, then the autograd `node_result` names what it received and
//! returned.

use std::collections::HashMap;
use std::sync::Arc;

use super::call::gradient_edge;
use super::{ExecContext, Runtime};
use crate::autograd::custom::CustomFunction;
use crate::autograd::node::{InputMetadata, Node, NodeKind};
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;

/// The program's backward of a custom Function: the gradients of the
/// node's inputs (one per output of `forward`, `None` where none flowed)
/// → one gradient per tensor argument of `apply`.
pub type FunctionBackwardFn =
    Box<dyn FnMut(&mut Runtime, &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>>>;

/// The backward functions of the program's custom Function nodes.
#[derive(Default)]
pub(crate) struct FunctionRegistry {
    next_id: u64,
    /// Id → the function; `None` while it runs.
    fns: HashMap<u64, Option<FunctionBackwardFn>>,
}

impl Runtime {
    /// `apply` of a custom Function whose forward (already run, grad mode
    /// off) returned `outputs` from the tensor arguments `inputs`: the api
    /// `function` event and a sequence number (taken by every `apply`,
    /// observed in torch 2.15); an output that is one of the inputs (marked
    /// dirty: modified in place) has its version bumped; when grad mode is
    /// on and an input requires grad, a node `name` whose backward is
    /// `backward`, attached to the outputs `differentiable` marks (all when
    /// empty; `ctx.mark_non_differentiable` and integer outputs get none).
    /// Returns whether a node was made.
    pub fn apply_function(
        &mut self,
        name: &str,
        inputs: &[Tensor],
        outputs: &[Tensor],
        differentiable: &[bool],
        backward: FunctionBackwardFn,
    ) -> Result<bool> {
        if matches!(self.context, ExecContext::TopLevel)
            && let Some(t) = &mut self.tracer
        {
            t.flush_state();
        }
        if let Some(t) = &mut self.tracer {
            t.function(name, inputs, outputs);
        }
        let seq_nr = self.next_sequence_nr();
        // Observed in torch 2.15: `x.add_(1); ctx.mark_dirty(x); return x`
        // leaves `x` one version past the `add_`.
        for out in outputs {
            if inputs.iter().any(|i| i.same_tensor(out)) {
                out.0.version.bump();
            }
        }
        if !self.grad_enabled || !inputs.iter().any(Tensor::requires_grad) {
            return Ok(false);
        }
        let id = self.functions.insert(backward);
        let node = Node::new_complete(
            name.to_owned(),
            seq_nr,
            NodeKind::Function,
            inputs.iter().map(gradient_edge).collect(),
            outputs.iter().map(InputMetadata::of).collect(),
            Box::new(CustomFunction { id }),
        );
        let attached: Vec<Tensor> = outputs
            .iter()
            .enumerate()
            .filter(|(i, t)| {
                t.dtype().is_floating() && differentiable.get(*i).copied().unwrap_or(true)
            })
            .map(|(_, t)| t.clone())
            .collect();
        for (nr, t) in outputs.iter().enumerate() {
            if !attached.iter().any(|a| a.same_tensor(t)) {
                continue;
            }
            let mut meta = t.0.autograd.lock();
            meta.grad_fn = Some(Arc::clone(&node));
            meta.output_nr = nr as u32;
        }
        if let Some(t) = &mut self.tracer {
            t.node(&node, &attached, name);
        }
        Ok(true)
    }

    /// Runs backward `id` of custom Function node `node` (called by the
    /// engine), then writes its `node_result`.
    pub(crate) fn run_function_backward(
        &mut self,
        id: u64,
        node: &Arc<Node>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let mut f = self.functions.take(id).ok_or_else(|| {
            RuntimeError::autograd(format!("{}: its backward is already running", node.name()))
        })?;
        // The node runs with the engine's grad mode and leaves it as it found
        // it, whatever the program's backward set (PyTorch guards each node's
        // thread-local state); what the trace believes written is restored
        // with it, as the capture does.
        let mode = (self.grad_enabled, self.inference_mode, self.tls);
        let below_autograd = self.below_autograd;
        let belief = self.tracer.as_ref().map(|t| t.grad_mode_belief());
        if let Some(t) = &mut self.tracer {
            t.begin_function_run((mode.0, mode.1));
        }
        let outcome = f(self, &grads);
        (self.grad_enabled, self.inference_mode, self.tls) = mode;
        self.below_autograd = below_autograd;
        if let (Some(t), Some(b)) = (&mut self.tracer, belief) {
            t.restore_grad_mode_belief(b);
        }
        self.functions.restore(id, f);
        let mut results = outcome?;
        if self.faults.reverse_function_grads {
            results.reverse();
        }
        if let Some(t) = &mut self.tracer {
            t.node_result(node, &grads, &results);
        }
        Ok(results)
    }
}

impl Runtime {
    /// Writes the held-back state changes (grad mode, `requires_grad`,
    /// releases) now, wherever the runtime is: before an operator of program
    /// code the engine called back, as before a top-level one.
    pub fn flush_state(&mut self) {
        if let Some(t) = &mut self.tracer {
            t.flush_state();
        }
    }
}

impl FunctionRegistry {
    fn insert(&mut self, f: FunctionBackwardFn) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.fns.insert(id, Some(f));
        id
    }

    fn take(&mut self, id: u64) -> Option<FunctionBackwardFn> {
        self.fns.get_mut(&id).and_then(Option::take)
    }

    fn restore(&mut self, id: u64, f: FunctionBackwardFn) {
        if let Some(slot) = self.fns.get_mut(&id) {
            *slot = Some(f);
        }
    }
}
