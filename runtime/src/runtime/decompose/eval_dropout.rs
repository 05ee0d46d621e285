//! The dropout family seen whole inside `torch.inference_mode()`:
//! `dropout`, `alpha_dropout`, `feature_dropout`, `feature_alpha_dropout`
//! and their in-place forms, in evaluation (the input itself) and in
//! training, as Monte-Carlo dropout evaluates a network.
//!
//! In training ATen's CPU composite draws `noise` (the input's shape, or
//! `[N, C, 1, ..]` for the feature forms) by `bernoulli_(1 - p)` and then
//! computes `x * noise / (1 - p)`, or for the alpha forms
//! `x * (noise * a) + ((noise - 1) * alpha * a + alpha * a * p)` with
//! `alpha = 1.7580993408473766` and `a = 1 / sqrt((alpha² p + 1)(1 - p))`.
//! The draw is PyTorch's generator's, which the runtime does not model; the
//! trace records the composite's result (these operators are random
//! operators of the capture's value policy), and the replay queues it as
//! this call's random values. The mask is recovered from it: a noise
//! element is dropped when every element it covers equals what a dropped
//! element gives (0, or the alpha forms' constant), kept otherwise. The
//! result is then computed from the runtime's own input as ATen computes
//! it, so it is PyTorch's bit for bit on PyTorch's input, and drift in the
//! input still shows. Without recorded values the runtime's generator
//! draws the mask. The fault `dropout-mask-inverted` flips the mask.

use super::{Bound, fail, one};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::strides::contiguous_strides;

/// The SELU saturation value alpha dropout drops to (ATen's constant).
const ALPHA: f64 = 1.758_099_340_847_376_6;

/// `dropout`-family composite `a.op` (`(input, p, train)`).
pub(super) fn dropout(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?.clone();
    // The recorded result queued for this call, whatever the arguments
    // (an evaluation call's is its input).
    let recorded = if rt.random.pending() > 0 {
        Some(rt.random.take(a.op, x.numel(), |_| 0.0)?)
    } else {
        None
    };
    let (p, train) = (a.float(1)?, a.flag(2)?);
    if !(0.0..=1.0).contains(&p) {
        return Err(fail(
            a,
            format!("dropout probability has to be between 0 and 1, but got {p}"),
        ));
    }
    let inplace = a.op.ends_with("_.default");
    if p == 0.0 || !train || x.numel() == 0 {
        return Ok(vec![x.into()]);
    }
    let feature = a.op.contains("feature_");
    let alpha = a.op.contains("alpha_");
    if feature && x.dim() < 2 {
        return Err(fail(
            a,
            "Feature dropout requires at least 2 dimensions in the input",
        ));
    }
    if p == 1.0 {
        let op = if inplace {
            "aten.mul_.Tensor"
        } else {
            "aten.mul.Tensor"
        };
        let zero = one(
            rt,
            "aten.zeros.default",
            vec![Vec::<i64>::new().into(), IValue::Dtype(x.dtype())],
        )?;
        return rt.dispatch(op, vec![x.into(), zero.into()]);
    }
    let noise_shape: Vec<i64> = if feature {
        let mut s = vec![1i64; x.dim()];
        s[0] = x.shape()[0];
        s[1] = x.shape()[1];
        s
    } else {
        x.shape().to_vec()
    };
    let mut keep = match recorded {
        Some(ys) => recover_mask(rt, &x, &ys, &noise_shape, p, alpha)?,
        None => {
            let noise = one(
                rt,
                "aten.empty.memory_format",
                vec![noise_shape.clone().into(), IValue::Dtype(x.dtype())],
            )?;
            one(
                rt,
                "aten.bernoulli_.float",
                vec![noise.into(), IValue::Float(1.0 - p)],
            )?
            .read_f64(a.op)?
        }
    };
    if rt.faults.dropout_mask_inverted {
        for k in &mut keep {
            *k = 1.0 - *k;
        }
    }
    let noise = Tensor::from_f64(
        a.op,
        &noise_shape,
        &contiguous_strides(&noise_shape),
        x.dtype(),
        &keep,
    )?;
    Ok(vec![apply(rt, &x, noise, p, alpha, inplace)?.into()])
}

/// ATen's arithmetic on a drawn `noise` of zeros and ones.
fn apply(
    rt: &mut Runtime,
    x: &Tensor,
    noise: Tensor,
    p: f64,
    alpha: bool,
    inplace: bool,
) -> Result<Tensor> {
    let mul = if inplace {
        "aten.mul_.Tensor"
    } else {
        "aten.mul.Tensor"
    };
    if !alpha {
        let noise = one(
            rt,
            "aten.div_.Scalar",
            vec![noise.into(), IValue::Float(1.0 - p)],
        )?;
        return one(rt, mul, vec![x.into(), noise.into()]);
    }
    let scale = 1.0 / ((ALPHA * ALPHA * p + 1.0) * (1.0 - p)).sqrt();
    let b = one(
        rt,
        "aten.add.Scalar",
        vec![(&noise).into(), IValue::Int(-1), IValue::Int(1)],
    )?;
    let b = one(
        rt,
        "aten.mul_.Scalar",
        vec![b.into(), IValue::Float(ALPHA * scale)],
    )?;
    let b = one(
        rt,
        "aten.add_.Scalar",
        vec![b.into(), IValue::Float(ALPHA * scale * p), IValue::Int(1)],
    )?;
    let noise = one(
        rt,
        "aten.mul_.Scalar",
        vec![noise.into(), IValue::Float(scale)],
    )?;
    let out = one(rt, mul, vec![x.into(), noise.into()])?;
    one(
        rt,
        "aten.add_.Tensor",
        vec![out.into(), b.into(), IValue::Int(1)],
    )
}

/// The mask (one value per noise element, 1 kept) whose result is the
/// recorded `ys`: a noise element is dropped when each element it covers
/// equals the all-dropped result.
fn recover_mask(
    rt: &mut Runtime,
    x: &Tensor,
    ys: &[f64],
    noise_shape: &[i64],
    p: f64,
    alpha: bool,
) -> Result<Vec<f64>> {
    let zeros = Tensor::from_f64(
        "dropout",
        noise_shape,
        &contiguous_strides(noise_shape),
        x.dtype(),
        &vec![0.0; noise_shape.iter().product::<i64>().max(0) as usize],
    )?;
    let dropped = apply(rt, x, zeros, p, alpha, false)?.read_f64("dropout")?;
    let groups = noise_shape.iter().product::<i64>().max(1) as usize;
    let per = ys.len() / groups.max(1);
    let mut keep = vec![0.0; groups];
    for (i, (y, d)) in ys.iter().zip(&dropped).enumerate() {
        // Element i of an `[N, C, ..]` input lies in noise element i / per.
        if y != d
            && !(y.is_nan() && d.is_nan())
            && let Some(k) = keep.get_mut(i / per.max(1))
        {
            *k = 1.0;
        }
    }
    Ok(keep)
}

#[cfg(test)]
mod tests {
    //! The dropout composites run whole, as under `inference_mode` with a
    //! dispatch mode active, with a recorded result queued as a replay does.

    use super::super::test_support::{runtime, tensor, try_call_on};
    use crate::ivalue::IValue;
    use crate::tensor::dtype::DType;

    fn queued(values: &[f32]) -> crate::runtime::Runtime {
        let mut rt = runtime();
        rt.provide_random_f32(values.to_vec());
        rt
    }

    #[test]
    fn dropout_recovers_the_recorded_mask_and_scales_the_runtimes_input() {
        // F.dropout(x, 0.5, training=True) kept elements 0 and 2.
        let x = tensor(&[4], DType::Float32, &[1.0, 2.0, 3.0, 4.0]);
        let mut rt = queued(&[2.0, 0.0, 6.0, 0.0]);
        let out = try_call_on(
            &mut rt,
            "aten.dropout.default",
            vec![(&x).into(), IValue::Float(0.5), IValue::Bool(true)],
        )
        .expect("call");
        assert_eq!(out.read_f64("t").expect("v"), vec![2.0, 0.0, 6.0, 0.0]);
        assert_eq!(rt.pending_random_values(), 0);
    }

    #[test]
    fn feature_alpha_dropout_drops_whole_channels_to_the_saturation_value() {
        // torch 2.15: F.feature_alpha_dropout(ones(1, 2, 2), 0.5, True)
        // with channel 1 dropped: [[1.6656, 1.6656], [-0.7792, -0.7792]].
        let x = tensor(&[1, 2, 2], DType::Float32, &[1.0; 4]);
        let mut rt = queued(&[1.665_598_9, 1.665_598_9, -0.779_193_94, -0.779_193_94]);
        let out = try_call_on(
            &mut rt,
            "aten.feature_alpha_dropout.default",
            vec![(&x).into(), IValue::Float(0.5), IValue::Bool(true)],
        )
        .expect("call");
        let got = out.read_f64("t").expect("v");
        assert_eq!(got[1], f64::from(1.665_598_9f32), "{got:?}");
        assert_eq!(got[2], f64::from(-0.779_193_94f32), "{got:?}");
    }

    #[test]
    fn evaluation_drains_the_queued_result_and_returns_the_input() {
        let x = tensor(&[2], DType::Float32, &[1.0, 2.0]);
        let mut rt = queued(&[1.0, 2.0]);
        let out = try_call_on(
            &mut rt,
            "aten.alpha_dropout.default",
            vec![(&x).into(), IValue::Float(0.5), IValue::Bool(false)],
        )
        .expect("call");
        assert!(out.same_tensor(&x));
        assert_eq!(rt.pending_random_values(), 0);
        let e = try_call_on(
            &mut runtime(),
            "aten.dropout.default",
            vec![(&x).into(), IValue::Float(1.5), IValue::Bool(false)],
        )
        .expect_err("error")
        .to_string();
        assert!(
            e.contains("dropout probability has to be between 0 and 1"),
            "{e}"
        );
    }
}
