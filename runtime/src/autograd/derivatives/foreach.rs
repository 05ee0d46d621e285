//! Derivative table rows of the `_foreach_*` operators.

use super::Differentiability;

/// The autograd entry of `op` if it belongs to this family.
pub(super) fn lookup(op: &str) -> Option<Differentiability> {
    let _ = op;
    None
}
