//! Chunk payload encodings (FORMAT §2.2): how the bytes between a chunk's
//! header and its checksum turn into the msgpack payload.
//!
//! Byte 5 of a chunk header names the encoding. [`RAW`] stores the msgpack
//! payload as is; [`ZSTD`] stores exactly one Zstandard frame that declares
//! its content size and decompresses to the payload. Format 2.0 writers
//! compress EVENTS chunks (structure repeats: op names, key chains and schema
//! strings shrink about sixfold) and store every other chunk raw; a chunk
//! stays decodable on its own. Both writers use libzstd 1.5.7 at
//! [`ZSTD_LEVEL`], whose output is deterministic, so their bytes stay equal.
//!
//! The checksum covers the stored bytes, so a damaged chunk is refused before
//! any decompression; [`decode`] then bounds the output by the declared
//! content size and [`crate::format::MAX_CHUNK_PAYLOAD`] before allocating.

use crate::format::MAX_CHUNK_PAYLOAD;

/// The payload is stored as is.
pub const RAW: u8 = 0;
/// The payload is one Zstandard frame with its content size.
pub const ZSTD: u8 = 1;
/// Compression level both writers use for [`ZSTD`] chunks.
pub const ZSTD_LEVEL: i32 = 3;

/// Display name of an encoding.
pub fn name(encoding: u8) -> String {
    match encoding {
        RAW => "raw".into(),
        ZSTD => "zstd".into(),
        other => format!("encoding {other}"),
    }
}

thread_local! {
    /// One compression context per thread, reused for every chunk: making
    /// one allocates and clears its tables, which cost as much as
    /// compressing a 16 KiB chunk. Each chunk is still one whole frame,
    /// compressed as if by a fresh context.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Compresses a payload as a [`ZSTD`] chunk stores it.
pub fn compress(payload: &[u8]) -> Result<Vec<u8>, String> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(
                zstd::bulk::Compressor::new(ZSTD_LEVEL)
                    .map_err(|e| format!("zstd compression: {e}"))?,
            );
        }
        match slot.as_mut() {
            Some(compressor) => compressor
                .compress(payload)
                .map_err(|e| format!("zstd compression: {e}")),
            None => unreachable!("the compressor was just made"),
        }
    })
}

/// The msgpack payload of a chunk stored with `encoding`; the error is a
/// one-line description of what is wrong with the stored bytes.
pub fn decode(encoding: u8, stored: Vec<u8>) -> Result<Vec<u8>, String> {
    match encoding {
        RAW => Ok(stored),
        ZSTD => decompress(&stored),
        other => Err(format!("unknown chunk encoding {other}")),
    }
}

thread_local! {
    /// One decompression context per thread, reused for every chunk (making
    /// one costs more than decompressing a 16 KiB chunk).
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

fn decompress(stored: &[u8]) -> Result<Vec<u8>, String> {
    let declared = match zstd::zstd_safe::get_frame_content_size(stored) {
        Ok(Some(size)) => size,
        Ok(None) => return Err("zstd frame does not declare its content size".into()),
        Err(_) => return Err("payload is not a zstd frame".into()),
    };
    if declared > MAX_CHUNK_PAYLOAD {
        return Err(format!(
            "zstd frame declares {declared} bytes, more than the {MAX_CHUNK_PAYLOAD}-byte chunk limit"
        ));
    }
    match zstd::zstd_safe::find_frame_compressed_size(stored) {
        Ok(n) if n == stored.len() => {}
        Ok(n) => {
            return Err(format!(
                "{} bytes follow the zstd frame",
                stored.len().saturating_sub(n)
            ));
        }
        Err(_) => return Err("zstd frame is cut or malformed".into()),
    }
    let capacity = usize::try_from(declared).map_err(|_| "zstd frame too large".to_string())?;
    let payload = DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new()?);
        }
        match slot.as_mut() {
            Some(d) => d.decompress(stored, capacity),
            None => Err(std::io::Error::other("no zstd context")),
        }
    });
    let payload = payload.map_err(|e| format!("zstd frame: {e}"))?;
    if payload.len() != capacity {
        return Err(format!(
            "zstd frame declares {capacity} bytes but holds {}",
            payload.len()
        ));
    }
    Ok(payload)
}

/// As much of a cut [`ZSTD`] chunk's payload as decodes (for salvaging the
/// complete events at the start of a chunk whose write was cut short).
pub fn decode_prefix(encoding: u8, stored: &[u8]) -> Vec<u8> {
    match encoding {
        RAW => stored.to_vec(),
        ZSTD => {
            use std::io::Read;
            let mut out = Vec::new();
            if let Ok(mut decoder) = zstd::stream::read::Decoder::new(stored) {
                let mut buf = [0u8; 8192];
                while let Ok(n) = decoder.read(&mut buf) {
                    if n == 0 || out.len() as u64 + n as u64 > MAX_CHUNK_PAYLOAD {
                        break;
                    }
                    out.extend_from_slice(&buf[..n]);
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zstd_round_trip_and_determinism() {
        let payload: Vec<u8> = (0..20_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        let a = compress(&payload).expect("ok");
        let b = compress(&payload).expect("ok");
        assert_eq!(a, b);
        assert!(a.len() < payload.len() / 4);
        assert_eq!(decode(ZSTD, a).expect("ok"), payload);
    }

    #[test]
    fn refuses_what_is_not_one_whole_frame() {
        let payload = vec![7u8; 4096];
        let frame = compress(&payload).expect("ok");
        let mut trailing = frame.clone();
        trailing.extend_from_slice(&[0, 1, 2]);
        assert!(
            decode(ZSTD, trailing)
                .expect_err("refused")
                .contains("follow the zstd frame")
        );
        let cut = frame[..frame.len() - 2].to_vec();
        assert!(decode(ZSTD, cut).is_err());
        assert_eq!(
            decode(ZSTD, b"not zstd".to_vec()).expect_err("refused"),
            "payload is not a zstd frame"
        );
        assert_eq!(
            decode(9, vec![]).expect_err("refused"),
            "unknown chunk encoding 9"
        );
    }

    #[test]
    fn a_frame_declaring_more_than_the_chunk_limit_is_refused_before_allocating() {
        // A frame header (magic, descriptor with an 8-byte content size) that
        // claims 2^40 bytes.
        let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
        frame.extend_from_slice(&(1u64 << 40).to_le_bytes());
        frame.extend_from_slice(&[0x01, 0x00, 0x00]);
        let err = decode(ZSTD, frame).expect_err("refused");
        assert!(err.contains("chunk limit"), "{err}");
    }

    #[test]
    fn prefix_of_a_cut_frame_decodes_partially_or_not_at_all() {
        let payload = vec![3u8; 1000];
        let frame = compress(&payload).expect("ok");
        assert_eq!(decode_prefix(ZSTD, &frame), payload);
        assert!(decode_prefix(ZSTD, &frame[..3]).is_empty());
    }
}
