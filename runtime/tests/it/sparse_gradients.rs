//! Sparse COO gradients of training code, against torch 2.15:
//! `embedding(..., padding_idx=p, sparse=True)` drops the lookups of row
//! `p` (an all-padding batch gives a gradient without entries), and `neg`
//! of a sparse gradient (SparseAdam's `maximize`) keeps it uncoalesced.
//!
//! ```python
//! w = torch.arange(15.).view(5, 3).requires_grad_()
//! out = F.embedding(torch.tensor([[1, 2], [2, 4]]), w, padding_idx=2, sparse=True)
//! (out * torch.arange(12.).view(2, 2, 3)).sum().backward()
//! # w.grad: indices [[1, 4]], values [[0, 1, 2], [9, 10, 11]], uncoalesced
//! F.embedding(torch.tensor([[2]]), w, padding_idx=2, sparse=True).sum().backward()
//! # w.grad: indices of size (1, 0), values of size (0, 3), coalesced
//! s = torch.sparse_coo_tensor([[2, 0, 2]], [[1., -2.], [3., 4.], [-5., 6.]], (3, 2))
//! -s  # indices [[2, 0, 2]], values [[-1, 2], [-3, -4], [5, -6]], uncoalesced
//! ```

use ft_runtime::{IValue, Runtime, Tensor};

use crate::common::{call1, tensor, values};

fn int64(rt: &mut Runtime, shape: &[i64], data: &[i64]) -> Tensor {
    let mut strides = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1].max(1);
    }
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    rt.introduce_tensor("int64", shape, &strides, 0, &bytes, false)
        .expect("int64 tensor")
}

/// The indices, values and coalesced flag of a sparse tensor.
fn parts(rt: &mut Runtime, s: &Tensor) -> (Vec<i64>, Tensor, bool) {
    let indices = call1(rt, "aten._indices.default", vec![s.into()]);
    let vals = call1(rt, "aten._values.default", vec![s.into()]);
    let coalesced = match rt.call("aten.is_coalesced.default", vec![s.into()]) {
        Ok(out) => matches!(out.first(), Some(IValue::Bool(true))),
        Err(e) => panic!("is_coalesced: {e}"),
    };
    (indices.to_i64_vec().expect("indices"), vals, coalesced)
}

fn sparse_embedding(rt: &mut Runtime, w: &Tensor, idx: &Tensor) -> Tensor {
    call1(
        rt,
        "aten.embedding.default",
        vec![
            w.into(),
            idx.into(),
            IValue::Int(2),
            IValue::Bool(false),
            IValue::Bool(true),
        ],
    )
}

#[test]
fn sparse_embedding_gradient_drops_the_padding_lookups() {
    let mut rt = Runtime::new();
    let table: Vec<f32> = (0..15).map(|i| i as f32).collect();
    let w = tensor(&mut rt, &[5, 3], &table, true);
    let idx = int64(&mut rt, &[2, 2], &[1, 2, 2, 4]);
    let out = sparse_embedding(&mut rt, &w, &idx);
    let k: Vec<f32> = (0..12).map(|i| i as f32).collect();
    let k = tensor(&mut rt, &[2, 2, 3], &k, false);
    let prod = call1(&mut rt, "aten.mul.Tensor", vec![out.into(), k.into()]);
    let loss = call1(&mut rt, "aten.sum.default", vec![prod.into(), IValue::None]);
    rt.backward(std::slice::from_ref(&loss), &[None], false, false)
        .expect("backward");
    let grad = w.grad().expect("w grad");
    assert_eq!(grad.shape(), &[5, 3]);
    let (indices, vals, coalesced) = parts(&mut rt, &grad);
    // Lookups 1 and 4 keep their gradient rows k[0, 0] and k[1, 1].
    assert_eq!(indices, vec![1, 4]);
    assert_eq!(values(&vals), vec![0., 1., 2., 9., 10., 11.]);
    assert!(!coalesced);
}

#[test]
fn an_all_padding_batch_gives_a_gradient_without_entries() {
    let mut rt = Runtime::new();
    let w = tensor(&mut rt, &[5, 3], &[1.0; 15], true);
    let idx = int64(&mut rt, &[1, 1], &[2]);
    let out = sparse_embedding(&mut rt, &w, &idx);
    let loss = call1(&mut rt, "aten.sum.default", vec![out.into(), IValue::None]);
    rt.backward(std::slice::from_ref(&loss), &[None], false, false)
        .expect("backward");
    let grad = w.grad().expect("w grad");
    let (indices, vals, coalesced) = parts(&mut rt, &grad);
    assert!(indices.is_empty());
    assert_eq!(vals.shape(), &[0, 3]);
    assert!(coalesced);
}

#[test]
fn neg_of_an_uncoalesced_tensor_negates_the_values_in_entry_order() {
    let mut rt = Runtime::new();
    let v = tensor(&mut rt, &[3, 2], &[1., -2., 3., 4., -5., 6.], false);
    let indices = int64(&mut rt, &[1, 3], &[2, 0, 2]);
    let s = call1(
        &mut rt,
        "aten._sparse_coo_tensor_with_dims_and_tensors.default",
        vec![
            IValue::Int(1),
            IValue::Int(1),
            (&[3i64, 2][..]).into(),
            indices.into(),
            v.into(),
            IValue::Dtype(ft_runtime::DType::Float32),
            IValue::Layout(ft_runtime::Layout::SparseCoo),
            IValue::Device(ft_runtime::Device::Cpu),
            IValue::None,
            IValue::None,
        ],
    );
    let n = call1(&mut rt, "aten.neg.default", vec![s.into()]);
    let (indices, vals, coalesced) = parts(&mut rt, &n);
    assert_eq!(indices, vec![2, 0, 2]);
    assert_eq!(values(&vals), vec![-1., 2., -3., -4., 5., -6.]);
    assert!(!coalesced);
}
