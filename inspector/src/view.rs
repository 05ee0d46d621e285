//! One open trace and how it is being looked at: filter, visible events,
//! selection, scroll positions, values read so far.
//!
//! A [`TraceView`] knows nothing of keys or focus; [`crate::app::App`] drives
//! it. Keeping it separate is what makes a second, aligned trace (the planned
//! `--against` side-by-side view) one more `TraceView` rather than a rewrite.

use std::collections::BTreeSet;

use ft_trace::{Event, Layer};

use crate::describe::{Columns, Part, TextLine, details, timeline_row, value_digests};
use crate::lazy::{JUMP_SCAN_LIMIT, Window, window};
use crate::nesting::Nesting;
use crate::trace::TraceData;
use crate::values::{BlobSource, ValueCache};

/// Which layers the timeline shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerFilter {
    /// Every layer.
    All,
    /// One layer only.
    Only(Layer),
}

impl LayerFilter {
    /// all → api → dispatch → autograd → device → all.
    pub fn next(self) -> LayerFilter {
        match self {
            LayerFilter::All => LayerFilter::Only(Layer::Api),
            LayerFilter::Only(Layer::Api) => LayerFilter::Only(Layer::Dispatch),
            LayerFilter::Only(Layer::Dispatch) => LayerFilter::Only(Layer::Autograd),
            LayerFilter::Only(Layer::Autograd) => LayerFilter::Only(Layer::Device),
            LayerFilter::Only(Layer::Device) => LayerFilter::All,
        }
    }

    /// `all` or the layer name.
    pub fn label(self) -> &'static str {
        match self {
            LayerFilter::All => "all",
            LayerFilter::Only(layer) => layer.name(),
        }
    }

    pub(crate) fn admits(self, event: &Event) -> bool {
        match self {
            LayerFilter::All => true,
            LayerFilter::Only(layer) => event.body.code().0 == layer as u8,
        }
    }
}

/// What the timeline is narrowed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Case-insensitive substring of the kind, op, node or mark name.
    pub text: String,
    /// Layer restriction.
    pub layer: LayerFilter,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            text: String::new(),
            layer: LayerFilter::All,
        }
    }
}

impl Filter {
    /// Whether nothing is filtered out.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.layer == LayerFilter::All
    }
}

/// One open trace and how it is being looked at.
#[derive(Clone, Debug)]
pub struct TraceView {
    /// The events and lookup tables.
    pub data: TraceData,
    /// Timeline column widths.
    pub columns: Columns,
    /// Current filter.
    filter: Filter,
    /// Indices into `data.events` that pass the filter, in order (empty
    /// for a trace read lazily: every event shows, row `p` is event `p`).
    visible: Vec<usize>,
    /// Position in `visible` of the selected event.
    selected: Option<usize>,
    /// Index in `data.events` of the last selected event: where the
    /// selection goes back to when a filter changes (even through a filter
    /// that shows nothing).
    anchor: usize,
    /// Position in `visible` of the first row drawn.
    offset: usize,
    /// First details line drawn.
    details_scroll: usize,
    /// Tensor values read so far.
    pub values: ValueCache,
    /// What ran inside what (backward dispatches under their node).
    nesting: Nesting,
    /// Parents whose descendants are hidden.
    folded: BTreeSet<usize>,
}

impl TraceView {
    /// A view of every event, the first one selected.
    pub fn new(data: TraceData) -> TraceView {
        let columns = match &data.lazy {
            // The kind column at its widest: the kinds of all events are
            // not known up front.
            Some(lazy) => Columns {
                seq: lazy.len().saturating_sub(1).to_string().len().max(3),
                kind: 17,
            },
            None => Columns::for_trace(&data),
        };
        let nesting = Nesting::of(&data.events);
        let mut view = TraceView {
            data,
            columns,
            filter: Filter::default(),
            visible: Vec::new(),
            selected: None,
            anchor: 0,
            offset: 0,
            details_scroll: 0,
            values: ValueCache::default(),
            nesting,
            folded: BTreeSet::new(),
        };
        view.refilter(0);
        view
    }

    /// Whether the trace is read lazily (see [`crate::lazy`]).
    pub fn is_lazy(&self) -> bool {
        self.data.lazy.is_some()
    }

    /// Number of rows the timeline shows.
    pub fn shown(&self) -> usize {
        if self.is_lazy() {
            self.data.event_count()
        } else {
            self.visible.len()
        }
    }

    /// The event index shown at row `position`.
    pub fn index_at(&self, position: usize) -> Option<usize> {
        if self.is_lazy() {
            (position < self.data.event_count()).then_some(position)
        } else {
            self.visible.get(position).copied()
        }
    }

    /// The events of rows `first..first + count` of a lazily read trace and
    /// those they refer to.
    fn window(&self, first: usize, count: usize) -> Option<Window> {
        let lazy = self.data.lazy.as_ref()?;
        Some(window(
            lazy,
            first as u64,
            count as u64,
            &self.data.name,
            self.data.version,
            &self.data.meta,
        ))
    }

    /// The timeline rows from row `offset` on, at most `count`: event index
    /// and its text (indented by nesting, folded parents marked).
    pub fn rows(&self, offset: usize, count: usize) -> Vec<(usize, TextLine)> {
        let end = offset.saturating_add(count).min(self.shown());
        if offset >= end {
            return Vec::new();
        }
        let Some(window) = self.window(offset, end - offset) else {
            return self.visible[offset..end]
                .iter()
                .map(|&index| (index, self.nested_row(index)))
                .collect();
        };
        let lazy = self.data.lazy.as_ref();
        (offset..end)
            .map(|index| {
                let seq = index as u64;
                let line = match (window.position(seq), window.unreadable.get(&seq)) {
                    (Some(position), _) => timeline_row(&window.data, position, self.columns),
                    (None, damage) => unreadable_row(seq, self.columns, damage),
                };
                // Nesting shows once the background pass has indexed it.
                let line = match lazy.and_then(|l| l.nesting(index)) {
                    Some((depth, children)) => nest(line, depth, children, false),
                    None => line,
                };
                (index, line)
            })
            .collect()
    }

    /// The timeline row of event `index`, its summary indented by how deep
    /// it is nested, a parent marked `▾` (or `▸ N` with its N children hidden).
    fn nested_row(&self, index: usize) -> TextLine {
        nest(
            timeline_row(&self.data, index, self.columns),
            self.nesting.depth(index),
            self.nesting.children(index),
            self.is_folded(index),
        )
    }

    /// The nesting of the trace's events.
    pub fn nesting(&self) -> &Nesting {
        &self.nesting
    }

    /// Whether `index`'s descendants are hidden.
    pub fn is_folded(&self, index: usize) -> bool {
        self.folded.contains(&index)
    }

    /// Folds the selected parent, or unfolds it when folded; on an event
    /// nested in a parent, folds that parent and selects it.
    pub(crate) fn toggle_fold(&mut self, rows: usize) -> Result<(), String> {
        let Some(index) = self.selected_index() else {
            return Err("no event selected".to_owned());
        };
        if self.nesting.children(index) > 0 {
            if !self.folded.remove(&index) {
                self.folded.insert(index);
            }
        } else if let Some(parent) = self.nesting.parent(index) {
            self.folded.insert(parent);
            self.anchor = parent;
        } else {
            return Err("nothing is nested here (only backward events nest)".to_owned());
        }
        self.refold(rows);
        Ok(())
    }

    /// Folds every backward node (their dispatches hidden, the GraphTasks'
    /// schedule left), or unfolds everything when something is folded.
    pub(crate) fn toggle_fold_all(&mut self, rows: usize) {
        if self.folded.is_empty() {
            self.folded = self.nesting.node_parents(&self.data.events).collect();
            // The selection moves to the row that stays.
            if let Some(index) = self.selected_index()
                && let Some(parent) = self.nesting.parent(index)
                && self.folded.contains(&parent)
            {
                self.anchor = parent;
            }
        } else {
            self.folded.clear();
        }
        self.refold(rows);
    }

    /// Recomputes the visible rows after a fold, keeping the selection's
    /// place on screen where it can.
    fn refold(&mut self, rows: usize) {
        let offset = self.offset;
        let selected_row = self.selected.map(|p| p.saturating_sub(offset));
        self.refilter(rows);
        if let (Some(position), Some(row)) = (self.selected, selected_row) {
            self.offset = position.saturating_sub(row);
            self.scroll_into_view(rows);
        }
    }

    /// The current filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Event indices shown by the timeline.
    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    /// Position of the selection among the visible events.
    pub fn selected_position(&self) -> Option<usize> {
        self.selected
    }

    /// Index in `data.events` of the selected event.
    pub fn selected_index(&self) -> Option<usize> {
        self.selected.and_then(|p| self.index_at(p))
    }

    /// The selected event (`None` for a trace read lazily).
    pub fn selected_event(&self) -> Option<&Event> {
        self.selected_index().and_then(|i| self.data.events.get(i))
    }

    /// First visible row drawn.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// First details line drawn.
    pub fn details_scroll(&self) -> usize {
        self.details_scroll
    }

    /// Back to the first details line.
    pub(crate) fn scroll_details_to_top(&mut self) {
        self.details_scroll = 0;
    }

    /// The details of the selected event.
    pub fn details(&self) -> Vec<TextLine> {
        if self.is_lazy() {
            let Some(index) = self.selected_index() else {
                return details(&self.data, &self.values, usize::MAX);
            };
            let Some(window) = self.window(index, 1) else {
                return Vec::new();
            };
            return match window.position(index as u64) {
                Some(position) => details(&window.data, &self.values, position),
                None => vec![unreadable_row(
                    index as u64,
                    self.columns,
                    window.unreadable.get(&(index as u64)),
                )],
            };
        }
        match self.selected_index() {
            Some(i) => details(&self.data, &self.values, i),
            None => details(&self.data, &self.values, usize::MAX),
        }
    }

    /// Replaces the filter, keeping the selected event when it still shows
    /// and otherwise selecting the next one that does.
    pub fn set_filter(&mut self, filter: Filter, rows: usize) {
        self.filter = filter;
        self.refilter(rows);
    }

    fn refilter(&mut self, rows: usize) {
        let anchor = self.anchor;
        if self.is_lazy() {
            // Filters are off for a trace read lazily: every event shows.
            let count = self.shown();
            self.selected = (count > 0).then(|| anchor.min(count - 1));
            self.anchor = self.selected.unwrap_or(0);
            self.offset = 0;
            self.details_scroll = 0;
            self.scroll_into_view(rows);
            return;
        }
        let needle = self.filter.text.to_lowercase();
        let data = &self.data;
        self.visible = data
            .events
            .iter()
            .enumerate()
            .filter(|(i, e)| {
                self.filter.layer.admits(e)
                    && (needle.is_empty() || data.search_key(*i).contains(&needle))
                    && !self.nesting.hidden(*i, &self.folded)
            })
            .map(|(i, _)| i)
            .collect();
        let position = self.visible.partition_point(|&i| i < anchor);
        let position = position.min(self.visible.len().saturating_sub(1));
        self.selected = (!self.visible.is_empty()).then_some(position);
        if let Some(&index) = self.visible.get(position) {
            self.anchor = index;
        }
        self.offset = 0;
        self.details_scroll = 0;
        self.scroll_into_view(rows);
    }

    pub(crate) fn select(&mut self, position: usize, rows: usize) {
        let shown = self.shown();
        if shown == 0 {
            return;
        }
        let position = position.min(shown - 1);
        if self.selected != Some(position) {
            self.details_scroll = 0;
        }
        self.selected = Some(position);
        self.anchor = self.index_at(position).unwrap_or(position);
        self.scroll_into_view(rows);
    }

    /// Selects event `index` (a position in `data.events`); a filter that
    /// hides it is cleared, so following a link always lands on its event.
    pub(crate) fn select_event(&mut self, index: usize, rows: usize) {
        if index >= self.data.event_count() {
            return;
        }
        if self.is_lazy() {
            self.select(index, rows);
            return;
        }
        match self.visible.binary_search(&index) {
            Ok(position) => self.select(position, rows),
            Err(_) => {
                self.anchor = index;
                self.filter = Filter::default();
                // Unfold what hides it.
                let mut at = self.nesting.parent(index);
                while let Some(p) = at {
                    self.folded.remove(&p);
                    at = self.nesting.parent(p);
                }
                self.refilter(rows);
            }
        }
    }

    pub(crate) fn move_by(&mut self, delta: isize, rows: usize) {
        let current = self.selected.unwrap_or(0);
        self.select(current.saturating_add_signed(delta), rows);
    }

    pub(crate) fn scroll_into_view(&mut self, rows: usize) {
        self.offset = window_offset(self.offset, self.selected.unwrap_or(0), self.shown(), rows);
    }

    pub(crate) fn scroll_details(&mut self, delta: isize, rows: usize) {
        let max = self.details().len().saturating_sub(rows.max(1));
        self.details_scroll = self.details_scroll.saturating_add_signed(delta).min(max);
    }

    /// Selects the next (or previous) visible event with the same op — or,
    /// for other events, the same kind. Err names what was looked for.
    pub(crate) fn jump_same(&mut self, forward: bool, rows: usize) -> Result<(), String> {
        if self.is_lazy() {
            return self.jump_same_lazy(forward, rows);
        }
        let (Some(position), Some(event)) = (self.selected, self.selected_event()) else {
            return Err("no event selected".to_owned());
        };
        let key = TraceData::same_key(event);
        let what = key.2.unwrap_or(event.body.kind_name()).to_owned();
        let events = &self.data.events;
        let same = |p: &usize| {
            events
                .get(self.visible[*p])
                .is_some_and(|e| TraceData::same_key(e) == key)
        };
        let found = if forward {
            (position + 1..self.visible.len()).find(same)
        } else {
            (0..position).rev().find(same)
        };
        match found {
            Some(p) => {
                self.select(p, rows);
                Ok(())
            }
            None if forward => Err(format!("no later {what}")),
            None => Err(format!("no earlier {what}")),
        }
    }

    /// [`TraceView::jump_same`] over a trace read lazily: reads on from the
    /// selection, at most [`JUMP_SCAN_LIMIT`] events per key press.
    fn jump_same_lazy(&mut self, forward: bool, rows: usize) -> Result<(), String> {
        let (Some(index), Some(lazy)) = (self.selected_index(), self.data.lazy.clone()) else {
            return Err("no event selected".to_owned());
        };
        let event = lazy.event(index as u64).map_err(|d| d.message())?;
        let key = TraceData::same_key(&event);
        let what = key.2.unwrap_or(event.body.kind_name()).to_owned();
        let start = if forward {
            index as u64 + 1
        } else if index == 0 {
            return Err(format!("no earlier {what}"));
        } else {
            index as u64 - 1
        };
        let found = lazy
            .scan(start, forward, JUMP_SCAN_LIMIT, |e| {
                TraceData::same_key(e) == key
            })
            .map_err(|d| d.message())?;
        let end = if forward { lazy.len() } else { 0 };
        match found {
            Some(seq) => {
                self.select(usize::try_from(seq).unwrap_or(usize::MAX), rows);
                Ok(())
            }
            None if start.abs_diff(end) > JUMP_SCAN_LIMIT => Err(format!(
                "no {} {what} in the next {JUMP_SCAN_LIMIT} events",
                if forward { "later" } else { "earlier" }
            )),
            None if forward => Err(format!("no later {what}")),
            None => Err(format!("no earlier {what}")),
        }
    }

    /// Reads (once) the values the selected event's details show.
    pub fn fetch_values(&mut self, source: &mut dyn BlobSource) {
        if self.is_lazy() {
            if let Some(index) = self.selected_index()
                && let Some(window) = self.window(index, 1)
                && let Some(position) = window.position(index as u64)
            {
                let digests = value_digests(&window.data, position);
                self.values.fill(digests, source);
            }
            return;
        }
        if let Some(index) = self.selected_index() {
            let digests = value_digests(&self.data, index);
            self.values.fill(digests, source);
        }
    }
}

/// The first row to draw so that `selected` is among `rows` rows starting
/// there, moving the window as little as possible and never past the end.
pub fn window_offset(offset: usize, selected: usize, len: usize, rows: usize) -> usize {
    let rows = rows.max(1);
    let mut offset = offset.min(len.saturating_sub(rows));
    if selected < offset {
        offset = selected;
    } else if selected >= offset + rows {
        offset = selected + 1 - rows;
    }
    offset
}

/// The row of an event that could not be read, saying why.
fn unreadable_row(seq: u64, columns: Columns, damage: Option<&crate::trace::Damage>) -> TextLine {
    let why = damage.map_or_else(|| "not read".to_owned(), |d| d.message());
    TextLine::new()
        .with(Part::Seq, format!("{:>w$} ", seq, w = columns.seq))
        .with(Part::Warn, format!("unreadable: {why}"))
}

/// A timeline row's summary indented by `depth`, a parent marked `▾` (or
/// `▸ N` with its N children hidden).
fn nest(mut line: TextLine, depth: u8, children: u32, folded: bool) -> TextLine {
    let indent = "  ".repeat(usize::from(depth));
    let marker = match (children, folded) {
        (0, _) if indent.is_empty() => return line,
        (0, _) => format!("{indent}  "),
        (_, false) => format!("{indent}▾ "),
        (n, true) => format!("{indent}▸ {n} hidden · "),
    };
    // After the seq, layer and kind columns.
    let at = line.parts.len().min(3);
    line.parts.insert(at, (Part::Dim, marker));
    line
}
