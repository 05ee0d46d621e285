//! Judging a replay that halted: the runtime could not execute one of
//! PyTorch's events, and what ran before it is compared with PyTorch's
//! events before it.
//!
//! An error the runtime raises is often the symptom of an earlier
//! difference: a `.data` assignment that kept the wrong dtype makes the next
//! `addmm` refuse its operands; a backward that recorded no history makes the
//! next `backward()` find nothing to differentiate. The earlier difference
//! is the verdict the user needs, with the halt as its consequence.
//!
//! The runtime's recording ends where the halted event began, and some of
//! what the runtime records for the events just before it comes later (a
//! tensor's release when the next operator runs). PyTorch's events after the
//! last one the checks matched are therefore left out as well: a divergence
//! that close to the halt is not told apart from the cut, and the halt
//! stays the verdict.

use crate::checks::values::Tolerances;
use crate::report::Report;
use crate::{TraceData, diff, diff_aligned};

/// PyTorch's events that the runtime's `actual` recording, halted at event
/// `seq`, can be held to, and the report comparing them; `None` when the
/// checks matched nothing (there is nothing before the halt to judge).
pub fn judge_before(
    expected: &TraceData,
    actual: &TraceData,
    seq: u64,
    tolerances: &Tolerances,
) -> Option<(Report, TraceData)> {
    let mut before = expected.before(seq);
    let (report, pairs) = diff_aligned(&before, actual, tolerances);
    let last_matched = pairs.iter().map(|&(e, _)| e).max()?;
    if last_matched + 1 == before.events.len() {
        return Some((report, before));
    }
    before.events.truncate(last_matched + 1);
    let report = diff(&before, actual, tolerances);
    Some((report, before))
}
