//! Rendered screens after scripted key presses, as insta snapshots of the
//! test terminal (text only; colours are the theme's business).

use ratatui::crossterm::event::KeyCode;

use crate::support::{Ending, draw, open, press, type_keys, write_trace};

macro_rules! snapshot {
    ($name:expr, $terminal:expr) => {
        insta::assert_snapshot!($name, $terminal.backend())
    };
}

#[test]
fn opens_on_the_first_event_80x24() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    app.fetch_values(&mut reader);
    snapshot!("first_event_80x24", draw(&mut app, 80, 24));
}

#[test]
fn op_selected_80x24() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    app.resize(80, 24);
    type_keys(&mut app, &mut reader, "jj");
    snapshot!("op_selected_80x24", draw(&mut app, 80, 24));
}

#[test]
fn backward_op_with_values_side_by_side_160x40() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    app.resize(160, 40);
    for _ in 0..15 {
        press(&mut app, &mut reader, KeyCode::Down);
    }
    snapshot!("backward_op_160x40", draw(&mut app, 160, 40));
}

#[test]
fn scrolled_to_the_end_160x40() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    app.resize(160, 40);
    type_keys(&mut app, &mut reader, "G");
    snapshot!("last_event_160x40", draw(&mut app, 160, 40));
}

#[test]
fn details_focused_and_scrolled_80x24() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    app.resize(80, 24);
    type_keys(&mut app, &mut reader, "jj");
    press(&mut app, &mut reader, KeyCode::Char('f'));
    type_keys(&mut app, &mut reader, "jjjjj");
    snapshot!("details_scrolled_80x24", draw(&mut app, 80, 24));
}

#[test]
fn help_popup_80x24() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "?");
    snapshot!("help_80x24", draw(&mut app, 80, 24));
}

#[test]
fn typing_a_filter_80x24() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "/mul");
    snapshot!("filter_typing_80x24", draw(&mut app, 80, 24));
}

#[test]
fn autograd_layer_only_120x30() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    app.resize(120, 30);
    type_keys(&mut app, &mut reader, "lll");
    type_keys(&mut app, &mut reader, "jjjjjjjj"); // the accumulate event
    snapshot!("autograd_only_120x30", draw(&mut app, 120, 30));
}

#[test]
fn note_when_there_is_no_later_event_of_the_same_op_80x24() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "jjjjjn");
    snapshot!("no_later_sum_80x24", draw(&mut app, 80, 24));
}

#[test]
fn tiny_terminal_does_not_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "mul_sum.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "jj?");
    for (w, h) in [(1, 1), (10, 3), (20, 5), (0, 0)] {
        draw(&mut app, w, h);
    }
}

#[test]
fn events_of_unknown_kinds_and_layers_show_as_unknown() {
    use ft_inspect::App;
    use ft_inspect::trace::TraceData;
    use ft_trace::{Event, EventBody};

    let events = vec![
        Event {
            seq: 0,
            ts: 0,
            body: EventBody::Unknown {
                layer: 2,
                kind: 99,
                payload: rmpv::Value::Nil,
            },
        },
        Event {
            seq: 1,
            ts: 5,
            body: EventBody::Unknown {
                layer: 9,
                kind: 1,
                payload: rmpv::Value::Nil,
            },
        },
    ];
    let data = TraceData::from_events(
        "future.ftr".into(),
        "future.ftr".into(),
        (1, 3),
        crate::support::meta(),
        events,
        None,
    );
    let mut app = App::new(data);
    app.update(ft_inspect::Action::Last);
    snapshot!("unknown_kinds_80x24", draw(&mut app, 80, 24));
    app.update(ft_inspect::Action::CycleLayer);
    assert!(
        app.primary.visible().is_empty(),
        "layer 9 is no known layer"
    );
}
