//! Behaviour of the foreach kernels through [`crate::Runtime::call`]:
//! per-element dtypes, in-place results, PyTorch's error messages, and
//! meta. Expected values observed in torch 2.15.

use super::ForeachCall;
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

fn list(ts: &[&Tensor]) -> IValue {
    IValue::TensorList(ts.iter().map(|&t| t.clone()).collect())
}

fn call(op: &str, args: Vec<IValue>) -> Result<Vec<IValue>> {
    Runtime::new().call(op, args)
}

/// The `Tensor[]` result of an out-of-place foreach operator.
fn outs(op: &str, args: Vec<IValue>) -> Vec<Tensor> {
    call(op, args)
        .expect("call")
        .into_iter()
        .next()
        .map(IValue::into_tensors)
        .expect("a list result")
}

fn error(op: &str, args: Vec<IValue>) -> String {
    call(op, args).expect_err("an error").to_string()
}

fn values(t: &Tensor) -> (DType, Vec<f64>) {
    (t.dtype(), t.to_f64_vec().expect("values"))
}

#[test]
fn each_element_promotes_with_the_scalar_on_its_own() {
    let i = tensor(&[3], DType::Int64, &[1.0, 2.0, 3.0]);
    let h = tensor(&[2], DType::Float16, &[1.0, -2.0]);
    let r = outs(
        "aten._foreach_maximum.Scalar",
        vec![list(&[&i, &h]), IValue::Float(1.5)],
    );
    assert_eq!(values(&r[0]), (DType::Float32, vec![1.5, 2.0, 3.0]));
    assert_eq!(values(&r[1]), (DType::Float16, vec![1.5, 1.5]));
    let r = outs(
        "aten._foreach_div.Scalar",
        vec![list(&[&i]), IValue::Int(2)],
    );
    assert_eq!(values(&r[0]), (DType::Float32, vec![0.5, 1.0, 1.5]));
    // A 0-dim float64 tensor promotes as a tensor: int64 * it is float64.
    let z = tensor(&[], DType::Float64, &[2.5]);
    let r = outs("aten._foreach_mul.Tensor", vec![list(&[&i, &h]), z.into()]);
    assert_eq!(r[0].dtype(), DType::Float64);
    assert_eq!(r[1].dtype(), DType::Float16);
}

#[test]
fn in_place_operators_write_self_and_return_nothing() {
    let a = tensor(&[2], DType::Float32, &[1.0, 2.0]);
    let b = tensor(&[2, 1], DType::Float64, &[3.0, 4.0]);
    let res = call(
        "aten._foreach_add_.ScalarList",
        vec![list(&[&a, &b]), IValue::IntList(vec![1, 2])],
    )
    .expect("call");
    assert!(res.is_empty());
    assert_eq!(values(&a), (DType::Float32, vec![2.0, 3.0]));
    assert_eq!(values(&b), (DType::Float64, vec![5.0, 6.0]));
    // Without a dispatch mode every element's version is bumped once.
    assert_eq!((a.version(), b.version()), (1, 1));
    // Under a dispatch mode (the capture) no version changes.
    let mut rt = Runtime::new();
    rt.set_dispatch_mode_active(true);
    rt.call("aten._foreach_zero_.default", vec![list(&[&a, &b])])
        .expect("call");
    assert_eq!((a.version(), b.version()), (1, 1));
    let ints = tensor(&[1], DType::Int64, &[4.0]);
    assert!(
        error(
            "aten._foreach_div_.Scalar",
            vec![list(&[&ints]), IValue::Int(2)]
        )
        .contains("result type Float can't be cast to the desired output type Long")
    );
}

#[test]
fn ternary_operators_follow_the_single_tensor_formulas() {
    let s = tensor(&[2], DType::Float32, &[1.0, 1.0]);
    let t1 = tensor(&[2], DType::Float32, &[2.0, 4.0]);
    let t2 = tensor(&[2], DType::Float32, &[4.0, 8.0]);
    let r = outs(
        "aten._foreach_addcdiv.Scalar",
        vec![list(&[&s]), list(&[&t1]), list(&[&t2]), IValue::Float(-2.0)],
    );
    assert_eq!(values(&r[0]).1, vec![0.0, 0.0]);
    let r = outs(
        "aten._foreach_lerp.Scalar",
        vec![list(&[&s]), list(&[&t1]), IValue::Float(0.75)],
    );
    assert_eq!(values(&r[0]).1, vec![1.75, 3.25]);
    let packed = tensor(&[2], DType::Float32, &[1.0, 2.0]);
    assert!(
        error(
            "aten._foreach_addcmul_.Tensor",
            vec![list(&[&s]), list(&[&t1]), list(&[&t2]), packed.into()]
        )
        .contains("Expected length of scalars to match input of length 1 but got 2 instead.")
    );
    let i = tensor(&[1], DType::Int64, &[1.0]);
    assert!(
        error(
            "aten._foreach_addcdiv.Scalar",
            vec![list(&[&i]), list(&[&i]), list(&[&i])]
        )
        .contains("Integer division with addcdiv is no longer supported")
    );
    let h = tensor(&[2], DType::Float16, &[0.0, 0.0]);
    assert!(
        error(
            "aten._foreach_lerp.Scalar",
            vec![list(&[&s]), list(&[&h]), IValue::Float(0.5)]
        )
        .contains("expected dtype float for `end` but got dtype c10::Half")
    );
}

/// A float32 0-dim coefficient (ASGD's `eta`) in a float16 / bfloat16
/// `addcmul` / `addcdiv` is cast to the element dtype before the kernel
/// reads it (torch 2.15):
///
/// ```python
/// eta = torch.tensor(0.0099990001)  # float16: 0.010002136...
/// s = torch.tensor([1.0, 0.5, -2.0], dtype=torch.float16)
/// t1 = torch.tensor([100.0, 48.0, 0.25], dtype=torch.float16)
/// torch._foreach_addcmul([s], [t1], [eta], value=-1)
/// # [-0.000213623046875, 0.0198974609375, -2.001953125]
/// # (1 - 100 * 0.009999 would give 0.0001, 0.5 - 48 * 0.009999 0.02005)
/// torch._foreach_addcdiv([s.bfloat16()], [t1.bfloat16()], [eta], value=0.001)
/// # [11.0, 5.28125, -1.9765625]  (eta in bfloat16: 0.010009765625)
/// ```
#[test]
fn a_wider_zero_dim_coefficient_is_cast_to_the_element_dtype() {
    let eta = tensor(&[], DType::Float32, &[0.0099990001]);
    let s = tensor(&[3], DType::Float16, &[1.0, 0.5, -2.0]);
    let t1 = tensor(&[3], DType::Float16, &[100.0, 48.0, 0.25]);
    let r = outs(
        "aten._foreach_addcmul.Scalar",
        vec![list(&[&s]), list(&[&t1]), list(&[&eta]), IValue::Int(-1)],
    );
    assert_eq!(
        values(&r[0]),
        (
            DType::Float16,
            vec![-0.000213623046875, 0.0198974609375, -2.001953125]
        )
    );
    let sb = tensor(&[3], DType::BFloat16, &[1.0, 0.5, -2.0]);
    let tb = tensor(&[3], DType::BFloat16, &[100.0, 48.0, 0.25]);
    let r = outs(
        "aten._foreach_addcdiv.Scalar",
        vec![
            list(&[&sb]),
            list(&[&tb]),
            list(&[&eta]),
            IValue::Float(0.001),
        ],
    );
    assert_eq!(
        values(&r[0]),
        (DType::BFloat16, vec![11.0, 5.28125, -1.9765625])
    );
    // The dense in-place kernel casts the same way.
    let x = tensor(&[3], DType::Float16, &[1.0, 0.5, -2.0]);
    Runtime::new()
        .call(
            "aten.addcmul_.default",
            vec![x.clone().into(), t1.into(), eta.into(), IValue::Int(-1)],
        )
        .expect("addcmul_");
    assert_eq!(
        values(&x).1,
        vec![-0.000213623046875, 0.0198974609375, -2.001953125]
    );
}

#[test]
fn list_lengths_and_empty_lists_are_checked() {
    let a = tensor(&[1], DType::Float32, &[1.0]);
    assert!(
        error("aten._foreach_add.List", vec![list(&[&a, &a]), list(&[&a])])
            .contains("Tensor lists must have the same number of tensors, got 2 and 1")
    );
    // An empty list has no tensor to select a backend: the call fails
    // closed in the dispatcher (PyTorch's CompositeExplicitAutograd kernel
    // reports "Tensor list must have at least one tensor.").
    assert!(call("aten._foreach_sqrt.default", vec![list(&[])]).is_err());
    assert!(
        error(
            "aten._foreach_mul.ScalarList",
            vec![list(&[&a]), IValue::FloatList(vec![1.0, 2.0])]
        )
        .contains("Tensor list must have same number of elements as scalar list.")
    );
    let v = tensor(&[2], DType::Float32, &[1.0, 2.0]);
    assert!(
        error("aten._foreach_mul_.Tensor", vec![list(&[&a]), v.into()])
            .contains("scalar tensor expected to be 0 dim but it has 1 dimensions and 2 elements.")
    );
}

#[test]
fn norms_are_zero_dim_of_the_element_or_requested_dtype() {
    let a = tensor(&[2, 2], DType::Float32, &[3.0, 0.0, 0.0, -4.0]);
    let b = tensor(&[3], DType::Float16, &[1.0, 2.0, 2.0]);
    let r = outs(
        "aten._foreach_norm.Scalar",
        vec![list(&[&a, &b]), IValue::Float(2.0)],
    );
    assert_eq!((r[0].shape(), r[0].stride()), (&[][..], &[][..]));
    assert_eq!(values(&r[0]), (DType::Float32, vec![5.0]));
    assert_eq!(values(&r[1]), (DType::Float16, vec![3.0]));
    let r = outs(
        "aten._foreach_norm.Scalar",
        vec![
            list(&[&a]),
            IValue::Float(f64::INFINITY),
            IValue::Dtype(DType::Float64),
        ],
    );
    assert_eq!(values(&r[0]), (DType::Float64, vec![4.0]));
    let i = tensor(&[1], DType::Int64, &[1.0]);
    assert!(
        error("aten._foreach_norm.Scalar", vec![list(&[&i])]).contains(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"
        )
    );
}

#[test]
fn unary_dtypes_and_meta_shapes() {
    let i = tensor(&[2], DType::Int32, &[4.0, -9.0]);
    let b = tensor(&[2], DType::Bool, &[1.0, 0.0]);
    let r = outs("aten._foreach_sqrt.default", vec![list(&[&i])]);
    assert_eq!(r[0].dtype(), DType::Float32);
    let r = outs("aten._foreach_sign.default", vec![list(&[&i, &b])]);
    assert_eq!(values(&r[0]), (DType::Int32, vec![1.0, -1.0]));
    assert_eq!(values(&r[1]), (DType::Bool, vec![1.0, 0.0]));
    assert!(
        error("aten._foreach_neg.default", vec![list(&[&b])])
            .contains("Negation, the `-` operator, on a bool tensor is not supported.")
    );
    let m = Tensor::meta("test", &[2, 3], &[1, 2], DType::Float32).expect("meta");
    let r = outs("aten._foreach_exp.default", vec![list(&[&m])]);
    assert_eq!(r[0].device(), Device::Meta);
    assert_eq!((r[0].shape(), r[0].stride()), (&[2, 3][..], &[1, 2][..]));
}

#[test]
fn operator_names_split_into_base_inplace_and_overload() {
    let c = ForeachCall::parse("aten._foreach_add_.List").expect("foreach");
    assert_eq!((c.base, c.inplace, c.overload), ("add", true, "List"));
    let c = ForeachCall::parse("aten._foreach_clamp_min.Scalar").expect("foreach");
    assert_eq!(
        (c.base, c.inplace, c.overload),
        ("clamp_min", false, "Scalar")
    );
    let c = ForeachCall::parse("aten._foreach_zero_.default").expect("foreach");
    assert_eq!((c.base, c.inplace, c.overload), ("zero", true, "default"));
    assert!(ForeachCall::parse("aten.add_.Tensor").is_none());
    assert!(super::lookup("aten._foreach_frobnicate.default").is_none());
    assert!(super::lookup("aten._foreach_lerp_.Scalar").is_some());
}

#[test]
fn reduced_precision_elements_round_some_scalars_to_their_dtype() {
    // Observed in torch 2.15: 3.0 * 0.9 in bfloat16 is 2.703125 out of
    // place, but 2.6875 in place (3.0 * bfloat16(0.9) = 3.0 * 0.8984375).
    let a = tensor(&[1], DType::BFloat16, &[3.0]);
    let r = outs(
        "aten._foreach_mul.Scalar",
        vec![list(&[&a]), IValue::Float(0.9)],
    );
    assert_eq!(values(&r[0]).1, vec![2.703125]);
    call(
        "aten._foreach_mul_.Scalar",
        vec![list(&[&a]), IValue::Float(0.9)],
    )
    .expect("call");
    assert_eq!(values(&a).1, vec![2.6875]);
    // add rounds the number to bfloat16 first: 1 + 0.0039063 would round
    // up to 1.0078125, but 1 + bfloat16(0.0039063) = 1 + 2^-8 is a tie that
    // rounds to even, 1.0.
    let b = tensor(&[1], DType::BFloat16, &[1.0]);
    let r = outs(
        "aten._foreach_add.Scalar",
        vec![list(&[&b]), IValue::Float(0.0039063)],
    );
    assert_eq!(values(&r[0]).1, vec![1.0]);
}

#[test]
fn the_grad_scaler_unscales_in_place_and_flags_non_finite_values() {
    let g = tensor(&[2], DType::Float32, &[4.0, f64::INFINITY]);
    let h = tensor(&[1], DType::Float16, &[2.0]);
    let found_inf = tensor(&[], DType::Float32, &[0.0]);
    let inv_scale = tensor(&[], DType::Float32, &[0.25]);
    let res = call(
        "aten._amp_foreach_non_finite_check_and_unscale_.default",
        vec![list(&[&g, &h]), found_inf.clone().into(), inv_scale.into()],
    )
    .expect("call");
    assert!(res.is_empty());
    assert_eq!(values(&g).1, vec![1.0, f64::INFINITY]);
    assert_eq!(values(&h), (DType::Float16, vec![0.5]));
    assert_eq!(values(&found_inf).1, vec![1.0]);
    let wide = tensor(&[], DType::Float64, &[1.0]);
    assert!(
        error(
            "aten._amp_foreach_non_finite_check_and_unscale_.default",
            vec![list(&[&g]), found_inf.into(), wide.into()]
        )
        .contains("inv_scale must be a float tensor.")
    );
}

#[test]
fn the_grad_scaler_checks_sizes_before_dtypes_and_skips_an_empty_list() {
    // Measured in torch 2.15: both sizes are checked (`inv_scale` first)
    // before both dtypes (`inv_scale` first), then the gradients' dtype;
    // an empty gradient list returns before any check.
    let op = "aten._amp_foreach_non_finite_check_and_unscale_.default";
    let g = tensor(&[2], DType::Float32, &[1.0, 2.0]);
    let f64_one = || tensor(&[1], DType::Float64, &[1.0]);
    let f32_two = || tensor(&[2], DType::Float32, &[0.0, 0.0]);
    let f32_one = || tensor(&[1], DType::Float32, &[1.0]);
    let cases = [
        (f64_one(), f64_one(), "inv_scale must be a float tensor."),
        (
            f32_two(),
            f64_one(),
            "found_inf must be a 1-element tensor.",
        ),
        (
            f64_one(),
            f32_two(),
            "inv_scale must be a 1-element tensor.",
        ),
        (f64_one(), f32_one(), "found_inf must be a float tensor."),
    ];
    for (found_inf, inv_scale, message) in cases {
        let got = error(op, vec![list(&[&g]), found_inf.into(), inv_scale.into()]);
        assert!(got.contains(message), "{got}");
    }
    let i = tensor(&[1], DType::Int32, &[1.0]);
    let got = error(op, vec![list(&[&i]), f32_one().into(), f32_one().into()]);
    assert!(
        got.contains("\"_amp_foreach_non_finite_check_and_unscale_cpu\" not implemented for 'Int'"),
        "{got}"
    );
    let res = call(op, vec![list(&[]), f32_two().into(), f64_one().into()]).expect("call");
    assert!(res.is_empty());
    let res = call(
        op,
        vec![
            IValue::IntList(Vec::new()),
            f32_two().into(),
            f64_one().into(),
        ],
    );
    assert!(res.expect("an empty recorded list").is_empty());
}

#[test]
fn rounding_keeps_integers_refuses_bool_and_rounds_half_to_even() {
    let h = tensor(&[4], DType::Float32, &[0.5, 1.5, 2.5, -0.5]);
    let i = tensor(&[2], DType::Int64, &[3.0, -2.0]);
    let r = outs("aten._foreach_round.default", vec![list(&[&h, &i])]);
    assert_eq!(values(&r[0]).1, vec![0.0, 2.0, 2.0, -0.0]);
    assert_eq!(values(&r[1]), (DType::Int64, vec![3.0, -2.0]));
    let r = outs("aten._foreach_sigmoid.default", vec![list(&[&i])]);
    assert_eq!(r[0].dtype(), DType::Float32);
    let b = tensor(&[1], DType::Bool, &[1.0]);
    assert!(
        error("aten._foreach_floor.default", vec![list(&[&b])])
            .contains("\"floor_vml_cpu\" not implemented for 'Bool'")
    );
}

#[test]
fn a_mixed_scalar_list_keeps_each_number_kind() {
    // `torch._foreach_add([int64, int64], [1, 2.5])`: the int keeps the
    // first element int64, the float makes the second float32.
    let i = tensor(&[1], DType::Int64, &[3.0]);
    let j = tensor(&[1], DType::Int64, &[3.0]);
    let r = outs(
        "aten._foreach_add.ScalarList",
        vec![
            list(&[&i, &j]),
            IValue::ScalarList(vec![IValue::Int(1), IValue::Float(2.5)]),
        ],
    );
    assert_eq!(values(&r[0]), (DType::Int64, vec![4.0]));
    assert_eq!(values(&r[1]), (DType::Float32, vec![5.5]));
}

#[test]
fn a_fused_adam_step_updates_params_and_state_but_not_grads() {
    // Observed in torch 2.15: p = g = 1, lr 0.1, weight decay 0.1, maximize,
    // step 1: m = -0.09, v = 0.00081, p = 1.1, the gradient stays 1.
    let p = tensor(&[2], DType::Float32, &[1.0, 1.0]);
    let g = tensor(&[2], DType::Float32, &[1.0, 1.0]);
    let m = tensor(&[2], DType::Float32, &[0.0, 0.0]);
    let v = tensor(&[2], DType::Float32, &[0.0, 0.0]);
    let step = tensor(&[], DType::Float32, &[1.0]);
    let res = call(
        "aten._fused_adam_.default",
        vec![
            list(&[&p]),
            list(&[&g]),
            list(&[&m]),
            list(&[&v]),
            list(&[]),
            list(&[&step]),
            IValue::Float(0.1),
            IValue::Float(0.9),
            IValue::Float(0.999),
            IValue::Float(0.1),
            IValue::Float(1e-8),
            IValue::Bool(false),
            IValue::Bool(true),
        ],
    )
    .expect("call");
    assert!(res.is_empty());
    let close = |t: &Tensor, want: f64| {
        values(t)
            .1
            .iter()
            .all(|x| (x - want).abs() <= 1e-6 * want.abs().max(1.0))
    };
    assert!(close(&p, 1.1) && close(&m, -0.09) && close(&v, 0.00081));
    assert_eq!(values(&g).1, vec![1.0, 1.0]);
}

#[test]
fn reduced_add_with_an_alpha_rounds_as_the_single_tensor_scalar_loop() {
    // torch 2.15: bf16 -0.07666015625 + (-0.1)·0.73046875 is -0.150390625
    // (the product rounded to bf16 first), not the once-rounded
    // -0.1494140625; in place and out of place, add and sub alike.
    let x = tensor(&[1], DType::BFloat16, &[-0.07666015625]);
    let y = tensor(&[1], DType::BFloat16, &[0.73046875]);
    let added = outs(
        "aten._foreach_add.List",
        vec![list(&[&x]), list(&[&y]), IValue::Float(-0.1)],
    );
    assert_eq!(values(&added[0]).1, vec![-0.150390625]);
    let subbed = outs(
        "aten._foreach_sub.List",
        vec![list(&[&x]), list(&[&y]), IValue::Float(0.1)],
    );
    assert_eq!(values(&subbed[0]).1, vec![-0.150390625]);
    call(
        "aten._foreach_add_.List",
        vec![list(&[&x]), list(&[&y]), IValue::Float(-0.1)],
    )
    .expect("call");
    assert_eq!(values(&x).1, vec![-0.150390625]);
}
