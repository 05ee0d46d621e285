//! float32 `sigmoid`, `silu` and `silu_backward` as PyTorch's CPU loop
//! computes them, element by element.
//!
//! `cpu_kernel_vec` runs each thread's share of a dense loop in steps of
//! two vectors, where `exp` is `Vectorized<float>::exp()` (SLEEF's 1-ulp
//! `expf`, [`sleef_f32`]), and the elements after the last whole step in
//! its scalar loop, where `exp` is the C library's `expf`. The two differ
//! in the last bit for a few percent of inputs, so which loop an element
//! takes ([`VectorLoop::float32`], by the layout, the intra-op threads and
//! the CPU's lanes) decides its bits. Measured on torch 2.15 (AVX-512),
//! bit for bit over sizes 5 to 1000:
//!
//! - `sigmoid`: `1 / (1 + exp(0 − x))`;
//! - `silu`: `x / (1 + exp(−x))`;
//! - `silu_backward`: `s = 1 / (1 + exp(−x))`, then `dy · s ·
//!   fma(x, 1 − s, 1)` — the compiler fuses `1 + x·(1 − s)` in both loops.
//!
//! The `DEFAULT` kernels keep the scalar formula everywhere.
//!
//! float64 `sigmoid` takes the same two loops with SLEEF's double `exp`
//! ([`sleef_f64`]) in the vectorised one, in steps of two vectors of 8
//! lanes ([`redo_f64_sigmoid`]; 0 of 1,186 elements off over sizes 5 to
//! 1000, against a few percent with the C library's `exp` throughout).

use crate::error::Result;
use crate::kernels::KernelCtx;
use crate::kernels::loop_plan::VectorLoop;
use crate::kernels::nn::{sleef_f32, sleef_f64};
use crate::kernels::reduced_axpy::scalar_loop_elements_in;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// An `exp` of one float32 element.
type Exp = fn(f32) -> f32;

fn vector_exp(x: f32) -> f32 {
    sleef_f32::exp(x)
}

fn scalar_exp(x: f32) -> f32 {
    x.exp()
}

/// `sigmoid(x)` with `exp`.
pub(super) fn sigmoid(x: f32, exp: Exp) -> f32 {
    1.0 / (1.0 + exp(0.0 - x))
}

/// `silu(x)` with `exp`.
pub(super) fn silu(x: f32, exp: Exp) -> f32 {
    x / (1.0 + exp(-x))
}

/// `silu_backward(dy, x)` with `exp`.
pub(super) fn silu_backward(dy: f32, x: f32, exp: Exp) -> f32 {
    let s = 1.0 / (1.0 + exp(-x));
    dy * s * x.mul_add(1.0 - s, 1.0)
}

/// A float32 elementwise function of one or two float32 operands, given
/// the loop's `exp`.
pub(super) enum Lanes {
    Unary(fn(f32, Exp) -> f32),
    Binary(fn(f32, f32, Exp) -> f32),
}

/// Rewrites `out` (float32) as PyTorch's loop computes `f` of `inputs`
/// (their values before the call, logical order, `values[k]` of
/// `inputs[k]`): each element with the vector `exp` or the scalar one as
/// its loop takes it. Leaves `out` alone where the layout or the CPU is
/// not modelled, or `inputs` are not all float32 tensors of `out`'s shape.
pub(super) fn redo(
    ctx: &KernelCtx<'_>,
    out: &Tensor,
    inputs: &[&Tensor],
    values: &[Vec<f64>],
    f: Lanes,
) -> Result<()> {
    if ctx.faults.sigmoid_exp_of_one_loop {
        return Ok(());
    }
    redo_by_loop(ctx, out, inputs, values, |v, vector| {
        let exp: Exp = if vector { vector_exp } else { scalar_exp };
        match f {
            Lanes::Unary(g) => g(v[0], exp),
            Lanes::Binary(g) => g(v[0], v[1], exp),
        }
    })
}

/// Rewrites `out` (float32) with `f(values, vector)` of each element's
/// float32 input values, `vector` saying whether PyTorch's loop takes the
/// element in its vector loop (see [`redo`]; the same conditions leave
/// `out` alone). Inputs past the second read as 0.
pub(super) fn redo_by_loop(
    ctx: &KernelCtx<'_>,
    out: &Tensor,
    inputs: &[&Tensor],
    values: &[Vec<f64>],
    f: impl Fn([f32; 2], bool) -> f32,
) -> Result<()> {
    if out.dtype() != DType::Float32
        || inputs.iter().any(|t| t.dtype() != DType::Float32)
        || !ctx.has_data()
    {
        return Ok(());
    }
    let Some(scalar) = scalar_loop_elements_in(
        ctx.faults,
        out,
        inputs,
        ctx.cpu,
        VectorLoop::float32(ctx.cpu),
    ) else {
        return Ok(());
    };
    let n = out.numel();
    let mut in_scalar_loop = vec![false; n];
    for i in scalar {
        if let Some(flag) = in_scalar_loop.get_mut(i) {
            *flag = true;
        }
    }
    let at = |k: usize, i: usize| {
        values
            .get(k)
            .and_then(|v| v.get(i))
            .map_or(0.0, |&v| v as f32)
    };
    let result: Vec<f64> = (0..n)
        .map(|i| f64::from(f([at(0, i), at(1, i)], !in_scalar_loop[i])))
        .collect();
    out.write_f64(ctx.op, &result)
}

/// Rewrites a float64 `sigmoid` result `out` of `input` (its values
/// before the call in `values`, logical order) as PyTorch's loops compute
/// it: `1 / (1 + exp(0 − x))` with SLEEF's double `exp` in the vectorised
/// loop, the C library's in the scalar one. Leaves `out` alone where the
/// layout is not modelled or under the `sigmoid-f64-exp-of-one-loop` fault.
pub(super) fn redo_f64_sigmoid(
    ctx: &KernelCtx<'_>,
    out: &Tensor,
    input: &Tensor,
    values: &[f64],
) -> Result<()> {
    if out.dtype() != DType::Float64
        || input.dtype() != DType::Float64
        || !ctx.has_data()
        || ctx.faults.sigmoid_f64_exp_of_one_loop
    {
        return Ok(());
    }
    let vector_loop = VectorLoop::of_vectors(ctx.cpu, 2, 8);
    let Some(scalar) =
        scalar_loop_elements_in(ctx.faults, out, &[input], ctx.cpu, Some(vector_loop))
    else {
        return Ok(());
    };
    let n = out.numel();
    let mut in_scalar_loop = vec![false; n];
    for i in scalar {
        if let Some(flag) = in_scalar_loop.get_mut(i) {
            *flag = true;
        }
    }
    let result: Vec<f64> = (0..n)
        .map(|i| {
            let x = values.get(i).copied().unwrap_or(0.0);
            let e = if in_scalar_loop[i] {
                (-x).exp()
            } else {
                sleef_f64::exp(0.0 - x)
            };
            1.0 / (1.0 + e)
        })
        .collect();
    out.write_f64(ctx.op, &result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// torch 2.15: `torch.sigmoid`, `F.silu` and `aten.silu_backward`
    /// (gradient 0.75) of an input filling a contiguous tensor of 64
    /// elements (the vector loop) and of 5 (the scalar loop), as bits.
    const CASES: [(u32, [u32; 3], [u32; 3]); 3] = [
        (
            0xc048_3241,
            [0x3d2b_e2b3, 0xbe06_6ada, 0xbd80_b53a],
            [0x3d2b_e2b2, 0xbe06_6ad9, 0xbd80_b53a],
        ),
        (
            0xc07b_2f1a,
            [0x3c9e_a2ad, 0xbd9b_a6b0, 0xbd29_779a],
            [0x3c9e_a2ae, 0xbd9b_a6b0, 0xbd29_779b],
        ),
        (
            0xbf9e_684d,
            [0x3e66_420d, 0xbe8e_7a94, 0x3be1_081b],
            [0x3e66_420c, 0xbe8e_7a93, 0x3be1_081a],
        ),
    ];

    fn bits(x: f32, exp: Exp) -> [u32; 3] {
        [
            sigmoid(x, exp).to_bits(),
            silu(x, exp).to_bits(),
            silu_backward(0.75, x, exp).to_bits(),
        ]
    }

    #[test]
    fn each_loop_matches_torch_bit_for_bit() {
        for (x, vector, scalar) in CASES {
            let x = f32::from_bits(x);
            assert_eq!(bits(x, vector_exp), vector, "vector loop at {x}");
            assert_eq!(bits(x, scalar_exp), scalar, "scalar loop at {x}");
        }
    }
}
