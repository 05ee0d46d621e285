//! Mutation tests of the floating-point representation operators on the
//! `float_bits_quantiser` golden: `view.dtype` must reinterpret bit
//! patterns, and wrong `frexp` / `ldexp` / `nextafter` / `rad2deg` values
//! are named.

use super::support::{replay_anchored_with_fault, replay_with_fault, value_failures};

const TRACE: &str = "float_bits_quantiser.torch.ftr";

#[test]
fn a_view_dtype_that_casts_is_caught_anchored_at_the_view() {
    let (code, out) = replay_anchored_with_fault(TRACE, "view-dtype-casts");
    assert_eq!(code, Some(3), "{out}");
    let failures = value_failures(&out);
    assert!(
        failures
            .iter()
            .all(|l| l.contains("aten.view.dtype output 0")),
        "only the views differ on PyTorch's inputs: {out}"
    );
    assert!(!failures.is_empty(), "{out}");
}

#[test]
fn a_view_dtype_that_casts_is_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, "view-dtype-casts");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        value_failures(&out)
            .first()
            .is_some_and(|l| l.contains("aten.view.dtype output 0")),
        "{out}"
    );
}

#[test]
fn wrong_values_of_the_representation_operators_are_named_anchored() {
    for op in [
        "aten.frexp.Tensor",
        "aten.ldexp.Tensor",
        "aten.nextafter.default",
        "aten.rad2deg.default",
        "aten.deg2rad.default",
    ] {
        let (code, out) = replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.5"));
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            value_failures(&out)
                .first()
                .is_some_and(|l| l.contains(&format!("{op} output 0"))),
            "{op}: {out}"
        );
    }
}
