//! The Autograd view: the GraphTask's gradient graph as a tree (nodes in
//! the queue marked `•`, the node just pushed or popped `▶`), and the
//! ReadyQueue stepper: the step's event and the queue after it, in pop order.

use std::collections::HashSet;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::app::App;
use crate::autograd::tree;
use crate::describe::{Part, TextLine, push_node, seq_nr_label};
use crate::theme;
use crate::view::window_offset;

fn titled(title: &str, note: String) -> Block<'static> {
    Block::bordered()
        .border_style(theme::border())
        .title(Line::from(vec![
            Span::styled(format!(" {title} "), theme::title()),
            Span::styled(note, theme::hint()),
        ]))
}

pub(super) fn render_tree(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(task) = app.tasks.get(app.task) else {
        let block = titled("Autograd", String::new());
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(Span::styled("this trace runs no backward", theme::hint()))
            .render(inner, buf);
        return;
    };
    let data = &app.primary.data;
    let steps = app.queue_steps();
    let step = steps.get(app.step.min(steps.len().saturating_sub(1)));
    let queued: HashSet<u64> = step
        .map(|s| s.queue.iter().map(|q| q.node).collect())
        .unwrap_or_default();
    let current = step.map(|s| s.entry.node);
    let block = titled(
        "Autograd",
        format!(
            "GraphTask {}/{} #{}..#{} depth {} (n/N) ",
            app.task + 1,
            app.tasks.len(),
            task.begin,
            task.end,
            task.depth
        ),
    )
    .border_style(theme::focused_border());
    let inner = block.inner(area);
    block.render(area, buf);
    let lines = tree(data, task);
    let rows = usize::from(inner.height);
    let focus = lines
        .iter()
        .position(|l| Some(l.node) == current && !l.seen)
        .unwrap_or(0);
    let offset = window_offset(0, focus, lines.len(), rows);
    let lookup = data.lookup();
    for (i, line) in lines.iter().enumerate().skip(offset).take(rows) {
        let marker = if Some(line.node) == current {
            "▶ "
        } else if queued.contains(&line.node) {
            "• "
        } else {
            "  "
        };
        let mut text = TextLine::new()
            .with(Part::Warn, marker)
            .with(Part::Dim, "  ".repeat(line.indent));
        push_node(&mut text, &lookup, line.node);
        text.push(Part::Dim, format!(" ·{}", line.input_nr));
        if line.seen {
            text.push(Part::Dim, " (above)");
        }
        let y = inner.y + (i - offset) as u16;
        super::styled(&text).render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}

pub(super) fn render_queue(app: &App, area: Rect, buf: &mut Buffer) {
    if app.diff.is_none() {
        return render_steps(
            app,
            &app.queue_steps(),
            &app.primary.data,
            "ReadyQueue",
            area,
            buf,
        );
    }
    let [left, right] = ratatui::layout::Layout::horizontal([
        ratatui::layout::Constraint::Percentage(50),
        ratatui::layout::Constraint::Percentage(50),
    ])
    .areas(area);
    render_steps(
        app,
        &app.queue_steps(),
        &app.primary.data,
        "PyTorch",
        left,
        buf,
    );
    if let Some(diff) = &app.diff {
        render_steps(
            app,
            &app.actual_queue_steps(),
            &diff.actual,
            "ours",
            right,
            buf,
        );
    }
}

fn render_steps(
    app: &App,
    steps: &[crate::autograd::QueueStep],
    data: &crate::trace::TraceData,
    title: &str,
    area: Rect,
    buf: &mut Buffer,
) {
    let block = titled(
        title,
        if steps.is_empty() {
            String::new()
        } else {
            format!(
                "step {}/{} (j/k) ",
                app.step.min(steps.len() - 1) + 1,
                steps.len()
            )
        },
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(step) = steps.get(app.step.min(steps.len().saturating_sub(1))) else {
        Paragraph::new(Span::styled(
            "no push or pop in this GraphTask",
            theme::hint(),
        ))
        .render(inner, buf);
        return;
    };
    let lookup = data.lookup();
    let entry_line = |label: &str, q: &ft_trace::QueueEntry| {
        let mut line = TextLine::new().with(Part::Kind, label.to_owned());
        push_node(&mut line, &lookup, q.node);
        line.push(
            Part::Plain,
            format!(" key=({}, {})", q.depth, seq_nr_label(q.seq_nr)),
        )
        .push(Part::Dim, format!(" deps={}", q.deps));
        line
    };
    let mut lines = vec![
        entry_line(
            &format!(
                "#{} {} ",
                step.position,
                if step.push { "push" } else { "pop" }
            ),
            &step.entry,
        ),
        TextLine::new().with(
            Part::Label,
            format!("queue after it ({}), next pop first:", step.queue.len()),
        ),
    ];
    lines.extend(step.queue.iter().map(|q| entry_line("  ", q)));
    let rendered: Vec<Line<'static>> = lines.iter().map(super::styled).collect();
    Paragraph::new(rendered).render(inner, buf);
}
