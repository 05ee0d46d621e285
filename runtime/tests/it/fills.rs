//! The fill family (`fill.Scalar`, `fill.Tensor`, `fill_.Scalar`,
//! `fill_.Tensor`): values, strides, dtype conversions, errors and
//! gradients as torch 2.15 gives them.

use ft_runtime::ivalue::IValue;
use ft_runtime::{Runtime, Tensor};

use crate::common::{assert_close, call1, tensor, values};

/// A 0-dim or 1-d tensor of `dtype` from raw little-endian bytes.
fn raw(rt: &mut Runtime, dtype: &str, shape: &[i64], bytes: &[u8]) -> Tensor {
    let strides: Vec<i64> = shape.iter().map(|_| 1).collect();
    rt.introduce_tensor(dtype, shape, &strides, 0, bytes, false)
        .expect("tensor")
}

fn int64(rt: &mut Runtime, v: i64) -> Tensor {
    raw(rt, "int64", &[], &v.to_le_bytes())
}

fn scalar_f32(rt: &mut Runtime, v: f32, requires_grad: bool) -> Tensor {
    rt.introduce_tensor_f32(&[], &[], 0, &[v], requires_grad)
        .expect("scalar")
}

fn zeros(rt: &mut Runtime, n: i64, dtype: &str) -> Tensor {
    let dtype = ft_runtime::DType::from_name(dtype).expect("dtype");
    call1(
        rt,
        "aten.zeros.default",
        vec![vec![n].into(), IValue::Dtype(dtype)],
    )
}

#[test]
fn fill_tensor_converts_as_copy_does() {
    let mut rt = Runtime::new();
    // torch.zeros(4, dtype=torch.int8).fill_(torch.tensor(300)) -> [44] * 4
    let small = zeros(&mut rt, 4, "int8");
    let v = int64(&mut rt, 300);
    call1(
        &mut rt,
        "aten.fill_.Tensor",
        vec![(&small).into(), v.into()],
    );
    assert_eq!(small.to_f64_vec().expect("values"), vec![44.0; 4]);
    // torch.zeros(3, dtype=torch.int32).fill_(torch.tensor(3.9)) -> [3] * 3
    let counts = zeros(&mut rt, 3, "int32");
    let v = scalar_f32(&mut rt, 3.9, false);
    call1(
        &mut rt,
        "aten.fill_.Tensor",
        vec![(&counts).into(), v.into()],
    );
    assert_eq!(counts.to_f64_vec().expect("values"), vec![3.0; 3]);
    // a bool from int64 2 -> True
    let flags = zeros(&mut rt, 2, "bool");
    let v = int64(&mut rt, 2);
    call1(
        &mut rt,
        "aten.fill_.Tensor",
        vec![(&flags).into(), v.into()],
    );
    assert_eq!(flags.to_f64_vec().expect("values"), vec![1.0; 2]);
    // an int64 beyond 2^53 stays itself
    let wide = zeros(&mut rt, 2, "int64");
    let v = int64(&mut rt, (1 << 60) + 1);
    call1(&mut rt, "aten.fill_.Tensor", vec![(&wide).into(), v.into()]);
    assert_eq!(wide.to_i64_vec().expect("values"), vec![(1 << 60) + 1; 2]);
}

#[test]
fn fill_tensor_refuses_a_value_with_dimensions() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[3], &[0.0; 3], false);
    let v = tensor(&mut rt, &[2], &[1.0, 2.0], false);
    for op in ["aten.fill_.Tensor", "aten.fill.Tensor"] {
        let err = rt
            .call(op, vec![(&x).into(), (&v).into()])
            .expect_err("a 1-d value")
            .to_string();
        assert!(
            err.contains(
                "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."
            ),
            "{op}: {err}"
        );
    }
}

#[test]
fn functional_fills_keep_dense_strides() {
    let mut rt = Runtime::new();
    // torch.fill(torch.arange(6.).reshape(2, 3).t(), 1.5): strides (1, 3)
    let x = tensor(&mut rt, &[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], false);
    let t = call1(&mut rt, "aten.t.default", vec![(&x).into()]);
    let f = call1(
        &mut rt,
        "aten.fill.Scalar",
        vec![(&t).into(), IValue::Float(1.5)],
    );
    assert_eq!(f.shape(), &[3, 2]);
    assert_eq!(f.stride(), &[1, 3]);
    assert_close(&values(&f), &[1.5; 6]);
    // the input is untouched
    assert_close(&values(&x), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    // fill.Tensor: the result has self's dtype, not the value's
    let v = raw(&mut rt, "float64", &[], &(-0.75f64).to_le_bytes());
    let g = call1(&mut rt, "aten.fill.Tensor", vec![(&t).into(), v.into()]);
    assert_eq!(g.dtype().name(), "float32");
    assert_eq!(g.stride(), &[1, 3]);
    assert_close(&values(&g), &[-0.75; 6]);
}

#[test]
fn complex_fills() {
    let mut rt = Runtime::new();
    // torch.fill(torch.zeros(2, dtype=torch.complex128), 2+3j)
    let c = zeros(&mut rt, 2, "complex128");
    let f = call1(
        &mut rt,
        "aten.fill.Scalar",
        vec![(&c).into(), IValue::Complex(2.0, 3.0)],
    );
    assert_eq!(f.to_f64_vec().expect("parts"), vec![2.0, 3.0, 2.0, 3.0]);
    // a complex value into float32 keeps its real part
    let bytes: Vec<u8> = [0.5f32, 4.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let v = raw(&mut rt, "complex64", &[], &bytes);
    let r = zeros(&mut rt, 3, "float32");
    call1(&mut rt, "aten.fill_.Tensor", vec![(&r).into(), v.into()]);
    assert_close(&values(&r), &[0.5; 3]);
    // torch.zeros(2).fill_(1+2j): "value cannot be converted to type float
    // without overflow"
    let err = rt
        .call(
            "aten.fill_.Scalar",
            vec![(&r).into(), IValue::Complex(1.0, 2.0)],
        )
        .expect_err("complex into float")
        .to_string();
    assert!(
        err.contains("value cannot be converted to type float without overflow"),
        "{err}"
    );
}

#[test]
fn fill_gradients_and_nodes() {
    // x: [2, 2], v: scalar; y = fill(x, v) * w, z = (2x).fill_(v)
    // L = Σ y + Σ z²: dL/dx = 0 (both fills overwrite x's values),
    // dL/dv = Σ w + Σ 2v = (1 + 2 + 3 + 4) + 4 * 2 * 1.5 = 22
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2, 2], &[1.0, -2.0, 0.5, 3.0], true);
    let v = scalar_f32(&mut rt, 1.5, true);
    let w = tensor(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], false);
    let y = call1(&mut rt, "aten.fill.Tensor", vec![(&x).into(), (&v).into()]);
    assert_eq!(y.grad_fn_name().as_deref(), Some("FillBackward1"));
    let yw = call1(&mut rt, "aten.mul.Tensor", vec![y.into(), (&w).into()]);
    let z = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&x).into(), IValue::Float(2.0)],
    );
    let z = call1(&mut rt, "aten.fill_.Tensor", vec![z.into(), (&v).into()]);
    assert_eq!(z.grad_fn_name().as_deref(), Some("FillBackward3"));
    let zz = call1(&mut rt, "aten.mul.Tensor", vec![(&z).into(), (&z).into()]);
    let s = call1(&mut rt, "aten.add.Tensor", vec![yw.into(), zz.into()]);
    let loss = call1(&mut rt, "aten.sum.default", vec![s.into()]);
    rt.backward(std::slice::from_ref(&loss), &[None], false, false)
        .expect("backward");
    assert_close(&values(&x.grad().expect("x grad")), &[0.0; 4]);
    assert_close(&values(&v.grad().expect("v grad")), &[22.0]);
    // the Scalar overloads' nodes
    let a = call1(
        &mut rt,
        "aten.fill.Scalar",
        vec![(&x).into(), IValue::Float(0.5)],
    );
    assert_eq!(a.grad_fn_name().as_deref(), Some("FillBackward0"));
    let b = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&x).into(), IValue::Float(2.0)],
    );
    let b = call1(
        &mut rt,
        "aten.fill_.Scalar",
        vec![b.into(), IValue::Float(0.5)],
    );
    assert_eq!(b.grad_fn_name().as_deref(), Some("FillBackward2"));
}
