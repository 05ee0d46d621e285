//! Two traces derived from a golden by the fuzz input, diffed without
//! executing anything: the diff, the verdict and its text, JSON and JUnit
//! renderings must never panic whatever the streams hold (dropped,
//! duplicated, reordered events; perturbed tensor ids, node edges,
//! ReadyQueue keys, op names and values — see `ft_replay::mutate`).
//! Input: `[head]` then 5-byte edits; bit 0 of `head` picks the golden,
//! `(head >> 1) % 3` whether the edits apply to the actual side, the
//! expected side, or half to each. A crasher, once fixed, goes to
//! `replay/tests/fuzz_regressions/diff/` (replayed by `tests/diff_fuzz.rs`).
#![no_main]

use std::sync::OnceLock;

use ft_replay::{TraceData, mutate};
use libfuzzer_sys::fuzz_target;

fn load(name: &str, bytes: &[u8]) -> TraceData {
    let path = std::env::temp_dir().join(format!("ft-fuzz-diff-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).expect("write the golden to a scratch file");
    let data = TraceData::load(&path).expect("a golden loads");
    // Values are copied into memory so the scratch file can go.
    let data = mutate::mutate(&data, &[]);
    let _ = std::fs::remove_file(&path);
    data
}

fn goldens() -> &'static [TraceData; 2] {
    static G: OnceLock<[TraceData; 2]> = OnceLock::new();
    G.get_or_init(|| {
        [
            load("diamond", include_bytes!("../../traces/diamond.torch.ftr")),
            load(
                "tiny_mlp",
                include_bytes!("../../traces/tiny_mlp.torch.ftr"),
            ),
        ]
    })
}

fuzz_target!(|input: &[u8]| {
    mutate::exercise_diff(goldens(), input);
});
