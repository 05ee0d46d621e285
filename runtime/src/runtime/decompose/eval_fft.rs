//! The `torch.fft` transforms a dispatch mode sees whole inside
//! `torch.inference_mode()`: `fft`/`ifft`, `irfft`, `hfft`/`ihfft` and the
//! 2-d and n-d forms (`fft2`/`ifft2`/`fftn`/`ifftn`, `rfft2`/`rfftn`,
//! `irfft2`/`irfftn`, `hfft2`/`hfftn`, `ihfft2`/`ihfftn`), and the complex
//! parts `real`/`imag`. Each runs the operators ATen's
//! CompositeImplicitAutograd kernel runs (torch 2.15, observed by
//! recording the parts under `no_grad`):
//!
//! * the input promoted (an integer input to float32; to complex when the
//!   transform needs a complex input) by `_to_copy`;
//! * resized to the requested lengths: every dimension that is too long
//!   sliced first, then one `constant_pad_nd` for those too short;
//! * one `_fft_c2c` / `_fft_r2c` / `_fft_c2r` over the transformed
//!   dimensions, with the normalisation NumPy's `norm` names for the
//!   direction (`"backward"`: none forward, `1/n` backward; `"forward"` the
//!   other way round; `"ortho"`: `1/sqrt(n)` both ways);
//! * the conjugate view (`_conj`) where ATen computes an inverse real
//!   transform as the conjugate of a forward one (`ifft` of a real input,
//!   `ihfft`), or the conjugate of the input of a forward `c2r` (`hfft`).
//!
//! `fft_rfft`, `fft_fftshift`/`ifftshift` live in `eval_composites.rs`.

use super::{Bound, fail, one, wrap};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    let out = match a.op {
        "aten.fft_fft.default" => one_dim(rt, a, Kind::Fft, true),
        "aten.fft_ifft.default" => one_dim(rt, a, Kind::Fft, false),
        "aten.fft_irfft.default" => one_dim(rt, a, Kind::C2r, false),
        "aten.fft_hfft.default" => one_dim(rt, a, Kind::C2r, true),
        "aten.fft_ihfft.default" => one_dim(rt, a, Kind::R2cOnesided, false),
        "aten.fft_fft2.default" | "aten.fft_fftn.default" => fftn(rt, a, true),
        "aten.fft_ifft2.default" | "aten.fft_ifftn.default" => fftn(rt, a, false),
        "aten.fft_rfft2.default" | "aten.fft_rfftn.default" => rfftn(rt, a),
        "aten.fft_irfft2.default" | "aten.fft_irfftn.default" => irfftn(rt, a),
        "aten.fft_hfft2.default" | "aten.fft_hfftn.default" => hfftn(rt, a),
        "aten.fft_ihfft2.default" | "aten.fft_ihfftn.default" => ihfftn(rt, a),
        "aten.real.default" => real(rt, a),
        "aten.imag.default" => imag(rt, a),
        _ => return None,
    };
    Some(out)
}

/// Which kernel a one-dimensional transform runs.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `_fft_c2c` of a complex input, `_fft_r2c` two-sided of a real one.
    Fft,
    /// `_fft_c2r` (Hermitian input, real output).
    C2r,
    /// `_fft_r2c` one-sided.
    R2cOnesided,
}

/// ATen's `fft_norm_mode` for `norm` in direction `forward`: 0 none, 1 by
/// `1/sqrt(n)`, 2 by `1/n`.
fn norm_mode(a: &Bound<'_>, norm: &IValue, forward: bool) -> Result<i64> {
    let by_n_when = |scaled: bool| if scaled { 2 } else { 0 };
    match norm {
        IValue::None => Ok(by_n_when(!forward)),
        IValue::Str(s) if s == "backward" => Ok(by_n_when(!forward)),
        IValue::Str(s) if s == "forward" => Ok(by_n_when(forward)),
        IValue::Str(s) if s == "ortho" => Ok(1),
        IValue::Str(s) => Err(fail(a, format!("Invalid normalization mode: \"{s}\""))),
        _ => Err(a.refuse("a norm that is not a string")),
    }
}

/// [`norm_mode`] as this runtime applies it: the fault
/// `fft-norm-wrong-side` takes the other direction's.
fn norm_for(rt: &Runtime, a: &Bound<'_>, norm: &IValue, forward: bool) -> Result<i64> {
    norm_mode(a, norm, forward != rt.faults.fft_norm_wrong_side)
}

/// `promote_tensor_fft`: complex stays; an integer input becomes float32
/// (the default dtype); `require_complex` makes a real input complex.
fn promote(rt: &mut Runtime, a: &Bound<'_>, x: &Tensor, require_complex: bool) -> Result<Tensor> {
    let cur = x.dtype();
    if cur.is_complex() {
        return Ok(x.clone());
    }
    let mut want = if cur.is_floating() {
        cur
    } else {
        DType::Float32
    };
    if !matches!(want, DType::Float32 | DType::Float64) {
        return Err(fail(
            a,
            format!("Unsupported dtype {}", want.scalar_type_name()),
        ));
    }
    if require_complex {
        want = want
            .to_complex()
            .ok_or_else(|| a.refuse("a dtype without a complex counterpart"))?;
    }
    if want == cur {
        return Ok(x.clone());
    }
    one(
        rt,
        "aten._to_copy.default",
        vec![x.into(), IValue::Dtype(want)],
    )
}

/// `resize_fft_input`: each of `dims` cut (`slice`) or zero-padded to
/// `sizes` (`-1` leaves it); slices in order, then one `constant_pad_nd`.
fn resize(rt: &mut Runtime, x: Tensor, dims: &[usize], sizes: &[i64]) -> Result<Tensor> {
    let rank = x.dim();
    let mut pad = vec![0i64; 2 * rank];
    let mut must_pad = false;
    let mut x = x;
    for (&d, &n) in dims.iter().zip(sizes) {
        if n == -1 {
            continue;
        }
        let have = x.shape().get(d).copied().unwrap_or(1);
        if have < n {
            must_pad = true;
            pad[2 * rank - 2 * d - 1] = n - have;
        }
        if have > n {
            x = one(
                rt,
                "aten.slice.Tensor",
                vec![
                    x.into(),
                    IValue::Int(d as i64),
                    IValue::Int(0),
                    IValue::Int(n),
                    IValue::Int(1),
                ],
            )?;
        }
    }
    if !must_pad {
        return Ok(x);
    }
    one(
        rt,
        "aten.constant_pad_nd.default",
        vec![x.into(), pad.into(), IValue::Int(0)],
    )
}

fn conj(rt: &mut Runtime, x: Tensor) -> Result<Tensor> {
    one(rt, "aten._conj.default", vec![x.into()])
}

fn check_points(a: &Bound<'_>, n: i64) -> Result<()> {
    if n < 1 {
        return Err(fail(
            a,
            format!("Invalid number of data points ({n}) specified"),
        ));
    }
    Ok(())
}

fn list(ds: &[usize]) -> IValue {
    ds.iter().map(|&d| d as i64).collect::<Vec<_>>().into()
}

/// `fft_fft`/`fft_ifft`/`fft_irfft`/`fft_hfft`/`fft_ihfft(self, n, dim,
/// norm)`.
fn one_dim(rt: &mut Runtime, a: &Bound<'_>, kind: Kind, forward: bool) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let n = a.opt_int(1)?;
    let norm_arg = a.value(3)?.clone();
    let name =
        a.op.trim_start_matches("aten.fft_")
            .trim_end_matches(".default");
    let real_input = !x.dtype().is_complex();
    match kind {
        Kind::Fft if !real_input => {
            let d = wrap(a, a.int(2)?, x.dim())?;
            let n = n.unwrap_or(x.shape().get(d).copied().unwrap_or(1));
            check_points(a, n)?;
            let input = match a.opt_int(1)? {
                Some(_) => resize(rt, x.clone(), &[d], &[n])?,
                None => x.clone(),
            };
            let norm = norm_for(rt, a, &norm_arg, forward)?;
            rt.dispatch(
                "aten._fft_c2c.default",
                vec![
                    input.into(),
                    list(&[d]),
                    IValue::Int(norm),
                    IValue::Bool(forward),
                ],
            )
        }
        Kind::Fft | Kind::R2cOnesided => {
            if !real_input {
                return Err(fail(
                    a,
                    format!(
                        "{name} expects a real input tensor, but got {}",
                        x.dtype().scalar_type_name()
                    ),
                ));
            }
            let input = promote(rt, a, x, false)?;
            let d = wrap(a, a.int(2)?, input.dim())?;
            let n = n.unwrap_or(input.shape().get(d).copied().unwrap_or(1));
            check_points(a, n)?;
            let input = match a.opt_int(1)? {
                Some(_) => resize(rt, input, &[d], &[n])?,
                None => input,
            };
            let norm = norm_for(rt, a, &norm_arg, forward)?;
            let out = one(
                rt,
                "aten._fft_r2c.default",
                vec![
                    input.into(),
                    list(&[d]),
                    IValue::Int(norm),
                    IValue::Bool(kind == Kind::R2cOnesided),
                ],
            )?;
            let out = if forward { out } else { conj(rt, out)? };
            Ok(vec![out.into()])
        }
        Kind::C2r => {
            let input = promote(rt, a, x, true)?;
            let d = wrap(a, a.int(2)?, input.dim())?;
            let have = input.shape().get(d).copied().unwrap_or(1);
            let n = n.unwrap_or(2 * (have - 1));
            check_points(a, n)?;
            let mut input = match a.opt_int(1)? {
                Some(_) => resize(rt, input, &[d], &[n / 2 + 1])?,
                None => input,
            };
            let norm = norm_for(rt, a, &norm_arg, forward)?;
            if forward {
                input = conj(rt, input)?;
            }
            rt.dispatch(
                "aten._fft_c2r.default",
                vec![input.into(), list(&[d]), IValue::Int(norm), IValue::Int(n)],
            )
        }
    }
}

/// `canonicalize_fft_shape_and_dim_args`: the transformed dimensions
/// (wrapped, unique) and their lengths, from `s` (arg 1) and `dim` (arg 2).
fn shape_and_dims(a: &Bound<'_>, x: &Tensor) -> Result<(Vec<usize>, Vec<i64>)> {
    let rank = x.dim();
    let size = |d: usize| x.shape().get(d).copied().unwrap_or(1);
    let dim = match a.value(2)? {
        IValue::None => None,
        _ => {
            let raw = a.ints(2)?;
            let mut ds = Vec::with_capacity(raw.len());
            for d in raw {
                ds.push(wrap(a, d, rank)?);
            }
            let mut sorted = ds.clone();
            sorted.sort_unstable();
            if sorted.windows(2).any(|w| w[0] == w[1]) {
                return Err(fail(a, "FFT dims must be unique"));
            }
            Some(ds)
        }
    };
    let s = match a.value(1)? {
        IValue::None => None,
        _ => Some(a.ints(1)?),
    };
    let (dims, shape) = match (s, dim) {
        (Some(s), dim) => {
            if dim.as_ref().is_some_and(|d| d.len() != s.len()) {
                return Err(fail(
                    a,
                    "When given, dim and shape arguments must have the same length",
                ));
            }
            if s.len() > rank {
                return Err(fail(
                    a,
                    format!(
                        "Got shape with {} values but input tensor only has {rank} dimensions.",
                        s.len()
                    ),
                ));
            }
            let dims = dim.unwrap_or_else(|| (rank - s.len()..rank).collect());
            let shape = s
                .iter()
                .zip(&dims)
                .map(|(&n, &d)| if n == -1 { size(d) } else { n })
                .collect();
            (dims, shape)
        }
        (None, None) => ((0..rank).collect(), x.shape().to_vec()),
        (None, Some(dims)) => {
            let shape = dims.iter().map(|&d| size(d)).collect();
            (dims, shape)
        }
    };
    for &n in &shape {
        check_points(a, n)?;
    }
    Ok((dims, shape))
}

/// `fft_fftn`/`fft_ifftn` (and the 2-d forms): the input made complex,
/// resized, one `_fft_c2c`.
fn fftn(rt: &mut Runtime, a: &Bound<'_>, forward: bool) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let (dims, shape) = shape_and_dims(a, x)?;
    let input = promote(rt, a, x, true)?;
    let input = resize(rt, input, &dims, &shape)?;
    let norm = norm_for(rt, a, a.value(3)?, forward)?;
    rt.dispatch(
        "aten._fft_c2c.default",
        vec![
            input.into(),
            list(&dims),
            IValue::Int(norm),
            IValue::Bool(forward),
        ],
    )
}

fn must_transform(a: &Bound<'_>, dims: &[usize]) -> Result<()> {
    if dims.is_empty() {
        let name =
            a.op.trim_start_matches("aten.fft_")
                .trim_end_matches(".default");
        let name = name.replace('2', "n");
        return Err(fail(a, format!("{name} must transform at least one axis")));
    }
    Ok(())
}

/// `fft_rfftn` (and `rfft2`): real input, resized, one-sided `_fft_r2c`.
fn rfftn(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dtype().is_complex() {
        return Err(fail(
            a,
            format!(
                "rfftn expects a real-valued input tensor, but got {}",
                x.dtype().scalar_type_name()
            ),
        ));
    }
    let (dims, shape) = shape_and_dims(a, x)?;
    must_transform(a, &dims)?;
    let input = promote(rt, a, x, false)?;
    let input = resize(rt, input, &dims, &shape)?;
    let norm = norm_for(rt, a, a.value(3)?, true)?;
    rt.dispatch(
        "aten._fft_r2c.default",
        vec![
            input.into(),
            list(&dims),
            IValue::Int(norm),
            IValue::Bool(true),
        ],
    )
}

/// `canonicalize_fft_c2r_shape_and_dim_args`: dims, the complex input's
/// lengths (the last one `last / 2 + 1`) and the real output's last length.
fn c2r_shape_and_dims(a: &Bound<'_>, x: &Tensor) -> Result<(Vec<usize>, Vec<i64>, i64)> {
    let (dims, mut shape) = shape_and_dims(a, x)?;
    must_transform(a, &dims)?;
    let s_last = match a.value(1)? {
        IValue::None => None,
        _ => a.ints(1)?.last().copied(),
    };
    let last = match (s_last, dims.last()) {
        (Some(n), _) if n != -1 => n,
        (_, Some(&d)) => 2 * (x.shape().get(d).copied().unwrap_or(1) - 1),
        (_, None) => return Err(a.refuse("no dimension to transform")),
    };
    check_points(a, last)?;
    if let Some(l) = shape.last_mut() {
        *l = last / 2 + 1;
    }
    Ok((dims, shape, last))
}

/// `fft_irfftn` (and `irfft2`): complex input, resized, one `_fft_c2r`.
fn irfftn(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let (dims, shape, last) = c2r_shape_and_dims(a, x)?;
    let input = promote(rt, a, x, true)?;
    let input = resize(rt, input, &dims, &shape)?;
    let norm = norm_for(rt, a, a.value(3)?, false)?;
    rt.dispatch(
        "aten._fft_c2r.default",
        vec![
            input.into(),
            list(&dims),
            IValue::Int(norm),
            IValue::Int(last),
        ],
    )
}

/// `fft_hfftn` (and `hfft2`): a forward `_fft_c2c` over all but the last
/// dimension, then the conjugate's `_fft_c2r` over the last.
fn hfftn(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let (dims, shape, last) = c2r_shape_and_dims(a, x)?;
    let input = promote(rt, a, x, true)?;
    let input = resize(rt, input, &dims, &shape)?;
    let norm = norm_for(rt, a, a.value(3)?, true)?;
    let (&last_dim, leading) = dims
        .split_last()
        .ok_or_else(|| a.refuse("no dimension to transform"))?;
    let tmp = if leading.is_empty() {
        input
    } else {
        one(
            rt,
            "aten._fft_c2c.default",
            vec![
                input.into(),
                list(leading),
                IValue::Int(norm),
                IValue::Bool(true),
            ],
        )?
    };
    let tmp = conj(rt, tmp)?;
    rt.dispatch(
        "aten._fft_c2r.default",
        vec![
            tmp.into(),
            list(&[last_dim]),
            IValue::Int(norm),
            IValue::Int(last),
        ],
    )
}

/// `fft_ihfftn` (and `ihfft2`): a one-sided `_fft_r2c` over the last
/// dimension; alone, its conjugate view; else `_conj_physical` and an
/// inverse `_fft_c2c` over the others.
fn ihfftn(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let (dims, shape) = shape_and_dims(a, x)?;
    must_transform(a, &dims)?;
    let input = promote(rt, a, x, false)?;
    let input = resize(rt, input, &dims, &shape)?;
    let norm = norm_for(rt, a, a.value(3)?, false)?;
    let (&last_dim, leading) = dims
        .split_last()
        .ok_or_else(|| a.refuse("no dimension to transform"))?;
    let tmp = one(
        rt,
        "aten._fft_r2c.default",
        vec![
            input.into(),
            list(&[last_dim]),
            IValue::Int(norm),
            IValue::Bool(true),
        ],
    )?;
    if leading.is_empty() {
        return Ok(vec![conj(rt, tmp)?.into()]);
    }
    let tmp = one(rt, "aten._conj_physical.default", vec![tmp.into()])?;
    rt.dispatch(
        "aten._fft_c2c.default",
        vec![
            tmp.into(),
            list(leading),
            IValue::Int(norm),
            IValue::Bool(false),
        ],
    )
}

/// `real(self)`: a real tensor itself; a complex one's `view_as_real`
/// (of `_conj` when the conjugate bit is set) with the last dimension
/// selected at 0.
fn real(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if !x.dtype().is_complex() {
        return Ok(vec![x.into()]);
    }
    let parts = complex_parts(rt, x)?;
    let last = parts.dim() as i64 - 1;
    rt.dispatch(
        "aten.select.int",
        vec![parts.into(), IValue::Int(last), IValue::Int(0)],
    )
}

/// `imag(self)`: a complex tensor's `view_as_real` with the last dimension
/// selected at 1. A conjugated tensor's imaginary part is the negation of
/// its storage's: `_conj` (unsetting the bit), `view_as_real`, `_neg_view`,
/// then the `select` (observed in torch 2.15).
fn imag(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if !x.dtype().is_complex() {
        return Err(fail(
            a,
            "imag is not implemented for tensors with non-complex dtypes.",
        ));
    }
    let parts = complex_parts(rt, x)?;
    let parts = if x.is_conj() {
        one(rt, "aten._neg_view.default", vec![parts.into()])?
    } else {
        parts
    };
    let last = parts.dim() as i64 - 1;
    rt.dispatch(
        "aten.select.int",
        vec![parts.into(), IValue::Int(last), IValue::Int(1)],
    )
}

fn complex_parts(rt: &mut Runtime, x: &Tensor) -> Result<Tensor> {
    let base = if x.is_conj() {
        one(rt, "aten._conj.default", vec![x.into()])?
    } else {
        x.clone()
    };
    one(rt, "aten.view_as_real.default", vec![base.into()])
}

#[cfg(test)]
mod tests {
    //! The transforms run whole, as under `inference_mode` with a dispatch
    //! mode active. Expected values observed in torch 2.15.

    use super::super::test_support::{call, runtime, tensor, try_call_on};
    use crate::ivalue::IValue;
    use crate::tensor::dtype::DType;

    fn close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn fft_of_a_real_input_is_two_sided_and_ifft_is_its_conjugate_view() {
        // torch.fft.fft(torch.tensor([1., 2., 0., -1.])) = [2, 1-3j, 0, 1+3j]
        let x = tensor(&[4], DType::Float32, &[1.0, 2.0, 0.0, -1.0]);
        let out = call("aten.fft_fft.default", vec![(&x).into()]);
        assert_eq!(out.dtype(), DType::Complex64);
        close(
            &out.read_f64("t").expect("values"),
            &[2.0, 0.0, 1.0, -3.0, 0.0, 0.0, 1.0, 3.0],
        );
        // ifft: the same divided by 4 and conjugated (a conjugate view).
        let inv = call(
            "aten.fft_ifft.default",
            vec![(&x).into(), IValue::None, IValue::Int(-1), IValue::None],
        );
        assert!(inv.is_conj());
        close(
            &inv.read_f64("t").expect("values"),
            &[0.5, 0.0, 0.25, 0.75, 0.0, 0.0, 0.25, -0.75],
        );
    }

    #[test]
    fn norm_names_scale_by_direction() {
        let x = tensor(&[4], DType::Float32, &[1.0, 2.0, 0.0, -1.0]);
        let fwd = |norm: &str| {
            call(
                "aten.fft_fft.default",
                vec![
                    (&x).into(),
                    IValue::None,
                    IValue::Int(-1),
                    IValue::Str(norm.into()),
                ],
            )
            .read_f64("t")
            .expect("values")[0]
        };
        assert_eq!(fwd("backward"), 2.0);
        assert_eq!(fwd("forward"), 0.5);
        assert_eq!(fwd("ortho"), 1.0);
        let e = try_call_on(
            &mut runtime(),
            "aten.fft_fft.default",
            vec![
                (&x).into(),
                IValue::None,
                IValue::Int(-1),
                IValue::Str("half".into()),
            ],
        )
        .expect_err("error")
        .to_string();
        assert!(e.contains("Invalid normalization mode: \"half\""), "{e}");
    }

    #[test]
    fn irfft_and_hfft_pad_the_half_spectrum_to_n() {
        // irfft([4, 0, 0], n=4) = [1, 1, 1, 1]; hfft of the same: [4, 4, 4, 4].
        let spec = tensor(&[1], DType::Float32, &[4.0]);
        let out = call(
            "aten.fft_irfft.default",
            vec![
                (&spec).into(),
                IValue::Int(4),
                IValue::Int(-1),
                IValue::None,
            ],
        );
        assert_eq!(out.dtype(), DType::Float32);
        close(&out.read_f64("t").expect("values"), &[1.0; 4]);
        let out = call(
            "aten.fft_hfft.default",
            vec![
                (&spec).into(),
                IValue::Int(4),
                IValue::Int(-1),
                IValue::None,
            ],
        );
        close(&out.read_f64("t").expect("values"), &[4.0; 4]);
    }

    #[test]
    fn ifftn_pads_a_real_input_made_complex_to_s() {
        // torch.fft.ifftn(torch.ones(2, 2), s=(2, 4)): [[0.5, .25+.25j, 0, .25-.25j], 0].
        let x = tensor(&[2, 2], DType::Float32, &[1.0; 4]);
        let out = call(
            "aten.fft_ifftn.default",
            vec![
                (&x).into(),
                vec![2i64, 4].into(),
                IValue::None,
                IValue::None,
            ],
        );
        assert_eq!(out.shape(), &[2, 4]);
        close(
            &out.read_f64("t").expect("values"),
            &[
                0.5, 0.0, 0.25, 0.25, 0.0, 0.0, 0.25, -0.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            ],
        );
    }

    #[test]
    fn ihfftn_over_two_dims_and_rfftn_shapes() {
        let x = tensor(
            &[2, 4],
            DType::Float32,
            &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        );
        let out = call("aten.fft_ihfft2.default", vec![(&x).into()]);
        assert_eq!(out.shape(), &[2, 3]);
        close(&out.read_f64("t").expect("values"), &[0.125, 0.0].repeat(6));
        let out = call("aten.fft_rfftn.default", vec![(&x).into()]);
        assert_eq!(out.shape(), &[2, 3]);
        let out = call(
            "aten.fft_irfftn.default",
            vec![out.into(), IValue::None, IValue::None, IValue::None],
        );
        assert_eq!(out.shape(), &[2, 4]);
        close(
            &out.read_f64("t").expect("values"),
            &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        );
    }

    #[test]
    fn real_and_imag_are_views_of_the_parts() {
        let z = tensor(&[2], DType::Complex64, &[1.0, 2.0, 3.0, 4.0]);
        let re = call("aten.real.default", vec![(&z).into()]);
        assert_eq!(re.dtype(), DType::Float32);
        assert_eq!(re.stride(), &[2]);
        close(&re.read_f64("t").expect("values"), &[1.0, 3.0]);
        let im = call("aten.imag.default", vec![(&z).into()]);
        close(&im.read_f64("t").expect("values"), &[2.0, 4.0]);
        let r = tensor(&[2], DType::Float32, &[1.0, 2.0]);
        assert!(call("aten.real.default", vec![(&r).into()]).same_tensor(&r));
    }
}
#[cfg(test)]
mod hermitian_tests {
    use super::super::test_support::{runtime, tensor, try_call_on};
    use crate::ivalue::IValue;
    use crate::tensor::dtype::DType;

    #[test]
    fn hfft_conjugates_its_input() {
        // torch.fft.hfft of [[1+1j, 2-1j, 3+.5j], [.5j, 1, 2]]: [[8, -4, 0, 0], [4, -2, 0, -2]].
        let z = tensor(
            &[2, 3],
            DType::Complex64,
            &[1.0, 1.0, 2.0, -1.0, 3.0, 0.5, 0.0, 0.5, 1.0, 0.0, 2.0, 0.0],
        );
        let mut rt = runtime();
        rt.set_grad_mode(false, true);
        let out = try_call_on(
            &mut rt,
            "aten.fft_hfft.default",
            vec![(&z).into(), IValue::None, IValue::Int(-1), IValue::None],
        )
        .expect("call");
        assert_eq!(
            out.read_f64("t").expect("v"),
            vec![8.0, -4.0, 0.0, 0.0, 4.0, -2.0, 0.0, -2.0]
        );
    }
}
