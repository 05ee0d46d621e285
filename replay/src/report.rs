//! The verdict of a diff: per-check results, the first divergence, values,
//! and the exit code they imply; rendered as text or JSON.
//!
//! Text shows trace strings (paths, op names, exception messages) through
//! [`ft_trace::text::escape_control`]: a control sequence in a trace is
//! printed as escapes, never sent to the terminal. JSON escapes them itself.

use std::collections::BTreeMap;
use std::fmt::Write;

use ft_trace::text::escape_control;

use serde::Serialize;

use crate::checks::values::Errors;
use crate::drift::DriftCheck;
use crate::parity::Parity;

use crate::error::Exit;

/// One place where the two runs disagree.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Divergence {
    /// Which check found it: `stream`, `dispatch`, `graph`, `schedule`, `dataflow`.
    pub check: &'static str,
    /// `missing`, `extra`, `changed`, `reordered`, `mismatch`.
    pub kind: &'static str,
    /// Sequence number in the expected (PyTorch) trace.
    pub expected_seq: Option<u64>,
    /// Sequence number in the actual (runtime) trace.
    pub actual_seq: Option<u64>,
    /// What differs, in one line.
    pub message: String,
}

/// Outcome of one structural check.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckResult {
    /// Check name.
    pub name: &'static str,
    /// Items in the expected trace.
    pub expected: usize,
    /// Items in the actual trace.
    pub actual: usize,
    /// Items matched.
    pub matched: usize,
    /// What did not match (all of it; reports print the first few).
    pub divergences: Vec<Divergence>,
    /// A short remark (e.g. how isomorphism was confirmed).
    pub note: String,
}

impl CheckResult {
    /// Whether everything matched.
    pub fn ok(&self) -> bool {
        self.divergences.is_empty() && self.expected == self.matched && self.actual == self.matched
    }
}

/// One tensor whose values are out of tolerance.
#[derive(Clone, Debug, Serialize)]
pub struct ValueFailure {
    /// The op (or `accumulate`) that produced it.
    pub op: String,
    /// Which output.
    pub output: usize,
    /// Sequence number in the expected trace.
    pub expected_seq: u64,
    /// Sequence number in the actual trace.
    pub actual_seq: u64,
    /// Largest absolute error.
    pub max_abs: f64,
    /// Largest relative error.
    pub max_rel: f64,
    /// Elements out of tolerance.
    pub bad_elements: usize,
    /// Elements compared.
    pub numel: usize,
    /// When PyTorch's value is known only by its statistics (value policy
    /// `stats`): the checks made (sampled elements, min/max/mean/norm, the
    /// non-finite count); `bad_elements` then counts failed checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats_checks: Option<usize>,
    /// `local` (inputs agree: a root cause), `propagated` or `unknown`.
    pub drift: &'static str,
}

impl ValueFailure {
    /// `3 of 512 elements out of tolerance`, or for a value known by its
    /// statistics `3 of 21 checks against PyTorch's statistics (512 elements)`.
    pub fn out_of_tolerance(&self) -> String {
        match self.stats_checks {
            Some(checks) => format!(
                "{} of {checks} checks against PyTorch's statistics out of tolerance ({} elements)",
                self.bad_elements, self.numel
            ),
            None => format!(
                "{} of {} elements out of tolerance",
                self.bad_elements, self.numel
            ),
        }
    }
}

/// How far one operator's outputs were from PyTorch's, over every tensor
/// of it that was compared and not bit-identical.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct InexactOp {
    /// Output tensors that differed in at least one bit.
    pub tensors: usize,
    /// Largest absolute error among them.
    pub max_abs: f64,
    /// Largest relative error among them.
    pub max_rel: f64,
    /// The expected (PyTorch) event of the first of them.
    pub first_seq: u64,
    /// Of those tensors, the ones equal as values that differ only in NaN
    /// signs or payloads and the signs of zeros.
    #[serde(skip_serializing_if = "is_zero")]
    pub equal_as_values: usize,
    /// Elements, over all of them, that are NaN on both sides with another
    /// sign or payload.
    #[serde(skip_serializing_if = "is_zero")]
    pub nan_bits: usize,
    /// Elements, over all of them, that are zeros of opposite signs.
    #[serde(skip_serializing_if = "is_zero")]
    pub zero_signs: usize,
}

impl InexactOp {
    /// How far the operator's outputs were from PyTorch's, as the text
    /// report says it: the largest relative error, or which bits differ
    /// when every tensor was equal as values (a "max rel 0" would not say
    /// why the bits differ).
    pub fn describe_error(&self) -> String {
        if self.equal_as_values < self.tensors {
            return format!("max rel {:.1e}", self.max_rel);
        }
        match (self.nan_bits > 0, self.zero_signs > 0) {
            (true, false) => format!(
                "equal but NaN sign or payload: {} element(s)",
                self.nan_bits
            ),
            (false, true) => format!("equal but signed zeros: {} element(s)", self.zero_signs),
            _ => format!(
                "equal but NaN sign or payload: {} element(s), signed zeros: {} element(s)",
                self.nan_bits, self.zero_signs
            ),
        }
    }
}

impl ValueSummary {
    /// Counts one compared output of `op` that was not bit-identical.
    pub fn note_inexact(&mut self, op: &str, expected_seq: u64, errors: &Errors) {
        let entry = self.inexact.entry(op.to_owned()).or_insert(InexactOp {
            first_seq: expected_seq,
            ..InexactOp::default()
        });
        entry.tensors += 1;
        entry.max_abs = entry.max_abs.max(errors.max_abs);
        entry.max_rel = entry.max_rel.max(errors.max_rel);
        if errors.equal_as_values() {
            entry.equal_as_values += 1;
        }
        entry.nan_bits += errors.nan_bits;
        entry.zero_signs += errors.zero_signs;
    }

    /// The operators with the most inexact tensors, most first (ties by
    /// name), at most `limit`.
    pub fn most_inexact(&self, limit: usize) -> Vec<(&str, InexactOp)> {
        let mut ops: Vec<(&str, InexactOp)> = self
            .inexact
            .iter()
            .map(|(op, e)| (op.as_str(), *e))
            .collect();
        ops.sort_by(|a, b| b.1.tensors.cmp(&a.1.tensors).then_with(|| a.0.cmp(b.0)));
        ops.truncate(limit);
        ops
    }
}

/// Serde's test for a count left out of JSON reports while it is zero.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Outcome of the value comparison.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ValueSummary {
    /// Tensors compared.
    pub compared: usize,
    /// Of those, bit-identical.
    pub identical: usize,
    /// Tensors one side has no value for (policy, uninitialised outputs).
    pub skipped: usize,
    /// Tensors whose runtime value was produced but not kept for this
    /// comparison (a replay keeps a bounded amount of value bytes; only
    /// values of events that no longer line up by tensor id need them).
    pub not_retained: usize,
    /// Sums (matrix products, reductions) out of their dtype's tolerance but within the
    /// rounding another summation order may add
    /// (`checks::accumulation`), so not failures.
    #[serde(skip_serializing_if = "is_zero")]
    pub reordered: usize,
    /// Of those, sums where one side overflowed to ±inf or NaN and the
    /// other did not, their terms' magnitudes adding up past the
    /// accumulation's range (`checks::accumulation::rooms_of_sums`).
    #[serde(skip_serializing_if = "is_zero")]
    pub overflowed: usize,
    /// Largest absolute error seen.
    pub max_abs: f64,
    /// Largest relative error seen.
    pub max_rel: f64,
    /// Per operator, the compared tensors that were not bit-identical
    /// (within tolerance or not). In an anchored replay every operator ran
    /// on PyTorch's own inputs, so this lists the kernels that round
    /// differently from PyTorch's; free-running, drift adds to it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub inexact: BTreeMap<String, InexactOp>,
    /// Out-of-tolerance tensors in stream order.
    pub failures: Vec<ValueFailure>,
    /// The tolerance used, as text.
    pub tolerance: String,
}

/// The whole verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Label of the expected (PyTorch) trace.
    pub expected: String,
    /// Label of the actual (runtime) trace.
    pub actual: String,
    /// How the actual run was made: `free-running` or `anchored` (every
    /// top-level operator on PyTorch's recorded inputs).
    pub mode: &'static str,
    /// The first divergent event, in stream order.
    pub first_divergence: Option<Divergence>,
    /// Dispatch ordering.
    pub dispatch: CheckResult,
    /// Gradient-graph isomorphism.
    pub graph: CheckResult,
    /// ReadyQueue schedule.
    pub schedule: CheckResult,
    /// Tensor-identity correspondence over aligned events.
    pub dataflow: CheckResult,
    /// Other layers (api, device, graph-task bookkeeping) aligned as a stream.
    pub stream: CheckResult,
    /// Values.
    pub values: ValueSummary,
    /// For a free-running value failure: what an anchored replay of the
    /// same trace says about where drift starts.
    pub drift_check: Option<DriftCheck>,
    /// Whether the value failures are accepted as drift: the anchored
    /// re-check explains every one of them (see
    /// [`DriftCheck::explains_every_failure`]) and `--fail-on-drift` was not
    /// given. The verdict is then a match.
    pub drift_accepted: bool,
    /// The parity mode, every deviation charged to its Phase-2C packet, and
    /// (hardened) which of them the allowlist allows.
    pub parity: Parity,
    /// Where the replay stopped early (an event the runtime could not
    /// execute); the checks then compared what ran before it, and this
    /// report exists because they found a divergence there first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub halted: Option<Halted>,
}

/// An event the runtime could not execute, after the divergence a report
/// names first.
#[derive(Clone, Debug, Serialize)]
pub struct Halted {
    /// The event's seq in the expected (PyTorch) trace.
    pub expected_seq: u64,
    /// The runtime's error, in one line.
    pub error: String,
}

impl Report {
    /// The exit code the verdict implies.
    pub fn exit(&self) -> Exit {
        let structural = [
            &self.dispatch,
            &self.graph,
            &self.schedule,
            &self.dataflow,
            &self.stream,
        ];
        if structural.iter().any(|c| !self.check_passes(c)) {
            Exit::Structural
        } else if !self.values_pass() && !self.drift_accepted {
            Exit::Values
        } else {
            Exit::Match
        }
    }

    /// Whether a check passes: it matched, or (hardened) every divergence
    /// it found is allowed.
    pub fn check_passes(&self, check: &CheckResult) -> bool {
        check.ok()
            || (!check.divergences.is_empty()
                && (0..check.divergences.len()).all(|i| self.parity.is_allowed(check.name, i)))
    }

    /// Whether every value failure is allowed (none in strict mode).
    pub fn values_pass(&self) -> bool {
        (0..self.values.failures.len()).all(|i| self.parity.is_allowed("values", i))
    }

    /// Human-readable verdict; `colour` adds ANSI colours.
    pub fn to_text(&self, colour: bool) -> String {
        let paint = |code: &str, text: &str| {
            if colour {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        let mut out = String::new();
        let _ = writeln!(out, "expected: {}", escape_control(&self.expected));
        let _ = writeln!(out, "actual:   {}", escape_control(&self.actual));
        let _ = writeln!(out, "mode:     {}", self.mode);
        for check in [
            &self.dispatch,
            &self.graph,
            &self.schedule,
            &self.dataflow,
            &self.stream,
        ] {
            let status = if check.ok() {
                paint("32", "ok  ")
            } else if self.check_passes(check) {
                paint("33", "ALLOW")
            } else {
                paint("31", "FAIL")
            };
            let _ = write!(
                out,
                "{status} {:<9} {}/{} matched",
                check.name, check.matched, check.expected
            );
            if check.actual != check.expected {
                let _ = write!(out, " (actual has {})", check.actual);
            }
            if !check.note.is_empty() {
                let _ = write!(out, "; {}", escape_control(&check.note));
            }
            out.push('\n');
            for d in check.divergences.iter().take(5) {
                let _ = writeln!(out, "       {}", divergence_line(d));
            }
            if check.divergences.len() > 5 {
                let _ = writeln!(out, "       … {} more", check.divergences.len() - 5);
            }
        }
        let v = &self.values;
        let status = if v.failures.is_empty() {
            paint("32", "ok  ")
        } else if self.drift_accepted {
            paint("33", "DRIFT")
        } else if self.values_pass() {
            paint("33", "ALLOW")
        } else {
            paint("31", "FAIL")
        };
        let _ = writeln!(
            out,
            "{status} values    {} tensors compared ({} bit-identical, {} without values{}); max abs err {:.3e}, max rel err {:.3e} ({}{})",
            v.compared,
            v.identical,
            v.skipped,
            if v.not_retained > 0 {
                format!(", {} not retained", v.not_retained)
            } else {
                String::new()
            },
            v.max_abs,
            v.max_rel,
            escape_control(&v.tolerance),
            if v.reordered > 0 {
                format!(
                    "; {} sums (matrix products, reductions) within the rounding of another summation order{}",
                    v.reordered,
                    if v.overflowed > 0 {
                        format!(
                            ", {} of them overflowing to inf or NaN in one order only (terms past the dtype's range)",
                            v.overflowed
                        )
                    } else {
                        String::new()
                    }
                )
            } else {
                String::new()
            }
        );
        for f in v.failures.iter().take(5) {
            let _ = writeln!(
                out,
                "       {} output {} (expected seq {}, actual seq {}): {}, max abs {:.3e}, max rel {:.3e}, {} drift",
                escape_control(&f.op),
                f.output,
                f.expected_seq,
                f.actual_seq,
                f.out_of_tolerance(),
                f.max_abs,
                f.max_rel,
                f.drift
            );
        }
        if v.failures.len() > 5 {
            let _ = writeln!(out, "       … {} more", v.failures.len() - 5);
        }
        // After the failures, which tools read right below the values line.
        if self.mode == "anchored" && !v.inexact.is_empty() {
            let listed: Vec<String> = v
                .most_inexact(5)
                .iter()
                .map(|(op, e)| {
                    format!(
                        "{} ×{} ({}, first seq {})",
                        escape_control(op),
                        e.tensors,
                        e.describe_error(),
                        e.first_seq
                    )
                })
                .collect();
            let more = v.inexact.len().saturating_sub(listed.len());
            let _ = writeln!(
                out,
                "       not bit-identical on PyTorch's inputs: {} operator(s): {}{}",
                v.inexact.len(),
                listed.join(", "),
                if more > 0 {
                    format!(", … {more} more")
                } else {
                    String::new()
                }
            );
        }
        if let Some(root) =
            crate::drift::drift_start(&v.failures).filter(|f| f.drift != "propagated")
        {
            let _ = writeln!(
                out,
                "drift starts at {} (expected seq {}, actual seq {}): {}",
                escape_control(&root.op),
                root.expected_seq,
                root.actual_seq,
                if root.drift == "local" {
                    "its inputs agree, its output does not"
                } else {
                    "its output differs and no input is known to (not every input has a value to compare)"
                }
            );
        }
        if let Some(check) = &self.drift_check {
            let _ = writeln!(out, "{}", escape_control(&check.to_text()));
        }
        if let Some(d) = &self.first_divergence {
            let _ = writeln!(out, "first divergence: {}", divergence_line(d));
        }
        if let Some(h) = &self.halted {
            let _ = writeln!(
                out,
                "then stopped: the runtime could not execute expected seq {} (checked up to there): {}",
                h.expected_seq,
                escape_control(&h.error)
            );
        }
        if self.parity.mode == "hardened" {
            let _ = writeln!(
                out,
                "parity:   hardened ({} deviations allowed by {})",
                self.parity.allowed.len(),
                escape_control(self.parity.allowlist.as_deref().unwrap_or("-"))
            );
            for line in self.parity.lines() {
                let _ = writeln!(out, "{}", escape_control(&line));
            }
        }
        let verdict = match self.exit() {
            Exit::Match if !self.parity.allowed.is_empty() => {
                paint("1;33", "MATCH (hardened: deviations allowed)")
            }
            Exit::Match if self.drift_accepted => paint(
                "1;32",
                "MATCH (free-running values drifted; every operator matches anchored)",
            ),
            Exit::Match => paint("1;32", "MATCH"),
            Exit::Values => paint("1;33", "VALUES OUT OF TOLERANCE"),
            _ => paint("1;31", "DIVERGED"),
        };
        let _ = writeln!(out, "{verdict}");
        out
    }
}

/// `[dispatch missing] expected seq 57 / actual seq 55: …`, the message's
/// control characters escaped (it is shown in text and JUnit reports).
pub fn divergence_line(d: &Divergence) -> String {
    let seq = |s: Option<u64>| s.map_or_else(|| "-".to_owned(), |s| s.to_string());
    format!(
        "[{} {}] expected seq {} / actual seq {}: {}",
        d.check,
        d.kind,
        seq(d.expected_seq),
        seq(d.actual_seq),
        escape_control(&d.message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(max_rel: f64, nan_bits: usize, zero_signs: usize) -> Errors {
        Errors {
            max_abs: max_rel,
            max_rel,
            nan_bits,
            zero_signs,
            ..Errors::default()
        }
    }

    #[test]
    fn an_operator_equal_as_values_says_which_bits_differ() {
        let mut summary = ValueSummary::default();
        summary.note_inexact("aten.log.default", 7, &errors(0.0, 3, 0));
        summary.note_inexact("aten.log.default", 9, &errors(0.0, 2, 0));
        summary.note_inexact("aten.neg.default", 11, &errors(0.0, 0, 1));
        summary.note_inexact("aten.add.Tensor", 12, &errors(0.0, 1, 1));
        let log = summary.inexact["aten.log.default"];
        assert_eq!((log.tensors, log.equal_as_values, log.first_seq), (2, 2, 7));
        assert_eq!(
            log.describe_error(),
            "equal but NaN sign or payload: 5 element(s)"
        );
        assert_eq!(
            summary.inexact["aten.neg.default"].describe_error(),
            "equal but signed zeros: 1 element(s)"
        );
        assert_eq!(
            summary.inexact["aten.add.Tensor"].describe_error(),
            "equal but NaN sign or payload: 1 element(s), signed zeros: 1 element(s)"
        );
    }

    #[test]
    fn one_rounded_tensor_makes_the_operator_inexact() {
        let mut summary = ValueSummary::default();
        summary.note_inexact("aten.mul.Tensor", 3, &errors(0.0, 4, 0));
        summary.note_inexact("aten.mul.Tensor", 5, &errors(2.5e-7, 0, 0));
        assert_eq!(
            summary.inexact["aten.mul.Tensor"].describe_error(),
            "max rel 2.5e-7"
        );
    }
}
