//! The native CNN program (shared by `native_cnn.rs` and ft-replay's
//! `native_programs` test): a small CNN (Conv2d, BatchNorm2d, ReLU,
//! MaxPool2d, Linear) classifying 6x6 images, trained three steps with AdamW
//! on CrossEntropyLoss, then evaluated without grad (BatchNorm on its
//! running statistics). Twin: `traces/programs/native_cnn.py`.

use ft_runtime::nn::{self, BatchNorm2d, Conv2d, CrossEntropyLoss, Linear, MaxPool2d, Module};
use ft_runtime::optim::{Adam, AdamOptions};
use ft_runtime::{Runtime, Tensor};

use super::{classes, fit};

/// The twin's `Net`: `fc(flatten(pool(relu(bn(conv(x))))))`.
struct Net {
    conv: Conv2d,
    bn: BatchNorm2d,
    pool: MaxPool2d,
    fc: Linear,
    training: bool,
}

impl Net {
    fn new(rt: &mut Runtime) -> ft_runtime::Result<Net> {
        Ok(Net {
            conv: Conv2d::new(rt, 2, 3, 3, 1, 1, false)?,
            bn: BatchNorm2d::new(rt, 3)?,
            pool: MaxPool2d::new(2),
            fc: Linear::new(rt, 3 * 3 * 3, 3, true)?,
            training: true,
        })
    }
}

impl Module for Net {
    fn type_name(&self) -> &'static str {
        "Net"
    }

    fn forward(&self, rt: &mut Runtime, x: &Tensor) -> ft_runtime::Result<Tensor> {
        let c = self.conv.forward(rt, x)?;
        let b = self.bn.forward(rt, &c)?;
        rt.drop_tensor(c);
        let r = nn::call1(rt, "aten.relu.default", vec![(&b).into()])?;
        rt.drop_tensor(b);
        let p = self.pool.forward(rt, &r)?;
        rt.drop_tensor(r);
        // `x.flatten(1)`: a view to [N, C*H*W].
        let n = p.shape()[0];
        let rest: i64 = p.shape()[1..].iter().product();
        let flat = nn::call1(
            rt,
            "aten.view.default",
            vec![(&p).into(), vec![n, rest].into()],
        )?;
        rt.drop_tensor(p);
        let out = self.fc.forward(rt, &flat)?;
        rt.drop_tensor(flat);
        Ok(out)
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![
            ("conv".into(), &self.conv as &dyn Module),
            ("bn".into(), &self.bn),
            ("pool".into(), &self.pool),
            ("fc".into(), &self.fc),
        ]
    }

    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        vec![
            ("conv".into(), &mut self.conv as &mut dyn Module),
            ("bn".into(), &mut self.bn),
            ("pool".into(), &mut self.pool),
            ("fc".into(), &mut self.fc),
        ]
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// Runs the program on `rt` (random values already installed); returns the
/// evaluation's predicted classes.
pub fn train(rt: &mut Runtime) -> ft_runtime::Result<Vec<i64>> {
    rt.manual_seed(0);
    let mut model = Net::new(rt)?;
    let x = nn::factory(rt, "aten.randn.default", vec![vec![4i64, 2, 6, 6].into()])?;
    let y = classes::labels(rt, 3, 4)?;
    let mut opt = Adam::new(
        model.parameters(),
        AdamOptions {
            weight_decay: 0.05,
            ..AdamOptions::adamw(0.01)
        },
    );
    let loss_fn = CrossEntropyLoss::default();
    let _loss = fit::fit(rt, &model, &mut opt, &loss_fn, (&x, &y), 3)?;
    let pred = fit::evaluate(rt, &mut model, &x, classes::argmax_classes)?;
    pred.to_i64_vec()
}
