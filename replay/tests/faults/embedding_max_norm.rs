//! Mutation tests of `embedding_renorm_` and the bucketing kernels
//! (`embedding_max_norm`): rows left unscaled are a value failure naming
//! `embedding_renorm_`, caught anchored too; a perturbed `searchsorted` is a
//! value failure naming it.

use super::support::{replay_perturbed, replay_with_fault};

const TRACE: &str = "embedding_max_norm.torch.ftr";

#[test]
fn unscaled_embedding_rows_are_caught_and_named() {
    let (code, out) = replay_with_fault(TRACE, "embedding-renorm-no-scale");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.embedding_renorm_.default"),
        "{out}"
    );
    assert!(
        out.contains("run on PyTorch's inputs (anchored) it still fails"),
        "{out}"
    );
}

#[test]
fn a_perturbed_searchsorted_is_a_value_failure_naming_it() {
    let op = "aten.searchsorted.Tensor";
    let (code, out) = replay_perturbed(TRACE, op, "1");
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains(&format!("drift starts at {op}")), "{out}");
}
