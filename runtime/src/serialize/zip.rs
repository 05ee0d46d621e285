//! The zip container of a `torch.save` file: a reader for stored (not
//! compressed) entries and a writer that lays entries out as PyTorch's
//! `PyTorchFileWriter` does.
//!
//! Design choice: a small own implementation instead of a zip crate. The
//! reader works on the file's bytes in memory and checks every declared
//! size and offset against the file before it slices (never allocates what
//! a header claims), and checks each entry's CRC-32 when it is read. The
//! writer's output is a pure function of the entries: no timestamps, no
//! host fields, data 64-byte aligned through a padding extra field (`FB`,
//! filled with `Z`, as PyTorch pads), a data descriptor after each entry and
//! a zip64 end record, like the files torch 2.x writes.

use super::error::SerializeError;

/// Local file header signature `PK\x03\x04`.
const LOCAL: u32 = 0x0403_4b50;
/// Central directory header signature `PK\x01\x02`.
const CENTRAL: u32 = 0x0201_4b50;
/// End of central directory signature `PK\x05\x06`.
const EOCD: u32 = 0x0605_4b50;
/// Zip64 end of central directory record `PK\x06\x06`.
const EOCD64: u32 = 0x0606_4b50;
/// Zip64 end of central directory locator `PK\x06\x07`.
const EOCD64_LOCATOR: u32 = 0x0706_4b50;
/// Data descriptor signature `PK\x07\x08`.
const DESCRIPTOR: u32 = 0x0807_4b50;
/// Where entry data starts: a multiple of this (PyTorch's `kFieldAlignment`).
pub(crate) const ALIGNMENT: usize = 64;
/// General purpose flags PyTorch writes: data descriptor (bit 3) and UTF-8
/// names (bit 11); an empty entry has no descriptor.
const FLAGS: u16 = 0x0808;
/// Flags of an empty entry: UTF-8 names only.
const FLAGS_EMPTY: u16 = 0x0800;

/// CRC-32 (IEEE 802.3, reflected, as zip uses it).
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut c = !0u32;
    for &b in bytes {
        c = TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// One stored entry of an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Full name (`archive/data/0`).
    pub name: String,
    /// Offset of the first data byte in the file.
    pub start: usize,
    /// Data length.
    pub size: usize,
    /// CRC-32 the central directory records.
    pub crc: u32,
}

/// A parsed zip archive over the file's bytes.
#[derive(Debug)]
pub(crate) struct Archive<'a> {
    bytes: &'a [u8],
    /// Entries in central-directory order.
    pub entries: Vec<Entry>,
}

fn bad(offset: usize, detail: impl Into<String>) -> SerializeError {
    SerializeError::Zip {
        offset: offset as u64,
        detail: detail.into(),
    }
}

/// Little-endian field reads that fail (typed) past the end.
struct At<'a> {
    bytes: &'a [u8],
}

impl At<'_> {
    fn slice(&self, at: usize, len: usize, what: &str) -> Result<&[u8], SerializeError> {
        at.checked_add(len)
            .and_then(|end| self.bytes.get(at..end))
            .ok_or_else(|| {
                bad(
                    at,
                    format!(
                        "truncated: {what} needs {len} bytes at offset {at}, the file has {}",
                        self.bytes.len()
                    ),
                )
            })
    }
    fn u16(&self, at: usize, what: &str) -> Result<u16, SerializeError> {
        let s = self.slice(at, 2, what)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&self, at: usize, what: &str) -> Result<u32, SerializeError> {
        let s = self.slice(at, 4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&self, at: usize, what: &str) -> Result<u64, SerializeError> {
        let s = self.slice(at, 8, what)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(s);
        Ok(u64::from_le_bytes(b))
    }
}

fn to_usize(v: u64, at: usize, what: &str) -> Result<usize, SerializeError> {
    usize::try_from(v).map_err(|_| bad(at, format!("{what} {v} is out of range")))
}

impl<'a> Archive<'a> {
    /// Parses the central directory of `bytes` and checks every entry's
    /// local header and extent against the file.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Archive<'a>, SerializeError> {
        let at = At { bytes };
        if bytes.len() < 22 || bytes[..4] != LOCAL.to_le_bytes() {
            return Err(bad(
                0,
                format!(
                    "not a zip archive ({} bytes, no local file header at offset 0); \
                     torch.save writes zip files",
                    bytes.len()
                ),
            ));
        }
        // The end record is 22 bytes plus a comment of at most 65535.
        let lowest = bytes.len().saturating_sub(22 + 0xffff);
        let eocd = (lowest..=bytes.len() - 22)
            .rev()
            .find(|&i| bytes[i..i + 4] == EOCD.to_le_bytes())
            .ok_or_else(|| {
                bad(
                    bytes.len(),
                    "truncated: no end-of-central-directory record (the archive is cut short)",
                )
            })?;
        let comment = usize::from(at.u16(eocd + 20, "end record")?);
        if eocd + 22 + comment != bytes.len() {
            return Err(bad(
                eocd,
                format!(
                    "{} bytes after the end record where its comment declares {comment}",
                    bytes.len() - eocd - 22
                ),
            ));
        }
        if at.u16(eocd + 4, "end record")? != 0 || at.u16(eocd + 6, "end record")? != 0 {
            return Err(bad(eocd, "multi-disk archives are not supported"));
        }
        let mut count = u64::from(at.u16(eocd + 10, "end record")?);
        let mut cd_size = u64::from(at.u32(eocd + 12, "end record")?);
        let mut cd_offset = u64::from(at.u32(eocd + 16, "end record")?);
        if eocd >= 20 && at.u32(eocd - 20, "zip64 locator")? == EOCD64_LOCATOR {
            let locator = eocd - 20;
            let record = to_usize(
                at.u64(locator + 8, "zip64 locator")?,
                locator,
                "zip64 end record offset",
            )?;
            if at.u32(record, "zip64 end record")? != EOCD64 {
                return Err(bad(
                    record,
                    "the zip64 locator does not point at a zip64 end record",
                ));
            }
            count = at.u64(record + 32, "zip64 end record")?;
            cd_size = at.u64(record + 40, "zip64 end record")?;
            cd_offset = at.u64(record + 48, "zip64 end record")?;
        }
        let cd_start = to_usize(cd_offset, eocd, "central directory offset")?;
        let cd_len = to_usize(cd_size, eocd, "central directory size")?;
        at.slice(cd_start, cd_len, "central directory")?;
        // Each central header is at least 46 bytes: bounds the count before
        // anything is allocated for it.
        if count.saturating_mul(46) > cd_size {
            return Err(bad(
                eocd,
                format!("{count} entries cannot fit a {cd_size}-byte central directory"),
            ));
        }
        let mut entries = Vec::with_capacity(to_usize(count, eocd, "entry count")?);
        let mut p = cd_start;
        for _ in 0..count {
            if at.u32(p, "central directory header")? != CENTRAL {
                return Err(bad(p, "bad central directory header signature"));
            }
            let flags = at.u16(p + 8, "central directory header")?;
            let method = at.u16(p + 10, "central directory header")?;
            let crc = at.u32(p + 16, "central directory header")?;
            let mut csize = u64::from(at.u32(p + 20, "central directory header")?);
            let mut size = u64::from(at.u32(p + 24, "central directory header")?);
            let name_len = usize::from(at.u16(p + 28, "central directory header")?);
            let extra_len = usize::from(at.u16(p + 30, "central directory header")?);
            let comment_len = usize::from(at.u16(p + 32, "central directory header")?);
            let mut local = u64::from(at.u32(p + 42, "central directory header")?);
            let name_bytes = at.slice(p + 46, name_len, "entry name")?;
            let name = std::str::from_utf8(name_bytes)
                .map_err(|_| bad(p + 46, "an entry name is not UTF-8"))?
                .to_owned();
            if flags & 1 != 0 {
                return Err(bad(p, format!("entry {name:?} is encrypted")));
            }
            if method != 0 {
                return Err(bad(
                    p,
                    format!(
                        "entry {name:?} is compressed (method {method}); torch.save stores entries \
                         uncompressed and only those are read"
                    ),
                ));
            }
            // Zip64 extra field (id 1): the 64-bit values of the fields set to 0xFFFFFFFF.
            let extra = at.slice(p + 46 + name_len, extra_len, "extra field")?;
            let mut q = 0;
            while q + 4 <= extra.len() {
                let id = u16::from_le_bytes([extra[q], extra[q + 1]]);
                let len = usize::from(u16::from_le_bytes([extra[q + 2], extra[q + 3]]));
                let field = extra
                    .get(q + 4..q + 4 + len)
                    .ok_or_else(|| bad(p, format!("entry {name:?}: extra field overruns")))?;
                if id == 1 {
                    let fa = At { bytes: field };
                    let mut r = 0;
                    for v in [&mut size, &mut csize, &mut local] {
                        if *v == 0xffff_ffff {
                            *v = fa.u64(r, "zip64 extra field")?;
                            r += 8;
                        }
                    }
                }
                q += 4 + len;
            }
            if csize != size {
                return Err(bad(
                    p,
                    format!("entry {name:?}: stored size {csize} differs from its length {size}"),
                ));
            }
            let local = to_usize(local, p, "local header offset")?;
            if at.u32(local, "local header")? != LOCAL {
                return Err(bad(
                    local,
                    format!("entry {name:?}: no local header at offset {local}"),
                ));
            }
            let lname = usize::from(at.u16(local + 26, "local header")?);
            let lextra = usize::from(at.u16(local + 28, "local header")?);
            if at.slice(local + 30, lname, "local name")? != name_bytes {
                return Err(bad(
                    local,
                    format!("entry {name:?}: the local header names another entry"),
                ));
            }
            let start = local + 30 + lname + lextra;
            let size = to_usize(size, p, "entry size")?;
            at.slice(start, size, &format!("entry {name:?}"))?;
            entries.push(Entry {
                name,
                start,
                size,
                crc,
            });
            p += 46 + name_len + extra_len + comment_len;
        }
        Ok(Archive { bytes, entries })
    }

    /// The entry named `name`.
    pub(crate) fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The data of `entry`, its CRC-32 checked.
    pub(crate) fn data(&self, entry: &Entry) -> Result<&'a [u8], SerializeError> {
        let data = self
            .bytes
            .get(entry.start..entry.start + entry.size)
            .ok_or_else(|| bad(entry.start, format!("entry {:?} overruns", entry.name)))?;
        let crc = crc32(data);
        if crc != entry.crc {
            return Err(SerializeError::Crc {
                entry: entry.name.clone(),
                recorded: entry.crc,
                actual: crc,
            });
        }
        Ok(data)
    }
}

/// Writes entries the way PyTorch's writer does (see the module doc).
#[derive(Default)]
pub(crate) struct Writer {
    out: Vec<u8>,
    central: Vec<(String, u16, u32, u64, u64)>,
}

impl Writer {
    /// Appends a stored entry whose data starts on a 64-byte boundary.
    pub(crate) fn add(&mut self, name: &str, data: &[u8]) {
        let offset = self.out.len() as u64;
        let crc = crc32(data);
        // Padding: an `FB` extra field of `Z`s so that data is aligned.
        let header = self.out.len() + 30 + name.len() + 4;
        let pad = (ALIGNMENT - header % ALIGNMENT) % ALIGNMENT;
        let flags = if data.is_empty() { FLAGS_EMPTY } else { FLAGS };
        let o = &mut self.out;
        o.extend_from_slice(&LOCAL.to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes()); // version needed
        o.extend_from_slice(&flags.to_le_bytes());
        o.extend_from_slice(&[0; 2 + 2 + 2]); // method, time, date
        o.extend_from_slice(&[0; 4 + 4 + 4]); // crc and sizes: in the descriptor
        o.extend_from_slice(&(name.len() as u16).to_le_bytes());
        o.extend_from_slice(&((4 + pad) as u16).to_le_bytes());
        o.extend_from_slice(name.as_bytes());
        o.extend_from_slice(b"FB");
        o.extend_from_slice(&(pad as u16).to_le_bytes());
        o.resize(o.len() + pad, b'Z');
        o.extend_from_slice(data);
        let size = data.len() as u64;
        if size > 0 {
            o.extend_from_slice(&DESCRIPTOR.to_le_bytes());
            o.extend_from_slice(&crc.to_le_bytes());
            if size >= 0xffff_ffff {
                o.extend_from_slice(&size.to_le_bytes());
                o.extend_from_slice(&size.to_le_bytes());
            } else {
                o.extend_from_slice(&(size as u32).to_le_bytes());
                o.extend_from_slice(&(size as u32).to_le_bytes());
            }
        }
        self.central
            .push((name.to_owned(), flags, crc, size, offset));
    }

    /// The central directory and end records; the archive's bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let cd_start = self.out.len() as u64;
        let o = &mut self.out;
        for (name, flags, crc, size, offset) in &self.central {
            let big = *size >= 0xffff_ffff || *offset >= 0xffff_ffff;
            let mut extra = Vec::new();
            if big {
                extra.extend_from_slice(&1u16.to_le_bytes());
                extra.extend_from_slice(&24u16.to_le_bytes());
                extra.extend_from_slice(&size.to_le_bytes());
                extra.extend_from_slice(&size.to_le_bytes());
                extra.extend_from_slice(&offset.to_le_bytes());
            }
            let clamp = |v: u64| if big { 0xffff_ffff } else { v as u32 };
            o.extend_from_slice(&CENTRAL.to_le_bytes());
            o.extend_from_slice(&[0; 2 + 2]); // version made by, needed
            o.extend_from_slice(&flags.to_le_bytes());
            o.extend_from_slice(&[0; 2 + 2 + 2]); // method, time, date
            o.extend_from_slice(&crc.to_le_bytes());
            o.extend_from_slice(&clamp(*size).to_le_bytes());
            o.extend_from_slice(&clamp(*size).to_le_bytes());
            o.extend_from_slice(&(name.len() as u16).to_le_bytes());
            o.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            o.extend_from_slice(&[0; 2 + 2 + 2 + 4]); // comment, disk, attributes
            o.extend_from_slice(&clamp(*offset).to_le_bytes());
            o.extend_from_slice(name.as_bytes());
            o.extend_from_slice(&extra);
        }
        let cd_end = o.len() as u64;
        let count = self.central.len() as u64;
        let cd_size = cd_end - cd_start;
        // Zip64 end record and locator (PyTorch always writes them).
        o.extend_from_slice(&EOCD64.to_le_bytes());
        o.extend_from_slice(&44u64.to_le_bytes());
        o.extend_from_slice(&0x031eu16.to_le_bytes()); // made by: unix, 3.0
        o.extend_from_slice(&0x2du16.to_le_bytes()); // needed: 4.5
        o.extend_from_slice(&[0; 4 + 4]);
        o.extend_from_slice(&count.to_le_bytes());
        o.extend_from_slice(&count.to_le_bytes());
        o.extend_from_slice(&cd_size.to_le_bytes());
        o.extend_from_slice(&cd_start.to_le_bytes());
        o.extend_from_slice(&EOCD64_LOCATOR.to_le_bytes());
        o.extend_from_slice(&0u32.to_le_bytes());
        o.extend_from_slice(&cd_end.to_le_bytes());
        o.extend_from_slice(&1u32.to_le_bytes());
        let c16 = u16::try_from(count).unwrap_or(0xffff);
        let c32 = |v: u64| u32::try_from(v).unwrap_or(0xffff_ffff);
        o.extend_from_slice(&EOCD.to_le_bytes());
        o.extend_from_slice(&[0; 4]);
        o.extend_from_slice(&c16.to_le_bytes());
        o.extend_from_slice(&c16.to_le_bytes());
        o.extend_from_slice(&c32(cd_size).to_le_bytes());
        o.extend_from_slice(&c32(cd_start).to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn written_archive_reads_back_aligned() {
        let mut w = Writer::default();
        w.add("archive/data.pkl", b"\x80\x02.");
        w.add("archive/data/0", &[1, 2, 3, 4]);
        w.add("archive/data/1", &[]);
        let bytes = w.finish();
        let a = Archive::parse(&bytes).expect("parses");
        let names: Vec<&str> = a.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["archive/data.pkl", "archive/data/0", "archive/data/1"]
        );
        for e in &a.entries {
            assert_eq!(e.start % ALIGNMENT, 0, "{}", e.name);
        }
        let e = a.entry("archive/data/0").expect("entry");
        assert_eq!(a.data(e).expect("crc"), &[1, 2, 3, 4]);
    }

    #[test]
    fn truncated_and_damaged_archives_refused() {
        let mut w = Writer::default();
        w.add("archive/data/0", &[9; 100]);
        let bytes = w.finish();
        for cut in [0, 3, 30, 100, bytes.len() - 1] {
            let err = Archive::parse(&bytes[..cut]).expect_err("refused");
            assert!(matches!(err, SerializeError::Zip { .. }), "{err}");
        }
        let mut damaged = bytes.clone();
        let a = Archive::parse(&bytes).expect("parses");
        damaged[a.entries[0].start + 5] ^= 1;
        let a = Archive::parse(&damaged).expect("parses");
        let err = a.data(&a.entries[0]).expect_err("crc");
        assert!(matches!(err, SerializeError::Crc { .. }), "{err}");
    }
}
