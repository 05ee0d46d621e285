//! A trace read lazily (chunks decoded on demand, a tiny chunk cache) shows
//! the same rows and details as the same trace read whole; views that need
//! the whole stream say they are off; damage still shows.

use std::fs;
use std::path::{Path, PathBuf};

use ft_inspect::trace::TraceData;
use ft_inspect::{Action, App};
use ft_trace::TraceReader;

use crate::support::{Ending, draw, write_trace};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name)
}

/// The trace read whole and read lazily with a two-chunk cache, index built.
fn both(path: &Path) -> ((App, TraceReader), (App, TraceReader)) {
    let (eager, eager_reader) = TraceData::open(path).expect("open whole");
    let (lazy, lazy_reader) = TraceData::open_lazy(path, 2, false).expect("open lazily");
    assert!(lazy.events.is_empty(), "nothing read up front");
    let mut lazy = App::new(lazy);
    let eager = App::new(eager);
    // Same column widths, so that rows compare as text.
    lazy.primary.columns = eager.primary.columns;
    ((eager, eager_reader), (lazy, lazy_reader))
}

#[test]
fn lazy_rows_and_details_match_the_trace_read_whole() {
    for name in [
        "gpt_decoder.torch.ftr",
        "checkpoint_reentrant.torch.ftr",
        "hooks_module_backward.torch.ftr",
        "values_stats.torch.ftr",
    ] {
        let path = golden(name);
        let ((mut eager, mut eager_reader), (mut lazy, mut lazy_reader)) = both(&path);
        let count = eager.primary.data.events.len();
        assert!(count > 0, "{name}");
        assert_eq!(lazy.primary.data.event_count(), count, "{name}");
        assert_eq!(lazy.primary.shown(), count, "{name}");
        assert_eq!(
            lazy.primary.data.layer_counts(),
            eager.primary.data.layer_counts(),
            "{name}"
        );
        // Rows, a screen at a time.
        for offset in (0..count).step_by(37) {
            // Nested as read whole (nothing folded).
            let whole = eager.primary.rows(offset, 37);
            assert_eq!(
                lazy.primary.rows(offset, 37),
                whole,
                "{name} rows from {offset}"
            );
        }
        // Details of every event, values read.
        for index in 0..count {
            if index > 0 {
                eager.update(Action::Down);
                lazy.update(Action::Down);
            }
            eager.fetch_values(&mut eager_reader);
            lazy.fetch_values(&mut lazy_reader);
            assert_eq!(lazy.primary.selected_index(), Some(index));
            assert_eq!(
                lazy.primary.details(),
                eager.primary.details(),
                "{name} details of #{index}"
            );
        }
        assert!(lazy.primary.data.damage.is_none(), "{name}");
    }
}

#[test]
fn lazy_rows_match_on_every_golden_trace() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces");
    let mut goldens: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("traces/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ftr"))
        .collect();
    goldens.sort();
    assert!(goldens.len() > 50, "{}", goldens.len());
    for path in goldens {
        let ((eager, _), (lazy, _)) = both(&path);
        let count = eager.primary.data.events.len();
        assert_eq!(lazy.primary.shown(), count, "{}", path.display());
        // A screen at a time: names come from off-screen events.
        for offset in (0..count).step_by(40) {
            let whole = eager.primary.rows(offset, 40);
            assert_eq!(
                lazy.primary.rows(offset, 40),
                whole,
                "{} rows from {offset}",
                path.display()
            );
        }
        assert_eq!(
            lazy.primary.data.damage,
            eager.primary.data.damage,
            "{}",
            path.display()
        );
    }
}

/// `--dump` of `path` read whole and read lazily (streamed), with `filter`.
fn dumps(path: &Path, filter: &ft_inspect::Filter) -> (String, String) {
    let mut whole = Vec::new();
    let (data, _) = TraceData::open(path).expect("open whole");
    ft_inspect::cli::dump(data, filter, &mut whole).expect("dump");
    let mut streamed = Vec::new();
    let (data, _) = TraceData::open_lazy(path, 2, false).expect("open lazily");
    ft_inspect::cli::dump(data, filter, &mut streamed).expect("dump");
    (
        String::from_utf8(whole).expect("utf-8"),
        String::from_utf8(streamed).expect("utf-8"),
    )
}

#[test]
fn streamed_dump_prints_what_the_dump_of_the_whole_trace_prints() {
    use ft_inspect::{Filter, LayerFilter};
    let filters = [
        Filter::default(),
        Filter {
            text: "AccumulateGrad".into(),
            layer: LayerFilter::All,
        },
        Filter {
            text: String::new(),
            layer: LayerFilter::Only(ft_trace::Layer::Autograd),
        },
    ];
    for name in ["gpt_decoder.torch.ftr", "hooks_module_backward.torch.ftr"] {
        for filter in &filters {
            let (whole, streamed) = dumps(&golden(name), filter);
            assert!(!whole.is_empty(), "{name} {filter:?}");
            assert_eq!(streamed, whole, "{name} {filter:?}");
        }
    }
    // Damaged: both print the events before the damaged chunk.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_trace(dir.path(), "mul_sum.ftr", Ending::Complete);
    let third = TraceReader::open(&path).expect("complete").index().chunks[2];
    let mut bytes = fs::read(&path).expect("read");
    bytes[third.offset as usize + 12] ^= 0xff;
    fs::write(&path, &bytes).expect("write");
    let (whole, streamed) = dumps(&path, &filters[0]);
    assert_eq!(whole.lines().count() as u64, third.first_seq);
    assert_eq!(streamed, whole);
}

#[test]
fn empty_recording_read_lazily_says_it_holds_no_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.ftr");
    drop(ft_trace::FileTraceWriter::create(&path, &crate::support::meta()).expect("create"));
    let partial = ft_trace::partial_path(&path);
    let (data, mut reader) = TraceData::open_lazy(&partial, 1, false).expect("opens");
    let mut app = App::new(data);
    assert!(app.primary.data.damage.is_some());
    for action in [
        Action::Down,
        Action::Last,
        Action::NextSame,
        Action::PrevSame,
    ] {
        app.update(action);
        app.fetch_values(&mut reader);
    }
    assert_eq!(app.primary.selected_index(), None);
    let text = format!("{}", draw(&mut app, 80, 24).backend());
    assert!(text.contains("truncated at offset"), "{text}");
    assert!(text.contains("no readable events"), "{text}");
}

#[test]
fn keys_move_the_same_way_over_a_lazily_read_trace() {
    let path = golden("gpt_decoder.torch.ftr");
    let ((mut eager, mut er), (mut lazy, mut lr)) = both(&path);
    let keys = [
        Action::Down,
        Action::PageDown,
        Action::NextSame,
        Action::NextSame,
        Action::PrevSame,
        Action::PageDown,
        Action::PageDown,
        Action::Up,
        Action::Last,
        Action::NextSame,
        Action::PrevSame,
        Action::PageUp,
        Action::First,
        Action::PrevSame,
        Action::SwitchFocus,
        Action::Down,
        Action::SwitchFocus,
    ];
    for action in keys {
        eager.update(action);
        lazy.update(action);
        eager.fetch_values(&mut er);
        lazy.fetch_values(&mut lr);
        assert_eq!(
            lazy.primary.selected_index(),
            eager.primary.selected_index(),
            "after {action:?}"
        );
        assert_eq!(lazy.primary.offset(), eager.primary.offset(), "{action:?}");
        assert_eq!(lazy.message, eager.message, "{action:?}");
        assert_eq!(
            lazy.primary.details(),
            eager.primary.details(),
            "{action:?}"
        );
    }
}

#[test]
fn views_that_need_the_whole_stream_say_they_are_off() {
    let path = golden("gpt_decoder.torch.ftr");
    let (_, (mut lazy, _reader)) = both(&path);
    for action in [
        Action::CycleLayer,
        Action::ToggleFold,
        Action::ToggleFoldAll,
        Action::Follow,
        Action::ShowOpGraph,
        Action::ShowAutograd,
        Action::NextView,
    ] {
        lazy.update(action);
        let note = lazy.message.clone().unwrap_or_default();
        assert!(note.contains("is off above"), "{action:?}: {note}");
        assert!(lazy.input.is_none(), "{action:?}");
        assert_eq!(lazy.view, ft_inspect::app::View::Timeline, "{action:?}");
    }
    let screen = format!("{}", draw(&mut lazy, 80, 24).backend());
    assert!(screen.contains("read on demand"), "{screen}");
}

#[test]
fn search_in_a_lazily_read_trace_visits_what_the_filter_shows() {
    let path = golden("gpt_decoder.torch.ftr");
    // "AccumulateGrad" matches pushes and pops by their node's name.
    for needle in ["mm", "AccumulateGrad", "mark"] {
        let ((mut eager, _), (mut lazy, _reader)) = both(&path);
        eager.update(Action::StartFilter);
        for c in needle.chars() {
            eager.update(Action::FilterInsert(c));
        }
        eager.update(Action::FilterApply);
        let expected: Vec<usize> = eager
            .primary
            .visible()
            .iter()
            .copied()
            .filter(|&i| i > 0)
            .collect();
        assert!(expected.len() > 1, "{needle}");

        let mut found = Vec::new();
        lazy.update(Action::StartFilter);
        for c in needle.chars() {
            lazy.update(Action::FilterInsert(c));
        }
        assert_eq!(lazy.primary.shown(), lazy.primary.data.event_count());
        loop {
            lazy.update(Action::FilterApply);
            while lazy.searching() {
                lazy.poll();
            }
            let note = lazy.message.clone().unwrap_or_default();
            if note.starts_with("no later event matches") {
                break;
            }
            assert!(note.contains(" at #"), "{note}");
            found.extend(lazy.primary.selected_index());
            // `/` starts with the text searched last.
            lazy.update(Action::StartFilter);
            assert_eq!(lazy.input.as_ref().map(|i| i.text.as_str()), Some(needle));
        }
        assert_eq!(found, expected, "{needle}");
    }
}

#[test]
fn truncated_trace_read_lazily_shows_its_readable_part_and_the_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_trace(dir.path(), "mul_sum.ftr", Ending::Complete);
    let second_chunk = TraceReader::open(&path).expect("complete").index().chunks[1].offset;
    let bytes = fs::read(&path).expect("read");
    fs::write(&path, &bytes[..second_chunk as usize + 40]).expect("cut");
    let ((eager, _), (mut lazy, _reader)) = both(&path);
    assert_eq!(lazy.primary.data.damage, eager.primary.data.damage);
    assert_eq!(lazy.primary.shown(), eager.primary.data.events.len());
    assert_eq!(lazy.primary.rows(0, 100), eager.primary.rows(0, 100));
    let damage = lazy.primary.data.damage.clone().expect("truncated");
    let screen = format!("{}", draw(&mut lazy, 80, 24).backend());
    assert!(
        screen.contains(&format!("truncated at offset {}", damage.offset)),
        "{screen}"
    );
}

#[test]
fn damaged_chunk_read_lazily_is_an_unreadable_row_and_the_banner_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_trace(dir.path(), "mul_sum.ftr", Ending::Complete);
    let third = TraceReader::open(&path).expect("complete").index().chunks[2];
    let mut bytes = fs::read(&path).expect("read");
    bytes[third.offset as usize + 12] ^= 0xff; // inside the payload: checksum fails
    fs::write(&path, &bytes).expect("write");
    let ((eager, _), (mut lazy, _reader)) = both(&path);
    // The background pass found what reading the whole trace finds.
    assert_eq!(lazy.primary.data.damage, eager.primary.data.damage);
    let readable = eager.primary.data.events.len();
    assert_eq!(readable as u64, third.first_seq);
    let whole = eager.primary.rows(0, readable);
    for (index, line) in lazy.primary.rows(0, 100) {
        if index < readable {
            assert_eq!((index, line), whole[index]);
        } else if index < (third.first_seq + third.count) as usize {
            assert!(
                line.plain().contains("unreadable: damaged at offset"),
                "{}",
                line.plain()
            );
        }
    }
    let screen = format!("{}", draw(&mut lazy, 80, 24).backend());
    assert!(screen.contains("damaged at offset"), "{screen}");
}

#[test]
fn a_lazily_read_trace_with_its_index_pending_still_draws() {
    let path = golden("gpt_decoder.torch.ftr");
    let (data, mut reader) = TraceData::open_lazy(&path, 1, true).expect("open lazily");
    let lazy = data.lazy.clone().expect("lazy");
    let mut app = App::new(data);
    app.update(Action::PageDown);
    app.fetch_values(&mut reader);
    let screen = format!("{}", draw(&mut app, 80, 24).backend());
    assert!(screen.contains("Timeline"), "{screen}");
    lazy.wait_index();
    app.poll();
    assert_eq!(lazy.indexing(), None);
    assert!(app.primary.data.damage.is_none());
}
