//! The pointwise machinery's fast path for dense float operands.
//!
//! The general path ([`super::iter`]) reads every operand into an f64
//! vector in logical order, evaluates the formula, and writes the result
//! through the output's strides. When the result is contiguous and every
//! tensor operand is a contiguous float32 (or float64) tensor of the
//! result's dtype whose shape is the result's or a trailing part of it (a
//! broadcast row), the same formula runs here element by element straight
//! from the operands' storage into the result's: the values are identical
//! (each operand converted to f64, the formula in f64 unless it narrows
//! itself, one cast to the dtype), without the intermediate vectors. The
//! functions return `None` (or `false`) when the operands do not qualify,
//! and the caller takes the general path.

use parking_lot::RwLockReadGuard;

use crate::dispatch::args::Operand;
use crate::error::Result;
use crate::tensor::dtype::DType;
use crate::tensor::storage::Element;
use crate::tensor::strides::is_contiguous;
use crate::tensor::{StorageData, Tensor, check_alloc};

/// A kernel loop compiled for the widest vector instructions this CPU has
/// (AVX2 and FMA where present, detected once at run time), so the straight
/// loops below vectorize beyond the x86-64 baseline. Floating-point results
/// are the same on every path: no instruction changes IEEE rounding, and
/// `mul_add` is one rounding in hardware as in software.
trait Kernel {
    type Output;
    fn run(self) -> Self::Output;
}

/// Adapts a [`Kernel`] to `pulp`'s dispatch; `inline(always)` all the way
/// down is what puts the loop inside the function compiled for the CPU.
struct Vectorized<K>(K);

impl<K: Kernel> pulp::WithSimd for Vectorized<K> {
    type Output = K::Output;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> K::Output {
        self.0.run()
    }
}

fn vectorized<K: Kernel>(kernel: K) -> K::Output {
    pulp::Arch::new().dispatch(Vectorized(kernel))
}

/// A new tensor's elements: `f` of the operands.
struct Produce<'s, 'a, 'f, T, F> {
    sources: &'s mut [Source<'a, T>],
    f: &'f F,
    n: usize,
}

impl<T: DenseFloat, F: Fn(&[f64]) -> f64> Kernel for Produce<'_, '_, '_, T, F> {
    type Output = Vec<T>;
    #[inline(always)]
    fn run(self) -> Vec<T> {
        let Produce { sources, f, n } = self;
        let full = |s: &Source<'_, T>| matches!(s, Source::Cycle(v, _) if v.len() == n);
        match &*sources {
            // the common shapes as straight loops the compiler can vectorize
            [a @ Source::Cycle(x, _)] if full(a) => {
                x.iter().map(|x| T::from_f64(f(&[x.to_f64()]))).collect()
            }
            [a @ Source::Cycle(x, _), b @ Source::Cycle(y, _)] if full(a) && full(b) => x
                .iter()
                .zip(y.iter())
                .map(|(x, y)| T::from_f64(f(&[x.to_f64(), y.to_f64()])))
                .collect(),
            [a @ Source::Cycle(x, _), Source::Scalar(y)] if full(a) => x
                .iter()
                .map(|x| T::from_f64(f(&[x.to_f64(), *y])))
                .collect(),
            _ => general(sources, f, n),
        }
    }
}

/// In place: `x = f(x, sources...)` over every element of `target`.
struct Update<'t, 's, 'a, 'f, T, F> {
    target: &'t mut [T],
    sources: &'s mut [Source<'a, T>],
    f: &'f F,
}

impl<T: DenseFloat, F: Fn(&[f64]) -> f64> Kernel for Update<'_, '_, '_, '_, T, F> {
    type Output = bool;
    #[inline(always)]
    fn run(self) -> bool {
        update_all(self.target, self.sources, self.f)
    }
}

/// Most operands a formula takes here.
const MAX_OPERANDS: usize = 4;

/// A float element type with a direct path.
trait DenseFloat: Element {
    const DTYPE: DType;
    fn slice(data: &StorageData) -> Option<&[Self]>;
    fn slice_mut(data: &mut StorageData) -> Option<&mut [Self]>;
    fn wrap(values: Vec<Self>) -> StorageData;
}

macro_rules! dense_float {
    ($t:ty, $dtype:ident, $variant:ident) => {
        impl DenseFloat for $t {
            const DTYPE: DType = DType::$dtype;
            fn slice(data: &StorageData) -> Option<&[$t]> {
                match data {
                    StorageData::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(data: &mut StorageData) -> Option<&mut [$t]> {
                match data {
                    StorageData::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn wrap(values: Vec<$t>) -> StorageData {
                StorageData::$variant(values)
            }
        }
    };
}

dense_float!(f32, Float32, F32);
dense_float!(f64, Float64, F64);

/// Where an operand's values come from, element by element of the result.
enum Source<'a, T> {
    /// The operand's elements in order, starting over after the last one
    /// (once for an operand of the result's shape, once per row for a
    /// broadcast row).
    Cycle(&'a [T], usize),
    /// A wrapped number.
    Scalar(f64),
}

impl<T: DenseFloat> Source<'_, T> {
    #[inline]
    fn next(&mut self) -> f64 {
        match self {
            Source::Cycle(s, pos) => {
                let v = s.get(*pos).map_or(f64::NAN, |x| x.to_f64());
                *pos += 1;
                if *pos == s.len() {
                    *pos = 0;
                }
                v
            }
            Source::Scalar(v) => *v,
        }
    }
}

/// `f` over `n` elements with `K` operands read from `sources`, each result
/// handed to `put`.
#[inline(always)]
fn run<T: DenseFloat, const K: usize>(
    sources: &mut [Source<'_, T>],
    mut put: impl FnMut(&[f64; K]),
    n: usize,
) {
    let Ok(sources) = <&mut [Source<'_, T>; K]>::try_from(sources) else {
        return;
    };
    for _ in 0..n {
        let row: [f64; K] = std::array::from_fn(|k| sources[k].next());
        put(&row);
    }
}

/// Where a tensor operand read as `shape`'s elements starts in its storage
/// and how many elements it has: `None` unless it is contiguous and its
/// shape (leading 1s aside) is a trailing part of `shape`.
fn layout(t: &Tensor, shape: &[i64]) -> Option<(usize, usize)> {
    if !t.is_contiguous() {
        return None;
    }
    let own = t.shape();
    let own = &own[own.iter().take_while(|&&d| d == 1).count()..];
    if !shape.ends_with(own) {
        return None;
    }
    Some((usize::try_from(t.storage_offset()).ok()?, t.numel()))
}

/// `f` of the operands, element by element, as a new tensor of `dtype` and
/// `shape` with `strides`, which must lay the elements out in C order
/// (`is_contiguous`: a size-1 dimension's stride is free, and the result
/// keeps the one TensorIterator gave it, as `[4, 1, 4, 4]` for a
/// `[2, 4, 1, 1]` sum whose other operand is strided that way).
pub(crate) fn pointwise(
    op: &str,
    operands: &[Operand<'_>],
    shape: &[i64],
    strides: &[i64],
    dtype: DType,
    f: &impl Fn(&[f64]) -> f64,
) -> Result<Option<Tensor>> {
    if operands.len() > MAX_OPERANDS || !is_contiguous(shape, strides) {
        return Ok(None);
    }
    match dtype {
        DType::Float32 => pointwise_in::<f32>(op, operands, shape, strides, f),
        DType::Float64 => pointwise_in::<f64>(op, operands, shape, strides, f),
        _ => Ok(None),
    }
}

fn pointwise_in<T: DenseFloat>(
    op: &str,
    operands: &[Operand<'_>],
    shape: &[i64],
    strides: &[i64],
    f: &impl Fn(&[f64]) -> f64,
) -> Result<Option<Tensor>> {
    let n = crate::tensor::strides::numel(shape);
    check_alloc(op, n)?;
    let guards = lock_operands::<T>(operands);
    let mut sources = Vec::with_capacity(operands.len());
    for (o, guard) in operands.iter().zip(&guards) {
        let Some(guard) = guard else {
            return Ok(None);
        };
        sources.push(match (o, guard) {
            (Operand::Scalar(v, _), _) => Source::Scalar(*v),
            (Operand::BigInt(v), _) => Source::Scalar(*v as f64),
            (Operand::Tensor(t), Some(data)) => {
                let Some(source) = source(t, shape, T::slice(data)) else {
                    return Ok(None);
                };
                source
            }
            (Operand::Tensor(_), None) => return Ok(None),
        });
    }
    let out: Vec<T> = vectorized(Produce {
        sources: &mut sources,
        f,
        n,
    });
    drop(sources);
    drop(guards);
    Tensor::from_storage_data_strided(op, shape, strides, T::wrap(out)).map(Some)
}

/// `f` over `n` elements of any operands.
/// Each operand's storage, read-locked for the kernel: `Some(None)` for a
/// Python number, `None` for a tensor of another dtype (or one with no
/// data), which sends the call to the general path.
fn lock_operands<'a, T: DenseFloat>(
    operands: &'a [Operand<'_>],
) -> Vec<Option<Option<RwLockReadGuard<'a, StorageData>>>> {
    operands
        .iter()
        .map(|o| match o {
            // (a negative-bit view's storage holds the negated elements)
            Operand::Tensor(t) if t.dtype() == T::DTYPE && !t.is_neg() => {
                t.read_storage().map(Some)
            }
            Operand::Tensor(_) => None,
            Operand::Scalar(..) | Operand::BigInt(_) => Some(None),
        })
        .collect()
}

#[inline(always)]
fn general<T: DenseFloat>(
    sources: &mut [Source<'_, T>],
    f: &impl Fn(&[f64]) -> f64,
    n: usize,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(n);
    match sources.len() {
        1 => run::<T, 1>(sources, |r| out.push(T::from_f64(f(r))), n),
        2 => run::<T, 2>(sources, |r| out.push(T::from_f64(f(r))), n),
        3 => run::<T, 3>(sources, |r| out.push(T::from_f64(f(r))), n),
        4 => run::<T, 4>(sources, |r| out.push(T::from_f64(f(r))), n),
        _ => {}
    }
    out
}

/// The source of a tensor operand read as `shape`'s elements.
fn source<'a, T>(t: &Tensor, shape: &[i64], data: Option<&'a [T]>) -> Option<Source<'a, T>> {
    let (offset, len) = layout(t, shape)?;
    let slice = data?.get(offset..offset.checked_add(len)?)?;
    Some(Source::Cycle(slice, 0))
}

/// In place: `this = f(this, others...)` element by element, `operands[0]`
/// being `this` itself. `false` (nothing written) unless `this` is a
/// contiguous float tensor and every other operand qualifies and lives in
/// another storage.
pub(crate) fn pointwise_inplace(
    this: &Tensor,
    operands: &[Operand<'_>],
    f: &impl Fn(&[f64]) -> f64,
) -> bool {
    let Some((Operand::Tensor(first), others)) = operands.split_first() else {
        return false;
    };
    if !first.same_tensor(this) || operands.len() > MAX_OPERANDS || !this.is_contiguous() {
        return false;
    }
    if others
        .iter()
        .any(|o| matches!(o, Operand::Tensor(t) if t.shares_storage(this)))
    {
        return false;
    }
    match this.dtype() {
        DType::Float32 => inplace_in::<f32>(this, others, f),
        DType::Float64 => inplace_in::<f64>(this, others, f),
        _ => false,
    }
}

fn inplace_in<T: DenseFloat>(
    this: &Tensor,
    others: &[Operand<'_>],
    f: &impl Fn(&[f64]) -> f64,
) -> bool {
    let shape = this.shape();
    let guards = lock_operands::<T>(others);
    let mut sources = Vec::with_capacity(others.len());
    for (o, guard) in others.iter().zip(&guards) {
        let Some(guard) = guard else {
            return false;
        };
        let s = match (o, guard) {
            (Operand::Scalar(v, _), _) => Some(Source::Scalar(*v)),
            (Operand::BigInt(v), _) => Some(Source::Scalar(*v as f64)),
            (Operand::Tensor(t), Some(data)) => source(t, shape, T::slice(data)),
            (Operand::Tensor(_), None) => None,
        };
        let Some(s) = s else {
            return false;
        };
        sources.push(s);
    }
    let Ok(offset) = usize::try_from(this.storage_offset()) else {
        return false;
    };
    let n = this.numel();
    let Some(mut data) = this.write_storage() else {
        return false;
    };
    let Some(target) =
        T::slice_mut(&mut data).and_then(|v| v.get_mut(offset..offset.checked_add(n)?))
    else {
        return false;
    };
    vectorized(Update {
        target,
        sources: &mut sources,
        f,
    })
}

/// `x = f(x, sources...)` over every element of `target`.
#[inline(always)]
fn update_all<T: DenseFloat>(
    target: &mut [T],
    sources: &mut [Source<'_, T>],
    f: &impl Fn(&[f64]) -> f64,
) -> bool {
    let n = target.len();
    match sources {
        [Source::Cycle(b, _)] if b.len() == n => {
            for (x, y) in target.iter_mut().zip(b.iter()) {
                *x = T::from_f64(f(&[x.to_f64(), y.to_f64()]));
            }
            return true;
        }
        [Source::Scalar(y)] => {
            let y = *y;
            for x in target.iter_mut() {
                *x = T::from_f64(f(&[x.to_f64(), y]));
            }
            return true;
        }
        _ => {}
    }
    match sources.len() {
        0 => update::<T, 0>(target, sources, f),
        1 => update::<T, 1>(target, sources, f),
        2 => update::<T, 2>(target, sources, f),
        3 => update::<T, 3>(target, sources, f),
        _ => false,
    }
}

/// `x = f(x, sources...)` for each element `x` of `target`, with `K` other
/// operands.
#[inline(always)]
fn update<T: DenseFloat, const K: usize>(
    target: &mut [T],
    sources: &mut [Source<'_, T>],
    f: &impl Fn(&[f64]) -> f64,
) -> bool {
    let Ok(sources) = <&mut [Source<'_, T>; K]>::try_from(sources) else {
        return false;
    };
    for x in target.iter_mut() {
        let mut row = [0f64; MAX_OPERANDS];
        row[0] = x.to_f64();
        for (slot, s) in row[1..=K].iter_mut().zip(sources.iter_mut()) {
            *slot = s.next();
        }
        *x = T::from_f64(f(&row[..=K]));
    }
    true
}
