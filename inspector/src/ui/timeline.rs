//! The timeline: one row per visible event, the selection highlighted, a
//! scrollbar when the list is longer than the pane. Only the rows on screen
//! are formatted, so the cost of a frame does not grow with the trace.

use ratatui::buffer::Buffer;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, StatefulWidget, Widget,
};

use crate::theme;
use crate::view::{LayerFilter, TraceView, window_offset};

pub(super) fn render(view: &TraceView, focused: bool, area: Rect, buf: &mut Buffer) {
    let block = block(view, focused);
    let inner = block.inner(area);
    block.render(area, buf);
    let shown = view.shown();
    if shown == 0 {
        let note = if view.data.event_count() == 0 {
            "this trace holds no readable events"
        } else {
            "no events match the filter"
        };
        Paragraph::new(Span::styled(note, theme::hint())).render(inner, buf);
        return;
    }
    let rows = usize::from(inner.height);
    let selected = view.selected_position().unwrap_or(0);
    let offset = window_offset(view.offset(), selected, shown, rows);
    for (row, (_, line)) in view.rows(offset, rows).iter().enumerate() {
        let y = inner.y + row as u16;
        let row_area = Rect::new(inner.x, y, inner.width, 1);
        super::styled(line).render(row_area, buf);
        if offset + row == selected {
            buf.set_style(row_area, theme::selected());
        }
    }
    if shown > rows {
        let mut state = ScrollbarState::new(shown.saturating_sub(rows)).position(offset);
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .render(area.inner(Margin::new(0, 1)), buf, &mut state);
    }
}

fn block(view: &TraceView, focused: bool) -> Block<'static> {
    let filter = view.filter();
    let total = view.data.event_count();
    let shown = view.shown();
    let position = view
        .selected_position()
        .map_or_else(|| "-".to_owned(), |p| (p + 1).to_string());
    let mut title = vec![Span::styled(" Timeline ", theme::title())];
    title.push(Span::styled(
        if shown == total {
            format!("{position}/{total} ")
        } else {
            format!("{position}/{shown} of {total} ")
        },
        theme::hint(),
    ));
    if let Some(lazy) = &view.data.lazy {
        let note = match lazy.indexing() {
            Some(done) => format!(
                "large: read on demand · indexing {}% ",
                done.saturating_mul(100) / lazy.len().max(1)
            ),
            None => "large: read on demand ".to_owned(),
        };
        title.push(Span::styled(note, theme::hint()));
    }
    let mut filters = Vec::new();
    if let LayerFilter::Only(layer) = filter.layer {
        filters.push(Span::styled(" layer ", theme::hint()));
        filters.push(Span::styled(layer.name(), theme::layer(layer as u8)));
    }
    if !filter.text.is_empty() {
        filters.push(Span::styled(" filter ", theme::hint()));
        filters.push(Span::styled(format!("\"{}\"", filter.text), theme::key()));
    }
    let mut block = Block::bordered()
        .border_style(if focused {
            theme::focused_border()
        } else {
            theme::border()
        })
        .title(Line::from(title));
    if !filters.is_empty() {
        filters.push(Span::raw(" "));
        block = block.title_top(Line::from(filters).right_aligned());
    }
    block
}
