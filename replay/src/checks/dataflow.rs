//! Dataflow: do aligned events refer to corresponding tensors, storages and nodes?
//!
//! Alignment keys leave ids out, so two runs can agree on every op and still
//! feed an op the wrong tensor (a backward formula using its input where
//! PyTorch uses its saved output). Walking the aligned pairs in stream order,
//! this check builds a one-to-one correspondence between the two runs' ids and
//! reports the first place where an id would have to map to two different ids.

use foldhash::{HashMap, HashMapExt};

use ft_trace::{ApiEvent, AutogradEvent, Context, DeviceEvent, DispatchEvent, EventBody};

use crate::describe::describe;
use crate::report::{CheckResult, Divergence};
use crate::trace_data::TraceView;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum IdKind {
    Tensor,
    Storage,
    Node,
}

/// One direction of the correspondence for one kind of id. Ids are dense
/// (numbered in order of first appearance), so a table indexed by id holds
/// them; an id far beyond the stream's size — only a hostile trace has one —
/// goes to a hash map instead of sizing the table.
struct IdMap {
    dense: Vec<u64>,
    sparse: HashMap<u64, u64>,
    limit: u64,
}

/// Marks a free slot of [`IdMap::dense`]. An id mapping to `u64::MAX` itself
/// is kept in the sparse map.
const UNSET: u64 = u64::MAX;

impl IdMap {
    fn new(events: usize) -> IdMap {
        IdMap {
            dense: Vec::new(),
            sparse: HashMap::new(),
            limit: 4 * events as u64 + 1024,
        }
    }

    /// The id `from` corresponds to, recording `to` when it has none yet.
    fn get_or_insert(&mut self, from: u64, to: u64) -> u64 {
        if from >= self.limit {
            return *self.sparse.entry(from).or_insert(to);
        }
        let at = from as usize;
        if at >= self.dense.len() {
            self.dense.resize((at + 1).next_power_of_two(), UNSET);
        }
        if self.dense[at] != UNSET {
            return self.dense[at];
        }
        if let Some(&known) = self.sparse.get(&from) {
            return known;
        }
        if to == UNSET {
            self.sparse.insert(from, to);
        } else {
            self.dense[at] = to;
        }
        to
    }
}

/// Both directions of the correspondence, per kind of id.
struct Correspondence {
    forward: [IdMap; 3],
    backward: [IdMap; 3],
}

impl Correspondence {
    fn new(events: usize) -> Correspondence {
        Correspondence {
            forward: std::array::from_fn(|_| IdMap::new(events)),
            backward: std::array::from_fn(|_| IdMap::new(events)),
        }
    }

    /// `(what x maps to, what y maps from)` after recording `x ↔ y` where
    /// neither had a partner.
    fn pair(&mut self, kind: IdKind, x: u64, y: u64) -> (u64, u64) {
        let k = kind as usize;
        (
            self.forward[k].get_or_insert(x, y),
            self.backward[k].get_or_insert(y, x),
        )
    }
}

impl IdKind {
    fn letter(self) -> &'static str {
        match self {
            IdKind::Tensor => "tensor T",
            IdKind::Storage => "storage S",
            IdKind::Node => "node #",
        }
    }
}

/// The ids an event mentions, in wire order, into `out` (cleared first; the
/// check reuses two buffers for every pair).
fn ids(body: &EventBody, out: &mut Vec<(IdKind, u64)>) {
    out.clear();
    for t in body.tensor_refs() {
        out.push((IdKind::Tensor, t.id));
        out.push((IdKind::Storage, t.storage));
    }
    match body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            if let Context::Node(n) = op.context {
                out.push((IdKind::Node, n));
            }
        }
        EventBody::Dispatch(DispatchEvent::OpError(op)) => {
            if let Context::Node(n) = op.context {
                out.push((IdKind::Node, n));
            }
        }
        EventBody::Api(api) => match api {
            ApiEvent::SetRequiresGrad(s) => out.push((IdKind::Tensor, s.tensor)),
            ApiEvent::Release(r) => out.push((IdKind::Tensor, r.tensor)),
            ApiEvent::Backward(b) => {
                out.extend(b.roots.iter().map(|&r| (IdKind::Tensor, r)));
                out.extend(b.grads.iter().flatten().map(|&g| (IdKind::Tensor, g)));
            }
            ApiEvent::SetGrad(s) => {
                out.push((IdKind::Tensor, s.tensor));
                out.extend(s.grad.map(|g| (IdKind::Tensor, g)));
            }
            ApiEvent::RegisterHook(h) => out.push((IdKind::Tensor, h.tensor)),
            ApiEvent::RetainGrad(r) => out.push((IdKind::Tensor, r.tensor)),
            ApiEvent::Data(d) => out.push((IdKind::Tensor, d.source)),
            _ => {}
        },
        EventBody::Autograd(a) => match a {
            AutogradEvent::Node(n) => {
                out.push((IdKind::Node, n.node));
                out.extend(
                    n.next
                        .iter()
                        .filter_map(|e| e.node)
                        .map(|id| (IdKind::Node, id)),
                );
                out.extend(n.tensors.iter().map(|&t| (IdKind::Tensor, t)));
            }
            AutogradEvent::GraphTaskBegin(g) => {
                out.extend(
                    g.roots
                        .iter()
                        .filter_map(|e| e.node)
                        .map(|id| (IdKind::Node, id)),
                );
            }
            AutogradEvent::Push(q) | AutogradEvent::Pop(q) => out.push((IdKind::Node, q.node)),
            AutogradEvent::Accumulate(acc) => {
                out.push((IdKind::Node, acc.node));
                out.push((IdKind::Tensor, acc.tensor));
            }
            _ => {}
        },
        EventBody::Device(DeviceEvent::Transfer(t)) => {
            out.push((IdKind::Tensor, t.src));
            out.push((IdKind::Tensor, t.dst));
        }
        _ => {}
    }
}

/// Checks id correspondence over `pairs` (event indices, any order).
pub fn compare(
    expected: &TraceView<'_>,
    actual: &TraceView<'_>,
    mut pairs: Vec<(usize, usize)>,
) -> CheckResult {
    pairs.sort_unstable();
    let mut ids_of = Correspondence::new(expected.data.events.len().max(actual.data.events.len()));
    let (mut exp_ids, mut act_ids) = (Vec::new(), Vec::new());
    let mut result = CheckResult {
        name: "dataflow",
        expected: pairs.len(),
        actual: pairs.len(),
        ..CheckResult::default()
    };
    for &(e, a) in &pairs {
        let (Some(exp_event), Some(act_event)) =
            (expected.data.events.get(e), actual.data.events.get(a))
        else {
            continue;
        };
        ids(&exp_event.body, &mut exp_ids);
        ids(&act_event.body, &mut act_ids);
        let mut conflict = None;
        for (&(kind, x), &(_, y)) in exp_ids.iter().zip(&act_ids) {
            let (fwd, bwd) = ids_of.pair(kind, x, y);
            if fwd != y || bwd != x {
                conflict = Some((kind, x, y, fwd, bwd));
                break;
            }
        }
        match conflict {
            None => result.matched += 1,
            Some((kind, x, y, fwd, bwd)) => {
                let l = kind.letter();
                let why = if fwd != y {
                    format!(
                        "expected {l}{x} corresponds to actual {l}{fwd} elsewhere, but here to {l}{y}"
                    )
                } else {
                    format!(
                        "actual {l}{y} corresponds to expected {l}{bwd} elsewhere, but here to {l}{x}"
                    )
                };
                result.divergences.push(Divergence {
                    check: "dataflow",
                    kind: "mismatch",
                    expected_seq: Some(exp_event.seq),
                    actual_seq: Some(act_event.seq),
                    message: format!("{}: {why}", describe(exp_event, expected)),
                });
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_keeps_its_first_partner_in_the_table_and_beyond_it() {
        let mut map = IdMap::new(10);
        for from in [0, 3, 1_000_000, u64::MAX] {
            assert_eq!(map.get_or_insert(from, 7), 7);
            assert_eq!(map.get_or_insert(from, 8), 7, "id {from}");
        }
        assert_eq!(map.get_or_insert(5, UNSET), UNSET);
        assert_eq!(map.get_or_insert(5, 9), UNSET);
        assert!(map.dense.len() < 64, "a far id must not size the table");
    }
}
