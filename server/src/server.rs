//! Starting and stopping the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::storage::Store;
use crate::web::{AppState, router};

/// A server bound to its port, ready to run; tests bind port 0 and read the address.
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    /// Binds the configured address. The store must already be migrated.
    pub async fn bind(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(config.bind).await.map_err(|e| {
            anyhow::anyhow!(
                "tidak dapat membuka alamat {} / cannot bind {}: {e}",
                config.bind,
                config.bind
            )
        })?;
        Ok(Server {
            listener,
            state: AppState {
                survey: Arc::new(crate::survey::SurveyDesk::new(store.clone())),
                images: Arc::new(crate::web::ImageCache::default()),
                store,
                limits: Arc::new(crate::web::RateLimits::new(&config)),
                config: Arc::new(config),
            },
        })
    }

    /// The address actually bound (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(
            self.listener,
            router(self.state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM, so `systemctl stop` and container stops drain
/// requests instead of cutting them.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The background work of the channels (issue 4) and of triage (issue 6): the outbox
/// sender, the IMAP poller and the SLA / auto-close jobs, started beside the HTTP
/// server and stopped with it.
pub struct ChannelJobs {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ChannelJobs {
    /// Starts both loops. Each instance has its own holder name in job leases, so
    /// several instances share the mailboxes without polling one twice.
    pub fn start(config: &Config, store: Arc<dyn Store>) -> ChannelJobs {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let holder = format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "tanggap".into()),
            std::process::id(),
            crate::codes::new_tracking_code()
        );
        let sender = crate::notify::OutboxSender::new(store.clone(), outbox_options_from_env());
        let triage = crate::triage::jobs::TriageJobs::new(store.clone(), holder.clone());
        let drafts = tokio::spawn(crate::reporting::job::run(
            store.clone(),
            holder.clone(),
            stopped.clone(),
        ));
        let intake = crate::intake::email::EmailIntake::new(store, config.public_url.clone(), holder);
        let tasks = vec![
            tokio::spawn(sender.run(stopped.clone())),
            tokio::spawn(triage.run(stopped.clone())),
            tokio::spawn(intake.run(stopped)),
            drafts,
        ];
        ChannelJobs { stop, tasks }
    }

    /// Asks both loops to stop and waits until the work in hand is finished.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The outbox sender's options, with two knobs from the environment for tests that
/// run the real binary (the crash trials, issue 22) and cannot wait minutes:
/// `TANGGAP_JOBS_OUTBOX_INTERVAL_MS` (time between passes) and
/// `TANGGAP_JOBS_OUTBOX_LOCK_MS` (how long a claim holds a row, so a row claimed by a
/// killed process is retried that much later). Unset or unreadable: the defaults.
fn outbox_options_from_env() -> crate::notify::SenderOptions {
    let millis = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(std::time::Duration::from_millis)
    };
    let defaults = crate::notify::SenderOptions::default();
    crate::notify::SenderOptions {
        interval: millis("TANGGAP_JOBS_OUTBOX_INTERVAL_MS").unwrap_or(defaults.interval),
        lock: millis("TANGGAP_JOBS_OUTBOX_LOCK_MS").unwrap_or(defaults.lock),
        ..defaults
    }
}
