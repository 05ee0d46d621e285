//! The Drift view: one line per parameter — its first step out of tolerance,
//! its worst error against the tolerance, and a sparkline of that error over
//! the steps — and below, the selected parameter's steps one by one.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::app::App;
use crate::describe::{Part, TextLine};
use crate::drift::ParameterDrift;
use crate::theme;
use crate::view::window_offset;

/// The error of each step as a sparkline (tallest: the worst step).
fn sparkline(p: &ParameterDrift) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let worst = p.worst();
    p.steps
        .iter()
        .map(|s| {
            if worst <= 0.0 || !worst.is_finite() {
                if s.ratio.is_infinite() { '█' } else { '▁' }
            } else {
                let level = (s.ratio / worst * (BARS.len() - 1) as f64).round();
                BARS[(level.max(0.0) as usize).min(BARS.len() - 1)]
            }
        })
        .collect()
}

fn parameter_line(p: &ParameterDrift) -> TextLine {
    let first = match p.first_out() {
        Some(step) => format!("out at step {}/{}", step + 1, p.steps.len()),
        None => format!("within tolerance, {} steps", p.steps.len()),
    };
    TextLine::new()
        .with(Part::Tensor, format!("{:<16} ", p.tensor))
        .with(
            if p.first_out().is_some() {
                Part::Warn
            } else {
                Part::Dim
            },
            format!("{first:<24} "),
        )
        .with(Part::Number, format!("worst {:>9.3e}× tol ", p.worst()))
        .with(Part::Number, sparkline(p))
}

pub(super) fn render(app: &App, list_area: Rect, steps_area: Rect, buf: &mut Buffer) {
    let block = Block::bordered()
        .border_style(theme::focused_border())
        .title(Line::from(vec![
            Span::styled(" Drift ", theme::title()),
            Span::styled(
                "gradient error / tolerance per parameter, first out first ",
                theme::hint(),
            ),
        ]));
    let inner = block.inner(list_area);
    block.render(list_area, buf);
    let parameters = app.drift.as_deref().unwrap_or(&[]);
    if parameters.is_empty() {
        Paragraph::new(Span::styled(
            "no accumulated gradient with values in both runs",
            theme::hint(),
        ))
        .render(inner, buf);
        return;
    }
    let rows = usize::from(inner.height);
    let selected = app.parameter.min(parameters.len() - 1);
    let offset = window_offset(0, selected, parameters.len(), rows);
    for (i, p) in parameters.iter().enumerate().skip(offset).take(rows) {
        let row = Rect::new(inner.x, inner.y + (i - offset) as u16, inner.width, 1);
        super::styled(&parameter_line(p)).render(row, buf);
        if i == selected {
            buf.set_style(row, theme::selected());
        }
    }
    render_steps(app, &parameters[selected], steps_area, buf);
}

fn render_steps(app: &App, p: &ParameterDrift, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered()
        .border_style(theme::border())
        .title(Line::from(vec![
            Span::styled(format!(" {} ", p.tensor), theme::title()),
            Span::styled("Enter: where its drift starts ", theme::hint()),
        ]));
    let diff = app.diff.as_ref();
    let lines: Vec<Line<'static>> = p
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let seq = diff
                .and_then(|d| d.rows.get(s.row))
                .and_then(|r| r.expected)
                .map_or_else(|| "—".to_owned(), |e| format!("#{e}"));
            let text = TextLine::new()
                .with(Part::Dim, format!("step {:>3}  ", i + 1))
                .with(Part::Seq, format!("{seq:<7} "))
                .with(
                    if s.bad > 0 { Part::Warn } else { Part::Number },
                    format!("{:.3e}× tol  {} out", s.ratio, s.bad),
                );
            super::styled(&text)
        })
        .collect();
    Paragraph::new(lines).block(block).render(area, buf);
}
