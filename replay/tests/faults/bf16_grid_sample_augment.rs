//! Mutation test of reduced-precision grid sampling
//! (`bf16_grid_sample_augment`): PyTorch's CPU kernel samples bfloat16 and
//! float16 tensors with every operation rounded to the dtype, scatters the
//! input gradient in chunks of 16 pixels, and builds the affine base grid
//! with tensor operations in the dtype. The runtime replays every
//! `affine_grid_generator`, `grid_sampler_2d` and `grid_sampler_2d_backward`
//! bit for bit on PyTorch's inputs; computing in float and rounding once
//! (`grid-sample-reduced-in-float`) is a value failure of all three, both
//! outputs of the backward, free-running and anchored.

use serde_json::Value;

use super::support::{assert_replays_to_match, golden, inexact_anchored_on, replay_with_fault};

const TRACE: &str = "bf16_grid_sample_augment.torch.ftr";
const FAULT: &str = "grid-sample-reduced-in-float";
const OPS: [&str; 3] = [
    "aten.affine_grid_generator.default",
    "aten.grid_sampler_2d.default",
    "aten.grid_sampler_2d_backward.default",
];

#[test]
fn the_corpus_program_matches_with_every_sampling_bit_identical() {
    assert_replays_to_match(TRACE);
    let inexact = inexact_anchored_on(TRACE, None);
    for op in OPS {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
}

#[test]
fn sampling_in_float_fails_free_running_at_the_first_grid() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(&format!("drift starts at {}", OPS[0])),
        "{out}"
    );
}

#[test]
fn sampling_in_float_fails_every_sampling_operator_anchored() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ft-replay"))
        .arg("--against")
        .arg(golden(TRACE))
        .args(["--anchor", "--format", "json", "--inject-fault", FAULT])
        .output()
        .expect("run ft-replay");
    assert_eq!(out.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    let failures = report["values"]["failures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let failed = |op: &str, output: u64| {
        failures
            .iter()
            .any(|f| f["op"] == op && f["output"] == output)
    };
    for (op, output) in [(OPS[0], 0), (OPS[1], 0), (OPS[2], 0), (OPS[2], 1)] {
        assert!(failed(op, output), "{op} output {output}: {failures:?}");
    }
}
