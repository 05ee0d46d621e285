//! The timeline: one row per visible event, the selection highlighted, a
//! scrollbar when the list is longer than the pane. Only the rows on screen
//! are formatted, so the cost of a frame does not grow with the trace.

use ratatui::buffer::Buffer;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, StatefulWidget, Widget,
};

use crate::describe::{Part, TextLine, timeline_row};
use crate::theme;
use crate::view::{LayerFilter, TraceView, window_offset};

pub(super) fn render(view: &TraceView, focused: bool, area: Rect, buf: &mut Buffer) {
    let block = block(view, focused);
    let inner = block.inner(area);
    block.render(area, buf);
    let visible = view.visible();
    if visible.is_empty() {
        let note = if view.data.events.is_empty() {
            "this trace holds no readable events"
        } else {
            "no events match the filter"
        };
        Paragraph::new(Span::styled(note, theme::hint())).render(inner, buf);
        return;
    }
    let rows = usize::from(inner.height);
    let selected = view.selected_position().unwrap_or(0);
    let offset = window_offset(view.offset(), selected, visible.len(), rows);
    for (row, &index) in visible.iter().skip(offset).take(rows).enumerate() {
        let y = inner.y + row as u16;
        let row_area = Rect::new(inner.x, y, inner.width, 1);
        super::styled(&nested_row(view, index)).render(row_area, buf);
        if offset + row == selected {
            buf.set_style(row_area, theme::selected());
        }
    }
    if visible.len() > rows {
        let mut state = ScrollbarState::new(visible.len().saturating_sub(rows)).position(offset);
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .render(area.inner(Margin::new(0, 1)), buf, &mut state);
    }
}

/// The timeline row of event `index`, its summary indented by how deep it is
/// nested, a parent marked `▾` (or `▸ N` with its N children hidden).
fn nested_row(view: &TraceView, index: usize) -> TextLine {
    let mut line = timeline_row(&view.data, index, view.columns);
    let nesting = view.nesting();
    let indent = "  ".repeat(usize::from(nesting.depth(index)));
    let children = nesting.children(index);
    let marker = match (children, view.is_folded(index)) {
        (0, _) if indent.is_empty() => return line,
        (0, _) => format!("{indent}  "),
        (_, false) => format!("{indent}▾ "),
        (n, true) => format!("{indent}▸ {n} hidden · "),
    };
    // After the seq, layer and kind columns.
    let at = line.parts.len().min(3);
    line.parts.insert(at, (Part::Dim, marker));
    line
}

fn block(view: &TraceView, focused: bool) -> Block<'static> {
    let filter = view.filter();
    let total = view.data.events.len();
    let shown = view.visible().len();
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
