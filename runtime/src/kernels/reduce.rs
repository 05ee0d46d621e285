//! Reductions: `sum` and `sum.dim_IntList`.
//!
//! Results are contiguous (PyTorch allocates reduction outputs with default
//! strides). float32/float64 sums of a contiguous input over a leading or
//! trailing block of dimensions (or all of them) are summed in the dtype
//! in the order of PyTorch's CPU cascade kernel ([`cascade`]), bit for bit;
//! so are sums of a non-contiguous input (slices, transposes, steps) and of
//! a contiguous one reduced on both sides of a kept dimension, along the
//! loop TensorIterator builds over memory ([`strided`]), on one thread or
//! several. The rest — broadcast inputs, other dtypes — keep their partial
//! sums in f64 and round once
//! (a few ulps from PyTorch's order, inside the tolerance of another
//! summation order).

use super::KernelCtx;
use super::reduction::dims::Reduction;
use crate::dispatch::args::Args;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

mod strided;

/// The result dtype of `sum`: the `dtype` argument, else int64 for integer
/// and bool inputs (PyTorch's promotion for sums), else the input's.
pub(crate) fn sum_dtype(a: &Args<'_>, i: usize, input: DType) -> Result<DType> {
    Ok(a.opt_dtype(i)?.unwrap_or(if input.is_integral(true) {
        DType::Int64
    } else {
        input
    }))
}

/// `sum(self, *, dtype=None)`: 0-dim total.
pub(crate) fn sum(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dtype = sum_dtype(&a, 1, t.dtype())?;
    if dtype.is_integral(true) {
        // Exact integer totals (wrapping as int64 arithmetic does).
        let out = ctx.output_i64(&[], &[], dtype, || {
            Ok(vec![
                t.read_i64(ctx.op)?
                    .into_iter()
                    .fold(0i64, i64::wrapping_add),
            ])
        })?;
        return Ok(vec![out.into()]);
    }
    let all = vec![true; t.shape().len()];
    let order = sum_order(ctx, t, dtype, &all);
    let threads = ctx.cpu.threads();
    let out = ctx.output(&[], &[], dtype, || {
        let values = t.read_f64(ctx.op)?;
        Ok(match &order {
            Some(order) => order.sums(&values, dtype, threads),
            None => vec![values.iter().sum()],
        })
    })?;
    Ok(vec![out.into()])
}

/// `sum.dim_IntList(self, dim, keepdim=False, *, dtype=None)`. An empty or
/// absent `dim` reduces every dimension. Integer sums are exact (wrapping
/// as int64 arithmetic does).
pub(crate) fn sum_dim(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let dtype = sum_dtype(&a, 3, t.dtype())?;
    let dims = a.opt_int_list(1)?;
    let r = Reduction::new(ctx.op, t.shape(), dims.as_deref(), a.bool(2)?)?;
    let strides = r.out_strides();
    let out = if dtype.is_integral(true) && t.dtype().is_integral(true) {
        ctx.output_i64(&r.out_shape, &strides, dtype, || {
            Ok(r.groups(&t.read_i64(ctx.op)?)
                .iter()
                .map(|g| g.iter().fold(0i64, |acc, &v| acc.wrapping_add(v)))
                .collect())
        })?
    } else {
        let order = sum_order(ctx, t, dtype, &r.reduce);
        let threads = ctx.cpu.threads();
        ctx.output(&r.out_shape, &strides, dtype, || {
            let values = t.read_f64(ctx.op)?;
            Ok(match &order {
                Some(order) => order.sums(&values, dtype, threads),
                None => r.sums(&values),
            })
        })?
    };
    Ok(vec![out.into()])
}

/// The layout of a float sum whose order [`cascade`] models, over the
/// input's elements in logical order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Every element into one.
    Full,
    /// Rows of `len` contiguous elements, each summed.
    Inner { len: usize },
    /// A row-major `[rows, width]` summed over its rows.
    Outer { rows: usize, width: usize },
}

/// The layout of summing a contiguous tensor of `shape` over the dimensions
/// flagged in `reduce`, or `None` where PyTorch's order is not modelled
/// (strided inputs, reduced dimensions on both sides of a kept one, empty
/// tensors, a reduction over size-1 dimensions only).
pub(crate) fn layout(shape: &[i64], reduce: &[bool]) -> Option<Layout> {
    let dims: Vec<(usize, bool)> = shape
        .iter()
        .zip(reduce)
        .filter(|(s, _)| **s != 1)
        .map(|(&s, &r)| usize::try_from(s).ok().filter(|&s| s > 0).map(|s| (s, r)))
        .collect::<Option<_>>()?;
    let reduced: usize = dims.iter().filter(|d| d.1).map(|d| d.0).product();
    let kept: usize = dims.iter().filter(|d| !d.1).map(|d| d.0).product();
    let first_kept = dims.iter().position(|d| !d.1);
    let last_reduced = dims.iter().rposition(|d| d.1);
    match (first_kept, last_reduced) {
        (_, None) => None,
        (None, Some(_)) => Some(Layout::Full),
        (Some(k), Some(r)) if r < k => Some(Layout::Outer {
            rows: reduced,
            width: kept,
        }),
        (Some(_), Some(_)) => {
            let first_reduced = dims.iter().position(|d| d.1)?;
            dims[first_reduced..]
                .iter()
                .all(|d| d.1)
                .then_some(Layout::Inner { len: reduced })
        }
    }
}

/// PyTorch's float32/float64 sum of `values` (logical order) in `layout`,
/// in the dtype, as its CPU kernel orders it with `threads` intra-op threads.
pub(crate) fn cascade_sums(
    values: &[f64],
    dtype: DType,
    layout: Layout,
    threads: usize,
) -> Vec<f64> {
    SumOrder::Cascade(layout).sums(values, dtype, threads)
}

/// PyTorch's CPU `mean` in `layout`: the [`cascade_sums`] divided by the
/// number of elements each reduces, in the dtype (`sum_out(...).div_(n)`).
pub(crate) fn cascade_means(
    values: &[f64],
    dtype: DType,
    layout: Layout,
    threads: usize,
    count: usize,
) -> Vec<f64> {
    divided(cascade_sums(values, dtype, layout, threads), dtype, count)
}

/// `sums` each divided by `count` in the dtype.
fn divided(sums: Vec<f64>, dtype: DType, count: usize) -> Vec<f64> {
    if dtype == DType::Float32 {
        let n = count as f32;
        sums.into_iter().map(|s| f64::from(s as f32 / n)).collect()
    } else {
        let n = count as f64;
        sums.into_iter().map(|s| s / n).collect()
    }
}

/// The order PyTorch's CPU kernel sums a float32/float64 input in, where
/// the runtime models it.
pub(crate) enum SumOrder {
    /// A contiguous input's ([`cascade_layout`]).
    Cascade(Layout),
    /// Any other input's loop over memory ([`strided`]).
    Strided(strided::Walk),
}

impl SumOrder {
    /// The sums of `values` (the input in logical order; a complex one as
    /// interleaved real and imaginary parts), one per result, in the dtype.
    pub(crate) fn sums(&self, values: &[f64], dtype: DType, threads: usize) -> Vec<f64> {
        match dtype {
            DType::Float32 => self.sums_as::<f32>(values, threads),
            DType::Complex64 => self.part_sums::<cascade::Complex64Part>(values, threads),
            DType::Complex128 => self.part_sums::<cascade::Complex128Part>(values, threads),
            _ => self.sums_as::<f64>(values, threads),
        }
    }

    /// The sums of `values` each rounded to `F`, summed in `F`.
    fn sums_as<F: cascade::Float>(&self, values: &[f64], threads: usize) -> Vec<f64> {
        let x: Vec<F> = values.iter().map(|&v| F::from_f64(v)).collect();
        self.run(&x, threads).into_iter().map(F::to_f64).collect()
    }

    /// Complex sums: the real parts and the imaginary parts each summed in
    /// the complex kernel's order, interleaved again.
    fn part_sums<F: cascade::Float>(&self, values: &[f64], threads: usize) -> Vec<f64> {
        let part = |skip: usize| -> Vec<F> {
            values
                .iter()
                .skip(skip)
                .step_by(2)
                .map(|&v| F::from_f64(v))
                .collect()
        };
        let re = self.run(&part(0), threads);
        let im = self.run(&part(1), threads);
        re.into_iter()
            .zip(im)
            .flat_map(|(r, i)| [r.to_f64(), i.to_f64()])
            .collect()
    }

    fn run<F: cascade::Float>(&self, x: &[F], threads: usize) -> Vec<F> {
        match self {
            SumOrder::Cascade(Layout::Full) => vec![cascade::full(x, threads)],
            SumOrder::Cascade(Layout::Inner { len }) => cascade::rows(x, *len),
            SumOrder::Cascade(Layout::Outer { rows, width }) => {
                cascade::columns(x, *rows, *width, threads)
            }
            SumOrder::Strided(walk) => walk.sums(x, threads),
        }
    }

    /// PyTorch's CPU `mean`: the [`SumOrder::sums`] divided by the number
    /// of elements each reduces, in the dtype.
    pub(crate) fn means(
        &self,
        values: &[f64],
        dtype: DType,
        threads: usize,
        count: usize,
    ) -> Vec<f64> {
        divided(self.sums(values, dtype, threads), dtype, count)
    }
}

/// How PyTorch sums `t` over the dimensions flagged in `reduce` into a
/// `dtype` result: a contiguous input over a leading or trailing block as
/// [`cascade_layout`] says, any other by its loop over memory, or `None`
/// (summed in f64 and rounded once) where neither is modelled or the
/// `sum-in-double` / `strided-sum-in-double` faults force the old path.
pub(crate) fn sum_order(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    dtype: DType,
    reduce: &[bool],
) -> Option<SumOrder> {
    if let Some(layout) = cascade_layout(ctx, t, dtype, reduce) {
        return Some(SumOrder::Cascade(layout));
    }
    if ctx.faults.sum_in_double
        || ctx.faults.strided_sum_in_double
        || !summed_in_order(ctx, dtype)
        || dtype != t.dtype()
    {
        return None;
    }
    let walk = strided::Walk::new(t.shape(), t.stride(), reduce)?;
    Some(SumOrder::Strided(if ctx.faults.strided_sum_one_loop {
        walk.in_one_loop()
    } else {
        walk
    }))
}

/// Whether sums of `dtype` follow PyTorch's order: float32, float64 and
/// the complex types of their parts (unless the `complex-sum-in-double`
/// fault keeps complex sums in float64).
fn summed_in_order(ctx: &KernelCtx<'_>, dtype: DType) -> bool {
    match dtype {
        DType::Float32 | DType::Float64 => true,
        DType::Complex64 | DType::Complex128 => !ctx.faults.complex_sum_in_double,
        _ => false,
    }
}

/// The layout [`cascade`] sums `t` in as PyTorch does, when the result is
/// `dtype` (the input's, float32 or float64) and the old float64 path is
/// not forced by the `sum-in-double` fault.
pub(crate) fn cascade_layout(
    ctx: &KernelCtx<'_>,
    t: &Tensor,
    dtype: DType,
    reduce: &[bool],
) -> Option<Layout> {
    if ctx.faults.sum_in_double
        || dtype != t.dtype()
        || !summed_in_order(ctx, dtype)
        || !t.is_contiguous()
    {
        return None;
    }
    layout(t.shape(), reduce)
}

/// PyTorch's CPU float sum (`cascade_sum` in its `SumKernel.cpp`), for the
/// layouts it was measured on: float32/float64 summed in the dtype, in the
/// order its loops take.
///
/// Which loop runs follows TensorIterator's view of a contiguous input
/// whose reduced dimensions (size-1 dimensions aside) are a leading block
/// (an *outer* reduction: the bias gradient, `x.sum(0)` of `[N, C]`), a
/// trailing block (*inner*: `x.sum(-1)`) or everything (a full sum, an
/// inner reduction of one row). Measured on torch 2.15 with 1 and 2
/// threads under AVX-512, AVX2 and DEFAULT: all three sum with 8 float32
/// or 4 float64 lanes (the AVX-512 build takes the AVX2 kernel), so the
/// kernel set does not matter; the thread count does from 32 768
/// elements on.
mod cascade {
    use std::ops::Add;

    /// Elements per `parallel_reduce` task (`at::internal::GRAIN_SIZE`).
    pub(super) const GRAIN: usize = 32_768;

    /// A value summed: a scalar or one vector register's lanes.
    pub(super) trait Summand: Copy + Add<Output = Self> {
        fn zero() -> Self;
    }

    impl Summand for f32 {
        fn zero() -> f32 {
            0.0
        }
    }

    impl Summand for f64 {
        fn zero() -> f64 {
            0.0
        }
    }

    /// `L` lanes added lane by lane.
    #[derive(Clone, Copy)]
    pub(super) struct Lanes<S, const L: usize>(pub(super) [S; L]);

    impl<S: Summand, const L: usize> Add for Lanes<S, L> {
        type Output = Self;
        fn add(self, other: Self) -> Self {
            let mut out = self.0;
            for (o, b) in out.iter_mut().zip(other.0) {
                *o = *o + b;
            }
            Lanes(out)
        }
    }

    impl<S: Summand, const L: usize> Summand for Lanes<S, L> {
        fn zero() -> Self {
            Lanes([S::zero(); L])
        }
    }

    /// A type PyTorch's cascade sum is modelled for, with its lane count: a
    /// real dtype, or one part of a complex one (complex sums add parts
    /// apart, so each part is summed in the complex vector's order).
    pub(super) trait Float: Summand + Default {
        /// `Vectorized<scalar_t>::size()` of the kernel that runs.
        const LANES: usize;
        /// `sizeof(scalar_t)`: bytes of one element of the summed dtype.
        const BYTES: usize;
        fn lanes(values: &[Self]) -> Self::Vector;
        type Vector: Summand + IntoIterator<Item = Self>;
        /// The value `v` rounded to this type.
        fn from_f64(v: f64) -> Self;
        fn to_f64(self) -> f64;
    }

    impl<S: Summand, const L: usize> IntoIterator for Lanes<S, L> {
        type Item = S;
        type IntoIter = std::array::IntoIter<S, L>;
        fn into_iter(self) -> Self::IntoIter {
            self.0.into_iter()
        }
    }

    /// One part (real or imaginary) of a complex64 element: float32
    /// arithmetic, four elements (of 8 bytes) a 256-bit vector.
    #[derive(Clone, Copy, Default, Debug, PartialEq)]
    pub(super) struct Complex64Part(f32);

    /// One part of a complex128 element: float64 arithmetic, two elements
    /// (of 16 bytes) a vector.
    #[derive(Clone, Copy, Default, Debug, PartialEq)]
    pub(super) struct Complex128Part(f64);

    macro_rules! part_arithmetic {
        ($part:ident, $float:ty) => {
            impl Add for $part {
                type Output = $part;
                fn add(self, other: $part) -> $part {
                    $part(self.0 + other.0)
                }
            }

            impl Summand for $part {
                fn zero() -> $part {
                    $part(0.0)
                }
            }
        };
    }
    part_arithmetic!(Complex64Part, f32);
    part_arithmetic!(Complex128Part, f64);

    macro_rules! summed_type {
        ($t:ty, $lanes:expr, $bytes:expr, |$v:ident| $from:expr, |$s:ident| $to:expr) => {
            impl Float for $t {
                const LANES: usize = $lanes;
                const BYTES: usize = $bytes;
                type Vector = Lanes<$t, $lanes>;
                fn lanes(values: &[$t]) -> Lanes<$t, $lanes> {
                    let mut out = [<$t>::zero(); $lanes];
                    out.copy_from_slice(&values[..$lanes]);
                    Lanes(out)
                }
                fn from_f64($v: f64) -> $t {
                    $from
                }
                fn to_f64(self) -> f64 {
                    let $s = self;
                    $to
                }
            }
        };
    }
    summed_type!(f32, 8, 4, |v| v as f32, |s| f64::from(s));
    summed_type!(f64, 4, 8, |v| v, |s| s);
    summed_type!(Complex64Part, 4, 8, |v| Complex64Part(v as f32), |s| {
        f64::from(s.0)
    });
    summed_type!(Complex128Part, 2, 16, |v| Complex128Part(v), |s| s.0);

    /// `ceil(log2(n))` for `n > 2` (smaller `n` only ever meet the floor of 4).
    fn ceil_log2(n: usize) -> u32 {
        if n <= 1 {
            0
        } else {
            usize::BITS - (n - 1).leading_zeros()
        }
    }

    /// `R` interleaved sums of `size` steps each (`load(i, k)`: step `i` of
    /// sum `k`), cascaded over four levels: a level's partial moves up one
    /// level every `2^p` steps (`p = max(4, ceil_log2(size) / 4)`), so only
    /// partials of similar magnitude meet.
    fn multi_row_sum<E: Summand, const R: usize>(
        size: usize,
        load: impl Fn(usize, usize) -> E,
    ) -> [E; R] {
        const LEVELS: usize = 4;
        let power = (ceil_log2(size) / LEVELS as u32).max(4);
        let step = 1usize << power;
        let mask = step - 1;
        let mut acc = [[E::zero(); R]; LEVELS];
        let mut i = 0;
        while i + step <= size {
            for _ in 0..step {
                for (k, a) in acc[0].iter_mut().enumerate() {
                    *a = *a + load(i, k);
                }
                i += 1;
            }
            for j in 1..LEVELS {
                let (lower, upper) = acc.split_at_mut(j);
                for (up, low) in upper[0].iter_mut().zip(lower[j - 1].iter_mut()) {
                    *up = *up + *low;
                    *low = E::zero();
                }
                if i & (mask << (j as u32 * power)) != 0 {
                    break;
                }
            }
        }
        for i in i..size {
            for (k, a) in acc[0].iter_mut().enumerate() {
                *a = *a + load(i, k);
            }
        }
        let mut out = acc[0];
        for level in &acc[1..] {
            for (o, &a) in out.iter_mut().zip(level) {
                *o = *o + a;
            }
        }
        out
    }

    /// One sum of `size` elements, split four ways (element `4i + k` into
    /// partial `k`), the remainder into partial 0, then the partials in order.
    fn row_sum<E: Summand>(size: usize, load: impl Fn(usize) -> E) -> E {
        let quads = size / 4;
        let mut partial = multi_row_sum::<E, 4>(quads, |i, k| load(4 * i + k));
        for i in quads * 4..size {
            partial[0] = partial[0] + load(i);
        }
        partial[1..].iter().fold(partial[0], |s, &p| s + p)
    }

    /// The sum of one row read element by element (`scalar_inner_sum`'s
    /// `row_sum`), before it is added to the result's zero.
    pub(super) fn scalar_row<F: Float>(x: &[F]) -> F {
        row_sum(x.len(), |i| x[i])
    }

    /// The sum of one contiguous row (`vectorized_inner_sum`, or the scalar
    /// loop for rows shorter than a vector), before it is added to the
    /// result's zero.
    pub(super) fn inner<F: Float>(x: &[F]) -> F {
        let n = x.len();
        if n < F::LANES {
            return row_sum(n, |i| x[i]);
        }
        let vectors = n / F::LANES;
        let v = row_sum(vectors, |i| F::lanes(&x[i * F::LANES..]));
        let tail = x[vectors * F::LANES..]
            .iter()
            .fold(F::zero(), |s, &e| s + e);
        v.into_iter().fold(tail, |s, lane| s + lane)
    }

    /// Columns `cols` of a row-major `[rows, width]` block summed over its
    /// rows (`vectorized_outer_sum`: four vectors of columns at a time, then
    /// one vector, then single columns; or the scalar loop, four columns at
    /// a time, for fewer columns than a vector or without `vector`, when
    /// the columns are not contiguous in memory), into `out[cols]`.
    pub(super) fn outer_block<F: Float>(
        x: &[F],
        rows: usize,
        width: usize,
        cols: std::ops::Range<usize>,
        out: &mut [F],
        vector: bool,
    ) {
        let at = |i: usize, c: usize| x[i * width + c];
        let (begin, end) = (cols.start, cols.end);
        let mut j = begin;
        let mut store = |c: usize, v: F| out[c] = F::zero() + v;
        if vector && end - begin >= F::LANES {
            while j + 4 * F::LANES <= end {
                let sums = multi_row_sum::<F::Vector, 4>(rows, |i, k| {
                    F::lanes(&x[i * width + j + k * F::LANES..])
                });
                for (k, s) in sums.into_iter().enumerate() {
                    for (l, v) in s.into_iter().enumerate() {
                        store(j + k * F::LANES + l, v);
                    }
                }
                j += 4 * F::LANES;
            }
            while j + F::LANES <= end {
                let s = row_sum(rows, |i| F::lanes(&x[i * width + j..]));
                for (l, v) in s.into_iter().enumerate() {
                    store(j + l, v);
                }
                j += F::LANES;
            }
        } else {
            while j + 4 <= end {
                let sums = multi_row_sum::<F, 4>(rows, |i, k| at(i, j + k));
                for (k, v) in sums.into_iter().enumerate() {
                    store(j + k, v);
                }
                j += 4;
            }
        }
        for c in j..end {
            store(c, row_sum(rows, |i| at(i, c)));
        }
    }

    /// How `at::parallel_for` cuts `0..n` with `grain` over `threads`.
    pub(super) fn chunks(n: usize, grain: usize, threads: usize) -> Vec<std::ops::Range<usize>> {
        let tasks = threads.min(n.div_ceil(grain)).max(1);
        let size = n.div_ceil(tasks);
        (0..tasks)
            .map(|t| t * size..n.min((t + 1) * size))
            .filter(|r| r.start < n)
            .collect()
    }

    /// A full sum: one inner row, or from [`GRAIN`] elements with several
    /// threads one partial per thread's chunk, the partials summed by the
    /// same loop (`two_pass_reduction`).
    pub(super) fn full<F: Float>(x: &[F], threads: usize) -> F {
        if x.len() < GRAIN || threads <= 1 {
            return F::zero() + inner(x);
        }
        let mut partials = vec![F::zero(); threads];
        for (t, r) in chunks(x.len(), GRAIN, threads).into_iter().enumerate() {
            partials[t] = partials[t] + inner(&x[r]);
        }
        F::zero() + inner(&partials)
    }

    /// Each of `rows` contiguous rows of `len` elements summed.
    pub(super) fn rows<F: Float>(x: &[F], len: usize) -> Vec<F> {
        x.chunks(len).map(|r| F::zero() + inner(r)).collect()
    }

    /// A row-major `[rows, width]` summed over its rows. From [`GRAIN`]
    /// elements with several threads the columns are cut per thread
    /// (`parallel_dim_reduction`), each cut rounded down to 128 bytes of
    /// columns, and each part runs the loop from its own first column.
    pub(super) fn columns<F: Float>(x: &[F], rows: usize, width: usize, threads: usize) -> Vec<F> {
        let mut out = vec![F::zero(); width];
        if x.len() < GRAIN || threads <= 1 {
            outer_block(x, rows, width, 0..width, &mut out, true);
            return out;
        }
        let per = 128 / F::BYTES;
        for r in chunks(width, 1, threads) {
            let begin = r.start - r.start % per;
            let end = if r.end == width {
                r.end
            } else {
                r.end - r.end % per
            };
            if begin < end {
                outer_block(x, rows, width, begin..end, &mut out, true);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: f64 = 33_554_432.0; // 2^25: float32 drops a 1 added to it

    #[test]
    fn layouts_of_contiguous_reductions() {
        let t = [true, true, true];
        assert_eq!(layout(&[2, 3, 4], &t), Some(Layout::Full));
        assert_eq!(
            layout(&[2, 3, 4], &[true, true, false]),
            Some(Layout::Outer { rows: 6, width: 4 })
        );
        assert_eq!(
            layout(&[2, 3, 4], &[false, true, true]),
            Some(Layout::Inner { len: 12 })
        );
        // size-1 dimensions do not count; a reduction over them alone and
        // a kept dimension between reduced ones are not modelled.
        assert_eq!(
            layout(&[1, 3, 1, 4], &[false, true, true, false]),
            Some(Layout::Outer { rows: 3, width: 4 })
        );
        assert_eq!(layout(&[3, 1, 4], &[false, true, false]), None);
        assert_eq!(layout(&[2, 3, 4], &[true, false, true]), None);
        assert_eq!(layout(&[2, 0, 4], &t), None);
    }

    /// `torch.zeros(15)` with 2^25 at 0, 1 at 1 and -2^25 at 8 sums to 1
    /// (float32 lanes 0..8 added to the tail's -2^25 in lane order); with
    /// -2^25 at 2 it sums to 0 (lane 0 + lane 1 drops the 1).
    #[test]
    fn a_full_float32_sum_adds_the_tail_then_the_lanes() {
        let mut x = vec![0.0; 15];
        x[0] = BIG;
        x[1] = 1.0;
        x[8] = -BIG;
        assert_eq!(cascade_sums(&x, DType::Float32, Layout::Full, 1), [1.0]);
        x[8] = 0.0;
        x[2] = -BIG;
        assert_eq!(cascade_sums(&x, DType::Float32, Layout::Full, 1), [0.0]);
        // float64 keeps the 1 either way.
        assert_eq!(cascade_sums(&x, DType::Float64, Layout::Full, 1), [1.0]);
    }

    /// `X = zeros(6, 41); X[0] = 2^25; X[1] = 1; X[4] = -2^25; X.sum(0)`:
    /// columns in blocks of four vectors (0..32) sum their rows in order
    /// (the 1 is lost), the vector and single columns after them split the
    /// rows four ways (row 4 meets row 0 first): torch gives 0 then 1.
    #[test]
    fn the_bias_gradient_follows_the_column_blocks() {
        let mut x = vec![0.0; 6 * 41];
        for c in 0..41 {
            x[c] = BIG;
            x[41 + c] = 1.0;
            x[4 * 41 + c] = -BIG;
        }
        let outer = Layout::Outer { rows: 6, width: 41 };
        let sums = cascade_sums(&x, DType::Float32, outer, 1);
        assert!(sums[..32].iter().all(|&s| s == 0.0), "{sums:?}");
        assert!(sums[32..].iter().all(|&s| s == 1.0), "{sums:?}");
    }

    /// 40 000 elements: one thread sums them as one row (1), two threads
    /// each half into a partial of their own (2^25 + 1 rounds to 2^25: 0).
    #[test]
    fn large_full_sums_follow_the_thread_count() {
        let mut x = vec![0.0; 40_000];
        x[0] = BIG;
        x[1] = 1.0;
        x[20_000] = -BIG;
        assert_eq!(cascade_sums(&x, DType::Float32, Layout::Full, 1), [1.0]);
        assert_eq!(cascade_sums(&x, DType::Float32, Layout::Full, 2), [0.0]);
        let mean = cascade_means(&x, DType::Float32, Layout::Full, 1, 40_000);
        assert_eq!(mean, [f64::from(1.0f32 / 40_000.0)]);
    }

    /// Eight float32 values of 3e38 overflow to inf in the dtype, as in
    /// PyTorch (float64 partials would not).
    #[test]
    fn float32_sums_overflow_in_the_dtype() {
        let x = vec![3e38; 8];
        assert_eq!(
            cascade_sums(&x, DType::Float32, Layout::Full, 1),
            [f64::INFINITY]
        );
    }

    /// Rows of 15: the same lane order per row (`Y.sum(-1)` is 1 for each).
    #[test]
    fn inner_rows_sum_like_full_sums() {
        let mut x = vec![0.0; 45];
        for r in 0..3 {
            x[r * 15] = BIG;
            x[r * 15 + 1] = 1.0;
            x[r * 15 + 8] = -BIG;
        }
        let sums = cascade_sums(&x, DType::Float32, Layout::Inner { len: 15 }, 2);
        assert_eq!(sums, [1.0; 3]);
    }

    /// A complex64 vector holds four elements: `2^25, 1, 0, 0 | -2^25, 0,
    /// 0, 0` in real parts cancel lane by lane and keep the 1, where eight
    /// float32 lanes would take the eight as one vector and lose it; the
    /// imaginary parts are summed apart.
    #[test]
    fn complex_parts_sum_over_the_complex_vector_lanes() {
        let re = [BIG, 1.0, 0.0, 0.0, -BIG, 0.0, 0.0, 0.0];
        let parts: Vec<f64> = re.iter().flat_map(|&r| [r, 0.5]).collect();
        let order = SumOrder::Cascade(Layout::Full);
        assert_eq!(order.sums(&parts, DType::Complex64, 1), [1.0, 4.0]);
        assert_eq!(order.sums(&re, DType::Float32, 1), [0.0]);
    }
}
