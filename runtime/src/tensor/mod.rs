//! Tensors: metadata over shared storage (packet FT-P2C-001).
//!
//! A [`Tensor`] is a cheap handle (`Arc`) to a `TensorImpl`: shape, strides
//! and storage offset (in elements) over a shared storage, a
//! dtype, a device, a version counter and autograd metadata. As in PyTorch:
//!
//! * views (`t`, `view`, `expand`, `detach`, an `nn.Parameter` alias) share the
//!   storage *and* the version counter of their base, so an in-place write
//!   through any of them bumps the version every holder sees;
//! * a leaf that requires grad keeps only a *weak* reference to its
//!   AccumulateGrad node: the graph owns the node, so a new graph built after
//!   the previous one was freed gets a new AccumulateGrad (and one built while
//!   the old graph is alive reuses it — observed in torch 2.15 across SGD steps);
//! * `requires_grad` of a non-leaf is "has a grad_fn"; a differentiable view
//!   (`t`, `view`, `expand`, ... but not `detach`) also requires grad when
//!   its base does, even if it was made under `no_grad` — yet it gets no
//!   gradient edge then (torch 2.15: `with no_grad: v = w.t()` gives
//!   `v.requires_grad == True`, and `(v * 2).grad_fn.next_functions` is
//!   `((None, 0), (None, 0))`).
//!
//! Metadata is immutable after creation (no `resize_`/`set_`); what changes is
//! the storage contents, the version counter and the autograd metadata.

pub mod dtype;
pub(crate) mod nested;
pub mod options;
pub(crate) mod promote;
pub(crate) mod sparse;
pub(crate) mod storage;
pub mod strides;
mod version;

use std::fmt;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::autograd::node::Node;
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::trace::slot::IdSlot;
use dtype::DType;
use storage::Storage;
pub(crate) use storage::StorageData;
pub(crate) use version::VersionCounter;

/// Autograd state of a tensor (PyTorch's `AutogradMeta`).
#[derive(Default)]
pub(crate) struct AutogradMeta {
    /// Leaf flag: set by the user (`requires_grad_()`); non-leaves use `grad_fn`.
    pub(crate) requires_grad: bool,
    /// The accumulated gradient (`.grad`).
    pub(crate) grad: Option<Tensor>,
    /// The node that computes this tensor's gradient's contribution upstream.
    pub(crate) grad_fn: Option<Arc<Node>>,
    /// Which output of `grad_fn` this tensor is.
    pub(crate) output_nr: u32,
    /// Weak cache of the leaf's AccumulateGrad node.
    pub(crate) grad_accumulator: Weak<Node>,
    /// Created in inference mode (no autograd, no version tracking keys).
    pub(crate) inference: bool,
    /// For a differentiable view (the output of a view operator other than
    /// `detach`), the tensor it views (the root base for views of views).
    /// Such a view requires grad whenever its base does, even when it was
    /// made under `no_grad` — PyTorch's `DifferentiableViewMeta`.
    pub(crate) view_base: Option<Tensor>,
    /// For a view: its version when its history was last set. A base
    /// modified in place since (through another view, or itself) makes the
    /// history stale; it is regenerated when next used (PyTorch's
    /// `attr_version`).
    pub(crate) view_version: u64,
    /// PyTorch's efficient zero tensor (`_efficientzerotensor`, the
    /// `ZeroTensor` dispatch key): reads as zeros. The runtime stores the
    /// zeros; the flag adds the key to calls that take the tensor and routes
    /// the engine's sum of gradients through PyTorch's ZeroTensor `add`
    /// ([`crate::autograd::functions::zero_tensor`]). Views keep it.
    pub(crate) zero_tensor: bool,
}

/// The shared state behind a [`Tensor`] handle.
pub(crate) struct TensorImpl {
    pub(crate) storage: Arc<Storage>,
    pub(crate) shape: Vec<i64>,
    pub(crate) strides: Vec<i64>,
    pub(crate) offset: i64,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
    /// PyTorch's conjugate bit (`is_conj()`): the tensor reads as the
    /// complex conjugate of its storage. Set by `_conj` on a complex
    /// tensor; views keep it; reads and writes resolve it.
    pub(crate) conj: bool,
    /// PyTorch's negative bit (`is_neg()`): the tensor reads as the
    /// negation of its storage. Set by `_neg_view` (the imaginary part of
    /// a conjugated tensor); views keep it; reads and writes resolve it.
    pub(crate) neg: bool,
    pub(crate) version: VersionCounter,
    pub(crate) autograd: Mutex<AutogradMeta>,
    /// Trace identity. Shared (not copied) by the copy a node keeps of a saved
    /// output, so that the tensor unpacked in backward is the same tensor in
    /// the stream (FORMAT §3.6 rule 6).
    pub(crate) trace: Arc<IdSlot>,
    /// The indices and values of a sparse COO tensor (whose `storage` is its
    /// values' and whose `strides` are empty); `None` for a strided tensor.
    /// The cell is replaced whole by an in-place operator that gives the
    /// tensor new parts (`add_` of two sparse tensors).
    pub(crate) sparse: Option<sparse::SparseCell>,
    /// The components of a nested tensor (whose `storage` is its buffer's
    /// and whose `strides` are empty); `None` for a strided tensor.
    pub(crate) nested: Option<Arc<nested::NestedLayout>>,
}

/// A tensor handle. Cloning is cheap and yields the *same* tensor.
#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<TensorImpl>);

impl Tensor {
    /// Wraps new metadata over `storage`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        storage: Arc<Storage>,
        shape: Vec<i64>,
        strides: Vec<i64>,
        offset: i64,
        dtype: DType,
        device: Device,
        version: VersionCounter,
    ) -> Tensor {
        Tensor(Arc::new(TensorImpl {
            storage,
            shape,
            strides,
            offset,
            dtype,
            device,
            conj: false,
            neg: false,
            version,
            autograd: Mutex::new(AutogradMeta::default()),
            trace: Arc::new(IdSlot::new()),
            sparse: None,
            nested: None,
        }))
    }

    /// A CPU tensor of `dtype` with the given geometry whose elements, in
    /// logical C order, are `values` (cast to `dtype`).
    pub(crate) fn from_f64(
        op: &str,
        shape: &[i64],
        strides: &[i64],
        dtype: DType,
        values: &[f64],
    ) -> Result<Tensor> {
        if strides::is_contiguous(shape, strides)
            && values.len() == checked_numel(op, shape)? * dtype.parts()
        {
            // Logical order is storage order: convert without a zero fill.
            return Ok(Tensor::from_parts(
                Arc::new(Storage::with_data(StorageData::from_f64(dtype, values))),
                shape.to_vec(),
                strides.to_vec(),
                0,
                dtype,
                Device::Cpu,
                VersionCounter::new(),
            ));
        }
        let t = Tensor::zeroed(op, shape, strides, dtype)?;
        t.write_f64(op, values)?;
        Ok(t)
    }

    /// As [`Tensor::from_f64`] with integer values.
    pub(crate) fn from_i64(
        op: &str,
        shape: &[i64],
        strides: &[i64],
        dtype: DType,
        values: &[i64],
    ) -> Result<Tensor> {
        let t = Tensor::zeroed(op, shape, strides, dtype)?;
        t.write_i64(op, values)?;
        Ok(t)
    }

    /// A zero-filled CPU tensor of `dtype` whose storage is just large
    /// enough for the geometry.
    pub(crate) fn zeroed(op: &str, shape: &[i64], strides: &[i64], dtype: DType) -> Result<Tensor> {
        checked_numel(op, shape)?;
        if strides.len() != shape.len() {
            return Err(RuntimeError::shape(
                op,
                format!("strides {strides:?} for shape {shape:?}"),
            ));
        }
        let span = strides::storage_span(shape, strides, 0).ok_or_else(|| {
            RuntimeError::shape(
                op,
                format!("invalid strides {strides:?} for shape {shape:?}"),
            )
        })?;
        check_alloc(op, span)?;
        Ok(Tensor::from_parts(
            Arc::new(Storage::with_data(StorageData::zeros(dtype, span))),
            shape.to_vec(),
            strides.to_vec(),
            0,
            dtype,
            Device::Cpu,
            VersionCounter::new(),
        ))
    }

    /// A tensor of `dtype` over a new storage holding `data` (little-endian
    /// element bytes), viewed with the given geometry.
    pub(crate) fn from_le_bytes_storage(
        op: &str,
        dtype: DType,
        data: &[u8],
        shape: &[i64],
        strides: &[i64],
        offset: i64,
    ) -> Result<Tensor> {
        let buffer = StorageData::from_le_bytes(dtype, data).ok_or_else(|| {
            RuntimeError::shape(
                op,
                format!(
                    "{} bytes are not a whole number of {dtype} elements",
                    data.len()
                ),
            )
        })?;
        Ok(Tensor::from_parts(
            Arc::new(Storage::with_data(buffer)),
            shape.to_vec(),
            strides.to_vec(),
            offset,
            dtype,
            Device::Cpu,
            VersionCounter::new(),
        ))
    }

    /// A contiguous float32 CPU tensor.
    pub(crate) fn from_f32_contiguous(op: &str, shape: &[i64], values: Vec<f32>) -> Result<Tensor> {
        let numel = checked_numel(op, shape)?;
        if values.len() != numel {
            return Err(RuntimeError::shape(
                op,
                format!("{} values for shape {shape:?}", values.len()),
            ));
        }
        Ok(Tensor::from_parts(
            Arc::new(Storage::with_data(StorageData::F32(values))),
            shape.to_vec(),
            strides::contiguous_strides(shape),
            0,
            DType::Float32,
            Device::Cpu,
            VersionCounter::new(),
        ))
    }

    /// A tensor without data (`meta`) with the given geometry.
    pub(crate) fn meta(op: &str, shape: &[i64], strides: &[i64], dtype: DType) -> Result<Tensor> {
        checked_numel(op, shape)?;
        let span = strides::storage_span(shape, strides, 0).ok_or_else(|| {
            RuntimeError::shape(
                op,
                format!("invalid strides {strides:?} for shape {shape:?}"),
            )
        })?;
        Ok(Tensor::from_parts(
            Arc::new(Storage::without_data(span)),
            shape.to_vec(),
            strides.to_vec(),
            0,
            dtype,
            Device::Meta,
            VersionCounter::new(),
        ))
    }

    /// A new tensor over the same storage and version counter (a view);
    /// it keeps the conjugate bit.
    pub(crate) fn alias_with(&self, shape: Vec<i64>, strides: Vec<i64>, offset: i64) -> Tensor {
        self.reinterpreted(self.0.dtype, self.0.conj, shape, strides, offset)
    }

    /// A view of the same storage and version counter as another dtype
    /// (`view_as_real`, `view_as_complex`) or with another conjugate bit
    /// (`_conj`); geometry in elements of `dtype`.
    pub(crate) fn reinterpreted(
        &self,
        dtype: DType,
        conj: bool,
        shape: Vec<i64>,
        strides: Vec<i64>,
        offset: i64,
    ) -> Tensor {
        self.reinterpreted_bits(dtype, conj, self.0.neg, shape, strides, offset)
    }

    /// [`Tensor::reinterpreted`] with the negative bit given.
    fn reinterpreted_bits(
        &self,
        dtype: DType,
        conj: bool,
        neg: bool,
        shape: Vec<i64>,
        strides: Vec<i64>,
        offset: i64,
    ) -> Tensor {
        let t = Tensor(Arc::new(TensorImpl {
            storage: Arc::clone(&self.0.storage),
            shape,
            strides,
            offset,
            dtype,
            device: self.0.device,
            conj: conj && dtype.is_complex(),
            neg,
            version: self.0.version.clone(),
            autograd: Mutex::new(AutogradMeta::default()),
            trace: Arc::new(IdSlot::new()),
            sparse: None,
            nested: None,
        }));
        {
            let mut meta = t.0.autograd.lock();
            meta.inference = self.is_inference();
            meta.zero_tensor = self.is_zero_tensor();
        }
        t
    }

    /// Whether this tensor and `other` share one version counter (one is a
    /// view or alias of the other, or both of one base).
    pub(crate) fn shares_version_with(&self, other: &Tensor) -> bool {
        self.0.version.same(&other.0.version)
    }

    /// The same storage and geometry as a new tensor whose version counter
    /// is its own, at 0: what a view made below ADInplaceOrView is in
    /// PyTorch (no `as_view`, so nothing shares the base's counter).
    pub(crate) fn with_own_version(&self) -> Tensor {
        let t = Tensor(Arc::new(TensorImpl {
            storage: Arc::clone(&self.0.storage),
            shape: self.0.shape.clone(),
            strides: self.0.strides.clone(),
            offset: self.0.offset,
            dtype: self.0.dtype,
            device: self.0.device,
            conj: self.0.conj,
            neg: self.0.neg,
            version: VersionCounter::new(),
            autograd: Mutex::new(AutogradMeta::default()),
            trace: Arc::new(IdSlot::new()),
            sparse: None,
            nested: None,
        }));
        {
            let mut meta = t.0.autograd.lock();
            meta.inference = self.is_inference();
            meta.zero_tensor = self.is_zero_tensor();
        }
        t
    }

    /// PyTorch's `is_conj()`.
    pub fn is_conj(&self) -> bool {
        self.0.conj
    }

    /// PyTorch's `is_neg()`.
    pub fn is_neg(&self) -> bool {
        self.0.neg
    }

    /// A view of the same storage, geometry and version counter with the
    /// negative bit flipped (`_neg_view`).
    pub(crate) fn neg_flipped(&self) -> Tensor {
        self.reinterpreted_bits(
            self.0.dtype,
            self.0.conj,
            !self.0.neg,
            self.0.shape.clone(),
            self.0.strides.clone(),
            self.0.offset,
        )
    }

    /// PyTorch's `_is_zerotensor()`.
    pub fn is_zero_tensor(&self) -> bool {
        self.0.autograd.lock().zero_tensor
    }

    /// A copy of this handle's metadata with no autograd history that keeps
    /// the same trace identity: what a node stores for a saved *output*
    /// (storing the output itself would make a reference cycle through
    /// `grad_fn`).
    pub(crate) fn saved_output_copy(&self) -> Tensor {
        let inner = &self.0;
        Tensor(Arc::new(TensorImpl {
            storage: Arc::clone(&inner.storage),
            shape: inner.shape.clone(),
            strides: inner.strides.clone(),
            offset: inner.offset,
            dtype: inner.dtype,
            device: inner.device,
            conj: inner.conj,
            neg: inner.neg,
            version: inner.version.clone(),
            autograd: Mutex::new(AutogradMeta {
                inference: self.is_inference(),
                ..AutogradMeta::default()
            }),
            trace: Arc::clone(&inner.trace),
            sparse: inner.sparse.clone(),
            nested: inner.nested.clone(),
        }))
    }

    /// This tensor with new geometry over the same storage, as an in-place
    /// view operator (`transpose_`, `t_`, `unsqueeze_`, `squeeze_`) leaves
    /// it: the same storage, version counter, trace identity and autograd
    /// state. Metadata is immutable, so the operator's result is this new
    /// handle, which replaces the old one wherever the tensor is named next.
    pub(crate) fn restrided_in_place(
        &self,
        shape: Vec<i64>,
        strides: Vec<i64>,
        offset: i64,
    ) -> Tensor {
        let inner = &self.0;
        let meta = inner.autograd.lock();
        let autograd = AutogradMeta {
            requires_grad: meta.requires_grad,
            grad: meta.grad.clone(),
            grad_fn: meta.grad_fn.clone(),
            output_nr: meta.output_nr,
            grad_accumulator: meta.grad_accumulator.clone(),
            inference: meta.inference,
            view_base: meta.view_base.clone(),
            view_version: meta.view_version,
            zero_tensor: meta.zero_tensor,
        };
        drop(meta);
        Tensor(Arc::new(TensorImpl {
            storage: Arc::clone(&inner.storage),
            shape,
            strides,
            offset,
            dtype: inner.dtype,
            device: inner.device,
            conj: inner.conj,
            neg: inner.neg,
            version: inner.version.clone(),
            autograd: Mutex::new(autograd),
            trace: Arc::clone(&inner.trace),
            sparse: inner.sparse.clone(),
            nested: inner.nested.clone(),
        }))
    }

    /// Sizes, outermost first.
    pub fn shape(&self) -> &[i64] {
        &self.0.shape
    }

    /// Strides in elements.
    pub fn stride(&self) -> &[i64] {
        &self.0.strides
    }

    /// Storage offset in elements.
    pub fn storage_offset(&self) -> i64 {
        self.0.offset
    }

    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        self.0.shape.len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        strides::numel(&self.0.shape)
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// Device.
    pub fn device(&self) -> Device {
        self.0.device
    }

    /// The version counter (shared with every view of the same base).
    pub fn version(&self) -> u64 {
        self.0.version.get()
    }

    /// Whether autograd records operations on this tensor.
    pub fn requires_grad(&self) -> bool {
        let base = {
            let meta = self.0.autograd.lock();
            if meta.requires_grad || meta.grad_fn.is_some() {
                return true;
            }
            meta.view_base.clone()
        };
        base.is_some_and(|b| b.requires_grad())
    }

    /// The leaf flag set by `requires_grad_()` (what makes a tensor get an
    /// AccumulateGrad node).
    pub(crate) fn leaf_requires_grad(&self) -> bool {
        self.0.autograd.lock().requires_grad
    }

    /// The tensor this differentiable view views, if it is one.
    pub(crate) fn view_base(&self) -> Option<Tensor> {
        self.0.autograd.lock().view_base.clone()
    }

    /// Whether this is a view of a base that requires grad, written in place
    /// since the view's history was set: PyTorch regenerates such a view's
    /// `grad_fn` (an AsStridedBackward0) the next time it is read.
    pub(crate) fn has_stale_view_history(&self) -> bool {
        let meta = self.0.autograd.lock();
        let Some(base) = &meta.view_base else {
            return false;
        };
        meta.view_version != self.version() && base.requires_grad()
    }

    /// Whether the tensor is a leaf (has no `grad_fn`).
    pub fn is_leaf(&self) -> bool {
        self.0.autograd.lock().grad_fn.is_none()
    }

    /// The accumulated gradient (`.grad`).
    pub fn grad(&self) -> Option<Tensor> {
        self.0.autograd.lock().grad.clone()
    }

    /// Name of the node that produced this tensor (`grad_fn.name()`), if any.
    pub fn grad_fn_name(&self) -> Option<String> {
        self.0
            .autograd
            .lock()
            .grad_fn
            .as_ref()
            .map(|n| n.name().to_owned())
    }

    /// Created in inference mode.
    pub fn is_inference(&self) -> bool {
        self.0.autograd.lock().inference
    }

    /// Whether both handles name the same tensor.
    pub fn same_tensor(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Whether both are handles of one tensor in the event stream: the same
    /// handle, or one reseated onto new storage in the other's place (an
    /// `out=` argument resized, `set_`).
    pub fn same_trace_identity(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.trace, &other.0.trace)
    }

    /// Whether both tensors view the same storage.
    pub fn shares_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    /// PyTorch's `is_contiguous()`.
    pub fn is_contiguous(&self) -> bool {
        strides::is_contiguous(&self.0.shape, &self.0.strides)
    }

    /// PyTorch's `is_non_overlapping_and_dense()`.
    pub fn is_non_overlapping_and_dense(&self) -> bool {
        strides::is_non_overlapping_and_dense(&self.0.shape, &self.0.strides)
    }

    /// Whether the tensor has data (not `meta`).
    pub fn has_data(&self) -> bool {
        self.0.storage.has_data()
    }

    /// The elements in logical C order, as f32.
    pub fn to_f32_vec(&self) -> Result<Vec<f32>> {
        self.read_f32("Tensor.to_f32_vec")
    }

    /// The elements in logical C order, as f64 (exact for every dtype except
    /// int64 values beyond 2^53).
    pub fn to_f64_vec(&self) -> Result<Vec<f64>> {
        self.read_f64("Tensor.to_f64_vec")
    }

    /// The elements in logical C order, as i64 (floating values truncate).
    pub fn to_i64_vec(&self) -> Result<Vec<i64>> {
        self.read_i64("Tensor.to_i64_vec")
    }

    fn read_with<R>(
        &self,
        op: &str,
        gather: impl FnOnce(&StorageData, strides::StridedRuns) -> Option<R>,
    ) -> Result<R> {
        self.refuse_nested(op)?;
        check_alloc(op, self.numel())?;
        let data = self
            .0
            .storage
            .read()
            .ok_or_else(|| RuntimeError::NoData { op: op.to_owned() })?;
        gather(&data, self.runs())
            .ok_or_else(|| RuntimeError::shape(op, "tensor geometry exceeds its storage"))
    }

    /// A nested tensor's elements are its components' (read through
    /// [`Tensor::nested_components_f64`] or its buffer): reading or writing
    /// it as one strided tensor fails, naming `op`.
    fn refuse_nested(&self, op: &str) -> Result<()> {
        if self.is_nested() {
            return Err(RuntimeError::unsupported(
                op,
                "a nested tensor where a strided one is expected",
            ));
        }
        Ok(())
    }

    /// Runs `f` on the elements of this tensor's storage (read-locked; the
    /// lock may nest with another operand's on the same storage); `None`
    /// for a tensor without data.
    pub(crate) fn with_storage<R>(&self, f: impl FnOnce(&StorageData) -> R) -> Option<R> {
        self.0.storage.read_nested().map(|data| f(&data))
    }

    /// This tensor's storage elements, read-locked (the lock may nest with
    /// another operand's on the same storage); `None` without data.
    pub(crate) fn read_storage(&self) -> Option<parking_lot::RwLockReadGuard<'_, StorageData>> {
        self.0.storage.read_nested()
    }

    /// This tensor's storage elements, write-locked; `None` without data.
    pub(crate) fn write_storage(&self) -> Option<parking_lot::RwLockWriteGuard<'_, StorageData>> {
        self.0.storage.write()
    }

    /// A new contiguous CPU tensor of `shape` over `data` (which holds
    /// exactly its elements in C order and fixes its dtype).
    pub(crate) fn from_storage_data(op: &str, shape: &[i64], data: StorageData) -> Result<Tensor> {
        Tensor::from_storage_data_strided(op, shape, &strides::contiguous_strides(shape), data)
    }

    /// As [`Tensor::from_storage_data`] with `strides` that lay the elements
    /// out in C order (`is_contiguous`: only a size-1 dimension's stride may
    /// differ from the contiguous one); other strides are refused.
    pub(crate) fn from_storage_data_strided(
        op: &str,
        shape: &[i64],
        strides: &[i64],
        data: StorageData,
    ) -> Result<Tensor> {
        if strides.len() != shape.len() || !strides::is_contiguous(shape, strides) {
            return Err(RuntimeError::shape(
                op,
                format!("strides {strides:?} do not lay shape {shape:?} out in C order"),
            ));
        }
        let numel = checked_numel(op, shape)?;
        if data.len() != numel {
            return Err(RuntimeError::shape(
                op,
                format!("{} values for shape {shape:?}", data.len()),
            ));
        }
        let dtype = data.dtype();
        Ok(Tensor::from_parts(
            Arc::new(Storage::with_data(data)),
            shape.to_vec(),
            strides.to_vec(),
            0,
            dtype,
            Device::Cpu,
            VersionCounter::new(),
        ))
    }

    /// The storage positions of the elements in logical C order, as runs;
    /// for a complex tensor, of its interleaved parts (the real scalars of
    /// its storage).
    fn runs(&self) -> strides::StridedRuns {
        if self.0.dtype.is_complex() {
            let (shape, strides, offset) = complex_parts_geometry(self);
            return strides::StridedRuns::new(&shape, &strides, offset);
        }
        strides::StridedRuns::new(&self.0.shape, &self.0.strides, self.0.offset)
    }

    /// The elements in logical C order as f32 (`op` names the caller in errors).
    pub(crate) fn read_f32(&self, op: &str) -> Result<Vec<f32>> {
        let mut values = self.read_with(op, |d, runs| d.gather_f32(runs))?;
        if self.0.neg {
            values.iter_mut().for_each(|v| *v = -*v);
        }
        Ok(values)
    }

    /// The elements in logical C order as f64; a complex tensor's are its
    /// interleaved (real, imag) parts, conjugated when its conjugate bit
    /// is set; all negated when its negative bit is set.
    pub(crate) fn read_f64(&self, op: &str) -> Result<Vec<f64>> {
        let mut values = self.read_with(op, |d, pos| d.gather_f64(pos))?;
        if self.0.conj {
            values.iter_mut().skip(1).step_by(2).for_each(|v| *v = -*v);
        }
        if self.0.neg {
            values.iter_mut().for_each(|v| *v = -*v);
        }
        Ok(values)
    }

    /// The elements in logical C order as i64 (negated under the negative
    /// bit).
    pub(crate) fn read_i64(&self, op: &str) -> Result<Vec<i64>> {
        let mut values = self.read_with(op, |d, pos| d.gather_i64(pos))?;
        if self.0.neg {
            values.iter_mut().for_each(|v| *v = v.wrapping_neg());
        }
        Ok(values)
    }

    /// The elements' little-endian bytes in logical C order (a blob's
    /// data; the conjugate bit resolved, as the capture records it).
    pub(crate) fn le_bytes(&self, op: &str) -> Result<Vec<u8>> {
        if self.0.conj || self.0.neg {
            let values = self.read_f64(op)?;
            let data = StorageData::from_f64(self.0.dtype, &values);
            return data
                .gather_le_bytes(strides::StridedRuns::new(&[values.len() as i64], &[1], 0))
                .ok_or_else(|| RuntimeError::shape(op, "tensor geometry exceeds its storage"));
        }
        self.read_with(op, |d, pos| d.gather_le_bytes(pos))
    }

    fn write_with(
        &self,
        op: &str,
        len: usize,
        scatter: impl FnOnce(&mut StorageData, strides::StridedRuns) -> Option<()>,
    ) -> Result<()> {
        self.refuse_nested(op)?;
        if len != self.numel() * self.0.dtype.parts() {
            return Err(RuntimeError::shape(
                op,
                format!("{len} values written into shape {:?}", self.shape()),
            ));
        }
        let Some(mut data) = self.0.storage.write() else {
            // meta tensors have nothing to write
            return Ok(());
        };
        scatter(&mut data, self.runs())
            .ok_or_else(|| RuntimeError::shape(op, "tensor geometry exceeds its storage"))
    }

    /// Writes `values` (logical C order) through this tensor's strides,
    /// cast to its dtype. A complex tensor takes interleaved parts, or one
    /// real value per element (imaginary parts zero: C++'s real → complex
    /// cast); a conjugate bit is resolved.
    pub(crate) fn write_f64(&self, op: &str, values: &[f64]) -> Result<()> {
        if self.0.neg {
            let negated: Vec<f64> = values.iter().map(|v| -v).collect();
            return self.resolved_neg().write_f64(op, &negated);
        }
        if self.0.dtype.is_complex() && (values.len() == self.numel() || self.0.conj) {
            let parts = complex_parts(values, self.numel(), self.0.conj);
            return self.write_with(op, parts.len(), |d, pos| d.scatter_f64(pos, &parts));
        }
        self.write_with(op, values.len(), |d, pos| d.scatter_f64(pos, values))
    }

    /// Writes integer `values` (logical C order), cast to this tensor's dtype.
    pub(crate) fn write_i64(&self, op: &str, values: &[i64]) -> Result<()> {
        if self.0.neg {
            let negated: Vec<i64> = values.iter().map(|v| v.wrapping_neg()).collect();
            return self.resolved_neg().write_i64(op, &negated);
        }
        self.write_with(op, values.len(), |d, pos| d.scatter_i64(pos, values))
    }

    /// The same view without the negative bit (for writing through it).
    fn resolved_neg(&self) -> Tensor {
        self.reinterpreted_bits(
            self.0.dtype,
            self.0.conj,
            false,
            self.0.shape.clone(),
            self.0.strides.clone(),
            self.0.offset,
        )
    }

    /// Writes float32 `values` (logical C order), cast to this tensor's dtype.
    pub(crate) fn write_f32(&self, op: &str, values: &[f32]) -> Result<()> {
        let wide: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        self.write_f64(op, &wide)
    }

    /// The grad_fn and output number (PyTorch's `gradient_edge` for non-leaves).
    pub(crate) fn grad_fn_edge(&self) -> Option<(Arc<Node>, u32)> {
        let meta = self.0.autograd.lock();
        meta.grad_fn
            .as_ref()
            .map(|n| (Arc::clone(n), meta.output_nr))
    }

    /// Number of handles to this tensor (PyTorch's `use_count()`).
    pub(crate) fn use_count(&self) -> usize {
        Arc::strong_count(&self.0)
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tensor(shape={:?}, stride={:?}, offset={}, dtype={}, device={}, requires_grad={}, version={})",
            self.shape(),
            self.stride(),
            self.storage_offset(),
            self.dtype(),
            self.device(),
            self.requires_grad(),
            self.version()
        )
    }
}

/// A complex tensor's geometry in real scalars of its storage: a trailing
/// dimension of 2 parts, strides and offset doubled.
fn complex_parts_geometry(t: &Tensor) -> (Vec<i64>, Vec<i64>, i64) {
    let mut shape = t.0.shape.clone();
    shape.push(2);
    let mut strides: Vec<i64> = t.0.strides.iter().map(|s| s * 2).collect();
    strides.push(1);
    (shape, strides, t.0.offset * 2)
}

/// Interleaved parts of `numel` complex values given as `values`: the
/// parts themselves, or real values (imaginary parts zero); conjugated
/// when `conj`.
fn complex_parts(values: &[f64], numel: usize, conj: bool) -> Vec<f64> {
    let mut parts: Vec<f64> = if values.len() == numel {
        values.iter().flat_map(|&v| [v, 0.0]).collect()
    } else {
        values.to_vec()
    };
    if conj {
        parts.iter_mut().skip(1).step_by(2).for_each(|v| *v = -*v);
    }
    parts
}

fn checked_numel(op: &str, shape: &[i64]) -> Result<usize> {
    strides::checked_numel(shape)
        .ok_or_else(|| RuntimeError::shape(op, format!("invalid shape {shape:?}")))
}

/// Fails unless `elements` fit under [`strides::MAX_ELEMENTS`].
pub(crate) fn check_alloc(op: &str, elements: usize) -> Result<()> {
    if elements > strides::MAX_ELEMENTS {
        return Err(RuntimeError::shape(
            op,
            format!(
                "{elements} elements exceed the limit of {} for tensors with data",
                strides::MAX_ELEMENTS
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_share_storage_and_version() {
        let base = Tensor::from_f32_contiguous("test", &[2, 3], (0..6).map(|v| v as f32).collect())
            .expect("tensor");
        let t = base.alias_with(vec![3, 2], vec![1, 3], 0);
        assert!(t.shares_storage(&base));
        assert_eq!(t.to_f32_vec().expect("read"), vec![0., 3., 1., 4., 2., 5.]);
        t.0.version.bump();
        assert_eq!(base.version(), 1);
        assert_eq!(t.version(), 1);
    }

    #[test]
    fn saved_output_copy_keeps_trace_identity_but_not_history() {
        let base = Tensor::from_f32_contiguous("test", &[2], vec![1., 2.]).expect("tensor");
        let copy = base.saved_output_copy();
        assert!(Arc::ptr_eq(&base.0.trace, &copy.0.trace));
        assert!(!copy.same_tensor(&base));
        assert!(copy.shares_storage(&base));
    }

    #[test]
    fn strided_write_goes_through_strides() {
        let base = Tensor::from_f32_contiguous("test", &[2, 2], vec![0.; 4]).expect("tensor");
        let t = base.alias_with(vec![2, 2], vec![1, 2], 0);
        t.write_f32("test", &[1., 2., 3., 4.]).expect("write");
        assert_eq!(base.to_f32_vec().expect("read"), vec![1., 3., 2., 4.]);
    }

    #[test]
    fn meta_tensors_have_no_data() {
        let t = Tensor::meta("test", &[2, 3], &[3, 1], DType::Float32).expect("meta");
        assert!(matches!(t.to_f32_vec(), Err(RuntimeError::NoData { .. })));
    }
}
