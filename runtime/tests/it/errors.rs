//! Typed failures (no panics on input-derived data) and version counters.

use ft_runtime::{DType, Device, IValue, Runtime, RuntimeError};

use crate::common::{call1, tensor};

#[test]
fn unknown_operator_fails_closed_and_names_it() {
    let mut rt = Runtime::new();
    let err = rt
        .call("aten.frobnicate.default", vec![])
        .expect_err("unknown op");
    assert!(matches!(&err, RuntimeError::UnknownOp { op } if op == "aten.frobnicate.default"));
    assert!(Runtime::schema("aten.addmm.default").is_ok());
    // A real PyTorch operator this runtime does not register (sparse @
    // sparse) fails the same way.
    assert!(matches!(
        Runtime::schema("aten._sparse_sparse_matmul.default"),
        Err(RuntimeError::UnknownOp { .. })
    ));
}

#[test]
fn arguments_are_checked_against_the_schema() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2, 2], &[1.0; 4], false);
    let err = rt
        .call(
            "aten.mm.default",
            vec![(&x).into(), IValue::Str("nope".into())],
        )
        .expect_err("bad type");
    assert!(
        matches!(&err, RuntimeError::ArgumentType { op, arg, .. } if op == "aten.mm.default" && arg == "mat2")
    );
    let err = rt
        .call("aten.mm.default", vec![(&x).into()])
        .expect_err("missing");
    assert!(matches!(&err, RuntimeError::MissingArgument { arg, .. } if arg == "mat2"));
    let err = rt
        .call("aten.relu.default", vec![(&x).into(), (&x).into()])
        .expect_err("too many");
    assert!(matches!(
        err,
        RuntimeError::TooManyArguments {
            given: 2,
            max: 1,
            ..
        }
    ));
}

#[test]
fn shape_errors_name_the_operator() {
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[2, 3], &[1.0; 6], false);
    let b = tensor(&mut rt, &[2, 3], &[1.0; 6], false);
    let err = rt
        .call("aten.mm.default", vec![(&a).into(), (&b).into()])
        .expect_err("mm");
    assert!(
        matches!(&err, RuntimeError::Shape { op, .. } if op == "aten.mm.default"),
        "{err}"
    );
    let c = tensor(&mut rt, &[4], &[1.0; 4], false);
    let err = rt
        .call("aten.add.Tensor", vec![(&a).into(), (&c).into()])
        .expect_err("broadcast");
    assert!(matches!(err, RuntimeError::Shape { .. }));
    // A transposed matrix cannot be flattened by `view`.
    let t = call1(&mut rt, "aten.t.default", vec![(&a).into()]);
    let err = rt
        .call(
            "aten.view.default",
            vec![t.into(), IValue::IntList(vec![6])],
        )
        .expect_err("view");
    assert!(err.to_string().contains("reshape"), "{err}");
}

#[test]
fn stack_and_select_check_their_arguments() {
    let mut rt = Runtime::new();
    let a = tensor(&mut rt, &[2], &[1.0; 2], false);
    let b = tensor(&mut rt, &[3], &[1.0; 3], false);
    // No tensor, no backend key: refused before any kernel (PyTorch reaches
    // its CompositeExplicitAutograd kernel through the Undefined key and says
    // "stack expects a non-empty TensorList").
    let err = rt
        .call("aten.stack.default", vec![IValue::TensorList(vec![])])
        .expect_err("empty");
    assert!(err.to_string().contains("aten.stack.default"), "{err}");
    let err = rt
        .call(
            "aten.stack.default",
            vec![IValue::TensorList(vec![a.clone(), b])],
        )
        .expect_err("sizes");
    assert!(
        matches!(&err, RuntimeError::Shape { op, .. } if op == "aten.stack.default"),
        "{err}"
    );
    let err = rt
        .call(
            "aten.stack.default",
            vec![IValue::TensorList(vec![a.clone()]), IValue::Int(2)],
        )
        .expect_err("dim");
    assert!(err.to_string().contains("out of range"), "{err}");
    let err = rt
        .call(
            "aten.select.int",
            vec![(&a).into(), IValue::Int(0), IValue::Int(2)],
        )
        .expect_err("index");
    assert!(err.to_string().contains("index 2 out of range"), "{err}");
    let err = rt
        .call(
            "aten.select.int",
            vec![(&a).into(), IValue::Int(1), IValue::Int(0)],
        )
        .expect_err("dim");
    assert!(matches!(err, RuntimeError::Shape { .. }), "{err}");
}

#[test]
fn unsupported_dtypes_and_devices_are_typed_errors() {
    let mut rt = Runtime::new();
    let out = rt
        .call(
            "aten.empty.memory_format",
            vec![IValue::IntList(vec![2]), IValue::Dtype(DType::Int64)],
        )
        .expect("int64 factory");
    assert_eq!(out[0].as_tensor().map(|t| t.dtype()), Some(DType::Int64));
    // int64 values beyond 2^53 survive introduction exactly
    let big = (1i64 << 60) + 3;
    let t = rt
        .introduce_tensor("int64", &[1], &[1], 0, &big.to_le_bytes(), false)
        .expect("int64 tensor");
    assert_eq!(t.to_i64_vec().expect("read"), vec![big]);
    // wrong byte count, integer leaf requiring grad, unknown dtype names
    assert!(matches!(
        rt.introduce_tensor("int64", &[2], &[1], 0, &[0; 8], false),
        Err(RuntimeError::Shape { .. })
    ));
    assert!(matches!(
        rt.introduce_tensor("int64", &[1], &[1], 0, &[0; 8], true),
        Err(RuntimeError::Autograd { .. })
    ));
    assert!(matches!(
        rt.introduce_tensor("complex32", &[1], &[1], 0, &[0; 4], false),
        Err(RuntimeError::UnknownName { .. })
    ));
    // complex64 has storage: one element is a pair of float32 parts
    let z = rt
        .introduce_tensor("complex64", &[1], &[1], 0, &[0; 8], false)
        .expect("complex64 tensor");
    assert_eq!(z.dtype(), DType::Complex64);
    assert!(matches!(
        rt.introduce_tensor("float33", &[1], &[1], 0, &[0; 4], false),
        Err(RuntimeError::UnknownName { .. })
    ));
    let err = rt
        .call(
            "aten.randn.default",
            vec![
                IValue::IntList(vec![2]),
                IValue::None,
                IValue::None,
                IValue::Device(Device::Cuda(0)),
            ],
        )
        .expect_err("cuda");
    assert!(matches!(err, RuntimeError::Unsupported { .. }), "{err}");
}

#[test]
fn meta_tensors_cannot_be_copied_back() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], false);
    let m = call1(
        &mut rt,
        "aten._to_copy.default",
        vec![
            (&x).into(),
            IValue::None,
            IValue::None,
            IValue::Device(Device::Meta),
        ],
    );
    let err = rt
        .call(
            "aten._to_copy.default",
            vec![
                m.into(),
                IValue::None,
                IValue::None,
                IValue::Device(Device::Cpu),
            ],
        )
        .expect_err("meta to cpu");
    assert!(matches!(err, RuntimeError::NoData { .. }));
}

#[test]
fn autograd_rules() {
    let mut rt = Runtime::new();
    let w = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let one = tensor(&mut rt, &[2], &[1.0, 1.0], false);
    // In-place on a leaf that requires grad, with grad mode on.
    let err = rt
        .call("aten.add_.Tensor", vec![(&w).into(), (&one).into()])
        .expect_err("leaf");
    assert!(matches!(err, RuntimeError::Autograd { .. }));
    // ... is fine under no_grad (the SGD step) and bumps the version.
    rt.set_grad_mode(false, false);
    call1(
        &mut rt,
        "aten.add_.Tensor",
        vec![(&w).into(), (&one).into(), IValue::Float(-0.1)],
    );
    assert_eq!(w.version(), 1);
    assert_eq!(w.to_f32_vec().expect("values"), [0.9, 1.9]);
    rt.set_grad_mode(true, false);

    // backward of something that does not require grad.
    let err = rt
        .backward(std::slice::from_ref(&one), &[None], false, false)
        .expect_err("no grad");
    assert!(matches!(err, RuntimeError::Autograd { .. }));
    // implicit gradient of a non-scalar
    let y = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&w).into(), IValue::Int(2)],
    );
    let err = rt
        .backward(std::slice::from_ref(&y), &[None], false, false)
        .expect_err("non-scalar");
    assert!(err.to_string().contains("scalar"));
}

#[test]
fn backward_twice_without_retain_graph_fails() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    let sq = call1(&mut rt, "aten.mul.Tensor", vec![(&x).into(), (&x).into()]);
    let y = call1(&mut rt, "aten.sum.default", vec![sq.into()]);
    rt.backward(std::slice::from_ref(&y), &[None], false, false)
        .expect("first");
    let err = rt
        .backward(std::slice::from_ref(&y), &[None], false, false)
        .expect_err("second");
    assert!(
        matches!(&err, RuntimeError::GraphFreed { node } if node == "MulBackward0"),
        "{err}"
    );
    // Grad mode is restored after a failed backward.
    assert!(rt.is_grad_enabled());
}

#[test]
fn saved_tensor_modified_in_place_is_detected() {
    // relu saves its result; changing it in place (version 0 → 1) before
    // backward makes ReluBackward0 refuse to use it.
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2], &[1.0, -1.0], true);
    let r = call1(&mut rt, "aten.relu.default", vec![(&x).into()]);
    let s = call1(&mut rt, "aten.sum.default", vec![(&r).into()]);
    rt.set_grad_mode(false, false);
    let one = tensor(&mut rt, &[2], &[1.0, 1.0], false);
    call1(&mut rt, "aten.add_.Tensor", vec![(&r).into(), one.into()]);
    rt.set_grad_mode(true, false);
    let err = rt
        .backward(std::slice::from_ref(&s), &[None], false, false)
        .expect_err("modified");
    assert!(
        matches!(&err, RuntimeError::SavedTensorModified { node, saved: 0, current: 1, .. } if node == "ReluBackward0"),
        "{err}"
    );
}

#[test]
fn version_counters_are_shared_by_views_and_detach() {
    let mut rt = Runtime::new();
    let x = tensor(&mut rt, &[2, 2], &[1.0; 4], false);
    let t = call1(&mut rt, "aten.t.default", vec![(&x).into()]);
    let d = call1(&mut rt, "aten.detach.default", vec![(&x).into()]);
    let v = call1(
        &mut rt,
        "aten.view.default",
        vec![(&x).into(), IValue::IntList(vec![4])],
    );
    call1(
        &mut rt,
        "aten.fill_.Scalar",
        vec![(&d).into(), IValue::Float(3.0)],
    );
    for h in [&x, &t, &d, &v] {
        assert_eq!(h.version(), 1);
        assert_eq!(h.to_f32_vec().expect("values"), [3.0; 4]);
        assert!(h.shares_storage(&x));
    }
    // A computed tensor starts its own counter.
    let y = call1(&mut rt, "aten.neg.default", vec![(&x).into()]);
    assert_eq!(y.version(), 0);
}

#[test]
fn random_values_must_fit_the_op() {
    let mut rt = Runtime::new();
    rt.provide_random_f32(vec![1.0, 2.0, 3.0]);
    let err = rt
        .call("aten.randn.default", vec![IValue::IntList(vec![2])])
        .expect_err("wrong count");
    assert!(matches!(
        err,
        RuntimeError::RandomValues {
            expected: 2,
            got: 3,
            ..
        }
    ));
    rt.provide_random_values("float32", &[0, 0, 128, 63])
        .expect("one value");
    let r = call1(
        &mut rt,
        "aten.randn.default",
        vec![IValue::IntList(vec![1])],
    );
    assert_eq!(r.to_f32_vec().expect("values"), [1.0]);
    assert!(rt.provide_random_values("float32", &[0, 0, 128]).is_err());
}

#[test]
fn huge_sizes_fail_before_allocating() {
    let mut rt = Runtime::new();
    let err = rt
        .call(
            "aten.randn.default",
            vec![IValue::IntList(vec![1 << 20, 1 << 20])],
        )
        .expect_err("too large");
    assert!(matches!(err, RuntimeError::Shape { .. }), "{err}");
    let err = rt
        .call("aten.empty.memory_format", vec![IValue::IntList(vec![-1])])
        .expect_err("negative");
    assert!(matches!(err, RuntimeError::Shape { .. }), "{err}");
    let x = tensor(&mut rt, &[1], &[1.0], false);
    let big = call1(
        &mut rt,
        "aten.expand.default",
        vec![(&x).into(), IValue::IntList(vec![1 << 40])],
    );
    let err = rt
        .call("aten.sum.default", vec![big.into()])
        .expect_err("sum of a huge view");
    assert!(matches!(err, RuntimeError::Shape { .. }), "{err}");
    // Meta tensors have no data and no limit.
    let m = call1(
        &mut rt,
        "aten.empty.memory_format",
        vec![
            IValue::IntList(vec![1 << 40]),
            IValue::None,
            IValue::None,
            IValue::Device(Device::Meta),
        ],
    );
    assert_eq!(m.shape(), &[1 << 40]);
}

/// A complex64 tensor of `values` given as (real, imag) pairs.
fn complex64(rt: &mut Runtime, shape: &[i64], parts: &[f32]) -> ft_runtime::Tensor {
    let bytes: Vec<u8> = parts.iter().flat_map(|v| v.to_le_bytes()).collect();
    let strides = match shape {
        [_, n] => vec![*n, 1],
        _ => vec![1],
    };
    rt.introduce_tensor("complex64", shape, &strides, 0, &bytes, false)
        .expect("complex64 tensor")
}

#[test]
fn real_only_kernels_refuse_complex_operands_naming_op_and_dtype() {
    let mut rt = Runtime::new();
    let z = complex64(&mut rt, &[2], &[1.0, 2.0, 3.0, -4.0]);
    let m = complex64(&mut rt, &[2, 2], &[1.0, 0.5, 0.0, 1.0, 2.0, 0.0, 1.0, -1.0]);
    // Real kernels would compute on the parts as if they were elements.
    for (op, args) in [
        ("aten.asinh.default", vec![(&z).into()]),
        (
            "aten.logcumsumexp.default",
            vec![(&z).into(), IValue::Int(0)],
        ),
        ("aten.expm1.default", vec![(&z).into()]),
        ("aten.tan.default", vec![(&z).into()]),
        (
            "aten.addr.default",
            vec![(&m).into(), (&z).into(), (&z).into()],
        ),
    ] {
        let err = rt.call(op, args).expect_err(op);
        assert!(
            matches!(&err, RuntimeError::UnsupportedDtype { op: o, dtype, .. }
                if o == op && dtype == "complex64"),
            "{op}: {err}"
        );
        assert!(err.is_capability_gap(), "{err}");
        assert!(err.to_string().contains(op), "{err}");
        let support = Runtime::op_support(op);
        assert!(support.executable() && !support.complex, "{op}");
        assert!(!support.executable_with("complex64") && support.executable_with("float32"));
    }
    // A complex `dtype=` argument counts too.
    let err = rt
        .call(
            "aten.arange.default",
            vec![IValue::Int(3), IValue::Dtype(DType::Complex64)],
        )
        .expect_err("arange complex");
    assert!(
        matches!(&err, RuntimeError::UnsupportedDtype { arg, .. } if arg == "dtype"),
        "{err}"
    );
    // Complex paths, views and element-moving kernels still run.
    let a = call1(&mut rt, "aten.abs.default", vec![(&z).into()]);
    assert_eq!(
        a.to_f64_vec().expect("abs"),
        vec![f64::from(5f32.sqrt()), 5.0]
    );
    let t = call1(&mut rt, "aten.t.default", vec![(&m).into()]);
    let c = call1(&mut rt, "aten.clone.default", vec![(&t).into()]);
    assert_eq!(
        c.to_f64_vec().expect("clone"),
        vec![1.0, 0.5, 2.0, 0.0, 0.0, 1.0, 1.0, -1.0]
    );
    assert!(Runtime::op_support("aten.abs.default").executable_with("complex64"));
    assert!(Runtime::op_support("aten.view.default").complex);
}
