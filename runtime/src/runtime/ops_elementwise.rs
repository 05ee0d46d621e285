//! Typed operator calls (one dispatch each) used by the backward formulas of
//! the elementwise, activation, comparison and logic operators.
