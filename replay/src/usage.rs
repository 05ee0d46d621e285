//! What a trace uses: its operator overloads and dtypes, with counts, the
//! first event using each, and the graph nodes PyTorch recorded for each
//! operator. Both the pre-replay support scan ([`crate::support`]) and
//! `ft-replay coverage` ([`crate::coverage`]) are built on it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ft_trace::{ApiEvent, AutogradEvent, DispatchEvent, Event, EventBody, Value};

/// How one operator overload is used by a trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpUsage {
    /// Op events calling it, in any context (top level, backward, inside a node).
    pub count: u64,
    /// Sequence number of the first of them.
    pub first_seq: u64,
    /// Names of the graph nodes PyTorch attached to its outputs
    /// (`AddmmBackward0`); empty when no call recorded a node.
    pub nodes: BTreeSet<String>,
    /// Dtypes of its tensor arguments and results.
    pub dtypes: BTreeSet<String>,
}

/// How one dtype is used by a trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DtypeUsage {
    /// Events naming a tensor of this dtype, the dtype as an argument, or
    /// making it the default dtype.
    pub count: u64,
    /// Sequence number of the first of them.
    pub first_seq: u64,
}

/// Operators and dtypes of one trace, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Per overload (`aten.addmm.default`).
    pub ops: BTreeMap<String, OpUsage>,
    /// Per dtype name (`float32`).
    pub dtypes: BTreeMap<String, DtypeUsage>,
}

impl Usage {
    /// Collects the usage of a stream of events.
    pub fn of(events: &[Event]) -> Usage {
        let mut usage = Usage::default();
        // Which operator produced each tensor id (the latest one), to name
        // the operator behind a node event.
        let mut producer: HashMap<u64, String> = HashMap::new();
        for event in events {
            usage.note_dtypes(event);
            match &event.body {
                EventBody::Dispatch(DispatchEvent::Op(call)) => {
                    let entry = usage.ops.entry(call.op.to_string()).or_insert(OpUsage {
                        first_seq: event.seq,
                        ..OpUsage::default()
                    });
                    entry.count += 1;
                    for t in event.body.tensor_refs() {
                        entry.dtypes.insert(t.dtype.to_string());
                    }
                    for t in call.outputs.iter().flat_map(Value::tensors) {
                        producer.insert(t.id, call.op.to_string());
                    }
                }
                EventBody::Dispatch(DispatchEvent::OpError(call)) => {
                    // A call that raised still needs the operator.
                    let entry = usage.ops.entry(call.op.to_string()).or_insert(OpUsage {
                        first_seq: event.seq,
                        ..OpUsage::default()
                    });
                    entry.count += 1;
                    for t in event.body.tensor_refs() {
                        entry.dtypes.insert(t.dtype.to_string());
                    }
                }
                EventBody::Api(ApiEvent::Function(f)) => {
                    // A custom Function's outputs get its node, not the
                    // node of the operator that computed them inside its
                    // forward (under no_grad, as `_Dirichlet` runs
                    // `_sample_dirichlet`).
                    for id in &f.outputs {
                        producer.remove(id);
                    }
                }
                EventBody::Autograd(AutogradEvent::Node(node))
                    if node.seq_nr != ft_trace::ACCUMULATE_GRAD_SEQ =>
                {
                    // An AccumulateGrad is attached to a leaf, not made by an op.
                    let op = node.tensors.first().and_then(|t| producer.get(t));
                    if let Some(entry) = op.and_then(|op| usage.ops.get_mut(op)) {
                        entry.nodes.insert(node.name.clone());
                    }
                }
                _ => {}
            }
        }
        usage
    }

    fn note_dtypes(&mut self, event: &Event) {
        let mut names: BTreeSet<&str> = event
            .body
            .tensor_refs()
            .into_iter()
            .map(|t| t.dtype.as_str())
            .collect();
        match &event.body {
            EventBody::Dispatch(DispatchEvent::Op(call)) => {
                for (_, value) in &call.args {
                    dtype_args(value, &mut names);
                }
            }
            EventBody::Api(ApiEvent::DefaultDtype(d)) => {
                names.insert(d.dtype.as_str());
            }
            EventBody::Api(ApiEvent::Autocast(a)) if a.enabled => {
                names.insert(a.dtype.as_str());
            }
            _ => {}
        }
        for name in names {
            let entry = self.dtypes.entry(name.to_owned()).or_insert(DtypeUsage {
                count: 0,
                first_seq: event.seq,
            });
            entry.count += 1;
        }
    }
}

/// Dtype names given as arguments (`dtype=torch.float64`), in nested lists too.
fn dtype_args<'a>(value: &'a Value, out: &mut BTreeSet<&'a str>) {
    match value {
        Value::Dtype(name) => {
            out.insert(name.as_str());
        }
        Value::List(items) => items.iter().for_each(|v| dtype_args(v, out)),
        _ => {}
    }
}
