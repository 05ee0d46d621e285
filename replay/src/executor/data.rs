//! Replaying `Tensor.data` (api `data`, FORMAT.md §3.2 kind 19): a read
//! binds the runtime's new tensor over the source's storage (a version
//! counter of its own); an assignment binds the tensor's new handle, which
//! the runtime made over the assigned tensor's storage, in its old one's
//! place — also as the `.grad` of any leaf that held the old one
//! (`param.grad.data = ...` in `Module._apply`).
//!
//! An assignment asks the dispatcher `_has_compatible_shallow_copy_type`
//! first; where a dispatch mode sees that composite whole (inside
//! `inference_mode`) the capture writes it right after the `data` event.
//! The runtime's `set_data` makes that call itself, so the replayer does
//! not call it again.

use ft_trace::{ApiEvent, Context, DataAccess, Event, EventBody, OpCall};

use super::Replayer;
use crate::error::ReplayError;

impl Replayer<'_> {
    /// Applies one `data` event to the runtime.
    pub(super) fn data_access(&mut self, seq: u64, d: &DataAccess) -> Result<(), ReplayError> {
        let source = self.lookup(seq, d.source)?;
        if !d.write {
            let read = self.runtime.data(&source);
            self.bind(&d.tensor, read);
            return Ok(());
        }
        let target = self.lookup(seq, d.tensor.id)?;
        let written =
            self.runtime
                .set_data(&target, &source)
                .map_err(|e| ReplayError::Unsupported {
                    what: "a `.data` assignment".into(),
                    seq,
                    detail: e.to_string(),
                })?;
        let leaves: Vec<_> = self.tensors.values().cloned().collect();
        for leaf in &leaves {
            self.runtime.replace_grad_handle(leaf, &written);
        }
        self.bind(&d.tensor, written);
        Ok(())
    }
}

/// Whether top-level op `op` at `seq` is the shallow-copy check the `.data`
/// assignment just before it made: `_has_compatible_shallow_copy_type` of
/// the assigned tensor and its source, right after that `data` event.
pub(super) fn is_assignment_check(events: &[Event], seq: u64, op: &OpCall) -> bool {
    if op.op != "aten._has_compatible_shallow_copy_type.default" || op.context != Context::TopLevel
    {
        return false;
    }
    let at = events.partition_point(|e| e.seq < seq);
    let Some(previous) = at.checked_sub(1).and_then(|i| events.get(i)) else {
        return false;
    };
    let EventBody::Api(ApiEvent::Data(d)) = &previous.body else {
        return false;
    };
    let ids: Vec<u64> = op
        .args
        .iter()
        .flat_map(|(_, v)| v.tensors())
        .map(|t| t.id)
        .collect();
    d.write && ids == [d.tensor.id, d.source]
}
