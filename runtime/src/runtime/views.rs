//! PyTorch's `rebase_history` for an in-place operator on a view of a
//! tensor that requires grad (see `autograd::functions::views`): the op's
//! node moves into a CopySlices node on the base, and the view gets an
//! AsStridedBackward0 node whose edge is that CopySlices.

use std::sync::Arc;

use super::Runtime;
use crate::autograd::functions::views::{AsStridedBackward0, CopySlices, Geometry};
use crate::autograd::node::{InputMetadata, Node, NodeKind};
use crate::autograd::saved::forward_name;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// The nodes an in-place op on a view attached: CopySlices (the base's new
/// `grad_fn`) and AsStridedBackward0 (the view's).
pub(crate) struct RebasedView {
    pub(crate) copy_slices: Arc<Node>,
    pub(crate) view_node: Arc<Node>,
    pub(crate) view: Tensor,
}

/// Nodes of view operators returning several views: PyTorch refuses an
/// in-place op on their outputs when grad is recorded.
fn is_multi_output_view_node(name: &str) -> bool {
    matches!(
        name,
        "SplitBackward0" | "SplitWithSizesBackward0" | "UnbindBackward0"
    )
}

impl Runtime {
    /// `(view, base)` when `args` are those of an in-place op whose `self`
    /// is a view.
    pub(crate) fn inplace_view(args: &[IValue]) -> Option<(Tensor, Tensor)> {
        let this = args.first().and_then(IValue::as_tensor)?;
        this.view_base().map(|base| (this.clone(), base))
    }

    /// The autograd kernel's checks of an in-place op on a view, before it
    /// records anything (observed in torch 2.15: a view of a leaf that
    /// requires grad raises PyTorch's message; they raise above the
    /// dispatcher, so a capture records no op).
    pub(crate) fn check_inplace_on_view(&self, view: &Tensor, base: &Tensor) -> Result<()> {
        if base.is_leaf() && base.requires_grad() {
            return Err(RuntimeError::autograd(
                "a view of a leaf Variable that requires grad is being used in an in-place \
                 operation.",
            ));
        }
        let (name, nr) = {
            let meta = view.0.autograd.lock();
            match &meta.grad_fn {
                Some(n) if is_multi_output_view_node(n.name()) => {
                    (n.name().to_owned(), meta.output_nr)
                }
                _ => return Ok(()),
            }
        };
        // Observed in torch 2.15 (`x.unbind(0)[0].mul_(2)`, `x.split(2)[0]`).
        Err(RuntimeError::autograd(format!(
            "Output {nr} of {} is a view and is being modified inplace. This view is the output \
             of a function that returns multiple views. Such functions do not allow the output \
             views to be modified inplace. You should replace the inplace operation by an \
             out-of-place one.",
            forward_name(&name)
        )))
    }

    /// Regenerates the history of a view whose base was modified in place
    /// since the view's history was set, as PyTorch does when the view's
    /// `grad_fn` is next read (observed in torch 2.15: `v2 = x[1]` then
    /// `x[0].mul_(2)` then `v2 * 3`: MulBackward0 takes its number, then
    /// v2's new AsStridedBackward0 the next, its edge the base's CopySlices).
    /// Views of a base that does not require grad keep no history.
    pub(crate) fn refresh_view_history(&mut self, t: &Tensor) {
        if !t.has_stale_view_history() {
            return;
        }
        let Some(base) = t.view_base() else { return };
        let node = self.as_strided_node(t, &base);
        let mut meta = t.0.autograd.lock();
        meta.grad_fn = Some(node);
        meta.output_nr = 0;
        meta.view_version = t.version();
    }

    /// A view's AsStridedBackward0: the next sequence number, one edge to
    /// the base's gradient edge.
    fn as_strided_node(&mut self, view: &Tensor, base: &Tensor) -> Arc<Node> {
        Node::new_complete(
            self.faults.node_name("AsStridedBackward0").to_owned(),
            self.next_sequence_nr(),
            NodeKind::Function,
            vec![super::call::gradient_edge(base)],
            vec![InputMetadata::of(view)],
            Box::new(AsStridedBackward0 {
                input: Geometry::of(base),
                output: Geometry::of(view),
            }),
        )
    }

    /// Wraps `fn_` (the op's node, just attached to `view`) in a CopySlices
    /// on `base` and gives `view` a new AsStridedBackward0, each taking the
    /// next sequence number.
    pub(crate) fn rebase_view_history(
        &mut self,
        fn_: &Arc<Node>,
        view: &Tensor,
        base: &Tensor,
    ) -> RebasedView {
        let mut edges = vec![super::call::gradient_edge(base)];
        edges.extend(fn_.next_edges.iter().skip(1).cloned());
        let copy_slices = Node::new_complete(
            self.faults.node_name("CopySlices").to_owned(),
            self.next_sequence_nr(),
            NodeKind::Function,
            edges,
            vec![InputMetadata::of(base)],
            Box::new(CopySlices {
                base: Geometry::of(base),
                view: Geometry::of(view),
                fn_: Arc::clone(fn_),
            }),
        );
        {
            let mut meta = base.0.autograd.lock();
            meta.grad_fn = Some(Arc::clone(&copy_slices));
            meta.output_nr = 0;
        }
        let view_node = self.as_strided_node(view, base);
        {
            let mut meta = view.0.autograd.lock();
            meta.grad_fn = Some(Arc::clone(&view_node));
            meta.output_nr = 0;
            meta.view_version = view.version();
        }
        RebasedView {
            copy_slices,
            view_node,
            view: view.clone(),
        }
    }
}
