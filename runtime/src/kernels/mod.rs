//! CPU (and meta) kernels, first wave (packet FT-P2C-005).
//!
//! A kernel computes its operator directly from its bound arguments. It never
//! calls another operator through the dispatcher: PyTorch's kernels do call
//! helpers internally, but a dispatch mode does not see those calls, so
//! neither may our trace. Output *layouts* follow PyTorch's rules
//! ([`iter`]: TensorIterator for pointwise operators, contiguous results for
//! reductions and matrix products, `preserve_format` for `*_like` and copies),
//! because strides are part of every recorded tensor reference.
//!
//! On the `meta` backend the same kernels compute shapes and strides and skip
//! the elements. Random kernels take their values from [`random::RandomSource`].

mod complex;
mod decomp;
mod dense;
mod detection;
mod elementwise;
mod factory;
mod fft;
pub(crate) mod float_bits;
mod foreach;
mod image;
mod indexing;
pub(crate) mod iter;
pub(crate) mod join;
mod linalg;
mod loop_plan;
mod loss;
mod matmul;
mod narrow_copy;
pub(crate) mod nested_ops;
pub(crate) mod nn;
pub(crate) mod out_variant;
mod pointwise;
pub(crate) mod random;
mod reduce;
pub(crate) mod reduced_axpy;
mod reduced_gemm;
mod reduction;
pub(crate) mod resize;
mod rnn;
mod scatter_views;
mod set;
pub(crate) mod sparse;
mod sparse_convert;
pub(crate) mod sparse_ops;
pub(crate) mod sparse_softmax;
pub(crate) mod sparse_sum;
mod statistics;
mod utility;
mod view;
mod zero_tensor;

use crate::device::Device;
use crate::dispatch::args::Args;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;
use crate::tensor::dtype::DType;
use random::RandomSource;
pub(crate) use utility::utility_dims;

/// What a kernel may use besides its arguments.
pub(crate) struct KernelCtx<'a> {
    /// The operator's Python overload name (for errors).
    pub(crate) op: &'a str,
    /// The backend the dispatcher selected.
    pub(crate) backend: Device,
    /// Values for random operators.
    pub(crate) random: &'a mut RandomSource,
    /// `torch.get_default_dtype()`: factories without a dtype and true
    /// division of integers produce it.
    pub(crate) default_dtype: DType,
    /// The installed test faults (off outside parity tests).
    pub(crate) faults: &'a crate::faults::Faults,
    /// The CPU whose PyTorch is reproduced (its kernel set, intra-op threads).
    pub(crate) cpu: &'a crate::cpu::CpuProfile,
    /// Grad mode when the kernel runs (`torch.is_grad_enabled()`): a few
    /// kernels return a different set of results without it.
    pub(crate) grad_enabled: bool,
    /// PyTorch's recorded outputs of this very call, row-major per output,
    /// when the replay gave them ([`crate::Runtime::provide_gauge_reference`]):
    /// the spectral decompositions align their gauge to them.
    pub(crate) gauge: Option<&'a [Vec<f64>]>,
    /// Arguments the kernel resized in place (`resize_` inside a kernel:
    /// `_fused_moving_avg_obs_fq_helper`'s per-channel observer state), by
    /// argument index, with their new handles: the same tensors over new
    /// storage, which the caller binds in place of the old ones
    /// ([`crate::Runtime::take_resized_arguments`]).
    pub(crate) resized: &'a mut Vec<(usize, Tensor)>,
}

/// A kernel: bound arguments in, results out (schema order).
pub(crate) type Kernel = fn(&mut KernelCtx<'_>, Args<'_>) -> Result<Vec<IValue>>;

impl KernelCtx<'_> {
    /// Checks that a tensor argument lives on the kernel's backend.
    pub(crate) fn check(&self, t: &Tensor, _arg: &str) -> Result<()> {
        if t.device() != self.backend {
            return Err(RuntimeError::DeviceMismatch {
                op: self.op.to_owned(),
                first: self.backend.name(),
                second: t.device().name(),
            });
        }
        Ok(())
    }

    /// Whether this backend has data (kernels skip element work otherwise).
    pub(crate) fn has_data(&self) -> bool {
        self.backend == Device::Cpu
    }

    /// A new output of `dtype` with this geometry; `values` (logical order,
    /// cast to `dtype`) is only evaluated on a backend with data.
    pub(crate) fn output(
        &self,
        shape: &[i64],
        strides: &[i64],
        dtype: DType,
        values: impl FnOnce() -> Result<Vec<f64>>,
    ) -> Result<Tensor> {
        match self.backend {
            Device::Cpu => {
                let numel = crate::tensor::strides::checked_numel(shape).ok_or_else(|| {
                    RuntimeError::shape(self.op, format!("invalid shape {shape:?}"))
                })?;
                crate::tensor::check_alloc(self.op, numel)?;
                Tensor::from_f64(self.op, shape, strides, dtype, &values()?)
            }
            Device::Meta => Tensor::meta(self.op, shape, strides, dtype),
            other => Err(RuntimeError::unsupported(
                self.op,
                format!("kernels on device {other}"),
            )),
        }
    }

    /// As [`KernelCtx::output`] with exact integer values.
    pub(crate) fn output_i64(
        &self,
        shape: &[i64],
        strides: &[i64],
        dtype: DType,
        values: impl FnOnce() -> Result<Vec<i64>>,
    ) -> Result<Tensor> {
        match self.backend {
            Device::Cpu => {
                let numel = crate::tensor::strides::checked_numel(shape).ok_or_else(|| {
                    RuntimeError::shape(self.op, format!("invalid shape {shape:?}"))
                })?;
                crate::tensor::check_alloc(self.op, numel)?;
                Tensor::from_i64(self.op, shape, strides, dtype, &values()?)
            }
            _ => self.output(shape, strides, dtype, || Ok(Vec::new())),
        }
    }

    /// Writes `values` (cast to `t`'s dtype) into an in-place operator's
    /// `self` (no-op on meta).
    pub(crate) fn write(
        &self,
        t: &Tensor,
        values: impl FnOnce() -> Result<Vec<f64>>,
    ) -> Result<()> {
        if self.has_data() {
            t.write_f64(self.op, &values()?)
        } else {
            Ok(())
        }
    }
}

/// The kernel registered for an operator, by Python overload name: the
/// complex kernels (which run the real kernel when no operand is complex),
/// then [`lookup_real`].
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    complex::lookup(op)
        .or_else(|| fft::complex_steps::lookup(op))
        .or_else(|| lookup_real(op))
}

/// Whether `op`'s kernel is right for complex operands: it has a complex
/// path ([`complex::lookup`]), only moves or fills whole elements, or is a
/// view (geometry only). Every other kernel computes on a complex tensor's
/// interleaved parts as if they were elements, so the dispatcher refuses
/// complex operands for it.
pub(crate) fn handles_complex(op: &str, schema: &crate::dispatch::schema::FunctionSchema) -> bool {
    complex::handles(op) || fft::complex_steps::handles(op) || schema.is_view()
}

/// The kernel for real operands: the core table below, then each family's
/// table.
pub(crate) fn lookup_real(op: &str) -> Option<Kernel> {
    core(op)
        .or_else(|| elementwise::lookup(op))
        .or_else(|| reduction::lookup(op))
        .or_else(|| indexing::lookup(op))
        .or_else(|| nn::lookup(op))
        .or_else(|| rnn::lookup(op))
        .or_else(|| foreach::lookup(op))
        .or_else(|| decomp::lookup(op))
        .or_else(|| set::lookup(op))
        .or_else(|| resize::lookup(op))
        .or_else(|| utility::lookup(op))
        .or_else(|| image::lookup(op))
        .or_else(|| detection::lookup(op))
        .or_else(|| statistics::lookup(op))
        .or_else(|| fft::lookup(op))
        .or_else(|| float_bits::lookup(op))
        .or_else(|| scatter_views::lookup(op))
        .or_else(|| zero_tensor::lookup(op))
        .or_else(|| out_variant::lookup(op))
        .or_else(|| nested_ops::cpu_lookup(op))
        .or_else(|| sparse_convert::lookup(op))
}

fn core(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.t.default" => view::t,
        "aten.transpose_.default"
        | "aten.t_.default"
        | "aten.unsqueeze_.default"
        | "aten.squeeze_.dim"
        | "aten.squeeze_.default"
        | "aten.squeeze_.dims"
        | "aten.as_strided_.default" => view::restride_,
        "aten.view.default" => view::view,
        "aten.as_strided.default" => view::as_strided,
        "aten.expand.default" => view::expand,
        "aten.detach.default" => view::detach,
        "aten.detach_.default" => view::detach_,
        "aten.unsqueeze.default" => view::unsqueeze,
        "aten.squeeze.dim" => view::squeeze_dim,
        "aten.select.int" => view::select,
        "aten.select_backward.default" => view::select_backward,
        "aten.narrow_copy.default" => narrow_copy::narrow_copy,
        "aten.stack.default" => join::stack,
        "aten.mm.default" => linalg::mm,
        "aten.addmm.default" => linalg::addmm,
        "aten.add.Tensor" => pointwise::add,
        "aten.add_.Tensor" => pointwise::add_,
        "aten.sub.Tensor" => pointwise::sub,
        "aten.mul.Tensor" => pointwise::mul,
        "aten.mul.Scalar" => pointwise::mul,
        "aten.neg.default" => pointwise::neg,
        "aten.relu.default" => pointwise::relu,
        "aten.threshold_backward.default" => pointwise::threshold_backward,
        "aten.sum.default" => reduce::sum,
        "aten.sum.dim_IntList" => reduce::sum_dim,
        "aten.mse_loss.default" => loss::mse_loss,
        "aten.mse_loss_backward.default" => loss::mse_loss_backward,
        "aten.empty.memory_format" => factory::empty,
        "aten.empty_strided.default" => factory::empty_strided,
        "aten.empty_like.default" => factory::empty_like,
        "aten.new_empty_strided.default" => factory::new_empty_strided,
        "aten.zeros.default" => factory::zeros,
        "aten.ones.default" => factory::ones,
        "aten.zeros_like.default" => factory::zeros_like,
        "aten.ones_like.default" => factory::ones_like,
        "aten.clone.default" => factory::clone,
        "aten.copy_.default" => factory::copy_,
        "aten._to_copy.default" => factory::to_copy,
        "aten.zero_.default" => factory::zero_,
        "aten.fill_.Scalar" => factory::fill_,
        "aten.fill.Scalar" => factory::fill_scalar,
        "aten.fill_.Tensor" => factory::fill_tensor_,
        "aten.fill.Tensor" => factory::fill_tensor,
        "aten.randn.default" => factory::randn,
        "aten.randn.generator" => factory::randn_generator,
        "aten.rand.default" => factory::rand,
        "aten.rand.generator" => factory::rand_generator,
        "aten.uniform_.default" => factory::uniform_,
        "aten.normal_.default" => factory::normal_,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::dispatch::registry::Registry;

    /// A kernel for strided tensors, one for sparse ones at `SparseCPU`, or
    /// a decomposition.
    #[test]
    fn every_registered_op_has_a_kernel_or_a_decomposition() {
        let registry = Registry::builtin().expect("table");
        for entry in registry.ops() {
            let name = &entry.python_name;
            assert!(
                super::lookup(name).is_some()
                    || super::sparse_ops::lookup(name).is_some()
                    || super::nested_ops::lookup(name).is_some()
                    || entry.is_composite_implicit(),
                "{name} has no kernel"
            );
        }
    }
}
