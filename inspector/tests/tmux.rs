//! The real binary in a real terminal: `tmux` runs `ft-inspect` on a
//! perturbed-kernel replay, the test types keys and reads the screen back, as
//! a user would.
//!
//! `scripts/test.sh` installs tmux when it is missing and sets
//! `FT_REQUIRE_TMUX=1`, so there a missing tmux fails the test; a plain
//! `cargo test` on a machine without tmux skips it with a note.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

use ft_replay::executor::{ReplayOptions, parse_faults, replay};

/// A tmux server of this test's own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn pane(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "inspect"]).stdout)
            .into_owned()
    }

    /// Waits until the pane shows `text`; the pane as last seen.
    fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let pane = self.pane();
            if pane.contains(text) {
                return pane;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the pane never showed {text:?}; it shows:\n{pane}"
            );
            sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "inspect"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success(), "send-keys {keys:?}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn tmux_available() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("FT_REQUIRE_TMUX").is_none(),
            "FT_REQUIRE_TMUX is set but tmux is not installed"
        );
        eprintln!("tmux is not installed: skipping the terminal end-to-end test");
    }
    found
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name)
}

#[test]
fn after_n_in_the_diff_of_a_perturbed_kernel_the_selected_row_names_the_op_where_drift_starts() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let torch_path = golden("mlp_train.torch.ftr");
    let ours = dir.path().join("ours.ftr");
    let torch = ft_replay::TraceData::load(&torch_path).expect("golden loads");
    let options = ReplayOptions {
        faults: parse_faults(&["perturb=aten.addmm.default:0.01".to_owned()]).expect("fault"),
        out: Some(ours.clone()),
        timestamps: false,
        ..ReplayOptions::default()
    };
    replay(&torch, &options).expect("replay runs");

    let tmux = Tmux {
        socket: format!("ft-inspect-test-{}", std::process::id()),
    };
    let command = format!(
        "{} {} --against {}",
        env!("CARGO_BIN_EXE_ft-inspect"),
        ours.display(),
        torch_path.display()
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "inspect",
        "-x",
        "120",
        "-y",
        "32",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    let opened = tmux.wait_for("VALUES OUT OF TOLERANCE");
    assert!(opened.contains("Diff"), "{opened}");

    // Back to the top, then to the next divergence: where drift starts.
    tmux.keys(&["g"]);
    tmux.wait_for("Row expected #0");
    tmux.keys(&["n"]);
    let pane = tmux.wait_for("Row expected #28 · actual #28");
    assert!(
        pane.contains("[value local] aten.addmm.default output 0"),
        "{pane}"
    );

    // The next one is drift the perturbed op passed on.
    tmux.keys(&["n"]);
    let pane = tmux.wait_for("[value propagated]");
    assert!(!pane.contains("[value local]"), "{pane}");

    // View 1 is PyTorch's timeline; q quits and the session ends.
    tmux.keys(&["1"]);
    tmux.wait_for("Timeline");
    tmux.keys(&["q"]);
    let ended = Instant::now();
    while tmux.run(&["has-session", "-t", "inspect"]).status.success() {
        assert!(
            ended.elapsed() < Duration::from_secs(30),
            "q did not quit:\n{}",
            tmux.pane()
        );
        sleep(Duration::from_millis(100));
    }
}
