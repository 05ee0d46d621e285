//! Mutation tests of CPU autocast (format 2.1, api `autocast`): a runtime
//! that ignores `torch.autocast` — its calls inside an autocast region lack
//! the `AutocastCPU` key PyTorch's have — is caught on the `autocast_cpu`
//! golden at the first call of the first region, free-running and
//! anchored, naming the operator.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "autocast_cpu.torch.ftr";

#[test]
fn the_autocast_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

fn assert_dropped_key_is_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    // The region's first call is the token embedding: PyTorch's keyset
    // starts with AutocastCPU, the faulty runtime's with AutogradCPU.
    let first = out
        .lines()
        .find(|l| l.starts_with("first divergence"))
        .unwrap_or_else(|| panic!("no first divergence in {out}"));
    assert!(first.contains("aten.embedding.default"), "{first}");
    assert!(first.contains("keys=AutocastCPU,AutogradCPU"), "{first}");
}

#[test]
fn a_runtime_dropping_the_autocast_key_is_caught_naming_the_op() {
    let (code, out) = replay_with_fault(TRACE, "autocast-key-dropped");
    assert_dropped_key_is_named(code, &out);
}

#[test]
fn a_runtime_dropping_the_autocast_key_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "autocast-key-dropped");
    assert_dropped_key_is_named(code, &out);
}
