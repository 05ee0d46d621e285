//! A progress line for long replays, on stderr when it is a terminal.
//!
//! Redrawn in place (`\r`) at most four times a second and erased when the
//! work ends, so it never reaches a log file or a CI transcript: when stderr
//! is not a terminal nothing is written at all.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the line is redrawn.
const INTERVAL: Duration = Duration::from_millis(250);

/// A progress line over `total` units of work.
pub struct Progress {
    label: &'static str,
    total: u64,
    started: Instant,
    last_drawn: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// A line labelled `label`, drawn only when stderr is a terminal.
    pub fn new(label: &'static str, total: u64) -> Progress {
        Progress::with_output(label, total, std::io::stderr().is_terminal())
    }

    /// A line that is drawn when `enabled`.
    pub fn with_output(label: &'static str, total: u64, enabled: bool) -> Progress {
        Progress {
            label,
            total,
            started: Instant::now(),
            last_drawn: None,
            enabled,
        }
    }

    /// Reports that `done` units are finished.
    pub fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let due = match self.last_drawn {
            Some(at) => now.duration_since(at) >= INTERVAL,
            // Short runs finish before the first line would be worth drawing.
            None => now.duration_since(self.started) >= INTERVAL,
        };
        if due {
            self.last_drawn = Some(now);
            let line = self.line(done, now.duration_since(self.started));
            let _ = write!(std::io::stderr().lock(), "\r{line}\x1b[K");
        }
    }

    /// The text of the line after `elapsed` with `done` units finished.
    pub fn line(&self, done: u64, elapsed: Duration) -> String {
        let percent = if self.total == 0 {
            100.0
        } else {
            done as f64 * 100.0 / self.total as f64
        };
        let rate = done as f64 / elapsed.as_secs_f64().max(1e-9);
        format!(
            "{}: {done}/{} events ({percent:.0}%), {rate:.0} events/s",
            self.label, self.total
        )
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.enabled && self.last_drawn.is_some() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_gives_count_share_and_rate() {
        let p = Progress::with_output("replaying", 200, false);
        assert_eq!(
            p.line(50, Duration::from_secs(2)),
            "replaying: 50/200 events (25%), 25 events/s"
        );
    }

    #[test]
    fn an_empty_run_is_complete() {
        let p = Progress::with_output("replaying", 0, false);
        assert!(p.line(0, Duration::from_secs(1)).contains("(100%)"));
    }
}
