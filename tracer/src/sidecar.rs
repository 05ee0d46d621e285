//! RaptorQ sidecars (`FILE.rq`): forward error correction for a trace file,
//! so that damaged or missing bytes can be restored and the result proven
//! (normative layout: `docs/SIDECAR.md`).
//!
//! The file is cut into source symbols of `T` bytes (RFC 6330, one sub-block,
//! the last symbol zero-padded) grouped into source blocks of at most
//! [`MAX_BLOCK_SYMBOLS`] symbols. The sidecar holds, per block,
//! `ceil(K × overhead / 100)` repair symbols, an 8-byte BLAKE3 prefix of
//! every source symbol (how [`repair`] tells a damaged symbol from an intact
//! one: a damaged symbol is an erasure), the whole file's BLAKE3 and the
//! trace's chain hash. [`repair`] keeps the intact symbols, decodes the lost
//! ones from the repair symbols and accepts the result only when it hashes to
//! the recorded whole-file hash; [`repair_file`] then also reads the result as
//! a trace and checks its chain hash before renaming it over the original.
//! A block with more lost symbols than repair symbols cannot be decoded: the
//! original is left untouched and the error says how many symbols were lost
//! and how many the sidecar covers.
//!
//! Same file and overhead, same sidecar bytes: the symbol size and block
//! count follow from the file length alone, the encoding is deterministic,
//! and the body is canonical msgpack. Every parameter is checked against
//! these rules before the decoder sees it, so a sidecar that passes its
//! checksum but was written by something else is refused, not trusted.

use std::path::{Path, PathBuf};

use raptorq::{
    EncodingPacket, ObjectTransmissionInformation, PayloadId, SourceBlockDecoder,
    SourceBlockEncoder,
};
use serde::{Deserialize, Serialize};

use crate::hash::Digest;

/// First 8 bytes of a sidecar: `\x89FTRRQ\r\n`.
pub const SIDECAR_MAGIC: [u8; 8] = [0x89, b'F', b'T', b'R', b'R', b'Q', b'\r', b'\n'];
/// Major version of the sidecar layout this build writes and reads.
pub const SIDECAR_MAJOR: u16 = 1;
/// Minor version of the sidecar layout this build writes.
pub const SIDECAR_MINOR: u16 = 0;
/// Header length (magic, major, minor, reserved).
pub const SIDECAR_HEADER_LEN: usize = 16;
/// Length of the closing checksum.
pub const SIDECAR_HASH_LEN: usize = 32;
/// Smallest symbol size, bytes.
pub const MIN_SYMBOL_SIZE: u32 = 256;
/// Largest symbol size, bytes.
pub const MAX_SYMBOL_SIZE: u32 = 32768;
/// The symbol size grows (in powers of two) until the file has at most this
/// many source symbols, or reaches [`MAX_SYMBOL_SIZE`].
pub const TARGET_SYMBOLS: u64 = 4096;
/// Largest number of source symbols in one block.
pub const MAX_BLOCK_SYMBOLS: u64 = 4096;
/// Length of the per-symbol hash (a BLAKE3 prefix).
pub const SYMBOL_HASH_LEN: usize = 8;
/// Default `--overhead`, percent of the source symbols.
pub const DEFAULT_OVERHEAD: u32 = 10;
/// Largest overhead accepted, percent.
pub const MAX_OVERHEAD: u32 = 1000;

/// The suffix of a sidecar's name: `FILE.rq`.
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".rq");
    PathBuf::from(name)
}

/// Everything that can go wrong protecting or repairing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SidecarError {
    /// The operating system refused a read or write.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing the sidecar or the repaired file failed (nothing was replaced).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The sidecar is not one, is damaged, or breaks a rule of its layout.
    #[error("{}: sidecar refused: {detail}", path.display())]
    BadSidecar {
        /// The sidecar.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// More symbols are lost than the sidecar can restore, or the decoded
    /// result does not prove out; the original is untouched.
    #[error("{}: cannot repair: {detail}", path.display())]
    CannotRepair {
        /// The damaged file.
        path: PathBuf,
        /// Why (`N symbols lost, sidecar covers M`).
        detail: String,
    },
    /// The file cannot be protected (empty, too large, not a sound trace).
    #[error("{}: cannot protect: {detail}", path.display())]
    CannotProtect {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// An argument is out of range (`--overhead`).
    #[error("{0}")]
    Usage(String),
}

fn io(path: &Path, source: std::io::Error) -> SidecarError {
    SidecarError::Io {
        path: path.to_owned(),
        source,
    }
}

fn write_error(path: &Path, source: std::io::Error) -> SidecarError {
    SidecarError::Write {
        path: path.to_owned(),
        source,
    }
}

/// The coding parameters of a file of `len` bytes (fixed by its length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// File length, bytes.
    pub len: u64,
    /// Symbol size `T`, bytes.
    pub symbol_size: u32,
    /// Source symbols in all (`ceil(len / T)`).
    pub symbols: u64,
    /// Source blocks `Z`.
    pub blocks: u32,
}

impl Layout {
    /// The layout for a file of `len` bytes; `None` when it is empty or too
    /// large (more than 255 blocks of the largest symbols).
    pub fn for_len(len: u64) -> Option<Layout> {
        if len == 0 {
            return None;
        }
        let mut symbol_size = MIN_SYMBOL_SIZE;
        while symbol_size < MAX_SYMBOL_SIZE && len.div_ceil(u64::from(symbol_size)) > TARGET_SYMBOLS
        {
            symbol_size *= 2;
        }
        let symbols = len.div_ceil(u64::from(symbol_size));
        let blocks = symbols.div_ceil(MAX_BLOCK_SYMBOLS);
        let blocks = u32::try_from(blocks).ok().filter(|&b| b <= 255)?;
        Some(Layout {
            len,
            symbol_size,
            symbols,
            blocks,
        })
    }

    /// RFC 6330 object transmission information (one sub-block, alignment 8).
    fn oti(&self) -> ObjectTransmissionInformation {
        // `blocks` <= 255 and `symbol_size` <= 32768 by construction.
        ObjectTransmissionInformation::new(
            self.len,
            self.symbol_size as u16,
            self.blocks as u8,
            1,
            8,
        )
    }

    /// Per block: index of its first source symbol and its symbol count
    /// (RFC 6330 §4.4.1.2 Partition[Kt, Z]: the first blocks get one more).
    pub fn block_ranges(&self) -> Vec<(u64, u64)> {
        let z = u64::from(self.blocks);
        let long = self.symbols.div_ceil(z);
        let short = self.symbols / z;
        let long_blocks = self.symbols - short * z;
        let mut start = 0;
        (0..z)
            .map(|b| {
                let k = if b < long_blocks { long } else { short };
                let range = (start, k);
                start += k;
                range
            })
            .collect()
    }
}

/// Repair symbols for a block of `k` source symbols at `overhead` percent.
pub fn repair_count(k: u64, overhead: u32) -> u64 {
    (k * u64::from(overhead)).div_ceil(100).max(1)
}

/// The sidecar's msgpack body (wire order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Body {
    file_len: u64,
    file_hash: Digest,
    chain: Digest,
    event_count: u64,
    symbol_size: u32,
    blocks: u32,
    overhead: u32,
    #[serde(with = "serde_bytes")]
    symbol_hashes: Vec<u8>,
    repair: Vec<serde_bytes::ByteBuf>,
}

/// A parsed, validated sidecar.
#[derive(Clone, Debug, PartialEq)]
pub struct Sidecar {
    /// Coding parameters.
    pub layout: Layout,
    /// BLAKE3 of the whole protected file.
    pub file_hash: Digest,
    /// The trace's chain hash (FORMAT §4).
    pub chain: Digest,
    /// The trace's event count.
    pub event_count: u64,
    /// Overhead percent it was made with.
    pub overhead: u32,
    /// 8-byte BLAKE3 prefix of each source symbol.
    symbol_hashes: Vec<u8>,
    /// Per block, its repair symbols concatenated (ESI K, K+1, ...).
    repair: Vec<Vec<u8>>,
}

impl Sidecar {
    /// Repair symbols held, all blocks.
    pub fn repair_symbols(&self) -> u64 {
        self.repair
            .iter()
            .map(|r| r.len() as u64 / u64::from(self.layout.symbol_size))
            .sum()
    }

    /// Encodes the sidecar (header, msgpack body, BLAKE3 of both).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SidecarError> {
        let body = Body {
            file_len: self.layout.len,
            file_hash: self.file_hash,
            chain: self.chain,
            event_count: self.event_count,
            symbol_size: self.layout.symbol_size,
            blocks: self.layout.blocks,
            overhead: self.overhead,
            symbol_hashes: self.symbol_hashes.clone(),
            repair: self
                .repair
                .iter()
                .map(|r| serde_bytes::ByteBuf::from(r.clone()))
                .collect(),
        };
        let encoded = rmp_serde::to_vec(&body).map_err(|e| SidecarError::Usage(e.to_string()))?;
        let mut out = Vec::with_capacity(SIDECAR_HEADER_LEN + encoded.len() + SIDECAR_HASH_LEN);
        out.extend_from_slice(&SIDECAR_MAGIC);
        out.extend_from_slice(&SIDECAR_MAJOR.to_le_bytes());
        out.extend_from_slice(&SIDECAR_MINOR.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&encoded);
        let hash = blake3::hash(&out);
        out.extend_from_slice(hash.as_bytes());
        Ok(out)
    }

    /// Parses and checks a sidecar: magic, version, reserved bytes, checksum,
    /// and every parameter against the rules that made it.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Sidecar, SidecarError> {
        let bad = |detail: String| SidecarError::BadSidecar {
            path: path.to_owned(),
            detail,
        };
        if bytes.len() < SIDECAR_HEADER_LEN + SIDECAR_HASH_LEN {
            return Err(bad(format!(
                "{} bytes, too short for a sidecar",
                bytes.len()
            )));
        }
        if bytes[..8] != SIDECAR_MAGIC {
            return Err(bad(
                "not a trace sidecar (bad magic bytes at offset 0)".into()
            ));
        }
        let major = u16::from_le_bytes([bytes[8], bytes[9]]);
        let minor = u16::from_le_bytes([bytes[10], bytes[11]]);
        if major != SIDECAR_MAJOR {
            return Err(bad(format!(
                "sidecar version {major}.{minor} is not supported (this build reads {SIDECAR_MAJOR}.x)"
            )));
        }
        if bytes[12..16] != [0; 4] {
            return Err(bad("reserved bytes 12..16 are not zero".into()));
        }
        let split = bytes.len() - SIDECAR_HASH_LEN;
        if blake3::hash(&bytes[..split]).as_bytes() != &bytes[split..] {
            return Err(bad(
                "checksum mismatch: the sidecar is damaged and cannot be trusted".into(),
            ));
        }
        let mut body_bytes = &bytes[SIDECAR_HEADER_LEN..split];
        let body: Body = rmp_serde::decode::from_read(&mut body_bytes)
            .map_err(|e| bad(format!("body does not decode: {e}")))?;
        if !body_bytes.is_empty() {
            return Err(bad(format!(
                "{} bytes after the body before the checksum",
                body_bytes.len()
            )));
        }
        let layout = Layout::for_len(body.file_len)
            .ok_or_else(|| bad(format!("file length {} cannot be protected", body.file_len)))?;
        if body.symbol_size != layout.symbol_size || body.blocks != layout.blocks {
            return Err(bad(format!(
                "symbol size {} and {} blocks differ from the {} and {} a {}-byte file gets",
                body.symbol_size, body.blocks, layout.symbol_size, layout.blocks, body.file_len
            )));
        }
        if !(1..=MAX_OVERHEAD).contains(&body.overhead) {
            return Err(bad(format!("overhead {}% out of range", body.overhead)));
        }
        if body.symbol_hashes.len() as u64 != layout.symbols * SYMBOL_HASH_LEN as u64 {
            return Err(bad(format!(
                "{} bytes of symbol hashes for {} symbols",
                body.symbol_hashes.len(),
                layout.symbols
            )));
        }
        let ranges = layout.block_ranges();
        if body.repair.len() != ranges.len() {
            return Err(bad(format!(
                "{} repair blocks for {} source blocks",
                body.repair.len(),
                ranges.len()
            )));
        }
        for (b, ((_, k), r)) in ranges.iter().zip(&body.repair).enumerate() {
            let want = repair_count(*k, body.overhead) * u64::from(layout.symbol_size);
            if r.len() as u64 != want {
                return Err(bad(format!(
                    "block {b}: {} bytes of repair symbols where {want} were expected",
                    r.len()
                )));
            }
        }
        Ok(Sidecar {
            layout,
            file_hash: body.file_hash,
            chain: body.chain,
            event_count: body.event_count,
            overhead: body.overhead,
            symbol_hashes: body.symbol_hashes,
            repair: body.repair.into_iter().map(|r| r.into_vec()).collect(),
        })
    }

    /// Reads and checks the sidecar at `path`.
    pub fn read(path: &Path) -> Result<Sidecar, SidecarError> {
        let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
        Sidecar::from_bytes(path, &bytes)
    }
}

/// The 8-byte hash of one source symbol.
fn symbol_hash(symbol: &[u8]) -> [u8; SYMBOL_HASH_LEN] {
    let mut out = [0; SYMBOL_HASH_LEN];
    out.copy_from_slice(&blake3::hash(symbol).as_bytes()[..SYMBOL_HASH_LEN]);
    out
}

/// The bytes of block `b` (whole symbols, the last zero-padded).
fn block_bytes(data: &[u8], layout: &Layout, start: u64, k: u64) -> Vec<u8> {
    let t = u64::from(layout.symbol_size);
    let from = (start * t) as usize;
    let to = ((start + k) * t) as usize;
    let mut bytes = vec![0u8; to - from];
    // Bytes past the protected length are not the file's: the padding is zeros.
    let have = data
        .len()
        .min(layout.len as usize)
        .min(to)
        .saturating_sub(from);
    bytes[..have].copy_from_slice(&data[from..from + have]);
    bytes
}

/// Makes the sidecar of `data` (a whole trace file) with `overhead` percent
/// repair symbols; `chain` and `event_count` are the trace's.
pub fn protect(
    path: &Path,
    data: &[u8],
    chain: Digest,
    event_count: u64,
    overhead: u32,
) -> Result<Sidecar, SidecarError> {
    if !(1..=MAX_OVERHEAD).contains(&overhead) {
        return Err(SidecarError::Usage(format!(
            "--overhead must be a whole percentage from 1 to {MAX_OVERHEAD}, not {overhead}"
        )));
    }
    let layout = Layout::for_len(data.len() as u64).ok_or_else(|| SidecarError::CannotProtect {
        path: path.to_owned(),
        detail: format!("a {}-byte file is empty or too large", data.len()),
    })?;
    let oti = layout.oti();
    let mut symbol_hashes = Vec::with_capacity(layout.symbols as usize * SYMBOL_HASH_LEN);
    let mut repair = Vec::with_capacity(layout.blocks as usize);
    for (b, (start, k)) in layout.block_ranges().into_iter().enumerate() {
        let bytes = block_bytes(data, &layout, start, k);
        for symbol in bytes.chunks(layout.symbol_size as usize) {
            symbol_hashes.extend_from_slice(&symbol_hash(symbol));
        }
        let encoder = SourceBlockEncoder::new(b as u8, &oti, &bytes);
        let packets = encoder.repair_packets(0, repair_count(k, overhead) as u32);
        let mut block_repair = Vec::with_capacity(packets.len() * layout.symbol_size as usize);
        for p in packets {
            block_repair.extend_from_slice(p.data());
        }
        repair.push(block_repair);
    }
    Ok(Sidecar {
        layout,
        file_hash: Digest::of(data),
        chain,
        event_count,
        overhead,
        symbol_hashes,
        repair,
    })
}

/// What [`repair`] found and did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairStats {
    /// Source symbols whose bytes differed from the protected file's.
    pub lost_symbols: u64,
    /// Repair symbols the sidecar holds.
    pub covered: u64,
    /// Byte ranges `[start, end)` that were restored, merged.
    pub restored: Vec<(u64, u64)>,
    /// Bytes past the protected length that were cut off.
    pub trailing_removed: u64,
}

/// Restores `damaged` (the file as it is now: any length, missing bytes
/// count as lost) to the protected file's bytes, proven by its whole-file
/// hash. `Ok(None)` when nothing is damaged.
pub fn repair(
    path: &Path,
    sidecar: &Sidecar,
    damaged: &[u8],
) -> Result<Option<(Vec<u8>, RepairStats)>, SidecarError> {
    let layout = sidecar.layout;
    if damaged.len() as u64 == layout.len && Digest::of(damaged) == sidecar.file_hash {
        return Ok(None);
    }
    let cannot = |detail: String| SidecarError::CannotRepair {
        path: path.to_owned(),
        detail,
    };
    let oti = layout.oti();
    let t = layout.symbol_size as usize;
    let ranges = layout.block_ranges();
    // Which symbols are lost, per block.
    let mut lost_per_block = Vec::with_capacity(ranges.len());
    let mut restored: Vec<(u64, u64)> = Vec::new();
    let mut blocks = Vec::with_capacity(ranges.len());
    for &(start, k) in &ranges {
        let bytes = block_bytes(damaged, &layout, start, k);
        let mut lost = Vec::new();
        for (j, symbol) in bytes.chunks(t).enumerate() {
            let i = start as usize + j;
            let want = &sidecar.symbol_hashes[i * SYMBOL_HASH_LEN..(i + 1) * SYMBOL_HASH_LEN];
            if symbol_hash(symbol) != want {
                lost.push(j as u64);
                let from = i as u64 * t as u64;
                let to = (from + t as u64).min(layout.len);
                match restored.last_mut() {
                    Some(last) if last.1 == from => last.1 = to,
                    _ => restored.push((from, to)),
                }
            }
        }
        lost_per_block.push(lost);
        blocks.push(bytes);
    }
    let lost_symbols: u64 = lost_per_block.iter().map(|l| l.len() as u64).sum();
    let covered = sidecar.repair_symbols();
    let stats = RepairStats {
        lost_symbols,
        covered,
        restored,
        trailing_removed: (damaged.len() as u64).saturating_sub(layout.len),
    };
    let over: Vec<String> = lost_per_block
        .iter()
        .zip(&sidecar.repair)
        .enumerate()
        .filter(|(_, (lost, r))| lost.len() * t > r.len())
        .map(|(b, (lost, r))| format!("block {b}: {} lost, {} covered", lost.len(), r.len() / t))
        .collect();
    if !over.is_empty() {
        let per_block = if ranges.len() > 1 {
            format!(" ({})", over.join("; "))
        } else {
            String::new()
        };
        return Err(cannot(format!(
            "{lost_symbols} symbols lost, sidecar covers {covered}{per_block}"
        )));
    }
    let mut out = Vec::with_capacity(layout.len as usize);
    for (b, ((bytes, lost), &(_, k))) in blocks.iter().zip(&lost_per_block).zip(&ranges).enumerate()
    {
        if lost.is_empty() {
            out.extend_from_slice(bytes);
            continue;
        }
        let mut decoder = SourceBlockDecoder::new(b as u8, &oti, k * t as u64);
        let mut lost_iter = lost.iter().peekable();
        let mut packets = Vec::with_capacity(k as usize);
        for (j, symbol) in bytes.chunks(t).enumerate() {
            if lost_iter.peek() == Some(&&(j as u64)) {
                lost_iter.next();
                continue;
            }
            packets.push(EncodingPacket::new(
                PayloadId::new(b as u8, j as u32),
                symbol.to_vec(),
            ));
        }
        for (r, symbol) in sidecar.repair[b].chunks(t).enumerate() {
            packets.push(EncodingPacket::new(
                PayloadId::new(b as u8, (k as usize + r) as u32),
                symbol.to_vec(),
            ));
        }
        let decoded = decoder.decode(packets).ok_or_else(|| {
            cannot(format!(
                "{lost_symbols} symbols lost, sidecar covers {covered}, but block {b} does not decode \
                 from the symbols left"
            ))
        })?;
        out.extend_from_slice(&decoded);
    }
    out.truncate(layout.len as usize);
    if Digest::of(&out) != sidecar.file_hash {
        return Err(cannot(format!(
            "{lost_symbols} symbols lost, sidecar covers {covered}, but the decoded file does not hash \
             to the protected file's BLAKE3 {}",
            sidecar.file_hash.short(16)
        )));
    }
    Ok(Some((out, stats)))
}

/// What [`repair_file`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepairOutcome {
    /// The file already hashes to the protected bytes; nothing was written.
    Intact,
    /// The file was restored and renamed into place.
    Repaired(RepairStats),
}

/// Writes `contents` to a temporary file next to `path` and syncs it; the
/// caller renames it into place or removes it (see [`crate::atomic`]).
pub fn write_temp(path: &Path, contents: &[u8]) -> Result<PathBuf, SidecarError> {
    crate::atomic::write_temp(path, contents).map_err(|e| write_error(path, e))
}

/// Writes `contents` to `path` atomically (temporary file, sync, rename).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), SidecarError> {
    crate::atomic::write_atomic(path, contents).map_err(|e| write_error(path, e))
}

/// Refuses to replace something that is not a regular file (a device, a
/// pipe, a directory, a symlink): a rename would destroy it.
pub fn refuse_non_regular_target(path: &Path) -> Result<(), SidecarError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => Err(SidecarError::Usage(format!(
            "{}: exists and is not a regular file; refusing to replace it",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// What a sidecar records about the protected file besides its bytes: for a
/// trace its chain hash and event count; another kind of file supplies its
/// own identity (a checkpoint: its content hash and tensor count).
pub type FileIdentity = (Digest, u64);

/// Protects the trace at `path`: it must read as a complete, sound trace
/// (the sidecar records its chain hash). Writes `path.rq` atomically and
/// returns the sidecar.
pub fn protect_file(path: &Path, overhead: u32) -> Result<(Sidecar, PathBuf), SidecarError> {
    protect_file_with(path, overhead, &trace_identity)
}

/// The identity of a complete, sound trace: its chain hash and event count.
fn trace_identity(path: &Path) -> Result<FileIdentity, String> {
    let mut reader =
        crate::TraceReader::open(path).map_err(|e| format!("not a sound trace: {e}"))?;
    let chain = reader.index().chain;
    let event_count = reader.event_count();
    reader
        .read_all()
        .map_err(|e| format!("not a sound trace: {e}"))?;
    let verification = crate::verify::verify_file(path).map_err(|e| e.to_string())?;
    if let Some(problem) = verification.problems.first() {
        return Err(format!("not a sound trace: {}", problem.describe()));
    }
    Ok((chain, event_count))
}

/// Protects any file at `path`: `identify` must accept it (reading it as
/// whatever it is) and returns the identity the sidecar records in its
/// `chain` and `event_count` fields. Writes `path.rq` atomically.
pub fn protect_file_with(
    path: &Path,
    overhead: u32,
    identify: &dyn Fn(&Path) -> Result<FileIdentity, String>,
) -> Result<(Sidecar, PathBuf), SidecarError> {
    let (chain, event_count) = identify(path).map_err(|detail| SidecarError::CannotProtect {
        path: path.to_owned(),
        detail,
    })?;
    let data = std::fs::read(path).map_err(|e| io(path, e))?;
    let sidecar = protect(path, &data, chain, event_count, overhead)?;
    let out = sidecar_path(path);
    refuse_non_regular_target(&out)?;
    write_atomic(&out, &sidecar.to_bytes()?)?;
    Ok((sidecar, out))
}

/// Repairs the trace at `path` from `path.rq`. The restored bytes must hash
/// to the recorded whole-file hash and read as a complete trace whose chain
/// hash is the recorded one; only then are they renamed over `path`. On any
/// failure `path` is untouched.
pub fn repair_file(path: &Path) -> Result<RepairOutcome, SidecarError> {
    repair_file_with(path, &|temp: &Path| {
        let as_trace = |e: crate::TraceError| format!("does not read as a trace: {e}");
        let mut reader = crate::TraceReader::open(temp).map_err(as_trace)?;
        reader.read_all().map_err(as_trace)?;
        Ok((reader.index().chain, reader.event_count()))
    })
}

/// Repairs any file at `path` from `path.rq`: the restored bytes must hash
/// to the recorded whole-file hash, and `identify` must read them and give
/// the identity the sidecar recorded; only then are they renamed over
/// `path`. On any failure `path` is untouched.
pub fn repair_file_with(
    path: &Path,
    identify: &dyn Fn(&Path) -> Result<FileIdentity, String>,
) -> Result<RepairOutcome, SidecarError> {
    let sidecar_file = sidecar_path(path);
    let sidecar = Sidecar::read(&sidecar_file)?;
    refuse_non_regular_target(path)?;
    let damaged = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(path, e)),
    };
    let Some((restored, stats)) = repair(path, &sidecar, &damaged)? else {
        return Ok(RepairOutcome::Intact);
    };
    let temp = write_temp(path, &restored)?;
    let proven = identify(&temp);
    let fail = |detail: String| {
        let _ = std::fs::remove_file(&temp);
        SidecarError::CannotRepair {
            path: path.to_owned(),
            detail,
        }
    };
    match proven {
        Ok((chain, count)) if chain == sidecar.chain && count == sidecar.event_count => {}
        Ok((chain, _)) => {
            return Err(fail(format!(
                "the restored file's chain hash {} is not the recorded {}",
                chain.short(16),
                sidecar.chain.short(16)
            )));
        }
        Err(e) => {
            return Err(fail(format!("the restored file {e}")));
        }
    }
    if let Ok(m) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&temp, m.permissions());
    }
    crate::atomic::rename_into_place(&temp, path).map_err(|e| write_error(path, e))?;
    Ok(RepairOutcome::Repaired(stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn layout_grows_symbols_then_blocks() {
        let small = Layout::for_len(500).expect("ok");
        assert_eq!(
            (small.symbol_size, small.symbols, small.blocks),
            (256, 2, 1)
        );
        let mid = Layout::for_len(4096 * 256 + 1).expect("ok");
        assert_eq!(mid.symbol_size, 512);
        let big = Layout::for_len(300 << 20).expect("ok");
        assert_eq!(big.symbol_size, MAX_SYMBOL_SIZE);
        assert_eq!(big.blocks, 3);
        let ranges = big.block_ranges();
        assert_eq!(ranges.iter().map(|r| r.1).sum::<u64>(), big.symbols);
        assert!(Layout::for_len(0).is_none());
    }

    #[test]
    fn round_trip_and_repair_within_overhead() {
        let path = Path::new("t.ftr");
        let original = data(40_000);
        let sidecar = protect(path, &original, Digest::ZERO, 0, 10).expect("ok");
        let bytes = sidecar.to_bytes().expect("ok");
        assert_eq!(Sidecar::from_bytes(path, &bytes).expect("ok"), sidecar);
        // Deterministic.
        let again = protect(path, &original, Digest::ZERO, 0, 10).expect("ok");
        assert_eq!(again.to_bytes().expect("ok"), bytes);
        let covered = sidecar.repair_symbols();
        assert_eq!(covered, 16);
        let mut damaged = original.clone();
        let t = sidecar.layout.symbol_size as usize;
        for s in 0..covered as usize {
            damaged[s * 9 * t + 3] ^= 0xff;
        }
        let (fixed, stats) = repair(path, &sidecar, &damaged).expect("ok").expect("ok");
        assert_eq!(fixed, original);
        assert_eq!(stats.lost_symbols, covered);
        // Cut tail.
        let (fixed, _) = repair(path, &sidecar, &original[..original.len() - 3000])
            .expect("ok")
            .expect("ok");
        assert_eq!(fixed, original);
        assert!(repair(path, &sidecar, &original).expect("ok").is_none());
        // Appended bytes are cut off.
        let mut longer = original.clone();
        longer.extend_from_slice(b"appended");
        let (fixed, stats) = repair(path, &sidecar, &longer).expect("ok").expect("ok");
        assert_eq!(fixed, original);
        assert_eq!((stats.lost_symbols, stats.trailing_removed), (0, 8));
    }

    #[test]
    fn beyond_overhead_cannot_repair() {
        let path = Path::new("t.ftr");
        let original = data(20_000);
        let sidecar = protect(path, &original, Digest::ZERO, 0, 5).expect("ok");
        let covered = sidecar.repair_symbols() as usize;
        let t = sidecar.layout.symbol_size as usize;
        let mut damaged = original.clone();
        for s in 0..=covered {
            damaged[s * t] ^= 1;
        }
        let err = repair(path, &sidecar, &damaged)
            .expect_err("fails")
            .to_string();
        assert!(
            err.contains(&format!(
                "cannot repair: {} symbols lost, sidecar covers {covered}",
                covered + 1
            )),
            "{err}"
        );
    }

    #[test]
    fn damaged_sidecar_refused() {
        let path = Path::new("t.ftr.rq");
        let sidecar = protect(path, &data(3000), Digest::ZERO, 0, 10).expect("ok");
        let mut bytes = sidecar.to_bytes().expect("ok");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 4;
        let err = Sidecar::from_bytes(path, &bytes)
            .expect_err("fails")
            .to_string();
        assert!(err.contains("checksum mismatch"), "{err}");
        assert!(Sidecar::from_bytes(path, &bytes[..20]).is_err());
    }
}
