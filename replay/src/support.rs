//! The pre-replay support scan: everything a PyTorch trace needs that this
//! runtime build lacks, found before anything runs, so a user sees every
//! missing operator, derivative and dtype at once instead of one per run.
//!
//! Checked per trace: every dispatched overload, in any context (the
//! program's calls and those PyTorch made inside `backward()`), must be
//! registered with a kernel or a decomposition, one that takes complex
//! operands where the trace gives it complex tensors; every overload PyTorch
//! recorded a graph node for must have a derivative formula; every dtype
//! of a tensor or a `dtype=` argument must be one the runtime can hold.
//! What only execution can reveal (an unsupported argument combination, a
//! kernel error) still stops the replay at the first failure.

use serde::Serialize;

use ft_runtime::{BackwardSupport, Runtime};

use crate::usage::Usage;

/// One thing the trace needs and the runtime lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// `operator`, `backward` or `dtype`.
    pub kind: &'static str,
    /// The overload (`aten.special_zeta.default`) or dtype (`complex64`).
    pub name: String,
    /// Events that need it.
    pub count: u64,
    /// Sequence number of the first of them in the PyTorch trace.
    pub first_seq: u64,
    /// Why it cannot run.
    pub detail: String,
}

impl Missing {
    /// One report line: `operator aten.x.default (3 events, first torch seq 12): why`.
    pub fn line(&self) -> String {
        let plural = if self.count == 1 { "" } else { "s" };
        format!(
            "{} {} ({} event{plural}, first torch seq {}): {}",
            self.kind, self.name, self.count, self.first_seq, self.detail
        )
    }
}

/// Everything in `usage` this build lacks: operators first, then
/// derivatives, then dtypes; each group in first-use order.
pub fn scan(usage: &Usage) -> Vec<Missing> {
    let mut ops = Vec::new();
    let mut backward = Vec::new();
    for (name, used) in &usage.ops {
        let support = Runtime::op_support(name);
        if !support.executable() {
            let detail = if support.dispatch.is_none() {
                "not registered in this runtime build".to_owned()
            } else {
                "registered, but no kernel".to_owned()
            };
            ops.push(Missing {
                kind: "operator",
                name: name.clone(),
                count: used.count,
                first_seq: used.first_seq,
                detail,
            });
        } else if let Some(dtype) = used
            .dtypes
            .iter()
            .find(|d| !support.executable_with(d.as_str()))
        {
            ops.push(Missing {
                kind: "operator",
                name: name.clone(),
                count: used.count,
                first_seq: used.first_seq,
                detail: format!("no {dtype} kernel (its kernel is real-only)"),
            });
        } else if support.backward == BackwardSupport::Missing && !used.nodes.is_empty() {
            let nodes: Vec<&str> = used.nodes.iter().map(String::as_str).collect();
            backward.push(Missing {
                kind: "backward",
                name: name.clone(),
                count: used.count,
                first_seq: used.first_seq,
                detail: format!(
                    "no derivative formula (PyTorch records {})",
                    nodes.join(", ")
                ),
            });
        }
    }
    let mut dtypes: Vec<Missing> = usage
        .dtypes
        .iter()
        .filter(|(name, _)| !Runtime::supports_dtype(name))
        .map(|(name, used)| Missing {
            kind: "dtype",
            name: name.clone(),
            count: used.count,
            first_seq: used.first_seq,
            detail: "the runtime has no storage for this dtype".to_owned(),
        })
        .collect();
    for group in [&mut ops, &mut backward, &mut dtypes] {
        group.sort_by_key(|m| m.first_seq);
    }
    ops.into_iter().chain(backward).chain(dtypes).collect()
}

/// The header line of a list of missing items.
pub fn header(missing: &[Missing]) -> String {
    let n = missing.len();
    let things = if n == 1 { "thing" } else { "things" };
    format!("the runtime lacks {n} {things} this trace needs (nothing was replayed):")
}
