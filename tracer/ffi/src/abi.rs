//! The C ABI of [`BackgroundWriter`], for ctypes.
//!
//! Conventions:
//! * A writer is an opaque `*mut BackgroundWriter` made by
//!   [`ftr_writer_create`] and given back exactly once, to
//!   [`ftr_writer_finish`] or [`ftr_writer_abort`], which free it.
//! * Functions that can fail return `0` on success and `-1` on failure; the
//!   failure's one-line message is then read with [`ftr_last_error`]
//!   (per thread, kept until the next failure).
//! * The writer writes on a thread of its own: a failure of work handed
//!   over (an event that does not decode, a full disk) is reported by the
//!   next call; [`ftr_writer_position`] waits for what was handed over and
//!   reports a failure among it, and [`ftr_writer_finish`] does so first.
//! * Byte arguments are `(pointer, length)` pairs; a null pointer is
//!   allowed with length 0. Digests are 32-byte buffers.
//! * A panic inside the writer is caught and reported as a failure, never
//!   unwound into the caller.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use ft_trace::Digest;
use ft_trace::format::{VERSION_MAJOR, VERSION_MINOR};

use crate::{ABI_VERSION, BackgroundWriter};

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `message` as this thread's last failure; returns `-1`.
fn fail(message: String) -> i32 {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = message);
    -1
}

/// Runs `body`, turning its error or panic into a recorded failure.
fn guarded(body: impl FnOnce() -> Result<(), String>) -> i32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => 0,
        Ok(Err(message)) => fail(message),
        Err(_) => fail("internal error in the native trace writer (a panic)".into()),
    }
}

/// The bytes at `(ptr, len)`.
///
/// # Safety
/// `ptr` is null with `len` 0, or points to `len` readable bytes that stay
/// valid and unmodified for `'a`.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: the caller guarantees `len` readable bytes at a non-null `ptr`.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

/// The writer behind a handle.
///
/// # Safety
/// `writer` is a live handle from [`ftr_writer_create`], used by one thread
/// at a time.
unsafe fn handle<'a>(writer: *mut BackgroundWriter) -> Result<&'a mut BackgroundWriter, String> {
    // SAFETY: the caller guarantees a live, unaliased handle (or null).
    unsafe { writer.as_mut() }.ok_or_else(|| "null trace writer handle".to_string())
}

/// Version of this C ABI ([`ABI_VERSION`]).
#[unsafe(no_mangle)]
pub extern "C" fn ftr_abi_version() -> u32 {
    ABI_VERSION
}

/// The newest format version this library writes: `major << 16 | minor`.
#[unsafe(no_mangle)]
pub extern "C" fn ftr_format_version() -> u32 {
    (u32::from(VERSION_MAJOR) << 16) | u32::from(VERSION_MINOR)
}

/// Copies this thread's last failure message (UTF-8, not terminated) into
/// `buf` (at most `cap` bytes); returns its full length.
///
/// # Safety
/// `buf` is null with `cap` 0, or points to `cap` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_last_error(buf: *mut u8, cap: usize) -> usize {
    LAST_ERROR.with(|slot| {
        let message = slot.borrow();
        let n = message.len().min(cap);
        if n > 0 {
            // SAFETY: `buf` has `cap >= n` writable bytes; the message is a
            // separate allocation, so the ranges do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(message.as_ptr(), buf, n) };
        }
        message.len()
    })
}

/// Creates `path.partial` (`path`: UTF-8 or, on Unix, any bytes) and writes
/// the header and META (`meta`: msgpack of the META payload); stores the
/// handle in `*out`.
///
/// # Safety
/// The byte arguments follow the module's convention; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_writer_create(
    path: *const u8,
    path_len: usize,
    meta: *const u8,
    meta_len: usize,
    out: *mut *mut BackgroundWriter,
) -> i32 {
    // SAFETY: forwarded from this function's contract.
    let (path, meta) = unsafe { (bytes(path, path_len), bytes(meta, meta_len)) };
    guarded(|| {
        let writer =
            BackgroundWriter::create(&path_from_bytes(path)?, meta).map_err(|e| e.to_string())?;
        let boxed = Box::into_raw(Box::new(writer));
        // SAFETY: the caller guarantees `out` is writable.
        match unsafe { out.as_mut() } {
            Some(slot) => *slot = boxed,
            None => {
                // SAFETY: `boxed` came from `Box::into_raw` just above.
                drop(unsafe { Box::from_raw(boxed) });
                return Err("null output pointer for the trace writer".into());
            }
        }
        Ok(())
    })
}

#[cfg(unix)]
fn path_from_bytes(path: &[u8]) -> Result<PathBuf, String> {
    use std::os::unix::ffi::OsStrExt;
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(path)))
}

#[cfg(not(unix))]
fn path_from_bytes(path: &[u8]) -> Result<PathBuf, String> {
    std::str::from_utf8(path)
        .map(PathBuf::from)
        .map_err(|_| "the trace path is not UTF-8".to_string())
}

/// Appends `count` events encoded one after another at `events` (each the
/// msgpack of `[seq, layer, kind, payload, ts]`, numbered from the writer's
/// next seq on).
///
/// # Safety
/// `writer` is a live handle; the byte arguments follow the module's
/// convention.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_writer_append_events(
    writer: *mut BackgroundWriter,
    count: u32,
    events: *const u8,
    events_len: usize,
) -> i32 {
    // SAFETY: forwarded from this function's contract.
    let events = unsafe { bytes(events, events_len) };
    guarded(|| {
        // SAFETY: forwarded from this function's contract.
        let writer = unsafe { handle(writer) }?;
        writer
            .append_events(count, events)
            .map_err(|e| e.to_string())
    })
}

/// Stores a tensor value (`dtype` UTF-8; `ndim` sizes at `shape`; its
/// elements in logical C order at `data`) and writes its digest to `digest`.
///
/// # Safety
/// `writer` is a live handle; the byte arguments follow the module's
/// convention; `shape` points to `ndim` readable `i64`s (or is null with
/// `ndim` 0); `digest` has 32 writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_writer_put_blob(
    writer: *mut BackgroundWriter,
    dtype: *const u8,
    dtype_len: usize,
    shape: *const i64,
    ndim: usize,
    data: *const u8,
    data_len: usize,
    digest: *mut u8,
) -> i32 {
    // SAFETY: forwarded from this function's contract.
    let (dtype, data) = unsafe { (bytes(dtype, dtype_len), bytes(data, data_len)) };
    let shape: &[i64] = if ndim == 0 {
        &[]
    } else {
        // SAFETY: the caller guarantees `ndim` readable i64s at `shape`.
        unsafe { std::slice::from_raw_parts(shape, ndim) }
    };
    guarded(|| {
        // SAFETY: forwarded from this function's contract.
        let writer = unsafe { handle(writer) }?;
        let dtype = std::str::from_utf8(dtype).map_err(|_| "a value's dtype is not UTF-8")?;
        let d = writer
            .put_blob(dtype, shape, data)
            .map_err(|e| e.to_string())?;
        // SAFETY: the caller guarantees 32 writable bytes at `digest`.
        unsafe { store_digest(&d, digest) }
    })
}

/// Writes a STATS record (`record`: its msgpack) unless its digest has a
/// value already; writes the digest to `digest`.
///
/// # Safety
/// As [`ftr_writer_put_blob`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_writer_put_stats(
    writer: *mut BackgroundWriter,
    record: *const u8,
    record_len: usize,
    digest: *mut u8,
) -> i32 {
    // SAFETY: forwarded from this function's contract.
    let record = unsafe { bytes(record, record_len) };
    guarded(|| {
        // SAFETY: forwarded from this function's contract.
        let writer = unsafe { handle(writer) }?;
        let d = writer.put_stats(record).map_err(|e| e.to_string())?;
        // SAFETY: the caller guarantees 32 writable bytes at `digest`.
        unsafe { store_digest(&d, digest) }
    })
}

/// Copies a digest out.
///
/// # Safety
/// `out` is null or has 32 writable bytes.
unsafe fn store_digest(digest: &Digest, out: *mut u8) -> Result<(), String> {
    if out.is_null() {
        return Err("null digest buffer".into());
    }
    // SAFETY: `out` is non-null with 32 writable bytes (the contract).
    unsafe { std::ptr::copy_nonoverlapping(digest.0.as_ptr(), out, digest.0.len()) };
    Ok(())
}

/// `1` when `put_blob` (`full` non-zero) or `put_stats` of the 32-byte
/// `digest` would write nothing, `0` when it would write, `-1` on failure.
///
/// # Safety
/// `writer` is a live handle; `digest` has 32 readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_writer_has_value(
    writer: *mut BackgroundWriter,
    digest: *const u8,
    full: u8,
) -> i32 {
    // SAFETY: the caller guarantees 32 readable bytes (null is refused below).
    let raw = unsafe { bytes(digest, if digest.is_null() { 0 } else { 32 }) };
    let mut known = false;
    let status = guarded(|| {
        // SAFETY: forwarded from this function's contract.
        let writer = unsafe { handle(writer) }?;
        let d: [u8; 32] = raw.try_into().map_err(|_| "null digest")?;
        known = writer.has_value(&Digest(d), full != 0);
        Ok(())
    });
    if status == 0 {
        i32::from(known)
    } else {
        status
    }
}

/// Waits until everything handed over is written, then stores the seq the
/// next event gets, the bytes written so far and the header's minor
/// version through the three pointers; fails with the first failure of
/// work handed over.
///
/// # Safety
/// `writer` is a live handle; the pointers are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_writer_position(
    writer: *mut BackgroundWriter,
    next_seq: *mut u64,
    offset: *mut u64,
    minor: *mut u16,
) -> i32 {
    guarded(|| {
        // SAFETY: forwarded from this function's contract.
        let writer = unsafe { handle(writer) }?;
        let position = writer.sync().map_err(|e| e.to_string())?;
        // SAFETY: the caller guarantees the pointers are writable (or null).
        unsafe {
            if let Some(slot) = next_seq.as_mut() {
                *slot = position.next_seq;
            }
            if let Some(slot) = offset.as_mut() {
                *slot = position.offset;
            }
            if let Some(slot) = minor.as_mut() {
                *slot = position.minor;
            }
        }
        Ok(())
    })
}

/// Bytes written so far, without waiting for what was handed over (`0`
/// for a null handle): for a progress report.
///
/// # Safety
/// `writer` is a live handle (or null).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_writer_written(writer: *const BackgroundWriter) -> u64 {
    // SAFETY: the caller guarantees a live handle or null.
    unsafe { writer.as_ref() }.map_or(0, BackgroundWriter::written)
}

/// Finishes the trace (what was handed over, values no event named,
/// pending events, INDEX, trailer, sync, rename into place) and frees the
/// handle. The INDEX payload's msgpack is handed over in `*index` /
/// `*index_len`, to be given back to [`ftr_bytes_free`]. After a failure
/// (reported here if no call reported it before) the handle is freed and
/// the trace left as `NAME.partial`; to keep the handle for
/// [`ftr_writer_abort`], ask [`ftr_writer_position`] first.
///
/// # Safety
/// `writer` is a live handle, not used again; `index` and `index_len` are
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_writer_finish(
    writer: *mut BackgroundWriter,
    index: *mut *mut u8,
    index_len: *mut usize,
) -> i32 {
    guarded(|| {
        if writer.is_null() {
            return Err("null trace writer handle".into());
        }
        // SAFETY: a live handle from `ftr_writer_create`, given back once.
        let writer = unsafe { Box::from_raw(writer) };
        let payload = writer.finish().map_err(|e| e.to_string())?;
        let len = payload.len();
        let raw = Box::into_raw(payload.into_boxed_slice()).cast::<u8>();
        // SAFETY: the caller guarantees both pointers are writable (or null).
        unsafe {
            match (index.as_mut(), index_len.as_mut()) {
                (Some(slot), Some(len_slot)) => {
                    *slot = raw;
                    *len_slot = len;
                }
                _ => ftr_bytes_free(raw, len),
            }
        }
        Ok(())
    })
}

/// Frees bytes a function of this ABI handed over.
///
/// # Safety
/// `(ptr, len)` is exactly a pair this library handed over, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_bytes_free(ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: `(ptr, len)` came from `Box::<[u8]>::into_raw` in this library.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
}

/// Writes the pending events, leaves `NAME.partial` readable and frees the
/// handle.
///
/// # Safety
/// `writer` is a live handle, not used again (or null: nothing happens).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftr_writer_abort(writer: *mut BackgroundWriter) -> i32 {
    guarded(|| {
        if writer.is_null() {
            return Ok(());
        }
        // SAFETY: a live handle from `ftr_writer_create`, given back once.
        let writer = unsafe { Box::from_raw(writer) };
        writer.abort().map_err(|e| e.to_string())
    })
}
