//! Re-encoding a complete trace with this build's writer: the same events
//! and blobs, in the same file order, written as the current format version
//! writes them (a 1.x trace becomes a 2.0 trace with compressed EVENTS
//! chunks). Both writers produce these bytes for these events, so the result
//! is byte-identical to recording the program again; the chain hash proves
//! that nothing but the encoding changed.
//!
//! Memory: one EVENTS chunk's events, and the values stored before it that
//! its events name (the writer holds a value until the event that names it,
//! FORMAT §2.3).

use std::path::Path;

use crate::error::TraceError;
use crate::format::BlobEntry;
use crate::reader::{TraceReader, ValueRecord};
use crate::writer::{FileTraceWriter, TraceOutput, TraceSummary, TraceWriter};

/// One item of a trace in file order: an EVENTS chunk or a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileItem {
    /// The EVENTS chunk at this position of the index.
    Events {
        /// Its index in [`crate::format::TraceIndex::chunks`].
        chunk: usize,
        /// The seq of its first event.
        first_seq: u64,
        /// How many events it holds.
        count: u64,
    },
    /// A BLOB, VIEW or STATS record.
    Value(BlobEntry),
}

/// The EVENTS chunks and values of a complete trace, in file order: the
/// order its writer was handed them in, up to where it held values.
pub fn file_order(reader: &TraceReader) -> Vec<FileItem> {
    let index = reader.index();
    let mut items: Vec<(u64, FileItem)> = index
        .chunks
        .iter()
        .enumerate()
        .map(|(chunk, c)| {
            (
                c.offset,
                FileItem::Events {
                    chunk,
                    first_seq: c.first_seq,
                    count: c.count,
                },
            )
        })
        .chain(index.blobs.iter().map(|b| (b.offset, FileItem::Value(*b))))
        .collect();
    items.sort_by_key(|(offset, _)| *offset);
    items.into_iter().map(|(_, item)| item).collect()
}

/// Appends everything `reader` holds to `writer`, in file order.
fn copy_items<W: TraceOutput>(
    reader: &mut TraceReader,
    writer: &mut TraceWriter<W>,
) -> Result<(), TraceError> {
    if reader.truncation().is_some() {
        return Err(TraceError::Write(format!(
            "{}: an incomplete trace cannot be rewritten (repair it or record it again)",
            reader.path().display()
        )));
    }
    for item in file_order(reader) {
        match item {
            FileItem::Value(entry) => match reader.value_record_at(&entry)? {
                ValueRecord::Blob(blob) => {
                    writer.put_blob(&blob.dtype, &blob.shape, &blob.data)?;
                }
                ValueRecord::Stats(stats) => {
                    writer.put_stats(&stats)?;
                }
            },
            FileItem::Events {
                first_seq, count, ..
            } => {
                for event in &reader.read_range(first_seq, count as usize)? {
                    writer.append_event(event)?;
                }
            }
        }
    }
    Ok(())
}

/// The rewritten events must chain to the source's hash.
fn check_chain(reader: &TraceReader, written: &TraceSummary) -> Result<(), TraceError> {
    if written.index.chain == reader.index().chain {
        return Ok(());
    }
    Err(TraceError::Write(format!(
        "{}: the rewritten events chain to {}, not to the source's {}",
        reader.path().display(),
        written.index.chain.short(16),
        reader.index().chain.short(16)
    )))
}

/// The bytes this build's writer produces for the trace `reader` holds.
pub fn rewrite_to_vec(reader: &mut TraceReader) -> Result<Vec<u8>, TraceError> {
    let mut writer = TraceWriter::new(Vec::new(), reader.meta())?;
    copy_items(reader, &mut writer)?;
    let (bytes, summary) = writer.finish()?;
    check_chain(reader, &summary)?;
    Ok(bytes)
}

/// Rewrites the complete trace at `source` to `dest` (written as
/// `dest.partial` and renamed when finished; removed on failure).
pub fn rewrite_file(source: &Path, dest: &Path) -> Result<TraceSummary, TraceError> {
    let mut reader = TraceReader::open(source)?;
    let mut file = FileTraceWriter::create(dest, reader.meta())?;
    if let Err(e) = copy_items(&mut reader, file.writer()) {
        drop(file);
        let _ = std::fs::remove_file(crate::writer::partial_path(dest));
        return Err(e);
    }
    let summary = file.finish()?;
    if let Err(e) = check_chain(&reader, &summary) {
        let _ = std::fs::remove_file(dest);
        return Err(e);
    }
    Ok(summary)
}
