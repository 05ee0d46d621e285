//! Mutation test of reduced-precision volumetric grid sampling
//! (`bf16_volume_grid_sample`): PyTorch's CPU `grid_sampler_3d` and its
//! backward are scalar loops on the element type, so bfloat16 and float16
//! round every operation (sizes converted to the dtype, coordinates,
//! reflection, corner weights, products and partial sums of the output and
//! of both gradients). The runtime replays every `grid_sampler_3d` and
//! `grid_sampler_3d_backward` of the golden bit for bit on PyTorch's
//! inputs; computing in float and rounding once
//! (`grid-sample-3d-reduced-in-float`) is a value failure of the forward
//! and of both outputs of the backward, free-running and anchored.
//!
//! The affine grids' bases are bfloat16 `linspace(-1, 1, steps)`: PyTorch
//! converts the ends to the dtype and fuses bfloat16's multiply-add, so an
//! odd count has −2⁻²⁵ in the middle. Stepping with two roundings
//! (`linspace-reduced-as-float`) stays within tolerance but makes the 3-d
//! `affine_grid_generator` outputs and the backward's `linspace` calls
//! inexact, where the clean replay is bit for bit.

use serde_json::Value;

use super::support::{assert_replays_to_match, golden, inexact_anchored_on, replay_with_fault};

const TRACE: &str = "bf16_volume_grid_sample.torch.ftr";
const FAULT: &str = "grid-sample-3d-reduced-in-float";
const LINSPACE_FAULT: &str = "linspace-reduced-as-float";
const OPS: [&str; 2] = [
    "aten.grid_sampler_3d.default",
    "aten.grid_sampler_3d_backward.default",
];

#[test]
fn the_corpus_program_matches_with_every_volumetric_sampling_bit_identical() {
    assert_replays_to_match(TRACE);
    let inexact = inexact_anchored_on(TRACE, None);
    for op in OPS {
        assert!(inexact.get(op).is_none(), "{op}: {inexact}");
    }
    assert!(
        inexact.as_object().is_none_or(|m| m.is_empty()),
        "{inexact}"
    );
}

#[test]
fn unfused_bfloat16_linspace_makes_the_affine_grids_inexact() {
    let inexact = inexact_anchored_on(TRACE, Some(LINSPACE_FAULT));
    for op in [
        "aten.affine_grid_generator.default",
        "aten.linspace.default",
    ] {
        assert!(inexact.get(op).is_some(), "{op}: {inexact}");
    }
}

#[test]
fn sampling_in_float_fails_free_running_at_the_first_volume() {
    let (code, out) = replay_with_fault(TRACE, FAULT);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(&format!("drift starts at {}", OPS[0])),
        "{out}"
    );
}

#[test]
fn sampling_in_float_fails_the_forward_and_both_gradients_anchored() {
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
    for (op, output) in [(OPS[0], 0), (OPS[1], 0), (OPS[1], 1)] {
        assert!(failed(op, output), "{op} output {output}: {failures:?}");
    }
}
