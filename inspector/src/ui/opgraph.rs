//! The Op graph view: the selected event on top, then one line per link —
//! each input's producer, each output's consumers — the cursor on the link
//! `Enter` follows. The details pane beside or below stays the selected
//! event's.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::app::App;
use crate::describe::{Part, TextLine};
use crate::opgraph::link_line;
use crate::theme;
use crate::view::window_offset;

pub(super) fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let view = &app.primary;
    let title = Line::from(vec![
        Span::styled(" Op graph ", theme::title()),
        Span::styled(format!("back: {} ", app.history.len()), theme::hint()),
    ]);
    let block = Block::bordered()
        .border_style(theme::focused_border())
        .title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(index) = view.selected_index() else {
        Paragraph::new(Span::styled("no event selected", theme::hint())).render(inner, buf);
        return;
    };
    let data = &view.data;
    let mut head = TextLine::new();
    if let Some(event) = data.events.get(index) {
        head.push(Part::Seq, format!("#{} ", event.seq))
            .push(Part::Kind, format!("{} ", event.body.kind_name()));
        head.parts
            .extend(crate::describe::summary(data, event).parts);
    }
    if inner.height == 0 {
        return;
    }
    super::styled(&head).render(Rect::new(inner.x, inner.y, inner.width, 1), buf);
    let links = app.links();
    let list = Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(1),
    );
    if links.is_empty() {
        Paragraph::new(Span::styled(
            "this event has no tensor inputs or outputs to follow",
            theme::hint(),
        ))
        .render(list, buf);
        return;
    }
    let rows = usize::from(list.height);
    let cursor = app.link.min(links.len() - 1);
    let offset = window_offset(0, cursor, links.len(), rows);
    for (i, link) in links.iter().enumerate().skip(offset).take(rows) {
        let y = list.y + (i - offset) as u16;
        let row = Rect::new(list.x, y, list.width, 1);
        super::styled(&link_line(data, link)).render(row, buf);
        if i == cursor {
            buf.set_style(row, theme::selected());
        }
    }
}
