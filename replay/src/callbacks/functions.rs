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
use ft_trace::{
    ApiEvent, AutogradEvent, Context, DispatchEvent, Event, EventBody, GradCall, TensorRef,
};

use super::{Bindings, Scope, Shared, fail};
use crate::executor::grad::grad_request;

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
    /// Tensor ids bound during the run that no event after it names but
    /// the program releases later: the runtime's tensors are dropped when
    /// the run ends (released at the first state flush after they die,
    /// where the capture saw them gone), not held — the engine may steal
    /// them.
    pub release: HashSet<u64>,
    /// The exception the program's backward raised (`"Type: message"`, the
    /// backward's `graph_task_error`; no `node_result`): re-raised after
    /// its events (a reentrant checkpoint under `torch.autograd.grad`).
    pub raised: Option<String>,
}

/// The range of each `node_result`'s run: from after the last `pop` of its
/// node to the `node_result`; and of each run that raised: from after the
/// last `pop`, of a custom Function's node, to the `graph_task_error` that
/// follows it (no hook of the node open). Returns (node, start index, end
/// index).
pub(super) fn run_ranges(events: &[Event]) -> Vec<(u64, usize, usize)> {
    let mut last_pop: HashMap<u64, usize> = HashMap::new();
    // The node a `function` event announced is the next node event of its
    // name (the AccumulateGrads of its inputs may come first).
    let mut announced: Option<String> = None;
    let mut functions: HashSet<u64> = HashSet::new();
    // The last pop of any node, and whether a hook of it is open.
    let mut running: Option<(u64, usize)> = None;
    let mut hooks_open = 0usize;
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match &e.body {
            EventBody::Api(ApiEvent::Function(f)) => announced = Some(f.name.clone()),
            EventBody::Autograd(AutogradEvent::Node(n)) if announced.as_ref() == Some(&n.name) => {
                functions.insert(n.node);
                announced = None;
            }
            EventBody::Autograd(AutogradEvent::Pop(p)) => {
                last_pop.insert(p.node, i);
                running = Some((p.node, i));
                hooks_open = 0;
            }
            EventBody::Autograd(AutogradEvent::HookBegin(_)) => hooks_open += 1,
            EventBody::Autograd(AutogradEvent::HookEnd(_) | AutogradEvent::HookResult(_)) => {
                hooks_open = hooks_open.saturating_sub(1);
            }
            EventBody::Autograd(AutogradEvent::NodeResult(r)) => {
                if let Some(&start) = last_pop.get(&r.node) {
                    out.push((r.node, start + 1, i));
                }
                running = None;
            }
            EventBody::Autograd(AutogradEvent::GraphTaskError(_)) => {
                if let Some((node, start)) = running.take()
                    && hooks_open == 0
                    && functions.contains(&node)
                {
                    out.push((node, start + 1, i));
                }
            }
            EventBody::Autograd(AutogradEvent::GraphTaskEnd(_)) => running = None,
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
    // A tensor the program releases later (a gradient stored in a leaf of
    // the run and returned by the node) is released when the run ends.
    let released: HashMap<u64, u64> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Api(ApiEvent::Release(r)) => Some((r.tensor, e.seq)),
            _ => None,
        })
        .collect();
    // A tensor the program held before the run (a `grad_outputs` tensor
    // handed to the node as it is: `torch.autograd.gradcheck`'s one-hot
    // gradients) stays the program's: its release is the program's own.
    let mut held: HashMap<u64, u64> = HashMap::new();
    for e in events {
        if let EventBody::Dispatch(DispatchEvent::Op(op)) = &e.body
            && op.context == Context::TopLevel
        {
            for t in e.body.tensor_refs() {
                held.entry(t.id).or_insert(e.seq);
            }
        }
    }
    for (node, start, end) in run_ranges(events) {
        let (grads, results, raised) = match &events[end].body {
            EventBody::Autograd(AutogradEvent::NodeResult(r)) => {
                (r.grads.clone(), r.results.clone(), None)
            }
            // The gradients it received are not recorded: the events of a
            // run that raised may not name them.
            EventBody::Autograd(AutogradEvent::GraphTaskError(g)) => {
                (Vec::new(), Vec::new(), Some(g.error.clone()))
            }
            _ => continue,
        };
        let inner = program_events(node, &events[start..end]);
        let end_seq = events[end].seq;
        let later = |s: Option<&u64>| s.is_some_and(|&s| s > end_seq);
        let start_seq = events[start].seq;
        let program_held = |id: &u64| held.get(id).is_some_and(|&s| s < start_seq);
        let (keep, release) = bound_ids(&grads, &inner)
            .into_iter()
            .filter(|id| later(last_use.get(id)) || (later(released.get(id)) && !program_held(id)))
            .partition(|id| later(last_use.get(id)));
        out.entry(node).or_default().push_back(FunctionRun {
            grads,
            events: inner,
            results,
            keep,
            release,
            raised,
        });
    }
    out
}

/// The events of node `node`'s run that its program code caused: its ops
/// (context `[2, node]`), the state changes before them, a `backward()` it
/// called and the `accumulate`s that bind what that backward stored, a
/// `torch.autograd.grad` it called and the `grad_result` naming what that
/// returned. Hook ranges replay themselves; the ops of a nested GraphTask's
/// nodes are the runtime's own.
fn program_events(node: u64, events: &[Event]) -> Vec<Event> {
    // `retain_grad()` on an output of the Function: the engine's hook (not
    // program code) stores the gradient the node received, an `accumulate`
    // naming the node itself, after the `clone` (or `add`) that made it:
    // the runtime's hook makes that op, the `accumulate` binds its result.
    let retained: HashSet<u64> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::Accumulate(a)) if a.node == node => Some(a.grad.id),
            _ => None,
        })
        .collect();
    let mut depth = 0usize;
    let mut out = Vec::new();
    for e in events {
        let keep = match &e.body {
            EventBody::Autograd(AutogradEvent::HookBegin(_)) => {
                depth += 1;
                false
            }
            EventBody::Autograd(AutogradEvent::HookEnd(_)) => {
                depth = depth.saturating_sub(1);
                false
            }
            _ if depth > 0 => false,
            EventBody::Dispatch(DispatchEvent::Op(op)) => {
                op.context == Context::Node(node)
                    && !op
                        .outputs
                        .iter()
                        .flat_map(|v| v.tensors())
                        .any(|t| retained.contains(&t.id))
            }
            EventBody::Api(_) | EventBody::Autograd(AutogradEvent::Accumulate(_)) => true,
            _ => false,
        };
        if keep {
            out.push(e.clone());
        }
    }
    out
}

fn bound_ids(grads: &[Option<TensorRef>], events: &[Event]) -> Vec<u64> {
    let mut ids: Vec<u64> = grads.iter().flatten().map(|t| t.id).collect();
    for e in events {
        match &e.body {
            EventBody::Dispatch(DispatchEvent::Op(op)) => {
                ids.extend(op.outputs.iter().flat_map(|v| v.tensors()).map(|t| t.id));
            }
            EventBody::Autograd(AutogradEvent::Accumulate(a)) => ids.push(a.grad.id),
            EventBody::Api(ApiEvent::GradResult(r)) => {
                ids.extend(r.grads.iter().flatten().map(|t| t.id))
            }
            _ => {}
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
        writes_state: false,
    };
    for (recorded, given) in run.grads.iter().zip(received) {
        if let (Some(r), Some(t)) = (recorded, given) {
            scope.bind(r, t.clone());
        }
    }
    // What a `torch.autograd.grad` inside the run returned, until the
    // `grad_result` that names it.
    let mut returned: Vec<Option<Tensor>> = Vec::new();
    for e in &run.events {
        match &e.body {
            EventBody::Api(ApiEvent::Grad(call)) => returned = nested_grad(rt, &scope, call)?,
            EventBody::Api(ApiEvent::GradResult(result)) => {
                let returned = std::mem::take(&mut returned);
                for (i, recorded) in result.grads.iter().enumerate() {
                    if let Some(t) = recorded {
                        let tensor = returned.get(i).cloned().flatten().ok_or_else(|| {
                            fail(format!(
                                "seq {}: the nested torch.autograd.grad returned no gradient for input {i}",
                                e.seq
                            ))
                        })?;
                        scope.bind(t, tensor);
                    }
                }
            }
            _ => step(rt, &mut scope, e)?,
        }
    }
    if let Some(exception) = &run.raised
        && !rt.faults().function_raise_dropped
    {
        return Err(ft_runtime::RuntimeError::Raised {
            exception: exception.clone(),
        });
    }
    // An anomaly mode switched after the last op (PyTorch's capture polls
    // it before `node_result`).
    rt.flush_anomaly_mode();
    let results = run
        .results
        .iter()
        .map(|r| r.as_ref().map(|r| scope.lookup(r.id)).transpose())
        .collect::<ft_runtime::Result<Vec<_>>>()?;
    // Released at the first state flush after the runtime, too, lets go
    // of them: a gradient the node returned lives on in the engine until
    // the node that receives it ran (a non-reentrant checkpoint's
    // recomputation hook may come first), as the capture saw it die.
    for id in &run.release {
        if let Some(t) = scope.locals.tensors.get(id) {
            rt.drop_tensor(t.clone());
        }
    }
    scope.keep(&run.keep);
    Ok(results)
}

/// Runs a `torch.autograd.grad` the program's backward called (recomputing
/// a block with grad enabled and differentiating it, as memory-saving
/// Functions do): a nested GraphTask on the runtime; returns its gradients
/// by input.
fn nested_grad(
    rt: &mut Runtime,
    scope: &Scope<'_>,
    call: &GradCall,
) -> ft_runtime::Result<Vec<Option<Tensor>>> {
    rt.flush_state();
    let lookup_all = |ids: &[u64]| {
        ids.iter()
            .map(|&id| scope.lookup(id))
            .collect::<ft_runtime::Result<Vec<_>>>()
    };
    let roots = lookup_all(&call.roots)?;
    let inputs = lookup_all(&call.inputs)?;
    let grads = call
        .grads
        .iter()
        .map(|g| g.map(|g| scope.lookup(g)).transpose())
        .collect::<ft_runtime::Result<Vec<_>>>()?;
    rt.grad(&grad_request(call, &roots, &grads, &inputs))
}

/// Re-executes one event of a run: state changes are applied (and written
/// before the next op, as PyTorch's capture writes them), a `backward()`
/// runs a nested GraphTask, an `accumulate` binds the gradient by role.
fn step(rt: &mut Runtime, scope: &mut Scope<'_>, e: &Event) -> ft_runtime::Result<()> {
    match &e.body {
        EventBody::Dispatch(DispatchEvent::Op(_)) => {
            rt.flush_state();
            scope.step(rt, e)
        }
        EventBody::Api(ApiEvent::GradMode(g)) => {
            rt.set_grad_mode(g.grad_enabled, g.inference_mode);
            Ok(())
        }
        EventBody::Api(ApiEvent::BelowAutograd(b)) => {
            rt.set_below_autograd(b.enabled);
            Ok(())
        }
        // Written before the next op, or at the end of the run.
        EventBody::Api(ApiEvent::AnomalyMode(a)) => {
            rt.set_anomaly_mode(ft_runtime::autograd::anomaly::AnomalyMode {
                enabled: a.enabled,
                check_nan: a.check_nan,
            });
            Ok(())
        }
        EventBody::Api(ApiEvent::SetRequiresGrad(s)) => {
            let t = scope.lookup(s.tensor)?;
            rt.set_requires_grad(&t, s.requires_grad)
        }
        EventBody::Api(ApiEvent::Release(r)) => {
            // The main loop steps over the run: a tensor of the program's
            // the run saw die is released here.
            let t = scope.locals.tensors.remove(&r.tensor);
            if let Some(t) = t.or_else(|| scope.shared.lent.tensors.remove(&r.tensor)) {
                rt.release(t);
            }
            Ok(())
        }
        EventBody::Api(ApiEvent::Backward(b)) => {
            let roots = b
                .roots
                .iter()
                .map(|&r| scope.lookup(r))
                .collect::<ft_runtime::Result<Vec<_>>>()?;
            let grads = b
                .grads
                .iter()
                .map(|g| g.map(|g| scope.lookup(g)).transpose())
                .collect::<ft_runtime::Result<Vec<_>>>()?;
            rt.backward(&roots, &grads, b.retain_graph, b.create_graph)
        }
        EventBody::Autograd(AutogradEvent::Accumulate(a)) => {
            let leaf = scope.lookup(a.tensor)?;
            let grad = leaf.grad().ok_or_else(|| {
                fail(format!(
                    "T{} got no gradient from the nested backward",
                    a.tensor
                ))
            })?;
            scope.bind(&a.grad, grad);
            Ok(())
        }
        _ => scope.step(rt, e),
    }
}
