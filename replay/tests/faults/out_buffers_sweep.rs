//! Mutation tests of the `out=` overloads registered without kernels of
//! their own (`native_functions/out.yaml`), on the `out_buffers_sweep`
//! golden: a widening sum must accumulate in `out`'s dtype, and wrong
//! values written into `out` (single results, pairs of values and
//! indices, lists concatenated into a buffer) are named.

use super::support::{assert_first_value_failure, replay_anchored_with_fault, value_failures};

const TRACE: &str = "out_buffers_sweep.torch.ftr";

#[test]
fn a_widening_sum_accumulated_in_the_inputs_dtype_is_caught_anchored() {
    // Free-running cannot see it: a float64 value computed from float32
    // data is judged at float32's tolerance there, and a float32 sum of
    // 4096 terms is within it. On PyTorch's inputs the float64 sum is
    // held to float64's.
    let (code, out) = replay_anchored_with_fault(TRACE, "out-reduction-in-input-dtype");
    assert_eq!(code, Some(3), "{out}");
    let failures = value_failures(&out);
    assert!(
        failures
            .first()
            .is_some_and(|l| l.contains("aten.sum.IntList_out output 0")),
        "{out}"
    );
}

#[test]
fn wrong_values_written_into_out_are_named_both_ways() {
    for op in [
        "aten.cat.out",
        "aten.stack.out",
        "aten.sum.IntList_out",
        "aten.max.dim_max",
        "aten.sort.values",
        "aten.lerp.Scalar_out",
    ] {
        // Free-running, a wrong value read back by `.item()` later also
        // changes that event's recorded number (exit 1).
        let fault = format!("perturb={op}:0.5");
        assert_first_value_failure(TRACE, &fault, &[1, 3], &format!("{op} output 0"));
    }
}
