//! Group commit for survey responses: one writer task takes every queued response,
//! stores them in one transaction, and only then answers each caller. Single-row
//! transactions on SQLite spend their time waiting for the write lock; one
//! transaction per batch keeps the submission endpoint above 2,000 responses a
//! second (docs/performance.md) without giving up "accepted means stored".

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::storage::model::SurveyIntake;
use crate::storage::{Store, StoreError};

/// Most responses committed in one transaction: enough to amortise a commit, small
/// enough that one slow batch does not hold callers long.
pub const MAX_BATCH: usize = 256;

/// How many responses may wait for the writer before callers wait to enqueue.
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<Option<i64>, StoreError>>;

/// Hands responses to the writer task. Cheap to clone; the task ends when the last
/// handle is dropped.
#[derive(Clone)]
pub struct SurveyWriter {
    queue: mpsc::Sender<(SurveyIntake, Reply)>,
}

impl SurveyWriter {
    /// Starts the writer task on the current runtime.
    pub fn spawn(store: Arc<dyn Store>) -> SurveyWriter {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, rx));
        SurveyWriter { queue }
    }

    /// Stores one response and returns once its transaction has committed: its id,
    /// or `None` when its import key was stored before.
    pub async fn record(&self, intake: SurveyIntake) -> Result<Option<i64>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((intake, reply))
            .await
            .map_err(|_| StoreError::Rejected("the survey writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Rejected("the survey writer dropped a response".into()))?
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<(SurveyIntake, Reply)>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    // `recv_many` waits for the first response, then takes whatever queued up while
    // the previous batch was committing: no timer, no added latency when idle.
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (intakes, replies): (Vec<SurveyIntake>, Vec<Reply>) = jobs.drain(..).unzip();
        match store.record_survey_batch(&intakes).await {
            Ok(ids) => {
                for (reply, id) in replies.into_iter().zip(ids) {
                    let _ = reply.send(Ok(id));
                }
            }
            Err(err) if intakes.len() == 1 => {
                let _ = replies.into_iter().next().map(|r| r.send(Err(err)));
            }
            Err(err) => {
                // One bad response must not fail its neighbours: store them one by one
                // so each caller gets its own answer.
                tracing::warn!(error = %err, batch = intakes.len(), "survey batch failed; retrying one by one");
                for (intake, reply) in intakes.into_iter().zip(replies) {
                    let result = store
                        .record_survey_batch(std::slice::from_ref(&intake))
                        .await
                        .map(|ids| ids.into_iter().next().flatten());
                    let _ = reply.send(result);
                }
            }
        }
    }
}
