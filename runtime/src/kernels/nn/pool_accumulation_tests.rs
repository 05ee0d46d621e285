//! The order and rounding in which pooling gradients accumulate: PyTorch's
//! CPU kernels divide each output's gradient and add it to the input
//! elements it pooled in output order, rounding to the gradient's dtype at
//! every step (observed in torch 2.15 for float32, float64, bfloat16 and
//! float16, contiguous and channels-last). Each case here sends gradients
//! that cancel to one element, so a sum kept wider than the dtype and
//! rounded once gives another answer.

use super::tests::{f32s, i64s};
use crate::faults::Faults;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

fn ints(v: &[i64]) -> IValue {
    IValue::IntList(v.to_vec())
}

fn values(out: Vec<IValue>) -> Vec<f32> {
    out.into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .map(|t: Tensor| t.to_f32_vec().expect("float values"))
        .expect("a tensor result")
}

/// `max_pool2d_with_indices_backward` over a 1x3 map whose three outputs all
/// chose element 0.
fn max_pool_backward(rt: &mut Runtime, grads: [f32; 3]) -> Vec<f32> {
    let g = f32s(rt, &[1, 1, 1, 3], &grads);
    let x = f32s(rt, &[1, 1, 1, 3], &[0.0; 3]);
    let idx = i64s(rt, &[1, 1, 1, 3], &[0, 0, 0]);
    let args = vec![
        (&g).into(),
        (&x).into(),
        ints(&[1, 1]),
        ints(&[1, 1]),
        ints(&[0, 0]),
        ints(&[1, 1]),
        IValue::Bool(false),
        (&idx).into(),
    ];
    values(
        rt.call("aten.max_pool2d_with_indices_backward.default", args)
            .expect("backward"),
    )
}

#[test]
fn max_pool_gradients_add_in_output_order_in_the_dtype() {
    let mut rt = Runtime::new();
    // (0 + 1e8) + 1 rounds back to 1e8 in float32; minus 1e8 leaves 0.
    assert_eq!(max_pool_backward(&mut rt, [1e8, 1.0, -1e8]), [0.0; 3]);
    rt.set_faults(Faults {
        pool_gradient_in_double: true,
        ..Faults::default()
    });
    assert_eq!(
        max_pool_backward(&mut rt, [1e8, 1.0, -1e8]),
        [1.0, 0.0, 0.0]
    );
}

#[test]
fn average_pool_shares_are_divided_then_added_in_the_dtype() {
    let mut rt = Runtime::new();
    // Windows of 3 over a 1x3 map padded by one on each side: the middle
    // element gets 3e8/3, 3/3 and -3e8/3 in turn.
    let g = f32s(&mut rt, &[1, 1, 1, 3], &[3e8, 3.0, -3e8]);
    let x = f32s(&mut rt, &[1, 1, 1, 3], &[0.0; 3]);
    let args = vec![
        (&g).into(),
        (&x).into(),
        ints(&[1, 3]),
        ints(&[1, 1]),
        ints(&[0, 1]),
        IValue::Bool(false),
        IValue::Bool(true),
        IValue::None,
    ];
    let dx = values(
        rt.call("aten.avg_pool2d_backward.default", args)
            .expect("backward"),
    );
    assert_eq!(dx, [1e8, 0.0, -1e8]);
}

#[test]
fn adaptive_average_gradients_divide_by_each_extent_in_turn() {
    let mut rt = Runtime::new();
    // PyTorch computes 5 / 3 / 3 in float32: 0.555555522 (0x3f0e38e3),
    // where 5 / 9 rounds to 0.555555582 (0x3f0e38e4).
    let in_turn = f32::from_bits(0x3f0e_38e3);
    let g = f32s(&mut rt, &[1, 1, 1, 1], &[5.0]);
    let x = f32s(&mut rt, &[1, 1, 3, 3], &[0.0; 9]);
    let dx = values(
        rt.call(
            "aten._adaptive_avg_pool2d_backward.default",
            vec![(&g).into(), (&x).into()],
        )
        .expect("backward"),
    );
    assert_eq!(dx, [in_turn; 9]);
    assert_ne!(in_turn, (5.0_f64 / 9.0) as f32);
}
