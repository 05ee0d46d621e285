//! The symmetric-indefinite (Bunch-Kaufman) factorization:
//! `linalg_ldl_factor_ex` (LAPACK's `sytrf`, lower triangle) and
//! `linalg_ldl_solve` (`sytrs`). Observed in torch 2.15 (CPU): `LD` is
//! batch-contiguous and column-major with its strict upper triangle zeroed,
//! `pivots` and `info` are int32 (a 2×2 block's two pivots both `-(row+1)`),
//! the solution is column-major over the broadcast batch, and neither
//! operator is differentiable. For real inputs `hermitian` changes nothing.

use super::{
    Stack, c_order, check_info, contiguous_strides, info_tensor, lapack, matrices, pair, pivot_rows,
};
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::KernelCtx;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The float32/float64 dtype of the factored matrix, or PyTorch's errors:
/// NotImplementedError for an integer input (`Expected a floating point
/// ...`) and for a reduced float (the CPU kernel's name).
fn ldl_dtype(op: &str, t: &Tensor, api: &str) -> Result<DType> {
    match t.dtype() {
        d @ (DType::Float32 | DType::Float64) => Ok(d),
        d if d.is_floating() => Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "\"ldl_factor_kernel_cpu\" not implemented for '{}'",
                d.scalar_type_name()
            ),
        }),
        d => Err(RuntimeError::KernelDtype {
            op: op.to_owned(),
            message: format!(
                "{api}: Expected a floating point or complex tensor as input. Got {}",
                d.scalar_type_name()
            ),
        }),
    }
}

/// `linalg_ldl_factor_ex(self, *, hermitian=False, check_errors=False)
/// -> (LD, pivots, info)`.
pub(super) fn linalg_ldl_factor_ex(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    ctx.check(x, "self")?;
    let check_errors = a.bool(2)?;
    let op = ctx.op;
    let api = "torch.linalg.ldl_factor_ex";
    let s = Stack::of(op, x, api)?;
    if s.rows != s.cols {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{api}: A must be batches of square matrices, but they are {} by {} matrices",
                s.rows, s.cols
            ),
        ));
    }
    let dtype = ldl_dtype(op, x, api)?;
    let single = dtype == DType::Float32;
    let n = s.rows;
    let fault = ctx.faults.ldl_factor_without_pivoting;
    let (mut mats, mut pivs, mut infos) = (Vec::new(), Vec::new(), vec![0i64; s.count()]);
    if ctx.has_data() {
        for (b, mut m) in matrices(op, x, &s)?.into_iter().enumerate() {
            let (p, info) = if fault {
                lapack::sytf2_lower_unpivoted(&mut m, n, single)
            } else {
                lapack::sytf2_lower(&mut m, n, single)
            };
            // The strict upper triangle is zeroed.
            for j in 0..n {
                for i in 0..j {
                    m[i + j * n] = 0.0;
                }
            }
            infos[b] = info;
            mats.push(m);
            pivs.extend(p);
        }
    }
    if check_errors {
        check_info(op, &infos, api, s.batch.is_empty())?;
    }
    let ld = ctx.output(&s.shape(), &s.f_strides(), dtype, || {
        Ok(c_order(&mats, n, n, dtype))
    })?;
    let mut pshape = s.batch.clone();
    pshape.push(n as i64);
    let piv = ctx.output_i64(&pshape, &contiguous_strides(&pshape), DType::Int32, || {
        Ok(pivs)
    })?;
    let info = info_tensor(ctx, &s.batch, infos)?;
    Ok(vec![ld.into(), piv.into(), info.into()])
}

/// `linalg_ldl_solve(LD, pivots, B, *, hermitian=False)`: `A·X = B` with
/// the factors of `linalg_ldl_factor_ex`, batches broadcast.
pub(super) fn linalg_ldl_solve(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (ld, piv_t, b) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    ctx.check(ld, "LD")?;
    ctx.check(b, "B")?;
    let op = ctx.op;
    let api = "torch.linalg.ldl_solve";
    let sl = Stack::of(op, ld, api)?;
    let sb = Stack::of(op, b, api)?;
    if ld.dtype() != b.dtype() {
        return Err(RuntimeError::TypeCast {
            op: op.to_owned(),
            message: format!(
                "Expected b and A to have the same dtype, but found b of type {} and A of type {} instead.",
                b.dtype().scalar_type_name(),
                ld.dtype().scalar_type_name()
            ),
        });
    }
    if sl.rows != sl.cols {
        return Err(RuntimeError::shape(
            op,
            format!(
                "A must be batches of square matrices, but they are {} by {} matrices",
                sl.rows, sl.cols
            ),
        ));
    }
    let n = sl.rows;
    if sb.rows != n {
        return Err(RuntimeError::shape(
            op,
            format!(
                "Incompatible matrix sizes for {api}: each A matrix is {n} by {n} but each b matrix is {} by {}",
                sb.rows, sb.cols
            ),
        ));
    }
    let dtype = ldl_dtype(op, ld, api)?;
    let single = dtype == DType::Float32;
    let cols = sb.cols;
    let p = pair(op, &sl, &sb)?;
    let out = p.out(n, cols);
    let res = ctx.output(&out.shape(), &out.f_strides(), dtype, || {
        let lds = matrices(op, ld, &sl)?;
        let pivs = pivot_rows(op, piv_t, n)?;
        let bs = matrices(op, b, &sb)?;
        let mats: Vec<Vec<f64>> = (0..p.from_a.len())
            .map(|i| {
                let piv = pivs.get(p.from_a[i]).cloned().unwrap_or_default();
                let mut x = bs[p.from_b[i]].clone();
                if piv.len() == n {
                    lapack::sytrs_lower(&lds[p.from_a[i]], &piv, n, &mut x, cols, single);
                }
                x
            })
            .collect();
        Ok(c_order(&mats, n, cols, dtype))
    })?;
    Ok(vec![res.into()])
}

#[cfg(test)]
mod tests {
    use super::lapack;

    /// A symmetric-indefinite 5×5 (column-major) whose Bunch-Kaufman
    /// factorization is a 2×2 block, a 1×1 one and a 2×2 one.
    const Q: [f64; 25] = [
        0.5, 2.0, 0.1, 1.0, 0.0, //
        2.0, 0.2, 0.3, 0.0, 1.0, //
        0.1, 0.3, 3.0, 1.0, 1.0, //
        1.0, 0.0, 1.0, 0.0, 0.0, //
        0.0, 1.0, 1.0, 0.0, 0.0,
    ];

    #[test]
    fn bunch_kaufman_factors_and_solves_as_lapack() {
        // torch.linalg.ldl_factor / ldl_solve (torch 2.15, float64).
        let mut a = Q.to_vec();
        let (piv, info) = lapack::sytf2_lower(&mut a, 5, false);
        assert_eq!(piv, vec![-2, -2, 3, -5, -5]);
        assert_eq!(info, 0);
        let want_lower = [
            (0, 0, 0.5),
            (1, 0, 2.0),
            (2, 0, 0.148_717_948_717_948_72),
            (3, 0, -0.051_282_051_282_051_294),
            (4, 0, 0.512_820_512_820_512_9),
            (1, 1, 0.2),
            (2, 1, 0.012_820_512_820_512_827),
            (3, 1, 0.512_820_512_820_512_9),
            (4, 1, -0.128_205_128_205_128_22),
            (2, 2, 2.981_282_051_282_051_3),
            (3, 2, 0.285_542_272_297_239_16),
            (4, 2, 0.331_125_827_814_569_56),
            (3, 3, -0.191_794_960_006_880_5),
            (4, 3, -0.794_701_986_754_967),
            (4, 4, -0.198_675_496_688_741_74),
        ];
        for (i, j, v) in want_lower {
            let got = a[i + 5 * j];
            assert!((got - v).abs() <= 1e-15, "LD[{i},{j}] = {got}, want {v}");
        }
        let mut x = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        lapack::sytrs_lower(&a, &piv, 5, &mut x, 1, false);
        let want = [
            1.231_884_057_971_014_6,
            2.231_884_057_971_014,
            2.768_115_942_028_985_4,
            -4.356_521_739_130_434,
            -1.740_579_710_144_927_6,
        ];
        for (g, w) in x.iter().zip(want) {
            assert!((g - w).abs() <= 1e-14, "x = {x:?}");
        }
    }

    #[test]
    fn a_zero_column_is_reported_and_left_alone() {
        // The zero matrix: info names the first column, pivots stay in
        // place, nothing is divided by zero.
        let mut a = vec![0.0; 9];
        let (piv, info) = lapack::sytf2_lower(&mut a, 3, false);
        assert_eq!(piv, vec![1, 2, 3]);
        assert_eq!(info, 1);
        assert!(a.iter().all(|v| *v == 0.0));
    }
}
