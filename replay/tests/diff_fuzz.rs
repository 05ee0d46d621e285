//! The diff given hostile streams: a golden trace mutated by
//! [`ft_replay::mutate`] (dropped, duplicated, reordered events; perturbed
//! tensor ids, node edges, ReadyQueue keys, op names, values) must give a
//! verdict in every format, never panic. The inputs the fuzz target
//! `fuzz/fuzz_targets/diff.rs` found crashing are kept in
//! `tests/fuzz_regressions/diff/` and replayed here; proptest adds random
//! edits on every run.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ft_replay::{Tolerances, TraceData, diff, mutate};
use proptest::prelude::*;

fn golden(name: &str) -> TraceData {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name);
    TraceData::load(&path).expect("golden loads")
}

fn goldens() -> &'static [TraceData] {
    static G: OnceLock<Vec<TraceData>> = OnceLock::new();
    G.get_or_init(|| vec![golden("diamond.torch.ftr"), golden("tiny_mlp.torch.ftr")])
}

/// What the fuzz target does with one input.
fn exercise(input: &[u8]) {
    mutate::exercise_diff(goldens(), input);
}

#[test]
fn unmutated_golden_matches_itself() {
    let g = &goldens()[0];
    let report = diff(g, &mutate::mutate(g, &[]), &Tolerances::default());
    assert_eq!(
        report.exit(),
        ft_replay::Exit::Match,
        "{}",
        report.to_text(false)
    );
}

#[test]
fn each_edit_kind_gives_a_verdict() {
    for what in 0..12u8 {
        for at in [0u16, 1, 7, 300, u16::MAX] {
            for arg in [0u16, 1, 2, 3, 5, 63, 64, 1000, u16::MAX] {
                let [a0, a1] = at.to_le_bytes();
                let [b0, b1] = arg.to_le_bytes();
                for head in 0..6u8 {
                    exercise(&[head, what, a0, a1, b0, b1, what, b0, b1, a0, a1]);
                }
            }
        }
    }
}

#[test]
fn kept_crashers_give_a_verdict() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/diff");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("regression dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        exercise(&std::fs::read(&path).expect("read crasher"));
        seen += 1;
    }
    assert!(seen > 0, "no inputs under {}", dir.display());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_edits_give_a_verdict(input in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(&input);
    }
}
