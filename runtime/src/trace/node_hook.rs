//! Events of node hooks (FORMAT.md §3.4.4): the api `register_node_hook`
//! of a hook registered on a graph node, and the autograd `hook_result`
//! that ends one of its runs (its `hook_begin` is the tensor hooks').

use ft_trace::event::{ApiEvent, AutogradEvent, EventBody, HookResult, RegisterNodeHook};

use super::Tracer;
use crate::autograd::node::Node;
use crate::tensor::Tensor;

impl Tracer {
    /// api `register_node_hook [hook, kind, node]`.
    pub(crate) fn register_node_hook(&mut self, hook: u64, kind: &str, node: &Node) {
        let node = self.node_id(node);
        self.api(ApiEvent::RegisterNodeHook(RegisterNodeHook {
            hook,
            kind: kind.to_owned(),
            node,
        }));
    }

    /// autograd `hook_result [hook, results]` (references without values;
    /// `None`: the hook returned None).
    pub(crate) fn hook_result(&mut self, hook: u64, results: Option<&[Option<Tensor>]>) {
        if let Some(results) = results {
            self.introduce_unseen(results.iter().flatten());
        }
        let results = results.map(|rs| {
            rs.iter()
                .map(|g| g.as_ref().map(|t| self.tensor_ref(t, None, false)))
                .collect()
        });
        self.emit(EventBody::Autograd(AutogradEvent::HookResult(HookResult {
            hook,
            results,
        })));
    }
}
