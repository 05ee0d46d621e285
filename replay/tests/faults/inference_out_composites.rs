//! Mutation tests of composites' `out=` overloads seen whole under
//! `inference_mode` (`native_functions/composite_out.yaml`), on the
//! `inference_out_composites` golden: `matmul.out`'s ADInplaceOrView kernel
//! counts the write, and wrong values written into `out` by a decomposed
//! composite are named.

use super::support::{assert_first_value_failure, replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "inference_out_composites.torch.ftr";

#[test]
fn an_uncounted_matmul_out_write_diverges_at_the_first_matmul_out_both_ways() {
    for anchored in [false, true] {
        let fault = "composite-out-uncounted-write";
        let (code, out) = if anchored {
            replay_anchored_with_fault(TRACE, fault)
        } else {
            replay_with_fault(TRACE, fault)
        };
        assert_eq!(code, Some(1), "anchored={anchored}: {out}");
        assert!(
            out.lines().any(|l| l
                .starts_with("first divergence: [dispatch changed] expected seq 236")
                && l.contains("aten.matmul.out")),
            "anchored={anchored}: {out}"
        );
    }
}

#[test]
fn wrong_values_written_into_out_by_a_composite_are_named_both_ways() {
    for op in [
        "aten.matmul.out",
        "aten.clip.out",
        "aten.std.out",
        "aten.var.out",
        "aten.divide.out_mode",
        "aten.fft_irfft.out",
    ] {
        // Free-running, a wrong value read back by `.item()` later also
        // changes that event's recorded number (exit 1).
        let fault = format!("perturb={op}:0.5");
        assert_first_value_failure(TRACE, &fault, &[1, 3], &format!("{op} output 0"));
    }
}
