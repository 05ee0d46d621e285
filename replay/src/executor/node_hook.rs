//! Replaying a node hook's registration (api `register_node_hook`,
//! FORMAT.md §3.4.4): the runtime's node gets a post-hook that replays
//! what the program's hook did each time the engine calls it (see
//! [`crate::callbacks`]), or, for kind `hold`, is held until the hold's
//! `remove_hook`.

use ft_trace::{AutogradEvent, EventBody, RegisterNodeHook};

use super::{Replayer, unsupported};
use crate::callbacks::Callbacks;
use crate::error::ReplayError;

impl Replayer<'_> {
    /// Registers the replaying hook on the runtime's node of `h.node`,
    /// reached through a tensor it is attached to.
    pub(super) fn register_node_hook(
        &mut self,
        seq: u64,
        h: &RegisterNodeHook,
    ) -> Result<(), ReplayError> {
        if h.kind == "hold" {
            return self.hold_node(seq, h);
        }
        if h.kind != "post" {
            return Err(ReplayError::Unsupported {
                what: format!("{} node hook", h.kind),
                seq,
                detail: "this build replays node post-hooks and holds".into(),
            });
        }
        let tensor = self.node_tensor(seq, h.node)?;
        let t = self.lookup(seq, tensor)?;
        let torch = self.torch;
        let callbacks = self
            .hooks
            .callbacks
            .get_or_insert_with(|| Callbacks::scan(torch));
        let hook = callbacks.node_post_hook(h.hook);
        let handle = self
            .runtime
            .register_node_post_hook(&t, hook)
            .map_err(|e| unsupported(seq, "register_node_hook", &e))?;
        self.hooks.handles.insert(h.hook, handle);
        Ok(())
    }

    /// The program holds node `h.node` (kind `hold`): the runtime's node,
    /// reached through a tensor it is attached to (an AccumulateGrad's
    /// leaf), is kept alive until the hold's `remove_hook`.
    fn hold_node(&mut self, seq: u64, h: &RegisterNodeHook) -> Result<(), ReplayError> {
        let tensor = self.node_tensor(seq, h.node)?;
        let t = self.lookup(seq, tensor)?;
        let handle = self
            .runtime
            .hold_node(&t)
            .map_err(|e| unsupported(seq, "register_node_hook", &e))?;
        self.hooks.handles.insert(h.hook, handle);
        Ok(())
    }

    /// A tensor node `node` is attached to (its node event's first).
    fn node_tensor(&self, seq: u64, node: u64) -> Result<u64, ReplayError> {
        self.torch
            .events
            .iter()
            .take_while(|e| e.seq < seq)
            .find_map(|e| match &e.body {
                EventBody::Autograd(AutogradEvent::Node(n)) if n.node == node => {
                    n.tensors.first().copied()
                }
                _ => None,
            })
            .ok_or_else(|| {
                self.inconsistent(
                    seq,
                    format!("a node hook on N{node}, which no tensor holds"),
                )
            })
    }
}
