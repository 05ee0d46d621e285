//! The `ft-replay` binary end to end: the golden traces replay cleanly, a
//! deliberately broken runtime is caught with the right exit code and a
//! precise first divergence, and bad input gets one clear line and exit 4.
//!
//! The mutation tests name the corpus program that catches each fault: a
//! runtime fault the command line cannot inject yet is driven through the
//! library the binary wraps (`executor::replay` + `diff`), the same path.

mod support;

use support::{golden, path_str, repo, run as ft_replay, text};

/// Every golden trace in traces/, by file name.
fn golden_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("traces"))
        .expect("traces/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".torch.ftr"))
        .collect();
    names.sort();
    names
}

#[test]
fn golden_traces_replay_with_everything_matched() {
    let names = golden_names();
    assert!(names.len() >= 6, "corpus shrank: {names:?}");
    for name in &names {
        let trace = golden(name);
        let out = ft_replay(&["--against", path_str(&trace)]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{name}:\n{stdout}\n{stderr}");
        assert!(stdout.contains("MATCH"), "{stdout}");
        for check in ["dispatch", "graph", "schedule", "values"] {
            assert!(stdout.contains(check), "{check} missing from:\n{stdout}");
        }
        assert!(stdout.contains("max abs err"), "{stdout}");
    }
}

#[test]
fn a_reversed_ready_queue_is_a_structural_divergence_with_both_sequence_numbers() {
    let trace = golden("tiny_mlp.torch.ftr");
    let out = ft_replay(&[
        "--against",
        path_str(&trace),
        "--inject-fault",
        "reverse-ready-queue",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("first divergence:"))
        .unwrap_or_else(|| panic!("no first divergence in:\n{stdout}"));
    assert!(
        line.contains("expected seq ") && line.contains("actual seq "),
        "{line}"
    );
    assert!(stdout.contains("FAIL schedule"), "{stdout}");
}

/// `(expected, actual)` sequence numbers of every divergence line of one
/// check in a text report (`[schedule reordered] expected seq 106 / actual
/// seq 94: ...`).
fn divergence_seqs(stdout: &str, check: &str) -> Vec<(u64, u64, String)> {
    stdout
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with(&format!("[{check} ")))
        .filter_map(|l| {
            let rest = l.split_once("expected seq ")?.1;
            let (expected, rest) = rest.split_once(" / actual seq ")?;
            let (actual, _) = rest.split_once(':')?;
            Some((expected.parse().ok()?, actual.parse().ok()?, l.to_owned()))
        })
        .collect()
}

/// A runtime whose ReadyQueue breaks ties first-in first-out passes every
/// other golden (never more than two tied nodes wait at once, and for two
/// libstdc++'s heap and FIFO agree); tied_leaves has seven, with distinct
/// dependency counts, so the schedule check itself sees the pops come in
/// another order.
#[test]
fn fifo_ready_queue_ties_are_a_schedule_divergence_in_tied_leaves() {
    let trace = golden("tied_leaves.torch.ftr");
    let out = ft_replay(&["--against", path_str(&trace), "--inject-fault", "fifo-ties"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("FAIL schedule"), "{stdout}");
    let pops = divergence_seqs(&stdout, "schedule");
    assert!(!pops.is_empty(), "no schedule divergence in:\n{stdout}");
    assert!(
        pops.iter()
            .all(|(_, _, l)| l.contains("autograd pop N") && l.contains(" AccumulateGrad(T")),
        "{pops:?}"
    );
    // Both runs' sequence numbers are named, and they differ where a pop moved.
    assert!(pops.iter().any(|(e, a, _)| e != a), "{pops:?}");
    assert!(stdout.contains("first divergence:"), "{stdout}");
}

/// Faulting AccumulateGrad's in-place accumulation (`add_` into an existing
/// `.grad`, only reached by retain_graph's second and third backward) is a
/// value failure whose drift starts at that `add_`.
#[test]
fn a_perturbed_in_place_accumulation_is_caught_by_retain_graph() {
    let trace = golden("retain_graph.torch.ftr");
    let out = ft_replay(&[
        "--against",
        path_str(&trace),
        "--inject-fault",
        "perturb=aten.add_.Tensor:0.5",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("drift starts at aten.add_.Tensor"),
        "{stdout}"
    );
}

/// Summing a node's input buffer as `new + old` instead of `old + new`
/// changes no value (addition commutes) but feeds `aten.add` its operands
/// swapped. diamond catches it twice: in the chain of adds one operand is a
/// stride-0 gradient and the other dense, so the dispatch check sees the
/// layouts swapped; where both are dense (the sums into MulBackward0's
/// buffers) only the dataflow check can tell, and it does.
#[test]
fn swapped_input_buffer_operands_are_a_dataflow_divergence_in_diamond() {
    use ft_replay::executor::{ReplayOptions, replay};
    use ft_replay::{Exit, Tolerances, TraceData, diff};
    use ft_runtime::Faults;

    let torch = TraceData::load(&golden("diamond.torch.ftr")).expect("golden");
    let check = |faults: Faults| {
        let options = ReplayOptions {
            faults,
            ..ReplayOptions::default()
        };
        let ours = replay(&torch, &options).expect("replay").into_trace_data();
        diff(&torch, &ours, &Tolerances::new(None, None))
    };
    assert_eq!(check(Faults::default()).exit(), Exit::Match);
    let report = check(Faults {
        swap_input_buffer_sum: true,
        ..Faults::default()
    });
    let text = report.to_text(false);
    assert_eq!(report.exit(), Exit::Structural, "{text}");
    assert!(report.values.failures.is_empty(), "{text}");
    let first = report.first_divergence.as_ref().expect("a divergence");
    assert!(first.expected_seq.is_some() && first.actual_seq.is_some());
    assert!(
        first.message.contains("aten.add.Tensor(")
            && first.message.contains("· node N7 AddBackward0"),
        "{text}"
    );
    assert!(
        report.dataflow.divergences.iter().any(
            |d| d.message.contains("aten.add.Tensor(") && d.message.contains(" MulBackward0: ")
        ),
        "{text}"
    );
}

#[test]
fn a_renamed_backward_node_is_named_in_the_graph_check() {
    let trace = golden("tiny_mlp.torch.ftr");
    let out = ft_replay(&[
        "--against",
        path_str(&trace),
        "--inject-fault",
        "rename-node=ReluBackward0:ReluBackward1",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("FAIL graph"), "{stdout}");
    assert!(stdout.contains("ReluBackward1"), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("first divergence:"))
        .expect("first divergence");
    assert!(line.contains("ReluBackward"), "{line}");
}

#[test]
fn a_perturbed_kernel_is_a_value_failure_naming_the_op() {
    let trace = golden("tiny_mlp.torch.ftr");
    let out = ft_replay(&[
        "--against",
        path_str(&trace),
        "--inject-fault",
        "perturb=aten.relu.default:0.01",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("drift starts at aten.relu.default"),
        "{stdout}"
    );
}

#[test]
fn the_runtime_trace_diffs_clean_against_torch_and_is_reproducible() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = golden("mlp_train.torch.ftr");
    let a = dir.path().join("a.ftr");
    let b = dir.path().join("b.ftr");
    for out_path in [&a, &b] {
        let out = ft_replay(&[
            "--against",
            path_str(&trace),
            "--out",
            path_str(out_path),
            "--zero-timestamps",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out).0);
    }
    let (ba, bb) = (std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    assert_eq!(ba, bb, "two replays wrote different bytes");
    let out = ft_replay(&[path_str(&a), "--against", path_str(&trace)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).0);
}

#[test]
fn json_format_is_machine_readable() {
    let trace = golden("tiny_mlp.torch.ftr");
    let out = ft_replay(&["--against", path_str(&trace), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let dispatch = &json["dispatch"];
    assert_eq!(dispatch["matched"], dispatch["expected"]);
    assert!(dispatch["matched"].as_u64().expect("count") > 20);
}

#[test]
fn a_trace_cut_in_half_is_exit_4_naming_the_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(golden("mlp_train.torch.ftr")).expect("golden");
    let cut = dir.path().join("cut.ftr");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let out = ft_replay(&["--against", path_str(&cut)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("truncated at offset"), "{stderr}");
    assert!(stderr.contains("cut.ftr"), "{stderr}");
}

#[test]
fn a_future_major_version_is_exit_4_naming_the_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = std::fs::read(golden("tiny_mlp.torch.ftr")).expect("golden");
    bytes[8..10].copy_from_slice(&7u16.to_le_bytes());
    let future = dir.path().join("future.ftr");
    std::fs::write(&future, &bytes).expect("write");
    let out = ft_replay(&["--against", path_str(&future)]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let minor = u16::from_le_bytes([bytes[10], bytes[11]]);
    assert!(stderr.contains(&format!("version 7.{minor}")), "{stderr}");
}

#[test]
fn missing_files_and_bad_flags_have_distinct_exit_codes() {
    let out = ft_replay(&["--against", "/nonexistent/x.ftr"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out).1.contains("/nonexistent/x.ftr"));

    let out = ft_replay(&["--bogus-flag"]);
    assert_eq!(out.status.code(), Some(2));

    let trace = golden("tiny_mlp.torch.ftr");
    let out = ft_replay(&["--against", path_str(&trace), "--inject-fault", "nonsense"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out).1);
}

#[test]
fn help_documents_the_exit_codes() {
    let out = ft_replay(&["--help"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    for code in ["0  ", "1  ", "2  ", "3  ", "4  ", "5  "] {
        assert!(
            stdout.contains(code),
            "exit code {code} undocumented:\n{stdout}"
        );
    }
}

#[test]
fn an_op_the_runtime_lacks_is_exit_5_naming_the_op() {
    use ft_trace::tensor_bytes::f32_to_bytes;
    use ft_trace::{
        ApiEvent, ChainStep, Context, DispatchEvent, EventBody, FileTraceWriter, OpCall,
        TensorIntro, TensorRef, TraceMeta, Value,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fft.ftr");
    let meta = TraceMeta {
        producer: "test".into(),
        program: "fft.py".into(),
        value_policy: "all".into(),
        attrs: vec![],
    };
    let mut file = FileTraceWriter::create(&path, &meta).expect("create");
    let w = file.writer();
    let digest = w
        .put_blob("float32", &[4], &f32_to_bytes(&[1.0, 2.0, 3.0, 4.0]))
        .expect("blob");
    let x = TensorRef {
        id: 0,
        dtype: "float32".into(),
        shape: vec![4].into(),
        stride: vec![1].into(),
        offset: 0,
        storage: 0,
        device: "cpu".into(),
        requires_grad: false,
        version: 0,
        value: Some(digest),
        sparse: None,
        nested: None,
    };
    w.append(
        &EventBody::Api(ApiEvent::Tensor(TensorIntro {
            tensor: Box::new(x.clone()),
            alias: false,
        })),
        0,
    )
    .expect("intro");
    let mut arg = x.clone();
    arg.value = None;
    let mut out = x;
    out.id = 1;
    out.storage = 1;
    w.append(
        &EventBody::Dispatch(DispatchEvent::Op(OpCall {
            op: "aten.quantize_per_tensor_dynamic.default".into(),
            keyset: vec!["AutogradCPU".into(), "CPU".into()].into(),
            chain: vec![ChainStep {
                key: "CPU".into(),
                handler: "kernel".into(),
            }]
            .into(),
            args: vec![
                ("self".into(), Value::Tensor(Box::new(arg))),
                ("dtype".into(), Value::Dtype("uint8".into())),
                ("reduce_range".into(), Value::Bool(false)),
            ],
            outputs: vec![Value::Tensor(Box::new(out))],
            context: Context::TopLevel,
        })),
        0,
    )
    .expect("op");
    file.finish().expect("finish");

    let out = ft_replay(&["--against", path_str(&path)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    // The support scan's header line, then one line per missing item.
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.contains("aten.quantize_per_tensor_dynamic.default"),
        "{stderr}"
    );
}

#[test]
fn junit_has_one_case_per_check_and_fails_the_broken_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = golden("tiny_mlp.torch.ftr");
    let ok = dir.path().join("ok.xml");
    let out = ft_replay(&["--against", path_str(&trace), "--junit", path_str(&ok)]);
    assert_eq!(out.status.code(), Some(0));
    let xml = std::fs::read_to_string(&ok).expect("junit written");
    for check in [
        "dispatch", "graph", "schedule", "dataflow", "stream", "values",
    ] {
        assert!(
            xml.contains(&format!("name=\"{check}\"")),
            "{check}:\n{xml}"
        );
    }
    assert!(!xml.contains("<failure"), "{xml}");

    let bad = dir.path().join("bad.xml");
    let out = ft_replay(&[
        "--against",
        path_str(&trace),
        "--junit",
        path_str(&bad),
        "--inject-fault",
        "rename-node=ReluBackward0:ReluBackward1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&bad).expect("junit written");
    assert!(xml.contains("<failure"), "{xml}");
    assert!(xml.contains("ReluBackward1"), "{xml}");
}

#[test]
fn perfetto_trace_holds_both_runs_node_spans_and_divergences() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = golden("tiny_mlp.torch.ftr");
    let file = dir.path().join("trace.json");
    let out = ft_replay(&[
        "--against",
        path_str(&trace),
        "--perfetto",
        path_str(&file),
        "--inject-fault",
        "reverse-ready-queue",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("written")).expect("json");
    let events = doc["traceEvents"].as_array().expect("traceEvents");
    for pid in [1, 2] {
        assert!(
            events.iter().any(|e| e["pid"] == pid && e["ph"] == "i"),
            "pid {pid}"
        );
        assert!(
            events
                .iter()
                .any(|e| e["pid"] == pid && e["cat"] == "node" && e["name"] == "ReluBackward0"),
            "node span in pid {pid}"
        );
    }
    assert!(events.iter().any(|e| e["cat"] == "divergence"));
}
