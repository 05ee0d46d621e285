//! Complex operands through the element-moving family (`cat`, `stack`,
//! `index`, `index_select`, `index_put_`), element selection (`where`,
//! `masked_fill`, `eq`) and Python complex numbers (`mul.Scalar` by `1j`,
//! `_conj` of a number), matrix-vector products (`mv`, `addmv` and
//! MvBackward0's conjugates), `addmm` and `baddbmm` with complex scalars,
//! the complex random fills (`uniform_`, `normal_`), foreach arithmetic on
//! complex lists, complex scans, products and variances: values as PyTorch
//! computes them (torch 2.15).

use ft_runtime::Runtime;
use ft_runtime::ivalue::IValue;

/// A contiguous complex64 tensor of (real, imag) pairs.
fn complex64(rt: &mut Runtime, shape: &[i64], parts: &[f32]) -> ft_runtime::Tensor {
    complex64_requiring_grad(rt, shape, parts, false)
}

/// A contiguous complex64 tensor of interleaved `parts`.
fn complex64_requiring_grad(
    rt: &mut Runtime,
    shape: &[i64],
    parts: &[f32],
    requires_grad: bool,
) -> ft_runtime::Tensor {
    let bytes: Vec<u8> = parts.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut strides = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    rt.introduce_tensor("complex64", shape, &strides, 0, &bytes, requires_grad)
        .expect("complex64 tensor")
}

fn bools(rt: &mut Runtime, values: &[bool]) -> ft_runtime::Tensor {
    let bytes: Vec<u8> = values.iter().map(|&b| u8::from(b)).collect();
    rt.introduce_tensor("bool", &[values.len() as i64], &[1], 0, &bytes, false)
        .expect("bool tensor")
}

fn one(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> ft_runtime::Tensor {
    rt.call(op, args)
        .expect(op)
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .expect("a tensor")
}

fn parts(t: &ft_runtime::Tensor) -> Vec<f64> {
    t.to_f64_vec().expect("values")
}

#[test]
fn element_moving_kernels_keep_both_parts_together() {
    let mut rt = Runtime::new();
    // a = [1+2i, 3-4i], b = [5+6i]
    let a = complex64(&mut rt, &[2], &[1.0, 2.0, 3.0, -4.0]);
    let b = complex64(&mut rt, &[1], &[5.0, 6.0]);
    let cat = one(
        &mut rt,
        "aten.cat.default",
        vec![IValue::TensorList(vec![a.clone(), b]), IValue::Int(0)],
    );
    assert_eq!(cat.dtype().name(), "complex64");
    assert_eq!(parts(&cat), [1.0, 2.0, 3.0, -4.0, 5.0, 6.0]);
    // stack([a, a], 1)[i] = [a[i], a[i]]
    let stacked = one(
        &mut rt,
        "aten.stack.default",
        vec![
            IValue::TensorList(vec![a.clone(), a.clone()]),
            IValue::Int(1),
        ],
    );
    assert_eq!(parts(&stacked), [1.0, 2.0, 1.0, 2.0, 3.0, -4.0, 3.0, -4.0]);
    let idx = rt
        .introduce_tensor(
            "int64",
            &[2],
            &[1],
            0,
            &[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            false,
        )
        .expect("index");
    let picked = one(
        &mut rt,
        "aten.index_select.default",
        vec![(&cat).into(), IValue::Int(0), (&idx).into()],
    );
    assert_eq!(parts(&picked), [5.0, 6.0, 1.0, 2.0]);
    let indexed = one(
        &mut rt,
        "aten.index.Tensor",
        vec![(&cat).into(), IValue::TensorList(vec![idx.clone()])],
    );
    assert_eq!(parts(&indexed), [5.0, 6.0, 1.0, 2.0]);
    // cat[idx] = a: cat[2] = 1+2i, cat[0] = 3-4i
    let put = one(
        &mut rt,
        "aten.index_put_.default",
        vec![
            (&cat).into(),
            IValue::TensorList(vec![idx]),
            (&a).into(),
            IValue::Bool(false),
        ],
    );
    assert_eq!(parts(&put), [3.0, -4.0, 3.0, -4.0, 1.0, 2.0]);
}

#[test]
fn selection_picks_whole_complex_elements() {
    let mut rt = Runtime::new();
    let a = complex64(&mut rt, &[2], &[1.0, 2.0, 0.0, 0.0]);
    let mask = bools(&mut rt, &[true, false]);
    // where(mask, a, 7): the number becomes 7+0i
    let w = one(
        &mut rt,
        "aten.where.self",
        vec![(&mask).into(), (&a).into(), IValue::Float(7.0)],
    );
    assert_eq!(parts(&w), [1.0, 2.0, 7.0, 0.0]);
    // masked_fill(a, mask, 0.5 - 0.25j)
    let filled = one(
        &mut rt,
        "aten.masked_fill.Scalar",
        vec![(&a).into(), (&mask).into(), IValue::Complex(0.5, -0.25)],
    );
    assert_eq!(parts(&filled), [0.5, -0.25, 0.0, 0.0]);
    // a == 0 compares both parts
    let zero = one(
        &mut rt,
        "aten.eq.Scalar",
        vec![(&a).into(), IValue::Float(0.0)],
    );
    assert_eq!(zero.to_i64_vec().expect("bools"), [0, 1]);
}

#[test]
fn python_complex_numbers_multiply_and_conjugate() {
    let mut rt = Runtime::new();
    // (1+2i) * 1j = -2+1i
    let a = complex64(&mut rt, &[1], &[1.0, 2.0]);
    let turned = one(
        &mut rt,
        "aten.mul.Scalar",
        vec![(&a).into(), IValue::Complex(0.0, 1.0)],
    );
    assert_eq!(turned.dtype().name(), "complex64");
    assert_eq!(parts(&turned), [-2.0, 1.0]);
    // conj(0.5 - 0.25j): a 0-dim complex128 wrapped number, conjugated
    let c = one(
        &mut rt,
        "aten._conj.default",
        vec![IValue::Complex(0.5, -0.25)],
    );
    assert_eq!(
        (c.dtype().name(), c.shape().len(), c.is_conj()),
        ("complex128", 0, true)
    );
    assert_eq!(parts(&c), [0.5, 0.25]);
}

/// A complex64 tensor that requires grad.
fn complex64_leaf(rt: &mut Runtime, shape: &[i64], parts: &[f32]) -> ft_runtime::Tensor {
    complex64_requiring_grad(rt, shape, parts, true)
}

#[test]
fn matrix_vector_products_take_complex_operands_and_scalars() {
    let mut rt = Runtime::new();
    // w = [[1+i, 2], [0, 1-i]], v = [1+2i, 3-i]: w @ v = [5+i, 2-4i]
    let w = complex64_leaf(&mut rt, &[2, 2], &[1.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0, -1.0]);
    let v = complex64_leaf(&mut rt, &[2], &[1.0, 2.0, 3.0, -1.0]);
    let y = one(&mut rt, "aten.mv.default", vec![(&w).into(), (&v).into()]);
    assert_eq!(y.dtype().name(), "complex64");
    assert_eq!(parts(&y), [5.0, 1.0, 2.0, -4.0]);
    // addmv([1, i], w, v, beta=2i, alpha=1+i) = [2i, -2] + [4+6i, 6-2i]
    let s = complex64(&mut rt, &[2], &[1.0, 0.0, 0.0, 1.0]);
    let z = one(
        &mut rt,
        "aten.addmv.default",
        vec![
            (&s).into(),
            (&w).into(),
            (&v).into(),
            IValue::Complex(0.0, 2.0),
            IValue::Complex(1.0, 1.0),
        ],
    );
    assert_eq!(parts(&z), [4.0, 8.0, 4.0, -2.0]);
    // MvBackward0 with grad [1, 1]: grad_w = grad ⊗ conj(v),
    // grad_v = conj(w)ᵀ @ grad
    let g = complex64(&mut rt, &[2], &[1.0, 0.0, 1.0, 0.0]);
    rt.backward(&[y], &[Some(g)], false, false)
        .expect("backward");
    assert_eq!(
        parts(&w.grad().expect("grad of w")),
        [1.0, -2.0, 3.0, 1.0, 1.0, -2.0, 3.0, 1.0]
    );
    assert_eq!(parts(&v.grad().expect("grad of v")), [1.0, -1.0, 3.0, 1.0]);
}

#[test]
fn addmm_takes_complex_scalars_and_conjugates_them_in_backward() {
    let mut rt = Runtime::new();
    // m1 = [[1+i, 2]], m2 = [[1], [i]]: m1 @ m2 = 1+3i
    let m1 = complex64_leaf(&mut rt, &[1, 2], &[1.0, 1.0, 2.0, 0.0]);
    let m2 = complex64(&mut rt, &[2, 1], &[1.0, 0.0, 0.0, 1.0]);
    let bias = complex64(&mut rt, &[1, 1], &[1.0, 0.0]);
    // 2i·1 + (1+i)(1+3i) = -2+6i
    let z = one(
        &mut rt,
        "aten.addmm.default",
        vec![
            (&bias).into(),
            (&m1).into(),
            (&m2).into(),
            IValue::Complex(0.0, 2.0),
            IValue::Complex(1.0, 1.0),
        ],
    );
    assert_eq!(parts(&z), [-2.0, 6.0]);
    // alpha = i: grad_m1 = grad @ m2ᴴ · conj(i) = [1, -i]·(-i) = [-i, -1]
    let y = one(
        &mut rt,
        "aten.addmm.default",
        vec![
            (&bias).into(),
            (&m1).into(),
            (&m2).into(),
            IValue::Int(1),
            IValue::Complex(0.0, 1.0),
        ],
    );
    let g = complex64(&mut rt, &[1, 1], &[1.0, 0.0]);
    rt.backward(&[y], &[Some(g)], false, false)
        .expect("backward");
    assert_eq!(
        parts(&m1.grad().expect("grad of m1")),
        [0.0, -1.0, -1.0, 0.0]
    );
}

#[test]
fn baddbmm_reads_conjugate_operands_and_conjugates_its_scalars_in_backward() {
    let mut rt = Runtime::new();
    // b1 = [[[1+i, 2]]], b2 = [[[1], [i]]]: b1 @ b2 = 1+3i
    let b1 = complex64_leaf(&mut rt, &[1, 1, 2], &[1.0, 1.0, 2.0, 0.0]);
    let b2 = complex64(&mut rt, &[1, 2, 1], &[1.0, 0.0, 0.0, 1.0]);
    let bias = complex64_leaf(&mut rt, &[1, 1, 1], &[1.0, 0.0]);
    // 2i·1 + (1+i)(1+3i) = -2+6i
    let args = |beta: IValue, alpha: IValue, b1: &ft_runtime::Tensor| {
        vec![(&bias).into(), b1.into(), (&b2).into(), beta, alpha]
    };
    let z = one(
        &mut rt,
        "aten.baddbmm.default",
        args(IValue::Complex(0.0, 2.0), IValue::Complex(1.0, 1.0), &b1),
    );
    assert_eq!(parts(&z), [-2.0, 6.0]);
    // a conjugate view is read conjugated: [1-i, 2] @ [1, i] = 1+i (beta
    // 0: the bias is not read)
    let b1c = one(&mut rt, "aten._conj.default", vec![(&b1).into()]);
    let zc = one(
        &mut rt,
        "aten.baddbmm.default",
        args(IValue::Int(0), IValue::Int(1), &b1c),
    );
    assert_eq!(parts(&zc), [1.0, 1.0]);
    // alpha = i, beta = 2i: grad_b1 = grad @ b2ᴴ · conj(i) = [1, -i]·(-i)
    // = [-i, -1]; grad_bias = grad · conj(2i) = -2i
    let y = one(
        &mut rt,
        "aten.baddbmm.default",
        args(IValue::Complex(0.0, 2.0), IValue::Complex(0.0, 1.0), &b1),
    );
    let g = complex64(&mut rt, &[1, 1, 1], &[1.0, 0.0]);
    rt.backward(&[y], &[Some(g)], false, false)
        .expect("backward");
    assert_eq!(
        parts(&b1.grad().expect("grad of batch1")),
        [0.0, -1.0, -1.0, 0.0]
    );
    assert_eq!(parts(&bias.grad().expect("grad of self")), [0.0, -2.0]);
}

#[test]
fn complex_random_fills_draw_both_parts() {
    let mut rt = Runtime::new();
    // uniform_ of 3 complex elements takes 6 draws, real part first
    let t = complex64(&mut rt, &[3], &[0.0; 6]);
    let draws = [0.5, -0.25, 0.75, 0.125, -0.5, 0.0625];
    rt.provide_random_f32(draws.to_vec());
    let args = vec![
        (&t).into(),
        IValue::Float(-1.0),
        IValue::Float(1.0),
        IValue::None,
    ];
    rt.call("aten.uniform_.default", args).expect("uniform_");
    assert_eq!(parts(&t), draws.map(f64::from));
    // normal_(mean, std): each part N(mean, std²/2), so |z - mean|² has
    // mean std² (the generator's own draws)
    let n = 4000;
    let t = complex64(&mut rt, &[n], &vec![0.0; 2 * n as usize]);
    let args = vec![
        (&t).into(),
        IValue::Float(1.0),
        IValue::Float(2.0),
        IValue::None,
    ];
    rt.call("aten.normal_.default", args).expect("normal_");
    let p = parts(&t);
    let mean_re = p.iter().step_by(2).sum::<f64>() / n as f64;
    let mean_im = p.iter().skip(1).step_by(2).sum::<f64>() / n as f64;
    let power = p.iter().map(|v| (v - 1.0).powi(2)).sum::<f64>() / n as f64;
    assert!((mean_re - 1.0).abs() < 0.1 && (mean_im - 1.0).abs() < 0.1);
    assert!((power - 4.0).abs() < 0.3, "{power}");
}

#[test]
fn complex_vector_norms_reduce_the_moduli_into_a_real_result() {
    let mut rt = Runtime::new();
    // |3+4i| = 5, |i| = 1
    let z = complex64(&mut rt, &[2], &[3.0, 4.0, 0.0, 1.0]);
    for (ord, want) in [(2.0, 26f64.sqrt()), (1.0, 6.0), (f64::INFINITY, 5.0)] {
        let n = one(
            &mut rt,
            "aten.linalg_vector_norm.default",
            vec![
                (&z).into(),
                IValue::Float(ord),
                IValue::None,
                IValue::Bool(false),
                IValue::None,
            ],
        );
        assert_eq!(n.dtype().name(), "float32");
        let got = n.to_f64_vec().expect("values")[0];
        assert!((got - want).abs() < 1e-6, "ord {ord}: {got}");
    }
}

#[test]
fn foreach_arithmetic_takes_complex_and_real_elements_of_one_list() {
    let mut rt = Runtime::new();
    let z = complex64(&mut rt, &[2], &[1.0, 2.0, -1.0, 0.5]);
    let r = rt
        .introduce_tensor_f32(&[2], &[1], 0, &[1.0, -3.0], false)
        .expect("float tensor");
    // each element scaled by its own number: (1+2i)·2, (-1+0.5i)·2; 1·-1, -3·-1
    rt.call(
        "aten._foreach_mul_.ScalarList",
        vec![
            IValue::TensorList(vec![z.clone(), r.clone()]),
            IValue::FloatList(vec![2.0, -1.0]),
        ],
    )
    .expect("_foreach_mul_");
    assert_eq!(parts(&z), vec![2.0, 4.0, -2.0, 1.0]);
    assert_eq!(parts(&r), vec![-1.0, 3.0]);
    // out of place with alpha: z + 0.5 · z
    let out = rt
        .call(
            "aten._foreach_add.List",
            vec![
                IValue::TensorList(vec![z.clone()]),
                IValue::TensorList(vec![z.clone()]),
                IValue::Float(0.5),
            ],
        )
        .expect("_foreach_add");
    let Some(IValue::TensorList(sums)) = out.first() else {
        panic!("a tensor list: {out:?}");
    };
    assert_eq!(parts(&sums[0]), vec![3.0, 6.0, -3.0, 1.5]);
}

#[test]
fn foreach_unary_operators_take_complex_and_real_elements_of_one_list() {
    let mut rt = Runtime::new();
    let z = complex64(&mut rt, &[2], &[1.0, 2.0, -1.0, 0.5]);
    let r = rt
        .introduce_tensor_f32(&[2], &[1], 0, &[1.0, -3.0], false)
        .expect("float tensor");
    let list = IValue::TensorList(vec![z.clone(), r.clone()]);
    // torch._foreach_neg([1+2j, -1+0.5j], [1, -3]) → [-1-2j, 1-0.5j], [-1, 3]
    let out = rt
        .call("aten._foreach_neg.default", vec![list.clone()])
        .expect("_foreach_neg");
    let Some(IValue::TensorList(negs)) = out.first() else {
        panic!("a tensor list: {out:?}");
    };
    assert_eq!(negs[0].dtype().name(), "complex64");
    assert_eq!(parts(&negs[0]), vec![-1.0, -2.0, 1.0, -0.5]);
    assert_eq!(parts(&negs[1]), vec![-1.0, 3.0]);
    // _foreach_abs: the moduli, real: |1+2i| = √5, |-1+0.5i| = √1.25
    let out = rt
        .call("aten._foreach_abs.default", vec![list])
        .expect("_foreach_abs");
    let Some(IValue::TensorList(moduli)) = out.first() else {
        panic!("a tensor list: {out:?}");
    };
    assert_eq!(moduli[0].dtype().name(), "float32");
    let got = parts(&moduli[0]);
    assert!((got[0] - 5f64.sqrt()).abs() < 1e-6 && (got[1] - 1.25f64.sqrt()).abs() < 1e-6);
    assert_eq!(parts(&moduli[1]), vec![1.0, 3.0]);
}

#[test]
fn complex_scans_and_variance() {
    let mut rt = Runtime::new();
    // rows (1+i, 2), (i, -1)
    let z = complex64(&mut rt, &[2, 2], &[1.0, 1.0, 2.0, 0.0, 0.0, 1.0, -1.0, 0.0]);
    let c = one(
        &mut rt,
        "aten.cumprod.default",
        vec![(&z).into(), IValue::Int(1)],
    );
    assert_eq!(parts(&c), vec![1.0, 1.0, 2.0, 2.0, 0.0, 1.0, 0.0, -1.0]);
    let s = one(
        &mut rt,
        "aten.cumsum.default",
        vec![(&z).into(), IValue::Int(0)],
    );
    assert_eq!(parts(&s), vec![1.0, 1.0, 2.0, 0.0, 1.0, 2.0, 1.0, 0.0]);
    let p = one(
        &mut rt,
        "aten.prod.dim_int",
        vec![(&z).into(), IValue::Int(0), IValue::Bool(false)],
    );
    assert_eq!(parts(&p), vec![-1.0, 1.0, -2.0, 0.0]);
    // var over dim 1 (correction 1): |(1+i) - (1.5+0.5i)|² · 2 = 1; |i - (-0.5+0.5i)|² · 2 = 1
    let v = one(
        &mut rt,
        "aten.var.correction",
        vec![(&z).into(), IValue::IntList(vec![1])],
    );
    assert_eq!(v.dtype().name(), "float32");
    assert_eq!(parts(&v), vec![1.0, 1.0]);
}
