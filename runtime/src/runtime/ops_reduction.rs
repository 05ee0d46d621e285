//! Typed operator calls (one dispatch each) used by the backward formulas of
//! the reductions, factories and random operators.
