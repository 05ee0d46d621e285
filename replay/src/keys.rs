//! Alignment keys: what an event means, with every id left out.
//!
//! Two runs of the same program agree event for event on these keys even when
//! one run created an extra tensor somewhere and all later ids shifted; ids are
//! checked separately, as a correspondence (see [`crate::checks::dataflow`]).
//! A key is a readable string so a divergence can be shown as is.

use std::fmt::Write;

use ft_trace::{
    ApiEvent, AutogradEvent, Context, DeviceEvent, DispatchEvent, EventBody, OpCall, OpError,
    TensorRef, Value,
};

use crate::trace_data::TraceView;

/// The key of one event.
pub fn event_key(body: &EventBody, view: &TraceView<'_>) -> String {
    let mut k = String::with_capacity(96);
    event_key_into(body, view, &mut k);
    k
}

/// Appends the key of one event to `k` (a caller keying many events reuses
/// one buffer).
pub fn event_key_into(body: &EventBody, view: &TraceView<'_>, k: &mut String) {
    match body {
        EventBody::Dispatch(DispatchEvent::Op(op)) => op_key(op, view, k),
        EventBody::Dispatch(DispatchEvent::OpError(op)) => op_error_key(op, view, k),
        EventBody::Api(api) => api_key(api, view, k),
        EventBody::Autograd(a) => autograd_key(a, view, k),
        EventBody::Device(d) => match d {
            DeviceEvent::GuardEnter(g) => push(k, format_args!("guard_enter {}", g.device)),
            DeviceEvent::GuardExit(g) => push(k, format_args!("guard_exit {}", g.device)),
            DeviceEvent::Transfer(t) => push(k, format_args!("transfer {}->{}", t.from, t.to)),
            _ => k.push_str("device ?"),
        },
        EventBody::Unknown { layer, kind, .. } => push(k, format_args!("unknown {layer}/{kind}")),
        EventBody::Dispatch(_) => k.push_str("dispatch ?"),
    }
}

fn push(k: &mut String, args: std::fmt::Arguments<'_>) {
    // Writing into a String cannot fail.
    let _ = k.write_fmt(args);
}

/// The key of an op call.
pub fn op_key(op: &OpCall, view: &TraceView<'_>, k: &mut String) {
    k.push_str(&op.op);
    k.push_str(" [");
    context_key_into(op.context, view, k);
    k.push_str("] ");
    for (name, value) in &op.args {
        k.push_str(name);
        k.push('=');
        value_key(value, k);
        k.push(' ');
    }
    k.push_str("-> ");
    for value in &op.outputs {
        // A Python-float or complex result (`Tensor.item()`) is a value:
        // the values check compares it within tolerance.
        match value {
            Value::Float(_) => k.push_str("float"),
            Value::Complex { .. } => k.push_str("complex"),
            other => value_key(other, k),
        }
        k.push(' ');
    }
    k.push_str("keys=");
    for (i, key) in op.keyset.iter().enumerate() {
        if i > 0 {
            k.push(',');
        }
        k.push_str(key);
    }
    k.push_str(" chain=");
    for step in op.chain.iter() {
        k.push_str(&step.key);
        k.push(':');
        k.push_str(&step.handler);
        k.push(',');
    }
}

/// The key of a call that raised: as an op's, with the exception where the
/// results would be, so a call that raised in one run and returned in the
/// other aligns as one changed event that names both.
pub fn op_error_key(op: &OpError, view: &TraceView<'_>, k: &mut String) {
    k.push_str(&op.op);
    k.push_str(" [");
    context_key_into(op.context, view, k);
    k.push_str("] ");
    for (name, value) in &op.args {
        k.push_str(name);
        k.push('=');
        value_key(value, k);
        k.push(' ');
    }
    push(k, format_args!("-> raised {} ", op.error));
    k.push_str("keys=");
    for (i, key) in op.keyset.iter().enumerate() {
        if i > 0 {
            k.push(',');
        }
        k.push_str(key);
    }
    k.push_str(" chain=");
    for step in op.chain.iter() {
        k.push_str(&step.key);
        k.push(':');
        k.push_str(&step.handler);
        k.push(',');
    }
}

/// `top`, `backward` or the running node's name.
pub fn context_key(context: Context, view: &TraceView<'_>) -> String {
    let mut k = String::new();
    context_key_into(context, view, &mut k);
    k
}

/// Appends [`context_key`] to `k`.
fn context_key_into(context: Context, view: &TraceView<'_>, k: &mut String) {
    match context {
        Context::TopLevel => k.push_str("top"),
        Context::Backward => k.push_str("backward"),
        Context::Node(n) => match view.node(n) {
            Some(node) => k.push_str(&node.name),
            None => push(k, format_args!("node {n}")),
        },
    }
}

/// A value without tensor ids or digests.
pub fn value_key(value: &Value, k: &mut String) {
    match value {
        Value::Tensor(t) => tensor_key(t, k),
        Value::List(items) => {
            k.push('[');
            for item in items {
                value_key(item, k);
                k.push(',');
            }
            k.push(']');
        }
        Value::Float(x) => push(k, format_args!("{x:?}")),
        other => push(k, format_args!("{other}")),
    }
}

/// Tensor metadata without id, storage id or value:
/// `T<dtype [sizes] s[strides] o<offset> device rg<0|1> v<version>>`.
/// Written piece by piece (every tensor of every event is keyed, and the
/// formatting machinery was a tenth of a diff); the text is what
/// `format!("T<{} {:?} s{:?} o{} {} rg{} v{}>", ...)` gives. A sparse
/// tensor's key goes on with its layout and its parts' geometry:
/// ` coo sd<sparse_dim> dd<dense_dim> c<0|1> i[sizes] s[strides] o<offset>
/// v[sizes] s[strides] o<offset>`, so a sparse result whose indices or
/// values PyTorch lays out otherwise (strides, room left by a narrowed
/// part, the coalesced flag) is a changed dispatch. A nested tensor's key
/// goes on with its components: ` nested z[[sizes], ...] s[[strides], ...]
/// o[offsets] b[buffer size]`, so a component of another length or layout
/// is a changed dispatch.
pub fn tensor_key(t: &TensorRef, k: &mut String) {
    strided_key(t, k);
    if let Some(parts) = &t.sparse {
        k.pop();
        k.push_str(" coo sd");
        push_int(k, parts.sparse_dim);
        k.push_str(" dd");
        push_int(k, parts.dense_dim);
        k.push_str(if parts.coalesced { " c1" } else { " c0" });
        for (tag, part) in [(" i", &parts.indices), (" v", &parts.values)] {
            k.push_str(tag);
            push_ints(k, &part.shape);
            k.push_str(" s");
            push_ints(k, &part.stride);
            k.push_str(" o");
            push_int(k, part.offset);
        }
        k.push('>');
    }
    if let Some(parts) = &t.nested {
        k.pop();
        k.push_str(" nested z");
        push_rows(k, &parts.sizes);
        k.push_str(" s");
        push_rows(k, &parts.strides);
        k.push_str(" o");
        push_ints(k, &parts.offsets);
        k.push_str(" b");
        push_ints(k, &parts.buffer.shape);
        k.push('>');
    }
}

/// `[[a, b], [c, d]]`.
fn push_rows(k: &mut String, rows: &[Vec<i64>]) {
    k.push('[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            k.push_str(", ");
        }
        push_ints(k, row);
    }
    k.push(']');
}

fn strided_key(t: &TensorRef, k: &mut String) {
    k.push_str("T<");
    k.push_str(&t.dtype);
    k.push(' ');
    push_ints(k, &t.shape);
    k.push_str(" s");
    push_ints(k, &t.stride);
    k.push_str(" o");
    push_int(k, t.offset);
    k.push(' ');
    k.push_str(&t.device);
    k.push_str(if t.requires_grad { " rg1 v" } else { " rg0 v" });
    push_uint(k, t.version);
    k.push('>');
}

/// `[a, b, c]`, as `{:?}` prints a slice of integers.
fn push_ints(k: &mut String, values: &[i64]) {
    k.push('[');
    for (i, &v) in values.iter().enumerate() {
        if i > 0 {
            k.push_str(", ");
        }
        push_int(k, v);
    }
    k.push(']');
}

/// A signed integer in decimal, as `{}` prints it.
fn push_int(k: &mut String, v: i64) {
    if v < 0 {
        k.push('-');
    }
    push_uint(k, v.unsigned_abs());
}

/// An unsigned integer in decimal, as `{}` prints it.
fn push_uint(k: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        k.push(char::from(d));
    }
}

fn api_key(api: &ApiEvent, view: &TraceView<'_>, k: &mut String) {
    match api {
        ApiEvent::Tensor(t) => {
            push(k, format_args!("tensor alias={} ", t.alias));
            tensor_key(&t.tensor, k);
        }
        ApiEvent::SetRequiresGrad(s) => {
            push(k, format_args!("set_requires_grad {}", s.requires_grad))
        }
        ApiEvent::Backward(b) => push(
            k,
            format_args!(
                "backward roots={} implicit_grads={} retain={} create={}",
                b.roots.len(),
                b.grads.iter().filter(|g| g.is_none()).count(),
                b.retain_graph,
                b.create_graph
            ),
        ),
        ApiEvent::GradMode(g) => push(
            k,
            format_args!(
                "grad_mode grad={} inference={}",
                g.grad_enabled, g.inference_mode
            ),
        ),
        ApiEvent::ManualSeed(s) => push(k, format_args!("manual_seed {}", s.seed)),
        ApiEvent::MarkBegin(m) => push(k, format_args!("mark_begin {}", m.name)),
        ApiEvent::MarkEnd(m) => push(k, format_args!("mark_end {}", m.name)),
        ApiEvent::SetGrad(s) => push(k, format_args!("set_grad none={}", s.grad.is_none())),
        ApiEvent::ProgramError(e) => push(k, format_args!("program_error {}", e.message)),
        ApiEvent::Release(r) => {
            k.push_str("release ");
            match view.tensor(r.tensor) {
                Some(t) => tensor_key(t, k),
                None => k.push_str("T<unknown>"),
            }
        }
        ApiEvent::DefaultDtype(d) => push(k, format_args!("default_dtype {}", d.dtype)),
        ApiEvent::Autocast(a) => push(
            k,
            format_args!(
                "autocast {} enabled={} dtype={} cache={}",
                a.device_type, a.enabled, a.dtype, a.cache_enabled
            ),
        ),
        ApiEvent::BelowAutograd(b) => push(k, format_args!("below_autograd {}", b.enabled)),
        ApiEvent::AnomalyMode(a) => push(
            k,
            format_args!(
                "anomaly_mode enabled={} check_nan={}",
                a.enabled, a.check_nan
            ),
        ),
        ApiEvent::Grad(g) => push(
            k,
            format_args!(
                "grad roots={} implicit_grads={} inputs={} retain={} create={} accumulate={} allow_unused={}",
                g.roots.len(),
                g.grads.iter().filter(|g| g.is_none()).count(),
                g.inputs.len(),
                g.retain_graph,
                g.create_graph,
                g.accumulate,
                g.allow_unused
            ),
        ),
        ApiEvent::GradResult(r) => {
            k.push_str("grad_result [");
            for g in &r.grads {
                match g {
                    Some(t) => tensor_key(t, k),
                    None => k.push_str("None"),
                }
                k.push(',');
            }
            k.push(']');
        }
        ApiEvent::RegisterHook(h) => push(k, format_args!("register_hook H{} {}", h.hook, h.kind)),
        ApiEvent::RemoveHook(h) => push(k, format_args!("remove_hook H{}", h.hook)),
        ApiEvent::RegisterNodeHook(h) => push(
            k,
            format_args!(
                "register_node_hook H{} {} {}",
                h.hook,
                h.kind,
                view.node_name(h.node)
            ),
        ),
        ApiEvent::RetainGrad(_) => k.push_str("retain_grad"),
        ApiEvent::Data(d) => {
            k.push_str(if d.write { "data_write " } else { "data_read " });
            tensor_key(&d.tensor, k);
        }
        _ => k.push_str("api ?"),
    }
}

fn autograd_key(a: &AutogradEvent, view: &TraceView<'_>, k: &mut String) {
    match a {
        AutogradEvent::Node(n) => {
            push(
                k,
                format_args!("node {} seq={} next=[", n.name, seq_text(n.seq_nr)),
            );
            for edge in &n.next {
                match edge.node {
                    Some(id) => push(k, format_args!("{}:{},", view.node_name(id), edge.input_nr)),
                    None => k.push_str("-,"),
                }
            }
            push(k, format_args!("] tensors={}", n.tensors.len()));
        }
        AutogradEvent::GraphTaskBegin(g) => {
            k.push_str("graph_task_begin roots=[");
            for edge in &g.roots {
                match edge.node {
                    Some(id) => push(k, format_args!("{}:{},", view.node_name(id), edge.input_nr)),
                    None => k.push_str("-,"),
                }
            }
            push(
                k,
                format_args!(
                    "] depth={} keep={} create={}",
                    g.depth, g.keep_graph, g.create_graph
                ),
            );
        }
        AutogradEvent::Push(q) | AutogradEvent::Pop(q) => push(
            k,
            format_args!(
                "{} {} key=({},{}) deps={}",
                if matches!(a, AutogradEvent::Push(_)) {
                    "push"
                } else {
                    "pop"
                },
                view.node_label(q.node),
                q.depth,
                seq_text(q.seq_nr),
                q.deps
            ),
        ),
        AutogradEvent::Accumulate(acc) => {
            push(
                k,
                format_args!("accumulate {} grad=", view.node_name(acc.node)),
            );
            tensor_key(&acc.grad, k);
        }
        AutogradEvent::GraphTaskEnd(e) => {
            push(k, format_args!("graph_task_end executed={}", e.executed))
        }
        AutogradEvent::GraphTaskError(e) => push(k, format_args!("graph_task_error {}", e.error)),
        AutogradEvent::HookBegin(h) => {
            push(
                k,
                format_args!("hook_begin H{} {} args=", h.hook, view.node_name(h.node)),
            );
            for arg in &h.args {
                match arg {
                    Some(t) => tensor_key(t, k),
                    None => k.push_str("None"),
                }
                k.push(',');
            }
        }
        AutogradEvent::HookResult(h) => {
            push(k, format_args!("hook_result H{} results=", h.hook));
            match &h.results {
                Some(results) => {
                    for r in results {
                        match r {
                            Some(t) => tensor_key(t, k),
                            None => k.push_str("None"),
                        }
                        k.push(',');
                    }
                }
                None => k.push_str("None"),
            }
        }
        AutogradEvent::HookEnd(h) => {
            push(k, format_args!("hook_end H{} result=", h.hook));
            match &h.result {
                Some(t) => tensor_key(t, k),
                None => k.push_str("None"),
            }
        }
        _ => k.push_str("autograd ?"),
    }
}

/// A sequence number for display: AccumulateGrad's 2^64-1 prints as `max`.
pub fn seq_text(seq_nr: u64) -> String {
    if seq_nr == ft_trace::ACCUMULATE_GRAD_SEQ {
        "max".into()
    } else {
        seq_nr.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::tensor_key;
    use ft_trace::TensorRef;

    fn formatted(t: &TensorRef) -> String {
        format!(
            "T<{} {:?} s{:?} o{} {} rg{} v{}>",
            t.dtype,
            t.shape,
            t.stride,
            t.offset,
            t.device,
            u8::from(t.requires_grad),
            t.version
        )
    }

    #[test]
    fn a_sparse_tensor_key_holds_its_parts_geometry() {
        let part = |id: u64, dtype: &str, shape: Vec<i64>, stride: Vec<i64>| TensorRef {
            id,
            dtype: dtype.into(),
            shape: shape.into(),
            stride: stride.into(),
            offset: 0,
            storage: id,
            device: "cpu".into(),
            requires_grad: false,
            version: 0,
            value: None,
            sparse: None,
            nested: None,
        };
        let mut t = part(1, "float32", vec![3, 3], vec![]);
        t.sparse = Some(Box::new(ft_trace::value::SparseParts {
            layout: "sparse_coo".into(),
            sparse_dim: 2,
            dense_dim: 0,
            coalesced: true,
            indices: part(2, "int64", vec![2, 3], vec![4, 1]),
            values: part(3, "float32", vec![3], vec![1]),
        }));
        let mut k = String::new();
        tensor_key(&t, &mut k);
        assert_eq!(
            k,
            "T<float32 [3, 3] s[] o0 cpu rg0 v0 coo sd2 dd0 c1 i[2, 3] s[4, 1] o0 v[3] s[1] o0>"
        );
    }

    #[test]
    fn tensor_key_is_the_formatted_text() {
        let shapes: [&[i64]; 4] = [&[], &[7], &[64, 256], &[0, 1, 10, 1_000_000]];
        let strides: [&[i64]; 4] = [&[], &[-1], &[256, 1], &[i64::MIN, i64::MAX, 0, -10]];
        for (i, (shape, stride)) in shapes.iter().zip(strides).enumerate() {
            for (offset, version) in [(0, 0), (-3, 9), (i64::MIN, u64::MAX), (i64::MAX, 10)] {
                let t = TensorRef {
                    id: i as u64,
                    dtype: "float32".into(),
                    shape: shape.to_vec().into(),
                    stride: stride.to_vec().into(),
                    offset,
                    storage: 1,
                    device: "cpu".into(),
                    requires_grad: i % 2 == 0,
                    version,
                    value: None,
                    sparse: None,
                    nested: None,
                };
                let mut k = String::new();
                tensor_key(&t, &mut k);
                assert_eq!(k, formatted(&t));
            }
        }
    }
}
