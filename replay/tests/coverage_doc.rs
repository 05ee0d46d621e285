//! `docs/COVERAGE.md` is generated from the runtime's registry and the
//! golden traces; this test regenerates it and fails when the checked-in
//! file differs (an operator was added, a golden changed), naming the
//! command that regenerates it.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("replay/ has a parent")
        .to_owned()
}

fn goldens() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo().join("traces"))
        .expect("traces/")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.to_string_lossy().ends_with(".torch.ftr"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn docs_coverage_md_is_up_to_date() {
    let generated = ft_replay::coverage::markdown_from_files(&goldens()).expect("goldens read");
    let path = repo().join("docs/COVERAGE.md");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in != generated {
        let first = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| checked_in.lines().count().min(generated.lines().count()));
        panic!(
            "docs/COVERAGE.md is stale (first difference at line {}: {:?}).\n\
             Regenerate it from the repository root with:\n    {}",
            first + 1,
            generated.lines().nth(first).unwrap_or("<end of file>"),
            ft_replay::coverage::REGENERATE
        );
    }
}

#[test]
fn the_table_lists_every_registered_overload_and_proves_the_corpus_ops() {
    let generated = ft_replay::coverage::markdown_from_files(&goldens()).expect("goldens read");
    for support in ft_runtime::Runtime::op_supports() {
        assert!(
            generated.contains(&format!("| `{}` |", support.op)),
            "{} missing from the table",
            support.op
        );
    }
    let addmm = generated
        .lines()
        .find(|l| l.starts_with("| `aten.addmm.default` |"))
        .expect("addmm row");
    assert!(addmm.contains("`AddmmBackward0`"), "{addmm}");
    assert!(addmm.contains("float32"), "{addmm}");
    assert!(addmm.contains("mlp_train"), "{addmm}");
}
