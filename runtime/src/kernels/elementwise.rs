//! CPU (and meta) kernels of the elementwise, activation, comparison and logic operators.

use super::Kernel;

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    let _ = op;
    None
}
