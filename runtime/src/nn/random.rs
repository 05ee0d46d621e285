//! PyTorch's random values, taken from a recording.
//!
//! The runtime does not reimplement PyTorch's Mersenne Twister and
//! Philox streams. A native program that must reproduce a PyTorch run —
//! the same initial parameters, the same `randn` data, the same dropout
//! masks — reads the outputs of the random operators its PyTorch twin
//! called, in call order, from the twin's trace (captured with `--values
//! all` or `inputs`), and queues them in the runtime before it starts
//! ([`RecordedRandom::install`]). The runtime then takes one batch per
//! random operator, checks its size, and — installed this way — refuses
//! any random draw beyond the recording instead of inventing values. The
//! program must call the random operators in the twin's order: a draw of
//! another size fails with the operator's name, and the diff against the
//! twin names any other difference.

use std::path::Path;

use ft_trace::{Context, DispatchEvent, EventBody, TraceReader};

use super::state::NnError;
use crate::runtime::Runtime;

/// One random operator's recorded output.
#[derive(Clone, Debug)]
struct Draw {
    op: String,
    dtype: String,
    data: Vec<u8>,
}

/// The outputs of the random operators of a PyTorch recording, in order.
#[derive(Clone, Debug, Default)]
pub struct RecordedRandom {
    draws: Vec<Draw>,
}

impl RecordedRandom {
    /// Reads every top-level random operator's output (`uniform_`,
    /// `normal_`, `randn`, `randint`, `bernoulli_`, ...) from the trace at
    /// `path`. Fails naming the operator when the trace holds no value for
    /// one (a capture with `--values none`).
    pub fn from_trace(path: &Path) -> Result<RecordedRandom, NnError> {
        let err = |detail: String| NnError::RandomSource {
            path: path.display().to_string(),
            detail,
        };
        let mut reader = TraceReader::open(path).map_err(|e| err(e.to_string()))?;
        let events = reader.read_all().map_err(|e| err(e.to_string()))?;
        let mut draws = Vec::new();
        for event in &events {
            let EventBody::Dispatch(DispatchEvent::Op(op)) = &event.body else {
                continue;
            };
            if op.context != Context::TopLevel || !ft_trace::op_class::is_random(&op.op) {
                continue;
            }
            let Some(out) = op.outputs.iter().flat_map(|v| v.tensors()).next() else {
                continue;
            };
            if out.device == "meta" {
                continue;
            }
            let digest = out.value.ok_or_else(|| {
                err(format!(
                    "{} at seq {} has no recorded output (capture with --values all or inputs)",
                    op.op, event.seq
                ))
            })?;
            let blob = reader
                .blob(&digest)
                .map_err(|e| err(e.to_string()))?
                .ok_or_else(|| {
                    err(format!(
                        "{} at seq {}: value {} is not in the trace",
                        op.op,
                        event.seq,
                        digest.short(16)
                    ))
                })?;
            draws.push(Draw {
                op: op.op.to_string(),
                dtype: blob.dtype,
                data: blob.data,
            });
        }
        Ok(RecordedRandom { draws })
    }

    /// Number of recorded random calls.
    pub fn len(&self) -> usize {
        self.draws.len()
    }

    /// Whether the recording drew nothing.
    pub fn is_empty(&self) -> bool {
        self.draws.is_empty()
    }

    /// The recorded random operators, in order.
    pub fn ops(&self) -> impl Iterator<Item = &str> {
        self.draws.iter().map(|d| d.op.as_str())
    }

    /// Queues every recorded output in `rt`, in order, and makes `rt`
    /// refuse random draws without recorded values.
    pub fn install(&self, rt: &mut Runtime) -> Result<(), NnError> {
        for d in &self.draws {
            rt.provide_random_values(&d.dtype, &d.data)?;
        }
        rt.set_random_values_required(true);
        Ok(())
    }
}
