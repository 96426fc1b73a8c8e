//! The service: tokio orchestration of the IMAP source, the pipeline and the store. One
//! long-lived session per account; for each watched mailbox, new UIDs since the checkpoint are
//! fetched in batches, processed off the async threads (`spawn_blocking`) and written with the
//! checkpoint in one transaction. Then it waits with IDLE (re-issued every 29 minutes, RFC 2177)
//! or polls, reconnecting with exponential backoff and jitter on network errors.
//!
//! The entry points take a `shutdown` future (as mini-redis's `server::run`): when it resolves,
//! the service stops between batches, after writing the batches already fetched (a batch is
//! written whole or not at all). The command passes SIGTERM/SIGINT; tests pass any future.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::batch;
use crate::config::{Account, Config};
use crate::domain::{SkipReason, Uid, UidValidity};
use crate::pipeline::{Engine, skip_from_headers};
use crate::source::RawMessage;
use crate::source::imap::{Client, Fetched, ImapError};
use crate::store::{
    Advance, BatchResult, Checkpoint, Lease, Location, RunStatus, RunTotals, Store, StoreError, StoredMessage,
};

/// RFC 2177: re-issue IDLE at least every 29 minutes.
const IDLE_MAX: Duration = Duration::from_secs(29 * 60);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// Bytes fetched per batch at most (besides `batch_size` messages), so memory stays bounded.
const BATCH_BYTES: u64 = 64 * 1024 * 1024;

/// Splits (uid, size) pairs into batches of at most `count` messages and `bytes` bytes (a single
/// larger message is a batch of its own).
///
/// A long backlog starts and ends with smaller batches (1/8, 1/4, 1/2 of `count`): processing
/// cannot start before the first batch is in, and the last batch is processed after fetching has
/// ended, so those two batches are the only time the fetch/process pipeline is half idle.
fn batches(list: &[(Uid, u32)], count: usize, bytes: u64) -> Vec<&[(Uid, u32)]> {
    let mut limits = batch_counts(list.len(), count.max(1)).into_iter();
    let mut out = Vec::new();
    let mut start = 0;
    while start < list.len() {
        // After a batch cut short by `bytes`, the planned counts run out early: full batches then.
        let max = limits.next().unwrap_or(count).max(1);
        let mut end = start;
        let mut sum = 0u64;
        while end < list.len() && end - start < max {
            let size = u64::from(list[end].1);
            if end > start && sum + size > bytes {
                break;
            }
            sum += size;
            end += 1;
        }
        out.push(&list[start..end]);
        start = end;
    }
    out
}

/// Planned batch sizes for `n` messages: full batches of `count`, with the ramp up and down of
/// [`batches`] when the backlog is at least four full batches.
fn batch_counts(n: usize, count: usize) -> Vec<usize> {
    let ramp = [count / 8, count / 4, count / 2];
    let ramp_total: usize = ramp.iter().sum();
    let (head, tail, mut middle) = if count >= 8 && n >= 4 * count {
        (&ramp[..], &ramp[..], n - 2 * ramp_total)
    } else {
        (&[][..], &[][..], n)
    };
    let mut out = head.to_vec();
    while middle > 0 {
        let c = middle.min(count);
        out.push(c);
        middle -= c;
    }
    out.extend(tail.iter().rev());
    out
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stopped on request")]
    Stopped,
    #[error("internal error: {0}")]
    Join(String),
}

/// Shared state of a run.
#[derive(Debug, Clone)]
pub struct Shared {
    pub engine: Arc<EngineSlot>,
    pub store: Arc<Mutex<Store>>,
    /// This daemon's name in mailbox claims: `HOST/PID/NONCE`.
    pub holder: Arc<str>,
    /// How long a mailbox claim lasts without a batch renewing it (`[store] lease_secs`).
    pub lease_ttl: Duration,
}

impl Shared {
    /// A run with a fixed engine.
    pub fn new(engine: Engine, store: Arc<Mutex<Store>>) -> Shared {
        Shared::with_slot(EngineSlot::fixed(engine), store)
    }

    /// A run with the engine of `slot`, the default claim length and a new holder name.
    pub fn with_slot(slot: EngineSlot, store: Arc<Mutex<Store>>) -> Shared {
        Shared {
            engine: Arc::new(slot),
            store,
            holder: holder_name().into(),
            lease_ttl: crate::config::DEFAULT_LEASE,
        }
    }
}

/// A name for this daemon in mailbox claims, unique across machines and restarts: the host
/// name, the process id and a random nonce.
fn holder_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    let mut nonce = [0u8; 4];
    let _ = getrandom::fill(&mut nonce);
    format!("{host}/{}/{:08x}", std::process::id(), u32::from_be_bytes(nonce))
}

/// Builds the engine again (for a new active model of the store).
pub type Reload = Box<dyn Fn() -> Result<Engine, String> + Send + Sync>;

/// The engine the daemon decides with. When the configuration does not pin a model, a new
/// active model of the store (recorded by `learn`) replaces it before the next pass, without
/// a restart; batches already being processed finish with the engine they started with.
pub struct EngineSlot {
    current: std::sync::RwLock<Arc<Engine>>,
    reload: Option<Reload>,
    /// The store's active learned model the current engine was built for (`None`: none).
    built_for: Mutex<Option<String>>,
}

impl std::fmt::Debug for EngineSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSlot").field("reloads", &self.reload.is_some()).finish()
    }
}

impl EngineSlot {
    /// An engine that never changes (a pinned model).
    pub fn fixed(engine: Engine) -> EngineSlot {
        EngineSlot {
            current: std::sync::RwLock::new(Arc::new(engine)),
            reload: None,
            built_for: Mutex::new(None),
        }
    }

    /// An engine built for the store's active learned model `active`, rebuilt by `reload`
    /// when another model becomes active.
    pub fn following(engine: Engine, active: Option<String>, reload: Reload) -> EngineSlot {
        EngineSlot {
            current: std::sync::RwLock::new(Arc::new(engine)),
            reload: Some(reload),
            built_for: Mutex::new(active),
        }
    }

    /// The engine to decide with now.
    pub fn current(&self) -> Arc<Engine> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Replaces the engine when the store's active model is no longer the one it was built for.
    /// A model that cannot be loaded leaves the current engine in place (and says so). Blocking.
    fn follow(&self, store: &Mutex<Store>) {
        let Some(reload) = &self.reload else { return };
        let active = match lock(store).active_model() {
            Ok(m) => m.map(|m| m.version),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the store's active model; keeping the current one");
                return;
            }
        };
        let mut built_for = self.built_for.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if *built_for == active {
            return;
        }
        match reload() {
            Ok(engine) => {
                let version = engine.classifier.model().map(|m| m.header().version.clone());
                tracing::info!(
                    model = version.as_deref().unwrap_or("none"),
                    "the store's active model changed: deciding with it from now on"
                );
                *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(engine);
                *built_for = active;
            }
            Err(e) => {
                tracing::error!(error = %e, "the store's new active model cannot be used; keeping the current one")
            }
        }
    }
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    // A panic while holding the lock cannot leave a half-written batch (SQLite transaction), so
    // the store stays usable.
    store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Join(e.to_string()))?
        .map_err(SyncError::Store)
}

/// Fetched batches waiting for the processor at most (besides the one being processed, the one
/// being fetched, and one processed batch waiting for or in the writer).
const QUEUED_BATCHES: usize = 2;

/// Where the batches of one mailbox visit are recorded.
struct BatchTarget {
    shared: Shared,
    totals: Arc<Mutex<RunTotals>>,
    run: i64,
    account: String,
    mailbox: String,
    uidvalidity: UidValidity,
    /// This daemon's claim on the mailbox: each batch's transaction checks and renews it.
    lease: Lease,
}

impl BatchTarget {
    /// Processes one fetched batch (in parallel), in UID order. Blocking.
    fn process(&self, got: Vec<Fetched>) -> Vec<StoredMessage> {
        let started = std::time::Instant::now();
        let engine = &*self.shared.engine.current();
        let (name, mb, uidvalidity) = (&self.account, &self.mailbox, self.uidvalidity);
        let limit = engine.limits.max_message_bytes;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let location =
            |uid: Uid| Location::Imap { account: name.clone(), mailbox: mb.clone(), uidvalidity, uid };
        let (full, large): (Vec<_>, Vec<_>) = got.into_iter().partition(|f| !f.header_only);
        let mut uids: Vec<Uid> = full.iter().map(|f| f.uid).collect();
        let raws: Vec<RawMessage> = full
            .into_iter()
            .map(|f| RawMessage { location: location(f.uid), bytes: Ok(f.bytes), seen_at: f.internal_date })
            .collect();
        let mut stored = batch::process_all(engine, &raws, now);
        drop(raws);
        for f in &large {
            let reason = SkipReason::TooLarge { size: f.size as usize, limit };
            let at = location(f.uid);
            let o = skip_from_headers(&at.to_string(), reason, &f.bytes);
            stored.push(batch::stored(engine, &o, at));
            uids.push(f.uid);
        }
        // Back in UID order (the headers-only messages were processed apart).
        let mut by_uid: Vec<(Uid, StoredMessage)> = uids.into_iter().zip(stored).collect();
        by_uid.sort_by_key(|(uid, _)| *uid);
        let stored: Vec<StoredMessage> = by_uid.into_iter().map(|(_, m)| m).collect();
        tracing::debug!(
            messages = stored.len(),
            ms = started.elapsed().as_millis() as u64,
            "batch processed"
        );
        stored
    }

    /// Writes a processed batch with the checkpoint `last_uid` in one transaction. Blocking.
    fn write(&self, stored: Vec<StoredMessage>, last_uid: Uid) -> Result<BatchResult, StoreError> {
        let started = std::time::Instant::now();
        let messages = stored.len();
        let mut t = self.totals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut st = lock(&self.shared.store);
        let advance = Advance {
            account: &self.account,
            mailbox: &self.mailbox,
            checkpoint: Checkpoint { uidvalidity: self.uidvalidity, last_uid },
            lease: Some(&self.lease),
        };
        let r = batch::write(&mut st, self.run, stored, Some(advance), &mut t);
        tracing::debug!(
            messages,
            last_uid = last_uid.0,
            ms = started.elapsed().as_millis() as u64,
            "batch written"
        );
        r
    }
}

/// Fetches and records everything new in the account's mailboxes. Returns messages fetched.
pub async fn sync_account(
    client: &mut Client,
    shared: &Shared,
    run: i64,
    totals: &Arc<Mutex<RunTotals>>,
    stop: &watch::Receiver<bool>,
) -> Result<u64, SyncError> {
    client.ensure_connected().await?;
    // A model `learn` made active since the last pass decides from this pass on.
    let (slot, store) = (shared.engine.clone(), shared.store.clone());
    tokio::task::spawn_blocking(move || slot.follow(&store))
        .await
        .map_err(|e| SyncError::Join(e.to_string()))?;
    let account: Account = client.account().clone();
    let mut fetched = 0u64;
    for mailbox in &account.mailboxes {
        let r = claimed(client, shared, run, totals, stop, &account, mailbox).await;
        // What `status` reports per mailbox: the last complete sync, or the error that stopped it.
        let error = match &r {
            // Another daemon sharing the store has it: its sync is its to record.
            Ok(None) => continue,
            Ok(Some(_)) => None,
            Err(SyncError::Stopped) => return r.map(Option::unwrap_or_default),
            Err(e) => Some(e.to_string()),
        };
        let (store, name, mb) = (shared.store.clone(), account.name.clone(), mailbox.clone());
        if let Err(e) = blocking(move || lock(&store).record_mailbox_sync(&name, &mb, error.as_deref())).await
        {
            tracing::warn!(account = %account.name, mailbox = %mailbox, error = %e, "could not record the mailbox's sync");
        }
        fetched += r?.unwrap_or_default();
    }
    Ok(fetched)
}

/// Syncs one mailbox under this daemon's claim on it: `None` when another daemon sharing the
/// store holds the mailbox (it is left to that one). The claim is given back at the end,
/// whatever happened, so any daemon may take the mailbox at the next pass.
async fn claimed(
    client: &mut Client,
    shared: &Shared,
    run: i64,
    totals: &Arc<Mutex<RunTotals>>,
    stop: &watch::Receiver<bool>,
    account: &Account,
    mailbox: &str,
) -> Result<Option<u64>, SyncError> {
    let (store, name, mb, holder, ttl) = (
        shared.store.clone(),
        account.name.clone(),
        mailbox.to_string(),
        shared.holder.clone(),
        shared.lease_ttl,
    );
    let Some(lease) = blocking(move || lock(&store).claim_mailbox(&name, &mb, &holder, ttl)).await? else {
        tracing::debug!(account = %account.name, mailbox, "mailbox held by another daemon: left to it");
        return Ok(None);
    };
    // `at`: the store's clock, which orders the claims and releases of every daemon.
    tracing::debug!(account = %account.name, mailbox, holder = %lease.holder, token = lease.token, at = %lease.claimed_at, "mailbox claimed");
    let r = sync_mailbox(client, shared, run, totals, stop, account, mailbox, &lease).await;
    let store = shared.store.clone();
    let given = lease.clone();
    match blocking(move || lock(&store).release_mailbox(&given)).await {
        Ok(Some(at)) => {
            tracing::debug!(account = %account.name, mailbox, holder = %lease.holder, token = lease.token, at = %at, "mailbox released");
        }
        Ok(None) => {
            tracing::warn!(account = %account.name, mailbox, "the mailbox's claim had passed to another daemon");
        }
        Err(e) => {
            tracing::warn!(account = %account.name, mailbox, error = %e, "could not give the mailbox's claim back (it expires by itself)");
        }
    }
    match r {
        // Another daemon took the mailbox over (this one was too slow to renew its claim): the
        // batch in hand was refused whole, and the mailbox is that daemon's now. Not a failure.
        Err(SyncError::Store(StoreError::LeaseLost { holder, .. })) => {
            tracing::warn!(account = %account.name, mailbox, taken_by = %holder, "mailbox taken over by another daemon: left to it");
            Ok(None)
        }
        r => r.map(Some),
    }
}

/// Fetches and records everything new in one mailbox, under `lease`. Returns messages fetched.
#[allow(clippy::too_many_arguments)]
async fn sync_mailbox(
    client: &mut Client,
    shared: &Shared,
    run: i64,
    totals: &Arc<Mutex<RunTotals>>,
    stop: &watch::Receiver<bool>,
    account: &Account,
    mailbox: &str,
    lease: &Lease,
) -> Result<u64, SyncError> {
    let mut fetched = 0u64;
    let info = client.examine(mailbox).await?;
    let (store, name, mb) = (shared.store.clone(), account.name.clone(), mailbox.to_string());
    let exists = u64::from(info.exists);
    let held = lease.clone();
    let cp = blocking(move || lock(&store).visit_mailbox(&name, &mb, info.uidvalidity, exists, Some(&held)))
        .await?;
    if info.uid_next.is_some_and(|next| next <= cp.last_uid.next()) {
        return Ok(0); // nothing new
    }
    let new = client.new_uids(cp.last_uid).await?;
    if new.is_empty() {
        return Ok(0);
    }
    tracing::info!(account = %account.name, mailbox = %mailbox, new = new.len(), uidvalidity = info.uidvalidity.0, "new messages");
    // Three stages, each on its own thread, batches in UID order so the checkpoint only moves
    // forward: this task fetches, a blocking processor processes (in parallel), a blocking
    // writer writes each batch with its checkpoint. Short queues between them keep the server
    // and the cores busy and bound memory to a few batches.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<Fetched>, Uid)>(QUEUED_BATCHES);
    let (processed_tx, processed_rx) = std::sync::mpsc::sync_channel::<(Vec<StoredMessage>, Uid)>(1);
    let target = Arc::new(BatchTarget {
        shared: shared.clone(),
        totals: totals.clone(),
        run,
        account: account.name.clone(),
        mailbox: mailbox.to_string(),
        uidvalidity: info.uidvalidity,
        lease: lease.clone(),
    });
    let processing = target.clone();
    let processor = tokio::task::spawn_blocking(move || {
        while let Some((got, last_uid)) = rx.blocking_recv() {
            if processed_tx.send((processing.process(got), last_uid)).is_err() {
                return; // the writer stopped on a store error
            }
        }
    });
    let writer = tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
        for (stored, last_uid) in processed_rx {
            target.write(stored, last_uid)?;
        }
        Ok(())
    });
    let mut fetch_error = None;
    for chunk in batches(&new, account.batch_size as usize, BATCH_BYTES) {
        if *stop.borrow() {
            break;
        }
        let started = std::time::Instant::now();
        match client.fetch(chunk, shared.engine.current().limits.max_message_bytes).await {
            Ok(got) => {
                tracing::debug!(
                    messages = got.len(),
                    bytes = got.iter().map(|f| f.bytes.len()).sum::<usize>(),
                    ms = started.elapsed().as_millis() as u64,
                    "batch fetched"
                );
                fetched += got.len() as u64;
                let last_uid = chunk.last().map_or(cp.last_uid, |c| c.0);
                if tx.send((got, last_uid)).await.is_err() {
                    break; // the writer stopped on a store error: reported below
                }
            }
            Err(e) => {
                fetch_error = Some(e);
                break;
            }
        }
    }
    // The batches already fetched are written before giving up or going on.
    drop(tx);
    processor.await.map_err(|e| SyncError::Join(e.to_string()))?;
    writer.await.map_err(|e| SyncError::Join(e.to_string()))??;
    if let Some(e) = fetch_error {
        return Err(e.into());
    }
    if *stop.borrow() {
        return Err(SyncError::Stopped);
    }
    Ok(fetched)
}

/// Summary of a `poll --once`.
#[derive(Debug, Clone, Default)]
pub struct PollSummary {
    pub totals: RunTotals,
    pub accounts_failed: usize,
}

/// Runs `work` to its end. When `shutdown` resolves first, raises the stop flag the work checks
/// between batches (and while waiting for mail), then still waits for the work to finish, so
/// what was fetched is written and the run is closed.
async fn until_shutdown<T>(
    work: impl Future<Output = T>,
    shutdown: impl Future<Output = ()>,
    stop: watch::Sender<bool>,
) -> T {
    tokio::pin!(work);
    tokio::pin!(shutdown);
    tokio::select! {
        r = &mut work => return r,
        () = &mut shutdown => {}
    }
    tracing::info!("stop requested: finishing the current batch");
    let _ = stop.send(true);
    work.await
}

/// Opens the store and marks runs a crash left open.
pub fn open_store(config: &Config) -> Result<Store, StoreError> {
    let mut store = Store::open(&config.store)?;
    if let Some(e) = &config.ente {
        store.claim_ente(&e.id, &e.name)?;
    }
    let stale = store.close_stale_runs()?;
    if stale > 0 {
        tracing::warn!(
            runs = stale,
            "previous runs ended without closing (crash or kill): marked interrupted; their uncommitted batches will be fetched again"
        );
    }
    Ok(store)
}

/// A client for `account`, connected and logged in.
pub async fn connect(account: &Account) -> Result<Client, ImapError> {
    let mut client = Client::new(account.clone());
    client.ensure_connected().await?;
    Ok(client)
}

/// `poll --once`: one pass over every account, then return; the first error after trying all.
/// `first` is the first account's connection when the caller already opened it (or the error
/// that opening it gave), so it is not tried twice. `shutdown` stops it early
/// ([`SyncError::Stopped`], the run recorded as interrupted).
pub async fn poll_once(
    config: &Config,
    shared: Shared,
    first: Option<Result<Client, ImapError>>,
    shutdown: impl Future<Output = ()>,
) -> Result<PollSummary, SyncError> {
    let (tx, rx) = watch::channel(false);
    until_shutdown(poll_accounts(config, shared, first, &rx), shutdown, tx).await
}

async fn poll_accounts(
    config: &Config,
    shared: Shared,
    mut first: Option<Result<Client, ImapError>>,
    rx: &watch::Receiver<bool>,
) -> Result<PollSummary, SyncError> {
    let store = shared.store.clone();
    let run = blocking(move || lock(&store).begin_run("poll")).await?;
    let totals = Arc::new(Mutex::new(RunTotals::default()));
    let mut first_err = None;
    let mut failed = 0;
    for (i, account) in config.accounts.iter().enumerate() {
        let (mut client, r) = match if i == 0 { first.take() } else { None } {
            Some(Err(e)) => (Client::new(account.clone()), Err(e.into())),
            connected => {
                let mut client =
                    connected.and_then(Result::ok).unwrap_or_else(|| Client::new(account.clone()));
                let r = sync_account(&mut client, &shared, run, &totals, rx).await;
                (client, r)
            }
        };
        client.logout().await;
        if let Err(e) = r {
            failed += 1;
            // The first error is the run's result, printed once by the caller; later ones are
            // logged here so none is lost.
            match first_err {
                None => first_err = Some(e),
                Some(_) => tracing::error!(account = %account.name, error = %e, "sync failed"),
            }
        }
    }
    let t = totals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let status = match &first_err {
        None => RunStatus::Ok,
        Some(SyncError::Stopped) => RunStatus::Interrupted,
        Some(_) => RunStatus::Failed,
    };
    let (store, t2, err) = (shared.store.clone(), t.clone(), first_err.as_ref().map(ToString::to_string));
    let closed = blocking(move || lock(&store).finish_run(run, &t2, status, err.as_deref())).await;
    // The sync's own error says more than a failure to record it (a full disk fails both).
    match closed {
        Err(e) if first_err.is_some() => tracing::warn!(error = %e, "could not record the end of the run"),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(PollSummary { totals: t, accounts_failed: failed }),
    }
}

fn jitter(base: Duration) -> Duration {
    // Up to +25 % without a random-number crate: the clock's sub-second nanoseconds are enough
    // to keep several daemons from reconnecting in lock-step.
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

/// The long-running daemon: all accounts concurrently until `shutdown` resolves (then `Ok`,
/// after the batches already fetched are written), or until an account fails for good (wrong
/// password or certificate, a missing mailbox at start-up).
pub async fn run_daemon(
    config: &Config,
    shared: Shared,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SyncError> {
    let (tx, rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    for account in config.accounts.clone() {
        let (shared, rx) = (shared.clone(), rx.clone());
        tasks.spawn(async move { account_loop(account, shared, rx).await });
    }
    until_shutdown(join_accounts(tasks), shutdown, tx).await
}

async fn join_accounts(mut tasks: tokio::task::JoinSet<Result<(), SyncError>>) -> Result<(), SyncError> {
    let mut result = Ok(());
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                if result.is_ok() {
                    result = Err(e);
                }
            }
            Err(e) => result = Err(SyncError::Join(e.to_string())),
        }
    }
    result
}

/// The next retry pause (the backoff with jitter); doubles the backoff up to [`BACKOFF_MAX`].
fn next_wait(backoff: &mut Duration) -> Duration {
    let wait = jitter(*backoff);
    *backoff = (*backoff * 2).min(BACKOFF_MAX);
    wait
}

/// Sleeps for `wait`, or less if a stop is requested.
async fn sleep_or_stop(wait: Duration, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        _ = stop.changed() => {}
    }
}

/// Watches one more mailbox of an account with its own IDLE connection and wakes the account's
/// loop (`wake`) when the server reports a change there. Reconnects with backoff; never fetches
/// (the account's loop does, for every mailbox).
async fn watch_mailbox(
    account: Account,
    mailbox: String,
    wake: Arc<tokio::sync::Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut client = Client::new(account.clone());
    let mut backoff = Duration::from_secs(1);
    let wait = account.poll_interval.min(IDLE_MAX).max(Duration::from_secs(1));
    while !*stop.borrow() {
        let mut stop2 = stop.clone();
        let r = async {
            client.ensure_connected().await?;
            client.examine(&mailbox).await?;
            client
                .idle(wait, async move {
                    let _ = stop2.changed().await;
                })
                .await
        }
        .await;
        match r {
            Ok(changed) => {
                backoff = Duration::from_secs(1);
                // Only news wakes the loop: its own deadline already re-checks every mailbox.
                if changed {
                    wake.notify_one();
                }
            }
            Err(e) => {
                client.disconnect();
                let pause = next_wait(&mut backoff);
                tracing::warn!(account = %account.name, mailbox = %mailbox, error = %e, retry_in_secs = pause.as_secs(), "IDLE watcher failed, will retry");
                sleep_or_stop(pause, &mut stop).await;
            }
        }
    }
    client.logout().await;
}

async fn account_loop(
    account: Account,
    shared: Shared,
    mut stop: watch::Receiver<bool>,
) -> Result<(), SyncError> {
    let mut client = Client::new(account.clone());
    let mut backoff = Duration::from_secs(1);
    let mut ever_connected = false;
    // The other mailboxes' IDLE watchers (aborted when this loop ends, however it ends).
    let mut watchers = tokio::task::JoinSet::new();
    let wake = Arc::new(tokio::sync::Notify::new());
    loop {
        if *stop.borrow() {
            break;
        }
        let store = shared.store.clone();
        let run = match blocking(move || lock(&store).begin_run("poll")).await {
            Ok(run) => run,
            Err(SyncError::Store(e)) => {
                // A full disk or a read-only store is the operator's to fix; keep retrying (a
                // crash loop under systemd would end in a dead service).
                let wait = next_wait(&mut backoff);
                tracing::error!(account = %account.name, error = %e, retry_in_secs = wait.as_secs(), "cannot write to the store, will retry");
                sleep_or_stop(wait, &mut stop).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let totals = Arc::new(Mutex::new(RunTotals::default()));
        let r = sync_account(&mut client, &shared, run, &totals, &stop).await;
        let t = totals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let (status, err) = match &r {
            Ok(_) => (RunStatus::Ok, None),
            Err(SyncError::Stopped) => (RunStatus::Interrupted, None),
            Err(e) => (RunStatus::Failed, Some(e.to_string())),
        };
        let store = shared.store.clone();
        if let Err(e) = blocking(move || lock(&store).finish_run(run, &t, status, err.as_deref())).await {
            // The run stays open in the ledger; the next start marks it interrupted.
            tracing::warn!(account = %account.name, error = %e, "could not record the end of the run");
        }
        match r {
            Ok(_) => {
                ever_connected = true;
                backoff = Duration::from_secs(1);
            }
            Err(SyncError::Stopped) => break,
            Err(SyncError::Imap(e @ (ImapError::Auth { .. } | ImapError::Tls { .. }))) => {
                // Wrong password or certificate: retrying would not fix it and repeated failed
                // logins can lock the mailbox account. Exit so the operator is told.
                return Err(SyncError::Imap(e));
            }
            Err(SyncError::Imap(e)) if !e.is_transient() && !ever_connected => {
                // A missing mailbox at start-up: a restart will not fix it.
                return Err(SyncError::Imap(e));
            }
            Err(e) => {
                client.disconnect();
                let wait = next_wait(&mut backoff);
                tracing::warn!(account = %account.name, error = %e, retry_in_secs = wait.as_secs(), "sync failed, will retry");
                sleep_or_stop(wait, &mut stop).await;
                continue;
            }
        }
        // Wait for new mail.
        let wait = account.poll_interval.min(IDLE_MAX);
        let idle_ok = account.idle && client.idle_capable();
        if idle_ok && watchers.is_empty() {
            // One IDLE connection for each other mailbox: new mail in any of them wakes this loop,
            // which syncs them all (a backlog anywhere is fetched without waiting for another).
            for mailbox in account.mailboxes.iter().skip(1) {
                watchers.spawn(watch_mailbox(account.clone(), mailbox.clone(), wake.clone(), stop.clone()));
            }
        }
        if idle_ok {
            let first = account.mailboxes[0].clone();
            let mut stop2 = stop.clone();
            let woken = wake.clone();
            let waited = async {
                client.examine(&first).await?;
                client
                    .idle(wait.max(Duration::from_secs(1)), async move {
                        tokio::select! {
                            _ = stop2.changed() => {}
                            () = woken.notified() => {}
                        }
                    })
                    .await
            }
            .await;
            if let Err(e) = waited {
                tracing::warn!(account = %account.name, error = %e, "IDLE failed, reconnecting");
                client.disconnect();
            }
        } else {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }
    watchers.abort_all();
    client.logout().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::batches;
    use crate::domain::Uid;

    #[test]
    fn batches_respect_count_and_bytes() {
        let list: Vec<(Uid, u32)> = (1..=7).map(|u| (Uid(u), 10)).collect();
        let b = batches(&list, 3, 1000);
        assert_eq!(b.iter().map(|x| x.len()).collect::<Vec<_>>(), [3, 3, 1]);
        let b = batches(&list, 100, 25);
        assert_eq!(b.iter().map(|x| x.len()).collect::<Vec<_>>(), [2, 2, 2, 1]);
        let big = [(Uid(1), 10), (Uid(2), 5000), (Uid(3), 10)];
        assert_eq!(batches(&big, 100, 100).iter().map(|x| x.len()).collect::<Vec<_>>(), [1, 1, 1]);
        assert!(batches(&[], 10, 10).is_empty());
    }

    #[test]
    fn a_long_backlog_starts_and_ends_with_small_batches() {
        let list: Vec<(Uid, u32)> = (1..=1000).map(|u| (Uid(u), 10)).collect();
        let sizes: Vec<usize> = batches(&list, 100, u64::MAX).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [12, 25, 50, 100, 100, 100, 100, 100, 100, 100, 100, 26, 50, 25, 12]);
        // Every message once, in order.
        let uids: Vec<Uid> = batches(&list, 100, u64::MAX).concat().iter().map(|x| x.0).collect();
        assert_eq!(uids, (1..=1000).map(Uid).collect::<Vec<Uid>>());
        // Short backlogs and small batch sizes: plain batches.
        let sizes: Vec<usize> = batches(&list[..399], 100, u64::MAX).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [100, 100, 100, 99]);
        assert_eq!(batches(&list, 4, u64::MAX).len(), 250);
        // A byte limit still cuts, and nothing is lost.
        let b = batches(&list, 100, 300);
        assert!(b.iter().all(|x| x.len() <= 30));
        assert_eq!(b.iter().map(|x| x.len()).sum::<usize>(), 1000);
    }
}
