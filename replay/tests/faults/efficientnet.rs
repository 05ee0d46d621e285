//! Mutation tests of `efficientnet_style` (torchvision's `EfficientNet` on
//! 8×8 images, its last stage on a 1×1 map where BatchNorm normalises pairs
//! and its gradient cancels, trained with a 2^16 loss scale): the batch
//! norm backward and SiLU gradient get the room of PyTorch's float
//! arithmetic (`checks/norm_room.rs`), and a deliberately perturbed kernel
//! is still caught beyond it, free-running and anchored, naming the
//! operator.

use super::support::{golden, replay, replay_anchored_with_fault, replay_perturbed};

const TRACE: &str = "efficientnet_style.torch.ftr";

const OPS: [&str; 4] = [
    "aten.native_batch_norm_backward.default",
    "aten.native_batch_norm.default",
    "aten.silu_backward.default",
    "aten.sigmoid.default",
];

#[test]
fn the_golden_matches_free_running_and_anchored() {
    let (code, out) = replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .arg("--against")
        .arg(golden(TRACE))
        .arg("--anchor")
        .env("NO_COLOR", "1")
        .output()
        .expect("run ft-replay");
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(out.contains("MATCH"), "{out}");
    // The cancelling 1×1 batch norm gradients are judged with their room.
    assert!(
        out.contains("within the rounding of another summation order"),
        "{out}"
    );
}

#[test]
fn perturbed_kernels_are_value_failures_naming_the_op() {
    for op in OPS {
        let (code, out) = replay_perturbed(TRACE, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(out.contains(op), "{op}: {out}");
        assert!(!out.contains("MATCH (free-running"), "{op}: {out}");
    }
}

#[test]
fn perturbed_kernels_are_caught_anchored_at_the_op() {
    for op in OPS {
        let (code, out) = replay_anchored_with_fault(TRACE, &format!("perturb={op}:0.01"));
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}
