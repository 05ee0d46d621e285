//! Mutation test on the `dtype_query_utils` golden: `promote_types`
//! answers are recorded results, so a runtime that promotes by element size
//! instead of PyTorch's category order (int64 with bfloat16 gives int64) is
//! caught at the query itself.

use super::support::replay_with_fault;

const TRACE: &str = "dtype_query_utils.torch.ftr";

#[test]
fn a_promotion_by_element_size_is_caught_at_promote_types() {
    let (code, out) = replay_with_fault(TRACE, "promote-types-by-size");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "first divergence: [dispatch changed] expected seq 23 / actual seq 23: \
             expected dispatch op aten.promote_types.default()"
        ),
        "{out}"
    );
}

#[test]
fn the_golden_replays() {
    let (code, out) = super::support::replay(TRACE, None);
    assert_eq!(code, Some(0), "{out}");
}
