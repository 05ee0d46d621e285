//! `torch.layout` and `torch.memory_format` values.
//!
//! Both appear as operator arguments. Only the strided layout is
//! implemented; the other layout names parse (so a recorded argument is
//! understood) and kernels reject them with a typed error. Every memory
//! format is implemented by the factories (`clone`, `_to_copy`, `empty`,
//! `empty_like`, ...): channels-last formats need a 4-d / 5-d shape.

use std::fmt;

use crate::error::{Result, RuntimeError};

/// `torch.layout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// `torch.strided`: dense elements addressed by strides.
    Strided,
    /// `torch.sparse_coo` (not implemented).
    SparseCoo,
    /// `torch.sparse_csr` (not implemented).
    SparseCsr,
}

impl Layout {
    /// PyTorch's name without `torch.`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Strided => "strided",
            Layout::SparseCoo => "sparse_coo",
            Layout::SparseCsr => "sparse_csr",
        }
    }

    /// Parses a layout name (with or without `torch.`).
    pub fn from_name(name: &str) -> Result<Layout> {
        match name.strip_prefix("torch.").unwrap_or(name) {
            "strided" => Ok(Layout::Strided),
            "sparse_coo" => Ok(Layout::SparseCoo),
            "sparse_csr" => Ok(Layout::SparseCsr),
            _ => Err(RuntimeError::UnknownName {
                kind: "layout",
                name: name.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `torch.memory_format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemoryFormat {
    /// Keep the input's strides when it is non-overlapping and dense.
    Preserve,
    /// Row-major.
    Contiguous,
    /// NHWC (4-d).
    ChannelsLast,
    /// NDHWC (5-d).
    ChannelsLast3d,
}

impl MemoryFormat {
    /// PyTorch's name without `torch.`.
    pub fn name(self) -> &'static str {
        match self {
            MemoryFormat::Preserve => "preserve_format",
            MemoryFormat::Contiguous => "contiguous_format",
            MemoryFormat::ChannelsLast => "channels_last",
            MemoryFormat::ChannelsLast3d => "channels_last_3d",
        }
    }

    /// Parses a memory format name (with or without `torch.`).
    pub fn from_name(name: &str) -> Result<MemoryFormat> {
        match name.strip_prefix("torch.").unwrap_or(name) {
            "preserve_format" => Ok(MemoryFormat::Preserve),
            "contiguous_format" => Ok(MemoryFormat::Contiguous),
            "channels_last" => Ok(MemoryFormat::ChannelsLast),
            "channels_last_3d" => Ok(MemoryFormat::ChannelsLast3d),
            _ => Err(RuntimeError::UnknownName {
                kind: "memory format",
                name: name.to_owned(),
            }),
        }
    }
}

impl fmt::Display for MemoryFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
