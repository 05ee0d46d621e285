//! The Autograd view: GraphTasks, the graph tree, and the ReadyQueue
//! stepper replayed from the trace's pushes and pops.

use std::path::Path;

use ft_inspect::app::View;
use ft_inspect::autograd::{graph_tasks, queue_steps, tree};
use ft_inspect::{App, TraceData};
use ft_trace::{AutogradEvent, EventBody};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::support::draw;

fn golden(name: &str) -> TraceData {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces")
        .join(name);
    TraceData::open(&path).expect("golden opens").0
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_key(&KeyEvent::new(code, KeyModifiers::NONE));
}

#[test]
fn every_step_pops_the_highest_key_and_every_task_drains_its_queue() {
    for name in [
        "mlp_train.torch.ftr",
        "tied_leaves.torch.ftr",
        "diamond.torch.ftr",
    ] {
        let data = golden(name);
        let begins = data
            .events
            .iter()
            .filter(|e| {
                matches!(
                    e.body,
                    EventBody::Autograd(AutogradEvent::GraphTaskBegin(_))
                )
            })
            .count();
        let tasks = graph_tasks(&data);
        assert_eq!(tasks.len(), begins, "{name}");
        for task in &tasks {
            let steps = queue_steps(&data, task);
            assert!(!steps.is_empty(), "{name}: a backward pushes something");
            let mut size: isize = 0;
            for step in &steps {
                size += if step.push { 1 } else { -1 };
                assert_eq!(step.queue.len() as isize, size, "{name} #{}", step.position);
                if !step.push {
                    let key = (step.entry.depth, step.entry.seq_nr);
                    assert!(
                        step.queue.iter().all(|q| (q.depth, q.seq_nr) <= key),
                        "{name} #{}: popped {key:?} while {:?} waited",
                        step.position,
                        step.queue
                    );
                }
            }
            assert_eq!(steps.last().map(|s| s.queue.len()), Some(0), "{name}");
            let nodes: Vec<u64> = tree(&data, task).iter().map(|l| l.node).collect();
            assert!(
                steps.iter().all(|s| nodes.contains(&s.entry.node)),
                "{name}: every queued node is in the graph tree"
            );
        }
    }
}

#[test]
fn keys_step_through_the_queue_and_between_graph_tasks() {
    let mut app = App::new(golden("mlp_train.torch.ftr"));
    assert!(app.tasks.len() >= 2, "mlp_train trains several steps");
    key(&mut app, KeyCode::Char('4'));
    assert_eq!(app.view, View::Autograd);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.step, 1);
    key(&mut app, KeyCode::Char('G'));
    let steps = app.queue_steps();
    assert_eq!(app.step, steps.len() - 1);
    assert!(steps[app.step].queue.is_empty());
    key(&mut app, KeyCode::Char('n'));
    assert_eq!((app.task, app.step), (1, 0));
    key(&mut app, KeyCode::Char('N'));
    key(&mut app, KeyCode::Char('N'));
    assert_eq!(app.message.as_deref(), Some("no earlier GraphTask"));
}

#[test]
fn autograd_view_80x24() {
    let mut app = App::new(golden("diamond.torch.ftr"));
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    let terminal = draw(&mut app, 80, 24);
    insta::assert_snapshot!("autograd_80x24", terminal.backend());
}
