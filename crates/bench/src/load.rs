//! Load generation: open loop at a fixed rate (latency counted from each call's scheduled start,
//! so a slow server cannot hide queueing), and closed loop with a fixed number of workers, to
//! find the maximum rate.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::stats::histogram;

/// What one run of calls measured.
pub struct Outcome {
    pub ok: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
    pub errors: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Shared {
    ok: u64,
    latency: Option<Histogram<u64>>,
    errors: BTreeMap<String, u64>,
}

impl Shared {
    fn record(&mut self, result: Result<(), tonic::Status>, took: Duration) {
        match result {
            Ok(()) => {
                self.ok += 1;
                let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
                let _ = self.latency.get_or_insert_with(histogram).record(micros.min(60_000_000));
            }
            Err(status) => *self.errors.entry(format!("{:?}", status.code())).or_default() += 1,
        }
    }

    fn finish(self, elapsed: Duration) -> Outcome {
        Outcome { ok: self.ok, elapsed, latency: self.latency.unwrap_or_else(histogram), errors: self.errors }
    }
}

/// Calls `op(i)` at `rate` per second for `duration`, at most `max_in_flight` at once; a call
/// that cannot start because too many are in flight counts as error `GeneratorSaturated`.
pub async fn open_loop<F, Fut>(rate: f64, duration: Duration, max_in_flight: usize, op: F) -> Outcome
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let shared = Arc::new(Mutex::new(Shared::default()));
    let permits = Arc::new(Semaphore::new(max_in_flight));
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    for i in 0..total {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled).await;
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            *shared.lock().expect("lock").errors.entry("GeneratorSaturated".into()).or_default() += 1;
            continue;
        };
        let call = op(i);
        let shared = shared.clone();
        tokio::spawn(async move {
            let result = call.await;
            shared.lock().expect("lock").record(result, scheduled.elapsed());
            // Release the shared state before the permit: the runner takes it back once every
            // permit has returned.
            drop(shared);
            drop(permit);
        });
    }
    let _all = permits.acquire_many(u32::try_from(max_in_flight).unwrap_or(u32::MAX)).await;
    let elapsed = start.elapsed();
    let shared = Arc::try_unwrap(shared).ok().expect("no call left").into_inner().expect("lock");
    shared.finish(elapsed)
}

/// Runs `workers` loops calling `op(i)` back to back for `duration`.
pub async fn closed_loop<F, Fut>(workers: usize, duration: Duration, op: F) -> Outcome
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let shared = Arc::new(Mutex::new(Shared::default()));
    let op = Arc::new(op);
    let start = Instant::now();
    let deadline = start + duration;
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (shared, op, counter) = (shared.clone(), op.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let began = Instant::now();
                let result = op(i).await;
                shared.lock().expect("lock").record(result, began.elapsed());
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = start.elapsed();
    let shared = Arc::try_unwrap(shared).ok().expect("no worker left").into_inner().expect("lock");
    shared.finish(elapsed)
}
