//! Sparse COO composites seen whole under `inference_mode`: building a
//! sparse tensor from indices and values (with its size given or inferred
//! from the largest index), `coalesce`, `torch.sparse.mm` (`_sparse_mm`,
//! either operand sparse)
//! the full `torch.sparse.sum` (`_sparse_sum`), `torch.sparse.sum` over
//! some dims with a dtype (`_sparse_sum.dim_dtype`) and
//! `torch.sparse.softmax` / `log_softmax` (`_sparse_softmax.int`,
//! `_sparse_log_softmax.int`). Each runs the parts
//! ATen's composite runs — what a dispatch mode records of them outside
//! inference mode — unrecorded.

use super::{Bound, one};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::options::Layout;

/// The operators this module decomposes.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    Some(match a.op {
        "aten.sparse_coo_tensor.indices_size" => coo_tensor(rt, a, true),
        "aten.sparse_coo_tensor.indices" => coo_tensor(rt, a, false),
        "aten.coalesce.default" => coalesce(rt, a),
        "aten._sparse_mm.default" => sparse_mm(rt, a),
        "aten._sparse_sum.default" => sparse_sum(rt, a, None),
        "aten._sparse_sum.dtype" => a.value(1).cloned().and_then(|d| sparse_sum(rt, a, Some(d))),
        "aten._sparse_sum.dim_dtype" => sparse_sum_dim_dtype(rt, a),
        "aten._sparse_softmax.int" => softmax_int(rt, a, "aten._sparse_softmax.default"),
        "aten._sparse_log_softmax.int" => softmax_int(rt, a, "aten._sparse_log_softmax.default"),
        _ => return None,
    })
}

/// `sparse_coo_tensor(indices, values[, size], *, dtype, layout, device,
/// pin_memory, is_coalesced)`: `_sparse_coo_tensor_with_dims_and_tensors`
/// over the indices and values themselves (a 0-d value expanded to one
/// entry), `sparse_dim` the indices' rows and `dense_dim` the values'
/// trailing dimensions. Without a size, each sparse dimension is one more
/// than its largest index (`min`/`max` over the entries; a negative index
/// is an error) and zero without entries; the dense ones are the values'.
/// The Python binding has already converted `values` to `dtype` and the
/// indices to int64 on the device (`to.device` calls of their own).
fn coo_tensor(rt: &mut Runtime, a: &Bound<'_>, sized: bool) -> Result<Vec<IValue>> {
    let (indices, values) = (a.tensor(0)?, a.tensor(1)?);
    let options = if sized { 3 } else { 2 };
    if let IValue::Layout(layout) = a.value(options + 1)?
        && *layout != Layout::SparseCoo
    {
        return Err(RuntimeError::shape(
            a.op,
            format!("expected sparse layout, but got layout {}", layout.name()),
        ));
    }
    if let IValue::Dtype(dtype) = a.value(options)?
        && *dtype != values.dtype()
    {
        return Err(a.refuse("a dtype other than the values' (the Python binding converts them)"));
    }
    if indices.dim() != 2 {
        return Err(RuntimeError::shape(
            a.op,
            format!(
                "indices must be sparse_dim x nnz, but got: {:?}",
                indices.shape()
            ),
        ));
    }
    let values = if values.dim() == 0 {
        one(
            rt,
            "aten.expand.default",
            vec![values.into(), IValue::IntList(vec![1])],
        )?
    } else {
        values.clone()
    };
    let sparse_dim = indices.shape()[0];
    let dense_dim = values.dim() as i64 - 1;
    let size = if sized {
        a.ints(2)?
    } else {
        inferred_size(rt, a, indices, &values)?
    };
    rt.dispatch(
        "aten._sparse_coo_tensor_with_dims_and_tensors.default",
        vec![
            IValue::Int(sparse_dim),
            IValue::Int(dense_dim),
            IValue::IntList(size),
            indices.into(),
            values.clone().into(),
            IValue::Dtype(values.dtype()),
            IValue::Layout(Layout::SparseCoo),
            IValue::Device(values.device()),
            IValue::None,
            a.value(options + 4)?.clone(),
        ],
    )
}

/// The size `sparse_coo_tensor` infers: per sparse dimension one more than
/// the largest index (zero without entries), then the values' dense sizes.
fn inferred_size(
    rt: &mut Runtime,
    a: &Bound<'_>,
    indices: &Tensor,
    values: &Tensor,
) -> Result<Vec<i64>> {
    let sparse_dim = usize::try_from(indices.shape()[0]).unwrap_or(0);
    let mut size = vec![0; sparse_dim];
    if indices.numel() > 0 {
        let lowest = extreme(rt, "aten.min.dim", indices)?;
        if let Some((dim, index)) = lowest.iter().enumerate().find(|(_, i)| **i < 0) {
            return Err(RuntimeError::shape(
                a.op,
                format!("found negative index {index} for dim {dim}"),
            ));
        }
        let highest = extreme(rt, "aten.max.dim", indices)?;
        let past_end = if rt.faults.sparse_size_past_end { 2 } else { 1 };
        for (slot, index) in size.iter_mut().zip(highest) {
            *slot = index + past_end;
        }
    }
    size.extend_from_slice(values.shape().get(1..).unwrap_or(&[]));
    Ok(size)
}

/// `min.dim` / `max.dim` of the indices over their entries (dim 1).
fn extreme(rt: &mut Runtime, op: &str, indices: &Tensor) -> Result<Vec<i64>> {
    one(rt, op, vec![indices.into(), IValue::Int(1)])?.to_i64_vec()
}

/// `coalesce`: the tensor itself when already coalesced, else `_coalesce`.
fn coalesce(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if is_coalesced(rt, a, x)? {
        return Ok(vec![x.into()]);
    }
    rt.dispatch("aten._coalesce.default", vec![x.into()])
}

fn is_coalesced(rt: &mut Runtime, a: &Bound<'_>, x: &Tensor) -> Result<bool> {
    match rt
        .dispatch("aten.is_coalesced.default", vec![x.into()])?
        .first()
    {
        Some(IValue::Bool(b)) => Ok(*b),
        _ => Err(a.refuse("an is_coalesced without a bool result")),
    }
}

/// `_sparse_mm(mat1, mat2)` (`torch.sparse.mm`). A sparse `mat1`: a zero
/// result of the dense operand's options, `[mat1.size(-2),
/// mat2.size(-1)]`, then `_sparse_addmm(zeros, mat1, mat2, beta=0)`. A
/// strided `mat1` times a sparse `mat2`: the same through the transposes,
/// `_sparse_addmm(zeros.t(), mat2.t(), mat1.t(), beta=0).t()` with zeros of
/// `mat1`'s options (a column-major result). Two sparse operands
/// (`_sparse_sparse_matmul`) are refused.
fn sparse_mm(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (mat1, mat2) = (a.tensor(0)?, a.tensor(1)?);
    if mat1.is_sparse() && mat2.is_sparse() {
        return Err(a.refuse("two sparse operands (_sparse_sparse_matmul)"));
    }
    let rows = mat1.shape().iter().rev().nth(1).copied().unwrap_or(1);
    let cols = mat2.shape().last().copied().unwrap_or(1);
    let like = if mat1.is_sparse() { mat2 } else { mat1 };
    let zeros = one(
        rt,
        "aten.zeros.default",
        vec![
            IValue::IntList(vec![rows, cols]),
            IValue::Dtype(like.dtype()),
            IValue::Layout(Layout::Strided),
            IValue::Device(like.device()),
        ],
    )?;
    if mat1.is_sparse() {
        return rt.dispatch(
            "aten._sparse_addmm.default",
            vec![
                zeros.into(),
                mat1.into(),
                mat2.into(),
                IValue::Int(0),
                IValue::Int(1),
            ],
        );
    }
    let swap = |rt: &mut Runtime, t: &Tensor| {
        one(
            rt,
            "aten.transpose.int",
            vec![t.into(), IValue::Int(-2), IValue::Int(-1)],
        )
    };
    let zeros_t = swap(rt, &zeros)?;
    let mat2_t = swap(rt, mat2)?;
    let mat1_t = swap(rt, mat1)?;
    let product = one(
        rt,
        "aten._sparse_addmm.default",
        vec![
            zeros_t.into(),
            mat2_t.into(),
            mat1_t.into(),
            IValue::Int(0),
            IValue::Int(1),
        ],
    )?;
    Ok(vec![swap(rt, &product)?.into()])
}

/// `_sparse_sum(self[, dtype])` (`torch.sparse.sum` over every dimension):
/// the coalesced tensor's values summed (`sum`, with the dtype when given),
/// so duplicate entries are added first, as ATen does.
fn sparse_sum(rt: &mut Runtime, a: &Bound<'_>, dtype: Option<IValue>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if !x.is_sparse() {
        return Err(a.refuse("a strided tensor"));
    }
    let coalesced = if is_coalesced(rt, a, x)? {
        x.clone()
    } else {
        one(rt, "aten._coalesce.default", vec![x.into()])?
    };
    let values = one(rt, "aten.values.default", vec![coalesced.into()])?;
    let mut args = vec![values.into()];
    args.extend(dtype);
    rt.dispatch("aten.sum.default", args)
}

/// `self.to(dtype)` as the sparse composites convert: `self` itself when
/// it already has the dtype; a conversion (`_to_copy` of a sparse tensor)
/// is refused.
fn same_dtype(a: &Bound<'_>, x: &Tensor, dtype: &IValue) -> Result<()> {
    match dtype {
        IValue::None => Ok(()),
        IValue::Dtype(d) if *d == x.dtype() => Ok(()),
        _ => Err(a.refuse("a sparse tensor converted to another dtype")),
    }
}

/// `_sparse_sum.dim_dtype(self, dim, *, dtype)`:
/// `_sparse_sum.dim(self.to(dtype), dim)`.
fn sparse_sum_dim_dtype(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    same_dtype(a, x, a.value(2)?)?;
    rt.dispatch(
        "aten._sparse_sum.dim",
        vec![x.into(), IValue::IntList(a.ints(1)?)],
    )
}

/// `_sparse_softmax.int(self, dim, dtype)` (and log):
/// `_sparse_softmax(self.to(dtype), dim, half_to_float=False)` on CPU.
fn softmax_int(rt: &mut Runtime, a: &Bound<'_>, kernel: &str) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    same_dtype(a, x, a.value(2)?)?;
    rt.dispatch(
        kernel,
        vec![x.into(), a.value(1)?.clone(), IValue::Bool(false)],
    )
}

#[cfg(test)]
mod tests {
    //! The composites run whole, as under `inference_mode` with a dispatch
    //! mode active. Expected values observed in torch 2.15.

    use super::super::test_support::{runtime, tensor, try_call_on};
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;

    fn call(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Tensor {
        try_call_on(rt, op, args).expect("call")
    }

    fn indices() -> Tensor {
        tensor(&[2, 4], DType::Int64, &[0., 1., 2., 2., 1., 0., 2., 0.])
    }

    /// A 3×3 sparse tensor of four entries, two of them at (2, 0).
    fn with_duplicates(rt: &mut Runtime) -> Tensor {
        let values = tensor(&[4], DType::Float32, &[1., 2., 3., 4.]);
        call(
            rt,
            "aten.sparse_coo_tensor.indices_size",
            vec![
                (&indices()).into(),
                (&values).into(),
                IValue::IntList(vec![3, 3]),
            ],
        )
    }

    #[test]
    fn size_is_inferred_from_the_largest_index_and_the_dense_sizes() {
        let mut rt = runtime();
        let values = tensor(&[4, 2], DType::Float32, &[1., 2., 3., 4., 5., 6., 7., 8.]);
        let x = call(
            &mut rt,
            "aten.sparse_coo_tensor.indices",
            vec![(&indices()).into(), (&values).into()],
        );
        assert!(x.is_sparse());
        assert_eq!(x.shape(), &[3, 3, 2]);
        let dense = call(&mut rt, "aten.to_dense.default", vec![(&x).into()]);
        let d = dense.to_f64_vec().expect("values");
        // (0, 1) holds [1, 2]; (2, 0) holds [7, 8]
        assert_eq!(&d[2..4], &[1., 2.]);
        assert_eq!(&d[12..14], &[7., 8.]);
    }

    #[test]
    fn a_negative_index_is_pytorchs_error() {
        let bad = tensor(&[1, 2], DType::Int64, &[0., -1.]);
        let values = tensor(&[2], DType::Float32, &[1., 2.]);
        let err = try_call_on(
            &mut runtime(),
            "aten.sparse_coo_tensor.indices",
            vec![(&bad).into(), (&values).into()],
        )
        .expect_err("negative index");
        assert_eq!(
            err.python_message(),
            "RuntimeError: found negative index -1 for dim 0"
        );
    }

    #[test]
    fn coalesce_adds_duplicates_once_and_then_returns_itself() {
        let mut rt = runtime();
        let x = with_duplicates(&mut rt);
        let c = call(&mut rt, "aten.coalesce.default", vec![(&x).into()]);
        assert!(!c.same_tensor(&x));
        let again = call(&mut rt, "aten.coalesce.default", vec![(&c).into()]);
        assert!(again.same_tensor(&c));
        let total = call(&mut rt, "aten._sparse_sum.default", vec![(&x).into()]);
        assert_eq!(total.to_f64_vec().expect("sum"), vec![10.]);
        let as_double = call(
            &mut rt,
            "aten._sparse_sum.dtype",
            vec![(&x).into(), IValue::Dtype(DType::Float64)],
        );
        assert_eq!(as_double.dtype(), DType::Float64);
    }

    #[test]
    fn sparse_mm_is_the_product_with_the_dense_operand() {
        let mut rt = runtime();
        let x = with_duplicates(&mut rt);
        let dense = tensor(&[3, 1], DType::Float32, &[1., 10., 100.]);
        let y = call(
            &mut rt,
            "aten._sparse_mm.default",
            vec![(&x).into(), (&dense).into()],
        );
        // rows: 0 → 1·10; 1 → 2·1; 2 → 3·100 + 4·1
        assert_eq!(y.to_f64_vec().expect("values"), vec![10., 2., 304.]);
        assert_eq!(y.stride(), &[1, 1]);
    }

    #[test]
    fn softmax_and_sum_overloads_with_a_dtype_run_their_kernels() {
        let mut rt = runtime();
        let x = with_duplicates(&mut rt);
        let soft = call(
            &mut rt,
            "aten._sparse_softmax.int",
            vec![(&x).into(), IValue::Int(-1), IValue::Dtype(DType::Float32)],
        );
        assert!(soft.is_sparse());
        // Row 2 holds (2,0) = 3 + 4 and (2,2) = 3: softmax over its entries.
        let rows = call(
            &mut rt,
            "aten._sparse_sum.dim_dtype",
            vec![
                (&soft).into(),
                IValue::IntList(vec![1]),
                IValue::Dtype(DType::Float32),
            ],
        );
        let dense = call(&mut rt, "aten.to_dense.default", vec![(&rows).into()]);
        for total in dense.to_f64_vec().expect("sums") {
            assert!((total - 1.0).abs() < 1e-6);
        }
        let log = call(
            &mut rt,
            "aten._sparse_log_softmax.int",
            vec![(&x).into(), IValue::Int(0), IValue::None],
        );
        assert!(log.is_sparse());
        let err = try_call_on(
            &mut rt,
            "aten._sparse_softmax.int",
            vec![(&x).into(), IValue::Int(1), IValue::Dtype(DType::Float64)],
        )
        .expect_err("conversion");
        assert!(err.is_capability_gap());
    }

    #[test]
    fn sparse_mm_of_a_strided_first_operand_is_column_major() {
        // torch 2.15: [[1, 10, 100]] @ the sample = [[302, 1, 0]] with
        // strides (1, 1) for one row; two rows give strides (1, 2).
        let mut rt = runtime();
        let x = with_duplicates(&mut rt);
        let dense = tensor(&[2, 3], DType::Float32, &[1., 10., 100., 0., 1., 0.]);
        let y = call(
            &mut rt,
            "aten._sparse_mm.default",
            vec![(&dense).into(), (&x).into()],
        );
        // (0,1)=1, (1,0)=2, (2,2)=3, (2,0)=4
        assert_eq!(
            y.to_f64_vec().expect("values"),
            vec![20. + 400., 1., 300., 2., 0., 0.]
        );
        assert_eq!(y.stride(), &[1, 2]);
        let err = try_call_on(
            &mut rt,
            "aten._sparse_mm.default",
            vec![(&x).into(), (&x).into()],
        )
        .expect_err("sparse @ sparse");
        assert!(err.is_capability_gap());
    }
}
