//! The IMAP source (async-imap on tokio, TLS with rustls): strictly read-only. Mailboxes are
//! opened with EXAMINE and messages fetched with `BODY.PEEK[]`, so the staff's \Seen flags never
//! change; there is no STORE, COPY, MOVE or EXPUNGE anywhere in this module. `async_imap` types
//! stay here.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};

use crate::config::{Account, Tls};
use crate::domain::{Uid, UidValidity};

/// IMAP failures, by what the operator should do about them.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// Network trouble (refused, reset, timeout, dropped mid-fetch): retry later.
    #[error("{account}: connection: {message}")]
    Network { account: String, message: String },
    /// Certificate or TLS set-up problems: fix the CA or host name.
    #[error("{account}: TLS: {message}")]
    Tls { account: String, message: String },
    /// The server refused the login: fix the credentials.
    #[error("{account}: login refused for user {user}: {message}")]
    Auth { account: String, user: String, message: String },
    /// The server answered something unexpected (NO/BAD to a command, a missing mailbox).
    #[error("{account}: server: {message}")]
    Protocol { account: String, message: String },
}

impl ImapError {
    /// True for failures that a later retry may fix.
    pub fn is_transient(&self) -> bool {
        matches!(self, ImapError::Network { .. })
    }
}

fn map_imap(account: &str, e: async_imap::error::Error) -> ImapError {
    use async_imap::error::Error as E;
    match e {
        E::Io(io) => ImapError::Network { account: account.to_string(), message: io.to_string() },
        E::ConnectionLost => {
            ImapError::Network { account: account.to_string(), message: "connection lost".into() }
        }
        E::No(text) => ImapError::Protocol {
            account: account.to_string(),
            message: format!("the server said NO: {}", server_text(&text)),
        },
        E::Bad(text) => ImapError::Protocol {
            account: account.to_string(),
            message: format!("the server said BAD: {}", server_text(&text)),
        },
        other => ImapError::Protocol { account: account.to_string(), message: other.to_string() },
    }
}

/// The server's own words in a NO or BAD answer. async-imap hands them over inside a Debug
/// rendering of its response (`outcome: Outcome { code: None, information: Some("...") }`, or
/// `code: None, info: Some("...")` for a refused login);
/// a user is shown only the quoted text, without Dovecot's timing suffix ("(0.001 + 0.000 secs).").
fn server_text(raw: &str) -> String {
    let text = match raw.split_once("Some(\"") {
        Some((_, rest)) => rest.rsplit_once("\")").map_or(rest, |(t, _)| t).replace("\\\"", "\""),
        None => raw.to_string(),
    };
    let text = match text.rfind(" (") {
        Some(i) if text[i..].contains(" secs)") => text[..i].to_string(),
        _ => text,
    };
    format!("\"{}\"", text.trim_end_matches('.'))
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Stream for T {}

type Conn = Box<dyn Stream>;
type Session = async_imap::Session<Conn>;

/// What EXAMINE reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxInfo {
    pub uidvalidity: UidValidity,
    pub uid_next: Option<Uid>,
    pub exists: u32,
}

/// A fetched message.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub uid: Uid,
    /// Full message, or only the header block for messages over the size limit.
    pub bytes: Vec<u8>,
    pub header_only: bool,
    pub size: u32,
    pub internal_date: Option<i64>,
}

/// One long-lived, authenticated IMAP session of an account.
pub struct Client {
    account: Account,
    session: Option<Session>,
    idle_capable: bool,
}

impl Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("account", &self.account.name)
            .field("connected", &self.session.is_some())
            .finish()
    }
}

/// How long a STARTTLS connection waits for the server's greeting before asking whether the
/// port speaks TLS instead.
const GREETING_PROBE: Duration = Duration::from_secs(3);

/// Whether the account's port completes (or fails on a certificate) a TLS handshake: an
/// implicit-TLS port. Bounded by a few seconds.
async fn speaks_tls(a: &Account) -> bool {
    let probe = async {
        let tcp = TcpStream::connect((a.host.as_str(), a.port)).await.ok()?;
        let name = ServerName::try_from(a.host.clone()).ok()?;
        let connector = tls_connector(a).ok()?;
        Some(match connector.connect(name, tcp).await {
            Ok(_) => true,
            Err(e) => e.to_string().contains("certificate"),
        })
    };
    matches!(tokio::time::timeout(GREETING_PROBE, probe).await, Ok(Some(true)))
}

/// A TLS failure in words an IT person can act on: which setting to change.
fn tls_hint(a: &Account, error: &str) -> String {
    let ca = a.ca_file.as_ref().map(|c| c.display().to_string());
    if error.contains("InvalidContentType") || error.contains("corrupt message") {
        return format!(
            "{}:{} answered in plain text, not TLS: it is a plain IMAP port: set tls = \"starttls\" for it, or use the implicit-TLS port (usually 993) ({error})",
            a.host, a.port
        );
    }
    if error.contains("UnknownIssuer") || error.contains("unknown issuer") || error.contains("BadSignature") {
        return match ca {
            Some(ca) => format!(
                "the server's certificate is not signed by the CA in ca_file {ca}: put the certificate of the CA that signed it there ({error})"
            ),
            None => format!(
                "the server's certificate is signed by a CA this system does not trust: set ca_file to that CA's certificate (PEM) ({error})"
            ),
        };
    }
    if error.contains("NotValidForName") {
        return format!(
            "the server's certificate is not issued for {:?}: set host to a name the certificate is issued for ({error})",
            a.host
        );
    }
    if error.contains("Expired") {
        return format!("the server's certificate has expired: renew it on the mail server ({error})");
    }
    error.to_string()
}

/// The certificates in a CA file, counted (for `config check`): an error when it cannot be read
/// or holds none.
pub fn ca_certificates(path: &std::path::Path) -> Result<usize, String> {
    let certs =
        CertificateDer::pem_file_iter(path).map_err(|e| format!("ca_file {}: {e}", path.display()))?;
    let mut n = 0;
    for c in certs {
        c.map_err(|e| format!("ca_file {}: {e}", path.display()))?;
        n += 1;
    }
    if n == 0 {
        return Err(format!(
            "ca_file {} holds no certificate (a PEM file with -----BEGIN CERTIFICATE----- blocks): give the certificate of the CA that signed the mail server's",
            path.display()
        ));
    }
    Ok(n)
}

fn tls_connector(account: &Account) -> Result<TlsConnector, ImapError> {
    let cfg = crate::tls::client_config(account.ca_file.as_deref(), "the mail server")
        .map_err(|message| ImapError::Tls { account: account.name.clone(), message })?;
    Ok(TlsConnector::from(Arc::new(cfg)))
}

impl Client {
    /// A client for an account (not yet connected).
    pub fn new(account: Account) -> Client {
        Client { account, session: None, idle_capable: false }
    }

    /// The account.
    pub fn account(&self) -> &Account {
        &self.account
    }

    fn net(&self, message: impl std::fmt::Display) -> ImapError {
        ImapError::Network { account: self.account.name.clone(), message: message.to_string() }
    }

    fn proto(&self, message: impl std::fmt::Display) -> ImapError {
        ImapError::Protocol { account: self.account.name.clone(), message: message.to_string() }
    }

    /// Maps an async-imap error: I/O and connection loss are network errors.
    fn imap_err(&self, e: async_imap::error::Error) -> ImapError {
        map_imap(&self.account.name, e)
    }

    async fn timed<T, F>(&mut self, what: &str, fut: F) -> Result<T, ImapError>
    where
        F: std::future::Future<Output = Result<T, async_imap::error::Error>>,
    {
        match tokio::time::timeout(self.account.timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.imap_err(e)),
            Err(_) => Err(self.net(format!("{what} timed out after {}s", self.account.timeout.as_secs()))),
        }
    }

    /// Connects and logs in if not connected.
    pub async fn ensure_connected(&mut self) -> Result<(), ImapError> {
        if self.session.is_some() {
            return Ok(());
        }
        let account = self.account.clone();
        let a = &account;
        let tcp = tokio::time::timeout(a.timeout, TcpStream::connect((a.host.as_str(), a.port)))
            .await
            .map_err(|_| self.net(format!("connect to {}:{} timed out", a.host, a.port)))?
            .map_err(|e| self.net(format!("connect to {}:{}: {e}", a.host, a.port)))?;
        let _ = tcp.set_nodelay(true);
        let server_name = || {
            ServerName::try_from(a.host.clone()).map_err(|e| ImapError::Tls {
                account: a.name.clone(),
                message: format!("host {:?}: {e}", a.host),
            })
        };
        let tls_fail = |e: std::io::Error| {
            // rustls reports certificate problems, and bytes that are not TLS, as InvalidData.
            if e.kind() == std::io::ErrorKind::InvalidData {
                ImapError::Tls { account: a.name.clone(), message: tls_hint(a, &e.to_string()) }
            } else {
                ImapError::Network { account: a.name.clone(), message: format!("TLS handshake: {e}") }
            }
        };
        let mut client: async_imap::Client<Conn> = match a.tls {
            Tls::Implicit => {
                let stream = tokio::time::timeout(a.timeout, tls_connector(a)?.connect(server_name()?, tcp))
                    .await
                    .map_err(|_| self.net("TLS handshake timed out"))?
                    .map_err(tls_fail)?;
                let mut c = async_imap::Client::new(Box::new(stream) as Conn);
                self.greeting(&mut c).await?;
                c
            }
            Tls::Starttls => {
                let mut c = async_imap::Client::new(tcp);
                // A plain IMAP server greets at once. Silence is what an implicit-TLS port (993)
                // does while it waits for our TLS hello: ask it, rather than wait out the timeout
                // and retry forever.
                let first = GREETING_PROBE.min(a.timeout);
                let greeting = match tokio::time::timeout(first, c.read_response()).await {
                    Ok(r) => r,
                    Err(_) => {
                        if speaks_tls(a).await {
                            return Err(ImapError::Tls {
                                account: a.name.clone(),
                                message: format!(
                                    "{}:{} sent no IMAP greeting but answers in TLS: it is an implicit-TLS (IMAPS) port: set tls = \"implicit\" for it, or use the STARTTLS port (usually 143)",
                                    a.host, a.port
                                ),
                            });
                        }
                        tokio::time::timeout(a.timeout.saturating_sub(first), c.read_response())
                            .await
                            .map_err(|_| self.net("no greeting"))?
                    }
                }
                .map_err(|e| self.net(e))?;
                if greeting.is_none() {
                    return Err(self.net("connection closed before the greeting"));
                }
                self.timed("STARTTLS", c.run_command_and_check_ok("STARTTLS", None)).await?;
                let stream = tokio::time::timeout(
                    a.timeout,
                    tls_connector(a)?.connect(server_name()?, c.into_inner()),
                )
                .await
                .map_err(|_| self.net("TLS handshake timed out"))?
                .map_err(tls_fail)?;
                async_imap::Client::new(Box::new(stream) as Conn)
            }
            Tls::None => {
                let mut c = async_imap::Client::new(Box::new(tcp) as Conn);
                self.greeting(&mut c).await?;
                c
            }
        };
        let _ = &mut client;
        let login = tokio::time::timeout(a.timeout, client.login(&a.username, a.password.expose()))
            .await
            .map_err(|_| self.net("login timed out"))?;
        let mut session = match login {
            Ok(s) => s,
            Err((async_imap::error::Error::No(m), _)) | Err((async_imap::error::Error::Bad(m), _)) => {
                return Err(ImapError::Auth {
                    account: a.name.clone(),
                    user: a.username.clone(),
                    message: format!(
                        "the server said {}: check username and the password (file or variable)",
                        server_text(&m)
                    ),
                });
            }
            Err((e, _)) => return Err(self.imap_err(e)),
        };
        let caps = self.timed("CAPABILITY", session.capabilities()).await?;
        self.idle_capable = caps.has_str("IDLE");
        tracing::info!(account = %a.name, host = %a.host, idle = self.idle_capable, "connected");
        self.session = Some(session);
        Ok(())
    }

    async fn greeting(&mut self, c: &mut async_imap::Client<Conn>) -> Result<(), ImapError> {
        match tokio::time::timeout(self.account.timeout, c.read_response()).await {
            Err(_) => Err(self.net("no greeting")),
            Ok(Err(e)) => Err(self.net(e)),
            Ok(Ok(None)) => Err(self.net("connection closed before the greeting")),
            Ok(Ok(Some(_))) => Ok(()),
        }
    }

    fn session(&mut self) -> Result<&mut Session, ImapError> {
        let name = self.account.name.clone();
        self.session.as_mut().ok_or(ImapError::Network { account: name, message: "not connected".into() })
    }

    /// Drops the connection (after any error: the next call reconnects).
    pub fn disconnect(&mut self) {
        self.session = None;
    }

    /// True when the server announced IDLE.
    pub fn idle_capable(&self) -> bool {
        self.idle_capable
    }

    /// Opens a mailbox read-only.
    pub async fn examine(&mut self, mailbox: &str) -> Result<MailboxInfo, ImapError> {
        let timeout = self.account.timeout;
        let name = self.account.name.clone();
        let s = self.session()?;
        let m = match tokio::time::timeout(timeout, s.examine(mailbox)).await {
            Err(_) => return Err(ImapError::Network { account: name, message: "EXAMINE timed out".into() }),
            Ok(Err(async_imap::error::Error::No(text))) => {
                // Most often a mailbox that does not exist: say which ones do.
                let existing = self.mailbox_names().await.unwrap_or_default();
                let hint = if existing.is_empty() {
                    String::new()
                } else {
                    format!("; the mailboxes on the server are: {}", existing.join(", "))
                };
                return Err(self.proto(format!(
                    "cannot open mailbox {mailbox:?}: the server said {}{hint}",
                    server_text(&text)
                )));
            }
            Ok(Err(e)) => return Err(self.imap_err(e)),
            Ok(Ok(m)) => m,
        };
        let uidvalidity = m.uid_validity.ok_or_else(|| self.proto(format!("{mailbox}: no UIDVALIDITY")))?;
        Ok(MailboxInfo {
            uidvalidity: UidValidity(uidvalidity),
            uid_next: m.uid_next.map(Uid),
            exists: m.exists,
        })
    }

    /// The names of the mailboxes on the server (LIST "" "*"), sorted.
    async fn mailbox_names(&mut self) -> Result<Vec<String>, ImapError> {
        let timeout = self.account.timeout;
        let s = self.session()?;
        let listed = tokio::time::timeout(timeout, async {
            let names: Vec<_> = s.list(Some(""), Some("*")).await?.try_collect().await?;
            Ok::<_, async_imap::error::Error>(names.iter().map(|n| n.name().to_string()).collect::<Vec<_>>())
        })
        .await;
        match listed {
            Ok(Ok(mut names)) => {
                names.sort();
                Ok(names)
            }
            Ok(Err(e)) => Err(self.imap_err(e)),
            Err(_) => Err(self.net("LIST timed out")),
        }
    }

    /// UIDs above `after` with their sizes, ascending.
    pub async fn new_uids(&mut self, after: Uid) -> Result<Vec<(Uid, u32)>, ImapError> {
        let timeout = self.account.timeout;
        let lo = after.next();
        let name = self.account.name.clone();
        let result = async {
            let s = self.session()?;
            let mut stream =
                s.uid_fetch(format!("{lo}:*"), "(UID RFC822.SIZE)").await.map_err(|e| map_imap(&name, e))?;
            let mut out = Vec::new();
            while let Some(f) = stream.try_next().await.map_err(|e| map_imap(&name, e))? {
                if let (Some(uid), Some(size)) = (f.uid, f.size) {
                    // "n:*" with n above the highest UID still returns the last message.
                    if Uid(uid) > after {
                        out.push((Uid(uid), size));
                    }
                }
            }
            Ok::<_, ImapError>(out)
        };
        let mut out = tokio::time::timeout(timeout, result).await.map_err(|_| ImapError::Network {
            account: self.account.name.clone(),
            message: "UID FETCH timed out".into(),
        })??;
        out.sort_unstable();
        out.dedup_by_key(|x| x.0);
        Ok(out)
    }

    /// Fetches messages by UID: full bodies for those within `max_bytes`, headers only for the
    /// others. Every requested UID must come back; a short answer (connection dropped
    /// mid-fetch) is a network error, so the caller never advances past a missing message.
    pub async fn fetch(
        &mut self,
        wanted: &[(Uid, u32)],
        max_bytes: usize,
    ) -> Result<Vec<Fetched>, ImapError> {
        type UidSizes = Vec<(Uid, u32)>;
        let (small, large): (UidSizes, UidSizes) =
            wanted.iter().partition(|(_, size)| (*size as usize) <= max_bytes);
        let mut out = Vec::with_capacity(wanted.len());
        for (set, query, header_only) in [
            (small, "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[])", false),
            (large, "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER])", true),
        ] {
            if set.is_empty() {
                continue;
            }
            let uids: Vec<String> = set.iter().map(|(u, _)| u.to_string()).collect();
            let timeout = self.account.timeout * 4;
            let name = self.account.name.clone();
            let fetch = async {
                let s = self.session()?;
                let mut stream = s.uid_fetch(uids.join(","), query).await.map_err(|e| map_imap(&name, e))?;
                let mut got = Vec::with_capacity(set.len());
                while let Some(f) = stream.try_next().await.map_err(|e| map_imap(&name, e))? {
                    let Some(uid) = f.uid else { continue };
                    let bytes = if header_only { f.header() } else { f.body() };
                    let Some(bytes) = bytes else { continue };
                    got.push(Fetched {
                        uid: Uid(uid),
                        bytes: bytes.to_vec(),
                        header_only,
                        size: f.size.unwrap_or(bytes.len() as u32),
                        internal_date: f.internal_date().map(|d| d.timestamp()),
                    });
                }
                Ok::<_, ImapError>(got)
            };
            let got = tokio::time::timeout(timeout, fetch).await.map_err(|_| ImapError::Network {
                account: self.account.name.clone(),
                message: "UID FETCH timed out".into(),
            })??;
            // The fetch stream ends at the tagged line whatever its status, and ends early when the
            // connection drops: count what came back, and make sure the connection is still alive.
            let expected: std::collections::BTreeSet<Uid> = set.iter().map(|(u, _)| *u).collect();
            let received: std::collections::BTreeSet<Uid> = got.iter().map(|f| f.uid).collect();
            let missing: Vec<Uid> = expected.difference(&received).copied().collect();
            if !missing.is_empty() {
                // Expunged between the size listing and the fetch is fine; a dead connection is not.
                self.noop().await?;
                tracing::warn!(account = %self.account.name, missing = missing.len(), "messages vanished before they could be fetched (expunged by staff?)");
            }
            out.extend(got);
        }
        self.noop().await?;
        out.sort_by_key(|f| f.uid);
        Ok(out)
    }

    /// NOOP: proves the connection is alive (and lets the server report changes).
    pub async fn noop(&mut self) -> Result<(), ImapError> {
        let timeout = self.account.timeout;
        let name = self.account.name.clone();
        let s = self.session()?;
        match tokio::time::timeout(timeout, s.noop()).await {
            Err(_) => Err(ImapError::Network { account: name, message: "NOOP timed out".into() }),
            Ok(Err(e)) => Err(self.imap_err(e)),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Waits for new mail with IDLE on the currently examined mailbox, for at most `wait` (a
    /// deadline the server's keepalives do not move), or until `stop` resolves. Returns true when
    /// the server reported a change.
    pub async fn idle<F>(&mut self, wait: Duration, stop: F) -> Result<bool, ImapError>
    where
        F: std::future::Future<Output = ()>,
    {
        let session = self.session.take().ok_or_else(|| self.net("not connected"))?;
        let mut handle = session.idle();
        tokio::time::timeout(self.account.timeout, handle.init())
            .await
            .map_err(|_| self.net("IDLE timed out"))?
            .map_err(|e| self.imap_err(e))?;
        let (wait_fut, interrupt) = handle.wait_with_timeout(wait);
        let mut asked_to_stop = false;
        // Our own deadline: the library's timeout restarts on every keepalive the server sends
        // ("* OK Still here", every 2 minutes on Dovecot), so alone it would never expire.
        let deadline = tokio::time::sleep(wait);
        let response = tokio::select! {
            r = wait_fut => r,
            () = stop => {
                asked_to_stop = true;
                drop(interrupt);
                Ok(async_imap::extensions::idle::IdleResponse::ManualInterrupt)
            }
            () = deadline => {
                asked_to_stop = true;
                drop(interrupt);
                Ok(async_imap::extensions::idle::IdleResponse::Timeout)
            }
        };
        use async_imap::extensions::idle::IdleResponse;
        let changed = match response {
            Ok(IdleResponse::NewData(_)) => true,
            Ok(IdleResponse::Timeout) => false,
            // An interrupt we did not ask for is a dropped connection.
            Ok(IdleResponse::ManualInterrupt) if !asked_to_stop => {
                return Err(self.net("connection closed during IDLE"));
            }
            Ok(IdleResponse::ManualInterrupt) => false,
            Err(e) => return Err(self.imap_err(e)),
        };
        let session = tokio::time::timeout(self.account.timeout, handle.done())
            .await
            .map_err(|_| self.net("DONE timed out"))?
            .map_err(|e| self.imap_err(e))?;
        self.session = Some(session);
        Ok(changed)
    }

    /// Logs out politely (errors ignored: we are leaving anyway).
    pub async fn logout(&mut self) {
        if let Some(mut s) = self.session.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), s.logout()).await;
        }
    }
}

/// Reads messages again by UID, read-only, in one session of `account` (for `learn`): one
/// result per `(mailbox, uidvalidity, uid)`, in order, or why the message cannot be read (the
/// account unreachable, the mailbox renumbered since, the UID expunged).
pub async fn read_uids(
    account: &Account,
    wanted: &[(&str, UidValidity, Uid)],
) -> Vec<Result<Fetched, String>> {
    let mut out: Vec<Result<Fetched, String>> =
        wanted.iter().map(|(_, _, uid)| Err(format!("no message with UID {uid}"))).collect();
    let mut client = Client::new(account.clone());
    if let Err(e) = client.ensure_connected().await {
        tracing::warn!(account = %account.name, error = %e, "cannot reach the mailbox to re-read messages");
        out.iter_mut().for_each(|r| *r = Err(e.to_string()));
        return out;
    }
    let mut by_mailbox: std::collections::BTreeMap<(&str, UidValidity), Vec<usize>> = Default::default();
    for (i, (mailbox, uidvalidity, _)) in wanted.iter().enumerate() {
        by_mailbox.entry((mailbox, *uidvalidity)).or_default().push(i);
    }
    for ((mailbox, uidvalidity), indices) in by_mailbox {
        let fail = |out: &mut Vec<Result<_, String>>, m: String| {
            indices.iter().for_each(|&i| out[i] = Err(m.clone()))
        };
        match client.examine(mailbox).await {
            Err(e) => fail(&mut out, e.to_string()),
            Ok(info) if info.uidvalidity != uidvalidity => fail(
                &mut out,
                format!(
                    "{mailbox}: UIDVALIDITY is now {}: the UID no longer names the message",
                    info.uidvalidity
                ),
            ),
            Ok(_) => {
                // Size 0: every message is "small", so whole bodies come back.
                let uids: Vec<(Uid, u32)> = indices.iter().map(|&i| (wanted[i].2, 0)).collect();
                match client.fetch(&uids, usize::MAX).await {
                    Err(e) => fail(&mut out, e.to_string()),
                    Ok(got) => {
                        for f in got {
                            if let Some(&i) = indices.iter().find(|&&i| wanted[i].2 == f.uid) {
                                out[i] = Ok(f);
                            }
                        }
                    }
                }
            }
        }
    }
    client.logout().await;
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_servers_words_without_debug_output_or_timings() {
        let raw = r#"outcome: Outcome { code: None, information: Some("Mailbox doesn't exist: PEC (0.001 + 0.000 secs).") }"#;
        assert_eq!(super::server_text(raw), "\"Mailbox doesn't exist: PEC\"");
        assert_eq!(super::server_text("plain words"), "\"plain words\"");
        let login = r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#;
        assert_eq!(super::server_text(login), "\"[AUTHENTICATIONFAILED] Authentication failed\"");
    }
}
