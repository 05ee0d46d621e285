//! The timeline's nesting: what ran inside what during a backward pass.
//!
//! Inside a GraphTask (`graph_task_begin` … `graph_task_end` or
//! `graph_task_error`) every event is a child of the task's begin event,
//! except that from a node's `pop` on, the events until the next `pop` — the
//! dispatches the node ran, its `accumulate`, the pushes of the nodes it made
//! ready, its hooks — are children of that `pop`. A GraphTask started inside
//! a node (a reentrant backward, a checkpoint's recomputation) nests one
//! level deeper. Events outside every GraphTask are top level.
//!
//! [`Nesting`] is computed once per trace; folding a parent hides its
//! descendants from the timeline.

use ft_trace::{AutogradEvent, Event, EventBody};

/// Parent and depth of every event of a trace.
#[derive(Clone, Debug, Default)]
pub struct Nesting {
    parent: Vec<Option<usize>>,
    depth: Vec<u8>,
    children: Vec<u32>,
}

/// A GraphTask being walked: its begin event and the node running in it.
struct Frame {
    begin: usize,
    node: Option<usize>,
}

/// The nesting rule applied one event at a time (a trace read lazily is
/// nested in one streaming pass, see [`crate::lazy`]).
#[derive(Default)]
pub struct NestingWalk {
    frames: Vec<Frame>,
    next: usize,
}

impl NestingWalk {
    /// The parent of the next event, `body`.
    pub fn push(&mut self, body: &EventBody) -> Option<usize> {
        let i = self.next;
        self.next += 1;
        let frames = &mut self.frames;
        let container = frames.last().map(|f| f.node.unwrap_or(f.begin));
        match body {
            EventBody::Autograd(AutogradEvent::GraphTaskBegin(_)) => {
                frames.push(Frame {
                    begin: i,
                    node: None,
                });
                container
            }
            EventBody::Autograd(
                AutogradEvent::GraphTaskEnd(_) | AutogradEvent::GraphTaskError(_),
            ) => frames.pop().map(|f| f.begin),
            EventBody::Autograd(AutogradEvent::Pop(_)) => {
                let frame = frames.last_mut();
                let parent = frame.as_ref().map(|f| f.begin);
                if let Some(frame) = frame {
                    frame.node = Some(i);
                }
                parent
            }
            _ => container,
        }
    }
}

impl Nesting {
    /// The nesting of `events`.
    pub fn of(events: &[Event]) -> Nesting {
        let mut walk = NestingWalk::default();
        let parent: Vec<Option<usize>> = events.iter().map(|e| walk.push(&e.body)).collect();
        let mut depth = vec![0u8; events.len()];
        let mut children = vec![0u32; events.len()];
        for i in 0..events.len() {
            if let Some(p) = parent[i] {
                depth[i] = depth[p].saturating_add(1);
                children[p] += 1;
            }
        }
        Nesting {
            parent,
            depth,
            children,
        }
    }

    /// The event `index` is nested in.
    pub fn parent(&self, index: usize) -> Option<usize> {
        self.parent.get(index).copied().flatten()
    }

    /// How deep `index` is nested (0: top level).
    pub fn depth(&self, index: usize) -> u8 {
        self.depth.get(index).copied().unwrap_or(0)
    }

    /// Events directly nested in `index`.
    pub fn children(&self, index: usize) -> u32 {
        self.children.get(index).copied().unwrap_or(0)
    }

    /// The parents that fold at node level: every `pop` with children.
    pub fn node_parents<'a>(&'a self, events: &'a [Event]) -> impl Iterator<Item = usize> + 'a {
        events.iter().enumerate().filter_map(|(i, e)| {
            (matches!(e.body, EventBody::Autograd(AutogradEvent::Pop(_))) && self.children(i) > 0)
                .then_some(i)
        })
    }

    /// Whether `index` is hidden because an ancestor is in `folded`.
    pub fn hidden(&self, index: usize, folded: &std::collections::BTreeSet<usize>) -> bool {
        if folded.is_empty() {
            return false;
        }
        let mut at = self.parent(index);
        while let Some(p) = at {
            if folded.contains(&p) {
                return true;
            }
            at = self.parent(p);
        }
        false
    }
}
