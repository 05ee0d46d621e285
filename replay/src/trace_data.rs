//! A trace held in memory for diffing: events, values and per-trace lookups.
//!
//! Both sides of a diff become a [`TraceData`]: a PyTorch trace read from a
//! file (strictly: a truncated trace is an error), or the runtime's recording
//! taken from its in-memory sink. [`TraceView`] adds the lookups the checks
//! need (node names, the value of a tensor at a version).

use std::collections::HashMap;
use std::path::Path;

use ft_trace::model::{Lookup, TraceLookups};
use ft_trace::{
    ApiEvent, AutogradEvent, Digest, DispatchEvent, Event, EventBody, MemorySink, NodeCreated,
    TraceMeta, TraceReader,
};

use crate::blob_store::BlobStore;
use crate::error::ReplayError;
use crate::recording::ProducedValues;

/// One recorded run.
#[derive(Clone, Debug)]
pub struct TraceData {
    /// How to name this trace in reports (a path, or "runtime").
    pub label: String,
    /// Its metadata.
    pub meta: TraceMeta,
    /// Every event, by seq.
    pub events: Vec<Event>,
    /// Its stored values (a file's are read on demand).
    pub blobs: BlobStore,
    /// For a replay's recording: values already compared while the runtime
    /// produced them, and those whose bytes were not kept.
    pub produced: ProducedValues,
}

impl TraceData {
    /// Reads a complete trace file: every event, and the index of its values
    /// (the values themselves are read when they are needed).
    pub fn load(path: &Path) -> Result<TraceData, ReplayError> {
        let mut reader = TraceReader::open(path)?;
        let events = reader.read_all()?;
        Ok(TraceData {
            label: path.display().to_string(),
            meta: reader.meta().clone(),
            events,
            blobs: BlobStore::from_reader(reader),
            produced: ProducedValues::default(),
        })
    }

    /// A recording copied out of an in-memory sink.
    pub fn from_sink(label: &str, meta: TraceMeta, sink: &MemorySink) -> TraceData {
        TraceData {
            label: label.to_owned(),
            meta,
            events: sink.events().to_vec(),
            blobs: BlobStore::in_memory(sink.blobs().clone()),
            produced: ProducedValues::default(),
        }
    }

    /// The trace's events before `seq` (a copy; the values are shared): what
    /// a replay that halted at event `seq` should have recorded.
    pub fn before(&self, seq: u64) -> TraceData {
        TraceData {
            label: self.label.clone(),
            meta: self.meta.clone(),
            events: self
                .events
                .iter()
                .take_while(|e| e.seq < seq)
                .cloned()
                .collect(),
            blobs: self.blobs.clone(),
            produced: self.produced.clone(),
        }
    }

    /// The dtype and elements (as f64s) of the value under a digest, if stored.
    pub fn values(&self, digest: &Digest) -> Option<(String, Vec<f64>)> {
        let blob = self.blobs.get(digest)?;
        let values = ft_trace::tensor_bytes::to_f64(&blob.dtype, &blob.data)?;
        Some((blob.dtype.clone(), values))
    }

    /// Fails with the first value that could not be read from the file.
    pub fn check_values_readable(&self) -> Result<(), ReplayError> {
        match self.blobs.take_error() {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }
}

/// The tensor values an event records, as `(tensor id, version, digest)`:
/// operator outputs, introduced tensors and accumulated gradients.
pub fn recorded_values(event: &Event) -> Vec<(u64, u64, Digest)> {
    recorded_refs(event)
        .into_iter()
        .filter_map(|t| t.value.map(|d| (t.id, t.version, d)))
        .collect()
}

/// The tensor references of `event` that carry a recorded value.
pub fn recorded_refs(event: &Event) -> Vec<&ft_trace::TensorRef> {
    let refs: Vec<&ft_trace::TensorRef> = match &event.body {
        EventBody::Autograd(AutogradEvent::Accumulate(a)) => vec![&a.grad],
        EventBody::Api(ApiEvent::Tensor(t)) => vec![&t.tensor],
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            op.outputs.iter().flat_map(|v| v.tensors()).collect()
        }
        _ => Vec::new(),
    };
    // A nested output's value is its buffer's (FORMAT §3.1), which an
    // anchored replay puts into the runtime's buffer.
    refs.into_iter()
        .flat_map(|t| std::iter::once(t).chain(t.nested.as_ref().map(|parts| &parts.buffer)))
        .filter(|t| t.value.is_some())
        .collect()
}

/// `(tensor id, version)` → digest over a whole stream; the last value
/// recorded for a version wins.
pub fn value_index(events: &[Event]) -> HashMap<(u64, u64), Digest> {
    let mut index = HashMap::new();
    for event in events {
        for (id, version, digest) in recorded_values(event) {
            index.insert((id, version), digest);
        }
    }
    index
}

/// Lookups over one trace: the shared tables of [`ft_trace::model`], and the
/// node names the alignment keys use.
pub struct TraceView<'a> {
    /// The trace.
    pub data: &'a TraceData,
    tables: TraceLookups,
}

impl<'a> TraceView<'a> {
    /// Indexes a trace.
    pub fn new(data: &'a TraceData) -> TraceView<'a> {
        TraceView {
            data,
            tables: TraceLookups::new(&data.events),
        }
    }

    /// The events with the shared lookups, for [`ft_trace::describe`].
    pub fn lookup(&self) -> Lookup<'_> {
        Lookup::new(&self.data.events, &self.tables)
    }

    /// The node event of a node id.
    pub fn node(&self, id: u64) -> Option<&'a NodeCreated> {
        self.tables.node_in(&self.data.events, id)
    }

    /// The node's name, or `node N` when the trace never declared it.
    pub fn node_name(&self, id: u64) -> String {
        self.node(id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| format!("node {id}"))
    }

    /// The first reference to tensor `id` in the stream (its metadata).
    pub fn tensor(&self, id: u64) -> Option<&'a ft_trace::TensorRef> {
        self.tables.tensor_in(&self.data.events, id)
    }

    /// A node's name, and for an AccumulateGrad its leaf's dtype and shape:
    /// AccumulateGrads all share one name and one ReadyQueue key, so the leaf
    /// is what tells two of them apart. (Ids differ between runs, so the
    /// alignment keys name the leaf by its metadata, never by its id.)
    pub fn node_label(&self, id: u64) -> String {
        let Some(node) = self.node(id) else {
            return format!("node {id}");
        };
        match self.tables.accumulate_leaf_in(&self.data.events, id) {
            Some(leaf) => format!("AccumulateGrad({} {:?})", leaf.dtype, leaf.shape),
            None => node.name.clone(),
        }
    }

    /// The value tensor `id` held at `version` when event `seq` ran.
    pub fn value_at(&self, id: u64, version: u64, seq: u64) -> Option<Digest> {
        self.tables.value_at(id, version, seq).map(|r| r.digest)
    }
}
