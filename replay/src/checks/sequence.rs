//! Ordered comparison of one slice of the stream (ops, ReadyQueue
//! transitions, api and bookkeeping events): align by key, then classify what
//! did not align as missing, extra, changed or reordered.

use foldhash::{HashMap, HashMapExt};
use ft_trace::Event;

use crate::align::{Aligned, align};
use crate::describe::describe;
use crate::keys::{event_key, event_key_into};
use crate::report::{CheckResult, Divergence};
use crate::trace_data::TraceView;

/// An alignment key's fingerprint: its 128-bit XXH3 hash. Streams are
/// aligned on fingerprints (16 bytes an event, however long the key); the
/// readable key is rebuilt only for an event that diverged. Two different
/// keys share a fingerprint with probability about 2⁻¹²⁸ per pair; the
/// fingerprint guards no secret, so a fast non-cryptographic hash serves
/// (BLAKE3 here took a tenth of a diff's time).
/// (Interning the keys themselves was a little faster but kept every
/// distinct key, and a long run has one for most events as tensor versions
/// grow: 20 MB more at the peak of a 1000-step replay.)
type KeyPrint = [u8; 16];

fn fingerprint(key: &str) -> KeyPrint {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes()).to_le_bytes()
}

/// A matched pair: indices into the two traces' event vectors.
pub type MatchedPair = (usize, usize);

/// Compares the events `select` picks from both traces, in order.
pub fn compare(
    name: &'static str,
    expected: &TraceView<'_>,
    actual: &TraceView<'_>,
    select: impl Fn(&Event) -> bool,
) -> (CheckResult, Vec<MatchedPair>) {
    let pick = |view: &TraceView<'_>| -> (Vec<usize>, Vec<KeyPrint>) {
        let mut key = String::with_capacity(256);
        let selected = view.data.events.iter().filter(|e| select(e)).count();
        let mut indices = Vec::with_capacity(selected);
        let mut prints = Vec::with_capacity(selected);
        for (i, e) in view.data.events.iter().enumerate() {
            if select(e) {
                key.clear();
                event_key_into(&e.body, view, &mut key);
                indices.push(i);
                prints.push(fingerprint(&key));
            }
        }
        (indices, prints)
    };
    let (exp_idx, exp_keys) = pick(expected);
    let (act_idx, act_keys) = pick(actual);
    let alignment = align(&exp_keys, &act_keys);

    let seq_of = |view: &TraceView<'_>, indices: &[usize], at: usize| -> Option<u64> {
        indices
            .get(at)
            .and_then(|&i| view.data.events.get(i))
            .map(|e| e.seq)
    };
    fn event<'e>(view: &'e TraceView<'_>, indices: &[usize], at: usize) -> Option<&'e Event> {
        indices.get(at).and_then(|&i| view.data.events.get(i))
    }

    let mut result = CheckResult {
        name,
        expected: exp_keys.len(),
        actual: act_keys.len(),
        ..CheckResult::default()
    };
    let mut pairs = Vec::with_capacity(exp_keys.len().min(act_keys.len()));
    // Missing and extra events with the same key are one reordered event.
    let mut missing_by_key: HashMap<KeyPrint, Vec<usize>> = HashMap::new();
    let mut extra_by_key: HashMap<KeyPrint, Vec<usize>> = HashMap::new();
    for a in &alignment {
        match *a {
            Aligned::Missing { expected: e, .. } => {
                missing_by_key.entry(exp_keys[e]).or_default().push(e)
            }
            Aligned::Extra { actual: x, .. } => {
                extra_by_key.entry(act_keys[x]).or_default().push(x)
            }
            _ => {}
        }
    }
    let mut reordered_exp: HashMap<usize, usize> = HashMap::new();
    let mut reordered_act: HashMap<usize, usize> = HashMap::new();
    for (key, missing) in &missing_by_key {
        if let Some(extra) = extra_by_key.get(key) {
            for (&e, &x) in missing.iter().zip(extra) {
                reordered_exp.insert(e, x);
                reordered_act.insert(x, e);
            }
        }
    }

    for a in alignment {
        match a {
            Aligned::Match {
                expected: e,
                actual: x,
            } => {
                result.matched += 1;
                pairs.push((exp_idx[e], act_idx[x]));
            }
            Aligned::Missing {
                expected: e,
                actual_at,
            } => {
                let ev = event(expected, &exp_idx, e);
                let text = ev.map(|ev| describe(ev, expected)).unwrap_or_default();
                if let Some(&x) = reordered_exp.get(&e) {
                    result.divergences.push(Divergence {
                        check: name,
                        kind: "reordered",
                        expected_seq: seq_of(expected, &exp_idx, e),
                        actual_seq: seq_of(actual, &act_idx, x),
                        message: format!("{text} happens at another point of the actual run"),
                    });
                } else {
                    result.divergences.push(Divergence {
                        check: name,
                        kind: "missing",
                        expected_seq: seq_of(expected, &exp_idx, e),
                        actual_seq: seq_of(actual, &act_idx, actual_at)
                            .or_else(|| actual.data.events.last().map(|l| l.seq + 1)),
                        message: format!("{text} is missing from the actual run"),
                    });
                }
            }
            Aligned::Extra {
                actual: x,
                expected_at,
            } => {
                if reordered_act.contains_key(&x) {
                    continue; // reported once, from the expected side
                }
                let ev = event(actual, &act_idx, x);
                let text = ev.map(|ev| describe(ev, actual)).unwrap_or_default();
                result.divergences.push(Divergence {
                    check: name,
                    kind: "extra",
                    expected_seq: seq_of(expected, &exp_idx, expected_at)
                        .or_else(|| expected.data.events.last().map(|l| l.seq + 1)),
                    actual_seq: seq_of(actual, &act_idx, x),
                    message: format!("the actual run has an extra {text}"),
                });
            }
            Aligned::Changed {
                expected: e,
                actual: x,
            } => {
                let exp_text = event(expected, &exp_idx, e)
                    .map(|ev| describe(ev, expected))
                    .unwrap_or_default();
                let act_text = event(actual, &act_idx, x)
                    .map(|ev| describe(ev, actual))
                    .unwrap_or_default();
                let key_of = |view: &TraceView<'_>, indices: &[usize], at: usize| {
                    event(view, indices, at)
                        .map(|ev| event_key(&ev.body, view))
                        .unwrap_or_default()
                };
                let detail =
                    first_difference(&key_of(expected, &exp_idx, e), &key_of(actual, &act_idx, x));
                result.divergences.push(Divergence {
                    check: name,
                    kind: "changed",
                    expected_seq: seq_of(expected, &exp_idx, e),
                    actual_seq: seq_of(actual, &act_idx, x),
                    message: format!("expected {exp_text}; actual {act_text} ({detail})"),
                });
            }
        }
    }
    result.divergences.sort_by_key(|d| {
        (
            d.expected_seq.unwrap_or(u64::MAX),
            d.actual_seq.unwrap_or(u64::MAX),
        )
    });
    (result, pairs)
}

/// Where two keys first differ, as `…expected text… vs …actual text…`.
fn first_difference(expected: &str, actual: &str) -> String {
    let common = expected
        .char_indices()
        .zip(actual.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or_else(|| expected.len().min(actual.len()));
    let start = expected[..common].rfind(' ').map(|i| i + 1).unwrap_or(0);
    let snippet = |s: &str| -> String {
        let tail = s.get(start..).unwrap_or("");
        tail.chars().take(60).collect()
    };
    format!(
        "differs at `{}` vs `{}`",
        snippet(expected),
        snippet(actual)
    )
}

#[cfg(test)]
mod tests {
    use super::first_difference;

    #[test]
    fn first_difference_points_at_the_differing_word() {
        let d = first_difference("node ReluBackward0 seq=2", "node ReluBackward1 seq=2");
        assert_eq!(
            d,
            "differs at `ReluBackward0 seq=2` vs `ReluBackward1 seq=2`"
        );
    }
}
