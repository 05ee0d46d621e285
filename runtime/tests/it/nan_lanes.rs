//! Activation backward kernels whose vectorised and scalar CPU loops take
//! a NaN input differently, and their boundaries, against values measured
//! from torch 2.15 (x86, AVX512) with float32 operands.

use ft_runtime::IValue;

use crate::common::{call1, tensor, values};

#[test]
fn hardtanh_backward_zeroes_nan_in_whole_vectors_only() {
    // torch.ops.aten.hardtanh_backward(ones(40), full((40,), nan), -1, 1):
    // the first 32 elements (two vectors of 16) are 0, the last 8 pass the
    // gradient through.
    let mut rt = ft_runtime::Runtime::new();
    let g = tensor(&mut rt, &[40], &[1.0; 40], false);
    let x = tensor(&mut rt, &[40], &[f32::NAN; 40], false);
    let r = call1(
        &mut rt,
        "aten.hardtanh_backward.default",
        vec![
            (&g).into(),
            (&x).into(),
            IValue::Float(-1.0),
            IValue::Float(1.0),
        ],
    );
    let v = values(&r);
    assert!(v[..32].iter().all(|&e| e == 0.0), "{v:?}");
    assert!(v[32..].iter().all(|&e| e == 1.0), "{v:?}");
}

#[test]
fn elu_backward_gives_nan_in_chunks_of_two_vectors() {
    // elu_backward(ones(40), 1, 1, 1, False, full((40,), nan)): NaN for the
    // first 32 (one chunk of 2 x 16), the gradient times 1 for the rest.
    let mut rt = ft_runtime::Runtime::new();
    let g = tensor(&mut rt, &[40], &[1.0; 40], false);
    let x = tensor(&mut rt, &[40], &[f32::NAN; 40], false);
    let r = call1(
        &mut rt,
        "aten.elu_backward.default",
        vec![
            (&g).into(),
            IValue::Float(1.0),
            IValue::Float(1.0),
            IValue::Float(1.0),
            IValue::Bool(false),
            (&x).into(),
        ],
    );
    let v = values(&r);
    assert!(v[..32].iter().all(|e| e.is_nan()), "{v:?}");
    assert!(v[32..].iter().all(|&e| e == 1.0), "{v:?}");
}

#[test]
fn hardswish_backward_is_zero_at_minus_three_and_the_gradient_at_three() {
    // hardswish_backward(full((3,), 2.), tensor([-3., 3., 0.])) == [0, 2, 1]
    let mut rt = ft_runtime::Runtime::new();
    let g = tensor(&mut rt, &[3], &[2.0; 3], false);
    let x = tensor(&mut rt, &[3], &[-3.0, 3.0, 0.0], false);
    let r = call1(
        &mut rt,
        "aten.hardswish_backward.default",
        vec![(&g).into(), (&x).into()],
    );
    assert_eq!(values(&r), vec![0.0, 2.0, 1.0]);
}
