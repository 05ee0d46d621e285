//! The checks of a diff and the function that runs them all.

pub mod accumulation;
mod conv_room;
pub mod dataflow;
mod decomp_room;
pub mod graph;
mod norm_room;
pub mod sequence;
mod spectral_room;
pub mod values;

use ft_trace::{AutogradEvent, DispatchEvent, Event, EventBody};

use crate::parallel::both;
use crate::precision::Precision;
use crate::report::Report;
use crate::trace_data::{TraceData, TraceView};
use values::Tolerances;

/// Operator calls, those that returned and those that raised: a call that
/// raised in one run and returned in the other is one changed call.
fn is_op(e: &Event) -> bool {
    matches!(
        e.body,
        EventBody::Dispatch(DispatchEvent::Op(_) | DispatchEvent::OpError(_))
    )
}

fn is_queue(e: &Event) -> bool {
    matches!(
        e.body,
        EventBody::Autograd(AutogradEvent::Push(_) | AutogradEvent::Pop(_))
    )
}

/// Diffs `actual` (the runtime, or "ours") against `expected` (PyTorch).
pub fn diff(expected: &TraceData, actual: &TraceData, tol: &Tolerances) -> Report {
    diff_aligned(expected, actual, tol).0
}

/// [`diff`], and the alignment it found: `(expected position, actual
/// position)` of every pair of events the checks matched (ops, ReadyQueue
/// events and the rest), sorted by expected position. Events in no pair are
/// missing from, or extra in, the actual run.
pub fn diff_aligned(
    expected: &TraceData,
    actual: &TraceData,
    tol: &Tolerances,
) -> (Report, Vec<(usize, usize)>) {
    // The checks are independent until the pairs they found are combined:
    // they run on two threads (the indexes, then the three sequences and the
    // graph, then dataflow and values).
    let (ev, av) = both(|| TraceView::new(expected), || TraceView::new(actual));
    let (((dispatch, op_pairs), graph), ((schedule, queue_pairs), (stream, other_pairs))) = both(
        || {
            (
                sequence::compare("dispatch", &ev, &av, is_op),
                graph::compare(&ev, &av),
            )
        },
        || {
            (
                sequence::compare("schedule", &ev, &av, is_queue),
                sequence::compare("stream", &ev, &av, |e| !is_op(e) && !is_queue(e)),
            )
        },
    );

    // Each list allocated once at its final size (a long run's pairs are
    // megabytes, and growing them copied them into fresh memory).
    let mut all_pairs = Vec::with_capacity(op_pairs.len() + queue_pairs.len() + other_pairs.len());
    all_pairs.extend(&op_pairs);
    all_pairs.extend(&queue_pairs);
    all_pairs.extend(&other_pairs);
    let mut value_pairs = Vec::with_capacity(op_pairs.len() + other_pairs.len());
    value_pairs.extend(op_pairs);
    value_pairs.extend(other_pairs);
    let (dataflow, values) = both(
        || dataflow::compare(&ev, &av, all_pairs.clone()),
        || {
            let computed;
            let precision = match &actual.produced.precision {
                Some(judged_with) => judged_with,
                None => {
                    computed = Precision::for_diff(expected, actual);
                    &computed
                }
            };
            let judging = values::Judging {
                tolerances: tol,
                precision,
            };
            values::compare(&ev, &av, value_pairs, &judging)
        },
    );
    all_pairs.sort_unstable();

    let first_divergence = [&dispatch, &schedule, &stream, &graph, &dataflow]
        .iter()
        .flat_map(|c| c.divergences.iter())
        .min_by_key(|d| {
            (
                d.expected_seq.unwrap_or(u64::MAX),
                d.actual_seq.unwrap_or(u64::MAX),
            )
        })
        .cloned();

    let mut report = Report {
        expected: expected.label.clone(),
        actual: actual.label.clone(),
        mode: crate::executor::ReplayMode::of_trace(&actual.meta).name(),
        first_divergence,
        dispatch,
        graph,
        schedule,
        dataflow,
        stream,
        values,
        drift_check: None,
        drift_accepted: false,
        parity: crate::parity::Parity::default(),
        halted: None,
    };
    report.parity.deviations = crate::parity::classify(&report, &ev, &av);
    (report, all_pairs)
}
