//! Mutation tests of group norm's statistics and gradient on the
//! `thermal_groupnorm_kelvin` golden: raw frames in kelvin (300 K with
//! hundredths of a degree of detail) make PyTorch's float32 Welford moments
//! and its backward's lane sums differ from exact ones, so a kernel that
//! uses exact statistics must be caught at the group norm.

use super::support::{assert_anchored_value_failures, replay_with_fault};

const TRACE: &str = "thermal_groupnorm_kelvin.torch.ftr";
const FAULT: &str = "group-norm-exact-statistics";

#[test]
fn exact_statistics_are_caught_anchored_at_the_group_norm() {
    assert_anchored_value_failures(
        TRACE,
        FAULT,
        "aten.native_group_norm.default output 0",
        &["aten.native_group_norm.default output 2"],
        "aten.native_group_norm",
    );
}

#[test]
fn exact_statistics_are_caught_free_running() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("aten.native_group_norm.default (expected seq 97) is wrong"),
        "{out}"
    );
}
