//! Mutation test of unpacks under a program dispatch mode
//! (`allow_mutation_on_saved_tensors()`): a runtime whose saved variable
//! uses what the unpack hook returned as it is, without the `detach`
//! PyTorch dispatches through the mode to give it the saved tensor's
//! history, is caught on the `allow_mutation_saved` golden, free-running
//! and anchored.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "allow_mutation_saved.torch.ftr";

#[test]
fn the_golden_matches_without_the_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn an_unpack_without_its_detach_is_caught() {
    for (code, out) in [
        replay_with_fault(TRACE, "unpack-without-detach"),
        replay_anchored_with_fault(TRACE, "unpack-without-detach"),
    ] {
        assert_eq!(code, Some(1), "{out}");
        let first = out
            .lines()
            .find(|l| l.starts_with("first divergence:"))
            .unwrap_or_default();
        assert!(
            first.contains("[dispatch missing]") && first.contains("aten.detach.default"),
            "{out}"
        );
    }
}
