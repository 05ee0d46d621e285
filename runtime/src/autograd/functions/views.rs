//! In-place operators on views of tensors that require grad: CopySlices and
//! the view's regenerated AsStridedBackward0 (PyTorch's `rebase_history` of a
//! view, observed in torch 2.15).
//!
//! An in-place op on a view (`x[:, 0].mul_(2)`, `x.narrow(0, 1, 2).add_(b)`,
//! `x.view(12).relu_()`, `x[1] = 0.5`) records its own node (MulBackward0,
//! ...) as usual, but attaches it to no tensor: the base gets a CopySlices
//! node that wraps it, and the view a fresh AsStridedBackward0 whose edge is
//! the base's CopySlices. The op's node takes its sequence number first, then
//! CopySlices, then AsStridedBackward0.
//!
//! CopySlices' backward, with `g` the base's gradient:
//! `result = g.new_empty_strided(base sizes, base strides)`,
//! `result.copy_(g)`, `slice = result.as_strided(view sizes, view strides,
//! view offset − base offset)`, `res = fn(slice.clone(contiguous))`,
//! `slice.copy_(res[0])`; it returns `result` for the base and `res[i]` for
//! the op's other inputs. In a restricted backward (`torch.autograd.grad`)
//! whose exec info wants the base's gradient, the node the op's first edge
//! leads to (the view's former node, which no path from the root reaches)
//! is marked needed before `fn` runs, so `fn` computes its `self` gradient.
//!
//! AsStridedBackward0's (`as_strided_backward` for a base that does not
//! overlap itself): `storage = g.new_zeros([extent])`, then
//! `storage.as_strided(view geometry).copy_(g)`, or, when the view overlaps
//! itself (`torch.stft`'s frames), `storage.index_add_` of the gradient at
//! the view's storage indices (`arange(extent).as_strided(view)`); the
//! gradient is `storage.as_strided(base geometry)`, offsets taken relative
//! to the smaller of the two.

use std::sync::Arc;

use super::single;
use crate::autograd::node::Node;
use crate::autograd::{BackwardCtx, BackwardFn};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::options::MemoryFormat;

/// Sizes, strides and storage offset of a tensor (PyTorch's `TensorGeometry`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Geometry {
    pub(crate) sizes: Vec<i64>,
    pub(crate) strides: Vec<i64>,
    pub(crate) offset: i64,
}

impl Geometry {
    pub(crate) fn of(t: &Tensor) -> Geometry {
        Geometry {
            sizes: t.shape().to_vec(),
            strides: t.stride().to_vec(),
            offset: t.storage_offset(),
        }
    }
}

/// Dispatches `op` and returns its single tensor result.
fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    ctx.rt
        .dispatch(op, args)?
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
}

fn as_strided(ctx: &mut BackwardCtx<'_>, t: &Tensor, g: &Geometry, offset: i64) -> Result<Tensor> {
    call(
        ctx,
        "aten.as_strided.default",
        vec![
            t.into(),
            IValue::IntList(g.sizes.clone()),
            IValue::IntList(g.strides.clone()),
            IValue::Int(offset),
        ],
    )
}

fn copy_(ctx: &mut BackwardCtx<'_>, dst: &Tensor, src: &Tensor) -> Result<()> {
    ctx.rt.dispatch(
        "aten.copy_.default",
        vec![dst.into(), src.into(), IValue::Bool(false)],
    )?;
    Ok(())
}

/// The base's node after an in-place op on one of its views: runs the op's
/// node `fn_` on the view's slice of the base's gradient.
pub(crate) struct CopySlices {
    pub(crate) base: Geometry,
    pub(crate) view: Geometry,
    pub(crate) fn_: Arc<Node>,
}

impl BackwardFn for CopySlices {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let outputs = ctx.node.next_edges.len();
        let Some(g) = single(grads) else {
            return Ok(vec![None; outputs]);
        };
        let result = call(
            ctx,
            "aten.new_empty_strided.default",
            vec![
                (&g).into(),
                IValue::IntList(self.base.sizes.clone()),
                IValue::IntList(self.base.strides.clone()),
                IValue::None,
                IValue::None,
                IValue::None,
                IValue::None,
            ],
        )?;
        copy_(ctx, &result, &g)?;
        let slice = as_strided(
            ctx,
            &result,
            &self.view,
            self.view.offset - self.base.offset,
        )?;
        let clone = call(
            ctx,
            "aten.clone.default",
            vec![
                (&slice).into(),
                IValue::MemoryFormat(MemoryFormat::Contiguous),
            ],
        )?;
        if ctx.needs(0)
            && !ctx.rt.faults().copy_slices_unmarked_view_edge
            && let Some(Some(view_node)) = self.fn_.next_edges.first().map(|e| e.function.as_ref())
        {
            crate::autograd::exec_info::add_to_current(view_node);
        }
        let res = {
            let mut function = self.fn_.function.lock();
            let mut inner = BackwardCtx {
                rt: &mut *ctx.rt,
                node: &self.fn_,
            };
            function.apply(&mut inner, vec![Some(clone)])?
        };
        let mut out = Vec::with_capacity(outputs);
        for (i, r) in res.into_iter().enumerate().take(outputs) {
            if i == 0 {
                if let Some(r) = &r {
                    copy_(ctx, &slice, r)?;
                }
                out.push(ctx.needs(0).then(|| result.clone()));
            } else {
                out.push(r);
            }
        }
        out.resize(outputs, None);
        Ok(out)
    }

    fn release_variables(&mut self) {
        self.fn_.function.lock().release_variables();
    }
}

/// The view's node after an in-place op on it: `as_strided_backward` from
/// the view's geometry back to its base's.
pub(crate) struct AsStridedBackward0 {
    /// The base's geometry (`self` of the regenerated `as_strided`).
    pub(crate) input: Geometry,
    /// The view's geometry.
    pub(crate) output: Geometry,
}

impl BackwardFn for AsStridedBackward0 {
    fn apply(
        &mut self,
        ctx: &mut BackwardCtx<'_>,
        grads: Vec<Option<Tensor>>,
    ) -> Result<Vec<Option<Tensor>>> {
        let Some(g) = single(grads) else {
            return Ok(vec![None]);
        };
        if !ctx.needs(0) {
            return Ok(vec![None]);
        }
        Ok(vec![Some(as_strided_backward(
            ctx,
            g,
            &self.input,
            &self.output,
        )?)])
    }
}

/// The kept dimensions of a geometry, sizes and strides, outermost first.
type Kept = (Vec<i64>, Vec<i64>);

/// PyTorch's `as_strided_backward(grad, input geometry, sizes, strides,
/// storage_offset)`, the formula of AsStridedBackward0 and (for
/// `as_strided_`) AsStridedBackward1.
///
/// Walking the output's dimensions from the last: one of size 0 makes the
/// gradient `zeros(input sizes)`, one of size 1 is squeezed away
/// (`squeeze.dim`), an expanded one (stride 0) summed away
/// (`sum.dim_IntList`, keepdim false); the input's size-1 dimensions are
/// dropped alike. `storage = grad.new_zeros([extent])`, the extent the
/// larger of the two kept geometries' from their shared offset; with
/// either maybe overlapping itself, `arange(extent)` for the indices. The
/// gradient is copied into `storage.as_strided(kept output)`, or
/// `index_add_`ed at the output's storage indices when the output overlaps
/// itself. The result is `storage.as_strided(input sizes, strides)` with
/// the input's full geometry. An input that overlaps itself (PyTorch's
/// `storage.div_(count)`) is refused.
pub(crate) fn as_strided_backward(
    ctx: &mut BackwardCtx<'_>,
    mut g: Tensor,
    input: &Geometry,
    output: &Geometry,
) -> Result<Tensor> {
    let zeros = |ctx: &mut BackwardCtx<'_>, g: &Tensor| {
        call(
            ctx,
            "aten.zeros.default",
            vec![
                IValue::IntList(input.sizes.clone()),
                IValue::Dtype(g.dtype()),
                IValue::Layout(crate::tensor::options::Layout::Strided),
                IValue::Device(g.device()),
            ],
        )
    };
    if output.sizes.len() != g.dim() || output.strides.len() != output.sizes.len() {
        return Err(RuntimeError::autograd(format!(
            "as_strided_backward: a gradient of {} dimensions for an output geometry of {}",
            g.dim(),
            output.sizes.len()
        )));
    }
    let squeeze_units = !ctx.rt.faults().as_strided_backward_keeps_unit_dims;
    let mut out: Kept = (Vec::new(), Vec::new());
    for i in (0..output.sizes.len()).rev() {
        let (size, stride) = (output.sizes[i], output.strides[i]);
        if size == 0 {
            return zeros(ctx, &g);
        } else if size == 1 && squeeze_units {
            g = call(
                ctx,
                "aten.squeeze.dim",
                vec![(&g).into(), IValue::Int(i as i64)],
            )?;
        } else if stride == 0 {
            g = call(
                ctx,
                "aten.sum.dim_IntList",
                vec![
                    (&g).into(),
                    IValue::IntList(vec![i as i64]),
                    IValue::Bool(false),
                ],
            )?;
        } else {
            out.0.insert(0, size);
            out.1.insert(0, stride);
        }
    }
    let out_overlap = maybe_overlapping(&out.0, &out.1);
    let mut inp: Kept = (Vec::new(), Vec::new());
    for (&size, &stride) in input.sizes.iter().zip(&input.strides).rev() {
        if size == 0 {
            return zeros(ctx, &g);
        } else if size != 1 {
            inp.0.insert(0, size);
            inp.1.insert(0, stride);
        }
    }
    if maybe_overlapping(&inp.0, &inp.1) {
        return Err(RuntimeError::unsupported(
            "as_strided_backward",
            "an input geometry that overlaps itself (the gradient divided by each storage \
             element's multiplicity)",
        ));
    }
    let shared = input.offset.min(output.offset);
    let input_offset = input.offset - shared;
    let output_offset = output.offset - shared;
    let extent = min_storage_size(&inp, input_offset).max(min_storage_size(&out, output_offset));
    let storage = call(
        ctx,
        "aten.new_zeros.default",
        vec![
            (&g).into(),
            IValue::IntList(vec![extent]),
            IValue::None,
            IValue::None,
            IValue::None,
            IValue::None,
        ],
    )?;
    let kept_output = Geometry {
        sizes: out.0,
        strides: out.1,
        offset: output_offset,
    };
    if out_overlap {
        // Overlapping windows (`torch.stft`'s frames, `unfold`-style
        // views): every storage element sums the gradients of all the
        // view elements that show it, `storage.index_add_(0,
        // arange(extent).as_strided(view).reshape(-1), grad.reshape(-1))`.
        let indices = call(
            ctx,
            "aten.arange.start",
            vec![
                IValue::Int(0),
                IValue::Int(extent),
                IValue::Dtype(crate::tensor::dtype::DType::Int64),
                IValue::Layout(crate::tensor::options::Layout::Strided),
                IValue::Device(g.device()),
                IValue::None,
            ],
        )?;
        let out_indices = as_strided(ctx, &indices, &kept_output, output_offset)?;
        // C++ evaluates the arguments right to left: the gradient's
        // reshape first.
        let flat_grad = flatten(ctx, &g)?;
        let flat_indices = flatten(ctx, &out_indices)?;
        call(
            ctx,
            "aten.index_add_.default",
            vec![
                (&storage).into(),
                IValue::Int(0),
                flat_indices.into(),
                flat_grad.into(),
            ],
        )?;
    } else {
        let target = as_strided(ctx, &storage, &kept_output, output_offset)?;
        copy_(ctx, &target, &g)?;
    }
    as_strided(ctx, &storage, input, input_offset)
}

/// PyTorch's `_min_storage_size`: the elements of storage a geometry needs
/// from offset 0 (its offset when some size is 0).
fn min_storage_size((sizes, strides): &Kept, offset: i64) -> i64 {
    if sizes.contains(&0) {
        return offset;
    }
    offset
        + 1
        + sizes
            .iter()
            .zip(strides)
            .map(|(&n, &s)| (n - 1) * s)
            .sum::<i64>()
}

/// `t.reshape(-1)`: a `view` when the strides allow it, else a contiguous
/// `clone` and `_unsafe_view`.
fn flatten(ctx: &mut BackwardCtx<'_>, t: &Tensor) -> Result<Tensor> {
    let flat = crate::tensor::strides::view_strides(t.shape(), t.stride(), &[t.numel() as i64]);
    let source = if flat.is_some() {
        t.clone()
    } else {
        ctx.rt.clone_tensor(t, MemoryFormat::Contiguous)?
    };
    // `view` records the size as given, `_unsafe_view` resolved.
    let (op, size) = if flat.is_some() {
        ("aten.view.default", -1)
    } else {
        ("aten._unsafe_view.default", t.numel() as i64)
    };
    call(ctx, op, vec![source.into(), IValue::IntList(vec![size])])
}

/// PyTorch's `_maybe_overlapping_memory` on kept (size-1-free)
/// dimensions: with the dimensions sorted by stride, some stride does not
/// exceed the span of the smaller ones.
fn maybe_overlapping(sizes: &[i64], strides: &[i64]) -> bool {
    let mut dims: Vec<(i64, i64)> = strides.iter().copied().zip(sizes.iter().copied()).collect();
    dims.sort_by_key(|&(s, _)| s);
    let mut max_index = 0i64;
    for (stride, size) in dims {
        if stride <= max_index {
            return true;
        }
        max_index = max_index.saturating_add(stride.saturating_mul(size - 1));
    }
    false
}
