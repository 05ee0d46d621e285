//! Holds on graph nodes: a strong reference the program keeps to a node
//! (`register_multi_grad_hook(tensors, fn, mode="all")` keeps its tensors'
//! nodes in its hooks' closures). A leaf caches its AccumulateGrad only
//! weakly, so while a hold lives every new graph reuses the held
//! AccumulateGrad; once the hold is removed (and no graph reaches it) the
//! next graph makes a new one, as in PyTorch. The trace writes a hold as
//! `register_node_hook [hook, "hold", node]` and its end as
//! `remove_hook [hook]` (FORMAT.md §3.4.4).

use super::Runtime;
use crate::autograd::functions::accumulate_grad::grad_accumulator;
use crate::autograd::hooks::HookHandle;
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;

/// `register_node_hook` kind of a hold.
const KIND_HOLD: &str = "hold";

impl Runtime {
    /// The program holds `tensor`'s node: its `grad_fn`, or for a leaf that
    /// requires grad its AccumulateGrad (the cached one, else a new one the
    /// leaf caches). It lives until [`Runtime::remove_hook`] of the handle.
    /// No state changes are written before the event: the hold is taken
    /// while the temporaries that reached the node still live.
    pub fn hold_node(&mut self, tensor: &Tensor) -> Result<HookHandle> {
        let node = match tensor.grad_fn_edge() {
            Some((node, _)) => node,
            None if tensor.requires_grad() => grad_accumulator(tensor),
            None => {
                return Err(RuntimeError::autograd(
                    "cannot hold the node of a tensor that does not require grad",
                ));
            }
        };
        let handle = if self.faults.drop_node_holds {
            HookHandle(self.hooks.reserve_id())
        } else {
            self.hooks.add_hold(node.clone())
        };
        if let Some(t) = &mut self.tracer {
            t.register_node_hook(handle.id(), KIND_HOLD, &node);
        }
        Ok(handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autograd::functions::accumulate_grad::live_grad_accumulator;
    use crate::faults::Faults;
    use crate::ivalue::IValue;

    /// `y = x * 3` made x's AccumulateGrad; the program holds it (as
    /// `register_multi_grad_hook` does) and drops `y`.
    fn hold_then_drop_graph(rt: &mut Runtime, x: &Tensor) -> Result<HookHandle> {
        let y = rt.call("aten.mul.Tensor", vec![x.into(), IValue::Float(3.0)])?;
        let handle = rt.hold_node(x)?;
        drop(y);
        Ok(handle)
    }

    #[test]
    fn a_held_accumulator_outlives_its_graph_until_removed() -> Result<()> {
        let mut rt = Runtime::new();
        let x = rt.introduce_tensor_f32(&[2], &[1], 0, &[1.0, 2.0], true)?;
        let handle = hold_then_drop_graph(&mut rt, &x)?;
        assert!(live_grad_accumulator(&x).is_some());
        rt.remove_hook(handle);
        assert!(live_grad_accumulator(&x).is_none());
        Ok(())
    }

    #[test]
    fn without_the_hold_the_accumulator_dies_with_its_graph() -> Result<()> {
        let mut rt = Runtime::new();
        rt.set_faults(Faults {
            drop_node_holds: true,
            ..Faults::default()
        });
        let x = rt.introduce_tensor_f32(&[2], &[1], 0, &[1.0, 2.0], true)?;
        let _handle = hold_then_drop_graph(&mut rt, &x)?;
        assert!(live_grad_accumulator(&x).is_none());
        Ok(())
    }

    #[test]
    fn a_tensor_without_grad_has_no_node_to_hold() -> Result<()> {
        let mut rt = Runtime::new();
        let x = rt.introduce_tensor_f32(&[2], &[1], 0, &[1.0, 2.0], false)?;
        assert!(rt.hold_node(&x).is_err());
        Ok(())
    }
}
