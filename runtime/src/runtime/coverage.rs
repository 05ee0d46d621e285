//! What this runtime build can execute: per-overload support queries over
//! the operator registry, the kernel tables and the derivative table, and
//! the dtypes it can hold.
//!
//! Tools ask these questions before running anything: `ft-replay` lists
//! every operator and dtype a trace needs that the runtime lacks (instead
//! of stopping at the first), `ft-replay coverage` reports per trace what is
//! used and supported, and `docs/COVERAGE.md` is generated from
//! [`Runtime::op_supports`].

use super::Runtime;
use crate::autograd::derivatives::{self, Differentiability};
use crate::dispatch::registry::{OpEntry, Registry};
use crate::kernels;
use crate::tensor::dtype::DType;

/// What autograd records for an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackwardSupport {
    /// A node with this name (`AddmmBackward0`) is recorded.
    Node(&'static str),
    /// The outputs never require grad (factories, comparisons, `detach`).
    NotDifferentiable,
    /// No formula: recording a graph through the operator fails.
    Missing,
}

impl BackwardSupport {
    /// The node name, when the operator records one.
    pub fn node_name(self) -> Option<&'static str> {
        match self {
            BackwardSupport::Node(name) => Some(name),
            _ => None,
        }
    }
}

/// Everything the runtime knows about one overload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpSupport {
    /// Python overload name (`aten.addmm.default`).
    pub op: String,
    /// The `dispatch:` kind of its registry line (`CPU, Meta`,
    /// `CompositeImplicitAutograd`, ...), or `None` when it is not registered.
    pub dispatch: Option<String>,
    /// A backend kernel is registered for it.
    pub kernel: bool,
    /// It is CompositeImplicitAutograd: it runs as its parts.
    pub composite: bool,
    /// What autograd records for it.
    pub backward: BackwardSupport,
    /// Its kernel takes complex operands (a complex path, a view, a kernel
    /// that only moves whole elements) or it runs as its parts; otherwise a
    /// complex operand is refused.
    pub complex: bool,
}

impl OpSupport {
    /// Registered, and either a kernel or a decomposition runs it.
    pub fn executable(&self) -> bool {
        self.dispatch.is_some() && (self.kernel || self.composite)
    }

    /// Whether it can execute with operands of the dtype `name`
    /// (`complex64`): executable, and complex-capable for a complex dtype.
    pub fn executable_with(&self, name: &str) -> bool {
        self.executable() && (self.complex || !DType::from_name(name).is_ok_and(DType::is_complex))
    }

    fn of(op: &str, entry: Option<&OpEntry>) -> OpSupport {
        let backward = match derivatives::lookup(op) {
            Differentiability::Derivative(d) => BackwardSupport::Node(d.name),
            Differentiability::NotDifferentiable => BackwardSupport::NotDifferentiable,
            Differentiability::Missing => BackwardSupport::Missing,
        };
        OpSupport {
            op: op.to_owned(),
            dispatch: entry.map(|e| e.dispatch.clone()),
            kernel: kernels::lookup(op).is_some()
                || kernels::sparse_ops::lookup(op).is_some()
                || kernels::nested_ops::lookup(op).is_some(),
            composite: entry.is_some_and(OpEntry::is_composite_implicit),
            backward,
            complex: entry.is_some_and(|e| {
                e.is_composite_implicit() || kernels::handles_complex(op, &e.schema)
            }),
        }
    }
}

impl Runtime {
    /// Whether this build can execute the overload `op`
    /// (`aten.addmm.default`): it is registered and has a kernel or a
    /// decomposition. A registry that fails to parse supports nothing.
    pub fn supports_op(op: &str) -> bool {
        Runtime::op_support(op).executable()
    }

    /// What this build knows about the overload `op`, registered or not.
    pub fn op_support(op: &str) -> OpSupport {
        let entry = Registry::builtin().ok().and_then(|r| r.get(op).ok());
        OpSupport::of(op, entry)
    }

    /// Every registered overload, by name.
    pub fn op_supports() -> Vec<OpSupport> {
        Registry::builtin()
            .map(|r| {
                r.ops()
                    .map(|e| OpSupport::of(&e.python_name, Some(e)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the autograd kernel of the in-place overload `op` dispatches
    /// `clone(self)` before its kernel (PyTorch's `original_self`) when its
    /// differentiable inputs need gradients as `needs` says (in the order of
    /// the node's next edges): `x.mul_(w)` with only `w` requiring grad
    /// clones `x`; `x.add_(w)` never clones.
    pub fn clones_original_self(op: &str, needs: &[bool]) -> bool {
        match derivatives::lookup(op) {
            Differentiability::Derivative(d) => (d.original_self)(needs),
            _ => false,
        }
    }

    /// Whether tensors of the PyTorch dtype `name` (`float32`, `torch.int64`)
    /// can be held and computed on.
    pub fn supports_dtype(name: &str) -> bool {
        DType::from_name(name).is_ok_and(DType::is_supported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_ops_with_kernels_are_supported() {
        assert!(Runtime::supports_op("aten.addmm.default"));
        let addmm = Runtime::op_support("aten.addmm.default");
        assert_eq!(addmm.backward, BackwardSupport::Node("AddmmBackward0"));
        assert_eq!(addmm.dispatch.as_deref(), Some("CPU, Meta"));
        assert_eq!(
            Runtime::op_support("aten.zeros.default").backward,
            BackwardSupport::NotDifferentiable
        );
    }

    #[test]
    fn unknown_ops_and_dtypes_are_not_supported() {
        assert!(!Runtime::supports_op("aten.frobnicate.default"));
        let unknown = Runtime::op_support("aten.frobnicate.default");
        assert_eq!(unknown.dispatch, None);
        assert!(!unknown.kernel);
        assert!(Runtime::supports_dtype("complex64"));
        assert!(Runtime::supports_dtype("torch.complex128"));
        assert!(!Runtime::supports_dtype("complex32"));
        assert!(Runtime::supports_dtype("torch.bfloat16"));
    }

    #[test]
    fn every_registered_op_is_listed_once_in_name_order() {
        let all = Runtime::op_supports();
        assert!(
            all.iter()
                .any(|s| s.op == "aten.linear.default" && s.composite)
        );
        assert!(all.windows(2).all(|w| w[0].op < w[1].op));
        assert!(all.iter().all(|s| s.dispatch.is_some()));
    }
}
