//! A pickle reader that executes nothing, and the pickle writer for state
//! dicts.
//!
//! The reader implements exactly the opcodes PyTorch's `weights_only=True`
//! unpickler (`torch/_weights_only_unpickler.py`) implements, and of the
//! globals it allows only those a state dict is made of:
//! `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
//! `torch._utils._rebuild_parameter` and the typed storage classes of the
//! runtime's dtypes. A call is never made: `REDUCE` of an allowed global
//! builds a plain description ([`Obj::Tensor`], an empty dict) that the
//! caller turns into tensors after checking it against the archive. Any
//! other opcode or global is refused, naming it.
//!
//! Design choice: objects live in an arena ([`Unpickled::objs`]) addressed by
//! index, not in reference-counted trees. A pickle can make cycles (a list
//! that holds itself through the memo) and deep nesting; an arena drops
//! flat, and nesting depth is bounded explicitly ([`MAX_DEPTH`]) so that a
//! recursion bomb is a typed refusal, not a stack overflow.

use std::collections::BTreeMap;

use super::error::SerializeError;
use crate::tensor::dtype::DType;

/// Deepest nesting of containers (and of `MARK`s) accepted.
pub(crate) const MAX_DEPTH: u64 = 100;

/// An index into [`Unpickled::objs`].
pub(crate) type Id = usize;

/// A global the reader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Global {
    /// `collections.OrderedDict`.
    OrderedDict,
    /// `torch._utils._rebuild_tensor_v2`.
    RebuildTensorV2,
    /// `torch._utils._rebuild_parameter`.
    RebuildParameter,
    /// `torch.<X>Storage` of a dtype.
    Storage(DType),
}

/// One unpickled object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Obj {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An int that fits i64.
    Int(i64),
    /// A float.
    Float(f64),
    /// A str (also a protocol-0 byte string decoded as ASCII, as torch does).
    Str(String),
    /// A tuple.
    Tuple(Vec<Id>),
    /// A list.
    List(Vec<Id>),
    /// A set (always empty: `ADDITEMS` is not among the opcodes).
    Set,
    /// A dict or `OrderedDict`, items in insertion order; `attrs` is the
    /// state `BUILD` gave it (`_metadata`).
    Dict {
        /// `collections.OrderedDict` rather than `dict`.
        ordered: bool,
        /// Items in insertion order.
        items: Vec<(Id, Id)>,
        /// Attributes set by `BUILD`.
        attrs: Vec<(Id, Id)>,
    },
    /// A global (callable).
    Global(Global),
    /// A storage named by a persistent id.
    Storage {
        /// Archive record key (`data/<key>`).
        key: String,
        /// Element type.
        dtype: DType,
        /// Elements declared.
        numel: u64,
        /// Device it was saved from (`cpu`, `cuda:0`).
        location: String,
    },
    /// What `_rebuild_tensor_v2` (or `_rebuild_parameter`) would build.
    Tensor {
        /// The [`Obj::Storage`].
        storage: Id,
        /// Storage offset, elements.
        offset: i64,
        /// Sizes.
        shape: Vec<i64>,
        /// Strides, elements.
        strides: Vec<i64>,
        /// `requires_grad`.
        requires_grad: bool,
    },
}

/// The result of [`unpickle`]: the arena and the root object.
#[derive(Debug)]
pub(crate) struct Unpickled {
    /// Every object made.
    pub objs: Vec<Obj>,
    /// The object `STOP` returned.
    pub root: Id,
    /// Bytes read, `STOP` included (the legacy format puts pickles one
    /// after another).
    pub len: usize,
}

/// PyTorch's storage class names, by dtype.
pub(crate) const STORAGE_CLASSES: [(DType, &str); 10] = [
    (DType::Float32, "FloatStorage"),
    (DType::Float64, "DoubleStorage"),
    (DType::Float16, "HalfStorage"),
    (DType::BFloat16, "BFloat16Storage"),
    (DType::Int64, "LongStorage"),
    (DType::Int32, "IntStorage"),
    (DType::Int16, "ShortStorage"),
    (DType::Int8, "CharStorage"),
    (DType::UInt8, "ByteStorage"),
    (DType::Bool, "BoolStorage"),
];

/// Globals PyTorch's `weights_only` unpickler allows that this reader does
/// not implement (refused as unsupported, not as forbidden).
const ALLOWED_UNSUPPORTED: &[&str] = &[
    "collections.Counter",
    "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout",
    "torch.Size",
    "torch.Tensor",
    "torch.device",
    "_codecs.encode",
    "builtins.bytearray",
    "builtins.set",
    "builtins.complex",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_wrapper_subclass",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor",
    "torch._tensor._rebuild_from_type_v2",
    "torch.storage.TypedStorage",
    "torch.storage.UntypedStorage",
    "torch.per_tensor_affine",
    "torch.per_tensor_symmetric",
    "torch.per_channel_affine",
    "torch.per_channel_symmetric",
    "torch.per_channel_affine_float_qparams",
];

/// Storage classes PyTorch allows whose dtype the runtime lacks.
const OTHER_STORAGES: &[(&str, &str)] = &[
    ("ComplexFloatStorage", "complex64"),
    ("ComplexDoubleStorage", "complex128"),
    ("QInt8Storage", "qint8"),
    ("QUInt8Storage", "quint8"),
    ("QInt32Storage", "qint32"),
    ("QUInt4x2Storage", "quint4x2"),
    ("QUInt2x4Storage", "quint2x4"),
];

/// The name of a pickle opcode byte, for refusals.
fn opcode_name(op: u8) -> String {
    let name = match op {
        b'(' => "MARK",
        b'.' => "STOP",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'F' => "FLOAT",
        b'I' => "INT",
        b'J' => "BININT",
        b'K' => "BININT1",
        b'L' => "LONG",
        b'M' => "BININT2",
        b'N' => "NONE",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        b'R' => "REDUCE",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'V' => "UNICODE",
        b'X' => "BINUNICODE",
        b'a' => "APPEND",
        b'b' => "BUILD",
        b'c' => "GLOBAL",
        b'd' => "DICT",
        b'}' => "EMPTY_DICT",
        b'e' => "APPENDS",
        b'g' => "GET",
        b'h' => "BINGET",
        b'i' => "INST",
        b'j' => "LONG_BINGET",
        b'l' => "LIST",
        b']' => "EMPTY_LIST",
        b'o' => "OBJ",
        b'p' => "PUT",
        b'q' => "BINPUT",
        b'r' => "LONG_BINPUT",
        b's' => "SETITEM",
        b't' => "TUPLE",
        b')' => "EMPTY_TUPLE",
        b'u' => "SETITEMS",
        b'G' => "BINFLOAT",
        0x80 => "PROTO",
        0x81 => "NEWOBJ",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x85 => "TUPLE1",
        0x86 => "TUPLE2",
        0x87 => "TUPLE3",
        0x88 => "NEWTRUE",
        0x89 => "NEWFALSE",
        0x8a => "LONG1",
        0x8b => "LONG4",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x8c => "SHORT_BINUNICODE",
        0x8d => "BINUNICODE8",
        0x8e => "BINBYTES8",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x92 => "NEWOBJ_EX",
        0x93 => "STACK_GLOBAL",
        0x94 => "MEMOIZE",
        0x95 => "FRAME",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => return format!("0x{op:02x} (unknown)"),
    };
    format!("{name} (0x{op:02x})")
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Offset of the opcode being executed.
    op_at: usize,
    objs: Vec<Obj>,
    depth: Vec<u64>,
    stack: Vec<Id>,
    marks: Vec<Vec<Id>>,
    memo: BTreeMap<u32, Id>,
}

impl<'a> Reader<'a> {
    fn err(&self, detail: impl Into<String>) -> SerializeError {
        SerializeError::Pickle {
            offset: self.op_at as u64,
            detail: detail.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SerializeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            return Err(self.err(format!(
                "truncated: {} needs {n} more bytes, {} are left",
                opcode_name(self.data[self.op_at]),
                self.data.len() - self.pos
            )));
        };
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, SerializeError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, SerializeError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn line(&mut self) -> Result<&'a str, SerializeError> {
        let rest = &self.data[self.pos..];
        let Some(n) = rest.iter().position(|&b| b == b'\n') else {
            return Err(self.err("truncated: GLOBAL has no newline"));
        };
        let line =
            std::str::from_utf8(&rest[..n]).map_err(|_| self.err("a GLOBAL name is not UTF-8"))?;
        self.pos += n + 1;
        Ok(line)
    }

    fn new_obj(&mut self, obj: Obj) -> Result<Id, SerializeError> {
        let children: Vec<Id> = match &obj {
            Obj::Tuple(items) | Obj::List(items) => items.clone(),
            Obj::Dict { items, .. } => items.iter().flat_map(|&(k, v)| [k, v]).collect(),
            _ => Vec::new(),
        };
        let depth = children
            .iter()
            .map(|&c| self.depth[c] + 1)
            .max()
            .unwrap_or(0);
        self.check_depth(depth)?;
        self.objs.push(obj);
        self.depth.push(depth);
        Ok(self.objs.len() - 1)
    }

    fn check_depth(&self, depth: u64) -> Result<(), SerializeError> {
        if depth > MAX_DEPTH {
            return Err(SerializeError::Limit {
                offset: self.op_at as u64,
                what: "container nesting depth".into(),
                limit: MAX_DEPTH,
            });
        }
        Ok(())
    }

    fn push(&mut self, obj: Obj) -> Result<(), SerializeError> {
        let id = self.new_obj(obj)?;
        self.stack.push(id);
        Ok(())
    }

    fn pop(&mut self) -> Result<Id, SerializeError> {
        self.stack.pop().ok_or_else(|| self.err("stack underflow"))
    }

    fn top(&self) -> Result<Id, SerializeError> {
        self.stack
            .last()
            .copied()
            .ok_or_else(|| self.err("stack underflow"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Id>, SerializeError> {
        let outer = self
            .marks
            .pop()
            .ok_or_else(|| self.err("no MARK to pop to"))?;
        Ok(std::mem::replace(&mut self.stack, outer))
    }

    /// Grows a mutable container's recorded depth after an insertion.
    fn deepen(&mut self, container: Id, child: Id) -> Result<(), SerializeError> {
        let depth = self.depth[container].max(self.depth[child] + 1);
        self.check_depth(depth)?;
        self.depth[container] = depth;
        Ok(())
    }

    fn set_items(&mut self, target: Id, kv: &[Id]) -> Result<(), SerializeError> {
        for pair in kv.chunks(2) {
            let &[k, v] = pair else {
                return Err(self.err("SETITEMS with an odd number of items"));
            };
            self.deepen(target, k)?;
            self.deepen(target, v)?;
            let key = self.objs[k].clone();
            let same = |objs: &[Obj], other: Id| match (&key, &objs[other]) {
                (Obj::Str(a), Obj::Str(b)) => a == b,
                (Obj::Int(a), Obj::Int(b)) => a == b,
                _ => false,
            };
            let existing = match &self.objs[target] {
                Obj::Dict { items, .. } => items.iter().position(|&(ok, _)| same(&self.objs, ok)),
                other => {
                    return Err(self.err(format!(
                        "SETITEM(S) on {}: only dict and collections.OrderedDict can be set",
                        kind(other)
                    )));
                }
            };
            if let Obj::Dict { items, .. } = &mut self.objs[target] {
                match existing {
                    Some(i) => items[i].1 = v,
                    None => items.push((k, v)),
                }
            }
        }
        Ok(())
    }

    fn append(&mut self, target: Id, values: &[Id]) -> Result<(), SerializeError> {
        for &v in values {
            self.deepen(target, v)?;
        }
        match &mut self.objs[target] {
            Obj::List(items) => {
                items.extend_from_slice(values);
                Ok(())
            }
            other => {
                let k = kind(other);
                Err(self.err(format!("APPEND(S) on {k}: only lists can be appended to")))
            }
        }
    }

    fn global(&mut self) -> Result<(), SerializeError> {
        let module = self.line()?;
        let name = self.line()?;
        let full = format!("{module}.{name}");
        let offset = self.op_at as u64;
        let global = match full.as_str() {
            "collections.OrderedDict" => Global::OrderedDict,
            "torch._utils._rebuild_tensor_v2" => Global::RebuildTensorV2,
            "torch._utils._rebuild_parameter" => Global::RebuildParameter,
            _ => {
                if module == "torch" {
                    if let Some((dtype, _)) = STORAGE_CLASSES.iter().find(|(_, n)| *n == name) {
                        return self.push(Obj::Global(Global::Storage(*dtype)));
                    }
                    if let Some((_, dt)) = OTHER_STORAGES.iter().find(|(n, _)| *n == name) {
                        return Err(SerializeError::UnsupportedDtype {
                            what: format!("storage class {full}"),
                            name: (*dt).to_owned(),
                        });
                    }
                }
                if ALLOWED_UNSUPPORTED.contains(&full.as_str())
                    || (module == "torch" && DType::from_name(name).is_ok())
                {
                    return Err(SerializeError::UnsupportedGlobal { offset, name: full });
                }
                return Err(SerializeError::ForbiddenGlobal { offset, name: full });
            }
        };
        self.push(Obj::Global(global))
    }

    fn int_arg(&self, id: Id, what: &str) -> Result<i64, SerializeError> {
        match &self.objs[id] {
            Obj::Int(v) => Ok(*v),
            other => Err(self.err(format!("{what} must be an int, got {}", kind(other)))),
        }
    }

    fn bool_arg(&self, id: Id, what: &str) -> Result<bool, SerializeError> {
        match &self.objs[id] {
            Obj::Bool(v) => Ok(*v),
            other => Err(self.err(format!("{what} must be a bool, got {}", kind(other)))),
        }
    }

    fn ints_arg(&self, id: Id, what: &str) -> Result<Vec<i64>, SerializeError> {
        match &self.objs[id] {
            Obj::Tuple(items) => items.iter().map(|&i| self.int_arg(i, what)).collect(),
            other => Err(self.err(format!("{what} must be a tuple, got {}", kind(other)))),
        }
    }

    fn empty_hooks(&self, id: Id, what: &str) -> Result<(), SerializeError> {
        match &self.objs[id] {
            Obj::Dict { items, .. } if items.is_empty() => Ok(()),
            Obj::None => Ok(()),
            other => Err(self.err(format!("{what} must be empty, got {}", kind(other)))),
        }
    }

    fn reduce(&mut self) -> Result<(), SerializeError> {
        let args_id = self.pop()?;
        let func_id = self.pop()?;
        let Obj::Global(func) = self.objs[func_id].clone() else {
            return Err(self.err(format!(
                "REDUCE calls {}, which is not an allowed callable",
                kind(&self.objs[func_id])
            )));
        };
        let Obj::Tuple(args) = self.objs[args_id].clone() else {
            return Err(self.err("REDUCE arguments are not a tuple"));
        };
        let obj = match func {
            Global::OrderedDict => {
                if !args.is_empty() {
                    return Err(self.err("collections.OrderedDict is only rebuilt from ()"));
                }
                Obj::Dict {
                    ordered: true,
                    items: Vec::new(),
                    attrs: Vec::new(),
                }
            }
            Global::RebuildTensorV2 => {
                if !(6..=7).contains(&args.len()) {
                    return Err(self.err(format!(
                        "_rebuild_tensor_v2 takes 6 or 7 arguments, got {}",
                        args.len()
                    )));
                }
                if !matches!(self.objs[args[0]], Obj::Storage { .. }) {
                    return Err(self.err(format!(
                        "_rebuild_tensor_v2's storage is {}, not a persistent storage",
                        kind(&self.objs[args[0]])
                    )));
                }
                self.empty_hooks(args[5], "_rebuild_tensor_v2's backward_hooks")?;
                if let Some(&meta) = args.get(6) {
                    self.empty_hooks(meta, "_rebuild_tensor_v2's metadata")?;
                }
                Obj::Tensor {
                    storage: args[0],
                    offset: self.int_arg(args[1], "storage_offset")?,
                    shape: self.ints_arg(args[2], "size")?,
                    strides: self.ints_arg(args[3], "stride")?,
                    requires_grad: self.bool_arg(args[4], "requires_grad")?,
                }
            }
            Global::RebuildParameter => {
                if args.len() != 3 {
                    return Err(self.err(format!(
                        "_rebuild_parameter takes 3 arguments, got {}",
                        args.len()
                    )));
                }
                let Obj::Tensor {
                    storage,
                    offset,
                    shape,
                    strides,
                    ..
                } = self.objs[args[0]].clone()
                else {
                    return Err(self.err("_rebuild_parameter's data is not a tensor"));
                };
                self.empty_hooks(args[2], "_rebuild_parameter's backward_hooks")?;
                Obj::Tensor {
                    storage,
                    offset,
                    shape,
                    strides,
                    requires_grad: self.bool_arg(args[1], "requires_grad")?,
                }
            }
            Global::Storage(_) => {
                return Err(self.err("a storage class is only valid in a persistent id"));
            }
        };
        self.push(obj)
    }

    fn persistent(&mut self) -> Result<(), SerializeError> {
        let pid = self.pop()?;
        let Obj::Tuple(items) = self.objs[pid].clone() else {
            return Err(self.err(format!(
                "persistent id is {}, not a ('storage', ...) tuple",
                kind(&self.objs[pid])
            )));
        };
        let strs = |r: &Self, i: usize, what: &str| match items.get(i).map(|&id| &r.objs[id]) {
            Some(Obj::Str(s)) => Ok(s.clone()),
            other => Err(r.err(format!(
                "persistent id's {what} must be a str, got {}",
                other.map_or("nothing", kind)
            ))),
        };
        // The legacy format adds a sixth item, view metadata, always None
        // since PyTorch 1.0.
        let legacy_view = items.get(5).map(|&i| &self.objs[i]);
        if !(items.len() == 5 || (items.len() == 6 && legacy_view == Some(&Obj::None)))
            || strs(self, 0, "tag")? != "storage"
        {
            return Err(self
                .err("only persistent ids ('storage', class, key, location, numel) are allowed"));
        }
        let Obj::Global(Global::Storage(dtype)) = self.objs[items[1]] else {
            return Err(self.err(format!(
                "persistent id's storage class is {}",
                kind(&self.objs[items[1]])
            )));
        };
        let key = strs(self, 2, "key")?;
        let location = strs(self, 3, "location")?;
        let numel = self.int_arg(items[4], "storage numel")?;
        let numel = u64::try_from(numel)
            .map_err(|_| self.err(format!("storage {key:?} declares {numel} elements")))?;
        self.push(Obj::Storage {
            key,
            dtype,
            numel,
            location,
        })
    }

    fn build(&mut self) -> Result<(), SerializeError> {
        let state = self.pop()?;
        let target = self.top()?;
        let state_items = match &self.objs[state] {
            Obj::Dict { items, .. } => items.clone(),
            other => {
                return Err(self.err(format!(
                    "BUILD with {} state: only a dict of attributes is allowed",
                    kind(other)
                )));
            }
        };
        self.deepen(target, state)?;
        match &mut self.objs[target] {
            Obj::Dict {
                ordered: true,
                attrs,
                ..
            } => {
                attrs.extend(state_items);
                Ok(())
            }
            other => {
                let k = kind(other);
                Err(self.err(format!(
                    "BUILD on {k}: only collections.OrderedDict is built here"
                )))
            }
        }
    }

    fn run(mut self) -> Result<Unpickled, SerializeError> {
        loop {
            self.op_at = self.pos;
            let Some(&op) = self.data.get(self.pos) else {
                return Err(self.err("truncated: the pickle ends without STOP"));
            };
            self.pos += 1;
            match op {
                0x80 => {
                    let proto = self.byte()?;
                    if !(2..=5).contains(&proto) {
                        return Err(self.err(format!("pickle protocol {proto} is not supported")));
                    }
                }
                b'.' => {
                    let root = self.pop()?;
                    return Ok(Unpickled {
                        objs: self.objs,
                        root,
                        len: self.pos,
                    });
                }
                b'c' => self.global()?,
                b'R' => self.reduce()?,
                b'b' => self.build()?,
                b'Q' => self.persistent()?,
                b'(' => {
                    if self.marks.len() as u64 >= MAX_DEPTH {
                        return Err(SerializeError::Limit {
                            offset: self.op_at as u64,
                            what: "MARK nesting depth".into(),
                            limit: MAX_DEPTH,
                        });
                    }
                    let inner = std::mem::take(&mut self.stack);
                    self.marks.push(inner);
                }
                b')' => self.push(Obj::Tuple(Vec::new()))?,
                b']' => self.push(Obj::List(Vec::new()))?,
                b'}' => self.push(Obj::Dict {
                    ordered: false,
                    items: Vec::new(),
                    attrs: Vec::new(),
                })?,
                0x8f => self.push(Obj::Set)?,
                b'N' => self.push(Obj::None)?,
                0x88 => self.push(Obj::Bool(true))?,
                0x89 => self.push(Obj::Bool(false))?,
                b'J' => {
                    let v = self.u32()? as i32;
                    self.push(Obj::Int(i64::from(v)))?;
                }
                b'K' => {
                    let v = self.byte()?;
                    self.push(Obj::Int(i64::from(v)))?;
                }
                b'M' => {
                    let s = self.take(2)?;
                    let v = u16::from_le_bytes([s[0], s[1]]);
                    self.push(Obj::Int(i64::from(v)))?;
                }
                0x8a => {
                    let n = usize::from(self.byte()?);
                    let s = self.take(n)?;
                    let v = decode_long(s).ok_or_else(|| SerializeError::Limit {
                        offset: self.op_at as u64,
                        what: format!("a {n}-byte LONG1 integer"),
                        limit: 8,
                    })?;
                    self.push(Obj::Int(v))?;
                }
                b'G' => {
                    let s = self.take(8)?;
                    let mut b = [0u8; 8];
                    b.copy_from_slice(s);
                    self.push(Obj::Float(f64::from_be_bytes(b)))?;
                }
                b'X' => {
                    let n = self.u32()? as usize;
                    let s = self.take(n)?;
                    let text =
                        std::str::from_utf8(s).map_err(|_| self.err("BINUNICODE is not UTF-8"))?;
                    self.push(Obj::Str(text.to_owned()))?;
                }
                b'U' => {
                    let n = usize::from(self.byte()?);
                    let s = self.take(n)?;
                    if !s.is_ascii() {
                        return Err(self.err("SHORT_BINSTRING is not ASCII"));
                    }
                    let text = String::from_utf8_lossy(s).into_owned();
                    self.push(Obj::Str(text))?;
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Obj::Tuple(items))?;
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < n {
                        return Err(self.err("stack underflow"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.push(Obj::Tuple(items))?;
                }
                b'a' => {
                    let v = self.pop()?;
                    let target = self.top()?;
                    self.append(target, &[v])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let target = self.top()?;
                    self.append(target, &items)?;
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    let target = self.top()?;
                    self.set_items(target, &[k, v])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let target = self.top()?;
                    self.set_items(target, &items)?;
                }
                b'h' | b'j' => {
                    let i = if op == b'h' {
                        u32::from(self.byte()?)
                    } else {
                        self.u32()?
                    };
                    let id = *self
                        .memo
                        .get(&i)
                        .ok_or_else(|| self.err(format!("memo key {i} was never put")))?;
                    self.stack.push(id);
                }
                b'q' | b'r' => {
                    let i = if op == b'q' {
                        u32::from(self.byte()?)
                    } else {
                        self.u32()?
                    };
                    let top = self.top()?;
                    self.memo.insert(i, top);
                }
                other => {
                    return Err(SerializeError::Opcode {
                        offset: self.op_at as u64,
                        opcode: opcode_name(other),
                    });
                }
            }
        }
    }
}

/// Python's `decode_long`: little-endian two's complement; `None` beyond i64.
fn decode_long(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() {
        return Some(0);
    }
    let negative = bytes[bytes.len() - 1] & 0x80 != 0;
    let fill = if negative { 0xff } else { 0 };
    if bytes.len() > 8 && bytes[8..].iter().any(|&b| b != fill) {
        return None;
    }
    let mut b = [fill; 8];
    let n = bytes.len().min(8);
    b[..n].copy_from_slice(&bytes[..n]);
    let v = i64::from_le_bytes(b);
    // The sign must survive truncation to 8 bytes.
    if (v < 0) != negative {
        return None;
    }
    Some(v)
}

/// Python's `encode_long` (minimal two's complement, little-endian).
fn encode_long(v: i64) -> Vec<u8> {
    if v == 0 {
        return Vec::new();
    }
    let mut bytes = v.to_le_bytes().to_vec();
    while bytes.len() > 1 {
        let last = bytes[bytes.len() - 1];
        let prev = bytes[bytes.len() - 2];
        if (last == 0 && prev & 0x80 == 0) || (last == 0xff && prev & 0x80 != 0) {
            bytes.pop();
        } else {
            break;
        }
    }
    bytes
}

/// A short name of an object's Python type, for refusals.
pub(crate) fn kind(obj: &Obj) -> &'static str {
    match obj {
        Obj::None => "None",
        Obj::Bool(_) => "a bool",
        Obj::Int(_) => "an int",
        Obj::Float(_) => "a float",
        Obj::Str(_) => "a str",
        Obj::Tuple(_) => "a tuple",
        Obj::List(_) => "a list",
        Obj::Set => "a set",
        Obj::Dict { ordered: true, .. } => "an OrderedDict",
        Obj::Dict { .. } => "a dict",
        Obj::Global(_) => "a global",
        Obj::Storage { .. } => "a storage",
        Obj::Tensor { .. } => "a tensor",
    }
}

/// Unpickles `data` (a `data.pkl`) without executing anything.
pub(crate) fn unpickle(data: &[u8]) -> Result<Unpickled, SerializeError> {
    Reader {
        data,
        pos: 0,
        op_at: 0,
        objs: Vec::new(),
        depth: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: BTreeMap::new(),
    }
    .run()
}

/// Writes protocol-2 pickles the way Python's pickler does for the objects
/// of a state dict: every str, tuple and global is memoized (`BINPUT`) and
/// repeated strings and globals are fetched back (`BINGET`).
#[derive(Default)]
pub(crate) struct Writer {
    pub out: Vec<u8>,
    next_memo: u32,
    memo: BTreeMap<String, u32>,
}

impl Writer {
    pub(crate) fn new() -> Writer {
        let mut w = Writer::default();
        w.out.extend_from_slice(&[0x80, 2]);
        w
    }

    fn put(&mut self) -> u32 {
        let i = self.next_memo;
        self.next_memo += 1;
        if let Ok(small) = u8::try_from(i) {
            self.out.extend_from_slice(&[b'q', small]);
        } else {
            self.out.push(b'r');
            self.out.extend_from_slice(&i.to_le_bytes());
        }
        i
    }

    fn get(&mut self, i: u32) {
        if let Ok(small) = u8::try_from(i) {
            self.out.extend_from_slice(&[b'h', small]);
        } else {
            self.out.push(b'j');
            self.out.extend_from_slice(&i.to_le_bytes());
        }
    }

    /// A memoized object, keyed by `key`: fetched if seen, else written by
    /// `write` and put.
    fn memoized(&mut self, key: String, write: impl FnOnce(&mut Writer)) {
        if let Some(&i) = self.memo.get(&key) {
            self.get(i);
            return;
        }
        write(self);
        let i = self.put();
        self.memo.insert(key, i);
    }

    pub(crate) fn mark(&mut self) {
        self.out.push(b'(');
    }

    /// A str, memoized by value when `shared` (constant strings and keys).
    pub(crate) fn str(&mut self, s: &str, shared: bool) {
        let write = |w: &mut Writer| {
            w.out.push(b'X');
            w.out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            w.out.extend_from_slice(s.as_bytes());
        };
        if shared {
            self.memoized(format!("s:{s}"), write);
        } else {
            write(self);
            self.put();
        }
    }

    pub(crate) fn global(&mut self, module: &str, name: &str) {
        self.memoized(format!("g:{module}.{name}"), |w| {
            w.out.push(b'c');
            w.out.extend_from_slice(module.as_bytes());
            w.out.push(b'\n');
            w.out.extend_from_slice(name.as_bytes());
            w.out.push(b'\n');
        });
    }

    pub(crate) fn int(&mut self, v: i64) {
        if let Ok(b) = u8::try_from(v) {
            self.out.extend_from_slice(&[b'K', b]);
        } else if let Ok(h) = u16::try_from(v) {
            self.out.push(b'M');
            self.out.extend_from_slice(&h.to_le_bytes());
        } else if let Ok(i) = i32::try_from(v) {
            self.out.push(b'J');
            self.out.extend_from_slice(&i.to_le_bytes());
        } else {
            let bytes = encode_long(v);
            self.out.extend_from_slice(&[0x8a, bytes.len() as u8]);
            self.out.extend_from_slice(&bytes);
        }
    }

    pub(crate) fn float(&mut self, v: f64) {
        self.out.push(b'G');
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn bool(&mut self, v: bool) {
        self.out.push(if v { 0x88 } else { 0x89 });
    }

    pub(crate) fn none(&mut self) {
        self.out.push(b'N');
    }

    /// A tuple of ints, as Python writes one (`EMPTY_TUPLE`, `TUPLE1..3`,
    /// or `MARK ... TUPLE`), memoized unless empty.
    pub(crate) fn int_tuple(&mut self, values: &[i64]) {
        if values.is_empty() {
            self.out.push(b')');
            return;
        }
        if values.len() > 3 {
            self.mark();
        }
        for &v in values {
            self.int(v);
        }
        self.out.push(match values.len() {
            1 => 0x85,
            2 => 0x86,
            3 => 0x87,
            _ => b't',
        });
        self.put();
    }

    /// Ends a `MARK ...` tuple and memoizes it.
    pub(crate) fn end_tuple(&mut self) {
        self.out.push(b't');
        self.put();
    }

    /// An opcode byte.
    pub(crate) fn op(&mut self, op: u8) {
        self.out.push(op);
    }

    /// `REDUCE` and memoize the result.
    pub(crate) fn reduce(&mut self) {
        self.out.push(b'R');
        self.put();
    }

    /// `EMPTY_DICT` and memoize it.
    pub(crate) fn empty_dict(&mut self) {
        self.out.push(b'}');
        self.put();
    }

    /// `OrderedDict()`: the global, `()`, `REDUCE`, memoized.
    pub(crate) fn ordered_dict(&mut self) {
        self.global("collections", "OrderedDict");
        self.out.push(b')');
        self.reduce();
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.push(b'.');
        self.out
    }
}

/// Python's `_batch_setitems`: items in batches of 1000, each batch
/// `MARK k v ... SETITEMS`, a batch of one `k v SETITEM`.
pub(crate) fn write_items<T>(w: &mut Writer, items: &[T], mut write: impl FnMut(&mut Writer, &T)) {
    for batch in items.chunks(1000) {
        if batch.len() > 1 {
            w.mark();
        }
        for item in batch {
            write(w, item);
        }
        w.op(if batch.len() > 1 { b'u' } else { b's' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refuse(pickle: &[u8]) -> SerializeError {
        match unpickle(pickle) {
            Ok(u) => panic!("accepted: {:?}", u.objs[u.root]),
            Err(e) => e,
        }
    }

    #[test]
    fn os_system_reduce_is_refused_naming_the_global() {
        // class P: def __reduce__(self): return (os.system, ("echo pwned",))
        let pickle =
            b"\x80\x02cposix\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.";
        let err = refuse(pickle);
        assert!(
            matches!(&err, SerializeError::ForbiddenGlobal { name, offset: 2 } if name == "posix.system"),
            "{err}"
        );
        assert!(err.to_string().contains("nothing was executed"), "{err}");
        let err = refuse(b"\x80\x02cbuiltins\neval\nq\x00.");
        assert!(
            matches!(&err, SerializeError::ForbiddenGlobal { name, .. } if name == "builtins.eval")
        );
    }

    #[test]
    fn allowed_but_unimplemented_globals_are_unsupported_not_forbidden() {
        let err = refuse(b"\x80\x02ctorch._utils\n_rebuild_qtensor\n.");
        assert!(
            matches!(&err, SerializeError::UnsupportedGlobal { name, .. } if name == "torch._utils._rebuild_qtensor"),
            "{err}"
        );
        let err = refuse(b"\x80\x02ctorch\nComplexFloatStorage\n.");
        assert!(
            matches!(&err, SerializeError::UnsupportedDtype { name, .. } if name == "complex64"),
            "{err}"
        );
    }

    #[test]
    fn opcodes_outside_weights_only_are_refused_by_name() {
        for (pickle, name) in [
            (
                &b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00."[..],
                "FRAME (0x95)",
            ),
            (b"\x80\x02\x8c\x01a.", "SHORT_BINUNICODE (0x8c)"),
            (
                b"\x80\x02X\x01\x00\x00\x00aX\x01\x00\x00\x00b\x93.",
                "STACK_GLOBAL (0x93)",
            ),
            (b"\x80\x02(ios\nsystem\n.", "INST (0x69)"),
            (b"\x80\x02\xff", "0xff (unknown)"),
        ] {
            let err = refuse(pickle);
            assert!(
                matches!(&err, SerializeError::Opcode { opcode, .. } if opcode == name),
                "{err}"
            );
        }
    }

    #[test]
    fn recursion_bombs_hit_the_depth_limit() {
        // ((((...)))) built with TUPLE1 a thousand times.
        let mut p = b"\x80\x02)".to_vec();
        p.extend(std::iter::repeat_n(0x85u8, 1000));
        p.push(b'.');
        assert!(matches!(refuse(&p), SerializeError::Limit { .. }));
        // A thousand MARKs.
        let mut p = b"\x80\x02".to_vec();
        p.extend(std::iter::repeat_n(b'(', 1000));
        assert!(matches!(refuse(&p), SerializeError::Limit { .. }));
        // A list appended to itself a thousand times through the memo.
        let mut p = b"\x80\x02]q\x00".to_vec();
        for _ in 0..1000 {
            p.extend_from_slice(b"h\x00a");
        }
        p.push(b'.');
        assert!(matches!(refuse(&p), SerializeError::Limit { .. }));
    }

    #[test]
    fn huge_declared_lengths_do_not_allocate() {
        let err = refuse(b"\x80\x02X\xff\xff\xff\xffabc");
        assert!(
            matches!(&err, SerializeError::Pickle { detail, .. } if detail.contains("truncated")),
            "{err}"
        );
        let err = refuse(b"\x80\x02\x8a\xff\x01\x02");
        assert!(matches!(err, SerializeError::Pickle { .. }), "{err}");
    }

    #[test]
    fn malformed_streams_are_typed_refusals() {
        for p in [
            &b""[..],
            b"\x80\x02",
            b"\x80\x02.",
            b"\x80\x02R.",
            b"\x80\x02h\x05.",
            b"\x80\x02t.",
            b"\x80\x02K\x01K\x02s.",
            b"\x80\x02]K\x01K\x02s.",
            b"\x80\x02}K\x01a.",
            b"\x80\x02K\x01)R.",
            b"\x80\x02(X\x07\x00\x00\x00storageK\x00X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQ.",
            b"\x80\x01N.",
        ] {
            let err = refuse(p);
            assert!(matches!(err, SerializeError::Pickle { .. }), "{p:?}: {err}");
        }
    }

    #[test]
    fn longs_round_trip() {
        for v in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            -1,
            -128,
            -129,
            1 << 40,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(decode_long(&encode_long(v)), Some(v), "{v}");
        }
        assert_eq!(encode_long(255), vec![0xff, 0x00]);
        assert_eq!(encode_long(-1), vec![0xff]);
        assert_eq!(decode_long(&[0, 0, 0, 0, 0, 0, 0, 0, 1]), None);
        assert_eq!(decode_long(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0]), None);
    }

    #[test]
    fn written_ints_read_back() {
        for v in [
            0i64,
            255,
            256,
            65535,
            65536,
            -1,
            -(1 << 31),
            1 << 31,
            1 << 40,
        ] {
            let mut w = Writer::new();
            w.int(v);
            let u = unpickle(&w.finish()).expect("reads");
            assert_eq!(u.objs[u.root], Obj::Int(v));
        }
    }
}
