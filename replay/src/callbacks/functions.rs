//! Custom `autograd.Function` backwards: the recorded runs of each
//! Function node's program code, and their replay.
//!
//! The engine pops a custom Function's node and calls the program's
//! `backward`; the trace holds what it dispatched (in the node's context,
//! after the node's `pop`) and, at the end, `node_result` with the
//! gradients the node received and returned (FORMAT.md §3.4.3). The
//! replayer gives the runtime's node a backward that re-executes those
//! operators as the program called them (see the parent module) and
//! returns, by role, the tensors `node_result` names.

use std::collections::{HashMap, HashSet, VecDeque};

use ft_runtime::{Runtime, Tensor};
use ft_trace::{AutogradEvent, Event, EventBody, TensorRef};

use super::{Bindings, Scope, Shared};

/// One recorded run of a custom Function's backward.
#[derive(Clone, Debug)]
pub struct FunctionRun {
    /// The gradients the node received (by input).
    pub grads: Vec<Option<TensorRef>>,
    /// The events of the program's backward (hook ranges left out: the
    /// node's tensor hooks replay themselves).
    pub events: Vec<Event>,
    /// The gradients it returned (by next edge).
    pub results: Vec<Option<TensorRef>>,
    /// Tensor ids bound during the run that an event after it names.
    pub keep: HashSet<u64>,
}

/// The range of each `node_result`'s run: from after the last `pop` of its
/// node to the `node_result`. Returns (node, start index, end index).
pub(super) fn run_ranges(events: &[Event]) -> Vec<(u64, usize, usize)> {
    let mut last_pop: HashMap<u64, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match &e.body {
            EventBody::Autograd(AutogradEvent::Pop(p)) => {
                last_pop.insert(p.node, i);
            }
            EventBody::Autograd(AutogradEvent::NodeResult(r)) => {
                if let Some(&start) = last_pop.get(&r.node) {
                    out.push((r.node, start + 1, i));
                }
            }
            _ => {}
        }
    }
    out
}

/// The seqs of the events inside any run (their operators are program
/// code a replayer re-executes).
pub(super) fn run_seqs(events: &[Event]) -> HashSet<u64> {
    run_ranges(events)
        .into_iter()
        .flat_map(|(_, start, end)| events[start..end].iter().map(|e| e.seq))
        .collect()
}

/// Every run of every custom Function node of `events`, per node in order.
pub(super) fn collect_runs(
    events: &[Event],
    last_use: &HashMap<u64, u64>,
) -> HashMap<u64, VecDeque<FunctionRun>> {
    let mut out: HashMap<u64, VecDeque<FunctionRun>> = HashMap::new();
    for (node, start, end) in run_ranges(events) {
        let EventBody::Autograd(AutogradEvent::NodeResult(r)) = &events[end].body else {
            continue;
        };
        let inner = without_hook_ranges(&events[start..end]);
        let end_seq = events[end].seq;
        let keep = bound_ids(&r.grads, &inner)
            .into_iter()
            .filter(|id| last_use.get(id).is_some_and(|&s| s > end_seq))
            .collect();
        out.entry(node).or_default().push_back(FunctionRun {
            grads: r.grads.clone(),
            events: inner,
            results: r.results.clone(),
            keep,
        });
    }
    out
}

fn without_hook_ranges(events: &[Event]) -> Vec<Event> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for e in events {
        match &e.body {
            EventBody::Autograd(AutogradEvent::HookBegin(_)) => depth += 1,
            EventBody::Autograd(AutogradEvent::HookEnd(_)) => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(e.clone()),
            _ => {}
        }
    }
    out
}

fn bound_ids(grads: &[Option<TensorRef>], events: &[Event]) -> Vec<u64> {
    let mut ids: Vec<u64> = grads.iter().flatten().map(|t| t.id).collect();
    for e in events {
        if let EventBody::Dispatch(ft_trace::DispatchEvent::Op(op)) = &e.body {
            ids.extend(op.outputs.iter().flat_map(|v| v.tensors()).map(|t| t.id));
        }
    }
    ids
}

/// Runs one recorded backward on the runtime: binds the gradients the
/// engine handed over to the recorded ones (by input), re-executes the
/// program's operators, returns the tensors `node_result` names.
pub(super) fn replay_run(
    rt: &mut Runtime,
    shared: &mut Shared,
    run: &FunctionRun,
    received: &[Option<Tensor>],
) -> ft_runtime::Result<Vec<Option<Tensor>>> {
    let mut scope = Scope {
        shared,
        locals: Bindings::default(),
    };
    for (recorded, given) in run.grads.iter().zip(received) {
        if let (Some(r), Some(t)) = (recorded, given) {
            scope.bind(r, t.clone());
        }
    }
    for e in &run.events {
        scope.step(rt, e)?;
    }
    let results = run
        .results
        .iter()
        .map(|r| r.as_ref().map(|r| scope.lookup(r.id)).transpose())
        .collect::<ft_runtime::Result<Vec<_>>>()?;
    scope.keep(&run.keep);
    Ok(results)
}
