//! `nn.Conv2d`: `aten.convolution` (what `F.conv2d`'s composite
//! dispatches) with per-axis kernel, stride, padding and dilation and
//! grouped channels, initialised like PyTorch's
//! `_ConvNd.reset_parameters`.

use super::{Module, bias_bound, call1, empty_parameter, kaiming_uniform_bound, uniform_};
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// The geometry of an `nn.Conv2d` besides its channels, per axis
/// `(height, width)` as PyTorch's `_pair` expands it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// `kernel_size`.
    pub kernel_size: [i64; 2],
    /// `stride` (default 1).
    pub stride: [i64; 2],
    /// Zero `padding` on each side (default 0).
    pub padding: [i64; 2],
    /// `dilation` (default 1).
    pub dilation: [i64; 2],
    /// `groups` (default 1): input and output channels split into this
    /// many independent convolutions.
    pub groups: i64,
    /// `bias` (default true).
    pub bias: bool,
}

impl Conv2dOptions {
    /// `nn.Conv2d(..., kernel_size=k)` defaults: square kernel, stride 1,
    /// no padding, dilation 1, one group, a bias.
    pub fn new(kernel_size: i64) -> Conv2dOptions {
        Conv2dOptions {
            kernel_size: [kernel_size; 2],
            stride: [1; 2],
            padding: [0; 2],
            dilation: [1; 2],
            groups: 1,
            bias: true,
        }
    }
}

/// `nn.Conv2d(in_channels, out_channels, ...)` with zero padding mode.
pub struct Conv2d {
    /// `[out_channels, in_channels / groups, kh, kw]`.
    pub weight: Tensor,
    /// `[out_channels]`.
    pub bias: Option<Tensor>,
    /// Kernel, stride, padding, dilation and groups.
    pub options: Conv2dOptions,
    training: bool,
}

impl Conv2d {
    /// `nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
    /// bias=bias)` with a square kernel and equal stride and padding on both
    /// axes; see [`Conv2d::with_options`].
    pub fn new(
        rt: &mut Runtime,
        in_channels: i64,
        out_channels: i64,
        kernel_size: i64,
        stride: i64,
        padding: i64,
        bias: bool,
    ) -> Result<Conv2d> {
        let options = Conv2dOptions {
            stride: [stride; 2],
            padding: [padding; 2],
            bias,
            ..Conv2dOptions::new(kernel_size)
        };
        Conv2d::with_options(rt, in_channels, out_channels, options)
    }

    /// Constructs the layer as PyTorch does: `empty` weight and bias, then
    /// `kaiming_uniform_(W, a=√5)` and `uniform_(b, ±1/√fan_in)` with
    /// `fan_in = in_channels / groups · kh · kw`. Channel counts not
    /// divisible by `groups` are refused with PyTorch's messages.
    pub fn with_options(
        rt: &mut Runtime,
        in_channels: i64,
        out_channels: i64,
        options: Conv2dOptions,
    ) -> Result<Conv2d> {
        let o = options;
        let refuse = |what: &str| Err(RuntimeError::shape("nn.Conv2d", what.to_owned()));
        if o.groups <= 0 {
            return refuse("groups must be a positive integer");
        }
        if in_channels % o.groups != 0 {
            return refuse("in_channels must be divisible by groups");
        }
        if out_channels % o.groups != 0 {
            return refuse("out_channels must be divisible by groups");
        }
        let positive = |v: [i64; 2]| v.iter().all(|&x| x > 0);
        if in_channels <= 0
            || out_channels <= 0
            || !positive(o.kernel_size)
            || !positive(o.stride)
            || !positive(o.dilation)
            || o.padding.iter().any(|&p| p < 0)
        {
            return Err(RuntimeError::shape(
                "nn.Conv2d",
                format!("invalid geometry: in {in_channels}, out {out_channels}, {o:?}"),
            ));
        }
        let [kh, kw] = o.kernel_size;
        let per_group = in_channels / o.groups;
        let (w_empty, weight) = empty_parameter(rt, &[out_channels, per_group, kh, kw])?;
        let b = if o.bias {
            Some(empty_parameter(rt, &[out_channels])?)
        } else {
            None
        };
        let fan_in = per_group * kh * kw;
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
            options,
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
                IValue::IntList(self.options.stride.to_vec()),
                IValue::IntList(self.options.padding.to_vec()),
                IValue::IntList(self.options.dilation.to_vec()),
                IValue::Bool(false),
                IValue::IntList(vec![0, 0]),
                IValue::Int(self.options.groups),
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
