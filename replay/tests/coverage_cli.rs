//! What the runtime lacks, all at once: the pre-replay support scan (exit 5
//! with every missing operator, derivative and dtype, each with its count
//! and first seq) and `ft-replay coverage` (per trace: operators and dtypes
//! used, which this build supports, a summary line).

use std::path::Path;

use ft_runtime::{BackwardSupport, Runtime};
use ft_trace::tensor_bytes::f32_to_bytes;
use ft_trace::{
    ApiEvent, AutogradEvent, ChainStep, Context, DispatchEvent, EventBody, FileTraceWriter,
    NodeCreated, OpCall, TensorIntro, TensorRef, TraceMeta, Value,
};

mod support;

use support::{path_str, repo, run as ft_replay, text};

/// Builds a small PyTorch-like trace: introduced tensors and top-level ops.
struct TraceBuilder {
    file: FileTraceWriter,
    next_id: u64,
}

impl TraceBuilder {
    fn new(path: &Path) -> TraceBuilder {
        let meta = TraceMeta {
            producer: "test".into(),
            program: "missing.py".into(),
            value_policy: "all".into(),
            attrs: vec![],
        };
        TraceBuilder {
            file: FileTraceWriter::create(path, &meta).expect("create"),
            next_id: 0,
        }
    }

    fn tensor(&mut self, dtype: &str, requires_grad: bool) -> TensorRef {
        let id = self.next_id;
        self.next_id += 1;
        TensorRef {
            id,
            dtype: dtype.into(),
            shape: vec![4].into(),
            stride: vec![1].into(),
            offset: 0,
            storage: id,
            device: "cpu".into(),
            requires_grad,
            version: 0,
            value: None,
            sparse: None,
            nested: None,
        }
    }

    /// An introduced float32 tensor `[1, 2, 3, 4]` (the bytes are float32's
    /// whatever `dtype` says: the scan never reads values).
    fn intro(&mut self, dtype: &str) -> TensorRef {
        let w = self.file.writer();
        let digest = w
            .put_blob(dtype, &[4], &f32_to_bytes(&[1.0, 2.0, 3.0, 4.0]))
            .expect("blob");
        let mut t = self.tensor(dtype, false);
        t.value = Some(digest);
        self.file
            .writer()
            .append(
                &EventBody::Api(ApiEvent::Tensor(TensorIntro {
                    tensor: Box::new(t.clone()),
                    alias: false,
                })),
                0,
            )
            .expect("intro");
        t.value = None;
        t
    }

    /// A top-level op of `input`; returns its output (float32 unless `dtype`).
    fn op(&mut self, op: &str, input: &TensorRef, dtype: &str, requires_grad: bool) -> TensorRef {
        let out = self.tensor(dtype, requires_grad);
        self.file
            .writer()
            .append(
                &EventBody::Dispatch(DispatchEvent::Op(OpCall {
                    op: op.into(),
                    keyset: vec!["CPU".into()].into(),
                    chain: vec![ChainStep {
                        key: "CPU".into(),
                        handler: "kernel".into(),
                    }]
                    .into(),
                    args: vec![("self".into(), Value::Tensor(Box::new(input.clone())))],
                    outputs: vec![Value::Tensor(Box::new(out.clone()))],
                    context: Context::TopLevel,
                })),
                0,
            )
            .expect("op");
        out
    }

    /// The graph node PyTorch attached to `output`.
    fn node(&mut self, node: u64, name: &str, output: &TensorRef) {
        self.file
            .writer()
            .append(
                &EventBody::Autograd(AutogradEvent::Node(NodeCreated {
                    node,
                    name: name.into(),
                    seq_nr: node,
                    next: vec![],
                    tensors: vec![output.id],
                })),
                0,
            )
            .expect("node");
    }

    fn finish(self) {
        self.file.finish().expect("finish");
    }
}

/// A registered overload with a kernel and no derivative formula, if the
/// build has one (for the `backward` kind).
fn op_without_derivative() -> Option<String> {
    Runtime::op_supports()
        .into_iter()
        .find(|s| s.executable() && s.backward == BackwardSupport::Missing)
        .map(|s| s.op)
}

/// seq: 0 intro, 1 quantize, 2 relu, 3 frobnicate, 4 quantize, 5 intro complex32,
/// 6 relu of complex32, [7 op without derivative, 8 its node].
fn trace_with_gaps(path: &Path) -> Option<String> {
    let mut b = TraceBuilder::new(path);
    let x = b.intro("float32");
    b.op(
        "aten.quantize_per_tensor_dynamic.default",
        &x,
        "float32",
        false,
    );
    b.op("aten.relu.default", &x, "float32", false);
    b.op("aten.frobnicate.default", &x, "float32", false);
    b.op(
        "aten.quantize_per_tensor_dynamic.default",
        &x,
        "float32",
        false,
    );
    let z = b.intro("complex32");
    b.op("aten.relu.default", &z, "complex32", false);
    let no_derivative = op_without_derivative();
    if let Some(op) = &no_derivative {
        let y = b.op(op, &x, "float32", true);
        b.node(0, "SomethingBackward0", &y);
    }
    b.finish();
    no_derivative
}

#[test]
fn every_missing_operator_and_dtype_is_listed_with_count_and_first_seq() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gaps.ftr");
    let no_derivative = trace_with_gaps(&path);
    let out = ft_replay(&["--against", path_str(&path)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    let expected_items = 3 + usize::from(no_derivative.is_some());
    assert_eq!(lines.len(), 1 + expected_items, "{stderr}");
    assert!(
        lines[0].contains(&format!("lacks {expected_items} things")),
        "{stderr}"
    );
    // Operators first, in first-use order, then derivatives, then dtypes.
    assert!(
        lines[1].contains(
            "operator aten.quantize_per_tensor_dynamic.default (2 events, first torch seq 1)"
        ),
        "{stderr}"
    );
    assert!(
        lines[2].contains("operator aten.frobnicate.default (1 event, first torch seq 3)"),
        "{stderr}"
    );
    if let Some(op) = &no_derivative {
        assert!(
            lines[3].contains(&format!("backward {op} (1 event, first torch seq 7)")),
            "{stderr}"
        );
        assert!(lines[3].contains("SomethingBackward0"), "{stderr}");
    }
    let last = lines[lines.len() - 1];
    assert!(
        last.contains("dtype complex32 (2 events, first torch seq 5)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("aten.relu.default"),
        "relu is supported:\n{stderr}"
    );
}

#[test]
fn json_carries_every_missing_item() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gaps.ftr");
    let no_derivative = trace_with_gaps(&path);
    let out = ft_replay(&["--against", path_str(&path), "--format", "json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("json on stdout");
    assert_eq!(doc["verdict"], "unsupported");
    assert_eq!(doc["exit"], 5);
    let missing = doc["missing"].as_array().expect("missing list");
    assert_eq!(missing.len(), 3 + usize::from(no_derivative.is_some()));
    let names: Vec<&str> = missing.iter().filter_map(|m| m["name"].as_str()).collect();
    for name in [
        "aten.quantize_per_tensor_dynamic.default",
        "aten.frobnicate.default",
        "complex32",
    ] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
    assert_eq!(missing[0]["kind"], "operator");
    assert_eq!(missing[0]["count"], 2);
    assert_eq!(missing[0]["first_seq"], 1);
}

#[test]
fn coverage_lists_operators_and_dtypes_with_support_and_a_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gaps.ftr");
    trace_with_gaps(&path);
    let golden = repo().join("traces/tiny_mlp.torch.ftr");
    let out = ft_replay(&["coverage", path_str(&path), path_str(&golden)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    let quantize = stdout
        .lines()
        .find(|l| l.contains("aten.quantize_per_tensor_dynamic.default"))
        .expect("quantize row");
    assert!(
        quantize.starts_with('!') && quantize.contains(" NO "),
        "{quantize}"
    );
    let relu = stdout
        .lines()
        .find(|l| l.contains("aten.relu.default"))
        .expect("relu row");
    assert!(
        relu.contains("yes") && relu.contains("ReluBackward0"),
        "{relu}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("complex32") && l.contains("NO")),
        "{stdout}"
    );
    let summaries: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("operators supported"))
        .collect();
    assert_eq!(summaries.len(), 2, "{stdout}");
    assert!(summaries[0].ends_with("NOT REPLAYABLE"), "{stdout}");
    assert!(summaries[1].contains("tiny_mlp"), "{stdout}");
    assert!(summaries[1].ends_with(": replayable"), "{stdout}");
}

#[test]
fn coverage_of_goldens_is_exit_0_and_json_has_rows_per_op_and_dtype() {
    let golden = repo().join("traces/mlp_train.torch.ftr");
    let out = ft_replay(&["coverage", "--format", "json", path_str(&golden)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let trace = &doc["traces"][0];
    assert_eq!(trace["summary"]["replayable"], true);
    let ops = trace["ops"].as_array().expect("ops");
    let addmm = ops
        .iter()
        .find(|r| r["op"] == "aten.addmm.default")
        .expect("addmm row");
    assert_eq!(addmm["kernel"], true);
    assert_eq!(addmm["backward"], "AddmmBackward0");
    assert_eq!(addmm["torch_nodes"][0], "AddmmBackward0");
    assert!(addmm["count"].as_u64().unwrap_or(0) >= 3);
    let dtypes = trace["dtypes"].as_array().expect("dtypes");
    assert!(dtypes.iter().any(|d| d["dtype"] == "float32"));
}

#[test]
fn the_replay_and_diff_command_lines_still_work() {
    let golden = repo().join("traces/tiny_mlp.torch.ftr");
    let g = path_str(&golden);
    let out = ft_replay(&["--against", g]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let out = ft_replay(&[g, "--against", g]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    // Neither a trace nor --against: usage error.
    assert_eq!(ft_replay(&[]).status.code(), Some(2));
    assert_eq!(ft_replay(&[g]).status.code(), Some(2));
    // The subcommand needs at least one trace and takes no --against.
    assert_eq!(ft_replay(&["coverage"]).status.code(), Some(2));
    assert_eq!(
        ft_replay(&["coverage", g, "--against", g]).status.code(),
        Some(2)
    );
    let help = text(&ft_replay(&["--help"])).0;
    assert!(help.contains("coverage"), "{help}");
}

#[test]
fn a_failure_only_execution_reveals_is_exit_5_with_a_one_item_json_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("late.ftr");
    let mut b = TraceBuilder::new(&path);
    let x = b.intro("float32");
    // Registered with a kernel, so the scan passes; the shapes cannot multiply.
    let out = b.tensor("float32", false);
    b.file
        .writer()
        .append(
            &EventBody::Dispatch(DispatchEvent::Op(OpCall {
                op: "aten.mm.default".into(),
                keyset: vec!["CPU".into()].into(),
                chain: vec![ChainStep {
                    key: "CPU".into(),
                    handler: "kernel".into(),
                }]
                .into(),
                args: vec![
                    ("self".into(), Value::Tensor(Box::new(x.clone()))),
                    ("mat2".into(), Value::Tensor(Box::new(x))),
                ],
                outputs: vec![Value::Tensor(Box::new(out))],
                context: Context::TopLevel,
            })),
            0,
        )
        .expect("op");
    b.finish();
    let out = ft_replay(&["--against", path_str(&path), "--format", "json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(stderr.contains("aten.mm.default"), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("json on stdout");
    let missing = doc["missing"].as_array().expect("missing list");
    assert_eq!(missing.len(), 1, "{stdout}");
    assert_eq!(missing[0]["kind"], "execution");
    assert_eq!(missing[0]["name"], "aten.mm.default");
    assert_eq!(missing[0]["first_seq"], 1);
}

#[test]
fn a_real_only_operator_given_complex_tensors_is_missing_and_not_claimed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("complex.ftr");
    let mut b = TraceBuilder::new(&path);
    let z = b.intro("complex64");
    // asinh has only a real kernel; abs has a complex path.
    b.op("aten.asinh.default", &z, "complex64", false);
    b.op("aten.abs.default", &z, "float32", false);
    b.finish();
    let out = ft_replay(&["--against", path_str(&path)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "operator aten.asinh.default (1 event, first torch seq 1): no complex64 kernel"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("aten.abs.default"), "{stderr}");
    let out = ft_replay(&["coverage", "--format", "json", path_str(&path)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let ops = doc["traces"][0]["ops"].as_array().expect("ops");
    let row = |name: &str| {
        ops.iter()
            .find(|r| r["op"] == name)
            .unwrap_or_else(|| panic!("{name} row in {stdout}"))
    };
    assert_eq!(row("aten.asinh.default")["supported"], false);
    assert_eq!(row("aten.asinh.default")["kernel"], false);
    assert_eq!(row("aten.abs.default")["supported"], true);
    assert_eq!(doc["traces"][0]["summary"]["replayable"], false);
}

#[test]
fn another_librarys_operator_is_listed_missing_not_replayed() {
    // torchvision's qroi_align (RoIAlign on a quantized map) and
    // `_cuda_version` are `torchvision::` operators the capture records
    // like ATen's; the runtime has no kernels for them (it has nms, the RoI
    // poolings and deform_conv2d), so the scan lists them (exit 5) before
    // anything runs, rather than replaying around them.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("qroi.ftr");
    let mut b = TraceBuilder::new(&path);
    let x = b.intro("float32");
    let pooled = b.op("torchvision.qroi_align.default", &x, "float32", false);
    b.op(
        "torchvision._cuda_version.default",
        &pooled,
        "float32",
        false,
    );
    b.finish();
    let out = ft_replay(&["--against", path_str(&path)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(stderr.contains("(nothing was replayed)"), "{stderr}");
    for (op, seq) in [
        ("torchvision.qroi_align.default", 1),
        ("torchvision._cuda_version.default", 2),
    ] {
        assert!(
            stderr.contains(&format!(
                "operator {op} (1 event, first torch seq {seq}): not registered in this runtime build"
            )),
            "{stderr}"
        );
    }
}
