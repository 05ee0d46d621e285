//! Behaviour of the convolution, pooling, padding and attention kernels
//! through [`crate::Runtime::call`]: PyTorch's error messages, result
//! layouts and dtypes, output masks, empty batches and meta tensors.

use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

fn tensor(shape: &[i64], dtype: DType) -> Tensor {
    let n: i64 = shape.iter().product();
    let values: Vec<f64> = (0..n).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
    Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, &values).expect("tensor")
}

fn call(op: &str, args: Vec<IValue>) -> Result<Vec<IValue>> {
    Runtime::new().call(op, args)
}

fn error(op: &str, args: Vec<IValue>) -> String {
    call(op, args).expect_err("an error").to_string()
}

/// `convolution(input, weight, bias, stride, padding, dilation, transposed,
/// output_padding, groups)` arguments.
fn conv_args(input: Tensor, weight: Tensor, bias: Option<Tensor>, groups: i64) -> Vec<IValue> {
    vec![
        input.into(),
        weight.into(),
        bias.map_or(IValue::None, IValue::from),
        IValue::IntList(vec![1, 1]),
        IValue::IntList(vec![0, 0]),
        IValue::IntList(vec![1, 1]),
        IValue::Bool(false),
        IValue::IntList(vec![0, 0]),
        IValue::Int(groups),
    ]
}

const CONV: &str = "aten.convolution.default";

#[test]
fn convolution_errors_are_pytorchs() {
    let x = tensor(&[2, 3, 6, 6], DType::Float32);
    let msg = error(
        CONV,
        conv_args(x.clone(), tensor(&[4, 3, 3, 3], DType::Float64), None, 1),
    );
    assert!(
        msg.contains(
            "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the same"
        ),
        "{msg}"
    );
    let msg = error(
        CONV,
        conv_args(x.clone(), tensor(&[4, 2, 3, 3], DType::Float32), None, 1),
    );
    assert!(msg.contains("Given groups=1, weight of size [4, 2, 3, 3], expected input[2, 3, 6, 6] to have 2 channels, but got 3 channels instead"), "{msg}");
    let msg = error(
        CONV,
        conv_args(x.clone(), tensor(&[4, 3, 7, 7], DType::Float32), None, 1),
    );
    assert!(msg.contains("Calculated padded input size per channel: (6 x 6). Kernel size: (7 x 7). Kernel size can't be greater than actual input size"), "{msg}");
    let bias = tensor(&[3], DType::Float32);
    let msg = error(
        CONV,
        conv_args(x, tensor(&[4, 3, 3, 3], DType::Float32), Some(bias), 1),
    );
    assert!(
        msg.contains(
            "expected bias to be 1-dimensional with 4 elements, but got bias of size [3] instead"
        ),
        "{msg}"
    );
}

#[test]
fn convolution_of_an_empty_batch_and_on_meta_has_the_output_geometry() {
    let out = call(
        CONV,
        conv_args(
            tensor(&[0, 3, 6, 6], DType::Float32),
            tensor(&[4, 3, 3, 3], DType::Float32),
            None,
            1,
        ),
    )
    .expect("call");
    let t = out[0].as_tensor().expect("tensor");
    assert_eq!(
        (t.shape(), t.stride()),
        (&[0, 4, 4, 4][..], &[64, 16, 4, 1][..])
    );
    let meta_x =
        Tensor::meta("test", &[1, 2, 5, 5], &[50, 25, 5, 1], DType::Float32).expect("meta");
    let meta_w = Tensor::meta("test", &[2, 1, 3, 3], &[9, 9, 3, 1], DType::Float32).expect("meta");
    let out = call(CONV, conv_args(meta_x, meta_w, None, 2)).expect("call");
    let t = out[0].as_tensor().expect("tensor");
    assert_eq!(t.shape(), &[1, 2, 3, 3]);
    assert!(!t.has_data());
}

#[test]
fn convolution_backward_returns_only_the_masked_gradients() {
    let (x, w) = (
        tensor(&[1, 2, 4, 4], DType::Float64),
        tensor(&[3, 2, 3, 3], DType::Float64),
    );
    let g = tensor(&[1, 3, 2, 2], DType::Float64);
    let mut args = vec![g.into(), x.into(), w.into(), IValue::IntList(vec![0])];
    args.extend(
        conv_args(
            tensor(&[1], DType::Float64),
            tensor(&[1], DType::Float64),
            None,
            1,
        )
        .into_iter()
        .skip(3),
    );
    args.push(IValue::BoolList(vec![false, true, false]));
    let out = call("aten.convolution_backward.default", args).expect("call");
    assert!(matches!(out[0], IValue::None) && matches!(out[2], IValue::None));
    let dw = out[1].as_tensor().expect("grad_weight");
    assert_eq!(
        (dw.shape(), dw.dtype()),
        (&[3, 2, 3, 3][..], DType::Float64)
    );
}

#[test]
fn max_pool_errors_and_index_dtype() {
    let x = tensor(&[1, 2, 6, 6], DType::Float32);
    let pool = |k: i64, pad: i64| {
        vec![
            x.clone().into(),
            IValue::IntList(vec![k, k]),
            IValue::IntList(vec![1, 1]),
            IValue::IntList(vec![pad, pad]),
        ]
    };
    let msg = error("aten.max_pool2d_with_indices.default", pool(3, 2));
    assert!(msg.contains("pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"), "{msg}");
    let msg = error(
        "aten.max_pool2d_with_indices.default",
        vec![x.clone().into(), IValue::IntList(vec![7, 7])],
    );
    assert!(
        msg.contains(
            "Given input size: (2x6x6). Calculated output size: (2x0x0). Output size is too small"
        ),
        "{msg}"
    );
    let out = call("aten.max_pool2d_with_indices.default", pool(2, 1)).expect("call");
    let (v, i) = (
        out[0].as_tensor().expect("values"),
        out[1].as_tensor().expect("indices"),
    );
    assert_eq!(
        (v.dtype(), i.dtype(), v.shape()),
        (DType::Float32, DType::Int64, &[1, 2, 7, 7][..])
    );
}

#[test]
fn flash_attention_layouts_follow_pytorch() {
    let (q, k) = (
        tensor(&[2, 3, 4, 8], DType::Float32),
        tensor(&[2, 3, 5, 8], DType::Float32),
    );
    let out = call(
        "aten._scaled_dot_product_flash_attention_for_cpu.default",
        vec![q.clone().into(), k.clone().into(), k.clone().into()],
    )
    .expect("call");
    let (o, lse) = (
        out[0].as_tensor().expect("out"),
        out[1].as_tensor().expect("lse"),
    );
    assert_eq!(o.stride(), &[96, 32, 8, 1]);
    assert_eq!(
        (lse.shape(), lse.stride()),
        (&[2, 3, 4][..], &[12, 1, 3][..])
    );
    let grads = call(
        "aten._scaled_dot_product_flash_attention_for_cpu_backward.default",
        vec![
            tensor(&[2, 3, 4, 8], DType::Float32).into(),
            q.into(),
            k.clone().into(),
            k.into(),
            o.clone().into(),
            lse.clone().into(),
            IValue::Float(0.0),
            IValue::Bool(true),
        ],
    )
    .expect("call");
    let dk = grads[1].as_tensor().expect("grad_key");
    assert_eq!(dk.stride(), &[120, 8, 24, 1]);
}

#[test]
fn padding_that_empties_a_dimension_is_refused() {
    let x = tensor(&[2, 3], DType::Float32);
    let msg = error(
        "aten.constant_pad_nd.default",
        vec![x.into(), IValue::IntList(vec![-2, -2])],
    );
    // Measured in torch 2.15: constant padding narrows the negative pads
    // away first, and `narrow` refuses the negative length.
    assert!(
        msg.contains("narrow(): length must be non-negative."),
        "{msg}"
    );
}
