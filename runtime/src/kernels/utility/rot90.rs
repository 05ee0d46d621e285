//! `rot90(self, k=1, dims=[0,1])`: a quarter turn `k` times in the plane
//! `dims`. PyTorch composes it from `flip` and `transpose_` (unseen by a
//! dispatch mode), which fixes the result's layout: `k ≡ 1`:
//! `flip(dims[1]).transpose_(dims)`, `k ≡ 2`: `flip(dims)`, `k ≡ 3`:
//! `flip(dims[0]).transpose_(dims)`, `k ≡ 0`: a contiguous clone.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::kernels::iter::output_strides;
use crate::kernels::reduction::dims::wrap;
use crate::tensor::strides::contiguous_strides;

/// `values` (logical order of `shape`) reversed along `dims`.
fn flip(values: &[f64], shape: &[usize], dims: &[usize]) -> Vec<f64> {
    let strides: Vec<usize> = {
        let mut s = vec![1; shape.len()];
        for d in (0..shape.len().saturating_sub(1)).rev() {
            s[d] = s[d + 1] * shape[d + 1];
        }
        s
    };
    (0..values.len())
        .map(|flat| {
            let mut src = 0;
            for (d, (&n, &st)) in shape.iter().zip(&strides).enumerate() {
                let i = (flat / st) % n.max(1);
                let i = if dims.contains(&d) { n - 1 - i } else { i };
                src += i * st;
            }
            values[src]
        })
        .collect()
}

/// `values` with dimensions `d0` and `d1` exchanged (logical order of the
/// result).
fn transpose(values: &[f64], shape: &[usize], d0: usize, d1: usize) -> Vec<f64> {
    let mut out_shape = shape.to_vec();
    out_shape.swap(d0, d1);
    let src_strides = contiguous_strides(&shape.iter().map(|&n| n as i64).collect::<Vec<_>>());
    let out_strides = contiguous_strides(&out_shape.iter().map(|&n| n as i64).collect::<Vec<_>>());
    (0..values.len())
        .map(|flat| {
            let mut src = 0i64;
            for d in 0..out_shape.len() {
                let i = (flat as i64 / out_strides[d]) % (out_shape[d].max(1) as i64);
                let sd = if d == d0 {
                    d1
                } else if d == d1 {
                    d0
                } else {
                    d
                };
                src += i * src_strides[sd];
            }
            values[src as usize]
        })
        .collect()
}

/// `rot90(Tensor self, int k=1, int[] dims=[0,1]) -> Tensor`.
pub(crate) fn rot90(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let t = a.tensor(0)?;
    ctx.check(t, "self")?;
    let k = a.int(1)?;
    let dims = a.int_list(2)?;
    let total = t.dim() as i64;
    let fail = |m: String| Err(RuntimeError::shape(ctx.op, m));
    if dims.len() != 2 {
        return fail(format!(
            "expected total rotation dims == 2, but got dims = {}",
            dims.len()
        ));
    }
    if total < 2 {
        return fail(format!(
            "expected total dims >= 2, but got total dims = {total}"
        ));
    }
    if dims[0] == dims[1] || (dims[0] - dims[1]).abs() == total {
        return fail(format!(
            "expected rotation dims to be different, but got dim0 = {} and dim1 = {}",
            dims[0], dims[1]
        ));
    }
    for (which, &d) in dims.iter().enumerate() {
        if d >= total || d < -total {
            return fail(format!(
                "Rotation dim{which} out of range, dim{which} = {d}"
            ));
        }
    }
    let d0 = wrap(ctx.op, dims[0], t.dim())?;
    let d1 = wrap(ctx.op, dims[1], t.dim())?;
    let turns = k.rem_euclid(4);
    let shape: Vec<usize> = t.shape().iter().map(|&n| n.max(0) as usize).collect();
    // The flip's result is `empty_like(self)` in `self`'s format (see the
    // `flip` kernel).
    let flip_strides = if ctx.faults.flip_pointwise_layout {
        output_strides(t.shape(), &[(t.shape(), t.stride())])
    } else {
        crate::kernels::factory::like_strides(ctx, t, None)?
    };
    let (out_shape, out_strides) = match turns {
        0 => (t.shape().to_vec(), contiguous_strides(t.shape())),
        2 => (t.shape().to_vec(), flip_strides),
        _ => {
            let (mut s, mut st) = (t.shape().to_vec(), flip_strides);
            s.swap(d0, d1);
            st.swap(d0, d1);
            (s, st)
        }
    };
    let out = ctx.output(&out_shape, &out_strides, t.dtype(), || {
        let v = t.read_f64(ctx.op)?;
        Ok(match turns {
            0 => v,
            1 => transpose(&flip(&v, &shape, &[d1]), &shape, d0, d1),
            2 => flip(&v, &shape, &[d0, d1]),
            _ => transpose(&flip(&v, &shape, &[d0]), &shape, d0, d1),
        })
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_turn_is_flip_then_transpose() {
        // [[1, 2, 3], [4, 5, 6]] rotated once counter-clockwise in (0, 1):
        // [[3, 6], [2, 5], [1, 4]].
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let once = transpose(&flip(&v, &[2, 3], &[1]), &[2, 3], 0, 1);
        assert_eq!(once, vec![3.0, 6.0, 2.0, 5.0, 1.0, 4.0]);
        let twice = flip(&v, &[2, 3], &[0, 1]);
        assert_eq!(twice, vec![6.0, 5.0, 4.0, 3.0, 2.0, 1.0]);
        let thrice = transpose(&flip(&v, &[2, 3], &[0]), &[2, 3], 0, 1);
        assert_eq!(thrice, vec![4.0, 1.0, 5.0, 2.0, 6.0, 3.0]);
    }
}
