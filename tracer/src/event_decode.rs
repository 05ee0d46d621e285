//! A msgpack decoder written for the event layout (FORMAT §3).
//!
//! Reading a trace is mostly decoding events, and serde's generic decoding
//! (a visitor per field, a marker peeked and re-read for every `Option`) was
//! most of that. This decoder reads an event straight from the EVENTS
//! payload into the [`Event`] types: strings are borrowed from the payload
//! and interned with this thread's name table borrowed once per event,
//! vectors are sized from their msgpack length, nothing else is allocated.
//!
//! It accepts exactly what the serde decoding (`rmp_serde::from_slice::<Event>`)
//! accepts, which stays the definition: every width of msgpack integer,
//! string and array that holds the value, arrays of exactly the payload's
//! length. Shapes serde also takes but no writer makes — a payload stored as
//! a map of field names, a string stored as `bin`, an integer where a float
//! belongs, lists nested deeper than [`MAX_DEPTH`] — and kinds this build
//! does not know are [`Problem::Unsupported`]: the caller decodes that event
//! with serde instead. When this decoder refuses an event the caller asks
//! serde too, so the two can only differ in the error message, which here
//! names the field and the byte offset.
//!
//! It also notes whether every object it read was in the shortest msgpack
//! form, the form both writers produce. The stored bytes of such an event are
//! then exactly what encoding it again gives, and its structural hash can be
//! taken from them (FORMAT §4, [`crate::event_bytes`]).

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use crate::event::{
    Accumulate, AnomalyMode, ApiEvent, Autocast, AutogradEvent, BackwardCall, BelowAutograd,
    ChainStep, Context, DataAccess, DefaultDtype, DeviceEvent, DeviceGuard, DispatchEvent, Edge,
    Event, EventBody, FunctionApplied, GradCall, GradMode, GradResult, GraphTaskBegin,
    GraphTaskEnd, GraphTaskError, HookBegin, HookEnd, HookResult, ManualSeed, Mark, NodeCreated,
    NodeResult, OpCall, OpError, ProgramError, QueueEntry, RegisterHook, RegisterNodeHook, Release,
    RemoveHook, RetainGrad, SavedTensorsHooks, SetGrad, SetRequiresGrad, TensorIntro, Transfer,
};
use crate::event::{Chain, KeySet};
use crate::hash::Digest;
use crate::name::{self, Name, Table};
use crate::shared_seq::{SeqCache, extent_of_list};
use crate::value::{NESTED, NestedParts, SparseParts, TensorRef, Value};

/// Nesting of list values this decoder follows; deeper lists go to serde
/// (whose own limit then applies), so hostile nesting cannot exhaust the stack.
pub const MAX_DEPTH: usize = 32;

/// Why an event did not decode: the field being read, where, and what was
/// wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset, in the EVENTS payload, of the object that did not decode.
    pub offset: usize,
    /// The field being read (`tensor.shape`, `op.context`).
    pub field: &'static str,
    /// What was wrong with it.
    pub problem: Problem,
}

/// What was wrong with a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The payload ends inside the object.
    CutShort,
    /// A msgpack object of another type (the marker byte found).
    Type {
        /// The type the layout has here.
        expected: &'static str,
        /// The marker byte found.
        marker: u8,
    },
    /// An array of another length than the layout's.
    Length {
        /// Elements the layout has.
        expected: usize,
        /// Elements the array holds.
        found: u64,
    },
    /// An integer that does not fit the field's type.
    OutOfRange {
        /// The field's type (`u8`, `u32`, `u64`, `i64`).
        ty: &'static str,
        /// The integer found.
        value: i128,
    },
    /// A string that is not UTF-8.
    NotUtf8,
    /// A value digest that is not 32 bytes.
    DigestLength(u64),
    /// A value tag outside 0–10.
    ValueTag(u8),
    /// A context code outside 0–2.
    ContextCode(u8),
    /// Context 2 (a node) without a node id.
    ContextWithoutNode,
    /// A valid shape this decoder leaves to serde (see the module docs).
    Unsupported,
    /// A sparse tensor's parts that do not describe one (format 2.4).
    Sparse(String),
    /// A nested tensor's parts that do not describe one (format 2.6).
    Nested(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}: ", self.field, self.offset)?;
        match &self.problem {
            Problem::CutShort => f.write_str("cut short"),
            Problem::Type { expected, marker } => {
                write!(f, "expected {expected}, found marker 0x{marker:02x}")
            }
            Problem::Length { expected, found } => {
                write!(f, "expected an array of {expected}, found {found} elements")
            }
            Problem::OutOfRange { ty, value } => write!(f, "{value} does not fit {ty}"),
            Problem::NotUtf8 => f.write_str("string is not UTF-8"),
            Problem::DigestLength(n) => write!(f, "a digest of {n} bytes, not 32"),
            Problem::ValueTag(tag) => write!(f, "unknown value tag {tag}"),
            Problem::ContextCode(code) => write!(f, "unknown context {code}"),
            Problem::ContextWithoutNode => f.write_str("context 2 (node) without a node id"),
            Problem::Unsupported => f.write_str("a form this decoder leaves to serde"),
            Problem::Sparse(problem) | Problem::Nested(problem) => f.write_str(problem),
        }
    }
}

impl std::error::Error for DecodeError {}

type Result<T> = std::result::Result<T, DecodeError>;

/// One decoded event and what its bytes say about its structural hash.
pub(crate) struct Decoded {
    /// The event.
    pub(crate) event: Event,
    /// Where the event ends in the payload.
    pub(crate) end: usize,
    /// The bytes from `layer` to the end of `payload` when they are the
    /// event's structural form exactly: the event is a fixarray of 5, every
    /// object in them is in its shortest form and no value digest needs
    /// setting to nil. `None` when the hash must be computed by encoding.
    pub(crate) structural: Option<(usize, usize)>,
}

/// This thread's shared key sets, chains, shapes and strides, by their
/// stored bytes.
#[derive(Default)]
struct SharedLists {
    keysets: SeqCache<Name>,
    chains: SeqCache<ChainStep>,
    dims: SeqCache<i64>,
}

thread_local! {
    static SHARED_LISTS: RefCell<SharedLists> = RefCell::new(SharedLists::default());
}

/// Decodes the event starting at `pos` of `payload`.
pub(crate) fn decode_event(payload: &[u8], pos: usize) -> Result<Decoded> {
    name::with_table(|names| {
        SHARED_LISTS.with(|lists| {
            let mut c = Cursor {
                bytes: payload,
                pos,
                names,
                lists: &mut lists.borrow_mut(),
                shortest: true,
                digest: false,
            };
            let fixarray_5 = payload.get(pos) == Some(&0x95);
            c.array_of(5, "event")?;
            let seq = c.u64("event.seq")?;
            let start = c.pos;
            let layer = c.u8("event.layer")?;
            let kind = c.u8("event.kind")?;
            let body = c.body(layer, kind)?;
            let payload_end = c.pos;
            let ts = c.u64("event.ts")?;
            // The four kinds whose structural form sets value digests to nil
            // (`EventBody::structural_form_is_payload`).
            let digests_dropped =
                c.digest && matches!((layer, kind), (0, 1) | (1, 1) | (1, 2) | (2, 5));
            let structural =
                (fixarray_5 && c.shortest && !digests_dropped).then_some((start, payload_end));
            Ok(Decoded {
                event: Event { seq, ts, body },
                end: c.pos,
                structural,
            })
        })
    })
}

struct Cursor<'a, 't> {
    bytes: &'a [u8],
    pos: usize,
    names: &'t mut Table,
    lists: &'t mut SharedLists,
    /// Every object so far was in its shortest msgpack form.
    shortest: bool,
    /// A tensor reference with a value digest was read.
    digest: bool,
}

impl<'a> Cursor<'a, '_> {
    fn fail<T>(&self, at: usize, field: &'static str, problem: Problem) -> Result<T> {
        Err(DecodeError {
            offset: at,
            field,
            problem,
        })
    }

    fn marker(&mut self, field: &'static str) -> Result<u8> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.fail(self.pos, field, Problem::CutShort),
        }
    }

    fn take(&mut self, n: usize, at: usize, field: &'static str) -> Result<&'a [u8]> {
        let bytes = self.bytes;
        match self
            .pos
            .checked_add(n)
            .and_then(|end| bytes.get(self.pos..end))
        {
            Some(slice) => {
                self.pos += n;
                Ok(slice)
            }
            None => self.fail(at, field, Problem::CutShort),
        }
    }

    fn be(&mut self, n: usize, at: usize, field: &'static str) -> Result<u64> {
        let bytes = self.take(n, at, field)?;
        Ok(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// An integer of any msgpack width.
    #[inline]
    fn int(&mut self, field: &'static str) -> Result<i128> {
        // Most integers (ids, tags, lengths of small dimensions) are
        // positive fixints.
        if let Some(&marker) = self.bytes.get(self.pos)
            && marker < 0x80
        {
            self.pos += 1;
            return Ok(i128::from(marker));
        }
        self.wide_int(field)
    }

    fn wide_int(&mut self, field: &'static str) -> Result<i128> {
        let at = self.pos;
        let marker = self.marker(field)?;
        if marker < 0x80 {
            return Ok(i128::from(marker));
        }
        if marker >= 0xe0 {
            return Ok(i128::from(marker as i8));
        }
        let value = match marker {
            0xcc => i128::from(self.be(1, at, field)?),
            0xcd => i128::from(self.be(2, at, field)?),
            0xce => i128::from(self.be(4, at, field)?),
            0xcf => i128::from(self.be(8, at, field)?),
            0xd0 => i128::from(self.be(1, at, field)? as u8 as i8),
            0xd1 => i128::from(self.be(2, at, field)? as u16 as i16),
            0xd2 => i128::from(self.be(4, at, field)? as u32 as i32),
            0xd3 => i128::from(self.be(8, at, field)? as i64),
            _ => {
                return self.fail(
                    at,
                    field,
                    Problem::Type {
                        expected: "an integer",
                        marker,
                    },
                );
            }
        };
        // rmp's `write_uint` / `write_sint`: non-negative values in unsigned
        // forms, each in the narrowest that holds it.
        let shortest = match value {
            -32..=127 => 0,
            128..=0xff => 0xcc,
            0x100..=0xffff => 0xcd,
            0x1_0000..=0xffff_ffff => 0xce,
            0x1_0000_0000.. => 0xcf,
            -128..=-33 => 0xd0,
            -32768..=-129 => 0xd1,
            -2_147_483_648..=-32769 => 0xd2,
            _ => 0xd3,
        };
        self.shortest &= marker == shortest;
        Ok(value)
    }

    fn u64(&mut self, field: &'static str) -> Result<u64> {
        let at = self.pos;
        let value = self.int(field)?;
        u64::try_from(value)
            .or_else(|_| self.fail(at, field, Problem::OutOfRange { ty: "u64", value }))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32> {
        let at = self.pos;
        let value = self.int(field)?;
        u32::try_from(value)
            .or_else(|_| self.fail(at, field, Problem::OutOfRange { ty: "u32", value }))
    }

    fn u8(&mut self, field: &'static str) -> Result<u8> {
        let at = self.pos;
        let value = self.int(field)?;
        u8::try_from(value)
            .or_else(|_| self.fail(at, field, Problem::OutOfRange { ty: "u8", value }))
    }

    fn i64(&mut self, field: &'static str) -> Result<i64> {
        let at = self.pos;
        let value = self.int(field)?;
        i64::try_from(value)
            .or_else(|_| self.fail(at, field, Problem::OutOfRange { ty: "i64", value }))
    }

    fn bool(&mut self, field: &'static str) -> Result<bool> {
        let at = self.pos;
        match self.marker(field)? {
            0xc2 => Ok(false),
            0xc3 => Ok(true),
            marker => self.fail(
                at,
                field,
                Problem::Type {
                    expected: "a bool",
                    marker,
                },
            ),
        }
    }

    /// A float: msgpack float64, the only form writers use; other forms
    /// serde also turns into an `f64` are left to it.
    fn f64(&mut self, field: &'static str) -> Result<f64> {
        let at = self.pos;
        match self.marker(field)? {
            0xcb => Ok(f64::from_bits(self.be(8, at, field)?)),
            0xca | 0x00..=0x7f | 0xcc..=0xd3 | 0xe0..=0xff => {
                self.fail(at, field, Problem::Unsupported)
            }
            marker => self.fail(
                at,
                field,
                Problem::Type {
                    expected: "a float",
                    marker,
                },
            ),
        }
    }

    /// Consumes a nil if one is next.
    fn nil(&mut self) -> bool {
        let nil = self.bytes.get(self.pos) == Some(&0xc0);
        if nil {
            self.pos += 1;
        }
        nil
    }

    /// A msgpack string, borrowed.
    fn str(&mut self, field: &'static str) -> Result<&'a str> {
        let at = self.pos;
        let bytes = self.str_bytes(field)?;
        std::str::from_utf8(bytes).or_else(|_| self.fail(at, field, Problem::NotUtf8))
    }

    /// The bytes of a msgpack string, not yet checked for UTF-8.
    fn str_bytes(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let at = self.pos;
        let marker = self.marker(field)?;
        let (len, shortest) = match marker {
            0xa0..=0xbf => (u64::from(marker & 0x1f), true),
            0xd9 => {
                let n = self.be(1, at, field)?;
                (n, n >= 32)
            }
            0xda => {
                let n = self.be(2, at, field)?;
                (n, n > 0xff)
            }
            0xdb => {
                let n = self.be(4, at, field)?;
                (n, n > 0xffff)
            }
            // serde takes UTF-8 bytes for a string too.
            0xc4..=0xc6 => return self.fail(at, field, Problem::Unsupported),
            marker => {
                return self.fail(
                    at,
                    field,
                    Problem::Type {
                        expected: "a string",
                        marker,
                    },
                );
            }
        };
        self.shortest &= shortest;
        self.take(usize::try_from(len).unwrap_or(usize::MAX), at, field)
    }

    fn name(&mut self, field: &'static str) -> Result<Name> {
        let at = self.pos;
        let bytes = self.str_bytes(field)?;
        match name::intern_bytes(self.names, bytes) {
            Some(name) => Ok(name),
            None => self.fail(at, field, Problem::NotUtf8),
        }
    }

    fn string(&mut self, field: &'static str) -> Result<String> {
        self.str(field).map(str::to_owned)
    }

    /// An array header: the element count.
    fn array(&mut self, field: &'static str) -> Result<u64> {
        let at = self.pos;
        let marker = self.marker(field)?;
        let (len, shortest) = match marker {
            0x90..=0x9f => (u64::from(marker & 0x0f), true),
            0xdc => {
                let n = self.be(2, at, field)?;
                (n, n >= 16)
            }
            0xdd => {
                let n = self.be(4, at, field)?;
                (n, n > 0xffff)
            }
            // serde reads a struct from a map of field names, and a
            // sequence from the bytes of a `bin`.
            0x80..=0x8f | 0xde | 0xdf | 0xc4..=0xc6 => {
                return self.fail(at, field, Problem::Unsupported);
            }
            marker => {
                return self.fail(
                    at,
                    field,
                    Problem::Type {
                        expected: "an array",
                        marker,
                    },
                );
            }
        };
        self.shortest &= shortest;
        Ok(len)
    }

    /// An array of exactly `n` elements (a payload struct or a tuple).
    fn array_of(&mut self, n: usize, field: &'static str) -> Result<()> {
        let at = self.pos;
        let found = self.array(field)?;
        if found != n as u64 {
            return self.fail(at, field, Problem::Length { expected: n, found });
        }
        Ok(())
    }

    /// An array of any length, each element read by `item`.
    fn vec<T>(
        &mut self,
        field: &'static str,
        mut item: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<Vec<T>> {
        let len = self.array(field)?;
        // Each element takes at least a byte: a longer count is damage that
        // must not size an allocation (the reads below find it cut short).
        let room = self.bytes.len() - self.pos;
        let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(usize::MAX).min(room));
        for _ in 0..len {
            out.push(item(self)?);
        }
        Ok(out)
    }

    fn option<T>(&mut self, item: impl FnOnce(&mut Self) -> Result<T>) -> Result<Option<T>> {
        if self.nil() {
            Ok(None)
        } else {
            item(self).map(Some)
        }
    }

    fn digest(&mut self, field: &'static str) -> Result<Digest> {
        let at = self.pos;
        let marker = self.marker(field)?;
        let len = match marker {
            0xc4 => self.be(1, at, field)?,
            0xc5 => self.be(2, at, field)?,
            0xc6 => self.be(4, at, field)?,
            // serde takes a string that is not UTF-8 as bytes.
            0xa0..=0xbf | 0xd9..=0xdb => return self.fail(at, field, Problem::Unsupported),
            marker => {
                return self.fail(
                    at,
                    field,
                    Problem::Type {
                        expected: "bin",
                        marker,
                    },
                );
            }
        };
        self.shortest &= marker == 0xc4;
        if len != 32 {
            // serde refuses the length before it looks at the bytes.
            return self.fail(at, field, Problem::DigestLength(len));
        }
        let bytes = self.take(32, at, field)?;
        let mut digest = [0u8; 32];
        digest.copy_from_slice(bytes);
        Ok(Digest(digest))
    }

    fn ids(&mut self, field: &'static str) -> Result<Vec<u64>> {
        self.vec(field, |c| c.u64(field))
    }

    fn optional_ids(&mut self, field: &'static str) -> Result<Vec<Option<u64>>> {
        self.vec(field, |c| c.option(|c| c.u64(field)))
    }

    fn tensor(&mut self) -> Result<TensorRef> {
        self.tensor_in(true)
    }

    /// A tensor reference; a sparse one (11 elements, format 2.4) only
    /// where `sparse_allowed` (not as a sparse tensor's part).
    fn tensor_in(&mut self, sparse_allowed: bool) -> Result<TensorRef> {
        let at = self.pos;
        let len = self.array("tensor")?;
        if len != 10 && !(len == 11 && sparse_allowed) {
            return self.fail(
                at,
                "tensor",
                Problem::Length {
                    expected: 10,
                    found: len,
                },
            );
        }
        let mut tensor = TensorRef {
            id: self.u64("tensor.id")?,
            dtype: self.name("tensor.dtype")?,
            shape: self.dims("tensor.shape")?,
            stride: self.dims("tensor.stride")?,
            offset: self.i64("tensor.offset")?,
            storage: self.u64("tensor.storage")?,
            device: self.name("tensor.device")?,
            requires_grad: self.bool("tensor.requires_grad")?,
            version: self.u64("tensor.version")?,
            value: self.option(|c| c.digest("tensor.value"))?,
            sparse: None,
            nested: None,
        };
        self.digest |= tensor.value.is_some();
        if len == 11 && self.nested_parts_ahead()? {
            let at = self.pos;
            let found = self.array("tensor.nested")?;
            if found != 5 {
                let problem = Problem::Length { expected: 5, found };
                return self.fail(at, "tensor.nested", problem);
            }
            let parts = NestedParts {
                layout: self.name("tensor.nested.layout")?,
                sizes: self.vec("tensor.nested.sizes", |c| c.i64s("tensor.nested.sizes"))?,
                strides: self.vec("tensor.nested.strides", |c| c.i64s("tensor.nested.strides"))?,
                offsets: self.i64s("tensor.nested.offsets")?,
                buffer: self.tensor_in(false)?,
            };
            if let Some(problem) = parts.problem(&tensor) {
                return self.fail(at, "tensor.nested", Problem::Nested(problem));
            }
            tensor.nested = Some(Box::new(parts));
        } else if len == 11 {
            let at = self.pos;
            self.array_of(6, "tensor.sparse")?;
            let parts = SparseParts {
                layout: self.name("tensor.sparse.layout")?,
                sparse_dim: self.i64("tensor.sparse.sparse_dim")?,
                dense_dim: self.i64("tensor.sparse.dense_dim")?,
                coalesced: self.bool("tensor.sparse.coalesced")?,
                indices: self.tensor_in(false)?,
                values: self.tensor_in(false)?,
            };
            if let Some(problem) = parts.problem(&tensor) {
                return self.fail(at, "tensor.sparse", Problem::Sparse(problem));
            }
            tensor.sparse = Some(Box::new(parts));
        }
        Ok(tensor)
    }

    /// Whether the parts ahead (a tensor reference's 11th element) are a
    /// nested tensor's: five elements or the layout `nested` (format 2.6).
    /// Anything else is read as a sparse tensor's parts.
    fn nested_parts_ahead(&mut self) -> Result<bool> {
        let at = self.pos;
        let shortest = self.shortest;
        let len = self.array("tensor.sparse")?;
        let nested = len == 5
            || (len > 0 && self.name("tensor.sparse.layout").ok().as_deref() == Some(NESTED));
        self.pos = at;
        self.shortest = shortest;
        Ok(nested)
    }

    fn i64s(&mut self, field: &'static str) -> Result<Vec<i64>> {
        self.vec(field, |c| c.i64(field))
    }

    fn optional_tensors(&mut self, field: &'static str) -> Result<Vec<Option<TensorRef>>> {
        self.vec(field, |c| c.option(Self::tensor))
    }

    fn value(&mut self, depth: usize) -> Result<Value> {
        let at = self.pos;
        self.array_of(2, "value")?;
        let tag = self.u8("value.tag")?;
        Ok(match tag {
            0 => {
                let at = self.pos;
                if !self.nil() {
                    let marker = self.marker("value")?;
                    return self.fail(
                        at,
                        "value",
                        Problem::Type {
                            expected: "nil",
                            marker,
                        },
                    );
                }
                Value::None
            }
            1 => Value::Bool(self.bool("value")?),
            2 => Value::Int(self.i64("value")?),
            3 => Value::Float(self.f64("value")?),
            4 => Value::Str(self.name("value")?),
            5 => Value::Tensor(Box::new(self.tensor()?)),
            6 => {
                if depth >= MAX_DEPTH {
                    return self.fail(at, "value", Problem::Unsupported);
                }
                Value::List(self.vec("value.list", |c| c.value(depth + 1))?)
            }
            7 => Value::Dtype(self.name("value")?),
            8 => Value::Device(self.name("value")?),
            9 => Value::Layout(self.name("value")?),
            10 => Value::MemoryFormat(self.name("value")?),
            11 => {
                self.array_of(2, "value.complex")?;
                Value::Complex {
                    re: self.f64("value.complex")?,
                    im: self.f64("value.complex")?,
                }
            }
            other => return self.fail(at, "value.tag", Problem::ValueTag(other)),
        })
    }

    fn keyset(&mut self) -> Result<KeySet> {
        self.shared_list(
            1,
            |lists| &mut lists.keysets,
            |c| c.vec("op.keyset", |c| c.name("op.keyset")),
        )
    }

    fn chain(&mut self) -> Result<Chain> {
        self.shared_list(
            2,
            |lists| &mut lists.chains,
            |c| {
                c.vec("op.chain", |c| {
                    c.array_of(2, "op.chain")?;
                    Ok(ChainStep {
                        key: c.name("op.chain.key")?,
                        handler: c.name("op.chain.handler")?,
                    })
                })
            },
        )
    }

    /// A shape or strides.
    fn dims(&mut self, field: &'static str) -> Result<Arc<[i64]>> {
        self.shared_list(
            1,
            |lists| &mut lists.dims,
            |c| c.vec(field, |c| c.i64(field)),
        )
    }

    /// A list of strings or integers (`depth` 1) or of arrays of them (2) that many
    /// events repeat: found by its stored bytes in `cache` when met before,
    /// else decoded by `decode` and remembered.
    fn shared_list<T>(
        &mut self,
        depth: usize,
        cache: fn(&mut SharedLists) -> &mut SeqCache<T>,
        decode: impl FnOnce(&mut Self) -> Result<Vec<T>>,
    ) -> Result<Arc<[T]>> {
        let start = self.pos;
        let bytes = self.bytes;
        if let Some(end) = extent_of_list(bytes, start, depth)
            && let Some((list, shortest)) = cache(self.lists).get(&bytes[start..end])
        {
            self.pos = end;
            self.shortest &= shortest;
            return Ok(list);
        }
        let shortest_before = std::mem::replace(&mut self.shortest, true);
        let list: Arc<[T]> = decode(self)?.into();
        cache(self.lists).insert(&bytes[start..self.pos], &list, self.shortest);
        self.shortest &= shortest_before;
        Ok(list)
    }

    fn args(&mut self) -> Result<Vec<(Name, Value)>> {
        self.vec("op.args", |c| {
            c.array_of(2, "op.args")?;
            Ok((c.name("op.args.name")?, c.value(0)?))
        })
    }

    fn context(&mut self) -> Result<Context> {
        let at = self.pos;
        self.array_of(2, "op.context")?;
        let code = self.u8("op.context")?;
        let node_at = self.pos;
        let node = self.option(|c| c.u64("op.context.node"))?;
        // A code without a node written with one decodes, but does not
        // encode back to the same bytes.
        self.shortest &= code == 2 || node.is_none();
        match (code, node) {
            (0, _) => Ok(Context::TopLevel),
            (1, _) => Ok(Context::Backward),
            (2, Some(n)) => Ok(Context::Node(n)),
            (2, None) => self.fail(node_at, "op.context", Problem::ContextWithoutNode),
            (other, _) => self.fail(at, "op.context", Problem::ContextCode(other)),
        }
    }

    fn edge(&mut self, field: &'static str) -> Result<Edge> {
        self.array_of(2, field)?;
        Ok(Edge {
            node: self.option(|c| c.u64(field))?,
            input_nr: self.u32(field)?,
        })
    }

    fn queue_entry(&mut self) -> Result<QueueEntry> {
        self.array_of(4, "queue")?;
        Ok(QueueEntry {
            node: self.u64("queue.node")?,
            depth: self.u32("queue.depth")?,
            seq_nr: self.u64("queue.seq_nr")?,
            deps: self.u32("queue.deps")?,
        })
    }

    fn mark(&mut self) -> Result<Mark> {
        self.array_of(1, "mark")?;
        Ok(Mark {
            name: self.string("mark.name")?,
        })
    }

    fn device_guard(&mut self) -> Result<DeviceGuard> {
        self.array_of(1, "guard")?;
        Ok(DeviceGuard {
            device: self.string("guard.device")?,
        })
    }

    /// The payload of `(layer, kind)`.
    fn body(&mut self, layer: u8, kind: u8) -> Result<EventBody> {
        let at = self.pos;
        Ok(match (layer, kind) {
            (1, 1) => {
                self.array_of(6, "op")?;
                EventBody::Dispatch(DispatchEvent::Op(OpCall {
                    op: self.name("op.op")?,
                    keyset: self.keyset()?,
                    chain: self.chain()?,
                    args: self.args()?,
                    outputs: self.vec("op.outputs", |c| c.value(0))?,
                    context: self.context()?,
                }))
            }
            (1, 2) => {
                self.array_of(6, "op_error")?;
                EventBody::Dispatch(DispatchEvent::OpError(OpError {
                    op: self.name("op.op")?,
                    keyset: self.keyset()?,
                    chain: self.chain()?,
                    args: self.args()?,
                    error: self.string("op_error.error")?,
                    context: self.context()?,
                }))
            }
            (2, 1) => {
                self.array_of(5, "node")?;
                EventBody::Autograd(AutogradEvent::Node(NodeCreated {
                    node: self.u64("node.node")?,
                    name: self.string("node.name")?,
                    seq_nr: self.u64("node.seq_nr")?,
                    next: self.vec("node.next", |c| c.edge("node.next"))?,
                    tensors: self.ids("node.tensors")?,
                }))
            }
            (2, 2) => {
                self.array_of(4, "graph_task_begin")?;
                EventBody::Autograd(AutogradEvent::GraphTaskBegin(GraphTaskBegin {
                    roots: self.vec("graph_task_begin.roots", |c| {
                        c.edge("graph_task_begin.roots")
                    })?,
                    depth: self.u32("graph_task_begin.depth")?,
                    keep_graph: self.bool("graph_task_begin.keep_graph")?,
                    create_graph: self.bool("graph_task_begin.create_graph")?,
                }))
            }
            (2, 3) => EventBody::Autograd(AutogradEvent::Push(self.queue_entry()?)),
            (2, 4) => EventBody::Autograd(AutogradEvent::Pop(self.queue_entry()?)),
            (2, 5) => {
                self.array_of(3, "accumulate")?;
                EventBody::Autograd(AutogradEvent::Accumulate(Accumulate {
                    node: self.u64("accumulate.node")?,
                    tensor: self.u64("accumulate.tensor")?,
                    grad: Box::new(self.tensor()?),
                }))
            }
            (2, 6) => {
                self.array_of(1, "graph_task_end")?;
                EventBody::Autograd(AutogradEvent::GraphTaskEnd(GraphTaskEnd {
                    executed: self.u64("graph_task_end.executed")?,
                }))
            }
            (2, 7) => {
                self.array_of(3, "hook_begin")?;
                EventBody::Autograd(AutogradEvent::HookBegin(HookBegin {
                    hook: self.u64("hook_begin.hook")?,
                    node: self.u64("hook_begin.node")?,
                    args: self.optional_tensors("hook_begin.args")?,
                }))
            }
            (2, 8) => {
                self.array_of(2, "hook_end")?;
                EventBody::Autograd(AutogradEvent::HookEnd(HookEnd {
                    hook: self.u64("hook_end.hook")?,
                    result: self.option(|c| c.tensor().map(Box::new))?,
                }))
            }
            (2, 9) => {
                self.array_of(1, "graph_task_error")?;
                EventBody::Autograd(AutogradEvent::GraphTaskError(GraphTaskError {
                    error: self.string("graph_task_error.error")?,
                }))
            }
            (2, 10) => {
                self.array_of(3, "node_result")?;
                EventBody::Autograd(AutogradEvent::NodeResult(NodeResult {
                    node: self.u64("node_result.node")?,
                    grads: self.optional_tensors("node_result.grads")?,
                    results: self.optional_tensors("node_result.results")?,
                }))
            }
            (2, 11) => {
                self.array_of(2, "hook_result")?;
                EventBody::Autograd(AutogradEvent::HookResult(HookResult {
                    hook: self.u64("hook_result.hook")?,
                    results: self.option(|c| c.optional_tensors("hook_result.results"))?,
                }))
            }
            (0, 1) => {
                self.array_of(2, "tensor_intro")?;
                EventBody::Api(ApiEvent::Tensor(TensorIntro {
                    tensor: Box::new(self.tensor()?),
                    alias: self.bool("tensor_intro.alias")?,
                }))
            }
            (0, 2) => {
                self.array_of(2, "set_requires_grad")?;
                EventBody::Api(ApiEvent::SetRequiresGrad(SetRequiresGrad {
                    tensor: self.u64("set_requires_grad.tensor")?,
                    requires_grad: self.bool("set_requires_grad.requires_grad")?,
                }))
            }
            (0, 3) => {
                self.array_of(4, "backward")?;
                EventBody::Api(ApiEvent::Backward(BackwardCall {
                    roots: self.ids("backward.roots")?,
                    grads: self.optional_ids("backward.grads")?,
                    retain_graph: self.bool("backward.retain_graph")?,
                    create_graph: self.bool("backward.create_graph")?,
                }))
            }
            (0, 4) => {
                self.array_of(2, "grad_mode")?;
                EventBody::Api(ApiEvent::GradMode(GradMode {
                    grad_enabled: self.bool("grad_mode.grad_enabled")?,
                    inference_mode: self.bool("grad_mode.inference_mode")?,
                }))
            }
            (0, 5) => {
                self.array_of(1, "manual_seed")?;
                EventBody::Api(ApiEvent::ManualSeed(ManualSeed {
                    seed: self.u64("manual_seed.seed")?,
                }))
            }
            (0, 6) => EventBody::Api(ApiEvent::MarkBegin(self.mark()?)),
            (0, 7) => EventBody::Api(ApiEvent::MarkEnd(self.mark()?)),
            (0, 8) => {
                self.array_of(2, "set_grad")?;
                EventBody::Api(ApiEvent::SetGrad(SetGrad {
                    tensor: self.u64("set_grad.tensor")?,
                    grad: self.option(|c| c.u64("set_grad.grad"))?,
                }))
            }
            (0, 9) => {
                self.array_of(1, "program_error")?;
                EventBody::Api(ApiEvent::ProgramError(ProgramError {
                    message: self.string("program_error.message")?,
                }))
            }
            (0, 10) => {
                self.array_of(1, "release")?;
                EventBody::Api(ApiEvent::Release(Release {
                    tensor: self.u64("release.tensor")?,
                }))
            }
            (0, 11) => {
                self.array_of(1, "default_dtype")?;
                EventBody::Api(ApiEvent::DefaultDtype(DefaultDtype {
                    dtype: self.string("default_dtype.dtype")?,
                }))
            }
            (0, 12) => {
                self.array_of(7, "grad")?;
                EventBody::Api(ApiEvent::Grad(GradCall {
                    roots: self.ids("grad.roots")?,
                    grads: self.optional_ids("grad.grads")?,
                    inputs: self.ids("grad.inputs")?,
                    retain_graph: self.bool("grad.retain_graph")?,
                    create_graph: self.bool("grad.create_graph")?,
                    accumulate: self.bool("grad.accumulate")?,
                    allow_unused: self.bool("grad.allow_unused")?,
                }))
            }
            (0, 13) => {
                self.array_of(1, "grad_result")?;
                EventBody::Api(ApiEvent::GradResult(GradResult {
                    grads: self.optional_tensors("grad_result.grads")?,
                }))
            }
            (0, 14) => {
                self.array_of(3, "register_hook")?;
                EventBody::Api(ApiEvent::RegisterHook(RegisterHook {
                    hook: self.u64("register_hook.hook")?,
                    kind: self.string("register_hook.kind")?,
                    tensor: self.u64("register_hook.tensor")?,
                }))
            }
            (0, 15) => {
                self.array_of(1, "remove_hook")?;
                EventBody::Api(ApiEvent::RemoveHook(RemoveHook {
                    hook: self.u64("remove_hook.hook")?,
                }))
            }
            (0, 16) => {
                self.array_of(1, "retain_grad")?;
                EventBody::Api(ApiEvent::RetainGrad(RetainGrad {
                    tensor: self.u64("retain_grad.tensor")?,
                }))
            }
            (0, 17) => {
                self.array_of(3, "function")?;
                EventBody::Api(ApiEvent::Function(FunctionApplied {
                    name: self.string("function.name")?,
                    inputs: self.ids("function.inputs")?,
                    outputs: self.ids("function.outputs")?,
                }))
            }
            (0, 18) => {
                self.array_of(3, "register_node_hook")?;
                EventBody::Api(ApiEvent::RegisterNodeHook(RegisterNodeHook {
                    hook: self.u64("register_node_hook.hook")?,
                    kind: self.string("register_node_hook.kind")?,
                    node: self.u64("register_node_hook.node")?,
                }))
            }
            (0, 19) => {
                self.array_of(3, "data")?;
                EventBody::Api(ApiEvent::Data(DataAccess {
                    tensor: Box::new(self.tensor()?),
                    source: self.u64("data.source")?,
                    write: self.bool("data.write")?,
                }))
            }
            (0, 20) => {
                self.array_of(2, "saved_tensors_hooks")?;
                EventBody::Api(ApiEvent::SavedTensorsHooks(SavedTensorsHooks {
                    hook: self.u64("saved_tensors_hooks.hook")?,
                    enter: self.bool("saved_tensors_hooks.enter")?,
                }))
            }
            (0, 21) => {
                self.array_of(4, "autocast")?;
                EventBody::Api(ApiEvent::Autocast(Autocast {
                    device_type: self.string("autocast.device_type")?,
                    enabled: self.bool("autocast.enabled")?,
                    dtype: self.string("autocast.dtype")?,
                    cache_enabled: self.bool("autocast.cache_enabled")?,
                }))
            }
            (0, 22) => {
                self.array_of(2, "anomaly_mode")?;
                EventBody::Api(ApiEvent::AnomalyMode(AnomalyMode {
                    enabled: self.bool("anomaly_mode.enabled")?,
                    check_nan: self.bool("anomaly_mode.check_nan")?,
                }))
            }
            (0, 23) => {
                self.array_of(1, "below_autograd")?;
                EventBody::Api(ApiEvent::BelowAutograd(BelowAutograd {
                    enabled: self.bool("below_autograd.enabled")?,
                }))
            }
            (3, 1) => EventBody::Device(DeviceEvent::GuardEnter(self.device_guard()?)),
            (3, 2) => EventBody::Device(DeviceEvent::GuardExit(self.device_guard()?)),
            (3, 3) => {
                self.array_of(4, "transfer")?;
                EventBody::Device(DeviceEvent::Transfer(Transfer {
                    src: self.u64("transfer.src")?,
                    dst: self.u64("transfer.dst")?,
                    from: self.string("transfer.from")?,
                    to: self.string("transfer.to")?,
                }))
            }
            // Kept opaque as an `rmpv::Value`: serde's generic decoding is
            // the definition of an unknown payload.
            _ => return self.fail(at, "event.payload", Problem::Unsupported),
        })
    }
}

/// Why an EVENTS payload did not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventsError {
    /// The payload is not a msgpack array.
    NotAnArray,
    /// The payload ends inside this event.
    CutShort {
        /// Index of the event in the payload.
        event: usize,
    },
    /// An event did not decode.
    Event {
        /// Index of the event in the payload.
        event: usize,
        /// The field, the offset and what was wrong.
        error: DecodeError,
    },
    /// An event in a shape this decoder leaves to serde did not decode with
    /// serde either.
    Serde {
        /// Index of the event in the payload.
        event: usize,
        /// Byte offset of the event in the payload.
        offset: usize,
        /// serde's message.
        message: String,
    },
    /// Bytes follow the last event.
    Trailing {
        /// How many.
        bytes: usize,
        /// The events the array holds.
        events: usize,
    },
}

impl fmt::Display for EventsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventsError::NotAnArray => f.write_str("not an array of events"),
            EventsError::CutShort { event } => write!(f, "event {event} is cut short"),
            EventsError::Event { event, error } => write!(f, "event {event}: {error}"),
            EventsError::Serde {
                event,
                offset,
                message,
            } => write!(f, "event {event} (at byte {offset}): {message}"),
            EventsError::Trailing { bytes, events } => {
                write!(f, "{bytes} bytes after the last of {events} events")
            }
        }
    }
}

impl std::error::Error for EventsError {}

/// Every event of an EVENTS payload with its structural hash (always equal
/// to [`EventBody::structural_hash`]), through this decoder.
pub fn decode_events_with_hashes(
    payload: &[u8],
) -> std::result::Result<Vec<(Event, Digest)>, EventsError> {
    crate::event_bytes::decode_with_hashes(payload)
}

/// The events of an EVENTS payload with their structural hashes, as
/// [`decode_events_with_hashes`], up to the first that does not decode, and
/// that event's error (None when every event decodes): a writer fed a
/// batch of events keeps the good ones before a bad one.
pub fn decode_events_prefix_with_hashes(
    payload: &[u8],
) -> (Vec<(Event, Digest)>, Option<EventsError>) {
    crate::event_bytes::decode_prefix_with_hashes(payload)
}

/// Every event of an EVENTS payload with its structural hash, each event
/// decoded by serde: the reference [`decode_events_with_hashes`] is tested
/// against (its hashes come from the stored bytes of any 5-array event whose
/// payload holds no digest, shortest form or not).
pub fn decode_events_with_hashes_serde(
    payload: &[u8],
) -> std::result::Result<Vec<(Event, Digest)>, String> {
    crate::event_bytes::decode_with_hashes_serde(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor() -> TensorRef {
        TensorRef {
            id: 3,
            dtype: "float32".into(),
            shape: vec![2, 300].into(),
            stride: vec![300, 1].into(),
            offset: 0,
            storage: 1,
            device: "cpu".into(),
            requires_grad: true,
            version: 70000,
            value: None,
            sparse: None,
            nested: None,
        }
    }

    fn intro() -> Event {
        Event {
            seq: 4,
            ts: 9,
            body: EventBody::Api(ApiEvent::Tensor(TensorIntro {
                tensor: Box::new(tensor()),
                alias: false,
            })),
        }
    }

    fn payload(events: &[Event]) -> Vec<u8> {
        rmp_serde::to_vec(events).expect("encode")
    }

    #[test]
    fn a_refused_field_is_named_with_its_offset() {
        let mut bytes = payload(&[intro()]);
        // [[4, 0, 1, [[3, "float32", [2, 300], ...]]]]: make the first
        // element of `shape` a string.
        let at = bytes
            .windows(2)
            .position(|w| w == [0x92, 0x02])
            .expect("shape");
        bytes[at + 1] = 0xa0;
        let error = decode_events_with_hashes(&bytes).expect_err("refused");
        assert_eq!(
            error,
            EventsError::Event {
                event: 0,
                error: DecodeError {
                    offset: at + 1,
                    field: "tensor.shape",
                    problem: Problem::Type {
                        expected: "an integer",
                        marker: 0xa0
                    },
                },
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "event 0: tensor.shape at byte {}: expected an integer, found marker 0xa0",
                at + 1
            )
        );
        assert!(decode_events_with_hashes_serde(&bytes).is_err());
    }

    #[test]
    fn shapes_left_to_serde_still_decode() {
        // The payload as a map of field names: serde reads it, no writer
        // writes it.
        let event = intro();
        let EventBody::Api(ApiEvent::Tensor(body)) = &event.body else {
            unreachable!("a tensor intro");
        };
        let named = rmp_serde::to_vec_named(body).expect("encode");
        let mut bytes = vec![0x91, 0x95, 4, 0, 1];
        bytes.extend_from_slice(&named);
        bytes.push(9);
        let decoded = decode_events_with_hashes(&bytes).expect("decodes");
        assert_eq!(decoded[0].0, event);
        assert_eq!(decoded[0].1, event.body.structural_hash());
        // An unknown kind is kept opaque.
        let unknown = [0x91, 0x95, 7, 2, 99, 0x92, 1, 2, 0];
        let decoded = decode_events_with_hashes(&unknown).expect("decodes");
        assert!(matches!(
            decoded[0].0.body,
            EventBody::Unknown {
                layer: 2,
                kind: 99,
                ..
            }
        ));
        assert_eq!(
            decoded,
            decode_events_with_hashes_serde(&unknown).expect("serde")
        );
    }

    #[test]
    fn a_value_digest_is_hashed_as_nil() {
        let mut event = intro();
        if let EventBody::Api(ApiEvent::Tensor(t)) = &mut event.body {
            t.tensor.value = Some(Digest::of(b"v"));
        }
        let decoded =
            decode_events_with_hashes(&payload(std::slice::from_ref(&event))).expect("decode");
        assert_eq!(decoded[0].0, event);
        assert_eq!(decoded[0].1, intro().body.structural_hash());
    }

    #[test]
    fn nesting_beyond_the_decoder_goes_to_serde() {
        let mut value = Value::Int(1);
        for _ in 0..MAX_DEPTH + 3 {
            value = Value::List(vec![value]);
        }
        let event = Event {
            seq: 0,
            ts: 0,
            body: EventBody::Dispatch(DispatchEvent::Op(OpCall {
                op: "aten.cat.default".into(),
                keyset: vec!["CPU".into()].into(),
                chain: Vec::new().into(),
                args: vec![("tensors".into(), value)],
                outputs: Vec::new(),
                context: Context::TopLevel,
            })),
        };
        let decoded =
            decode_events_with_hashes(&payload(std::slice::from_ref(&event))).expect("decode");
        assert_eq!(decoded[0].0, event);
        assert_eq!(decoded[0].1, event.body.structural_hash());
    }
}
