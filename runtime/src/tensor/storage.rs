//! Storage: the memory tensors view, shared by every view and alias of it.
//!
//! A [`Storage`] owns the elements (a typed buffer behind a lock, because
//! in-place operators write through any view) or, for `meta` tensors, nothing
//! but a size. It carries its own trace [`IdSlot`] so that views of one buffer
//! share one storage id in the stream, as FORMAT §3.1 requires.
//!
//! Elements are stored in their own dtype ([`StorageData`] has one variant per
//! real dtype; a complex storage is the buffer of its parts' dtype holding
//! interleaved (real, imag) pairs, so that `view_as_real` is a float view of
//! the same buffer, as in PyTorch; its length counts real scalars). Kernels read them as `f64` (exact for every dtype but int64 values
//! beyond 2^53) or as `i64` (exact for every integer dtype) through
//! [`Element`], and write back with PyTorch's C++ cast rules: floating →
//! integer truncates toward zero and wraps to the width, anything → bool is
//! "not zero", float → float16/bfloat16 rounds to nearest even.

use std::sync::atomic::{AtomicUsize, Ordering};

use half::{bf16, f16};
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::tensor::dtype::DType;
use crate::tensor::strides::{Run, StridedRuns};
use crate::trace::slot::IdSlot;

/// One element type's conversions to and from the kernels' working types.
pub(crate) trait Element: Copy + Default {
    /// Bytes per element in a blob.
    const SIZE: usize;
    /// The value as f64.
    fn to_f64(self) -> f64;
    /// The value as i64 (floating values truncate toward zero).
    fn to_i64(self) -> i64;
    /// C++ `static_cast` from double.
    fn from_f64(v: f64) -> Self;
    /// C++ `static_cast` from int64 (wrapping to the width).
    fn from_i64(v: i64) -> Self;
    /// Appends the little-endian bytes.
    fn put_le(self, out: &mut Vec<u8>);
    /// Reads one element from exactly [`Element::SIZE`] little-endian bytes.
    fn get_le(bytes: &[u8]) -> Self;
}

macro_rules! float_element {
    ($t:ty, $size:expr, $from:expr, $to:expr) => {
        impl Element for $t {
            const SIZE: usize = $size;
            fn to_f64(self) -> f64 {
                #[allow(clippy::redundant_closure_call)]
                ($to)(self)
            }
            fn to_i64(self) -> i64 {
                self.to_f64() as i64
            }
            fn from_f64(v: f64) -> Self {
                #[allow(clippy::redundant_closure_call)]
                ($from)(v)
            }
            fn from_i64(v: i64) -> Self {
                Self::from_f64(v as f64)
            }
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get_le(bytes: &[u8]) -> Self {
                let mut b = [0u8; $size];
                b.copy_from_slice(&bytes[..$size]);
                <$t>::from_le_bytes(b)
            }
        }
    };
}

float_element!(f32, 4, |v: f64| v as f32, f64::from);
float_element!(f64, 8, |v: f64| v, |v: f64| v);
float_element!(f16, 2, |v| f16::from_f32(round_to_odd_f32(v)), f16::to_f64);
float_element!(
    bf16,
    2,
    |v| bf16::from_f32(round_to_odd_f32(v)),
    bf16::to_f64
);

/// `v` as f32 rounded to odd: exact values stay, inexact ones are truncated
/// toward zero with the last mantissa bit set. Rounding that result to a
/// format at least two bits narrower (float16, bfloat16) to nearest even
/// equals rounding `v` itself, without the double-rounding error of going
/// through a round-to-nearest f32 — and without `half`'s direct f64
/// conversions, which ignore the low 32 bits of the f64 and so round values
/// just past a tie as if they were the tie (-0x1.710002p-2 became bf16
/// -0.359375 instead of PyTorch's -0.361328125).
pub(crate) fn round_to_odd_f32(v: f64) -> f32 {
    let nearest = v as f32;
    if v.is_nan() || f64::from(nearest) == v || nearest.is_infinite() {
        return nearest;
    }
    let truncated = if f64::from(nearest).abs() > v.abs() {
        f32::from_bits(nearest.to_bits() - 1)
    } else {
        nearest
    };
    f32::from_bits(truncated.to_bits() | 1)
}

/// A floating value converted to the integer `dtype` as PyTorch's casts
/// compile on x86 (`_to_copy`, `copy_` from a floating tensor): int64
/// directly, narrower types through int32 (then wrapped to their width by
/// [`Element::from_f64`]); NaN and values outside the converted type's range
/// give its minimum, the "integer indefinite". Other dtypes: `v` unchanged.
pub(crate) fn float_to_integer(dtype: DType, v: f64) -> f64 {
    match dtype {
        DType::Int64 => x86_truncate(v, 63) as f64,
        DType::Int32 | DType::Int16 | DType::Int8 | DType::UInt8 => x86_truncate(v, 31) as f64,
        _ => v,
    }
}

/// x86's truncating conversion of `v` to a signed integer of `bits + 1`
/// bits (`cvttsd2si`): toward zero, and `-2^bits` for NaN and for values
/// outside `[-2^bits, 2^bits)`.
pub(crate) fn x86_truncate(v: f64, bits: i32) -> i64 {
    let limit = 2f64.powi(bits);
    if v.is_nan() || v < -limit || v >= limit {
        i64::MIN >> (63 - bits)
    } else {
        v as i64
    }
}

macro_rules! int_element {
    ($t:ty, $size:expr) => {
        impl Element for $t {
            const SIZE: usize = $size;
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn to_i64(self) -> i64 {
                self as i64
            }
            fn from_f64(v: f64) -> Self {
                // Truncate toward zero, then wrap to the width: an integer
                // result computed in double (int32 arithmetic that
                // overflows) wraps as the integer arithmetic does. A cast
                // from a floating dtype goes through [`float_to_integer`]
                // first.
                (v as i64) as $t
            }
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get_le(bytes: &[u8]) -> Self {
                let mut b = [0u8; $size];
                b.copy_from_slice(&bytes[..$size]);
                <$t>::from_le_bytes(b)
            }
        }
    };
}

int_element!(i64, 8);
int_element!(i32, 4);
int_element!(i16, 2);
int_element!(i8, 1);
int_element!(u8, 1);

impl Element for bool {
    const SIZE: usize = 1;
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    fn put_le(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
    fn get_le(bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
}

/// `v` as an element of `dtype` holds it (the cast a kernel's store makes),
/// back as f64: where a PyTorch CPU kernel keeps an intermediate in the
/// tensor's dtype, the runtime rounds there with this.
pub(crate) fn cast_value(dtype: DType, v: f64) -> f64 {
    match dtype {
        DType::Float32 => <f32 as Element>::from_f64(v).to_f64(),
        DType::Float64 => v,
        DType::Float16 => <f16 as Element>::from_f64(v).to_f64(),
        DType::BFloat16 => <bf16 as Element>::from_f64(v).to_f64(),
        DType::Int64 => <i64 as Element>::from_f64(v).to_f64(),
        DType::Int32 => <i32 as Element>::from_f64(v).to_f64(),
        DType::Int16 => <i16 as Element>::from_f64(v).to_f64(),
        DType::Int8 => <i8 as Element>::from_f64(v).to_f64(),
        DType::UInt8 => <u8 as Element>::from_f64(v).to_f64(),
        DType::Bool => <bool as Element>::from_f64(v).to_f64(),
        // a part of a complex value
        DType::Complex64 => <f32 as Element>::from_f64(v).to_f64(),
        DType::Complex128 => v,
    }
}

/// Typed element buffer, one variant per dtype.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StorageData {
    /// float32 elements.
    F32(Vec<f32>),
    /// float64 elements.
    F64(Vec<f64>),
    /// float16 elements.
    F16(Vec<f16>),
    /// bfloat16 elements.
    BF16(Vec<bf16>),
    /// int64 elements.
    I64(Vec<i64>),
    /// int32 elements.
    I32(Vec<i32>),
    /// int16 elements.
    I16(Vec<i16>),
    /// int8 elements.
    I8(Vec<i8>),
    /// uint8 elements.
    U8(Vec<u8>),
    /// bool elements.
    Bool(Vec<bool>),
}

/// Runs `$body` with `$v` bound to the typed vector of any variant.
macro_rules! with_vec {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            StorageData::F32($v) => $body,
            StorageData::F64($v) => $body,
            StorageData::F16($v) => $body,
            StorageData::BF16($v) => $body,
            StorageData::I64($v) => $body,
            StorageData::I32($v) => $body,
            StorageData::I16($v) => $body,
            StorageData::I8($v) => $body,
            StorageData::U8($v) => $body,
            StorageData::Bool($v) => $body,
        }
    };
}

/// The elements of `run` in `buf`, or `None` when it leaves the buffer.
fn run_slice<T>(buf: &[T], run: Run) -> Option<&[T]> {
    let start = usize::try_from(run.start).ok()?;
    let step = usize::try_from(run.step).ok()?;
    let span = run.len.checked_sub(1)?.checked_mul(step)?.checked_add(1)?;
    buf.get(start..start.checked_add(span)?)
}

/// Calls `f` with each element of `run` (a negative step walks backwards).
fn for_each_in_run<T: Copy>(buf: &[T], run: Run, mut f: impl FnMut(T)) -> Option<()> {
    if run.len == 0 {
        return Some(());
    }
    if run.step < 0 {
        for i in 0..run.len {
            let p = run
                .start
                .checked_add(run.step.checked_mul(i64::try_from(i).ok()?)?)?;
            f(*buf.get(usize::try_from(p).ok()?)?);
        }
        return Some(());
    }
    let slice = run_slice(buf, run)?;
    match run.step {
        0 => (0..run.len).for_each(|_| f(slice[0])),
        1 => slice.iter().for_each(|&x| f(x)),
        s => slice.iter().step_by(s as usize).for_each(|&x| f(x)),
    }
    Some(())
}

fn gather<T: Element, R: Copy>(buf: &[T], runs: StridedRuns, f: impl Fn(T) -> R) -> Option<Vec<R>> {
    let mut out = Vec::with_capacity(runs.numel());
    for run in runs {
        match run.step {
            1 => out.extend(run_slice(buf, run)?.iter().map(|&x| f(x))),
            0 if run.len > 0 => {
                let v = f(*buf.get(usize::try_from(run.start).ok()?)?);
                out.extend(std::iter::repeat_n(v, run.len));
            }
            _ => for_each_in_run(buf, run, |x| out.push(f(x)))?,
        }
    }
    Some(out)
}

fn scatter<T: Element, V: Copy>(
    buf: &mut [T],
    runs: StridedRuns,
    values: &[V],
    f: impl Fn(V) -> T,
) -> Option<()> {
    let mut rest = values;
    for run in runs {
        if rest.len() < run.len {
            // fewer values than elements: write those there are
            let partial = Run {
                len: rest.len(),
                ..run
            };
            return scatter_run(buf, partial, rest, &f);
        }
        let (head, tail) = rest.split_at(run.len);
        scatter_run(buf, run, head, &f)?;
        rest = tail;
    }
    Some(())
}

fn scatter_run<T: Element, V: Copy>(
    buf: &mut [T],
    run: Run,
    values: &[V],
    f: &impl Fn(V) -> T,
) -> Option<()> {
    if run.len == 0 {
        return Some(());
    }
    if run.step == 1 {
        let start = usize::try_from(run.start).ok()?;
        let dst = buf.get_mut(start..start.checked_add(run.len)?)?;
        dst.iter_mut().zip(values).for_each(|(d, &v)| *d = f(v));
        return Some(());
    }
    for (i, &v) in values.iter().enumerate() {
        let p = run
            .start
            .checked_add(run.step.checked_mul(i64::try_from(i).ok()?)?)?;
        *buf.get_mut(usize::try_from(p).ok()?)? = f(v);
    }
    Some(())
}

fn decode<T: Element>(bytes: &[u8]) -> Vec<T> {
    bytes.chunks_exact(T::SIZE).map(T::get_le).collect()
}

impl StorageData {
    /// `len` zero elements of `dtype` (for a complex dtype, `2 * len` zero
    /// parts).
    pub(crate) fn zeros(dtype: DType, len: usize) -> StorageData {
        match dtype {
            DType::Complex64 => StorageData::F32(vec![0.0; 2 * len]),
            DType::Complex128 => StorageData::F64(vec![0.0; 2 * len]),
            DType::Float32 => StorageData::F32(vec![0.0; len]),
            DType::Float64 => StorageData::F64(vec![0.0; len]),
            DType::Float16 => StorageData::F16(vec![f16::ZERO; len]),
            DType::BFloat16 => StorageData::BF16(vec![bf16::ZERO; len]),
            DType::Int64 => StorageData::I64(vec![0; len]),
            DType::Int32 => StorageData::I32(vec![0; len]),
            DType::Int16 => StorageData::I16(vec![0; len]),
            DType::Int8 => StorageData::I8(vec![0; len]),
            DType::UInt8 => StorageData::U8(vec![0; len]),
            DType::Bool => StorageData::Bool(vec![false; len]),
        }
    }

    /// Lengthens the buffer to `len` elements (scalars of a complex
    /// storage) with zeros after the ones it holds; never shortens it.
    pub(crate) fn lengthen(&mut self, len: usize) {
        with_vec!(self, v => {
            if v.len() < len {
                v.resize(len, Default::default());
            }
        })
    }

    /// `values` cast to `dtype` (C++ `static_cast` from double); for a
    /// complex dtype, `values` are the interleaved parts.
    pub(crate) fn from_f64(dtype: DType, values: &[f64]) -> StorageData {
        fn cast<T: Element>(values: &[f64]) -> Vec<T> {
            values.iter().map(|&v| T::from_f64(v)).collect()
        }
        match dtype {
            DType::Complex64 => StorageData::F32(cast(values)),
            DType::Complex128 => StorageData::F64(values.to_vec()),
            DType::Float32 => StorageData::F32(cast(values)),
            DType::Float64 => StorageData::F64(values.to_vec()),
            DType::Float16 => StorageData::F16(cast(values)),
            DType::BFloat16 => StorageData::BF16(cast(values)),
            DType::Int64 => StorageData::I64(cast(values)),
            DType::Int32 => StorageData::I32(cast(values)),
            DType::Int16 => StorageData::I16(cast(values)),
            DType::Int8 => StorageData::I8(cast(values)),
            DType::UInt8 => StorageData::U8(cast(values)),
            DType::Bool => StorageData::Bool(cast(values)),
        }
    }

    /// Elements of `dtype` decoded from little-endian bytes; `None` when the
    /// length is not a whole number of elements.
    pub(crate) fn from_le_bytes(dtype: DType, bytes: &[u8]) -> Option<StorageData> {
        if !bytes.len().is_multiple_of(dtype.element_size()) {
            return None;
        }
        Some(match dtype {
            DType::Float32 | DType::Complex64 => StorageData::F32(decode(bytes)),
            DType::Complex128 => StorageData::F64(decode(bytes)),
            DType::Float64 => StorageData::F64(decode(bytes)),
            DType::Float16 => StorageData::F16(decode(bytes)),
            DType::BFloat16 => StorageData::BF16(decode(bytes)),
            DType::Int64 => StorageData::I64(decode(bytes)),
            DType::Int32 => StorageData::I32(decode(bytes)),
            DType::Int16 => StorageData::I16(decode(bytes)),
            DType::Int8 => StorageData::I8(decode(bytes)),
            DType::UInt8 => StorageData::U8(decode(bytes)),
            DType::Bool => StorageData::Bool(decode(bytes)),
        })
    }

    /// The dtype of the elements (of the parts, for a complex storage).
    pub(crate) fn dtype(&self) -> DType {
        match self {
            StorageData::F32(_) => DType::Float32,
            StorageData::F64(_) => DType::Float64,
            StorageData::F16(_) => DType::Float16,
            StorageData::BF16(_) => DType::BFloat16,
            StorageData::I64(_) => DType::Int64,
            StorageData::I32(_) => DType::Int32,
            StorageData::I16(_) => DType::Int16,
            StorageData::I8(_) => DType::Int8,
            StorageData::U8(_) => DType::UInt8,
            StorageData::Bool(_) => DType::Bool,
        }
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        with_vec!(self, v => v.len())
    }

    /// The elements at `runs` as f64; `None` if one is out of bounds.
    pub(crate) fn gather_f64(&self, runs: StridedRuns) -> Option<Vec<f64>> {
        with_vec!(self, v => gather(v, runs, Element::to_f64))
    }

    /// The elements at `runs` as f32; `None` if one is out of bounds.
    pub(crate) fn gather_f32(&self, runs: StridedRuns) -> Option<Vec<f32>> {
        with_vec!(self, v => gather(v, runs, |x| x.to_f64() as f32))
    }

    /// The elements at `runs` as i64; `None` if one is out of bounds.
    pub(crate) fn gather_i64(&self, runs: StridedRuns) -> Option<Vec<i64>> {
        with_vec!(self, v => gather(v, runs, Element::to_i64))
    }

    /// The little-endian bytes of the elements at `runs`.
    pub(crate) fn gather_le_bytes(&self, runs: StridedRuns) -> Option<Vec<u8>> {
        with_vec!(self, v => {
            let mut out = Vec::with_capacity(runs.numel() * self.element_size());
            for run in runs {
                for_each_in_run(v, run, |x| x.put_le(&mut out))?;
            }
            Some(out)
        })
    }

    /// Bytes per element.
    fn element_size(&self) -> usize {
        fn size<T: Element>(_: &[T]) -> usize {
            T::SIZE
        }
        with_vec!(self, v => size(v))
    }

    /// Writes `values` (cast to this buffer's dtype) at `runs`.
    pub(crate) fn scatter_f64(&mut self, runs: StridedRuns, values: &[f64]) -> Option<()> {
        with_vec!(self, v => scatter(v, runs, values, Element::from_f64))
    }

    /// Writes integer `values` (cast to this buffer's dtype) at `runs`.
    pub(crate) fn scatter_i64(&mut self, runs: StridedRuns, values: &[i64]) -> Option<()> {
        with_vec!(self, v => scatter(v, runs, values, Element::from_i64))
    }
}

/// Memory shared by tensors.
#[derive(Debug)]
pub(crate) struct Storage {
    /// Elements; `None` for storage without data (`meta`).
    data: Option<RwLock<StorageData>>,
    /// Capacity in elements; grows only ([`Storage::grow`]).
    len: AtomicUsize,
    /// Trace id, assigned at first appearance.
    pub(crate) trace: IdSlot,
}

impl Storage {
    /// Storage holding `data`.
    pub(crate) fn with_data(data: StorageData) -> Storage {
        let len = data.len();
        Storage {
            data: Some(RwLock::new(data)),
            len: AtomicUsize::new(len),
            trace: IdSlot::new(),
        }
    }

    /// Storage of `len` elements without data (`meta`).
    pub(crate) fn without_data(len: usize) -> Storage {
        Storage {
            data: None,
            len: AtomicUsize::new(len),
            trace: IdSlot::new(),
        }
    }

    /// Capacity in elements.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Lengthens the storage to `len` elements in place, the new ones zero:
    /// every tensor viewing it sees the longer buffer, as every view of a
    /// PyTorch storage follows its reallocation. Never shrinks.
    pub(crate) fn grow(&self, len: usize) {
        match self.write() {
            Some(mut data) => {
                data.lengthen(len);
                self.len.fetch_max(data.len(), Ordering::AcqRel);
            }
            None => {
                self.len.fetch_max(len, Ordering::AcqRel);
            }
        }
    }

    /// Whether the storage holds elements.
    pub(crate) fn has_data(&self) -> bool {
        self.data.is_some()
    }

    pub(crate) fn read(&self) -> Option<RwLockReadGuard<'_, StorageData>> {
        self.data.as_ref().map(RwLock::read)
    }

    /// A read lock that may nest inside another read lock of the same
    /// storage on this thread (two operands viewing one buffer).
    pub(crate) fn read_nested(&self) -> Option<RwLockReadGuard<'_, StorageData>> {
        self.data.as_ref().map(RwLock::read_recursive)
    }

    pub(crate) fn write(&self) -> Option<RwLockWriteGuard<'_, StorageData>> {
        self.data.as_ref().map(RwLock::write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_to_integer_casts_follow_x86() {
        let vals = [
            1e30,
            -1e30,
            f64::NAN,
            f64::INFINITY,
            3e9,
            -300.7,
            70000.5,
            -2f64.powi(63) * 1.5,
        ];
        let as_i64: Vec<i64> = vals
            .iter()
            .map(|&v| i64::from_f64(float_to_integer(DType::Int64, v)))
            .collect();
        assert_eq!(
            as_i64,
            [
                i64::MIN,
                i64::MIN,
                i64::MIN,
                i64::MIN,
                3_000_000_000,
                -300,
                70000,
                i64::MIN
            ]
        );
        let as_i32: Vec<i32> = vals
            .iter()
            .map(|&v| i32::from_f64(float_to_integer(DType::Int32, v)))
            .collect();
        assert_eq!(
            as_i32,
            [
                i32::MIN,
                i32::MIN,
                i32::MIN,
                i32::MIN,
                i32::MIN,
                -300,
                70000,
                i32::MIN
            ]
        );
        // Narrower types wrap what int32 gave: torch 2.15 on x86.
        let as_i16: Vec<i16> = vals
            .iter()
            .map(|&v| i16::from_f64(float_to_integer(DType::Int16, v)))
            .collect();
        assert_eq!(as_i16, [0, 0, 0, 0, 0, -300, 4464, 0]);
        let as_u8: Vec<u8> = vals
            .iter()
            .map(|&v| u8::from_f64(float_to_integer(DType::UInt8, v)))
            .collect();
        assert_eq!(as_u8, [0, 0, 0, 0, 0, 212, 112, 0]);
        // An integer result computed in double still wraps (int32 overflow).
        assert_eq!(i32::from_f64(4_294_967_296.0 + 20.0), 20);
        assert_eq!(u8::from_f64(300.0), 44);
    }

    fn runs(n: i64) -> StridedRuns {
        StridedRuns::new(&[n], &[1], 0)
    }

    #[test]
    fn casts_follow_cpp_rules() {
        assert_eq!(<i64 as Element>::from_f64(-2.7), -2);
        assert_eq!(<u8 as Element>::from_f64(257.0), 1);
        assert_eq!(<i8 as Element>::from_i64(200), -56);
        assert!(<bool as Element>::from_f64(f64::NAN));
        assert!(!<bool as Element>::from_f64(0.0));
        // Just past a bfloat16 tie in the low bits of the f64: rounds away
        // from the tie, as PyTorch's float -> bfloat16 conversion does.
        let past_tie = f64::from(f32::from_bits(0xBEB8_8001));
        assert_eq!(<bf16 as Element>::from_f64(past_tie).to_bits(), 0xBEB9);
        assert_eq!(<bf16 as Element>::from_f64(-0.3603515625).to_bits(), 0xBEB8);
        assert_eq!(<f16 as Element>::from_f64(65520.0), f16::INFINITY);
        assert_eq!(
            <f16 as Element>::from_f64(1.0 + 2f64.powi(-11) + 2f64.powi(-40)).to_f64(),
            1.0 + 2f64.powi(-10)
        );
        assert_eq!(
            <f16 as Element>::from_f64(1.0 / 3.0).to_f64(),
            0.333251953125
        );
    }

    #[test]
    fn bytes_round_trip_every_dtype() {
        // a complex storage is the buffer of its parts (tested with them)
        for dtype in DType::ALL.into_iter().filter(|d| !d.is_complex()) {
            let mut data = StorageData::zeros(dtype, 3);
            data.scatter_f64(runs(3), &[1.0, 0.0, 3.0])
                .expect("in bounds");
            let bytes = data.gather_le_bytes(runs(3)).expect("in bounds");
            assert_eq!(bytes.len(), 3 * dtype.element_size());
            let back = StorageData::from_le_bytes(dtype, &bytes).expect("whole elements");
            assert_eq!(back, data, "{dtype}");
        }
    }

    #[test]
    fn int64_reads_exactly() {
        let big = (1i64 << 60) + 1;
        let mut data = StorageData::zeros(DType::Int64, 1);
        data.scatter_i64(runs(1), &[big]).expect("in bounds");
        assert_eq!(data.gather_i64(runs(1)), Some(vec![big]));
    }
}
