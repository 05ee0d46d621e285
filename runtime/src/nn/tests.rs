//! State-dict names and `load_state_dict`'s messages, checked against what
//! torch 2.15 prints for the same module (probed with
//! `nn.Sequential(nn.Linear(3, 2), nn.BatchNorm2d(2))`).

use super::*;
use crate::runtime::Runtime;
use crate::tensor::dtype::DType;

fn model(rt: &mut Runtime) -> Sequential {
    Sequential::new(vec![
        Box::new(Linear::new(rt, 3, 2, true).expect("linear")),
        Box::new(BatchNorm2d::new(rt, 2).expect("bn")),
    ])
}

fn zeros(rt: &mut Runtime, shape: &[i64]) -> Tensor {
    factory(rt, "aten.zeros.default", vec![shape.into()]).expect("zeros")
}

fn names(sd: &[(String, Tensor)]) -> Vec<&str> {
    sd.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn state_dict_keys_are_pytorchs() {
    let mut rt = Runtime::new();
    let m = model(&mut rt);
    assert_eq!(
        names(&m.state_dict()),
        [
            "0.weight",
            "0.bias",
            "1.weight",
            "1.bias",
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked"
        ]
    );
    assert_eq!(
        names(&m.named_parameters()),
        ["0.weight", "0.bias", "1.weight", "1.bias"]
    );
    let list = ModuleList::new(vec![Box::new(m)]);
    assert_eq!(names(&list.state_dict())[..2], ["0.0.weight", "0.0.bias"]);
}

#[test]
fn strict_load_reports_missing_unexpected_and_size_mismatch_like_pytorch() {
    let mut rt = Runtime::new();
    let m = model(&mut rt);
    let mut sd: StateDict = m
        .state_dict()
        .into_iter()
        .filter(|(n, _)| n != "0.bias")
        .collect();
    sd[0].1 = zeros(&mut rt, &[4, 3]);
    sd.push(("extra.w".into(), zeros(&mut rt, &[1])));
    sd.push(("zzz".into(), zeros(&mut rt, &[1])));
    let err = m
        .load_state_dict(&mut rt, &sd, true)
        .expect_err("strict load must fail");
    assert_eq!(
        err.to_string(),
        "Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \
         \"0.bias\". \n\tUnexpected key(s) in state_dict: \"extra.w\", \"zzz\". \n\tsize \
         mismatch for 0.weight: copying a param with shape torch.Size([4, 3]) from checkpoint, \
         the shape in current model is torch.Size([2, 3])."
    );
}

#[test]
fn non_strict_load_returns_the_incompatible_keys_and_copies_the_rest() {
    let mut rt = Runtime::new();
    let m = model(&mut rt);
    let mut sd: StateDict = m
        .state_dict()
        .into_iter()
        .filter(|(n, _)| n != "0.bias" && n != "1.num_batches_tracked")
        .collect();
    let new_weight = zeros(&mut rt, &[2, 3]);
    sd[0].1 = new_weight;
    sd.push(("q".into(), zeros(&mut rt, &[1])));
    let keys = m.load_state_dict(&mut rt, &sd, false).expect("loads");
    assert_eq!(keys.missing_keys, ["0.bias"]);
    assert_eq!(keys.unexpected_keys, ["q"]);
    let w = &m.state_dict()[0].1;
    assert!(w.to_f32_vec().expect("w").iter().all(|&v| v == 0.0));
    // A size mismatch fails even when not strict.
    let bad = vec![("0.weight".to_string(), zeros(&mut rt, &[4, 3]))];
    let err = m
        .load_state_dict(&mut rt, &bad, false)
        .expect_err("mismatch");
    assert!(
        err.to_string()
            .ends_with("the shape in current model is torch.Size([2, 3]).")
    );
}

#[test]
fn random_ops_without_recorded_values_are_refused_when_required() {
    let mut rt = Runtime::new();
    rt.set_random_values_required(true);
    let err = Linear::new(&mut rt, 3, 2, true).err().expect("refused");
    assert!(err.to_string().contains("without provided ones"), "{err}");
    rt.provide_random_f32(vec![0.5; 6]);
    rt.provide_random_f32(vec![0.25; 2]);
    let l = Linear::new(&mut rt, 3, 2, true).expect("with recorded values");
    assert_eq!(l.weight.to_f32_vec().expect("w"), [0.5; 6]);
}

#[test]
fn train_and_eval_reach_every_submodule() {
    let mut rt = Runtime::new();
    let mut m = model(&mut rt);
    m.eval();
    assert!(!m.is_training());
    assert!(m.children().iter().all(|(_, c)| !c.is_training()));
    m.train(true);
    assert!(m.children().iter().all(|(_, c)| c.is_training()));
}

/// `state_dict()` detaches every entry (one `aten.detach` each): the values
/// share the module's storage and do not require grad.
#[test]
fn detached_state_dict_shares_storage_without_requiring_grad() {
    let mut rt = Runtime::new();
    let m = model(&mut rt);
    let kept = m.state_dict();
    let detached = m.detached_state_dict(&mut rt).expect("detach");
    assert_eq!(names(&detached), names(&kept));
    for ((_, k), (name, d)) in kept.iter().zip(&detached) {
        assert!(!d.requires_grad(), "{name}");
        assert_eq!(d.shape(), k.shape(), "{name}");
        assert!(d.shares_storage(k), "{name}");
    }
    assert!(kept[0].1.requires_grad());
}

/// Linear over `(batch, time, features)` equals Linear over the flattened
/// rows, with and without a bias; a vector input is refused.
#[test]
fn linear_takes_leading_dimensions_like_torch() {
    let mut rt = Runtime::new();
    for bias in [true, false] {
        let l = Linear::new(&mut rt, 3, 2, bias).expect("linear");
        let x =
            factory(&mut rt, "aten.randn.default", vec![vec![2i64, 4, 3].into()]).expect("randn");
        let y = l.forward(&mut rt, &x).expect("3-d forward");
        assert_eq!(y.shape(), [2, 4, 2]);
        let rows = call1(
            &mut rt,
            "aten.view.default",
            vec![(&x).into(), vec![8i64, 3].into()],
        )
        .expect("view");
        let y2 = l.forward(&mut rt, &rows).expect("2-d forward");
        assert_eq!(y.to_f32_vec().expect("y"), y2.to_f32_vec().expect("y2"));
    }
    let l = Linear::new(&mut rt, 3, 2, true).expect("linear");
    let v = zeros(&mut rt, &[3]);
    assert!(l.forward(&mut rt, &v).is_err());
}

/// Conv2d with a rectangular kernel, per-axis stride, padding and dilation
/// and two groups: the output of `F.conv2d` in torch 2.15 for the same
/// weight (`arange * 0.1 - 1`), bias `[0.5, -0.5]` and input
/// (`arange(120).sin()`), and PyTorch's messages for bad groups.
#[test]
fn conv2d_with_groups_and_per_axis_geometry_matches_torch() {
    let mut rt = Runtime::new();
    let options = Conv2dOptions {
        kernel_size: [2, 3],
        stride: [2, 1],
        padding: [1, 0],
        dilation: [1, 2],
        groups: 2,
        bias: true,
    };
    let conv = Conv2d::with_options(&mut rt, 4, 2, options).expect("conv");
    assert_eq!(conv.weight.shape(), [2, 2, 2, 3]);
    let filled = |values: Vec<f32>, shape: &[i64]| {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let strides = crate::tensor::strides::contiguous_strides(shape);
        Tensor::from_le_bytes_storage("test", DType::Float32, &bytes, shape, &strides, 0)
            .expect("tensor")
    };
    let w: Vec<f32> = (0..24).map(|i| i as f32 * 0.1 - 1.0).collect();
    let w = filled(w, &[2, 2, 2, 3]);
    let b = filled(vec![0.5, -0.5], &[2]);
    let state = vec![("weight".to_string(), w), ("bias".to_string(), b)];
    conv.load_state_dict(&mut rt, &state, true).expect("load");
    let x: Vec<f32> = (0..120).map(|i| (i as f32).sin()).collect();
    let x = filled(x, &[1, 4, 5, 6]);
    let y = conv.forward(&mut rt, &x).expect("forward");
    assert_eq!(y.shape(), [1, 2, 3, 2]);
    let torch = [
        0.484_534_17,
        0.303_345_92,
        0.590_007_54,
        0.164_044_05,
        0.821_189_4,
        0.389_643_16,
        -0.722_685_9,
        -0.436_977_57,
        -1.005_494_7,
        -0.579_221_07,
        -1.050_205_2,
        -0.861_891_03,
    ];
    for (got, want) in y.to_f32_vec().expect("y").iter().zip(torch) {
        assert!((got - want).abs() <= 1e-5, "{got} vs {want}");
    }
    for (inp, out, groups, message) in [
        (3, 2, 2, "in_channels must be divisible by groups"),
        (4, 3, 2, "out_channels must be divisible by groups"),
        (4, 2, 0, "groups must be a positive integer"),
    ] {
        let options = Conv2dOptions {
            groups,
            ..Conv2dOptions::new(3)
        };
        let err = Conv2d::with_options(&mut rt, inp, out, options)
            .err()
            .expect("refused");
        assert!(err.to_string().contains(message), "{err}");
    }
}

/// A module with named children, as `class Net(nn.Module)` with
/// `self.layers = nn.ModuleList([...])` and `self.bn = nn.BatchNorm2d(...)`.
struct Net {
    layers: ModuleList,
    bn: BatchNorm2d,
    training: bool,
}

impl Module for Net {
    fn type_name(&self) -> &'static str {
        "Net"
    }

    fn forward(&self, _rt: &mut Runtime, input: &Tensor) -> crate::error::Result<Tensor> {
        Ok(input.clone())
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![
            ("layers".into(), &self.layers as &dyn Module),
            ("bn".into(), &self.bn),
        ]
    }

    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        vec![
            ("layers".into(), &mut self.layers as &mut dyn Module),
            ("bn".into(), &mut self.bn),
        ]
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// PyTorch's keys for that `Net` (torch 2.15: `layers.0.weight`,
/// `layers.1.bias`, `bn.running_mean`, `bn.num_batches_tracked`, ...), and
/// a strict load of them that names the nested module's missing key.
#[test]
fn nested_children_and_module_lists_are_named_as_pytorch_names_them() {
    let mut rt = Runtime::new();
    let net = Net {
        layers: ModuleList::new(vec![
            Box::new(Linear::new(&mut rt, 3, 4, true).expect("linear")),
            Box::new(Linear::new(&mut rt, 4, 2, false).expect("linear")),
        ]),
        bn: BatchNorm2d::new(&mut rt, 2).expect("bn"),
        training: true,
    };
    let sd = net.state_dict();
    assert_eq!(
        names(&sd),
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.1.weight",
            "bn.weight",
            "bn.bias",
            "bn.running_mean",
            "bn.running_var",
            "bn.num_batches_tracked"
        ]
    );
    let without: Vec<(String, Tensor)> = sd
        .iter()
        .filter(|(n, _)| n != "layers.0.bias")
        .cloned()
        .collect();
    let err = net
        .load_state_dict(&mut rt, &without, true)
        .expect_err("strict");
    assert_eq!(
        err.to_string(),
        "Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: \"layers.0.bias\". "
    );
}
