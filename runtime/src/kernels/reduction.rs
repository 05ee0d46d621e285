//! CPU (and meta) kernels of the reductions, factories and random operators.
//!
//! | submodule | operators |
//! |---|---|
//! | [`stats`] | `mean`, `var`/`std`/`var_mean`/`std_mean` (`.correction`), `prod`, `linalg_vector_norm`, `logsumexp`, `dist` |
//! | [`extrema`] | `max`/`min` (all-reduce and `.dim`), `amax`/`amin`, `argmax`/`argmin` |
//! | [`scan`] | `cumsum`, `cumprod` |
//! | [`logic`] | `all`/`any` |
//! | [`scalar`] | `_local_scalar_dense` (`Tensor.item()`) |
//! | [`factories`] | `arange`, `full`, `full_like`, `new_*`, `scalar_tensor`, `lift_fresh`, `eye` |
//! | [`sampling`] | `randint`, `randperm`, `bernoulli`, `multinomial`, `rand*_like`, `random_`, `exponential_`, `normal` (tensor moments and `float_float`) |
//! | [`distributions`] | `_standard_gamma`, `_sample_dirichlet`, `poisson`, `binomial`, `_standard_gamma_grad`, `_dirichlet_grad` ([`reparam`]) |
//!
//! `sum` lives in `kernels::reduce`; `zeros`/`ones`/`randn`/`rand`/
//! `uniform_`/`normal_` in `kernels::factory`.

pub(super) mod dims;
mod distributions;
mod draws;
mod extrema;
mod factories;
mod logcumsumexp;
mod logic;
mod norm_order;
mod product_order;
mod ranges;
mod reduced_layout;
mod reparam;
mod sampling;
mod scalar;
mod scan;
pub(super) mod sorting;
pub(super) mod stats;

pub(crate) use ranges::{values as linspace_values, values_as as linspace_values_as};
pub(crate) use sorting::descending_stable_order;

use super::Kernel;

/// The kernel of `op` if it belongs to this family.
pub(crate) fn lookup(op: &str) -> Option<Kernel> {
    reductions(op)
        .or_else(|| factory_ops(op))
        .or_else(|| random_ops(op))
}

fn reductions(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.mean.default" => stats::mean,
        "aten.mean.dim" => stats::mean_dim,
        "aten.var.correction" => stats::var,
        "aten.std.correction" => stats::std,
        "aten.var_mean.correction" => stats::var_mean,
        "aten.std_mean.correction" => stats::std_mean,
        "aten.logsumexp.default" => stats::logsumexp,
        "aten.prod.default" => stats::prod,
        "aten.prod.dim_int" => stats::prod_dim,
        "aten.linalg_vector_norm.default" => stats::linalg_vector_norm,
        "aten.norm.ScalarOpt_dim" => stats::norm_scalaropt_dim,
        "aten.norm.Scalar" => stats::norm_scalar,
        "aten.dist.default" => stats::dist,
        "aten.max.default" => extrema::max,
        "aten.min.default" => extrema::min,
        "aten.max.dim" => extrema::max_dim,
        "aten.min.dim" => extrema::min_dim,
        "aten.amax.default" => extrema::amax,
        "aten.aminmax.default" => extrema::aminmax,
        "aten.amin.default" => extrema::amin,
        "aten.argmax.default" => extrema::argmax,
        "aten.argmin.default" => extrema::argmin,
        "aten.topk.default" => sorting::topk,
        "aten.sort.default" | "aten.sort.stable" => sorting::sort,
        "aten.cumsum.default" => scan::cumsum,
        "aten.cumprod.default" => scan::cumprod,
        "aten.logcumsumexp.default" => logcumsumexp::logcumsumexp,
        "aten.all.default" => logic::all,
        "aten.any.default" => logic::any,
        "aten.all.dim" => logic::all_dim,
        "aten.any.dim" => logic::any_dim,
        "aten.all.dims" => logic::all_dims,
        "aten.any.dims" => logic::any_dims,
        "aten._is_all_true.default" => logic::is_all_true,
        "aten._is_any_true.default" => logic::is_any_true,
        "aten._local_scalar_dense.default" => scalar::local_scalar_dense,
        _ => return None,
    })
}

fn factory_ops(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.arange.default" => factories::arange,
        "aten.arange.start" => factories::arange_start,
        "aten.arange.start_step" => factories::arange_start_step,
        "aten.full.default" => factories::full,
        "aten.full_like.default" => factories::full_like,
        "aten.new_zeros.default" => factories::new_zeros,
        "aten.new_ones.default" => factories::new_ones,
        "aten.new_full.default" => factories::new_full,
        "aten.new_empty.default" => factories::new_empty,
        "aten.scalar_tensor.default" => factories::scalar_tensor,
        "aten.lift_fresh.default" => factories::lift_fresh,
        "aten.eye.default" => factories::eye,
        "aten.linspace.default" => ranges::linspace,
        "aten.logspace.default" => ranges::logspace,
        "aten.eye.m" => factories::eye_m,
        "aten.eye.out" => factories::eye_out,
        "aten.eye.m_out" => factories::eye_m_out,
        _ => return None,
    })
}

fn random_ops(op: &str) -> Option<Kernel> {
    Some(match op {
        "aten.randint.default" => sampling::randint,
        "aten.randint.generator" => sampling::randint_generator,
        "aten.randint.low" => sampling::randint_low,
        "aten.randint.low_generator" => sampling::randint_low_generator,
        "aten.randint_like.default" => sampling::randint_like,
        "aten.randint_like.generator" => sampling::randint_like_generator,
        "aten.randint_like.low_dtype" => sampling::randint_like_low,
        "aten.randint_like.low_generator_dtype" => sampling::randint_like_low_generator,
        "aten.randperm.default" => sampling::randperm,
        "aten.randperm.generator" => sampling::randperm_generator,
        "aten.rand_like.default" => sampling::rand_like,
        "aten.rand_like.generator" => sampling::rand_like_generator,
        "aten.randn_like.default" => sampling::randn_like,
        "aten.randn_like.generator" => sampling::randn_like_generator,
        "aten.bernoulli_.float" => sampling::bernoulli_float_,
        "aten.bernoulli_.Tensor" => sampling::bernoulli_tensor_,
        "aten.bernoulli.default" => sampling::bernoulli,
        "aten.bernoulli.p" => sampling::bernoulli_p,
        "aten.multinomial.default" => sampling::multinomial,
        "aten.random_.default" => sampling::random_,
        "aten.random_.from" => sampling::random_from,
        "aten.random_.to" => sampling::random_to,
        "aten.exponential_.default" => sampling::exponential_,
        "aten.cauchy_.default" => draws::cauchy_,
        "aten.log_normal_.default" => draws::log_normal_,
        "aten.geometric_.default" => draws::geometric_,
        "aten.normal.Tensor_float" => sampling::normal_tensor_float,
        "aten.normal.float_Tensor" => sampling::normal_float_tensor,
        "aten.normal.Tensor_Tensor" => sampling::normal_tensor_tensor,
        "aten.normal.float_float" => sampling::normal_float_float,
        "aten._standard_gamma.default" => distributions::standard_gamma,
        "aten._sample_dirichlet.default" => distributions::sample_dirichlet,
        "aten.poisson.default" => distributions::poisson,
        "aten.binomial.default" => distributions::binomial,
        "aten._standard_gamma_grad.default" => distributions::standard_gamma_grad_kernel,
        "aten._dirichlet_grad.default" => distributions::dirichlet_grad_kernel,
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
