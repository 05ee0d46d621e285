//! Loading a trace into memory, plus the lookup tables the views need.
//!
//! The inspector reads every event of a trace up front (most traces are
//! small next to the memory of a desk machine) but never a tensor value:
//! blobs stay in the file until an event that names them is selected (see
//! [`crate::values`]). A trace of more than [`crate::lazy::LAZY_THRESHOLD`]
//! events is read lazily instead ([`TraceData::open_browsing`], module
//! [`crate::lazy`]): `events` stays empty and [`TraceData::lazy`] serves
//! the events on screen.
//!
//! Loading is forgiving on purpose. A trace without a footer is opened with
//! [`TraceReader::recover`] and shown up to where it ends; a damaged events
//! chunk in an otherwise complete trace stops the load at that chunk instead
//! of refusing the whole file. Either way [`TraceData::damage`] says where and
//! why, and the header shows it. Only a file that is not a trace at all, has
//! the wrong major version, or cannot be read is an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ft_trace::event::{ApiEvent, AutogradEvent, DispatchEvent};
use ft_trace::model::{DataflowIndex, Lookup, TraceLookups, ValueRecord};

pub use ft_trace::model::layer_name;
use ft_trace::{ChainState, Context, Digest, Event, EventBody, TraceError, TraceMeta, TraceReader};

use crate::lazy::{CACHE_CHUNKS, LAZY_THRESHOLD, LazyEvents};

/// Why only part of a trace is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// First byte that could not be used.
    pub offset: u64,
    /// What was found there.
    pub detail: String,
    /// Whether the file simply ends early (no footer) or a chunk is damaged.
    pub truncated: bool,
}

impl Damage {
    /// The events' chain hash is not the footer's: reported at the file's end.
    pub fn chain_mismatch(file_len: u64, events: &Digest, footer: &Digest) -> Damage {
        Damage {
            offset: file_len,
            detail: format!(
                "chain hash of the events ({}) differs from the footer's ({})",
                events.short(12),
                footer.short(12)
            ),
            truncated: false,
        }
    }

    /// The one-line warning: `truncated at offset N: what was found there`.
    pub fn message(&self) -> String {
        let what = if self.truncated {
            "truncated"
        } else {
            "damaged"
        };
        format!("{what} at offset {}: {}", self.offset, self.detail)
    }
}

/// One trace, read into memory, with lookup tables.
#[derive(Clone, Debug)]
pub struct TraceData {
    /// File name without directories, for the header.
    pub name: String,
    /// The path it was opened from.
    pub path: PathBuf,
    /// `(major, minor)` format version.
    pub version: (u16, u16),
    /// Producer, program, value policy, attributes.
    pub meta: TraceMeta,
    /// Every readable event, in stream order (`events[i].seq == i`); empty
    /// for a trace read lazily.
    pub events: Vec<Event>,
    /// The events of a trace too large to read up front.
    pub lazy: Option<Arc<LazyEvents>>,
    /// Set when the trace is truncated or damaged.
    pub damage: Option<Damage>,
    /// Node table, tensors, recorded values, counts (shared with replay).
    lookups: TraceLookups,
    /// Producers and consumers of each tensor version (the op graph).
    dataflow: DataflowIndex,
    /// Per event: lower-case kind, op / node / mark names, for the text filter.
    search: Vec<String>,
}

impl TraceData {
    /// Opens and reads `path`, returning the reader too (it serves blobs later).
    pub fn open(path: &Path) -> Result<(TraceData, TraceReader), TraceError> {
        let mut reader = TraceReader::recover(path)?;
        let mut damage = reader.truncation().map(|t| Damage {
            offset: t.offset,
            detail: t.detail.clone(),
            truncated: true,
        });
        let (events, read_damage) = read_events(&mut reader);
        if damage.is_none() {
            damage = read_damage;
        }
        let data = TraceData::from_events(
            file_name(path),
            path.to_owned(),
            reader.version(),
            reader.meta().clone(),
            events,
            damage,
        );
        Ok((data, reader))
    }

    /// Opens `path` for the interactive view: read whole like
    /// [`TraceData::open`], or lazily when it holds more than
    /// [`LAZY_THRESHOLD`] events.
    pub fn open_browsing(path: &Path) -> Result<(TraceData, TraceReader), TraceError> {
        let reader = TraceReader::recover(path)?;
        if reader.event_count() > LAZY_THRESHOLD {
            TraceData::open_lazy_with(path, reader, CACHE_CHUNKS, true)
        } else {
            drop(reader);
            TraceData::open(path)
        }
    }

    /// Opens `path` for `--dump`: read whole like [`TraceData::open`], or,
    /// when it holds more than [`LAZY_THRESHOLD`] events, lazily with the
    /// index built before this returns (the dump then streams).
    pub fn open_dump(path: &Path) -> Result<(TraceData, TraceReader), TraceError> {
        let reader = TraceReader::recover(path)?;
        if reader.event_count() > LAZY_THRESHOLD {
            TraceData::open_lazy_with(path, reader, CACHE_CHUNKS, false)
        } else {
            drop(reader);
            TraceData::open(path)
        }
    }

    /// Opens `path` lazily whatever its size, keeping up to `cache_chunks`
    /// decoded chunks; the index of related events is built before this
    /// returns unless `background`.
    pub fn open_lazy(
        path: &Path,
        cache_chunks: usize,
        background: bool,
    ) -> Result<(TraceData, TraceReader), TraceError> {
        let reader = TraceReader::recover(path)?;
        TraceData::open_lazy_with(path, reader, cache_chunks, background)
    }

    fn open_lazy_with(
        path: &Path,
        reader: TraceReader,
        cache_chunks: usize,
        background: bool,
    ) -> Result<(TraceData, TraceReader), TraceError> {
        let lazy = LazyEvents::open(path, cache_chunks, background)?;
        let damage = reader.truncation().map(|t| Damage {
            offset: t.offset,
            detail: t.detail.clone(),
            truncated: true,
        });
        let mut data = TraceData::from_events(
            file_name(path),
            path.to_owned(),
            reader.version(),
            reader.meta().clone(),
            Vec::new(),
            damage,
        );
        if data.damage.is_none() {
            data.damage = lazy.found_damage();
        }
        data.lazy = Some(Arc::new(lazy));
        Ok((data, reader))
    }

    /// Number of readable events (read whole or lazily).
    pub fn event_count(&self) -> usize {
        match &self.lazy {
            Some(lazy) => usize::try_from(lazy.len()).unwrap_or(usize::MAX),
            None => self.events.len(),
        }
    }

    /// Takes up damage the background pass of a lazily read trace found;
    /// true when the banner changes.
    pub fn poll_damage(&mut self) -> bool {
        if self.damage.is_some() {
            return false;
        }
        self.damage = self.lazy.as_ref().and_then(|l| l.found_damage());
        self.damage.is_some()
    }

    /// Builds the lookup tables over events already in memory.
    pub fn from_events(
        name: String,
        path: PathBuf,
        version: (u16, u16),
        meta: TraceMeta,
        events: Vec<Event>,
        damage: Option<Damage>,
    ) -> TraceData {
        let lookups = TraceLookups::new(&events);
        let dataflow = DataflowIndex::new(&events);
        let mut data = TraceData {
            name,
            path,
            version,
            meta,
            events,
            lazy: None,
            damage,
            lookups,
            dataflow,
            search: Vec::new(),
        };
        data.search = data
            .events
            .iter()
            .map(|e| data.search_text(e).to_lowercase())
            .collect();
        data
    }

    /// The events with the lookups over them.
    pub fn lookup(&self) -> Lookup<'_> {
        Lookup::new(&self.events, &self.lookups)
    }

    /// Producers and consumers of each tensor version.
    pub fn dataflow(&self) -> &DataflowIndex {
        &self.dataflow
    }

    /// The name of node `id`, when its node event is in the trace.
    pub fn node_name(&self, id: u64) -> Option<&str> {
        self.lookup().node_name(id)
    }

    /// The value tensor `id` held at `version` when event `seq` ran, and
    /// where it was recorded (see [`ft_trace::model`] for the rule).
    pub fn value_at(&self, id: u64, version: u64, seq: u64) -> Option<ValueRecord> {
        self.lookups.value_at(id, version, seq)
    }

    /// Event counts per layer, in [`ft_trace::Layer::ALL`] order, plus unknown layers.
    pub fn layer_counts(&self) -> ([usize; 4], usize) {
        match &self.lazy {
            Some(lazy) => lazy.layer_counts(),
            None => self.lookups.layer_counts(),
        }
    }

    /// Lower-case search text of event `index` (kind and names).
    pub fn search_key(&self, index: usize) -> &str {
        self.search.get(index).map(String::as_str).unwrap_or("")
    }

    /// What `n` / `N` compare: the op name for an op, else layer and kind.
    pub fn same_key(event: &Event) -> (u8, u8, Option<&str>) {
        let (layer, kind) = event.body.code();
        match &event.body {
            EventBody::Dispatch(DispatchEvent::Op(op)) => (layer, kind, Some(op.op.as_str())),
            _ => (layer, kind, None),
        }
    }

    fn search_text(&self, event: &Event) -> String {
        let kind = event.body.kind_name();
        let node = |id: u64| self.node_name(id).unwrap_or("");
        match &event.body {
            EventBody::Dispatch(DispatchEvent::Op(op)) => match op.context {
                Context::Node(n) => format!("{kind} {} {}", op.op, node(n)),
                _ => format!("{kind} {}", op.op),
            },
            EventBody::Autograd(a) => match a {
                AutogradEvent::Node(n) => format!("{kind} {}", n.name),
                AutogradEvent::Push(q) | AutogradEvent::Pop(q) => {
                    format!("{kind} {}", node(q.node))
                }
                AutogradEvent::Accumulate(acc) => format!("{kind} {}", node(acc.node)),
                _ => kind.to_owned(),
            },
            EventBody::Api(ApiEvent::MarkBegin(m) | ApiEvent::MarkEnd(m)) => {
                format!("{kind} {}", m.name)
            }
            EventBody::Api(ApiEvent::ProgramError(p)) => format!("{kind} {}", p.message),
            _ => kind.to_owned(),
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads events chunk by chunk (including those a truncated trace's reader
/// salvaged from its last, incomplete chunk), stopping at the first chunk that
/// does not read; also checks the chain hash of a complete trace against its
/// footer.
fn read_events(reader: &mut TraceReader) -> (Vec<Event>, Option<Damage>) {
    let footer_chain = reader.index().chain;
    let complete = reader.truncation().is_none();
    let path = reader.path().to_owned();
    let file_len = reader.file_len();
    let mut events: Vec<Event> = Vec::with_capacity(reader.event_count() as usize);
    let mut chains = ChainState::default();
    for read in reader.events_with_hashes() {
        let (event, structural) = match read {
            Ok((event, structural)) if event.seq == events.len() as u64 => (event, structural),
            Ok((event, _)) => {
                let detail = format!(
                    "event seq {} where {} was expected",
                    event.seq,
                    events.len()
                );
                return (
                    events,
                    Some(Damage {
                        offset: file_len,
                        detail,
                        truncated: false,
                    }),
                );
            }
            Err(e) => {
                let offset = error_offset(&e).unwrap_or(file_len);
                let detail = strip_path(&e.to_string(), &path);
                return (
                    events,
                    Some(Damage {
                        offset,
                        detail,
                        truncated: false,
                    }),
                );
            }
        };
        chains.push(usize::from(event.body.code().0), &structural);
        events.push(event);
    }
    let damage = (complete && chains.all != footer_chain)
        .then(|| Damage::chain_mismatch(file_len, &chains.all, &footer_chain));
    (events, damage)
}

/// The byte offset an error names, if it names one.
pub(crate) fn error_offset(e: &TraceError) -> Option<u64> {
    match e {
        TraceError::CorruptChunk { offset, .. }
        | TraceError::Decode { offset, .. }
        | TraceError::Truncated { offset, .. } => Some(*offset),
        _ => None,
    }
}

/// `TraceError` messages start with the path; the header already names the file.
pub(crate) fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_owned()
}
