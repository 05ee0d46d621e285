//! Tensor values: read from the trace's blobs on demand, summarised, cached.
//!
//! A blob is decoded only when an event that names it is selected, and only
//! once: [`ValueCache`] keeps a small [`ValueSummary`] per digest (never the
//! elements themselves), so moving back and forth over the timeline costs
//! nothing after the first visit. Reading goes through [`BlobSource`], which
//! the real [`TraceReader`] implements and tests can fake.

use std::collections::BTreeMap;

use ft_trace::tensor_bytes::{element_size, to_f64};
use ft_trace::{BlobRecord, Digest, TraceError, TraceReader};

/// How many leading elements the details pane shows.
pub const FIRST_ELEMENTS: usize = 6;

/// Blobs with more elements than this are not decoded for statistics (the
/// decoded copy would be 8 bytes per element).
pub const MAX_SUMMARISED: usize = 1 << 24;

/// Where blobs come from.
pub trait BlobSource {
    /// The blob stored under `digest`, `None` when the trace does not hold it.
    fn blob(&mut self, digest: &Digest) -> Result<Option<BlobRecord>, TraceError>;
}

impl BlobSource for TraceReader {
    fn blob(&mut self, digest: &Digest) -> Result<Option<BlobRecord>, TraceError> {
        TraceReader::blob(self, digest)
    }
}

/// Statistics of one stored tensor value.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// dtype of the blob.
    pub dtype: String,
    /// shape of the blob.
    pub shape: Vec<i64>,
    /// Number of elements.
    pub numel: usize,
    /// Smallest finite element, if any.
    pub min: Option<f64>,
    /// Largest finite element, if any.
    pub max: Option<f64>,
    /// Mean of the finite elements, if any.
    pub mean: Option<f64>,
    /// Count of NaN elements.
    pub nan: usize,
    /// Count of infinite elements.
    pub inf: usize,
    /// Population standard deviation of the finite elements, if any.
    pub std: Option<f64>,
    /// Counts of the finite elements in [`HISTOGRAM_BINS`] equal-width bins
    /// from `min` to `max` (all in the first bin when they are equal).
    pub histogram: Vec<usize>,
    /// The first [`FIRST_ELEMENTS`] elements in C order.
    pub first: Vec<f64>,
}

/// What the details pane can say about a value digest.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueSummary {
    /// Decoded.
    Stats(Stats),
    /// The blob is there but its dtype has no numeric decoding here.
    Opaque {
        /// The blob's dtype.
        dtype: String,
        /// Its size in bytes.
        bytes: usize,
    },
    /// The trace does not hold this blob (policy, or cut before it).
    Missing,
    /// Reading the blob failed.
    Unreadable(String),
}

impl ValueSummary {
    /// Summarises a blob record.
    pub fn of_blob(blob: &BlobRecord) -> ValueSummary {
        let too_big =
            element_size(&blob.dtype).is_some_and(|size| blob.data.len() / size > MAX_SUMMARISED);
        if too_big {
            return ValueSummary::Opaque {
                dtype: blob.dtype.clone(),
                bytes: blob.data.len(),
            };
        }
        match to_f64(&blob.dtype, &blob.data) {
            Some(elements) => ValueSummary::Stats(stats(&blob.dtype, &blob.shape, &elements)),
            None => ValueSummary::Opaque {
                dtype: blob.dtype.clone(),
                bytes: blob.data.len(),
            },
        }
    }
}

fn stats(dtype: &str, shape: &[i64], elements: &[f64]) -> Stats {
    let mut min = f64::INFINITY;
    let mut max = f64::NEG_INFINITY;
    let mut sum = 0.0;
    let mut finite = 0usize;
    let (mut nan, mut inf) = (0, 0);
    for &x in elements {
        if x.is_nan() {
            nan += 1;
        } else if x.is_infinite() {
            inf += 1;
        } else {
            min = min.min(x);
            max = max.max(x);
            sum += x;
            finite += 1;
        }
    }
    let some = |v: f64| (finite > 0).then_some(v);
    let mean = sum / finite.max(1) as f64;
    let finite_elements = || elements.iter().copied().filter(|x| x.is_finite());
    let variance = finite_elements()
        .map(|x| (x - mean) * (x - mean))
        .sum::<f64>()
        / finite.max(1) as f64;
    let mut histogram = vec![0; if finite > 0 { HISTOGRAM_BINS } else { 0 }];
    let width = (max - min) / HISTOGRAM_BINS as f64;
    for x in finite_elements() {
        let bin = if width > 0.0 {
            (((x - min) / width) as usize).min(HISTOGRAM_BINS - 1)
        } else {
            0
        };
        histogram[bin] += 1;
    }
    Stats {
        dtype: dtype.to_owned(),
        shape: shape.to_vec(),
        numel: elements.len(),
        min: some(min),
        max: some(max),
        mean: some(mean),
        nan,
        inf,
        std: some(variance.sqrt()),
        histogram,
        first: elements.iter().copied().take(FIRST_ELEMENTS).collect(),
    }
}

/// Bins of [`Stats::histogram`].
pub const HISTOGRAM_BINS: usize = 16;

/// A histogram as one line of block characters, tallest bin `█`.
pub fn sparkline(counts: &[usize]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                ' '
            } else {
                BARS[((c * (BARS.len() - 1)).div_ceil(top)).min(BARS.len() - 1)]
            }
        })
        .collect()
}

/// Summaries of the values read so far, by digest.
#[derive(Clone, Debug, Default)]
pub struct ValueCache {
    entries: BTreeMap<Digest, ValueSummary>,
}

impl ValueCache {
    /// The summary of `digest`, when it was read.
    pub fn get(&self, digest: &Digest) -> Option<&ValueSummary> {
        self.entries.get(digest)
    }

    /// Reads and summarises every digest not cached yet; returns how many
    /// blobs were read.
    pub fn fill(
        &mut self,
        digests: impl IntoIterator<Item = Digest>,
        source: &mut dyn BlobSource,
    ) -> usize {
        let mut read = 0;
        for digest in digests {
            if self.entries.contains_key(&digest) {
                continue;
            }
            let summary = match source.blob(&digest) {
                Ok(Some(blob)) => ValueSummary::of_blob(&blob),
                Ok(None) => ValueSummary::Missing,
                Err(e) => ValueSummary::Unreadable(e.to_string()),
            };
            read += 1;
            self.entries.insert(digest, summary);
        }
        read
    }

    /// Number of cached summaries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was read yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Compact number formatting for the details pane: integers without a
/// fraction, otherwise up to 6 significant digits.
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let magnitude = x.abs();
    if !(1e-4..1e6).contains(&magnitude) {
        return format!("{x:.4e}");
    }
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0');
    text.trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ft_trace::blob_digest;
    use ft_trace::tensor_bytes::f32_to_bytes;

    struct Counting(Vec<BlobRecord>, usize);

    impl BlobSource for Counting {
        fn blob(&mut self, digest: &Digest) -> Result<Option<BlobRecord>, TraceError> {
            self.1 += 1;
            Ok(self.0.iter().find(|b| b.digest == *digest).cloned())
        }
    }

    fn record(values: &[f32]) -> BlobRecord {
        let data = f32_to_bytes(values);
        let shape = vec![values.len() as i64];
        BlobRecord {
            digest: blob_digest("float32", &shape, &data),
            dtype: "float32".into(),
            shape,
            data,
        }
    }

    #[test]
    fn stats_skip_nan_and_inf() {
        let blob = record(&[1.0, f32::NAN, -2.0, f32::INFINITY, 4.0]);
        let ValueSummary::Stats(s) = ValueSummary::of_blob(&blob) else {
            panic!("float32 decodes");
        };
        assert_eq!((s.min, s.max, s.mean), (Some(-2.0), Some(4.0), Some(1.0)));
        assert_eq!((s.nan, s.inf, s.numel), (1, 1, 5));
        assert_eq!(s.first.len(), 5);
        // Finite elements -2, 1, 4: std sqrt(6), one in the first, middle
        // and last bins.
        assert!((s.std.unwrap_or(0.0) - 6f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.histogram.iter().sum::<usize>(), 3);
        assert_eq!((s.histogram[0], s.histogram[HISTOGRAM_BINS - 1]), (1, 1));
    }

    #[test]
    fn the_sparkline_scales_to_the_tallest_bin() {
        assert_eq!(sparkline(&[0, 1, 8, 4]), " ▂█▅");
        assert_eq!(sparkline(&[]), "");
        let blob = record(&[3.0, 3.0]);
        let ValueSummary::Stats(s) = ValueSummary::of_blob(&blob) else {
            panic!("float32 decodes");
        };
        assert_eq!((s.histogram[0], s.std), (2, Some(0.0)));
    }

    #[test]
    fn cache_reads_each_blob_once() {
        let blob = record(&[1.0, 2.0]);
        let digest = blob.digest;
        let mut source = Counting(vec![blob], 0);
        let mut cache = ValueCache::default();
        let missing = Digest::of(b"nope");
        assert_eq!(cache.fill([digest, missing], &mut source), 2);
        assert_eq!(cache.fill([digest, missing], &mut source), 0);
        assert_eq!(source.1, 2);
        assert_eq!(cache.get(&missing), Some(&ValueSummary::Missing));
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-0.25), "-0.25");
        assert_eq!(format_number(0.1f32 as f64), "0.1");
        assert_eq!(format_number(1e-7), "1.0000e-7");
        assert_eq!(format_number(f64::NAN), "nan");
    }
}
