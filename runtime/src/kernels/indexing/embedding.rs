//! `embedding` (rows of a weight matrix picked by integer indices) and its
//! gradient `embedding_dense_backward`.

use super::{Elems, index_values, output, wrap_index};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::storage::cast_value as round_to;
use crate::tensor::strides::contiguous_strides;

fn check_indices(ctx: &KernelCtx<'_>, indices: &Tensor, what: &str) -> Result<()> {
    ctx.check(indices, "indices")?;
    if !matches!(indices.dtype(), DType::Int64 | DType::Int32) {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "Expected tensor for argument #1 'indices' to have one of the following scalar \
                 types: Long, Int; but got torch.{}Tensor instead (while checking arguments for \
                 {what})",
                indices.dtype().scalar_type_name()
            ),
        ));
    }
    Ok(())
}

/// `embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False,
/// sparse=False)`: out[..., :] = weight[indices[...], :], shape
/// `indices.shape + [weight.size(1)]`.
pub(crate) fn embedding(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (weight, indices) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(weight, "weight")?;
    check_indices(ctx, indices, "embedding")?;
    if weight.dim() != 2 {
        return Err(RuntimeError::shape(ctx.op, "'weight' must be 2-D"));
    }
    let (rows, width) = (weight.shape()[0], weight.shape()[1]);
    let mut shape = indices.shape().to_vec();
    shape.push(width);
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        weight.dtype(),
        || {
            let w = Elems::read(ctx.op, weight)?;
            let width = width as usize;
            let mut positions = Vec::with_capacity(indices.numel() * width);
            for i in index_values(ctx, indices, "embedding")? {
                let row = wrap_index(ctx.op, i, 0, rows)
                    .map_err(|_| RuntimeError::index(ctx.op, "index out of range in self"))?;
                if i < 0 {
                    return Err(RuntimeError::index(ctx.op, "index out of range in self"));
                }
                positions.extend((0..width).map(|k| row * width + k));
            }
            w.pick(ctx.op, &positions)
        },
    )?;
    Ok(vec![out.into()])
}

/// `embedding_dense_backward(grad_output, indices, num_weights,
/// padding_idx, scale_grad_by_freq)`: a contiguous `[num_weights, width]`
/// tensor where row `r` sums the gradient rows of every occurrence of `r`
/// in `indices` (none for `padding_idx`), each divided by the number of
/// occurrences when `scale_grad_by_freq`. As PyTorch's CPU kernel does, the
/// occurrences are added one at a time in index order into a gradient of the
/// grad's dtype (`grad_weight[k].add_(grad[i], scale)` with `scale` in that
/// dtype, each add one fused rounding), so a bfloat16 or float16 row that
/// several tokens share rounds after every token.
pub(crate) fn embedding_dense_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (grad, indices) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(grad, "grad_output")?;
    check_indices(ctx, indices, "embedding_backward")?;
    let (num_weights, padding_idx, scale) = (a.int(2)?, a.int(3)?, a.bool(4)?);
    let width = grad.shape().last().copied().unwrap_or(1);
    if num_weights < 0 || grad.numel() != indices.numel() * width.max(0) as usize {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_output {:?} does not match indices {:?}",
                grad.shape(),
                indices.shape()
            ),
        ));
    }
    let shape = vec![num_weights, width];
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        grad.dtype(),
        || {
            let idx = index_values(ctx, indices, "embedding_backward")?;
            let g = match Elems::read(ctx.op, grad)? {
                Elems::F(v) | Elems::C(v) => v,
                Elems::I(v) => v.into_iter().map(|x| x as f64).collect(),
            };
            let width = width as usize;
            let mut counts = vec![0usize; num_weights as usize];
            for &i in &idx {
                let row = wrap_index(ctx.op, i, 0, num_weights)?;
                counts[row] += 1;
            }
            // the `embedding-grad-rounded-once` fault sums in float64
            let dtype = if ctx.faults.embedding_grad_rounded_once {
                DType::Float64
            } else {
                grad.dtype()
            };
            let mut values = vec![0f64; num_weights as usize * width];
            for (n, &i) in idx.iter().enumerate() {
                if i == padding_idx {
                    continue;
                }
                let row = wrap_index(ctx.op, i, 0, num_weights)?;
                let factor = if scale {
                    round_to(dtype, 1.0 / counts[row] as f64)
                } else {
                    1.0
                };
                for k in 0..width {
                    let slot = &mut values[row * width + k];
                    *slot = round_to(dtype, *slot + g[n * width + k] * factor);
                }
            }
            Ok(Elems::F(values))
        },
    )?;
    Ok(vec![out.into()])
}

/// `_embedding_bag`'s `mode` argument.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BagMode {
    Sum,
    Mean,
    Max,
}

impl BagMode {
    fn of(op: &str, mode: i64) -> Result<BagMode> {
        match mode {
            0 => Ok(BagMode::Sum),
            1 => Ok(BagMode::Mean),
            2 => Ok(BagMode::Max),
            m => Err(RuntimeError::shape(
                op,
                format!("unknown mode for embedding_bag: {m}"),
            )),
        }
    }
}

/// The bag of every index: bag `b` holds positions `offsets[b]..offsets[b + 1]`,
/// the last of `num_bags` bags runs to the end of `indices` (observed in torch
/// 2.15 also with `include_last_offset=True`, whose final offset is ignored).
fn offset_to_bag(op: &str, offsets: &[i64], num_bags: usize, numel: usize) -> Result<Vec<usize>> {
    if offsets.first().is_some_and(|&o| o != 0) {
        return Err(RuntimeError::shape(
            op,
            format!(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start \
                 from position 0. However, got {}",
                offsets[0]
            ),
        ));
    }
    let mut bags = vec![0usize; numel];
    for b in 0..num_bags {
        let start = offsets.get(b).copied().unwrap_or(0).max(0) as usize;
        let end = if b + 1 < num_bags {
            offsets.get(b + 1).copied().unwrap_or(0).max(0) as usize
        } else {
            numel
        };
        if start > end || end > numel {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "offsets to embedding_bag out of range: bag {b} spans {start}..{end} of {numel} indices"
                ),
            ));
        }
        for slot in &mut bags[start..end] {
            *slot = b;
        }
    }
    Ok(bags)
}

/// How PyTorch's CPU kernel adds up a `sum` / `mean` bag (torch 2.15,
/// `index_select_add` / `index_select_scale_add` in EmbeddingBag.cpp):
///
/// * float32, float16 and bfloat16 weights accumulate in float32, one row
///   after another in index order; float64 weights in float64;
/// * on the fast path (a reduced-precision or float32 weight with unit column
///   stride and no `padding_idx`) fbgemm scales with a fused multiply-add
///   and stores bfloat16 by rounding float32 half away from zero (it adds
///   half a bfloat16 ulp to the bit pattern and truncates) — the slow path
///   multiplies, adds, and rounds to nearest even;
/// * `mean` divides the stored sum by the bag's row count in the weight's
///   dtype (`output /= bag_size`).
#[derive(Clone, Copy)]
struct BagSum {
    dtype: DType,
    in_f32: bool,
    fast: bool,
    /// Fault: the fast path rounds bfloat16 to nearest even.
    rne_bf16: bool,
}

impl BagSum {
    fn of(weight: &Tensor, padding_idx: i64, rne_bf16: bool) -> Self {
        let dtype = weight.dtype();
        let in_f32 = matches!(dtype, DType::Float32 | DType::Float16 | DType::BFloat16);
        let unit_column = weight.stride().get(1).is_none_or(|&s| s == 1);
        Self {
            dtype,
            in_f32,
            fast: in_f32 && unit_column && padding_idx < 0,
            rne_bf16,
        }
    }

    /// `acc + row` (times `scale` when per-sample weights are given).
    fn add(self, acc: f64, row: f64, scale: Option<f64>) -> f64 {
        if !self.in_f32 {
            return acc + row * scale.unwrap_or(1.0);
        }
        let (acc, row) = (acc as f32, row as f32);
        let next = match scale {
            None => acc + row,
            Some(s) if self.fast => row.mul_add(s as f32, acc),
            Some(s) => acc + row * s as f32,
        };
        f64::from(next)
    }

    /// The accumulated value stored in the weight's dtype.
    fn store(self, acc: f64) -> f64 {
        if self.fast && self.dtype == DType::BFloat16 && !self.rne_bf16 {
            bf16_half_away(acc as f32)
        } else {
            round_to(self.dtype, acc)
        }
    }

    /// A stored bag sum divided by its row count, rounded in the dtype.
    fn divide(self, stored: f64, count: i64) -> f64 {
        if self.in_f32 {
            round_to(self.dtype, f64::from(stored as f32 / count as f32))
        } else {
            stored / count as f64
        }
    }
}

/// float32 `v` as bfloat16, rounded half away from zero (fbgemm's
/// conversion: add `0x8000` to the bit pattern, keep the top half). NaN
/// stays NaN.
fn bf16_half_away(v: f32) -> f64 {
    if v.is_nan() {
        return f64::NAN;
    }
    let bits = v.to_bits().wrapping_add(0x8000) & 0xffff_0000;
    f64::from(f32::from_bits(bits))
}

/// `_embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode,
/// sparse, per_sample_weights, include_last_offset, padding_idx)` (and
/// `_embedding_bag_forward_only`): per bag, the sum / mean / column-wise max
/// of the weight rows its indices pick (`padding_idx` rows left out, each row
/// scaled by its per-sample weight in `sum` mode), and the bookkeeping PyTorch's
/// CPU kernel returns for the backward, as torch 2.15 fills it:
///
/// * `offset2bag` (`[numel]`, each index's bag) — empty in `sum` mode on the
///   fast path (a float32/float16/bfloat16 weight and no `padding_idx`);
/// * `bag_size` — the rows counted per bag in `mean` / `max` mode, zeros in
///   `sum` mode;
/// * `max_indices` — `[bags, dim]` arg-max rows in `max` mode (0 for an empty
///   bag), a copy of `bag_size` in `mean` mode, zeros in `sum` mode.
///
/// The bookkeeping tensors have the indices' dtype, promoted with the
/// offsets' (int32 indices with int64 offsets give int64, as PyTorch
/// promotes both before the kernel runs).
pub(crate) fn embedding_bag(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (weight, indices, offsets) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(weight, "weight")?;
    check_indices(ctx, indices, "embedding_bag")?;
    check_indices(ctx, offsets, "embedding_bag")?;
    let mode = BagMode::of(ctx.op, a.int(4)?)?;
    let per_sample = match a.values.get(6) {
        None | Some(IValue::None) => None,
        Some(_) => Some(a.tensor(6)?),
    };
    let include_last = a.bool(7)?;
    let padding_idx = a.int(8)?;
    if weight.dim() != 2 || indices.dim() != 1 || offsets.dim() != 1 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "expected a 2-D weight and 1-D indices and offsets, got {:?}, {:?}, {:?}",
                weight.shape(),
                indices.shape(),
                offsets.shape()
            ),
        ));
    }
    if per_sample.is_some() && mode != BagMode::Sum {
        return Err(RuntimeError::shape(
            ctx.op,
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported \
             for mode='sum' (got mode='mean' or 'max'). Please open a feature request on GitHub.",
        ));
    }
    let (rows, width) = (weight.shape()[0], weight.shape()[1].max(0) as usize);
    let num_bags = (offsets.shape()[0] - i64::from(include_last)).max(0) as usize;
    let numel = indices.numel();
    let book = crate::tensor::promote::promote_types(indices.dtype(), offsets.dtype());
    let fast_sum = mode == BagMode::Sum
        && padding_idx < 0
        && matches!(
            weight.dtype(),
            DType::Float32 | DType::Float16 | DType::BFloat16
        );
    let offset2bag_len = if fast_sum { 0 } else { numel as i64 };
    // `_embedding_bag_forward_only` in `sum` mode sizes its (zero)
    // `bag_size` and `max_indices` by the offsets, the final offset of
    // `include_last_offset=True` included (observed in torch 2.15).
    let sum_book = if mode == BagMode::Sum && ctx.op == "aten._embedding_bag_forward_only.default" {
        offsets.shape()[0].max(0) as usize
    } else {
        num_bags
    };
    let bags_shape = [sum_book as i64];
    let max_shape = if mode == BagMode::Max {
        vec![num_bags as i64, width as i64]
    } else {
        bags_shape.to_vec()
    };

    // Everything is computed once, on a backend with data.
    let computed = if ctx.has_data() {
        let idx = indices.read_i64(ctx.op)?;
        let offs = offsets.read_i64(ctx.op)?;
        let bags = offset_to_bag(ctx.op, &offs, num_bags, numel)?;
        let w = match Elems::read(ctx.op, weight)? {
            Elems::F(v) | Elems::C(v) => v,
            Elems::I(v) => v.into_iter().map(|x| x as f64).collect(),
        };
        let psw = per_sample.map(|t| t.read_f64(ctx.op)).transpose()?;
        let sum = BagSum::of(weight, padding_idx, ctx.faults.embedding_bag_rne_bf16);
        let mut out = vec![0f64; num_bags * width];
        let mut counts = vec![0i64; num_bags];
        let mut arg = vec![-1i64; num_bags * width];
        for (i, (&row, &b)) in idx.iter().zip(&bags).enumerate() {
            let r = wrap_index(ctx.op, row, 0, rows)
                .map_err(|_| RuntimeError::index(ctx.op, "index out of range in self"))?;
            if row < 0 {
                return Err(RuntimeError::index(ctx.op, "index out of range in self"));
            }
            if row == padding_idx {
                continue;
            }
            counts[b] += 1;
            let scale = psw.as_ref().and_then(|p| p.get(i)).copied().unwrap_or(1.0);
            for k in 0..width {
                let v = w[r * width + k];
                let slot = b * width + k;
                if mode == BagMode::Max {
                    if arg[slot] < 0 || v > out[slot] {
                        out[slot] = v;
                        arg[slot] = row;
                    }
                } else {
                    out[slot] = sum.add(out[slot], v, psw.as_ref().map(|_| scale));
                }
            }
        }
        if mode != BagMode::Max {
            for (b, &c) in counts.iter().enumerate() {
                for v in &mut out[b * width..(b + 1) * width] {
                    *v = sum.store(*v);
                    if mode == BagMode::Mean && c > 0 {
                        *v = sum.divide(*v, c);
                    }
                }
            }
        }
        let offset2bag: Vec<i64> = if fast_sum {
            Vec::new()
        } else {
            bags.iter().map(|&b| b as i64).collect()
        };
        let bag_size = if mode == BagMode::Sum {
            vec![0; sum_book]
        } else {
            counts
        };
        let max_indices = match mode {
            BagMode::Sum => vec![0; sum_book],
            BagMode::Mean => bag_size.clone(),
            BagMode::Max => arg.into_iter().map(|r| r.max(0)).collect(),
        };
        Some((out, offset2bag, bag_size, max_indices))
    } else {
        None
    };
    let (out, offset2bag, bag_size, max_indices) = match computed {
        Some((o, b, s, m)) => (Some(o), Some(b), Some(s), Some(m)),
        None => (None, None, None, None),
    };
    let out_shape = [num_bags as i64, width as i64];
    let result = output(
        ctx,
        &out_shape,
        &contiguous_strides(&out_shape),
        weight.dtype(),
        || Ok(Elems::F(out.unwrap_or_default())),
    )?;
    let ints = |shape: &[i64], v: Option<Vec<i64>>| {
        output(ctx, shape, &contiguous_strides(shape), book, || {
            Ok(Elems::I(v.unwrap_or_default()))
        })
    };
    Ok(vec![
        result.into(),
        ints(&[offset2bag_len], offset2bag)?.into(),
        ints(&bags_shape, bag_size)?.into(),
        ints(&max_shape, max_indices)?.into(),
    ])
}

/// `_embedding_bag_backward(grad, indices, offsets, offset2bag, bag_size,
/// maximum_indices, num_weights, scale_grad_by_freq, mode, sparse,
/// per_sample_weights, padding_idx)`: the dense `[num_weights, dim]`
/// gradient of the weight. In `sum` / `mean` mode every non-padding index
/// adds its bag's gradient row (times its per-sample weight; divided by the
/// bag's `bag_size` in `mean` mode) to its row; in `max` mode each bag's
/// gradient goes to the arg-max rows. An empty `offset2bag` (the forward's
/// fast path) is rebuilt from `offsets`. `scale_grad_by_freq` divides each
/// row's gradient by the row's number of occurrences.
pub(crate) fn embedding_bag_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (grad, indices, offsets) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let (offset2bag, bag_size, max_indices) = (a.tensor(3)?, a.tensor(4)?, a.tensor(5)?);
    ctx.check(grad, "grad")?;
    check_indices(ctx, indices, "embedding_bag_backward")?;
    let num_weights = a.int(6)?;
    let scale = a.bool(7)?;
    let mode = BagMode::of(ctx.op, a.int(8)?)?;
    let per_sample = match a.values.get(10) {
        None | Some(IValue::None) => None,
        Some(_) => Some(a.tensor(10)?),
    };
    let padding_idx = a.int(11)?;
    if a.bool(9)? {
        let bag = SparseBag {
            grad,
            indices,
            offsets,
            offset2bag,
            bag_size,
            per_sample,
        };
        return Ok(vec![
            embedding_bag_sparse_backward(
                ctx.op,
                &bag,
                num_weights,
                scale,
                mode,
                padding_idx,
                ctx.faults.sparse_bag_unscaled_mean,
            )?
            .into(),
        ]);
    }
    if grad.dim() != 2 || num_weights < 0 {
        return Err(RuntimeError::shape(
            ctx.op,
            format!("expected a 2-D grad, got {:?}", grad.shape()),
        ));
    }
    let (num_bags, width) = (
        grad.shape()[0].max(0) as usize,
        grad.shape()[1].max(0) as usize,
    );
    let shape = vec![num_weights, width as i64];
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        grad.dtype(),
        || {
            let idx = indices.read_i64(ctx.op)?;
            let g = grad.read_f64(ctx.op)?;
            let rows = num_weights as usize;
            let mut values = vec![0f64; rows * width];
            let mut counts = vec![0usize; rows];
            for &i in &idx {
                counts[wrap_index(ctx.op, i, 0, num_weights)?] += 1;
            }
            let freq = |r: usize| {
                if scale {
                    1.0 / counts[r].max(1) as f64
                } else {
                    1.0
                }
            };
            if mode == BagMode::Max {
                let arg = max_indices.read_i64(ctx.op)?;
                let sizes = bag_size.read_i64(ctx.op)?;
                for b in 0..num_bags {
                    if sizes.get(b).copied().unwrap_or(0) == 0 {
                        continue;
                    }
                    for k in 0..width {
                        let Some(&row) = arg.get(b * width + k) else {
                            continue;
                        };
                        let r = wrap_index(ctx.op, row, 0, num_weights)?;
                        values[r * width + k] += g[b * width + k] * freq(r);
                    }
                }
                return Ok(Elems::F(values));
            }
            let bags: Vec<usize> = if offset2bag.numel() == 0 {
                let offs = offsets.read_i64(ctx.op)?;
                offset_to_bag(ctx.op, &offs, num_bags.min(offs.len()), idx.len())?
            } else {
                offset2bag
                    .read_i64(ctx.op)?
                    .into_iter()
                    .map(|b| b.max(0) as usize)
                    .collect()
            };
            let sizes = if mode == BagMode::Mean {
                bag_size.read_i64(ctx.op)?
            } else {
                Vec::new()
            };
            let psw = per_sample.map(|t| t.read_f64(ctx.op)).transpose()?;
            let dtype = grad.dtype();
            for (i, (&row, &b)) in idx.iter().zip(&bags).enumerate() {
                if row == padding_idx || b >= num_bags {
                    continue;
                }
                let r = wrap_index(ctx.op, row, 0, num_weights)?;
                // The factor is worked out in float64, then `axpy` runs in
                // the gradient's dtype with the factor cast to it.
                let mut factor = psw.as_ref().and_then(|p| p.get(i)).copied().unwrap_or(1.0);
                if scale {
                    factor /= counts[r].max(1) as f64;
                }
                if mode == BagMode::Mean {
                    let size = sizes.get(b).copied().unwrap_or(0);
                    if size != 0 {
                        factor /= size as f64;
                    }
                }
                let in_double = ctx.faults.embedding_bag_grad_in_double;
                let factor = if in_double {
                    factor
                } else {
                    round_to(dtype, factor)
                };
                for k in 0..width {
                    let slot = &mut values[r * width + k];
                    *slot = if in_double {
                        *slot + factor * g[b * width + k]
                    } else {
                        bag_axpy(dtype, factor, g[b * width + k], *slot)
                    };
                }
            }
            Ok(Elems::F(values))
        },
    )?;
    Ok(vec![out.into()])
}

/// One element of PyTorch's CPU `axpy` (`y += a * x`) as the dense
/// embedding-bag backward runs it: float32 fuses the multiply-add (MKL's
/// `saxpy`), float16 and bfloat16 compute the product and then the sum in
/// float32 and round each to the dtype (their scalar arithmetic), float64
/// multiplies then adds.
fn bag_axpy(dtype: DType, a: f64, x: f64, y: f64) -> f64 {
    match dtype {
        DType::Float32 => f64::from((a as f32).mul_add(x as f32, y as f32)),
        DType::Float16 | DType::BFloat16 => {
            let product = round_to(dtype, f64::from(a as f32 * x as f32));
            round_to(dtype, f64::from(y as f32 + product as f32))
        }
        _ => y + a * x,
    }
}

/// The tensors `_embedding_bag_sparse_backward` reads.
struct SparseBag<'a> {
    grad: &'a Tensor,
    indices: &'a Tensor,
    offsets: &'a Tensor,
    offset2bag: &'a Tensor,
    bag_size: &'a Tensor,
    per_sample: Option<&'a Tensor>,
}

/// PyTorch's `_embedding_bag_sparse_backward` (`sparse=True`): each index
/// gets its bag's gradient row (`grad.index_select(0, offset2bag)`, an
/// empty `offset2bag` rebuilt from `offsets`), times `1 / bag_size` (the
/// reciprocal rounded in the gradient's dtype) in `mean` mode, times its
/// per-sample weight in `sum` mode; then `embedding_sparse_backward`:
/// indices equal to `padding_idx` dropped, and a sparse
/// `[num_weights, dim]` tensor whose indices are the (int64) indices as
/// one row (a view of them without a padding_idx) and whose values are
/// those rows, uncoalesced, one entry per index in order.
/// `scale_grad_by_freq` is refused with PyTorch's message; `max` mode
/// cannot have sparse gradients (PyTorch refuses it in the forward).
fn embedding_bag_sparse_backward(
    op: &str,
    bag: &SparseBag<'_>,
    num_weights: i64,
    scale: bool,
    mode: BagMode,
    padding_idx: i64,
    unscaled_mean: bool,
) -> Result<Tensor> {
    if mode == BagMode::Max {
        return Err(RuntimeError::shape(
            op,
            "max mode does not support sparse weights",
        ));
    }
    if scale {
        return Err(RuntimeError::shape(
            op,
            "embedding_backward: scale_grad_by_freq not supported with sparse gradients",
        ));
    }
    let grad = bag.grad;
    if grad.dim() != 2 || num_weights < 0 {
        return Err(RuntimeError::shape(
            op,
            format!("expected a 2-D grad, got {:?}", grad.shape()),
        ));
    }
    let dtype = grad.dtype();
    let round = |x: f64| match dtype {
        DType::Float32 => f64::from(x as f32),
        _ => x,
    };
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return Err(RuntimeError::unsupported(
            op,
            format!("sparse gradients of dtype {}", dtype.name()),
        ));
    }
    let (num_bags, width) = (
        grad.shape()[0].max(0) as usize,
        grad.shape()[1].max(0) as usize,
    );
    let idx = bag.indices.read_i64(op)?;
    let bags: Vec<usize> = if bag.offset2bag.numel() == 0 {
        let offs = bag.offsets.read_i64(op)?;
        offset_to_bag(op, &offs, num_bags.min(offs.len()), idx.len())?
    } else {
        bag.offset2bag
            .read_i64(op)?
            .into_iter()
            .map(|b| b.max(0) as usize)
            .collect()
    };
    let sizes = if mode == BagMode::Mean {
        bag.bag_size.read_i64(op)?
    } else {
        Vec::new()
    };
    let psw = bag.per_sample.map(|t| t.read_f64(op)).transpose()?;
    let g = grad.read_f64(op)?;
    let mut kept = Vec::with_capacity(idx.len());
    let mut values = Vec::with_capacity(idx.len() * width);
    for (i, (&row, &b)) in idx.iter().zip(&bags).enumerate() {
        if b >= num_bags {
            return Err(RuntimeError::index(
                op,
                format!("index {b} is out of bounds for dimension 0 with size {num_bags}"),
            ));
        }
        if padding_idx != -1 && row == padding_idx {
            continue;
        }
        kept.push(row);
        let inv = (mode == BagMode::Mean && !unscaled_mean)
            .then(|| round(1.0 / sizes.get(b).copied().unwrap_or(0) as f64));
        let w = psw.as_ref().and_then(|p| p.get(i)).copied();
        for k in 0..width {
            let mut v = g[b * width + k];
            if let Some(inv) = inv {
                v = round(v * inv);
            }
            if let Some(w) = w {
                v = round(v * w);
            }
            values.push(v);
        }
    }
    let nnz = kept.len() as i64;
    let index_shape = [1, nnz];
    // With a padding_idx the indices are always gathered anew
    // (`indices.index(indices != padding_idx)`).
    let index = if padding_idx == -1
        && bag.indices.dtype() == DType::Int64
        && bag.indices.is_contiguous()
    {
        bag.indices.alias_with(
            index_shape.to_vec(),
            vec![nnz, 1],
            bag.indices.storage_offset(),
        )
    } else {
        Tensor::from_i64(
            op,
            &index_shape,
            &contiguous_strides(&index_shape),
            DType::Int64,
            &kept,
        )?
    };
    let value_shape = [nnz, width as i64];
    let values = Tensor::from_f64(
        op,
        &value_shape,
        &contiguous_strides(&value_shape),
        dtype,
        &values,
    )?;
    Tensor::sparse_coo(op, &[num_weights, width as i64], 1, index, values, nnz < 2)
}

/// `_embedding_bag_per_sample_weights_backward(grad, weight, indices,
/// offsets, offset2bag, mode, padding_idx)`: the gradient of `sum` mode's
/// per-sample weights, `grad[bag(i)] · weight[indices[i]]` for every index
/// (0 for `padding_idx`); an empty `offset2bag` (the forward's fast path) is
/// rebuilt from `offsets`.
pub(crate) fn embedding_bag_per_sample_weights_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (grad, weight, indices) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let (offsets, offset2bag) = (a.tensor(3)?, a.tensor(4)?);
    ctx.check(grad, "grad")?;
    check_indices(ctx, indices, "embedding_bag_per_sample_weights_backward")?;
    if BagMode::of(ctx.op, a.int(5)?)? != BagMode::Sum {
        return Err(RuntimeError::shape(
            ctx.op,
            "embedding_bag_backward: per_sample_weights only supported for mode='sum'",
        ));
    }
    let padding_idx = a.int(6)?;
    if grad.dim() != 2 || weight.dim() != 2 || grad.shape()[1] != weight.shape()[1] {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "expected 2-D grad and weight of one width, got {:?} and {:?}",
                grad.shape(),
                weight.shape()
            ),
        ));
    }
    let (num_bags, width) = (
        grad.shape()[0].max(0) as usize,
        grad.shape()[1].max(0) as usize,
    );
    let rows = weight.shape()[0];
    let shape = [indices.numel() as i64];
    let out = output(
        ctx,
        &shape,
        &contiguous_strides(&shape),
        grad.dtype(),
        || {
            let idx = indices.read_i64(ctx.op)?;
            let g = grad.read_f64(ctx.op)?;
            let w = weight.read_f64(ctx.op)?;
            let bags: Vec<usize> = if offset2bag.numel() == 0 {
                let offs = offsets.read_i64(ctx.op)?;
                offset_to_bag(ctx.op, &offs, num_bags.min(offs.len()), idx.len())?
            } else {
                offset2bag
                    .read_i64(ctx.op)?
                    .into_iter()
                    .map(|b| b.max(0) as usize)
                    .collect()
            };
            let mut values = vec![0f64; idx.len()];
            for (i, (&row, &b)) in idx.iter().zip(&bags).enumerate() {
                if row == padding_idx || b >= num_bags {
                    continue;
                }
                let r = wrap_index(ctx.op, row, 0, rows)?;
                values[i] = (0..width)
                    .map(|k| g[b * width + k] * w[r * width + k])
                    .sum();
            }
            Ok(Elems::F(values))
        },
    )?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn bf16(shape: &[i64], values: &[f64]) -> Tensor {
        Tensor::from_f64(
            "t",
            shape,
            &contiguous_strides(shape),
            DType::BFloat16,
            values,
        )
        .expect("tensor")
    }

    fn ints(values: &[i64]) -> Tensor {
        let shape = [values.len() as i64];
        Tensor::from_i64(
            "t",
            &shape,
            &contiguous_strides(&shape),
            DType::Int64,
            values,
        )
        .expect("tensor")
    }

    fn call(op: &str, args: Vec<IValue>) -> Vec<Tensor> {
        Runtime::new()
            .call(op, args)
            .expect(op)
            .iter()
            .map(|v| v.as_tensor().expect("tensor").clone())
            .collect()
    }

    fn bag(
        weight: &Tensor,
        idx: &Tensor,
        offsets: &Tensor,
        mode: i64,
        padding_idx: i64,
    ) -> Vec<f64> {
        let out = call(
            "aten._embedding_bag.default",
            vec![
                weight.into(),
                idx.into(),
                offsets.into(),
                IValue::Bool(false),
                IValue::Int(mode),
                IValue::Bool(false),
                IValue::None,
                IValue::Bool(false),
                IValue::Int(padding_idx),
            ],
        );
        out[0].read_f64("t").expect("out")
    }

    #[test]
    fn bfloat16_bag_sums_round_ties_away_on_the_fast_path_only() {
        // 1 + 0.73828125 = 1.73828125 lies halfway between the bfloat16
        // values 1.734375 and 1.7421875 (torch 2.15 measured):
        // fast path (no padding_idx) sum -> ±1.7421875, mean -> ±0.87109375;
        // slow path (padding_idx=3) rounds to even -> 1.734375, and bag
        // [-1.0] keeps -1.0.
        let w = bf16(&[4, 1], &[1.0, 0.73828125, -1.0, -0.73828125]);
        let (idx, offsets) = (ints(&[0, 1, 2, 3]), ints(&[0, 2]));
        assert_eq!(bag(&w, &idx, &offsets, 0, -1), vec![1.7421875, -1.7421875]);
        assert_eq!(
            bag(&w, &idx, &offsets, 1, -1),
            vec![0.87109375, -0.87109375]
        );
        assert_eq!(bag(&w, &idx, &offsets, 0, 3), vec![1.734375, -1.0]);
    }

    #[test]
    fn bfloat16_mean_gradient_adds_each_occurrence_in_bfloat16() {
        // bags [0, 1, 0] and [1, 1], grad rows bf16(0.3) and bf16(0.7).
        // Row 0 gets bf16(1/3) * 0.30078125 twice, each product and sum
        // rounded to bfloat16: 0.201171875 (exactly, 2 * 0.30078125 / 3
        // would round to 0.2001953125); row 1: 0.796875 (torch 2.15).
        let grad = bf16(&[2, 1], &[0.3, 0.7]);
        let idx = ints(&[0, 1, 0, 1, 1]);
        let offsets = ints(&[0, 3]);
        let out = call(
            "aten._embedding_bag_backward.default",
            vec![
                (&grad).into(),
                (&idx).into(),
                (&offsets).into(),
                (&ints(&[0, 0, 0, 1, 1])).into(),
                (&ints(&[3, 2])).into(),
                (&ints(&[3, 2])).into(),
                IValue::Int(4),
                IValue::Bool(false),
                IValue::Int(1),
                IValue::Bool(false),
                IValue::None,
                IValue::Int(-1),
            ],
        );
        assert_eq!(
            out[0].read_f64("t").expect("grad"),
            vec![0.201171875, 0.796875, 0.0, 0.0]
        );
    }
}
