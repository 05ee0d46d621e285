//! Large traces, read lazily: only the footer index, a few decoded EVENTS
//! chunks and compact per-id tables stay in memory.
//!
//! A trace of more than [`LAZY_THRESHOLD`] events is not read up front (ten
//! million events decode to gigabytes). [`LazyEvents`] keeps the index of
//! EVENTS chunks and a small least-recently-used cache of decoded chunks; a
//! row of the timeline is the event at that sequence number, read from the
//! chunk that holds it. What the rows and the details need from elsewhere in
//! the stream — the declaration of a node named by a push, the leaf of an
//! AccumulateGrad, the value a tensor version held — comes from [`Related`],
//! built by one streaming pass in a background thread: the sequence number
//! of each node's declaration and of each tensor's first reference in
//! `u32` arrays indexed by id, the value records, and per event its nesting
//! depth and number of children (the timeline's indentation, see
//! [`crate::nesting`]). For each frame a
//! [`Window`] gathers the events on screen plus the few they refer to into a
//! small [`TraceData`], so rows and details are described by exactly the code
//! (and give exactly the text) of a trace read whole.
//!
//! Until the pass ends, names declared outside the rows on screen are left
//! out (the banner says the index is being built); a chunk that does not read
//! shows as an unreadable row, and the pass reports the first damage (or a
//! chain hash differing from the footer's) in the banner, as a trace read
//! whole does. `/` searches instead of filtering: Enter looks on from the
//! selection, a few milliseconds per turn of the event loop, for the next
//! event whose search text (the filter's) holds the text. What needs the
//! whole stream at once (layer filter, folding, op graph, autograd, diff)
//! says it is off for traces this large. `--dump` streams such a trace
//! through windows of a few thousand events ([`crate::cli::dump`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use ft_trace::format::EventChunkEntry;
use ft_trace::model::ValueRecord;
use ft_trace::{
    ApiEvent, AutogradEvent, ChainState, Context, DispatchEvent, Event, EventBody, TraceError,
    TraceMeta, TraceReader,
};

use crate::nesting::NestingWalk;
use crate::trace::{Damage, TraceData, error_offset, strip_path};

/// Traces with more events than this are read lazily.
pub const LAZY_THRESHOLD: u64 = 1_000_000;

/// Decoded EVENTS chunks kept by default (a chunk holds about 16 KiB of
/// encoded events, some 150 events of a training step).
pub const CACHE_CHUNKS: usize = 256;

/// Events the `n` / `N` search reads per key press before giving up.
pub const JUMP_SCAN_LIMIT: u64 = 2_000_000;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sequence number per id: a `u32` array for ids up to a bound, a map for
/// the rest (or for sequence numbers past `u32`).
#[derive(Debug, Default)]
struct SeqMap {
    dense: Vec<u32>,
    sparse: HashMap<u64, u64>,
    dense_limit: u64,
}

const ABSENT: u32 = u32::MAX;

impl SeqMap {
    fn new(dense_limit: u64) -> SeqMap {
        SeqMap {
            dense_limit,
            ..SeqMap::default()
        }
    }

    fn get(&self, id: u64) -> Option<u64> {
        if let Some(&seq) = self.sparse.get(&id) {
            return Some(seq);
        }
        let slot = usize::try_from(id).ok()?;
        self.dense
            .get(slot)
            .copied()
            .filter(|&s| s != ABSENT)
            .map(u64::from)
    }

    /// Records `seq` for `id`: always (`first == false`) or only when `id`
    /// has none yet.
    fn set(&mut self, id: u64, seq: u64, first: bool) {
        if first && self.get(id).is_some() {
            return;
        }
        match (usize::try_from(id), u32::try_from(seq)) {
            (Ok(slot), Ok(small)) if id < self.dense_limit && small != ABSENT => {
                if slot >= self.dense.len() {
                    self.dense.resize(slot + 1, ABSENT);
                }
                self.dense[slot] = small;
                self.sparse.remove(&id);
            }
            _ => {
                self.sparse.insert(id, seq);
            }
        }
    }
}

/// Where, in the whole stream, the events that rows refer to are.
#[derive(Debug)]
pub struct Related {
    /// Node id → its (last) declaration.
    nodes: SeqMap,
    /// Tensor id → its first reference.
    tensors: SeqMap,
    /// `(tensor id, version)` → every record of its value, in stream order.
    values: HashMap<(u64, u64), Vec<ValueRecord>>,
    /// Per event: how deep it is nested (see [`crate::nesting`]).
    depth: Vec<u8>,
    /// Per event: how many events are nested directly in it.
    children: Vec<u32>,
    /// Length of the longest kind name.
    kind_width: usize,
}

impl Related {
    fn new(events: u64) -> Related {
        // Ids are dense in order of appearance: a few per event at most.
        let limit = events.saturating_mul(4).saturating_add(1024);
        Related {
            nodes: SeqMap::new(limit),
            tensors: SeqMap::new(limit),
            values: HashMap::new(),
            depth: Vec::new(),
            children: Vec::new(),
            kind_width: 0,
        }
    }

    /// Adds the next event, nested in `parent`.
    fn add(&mut self, event: &Event, parent: Option<usize>) {
        let depth = parent
            .and_then(|p| self.depth.get(p))
            .map_or(0, |d| d.saturating_add(1));
        self.depth.push(depth);
        self.children.push(0);
        self.kind_width = self.kind_width.max(event.body.kind_name().len());
        if let Some(count) = parent.and_then(|p| self.children.get_mut(p)) {
            *count = count.saturating_add(1);
        }
        if let EventBody::Autograd(AutogradEvent::Node(n)) = &event.body {
            self.nodes.set(n.node, event.seq, false);
        }
        for t in event.body.tensor_refs() {
            self.tensors.set(t.id, event.seq, true);
            if t.value.is_some() {
                let records = self.values.entry((t.id, t.version)).or_default();
                ValueRecord::push_to(records, t, event.seq);
            }
        }
    }

    /// The value record of `(id, version)` in force just before `seq`.
    fn record_before(&self, id: u64, version: u64, seq: u64) -> Option<u64> {
        self.values
            .get(&(id, version))?
            .iter()
            .rev()
            .find(|r| r.seq < seq)
            .map(|r| r.seq)
    }
}

/// How far the background pass got, and what it found.
#[derive(Debug, Default)]
struct Background {
    /// Events indexed so far.
    indexed: AtomicU64,
    /// Set when the pass ended (read to the end or stopped at damage).
    finished: AtomicBool,
    /// The tables, once finished.
    related: Mutex<Option<Arc<Related>>>,
    /// Damage the pass found (first unreadable chunk, chain mismatch).
    damage: Mutex<Option<Damage>>,
    /// The pass's thread, joined by [`LazyEvents::wait_index`].
    handle: Mutex<Option<JoinHandle<()>>>,
}

/// Decoded chunks, least recently used dropped first.
struct Store {
    reader: TraceReader,
    /// `(chunk number, last use, events)`.
    cache: Vec<(usize, u64, Arc<Vec<Event>>)>,
    capacity: usize,
    clock: u64,
}

/// The events of a large trace, read on demand.
pub struct LazyEvents {
    path: PathBuf,
    chunks: Vec<EventChunkEntry>,
    /// Events salvaged after the last chunk of a truncated trace.
    salvaged: Arc<Vec<Event>>,
    len: u64,
    layer_counts: [u64; 4],
    store: Mutex<Store>,
    background: Arc<Background>,
}

impl std::fmt::Debug for LazyEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyEvents")
            .field("path", &self.path)
            .field("chunks", &self.chunks.len())
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl LazyEvents {
    /// Opens `path` for lazy reading, keeping up to `cache_chunks` decoded
    /// chunks, and starts the background pass (`background == false` runs
    /// it before returning, for tests and scripts).
    pub fn open(
        path: &Path,
        cache_chunks: usize,
        background: bool,
    ) -> Result<LazyEvents, TraceError> {
        let reader = TraceReader::recover(path)?;
        let chunks = reader.index().chunks.clone();
        let mut len = chunks.last().map_or(0, |c| c.first_seq + c.count);
        let mut salvaged = Vec::new();
        for event in reader.salvaged() {
            if event.seq == len {
                salvaged.push(event.clone());
                len += 1;
            }
        }
        let events = LazyEvents {
            path: path.to_owned(),
            chunks,
            salvaged: Arc::new(salvaged),
            len,
            layer_counts: reader.index().layer_counts,
            store: Mutex::new(Store {
                reader,
                cache: Vec::new(),
                capacity: cache_chunks.max(1),
                clock: 0,
            }),
            background: Arc::new(Background::default()),
        };
        let state = Arc::clone(&events.background);
        let path = path.to_owned();
        let expected = len;
        if background {
            let handle = std::thread::spawn(move || index_pass(&path, expected, &state));
            *lock(&events.background.handle) = Some(handle);
        } else {
            index_pass(&path, expected, &state);
        }
        Ok(events)
    }

    /// Number of events.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the trace holds no readable event.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Events per layer as the index counts them, plus those of other layers.
    pub fn layer_counts(&self) -> ([usize; 4], usize) {
        let counts = self
            .layer_counts
            .map(|c| usize::try_from(c).unwrap_or(usize::MAX));
        let known: u64 = self.layer_counts.iter().sum();
        let other = usize::try_from(self.len.saturating_sub(known)).unwrap_or(0);
        (counts, other)
    }

    /// Blocks until the background pass has finished.
    pub fn wait_index(&self) {
        let handle = lock(&self.background.handle).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    /// `None` once the pass has finished, else how many events it has indexed.
    pub fn indexing(&self) -> Option<u64> {
        (!self.background.finished.load(Ordering::Acquire))
            .then(|| self.background.indexed.load(Ordering::Relaxed))
    }

    /// Damage the background pass found, once it has.
    pub fn found_damage(&self) -> Option<Damage> {
        lock(&self.background.damage).clone()
    }

    fn related(&self) -> Option<Arc<Related>> {
        lock(&self.background.related).clone()
    }

    /// How deep event `index` is nested and how many events nest directly
    /// in it; `None` until the background pass has indexed the trace.
    pub fn nesting(&self, index: usize) -> Option<(u8, u32)> {
        let related = lock(&self.background.related);
        let related = related.as_ref()?;
        Some((
            related.depth.get(index).copied().unwrap_or(0),
            related.children.get(index).copied().unwrap_or(0),
        ))
    }

    /// Once the background pass has finished: how many events it read in
    /// order before the end or the first damage, and the longest kind name
    /// among them.
    pub fn indexed(&self) -> Option<(u64, usize)> {
        let related = lock(&self.background.related);
        let related = related.as_ref()?;
        Some((related.depth.len() as u64, related.kind_width))
    }

    /// Decoded chunks held now (for the benchmark's memory report).
    pub fn cached_chunks(&self) -> usize {
        lock(&self.store).cache.len()
    }

    /// Number of the chunk holding `seq` (`chunks.len()`: the salvaged events).
    fn chunk_of(&self, seq: u64) -> usize {
        self.chunks
            .partition_point(|c| c.first_seq + c.count <= seq)
    }

    fn first_seq_of(&self, chunk: usize) -> u64 {
        self.chunks.get(chunk).map_or_else(
            || self.chunks.last().map_or(0, |c| c.first_seq + c.count),
            |c| c.first_seq,
        )
    }

    fn chunk(&self, chunk: usize) -> Result<Arc<Vec<Event>>, Damage> {
        if chunk >= self.chunks.len() {
            return Ok(Arc::clone(&self.salvaged));
        }
        let mut store = lock(&self.store);
        store.clock += 1;
        let now = store.clock;
        if let Some(entry) = store.cache.iter_mut().find(|e| e.0 == chunk) {
            entry.1 = now;
            return Ok(Arc::clone(&entry.2));
        }
        let events = match store.reader.read_chunk_events(chunk) {
            Ok(Some(events)) => Arc::new(events),
            Ok(None) => Arc::new(Vec::new()),
            Err(e) => {
                let file_len = store.reader.file_len();
                return Err(Damage {
                    offset: error_offset(&e).unwrap_or(file_len),
                    detail: strip_path(&e.to_string(), &self.path),
                    truncated: false,
                });
            }
        };
        if store.cache.len() >= store.capacity
            && let Some(oldest) = store
                .cache
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.1)
                .map(|(i, _)| i)
        {
            store.cache.swap_remove(oldest);
        }
        store.cache.push((chunk, now, Arc::clone(&events)));
        Ok(events)
    }

    /// The event numbered `seq`.
    pub fn event(&self, seq: u64) -> Result<Event, Damage> {
        let chunk = self.chunk_of(seq);
        let events = self.chunk(chunk)?;
        let first = self.first_seq_of(chunk);
        let at = usize::try_from(seq.saturating_sub(first)).unwrap_or(usize::MAX);
        match events.get(at) {
            Some(event) if event.seq == seq => Ok(event.clone()),
            Some(event) => Err(Damage {
                offset: self.chunks.get(chunk).map_or(0, |c| c.offset),
                detail: format!("event seq {} where {seq} was expected", event.seq),
                truncated: false,
            }),
            None => Err(Damage {
                offset: self.chunks.get(chunk).map_or(0, |c| c.offset),
                detail: format!("no event {seq} in the chunk the index names"),
                truncated: false,
            }),
        }
    }

    /// Calls `visit` on events from `from` in the direction asked, up to
    /// `limit` events, until it returns true; returns that event's seq.
    pub fn scan(
        &self,
        from: u64,
        forward: bool,
        limit: u64,
        mut visit: impl FnMut(&Event) -> bool,
    ) -> Result<Option<u64>, Damage> {
        let mut seq = from;
        let mut seen = 0u64;
        while seq < self.len && seen < limit {
            let chunk = self.chunk_of(seq);
            let events = self.chunk(chunk)?;
            let first = self.first_seq_of(chunk);
            let mut at = usize::try_from(seq - first).unwrap_or(usize::MAX);
            while let Some(event) = events.get(at) {
                if visit(event) {
                    return Ok(Some(event.seq));
                }
                seen += 1;
                if seen >= limit {
                    return Ok(None);
                }
                if forward {
                    at += 1;
                } else if at == 0 {
                    break;
                } else {
                    at -= 1;
                }
            }
            seq = if forward {
                first + events.len().max(1) as u64
            } else if first == 0 {
                return Ok(None);
            } else {
                first - 1
            };
        }
        Ok(None)
    }
}

/// Node ids an event's description names.
fn node_refs(body: &EventBody, out: &mut Vec<u64>) {
    let edges = |edges: &[ft_trace::Edge], out: &mut Vec<u64>| {
        out.extend(edges.iter().filter_map(|e| e.node));
    };
    match body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            if let Context::Node(n) = op.context {
                out.push(n);
            }
        }
        EventBody::Dispatch(DispatchEvent::OpError(op)) => {
            if let Context::Node(n) = op.context {
                out.push(n);
            }
        }
        EventBody::Autograd(a) => match a {
            AutogradEvent::Node(n) => {
                out.push(n.node);
                edges(&n.next, out);
            }
            AutogradEvent::GraphTaskBegin(g) => edges(&g.roots, out),
            AutogradEvent::Push(q) | AutogradEvent::Pop(q) => out.push(q.node),
            AutogradEvent::Accumulate(acc) => out.push(acc.node),
            AutogradEvent::HookBegin(h) => out.push(h.node),
            AutogradEvent::NodeResult(r) => out.push(r.node),
            _ => {}
        },
        EventBody::Api(ApiEvent::RegisterNodeHook(h)) => out.push(h.node),
        _ => {}
    }
}

/// The events of rows `first..first + count` together with the events their
/// descriptions refer to, as a small [`TraceData`] described by the same code
/// as a whole trace.
#[derive(Debug)]
pub struct Window {
    /// The events gathered (original sequence numbers kept).
    pub data: TraceData,
    /// Rows whose event could not be read, with why.
    pub unreadable: BTreeMap<u64, Damage>,
}

impl Window {
    /// Position in `data.events` of event `seq`.
    pub fn position(&self, seq: u64) -> Option<usize> {
        self.data.events.binary_search_by_key(&seq, |e| e.seq).ok()
    }
}

/// Gathers rows `first..first + count` of `lazy` and what they refer to.
pub fn window(
    lazy: &LazyEvents,
    first: u64,
    count: u64,
    name: &str,
    version: (u16, u16),
    meta: &TraceMeta,
) -> Window {
    let end = first.saturating_add(count).min(lazy.len);
    let mut gathered: BTreeMap<u64, Event> = BTreeMap::new();
    let mut unreadable = BTreeMap::new();
    for seq in first..end {
        match lazy.event(seq) {
            Ok(event) => {
                gathered.insert(seq, event);
            }
            Err(damage) => {
                unreadable.insert(seq, damage);
            }
        }
    }
    if let Some(related) = lazy.related() {
        let mut extra: Vec<u64> = Vec::new();
        let mut nodes = Vec::new();
        for event in gathered.values() {
            node_refs(&event.body, &mut nodes);
            for t in event.body.tensor_refs() {
                extra.extend(related.record_before(t.id, t.version, first));
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        extra.extend(nodes.iter().filter_map(|&n| related.nodes.get(n)));
        let fetch = |seq: u64, gathered: &mut BTreeMap<u64, Event>| {
            if let std::collections::btree_map::Entry::Vacant(slot) = gathered.entry(seq)
                && let Ok(event) = lazy.event(seq)
            {
                slot.insert(event);
            }
        };
        for seq in extra {
            fetch(seq, &mut gathered);
        }
        // An AccumulateGrad is named by its leaf: the leaf's first reference.
        let leaves: Vec<u64> = nodes
            .iter()
            .filter_map(|&n| related.nodes.get(n))
            .filter_map(|seq| match gathered.get(&seq).map(|e| &e.body) {
                Some(EventBody::Autograd(AutogradEvent::Node(n))) => n.tensors.first().copied(),
                _ => None,
            })
            .filter_map(|t| related.tensors.get(t))
            .collect();
        for seq in leaves {
            fetch(seq, &mut gathered);
        }
    }
    let data = TraceData::from_events(
        name.to_owned(),
        lazy.path.clone(),
        version,
        meta.clone(),
        gathered.into_values().collect(),
        None,
    );
    Window { data, unreadable }
}

/// The background pass: reads every chunk once, fills [`Related`], checks
/// that sequence numbers are dense and, for a complete trace, the chain hash.
fn index_pass(path: &Path, expected: u64, state: &Background) {
    let finish = |related: Related, damage: Option<Damage>| {
        *lock(&state.related) = Some(Arc::new(related));
        *lock(&state.damage) = damage;
        state.finished.store(true, Ordering::Release);
    };
    let mut related = Related::new(expected);
    let mut reader = match TraceReader::recover(path) {
        Ok(reader) => reader,
        Err(e) => {
            let damage = Damage {
                offset: error_offset(&e).unwrap_or(0),
                detail: strip_path(&e.to_string(), path),
                truncated: false,
            };
            return finish(related, Some(damage));
        }
    };
    let footer_chain = reader.index().chain;
    let complete = reader.truncation().is_none();
    let file_len = reader.file_len();
    let mut chains = ChainState::default();
    let mut walk = NestingWalk::default();
    let mut next = 0u64;
    let mut damage = None;
    for read in reader.events_with_hashes() {
        match read {
            Ok((event, structural)) if event.seq == next => {
                chains.push(usize::from(event.body.code().0), &structural);
                let parent = walk.push(&event.body);
                related.add(&event, parent);
                next += 1;
                if next.is_multiple_of(4096) {
                    state.indexed.store(next, Ordering::Relaxed);
                }
            }
            Ok((event, _)) => {
                damage = Some(Damage {
                    offset: file_len,
                    detail: format!("event seq {} where {next} was expected", event.seq),
                    truncated: false,
                });
                break;
            }
            Err(e) => {
                damage = Some(Damage {
                    offset: error_offset(&e).unwrap_or(file_len),
                    detail: strip_path(&e.to_string(), path),
                    truncated: false,
                });
                break;
            }
        }
    }
    state.indexed.store(next, Ordering::Relaxed);
    if damage.is_none() && complete && chains.all != footer_chain {
        damage = Some(Damage::chain_mismatch(file_len, &chains.all, &footer_chain));
    }
    finish(related, damage);
}
