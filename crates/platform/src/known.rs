//! Bounded memories shared by clones: what another service told, what this process wrote last.
//! When one is full and a new key comes, it is simply emptied.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

use uuid::Uuid;

/// A map of at most `capacity` entries; cheap to clone and share.
#[derive(Debug, Clone)]
pub struct Bounded<K, V> {
    map: Arc<Mutex<HashMap<K, V>>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Default for Bounded<K, V> {
    fn default() -> Self {
        Self::with_capacity(Self::CAPACITY)
    }
}

impl<K: Eq + Hash, V: Clone> Bounded<K, V> {
    /// How many entries a map holds by default.
    pub const CAPACITY: usize = 100_000;

    /// A map that holds at most `capacity` entries (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self { map: Arc::default(), capacity: capacity.max(1) }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, V>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many entries the map holds now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn contains<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.lock().contains_key(key)
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.lock().get(key).cloned()
    }

    /// Keeps `value` under `key`, emptying the map first when it is full and `key` is new.
    pub fn remember(&self, key: K, value: V) {
        let mut map = self.lock();
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, value);
    }

    pub fn forget(&self, key: &K) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_stays_bounded() {
        const CAPACITY: usize = 8;
        let known = Bounded::<Uuid, ()>::with_capacity(CAPACITY);
        let first = Uuid::now_v7();
        assert!(!known.contains(&first));
        known.remember(first, ());
        assert!(known.clone().contains(&first), "clones share the set");

        let mut filled_up = false;
        for _ in 0..CAPACITY * 3 {
            let id = Uuid::now_v7();
            known.remember(id, ());
            assert!(known.len() <= CAPACITY, "{} ids held, more than the capacity of {CAPACITY}", known.len());
            assert!(known.contains(&id), "the newest id is remembered");
            filled_up |= known.len() == CAPACITY;
        }
        assert!(filled_up, "the set reached its capacity");
        assert!(!known.contains(&first), "the oldest id was forgotten to make room");
        assert_eq!(Bounded::<Uuid, ()>::default().capacity, Bounded::<Uuid, ()>::CAPACITY);
    }
}

/// Whether a person can take new work, as the people service says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Active,
    Deactivated,
    /// No such person: remembered for good (people are never deleted, and ids are never reused).
    Missing,
}

/// How long an answer about an active person is trusted: a person deactivated elsewhere takes
/// no new work here after this time.
pub const STANDING_TTL: std::time::Duration = std::time::Duration::from_millis(500);

/// People's standing as the people service told it, each answer with when it came.
#[derive(Debug, Clone)]
pub struct Standings {
    answers: Bounded<Uuid, (Standing, std::time::Instant)>,
}

impl Default for Standings {
    fn default() -> Self {
        Self { answers: Bounded::with_capacity(10_000) }
    }
}

impl Standings {
    /// The person's standing: remembered when missing, or told less than [`STANDING_TTL`] ago;
    /// otherwise `ask` (the people service) says.
    pub async fn of<E>(
        &self,
        id: Uuid,
        ask: impl std::future::Future<Output = Result<Standing, E>>,
    ) -> Result<Standing, E> {
        if let Some((standing, told)) = self.answers.get(&id)
            && (standing == Standing::Missing || told.elapsed() < STANDING_TTL)
        {
            return Ok(standing);
        }
        let told = std::time::Instant::now();
        let standing = ask.await?;
        self.answers.remember(id, (standing, told));
        Ok(standing)
    }
}

/// A person's standing from what GetPerson answered: the person's `state` field, or NOT_FOUND.
pub fn standing_of(answer: Result<i32, tonic::Status>) -> Result<Standing, tonic::Status> {
    use baton_proto::people::v1::PersonState;
    match answer {
        Ok(state) if state == PersonState::Deactivated as i32 => Ok(Standing::Deactivated),
        Ok(_) => Ok(Standing::Active),
        Err(status) if status.code() == tonic::Code::NotFound => Ok(Standing::Missing),
        Err(status) => Err(status),
    }
}
