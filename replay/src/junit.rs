//! JUnit XML for CI dashboards: one test case per check (dispatch, graph,
//! schedule, dataflow, stream, values), failing with the divergences as text.
//! In hardened mode a check whose deviations the allowlist allows passes,
//! and lists them (`allowed ...`) in its system-out; the suite carries the
//! properties `parity_mode` and `allowed_deviations`.
//! No timestamps or ids are written, so the file is reproducible.
//!
//! A run that ends without a verdict (unreadable input, something the
//! runtime cannot execute, an output that cannot be written, a usage error)
//! still has a report: [`failure_junit`] writes one failing test case naming
//! the error, so CI never reads the previous run's passing report.

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::error::{Exit, ReplayError};
use crate::report::{CheckResult, Report, divergence_line};

fn case(suite: &str, name: &str, failures: Vec<String>, summary: String) -> TestCase {
    let status = if failures.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(format!("{summary}; first: {}", failures[0]))
            .set_type(name.to_owned())
            .set_description(failures.join("\n"));
        status
    };
    let mut case = TestCase::new(name.to_owned(), status);
    case.set_classname(suite.to_owned());
    case
}

/// The allowed deviations of one check, as JUnit system-out (hardened
/// mode: they pass, and say so).
fn allowed_out(report: &Report, check: &str) -> Option<String> {
    let lines: Vec<String> = report
        .parity
        .lines()
        .into_iter()
        .filter(|l| {
            report
                .parity
                .allowed
                .iter()
                .chain(&report.parity.over_bound)
                .any(|a| a.deviation.check == check && l.ends_with(&a.deviation.line))
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn check_case(suite: &str, check: &CheckResult, report: &Report) -> TestCase {
    let failures: Vec<String> = if report.check_passes(check) {
        Vec::new()
    } else if check.divergences.is_empty() {
        vec![format!("{} of {} matched", check.matched, check.expected)]
    } else {
        check.divergences.iter().map(divergence_line).collect()
    };
    let summary = format!(
        "{}: {}/{} matched, {} divergences",
        check.name,
        check.matched,
        check.expected,
        check.divergences.len()
    );
    let mut case = case(suite, check.name, failures, summary);
    if let Some(out) = allowed_out(report, check.name) {
        case.set_system_out(out);
    }
    case
}

/// Renders the verdict as a JUnit XML document.
pub fn to_junit(report: &Report) -> Result<String, ReplayError> {
    let suite_name = format!(
        "ft-replay {}",
        ft_trace::text::escape_control(&report.expected)
    );
    let mut suite = TestSuite::new(suite_name.clone());
    for check in [
        &report.dispatch,
        &report.graph,
        &report.schedule,
        &report.dataflow,
        &report.stream,
    ] {
        suite.add_test_case(check_case(&suite_name, check, report));
    }
    let v = &report.values;
    let failures: Vec<String> = v
        .failures
        .iter()
        .enumerate()
        .filter(|&(i, _)| !report.drift_accepted && !report.parity.is_allowed("values", i))
        .map(|(_, f)| {
            format!(
                "{} output {} (expected seq {}, actual seq {}): max abs {:.3e}, max rel {:.3e}, {} drift",
                ft_trace::text::escape_control(&f.op), f.output, f.expected_seq, f.actual_seq, f.max_abs, f.max_rel, f.drift
            )
        })
        .collect();
    let summary = format!(
        "values: {} compared, {} out of tolerance ({})",
        v.compared,
        v.failures.len(),
        v.tolerance
    );
    let mut values = case(&suite_name, "values", failures, summary);
    if let Some(out) = allowed_out(report, "values") {
        values.set_system_out(out);
    }
    if let Some(check) = report
        .drift_check
        .as_ref()
        .filter(|_| report.drift_accepted)
    {
        values.set_system_out(format!(
            "{} tensors drifted beyond tolerance free-running, accepted: {}",
            v.failures.len(),
            ft_trace::text::escape_control(&check.to_text())
        ));
    }
    suite.add_test_case(values);
    if report.parity.mode == "hardened" {
        suite.add_property(quick_junit::Property::new("parity_mode", "hardened"));
        suite.add_property(quick_junit::Property::new(
            "allowed_deviations",
            report.parity.allowed.len().to_string(),
        ));
    }
    let mut junit = JunitReport::new("ft-replay");
    junit.add_test_suite(suite);
    junit.to_string().map_err(|e| ReplayError::Output {
        path: "junit".into(),
        detail: e.to_string(),
    })
}

/// What an exit code without a verdict means, for the failing test case.
fn failure_kind(exit: Exit) -> &'static str {
    match exit {
        Exit::Usage => "usage error",
        Exit::BadInput => "bad input",
        Exit::Unsupported => "unsupported by the runtime",
        Exit::Output => "output not written",
        Exit::Match | Exit::Structural | Exit::Values => "error",
    }
}

/// A JUnit document for a run that ended with `error` instead of a
/// verdict: one failing test case, `replay`, whose message is the error.
pub fn failure_junit(expected: Option<&str>, error: &ReplayError) -> Result<String, ReplayError> {
    let suite_name = format!("ft-replay {}", expected.unwrap_or("(no trace)"));
    let mut suite = TestSuite::new(suite_name.clone());
    let exit = error.exit();
    let text = ft_trace::text::escape_control_lines(&error.to_string());
    let first_line = text.lines().next().unwrap_or_default().to_owned();
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status
        .set_message(format!(
            "exit {} ({}): {first_line}",
            exit as u8,
            failure_kind(exit)
        ))
        .set_type(failure_kind(exit).to_owned())
        .set_description(text);
    let mut case = TestCase::new("replay".to_owned(), status);
    case.set_classname(suite_name);
    suite.add_test_case(case);
    let mut junit = JunitReport::new("ft-replay");
    junit.add_test_suite(suite);
    junit.to_string().map_err(|e| ReplayError::Output {
        path: "junit".into(),
        detail: e.to_string(),
    })
}
