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

/// The background work of the channels (issue 4), of triage (issue 6) and of the
/// monthly reports: the outbox sender, the IMAP poller, the SLA / auto-close jobs and
/// the report drafter, started beside the HTTP server and stopped with it. Their
/// timers come from the `[jobs]` configuration.
pub struct ChannelJobs {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ChannelJobs {
    /// Starts the five loops (the Zenziva inbox poller of issue 19 beside the IMAP
    /// poller). Each instance has its own holder name in job leases, so
    /// several instances share the mailboxes and jobs without doing one twice.
    pub fn start(config: &Config, store: Arc<dyn Store>) -> ChannelJobs {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let jobs = &config.jobs;
        let holder = format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "tanggap".into()),
            std::process::id(),
            crate::codes::new_tracking_code()
        );
        let sender = crate::notify::OutboxSender::new(
            store.clone(),
            crate::notify::SenderOptions {
                interval: jobs.outbox_interval(),
                lock: jobs.outbox_lock(),
                ..crate::notify::SenderOptions::default()
            },
        );
        let triage = crate::triage::jobs::TriageJobs::new(store.clone(), holder.clone())
            .with_interval(jobs.triage_interval())
            .with_public_url(config.public_url.clone())
            .with_digest_hour(jobs.staff_digest_hour);
        let drafts = crate::reporting::job::Drafter {
            store: store.clone(),
            holder: holder.clone(),
            interval: jobs.report_interval(),
            catch_up_days: jobs.report_catch_up_days,
        };
        let zenziva =
            crate::providers::zenziva::ZenzivaPoller::new(store.clone(), config.public_url.clone(), holder.clone())
                .with_tick(jobs.email_tick());
        let intake = crate::intake::email::EmailIntake::new(store, config.public_url.clone(), holder)
            .with_tick(jobs.email_tick());
        let tasks = vec![
            tokio::spawn(sender.run(stopped.clone())),
            tokio::spawn(triage.run(stopped.clone())),
            tokio::spawn(intake.run(stopped.clone())),
            tokio::spawn(zenziva.run(stopped.clone())),
            tokio::spawn(drafts.run(stopped)),
        ];
        ChannelJobs { stop, tasks }
    }

    /// Asks every loop to stop and waits until the work in hand is finished.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
