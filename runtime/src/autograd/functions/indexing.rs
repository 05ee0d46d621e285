//! Backward functions of the shape, view, joining and indexing operators.
