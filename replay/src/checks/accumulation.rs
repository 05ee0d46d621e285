//! How far apart two correct summation orders may leave a matrix product.
//!
//! A matrix product's element is a sum of `K` products. PyTorch's CPU GEMM
//! (MKL or oneDNN, blocked and vectorised) and the runtime's add those
//! products in different orders, and every correct order rounds
//! differently. The classical bound (Higham, *Accuracy and Stability of
//! Numerical Algorithms*, §3.1) holds for any order: the computed sum lies
//! within `γ_K · Σ|aᵢ·bᵢ|` of the exact one, `γ_K = K·u / (1 − K·u)`, `u`
//! the unit roundoff of the accumulation. Two correct results therefore lie
//! within `2·γ_K · Σ|aᵢ·bᵢ|` of each other.
//!
//! `assert_close`'s tolerance scales with the result, not with the terms
//! summed: an element that cancels (large products, small sum) can differ
//! by far more than `rtol·|result|` between two correct kernels. At the
//! sizes of real models (a GPT's 256-wide projections, its tied output
//! layer) a few hundred of a quarter million logits do, even when the
//! product runs on PyTorch's own inputs. So the values check gives an
//! element of a matrix product that fails the dtype's tolerance this much
//! more room, computed from the operator's recorded inputs: the product of
//! the inputs' absolute values (`|β|·|C| + |α|·|A|·|B|` for `addmm`), times
//! `2·γ_{K+2}` (the scaling and the addition of `C` are two more roundings).
//!
//! Convolutions and their gradients are sums of products too; their
//! `Σ|products|` comes from [`super::conv_room`].
//!
//! Reductions get the same treatment: `sum` and `mean` the room of a sum of
//! `K` terms (`2·γ_K·Σ|x|`, divided by `K` for the mean), a 2-norm (also
//! each of `_foreach_norm`'s, as `clip_grad_norm_` computes them) that of a
//! sum of squares under a square root (`2·(γ_{K+1}/2 + u)·‖x‖₂`), a 1-norm
//! that of a sum. The worst-case bound grows with `K`, so it is loose for a
//! reduction over a whole large tensor; it is what another correct order
//! may do all the same.
//!
//! The bound is rigorous, so it never excuses more than a correct kernel
//! may differ; a wrong kernel (a missing or extra term, a transposed
//! operand, a wrong coefficient) errs by a whole term, which at these sizes
//! is orders of magnitude beyond `2·γ_K` of the sum. Half-precision and
//! bfloat16 products accumulate in float32 on PyTorch's CPU, so their `u`
//! is float32's (their final rounding is what their dtype tolerance covers).

use std::collections::HashMap;

use ft_trace::{OpCall, TensorRef, Value};

/// The rooms of sums excused so far, by PyTorch's tensor id and version,
/// for the views made of them: a view (`view`, `_unsafe_view`, `t`,
/// `transpose`, `select`, `expand`…) shares its base's storage, so each of
/// its elements has the room of the storage element it shows. A view that
/// shows the wrong elements still fails, since it is judged element by
/// element with the room of the element it should show.
#[derive(Default)]
pub struct ViewRooms {
    by_tensor: HashMap<(u64, u64), Room>,
    /// The tensor version whose room was kept last, by storage.
    by_storage: HashMap<u64, (u64, u64)>,
    bytes: usize,
}

/// An excused value's geometry and per-element room (row-major).
struct Room {
    stride: Vec<i64>,
    shape: Vec<i64>,
    offset: i64,
    room: Vec<f64>,
}

/// Bytes of rooms kept for views; beyond it, views of later sums are judged
/// by their dtype's tolerance alone.
const ROOM_BUDGET: usize = 256 << 20;

impl ViewRooms {
    /// Keeps the room of PyTorch's tensor version `t`.
    pub fn keep(&mut self, t: &TensorRef, room: Vec<f64>) {
        let bytes = room.len() * std::mem::size_of::<f64>();
        if self.bytes + bytes > ROOM_BUDGET {
            return;
        }
        self.bytes += bytes;
        self.by_storage.insert(t.storage, (t.id, t.version));
        self.by_tensor.insert(
            (t.id, t.version),
            Room {
                stride: t.stride.to_vec(),
                shape: t.shape.to_vec(),
                offset: t.offset,
                room,
            },
        );
    }

    /// The room of `out`, a view of one of `inputs` whose room is kept: per
    /// element of `out` (row-major), that of the storage element it shows.
    pub fn of_view(&self, out: &TensorRef, inputs: &[&TensorRef]) -> Option<Vec<f64>> {
        let base = inputs
            .iter()
            .filter(|t| t.storage == out.storage)
            .find_map(|t| self.by_tensor.get(&(t.id, t.version)))?;
        Self::shown(base, out)
    }

    /// The room of a gradient an AccumulateGrad node stores: the tensor it
    /// received (or an alias of it, the same storage), when that tensor's
    /// room is kept.
    pub fn of_stored(&self, grad: &TensorRef) -> Option<Vec<f64>> {
        let base = match self.by_tensor.get(&(grad.id, grad.version)) {
            Some(room) => room,
            None => self.by_tensor.get(self.by_storage.get(&grad.storage)?)?,
        };
        Self::shown(base, grad)
    }

    /// The rooms of the storage elements `out` shows, from `base`'s.
    fn shown(base: &Room, out: &TensorRef) -> Option<Vec<f64>> {
        let mut at_position = HashMap::with_capacity(base.room.len());
        for (i, position) in positions(&base.shape, &base.stride, base.offset)?.enumerate() {
            at_position.insert(position, *base.room.get(i)?);
        }
        positions(&out.shape, &out.stride, out.offset)?
            .map(|p| at_position.get(&p).copied())
            .collect()
    }
}

impl ViewRooms {
    /// The room of `out`, copied by `call` from kept rooms: a `clone` or
    /// same-shape `_to_copy` keeps its input's, `stack` and `cat` join their
    /// inputs' along `dim` (an input without a kept room contributes none).
    pub fn of_copy(&self, call: &OpCall, out: &TensorRef) -> Option<Vec<f64>> {
        let arg = |name: &str| {
            call.args
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, v)| v)
        };
        let kept = |t: &TensorRef| self.by_tensor.get(&(t.id, t.version));
        match call.op.as_str() {
            "aten.clone.default" | "aten._to_copy.default" => {
                let input = tensor(arg("self")?)?;
                let room = kept(input)?;
                (input.shape == out.shape).then(|| room.room.clone())
            }
            "aten.stack.default" | "aten.cat.default" => {
                let inputs = arg("tensors")?.tensors();
                let rooms: Vec<Option<&Room>> = inputs.iter().map(|t| kept(t)).collect();
                if rooms.iter().all(Option::is_none) {
                    return None;
                }
                let rank = out.shape.len() as i64;
                let dim = match arg("dim") {
                    Some(Value::Int(d)) => *d,
                    _ => 0,
                };
                let dim = usize::try_from(if dim < 0 { dim + rank } else { dim }).ok()?;
                // Each input is `outer` blocks of `inner` elements along `dim`.
                let outer: usize = out.shape.get(..dim)?.iter().map(|&d| d as usize).product();
                let mut blocks = Vec::with_capacity(inputs.len());
                for (t, room) in inputs.iter().zip(&rooms) {
                    let numel = usize::try_from(t.numel()).ok()?;
                    let inner = numel.checked_div(outer.max(1))?;
                    let values = match room {
                        Some(r) if r.room.len() == numel => r.room.clone(),
                        Some(_) => return None,
                        None => vec![0.0; numel],
                    };
                    blocks.push((inner, values));
                }
                // Stacked or concatenated, the output is block after block.
                let mut joined = Vec::with_capacity(blocks.iter().map(|(_, v)| v.len()).sum());
                for o in 0..outer.max(1) {
                    for (inner, values) in &blocks {
                        joined.extend_from_slice(values.get(o * inner..(o + 1) * inner)?);
                    }
                }
                let numel = usize::try_from(out.numel()).ok()?;
                (joined.len() == numel).then_some(joined)
            }
            _ => None,
        }
    }
}

/// The storage positions of a tensor's elements in row-major order.
fn positions<'a>(
    shape: &'a [i64],
    stride: &'a [i64],
    offset: i64,
) -> Option<impl Iterator<Item = i64> + 'a> {
    if shape.len() != stride.len() || shape.iter().any(|&d| d < 0) {
        return None;
    }
    let count: i64 = shape.iter().product();
    let mut index = vec![0i64; shape.len()];
    let mut first = true;
    Some((0..count).map(move |_| {
        if !first {
            for d in (0..shape.len()).rev() {
                index[d] += 1;
                if index[d] < shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        first = false;
        offset + index.iter().zip(stride).map(|(i, s)| i * s).sum::<i64>()
    }))
}

/// The operators whose outputs get a summation-order bound: matrix
/// products and reductions that sum.
pub fn sums_terms(op: &str) -> bool {
    matches!(
        op,
        "aten.mm.default"
            | "aten.bmm.default"
            | "aten.addmm.default"
            | "aten.baddbmm.default"
            | "aten.mv.default"
            | "aten.addmv.default"
            | "aten.dot.default"
            | "aten.sum.default"
            | "aten.sum.dim_IntList"
            | "aten.mean.default"
            | "aten.mean.dim"
            | "aten.linalg_vector_norm.default"
            | "aten._foreach_norm.Scalar"
            | "aten.convolution.default"
            | "aten.convolution_backward.default"
            | "aten._euclidean_dist.default"
    )
}

/// Whether `op`'s outputs get a summation-order bound: [`sums_terms`], a
/// discrete Fourier transform ([`super::spectral_room`]), batch norm and
/// SiLU's gradient ([`super::norm_room`]) or a pseudo-inverse
/// ([`super::decomp_room`]).
pub fn reorders(op: &str) -> bool {
    sums_terms(op)
        || super::spectral_room::is_transform(op)
        || super::norm_room::is_normalisation(op)
        || super::decomp_room::is_pseudo_inverse(op)
}

/// Unit roundoff of the arithmetic a product of `dtype` accumulates in.
fn unit_roundoff(dtype: &str) -> Option<f64> {
    match dtype {
        "float64" | "complex128" => Some(f64::EPSILON / 2.0),
        "float32" | "float16" | "bfloat16" | "complex64" => Some(f64::from(f32::EPSILON) / 2.0),
        _ => None,
    }
}

/// A tensor argument's elements in row-major order of its shape.
struct Operand {
    shape: Vec<usize>,
    values: Vec<f64>,
}

impl Operand {
    fn dim(&self, i: usize) -> usize {
        self.shape.get(i).copied().unwrap_or(1)
    }
}

/// The per-element room output `k` (of the outputs' tensors, flattened)
/// of a matrix product or summing reduction gets for another summation
/// order, in row-major order of the output; `None` when `call` is neither,
/// a dtype has no floating accumulation, or an input's value is not known
/// (`value` gives a tensor's elements, row-major).
pub fn slack(
    call: &OpCall,
    k: usize,
    value: impl Fn(&TensorRef) -> Option<Vec<f64>>,
) -> Option<Vec<f64>> {
    if super::spectral_room::is_transform(&call.op) {
        return super::spectral_room::room(call, k, value);
    }
    if super::norm_room::is_normalisation(&call.op) {
        return super::norm_room::room(call, k, value);
    }
    if super::decomp_room::is_pseudo_inverse(&call.op) {
        return super::decomp_room::room(call, k, value);
    }
    let outs: Vec<&TensorRef> = call.outputs.iter().flat_map(Value::tensors).collect();
    let out = *outs.get(k)?;
    let u = unit_roundoff(&out.dtype)?;
    if call.op.as_str() == "aten._foreach_norm.Scalar" {
        let arg = call.args.iter().find(|(n, _)| n.as_str() == "self")?;
        let input = *arg.1.tensors().get(k)?;
        let x = operand_of(input, &value)?;
        return norm_room(&x, &[], scalar(call, "ord")?, u);
    }
    if let Some((sum, terms)) = super::conv_room::abs_sum(call, k, &value) {
        return Some(rooms_of_sums(sum, terms, 1.0, u));
    }
    if call.op.as_str() == "aten._euclidean_dist.default" {
        let arg = |name: &str| call.args.iter().find(|(n, _)| n.as_str() == name);
        let x1 = operand_of(tensor(&arg("x1")?.1)?, &value)?;
        let x2 = operand_of(tensor(&arg("x2")?.1)?, &value)?;
        return (k == 0).then(|| euclidean_room(&x1, &x2, u)).flatten();
    }
    if k != 0 {
        return None;
    }
    let arg = |name: &str| {
        call.args
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    };
    let operand = |name: &str| operand_of(tensor(arg(name)?)?, &value);
    let coefficient = |name: &str| match arg(name) {
        Some(Value::Float(x)) => Some(x.abs()),
        Some(Value::Int(x)) => Some(x.unsigned_abs() as f64),
        Some(Value::Bool(x)) => Some(f64::from(u8::from(*x))),
        None => Some(1.0),
        Some(_) => None,
    };
    let (sum, terms) = match call.op.as_str() {
        "aten.mm.default" => {
            let (a, b) = (operand("self")?, operand("mat2")?);
            (abs_matmul(1, &a, &b, 1.0)?, a.dim(1))
        }
        "aten.bmm.default" => {
            let (a, b) = (operand("self")?, operand("mat2")?);
            (abs_matmul(a.dim(0), &a, &b, 1.0)?, a.dim(2))
        }
        "aten.addmm.default" | "aten.baddbmm.default" => {
            let batched = call.op.as_str() == "aten.baddbmm.default";
            let names = if batched {
                ("batch1", "batch2")
            } else {
                ("mat1", "mat2")
            };
            let (a, b) = (operand(names.0)?, operand(names.1)?);
            let batch = if batched { a.dim(0) } else { 1 };
            let mut sum = abs_matmul(batch, &a, &b, coefficient("alpha")?)?;
            add_broadcast(
                &mut sum,
                &out.shape,
                &operand("self")?,
                coefficient("beta")?,
            )?;
            (sum, a.dim(usize::from(batched) + 1))
        }
        "aten.mv.default" | "aten.addmv.default" => {
            let (a, x) = (
                operand(if call.op.as_str() == "aten.mv.default" {
                    "self"
                } else {
                    "mat"
                })?,
                operand("vec")?,
            );
            let column = Operand {
                shape: vec![x.dim(0), 1],
                values: x.values,
            };
            let mut sum = abs_matmul(1, &a, &column, coefficient("alpha")?)?;
            if call.op.as_str() == "aten.addmv.default" {
                add_broadcast(
                    &mut sum,
                    &out.shape,
                    &operand("self")?,
                    coefficient("beta")?,
                )?;
            }
            (sum, a.dim(1))
        }
        "aten.dot.default" => {
            let (a, b) = (operand("self")?, operand("tensor")?);
            let dot = a
                .values
                .iter()
                .zip(&b.values)
                .map(|(x, y)| (x * y).abs())
                .sum();
            (vec![dot], a.dim(0))
        }
        "aten.sum.default" | "aten.sum.dim_IntList" | "aten.mean.default" | "aten.mean.dim" => {
            let x = operand("self")?;
            let dims = reduced_dims(&x, arg("dim"))?;
            let count: usize = dims.iter().map(|&d| x.dim(d)).product();
            let sum = abs_reduce(&x, &dims, false);
            if call.op.as_str().starts_with("aten.mean") && count > 0 {
                // The mean divides the sum, and its room, by the count;
                // whether the sum may overflow is the sum's own question.
                let scale = complex_scale(&out.dtype) / count as f64;
                return Some(rooms_of_sums(sum, count, scale, u));
            }
            (sum, count)
        }
        "aten.linalg_vector_norm.default" => {
            let x = operand("self")?;
            let dims = reduced_dims(&x, arg("dim"))?;
            return norm_room(&x, &dims, scalar(call, "ord")?, u);
        }
        _ => return None,
    };
    // A complex result's parts are two real sums of products whose terms
    // are bounded by the moduli: the modulus of its error is within √2
    // times the real bound (Higham, Accuracy and Stability, §3.6).
    Some(rooms_of_sums(sum, terms, complex_scale(&out.dtype), u))
}

/// `√2` for a complex result, whose error's modulus is within √2 times the
/// real bound, else 1.
fn complex_scale(dtype: &str) -> f64 {
    if is_complex(dtype) {
        std::f64::consts::SQRT_2
    } else {
        1.0
    }
}

/// The room of each sum of `terms` terms whose absolute values add up to
/// `abs_sums` (before `scale`, a mean's `1 / count` or a complex result's
/// `√2`): `scale · 2·γ_{terms+2} · Σ|terms|`, negated where `Σ|terms|`
/// reaches the largest finite number of the accumulation (`u`'s type): see
/// [`may_overflow`].
pub fn rooms_of_sums(abs_sums: Vec<f64>, terms: usize, scale: f64, u: f64) -> Vec<f64> {
    let growth = gamma(terms + 2, u);
    let factor = scale * 2.0 * growth;
    let largest = largest_finite(u);
    abs_sums
        .into_iter()
        .map(|s| {
            let room = factor * s;
            if s * (1.0 + growth) >= largest {
                -room
            } else {
                room
            }
        })
        .collect()
}

/// Whether a room from [`rooms_of_sums`] (or a view's copy of one) belongs
/// to a sum that may overflow: its terms' magnitudes add up past the
/// accumulation's range. There a partial sum of some order may overflow,
/// and an overflowed partial sum stays infinite, or turns NaN when an
/// infinity of the other sign joins it, whatever follows; another order of
/// the same correct terms stays finite. One kernel's ±inf or NaN against
/// the other's finite (or differently non-finite) result is then what
/// float arithmetic gives either way, and is excused; two finite results
/// are still held to the room's magnitude. (An untrained network's
/// evaluation gets there: near-initial running statistics scale
/// activations towards 1e38 after one optimizer step.) Below the range no
/// partial sum of any order can overflow.
pub fn may_overflow(room: f64) -> bool {
    room < 0.0
}

/// The largest finite number of the arithmetic whose unit roundoff is `u`.
fn largest_finite(u: f64) -> f64 {
    if u <= f64::EPSILON {
        f64::MAX
    } else {
        f64::from(f32::MAX)
    }
}

fn is_complex(dtype: &str) -> bool {
    matches!(dtype, "complex64" | "complex128")
}

/// The room of `_euclidean_dist(x1, x2)` (`torch.cdist`'s matrix-product
/// path): each distance is `sqrt(clamp_min(s, 0))` with `s = |x|² + |y|² −
/// 2·x·y` summed by a matrix product of the rows padded with the squared
/// norms, `M + 2` terms that cancel for near points (a point's distance to
/// itself). Another summation order moves `s` by at most `e = 2·γ_{M+4}·
/// (|x|² + |y|² + 2·Σ|x_k·y_k|)` (the norms' own sums included), so the
/// distance lies in `[sqrt(max(s − e, 0)), sqrt(s + e)]` either way, and
/// that interval's width is the room: about `sqrt(e)` where `s` is ~0,
/// `e / d` otherwise. Batched operands `[..., P, M]` and `[..., R, M]`.
fn euclidean_room(x1: &Operand, x2: &Operand, u: f64) -> Option<Vec<f64>> {
    let (r1, r2) = (x1.shape.len(), x2.shape.len());
    let (p, m) = (x1.dim(r1.checked_sub(2)?), x1.dim(r1 - 1));
    let (r, m2) = (x2.dim(r2.checked_sub(2)?), x2.dim(r2 - 1));
    if m != m2 {
        return None;
    }
    let batch = x1.values.len().checked_div(p * m).unwrap_or(0);
    if x2.values.len() != batch * r * m {
        return None;
    }
    let factor = 2.0 * gamma(m + 4, u);
    let mut room = Vec::with_capacity(batch * p * r);
    for b in 0..batch {
        for i in 0..p {
            let xi = row(x1, (b * p + i) * m, m);
            for j in 0..r {
                let yj = row(x2, (b * r + j) * m, m);
                let (mut s, mut bound) = (0.0, 0.0);
                for (&a, &c) in xi.iter().zip(yj) {
                    s += (a - c) * (a - c);
                    bound += a * a + c * c + 2.0 * (a * c).abs();
                }
                let e = factor * bound;
                room.push((s + e).sqrt() - (s - e).max(0.0).sqrt());
            }
        }
    }
    Some(room)
}

/// The `m` values of `x` from `at` (none past its end).
fn row(x: &Operand, at: usize, m: usize) -> &[f64] {
    x.values.get(at..at + m).unwrap_or(&[])
}

/// `γ_n = n·u / (1 − n·u)`, infinite once `n·u` reaches 1.
fn gamma(n: usize, u: f64) -> f64 {
    let nu = n as f64 * u;
    if nu < 1.0 {
        nu / (1.0 - nu)
    } else {
        f64::INFINITY
    }
}

/// The room of a vector norm of order `ord` over `dims`: a 2-norm's is that
/// of a sum of squares under a square root, a 1-norm's that of a sum;
/// other orders (a maximum, a count, a general power) get none.
fn norm_room(x: &Operand, dims: &[usize], ord: f64, u: f64) -> Option<Vec<f64>> {
    let count: usize = if dims.is_empty() {
        x.values.len()
    } else {
        dims.iter().map(|&d| x.dim(d)).product()
    };
    if ord == 2.0 {
        let factor = 2.0 * (gamma(count + 1, u) / 2.0 + u);
        Some(
            abs_reduce(x, dims, true)
                .into_iter()
                .map(|s| factor * s.sqrt())
                .collect(),
        )
    } else if ord == 1.0 {
        let factor = 2.0 * gamma(count + 1, u);
        Some(
            abs_reduce(x, dims, false)
                .into_iter()
                .map(|s| factor * s)
                .collect(),
        )
    } else {
        None
    }
}

/// A tensor's elements as an [`Operand`], when `value` knows them; a
/// complex tensor's are the moduli of its elements (the bounds only take
/// absolute values).
fn operand_of(t: &TensorRef, value: &impl Fn(&TensorRef) -> Option<Vec<f64>>) -> Option<Operand> {
    let mut values = value(t)?;
    if is_complex(&t.dtype) {
        values = values.chunks_exact(2).map(|z| z[0].hypot(z[1])).collect();
    }
    let shape = t
        .shape
        .iter()
        .map(|&d| usize::try_from(d).ok())
        .collect::<Option<Vec<usize>>>()?;
    (values.len() == shape.iter().product::<usize>()).then_some(Operand { shape, values })
}

/// A number argument's absolute value (`ord`, `p`), 2 when absent.
fn scalar(call: &OpCall, name: &str) -> Option<f64> {
    match call
        .args
        .iter()
        .find(|(n, _)| n.as_str() == name)
        .map(|(_, v)| v)
    {
        Some(Value::Float(x)) => Some(*x),
        Some(Value::Int(x)) => Some(*x as f64),
        None | Some(Value::None) => Some(2.0),
        Some(_) => None,
    }
}

/// The dimensions a reduction's `dim` argument names, normalised and
/// sorted; every dimension when it is absent, `None` or empty.
fn reduced_dims(x: &Operand, dim: Option<&Value>) -> Option<Vec<usize>> {
    let rank = x.shape.len() as i64;
    let listed: Vec<i64> = match dim {
        None | Some(Value::None) => Vec::new(),
        Some(Value::Int(d)) => vec![*d],
        Some(Value::List(items)) => items
            .iter()
            .map(|v| match v {
                Value::Int(d) => Some(*d),
                _ => None,
            })
            .collect::<Option<_>>()?,
        Some(_) => return None,
    };
    if listed.is_empty() {
        return Some((0..x.shape.len()).collect());
    }
    let mut dims = listed
        .into_iter()
        .map(|d| {
            let d = if d < 0 { d + rank.max(1) } else { d };
            usize::try_from(d)
                .ok()
                .filter(|&d| d < x.shape.len().max(1))
        })
        .collect::<Option<Vec<usize>>>()?;
    dims.sort_unstable();
    dims.dedup();
    Some(dims)
}

/// `Σ|x|` (or `Σx²`) over `dims` (every dimension when empty), one per
/// kept position in row-major order (with or without `keepdim`, the order
/// is the same).
fn abs_reduce(x: &Operand, dims: &[usize], squares: bool) -> Vec<f64> {
    let rank = x.shape.len();
    let reduced = |d: usize| dims.is_empty() || dims.contains(&d);
    // Row-major strides of the kept dimensions in the output.
    let mut out_strides = vec![0usize; rank];
    let mut size = 1;
    for d in (0..rank).rev() {
        if !reduced(d) {
            out_strides[d] = size;
            size *= x.shape[d];
        }
    }
    let mut out = vec![0.0; size];
    let mut index = vec![0usize; rank];
    for &v in &x.values {
        let at: usize = index.iter().zip(&out_strides).map(|(i, s)| i * s).sum();
        out[at] += if squares { v * v } else { v.abs() };
        for d in (0..rank).rev() {
            index[d] += 1;
            if index[d] < x.shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

fn tensor(v: &Value) -> Option<&TensorRef> {
    match v {
        Value::Tensor(t) => Some(t),
        _ => None,
    }
}

/// `scale · |A|·|B|` for `batch` row-major products of `[n, k]` by `[k, m]`
/// (the last two dimensions of each operand).
fn abs_matmul(batch: usize, a: &Operand, b: &Operand, scale: f64) -> Option<Vec<f64>> {
    let rank = a.shape.len();
    let (n, k) = (a.dim(rank.checked_sub(2)?), a.dim(rank - 1));
    let rank_b = b.shape.len();
    let (k2, m) = (b.dim(rank_b.checked_sub(2)?), b.dim(rank_b - 1));
    if k != k2 || a.values.len() != batch * n * k || b.values.len() != batch * k * m {
        return None;
    }
    let mut out = vec![0.0; batch * n * m];
    for p in 0..batch {
        let (a, b) = (&a.values[p * n * k..], &b.values[p * k * m..]);
        let out = &mut out[p * n * m..(p + 1) * n * m];
        for i in 0..n {
            let row = &mut out[i * m..(i + 1) * m];
            for (l, x) in a[i * k..(i + 1) * k].iter().enumerate() {
                let x = x.abs() * scale;
                for (o, y) in row.iter_mut().zip(&b[l * m..(l + 1) * m]) {
                    *o += x * y.abs();
                }
            }
        }
    }
    Some(out)
}

/// Adds `scale · |c|`, broadcast to `shape` (row-major), to `sum`.
fn add_broadcast(sum: &mut [f64], shape: &[i64], c: &Operand, scale: f64) -> Option<()> {
    if scale == 0.0 {
        // PyTorch ignores `self` when beta is 0 (NaN and infinity included).
        return Some(());
    }
    let shape: Vec<usize> = shape
        .iter()
        .map(|&d| usize::try_from(d).ok())
        .collect::<Option<_>>()?;
    let lead = shape.len().checked_sub(c.shape.len())?;
    // The stride of each output dimension in `c` (0 where it broadcasts).
    let mut strides = vec![0usize; shape.len()];
    let mut stride = 1;
    for (i, &size) in c.shape.iter().enumerate().rev() {
        let out_size = shape[lead + i];
        if size != out_size && size != 1 {
            return None;
        }
        strides[lead + i] = if size == 1 { 0 } else { stride };
        stride *= size;
    }
    let mut index = vec![0usize; shape.len()];
    for s in sum.iter_mut() {
        let at: usize = index.iter().zip(&strides).map(|(i, st)| i * st).sum();
        *s += scale * c.values.get(at)?.abs();
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ft_trace::Name;

    fn tref(id: u64, dtype: &str, shape: &[i64]) -> Value {
        Value::from(TensorRef {
            id,
            dtype: Name::from(dtype),
            shape: shape.to_vec().into(),
            stride: Vec::new().into(),
            offset: 0,
            storage: id,
            device: Name::from("cpu"),
            requires_grad: false,
            version: 0,
            value: None,
            sparse: None,
            nested: None,
        })
    }

    fn call(op: &str, args: Vec<(&str, Value)>, out: Value) -> OpCall {
        OpCall {
            op: Name::from(op),
            keyset: Vec::new().into(),
            chain: Vec::new().into(),
            args: args.into_iter().map(|(n, v)| (Name::from(n), v)).collect(),
            outputs: vec![out],
            context: ft_trace::Context::TopLevel,
        }
    }

    #[test]
    fn mm_room_is_twice_gamma_of_the_absolute_product() {
        let c = call(
            "aten.mm.default",
            vec![
                ("self", tref(1, "float32", &[1, 2])),
                ("mat2", tref(2, "float32", &[2, 1])),
            ],
            tref(3, "float32", &[1, 1]),
        );
        let values = |t: &TensorRef| match t.id {
            1 => Some(vec![3.0, -4.0]),
            2 => Some(vec![-5.0, 6.0]),
            _ => None,
        };
        let room = slack(&c, 0, values).expect("slack");
        let u = f64::from(f32::EPSILON) / 2.0;
        let gamma = 4.0 * u / (1.0 - 4.0 * u);
        // |3·−5| + |−4·6| = 39, though the product is −39
        assert_eq!(room, vec![2.0 * gamma * 39.0]);
    }

    #[test]
    fn euclidean_distance_room_is_the_root_of_the_cancelling_sum() {
        // Two points of three coordinates against themselves and each other.
        let c = call(
            "aten._euclidean_dist.default",
            vec![
                ("x1", tref(1, "float32", &[2, 3])),
                ("x2", tref(1, "float32", &[2, 3])),
            ],
            tref(3, "float32", &[2, 2]),
        );
        let points = vec![1.0, -2.0, 3.0, 1.5, -2.0, 2.0];
        let values = |t: &TensorRef| (t.id == 1).then(|| points.clone());
        let room = slack(&c, 0, values).expect("slack");
        let u = f64::from(f32::EPSILON) / 2.0;
        let e = 2.0 * (7.0 * u / (1.0 - 7.0 * u)) * (4.0 * 14.0);
        // a point's distance to itself: s = 0, the room is sqrt(e)
        assert!((room[0] - e.sqrt()).abs() < 1e-12, "{room:?}");
        // about 1e-3 of the points' scale (|x| ≈ 3.7): that much a
        // correct order may leave of a zero distance
        assert!(room[0] > 1e-3 && room[0] < 1e-2, "{room:?}");
        // apart (d² = 1.25), the room is about e / d: a last-bit matter
        assert!(room[1] < 1e-4, "{room:?}");
        assert_eq!(room[1], room[2]);
        // a distance off by a tenth is no rounding
        assert!(room.iter().all(|&r| r < 0.01));
    }

    #[test]
    fn complex_mm_room_takes_moduli_and_root_two() {
        let c = call(
            "aten.mm.default",
            vec![
                ("self", tref(1, "complex64", &[1, 2])),
                ("mat2", tref(2, "complex64", &[2, 1])),
            ],
            tref(3, "complex64", &[1, 1]),
        );
        // [3+4i, -6i] @ [[1], [1+i]]: moduli 5, 6 and 1, √2
        let values = |t: &TensorRef| match t.id {
            1 => Some(vec![3.0, 4.0, 0.0, -6.0]),
            2 => Some(vec![1.0, 0.0, 1.0, 1.0]),
            _ => None,
        };
        let room = slack(&c, 0, values).expect("slack");
        let u = f64::from(f32::EPSILON) / 2.0;
        let gamma = 4.0 * u / (1.0 - 4.0 * u);
        let sum = 5.0 + 6.0 * std::f64::consts::SQRT_2;
        let want = std::f64::consts::SQRT_2 * 2.0 * gamma * sum;
        assert!((room[0] - want).abs() < 1e-18, "{room:?} vs {want}");
    }

    #[test]
    fn addmm_adds_the_broadcast_bias_and_scales() {
        let c = call(
            "aten.addmm.default",
            vec![
                ("self", tref(1, "float64", &[2])),
                ("mat1", tref(2, "float64", &[2, 1])),
                ("mat2", tref(3, "float64", &[1, 2])),
                ("beta", Value::Int(1)),
                ("alpha", Value::Float(-2.0)),
            ],
            tref(4, "float64", &[2, 2]),
        );
        let values = |t: &TensorRef| match t.id {
            1 => Some(vec![10.0, -20.0]),
            2 => Some(vec![1.0, -1.0]),
            3 => Some(vec![3.0, 4.0]),
            _ => None,
        };
        let room = slack(&c, 0, values).expect("slack");
        let u = f64::EPSILON / 2.0;
        let g2 = 2.0 * (3.0 * u / (1.0 - 3.0 * u));
        let want = [16.0, 28.0, 16.0, 28.0].map(|s| s * g2);
        for (r, w) in room.iter().zip(want) {
            assert!((r - w).abs() <= 1e-30, "{room:?} vs {want:?}");
        }
    }

    #[test]
    fn no_room_without_inputs_or_for_other_ops() {
        let mm = call(
            "aten.mm.default",
            vec![
                ("self", tref(1, "float32", &[1, 1])),
                ("mat2", tref(2, "float32", &[1, 1])),
            ],
            tref(3, "float32", &[1, 1]),
        );
        assert!(slack(&mm, 0, |_| None).is_none());
        let add = call(
            "aten.add.Tensor",
            vec![("self", tref(1, "float32", &[1]))],
            tref(3, "float32", &[1]),
        );
        assert!(slack(&add, 0, |_| Some(vec![1.0])).is_none());
        let ints = call(
            "aten.mm.default",
            vec![
                ("self", tref(1, "int64", &[1, 1])),
                ("mat2", tref(2, "int64", &[1, 1])),
            ],
            tref(3, "int64", &[1, 1]),
        );
        assert!(slack(&ints, 0, |_| Some(vec![1.0])).is_none());
    }

    #[test]
    fn bmm_batches_are_independent() {
        let c = call(
            "aten.bmm.default",
            vec![
                ("self", tref(1, "float32", &[2, 1, 1])),
                ("mat2", tref(2, "float32", &[2, 1, 1])),
            ],
            tref(3, "float32", &[2, 1, 1]),
        );
        let values = |t: &TensorRef| match t.id {
            1 => Some(vec![2.0, -3.0]),
            2 => Some(vec![5.0, 7.0]),
            _ => None,
        };
        let room = slack(&c, 0, values).expect("slack");
        assert!((room[1] / room[0] - 21.0 / 10.0).abs() < 1e-12, "{room:?}");
    }

    #[test]
    fn sums_over_dims_and_norms_of_each_foreach_tensor() {
        let sum = call(
            "aten.sum.dim_IntList",
            vec![
                ("self", tref(1, "float32", &[2, 3])),
                ("dim", Value::List(vec![Value::Int(-1)])),
                ("keepdim", Value::Bool(true)),
            ],
            tref(2, "float32", &[2, 1]),
        );
        let x = |_: &TensorRef| Some(vec![1.0, -2.0, 3.0, -4.0, 5.0, -6.0]);
        let room = slack(&sum, 0, x).expect("sum");
        let u = f64::from(f32::EPSILON) / 2.0;
        let g = 2.0 * gamma(5, u);
        assert_eq!(room, vec![6.0 * g, 15.0 * g]);
        let norms = call(
            "aten._foreach_norm.Scalar",
            vec![
                (
                    "self",
                    Value::List(vec![tref(1, "float32", &[2]), tref(2, "float32", &[1])]),
                ),
                ("ord", Value::Int(2)),
            ],
            Value::List(vec![tref(3, "float32", &[]), tref(4, "float32", &[])]),
        );
        let values = |t: &TensorRef| match t.id {
            1 => Some(vec![3.0, -4.0]),
            2 => Some(vec![-2.0]),
            _ => None,
        };
        let first = slack(&norms, 0, values).expect("first norm");
        let second = slack(&norms, 1, values).expect("second norm");
        assert!(
            (first[0] - 5.0 * 2.0 * (gamma(3, u) / 2.0 + u)).abs() < 1e-18,
            "{first:?}"
        );
        assert!(
            (second[0] - 2.0 * 2.0 * (gamma(2, u) / 2.0 + u)).abs() < 1e-18,
            "{second:?}"
        );
        let inf = call(
            "aten.linalg_vector_norm.default",
            vec![
                ("self", tref(1, "float32", &[2])),
                ("ord", Value::Float(f64::INFINITY)),
            ],
            tref(2, "float32", &[]),
        );
        assert!(slack(&inf, 0, values).is_none());
    }

    #[test]
    fn sums_past_the_range_are_marked_as_possibly_overflowing() {
        let u32_ = f64::from(f32::EPSILON) / 2.0;
        let big = f64::from(f32::MAX);
        let rooms = rooms_of_sums(vec![1.0, big, big / 2.0], 4, 1.0, u32_);
        assert!(!may_overflow(rooms[0]) && rooms[0] > 0.0);
        assert!(may_overflow(rooms[1]));
        // the magnitude is still the bound two finite results are held to
        assert_eq!(rooms[1].abs(), 2.0 * gamma(6, u32_) * big);
        assert!(!may_overflow(rooms[2]));
        // a mean divides the room, not the sum that may overflow
        let mean = rooms_of_sums(vec![big], 4, 0.25, u32_);
        assert!(may_overflow(mean[0]));
        // float64 accumulation has float64's range
        let u64_ = f64::EPSILON / 2.0;
        assert!(!may_overflow(rooms_of_sums(vec![big], 4, 1.0, u64_)[0]));
        assert!(may_overflow(rooms_of_sums(vec![f64::MAX], 4, 1.0, u64_)[0]));
    }

    #[test]
    fn a_view_takes_the_room_of_the_elements_it_shows() {
        let base = TensorRef {
            id: 1,
            dtype: Name::from("float32"),
            shape: vec![2, 2].into(),
            stride: vec![2, 1].into(),
            offset: 0,
            storage: 7,
            device: Name::from("cpu"),
            requires_grad: false,
            version: 0,
            value: None,
            sparse: None,
            nested: None,
        };
        let mut rooms = ViewRooms::default();
        rooms.keep(&base, vec![1.0, 2.0, 3.0, 4.0]);
        // its transpose: row-major elements at positions 0, 2, 1, 3
        let t = TensorRef {
            id: 2,
            stride: vec![1, 2].into(),
            ..base.clone()
        };
        assert_eq!(rooms.of_view(&t, &[&base]), Some(vec![1.0, 3.0, 2.0, 4.0]));
        // its second row
        let row = TensorRef {
            id: 3,
            shape: vec![2].into(),
            stride: vec![1].into(),
            offset: 2,
            ..base.clone()
        };
        assert_eq!(rooms.of_view(&row, &[&base]), Some(vec![3.0, 4.0]));
        // another storage, or a later version of the base, has no room
        let other = TensorRef {
            id: 4,
            storage: 8,
            ..base.clone()
        };
        assert_eq!(rooms.of_view(&other, &[&base]), None);
        let written = TensorRef {
            version: 1,
            ..base.clone()
        };
        assert_eq!(rooms.of_view(&t, &[&written]), None);
    }
}
