//! Products of chains and index combinations a dispatch mode sees whole
//! inside `torch.inference_mode()`: `linalg.multi_dot` and `chain_matmul`
//! (`mm` in the cheapest association, ATen's cost formula for three
//! operands and the matrix-chain order for more, the result viewed to drop
//! the dimensions a 1-d first or last operand added) and `combinations`
//! (the elements at the index tuples of an `arange` grid that increase —
//! or never decrease, with replacement). Torch 2.15's parts, observed by
//! recording them under `no_grad`.

use super::{Bound, fail, one};
use crate::error::Result;
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::MemoryFormat;

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    let out = match a.op {
        "aten.linalg_multi_dot.default" => multi_dot(rt, a, "multi_dot"),
        "aten.chain_matmul.default" => multi_dot(rt, a, "chain_matmul"),
        "aten.combinations.default" => combinations(rt, a),
        _ => return None,
    };
    Some(out)
}

fn mm(rt: &mut Runtime, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    one(rt, "aten.mm.default", vec![x.into(), y.into()])
}

/// `multi_dot(tensors)` / `chain_matmul(matrices)`.
fn multi_dot(rt: &mut Runtime, a: &Bound<'_>, name: &str) -> Result<Vec<IValue>> {
    let IValue::TensorList(ts) = a.value(0)? else {
        return Err(a.refuse("argument 0 that is not a tensor list"));
    };
    let chain = name == "chain_matmul";
    let n = ts.len();
    if chain {
        if n == 0 {
            return Err(fail(a, "chain_matmul(): Expected one or more matrices"));
        }
        for t in ts {
            if t.dim() != 2 {
                return Err(fail(
                    a,
                    format!("Tensor dimension is {}, expected 2 instead.", t.dim()),
                ));
            }
        }
        if n == 1 {
            return rt.dispatch("aten.clone.default", vec![(&ts[0]).into()]);
        }
    } else if n < 2 {
        return Err(fail(
            a,
            format!("multi_dot(): expected at least 2 tensors but got {n}"),
        ));
    }
    let mut mats: Vec<Tensor> = Vec::with_capacity(n);
    let mut out_shape: Vec<i64> = Vec::new();
    for (i, t) in ts.iter().enumerate() {
        let edge_vector = (i == 0 || i + 1 == n) && t.dim() == 1;
        if !edge_vector && t.dim() != 2 {
            let what = if i == 0 {
                "the first tensor must be 1D or 2D"
            } else if i + 1 == n {
                "the last tensor must be 1D or 2D"
            } else {
                "tensor must be 2D"
            };
            return Err(fail(a, format!("{name}(): {what} but got {}D", t.dim())));
        }
        if t.dtype() != ts[0].dtype() {
            return Err(fail(
                a,
                format!(
                    "{name}(): all tensors must have be the same dtype but tensor 0 is {} and tensor {i} {}",
                    ts[0].dtype().scalar_type_name(),
                    t.dtype().scalar_type_name()
                ),
            ));
        }
        let m = if edge_vector {
            let at = if i == 0 { 0 } else { -1 };
            one(
                rt,
                "aten.unsqueeze.default",
                vec![t.into(), IValue::Int(at)],
            )?
        } else {
            if i == 0 {
                out_shape.push(t.shape()[0]);
            }
            if i + 1 == n {
                out_shape.push(t.shape()[1]);
            }
            t.clone()
        };
        if let Some(prev) = mats.last()
            && prev.shape()[1] != m.shape()[0]
        {
            return Err(fail(
                a,
                format!(
                    "{name}(): tensors {} and {i} with shapes {:?} and {:?} cannot be multiplied",
                    i - 1,
                    ts[i - 1].shape(),
                    t.shape()
                ),
            ));
        }
        mats.push(m);
    }
    let product = if n == 2 {
        mm(rt, &mats[0], &mats[1])?
    } else if n == 3 {
        let (p, q, r, s) = (
            mats[0].shape()[0],
            mats[1].shape()[0],
            mats[2].shape()[0],
            mats[2].shape()[1],
        );
        // (A B) C costs p·r·(q + s); A (B C) costs q·s·(p + r).
        if p * r * (q + s) > q * s * (p + r) {
            let bc = mm(rt, &mats[1], &mats[2])?;
            mm(rt, &mats[0], &bc)?
        } else {
            let ab = mm(rt, &mats[0], &mats[1])?;
            mm(rt, &ab, &mats[2])?
        }
    } else {
        let split = chain_order(&mats);
        chain_product(rt, &mats, &split, 0, n - 1)?
    };
    rt.dispatch("aten.view.default", vec![product.into(), out_shape.into()])
}

/// The matrix-chain order: `split[i][j]` is where the cheapest product of
/// operands `i..=j` splits (the first of equal costs).
fn chain_order(mats: &[Tensor]) -> Vec<Vec<usize>> {
    let n = mats.len();
    let mut dims: Vec<i64> = mats.iter().map(|m| m.shape()[0]).collect();
    dims.push(mats[n - 1].shape()[1]);
    let mut cost = vec![vec![0i64; n]; n];
    let mut split = vec![vec![0usize; n]; n];
    for len in 1..n {
        for i in 0..n - len {
            let j = i + len;
            cost[i][j] = i64::MAX;
            for k in i..j {
                let q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1];
                if q < cost[i][j] {
                    cost[i][j] = q;
                    split[i][j] = k;
                }
            }
        }
    }
    split
}

fn chain_product(
    rt: &mut Runtime,
    mats: &[Tensor],
    split: &[Vec<usize>],
    i: usize,
    j: usize,
) -> Result<Tensor> {
    if i == j {
        return Ok(mats[i].clone());
    }
    let k = split[i][j];
    let left = chain_product(rt, mats, split, i, k)?;
    let right = chain_product(rt, mats, split, k + 1, j)?;
    mm(rt, &left, &right)
}

/// `combinations(self, r, with_replacement)`.
fn combinations(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let r = match a.args.get(1) {
        None => 2,
        Some(_) => a.int(1)?,
    };
    let with_replacement = match a.args.get(2) {
        None => false,
        Some(_) => a.flag(2)?,
    };
    if x.dim() != 1 {
        return Err(fail(
            a,
            format!("Expect a 1D vector, but got shape {:?}", x.shape()),
        ));
    }
    if r < 0 {
        return Err(fail(
            a,
            format!("Expect a non-negative number, but got {r}"),
        ));
    }
    if r == 0 {
        return rt.dispatch(
            "aten.empty.memory_format",
            vec![vec![0i64].into(), IValue::Dtype(x.dtype())],
        );
    }
    let n = x.shape()[0];
    let range = one(
        rt,
        "aten.arange.default",
        vec![IValue::Int(n), IValue::Dtype(DType::Int64)],
    )?;
    let r = r as usize;
    let full = vec![n; r];
    let mut grids = Vec::with_capacity(r);
    for i in 0..r {
        let mut shape = vec![1i64; r];
        shape[i] = -1;
        let v = one(rt, "aten.view.default", vec![(&range).into(), shape.into()])?;
        grids.push(one(
            rt,
            "aten.expand.default",
            vec![v.into(), full.clone().into()],
        )?);
    }
    let mut mask = one(
        rt,
        "aten.full.default",
        vec![full.into(), IValue::Bool(true), IValue::Dtype(DType::Bool)],
    )?;
    let cmp = if with_replacement {
        "aten.le.Tensor"
    } else {
        "aten.lt.Tensor"
    };
    for pair in grids.windows(2) {
        let c = one(rt, cmp, vec![(&pair[0]).into(), (&pair[1]).into()])?;
        mask = one(rt, "aten.mul_.Tensor", vec![mask.into(), c.into()])?;
    }
    // `nonzero_static`'s row-major `[count, r]` (plain `nonzero` is
    // column-major), so that the gathered result is row-major too.
    let idx = one(rt, "aten.nonzero.default", vec![mask.into()])?;
    let idx = if idx.is_contiguous() {
        idx
    } else {
        one(
            rt,
            "aten.clone.default",
            vec![idx.into(), IValue::MemoryFormat(MemoryFormat::Contiguous)],
        )?
    };
    rt.dispatch(
        "aten.index.Tensor",
        vec![x.into(), IValue::TensorList(vec![idx])],
    )
}

#[cfg(test)]
mod tests {
    //! The chains and combinations run whole, as under `inference_mode`
    //! with a dispatch mode active. Expected values observed in torch 2.15.

    use super::super::test_support::{call, tensor};
    use super::chain_order;
    use crate::ivalue::IValue;
    use crate::tensor::dtype::DType;

    fn ones(shape: &[i64]) -> crate::tensor::Tensor {
        let n = shape.iter().product::<i64>() as usize;
        tensor(shape, DType::Float32, &vec![1.0; n])
    }

    #[test]
    fn chain_order_splits_at_the_cheapest_point() {
        // [3,4] [4,5] [5,2] [2,3]: ((A (B C)) D), as torch runs it.
        let mats = [ones(&[3, 4]), ones(&[4, 5]), ones(&[5, 2]), ones(&[2, 3])];
        let split = chain_order(&mats);
        assert_eq!(split[0][3], 2);
        assert_eq!(split[0][2], 0);
    }

    #[test]
    fn multi_dot_drops_the_dimensions_of_vector_ends() {
        let v = tensor(&[4], DType::Float32, &[1.0, 2.0, 3.0, 4.0]);
        let m = tensor(
            &[4, 2],
            DType::Float32,
            &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, -1.0],
        );
        let w = tensor(&[2], DType::Float32, &[1.0, 2.0]);
        let out = call(
            "aten.linalg_multi_dot.default",
            vec![IValue::TensorList(vec![v, m, w])],
        );
        // v·m = [12, 1]; ·w = 14.
        assert_eq!(out.shape(), &[] as &[i64]);
        assert_eq!(out.to_f64_vec().expect("values"), vec![14.0]);
    }

    #[test]
    fn combinations_are_row_major_increasing_tuples() {
        let x = tensor(&[3], DType::Float32, &[10.0, 20.0, 30.0]);
        let out = call("aten.combinations.default", vec![x.clone().into()]);
        assert_eq!(out.shape(), &[3, 2]);
        assert_eq!(out.stride(), &[2, 1]);
        assert_eq!(
            out.to_f64_vec().expect("values"),
            vec![10.0, 20.0, 10.0, 30.0, 20.0, 30.0]
        );
        let out = call(
            "aten.combinations.default",
            vec![x.clone().into(), IValue::Int(2), IValue::Bool(true)],
        );
        assert_eq!(out.shape(), &[6, 2]);
        let out = call("aten.combinations.default", vec![x.into(), IValue::Int(0)]);
        assert_eq!(out.shape(), &[0]);
    }
}
