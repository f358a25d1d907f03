//! A value that a reload may replace while the gateway runs. Readers take the current
//! value as an `Arc` and keep it for as long as their work takes: a replacement never
//! changes what a reader already holds, so one request, attempt or mail pass sees one
//! version from start to end.

use std::sync::{Arc, RwLock};

/// A shared, replaceable value; clones share it.
#[derive(Debug)]
pub struct Live<T>(Arc<RwLock<Arc<T>>>);

impl<T> Clone for Live<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Live<T> {
    /// A value that starts as `value`.
    pub fn new(value: impl Into<Arc<T>>) -> Self {
        Self(Arc::new(RwLock::new(value.into())))
    }

    /// The current value.
    pub fn get(&self) -> Arc<T> {
        // A poisoned lock only means a reader panicked while cloning an `Arc`; the value
        // itself is whole.
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the value for every reader that comes after.
    pub fn set(&self, value: impl Into<Arc<T>>) {
        let mut guard = match self.0.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = value.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_keeps_its_version_and_later_readers_see_the_new_one() {
        let live = Live::new(1);
        let shared = live.clone();
        let held = live.get();
        shared.set(2);
        assert_eq!(*held, 1);
        assert_eq!(*live.get(), 2);
    }
}
