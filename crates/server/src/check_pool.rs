//! The pool that runs checks off the async runtime: a fixed number of threads (a rayon pool)
//! and a bounded number of checks waiting for one. The async workers only hand work over and
//! await the answer, so `/healthz` and every other request keep being served while checks run;
//! a check that finds the pool and its queue full is refused at once ([`Busy`]) instead of
//! queuing without bound.
//!
//! A job learns that nobody waits for it any more ([`Job::cancelled`]): the request timed out
//! (the timeout layer dropped it) or the client went away. Jobs over many items look between
//! items and stop, so a timeout really ends the work.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;

pub struct CheckPool {
    threads: rayon::ThreadPool,
    /// Jobs running or waiting; at most `capacity`.
    admitted: Arc<AtomicUsize>,
    capacity: usize,
}

/// Why a job gave no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolError {
    /// The pool and its queue are full; nothing was run.
    Busy,
    /// The job panicked (the engine never should on any input; the pool survives it).
    Failed,
}

/// What a running job may ask: whether its answer is still wanted.
pub struct Job {
    cancelled: Arc<AtomicBool>,
    deadline: Instant,
}

impl Job {
    /// The request was dropped (timeout, client gone) or its deadline has passed.
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed) || Instant::now() >= self.deadline
    }
}

/// Sets the job's flag when the awaiting request is dropped before the answer came.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Gives the job's place back when it ends, however it ends.
struct Admitted(Arc<AtomicUsize>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl CheckPool {
    /// `workers` threads, and at most `queue` jobs waiting for one.
    pub fn new(workers: usize, queue: usize) -> std::io::Result<CheckPool> {
        let workers = workers.max(1);
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("quytac-check-{i}"))
            // Without a handler a panic in a job would abort the process; the job's request
            // gets `PoolError::Failed` instead.
            .panic_handler(|_| tracing::error!("a check panicked"))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(CheckPool {
            threads,
            admitted: Arc::default(),
            capacity: workers + queue,
        })
    }

    /// Runs `work` on a pool thread and awaits its value; `Err(Busy)` at once when the pool
    /// and its queue are full. `deadline` is when the request's answer stops being wanted.
    /// A job whose request went away while it waited is not run.
    pub async fn run<T: Send + 'static>(
        &self,
        deadline: Instant,
        work: impl FnOnce(&Job) -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let took = self
            .admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            });
        if took.is_err() {
            return Err(PoolError::Busy);
        }
        let admitted = Admitted(self.admitted.clone());
        let cancelled = Arc::new(AtomicBool::new(false));
        let job = Job {
            cancelled: cancelled.clone(),
            deadline,
        };
        let _cancel = CancelOnDrop(cancelled);
        let (tx, rx) = oneshot::channel();
        self.threads.spawn(move || {
            let _admitted = admitted;
            if !job.cancelled.load(Ordering::Relaxed) {
                let _ = tx.send(work(&job));
            }
        });
        // The sender is dropped without a value only if `work` panicked.
        rx.await.map_err(|_| PoolError::Failed)
    }
}
