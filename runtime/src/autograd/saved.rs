//! Tensors a node keeps for backward (PyTorch's `SavedVariable`).
//!
//! * A saved **input** keeps the tensor itself; unpacking returns it.
//! * A saved **output** (ReluBackward0 keeps relu's result) cannot keep the
//!   tensor — its `grad_fn` is the saving node, a reference cycle — so it
//!   keeps a history-free copy of the metadata over the same storage and
//!   version counter. Unpacking rebuilds a tensor whose `grad_fn` is the
//!   node, as PyTorch does. The copy shares the output's trace identity:
//!   in the stream it is the same tensor (FORMAT §3.6 rule 6).
//!
//! Unpacking checks the version counter: a saved tensor modified in place
//! since it was saved is an error, and so is unpacking after the graph was
//! freed (`release_variables` after a backward without `retain_graph`).

use std::sync::Arc;

use super::node::Node;
use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;

/// A tensor saved for backward.
pub(crate) struct SavedVariable {
    data: Option<Tensor>,
    saved_version: u64,
    output_nr: Option<u32>,
}

impl SavedVariable {
    /// Saves an input (or any tensor that is not an output of the saving node).
    pub(crate) fn input(t: &Tensor) -> SavedVariable {
        SavedVariable {
            data: Some(t.clone()),
            saved_version: t.version(),
            output_nr: None,
        }
    }

    /// Saves output `output_nr` of the saving node.
    pub(crate) fn output(t: &Tensor, output_nr: u32) -> SavedVariable {
        SavedVariable {
            data: Some(t.saved_output_copy()),
            saved_version: t.version(),
            output_nr: Some(output_nr),
        }
    }

    /// The saved tensor, for `node` (the node that saved it).
    pub(crate) fn unpack(&self, node: &Arc<Node>) -> Result<Tensor> {
        let data = self.data.as_ref().ok_or_else(|| RuntimeError::GraphFreed {
            node: node.name().to_owned(),
        })?;
        let current = data.version();
        if current != self.saved_version {
            return Err(RuntimeError::SavedTensorModified {
                node: node.name().to_owned(),
                saved: self.saved_version,
                current,
            });
        }
        Ok(match self.output_nr {
            None => data.clone(),
            Some(nr) => {
                let t = data.saved_output_copy();
                {
                    let mut meta = t.0.autograd.lock();
                    meta.grad_fn = Some(Arc::clone(node));
                    meta.output_nr = nr;
                }
                t
            }
        })
    }

    /// Frees the saved tensor.
    pub(crate) fn release(&mut self) {
        self.data = None;
    }
}
