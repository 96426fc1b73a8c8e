//! `urpmail poll`: the service. `--once` processes what is new in every account and exits (for
//! systemd timers and cron); without it, it runs until SIGTERM/SIGINT. The signals are handled
//! here, at the edge: the daemon only sees a shutdown future.

use std::future::Future;
use std::sync::{Arc, Mutex};

use super::{Error, engine_for, store_error};
use crate::config::Config;
use crate::daemon::{self, PollSummary, Shared, SyncError};
use crate::source::imap::ImapError;

fn map_sync(e: SyncError, config: &Config) -> Error {
    match e {
        SyncError::Imap(e @ ImapError::Network { .. }) => Error::Unavailable(e.to_string()),
        SyncError::Imap(e) => Error::Input(e.to_string()),
        SyncError::Store(e) => store_error(&config.store)(e),
        SyncError::Stopped => Error::Unavailable("stopped by signal before the run finished".into()),
        SyncError::Join(m) => Error::Input(m),
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C where there are no Unix signals). The handlers are
/// installed when this is called, not when first polled, so an early signal is not lost to the
/// default action (which would kill the process mid-batch). Must be called inside the runtime.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
        async move {
            match streams {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                // No handler: the default action stops the process, as before urpmail started.
                _ => std::future::pending().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Runs the service; `once` = one pass over all accounts.
pub fn run(config: &Config, once: bool) -> Result<Option<PollSummary>, Error> {
    if config.accounts.is_empty() {
        return Err(Error::Input(format!("{}: no [[account]] to poll", config.file.display())));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?;
    // Start-up is mostly waiting for the server: for `--once` the classifier (rules, model) is
    // built while the first account connects. A bad rules file or model still wins over a
    // connection error, as if it had been checked first, and leaves no store behind.
    let (engine, first) = std::thread::scope(|scope| {
        let engine_job = scope.spawn(|| engine_for(config));
        let first = once.then(|| runtime.block_on(daemon::connect(&config.accounts[0])));
        let engine = engine_job
            .join()
            .map_err(|_| Error::Input("internal error: building the classifier failed".into()))??;
        Ok::<_, Error>((engine, first))
    })?;
    let store = daemon::open_store(config).map_err(store_error(&config.store))?;
    let store = Arc::new(Mutex::new(store));
    // With `model = "default"` the daemon follows the store's active model: a `learn` while it
    // runs takes effect at its next pass, without a restart.
    let mut shared = if config.model == "default" {
        let active = store.lock().ok().and_then(|s| s.active_model().ok().flatten()).map(|m| m.version);
        let reload_config = config.clone();
        let reload: daemon::Reload = Box::new(move || engine_for(&reload_config).map_err(|e| e.to_string()));
        Shared::with_slot(daemon::EngineSlot::following(engine, active, reload), store)
    } else {
        Shared::new(engine, store)
    };
    shared.lease_ttl = config.lease;
    runtime.block_on(async {
        let shutdown = shutdown_signal();
        if once {
            daemon::poll_once(config, shared, first, shutdown)
                .await
                .map(Some)
                .map_err(|e| map_sync(e, config))
        } else {
            daemon::run_daemon(config, shared, shutdown).await.map(|()| None).map_err(|e| map_sync(e, config))
        }
    })
}
