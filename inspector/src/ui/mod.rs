//! Drawing: `impl Widget for &App` and one module per screen region.
//!
//! Drawing reads the state and never changes it. Each region is a free
//! function `render(state, area, buf)` in its own module — header, timeline,
//! details, footer (hint bar / filter input) and the help popup — placed by
//! [`crate::layout`], coloured by [`crate::theme`]. Text comes from
//! [`crate::describe`], so what the screen says is what `--dump` prints.

mod autograd;
mod details;
mod diff;
mod drift;
mod footer;
mod header;
mod help;
mod opgraph;
mod timeline;

pub use diff::{mark_label, side_text};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::{App, Focus, View};
use crate::describe::TextLine;
use crate::layout::areas;
use crate::theme;

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let view = &self.primary;
        let regions = areas(area, view.data.damage.is_some());
        header::render(view, regions.header, buf);
        header::render_banner(view, regions.banner, buf);
        match (self.view, &self.diff) {
            (View::Diff, Some(diff)) => diff::render(diff, &regions, buf),
            (View::Drift, _) => drift::render(self, regions.timeline, regions.details, buf),
            (View::Autograd, _) => {
                autograd::render_tree(self, regions.timeline, buf);
                autograd::render_queue(self, regions.details, buf);
            }
            (View::OpGraph, _) => {
                opgraph::render(self, regions.timeline, buf);
                details::render(view, false, regions.details, buf);
            }
            _ => {
                timeline::render(view, self.focus == Focus::Timeline, regions.timeline, buf);
                details::render(view, self.focus == Focus::Details, regions.details, buf);
            }
        }
        footer::render(self, regions.footer, buf);
        if self.help {
            help::render(area, buf);
        }
    }
}

/// Styled line from described text.
fn styled(text: &TextLine) -> Line<'static> {
    Line::from(
        text.parts
            .iter()
            .map(|(part, s)| Span::styled(s.clone(), theme::part(*part)))
            .collect::<Vec<_>>(),
    )
}
