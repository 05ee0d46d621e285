//! float16 and bfloat16 `special_i0e` as PyTorch's CPU loop computes them.
//!
//! The kernel's vectorised loop widens each lane to float and evaluates the
//! float algorithm ([`cephes::i0e_f32`]), rounding once. Its scalar loop
//! instead evaluates the series in the dtype's own arithmetic: the
//! coefficients rounded (double to float to the dtype) and every product,
//! difference and sum rounded to the dtype, `sqrt` taken in float and the
//! quotient rounded. Which elements take the scalar loop is
//! TensorIterator's split ([`scalar_loop_elements`]: with vector kernels,
//! the remainder after the steps of 64 and one more vector of 32; without
//! them, every element). Measured on torch 2.15 (AVX-512): the scalar
//! loop's 1,240 elements over ±30 and near 0 agree bit for bit with this
//! arithmetic, where the float algorithm is off for 740 (float16) and 639
//! (bfloat16) of them, by up to several ulps.
//!
//! `i0`, `special_i1` and `special_i1e` widen to float in both loops, so
//! the float algorithm stands for them.

use super::cephes;
use crate::error::Result;
use crate::kernels::KernelCtx;
use crate::kernels::reduced_axpy::scalar_loop_elements;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// Rounding of a float to a 16-bit float dtype.
fn rounder(dtype: DType) -> fn(f32) -> f32 {
    match dtype {
        DType::Float16 => |v| half::f16::from_f32(v).to_f32(),
        _ => |v| half::bf16::from_f32(v).to_f32(),
    }
}

/// The series of `coefficients` (already in the dtype) at `y`, every step
/// rounded by `r`.
fn series(y: f32, coefficients: &[f32], r: fn(f32) -> f32) -> f32 {
    let Some((&first, rest)) = coefficients.split_first() else {
        return 0.0;
    };
    let (mut b0, mut b1, mut b2) = (first, 0.0f32, 0.0f32);
    for &ci in rest {
        b2 = b1;
        b1 = b0;
        b0 = r(r(r(y * b1) - b2) + ci);
    }
    r(0.5 * r(b0 - b2))
}

/// `exp(-|x|) I0(x)` of a float16 (`dtype` Float16) or bfloat16 value in
/// that dtype's arithmetic: the scalar loop's result.
pub(crate) fn i0e_in_dtype(dtype: DType, x: f32) -> f32 {
    let r = rounder(dtype);
    let (a, b) = cephes::i0e_tables_f32();
    let x = r(x.abs());
    if x <= 8.0 {
        let coefficients: Vec<f32> = a.iter().map(|&c| r(c)).collect();
        return series(r(r(x / 2.0) - 2.0), &coefficients, r);
    }
    let coefficients: Vec<f32> = b.iter().map(|&c| r(c)).collect();
    let s = series(r(r(32.0 / x) - 2.0), &coefficients, r);
    r(s / x.sqrt())
}

/// Rewrites the elements of `out` (`special_i0e` of `input`, both float16
/// or both bfloat16) that PyTorch's scalar loop computes. Leaves `out`
/// alone for other dtypes, unmodelled layouts and the
/// `bessel-reduced-tail-in-float` fault.
pub(crate) fn redo_scalar_loop(ctx: &KernelCtx<'_>, out: &Tensor, input: &Tensor) -> Result<()> {
    let dtype = out.dtype();
    if !matches!(dtype, DType::Float16 | DType::BFloat16)
        || input.dtype() != dtype
        || !ctx.has_data()
        || ctx.faults.bessel_reduced_tail_in_float
    {
        return Ok(());
    }
    let Some(elements) = scalar_loop_elements(ctx.faults, out, &[input], ctx.cpu) else {
        return Ok(());
    };
    if elements.is_empty() {
        return Ok(());
    }
    let xs = input.read_f64(ctx.op)?;
    let mut values = out.read_f64(ctx.op)?;
    for i in elements {
        if let (Some(v), Some(&x)) = (values.get_mut(i), xs.get(i)) {
            *v = f64::from(i0e_in_dtype(dtype, x as f32));
        }
    }
    out.write_f64(ctx.op, &values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// torch 2.15: `special_i0e` of the last element of a contiguous
    /// 127-element tensor (the scalar loop), as bits; the float algorithm
    /// differs at -0.5, 1.25, 7.3125 and -23.359375 (float16) and at 0,
    /// 1.25, 3.703125, 7.3125, -8.5 and 8.625 (bfloat16: 0.9921875 at 0).
    const CASES_F16: [(f32, u16); 10] = [
        (0.0, 0x3c00),
        (-0.5, 0x392a),
        (1.25, 0x368e),
        (3.699_218_8, 0x32ea),
        (7.3125, 0x30d0),
        (-8.5, 0x3073),
        (8.625, 0x306a),
        (12.296_875, 0x2f5c),
        (-23.359_375, 0x2d51),
        (29.593_75, 0x2cb7),
    ];
    const CASES_BF16: [(f32, u16); 10] = [
        (0.0, 0x3f7e),
        (-0.5, 0x3f25),
        (1.25, 0x3ed1),
        (3.703_125, 0x3e5c),
        (7.3125, 0x3e19),
        (-8.5, 0x3e0f),
        (8.625, 0x3e0e),
        (12.3125, 0x3deb),
        (-23.375, 0x3daa),
        (29.625, 0x3d97),
    ];

    #[test]
    fn scalar_loop_matches_torch() {
        for (x, bits) in CASES_F16 {
            let got = half::f16::from_f32(i0e_in_dtype(DType::Float16, x)).to_bits();
            assert_eq!(got, bits, "float16 at {x}");
        }
        for (x, bits) in CASES_BF16 {
            let got = half::bf16::from_f32(i0e_in_dtype(DType::BFloat16, x)).to_bits();
            assert_eq!(got, bits, "bfloat16 at {x}");
        }
    }
}
