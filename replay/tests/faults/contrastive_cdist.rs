//! Mutation tests on the `contrastive_cdist` golden: `_euclidean_dist`
//! (cdist's matrix-product path) gets the room of its cancelling sum under
//! a square root (`checks::accumulation`), which a point's distance to
//! itself needs, and no more: a perturbed distance still fails.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "contrastive_cdist.torch.ftr";

#[test]
fn a_perturbed_distance_is_caught_anchored_and_free_running() {
    let fault = "perturb=aten._euclidean_dist.default:0.01";
    for (code, out) in [
        replay_with_fault(TRACE, fault),
        replay_anchored_with_fault(TRACE, fault),
    ] {
        assert_eq!(code, Some(3), "{out}");
        assert!(
            out.contains("aten._euclidean_dist.default output 0 (expected seq 58, actual seq 58): 1600 of 1600 elements"),
            "{out}"
        );
    }
}

#[test]
fn self_distances_are_judged_within_their_rounding() {
    // Free-running, the distances' residues drift the loss downstream; the
    // anchored re-check finds every operator right on PyTorch's inputs, the
    // self-distances within the room of their summation order.
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("MATCH (free-running values drifted; every operator matches anchored)"),
        "{out}"
    );
}
