//! Value policy `stats`: what is kept of a tensor value instead of its bytes
//! ([`StatsRecord`]), and how a full value is judged against it.
//!
//! A STATS record holds the value's digest, its non-finite count, the
//! min/max/mean/2-norm of its finite elements (read as float64) and up to
//! [`SAMPLES`] elements at fixed, evenly spaced flat indices. Judging a full
//! value against it checks only conditions that element-wise closeness
//! (`|a − e| ≤ atol + rtol·|e|` for every element, `assert_close`'s rule)
//! implies, so a value that would pass the full check never fails here:
//!
//! * equal shape, dtype and non-finite count;
//! * every sampled element, by the element-wise rule;
//! * min, max and mean within `atol + rtol·M` (M: the largest finite
//!   magnitude, max(|min|, |max|)), the 2-norm within `√n·(atol + rtol·M)`.
//!
//! What it cannot prove: that the unsampled elements match (an error that
//! moves no statistic beyond its bound passes), nor where the worst element
//! is. Equal digests still prove bitwise equality.

use crate::format::StatsRecord;
use crate::hash::blob_digest;
use crate::tensor_bytes::to_f64;

/// Elements sampled per value (fewer when it has fewer).
pub const SAMPLES: u64 = 16;

/// The flat indices sampled from a value of `numel` elements:
/// `⌊i·numel / k⌋` for `i` in `0..k`, `k = min(numel, SAMPLES)`.
pub fn sample_indices(numel: u64) -> Vec<u64> {
    let k = numel.min(SAMPLES);
    (0..k)
        .map(|i| ((u128::from(i) * u128::from(numel)) / u128::from(k)) as u64)
        .collect()
}

/// The STATS record of a value (`data` in logical C order, little-endian);
/// `None` for a dtype whose elements cannot be read as numbers.
pub fn compute(dtype: &str, shape: &[i64], data: &[u8]) -> Option<StatsRecord> {
    let values = to_f64(dtype, data)?;
    let mut nonfinite = 0u64;
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut sum, mut squares, mut finite) = (0.0f64, 0.0f64, 0u64);
    for &v in &values {
        if !v.is_finite() {
            nonfinite += 1;
            continue;
        }
        min = min.min(v);
        max = max.max(v);
        sum += v;
        squares += v * v;
        finite += 1;
    }
    let some = |x: f64| (finite > 0).then_some(x);
    let samples = sample_indices(values.len() as u64)
        .into_iter()
        .filter_map(|i| values.get(i as usize).map(|&v| (i, v)))
        .collect();
    Some(StatsRecord {
        digest: blob_digest(dtype, shape, data),
        dtype: dtype.to_owned(),
        shape: shape.to_vec(),
        nonfinite,
        min: some(min),
        max: some(max),
        mean: some(sum / finite.max(1) as f64),
        norm: some(squares.sqrt()),
        samples,
    })
}

/// Why a STATS record is not self-consistent, if it is not: a negative
/// size, more non-finite elements than elements, statistics present
/// exactly when finite elements exist, the sampled indices of its size.
pub fn check_record(record: &StatsRecord) -> Result<(), String> {
    let mut numel: u64 = 1;
    for &d in &record.shape {
        let d = u64::try_from(d).map_err(|_| format!("negative size {d} in shape"))?;
        numel = numel
            .checked_mul(d)
            .ok_or_else(|| "shape overflows".to_string())?;
    }
    if record.nonfinite > numel {
        return Err(format!(
            "{} non-finite elements of {numel}",
            record.nonfinite
        ));
    }
    let has_finite = record.nonfinite < numel;
    let present = [record.min, record.max, record.mean, record.norm]
        .iter()
        .filter(|s| s.is_some())
        .count();
    if present != if has_finite { 4 } else { 0 } {
        return Err(format!(
            "{present} of min/max/mean/norm present with {} finite elements",
            numel - record.nonfinite
        ));
    }
    let indices: Vec<u64> = record.samples.iter().map(|(i, _)| *i).collect();
    if indices != sample_indices(numel) {
        return Err(format!(
            "sampled indices {indices:?} are not those of {numel} elements"
        ));
    }
    Ok(())
}

/// How a full value compares with a STATS record.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StatsErrors {
    /// Largest absolute error over the samples and statistics.
    pub max_abs: f64,
    /// Largest relative error over the samples and statistics.
    pub max_rel: f64,
    /// Checks out of tolerance (samples, statistics, counts).
    pub bad: usize,
    /// Checks made.
    pub checks: usize,
    /// Pairs that are both NaN but differ in sign or payload (equal as
    /// values, not as bits).
    pub nan_bits: usize,
    /// Pairs that are zeros of opposite signs (equal as values, not as bits).
    pub zero_signs: usize,
}

impl StatsErrors {
    /// Counts one comparison of `actual` with `expected` (out of tolerance
    /// when further apart than `bound`): NaN equals NaN, an infinity must be
    /// matched exactly, the largest absolute and relative errors are kept.
    pub fn check(&mut self, expected: f64, actual: f64, bound: f64) {
        self.checks += 1;
        if expected.is_nan() && actual.is_nan() {
            if expected.to_bits() != actual.to_bits() {
                self.nan_bits += 1;
            }
            return;
        }
        if expected.is_infinite() || actual.is_infinite() {
            if expected != actual {
                self.bad += 1;
                self.max_abs = f64::INFINITY;
            }
            return;
        }
        let diff = (actual - expected).abs();
        if diff.is_nan() {
            self.bad += 1;
            self.max_abs = f64::INFINITY;
            return;
        }
        if diff == 0.0 && expected.to_bits() != actual.to_bits() {
            self.zero_signs += 1;
        }
        self.max_abs = self.max_abs.max(diff);
        if expected != 0.0 {
            self.max_rel = self.max_rel.max(diff / expected.abs());
        }
        if diff > bound {
            self.bad += 1;
        }
    }

    fn fail(&mut self) {
        self.checks += 1;
        self.bad += 1;
        self.max_abs = f64::INFINITY;
        self.max_rel = f64::INFINITY;
    }
}

/// Judges a full value (`dtype`, `shape`, `data`) against `expected` with
/// `assert_close`'s tolerances.
pub fn judge(
    expected: &StatsRecord,
    dtype: &str,
    shape: &[i64],
    data: &[u8],
    rtol: f64,
    atol: f64,
) -> StatsErrors {
    let mut errors = StatsErrors::default();
    let Some(actual) = (expected.dtype == dtype && expected.shape == shape)
        .then(|| compute(dtype, shape, data))
        .flatten()
    else {
        errors.fail();
        return errors;
    };
    if actual.nonfinite != expected.nonfinite {
        errors.fail();
    } else {
        errors.checks += 1;
    }
    for (&(i, e), &(j, a)) in expected.samples.iter().zip(&actual.samples) {
        if i != j {
            errors.fail();
            continue;
        }
        errors.check(e, a, atol + rtol * e.abs());
    }
    let (Some(emin), Some(emax), Some(emean), Some(enorm)) =
        (expected.min, expected.max, expected.mean, expected.norm)
    else {
        return errors;
    };
    let (Some(amin), Some(amax), Some(amean), Some(anorm)) =
        (actual.min, actual.max, actual.mean, actual.norm)
    else {
        errors.fail();
        return errors;
    };
    let bound = atol + rtol * emin.abs().max(emax.abs());
    errors.check(emin, amin, bound);
    errors.check(emax, amax, bound);
    errors.check(emean, amean, bound);
    let numel = expected.shape.iter().product::<i64>().max(0) as f64;
    let finite = (numel - expected.nonfinite as f64).max(0.0);
    errors.check(enorm, anorm, finite.sqrt() * bound);
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor_bytes::f32_to_bytes;

    fn stats_of(values: &[f32]) -> StatsRecord {
        compute("float32", &[values.len() as i64], &f32_to_bytes(values)).expect("ok")
    }

    #[test]
    fn samples_are_evenly_spaced_and_include_the_first() {
        assert_eq!(sample_indices(0), Vec::<u64>::new());
        assert_eq!(sample_indices(3), vec![0, 1, 2]);
        assert_eq!(
            sample_indices(32),
            (0..16).map(|i| i * 2).collect::<Vec<_>>()
        );
        assert_eq!(sample_indices(100)[..3], [0, 6, 12]);
    }

    #[test]
    fn equal_values_with_other_bits_are_counted_not_failed() {
        let negative_nan = f64::from_bits(0xfff8_0000_0000_0000);
        let mut found = StatsErrors::default();
        found.check(f64::NAN, negative_nan, 0.0);
        found.check(f64::NAN, f64::NAN, 0.0);
        found.check(0.0, -0.0, 0.0);
        found.check(1.0, 1.0, 0.0);
        assert_eq!((found.nan_bits, found.zero_signs, found.bad), (1, 1, 0));
        assert_eq!((found.max_abs, found.max_rel), (0.0, 0.0));
    }

    #[test]
    fn statistics_skip_non_finite_elements() {
        let s = stats_of(&[1.0, f32::NAN, -3.0, f32::INFINITY, 4.0]);
        assert_eq!(s.nonfinite, 2);
        assert_eq!((s.min, s.max), (Some(-3.0), Some(4.0)));
        assert_eq!(s.mean, Some(2.0 / 3.0));
        assert_eq!(s.norm, Some(26f64.sqrt()));
        assert_eq!(s.samples.len(), 5);
        check_record(&s).expect("ok");
        let empty = stats_of(&[f32::NAN]);
        assert_eq!((empty.min, empty.norm), (None, None));
        check_record(&empty).expect("ok");
    }

    #[test]
    fn a_value_within_tolerance_passes_and_a_perturbed_one_fails() {
        let expected: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.37).sin()).collect();
        let record = stats_of(&expected);
        let close: Vec<f32> = expected.iter().map(|v| v + 1e-7).collect();
        let ok = judge(
            &record,
            "float32",
            &[1000],
            &f32_to_bytes(&close),
            1.3e-6,
            1e-5,
        );
        assert_eq!(ok.bad, 0, "{ok:?}");
        // One sampled element off.
        let mut sampled = expected.clone();
        sampled[sample_indices(1000)[3] as usize] += 0.01;
        assert!(
            judge(
                &record,
                "float32",
                &[1000],
                &f32_to_bytes(&sampled),
                1.3e-6,
                1e-5
            )
            .bad > 0
        );
        // Every element a little off: the mean moves.
        let shifted: Vec<f32> = expected.iter().map(|v| v + 1e-3).collect();
        assert!(
            judge(
                &record,
                "float32",
                &[1000],
                &f32_to_bytes(&shifted),
                1.3e-6,
                1e-5
            )
            .bad > 0
        );
        // Another shape or dtype is a failure.
        assert!(
            judge(
                &record,
                "float32",
                &[10, 100],
                &f32_to_bytes(&expected),
                1.3e-6,
                1e-5
            )
            .bad > 0
        );
    }

    #[test]
    fn inconsistent_records_are_refused() {
        let mut s = stats_of(&[1.0, 2.0]);
        s.samples.pop();
        assert!(
            check_record(&s)
                .expect_err("refused")
                .contains("sampled indices")
        );
        let mut s = stats_of(&[1.0, 2.0]);
        s.nonfinite = 3;
        assert!(check_record(&s).is_err());
        let mut s = stats_of(&[1.0, 2.0]);
        s.mean = None;
        assert!(check_record(&s).is_err());
    }
}
