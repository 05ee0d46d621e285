//! `kill -TERM` / `-HUP` of a running inspector leaves the terminal as it
//! found it: off the alternate screen, cursor shown, exit status 128 + signal.
//!
//! The inspector needs a terminal, so it runs under `script` (util-linux),
//! which gives it a pseudo-terminal and copies everything it writes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const LEAVE_ALTERNATE_SCREEN: &str = "\u{1b}[?1049l";
const SHOW_CURSOR: &str = "\u{1b}[?25h";

fn terminal_after_signal(signal: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let transcript = dir.path().join("transcript");
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/mlp_train.torch.ftr");
    let command = format!(
        "exec {} {}",
        env!("CARGO_BIN_EXE_ft-inspect"),
        trace.display()
    );
    let mut script = Command::new("script")
        .args(["-qfec", &command])
        .arg(&transcript)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("`script` (util-linux) runs the inspector in a pseudo-terminal");
    // Wait until the inspector has entered the alternate screen.
    let started = Instant::now();
    while !std::fs::read(&transcript)
        .map(|b| String::from_utf8_lossy(&b).contains("\u{1b}[?1049h"))
        .unwrap_or(false)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the inspector never started"
        );
        sleep(Duration::from_millis(50));
    }
    sleep(Duration::from_millis(200));
    let killed = Command::new("pkill")
        .args([
            &format!("-{signal}"),
            "-P",
            &script.id().to_string(),
            "-x",
            "ft-inspect",
        ])
        .status()
        .expect("pkill");
    assert!(killed.success(), "no ft-inspect process to signal");
    let status = script.wait().expect("script exits");
    let text =
        String::from_utf8_lossy(&std::fs::read(&transcript).expect("transcript")).into_owned();
    (text, format!("{status:?}"))
}

/// After the last entry into the alternate screen, the terminal was given
/// back: alternate screen left, cursor shown.
fn assert_restored(text: &str) {
    let tail = &text[text
        .rfind("\u{1b}[?1049h")
        .expect("entered the alternate screen")..];
    assert!(tail.contains(LEAVE_ALTERNATE_SCREEN), "{tail:?}");
    assert!(tail.contains(SHOW_CURSOR), "{tail:?}");
}

#[test]
fn sigterm_restores_the_terminal() {
    let (text, status) = terminal_after_signal("TERM");
    assert_restored(&text);
    assert!(
        text.contains("COMMAND_EXIT_CODE=\"143\"") || status.contains("143"),
        "{status} {text:?}"
    );
}

#[test]
fn sighup_restores_the_terminal() {
    let (text, _) = terminal_after_signal("HUP");
    assert_restored(&text);
}
