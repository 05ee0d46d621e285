//! Storage: the memory tensors view, shared by every view and alias of it.
//!
//! A [`Storage`] owns the elements (a typed buffer behind a lock, because
//! in-place operators write through any view) or, for `meta` tensors, nothing
//! but a size. It carries its own trace [`IdSlot`] so that views of one buffer
//! share one storage id in the stream, as FORMAT §3.1 requires.

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::trace::slot::IdSlot;

/// Typed element buffer. One variant per dtype that has kernels.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StorageData {
    /// float32 elements.
    F32(Vec<f32>),
}

impl StorageData {
    pub(crate) fn as_f32(&self) -> &[f32] {
        match self {
            StorageData::F32(v) => v,
        }
    }

    pub(crate) fn as_f32_mut(&mut self) -> &mut [f32] {
        match self {
            StorageData::F32(v) => v,
        }
    }
}

/// Memory shared by tensors.
#[derive(Debug)]
pub(crate) struct Storage {
    /// Elements; `None` for storage without data (`meta`).
    data: Option<RwLock<StorageData>>,
    /// Capacity in elements.
    len: usize,
    /// Trace id, assigned at first appearance.
    pub(crate) trace: IdSlot,
}

impl Storage {
    /// Storage holding `data`.
    pub(crate) fn with_data(data: StorageData) -> Storage {
        let len = match &data {
            StorageData::F32(v) => v.len(),
        };
        Storage {
            data: Some(RwLock::new(data)),
            len,
            trace: IdSlot::new(),
        }
    }

    /// Storage of `len` elements without data (`meta`).
    pub(crate) fn without_data(len: usize) -> Storage {
        Storage {
            data: None,
            len,
            trace: IdSlot::new(),
        }
    }

    /// Capacity in elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the storage holds elements.
    pub(crate) fn has_data(&self) -> bool {
        self.data.is_some()
    }

    pub(crate) fn read(&self) -> Option<RwLockReadGuard<'_, StorageData>> {
        self.data.as_ref().map(RwLock::read)
    }

    pub(crate) fn write(&self) -> Option<RwLockWriteGuard<'_, StorageData>> {
        self.data.as_ref().map(RwLock::write)
    }
}
