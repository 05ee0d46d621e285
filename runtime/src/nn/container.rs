//! Containers: `nn.Sequential` and `nn.ModuleList`; children are named by
//! their index (`0`, `1`, ...), as in PyTorch.

use super::Module;
use crate::error::Result;
use crate::runtime::Runtime;
use crate::tensor::Tensor;

/// `nn.Sequential(*modules)`: each module's output feeds the next; an
/// intermediate is dropped as soon as the next module returned (the
/// rebinding of `input` in PyTorch's loop).
pub struct Sequential {
    modules: Vec<Box<dyn Module>>,
    training: bool,
}

impl Sequential {
    /// The container over `modules`, in order.
    pub fn new(modules: Vec<Box<dyn Module>>) -> Sequential {
        Sequential {
            modules,
            training: true,
        }
    }

    /// The `i`-th module.
    pub fn get(&self, i: usize) -> Option<&dyn Module> {
        self.modules.get(i).map(|m| m.as_ref())
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether there is no module.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }
}

impl Module for Sequential {
    fn type_name(&self) -> &'static str {
        "Sequential"
    }

    fn forward(&self, rt: &mut Runtime, input: &Tensor) -> Result<Tensor> {
        let mut x = input.clone();
        for (i, m) in self.modules.iter().enumerate() {
            let y = m.forward(rt, &x)?;
            if i > 0 && !y.same_tensor(&x) {
                rt.drop_tensor(x);
            }
            x = y;
        }
        Ok(x)
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        self.modules
            .iter()
            .enumerate()
            .map(|(i, m)| (i.to_string(), m.as_ref()))
            .collect()
    }

    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        self.modules
            .iter_mut()
            .enumerate()
            .map(|(i, m)| (i.to_string(), m.as_mut() as &mut dyn Module))
            .collect()
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// `nn.ModuleList(modules)`: holds modules for a program's own forward;
/// calling it as a module is an error, as in PyTorch.
pub struct ModuleList {
    modules: Vec<Box<dyn Module>>,
    training: bool,
}

impl ModuleList {
    /// The list over `modules`.
    pub fn new(modules: Vec<Box<dyn Module>>) -> ModuleList {
        ModuleList {
            modules,
            training: true,
        }
    }

    /// The modules, in order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Module> {
        self.modules.iter().map(|m| m.as_ref())
    }

    /// The `i`-th module.
    pub fn get(&self, i: usize) -> Option<&dyn Module> {
        self.modules.get(i).map(|m| m.as_ref())
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether there is no module.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }
}

impl Module for ModuleList {
    fn type_name(&self) -> &'static str {
        "ModuleList"
    }

    fn forward(&self, _rt: &mut Runtime, _input: &Tensor) -> Result<Tensor> {
        Err(crate::error::RuntimeError::unsupported(
            "ModuleList",
            "calling a ModuleList (it has no forward; iterate over it)",
        ))
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        self.modules
            .iter()
            .enumerate()
            .map(|(i, m)| (i.to_string(), m.as_ref()))
            .collect()
    }

    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        self.modules
            .iter_mut()
            .enumerate()
            .map(|(i, m)| (i.to_string(), m.as_mut() as &mut dyn Module))
            .collect()
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_local_training(&mut self, training: bool) {
        self.training = training;
    }
}
