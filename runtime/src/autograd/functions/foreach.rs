//! Backward functions of the `_foreach_*` operators.
