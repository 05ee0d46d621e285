//! Two independent pieces of work at once, on scoped threads.
//!
//! Loading two traces and running the diff's independent checks are the
//! only places a replay uses more than one thread. Results never depend on
//! timing: each side computes exactly what it would alone.

/// Runs `a` on another thread and `b` on this one, and returns both results;
/// a panic in either is resumed here.
pub fn both<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|scope| {
        let handle = scope.spawn(a);
        let b = b();
        let a = handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    })
}
