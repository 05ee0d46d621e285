//! The `?` popup: the whole key table, grouped by where each key applies,
//! generated from [`crate::bindings::BINDINGS`].

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::bindings::{BINDINGS, Scope};
use crate::theme;

const SCOPES: [Scope; 4] = [Scope::Global, Scope::Browse, Scope::Filter, Scope::Help];

/// The popup's lines.
fn lines() -> Vec<Line<'static>> {
    let key_width = BINDINGS
        .iter()
        .map(|b| b.keys_label().chars().count())
        .max()
        .unwrap_or(8);
    let mut lines = Vec::new();
    for scope in SCOPES {
        lines.push(Line::from(Span::styled(scope.title(), theme::heading())));
        for b in BINDINGS.iter().filter(|b| b.scope == scope) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<key_width$}  ", b.keys_label()), theme::key()),
                Span::raw(b.description),
            ]));
        }
    }
    lines
}

pub(super) fn render(area: Rect, buf: &mut Buffer) {
    let lines = lines();
    let width = lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 4;
    let height = lines.len() as u16 + 2;
    let popup = area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    );
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .border_style(theme::focused_border())
                .title(Span::styled(" Keys ", theme::title()))
                .title_bottom(
                    Line::from(Span::styled(" Esc or ? to close ", theme::hint())).right_aligned(),
                ),
        )
        .render(popup, buf);
}
