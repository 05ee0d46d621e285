//! Replaying a custom `autograd.Function`'s `apply` (api `function`,
//! FORMAT.md §3.2): its forward's operators were replayed as top-level
//! calls; the runtime now makes the Function's node, whose backward
//! re-executes what the program's `backward` dispatched in each recorded
//! run (see [`crate::callbacks`]).

use ft_trace::{AutogradEvent, EventBody, FunctionApplied, NodeCreated};

use super::{Replayer, unsupported};
use crate::callbacks::Callbacks;
use crate::error::ReplayError;

impl Replayer<'_> {
    /// Makes the Function's node on the runtime.
    pub(super) fn function(&mut self, seq: u64, f: &FunctionApplied) -> Result<(), ReplayError> {
        // Without a recorded node the runtime is expected to make none; if it
        // does, its backward replays nothing and the diff reports the node.
        let recorded = self.function_node(seq, &f.name);
        // The outputs the recorded node is attached to (all but those marked
        // non-differentiable).
        let differentiable: Vec<bool> = match recorded {
            Some(n) => f.outputs.iter().map(|o| n.tensors.contains(o)).collect(),
            None => Vec::new(),
        };
        let node = recorded.map_or(u64::MAX, |n| n.node);
        let inputs = self.lookup_ids(seq, &f.inputs)?;
        let outputs = self.lookup_ids(seq, &f.outputs)?;
        let torch = self.torch;
        let callbacks = self
            .hooks
            .callbacks
            .get_or_insert_with(|| Callbacks::scan(torch));
        let backward = callbacks.function_backward(node);
        self.runtime
            .apply_function(&f.name, &inputs, &outputs, &differentiable, backward)
            .map_err(|e| unsupported(seq, &format!("{}.apply", f.name), &e))?;
        Ok(())
    }

    fn lookup_ids(&self, seq: u64, ids: &[u64]) -> Result<Vec<ft_runtime::Tensor>, ReplayError> {
        ids.iter().map(|&id| self.lookup(seq, id)).collect()
    }

    /// The trace id of the node a `function` event made: the node event
    /// of that name among those right after it (the nodes its edges newly
    /// reach come first); None when `apply` made no node.
    fn function_node(&self, seq: u64, name: &str) -> Option<&NodeCreated> {
        self.torch
            .events
            .iter()
            .skip_while(|e| e.seq <= seq)
            .map_while(|e| match &e.body {
                EventBody::Autograd(AutogradEvent::Node(n)) => Some(n),
                _ => None,
            })
            .find(|n| n.name == name)
    }
}
