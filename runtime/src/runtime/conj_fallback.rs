//! PyTorch's Conjugate and Negative fallbacks: an operator without
//! conjugate-aware (negation-aware) kernels never sees a tensor whose
//! conjugate (negative) bit is set.
//!
//! Below autograd (the node saves the conjugate view itself), each tensor
//! argument with the bit is materialized by `clone`, which is recorded
//! with the conjugate tensor's keys (its walk passes AutogradCPU) and gets
//! no node; the runtime dispatches it with grad mode off. Observed in
//! torch 2.15:
//! `z.conj() * w` records `_conj(z)`, `clone(conj)`, `mul(clone, w)`, with
//! MulBackward0's edge on ConjBackward0; MulBackward0 of a complex product
//! records `_conj(other)`, `clone`, `mul(grad, clone)`.
//!
//! Operators the fallback lets through: views (`view`, `expand`,
//! `select`, `_conj`, ...), `clone`, `copy_`, `_to_copy`, `detach`, the
//! `*_like` factories, `_conj_physical`, `mm`, `bmm`, `addmm`, `baddbmm`, `dot` and
//! `vdot`. The Negative fallback lets through views, `clone`, `copy_`,
//! `neg_` and a few factories ([`crate::dispatch::negative`]), so
//! `x.conj().imag * 2` records `clone(neg_view)` then `mul` (observed in
//! torch 2.15); an in-place operator writing into a negative-bit `self`
//! is refused by name (PyTorch clones it and copies the result back).
//! The clones of the last top-level
//! call are handed to the replayer with the in-place original selves
//! ([`super::Runtime::take_original_selves`]).

use super::Runtime;
use crate::dispatch::registry::OpEntry;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;

/// Operators with conjugate-aware kernels besides views.
const CONJ_AWARE: &[&str] = &[
    "aten.clone.default",
    "aten.copy_.default",
    "aten._to_copy.default",
    "aten._conj_physical.default",
    "aten.empty_like.default",
    "aten.zeros_like.default",
    "aten.ones_like.default",
    // BLAS takes a conjugate flag (observed in torch 2.15: `a.mm(b.conj().t())`
    // and BmmBackward0's `bmm(self.transpose(1, 2).conj(), grad)` dispatch no
    // `clone`)
    "aten.mm.default",
    "aten.bmm.default",
    // (observed in torch 2.15: `addmm(c, m.conj(), n)` dispatches no `clone`)
    "aten.addmm.default",
    // (observed in torch 2.15: `baddbmm(c, a.conj(), b)` dispatches no `clone`)
    "aten.baddbmm.default",
    // `dot`/`vdot` reroute a conjugate operand (observed in torch 2.15:
    // `dot(a.conj(), b.conj())` dispatches no `clone`, its result has the
    // conjugate bit; `kernels/complex/linalg.rs`)
    "aten.dot.default",
    "aten.vdot.default",
];

impl Runtime {
    /// `args` with every conjugate-bit tensor replaced by its materialized
    /// clone; `None` when nothing is replaced (no such tensor, or `entry`
    /// is conjugate-aware).
    pub(super) fn materialize_conjugates(
        &mut self,
        entry: &OpEntry,
        args: &[IValue],
    ) -> Result<Option<Vec<IValue>>> {
        let op = entry.python_name.as_str();
        if entry.schema.is_view() {
            return Ok(None);
        }
        let has_conj = args.iter().enumerate().any(|(i, v)| {
            matches!(v, IValue::Tensor(t) if t.is_conj()) && !(i == 0 && entry.schema.is_inplace())
        });
        let aware = CONJ_AWARE.contains(&op)
            && !(self.faults.dot_through_conj_fallback
                && matches!(op, "aten.dot.default" | "aten.vdot.default"));
        let has_neg = !crate::dispatch::negative::falls_through(op)
            && args
                .iter()
                .flat_map(IValue::tensors)
                .any(crate::tensor::Tensor::is_neg);
        if has_neg {
            if (entry.schema.is_inplace() || entry.schema.is_out())
                && matches!(args.first(), Some(IValue::Tensor(t)) if t.is_neg())
            {
                return Err(RuntimeError::unsupported(
                    op,
                    "writing into a negative-bit view (resolve it first: `x.resolve_neg()`)",
                ));
            }
            let grad_enabled = std::mem::replace(&mut self.grad_enabled, false);
            let out = self.clone_negatives(entry, args);
            self.grad_enabled = grad_enabled;
            return out.map(Some);
        }
        if !has_conj || aware {
            return Ok(None);
        }
        let grad_enabled = std::mem::replace(&mut self.grad_enabled, false);
        let out = self.clone_conjugates(entry, args);
        self.grad_enabled = grad_enabled;
        out.map(Some)
    }

    /// `args` with every negative-bit tensor (or tensor in a list)
    /// replaced by its `clone`, in argument order.
    fn clone_negatives(&mut self, entry: &OpEntry, args: &[IValue]) -> Result<Vec<IValue>> {
        let op = entry.python_name.as_str();
        let mut out = Vec::with_capacity(args.len());
        for value in args.iter().cloned() {
            match value {
                IValue::Tensor(t) if t.is_neg() => {
                    let clone = self.clone_one(op, &t)?;
                    out.push(IValue::Tensor(clone));
                }
                IValue::TensorList(ts) if ts.iter().any(crate::tensor::Tensor::is_neg) => {
                    let mut list = Vec::with_capacity(ts.len());
                    for t in ts {
                        list.push(if t.is_neg() {
                            self.clone_one(op, &t)?
                        } else {
                            t
                        });
                    }
                    out.push(IValue::TensorList(list));
                }
                other => out.push(other),
            }
        }
        Ok(out)
    }

    /// `clone(t)`, handed to the replayer as a materialized argument.
    fn clone_one(&mut self, op: &str, t: &crate::tensor::Tensor) -> Result<crate::tensor::Tensor> {
        let clone = self
            .dispatch("aten.clone.default", vec![t.into()])?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported(op, "clone without a result"))?;
        self.original_selves.push(clone.clone());
        Ok(clone)
    }

    fn clone_conjugates(&mut self, entry: &OpEntry, args: &[IValue]) -> Result<Vec<IValue>> {
        let op = entry.python_name.as_str();
        let mut out = Vec::with_capacity(args.len());
        for (i, value) in args.iter().cloned().enumerate() {
            let IValue::Tensor(t) = &value else {
                out.push(value);
                continue;
            };
            if !t.is_conj() {
                out.push(value);
                continue;
            }
            if i == 0 && entry.schema.is_inplace() {
                // the kernel writes through the conjugate view, resolving it
                out.push(value);
                continue;
            }
            let clone = self.clone_one(op, t)?;
            out.push(IValue::Tensor(clone));
        }
        Ok(out)
    }
}
