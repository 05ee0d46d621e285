//! Writing a file so that its name only ever holds a complete file: the
//! bytes go to a temporary file beside it, are synced, and the temporary
//! file is renamed over the name (then the directory is synced so the rename
//! itself is durable). A failure at any step removes the temporary file and
//! leaves whatever was at the name untouched.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `contents` to a new temporary file in `path`'s directory
/// (`.NAME.PID.tmp`) and syncs it; the caller renames it into place (see
/// [`rename_into_place`]) or removes it.
pub fn write_temp(path: &Path, contents: &[u8]) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = directory_of(path).join(temp_name);
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()
    })();
    match written {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Renames a synced temporary file over `path`, then syncs the directory;
/// on failure the temporary file is removed.
pub fn rename_into_place(temp: &Path, path: &Path) -> io::Result<()> {
    if let Err(e) = std::fs::rename(temp, path) {
        let _ = std::fs::remove_file(temp);
        return Err(e);
    }
    // Make the rename itself durable; a failure here loses nothing written.
    if let Ok(dir) = std::fs::File::open(directory_of(path)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// [`write_temp`] then [`rename_into_place`].
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let temp = write_temp(path, contents)?;
    rename_into_place(&temp, path)
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_replaces_the_old_one_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("report.xml");
        std::fs::write(&path, b"old").expect("seed");
        write_atomic(&path, b"new").expect("written");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_failed_write_leaves_the_name_untouched() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("no-such-dir").join("out.ftr");
        assert!(write_atomic(&missing, b"x").is_err());
        assert!(write_atomic(Path::new("/"), b"x").is_err());
    }
}
