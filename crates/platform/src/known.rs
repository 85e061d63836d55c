//! A bounded set of resource ids known to exist in another service.
//!
//! People and projects are never deleted, so once another service confirmed one exists, later
//! calls can skip the round trip. When the set is full it is simply emptied.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

/// Ids confirmed to exist; cheap to clone and share.
#[derive(Debug, Clone)]
pub struct KnownIds {
    ids: Arc<Mutex<HashSet<Uuid>>>,
    capacity: usize,
}

impl Default for KnownIds {
    fn default() -> Self {
        Self::with_capacity(Self::CAPACITY)
    }
}

impl KnownIds {
    /// How many ids the set holds by default.
    pub const CAPACITY: usize = 100_000;

    /// A set that holds at most `capacity` ids (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self { ids: Arc::default(), capacity: capacity.max(1) }
    }

    /// How many ids the set holds now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.ids.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn contains(&self, id: Uuid) -> bool {
        self.ids.lock().unwrap_or_else(|p| p.into_inner()).contains(&id)
    }

    pub fn insert(&self, id: Uuid) {
        let mut ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        if ids.len() >= self.capacity {
            ids.clear();
        }
        ids.insert(id);
    }

    /// Ok at once when `id` is known; otherwise runs `check` (which asks the owning service)
    /// and remembers `id` when it passes.
    pub async fn ensure<E>(&self, id: Uuid, check: impl std::future::Future<Output = Result<(), E>>) -> Result<(), E> {
        if self.contains(id) {
            return Ok(());
        }
        check.await?;
        self.insert(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_stays_bounded() {
        const CAPACITY: usize = 8;
        let known = KnownIds::with_capacity(CAPACITY);
        let first = Uuid::now_v7();
        assert!(!known.contains(first));
        known.insert(first);
        assert!(known.clone().contains(first), "clones share the set");

        let mut filled_up = false;
        for _ in 0..CAPACITY * 3 {
            let id = Uuid::now_v7();
            known.insert(id);
            assert!(known.len() <= CAPACITY, "{} ids held, more than the capacity of {CAPACITY}", known.len());
            assert!(known.contains(id), "the newest id is remembered");
            filled_up |= known.len() == CAPACITY;
        }
        assert!(filled_up, "the set reached its capacity");
        assert!(!known.contains(first), "the oldest id was forgotten to make room");
        assert_eq!(KnownIds::default().capacity, KnownIds::CAPACITY);
    }

    #[tokio::test]
    async fn ensure_asks_only_until_an_id_is_confirmed() {
        let known = KnownIds::default();
        let id = Uuid::now_v7();
        assert_eq!(known.ensure(id, async { Err::<(), _>("missing") }).await, Err("missing"));
        assert!(!known.contains(id), "a failed check is not remembered");
        assert_eq!(known.ensure(id, async { Ok::<_, &str>(()) }).await, Ok(()));
        assert_eq!(known.ensure(id, async { Err("not asked again") }).await, Ok(()));
    }
}
