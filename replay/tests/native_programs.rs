//! Native FrankenTorch programs (`runtime/examples/native_*.rs`) against
//! their PyTorch twins: each program, run on the runtime with its twin's
//! recorded random values, must leave a trace that diffs clean against the
//! twin's golden — and a deliberately broken `nn` or `optim` must make the
//! diff fail naming the operator.

#[path = "../../runtime/examples/native/cnn.rs"]
mod cnn;
#[path = "../../runtime/examples/native/gpt.rs"]
mod gpt;
#[path = "../../runtime/examples/native/mlp.rs"]
mod mlp;

use std::path::{Path, PathBuf};

use ft_replay::{Report, Tolerances, TraceData, diff};
use ft_runtime::nn::{NativeTrace, RecordedRandom};
use ft_runtime::{Faults, Runtime};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("replay/ has a parent")
        .join("traces")
        .join(name)
}

/// Runs `program` natively with the random values of `traces/<twin>` and
/// `faults`, and diffs its trace against the twin.
fn run_against<E: std::fmt::Debug>(
    twin: &str,
    faults: Faults,
    program: impl FnOnce(&mut Runtime) -> Result<(), E>,
) -> Report {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("native.ftr");
    let torch = golden(twin);
    let random = RecordedRandom::from_trace(&torch).expect("random values");
    let (trace, mut rt) = NativeTrace::create(&out, "native").expect("trace");
    rt.set_faults(faults);
    random.install(&mut rt).expect("install");
    program(&mut rt).expect("the native program runs");
    trace.finish(rt).expect("finish");
    let expected = TraceData::load(&torch).expect("twin");
    let actual = TraceData::load(&out).expect("native trace");
    diff(&expected, &actual, &Tolerances::default())
}

fn mlp(rt: &mut Runtime) -> ft_runtime::Result<()> {
    mlp::train(rt).map(|_| ())
}

fn cnn(rt: &mut Runtime) -> ft_runtime::Result<()> {
    cnn::train(rt).map(|_| ())
}

fn gpt(rt: &mut Runtime) -> Result<(), ft_runtime::nn::NnError> {
    gpt::train(rt).map(|_| ())
}

#[test]
fn native_mlp_matches_its_pytorch_twin() {
    let report = run_against("native_mlp.torch.ftr", Faults::default(), mlp);
    assert_eq!(report.exit() as i32, 0, "{}", report.to_text(false));
}

#[test]
fn native_cnn_matches_its_pytorch_twin() {
    let report = run_against("native_cnn.torch.ftr", Faults::default(), cnn);
    assert_eq!(report.exit() as i32, 0, "{}", report.to_text(false));
}

/// Embedding, LayerNorm, Linear over `(batch, time, channels)`, tanh GELU,
/// Sigmoid, `load_state_dict(other.state_dict())` (its `detach` and `copy_`
/// calls), AdamW and Adam with L2 decay, `zero_grad(set_to_none=False)`.
#[test]
fn native_gpt_matches_its_pytorch_twin() {
    let report = run_against("native_gpt.torch.ftr", Faults::default(), gpt);
    assert_eq!(report.exit() as i32, 0, "{}", report.to_text(false));
}

#[test]
fn adamw_decay_applied_as_l2_is_a_dispatch_divergence_at_mul_() {
    let faults = Faults {
        adamw_decay_as_l2: true,
        ..Faults::default()
    };
    let report = run_against("native_gpt.torch.ftr", faults, gpt);
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
    let report = run_against("native_mlp.torch.ftr", faults, mlp);
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
    let report = run_against("native_cnn.torch.ftr", faults, cnn);
    let text = report.to_text(false);
    assert_ne!(report.exit() as i32, 0, "{text}");
    let first = report.first_divergence.as_ref().expect("a divergence");
    assert!(first.message.contains("aten.div.Tensor"), "{text}");
}
