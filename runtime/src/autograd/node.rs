//! Graph nodes (PyTorch's `torch::autograd::Node`) and edges.
//!
//! A [`Node`] has PyTorch's name (`AddmmBackward0`), a sequence number, the
//! edges to the nodes that receive its output gradients (in
//! `next_functions` order), the metadata of its inputs (the forward outputs'
//! shapes, used by the engine to reduce broadcast gradients), and its
//! backward function with whatever it saved. It also records the forward
//! operator it was created by, so a trace can say which forward op a
//! backward node belongs to.
//!
//! Nodes are created in two steps, as in PyTorch: the sequence number is
//! taken when the autograd kernel starts (before the backend kernel runs) and
//! the node is completed once the outputs exist (`NodeBuilder::finish`).

use std::sync::Arc;

use parking_lot::Mutex;

use super::BackwardFn;
use crate::device::Device;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::trace::slot::IdSlot;

/// An edge to the node that receives a gradient: `(function, input_nr)`.
/// `function == None` marks an input that needs no gradient.
#[derive(Clone, Default)]
pub(crate) struct Edge {
    pub(crate) function: Option<Arc<Node>>,
    pub(crate) input_nr: u32,
}

impl Edge {
    pub(crate) fn new(function: Arc<Node>, input_nr: u32) -> Edge {
        Edge {
            function: Some(function),
            input_nr,
        }
    }
}

/// Shape, dtype and device of one node input (a forward output).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct InputMetadata {
    pub(crate) shape: Vec<i64>,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
}

impl InputMetadata {
    pub(crate) fn of(t: &Tensor) -> InputMetadata {
        InputMetadata {
            shape: t.shape().to_vec(),
            dtype: t.dtype(),
            device: t.device(),
        }
    }

    /// The placeholder of an output the operator left undefined (PyTorch's
    /// undefined input metadata): no tensor has an edge to it, so no
    /// gradient flows into it.
    pub(crate) fn undefined() -> InputMetadata {
        InputMetadata {
            shape: Vec::new(),
            dtype: DType::Float32,
            device: Device::Cpu,
        }
    }
}

/// What kind of node this is, for the few places that must know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeKind {
    /// A backward function of an operator.
    Function,
    /// A leaf's gradient accumulator.
    AccumulateGrad,
    /// The hidden root of a backward call with several roots.
    GraphRoot,
}

/// A node of the autograd graph.
pub struct Node {
    name: String,
    seq_nr: u64,
    kind: NodeKind,
    forward_op: String,
    pub(crate) next_edges: Vec<Edge>,
    pub(crate) input_metadata: Vec<InputMetadata>,
    pub(crate) function: Mutex<Box<dyn BackwardFn>>,
    pub(crate) trace: IdSlot,
    /// In anomaly mode, the node the engine was running when this one was
    /// made (double backward), which this one keeps alive
    /// ([`super::anomaly`]).
    _anomaly_parent: Option<Arc<Node>>,
}

impl Node {
    /// PyTorch's node name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sequence number (`u64::MAX` for AccumulateGrad).
    pub fn sequence_nr(&self) -> u64 {
        self.seq_nr
    }

    /// The forward operator that created the node (empty for AccumulateGrad
    /// and GraphRoot).
    pub fn forward_op(&self) -> &str {
        &self.forward_op
    }

    /// Number of inputs (gradients it receives).
    pub fn num_inputs(&self) -> usize {
        self.input_metadata.len()
    }

    /// Number of next edges.
    pub fn num_outputs(&self) -> usize {
        self.next_edges.len()
    }

    pub(crate) fn kind(&self) -> NodeKind {
        self.kind
    }

    /// A node that is complete at creation (AccumulateGrad, GraphRoot).
    pub(crate) fn new_complete(
        name: String,
        seq_nr: u64,
        kind: NodeKind,
        next_edges: Vec<Edge>,
        input_metadata: Vec<InputMetadata>,
        function: Box<dyn BackwardFn>,
    ) -> Arc<Node> {
        Arc::new(Node {
            name,
            seq_nr,
            kind,
            forward_op: String::new(),
            next_edges,
            input_metadata,
            function: Mutex::new(function),
            trace: IdSlot::new(),
            _anomaly_parent: super::anomaly::current_parent(),
        })
    }
}

/// A node whose outputs do not exist yet.
pub(crate) struct NodeBuilder {
    pub(crate) name: String,
    pub(crate) seq_nr: u64,
    pub(crate) forward_op: String,
    pub(crate) next_edges: Vec<Edge>,
    pub(crate) function: Box<dyn BackwardFn>,
    /// Which outputs are differentiable (empty: all), PyTorch's
    /// `output_differentiability`.
    pub(crate) differentiable_outputs: &'static [bool],
}

impl NodeBuilder {
    /// Whether output `i` gets this node as its history.
    pub(crate) fn output_differentiable(&self, i: usize) -> bool {
        self.differentiable_outputs
            .get(i)
            .copied()
            .unwrap_or(self.differentiable_outputs.is_empty())
    }

    /// Completes the node once the forward outputs exist: lets the backward
    /// function save what it needs of all `outputs`, and records the
    /// metadata of the `differentiable` ones (the node's inputs; an
    /// undefined one gets a placeholder).
    pub(crate) fn finish(
        mut self,
        outputs: &[Tensor],
        differentiable: &[Option<Tensor>],
    ) -> Arc<Node> {
        self.function.save_outputs(outputs);
        Arc::new(Node {
            name: self.name,
            seq_nr: self.seq_nr,
            kind: NodeKind::Function,
            forward_op: self.forward_op,
            next_edges: self.next_edges,
            input_metadata: differentiable
                .iter()
                .map(|t| {
                    t.as_ref()
                        .map_or_else(InputMetadata::undefined, InputMetadata::of)
                })
                .collect(),
            function: Mutex::new(self.function),
            trace: IdSlot::new(),
            _anomaly_parent: super::anomaly::current_parent(),
        })
    }
}
