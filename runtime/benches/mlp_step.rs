//! Speed of the runtime on dense CPU tensors: one untraced training step of
//! the long-run workload (`bench/programs/mlp_long.py`: Linear 256→256, ReLU,
//! Linear 256→256, ReLU, Linear 256→10, batch 64, cross-entropy, SGD with
//! momentum 0.9, `foreach=False`), driven through `Runtime::call` with the
//! operator sequence torch 2.15 dispatches, plus the step's hot kernels one
//! by one.
//!
//! `cargo bench -p ft-runtime --bench mlp_step`; `scripts/bench_runtime.py`
//! runs the same step in PyTorch (one thread) and this bench, side by side,
//! and prints the ratio.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ft_runtime::{Device, IValue, Runtime, Tensor};

const BATCH: i64 = 64;
const WIDTH: i64 = 256;
const CLASSES: i64 = 10;
const LR: f64 = 0.05;
const MOMENTUM: f64 = 0.9;

fn call1(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Tensor {
    rt.call(op, args)
        .unwrap_or_else(|e| panic!("{op}: {e}"))
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .unwrap_or_else(|| panic!("{op} returned no tensor"))
}

/// `nn.Linear(inp, out)`'s parameters: `empty`, wrapped as Parameters, then
/// `uniform_` under `no_grad` with `kaiming_uniform_`'s bound.
fn linear_params(rt: &mut Runtime, inp: i64, out: i64) -> [Tensor; 2] {
    let bound = 1.0 / (inp as f64).sqrt();
    let mut make = |size: Vec<i64>| {
        let strides = contiguous(&size);
        let empty = call1(
            rt,
            "aten.empty.memory_format",
            vec![
                IValue::IntList(size.clone()),
                IValue::None,
                IValue::None,
                IValue::Device(Device::Cpu),
                IValue::Bool(false),
                IValue::None,
            ],
        );
        let p = rt
            .introduce_alias(&empty, &size, &strides, 0, true)
            .expect("parameter");
        rt.set_grad_mode(false, false);
        call1(
            rt,
            "aten.uniform_.default",
            vec![(&p).into(), IValue::Float(-bound), IValue::Float(bound)],
        );
        rt.set_grad_mode(true, false);
        p
    };
    [make(vec![out, inp]), make(vec![out])]
}

fn contiguous(shape: &[i64]) -> Vec<i64> {
    let mut strides = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1].max(1);
    }
    strides
}

/// The network, its data and the optimizer state.
struct Mlp {
    rt: Runtime,
    params: Vec<Tensor>,
    momentum: Vec<Option<Tensor>>,
    x: Tensor,
    y: Tensor,
}

impl Mlp {
    fn new() -> Mlp {
        let mut rt = Runtime::new();
        rt.manual_seed(0);
        let mut params = Vec::new();
        for (inp, out) in [(WIDTH, WIDTH), (WIDTH, WIDTH), (WIDTH, CLASSES)] {
            params.extend(linear_params(&mut rt, inp, out));
        }
        let x = call1(
            &mut rt,
            "aten.randn.default",
            vec![
                IValue::IntList(vec![BATCH, WIDTH]),
                IValue::None,
                IValue::None,
                IValue::Device(Device::Cpu),
                IValue::Bool(false),
            ],
        );
        let labels: Vec<u8> = (0..BATCH)
            .flat_map(|i| ((i * 7) % CLASSES).to_le_bytes())
            .collect();
        let y = rt
            .introduce_tensor("int64", &[BATCH], &[1], 0, &labels, false)
            .expect("labels");
        let momentum = vec![None; params.len()];
        Mlp {
            rt,
            params,
            momentum,
            x,
            y,
        }
    }

    /// `opt.zero_grad(); loss_fn(net(x), y).backward(); opt.step()`; returns
    /// the loss.
    fn step(&mut self) -> Tensor {
        let rt = &mut self.rt;
        for p in &self.params {
            rt.set_grad(p, None).expect("zero_grad");
        }
        let mut h = self.x.clone();
        for (layer, pair) in self.params.chunks_exact(2).enumerate() {
            let wt = call1(rt, "aten.t.default", vec![(&pair[0]).into()]);
            h = call1(
                rt,
                "aten.addmm.default",
                vec![(&pair[1]).into(), h.into(), wt.into()],
            );
            if layer < 2 {
                h = call1(rt, "aten.relu.default", vec![h.into()]);
            }
        }
        let logp = call1(
            rt,
            "aten._log_softmax.default",
            vec![h.into(), IValue::Int(1), IValue::Bool(false)],
        );
        let loss = call1(
            rt,
            "aten.nll_loss_forward.default",
            vec![
                logp.into(),
                (&self.y).into(),
                IValue::None,
                IValue::Int(1),
                IValue::Int(-100),
            ],
        );
        rt.backward(std::slice::from_ref(&loss), &[None], false, false)
            .expect("backward");
        rt.set_grad_mode(false, false);
        for (p, buf) in self.params.iter().zip(&mut self.momentum) {
            let grad = p.grad().expect("every parameter has a gradient");
            let b = match buf.take() {
                None => {
                    let c = call1(rt, "aten.clone.default", vec![(&grad).into()]);
                    call1(rt, "aten.detach.default", vec![c.into()])
                }
                Some(b) => {
                    call1(
                        rt,
                        "aten.mul_.Tensor",
                        vec![(&b).into(), IValue::Float(MOMENTUM)],
                    );
                    call1(rt, "aten.add_.Tensor", vec![(&b).into(), grad.into()]);
                    b
                }
            };
            call1(
                rt,
                "aten.add_.Tensor",
                vec![p.into(), (&b).into(), IValue::Float(-LR)],
            );
            *buf = Some(b);
        }
        rt.set_grad_mode(true, false);
        loss
    }
}

fn operand(rt: &mut Runtime, shape: &[i64], transposed: bool) -> Tensor {
    let numel: i64 = shape.iter().product();
    let values: Vec<f32> = (0..numel).map(|i| ((i % 13) as f32 - 6.0) * 0.1).collect();
    let t = rt
        .introduce_tensor_f32(shape, &contiguous(shape), 0, &values, false)
        .expect("operand");
    if transposed {
        call1(rt, "aten.t.default", vec![t.into()])
    } else {
        t
    }
}

fn step(c: &mut Criterion) {
    let mut mlp = Mlp::new();
    // the first step creates the momentum buffers; time the steady state
    mlp.step();
    c.bench_function("mlp_step/step", |b| b.iter(|| black_box(mlp.step())));
}

/// The step's kernels at its sizes, each called on its own.
fn kernels(c: &mut Criterion) {
    let mut rt = Runtime::new();
    let x = operand(&mut rt, &[BATCH, WIDTH], false);
    let wt = operand(&mut rt, &[WIDTH, WIDTH], true);
    let xt = operand(&mut rt, &[BATCH, WIDTH], true);
    let bias = operand(&mut rt, &[WIDTH], false);
    let w = operand(&mut rt, &[WIDTH, WIDTH], false);
    let mut g = c.benchmark_group("mlp_step/kernel");
    let mut bench = |name: &str, op: &str, args: Vec<IValue>| {
        g.bench_function(name, |b| {
            b.iter(|| black_box(rt.call(op, args.clone()).expect("kernel")))
        });
    };
    bench(
        "addmm_64x256x256",
        "aten.addmm.default",
        vec![(&bias).into(), (&x).into(), (&wt).into()],
    );
    bench(
        "mm_64x256x256",
        "aten.mm.default",
        vec![(&x).into(), (&w).into()],
    );
    bench(
        "mm_256x64x256_t",
        "aten.mm.default",
        vec![(&xt).into(), (&x).into()],
    );
    bench("relu_64x256", "aten.relu.default", vec![(&x).into()]);
    bench(
        "threshold_backward_64x256",
        "aten.threshold_backward.default",
        vec![(&x).into(), (&x).into(), IValue::Int(0)],
    );
    bench(
        "sum_dim0_64x256",
        "aten.sum.dim_IntList",
        vec![(&x).into(), IValue::IntList(vec![0]), IValue::Bool(true)],
    );
    bench(
        "add_256x256",
        "aten.add.Tensor",
        vec![(&w).into(), (&w).into(), IValue::Float(-LR)],
    );
    g.finish();
}

criterion_group!(benches, step, kernels);
criterion_main!(benches);
