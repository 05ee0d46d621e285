//! Round trips and refusals of both checkpoint formats, on hand-built state
//! dicts and hand-built archives (the torch-dependent round trips live in
//! scripts/tests/test_checkpoint.py).

use super::*;
use crate::tensor::dtype::DType;

fn tensor(dtype: DType, storage_len: usize, shape: &[i64], strides: &[i64], offset: i64) -> Tensor {
    let bytes: Vec<u8> = (0..storage_len * dtype.element_size())
        .map(|i| match dtype {
            // Only 0/1 are valid bools.
            DType::Bool => (i % 3 == 0) as u8,
            _ => (i * 37 + 11) as u8,
        })
        .collect();
    Tensor::from_le_bytes_storage("test", dtype, &bytes, shape, strides, offset).expect("tensor")
}

/// Every dtype, a shared storage (two views, one transposed), a 0-dim
/// tensor, an empty one, `_metadata`.
fn sample() -> StateDict {
    let mut tensors = Vec::new();
    let real = DType::ALL.into_iter().filter(|d| !d.is_complex());
    for (i, dtype) in real.enumerate() {
        tensors.push((
            format!("layer{i}.weight"),
            tensor(dtype, 6, &[2, 3], &[3, 1], 0),
        ));
    }
    let base = tensor(DType::Float32, 12, &[12], &[1], 0);
    tensors.push((
        "shared.a".into(),
        base.alias_with(vec![2, 3], vec![3, 1], 2),
    ));
    tensors.push((
        "shared.t".into(),
        base.alias_with(vec![4, 3], vec![1, 4], 0),
    ));
    tensors.push(("scalar".into(), tensor(DType::Float64, 1, &[], &[], 0)));
    tensors.push(("empty".into(), tensor(DType::Int8, 0, &[0, 3], &[3, 1], 0)));
    StateDict {
        tensors,
        metadata: Some(vec![
            (String::new(), vec![("version".into(), MetaValue::Int(1))]),
            ("bn".into(), vec![("version".into(), MetaValue::Int(2))]),
        ]),
    }
}

fn assert_same(a: &StateDict, b: &StateDict) {
    assert_eq!(a.tensors.len(), b.tensors.len());
    for ((na, ta), (nb, tb)) in a.tensors.iter().zip(&b.tensors) {
        assert_eq!(na, nb);
        assert_eq!(ta.dtype(), tb.dtype(), "{na}");
        assert_eq!(ta.shape(), tb.shape(), "{na}");
        assert_eq!(ta.stride(), tb.stride(), "{na}");
        assert_eq!(ta.storage_offset(), tb.storage_offset(), "{na}");
        assert_eq!(ta.requires_grad(), tb.requires_grad(), "{na}");
        assert_eq!(
            ta.le_bytes("t").expect("a"),
            tb.le_bytes("t").expect("b"),
            "{na}"
        );
    }
    assert_eq!(a.metadata, b.metadata);
}

#[test]
fn torch_archive_round_trips_every_dtype_and_geometry() {
    let dict = sample();
    let bytes = torch_to_bytes(&dict).expect("writes");
    let back = torch_from_bytes(&bytes).expect("reads");
    assert_same(&dict, &back);
    let a = back.get("shared.a").expect("a");
    let t = back.get("shared.t").expect("t");
    assert!(a.shares_storage(t), "views of one storage stay shared");
    assert!(!a.shares_storage(back.get("scalar").expect("s")));
    // Deterministic, and stable through a second trip.
    assert_eq!(torch_to_bytes(&dict).expect("writes"), bytes);
    assert_eq!(torch_to_bytes(&back).expect("writes"), bytes);
}

#[test]
fn envelope_round_trips_and_is_deterministic() {
    let dict = sample();
    let bytes = checkpoint_to_bytes(&dict).expect("writes");
    let back = checkpoint_from_bytes(&bytes).expect("reads");
    assert_same(&dict, &back);
    assert!(
        back.get("shared.a")
            .expect("a")
            .shares_storage(back.get("shared.t").expect("t"))
    );
    assert_eq!(checkpoint_to_bytes(&back).expect("writes"), bytes);
    // Same content hash whichever file holds the state dict.
    let from_torch = torch_from_bytes(&torch_to_bytes(&dict).expect("w")).expect("r");
    assert_eq!(
        content_hash(&from_torch).expect("h"),
        envelope::recorded_hash(&bytes).expect("h")
    );
    // Data is 64-byte aligned.
    assert_eq!((bytes.len() - envelope::HASH_LEN) % envelope::ALIGN, 0);
}

#[test]
fn envelope_unknown_version_fails_closed_naming_it() {
    let mut bytes = checkpoint_to_bytes(&sample()).expect("writes");
    bytes[8] = 7;
    bytes[10] = 3;
    let err = checkpoint_from_bytes(&bytes).expect_err("refused");
    assert!(
        matches!(
            err,
            SerializeError::Version {
                major: 7,
                minor: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("version 7.3"), "{err}");
}

#[test]
fn envelope_damage_and_non_canonical_bytes_are_refused() {
    let bytes = checkpoint_to_bytes(&sample()).expect("writes");
    for at in [
        13,
        20,
        70,
        bytes.len() / 2,
        bytes.len() - 40,
        bytes.len() - 1,
    ] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        let err = checkpoint_from_bytes(&damaged).expect_err("refused");
        assert!(err.to_string().contains("checksum mismatch"), "{at}: {err}");
    }
    // A flipped padding byte with a recomputed checksum: still refused.
    let mut forged = bytes.clone();
    let split = forged.len() - envelope::HASH_LEN;
    forged[split - 1] = 1;
    let sum = blake3::hash(&forged[..split]);
    forged[split..].copy_from_slice(sum.as_bytes());
    let err = checkpoint_from_bytes(&forged).expect_err("refused");
    assert!(err.to_string().contains("canonical"), "{err}");
    // Truncation at every length is a typed refusal, never a panic.
    for cut in 0..bytes.len() {
        assert!(checkpoint_from_bytes(&bytes[..cut]).is_err(), "{cut}");
    }
}

/// A `torch.save`-style archive from a hand-written pickle and records.
fn archive(pickle: &[u8], records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::Writer::default();
    z.add("archive/data.pkl", pickle);
    for (name, data) in records {
        z.add(&format!("archive/{name}"), data);
    }
    z.add("archive/version", b"3\n");
    z.finish()
}

/// `{'w': _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}`
/// with a FloatStorage of `numel` elements under key `0`.
fn one_tensor_pickle(numel: i64, offset: i64, size: &[i64], stride: &[i64]) -> Vec<u8> {
    let mut w = pickle::Writer::new();
    w.op(b'}');
    w.str("w", false);
    w.global("torch._utils", "_rebuild_tensor_v2");
    w.mark();
    w.mark();
    w.str("storage", true);
    w.global("torch", "FloatStorage");
    w.str("0", true);
    w.str("cpu", true);
    w.int(numel);
    w.end_tuple();
    w.op(b'Q');
    w.int(offset);
    w.int_tuple(size);
    w.int_tuple(stride);
    w.bool(false);
    w.ordered_dict();
    w.end_tuple();
    w.reduce();
    w.op(b's');
    w.finish()
}

#[test]
fn hand_built_archive_reads_a_plain_dict() {
    let data: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let bytes = archive(&one_tensor_pickle(4, 1, &[3], &[1]), &[("data/0", &data)]);
    let dict = torch_from_bytes(&bytes).expect("reads");
    assert_eq!(dict.metadata, None);
    let w = dict.get("w").expect("w");
    assert_eq!(w.to_f32_vec().expect("values"), vec![2.0, 3.0, 4.0]);
}

#[test]
fn big_endian_archives_are_byte_swapped() {
    let data: Vec<u8> = [1.5f32, -2.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let bytes = archive(
        &one_tensor_pickle(2, 0, &[2], &[1]),
        &[("byteorder", b"big"), ("data/0", &data)],
    );
    let dict = torch_from_bytes(&bytes).expect("reads");
    assert_eq!(
        dict.get("w").expect("w").to_f32_vec().expect("v"),
        vec![1.5, -2.0]
    );
}

#[test]
fn storage_and_geometry_lies_are_refused() {
    let data = [0u8; 16];
    // Declared numel differs from the record's length.
    let err = torch_from_bytes(&archive(
        &one_tensor_pickle(5, 0, &[4], &[1]),
        &[("data/0", &data)],
    ))
    .expect_err("refused");
    assert!(
        matches!(&err, SerializeError::Storage { detail, .. } if detail.contains("holds 16 bytes")),
        "{err}"
    );
    // A huge declared numel: refused by comparison, nothing allocated.
    let err = torch_from_bytes(&archive(
        &one_tensor_pickle(i64::MAX, 0, &[4], &[1]),
        &[("data/0", &data)],
    ))
    .expect_err("refused");
    assert!(matches!(err, SerializeError::Storage { .. }), "{err}");
    // The tensor needs more of the storage than there is.
    let err = torch_from_bytes(&archive(
        &one_tensor_pickle(4, 2, &[3], &[1]),
        &[("data/0", &data)],
    ))
    .expect_err("refused");
    assert!(
        matches!(&err, SerializeError::Geometry { detail, .. } if detail.contains("needs 5 elements")),
        "{err}"
    );
    // Huge sizes and strides overflow: a typed refusal.
    let err = torch_from_bytes(&archive(
        &one_tensor_pickle(4, 0, &[1 << 62, 1 << 62], &[1 << 62, 1]),
        &[("data/0", &data)],
    ))
    .expect_err("refused");
    assert!(matches!(err, SerializeError::Geometry { .. }), "{err}");
    // The record is missing.
    let err =
        torch_from_bytes(&archive(&one_tensor_pickle(4, 0, &[4], &[1]), &[])).expect_err("refused");
    assert!(
        matches!(&err, SerializeError::Storage { detail, .. } if detail.contains("no record")),
        "{err}"
    );
}

#[test]
fn truncated_archives_are_refused_at_every_length() {
    let bytes = torch_to_bytes(&sample()).expect("writes");
    for cut in 0..bytes.len() {
        let err = torch_from_bytes(&bytes[..cut]).expect_err("refused");
        assert!(matches!(err, SerializeError::Zip { .. }), "{cut}: {err}");
    }
}

#[test]
fn non_tensor_values_are_not_a_state_dict() {
    let mut w = pickle::Writer::new();
    w.op(b'}');
    w.str("lr", false);
    w.float(0.1);
    w.op(b's');
    let err = torch_from_bytes(&archive(&w.finish(), &[])).expect_err("refused");
    assert!(
        matches!(&err, SerializeError::NotStateDict(d) if d.contains("\"lr\" holds a float")),
        "{err}"
    );
}

#[test]
fn sidecar_repairs_a_damaged_checkpoint() {
    let dir = std::env::temp_dir().join(format!("ft-ckpt-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for (name, bytes) in [
        ("m.ftc", checkpoint_to_bytes(&sample()).expect("w")),
        ("m.pt", torch_to_bytes(&sample()).expect("w")),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("write");
        let (sidecar, _) = protect_checkpoint(&path, 20).expect("protects");
        assert_eq!(sidecar.event_count, sample().tensors.len() as u64);
        let mut damaged = bytes.clone();
        damaged[100] ^= 0xff;
        std::fs::write(&path, &damaged).expect("write");
        assert!(load_any(&path).is_err());
        let outcome = repair_checkpoint(&path).expect("repairs");
        assert!(matches!(outcome, RepairOutcome::Repaired(_)), "{name}");
        assert_eq!(std::fs::read(&path).expect("read"), bytes, "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stride_zero_memory_bombs_are_refused() {
    // One stored element viewed as 2^30 by a handful of tensors.
    let data = 1.0f32.to_le_bytes();
    let mut w = pickle::Writer::new();
    w.op(b'}');
    w.mark();
    for i in 0..4 {
        w.str(&format!("w{i}"), false);
        w.global("torch._utils", "_rebuild_tensor_v2");
        w.mark();
        w.mark();
        w.str("storage", true);
        w.global("torch", "FloatStorage");
        w.str("0", true);
        w.str("cpu", true);
        w.int(1);
        w.end_tuple();
        w.op(b'Q');
        w.int(0);
        w.int_tuple(&[1 << 30]);
        w.int_tuple(&[0]);
        w.bool(false);
        w.ordered_dict();
        w.end_tuple();
        w.reduce();
    }
    w.op(b'u');
    let err = torch_from_bytes(&archive(&w.finish(), &[("data/0", &data)])).expect_err("refused");
    assert!(
        matches!(err, SerializeError::Amplification { stored: 1, .. }),
        "{err}"
    );
    // A modest expansion (a bias broadcast) is fine.
    let t = tensor(DType::Float32, 1, &[1], &[1], 0).alias_with(vec![1000], vec![0], 0);
    let dict = StateDict::new(vec![("b".into(), t)]);
    let back = torch_from_bytes(&torch_to_bytes(&dict).expect("w")).expect("r");
    assert_eq!(back.get("b").expect("b").stride(), &[0]);
    let back = checkpoint_from_bytes(&checkpoint_to_bytes(&dict).expect("w")).expect("r");
    assert_eq!(back.get("b").expect("b").shape(), &[1000]);
}

/// `torch.save(model.state_dict())` records `requires_grad=False` for every
/// entry (`state_dict()` detaches); a module's detached state dict writes the
/// same, and `state_dict(keep_vars=True)` keeps the parameters' `True` —
/// each read back as written, in both formats.
#[test]
fn requires_grad_is_written_as_the_state_dict_has_it() {
    use crate::nn::{Linear, Module};
    let mut rt = crate::runtime::Runtime::new();
    let model = Linear::new(&mut rt, 3, 2, true).expect("linear");
    let detached = StateDict::new(model.detached_state_dict(&mut rt).expect("detach"));
    let kept = StateDict::new(model.state_dict());
    for (dict, requires_grad) in [(&detached, false), (&kept, true)] {
        let from_torch = torch_from_bytes(&torch_to_bytes(dict).expect("save")).expect("load");
        let from_ftc =
            checkpoint_from_bytes(&checkpoint_to_bytes(dict).expect("save")).expect("load");
        for back in [&from_torch, &from_ftc] {
            assert_same(dict, back);
            assert!(
                back.tensors
                    .iter()
                    .all(|(_, t)| t.requires_grad() == requires_grad)
            );
        }
    }
}
