//! Telling a wrong kernel from drift a discontinuity amplified.
//!
//! A free-running replay lets float rounding accumulate: after enough
//! training steps one ReLU input lands on the other side of zero and its
//! gradient is off by a whole element, although every kernel is right. The
//! values check alone cannot tell that from a wrong kernel. When a
//! free-running replay fails only on values, `ft-replay` replays the trace
//! again anchored (every top-level operator on PyTorch's recorded inputs)
//! and [`explain`] compares the two verdicts at the operator where the
//! drift starts:
//!
//! * it passes anchored and is a discontinuity (threshold, comparison, max,
//!   rounding, sorting): **drift amplified by a discontinuity**;
//! * it passes anchored otherwise: **accumulated drift** — each operator is
//!   within tolerance on PyTorch's inputs;
//! * it fails anchored too: the operator itself is wrong.
//!
//! When the anchored replay has no value failure at all, every operator is
//! within tolerance on PyTorch's own inputs and the free-running failures are
//! the arithmetic's conditioning, not the runtime: PyTorch disagrees with
//! itself the same way. Adam's `m / (sqrt(v) + eps)` turns a gradient that is
//! zero up to rounding (a convolution bias before InstanceNorm, the key bias
//! of attention) into a full `±lr` step whose sign is the rounding's; the
//! same program under PyTorch on one thread and on two differs there
//! beyond tolerance (up to 5.7e-4 for a small U-Net's biases after two
//! steps). [`DriftCheck::explains_every_failure`] says when that holds, and
//! the verdict then accepts the drift (exit 0) unless `--fail-on-drift`.

use serde::Serialize;

use crate::report::{Report, ValueFailure};

/// Base names of operators whose output jumps when an input crosses a
/// threshold, a tie or a rounding boundary (or that select by comparing).
pub const DISCONTINUOUS_OPS: &[&str] = &[
    "threshold",
    "threshold_backward",
    "relu",
    "relu_",
    "relu6",
    "hardtanh",
    "hardtanh_backward",
    "hardsigmoid",
    "hardsigmoid_backward",
    "hardswish",
    "hardswish_backward",
    "leaky_relu",
    "leaky_relu_backward",
    "clamp",
    "clamp_min",
    "clamp_max",
    "clip",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "maximum",
    "minimum",
    "max_pool2d_with_indices",
    "max_pool2d_with_indices_backward",
    "max_pool3d_with_indices",
    "max_pool3d_with_indices_backward",
    // Nearest sampling jumps at half pixels; the bilinear gradient with
    // respect to the grid jumps at whole pixels.
    "grid_sampler_2d",
    "grid_sampler_2d_backward",
    "gt",
    "lt",
    "ge",
    "le",
    "eq",
    "ne",
    "where",
    "sign",
    "sgn",
    "floor",
    "ceil",
    "round",
    "trunc",
    "sort",
    "topk",
    "argsort",
    "masked_fill",
    "masked_fill_",
];

/// Whether `op` (any overload) is discontinuous in some input.
pub fn is_discontinuous(op: &str) -> bool {
    DISCONTINUOUS_OPS.contains(&ft_trace::op_class::base_name(op))
}

/// What the anchored re-check says about a free-running value failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftCause {
    /// The operator matches on PyTorch's inputs and is a discontinuity.
    AmplifiedByDiscontinuity,
    /// The operator matches on PyTorch's inputs.
    AccumulatedDrift,
    /// The operator fails on PyTorch's inputs too.
    WrongOperator,
}

/// The explanation of a free-running value failure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriftCheck {
    /// What the anchored re-check found.
    pub cause: DriftCause,
    /// The operator where drift starts (first failure whose inputs agree;
    /// the first failure when none does).
    pub op: String,
    /// Its sequence number in PyTorch's trace.
    pub expected_seq: u64,
    /// The first operator whose error grew beyond tolerance, in stream order.
    pub first_beyond_tolerance: String,
    /// Its sequence number in PyTorch's trace.
    pub first_beyond_tolerance_seq: u64,
    /// Value failures of the anchored replay (0: every operator is right on
    /// PyTorch's inputs).
    pub anchored_failures: usize,
    /// The first operator that fails anchored, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_anchored_failure: Option<String>,
    /// Its sequence number in PyTorch's trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_anchored_failure_seq: Option<u64>,
}

impl DriftCheck {
    /// Whether the anchored replay accounts for every free-running value
    /// failure: the operator where drift starts is right on PyTorch's
    /// inputs and no other operator fails there either.
    pub fn explains_every_failure(&self) -> bool {
        self.cause != DriftCause::WrongOperator && self.anchored_failures == 0
    }

    /// One line for the text report.
    pub fn to_text(&self) -> String {
        let first = if self.first_beyond_tolerance_seq == self.expected_seq {
            "where the error first grew beyond tolerance".to_owned()
        } else {
            format!(
                "the error first grew beyond tolerance at {} (expected seq {})",
                self.first_beyond_tolerance, self.first_beyond_tolerance_seq
            )
        };
        let others = match self.anchored_failures {
            0 => ", as does every other operator".to_owned(),
            n => match (
                &self.first_anchored_failure,
                self.first_anchored_failure_seq,
            ) {
                (Some(op), Some(seq)) => format!(
                    ", but {n} value(s) fail anchored elsewhere, the first at {op} (expected seq {seq}), which is wrong"
                ),
                _ => format!(", but {n} value(s) fail anchored elsewhere"),
            },
        };
        match self.cause {
            DriftCause::AmplifiedByDiscontinuity => format!(
                "drift amplified by a discontinuity at {} (expected seq {}), {first}: run on PyTorch's inputs (anchored) it matches{others}; accumulated float drift moved an input across its threshold",
                self.op, self.expected_seq
            ),
            DriftCause::AccumulatedDrift => format!(
                "accumulated float drift at {} (expected seq {}), {first}: run on PyTorch's inputs (anchored) it matches{others}",
                self.op, self.expected_seq
            ),
            DriftCause::WrongOperator => format!(
                "{} (expected seq {}) is wrong: run on PyTorch's inputs (anchored) it still fails",
                self.op, self.expected_seq
            ),
        }
    }
}

/// The failure drift starts at: the first one no input is known to explain
/// (`local`, or `unknown` when an input has no comparable value — a
/// parameter re-wrapped from another tensor's storage, say), else the
/// first one.
pub(crate) fn drift_start(failures: &[ValueFailure]) -> Option<&ValueFailure> {
    failures
        .iter()
        .find(|f| f.drift != "propagated")
        .or_else(|| failures.first())
}

/// Explains a free-running report's value failures with the report of the
/// anchored replay of the same trace; `None` when there is nothing to
/// explain or the anchored replay diverged structurally (then the two runs
/// are not comparable operator by operator).
pub fn explain(free: &Report, anchored: &Report) -> Option<DriftCheck> {
    let start = drift_start(&free.values.failures)?;
    let first = free.values.failures.first()?;
    if anchored.exit() == crate::Exit::Structural {
        return None;
    }
    let fails_anchored = anchored
        .values
        .failures
        .iter()
        .any(|f| f.expected_seq == start.expected_seq && f.output == start.output);
    let cause = if fails_anchored {
        DriftCause::WrongOperator
    } else if is_discontinuous(&start.op) {
        DriftCause::AmplifiedByDiscontinuity
    } else {
        DriftCause::AccumulatedDrift
    };
    Some(DriftCheck {
        cause,
        op: start.op.clone(),
        expected_seq: start.expected_seq,
        first_beyond_tolerance: first.op.clone(),
        first_beyond_tolerance_seq: first.expected_seq,
        anchored_failures: anchored.values.failures.len(),
        first_anchored_failure: anchored.values.failures.first().map(|f| f.op.clone()),
        first_anchored_failure_seq: anchored.values.failures.first().map(|f| f.expected_seq),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckResult, ValueSummary};

    fn failure(op: &str, seq: u64, drift: &'static str) -> ValueFailure {
        ValueFailure {
            op: op.into(),
            output: 0,
            expected_seq: seq,
            actual_seq: seq,
            max_abs: 1.9e-4,
            max_rel: 1.0,
            bad_elements: 1,
            numel: 16384,
            stats_checks: None,
            drift,
        }
    }

    fn report(failures: Vec<ValueFailure>) -> Report {
        let check = |name| CheckResult {
            name,
            ..CheckResult::default()
        };
        Report {
            expected: "torch.ftr".into(),
            actual: "runtime".into(),
            mode: "free-running",
            first_divergence: None,
            dispatch: check("dispatch"),
            graph: check("graph"),
            schedule: check("schedule"),
            dataflow: check("dataflow"),
            stream: check("stream"),
            values: ValueSummary {
                failures,
                ..ValueSummary::default()
            },
            drift_check: None,
            drift_accepted: false,
            parity: Default::default(),
            halted: None,
        }
    }

    #[test]
    fn a_threshold_that_matches_anchored_is_amplified_drift() {
        let free = report(vec![failure(
            "aten.threshold_backward.default",
            11486,
            "local",
        )]);
        let check = explain(&free, &report(Vec::new())).expect("explained");
        assert_eq!(check.cause, DriftCause::AmplifiedByDiscontinuity);
        assert_eq!(check.expected_seq, 11486);
        assert!(
            check
                .to_text()
                .starts_with("drift amplified by a discontinuity at aten.threshold_backward.default (expected seq 11486)"),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn a_smooth_op_that_matches_anchored_is_accumulated_drift() {
        let free = report(vec![
            failure("aten.mm.default", 900, "propagated"),
            failure("aten._log_softmax.default", 1000, "local"),
        ]);
        let check = explain(&free, &report(Vec::new())).expect("explained");
        assert_eq!(check.cause, DriftCause::AccumulatedDrift);
        assert_eq!(check.op, "aten._log_softmax.default");
        assert_eq!(check.first_beyond_tolerance, "aten.mm.default");
        assert!(
            check
                .to_text()
                .contains("first grew beyond tolerance at aten.mm.default")
        );
    }

    #[test]
    fn an_op_that_fails_anchored_too_is_wrong() {
        let free = report(vec![failure("aten.relu.default", 40, "local")]);
        let anchored = report(vec![failure("aten.relu.default", 40, "local")]);
        let check = explain(&free, &anchored).expect("explained");
        assert_eq!(check.cause, DriftCause::WrongOperator);
        assert!(check.to_text().contains("is wrong"));
    }

    #[test]
    fn drift_is_explained_only_when_nothing_fails_anchored() {
        let free = report(vec![
            failure("aten.addcdiv_.default", 478, "local"),
            failure("aten.convolution.default", 638, "propagated"),
        ]);
        let clean = explain(&free, &report(Vec::new())).expect("explained");
        assert!(clean.explains_every_failure());
        assert!(clean.to_text().ends_with("as does every other operator"));

        let elsewhere = report(vec![failure("aten.mm.default", 700, "local")]);
        let partly = explain(&free, &elsewhere).expect("explained");
        assert_eq!(partly.cause, DriftCause::AccumulatedDrift);
        assert!(!partly.explains_every_failure());
        assert!(
            partly
                .to_text()
                .ends_with("but 1 value(s) fail anchored elsewhere, the first at aten.mm.default (expected seq 700), which is wrong")
        );

        let wrong = explain(
            &free,
            &report(vec![failure("aten.addcdiv_.default", 478, "local")]),
        )
        .expect("explained");
        assert!(!wrong.explains_every_failure());
    }

    #[test]
    fn accepted_drift_is_a_match_and_the_report_says_so() {
        let mut free = report(vec![failure("aten.addcdiv_.default", 478, "local")]);
        free.drift_check = explain(&free, &report(Vec::new()));
        assert_eq!(
            free.exit(),
            crate::Exit::Values,
            "not accepted unless asked"
        );
        free.drift_accepted = true;
        assert_eq!(free.exit(), crate::Exit::Match);
        let text = free.to_text(false);
        assert!(text.contains("DRIFT values"), "{text}");
        assert!(
            text.trim_end()
                .ends_with("MATCH (free-running values drifted; every operator matches anchored)"),
            "{text}"
        );
    }

    #[test]
    fn nothing_to_explain_without_value_failures() {
        assert_eq!(explain(&report(Vec::new()), &report(Vec::new())), None);
    }
}
