//! Mutation tests of layer norm's statistics on the `tabular_raw_features`
//! golden: raw columns (years, prices, a 300 ± 0.05 sensor baseline) make
//! PyTorch's float32 Welford moments differ from the exact ones, so a
//! kernel normalising with exact statistics must be caught at the layer
//! norm it breaks.

use super::support::{assert_anchored_value_failures, replay_with_fault};

const TRACE: &str = "tabular_raw_features.torch.ftr";
const FAULT: &str = "layer-norm-exact-moments";

#[test]
fn exact_moments_are_caught_anchored_at_the_layer_norm() {
    assert_anchored_value_failures(
        TRACE,
        FAULT,
        "aten.native_layer_norm.default output 0",
        &["aten.native_layer_norm.default output 2"],
        "aten.native_layer_norm.default",
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
