//! Normalisation layers: `nn.BatchNorm2d` (running statistics as buffers)
//! and `nn.LayerNorm`.

use super::{Module, call_n, call1, empty_parameter};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// `fill_(t, value)` or `zero_(t)` under `no_grad` (`init.ones_`,
/// `init.zeros_`).
fn no_grad_init(rt: &mut Runtime, t: &Tensor, fill: Option<f64>) -> Result<()> {
    let mode = rt.grad_mode();
    rt.set_grad_mode(false, mode.1);
    let r = match fill {
        Some(v) => call1(rt, "aten.fill_.Scalar", vec![t.into(), IValue::Float(v)]),
        None => call1(rt, "aten.zero_.default", vec![t.into()]),
    };
    rt.set_grad_mode(mode.0, mode.1);
    r.map(|_| ())
}

/// `nn.BatchNorm2d(num_features)` with `eps=1e-5`, `momentum=0.1`, affine
/// and running statistics.
pub struct BatchNorm2d {
    /// `[C]`, initialised to ones.
    pub weight: Tensor,
    /// `[C]`, initialised to zeros.
    pub bias: Tensor,
    /// Buffer `[C]`.
    pub running_mean: Tensor,
    /// Buffer `[C]`.
    pub running_var: Tensor,
    /// Buffer: an int64 scalar counting training batches.
    pub num_batches_tracked: Tensor,
    /// Added to the variance.
    pub eps: f64,
    /// Weight of the current batch in the running statistics.
    pub momentum: f64,
    training: bool,
}

impl BatchNorm2d {
    /// Constructs the layer in PyTorch's order: `empty` weight and bias,
    /// `zeros`/`ones` running statistics, `torch.tensor(0, dtype=long)`
    /// (an introduced tensor and `lift_fresh`), `reset_running_stats()`
    /// (`zero_`, `fill_(1)`, `zero_`), then `ones_(weight)`, `zeros_(bias)`
    /// under `no_grad`.
    pub fn new(rt: &mut Runtime, num_features: i64) -> Result<BatchNorm2d> {
        let n = num_features;
        let (w_empty, weight) = empty_parameter(rt, &[n])?;
        let (b_empty, bias) = empty_parameter(rt, &[n])?;
        let running_mean =
            super::factory(rt, "aten.zeros.default", vec![IValue::IntList(vec![n])])?;
        let running_var = super::factory(rt, "aten.ones.default", vec![IValue::IntList(vec![n])])?;
        let zero = rt.introduce_tensor("int64", &[], &[], 0, &0i64.to_le_bytes(), false)?;
        let num_batches_tracked = rt
            .call_below_ad_inplace_or_view("aten.lift_fresh.default", vec![(&zero).into()])?
            .into_iter()
            .next()
            .and_then(IValue::into_tensor)
            .ok_or_else(|| RuntimeError::unsupported("aten.lift_fresh.default", "no result"))?;
        call1(rt, "aten.zero_.default", vec![(&running_mean).into()])?;
        call1(
            rt,
            "aten.fill_.Scalar",
            vec![(&running_var).into(), IValue::Int(1)],
        )?;
        call1(
            rt,
            "aten.zero_.default",
            vec![(&num_batches_tracked).into()],
        )?;
        no_grad_init(rt, &weight, Some(1.0))?;
        rt.drop_tensor(w_empty);
        no_grad_init(rt, &bias, None)?;
        rt.drop_tensor(b_empty);
        Ok(BatchNorm2d {
            weight,
            bias,
            running_mean,
            running_var,
            num_batches_tracked,
            eps: 1e-5,
            momentum: 0.1,
            training: true,
        })
    }
}

impl Module for BatchNorm2d {
    fn type_name(&self) -> &'static str {
        "BatchNorm2d"
    }

    /// Training: `num_batches_tracked.add_(1)`, then `batch_norm`'s
    /// composite: an `empty([0])` reserve (entered from C++), then
    /// `native_batch_norm(training=True)`, which updates the running
    /// statistics in place. Eval: the same with `training=False`.
    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
        if input.dim() != 4 {
            return Err(RuntimeError::shape(
                "nn.BatchNorm2d",
                format!("expected 4D input (got {}D input)", input.dim()),
            ));
        }
        if self.training {
            call1(
                rt,
                "aten.add_.Tensor",
                vec![(&self.num_batches_tracked).into(), IValue::Int(1)],
            )?;
        }
        // `at::empty({0}, input.options().dtype(kByte))`.
        let reserve = super::call1_cpp(
            rt,
            "aten.empty.memory_format",
            vec![
                IValue::IntList(vec![0]),
                IValue::Dtype(crate::tensor::dtype::DType::UInt8),
                IValue::Layout(crate::tensor::options::Layout::Strided),
                IValue::Device(crate::device::Device::Cpu),
            ],
        )?;
        let mut outs = call_n(
            rt,
            "aten.native_batch_norm.default",
            vec![
                input.into(),
                (&self.weight).into(),
                (&self.bias).into(),
                (&self.running_mean).into(),
                (&self.running_var).into(),
                IValue::Bool(self.training),
                IValue::Float(self.momentum),
                IValue::Float(self.eps),
            ],
        )?
        .into_iter();
        rt.drop_tensor(reserve);
        let out = outs.next().ok_or_else(|| {
            RuntimeError::unsupported("aten.native_batch_norm.default", "no result")
        })?;
        for saved in outs {
            rt.drop_tensor(saved);
        }
        Ok(out)
    }

    fn local_parameters(&self) -> Vec<(&'static str, &Tensor)> {
        vec![("weight", &self.weight), ("bias", &self.bias)]
    }

    fn local_buffers(&self) -> Vec<(&'static str, &Tensor)> {
        vec![
            ("running_mean", &self.running_mean),
            ("running_var", &self.running_var),
            ("num_batches_tracked", &self.num_batches_tracked),
        ]
    }

    fn local_optional_keys(&self) -> Vec<&'static str> {
        vec!["num_batches_tracked"]
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// `nn.LayerNorm(normalized_shape)` with `eps=1e-5` and affine weight and
/// bias: `native_layer_norm` (what `F.layer_norm`'s composite dispatches).
pub struct LayerNorm {
    /// Trailing dimensions normalised over.
    pub normalized_shape: Vec<i64>,
    /// Initialised to ones.
    pub weight: Tensor,
    /// Initialised to zeros.
    pub bias: Tensor,
    /// Added to the variance.
    pub eps: f64,
    training: bool,
}

impl LayerNorm {
    /// `empty` weight and bias, then `ones_(weight)`, `zeros_(bias)`
    /// under `no_grad`.
    pub fn new(rt: &mut Runtime, normalized_shape: &[i64]) -> Result<LayerNorm> {
        let (w_empty, weight) = empty_parameter(rt, normalized_shape)?;
        let (b_empty, bias) = empty_parameter(rt, normalized_shape)?;
        no_grad_init(rt, &weight, Some(1.0))?;
        rt.drop_tensor(w_empty);
        no_grad_init(rt, &bias, None)?;
        rt.drop_tensor(b_empty);
        Ok(LayerNorm {
            normalized_shape: normalized_shape.to_vec(),
            weight,
            bias,
            eps: 1e-5,
            training: true,
        })
    }
}

impl Module for LayerNorm {
    fn type_name(&self) -> &'static str {
        "LayerNorm"
    }

    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
        let mut outs = call_n(
            rt,
            "aten.native_layer_norm.default",
            vec![
                input.into(),
                IValue::IntList(self.normalized_shape.clone()),
                (&self.weight).into(),
                (&self.bias).into(),
                IValue::Float(self.eps),
            ],
        )?
        .into_iter();
        let out = outs.next().ok_or_else(|| {
            RuntimeError::unsupported("aten.native_layer_norm.default", "no result")
        })?;
        for saved in outs {
            rt.drop_tensor(saved);
        }
        Ok(out)
    }

    fn local_parameters(&self) -> Vec<(&'static str, &Tensor)> {
        vec![("weight", &self.weight), ("bias", &self.bias)]
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}
