//! Keysets and key walks per operator class, as torch 2.15's dispatch keys,
//! TLS sets and dispatch tables give them (docs/CAPTURE.md §7 lists the
//! corpus's).

use ft_runtime::{Device, IValue, MemoryFormat, Runtime};
use ft_trace::event::{Context, DeviceEvent, OpCall};
use ft_trace::{EventBody, ValuePolicy};

use crate::common::{call1, ops, tensor, traced};

const CPU_KEYSET: [&str; 4] = ["AutogradCPU", "ADInplaceOrView", "BackendSelect", "CPU"];

fn chain(op: &OpCall) -> Vec<(String, String)> {
    op.chain
        .iter()
        .map(|s| (s.key.to_string(), s.handler.to_string()))
        .collect()
}

fn steps(steps: &[(&str, &str)]) -> Vec<(String, String)> {
    steps
        .iter()
        .map(|(k, h)| ((*k).to_owned(), (*h).to_owned()))
        .collect()
}

fn find<'a>(ops: &'a [&'a OpCall], name: &str) -> &'a OpCall {
    ops.iter()
        .find(|o| o.op == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn pointwise_walks_autograd_then_falls_through_to_cpu() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], false);
    call1(&mut rt, "aten.mul.Tensor", vec![(&x).into(), (&x).into()]);
    // Grad mode is a flag, not a key: under no_grad the walk is the same.
    rt.set_grad_mode(false, false);
    call1(&mut rt, "aten.relu.default", vec![(&x).into()]);
    let sink = sink.borrow();
    for op in ops(sink.events()) {
        assert_eq!(*op.keyset, CPU_KEYSET);
        assert_eq!(
            chain(op),
            steps(&[
                ("AutogradCPU", "autograd"),
                ("ADInplaceOrView", "fallthrough"),
                ("BackendSelect", "fallthrough"),
                ("CPU", "kernel")
            ])
        );
    }
}

#[test]
fn inplace_and_view_ops_have_an_ad_inplace_or_view_kernel() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2, 2], &[1.0, 2.0, 3.0, 4.0], false);
    let y = tensor(&mut rt, &[2, 2], &[1.0; 4], false);
    call1(&mut rt, "aten.add_.Tensor", vec![(&x).into(), (&y).into()]);
    call1(&mut rt, "aten.t.default", vec![(&x).into()]);
    call1(&mut rt, "aten.detach.default", vec![(&x).into()]);
    let sink = sink.borrow();
    let want = steps(&[
        ("AutogradCPU", "autograd"),
        ("ADInplaceOrView", "kernel"),
        ("BackendSelect", "fallthrough"),
        ("CPU", "kernel"),
    ]);
    for op in ops(sink.events()) {
        assert_eq!(chain(op), want, "{}", op.op);
    }
    // The in-place op bumped the version: argument before, output after.
    let add = ops(sink.events())[0];
    assert_eq!(add.args[0].1.as_tensor().map(|t| t.version), Some(0));
    assert_eq!(add.outputs[0].as_tensor().map(|t| t.version), Some(1));
    assert_eq!(x.version(), 1);
}

#[test]
fn python_factories_run_below_autograd() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let r = crate::mlp::randn(&mut rt, vec![2, 3]);
    call1(
        &mut rt,
        "aten.ones_like.default",
        vec![
            (&r).into(),
            IValue::None,
            IValue::None,
            IValue::None,
            IValue::Bool(false),
            IValue::MemoryFormat(MemoryFormat::Preserve),
        ],
    );
    call1(
        &mut rt,
        "aten.zeros.default",
        vec![IValue::IntList(vec![2])],
    );
    let sink = sink.borrow();
    let ops = ops(sink.events());
    let randn = find(&ops, "aten.randn.default");
    assert_eq!(*randn.keyset, ["BackendSelect"]);
    assert_eq!(
        chain(randn),
        steps(&[("BackendSelect", "kernel"), ("CPU", "kernel")])
    );
    let ones = find(&ops, "aten.ones_like.default");
    assert_eq!(*ones.keyset, ["BackendSelect", "CPU"]);
    assert_eq!(
        chain(ones),
        steps(&[("BackendSelect", "fallthrough"), ("CPU", "kernel")])
    );
    let zeros = find(&ops, "aten.zeros.default");
    assert_eq!(
        chain(zeros),
        steps(&[("BackendSelect", "kernel"), ("CPU", "kernel")])
    );
}

#[test]
fn backward_factories_and_accumulation_walk_the_full_chain() {
    // ones_like of backward(): Python factory, context "backward";
    // new_empty_strided + copy_ of AccumulateGrad: C++ calls, full chain.
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[3], &[1.0, 2.0, 3.0], true);
    let y = call1(&mut rt, "aten.sum.default", vec![(&x).into()]);
    rt.backward(&[y], &[None], false, false).expect("backward");
    let sink = sink.borrow();
    let ops = ops(sink.events());
    let ones = find(&ops, "aten.ones_like.default");
    assert_eq!(ones.context, Context::Backward);
    assert_eq!(
        chain(ones),
        steps(&[("BackendSelect", "fallthrough"), ("CPU", "kernel")])
    );
    // The gradient is an expand (stride 0): it breaks the layout contract,
    // so AccumulateGrad copies it into the leaf's strides.
    for name in [
        "aten.expand.default",
        "aten.new_empty_strided.default",
        "aten.copy_.default",
    ] {
        let op = find(&ops, name);
        assert_eq!(*op.keyset, CPU_KEYSET, "{name}");
        assert!(matches!(op.context, Context::Node(_)), "{name}");
        assert_eq!(op.chain[0].handler, "autograd");
    }
    let nes = find(&ops, "aten.new_empty_strided.default");
    assert!(
        nes.outputs[0]
            .as_tensor()
            .is_some_and(|t| t.value.is_none())
    );
    assert_eq!(nes.args[3].1, ft_trace::Value::Dtype("float32".into()));
    assert_eq!(nes.args[5].1, ft_trace::Value::Device("cpu".into()));
}

#[test]
fn inference_mode_drops_the_autograd_keys() {
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    rt.set_grad_mode(false, true);
    let y = call1(
        &mut rt,
        "aten.mul.Tensor",
        vec![(&x).into(), IValue::Int(2)],
    );
    assert!(y.is_inference());
    call1(&mut rt, "aten.neg.default", vec![(&y).into()]);
    let sink = sink.borrow();
    let ops = ops(sink.events());
    // A normal tensor keeps ADInplaceOrView; an inference tensor has neither.
    assert_eq!(*ops[0].keyset, ["ADInplaceOrView", "BackendSelect", "CPU"]);
    assert_eq!(*ops[1].keyset, ["BackendSelect", "CPU"]);
    assert_eq!(
        chain(ops[1]),
        steps(&[("BackendSelect", "fallthrough"), ("CPU", "kernel")])
    );
}

#[test]
fn meta_tensors_walk_autograd_meta_and_copies_record_transfers() {
    let (mut rt, sink) = traced(ValuePolicy::All);
    let x = tensor(&mut rt, &[2, 3], &[1.0; 6], true);
    let m = call1(
        &mut rt,
        "aten._to_copy.default",
        vec![
            (&x).into(),
            IValue::None,
            IValue::None,
            IValue::Device(Device::Meta),
        ],
    );
    assert_eq!(m.device(), Device::Meta);
    assert!(!m.has_data());
    let r = call1(
        &mut rt,
        "aten.randn.default",
        vec![
            IValue::IntList(vec![2, 3]),
            IValue::None,
            IValue::None,
            IValue::Device(Device::Meta),
            IValue::Bool(false),
        ],
    );
    call1(&mut rt, "aten.mul.Tensor", vec![(&m).into(), (&r).into()]);
    let sink = sink.borrow();
    let ops = ops(sink.events());
    let to_copy = find(&ops, "aten._to_copy.default");
    assert_eq!(
        chain(to_copy),
        steps(&[
            ("AutogradCPU", "autograd"),
            ("ADInplaceOrView", "fallthrough"),
            ("BackendSelect", "kernel"),
            ("Meta", "kernel")
        ])
    );
    // Meta outputs never carry values.
    assert!(
        to_copy.outputs[0]
            .as_tensor()
            .is_some_and(|t| t.value.is_none() && t.device == "meta")
    );
    let randn = find(&ops, "aten.randn.default");
    assert_eq!(
        chain(randn),
        steps(&[("BackendSelect", "kernel"), ("Meta", "kernel")])
    );
    let mul = find(&ops, "aten.mul.Tensor");
    assert_eq!(
        *mul.keyset,
        ["AutogradMeta", "ADInplaceOrView", "BackendSelect", "Meta"]
    );
    // The copy is followed (after its node) by a transfer cpu → meta; cpu
    // and meta have no current device, so there are no guard events.
    let device_events: Vec<&DeviceEvent> = sink
        .events()
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Device(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(device_events.len(), 1);
    assert!(
        matches!(device_events[0], DeviceEvent::Transfer(t) if t.from == "cpu" && t.to == "meta")
    );
}

#[test]
fn composite_implicit_ops_are_not_events_their_parts_are() {
    // aten.linear decomposes at AutogradCPU (math): a dispatch mode sees
    // aten.t and aten.addmm, never aten.linear.
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[5, 3], &[1.0; 15], false);
    let w = tensor(&mut rt, &[2, 3], &[1.0; 6], true);
    let b = tensor(&mut rt, &[2], &[0.5; 2], true);
    let out = call1(
        &mut rt,
        "aten.linear.default",
        vec![(&x).into(), (&w).into(), (&b).into()],
    );
    assert_eq!(out.shape(), &[5, 2]);
    assert_eq!(out.grad_fn_name().as_deref(), Some("AddmmBackward0"));
    let names: Vec<String> = ops(sink.borrow().events())
        .iter()
        .map(|o| o.op.to_string())
        .collect();
    assert_eq!(names, ["aten.t.default", "aten.addmm.default"]);
    assert!(
        Runtime::registry()
            .and_then(|r| r
                .get("aten.linear.default")
                .map(|e| e.is_composite_implicit()))
            .expect("linear")
    );
}

#[test]
fn a_top_level_call_enters_as_its_caller_did() {
    // Observed in torch 2.15 with kernels registered at AutogradCPU and
    // ADInplaceOrView: `torch.empty_like(x)` reaches neither, dropout's
    // `empty_like` (C++) both, and `torch.tensor`'s `lift_fresh` neither.
    let (mut rt, sink) = traced(ValuePolicy::None);
    let x = tensor(&mut rt, &[2], &[1.0, 2.0], true);
    rt.call("aten.empty_like.default", vec![(&x).into()])
        .expect("binding");
    rt.call_from_cpp("aten.empty_like.default", vec![(&x).into()])
        .expect("from C++");
    rt.call_below_ad_inplace_or_view("aten.lift_fresh.default", vec![(&x).into()])
        .expect("torch.tensor");
    let sink = sink.borrow();
    let keysets: Vec<Vec<String>> = ops(sink.events())
        .iter()
        .map(|o| o.keyset.iter().map(|k| k.to_string()).collect())
        .collect();
    assert_eq!(
        keysets,
        vec![
            vec!["BackendSelect".to_owned(), "CPU".to_owned()],
            CPU_KEYSET.map(str::to_owned).to_vec(),
            vec!["BackendSelect".to_owned(), "CPU".to_owned()],
        ]
    );
}
