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
    let width = usize::from(area.width);
    let note = app.message.as_ref().map(|m| format!(" {m} "));
    let note_width = note.as_ref().map_or(0, |n| n.chars().count());
    let mut spans: Vec<Span<'static>> = Vec::new();
    if let Some(input) = &app.input {
        let matches = app.primary.shown();
        let noun = if matches == 1 { "match" } else { "matches" };
        spans.push(Span::styled("/", theme::key()));
        spans.push(Span::raw(input.text.clone()));
        spans.push(Span::styled("▏", theme::key()));
        let note = if app.primary.is_lazy() {
            "  Enter: search from the selection ".to_owned()
        } else {
            format!("  {matches} {noun} ")
        };
        spans.push(Span::styled(note, theme::hint()));
    }
    let mut used: usize = spans.iter().map(Span::width).sum();
    let room = width.saturating_sub(note_width);
    let mode = app.mode();
    let lazy = app.primary.is_lazy();
    for binding in hints(mode) {
        if lazy && crate::app::off_when_lazy(binding.action).is_some() {
            continue;
        }
        let keys = effective_keys(mode, binding);
        let Some(first) = keys.first() else {
            continue;
        };
        let item = [
            Span::styled(format!(" {}", first.label()), theme::key()),
            Span::styled(format!(" {} ", binding.short), theme::hint()),
        ];
        let item_width: usize = item.iter().map(Span::width).sum();
        if used + item_width > room {
            break;
        }
        used += item_width;
        spans.extend(item);
    }
    if let Some(note) = note {
        spans.push(Span::raw(" ".repeat(room.saturating_sub(used))));
        spans.push(Span::styled(note, theme::message()));
    }
    Line::from(spans).render(area, buf);
}
