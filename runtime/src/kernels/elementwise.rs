//! CPU (and meta) kernels of the elementwise family: arithmetic beyond the
//! core `add`/`sub`/`mul` ([`arith`], [`unary`]), activations and their
//! backward operators ([`activation`]), comparison and logic ([`compare`]).
//!
//! Every kernel broadcasts its operands, lays its result out as
//! TensorIterator does ([`super::iter::output_strides`]) and types it by
//! PyTorch's promotion; the shared machinery is in [`common`].

pub(super) mod activation;
mod arith;
mod close;
pub(super) mod common;
mod compare;
mod fake_quantize;
mod fused_observer;
mod isin;
mod learnable_fake_quantize;
mod log_products;
mod onednn_gelu;
mod shrink;
mod sigmoid_lanes;
pub(super) mod special;
mod trig;
mod unary;
mod vml_sqrt;

pub(crate) use arith::{addcdiv_formula, addcmul_formula, lerp_formula};
pub(crate) use common::{
    broadcast_mismatch, computed_operands, computed_values, nary_i64_, operand_i64, wide,
};
pub(crate) use shrink::cpp_general;
pub(crate) use unary::{exact_integer_map, negate, rsqrt_f32};
pub(crate) use vml_sqrt::sqrt_of;

use super::Kernel;
use super::pointwise;

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    arithmetic(op)
        .or_else(|| activations(op))
        .or_else(|| logic(op))
        .or_else(|| special::lookup(op))
}

fn arithmetic(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.add.Scalar" => pointwise::add,
        "aten.add_.Scalar" => pointwise::add_,
        "aten.sub.Scalar" => pointwise::sub,
        "aten.sub_.Tensor" | "aten.sub_.Scalar" => arith::sub_,
        "aten.mul_.Tensor" | "aten.mul_.Scalar" => arith::mul_,
        "aten.div.Tensor" | "aten.div.Scalar" => arith::div,
        "aten.div.out" => arith::div_out,
        "aten.div_.Tensor" | "aten.div_.Scalar" => arith::div_,
        "aten.div.Tensor_mode" | "aten.div.Scalar_mode" => arith::div_mode,
        "aten.div_.Tensor_mode" => arith::div_mode_,
        "aten.rsub.Tensor" | "aten.rsub.Scalar" => arith::rsub,
        "aten.floor_divide.default" | "aten.floor_divide.Scalar" => arith::floor_divide,
        "aten.floor_divide_.Tensor" => arith::floor_divide_,
        "aten.remainder.Tensor" | "aten.remainder.Scalar" => arith::remainder,
        "aten.remainder_.Tensor" | "aten.remainder_.Scalar" => arith::remainder_,
        "aten.pow.Tensor_Scalar" | "aten.pow.Tensor_Tensor" | "aten.pow.Scalar" => arith::pow,
        "aten.pow_.Scalar" | "aten.pow_.Tensor" => arith::pow_,
        "aten.minimum.default" => arith::minimum,
        "aten.maximum.default" => arith::maximum,
        "aten.maximum.out" | "aten.minimum.out" => arith::max_min_out,
        "aten.clamp.default" | "aten.clamp.Tensor" => arith::clamp,
        "aten.clamp_.default" | "aten.clamp_.Tensor" => arith::clamp_,
        "aten.clamp_min.default" | "aten.clamp_min.Tensor" => arith::clamp_min,
        "aten.clamp_max.default" | "aten.clamp_max.Tensor" => arith::clamp_max,
        "aten.clamp_min_.default" | "aten.clamp_min_.Tensor" => arith::clamp_min_,
        "aten.clamp_max_.default" | "aten.clamp_max_.Tensor" => arith::clamp_max_,
        "aten.lerp.Scalar" | "aten.lerp.Tensor" => arith::lerp,
        "aten.lerp_.Scalar" | "aten.lerp_.Tensor" => arith::lerp_,
        "aten.addcmul.default" => arith::addcmul,
        "aten.addcmul_.default" => arith::addcmul_,
        "aten.addcdiv.default" => arith::addcdiv,
        "aten.addcdiv_.default" => arith::addcdiv_,
        "aten.neg_.default" => unary::neg_,
        "aten.reciprocal.default" => unary::reciprocal,
        "aten.reciprocal_.default" => unary::reciprocal_,
        "aten.sqrt.default" => unary::sqrt,
        "aten.sqrt_.default" => unary::sqrt_,
        "aten.rsqrt.default" => unary::rsqrt,
        "aten.rsqrt_.default" => unary::rsqrt_,
        "aten.exp.default" => unary::exp,
        "aten.exp_.default" => unary::exp_,
        "aten.log.default" => unary::log,
        "aten.log_.default" => unary::log_,
        "aten.log1p.default" => unary::log1p,
        "aten.log1p_.default" => unary::log1p_,
        "aten.abs.default" => unary::abs,
        "aten.abs_.default" => unary::abs_,
        "aten.sgn.default" | "aten.sign.default" => unary::sign,
        "aten.sin.default" => unary::sin,
        "aten.cos.default" => unary::cos,
        "aten.sinh.default" => trig::sinh,
        "aten.cosh.default" => trig::cosh,
        "aten.tan.default" => trig::tan,
        "aten.atan.default" => trig::atan,
        "aten.asin.default" => trig::asin,
        "aten.acos.default" => trig::acos,
        "aten.atan2.default" => trig::atan2,
        "aten.asinh.default" => trig::asinh,
        "aten.acosh.default" => trig::acosh,
        "aten.atanh.default" => trig::atanh,
        "aten.sin_.default" => trig::sin_,
        "aten.cos_.default" => trig::cos_,
        "aten.tan_.default" => trig::tan_,
        "aten.sinh_.default" => trig::sinh_,
        "aten.cosh_.default" => trig::cosh_,
        "aten.asin_.default" => trig::asin_,
        "aten.acos_.default" => trig::acos_,
        "aten.atan_.default" => trig::atan_,
        "aten.asinh_.default" => trig::asinh_,
        "aten.acosh_.default" => trig::acosh_,
        "aten.atanh_.default" => trig::atanh_,
        "aten.erfc.default" => trig::erfc,
        "aten.copysign.Tensor" | "aten.copysign.Scalar" => trig::copysign,
        "aten.fmax.default" => trig::fmax,
        "aten.fmin.default" => trig::fmin,
        "aten.heaviside.default" => trig::heaviside,
        "aten.signbit.default" => trig::signbit,
        "aten.isposinf.default" => trig::isposinf,
        "aten.isneginf.default" => trig::isneginf,
        "aten.expm1.default" => unary::expm1,
        "aten.exp2.default" => unary::exp2,
        "aten.log2.default" => unary::log2,
        "aten.log10.default" => unary::log10,
        "aten.erf.default" => unary::erf,
        "aten.floor.default" => unary::floor,
        "aten.ceil.default" => unary::ceil,
        "aten.trunc.default" => unary::trunc,
        "aten.round.default" => unary::round,
        "aten.round.decimals" => unary::round_decimals,
        "aten.floor_.default" => unary::floor_,
        "aten.ceil_.default" => unary::ceil_,
        "aten.trunc_.default" => unary::trunc_,
        "aten.round_.default" => unary::round_,
        "aten.frac.default" => unary::frac,
        "aten.nan_to_num.default" => unary::nan_to_num,
        "aten.fmod.Tensor" | "aten.fmod.Scalar" => arith::fmod,
        "aten.fmod_.Tensor" | "aten.fmod_.Scalar" => arith::fmod_,
        "aten.xlogy.Tensor" | "aten.xlogy.Scalar_Other" | "aten.xlogy.Scalar_Self" => {
            log_products::xlogy
        }
        "aten.sgn_.default" | "aten.sign_.default" => unary::sign_,
        _ => return None,
    })
}

fn activations(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.relu_.default" => activation::relu_,
        "aten.gelu.default" => activation::gelu,
        "aten.gelu_.default" => activation::gelu_,
        "aten.gelu_backward.default" => activation::gelu_backward,
        "aten.silu.default" => activation::silu,
        "aten.silu_.default" => activation::silu_,
        "aten.silu_backward.default" => activation::silu_backward,
        "aten.sigmoid.default" => activation::sigmoid,
        "aten.sigmoid_.default" => activation::sigmoid_,
        "aten.sigmoid_backward.default" => activation::sigmoid_backward,
        "aten.tanh.default" => activation::tanh,
        "aten.tanh_.default" => activation::tanh_,
        "aten.tanh_backward.default" => activation::tanh_backward,
        "aten.softplus.default" => activation::softplus,
        "aten.softplus_backward.default" => activation::softplus_backward,
        "aten.leaky_relu.default" => activation::leaky_relu,
        "aten.leaky_relu_.default" => activation::leaky_relu_,
        "aten.leaky_relu_backward.default" => activation::leaky_relu_backward,
        "aten.hardtanh.default" => activation::hardtanh,
        "aten.hardtanh_.default" => activation::hardtanh_,
        "aten.hardtanh_backward.default" => activation::hardtanh_backward,
        "aten.elu.default" => activation::elu,
        "aten.elu_.default" => activation::elu_,
        "aten.elu_backward.default" => activation::elu_backward,
        "aten.celu.default" => activation::celu,
        "aten.celu_.default" => activation::celu_,
        "aten.hardswish.default" => activation::hardswish,
        "aten.hardswish_.default" => activation::hardswish_,
        "aten.hardswish_backward.default" => activation::hardswish_backward,
        "aten.hardsigmoid.default" => activation::hardsigmoid,
        "aten.hardsigmoid_.default" => activation::hardsigmoid_,
        "aten.hardsigmoid_backward.default" => activation::hardsigmoid_backward,
        "aten.mish.default" => activation::mish,
        "aten.mish_.default" => activation::mish_,
        "aten.mish_backward.default" => activation::mish_backward,
        "aten.log_sigmoid_forward.default" => activation::log_sigmoid_forward,
        "aten.log_sigmoid_backward.default" => activation::log_sigmoid_backward,
        "aten.glu.default" => activation::glu,
        "aten.fake_quantize_per_tensor_affine_cachemask.default" => {
            fake_quantize::per_tensor_cachemask
        }
        "aten._fake_quantize_per_tensor_affine_cachemask_tensor_qparams.default" => {
            fake_quantize::per_tensor_cachemask_tensor_qparams
        }
        "aten.fake_quantize_per_channel_affine_cachemask.default" => {
            fake_quantize::per_channel_cachemask
        }
        "aten._fused_moving_avg_obs_fq_helper.default" => {
            fused_observer::fused_moving_avg_obs_fq_helper
        }
        "aten._fake_quantize_learnable_per_tensor_affine.default" => {
            learnable_fake_quantize::learnable_per_tensor
        }
        "aten._fake_quantize_learnable_per_tensor_affine_backward.default" => {
            learnable_fake_quantize::learnable_per_tensor_backward
        }
        "aten.glu_backward.default" => activation::glu_backward,
        "aten.hardshrink.default" => shrink::hardshrink,
        "aten.softshrink.default" => shrink::softshrink,
        "aten.hardshrink_backward.default" | "aten.softshrink_backward.default" => {
            shrink::shrink_backward
        }
        "aten.threshold.default" => shrink::threshold,
        "aten.threshold_.default" => shrink::threshold_,
        _ => return None,
    })
}

fn logic(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.allclose.default" => close::allclose,
        "aten.eq.Scalar" | "aten.eq.Tensor" => compare::eq,
        "aten.ne.Scalar" | "aten.ne.Tensor" => compare::ne,
        "aten.gt.Scalar" | "aten.gt.Tensor" => compare::gt,
        "aten.ge.Scalar" | "aten.ge.Tensor" => compare::ge,
        "aten.lt.Scalar" | "aten.lt.Tensor" => compare::lt,
        "aten.le.Scalar" | "aten.le.Tensor" => compare::le,
        "aten.logical_and.default" => compare::logical_and,
        "aten.logical_and_.default" => compare::logical_and_,
        "aten.logical_or.default" => compare::logical_or,
        "aten.logical_or_.default" => compare::logical_or_,
        "aten.logical_not.default" => compare::logical_not,
        "aten.logical_xor.default" => compare::logical_xor,
        "aten.logical_not_.default" => compare::logical_not_,
        "aten.bitwise_not.default" => compare::bitwise_not,
        "aten.bitwise_not_.default" => compare::bitwise_not_,
        "aten.__lshift__.Tensor"
        | "aten.__lshift__.Scalar"
        | "aten.bitwise_left_shift.Tensor"
        | "aten.bitwise_left_shift.Tensor_Scalar"
        | "aten.bitwise_left_shift.Scalar_Tensor" => compare::left_shift,
        "aten.__ilshift__.Tensor"
        | "aten.__ilshift__.Scalar"
        | "aten.bitwise_left_shift_.Tensor"
        | "aten.bitwise_left_shift_.Tensor_Scalar" => compare::left_shift_,
        "aten.__rshift__.Tensor"
        | "aten.__rshift__.Scalar"
        | "aten.bitwise_right_shift.Tensor"
        | "aten.bitwise_right_shift.Tensor_Scalar"
        | "aten.bitwise_right_shift.Scalar_Tensor" => compare::right_shift,
        "aten.__irshift__.Tensor"
        | "aten.__irshift__.Scalar"
        | "aten.bitwise_right_shift_.Tensor"
        | "aten.bitwise_right_shift_.Tensor_Scalar" => compare::right_shift_,
        "aten.bitwise_and.Tensor" | "aten.bitwise_and.Scalar" => compare::bitwise_and,
        "aten.bitwise_and_.Tensor" | "aten.bitwise_and_.Scalar" => compare::bitwise_and_,
        "aten.bitwise_or.Tensor" | "aten.bitwise_or.Scalar" => compare::bitwise_or,
        "aten.bitwise_or_.Tensor" | "aten.bitwise_or_.Scalar" => compare::bitwise_or_,
        "aten.bitwise_xor.Tensor" | "aten.bitwise_xor.Scalar" => compare::bitwise_xor,
        "aten.bitwise_xor_.Tensor" | "aten.bitwise_xor_.Scalar" => compare::bitwise_xor_,
        "aten.gcd.default" => compare::gcd,
        "aten.gcd_.default" => compare::gcd_,
        "aten.lcm.default" => compare::lcm,
        "aten.lcm_.default" => compare::lcm_,
        "aten.isnan.default" => compare::isnan,
        "aten.isinf.default" => compare::isinf,
        "aten.isin.Tensor_Tensor" | "aten.isin.Tensor_Scalar" | "aten.isin.Scalar_Tensor" => {
            isin::isin
        }
        "aten.where.self" => compare::where_,
        "aten.masked_fill.Scalar" | "aten.masked_fill.Tensor" => compare::masked_fill,
        "aten.masked_fill_.Scalar" | "aten.masked_fill_.Tensor" => compare::masked_fill_,
        _ => return None,
    })
}
