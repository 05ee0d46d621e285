//! The calls PyTorch's C++ makes around sparse COO gradients: the sparse
//! path of `embedding_backward` and AccumulateGrad's checks before it
//! copies a new sparse gradient into `.grad`.

use super::Runtime;
use crate::device::Device;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use crate::tensor::options::Layout;

impl Runtime {
    /// `embedding_sparse_backward(grad, indices, num_weights, padding_idx,
    /// scale_grad_by_freq)`: the indices as one row and the gradient as one
    /// value slice per index (`reshape`s, views here), made a sparse
    /// `[num_weights, features]` tensor by
    /// `_sparse_coo_tensor_with_dims_and_tensors` (uncoalesced: one entry
    /// per looked-up index, repeats included, in the forward's order).
    /// With a `padding_idx`, the entries looking up that row are dropped
    /// first, as PyTorch does: `indices != padding_idx` masks both the
    /// indices and the gradient (`aten.index.Tensor` with the bool mask),
    /// and the masked results are reshaped.
    pub(crate) fn embedding_sparse_backward(
        &mut self,
        grad: &Tensor,
        indices: &Tensor,
        num_weights: i64,
        padding_idx: i64,
        scale_grad_by_freq: bool,
    ) -> Result<Tensor> {
        const OP: &str = "aten.embedding.default";
        if scale_grad_by_freq {
            return Err(RuntimeError::shape(
                OP,
                "embedding_backward: scale_grad_by_freq not supported with sparse gradients",
            ));
        }
        if indices.dtype() != DType::Int64 {
            return Err(RuntimeError::unsupported(
                OP,
                "sparse gradients of int32 indices",
            ));
        }
        let features = grad.shape().last().copied().unwrap_or(1);
        let (indices, grad) = if padding_idx == -1 || self.faults.sparse_embedding_keeps_padding {
            (indices.clone(), grad.clone())
        } else {
            let keep = self.sparse_call(
                "aten.ne.Scalar",
                vec![indices.into(), IValue::Int(padding_idx)],
            )?;
            let mask = || IValue::OptionalTensorList(vec![Some(keep.clone())]);
            let kept = self.sparse_call("aten.index.Tensor", vec![indices.into(), mask()])?;
            let rows = self.sparse_call("aten.index.Tensor", vec![grad.into(), mask()])?;
            (kept, rows)
        };
        let (indices, grad) = (&indices, &grad);
        let (index, values) = if grad.numel() == 0 {
            // Every lookup hit the padding row (or there was none): empty
            // values `[0, features]`, then empty int64 indices `[1, 0]`.
            let empty = |rt: &mut Self, size: Vec<i64>, dtype: DType| {
                rt.sparse_call(
                    "aten.empty.memory_format",
                    vec![
                        size.as_slice().into(),
                        IValue::Dtype(dtype),
                        IValue::Layout(Layout::Strided),
                        IValue::Device(Device::Cpu),
                        IValue::None,
                        IValue::None,
                    ],
                )
            };
            let values = empty(self, vec![0, features], grad.dtype())?;
            let index = empty(self, vec![1, 0], DType::Int64)?;
            (index, values)
        } else {
            let entries = i64::try_from(indices.numel())
                .map_err(|_| RuntimeError::shape(OP, "too many indices"))?;
            let index = self.reshape_given(indices, &[1, -1], &[1, entries])?;
            let values = self.reshape_given(grad, &[-1, features], &[entries, features])?;
            (index, values)
        };
        let dense_dim = values.dim() as i64 - 1;
        self.sparse_call(
            "aten._sparse_coo_tensor_with_dims_and_tensors.default",
            vec![
                IValue::Int(1),
                IValue::Int(dense_dim),
                vec![num_weights, features].as_slice().into(),
                index.into(),
                values.into(),
                IValue::Dtype(grad.dtype()),
                IValue::Layout(Layout::SparseCoo),
                IValue::Device(Device::Cpu),
                IValue::None,
                IValue::None,
            ],
        )
    }

    /// AccumulateGrad's first gradient when it is sparse: PyTorch checks
    /// whether it could keep the gradient's parts (grad mode off, indices
    /// contiguous, values contiguous, then the indices' use count, which is
    /// never 1 while the sparse tensor holds them) and clones it.
    pub(crate) fn first_sparse_grad(
        &mut self,
        new_grad: &Tensor,
        grad_mode: bool,
    ) -> Result<Tensor> {
        if !grad_mode {
            let indices = self.sparse_call("aten._indices.default", vec![new_grad.into()])?;
            if indices.is_contiguous() {
                let values = self.sparse_call("aten._values.default", vec![new_grad.into()])?;
                if values.is_contiguous() {
                    self.sparse_call("aten._indices.default", vec![new_grad.into()])?;
                }
            }
        }
        self.sparse_call("aten.clone.default", vec![new_grad.into(), IValue::None])
    }

    /// `reshape(x, given)` where `given` resolves to `sizes`: a `view`
    /// with the sizes as given when the strides allow one, otherwise
    /// refused (PyTorch would copy first).
    fn reshape_given(&mut self, x: &Tensor, given: &[i64], sizes: &[i64]) -> Result<Tensor> {
        if crate::tensor::strides::view_strides(x.shape(), x.stride(), sizes).is_none() {
            return Err(RuntimeError::unsupported(
                "aten.embedding.default",
                "a sparse gradient of indices or a gradient that cannot be viewed as rows",
            ));
        }
        self.sparse_call("aten.view.default", vec![x.into(), given.into()])
    }

    /// One dispatch with one tensor result.
    fn sparse_call(&mut self, op: &str, args: Vec<IValue>) -> Result<Tensor> {
        self.dispatch(op, args)?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported(op, "a call without a tensor result"))
    }
}
