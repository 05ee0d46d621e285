//! Mutation test of the softmax gradient's float32 arithmetic on the
//! `vqvae_gumbel` golden: a hard Gumbel-softmax over the channel dimension
//! sends a gradient that nearly cancels its sum `sum(g * y)`, so a sum in
//! float64 rounded once leaves elements far outside float32's tolerance.

use super::support::{assert_first_value_failure, replay_anchored_with_fault, value_failures};

const TRACE: &str = "vqvae_gumbel.torch.ftr";
const FAULT: &str = "softmax-grad-in-double";

#[test]
fn softmax_gradient_summed_in_double_is_caught_both_ways() {
    let [free, _] = assert_first_value_failure(
        TRACE,
        FAULT,
        &[3],
        "aten._softmax_backward_data.default output 0",
    );
    assert!(
        free.contains("drift starts at aten._softmax_backward_data.default"),
        "{free}"
    );
}

#[test]
fn softmax_gradient_summed_in_double_fails_on_pytorchs_inputs() {
    let (code, out) = replay_anchored_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    let failures = value_failures(&out);
    assert!(
        !failures.is_empty()
            && failures
                .iter()
                .all(|l| l.contains("aten._softmax_backward_data.default")),
        "only the softmax gradient differs on PyTorch's inputs: {out}"
    );
}
