//! The Op graph view: following a tensor to its producer and to its
//! consumers, and back through the navigation history.

use std::path::Path;

use ft_inspect::app::View;
use ft_inspect::opgraph::Direction;
use ft_inspect::{App, TraceData};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::support::draw;

fn key(app: &mut App, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
}

/// mlp_train's first forward addmm: `addmm(b1, x, w1.t())` at event 28.
fn app_on_first_addmm() -> App {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/mlp_train.torch.ftr");
    let (data, _reader) = TraceData::open(&path).expect("golden opens");
    let mut app = App::new(data);
    app.resize(120, 40);
    key(&mut app, KeyCode::Char('g'));
    for _ in 0..28 {
        key(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(app.primary.selected_index(), Some(28));
    app
}

fn selected_op(app: &App) -> String {
    match app.primary.selected_event().map(|e| &e.body) {
        Some(ft_trace::EventBody::Dispatch(ft_trace::DispatchEvent::Op(op))) => op.op.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn enter_opens_the_links_of_an_op_and_follows_producers_and_consumers_and_backspace_returns() {
    let mut app = app_on_first_addmm();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::OpGraph);
    let links = app.links();
    let producers: Vec<&str> = links
        .iter()
        .filter(|l| l.direction == Direction::Producer)
        .map(|l| l.tensor.as_str())
        .collect();
    assert_eq!(producers.len(), 3, "{links:?}");
    assert!(producers[0].starts_with("self=T3[8] v"), "{producers:?}");
    assert!(producers[2].starts_with("mat2=T10[4,8]"), "{producers:?}");
    assert!(
        links
            .iter()
            .any(|l| l.direction == Direction::Consumer && l.target.is_some()),
        "{links:?}"
    );

    // mat2 is w1.t(): its producer is the transpose.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(selected_op(&app), "aten.t.default");
    assert_eq!(app.history, vec![28]);

    // The transpose's output is used by the addmm we came from.
    let back_to_addmm = app
        .links()
        .iter()
        .position(|l| l.direction == Direction::Consumer && l.target == Some(28))
        .expect("the addmm consumes the transpose");
    for _ in 0..back_to_addmm {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.primary.selected_index(), Some(28));

    key(&mut app, KeyCode::Backspace);
    assert_eq!(selected_op(&app), "aten.t.default");
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.primary.selected_index(), Some(28));
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.message.as_deref(), Some("nothing to go back to"));
}

#[test]
fn following_a_link_hidden_by_the_filter_clears_the_filter() {
    let mut app = app_on_first_addmm();
    // Show only ops named addmm, then follow mat2 to its transpose.
    key(&mut app, KeyCode::Char('/'));
    for c in "addmm".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.primary.selected_index(), Some(28));
    key(&mut app, KeyCode::Char('5'));
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(selected_op(&app), "aten.t.default");
    assert!(app.primary.filter().is_empty());
}

#[test]
fn op_graph_80x24() {
    let mut app = app_on_first_addmm();
    key(&mut app, KeyCode::Enter);
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("op_graph_80x24", terminal.backend());
}
