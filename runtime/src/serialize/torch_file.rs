//! `torch.save` files: reading a state dict out of one and writing one that
//! `torch.load(path, weights_only=True)` reads back.
//!
//! The archive holds `<prefix>/data.pkl` (the pickle, see [`super::pickle`]),
//! one record `<prefix>/data/<key>` per storage (its elements, raw, in the
//! byte order `<prefix>/byteorder` names), and `<prefix>/version`. Reading
//! checks, before anything is allocated for a storage, that its record holds
//! exactly `numel × element size` bytes, and that every tensor's geometry
//! fits inside its storage; tensors that name the same key share one
//! storage, as they do in PyTorch.
//!
//! Writing is deterministic: the archive prefix is always `archive`, storages
//! are keyed `0, 1, …` in order of first use, no serialization id or
//! timestamp is written.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::SerializeError;
use super::pickle::{self, Id, Obj, STORAGE_CLASSES, Unpickled};
use super::zip::{self, Archive};
use super::{MetaValue, Metadata, StateDict};
use crate::device::Device;
use crate::tensor::Tensor;
use crate::tensor::VersionCounter;
use crate::tensor::dtype::DType;
use crate::tensor::storage::{Storage, StorageData};
use crate::tensor::strides::StridedRuns;

/// The archive prefix this writer uses (PyTorch uses the file's stem; any
/// prefix reads back).
pub(crate) const PREFIX: &str = "archive";

/// `torch.serialization`'s archive format version it writes today.
const VERSION: &[u8] = b"3\n";

fn not_state_dict(detail: impl Into<String>) -> SerializeError {
    SerializeError::NotStateDict(detail.into())
}

/// Reads the state dict of a `torch.save` file's bytes.
pub(crate) fn read(bytes: &[u8]) -> Result<StateDict, SerializeError> {
    let archive = Archive::parse(bytes)?;
    let first = archive.entries.first().ok_or_else(|| SerializeError::Zip {
        offset: 0,
        detail: "the archive has no entries".into(),
    })?;
    let prefix = first.name.split('/').next().unwrap_or_default().to_owned();
    let record = |name: &str| archive.entry(&format!("{prefix}/{name}"));
    let pkl = record("data.pkl").ok_or_else(|| SerializeError::Zip {
        offset: 0,
        detail: format!("no {prefix}/data.pkl: not a torch.save archive"),
    })?;
    let big_endian = match record("byteorder") {
        None => false,
        Some(e) => match archive.data(e)? {
            b"little" => false,
            b"big" => true,
            other => {
                return Err(SerializeError::Zip {
                    offset: e.start as u64,
                    detail: format!(
                        "{prefix}/byteorder is {:?}, not \"little\" or \"big\"",
                        String::from_utf8_lossy(other)
                    ),
                });
            }
        },
    };
    let unpickled = pickle::unpickle(archive.data(pkl)?)?;
    let raw = |key: &str| -> Result<Option<&[u8]>, SerializeError> {
        record(&format!("data/{key}"))
            .map(|e| archive.data(e))
            .transpose()
    };
    build(&unpickled, big_endian, &format!("{prefix}/data/"), raw)
}

/// The state dict an unpickled root describes, its storages' bytes from
/// `raw(key)` (`where_` names where records live, for errors).
fn build<'a>(
    unpickled: &Unpickled,
    big_endian: bool,
    where_: &str,
    raw: impl Fn(&str) -> Result<Option<&'a [u8]>, SerializeError>,
) -> Result<StateDict, SerializeError> {
    let mut storages: BTreeMap<String, (DType, Arc<Storage>)> = BTreeMap::new();
    let mut load_storage = |id: Id| -> Result<(DType, Arc<Storage>), SerializeError> {
        let Obj::Storage {
            key, dtype, numel, ..
        } = &unpickled.objs[id]
        else {
            return Err(not_state_dict("a tensor without a storage"));
        };
        if let Some((have, storage)) = storages.get(key) {
            if have != dtype || storage.len() as u64 != *numel {
                return Err(SerializeError::Storage {
                    key: key.clone(),
                    detail: format!(
                        "named twice, as {numel} {dtype} and as {} {have} elements",
                        storage.len()
                    ),
                });
            }
            return Ok((*have, Arc::clone(storage)));
        }
        let raw = raw(key)?.ok_or_else(|| SerializeError::Storage {
            key: key.clone(),
            detail: format!("no record {where_}{key} in the file"),
        })?;
        let want = numel.checked_mul(dtype.element_size() as u64);
        if want != Some(raw.len() as u64) {
            return Err(SerializeError::Storage {
                key: key.clone(),
                detail: format!(
                    "declares {numel} {dtype} elements ({} bytes) but its record holds {} bytes",
                    want.map_or_else(|| "too many".to_owned(), |w| w.to_string()),
                    raw.len()
                ),
            });
        }
        let data = if big_endian {
            let size = dtype.element_size();
            let mut swapped = raw.to_vec();
            swapped.chunks_exact_mut(size).for_each(<[u8]>::reverse);
            StorageData::from_le_bytes(*dtype, &swapped)
        } else {
            StorageData::from_le_bytes(*dtype, raw)
        }
        .ok_or_else(|| SerializeError::Storage {
            key: key.clone(),
            detail: "not a whole number of elements".into(),
        })?;
        let storage = Arc::new(Storage::with_data(data));
        storages.insert(key.clone(), (*dtype, Arc::clone(&storage)));
        Ok((*dtype, storage))
    };
    let Obj::Dict { items, attrs, .. } = &unpickled.objs[unpickled.root] else {
        return Err(not_state_dict(format!(
            "the pickle holds {}, not a dict of tensors",
            pickle::kind(&unpickled.objs[unpickled.root])
        )));
    };
    let mut tensors = Vec::with_capacity(items.len());
    for &(k, v) in items {
        let Obj::Str(name) = &unpickled.objs[k] else {
            return Err(not_state_dict(format!(
                "a key is {}, not a str",
                pickle::kind(&unpickled.objs[k])
            )));
        };
        let Obj::Tensor {
            storage,
            offset,
            shape,
            strides,
            requires_grad,
        } = &unpickled.objs[v]
        else {
            return Err(not_state_dict(format!(
                "{name:?} holds {}, not a tensor",
                pickle::kind(&unpickled.objs[v])
            )));
        };
        let (dtype, storage) = load_storage(*storage)?;
        let tensor = view(
            name,
            storage,
            dtype,
            shape,
            strides,
            *offset,
            *requires_grad,
        )?;
        tensors.push((name.clone(), tensor));
    }
    let metadata = match attrs
        .iter()
        .find(|&&(k, _)| matches!(&unpickled.objs[k], Obj::Str(s) if s == "_metadata"))
    {
        None => None,
        Some(&(_, m)) => Some(read_metadata(unpickled, m)?),
    };
    let dict = StateDict { tensors, metadata };
    super::check_amplification(&dict)?;
    Ok(dict)
}

/// Reads a legacy (pre-1.6, not zip) `torch.save` file: pickles of the
/// magic number, the protocol version (1001) and the system info, the
/// object, the sorted storage keys; then per key its element count (8
/// bytes) and its elements.
pub(crate) fn read_legacy(bytes: &[u8]) -> Result<StateDict, SerializeError> {
    let bad = |offset: usize, detail: String| SerializeError::Pickle {
        offset: offset as u64,
        detail: format!("legacy torch.save file: {detail}"),
    };
    // The magic number (an int beyond i64) is matched as bytes.
    let magic_len = super::LEGACY_MAGIC.len();
    if !bytes.starts_with(super::LEGACY_MAGIC) || bytes.get(magic_len) != Some(&b'.') {
        return Err(bad(0, "no magic number".into()));
    }
    let mut at = magic_len + 1;
    let mut next = |what: &str| -> Result<(Unpickled, usize), SerializeError> {
        let start = at;
        let u = pickle::unpickle(&bytes[start..]).map_err(|e| match e {
            SerializeError::Pickle { offset, detail } => {
                bad(start + offset as usize, format!("{what}: {detail}"))
            }
            other => other,
        })?;
        at += u.len;
        Ok((u, start))
    };
    let (protocol, p_at) = next("protocol version")?;
    if protocol.objs[protocol.root] != Obj::Int(1001) {
        return Err(bad(p_at, "protocol version is not 1001".into()));
    }
    let (info, i_at) = next("system info")?;
    let little = match &info.objs[info.root] {
        Obj::Dict { items, .. } => {
            items
                .iter()
                .find_map(|&(k, v)| match (&info.objs[k], &info.objs[v]) {
                    (Obj::Str(s), Obj::Bool(b)) if s == "little_endian" => Some(*b),
                    _ => None,
                })
        }
        _ => None,
    }
    .ok_or_else(|| bad(i_at, "system info has no little_endian".into()))?;
    let (object, _) = next("object")?;
    let (keys, k_at) = next("storage keys")?;
    let Obj::List(key_ids) = &keys.objs[keys.root] else {
        return Err(bad(k_at, "storage keys are not a list".into()));
    };
    // Element sizes by key, from the storages the object names.
    let sizes: BTreeMap<&str, usize> = object
        .objs
        .iter()
        .filter_map(|o| match o {
            Obj::Storage { key, dtype, .. } => Some((key.as_str(), dtype.element_size())),
            _ => None,
        })
        .collect();
    let mut records: BTreeMap<String, &[u8]> = BTreeMap::new();
    for &id in key_ids {
        let Obj::Str(key) = &keys.objs[id] else {
            return Err(bad(k_at, "a storage key is not a str".into()));
        };
        let size = *sizes
            .get(key.as_str())
            .ok_or_else(|| SerializeError::Storage {
                key: key.clone(),
                detail: "listed but used by no tensor".into(),
            })?;
        let header = bytes
            .get(at..at + 8)
            .ok_or_else(|| SerializeError::Storage {
                key: key.clone(),
                detail: format!("truncated: its element count at offset {at} is missing"),
            })?;
        let mut n = [0u8; 8];
        n.copy_from_slice(header);
        let numel = if little {
            u64::from_le_bytes(n)
        } else {
            u64::from_be_bytes(n)
        };
        let len = numel
            .checked_mul(size as u64)
            .and_then(|l| usize::try_from(l).ok())
            .filter(|&l| l <= bytes.len() - at - 8)
            .ok_or_else(|| SerializeError::Storage {
                key: key.clone(),
                detail: format!(
                    "declares {numel} elements at offset {at}, more than the file holds"
                ),
            })?;
        records.insert(key.clone(), &bytes[at + 8..at + 8 + len]);
        at += 8 + len;
    }
    build(&object, !little, "(legacy storage) ", |key| {
        Ok(records.get(key).copied())
    })
}

/// `_metadata`: an OrderedDict of module prefix → dict of scalars.
fn read_metadata(u: &Unpickled, id: Id) -> Result<Metadata, SerializeError> {
    let bad = |what: &str| not_state_dict(format!("_metadata: {what}"));
    let Obj::Dict { items, .. } = &u.objs[id] else {
        return Err(bad("not a dict"));
    };
    let mut out = Vec::with_capacity(items.len());
    for &(k, v) in items {
        let Obj::Str(prefix) = &u.objs[k] else {
            return Err(bad("a key is not a str"));
        };
        let Obj::Dict { items: inner, .. } = &u.objs[v] else {
            return Err(bad(&format!("{prefix:?} is not a dict")));
        };
        let mut entries = Vec::with_capacity(inner.len());
        for &(ik, iv) in inner {
            let Obj::Str(key) = &u.objs[ik] else {
                return Err(bad(&format!("{prefix:?} has a key that is not a str")));
            };
            let value = match &u.objs[iv] {
                Obj::None => MetaValue::None,
                Obj::Bool(b) => MetaValue::Bool(*b),
                Obj::Int(i) => MetaValue::Int(*i),
                Obj::Float(f) => MetaValue::Float(*f),
                Obj::Str(s) => MetaValue::Str(s.clone()),
                other => {
                    return Err(bad(&format!(
                        "{prefix:?}[{key:?}] is {}, not a scalar",
                        pickle::kind(other)
                    )));
                }
            };
            entries.push((key.clone(), value));
        }
        out.push((prefix.clone(), entries));
    }
    Ok(out)
}

/// A tensor viewing `storage` with the given geometry, checked to fit.
pub(crate) fn view(
    name: &str,
    storage: Arc<Storage>,
    dtype: DType,
    shape: &[i64],
    strides_: &[i64],
    offset: i64,
    requires_grad: bool,
) -> Result<Tensor, SerializeError> {
    let bad = |detail: String| SerializeError::Geometry {
        name: name.to_owned(),
        detail,
    };
    if shape.len() != strides_.len() {
        return Err(bad(format!("size {shape:?} with stride {strides_:?}")));
    }
    if shape.iter().chain(strides_).any(|&v| v < 0) || offset < 0 {
        return Err(bad(format!(
            "negative size, stride or offset: size {shape:?}, stride {strides_:?}, offset {offset}"
        )));
    }
    if shape.len() > 64 {
        return Err(bad(format!("{} dimensions", shape.len())));
    }
    let numel = shape
        .iter()
        .try_fold(1u64, |n, &s| n.checked_mul(s as u64))
        .ok_or_else(|| bad(format!("size {shape:?} overflows")))?;
    let span = if numel == 0 {
        0
    } else {
        shape
            .iter()
            .zip(strides_)
            .try_fold(offset as u64 + 1, |end, (&s, &st)| {
                (s as u64 - 1)
                    .checked_mul(st as u64)
                    .and_then(|x| end.checked_add(x))
            })
            .ok_or_else(|| bad(format!("size {shape:?} with stride {strides_:?} overflows")))?
    };
    if span > storage.len() as u64 {
        return Err(bad(format!(
            "needs {span} elements of its storage (size {shape:?}, stride {strides_:?}, offset \
             {offset}) but the storage holds {}",
            storage.len()
        )));
    }
    let t = Tensor::from_parts(
        storage,
        shape.to_vec(),
        strides_.to_vec(),
        offset,
        dtype,
        Device::Cpu,
        VersionCounter::new(),
    );
    if requires_grad {
        t.0.autograd.lock().requires_grad = true;
    }
    Ok(t)
}

/// The storages of `dict`'s tensors, in order of first use, and each
/// tensor's storage index.
pub(crate) fn storages(
    dict: &StateDict,
) -> Result<(Vec<Arc<Storage>>, Vec<usize>), SerializeError> {
    let mut unique: Vec<Arc<Storage>> = Vec::new();
    let mut index = Vec::with_capacity(dict.tensors.len());
    for (name, t) in &dict.tensors {
        if !t.has_data() {
            return Err(SerializeError::Unsaveable {
                name: name.clone(),
                detail: "it has no data (a meta tensor)".into(),
            });
        }
        let s = &t.0.storage;
        let i = match unique.iter().position(|u| Arc::ptr_eq(u, s)) {
            Some(i) => i,
            None => {
                unique.push(Arc::clone(s));
                unique.len() - 1
            }
        };
        index.push(i);
    }
    Ok((unique, index))
}

/// All of a storage's elements as little-endian bytes.
pub(crate) fn storage_bytes(name: &str, storage: &Storage) -> Result<Vec<u8>, SerializeError> {
    let data = storage.read().ok_or_else(|| SerializeError::Unsaveable {
        name: name.to_owned(),
        detail: "it has no data (a meta tensor)".into(),
    })?;
    let len = i64::try_from(data.len()).unwrap_or(i64::MAX);
    data.gather_le_bytes(StridedRuns::new(&[len], &[1], 0))
        .ok_or_else(|| SerializeError::Unsaveable {
            name: name.to_owned(),
            detail: "its storage cannot be read".into(),
        })
}

fn storage_class(dtype: DType) -> &'static str {
    STORAGE_CLASSES
        .iter()
        .find(|(d, _)| *d == dtype)
        .map_or("FloatStorage", |(_, n)| n)
}

/// The bytes of a `torch.save` file holding `dict`.
pub(crate) fn write(dict: &StateDict) -> Result<Vec<u8>, SerializeError> {
    // Complex storages (ComplexFloatStorage) are not written yet.
    if let Some((name, t)) = dict.tensors.iter().find(|(_, t)| t.dtype().is_complex()) {
        return Err(SerializeError::Unsaveable {
            name: name.clone(),
            detail: format!("{} tensors are not supported by this writer", t.dtype()),
        });
    }
    let (unique, index) = storages(dict)?;
    let mut w = pickle::Writer::new();
    // A state dict with `_metadata` is an OrderedDict; a plain dict stays one.
    if dict.metadata.is_some() {
        w.ordered_dict();
    } else {
        w.empty_dict();
    }
    pickle::write_items(&mut w, &dict.tensors_indexed(&index), |w, (name, t, s)| {
        w.str(name, false);
        w.global("torch._utils", "_rebuild_tensor_v2");
        w.mark();
        // The persistent id: ('storage', <class>, key, 'cpu', numel).
        w.mark();
        w.str("storage", true);
        w.global("torch", storage_class(t.dtype()));
        w.str(&s.to_string(), true);
        w.str("cpu", true);
        w.int(unique[*s].len() as i64);
        w.end_tuple();
        w.op(b'Q');
        w.int(t.storage_offset());
        w.int_tuple(t.shape());
        w.int_tuple(t.stride());
        w.bool(t.0.autograd.lock().requires_grad);
        w.ordered_dict();
        w.end_tuple();
        w.reduce();
    });
    if let Some(metadata) = &dict.metadata {
        w.empty_dict();
        w.str("_metadata", true);
        w.ordered_dict();
        pickle::write_items(&mut w, metadata, |w, (prefix, entries)| {
            w.str(prefix, false);
            w.empty_dict();
            pickle::write_items(w, entries, |w, (key, value)| {
                w.str(key, true);
                match value {
                    MetaValue::None => w.none(),
                    MetaValue::Bool(b) => w.bool(*b),
                    MetaValue::Int(i) => w.int(*i),
                    MetaValue::Float(f) => w.float(*f),
                    MetaValue::Str(s) => w.str(s, false),
                }
            });
        });
        w.op(b's');
        w.op(b'b');
    }
    let pkl = w.finish();
    let mut z = zip::Writer::default();
    z.add(&format!("{PREFIX}/data.pkl"), &pkl);
    z.add(&format!("{PREFIX}/.format_version"), b"1");
    z.add(&format!("{PREFIX}/.storage_alignment"), b"64");
    z.add(&format!("{PREFIX}/byteorder"), b"little");
    for (i, storage) in unique.iter().enumerate() {
        let owner = index
            .iter()
            .position(|&s| s == i)
            .map_or("", |t| dict.tensors[t].0.as_str());
        z.add(
            &format!("{PREFIX}/data/{i}"),
            &storage_bytes(owner, storage)?,
        );
    }
    z.add(&format!("{PREFIX}/version"), VERSION);
    Ok(z.finish())
}

impl StateDict {
    fn tensors_indexed<'a>(&'a self, index: &[usize]) -> Vec<(&'a str, &'a Tensor, usize)> {
        self.tensors
            .iter()
            .zip(index)
            .map(|((n, t), &s)| (n.as_str(), t, s))
            .collect()
    }
}
