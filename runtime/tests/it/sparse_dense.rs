//! A sparse COO tensor made dense (`to_dense` → `_to_dense`) and its
//! gradient (ToDenseBackward0 → `to_dense_backward`), against torch 2.15:
//!
//! ```python
//! i = torch.tensor([[0, 1, 2, 1, 0], [1, 2, 0, 2, 1]])
//! w = torch.tensor([0.5, 1.0, -2.0, 0.25, 1e8], requires_grad=True)
//! d = torch.sparse_coo_tensor(i, w, (3, 3)).to_dense()
//! # [[0, 1e8, 0], [0, 0, 1.25], [-2, 0, 0]], strides (3, 1)
//! (d * torch.arange(9.).view(3, 3)).sum().backward()
//! # w.grad == [1, 5, 6, 5, 1]
//! ```

use ft_runtime::{DType, Device, IValue, Layout, Runtime, Tensor};

use crate::common::{assert_close, call1, tensor, values};

fn sparse(rt: &mut Runtime, idx: &[i64], sparse_dim: i64, vals: &Tensor, size: &[i64]) -> Tensor {
    sparse_flagged(rt, idx, sparse_dim, vals, size, IValue::None)
}

fn sparse_flagged(
    rt: &mut Runtime,
    idx: &[i64],
    sparse_dim: i64,
    vals: &Tensor,
    size: &[i64],
    coalesced: IValue,
) -> Tensor {
    let nnz = idx.len() as i64 / sparse_dim;
    let bytes: Vec<u8> = idx.iter().flat_map(|v| v.to_le_bytes()).collect();
    let indices = rt
        .introduce_tensor("int64", &[sparse_dim, nnz], &[nnz, 1], 0, &bytes, false)
        .expect("indices");
    let dense_dim = size.len() as i64 - sparse_dim;
    call1(
        rt,
        "aten._sparse_coo_tensor_with_dims_and_tensors.default",
        vec![
            IValue::Int(sparse_dim),
            IValue::Int(dense_dim),
            size.into(),
            indices.into(),
            vals.into(),
            IValue::Dtype(DType::Float32),
            IValue::Layout(Layout::SparseCoo),
            IValue::Device(Device::Cpu),
            IValue::None,
            coalesced,
        ],
    )
}

#[test]
fn to_dense_sums_duplicates_in_entry_order_and_masks_the_gradient() {
    let mut rt = Runtime::new();
    let w = tensor(&mut rt, &[5], &[0.5, 1.0, -2.0, 0.25, 1e8], true);
    let s = sparse(&mut rt, &[0, 1, 2, 1, 0, 1, 2, 0, 2, 1], 2, &w, &[3, 3]);
    let d = call1(
        &mut rt,
        "aten.to_dense.default",
        vec![s.into(), IValue::None, IValue::None],
    );
    // 0.5 + 1e8 rounds to 1e8 in float32.
    assert_close(
        &values(&d),
        &[0.0, 1e8, 0.0, 0.0, 0.0, 1.25, -2.0, 0.0, 0.0],
    );
    assert_eq!(d.stride(), &[3, 1]);
    let k = tensor(
        &mut rt,
        &[3, 3],
        &[0., 1., 2., 3., 4., 5., 6., 7., 8.],
        false,
    );
    let prod = call1(&mut rt, "aten.mul.Tensor", vec![d.into(), k.into()]);
    let loss = call1(&mut rt, "aten.sum.default", vec![prod.into(), IValue::None]);
    rt.backward(std::slice::from_ref(&loss), &[None], false, false)
        .expect("backward");
    assert_close(
        &values(&w.grad().expect("w grad")),
        &[1.0, 5.0, 6.0, 5.0, 1.0],
    );
}

#[test]
fn to_dense_of_a_hybrid_tensor_adds_value_rows() {
    // torch.sparse_coo_tensor([[2, 0, 2]], [[1, 2], [3, 4], [5, 6]], (3, 2)).to_dense()
    let mut rt = Runtime::new();
    let v = tensor(&mut rt, &[3, 2], &[1., 2., 3., 4., 5., 6.], false);
    let s = sparse(&mut rt, &[2, 0, 2], 1, &v, &[3, 2]);
    let d = call1(
        &mut rt,
        "aten._to_dense.default",
        vec![s.into(), IValue::None, IValue::None],
    );
    assert_close(&values(&d), &[3., 4., 0., 0., 6., 8.]);
}

#[test]
fn to_dense_refuses_a_dtype_with_pytorchs_message() {
    let mut rt = Runtime::new();
    let v = tensor(&mut rt, &[1], &[1.0], false);
    let s = sparse(&mut rt, &[0], 1, &v, &[2]);
    let err = rt
        .call(
            "aten._to_dense.default",
            vec![s.into(), IValue::Dtype(DType::Float64), IValue::None],
        )
        .expect_err("dtype refused");
    assert!(
        err.to_string()
            .contains("dtype argument is not supported by sparse_to_dense"),
        "{err}"
    );
}

#[test]
fn values_of_a_coalesced_tensor_pass_the_gradient_back_as_values() {
    // c = torch.sparse_coo_tensor([[0, 1, 2], [1, 2, 0]], w, (3, 3), is_coalesced=True)
    // (c.values() * torch.tensor([1., 2., 3.])).sum().backward()  # w.grad == [1, 2, 3]
    // torch.sparse_coo_tensor([[1, 0]], torch.ones(2), (2,)).values()  # raises
    let mut rt = Runtime::new();
    let w = tensor(&mut rt, &[3], &[0.5, -1.0, 2.0], true);
    let c = sparse_flagged(
        &mut rt,
        &[0, 1, 2, 1, 2, 0],
        2,
        &w,
        &[3, 3],
        IValue::Bool(true),
    );
    let v = call1(&mut rt, "aten.values.default", vec![c.into()]);
    assert_close(&values(&v), &[0.5, -1.0, 2.0]);
    let k = tensor(&mut rt, &[3], &[1., 2., 3.], false);
    let prod = call1(&mut rt, "aten.mul.Tensor", vec![v.into(), k.into()]);
    let loss = call1(&mut rt, "aten.sum.default", vec![prod.into(), IValue::None]);
    rt.backward(std::slice::from_ref(&loss), &[None], false, false)
        .expect("backward");
    assert_close(&values(&w.grad().expect("w grad")), &[1.0, 2.0, 3.0]);

    let ones = tensor(&mut rt, &[2], &[1.0, 1.0], false);
    let u = sparse(&mut rt, &[1, 0], 1, &ones, &[2]);
    let err = rt
        .call("aten.values.default", vec![u.into()])
        .expect_err("uncoalesced");
    assert!(
        err.to_string()
            .contains("Cannot get values on an uncoalesced tensor"),
        "{err}"
    );
}
