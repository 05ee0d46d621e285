//! The trace file of a native program.
//!
//! [`NativeTrace::create`] gives a runtime that records into a trace file
//! the way a replay's `--out` does (every value, so the diff against the
//! twin compares values too), with the runtime modelling PyTorch as the
//! capture observes it (an active dispatch mode: an input buffer sums a
//! second gradient with `add`). [`NativeTrace::finish`] completes the file.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use ft_trace::{FileSink, TraceMeta, ValuePolicy};

use super::state::NnError;
use crate::runtime::Runtime;

/// A native program's trace file, open while the program runs.
pub struct NativeTrace {
    sink: Rc<RefCell<FileSink>>,
    path: PathBuf,
}

impl NativeTrace {
    /// Starts the trace at `out` (written as `out.partial`, renamed by
    /// [`NativeTrace::finish`]) for the program named `program`, and the
    /// runtime that records into it.
    pub fn create(out: &Path, program: &str) -> Result<(NativeTrace, Runtime), NnError> {
        let meta = TraceMeta {
            producer: format!("ft-runtime {}", crate::VERSION),
            program: program.to_owned(),
            value_policy: ValuePolicy::All.name().into(),
            attrs: vec![("native".into(), "true".into())],
        };
        let sink =
            FileSink::create(out, &meta, ValuePolicy::All, false).map_err(|e| NnError::Output {
                path: out.display().to_string(),
                detail: e.to_string(),
            })?;
        let sink = Rc::new(RefCell::new(sink));
        let mut rt = Runtime::with_sink(Box::new(Rc::clone(&sink)));
        rt.set_dispatch_mode_active(true);
        Ok((
            NativeTrace {
                sink,
                path: out.to_path_buf(),
            },
            rt,
        ))
    }

    /// Ends the program: drops the runtime and completes the file.
    pub fn finish(self, mut rt: Runtime) -> Result<(), NnError> {
        let output = |detail: String| NnError::Output {
            path: self.path.display().to_string(),
            detail,
        };
        drop(rt.take_sink());
        drop(rt);
        let sink = Rc::try_unwrap(self.sink)
            .map_err(|_| output("the trace is still shared".into()))?
            .into_inner();
        sink.finish().map_err(|e| output(e.to_string()))?;
        Ok(())
    }
}
