//! Reentrant backward: a `backward()` called while the engine runs a node
//! (the backward of a reentrant checkpoint) runs a nested GraphTask at the
//! running one's depth + 1, on the same thread.
//!
//! PyTorch keeps the depth in a thread-local (`current_depth` in
//! engine.cpp); on a CPU worker thread the nested GraphTask's loop runs
//! right there, and its tasks, keyed `(depth, sequence_nr)`, pop before any
//! task of the outer one (observed in torch 2.15 on a reentrant checkpoint:
//! `graph_task_begin` at depth 1 follows the recomputation, its pushes and
//! pops have key `(1, seq_nr)`, and its `graph_task_end` precedes the outer
//! node's `node_result`). Each GraphTask here keeps its own ReadyQueue;
//! the capture derives the outer schedule the same way and checks it
//! against the engine.

use std::cell::Cell;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// The depth of a GraphTask while it runs; leaving restores the outer one.
pub(crate) struct DepthGuard {
    depth: u32,
}

impl DepthGuard {
    /// Enters a new GraphTask: its depth is the number of GraphTasks
    /// already running on this thread.
    pub(crate) fn enter() -> DepthGuard {
        let depth = DEPTH.with(|d| {
            let depth = d.get();
            d.set(depth + 1);
            depth
        });
        DepthGuard { depth }
    }

    /// The GraphTask's reentrant depth.
    pub(crate) fn depth(&self) -> u32 {
        self.depth
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(self.depth));
    }
}
