//! Native FrankenTorch programs (`runtime/examples/native_*.rs`, run
//! through `ft_replay::native`) against their PyTorch twins: each program,
//! run on the runtime with its twin's recorded random values, must leave a
//! trace that diffs clean against the twin's golden — and a deliberately
//! broken `nn` or `optim` must make the diff fail naming the operator.

use std::path::{Path, PathBuf};

use ft_replay::native::{NativeRun, program};
use ft_replay::{Report, Tolerances, TraceData, diff};
use ft_runtime::Faults;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("replay/ has a parent")
        .join("traces")
        .join(name)
}

/// Runs native program `name` with the random values of its twin
/// `traces/<name>.torch.ftr` and `faults`, and diffs its trace against the
/// twin.
fn run_against(name: &str, faults: Faults) -> Report {
    let torch = golden(&format!("{name}.torch.ftr"));
    let program = program(name).expect("a native program");
    let actual = match program.run(&torch, faults).expect("the program runs") {
        NativeRun::Ran(trace) => *trace,
        NativeRun::Failed(e) => panic!("{name} stopped: {e}"),
    };
    let expected = TraceData::load(&torch).expect("twin");
    diff(&expected, &actual, &Tolerances::default())
}

#[test]
fn native_mlp_matches_its_pytorch_twin() {
    let report = run_against("native_mlp", Faults::default());
    assert_eq!(report.exit() as i32, 0, "{}", report.to_text(false));
}

#[test]
fn native_cnn_matches_its_pytorch_twin() {
    let report = run_against("native_cnn", Faults::default());
    assert_eq!(report.exit() as i32, 0, "{}", report.to_text(false));
}

/// Embedding, LayerNorm, Linear over `(batch, time, channels)`, tanh GELU,
/// Sigmoid, `load_state_dict(other.state_dict())` (its `detach` and `copy_`
/// calls), AdamW and Adam with L2 decay, `zero_grad(set_to_none=False)`.
#[test]
fn native_gpt_matches_its_pytorch_twin() {
    let report = run_against("native_gpt", Faults::default());
    assert_eq!(report.exit() as i32, 0, "{}", report.to_text(false));
}

#[test]
fn adamw_decay_applied_as_l2_is_a_dispatch_divergence_at_mul_() {
    let faults = Faults {
        adamw_decay_as_l2: true,
        ..Faults::default()
    };
    let report = run_against("native_gpt", faults);
    let text = report.to_text(false);
    assert_eq!(report.exit() as i32, 1, "{text}");
    let first = report.first_divergence.as_ref().expect("a divergence");
    assert_eq!(first.check, "dispatch", "{text}");
    assert!(first.message.contains("aten.mul_.Tensor"), "{text}");
}

#[test]
fn a_wrong_linear_init_bound_is_a_dispatch_divergence_at_uniform() {
    let faults = Faults {
        wrong_init_bound: true,
        ..Faults::default()
    };
    let report = run_against("native_mlp", faults);
    let text = report.to_text(false);
    assert_eq!(report.exit() as i32, 1, "{text}");
    let first = report.first_divergence.as_ref().expect("a divergence");
    assert_eq!(first.check, "dispatch", "{text}");
    assert!(first.message.contains("aten.uniform_.default"), "{text}");
}

#[test]
fn adam_without_bias_correction_is_caught_at_its_div() {
    let faults = Faults {
        adam_skip_bias_correction: true,
        ..Faults::default()
    };
    let report = run_against("native_cnn", faults);
    let text = report.to_text(false);
    assert_ne!(report.exit() as i32, 0, "{text}");
    let first = report.first_divergence.as_ref().expect("a divergence");
    assert!(first.message.contains("aten.div.Tensor"), "{text}");
}

/// `load_state_dict(strict=False)` of a state dict with unexpected and
/// missing keys (its `detach` and `copy_` calls), SGD with dampened
/// momentum and weight decay, Tanh and Dropout in a classifier.
#[test]
fn native_finetune_matches_its_pytorch_twin() {
    let report = run_against("native_finetune", Faults::default());
    assert_eq!(report.exit() as i32, 0, "{}", report.to_text(false));
}

/// The load's `no_grad` region then holds no operator, so the runtime
/// writes no grad-mode switch either: the first divergence is that
/// missing switch, and the dispatch check names the two missing `copy_`.
#[test]
fn a_nonstrict_load_that_copies_nothing_misses_its_copy_calls() {
    let faults = Faults {
        nonstrict_load_copies_nothing: true,
        ..Faults::default()
    };
    let report = run_against("native_finetune", faults);
    let text = report.to_text(false);
    assert_eq!(report.exit() as i32, 1, "{text}");
    let missing_copies = text
        .lines()
        .filter(|l| l.contains("[dispatch missing]") && l.contains("aten.copy_.default"))
        .count();
    assert_eq!(missing_copies, 2, "{text}");
}
