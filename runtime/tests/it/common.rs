//! Small helpers shared by the test modules.

use std::cell::RefCell;
use std::rc::Rc;

use ft_runtime::{IValue, Runtime, Tensor};
use ft_trace::event::{AutogradEvent, DispatchEvent, OpCall};
use ft_trace::{Event, EventBody, MemorySink, ValuePolicy};

/// A tracing runtime and a handle on its in-memory recording.
pub fn traced(policy: ValuePolicy) -> (Runtime, Rc<RefCell<MemorySink>>) {
    let sink = Rc::new(RefCell::new(MemorySink::new(policy, false)));
    let rt = Runtime::with_sink(Box::new(Rc::clone(&sink)));
    (rt, sink)
}

/// A float32 CPU tensor with contiguous strides.
pub fn tensor(rt: &mut Runtime, shape: &[i64], values: &[f32], requires_grad: bool) -> Tensor {
    let mut strides = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1].max(1);
    }
    rt.introduce_tensor_f32(shape, &strides, 0, values, requires_grad)
        .expect("introduce tensor")
}

/// Calls `op` and returns its single tensor result.
pub fn call1(rt: &mut Runtime, op: &str, args: Vec<IValue>) -> Tensor {
    rt.call(op, args)
        .unwrap_or_else(|e| panic!("{op}: {e}"))
        .into_iter()
        .next()
        .and_then(IValue::into_tensor)
        .unwrap_or_else(|| panic!("{op} returned no tensor"))
}

/// The op events of a recording.
pub fn ops(events: &[Event]) -> Vec<&OpCall> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Dispatch(DispatchEvent::Op(op)) => Some(op),
            _ => None,
        })
        .collect()
}

/// Names of the nodes in the order the engine popped them.
pub fn pops(events: &[Event]) -> Vec<String> {
    let mut names = std::collections::HashMap::new();
    let mut out = Vec::new();
    for e in events {
        match &e.body {
            EventBody::Autograd(AutogradEvent::Node(n)) => {
                names.insert(n.node, n.name.clone());
            }
            EventBody::Autograd(AutogradEvent::Pop(p)) => {
                out.push(
                    names
                        .get(&p.node)
                        .cloned()
                        .unwrap_or_else(|| format!("#{}", p.node)),
                );
            }
            _ => {}
        }
    }
    out
}

/// Elements of a tensor.
pub fn values(t: &Tensor) -> Vec<f32> {
    t.to_f32_vec().expect("tensor values")
}

/// Asserts two float slices agree within float32 tolerances
/// (`torch.testing.assert_close`: rtol 1.3e-6, atol 1e-5).
pub fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "lengths differ: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-5 + 1.3e-6 * w.abs();
        assert!(
            (g - w).abs() <= tol,
            "element {i}: got {g}, want {w} ({got:?} vs {want:?})"
        );
    }
}
