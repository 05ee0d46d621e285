//! Mutation tests of explicit `torch.Generator` arguments: a runtime that
//! leaves a generator's backend key out of the dispatch key set — so
//! `randperm(n, generator=g)` dispatches with `BackendSelect` alone where
//! PyTorch's call has `BackendSelect, CPU` — is caught on the
//! `explicit_generators` golden at the first seeded call (the
//! `random_split`'s permutation), free-running and anchored.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "explicit_generators.torch.ftr";

#[test]
fn the_explicit_generators_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "MATCH"), "{out}");
}

fn assert_dropped_key_is_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    let first = out
        .lines()
        .find(|l| l.starts_with("first divergence"))
        .unwrap_or_else(|| panic!("no first divergence in {out}"));
    assert!(first.contains("aten.randperm.generator"), "{first}");
    assert!(first.contains("keys=BackendSelect,CPU"), "{first}");
}

#[test]
fn a_runtime_dropping_the_generator_key_is_caught_naming_the_op() {
    let (code, out) = replay_with_fault(TRACE, "generator-key-dropped");
    assert_dropped_key_is_named(code, &out);
}

#[test]
fn a_runtime_dropping_the_generator_key_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "generator-key-dropped");
    assert_dropped_key_is_named(code, &out);
}
