//! Mutation tests of the counting operators, order statistics and
//! scatter/index reductions (`moe_router`, `order_statistics`): a
//! `bincount` that loses its last bin and a median that takes the upper of
//! two middle values are value failures naming the operator, free-running
//! and anchored; ScatterReduceBackward0 giving tied maxima the whole
//! gradient (no `div` by the tie count) is a divergence naming the node;
//! perturbed kernels are value failures naming the operator; a misnamed
//! node is a graph divergence.

use super::support::{replay, replay_anchored_with_fault, replay_perturbed, replay_with_fault};

const MOE: &str = "moe_router.torch.ftr";
const ORDER: &str = "order_statistics.torch.ftr";

#[test]
fn the_corpus_programs_match() {
    for trace in [MOE, ORDER] {
        let (code, out) = replay(trace, None);
        assert_eq!(code, Some(0), "{trace}: {out}");
        assert!(out.contains("MATCH"), "{trace}: {out}");
    }
}

#[test]
fn kernel_faults_are_value_failures_naming_the_op_free_running_and_anchored() {
    for (trace, fault, op) in [
        (MOE, "bincount-drops-last-bin", "aten.bincount.default"),
        (ORDER, "median-upper-of-two", "aten.median.dim"),
    ] {
        let (code, out) = replay_with_fault(trace, fault);
        assert_eq!(code, Some(3), "{fault}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{fault}: {out}"
        );
        let (code, out) = replay_anchored_with_fault(trace, fault);
        assert_eq!(code, Some(3), "{fault} anchored: {out}");
        assert!(out.contains(op), "{fault} anchored: {out}");
    }
}

#[test]
fn an_unsplit_amax_gradient_is_caught_and_names_the_node() {
    let (code, out) = replay_with_fault(MOE, "scatter-amax-gradient-not-split");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("ScatterReduceBackward0"), "{out}");
    let (code, out) = replay_anchored_with_fault(MOE, "scatter-amax-gradient-not-split");
    assert_eq!(code, Some(1), "anchored: {out}");
}

#[test]
fn perturbed_kernels_are_value_failures_naming_the_op() {
    for (trace, op) in [
        (MOE, "aten.scatter_reduce.two"),
        (MOE, "aten.bincount.default"),
        (ORDER, "aten.median.dim"),
        (ORDER, "aten.kthvalue.default"),
        (ORDER, "aten.nanmedian.dim"),
        (ORDER, "aten.mode.default"),
        (ORDER, "aten.cummax.default"),
        (ORDER, "aten.cummin.default"),
        (ORDER, "aten.histc.default"),
        (ORDER, "aten._unique2.default"),
    ] {
        let (code, out) = replay_perturbed(trace, op, "0.01");
        assert_eq!(code, Some(3), "{op}: {out}");
        assert!(
            out.contains(&format!("drift starts at {op}")),
            "{op}: {out}"
        );
    }
}

#[test]
fn a_perturbed_index_reduce_is_named_where_the_drift_starts() {
    // The drifted expert summaries change the parameters, and with them the
    // next step's routing (`nonzero` of another size): a divergence, whose
    // report still names the first drifted operator.
    let (code, out) = replay_perturbed(MOE, "aten.index_reduce.default", "0.01");
    assert!(matches!(code, Some(1) | Some(3)), "{out}");
    assert!(
        out.contains("drift starts at aten.index_reduce.default"),
        "{out}"
    );
}

#[test]
fn misnamed_nodes_are_graph_divergences() {
    for (trace, node, other) in [
        (MOE, "ScatterReduceBackward0", "ScatterAddBackward0"),
        (MOE, "IndexReduceBackward0", "IndexAddBackward0"),
        (ORDER, "KthvalueBackward0", "MaxBackward0"),
        (ORDER, "CummaxBackward0", "CumminBackward0"),
    ] {
        let (code, out) = replay(trace, Some(&format!("rename-node={node}:{other}")));
        assert_eq!(code, Some(1), "{node}: {out}");
        assert!(out.contains(node), "{node}: {out}");
    }
}
