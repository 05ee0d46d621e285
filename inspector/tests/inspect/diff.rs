//! The Diff view: two runs aligned by `ft-replay`'s checks. Each test makes
//! the actual run by replaying a golden PyTorch trace on the runtime, with a
//! deliberate fault where the view must point at it.

use std::path::{Path, PathBuf};
use std::process::Command;

use ft_inspect::app::View;
use ft_inspect::cli::{load_diff, load_diff_in_mode};
use ft_inspect::diff::DiffModel;
use ft_inspect::{App, TraceData};
use ft_replay::executor::{ReplayOptions, parse_faults, replay};
use ft_trace::{DispatchEvent, EventBody};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::support::draw;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name)
}

/// The runtime's replay of `golden` under `fault`, written to `dir/ours.ftr`.
fn ours(dir: &Path, golden_name: &str, fault: Option<&str>) -> PathBuf {
    let torch = ft_replay::TraceData::load(&golden(golden_name)).expect("golden loads");
    let out = dir.join("ours.ftr");
    let faults: Vec<String> = fault.into_iter().map(str::to_owned).collect();
    let options = ReplayOptions {
        faults: parse_faults(&faults).expect("fault spec"),
        out: Some(out.clone()),
        timestamps: false,
        ..ReplayOptions::default()
    };
    replay(&torch, &options).expect("replay runs");
    out
}

fn diff_of(golden_name: &str, fault: Option<&str>) -> (tempfile::TempDir, DiffModel) {
    let dir = tempfile::tempdir().expect("temp dir");
    let ours = ours(dir.path(), golden_name, fault);
    let diff = load_diff(Some(&ours), &golden(golden_name), false).expect("diff loads");
    (dir, diff)
}

fn app_of(diff: DiffModel) -> App {
    App::new(diff.expected.clone()).with_diff(diff)
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
}

fn selected_label(app: &App) -> String {
    let diff = app.diff.as_ref().expect("a diff is open");
    diff.selected_row()
        .and_then(|r| r.marks.first())
        .map(|m| m.label.clone())
        .unwrap_or_default()
}

fn selected_op(app: &App) -> Option<String> {
    let diff = app.diff.as_ref()?;
    let row = diff.selected_row()?;
    match &diff.expected.events.get(row.expected?)?.body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => Some(op.op.to_string()),
        _ => None,
    }
}

#[test]
fn a_perturbed_kernel_opens_on_the_op_where_drift_starts_and_n_walks_its_propagation() {
    let (_dir, diff) = diff_of(
        "mlp_train.torch.ftr",
        Some("perturb=aten.addmm.default:0.01"),
    );
    let mut app = app_of(diff);
    assert_eq!(app.view, View::Diff);
    assert_eq!(selected_label(&app), "value local");
    assert_eq!(selected_op(&app).as_deref(), Some("aten.addmm.default"));
    let first = app.diff.as_ref().map(DiffModel::selected);
    // Element by element: every one of the 16×8 outputs is off by the
    // perturbation, far beyond float32's tolerance.
    let errors = app
        .diff
        .as_ref()
        .map(|d| d.element_errors().to_vec())
        .unwrap_or_default();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!((e.output, e.bad, e.numel), (0, 128, 128), "{e:?}");
    assert_eq!(e.worst.len(), 2);
    assert!(((e.actual - e.expected).abs() - 0.01).abs() < 1e-4, "{e:?}");
    assert!(e.allowed < 1e-3, "{e:?}");

    key(&mut app, KeyCode::Char('n'));
    assert_eq!(selected_label(&app), "value propagated");
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(app.diff.as_ref().map(DiffModel::selected), first);
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(
        app.message.as_deref(),
        Some("no divergence before this row")
    );

    key(&mut app, KeyCode::Char('g'));
    assert_eq!(app.diff.as_ref().map(DiffModel::selected), Some(0));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.diff.as_ref().map(DiffModel::selected), first);
}

#[test]
fn a_changed_ready_queue_order_is_marked_as_a_schedule_divergence() {
    let (_dir, diff) = diff_of("tied_leaves.torch.ftr", Some("fifo-ties"));
    assert_eq!(diff.report.exit(), ft_replay::Exit::Structural);
    let schedule_rows = diff
        .rows
        .iter()
        .filter(|r| r.marks.iter().any(|m| m.label == "schedule"))
        .count();
    assert_eq!(schedule_rows, diff.report.schedule.divergences.len());
    let first = diff
        .report
        .first_divergence
        .clone()
        .expect("a first divergence");
    let app = app_of(diff);
    let row = app
        .diff
        .as_ref()
        .and_then(DiffModel::selected_row)
        .expect("a selected row");
    assert!(
        row.marks.iter().any(|m| m.message == first.message),
        "the view opens on ft-replay's first divergence: {first:?} vs {row:?}"
    );
}

#[test]
fn an_unchanged_replay_has_no_divergence_and_says_so() {
    let (_dir, diff) = diff_of("tiny_mlp.torch.ftr", None);
    assert!(diff.divergent_rows().is_empty());
    // Matched rows still compare their values: within tolerance, none bad.
    let mut probe = diff.clone();
    let compared = (0..probe.rows.len())
        .filter_map(|row| {
            probe.select(row, 10);
            probe.element_errors().first().cloned()
        })
        .collect::<Vec<_>>();
    assert!(!compared.is_empty());
    assert!(compared.iter().all(|e| e.bad == 0), "{compared:?}");
    assert!(
        diff.rows
            .iter()
            .all(|r| r.expected.is_some() && r.actual.is_some())
    );
    assert_eq!(
        diff.verdict_lines().last().map(String::as_str),
        Some("MATCH")
    );
    let mut app = app_of(diff);
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(
        app.message.as_deref(),
        Some("the two runs agree: no divergence")
    );
}

#[test]
fn number_keys_and_tab_switch_views_and_a_single_trace_has_no_diff() {
    let (_dir, diff) = diff_of("tiny_mlp.torch.ftr", None);
    let mut app = app_of(diff);
    key(&mut app, KeyCode::Char('1'));
    assert_eq!(app.view, View::Timeline);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.view, View::Diff);
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.view, View::Diff);

    let (data, _reader) = TraceData::open(&golden("tiny_mlp.torch.ftr")).expect("opens");
    let mut single = App::new(data);
    key(&mut single, KeyCode::Char('2'));
    assert_eq!(single.view, View::Timeline);
    assert!(
        single
            .message
            .as_deref()
            .is_some_and(|m| m.contains("--against")),
        "{:?}",
        single.message
    );
}

#[test]
fn diff_view_80x24() {
    let (_dir, diff) = diff_of(
        "mlp_train.torch.ftr",
        Some("perturb=aten.addmm.default:0.01"),
    );
    let mut app = app_of(diff);
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("diff_perturbed_80x24", terminal.backend());
}

fn ft_inspect(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ft-inspect"))
        .args(args)
        .output()
        .expect("run ft-inspect")
}

#[test]
fn dump_of_a_replayed_diff_prints_the_verdict_and_names_the_op_where_drift_starts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ours = ours(
        dir.path(),
        "mlp_train.torch.ftr",
        Some("perturb=aten.addmm.default:0.01"),
    );
    let torch = golden("mlp_train.torch.ftr");
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_owned();
    let out = ft_inspect(&[&path(&ours), "--against", &path(&torch), "--dump"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("ok   dispatch"), "{text}");
    assert!(text.contains("VALUES OUT OF TOLERANCE"), "{text}");
    let first = text
        .lines()
        .find(|l| l.starts_with("value "))
        .expect("a value row");
    assert!(
        first.starts_with("value local") && first.contains("aten.addmm.default"),
        "{first}"
    );

    let replayed = ft_inspect(&["--against", &path(&torch), "--dump"]);
    let text = String::from_utf8_lossy(&replayed.stdout);
    assert_eq!(replayed.status.code(), Some(0), "{text}");
    assert!(text.lines().any(|l| l == "MATCH"), "{text}");

    let missing = ft_inspect(&["--against", &path(&dir.path().join("nope.ftr")), "--dump"]);
    assert_eq!(missing.status.code(), Some(4));
    assert_eq!(ft_inspect(&[]).status.code(), Some(2));
}

#[test]
fn drift_lists_parameters_by_first_step_out_and_enter_jumps_to_where_drift_starts() {
    let (_dir, diff) = diff_of(
        "mlp_train.torch.ftr",
        Some("perturb=aten.addmm.default:0.01"),
    );
    let mut app = app_of(diff);
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.view, View::Drift);
    let drift = app.drift.clone().expect("drift computed");
    assert!(
        drift.len() >= 4,
        "mlp_train has two Linear layers: {drift:?}"
    );
    let first = &drift[0];
    assert_eq!(first.first_out(), Some(0), "{first:?}");
    assert!(first.worst() > 1.0);
    // Sorted: every parameter out of tolerance before any that is not.
    let outs: Vec<bool> = drift.iter().map(|p| p.first_out().is_some()).collect();
    assert!(outs.windows(2).all(|w| w[0] || !w[1]), "{outs:?}");

    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Diff);
    assert_eq!(selected_label(&app), "value local");
    assert_eq!(selected_op(&app).as_deref(), Some("aten.addmm.default"));
}

#[test]
fn drift_of_matching_runs_stays_within_tolerance() {
    let (_dir, diff) = diff_of("tiny_mlp.torch.ftr", None);
    let mut app = app_of(diff);
    key(&mut app, KeyCode::Char('3'));
    let drift = app.drift.clone().expect("drift computed");
    assert!(!drift.is_empty());
    assert!(drift.iter().all(|p| p.first_out().is_none()), "{drift:?}");
    assert!(drift.iter().all(|p| p.worst() <= 1.0), "{drift:?}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Drift);
    assert_eq!(
        app.message.as_deref(),
        Some("this parameter stays within tolerance")
    );
}

#[test]
fn drift_view_80x24() {
    let (_dir, diff) = diff_of(
        "mlp_train.torch.ftr",
        Some("perturb=aten.addmm.default:0.01"),
    );
    let mut app = app_of(diff);
    key(&mut app, KeyCode::Char('3'));
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("drift_perturbed_80x24", terminal.backend());
}

#[test]
fn the_autograd_view_of_a_schedule_divergence_shows_both_queues_where_they_part() {
    let (_dir, diff) = diff_of("tied_leaves.torch.ftr", Some("fifo-ties"));
    let first = diff
        .report
        .schedule
        .divergences
        .first()
        .and_then(|d| d.expected_seq)
        .expect("a schedule divergence");
    let mut app = app_of(diff);
    key(&mut app, KeyCode::Char('4'));
    assert_eq!(app.view, View::Autograd);
    let ours = app.queue_steps();
    let theirs = app.actual_queue_steps();
    let step = &ours[app.step];
    assert!(step.position as u64 >= first, "{} < {first}", step.position);
    // Up to the divergence both runs agree step by step; there they part.
    let agree = ours
        .iter()
        .zip(&theirs)
        .take_while(|(e, a)| (e.push, &e.entry) == (a.push, &a.entry))
        .count();
    assert!(agree <= app.step, "agree {agree}, shown step {}", app.step);
    assert!(agree < ours.len().min(theirs.len()));
    let terminal = draw(&mut app, 100, 30);
    insta::assert_snapshot!("autograd_schedule_divergence_100x30", terminal.backend());
}

/// Hardened mode (`--mode hardened --allowlist FILE`): a deviation the
/// allowlist covers within its bound is shown as allowed in the header, as
/// ft-replay prints it; strict mode fails it.
#[test]
fn hardened_mode_shows_an_allowed_deviation_in_the_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let torch = ft_replay::TraceData::load(&golden("mlp_train.torch.ftr")).expect("golden loads");
    let ours = dir.path().join("ours.ftr");
    let options = ReplayOptions {
        faults: parse_faults(&["perturb=aten.mse_loss.default:0.1".to_owned()]).expect("fault"),
        out: Some(ours.clone()),
        anchor: true,
        timestamps: false,
        ..ReplayOptions::default()
    };
    replay(&torch, &options).expect("replay runs");
    let list = dir.path().join("allow.json");
    std::fs::write(
        &list,
        r#"{"schema": "ft-hardened-deviation-allowlist/v1", "entries": [
            {"id": "loss-offset", "packet": "FT-P2C-005", "op": "aten.mse_loss.default",
             "field": "max_abs", "bound": 0.2, "reason": "test: a known offset"}]}"#,
    )
    .expect("write allowlist");
    let allowlist = ft_replay::parity::Allowlist::load(&list).expect("allowlist loads");
    let golden_path = golden("mlp_train.torch.ftr");

    let strict = load_diff_in_mode(Some(&ours), &golden_path, false, None).expect("diff");
    let strict_lines = strict.verdict_lines().join("\n");
    assert!(strict_lines.contains("FAIL values"), "{strict_lines}");

    let hardened =
        load_diff_in_mode(Some(&ours), &golden_path, false, Some(&allowlist)).expect("diff");
    let lines = hardened.verdict_lines().join("\n");
    assert!(lines.contains("ALLOW values"), "{lines}");
    assert!(
        lines.contains("parity:   hardened (3 deviations allowed"),
        "{lines}"
    );
    assert!(
        lines.contains("allowed FT-P2C-005 aten.mse_loss.default max_abs"),
        "{lines}"
    );
    assert!(
        lines.contains("MATCH (hardened: deviations allowed)"),
        "{lines}"
    );
}

#[test]
fn a_replayed_diff_accepts_drift_as_ft_replay_does() {
    // Free-running drift the anchored re-check explains (Adam on gradients
    // that are zero up to rounding): the header carries ft-replay's verdict.
    let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../replay/tests/data/adam_rounding_noise.torch.ftr");
    let path = trace.to_str().expect("utf-8 path");
    let out = ft_inspect(&["--against", path, "--dump"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("DRIFT values")),
        "{text}"
    );
    assert!(
        text.lines().any(
            |l| l.starts_with("accumulated float drift at aten.addcdiv_.default")
                && l.ends_with("as does every other operator")
        ),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == "MATCH (free-running values drifted; every operator matches anchored)"),
        "{text}"
    );
}
