//! Typed operator calls (one dispatch each) used by the backward formulas of
//! the `_foreach_*` operators.
