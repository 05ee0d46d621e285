//! Screen geometry: where the header, warning banner, timeline, details and
//! footer go for a given terminal size.
//!
//! Pure arithmetic shared by the state (page sizes) and the drawing, so the
//! two can never disagree about how many rows a page has. Narrow terminals
//! stack the timeline above the details; from [`WIDE`] columns on they sit
//! side by side.

use ratatui::layout::{Constraint, Layout, Rect};

/// From this width on, timeline and details sit side by side.
pub const WIDE: u16 = 120;

/// The regions of the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    /// One line: file, producer, program, counts per layer.
    pub header: Rect,
    /// One line warning of a truncated or damaged trace (zero height otherwise).
    pub banner: Rect,
    /// The event list, with its border.
    pub timeline: Rect,
    /// The selected event's details, with its border.
    pub details: Rect,
    /// One line: key hints, the filter being typed, or a note.
    pub footer: Rect,
    /// Diff view: the per-check lines and the verdict, as `ft-replay` prints them.
    pub diff_verdict: Rect,
    /// Diff view: the aligned rows, with their border.
    pub diff_rows: Rect,
    /// Diff view: what the checks say about the selected row, with its border.
    pub diff_marks: Rect,
}

/// Lines of the Diff view's verdict block: six checks and the verdict.
pub const VERDICT_LINES: u16 = 7;

/// Splits `area`; `banner` reserves the warning line.
pub fn areas(area: Rect, banner: bool) -> Areas {
    let [header, banner_area, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(banner)),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let split = if area.width >= WIDE {
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
    } else {
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
    };
    let [timeline, details] = split.areas(body);
    let [diff_verdict, diff_rows, diff_marks] = Layout::vertical([
        Constraint::Length(VERDICT_LINES),
        Constraint::Fill(1),
        Constraint::Length(if area.height >= 40 { 8 } else { 5 }),
    ])
    .areas(body);
    Areas {
        header,
        banner: banner_area,
        timeline,
        details,
        footer,
        diff_verdict,
        diff_rows,
        diff_marks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_stacks_and_wide_splits() {
        let narrow = areas(Rect::new(0, 0, 80, 24), false);
        assert_eq!(narrow.timeline.width, 80);
        assert!(narrow.details.y > narrow.timeline.y);
        assert_eq!(narrow.banner.height, 0);
        let wide = areas(Rect::new(0, 0, 160, 40), true);
        assert_eq!(wide.banner.height, 1);
        assert_eq!(wide.timeline.y, wide.details.y);
        assert!(wide.details.x > wide.timeline.x);
    }

    #[test]
    fn tiny_terminals_do_not_underflow() {
        let tiny = areas(Rect::new(0, 0, 10, 2), true);
        assert!(tiny.timeline.height <= 2);
    }
}
