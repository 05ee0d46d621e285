//! The files `ft-replay` writes: refused when they would destroy something,
//! written so that a reader never sees half of one.
//!
//! * [`check_outputs`] runs before anything is read or written: an output
//!   may not be an input (`--against g.ftr --out g.ftr` would make the
//!   reference the runtime's own trace, and every later replay match), nor
//!   two outputs one file, nor an existing path that is not a regular file
//!   (renaming over `/dev/null` as root replaces the device; a FIFO or a
//!   directory is never a report). `--out`'s `NAME.partial`, which the
//!   streamed recording writes through, may not be a symlink either.
//! * [`write_atomic`] writes a report next to its final name, syncs it and
//!   renames it into place: a full disk leaves the previous file or none,
//!   never a truncated one.

use std::path::{Path, PathBuf};

use ft_trace::partial_path;

use crate::cli::Args;
use crate::error::ReplayError;

/// An output path and the flag that names it.
#[derive(Clone, Debug)]
struct Output {
    flag: &'static str,
    path: PathBuf,
    /// `NAME.partial` is opened and written through directly (not renamed over).
    written_in_place: bool,
}

fn outputs(args: &Args) -> Vec<Output> {
    let mut outputs = Vec::new();
    if let Some(path) = &args.out {
        outputs.push(Output {
            flag: "--out",
            path: path.clone(),
            written_in_place: false,
        });
        outputs.push(Output {
            flag: "--out",
            path: partial_path(path),
            written_in_place: true,
        });
    }
    for (flag, path) in [("--junit", &args.junit), ("--perfetto", &args.perfetto)] {
        if let Some(path) = path {
            outputs.push(Output {
                flag,
                path: path.clone(),
                written_in_place: false,
            });
        }
    }
    outputs
}

/// What a non-regular file is, for messages.
fn kind_of(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a pipe";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symlink"
    } else {
        "not a regular file"
    }
}

/// The same file on disk (device and inode; a path that does not exist is no file).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => same_inode(&a, &b),
        _ => false,
    }
}

#[cfg(unix)]
fn same_inode(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// The path with its directory resolved (symlinks, `..`), for comparing
/// paths that may not exist yet.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(path) = std::fs::canonicalize(path) {
        return path;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(parent), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

/// Why a file output may not be written at `path`, if it may not: it is
/// one of `inputs` (`(name, path)`, named in the message), or something
/// other than a regular file exists there (`in_place`: the path itself is
/// written, so a symlink there is refused too; otherwise it is replaced by a
/// rename and a symlink's target is what counts).
pub fn output_refusal(
    flag: &str,
    path: &Path,
    in_place: bool,
    inputs: &[(&str, &Path)],
) -> Option<String> {
    let shown = path.display();
    for (name, input) in inputs {
        if same_file(path, input) || resolved(path) == resolved(input) {
            return Some(format!(
                "{flag} {shown} is the input {name} {}; refusing to overwrite a file being read",
                input.display()
            ));
        }
    }
    let metadata = if in_place {
        std::fs::symlink_metadata(path)
    } else {
        std::fs::metadata(path)
    };
    if let Ok(metadata) = metadata
        && !metadata.file_type().is_file()
    {
        return Some(format!(
            "{flag} {shown} exists and is {}; refusing to replace it (outputs go to regular files)",
            kind_of(metadata.file_type())
        ));
    }
    None
}

/// Why this output may not be written, if it may not.
fn refusal(output: &Output, args: &Args, all: &[Output]) -> Option<String> {
    let inputs: Vec<(&str, &Path)> = [("--against", &args.against), ("OURS", &args.ours)]
        .into_iter()
        .filter_map(|(name, input)| input.as_deref().map(|p| (name, p)))
        .collect();
    if let Some(reason) =
        output_refusal(output.flag, &output.path, output.written_in_place, &inputs)
    {
        return Some(reason);
    }
    let shown = output.path.display();
    let mine = resolved(&output.path);
    for other in all {
        if !std::ptr::eq(other, output) && resolved(&other.path) == mine {
            return Some(format!(
                "{} and {} both name {shown}; give each output its own file",
                output.flag, other.flag
            ));
        }
    }
    None
}

/// Refuses outputs that would overwrite an input, replace something that is
/// not a regular file, or collide with another output (usage error).
pub fn check_outputs(args: &Args) -> Result<(), ReplayError> {
    let all = outputs(args);
    match all.iter().find_map(|o| refusal(o, args, &all)) {
        Some(reason) => Err(ReplayError::Usage(reason)),
        None => Ok(()),
    }
}

/// Whether `--junit` may be written (it passed [`check_outputs`]'s rules):
/// a run that failed before its verdict still writes a failing report there.
pub fn junit_writable(args: &Args) -> bool {
    writable(args, "--junit")
}

/// Whether every path of `flag` passed [`check_outputs`]'s rules.
fn writable(args: &Args, flag: &str) -> bool {
    let all = outputs(args);
    all.iter()
        .filter(|o| o.flag == flag)
        .all(|o| refusal(o, args, &all).is_none())
}

/// A run that failed before its verdict removes the `--out` trace an
/// earlier run left at the final name (only if `--out` passed the output
/// rules: it is then a regular file this command may replace), so the name
/// never holds a trace that is not this run's. Its own `.partial`, if the
/// replay got that far, stays for inspection.
pub fn remove_stale_out(args: &Args, earlier: Option<&std::fs::Metadata>) -> Option<PathBuf> {
    let path = args.out.as_ref()?;
    let earlier = earlier?;
    if !writable(args, "--out") {
        return None;
    }
    // A trace this run finished (renamed into place) is not stale.
    let now = std::fs::metadata(path).ok()?;
    if !same_inode(earlier, &now) {
        return None;
    }
    std::fs::remove_file(path).ok().map(|()| path.clone())
}

/// What is at `--out` before the run (to tell an earlier run's trace from
/// this run's).
pub fn out_before_run(args: &Args) -> Option<std::fs::Metadata> {
    std::fs::metadata(args.out.as_ref()?).ok()
}

fn output_error(path: &Path, e: impl std::fmt::Display) -> ReplayError {
    ReplayError::Output {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// Writes `contents` to a temporary file in `path`'s directory, syncs it and
/// renames it over `path`; on failure the temporary file is removed and
/// `path` is left as it was.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), ReplayError> {
    ft_trace::atomic::write_atomic(path, contents).map_err(|e| output_error(path, e))
}

/// The `--junit` path of a command line that did not parse, if it may be
/// written: it is given (`--junit PATH` or `--junit=PATH`), exists as nothing
/// or a regular file, and is no file that another argument names (whatever
/// that argument meant, it may be an input).
pub fn junit_of_unparsed(raw: &[std::ffi::OsString]) -> Option<PathBuf> {
    let mut path = None;
    let mut junit_at = None;
    for (i, arg) in raw.iter().enumerate() {
        if arg == "--junit" {
            path = raw.get(i + 1).map(PathBuf::from);
            junit_at = Some(i + 1);
        } else if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--junit=")) {
            path = Some(PathBuf::from(value));
            junit_at = Some(i);
        }
    }
    let path = path?;
    if let Ok(metadata) = std::fs::metadata(&path)
        && !metadata.file_type().is_file()
    {
        return None;
    }
    let others = raw
        .iter()
        .enumerate()
        .filter(|&(i, _)| Some(i) != junit_at)
        .flat_map(|(_, a)| {
            let a = Path::new(a);
            let value = a
                .to_str()
                .and_then(|s| s.split_once('=').map(|(_, v)| PathBuf::from(v)));
            [Some(a.to_owned()), value]
        })
        .flatten();
    for other in others {
        if same_file(&path, &other) || resolved(&path) == resolved(&other) {
            return None;
        }
    }
    Some(path)
}
