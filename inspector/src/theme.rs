//! Every colour and text attribute the inspector uses.
//!
//! Only the 16 named ANSI colours, so the inspector follows the user's
//! terminal palette (light or dark) instead of imposing one. Each layer has
//! one colour used everywhere it appears: timeline, header counts, details.

use ratatui::style::{Color, Modifier, Style};

use crate::describe::Part;

/// Colour of a layer (wire number); unknown layers are grey.
pub fn layer(layer: u8) -> Style {
    let color = match layer {
        0 => Color::Cyan,
        1 => Color::Green,
        2 => Color::Magenta,
        3 => Color::Yellow,
        _ => Color::DarkGray,
    };
    Style::new().fg(color)
}

/// Style of a piece of described text.
pub fn part(part: Part) -> Style {
    match part {
        Part::Plain => Style::new(),
        Part::Dim => Style::new().fg(Color::DarkGray),
        Part::Seq => Style::new().fg(Color::DarkGray),
        Part::Layer(l) => layer(l),
        Part::Kind => Style::new(),
        Part::Name => Style::new().add_modifier(Modifier::BOLD),
        Part::Tensor => Style::new().fg(Color::Blue),
        Part::Node => Style::new().fg(Color::Magenta),
        Part::Context => Style::new().fg(Color::DarkGray),
        Part::Label => Style::new().fg(Color::Cyan),
        Part::Hash => Style::new().fg(Color::Yellow),
        Part::Number => Style::new().fg(Color::LightBlue),
        Part::Warn => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

/// The selected timeline row.
pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// Border of the pane that has focus.
pub fn focused_border() -> Style {
    Style::new().fg(Color::Cyan)
}

/// Border of the other panes.
pub fn border() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Pane titles.
pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// The header line.
pub fn header() -> Style {
    Style::new()
}

/// The truncated / damaged trace banner.
pub fn banner() -> Style {
    Style::new()
        .fg(Color::White)
        .bg(Color::Red)
        .add_modifier(Modifier::BOLD)
}

/// A key in the hint bar and help popup.
pub fn key() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

/// A key's description in the hint bar.
pub fn hint() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// A note from the last action ("no later aten.mul.Tensor").
pub fn message() -> Style {
    Style::new().fg(Color::Yellow)
}

/// Section headings in the help popup.
pub fn heading() -> Style {
    Style::new()
        .add_modifier(Modifier::BOLD)
        .add_modifier(Modifier::UNDERLINED)
}
