//! Value policy `stats`: a PyTorch trace that keeps most values only as
//! statistics (digest, min/max/mean/norm, non-finite count, 16 sampled
//! elements) still replays to MATCH, and a broken kernel is still caught —
//! by the sampled elements and the statistics — and named as where drift
//! starts.

mod support;

use support::{ft_replay, golden};

use ft_trace::{TraceReader, ValueRecord};

#[test]
fn the_stats_golden_keeps_inputs_in_full_and_the_rest_as_statistics() {
    let mut reader = TraceReader::open(golden("values_stats.torch.ftr")).expect("open");
    assert_eq!(reader.meta().value_policy, "stats");
    let entries = reader.blobs().to_vec();
    let (mut blobs, mut stats) = (0, 0);
    for entry in &entries {
        match reader.value_record_at(entry).expect("value record") {
            ValueRecord::Blob(_) => blobs += 1,
            ValueRecord::Stats(record) => {
                stats += 1;
                ft_trace::value_stats::check_record(&record).expect("consistent");
                assert!(reader.blob(&entry.digest).expect("read").is_none());
            }
        }
    }
    assert!(
        blobs > 0 && stats > 5 * blobs,
        "{blobs} blobs, {stats} stats"
    );
}

#[test]
fn a_stats_trace_replays_to_match_free_running_and_anchored() {
    let path = golden("values_stats.torch.ftr");
    let path = path.to_str().expect("utf-8");
    for extra in [None, Some("--anchor")] {
        let mut args = vec!["--against", path];
        args.extend(extra);
        let (code, out) = ft_replay(&args);
        assert_eq!(code, Some(0), "{extra:?}: {out}");
        assert!(out.contains("MATCH"), "{out}");
    }
}

#[test]
fn a_perturbed_kernel_is_caught_by_the_statistics_and_named() {
    let path = golden("values_stats.torch.ftr");
    let (code, out) = ft_replay(&[
        "--against",
        path.to_str().expect("utf-8"),
        "--inject-fault",
        "perturb=aten.addmm.default:0.001",
    ]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("checks against PyTorch's statistics out of tolerance"),
        "{out}"
    );
    assert!(out.contains("drift starts at aten.addmm.default"), "{out}");
}
