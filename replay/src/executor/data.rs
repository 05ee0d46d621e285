//! Replaying `Tensor.data` (api `data`, FORMAT.md §3.2 kind 19): a read
//! binds the runtime's new tensor over the source's storage (a version
//! counter of its own); an assignment binds the tensor's new handle, which
//! the runtime made over the assigned tensor's storage, in its old one's
//! place — also as the `.grad` of any leaf that held the old one
//! (`param.grad.data = ...` in `Module._apply`).

use ft_trace::DataAccess;

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
        let written = self.runtime.set_data(&target, &source);
        let leaves: Vec<_> = self.tensors.values().cloned().collect();
        for leaf in &leaves {
            self.runtime.replace_grad_handle(leaf, &written);
        }
        self.bind(&d.tensor, written);
        Ok(())
    }
}
