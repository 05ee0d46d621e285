//! The composites an embedding model's evaluation meets inside
//! `torch.inference_mode()`, where a dispatch mode sees them whole:
//! `einsum` and `tensordot` contractions, the metric-learning losses
//! (`margin_ranking_loss`, `cosine_embedding_loss`, `triplet_margin_loss`,
//! `hinge_embedding_loss`) and `poisson_nll_loss`, `argwhere` and
//! `nonzero(as_tuple=True)` (`nonzero_numpy`), `cov` / `corrcoef`,
//! `atleast_{1,2,3}d`, `linalg.norm` (vector orders, every matrix order),
//! `cartesian_prod`, `mH` / `adjoint`. Each runs the operators
//! ATen's CompositeImplicitAutograd kernel runs (torch 2.15, the order
//! observed by recording the parts under `no_grad`), Python numbers
//! entering as wrapped scalars, and refuses bad input with PyTorch's
//! message.

use super::{Bound, fail, one, reshape_one, wrap};
use crate::dispatch::key::DispatchKey;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;

/// The decomposition of `op`, or `None` when this module has none.
pub(super) fn run(rt: &mut Runtime, a: &Bound<'_>) -> Option<Result<Vec<IValue>>> {
    let out = match a.op {
        "aten.einsum.default" => einsum(rt, a),
        "aten.tensordot.default" => tensordot(rt, a),
        "aten.margin_ranking_loss.default" => margin_ranking_loss(rt, a),
        "aten.cosine_embedding_loss.default" => cosine_embedding_loss(rt, a),
        "aten.hinge_embedding_loss.default" => hinge_embedding_loss(rt, a),
        "aten.triplet_margin_loss.default" => triplet_margin_loss(rt, a),
        "aten.poisson_nll_loss.default" => poisson_nll_loss(rt, a),
        "aten.argwhere.default" => a
            .tensor(0)
            .and_then(|x| rt.dispatch("aten.nonzero.default", vec![x.into()])),
        "aten.nonzero_numpy.default" => nonzero_numpy(rt, a),
        "aten.cov.default" => a.tensor(0).and_then(|x| {
            let fw = a.value(2)?.as_tensor().cloned();
            let aw = a.value(3)?.as_tensor().cloned();
            Ok(vec![cov(rt, a, x, a.int(1)?, fw, aw)?.into()])
        }),
        "aten.corrcoef.default" => corrcoef(rt, a),
        "aten.atleast_1d.default" => a.tensor(0).and_then(|x| atleast(rt, x, 1)),
        "aten.atleast_2d.default" => a.tensor(0).and_then(|x| atleast(rt, x, 2)),
        "aten.atleast_3d.default" => a.tensor(0).and_then(|x| atleast(rt, x, 3)),
        "aten.atleast_1d.Sequence" => atleast_all(rt, a, 1),
        "aten.atleast_2d.Sequence" => atleast_all(rt, a, 2),
        "aten.atleast_3d.Sequence" => atleast_all(rt, a, 3),
        "aten.linalg_norm.default" => linalg_norm(rt, a, false),
        "aten.linalg_norm.ord_str" => linalg_norm(rt, a, true),
        "aten.linalg_matrix_norm.default" | "aten.linalg_matrix_norm.str_ord" => {
            linalg_matrix_norm(rt, a)
        }
        "aten.cartesian_prod.default" => cartesian_prod(rt, a),
        "aten.mH.default" | "aten.mH.a" => adjoint(rt, a, "tensor.mH"),
        "aten.matrix_H.default" | "aten.matrix_H.a" => matrix_h(rt, a),
        "aten.adjoint.default" => adjoint(rt, a, "tensor.adjoint()"),
        _ => return None,
    };
    Some(out)
}

fn unary(rt: &mut Runtime, op: &str, x: &Tensor) -> Result<Tensor> {
    one(rt, op, vec![x.into()])
}

fn binary(rt: &mut Runtime, op: &str, x: &Tensor, y: impl Into<IValue>) -> Result<Tensor> {
    one(rt, op, vec![x.into(), y.into()])
}

fn permute(rt: &mut Runtime, x: &Tensor, perm: &[i64]) -> Result<Tensor> {
    one(
        rt,
        "aten.permute.default",
        vec![x.into(), perm.to_vec().into()],
    )
}

fn view(rt: &mut Runtime, x: &Tensor, shape: &[i64]) -> Result<Tensor> {
    one(
        rt,
        "aten.view.default",
        vec![x.into(), shape.to_vec().into()],
    )
}

fn unsqueeze(rt: &mut Runtime, x: &Tensor, dim: i64) -> Result<Tensor> {
    binary(rt, "aten.unsqueeze.default", x, IValue::Int(dim))
}

fn sum_keep(rt: &mut Runtime, x: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    one(
        rt,
        "aten.sum.dim_IntList",
        vec![x.into(), dims.to_vec().into(), keepdim.into()],
    )
}

/// `apply_loss_reduction`: 0 none, 1 mean, 2 sum.
fn reduce(rt: &mut Runtime, a: &Bound<'_>, x: Tensor, reduction: i64) -> Result<Vec<IValue>> {
    let out = match reduction {
        0 => x,
        1 => unary(rt, "aten.mean.default", &x)?,
        2 => unary(rt, "aten.sum.default", &x)?,
        r => return Err(fail(a, format!("{r} is not a valid value for reduction"))),
    };
    Ok(vec![out.into()])
}

/// The one value of a 0-d tensor.
fn scalar_value(rt: &mut Runtime, x: &Tensor) -> Result<f64> {
    let _ = rt;
    x.to_f64_vec()?
        .first()
        .copied()
        .ok_or_else(|| RuntimeError::unsupported("aten._local_scalar_dense.default", "no value"))
}

// -- einsum / tensordot -------------------------------------------------------

const LETTERS: usize = 26;
const LABELS: usize = 2 * LETTERS;
/// The label an ellipsis takes in an operand's label list.
const ELLIPSIS: usize = LABELS;

fn subscript(c: u8) -> usize {
    if c.is_ascii_uppercase() {
        (c - b'A') as usize
    } else {
        (c - b'a') as usize + LETTERS
    }
}

fn label_of(s: usize) -> char {
    if s < LETTERS {
        (b'A' + s as u8) as char
    } else {
        (b'a' + (s - LETTERS) as u8) as char
    }
}

/// `einsum(equation, tensors, path)`: ATen's parse, diagonals for
/// repeated labels, operands unsqueezed and permuted to the output labels
/// followed by the contraction labels, then contracted pairwise by
/// `sumproduct_pair` (`bmm` of permuted views), summed or viewed at the
/// end. Without a path the first two operands are contracted and the
/// product goes first; a contraction `path` (the pairs opt_einsum plans,
/// positions in the current operand list) names each pair, whose product
/// goes last.
fn einsum(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let IValue::Str(equation) = a.value(0)? else {
        return Err(a.refuse("an equation that is not a string"));
    };
    let IValue::TensorList(operands) = a.value(1)? else {
        return Err(a.refuse("operands that are not a tensor list"));
    };
    let path = match a.value(2)? {
        IValue::None => None,
        IValue::IntList(p) => Some(p.clone()),
        _ => return Err(a.refuse("a contraction path that is not an int list")),
    };
    if operands.is_empty() {
        return Err(fail(a, "einsum(): must provide at least one operand"));
    }
    let num_ops = operands.len();
    let bytes = equation.as_bytes();
    let arrow = equation.find("->");
    let lhs = &bytes[..arrow.unwrap_or(bytes.len())];

    let mut op_labels: Vec<Vec<usize>> = vec![Vec::new(); num_ops];
    let mut ell_in_input = false;
    let mut cur = 0usize;
    let mut i = 0usize;
    while i < lhs.len() {
        match lhs[i] {
            b' ' => {}
            b'.' => {
                if ell_in_input {
                    return Err(fail(
                        a,
                        format!(
                            "einsum(): found '.' for operand {cur} for which an ellipsis was already found"
                        ),
                    ));
                }
                if !(i + 2 < lhs.len() && lhs[i + 1] == b'.' && lhs[i + 2] == b'.') {
                    return Err(fail(
                        a,
                        format!(
                            "einsum(): found '.' for operand {cur} that is not part of any ellipsis"
                        ),
                    ));
                }
                i += 2;
                op_labels[cur].push(ELLIPSIS);
                ell_in_input = true;
            }
            b',' => {
                cur += 1;
                if cur >= num_ops {
                    return Err(fail(
                        a,
                        "einsum(): fewer operands were provided than specified in the equation",
                    ));
                }
                ell_in_input = false;
            }
            c if c.is_ascii_alphabetic() => op_labels[cur].push(subscript(c)),
            _ => {
                return Err(fail(
                    a,
                    format!(
                        "einsum(): invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]"
                    ),
                ));
            }
        }
        i += 1;
    }
    if cur != num_ops - 1 {
        return Err(fail(
            a,
            "einsum(): more operands were provided than specified in the equation",
        ));
    }

    let mut label_count = [0usize; LABELS];
    let mut ell_num_dim = 0usize;
    for (k, (op, labels)) in operands.iter().zip(&op_labels).enumerate() {
        let ndims = op.dim();
        let has_ell = labels.contains(&ELLIPSIS);
        let nlabels = labels.len() - usize::from(has_ell);
        for &l in labels.iter().filter(|&&l| l != ELLIPSIS) {
            label_count[l] += 1;
        }
        if has_ell && nlabels <= ndims {
            ell_num_dim = ell_num_dim.max(ndims - nlabels);
        }
        let ok = if has_ell {
            nlabels <= ndims
        } else {
            nlabels == ndims
        };
        if !ok {
            return Err(fail(
                a,
                format!(
                    "einsum(): the number of subscripts in the equation ({nlabels}) {} ({ndims}) for operand {k}{}",
                    if has_ell {
                        "is more than the number of dimensions"
                    } else {
                        "does not match the number of dimensions"
                    },
                    if has_ell {
                        ""
                    } else {
                        " and no ellipsis was given"
                    }
                ),
            ));
        }
    }

    let mut perm_of = [usize::MAX; LABELS];
    let mut perm_index = 0usize;
    let mut ell_index = 0usize;
    let mut ell_in_output = false;
    match arrow {
        None => {
            perm_index = ell_num_dim;
            ell_in_output = true;
            for l in 0..LABELS {
                if label_count[l] == 1 {
                    perm_of[l] = perm_index;
                    perm_index += 1;
                }
            }
        }
        Some(pos) => {
            let rhs = &bytes[pos + 2..];
            let mut i = 0usize;
            while i < rhs.len() {
                match rhs[i] {
                    b' ' => {}
                    b'.' => {
                        if ell_in_output {
                            return Err(fail(
                                a,
                                "einsum(): found '.' for output but an ellipsis (...) was already found",
                            ));
                        }
                        if !(i + 2 < rhs.len() && rhs[i + 1] == b'.' && rhs[i + 2] == b'.') {
                            return Err(fail(
                                a,
                                "einsum(): found '.' for output that is not part of any ellipsis (...)",
                            ));
                        }
                        i += 2;
                        ell_index = perm_index;
                        perm_index += ell_num_dim;
                        ell_in_output = true;
                    }
                    c if c.is_ascii_alphabetic() => {
                        let l = subscript(c);
                        if label_count[l] == 0 || perm_of[l] != usize::MAX {
                            return Err(fail(
                                a,
                                format!(
                                    "einsum(): output subscript {} {}",
                                    c as char,
                                    if perm_of[l] != usize::MAX {
                                        "appears more than once in the output"
                                    } else {
                                        "does not appear in the equation for any input operand"
                                    }
                                ),
                            ));
                        }
                        perm_of[l] = perm_index;
                        perm_index += 1;
                    }
                    _ => {
                        return Err(fail(
                            a,
                            format!(
                                "einsum(): invalid subscript given at index {} in the equation string, subscripts must be in [a-zA-Z]",
                                lhs.len() + 2 + i
                            ),
                        ));
                    }
                }
                i += 1;
            }
        }
    }
    let out_num_dim = perm_index;
    if !ell_in_output {
        ell_index = perm_index;
        perm_index += ell_num_dim;
    }
    for l in 0..LABELS {
        if label_count[l] > 0 && perm_of[l] == usize::MAX {
            perm_of[l] = perm_index;
            perm_index += 1;
        }
    }

    // Align every operand to `perm_index` dimensions.
    let mut label_size = [1i64; LABELS];
    let mut ell_sizes = vec![1i64; ell_num_dim];
    let mut dim_counts = vec![0usize; perm_index];
    let mut ops: std::collections::VecDeque<Tensor> = std::collections::VecDeque::new();
    for (k, (operand, labels)) in operands.iter().zip(&op_labels).enumerate() {
        let mut op = operand.clone();
        let mut permutation: Vec<i64> = vec![-1; perm_index];
        let mut dim = 0usize;
        for &s in labels {
            if s == ELLIPSIS {
                let ndim = operand.dim() - (labels.len() - 1);
                for j in ell_num_dim - ndim..ell_num_dim {
                    let size = op.shape()[dim];
                    if size != 1 {
                        if ell_sizes[j] != 1 && ell_sizes[j] != size {
                            return Err(fail(
                                a,
                                format!(
                                    "einsum(): dimension {dim} covered by ellipsis in operand {k}has size {size} which does not broadcast with previously seen ellipsis with size {} for the respective dimension",
                                    ell_sizes[j]
                                ),
                            ));
                        }
                        ell_sizes[j] = size;
                        dim_counts[ell_index + j] += 1;
                    }
                    permutation[ell_index + j] = dim as i64;
                    dim += 1;
                }
            } else if permutation[perm_of[s]] == -1 {
                let size = op.shape()[dim];
                if size != 1 {
                    if label_size[s] != 1 && label_size[s] != size {
                        return Err(fail(
                            a,
                            format!(
                                "einsum(): subscript {} has size {size} for operand {k} which does not broadcast with previously seen size {}",
                                label_of(s),
                                label_size[s]
                            ),
                        ));
                    }
                    label_size[s] = size;
                    dim_counts[perm_of[s]] += 1;
                }
                permutation[perm_of[s]] = dim as i64;
                dim += 1;
            } else {
                // A repeated label: its diagonal, moved to the first one's
                // place.
                let prev = permutation[perm_of[s]] as usize;
                let (n, m) = (op.shape()[dim], op.shape()[prev]);
                if n != m {
                    return Err(fail(
                        a,
                        format!(
                            "einsum(): subscript {} is repeated for operand {k} but the sizes don't match, {n} != {m}",
                            label_of(s)
                        ),
                    ));
                }
                op = one(
                    rt,
                    "aten.diagonal.default",
                    vec![
                        (&op).into(),
                        IValue::Int(0),
                        IValue::Int(prev as i64),
                        IValue::Int(dim as i64),
                    ],
                )?;
                let last = op.dim() - 1;
                if prev != last {
                    let mut order: Vec<i64> = (0..prev as i64).collect();
                    order.push(last as i64);
                    order.extend(prev as i64..last as i64);
                    op = permute(rt, &op, &order)?;
                }
            }
        }
        for val in permutation.iter_mut() {
            if *val == -1 {
                op = unsqueeze(rt, &op, dim as i64)?;
                *val = dim as i64;
                dim += 1;
            }
        }
        ops.push_back(permute(rt, &op, &permutation)?);
    }

    let mut steps = path.as_deref().unwrap_or(&[]).chunks(2);
    while ops.len() > 1 {
        let (i, j) = match (&path, steps.next()) {
            (None, _) => (0, 1),
            (Some(_), Some(&[p, q])) => {
                let (i, j) = (p.min(q), p.max(q));
                if i == j || i < 0 || j >= ops.len() as i64 {
                    return Err(fail(
                        a,
                        format!(
                            "einsum(): invalid contraction ({i}, {j}){}",
                            if i == j {
                                " cannot contract an operand with itself"
                            } else {
                                " operand index is out of bounds"
                            }
                        ),
                    ));
                }
                (i as usize, j as usize)
            }
            (Some(_), _) => return Err(a.refuse("a contraction path with too few pairs")),
        };
        let (Some(mut y), Some(mut x)) = (ops.remove(j), ops.remove(i)) else {
            break;
        };
        let mut sum_dims = Vec::new();
        let (mut x_sum, mut y_sum) = (Vec::new(), Vec::new());
        for (d, count) in dim_counts.iter_mut().enumerate().skip(out_num_dim) {
            let (sx, sy) = (x.shape()[d], y.shape()[d]);
            if sx != 1 && sy != 1 {
                *count -= 1;
                if *count == 1 {
                    sum_dims.push(d as i64);
                    *count = 0;
                }
            } else if *count == 1 {
                if sx != 1 {
                    x_sum.push(d as i64);
                    *count = 0;
                } else if sy != 1 {
                    y_sum.push(d as i64);
                    *count = 0;
                }
            }
        }
        if !x_sum.is_empty() {
            x = sum_keep(rt, &x, &x_sum, true)?;
        }
        if !y_sum.is_empty() {
            y = sum_keep(rt, &y, &y_sum, true)?;
        }
        let product = sumproduct_pair(rt, a, &x, &y, &sum_dims)?;
        if path.is_some() {
            ops.push_back(product);
        } else {
            ops.push_front(product);
        }
    }
    let Some(result) = ops.pop_front() else {
        return Err(a.refuse("no operand left"));
    };
    if perm_index > out_num_dim {
        if num_ops > 1 {
            let sizes = result.shape()[..out_num_dim].to_vec();
            return Ok(vec![view(rt, &result, &sizes)?.into()]);
        }
        let dims: Vec<i64> = (out_num_dim as i64..perm_index as i64).collect();
        return Ok(vec![sum_keep(rt, &result, &dims, false)?.into()]);
    }
    Ok(vec![result.into()])
}

/// `(left * right).sum(sum_dims, keepdim=True)` by `bmm` over permuted
/// views: batch dimensions (in both and the output), left-only, summed,
/// right-only.
fn sumproduct_pair(
    rt: &mut Runtime,
    a: &Bound<'_>,
    left: &Tensor,
    right: &Tensor,
    sum_dims: &[i64],
) -> Result<Tensor> {
    if sum_dims.is_empty() {
        return binary(rt, "aten.mul.Tensor", left, right);
    }
    let dim = left.dim();
    let (mut left, mut right) = (left.clone(), right.clone());
    let (mut lro, mut lo, mut ro) = (Vec::new(), Vec::new(), Vec::new());
    let (mut lro_size, mut lo_size, mut ro_size, mut sum_size) = (1i64, 1i64, 1i64, 1i64);
    for i in 0..dim {
        let (nl, nr) = (left.shape()[i], right.shape()[i]);
        let (sl, sr) = (nl != 1, nr != 1);
        if sum_dims.contains(&(i as i64)) {
            if sl && sr {
                if nl != nr {
                    return Err(fail(a, "non-broadcast dimensions must match"));
                }
                sum_size *= nl;
            } else if sl {
                left = sum_keep(rt, &left, &[i as i64], true)?;
            } else if sr {
                right = sum_keep(rt, &right, &[i as i64], true)?;
            }
        } else if sl && sr {
            if nl != nr {
                return Err(fail(a, "non-broadcast dimensions must match"));
            }
            lro.push(i as i64);
            lro_size *= nl;
        } else if sl {
            lo.push(i as i64);
            lo_size *= nl;
        } else {
            ro.push(i as i64);
            ro_size *= nr;
        }
    }
    let mut out_size = Vec::new();
    out_size.extend(lro.iter().map(|&d| left.shape()[d as usize]));
    out_size.extend(lo.iter().map(|&d| left.shape()[d as usize]));
    out_size.extend(sum_dims.iter().map(|_| 1));
    out_size.extend(ro.iter().map(|&d| right.shape()[d as usize]));
    let lperm: Vec<i64> = [&lro[..], &lo, sum_dims, &ro].concat();
    let rperm: Vec<i64> = [&lro[..], sum_dims, &ro, &lo].concat();
    let mut operm = vec![0i64; dim];
    for (i, &d) in lperm.iter().enumerate() {
        operm[d as usize] = i as i64;
    }
    let l = permute(rt, &left, &lperm)?;
    let l = reshape_one(rt, &l, &[lro_size, lo_size, sum_size])?;
    let r = permute(rt, &right, &rperm)?;
    let r = reshape_one(rt, &r, &[lro_size, sum_size, ro_size])?;
    let out = binary(rt, "aten.bmm.default", &l, &r)?;
    let out = view(rt, &out, &out_size)?;
    permute(rt, &out, &operm)
}

/// `tensordot(self, other, dims_self, dims_other)`: broadcast contracted
/// dimensions summed first, both permuted (free dimensions, contracted
/// ones) and reshaped to matrices, `mm` (`dot` when nothing stays free),
/// reshaped to the free sizes.
fn tensordot(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, y) = (a.tensor(0)?, a.tensor(1)?);
    let (d1, d2) = (a.ints(2)?, a.ints(3)?);
    if d1.len() != d2.len() {
        return Err(fail(a, "both dimension lists should have same length"));
    }
    if x.dtype() != y.dtype() {
        return Err(fail(a, "both inputs should have same dtype"));
    }
    let (mut t1, mut t2) = (x.clone(), y.clone());
    let mut csize = 1i64;
    let mut c1 = vec![false; x.dim()];
    let mut c2 = vec![false; y.dim()];
    for (&i1, &i2) in d1.iter().zip(&d2) {
        let (w1, w2) = (wrap(a, i1, x.dim())?, wrap(a, i2, y.dim())?);
        c1[w1] = true;
        c2[w2] = true;
        let (s1, s2) = (x.shape()[w1], y.shape()[w2]);
        if s2 == 1 {
            t1 = sum_keep(rt, &t1, &[i1], true)?;
        } else if s1 == 1 {
            t2 = sum_keep(rt, &t2, &[i2], true)?;
        } else {
            if s1 != s2 {
                return Err(fail(
                    a,
                    format!(
                        "contracted dimensions need to match, but first has size {s1} in dim {i1} and second has size {s2} in dim {i2}"
                    ),
                ));
            }
            csize *= s1;
        }
    }
    let (mut p1, mut p2, mut rsizes) = (Vec::new(), d2.clone(), Vec::new());
    let (mut size1, mut size2) = (1i64, 1i64);
    for (i, &contracted) in c1.iter().enumerate() {
        if !contracted {
            p1.push(i as i64);
            size1 *= t1.shape()[i];
            rsizes.push(t1.shape()[i]);
        }
    }
    let free1 = p1.len();
    p1.extend(&d1);
    for (i, &contracted) in c2.iter().enumerate() {
        if !contracted {
            p2.push(i as i64);
            size2 *= t2.shape()[i];
            rsizes.push(t2.shape()[i]);
        }
    }
    let free2 = p2.len() - d2.len();
    let t1 = permute(rt, &t1, &p1)?;
    let t2 = permute(rt, &t2, &p2)?;
    let out = if free1 == 0 && free2 == 0 {
        let t1 = reshape_one(rt, &t1, &[csize])?;
        let t2 = reshape_one(rt, &t2, &[csize])?;
        binary(rt, "aten.dot.default", &t1, &t2)?
    } else {
        let t1 = reshape_one(rt, &t1, &[size1, csize])?;
        let t2 = reshape_one(rt, &t2, &[csize, size2])?;
        binary(rt, "aten.mm.default", &t1, &t2)?
    };
    Ok(vec![reshape_one(rt, &out, &rsizes)?.into()])
}

// -- losses ---------------------------------------------------------------------

/// `margin_ranking_loss`: `(-target * (input1 - input2) + margin)
/// .clamp_min_(0)`, reduced.
fn margin_ranking_loss(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x1, x2, target) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let (margin, reduction) = (a.float(3)?, a.int(4)?);
    let diff = binary(rt, "aten.sub.Tensor", x1, x2)?;
    let neg = unary(rt, "aten.neg.default", target)?;
    let prod = binary(rt, "aten.mul.Tensor", &neg, &diff)?;
    let out = binary(rt, "aten.add.Tensor", &prod, IValue::Float(margin))?;
    if rt.faults.margin_ranking_drops_margin {
        let out = binary(rt, "aten.clamp_min.default", &prod, IValue::Int(0))?;
        return reduce(rt, a, out, reduction);
    }
    one(
        rt,
        "aten.clamp_min_.default",
        vec![(&out).into(), IValue::Int(0)],
    )?;
    reduce(rt, a, out, reduction)
}

/// `1 - x` as C++'s `Scalar - Tensor` writes it: `empty_like(x).fill_(1)
/// .sub_(x)`.
fn scalar_minus(rt: &mut Runtime, value: IValue, x: &Tensor) -> Result<Tensor> {
    let out = unary(rt, "aten.empty_like.default", x)?;
    one(rt, "aten.fill_.Scalar", vec![(&out).into(), value])?;
    one(rt, "aten.sub_.Tensor", vec![(&out).into(), x.into()])?;
    Ok(out)
}

/// `cosine_embedding_loss`: the cosine from sums of products (each squared
/// magnitude plus float's 1e-12), `1 - cos` where the target is 1 and
/// `(cos - margin).clamp_min_(0)` where it is -1.
fn cosine_embedding_loss(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x1, x2, target) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let (margin, reduction) = (a.float(3)?, a.int(4)?);
    let targ_dim = target.dim();
    if targ_dim > 1 {
        return Err(fail(
            a,
            "0D or 1D target tensor expected, multi-target not supported",
        ));
    }
    let want = targ_dim + 1;
    if x1.dim() != want {
        return Err(fail(
            a,
            format!(
                "{targ_dim}D target tensor expects {want}D input tensors, but found inputs with sizes {:?} and {:?}.",
                x1.shape(),
                x2.shape()
            )
            .replace(", ", ", "),
        ));
    }
    let d = targ_dim as i64;
    let eps = IValue::Float(f64::from(1e-12f32));
    let p = binary(rt, "aten.mul.Tensor", x1, x2)?;
    let prod_sum = sum_keep(rt, &p, &[d], false)?;
    let s1 = binary(rt, "aten.mul.Tensor", x1, x1)?;
    let s1 = sum_keep(rt, &s1, &[d], false)?;
    let mag1 = binary(rt, "aten.add.Tensor", &s1, eps.clone())?;
    let s2 = binary(rt, "aten.mul.Tensor", x2, x2)?;
    let s2 = sum_keep(rt, &s2, &[d], false)?;
    let mag2 = binary(rt, "aten.add.Tensor", &s2, eps)?;
    let denom = binary(rt, "aten.mul.Tensor", &mag1, &mag2)?;
    one(rt, "aten.sqrt_.default", vec![(&denom).into()])?;
    let cos = binary(rt, "aten.div.Tensor", &prod_sum, &denom)?;
    let zeros = unary(rt, "aten.zeros_like.default", &cos)?;
    let pos = scalar_minus(rt, IValue::Int(1), &cos)?;
    let neg = binary(rt, "aten.sub.Tensor", &cos, IValue::Float(margin))?;
    one(
        rt,
        "aten.clamp_min_.default",
        vec![(&neg).into(), IValue::Int(0)],
    )?;
    let is_pos = binary(rt, "aten.eq.Scalar", target, IValue::Int(1))?;
    let out_pos = one(
        rt,
        "aten.where.self",
        vec![is_pos.into(), pos.into(), (&zeros).into()],
    )?;
    let is_neg = binary(rt, "aten.eq.Scalar", target, IValue::Int(-1))?;
    let out_neg = one(
        rt,
        "aten.where.self",
        vec![is_neg.into(), neg.into(), zeros.into()],
    )?;
    let out = binary(rt, "aten.add.Tensor", &out_pos, &out_neg)?;
    reduce(rt, a, out, reduction)
}

/// `hinge_embedding_loss`: `(margin - self).clamp_min_(0)` where the
/// target is not 1, plus `self` where it is not -1.
fn hinge_embedding_loss(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, target) = (a.tensor(0)?, a.tensor(1)?);
    let (margin, reduction) = (a.float(2)?, a.int(3)?);
    let zeros = unary(rt, "aten.zeros_like.default", x)?;
    let clamp = scalar_minus(rt, IValue::Float(margin), x)?;
    one(
        rt,
        "aten.clamp_min_.default",
        vec![(&clamp).into(), IValue::Int(0)],
    )?;
    let not_pos = binary(rt, "aten.ne.Scalar", target, IValue::Int(1))?;
    let out_margin = one(
        rt,
        "aten.where.self",
        vec![not_pos.into(), clamp.into(), (&zeros).into()],
    )?;
    let not_neg = binary(rt, "aten.ne.Scalar", target, IValue::Int(-1))?;
    let out_self = one(
        rt,
        "aten.where.self",
        vec![not_neg.into(), x.into(), zeros.into()],
    )?;
    let out = binary(rt, "aten.add.Tensor", &out_margin, &out_self)?;
    reduce(rt, a, out, reduction)
}

/// `triplet_margin_loss`: `pairwise_distance`s to the positive and the
/// negative (with `swap`, the smaller of anchor–negative and
/// positive–negative), `(margin + d_pos - d_neg).clamp_min(0)`, reduced.
fn triplet_margin_loss(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (anchor, positive, negative) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let (margin, p, eps) = (a.float(3)?, a.float(4)?, a.float(5)?);
    let (swap, reduction) = (a.flag(6)?, a.int(7)?);
    let (ad, pd, nd) = (anchor.dim(), positive.dim(), negative.dim());
    if ad != pd || pd != nd {
        return Err(fail(
            a,
            format!("All inputs should have same dimension but got {ad}D, {pd}D and {nd}D inputs."),
        ));
    }
    let distance = |rt: &mut Runtime, x: &Tensor, y: &Tensor| {
        one(
            rt,
            "aten.pairwise_distance.default",
            vec![
                x.into(),
                y.into(),
                IValue::Float(p),
                IValue::Float(eps),
                false.into(),
            ],
        )
    };
    let d_pos = distance(rt, anchor, positive)?;
    let mut d_neg = distance(rt, anchor, negative)?;
    if swap {
        let d_swap = distance(rt, positive, negative)?;
        d_neg = binary(rt, "aten.minimum.default", &d_neg, &d_swap)?;
    }
    let s = binary(rt, "aten.add.Tensor", &d_pos, IValue::Float(margin))?;
    let s = binary(rt, "aten.sub.Tensor", &s, &d_neg)?;
    let out = binary(rt, "aten.clamp_min.default", &s, IValue::Int(0))?;
    reduce(rt, a, out, reduction)
}

/// `poisson_nll_loss`: `exp(input) - target * input` for log inputs, else
/// `input - target * log(input + eps)`; with `full`, Stirling's term
/// `target * log(target) - target + 0.5 * log(2π target)` where the
/// target exceeds 1.
fn poisson_nll_loss(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let (x, target) = (a.tensor(0)?, a.tensor(1)?);
    let (log_input, full) = (a.flag(2)?, a.flag(3)?);
    let (eps, reduction) = (a.float(4)?, a.int(5)?);
    let loss = if log_input {
        let tx = binary(rt, "aten.mul.Tensor", target, x)?;
        let e = unary(rt, "aten.exp.default", x)?;
        binary(rt, "aten.sub.Tensor", &e, &tx)?
    } else {
        let shifted = binary(rt, "aten.add.Tensor", x, IValue::Float(eps))?;
        let l = unary(rt, "aten.log.default", &shifted)?;
        let tl = binary(rt, "aten.mul.Tensor", target, &l)?;
        binary(rt, "aten.sub.Tensor", x, &tl)?
    };
    if full {
        let two_pi_t = binary(
            rt,
            "aten.mul.Tensor",
            target,
            IValue::Float(2.0 * std::f64::consts::PI),
        )?;
        let l = unary(rt, "aten.log.default", &two_pi_t)?;
        let half = binary(rt, "aten.mul.Tensor", &l, IValue::Float(0.5))?;
        let lt = unary(rt, "aten.log.default", target)?;
        let tlt = binary(rt, "aten.mul.Tensor", target, &lt)?;
        let s = binary(rt, "aten.sub.Tensor", &tlt, target)?;
        let stirling = binary(rt, "aten.add.Tensor", &s, &half)?;
        let small = binary(rt, "aten.le.Scalar", target, IValue::Int(1))?;
        let masked = one(
            rt,
            "aten.masked_fill.Scalar",
            vec![stirling.into(), small.into(), IValue::Int(0)],
        )?;
        one(rt, "aten.add_.Tensor", vec![(&loss).into(), masked.into()])?;
    }
    reduce(rt, a, loss, reduction)
}

// -- indices, statistics, shapes ---------------------------------------------------

/// `nonzero(as_tuple=True)`: `nonzero` (of a 0-d tensor unsqueezed) unbound
/// along its columns.
fn nonzero_numpy(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let x = if x.dim() == 0 {
        unsqueeze(rt, x, 0)?
    } else {
        x.clone()
    };
    let idx = unary(rt, "aten.nonzero.default", &x)?;
    rt.dispatch("aten.unbind.int", vec![idx.into(), IValue::Int(1)])
}

/// `cov(self, correction, fweights, aweights)` over a 2-d (variables,
/// observations) view: the weighted mean subtracted, `mm` with the
/// (weighted) transpose, divided by the normalisation factor, squeezed.
fn cov(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    correction: i64,
    fweights: Option<Tensor>,
    aweights: Option<Tensor>,
) -> Result<Tensor> {
    if x.dim() > 2 {
        return Err(fail(
            a,
            format!(
                "cov(): expected input to have two or fewer dimensions but got an input with {} dimensions",
                x.dim()
            ),
        ));
    }
    if x.dtype() == DType::Bool {
        return Err(fail(a, "cov(): bool dtype is not supported for input"));
    }
    if x.dtype().is_complex() {
        return Err(a.refuse("a complex input"));
    }
    let input = if x.dim() < 2 {
        view(rt, x, &[1, -1])?
    } else {
        x.clone()
    };
    let n = input.shape()[1];
    let mut w: Option<Tensor> = None;
    if let Some(fw) = &fweights {
        if fw.dim() > 1 {
            return Err(fail(
                a,
                format!(
                    "cov(): expected fweights to have one or fewer dimensions but got fweights with {} dimensions",
                    fw.dim()
                ),
            ));
        }
        if fw.dtype().is_floating() || fw.dtype().is_complex() || fw.dtype() == DType::Bool {
            return Err(fail(
                a,
                format!(
                    "cov(): expected fweights to have integral dtype but got fweights with {} dtype",
                    fw.dtype().scalar_type_name()
                ),
            ));
        }
        if fw.numel() as i64 != n {
            return Err(fail(
                a,
                format!(
                    "cov(): expected fweights to have the same numel as there are observations in the input but got {} != {n}",
                    fw.numel()
                ),
            ));
        }
        if n != 0 {
            let m = unary(rt, "aten.min.default", fw)?;
            if scalar_value(rt, &m)? < 0.0 {
                return Err(fail(a, "cov(): fweights cannot be negative"));
            }
        }
        w = Some(fw.clone());
    }
    if let Some(aw) = &aweights {
        if aw.dim() > 1 {
            return Err(fail(
                a,
                format!(
                    "cov(): expected aweights to have one or fewer dimensions but got aweights with {} dimensions",
                    aw.dim()
                ),
            ));
        }
        if !aw.dtype().is_floating() {
            return Err(fail(
                a,
                format!(
                    "cov(): expected aweights to have floating point dtype but got aweights with {} dtype",
                    aw.dtype().scalar_type_name()
                ),
            ));
        }
        if aw.numel() as i64 != n {
            return Err(fail(
                a,
                format!(
                    "cov(): expected aweights to have the same numel as there are observations in the input but got {} != {n}",
                    aw.numel()
                ),
            ));
        }
        if n != 0 {
            let m = unary(rt, "aten.min.default", aw)?;
            let least = scalar_value(rt, &m)?;
            if least.is_nan() || least < 0.0 {
                return Err(fail(a, "cov(): aweights cannot be negative"));
            }
        }
        w = Some(match w {
            Some(fw) => binary(rt, "aten.mul.Tensor", &fw, aw)?,
            None => aw.clone(),
        });
    }
    let long = |rt: &mut Runtime, v: i64| {
        one(
            rt,
            "aten.scalar_tensor.default",
            vec![IValue::Int(v), IValue::Dtype(DType::Int64)],
        )
    };
    let w_sum = match &w {
        Some(w) => {
            let s = unary(rt, "aten.sum.default", w)?;
            if scalar_value(rt, &s)? == 0.0 {
                return Err(fail(a, "cov(): weights sum to zero, can't be normalized"));
            }
            s
        }
        None => long(rt, n)?,
    };
    let weighted = match &w {
        Some(w) => binary(rt, "aten.mul.Tensor", &input, w)?,
        None => input.clone(),
    };
    let total = sum_keep(rt, &weighted, &[1], false)?;
    let avg = binary(rt, "aten.div.Tensor", &total, &w_sum)?;
    let mut norm_factor = match (&w, &aweights) {
        (None, _) => long(rt, n - correction)?,
        (Some(_), _) if correction == 0 => w_sum.clone(),
        (Some(_), None) => binary(rt, "aten.sub.Tensor", &w_sum, IValue::Int(correction))?,
        (Some(w), Some(aw)) => {
            if fweights.is_none() && n == 1 && correction == 1 {
                long(rt, 0)?
            } else {
                let waw = binary(rt, "aten.mul.Tensor", w, aw)?;
                let s = unary(rt, "aten.sum.default", &waw)?;
                let s = binary(rt, "aten.mul.Tensor", &s, IValue::Int(correction))?;
                let s = binary(rt, "aten.div.Tensor", &s, &w_sum)?;
                binary(rt, "aten.sub.Tensor", &w_sum, &s)?
            }
        }
    };
    if scalar_value(rt, &norm_factor)? <= 0.0 {
        // PyTorch warns ("degrees of freedom is <= 0") and divides by zero.
        norm_factor = unary(rt, "aten.zeros_like.default", &norm_factor)?;
    }
    let centred = if n == 1 && fweights.is_some() != aweights.is_some() {
        // One observation and one kind of weights: the weighted mean is the
        // observation, so ATen zeroes the input in place (the caller's
        // tensor, which a 1-d input's view shares) instead of subtracting,
        // then converts an integral one to float32 as the subtraction would.
        // The write runs below ADInplaceOrView, as the composite's parts do
        // under a dispatch mode: the caller's version counter stays put
        // (observed in torch 2.15).
        let mut tls = rt.tls;
        tls.excluded = tls.excluded.with(DispatchKey::ADInplaceOrView);
        let zeroed = rt
            .dispatch_with_tls("aten.zero_.default", vec![(&input).into()], tls)?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| a.refuse("zero_ without a tensor result"))?;
        if zeroed.dtype().is_floating() {
            zeroed
        } else {
            binary(
                rt,
                "aten._to_copy.default",
                &zeroed,
                IValue::Dtype(DType::Float32),
            )?
        }
    } else {
        let mean = unsqueeze(rt, &avg, 1)?;
        binary(rt, "aten.sub.Tensor", &input, &mean)?
    };
    let right = match &w {
        Some(w) => binary(rt, "aten.mul.Tensor", &centred, w)?,
        None => centred.clone(),
    };
    let right = unary(rt, "aten.t.default", &right)?;
    let c = binary(rt, "aten.mm.default", &centred, &right)?;
    let c = binary(rt, "aten.div.Tensor", &c, &norm_factor)?;
    unary(rt, "aten.squeeze.default", &c)
}

/// `corrcoef`: `cov`, divided by the standard deviations along rows then
/// columns and clipped to [-1, 1]; a scalar covariance `c / c`.
fn corrcoef(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dim() > 2 {
        return Err(fail(
            a,
            format!(
                "corrcoef(): expected input to have two or fewer dimensions but got an input with {} dimensions",
                x.dim()
            ),
        ));
    }
    let c = cov(rt, a, x, 1, None, None)?;
    if c.dim() == 0 {
        return Ok(vec![binary(rt, "aten.div.Tensor", &c, &c)?.into()]);
    }
    let d = unary(rt, "aten.diagonal.default", &c)?;
    let stddev = unary(rt, "aten.sqrt.default", &d)?;
    let col = view(rt, &stddev, &[-1, 1])?;
    let c = binary(rt, "aten.div.Tensor", &c, &col)?;
    let row = view(rt, &stddev, &[1, -1])?;
    let c = binary(rt, "aten.div.Tensor", &c, &row)?;
    Ok(vec![
        one(
            rt,
            "aten.clamp.default",
            vec![c.into(), IValue::Int(-1), IValue::Int(1)],
        )?
        .into(),
    ])
}

fn atleast_one(rt: &mut Runtime, x: &Tensor, n: usize) -> Result<Tensor> {
    match (x.dim(), n) {
        (0, _) => view(rt, x, &vec![1; n]),
        (1, 2) => unsqueeze(rt, x, 0),
        (1, 3) => {
            let y = unsqueeze(rt, x, 0)?;
            unsqueeze(rt, &y, -1)
        }
        (2, 3) => unsqueeze(rt, x, -1),
        _ => Ok(x.clone()),
    }
}

/// `atleast_{n}d`: a 0-d tensor viewed as ones, a 1-d one unsqueezed in
/// front (and, for 3-d, behind), a matrix unsqueezed behind for 3-d; the
/// input itself when it has the dimensions already.
fn atleast(rt: &mut Runtime, x: &Tensor, n: usize) -> Result<Vec<IValue>> {
    Ok(vec![atleast_one(rt, x, n)?.into()])
}

fn atleast_all(rt: &mut Runtime, a: &Bound<'_>, n: usize) -> Result<Vec<IValue>> {
    let IValue::TensorList(ts) = a.value(0)? else {
        return Err(a.refuse("argument 0 that is not a tensor list"));
    };
    let out = ts
        .iter()
        .map(|t| atleast_one(rt, t, n))
        .collect::<Result<Vec<_>>>()?;
    Ok(vec![IValue::TensorList(out)])
}

/// `linalg.norm`: a matrix norm when an order is given over two
/// dimensions (or a matrix without `dim`), else `linalg_vector_norm` of
/// order 2 by default. Matrix orders 1, -1, inf, -inf are a vector 1-norm
/// along one dimension then `amax`/`amin` along the other; `"fro"` the
/// vector 2-norm over both; 2, -2 and `"nuc"` reduce the singular values.
fn linalg_norm(rt: &mut Runtime, a: &Bound<'_>, ord_str: bool) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let ord = a.value(1)?.clone();
    let dim = match a.value(2)? {
        IValue::None => None,
        _ => Some(a.ints(2)?),
    };
    let keepdim = a.flag(3)?;
    let dtype = a.value(4)?.clone();
    if let Some(d) = &dim {
        if d.len() != 1 && d.len() != 2 {
            return Err(fail(
                a,
                format!("linalg.norm: If dim is specified, it must be of length 1 or 2. Got {d:?}"),
            ));
        }
    } else if !matches!(ord, IValue::None) && x.dim() != 1 && x.dim() != 2 {
        return Err(fail(
            a,
            format!(
                "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {}D.",
                x.dim()
            ),
        ));
    }
    let matrix = !matches!(ord, IValue::None)
        && (dim.as_ref().is_some_and(|d| d.len() == 2) || (dim.is_none() && x.dim() == 2));
    let vector_norm = |rt: &mut Runtime, x: &Tensor, ord: IValue, dim: IValue, keepdim: bool| {
        one(
            rt,
            "aten.linalg_vector_norm.default",
            vec![x.into(), ord, dim, keepdim.into(), dtype.clone()],
        )
    };
    if ord_str || matrix {
        let dims = dim.unwrap_or_else(|| vec![0, 1]);
        return matrix_norm(rt, a, x, &ord, &dims, keepdim, &dtype);
    }
    let ord = match ord {
        IValue::None => IValue::Float(2.0),
        o => o,
    };
    let dim = match dim {
        Some(d) => IValue::IntList(d),
        None => IValue::None,
    };
    Ok(vec![vector_norm(rt, x, ord, dim, keepdim)?.into()])
}

/// `linalg.matrix_norm(A, ord, dim, keepdim, dtype)` (also what
/// `linalg.norm` runs for a matrix order): orders 1, -1, inf, -inf are a
/// vector 1-norm along one dimension then `amax`/`amin` along the other;
/// `"fro"` the vector 2-norm over both; 2, -2 and `"nuc"` reduce the
/// singular values.
fn matrix_norm(
    rt: &mut Runtime,
    a: &Bound<'_>,
    x: &Tensor,
    ord: &IValue,
    dims: &[i64],
    keepdim: bool,
    dtype: &IValue,
) -> Result<Vec<IValue>> {
    let vector_norm = |rt: &mut Runtime, x: &Tensor, ord: IValue, dim: IValue, keepdim: bool| {
        one(
            rt,
            "aten.linalg_vector_norm.default",
            vec![x.into(), ord, dim, keepdim.into(), dtype.clone()],
        )
    };
    if x.dim() < 2 {
        return Err(fail(
            a,
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.",
        ));
    }
    let mut d: Vec<i64> = dims
        .iter()
        .map(|&v| wrap(a, v, x.dim()).map(|u| u as i64))
        .collect::<Result<_>>()?;
    if d[0] == d[1] {
        return Err(fail(
            a,
            format!(
                "linalg.matrix_norm: dims must be different. Got ({}, {})",
                dims[0], dims[1]
            ),
        ));
    }
    let order = match ord {
        IValue::Str(s) if s == "fro" => {
            return Ok(vec![
                vector_norm(rt, x, IValue::Int(2), d.into(), keepdim)?.into(),
            ]);
        }
        IValue::Str(s) if s == "nuc" => {
            return Ok(vec![
                singular_norm(rt, x, &d, keepdim, nuclear_reduction(rt))?.into(),
            ]);
        }
        IValue::Str(s) => {
            return Err(fail(
                a,
                format!("linalg.matrix_norm: Order {s} not supported."),
            ));
        }
        IValue::Int(v) => *v as f64,
        IValue::Float(v) => *v,
        _ => return Err(a.refuse("an order that is not a number")),
    };
    let abs = order.abs();
    if abs == 2.0 {
        let op = if order > 0.0 {
            "aten.amax.default"
        } else {
            "aten.amin.default"
        };
        return Ok(vec![singular_norm(rt, x, &d, keepdim, op)?.into()]);
    }
    if abs != 1.0 && abs != f64::INFINITY {
        return Err(fail(
            a,
            format!(
                "linalg.matrix_norm: Order {} not supported.",
                fmt_order(order)
            ),
        ));
    }
    if abs == f64::INFINITY {
        d.swap(0, 1);
    }
    if !keepdim && d[0] < d[1] {
        d[1] -= 1;
    }
    let v = vector_norm(rt, x, IValue::Float(1.0), vec![d[0]].into(), keepdim)?;
    let op = if order > 0.0 {
        "aten.amax.default"
    } else {
        "aten.amin.default"
    };
    Ok(vec![
        one(rt, op, vec![v.into(), vec![d[1]].into(), keepdim.into()])?.into(),
    ])
}

/// `linalg_matrix_norm` (a numeric or a string order).
fn linalg_matrix_norm(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    let ord = match a.args.get(1) {
        None => IValue::Str("fro".to_owned()),
        Some(o) => o.clone(),
    };
    let dims = match a.args.get(2) {
        None => vec![-2, -1],
        Some(_) => a.ints(2)?,
    };
    if dims.len() != 2 {
        return Err(fail(
            a,
            format!(
                "linalg.matrix_norm: dim must be a 2-tuple. Got {}",
                dims.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ));
    }
    let keepdim = match a.args.get(3) {
        None => false,
        Some(_) => a.flag(3)?,
    };
    let dtype = a.args.get(4).cloned().unwrap_or(IValue::None);
    matrix_norm(rt, a, x, &ord, &dims, keepdim, &dtype)
}

/// The reduction of the singular values that gives the nuclear norm.
fn nuclear_reduction(rt: &Runtime) -> &'static str {
    if rt.faults.matrix_norm_nuc_as_spectral {
        "aten.amax.default"
    } else {
        "aten.sum.dim_IntList"
    }
}

/// A matrix norm of the singular values (`"nuc"`: their sum; 2 / -2:
/// the largest / smallest): the two dimensions moved last, `_linalg_svd`
/// without vectors, reduced along the last dimension, and with `keepdim`
/// unsqueezed and moved back.
fn singular_norm(
    rt: &mut Runtime,
    x: &Tensor,
    dims: &[i64],
    keepdim: bool,
    reduction: &str,
) -> Result<Tensor> {
    let mut perm: Vec<i64> = (0..x.dim() as i64).filter(|d| !dims.contains(d)).collect();
    perm.extend(dims);
    let moved = permute(rt, x, &perm)?;
    let svd = rt.dispatch(
        "aten._linalg_svd.default",
        vec![moved.into(), false.into(), false.into(), IValue::None],
    )?;
    let Some(s) = svd.into_iter().nth(1).and_then(IValue::into_tensor) else {
        return Err(RuntimeError::unsupported(
            "aten._linalg_svd.default",
            "a call without singular values",
        ));
    };
    let r = one(
        rt,
        reduction,
        vec![s.into(), vec![-1i64].into(), keepdim.into()],
    )?;
    if !keepdim {
        return Ok(r);
    }
    let r = unsqueeze(rt, &r, -1)?;
    let mut back = vec![0i64; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        back[p as usize] = i as i64;
    }
    permute(rt, &r, &back)
}

/// An order as PyTorch prints a double: integral values without a
/// fraction.
fn fmt_order(v: f64) -> String {
    if v.fract() == 0.0 && v.is_finite() {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// `cartesian_prod`: one tensor is returned itself; more are
/// `meshgrid(indexing="ij")`, each flattened, stacked along dimension 1.
fn cartesian_prod(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let IValue::TensorList(ts) = a.value(0)? else {
        return Err(a.refuse("argument 0 that is not a tensor list"));
    };
    for t in ts {
        if t.dim() != 1 {
            return Err(fail(
                a,
                format!("Expect a 1D vector, but got shape {:?}", t.shape()),
            ));
        }
    }
    if ts.len() == 1 {
        return Ok(vec![ts[0].clone().into()]);
    }
    if ts.is_empty() {
        return Err(a.refuse("no tensors"));
    }
    let sizes: Vec<i64> = ts.iter().map(|t| t.shape()[0]).collect();
    let total: i64 = sizes.iter().product();
    let mut flat = Vec::with_capacity(ts.len());
    for (i, t) in ts.iter().enumerate() {
        let mut shape = vec![1i64; ts.len()];
        shape[i] = -1;
        let v = view(rt, t, &shape)?;
        let e = one(
            rt,
            "aten.expand.default",
            vec![v.into(), sizes.clone().into()],
        )?;
        flat.push(reshape_one(rt, &e, &[total])?);
    }
    Ok(vec![
        one(
            rt,
            "aten.stack.default",
            vec![IValue::TensorList(flat), IValue::Int(1)],
        )?
        .into(),
    ])
}

/// `mH` / `adjoint()`: `transpose(-2, -1)`, conjugated (the conjugate bit)
/// when complex.
fn adjoint(rt: &mut Runtime, a: &Bound<'_>, name: &str) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    if x.dim() < 2 {
        return Err(fail(
            a,
            format!(
                "{name} is only supported on matrices or batches of matrices. Got {}-D tensor.",
                x.dim()
            ),
        ));
    }
    let t = one(
        rt,
        "aten.transpose.int",
        vec![x.into(), IValue::Int(-2), IValue::Int(-1)],
    )?;
    if t.dtype().is_complex() {
        return rt.dispatch("aten._conj.default", vec![t.into()]);
    }
    Ok(vec![t.into()])
}

/// `.H` (`matrix_H`): a matrix's `mH`; a 0-d tensor's `conj()` (the
/// tensor itself unless complex); any other rank refused as PyTorch does.
fn matrix_h(rt: &mut Runtime, a: &Bound<'_>) -> Result<Vec<IValue>> {
    let x = a.tensor(0)?;
    match x.dim() {
        2 => adjoint(rt, a, "tensor.H"),
        0 if x.dtype().is_complex() => rt.dispatch("aten._conj.default", vec![x.into()]),
        0 => Ok(vec![x.into()]),
        n => Err(fail(
            a,
            format!(
                "tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor. For batches of matrices, consider using tensor.mH"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    //! The composites run whole, as under `inference_mode` with a dispatch
    //! mode active. Expected values observed in torch 2.15 (float32 values
    //! written as the doubles they widen to).

    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;
    use crate::tensor::dtype::DType;
    use crate::tensor::strides::contiguous_strides;

    fn tensor(shape: &[i64], dtype: DType, values: &[f64]) -> Tensor {
        Tensor::from_f64("test", shape, &contiguous_strides(shape), dtype, values).expect("tensor")
    }

    fn x() -> Tensor {
        tensor(
            &[4, 3],
            DType::Float32,
            &[
                0.5, -1.25, 2.0, 1.5, 0.25, -0.75, -2.0, 1.0, 0.125, 0.3, -0.7, 1.1,
            ],
        )
    }

    fn y() -> Tensor {
        tensor(
            &[4, 3],
            DType::Float32,
            &[
                1.0, 0.5, -0.5, -1.5, 2.0, 0.75, 0.2, -0.4, 0.9, 1.3, 0.1, -2.2,
            ],
        )
    }

    fn target() -> Tensor {
        tensor(&[4], DType::Float32, &[1.0, -1.0, 1.0, -1.0])
    }

    fn call_all(op: &str, args: Vec<IValue>) -> crate::error::Result<Vec<IValue>> {
        let mut rt = Runtime::new();
        rt.set_dispatch_mode_active(true);
        rt.call(op, args)
    }

    fn call(op: &str, args: Vec<IValue>) -> Tensor {
        call_all(op, args)
            .expect("call")
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .expect("a tensor result")
    }

    fn values(t: &Tensor) -> Vec<f64> {
        t.to_f64_vec().expect("values")
    }

    fn error(op: &str, args: Vec<IValue>) -> String {
        call_all(op, args).expect_err("an error").to_string()
    }

    /// Within one float32 rounding of each element (matrix products whose
    /// accumulation order is the BLAS's).
    fn close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                "{got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn einsum_contracts_like_aten() {
        let (x, y) = (x(), y());
        let r = call(
            "aten.einsum.default",
            vec![
                IValue::Str("ij,kj->ik".into()),
                IValue::TensorList(vec![x.clone(), y.clone()]),
            ],
        );
        assert_eq!((r.shape(), r.stride()), (&[4, 4][..], &[4, 1][..]));
        close(
            &values(&r),
            &[
                -1.125,
                -1.75,
                2.4000000953674316,
                -3.875,
                2.0,
                -2.3125,
                -0.47499993443489075,
                3.625,
                -1.5625,
                5.09375,
                -0.6875,
                -2.7750000953674316,
                -0.6000000238418579,
                -1.024999976158142,
                1.3300000429153442,
                -2.1000001430511475,
            ],
        );
        // A repeated label is a diagonal view; a single operand's
        // contraction labels are summed.
        let r = call(
            "aten.einsum.default",
            vec![
                IValue::Str("ii->i".into()),
                IValue::TensorList(vec![tensor(
                    &[3, 3],
                    DType::Float32,
                    &[0.5, -1.25, 2.0, 1.5, 0.25, -0.75, -2.0, 1.0, 0.125],
                )]),
            ],
        );
        assert_eq!((r.shape(), r.stride()), (&[3][..], &[4][..]));
        assert_eq!(values(&r), vec![0.5, 0.25, 0.125]);
        let r = call(
            "aten.einsum.default",
            vec![
                IValue::Str("ij->".into()),
                IValue::TensorList(vec![x.clone()]),
            ],
        );
        assert_eq!(values(&r), vec![2.075000047683716]);
        let e = error(
            "aten.einsum.default",
            vec![
                IValue::Str("ij,jk->ik".into()),
                IValue::TensorList(vec![x, y]),
            ],
        );
        assert!(
            e.contains(
                "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"
            ),
            "{e}"
        );
    }

    #[test]
    fn tensordot_dot_and_outer() {
        let (x, y) = (x(), y());
        let r = call(
            "aten.tensordot.default",
            vec![
                (&x).into(),
                (&y).into(),
                vec![0i64, 1].into(),
                vec![0i64, 1].into(),
            ],
        );
        assert_eq!(r.shape(), &[] as &[i64]);
        close(&values(&r), &[-6.225000381469727]);
        let e = error(
            "aten.tensordot.default",
            vec![
                (&x).into(),
                (&y).into(),
                vec![0i64].into(),
                vec![1i64].into(),
            ],
        );
        assert!(
            e.contains(
                "contracted dimensions need to match, but first has size 4 in dim 0 and second has size 3 in dim 1"
            ),
            "{e}"
        );
    }

    #[test]
    fn embedding_losses_bit_for_bit() {
        let (x, y, t) = (x(), y(), target());
        let col = |m: &Tensor| {
            call(
                "aten.select.int",
                vec![m.into(), IValue::Int(1), IValue::Int(0)],
            )
        };
        let r = call(
            "aten.margin_ranking_loss.default",
            vec![
                col(&x).into(),
                col(&y).into(),
                (&t).into(),
                IValue::Float(0.3),
                IValue::Int(0),
            ],
        );
        assert_eq!(
            values(&r),
            vec![0.800000011920929, 3.299999952316284, 2.5, 0.0]
        );
        let r = call(
            "aten.cosine_embedding_loss.default",
            vec![
                (&x).into(),
                (&y).into(),
                (&t).into(),
                IValue::Float(0.2),
                IValue::Int(0),
            ],
        );
        assert_eq!(
            values(&r),
            vec![1.3810003995895386, 0.0, 1.3054566383361816, 0.0]
        );
        let t2 = tensor(
            &[4, 3],
            DType::Float32,
            &[
                1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0,
            ],
        );
        let r = call(
            "aten.hinge_embedding_loss.default",
            vec![(&x).into(), t2.into(), IValue::Float(1.5), IValue::Int(2)],
        );
        assert_eq!(values(&r), vec![7.675000190734863]);
        let flipped = call("aten.flip.default", vec![(&y).into(), vec![0i64].into()]);
        let r = call(
            "aten.triplet_margin_loss.default",
            vec![
                (&x).into(),
                (&y).into(),
                flipped.into(),
                IValue::Float(0.4),
                IValue::Float(1.0),
                IValue::Float(1e-6),
                true.into(),
                IValue::Int(0),
            ],
        );
        assert_eq!(
            values(&r),
            vec![
                2.749998092651367,
                3.0499982833862305,
                2.6500022411346436,
                3.0999999046325684
            ]
        );
        let ax = call("aten.abs.default", vec![(&x).into()]);
        let ay = call("aten.abs.default", vec![(&y).into()]);
        let ay3 = call("aten.mul.Tensor", vec![ay.into(), IValue::Int(3)]);
        let r = call(
            "aten.poisson_nll_loss.default",
            vec![
                ax.into(),
                ay3.into(),
                false.into(),
                true.into(),
                IValue::Float(1e-8),
                IValue::Int(0),
            ],
        );
        // `log` is the runtime's correctly rounded one; PyTorch's
        // vectorised `log` (SLEEF, 1-ulp bound) gives log(1.5) one ulp
        // higher, so elements 1 and 2 differ in their last bit.
        close(
            &values(&r),
            &[
                4.343523025512695,
                1.145153522491455,
                1.1901479959487915,
                3.6147327423095703,
                15.13314151763916,
                2.296281337738037,
                1.5841116905212402,
                1.0288853645324707,
                7.136835098266602,
                8.002729415893555,
                0.8070024847984314,
                8.18808650970459,
            ],
        );
    }

    #[test]
    fn cov_with_weights_and_corrcoef() {
        let x = x();
        let xt = call("aten.t.default", vec![(&x).into()]);
        let fw = tensor(&[4], DType::Int64, &[1.0, 2.0, 1.0, 3.0]);
        let aw = tensor(&[4], DType::Float32, &[0.5, 1.0, 2.0, 0.25]);
        let r = call(
            "aten.cov.default",
            vec![xt.clone().into(), IValue::Int(2), fw.into(), aw.into()],
        );
        assert_eq!(r.shape(), &[3, 3]);
        close(
            &values(&r),
            &[
                4.518127918243408,
                -1.2814466953277588,
                -0.6952340602874756,
                -1.2814468145370483,
                1.0461063385009766,
                -0.7507659792900085,
                -0.6952340602874756,
                -0.7507659792900085,
                1.4300638437271118,
            ],
        );
        let r = call("aten.corrcoef.default", vec![(&x).into()]);
        close(
            &values(&r),
            &[
                1.0,
                -0.4033309817314148,
                -0.3258439600467682,
                0.99980628490448,
                -0.4033309817314148,
                1.0,
                -0.7336907982826233,
                -0.3852459192276001,
                -0.3258439600467682,
                -0.7336908578872681,
                1.0,
                -0.3443854749202728,
                0.99980628490448,
                -0.3852459192276001,
                -0.3443854749202728,
                0.9999999403953552,
            ],
        );
        let long = tensor(&[3], DType::Int64, &[1.0, 2.0, 3.0]);
        let e = error(
            "aten.cov.default",
            vec![(&x).into(), IValue::Int(1), IValue::None, long.into()],
        );
        assert!(
            e.contains(
                "cov(): expected aweights to have floating point dtype but got aweights with Long dtype"
            ),
            "{e}"
        );
    }

    #[test]
    fn matrix_norms_and_shapes() {
        let x = x();
        let r = call(
            "aten.linalg_norm.default",
            vec![
                (&x).into(),
                IValue::Float(f64::INFINITY),
                IValue::None,
                false.into(),
            ],
        );
        assert_eq!(values(&r), vec![3.75]);
        let r = call(
            "aten.linalg_norm.default",
            vec![
                (&x).into(),
                IValue::Int(-1),
                vec![1i64, 0].into(),
                true.into(),
            ],
        );
        assert_eq!(r.shape(), &[1, 1]);
        assert_eq!(values(&r), vec![2.0999999046325684]);
        let r = call(
            "aten.linalg_norm.ord_str",
            vec![
                (&x).into(),
                IValue::Str("nuc".into()),
                IValue::None,
                false.into(),
            ],
        );
        close(&values(&r), &[5.930362224578857]);
        let r = call(
            "aten.linalg_norm.default",
            vec![
                (&x).into(),
                IValue::Int(-2),
                vec![1i64, 0].into(),
                true.into(),
            ],
        );
        assert_eq!((r.shape(), r.stride()), (&[1, 1][..], &[1, 1][..]));
        close(&values(&r), &[0.4163374602794647]);
        let e = error(
            "aten.linalg_norm.default",
            vec![
                (&x).into(),
                IValue::Int(3),
                vec![0i64, 1].into(),
                false.into(),
            ],
        );
        assert!(
            e.contains("linalg.matrix_norm: Order 3 not supported."),
            "{e}"
        );

        let positive = call("aten.gt.Scalar", vec![(&x).into(), IValue::Int(0)]);
        let out = call_all("aten.nonzero_numpy.default", vec![positive.into()]).expect("call");
        let Some(IValue::TensorList(parts)) = out.first() else {
            panic!("a tensor list")
        };
        assert_eq!(
            values(&parts[0]),
            vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
        );
        assert_eq!(
            values(&parts[1]),
            vec![0.0, 2.0, 0.0, 1.0, 1.0, 2.0, 0.0, 2.0]
        );

        let a = tensor(&[2], DType::Int64, &[1.0, 2.0]);
        let b = tensor(&[3], DType::Int64, &[3.0, 4.0, 5.0]);
        let r = call(
            "aten.cartesian_prod.default",
            vec![IValue::TensorList(vec![a, b])],
        );
        assert_eq!((r.shape(), r.stride()), (&[6, 2][..], &[2, 1][..]));
        assert_eq!(
            values(&r),
            vec![1.0, 3.0, 1.0, 4.0, 1.0, 5.0, 2.0, 3.0, 2.0, 4.0, 2.0, 5.0]
        );

        let row = call(
            "aten.select.int",
            vec![(&x).into(), IValue::Int(0), IValue::Int(0)],
        );
        let r = call("aten.atleast_3d.default", vec![(&row).into()]);
        assert_eq!((r.shape(), r.stride()), (&[1, 3, 1][..], &[3, 1, 1][..]));
        let e = error("aten.mH.default", vec![row.into()]);
        assert!(
            e.contains(
                "tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor."
            ),
            "{e}"
        );
    }
}
