//! `validate_phase2c_artifacts [DIR]`: checks every Phase-2C packet under
//! DIR (default `artifacts/phase2c`) — files, the 15 mandatory fields, the
//! gate against the generated report, freshness, sidecar decoding — and
//! lists each NOT_READY packet with its reasons. Exit 0 when every packet
//! is READY or listed in `expected_not_ready.json` (and still NOT_READY),
//! 1 otherwise; logic in `ft_replay::phase2c`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let root = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "artifacts/phase2c".into());
    let validation = ft_replay::phase2c::validate(&root);
    print!("{}", validation.to_text());
    if validation.passes() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
