//! Backward functions of the reductions, factories and random operators.
