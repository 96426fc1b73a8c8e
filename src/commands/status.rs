//! `urpmail status`: per-mailbox checkpoint, backlog, last run and counts, read-only (safe while
//! the daemon writes).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::{Error, store_error};
use crate::domain::Status as MessageStatus;
use crate::store::{MailboxState, ModelRecord, RunRecord, Store};

/// Version of the `status --format json` document.
pub const STATUS_SCHEMA_VERSION: u32 = 1;

/// The status document.
#[derive(Debug, Serialize)]
pub struct Status {
    pub schema_version: u32,
    pub store: String,
    /// Distinct messages recorded: classified + excluded + skipped.
    pub messages: u64,
    pub classified: u64,
    pub excluded: BTreeMap<String, u64>,
    pub skipped: u64,
    pub review: u64,
    pub by_topic: BTreeMap<String, u64>,
    pub by_year: BTreeMap<String, u64>,
    pub mailboxes: Vec<MailboxStatus>,
    pub last_run: Option<RunRecord>,
    /// The learned model that decides for this store (none: the configured one, built-in
    /// unless the configuration names a file).
    pub active_model: Option<ModelRecord>,
    /// The active model's ancestors, newest first, down to the model the first `learn` started
    /// from (which may be the built-in one, not recorded in the store).
    pub lineage: Vec<String>,
    /// Models this store learned.
    pub learned_models: usize,
}

/// One watched mailbox.
#[derive(Debug, Serialize)]
pub struct MailboxStatus {
    #[serde(flatten)]
    pub state: MailboxState,
    /// Messages on the server (at the last visit) not yet recorded.
    pub backlog: Option<u64>,
    /// Seconds since the last complete sync (none: never synced completely).
    pub synced_secs_ago: Option<i64>,
    /// The last attempt failed: the error is newer than the last complete sync.
    pub failing: bool,
    /// The daemon polling it now, when several daemons share a database store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<Holder>,
}

/// A daemon's claim on a mailbox, as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Holder {
    /// `HOST/PID/NONCE` of the daemon.
    pub daemon: String,
    /// When it claimed the mailbox (RFC 3339, UTC).
    pub since: String,
}

/// Seconds from an RFC 3339 time to `now` (none when it does not parse).
fn secs_since(at: &str, now: time::OffsetDateTime) -> Option<i64> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    Some((now - t).whole_seconds())
}

/// Reads the status of a store.
pub fn read(path: &crate::store::StoreTarget) -> Result<Status, Error> {
    super::existing_store(path)?;
    let store = Store::open_readonly(path).map_err(store_error(path))?;
    let mut st = Status {
        schema_version: STATUS_SCHEMA_VERSION,
        store: path.to_string(),
        messages: store.message_count().map_err(store_error(path))?,
        classified: 0,
        excluded: BTreeMap::new(),
        skipped: 0,
        review: 0,
        by_topic: BTreeMap::new(),
        by_year: BTreeMap::new(),
        mailboxes: Vec::new(),
        last_run: store.last_run().map_err(store_error(path))?,
        active_model: store.active_model().map_err(store_error(path))?,
        lineage: Vec::new(),
        learned_models: 0,
    };
    let learned = store.learned_models().map_err(store_error(path))?;
    st.learned_models = learned.len();
    let mut parent = st.active_model.as_ref().and_then(|m| m.parent_version.clone());
    while let Some(v) = parent {
        if st.lineage.contains(&v) {
            break; // a cycle cannot be written by learn; do not loop on a hand-edited store
        }
        parent = learned.iter().find(|m| m.version == v).and_then(|m| m.parent_version.clone());
        st.lineage.push(v);
    }
    for row in store.counts().map_err(store_error(path))? {
        match row.status {
            MessageStatus::Classified => {
                st.classified += row.count;
                st.review += row.review;
                *st.by_topic.entry(row.key.clone()).or_insert(0) += row.count;
                let y = row.year.map_or("senza data".to_string(), |y| y.to_string());
                *st.by_year.entry(y).or_insert(0) += row.count;
            }
            MessageStatus::Excluded => *st.excluded.entry(row.key.clone()).or_insert(0) += row.count,
            MessageStatus::Skipped => st.skipped += row.count,
        }
    }
    let now = time::OffsetDateTime::now_utc();
    let leases = store.leases().map_err(store_error(path))?;
    for m in store.mailboxes().map_err(store_error(path))? {
        let located = store.located(&m.account, &m.mailbox, m.uidvalidity).map_err(store_error(path))?;
        let backlog = m.exists.map(|e| e.saturating_sub(located));
        let synced_secs_ago = m.synced_at.as_deref().and_then(|t| secs_since(t, now));
        // RFC 3339 times of one clock compare as text.
        let failing = match (&m.last_error_at, &m.synced_at) {
            (Some(e), Some(ok)) => e > ok,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let held_by = leases
            .iter()
            .find(|l| l.active && l.account == m.account && l.mailbox == m.mailbox)
            .map(|l| Holder { daemon: l.holder.clone(), since: l.claimed_at.clone() });
        st.mailboxes.push(MailboxStatus { state: m, backlog, synced_secs_ago, failing, held_by });
    }
    Ok(st)
}

/// The status as text for an operator.
pub fn to_text(st: &Status) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "store: {}", st.store);
    let _ = writeln!(
        s,
        "messages: {} (classified {}, excluded {}, skipped {}); flagged for review {}",
        st.messages,
        st.classified,
        st.excluded.values().sum::<u64>(),
        st.skipped,
        st.review
    );
    for (r, n) in &st.excluded {
        let _ = writeln!(s, "  excluded {r}: {n}");
    }
    for (y, n) in &st.by_year {
        let _ = writeln!(s, "  year {y}: {n} classified");
    }
    for m in &st.mailboxes {
        let synced = match (m.synced_secs_ago, &m.state.synced_at) {
            (Some(secs), Some(at)) => format!("last complete sync {} ago ({at})", human_secs(secs)),
            _ => "never synced completely".into(),
        };
        let _ = writeln!(
            s,
            "mailbox {}/{}: {synced}; uidvalidity {}, last uid {}, backlog {}",
            m.state.account,
            m.state.mailbox,
            m.state.uidvalidity,
            m.state.last_uid,
            m.backlog.map_or("?".into(), |b| b.to_string()),
        );
        if let Some(h) = &m.held_by {
            let _ = writeln!(s, "  being polled by {} since {}", h.daemon, h.since);
        }
        if let (true, Some(e), Some(at)) = (m.failing, &m.state.last_error, &m.state.last_error_at) {
            let _ = writeln!(s, "  last attempt failed at {at}: {e}");
        }
    }
    match &st.active_model {
        Some(m) => {
            let mut chain = vec![m.version.clone()];
            chain.extend(st.lineage.iter().cloned());
            let _ = writeln!(
                s,
                "active model: {} (learned by batch {}, {} reviewed messages; {}); lineage {}",
                m.version,
                m.batch_id.map_or("?".into(), |b| b.to_string()),
                m.documents,
                match (&m.file, m.in_store) {
                    (_, true) => "kept in the database".to_string(),
                    (Some(f), false) => format!("file {}", f.display()),
                    (None, false) => "file removed".to_string(),
                },
                chain.join(" <- ")
            );
        }
        None => {
            let _ = writeln!(
                s,
                "active model: the configured one (built-in unless the configuration names a file); {} learned",
                st.learned_models
            );
        }
    }
    match &st.last_run {
        Some(r) => {
            let _ = writeln!(
                s,
                "last run #{} ({}): {} from {} to {}; fetched {}, classified {}, duplicates {}, errors {}{}",
                r.id,
                r.kind,
                r.status,
                r.started_at,
                r.finished_at.as_deref().unwrap_or("-"),
                r.fetched,
                r.classified,
                r.duplicates,
                r.errors,
                r.error.as_deref().map(|e| format!(", error: {e}")).unwrap_or_default()
            );
        }
        None => {
            let _ = writeln!(s, "no runs yet");
        }
    }
    s
}

/// "42 s", "12 min", "3 h", "2 days".
fn human_secs(secs: i64) -> String {
    match secs.max(0) {
        s if s < 120 => format!("{s} s"),
        s if s < 7_200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3_600),
        s => format!("{} days", s / 86_400),
    }
}

/// Thresholds of `status --check`.
#[derive(Debug, Clone)]
pub struct CheckArgs {
    pub store: crate::store::StoreTarget,
    /// With `--connect`: the configuration (with its secrets) whose mailboxes are asked.
    pub connect: Option<crate::config::Config>,
    pub warning_age: i64,
    pub critical_age: i64,
    pub warning_backlog: u64,
    pub critical_backlog: u64,
}

/// The monitoring-plugin states, in order of severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckState {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl CheckState {
    fn as_str(self) -> &'static str {
        match self {
            CheckState::Ok => "OK",
            CheckState::Warning => "WARNING",
            CheckState::Critical => "CRITICAL",
            CheckState::Unknown => "UNKNOWN",
        }
    }
}

/// `status --check`: one line in the monitoring-plugin convention (Nagios, Icinga, Zabbix's
/// agent, a systemd timer) and its state, whose number is the exit status: OK when every
/// mailbox was synced completely within `warning_age` and its backlog is under
/// `warning_backlog`; WARNING or CRITICAL past the thresholds, or when the last attempt failed
/// (CRITICAL when it has never succeeded); UNKNOWN when the store cannot be read or watches no
/// mailbox yet. With `connect`, the backlog is the server's own: messages above each checkpoint
/// now (a server that cannot be reached is CRITICAL).
pub fn check(args: &CheckArgs) -> (String, CheckState) {
    let st = match read(&args.store) {
        Ok(st) => st,
        Err(e) => return (format!("URPMAIL UNKNOWN - {e}"), CheckState::Unknown),
    };
    if st.mailboxes.is_empty() {
        return (
            format!("URPMAIL UNKNOWN - {}: no mailbox synced yet (is the service running?)", st.store),
            CheckState::Unknown,
        );
    }
    let live = match &args.connect {
        Some(config) => match server_backlogs(config, &st.mailboxes) {
            Ok(b) => Some(b),
            Err(e) => return (format!("URPMAIL CRITICAL - {e}"), CheckState::Critical),
        },
        None => None,
    };
    let mut state = CheckState::Ok;
    let mut problems = Vec::new();
    let mut perf = Vec::new();
    let mut oldest = 0i64;
    let mut total_backlog = 0u64;
    for (i, m) in st.mailboxes.iter().enumerate() {
        let name = format!("{}/{}", m.state.account, m.state.mailbox);
        let mut raise = |s: CheckState, why: String| {
            state = state.max(s);
            problems.push(why);
        };
        match m.synced_secs_ago {
            None => raise(
                CheckState::Critical,
                format!(
                    "{name} never synced completely{}",
                    m.state.last_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                ),
            ),
            Some(age) => {
                oldest = oldest.max(age);
                if age > args.critical_age {
                    raise(CheckState::Critical, format!("{name} last synced {} ago", human_secs(age)));
                } else if age > args.warning_age {
                    raise(CheckState::Warning, format!("{name} last synced {} ago", human_secs(age)));
                }
                if m.failing {
                    raise(
                        CheckState::Warning,
                        format!(
                            "{name} last attempt failed: {}",
                            m.state.last_error.as_deref().unwrap_or("?")
                        ),
                    );
                }
                perf.push(format!("'age {name}'={age}s;{};{}", args.warning_age, args.critical_age));
            }
        }
        let backlog = live.as_ref().map_or(m.backlog, |b| b.get(i).copied().flatten());
        if let Some(b) = backlog {
            total_backlog += b;
            if b >= args.critical_backlog {
                raise(CheckState::Critical, format!("{name} backlog {b}"));
            } else if b >= args.warning_backlog {
                raise(CheckState::Warning, format!("{name} backlog {b}"));
            }
            perf.push(format!("'backlog {name}'={b};{};{}", args.warning_backlog, args.critical_backlog));
        }
    }
    let summary = if problems.is_empty() {
        format!(
            "{} mailboxes, all synced within {}, backlog {total_backlog}{}",
            st.mailboxes.len(),
            human_secs(oldest),
            if live.is_some() { " (asked the server)" } else { "" }
        )
    } else {
        problems.join("; ")
    };
    (format!("URPMAIL {} - {summary} | {}", state.as_str(), perf.join(" ")), state)
}

/// The real backlog of each recorded mailbox, asked of the server read-only: the messages above
/// its checkpoint now (all of them when the UIDVALIDITY changed). A mailbox of an account no
/// longer configured has none (unknown, left out of the thresholds).
fn server_backlogs(
    config: &crate::config::Config,
    mailboxes: &[MailboxStatus],
) -> Result<Vec<Option<u64>>, String> {
    use crate::domain::{Uid, UidValidity};
    use crate::source::imap::Client;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let mut out = Vec::with_capacity(mailboxes.len());
        let mut clients: BTreeMap<String, Client> = BTreeMap::new();
        for m in mailboxes {
            let Some(account) = config.accounts.iter().find(|a| a.name == m.state.account) else {
                out.push(None);
                continue;
            };
            let client = clients.entry(account.name.clone()).or_insert_with(|| Client::new(account.clone()));
            let ask = async {
                client.ensure_connected().await?;
                let info = client.examine(&m.state.mailbox).await?;
                if info.uidvalidity != UidValidity(m.state.uidvalidity) {
                    return Ok(u64::from(info.exists));
                }
                Ok::<u64, crate::source::imap::ImapError>(
                    client.new_uids(Uid(m.state.last_uid)).await?.len() as u64
                )
            };
            match ask.await {
                Ok(n) => out.push(Some(n)),
                Err(e) => return Err(format!("{}/{}: {e}", m.state.account, m.state.mailbox)),
            }
        }
        for c in clients.values_mut() {
            c.logout().await;
        }
        Ok(out)
    })
}
