//! Anchored replay inside backward nodes.
//!
//! The replayer anchors the program's own calls itself
//! (`Replayer::anchor_arguments`); the operators a backward node runs are
//! called by the runtime's engine. [`NodeAnchors`] lists PyTorch's calls
//! inside nodes in stream order, each with the value PyTorch recorded for
//! every tensor argument, and the runtime asks it for them just before each
//! such kernel runs ([`ft_runtime::NodeAnchor`]). Without it a backward
//! operator sees the runtime's own inputs, within tolerance of PyTorch's, and
//! an accumulation in a reduced dtype can amplify their last-bit differences.
//!
//! Calls pair by position: the next recorded call of the same operator among
//! the next [`LOOKAHEAD`] ones. A call the runtime makes that PyTorch's stream
//! does not have (the structural checks report it) pairs with nothing and
//! keeps its own inputs.

use ft_runtime::Tensor;
use ft_trace::{BlobRecord, Context, Digest, DispatchEvent, EventBody};

use crate::anchor_book::AnchorBook;
use crate::blob_store::BlobStore;
use crate::trace_data::TraceData;

/// How many recorded calls ahead a runtime call may find its partner.
const LOOKAHEAD: usize = 8;

/// One recorded call inside a node.
struct NodeCall {
    op: String,
    /// Per tensor argument, in argument order: PyTorch's value of it.
    inputs: Vec<Option<Digest>>,
}

/// PyTorch's values for the inputs of every call inside a backward node.
pub struct NodeAnchors {
    calls: Vec<NodeCall>,
    next: usize,
    blobs: BlobStore,
}

impl NodeAnchors {
    /// The calls inside nodes of `torch`, each argument paired with the value
    /// PyTorch recorded for its `(tensor, version)` most recently before the
    /// call.
    pub fn new(torch: &TraceData) -> NodeAnchors {
        let mut book = AnchorBook::default();
        let mut calls = Vec::new();
        for event in &torch.events {
            if let EventBody::Dispatch(DispatchEvent::Op(op)) = &event.body
                && matches!(op.context, Context::Node(_))
            {
                let inputs = op
                    .args
                    .iter()
                    .flat_map(|(_, v)| v.tensors())
                    .map(|t| book.get(t.id, t.version))
                    .collect();
                calls.push(NodeCall {
                    op: op.op.to_string(),
                    inputs,
                });
            }
            book.observe(event);
        }
        NodeAnchors {
            calls,
            next: 0,
            blobs: torch.blobs.clone(),
        }
    }
}

impl ft_runtime::NodeAnchor for NodeAnchors {
    fn anchor_inputs(&mut self, op: &str, inputs: &[&Tensor]) {
        let ahead = self.calls.get(self.next..).unwrap_or_default();
        let Some(offset) = ahead.iter().take(LOOKAHEAD).position(|c| c.op == op) else {
            return;
        };
        let call = &self.calls[self.next + offset];
        self.next += offset + 1;
        if call.inputs.len() != inputs.len() {
            return;
        }
        for (tensor, digest) in inputs.iter().zip(&call.inputs) {
            if let Some(blob) = digest.as_ref().and_then(|d| self.blobs.get(d)) {
                anchor_value(tensor, &blob);
            }
        }
    }
}

/// Puts PyTorch's recorded value `blob` into the runtime's `tensor`, so the
/// operators that read it run on PyTorch's value: each operator's check is
/// then local, and a difference (drift, another summation order's rounding,
/// or a wrong kernel) is reported at the operator that made it, not again
/// at every operator downstream. A value that does not fit the tensor (the
/// streams diverged; the structural checks say so) leaves it as it is.
pub fn anchor_value(tensor: &Tensor, blob: &BlobRecord) {
    let _ = ft_runtime::overwrite_values(tensor, &blob.dtype, &blob.data);
}
