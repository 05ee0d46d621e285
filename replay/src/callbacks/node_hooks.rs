//! Node post-hooks (FORMAT.md §3.4.4): the recorded runs of a hook
//! registered on a graph node (`grad_fn.register_hook`; how `nn.Module`'s
//! full backward hooks run), and their replay.
//!
//! A run is bracketed by `hook_begin` (the node's results, then the
//! gradients it received) and `hook_result` (nil, or the results that
//! replace the node's); the replayer's hook binds what the runtime's engine
//! hands over to those ids by position, re-executes the operators in
//! between (see the parent module) and returns the tensors `hook_result`
//! names.

use ft_runtime::{Runtime, RuntimeError, Tensor};

use super::{Bindings, Callbacks, HookOutcome, Invocation, Scope, Shared, fail};

impl Callbacks {
    /// The Rust node post-hook that replays hook `hook`'s recorded runs,
    /// one per call, in order. A call beyond them runs nothing and keeps
    /// the node's results.
    pub fn node_post_hook(&mut self, hook: u64) -> ft_runtime::NodePostHookFn {
        let mut queue = self.invocations.remove(&hook).unwrap_or_default();
        let shared = std::rc::Rc::clone(&self.shared);
        Box::new(
            move |rt: &mut Runtime, results: &[Option<Tensor>], received: &[Option<Tensor>]| {
                let Some(inv) = queue.pop_front() else {
                    return Ok(None);
                };
                let mut shared = shared
                    .try_borrow_mut()
                    .map_err(|_| fail("a node hook inside another replayed callback".into()))?;
                let given: Vec<Option<Tensor>> = results.iter().chain(received).cloned().collect();
                replay(rt, &mut shared, &inv, &given)
            },
        )
    }
}

/// Runs one recorded node-hook invocation; returns the results its
/// `hook_result` names (None: the node's stand).
fn replay(
    rt: &mut Runtime,
    shared: &mut Shared,
    inv: &Invocation,
    given: &[Option<Tensor>],
) -> ft_runtime::Result<Option<Vec<Option<Tensor>>>> {
    let mut scope = Scope {
        shared,
        locals: Bindings::default(),
        writes_state: false,
    };
    for (recorded, tensor) in inv.begin.args.iter().zip(given) {
        if let (Some(r), Some(t)) = (recorded, tensor) {
            scope.bind(r, t.clone());
        }
    }
    for e in &inv.events {
        scope.step(rt, e)?;
    }
    let end = match &inv.end {
        HookOutcome::Results(end) => end,
        HookOutcome::Raised(exception) => {
            return Err(RuntimeError::Raised {
                exception: exception.clone(),
            });
        }
        HookOutcome::Returned(_) => {
            return Err(fail(format!(
                "hook H{} is a tensor hook, called as a node hook",
                inv.begin.hook
            )));
        }
    };
    let results = end
        .results
        .as_ref()
        .map(|rs| {
            rs.iter()
                .map(|r| r.as_ref().map(|r| scope.lookup(r.id)).transpose())
                .collect::<ft_runtime::Result<Vec<_>>>()
        })
        .transpose()?;
    scope.keep(&inv.keep);
    Ok(results)
}
