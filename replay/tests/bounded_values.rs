//! A replay keeps a bounded amount of value bytes: values are judged against
//! PyTorch's as the runtime produces them, and the verdict of the diff does
//! not depend on how many bytes were kept.
//!
//! Each test replays a golden with no value memory at all (every runtime
//! value's bytes dropped as soon as it is judged) and compares with the
//! default replay: the values check must report exactly the same, and a
//! broken kernel must still be caught and named.

use std::path::{Path, PathBuf};

use ft_replay::executor::{ReplayOptions, parse_faults, replay};
use ft_replay::{Exit, Report, Tolerances, TraceData, diff};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name)
}

fn replay_report(torch: &TraceData, value_memory: usize, faults: &[&str]) -> Report {
    let faults: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
    let options = ReplayOptions {
        faults: parse_faults(&faults).expect("fault spec"),
        value_memory,
        ..ReplayOptions::default()
    };
    let ours = replay(torch, &options).expect("replay").into_trace_data();
    diff(torch, &ours, &Tolerances::new(None, None))
}

fn values_json(report: &Report) -> serde_json::Value {
    serde_json::to_value(&report.values).expect("values summary serialises")
}

#[test]
fn judging_values_as_produced_gives_the_same_values_check_as_keeping_them() {
    for name in [
        "mlp_train.torch.ftr",
        "gpt_decoder.torch.ftr",
        "cnn_sgd.torch.ftr",
    ] {
        let torch = TraceData::load(&golden(name)).expect("golden");
        let kept = replay_report(&torch, usize::MAX, &[]);
        let judged = replay_report(&torch, 0, &[]);
        assert_eq!(kept.exit(), Exit::Match, "{name}: {}", kept.to_text(false));
        assert!(
            kept.values.compared > kept.values.identical,
            "{name}: the golden should hold values that are not bit-identical"
        );
        assert_eq!(values_json(&kept), values_json(&judged), "{name}");
        assert_eq!(judged.values.not_retained, 0, "{name}");
    }
}

#[test]
fn a_perturbed_kernel_is_caught_without_keeping_any_value() {
    let torch = TraceData::load(&golden("mlp_train.torch.ftr")).expect("golden");
    let report = replay_report(&torch, 0, &["perturb=aten.addmm.default:0.01"]);
    assert_eq!(report.exit(), Exit::Values, "{}", report.to_text(false));
    let first = report.values.failures.first().expect("a value failure");
    assert_eq!(first.op, "aten.addmm.default");
    assert_eq!(first.drift, "local");
    assert_eq!(report.values.not_retained, 0);
}

#[test]
fn values_of_a_diverged_stream_that_were_not_kept_are_counted_not_guessed() {
    // Running ready nodes in reverse order names gradients in another order,
    // so the runtime's values no longer line up with PyTorch's by id: with no value memory
    // the values check must say it could not compare them.
    let torch = TraceData::load(&golden("mlp_train.torch.ftr")).expect("golden");
    let kept = replay_report(&torch, usize::MAX, &["reverse-ready-queue"]);
    let dropped = replay_report(&torch, 0, &["reverse-ready-queue"]);
    assert_ne!(kept.exit(), Exit::Match);
    assert_eq!(kept.values.not_retained, 0);
    assert!(
        dropped.values.not_retained > 0,
        "{}",
        dropped.to_text(false)
    );
    assert!(dropped.to_text(false).contains("not retained"));
    assert_eq!(
        dropped.values.compared + dropped.values.not_retained,
        kept.values.compared,
    );
}
