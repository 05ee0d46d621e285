//! The version counter (PyTorch's `VariableVersion`).
//!
//! Shared by a tensor and all its views and aliases; bumped by the
//! ADInplaceOrView kernel of every in-place operator. Saved tensors remember
//! the version they were saved at, and backward refuses to use one that has
//! changed since.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A shared, monotonically increasing counter.
#[derive(Clone, Debug, Default)]
pub(crate) struct VersionCounter(Arc<AtomicU64>);

impl VersionCounter {
    /// A fresh counter at version 0.
    pub(crate) fn new() -> VersionCounter {
        VersionCounter::default()
    }

    /// Current version.
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Records one in-place modification.
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether `other` is this very counter (a view of the same base).
    pub(crate) fn same(&self, other: &VersionCounter) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Moves the counter forward to `version` (never back).
    pub(crate) fn advance_to(&self, version: u64) {
        self.0.fetch_max(version, Ordering::Relaxed);
    }
}
