//! `_trilinear(i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim=1)`:
//! the sum over `sumdim` of the product of three tensors, each unsqueezed
//! at its `expand` dims to a common rank.
//!
//! `nn.Bilinear` / `F.bilinear` compose it as `_trilinear(x1, weight, x2,
//! [1, 3], [0], [1, 2], [2, 3])`, and its derivative (TrilinearBackward0)
//! is three more `_trilinear` calls with the roles of `sumdim` and one
//! input's `expand` swapped. Observed in torch 2.15 on CPU: the result is
//! contiguous in `i1`'s dtype (the other inputs are read in theirs); a
//! dim's size is that of the last input (`i3`, then `i2`, then `i1`) not
//! expanded there, the others may broadcast from 1; summed dims are
//! removed; `unroll_dim` (only a loop order) must lie in
//! `[0, total_dim - 1]`.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::strides::contiguous_strides;

/// The kernel of `op` if it is `_trilinear`.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten._trilinear.default" => trilinear,
        _ => return None,
    })
}

/// PyTorch's `dim_list_to_bitset`: a dim list as flags over `total` dims.
fn dim_flags(op: &str, dims: &[i64], total: usize) -> Result<Vec<bool>> {
    let mut flags = vec![false; total];
    for &d in dims {
        let wrapped = if d < 0 { d + total as i64 } else { d };
        if !(0..total as i64).contains(&wrapped) {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                    -(total as i64),
                    total as i64 - 1
                ),
            ));
        }
        let at = wrapped as usize;
        if flags[at] {
            return Err(RuntimeError::shape(
                op,
                format!("dim {at} appears multiple times in the list of dims"),
            ));
        }
        flags[at] = true;
    }
    Ok(flags)
}

/// One input seen at the common rank: its size and element stride per dim
/// (stride 0 where it is expanded or broadcast).
struct Operand {
    sizes: Vec<i64>,
    strides: Vec<usize>,
}

impl Operand {
    fn new(op: &str, name: &str, shape: &[i64], expand: &[bool]) -> Result<Operand> {
        let kept = expand.iter().filter(|e| !**e).count();
        if kept != shape.len() {
            return Err(RuntimeError::shape(
                op,
                format!(
                    "{name} of {} dims with {} expanded dims does not make the {} dims of the product",
                    shape.len(),
                    expand.len() - kept,
                    expand.len()
                ),
            ));
        }
        let own = contiguous_strides(shape);
        let (mut sizes, mut strides, mut at) = (Vec::new(), Vec::new(), 0);
        for &e in expand {
            if e {
                sizes.push(1);
                strides.push(0);
            } else {
                sizes.push(shape[at]);
                strides.push(own[at].max(0) as usize);
                at += 1;
            }
        }
        Ok(Operand { sizes, strides })
    }
}

/// `_trilinear(i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim)`.
pub(crate) fn trilinear(ctx: &mut KernelCtx<'_>, a: Args<'_>) -> Result<Vec<IValue>> {
    let (i1, i2, i3) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    for (t, name) in [(i1, "i1"), (i2, "i2"), (i3, "i3")] {
        ctx.check(t, name)?;
    }
    let op = ctx.op;
    let expand1 = a.int_list(3)?;
    let total = i1.dim() + expand1.len();
    let unroll_dim = a.int(7)?;
    if !(0..total as i64).contains(&unroll_dim) {
        return Err(RuntimeError::shape(
            op,
            format!("unroll_dim must be in [0,{}]", total as i64 - 1),
        ));
    }
    let flags = [
        dim_flags(op, &expand1, total)?,
        dim_flags(op, &a.int_list(4)?, total)?,
        dim_flags(op, &a.int_list(5)?, total)?,
    ];
    let sumdim = dim_flags(op, &a.int_list(6)?, total)?;
    let operands = [
        Operand::new(op, "i1", i1.shape(), &flags[0])?,
        Operand::new(op, "i2", i2.shape(), &flags[1])?,
        Operand::new(op, "i3", i3.shape(), &flags[2])?,
    ];
    // The product's extent per dim; every non-expanded input has it or 1,
    // and the last non-expanded one (which fixes PyTorch's output size)
    // has it unless the dim is summed.
    let mut full = Vec::with_capacity(total);
    for d in 0..total {
        let kept: Vec<i64> = (0..3)
            .filter(|&k| !flags[k][d])
            .map(|k| operands[k].sizes[d])
            .collect();
        let size = kept.iter().copied().max().unwrap_or(1);
        let last = kept.last().copied().unwrap_or(1);
        if kept.iter().any(|&s| s != size && s != 1) || (!sumdim[d] && last != size) {
            return Err(RuntimeError::shape(
                op,
                format!("the sizes {kept:?} of dim {d} do not broadcast to the size of the result"),
            ));
        }
        full.push(size);
    }
    let out_shape: Vec<i64> = (0..total)
        .filter(|&d| !sumdim[d])
        .map(|d| full[d])
        .collect();
    let out_strides = contiguous_strides(&out_shape);
    let out = ctx.output(&out_shape, &out_strides, i1.dtype(), || {
        let values = [i1.read_f64(op)?, i2.read_f64(op)?, i3.read_f64(op)?];
        // A broadcast dim reads the same element throughout.
        let strides: Vec<Vec<usize>> = operands
            .iter()
            .map(|o| {
                (0..total)
                    .map(|d| if o.sizes[d] == 1 { 0 } else { o.strides[d] })
                    .collect()
            })
            .collect();
        let mut sums = vec![0.0f64; out_shape.iter().product::<i64>().max(0) as usize];
        let count: i64 = full.iter().product();
        let mut index = vec![0i64; total];
        for _ in 0..count.max(0) {
            let (mut pos, mut out_at) = ([0usize; 3], 0usize);
            let mut o = 0;
            for d in 0..total {
                let i = index[d] as usize;
                for k in 0..3 {
                    pos[k] += i * strides[k][d];
                }
                if !sumdim[d] {
                    out_at += i * out_strides[o].max(0) as usize;
                    o += 1;
                }
            }
            sums[out_at] += values[0][pos[0]] * values[1][pos[1]] * values[2][pos[2]];
            for d in (0..total).rev() {
                index[d] += 1;
                if index[d] < full[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        Ok(sums)
    })?;
    Ok(vec![out.into()])
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;

    fn ints(v: &[i64]) -> IValue {
        IValue::IntList(v.to_vec())
    }

    #[test]
    fn bilinear_form_matches_the_explicit_sum_and_sums_drop_dims() {
        let mut rt = Runtime::new();
        let f32s = crate::kernels::nn::tests::f32s;
        // x1 [1, 2], weight [2, 2, 2] (out, in1, in2), x2 [1, 2].
        let x1 = f32s(&mut rt, &[1, 2], &[1.0, 2.0]);
        let w = f32s(
            &mut rt,
            &[2, 2, 2],
            &[1.0, 0.0, 0.0, 1.0, 0.5, -1.0, 2.0, 0.0],
        );
        let x2 = f32s(&mut rt, &[1, 2], &[3.0, -1.0]);
        let out = rt
            .call(
                "aten._trilinear.default",
                vec![
                    x1.into(),
                    w.into(),
                    x2.into(),
                    ints(&[1, 3]),
                    ints(&[0]),
                    ints(&[1, 2]),
                    ints(&[2, 3]),
                    IValue::Int(1),
                ],
            )
            .expect("forward");
        let t = out[0].as_tensor().expect("tensor");
        assert_eq!(t.shape(), &[1, 2]);
        // o_k = Σ x1_i w_kij x2_j: o0 = 1·3 + 2·(-1) = 1,
        // o1 = 0.5·3 + (-1)·(-1) + 2·2·3 = 14.5.
        assert_eq!(t.to_f64_vec().expect("values"), vec![1.0, 14.5]);

        let a = f32s(&mut rt, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let b = f32s(&mut rt, &[1, 3], &[1.0, 0.0, -1.0]);
        let out = rt
            .call(
                "aten._trilinear.default",
                vec![
                    a.clone().into(),
                    b.into(),
                    a.into(),
                    ints(&[]),
                    ints(&[]),
                    ints(&[]),
                    ints(&[1]),
                    IValue::Int(1),
                ],
            )
            .expect("broadcast");
        let t = out[0].as_tensor().expect("tensor");
        assert_eq!(t.shape(), &[2]);
        assert_eq!(t.to_f64_vec().expect("values"), vec![-8.0, -20.0]);
    }

    #[test]
    fn unroll_dim_out_of_range_is_refused() {
        let mut rt = Runtime::new();
        let a = crate::kernels::nn::tests::f32s(&mut rt, &[2], &[1.0, 2.0]);
        let err = rt
            .call(
                "aten._trilinear.default",
                vec![
                    a.clone().into(),
                    a.clone().into(),
                    a.into(),
                    ints(&[]),
                    ints(&[]),
                    ints(&[]),
                    ints(&[0]),
                    IValue::Int(1),
                ],
            )
            .expect_err("refused")
            .to_string();
        assert!(err.contains("unroll_dim must be in [0,0]"), "{err}");
    }
}
