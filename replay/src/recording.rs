//! The runtime's recording during a replay, kept small enough for long runs.
//!
//! [`Recording`] is the sink the replayed runtime writes to. Events are kept
//! (they are small, and every check needs them). Values are not, in general:
//!
//! * **Judged as produced.** When PyTorch's trace holds a value for the same
//!   tensor id and version — which is every value of a replay whose stream
//!   matches, because both producers number tensors by first appearance —
//!   the runtime's value is compared with it the moment the runtime produces
//!   it, with the tolerances of the diff, and only the verdict is kept
//!   ([`ProducedValues::judged`]). The values check uses the verdict.
//! * **Retained within a budget.** The bytes of recent values are also kept,
//!   up to [`ReplayOptions::value_memory`](crate::executor::ReplayOptions)
//!   bytes, oldest dropped first; a check that needs a dropped value (only
//!   when the streams diverged and ids no longer line up) counts it as not
//!   retained rather than guessing. Values that failed their judgement get
//!   a second allowance of the same size, so a failure can be looked at
//!   again (a sum's room for another summation order) however early it came.
//! * **Recorded only where the diff compares.** Without `--out` the runtime
//!   records values under the PyTorch trace's own value policy (a trace of
//!   inputs only is compared on inputs only); with `--out` every value is
//!   recorded and streamed to the file as it is produced.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;

use ft_trace::writer::FileTraceWriter;
use ft_trace::{
    BlobRecord, Clock, Digest, Event, EventBody, EventSink, TraceError, TraceMeta, TraceSummary,
    ValueKey, ValuePolicy, blob_digest,
};

use crate::blob_store::BlobStore;
use crate::checks::values::{Errors, Tolerance, Tolerances, errors};
use crate::precision::Precision;

/// A comparison made while the runtime produced a value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judged {
    /// The errors against PyTorch's value.
    pub errors: Errors,
    /// Elements in PyTorch's value.
    pub numel: usize,
    /// Checks made when PyTorch's value is known by its statistics.
    pub stats_checks: Option<usize>,
}

/// What a replay learned about values while it ran.
#[derive(Clone, Debug, Default)]
pub struct ProducedValues {
    /// The tolerances the verdicts were made with (a diff with other
    /// tolerances does not use them).
    pub tolerances: Option<Tolerances>,
    /// `(PyTorch digest, runtime digest)` → verdict.
    pub judged: HashMap<(Digest, Digest), Judged>,
    /// Digests of runtime values whose bytes were dropped (memory budget).
    pub dropped: HashSet<Digest>,
    /// The precision rule the verdicts were made with (the diff reuses it
    /// instead of following PyTorch's dataflow a second time).
    pub precision: Option<Precision>,
}

/// PyTorch's values, indexed by tensor, for judging the runtime's as they come.
pub struct Judge {
    /// `(tensor id, version)` → PyTorch's digest.
    pub expected: HashMap<(u64, u64), Digest>,
    /// PyTorch's values.
    pub blobs: BlobStore,
    /// The diff's tolerances.
    pub tolerances: Tolerances,
    /// The precision each of PyTorch's values was computed in.
    pub precision: Precision,
}

impl Judge {
    /// The tolerance for PyTorch's value of tensor version `key`, whose
    /// dtype is `dtype`, by the precision it was computed in.
    fn tolerance(&self, key: ValueKey, dtype: &str) -> Tolerance {
        self.tolerances
            .for_dtype(self.precision.tolerance_dtype(key.id, key.version, dtype))
    }
}

/// The runtime's recording: every event, judged values, recent value bytes.
pub struct Recording {
    policy: ValuePolicy,
    clock: Clock,
    events: Vec<Event>,
    judge: Option<Judge>,
    produced: ProducedValues,
    retained: HashMap<Digest, BlobRecord>,
    retained_order: VecDeque<Digest>,
    retained_bytes: usize,
    budget: usize,
    /// Values that failed their judgement as produced, kept in a second
    /// allowance of `budget` bytes, apart from the recent values, so the diff
    /// can still look at them (`checks::accumulation` re-judges a sum's)
    /// however long ago they were produced. A budget of 0 keeps none.
    failed: HashMap<Digest, BlobRecord>,
    failed_bytes: usize,
    out: Option<FileTraceWriter>,
    out_error: Option<TraceError>,
}

impl Recording {
    /// A recording under `policy`, keeping at most `budget` bytes of values.
    pub fn new(policy: ValuePolicy, timestamps: bool, budget: usize) -> Recording {
        Recording {
            policy,
            clock: Clock::new(timestamps),
            events: Vec::new(),
            judge: None,
            produced: ProducedValues::default(),
            retained: HashMap::new(),
            retained_order: VecDeque::new(),
            retained_bytes: 0,
            budget,
            failed: HashMap::new(),
            failed_bytes: 0,
            out: None,
            out_error: None,
        }
    }

    /// Judges values against PyTorch's as they are produced.
    pub fn judge_with(&mut self, judge: Judge) {
        self.produced.tolerances = Some(judge.tolerances.clone());
        self.produced.precision = Some(judge.precision.clone());
        self.judge = Some(judge);
    }

    /// Also streams the recording to `path` (via `path.partial`).
    pub fn stream_to(&mut self, path: &Path, meta: &TraceMeta) -> Result<(), TraceError> {
        self.out = Some(FileTraceWriter::create(path, meta)?);
        Ok(())
    }

    /// Finishes the streamed file, or returns the first write error.
    pub fn finish_output(&mut self) -> Result<Option<TraceSummary>, TraceError> {
        if let Some(e) = self.out_error.take() {
            return Err(e);
        }
        self.out.take().map(FileTraceWriter::finish).transpose()
    }

    /// Makes room for `additional` more events at once: a replay records
    /// about as many events as PyTorch's trace holds, and a vector grown by
    /// doubling would hold up to twice that (and both copies while it moves).
    pub fn reserve(&mut self, additional: usize) {
        self.events.reserve_exact(additional);
    }

    /// Events recorded so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Forgets every event after the first `len` (values already judged
    /// stay judged: the diff only looks up the events it is given).
    pub fn truncate_events(&mut self, len: usize) {
        self.events.truncate(len);
    }

    /// Takes the recording apart: events, retained values (those that failed
    /// their judgement included), value verdicts.
    pub fn into_parts(mut self) -> (Vec<Event>, HashMap<Digest, BlobRecord>, ProducedValues) {
        for (digest, record) in self.failed {
            self.produced.dropped.remove(&digest);
            self.retained.entry(digest).or_insert(record);
        }
        (self.events, self.retained, self.produced)
    }

    /// Keeps the bytes of a value that failed its judgement, within the
    /// failed values' own allowance (the budget's size again).
    fn keep_failed(&mut self, digest: Digest, dtype: &str, shape: &[i64], data: &[u8]) {
        if self.failed.contains_key(&digest) || self.failed_bytes + data.len() > self.budget {
            return;
        }
        self.failed_bytes += data.len();
        self.failed.insert(
            digest,
            BlobRecord {
                digest,
                dtype: dtype.to_owned(),
                shape: shape.to_vec(),
                data: data.to_vec(),
            },
        );
    }

    fn judge(&mut self, key: ValueKey, digest: Digest, dtype: &str, shape: &[i64], data: &[u8]) {
        let Some(judge) = &self.judge else { return };
        let Some(&expected) = judge.expected.get(&(key.id, key.version)) else {
            return;
        };
        if expected == digest || self.produced.judged.contains_key(&(expected, digest)) {
            return;
        }
        let Some(blob) = judge.blobs.get(&expected) else {
            // Policy `stats`: PyTorch's value is known by its statistics.
            if let Some(stats) = judge.blobs.stats(&expected) {
                let tol = judge.tolerance(key, &stats.dtype);
                let found =
                    ft_trace::value_stats::judge(&stats, dtype, shape, data, tol.rtol, tol.atol);
                let numel = stats.shape.iter().product::<i64>().max(0) as usize;
                let verdict = Judged {
                    errors: found.into(),
                    numel,
                    stats_checks: Some(found.checks),
                };
                self.produced.judged.insert((expected, digest), verdict);
            }
            return;
        };
        let (Some(ev), Some(av)) = (
            ft_trace::tensor_bytes::to_f64(&blob.dtype, &blob.data),
            ft_trace::tensor_bytes::to_f64(dtype, data),
        ) else {
            return;
        };
        let exact = crate::checks::values::exact_int64_errors(&blob.dtype, &blob.data, dtype, data);
        let verdict = Judged {
            errors: exact.unwrap_or_else(|| errors(&ev, &av, judge.tolerance(key, &blob.dtype))),
            numel: ev.len(),
            stats_checks: None,
        };
        self.produced.judged.insert((expected, digest), verdict);
        if verdict.errors.bad > 0 {
            self.keep_failed(digest, dtype, shape, data);
        }
    }

    fn retain(&mut self, digest: Digest, dtype: &str, shape: &[i64], data: &[u8]) {
        if self.retained.contains_key(&digest) {
            return;
        }
        self.produced.dropped.remove(&digest);
        self.retained.insert(
            digest,
            BlobRecord {
                digest,
                dtype: dtype.to_owned(),
                shape: shape.to_vec(),
                data: data.to_vec(),
            },
        );
        self.retained_order.push_back(digest);
        self.retained_bytes += data.len();
        while self.retained_bytes > self.budget {
            let Some(oldest) = self.retained_order.pop_front() else {
                break;
            };
            if let Some(record) = self.retained.remove(&oldest) {
                self.retained_bytes -= record.data.len();
                self.produced.dropped.insert(oldest);
            }
        }
    }
}

impl EventSink for Recording {
    fn record(&mut self, body: EventBody) -> u64 {
        let seq = self.events.len() as u64;
        let ts = self.clock.now();
        if let Some(out) = &mut self.out
            && self.out_error.is_none()
            && let Err(e) = out.writer().append(&body, ts)
        {
            self.out_error = Some(e);
        }
        self.events.push(Event { seq, ts, body });
        seq
    }

    fn put_blob(&mut self, dtype: &str, shape: &[i64], data: &[u8]) -> Option<Digest> {
        if self.policy == ValuePolicy::None {
            return None;
        }
        let digest = blob_digest(dtype, shape, data);
        self.retain(digest, dtype, shape, data);
        if let Some(out) = &mut self.out
            && self.out_error.is_none()
            && let Err(e) = out.writer().put_blob(dtype, shape, data)
        {
            self.out_error = Some(e);
        }
        Some(digest)
    }

    fn put_value(
        &mut self,
        tensor: ValueKey,
        dtype: &str,
        shape: &[i64],
        data: &[u8],
    ) -> Option<Digest> {
        let digest = self.put_blob(dtype, shape, data)?;
        self.judge(tensor, digest, dtype, shape, data);
        Some(digest)
    }

    fn value_policy(&self) -> ValuePolicy {
        self.policy
    }
}
