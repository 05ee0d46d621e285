//! The inspector's scale benchmark: opens a trace as `ft-inspect` does,
//! draws the first frame into a ratatui `TestBackend`, then applies keys and
//! times each key's update plus the next frame; reports peak resident memory.
//!
//! `cargo run --release -p ft-inspect --example bench_inspect -- TRACE.ftr [WIDTHxHEIGHT]`
//! (`scripts/bench_inspect.py` writes a 10M-event trace with the
//! `big_trace` example first). Prints numbers; asserts nothing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ft_inspect::{Action, App, TraceData};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// `VmHWM` (peak) and `VmRSS` (now) of this process, in MB.
fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The keys pressed, by name, each a number of times.
const KEYS: &[(&str, Action, usize)] = &[
    ("j", Action::Down, 60),
    ("k", Action::Up, 20),
    ("PageDown", Action::PageDown, 60),
    ("PageUp", Action::PageUp, 20),
    ("n", Action::NextSame, 30),
    ("N", Action::PrevSame, 10),
    ("G", Action::Last, 1),
    ("k@end", Action::Up, 10),
    ("g", Action::First, 1),
    ("Tab", Action::SwitchFocus, 1),
    ("j@details", Action::Down, 10),
    ("Tab", Action::SwitchFocus, 1),
];

type Term = Terminal<TestBackend>;

fn frame(term: &mut Term, app: &App) -> Result<(), String> {
    term.draw(|f| f.render_widget(app, f.area()))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn keys(
    label: &str,
    term: &mut Term,
    app: &mut App,
    reader: &mut ft_trace::TraceReader,
) -> Result<(), String> {
    println!("key → next frame ({label}):");
    let mut worst = Duration::ZERO;
    for &(name, action, times) in KEYS {
        let mut samples = Vec::with_capacity(times);
        for _ in 0..times {
            let start = Instant::now();
            app.update(action);
            app.fetch_values(reader);
            frame(term, app)?;
            samples.push(start.elapsed());
        }
        samples.sort();
        let median = samples[samples.len() / 2];
        let max = samples[samples.len() - 1];
        worst = worst.max(max);
        println!(
            "  {name:<10} ×{times:<3} median {:>7.3} ms  max {:>7.3} ms{}",
            ms(median),
            ms(max),
            app.message
                .as_ref()
                .map(|m| format!("  ({m})"))
                .unwrap_or_default()
        );
    }
    println!("  worst key → frame: {:.3} ms", ms(worst));
    Ok(())
}

/// `/` text Enter, polled as the event loop does (a frame after each slice).
fn search(
    term: &mut Term,
    app: &mut App,
    reader: &mut ft_trace::TraceReader,
) -> Result<(), String> {
    println!("text search (/ … Enter), polled a slice at a time, a frame after each:");
    for needle in ["mse_loss_backward", "conv2d"] {
        app.update(Action::First);
        app.update(Action::StartFilter);
        for _ in 0..64 {
            app.update(Action::FilterBackspace);
        }
        for c in needle.chars() {
            app.update(Action::FilterInsert(c));
        }
        let start = Instant::now();
        app.update(Action::FilterApply);
        let mut worst = Duration::ZERO;
        let mut slices = 0;
        while app.searching() && start.elapsed() < Duration::from_secs(3) {
            let slice = Instant::now();
            app.poll();
            app.fetch_values(reader);
            frame(term, app)?;
            worst = worst.max(slice.elapsed());
            slices += 1;
        }
        println!(
            "  \"{needle}\": {} after {:.1} ms, {slices} slices, worst slice + frame {:.3} ms ({})",
            if app.searching() {
                "still searching"
            } else {
                "done"
            },
            ms(start.elapsed()),
            ms(worst),
            app.message.clone().unwrap_or_default()
        );
        app.update(Action::First);
    }
    Ok(())
}

fn run(path: PathBuf, width: u16, height: u16) -> Result<(), String> {
    let start = Instant::now();
    let (data, mut reader) = TraceData::open_browsing(&path).map_err(|e| e.to_string())?;
    let opened = start.elapsed();
    let events = data.event_count();
    let lazy = data.lazy.clone();
    let mut app = App::new(data);
    app.resize(width, height);
    app.fetch_values(&mut reader);
    let mut term = Terminal::new(TestBackend::new(width, height)).map_err(|e| e.to_string())?;
    frame(&mut term, &app)?;
    let first = start.elapsed();
    println!(
        "{}: {events} events, {} ({width}×{height})",
        path.display(),
        if lazy.is_some() {
            "read lazily"
        } else {
            "read whole"
        }
    );
    println!(
        "open {:.1} ms, first frame at {:.1} ms",
        ms(opened),
        ms(first)
    );
    keys("while the index is built", &mut term, &mut app, &mut reader)?;
    if let Some(lazy) = &lazy {
        let wait = Instant::now();
        lazy.wait_index();
        app.poll();
        println!(
            "background index done {:.2} s after open (waited {:.2} s here)",
            start.elapsed().as_secs_f64(),
            wait.elapsed().as_secs_f64()
        );
        keys("index built", &mut term, &mut app, &mut reader)?;
        search(&mut term, &mut app, &mut reader)?;
        println!("decoded chunks held: {}", lazy.cached_chunks());
    }
    let (peak, now) = memory_mb();
    println!("resident memory: peak {peak:.1} MB, now {now:.1} MB");
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bench_inspect TRACE.ftr [WIDTHxHEIGHT]");
        return ExitCode::from(2);
    };
    let size = args.next().unwrap_or_else(|| "120x40".to_owned());
    let Some((width, height)) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
    else {
        eprintln!("bench_inspect: size must be WIDTHxHEIGHT, not {size}");
        return ExitCode::from(2);
    };
    match run(PathBuf::from(path), width, height) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_inspect: {e}");
            ExitCode::FAILURE
        }
    }
}
