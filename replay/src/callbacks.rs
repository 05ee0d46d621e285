//! Program code that the runtime calls back in the middle of its own work:
//! re-executes the events a trace recorded for one such call.
//!
//! A backward hook is Python code PyTorch's engine ran at a point of its
//! schedule; the trace brackets what it did between `hook_begin` and
//! `hook_end` (FORMAT.md §3.4.1). The replayer registers a Rust hook in
//! place of the program's; when the runtime calls it, the hook replays the
//! next recorded invocation ([`Invocation`]): it binds what the runtime
//! hands over to the ids of `hook_begin`'s arguments (by role), re-executes
//! the operators in between as the program called them (their arguments
//! resolved by id, random operators fed their recorded outputs, tensors
//! introduced from their recorded values, marks re-emitted) and returns the
//! tensor `hook_end` names. The same scheme fits any code the runtime calls
//! back (a custom `autograd.Function`'s backward, a checkpoint's
//! recomputation): an event range to run, and a role for its inputs and
//! result.
//!
//! Tensors an invocation creates live only while it runs, as the Python
//! hook's locals do (what the engine keeps, it holds itself: a gradient an
//! AccumulateGrad then steals must not be held by the replayer) — except
//! those a later re-executed event names (the program kept them: a momentum
//! buffer, a list of gradients), which join the replayer's bindings.
//!
//! While the runtime runs a backward, the replayer lends its bindings to
//! the hooks ([`Callbacks::lend`]) and takes them back afterwards.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::rc::Rc;

use ft_runtime::{IValue, Runtime, RuntimeError, Tensor};
use ft_trace::{
    ApiEvent, AutogradEvent, BlobRecord, Context, Digest, DispatchEvent, Event, EventBody,
    HookBegin, HookEnd, HookResult, OpCall, TensorRef, Value,
};

use crate::trace_data::TraceData;

mod functions;
mod node_hooks;

/// One recorded run of a hook: its `hook_begin`, the events in between,
/// how it ended, and the ids it created that later events name.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// What the hook received.
    pub begin: HookBegin,
    /// The events between `hook_begin` and its end.
    pub events: Vec<Event>,
    /// How it ended.
    pub end: HookOutcome,
    /// Tensor ids bound during the invocation that an event after it names.
    pub keep: HashSet<u64>,
}

/// How a recorded hook run ended.
#[derive(Clone, Debug)]
pub enum HookOutcome {
    /// It returned (`hook_end`).
    Returned(HookEnd),
    /// A node hook returned (`hook_result`).
    Results(HookResult),
    /// It raised: the `backward()` ended with this `graph_task_error`
    /// (`"Type: message"`) and no `hook_end`.
    Raised(String),
}

/// The tensors the replayer holds: PyTorch id → runtime tensor, and each
/// id's PyTorch storage.
#[derive(Default)]
pub struct Bindings {
    /// PyTorch tensor id → runtime tensor.
    pub tensors: HashMap<u64, Tensor>,
    /// PyTorch tensor id → PyTorch storage id.
    pub storage_of: HashMap<u64, u64>,
}

/// Shared between the replayer and the hooks it registered.
struct Shared {
    /// The replayer's bindings while they are lent.
    lent: Bindings,
    /// Values of the blobs the invocations need.
    blobs: BTreeMap<Digest, BlobRecord>,
    /// Gradient id → the tensor whose `.grad` it is (every `accumulate`).
    accumulated: HashMap<u64, u64>,
    /// Saved-tensor hooks scopes entered and not yet left, by hook id.
    saved_scopes: HashMap<u64, ft_runtime::SavedHooksHandle>,
    /// How many tensors the runtime packed under each saved-tensor hooks
    /// pair, by hook id (its pack closure counts).
    packs: HashMap<u64, Rc<Cell<usize>>>,
    /// The pairs whose unpack is being replayed, innermost last.
    unpacking: Vec<u64>,
}

impl Shared {
    /// A pack that keeps the saved tensor and counts it under `hook`.
    fn counting_pack(&mut self, hook: u64) -> ft_runtime::PackHookFn {
        let count = Rc::new(Cell::new(0));
        self.packs.insert(hook, Rc::clone(&count));
        Box::new(move |_, t| {
            count.set(count.get() + 1);
            Ok(t.clone())
        })
    }

    fn packed(&self, hook: u64) -> usize {
        self.packs.get(&hook).map_or(0, |c| c.get())
    }
}

/// The recorded invocations of every hook of a trace, and the state the
/// hooks share with the replayer.
pub struct Callbacks {
    invocations: HashMap<u64, VecDeque<Invocation>>,
    /// Custom Function node id → its recorded backward runs.
    runs: HashMap<u64, VecDeque<functions::FunctionRun>>,
    /// The seqs of the events inside those runs.
    in_runs: HashSet<u64>,
    /// Saved-tensor hooks pairs whose unpacks ran under a program dispatch
    /// mode ([`under_dispatch_mode`]).
    mode_pairs: HashSet<u64>,
    shared: Rc<RefCell<Shared>>,
}

impl Callbacks {
    /// Collects every hook invocation of `trace` (empty when it has none).
    pub fn scan(trace: &TraceData) -> Callbacks {
        let in_runs = functions::run_seqs(&trace.events);
        let last_use = last_uses(&trace.events, &in_runs);
        let invocations = collect_invocations(&trace.events, &last_use);
        let runs = functions::collect_runs(&trace.events, &last_use);
        let mut blobs = BTreeMap::new();
        let hook_events = invocations.values().flatten().flat_map(|i| &i.events);
        let run_events = runs.values().flatten().flat_map(|r| &r.events);
        for e in hook_events.chain(run_events) {
            for t in e.body.tensor_refs() {
                if let Some(d) = t.value
                    && let Some(b) = trace.blobs.get(&d)
                {
                    blobs.insert(d, b.into_owned());
                }
            }
        }
        let accumulated = trace
            .events
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::Autograd(AutogradEvent::Accumulate(a)) => Some((a.grad.id, a.tensor)),
                _ => None,
            })
            .collect();
        Callbacks {
            mode_pairs: under_dispatch_mode(&trace.events),
            invocations,
            runs,
            in_runs,
            shared: Rc::new(RefCell::new(Shared {
                lent: Bindings::default(),
                blobs,
                accumulated,
                saved_scopes: HashMap::new(),
                packs: HashMap::new(),
                unpacking: Vec::new(),
            })),
        }
    }

    /// The Rust hook that replays hook `hook`'s recorded invocations, one
    /// per call, in order. A call beyond the recorded ones runs nothing and
    /// returns None (the diff then reports the extra hook events).
    pub fn tensor_hook(&mut self, hook: u64) -> ft_runtime::TensorHookFn {
        let mut queue = self.invocations.remove(&hook).unwrap_or_default();
        let shared = Rc::clone(&self.shared);
        Box::new(move |rt: &mut Runtime, received: Option<&Tensor>| {
            let Some(inv) = queue.pop_front() else {
                return Ok(None);
            };
            let mut shared = shared.borrow_mut();
            replay_invocation(rt, &mut shared, &inv, &[received.cloned()])
        })
    }

    /// A post-accumulate-grad hook replaying hook `hook` (see
    /// [`Callbacks::tensor_hook`]).
    pub fn post_accumulate_hook(&mut self, hook: u64) -> ft_runtime::PostAccumulateHookFn {
        let mut queue = self.invocations.remove(&hook).unwrap_or_default();
        let shared = Rc::clone(&self.shared);
        Box::new(move |rt: &mut Runtime, leaf: &Tensor| {
            let Some(inv) = queue.pop_front() else {
                return Ok(());
            };
            let mut shared = shared.borrow_mut();
            replay_invocation(rt, &mut shared, &inv, &[Some(leaf.clone())]).map(|_| ())
        })
    }

    /// The backward of custom Function node `node` (a trace node id): replays
    /// its recorded runs, one per call, in order. A call beyond them returns
    /// no gradient.
    pub fn function_backward(&mut self, node: u64) -> ft_runtime::FunctionBackwardFn {
        let mut queue = self.runs.remove(&node).unwrap_or_default();
        let shared = Rc::clone(&self.shared);
        Box::new(move |rt: &mut Runtime, received: &[Option<Tensor>]| {
            let Some(run) = queue.pop_front() else {
                return Ok(Vec::new());
            };
            let mut shared = shared.try_borrow_mut().map_err(|_| {
                fail("a custom Function's backward inside another replayed callback".into())
            })?;
            functions::replay_run(rt, &mut shared, &run, received)
        })
    }

    /// Enters (`enter`) or leaves the saved-tensor hooks scope of pair
    /// `hook`: the pack keeps the saved tensor, the unpack replays the
    /// pair's recorded unpacks, one per call, in order (a call beyond them
    /// returns the saved tensor).
    pub fn saved_tensors_hooks(&mut self, rt: &mut Runtime, hook: u64, enter: bool) {
        if !enter {
            if let Some(handle) = self.shared.borrow_mut().saved_scopes.remove(&hook) {
                rt.saved_tensors_hooks_exit(handle);
            }
            return;
        }
        let mut queue = self.invocations.remove(&hook).unwrap_or_default();
        let shared = Rc::clone(&self.shared);
        let unpack: ft_runtime::UnpackHookFn = Box::new(move |rt, packed| {
            let Some(inv) = queue.pop_front() else {
                return Ok(packed.clone());
            };
            let mut shared = shared
                .try_borrow_mut()
                .map_err(|_| fail("an unpack hook inside another replayed callback".into()))?;
            shared.unpacking.push(hook);
            let result = replay_program_code(rt, &mut shared, &inv);
            shared.unpacking.pop();
            result?.ok_or_else(|| fail(format!("unpack hook H{hook} returned no tensor")))
        });
        let pack = self.shared.borrow_mut().counting_pack(hook);
        let handle = rt.saved_tensors_hooks_enter(pack, unpack);
        if self.mode_pairs.contains(&hook) {
            rt.saved_tensors_hooks_under_dispatch_mode(handle);
        }
        self.shared.borrow_mut().saved_scopes.insert(hook, handle);
    }

    /// Whether event `seq` lies in a custom Function's recorded backward
    /// (replayed when the runtime runs that node, not by the main loop).
    pub fn in_run(&self, seq: u64) -> bool {
        self.in_runs.contains(&seq)
    }

    /// Hands the replayer's bindings to the hooks (before the runtime runs
    /// a backward).
    pub fn lend(&self, bindings: Bindings) {
        self.shared.borrow_mut().lent = bindings;
    }

    /// Takes the bindings back, with the tensors the hooks kept.
    pub fn reclaim(&self) -> Bindings {
        std::mem::take(&mut self.shared.borrow_mut().lent)
    }
}

/// Every `hook_begin` … `hook_end` range of `events`, per hook id in order,
/// with the ids each creates that a later re-executed event names.
fn collect_invocations(
    events: &[Event],
    last_use: &HashMap<u64, u64>,
) -> HashMap<u64, VecDeque<Invocation>> {
    let mut out: HashMap<u64, VecDeque<Invocation>> = HashMap::new();
    let mut i = 0;
    while i < events.len() {
        let EventBody::Autograd(AutogradEvent::HookBegin(begin)) = &events[i].body else {
            i += 1;
            continue;
        };
        let Some(len) = events[i + 1..].iter().position(|e| match &e.body {
            EventBody::Autograd(AutogradEvent::HookEnd(h)) => h.hook == begin.hook,
            EventBody::Autograd(AutogradEvent::HookResult(h)) => h.hook == begin.hook,
            EventBody::Autograd(AutogradEvent::GraphTaskError(_)) => true,
            _ => false,
        }) else {
            break;
        };
        let end_index = i + 1 + len;
        let end = match &events[end_index].body {
            EventBody::Autograd(AutogradEvent::HookEnd(end)) => HookOutcome::Returned(end.clone()),
            EventBody::Autograd(AutogradEvent::HookResult(end)) => {
                HookOutcome::Results(end.clone())
            }
            EventBody::Autograd(AutogradEvent::GraphTaskError(e)) => {
                HookOutcome::Raised(e.error.clone())
            }
            _ => break,
        };
        let inner = events[i + 1..end_index].to_vec();
        let end_seq = events[end_index].seq;
        let keep = bound_ids(begin, &inner)
            .into_iter()
            .filter(|id| last_use.get(id).is_some_and(|&s| s > end_seq))
            .collect();
        out.entry(begin.hook).or_default().push_back(Invocation {
            begin: begin.clone(),
            events: inner,
            end,
            keep,
        });
        i = end_index + 1;
    }
    out
}

/// The ids an invocation binds: its arguments and its ops' outputs and
/// introductions.
fn bound_ids(begin: &HookBegin, events: &[Event]) -> Vec<u64> {
    let mut ids: Vec<u64> = begin.args.iter().flatten().map(|t| t.id).collect();
    for e in events {
        match &e.body {
            EventBody::Dispatch(DispatchEvent::Op(op)) => {
                ids.extend(op.outputs.iter().flat_map(|v| v.tensors()).map(|t| t.id));
            }
            EventBody::Api(ApiEvent::Tensor(t)) => ids.push(t.tensor.id),
            EventBody::Api(ApiEvent::Data(d)) if !d.write => ids.push(d.tensor.id),
            _ => {}
        }
    }
    ids
}

/// For each tensor id, the last seq of an event a replayer re-executes (or
/// resolves by id) that names it: top-level ops, api events, and the events
/// inside hook ranges and custom Function backwards (`in_runs`), and the
/// release that ends the program's hold on a tensor a hook was handed. The
/// engine's own ops do not count, nor the release of a tensor no hook saw
/// (a reentrant checkpoint's input gradient dies after the engine stole it).
/// Inside a hook, its own arguments do not count either: the invocation
/// binds what the engine hands it and resolves them there, so a hook that
/// returns (or computes from) the gradient it received keeps no earlier
/// binding of it alive (an `nn.Module` full backward hook's identity
/// Function returns the input gradient its hook then returns; AccumulateGrad
/// steals it).
fn last_uses(events: &[Event], in_runs: &HashSet<u64>) -> HashMap<u64, u64> {
    let mut last = HashMap::new();
    // The arguments of each open hook, innermost last.
    let mut open: Vec<HashSet<u64>> = Vec::new();
    let mut hooked: HashSet<u64> = HashSet::new();
    for e in events {
        let named: Vec<u64> = match &e.body {
            EventBody::Autograd(AutogradEvent::HookBegin(begin)) => {
                let args: HashSet<u64> = begin.args.iter().flatten().map(|t| t.id).collect();
                hooked.extend(args.iter().copied());
                open.push(args);
                Vec::new()
            }
            EventBody::Autograd(AutogradEvent::HookEnd(h)) => {
                let named = outside_hooks(&open, h.result.iter().map(|t| t.id));
                open.pop();
                named
            }
            EventBody::Autograd(AutogradEvent::HookResult(h)) => {
                let ids = h.results.iter().flatten().flatten().map(|t| t.id);
                let named = outside_hooks(&open, ids);
                open.pop();
                named
            }
            // A hook that raised has no hook_end: its backward ends here.
            EventBody::Autograd(AutogradEvent::GraphTaskError(_)) => {
                open.clear();
                Vec::new()
            }
            EventBody::Dispatch(DispatchEvent::Op(op)) if !open.is_empty() => outside_hooks(
                &open,
                op.args.iter().flat_map(|(_, v)| v.tensors()).map(|t| t.id),
            ),
            EventBody::Dispatch(DispatchEvent::Op(op))
                if op.context == Context::TopLevel || in_runs.contains(&e.seq) =>
            {
                op.args
                    .iter()
                    .flat_map(|(_, v)| v.tensors())
                    .map(|t| t.id)
                    .collect()
            }
            // The program held the tensor until here (a gradient a hook
            // kept, in a list or register_multi_grad_hook's buffer).
            EventBody::Api(ApiEvent::Release(r)) if hooked.contains(&r.tensor) => vec![r.tensor],
            EventBody::Api(ApiEvent::Release(_)) => Vec::new(),
            EventBody::Api(api) => api_tensor_ids(api),
            // A later backward accumulates into a leaf made inside a hook or
            // a Function's backward (a recomputing Function's detached input
            // under a gradient penalty): the leaf is bound beyond it.
            EventBody::Autograd(AutogradEvent::Accumulate(a)) => vec![a.tensor],
            _ => Vec::new(),
        };
        for id in named {
            last.insert(id, e.seq);
        }
    }
    last
}

/// The ids of `ids` that no open hook was handed (those resolve to the
/// hook's own binding).
fn outside_hooks(open: &[HashSet<u64>], ids: impl Iterator<Item = u64>) -> Vec<u64> {
    ids.filter(|id| !open.iter().any(|args| args.contains(id)))
        .collect()
}

/// The saved-tensor hooks pairs whose unpacks ran under a program dispatch
/// mode (`allow_mutation_on_saved_tensors()`). The trace has no event for
/// the mode; PyTorch's saved variable shows it: with a mode active, the
/// shallow copy that gives an unpacked tensor the saved one's autograd state
/// is a `detach` of the tensor the unpack returned, dispatched right after
/// its `hook_end` (the runtime applies PyTorch's rule for which unpacks
/// make one, `Runtime::saved_tensors_hooks_under_dispatch_mode`).
fn under_dispatch_mode(events: &[Event]) -> HashSet<u64> {
    events
        .windows(2)
        .filter_map(|pair| match (&pair[0].body, &pair[1].body) {
            (
                EventBody::Autograd(AutogradEvent::HookEnd(end)),
                EventBody::Dispatch(DispatchEvent::Op(op)),
            ) if op.op.as_ref() == "aten.detach.default"
                && end.result.as_ref().is_some_and(
                    |r| matches!(op.args.first(), Some((_, Value::Tensor(t))) if t.id == r.id),
                ) =>
            {
                Some(end.hook)
            }
            _ => None,
        })
        .collect()
}

/// The tensor ids an api event names.
fn api_tensor_ids(api: &ApiEvent) -> Vec<u64> {
    match api {
        ApiEvent::Backward(b) => b
            .roots
            .iter()
            .chain(b.grads.iter().flatten())
            .copied()
            .collect(),
        ApiEvent::SetGrad(s) => std::iter::once(s.tensor).chain(s.grad).collect(),
        ApiEvent::SetRequiresGrad(s) => vec![s.tensor],
        ApiEvent::RegisterHook(h) => vec![h.tensor],
        ApiEvent::RetainGrad(r) => vec![r.tensor],
        ApiEvent::Data(d) => vec![d.source],
        _ => Vec::new(),
    }
}

/// Runs one recorded invocation on the runtime; returns the tensor its
/// `hook_end` names.
fn replay_invocation(
    rt: &mut Runtime,
    shared: &mut Shared,
    inv: &Invocation,
    received: &[Option<Tensor>],
) -> ft_runtime::Result<Option<Tensor>> {
    run_invocation(rt, shared, inv, received, false)
}

fn run_invocation(
    rt: &mut Runtime,
    shared: &mut Shared,
    inv: &Invocation,
    received: &[Option<Tensor>],
    writes_state: bool,
) -> ft_runtime::Result<Option<Tensor>> {
    let mut scope = Scope {
        shared,
        locals: Bindings::default(),
        writes_state,
    };
    for (recorded, given) in inv.begin.args.iter().zip(received) {
        if let (Some(r), Some(t)) = (recorded, given) {
            scope.bind(r, t.clone());
        }
    }
    for e in &inv.events {
        scope.step(rt, e)?;
    }
    let end = match &inv.end {
        HookOutcome::Returned(end) => end,
        HookOutcome::Raised(exception) => {
            return Err(RuntimeError::Raised {
                exception: exception.clone(),
            });
        }
        HookOutcome::Results(_) => {
            return Err(fail(format!(
                "hook H{} is a node hook, called as a tensor hook",
                inv.begin.hook
            )));
        }
    };
    let result = end
        .result
        .as_ref()
        .map(|r| scope.lookup(r.id))
        .transpose()?;
    scope.keep(&inv.keep);
    Ok(result)
}

/// The bindings visible while an invocation runs.
struct Scope<'s> {
    shared: &'s mut Shared,
    locals: Bindings,
    /// The invocation is program code whose state changes were recorded
    /// (an unpack hook): held-back state is written before each op.
    writes_state: bool,
}

/// Replays an unpack hook's invocation (program code: the state changes
/// recorded in it are written by the runtime before each op).
fn replay_program_code(
    rt: &mut Runtime,
    shared: &mut Shared,
    inv: &Invocation,
) -> ft_runtime::Result<Option<Tensor>> {
    run_invocation(rt, shared, inv, &[], true)
}

impl Scope<'_> {
    fn step(&mut self, rt: &mut Runtime, e: &Event) -> ft_runtime::Result<()> {
        match &e.body {
            EventBody::Dispatch(DispatchEvent::Op(op)) => {
                if self.writes_state {
                    rt.flush_state();
                }
                self.op(rt, op)
            }
            EventBody::Api(ApiEvent::Tensor(intro)) => {
                let t = &intro.tensor;
                let tensor = if intro.alias {
                    let base = self.on_storage(t.storage).ok_or_else(|| {
                        fail(format!("alias T{} of a storage no tensor holds", t.id))
                    })?;
                    rt.introduce_alias_at_version(
                        &base,
                        &t.dtype,
                        &t.shape,
                        &t.stride,
                        t.offset,
                        t.requires_grad,
                        t.version,
                    )?
                } else {
                    let blob = self.blob(t)?;
                    rt.introduce_tensor(
                        &t.dtype,
                        &t.shape,
                        &t.stride,
                        t.offset,
                        &blob.data,
                        t.requires_grad,
                    )?
                };
                self.bind(t, tensor);
                Ok(())
            }
            EventBody::Api(ApiEvent::MarkBegin(m)) => {
                rt.mark_begin(&m.name);
                Ok(())
            }
            EventBody::Api(ApiEvent::MarkEnd(m)) => {
                rt.mark_end(&m.name);
                Ok(())
            }
            EventBody::Api(ApiEvent::Data(d)) => {
                let source = self.lookup(d.source)?;
                let tensor = if d.write {
                    rt.set_data(&self.lookup(d.tensor.id)?, &source)?
                } else {
                    rt.data(&source)
                };
                self.bind(&d.tensor, tensor);
                Ok(())
            }
            EventBody::Api(ApiEvent::GradMode(g)) => {
                rt.set_grad_mode(g.grad_enabled, g.inference_mode);
                Ok(())
            }
            EventBody::Api(ApiEvent::BelowAutograd(b)) => {
                rt.set_below_autograd(b.enabled);
                Ok(())
            }
            // The hook switched anomaly mode (written where the hook ends).
            EventBody::Api(ApiEvent::AnomalyMode(a)) => {
                if rt.faults().anomaly_switch_in_hook_ignored {
                    return Ok(());
                }
                rt.set_anomaly_mode(ft_runtime::autograd::anomaly::AnomalyMode {
                    enabled: a.enabled,
                    check_nan: a.check_nan,
                });
                if !self.writes_state {
                    rt.flush_anomaly_mode();
                }
                Ok(())
            }
            EventBody::Api(ApiEvent::SetRequiresGrad(s)) => {
                let t = self.lookup(s.tensor)?;
                rt.set_requires_grad(&t, s.requires_grad)
            }
            // A tensor of the program's that died while the hook ran.
            EventBody::Api(ApiEvent::Release(r)) => {
                let t = self.locals.tensors.remove(&r.tensor);
                if let Some(t) = t.or_else(|| self.shared.lent.tensors.remove(&r.tensor)) {
                    rt.release(t);
                }
                Ok(())
            }
            // A scope the hook enters (the checkpoint's recomputation): its
            // pack keeps the saved tensor; its unpacks are not replayed.
            EventBody::Api(ApiEvent::SavedTensorsHooks(h)) => {
                if self.writes_state {
                    rt.flush_state();
                }
                if h.enter {
                    let pack = self.shared.counting_pack(h.hook);
                    let handle = rt.saved_tensors_hooks_enter(pack, Box::new(|_, t| Ok(t.clone())));
                    self.shared.saved_scopes.insert(h.hook, handle);
                } else if let Some(handle) = self.shared.saved_scopes.remove(&h.hook) {
                    rt.saved_tensors_hooks_exit(handle);
                    self.number_a_stopped_operator(rt, h.hook);
                }
                Ok(())
            }
            EventBody::Api(_) | EventBody::Autograd(AutogradEvent::HookBegin(_)) => {
                Err(fail(format!(
                    "seq {}: a hook's {} is not replayable",
                    e.seq,
                    e.body.kind_name()
                )))
            }
            // Nodes, transfers: the runtime makes its own.
            _ => Ok(()),
        }
    }

    /// After a recomputation scope `inner` that an unpack entered is left:
    /// when the runtime's recomputation saved fewer tensors than the block
    /// saved in forward, PyTorch's stopped inside an operator's input
    /// saving. The non-reentrant checkpoint stops its recomputation by
    /// raising from the pack hook once it holds as many tensors as forward
    /// saved; a pack of an *input* runs after autograd numbered the
    /// operator's node and before the operator ran, so that node took a
    /// sequence number and was dropped (CAPTURE.md §6.7). The runtime never
    /// ran that operator (it is not in the trace), so it takes the number
    /// here. A stop in an output's pack comes after the operator ran: the
    /// runtime ran it too and the counts agree.
    fn number_a_stopped_operator(&mut self, rt: &mut Runtime, inner: u64) {
        let Some(&outer) = self.shared.unpacking.last() else {
            return;
        };
        let recomputed = self.shared.packed(inner);
        self.shared.packs.remove(&inner);
        if recomputed < self.shared.packed(outer) {
            rt.number_a_dropped_node();
        }
    }

    fn op(&mut self, rt: &mut Runtime, op: &OpCall) -> ft_runtime::Result<()> {
        let mut args = Vec::with_capacity(op.args.len());
        for (_, v) in &op.args {
            args.push(self.ivalue(v)?);
        }
        if (ft_trace::op_class::is_random(&op.op) || ft_trace::op_class::is_external_input(&op.op))
            && let Some(out) = op.outputs.iter().flat_map(|v| v.tensors()).next()
            && out.device != "meta"
        {
            let blob = self.blob(out)?;
            rt.provide_random_values(&blob.dtype, &blob.data)?;
        }
        let below = crate::executor::entered_below_ad_inplace_or_view(&op.keyset);
        let outputs = rt.call_in_hook(&op.op, args, below)?;
        let expected: Vec<&TensorRef> = op.outputs.iter().flat_map(|v| v.tensors()).collect();
        let produced: Vec<Tensor> = outputs.into_iter().flat_map(IValue::into_tensors).collect();
        if expected.len() != produced.len() {
            return Err(fail(format!(
                "{}: the runtime returned {} tensors where PyTorch returned {}",
                op.op,
                produced.len(),
                expected.len()
            )));
        }
        for (t, tensor) in expected.into_iter().zip(produced) {
            self.bind(t, tensor);
        }
        Ok(())
    }

    fn ivalue(&self, v: &Value) -> ft_runtime::Result<IValue> {
        IValue::from_trace_value(v, &mut |t: &TensorRef| self.lookup(t.id))
    }

    fn blob(&self, t: &TensorRef) -> ft_runtime::Result<BlobRecord> {
        t.value
            .and_then(|d| self.shared.blobs.get(&d).cloned())
            .ok_or_else(|| fail(format!("T{} has no recorded value", t.id)))
    }

    fn bind(&mut self, t: &TensorRef, tensor: Tensor) {
        self.locals.storage_of.insert(t.id, t.storage);
        self.locals.tensors.insert(t.id, tensor);
    }

    /// A tensor by id: the invocation's own, the replayer's, or a gradient
    /// the engine stored earlier in this backward (by role: the `.grad` of
    /// the tensor its `accumulate` names).
    fn lookup(&self, id: u64) -> ft_runtime::Result<Tensor> {
        if let Some(t) = self
            .locals
            .tensors
            .get(&id)
            .or_else(|| self.shared.lent.tensors.get(&id))
        {
            return Ok(t.clone());
        }
        self.shared
            .accumulated
            .get(&id)
            .and_then(|owner| self.shared.lent.tensors.get(owner))
            .and_then(Tensor::grad)
            .ok_or_else(|| fail(format!("tensor T{id} is not bound when the hook needs it")))
    }

    fn on_storage(&self, storage: u64) -> Option<Tensor> {
        [&self.locals, &self.shared.lent]
            .into_iter()
            .flat_map(|b| {
                b.tensors
                    .iter()
                    .filter(move |(id, _)| b.storage_of.get(id) == Some(&storage))
            })
            .min_by_key(|(id, _)| **id)
            .map(|(_, t)| t.clone())
    }

    /// Moves the ids in `keep` into the replayer's bindings; the rest die
    /// with the invocation.
    fn keep(self, keep: &HashSet<u64>) {
        let Scope { shared, locals, .. } = self;
        for (id, tensor) in locals.tensors {
            if keep.contains(&id) {
                if let Some(&storage) = locals.storage_of.get(&id) {
                    shared.lent.storage_of.insert(id, storage);
                }
                shared.lent.tensors.insert(id, tensor);
            }
        }
    }
}

fn fail(what: String) -> RuntimeError {
    RuntimeError::Unsupported {
        op: "replayed hook".into(),
        what,
    }
}
