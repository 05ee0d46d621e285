//! Dtype-exact element vectors for kernels that move elements around
//! without arithmetic (joins, gathers, scatters, triangles).
//!
//! Floating tensors are read as f64, complex ones as their interleaved
//! (re, im) parts, every other dtype (bool included) as i64, so int64 values
//! beyond 2^53 survive a `cat` or an `index` exactly and a complex element's
//! two parts travel together: every kernel built on [`Elems`] (joins,
//! gathers, scatters, masks, `where`) moves complex elements as PyTorch does.

use crate::error::{Result, RuntimeError};
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// A tensor's elements in logical (row-major) order.
#[derive(Clone, Debug)]
pub(crate) enum Elems {
    /// Elements of a floating dtype.
    F(Vec<f64>),
    /// Elements of an integer or bool dtype.
    I(Vec<i64>),
    /// Elements of a complex dtype: interleaved (re, im) parts, two per
    /// element.
    C(Vec<f64>),
}

/// Element `i` of `v` as complex parts.
fn parts_of(v: &Elems, i: usize) -> Option<[f64; 2]> {
    match v {
        Elems::F(a) => a.get(i).map(|&x| [x, 0.0]),
        Elems::I(a) => a.get(i).map(|&x| [x as f64, 0.0]),
        Elems::C(a) => Some([*a.get(2 * i)?, *a.get(2 * i + 1)?]),
    }
}

impl Elems {
    /// The elements of `t`, exact for its dtype.
    pub(crate) fn read(op: &str, t: &Tensor) -> Result<Elems> {
        if t.dtype().is_complex() {
            Ok(Elems::C(t.read_f64(op)?))
        } else if t.dtype().is_floating() {
            Ok(Elems::F(t.read_f64(op)?))
        } else {
            Ok(Elems::I(t.read_i64(op)?))
        }
    }

    /// The elements of `t` converted for an output of `dtype` (float inputs
    /// of an integer output truncate, as a cast does).
    pub(crate) fn read_as(op: &str, t: &Tensor, dtype: DType) -> Result<Elems> {
        Ok(Elems::read(op, t)?.cast(dtype))
    }

    /// Empty elements of the representation `dtype` uses.
    pub(crate) fn empty(dtype: DType, capacity: usize) -> Elems {
        if dtype.is_complex() {
            Elems::C(Vec::with_capacity(2 * capacity))
        } else if dtype.is_floating() {
            Elems::F(Vec::with_capacity(capacity))
        } else {
            Elems::I(Vec::with_capacity(capacity))
        }
    }

    /// `n` zeros in the representation `dtype` uses.
    pub(crate) fn zeros(dtype: DType, n: usize) -> Elems {
        if dtype.is_complex() {
            Elems::C(vec![0.0; 2 * n])
        } else if dtype.is_floating() {
            Elems::F(vec![0.0; n])
        } else {
            Elems::I(vec![0; n])
        }
    }

    /// The same values in the representation `dtype` uses (a complex value
    /// cast to a real dtype keeps its real part, as PyTorch's cast does).
    pub(crate) fn cast(self, dtype: DType) -> Elems {
        if dtype.is_complex() {
            return match self {
                Elems::C(v) => Elems::C(v),
                Elems::F(v) => Elems::C(v.into_iter().flat_map(|x| [x, 0.0]).collect()),
                Elems::I(v) => Elems::C(v.into_iter().flat_map(|x| [x as f64, 0.0]).collect()),
            };
        }
        let this = match self {
            Elems::C(v) => Elems::F(v.into_iter().step_by(2).collect()),
            other => other,
        };
        match (this, dtype.is_floating()) {
            (Elems::F(v), false) => Elems::I(v.into_iter().map(|x| x as i64).collect()),
            (Elems::I(v), true) => Elems::F(v.into_iter().map(|x| x as f64).collect()),
            (same, _) => same,
        }
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        match self {
            Elems::F(v) => v.len(),
            Elems::I(v) => v.len(),
            Elems::C(v) => v.len() / 2,
        }
    }

    /// The elements at `positions`, in that order.
    pub(crate) fn pick(&self, op: &str, positions: &[usize]) -> Result<Elems> {
        fn take<T: Copy>(op: &str, v: &[T], positions: &[usize]) -> Result<Vec<T>> {
            positions
                .iter()
                .map(|&p| {
                    v.get(p).copied().ok_or_else(|| {
                        RuntimeError::shape(op, format!("element {p} out of {} elements", v.len()))
                    })
                })
                .collect()
        }
        Ok(match self {
            Elems::F(v) => Elems::F(take(op, v, positions)?),
            Elems::I(v) => Elems::I(take(op, v, positions)?),
            Elems::C(v) => {
                let parts: Vec<usize> =
                    positions.iter().flat_map(|&p| [2 * p, 2 * p + 1]).collect();
                Elems::C(take(op, v, &parts)?)
            }
        })
    }

    /// Appends `other[range]` (converted when the representations differ;
    /// the part of `range` beyond `other` is ignored).
    pub(crate) fn extend_from(&mut self, other: &Elems, range: std::ops::Range<usize>) {
        match (self, other) {
            (Elems::C(a), Elems::C(b)) => {
                a.extend_from_slice(b.get(2 * range.start..2 * range.end).unwrap_or_default());
            }
            (Elems::C(a), b) => a.extend(range.filter_map(|i| parts_of(b, i)).flatten()),
            (a, Elems::C(b)) => {
                let real = Elems::F(
                    b.get(2 * range.start..2 * range.end)
                        .unwrap_or_default()
                        .iter()
                        .copied()
                        .step_by(2)
                        .collect(),
                );
                a.extend_from(&real, 0..real.len());
            }
            (Elems::F(a), Elems::F(b)) => a.extend_from_slice(b.get(range).unwrap_or_default()),
            (Elems::I(a), Elems::I(b)) => a.extend_from_slice(b.get(range).unwrap_or_default()),
            (Elems::F(a), Elems::I(b)) => {
                a.extend(b.get(range).unwrap_or_default().iter().map(|&x| x as f64))
            }
            (Elems::I(a), Elems::F(b)) => {
                a.extend(b.get(range).unwrap_or_default().iter().map(|&x| x as i64))
            }
        }
    }

    /// Copies element `from` of `src` to position `to` (`add`: adds it).
    pub(crate) fn put(&mut self, to: usize, src: &Elems, from: usize, add: bool) {
        match (self, src) {
            (Elems::C(a), b) => {
                if let (Some(d), Some([re, im])) =
                    (a.get_mut(2 * to..2 * to + 2), parts_of(b, from))
                {
                    if add {
                        d[0] += re;
                        d[1] += im;
                    } else {
                        d.copy_from_slice(&[re, im]);
                    }
                }
            }
            (a, Elems::C(_)) => {
                if let Some([re, _]) = parts_of(src, from) {
                    a.put(to, &Elems::F(vec![re]), 0, add);
                }
            }
            (Elems::F(a), Elems::F(b)) => {
                if let (Some(d), Some(&s)) = (a.get_mut(to), b.get(from)) {
                    *d = if add { *d + s } else { s };
                }
            }
            (Elems::I(a), Elems::I(b)) => {
                if let (Some(d), Some(&s)) = (a.get_mut(to), b.get(from)) {
                    *d = if add { d.wrapping_add(s) } else { s };
                }
            }
            (Elems::F(a), Elems::I(b)) => {
                if let (Some(d), Some(&s)) = (a.get_mut(to), b.get(from)) {
                    *d = if add { *d + s as f64 } else { s as f64 };
                }
            }
            (Elems::I(a), Elems::F(b)) => {
                if let (Some(d), Some(&s)) = (a.get_mut(to), b.get(from)) {
                    *d = if add {
                        d.wrapping_add(s as i64)
                    } else {
                        s as i64
                    };
                }
            }
        }
    }

    /// Rounds the float element at `to` to `dtype` (a sum stored in the
    /// element dtype); integer and complex elements are left as they are.
    pub(crate) fn round_at(&mut self, to: usize, dtype: DType) {
        if let Elems::F(a) = self
            && let Some(d) = a.get_mut(to)
        {
            *d = crate::tensor::storage::cast_value(dtype, *d);
        }
    }

    /// Sets position `to` to zero.
    pub(crate) fn zero_at(&mut self, to: usize) {
        match self {
            Elems::F(a) => {
                if let Some(d) = a.get_mut(to) {
                    *d = 0.0;
                }
            }
            Elems::I(a) => {
                if let Some(d) = a.get_mut(to) {
                    *d = 0;
                }
            }
            Elems::C(a) => {
                if let Some(d) = a.get_mut(2 * to..2 * to + 2) {
                    d.fill(0.0);
                }
            }
        }
    }
}

/// A new tensor of `dtype` with this geometry holding `values` (logical
/// order); `values` runs only on a backend with data.
pub(crate) fn output(
    ctx: &KernelCtx<'_>,
    shape: &[i64],
    strides: &[i64],
    dtype: DType,
    values: impl FnOnce() -> Result<Elems>,
) -> Result<Tensor> {
    if dtype.is_floating() || dtype.is_complex() {
        ctx.output(shape, strides, dtype, || match values()?.cast(dtype) {
            Elems::F(v) | Elems::C(v) => Ok(v),
            Elems::I(v) => Ok(v.into_iter().map(|x| x as f64).collect()),
        })
    } else {
        ctx.output_i64(shape, strides, dtype, || match values()?.cast(dtype) {
            Elems::I(v) => Ok(v),
            Elems::F(v) | Elems::C(v) => Ok(v.into_iter().map(|x| x as i64).collect()),
        })
    }
}

/// Writes `values` into `t` (an in-place kernel's `self`; no-op on meta).
pub(crate) fn write(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    values: impl FnOnce() -> Result<Elems>,
) -> Result<()> {
    if !ctx.has_data() {
        return Ok(());
    }
    match values()?.cast(t.dtype()) {
        Elems::F(v) | Elems::C(v) => t.write_f64(ctx.op, &v),
        Elems::I(v) => t.write_i64(ctx.op, &v),
    }
}
