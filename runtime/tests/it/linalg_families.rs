//! Forward values and gradients of the linear-algebra families against the
//! numbers torch 2.15 gives (float32 inputs; the maths in a comment).

use ft_runtime::{IValue, Runtime};

use crate::common::{assert_close, call1, tensor, values};

fn backward_scalar(rt: &mut Runtime, y: &ft_runtime::Tensor) {
    rt.backward(std::slice::from_ref(y), &[None], false, false)
        .expect("backward");
}

#[test]
fn dist_and_its_gradients_by_order() {
    // d = ‖x − c‖_p with c broadcast over x's rows;
    // p = 2: ∂d/∂x = (x − c)/d; p = 1: sgn(x − c);
    // p = 3: (x − c)·|x − c| / d²; p = inf: sgn at the largest |x − c|;
    // ∂d/∂c = −Σ_rows ∂d/∂x.
    let cases: [(IValue, f32, [f32; 6], [f32; 3]); 4] = [
        (
            IValue::Int(2),
            4.213_075,
            [
                0.118_678_17,
                -0.712_069,
                0.237_356_33,
                0.593_390_8,
                -0.237_356_33,
                -0.118_678_17,
            ],
            [-0.712_069, 0.949_425_3, -0.118_678_17],
        ),
        (
            IValue::Int(1),
            8.5,
            [1.0, -1.0, 1.0, 1.0, -1.0, -1.0],
            [-2.0, 2.0, 0.0],
        ),
        (
            IValue::Float(3.0),
            3.553_597,
            [
                0.019_797_2,
                -0.712_699_1,
                0.079_188_79,
                0.494_929_9,
                -0.079_188_79,
                -0.019_797_2,
            ],
            [-0.514_727_1, 0.791_887_9, -0.059_391_59],
        ),
        (
            IValue::Float(f64::INFINITY),
            3.0,
            [0.0, -1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
        ),
    ];
    for (p, d_want, gx, gc) in cases {
        let mut rt = Runtime::new();
        let x = tensor(&mut rt, &[2, 3], &[1.0, -2.0, 0.5, 3.0, 0.0, -1.0], true);
        let c = tensor(&mut rt, &[3], &[0.5, 1.0, -0.5], true);
        let d = call1(
            &mut rt,
            "aten.dist.default",
            vec![(&x).into(), (&c).into(), p],
        );
        assert_close(&values(&d), &[d_want]);
        backward_scalar(&mut rt, &d);
        assert_close(&values(&x.grad().expect("x grad")), &gx);
        assert_close(&values(&c.grad().expect("c grad")), &gc);
    }
}

#[test]
fn dist_of_equal_tensors_has_a_zero_gradient() {
    // ‖x − x‖ = 0: the p = 2 gradient is masked to 0 where the norm is 0.
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let y = tensor(&mut rt, &[2], &[1.0, 2.0], false);
    let d = call1(&mut rt, "aten.dist.default", vec![(&x).into(), (&y).into()]);
    assert_close(&values(&d), &[0.0]);
    backward_scalar(&mut rt, &d);
    assert_close(&values(&x.grad().expect("grad")), &[0.0, 0.0]);
}

fn lstsq(
    rt: &mut Runtime,
    a: &ft_runtime::Tensor,
    b: &ft_runtime::Tensor,
    driver: &str,
) -> Vec<ft_runtime::Tensor> {
    rt.call(
        "aten.linalg_lstsq.default",
        vec![
            a.into(),
            b.into(),
            IValue::None,
            IValue::Str(driver.to_owned()),
        ],
    )
    .expect("linalg_lstsq")
    .into_iter()
    .filter_map(IValue::into_tensor)
    .collect()
}

#[test]
fn lstsq_solutions_residuals_and_gradients() {
    // A (3×2) full rank, B (3×2): X = A⁺B; Σ X's gradient:
    // ∂/∂B = A⁺ᵀ·1, ∂/∂A = pinv_backward(1·Bᵀ, A⁺, A).
    let a_vals = [1.0, 2.0, 3.0, -1.0, 0.5, 0.0];
    let b_vals = [1.0, 0.0, 2.0, 1.0, -1.0, 3.0];
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[3, 2], &a_vals, true);
    let b = tensor(&mut rt, &[3, 2], &b_vals, true);
    let out = lstsq(&mut rt, &a, &b, "gelsy");
    assert_close(
        &values(&out[0]),
        &[0.646_766_2, 0.427_860_7, 0.129_353_28, -0.114_427_78],
    );
    assert_eq!(out[2].to_i64_vec().expect("rank"), vec![2]);
    assert_eq!(out[1].shape(), &[0]);
    let s = call1(&mut rt, "aten.sum.default", vec![(&out[0]).into()]);
    backward_scalar(&mut rt, &s);
    assert_close(
        &values(&a.grad().expect("A grad")),
        &[
            -0.621_965,
            -0.031_855_87,
            -0.169_302_97,
            -0.048_785_925,
            0.110_492_36,
            0.326_576,
        ],
    );
    assert_close(
        &values(&b.grad().expect("B grad")),
        &[
            0.567_164_2,
            0.567_164_2,
            0.134_328_45,
            0.134_328_45,
            0.059_701_5,
            0.059_701_5,
        ],
    );

    // gels: residuals ‖AX − B‖² per column, with their own gradient
    // ∂/∂A = 2·(R·diag(g))·Xᵀ, ∂/∂B = −2·R·diag(g), R = AX − B.
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[3, 2], &a_vals, true);
    let b = tensor(&mut rt, &[3, 2], &b_vals, true);
    let out = lstsq(&mut rt, &a, &b, "gels");
    assert_close(&values(&out[1]), &[1.796_02, 7.960_199]);
    let s = call1(&mut rt, "aten.sum.default", vec![(&out[1]).into()]);
    backward_scalar(&mut rt, &s);
    assert_close(
        &values(&a.grad().expect("A grad")),
        &[
            0.048_018_96,
            -0.069_998_26,
            0.096_037_3,
            -0.139_996_5,
            -0.672_260_8,
            0.979_975_4,
        ],
    );
    assert_close(
        &values(&b.grad().expect("B grad")),
        &[
            0.189_054_49,
            -0.398_010_4,
            0.378_109_46,
            -0.796_02,
            -2.646_766,
            5.572_139,
        ],
    );

    // gelsd: the singular values and rank; an underdetermined system's
    // minimum-norm solution x = aᵀ(a·aᵀ)⁻¹·6 = [3, 6, 9]/7.
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[3, 2], &a_vals, false);
    let b = tensor(&mut rt, &[3, 2], &b_vals, false);
    let out = lstsq(&mut rt, &a, &b, "gelsd");
    assert_close(&values(&out[3]), &[3.230_174, 2.194_533]);
    let u = tensor(&mut rt, &[1, 3], &[1.0, 2.0, 3.0], false);
    let t = tensor(&mut rt, &[1, 1], &[6.0], false);
    let out = lstsq(&mut rt, &u, &t, "gelsy");
    assert_close(&values(&out[0]), &[0.428_571_46, 0.857_142_9, 1.285_714_4]);
}

#[test]
fn cholesky_inverse_and_its_gradient() {
    // L = [[2, 0], [1, 1]]: (L·Lᵀ)⁻¹ = [[0.5, −0.5], [−0.5, 1]]; for
    // y = Σ W ⊙ (L·Lᵀ)⁻¹: ∂y/∂L = −(K⁻¹·(W + Wᵀ)·K⁻¹)·L (not masked to the
    // triangle). The upper factor U = Lᵀ gives the same inverse and
    // −U·(K⁻¹·(W + Wᵀ)·K⁻¹).
    let w_vals = [1.0, 2.0, 0.0, 3.0];
    for (upper, f, want) in [
        (false, [2.0, 0.0, 1.0, 1.0], [0.0, 2.0, -0.5, -4.5]),
        (true, [2.0, 1.0, 0.0, 1.0], [0.0, -0.5, 2.0, -4.5]),
    ] {
        let mut rt = Runtime::new();
        let l = tensor(&mut rt, &[2, 2], &f, true);
        let w = tensor(&mut rt, &[2, 2], &w_vals, false);
        let p = call1(
            &mut rt,
            "aten.cholesky_inverse.default",
            vec![(&l).into(), IValue::Bool(upper)],
        );
        assert_close(&values(&p), &[0.5, -0.5, -0.5, 1.0]);
        let wp = call1(&mut rt, "aten.mul.Tensor", vec![p.into(), w.into()]);
        let y = call1(&mut rt, "aten.sum.default", vec![wp.into()]);
        backward_scalar(&mut rt, &y);
        assert_close(&values(&l.grad().expect("grad")), &want);
    }
}

#[test]
fn triangular_solve_and_its_gradients() {
    // A = [[2, 1], [0, 4]] (upper), b = [1, 2]ᵀ, y = Σx + Σ 3·copy(A).
    // transpose: Aᵀx = b → x = [0.5, 0.375]; gB solves A·gB = 1 →
    // [0.375, 0.25]; gA = triu(−x·gBᵀ) + 3.
    // no transpose: Ax = b → x = [0.25, 0.5]; gB solves Aᵀ·gB = 1 →
    // [0.5, 0.125]; gA = triu(−gB·xᵀ) + 3.
    for (transpose, x_want, ga_want, gb_want) in [
        (
            true,
            [0.5, 0.375],
            [2.8125, 2.875, 3.0, 2.90625],
            [0.375, 0.25],
        ),
        (false, [0.25, 0.5], [2.875, 2.75, 3.0, 2.9375], [0.5, 0.125]),
    ] {
        let mut rt = Runtime::new();
        let a = tensor(&mut rt, &[2, 2], &[2.0, 1.0, 0.0, 4.0], true);
        let b = tensor(&mut rt, &[2, 1], &[1.0, 2.0], true);
        let out = rt
            .call(
                "aten.triangular_solve.default",
                vec![
                    (&b).into(),
                    (&a).into(),
                    IValue::Bool(true),
                    IValue::Bool(transpose),
                    IValue::Bool(false),
                ],
            )
            .expect("triangular_solve");
        let mut outs = out.into_iter().filter_map(IValue::into_tensor);
        let (x, copy) = (outs.next().expect("solution"), outs.next().expect("copy"));
        assert_close(&values(&x), &x_want);
        assert_close(&values(&copy), &[2.0, 1.0, 0.0, 4.0]);
        // Both results are column-major, as LAPACK writes them.
        assert_eq!(x.stride(), &[1, 2]);
        assert_eq!(copy.stride(), &[1, 2]);
        let sx = call1(&mut rt, "aten.sum.default", vec![x.into()]);
        let c3 = call1(
            &mut rt,
            "aten.mul.Scalar",
            vec![copy.into(), IValue::Float(3.0)],
        );
        let sc = call1(&mut rt, "aten.sum.default", vec![c3.into()]);
        let y = call1(
            &mut rt,
            "aten.add.Tensor",
            vec![sx.into(), sc.into(), IValue::Int(1)],
        );
        backward_scalar(&mut rt, &y);
        assert_close(&values(&a.grad().expect("grad A")), &ga_want);
        assert_close(&values(&b.grad().expect("grad b")), &gb_want);
    }
}
