//! Gradient values, with the maths written next to each check.

use ft_runtime::{IValue, Runtime};

use crate::common::{assert_close, call1, tensor, values};

fn backward_scalar(rt: &mut Runtime, y: &ft_runtime::Tensor) {
    rt.backward(std::slice::from_ref(y), &[None], false, false)
        .expect("backward");
}

#[test]
fn square_uses_the_leaf_twice() {
    // y = Σ x², dy/dx = 2x
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[3], &[1.0, -2.0, 0.5], true);
    let sq = call1(&mut rt, "aten.mul.Tensor", vec![(&x).into(), (&x).into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![sq.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&x.grad().expect("grad")), &[2.0, -4.0, 1.0]);
}

#[test]
fn diamond_adds_both_paths() {
    // a = 2x, b = 3x, y = Σ (a + b), dy/dx = 2 + 3 = 5
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2], &[1.0, 7.0], true);
    let a = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&x).into(), IValue::Int(2)],
    );
    let b = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&x).into(), IValue::Int(3)],
    );
    let c = call1(&mut rt, "aten.add.Tensor", vec![a.into(), b.into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![c.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&x.grad().expect("grad")), &[5.0, 5.0]);
}

#[test]
fn relu_passes_gradient_where_the_result_is_positive() {
    // y = Σ relu(x), dy/dx = [x > 0]
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[4], &[-1.0, 2.0, 0.0, 3.0], true);
    let r = call1(&mut rt, "aten.relu.default", vec![(&x).into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![r.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&x.grad().expect("grad")), &[0.0, 1.0, 0.0, 1.0]);
}

#[test]
fn mse_loss_mean_gradients() {
    // L = mean((p - t)²) over n = 4, dL/dp = 2 (p - t) / n, dL/dt = -dL/dp
    let mut rt = Runtime::new();
    let p = tensor(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], true);
    let t = tensor(&mut rt, &[2, 2], &[0.0, 2.0, 5.0, 4.5], true);
    let loss = call1(
        &mut rt,
        "aten.mse_loss.default",
        vec![(&p).into(), (&t).into()],
    );
    // (1 + 0 + 4 + 0.25) / 4
    assert_close(&values(&loss), &[1.3125]);
    backward_scalar(&mut rt, &loss);
    assert_close(&values(&p.grad().expect("grad")), &[0.5, 0.0, -1.0, -0.25]);
    assert_close(&values(&t.grad().expect("grad")), &[-0.5, 0.0, 1.0, 0.25]);
}

#[test]
fn linear_layer_gradients() {
    // out = b + x Wᵀ, y = Σ out:
    // dy/db = rows of x (2), dy/dW[i, j] = Σ_r x[r, j], x needs no grad.
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], false);
    let w = tensor(&mut rt, &[2, 3], &[0.1, 0.2, 0.3, -0.1, -0.2, -0.3], true);
    let b = tensor(&mut rt, &[2], &[0.5, -0.5], true);
    let wt = call1(&mut rt, "aten.t.default", vec![(&w).into()]);
    let out = call1(
        &mut rt,
        "aten.addmm.default",
        vec![(&b).into(), (&x).into(), wt.into()],
    );
    // row 0: 0.5 + 1.4, -0.5 - 1.4; row 1: 0.5 + 3.2, -0.5 - 3.2
    assert_close(&values(&out), &[1.9, -1.9, 3.7, -3.7]);
    let y = call1(&mut rt, "aten.sum.default", vec![out.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&b.grad().expect("grad")), &[2.0, 2.0]);
    assert_close(
        &values(&w.grad().expect("grad")),
        &[5.0, 7.0, 9.0, 5.0, 7.0, 9.0],
    );
    assert!(x.grad().is_none());
}

#[test]
fn broadcast_operand_gets_the_reduced_gradient() {
    // y = Σ (m + b), m: (4, 3), b: (3,) broadcast over rows:
    // dy/dm = 1, dy/db = 4 (validate_outputs sums the broadcast away)
    let mut rt = Runtime::new();
    let m = tensor(&mut rt, &[4, 3], &[0.0; 12], true);
    let b = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let s = call1(&mut rt, "aten.add.Tensor", vec![(&m).into(), (&b).into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![s.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&m.grad().expect("grad")), &[1.0; 12]);
    assert_close(&values(&b.grad().expect("grad")), &[4.0, 4.0, 4.0]);
}

#[test]
fn sum_over_a_dimension_and_expand() {
    // y = Σ_j (Σ_i x[i, j]) ⇒ dy/dx = 1 (unsqueeze + expand in SumBackward1)
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2, 3], &[1.0; 6], true);
    let s = call1(
        &mut rt,
        "aten.sum.dim_IntList",
        vec![(&x).into(), IValue::IntList(vec![0])],
    );
    assert_eq!(s.shape(), &[3]);
    let y = call1(&mut rt, "aten.sum.default", vec![s.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&x.grad().expect("grad")), &[1.0; 6]);

    // y = Σ expand(v, (3, 4)), v: (3, 1) ⇒ dy/dv = 4 (ExpandBackward0's sum_to)
    let v = tensor(&mut rt, &[3, 1], &[1.0, 2.0, 3.0], true);
    let e = call1(
        &mut rt,
        "aten.expand.default",
        vec![(&v).into(), IValue::IntList(vec![3, 4])],
    );
    let y = call1(&mut rt, "aten.sum.default", vec![e.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&v.grad().expect("grad")), &[4.0, 4.0, 4.0]);
}

#[test]
fn sub_with_alpha_and_neg() {
    // y = Σ (a - 2c) ⇒ dy/da = 1, dy/dc = -2 (neg, then mul.Scalar by alpha)
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let c = tensor(&mut rt, &[2], &[3.0, 4.0], true);
    let d = call1(
        &mut rt,
        "aten.sub.Tensor",
        vec![(&a).into(), (&c).into(), IValue::Int(2)],
    );
    assert_close(&values(&d), &[-5.0, -6.0]);
    let y = call1(&mut rt, "aten.sum.default", vec![d.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&a.grad().expect("grad")), &[1.0, 1.0]);
    assert_close(&values(&c.grad().expect("grad")), &[-2.0, -2.0]);
}

#[test]
fn mm_gradients() {
    // C = A B, y = Σ C ⇒ dA = 1 Bᵀ (row sums of B), dB = Aᵀ 1 (column sums of A)
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], true);
    let b = tensor(&mut rt, &[2, 3], &[1.0, 0.0, 2.0, -1.0, 1.0, 0.0], true);
    let c = call1(&mut rt, "aten.mm.default", vec![(&a).into(), (&b).into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![c.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&a.grad().expect("grad")), &[3.0, 0.0, 3.0, 0.0]);
    assert_close(
        &values(&b.grad().expect("grad")),
        &[4.0, 4.0, 4.0, 6.0, 6.0, 6.0],
    );
}

#[test]
fn retained_graph_accumulates_in_place() {
    // y = Σ w², twice with retain_graph: w.grad = 2w + 2w = 4w, and the second
    // backward adds into the existing .grad tensor in place.
    let mut rt = Runtime::new();
    let w = tensor(&mut rt, &[2], &[1.5, -1.0], true);
    let sq = call1(&mut rt, "aten.mul.Tensor", vec![(&w).into(), (&w).into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![sq.into()]);
    rt.backward(std::slice::from_ref(&y), &[None], true, false)
        .expect("first");
    let first = w.grad().expect("grad");
    // The input buffer summed w·g + w·g in place (version 1) and .grad is a
    // detach of it, sharing the counter (torch 2.15: `w.grad._version == 1`).
    assert_eq!(first.version(), 1);
    rt.backward(std::slice::from_ref(&y), &[None], false, false)
        .expect("second");
    let second = w.grad().expect("grad");
    assert!(first.same_tensor(&second));
    assert_eq!(second.version(), 2);
    assert_close(&values(&second), &[6.0, -4.0]);
}

#[test]
fn mlp_gradients_match_hand_written_backprop() {
    // Forward: h = relu(x W1ᵀ + b1), o = h W2ᵀ + b2, L = mean((o - y)²).
    // Backward: dO = 2 (o - y) / n; dW2 = dOᵀ h; db2 = Σ dO;
    // dH = dO W2 ⊙ [h > 0]; dW1 = dHᵀ x; db1 = Σ_rows dH.
    let mut rt = Runtime::new();
    let [w1, b1, w2, b2, x, y, _] = crate::mlp::tiny_mlp(&mut rt);
    let (w1v, b1v, w2v, b2v) = (values(&w1), values(&b1), values(&w2), values(&b2));
    let (xv, yv) = (values(&x), values(&y));
    let n = 16usize;
    let mut h = vec![0f64; n * 8];
    let mut o = vec![0f64; n];
    for r in 0..n {
        for i in 0..8 {
            let mut acc = f64::from(b1v[i]);
            for j in 0..4 {
                acc += f64::from(xv[r * 4 + j]) * f64::from(w1v[i * 4 + j]);
            }
            h[r * 8 + i] = acc.max(0.0);
        }
        let mut acc = f64::from(b2v[0]);
        for i in 0..8 {
            acc += h[r * 8 + i] * f64::from(w2v[i]);
        }
        o[r] = acc;
    }
    let d_o: Vec<f64> = (0..n)
        .map(|r| 2.0 * (o[r] - f64::from(yv[r])) / n as f64)
        .collect();
    let mut dw2 = vec![0f64; 8];
    let mut dw1 = vec![0f64; 32];
    let mut db1 = vec![0f64; 8];
    for r in 0..n {
        for i in 0..8 {
            dw2[i] += d_o[r] * h[r * 8 + i];
            let dh = if h[r * 8 + i] > 0.0 {
                d_o[r] * f64::from(w2v[i])
            } else {
                0.0
            };
            db1[i] += dh;
            for j in 0..4 {
                dw1[i * 4 + j] += dh * f64::from(xv[r * 4 + j]);
            }
        }
    }
    let db2: f64 = d_o.iter().sum();
    let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
    assert_close(&values(&w2.grad().expect("w2")), &f(&dw2));
    assert_close(&values(&b2.grad().expect("b2")), &[db2 as f32]);
    assert_close(&values(&w1.grad().expect("w1")), &f(&dw1));
    assert_close(&values(&b1.grad().expect("b1")), &f(&db1));
}

#[test]
fn stack_gives_each_input_its_slice() {
    // S = stack([a, b, b]) (3 × 2), y = Σ S ⊙ M, M = [[1, 2], [3, 4], [5, 6]]:
    // dy/da = M[0] = [1, 2]; dy/db = M[1] + M[2] = [8, 10] (StackBackward0
    // hands input i the row `select(0, i)`; b's two rows meet in its input
    // buffer).
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let b = tensor(&mut rt, &[2], &[3.0, 4.0], true);
    let m = tensor(&mut rt, &[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], false);
    let s = call1(
        &mut rt,
        "aten.stack.default",
        vec![IValue::TensorList(vec![a.clone(), b.clone(), b.clone()])],
    );
    assert_eq!((s.shape(), s.stride()), (&[3, 2][..], &[2, 1][..]));
    assert_close(&values(&s), &[1.0, 2.0, 3.0, 4.0, 3.0, 4.0]);
    assert_eq!(s.grad_fn_name().as_deref(), Some("StackBackward0"));
    let p = call1(&mut rt, "aten.mul.Tensor", vec![s.into(), m.into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![p.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&a.grad().expect("grad")), &[1.0, 2.0]);
    assert_close(&values(&b.grad().expect("grad")), &[8.0, 10.0]);
}

#[test]
fn stack_along_the_last_dimension() {
    // S = stack([a, c], dim=-1) = [[a0, c0], [a1, c1]]; y = Σ S ⊙ W with
    // W = [[1, 2], [3, 4]] ⇒ dy/da = W[:, 0] = [1, 3] (c needs no gradient).
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let c = tensor(&mut rt, &[2], &[3.0, 4.0], false);
    let w = tensor(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], false);
    let s = call1(
        &mut rt,
        "aten.stack.default",
        vec![
            IValue::TensorList(vec![a.clone(), c.clone()]),
            IValue::Int(-1),
        ],
    );
    assert_close(&values(&s), &[1.0, 3.0, 2.0, 4.0]);
    let p = call1(&mut rt, "aten.mul.Tensor", vec![s.into(), w.into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![p.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(&values(&a.grad().expect("grad")), &[1.0, 3.0]);
    assert!(c.grad().is_none());
}

#[test]
fn select_is_a_view_of_one_slice() {
    // x = [[0, 1, 2], [3, 4, 5]]: x.select(1, -1) = [2, 5], a view with
    // stride 3 starting 2 elements into the storage.
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], false);
    let s = call1(
        &mut rt,
        "aten.select.int",
        vec![(&x).into(), IValue::Int(1), IValue::Int(-1)],
    );
    assert_eq!(
        (s.shape(), s.stride(), s.storage_offset()),
        (&[2][..], &[3][..], 2)
    );
    assert!(s.shares_storage(&x));
    assert_close(&values(&s), &[2.0, 5.0]);
}

#[test]
fn select_backward_scatters_into_zeros() {
    // y = Σ 2 · x[:, -1] for x (2 × 3) ⇒ dy/dx = [[0, 0, 2], [0, 0, 2]]
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], true);
    let s = call1(
        &mut rt,
        "aten.select.int",
        vec![(&x).into(), IValue::Int(1), IValue::Int(-1)],
    );
    assert_eq!(s.grad_fn_name().as_deref(), Some("SelectBackward0"));
    let m = call1(&mut rt, "aten.mul.Tensor", vec![s.into(), IValue::Int(2)]);
    let y = call1(&mut rt, "aten.sum.default", vec![m.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(
        &values(&x.grad().expect("grad")),
        &[0.0, 0.0, 2.0, 0.0, 0.0, 2.0],
    );
}

/// `t·1`: a non-leaf copy an in-place operator may write.
fn non_leaf(rt: &mut Runtime, t: &ft_runtime::Tensor) -> ft_runtime::Tensor {
    call1(rt, "aten.mul.Tensor", vec![t.into(), IValue::Int(1)])
}

/// Backward from `Σ y`.
fn sum_backward(rt: &mut Runtime, y: ft_runtime::Tensor) {
    let s = call1(rt, "aten.sum.default", vec![y.into()]);
    backward_scalar(rt, &s);
}

#[test]
fn in_place_erf_differentiates_at_the_original_self() {
    // y = Σ erf_(x·1), dy/dx = 2/√π · exp(-x²) at the values before the
    // write (the clone PyTorch's original_self keeps), not at erf(x)
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[3], &[0.3, -0.6, 1.2], true);
    let y = non_leaf(&mut rt, &x);
    let y = call1(&mut rt, "aten.erf_.default", vec![y.into()]);
    sum_backward(&mut rt, y);
    // torch 2.15: [1.0312610, 0.7872434, 0.2673444]
    assert_close(
        &values(&x.grad().expect("grad")),
        &[1.031_261, 0.787_243_4, 0.267_344_4],
    );
}

#[test]
fn in_place_expm1_differentiates_through_its_result() {
    // y = Σ expm1_(x·1), dy/dx = result + 1 = exp(x)
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[3], &[0.3, -0.6, 1.2], true);
    let y = non_leaf(&mut rt, &x);
    let y = call1(&mut rt, "aten.expm1_.default", vec![y.into()]);
    sum_backward(&mut rt, y);
    assert_close(
        &values(&x.grad().expect("grad")),
        &[1.349_858_8, 0.548_811_6, 3.320_117],
    );
}

#[test]
fn in_place_atan2_differentiates_both_operands() {
    // y = Σ atan2_(x·1, o·1): dy/dx = o / (x² + o²), dy/do = -x / (x² + o²)
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[3], &[0.3, -0.6, 1.2], true);
    let o = tensor(&mut rt, &[3], &[0.5, -1.0, 1.5], true);
    let y = non_leaf(&mut rt, &x);
    let other = non_leaf(&mut rt, &o);
    let y = call1(&mut rt, "aten.atan2_.default", vec![y.into(), other.into()]);
    sum_backward(&mut rt, y);
    assert_close(
        &values(&x.grad().expect("grad")),
        &[1.470_588_2, -0.735_294_1, 0.406_504_06],
    );
    assert_close(
        &values(&o.grad().expect("grad")),
        &[-0.882_352_95, 0.441_176_47, -0.325_203_27],
    );
}

#[test]
fn in_place_comparison_gives_zero_gradients_to_both_operands() {
    // y = Σ 3·gt_(x·1, o·1): the written values are steps, d/dx = d/do = 0
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[3], &[0.3, -0.6, 1.2], true);
    let o = tensor(&mut rt, &[3], &[0.5, -1.0, 1.5], true);
    let y = non_leaf(&mut rt, &x);
    let other = non_leaf(&mut rt, &o);
    let y = call1(&mut rt, "aten.gt_.Tensor", vec![y.into(), other.into()]);
    assert_close(&values(&y), &[0.0, 1.0, 0.0]);
    let y = call1(&mut rt, "aten.mul.Tensor", vec![y.into(), IValue::Int(3)]);
    sum_backward(&mut rt, y);
    assert_close(&values(&x.grad().expect("grad")), &[0.0, 0.0, 0.0]);
    assert_close(&values(&o.grad().expect("grad")), &[0.0, 0.0, 0.0]);
}

#[test]
fn index_fill_gives_a_tensor_value_the_sum_over_each_filled_position_once() {
    // y = Σ w · x.index_fill(1, [2, 0, 2], v), w = [[1, 2, 3], [4, 5, 6]]:
    // dy/dx = w with columns 0 and 2 zeroed; dy/dv sums w over the columns
    // _unique([2, 0, 2]) = [0, 2] once each: 1 + 3 + 4 + 6 = 14 (torch 2.15).
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], true);
    let v = tensor(&mut rt, &[], &[0.5], true);
    let w = tensor(&mut rt, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], false);
    let mut index_bytes = Vec::new();
    for i in [2i64, 0, 2] {
        index_bytes.extend_from_slice(&i.to_le_bytes());
    }
    let index = rt
        .introduce_tensor("int64", &[3], &[1], 0, &index_bytes, false)
        .expect("index");
    let filled = call1(
        &mut rt,
        "aten.index_fill.int_Tensor",
        vec![(&x).into(), IValue::Int(1), (&index).into(), (&v).into()],
    );
    assert_close(&values(&filled), &[0.5, 2.0, 0.5, 0.5, 5.0, 0.5]);
    let y = call1(&mut rt, "aten.mul.Tensor", vec![filled.into(), w.into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![y.into()]);
    backward_scalar(&mut rt, &y);
    assert_close(
        &values(&x.grad().expect("grad")),
        &[0.0, 2.0, 0.0, 0.0, 5.0, 0.0],
    );
    assert_close(&values(&v.grad().expect("grad")), &[14.0]);
}

#[test]
fn unique_sorts_when_not_asked_to_and_gives_the_inverse() {
    // torch._unique([3, 1, 3, 0, -2, 1], sorted=False, return_inverse=True)
    // → ([-2, 0, 1, 3], [3, 2, 3, 1, 0, 2]) in torch 2.15 on CPU.
    let mut rt = Runtime::new();
    let mut bytes = Vec::new();
    for i in [3i64, 1, 3, 0, -2, 1] {
        bytes.extend_from_slice(&i.to_le_bytes());
    }
    let t = rt
        .introduce_tensor("int64", &[6], &[1], 0, &bytes, false)
        .expect("input");
    let out = rt
        .call(
            "aten._unique.default",
            vec![t.into(), IValue::Bool(false), IValue::Bool(true)],
        )
        .expect("_unique");
    assert_eq!(out.len(), 2);
    let as_f32 = |v: &IValue| values(v.as_tensor().expect("tensor"));
    assert_close(&as_f32(&out[0]), &[-2.0, 0.0, 1.0, 3.0]);
    assert_close(&as_f32(&out[1]), &[3.0, 2.0, 3.0, 1.0, 0.0, 2.0]);
}
