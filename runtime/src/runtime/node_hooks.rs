//! Node post-hooks (`grad_fn.register_hook(fn)`): program code registered
//! on a graph node, which the engine calls after the node's function with
//! the node's results and the gradients it received (engine.cpp
//! `call_post_hooks`); a list it returns replaces the results. This is how
//! `nn.Module`'s full backward hooks run: PyTorch's `BackwardHook` puts one
//! such hook on the `BackwardHookFunctionBackward` node of a module's inputs
//! and one on that of its outputs (FORMAT.md §3.4.4).

use std::sync::Arc;

use super::{ExecContext, Runtime};
use crate::autograd::hooks::{HookFn, HookHandle, NodePostHookFn};
use crate::autograd::node::Node;
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;

/// `register_node_hook` kind of a post-hook.
const KIND_POST: &str = "post";

impl Runtime {
    /// `tensor.grad_fn.register_hook(hook)`: `hook` runs after the node's
    /// function with its results (one per next edge) and the gradients it
    /// received (one per input); results it returns replace the node's.
    pub fn register_node_post_hook(
        &mut self,
        tensor: &Tensor,
        hook: NodePostHookFn,
    ) -> Result<HookHandle> {
        let (node, _) = tensor.grad_fn_edge().ok_or_else(|| {
            RuntimeError::autograd("cannot register a node hook on a tensor without grad_fn")
        })?;
        let handle = self.hooks.add_node_post_hook(&node, hook);
        if matches!(self.context, ExecContext::TopLevel)
            && let Some(t) = &mut self.tracer
        {
            t.flush_state();
        }
        if let Some(t) = &mut self.tracer {
            t.register_node_hook(handle.id(), KIND_POST, &node);
        }
        Ok(handle)
    }

    /// A copy of the gradients `node` receives when it has post-hooks (they
    /// are handed to the hooks after the function consumed its own).
    pub(crate) fn post_hook_inputs(
        &self,
        node: &Arc<Node>,
        inputs: &[Option<Tensor>],
    ) -> Option<Vec<Option<Tensor>>> {
        (!self.hooks.node_post_hooks(node).is_empty()).then(|| inputs.to_vec())
    }

    /// Runs `node`'s post-hooks in registration order, each between
    /// `hook_begin` (its results, then the gradients it received) and
    /// `hook_result`; returns the results the last replacement left.
    pub(crate) fn call_node_post_hooks(
        &mut self,
        node: &Arc<Node>,
        mut outputs: Vec<Option<Tensor>>,
        inputs: &[Option<Tensor>],
    ) -> Result<Vec<Option<Tensor>>> {
        if self.faults.skip_hooks {
            return Ok(outputs);
        }
        for id in self.hooks.node_post_hooks(node) {
            let Some(mut f) = self.hooks.take(id) else {
                continue;
            };
            if let Some(t) = &mut self.tracer {
                let args: Vec<Option<&Tensor>> =
                    outputs.iter().chain(inputs).map(Option::as_ref).collect();
                t.hook_begin(id, node, &args);
            }
            let outcome = match &mut f {
                HookFn::NodePost(hook) => hook(self, &outputs, inputs),
                _ => Ok(None),
            };
            self.hooks.restore(id, f);
            let result = outcome?;
            if let Some(t) = &mut self.tracer {
                t.hook_result(id, result.as_deref());
            }
            if let Some(replacement) = result.filter(|_| !self.faults.drop_node_hook_results) {
                if replacement.len() != outputs.len() {
                    return Err(RuntimeError::autograd(format!(
                        "hook of {} returned {} gradients where the node has {} outputs",
                        node.name(),
                        replacement.len(),
                        outputs.len()
                    )));
                }
                outputs = replacement;
            }
        }
        Ok(outputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivalue::IValue;

    fn first(out: Vec<IValue>) -> Tensor {
        out.into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor result")
    }

    /// `y = x * 3; y.grad_fn.register_hook(...)`, then `y.sum().backward()`:
    /// MulBackward0 has two next edges (x's, and none for the number).
    fn run(hook: NodePostHookFn) -> Result<Vec<f32>> {
        let mut rt = Runtime::new();
        let x = rt.introduce_tensor_f32(&[2], &[1], 0, &[1.0, 2.0], true)?;
        let y = first(rt.call("aten.mul.Tensor", vec![(&x).into(), IValue::Float(3.0)])?);
        rt.register_node_post_hook(&y, hook)?;
        let s = first(rt.call("aten.sum.default", vec![(&y).into()])?);
        rt.backward(&[s], &[None], false, false)?;
        x.grad().expect("x.grad").to_f32_vec()
    }

    #[test]
    fn a_returned_list_replaces_the_nodes_results() -> Result<()> {
        let grad = run(Box::new(|rt, results, received| {
            assert_eq!((results.len(), received.len()), (2, 1));
            assert!(results[1].is_none());
            let Some(g) = &results[0] else {
                return Ok(None);
            };
            let halved = rt.call("aten.mul.Tensor", vec![g.into(), IValue::Float(0.5)])?;
            Ok(Some(vec![Some(first(halved)), None]))
        }))?;
        assert_eq!(grad, vec![1.5, 1.5]);
        Ok(())
    }

    #[test]
    fn none_keeps_the_results_and_a_wrong_length_is_an_error() -> Result<()> {
        assert_eq!(run(Box::new(|_, _, _| Ok(None)))?, vec![3.0, 3.0]);
        let err = run(Box::new(|_, _, _| Ok(Some(vec![None; 3]))))
            .expect_err("three results for two edges");
        assert!(err.to_string().contains("returned 3 gradients"), "{err}");
        Ok(())
    }

    #[test]
    fn a_tensor_without_grad_fn_takes_no_node_hook() -> Result<()> {
        let mut rt = Runtime::new();
        let x = rt.introduce_tensor_f32(&[1], &[1], 0, &[1.0], true)?;
        assert!(
            rt.register_node_post_hook(&x, Box::new(|_, _, _| Ok(None)))
                .is_err()
        );
        Ok(())
    }
}
