//! `torch.autograd.grad` and `backward(inputs=...)`: a backward restricted
//! to given inputs (PyTorch's `THPEngine_run_backward` with `inputs`).
//!
//! 1. The api `grad` event, then what `backward()` does with the roots
//!    (implicit `ones_like`, gradient edges).
//! 2. One *output edge* per input: its `grad_fn` edge; for a leaf its live
//!    AccumulateGrad (never a new one); otherwise a fresh `Identity` node
//!    that nothing reaches — it takes a sequence number (observed in torch
//!    2.15: `grad(y, [a, u], allow_unused=True)` with `u` unused advances
//!    the counter by one). With `accumulate` (`backward(inputs=...)`) a
//!    non-leaf input retains its gradient, as PyTorch calls `retain_grad()`.
//! 3. The engine runs only what leads to the output edges
//!    (`autograd::exec_info`); without `accumulate` it returns the
//!    gradients captured there, recorded as `grad_result`.

use super::call::gradient_edge;
use super::{ExecContext, Runtime};
use crate::autograd::functions::accumulate_grad::live_grad_accumulator;
use crate::autograd::functions::graph_root::identity_node;
use crate::autograd::node::Edge;
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;
use crate::trace::grad::GradCallArgs;

/// What a restricted backward is asked (the arguments of
/// `torch.autograd.grad`, or of `backward(inputs=...)` with `accumulate`).
#[derive(Clone, Copy)]
pub struct GradRequest<'a> {
    /// The outputs the backward starts from.
    pub roots: &'a [Tensor],
    /// One per root: its gradient, or `None` for the implicit `ones_like`.
    pub grads: &'a [Option<Tensor>],
    /// The tensors whose gradients are wanted.
    pub inputs: &'a [Tensor],
    /// `retain_graph`.
    pub retain_graph: bool,
    /// `create_graph`.
    pub create_graph: bool,
    /// True for `backward(inputs=...)`: the inputs' gradients accumulate
    /// into `.grad` and nothing is returned.
    pub accumulate: bool,
    /// `allow_unused`: an input no path reaches gets `None` instead of an error.
    pub allow_unused: bool,
}

/// The inputs of a restricted backward, as the engine call needs them.
pub(crate) struct Restriction<'a> {
    pub(crate) inputs: &'a [Tensor],
    pub(crate) accumulate: bool,
}

impl Runtime {
    /// `torch.autograd.grad(...)` (`accumulate` false: returns one gradient
    /// per input, `None` for an unused one) or `backward(inputs=...)`
    /// (`accumulate` true: returns nothing).
    pub fn grad(&mut self, request: &GradRequest<'_>) -> Result<Vec<Option<Tensor>>> {
        if request.roots.len() != request.grads.len() {
            return Err(RuntimeError::autograd(format!(
                "got {} roots but {} gradients",
                request.roots.len(),
                request.grads.len()
            )));
        }
        if let Some(t) = &mut self.tracer {
            t.flush_state();
            t.grad_call(&GradCallArgs {
                roots: request.roots,
                grads: request.grads,
                inputs: request.inputs,
                retain_graph: request.retain_graph,
                create_graph: request.create_graph,
                accumulate: request.accumulate,
                allow_unused: request.allow_unused,
            });
        }
        self.context = ExecContext::Backward;
        let restriction = Restriction {
            inputs: request.inputs,
            accumulate: request.accumulate,
        };
        let result = if request.inputs.is_empty() {
            // Python refuses it before the engine (observed in torch 2.15).
            Err(RuntimeError::autograd(
                "`inputs` argument to `backward()` cannot be empty.",
            ))
        } else {
            self.run_backward(
                request.roots,
                request.grads.to_vec(),
                request.retain_graph,
                request.create_graph,
                Some(&restriction),
            )
        };
        self.context = ExecContext::TopLevel;
        if let (Err(e), Some(t)) = (&result, &mut self.tracer) {
            t.graph_task_error(e.python_message());
        }
        let grads = result?;
        if request.accumulate {
            return Ok(Vec::new());
        }
        if !request.allow_unused && grads.iter().any(Option::is_none) {
            return Err(RuntimeError::autograd(
                "One of the differentiated Tensors appears to not have been used in the graph. \
                 Set allow_unused=True if this is the desired behavior.",
            ));
        }
        if let Some(t) = &mut self.tracer {
            t.grad_result(&grads);
        }
        Ok(grads)
    }

    /// The engine's output edges for `inputs`, in order.
    pub(super) fn input_edges(&mut self, restriction: &Restriction<'_>) -> Result<Vec<Edge>> {
        let mut edges = Vec::with_capacity(restriction.inputs.len());
        for input in restriction.inputs {
            if !input.requires_grad() {
                return Err(RuntimeError::autograd(
                    "One of the differentiated Tensors does not require grad",
                ));
            }
            if restriction.accumulate && !input.is_leaf() {
                self.hooks.add_retains_grad(input);
            }
            let edge = if input.grad_fn_edge().is_some() {
                gradient_edge(input)
            } else if let Some(acc) = live_grad_accumulator(input) {
                Edge::new(acc, 0)
            } else {
                let seq = self.next_sequence_nr();
                Edge::new(identity_node(seq), 0)
            };
            edges.push(edge);
        }
        Ok(edges)
    }
}
