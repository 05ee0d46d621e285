//! Which operators PyTorch's Negative key lets through: the fallthrough
//! registrations of ATen's `NegateFallback.cpp` (the view functions and
//! tensor utilities every math-bit key passes, plus the copies and
//! factories that resolve the negative bit themselves). Every other
//! operator reaches the Negative fallback, a boxed kernel: it passes views
//! on and materializes each negative-bit argument of anything else by
//! `clone` (`runtime::conj_fallback`).

/// Overloads (Python names) registered as fallthrough at the Negative key.
const FALLTHROUGH: &[&str] = &[
    // views and their in-place forms
    "aten.as_strided_.default",
    "aten.detach.default",
    "aten.detach_.default",
    "aten.diagonal.default",
    "aten.expand.default",
    "aten.expand_as.default",
    "aten.movedim.int",
    "aten.movedim.intlist",
    "aten.narrow.default",
    "aten.permute.default",
    "aten.select.Dimname",
    "aten.select.int",
    "aten.squeeze.default",
    "aten.squeeze_.default",
    "aten.transpose.int",
    "aten.transpose.Dimname",
    "aten.transpose_.default",
    "aten.t.default",
    "aten.t_.default",
    "aten.real.default",
    "aten.imag.default",
    "aten.view_as_real.default",
    "aten.unflatten.int",
    "aten.unflatten.Dimname",
    "aten.unfold.default",
    "aten.unsqueeze.default",
    "aten.unsqueeze_.default",
    "aten.view_as.default",
    "aten.unbind.int",
    "aten.unbind.Dimname",
    "aten.split.Tensor",
    "aten.split_with_sizes.default",
    "aten.swapaxes.default",
    "aten.swapdims.default",
    "aten.chunk.default",
    "aten.reshape.default",
    "aten.alias.default",
    "aten.hsplit.int",
    "aten.hsplit.array",
    "aten.dsplit.int",
    "aten.dsplit.array",
    "aten.vsplit.int",
    "aten.vsplit.array",
    "aten.conj.default",
    "aten._conj.default",
    "aten._unsafe_view.default",
    "aten.resize_.default",
    "aten.as_strided.default",
    "aten.view.default",
    // tensor utilities and constructors
    "aten.empty_like.default",
    "aten.empty.memory_format",
    "aten.empty.out",
    "aten.empty_strided.default",
    "aten.full_like.default",
    "aten.stride.int",
    "aten.stride.Dimname",
    "aten.size.int",
    "aten.size.Dimname",
    "aten.is_complex.default",
    "aten.is_floating_point.default",
    "aten.requires_grad_.default",
    // the Negative key's own
    "aten.set_.source_Storage_storage_offset",
    "aten.set_.source_Tensor",
    "aten.set_.default",
    "aten.copy_.default",
    "aten.clone.default",
    "aten.neg_.default",
    "aten.resolve_neg.default",
    "aten.resolve_conj.default",
    "aten.repeat_interleave.Tensor",
    "aten.repeat_interleave.self_Tensor",
    "aten.repeat_interleave.self_int",
    "aten._has_same_storage_numel.default",
    "aten.linalg_solve_triangular.default",
    "aten.linalg_solve_triangular.out",
    "aten.linalg_svd.default",
    "aten.linalg_svd.U",
];

/// Whether the Negative key falls through for `op` (a Python overload
/// name such as `aten.select.int`).
pub fn falls_through(op: &str) -> bool {
    FALLTHROUGH.contains(&op)
}

#[cfg(test)]
mod tests {
    use super::falls_through;

    #[test]
    fn views_and_copies_fall_through_other_operators_do_not() {
        assert!(falls_through("aten.select.int"));
        assert!(falls_through("aten.clone.default"));
        // `slice` is no fallthrough: the boxed fallback passes the view on
        // (observed in torch 2.15: its chain shows `Negative: kernel`).
        assert!(!falls_through("aten.slice.Tensor"));
        assert!(!falls_through("aten.mul.Tensor"));
    }
}
