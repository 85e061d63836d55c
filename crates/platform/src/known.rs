//! A bounded set of resource ids known to exist in another service.
//!
//! People and projects are never deleted, so once another service confirmed one exists, later
//! calls can skip the round trip. When the set is full it is simply emptied.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

/// Ids confirmed to exist; cheap to clone and share.
#[derive(Debug, Clone, Default)]
pub struct KnownIds(Arc<Mutex<HashSet<Uuid>>>);

impl KnownIds {
    const CAPACITY: usize = 100_000;

    pub fn contains(&self, id: Uuid) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).contains(&id)
    }

    pub fn insert(&self, id: Uuid) {
        let mut ids = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if ids.len() >= Self::CAPACITY {
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
        let known = KnownIds::default();
        let id = Uuid::now_v7();
        assert!(!known.contains(id));
        known.insert(id);
        assert!(known.clone().contains(id), "clones share the set");
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
