//! Mutation tests of program-defined operators (format 2.7, api
//! `below_autograd`): a runtime that keeps the autograd keys while a
//! `torch.library.custom_op` kernel runs — as if it ignored the state —
//! is caught on the `custom_op_layers` golden at the kernel's first call,
//! free-running and anchored, naming the operator and the keyset PyTorch
//! dispatched it with.

use super::support::{replay, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "custom_op_layers.torch.ftr";

#[test]
fn the_custom_op_golden_matches_without_a_fault() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
}

fn assert_autograd_key_is_named(code: Option<i32>, out: &str) {
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    // The first kernel is `bucket_ids`: its `linspace` is a factory (no
    // tensor in), so the first call the state changes is its `clamp`.
    let first = out
        .lines()
        .find(|l| l.starts_with("first divergence"))
        .unwrap_or_else(|| panic!("no first divergence in {out}"));
    assert!(first.contains("aten.clamp.default"), "{first}");
    assert!(
        first.contains(
            "`keys=ADInplaceOrView,BackendSelect,CPU chain=ADInplaceOrView` vs `keys=AutogradCPU"
        ),
        "{first}"
    );
}

#[test]
fn a_runtime_keeping_autograd_in_a_custom_op_kernel_is_caught_naming_the_op() {
    let (code, out) = replay_with_fault(TRACE, "below-autograd-ignored");
    assert_autograd_key_is_named(code, &out);
}

#[test]
fn a_runtime_keeping_autograd_in_a_custom_op_kernel_is_caught_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "below-autograd-ignored");
    assert_autograd_key_is_named(code, &out);
}
