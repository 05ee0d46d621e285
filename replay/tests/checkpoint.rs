//! `ft-replay checkpoint` on hand-built `torch.save` archives (no PyTorch
//! needed; scripts/tests/test_checkpoint.py does the round trips with real
//! torch): exit codes of the README's table, refusals naming the global or
//! opcode, a version the build does not read, conversion both ways with one
//! content hash, and sidecar repair.

use std::path::{Path, PathBuf};
use std::process::Output;

use ft_runtime::serialize::torch_archive_bytes;

mod support;

use support::run as ft_replay;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `{"w": tensor([1., 2., 3.])}` as `torch.save` writes it (protocol 2).
const STATE_DICT_PICKLE: &[u8] = b"\x80\x02}q\x00X\x01\x00\x00\x00wq\x01\
ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00storageq\x03\
ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06K\x03tq\x07Q\
K\x00K\x03\x85q\x08K\x01\x85q\x09\x89ccollections\nOrderedDict\nq\x0a)Rq\x0btq\x0cRq\x0ds.";

fn archive(dir: &Path, name: &str, pickle: &[u8]) -> PathBuf {
    let data: Vec<u8> = [1.0f32, 2.0, 3.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let bytes = torch_archive_bytes(&[
        ("archive/data.pkl", pickle),
        ("archive/byteorder", b"little"),
        ("archive/data/0", &data),
        ("archive/version", b"3\n"),
    ]);
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn content_hash(out: &Output) -> String {
    stdout(out)
        .lines()
        .find_map(|l| l.strip_prefix("content hash "))
        .expect("a content hash line")
        .to_owned()
}

#[test]
fn info_and_convert_both_ways_keep_one_content_hash() {
    let dir = tempfile::tempdir().expect("dir");
    let pt = archive(dir.path(), "m.pt", STATE_DICT_PICKLE);
    let info = ft_replay(&["checkpoint", "info", s(&pt)]);
    assert_eq!(info.status.code(), Some(0), "{}", stderr(&info));
    assert!(
        stdout(&info).contains("  w  float32 [3]  storage 0"),
        "{}",
        stdout(&info)
    );
    let ftc = dir.path().join("m.ftc");
    let out = ft_replay(&["checkpoint", "convert", s(&pt), "-o", s(&ftc)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let back = dir.path().join("back.pt");
    let out = ft_replay(&["checkpoint", "convert", s(&ftc), "-o", s(&back)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hashes: Vec<String> = [&pt, &ftc, &back]
        .iter()
        .map(|p| content_hash(&ft_replay(&["checkpoint", "info", s(p)])))
        .collect();
    assert_eq!(hashes[0], hashes[1]);
    assert_eq!(hashes[0], hashes[2]);
    // The Rust writer reproduces the pickle PyTorch wrote, byte for byte.
    let again = dir.path().join("again.pt");
    ft_replay(&["checkpoint", "convert", s(&back), "-o", s(&again)]);
    assert_eq!(
        std::fs::read(&back).expect("r"),
        std::fs::read(&again).expect("r")
    );
}

#[test]
fn code_execution_and_other_globals_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("dir");
    let evil = archive(
        dir.path(),
        "evil.pt",
        b"\x80\x02cposix\nsystem\nq\x00X\x0a\x00\x00\x00touch pwndq\x01\x85q\x02Rq\x03.",
    );
    let out = ft_replay(&["checkpoint", "info", s(&evil)]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out)
            .contains("global posix.system is not allowed (weights_only); nothing was executed"),
        "{}",
        stderr(&out)
    );
    let counter = archive(dir.path(), "c.pt", b"\x80\x02ccollections\nCounter\n)R.");
    let out = ft_replay(&["checkpoint", "info", s(&counter)]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("collections.Counter is not supported"));
    let frame = archive(
        dir.path(),
        "f.pt",
        b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N.",
    );
    let out = ft_replay(&["checkpoint", "info", s(&frame)]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("opcode FRAME (0x95) is not allowed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn damaged_truncated_and_future_files_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let pt = archive(dir.path(), "m.pt", STATE_DICT_PICKLE);
    let ftc = dir.path().join("m.ftc");
    ft_replay(&["checkpoint", "convert", s(&pt), "-o", s(&ftc)]);
    let good = std::fs::read(&ftc).expect("r");
    let mut future = good.clone();
    future[8] = 9;
    std::fs::write(&ftc, &future).expect("w");
    let out = ft_replay(&["checkpoint", "info", s(&ftc)]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("checkpoint version 9.0 is not supported (this build reads 1.x)"),
        "{}",
        stderr(&out)
    );
    let bytes = std::fs::read(&pt).expect("r");
    std::fs::write(&pt, &bytes[..bytes.len() - 10]).expect("w");
    let out = ft_replay(&["checkpoint", "info", s(&pt)]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("zip archive refused"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn convert_usage_errors_are_exit_2() {
    let dir = tempfile::tempdir().expect("dir");
    let pt = archive(dir.path(), "m.pt", STATE_DICT_PICKLE);
    let out = ft_replay(&["checkpoint", "convert", s(&pt), "-o", s(&pt)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the output is the input"));
    let odd = dir.path().join("m.odd");
    let out = ft_replay(&["checkpoint", "convert", s(&pt), "-o", s(&odd)]);
    assert_eq!(out.status.code(), Some(2));
    let out = ft_replay(&[
        "checkpoint",
        "convert",
        s(&pt),
        "-o",
        s(&odd),
        "--to",
        "ftc",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn sidecar_restores_a_damaged_envelope() {
    let dir = tempfile::tempdir().expect("dir");
    let pt = archive(dir.path(), "m.pt", STATE_DICT_PICKLE);
    let ftc = dir.path().join("m.ftc");
    ft_replay(&["checkpoint", "convert", s(&pt), "-o", s(&ftc)]);
    let out = ft_replay(&["checkpoint", "protect", s(&ftc), "--overhead", "50"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let good = std::fs::read(&ftc).expect("r");
    let mut damaged = good.clone();
    damaged[70] ^= 0x40;
    std::fs::write(&ftc, &damaged).expect("w");
    assert_eq!(
        ft_replay(&["checkpoint", "info", s(&ftc)]).status.code(),
        Some(4)
    );
    let out = ft_replay(&["checkpoint", "repair", s(&ftc)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(&ftc).expect("r"), good);
    let out = ft_replay(&["checkpoint", "repair", s(&ftc)]);
    assert!(stdout(&out).contains("intact"), "{}", stdout(&out));
}
