//! Mutation tests of `out=` overloads and in-place forms written through
//! their functional kernels, on the `preallocated_out_buffers` golden:
//! a resized `out` must take the strides the functional kernel computed,
//! and wrong values of `addmm_` / `amax.out` are named.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "preallocated_out_buffers.torch.ftr";

fn first_divergence(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("first divergence:"))
        .unwrap_or("")
}

#[test]
fn a_contiguous_resize_of_out_is_caught_at_mul_out_free_running() {
    let (code, out) = replay_with_fault(TRACE, "out-resize-contiguous");
    assert_eq!(code, Some(1), "{out}");
    let first = first_divergence(&out);
    assert!(first.contains("aten.mul.out"), "{out}");
    assert!(
        first.contains("s[1, 6]") && first.contains("s[5, 1]"),
        "{out}"
    );
}

#[test]
fn a_contiguous_resize_of_out_is_caught_at_mul_out_anchored() {
    let (code, out) = replay_anchored_with_fault(TRACE, "out-resize-contiguous");
    assert_eq!(code, Some(1), "{out}");
    assert!(first_divergence(&out).contains("aten.mul.out"), "{out}");
}

#[test]
fn wrong_values_of_the_inplace_and_out_forms_are_named_anchored() {
    for op in ["aten.addmm_.default", "aten.amax.out", "aten.mm.out"] {
        let (code, out) = replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.5"));
        assert_eq!(code, Some(3), "{op}: {out}");
        let failures = value_failures(&out);
        assert!(
            failures
                .first()
                .is_some_and(|l| l.contains(&format!("{op} output 0"))),
            "{op}: {out}"
        );
    }
}
