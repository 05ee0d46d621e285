//! Events of custom `autograd.Function`s: the api `function` of an
//! `apply` and the autograd `node_result` of its node's backward
//! (FORMAT.md §3.2, §3.4).

use ft_trace::event::{ApiEvent, AutogradEvent, EventBody, FunctionApplied, NodeResult};

use super::Tracer;
use crate::autograd::node::Node;
use crate::tensor::Tensor;

/// What the tracer believes about grad mode: the change it holds back, the
/// mode it last wrote, and the engine's mode of a Function's backward that
/// has not reached its first state flush.
pub(crate) type GradModeBelief = (Option<(bool, bool)>, (bool, bool), Option<(bool, bool)>);

impl Tracer {
    /// The grad mode held back and last written.
    pub(crate) fn grad_mode_belief(&self) -> GradModeBelief {
        (self.pending_mode, self.emitted_mode, self.run_engine_mode)
    }

    /// Restores what [`Tracer::grad_mode_belief`] returned (after program
    /// code the engine called back, whose grad mode the engine undoes).
    pub(crate) fn restore_grad_mode_belief(&mut self, belief: GradModeBelief) {
        (self.pending_mode, self.emitted_mode, self.run_engine_mode) = belief;
    }

    /// A custom Function's backward starts in the engine's grad mode
    /// `engine` (`create_graph`), which no event wrote: at its first state
    /// flush a grad mode that differs from it is written even when it is
    /// the one last written (a backward that begins with
    /// `torch.enable_grad()`), as the capture writes it.
    pub(crate) fn begin_function_run(&mut self, engine: (bool, bool)) {
        self.run_engine_mode = Some(engine);
    }

    /// api `function [name, inputs, outputs]`.
    pub(crate) fn function(&mut self, name: &str, inputs: &[Tensor], outputs: &[Tensor]) {
        self.introduce_unseen(inputs.iter().chain(outputs));
        let inputs = inputs.iter().map(|t| self.tensor_id(t)).collect();
        let outputs = outputs.iter().map(|t| self.tensor_id(t)).collect();
        self.api(ApiEvent::Function(FunctionApplied {
            name: name.to_owned(),
            inputs,
            outputs,
        }));
    }

    /// autograd `node_result [node, grads, results]` (references without
    /// values).
    pub(crate) fn node_result(
        &mut self,
        node: &Node,
        grads: &[Option<Tensor>],
        results: &[Option<Tensor>],
    ) {
        self.introduce_unseen(grads.iter().chain(results).flatten());
        let node = self.node_id(node);
        let grads = grads
            .iter()
            .map(|g| g.as_ref().map(|t| self.tensor_ref(t, None, false)))
            .collect();
        let results = results
            .iter()
            .map(|g| g.as_ref().map(|t| self.tensor_ref(t, None, false)))
            .collect();
        self.emit(EventBody::Autograd(AutogradEvent::NodeResult(NodeResult {
            node,
            grads,
            results,
        })));
    }
}
