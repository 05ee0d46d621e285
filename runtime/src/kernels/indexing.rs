//! CPU (and meta) kernels of the shape, view, joining and indexing operators.
//!
//! Views live in [`super::view`], `cat` and `stack` in [`super::join`]; the
//! element-moving kernels are here, one submodule per group. They are
//! dtype-agnostic: elements travel as [`Elems`] (f64 for floating dtypes,
//! exact i64 otherwise), and results are contiguous unless noted.

mod advanced;
mod diag;
mod elems;
mod embedding;
mod gather;
mod layout;
mod masked;
mod packed;
mod repeat_interleave;
mod take_put;
mod tri;

pub(crate) use elems::{Elems, output, write};

use super::{Kernel, join, view};

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.transpose.int" => view::transpose,
        "aten.permute.default" => view::permute,
        "aten.alias.default" => view::alias,
        "aten._unsafe_view.default" => view::unsafe_view,
        "aten.slice.Tensor" => view::slice,
        "aten.split.Tensor" => view::split,
        "aten.split_with_sizes.default" => view::split_with_sizes,
        "aten.unbind.int" => view::unbind,
        "aten.unsafe_split.Tensor" => view::unsafe_split,
        "aten.unsafe_split_with_sizes.default" => view::unsafe_split_with_sizes,
        "aten.squeeze.default" => view::squeeze,
        "aten.squeeze.dims" => view::squeeze_dims,
        "aten.cat.default" => join::cat,
        "aten.slice_backward.default" => layout::slice_backward,
        "aten.repeat.default" => layout::repeat,
        "aten.flip.default" => layout::flip,
        "aten.roll.default" => layout::roll,
        "aten.unfold.default" => view::unfold,
        "aten.unfold_backward.default" => layout::unfold_backward,
        "aten.diagonal.default" => diag::diagonal,
        "aten.diagonal_copy.default" => diag::diagonal_copy,
        "aten.diagonal_backward.default" => diag::diagonal_backward,
        "aten.diagonal_scatter.default" => diag::diagonal_scatter,
        "aten.diag_embed.default" => diag::diag_embed,
        "aten.tril.default" => tri::tril,
        "aten.triu.default" => tri::triu,
        "aten.tril_.default" => tri::tril_,
        "aten.triu_.default" => tri::triu_,
        "aten.gather.default" => gather::gather,
        "aten.scatter.src" => gather::scatter_src,
        "aten.scatter.value" => gather::scatter_value,
        "aten.scatter_add.default" => gather::scatter_add,
        "aten.scatter_.src" => gather::scatter_src_,
        "aten.scatter_.value" => gather::scatter_value_,
        "aten.scatter_add_.default" => gather::scatter_add_,
        "aten.index_select.default" => gather::index_select,
        "aten.repeat_interleave.Tensor" => repeat_interleave::repeat_interleave,
        "aten.index_add.default" => gather::index_add,
        "aten.index_add_.default" => gather::index_add_,
        "aten.index_copy.default" => gather::index_copy,
        "aten.index_copy_.default" => gather::index_copy_,
        "aten.index_fill.int_Scalar" => gather::index_fill,
        "aten.index_fill_.int_Scalar" => gather::index_fill_,
        "aten.index_fill.int_Tensor" => gather::index_fill,
        "aten.index_fill_.int_Tensor" => gather::index_fill_,
        "aten.take.default" => take_put::take,
        "aten.put_.default" => take_put::put_,
        "aten.put.default" => take_put::put,
        "aten.masked_select.default" => masked::masked_select,
        "aten.masked_scatter.default" => masked::masked_scatter,
        "aten.masked_scatter_backward.default" => masked::masked_scatter_backward,
        "aten.nonzero.default" => masked::nonzero,
        "aten.index.Tensor" => advanced::index,
        "aten.index_put.default" => advanced::index_put,
        "aten.index_put_.default" => advanced::index_put_,
        "aten.embedding.default" => embedding::embedding,
        "aten.embedding_dense_backward.default" => embedding::embedding_dense_backward,
        "aten._embedding_bag.default" | "aten._embedding_bag_forward_only.default" => {
            embedding::embedding_bag
        }
        "aten._embedding_bag_backward.default" => embedding::embedding_bag_backward,
        "aten._embedding_bag_per_sample_weights_backward.default" => {
            embedding::embedding_bag_per_sample_weights_backward
        }
        "aten._pack_padded_sequence.default" => packed::pack_padded_sequence,
        _ => return None,
    })
}

/// Row-major multi-index helpers shared by the submodules.
mod coords {
    use crate::tensor::strides::contiguous_strides;

    /// The contiguous strides of `shape` as `usize`.
    pub(super) fn strides(shape: &[i64]) -> Vec<usize> {
        contiguous_strides(shape)
            .into_iter()
            .map(|s| s.max(0) as usize)
            .collect()
    }

    /// The multi-index of logical position `p` in `shape`.
    pub(super) fn unravel(mut p: usize, shape: &[i64]) -> Vec<usize> {
        let mut out = vec![0; shape.len()];
        for (slot, &s) in out.iter_mut().zip(shape).rev() {
            let s = s.max(1) as usize;
            *slot = p % s;
            p /= s;
        }
        out
    }

    /// The logical position of `index` under contiguous `strides`.
    pub(super) fn ravel(index: &[usize], strides: &[usize]) -> usize {
        index.iter().zip(strides).map(|(i, s)| i * s).sum()
    }

    /// For every element of `to` (row-major), the position of the element
    /// of a `from`-shaped tensor broadcast to it (`from` aligned right).
    pub(super) fn broadcast_positions(from: &[i64], to: &[i64]) -> Vec<usize> {
        let strides = strides(from);
        let lead = to.len().saturating_sub(from.len());
        let n: usize = to.iter().map(|&s| s.max(0) as usize).product();
        (0..n)
            .map(|p| {
                let idx = unravel(p, to);
                from.iter()
                    .enumerate()
                    .map(|(k, &size)| {
                        if size == 1 {
                            0
                        } else {
                            idx[lead + k] * strides[k]
                        }
                    })
                    .sum()
            })
            .collect()
    }
}

/// Index values of an index tensor, which must be int64 or int32 (`what`
/// names the operator for PyTorch's message).
fn index_values(
    ctx: &super::KernelCtx<'_>,
    t: &crate::tensor::Tensor,
    what: &str,
) -> crate::error::Result<Vec<i64>> {
    use crate::tensor::dtype::DType;
    if !matches!(t.dtype(), DType::Int64 | DType::Int32) {
        return Err(crate::error::RuntimeError::shape(
            ctx.op,
            format!(
                "{what}(): Expected dtype int32/int64 for index but got {}",
                t.dtype().name()
            ),
        ));
    }
    if ctx.has_data() {
        t.read_i64(ctx.op)
    } else {
        Ok(Vec::new())
    }
}

/// `gather`'s and the scatter family's index dtype check: int64 or int32
/// (observed in torch 2.15: `gather`, `scatter`, `scatter_add` and
/// `scatter_reduce` take an int32 index; an int16 or uint8 one is refused
/// with "gather(): Expected dtype int32/int64 for index", the scatters all
/// saying `scatter()`). The `gather-index-int64-only` fault refuses int32
/// too.
pub(crate) fn check_gather_index(
    ctx: &super::KernelCtx<'_>,
    index: &crate::tensor::Tensor,
    what: &str,
) -> crate::error::Result<()> {
    use crate::tensor::dtype::DType;
    let int32_ok = !ctx.faults.gather_index_int64_only;
    if index.dtype() == DType::Int64 || (int32_ok && index.dtype() == DType::Int32) {
        return Ok(());
    }
    Err(crate::error::RuntimeError::shape(
        ctx.op,
        format!("{what}(): Expected dtype int32/int64 for index"),
    ))
}

/// The same error as PyTorch's `IndexError` (`TORCH_CHECK_INDEX`): kernels
/// whose out-of-range indices PyTorch reports that way (`index.Tensor`,
/// `index_put_`, `embedding`) convert [`wrap_index`]'s error with it.
pub(crate) fn as_index_error(e: crate::error::RuntimeError) -> crate::error::RuntimeError {
    match e {
        crate::error::RuntimeError::Shape { op, message } => {
            crate::error::RuntimeError::Index { op, message }
        }
        other => other,
    }
}

/// `i` wrapped into `0..size`, or PyTorch's out-of-bounds message.
fn wrap_index(op: &str, i: i64, d: usize, size: i64) -> crate::error::Result<usize> {
    let w = if i < 0 { i + size } else { i };
    if (0..size).contains(&w) {
        Ok(w as usize)
    } else {
        Err(crate::error::RuntimeError::shape(
            op,
            format!("index {i} is out of bounds for dimension {d} with size {size}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::error::RuntimeError;
    use crate::ivalue::IValue;
    use crate::kernels::view::{slice_bounds, split_lengths};
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn ints(shape: &[i64], values: &[i64]) -> Tensor {
        Tensor::from_i64("t", shape, &contiguous_strides(shape), DType::Int64, values)
            .expect("tensor")
    }

    fn floats(shape: &[i64], values: &[f64]) -> Tensor {
        Tensor::from_f64(
            "t",
            shape,
            &contiguous_strides(shape),
            DType::Float32,
            values,
        )
        .expect("tensor")
    }

    fn call(op: &str, args: Vec<IValue>) -> crate::error::Result<Tensor> {
        let out = Runtime::new().call(op, args)?;
        Ok(out[0].as_tensor().expect("tensor").clone())
    }

    fn message(e: RuntimeError) -> String {
        e.to_string()
    }

    #[test]
    fn split_and_slice_bounds_follow_pytorch() {
        assert_eq!(split_lengths("s", 5, 2).expect("ok"), vec![2, 2, 1]);
        assert_eq!(split_lengths("s", 0, 0).expect("ok"), vec![0]);
        assert_eq!(split_lengths("s", 0, 3).expect("ok"), vec![0]);
        assert!(
            message(split_lengths("s", 4, 0).expect_err("zero"))
                .contains("split_size can only be 0")
        );
        assert!(message(split_lengths("s", 4, -1).expect_err("neg")).contains("non-negative"));
        assert_eq!(slice_bounds(5, Some(-1), None), (4, 5));
        assert_eq!(slice_bounds(5, Some(7), Some(2)), (5, 5));
        assert_eq!(slice_bounds(5, None, Some(i64::MAX)), (0, 5));
        assert_eq!(slice_bounds(5, Some(-9), Some(-2)), (0, 3));
    }

    #[test]
    fn non_adjacent_advanced_indices_go_first() {
        // x[i, :, j] on a [2, 3, 4] tensor: the broadcast index shape [2]
        // comes first, then the kept dimension: result [2, 3].
        let x = ints(&[2, 3, 4], &(0..24).collect::<Vec<_>>());
        let indices = IValue::OptionalTensorList(vec![
            Some(ints(&[2], &[1, 0])),
            None,
            Some(ints(&[2], &[-1, 2])),
        ]);
        let out = call("aten.index.Tensor", vec![x.into(), indices]).expect("index");
        assert_eq!(out.shape(), &[2, 3]);
        // out[k, m] = x[i[k], m, j[k]]: x[1, m, 3] then x[0, m, 2]
        assert_eq!(
            out.to_i64_vec().expect("values"),
            vec![15, 19, 23, 2, 6, 10]
        );
    }

    #[test]
    fn masks_and_adjacent_indices_keep_their_place() {
        let x = floats(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        let mask = Tensor::from_i64("m", &[3], &[1], DType::Bool, &[1, 0, 1]).expect("mask");
        let indices = IValue::OptionalTensorList(vec![None, Some(mask)]);
        let out = call("aten.index.Tensor", vec![x.into(), indices]).expect("index");
        assert_eq!(out.shape(), &[2, 2]);
        assert_eq!(out.to_f64_vec().expect("values"), vec![1., 3., 4., 6.]);
    }

    #[test]
    fn index_errors_carry_pytorch_messages() {
        let x = floats(&[2, 3], &[0.; 6]);
        let too_many = IValue::TensorList(vec![ints(&[1], &[0]); 3]);
        let e = call("aten.index.Tensor", vec![x.clone().into(), too_many]).expect_err("too many");
        assert!(message(e).contains("too many indices for tensor of dimension 2 (got 3)"));
        let out_of_range = IValue::TensorList(vec![ints(&[1], &[2])]);
        let e = call("aten.index.Tensor", vec![x.clone().into(), out_of_range]).expect_err("range");
        assert!(message(e).contains("index 2 is out of bounds for dimension 0 with size 2"));
        let e = call(
            "aten.gather.default",
            vec![x.into(), IValue::Int(1), ints(&[2, 1], &[0, -1]).into()],
        )
        .expect_err("negative gather index");
        assert!(message(e).contains("index -1 is out of bounds for dimension 1 with size 3"));
    }

    #[test]
    fn int64_values_move_exactly() {
        let big = (1i64 << 60) + 1;
        let x = ints(&[2, 2], &[big, 3, -7, big - 2]);
        let out = call(
            "aten.gather.default",
            vec![
                x.clone().into(),
                IValue::Int(1),
                ints(&[2, 1], &[0, 1]).into(),
            ],
        )
        .expect("gather");
        assert_eq!(out.to_i64_vec().expect("values"), vec![big, big - 2]);
        let joined = call(
            "aten.cat.default",
            vec![IValue::TensorList(vec![x.clone(), x]), IValue::Int(1)],
        )
        .expect("cat");
        assert_eq!(joined.dtype(), DType::Int64);
        assert_eq!(joined.shape(), &[2, 4]);
        assert_eq!(joined.to_i64_vec().expect("values")[2], big);
    }

    #[test]
    fn cat_skips_legacy_empty_inputs_but_promotes_over_them() {
        let a = ints(&[2, 2], &[1, 2, 3, 4]);
        let empty = floats(&[0], &[]);
        let out = call(
            "aten.cat.default",
            vec![IValue::TensorList(vec![a, empty]), IValue::Int(1)],
        )
        .expect("cat");
        assert_eq!(out.shape(), &[2, 2]);
        assert_eq!(out.dtype(), DType::Float32);
        let e = call(
            "aten.cat.default",
            vec![
                IValue::TensorList(vec![ints(&[2, 2], &[0; 4]), ints(&[3, 3], &[0; 9])]),
                IValue::Int(0),
            ],
        )
        .expect_err("mismatch");
        assert!(message(e).contains("Sizes of tensors must match except in dimension 0"));
    }

    #[test]
    fn nonzero_is_column_major_and_diag_embed_places_the_diagonal() {
        let x = ints(&[2, 3], &[0, 1, 2, 3, 0, 0]);
        let nz = call("aten.nonzero.default", vec![x.into()]).expect("nonzero");
        assert_eq!((nz.shape(), nz.stride()), (&[3i64, 2][..], &[1i64, 3][..]));
        assert_eq!(nz.to_i64_vec().expect("values"), vec![0, 1, 0, 2, 1, 0]);
        let v = floats(&[2], &[5., 7.]);
        let m =
            call("aten.diag_embed.default", vec![v.into(), IValue::Int(1)]).expect("diag_embed");
        assert_eq!(m.shape(), &[3, 3]);
        assert_eq!(
            m.to_f64_vec().expect("values"),
            vec![0., 5., 0., 0., 0., 7., 0., 0., 0.]
        );
        let d = call(
            "aten.diagonal_copy.default",
            vec![m.into(), IValue::Int(1), IValue::Int(0), IValue::Int(1)],
        )
        .expect("diagonal_copy");
        assert_eq!(d.to_f64_vec().expect("values"), vec![5., 7.]);
    }

    #[test]
    fn index_add_checks_the_source_shape() {
        let x = floats(&[4, 3], &[0.; 12]);
        let e = call(
            "aten.index_add.default",
            vec![
                x.clone().into(),
                IValue::Int(0),
                ints(&[2], &[0, 1]).into(),
                floats(&[3, 3], &[1.; 9]).into(),
            ],
        )
        .expect_err("count");
        assert!(
            message(e).contains("Number of indices (2) should be equal to source.size(dim) (3)")
        );
        let e = call(
            "aten.index_add.default",
            vec![
                x.into(),
                IValue::Int(0),
                ints(&[2], &[0, 1]).into(),
                floats(&[2, 5], &[1.; 10]).into(),
            ],
        )
        .expect_err("shape");
        assert!(message(e).contains("source tensor shape must match self tensor shape"));
    }

    #[test]
    fn views_share_storage_and_unsafe_view_has_its_own_version() {
        let x = floats(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        let t = call(
            "aten.transpose.int",
            vec![x.clone().into(), IValue::Int(0), IValue::Int(-1)],
        )
        .expect("transpose");
        assert_eq!((t.shape(), t.stride()), (&[3i64, 2][..], &[1i64, 3][..]));
        assert!(t.shares_storage(&x));
        let s = call(
            "aten.slice.Tensor",
            vec![
                x.clone().into(),
                IValue::Int(1),
                IValue::Int(1),
                IValue::None,
                IValue::Int(2),
            ],
        )
        .expect("slice");
        assert_eq!(
            (s.shape(), s.stride(), s.storage_offset()),
            (&[2i64, 1][..], &[3i64, 2][..], 1)
        );
        let u = call(
            "aten._unsafe_view.default",
            vec![x.clone().into(), vec![6i64].into()],
        )
        .expect("unsafe view");
        assert!(u.shares_storage(&x));
        x.0.version.bump();
        assert_eq!((x.version(), u.version()), (1, 0));
    }

    #[test]
    fn embedding_bag_bookkeeping_follows_the_cpu_kernel() {
        // weight rows r = [r, 10 r]; bags [1, 2, 2] and [7, 0, 3, 9] (the
        // last bag runs to the end of indices).
        let w: Vec<f64> = (0..10).flat_map(|r| [r as f64, 10.0 * r as f64]).collect();
        let weight = floats(&[10, 2], &w);
        let idx = ints(&[7], &[1, 2, 2, 7, 0, 3, 9]);
        let offsets = ints(&[2], &[0, 3]);
        let run = |mode: i64, padding_idx: i64| {
            Runtime::new()
                .call(
                    "aten._embedding_bag.default",
                    vec![
                        IValue::from(&weight),
                        IValue::from(&idx),
                        IValue::from(&offsets),
                        IValue::Bool(false),
                        IValue::Int(mode),
                        IValue::Bool(false),
                        IValue::None,
                        IValue::Bool(false),
                        IValue::Int(padding_idx),
                    ],
                )
                .expect("embedding_bag")
                .iter()
                .map(|v| v.as_tensor().expect("tensor").clone())
                .collect::<Vec<_>>()
        };
        // sum on the float32 fast path: no offset2bag, zero bag sizes.
        let sum = run(0, -1);
        assert_eq!(
            sum[0].read_f64("t").expect("out"),
            vec![5.0, 50.0, 19.0, 190.0]
        );
        assert_eq!(sum[1].shape(), &[0]);
        assert_eq!(sum[2].read_i64("t").expect("sizes"), vec![0, 0]);
        // mean leaving out padding row 2: bag sizes 1 and 4, copied to max_indices.
        let mean = run(1, 2);
        assert_eq!(
            mean[0].read_f64("t").expect("out"),
            vec![1.0, 10.0, 4.75, 47.5]
        );
        assert_eq!(
            mean[1].read_i64("t").expect("bags"),
            vec![0, 0, 0, 1, 1, 1, 1]
        );
        assert_eq!(mean[2].read_i64("t").expect("sizes"), vec![1, 4]);
        assert_eq!(mean[3].read_i64("t").expect("max"), vec![1, 4]);
        // max: per-column arg-max rows.
        let max = run(2, -1);
        assert_eq!(
            max[0].read_f64("t").expect("out"),
            vec![2.0, 20.0, 9.0, 90.0]
        );
        assert_eq!(max[3].read_i64("t").expect("arg"), vec![2, 2, 9, 9]);
    }

    #[test]
    fn embedding_gradient_rounds_after_every_occurrence() {
        // Three occurrences of row 0: 1 + 2^-8 + 2^-8 stays 1 in bfloat16
        // (each add rounds to even), float16 and float32 keep 1 + 2^-7
        // (torch 2.15's embedding_dense_backward on these values).
        let g = [
            1.0, 3.0, 0.00390625, 0.0078125, 0.00390625, 0.0078125, 0.5, 0.25,
        ];
        let idx = ints(&[4], &[0, 0, 0, 2]);
        let expected = [
            (DType::BFloat16, [1.0, 3.0]),
            (DType::Float16, [1.0078125, 3.015625]),
            (DType::Float32, [1.0078125, 3.015625]),
        ];
        for (dtype, row0) in expected {
            let grad = Tensor::from_f64("g", &[4, 2], &contiguous_strides(&[4, 2]), dtype, &g)
                .expect("grad");
            let out = call(
                "aten.embedding_dense_backward.default",
                vec![
                    grad.into(),
                    idx.clone().into(),
                    IValue::Int(3),
                    IValue::Int(-1),
                    IValue::Bool(false),
                ],
            )
            .expect("backward");
            assert_eq!(out.dtype(), dtype);
            let v = out.read_f64("t").expect("values");
            assert_eq!(v, vec![row0[0], row0[1], 0.0, 0.0, 0.5, 0.25], "{dtype:?}");
        }
        // scale_grad_by_freq in bfloat16: the scale 1/3 is bfloat16(1/3) =
        // 0.333984375 and each scaled occurrence rounds into the row; row 0
        // is the padding row.
        let grad = Tensor::from_f64(
            "g",
            &[4, 1],
            &[1, 1],
            DType::BFloat16,
            &[1.0, 0.0078125, 0.0078125, 1.0],
        )
        .expect("grad");
        let out = call(
            "aten.embedding_dense_backward.default",
            vec![
                grad.into(),
                ints(&[4], &[1, 1, 1, 0]).into(),
                IValue::Int(2),
                IValue::Int(0),
                IValue::Bool(true),
            ],
        )
        .expect("backward");
        assert_eq!(out.read_f64("t").expect("values"), vec![0.0, 0.337890625]);
    }

    #[test]
    fn a_0d_index_names_its_coordinate_along_dim() {
        // PyTorch's ensure_nonempty_dim: a 0-dim index is a one-element
        // vector, so zeros(5).scatter_(0, tensor(3), 1.) sets element 3.
        let label = || ints(&[], &[3]);
        let out = call(
            "aten.scatter_.value",
            vec![
                floats(&[5], &[0.0; 5]).into(),
                IValue::Int(0),
                label().into(),
                IValue::Float(1.0),
            ],
        )
        .expect("scatter_");
        assert_eq!(
            out.read_f64("t").expect("values"),
            vec![0.0, 0.0, 0.0, 1.0, 0.0]
        );
        let out = call(
            "aten.scatter_add.default",
            vec![
                floats(&[5], &[1.0; 5]).into(),
                IValue::Int(0),
                label().into(),
                floats(&[], &[2.0]).into(),
            ],
        )
        .expect("scatter_add");
        assert_eq!(
            out.read_f64("t").expect("values"),
            vec![1.0, 1.0, 1.0, 3.0, 1.0]
        );
        let out = call(
            "aten.gather.default",
            vec![
                floats(&[5], &[0.0, 1.0, 2.0, 3.0, 4.0]).into(),
                IValue::Int(0),
                label().into(),
            ],
        )
        .expect("gather");
        assert!(out.shape().is_empty());
        assert_eq!(out.read_f64("t").expect("values"), vec![3.0]);
        let out = call(
            "aten.scatter_reduce.two",
            vec![
                floats(&[5], &[0.0; 5]).into(),
                IValue::Int(0),
                label().into(),
                floats(&[], &[7.0]).into(),
                IValue::Str("amax".into()),
            ],
        )
        .expect("scatter_reduce");
        assert_eq!(
            out.read_f64("t").expect("values"),
            vec![0.0, 0.0, 0.0, 7.0, 0.0]
        );
        let err = call(
            "aten.scatter_.value",
            vec![
                floats(&[5], &[0.0; 5]).into(),
                IValue::Int(0),
                ints(&[], &[5]).into(),
                IValue::Float(1.0),
            ],
        )
        .expect_err("out of range");
        assert!(message(err).contains("index 5 is out of bounds for dimension 0 with size 5"));
    }
}
