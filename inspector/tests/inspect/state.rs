//! State updates: navigation bounds, filters, layer cycling, help, focus,
//! same-op jumps, lazy value reading.

use ft_inspect::{Action, Focus, LayerFilter};
use ft_trace::Layer;
use ratatui::crossterm::event::KeyCode;

use crate::support::{EVENT_COUNT, Ending, open, press, type_keys, write_trace};

fn selected(app: &ft_inspect::App) -> Option<usize> {
    app.primary.selected_index()
}

fn details_text(app: &ft_inspect::App) -> String {
    app.primary
        .details()
        .iter()
        .map(|l| l.plain())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn navigation_stays_in_bounds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    assert_eq!(selected(&app), Some(0));
    type_keys(&mut app, &mut reader, "kk");
    assert_eq!(selected(&app), Some(0), "up at the top stays");
    type_keys(&mut app, &mut reader, "jjj");
    assert_eq!(selected(&app), Some(3));
    type_keys(&mut app, &mut reader, "G");
    assert_eq!(selected(&app), Some(EVENT_COUNT - 1));
    type_keys(&mut app, &mut reader, "j");
    assert_eq!(
        selected(&app),
        Some(EVENT_COUNT - 1),
        "down at the end stays"
    );
    press(&mut app, &mut reader, KeyCode::Home);
    assert_eq!(selected(&app), Some(0));
    press(&mut app, &mut reader, KeyCode::End);
    assert_eq!(selected(&app), Some(EVENT_COUNT - 1));
    type_keys(&mut app, &mut reader, "g");
    assert_eq!(selected(&app), Some(0));
}

#[test]
fn page_keys_move_by_a_page_and_keep_the_selection_on_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    app.resize(80, 24);
    let rows = app.timeline_rows();
    assert!(
        rows > 0 && rows < EVENT_COUNT,
        "the test needs a short page"
    );
    press(&mut app, &mut reader, KeyCode::PageDown);
    assert_eq!(selected(&app), Some(rows));
    let offset = app.primary.offset();
    assert!(offset <= rows && rows < offset + app.timeline_rows());
    for _ in 0..10 {
        press(&mut app, &mut reader, KeyCode::PageDown);
    }
    assert_eq!(selected(&app), Some(EVENT_COUNT - 1));
    assert_eq!(
        app.primary.offset(),
        EVENT_COUNT - rows,
        "no empty rows below the end"
    );
    for _ in 0..10 {
        press(&mut app, &mut reader, KeyCode::PageUp);
    }
    assert_eq!((selected(&app), app.primary.offset()), (Some(0), 0));
}

#[test]
fn text_filter_matches_ops_and_node_names_and_esc_restores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "/aten.MUL");
    assert!(app.input.is_some(), "typing goes to the filter");
    assert_eq!(app.primary.visible(), &[2, 15], "case-insensitive op names");
    press(&mut app, &mut reader, KeyCode::Enter);
    assert!(app.input.is_none());
    assert_eq!(app.primary.filter().text, "aten.MUL");
    assert_eq!(selected(&app), Some(2));

    // The node name reaches its node event, its push / pop and the ops it ran.
    type_keys(&mut app, &mut reader, "/");
    for _ in 0.."aten.MUL".len() {
        press(&mut app, &mut reader, KeyCode::Backspace);
    }
    type_keys(&mut app, &mut reader, "mulbackward0");
    assert_eq!(app.primary.visible(), &[4, 13, 14, 15]);
    press(&mut app, &mut reader, KeyCode::Esc);
    assert!(!app.quit, "Esc cancels the filter, it does not quit");
    assert_eq!(app.primary.filter().text, "aten.MUL", "Esc restores");
    assert_eq!(app.primary.visible(), &[2, 15]);

    // Substrings are substrings: "mul" is in AccumulateGrad too.
    type_keys(&mut app, &mut reader, "/");
    for _ in 0.."aten.".len() {
        press(&mut app, &mut reader, KeyCode::Backspace);
    }
    app.update(Action::FilterBackspace);
    app.update(Action::FilterBackspace);
    app.update(Action::FilterBackspace);
    assert_eq!(app.input.as_ref().map(|i| i.text.as_str()), Some(""));
    press(&mut app, &mut reader, KeyCode::Enter);
    assert_eq!(
        app.primary.visible().len(),
        EVENT_COUNT,
        "empty filter: everything"
    );
    type_keys(&mut app, &mut reader, "/mul");
    press(&mut app, &mut reader, KeyCode::Enter);
    assert_eq!(app.primary.visible(), &[2, 3, 4, 13, 14, 15, 16, 17, 18]);
}

#[test]
fn a_filter_without_matches_selects_nothing_and_does_not_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "/no such op");
    press(&mut app, &mut reader, KeyCode::Enter);
    assert!(app.primary.visible().is_empty());
    assert_eq!(selected(&app), None);
    type_keys(&mut app, &mut reader, "jkGgnN");
    press(&mut app, &mut reader, KeyCode::PageDown);
    assert_eq!(selected(&app), None);
    assert!(details_text(&app).contains("no event selected"));
}

#[test]
fn layer_filter_cycles_through_every_layer_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    let expected = [
        (LayerFilter::Only(Layer::Api), 5),
        (LayerFilter::Only(Layer::Dispatch), 7),
        (LayerFilter::Only(Layer::Autograd), 12),
        (LayerFilter::Only(Layer::Device), 1),
        (LayerFilter::All, EVENT_COUNT),
    ];
    for (layer, count) in expected {
        type_keys(&mut app, &mut reader, "l");
        assert_eq!(app.primary.filter().layer, layer);
        assert_eq!(app.primary.visible().len(), count, "{layer:?}");
    }
}

#[test]
fn layer_and_text_filters_combine_and_keep_the_selection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "jjjj"); // #4 node MulBackward0
    type_keys(&mut app, &mut reader, "/mul");
    press(&mut app, &mut reader, KeyCode::Enter);
    assert_eq!(selected(&app), Some(4), "the selected event still matches");
    type_keys(&mut app, &mut reader, "l"); // api only: nothing matches "mul"
    assert_eq!(selected(&app), None);
    type_keys(&mut app, &mut reader, "l"); // dispatch only
    assert_eq!(app.primary.visible(), &[2, 15]);
    assert_eq!(
        selected(&app),
        Some(15),
        "next match after #4, remembered through the empty filter"
    );
}

#[test]
fn help_toggles_and_esc_closes_it_before_quitting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "?");
    assert!(app.help);
    type_keys(&mut app, &mut reader, "j");
    assert_eq!(selected(&app), Some(0), "help swallows movement");
    type_keys(&mut app, &mut reader, "?");
    assert!(!app.help);
    type_keys(&mut app, &mut reader, "?");
    press(&mut app, &mut reader, KeyCode::Esc);
    assert!(!app.help && !app.quit);
    press(&mut app, &mut reader, KeyCode::Esc);
    assert!(app.quit);
}

#[test]
fn q_quits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "q");
    assert!(app.quit);
}

#[test]
fn next_and_previous_same_op_or_kind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "jj"); // #2 aten.mul.Tensor
    type_keys(&mut app, &mut reader, "n");
    assert_eq!(selected(&app), Some(15));
    type_keys(&mut app, &mut reader, "n");
    assert_eq!(selected(&app), Some(15));
    assert_eq!(app.message.as_deref(), Some("no later aten.mul.Tensor"));
    type_keys(&mut app, &mut reader, "N");
    assert_eq!(selected(&app), Some(2));
    assert_eq!(app.message, None, "the note goes with the next action");
    // Not an op: same kind.
    app.update(Action::First);
    for _ in 0..10 {
        app.update(Action::Down);
    }
    assert_eq!(selected(&app), Some(10)); // push N2
    app.update(Action::NextSame);
    assert_eq!(selected(&app), Some(13));
    app.update(Action::PrevSame);
    app.update(Action::PrevSame);
    assert_eq!(selected(&app), Some(10));
    assert_eq!(app.message.as_deref(), Some("no earlier push"));
}

#[test]
fn tab_moves_focus_and_keys_scroll_the_details() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    type_keys(&mut app, &mut reader, "jj"); // an op: long details
    press(&mut app, &mut reader, KeyCode::Char('f'));
    assert_eq!(app.focus, Focus::Details);
    type_keys(&mut app, &mut reader, "jj");
    assert_eq!(selected(&app), Some(2), "selection does not move");
    assert_eq!(app.primary.details_scroll(), 2);
    type_keys(&mut app, &mut reader, "G");
    let bottom = app.primary.details_scroll();
    assert_eq!(
        bottom,
        app.primary.details().len() - app.details_rows(),
        "G scrolls to the last page"
    );
    type_keys(&mut app, &mut reader, "j");
    assert_eq!(
        app.primary.details_scroll(),
        bottom,
        "no scrolling past the end"
    );
    type_keys(&mut app, &mut reader, "g");
    assert_eq!(app.primary.details_scroll(), 0);
    press(&mut app, &mut reader, KeyCode::Char('f'));
    type_keys(&mut app, &mut reader, "j");
    assert_eq!((app.focus, selected(&app)), (Focus::Timeline, Some(3)));
}

#[test]
fn values_are_read_only_for_the_selected_event_and_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    assert!(
        app.primary.values.is_empty(),
        "nothing read before a selection"
    );
    app.fetch_values(&mut reader);
    assert_eq!(app.primary.values.len(), 1, "x only");
    type_keys(&mut app, &mut reader, "jj"); // x * w → xw
    assert_eq!(app.primary.values.len(), 3, "x, w, x*w");
    type_keys(&mut app, &mut reader, "kj");
    assert_eq!(app.primary.values.len(), 3, "cached");
}

#[test]
fn details_show_arguments_with_the_value_recorded_where_they_were_produced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut app, mut reader) = open(&write_trace(dir.path(), "t.ftr", Ending::Complete));
    for _ in 0..15 {
        press(&mut app, &mut reader, KeyCode::Down);
    }
    let text = details_text(&app);
    for want in [
        "aten.mul.Tensor",
        "node N1 MulBackward0",
        "CPU[kernel]",
        "(recorded at #0)",
        "numel 6  min 1  max 6  mean 3.5",
        "first [1, 2, 3, 4, 5, 6]",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn every_event_kind_of_the_format_has_details() {
    // The cross-writer fixture holds one event of every kind FORMAT.md
    // defines; none may fall through to "not known to this build".
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tracer/tests/fixtures/all_kinds.ftr");
    let (mut app, mut reader) = open(&fixture);
    let count = app.primary.visible().len();
    assert!(count > 20, "the fixture holds every kind");
    for index in 0..count {
        assert_eq!(selected(&app), Some(index));
        let text = details_text(&app);
        assert!(
            !text.contains("not known to this build"),
            "event {index} has no details:\n{text}"
        );
        type_keys(&mut app, &mut reader, "j");
    }
}
