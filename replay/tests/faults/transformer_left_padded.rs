//! Mutation test of the mask check `nn.TransformerEncoder` runs in
//! evaluation before nesting a padded batch (`transformer_left_padded_eval`):
//! a `_nested_tensor_from_mask_left_aligned` that only asks for contiguous
//! valid positions calls a left-padded batch left-aligned, where PyTorch
//! answered no. The boolean result is part of the dispatch event, so the
//! replay fails there (exit 1), free-running and anchored, naming the op.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "transformer_left_padded_eval.torch.ftr";
const OP: &str = "aten._nested_tensor_from_mask_left_aligned.default";

#[test]
fn a_mask_check_accepting_left_padding_diverges_at_the_op() {
    let (code, out) = replay_with_fault(TRACE, "nested-mask-gaps-only");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("first divergence: [dispatch changed]"),
        "{out}"
    );
    assert!(out.contains(&format!("expected dispatch op {OP}")), "{out}");
    let (code, out) = replay_anchored_with_fault(TRACE, "nested-mask-gaps-only");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("mode:     anchored"), "{out}");
    assert!(out.contains(&format!("expected dispatch op {OP}")), "{out}");
}
