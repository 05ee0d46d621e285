//! The autograd engine: GraphTask, NodeTask, InputBuffer, `execute`.
//!
//! The schedule is PyTorch's, which FACTS.md records as reproducing every
//! observed order (MLP, diamond, leaf used twice, seven tied leaves, chain of
//! adds, `retain_graph` re-runs):
//!
//! 1. Dependencies: walking the graph from the root, every *edge* into a node
//!    adds one to its count (a node reached twice from one parent counts twice).
//! 2. The root is pushed (with the root gradient already in its input buffer;
//!    several roots get a hidden `GraphRoot`).
//! 3. Loop: pop the highest (reentrant depth, sequence_nr) task from the
//!    ReadyQueue (libstdc++ heap order on ties); run the node — its formula,
//!    then `validate_outputs`, which reduces gradients that are broadcast
//!    versions of the expected shape with `sum_to` (`sum.dim_IntList`
//!    keepdim + `view`); its post hooks; in anomaly mode the NaN check of
//!    its outputs ([`super::anomaly`]); free its saved tensors unless
//!    `keep_graph`; then for
//!    each next edge in order: decrement the target's count and add the
//!    gradient to its input buffer; finally push, in edge order, the targets
//!    whose count reached zero.
//!
//! A backward restricted to inputs (`torch.autograd.grad`,
//! `backward(inputs=...)`) runs only the nodes that lead to them
//! (`exec_info`): successors that neither run nor capture are not pushed,
//! a node that only captures is popped and hands over its gradient, and
//! formulas compute only the gradients that are wanted.
//!
//! Input buffers add a second gradient in place (`add_`) when they hold the
//! only reference to a dense buffer, out of place (`add`) otherwise — and
//! always out of place while a Python dispatch mode is active, because
//! PyTorch then treats every tensor as subclass-like (`isTensorSubclassLike`).
//! The runtime models that switch (`Runtime::set_dispatch_mode_active`) since
//! PyTorch traces are captured under such a mode.

use std::collections::HashMap;
use std::sync::Arc;

use super::BackwardCtx;
use super::anomaly;
use super::exec_info::{CurrentGuard, ExecInfo};
use super::functions::graph_root::GraphRoot;
use super::node::{Edge, Node, NodeKind};
use super::ready_queue::LibstdcxxHeap;
use super::reentrant::DepthGuard;
use super::saved;
use crate::error::{Result, RuntimeError};
use crate::faults::Faults;
use crate::runtime::{ExecContext, Runtime};
use crate::tensor::Tensor;
use crate::tensor::strides::broadcast_shapes;

/// A node ready to run, with its accumulated input gradients.
pub(crate) struct NodeTask {
    pub(crate) node: Arc<Node>,
    pub(crate) inputs: Vec<Option<Tensor>>,
    pub(crate) depth: u32,
    /// Push order; only the FIFO-ties test fault looks at it.
    pub(crate) pushed: u64,
}

/// The ReadyQueue ordering (`CompareNodeTaskTime`), or a faulty one.
fn ready_queue_less(faults: &Faults) -> impl Fn(&NodeTask, &NodeTask) -> bool + use<> {
    let reverse = faults.reverse_ready_queue;
    let fifo = faults.fifo_ties;
    move |a: &NodeTask, b: &NodeTask| {
        let ka = (a.depth, a.node.sequence_nr());
        let kb = (b.depth, b.node.sequence_nr());
        let less = if reverse { ka > kb } else { ka < kb };
        if fifo && ka == kb {
            // Earlier pushes count as greater, so they pop first.
            a.pushed > b.pushed
        } else {
            less
        }
    }
}

fn key(node: &Arc<Node>) -> usize {
    Arc::as_ptr(node) as usize
}

/// State of one `backward()` call.
struct GraphTask {
    depth: u32,
    keep_graph: bool,
    /// Remaining dependency counts.
    dependencies: HashMap<usize, u32>,
    /// Counts when the task began (what push/pop events report).
    initial: HashMap<usize, u32>,
    /// Input buffers of nodes not yet ready.
    not_ready: HashMap<usize, Vec<Option<Tensor>>>,
    queue: LibstdcxxHeap<NodeTask>,
    pushes: u64,
    executed: u64,
    /// Which nodes run or capture (empty: all of them).
    exec_info: Arc<ExecInfo>,
    /// The gradients captured for `torch.autograd.grad`, one per output edge.
    captured: Vec<Option<Tensor>>,
}

impl GraphTask {
    /// Counts, for every node reachable from `root`, the edges into it.
    fn compute_dependencies(root: &Arc<Node>) -> HashMap<usize, u32> {
        let mut deps: HashMap<usize, u32> = HashMap::new();
        let mut seen: HashMap<usize, ()> = HashMap::new();
        let mut stack = vec![Arc::clone(root)];
        seen.insert(key(root), ());
        while let Some(node) = stack.pop() {
            for edge in &node.next_edges {
                if let Some(next) = &edge.function {
                    *deps.entry(key(next)).or_insert(0) += 1;
                    if seen.insert(key(next), ()).is_none() {
                        stack.push(Arc::clone(next));
                    }
                }
            }
        }
        deps
    }
}

/// Runs backward from `roots` with `grads` (one per root; `None` only where
/// the caller already validated that none is needed), restricted to
/// `outputs` (one edge per input of `torch.autograd.grad` /
/// `backward(inputs=...)`; empty: a plain backward). Returns the gradients
/// captured at the output edges (all `None` with `accumulate_grad`, where
/// the inputs' AccumulateGrads run).
pub(crate) fn execute(
    rt: &mut Runtime,
    roots: Vec<Edge>,
    mut grads: Vec<Option<Tensor>>,
    keep_graph: bool,
    create_graph: bool,
    outputs: &[Edge],
    accumulate_grad: bool,
) -> Result<Vec<Option<Tensor>>> {
    validate_outputs(rt, &roots, &mut grads, None)?;

    let (root, root_inputs) = if roots.len() == 1 {
        let edge = &roots[0];
        let node = edge.function.clone().ok_or_else(|| {
            RuntimeError::autograd("the root of backward() does not require grad")
        })?;
        let mut buffer = vec![None; node.num_inputs()];
        if let Some(slot) = buffer.get_mut(edge.input_nr as usize) {
            *slot = grads.into_iter().next().flatten();
        }
        (node, buffer)
    } else {
        let seq = rt.next_sequence_nr();
        let node = Node::new_complete(
            "GraphRoot".to_owned(),
            seq,
            NodeKind::GraphRoot,
            roots.clone(),
            Vec::new(),
            Box::new(GraphRoot { grads }),
        );
        rt.trace_graph_root(&node);
        (node, Vec::new())
    };

    let dependencies = GraphTask::compute_dependencies(&root);
    let exec_info = match outputs {
        [] => ExecInfo::default(),
        _ if rt.faults().ignore_exec_info => {
            ExecInfo::build(&root, outputs, accumulate_grad).running_all()
        }
        _ => ExecInfo::build(&root, outputs, accumulate_grad),
    };
    let reentrant = DepthGuard::enter();
    let mut task = GraphTask {
        depth: if rt.faults().flat_reentrant_depth {
            0
        } else {
            reentrant.depth()
        },
        keep_graph,
        initial: dependencies.clone(),
        dependencies,
        not_ready: HashMap::new(),
        queue: LibstdcxxHeap::default(),
        pushes: 0,
        executed: 0,
        exec_info: Arc::new(exec_info),
        captured: vec![None; outputs.len()],
    };
    rt.trace_graph_task_begin(&roots, task.depth, keep_graph, create_graph);

    let saved_grad_mode = rt.is_grad_enabled();
    rt.set_grad_enabled_internal(create_graph);
    let check_was_off = saved::set_version_check_off(rt.faults().skip_saved_version_check);
    let current = CurrentGuard::enter(Arc::clone(&task.exec_info));
    let outcome = run(rt, &mut task, root, root_inputs);
    drop(current);
    saved::set_version_check_off(check_was_off);
    rt.set_grad_enabled_internal(saved_grad_mode);
    rt.set_context(ExecContext::Backward);
    drop(reentrant);
    outcome?;
    rt.trace_graph_task_end(task.executed);
    Ok(task.captured)
}

fn push(rt: &mut Runtime, task: &mut GraphTask, node: Arc<Node>, inputs: Vec<Option<Tensor>>) {
    let deps = task.initial.get(&key(&node)).copied().unwrap_or(0);
    rt.trace_queue(&node, task.depth, deps, true);
    let less = ready_queue_less(rt.faults());
    task.pushes += 1;
    task.queue.push(
        NodeTask {
            node,
            inputs,
            depth: task.depth,
            pushed: task.pushes,
        },
        &less,
    );
}

fn run(
    rt: &mut Runtime,
    task: &mut GraphTask,
    root: Arc<Node>,
    inputs: Vec<Option<Tensor>>,
) -> Result<()> {
    push(rt, task, root, inputs);
    loop {
        let less = ready_queue_less(rt.faults());
        let Some(next) = task.queue.pop(&less) else {
            return Ok(());
        };
        let deps = task.initial.get(&key(&next.node)).copied().unwrap_or(0);
        rt.trace_queue(&next.node, next.depth, deps, false);
        let _parent = anomaly::ParentGuard::enter(rt, &next.node);
        evaluate_function(rt, task, next)?;
    }
}

fn evaluate_function(rt: &mut Runtime, task: &mut GraphTask, node_task: NodeTask) -> Result<()> {
    let NodeTask { node, inputs, .. } = node_task;
    rt.set_context(ExecContext::Node(Arc::clone(&node)));
    let inputs = rt.call_tensor_pre_hooks(&node, inputs)?;
    // A restricted backward: hand over captured gradients; a node that only
    // captures runs nothing (PyTorch pops it, then returns).
    if !task.exec_info.is_empty() {
        task.exec_info.capture(&node, &inputs, &mut task.captured);
        if !task.exec_info.needed(&node) {
            return Ok(());
        }
    }
    task.executed += 1;
    let post_hook_inputs = rt.post_hook_inputs(&node, &inputs);
    rt.unpack_saved(&node)?;

    let mode = rt.anomaly_mode();
    let mut outputs = {
        let mut function = node.function.lock();
        let mut ctx = BackwardCtx {
            rt: &mut *rt,
            node: &node,
        };
        let outputs = if task.exec_info.computes_nothing(&node) {
            vec![None; node.next_edges.len()]
        } else {
            // Views a version-check error of an earlier failed call left
            // behind are not this node's.
            saved::take_views_to_regenerate();
            function.apply(&mut ctx, inputs).map_err(|e| {
                for view in saved::take_views_to_regenerate() {
                    rt.refresh_view_history(&view);
                }
                anomaly::reword(e, mode)
            })?
        };
        if !task.keep_graph {
            function.release_variables();
        }
        outputs
    };
    if node.kind() == NodeKind::AccumulateGrad {
        return Ok(());
    }
    if outputs.len() != node.next_edges.len() {
        return Err(RuntimeError::autograd(format!(
            "function {} returned an incorrect number of gradients (expected {}, got {})",
            node.name(),
            node.next_edges.len(),
            outputs.len()
        )));
    }
    validate_outputs(rt, &node.next_edges, &mut outputs, Some(node.name()))?;
    if let Some(inputs) = post_hook_inputs {
        outputs = rt.call_node_post_hooks(&node, outputs, &inputs)?;
    }
    anomaly::check_outputs(rt, &node, &outputs)?;

    // Successors are pushed after all of this node's work, in edge order
    // (FORMAT §3.6 rule 5). PyTorch pushes inside the loop; nothing pops in
    // between, so the queue ends up identical.
    let mut ready_tasks = Vec::new();
    for (edge, output) in node.next_edges.iter().zip(outputs) {
        let Some(next) = &edge.function else { continue };
        let k = key(next);
        let remaining = task.dependencies.get_mut(&k).ok_or_else(|| {
            RuntimeError::autograd(format!("dependency not found for {}", next.name()))
        })?;
        *remaining = remaining.saturating_sub(1);
        let ready = *remaining == 0;
        if ready {
            task.dependencies.remove(&k);
        }
        let mut buffer = match task.not_ready.remove(&k) {
            Some(buffer) => buffer,
            // A successor that neither runs nor captures gets no buffer and
            // is never pushed; its count went down all the same.
            None if !task.exec_info.should_execute(next) => continue,
            None => vec![None; next.num_inputs()],
        };
        if let Some(grad) = output {
            accumulate_input(rt, &mut buffer, edge.input_nr as usize, grad)?;
        }
        if ready {
            ready_tasks.push((Arc::clone(next), buffer));
        } else {
            task.not_ready.insert(k, buffer);
        }
    }
    for (next, buffer) in ready_tasks {
        push(rt, task, next, buffer);
    }
    Ok(())
}

/// PyTorch's `InputBuffer::add` for dense tensors: the gradient already in
/// the buffer comes first (`old + new`).
fn accumulate_input(
    rt: &mut Runtime,
    buffer: &mut [Option<Tensor>],
    pos: usize,
    grad: Tensor,
) -> Result<()> {
    let Some(slot) = buffer.get_mut(pos) else {
        return Err(RuntimeError::autograd(format!(
            "input buffer position {pos} out of range"
        )));
    };
    let Some(old) = slot.take() else {
        *slot = Some(grad);
        return Ok(());
    };
    if (old.is_zero_tensor() || grad.is_zero_tensor()) && !rt.faults().zero_tensor_sum_materialized
    {
        // The ZeroTensor kernel of `add`, whichever operand is the zero.
        *slot =
            Some(crate::autograd::functions::zero_tensor::add_with_zero_tensor(rt, &old, &grad)?);
        return Ok(());
    }
    // PyTorch's `can_accumulate_inplace`: a dense, non-overlapping tensor
    // that nothing else references (nor its storage).
    let dispatch_mode = rt.is_dispatch_mode_active();
    let can_accumulate_inplace = |t: &Tensor| {
        !dispatch_mode
            && !t.is_sparse()
            && t.has_data()
            && t.is_non_overlapping_and_dense()
            && t.use_count() == 1
            && Arc::strong_count(&t.0.storage) == 1
    };
    let grad_mode = rt.is_grad_enabled();
    if !grad_mode && old.is_sparse() {
        // A sparse buffered gradient: the new gradient is the candidate
        // output (`var.add_(old)` or `var + old`).
        *slot = Some(if can_accumulate_inplace(&grad) {
            rt.add_(&grad, &old)?
        } else {
            rt.add(&grad, &old)?
        });
        return Ok(());
    }
    let in_place = !grad_mode && can_accumulate_inplace(&old) && !grad.is_sparse();
    *slot = Some(if in_place {
        rt.add_(&old, &grad)?
    } else if rt.faults().swap_input_buffer_sum {
        rt.add(&grad, &old)?
    } else {
        rt.add(&old, &grad)?
    });
    Ok(())
}

/// PyTorch's `validate_outputs`: every gradient must have the shape of the
/// input it flows into, or broadcast to it, in which case it is reduced
/// with `sum_to`. A node's gradients (`function` names it) are refused as
/// `Function NAME returned an invalid gradient ...`; the roots' gradients
/// without the prefix.
fn validate_outputs(
    rt: &mut Runtime,
    edges: &[Edge],
    grads: &mut [Option<Tensor>],
    function: Option<&str>,
) -> Result<()> {
    let refuse = |message: String| {
        RuntimeError::autograd(match function {
            Some(name) => format!("Function {name} returned an {message}"),
            None => message,
        })
    };
    for (i, (edge, grad)) in edges.iter().zip(grads.iter_mut()).enumerate() {
        let (Some(next), Some(g)) = (&edge.function, grad.clone()) else {
            continue;
        };
        let Some(meta) = next.input_metadata.get(edge.input_nr as usize) else {
            continue;
        };
        if g.device() != meta.device {
            return Err(refuse(format!(
                "invalid gradient at index {i} - expected {} on {} but got {} on {}",
                meta.dtype,
                meta.device,
                g.dtype(),
                g.device()
            )));
        }
        if g.shape() != meta.shape.as_slice() {
            let expandable = broadcast_shapes(&meta.shape, g.shape()).as_deref() == Some(g.shape());
            if !expandable {
                return Err(refuse(format!(
                    "invalid gradient at index {i} - got {:?} but expected shape compatible with {:?}",
                    g.shape(),
                    meta.shape
                )));
            }
            let reduced = rt.sum_to(&g, &meta.shape)?;
            *grad = Some(reduced);
        }
        // A gradient of another dtype (`x.mean(dtype=torch.float64)` of a
        // float32 `x`) is cast: `grad.to(dtype)`, one `_to_copy(dtype=...)`.
        if let Some(g) = grad.as_ref()
            && g.dtype() != meta.dtype
        {
            let cast = rt
                .dispatch(
                    "aten._to_copy.default",
                    vec![g.into(), crate::ivalue::IValue::Dtype(meta.dtype)],
                )?
                .into_iter()
                .next()
                .and_then(crate::ivalue::IValue::into_tensor);
            *grad = cast;
        }
    }
    Ok(())
}
