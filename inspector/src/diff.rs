//! The Diff view's model: two runs aligned row by row, every divergence that
//! `ft-replay`'s checks found marked on the row where it happens.
//!
//! Nothing here compares events itself: [`DiffModel::compare`] runs
//! [`ft_replay::diff_aligned`] — the same checks, tolerances and verdict as
//! `ft-replay` — and lays its alignment out as rows. A row pairs an event of
//! the expected (PyTorch) run with the event of the actual run that the
//! checks matched to it; an event the checks matched to nothing gets a row
//! of its own (missing from, or extra in, the actual run), placed where it
//! happened. Divergences land on their row by sequence number; value
//! failures say whether the op is where drift starts (`local`: its inputs
//! agree) or only carries it (`propagated`).

use ft_replay::report::{Divergence, ValueFailure};
use ft_replay::{Report, Tolerances};
use ft_trace::{AutogradEvent, DispatchEvent, Event, EventBody, TensorRef};

use crate::trace::TraceData;

/// One mark on a row: which check, what kind, and the check's message.
#[derive(Clone, Debug, PartialEq)]
pub struct RowMark {
    /// `missing`, `extra`, `changed`, `reordered`, `graph`, `schedule`,
    /// `dataflow`, or `value local` / `value propagated` / `value unknown`.
    pub label: String,
    /// The check's one-line message (as `ft-replay` prints it).
    pub message: String,
}

/// One aligned row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiffRow {
    /// Position of the expected (PyTorch) event, if the row has one.
    pub expected: Option<usize>,
    /// Position of the actual event, if the row has one.
    pub actual: Option<usize>,
    /// What the checks found here; empty for a row that agrees.
    pub marks: Vec<RowMark>,
}

/// The element-wise comparison of one output of a row: where the two runs
/// differ most, measured against the tolerance.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementError {
    /// Which output of the event (0 for an accumulated gradient).
    pub output: usize,
    /// The expected run's tensor, `T11[16,8]`.
    pub tensor: String,
    /// The element whose error exceeds its tolerance by the most (or, when
    /// every element is within tolerance, the largest error), as an index
    /// per dimension.
    pub worst: Vec<usize>,
    /// The expected (PyTorch) element there.
    pub expected: f64,
    /// The actual element there.
    pub actual: f64,
    /// Elements out of tolerance.
    pub bad: usize,
    /// Elements compared.
    pub numel: usize,
    /// The tolerance at the worst element: `atol + rtol·|expected|`.
    pub allowed: f64,
}

/// The values of both runs, kept to compare the selected row element by element.
#[derive(Clone)]
struct Runs {
    expected: ft_replay::TraceData,
    actual: ft_replay::TraceData,
    tolerances: Tolerances,
    /// The dtype whose tolerance judges each of PyTorch's values.
    precision: ft_replay::precision::Precision,
}

impl std::fmt::Debug for Runs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runs { .. }")
    }
}

/// Two runs aligned, with the verdict and the rows that diverge.
#[derive(Clone, Debug)]
pub struct DiffModel {
    /// The expected run (PyTorch's trace).
    pub expected: TraceData,
    /// The actual run (the runtime's replay, or a second trace).
    pub actual: TraceData,
    /// The verdict, exactly as `ft-replay` computes it.
    pub report: Report,
    /// Every row, in the expected run's order.
    pub rows: Vec<DiffRow>,
    /// Indices of the rows that carry a mark.
    divergent: Vec<usize>,
    /// The selected row.
    selected: usize,
    /// First row drawn.
    offset: usize,
    /// Both runs' values, when the model was built from them.
    runs: Option<Runs>,
    /// The selected row's outputs compared element by element.
    element_errors: Vec<ElementError>,
}

impl DiffModel {
    /// Diffs `actual` against `expected` with `ft-replay`'s checks and
    /// aligns the result; `expected_view` / `actual_view` are the same runs
    /// as the inspector shows them.
    pub fn compare(
        expected: ft_replay::TraceData,
        actual: ft_replay::TraceData,
        tolerances: &Tolerances,
        (expected_view, actual_view): (TraceData, TraceData),
        allowlist: Option<&ft_replay::parity::Allowlist>,
    ) -> DiffModel {
        let (mut report, pairs) = ft_replay::diff_aligned(&expected, &actual, tolerances);
        if let Some(list) = allowlist {
            ft_replay::parity::apply(&mut report, list);
        }
        let rows = align(expected.events.len(), actual.events.len(), &pairs);
        let mut model = DiffModel::from_parts(expected_view, actual_view, report, rows);
        model.runs = Some(Runs {
            precision: ft_replay::precision::Precision::for_diff(&expected, &actual),
            expected,
            actual,
            tolerances: tolerances.clone(),
        });
        model.refresh_element_errors();
        model
    }

    /// After the inspector's own free-running replay: the anchored re-check
    /// `ft-replay` makes of a value failure, so the verdict (and accepted
    /// drift) is the one it prints.
    pub fn recheck_drift(&mut self) -> Result<(), ft_replay::ReplayError> {
        if let Some(runs) = &self.runs {
            ft_replay::recheck_anchored(
                &runs.expected,
                &mut self.report,
                &[],
                &runs.tolerances,
                false,
            )?;
        }
        Ok(())
    }

    /// The first value that could not be read from either run's file.
    pub fn check_values_readable(&self) -> Result<(), ft_replay::ReplayError> {
        if let Some(runs) = &self.runs {
            runs.expected.check_values_readable()?;
            runs.actual.check_values_readable()?;
        }
        Ok(())
    }

    /// The selected row's outputs compared element by element (empty when
    /// the row has no pair of outputs with recorded values).
    pub fn element_errors(&self) -> &[ElementError] {
        &self.element_errors
    }

    /// Row `row`'s outputs compared element by element (see
    /// [`DiffModel::element_errors`] for the selected row).
    pub fn row_errors(&self, row: usize) -> Vec<ElementError> {
        match (&self.runs, self.rows.get(row)) {
            (Some(runs), Some(row)) => compare_outputs(runs, (&self.expected, &self.actual), row),
            _ => Vec::new(),
        }
    }

    fn refresh_element_errors(&mut self) {
        self.element_errors = match (&self.runs, self.rows.get(self.selected)) {
            (Some(runs), Some(row)) => compare_outputs(runs, (&self.expected, &self.actual), row),
            _ => Vec::new(),
        };
    }

    /// Marks `rows` with the report's divergences and value failures.
    pub fn from_parts(
        expected: TraceData,
        actual: TraceData,
        report: Report,
        mut rows: Vec<DiffRow>,
    ) -> DiffModel {
        let by_expected = position_index(rows.iter().map(|r| r.expected), expected.events.len());
        let by_actual = position_index(rows.iter().map(|r| r.actual), actual.events.len());
        let row_of = |exp: Option<u64>, act: Option<u64>, prefer_actual: bool| {
            let e = exp.and_then(|s| by_expected.get(s as usize).copied().flatten());
            let a = act.and_then(|s| by_actual.get(s as usize).copied().flatten());
            if prefer_actual { a.or(e) } else { e.or(a) }
        };
        for divergence in report_divergences(&report) {
            let extra = divergence.kind == "extra";
            if let Some(row) = row_of(divergence.expected_seq, divergence.actual_seq, extra) {
                rows[row].marks.push(RowMark {
                    label: divergence_label(divergence),
                    message: divergence.message.clone(),
                });
            }
        }
        for failure in &report.values.failures {
            if let Some(row) = row_of(Some(failure.expected_seq), Some(failure.actual_seq), false) {
                rows[row].marks.push(RowMark {
                    label: format!("value {}", failure.drift),
                    message: value_message(failure),
                });
            }
        }
        let divergent = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.marks.is_empty())
            .map(|(i, _)| i)
            .collect();
        DiffModel {
            expected,
            actual,
            report,
            rows,
            divergent,
            selected: 0,
            offset: 0,
            runs: None,
            element_errors: Vec::new(),
        }
    }

    /// Rows that carry a mark, in order.
    pub fn divergent_rows(&self) -> &[usize] {
        &self.divergent
    }

    /// The selected row's index.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The first row drawn.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&DiffRow> {
        self.rows.get(self.selected)
    }

    /// Selects row `index` (clamped) and scrolls it into a window of `rows`.
    pub fn select(&mut self, index: usize, rows: usize) {
        let index = index.min(self.rows.len().saturating_sub(1));
        let changed = index != self.selected;
        self.selected = index;
        self.scroll_into_view(rows);
        if changed || self.element_errors.is_empty() {
            self.refresh_element_errors();
        }
    }

    /// Moves the selection by `delta` rows.
    pub fn move_by(&mut self, delta: isize, rows: usize) {
        let target = self.selected.saturating_add_signed(delta);
        self.select(target, rows);
    }

    /// Selects the next (or previous) row that carries a mark; `Err` says
    /// why nothing moved.
    pub fn jump_divergence(&mut self, forward: bool, rows: usize) -> Result<(), String> {
        let target = if forward {
            self.divergent.iter().find(|&&r| r > self.selected)
        } else {
            self.divergent.iter().rev().find(|&&r| r < self.selected)
        };
        match target {
            Some(&row) => {
                self.select(row, rows);
                Ok(())
            }
            None if self.divergent.is_empty() => Err("the two runs agree: no divergence".into()),
            None if forward => Err("no divergence after this row".into()),
            None => Err("no divergence before this row".into()),
        }
    }

    /// Keeps the selection inside a window of `rows` rows.
    pub fn scroll_into_view(&mut self, rows: usize) {
        let rows = rows.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
    }

    /// The report's check lines (`ok   dispatch  4/4 matched`, `FAIL
    /// schedule ...`) and its verdict, exactly as `ft-replay` prints them.
    pub fn verdict_lines(&self) -> Vec<String> {
        let text = self.report.to_text(false);
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| {
                [
                    "ok ", "FAIL ", "ALLOW ", "DRIFT ", "parity:", "allowed ", "refused ",
                ]
                .iter()
                .any(|start| l.starts_with(start))
            })
            .map(str::to_owned)
            .collect();
        if let Some(check) = &self.report.drift_check {
            lines.push(check.to_text());
        }
        if let Some(verdict) = text.lines().rev().find(|l| !l.trim().is_empty()) {
            lines.push(verdict.to_owned());
        }
        lines
    }
}

/// Rows for two streams of `expected_len` and `actual_len` events and the
/// matched `pairs` (sorted by expected position): matched events share a
/// row; an unmatched expected event gets a row where it happened; an
/// unmatched actual event gets a row just before the first matched pair that
/// comes after it in the actual run.
pub fn align(expected_len: usize, actual_len: usize, pairs: &[(usize, usize)]) -> Vec<DiffRow> {
    let mut partner = vec![None; expected_len];
    let mut matched_actual = vec![false; actual_len];
    for &(e, a) in pairs {
        if let (Some(slot), Some(seen)) = (partner.get_mut(e), matched_actual.get_mut(a)) {
            *slot = Some(a);
            *seen = true;
        }
    }
    let mut rows = Vec::with_capacity(expected_len.max(actual_len));
    let mut next_actual = 0;
    let flush_until = |limit: usize, next: &mut usize, rows: &mut Vec<DiffRow>| {
        while *next < limit.min(actual_len) {
            if !matched_actual[*next] {
                rows.push(DiffRow {
                    expected: None,
                    actual: Some(*next),
                    marks: Vec::new(),
                });
            }
            *next += 1;
        }
    };
    for (e, a) in partner.iter().enumerate() {
        if let Some(a) = *a {
            flush_until(a, &mut next_actual, &mut rows);
        }
        rows.push(DiffRow {
            expected: Some(e),
            actual: *a,
            marks: Vec::new(),
        });
    }
    flush_until(actual_len, &mut next_actual, &mut rows);
    rows
}

/// The output tensors of an event whose values a diff compares.
fn outputs(event: &Event) -> Vec<&TensorRef> {
    match &event.body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            op.outputs.iter().flat_map(|v| v.tensors()).collect()
        }
        EventBody::Autograd(AutogradEvent::Accumulate(a)) => vec![&a.grad],
        _ => Vec::new(),
    }
}

/// Each output pair of `row` whose values both runs recorded, compared
/// element by element.
fn compare_outputs(
    runs: &Runs,
    views: (&TraceData, &TraceData),
    row: &DiffRow,
) -> Vec<ElementError> {
    let (Some(e), Some(a)) = (row.expected, row.actual) else {
        return Vec::new();
    };
    let (Some(ee), Some(ae)) = (views.0.events.get(e), views.1.events.get(a)) else {
        return Vec::new();
    };
    let digest = |view: &TraceData, t: &TensorRef, seq: u64| {
        t.value
            .or_else(|| view.value_at(t.id, t.version, seq).map(|r| r.digest))
    };
    outputs(ee)
        .into_iter()
        .zip(outputs(ae))
        .enumerate()
        .filter_map(|(output, (et, at))| {
            let ed = digest(views.0, et, ee.seq)?;
            let ad = digest(views.1, at, ae.seq)?;
            let (dtype, ev) = runs.expected.values(&ed)?;
            let (_, av) = runs.actual.values(&ad)?;
            let dtype = runs.precision.tolerance_dtype(et.id, et.version, &dtype);
            let tol = runs.tolerances.for_dtype(dtype);
            worst_element(&ev, &av, (tol.rtol, tol.atol)).map(|(flat, bad, allowed)| ElementError {
                output,
                tensor: ft_trace::describe::compact_tensor(et),
                worst: unravel(flat, &et.shape),
                expected: ev[flat],
                actual: av[flat],
                bad,
                numel: ev.len(),
                allowed,
            })
        })
        .collect()
}

/// `(flat index of the worst element, elements out of tolerance, tolerance
/// there)`: the element whose error most exceeds `atol + rtol·|e|`; NaN or
/// infinite disagreement counts as the largest excess. None for no elements
/// or mismatched lengths.
pub fn worst_element(
    expected: &[f64],
    actual: &[f64],
    (rtol, atol): (f64, f64),
) -> Option<(usize, usize, f64)> {
    if expected.is_empty() || expected.len() != actual.len() {
        return None;
    }
    let mut worst = (0, f64::NEG_INFINITY);
    let mut bad = 0;
    for (i, (&e, &a)) in expected.iter().zip(actual).enumerate() {
        let allowed = atol + rtol * e.abs();
        let excess = if e.is_nan() && a.is_nan() || e == a {
            -allowed
        } else {
            let diff = (a - e).abs();
            if diff.is_nan() || diff.is_infinite() {
                f64::INFINITY
            } else {
                diff - allowed
            }
        };
        if excess > 0.0 {
            bad += 1;
        }
        if excess > worst.1 {
            worst = (i, excess);
        }
    }
    let allowed = atol + rtol * expected[worst.0].abs();
    Some((worst.0, bad, allowed))
}

/// A flat C-order index as one index per dimension of `shape`.
pub fn unravel(mut flat: usize, shape: &[i64]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (slot, &dim) in index.iter_mut().zip(shape).rev() {
        let dim = usize::try_from(dim).unwrap_or(0).max(1);
        *slot = flat % dim;
        flat /= dim;
    }
    index
}

/// Position → row, for one side.
fn position_index(
    positions: impl Iterator<Item = Option<usize>>,
    len: usize,
) -> Vec<Option<usize>> {
    let mut index = vec![None; len];
    for (row, position) in positions.enumerate() {
        if let Some(slot) = position.and_then(|p| index.get_mut(p)) {
            *slot = Some(row);
        }
    }
    index
}

fn report_divergences(report: &Report) -> impl Iterator<Item = &Divergence> {
    [
        &report.dispatch,
        &report.graph,
        &report.schedule,
        &report.dataflow,
        &report.stream,
    ]
    .into_iter()
    .flat_map(|check| check.divergences.iter())
}

/// The row label of a divergence: the check for graph, schedule and
/// dataflow; the kind of difference for the event streams.
fn divergence_label(d: &Divergence) -> String {
    match d.check {
        "graph" | "schedule" | "dataflow" => d.check.to_owned(),
        _ => d.kind.to_owned(),
    }
}

fn value_message(f: &ValueFailure) -> String {
    format!(
        "{} output {}: {}, max abs err {:.3e}, max rel err {:.3e} ({})",
        f.op,
        f.output,
        f.out_of_tolerance(),
        f.max_abs,
        f.max_rel,
        f.drift
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sides(rows: &[DiffRow]) -> Vec<(Option<usize>, Option<usize>)> {
        rows.iter().map(|r| (r.expected, r.actual)).collect()
    }

    #[test]
    fn matched_events_share_rows_and_the_rest_stand_where_they_happened() {
        // expected 0 1 2 3; actual 0 x 1 3' (2 missing, x extra).
        let rows = align(4, 4, &[(0, 0), (1, 2), (3, 3)]);
        assert_eq!(
            sides(&rows),
            vec![
                (Some(0), Some(0)),
                (None, Some(1)),
                (Some(1), Some(2)),
                (Some(2), None),
                (Some(3), Some(3)),
            ]
        );
    }

    #[test]
    fn trailing_extras_and_reordered_pairs_keep_every_event_once() {
        // The actual run swapped two events and added two at its end.
        let rows = align(3, 5, &[(0, 0), (1, 2), (2, 1)]);
        let mut actual: Vec<usize> = rows.iter().filter_map(|r| r.actual).collect();
        actual.sort_unstable();
        assert_eq!(actual, vec![0, 1, 2, 3, 4]);
        let expected: Vec<usize> = rows.iter().filter_map(|r| r.expected).collect();
        assert_eq!(expected, vec![0, 1, 2]);
        assert_eq!(sides(&rows).last(), Some(&(None, Some(4))));
    }

    #[test]
    fn the_worst_element_is_the_one_furthest_beyond_its_tolerance() {
        // Element 1 has the largest absolute error, but element 2's is the
        // furthest beyond its (relative) tolerance.
        let expected = [1.0, 1000.0, 0.001, 5.0];
        let actual = [1.0, 1000.5, 0.101, 5.0];
        let (worst, bad, allowed) =
            worst_element(&expected, &actual, (1e-3, 1e-5)).expect("compared");
        assert_eq!(worst, 2);
        assert_eq!(bad, 1);
        assert!((allowed - (1e-5 + 1e-6)).abs() < 1e-12);
        assert_eq!(
            worst_element(&[f64::NAN], &[1.0], (0.0, 0.0)).map(|w| w.1),
            Some(1)
        );
        assert_eq!(worst_element(&[], &[], (0.0, 0.0)), None);
        assert_eq!(worst_element(&[1.0], &[1.0, 2.0], (0.0, 0.0)), None);
    }

    #[test]
    fn flat_indices_unravel_in_c_order() {
        assert_eq!(unravel(7, &[2, 3, 2]), vec![1, 0, 1]);
        assert_eq!(unravel(0, &[]), Vec::<usize>::new());
    }

    #[test]
    fn out_of_range_pairs_are_ignored() {
        let rows = align(1, 1, &[(0, 0), (5, 9)]);
        assert_eq!(sides(&rows), vec![(Some(0), Some(0))]);
    }
}
