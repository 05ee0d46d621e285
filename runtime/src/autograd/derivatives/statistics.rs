//! Autograd entries of the counting operators, the order statistics and
//! the scatter/index reductions.
//!
//! | operator | node | saves |
//! |---|---|---|
//! | `kthvalue` | KthvalueBackward0 | self sizes, dim, keepdim, indices |
//! | `median` / `nanmedian` | MedianBackward0 / NanmedianBackward0 | self, result |
//! | `median.dim` / `nanmedian.dim` | MedianBackward1 / NanmedianBackward1 | self sizes, dim, keepdim, indices |
//! | `mode` | ModeBackward0 | self sizes, dim, keepdim, indices |
//! | `cummax` / `cummin` | CummaxBackward0 / CumminBackward0 | self, dim, indices |
//! | `scatter_reduce.two`, `scatter_reduce_.two` | ScatterReduceBackward0 | self (a clone for the in-place form), dim, index, src, reduce, include_self, result |
//! | `index_reduce`, `index_reduce_` | IndexReduceBackward0 | self (a clone for the in-place form), dim, index, source, reduce, include_self, result |
//!
//! The value-selecting nodes (`kthvalue`, `median.dim`, `mode`) share
//! `max.dim`'s `value_selecting_reduction_backward` and the all-reduce
//! medians `max()`'s `evenly_distribute_backward` (PyTorch's
//! derivatives.yaml uses the same helpers). Indices are never
//! differentiable; the counting operators (`bincount`, `histc`, the
//! uniques, `count_nonzero`, `tril_indices`/`triu_indices`) record no node.
//! The histogram operators have no formula: PyTorch's autograd fallback
//! records its `NotImplemented` node (no sequence number) on both outputs
//! when the input or the weight requires grad.

use super::{Derivative, Differentiability, always, derivative, int, tensor};
use crate::autograd::functions::double_backward::not_implemented::NotImplemented;
use crate::autograd::functions::reduction::{EvenlyDistributeBackward, ValueSelectingBackward};
use crate::autograd::functions::statistics::{CummaxminBackward, ReduceBackward, Routing};
use crate::autograd::saved::SavedVariable;
use crate::error::Result;
use crate::ivalue::IValue;

/// The autograd entry of `op` if it belongs to this family.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    use Differentiability::Derivative as D;
    const VALUES: &[bool] = &[true, false];
    Some(match op {
        "aten.kthvalue.default" => D(derivative!(
            "KthvalueBackward0",
            &[0],
            |a, _| value_selecting(a, 2, 3),
            outputs = VALUES
        )),
        "aten.median.dim" => D(derivative!(
            "MedianBackward1",
            &[0],
            |a, _| value_selecting(a, 1, 2),
            outputs = VALUES
        )),
        "aten.nanmedian.dim" => D(derivative!(
            "NanmedianBackward1",
            &[0],
            |a, _| value_selecting(a, 1, 2),
            outputs = VALUES
        )),
        "aten.mode.default" => D(derivative!(
            "ModeBackward0",
            &[0],
            |a, _| value_selecting(a, 1, 2),
            outputs = VALUES
        )),
        "aten.median.default" => D(derivative!("MedianBackward0", &[0], evenly_distribute)),
        "aten.nanmedian.default" => D(derivative!("NanmedianBackward0", &[0], evenly_distribute)),
        "aten.cummax.default" => D(derivative!(
            "CummaxBackward0",
            &[0],
            cummaxmin,
            outputs = VALUES
        )),
        "aten.cummin.default" => D(derivative!(
            "CumminBackward0",
            &[0],
            cummaxmin,
            outputs = VALUES
        )),
        "aten.scatter_reduce.two" => D(derivative!("ScatterReduceBackward0", &[0, 3], |a, _| {
            reduce_backward(a, Routing::Scatter)
        })),
        "aten.index_reduce.default" => D(derivative!("IndexReduceBackward0", &[0, 3], |a, _| {
            reduce_backward(a, Routing::Index)
        })),
        // The in-place forms: the same node on a clone of the original
        // `self`, which the formula reads (observed in torch 2.15: `clone`
        // is dispatched before `scatter_reduce_` / `index_reduce_` even
        // when only `src` requires grad).
        "aten.scatter_reduce_.two" => D(derivative!(
            "ScatterReduceBackward0",
            &[0, 3],
            |a, _| reduce_backward(a, Routing::Scatter),
            original_self = always
        )),
        "aten.index_reduce_.default" => D(derivative!(
            "IndexReduceBackward0",
            &[0, 3],
            |a, _| reduce_backward(a, Routing::Index),
            original_self = always
        )),
        "aten.histogram.bin_ct" => D(derivative!(
            "NotImplemented",
            &[0, 3],
            |_, _| Ok(Box::new(NotImplemented {
                op: "aten::histogram.bin_ct"
            })),
            fallback
        )),
        "aten.histogram.bins_tensor" => D(derivative!(
            "NotImplemented",
            &[0, 1, 2],
            |_, _| Ok(Box::new(NotImplemented {
                op: "aten::histogram.bins_tensor"
            })),
            fallback
        )),
        "aten._histogramdd_bin_edges.default" => D(derivative!(
            "NotImplemented",
            &[0, 3],
            |_, _| Ok(Box::new(NotImplemented {
                op: "aten::_histogramdd_bin_edges"
            })),
            fallback
        )),
        "aten._histogramdd_from_bin_cts.default" => D(derivative!(
            "NotImplemented",
            &[0, 3],
            |_, _| Ok(Box::new(NotImplemented {
                op: "aten::_histogramdd_from_bin_cts"
            })),
            fallback
        )),
        "aten.bincount.default"
        | "aten.histc.default"
        | "aten._unique.default"
        | "aten._unique2.default"
        | "aten.unique_consecutive.default"
        | "aten.unique_dim.default"
        | "aten.count_nonzero.default"
        | "aten.count_nonzero.dim_IntList"
        | "aten.tril_indices.default"
        | "aten.triu_indices.default"
        | "aten.bucketize.Tensor"
        | "aten.bucketize.Scalar"
        | "aten.searchsorted.Tensor"
        | "aten.searchsorted.Scalar" => Differentiability::NotDifferentiable,
        _ => return None,
    })
}

type Built = Result<Box<dyn crate::autograd::BackwardFn>>;

fn value_selecting(a: &[IValue], dim_at: usize, keepdim_at: usize) -> Built {
    Ok(Box::new(ValueSelectingBackward {
        self_sizes: tensor(a, 0)?.shape().to_vec(),
        dim: match a.get(dim_at) {
            Some(IValue::Int(d)) => *d,
            _ => -1,
        },
        keepdim: matches!(a.get(keepdim_at), Some(IValue::Bool(true))),
        indices: None,
    }))
}

fn evenly_distribute(a: &[IValue], _: &[bool]) -> Built {
    Ok(Box::new(EvenlyDistributeBackward {
        self_: SavedVariable::input(tensor(a, 0)?),
        result: None,
    }))
}

fn cummaxmin(a: &[IValue], _: &[bool]) -> Built {
    Ok(Box::new(CummaxminBackward {
        self_: SavedVariable::input(tensor(a, 0)?),
        dim: int(a, 1),
        indices: None,
    }))
}

fn reduce_backward(a: &[IValue], routing: Routing) -> Built {
    Ok(Box::new(ReduceBackward {
        routing,
        self_: SavedVariable::input(tensor(a, 0)?),
        dim: int(a, 1),
        index: SavedVariable::input(tensor(a, 2)?),
        src: SavedVariable::input(tensor(a, 3)?),
        reduce: match a.get(4) {
            Some(IValue::Str(s)) => s.to_string(),
            _ => String::new(),
        },
        include_self: !matches!(a.get(5), Some(IValue::Bool(false))),
        result: None,
    }))
}
