//! The interactive loop: terminal set-up and restore, draw, read a key,
//! update. Nothing else. Mouse reporting is on while the inspector runs
//! (wheel scrolls, a click selects) and off again on every exit.
//!
//! [`ratatui::try_init`] enters raw mode and the alternate screen and installs
//! a panic hook that restores the terminal before the panic message prints;
//! [`ratatui::restore`] runs on every normal or error exit, and on SIGTERM,
//! SIGHUP and SIGINT a watcher thread restores the terminal (cursor shown)
//! before the process exits with 128 + the signal number, as a shell expects. The loop blocks on
//! input and redraws only after something happened, so an idle inspector uses
//! no CPU; ratatui diffs frames, so a redraw writes only changed cells.

use std::io;

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

use crate::app::App;
use crate::values::BlobSource;

/// Runs the inspector until the user quits.
pub fn run(app: App, blobs: &mut dyn BlobSource) -> io::Result<()> {
    let mut terminal = match ratatui::try_init() {
        Ok(terminal) => terminal,
        Err(e) => {
            restore();
            return Err(e);
        }
    };
    if let Err(e) =
        ratatui::crossterm::execute!(io::stdout(), ratatui::crossterm::event::EnableMouseCapture)
    {
        restore();
        return Err(e);
    }
    let signals = restore_on_signals()?;
    let result = event_loop(&mut terminal, app, blobs);
    signals.close();
    restore();
    result
}

/// Stops mouse reporting, leaves raw mode and the alternate screen, and
/// shows the cursor.
fn restore() {
    let _ =
        ratatui::crossterm::execute!(io::stdout(), ratatui::crossterm::event::DisableMouseCapture);
    ratatui::restore();
    let _ = ratatui::crossterm::execute!(io::stdout(), ratatui::crossterm::cursor::Show);
}

/// Restores the terminal and exits when the process is asked to stop.
fn restore_on_signals() -> io::Result<Handle> {
    let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            restore();
            std::process::exit(128 + signal);
        }
    });
    Ok(handle)
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    mut app: App,
    blobs: &mut dyn BlobSource,
) -> io::Result<()> {
    let size = terminal.size()?;
    app.resize(size.width, size.height);
    let mut redraw = true;
    while !app.quit {
        if redraw {
            app.fetch_values(blobs);
            terminal.draw(|frame| frame.render_widget(&app, frame.area()))?;
        }
        // While a large trace is indexed or searched, go on between keys
        // and redraw to show progress.
        let wait = if app.searching() { 1 } else { 250 };
        if (app.busy() || app.searching()) && !event::poll(std::time::Duration::from_millis(wait))?
        {
            app.poll();
            redraw = true;
            continue;
        }
        app.poll();
        redraw = match event::read()? {
            Event::Key(key) => app.handle_key(&key),
            Event::Mouse(mouse) => app.handle_mouse(&mouse),
            Event::Resize(width, height) => {
                app.resize(width, height);
                true
            }
            _ => false,
        };
    }
    Ok(())
}
