//! Mutation test of setup_context-style custom Functions on the
//! `function_setup_context` golden: a runtime that hands a Function's
//! gradients to its inputs in reverse order sends ScaledTanh's parameter
//! gradient (shape [6]) to its input edge (shape [8, 6]) and is stopped
//! there.

use super::support::replay_with_fault;

#[test]
fn reversed_function_gradients_are_refused_at_the_input_edge() {
    let (code, out) =
        replay_with_fault("function_setup_context.torch.ftr", "reverse-function-grads");
    assert_eq!(code, Some(5), "{out}");
    assert!(
        out.contains(
            "invalid gradient at index 0 - got [6] but expected shape compatible with [8, 6]"
        ),
        "{out}"
    );
}
