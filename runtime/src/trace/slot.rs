//! Identity slots: where a tensor, storage or node keeps its trace id.
//!
//! FORMAT §3.6 wants ids dense from 0 in order of first appearance, assigned
//! by the recording, never taken from addresses or process-wide counters. Each
//! object carries an empty [`IdSlot`]; the tracer of the runtime that records
//! it fills the slot the first time the object appears in the stream. The slot
//! also remembers which tracer filled it, so an object shown to a second
//! runtime is simply new there. With tracing off nothing ever writes a slot.

use parking_lot::Mutex;

/// A lazily assigned trace id.
#[derive(Debug, Default)]
pub struct IdSlot(Mutex<Option<(u64, u64)>>);

impl IdSlot {
    /// An empty slot.
    pub fn new() -> IdSlot {
        IdSlot(Mutex::new(None))
    }

    /// The id assigned by the tracer `owner`, if any.
    pub fn get(&self, owner: u64) -> Option<u64> {
        match *self.0.lock() {
            Some((o, id)) if o == owner => Some(id),
            _ => None,
        }
    }

    /// The id, assigning `fresh()` first when `owner` has not named this object yet.
    /// Returns `(id, newly_assigned)`.
    pub fn get_or_assign(&self, owner: u64, fresh: impl FnOnce() -> u64) -> (u64, bool) {
        let mut slot = self.0.lock();
        match *slot {
            Some((o, id)) if o == owner => (id, false),
            _ => {
                let id = fresh();
                *slot = Some((owner, id));
                (id, true)
            }
        }
    }

    /// Takes `other`'s id, for an object that replaces `other` under the
    /// same identity (the larger storage a kernel's `resize_` allocates,
    /// where PyTorch grows the storage in place).
    pub(crate) fn assume(&self, other: &IdSlot) {
        let id = *other.0.lock();
        *self.0.lock() = id;
    }

    /// Whether any tracer ever named this object (used to prove tracing-off does no work).
    #[cfg(test)]
    pub fn is_assigned(&self) -> bool {
        self.0.lock().is_some()
    }
}
