//! Mutation test on the `topk_ties_selection` golden: a `topk` that keeps
//! equal values in position order and returns `sorted=False` selections
//! sorted, and an unstable `sort` that keeps ties in place, where PyTorch
//! leaves what libstdc++'s `nth_element`, `partial_sort` and `sort` leave.
//! Anchored every failure is a `topk` or `sort` run on PyTorch's inputs:
//! the ProbSparse query selection (`sorted=False`) first, the k-sparse
//! autoencoder's ties among zero codes (`partial_sort`) and the listwise
//! loss's tied grades (`sort`) too.

use super::support::{assert_anchored_value_failures, replay, replay_with_fault};

const TRACE: &str = "topk_ties_selection.torch.ftr";

#[test]
fn free_running_the_router_takes_other_experts() {
    // The tied gate scores pick other experts: an expert's batch is empty
    // where PyTorch's was not, and the replay cannot go on. Before it, the
    // selections differ (drift starting at `topk`) and a `.item()` of the
    // routing reads another value.
    let (code, out) = replay_with_fault(TRACE, "topk-position-order");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("drift starts at aten.topk.default (expected seq 214"),
        "{out}"
    );
    assert!(
        out.contains("first divergence: [dispatch changed] expected seq 587")
            && out.contains("then stopped:"),
        "{out}"
    );
}

#[test]
fn anchored_only_selections_differ() {
    assert_anchored_value_failures(
        TRACE,
        "topk-position-order",
        "aten.topk.default output 0 (expected seq 214",
        &[
            "aten.topk.default output 1 (expected seq 343",
            "aten.sort.default output 1 (expected seq 749",
        ],
        "",
    );
}

#[test]
fn the_selections_match() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
}
