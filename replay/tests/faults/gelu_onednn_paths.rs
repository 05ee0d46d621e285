//! Mutation tests of GELU's two CPU paths on the `gelu_onednn_paths` golden:
//! oneDNN's kernel for a contiguous float32/bfloat16/float16 `self` of
//! several elements (bit for bit, with its overflow above 1.7e38 and NaN at
//! +inf), ATen's for a single element or a non-contiguous `self` (+inf
//! stays inf). ATen's own formula on oneDNN's path, oneDNN's on every
//! layout, and a finite GELU of +inf are each caught at `gelu`.

use super::support::{assert_drift_starts_at_both_ways, assert_replays_to_match, run};

const TRACE: &str = "gelu_onednn_paths.torch.ftr";

#[test]
fn the_corpus_program_matches() {
    assert_replays_to_match(TRACE);
}

#[test]
fn only_atens_non_contiguous_float32_path_is_not_bit_identical() {
    // oneDNN's path is PyTorch's to the bit; ATen's vectorised erf (the
    // transposed float32 input and its gradient) is not reproduced.
    let (code, out) = run(TRACE, &["--anchor"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("aten.gelu.default ×1 ("), "{out}");
    assert!(out.contains("aten.gelu_backward.default ×1 ("), "{out}");
    assert!(!out.contains("aten.gelu_.default"), "{out}");
}

#[test]
fn atens_formula_on_onednns_path_is_caught() {
    assert_drift_starts_at_both_ways(
        TRACE,
        "gelu-aten-formula-on-onednn-path",
        "aten.gelu.default",
    );
}

#[test]
fn onednns_kernel_for_every_layout_is_caught() {
    assert_drift_starts_at_both_ways(TRACE, "gelu-onednn-for-every-layout", "aten.gelu.default");
}

#[test]
fn a_finite_gelu_of_infinity_on_onednns_path_is_caught() {
    assert_drift_starts_at_both_ways(TRACE, "gelu-float-inf-finite", "aten.gelu.default");
}
