//! Timeline nesting: backward-time events under the node that ran them,
//! nodes under their GraphTask; `z` folds and unfolds one, `Z` every node.

use ft_inspect::nesting::Nesting;

use crate::support::{EVENT_COUNT, Ending, open, type_keys, write_trace};

// The support trace's backward: graph_task_begin #9; pops #11 (runs #12,
// pushes #13), #14 (#15, #16), #17 (accumulate #18); graph_task_end #19.
const BEGIN: usize = 9;
const POPS: [(usize, usize); 3] = [(11, 2), (14, 2), (17, 1)];

fn visible(app: &ft_inspect::App) -> Vec<usize> {
    app.primary.visible().to_vec()
}

fn select(app: &mut ft_inspect::App, reader: &mut ft_trace::TraceReader, index: usize) {
    type_keys(app, reader, &format!("g{}", "j".repeat(index)));
    assert_eq!(app.primary.selected_index(), Some(index));
}

#[test]
fn backward_events_nest_under_their_node_and_task() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, _reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    let nesting = Nesting::of(&app.primary.data.events);
    assert_eq!(
        nesting.depth(BEGIN - 1),
        0,
        "before the backward: top level"
    );
    assert_eq!(nesting.depth(BEGIN), 0);
    assert_eq!(
        nesting.parent(10),
        Some(BEGIN),
        "a push before any node ran"
    );
    for (pop, children) in POPS {
        assert_eq!(nesting.parent(pop), Some(BEGIN));
        assert_eq!(nesting.depth(pop), 1);
        assert_eq!(nesting.children(pop), children as u32);
        for child in pop + 1..=pop + children {
            assert_eq!(nesting.parent(child), Some(pop), "#{child}");
            assert_eq!(nesting.depth(child), 2);
        }
    }
    assert_eq!(
        nesting.parent(19),
        Some(BEGIN),
        "graph_task_end closes the task"
    );
    assert_eq!(nesting.depth(20), 0, "after the backward: top level again");
}

#[test]
fn z_folds_a_node_and_unfolds_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    select(&mut app, &mut reader, 14);
    type_keys(&mut app, &mut reader, "z");
    assert!(app.primary.is_folded(14));
    assert_eq!(
        app.primary.selected_index(),
        Some(14),
        "the folded node stays selected"
    );
    let shown = visible(&app);
    assert_eq!(shown.len(), EVENT_COUNT - 2);
    assert!(!shown.contains(&15) && !shown.contains(&16));
    type_keys(&mut app, &mut reader, "j");
    assert_eq!(
        app.primary.selected_index(),
        Some(17),
        "down skips the folded rows"
    );
    type_keys(&mut app, &mut reader, "kz");
    assert_eq!(visible(&app).len(), EVENT_COUNT);
}

#[test]
fn z_on_a_nested_event_folds_its_node_and_selects_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    select(&mut app, &mut reader, 12);
    type_keys(&mut app, &mut reader, "z");
    assert_eq!(app.primary.selected_index(), Some(11));
    assert!(app.primary.is_folded(11));
    // Folding the task hides its nodes too.
    select(&mut app, &mut reader, BEGIN);
    type_keys(&mut app, &mut reader, "z");
    assert_eq!(visible(&app).len(), EVENT_COUNT - 10);
    // A top-level event has nothing to fold.
    type_keys(&mut app, &mut reader, "gz");
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.contains("nothing is nested"))
    );
}

#[test]
fn shift_z_folds_every_node_then_unfolds_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    select(&mut app, &mut reader, 15);
    type_keys(&mut app, &mut reader, "Z");
    let hidden: usize = POPS.iter().map(|(_, n)| n).sum();
    assert_eq!(visible(&app).len(), EVENT_COUNT - hidden);
    assert!(POPS.iter().all(|(pop, _)| app.primary.is_folded(*pop)));
    assert_eq!(
        app.primary.selected_index(),
        Some(14),
        "the selection moves to its node"
    );
    type_keys(&mut app, &mut reader, "Z");
    assert_eq!(visible(&app).len(), EVENT_COUNT);
}

#[test]
fn a_folded_node_shows_how_many_rows_it_hides_80x24() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    select(&mut app, &mut reader, 14);
    type_keys(&mut app, &mut reader, "z");
    insta::assert_snapshot!(
        "folded_node_80x24",
        crate::support::draw(&mut app, 80, 24).backend()
    );
}
