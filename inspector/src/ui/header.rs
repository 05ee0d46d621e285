//! The header line (file, producer, program, events per layer) and the red
//! banner of a truncated or damaged trace.

use ft_trace::Layer;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::theme;
use crate::view::TraceView;

/// File, producer and program on the left; counts per layer on the right.
/// When the line is too narrow the left part is shortened, never the counts.
pub(super) fn render(view: &TraceView, area: Rect, buf: &mut Buffer) {
    let data = &view.data;
    let (counts, unknown) = data.layer_counts();
    let mut right: Vec<Span<'static>> = Vec::new();
    for layer in Layer::ALL {
        right.push(Span::styled(
            format!(" {} ", layer.name()),
            theme::layer(layer as u8),
        ));
        right.push(Span::raw(counts[layer as usize].to_string()));
    }
    if unknown > 0 {
        right.push(Span::styled(" other ", theme::layer(255)));
        right.push(Span::raw(unknown.to_string()));
    }
    right.push(Span::raw(" "));
    let right_width: usize = right.iter().map(Span::width).sum();
    let room = usize::from(area.width).saturating_sub(right_width + 1);
    let left = [
        (data.name.as_str(), theme::title()),
        (data.meta.producer.as_str(), theme::header()),
        (data.meta.program.as_str(), theme::header()),
    ];
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    for (i, (text, style)) in left.into_iter().enumerate() {
        let sep = if i == 0 { "" } else { " │ " };
        let wanted = sep.chars().count() + text.chars().count();
        if used + wanted <= room {
            spans.push(Span::styled(sep, theme::border()));
            spans.push(Span::styled(text.to_owned(), style));
            used += wanted;
        } else {
            let keep = room.saturating_sub(used + sep.chars().count() + 1);
            if keep > 0 {
                let cut: String = text.chars().take(keep).collect();
                spans.push(Span::styled(sep, theme::border()));
                spans.push(Span::styled(format!("{cut}…"), style));
                used += sep.chars().count() + keep + 1;
            }
            break;
        }
    }
    spans.push(Span::raw(" ".repeat(
        usize::from(area.width).saturating_sub(used + right_width),
    )));
    spans.extend(right);
    Line::from(spans).render(area, buf);
}

pub(super) fn render_banner(view: &TraceView, area: Rect, buf: &mut Buffer) {
    let Some(damage) = &view.data.damage else {
        return;
    };
    if area.is_empty() {
        return;
    }
    buf.set_style(area, theme::banner());
    Line::from(format!(" ⚠ {}", damage.message()))
        .style(theme::banner())
        .render(area, buf);
}
