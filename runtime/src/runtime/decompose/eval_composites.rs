//! The everyday composites an evaluation or report script meets inside
//! `torch.inference_mode()`, where a dispatch mode sees them whole:
//! products (`kron`, `outer`/`ger`, `inner`, `bilinear`), gathering
//! (`take_along_dim`), activations (`relu6`, `selu`, `log_sigmoid`), the
//! dropout family in evaluation, grids and splits (`meshgrid`,
//! `tensor_split`, `hsplit`/`vsplit`/`dsplit`), dimension moves
//! (`movedim`/`moveaxis`, `swapaxes`/`swapdims`, `ravel`), repetition
//! (`tile`, `repeat_interleave`), `msort`, `instance_norm`, the
//! `special_*` aliases, `det`/`inv`/`solve`, and `rfft`/`fftshift`. Each
//! runs the operators ATen's CompositeImplicitAutograd kernel runs (torch
//! 2.15, the order observed by recording the parts under `no_grad`), so
//! that values, strides and aliasing are PyTorch's, and refuses bad input
//! with PyTorch's message.

use super::{Bound, broadcast_shapes, fail, first, one, reshape_one, wrap};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::MemoryFormat;

/// SELU's `alpha` and `scale` as ATen writes them.
const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
const SELU_SCALE: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    let out = match a.op {
        "aten.kron.default" => kron(rt, a),
        "aten.outer.default" | "aten.ger.default" => outer(rt, a),
        "aten.inner.default" => inner(rt, a),
        "aten.take_along_dim.default" => take_along_dim(rt, a),
        "aten.relu6.default" => a.tensor(0).and_then(|x| {
            rt.dispatch(
                "aten.hardtanh.default",
                vec![x.into(), IValue::Int(0), IValue::Int(6)],
            )
        }),
        "aten.relu6_.default" => a.tensor(0).and_then(|x| {
            rt.dispatch(
                "aten.hardtanh_.default",
                vec![x.into(), IValue::Int(0), IValue::Int(6)],
            )
        }),
        "aten.selu.default" => selu(rt, a, "aten.elu.default"),
        "aten.selu_.default" => selu(rt, a, "aten.elu_.default"),
        "aten.log_sigmoid.default" => a
            .tensor(0)
            .and_then(|x| first(rt.dispatch("aten.log_sigmoid_forward.default", vec![x.into()])?)),
        "aten.dropout.default"
        | "aten.dropout_.default"
        | "aten.alpha_dropout.default"
        | "aten.alpha_dropout_.default"
        | "aten.feature_dropout.default"
        | "aten.feature_dropout_.default"
        | "aten.feature_alpha_dropout.default"
        | "aten.feature_alpha_dropout_.default" => super::eval_dropout::dropout(rt, a),
        "aten.meshgrid.default" => meshgrid(rt, a, "ij"),
        "aten.meshgrid.indexing" => match a.value(1) {
            Ok(IValue::Str(indexing)) => meshgrid(rt, a, &indexing.clone()),
            Ok(_) => Err(a.refuse("an indexing that is not a string")),
            Err(e) => Err(e),
        },
        "aten.tensor_split.sections" => a
            .tensor(0)
            .and_then(|x| split_sections(rt, a, x, a.int(1)?, a.int(2)?)),
        "aten.tensor_split.indices" => a
            .tensor(0)
            .and_then(|x| split_indices(rt, a, x, &a.ints(1)?, a.int(2)?)),
        "aten.tensor_split.tensor_indices_or_sections" => tensor_split_tensor(rt, a),
        "aten.hsplit.int" | "aten.hsplit.array" => directional_split(rt, a, "hsplit", 1),
        "aten.vsplit.int" | "aten.vsplit.array" => directional_split(rt, a, "vsplit", 2),
        "aten.dsplit.int" | "aten.dsplit.array" => directional_split(rt, a, "dsplit", 3),
        "aten.movedim.int" | "aten.moveaxis.int" => a
            .tensor(0)
            .and_then(|x| movedim(rt, a, x, &[a.int(1)?], &[a.int(2)?])),
        "aten.movedim.intlist" | "aten.moveaxis.intlist" => a
            .tensor(0)
            .and_then(|x| movedim(rt, a, x, &a.ints(1)?, &a.ints(2)?)),
        "aten.swapaxes.default" | "aten.swapdims.default" => a.tensor(0).and_then(|x| {
            rt.dispatch(
                "aten.transpose.int",
                vec![x.into(), a.int(1)?.into(), a.int(2)?.into()],
            )
        }),
        "aten.ravel.default" => a.tensor(0).and_then(|x| {
            let x = contiguous(rt, x)?;
            Ok(vec![view(rt, &x, &[-1])?.into()])
        }),
        "aten.tile.default" => tile(rt, a),
        "aten.repeat_interleave.self_int" => repeat_interleave_int(rt, a),
        "aten.repeat_interleave.self_Tensor" => repeat_interleave_tensor(rt, a),
        "aten.msort.default" => a.tensor(0).and_then(|x| {
            first(rt.dispatch(
                "aten.sort.default",
                vec![x.into(), IValue::Int(0), IValue::Bool(false)],
            )?)
        }),
        "aten.instance_norm.default" => instance_norm(rt, a),
        "aten.special_xlogy.default" => forward(rt, a, "aten.xlogy.Tensor", 2),
        "aten.special_xlogy.self_scalar" => forward(rt, a, "aten.xlogy.Scalar_Self", 2),
        "aten.special_xlogy.other_scalar" => forward(rt, a, "aten.xlogy.Scalar_Other", 2),
        "aten.special_logit.default" => forward(rt, a, "aten.logit.default", 2),
        "aten.special_ndtr.default" => ndtr(rt, a),
        "aten.special_sinc.default" => forward(rt, a, "aten.sinc.default", 1),
        "aten.det.default" | "aten.linalg_det.default" => a
            .tensor(0)
            .and_then(|x| first(rt.dispatch("aten._linalg_det.default", vec![x.into()])?)),
        "aten.linalg_inv.default" | "aten.inverse.default" => linalg_inv(rt, a),
        "aten.linalg_solve.default" => linalg_solve(rt, a),
        "aten.bilinear.default" => bilinear(rt, a),
        "aten.fft_rfft.default" => rfft(rt, a),
        "aten.fft_fftshift.default" => fftshift(rt, a, false),
        "aten.fft_ifftshift.default" => fftshift(rt, a, true),
        _ => return None,
    };
    Some(out)
}

/// `[a, b, c]` as ATen prints an int list.
fn list(values: &[i64]) -> String {
    let parts: Vec<String> = values.iter().map(i64::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// The size of dimension `d` (already wrapped; 1 for a 0-d tensor).
fn size(x: &Tensor, d: usize) -> i64 {
    x.shape().get(d).copied().unwrap_or(1)
}

fn view(rt: &mut Runtime, x: &Tensor, shape: &[i64]) -> Result<Tensor> {
    one(
        rt,
        "aten.view.default",
        vec![x.into(), shape.to_vec().into()],
    )
}

fn expand(rt: &mut Runtime, x: &Tensor, shape: &[i64]) -> Result<Tensor> {
    one(
        rt,
        "aten.expand.default",
        vec![x.into(), shape.to_vec().into()],
    )
}

fn permute(rt: &mut Runtime, x: &Tensor, perm: &[i64]) -> Result<Tensor> {
    one(
        rt,
        "aten.permute.default",
        vec![x.into(), perm.to_vec().into()],
    )
}

fn slice(rt: &mut Runtime, x: &Tensor, dim: usize, start: i64, end: i64) -> Result<Tensor> {
    one(
        rt,
        "aten.slice.Tensor",
        vec![
            x.into(),
            IValue::Int(dim as i64),
            IValue::Int(start),
            IValue::Int(end),
            IValue::Int(1),
        ],
    )
}

/// `contiguous()`: the tensor itself when it already is, else a copy.
fn contiguous(rt: &mut Runtime, x: &Tensor) -> Result<Tensor> {
    if x.is_contiguous() {
        return Ok(x.clone());
    }
    one(
        rt,
        "aten.clone.default",
        vec![x.into(), IValue::MemoryFormat(MemoryFormat::Contiguous)],
    )
}

/// A composite that only renames another operator: its first `n`
/// arguments passed on.
fn forward(rt: &mut Runtime, a: &Bound<'_>, target: &str, n: usize) -> Result<Vec<IValue>> {
    let args: Vec<IValue> = (0..n).map(|i| a.value(i).cloned()).collect::<Result<_>>()?;
    rt.dispatch(target, args)
}

// -- products -------------------------------------------------------------------

/// The view sizes `kron` gives both operands and its result: each operand
/// aligned to the larger rank from the right, its sizes interleaved with
/// ones (`self` on even places, `other` on odd ones), the result of size
/// `self_i * other_i` in each aligned dimension.
fn kron_shapes(a: &[i64], b: &[i64]) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let n = a.len().max(b.len());
    let (pad_a, pad_b) = (n - a.len(), n - b.len());
    let mut ra = vec![1i64; 2 * n];
    let mut rb = vec![1i64; 2 * n];
    let mut out = vec![1i64; n];
    for i in 0..n {
        if i >= pad_a {
            ra[2 * i] = a[i - pad_a];
        }
        if i >= pad_b {
            rb[2 * i + 1] = b[i - pad_b];
        }
        out[i] = ra[2 * i] * rb[2 * i + 1];
    }
    (ra, rb, out)
}

/// `kron(self, other)`: both `_unsafe_view`ed to interleaved shapes, their
/// broadcast product `_unsafe_view`ed to the Kronecker shape.
fn kron(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, y) = if rt.faults.kron_factors_swapped {
        (a.tensor(1)?, a.tensor(0)?)
    } else {
        (a.tensor(0)?, a.tensor(1)?)
    };
    let (ra, rb, out) = kron_shapes(x.shape(), y.shape());
    let xv = one(rt, "aten._unsafe_view.default", vec![x.into(), ra.into()])?;
    let yv = one(rt, "aten._unsafe_view.default", vec![y.into(), rb.into()])?;
    let product = one(rt, "aten.mul.Tensor", vec![xv.into(), yv.into()])?;
    rt.dispatch(
        "aten._unsafe_view.default",
        vec![product.into(), out.into()],
    )
}

/// `outer(self, vec2)` (and `ger`): `self` viewed as a column times `vec2`.
fn outer(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    for (name, t) in [("self", x), ("vec2", y)] {
        if t.dim() != 1 {
            return Err(fail(
                a,
                format!("outer: Expected 1-D argument {name}, but got {}-D", t.dim()),
            ));
        }
    }
    let column = reshape_one(rt, x, &[size(x, 0), 1])?;
    rt.dispatch("aten.mul.Tensor", vec![column.into(), y.into()])
}

/// `inner(self, other)`: a product with a 0-d operand, else `tensordot`
/// over both last dimensions (free dimensions permuted first, `mm` of the
/// flattened matrices, `dot` of two vectors).
fn inner(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    if x.dim() == 0 || y.dim() == 0 {
        return rt.dispatch("aten.mul.Tensor", vec![x.into(), y.into()]);
    }
    let (kx, ky) = (size(x, x.dim() - 1), size(y, y.dim() - 1));
    if kx != ky {
        return Err(fail(
            a,
            format!(
                "inner() the last dimension must match on both input tensors but got shapes {} and {}",
                list(x.shape()),
                list(y.shape())
            ),
        ));
    }
    let free_x = &x.shape()[..x.dim() - 1];
    let free_y = &y.shape()[..y.dim() - 1];
    let mut px: Vec<i64> = (0..free_x.len() as i64).collect();
    px.push(-1);
    let mut py: Vec<i64> = vec![-1];
    py.extend(0..free_y.len() as i64);
    let (m, n) = (
        free_x.iter().product::<i64>(),
        free_y.iter().product::<i64>(),
    );
    let tx = permute(rt, x, &px)?;
    let ty = permute(rt, y, &py)?;
    let out = if free_x.is_empty() && free_y.is_empty() {
        let tx = reshape_one(rt, &tx, &[kx])?;
        let ty = reshape_one(rt, &ty, &[kx])?;
        one(rt, "aten.dot.default", vec![tx.into(), ty.into()])?
    } else {
        let tx = reshape_one(rt, &tx, &[m, kx])?;
        let ty = reshape_one(rt, &ty, &[kx, n])?;
        one(rt, "aten.mm.default", vec![tx.into(), ty.into()])?
    };
    let sizes: Vec<i64> = free_x.iter().chain(free_y).copied().collect();
    Ok(vec![reshape_one(rt, &out, &sizes)?.into()])
}

/// `bilinear(input1, input2, weight, bias)`: both inputs flattened to
/// matrices, `_trilinear` against the weight, reshaped, the bias added.
fn bilinear(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x1, x2, w) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let bias = a.value(3)?.as_tensor().cloned();
    if x1.dim() != x2.dim() {
        return Err(fail(
            a,
            format!(
                "bilinear(): input dimensions do not match: got {} and {}",
                x1.dim(),
                x2.dim()
            ),
        ));
    }
    if x1.dim() == 0 || w.dim() != 3 {
        return Err(a.refuse("0-d inputs or a weight that is not 3-d"));
    }
    for i in 0..x1.dim() - 1 {
        if size(x1, i) != size(x2, i) {
            return Err(fail(
                a,
                format!(
                    "bilinear(): input batch dimensions do not match at dim {i}: got {} and {}",
                    size(x1, i),
                    size(x2, i)
                ),
            ));
        }
    }
    let (k1, k2) = (size(x1, x1.dim() - 1), size(x2, x2.dim() - 1));
    if k1 != size(w, 1) {
        return Err(fail(
            a,
            format!(
                "bilinear(): input1 size does not match weight size: got {k1} but expected {}",
                size(w, 1)
            ),
        ));
    }
    if k2 != size(w, 2) {
        return Err(fail(
            a,
            format!(
                "bilinear(): input2 size does not match weight size: got {k2} but expected {}",
                size(w, 2)
            ),
        ));
    }
    if let Some(b) = &bias
        && (b.dim() == 0 || size(b, 0) != size(w, 0))
    {
        return Err(fail(
            a,
            format!(
                "bilinear(): bias size does not match weight size: got {} but expected {}",
                b.shape().first().copied().unwrap_or(1),
                size(w, 0)
            ),
        ));
    }
    let mut out_size = x1.shape().to_vec();
    if let Some(last) = out_size.last_mut() {
        *last = size(w, 0);
    }
    let f1 = reshape_one(rt, x1, &[-1, k1])?;
    let f2 = reshape_one(rt, x2, &[-1, k2])?;
    let out = one(
        rt,
        "aten._trilinear.default",
        vec![
            f1.into(),
            w.into(),
            f2.into(),
            vec![1i64, 3].into(),
            vec![0i64].into(),
            vec![1i64, 2].into(),
            vec![2i64, 3].into(),
            IValue::Int(1),
        ],
    )?;
    let out = reshape_one(rt, &out, &out_size)?;
    match bias {
        Some(b) => rt.dispatch("aten.add.Tensor", vec![out.into(), b.into()]),
        None => Ok(vec![out.into()]),
    }
}

// -- gathering, activations ------------------------------------------------------

/// `take_along_dim(self, indices, dim)`: along a dimension, both broadcast
/// against each other (except along `dim`), negative indices wrapped by
/// `remainder`, `gather`; without one, `gather` of the flattened views.
fn take_along_dim(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, idx) = (a.tensor(0)?, a.tensor(1)?);
    if idx.dtype() != DType::Int64 {
        return Err(fail(
            a,
            format!(
                "torch.take_along_dim(): dtype of indices should be Long but got {}",
                idx.dtype().scalar_type_name()
            ),
        ));
    }
    let dim = match a.value(2)? {
        IValue::Int(d) => *d,
        IValue::None => {
            let xf = view(rt, x, &[-1])?;
            let idf = view(rt, idx, &[-1])?;
            return rt.dispatch(
                "aten.gather.default",
                vec![xf.into(), IValue::Int(0), idf.into()],
            );
        }
        _ => return Err(a.refuse("a dim that is not an int")),
    };
    if x.dim() != idx.dim() {
        return Err(fail(
            a,
            format!(
                "torch.take_along_dim(): input and indices should have the same number of dimensions, but got {} dimensions for input, and {} dimensions for indices",
                x.dim(),
                idx.dim()
            ),
        ));
    }
    let d = wrap(a, dim, x.dim())?;
    let broadcast = |of: &[i64], other: &[i64], along: i64| -> Result<Vec<i64>> {
        let mut sizes = of.to_vec();
        if let Some(s) = sizes.get_mut(d) {
            *s = along;
        }
        broadcast_shapes(&sizes, other).ok_or_else(|| {
            fail(
                a,
                format!(
                    "shape mismatch: {} cannot be broadcast against {}",
                    list(&sizes),
                    list(other)
                ),
            )
        })
    };
    let idx_shape = broadcast(x.shape(), idx.shape(), size(idx, d))?;
    let x_shape = broadcast(idx.shape(), x.shape(), size(x, d))?;
    let idx_b = expand(rt, idx, &idx_shape)?;
    let x_b = expand(rt, x, &x_shape)?;
    let idx_b = one(
        rt,
        "aten.remainder.Scalar",
        vec![idx_b.into(), IValue::Int(size(x, d))],
    )?;
    rt.dispatch(
        "aten.gather.default",
        vec![x_b.into(), IValue::Int(d as i64), idx_b.into()],
    )
}

/// `selu` / `selu_`: `elu` with SELU's `alpha` and `scale`.
fn selu(rt: &mut Runtime, a: &Bound<'_>, elu: &str) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    rt.dispatch(
        elu,
        vec![
            x.into(),
            IValue::Float(SELU_ALPHA),
            IValue::Float(SELU_SCALE),
            IValue::Int(1),
        ],
    )
}

/// `special_ndtr`: `(1 + erf(x / sqrt 2)) / 2`, as `x * (1/sqrt 2)`,
/// `erf`, `+ 1`, `* 0.5`.
fn ndtr(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let scaled = one(
        rt,
        "aten.mul.Scalar",
        vec![x.into(), IValue::Float(std::f64::consts::FRAC_1_SQRT_2)],
    )?;
    let erf = one(rt, "aten.erf.default", vec![scaled.into()])?;
    let shifted = one(rt, "aten.add.Scalar", vec![erf.into(), IValue::Int(1)])?;
    rt.dispatch("aten.mul.Scalar", vec![shifted.into(), IValue::Float(0.5)])
}

// -- grids and splits -----------------------------------------------------------

/// `meshgrid(tensors, indexing)`: each 0-d or 1-d tensor viewed along its
/// own dimension and expanded to the grid (`xy` swaps the first two).
fn meshgrid(rt: &mut Runtime, a: &Bound<'_>, indexing: &str) -> Result<Vec<IValue>> {
    let IValue::TensorList(tensors) = a.value(0)? else {
        return Err(a.refuse("tensors that are not a tensor list"));
    };
    if tensors.is_empty() {
        return Err(fail(a, "meshgrid expects a non-empty TensorList"));
    }
    // PyTorch's own error (its message goes on to print the tensor).
    if let Some(t) = tensors.iter().find(|t| t.dim() > 1) {
        return Err(fail(
            a,
            format!(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of shape {:?}",
                t.shape()
            ),
        ));
    }
    if tensors.iter().any(|t| t.dtype() != tensors[0].dtype()) {
        return Err(fail(
            a,
            "meshgrid expects all tensors to have the same dtype",
        ));
    }
    let swap = match indexing {
        "xy" => tensors.len() >= 2,
        "ij" => false,
        other => {
            return Err(fail(
                a,
                format!(
                    "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {other}"
                ),
            ));
        }
    };
    let mut refs: Vec<&Tensor> = tensors.iter().collect();
    if swap {
        refs.swap(0, 1);
    }
    let shape: Vec<i64> = refs.iter().map(|t| t.numel() as i64).collect();
    let mut grids = Vec::with_capacity(refs.len());
    for (i, t) in refs.iter().enumerate() {
        let mut view_shape = vec![1i64; refs.len()];
        view_shape[i] = -1;
        let v = view(rt, t, &view_shape)?;
        grids.push(expand(rt, &v, &shape)?);
    }
    if swap {
        grids.swap(0, 1);
    }
    Ok(vec![IValue::TensorList(grids)])
}

fn check_split_rank(a: &Bound<'_>, x: &Tensor) -> Result<()> {
    if x.dim() == 0 {
        return Err(fail(
            a,
            format!(
                "tensor_split expected at least a 1-dimensional tensor, but got a tensor with {} dims",
                x.dim()
            ),
        ));
    }
    Ok(())
}

/// The `(start, end)` slices of `tensor_split` into `sections` pieces:
/// the first `size % sections` one longer.
fn section_bounds(size: i64, sections: i64) -> Vec<(i64, i64)> {
    let (min, extra) = (size / sections, size % sections);
    let mut start = 0;
    (0..sections)
        .map(|i| {
            let stop = start + min + i64::from(i < extra);
            let bounds = (start, stop);
            start = stop;
            bounds
        })
        .collect()
}

/// `tensor_split(self, sections, dim)`: `sections` slices.
fn split_sections(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    sections: i64,
    dim: i64,
) -> Result<Vec<IValue>> {
    check_split_rank(a, x)?;
    if sections <= 0 {
        return Err(fail(
            a,
            format!("number of sections must be larger than 0, got {sections}"),
        ));
    }
    let d = wrap(a, dim, x.dim())?;
    let mut parts = Vec::new();
    for (start, stop) in section_bounds(size(x, d), sections) {
        parts.push(slice(rt, x, d, start, stop)?);
    }
    Ok(vec![IValue::TensorList(parts)])
}

/// `tensor_split(self, indices, dim)`: slices between consecutive indices,
/// the last to the end.
fn split_indices(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    indices: &[i64],
    dim: i64,
) -> Result<Vec<IValue>> {
    check_split_rank(a, x)?;
    let d = wrap(a, dim, x.dim())?;
    let mut parts = Vec::with_capacity(indices.len() + 1);
    let mut start = 0;
    for &end in indices {
        parts.push(slice(rt, x, d, start, end)?);
        start = end;
    }
    parts.push(slice(rt, x, d, start, size(x, d))?);
    Ok(vec![IValue::TensorList(parts)])
}

/// `tensor_split(self, tensor_indices_or_sections, dim)`: a 0-d int64
/// tensor is a section count, a 1-d one the indices.
fn tensor_split_tensor(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, t, dim) = (a.tensor(0)?, a.tensor(1)?, a.int(2)?);
    if t.dtype() != DType::Int64 {
        return Err(fail(
            a,
            format!(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got {}",
                t.dtype().scalar_type_name()
            ),
        ));
    }
    if t.dim() > 1 {
        return Err(fail(
            a,
            format!(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional tensor, but got a tensor with {} dims",
                t.dim()
            ),
        ));
    }
    let values: Vec<i64> = t.to_f64_vec()?.into_iter().map(|v| v as i64).collect();
    if t.dim() == 0 {
        let sections = values
            .first()
            .copied()
            .ok_or_else(|| a.refuse("a 0-d section count without a value"))?;
        return split_sections(rt, a, x, sections, dim);
    }
    split_indices(rt, a, x, &values, dim)
}

/// `hsplit` / `vsplit` / `dsplit` of `int sections` or `int[] indices`:
/// `tensor_split` along dimension 1 (0 for a 1-d `hsplit`), 0 or 2, a
/// section count that does not divide the size refused.
fn directional_split(
    rt: &mut Runtime,
    a: &Bound<'_>,
    name: &str,
    min_rank: usize,
) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dim() < min_rank {
        let what = if min_rank == 1 {
            "1 dimension"
        } else if min_rank == 2 {
            "2 dimension"
        } else {
            "3 dimension"
        };
        return Err(fail(
            a,
            format!(
                "torch.{name} requires a tensor with at least {what}, but got a tensor with {} dimensions!",
                x.dim()
            ),
        ));
    }
    let dim = match name {
        "hsplit" if x.dim() == 1 => 0,
        "hsplit" => 1,
        "vsplit" => 0,
        _ => 2,
    };
    match a.value(1)? {
        IValue::Int(sections) => {
            let sections = *sections;
            let n = size(x, dim as usize);
            if sections == 0 || n % sections != 0 {
                return Err(fail(
                    a,
                    format!(
                        "torch.{name} attempted to split along dimension {dim}, but the size of the dimension {n} is not divisible by the split_size {sections}!"
                    ),
                ));
            }
            split_sections(rt, a, x, sections, dim)
        }
        IValue::IntList(indices) => split_indices(rt, a, x, &indices.clone(), dim),
        _ => Err(a.refuse("sections that are neither an int nor an int list")),
    }
}

// -- dimension moves and repetition ---------------------------------------------

/// The permutation `movedim` applies: each source dimension to its
/// destination, the others in their order in the remaining places.
fn movedim_order(rank: usize, src: &[usize], dst: &[usize]) -> Vec<i64> {
    let mut order: Vec<Option<usize>> = vec![None; rank];
    for (&s, &d) in src.iter().zip(dst) {
        order[d] = Some(s);
    }
    let mut rest = (0..rank).filter(|i| !src.contains(i));
    order
        .into_iter()
        .map(|o| o.or_else(|| rest.next()).unwrap_or(0) as i64)
        .collect()
}

/// `movedim(self, source, destination)` (and `moveaxis`): one `permute`.
fn movedim(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    src: &[i64],
    dst: &[i64],
) -> Result<Vec<IValue>> {
    if src.len() != dst.len() {
        return Err(fail(
            a,
            format!(
                "movedim: Invalid source or destination dims: source ({} dims) should contain the same number of dims as destination ({} dims)",
                list(src),
                list(dst)
            ),
        ));
    }
    let rank = x.dim();
    let ws: Vec<usize> = src
        .iter()
        .map(|&d| wrap(a, d, rank))
        .collect::<Result<_>>()?;
    let wd: Vec<usize> = dst
        .iter()
        .map(|&d| wrap(a, d, rank))
        .collect::<Result<_>>()?;
    let repeated = |v: &[usize]| v.iter().enumerate().any(|(i, d)| v[..i].contains(d));
    if repeated(&ws) {
        return Err(fail(
            a,
            format!("movedim: repeated dim in `source` ({})", list(src)),
        ));
    }
    if repeated(&wd) {
        return Err(fail(
            a,
            format!("movedim: repeated dim in `destination` ({})", list(dst)),
        ));
    }
    if rank == 0 {
        return rt.dispatch("aten.alias.default", vec![x.into()]);
    }
    let order = movedim_order(rank, &ws, &wd);
    Ok(vec![permute(rt, x, &order)?.into()])
}

/// `tile(self, dims)`: `repeat` with `dims` padded by leading ones to the
/// input's rank.
fn tile(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let dims = a.ints(1)?;
    let mut reps = vec![1i64; x.dim().saturating_sub(dims.len())];
    reps.extend(dims);
    rt.dispatch("aten.repeat.default", vec![x.into(), reps.into()])
}

/// `repeat_interleave(self, int repeats, dim, output_size)`: the input
/// (flattened without a `dim`) unsqueezed after `dim`, expanded `repeats`
/// times, copied contiguous and flattened back.
fn repeat_interleave_int(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let repeats = a.int(1)?;
    let (input, dim) = match a.value(2)? {
        IValue::None => (reshape_one(rt, x, &[-1])?, 0usize),
        IValue::Int(d) => (x.clone(), wrap(a, *d, x.dim())?),
        _ => return Err(a.refuse("a dim that is not an int")),
    };
    if repeats < 0 {
        return Err(fail(a, "Repeats must be non-negative"));
    }
    if let IValue::Int(output_size) = a.value(3)? {
        let expected = size(&input, dim) * repeats;
        if *output_size != expected {
            return Err(fail(
                a,
                format!(
                    "repeat_interleave: Invalid output_size, expected {expected} but got {output_size}"
                ),
            ));
        }
    }
    let input = if input.dim() == 0 {
        reshape_one(rt, &input, &[1])?
    } else {
        input
    };
    let unsqueezed = one(
        rt,
        "aten.unsqueeze.default",
        vec![(&input).into(), IValue::Int(dim as i64 + 1)],
    )?;
    let mut shape = unsqueezed.shape().to_vec();
    shape[dim + 1] = repeats;
    let expanded = expand(rt, &unsqueezed, &shape)?;
    let copy = one(
        rt,
        "aten.clone.default",
        vec![
            expanded.into(),
            IValue::MemoryFormat(MemoryFormat::Contiguous),
        ],
    )?;
    let mut out_shape = input.shape().to_vec();
    out_shape[dim] *= repeats;
    Ok(vec![view(rt, &copy, &out_shape)?.into()])
}

/// `repeat_interleave(self, Tensor repeats, dim, output_size)`: a 0-d or
/// one-element `repeats` expanded along `dim`, the positions from
/// `repeat_interleave(repeats, output_size)`, `index_select`.
fn repeat_interleave_tensor(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, repeats) = (a.tensor(0)?, a.tensor(1)?);
    let (input, dim) = match a.value(2)? {
        IValue::None => (reshape_one(rt, x, &[-1])?, 0i64),
        IValue::Int(d) => (x.clone(), *d),
        _ => return Err(a.refuse("a dim that is not an int")),
    };
    let d = wrap(a, dim, input.dim())?;
    let repeats = if repeats.dim() == 0 || (repeats.dim() == 1 && size(repeats, 0) == 1) {
        let r = reshape_one(rt, repeats, &[1])?;
        expand(rt, &r, &[size(&input, d)])?
    } else if repeats.dim() == 1 {
        if size(repeats, 0) != size(&input, d) {
            return Err(fail(
                a,
                format!(
                    "repeats must have the same size as input along dim, but got repeats.size(0) = {} and input.size({dim}) = {}",
                    size(repeats, 0),
                    size(&input, d)
                ),
            ));
        }
        repeats.clone()
    } else {
        return Err(fail(a, "repeats must be 0-dim or 1-dim tensor"));
    };
    let positions = one(
        rt,
        "aten.repeat_interleave.Tensor",
        vec![repeats.into(), a.value(3)?.clone()],
    )?;
    rt.dispatch(
        "aten.index_select.default",
        vec![input.into(), IValue::Int(dim), positions.into()],
    )
}

// -- normalisation, linear algebra, spectra -------------------------------------

/// `instance_norm`: batch and channels folded into one batch-norm
/// channel axis (weight, bias and running statistics repeated per
/// sample), `native_batch_norm`, viewed back. Updating running statistics
/// is refused: ATen writes their per-channel mean back into the caller's
/// buffers inside the composite, a write the capture never sees.
fn instance_norm(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let optional = |i: usize| -> Result<Option<Tensor>> { Ok(a.value(i)?.as_tensor().cloned()) };
    let (weight, bias) = (optional(1)?, optional(2)?);
    let (running_mean, running_var) = (optional(3)?, optional(4)?);
    let use_input_stats = a.flag(5)?;
    let (momentum, eps) = (a.float(6)?, a.float(7)?);
    if !use_input_stats && (running_mean.is_none() || running_var.is_none()) {
        return Err(fail(
            a,
            "Expected running_mean and running_var to be defined when use_input_stats is false",
        ));
    }
    if use_input_stats && (running_mean.is_some() || running_var.is_some()) {
        return Err(a.refuse(
            "running statistics updated in training (ATen copies their new values into running_mean/running_var inside the composite, unrecorded)",
        ));
    }
    if x.dim() < 2 {
        return Err(a.refuse("an input of fewer than two dimensions"));
    }
    let (b, c) = (size(x, 0), size(x, 1));
    let mut shape = x.shape().to_vec();
    shape[1] = b * c;
    shape[0] = 1;
    let mut repeated = |t: Option<Tensor>| -> Result<IValue> {
        match t {
            None => Ok(IValue::None),
            Some(t) => Ok(one(rt, "aten.repeat.default", vec![t.into(), vec![b].into()])?.into()),
        }
    };
    let weight = repeated(weight)?;
    let bias = repeated(bias)?;
    let running_mean = repeated(running_mean)?;
    let running_var = repeated(running_var)?;
    let input = contiguous(rt, x)?;
    let input = view(rt, &input, &shape)?;
    let out = first(rt.dispatch(
        "aten.native_batch_norm.default",
        vec![
            input.into(),
            weight,
            bias,
            running_mean,
            running_var,
            use_input_stats.into(),
            momentum.into(),
            eps.into(),
        ],
    )?)?;
    let out = out
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .ok_or_else(|| a.refuse("a batch norm without a result"))?;
    Ok(vec![view(rt, &out, x.shape())?.into()])
}

/// `linalg_inv` / `inverse`: `linalg_inv_ex`, its `info` checked as
/// `linalg.inv`.
fn linalg_inv(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let mut out = rt.dispatch(
        "aten.linalg_inv_ex.default",
        vec![x.into(), IValue::Bool(false)],
    )?;
    if out.len() < 2 {
        return Err(a.refuse("linalg_inv_ex without info"));
    }
    let info = out.remove(1);
    rt.dispatch(
        "aten._linalg_check_errors.default",
        vec![
            info,
            IValue::Str("linalg.inv".to_owned()),
            IValue::Bool(true),
        ],
    )?;
    out.truncate(1);
    Ok(out)
}

/// `linalg_solve(A, B, left)`: `_linalg_solve_ex`, its `info` checked as
/// `torch.linalg.solve`.
fn linalg_solve(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (lhs, rhs, left) = (a.tensor(0)?, a.tensor(1)?, a.flag(2)?);
    let is_matrix = lhs.dim() == 2;
    let mut out = rt.dispatch(
        "aten._linalg_solve_ex.default",
        vec![lhs.into(), rhs.into(), left.into(), IValue::Bool(false)],
    )?;
    if out.len() < 4 {
        return Err(a.refuse("_linalg_solve_ex without info"));
    }
    let info = out.remove(3);
    rt.dispatch(
        "aten._linalg_check_errors.default",
        vec![
            info,
            IValue::Str("torch.linalg.solve".to_owned()),
            IValue::Bool(is_matrix),
        ],
    )?;
    out.truncate(1);
    Ok(out)
}

/// `fft_rfft(self, n, dim, norm)`: an integer input made floating, the
/// signal padded or cut to `n` along `dim`, `_fft_r2c` one-sided.
fn rfft(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dtype().is_complex() {
        return Err(fail(
            a,
            format!(
                "rfft expects a real input tensor, but got {}",
                x.dtype().scalar_type_name()
            ),
        ));
    }
    let mut input = if x.dtype().is_floating() {
        x.clone()
    } else {
        one(
            rt,
            "aten._to_copy.default",
            vec![x.into(), IValue::Dtype(DType::Float32)],
        )?
    };
    let d = wrap(a, a.int(2)?, input.dim())?;
    if let IValue::Int(n) = a.value(1)? {
        let n = *n;
        if n < 1 {
            return Err(fail(
                a,
                format!("Invalid number of data points ({n}) specified"),
            ));
        }
        let have = size(&input, d);
        if n > have {
            let mut pad = vec![0i64; 2 * input.dim()];
            pad[2 * (input.dim() - d - 1) + 1] = n - have;
            input = one(
                rt,
                "aten.constant_pad_nd.default",
                vec![input.into(), pad.into(), IValue::Int(0)],
            )?;
        } else if n < have {
            input = slice(rt, &input, d, 0, n)?;
        }
    }
    let norm = match a.value(3)? {
        IValue::None => 0,
        IValue::Str(s) if s == "backward" => 0,
        IValue::Str(s) if s == "ortho" => 1,
        IValue::Str(s) if s == "forward" => 2,
        IValue::Str(s) => return Err(fail(a, format!("Invalid normalization mode: \"{s}\""))),
        _ => return Err(a.refuse("a norm that is not a string")),
    };
    rt.dispatch(
        "aten._fft_r2c.default",
        vec![
            input.into(),
            vec![d as i64].into(),
            IValue::Int(norm),
            IValue::Bool(true),
        ],
    )
}

/// `fft_fftshift` / `fft_ifftshift`: `roll` by half of each dimension
/// (rounded down forwards, up backwards), every dimension by default.
fn fftshift(rt: &mut Runtime, a: &Bound<'_>, inverse: bool) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let dims: Vec<i64> = match a.value(1)? {
        IValue::None => (0..x.dim() as i64).collect(),
        _ => a.ints(1)?,
    };
    let mut shifts = Vec::with_capacity(dims.len());
    for &d in &dims {
        let n = size(x, wrap(a, d, x.dim())?);
        shifts.push(if inverse { (n + 1) / 2 } else { n / 2 });
    }
    rt.dispatch(
        "aten.roll.default",
        vec![x.into(), shifts.into(), dims.into()],
    )
}

#[cfg(test)]
mod tests {
    //! The composites run whole, as under `inference_mode` with a dispatch
    //! mode active. Expected values observed in torch 2.15.

    use super::{kron_shapes, movedim_order, section_bounds};
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn tensor(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
    }

    fn run(op: &str, args: Vec<IValue>) -> crate::error::Result<Vec<IValue>> {
        let mut rt = Runtime::new();
        rt.set_dispatch_mode_active(true);
        rt.set_grad_mode(false, true);
        rt.call(op, args)
    }

    fn call(op: &str, args: Vec<IValue>) -> Vec<Tensor> {
        run(op, args)
            .expect("call")
            .into_iter()
            .flat_map(|v| match v {
                IValue::TensorList(ts) => ts,
                other => other.into_tensor().into_iter().collect(),
            })
            .collect()
    }

    fn values(t: &Tensor) -> Vec<f64> {
        t.to_f64_vec().expect("values")
    }

    #[test]
    fn kron_interleaves_sizes_aligned_from_the_right() {
        let (a, b, out) = kron_shapes(&[2, 3], &[4]);
        assert_eq!(a, vec![2, 1, 3, 1]);
        assert_eq!(b, vec![1, 1, 1, 4]);
        assert_eq!(out, vec![2, 12]);
    }

    #[test]
    fn kron_of_two_matrices_is_the_block_product() {
        let x = tensor(&[2, 2], DType::Float32, &[1.0, 2.0, 3.0, 4.0]);
        let y = tensor(&[1, 2], DType::Float32, &[1.0, 10.0]);
        let out = call("aten.kron.default", vec![x.into(), y.into()]).remove(0);
        assert_eq!(out.shape(), &[2, 4]);
        assert_eq!(
            values(&out),
            vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0]
        );
    }

    #[test]
    fn tensor_split_gives_the_first_remainder_sections_one_more() {
        assert_eq!(section_bounds(7, 3), vec![(0, 3), (3, 5), (5, 7)]);
        assert_eq!(section_bounds(2, 4), vec![(0, 1), (1, 2), (2, 2), (2, 2)]);
    }

    #[test]
    fn movedim_fills_the_other_places_in_order() {
        // torch.movedim(x (3-d), [0, 1], [2, 0]).permute order is [1, 2, 0].
        assert_eq!(movedim_order(3, &[0, 1], &[2, 0]), vec![1, 2, 0]);
        assert_eq!(movedim_order(4, &[3], &[0]), vec![3, 0, 1, 2]);
    }

    #[test]
    fn movedim_is_a_view_with_permuted_strides() {
        let x = tensor(&[2, 3, 4], DType::Float32, &[0.0; 24]);
        let out = call(
            "aten.movedim.int",
            vec![x.into(), IValue::Int(-1), IValue::Int(0)],
        )
        .remove(0);
        assert_eq!(out.shape(), &[4, 2, 3]);
        assert_eq!(out.stride(), &[1, 12, 4]);
    }

    #[test]
    fn repeat_interleave_by_an_int_copies_each_row_in_turn() {
        let x = tensor(&[2, 2], DType::Float32, &[1.0, 2.0, 3.0, 4.0]);
        let out = call(
            "aten.repeat_interleave.self_int",
            vec![x.into(), IValue::Int(2), IValue::Int(0), IValue::None],
        )
        .remove(0);
        assert_eq!(out.shape(), &[4, 2]);
        assert_eq!(values(&out), vec![1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0]);
    }

    #[test]
    fn repeat_interleave_rejects_a_wrong_output_size_with_pytorchs_message() {
        let x = tensor(&[3], DType::Float32, &[1.0, 2.0, 3.0]);
        let err = run(
            "aten.repeat_interleave.self_int",
            vec![x.into(), IValue::Int(2), IValue::Int(0), IValue::Int(5)],
        )
        .expect_err("refused");
        assert!(
            err.to_string()
                .contains("repeat_interleave: Invalid output_size, expected 6 but got 5"),
            "{err}"
        );
    }

    #[test]
    fn meshgrid_xy_swaps_the_first_two_axes() {
        let x = tensor(&[3], DType::Float32, &[1.0, 2.0, 3.0]);
        let y = tensor(&[2], DType::Float32, &[10.0, 20.0]);
        let grids = call(
            "aten.meshgrid.indexing",
            vec![IValue::TensorList(vec![x, y]), IValue::Str("xy".to_owned())],
        );
        assert_eq!(grids[0].shape(), &[2, 3]);
        assert_eq!(grids[0].stride(), &[0, 1]);
        assert_eq!(grids[1].stride(), &[1, 0]);
        assert_eq!(values(&grids[1]), vec![10.0, 10.0, 10.0, 20.0, 20.0, 20.0]);
    }

    #[test]
    fn take_along_dim_wraps_negative_indices() {
        let x = tensor(&[2, 3], DType::Float32, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let idx = tensor(&[1, 2], DType::Int64, &[-1.0, 0.0]);
        let out = call(
            "aten.take_along_dim.default",
            vec![x.into(), idx.into(), IValue::Int(1)],
        )
        .remove(0);
        assert_eq!(out.shape(), &[2, 2]);
        assert_eq!(values(&out), vec![3.0, 1.0, 6.0, 4.0]);
    }

    #[test]
    fn dropout_in_evaluation_is_the_input() {
        let x = tensor(&[2], DType::Float32, &[1.0, 2.0]);
        let out = call(
            "aten.feature_alpha_dropout_.default",
            vec![(&x).into(), IValue::Float(0.5), IValue::Bool(false)],
        )
        .remove(0);
        assert!(out.same_tensor(&x));
        let err = run(
            "aten.dropout.default",
            vec![(&x).into(), IValue::Float(1.5), IValue::Bool(false)],
        )
        .expect_err("refused");
        assert!(
            err.to_string()
                .contains("dropout probability has to be between 0 and 1, but got 1.5"),
            "{err}"
        );
    }

    #[test]
    fn instance_norm_updating_running_statistics_is_refused() {
        let x = tensor(&[1, 2, 2], DType::Float32, &[1.0, 2.0, 3.0, 5.0]);
        let mean = tensor(&[2], DType::Float32, &[0.0, 0.0]);
        let var = tensor(&[2], DType::Float32, &[1.0, 1.0]);
        let err = run(
            "aten.instance_norm.default",
            vec![
                x.into(),
                IValue::None,
                IValue::None,
                mean.into(),
                var.into(),
                IValue::Bool(true),
                IValue::Float(0.1),
                IValue::Float(1e-5),
                IValue::Bool(false),
            ],
        )
        .expect_err("refused");
        assert!(err.to_string().contains("running_mean"), "{err}");
    }

    #[test]
    fn solve_from_the_right_is_row_major() {
        let a = tensor(&[2, 2], DType::Float32, &[2.0, 0.0, 0.0, 4.0]);
        let b = tensor(&[3, 2], DType::Float32, &[2.0, 4.0, 4.0, 8.0, 6.0, 12.0]);
        let out = call(
            "aten.linalg_solve.default",
            vec![a.into(), b.into(), IValue::Bool(false)],
        )
        .remove(0);
        assert_eq!(out.shape(), &[3, 2]);
        assert_eq!(out.stride(), &[2, 1]);
        assert_eq!(values(&out), vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
    }
}
