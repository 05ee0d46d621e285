//! torchvision's image I/O operators (`torch.ops.image`, registered when
//! `torchvision.io` loads its extension): `read_file`, `decode_png` and
//! `decode_image` of PNG data.
//!
//! * `read_file(filename)` returns the file's bytes as a 1-d uint8 tensor.
//!   A replay hands the kernel the bytes PyTorch read (the file belongs to
//!   the recording machine) through the same queue as random draws
//!   ([`crate::Runtime::provide_random_values`]); without them the kernel
//!   reads the file.
//! * `decode_png(data, mode, apply_exif_orientation)` decodes as torchvision
//!   drives libpng: 8-bit output, gray images of 1, 2 or 4 bits expanded to
//!   0..255 (`v * 255 / (2^bits - 1)`), Adam7 interlacing undone; in mode
//!   UNCHANGED (0) a palette image gives its indices and `tRNS` is ignored.
//!   The modes GRAY (1), GRAY_ALPHA (2), RGB (3) and RGB_ALPHA (4) convert
//!   with libpng's transforms: a palette expands to RGB (RGBA with `tRNS`),
//!   gray replicates to RGB, a missing alpha is added as `2^bits - 1` of
//!   the file's bit depth (255 for 8 bits, 1 for a 1-bit mask), and RGB
//!   becomes gray in fixed point, `(9794 r + 19234 g + 3740 b) >> 15`
//!   (torchvision's 0.2989 / 0.587 weights in libpng's 1/32768 units).
//!   The result is the HWC buffer permuted to CHW (strides `1, W*C, C`).
//!   16-bit images (torchvision returns uint16, a dtype this runtime lacks),
//!   gamma-tagged images converted to gray (libpng linearises them first)
//!   and packed palettes in mode UNCHANGED are refused as unsupported.
//! * `decode_image` reads the signature: PNG goes to `decode_png`; JPEG,
//!   GIF, WebP, AVIF and HEIC data are unsupported here.
//!
//! The zlib stream inside IDAT is inflated here (RFC 1950/1951), adler32
//! and chunk CRCs checked as libpng checks them.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::dtype::DType;

use super::Kernel;

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "image.read_file.default" => read_file,
        "image.decode_png.default" => decode_png,
        "image.decode_image.default" => decode_image,
        _ => return None,
    })
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// `image::read_file(str filename) -> Tensor`.
fn read_file(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let filename = match a.values.first() {
        Some(IValue::Str(s)) => s.clone(),
        _ => {
            return Err(RuntimeError::unsupported(
                ctx.op,
                "filename is not a string",
            ));
        }
    };
    let bytes: Vec<i64> = match ctx.random.next_provided_ints() {
        Some(recorded) => recorded,
        None => {
            let data = std::fs::read(&filename).map_err(|e| {
                RuntimeError::shape(
                    ctx.op,
                    format!(
                        "[Errno {}] {}: '{filename}'",
                        e.raw_os_error().unwrap_or(0),
                        e
                    ),
                )
            })?;
            data.into_iter().map(i64::from).collect()
        }
    };
    if bytes.is_empty() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("Expected a non empty file: '{filename}'"),
        ));
    }
    let n = bytes.len() as i64;
    let out = ctx.output_i64(&[n], &[1], DType::UInt8, || Ok(bytes))?;
    Ok(vec![out.into()])
}

/// `image::decode_png(Tensor data, int mode, bool apply_exif_orientation)`.
fn decode_png(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let data = encoded_bytes(ctx, &a)?;
    let mode = a.int(1)?;
    let exif = a.bool(2)?;
    let image = Png::decode(ctx, &data, mode, exif)?;
    image.into_output(ctx)
}

/// `image::decode_image(Tensor data, int mode, bool apply_exif_orientation)`.
fn decode_image(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let data = encoded_bytes(ctx, &a)?;
    let mode = a.int(1)?;
    let exif = a.bool(2)?;
    if data.len() >= 8 && data[..8] == PNG_SIGNATURE {
        let image = Png::decode(ctx, &data, mode, exif)?;
        return image.into_output(ctx);
    }
    let format = if data.starts_with(&[0xff, 0xd8, 0xff]) {
        "JPEG"
    } else if data.starts_with(b"GIF8") {
        "GIF"
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        "WebP"
    } else if data.len() >= 12 && &data[4..8] == b"ftyp" {
        "AVIF/HEIC"
    } else {
        return Err(RuntimeError::shape(
            ctx.op,
            "Unsupported image file. Only jpeg, png, webp and gif are currently supported. \
             For avif and heic format, please rely on `decode_avif` and `decode_heic` directly.",
        ));
    };
    Err(RuntimeError::unsupported(
        ctx.op,
        format!("decoding {format} data (this runtime decodes PNG only)"),
    ))
}

/// The encoded bytes: a non-empty 1-d contiguous uint8 tensor, as
/// torchvision's `validate_encoded_data` requires.
fn encoded_bytes(ctx: &KernelCtx<'_>, a: &Args<'_>) -> Result<Vec<u8>> {
    let t = a.tensor(0)?;
    ctx.check(t, "data")?;
    if !t.is_contiguous() {
        return Err(RuntimeError::shape(
            ctx.op,
            "Input tensor must be contiguous.",
        ));
    }
    if t.dtype() != DType::UInt8 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Input tensor must have uint8 data type, got {}",
                t.dtype().name()
            ),
        ));
    }
    if t.dim() != 1 || t.numel() == 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Input tensor must be 1-dimensional and non-empty, got {} dims  and {} numels.",
                t.dim(),
                t.numel()
            ),
        ));
    }
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "decoding a tensor without data (the image's size depends on its bytes)",
        ));
    }
    Ok(t.read_i64(ctx.op)?.into_iter().map(|v| v as u8).collect())
}

/// A decoded image: `height x width x channels` bytes, row-major.
struct Png {
    width: usize,
    height: usize,
    channels: usize,
    pixels: Vec<u8>,
}

impl Png {
    fn decode(ctx: &KernelCtx<'_>, data: &[u8], mode: i64, exif: bool) -> Result<Png> {
        let op = ctx.op;
        let bad = |msg: &str| RuntimeError::shape(op, msg.to_owned());
        if data.len() < 8 {
            return Err(bad("Content is too small for png!"));
        }
        if data[..8] != PNG_SIGNATURE {
            return Err(bad("Content is not png!"));
        }
        let chunks = read_chunks(op, &data[8..])?;
        let ihdr = chunks
            .first()
            .filter(|c| &c.kind == b"IHDR" && c.body.len() == 13)
            .ok_or_else(|| bad("Internal error."))?
            .body;
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let (width, height) = (be(&ihdr[0..4]), be(&ihdr[4..8]));
        let (depth, color, interlace) = (ihdr[8], ihdr[9], ihdr[12]);
        let samples = match (color, depth) {
            (0, 1 | 2 | 4 | 8 | 16) | (3, 1 | 2 | 4 | 8) => 1,
            (2 | 4 | 6, 8 | 16) => [0, 0, 3, 0, 2, 0, 4][color as usize],
            _ => return Err(bad("Internal error.")),
        };
        if width == 0 || height == 0 || ihdr[10] != 0 || ihdr[11] != 0 || interlace > 1 {
            return Err(bad("Internal error."));
        }
        if depth == 16 {
            return Err(RuntimeError::unsupported(
                op,
                "a 16-bit PNG (torchvision decodes it to uint16, a dtype this runtime lacks)",
            ));
        }
        if !(0..=4).contains(&mode) {
            return Err(bad("The provided mode is not supported for PNG files"));
        }
        let has = |kind: &[u8; 4]| chunks.iter().any(|c| &c.kind == kind);
        if exif && has(b"eXIf") {
            return Err(RuntimeError::unsupported(
                op,
                "apply_exif_orientation on a PNG with an eXIf chunk",
            ));
        }
        let mut zlib = Vec::new();
        for c in chunks.iter().filter(|c| &c.kind == b"IDAT") {
            zlib.extend_from_slice(c.body);
        }
        let raw = inflate_zlib(&zlib)
            .map_err(|e| RuntimeError::shape(op, format!("Internal error. ({e})")))?;
        let bits_per_pixel = samples * depth as usize;
        let faulty = ctx.faults.png_paeth_as_up;
        let indices = unfilter_all(&raw, width, height, bits_per_pixel, interlace == 1, faulty)
            .ok_or_else(|| bad("Internal error."))?;
        // `indices`: one sample per byte (sub-byte samples unpacked, not scaled).
        let palette = chunks.iter().find(|c| &c.kind == b"PLTE").map(|c| c.body);
        let trns = chunks.iter().find(|c| &c.kind == b"tRNS").map(|c| c.body);
        let gamma_tagged = has(b"gAMA") || has(b"sRGB") || has(b"iCCP");

        // libpng's layout after its transforms, stage by stage.
        let n = width * height;
        let mut ch = samples;
        let mut px = indices;
        if color == 0 && depth < 8 {
            let scale = [0u8, 255, 85, 0, 17][depth as usize];
            px.iter_mut().for_each(|v| *v *= scale);
        }
        if mode == 0 {
            if color == 3 && depth < 8 {
                return Err(RuntimeError::unsupported(
                    op,
                    "a palette PNG of fewer than 8 bits in mode UNCHANGED (torchvision reads its packed rows)",
                ));
            }
            return Ok(Png {
                width,
                height,
                channels: ch,
                pixels: px,
            });
        }
        let target_color = [0, 0, 4, 2, 6][mode as usize];
        if color == target_color {
            return Ok(Png {
                width,
                height,
                channels: ch,
                pixels: px,
            });
        }
        let mut has_alpha = color & 4 != 0;
        let has_color = color & 2 != 0;
        if color == 3 {
            let plte = palette.ok_or_else(|| bad("Internal error."))?;
            let alpha = trns.is_some();
            let out_ch = if alpha { 4 } else { 3 };
            let mut out = Vec::with_capacity(n * out_ch);
            for &i in &px {
                let i = i as usize;
                let rgb = plte.get(3 * i..3 * i + 3).unwrap_or(&[0, 0, 0]);
                out.extend_from_slice(rgb);
                if alpha {
                    out.push(trns.and_then(|t| t.get(i).copied()).unwrap_or(255));
                }
            }
            if !alpha && matches!(mode, 2 | 4) {
                return Err(RuntimeError::unsupported(
                    op,
                    "a palette PNG without tRNS in mode GRAY_ALPHA or RGB_ALPHA (torchvision expects an alpha libpng does not add)",
                ));
            }
            px = out;
            ch = out_ch;
            has_alpha = true;
        }
        let is_color = ch >= 3;
        let wants_alpha = matches!(mode, 2 | 4);
        let wants_color = matches!(mode, 3 | 4);
        if is_color && !wants_color && gamma_tagged && (has_color || color == 3) {
            return Err(RuntimeError::unsupported(
                op,
                "RGB to gray of a PNG with gAMA, sRGB or iCCP (libpng converts in linear light)",
            ));
        }
        let src_alpha = has_alpha && ch % 2 == 0;
        // torchvision asks libpng for the filler `(1 << bit_depth) - 1` of
        // the file's depth, and libpng writes its low byte into the
        // expanded 8-bit rows: 1-bit gray gets alpha 1, 2-bit 3, 4-bit 15.
        let filler = ((1u32 << depth) - 1) as u8;
        let mut out = Vec::with_capacity(n * [0, 1, 2, 3, 4][mode as usize]);
        for p in px.chunks_exact(ch) {
            let alpha = if src_alpha { p[ch - 1] } else { filler };
            let (r, g, b) = if is_color {
                (p[0], p[1], p[2])
            } else {
                (p[0], p[0], p[0])
            };
            if wants_color {
                out.extend_from_slice(&[r, g, b]);
            } else if is_color {
                let (r, g, b) = (u32::from(r), u32::from(g), u32::from(b));
                out.push(((9794 * r + 19234 * g + 3740 * b) >> 15) as u8);
            } else {
                out.push(r);
            }
            if wants_alpha {
                out.push(alpha);
            }
        }
        Ok(Png {
            width,
            height,
            channels: [0, 1, 2, 3, 4][mode as usize],
            pixels: out,
        })
    }

    /// The CHW permutation of the HWC buffer, as torchvision returns it.
    fn into_output(self, ctx: &KernelCtx<'_>) -> Result<Vec<IValue>> {
        let (h, w, c) = (self.height, self.width, self.channels);
        let mut logical = Vec::with_capacity(h * w * c);
        for k in 0..c {
            for y in 0..h {
                for x in 0..w {
                    logical.push(i64::from(self.pixels[(y * w + x) * c + k]));
                }
            }
        }
        let shape = [c as i64, h as i64, w as i64];
        let strides = [1, (w * c) as i64, c as i64];
        let out = ctx.output_i64(&shape, &strides, DType::UInt8, || Ok(logical))?;
        Ok(vec![out.into()])
    }
}

struct Chunk<'a> {
    kind: [u8; 4],
    body: &'a [u8],
}

/// The chunks up to IEND, each CRC checked.
fn read_chunks<'a>(op: &str, mut rest: &'a [u8]) -> Result<Vec<Chunk<'a>>> {
    let truncated = || {
        RuntimeError::shape(
            op,
            "Out of bound read in decode_png. Probably, the input image is corrupted",
        )
    };
    let mut chunks = Vec::new();
    loop {
        if rest.len() < 12 {
            return Err(truncated());
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if rest.len() < 12 + len {
            return Err(truncated());
        }
        let kind = [rest[4], rest[5], rest[6], rest[7]];
        let body = &rest[8..8 + len];
        let stored =
            u32::from_be_bytes([rest[8 + len], rest[9 + len], rest[10 + len], rest[11 + len]]);
        if crc32(&rest[4..8 + len]) != stored && kind[0].is_ascii_uppercase() {
            return Err(RuntimeError::shape(op, "Internal error."));
        }
        rest = &rest[12 + len..];
        let end = &kind == b"IEND";
        chunks.push(Chunk { kind, body });
        if end {
            return Ok(chunks);
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Adam7: (x start, y start, x step, y step) per pass.
const ADAM7: [(usize, usize, usize, usize); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

/// Undoes the scanline filters (and Adam7) and unpacks samples to one per
/// byte: `width * height * samples` bytes, or None when the data is short
/// or a filter type is unknown.
fn unfilter_all(
    raw: &[u8],
    width: usize,
    height: usize,
    bits_per_pixel: usize,
    interlaced: bool,
    faulty: bool,
) -> Option<Vec<u8>> {
    let depth = if bits_per_pixel < 8 {
        bits_per_pixel
    } else {
        8
    };
    let samples = if bits_per_pixel < 8 {
        1
    } else {
        bits_per_pixel / 8
    };
    let mut out = vec![0u8; width * height * samples];
    let passes: Vec<(usize, usize, usize, usize)> = if interlaced {
        ADAM7.to_vec()
    } else {
        vec![(0, 0, 1, 1)]
    };
    let mut at = 0;
    for (x0, y0, dx, dy) in passes {
        if x0 >= width || y0 >= height {
            continue;
        }
        let pw = (width - x0).div_ceil(dx);
        let ph = (height - y0).div_ceil(dy);
        let stride = (pw * bits_per_pixel).div_ceil(8);
        let bpp = bits_per_pixel.div_ceil(8);
        let mut prev = vec![0u8; stride];
        for row in 0..ph {
            let filter = *raw.get(at)?;
            let line = raw.get(at + 1..at + 1 + stride)?;
            at += 1 + stride;
            let mut cur = line.to_vec();
            for i in 0..stride {
                let left = if i >= bpp { cur[i - bpp] } else { 0 };
                let up = prev[i];
                let ul = if i >= bpp { prev[i - bpp] } else { 0 };
                let add = match filter {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                    4 if faulty => up,
                    4 => paeth(left, up, ul),
                    _ => return None,
                };
                cur[i] = cur[i].wrapping_add(add);
            }
            let y = y0 + row * dy;
            for col in 0..pw {
                let x = x0 + col * dx;
                for s in 0..samples {
                    let v = if depth < 8 {
                        let bit = col * depth;
                        let byte = cur[bit / 8];
                        let shift = 8 - depth - bit % 8;
                        (byte >> shift) & ((1u8 << depth) - 1)
                    } else {
                        cur[col * samples + s]
                    };
                    out[(y * width + x) * samples + s] = v;
                }
            }
            prev = cur;
        }
    }
    Some(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Inflates a zlib stream (RFC 1950 around RFC 1951), checking adler32.
fn inflate_zlib(data: &[u8]) -> std::result::Result<Vec<u8>, &'static str> {
    if data.len() < 6 {
        return Err("zlib stream too short");
    }
    let (cmf, flg) = (data[0], data[1]);
    if cmf & 0x0f != 8 || (u16::from(cmf) * 256 + u16::from(flg)) % 31 != 0 {
        return Err("incorrect header check");
    }
    if flg & 0x20 != 0 {
        return Err("preset dictionary");
    }
    let mut bits = Bits {
        data,
        pos: 2,
        bit: 0,
    };
    let out = inflate(&mut bits)?;
    let end = bits.pos + usize::from(bits.bit > 0);
    let tail = data.get(end..end + 4).ok_or("missing adler32")?;
    let stored = u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]);
    let (mut s1, mut s2) = (1u32, 0u32);
    for &b in &out {
        s1 = (s1 + u32::from(b)) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    if (s2 << 16) | s1 != stored {
        return Err("incorrect data check");
    }
    Ok(out)
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
}

impl Bits<'_> {
    fn need(&mut self, n: u32) -> std::result::Result<u32, &'static str> {
        let mut v = 0u32;
        for i in 0..n {
            let byte = *self.data.get(self.pos).ok_or("truncated deflate data")?;
            v |= u32::from((byte >> self.bit) & 1) << i;
            self.bit += 1;
            if self.bit == 8 {
                self.bit = 0;
                self.pos += 1;
            }
        }
        Ok(v)
    }
}

/// A canonical Huffman code: code counts per length and symbols in order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> std::result::Result<Huffman, &'static str> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[l as usize] += 1;
        }
        counts[0] = 0;
        let mut left: i32 = 1;
        for &c in &counts[1..] {
            left = left * 2 - i32::from(c);
            if left < 0 {
                return Err("over-subscribed code");
            }
        }
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[offs[l as usize] as usize] = sym as u16;
                offs[l as usize] += 1;
            }
        }
        Ok(Huffman { counts, symbols })
    }

    fn decode(&self, bits: &mut Bits<'_>) -> std::result::Result<u16, &'static str> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.need(1)? as i32;
            let count = i32::from(self.counts[len]);
            if code - count < first {
                return Ok(self.symbols[(index + (code - first)) as usize]);
            }
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        Err("invalid Huffman code")
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

fn inflate(bits: &mut Bits<'_>) -> std::result::Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    loop {
        let last = bits.need(1)?;
        match bits.need(2)? {
            0 => {
                if bits.bit > 0 {
                    bits.bit = 0;
                    bits.pos += 1;
                }
                let head = bits
                    .data
                    .get(bits.pos..bits.pos + 4)
                    .ok_or("truncated stored block")?;
                let len = usize::from(u16::from_le_bytes([head[0], head[1]]));
                let nlen = u16::from_le_bytes([head[2], head[3]]);
                if nlen != !(len as u16) {
                    return Err("invalid stored block lengths");
                }
                bits.pos += 4;
                let body = bits
                    .data
                    .get(bits.pos..bits.pos + len)
                    .ok_or("truncated stored block")?;
                out.extend_from_slice(body);
                bits.pos += len;
            }
            1 => {
                let mut lengths = [0u8; 288];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..].fill(8);
                let lit = Huffman::new(&lengths)?;
                let dist = Huffman::new(&[5u8; 30])?;
                codes(bits, &lit, &dist, &mut out)?;
            }
            2 => {
                let nlen = bits.need(5)? as usize + 257;
                let ndist = bits.need(5)? as usize + 1;
                let ncode = bits.need(4)? as usize + 4;
                const ORDER: [usize; 19] = [
                    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                ];
                let mut cl = [0u8; 19];
                for &i in ORDER.iter().take(ncode) {
                    cl[i] = bits.need(3)? as u8;
                }
                let clh = Huffman::new(&cl)?;
                let mut lengths = vec![0u8; nlen + ndist];
                let mut i = 0;
                while i < nlen + ndist {
                    let sym = clh.decode(bits)?;
                    let (value, repeat) = match sym {
                        0..=15 => (sym as u8, 1),
                        16 => {
                            let prev = *lengths
                                .get(i.wrapping_sub(1))
                                .ok_or("repeat with no first length")?;
                            (prev, 3 + bits.need(2)? as usize)
                        }
                        17 => (0, 3 + bits.need(3)? as usize),
                        _ => (0, 11 + bits.need(7)? as usize),
                    };
                    if i + repeat > nlen + ndist {
                        return Err("too many length or distance symbols");
                    }
                    lengths[i..i + repeat].fill(value);
                    i += repeat;
                }
                let lit = Huffman::new(&lengths[..nlen])?;
                let dist = Huffman::new(&lengths[nlen..])?;
                codes(bits, &lit, &dist, &mut out)?;
            }
            _ => return Err("invalid block type"),
        }
        if last == 1 {
            return Ok(out);
        }
    }
}

fn codes(
    bits: &mut Bits<'_>,
    lit: &Huffman,
    dist: &Huffman,
    out: &mut Vec<u8>,
) -> std::result::Result<(), &'static str> {
    loop {
        let sym = lit.decode(bits)? as usize;
        if sym < 256 {
            out.push(sym as u8);
        } else if sym == 256 {
            return Ok(());
        } else {
            let i = sym - 257;
            if i >= 29 {
                return Err("invalid literal/length code");
            }
            let len = usize::from(LEN_BASE[i]) + bits.need(u32::from(LEN_EXTRA[i]))? as usize;
            let d = dist.decode(bits)? as usize;
            if d >= 30 {
                return Err("invalid distance code");
            }
            let back = usize::from(DIST_BASE[d]) + bits.need(u32::from(DIST_EXTRA[d]))? as usize;
            if back > out.len() {
                return Err("invalid distance too far back");
            }
            let start = out.len() - back;
            for k in 0..len {
                out.push(out[start + k]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflates_stored_and_fixed_blocks_checking_adler32() {
        // zlib.compress(b"", 0) and zlib.compress(b"abcabcabc", 9).
        assert_eq!(
            inflate_zlib(&[0x78, 0x01, 0x01, 0, 0, 0xff, 0xff, 0, 0, 0, 1]).as_deref(),
            Ok(&b""[..])
        );
        let mut fixed = [120, 218, 75, 76, 74, 78, 4, 35, 0, 17, 61, 3, 115];
        assert_eq!(inflate_zlib(&fixed).as_deref(), Ok(&b"abcabcabc"[..]));
        assert_eq!(inflate_zlib(&fixed[..6]), Err("truncated deflate data"));
        fixed[12] ^= 1;
        assert_eq!(inflate_zlib(&fixed), Err("incorrect data check"));
        assert_eq!(
            inflate_zlib(&[0x78, 0x9d, 0, 0, 0, 0]),
            Err("incorrect header check")
        );
    }

    #[test]
    fn paeth_picks_the_nearest_neighbour() {
        assert_eq!(paeth(10, 20, 10), 20);
        assert_eq!(paeth(20, 10, 10), 20);
        assert_eq!(paeth(5, 5, 5), 5);
        assert_eq!(paeth(100, 50, 200), 50);
    }

    #[test]
    fn crc_of_iend() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
    }
}
