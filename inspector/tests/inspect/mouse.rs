//! The mouse: the wheel scrolls the selection, a click selects the row under
//! the pointer, in the timeline, the Diff view and the op graph.

use std::path::Path;

use ft_inspect::app::View;
use ft_inspect::{App, Focus, TraceData};
use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

fn mouse(app: &mut App, kind: MouseEventKind, column: u16, row: u16) -> bool {
    app.handle_mouse(&MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

fn click(app: &mut App, column: u16, row: u16) -> bool {
    mouse(app, MouseEventKind::Down(MouseButton::Left), column, row)
}

fn golden_app() -> App {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/mlp_train.torch.ftr");
    let (data, _reader) = TraceData::open(&path).expect("golden opens");
    let mut app = App::new(data);
    app.resize(80, 24);
    app
}

#[test]
fn the_wheel_moves_three_rows_a_notch_and_a_click_selects_the_row_under_the_pointer() {
    let mut app = golden_app();
    assert!(mouse(&mut app, MouseEventKind::ScrollDown, 10, 5));
    assert_eq!(app.primary.selected_index(), Some(3));
    assert!(mouse(&mut app, MouseEventKind::ScrollUp, 10, 5));
    assert_eq!(app.primary.selected_index(), Some(0));

    // The timeline's border is on the screen's second line (after the
    // header): its fifth row is screen line 6.
    let timeline = app.areas().timeline;
    assert!(click(&mut app, 10, timeline.y + 5));
    assert_eq!(app.primary.selected_index(), Some(4));
    // A click on a border selects nothing.
    assert!(!click(&mut app, 10, timeline.y));
    assert_eq!(app.primary.selected_index(), Some(4));

    let details = app.areas().details;
    assert!(click(&mut app, 10, details.y + 2));
    assert_eq!(app.focus, Focus::Details);
    assert!(click(&mut app, 10, timeline.y + 1));
    assert_eq!(app.focus, Focus::Timeline);
    assert_eq!(app.primary.selected_index(), Some(0));
}

#[test]
fn a_click_in_the_op_graph_moves_the_cursor_to_that_link() {
    let mut app = golden_app();
    app.update(ft_inspect::Action::ShowOpGraph);
    assert_eq!(app.view, View::OpGraph);
    // Event 0 is manual_seed: no links; go to the first addmm's links.
    for _ in 0..28 {
        app.update(ft_inspect::Action::ShowTimeline);
        app.update(ft_inspect::Action::Down);
    }
    app.update(ft_inspect::Action::ShowOpGraph);
    let area = app.areas().timeline;
    // Inside the border: line 0 is the event, links start on line 1.
    assert!(click(&mut app, 5, area.y + 3));
    assert_eq!(app.link, 1);
    assert!(!click(&mut app, 5, area.y + 1));
}
