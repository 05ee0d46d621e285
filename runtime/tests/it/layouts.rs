//! Result layouts of `preserve_format` copies (observed in torch 2.15): a
//! non-overlapping dense input keeps its strides; any other strided input
//! gets dense strides in its own dim order (`infer_dense_strides`), not
//! row-major ones — `_to_copy`, `clone` and `empty_like` alike.

use ft_runtime::{DType, IValue, Runtime};

use crate::common::call1;

/// The transposed head split of attention (`qkv.split(C, 2)`, `view`,
/// `transpose(1, 2)`): shape (2, 2, 4, 4), strides (96, 4, 24, 1).
fn head_split(rt: &mut Runtime) -> ft_runtime::Tensor {
    let values: Vec<f32> = (0..64).map(|i| i as f32).collect();
    rt.introduce_tensor_f32(&[2, 2, 4, 4], &[96, 4, 24, 1], 0, &values, false)
        .expect("introduce tensor")
}

#[test]
fn copies_of_a_non_dense_tensor_keep_its_dim_order() {
    let mut rt = Runtime::new();
    let x = head_split(&mut rt);
    let to_f64 = call1(
        &mut rt,
        "aten._to_copy.default",
        vec![x.clone().into(), IValue::Dtype(DType::Float64)],
    );
    assert_eq!(to_f64.stride(), &[32, 4, 8, 1]);
    let clone = call1(&mut rt, "aten.clone.default", vec![x.clone().into()]);
    assert_eq!(clone.stride(), &[32, 4, 8, 1]);
    let empty = call1(&mut rt, "aten.empty_like.default", vec![x.clone().into()]);
    assert_eq!(empty.stride(), &[32, 4, 8, 1]);
    // The values are the input's, element for element.
    assert_eq!(
        clone.to_f64_vec().expect("values"),
        x.to_f64_vec().expect("values")
    );
}

#[test]
fn copies_of_an_expanded_tensor_are_laid_out_in_place() {
    let mut rt = Runtime::new();
    let values = [0.0f32; 40];
    // torch.randn(4, 1, 3)[:, :, :2].expand(4, 5, 2): strides (3, 0, 1).
    let x = rt
        .introduce_tensor_f32(&[4, 5, 2], &[3, 0, 1], 0, &values, false)
        .expect("introduce tensor");
    let clone = call1(&mut rt, "aten.clone.default", vec![x.into()]);
    assert_eq!(clone.stride(), &[10, 2, 1]);
}
