//! The header line (file, producer, program, events per layer) and the red
//! banner of a truncated or damaged trace.

use ft_trace::Layer;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::TraceView;
use crate::theme;

pub(super) fn render(view: &TraceView, area: Rect, buf: &mut Buffer) {
    let data = &view.data;
    let (counts, unknown) = data.layer_counts();
    let sep = || Span::styled(" │ ", theme::border());
    let mut spans = vec![
        Span::styled(data.name.clone(), theme::title()),
        sep(),
        Span::raw(data.meta.producer.clone()),
        sep(),
        Span::raw(data.meta.program.clone()),
        sep(),
    ];
    for layer in Layer::ALL {
        spans.push(Span::styled(
            format!("{} ", layer.name()),
            theme::layer(layer as u8),
        ));
        spans.push(Span::raw(format!("{}  ", counts[layer as usize])));
    }
    if unknown > 0 {
        spans.push(Span::styled(
            format!("other {unknown}  "),
            theme::layer(255),
        ));
    }
    Line::from(spans).style(theme::header()).render(area, buf);
}

pub(super) fn render_banner(view: &TraceView, area: Rect, buf: &mut Buffer) {
    let Some(damage) = &view.data.damage else {
        return;
    };
    if area.is_empty() {
        return;
    }
    buf.set_style(area, theme::banner());
    Line::from(format!(" ⚠ {}", damage.message(view.data.events.len())))
        .style(theme::banner())
        .render(area, buf);
}
