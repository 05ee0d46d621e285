//! Autograd's anomaly mode (`torch.autograd.detect_anomaly()`,
//! `torch.autograd.set_detect_anomaly(True)`).
//!
//! In PyTorch the mode is global state with two flags, `enabled` and
//! `check_nan` (initially off and on). Forward records each node's stack
//! trace (no operator runs). Backward, when both flags are on, checks every
//! gradient a node returns: `Engine::evaluate_function`, right after the
//! node's function, `validate_outputs` and its post hooks, runs with grad
//! mode off, for each defined output `i` in order,
//! `isnan(output)._is_any_true().item<bool>()` — three dispatches,
//! `isnan`, `_is_any_true`, `_local_scalar_dense` — and raises
//! `RuntimeError: Function 'XBackward0' returned nan values in its ith
//! output.` at the first that holds a NaN (observed in torch 2.15).
//! Undefined outputs are skipped; AccumulateGrad returns none, so it checks
//! nothing. With `check_nan` off, anomaly mode dispatches nothing more.
//!
//! Anomaly mode also rewords one error: a saved tensor modified in place
//! gets the hint `the backtrace further above shows the operation that
//! failed to compute its gradient. ... Good luck!` instead of the advice
//! to enable anomaly detection ([`reword`]).
//!
//! The check is its own step of the engine, so the runtime models the
//! state here and [`check_outputs`] is what the engine calls.

use std::cell::RefCell;
use std::sync::Arc;

use crate::autograd::node::Node;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// The anomaly-mode state (`torch.is_anomaly_enabled()`,
/// `torch.is_anomaly_check_nan_enabled()`; api `anomaly_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnomalyMode {
    /// Anomaly detection is on.
    pub enabled: bool,
    /// While enabled, the engine checks node outputs for NaN.
    pub check_nan: bool,
}

impl Default for AnomalyMode {
    /// PyTorch's initial state: off, `check_nan` on.
    fn default() -> AnomalyMode {
        AnomalyMode {
            enabled: false,
            check_nan: true,
        }
    }
}

impl AnomalyMode {
    /// Whether the engine checks node outputs for NaN.
    pub fn checks_nan(self) -> bool {
        self.enabled && self.check_nan
    }
}

thread_local! {
    /// The node the engine is running, while anomaly mode is enabled.
    static PARENT: RefCell<Option<Arc<Node>>> = const { RefCell::new(None) };
}

/// PyTorch's `NodeGuard` in anomaly mode: while the engine runs a node
/// (its hooks, function, check and the input buffers it feeds), every node
/// made — the graph of a `create_graph` backward — records it as its
/// parent and holds it (`AnomalyMetadata::assign_parent` keeps a strong
/// reference), so the graph a double backward differentiates, with its
/// AccumulateGrads, lives as long as the graph that backward made
/// (observed in torch 2.15: a gradient penalty under anomaly mode reuses a
/// leaf's AccumulateGrad the runtime otherwise makes anew). Outside anomaly
/// mode nodes record no parent.
pub(crate) struct ParentGuard {
    previous: Option<Arc<Node>>,
}

impl ParentGuard {
    pub(crate) fn enter(rt: &Runtime, node: &Arc<Node>) -> ParentGuard {
        let keeps = rt.anomaly_mode().enabled && !rt.faults().anomaly_parent_dropped;
        let current = keeps.then(|| Arc::clone(node));
        ParentGuard {
            previous: PARENT.with(|p| p.replace(current)),
        }
    }
}

impl Drop for ParentGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        PARENT.with(|p| *p.borrow_mut() = previous);
    }
}

/// The parent a node made now records (see [`ParentGuard`]).
pub(crate) fn current_parent() -> Option<Arc<Node>> {
    PARENT.with(|p| p.borrow().clone())
}

/// The engine's NaN check of a node's outputs (`evaluate_function`'s
/// anomaly branch), with grad mode off. Does nothing unless anomaly mode
/// is on with `check_nan` (or the `anomaly-check-skipped` fault is set).
pub(crate) fn check_outputs(
    rt: &mut Runtime,
    node: &Node,
    outputs: &[Option<Tensor>],
) -> Result<()> {
    if !rt.anomaly_mode().checks_nan() || rt.faults().anomaly_check_skipped {
        return Ok(());
    }
    let grad_mode = rt.is_grad_enabled();
    rt.set_grad_enabled_internal(false);
    let outcome = check_each(rt, node, outputs);
    rt.set_grad_enabled_internal(grad_mode);
    outcome
}

fn check_each(rt: &mut Runtime, node: &Node, outputs: &[Option<Tensor>]) -> Result<()> {
    for (i, output) in outputs.iter().enumerate() {
        let Some(output) = output else { continue };
        let mask = first_tensor(
            rt.dispatch("aten.isnan.default", vec![output.into()])?,
            "aten.isnan.default",
        )?;
        let any = first_tensor(
            rt.dispatch("aten._is_any_true.default", vec![(&mask).into()])?,
            "aten._is_any_true.default",
        )?;
        let found = rt
            .dispatch("aten._local_scalar_dense.default", vec![(&any).into()])?
            .into_iter()
            .next();
        if matches!(found, Some(IValue::Bool(true))) && !rt.faults().anomaly_nan_unreported {
            return Err(RuntimeError::autograd(format!(
                "Function '{}' returned nan values in its {i}th output.",
                node.name()
            )));
        }
    }
    Ok(())
}

/// An error a node's function raised, as anomaly mode words it: the
/// version-check error of a saved tensor modified in place gives another
/// hint while anomaly mode is enabled (`SavedVariable::unpack`, whatever
/// `check_nan`; observed in torch 2.15).
pub(crate) fn reword(error: RuntimeError, mode: AnomalyMode) -> RuntimeError {
    match error {
        RuntimeError::SavedTensorModified {
            node,
            tensor,
            output_of,
            saved,
            current,
            ..
        } => RuntimeError::SavedTensorModified {
            node,
            tensor,
            output_of,
            saved,
            current,
            anomaly: mode.enabled,
        },
        other => other,
    }
}

fn first_tensor(results: Vec<IValue>, op: &str) -> Result<Tensor> {
    results
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
}
