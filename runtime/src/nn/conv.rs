//! `nn.Conv2d`: `aten.convolution` (what `F.conv2d`'s composite
//! dispatches), initialised like PyTorch's `_ConvNd.reset_parameters`.

use super::{Module, bias_bound, call1, empty_parameter, kaiming_uniform_bound, uniform_};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// `nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)`
/// with square kernels, `dilation=1`, `groups=1`, zero padding.
pub struct Conv2d {
    /// `[out_channels, in_channels, k, k]`.
    pub weight: Tensor,
    /// `[out_channels]`.
    pub bias: Option<Tensor>,
    /// Step of the kernel.
    pub stride: i64,
    /// Zero padding on each side.
    pub padding: i64,
    training: bool,
}

impl Conv2d {
    /// Constructs the layer as PyTorch does: `empty` weight and bias, then
    /// `kaiming_uniform_(W, a=√5)` and `uniform_(b, ±1/√fan_in)` with
    /// `fan_in = in_channels·k·k`.
    pub fn new(
        rt: &mut Runtime,
        in_channels: i64,
        out_channels: i64,
        kernel_size: i64,
        stride: i64,
        padding: i64,
        bias: bool,
    ) -> Result<Conv2d> {
        if in_channels <= 0 || out_channels <= 0 || kernel_size <= 0 || stride <= 0 || padding < 0 {
            return Err(RuntimeError::shape(
                "nn.Conv2d",
                format!(
                    "invalid geometry: in {in_channels}, out {out_channels}, kernel {kernel_size}, \
                     stride {stride}, padding {padding}"
                ),
            ));
        }
        let (w_empty, weight) =
            empty_parameter(rt, &[out_channels, in_channels, kernel_size, kernel_size])?;
        let b = if bias {
            Some(empty_parameter(rt, &[out_channels])?)
        } else {
            None
        };
        let fan_in = in_channels * kernel_size * kernel_size;
        uniform_(rt, &weight, kaiming_uniform_bound(rt, fan_in))?;
        rt.drop_tensor(w_empty);
        let bias = match b {
            Some((b_empty, b)) => {
                uniform_(rt, &b, bias_bound(fan_in))?;
                rt.drop_tensor(b_empty);
                Some(b)
            }
            None => None,
        };
        Ok(Conv2d {
            weight,
            bias,
            stride,
            padding,
            training: true,
        })
    }
}

impl Module for Conv2d {
    fn type_name(&self) -> &'static str {
        "Conv2d"
    }

    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
        let bias = match &self.bias {
            Some(b) => IValue::from(b),
            None => IValue::None,
        };
        call1(
            rt,
            "aten.convolution.default",
            vec![
                input.into(),
                (&self.weight).into(),
                bias,
                IValue::IntList(vec![self.stride, self.stride]),
                IValue::IntList(vec![self.padding, self.padding]),
                IValue::IntList(vec![1, 1]),
                IValue::Bool(false),
                IValue::IntList(vec![0, 0]),
                IValue::Int(1),
            ],
        )
    }

    fn local_parameters(&self) -> Vec<(&'static str, &Tensor)> {
        let mut p = vec![("weight", &self.weight)];
        if let Some(b) = &self.bias {
            p.push(("bias", b));
        }
        p
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}
