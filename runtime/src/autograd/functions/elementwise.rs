//! Backward functions of the elementwise, activation, comparison and logic operators.
