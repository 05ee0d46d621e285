//! `ft-replay`: see `ft_replay::cli::Args` for usage; logic lives in the library.

use std::process::ExitCode;

use clap::Parser;

/// A replay allocates and frees tensors of the same few sizes millions of
/// times; glibc's allocator fragments under that pattern (its mmap threshold
/// grows, and freed tensors stay resident), so a long replay's memory would
/// grow with the run. mimalloc returns freed pages and is faster too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Transparent huge pages cost a replay more than they give: the kernel
/// zeroes (and, when memory is fragmented, first compacts) a whole 2 MiB page
/// on the first touch of mimalloc's huge-page-advised arenas. Measured on the
/// 1000-step MLP trace, diff only: with them 0.2–1.4 s of system time a run
/// (a wall median of twice the CPU-bound time) and 155 MB peak; without, under
/// 0.1 s and 131 MB. Replay on the runtime is no slower without them. Fault
/// handling checks this flag, so setting it after the allocator's first arena
/// was advised still covers every page touched from here on.
fn decline_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    {
        // A kernel without the flag (before 3.15) keeps its default: only speed differs.
        let _ = nix::sys::prctl::set_thp_disable(true);
    }
}

fn main() -> ExitCode {
    decline_transparent_huge_pages();
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match ft_replay::cli::Args::try_parse() {
        Ok(args) => ExitCode::from(ft_replay::run(&args) as u8),
        Err(e) => {
            // `--help` and `--version` are not refusals.
            if e.use_stderr() {
                ft_replay::junit_for_refused_command_line(&raw, &e.to_string());
            }
            let _ = e.print();
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
    }
}
