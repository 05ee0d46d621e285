//! Native programs as fixtures: the FrankenTorch programs written in Rust
//! against `ft_runtime::nn` and `ft_runtime::optim`
//! (`runtime/examples/native/*.rs`, each the `train` of an example
//! `runtime/examples/native_NAME.rs`) run here on the runtime with their
//! PyTorch twin's recorded random values, and their trace is diffed
//! against the twin's golden `traces/native_NAME.torch.ftr` — what the
//! `native` fixture kind of `ft-replay parity-report` and the
//! `native_programs` tests do. The programs' source is compiled into this
//! crate from the examples' own files, so the fixture runs exactly the code
//! the examples run (with `native/fit.rs` and `native/classes.rs`, the
//! training loop and class helpers the programs share).

#[path = "../../runtime/examples/native/classes.rs"]
mod classes;
#[path = "../../runtime/examples/native/cnn.rs"]
mod cnn;
#[path = "../../runtime/examples/native/finetune.rs"]
mod finetune;
#[path = "../../runtime/examples/native/fit.rs"]
mod fit;
#[path = "../../runtime/examples/native/gpt.rs"]
mod gpt;
#[path = "../../runtime/examples/native/mlp.rs"]
mod mlp;

use std::path::Path;

use ft_runtime::nn::{NativeTrace, RecordedRandom};
use ft_runtime::{Faults, Runtime};

use crate::error::ReplayError;
use crate::trace_data::TraceData;

/// One native program.
#[derive(Clone, Copy, Debug)]
pub struct NativeProgram {
    /// Its name: the example `runtime/examples/<name>.rs`, the twin
    /// `traces/programs/<name>.py`, the golden `traces/<name>.torch.ftr`.
    pub name: &'static str,
    /// The program's source, relative to the repository root.
    pub source: &'static str,
    train: fn(&mut Runtime) -> Result<(), String>,
}

fn err<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<(), String> {
    r.map(|_| ()).map_err(|e| e.to_string())
}

/// The files every native program compiles in besides its own: the shared
/// training loop and helpers. Editing one changes what every program does,
/// so a report records their hashes too.
pub const SHARED_SOURCES: [&str; 3] = [
    "runtime/examples/native/cli.rs",
    "runtime/examples/native/fit.rs",
    "runtime/examples/native/classes.rs",
];

/// Every native program, by name.
pub const PROGRAMS: [NativeProgram; 4] = [
    NativeProgram {
        name: "native_mlp",
        source: "runtime/examples/native/mlp.rs",
        train: |rt| err(mlp::train(rt)),
    },
    NativeProgram {
        name: "native_cnn",
        source: "runtime/examples/native/cnn.rs",
        train: |rt| err(cnn::train(rt)),
    },
    NativeProgram {
        name: "native_gpt",
        source: "runtime/examples/native/gpt.rs",
        train: |rt| err(gpt::train(rt)),
    },
    NativeProgram {
        name: "native_finetune",
        source: "runtime/examples/native/finetune.rs",
        train: |rt| err(finetune::train(rt)),
    },
];

/// The native program called `name`.
pub fn program(name: &str) -> Option<&'static NativeProgram> {
    PROGRAMS.iter().find(|p| p.name == name)
}

/// What running a native program gave.
pub enum NativeRun {
    /// The program ran to its end: its trace.
    Ran(Box<TraceData>),
    /// The program stopped with an error (an operator it called failed, a
    /// random draw the twin did not make, keys its load did not expect).
    Failed(String),
}

impl NativeProgram {
    /// Runs the program with the random values of the twin trace at
    /// `twin` and `faults`, recording its trace at `out`, and loads that
    /// trace. Errors are about the setup (the twin has no random values,
    /// `out` cannot be written); the program's own failure is
    /// [`NativeRun::Failed`].
    pub fn run_to(
        &self,
        twin: &Path,
        faults: Faults,
        out: &Path,
    ) -> Result<NativeRun, ReplayError> {
        let setup = |e: ft_runtime::nn::NnError| ReplayError::Output {
            path: out.display().to_string(),
            detail: e.to_string(),
        };
        let random = RecordedRandom::from_trace(twin)
            .map_err(|e| ReplayError::Usage(format!("native program {}: {e}", self.name)))?;
        let (trace, mut rt) = NativeTrace::create(out, self.source).map_err(setup)?;
        rt.set_faults(faults);
        random.install(&mut rt).map_err(setup)?;
        let ran = (self.train)(&mut rt);
        trace.finish(rt).map_err(setup)?;
        match ran {
            Ok(()) => Ok(NativeRun::Ran(Box::new(TraceData::load(out)?))),
            Err(e) => Ok(NativeRun::Failed(e)),
        }
    }

    /// [`NativeProgram::run_to`] with the trace in a scratch file of the
    /// system's temporary directory, removed afterwards.
    pub fn run(&self, twin: &Path, faults: Faults) -> Result<NativeRun, ReplayError> {
        let out = std::env::temp_dir().join(format!(
            "ft-native-{}-{}-{}.ftr",
            self.name,
            std::process::id(),
            scratch_serial()
        ));
        let result = self.run_to(twin, faults, &out);
        // Best effort: a left-over scratch file changes no verdict.
        let _ = std::fs::remove_file(&out);
        result
    }
}

/// A per-process counter, so concurrent runs of one program (tests in
/// threads) never share a scratch file.
fn scratch_serial() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
