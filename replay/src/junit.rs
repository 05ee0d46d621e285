//! JUnit XML for CI dashboards: one test case per check (dispatch, graph,
//! schedule, dataflow, stream, values), failing with the divergences as text.
//! No timestamps or ids are written, so the file is reproducible.

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::error::ReplayError;
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

fn check_case(suite: &str, check: &CheckResult) -> TestCase {
    let failures: Vec<String> = if check.ok() {
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
    case(suite, check.name, failures, summary)
}

/// Renders the verdict as a JUnit XML document.
pub fn to_junit(report: &Report) -> Result<String, ReplayError> {
    let suite_name = format!("ft-replay {}", report.expected);
    let mut suite = TestSuite::new(suite_name.clone());
    for check in [
        &report.dispatch,
        &report.graph,
        &report.schedule,
        &report.dataflow,
        &report.stream,
    ] {
        suite.add_test_case(check_case(&suite_name, check));
    }
    let v = &report.values;
    let failures: Vec<String> = v
        .failures
        .iter()
        .map(|f| {
            format!(
                "{} output {} (expected seq {}, actual seq {}): max abs {:.3e}, max rel {:.3e}, {} drift",
                f.op, f.output, f.expected_seq, f.actual_seq, f.max_abs, f.max_rel, f.drift
            )
        })
        .collect();
    let summary = format!(
        "values: {} compared, {} out of tolerance ({})",
        v.compared,
        v.failures.len(),
        v.tolerance
    );
    suite.add_test_case(case(&suite_name, "values", failures, summary));
    let mut junit = JunitReport::new("ft-replay");
    junit.add_test_suite(suite);
    junit.to_string().map_err(|e| ReplayError::Output {
        path: "junit".into(),
        detail: e.to_string(),
    })
}
