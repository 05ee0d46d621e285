//! A trace held in memory for diffing: events, values and per-trace lookups.
//!
//! Both sides of a diff become a [`TraceData`]: a PyTorch trace read from a
//! file (strictly: a truncated trace is an error), or the runtime's recording
//! taken from its in-memory sink. [`TraceView`] adds the lookups the checks
//! need (node names, the value of a tensor at a version).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ft_trace::{
    ApiEvent, AutogradEvent, BlobRecord, Digest, DispatchEvent, Event, EventBody, MemorySink,
    NodeCreated, TraceMeta, TraceReader,
};

use crate::error::ReplayError;

/// One recorded run.
#[derive(Clone, Debug)]
pub struct TraceData {
    /// How to name this trace in reports (a path, or "runtime").
    pub label: String,
    /// Its metadata.
    pub meta: TraceMeta,
    /// Every event, by seq.
    pub events: Vec<Event>,
    /// Every stored value.
    pub blobs: BTreeMap<Digest, BlobRecord>,
}

impl TraceData {
    /// Reads a complete trace file.
    pub fn load(path: &Path) -> Result<TraceData, ReplayError> {
        let mut reader = TraceReader::open(path)?;
        let events = reader.read_all()?;
        let mut blobs = BTreeMap::new();
        for entry in reader.blobs().to_vec() {
            if let Some(record) = reader.blob(&entry.digest)? {
                blobs.insert(entry.digest, record);
            }
        }
        Ok(TraceData {
            label: path.display().to_string(),
            meta: reader.meta().clone(),
            events,
            blobs,
        })
    }

    /// Takes a recording out of an in-memory sink.
    pub fn from_sink(label: &str, meta: TraceMeta, sink: &MemorySink) -> TraceData {
        TraceData {
            label: label.to_owned(),
            meta,
            events: sink.events().to_vec(),
            blobs: sink.blobs().clone(),
        }
    }

    /// The value of a digest as f64s, if stored.
    pub fn values(&self, digest: &Digest) -> Option<(&BlobRecord, Vec<f64>)> {
        let blob = self.blobs.get(digest)?;
        let values = ft_trace::tensor_bytes::to_f64(&blob.dtype, &blob.data)?;
        Some((blob, values))
    }
}

/// Lookups over one trace.
pub struct TraceView<'a> {
    /// The trace.
    pub data: &'a TraceData,
    nodes: HashMap<u64, &'a NodeCreated>,
    values: HashMap<(u64, u64), Digest>,
    tensors: HashMap<u64, &'a ft_trace::TensorRef>,
}

impl<'a> TraceView<'a> {
    /// Indexes a trace.
    pub fn new(data: &'a TraceData) -> TraceView<'a> {
        let mut nodes = HashMap::new();
        let mut values = HashMap::new();
        let mut tensors = HashMap::new();
        for event in &data.events {
            for t in event.body.tensor_refs() {
                tensors.entry(t.id).or_insert(t);
            }
            match &event.body {
                EventBody::Autograd(AutogradEvent::Node(n)) => {
                    nodes.insert(n.node, n);
                }
                EventBody::Autograd(AutogradEvent::Accumulate(a)) => {
                    if let Some(d) = a.grad.value {
                        values.insert((a.grad.id, a.grad.version), d);
                    }
                }
                EventBody::Api(ApiEvent::Tensor(t)) => {
                    if let Some(d) = t.tensor.value {
                        values.insert((t.tensor.id, t.tensor.version), d);
                    }
                }
                EventBody::Dispatch(DispatchEvent::Op(op)) => {
                    for out in op.outputs.iter().flat_map(|v| v.tensors()) {
                        if let Some(d) = out.value {
                            values.insert((out.id, out.version), d);
                        }
                    }
                }
                _ => {}
            }
        }
        TraceView {
            data,
            nodes,
            values,
            tensors,
        }
    }

    /// The node event of a node id.
    pub fn node(&self, id: u64) -> Option<&'a NodeCreated> {
        self.nodes.get(&id).copied()
    }

    /// The node's name, or `node N` when the trace never declared it.
    pub fn node_name(&self, id: u64) -> String {
        self.node(id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| format!("node {id}"))
    }

    /// The first reference to tensor `id` in the stream (its metadata).
    pub fn tensor(&self, id: u64) -> Option<&'a ft_trace::TensorRef> {
        self.tensors.get(&id).copied()
    }

    /// A node's name, and for an AccumulateGrad its leaf's dtype and shape:
    /// AccumulateGrads all share one name and one ReadyQueue key, so the leaf
    /// is what tells two of them apart.
    pub fn node_label(&self, id: u64) -> String {
        let Some(node) = self.node(id) else {
            return format!("node {id}");
        };
        match node.tensors.first().and_then(|&t| self.tensor(t)) {
            Some(leaf) if node.name == "AccumulateGrad" => {
                format!("AccumulateGrad({} {:?})", leaf.dtype, leaf.shape)
            }
            _ => node.name.clone(),
        }
    }

    /// The recorded value of tensor `id` at `version`, if any.
    pub fn value_at(&self, id: u64, version: u64) -> Option<Digest> {
        self.values.get(&(id, version)).copied()
    }
}
