//! Behaviour of the family's kernels through [`crate::Runtime::call`]:
//! result dtypes, PyTorch's error messages, empty and 0-dim inputs, and
//! random kernels on meta.

use crate::device::Device;
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

fn tensor(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
    Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
}

fn call(op: &str, args: Vec<IValue>) -> Result<Vec<IValue>> {
    Runtime::new().call(op, args)
}

fn out(op: &str, args: Vec<IValue>) -> Tensor {
    call(op, args)
        .expect("call")
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .expect("a tensor result")
}

fn error(op: &str, args: Vec<IValue>) -> String {
    call(op, args).expect_err("an error").to_string()
}

#[test]
fn mean_refuses_integers_and_averages_floats() {
    let ints = tensor(&[2], DType::Int64, &[1.0, 2.0]);
    assert!(
        error("aten.mean.default", vec![ints.clone().into()]).contains(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long"
        )
    );
    let m = out(
        "aten.mean.default",
        vec![ints.into(), IValue::Dtype(DType::Float32)],
    );
    assert_eq!(
        (m.dtype(), m.to_f64_vec().expect("values")),
        (DType::Float32, vec![1.5])
    );
    let empty = tensor(&[0], DType::Float32, &[]);
    assert!(
        out("aten.mean.default", vec![empty.into()])
            .to_f64_vec()
            .expect("v")[0]
            .is_nan()
    );
}

#[test]
fn integer_and_bool_sums_products_and_scans_are_long() {
    let flags = tensor(&[3], DType::Bool, &[1.0, 0.0, 1.0]);
    for op in ["aten.sum.default", "aten.prod.default"] {
        assert_eq!(
            out(op, vec![flags.clone().into()]).dtype(),
            DType::Int64,
            "{op}"
        );
    }
    let scan = out("aten.cumsum.default", vec![flags.into(), IValue::Int(0)]);
    assert_eq!(scan.dtype(), DType::Int64);
    assert_eq!(scan.to_i64_vec().expect("v"), vec![1, 1, 2]);
    let small = tensor(&[2, 2], DType::Int8, &[1.0, 2.0, 3.0, 4.0]);
    let p = out("aten.prod.dim_int", vec![small.into(), IValue::Int(-1)]);
    assert_eq!(
        (p.dtype(), p.to_i64_vec().expect("v")),
        (DType::Int64, vec![2, 12])
    );
}

#[test]
fn max_dim_returns_values_and_first_indices() {
    let t = tensor(
        &[2, 3],
        DType::Float32,
        &[1.0, 5.0, 5.0, f64::NAN, 0.0, 9.0],
    );
    let r = call("aten.max.dim", vec![t.into(), IValue::Int(-1)]).expect("call");
    let values = r[0].as_tensor().expect("values").to_f64_vec().expect("v");
    let indices = r[1].as_tensor().expect("indices");
    assert_eq!(values[0], 5.0);
    assert!(values[1].is_nan());
    assert_eq!(indices.dtype(), DType::Int64);
    assert_eq!(indices.to_i64_vec().expect("v"), vec![1, 0]);
}

#[test]
fn extrema_errors_match_pytorch() {
    let empty = tensor(&[0], DType::Float32, &[]);
    assert!(
        error("aten.max.default", vec![empty.into()])
            .contains("max(): Expected reduction dim to be specified for input.numel() == 0.")
    );
    let flags = tensor(&[2], DType::Bool, &[1.0, 0.0]);
    assert!(
        error("aten.argmax.default", vec![flags.into()])
            .contains("argmax(): does not support bool input")
    );
    let t = tensor(&[2, 2], DType::Float32, &[1.0, 2.0, 3.0, 4.0]);
    assert!(
        error("aten.max.dim", vec![t.clone().into(), IValue::Int(3)])
            .contains("Dimension out of range (expected to be in range of [-2, 1], but got 3)")
    );
    let a = out(
        "aten.argmax.default",
        vec![t.into(), IValue::None, IValue::Bool(true)],
    );
    assert_eq!(a.shape(), &[1, 1]);
    assert_eq!(a.to_i64_vec().expect("v"), vec![3]);
}

#[test]
fn variance_of_one_element_is_nan_and_integers_are_refused() {
    let one = tensor(&[1], DType::Float32, &[2.0]);
    assert!(
        out("aten.var.correction", vec![one.into()])
            .to_f64_vec()
            .expect("v")[0]
            .is_nan()
    );
    let ints = tensor(&[2], DType::Int32, &[1.0, 2.0]);
    assert!(
        error("aten.std.correction", vec![ints.into()])
            .contains("std and var only support floating point and complex dtypes")
    );
}

#[test]
fn is_all_true_and_is_any_true_reduce_bool_tensors_only() {
    let mixed = tensor(&[3], DType::Bool, &[1.0, 0.0, 1.0]);
    let truth = |op: &str, t: &Tensor| {
        let r = out(op, vec![t.clone().into()]);
        assert_eq!((r.dtype(), r.shape().to_vec()), (DType::Bool, vec![]));
        r.to_i64_vec().expect("v")
    };
    assert_eq!(truth("aten._is_all_true.default", &mixed), vec![0]);
    assert_eq!(truth("aten._is_any_true.default", &mixed), vec![1]);
    let ones = tensor(&[2, 2], DType::Bool, &[1.0; 4]);
    assert_eq!(truth("aten._is_all_true.default", &ones), vec![1]);
    let empty = tensor(&[0], DType::Bool, &[]);
    assert_eq!(truth("aten._is_all_true.default", &empty), vec![1]);
    assert_eq!(truth("aten._is_any_true.default", &empty), vec![0]);
    let floats = tensor(&[2], DType::Float32, &[1.0, 1.0]);
    assert!(
        error("aten._is_all_true.default", vec![floats.into()])
            .contains("expected a bool tensor, got float32"),
    );
}

#[test]
fn logical_reductions_keep_uint8() {
    let bytes = tensor(&[2], DType::UInt8, &[1.0, 2.0]);
    assert_eq!(
        out("aten.all.default", vec![bytes.into()]).dtype(),
        DType::UInt8
    );
    let floats = tensor(&[2], DType::Float32, &[0.0, 2.0]);
    let any = out("aten.any.default", vec![floats.into()]);
    assert_eq!(
        (any.dtype(), any.to_i64_vec().expect("v")),
        (DType::Bool, vec![1])
    );
}

#[test]
fn item_returns_a_number_of_the_tensor_kind() {
    let cases = [
        (DType::Float16, 1.5, "float"),
        (DType::UInt8, 200.0, "int"),
        (DType::Bool, 1.0, "bool"),
    ];
    for (dtype, v, kind) in cases {
        let t = tensor(&[], dtype, &[v]);
        let r = call("aten._local_scalar_dense.default", vec![t.into()]).expect("item");
        assert_eq!(r[0].kind(), kind, "{dtype}");
    }
    let two = tensor(&[2], DType::Float32, &[1.0, 2.0]);
    assert!(
        error("aten._local_scalar_dense.default", vec![two.into()])
            .contains("a Tensor with 2 elements cannot be converted to Scalar")
    );
}

#[test]
fn factories_infer_dtypes_from_their_numbers() {
    let ints = out(
        "aten.arange.start_step",
        vec![IValue::Int(2), IValue::Int(10), IValue::Int(3)],
    );
    assert_eq!(
        (ints.dtype(), ints.to_i64_vec().expect("v")),
        (DType::Int64, vec![2, 5, 8])
    );
    let floats = out("aten.arange.default", vec![IValue::Float(2.0)]);
    assert_eq!(floats.dtype(), DType::Float32);
    assert!(
        error("aten.arange.start", vec![IValue::Int(5), IValue::Int(1)])
            .contains("upper bound and lower bound inconsistent with step sign")
    );
    let fills = [
        (IValue::Bool(true), DType::Bool),
        (IValue::Int(3), DType::Int64),
        (IValue::Float(0.5), DType::Float32),
    ];
    for (value, dtype) in fills {
        let f = out("aten.full.default", vec![vec![2i64].into(), value]);
        assert_eq!(f.dtype(), dtype);
    }
    let eye = out("aten.eye.m", vec![IValue::Int(2), IValue::Int(3)]);
    assert_eq!(
        eye.to_f64_vec().expect("v"),
        vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    );
}

/// `eye.out` / `eye.m_out` (`nn.init.eye_`): the identity in `out`'s
/// dtype, through `out`'s strides when it has the shape, else `out`
/// resized to a contiguous `[n, m]`; negative sizes refused.
#[test]
fn eye_out_writes_through_strides_or_resizes() {
    let mut rt = Runtime::new();
    let cols = tensor(&[4, 2], DType::Float32, &[9.0; 8]);
    let t = rt
        .call("aten.t.default", vec![cols.into()])
        .expect("t")
        .remove(0)
        .into_tensor()
        .expect("t");
    let written = rt
        .call(
            "aten.eye.m_out",
            vec![IValue::Int(2), IValue::Int(4), t.clone().into()],
        )
        .expect("eye.m_out")
        .remove(0)
        .into_tensor()
        .expect("out");
    assert_eq!(written.stride(), &[1, 2]);
    assert!(written.same_tensor(&t));
    assert_eq!(
        written.to_f64_vec().expect("v"),
        vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    );
    let ints = tensor(&[1], DType::Int64, &[5.0]);
    let resized = rt
        .call("aten.eye.out", vec![IValue::Int(2), ints.into()])
        .expect("eye.out")
        .remove(0)
        .into_tensor()
        .expect("out");
    assert_eq!(resized.shape(), &[2, 2]);
    assert_eq!(resized.stride(), &[2, 1]);
    assert_eq!(resized.dtype(), DType::Int64);
    assert_eq!(resized.to_f64_vec().expect("v"), vec![1.0, 0.0, 0.0, 1.0]);
    let buf = tensor(&[2, 2], DType::Float32, &[0.0; 4]);
    assert!(
        error("aten.eye.out", vec![IValue::Int(-1), buf.into()])
            .contains("n must be greater or equal to 0, got -1")
    );
}

#[test]
fn random_kernels_on_meta_consume_no_values() {
    let mut rt = Runtime::new();
    rt.provide_random_f32(vec![1.0, 0.0]);
    let r = rt
        .call(
            "aten.randint.low",
            vec![
                IValue::Int(0),
                IValue::Int(5),
                vec![2i64].into(),
                IValue::None,
                IValue::None,
                IValue::Device(Device::Meta),
            ],
        )
        .expect("randint on meta");
    assert_eq!(r[0].as_tensor().expect("t").device(), Device::Meta);
    assert_eq!(rt.pending_random_values(), 1);
    // The queued batch goes to the next draw with data.
    let perm = rt
        .call("aten.randperm.default", vec![IValue::Int(2)])
        .expect("randperm");
    let perm = perm[0].as_tensor().expect("t");
    assert_eq!(perm.dtype(), DType::Int64);
    assert_eq!(perm.to_i64_vec().expect("v"), vec![1, 0]);
}

#[test]
fn random_argument_errors_match_pytorch() {
    assert!(
        error("aten.randperm.default", vec![IValue::Int(-1)])
            .contains("Trying to create tensor with negative dimension -1: [-1]")
    );
    let ones = tensor(&[2], DType::Float32, &[1.0, 1.0]);
    assert!(
        error(
            "aten.bernoulli.p",
            vec![ones.clone().into(), IValue::Float(1.5)]
        )
        .contains("bernoulli_ expects p to be in [0, 1], but got p=1.5")
    );
    assert!(
        error(
            "aten.randint.low",
            vec![IValue::Int(5), IValue::Int(5), vec![2i64].into()]
        )
        .contains("random_ expects 'from' to be less than 'to', but got from=5 >= to=5")
    );
    let cube = tensor(&[1, 1, 2], DType::Float32, &[1.0, 1.0]);
    assert!(
        error(
            "aten.multinomial.default",
            vec![cube.into(), IValue::Int(1)]
        )
        .contains("prob_dist must be 1 or 2 dim")
    );
    assert!(
        error(
            "aten.exponential_.default",
            vec![ones.into(), IValue::Float(-1.0)]
        )
        .contains("exponential_ expects lambda > 0.0, but found lambda=-1")
    );
}

#[test]
fn generator_overloads_draw_like_their_plain_forms() {
    let mut rt = Runtime::new();
    let cpu = IValue::Str("generator:cpu".into());
    rt.provide_random_f32(vec![3.0, 4.0]);
    let r = rt
        .call(
            "aten.randint.low_generator",
            vec![
                IValue::Int(0),
                IValue::Int(5),
                vec![2i64].into(),
                cpu.clone(),
            ],
        )
        .expect("randint with a generator");
    let r = r[0].as_tensor().expect("t");
    assert_eq!(r.dtype(), DType::Int64);
    assert_eq!(r.to_i64_vec().expect("v"), vec![3, 4]);
    rt.provide_random_f32(vec![0.25, 0.5, 0.75]);
    let u = rt
        .call(
            "aten.rand.generator",
            vec![
                vec![3i64].into(),
                cpu.clone(),
                IValue::Dtype(DType::Float64),
            ],
        )
        .expect("rand with a generator");
    let u = u[0].as_tensor().expect("t");
    assert_eq!(u.dtype(), DType::Float64);
    assert_eq!(u.to_f64_vec().expect("v"), vec![0.25, 0.5, 0.75]);
    let like = rt
        .call(
            "aten.randn_like.generator",
            vec![u.clone().into(), cpu, IValue::Dtype(DType::Float32)],
        )
        .expect("randn_like with a generator");
    assert_eq!(like[0].as_tensor().expect("t").dtype(), DType::Float32);
}

#[test]
fn a_generator_of_another_device_is_refused_by_name() {
    let message = error(
        "aten.randn.generator",
        vec![vec![2i64].into(), IValue::Str("generator:cuda".into())],
    );
    assert!(message.contains("a Generator on device cuda"), "{message}");
    let ones = tensor(&[2], DType::Float32, &[1.0, 1.0]);
    let message = error(
        "aten.bernoulli_.float",
        vec![
            ones.into(),
            IValue::Float(0.5),
            IValue::Str("generator:mps".into()),
        ],
    );
    assert!(message.contains("a Generator on device mps"), "{message}");
}

#[test]
fn normal_overloads_take_their_moments_shape_and_dtype() {
    // mean (3, 1) float64 with std (4,) float32: the broadcast shape, the
    // mean's dtype, contiguous; the recorded draws are the values.
    let mut rt = Runtime::new();
    let mean = tensor(&[3, 1], DType::Float64, &[0.0, 1.0, 2.0]);
    let std = tensor(&[4], DType::Float32, &[1.0, 1.0, 1.0, 1.0]);
    rt.provide_random_f32((0..12).map(|i| i as f32).collect());
    let r = rt
        .call(
            "aten.normal.Tensor_Tensor",
            vec![mean.into(), std.clone().into()],
        )
        .expect("call");
    let t = r[0].as_tensor().expect("tensor");
    assert_eq!((t.shape(), t.dtype()), (&[3i64, 4][..], DType::Float64));
    assert_eq!(t.stride(), &[4, 1]);
    assert_eq!(t.read_f64("test").expect("read")[11], 11.0);
    // A float mean takes the std's dtype and shape.
    let r = out(
        "aten.normal.float_Tensor",
        vec![IValue::Float(1.0), std.into()],
    );
    assert_eq!((r.shape(), r.dtype()), (&[4i64][..], DType::Float32));
    // The factory takes the default dtype unless told.
    let r = out(
        "aten.normal.float_float",
        vec![IValue::Float(0.0), IValue::Float(2.0), vec![2i64, 2].into()],
    );
    assert_eq!((r.shape(), r.dtype()), (&[2i64, 2][..], DType::Float32));
}

#[test]
fn normal_refuses_as_pytorch_does() {
    let zeros = tensor(&[2], DType::Float32, &[0.0, 0.0]);
    assert!(
        error(
            "aten.normal.Tensor_float",
            vec![zeros.clone().into(), IValue::Float(-1.0)]
        )
        .contains("normal expects std >= 0.0, but found std -1")
    );
    let std = tensor(&[2], DType::Float32, &[1.0, -0.5]);
    assert!(
        error(
            "aten.normal.float_Tensor",
            vec![IValue::Float(0.0), std.into()]
        )
        .contains("normal expects all elements of std >= 0.0")
    );
    let four = tensor(&[4], DType::Float32, &[1.0; 4]);
    assert!(
        error("aten.normal.Tensor_Tensor", vec![zeros.into(), four.into()]).contains(
            "The size of tensor a (2) must match the size of tensor b (4) at non-singleton \
             dimension 0"
        )
    );
    let ints = tensor(&[2], DType::Int64, &[0.0, 1.0]);
    assert!(
        error(
            "aten.normal.Tensor_float",
            vec![ints.into(), IValue::Float(1.0)]
        )
        .contains("\"normal_kernel_cpu\" not implemented for 'Long'")
    );
}

#[test]
fn in_place_draws_check_as_pytorch_and_fill_their_support() {
    let floats = || tensor(&[64], DType::Float32, &[0.0; 64]);
    let ints = |dtype| tensor(&[64], dtype, &[0.0; 64]);
    for (op, args, message) in [
        (
            "aten.cauchy_.default",
            vec![floats().into(), IValue::Float(0.0), IValue::Float(0.0)],
            "cauchy_ expects sigma > 0.0, but found sigma=0",
        ),
        (
            "aten.cauchy_.default",
            vec![ints(DType::Int16).into()],
            "dtype must be a floating point but you specified short int",
        ),
        (
            "aten.log_normal_.default",
            vec![floats().into(), IValue::Float(1.0), IValue::Float(f64::NAN)],
            "log_normal_ expects std > 0.0, but found std=nan",
        ),
        (
            "aten.log_normal_.default",
            vec![ints(DType::Int32).into()],
            "\"log_normal_cpu\" not implemented for 'Int'",
        ),
        (
            "aten.geometric_.default",
            vec![floats().into(), IValue::Float(0.0)],
            "geometric_ expects p to be in (0, 1), but got p=0",
        ),
        (
            "aten.geometric_.default",
            vec![ints(DType::Bool).into(), IValue::Float(0.5)],
            "\"geometric_cpu\" not implemented for 'Bool'",
        ),
    ] {
        let got = error(op, args);
        assert!(got.contains(message), "{op}: {got}");
    }
    // Without recorded values the runtime's own generator fills the
    // distribution's support: trial counts >= 1 (integers too), positive
    // log-normal values, finite Cauchy values around the median.
    let counts = out(
        "aten.geometric_.default",
        vec![ints(DType::Int64).into(), IValue::Float(0.3)],
    );
    let counts = counts.to_f64_vec().expect("counts");
    assert!(
        counts.iter().all(|&k| k >= 1.0 && k.fract() == 0.0),
        "{counts:?}"
    );
    assert!(counts.iter().any(|&k| k > 1.0), "{counts:?}");
    let positive = out(
        "aten.log_normal_.default",
        vec![floats().into(), IValue::Float(0.0), IValue::Float(0.5)],
    );
    assert!(positive.to_f64_vec().expect("v").iter().all(|&v| v > 0.0));
    let heavy = out(
        "aten.cauchy_.default",
        vec![floats().into(), IValue::Float(2.0), IValue::Float(0.5)],
    );
    let mut heavy = heavy.to_f64_vec().expect("v");
    assert!(heavy.iter().all(|v| v.is_finite()));
    heavy.sort_by(f64::total_cmp);
    assert!((heavy[32] - 2.0).abs() < 1.0, "median {}", heavy[32]);
}
