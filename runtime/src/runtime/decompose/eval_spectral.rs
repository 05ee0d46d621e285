//! The short-time Fourier transforms a dispatch mode sees whole inside
//! `torch.inference_mode()`: `stft` (both overloads: `.center` pads the
//! signal itself, `.default` is what `torch.stft` calls after padding in
//! Python) and `istft`. Each runs the operators ATen's
//! CompositeImplicitAutograd kernel runs (torch 2.15, observed by recording
//! the parts under `no_grad`): framing by `as_strided`, the window padded
//! to `n_fft` and multiplied in, `_fft_r2c`/`_fft_c2c`, `transpose_` to
//! `[.., freq, frames]`; and back: `_fft_c2r`/`_fft_c2c`, the window
//! multiplied in, overlap-add by `unfold_backward` of the frames and of the
//! squared window, trimmed and divided by that envelope.

use super::{Bound, fail, one};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    let out = match a.op {
        "aten.stft.default" => stft_args(a, false).and_then(|s| stft(rt, a, s)),
        "aten.stft.center" => stft_args(a, true).and_then(|s| stft(rt, a, s)),
        "aten.istft.default" => istft(rt, a),
        _ => return None,
    };
    Some(out)
}

/// `stft`'s arguments after the signal.
struct StftArgs {
    n_fft: i64,
    hop: Option<i64>,
    win_length: Option<i64>,
    window: Option<Tensor>,
    /// `Some(pad_mode)` when the signal is padded by `n_fft / 2` each side.
    center: Option<String>,
    normalized: bool,
    onesided: Option<bool>,
    return_complex: Option<bool>,
}

// Arguments the caller left out take their schema default (`None`).

fn opt_bool(a: &Bound<'_>, i: usize) -> Result<Option<bool>> {
    match a.args.get(i) {
        None | Some(IValue::None) => Ok(None),
        Some(IValue::Bool(b)) => Ok(Some(*b)),
        _ => Err(a.refuse(&format!("argument {i} that is not a bool"))),
    }
}

fn opt_tensor(a: &Bound<'_>, i: usize) -> Result<Option<Tensor>> {
    match a.args.get(i) {
        None | Some(IValue::None) => Ok(None),
        Some(v) => v
            .as_tensor()
            .cloned()
            .map(Some)
            .ok_or_else(|| a.refuse(&format!("argument {i} that is not a tensor"))),
    }
}

fn stft_args(a: &Bound<'_>, with_center: bool) -> Result<StftArgs> {
    // (self, n_fft, hop_length, win_length, window, [center, pad_mode,]
    //  normalized, onesided, return_complex, align_to_window)
    let shift = if with_center { 2 } else { 0 };
    let center = if with_center {
        let on = opt_bool(a, 5)?.unwrap_or(true);
        let mode = match a.args.get(6) {
            None => "reflect".to_owned(),
            Some(IValue::Str(s)) => s.clone(),
            Some(_) => return Err(a.refuse("a pad_mode that is not a string")),
        };
        on.then_some(mode)
    } else {
        None
    };
    let align = opt_bool(a, 8 + shift)?;
    if align == Some(true) {
        return Err(a.refuse("align_to_window=True"));
    }
    Ok(StftArgs {
        n_fft: a.int(1)?,
        hop: a.opt_int(2)?,
        win_length: a.opt_int(3)?,
        window: opt_tensor(a, 4)?,
        center,
        normalized: opt_bool(a, 5 + shift)?.unwrap_or(false),
        onesided: opt_bool(a, 6 + shift)?,
        return_complex: opt_bool(a, 7 + shift)?,
    })
}

/// The window padded with zeros to `n_fft`, centred (`left = (n_fft -
/// win_length) / 2`), or `None` without a window.
fn padded_window(
    rt: &mut Runtime,
    window: Option<&Tensor>,
    win_length: i64,
    n_fft: i64,
    fill: &Tensor,
) -> Result<Option<Tensor>> {
    if win_length == n_fft {
        return Ok(window.cloned());
    }
    let left = if rt.faults.stft_window_unshifted {
        0
    } else {
        (n_fft - win_length) / 2
    };
    let base = match window {
        Some(w) => w.clone(),
        None => one(
            rt,
            "aten.ones.default",
            vec![vec![win_length].into(), IValue::Dtype(fill.dtype())],
        )?,
    };
    Ok(Some(one(
        rt,
        "aten.constant_pad_nd.default",
        vec![
            base.into(),
            vec![left, n_fft - win_length - left].into(),
            IValue::Int(0),
        ],
    )?))
}

fn stft(rt: &mut Runtime, a: &Bound<'_>, s: StftArgs) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?.clone();
    let complex_input =
        x.dtype().is_complex() || s.window.as_ref().is_some_and(|w| w.dtype().is_complex());
    let return_complex = match s.return_complex {
        Some(r) => r,
        None if complex_input => true,
        None => {
            return Err(fail(
                a,
                "stft requires the return_complex parameter be given for real inputs, and will further require that return_complex=True in a future PyTorch release.",
            ));
        }
    };
    if x.dim() != 1 && x.dim() != 2 {
        return Err(fail(
            a,
            format!(
                "stft: expected a 1D or 2D tensor, but got {}D tensor",
                x.dim()
            ),
        ));
    }
    let x = match &s.center {
        Some(mode) => center_pad(rt, &x, s.n_fft / 2, mode)?,
        None => x,
    };
    let one_d = x.dim() == 1;
    let input = if one_d {
        one(rt, "aten.unsqueeze.default", vec![x.into(), IValue::Int(0)])?
    } else {
        x
    };
    let (batch, len) = (input.shape()[0], input.shape()[1]);
    let n_fft = s.n_fft;
    let hop = s.hop.unwrap_or(n_fft >> 2);
    let win_length = s.win_length.unwrap_or(n_fft);
    if n_fft <= 0 || n_fft > len {
        return Err(fail(
            a,
            format!("stft: expected 0 < n_fft < {len}, but got n_fft={n_fft}"),
        ));
    }
    if hop <= 0 {
        return Err(fail(
            a,
            format!("stft: expected hop_length > 0, but got hop_length={hop}"),
        ));
    }
    if win_length <= 0 || win_length > n_fft {
        return Err(fail(
            a,
            format!("stft: expected 0 < win_length <= n_fft, but got win_length={win_length}"),
        ));
    }
    if let Some(w) = &s.window
        && (w.dim() != 1 || w.shape()[0] != win_length)
    {
        return Err(fail(
            a,
            format!(
                "stft: expected a 1D window tensor of size equal to win_length={win_length}, but got window with size {:?}",
                w.shape()
            ),
        ));
    }
    let window = padded_window(rt, s.window.as_ref(), win_length, n_fft, &input)?;
    let n_frames = 1 + (len - n_fft) / hop;
    let st = input.stride().to_vec();
    let mut frames = one(
        rt,
        "aten.as_strided.default",
        vec![
            input.into(),
            vec![batch, n_frames, n_fft].into(),
            vec![st[0], hop * st[1], st[1]].into(),
        ],
    )?;
    if let Some(w) = window {
        frames = one(rt, "aten.mul.Tensor", vec![frames.into(), w.into()])?;
    }
    let norm = IValue::Int(i64::from(s.normalized));
    let out = if frames.dtype().is_complex() {
        if s.onesided == Some(true) {
            return Err(fail(
                a,
                "Cannot have onesided output if window or input is complex",
            ));
        }
        one(
            rt,
            "aten._fft_c2c.default",
            vec![frames.into(), vec![2i64].into(), norm, IValue::Bool(true)],
        )?
    } else {
        one(
            rt,
            "aten._fft_r2c.default",
            vec![
                frames.into(),
                vec![2i64].into(),
                norm,
                IValue::Bool(s.onesided.unwrap_or(true)),
            ],
        )?
    };
    // In place on the fresh result: the handles the in-place kernels
    // return carry the new geometry.
    let mut out = one(
        rt,
        "aten.transpose_.default",
        vec![out.into(), IValue::Int(1), IValue::Int(2)],
    )?;
    if one_d {
        out = one(rt, "aten.squeeze_.dim", vec![out.into(), IValue::Int(0)])?;
    }
    if return_complex {
        Ok(vec![out.into()])
    } else {
        rt.dispatch("aten.view_as_real.default", vec![out.into()])
    }
}

/// `torch.stft(center=True)`'s padding: the signal viewed as 3-d,
/// `pad(.., [p, p], mode)`, viewed back.
fn center_pad(rt: &mut Runtime, x: &Tensor, p: i64, mode: &str) -> Result<Tensor> {
    let shape = x.shape().to_vec();
    let mut extended = vec![1i64; 3 - shape.len().min(3)];
    extended.extend(&shape);
    let v = one(rt, "aten.view.default", vec![x.into(), extended.into()])?;
    let padded = one(
        rt,
        "aten.pad.default",
        vec![
            v.into(),
            vec![p, p].into(),
            IValue::Str(mode.to_owned()),
            IValue::None,
        ],
    )?;
    let mut back = shape;
    if let Some(last) = back.last_mut() {
        *last = padded.shape()[2];
    }
    one(rt, "aten.view.default", vec![padded.into(), back.into()])
}

/// `istft(self, n_fft, hop_length, win_length, window, center, normalized,
/// onesided, length, return_complex)`.
fn istft(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?.clone();
    let n_fft = a.int(1)?;
    let hop = a.opt_int(2)?.unwrap_or(n_fft >> 2);
    let win_length = a.opt_int(3)?.unwrap_or(n_fft);
    let window = opt_tensor(a, 4)?;
    let center = opt_bool(a, 5)?.unwrap_or(true);
    let normalized = opt_bool(a, 6)?.unwrap_or(false);
    let onesided = opt_bool(a, 7)?;
    let length = a.opt_int(8)?;
    let return_complex = opt_bool(a, 9)?.unwrap_or(false);
    if !x.dtype().is_complex() {
        return Err(fail(
            a,
            "istft requires a complex-valued input tensor matching the output from stft with return_complex=True.",
        ));
    }
    if x.dim() != 2 && x.dim() != 3 {
        return Err(fail(
            a,
            format!(
                "Expected a tensor with 2 or 3 dimensions of complex dtype, but got {}",
                x.dim()
            ),
        ));
    }
    let d = x.dim();
    let (fft_size, n_frames) = (x.shape()[d - 2], x.shape()[d - 1]);
    let onesided = onesided.unwrap_or(fft_size != n_fft);
    let expected = if onesided { n_fft / 2 + 1 } else { n_fft };
    if fft_size != expected {
        return Err(fail(
            a,
            format!(
                "istft: expected the frequency dimension (3rd to the last) of the input tensor to match n_fft{} when onesided={onesided}, but got {fft_size}",
                if onesided { " / 2 + 1" } else { "" }
            ),
        ));
    }
    if hop <= 0 || hop > win_length {
        return Err(fail(a, "istft: expected 0 < hop_length <= win_length"));
    }
    if win_length <= 0 || win_length > n_fft {
        return Err(fail(a, "istft: expected 0 < win_length <= n_fft"));
    }
    if let Some(w) = &window
        && (w.dim() != 1 || w.shape()[0] != win_length)
    {
        return Err(fail(
            a,
            "istft: expected a 1D window tensor of size equal to win_length",
        ));
    }
    let real_dtype = x.dtype().to_real();
    let base = match window {
        Some(w) => w,
        None => one(
            rt,
            "aten.ones.default",
            vec![vec![win_length].into(), IValue::Dtype(real_dtype)],
        )?,
    };
    let window = match padded_window(rt, Some(&base), win_length, n_fft, &base)? {
        Some(w) => w,
        None => base,
    };
    let mut input = one(rt, "aten.view_as_real.default", vec![x.into()])?;
    if d == 2 {
        input = one(
            rt,
            "aten.unsqueeze.default",
            vec![input.into(), IValue::Int(0)],
        )?;
    }
    let input = one(
        rt,
        "aten.transpose.int",
        vec![input.into(), IValue::Int(1), IValue::Int(2)],
    )?;
    let mut input = one(rt, "aten.view_as_complex.default", vec![input.into()])?;
    let norm = IValue::Int(if normalized { 1 } else { 2 });
    let frames = if return_complex {
        if onesided {
            return Err(fail(
                a,
                "Cannot have onesided output if window or input is complex",
            ));
        }
        one(
            rt,
            "aten._fft_c2c.default",
            vec![input.into(), vec![2i64].into(), norm, IValue::Bool(false)],
        )?
    } else {
        if window.dtype().is_complex() {
            return Err(fail(
                a,
                "Complex windows are incompatible with return_complex=False",
            ));
        }
        if !onesided {
            input = one(
                rt,
                "aten.slice.Tensor",
                vec![
                    input.into(),
                    IValue::Int(-1),
                    IValue::Int(0),
                    IValue::Int(n_fft / 2 + 1),
                    IValue::Int(1),
                ],
            )?;
        }
        one(
            rt,
            "aten._fft_c2r.default",
            vec![input.into(), vec![2i64].into(), norm, IValue::Int(n_fft)],
        )?
    };
    let w3 = one(
        rt,
        "aten.view.default",
        vec![(&window).into(), vec![1i64, 1, n_fft].into()],
    )?;
    let y_tmp = one(rt, "aten.mul.Tensor", vec![frames.into(), w3.into()])?;
    let signal_len = n_fft + hop * (n_frames - 1);
    let batch = y_tmp.shape()[0];
    let y = one(
        rt,
        "aten.unfold_backward.default",
        vec![
            y_tmp.into(),
            vec![batch, signal_len].into(),
            IValue::Int(1),
            IValue::Int(n_fft),
            IValue::Int(hop),
        ],
    )?;
    let sq = one(
        rt,
        "aten.pow.Tensor_Scalar",
        vec![window.into(), IValue::Int(2)],
    )?;
    let sq = one(
        rt,
        "aten.expand.default",
        vec![sq.into(), vec![1i64, n_frames, n_fft].into()],
    )?;
    let envelope = one(
        rt,
        "aten.unfold_backward.default",
        vec![
            sq.into(),
            vec![1i64, signal_len].into(),
            IValue::Int(1),
            IValue::Int(n_fft),
            IValue::Int(hop),
        ],
    )?;
    let start = if center { n_fft / 2 } else { 0 };
    let end = match length {
        Some(l) => start + l,
        None if center => -(n_fft / 2),
        None => signal_len,
    };
    let trim = |rt: &mut Runtime, t: Tensor| {
        one(
            rt,
            "aten.slice.Tensor",
            vec![
                t.into(),
                IValue::Int(1),
                IValue::Int(start),
                IValue::Int(end),
                IValue::Int(1),
            ],
        )
    };
    let y = trim(rt, y)?;
    let envelope = trim(rt, envelope)?;
    let abs = one(rt, "aten.abs.default", vec![(&envelope).into()])?;
    let lowest = one(rt, "aten.min.default", vec![abs.into()])?;
    let lowest = lowest.to_f64_vec()?.first().copied().unwrap_or(0.0);
    if lowest < 1e-11 {
        return Err(fail(
            a,
            "istft: window overlap add min: 1 (the squared window's overlap-add has a value below 1e-11)",
        ));
    }
    let mut y = one(rt, "aten.div.Tensor", vec![y.into(), envelope.into()])?;
    if d == 2 {
        y = one(rt, "aten.squeeze.dim", vec![y.into(), IValue::Int(0)])?;
    }
    if end > signal_len {
        let mut pad = vec![0i64; 2];
        pad[1] = end - signal_len;
        y = one(
            rt,
            "aten.constant_pad_nd.default",
            vec![y.into(), pad.into(), IValue::Int(0)],
        )?;
    }
    Ok(vec![y.into()])
}

#[cfg(test)]
mod tests {
    //! `stft`/`istft` run whole, as under `inference_mode` with a dispatch
    //! mode active. Expected values observed in torch 2.15.

    use super::super::test_support::{call, runtime, tensor, try_call_on};
    use crate::ivalue::IValue;
    use crate::tensor::dtype::DType;

    fn signal() -> Vec<f64> {
        (0..16).map(|i| ((i as f64) * 0.7).sin()).collect()
    }

    fn hann(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
            .collect()
    }

    #[test]
    fn stft_center_frames_and_transposes_like_torch() {
        // torch.stft(x, 8, hop_length=2, window=hann(8), return_complex=True)
        // of a [2, 16] signal, centred (reflect): [2, 5, 9] with strides
        // (45, 1, 5); a 1-d signal squeezed to [5, 9]; not centred [5, 5].
        let mut both = signal();
        both.extend(signal().iter().map(|v| -v));
        let x = tensor(&[2, 16], DType::Float32, &both);
        let w = tensor(&[8], DType::Float32, &hann(8));
        let args = |x: IValue, center: bool| {
            vec![
                x,
                IValue::Int(8),
                IValue::Int(2),
                IValue::None,
                w.clone().into(),
                IValue::Bool(center),
                IValue::Str("reflect".into()),
                IValue::Bool(false),
                IValue::None,
                IValue::Bool(true),
            ]
        };
        let out = call("aten.stft.center", args(x.clone().into(), true));
        assert_eq!(out.shape(), &[2, 5, 9]);
        assert_eq!(out.stride(), &[45, 1, 5]);
        let one_d = tensor(&[16], DType::Float32, &signal());
        let out = call("aten.stft.center", args(one_d.clone().into(), true));
        assert_eq!(out.shape(), &[5, 9]);
        let out = call("aten.stft.center", args(one_d.into(), false));
        assert_eq!(out.shape(), &[5, 5]);
    }

    #[test]
    fn istft_inverts_stft() {
        let x = tensor(&[16], DType::Float32, &signal());
        let w = tensor(&[8], DType::Float32, &hann(8));
        let spec = call(
            "aten.stft.center",
            vec![
                x.into(),
                IValue::Int(8),
                IValue::Int(2),
                IValue::None,
                w.clone().into(),
                IValue::Bool(true),
                IValue::Str("constant".into()),
                IValue::Bool(true),
                IValue::None,
                IValue::Bool(true),
            ],
        );
        let back = call(
            "aten.istft.default",
            vec![
                spec.into(),
                IValue::Int(8),
                IValue::Int(2),
                IValue::None,
                w.into(),
                IValue::Bool(true),
                IValue::Bool(true),
                IValue::None,
                IValue::Int(18),
            ],
        );
        assert_eq!(back.shape(), &[18]);
        let got = back.to_f64_vec().expect("values");
        for (g, e) in got.iter().zip(signal()) {
            assert!((g - e).abs() < 1e-5, "{g} vs {e}");
        }
        // Beyond the signal: the zero padding `center` added, recovered.
        assert!(got[16..].iter().all(|g| g.abs() < 1e-5), "{got:?}");
    }

    #[test]
    fn a_real_stft_without_return_complex_is_pytorchs_error() {
        let x = tensor(&[16], DType::Float32, &signal());
        let e = try_call_on(
            &mut runtime(),
            "aten.stft.default",
            vec![x.into(), IValue::Int(8)],
        )
        .expect_err("error")
        .to_string();
        assert!(
            e.contains("stft requires the return_complex parameter"),
            "{e}"
        );
    }
}
