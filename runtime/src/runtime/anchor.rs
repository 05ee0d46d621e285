//! Putting recorded values into the runtime's tensors (anchored replay).
//!
//! A replay that runs every top-level operator on PyTorch's recorded input
//! values, instead of the values the runtime computed itself, makes each
//! operator's value check local: float drift cannot accumulate over a long
//! run. [`overwrite_values`] is the one primitive it needs. It is not an
//! operator: nothing is recorded, no version counter moves and autograd does
//! not see it, exactly as if the runtime had computed those values in the
//! first place. Operators the engine runs inside backward nodes are not
//! called by the replayer; a [`NodeAnchor`] the replayer installs is asked
//! for their inputs just before each of their kernels runs.

use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;

use super::Runtime;

const OP: &str = "overwrite_values";

/// Anchors the inputs of operators the engine runs inside backward nodes.
pub trait NodeAnchor {
    /// Called just before the CPU kernel of `op` runs inside a backward node,
    /// with the call's tensor arguments in argument order; may put recorded
    /// values into them with [`overwrite_values`].
    fn anchor_inputs(&mut self, op: &str, inputs: &[&Tensor]);
}

impl Runtime {
    /// Installs `anchor` for the operators backward nodes run (anchored
    /// replay).
    pub fn set_node_anchor(&mut self, anchor: Box<dyn NodeAnchor>) {
        self.node_anchor = Some(anchor);
    }
}

/// Replaces the elements of `t` (through its strides, so aliases see them)
/// with `data`: the little-endian bytes of `dtype` elements in logical C
/// order, as a trace stores a value. The dtype and element count must be
/// `t`'s.
pub fn overwrite_values(t: &Tensor, dtype: &str, data: &[u8]) -> Result<()> {
    if dtype != t.dtype().name() {
        return Err(RuntimeError::shape(
            OP,
            format!("a {dtype} value cannot overwrite a {} tensor", t.dtype()),
        ));
    }
    if !t.has_data() {
        return Ok(());
    }
    let expected_len = t.numel() * t.dtype().element_size();
    if data.len() != expected_len {
        return Err(RuntimeError::shape(
            OP,
            format!(
                "{} bytes recorded for shape {:?} of {dtype} ({expected_len} expected)",
                data.len(),
                t.shape()
            ),
        ));
    }
    let recorded = Tensor::from_le_bytes_storage(
        OP,
        t.dtype(),
        data,
        t.shape(),
        &crate::tensor::strides::contiguous_strides(t.shape()),
        0,
    )?;
    if t.dtype().is_integral(true) {
        t.write_i64(OP, &recorded.read_i64(OP)?)
    } else {
        t.write_f64(OP, &recorded.read_f64(OP)?)
    }
}
