//! Advanced indexing: `index.Tensor` (`x[idx]`, `x[mask]`, `x[:, idx]`)
//! and `index_put(_)` (`x[idx] = v`, and the gradient of `index`).
//!
//! The `Tensor?[]` indices name dimensions of `self` from the left (`None`
//! keeps a dimension whole). A bool (or uint8) mask of `k` dimensions
//! stands for `k` long indices, its nonzero coordinates. The long indices
//! broadcast to one shape `B`; when the indexed dimensions are adjacent, `B`
//! replaces them in place, otherwise it goes first, followed by the kept
//! dimensions (NumPy's rule). Negative indices count from the end. The
//! result of `index` is laid out as PyTorch's TensorIterator lays it out
//! (contiguous for contiguous inputs); `index_put` keeps `self`'s layout
//! as `clone` does.

use super::coords::{broadcast_positions, ravel, strides, unravel};
use super::{Elems, as_index_error, output, wrap_index};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{broadcast_shapes, contiguous_strides};

/// One long index over one dimension of `self`: its shape and values
/// (values are empty on meta).
struct LongIndex {
    shape: Vec<i64>,
    strides: Vec<i64>,
    values: Vec<i64>,
}

/// The result geometry of an indexing expression and, with data, the
/// position in `self` (row-major) of every result element.
struct IndexPlan {
    shape: Vec<i64>,
    strides: Vec<i64>,
    positions: Vec<usize>,
}

/// The coordinates of a mask's nonzero elements, one long index per mask
/// dimension.
fn mask_indices(ctx: &KernelCtx<'_>, mask: &Tensor) -> Result<Vec<LongIndex>> {
    if !ctx.has_data() {
        return Err(RuntimeError::unsupported(
            ctx.op,
            "boolean mask indices on a backend without data (the result size depends on the mask)",
        ));
    }
    let values = mask.read_i64(ctx.op)?;
    let hits: Vec<Vec<usize>> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v != 0)
        .map(|(p, _)| unravel(p, mask.shape()))
        .collect();
    let n = hits.len() as i64;
    // PyTorch takes column k of `mask.nonzero()` ([n, mask.dim()]), a view
    // with stride mask.dim().
    let stride = mask.dim().max(1) as i64;
    Ok((0..mask.dim())
        .map(|k| LongIndex {
            shape: vec![n],
            strides: vec![stride],
            values: hits.iter().map(|c| c[k] as i64).collect(),
        })
        .collect())
}

/// One entry per dimension of `self`: the long index over it, if any.
fn expand_indices(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    indices: &[Option<&Tensor>],
) -> Result<Vec<Option<LongIndex>>> {
    let mut out: Vec<Option<LongIndex>> = Vec::with_capacity(this.dim());
    for index in indices {
        let Some(t) = index else {
            out.push(None);
            continue;
        };
        ctx.check(t, "indices")?;
        match t.dtype() {
            DType::Bool | DType::UInt8 => {
                let at = out.len();
                for (k, &s) in t.shape().iter().enumerate() {
                    let want = this.shape().get(at + k).copied();
                    if want != Some(s) {
                        return Err(RuntimeError::index(
                            ctx.op,
                            format!(
                                "The shape of the mask {:?} at index {k} does not match the \
                                 shape of the indexed tensor {:?} at index {}",
                                t.shape(),
                                this.shape(),
                                at + k
                            ),
                        ));
                    }
                }
                out.extend(mask_indices(ctx, t)?.into_iter().map(Some));
            }
            DType::Int64 | DType::Int32 => out.push(Some(LongIndex {
                shape: t.shape().to_vec(),
                strides: t.stride().to_vec(),
                values: if ctx.has_data() {
                    t.read_i64(ctx.op)?
                } else {
                    Vec::new()
                },
            })),
            _ => {
                return Err(RuntimeError::shape(
                    ctx.op,
                    "tensors used as indices must be long, int, byte or bool tensors",
                ));
            }
        }
    }
    if out.len() > this.dim() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "too many indices for tensor of dimension {} (got {})",
                this.dim(),
                out.len()
            ),
        ));
    }
    out.resize_with(this.dim(), || None);
    Ok(out)
}

/// The plan of `self[indices]`.
fn plan(ctx: &KernelCtx<'_>, this: &Tensor, indices: &[Option<&Tensor>]) -> Result<IndexPlan> {
    let entries = expand_indices(ctx, this, indices)?;
    let indexed: Vec<usize> = (0..entries.len())
        .filter(|&k| entries[k].is_some())
        .collect();
    let mut b: Vec<i64> = Vec::new();
    for e in entries.iter().flatten() {
        b = broadcast_shapes(&b, &e.shape).ok_or_else(|| {
            let shapes: Vec<String> = entries
                .iter()
                .flatten()
                .map(|e| format!("{:?}", e.shape))
                .collect();
            RuntimeError::shape(
                ctx.op,
                format!(
                    "shape mismatch: indexing tensors could not be broadcast together with shapes {}",
                    shapes.join(", ")
                ),
            )
        })?;
    }
    let self_shape = this.shape();
    let (Some(&first), Some(&last)) = (indexed.first(), indexed.last()) else {
        let n: usize = self_shape.iter().map(|&s| s as usize).product();
        return Ok(IndexPlan {
            shape: self_shape.to_vec(),
            strides: contiguous_strides(self_shape),
            positions: (0..n).collect(),
        });
    };
    let adjacent = last - first + 1 == indexed.len();
    // Result dimensions: (which self dim it walks, or None for a B dim).
    let mut layout: Vec<Option<usize>> = Vec::new();
    let kept: Vec<usize> = (0..entries.len())
        .filter(|k| entries[*k].is_none())
        .collect();
    if adjacent {
        layout.extend((0..first).map(Some));
        layout.extend(b.iter().map(|_| None));
        layout.extend((last + 1..entries.len()).map(Some));
    } else {
        layout.extend(b.iter().map(|_| None));
        layout.extend(kept.iter().copied().map(Some));
    }
    let b_at = if adjacent { first } else { 0 };
    let shape: Vec<i64> = layout
        .iter()
        .enumerate()
        .map(|(r, l)| match l {
            Some(k) => self_shape[*k],
            None => b[r - b_at],
        })
        .collect();
    let out_strides = result_strides(this, &entries, &layout, &shape, &b, b_at);
    if !ctx.has_data() {
        return Ok(IndexPlan {
            shape,
            strides: out_strides,
            positions: Vec::new(),
        });
    }
    let bpos: Vec<Vec<usize>> = entries
        .iter()
        .map(|e| {
            e.as_ref()
                .map_or_else(Vec::new, |e| broadcast_positions(&e.shape, &b))
        })
        .collect();
    let st = strides(self_shape);
    let b_strides = strides(&b);
    let n: usize = shape.iter().map(|&s| s as usize).product();
    let mut positions = Vec::with_capacity(n);
    for p in 0..n {
        let rc = unravel(p, &shape);
        let bflat = ravel(&rc[b_at..b_at + b.len()], &b_strides);
        let mut sc = vec![0usize; self_shape.len()];
        for (r, l) in layout.iter().enumerate() {
            if let Some(k) = l {
                sc[*k] = rc[r];
            }
        }
        for (j, &k) in indexed.iter().enumerate() {
            if let Some(e) = &entries[k] {
                let i = bpos[k]
                    .get(bflat)
                    .and_then(|&q| e.values.get(q))
                    .copied()
                    .unwrap_or(0);
                // PyTorch counts the dimension among the indexed ones
                // (observed in torch 2.15: `x[:, [9]]` of a 3x4 tensor names
                // "dimension 0 with size 4"), and raises IndexError.
                sc[k] = wrap_index(ctx.op, i, j, self_shape[k]).map_err(as_index_error)?;
            }
        }
        positions.push(ravel(&sc, &st));
    }
    Ok(IndexPlan {
        shape,
        strides: out_strides,
        positions,
    })
}

/// The result layout PyTorch's index kernel gets from its TensorIterator:
/// the operands are `self` restrided to the result shape (stride 0 along
/// the broadcast index dimensions) and every index tensor placed at those
/// dimensions (stride 0 elsewhere); the result is dense in the order their
/// strides prefer (observed: indexing the middle dimension of a permuted
/// `[4, 2, 3]` tensor with strides `(1, 12, 4)` gives strides `(1, 4, 8)`).
fn result_strides(
    this: &Tensor,
    entries: &[Option<LongIndex>],
    layout: &[Option<usize>],
    shape: &[i64],
    b: &[i64],
    b_at: usize,
) -> Vec<i64> {
    let restrided: Vec<i64> = layout
        .iter()
        .map(|l| l.map_or(0, |k| this.stride()[k]))
        .collect();
    let mut operands = vec![restrided];
    for e in entries.iter().flatten() {
        let lead = b.len().saturating_sub(e.shape.len());
        let mut st = vec![0i64; shape.len()];
        for (k, (&size, &stride)) in e.shape.iter().zip(&e.strides).enumerate() {
            if size != 1 {
                st[b_at + lead + k] = stride;
            }
        }
        operands.push(st);
    }
    let geometries: Vec<(&[i64], &[i64])> =
        operands.iter().map(|st| (shape, st.as_slice())).collect();
    crate::kernels::iter::output_strides(shape, &geometries)
}

/// `index.Tensor(self, indices)`.
pub(crate) fn index(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let this = a.tensor(0)?;
    ctx.check(this, "self")?;
    let indices = a.opt_tensor_list(1)?;
    let plan = plan(ctx, this, &indices)?;
    let out = output(ctx, &plan.shape, &plan.strides, this.dtype(), || {
        Elems::read(ctx.op, this)?.pick(ctx.op, &plan.positions)
    })?;
    Ok(vec![out.into()])
}

/// `self`'s elements after `self[indices] = values` (`accumulate`: `+=`,
/// repeated indices adding up in index order, each sum rounded to a
/// float32, bfloat16 or float16 `self`'s dtype).
fn put(
    ctx: &KernelCtx<'_>,
    this: &Tensor,
    indices: &[Option<&Tensor>],
    values: &Tensor,
    accumulate: bool,
) -> Result<Elems> {
    let plan = plan(ctx, this, indices)?;
    if broadcast_shapes(values.shape(), &plan.shape).as_deref() != Some(plan.shape.as_slice()) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "shape mismatch: value tensor of shape {:?} cannot be broadcast to indexing \
                 result of shape {:?}",
                values.shape(),
                plan.shape
            ),
        ));
    }
    let mut out = Elems::read(ctx.op, this)?;
    let src = Elems::read_as(ctx.op, values, this.dtype())?;
    let from = broadcast_positions(values.shape(), &plan.shape);
    let dtype = this.dtype();
    let rounding = accumulate
        && dtype.is_floating()
        && dtype != DType::Float64
        && !ctx.faults.index_put_accumulates_in_double;
    for (&to, &f) in plan.positions.iter().zip(&from) {
        out.put(to, &src, f, accumulate);
        if rounding {
            // PyTorch's CPU loop adds serially, storing each sum in the
            // element dtype.
            out.round_at(to, dtype);
        }
    }
    Ok(out)
}

/// The checked arguments of `index_put(_)`.
fn put_args<'a>(
    ctx: &KernelCtx<'_>,
    a: &Args<'a>,
) -> Result<(&'a Tensor, Vec<Option<&'a Tensor>>, &'a Tensor, bool)> {
    let (this, values) = (a.tensor(0)?, a.tensor(2)?);
    ctx.check(this, "self")?;
    ctx.check(values, "values")?;
    if values.dtype() != this.dtype() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Index put requires the source and destination dtypes match, got {} for the \
                 destination and {} for the source.",
                this.dtype().scalar_type_name(),
                values.dtype().scalar_type_name()
            ),
        ));
    }
    Ok((this, a.opt_tensor_list(1)?, values, a.bool(3)?))
}

/// `index_put(self, indices, values, accumulate=False)`: a copy of `self`
/// (laid out as `clone` preserves it) with the indexed elements replaced.
pub(crate) fn index_put(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, indices, values, accumulate) = put_args(ctx, &a)?;
    let strides = if this.is_non_overlapping_and_dense() {
        this.stride().to_vec()
    } else {
        contiguous_strides(this.shape())
    };
    let out = output(ctx, this.shape(), &strides, this.dtype(), || {
        put(ctx, this, &indices, values, accumulate)
    })?;
    Ok(vec![out.into()])
}

/// `index_put_(self, indices, values, accumulate=False)`.
pub(crate) fn index_put_(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (this, indices, values, accumulate) = put_args(ctx, &a)?;
    if ctx.has_data() {
        let out = put(ctx, this, &indices, values, accumulate)?;
        super::elems::write(ctx, this, || Ok(out))?;
    } else {
        plan(ctx, this, &indices)?;
    }
    Ok(vec![this.clone().into()])
}
