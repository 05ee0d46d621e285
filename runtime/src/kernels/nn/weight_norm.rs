//! Weight normalisation: `_weight_norm_interface(v, g, dim)` and its
//! backward.
//!
//! `torch.nn.utils.parametrizations.weight_norm` (and the older
//! `nn.utils.weight_norm`) compute `w = g * v / ‖v‖`, the norm taken over
//! every dim of `v` except `dim`. `_weight_norm` is composite; on CPU it
//! dispatches this fused operator when `dim` is the first or the last dim
//! (otherwise it composes `norm_except_dim`). The forward returns `(w,
//! norms)`: `w` contiguous in `v`'s dtype, `norms` with `g`'s shape and
//! strides (float32 for a bfloat16 `g`). The backward
//! `_weight_norm_interface_backward(grad_w, saved_v, saved_g, saved_norms,
//! dim)` returns `(grad_v, grad_g)` with, per slice along `dim`,
//! `s = Σ grad_w·v`, `grad_g = s / ‖v‖` and
//! `grad_v = (g / ‖v‖)·grad_w − (g·s / ‖v‖³)·v`. Both check that `dim` is
//! the first or last dim, as PyTorch's fused kernels do.
//!
//! A float32 weight normalised over its first dim is computed in float32
//! as PyTorch's fused kernel computes it (its AVX2 build, also on AVX-512
//! machines; measured on torch 2.15, every row of 70 bit for bit): per
//! slice `‖v‖ = √Σ v·v` summed in the order of `map_reduce_all` over 8
//! lanes ([`lane_sum`]), `w = v · (g / ‖v‖)`; backward `s = Σ grad_w·v` in
//! the same order, `grad_g = s / ‖v‖`, `a = g / ‖v‖`, `b = a·grad_g / ‖v‖`
//! and `grad_v = fma(−b, v, a·grad_w)`. Other dtypes, the last dim and the
//! `DEFAULT` kernels are summed in float64.

use super::common::require_floating;
use super::softmax_grad::lane_sum;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is a weight-normalisation operator.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._weight_norm_interface.default" => weight_norm_interface,
        "aten._weight_norm_interface_backward.default" => weight_norm_interface_backward,
        _ => return None,
    })
}

/// How the elements of a contiguous `v` fall into the slices along `dim`.
struct Slices {
    /// Slices (the size of `dim`).
    count: usize,
    /// Elements per step of `dim` in row-major order.
    inner: usize,
}

impl Slices {
    fn new(op: &str, v: &Tensor, dim: i64) -> Result<Slices> {
        let rank = v.dim() as i64;
        if rank == 0 || (dim != 0 && dim != rank - 1) {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "fused kernels can only be applied for first or last dim (got dim {dim} of a {rank}-d weight)"
                ),
            ));
        }
        let shape = v.shape();
        let at = dim as usize;
        let inner: i64 = shape[at + 1..].iter().product();
        Ok(Slices {
            count: shape[at].max(0) as usize,
            inner: inner.max(1) as usize,
        })
    }

    /// The slice element `i` (row-major) belongs to.
    fn of(&self, i: usize) -> usize {
        (i / self.inner) % self.count.max(1)
    }
}

/// The dtype PyTorch keeps the norms in: float32 for both half types
/// (observed in torch 2.15; float16's in float16 under the
/// weight-norm-half-norms-in-dtype fault).
fn norm_dtype(g: DType, half_norms_in_dtype: bool) -> DType {
    if g == DType::BFloat16 || (g == DType::Float16 && !half_norms_in_dtype) {
        DType::Float32
    } else {
        g
    }
}

fn check_shapes(op: &str, v: &Tensor, g: &Tensor, dim: i64) -> Result<Slices> {
    let slices = Slices::new(op, v, dim)?;
    if g.numel() != slices.count {
        return Err(RuntimeError::shape(
            op,
            format!(
                "g of shape {:?} does not hold one scale per slice of v {:?} along dim {dim}",
                g.shape(),
                v.shape()
            ),
        ));
    }
    Ok(slices)
}

/// Per-slice sums of `f(i)` over the elements of `v`, accumulated in f64.
fn slice_sums(slices: &Slices, numel: usize, f: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut sums = vec![0.0; slices.count];
    for i in 0..numel {
        sums[slices.of(i)] += f(i);
    }
    sums
}

/// Lanes of the fused kernel's sums (its AVX2 build's float32 vectors).
const LANES: usize = 8;

/// Whether the float32 first-dim kernel's own order applies.
fn float32_rows(ctx: &KernelCtx<'_>, dim: i64, tensors: &[&Tensor]) -> bool {
    dim == 0
        && ctx.cpu.float32_lanes().is_some()
        && !ctx.faults.weight_norm_in_double
        && tensors.iter().all(|t| t.dtype() == DType::Float32)
}

/// Per slice, `Σ term(k, j)` over its `n` elements in the kernel's lane order.
fn lane_slice_sums(slices: &Slices, term: impl Fn(usize) -> f32) -> Vec<f32> {
    let n = slices.inner;
    (0..slices.count)
        .map(|k| lane_sum(n, LANES, |j| term(k * n + j)))
        .collect()
}

/// `(w, norms)` of a float32 `v` over its first dim.
fn float32_forward(vs: &[f64], gs: &[f64], slices: &Slices) -> (Vec<f64>, Vec<f64>) {
    let v = |i: usize| vs.get(i).map_or(0.0, |&x| x as f32);
    let norms: Vec<f32> = lane_slice_sums(slices, |i| v(i) * v(i))
        .into_iter()
        .map(f32::sqrt)
        .collect();
    let w = (0..vs.len())
        .map(|i| {
            let k = slices.of(i);
            let scale = gs.get(k).map_or(0.0, |&g| g as f32) / norms[k];
            f64::from(v(i) * scale)
        })
        .collect();
    (w, norms.into_iter().map(f64::from).collect())
}

/// `(grad_v, grad_g)` of a float32 weight over its first dim.
fn float32_backward(
    vs: &[f64],
    gws: &[f64],
    gs: &[f64],
    ns: &[f64],
    slices: &Slices,
) -> (Vec<f64>, Vec<f64>) {
    let at = |xs: &[f64], i: usize| xs.get(i).map_or(0.0, |&x| x as f32);
    let sums = lane_slice_sums(slices, |i| at(gws, i) * at(vs, i));
    let coefficients: Vec<(f32, f32, f32)> = (0..slices.count)
        .map(|k| {
            let norm = at(ns, k);
            let grad_g = sums[k] / norm;
            let a = at(gs, k) / norm;
            (grad_g, a, a * grad_g / norm)
        })
        .collect();
    let grad_v = (0..vs.len())
        .map(|i| {
            let (_, a, b) = coefficients[slices.of(i)];
            f64::from((-b).mul_add(at(vs, i), a * at(gws, i)))
        })
        .collect();
    let grad_g = coefficients.iter().map(|&(g, _, _)| f64::from(g)).collect();
    (grad_v, grad_g)
}

/// `_weight_norm_interface(v, g, dim=0)` -> `(w, norms)`.
pub(crate) fn weight_norm_interface(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (v, g, dim) = (a.tensor(0)?, a.tensor(1)?, a.int(2)?);
    ctx.check(v, "v")?;
    ctx.check(g, "g")?;
    require_floating("weight_norm", "v", v.dtype())?;
    let slices = check_shapes(ctx.op, v, g, dim)?;
    let numel = v.numel();
    let norms_of = || -> Result<(Vec<f64>, Vec<f64>)> {
        let vs = v.read_f64(ctx.op)?;
        let norms = slice_sums(&slices, numel, |i| vs[i] * vs[i])
            .into_iter()
            .map(f64::sqrt)
            .collect();
        Ok((vs, norms))
    };
    if float32_rows(ctx, dim, &[v, g]) {
        let forward = || -> Result<(Vec<f64>, Vec<f64>)> {
            Ok(float32_forward(
                &v.read_f64(ctx.op)?,
                &g.read_f64(ctx.op)?,
                &slices,
            ))
        };
        let w = ctx.output(v.shape(), &contiguous_strides(v.shape()), v.dtype(), || {
            Ok(forward()?.0)
        })?;
        let norms = ctx.output(g.shape(), g.stride(), DType::Float32, || Ok(forward()?.1))?;
        return Ok(vec![w.into(), norms.into()]);
    }
    let w = ctx.output(v.shape(), &contiguous_strides(v.shape()), v.dtype(), || {
        let (vs, norms) = norms_of()?;
        let gs = g.read_f64(ctx.op)?;
        Ok((0..numel)
            .map(|i| {
                let k = slices.of(i);
                vs[i] * (gs[k] / norms[k])
            })
            .collect())
    })?;
    let norms = ctx.output(
        g.shape(),
        g.stride(),
        norm_dtype(g.dtype(), ctx.faults.weight_norm_half_norms_in_dtype),
        || Ok(norms_of()?.1),
    )?;
    Ok(vec![w.into(), norms.into()])
}

/// `_weight_norm_interface_backward(grad_w, saved_v, saved_g, saved_norms,
/// dim)` -> `(grad_v, grad_g)`.
pub(crate) fn weight_norm_interface_backward(
    ctx: &mut KernelCtx<'_>,
    a: Args<'_>,
) -> Result<Vec<IValue>> {
    let (grad_w, v, g, norms) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.tensor(3)?);
    let dim = a.int(4)?;
    for (t, name) in [
        (grad_w, "grad_w"),
        (v, "saved_v"),
        (g, "saved_g"),
        (norms, "saved_norms"),
    ] {
        ctx.check(t, name)?;
    }
    require_floating("weight_norm_backward", "saved_v", v.dtype())?;
    let slices = check_shapes(ctx.op, v, g, dim)?;
    if grad_w.shape() != v.shape() {
        return Err(RuntimeError::shape(
            ctx.op,
            format!(
                "grad_w of shape {:?} does not match saved_v {:?}",
                grad_w.shape(),
                v.shape()
            ),
        ));
    }
    let numel = v.numel();
    let projection = if ctx.faults.weight_norm_no_projection {
        0.0
    } else {
        1.0
    };
    // `(v, grad_w, g, ‖v‖, Σ grad_w·v)`, read once per output.
    let columns = || -> Result<[Vec<f64>; 5]> {
        let (vs, gws) = (v.read_f64(ctx.op)?, grad_w.read_f64(ctx.op)?);
        let sums = slice_sums(&slices, numel, |i| gws[i] * vs[i]);
        Ok([vs, gws, g.read_f64(ctx.op)?, norms.read_f64(ctx.op)?, sums])
    };
    if float32_rows(ctx, dim, &[grad_w, v, g, norms]) {
        let backward = || -> Result<(Vec<f64>, Vec<f64>)> {
            Ok(float32_backward(
                &v.read_f64(ctx.op)?,
                &grad_w.read_f64(ctx.op)?,
                &g.read_f64(ctx.op)?,
                &norms.read_f64(ctx.op)?,
                &slices,
            ))
        };
        let grad_v = ctx.output(v.shape(), &contiguous_strides(v.shape()), v.dtype(), || {
            Ok(backward()?.0)
        })?;
        let grad_g = ctx.output(g.shape(), &contiguous_strides(g.shape()), g.dtype(), || {
            Ok(backward()?.1)
        })?;
        return Ok(vec![grad_v.into(), grad_g.into()]);
    }
    let grad_v = ctx.output(v.shape(), &contiguous_strides(v.shape()), v.dtype(), || {
        let [vs, gws, gs, ns, sums] = columns()?;
        Ok((0..numel)
            .map(|i| {
                let k = slices.of(i);
                let scale = gs[k] / ns[k];
                scale * gws[i] - projection * scale * sums[k] / (ns[k] * ns[k]) * vs[i]
            })
            .collect())
    })?;
    let grad_g = ctx.output(g.shape(), &contiguous_strides(g.shape()), g.dtype(), || {
        let [_, _, _, ns, sums] = columns()?;
        Ok(sums.iter().zip(&ns).map(|(s, n)| s / n).collect())
    })?;
    Ok(vec![grad_v.into(), grad_g.into()])
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;

    fn f32s(rt: &mut Runtime, shape: &[i64], values: &[f32]) -> Tensor {
        crate::kernels::nn::tests::f32s(rt, shape, values)
    }

    fn close(t: &IValue, want: &[f64]) {
        let got = t.as_tensor().expect("tensor").to_f64_vec().expect("values");
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn first_dim_norms_scale_rows_and_the_backward_projects_them_out() {
        let mut rt = Runtime::new();
        let v = f32s(&mut rt, &[2, 2], &[3.0, 4.0, 0.0, 5.0]);
        let g = f32s(&mut rt, &[2, 1], &[2.0, 1.0]);
        let out = rt
            .call(
                "aten._weight_norm_interface.default",
                vec![v.clone().into(), g.clone().into(), IValue::Int(0)],
            )
            .expect("forward");
        close(&out[0], &[1.2, 1.6, 0.0, 1.0]);
        close(&out[1], &[5.0, 5.0]);
        let norms = out[1].clone();
        let grad = f32s(&mut rt, &[2, 2], &[1.0; 4]);
        let back = rt
            .call(
                "aten._weight_norm_interface_backward.default",
                vec![grad.into(), v.into(), g.into(), norms, IValue::Int(0)],
            )
            .expect("backward");
        // Row 0: s = 7, grad_v = 0.4 - 2·7/125·v; row 1: s = 5.
        close(&back[0], &[0.064, -0.048, 0.2, 0.0]);
        close(&back[1], &[1.4, 1.0]);
    }

    #[test]
    fn last_dim_norms_scale_columns_and_middle_dims_are_refused() {
        let mut rt = Runtime::new();
        let v = f32s(&mut rt, &[2, 2], &[3.0, 0.0, 4.0, 5.0]);
        let g = f32s(&mut rt, &[1, 2], &[1.0, 2.0]);
        let out = rt
            .call(
                "aten._weight_norm_interface.default",
                vec![v.into(), g.into(), IValue::Int(1)],
            )
            .expect("forward");
        close(&out[0], &[0.6, 0.0, 0.8, 2.0]);
        close(&out[1], &[5.0, 5.0]);

        let v3 = f32s(&mut rt, &[2, 2, 2], &[1.0; 8]);
        let g3 = f32s(&mut rt, &[1, 2, 1], &[1.0; 2]);
        let err = rt
            .call(
                "aten._weight_norm_interface.default",
                vec![v3.into(), g3.into(), IValue::Int(1)],
            )
            .expect_err("middle dim")
            .to_string();
        assert!(
            err.contains("fused kernels can only be applied for first or last dim"),
            "{err}"
        );
    }
}
