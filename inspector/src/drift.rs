//! The Drift view's model: per parameter, how far its accumulated gradient
//! is from PyTorch's at each training step, measured against the tolerance.
//!
//! A parameter is a leaf an AccumulateGrad writes into; each accumulate
//! event of it (one per backward, in order) is a step. At each step the
//! gradient of the two runs is compared element by element
//! ([`DiffModel::row_errors`]); the figure kept is the worst element's error
//! divided by what the tolerance allowed there, so 1 is the edge of
//! tolerance whatever the dtype. Parameters are listed by the first step
//! out of tolerance (never-out last).

use std::collections::BTreeMap;

use ft_trace::{AutogradEvent, EventBody};

use crate::diff::DiffModel;

/// One step of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftStep {
    /// The Diff row of the accumulate event.
    pub row: usize,
    /// The worst element's error over its tolerance (>1: out of tolerance).
    pub ratio: f64,
    /// Elements out of tolerance.
    pub bad: usize,
}

/// One parameter's gradient error over the steps.
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterDrift {
    /// The leaf in PyTorch's run, `T2[8,4]`.
    pub tensor: String,
    /// Its steps, in order.
    pub steps: Vec<DriftStep>,
}

impl ParameterDrift {
    /// Index of the first step out of tolerance.
    pub fn first_out(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.bad > 0)
    }

    /// The largest ratio over the steps.
    pub fn worst(&self) -> f64 {
        self.steps.iter().map(|s| s.ratio).fold(0.0, f64::max)
    }
}

/// Every parameter of the diff's expected run, sorted by first step out of
/// tolerance, then by name.
pub fn parameters(diff: &DiffModel) -> Vec<ParameterDrift> {
    let mut by_leaf: BTreeMap<u64, ParameterDrift> = BTreeMap::new();
    for (index, row) in diff.rows.iter().enumerate() {
        let Some(event) = row.expected.and_then(|e| diff.expected.events.get(e)) else {
            continue;
        };
        let EventBody::Autograd(AutogradEvent::Accumulate(acc)) = &event.body else {
            continue;
        };
        let Some(error) = diff.row_errors(index).into_iter().next() else {
            continue;
        };
        let ratio = if error.allowed > 0.0 {
            (error.actual - error.expected).abs() / error.allowed
        } else if error.bad > 0 {
            f64::INFINITY
        } else {
            0.0
        };
        let tensor = diff
            .expected
            .lookup()
            .tensor(acc.tensor)
            .map(ft_trace::describe::compact_tensor)
            .unwrap_or_else(|| format!("T{}", acc.tensor));
        by_leaf
            .entry(acc.tensor)
            .or_insert_with(|| ParameterDrift {
                tensor,
                steps: Vec::new(),
            })
            .steps
            .push(DriftStep {
                row: index,
                ratio: if ratio.is_nan() { f64::INFINITY } else { ratio },
                bad: error.bad,
            });
    }
    let mut out: Vec<ParameterDrift> = by_leaf.into_values().collect();
    out.sort_by_key(|p| p.first_out().unwrap_or(usize::MAX));
    out
}

/// The Diff row to show for a parameter: where its drift starts — the first
/// row marked `value local` at or before its first step out of tolerance,
/// else the first marked row before it, else that step itself. None when the
/// parameter never leaves tolerance.
pub fn drift_start(diff: &DiffModel, parameter: &ParameterDrift) -> Option<usize> {
    let step = parameter.steps.get(parameter.first_out()?)?;
    let marked_before = diff
        .divergent_rows()
        .iter()
        .copied()
        .filter(|&r| r <= step.row);
    let local = marked_before
        .clone()
        .find(|&r| diff.rows[r].marks.iter().any(|m| m.label == "value local"));
    Some(local.or_else(|| marked_before.min()).unwrap_or(step.row))
}
