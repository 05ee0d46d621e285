//! Kernels of the sparse COO layout ([`crate::tensor::sparse`]): coalescing,
//! adding a sparse tensor into a dense one, and adding two sparse tensors.
//!
//! Each follows PyTorch's CPU kernel entry by entry, because float sums
//! depend on their order:
//!
//! * `_coalesce` sorts the entries by their row-major linearised index
//!   (PyTorch's unstable CPU sort, libstdc++'s introsort: duplicates keep
//!   their order only up to 16 entries) and sums each run of duplicates
//!   left to right in the sorted order in the values' dtype, the first copied, each next one
//!   added; indices and values are new tensors of the input's nnz, narrowed
//!   to the unique count (so the indices keep the row stride of the input's
//!   nnz). Fewer than two entries: a copy flagged coalesced.
//! * `dense.add_(sparse, alpha)` adds the entries one at a time in nnz order
//!   (an uncoalesced tensor's duplicates one after the other): a hybrid
//!   tensor's value slices with a fused multiply-add (`alpha * v + d`
//!   rounded once, BLAS `axpy`), a fully sparse tensor's scalars as
//!   `d + round(alpha * v)`.
//! * `sparse + sparse` merges the two entry lists like a sorted merge even
//!   when they are not coalesced: while both have entries, the heads are
//!   compared lexicographically, the smaller (the first operand's on a tie
//!   too) is taken, and equal heads become one entry holding both; into
//!   zeros, the first operand's slice added with factor 1, the second's with
//!   `alpha`. The result is coalesced only if both were; its parts have
//!   room for both operands' entries, narrowed to the merged count. When
//!   `other` has no entries the result copies `self`'s parts (strides kept
//!   when dense) and flag; when `self` has none, `other`'s indices are
//!   copied contiguous and its values scaled by `alpha`, with its flag.
//!
//! Values of other layouts (non-contiguous values or result, which PyTorch
//! routes through other paths) and dtypes other than float32/float64 are
//! refused by name rather than computed differently.
//!
//! They are the bodies of the `SparseCPU` kernels registered with the
//! dispatcher ([`super::sparse_ops`]); an operator given a sparse tensor
//! that has no `SparseCPU` kernel there stops a replay with exit 5 naming
//! it.

use crate::error::{Result, RuntimeError};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The float element types the sparse kernels compute in.
pub(super) trait Elem:
    Copy + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self>
{
    const ZERO: Self;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn fma(a: Self, x: Self, y: Self) -> Self;
    fn read(t: &Tensor, op: &str) -> Result<Vec<Self>>;
    fn tensor(op: &str, shape: &[i64], values: Vec<Self>) -> Result<Tensor>;
    fn write(t: &Tensor, op: &str, values: &[Self]) -> Result<()>;
}

impl Elem for f32 {
    const ZERO: f32 = 0.0;
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn fma(a: f32, x: f32, y: f32) -> f32 {
        a.mul_add(x, y)
    }
    fn read(t: &Tensor, op: &str) -> Result<Vec<f32>> {
        t.read_f32(op)
    }
    fn tensor(op: &str, shape: &[i64], values: Vec<f32>) -> Result<Tensor> {
        Tensor::from_f32_contiguous(op, shape, values)
    }
    fn write(t: &Tensor, op: &str, values: &[f32]) -> Result<()> {
        t.write_f32(op, values)
    }
}

impl Elem for f64 {
    const ZERO: f64 = 0.0;
    fn from_f64(x: f64) -> f64 {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn fma(a: f64, x: f64, y: f64) -> f64 {
        a.mul_add(x, y)
    }
    fn read(t: &Tensor, op: &str) -> Result<Vec<f64>> {
        t.read_f64(op)
    }
    fn tensor(op: &str, shape: &[i64], values: Vec<f64>) -> Result<Tensor> {
        Tensor::from_f64(
            op,
            shape,
            &contiguous_strides(shape),
            DType::Float64,
            &values,
        )
    }
    fn write(t: &Tensor, op: &str, values: &[f64]) -> Result<()> {
        t.write_f64(op, values)
    }
}

/// Fault switches of the sparse kernels (mutation tests).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SparseFaults {
    /// `_coalesce` sums duplicates in float64 and rounds once.
    pub(crate) coalesce_in_f64: bool,
    /// `_coalesce` sums each run of duplicates right to left.
    pub(crate) coalesce_reversed: bool,
}

/// The entries' indices, `[sparse_dim][nnz]`.
pub(super) fn index_columns(
    op: &str,
    indices: &Tensor,
    sparse_dim: usize,
    nnz: usize,
) -> Result<Vec<Vec<i64>>> {
    let flat = indices.read_i64(op)?;
    Ok((0..sparse_dim)
        .map(|d| flat[d * nnz..(d + 1) * nnz].to_vec())
        .collect())
}

/// The new indices tensor `[sparse_dim, room]` narrowed to `used` columns
/// (strides `[room, 1]`, as PyTorch's `set_nnz_and_narrow` leaves them).
pub(super) fn narrowed_indices(
    op: &str,
    cols: &[Vec<i64>],
    room: usize,
    used: usize,
) -> Result<Tensor> {
    let sparse_dim = cols.len();
    let mut flat = vec![0i64; sparse_dim * room];
    for (d, col) in cols.iter().enumerate() {
        flat[d * room..d * room + used].copy_from_slice(&col[..used]);
    }
    let full = [sparse_dim as i64, room as i64];
    let t = Tensor::from_i64(op, &full, &contiguous_strides(&full), DType::Int64, &flat)?;
    Ok(t.alias_with(
        vec![sparse_dim as i64, used as i64],
        vec![room as i64, 1],
        0,
    ))
}

/// The new values tensor `[room, dense...]` narrowed to `used` slices.
pub(super) fn narrowed_values<T: Elem>(
    op: &str,
    dense_sizes: &[i64],
    block: usize,
    data: Vec<T>,
    room: usize,
    used: usize,
) -> Result<Tensor> {
    let mut full = vec![room as i64];
    full.extend_from_slice(dense_sizes);
    let t = T::tensor(op, &full, data)?;
    let mut shape = full.clone();
    shape[0] = used as i64;
    let mut strides = contiguous_strides(&full);
    if strides.first() == Some(&0) {
        strides[0] = block as i64;
    }
    Ok(t.alias_with(shape, strides, 0))
}

fn refuse_dtype(op: &str, dtype: DType) -> RuntimeError {
    RuntimeError::unsupported(op, format!("sparse_coo tensors of dtype {}", dtype.name()))
}

/// PyTorch's `_coalesce` (CPU).
pub(crate) fn coalesce(op: &str, t: &Tensor, faults: SparseFaults) -> Result<Tensor> {
    match t.dtype() {
        DType::Float32 => coalesce_as::<f32>(op, t, faults),
        DType::Float64 => coalesce_as::<f64>(op, t, faults),
        other => Err(refuse_dtype(op, other)),
    }
}

fn coalesce_as<T: Elem>(op: &str, t: &Tensor, faults: SparseFaults) -> Result<Tensor> {
    let parts = t.sparse_parts(op)?;
    let (sparse_dim, nnz) = (parts.sparse_dim, parts.nnz());
    let dense_sizes = parts.values.shape()[1..].to_vec();
    let block: usize = dense_sizes.iter().map(|&d| d.max(0) as usize).product();
    let cols = index_columns(op, &parts.indices, sparse_dim, nnz)?;
    let values = T::read(&parts.values, op)?;
    if nnz < 2 {
        let indices = narrowed_indices(op, &cols, nnz, nnz)?;
        let values = narrowed_values(op, &dense_sizes, block, values, nnz, nnz)?;
        return Tensor::sparse_coo(op, t.shape(), sparse_dim, indices, values, true);
    }
    // Row-major linear index of each entry over the sparse sizes.
    let mut linear = vec![0i64; nnz];
    for (d, col) in cols.iter().enumerate() {
        let size = t.shape()[d];
        for (l, &i) in linear.iter_mut().zip(col) {
            *l = *l * size + i;
        }
    }
    let order = unstable_sort_order(&linear).ok_or_else(|| {
        RuntimeError::unsupported(op, "a coalesce whose index sort falls back to heapsort")
    })?;
    let mut out_cols = vec![vec![0i64; nnz]; sparse_dim];
    let mut out = vec![T::ZERO; nnz * block];
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut prev = None;
    for &k in &order {
        if prev == Some(linear[k]) {
            if let Some(run) = runs.last_mut() {
                run.push(k);
            }
        } else {
            runs.push(vec![k]);
        }
        prev = Some(linear[k]);
    }
    for (u, run) in runs.iter().enumerate() {
        for (d, col) in cols.iter().enumerate() {
            out_cols[d][u] = col[run[0]];
        }
        let slot = &mut out[u * block..(u + 1) * block];
        if faults.coalesce_in_f64 {
            for (e, s) in slot.iter_mut().enumerate() {
                let sum: f64 = run.iter().map(|&k| values[k * block + e].to_f64()).sum();
                *s = T::from_f64(sum);
            }
            continue;
        }
        let ordered: Vec<usize> = if faults.coalesce_reversed {
            run.iter().rev().copied().collect()
        } else {
            run.clone()
        };
        slot.copy_from_slice(&values[ordered[0] * block..(ordered[0] + 1) * block]);
        for &k in &ordered[1..] {
            for (s, &v) in slot.iter_mut().zip(&values[k * block..(k + 1) * block]) {
                *s = *s + v;
            }
        }
    }
    let used = runs.len();
    let indices = narrowed_indices(op, &out_cols, nnz, used)?;
    let values = narrowed_values(op, &dense_sizes, block, out, nnz, used)?;
    Tensor::sparse_coo(op, t.shape(), sparse_dim, indices, values, true)
}

/// The entry order PyTorch's CPU `sort` of the linear indices gives
/// (`stable=False`: libstdc++'s `std::sort` over (key, position) pairs
/// compared by key): an introsort with median-of-three pivots down to runs
/// of 16, then one insertion sort. Duplicates therefore do not keep their
/// order once there are more than 16 entries. `None` where the introsort
/// would exhaust its depth and switch to heapsort (not reproduced).
fn unstable_sort_order(keys: &[i64]) -> Option<Vec<usize>> {
    const THRESHOLD: usize = 16;
    let mut v: Vec<(i64, usize)> = keys.iter().copied().zip(0..).collect();
    let n = v.len();
    if n > 1 {
        let depth = 2 * (usize::BITS - 1 - n.leading_zeros()) as usize;
        introsort_loop(&mut v, 0, n, depth)?;
        if n > THRESHOLD {
            insertion_sort(&mut v, 0, THRESHOLD);
            for i in THRESHOLD..n {
                unguarded_linear_insert(&mut v, i);
            }
        } else {
            insertion_sort(&mut v, 0, n);
        }
    }
    Some(v.into_iter().map(|(_, k)| k).collect())
}

fn introsort_loop(
    v: &mut [(i64, usize)],
    first: usize,
    mut last: usize,
    mut depth: usize,
) -> Option<()> {
    while last - first > 16 {
        if depth == 0 {
            return None;
        }
        depth -= 1;
        let mid = first + (last - first) / 2;
        move_median_to_first(v, first, first + 1, mid, last - 1);
        let cut = unguarded_partition(v, first + 1, last, first);
        introsort_loop(v, cut, last, depth)?;
        last = cut;
    }
    Some(())
}

fn move_median_to_first(v: &mut [(i64, usize)], result: usize, a: usize, b: usize, c: usize) {
    let (ka, kb, kc) = (v[a].0, v[b].0, v[c].0);
    let pick = if ka < kb {
        if kb < kc {
            b
        } else if ka < kc {
            c
        } else {
            a
        }
    } else if ka < kc {
        a
    } else if kb < kc {
        c
    } else {
        b
    };
    v.swap(result, pick);
}

fn unguarded_partition(
    v: &mut [(i64, usize)],
    mut first: usize,
    mut last: usize,
    pivot: usize,
) -> usize {
    let key = v[pivot].0;
    loop {
        while v[first].0 < key {
            first += 1;
        }
        last -= 1;
        while key < v[last].0 {
            last -= 1;
        }
        if first >= last {
            return first;
        }
        v.swap(first, last);
        first += 1;
    }
}

fn insertion_sort(v: &mut [(i64, usize)], first: usize, last: usize) {
    for i in first + 1..last {
        if v[i].0 < v[first].0 {
            let val = v[i];
            v.copy_within(first..i, first + 1);
            v[first] = val;
        } else {
            unguarded_linear_insert(v, i);
        }
    }
}

fn unguarded_linear_insert(v: &mut [(i64, usize)], mut last: usize) {
    let val = v[last];
    while val.0 < v[last - 1].0 {
        v[last] = v[last - 1];
        last -= 1;
    }
    v[last] = val;
}

/// PyTorch's `add_out_dense_sparse_cpu` in place: `dense += alpha * sparse`.
pub(crate) fn add_dense_sparse_(
    op: &str,
    dense: &Tensor,
    sparse: &Tensor,
    alpha: f64,
) -> Result<()> {
    if dense.shape() != sparse.shape() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "expected 'self' and 'other' to have same size, but self has size {:?} while other has size {:?}",
                dense.shape(),
                sparse.shape()
            ),
        ));
    }
    if dense.dtype() != sparse.dtype() {
        return Err(RuntimeError::unsupported(
            op,
            format!(
                "a {} dense tensor plus a {} sparse tensor",
                dense.dtype().name(),
                sparse.dtype().name()
            ),
        ));
    }
    match dense.dtype() {
        DType::Float32 => add_dense_sparse_as::<f32>(op, dense, sparse, alpha),
        DType::Float64 => add_dense_sparse_as::<f64>(op, dense, sparse, alpha),
        other => Err(refuse_dtype(op, other)),
    }
}

fn add_dense_sparse_as<T: Elem>(
    op: &str,
    dense: &Tensor,
    sparse: &Tensor,
    alpha: f64,
) -> Result<()> {
    let parts = sparse.sparse_parts(op)?;
    let nnz = parts.nnz();
    if nnz == 0 {
        return Ok(());
    }
    if !dense.is_contiguous() || !parts.values.is_contiguous() {
        return Err(RuntimeError::unsupported(
            op,
            "adding a sparse tensor into a non-contiguous tensor or from non-contiguous values",
        ));
    }
    let sparse_dim = parts.sparse_dim;
    let cols = index_columns(op, &parts.indices, sparse_dim, nnz)?;
    let values = T::read(&parts.values, op)?;
    let mut out = T::read(dense, op)?;
    let block = values.len() / nnz;
    let a = T::from_f64(alpha);
    let hybrid = parts.dense_dim > 0;
    let shape = dense.shape();
    for k in 0..nnz {
        let mut row = 0usize;
        for (d, col) in cols.iter().enumerate() {
            let i = col[k];
            if i < 0 || i >= shape[d] {
                return Err(RuntimeError::index(
                    op,
                    format!(
                        "index {i} is out of bounds for dimension {d} with size {}",
                        shape[d]
                    ),
                ));
            }
            row = row * shape[d] as usize + i as usize;
        }
        let dst = &mut out[row * block..(row + 1) * block];
        for (y, &x) in dst.iter_mut().zip(&values[k * block..(k + 1) * block]) {
            *y = if hybrid { T::fma(a, x, *y) } else { *y + a * x };
        }
    }
    T::write(dense, op, &out)
}

/// The `sparse-to-dense-overwrites` fault: each entry is written into
/// `dense` instead of added (an uncoalesced tensor's last duplicate wins).
pub(crate) fn write_dense_sparse_(op: &str, dense: &Tensor, sparse: &Tensor) -> Result<()> {
    let parts = sparse.sparse_parts(op)?;
    let nnz = parts.nnz();
    if nnz == 0 {
        return Ok(());
    }
    let cols = index_columns(op, &parts.indices, parts.sparse_dim, nnz)?;
    let values = parts.values.read_f64(op)?;
    let mut out = dense.read_f64(op)?;
    let block = values.len() / nnz;
    let shape = dense.shape();
    for k in 0..nnz {
        let mut row = 0usize;
        for (d, col) in cols.iter().enumerate() {
            row = row * shape[d].max(0) as usize + col[k].max(0) as usize;
        }
        out[row * block..(row + 1) * block].copy_from_slice(&values[k * block..(k + 1) * block]);
    }
    dense.write_f64(op, &out)
}

/// A copy of an index tensor with contiguous strides.
pub(super) fn contiguous_i64(op: &str, t: &Tensor) -> Result<Tensor> {
    let flat = t.read_i64(op)?;
    Tensor::from_i64(
        op,
        t.shape(),
        &contiguous_strides(t.shape()),
        DType::Int64,
        &flat,
    )
}

/// Element types a part of a sparse tensor is copied as.
trait Part: Sized {
    fn copy(op: &str, t: &Tensor, strides: &[i64]) -> Result<Tensor>;
}

impl Part for i64 {
    fn copy(op: &str, t: &Tensor, strides: &[i64]) -> Result<Tensor> {
        let out = Tensor::zeroed(op, t.shape(), strides, DType::Int64)?;
        out.write_i64(op, &t.read_i64(op)?)?;
        Ok(out)
    }
}

impl<T: Elem> Part for T {
    fn copy(op: &str, t: &Tensor, strides: &[i64]) -> Result<Tensor> {
        let out = Tensor::zeroed(op, t.shape(), strides, t.dtype())?;
        T::write(&out, op, &T::read(t, op)?)?;
        Ok(out)
    }
}

/// `t.to(copy=True)` with preserve_format: a dense tensor's strides are
/// kept, any other is copied contiguous.
fn copy_preserving<P: Part>(op: &str, t: &Tensor) -> Result<Tensor> {
    let strides = if t.is_non_overlapping_and_dense() {
        t.stride().to_vec()
    } else {
        contiguous_strides(t.shape())
    };
    P::copy(op, t, &strides)
}

/// PyTorch's `add_out_sparse_cpu` of two sparse tensors: `a + alpha * b`.
pub(crate) fn add_sparse_sparse(op: &str, a: &Tensor, b: &Tensor, alpha: f64) -> Result<Tensor> {
    if a.shape() != b.shape() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "expected sizes of 'self' and 'other' to match, but {:?} != {:?}",
                a.shape(),
                b.shape()
            ),
        ));
    }
    if a.dtype() != b.dtype() {
        return Err(RuntimeError::unsupported(
            op,
            format!(
                "sparse tensors of dtypes {} and {}",
                a.dtype().name(),
                b.dtype().name()
            ),
        ));
    }
    match a.dtype() {
        DType::Float32 => add_sparse_sparse_as::<f32>(op, a, b, alpha),
        DType::Float64 => add_sparse_sparse_as::<f64>(op, a, b, alpha),
        other => Err(refuse_dtype(op, other)),
    }
}

fn add_sparse_sparse_as<T: Elem>(op: &str, t: &Tensor, s: &Tensor, alpha: f64) -> Result<Tensor> {
    let (tp, sp) = (t.sparse_parts(op)?, s.sparse_parts(op)?);
    if tp.sparse_dim != sp.sparse_dim {
        return Err(RuntimeError::shape(
            op,
            format!(
                "expected 'self' and 'other' to have same density, but 'self' has {} sparse dimensions while 'other' has {} sparse dimensions",
                tp.sparse_dim, sp.sparse_dim
            ),
        ));
    }
    let (t_nnz, s_nnz) = (tp.nnz(), sp.nnz());
    if s_nnz == 0 {
        // `copy_sparse_to_sparse_(r, t)`: copies of t's parts
        // (`to(copy=True)`, preserve_format), t's coalesced flag.
        let indices = copy_preserving::<i64>(op, &tp.indices)?;
        let values = copy_preserving::<T>(op, &tp.values)?;
        return Tensor::sparse_coo(
            op,
            t.shape(),
            tp.sparse_dim,
            indices,
            values,
            tp.is_coalesced(),
        );
    }
    if t_nnz == 0 {
        // `mul_out_sparse_scalar(r, s, alpha)`: s's indices copied into
        // contiguous ones, its values times alpha, s's coalesced flag.
        let indices = contiguous_i64(op, &sp.indices)?;
        let a = T::from_f64(alpha);
        let scaled: Vec<T> = T::read(&sp.values, op)?
            .into_iter()
            .map(|v| v * a)
            .collect();
        let values = T::tensor(op, sp.values.shape(), scaled)?;
        return Tensor::sparse_coo(
            op,
            s.shape(),
            sp.sparse_dim,
            indices,
            values,
            sp.is_coalesced(),
        );
    }
    if !tp.values.is_contiguous() || !sp.values.is_contiguous() {
        return Err(RuntimeError::unsupported(
            op,
            "adding sparse tensors whose values are not contiguous (concatenation)",
        ));
    }
    let sparse_dim = sp.sparse_dim;
    let t_cols = index_columns(op, &tp.indices, sparse_dim, t_nnz)?;
    let s_cols = index_columns(op, &sp.indices, sparse_dim, s_nnz)?;
    let t_vals = T::read(&tp.values, op)?;
    let s_vals = T::read(&sp.values, op)?;
    let dense_sizes = sp.values.shape()[1..].to_vec();
    let block: usize = dense_sizes.iter().map(|&d| d.max(0) as usize).product();
    let room = t_nnz + s_nnz;
    let mut cols = vec![vec![0i64; room]; sparse_dim];
    let mut out = vec![T::ZERO; room * block];
    let a = T::from_f64(alpha);
    let one = T::from_f64(1.0);
    let (mut r, mut ti, mut si) = (0usize, 0usize, 0usize);
    while ti < t_nnz || si < s_nnz {
        let cmp = if ti >= t_nnz {
            std::cmp::Ordering::Less
        } else if si >= s_nnz {
            std::cmp::Ordering::Greater
        } else {
            // Ordering::Greater: take the first operand's head.
            (0..sparse_dim)
                .map(|d| s_cols[d][si].cmp(&t_cols[d][ti]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        };
        let slot = r * block..(r + 1) * block;
        if cmp.is_ge() {
            for d in 0..sparse_dim {
                cols[d][r] = t_cols[d][ti];
            }
            for (y, &x) in out[slot.clone()]
                .iter_mut()
                .zip(&t_vals[ti * block..(ti + 1) * block])
            {
                *y = T::fma(one, x, *y);
            }
            ti += 1;
        }
        if cmp.is_le() {
            for d in 0..sparse_dim {
                cols[d][r] = s_cols[d][si];
            }
            for (y, &x) in out[slot]
                .iter_mut()
                .zip(&s_vals[si * block..(si + 1) * block])
            {
                *y = T::fma(a, x, *y);
            }
            si += 1;
        }
        r += 1;
    }
    let coalesced = tp.is_coalesced() && sp.is_coalesced();
    let indices = narrowed_indices(op, &cols, room, r)?;
    let values = narrowed_values(op, &dense_sizes, block, out, room, r)?;
    Tensor::sparse_coo(op, t.shape(), sparse_dim, indices, values, coalesced)
}

/// The entries of a 2-D sparse tensor as (row, column) pairs in nnz order
/// with their scalar values, refusing a hybrid tensor (PyTorch's
/// `addmm` reads the values as a 1-D accessor).
fn matrix_entries<T: Elem>(op: &str, s: &Tensor) -> Result<(Vec<i64>, Vec<i64>, Vec<T>)> {
    let parts = s.sparse_parts(op)?;
    if parts.sparse_dim != 2 || parts.dense_dim != 0 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "matrices expected, got {}D tensor with {} sparse and {} dense dimensions",
                s.dim(),
                parts.sparse_dim,
                parts.dense_dim
            ),
        ));
    }
    let nnz = parts.nnz();
    let cols = index_columns(op, &parts.indices, 2, nnz)?;
    let values = T::read(&parts.values, op)?;
    let mut it = cols.into_iter();
    let rows = it.next().unwrap_or_default();
    let columns = it.next().unwrap_or_default();
    Ok((rows, columns, values))
}

/// PyTorch's `s_addmm_out_sparse_dense_worker`: `r` (row-major
/// `[dim_i, dim_k]`, already holding `beta * self`) gets, entry by entry in
/// nnz order, `(alpha * value) * dense[col, :]` added to row `row` with a
/// fused multiply-add (BLAS `axpy`), the factor `alpha * value` rounded
/// first.
#[allow(clippy::too_many_arguments)]
fn spmm_accumulate<T: Elem>(
    op: &str,
    rows: &[i64],
    cols: &[i64],
    values: &[T],
    dense: &[T],
    (dim_i, dim_j, dim_k): (usize, usize, usize),
    alpha: T,
    r: &mut [T],
) -> Result<()> {
    for ((&row, &col), &v) in rows.iter().zip(cols).zip(values) {
        if col < 0 || col as usize >= dim_j {
            return Err(RuntimeError::index(
                op,
                format!("addmm: index out of column bound: {col} not between 1 and {dim_j}"),
            ));
        }
        if row < 0 || row as usize >= dim_i {
            return Err(RuntimeError::index(
                op,
                format!("addmm: index out of row bound: {row} not between 1 and {dim_i}"),
            ));
        }
        let factor = alpha * v;
        let (row, col) = (row as usize, col as usize);
        let src = &dense[col * dim_k..(col + 1) * dim_k];
        for (y, &x) in r[row * dim_k..(row + 1) * dim_k].iter_mut().zip(src) {
            *y = T::fma(factor, x, *y);
        }
    }
    Ok(())
}

/// `self` broadcast to `[rows, cols]` in row-major order (PyTorch's
/// `expand_size` before `addmm`).
fn broadcast_matrix<T: Elem>(op: &str, t: &Tensor, rows: usize, cols: usize) -> Result<Vec<T>> {
    let v = T::read(t, op)?;
    let shape = t.shape();
    let (tr, tc) = match *shape {
        [] => (1, 1),
        [c] => (1, c.max(0) as usize),
        [r, c] => (r.max(0) as usize, c.max(0) as usize),
        _ => (0, 0),
    };
    if (tr != rows && tr != 1) || (tc != cols && tc != 1) || shape.len() > 2 {
        return Err(RuntimeError::shape(
            op,
            format!("The expanded size of the tensor ({shape:?}) must match [{rows}, {cols}]"),
        ));
    }
    let mut out = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for j in 0..cols {
            out.push(v[(if tr == 1 { 0 } else { i }) * tc + if tc == 1 { 0 } else { j }]);
        }
    }
    Ok(out)
}

/// PyTorch's `addmm` of a sparse `mat1` and a strided `mat2` on the CPU
/// (`s_addmm_out_sparse_dense_cpu`): a new contiguous `[n, k]` result
/// holding zeros (`beta == 0`), `self` (`beta == 1`) or `self * beta`,
/// into which each entry of `mat1` adds, in nnz order (an uncoalesced
/// tensor's duplicates one after the other), `(alpha * v) * mat2[col, :]`
/// to row `row` with a fused multiply-add.
pub(crate) fn addmm_sparse_dense(
    op: &str,
    this: Option<&Tensor>,
    mat1: &Tensor,
    mat2: &Tensor,
    beta: f64,
    alpha: f64,
) -> Result<Tensor> {
    if mat2.is_sparse() || mat2.dim() != 2 || mat1.dim() != 2 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "addmm: 2D sparse mat1 and 2D strided mat2 expected, got {}D and {}D",
                mat1.dim(),
                mat2.dim()
            ),
        ));
    }
    if mat1.shape()[1] != mat2.shape()[0] {
        return Err(RuntimeError::shape(
            op,
            format!(
                "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
                mat1.shape()[0],
                mat1.shape()[1],
                mat2.shape()[0],
                mat2.shape()[1]
            ),
        ));
    }
    let dtype = mat2.dtype();
    if mat1.dtype() != dtype || this.is_some_and(|t| t.dtype() != dtype) {
        return Err(RuntimeError::unsupported(
            op,
            format!(
                "addmm of a {} sparse matrix and a {} matrix",
                mat1.dtype().name(),
                dtype.name()
            ),
        ));
    }
    match dtype {
        DType::Float32 => addmm_sparse_dense_as::<f32>(op, this, mat1, mat2, beta, alpha),
        DType::Float64 => addmm_sparse_dense_as::<f64>(op, this, mat1, mat2, beta, alpha),
        other => Err(refuse_dtype(op, other)),
    }
}

fn addmm_sparse_dense_as<T: Elem>(
    op: &str,
    this: Option<&Tensor>,
    mat1: &Tensor,
    mat2: &Tensor,
    beta: f64,
    alpha: f64,
) -> Result<Tensor> {
    let dim_i = mat1.shape()[0].max(0) as usize;
    let dim_j = mat1.shape()[1].max(0) as usize;
    let dim_k = mat2.shape()[1].max(0) as usize;
    let mut r = match this {
        Some(t) if beta != 0.0 => {
            let t = broadcast_matrix::<T>(op, t, dim_i, dim_k)?;
            if beta == 1.0 {
                t
            } else {
                let b = T::from_f64(beta);
                t.into_iter().map(|x| x * b).collect()
            }
        }
        _ => vec![T::ZERO; dim_i * dim_k],
    };
    let (rows, cols, values) = matrix_entries::<T>(op, mat1)?;
    let dense = T::read(mat2, op)?;
    spmm_accumulate(
        op,
        &rows,
        &cols,
        &values,
        &dense,
        (dim_i, dim_j, dim_k),
        T::from_f64(alpha),
        &mut r,
    )?;
    T::tensor(op, &[dim_i as i64, dim_k as i64], r)
}

/// PyTorch's `_sparse_mm` of a strided `mat1` and a sparse `mat2`:
/// `_sparse_addmm(zeros.t(), mat2.t(), mat1.t(), 0, 1).t()`, so the
/// product is accumulated as rows of its transpose (entry `(i, j)` of
/// `mat2` adds `v * mat1[:, i]` to column `j`, in nnz order) and the
/// result is column-major (strides `[1, rows]`).
pub(crate) fn mm_dense_sparse(op: &str, mat1: &Tensor, mat2: &Tensor) -> Result<Tensor> {
    if mat1.dim() != 2 || mat2.dim() != 2 || mat1.shape()[1] != mat2.shape()[0] {
        return Err(RuntimeError::shape(
            op,
            format!(
                "mat1 and mat2 shapes cannot be multiplied ({:?} and {:?})",
                mat1.shape(),
                mat2.shape()
            ),
        ));
    }
    if mat1.dtype() != mat2.dtype() {
        return Err(RuntimeError::unsupported(
            op,
            format!(
                "mm of a {} matrix and a {} sparse matrix",
                mat1.dtype().name(),
                mat2.dtype().name()
            ),
        ));
    }
    match mat1.dtype() {
        DType::Float32 => mm_dense_sparse_as::<f32>(op, mat1, mat2),
        DType::Float64 => mm_dense_sparse_as::<f64>(op, mat1, mat2),
        other => Err(refuse_dtype(op, other)),
    }
}

fn mm_dense_sparse_as<T: Elem>(op: &str, mat1: &Tensor, mat2: &Tensor) -> Result<Tensor> {
    let m = mat1.shape()[0].max(0) as usize;
    let n = mat1.shape()[1].max(0) as usize;
    let p = mat2.shape()[1].max(0) as usize;
    let (rows, cols, values) = matrix_entries::<T>(op, mat2)?;
    let d = T::read(mat1, op)?;
    // mat1ᵀ row-major: [n, m].
    let mut dt = vec![T::ZERO; n * m];
    for i in 0..m {
        for j in 0..n {
            dt[j * m + i] = d[i * n + j];
        }
    }
    let mut r = vec![T::ZERO; p * m];
    spmm_accumulate(
        op,
        &cols,
        &rows,
        &values,
        &dt,
        (p, n, m),
        T::from_f64(1.0),
        &mut r,
    )?;
    let t = T::tensor(op, &[p as i64, m as i64], r)?;
    Ok(t.alias_with(vec![m as i64, p as i64], vec![1, m as i64], 0))
}

/// PyTorch's `sparse_mask` of a sparse `self` (`sparse_mask_intersection`):
/// one entry per entry of `mask`, in the mask's order and with a
/// contiguous copy of its indices; each value is the sum of `self`'s
/// entries at that index (taken in the order of `self`'s sorted linear
/// indices, an unstable sort as `_coalesce`'s), zeros where `self` has
/// none. The result is coalesced when the mask is.
pub(crate) fn sparse_mask_sparse(op: &str, t: &Tensor, mask: &Tensor) -> Result<Tensor> {
    match t.dtype() {
        DType::Float32 => sparse_mask_sparse_as::<f32>(op, t, mask),
        DType::Float64 => sparse_mask_sparse_as::<f64>(op, t, mask),
        other => Err(refuse_dtype(op, other)),
    }
}

fn sparse_mask_sparse_as<T: Elem>(op: &str, t: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let (tp, mp) = (t.sparse_parts(op)?, mask.sparse_parts(op)?);
    if tp.sparse_dim != mp.sparse_dim {
        return Err(RuntimeError::shape(
            op,
            format!(
                "sparse_mask(): the number of sparse dimensions in `self` ({}) should match that of the `mask` ({})",
                tp.sparse_dim, mp.sparse_dim
            ),
        ));
    }
    let sparse_dim = tp.sparse_dim;
    let (t_nnz, m_nnz) = (tp.nnz(), mp.nnz());
    let dense_sizes = tp.values.shape()[1..].to_vec();
    let block: usize = dense_sizes.iter().map(|&d| d.max(0) as usize).product();
    let linear = |cols: &[Vec<i64>], k: usize| {
        cols.iter()
            .enumerate()
            .fold(0i64, |l, (d, col)| l * t.shape()[d] + col[k])
    };
    let t_cols = index_columns(op, &tp.indices, sparse_dim, t_nnz)?;
    let m_cols = index_columns(op, &mp.indices, sparse_dim, m_nnz)?;
    let t_vals = T::read(&tp.values, op)?;
    let t_keys: Vec<i64> = (0..t_nnz).map(|k| linear(&t_cols, k)).collect();
    let order = unstable_sort_order(&t_keys).ok_or_else(|| {
        RuntimeError::unsupported(op, "a sparse_mask whose index sort falls back to heapsort")
    })?;
    let mut out = vec![T::ZERO; m_nnz * block];
    for k in 0..m_nnz {
        let key = linear(&m_cols, k);
        let start = order.partition_point(|&e| t_keys[e] < key);
        let slot = &mut out[k * block..(k + 1) * block];
        let mut first = true;
        for &e in order[start..].iter().take_while(|&&e| t_keys[e] == key) {
            let src = &t_vals[e * block..(e + 1) * block];
            if first {
                slot.copy_from_slice(src);
                first = false;
            } else {
                for (y, &x) in slot.iter_mut().zip(src) {
                    *y = *y + x;
                }
            }
        }
    }
    let indices = narrowed_indices(op, &m_cols, m_nnz, m_nnz)?;
    let values = narrowed_values(op, &dense_sizes, block, out, m_nnz, m_nnz)?;
    Tensor::sparse_coo(
        op,
        t.shape(),
        sparse_dim,
        indices,
        values,
        mp.is_coalesced(),
    )
}

/// A COO tensor over `idx` (`sparse_dim` rows) and float32 `vals`, for
/// the sparse kernels' tests.
#[cfg(test)]
pub(crate) fn coo(
    idx: &[i64],
    sparse_dim: usize,
    vals: &[f32],
    sizes: &[i64],
    coalesced: bool,
) -> Tensor {
    let nnz = idx.len() / sparse_dim;
    let ishape = [sparse_dim as i64, nnz as i64];
    let indices = Tensor::from_i64(
        "t",
        &ishape,
        &contiguous_strides(&ishape),
        DType::Int64,
        idx,
    )
    .expect("sparse kernel");
    let mut vshape = vec![nnz as i64];
    vshape.extend_from_slice(&sizes[sparse_dim..]);
    let values = Tensor::from_f32_contiguous("t", &vshape, vals.to_vec()).expect("sparse kernel");
    Tensor::sparse_coo("t", sizes, sparse_dim, indices, values, coalesced).expect("sparse kernel")
}

#[cfg(test)]
mod tests {
    use super::*;
    fn parts(t: &Tensor) -> (Vec<i64>, Vec<f32>, Vec<i64>, bool) {
        let p = t.sparse_parts("t").expect("sparse kernel");
        (
            p.indices.read_i64("t").expect("sparse kernel"),
            p.values.read_f32("t").expect("sparse kernel"),
            p.indices.stride().to_vec(),
            p.is_coalesced(),
        )
    }

    #[test]
    fn coalesce_sorts_and_sums_duplicates_left_to_right_in_f32() {
        // Row 3 three times: 1 + 1e8 + (-1e8) = 0 in float32 left to right
        // (1 + 1e8 rounds to 1e8), 1 in float64 or right to left.
        let t = coo(&[3, 1, 3, 3], 1, &[1.0, 2.0, 1e8, -1e8], &[5], false);
        let c = coalesce("_coalesce", &t, SparseFaults::default()).expect("sparse kernel");
        let (i, v, strides, flag) = parts(&c);
        assert_eq!(i, vec![1, 3]);
        assert_eq!(v, vec![2.0, 0.0]);
        assert_eq!(strides, vec![4, 1]);
        assert!(flag);
        let f64_sum = SparseFaults {
            coalesce_in_f64: true,
            ..SparseFaults::default()
        };
        assert_eq!(
            parts(&coalesce("_coalesce", &t, f64_sum).expect("sparse kernel")).1,
            vec![2.0, 1.0]
        );
        let reversed = SparseFaults {
            coalesce_reversed: true,
            ..SparseFaults::default()
        };
        assert_eq!(
            parts(&coalesce("_coalesce", &t, reversed).expect("sparse kernel")).1,
            vec![2.0, 1.0]
        );
    }

    #[test]
    fn coalesce_sums_duplicates_in_the_unstable_sort_order_beyond_16_entries() {
        // 36 entries, row 0 at positions 3, 17 and 30: torch 2.15 sums them
        // in the order 3, 30, 17 (1e8 + 1 rounds away, -1e8 then gives 0
        // for (1e8, -1e8, 1); (1e8, 1, -1e8) gives 1).
        for (vals, expected) in [([1e8f32, -1e8, 1.0], 0.0f32), ([1e8, 1.0, -1e8], 1.0)] {
            let mut idx: Vec<i64> = (0..36).map(|k| k % 5 + 1).collect();
            let mut values = vec![0.5f32; 36];
            for (&p, &v) in [3usize, 17, 30].iter().zip(&vals) {
                idx[p] = 0;
                values[p] = v;
            }
            let t = coo(&idx, 1, &values, &[6], false);
            let c = coalesce("_coalesce", &t, SparseFaults::default()).expect("sparse kernel");
            assert_eq!(parts(&c).1[0], expected);
        }
    }

    #[test]
    fn coalesce_linearises_row_major_over_the_sparse_sizes() {
        // Entries (1,0), (0,2), (0,1) of a [2, 3] tensor with a dense dim of 1.
        let t = coo(&[1, 0, 0, 0, 2, 1], 2, &[1.0, 2.0, 3.0], &[2, 3, 1], false);
        let (i, v, _, _) =
            parts(&coalesce("_coalesce", &t, SparseFaults::default()).expect("sparse kernel"));
        assert_eq!(i, vec![0, 0, 1, 1, 2, 0]);
        assert_eq!(v, vec![3.0, 2.0, 1.0]);
    }

    #[test]
    fn dense_add_takes_entries_in_nnz_order_with_a_fused_multiply_add() {
        let dense =
            Tensor::from_f32_contiguous("t", &[2, 1], vec![1e8, 0.0]).expect("sparse kernel");
        // Uncoalesced duplicates of row 0: 1e8 + 1 + 1 stays 1e8 one at a time.
        let s = coo(&[0, 0, 1], 1, &[1.0, 1.0, 0.1], &[2, 1], false);
        add_dense_sparse_("add_", &dense, &s, 1.0).expect("sparse kernel");
        let out = dense.read_f32("t").expect("sparse kernel");
        assert_eq!(out[0], 1e8);
        // alpha * v + d rounded once.
        let d = Tensor::from_f32_contiguous("t", &[1, 1], vec![1.0]).expect("sparse kernel");
        let s = coo(&[0], 1, &[0.1], &[1, 1], true);
        add_dense_sparse_("add_", &d, &s, -0.3).expect("sparse kernel");
        assert_eq!(
            d.read_f32("t").expect("sparse kernel")[0],
            (-0.3f32).mul_add(0.1, 1.0)
        );
    }

    #[test]
    fn sparse_add_merges_heads_even_when_uncoalesced() {
        let a = coo(&[3, 1, 3], 1, &[1.0, 2.0, 3.0], &[5, 1], false);
        let b = coo(&[3, 0], 1, &[10.0, 20.0], &[5, 1], false);
        let c = add_sparse_sparse("add", &a, &b, 0.5).expect("sparse kernel");
        let (i, v, strides, flag) = parts(&c);
        assert_eq!(i, vec![3, 0, 1, 3]);
        assert_eq!(v, vec![6.0, 10.0, 2.0, 3.0]);
        assert_eq!(strides, vec![5, 1]);
        assert!(!flag);
    }
    #[test]
    fn addmm_adds_entries_in_nnz_order_with_a_fused_multiply_add() {
        // torch 2.15: entries (0,0)=1e8, (0,1)=1, (0,0)=-1e8 times ones
        // give 0 in nnz order (coalesced first would give 1).
        let s = coo(&[0, 0, 0, 0, 1, 0], 2, &[1e8, 1.0, -1e8], &[1, 2], false);
        let ones =
            Tensor::from_f32_contiguous("t", &[2, 1], vec![1.0, 1.0]).expect("sparse kernel");
        let r = addmm_sparse_dense("mm", None, &s, &ones, 0.0, 1.0).expect("sparse kernel");
        assert_eq!(r.read_f32("t").expect("sparse kernel"), vec![0.0]);
        // torch.sparse.addmm(t, s, x): 0.7313 * 1.6734272 + (-0.97977227)
        // rounded once is 0.24400505 (0.24400502 unfused).
        let s = coo(&[0, 0], 2, &[0.7313], &[1, 1], true);
        let x =
            Tensor::from_f32_contiguous("t", &[1, 1], vec![1.673_427_2]).expect("sparse kernel");
        let t =
            Tensor::from_f32_contiguous("t", &[1, 1], vec![-0.979_772_27]).expect("sparse kernel");
        let r = addmm_sparse_dense("addmm", Some(&t), &s, &x, 1.0, 1.0).expect("sparse kernel");
        assert_eq!(r.read_f32("t").expect("sparse kernel"), vec![0.244_005_05]);
        // beta scales self first; alpha * value is rounded before the fma.
        let r = addmm_sparse_dense("addmm", Some(&t), &s, &x, 0.5, 0.3).expect("sparse kernel");
        let factor = 0.3f32 * 0.7313;
        assert_eq!(
            r.read_f32("t").expect("sparse kernel"),
            vec![factor.mul_add(1.673_427_2, -0.979_772_27 * 0.5)]
        );
    }

    #[test]
    fn mm_of_a_dense_and_a_sparse_matrix_is_column_major() {
        // torch.mm([[1,2,3],[4,5,6]], sparse (0,1)=1, (2,0)=2, (0,1)=3)
        // = [[6, 4], [12, 16]] with strides (1, 2).
        let d = Tensor::from_f32_contiguous("t", &[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
            .expect("sparse kernel");
        let s = coo(&[0, 2, 0, 1, 0, 1], 2, &[1.0, 2.0, 3.0], &[3, 2], false);
        let r = mm_dense_sparse("mm", &d, &s).expect("sparse kernel");
        assert_eq!(r.shape(), &[2, 2]);
        assert_eq!(r.stride(), &[1, 2]);
        assert_eq!(
            r.read_f32("t").expect("sparse kernel"),
            vec![6.0, 4.0, 12.0, 16.0]
        );
    }

    #[test]
    fn sparse_mask_of_a_sparse_self_follows_the_uncoalesced_mask() {
        // torch 2.15: self (2,0)=1, (0,1)=2, (2,0)=3, (1,1)=4 masked by
        // (0,1), (2,2), (0,1), (2,0) gives [2, 0, 2, 4], uncoalesced.
        let t = coo(
            &[2, 0, 2, 1, 0, 1, 0, 1],
            2,
            &[1.0, 2.0, 3.0, 4.0],
            &[3, 3],
            false,
        );
        let m = coo(&[0, 2, 0, 2, 1, 2, 1, 0], 2, &[9.0; 4], &[3, 3], false);
        let r = sparse_mask_sparse("sparse_mask", &t, &m).expect("sparse kernel");
        let (i, v, strides, flag) = parts(&r);
        assert_eq!(i, vec![0, 2, 0, 2, 1, 2, 1, 0]);
        assert_eq!(v, vec![2.0, 0.0, 2.0, 4.0]);
        assert_eq!(strides, vec![4, 1]);
        assert!(!flag);
    }

    #[test]
    fn adding_a_sparse_tensor_without_entries_copies_or_scales_the_other() {
        // torch 2.15, 2-d sparse (3, 3), e without entries:
        //   s + e: s's parts copied, indices (4, 1), uncoalesced;
        //   c + e (c = s.coalesce(), indices narrowed: stride (4, 1) for 3
        //   entries): indices copied contiguous (3, 1), coalesced;
        //   torch.add(e, c, alpha=2.5): c's values times 2.5, coalesced.
        let s = coo(
            &[0, 1, 2, 1, 1, 2, 0, 2],
            2,
            &[0.5, 1.0, -2.0, 0.25],
            &[3, 3],
            false,
        );
        let e = coo(&[], 2, &[], &[3, 3], true);
        let r = add_sparse_sparse("add", &s, &e, 1.0).expect("sparse kernel");
        assert_eq!(parts(&r), parts(&s));
        let c = coalesce("_coalesce", &s, SparseFaults::default()).expect("sparse kernel");
        assert_eq!(parts(&c).2, vec![4, 1]);
        let (i, v, strides, flag) = parts(&add_sparse_sparse("add", &c, &e, 1.0).expect("add"));
        assert_eq!(i, vec![0, 1, 2, 1, 2, 0]);
        assert_eq!(v, vec![0.5, 1.25, -2.0]);
        assert_eq!(strides, vec![3, 1]);
        assert!(flag);
        let (i, v, strides, flag) = parts(&add_sparse_sparse("add", &e, &c, 2.5).expect("add"));
        assert_eq!(i, vec![0, 1, 2, 1, 2, 0]);
        assert_eq!(v, vec![1.25, 3.125, -5.0]);
        assert_eq!(strides, vec![3, 1]);
        assert!(flag);
    }
}
