//! Backward functions of backward operators (double backward).
//!
//! With `create_graph=True` the operators a backward formula dispatches run
//! with grad mode on, so each records a node of its own. Most of them are
//! ordinary forward operators (`mul`, `mm`, `t`, `sum`, ...); the kernels
//! that exist only for backward (`tanh_backward`, `threshold_backward`,
//! `mse_loss_backward`, ...) get the nodes here, named as PyTorch names them
//! (`TanhBackwardBackward0`), and so does `copy_` (`CopyBackwards`), which
//! AccumulateGrad dispatches when grad mode is on.
//!
//! Each formula makes PyTorch's calls in PyTorch's order (derivatives.yaml
//! and its helpers, observed in torch 2.15 through the ops each node
//! dispatches when a second backward runs through it): gradients in
//! alphabetical order of the inputs' names (`grad_output` before `output`
//! or `self`), and inside one C++ expression the operands of a call or
//! binary operator evaluated right to left.

pub(crate) mod activation;
pub(crate) mod batch_norm;
pub(crate) mod bce;
pub(crate) mod cdist;
pub(crate) mod conv;
pub(crate) mod copy;
pub(crate) mod differentiable;
pub(crate) mod glu;
pub(crate) mod loss;
pub(crate) mod norm;
pub(crate) mod not_implemented;
pub(crate) mod pool;
pub(crate) mod prelu;
pub(crate) mod shape;
pub(crate) mod softmax;

use crate::autograd::BackwardCtx;
use crate::autograd::saved::SavedVariable;
use crate::error::{Result, RuntimeError};
use crate::ivalue::IValue;
use crate::tensor::Tensor;

/// Dispatches `op` and returns its tensor result.
fn call(ctx: &mut BackwardCtx<'_>, op: &str, args: Vec<IValue>) -> Result<Tensor> {
    ctx.rt.elementwise().call(op, args)
}

/// Unpacks a tensor the node saved because an edge that needs it was
/// live when the node was built.
fn unpack(ctx: &BackwardCtx<'_>, saved: &Option<SavedVariable>) -> Result<Tensor> {
    saved
        .as_ref()
        .ok_or_else(|| RuntimeError::GraphFreed {
            node: ctx.node.name().to_owned(),
        })?
        .unpack(ctx.node)
}

/// Frees an optional saved tensor.
fn release(saved: &mut Option<SavedVariable>) {
    if let Some(s) = saved {
        s.release();
    }
}

/// Saves `t` when `keep`.
pub(crate) fn save_if(keep: bool, t: &Tensor) -> Option<SavedVariable> {
    keep.then(|| SavedVariable::input(t))
}

#[cfg(test)]
mod tests {
    use crate::ivalue::IValue;
    use crate::runtime::Runtime;
    use crate::tensor::Tensor;

    fn call1(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Tensor {
        rt.call(op, args).expect("call")[0]
            .as_tensor()
            .expect("tensor")
            .clone()
    }

    /// `sum(tanh(x)²)` backward with `create_graph`, then the squared
    /// gradient backward: the gradient has history (CopyBackwards over
    /// TanhBackwardBackward0) and the second derivative is right.
    #[test]
    fn a_gradient_taken_with_create_graph_can_be_differentiated_again() {
        let mut rt = Runtime::new();
        let xs = [0.5f32, -1.0, 2.0];
        let x = rt
            .introduce_tensor_f32(&[3], &[1], 0, &xs, true)
            .expect("leaf");
        let t = call1(&mut rt, "aten.tanh.default", vec![(&x).into()]);
        let sq = call1(&mut rt, "aten.mul.Tensor", vec![(&t).into(), (&t).into()]);
        let y = call1(&mut rt, "aten.sum.default", vec![(&sq).into()]);
        rt.backward(&[y], &[None], true, true)
            .expect("first backward");
        let g = x.grad().expect("grad");
        assert_eq!(g.grad_fn_name().as_deref(), Some("CopyBackwards"));
        let gg = call1(&mut rt, "aten.mul.Tensor", vec![(&g).into(), (&g).into()]);
        let z = call1(&mut rt, "aten.sum.default", vec![(&gg).into()]);
        rt.backward(&[z], &[None], false, false)
            .expect("second backward");
        // g = 2 t (1 - t²); dg/dx = 2 (1 - t²)(1 - 3 t²); x.grad = g + 2 g dg/dx.
        let got = x.grad().expect("grad").to_f32_vec().expect("values");
        for (v, x0) in got.iter().zip(xs) {
            let t = f64::from(x0).tanh();
            let g = 2.0 * t * (1.0 - t * t);
            let dg = 2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t);
            let want = g + 2.0 * g * dg;
            assert!((f64::from(*v) - want).abs() < 1e-5, "{v} vs {want}");
        }
    }

    /// A second `create_graph` backward into a leaf that has a `.grad`
    /// replaces it with `grad + new` (AddBackward0), out of place.
    #[test]
    fn accumulating_with_grad_mode_on_adds_out_of_place() {
        let mut rt = Runtime::new();
        let x = rt
            .introduce_tensor_f32(&[2], &[1], 0, &[1.0, 2.0], true)
            .expect("leaf");
        for _ in 0..2 {
            let sq = call1(&mut rt, "aten.mul.Tensor", vec![(&x).into(), (&x).into()]);
            let y = call1(&mut rt, "aten.sum.default", vec![(&sq).into()]);
            rt.backward(&[y], &[None], true, true).expect("backward");
        }
        let g = x.grad().expect("grad");
        assert_eq!(g.grad_fn_name().as_deref(), Some("AddBackward0"));
        assert_eq!(g.to_f32_vec().expect("values"), vec![4.0, 8.0]);
    }
}
