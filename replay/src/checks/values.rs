//! Value comparison with `torch.testing.assert_close`-style tolerances.
//!
//! An element passes when `|actual − expected| ≤ atol + rtol·|expected|`
//! (NaN equals NaN, infinities must match exactly); for complex values, as
//! `assert_close` does, `|·|` is the modulus of the complex difference and
//! of the expected value. Bit-identical blobs are
//! recognised by digest without decoding. A failing tensor is a **local**
//! drift when every input of the op producing it agrees within tolerance —
//! the op itself is wrong — and **propagated** when some input already
//! differed.

use std::borrow::Cow;

use ft_trace::value::Tensors;
use ft_trace::{AutogradEvent, Digest, DispatchEvent, EventBody, OpCall, TensorRef, Value};

use super::accumulation;
use crate::precision::Precision;
use crate::report::{ValueFailure, ValueSummary};
use crate::trace_data::TraceView;

/// Relative and absolute tolerance for one dtype.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
}

/// Dtypes a `--tol` override may name: those whose values are compared.
pub const TOLERANCE_DTYPES: &[&str] = &[
    "float64",
    "float32",
    "float16",
    "bfloat16",
    "complex128",
    "complex64",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
];

/// Tolerances per dtype, defaulting to `torch.testing.assert_close`'s.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tolerances {
    /// When set, used for every dtype without an override.
    pub overall: Option<Tolerance>,
    /// Per-dtype overrides (`--tol float16=1e-3,1e-5`), ahead of `overall`.
    pub per_dtype: std::collections::BTreeMap<String, Tolerance>,
}

impl Tolerances {
    /// `assert_close` defaults, or one tolerance for all dtypes. A bound
    /// given alone leaves the other at 0 (the command line refuses that).
    pub fn new(rtol: Option<f64>, atol: Option<f64>) -> Tolerances {
        let overall = match (rtol, atol) {
            (None, None) => None,
            (r, a) => Some(Tolerance {
                rtol: r.unwrap_or(0.0),
                atol: a.unwrap_or(0.0),
            }),
        };
        Tolerances {
            overall,
            per_dtype: Default::default(),
        }
    }

    /// These tolerances with `tol` for `dtype` (replacing an earlier override).
    pub fn with_dtype(mut self, dtype: &str, tol: Tolerance) -> Tolerances {
        self.per_dtype.insert(dtype.to_owned(), tol);
        self
    }

    /// The tolerance for a dtype: its override, else the overall one, else
    /// `assert_close`'s default.
    pub fn for_dtype(&self, dtype: &str) -> Tolerance {
        if let Some(&t) = self.per_dtype.get(dtype) {
            return t;
        }
        if let Some(t) = self.overall {
            return t;
        }
        let (rtol, atol) = match dtype {
            "float64" | "complex128" => (1e-7, 1e-7),
            "float16" => (1e-3, 1e-5),
            "bfloat16" => (1.6e-2, 1e-5),
            "float32" | "complex64" => (1.3e-6, 1e-5),
            _ => (0.0, 0.0), // integers and bool compare exactly
        };
        Tolerance { rtol, atol }
    }

    /// Description for reports.
    pub fn describe(&self) -> String {
        let mut text = match self.overall {
            Some(t) => format!("rtol {:e}, atol {:e}", t.rtol, t.atol),
            None => "assert_close defaults: float32 rtol 1.3e-6 atol 1e-5".into(),
        };
        for (dtype, t) in &self.per_dtype {
            text.push_str(&format!("; {dtype} rtol {:e}, atol {:e}", t.rtol, t.atol));
        }
        text
    }
}

/// Errors between two value vectors.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Errors {
    /// Largest absolute error.
    pub max_abs: f64,
    /// Largest relative error (|a−e| / |e|, over elements with e ≠ 0).
    pub max_rel: f64,
    /// Elements out of tolerance.
    pub bad: usize,
    /// Elements that are NaN on both sides with another sign or payload.
    pub nan_bits: usize,
    /// Elements that are zeros of opposite signs.
    pub zero_signs: usize,
}

impl From<ft_trace::value_stats::StatsErrors> for Errors {
    fn from(found: ft_trace::value_stats::StatsErrors) -> Errors {
        Errors {
            max_abs: found.max_abs,
            max_rel: found.max_rel,
            bad: found.bad,
            nan_bits: found.nan_bits,
            zero_signs: found.zero_signs,
        }
    }
}

impl Errors {
    /// Whether the values are equal element by element and differ only in
    /// bits no comparison of values sees: NaN signs and payloads, the signs
    /// of zeros.
    pub fn equal_as_values(&self) -> bool {
        self.bad == 0
            && self.max_abs == 0.0
            && self.max_rel == 0.0
            && self.nan_bits + self.zero_signs > 0
    }
}

/// Compares element-wise.
pub fn errors(expected: &[f64], actual: &[f64], tol: Tolerance) -> Errors {
    if expected.len() != actual.len() {
        return Errors {
            max_abs: f64::INFINITY,
            max_rel: f64::INFINITY,
            bad: expected.len().max(actual.len()),
            ..Errors::default()
        };
    }
    let mut found = ft_trace::value_stats::StatsErrors::default();
    for (&e, &a) in expected.iter().zip(actual) {
        found.check(e, a, tol.atol + tol.rtol * e.abs());
    }
    found.into()
}

/// Compares values of `dtype`: element-wise, or for a complex dtype
/// (interleaved parts) by the modulus of each complex difference.
pub fn errors_of(dtype: &str, expected: &[f64], actual: &[f64], tol: Tolerance) -> Errors {
    if !matches!(dtype, "complex64" | "complex128") || expected.len() != actual.len() {
        return errors(expected, actual, tol);
    }
    let mut found = ft_trace::value_stats::StatsErrors::default();
    for (e, a) in expected.chunks_exact(2).zip(actual.chunks_exact(2)) {
        let (er, ei, ar, ai) = (e[0], e[1], a[0], a[1]);
        if [er, ei, ar, ai].iter().any(|v| !v.is_finite()) {
            // NaN and infinity rules part by part
            found.check(er, ar, tol.atol + tol.rtol * er.abs());
            found.check(ei, ai, tol.atol + tol.rtol * ei.abs());
            continue;
        }
        let modulus = er.hypot(ei);
        // the distance as a real difference from a point at `modulus`
        found.check(
            modulus,
            modulus + (ar - er).hypot(ai - ei),
            tol.atol + tol.rtol * modulus,
        );
    }
    found.into()
}

/// Compares two stored int64 values exactly, element by element: an f64
/// cannot tell int64 values beyond 2^53 apart (`2^60` and `2^60 + 1`), and
/// integers have no tolerance. `None` for any other dtype pair or when the
/// byte lengths differ (the f64 comparison then judges).
pub fn exact_int64_errors(
    expected_dtype: &str,
    expected: &[u8],
    actual_dtype: &str,
    actual: &[u8],
) -> Option<Errors> {
    if expected_dtype != "int64" || actual_dtype != "int64" || expected.len() != actual.len() {
        return None;
    }
    let read = |b: &[u8]| i64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    let mut found = Errors::default();
    for (e, a) in expected.chunks_exact(8).zip(actual.chunks_exact(8)) {
        let (e, a) = (read(e), read(a));
        if e == a {
            continue;
        }
        let diff = (i128::from(a) - i128::from(e)).unsigned_abs() as f64;
        found.bad += 1;
        found.max_abs = found.max_abs.max(diff);
        if e != 0 {
            found.max_rel = found.max_rel.max(diff / e.unsigned_abs() as f64);
        }
    }
    Some(found)
}

/// What judges a value: the tolerances, and the precision each value was
/// computed in (see [`crate::precision`]).
#[derive(Clone, Copy, Debug)]
pub struct Judging<'a> {
    /// Tolerances per dtype.
    pub tolerances: &'a Tolerances,
    /// The dtype whose tolerance applies to each of PyTorch's tensor versions.
    pub precision: &'a Precision,
}

impl Judging<'_> {
    /// The tolerances as reports print them, saying when some values are
    /// judged by the precision they were computed in.
    pub fn describe(&self) -> String {
        let mut text = self.tolerances.describe();
        let inherited = self.precision.inherited_count();
        if inherited > 0 {
            text.push_str(&format!(
                "; {inherited} values computed from a lower-precision dtype judged at its tolerance"
            ));
        }
        text
    }
}

/// Outcome of comparing two stored values.
enum Comparison {
    Identical,
    Compared {
        errors: Errors,
        numel: usize,
        /// Checks made against PyTorch's statistics (policy `stats`).
        stats_checks: Option<usize>,
    },
    Skipped,
    /// The runtime's value was produced but its bytes were not kept
    /// (memory budget of a long replay).
    NotRetained,
}

fn compare_digests(
    expected: &TraceView<'_>,
    actual: &TraceView<'_>,
    e: Option<Digest>,
    a: Option<Digest>,
    judging: &Judging<'_>,
    at: (u64, u64),
) -> Comparison {
    let tol = judging.tolerances;
    let (Some(e), Some(a)) = (e, a) else {
        return Comparison::Skipped;
    };
    if e == a {
        return Comparison::Identical;
    }
    let produced = &actual.data.produced;
    if produced.tolerances.as_ref() == Some(tol)
        && let Some(judged) = produced.judged.get(&(e, a))
    {
        return Comparison::Compared {
            errors: judged.errors,
            numel: judged.numel,
            stats_checks: judged.stats_checks,
        };
    }
    if produced.dropped.contains(&a) && !actual.data.blobs.contains(&a) {
        return Comparison::NotRetained;
    }
    let (Some((stored, ev)), Some((_, av))) = (expected.data.values(&e), actual.data.values(&a))
    else {
        return Comparison::Skipped;
    };
    let dtype = judging.precision.tolerance_dtype(at.0, at.1, &stored);
    let exact = match (expected.data.blobs.get(&e), actual.data.blobs.get(&a)) {
        (Some(eb), Some(ab)) => exact_int64_errors(&eb.dtype, &eb.data, &ab.dtype, &ab.data),
        _ => None,
    };
    let errors = exact.unwrap_or_else(|| errors_of(&stored, &ev, &av, tol.for_dtype(dtype)));
    Comparison::Compared {
        errors,
        numel: ev.len(),
        stats_checks: None,
    }
}

/// Whether the value of an input agrees between the runs, each at the event
/// (`seqs`) that used it.
fn input_agrees(
    expected: &TraceView<'_>,
    actual: &TraceView<'_>,
    (exp_seq, act_seq): (u64, u64),
    (e, a): (&TensorRef, &TensorRef),
    judging: &Judging<'_>,
) -> Option<bool> {
    let ed = expected.value_at(e.id, e.version, exp_seq);
    let ad = actual.value_at(a.id, a.version, act_seq);
    match compare_digests(expected, actual, ed, ad, judging, (e.id, e.version)) {
        Comparison::Identical => Some(true),
        Comparison::Compared { errors, .. } => Some(errors.bad == 0),
        Comparison::Skipped | Comparison::NotRetained => None,
    }
}

/// The tensors whose values are compared: the outputs, then each sparse
/// COO output's indices (int64, compared exactly) and values (within the
/// dtype's tolerance), entry by entry in the recorded order, and each
/// nested output's buffer. A sparse or nested tensor's own reference
/// carries no digest (FORMAT §3.1).
fn with_sparse_parts(outs: Tensors<'_>) -> Tensors<'_> {
    let mut all = outs.clone();
    for &t in &outs {
        if let Some(parts) = &t.sparse {
            all.push(&parts.indices);
            all.push(&parts.values);
        }
        if let Some(parts) = &t.nested {
            all.push(&parts.buffer);
        }
    }
    all
}

/// Compares outputs of aligned op events and gradients of aligned accumulate events.
pub fn compare(
    expected: &TraceView<'_>,
    actual: &TraceView<'_>,
    mut pairs: Vec<(usize, usize)>,
    judging: &Judging<'_>,
) -> ValueSummary {
    pairs.sort_unstable();
    let mut summary = ValueSummary {
        tolerance: judging.describe(),
        ..ValueSummary::default()
    };
    let mut rooms = accumulation::ViewRooms::default();
    for (e, a) in pairs {
        let (Some(ee), Some(ae)) = (expected.data.events.get(e), actual.data.events.get(a)) else {
            continue;
        };
        let (name, exp_outs, act_outs): (Cow<'_, str>, Tensors<'_>, Tensors<'_>) =
            match (&ee.body, &ae.body) {
                (
                    EventBody::Dispatch(DispatchEvent::Op(eo)),
                    EventBody::Dispatch(DispatchEvent::Op(ao)),
                ) => (
                    Cow::Borrowed(eo.op.as_str()),
                    eo.outputs.iter().flat_map(|v| v.tensors()).collect(),
                    ao.outputs.iter().flat_map(|v| v.tensors()).collect(),
                ),
                (
                    EventBody::Autograd(AutogradEvent::Accumulate(ea)),
                    EventBody::Autograd(AutogradEvent::Accumulate(aa)),
                ) => (
                    Cow::Owned(format!("accumulate into T{}", ea.tensor)),
                    std::iter::once(&*ea.grad).collect(),
                    std::iter::once(&*aa.grad).collect(),
                ),
                _ => continue,
            };
        let (exp_outs, act_outs) = (with_sparse_parts(exp_outs), with_sparse_parts(act_outs));
        // The tensor arguments, wanted only to say how a failure drifted.
        let inputs = || -> (Vec<&TensorRef>, Vec<&TensorRef>) {
            match (&ee.body, &ae.body) {
                (
                    EventBody::Dispatch(DispatchEvent::Op(eo)),
                    EventBody::Dispatch(DispatchEvent::Op(ao)),
                ) => (
                    eo.args.iter().flat_map(|(_, v)| v.tensors()).collect(),
                    ao.args.iter().flat_map(|(_, v)| v.tensors()).collect(),
                ),
                _ => (Vec::new(), Vec::new()),
            }
        };
        for (k, (eo, ao)) in exp_outs.iter().zip(&act_outs).enumerate() {
            // Opaque scratch (ft_trace::op_class::OPAQUE_OUTPUTS, e.g.
            // oneDNN's LSTM workspace) is never compared, even when an older
            // capture recorded its bytes. Those operators return no lists, so
            // the flattened index is the output index.
            if ft_trace::op_class::opaque_output(&name, k).is_some() {
                summary.skipped += 1;
                continue;
            }
            let at = (eo.id, eo.version);
            match compare_digests(expected, actual, eo.value, ao.value, judging, at) {
                Comparison::Skipped => summary.skipped += 1,
                Comparison::NotRetained => summary.not_retained += 1,
                Comparison::Identical => {
                    summary.compared += 1;
                    summary.identical += 1;
                }
                Comparison::Compared {
                    mut errors,
                    numel,
                    stats_checks,
                } => {
                    summary.compared += 1;
                    if errors.bad > 0 {
                        // A sum's own room, or that of the sums a view shows,
                        // a copy holds or a leaf's `.grad` stores.
                        let room = match &ee.body {
                            EventBody::Dispatch(DispatchEvent::Op(call)) => {
                                if accumulation::reorders(&call.op) {
                                    summation_room(expected, actual, (call, k, ee.seq, ae.seq))
                                } else {
                                    let (ins, _) = inputs();
                                    rooms.of_view(eo, &ins).or_else(|| rooms.of_copy(call, eo))
                                }
                            }
                            EventBody::Autograd(AutogradEvent::Accumulate(_)) => {
                                rooms.of_stored(eo)
                            }
                            _ => None,
                        };
                        if let Some(room) = room
                            && let Some((rejudged, overflowed)) =
                                rejudge(expected, actual, (eo, ao), &room, judging)
                        {
                            if rejudged.bad == 0 {
                                summary.reordered += 1;
                                if overflowed > 0 {
                                    summary.overflowed += 1;
                                }
                                rooms.keep(eo, room);
                            }
                            errors = rejudged;
                        }
                    }
                    summary.max_abs = summary.max_abs.max(errors.max_abs);
                    summary.max_rel = summary.max_rel.max(errors.max_rel);
                    summary.note_inexact(&name, ee.seq, &errors);
                    if errors.bad > 0 {
                        let (exp_ins, act_ins) = inputs();
                        let drift = drift_of(
                            expected,
                            actual,
                            (ee.seq, ae.seq),
                            (&exp_ins, &act_ins),
                            judging,
                        );
                        summary.failures.push(ValueFailure {
                            op: name.to_string(),
                            output: k,
                            expected_seq: ee.seq,
                            actual_seq: ae.seq,
                            max_abs: errors.max_abs,
                            max_rel: errors.max_rel,
                            bad_elements: errors.bad,
                            numel,
                            stats_checks,
                            drift,
                        });
                    }
                }
            }
        }
        if let (
            EventBody::Dispatch(DispatchEvent::Op(eo)),
            EventBody::Dispatch(DispatchEvent::Op(ao)),
        ) = (&ee.body, &ae.body)
        {
            let drift = || {
                let (exp_ins, act_ins) = inputs();
                drift_of(
                    expected,
                    actual,
                    (ee.seq, ae.seq),
                    (&exp_ins, &act_ins),
                    judging,
                )
            };
            compare_numbers(eo, ao, (ee.seq, ae.seq), judging, drift, &mut summary);
        }
    }
    summary
}

/// The room another summation order gives output `k` of a matrix product
/// or summing reduction ([`accumulation::slack`]), from PyTorch's inputs
/// where its trace holds them, else the runtime's (they agree within
/// tolerance, or the failure is propagated anyway).
fn summation_room(
    expected: &TraceView<'_>,
    actual: &TraceView<'_>,
    (call, k, exp_seq, act_seq): (&OpCall, usize, u64, u64),
) -> Option<Vec<f64>> {
    accumulation::slack(call, k, |t| {
        let digest = expected.value_at(t.id, t.version, exp_seq);
        digest
            .and_then(|d| expected.data.values(&d))
            .or_else(|| {
                let digest = actual.value_at(t.id, t.version, act_seq)?;
                actual.data.values(&digest)
            })
            .map(|(_, v)| v)
    })
}

/// The errors of an output judged with `room` per element on top of the
/// dtype's tolerance, and how many elements were excused as a sum one
/// order may overflow ([`accumulation::may_overflow`]); `None` when either output's elements are not at hand
/// (the runtime's bytes dropped from a long replay's budget).
fn rejudge(
    expected: &TraceView<'_>,
    actual: &TraceView<'_>,
    (eo, ao): (&TensorRef, &TensorRef),
    room: &[f64],
    judging: &Judging<'_>,
) -> Option<(Errors, usize)> {
    let (dtype, ev) = expected.data.values(&eo.value?)?;
    let (_, av) = actual.data.values(&ao.value?)?;
    // A complex element is two parts, judged by the modulus of its
    // difference as [`errors_of`] does.
    let parts = if matches!(dtype.as_str(), "complex64" | "complex128") {
        2
    } else {
        1
    };
    if ev.len() != parts * room.len() || av.len() != parts * room.len() {
        return None;
    }
    let tol = judging
        .tolerances
        .for_dtype(judging.precision.tolerance_dtype(eo.id, eo.version, &dtype));
    let mut found = ft_trace::value_stats::StatsErrors::default();
    let mut overflowed = 0;
    for ((e, a), r) in ev.chunks_exact(parts).zip(av.chunks_exact(parts)).zip(room) {
        // A sum some order may overflow: a non-finite result on either
        // side is excused, finite ones are held to the room.
        let nonfinite = e.iter().chain(a).any(|v| !v.is_finite());
        if accumulation::may_overflow(*r) && nonfinite {
            if e.iter()
                .zip(a)
                .any(|(x, y)| x != y && !(x.is_nan() && y.is_nan()))
            {
                overflowed += 1;
            }
            continue;
        }
        let r = &r.abs();
        match (e, a) {
            (&[er, ei], &[ar, ai]) if [er, ei, ar, ai].iter().all(|v| v.is_finite()) => {
                let modulus = er.hypot(ei);
                let within = tol.atol + tol.rtol * modulus + r;
                found.check(modulus, modulus + (ar - er).hypot(ai - ei), within);
            }
            _ => {
                for (&e, &a) in e.iter().zip(a) {
                    found.check(e, a, tol.atol + tol.rtol * e.abs() + r);
                }
            }
        }
    }
    Some((found.into(), overflowed))
}

/// `local` when every input agrees, `propagated` when one differs; the
/// inputs' values are those in force when each run's op (`seqs`) ran.
fn drift_of(
    expected: &TraceView<'_>,
    actual: &TraceView<'_>,
    seqs: (u64, u64),
    (exp_ins, act_ins): (&[&TensorRef], &[&TensorRef]),
    judging: &Judging<'_>,
) -> &'static str {
    let agreement: Vec<Option<bool>> = exp_ins
        .iter()
        .zip(act_ins)
        .map(|(ei, ai)| input_agrees(expected, actual, seqs, (ei, ai), judging))
        .collect();
    if agreement.contains(&Some(false)) {
        "propagated"
    } else if agreement.iter().all(|x| *x == Some(true)) {
        "local"
    } else {
        "unknown"
    }
}

/// Compares the Python-float and Python-complex results of an op
/// (`Tensor.item()`'s `_local_scalar_dense`) within the tolerance of the dtype of the op's
/// first tensor argument: the number is that tensor's element, so it may
/// differ by the same rounding. (The dispatch key records only that the
/// result is a float.)
fn compare_numbers(
    eo: &OpCall,
    ao: &OpCall,
    (expected_seq, actual_seq): (u64, u64),
    judging: &Judging<'_>,
    drift: impl Fn() -> &'static str,
    summary: &mut ValueSummary,
) {
    let dtype = eo
        .args
        .iter()
        .flat_map(|(_, v)| v.tensors())
        .next()
        .map_or("float64", |t| {
            judging.precision.tolerance_dtype(t.id, t.version, &t.dtype)
        });
    for (k, (ev, av)) in eo.outputs.iter().zip(&ao.outputs).enumerate() {
        let (e, a): (&[f64], &[f64]) = match (ev, av) {
            (Value::Float(e), Value::Float(a)) => {
                (std::slice::from_ref(e), std::slice::from_ref(a))
            }
            (Value::Complex { re: er, im: ei }, Value::Complex { re: ar, im: ai }) => {
                (&[*er, *ei], &[*ar, *ai])
            }
            _ => continue,
        };
        summary.compared += 1;
        if e.iter().zip(a).all(|(x, y)| x.to_bits() == y.to_bits()) {
            summary.identical += 1;
            continue;
        }
        // A Python complex (`item()` of a complex tensor) is judged as a
        // complex element of its tensor's dtype.
        let errors = if e.len() == 2 {
            let dtype = match dtype {
                "float32" => "complex64",
                "float64" => "complex128",
                other => other,
            };
            errors_of(dtype, e, a, judging.tolerances.for_dtype(dtype))
        } else {
            errors(e, a, judging.tolerances.for_dtype(dtype))
        };
        summary.max_abs = summary.max_abs.max(errors.max_abs);
        summary.max_rel = summary.max_rel.max(errors.max_rel);
        if errors.bad > 0 {
            summary.failures.push(ValueFailure {
                op: eo.op.to_string(),
                output: k,
                expected_seq,
                actual_seq,
                max_abs: errors.max_abs,
                max_rel: errors.max_rel,
                bad_elements: errors.bad,
                numel: 1,
                stats_checks: None,
                drift: drift(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_values_beyond_two_to_the_53_are_compared_exactly() {
        let bytes = |v: &[i64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let e = bytes(&[1 << 60, -(1 << 62) - 3, 7]);
        let a = bytes(&[(1 << 60) + 1, -(1 << 62) - 3, 7]);
        // As doubles the two are equal: the f64 comparison cannot see it.
        let as_f64 = |b: &[u8]| ft_trace::tensor_bytes::to_f64("int64", b).expect("int64");
        assert_eq!(as_f64(&e), as_f64(&a));
        let found = exact_int64_errors("int64", &e, "int64", &a).expect("int64 pair");
        assert_eq!(found.bad, 1);
        assert_eq!(found.max_abs, 1.0);
        assert!(exact_int64_errors("int64", &e, "int64", &e).is_some_and(|f| f.bad == 0));
        assert!(exact_int64_errors("float64", &e, "float64", &a).is_none());
    }

    #[test]
    fn assert_close_rule() {
        let tol = Tolerances::new(None, None).for_dtype("float32");
        // atol dominates near zero
        assert_eq!(errors(&[0.0], &[9e-6], tol).bad, 0);
        assert_eq!(errors(&[0.0], &[2e-5], tol).bad, 1);
        // rtol scales with |expected|
        assert_eq!(errors(&[1000.0], &[1000.001], tol).bad, 0);
        assert_eq!(errors(&[1000.0], &[1000.02], tol).bad, 1);
    }

    #[test]
    fn nan_equals_nan_and_infinities_must_match() {
        let tol = Tolerances::new(None, None).for_dtype("float32");
        assert_eq!(errors(&[f64::NAN], &[f64::NAN], tol).bad, 0);
        assert_eq!(errors(&[1.0], &[f64::NAN], tol).bad, 1);
        assert_eq!(errors(&[f64::INFINITY], &[f64::INFINITY], tol).bad, 0);
        assert_eq!(errors(&[f64::INFINITY], &[f64::NEG_INFINITY], tol).bad, 1);
    }

    #[test]
    fn overrides_apply_to_every_dtype() {
        let t = Tolerances::new(Some(0.1), None);
        assert_eq!(
            t.for_dtype("float64"),
            Tolerance {
                rtol: 0.1,
                atol: 0.0
            }
        );
        assert_eq!(Tolerances::new(None, None).for_dtype("int64").rtol, 0.0);
    }

    #[test]
    fn length_mismatch_is_total_failure() {
        let tol = Tolerances::new(None, None).for_dtype("float32");
        assert!(errors(&[1.0, 2.0], &[1.0], tol).bad > 0);
    }
}
