//! Any bytes as a trace file: the recovering reader, reading every event,
//! every blob and a range, and whole-file verification must return (an
//! error is fine), never panic, hang or allocate without bound.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("ft-fuzz-reader-{}.ftr", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    if std::fs::write(path, data).is_err() {
        return;
    }
    if let Ok(mut reader) = ft_trace::TraceReader::recover(path) {
        let _ = reader.read_all();
        for entry in reader.blobs().to_vec() {
            let _ = reader.blob(&entry.digest);
        }
        let _ = reader.read_range(reader.event_count() / 2, 16);
        for event in reader.events().take(10_000) {
            if event.is_err() {
                break;
            }
        }
    }
    if let Ok(v) = ft_trace::verify::verify_file(path) {
        // A file the strict reader accepts completely has nothing to report.
        let strict = ft_trace::TraceReader::open(path).and_then(|mut r| {
            r.read_all()?;
            for entry in r.blobs().to_vec() {
                r.blob(&entry.digest)?;
            }
            Ok(())
        });
        if strict.is_ok() {
            assert!(
                v.ok(),
                "reader accepts what verify rejects: {:?}",
                v.problems
            );
        }
    }
});
