//! Mutation test of `_trilinear` on the `bf16_bilinear_interactions`
//! golden: PyTorch's bfloat16 `nn.Bilinear` contracts `x1 · W` first and
//! rounds that buffer to bfloat16 before contracting it with `x2` (and its
//! backward runs three more `_trilinear` calls the same way). Summing the
//! triple product in float64 and rounding once puts gradients a bfloat16
//! ulp or more off, beyond tolerance where they cancel.

use super::support::run;

const TRACE: &str = "bf16_bilinear_interactions.torch.ftr";
const FAULT: &str = "trilinear-rounded-once";

#[test]
fn rounding_the_triple_product_once_is_caught_at_trilinear() {
    let (code, out) = run(TRACE, &["--anchor", "--inject-fault", FAULT]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("drift starts at aten._trilinear.default"),
        "{out}"
    );
}

#[test]
fn every_trilinear_is_bit_identical_anchored() {
    let (code, out) = run(TRACE, &["--anchor"]);
    assert_eq!(code, Some(0), "{out}");
    let not_identical = out
        .lines()
        .find(|l| l.contains("not bit-identical on PyTorch's inputs"))
        .unwrap_or_default();
    assert!(!not_identical.contains("aten._trilinear"), "{out}");
}
