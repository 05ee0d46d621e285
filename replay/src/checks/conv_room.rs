//! The summation-order room of convolutions and their gradients.
//!
//! Every element a convolution computes is a sum of products, like a matrix
//! product's, and PyTorch's CPU kernels (oneDNN's direct convolution, or
//! im2col + GEMM) add them in another order than the runtime does. The
//! bound of [`super::accumulation`] applies unchanged: two correct orders
//! of a sum of `K` products lie within `2·γ_K · Σ|products|` of each other.
//! This module computes `Σ|products|` per element for the four sums a
//! convolution makes, from the call's recorded operands:
//!
//! * the forward output (`K` = input channels per group × kernel taps, and
//!   the bias);
//! * the input's gradient (`K` = output channels per group × kernel taps);
//! * the weight's gradient (`K` = batch × output positions);
//! * the bias's gradient (a plain sum over the batch and output positions).
//!
//! A transposed convolution is the input gradient of the ordinary one with
//! the roles of its sides swapped, so one walk over the taps of the
//! ordinary relation (`input position = output position · stride −
//! padding + kernel position · dilation`) serves both: the "wide" side is
//! the ordinary convolution's input, the "narrow" side its output.

use ft_trace::{OpCall, TensorRef, Value};

/// The geometry of the ordinary convolution behind a call: batch, groups,
/// channels per group on each side, and the spatial sizes.
struct Geometry {
    batch: usize,
    groups: usize,
    /// Channels per group on the wide (ordinary input) side.
    wide_channels: usize,
    /// Channels per group on the narrow (ordinary output) side.
    narrow_channels: usize,
    wide: Vec<usize>,
    narrow: Vec<usize>,
    kernel: Vec<usize>,
    stride: Vec<i64>,
    padding: Vec<i64>,
    dilation: Vec<i64>,
}

impl Geometry {
    fn taps(&self) -> usize {
        self.kernel.iter().product()
    }

    fn wide_size(&self) -> usize {
        self.wide.iter().product()
    }

    fn narrow_size(&self) -> usize {
        self.narrow.iter().product()
    }

    /// Calls `f(narrow position, kernel position, wide position)` for every
    /// tap that lands inside the wide side (flat row-major indices).
    fn for_each_tap(&self, mut f: impl FnMut(usize, usize, usize)) {
        let rank = self.kernel.len();
        let mut o = vec![0usize; rank];
        for narrow_at in 0..self.narrow_size() {
            let mut k = vec![0usize; rank];
            for kernel_at in 0..self.taps() {
                let mut wide_at = 0usize;
                let mut inside = true;
                for d in 0..rank {
                    let i = o[d] as i64 * self.stride[d] - self.padding[d]
                        + k[d] as i64 * self.dilation[d];
                    if i < 0 || i >= self.wide[d] as i64 {
                        inside = false;
                        break;
                    }
                    wide_at = wide_at * self.wide[d] + i as usize;
                }
                if inside {
                    f(narrow_at, kernel_at, wide_at);
                }
                advance(&mut k, &self.kernel);
            }
            advance(&mut o, &self.narrow);
        }
    }
}

/// Steps a row-major multi-index by one.
fn advance(index: &mut [usize], shape: &[usize]) {
    for d in (0..shape.len()).rev() {
        index[d] += 1;
        if index[d] < shape[d] {
            return;
        }
        index[d] = 0;
    }
}

/// Which of the sums a convolution call computes an output holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sum {
    /// The ordinary convolution's output (`Σ x·w`).
    Narrow,
    /// The ordinary convolution's input side (`Σ g·w`).
    Wide,
    /// The weight's gradient (`Σ g·x`).
    Weight,
    /// The bias's gradient (`Σ g`).
    Bias,
}

/// `Σ|products|` per element (row-major) of output `k` (of the call's
/// tensor outputs) of `aten.convolution.default` or
/// `aten.convolution_backward.default`, and the number of products each
/// element sums; `None` for other operators or when an operand's value is
/// not known (`value` gives a tensor's elements, row-major).
pub fn abs_sum(
    call: &OpCall,
    k: usize,
    value: &impl Fn(&TensorRef) -> Option<Vec<f64>>,
) -> Option<(Vec<f64>, usize)> {
    let arg = |name: &str| {
        call.args
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    };
    let tensor_arg = |name: &str| match arg(name)? {
        Value::Tensor(t) => Some(&**t),
        _ => None,
    };
    let transposed = matches!(arg("transposed"), Some(Value::Bool(true)));
    let input = tensor_arg("input")?;
    let weight = tensor_arg("weight")?;
    let geometry = geometry(call, input, weight, transposed)?;
    match call.op.as_str() {
        "aten.convolution.default" => {
            if k != 0 {
                return None;
            }
            let x = values_of(input, value)?;
            let w = values_of(weight, value)?;
            let bias = match tensor_arg("bias") {
                Some(b) => Some(values_of(b, value)?),
                None => None,
            };
            let (mut sum, terms) = if transposed {
                let terms = geometry.narrow_channels * geometry.taps();
                (wide_sum(&geometry, &x, &w), terms)
            } else {
                let terms = geometry.wide_channels * geometry.taps();
                (narrow_sum(&geometry, &x, &w), terms)
            };
            if let Some(bias) = bias {
                let channels = sum.len() / geometry.batch.max(1);
                let per_channel = channels / bias.len().max(1);
                for (i, s) in sum.iter_mut().enumerate() {
                    *s += bias.get((i % channels.max(1)) / per_channel.max(1))?.abs();
                }
            }
            Some((sum, terms + 1))
        }
        "aten.convolution_backward.default" => {
            let sum = backward_output(call, k)?;
            let g = values_of(tensor_arg("grad_output")?, value)?;
            // The gradient lives on the ordinary convolution's output side
            // unless the call is transposed, where it is on the wide side.
            let kind = match (sum, transposed) {
                (0, false) => Sum::Wide,
                (0, true) => Sum::Narrow,
                (1, _) => Sum::Weight,
                (2, _) => Sum::Bias,
                _ => return None,
            };
            // Each sum reads only its own operands: the bias's gradient
            // needs neither the input nor the weight, whose values a trace
            // may lack (a weight last written through a view of it).
            match kind {
                Sum::Wide => Some((
                    wide_sum(&geometry, &g, &values_of(weight, value)?),
                    geometry.narrow_channels * geometry.taps(),
                )),
                Sum::Narrow => Some((
                    narrow_sum(&geometry, &g, &values_of(weight, value)?),
                    geometry.wide_channels * geometry.taps(),
                )),
                Sum::Weight => {
                    let x = values_of(input, value)?;
                    let (wide, narrow) = if transposed { (&g, &x) } else { (&x, &g) };
                    Some((
                        weight_sum(&geometry, wide, narrow),
                        geometry.batch * geometry.narrow_size(),
                    ))
                }
                Sum::Bias => {
                    let positions = if transposed {
                        geometry.wide_size()
                    } else {
                        geometry.narrow_size()
                    };
                    let channels = g.len() / (geometry.batch * positions).max(1);
                    let mut sum = vec![0.0; channels];
                    for (i, v) in g.iter().enumerate() {
                        sum[(i / positions.max(1)) % channels.max(1)] += v.abs();
                    }
                    Some((sum, geometry.batch * positions))
                }
            }
        }
        _ => None,
    }
}

/// Which of `convolution_backward`'s three results (input, weight, bias
/// gradient) its `k`-th tensor output is: results the output mask leaves
/// out are recorded as `None` and hold no tensor.
fn backward_output(call: &OpCall, k: usize) -> Option<usize> {
    call.outputs
        .iter()
        .enumerate()
        .filter(|(_, v)| matches!(v, Value::Tensor(_)))
        .nth(k)
        .map(|(i, _)| i)
}

fn values_of(t: &TensorRef, value: &impl Fn(&TensorRef) -> Option<Vec<f64>>) -> Option<Vec<f64>> {
    let values = value(t)?;
    (values.len() as u64 == t.numel()).then_some(values)
}

fn sizes(t: &TensorRef) -> Option<Vec<usize>> {
    t.shape.iter().map(|&d| usize::try_from(d).ok()).collect()
}

fn ints(call: &OpCall, name: &str, rank: usize) -> Option<Vec<i64>> {
    let listed: Vec<i64> = match call
        .args
        .iter()
        .find(|(n, _)| n.as_str() == name)
        .map(|(_, v)| v)?
    {
        Value::List(items) => items
            .iter()
            .map(|v| match v {
                Value::Int(i) => Some(*i),
                _ => None,
            })
            .collect::<Option<_>>()?,
        Value::Int(i) => vec![*i],
        _ => return None,
    };
    match listed.len() {
        1 => Some(vec![listed[0]; rank]),
        n if n == rank => Some(listed),
        _ => None,
    }
}

/// The ordinary convolution of a call: for a transposed one, its output
/// (the call's result, or for the backward the gradient) is the wide side.
fn geometry(
    call: &OpCall,
    input: &TensorRef,
    weight: &TensorRef,
    transposed: bool,
) -> Option<Geometry> {
    let x = sizes(input)?;
    let w = sizes(weight)?;
    let rank = w.len().checked_sub(2)?;
    if rank == 0 || x.len() != rank + 2 {
        return None;
    }
    let groups = match call
        .args
        .iter()
        .find(|(n, _)| n.as_str() == "groups")
        .map(|(_, v)| v)
    {
        Some(Value::Int(g)) if *g > 0 => usize::try_from(*g).ok()?,
        _ => return None,
    };
    let stride = ints(call, "stride", rank)?;
    let padding = ints(call, "padding", rank)?;
    let dilation = ints(call, "dilation", rank)?;
    // The other side's sizes: the call's first tensor output for the
    // forward, the gradient for the backward.
    let other = match call.op.as_str() {
        "aten.convolution.default" => call.outputs.iter().flat_map(Value::tensors).next(),
        _ => call.args.iter().find_map(|(n, v)| match v {
            Value::Tensor(t) if n.as_str() == "grad_output" => Some(&**t),
            _ => None,
        }),
    };
    let other = sizes(other?)?;
    if other.len() != rank + 2 {
        return None;
    }
    let (wide, narrow) = if transposed {
        (&other, &x)
    } else {
        (&x, &other)
    };
    // Ordinary weight: [narrow channels, wide channels / groups, kernel…];
    // a transposed one: [narrow channels (its input), wide channels / groups, …].
    let narrow_channels = narrow[1].checked_div(groups)?;
    let wide_channels = wide[1].checked_div(groups)?;
    if w[1] != wide_channels || w[0] != narrow_channels * groups {
        return None;
    }
    Some(Geometry {
        batch: x[0],
        groups,
        wide_channels,
        narrow_channels,
        wide: wide[2..].to_vec(),
        narrow: narrow[2..].to_vec(),
        kernel: w[2..].to_vec(),
        stride,
        padding,
        dilation,
    })
}

/// One product of the ordinary convolution: the flat indices of its wide-side
/// element, narrow-side element and weight element.
struct Product {
    wide: usize,
    narrow: usize,
    weight: usize,
}

impl Geometry {
    /// Calls `f` for every product the ordinary convolution sums.
    fn for_each_product(&self, mut f: impl FnMut(Product)) {
        let (ws, ns, taps) = (self.wide_size(), self.narrow_size(), self.taps());
        self.for_each_tap(|o, k, i| {
            for n in 0..self.batch {
                for grp in 0..self.groups {
                    for co in 0..self.narrow_channels {
                        let oc = grp * self.narrow_channels + co;
                        for ci in 0..self.wide_channels {
                            let ic = grp * self.wide_channels + ci;
                            f(Product {
                                wide: (n * self.groups * self.wide_channels + ic) * ws + i,
                                narrow: (n * self.groups * self.narrow_channels + oc) * ns + o,
                                weight: (oc * self.wide_channels + ci) * taps + k,
                            });
                        }
                    }
                }
            }
        });
    }
}

/// `Σ|x|·|w|` per narrow-side element: the ordinary convolution's output.
fn narrow_sum(g: &Geometry, wide: &[f64], w: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; g.batch * g.groups * g.narrow_channels * g.narrow_size()];
    g.for_each_product(|p| out[p.narrow] += wide[p.wide].abs() * w[p.weight].abs());
    out
}

/// `Σ|g|·|w|` per wide-side element: the ordinary convolution's input
/// gradient, and a transposed convolution's output.
fn wide_sum(g: &Geometry, narrow: &[f64], w: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; g.batch * g.groups * g.wide_channels * g.wide_size()];
    g.for_each_product(|p| out[p.wide] += narrow[p.narrow].abs() * w[p.weight].abs());
    out
}

/// `Σ|g|·|x|` per weight element: the weight's gradient.
fn weight_sum(g: &Geometry, wide: &[f64], narrow: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; g.groups * g.narrow_channels * g.wide_channels * g.taps()];
    g.for_each_product(|p| out[p.weight] += narrow[p.narrow].abs() * wide[p.wide].abs());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ft_trace::Name;

    fn tref(id: u64, shape: &[i64]) -> Value {
        Value::from(TensorRef {
            id,
            dtype: Name::from("float32"),
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

    fn list(v: &[i64]) -> Value {
        Value::List(v.iter().map(|&i| Value::Int(i)).collect())
    }

    fn conv_call(transposed: bool, x: &[i64], w: &[i64], out: &[i64], groups: i64) -> OpCall {
        OpCall {
            op: Name::from("aten.convolution.default"),
            keyset: Vec::new().into(),
            chain: Vec::new().into(),
            args: vec![
                (Name::from("input"), tref(1, x)),
                (Name::from("weight"), tref(2, w)),
                (Name::from("bias"), Value::None),
                (Name::from("stride"), list(&[1])),
                (Name::from("padding"), list(&[1])),
                (Name::from("dilation"), list(&[1])),
                (Name::from("transposed"), Value::Bool(transposed)),
                (Name::from("output_padding"), list(&[0])),
                (Name::from("groups"), Value::Int(groups)),
            ],
            outputs: vec![tref(3, out)],
            context: ft_trace::Context::TopLevel,
        }
    }

    /// A 1-d convolution by hand: each output sums three taps of `|x|·|w|`,
    /// two at the padded edges.
    #[test]
    fn forward_room_sums_the_products_of_each_output() {
        let call = conv_call(false, &[1, 1, 4], &[1, 1, 3], &[1, 1, 4], 1);
        let x = [1.0, -2.0, 3.0, -4.0];
        let w = [0.5, -1.0, 2.0];
        let (sum, terms) = abs_sum(&call, 0, &|t: &TensorRef| match t.id {
            1 => Some(x.to_vec()),
            2 => Some(w.to_vec()),
            _ => None,
        })
        .expect("room");
        // out[o] = Σ_k x[o - 1 + k] · w[k]
        assert_eq!(
            sum,
            vec![1.0 + 4.0, 0.5 + 2.0 + 6.0, 1.0 + 3.0 + 8.0, 1.5 + 4.0]
        );
        assert_eq!(terms, 4);
    }

    /// A transposed convolution's output is the ordinary one's input
    /// gradient: the same taps, seen from the wide side.
    #[test]
    fn transposed_forward_is_the_wide_sum() {
        // Transposed: input [1, 1, 4] is the narrow side, output [1, 1, 4].
        let call = conv_call(true, &[1, 1, 4], &[1, 1, 3], &[1, 1, 4], 1);
        let x = [1.0, 1.0, 1.0, 1.0];
        let w = [1.0, 10.0, 100.0];
        let (sum, _) = abs_sum(&call, 0, &|t: &TensorRef| match t.id {
            1 => Some(x.to_vec()),
            2 => Some(w.to_vec()),
            _ => None,
        })
        .expect("room");
        // wide[i] = Σ over o, k with i = o - 1 + k of |x[o]|·|w[k]|.
        assert_eq!(sum, vec![11.0, 111.0, 111.0, 110.0]);
    }

    /// Grouped: each output channel sums only its group's input channels.
    #[test]
    fn groups_keep_channels_apart() {
        let call = conv_call(false, &[1, 2, 1], &[2, 1, 1], &[1, 2, 1], 2);
        let mut call = call;
        call.args[4] = (Name::from("padding"), list(&[0]));
        let (sum, terms) = abs_sum(&call, 0, &|t: &TensorRef| match t.id {
            1 => Some(vec![3.0, 5.0]),
            2 => Some(vec![2.0, 7.0]),
            _ => None,
        })
        .expect("room");
        assert_eq!(sum, vec![6.0, 35.0]);
        assert_eq!(terms, 2);
    }

    /// A backward call with only the weight and bias gradients asked for
    /// (`output_mask` [false, true, true]): input 1, weight 2, gradient 4.
    fn backward_call() -> OpCall {
        let mut call = conv_call(false, &[2, 1, 3], &[2, 1, 3], &[2, 2, 3], 1);
        call.op = Name::from("aten.convolution_backward.default");
        call.args
            .insert(0, (Name::from("grad_output"), tref(4, &[2, 2, 3])));
        call.outputs = vec![Value::None, tref(5, &[2, 1, 3]), tref(6, &[2])];
        call
    }

    /// The bias's gradient sums the gradient over batch and positions; it
    /// gets its room even when the weight's and input's values are unknown.
    #[test]
    fn bias_gradient_room_needs_only_the_gradient() {
        let call = backward_call();
        // g[n, c, o]: channel 0 holds 1, -2, 3 and 4, 5, -6; channel 1 all 0.5.
        let g = [1.0, -2.0, 3.0, 0.5, 0.5, 0.5, 4.0, 5.0, -6.0, 0.5, 0.5, 0.5];
        let (sum, terms) =
            abs_sum(&call, 1, &|t: &TensorRef| (t.id == 4).then(|| g.to_vec())).expect("room");
        // room[c] = Σ_n Σ_o |g[n, c, o]|
        assert_eq!(sum, vec![21.0, 3.0]);
        assert_eq!(terms, 6);
        // The weight's gradient needs the input: none without it.
        assert!(abs_sum(&call, 0, &|t: &TensorRef| (t.id == 4).then(|| g.to_vec())).is_none());
    }

    #[test]
    fn unknown_operands_give_no_room() {
        let call = conv_call(false, &[1, 1, 4], &[1, 1, 3], &[1, 1, 4], 1);
        assert!(abs_sum(&call, 0, &|_: &TensorRef| None).is_none());
    }
}
