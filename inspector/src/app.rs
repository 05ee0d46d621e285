//! Application state and its only mutator, [`App::update`].
//!
//! `App` is plain data: what is open, what is selected, what is filtered,
//! which pane has focus, whether help is showing. Keys become
//! [`Action`]s in [`crate::bindings`]; `update` applies one action and never
//! touches the terminal or the file, so every behaviour is unit-testable and
//! drawing (in the `ui` module) is a pure function of the state.
//!
//! The one thing that needs the file — reading tensor values for the selected
//! event — happens in [`App::fetch_values`], which the event loop calls after
//! `update` and before drawing.
//!
//! Per-trace state lives in [`TraceView`] (module [`crate::view`]); with
//! `--against`, the two runs aligned live in a [`DiffModel`] shown by the
//! Diff view. [`View`] says which view is on screen.

use ratatui::crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use crate::bindings::{Action, Scope, resolve};
use crate::diff::DiffModel;
use crate::layout::{Areas, areas};
use crate::trace::TraceData;
use crate::values::BlobSource;
use crate::view::{Filter, TraceView};

/// Which pane receives movement keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The event list.
    Timeline,
    /// The details of the selected event (scrolls).
    Details,
}

/// Which view is on screen (number keys and `Tab` switch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// 1: the events of one run.
    Timeline,
    /// 2: both runs aligned, divergences marked.
    Diff,
    /// 3: per parameter, the gradient error over the training steps.
    Drift,
    /// 4: a GraphTask's gradient graph and its ReadyQueue, step by step.
    Autograd,
    /// 5: producers of the selected event's inputs, consumers of its outputs.
    OpGraph,
}

/// The filter being typed after `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterInput {
    /// What was typed so far (applied live).
    pub text: String,
    /// The filter text before `/`, restored by Esc.
    previous: String,
}

/// A text search through a lazily read trace, advanced a slice of time at
/// a time by [`App::poll`]: it selects the next event whose search text (the
/// filter's, see [`crate::trace::TraceData::search_key`]) holds the needle.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Search {
    /// Lower-case text looked for.
    needle: String,
    /// Next event to look at.
    next: u64,
}

/// Events a search step describes at once.
const SEARCH_BLOCK: u64 = 256;

/// The whole application state.
#[derive(Clone, Debug)]
pub struct App {
    /// The trace being inspected (with `--against`: the actual run).
    pub primary: TraceView,
    /// The two runs aligned, when a second run is open.
    pub diff: Option<DiffModel>,
    /// The view on screen.
    pub view: View,
    /// The selected line of the op graph view.
    pub link: usize,
    /// Events selected before each link followed, most recent last.
    pub history: Vec<usize>,
    /// The trace's GraphTasks (autograd view).
    pub tasks: Vec<crate::autograd::GraphTask>,
    /// With a diff open: the actual run's GraphTasks, shown beside.
    pub actual_tasks: Vec<crate::autograd::GraphTask>,
    /// The GraphTask the autograd view shows.
    pub task: usize,
    /// The ReadyQueue step it shows.
    pub step: usize,
    /// Per-parameter drift, computed when the drift view is first shown.
    pub drift: Option<Vec<crate::drift::ParameterDrift>>,
    /// The parameter the drift view selects.
    pub parameter: usize,
    /// Which pane movement keys go to.
    pub focus: Focus,
    /// Whether the key help popup is open.
    pub help: bool,
    /// Set while the filter is being typed.
    pub input: Option<FilterInput>,
    /// Set by [`Action::Quit`]; the event loop stops.
    pub quit: bool,
    /// A one-shot note for the status line (cleared by the next action).
    pub message: Option<String>,
    /// In a lazily read trace, the text search under way (`/` then Enter).
    search: Option<Search>,
    /// The text last searched for (what `/` starts with in a lazily read trace).
    needle: String,
    /// Terminal size, for page sizes.
    size: Rect,
}

impl App {
    /// A fresh state for `data`, sized for an 80×24 terminal until
    /// [`App::resize`] says otherwise.
    pub fn new(data: TraceData) -> App {
        let tasks = crate::autograd::graph_tasks(&data);
        let mut app = App {
            tasks,
            actual_tasks: Vec::new(),
            task: 0,
            step: 0,
            drift: None,
            parameter: 0,
            primary: TraceView::new(data),
            diff: None,
            view: View::Timeline,
            link: 0,
            history: Vec::new(),
            focus: Focus::Timeline,
            help: false,
            input: None,
            quit: false,
            message: None,
            search: None,
            needle: String::new(),
            size: Rect::new(0, 0, 80, 24),
        };
        app.resize(80, 24);
        app
    }

    /// Applies a filter (used for `--filter` / `--layer` at start-up).
    pub fn with_filter(mut self, filter: Filter) -> App {
        if self.primary.is_lazy() && !filter.is_empty() {
            self.message = Some(format!(
                "filters are off above {} events: showing every event",
                crate::lazy::LAZY_THRESHOLD
            ));
            return self;
        }
        let rows = self.timeline_rows();
        self.primary.set_filter(filter, rows);
        self
    }

    /// Adds the aligned runs and shows the Diff view, the first divergence
    /// (if any) selected.
    pub fn with_diff(mut self, mut diff: DiffModel) -> App {
        let rows = self.diff_rows();
        if let Some(&first) = diff.divergent_rows().first() {
            diff.select(first, rows);
        }
        self.actual_tasks = crate::autograd::graph_tasks(&diff.actual);
        if let Some(seq) = diff
            .report
            .schedule
            .divergences
            .first()
            .and_then(|d| d.expected_seq)
        {
            self.select_queue_step_at(seq);
        }
        self.diff = Some(diff);
        self.view = View::Diff;
        self
    }

    /// Points the autograd view at the GraphTask holding event `seq` and at
    /// its first push or pop at or after it.
    fn select_queue_step_at(&mut self, seq: u64) {
        let Ok(position) = usize::try_from(seq) else {
            return;
        };
        if let Some(task) = self
            .tasks
            .iter()
            .position(|t| t.begin <= position && position <= t.end)
        {
            self.task = task;
            let steps = self.queue_steps();
            self.step = steps
                .iter()
                .position(|s| s.position >= position)
                .unwrap_or(steps.len().saturating_sub(1));
        }
    }

    /// With a diff open, the actual run's ReadyQueue steps of the GraphTask
    /// at the same index as the one shown.
    pub fn actual_queue_steps(&self) -> Vec<crate::autograd::QueueStep> {
        match (&self.diff, self.actual_tasks.get(self.task)) {
            (Some(diff), Some(task)) => crate::autograd::queue_steps(&diff.actual, task),
            _ => Vec::new(),
        }
    }

    /// Rows of aligned events the Diff view shows.
    pub fn diff_rows(&self) -> usize {
        usize::from(self.areas().diff_rows.height.saturating_sub(2))
    }

    /// Records the terminal size.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = Rect::new(0, 0, width, height);
        let rows = self.timeline_rows();
        self.primary.scroll_into_view(rows);
        let diff_rows = self.diff_rows();
        if let Some(diff) = self.diff.as_mut() {
            diff.scroll_into_view(diff_rows);
        }
    }

    /// Screen areas for the current size.
    pub fn areas(&self) -> Areas {
        areas(self.size, self.primary.data.damage.is_some())
    }

    /// Applies a movement or jump to the Diff view; false when the action
    /// is not one (or no diff is open).
    fn update_diff(&mut self, action: Action) -> bool {
        let rows = self.diff_rows();
        let page = rows.max(1) as isize;
        let Some(diff) = self.diff.as_mut() else {
            return false;
        };
        match action {
            Action::Down => diff.move_by(1, rows),
            Action::Up => diff.move_by(-1, rows),
            Action::PageDown => diff.move_by(page, rows),
            Action::PageUp => diff.move_by(-page, rows),
            Action::First => diff.select(0, rows),
            Action::Last => diff.select(usize::MAX, rows),
            Action::NextSame | Action::PrevSame => {
                if let Err(note) = diff.jump_divergence(action == Action::NextSame, rows) {
                    self.message = Some(note);
                }
            }
            Action::Follow => match diff.selected_row().and_then(|r| r.expected) {
                Some(event) => {
                    let rows = self.timeline_rows();
                    self.primary.select_event(event, rows);
                    self.link = 0;
                    self.view = View::OpGraph;
                }
                None => {
                    self.message = Some("this row has no PyTorch event (extra in ours)".into());
                }
            },
            _ => return false,
        }
        true
    }

    /// Applies a movement or a follow to the op graph view; false when the
    /// action is not one.
    fn update_op_graph(&mut self, action: Action) -> bool {
        let links = self.links();
        let last = links.len().saturating_sub(1);
        match action {
            Action::Down => self.link = (self.link + 1).min(last),
            Action::Up => self.link = self.link.saturating_sub(1),
            Action::First => self.link = 0,
            Action::Last => self.link = last,
            Action::Follow => match links.get(self.link).map(|l| l.target) {
                Some(Some(target)) => self.go_to(target),
                Some(None) => self.message = Some("that link leads nowhere in this trace".into()),
                None => self.message = Some("this event has no tensor links".into()),
            },
            _ => return false,
        }
        true
    }

    /// Applies a step or a task change to the autograd view; false when the
    /// action is not one.
    fn update_autograd(&mut self, action: Action) -> bool {
        let steps = self.queue_steps().len();
        let last = steps.saturating_sub(1);
        let page = self.diff_rows().max(1);
        match action {
            Action::Down => self.step = (self.step + 1).min(last),
            Action::Up => self.step = self.step.saturating_sub(1),
            Action::PageDown => self.step = (self.step + page).min(last),
            Action::PageUp => self.step = self.step.saturating_sub(page),
            Action::First => self.step = 0,
            Action::Last => self.step = last,
            Action::NextSame | Action::PrevSame => {
                let forward = action == Action::NextSame;
                let target = if forward {
                    (self.task + 1 < self.tasks.len()).then_some(self.task + 1)
                } else {
                    self.task.checked_sub(1)
                };
                match target {
                    Some(task) => {
                        self.task = task;
                        self.step = 0;
                    }
                    None if self.tasks.is_empty() => {
                        self.message = Some("this trace runs no backward".into());
                    }
                    None if forward => self.message = Some("no later GraphTask".into()),
                    None => self.message = Some("no earlier GraphTask".into()),
                }
            }
            Action::Follow => {
                self.message = Some("that key works in the timeline (1)".into());
            }
            _ => return false,
        }
        true
    }

    /// Moves the drift view's selection, or jumps to where the selected
    /// parameter's drift starts (in the Diff view); false when the action is
    /// not one.
    fn update_drift(&mut self, action: Action) -> bool {
        let count = self.drift.as_ref().map_or(0, Vec::len);
        let last = count.saturating_sub(1);
        match action {
            Action::Down => self.parameter = (self.parameter + 1).min(last),
            Action::Up => self.parameter = self.parameter.saturating_sub(1),
            Action::First => self.parameter = 0,
            Action::Last => self.parameter = last,
            Action::Follow => {
                let rows = self.diff_rows();
                let target = match (&self.diff, &self.drift) {
                    (Some(diff), Some(drift)) => drift
                        .get(self.parameter)
                        .and_then(|p| crate::drift::drift_start(diff, p)),
                    _ => None,
                };
                match (target, self.diff.as_mut()) {
                    (Some(row), Some(diff)) => {
                        diff.select(row, rows);
                        self.view = View::Diff;
                    }
                    _ => self.message = Some("this parameter stays within tolerance".into()),
                }
            }
            _ => return false,
        }
        true
    }

    /// The ReadyQueue steps of the GraphTask the autograd view shows.
    pub fn queue_steps(&self) -> Vec<crate::autograd::QueueStep> {
        self.tasks
            .get(self.task)
            .map(|t| crate::autograd::queue_steps(&self.primary.data, t))
            .unwrap_or_default()
    }

    /// The op graph links of the selected event.
    pub fn links(&self) -> Vec<crate::opgraph::Link> {
        self.primary
            .selected_index()
            .map(|i| crate::opgraph::links(&self.primary.data, i))
            .unwrap_or_default()
    }

    /// Selects event `target`, remembering the current one for [`Action::Back`].
    fn go_to(&mut self, target: usize) {
        let rows = self.timeline_rows();
        if let Some(current) = self.primary.selected_index() {
            self.history.push(current);
        }
        self.primary.select_event(target, rows);
        self.link = 0;
    }

    fn back(&mut self) {
        let rows = self.timeline_rows();
        match self.history.pop() {
            Some(previous) => {
                self.primary.select_event(previous, rows);
                self.link = 0;
            }
            None => self.message = Some("nothing to go back to".into()),
        }
    }

    fn show(&mut self, view: View) {
        match view {
            View::Diff | View::Drift if self.diff.is_none() => {
                self.message =
                    Some("no diff: open with --against TORCH.ftr to compare two runs".into());
            }
            view => {
                if view == View::OpGraph && self.view != View::OpGraph {
                    self.link = 0;
                }
                if view == View::Drift && self.drift.is_none() {
                    self.drift = self.diff.as_ref().map(crate::drift::parameters);
                }
                self.view = view;
            }
        }
    }

    /// Rows of events the timeline shows.
    pub fn timeline_rows(&self) -> usize {
        usize::from(self.areas().timeline.height.saturating_sub(2))
    }

    /// Lines the details pane shows.
    pub fn details_rows(&self) -> usize {
        usize::from(self.areas().details.height.saturating_sub(2))
    }

    /// Which binding scope keys are looked up in.
    pub fn mode(&self) -> Scope {
        if self.input.is_some() {
            Scope::Filter
        } else if self.help {
            Scope::Help
        } else {
            Scope::Browse
        }
    }

    /// Resolves a key press and applies its action; false when the key means
    /// nothing here.
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        match resolve(self.mode(), key) {
            Some(action) => {
                self.update(action);
                true
            }
            None => false,
        }
    }

    /// Applies a mouse event: the wheel moves the selection (three rows a
    /// notch), a left click selects the row under the pointer (or focuses
    /// the pane). False when nothing changed.
    pub fn handle_mouse(&mut self, mouse: &MouseEvent) -> bool {
        let step = match mouse.kind {
            MouseEventKind::ScrollDown => Action::Down,
            MouseEventKind::ScrollUp => Action::Up,
            MouseEventKind::Down(MouseButton::Left) => return self.click(mouse.column, mouse.row),
            _ => return false,
        };
        if self.help || self.input.is_some() {
            return false;
        }
        for _ in 0..3 {
            self.update(step);
        }
        true
    }

    /// Selects what is under the pointer at `(x, y)`.
    fn click(&mut self, x: u16, y: u16) -> bool {
        if self.help || self.input.is_some() {
            return false;
        }
        let areas = self.areas();
        // The row inside `area`'s border under the pointer, if any.
        let row_in = |area: Rect| {
            let inside = x > area.x && x + 1 < area.right() && y > area.y && y + 1 < area.bottom();
            inside.then(|| usize::from(y - area.y - 1))
        };
        match self.view {
            View::Timeline => {
                if let Some(row) = row_in(areas.timeline) {
                    let rows = self.timeline_rows();
                    let position = self.primary.offset() + row;
                    if position < self.primary.shown() {
                        self.primary.select(position, rows);
                    }
                    self.focus = Focus::Timeline;
                    return true;
                }
                if row_in(areas.details).is_some() {
                    self.focus = Focus::Details;
                    return true;
                }
                false
            }
            View::Diff => {
                let rows = self.diff_rows();
                match (row_in(areas.diff_rows), self.diff.as_mut()) {
                    (Some(row), Some(diff)) if diff.offset() + row < diff.rows.len() => {
                        let target = diff.offset() + row;
                        diff.select(target, rows);
                        true
                    }
                    _ => false,
                }
            }
            View::Autograd | View::Drift => false,
            View::OpGraph => {
                // The first line inside the border is the event itself.
                let Some(row) = row_in(areas.timeline).and_then(|r| r.checked_sub(1)) else {
                    return false;
                };
                let links = self.links().len();
                let shown = usize::from(areas.timeline.height.saturating_sub(3));
                let offset = crate::view::window_offset(0, self.link, links, shown);
                if offset + row < links {
                    self.link = offset + row;
                    return true;
                }
                false
            }
        }
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        self.message = None;
        self.search = None;
        if self.primary.is_lazy() {
            match action {
                Action::FilterApply => return self.start_search(),
                Action::FilterCancel => {
                    self.input = None;
                    return;
                }
                _ => {}
            }
        }
        if self.primary.is_lazy()
            && let Some(what) = off_when_lazy(action)
        {
            self.message = Some(format!(
                "{what} is off above {} events: timeline and details only",
                crate::lazy::LAZY_THRESHOLD
            ));
            return;
        }
        match action {
            Action::ShowTimeline => return self.show(View::Timeline),
            Action::ShowDiff => return self.show(View::Diff),
            Action::ShowOpGraph => return self.show(View::OpGraph),
            Action::ShowAutograd => return self.show(View::Autograd),
            Action::ShowDrift => return self.show(View::Drift),
            Action::NextView => {
                let next = match (self.view, self.diff.is_some()) {
                    (View::Timeline, true) => View::Diff,
                    (View::Diff, _) => View::Drift,
                    (View::Timeline, false) | (View::Drift, _) => View::Autograd,
                    (View::Autograd, _) => View::OpGraph,
                    (View::OpGraph, _) => View::Timeline,
                };
                return self.show(next);
            }
            Action::Back => return self.back(),
            _ => {}
        }
        if self.view != View::Timeline && action.timeline_only() {
            self.message = Some("that key works in the timeline (1)".into());
            return;
        }
        if self.view == View::Diff && self.update_diff(action) {
            return;
        }
        if self.view == View::OpGraph && self.update_op_graph(action) {
            return;
        }
        if self.view == View::Autograd && self.update_autograd(action) {
            return;
        }
        if self.view == View::Drift && self.update_drift(action) {
            return;
        }
        let rows = self.timeline_rows();
        let detail_rows = self.details_rows();
        let page = rows.max(1) as isize;
        let detail_page = detail_rows.max(1) as isize;
        let view = &mut self.primary;
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.help = !self.help,
            Action::CloseHelp => self.help = false,
            Action::SwitchFocus => {
                self.focus = match self.focus {
                    Focus::Timeline => Focus::Details,
                    Focus::Details => Focus::Timeline,
                }
            }
            Action::Down | Action::Up | Action::PageDown | Action::PageUp => {
                let (step, detail_step) = match action {
                    Action::Down => (1, 1),
                    Action::Up => (-1, -1),
                    Action::PageDown => (page, detail_page),
                    _ => (-page, -detail_page),
                };
                match self.focus {
                    Focus::Timeline => view.move_by(step, rows),
                    Focus::Details => view.scroll_details(detail_step, detail_rows),
                }
            }
            Action::First => match self.focus {
                Focus::Timeline => view.select(0, rows),
                Focus::Details => view.scroll_details_to_top(),
            },
            Action::Last => match self.focus {
                Focus::Timeline => view.select(usize::MAX, rows),
                Focus::Details => view.scroll_details(isize::MAX, detail_rows),
            },
            Action::StartFilter => {
                let text = if view.is_lazy() {
                    self.needle.clone()
                } else {
                    view.filter().text.clone()
                };
                self.input = Some(FilterInput {
                    previous: text.clone(),
                    text,
                });
            }
            Action::FilterInsert(c) => self.edit_filter(|text| text.push(c)),
            Action::FilterBackspace => self.edit_filter(|text| {
                text.pop();
            }),
            Action::FilterApply => self.input = None,
            Action::FilterCancel => {
                if let Some(input) = self.input.take() {
                    let filter = Filter {
                        text: input.previous,
                        ..view.filter().clone()
                    };
                    view.set_filter(filter, rows);
                }
            }
            Action::CycleLayer => {
                let filter = Filter {
                    layer: view.filter().layer.next(),
                    ..view.filter().clone()
                };
                view.set_filter(filter, rows);
            }
            Action::NextSame | Action::PrevSame => {
                if let Err(note) = view.jump_same(action == Action::NextSame, rows) {
                    self.message = Some(note);
                }
            }
            Action::Follow => {
                self.link = 0;
                self.view = View::OpGraph;
            }
            Action::ToggleFold => {
                if let Err(note) = view.toggle_fold(rows) {
                    self.message = Some(note);
                }
            }
            Action::ToggleFoldAll => view.toggle_fold_all(rows),
            Action::ShowTimeline
            | Action::ShowDiff
            | Action::NextView
            | Action::ShowOpGraph
            | Action::ShowAutograd
            | Action::ShowDrift
            | Action::Back => {}
        }
    }

    fn edit_filter(&mut self, edit: impl FnOnce(&mut String)) {
        let rows = self.timeline_rows();
        let Some(input) = self.input.as_mut() else {
            return;
        };
        edit(&mut input.text);
        if self.primary.is_lazy() {
            // A lazily read trace is searched on Enter, not filtered live.
            return;
        }
        let filter = Filter {
            text: input.text.clone(),
            ..self.primary.filter().clone()
        };
        self.primary.set_filter(filter, rows);
    }

    /// Whether a lazily read trace is still being indexed in the background
    /// (the event loop then redraws now and then to show progress).
    pub fn busy(&self) -> bool {
        self.primary
            .data
            .lazy
            .as_ref()
            .is_some_and(|l| l.indexing().is_some())
    }

    /// Whether a text search through a lazily read trace is under way.
    pub fn searching(&self) -> bool {
        self.search.is_some()
    }

    /// Takes up what the background index of a lazily read trace found (the
    /// first damage, shown in the banner), and advances a search under way
    /// by a few milliseconds.
    pub fn poll(&mut self) {
        if self.primary.data.poll_damage() {
            let (width, height) = (self.size.width, self.size.height);
            self.resize(width, height);
        }
        self.advance_search(std::time::Duration::from_millis(6));
    }

    /// `/` then Enter in a lazily read trace: looks for the text from the
    /// event after the selection on.
    fn start_search(&mut self) {
        let Some(input) = self.input.take() else {
            return;
        };
        if input.text.is_empty() {
            return;
        }
        let next = self.primary.selected_index().map_or(0, |i| i as u64 + 1);
        self.needle.clone_from(&input.text);
        self.search = Some(Search {
            needle: input.text.to_lowercase(),
            next,
        });
        self.message = Some(format!("searching for \"{}\"…", input.text));
    }

    /// Looks through events for the search under way for about `budget`;
    /// selects the first match.
    fn advance_search(&mut self, budget: std::time::Duration) {
        let Some(mut search) = self.search.take() else {
            return;
        };
        let Some(lazy) = self.primary.data.lazy.clone() else {
            return;
        };
        if let Some(done) = lazy.indexing() {
            self.message = Some(format!(
                "the search starts when the index is built ({}%)",
                done.saturating_mul(100) / lazy.len().max(1)
            ));
            self.search = Some(search);
            return;
        }
        let started = std::time::Instant::now();
        let data = &self.primary.data;
        while started.elapsed() < budget {
            if search.next >= lazy.len() {
                self.message = Some(format!("no later event matches \"{}\"", search.needle));
                return;
            }
            let window = crate::lazy::window(
                &lazy,
                search.next,
                SEARCH_BLOCK,
                &data.name,
                data.version,
                &data.meta,
            );
            let end = (search.next + SEARCH_BLOCK).min(lazy.len());
            let found = (search.next..end).find(|&seq| {
                window
                    .position(seq)
                    .is_some_and(|p| window.data.search_key(p).contains(&search.needle))
            });
            if let Some(seq) = found {
                let rows = self.timeline_rows();
                self.primary
                    .select_event(usize::try_from(seq).unwrap_or(usize::MAX), rows);
                self.message = Some(format!(
                    "\"{}\" at #{seq} (/ Enter: the next one)",
                    search.needle
                ));
                return;
            }
            search.next = end;
        }
        self.message = Some(format!(
            "searching for \"{}\"… at #{}",
            search.needle, search.next
        ));
        self.search = Some(search);
    }

    /// Reads the values the selected event shows; call before drawing.
    pub fn fetch_values(&mut self, source: &mut dyn BlobSource) {
        self.primary.fetch_values(source);
    }
}

/// What an action needs that a lazily read trace does not have, if anything.
pub(crate) fn off_when_lazy(action: Action) -> Option<&'static str> {
    match action {
        Action::CycleLayer => Some("the layer filter"),
        Action::ToggleFold | Action::ToggleFoldAll => Some("folding"),
        Action::Follow | Action::ShowOpGraph => Some("the op graph"),
        Action::ShowAutograd => Some("the autograd view"),
        Action::NextView => Some("switching views"),
        _ => None,
    }
}
