//! Typed operator calls (one dispatch each) used by the backward formulas of
//! the shape, view, joining and indexing operators.
