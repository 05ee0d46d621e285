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
//!
//! The arithmetic is PyTorch's: for each slice of `unroll_dim`, the summed
//! dims `i3` lacks are contracted in `i1 · i2` (one batched matrix product,
//! rounded to the dtype), the rest in that buffer times `i3` (rounded
//! again); a summed `unroll_dim` adds the slices into the result one by one,
//! each add rounded. A bfloat16 `nn.Bilinear` therefore rounds `x1 · W`
//! before the second contraction.

use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::kernels::{Kernel, KernelCtx};
use crate::tensor::storage::cast_value as round_to;
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

/// One input seen at the common rank: its size per dim (1 where it is
/// expanded).
struct Operand {
    sizes: Vec<i64>,
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
        let (mut sizes, mut at) = (Vec::new(), 0);
        for &e in expand {
            if e {
                sizes.push(1);
            } else {
                sizes.push(shape[at]);
                at += 1;
            }
        }
        Ok(Operand { sizes })
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
    let rounded_once = ctx.faults.trilinear_rounded_once;
    let out = ctx.output(&out_shape, &out_strides, i1.dtype(), || {
        let dtype = i1.dtype();
        let round = |v: f64| {
            if rounded_once { v } else { round_to(dtype, v) }
        };
        let [o1, o2, o3] = &operands;
        let dense = [
            Dense::new(&o1.sizes, i1.read_f64(op)?),
            Dense::new(&o2.sizes, i2.read_f64(op)?),
            Dense::new(&o3.sizes, i3.read_f64(op)?),
        ];
        let u = unroll_dim as usize;
        // Summed dims other than the unrolled one: those `i3` lacks are
        // contracted in the first product, the others in the second.
        let sum12: Vec<bool> = (0..total)
            .map(|d| sumdim[d] && d != u && flags[2][d])
            .collect();
        let sum23: Vec<bool> = (0..total)
            .map(|d| sumdim[d] && d != u && !flags[2][d])
            .collect();
        let out_sizes: Vec<usize> = (0..total)
            .map(|d| {
                if sumdim[d] {
                    1
                } else {
                    full[d].max(0) as usize
                }
            })
            .collect();
        let mut output = Dense::zeros(&out_sizes);
        if dense.iter().any(|t| t.data.is_empty()) {
            return Ok(output.data);
        }
        for k in 0..full[u].max(0) as usize {
            let [a, b, c] = &dense;
            let buf = a.narrow(u, k).contract(&b.narrow(u, k), &sum12, round);
            let buf = buf.contract(&c.narrow(u, k), &sum23, round);
            for_each_index(&buf.sizes, |index| {
                let mut at = index.to_vec();
                if !sumdim[u] {
                    at[u] = k;
                }
                let slot = output.offset(&at);
                let v = buf.data[buf.offset(index)];
                output.data[slot] = if sumdim[u] {
                    round(output.data[slot] + v)
                } else {
                    v
                };
            });
        }
        Ok(output.data)
    })?;
    Ok(vec![out.into()])
}

/// A tensor's values in row-major order at the common rank (size 1 where
/// it is expanded or broadcast).
#[derive(Clone)]
struct Dense {
    sizes: Vec<usize>,
    data: Vec<f64>,
}

impl Dense {
    fn new(sizes: &[i64], data: Vec<f64>) -> Dense {
        Dense {
            sizes: sizes.iter().map(|&s| s.max(0) as usize).collect(),
            data,
        }
    }

    fn zeros(sizes: &[usize]) -> Dense {
        Dense {
            sizes: sizes.to_vec(),
            data: vec![0.0; sizes.iter().product()],
        }
    }

    /// The flat position of `index`, a size-1 dim reading its one element.
    fn offset(&self, index: &[usize]) -> usize {
        self.sizes
            .iter()
            .zip(index)
            .fold(0, |at, (&n, &i)| at * n + if n == 1 { 0 } else { i })
    }

    /// `narrow(dim, k, 1)` (a size-1 dim is kept whole).
    fn narrow(&self, dim: usize, k: usize) -> Dense {
        if self.sizes[dim] == 1 {
            return self.clone();
        }
        let mut sizes = self.sizes.clone();
        sizes[dim] = 1;
        let mut data = Vec::with_capacity(sizes.iter().product());
        for_each_index(&sizes, |index| {
            let mut at = index.to_vec();
            at[dim] = k;
            data.push(self.data[self.offset(&at)]);
        });
        Dense { sizes, data }
    }

    /// The sum over `dim` kept as size 1, each sum rounded (`sum(dim, true)`).
    fn sum_dim(&self, dim: usize, round: impl Fn(f64) -> f64) -> Dense {
        let mut sizes = self.sizes.clone();
        sizes[dim] = 1;
        let mut data = Vec::with_capacity(sizes.iter().product());
        for_each_index(&sizes, |index| {
            let mut at = index.to_vec();
            let total: f64 = (0..self.sizes[dim])
                .map(|i| {
                    at[dim] = i;
                    self.data[self.offset(&at)]
                })
                .sum();
            data.push(round(total));
        });
        Dense { sizes, data }
    }

    /// PyTorch's `sumproduct_pair(self, other, sum_dims, keepdim=True)`: a
    /// summed dim only one side has is summed on that side first; the
    /// product is then summed over the dims both have (one batched matrix
    /// product, rounded once) and broadcast over the rest.
    fn contract(&self, other: &Dense, sum: &[bool], round: impl Fn(f64) -> f64 + Copy) -> Dense {
        let (mut a, mut b) = (self.clone(), other.clone());
        for (d, _) in sum.iter().enumerate().filter(|(_, s)| **s) {
            if a.sizes[d] != 1 && b.sizes[d] == 1 {
                a = a.sum_dim(d, round);
            } else if b.sizes[d] != 1 && a.sizes[d] == 1 {
                b = b.sum_dim(d, round);
            }
        }
        let full: Vec<usize> = a
            .sizes
            .iter()
            .zip(&b.sizes)
            .map(|(&x, &y)| x.max(y))
            .collect();
        let sizes: Vec<usize> = full
            .iter()
            .zip(sum)
            .map(|(&n, &s)| if s { 1 } else { n })
            .collect();
        let mut out = Dense::zeros(&sizes);
        for_each_index(&full, |index| {
            let at = out.offset(index);
            out.data[at] += a.data[a.offset(index)] * b.data[b.offset(index)];
        });
        for v in &mut out.data {
            *v = round(*v);
        }
        out
    }
}

/// Calls `f` with every index of `sizes` in row-major order.
fn for_each_index(sizes: &[usize], mut f: impl FnMut(&[usize])) {
    if sizes.contains(&0) {
        return;
    }
    let mut index = vec![0usize; sizes.len()];
    loop {
        f(&index);
        let mut d = sizes.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            if index[d] < sizes[d] {
                break;
            }
            index[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;

    fn ints(v: &[i64]) -> IValue {
        IValue::IntList(v.to_vec())
    }

    /// `nn.Bilinear`'s `_trilinear(x1, weight, x2, [1, 3], [0], [1, 2], [2, 3], 1)`.
    fn bilinear(
        rt: &mut Runtime,
        x1: crate::tensor::Tensor,
        w: crate::tensor::Tensor,
        x2: crate::tensor::Tensor,
    ) -> crate::tensor::Tensor {
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
        out[0].as_tensor().expect("tensor").clone()
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
        let t = bilinear(&mut rt, x1, w, x2);
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

    #[test]
    fn bfloat16_bilinear_rounds_the_first_contraction() {
        // torch 2.15: x1 · W is rounded to bfloat16 before it meets x2, so
        // the bilinear form is -0.71484375 where the exact sum would round
        // to -0.7109375.
        let mut rt = Runtime::new();
        let bf16 = |_: &mut Runtime, shape: &[i64], v: &[f64]| {
            crate::tensor::Tensor::from_f64(
                "t",
                shape,
                &crate::tensor::strides::contiguous_strides(shape),
                crate::tensor::dtype::DType::BFloat16,
                v,
            )
            .expect("tensor")
        };
        let x1 = bf16(&mut rt, &[1, 2], &[0.8046875, 0.1748046875]);
        let w = bf16(
            &mut rt,
            &[1, 2, 2],
            &[0.0888671875, -0.61328125, 0.046142578125, -1.3671875],
        );
        let x2 = bf16(&mut rt, &[1, 2], &[0.337890625, 1.0078125]);
        let t = bilinear(&mut rt, x1, w, x2);
        assert_eq!(t.to_f64_vec().expect("values"), vec![-0.71484375]);
    }
}
