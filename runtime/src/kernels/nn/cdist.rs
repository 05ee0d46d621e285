//! Pairwise distances between two sets of row vectors: `_cdist_forward`,
//! `_cdist_backward` and `_euclidean_dist` (the kernels under
//! `torch.cdist`).
//!
//! `x1` is `[*B1, r1, c]`, `x2` `[*B2, r2, c]`; the batch dimensions
//! broadcast to `B` and the result is `[*B, r1, r2]` with
//! `d[b, i, j] = ‖x1[b, i] − x2[b, j]‖_p`: for `p = 0` the number of
//! nonzero differences, `p = 1` the sum of their magnitudes, `p = 2` the
//! square root of the sum of their squares, `p = ∞` the largest magnitude,
//! any other `p ≥ 0` `(Σ |δ|^p)^(1/p)`.
//!
//! `_cdist_backward(grad, x1, x2, p, cdist)` is the gradient with respect to
//! `x1` (broadcast to `[*B, r1, c]`, the engine sums it back to `x1`'s
//! shape): `Σ_j g[i, j] · ∂d[i, j]/∂x1[i]` with, per component `δ`, and `0`
//! wherever `d = 0`: `p = 0` nothing; `p = 1` `sign(δ)`; `p < 2`
//! `sign(δ)·|δ|^(p−1) / d^(p−1)` (also `0` for `δ = 0` when `p < 1`);
//! `p = 2` `δ / d` (computed `(g·δ) / d`, PyTorch's rounding); `p = ∞` `sign(δ)` on the components whose magnitude is
//! the distance; otherwise `δ·|δ|^(p−2) / d^(p−1)`. The result is
//! contiguous. Differences are rounded to the inputs' dtype, as the kernel
//! forms them there: the `p = ∞` test compares a float32 difference with
//! the float32 distance.
//!
//! `_euclidean_dist(x1, x2)` (what `cdist` calls for `p = 2` on its matrix
//! multiplication path: more than 25 rows on either side, or
//! `compute_mode="use_mm_for_euclid_dist"`) expands
//! `‖a − b‖² = ‖a‖² − 2 a·b + ‖b‖²`, clamps it at 0 and takes the square
//! root; its batch dimensions must already agree.
//!
//! Observed in torch 2.15 (CPU): `_cdist_forward` refuses a non-floating
//! dtype (`cdist only supports floating-point dtypes, X1 got: Long`) and
//! float16/bfloat16 (`"cdist" not implemented for 'Half'`), a negative `p`,
//! a `compute_mode` outside 0..=2, fewer than two dimensions and differing
//! column counts; `_euclidean_dist` takes any floating dtype. Values are
//! computed in f64 and rounded once to the inputs' dtype (the expanded
//! form's float32 cancellation, which PyTorch's matrix product leaves in
//! distances of nearly equal rows, is not reproduced).

use super::common::{round_to, zero_clamp};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::{broadcast_index, broadcast_shapes, contiguous_strides};

/// The kernel of `op` if it is a pairwise-distance operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._cdist_forward.default" => cdist_forward,
        "aten._cdist_backward.default" => cdist_backward,
        "aten._euclidean_dist.default" => euclidean_dist,
        _ => return None,
    })
}

/// The geometry of one call: broadcast batch, rows of each side, columns.
struct Pairs {
    batch: Vec<i64>,
    r1: usize,
    r2: usize,
    c: usize,
    /// For each broadcast batch index, the batch index into `x1` and `x2`.
    from1: Vec<usize>,
    from2: Vec<usize>,
}

impl Pairs {
    fn batches(&self) -> usize {
        self.from1.len()
    }

    fn out_shape(&self) -> Vec<i64> {
        let mut s = self.batch.clone();
        s.extend([self.r1 as i64, self.r2 as i64]);
        s
    }
}

fn size(x: i64) -> usize {
    usize::try_from(x).unwrap_or(0)
}

/// Validates two `[*, r, c]` operands (PyTorch's cdist checks, in its
/// order) and broadcasts their batches; `same_batch` (for
/// `_euclidean_dist`) requires the batches to agree as they are.
fn pairs(op: &str, x1: &Tensor, x2: &Tensor, same_batch: bool) -> Result<Pairs> {
    if x1.dim() < 2 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "cdist only supports at least 2D tensors, X1 got: {}D",
                x1.dim()
            ),
        ));
    }
    if x2.dim() < 2 {
        return Err(RuntimeError::shape(
            op,
            format!(
                "cdist only supports at least 2D tensors, X2 got: {}D",
                x2.dim()
            ),
        ));
    }
    let (s1, s2) = (x1.shape(), x2.shape());
    let (n1, n2) = (s1.len(), s2.len());
    if s1[n1 - 1] != s2[n2 - 1] {
        return Err(RuntimeError::shape(
            op,
            format!(
                "X1 and X2 must have the same number of columns. X1: {} X2: {}",
                s1[n1 - 1],
                s2[n2 - 1]
            ),
        ));
    }
    let (b1, b2) = (&s1[..n1 - 2], &s2[..n2 - 2]);
    let batch = if same_batch {
        if b1 != b2 {
            return Err(RuntimeError::shape(
                op,
                format!("batch dimensions {b1:?} and {b2:?} differ"),
            ));
        }
        b1.to_vec()
    } else {
        broadcast_shapes(b1, b2).ok_or_else(|| {
            RuntimeError::shape(
                op,
                format!("The size of tensor a {b1:?} must match the size of tensor b {b2:?}"),
            )
        })?
    };
    Ok(Pairs {
        from1: broadcast_index(b1, &batch),
        from2: broadcast_index(b2, &batch),
        batch,
        r1: size(s1[n1 - 2]),
        r2: size(s2[n2 - 2]),
        c: size(s1[n1 - 1]),
    })
}

/// `_cdist_forward`'s dtype rule: float32 and float64 only.
fn require_cdist_dtype(op: &str, x1: &Tensor, x2: &Tensor) -> Result<DType> {
    for (t, name) in [(x1, "X1"), (x2, "X2")] {
        if !t.dtype().is_floating() {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "cdist only supports floating-point dtypes, {name} got: {}",
                    t.dtype().scalar_type_name()
                ),
            ));
        }
    }
    if x1.dtype() != x2.dtype() {
        return Err(RuntimeError::shape(
            op,
            format!(
                "cdist requires X1 and X2 of one dtype, got {} and {}",
                x1.dtype().scalar_type_name(),
                x2.dtype().scalar_type_name()
            ),
        ));
    }
    match x1.dtype() {
        DType::Float32 | DType::Float64 => Ok(x1.dtype()),
        other => Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "\"cdist\" not implemented for '{}'",
                other.scalar_type_name()
            ),
        }),
    }
}

/// The p-norm of `a − b` (`p ≥ 0`), each difference rounded to `dtype`
/// as PyTorch's kernel forms it there.
pub(crate) fn distance(a: &[f64], b: &[f64], p: f64, dtype: DType) -> f64 {
    let diffs = a.iter().zip(b).map(|(x, y)| round_to(dtype, x - y).abs());
    if p == 0.0 {
        diffs.filter(|&d| d != 0.0).count() as f64
    } else if p == 1.0 {
        diffs.sum()
    } else if p == 2.0 {
        diffs.map(|d| d * d).sum::<f64>().sqrt()
    } else if p.is_infinite() {
        diffs.fold(0.0, f64::max)
    } else {
        diffs.map(|d| d.powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

/// `∂‖δ‖_p/∂δ` for one component `diff` of a pair at distance `dist`.
pub(crate) fn distance_grad(diff: f64, dist: f64, p: f64) -> f64 {
    let sign = if diff > 0.0 {
        1.0
    } else if diff < 0.0 {
        -1.0
    } else {
        0.0
    };
    if p == 0.0 || dist == 0.0 {
        0.0
    } else if p == 1.0 {
        sign
    } else if p < 2.0 {
        if diff == 0.0 && p < 1.0 {
            0.0
        } else {
            sign * diff.abs().powf(p - 1.0) / dist.powf(p - 1.0)
        }
    } else if p == 2.0 {
        diff / dist
    } else if p.is_infinite() {
        if diff.abs() == dist { sign } else { 0.0 }
    } else {
        diff * diff.abs().powf(p - 2.0) / dist.powf(p - 1.0)
    }
}

/// One component of `_cdist_backward`'s sum: `g · ∂d/∂δ`. For `p = 2`
/// the product comes first, `(g · δ) / d`, as PyTorch's kernel rounds it
/// (measured in torch 2.15: `g · (δ / d)` differs in float64's last bit).
fn weighted_distance_grad(g: f64, diff: f64, dist: f64, p: f64) -> f64 {
    if p == 2.0 {
        if dist == 0.0 { 0.0 } else { g * diff / dist }
    } else {
        g * distance_grad(diff, dist, p)
    }
}

/// Rows `[r, c]` of batch `b` of a contiguous `[batches, r, c]` buffer.
fn rows(data: &[f64], b: usize, r: usize, c: usize) -> &[f64] {
    &data[b * r * c..(b + 1) * r * c]
}

/// `_cdist_forward(x1, x2, p, compute_mode)`.
pub(crate) fn cdist_forward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x1, x2) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x1, "x1")?;
    ctx.check(x2, "x2")?;
    let op = ctx.op;
    let dtype = require_cdist_dtype(op, x1, x2)?;
    let p = a.scalar(2)?;
    if p.is_nan() || p < 0.0 {
        return Err(RuntimeError::shape(
            op,
            "cdist only supports non-negative p values",
        ));
    }
    if let Some(IValue::Int(mode)) = a.values.get(3)
        && !(0..=2).contains(mode)
    {
        return Err(RuntimeError::shape(
            op,
            format!("possible modes: 0, 1, 2, but was: {mode}"),
        ));
    }
    let pr = pairs(op, x1, x2, false)?;
    let shape = pr.out_shape();
    let fault = ctx.faults.cdist_wrong_inf_norm;
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let (d1, d2) = (x1.read_f64(op)?, x2.read_f64(op)?);
        let mut out = Vec::with_capacity(pr.batches() * pr.r1 * pr.r2);
        for b in 0..pr.batches() {
            let a = rows(&d1, pr.from1[b], pr.r1, pr.c);
            let z = rows(&d2, pr.from2[b], pr.r2, pr.c);
            for i in 0..pr.r1 {
                let u = &a[i * pr.c..(i + 1) * pr.c];
                for j in 0..pr.r2 {
                    let v = &z[j * pr.c..(j + 1) * pr.c];
                    // The fault reads p = ∞ as the 1-norm.
                    let q = if fault && p.is_infinite() { 1.0 } else { p };
                    out.push(distance(u, v, q, dtype));
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// `_cdist_backward(grad, x1, x2, p, cdist)`: the gradient for `x1`,
/// broadcast to the common batch.
pub(crate) fn cdist_backward(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (grad, x1, x2, dist) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.tensor(4)?);
    for (t, name) in [(grad, "grad"), (x1, "x1"), (x2, "x2"), (dist, "cdist")] {
        ctx.check(t, name)?;
    }
    let op = ctx.op;
    let p = a.scalar(3)?;
    let pr = pairs(op, x1, x2, false)?;
    let expected = pr.out_shape();
    for (t, name) in [(grad, "grad"), (dist, "cdist")] {
        if t.shape() != expected.as_slice() {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "{name} of shape {:?} is not the distances' shape {expected:?}",
                    t.shape()
                ),
            ));
        }
    }
    let mut shape = pr.batch.clone();
    shape.extend([pr.r1 as i64, pr.c as i64]);
    let sign = if ctx.faults.cdist_grad_negated {
        -1.0
    } else {
        1.0
    };
    let dtype = x1.dtype();
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let (d1, d2) = (x1.read_f64(op)?, x2.read_f64(op)?);
        let (gs, ds) = (grad.read_f64(op)?, dist.read_f64(op)?);
        let mut out = vec![0.0; pr.batches() * pr.r1 * pr.c];
        for b in 0..pr.batches() {
            let a = rows(&d1, pr.from1[b], pr.r1, pr.c);
            let z = rows(&d2, pr.from2[b], pr.r2, pr.c);
            let base = b * pr.r1 * pr.r2;
            for i in 0..pr.r1 {
                let row = &mut out[(b * pr.r1 + i) * pr.c..(b * pr.r1 + i + 1) * pr.c];
                for j in 0..pr.r2 {
                    let (g, d) = (gs[base + i * pr.r2 + j], ds[base + i * pr.r2 + j]);
                    for (k, slot) in row.iter_mut().enumerate() {
                        let diff = round_to(dtype, a[i * pr.c + k] - z[j * pr.c + k]);
                        *slot += sign * weighted_distance_grad(g, diff, d, p);
                    }
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

/// `_euclidean_dist(x1, x2)`: `sqrt(clamp_min(‖a‖² − 2 a·b + ‖b‖², 0))`.
pub(crate) fn euclidean_dist(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (x1, x2) = (a.tensor(0)?, a.tensor(1)?);
    ctx.check(x1, "x1")?;
    ctx.check(x2, "x2")?;
    let op = ctx.op;
    for t in [x1, x2] {
        if !t.dtype().is_floating() {
            return Err(RuntimeError::UnsupportedDtype {
                op: op.to_owned(),
                arg: "x1".to_owned(),
                dtype: t.dtype().scalar_type_name().to_owned(),
            });
        }
    }
    let clamp = zero_clamp(ctx.faults.nan_clamped_to_zero);
    let dtype = x1.dtype();
    let pr = pairs(op, x1, x2, true)?;
    let shape = pr.out_shape();
    let out = ctx.output(&shape, &contiguous_strides(&shape), dtype, || {
        let (d1, d2) = (x1.read_f64(op)?, x2.read_f64(op)?);
        let sq = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
        let mut out = Vec::with_capacity(pr.batches() * pr.r1 * pr.r2);
        for b in 0..pr.batches() {
            let a = rows(&d1, b, pr.r1, pr.c);
            let z = rows(&d2, b, pr.r2, pr.c);
            for i in 0..pr.r1 {
                let u = &a[i * pr.c..(i + 1) * pr.c];
                for j in 0..pr.r2 {
                    let v = &z[j * pr.c..(j + 1) * pr.c];
                    let dot: f64 = u.iter().zip(v).map(|(x, y)| x * y).sum();
                    out.push(clamp(sq(u) - 2.0 * dot + sq(v), 0.0).sqrt());
                }
            }
        }
        Ok(out)
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::{distance, distance_grad};
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::dtype::DType;

    fn f64s(rt: &mut Runtime, shape: &[i64], values: &[f64]) -> crate::tensor::Tensor {
        let strides = crate::tensor::strides::contiguous_strides(shape);
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        rt.introduce_tensor("float64", shape, &strides, 0, &bytes, false)
            .expect("tensor")
    }

    fn values(t: &IValue) -> Vec<f64> {
        t.as_tensor().expect("tensor").to_f64_vec().expect("values")
    }

    fn close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn norms_of_each_family() {
        let (a, b) = ([0.0, 1.0, -2.0], [0.0, 3.0, 1.0]);
        assert_eq!(distance(&a, &b, 0.0, DType::Float64), 2.0);
        assert_eq!(distance(&a, &b, 1.0, DType::Float64), 5.0);
        close(&[distance(&a, &b, 2.0, DType::Float64)], &[13f64.sqrt()]);
        assert_eq!(distance(&a, &b, f64::INFINITY, DType::Float64), 3.0);
        close(&[distance(&a, &b, 3.0, DType::Float64)], &[35f64.cbrt()]);
    }

    #[test]
    fn gradients_of_each_family() {
        // p = 0 has none; p = 1 is the sign; p = 2 δ/d.
        assert_eq!(distance_grad(-0.5, 2.0, 0.0), 0.0);
        assert_eq!(distance_grad(-0.5, 2.0, 1.0), -1.0);
        assert_eq!(distance_grad(-0.5, 2.0, 2.0), -0.25);
        // p = ∞: only the component whose magnitude is the distance.
        assert_eq!(distance_grad(-2.0, 2.0, f64::INFINITY), -1.0);
        assert_eq!(distance_grad(1.0, 2.0, f64::INFINITY), 0.0);
        // p < 1 skips zero differences; a zero distance has no gradient.
        assert_eq!(distance_grad(0.0, 2.0, 0.5), 0.0);
        assert_eq!(distance_grad(1.0, 0.0, 3.0), 0.0);
        close(&[distance_grad(-1.0, 2.0, 3.0)], &[-0.25]);
    }

    #[test]
    fn euclidean_backward_rounds_the_product_before_the_division() {
        // torch 2.15: `_cdist_backward(g, x1, x2, 2, d)` of these float64
        // values is exactly [-0.23113716759513694, -0.28892145949392123];
        // `g · (δ / d)` gives -0.2889214594939212 for the second.
        let mut rt = Runtime::new();
        let x1 = f64s(&mut rt, &[1, 2], &[0.1, 0.2]);
        let x2 = f64s(&mut rt, &[1, 2], &[0.3, 0.45]);
        let d = distance(&[0.1, 0.2], &[0.3, 0.45], 2.0, DType::Float64);
        let grad = f64s(&mut rt, &[1, 1], &[0.37]);
        let dist = f64s(&mut rt, &[1, 1], &[d]);
        let back = rt
            .call(
                "aten._cdist_backward.default",
                vec![
                    grad.into(),
                    x1.into(),
                    x2.into(),
                    IValue::Float(2.0),
                    dist.into(),
                ],
            )
            .expect("backward");
        assert_eq!(
            values(&back[0]),
            [-0.23113716759513694, -0.28892145949392123]
        );
    }

    #[test]
    fn batched_forward_broadcasts_and_backward_matches_finite_differences() {
        let mut rt = Runtime::new();
        let x1v = [
            0.1, -0.4, 0.7, 1.2, -0.3, 0.5, 0.9, 0.2, -1.1, 0.4, 0.05, 0.6,
        ];
        let x2v = [0.3, 0.3, -0.2, 0.8, 1.0, -0.5];
        let x1 = f64s(&mut rt, &[2, 3, 2], &x1v);
        let x2 = f64s(&mut rt, &[1, 3, 2], &x2v);
        for p in [1.0, 1.5, 2.0, 3.0, f64::INFINITY] {
            let fwd = |rt: &mut Runtime, x1: &crate::tensor::Tensor| {
                values(
                    &rt.call(
                        "aten._cdist_forward.default",
                        vec![
                            x1.clone().into(),
                            x2.clone().into(),
                            IValue::Float(p),
                            IValue::None,
                        ],
                    )
                    .expect("forward")[0],
                )
            };
            let d = fwd(&mut rt, &x1);
            assert_eq!(d.len(), 18);
            close(
                &[d[1]],
                &[distance(&x1v[0..2], &x2v[2..4], p, DType::Float64)],
            );
            let grad = f64s(&mut rt, &[2, 3, 3], &[1.0; 18]);
            let dist = f64s(&mut rt, &[2, 3, 3], &d);
            let back = values(
                &rt.call(
                    "aten._cdist_backward.default",
                    vec![
                        grad.into(),
                        x1.clone().into(),
                        x2.clone().into(),
                        IValue::Float(p),
                        dist.into(),
                    ],
                )
                .expect("backward")[0],
            );
            let h = 1e-6;
            for k in 0..x1v.len() {
                let mut moved = x1v;
                moved[k] += h;
                let x1h = f64s(&mut rt, &[2, 3, 2], &moved);
                let dh = fwd(&mut rt, &x1h);
                let numeric = (dh.iter().sum::<f64>() - d.iter().sum::<f64>()) / h;
                assert!(
                    (numeric - back[k]).abs() < 1e-4,
                    "p={p} k={k}: {numeric} vs {}",
                    back[k]
                );
            }
        }
    }

    #[test]
    fn expanded_form_agrees_with_the_direct_distance_and_refusals() {
        let mut rt = Runtime::new();
        let x1 = crate::kernels::nn::tests::f32s(&mut rt, &[2, 2], &[0.0, 1.0, 3.0, -1.0]);
        let x2 = crate::kernels::nn::tests::f32s(&mut rt, &[1, 2], &[1.0, 1.0]);
        let e = rt
            .call(
                "aten._euclidean_dist.default",
                vec![x1.clone().into(), x2.clone().into()],
            )
            .expect("euclidean");
        close(&values(&e[0]), &[1.0, 8f64.sqrt()]);
        let call = |rt: &mut Runtime, p: f64, mode: i64| {
            rt.call(
                "aten._cdist_forward.default",
                vec![
                    x1.clone().into(),
                    x2.clone().into(),
                    IValue::Float(p),
                    IValue::Int(mode),
                ],
            )
            .expect_err("refused")
            .to_string()
        };
        assert!(call(&mut rt, -1.0, 0).contains("cdist only supports non-negative p values"));
        assert!(call(&mut rt, 2.0, 3).contains("possible modes: 0, 1, 2, but was: 3"));
    }
    /// A NaN coordinate makes its row of the matrix-product distances NaN:
    /// torch 2.15's `_euclidean_dist([[0, nan], [1, 2]], [[1, 1]])` is
    /// `[[nan], [1]]`, the clamp at zero keeping NaN.
    #[test]
    fn expanded_form_keeps_nan() {
        let mut rt = Runtime::new();
        let x1 = crate::kernels::nn::tests::f32s(&mut rt, &[2, 2], &[0.0, f32::NAN, 1.0, 2.0]);
        let x2 = crate::kernels::nn::tests::f32s(&mut rt, &[1, 2], &[1.0, 1.0]);
        let e = rt
            .call("aten._euclidean_dist.default", vec![x1.into(), x2.into()])
            .expect("euclidean");
        let got = values(&e[0]);
        assert!(got[0].is_nan(), "{got:?}");
        assert_eq!(got[1], 1.0);
    }
}
