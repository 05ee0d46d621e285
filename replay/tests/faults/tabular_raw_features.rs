//! Mutation tests of layer norm's statistics on the `tabular_raw_features`
//! golden: raw columns (years, prices, a 300 ± 0.05 sensor baseline) make
//! PyTorch's float32 Welford moments differ from the exact ones, so a
//! kernel normalising with exact statistics must be caught at the layer
//! norm it breaks.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "tabular_raw_features.torch.ftr";
const FAULT: &str = "layer-norm-exact-moments";

#[test]
fn exact_moments_are_caught_anchored_at_the_layer_norm() {
    let (code, out) = replay_anchored_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    let failures: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("FAIL values"))
        .skip(1)
        .take_while(|l| l.starts_with("       aten."))
        .collect();
    assert!(
        failures
            .first()
            .is_some_and(|l| l.contains("aten.native_layer_norm.default output 0")),
        "{out}"
    );
    assert!(
        failures
            .iter()
            .any(|l| l.contains("aten.native_layer_norm.default output 2")),
        "the inverse deviation differs as well: {out}"
    );
    assert!(
        failures
            .iter()
            .all(|l| l.contains("aten.native_layer_norm.default")),
        "only the layer norms differ on PyTorch's inputs: {out}"
    );
}

#[test]
fn exact_moments_are_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten.native_layer_norm.default"),
        "{out}"
    );
}
