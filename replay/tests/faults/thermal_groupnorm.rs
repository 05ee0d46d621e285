//! Mutation tests of group norm's statistics and gradient on the
//! `thermal_groupnorm_kelvin` golden: raw frames in kelvin (300 K with
//! hundredths of a degree of detail) make PyTorch's float32 Welford moments
//! and its backward's lane sums differ from exact ones, so a kernel that
//! uses exact statistics must be caught at the group norm.

use super::support::{replay_anchored_with_fault, replay_with_fault};

const TRACE: &str = "thermal_groupnorm_kelvin.torch.ftr";
const FAULT: &str = "group-norm-exact-statistics";

#[test]
fn exact_statistics_are_caught_anchored_at_the_group_norm() {
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
            .is_some_and(|l| l.contains("aten.native_group_norm.default output 0")),
        "{out}"
    );
    assert!(
        failures
            .iter()
            .any(|l| l.contains("aten.native_group_norm.default output 2")),
        "the inverse deviation differs as well: {out}"
    );
    assert!(
        failures
            .iter()
            .all(|l| l.contains("aten.native_group_norm")),
        "only group norms differ on PyTorch's inputs: {out}"
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
