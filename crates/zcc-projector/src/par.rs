//! A parallel map over a slice, shared by the rebuild and catch-up.
//!
//! It runs on rayon's global pool (one thread per core, started once): spawning threads per
//! chunk cost thread start-up every few thousand events, and every new thread could take a
//! fresh allocator arena, so the process grew for minutes before it levelled off.

use rayon::prelude::*;

/// Map `items` in order, in parallel unless `threads` is 1 or there is too little to share.
pub(crate) fn par_map<T: Sync, U: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    if threads <= 1 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    items.par_iter().with_min_len(32).map(&f).collect()
}

/// [`par_map`] over owned items: each item is consumed (and what `f` leaves of it freed) on the
/// worker that maps it, not afterwards on the calling thread.
pub(crate) fn par_map_owned<T: Send, U: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> U + Sync + Send,
) -> Vec<U> {
    if threads <= 1 || items.len() < 64 {
        return items.into_iter().map(&f).collect();
    }
    items.into_par_iter().with_min_len(32).map(&f).collect()
}
