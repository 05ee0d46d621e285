//! The bottom line: the filter being typed, or the key hints of the current
//! mode (built from [`crate::bindings`]) with the last action's note on the
//! right. Hints that do not fit are dropped whole, never cut mid-word.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::App;
use crate::bindings::{effective_keys, hints};
use crate::theme;

pub(super) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    let width = usize::from(area.width);
    if let Some(input) = &app.input {
        let matches = app.primary.visible().len();
        spans.push(Span::styled("/", theme::key()));
        spans.push(Span::raw(input.text.clone()));
        spans.push(Span::styled("▏", theme::key()));
        spans.push(Span::styled(format!("  {matches} match "), theme::hint()));
        used = spans.iter().map(Span::width).sum();
    }
    let mode = app.mode();
    for binding in hints(mode) {
        let keys = effective_keys(mode, binding);
        let Some(first) = keys.first() else {
            continue;
        };
        let key = first.label();
        let item = [
            Span::styled(format!(" {key}"), theme::key()),
            Span::styled(format!(" {} ", binding.short), theme::hint()),
        ];
        let item_width: usize = item.iter().map(Span::width).sum();
        if used + item_width > width {
            break;
        }
        used += item_width;
        spans.extend(item);
    }
    Line::from(spans).render(area, buf);
    if let Some(note) = &app.message {
        let text = format!(" {note} ");
        let w = (text.chars().count() as u16).min(area.width);
        let note_area = Rect::new(area.right() - w, area.y, w, 1);
        buf.set_style(note_area, ratatui::style::Style::reset());
        Line::from(Span::styled(text, theme::message())).render(note_area, buf);
    }
}
