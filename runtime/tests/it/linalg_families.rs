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
