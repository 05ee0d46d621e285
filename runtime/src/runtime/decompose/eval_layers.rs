//! Layers of a trained network evaluated inside `torch.inference_mode()`,
//! where a dispatch mode sees their composites whole: 3-d and string-padded
//! convolutions (`padding='same'` / `'valid'`), transposed convolutions,
//! `max_pool3d`, `adaptive_avg_pool3d`, `prelu`, `rrelu` (and `rrelu_`),
//! `pdist` and `multilabel_margin_loss`. Each runs PyTorch's decomposition
//! (ATen's CompositeImplicitAutograd kernel, torch 2.15): the same kernels
//! with the same arguments, so results are bit for bit its own.

use super::{Bound, convolution, fail, first, one, reshape_one};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::options::MemoryFormat;

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    let out = match a.op {
        "aten.conv3d.default" => convolution(rt, a, 3),
        "aten.conv1d.padding" => conv_padding_mode(rt, a, 1),
        "aten.conv2d.padding" => conv_padding_mode(rt, a, 2),
        "aten.conv3d.padding" => conv_padding_mode(rt, a, 3),
        "aten.conv_transpose1d.default" => conv_transpose(rt, a, 1),
        "aten.conv_transpose2d.input" => conv_transpose(rt, a, 2),
        "aten.conv_transpose3d.input" => conv_transpose(rt, a, 3),
        "aten.max_pool3d.default" => rt
            .dispatch(
                "aten.max_pool3d_with_indices.default",
                a.args.iter().take(6).cloned().collect(),
            )
            .and_then(first),
        "aten.adaptive_avg_pool3d.default" => adaptive_avg_pool3d(rt, a),
        "aten.multilabel_margin_loss.default" => rt
            .dispatch(
                "aten.multilabel_margin_loss_forward.default",
                a.args.iter().take(3).cloned().collect(),
            )
            .and_then(first),
        "aten.pdist.default" => pdist(rt, a),
        "aten.prelu.default" => prelu(rt, a),
        "aten.rrelu.default" => rrelu(rt, a, "aten.rrelu_with_noise.default"),
        "aten.rrelu_.default" => rrelu(rt, a, "aten.rrelu_with_noise_.default"),
        _ => return None,
    };
    Some(out)
}

/// The convolution name PyTorch's rank check reports.
fn conv_name(op: &str) -> &str {
    let name = op.strip_prefix("aten.").unwrap_or(op);
    name.split('.').next().unwrap_or(name)
}

/// An unbatched input (one rank short) gains a leading batch of one, as
/// PyTorch's `batchify` does; `true` when the input was batched.
fn batchify(rt: &mut Runtime, a: &Bound<'_>, spatial: usize) -> Result<(Tensor, bool)> {
    let x = a.tensor(0)?.clone();
    if x.dim() == spatial + 2 {
        return Ok((x, true));
    }
    if x.dim() != spatial + 1 {
        return Err(fail(
            a,
            format!(
                "Expected {}D (unbatched) or {}D (batched) input to {}, but got input of size: {:?}",
                spatial + 1,
                spatial + 2,
                conv_name(a.op),
                x.shape()
            ),
        ));
    }
    let x = one(rt, "aten.unsqueeze.default", vec![x.into(), 0i64.into()])?;
    Ok((x, false))
}

/// The result of a batchified convolution, squeezed back when the input
/// was unbatched.
fn unbatch(rt: &mut Runtime, out: Tensor, batched: bool) -> Result<Vec<IValue>> {
    if batched {
        return Ok(vec![out.into()]);
    }
    rt.dispatch("aten.squeeze.dim", vec![out.into(), 0i64.into()])
}

/// `convN.padding` (`_convolution_mode`): `'valid'` is a convolution
/// without padding; `'same'` pads each side by half of `dilation *
/// (kernel - 1)`, and when that total is odd pads the input's far side by
/// the remaining element first (`constant_pad_nd`), as PyTorch does.
fn conv_padding_mode(rt: &mut Runtime, a: &Bound<'_>, spatial: usize) -> Result<Vec<IValue>> {
    let (x, batched) = batchify(rt, a, spatial)?;
    let weight = a.tensor(1)?.clone();
    let (stride, dilation, groups) = (a.ints(3)?, a.ints(5)?, a.int(6)?);
    let mode = match a.value(4)? {
        IValue::Str(m) => m.clone(),
        _ => return Err(a.refuse("a padding that is not a string")),
    };
    let (input, padding) = match mode.as_str() {
        "valid" => (x, vec![0i64; spatial]),
        "same" => same_padding(rt, a, x, &weight, &stride, &dilation)?,
        other => return Err(fail(a, format!("Invalid padding string: '{other}'"))),
    };
    let out = one(
        rt,
        "aten.convolution.default",
        vec![
            input.into(),
            weight.into(),
            a.value(2)?.clone(),
            stride.into(),
            padding.into(),
            dilation.into(),
            false.into(),
            vec![0i64; spatial].into(),
            groups.into(),
        ],
    )?;
    unbatch(rt, out, batched)
}

/// The per-side split of `'same'` padding along each spatial dimension:
/// `(left, right)` with `left = total / 2`, `total = dilation * (k - 1)`.
fn same_split(kernel: &[i64], dilation: &[i64]) -> Vec<(i64, i64)> {
    kernel
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let d = dilation.get(i).or(dilation.first()).copied().unwrap_or(1);
            let total = d * (k - 1);
            let left = total / 2;
            (left, total - left)
        })
        .collect()
}

/// `'same'` padding: the symmetric padding the convolution takes, and the
/// input with any asymmetric remainder padded on first.
fn same_padding(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: Tensor,
    weight: &Tensor,
    stride: &[i64],
    dilation: &[i64],
) -> Result<(Tensor, Vec<i64>)> {
    if stride.iter().any(|&s| s != 1) {
        return Err(fail(
            a,
            "padding='same' is not supported for strided convolutions",
        ));
    }
    let kernel = weight.shape().get(2..).unwrap_or(&[]).to_vec();
    let split = same_split(&kernel, dilation);
    let mut padding: Vec<i64> = split.iter().map(|&(l, _)| l).collect();
    if split.iter().all(|&(l, r)| l == r) {
        return Ok((x, padding));
    }
    // `F.pad` order: last dimension first, (before, after) pairs.
    let dims = split.len();
    let mut pad = vec![0i64; 2 * dims];
    for (i, &(l, r)) in split.iter().enumerate() {
        let at = 2 * (dims - 1 - i);
        let delta = r - l;
        if delta > 0 && rt.faults.same_padding_extra_before {
            pad[at] = delta;
        } else if delta > 0 {
            pad[at + 1] = delta;
        } else {
            pad[at] = delta;
            padding[i] = r;
        }
    }
    let padded = one(
        rt,
        "aten.constant_pad_nd.default",
        vec![x.into(), pad.into(), IValue::Int(0)],
    )?;
    Ok((padded, padding))
}

/// `conv_transposeN(input, weight, bias, stride, padding, output_padding,
/// groups, dilation)`: a transposed `convolution` of the batchified input.
fn conv_transpose(rt: &mut Runtime, a: &Bound<'_>, spatial: usize) -> Result<Vec<IValue>> {
    let (x, batched) = batchify(rt, a, spatial)?;
    let out = one(
        rt,
        "aten.convolution.default",
        vec![
            x.into(),
            a.tensor(1)?.into(),
            a.value(2)?.clone(),
            a.ints(3)?.into(),
            a.ints(4)?.into(),
            a.ints(7)?.into(),
            true.into(),
            a.ints(5)?.into(),
            a.int(6)?.into(),
        ],
    )?;
    unbatch(rt, out, batched)
}

/// `adaptive_avg_pool3d`: a mean over the three spatial dimensions (kept)
/// for a 1×1×1 output, the kernel otherwise.
fn adaptive_avg_pool3d(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let size = a.ints(1)?;
    if size.iter().all(|&s| s == 1) {
        return rt.dispatch(
            "aten.mean.dim",
            vec![a.tensor(0)?.into(), vec![-1i64, -2, -3].into(), true.into()],
        );
    }
    rt.dispatch(
        "aten._adaptive_avg_pool3d.default",
        vec![a.tensor(0)?.into(), size.into()],
    )
}

/// `pdist`: PyTorch's checks, then `_pdist_forward` of a contiguous input.
fn pdist(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let p = a.float(1)?;
    if x.dim() != 2 {
        return Err(fail(
            a,
            format!("pdist only supports 2D tensors, got: {}D", x.dim()),
        ));
    }
    if !x.dtype().is_floating() {
        return Err(fail(a, "pdist only supports floating-point dtypes"));
    }
    if p < 0.0 {
        return Err(fail(a, "pdist only supports non-negative p values"));
    }
    let x = if x.is_contiguous() {
        x.clone()
    } else {
        one(
            rt,
            "aten.clone.default",
            vec![x.into(), IValue::MemoryFormat(MemoryFormat::Contiguous)],
        )?
    };
    rt.dispatch("aten._pdist_forward.default", vec![x.into(), p.into()])
}

/// `prelu`: the weight reshaped to broadcast over the input's channel
/// dimension (`[1, C, 1, ...]`, or all ones for one parameter) unless the
/// ranks already agree, then `_prelu_kernel`.
fn prelu(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, w) = (a.tensor(0)?, a.tensor(1)?);
    if x.dtype() != w.dtype() {
        return Err(fail(
            a,
            format!(
                "prelu: Type promoting not supported. Got {} and {}",
                x.dtype().scalar_type_name(),
                w.dtype().scalar_type_name()
            ),
        ));
    }
    let rank = x.dim();
    let count = w.numel() as i64;
    if count != 1 {
        if rank == 0 {
            return Err(fail(a, "Not allow zero-dim input tensor."));
        }
        let channels = if rank > 1 { x.shape()[1] } else { 1 };
        if channels != count {
            return Err(fail(
                a,
                format!(
                    "Mismatch of parameter numbers and input channel size. Found parameter numbers = {count} and channel size = {channels}."
                ),
            ));
        }
    }
    if w.dim() > 1 {
        return Err(fail(
            a,
            format!(
                "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {}",
                w.dim()
            ),
        ));
    }
    let weight = if rank != w.dim() {
        let mut shape = vec![1i64; rank];
        if rank > 1 {
            shape[1] = count;
        }
        reshape_one(rt, w, &shape)?
    } else {
        w.clone()
    };
    rt.dispatch("aten._prelu_kernel.default", vec![x.into(), weight.into()])
}

/// `rrelu` / `rrelu_`: `rrelu_with_noise` with a fresh contiguous noise
/// buffer (`empty_like`), which evaluation leaves untouched.
fn rrelu(rt: &mut Runtime, a: &Bound<'_>, kernel: &str) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let (lower, upper) = (a.float(1)?, a.float(2)?);
    if lower > upper {
        return Err(fail(
            a,
            "Lower bound should be less than or equal to the upper bound",
        ));
    }
    let noise = one(
        rt,
        "aten.empty_like.default",
        vec![
            x.into(),
            IValue::None,
            IValue::None,
            IValue::None,
            IValue::None,
            IValue::MemoryFormat(MemoryFormat::Contiguous),
        ],
    )?;
    rt.dispatch(
        kernel,
        vec![
            x.into(),
            noise.into(),
            a.value(1)?.clone(),
            a.value(2)?.clone(),
            a.value(3)?.clone(),
            a.value(4)?.clone(),
        ],
    )
}

#[cfg(test)]
mod tests {
    //! The composites run whole, as under `inference_mode` with a dispatch
    //! mode active. Expected values observed in torch 2.15.

    use super::same_split;
    use crate::ivalue::IValue;
    use crate::runtime::decompose::test_support::{call, runtime, tensor, try_call_on};
    use crate::tensor::dtype::DType;

    fn values(t: &crate::tensor::Tensor) -> Vec<f64> {
        t.to_f64_vec().expect("values")
    }

    #[test]
    fn same_padding_splits_odd_totals_with_the_extra_on_the_right() {
        assert_eq!(same_split(&[3], &[1]), vec![(1, 1)]);
        assert_eq!(same_split(&[4], &[1]), vec![(1, 2)]);
        assert_eq!(same_split(&[4, 3], &[2]), vec![(3, 3), (2, 2)]);
    }

    #[test]
    fn conv1d_same_with_an_even_kernel_pads_the_far_side() {
        // x = [1, 2, 3], w = [1, 1] ('same': total 1, left 0, right 1)
        let x = tensor(&[1, 1, 3], DType::Float32, &[1.0, 2.0, 3.0]);
        let w = tensor(&[1, 1, 2], DType::Float32, &[1.0, 1.0]);
        let out = call(
            "aten.conv1d.padding",
            vec![
                x.into(),
                w.into(),
                IValue::None,
                vec![1i64].into(),
                IValue::Str("same".into()),
                vec![1i64].into(),
                1i64.into(),
            ],
        );
        assert_eq!(out.shape(), &[1, 1, 3]);
        assert_eq!(values(&out), vec![3.0, 5.0, 3.0]);
    }

    #[test]
    fn strided_same_padding_is_pytorchs_error() {
        let x = tensor(&[1, 1, 3], DType::Float32, &[1.0, 2.0, 3.0]);
        let w = tensor(&[1, 1, 2], DType::Float32, &[1.0, 1.0]);
        let err = try_call_on(
            &mut runtime(),
            "aten.conv1d.padding",
            vec![
                x.into(),
                w.into(),
                IValue::None,
                vec![2i64].into(),
                IValue::Str("same".into()),
                vec![1i64].into(),
                1i64.into(),
            ],
        )
        .expect_err("strided same");
        assert!(err.to_string().contains("strided convolutions"), "{err}");
    }

    #[test]
    fn conv_transpose1d_of_an_unbatched_input_is_squeezed_back() {
        // x = [1, 2], w = [1, 10], stride 2: [1, 10, 2, 20]
        let x = tensor(&[1, 2], DType::Float32, &[1.0, 2.0]);
        let w = tensor(&[1, 1, 2], DType::Float32, &[1.0, 10.0]);
        let out = call(
            "aten.conv_transpose1d.default",
            vec![
                x.into(),
                w.into(),
                IValue::None,
                vec![2i64].into(),
                vec![0i64].into(),
                vec![0i64].into(),
                1i64.into(),
                vec![1i64].into(),
            ],
        );
        assert_eq!(out.shape(), &[1, 4]);
        assert_eq!(values(&out), vec![1.0, 10.0, 2.0, 20.0]);
    }

    #[test]
    fn prelu_broadcasts_one_weight_per_channel() {
        let x = tensor(&[1, 2, 2], DType::Float32, &[-1.0, 2.0, -3.0, 4.0]);
        let w = tensor(&[2], DType::Float32, &[0.5, 0.25]);
        let out = call("aten.prelu.default", vec![x.into(), w.into()]);
        assert_eq!(values(&out), vec![-0.5, 2.0, -0.75, 4.0]);
    }

    #[test]
    fn rrelu_in_evaluation_uses_the_mean_slope() {
        let x = tensor(&[2], DType::Float64, &[-2.0, 3.0]);
        let out = call(
            "aten.rrelu.default",
            vec![
                x.into(),
                IValue::Float(0.1),
                IValue::Float(0.3),
                false.into(),
                IValue::None,
            ],
        );
        assert_eq!(values(&out), vec![-0.4, 3.0]);
    }

    #[test]
    fn pdist_of_three_points() {
        let x = tensor(&[3, 1], DType::Float32, &[0.0, 3.0, 7.0]);
        let out = call("aten.pdist.default", vec![x.into(), IValue::Float(2.0)]);
        assert_eq!(values(&out), vec![3.0, 7.0, 4.0]);
    }
}
