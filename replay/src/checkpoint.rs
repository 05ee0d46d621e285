//! `ft-replay checkpoint info|convert|protect|repair`: state-dict
//! checkpoints, `torch.save` files (`.pt`) and the runtime's envelope
//! (`.ftc`, docs/CHECKPOINT.md). The work is done by
//! [`ft_runtime::serialize`]; this module prints and picks exit codes.
//!
//! Exit codes follow the replay's: 0 done, 2 usage (output names the input,
//! or is not a regular file, or its format cannot be told), 4 unreadable,
//! damaged, refused (a forbidden global or opcode) or unsupported-version
//! input, 5 well-formed input this runtime cannot hold (a dtype it lacks, a
//! global PyTorch allows that is not implemented here), 6 an output could
//! not be written.

use std::path::Path;

use serde::Serialize;

use ft_runtime::serialize::{self, Format as FileFormat, SerializeError, StateDict, content_hash};
use ft_trace::sidecar::{RepairOutcome, SidecarError};
use ft_trace::text::escape_control;

use crate::cli::{CheckpointCommand, Format};
use crate::error::Exit;

/// Runs one `checkpoint` subcommand.
pub fn run(command: &CheckpointCommand) -> Exit {
    let result = match command {
        CheckpointCommand::Info { file, format } => info(file, *format),
        CheckpointCommand::Convert { input, output, to } => convert(input, output, *to),
        CheckpointCommand::Protect { file, overhead } => protect(file, *overhead),
        CheckpointCommand::Repair { file } => repair(file),
    };
    match result {
        Ok(()) => Exit::Match,
        Err((exit, message)) => {
            eprintln!(
                "ft-replay: error: {}",
                ft_trace::text::escape_control_lines(&message)
            );
            exit
        }
    }
}

type Failure = (Exit, String);

/// The exit code of a serialization error.
pub(crate) fn exit_of(e: &SerializeError) -> Exit {
    match e {
        SerializeError::UnsupportedDtype { .. } | SerializeError::UnsupportedGlobal { .. } => {
            Exit::Unsupported
        }
        SerializeError::Write { .. } => Exit::Output,
        SerializeError::Sidecar(s) => match s {
            SidecarError::Write { .. } => Exit::Output,
            SidecarError::Usage(_) => Exit::Usage,
            _ => Exit::BadInput,
        },
        _ => Exit::BadInput,
    }
}

fn fail(path: &Path, e: &SerializeError) -> Failure {
    let shown = escape_control(&path.display().to_string()).into_owned();
    let text = e.to_string();
    // I/O and sidecar errors already name the file.
    let message = if text.contains(&shown) {
        text
    } else {
        format!("{shown}: {text}")
    };
    (exit_of(e), message)
}

fn print(text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err((Exit::Output, format!("cannot write stdout: {e}"))),
        Ok(()) => Ok(()),
    }
}

/// One tensor, for `info`.
#[derive(Serialize)]
struct TensorInfo {
    name: String,
    dtype: &'static str,
    shape: Vec<i64>,
    stride: Vec<i64>,
    storage_offset: i64,
    storage: usize,
    requires_grad: bool,
}

/// `checkpoint info --format json`.
#[derive(Serialize)]
struct Info {
    file: String,
    format: &'static str,
    version: Option<String>,
    file_bytes: u64,
    content_hash: String,
    tensors: Vec<TensorInfo>,
    storages: usize,
    elements: u64,
    metadata: bool,
}

fn format_name(f: FileFormat) -> &'static str {
    match f {
        FileFormat::Torch => "torch.save (zip + pickle)",
        FileFormat::Envelope => "ft checkpoint envelope",
    }
}

fn load(path: &Path) -> Result<(FileFormat, StateDict), Failure> {
    serialize::load_any(path).map_err(|e| fail(path, &e))
}

fn info(path: &Path, format: Format) -> Result<(), Failure> {
    let (kind, dict) = load(path)?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let hash = content_hash(&dict).map_err(|e| fail(path, &e))?;
    let version = match kind {
        FileFormat::Envelope => std::fs::read(path)
            .ok()
            .and_then(|b| serialize::envelope::version(&b))
            .map(|(major, minor)| format!("{major}.{minor}")),
        FileFormat::Torch => None,
    };
    let mut storages: Vec<&ft_runtime::Tensor> = Vec::new();
    let tensors: Vec<TensorInfo> = dict
        .tensors
        .iter()
        .map(|(name, t)| {
            let storage = storages
                .iter()
                .position(|s| s.shares_storage(t))
                .unwrap_or_else(|| {
                    storages.push(t);
                    storages.len() - 1
                });
            TensorInfo {
                name: name.clone(),
                dtype: t.dtype().name(),
                shape: t.shape().to_vec(),
                stride: t.stride().to_vec(),
                storage_offset: t.storage_offset(),
                storage,
                requires_grad: t.requires_grad(),
            }
        })
        .collect();
    let info = Info {
        file: path.display().to_string(),
        format: format_name(kind),
        version,
        file_bytes: bytes,
        content_hash: hash.to_hex(),
        elements: dict.tensors.iter().map(|(_, t)| t.numel() as u64).sum(),
        storages: storages.len(),
        tensors,
        metadata: dict.metadata.is_some(),
    };
    if format == Format::Json {
        let text = serde_json::to_string_pretty(&info)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        return print(&(text + "\n"));
    }
    let mut out = format!(
        "{}: {}{}, {} bytes\ncontent hash {}\n{} tensors, {} storages, {} elements{}\n",
        escape_control(&info.file),
        info.format,
        info.version
            .as_ref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default(),
        info.file_bytes,
        info.content_hash,
        info.tensors.len(),
        info.storages,
        info.elements,
        if info.metadata { ", _metadata" } else { "" },
    );
    for t in &info.tensors {
        let dense = ft_runtime::tensor::strides::contiguous_strides(&t.shape) == t.stride;
        out.push_str(&format!(
            "  {}  {} {:?}{}{}  storage {}{}\n",
            escape_control(&t.name),
            t.dtype,
            t.shape,
            if dense {
                String::new()
            } else {
                format!(" stride {:?}", t.stride)
            },
            if t.storage_offset != 0 {
                format!(" offset {}", t.storage_offset)
            } else {
                String::new()
            },
            t.storage,
            if t.requires_grad {
                "  requires_grad"
            } else {
                ""
            },
        ));
    }
    print(&out)
}

/// The format an output path asks for: `--to`, else its extension.
fn output_format(output: &Path, to: Option<crate::cli::CheckpointFormat>) -> Option<FileFormat> {
    use crate::cli::CheckpointFormat;
    if let Some(to) = to {
        return Some(match to {
            CheckpointFormat::Torch => FileFormat::Torch,
            CheckpointFormat::Ftc => FileFormat::Envelope,
        });
    }
    match output.extension().and_then(|e| e.to_str()) {
        Some("ftc") => Some(FileFormat::Envelope),
        Some("pt" | "pth" | "bin" | "ckpt") => Some(FileFormat::Torch),
        _ => None,
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn convert(
    input: &Path,
    output: &Path,
    to: Option<crate::cli::CheckpointFormat>,
) -> Result<(), Failure> {
    let shown = |p: &Path| escape_control(&p.display().to_string()).into_owned();
    let Some(target) = output_format(output, to) else {
        return Err((
            Exit::Usage,
            format!(
                "{}: cannot tell the output format from the extension; use .ftc or .pt, or --to",
                shown(output)
            ),
        ));
    };
    if same_file(input, output) {
        return Err((
            Exit::Usage,
            format!(
                "{}: the output is the input; refusing to replace it",
                shown(output)
            ),
        ));
    }
    let (kind, dict) = load(input)?;
    let saved = match target {
        FileFormat::Torch => serialize::save_torch(output, &dict),
        FileFormat::Envelope => serialize::save_checkpoint(output, &dict),
    };
    saved.map_err(|e| fail(output, &e))?;
    let hash = content_hash(&dict).map_err(|e| fail(input, &e))?;
    print(&format!(
        "{} ({}) -> {} ({}): {} tensors, content hash {}\n",
        shown(input),
        format_name(kind),
        shown(output),
        format_name(target),
        dict.tensors.len(),
        hash.short(16)
    ))
}

fn protect(path: &Path, overhead: u32) -> Result<(), Failure> {
    let (sidecar, out) =
        serialize::protect_checkpoint(path, overhead).map_err(|e| fail(path, &e))?;
    print(&format!(
        "{}: {} repair symbols of {} bytes ({}%), content hash {}\n",
        escape_control(&out.display().to_string()),
        sidecar.repair_symbols(),
        sidecar.layout.symbol_size,
        sidecar.overhead,
        sidecar.chain.short(16)
    ))
}

fn repair(path: &Path) -> Result<(), Failure> {
    let shown = escape_control(&path.display().to_string()).into_owned();
    match serialize::repair_checkpoint(path).map_err(|e| fail(path, &e))? {
        RepairOutcome::Intact => print(&format!("{shown}: intact, nothing to repair\n")),
        RepairOutcome::Repaired(stats) => print(&format!(
            "{shown}: repaired ({} symbols restored of {} covered), content hash proven\n",
            stats.lost_symbols, stats.covered
        )),
    }
}
