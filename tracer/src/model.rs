//! The lookups every reader of a stream of events needs: node table, first
//! reference of each tensor, recorded values, counts per layer.
//!
//! Replay's checks and the inspector's views both answer "what is node 7",
//! "what did tensor 3 look like" and "which value did tensor 3 hold at
//! version 2 when event 40 ran". [`TraceLookups`] answers them with one set of
//! rules, built in one pass over the events; [`Lookup`] pairs it with the
//! events it was built from. [`DataflowIndex`] adds producers and consumers
//! of each tensor version for the readers that follow dataflow.
//!
//! The value rule: a tensor version's value at event `s` is the one recorded
//! most recently at or before `s`. A version is usually recorded once, where
//! it was produced; writes through `.data` change a tensor's elements without
//! moving its version counter, so a later event may record the same version
//! again with other contents, and the record in force is the latest one.

use foldhash::HashMap;

use smallvec::SmallVec;

use crate::event::{ApiEvent, AutogradEvent, DispatchEvent, Event, EventBody, Layer, NodeCreated};
use crate::hash::Digest;
use crate::value::TensorRef;

/// Where a tensor version's value was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueRecord {
    /// The event that carried the digest.
    pub seq: u64,
    /// The blob digest.
    pub digest: Digest,
}

impl ValueRecord {
    /// Appends the record of `t`'s value at `seq` to `records` (the records
    /// of one tensor version, in stream order), unless `t` carries no digest
    /// or the last record is the same.
    pub fn push_to<R: Extend<ValueRecord> + AsRef<[ValueRecord]>>(
        records: &mut R,
        t: &crate::TensorRef,
        seq: u64,
    ) {
        let Some(digest) = t.value else { return };
        let record = ValueRecord { seq, digest };
        if records.as_ref().last() != Some(&record) {
            records.extend([record]);
        }
    }
}

/// Lookup tables over one stream of events (positions, not copies).
#[derive(Clone, Debug, Default)]
pub struct TraceLookups {
    /// Node id → position of its node event.
    nodes: HashMap<u64, usize>,
    /// Tensor id → position of the first event that refers to it.
    tensors: HashMap<u64, usize>,
    /// `(tensor id, version)` → every record of its value, in stream order.
    values: HashMap<(u64, u64), SmallVec<[ValueRecord; 1]>>,
    /// Events per layer in [`Layer::ALL`] order.
    layer_counts: [usize; 4],
    /// Events of layers this build does not know.
    unknown_layers: usize,
}

impl TraceLookups {
    /// Builds the tables in one pass over `events`.
    pub fn new(events: &[Event]) -> TraceLookups {
        let mut lookups = TraceLookups::default();
        for (position, event) in events.iter().enumerate() {
            lookups.add(position, event);
        }
        lookups
    }

    fn add(&mut self, position: usize, event: &Event) {
        match event.body.layer() {
            Some(layer) => self.layer_counts[layer as usize] += 1,
            None => self.unknown_layers += 1,
        }
        if let EventBody::Autograd(AutogradEvent::Node(n)) = &event.body {
            self.nodes.insert(n.node, position);
        }
        for t in event.body.tensor_refs() {
            self.tensors.entry(t.id).or_insert(position);
            if t.value.is_some() {
                let records = self.values.entry((t.id, t.version)).or_default();
                ValueRecord::push_to(records, t, event.seq);
            }
        }
    }

    /// Every record of the value of tensor `id` at `version`, in stream order.
    pub fn value_records(&self, id: u64, version: u64) -> &[ValueRecord] {
        self.values
            .get(&(id, version))
            .map(SmallVec::as_slice)
            .unwrap_or(&[])
    }

    /// The value tensor `id` held at `version` when event `seq` ran: the
    /// record made most recently at or before `seq`.
    pub fn value_at(&self, id: u64, version: u64, seq: u64) -> Option<ValueRecord> {
        self.value_records(id, version)
            .iter()
            .rev()
            .find(|r| r.seq <= seq)
            .copied()
    }

    /// Events per layer, in [`Layer::ALL`] order, plus those of unknown layers.
    pub fn layer_counts(&self) -> ([usize; 4], usize) {
        (self.layer_counts, self.unknown_layers)
    }

    /// The node event of node `id` in `events` (the events these tables
    /// were built from).
    pub fn node_in<'e>(&self, events: &'e [Event], id: u64) -> Option<&'e NodeCreated> {
        let position = *self.nodes.get(&id)?;
        match &events.get(position)?.body {
            EventBody::Autograd(AutogradEvent::Node(n)) => Some(n),
            _ => None,
        }
    }

    /// The first reference to tensor `id` in `events` (the events these
    /// tables were built from).
    pub fn tensor_in<'e>(&self, events: &'e [Event], id: u64) -> Option<&'e TensorRef> {
        let position = *self.tensors.get(&id)?;
        events
            .get(position)?
            .body
            .tensor_refs()
            .into_iter()
            .find(|t| t.id == id)
    }

    /// For an AccumulateGrad node in `events`, the leaf it accumulates into.
    pub fn accumulate_leaf_in<'e>(&self, events: &'e [Event], id: u64) -> Option<&'e TensorRef> {
        let node = self.node_in(events, id)?;
        if node.name != "AccumulateGrad" {
            return None;
        }
        node.tensors
            .first()
            .and_then(|&t| self.tensor_in(events, t))
    }

    /// Ids of every declared node, in no particular order.
    pub fn node_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.nodes.keys().copied()
    }
}

/// Which event produced each tensor version and which ops used it: the
/// inspector's op graph. Kept apart from [`TraceLookups`] so that replay's
/// checks, which never ask, do not build it.
#[derive(Clone, Debug, Default)]
pub struct DataflowIndex {
    /// `(tensor id, version)` → position of the event that produced it: the
    /// op that returned it, or the introduction of a tensor the program made.
    producers: HashMap<(u64, u64), usize>,
    /// `(tensor id, version)` → positions of the ops that took it as an
    /// argument, in stream order.
    consumers: HashMap<(u64, u64), SmallVec<[usize; 2]>>,
}

impl DataflowIndex {
    /// Builds the index in one pass over `events`.
    pub fn new(events: &[Event]) -> DataflowIndex {
        let mut index = DataflowIndex::default();
        for (position, event) in events.iter().enumerate() {
            index.add_dataflow(position, &event.body);
        }
        index
    }

    fn add_dataflow(&mut self, position: usize, body: &EventBody) {
        let mut produced = |t: &TensorRef| {
            self.producers.entry((t.id, t.version)).or_insert(position);
        };
        match body {
            EventBody::Dispatch(DispatchEvent::Op(op)) => {
                op.outputs
                    .iter()
                    .flat_map(|v| v.tensors())
                    .for_each(&mut produced);
                for t in op.args.iter().flat_map(|(_, v)| v.tensors()) {
                    let consumers = self.consumers.entry((t.id, t.version)).or_default();
                    if consumers.last() != Some(&position) {
                        consumers.push(position);
                    }
                }
            }
            EventBody::Api(ApiEvent::Tensor(t)) => produced(&t.tensor),
            _ => {}
        }
    }

    /// Position of the event that produced tensor `id` at `version`: the op
    /// that returned it or the program's introduction of it.
    pub fn producer(&self, id: u64, version: u64) -> Option<usize> {
        self.producers.get(&(id, version)).copied()
    }

    /// Positions of the ops that took tensor `id` at `version` as an
    /// argument, in stream order.
    pub fn consumers(&self, id: u64, version: u64) -> &[usize] {
        self.consumers
            .get(&(id, version))
            .map(SmallVec::as_slice)
            .unwrap_or(&[])
    }
}

/// The tables together with the events they index.
#[derive(Clone, Copy, Debug)]
pub struct Lookup<'a> {
    /// The events, by position (`events[i].seq == i` for a whole trace).
    pub events: &'a [Event],
    /// Tables built from exactly these events.
    pub tables: &'a TraceLookups,
}

impl<'a> Lookup<'a> {
    /// Pairs tables with the events they were built from.
    pub fn new(events: &'a [Event], tables: &'a TraceLookups) -> Lookup<'a> {
        Lookup { events, tables }
    }

    /// The node event of node `id`, when the stream declares it.
    pub fn node(&self, id: u64) -> Option<&'a NodeCreated> {
        self.tables.node_in(self.events, id)
    }

    /// The name of node `id`, when the stream declares it.
    pub fn node_name(&self, id: u64) -> Option<&'a str> {
        self.node(id).map(|n| n.name.as_str())
    }

    /// The first reference to tensor `id` in the stream (its metadata).
    pub fn tensor(&self, id: u64) -> Option<&'a TensorRef> {
        self.tables.tensor_in(self.events, id)
    }

    /// For an AccumulateGrad node, the leaf tensor it accumulates into.
    pub fn accumulate_leaf(&self, id: u64) -> Option<&'a TensorRef> {
        self.tables.accumulate_leaf_in(self.events, id)
    }

    /// See [`TraceLookups::value_at`].
    pub fn value_at(&self, id: u64, version: u64, seq: u64) -> Option<ValueRecord> {
        self.tables.value_at(id, version, seq)
    }
}

/// Short name of a layer number, `layerN` for one this build does not know.
pub fn layer_name(layer: u8) -> String {
    Layer::from_u8(layer)
        .map(|l| l.name().to_owned())
        .unwrap_or_else(|| format!("layer{layer}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Context, DataAccess, OpCall, TensorIntro};
    use crate::value::Value;

    fn op(seq: u64, args: Vec<TensorRef>, outputs: Vec<TensorRef>) -> Event {
        Event {
            seq,
            ts: 0,
            body: EventBody::Dispatch(DispatchEvent::Op(OpCall {
                op: "aten.mul.Tensor".into(),
                args: args
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| (format!("a{i}").into(), Value::Tensor(Box::new(t))))
                    .collect(),
                outputs: outputs.into_iter().map(Value::from).collect(),
                context: Context::TopLevel,
                keyset: Vec::new().into(),
                chain: Vec::new().into(),
            })),
        }
    }

    #[test]
    fn producers_and_consumers_follow_tensor_versions() {
        let events = vec![
            intro(0, tensor(0, 0, None)),
            op(
                1,
                vec![tensor(0, 0, None), tensor(0, 0, None)],
                vec![tensor(1, 0, None)],
            ),
            // In place: consumes version 0 of T1, produces version 1.
            op(2, vec![tensor(1, 0, None)], vec![tensor(1, 1, None)]),
            op(
                3,
                vec![tensor(1, 1, None), tensor(0, 0, None)],
                vec![tensor(2, 0, None)],
            ),
        ];
        let tables = DataflowIndex::new(&events);
        assert_eq!(tables.producer(0, 0), Some(0));
        assert_eq!(tables.producer(1, 0), Some(1));
        assert_eq!(tables.producer(1, 1), Some(2));
        assert_eq!(tables.consumers(0, 0), &[1, 3]);
        assert_eq!(tables.consumers(1, 0), &[2]);
        assert_eq!(tables.consumers(1, 1), &[3]);
        assert!(tables.consumers(2, 0).is_empty());
        assert_eq!(tables.producer(9, 0), None);
    }

    fn tensor(id: u64, version: u64, digest: Option<Digest>) -> TensorRef {
        TensorRef {
            id,
            dtype: "float32".into(),
            shape: vec![2].into(),
            stride: vec![1].into(),
            offset: 0,
            storage: id,
            device: "cpu".into(),
            requires_grad: false,
            version,
            value: digest,
            sparse: None,
            nested: None,
        }
    }

    fn intro(seq: u64, t: TensorRef) -> Event {
        Event {
            seq,
            ts: 0,
            body: EventBody::Api(ApiEvent::Tensor(TensorIntro {
                tensor: Box::new(t),
                alias: false,
            })),
        }
    }

    fn data_write(seq: u64, t: TensorRef) -> Event {
        Event {
            seq,
            ts: 0,
            body: EventBody::Api(ApiEvent::Data(DataAccess {
                tensor: Box::new(t),
                source: 9,
                write: true,
            })),
        }
    }

    #[test]
    fn the_value_in_force_is_the_latest_record_at_or_before_the_event() {
        let first = Digest::of(b"first");
        let second = Digest::of(b"second");
        let events = vec![
            intro(0, tensor(3, 0, Some(first))),
            intro(1, tensor(3, 0, Some(second))),
        ];
        let tables = TraceLookups::new(&events);
        assert_eq!(tables.value_at(3, 0, 0).map(|r| r.digest), Some(first));
        assert_eq!(tables.value_at(3, 0, 1).map(|r| r.digest), Some(second));
        assert_eq!(tables.value_at(3, 0, 7).map(|r| r.seq), Some(1));
        assert_eq!(tables.value_records(3, 0).len(), 2);
        assert_eq!(tables.value_at(3, 1, 7), None);
    }

    #[test]
    fn a_tensor_is_described_by_its_first_reference() {
        let events = vec![
            intro(0, tensor(3, 0, None)),
            data_write(1, tensor(3, 4, None)),
        ];
        let tables = TraceLookups::new(&events);
        let lookup = Lookup::new(&events, &tables);
        assert_eq!(lookup.tensor(3).map(|t| t.version), Some(0));
        assert!(lookup.tensor(4).is_none());
        assert_eq!(tables.layer_counts(), ([2, 0, 0, 0], 0));
    }
}
