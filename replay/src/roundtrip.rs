//! Checkpoint round trips against PyTorch's own files: the `checkpoint`
//! fixture kind of `ft-replay parity-report` (packet FT-P2C-006).
//!
//! A file `torch.save` wrote is read by the runtime's restricted reader and
//! written back by its writer; the two files must hold the same records —
//! names, data and offsets — but for the random `.data/serialization_id`
//! torch adds (the writer has none). The state dict must also survive the
//! runtime's envelope (`.ftc`): written, read back, the same content hash
//! and the same `torch.save` bytes. A file the reader must refuse (a pickle
//! calling a function, a damaged archive) is refused with a typed error,
//! never a panic.

use ft_runtime::serialize::{self, ArchiveRecord, SerializeError};

/// What a round trip of one `torch.save` file gave.
#[derive(Debug)]
pub enum RoundTrip {
    /// Read, written back with the same records, and through the envelope
    /// unchanged.
    Identical {
        /// Records compared (torch's serialization id left out).
        records: usize,
        /// Tensors in the state dict.
        tensors: usize,
        /// The state dict's content hash (hex).
        content_hash: String,
    },
    /// Read, but what was written back differs: the first difference.
    Differs(String),
    /// The reader refused the file.
    Refused(SerializeError),
}

/// torch.save's random per-file id, which the runtime's writer omits.
fn is_serialization_id(record: &ArchiveRecord) -> bool {
    record.name.ends_with("/.data/serialization_id")
}

/// The first difference between `theirs` (serialization id left out) and
/// `ours`, record by record.
fn first_difference(theirs: &[ArchiveRecord], ours: &[ArchiveRecord]) -> Option<String> {
    let theirs: Vec<&ArchiveRecord> = theirs.iter().filter(|r| !is_serialization_id(r)).collect();
    for (i, (t, o)) in theirs.iter().zip(ours).enumerate() {
        if t.name != o.name {
            return Some(format!(
                "record {i}: PyTorch's is {:?}, the runtime's {:?}",
                t.name, o.name
            ));
        }
        if t.offset != o.offset {
            return Some(format!(
                "record {}: data at offset {} in PyTorch's file, {} in the runtime's",
                t.name, t.offset, o.offset
            ));
        }
        if t.data != o.data {
            let at = t
                .data
                .iter()
                .zip(&o.data)
                .position(|(a, b)| a != b)
                .unwrap_or(t.data.len().min(o.data.len()));
            return Some(format!(
                "record {}: {} bytes in PyTorch's file, {} in the runtime's, first difference at byte {at}",
                t.name,
                t.data.len(),
                o.data.len()
            ));
        }
    }
    if theirs.len() != ours.len() {
        return Some(format!(
            "PyTorch's file has {} records, the runtime's {}",
            theirs.len(),
            ours.len()
        ));
    }
    None
}

/// Reads `bytes` (a `torch.save` file), writes the state dict back and
/// through the envelope, and compares.
pub fn round_trip(bytes: &[u8]) -> RoundTrip {
    let dict = match serialize::torch_from_bytes(bytes) {
        Ok(d) => d,
        Err(e) => return RoundTrip::Refused(e),
    };
    let differs = |what: &str, e: SerializeError| RoundTrip::Differs(format!("{what}: {e}"));
    let ours = match serialize::torch_to_bytes(&dict) {
        Ok(b) => b,
        Err(e) => return differs("writing it back failed", e),
    };
    let (theirs_records, ours_records) = match (
        serialize::torch_archive_records(bytes),
        serialize::torch_archive_records(&ours),
    ) {
        (Ok(t), Ok(o)) => (t, o),
        (Err(e), _) | (_, Err(e)) => return differs("records unreadable", e),
    };
    if let Some(d) = first_difference(&theirs_records, &ours_records) {
        return RoundTrip::Differs(d);
    }
    let hash = match serialize::content_hash(&dict) {
        Ok(h) => h,
        Err(e) => return differs("content hash", e),
    };
    let through_envelope = serialize::checkpoint_to_bytes(&dict)
        .and_then(|env| serialize::checkpoint_from_bytes(&env))
        .and_then(|back| {
            Ok((
                serialize::content_hash(&back)?,
                serialize::torch_to_bytes(&back)?,
            ))
        });
    match through_envelope {
        Ok((h, _)) if h != hash => RoundTrip::Differs(format!(
            "through the envelope the content hash changed: {} to {}",
            hash.to_hex(),
            h.to_hex()
        )),
        Ok((_, again)) if again != ours => {
            RoundTrip::Differs("through the envelope the torch.save bytes changed".into())
        }
        Ok(_) => RoundTrip::Identical {
            records: ours_records.len(),
            tensors: dict.tensors.len(),
            content_hash: hash.to_hex(),
        },
        Err(e) => differs("through the envelope", e),
    }
}
