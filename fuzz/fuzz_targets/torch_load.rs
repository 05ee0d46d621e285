//! Any bytes as a checkpoint: the `torch.save` reader (zip, restricted
//! unpickler, storages) and the `.ftc` envelope reader must return (an error
//! is fine), never panic, hang or allocate what a header merely claims. What
//! either accepts must write back and read back to the same content hash.
//!
//! The first byte picks what the rest is: 0 a whole file (either format);
//! otherwise a `data.pkl`, wrapped in a valid archive with storage records
//! `data/0..3` of 0, 24, 64 and 1 bytes, so that mutations reach the
//! unpickler past the archive's CRC-32 checks.
#![no_main]

use ft_runtime::serialize;
use libfuzzer_sys::fuzz_target;

fn check(dict: serialize::StateDict) {
    let hash = serialize::content_hash(&dict).expect("a loaded state dict hashes");
    let torch = serialize::torch_to_bytes(&dict).expect("a loaded state dict saves");
    let back = serialize::torch_from_bytes(&torch).expect("a written file reads back");
    assert_eq!(serialize::content_hash(&back).expect("hash"), hash);
    let ftc = serialize::checkpoint_to_bytes(&dict).expect("a loaded state dict encodes");
    let back = serialize::checkpoint_from_bytes(&ftc).expect("an envelope reads back");
    assert_eq!(serialize::content_hash(&back).expect("hash"), hash);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode == 0 {
        if let Ok(dict) = serialize::torch_from_bytes(rest) {
            check(dict);
        }
        if let Ok(dict) = serialize::checkpoint_from_bytes(rest) {
            check(dict);
        }
        return;
    }
    let storage: Vec<u8> = (0..64u8).map(|b| b % 2).collect();
    let archive = serialize::torch_archive_bytes(&[
        ("archive/data.pkl", rest),
        (
            "archive/byteorder",
            if mode == 1 { b"big" } else { b"little" },
        ),
        ("archive/data/0", &[]),
        ("archive/data/1", &storage[..24]),
        ("archive/data/2", &storage),
        ("archive/data/3", &storage[..1]),
        ("archive/version", b"3\n"),
    ]);
    if let Ok(dict) = serialize::torch_from_bytes(&archive) {
        check(dict);
    }
});
