//! The Diff view: the verdict as `ft-replay` prints it, the two runs side by
//! side (expected on the left, actual on the right, the mark between them),
//! and what the checks say about the selected row. Only the rows on screen
//! are formatted.

use ratatui::buffer::Buffer;
use ratatui::layout::{Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, StatefulWidget, Widget, Wrap,
};

use crate::describe::{Part, TextLine, summary};
use crate::diff::{DiffModel, DiffRow, ElementError};
use crate::layout::Areas;
use crate::theme;
use crate::trace::TraceData;
use crate::view::window_offset;

/// Width of the mark column between the two runs.
const MARK_WIDTH: u16 = 11;

pub(super) fn render(diff: &DiffModel, regions: &Areas, buf: &mut Buffer) {
    render_verdict(diff, regions.diff_verdict, buf);
    render_rows(diff, regions.diff_rows, buf);
    render_marks(diff, regions.diff_marks, buf);
}

fn render_verdict(diff: &DiffModel, area: Rect, buf: &mut Buffer) {
    let lines: Vec<Line<'static>> = diff
        .verdict_lines()
        .into_iter()
        .map(|line| {
            let style = if line.starts_with("FAIL") {
                theme::part(Part::Warn)
            } else if line.starts_with("ok ") {
                theme::hint()
            } else {
                Style::default().add_modifier(Modifier::BOLD)
            };
            Line::from(Span::styled(
                ft_trace::text::escape_control(&line).into_owned(),
                style,
            ))
        })
        .collect();
    Paragraph::new(lines).render(area, buf);
}

fn render_rows(diff: &DiffModel, area: Rect, buf: &mut Buffer) {
    let title = Line::from(vec![
        Span::styled(" Diff ", theme::title()),
        Span::styled(
            format!(
                "{}/{} rows, {} divergent · expected {} │ actual {} ",
                diff.selected() + 1,
                diff.rows.len(),
                diff.divergent_rows().len(),
                diff.expected.name,
                diff.actual.name
            ),
            theme::hint(),
        ),
    ]);
    let block = Block::bordered()
        .border_style(theme::focused_border())
        .title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    let rows = usize::from(inner.height);
    let offset = window_offset(diff.offset(), diff.selected(), diff.rows.len(), rows);
    let side = inner.width.saturating_sub(MARK_WIDTH + 2) / 2;
    for (i, row) in diff.rows.iter().skip(offset).take(rows).enumerate() {
        let y = inner.y + i as u16;
        let left = Rect::new(inner.x, y, side, 1);
        let mark = Rect::new(inner.x + side + 1, y, MARK_WIDTH, 1);
        let right_x = inner.x + side + MARK_WIDTH + 2;
        let right = Rect::new(right_x, y, inner.right().saturating_sub(right_x), 1);
        super::styled(&side_text(&diff.expected, row.expected)).render(left, buf);
        mark_text(row).render(mark, buf);
        super::styled(&side_text(&diff.actual, row.actual)).render(right, buf);
        if offset + i == diff.selected() {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), theme::selected());
        }
    }
    if diff.rows.len() > rows {
        let mut state = ScrollbarState::new(diff.rows.len().saturating_sub(rows)).position(offset);
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .render(area.inner(Margin::new(0, 1)), buf, &mut state);
    }
}

/// `#12 aten.mm.default(T3[2,3], …)` for one side of a row, blank when the
/// side has no event there.
pub fn side_text(data: &TraceData, position: Option<usize>) -> TextLine {
    let Some(event) = position.and_then(|p| data.events.get(p)) else {
        return TextLine::new().with(Part::Dim, "·");
    };
    let mut line = TextLine::new()
        .with(Part::Seq, format!("#{} ", event.seq))
        .with(Part::Kind, format!("{} ", event.body.kind_name()));
    line.parts.extend(summary(data, event).parts);
    line
}

/// The mark column: the first mark's label, `+N` when there are more.
pub fn mark_label(row: &DiffRow) -> String {
    match row.marks.as_slice() {
        [] => String::new(),
        [one] => one.label.clone(),
        [first, rest @ ..] => format!("{} +{}", first.label, rest.len()),
    }
}

fn mark_text(row: &DiffRow) -> Line<'static> {
    let label = mark_label(row);
    if label.is_empty() {
        Line::from(Span::styled("│", theme::border()))
    } else {
        Line::from(Span::styled(label, theme::part(Part::Warn)))
    }
}

/// `output 0 T11[16,8] worst [3, 5]: expected 1.234e-1, actual 1.334e-1,
/// |Δ| 1.000e-2 (allowed 1.016e-5); 128 of 128 out of tolerance`.
pub fn element_text(e: &ElementError) -> String {
    let index: Vec<String> = e.worst.iter().map(usize::to_string).collect();
    format!(
        "output {} {} worst [{}]: expected {:.6e}, actual {:.6e}, |Δ| {:.3e} (allowed {:.3e}); {} of {} out of tolerance",
        e.output,
        e.tensor,
        index.join(", "),
        e.expected,
        e.actual,
        (e.actual - e.expected).abs(),
        e.allowed,
        e.bad,
        e.numel
    )
}

fn element_line(e: &ElementError) -> Line<'static> {
    let style = if e.bad > 0 {
        theme::part(Part::Number)
    } else {
        theme::hint()
    };
    Line::from(Span::styled(element_text(e), style))
}

fn render_marks(diff: &DiffModel, area: Rect, buf: &mut Buffer) {
    let Some(row) = diff.selected_row() else {
        Block::bordered().render(area, buf);
        return;
    };
    let side = |p: Option<usize>| p.map_or_else(|| "—".to_owned(), |p| format!("#{p}"));
    let title = Line::from(vec![
        Span::styled(" Row ", theme::title()),
        Span::styled(
            format!(
                "expected {} · actual {} ",
                side(row.expected),
                side(row.actual)
            ),
            theme::hint(),
        ),
    ]);
    let block = Block::bordered().border_style(theme::border()).title(title);
    let mut lines: Vec<Line<'static>> = if row.marks.is_empty() {
        vec![Line::from(Span::styled(
            "the runs agree on this row (n: next divergence)",
            theme::hint(),
        ))]
    } else {
        row.marks
            .iter()
            .map(|m| {
                Line::from(vec![
                    Span::styled(format!("[{}] ", m.label), theme::part(Part::Warn)),
                    Span::raw(ft_trace::text::escape_control(&m.message).into_owned()),
                ])
            })
            .collect()
    };
    lines.extend(diff.element_errors().iter().map(element_line));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(block)
        .render(area, buf);
}
