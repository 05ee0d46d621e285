//! The tiny MLP (Linear(4, 8) → ReLU → Linear(8, 1), MSE loss, backward)
//! driven through `Runtime::call` exactly as the Python program's dispatches
//! arrive, with the op sequence checked against torch 2.15.

use ft_runtime::{Device, IValue, Runtime, Tensor};
use ft_trace::ValuePolicy;
use ft_trace::event::Context;

use crate::common::{call1, ops, pops, traced};

/// `nn.Linear(in, out)`'s parameters as PyTorch creates them: `empty` for
/// weight and bias, wrapped as Parameters (aliases), then `uniform_` under
/// `no_grad` (the bounds are what `kaiming_uniform_` computes).
pub fn linear_params(rt: &mut Runtime, inp: i64, out: i64) -> (Tensor, Tensor) {
    let empty = |rt: &mut Runtime, size: Vec<i64>| {
        call1(
            rt,
            "aten.empty.memory_format",
            vec![
                IValue::IntList(size),
                IValue::None,
                IValue::None,
                IValue::Device(Device::Cpu),
                IValue::Bool(false),
                IValue::None,
            ],
        )
    };
    let w0 = empty(rt, vec![out, inp]);
    let b0 = empty(rt, vec![out]);
    let w = rt
        .introduce_alias(&w0, &[out, inp], &[inp, 1], 0, true)
        .expect("weight");
    let b = rt
        .introduce_alias(&b0, &[out], &[1], 0, true)
        .expect("bias");
    let bound = 1.0 / (inp as f64).sqrt();
    rt.set_grad_mode(false, false);
    call1(
        rt,
        "aten.uniform_.default",
        vec![(&w).into(), IValue::Float(-bound), IValue::Float(bound)],
    );
    call1(
        rt,
        "aten.uniform_.default",
        vec![(&b).into(), IValue::Float(-bound), IValue::Float(bound)],
    );
    rt.set_grad_mode(true, false);
    (w, b)
}

pub fn randn(rt: &mut Runtime, size: Vec<i64>) -> Tensor {
    call1(
        rt,
        "aten.randn.default",
        vec![
            IValue::IntList(size),
            IValue::None,
            IValue::None,
            IValue::Device(Device::Cpu),
            IValue::Bool(false),
        ],
    )
}

/// `nn.Linear.forward` on a matrix: `aten.t` then `aten.addmm`.
pub fn linear(rt: &mut Runtime, x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    let wt = call1(rt, "aten.t.default", vec![w.into()]);
    call1(
        rt,
        "aten.addmm.default",
        vec![b.into(), x.into(), wt.into()],
    )
}

/// The whole program; returns (w1, b1, w2, b2, x, y, loss).
pub fn tiny_mlp(rt: &mut Runtime) -> [Tensor; 7] {
    rt.manual_seed(0);
    let (w1, b1) = linear_params(rt, 4, 8);
    let (w2, b2) = linear_params(rt, 8, 1);
    let x = randn(rt, vec![16, 4]);
    let y = randn(rt, vec![16, 1]);
    let h = linear(rt, &x, &w1, &b1);
    let h = call1(rt, "aten.relu.default", vec![h.into()]);
    let out = linear(rt, &h, &w2, &b2);
    let loss = call1(
        rt,
        "aten.mse_loss.default",
        vec![out.into(), y.clone().into()],
    );
    rt.backward(std::slice::from_ref(&loss), &[None], false, false)
        .expect("backward");
    [w1, b1, w2, b2, x, y, loss]
}

/// Observed from torch 2.15 with a TorchDispatchMode on this program (the
/// two mode-induced `aten.detach` calls of relu's saved result dropped, as
/// FORMAT §3.6 rule 6 says).
const TORCH_OPS: &[&str] = &[
    // nn.Linear(4, 8), nn.Linear(8, 1)
    "aten.empty.memory_format",
    "aten.empty.memory_format",
    "aten.uniform_.default",
    "aten.uniform_.default",
    "aten.empty.memory_format",
    "aten.empty.memory_format",
    "aten.uniform_.default",
    "aten.uniform_.default",
    // data
    "aten.randn.default",
    "aten.randn.default",
    // forward
    "aten.t.default",
    "aten.addmm.default",
    "aten.relu.default",
    "aten.t.default",
    "aten.addmm.default",
    "aten.mse_loss.default",
    // backward: implicit gradient
    "aten.ones_like.default",
    // MseLossBackward0
    "aten.mse_loss_backward.default",
    // AddmmBackward0 (layer 2): mat1 grad, mat2 grad (column-major form),
    // then validate_outputs' sum_to of the bias grad
    "aten.t.default",
    "aten.mm.default",
    "aten.t.default",
    "aten.mm.default",
    "aten.t.default",
    "aten.sum.dim_IntList",
    "aten.view.default",
    // AccumulateGrad (b2) steals the gradient
    "aten.detach.default",
    // TBackward0, AccumulateGrad (w2)
    "aten.t.default",
    "aten.detach.default",
    // ReluBackward0
    "aten.threshold_backward.default",
    // AddmmBackward0 (layer 1): x needs no grad
    "aten.t.default",
    "aten.mm.default",
    "aten.t.default",
    "aten.sum.dim_IntList",
    "aten.view.default",
    // AccumulateGrad (b1), TBackward0, AccumulateGrad (w1)
    "aten.detach.default",
    "aten.t.default",
    "aten.detach.default",
];

#[test]
fn tiny_mlp_dispatches_what_torch_dispatches() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    tiny_mlp(&mut rt);
    let sink = sink.borrow();
    let ops = ops(sink.events());
    let names: Vec<&str> = ops.iter().map(|o| o.op.as_str()).collect();
    assert_eq!(names, TORCH_OPS);

    // Contexts: the program's ops at top level, the implicit ones_like in
    // backward() outside any node, everything else inside a node.
    let first_backward = names
        .iter()
        .position(|n| *n == "aten.ones_like.default")
        .expect("ones_like");
    for (i, op) in ops.iter().enumerate() {
        let want_top = i < first_backward;
        match op.context {
            Context::TopLevel => assert!(want_top, "{} at {i} is top level", op.op),
            Context::Backward => assert_eq!(i, first_backward),
            Context::Node(_) => assert!(i > first_backward, "{} at {i} in a node", op.op),
        }
    }

    // The engine's schedule, as torch's node pre-hooks observed it.
    assert_eq!(
        pops(sink.events()),
        [
            "MseLossBackward0",
            "AddmmBackward0",
            "AccumulateGrad",
            "TBackward0",
            "AccumulateGrad",
            "ReluBackward0",
            "AddmmBackward0",
            "AccumulateGrad",
            "TBackward0",
            "AccumulateGrad",
        ]
    );
}

#[test]
fn tiny_mlp_leaves_gradients_with_parameter_layouts() {
    let mut rt = Runtime::new();
    let [w1, b1, w2, b2, ..] = tiny_mlp(&mut rt);
    for p in [&w1, &b1, &w2, &b2] {
        let g = p.grad().expect("gradient");
        assert_eq!(g.shape(), p.shape());
        assert_eq!(g.stride(), p.stride());
        assert!(!g.requires_grad());
    }
    // Parameters were written once by uniform_.
    assert_eq!(w1.version(), 1);
}
