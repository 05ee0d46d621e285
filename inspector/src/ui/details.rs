//! The details pane: every field of the selected event, tensor metadata and
//! value statistics, scrollable when it has focus.

use ratatui::buffer::Buffer;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, StatefulWidget, Widget,
};

use crate::theme;
use crate::view::TraceView;

pub(super) fn render(view: &TraceView, focused: bool, area: Rect, buf: &mut Buffer) {
    let title = match view.selected_index() {
        Some(index) => format!(" Details #{index} "),
        None => " Details ".to_owned(),
    };
    let block = Block::bordered()
        .border_style(if focused {
            theme::focused_border()
        } else {
            theme::border()
        })
        .title(Line::from(Span::styled(title, theme::title())));
    let lines: Vec<Line<'static>> = view.details().iter().map(super::styled).collect();
    let rows = usize::from(block.inner(area).height);
    let max_scroll = lines.len().saturating_sub(rows);
    let scroll = view.details_scroll().min(max_scroll);
    Paragraph::new(lines)
        .block(block)
        .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
        .render(area, buf);
    if max_scroll > 0 {
        let mut state = ScrollbarState::new(max_scroll).position(scroll);
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .render(area.inner(Margin::new(0, 1)), buf, &mut state);
    }
}
