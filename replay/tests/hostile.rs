//! A trace that is well-formed but says impossible things (wrong shapes,
//! strides past the storage, unknown dtypes or ops, dangling ids) must end in
//! a replay error or a divergence — never a panic of the runtime or replay.

use std::path::Path;

use ft_replay::executor::{ReplayOptions, replay};
use ft_replay::{Tolerances, TraceData, diff};
use ft_trace::{ApiEvent, DispatchEvent, EventBody, TensorRef, Value};
use proptest::prelude::*;

fn golden() -> TraceData {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/tiny_mlp.torch.ftr");
    TraceData::load(&path).expect("golden")
}

#[derive(Clone, Debug)]
enum Mutation {
    Shape(i64),
    Stride(i64),
    Offset(i64),
    Dtype,
    Id(u64),
    OpName,
    DropEvent,
    IntArg(i64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (-3i64..40).prop_map(Mutation::Shape),
        (-3i64..40).prop_map(Mutation::Stride),
        (-3i64..10_000).prop_map(Mutation::Offset),
        Just(Mutation::Dtype),
        (0u64..200).prop_map(Mutation::Id),
        Just(Mutation::OpName),
        Just(Mutation::DropEvent),
        (-5i64..5).prop_map(Mutation::IntArg),
    ]
}

fn first_tensor(body: &mut EventBody) -> Option<&mut TensorRef> {
    match body {
        EventBody::Api(ApiEvent::Tensor(t)) => Some(&mut t.tensor),
        EventBody::Dispatch(DispatchEvent::Op(op)) => {
            op.args.iter_mut().find_map(|(_, v)| match v {
                Value::Tensor(t) => Some(&mut **t),
                _ => None,
            })
        }
        _ => None,
    }
}

fn apply(data: &mut TraceData, at: usize, m: &Mutation) {
    let len = data.events.len();
    let Some(event) = data.events.get_mut(at % len) else {
        return;
    };
    match m {
        Mutation::DropEvent => {
            data.events.remove(at % len);
        }
        Mutation::OpName => {
            if let EventBody::Dispatch(DispatchEvent::Op(op)) = &mut event.body {
                op.op = "aten.not_an_op.default".into();
            }
        }
        Mutation::IntArg(v) => {
            if let EventBody::Dispatch(DispatchEvent::Op(op)) = &mut event.body {
                for (_, value) in &mut op.args {
                    if let Value::Int(i) = value {
                        *i = *v;
                    }
                }
            }
        }
        other => {
            if let Some(t) = first_tensor(&mut event.body) {
                match other {
                    Mutation::Shape(s) => {
                        if let Some(d) = std::sync::Arc::make_mut(&mut t.shape).first_mut() {
                            *d = *s;
                        }
                    }
                    Mutation::Stride(s) => {
                        if let Some(d) = std::sync::Arc::make_mut(&mut t.stride).first_mut() {
                            *d = *s;
                        }
                    }
                    Mutation::Offset(o) => t.offset = *o,
                    Mutation::Dtype => t.dtype = "complex32".into(),
                    Mutation::Id(id) => t.id = *id,
                    _ => {}
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn mutated_traces_never_panic(mutations in proptest::collection::vec((any::<usize>(), mutation()), 1..4)) {
        let mut data = golden();
        for (at, m) in &mutations {
            apply(&mut data, *at, m);
        }
        if let Ok(run) = replay(&data, &ReplayOptions::default()) {
            let ours = run.into_trace_data();
            let _ = diff(&data, &ours, &Tolerances::new(None, None));
        }
    }
}

#[test]
fn mutations_take_effect() {
    // An unknown op is refused, naming it; a dangling id is an inconsistency.
    let mut data = golden();
    let at = data
        .events
        .iter()
        .position(|e| matches!(&e.body, EventBody::Dispatch(DispatchEvent::Op(op)) if op.op == "aten.relu.default"))
        .expect("relu");
    apply(&mut data, at, &Mutation::OpName);
    let err = replay(&data, &ReplayOptions::default())
        .err()
        .expect("refused");
    assert_eq!(err.exit(), ft_replay::Exit::Unsupported);
    assert!(err.to_string().contains("aten.not_an_op.default"), "{err}");

    let mut data = golden();
    apply(&mut data, at, &Mutation::Id(10_000));
    let err = replay(&data, &ReplayOptions::default())
        .err()
        .expect("refused");
    assert_eq!(err.exit(), ft_replay::Exit::BadInput, "{err}");
}
