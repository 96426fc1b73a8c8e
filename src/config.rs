//! The service configuration (`urpmail.toml`): `RawConfig` as written (serde, unknown keys are
//! errors) → [`Config`], validated, with secrets resolved. Errors name the file, the line where
//! the TOML parser knows it, and the fix.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub mod mapping;

/// Configuration format this build reads.
pub const CONFIG_VERSION: u32 = 1;

/// A configuration error (also of the taxonomy mapping file, [`mapping`]).
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    version: u32,
    #[serde(default)]
    ente: Option<RawEnte>,
    store: RawStore,
    #[serde(default)]
    classification: RawClassification,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    account: Vec<RawAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnte {
    id: String,
    name: String,
}

/// The comune (or other body) whose mail this configuration records: `[ente]`. Its store
/// remembers it, so a configuration of another ente cannot write there; in a shared database
/// each ente's store is a schema of its own (`ente_ID`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ente {
    /// A short identifier: lower-case letters, digits and `_` (for example the ISTAT or
    /// cadastral code, `h501`).
    pub id: String,
    /// The name printed on its tables ("Comune di ...").
    pub name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    /// A SQLite file.
    path: Option<PathBuf>,
    /// Or a PostgreSQL database, with how to log in and verify the server.
    url: Option<String>,
    password_file: Option<PathBuf>,
    password_env: Option<String>,
    ca_file: Option<PathBuf>,
    /// How long a daemon's claim on a mailbox lasts without a batch renewing it.
    lease_secs: Option<u64>,
    #[serde(default)]
    store_snippets: bool,
}

/// How long a daemon's claim on a mailbox lasts without a batch renewing it, unless
/// `[store] lease_secs` says otherwise: a killed daemon's mailboxes are taken over after it.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClassification {
    #[serde(default = "default_str")]
    rules: String,
    #[serde(default = "default_str")]
    model: String,
}

impl Default for RawClassification {
    fn default() -> Self {
        RawClassification { rules: default_str(), model: default_str() }
    }
}

fn default_str() -> String {
    "default".into()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_message_bytes: Option<usize>,
    max_mime_parts: Option<usize>,
    max_mime_depth: Option<usize>,
    max_text_bytes: Option<usize>,
    max_attachments: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    name: String,
    host: String,
    #[serde(default)]
    port: Option<u16>,
    tls: Tls,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    username: String,
    #[serde(default)]
    password_file: Option<PathBuf>,
    #[serde(default)]
    password_env: Option<String>,
    #[serde(default)]
    password: Option<String>,
    mailboxes: Vec<String>,
    #[serde(default = "default_poll")]
    poll_interval_secs: u64,
    #[serde(default = "default_true")]
    idle: bool,
    #[serde(default = "default_batch")]
    batch_size: u32,
    #[serde(default = "default_timeout")]
    timeout_secs: u64,
}

fn default_poll() -> u64 {
    300
}
fn default_true() -> bool {
    true
}
fn default_batch() -> u32 {
    200
}
fn default_timeout() -> u64 {
    60
}

/// How the IMAP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// TLS from the first byte (IMAPS, port 993).
    Implicit,
    /// Plain connection upgraded with STARTTLS (port 143).
    Starttls,
    /// No TLS: refused unless the host is a loopback address.
    None,
}

/// A secret that never appears in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A validated IMAP account.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub username: String,
    pub password: Secret,
    pub mailboxes: Vec<String>,
    pub poll_interval: std::time::Duration,
    pub idle: bool,
    pub batch_size: u32,
    pub timeout: std::time::Duration,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub file: PathBuf,
    /// The ente whose mail this is (`[ente]`), if named.
    pub ente: Option<Ente>,
    /// Where the store lives (`[store] path` or `url`).
    pub store: crate::store::StoreTarget,
    /// How long a daemon's claim on a mailbox lasts (`[store] lease_secs`).
    pub lease: std::time::Duration,
    pub store_snippets: bool,
    pub rules: String,
    pub model: String,
    /// Resource limits applied to every message (`[limits]`).
    pub limits: crate::parse::Limits,
    pub accounts: Vec<Account>,
}

impl Config {
    /// Reads and validates a configuration file, resolving passwords.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read(path)?;
        Config::parse(&text, path, &|name| std::env::var(name).ok())
    }

    /// Reads a configuration for commands that only use the store (status, ingest, reports):
    /// everything is validated except that passwords are not read.
    pub fn load_without_secrets(path: &Path) -> Result<Config, ConfigError> {
        let text = read(path)?;
        Config::parse_inner(&text, path, &|_| Some(String::new()), false)
    }

    /// Validates configuration text; `env` looks environment variables up (injected for tests).
    pub fn parse(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        Config::parse_inner(text, path, env, true)
    }

    fn parse_inner(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
        secrets: bool,
    ) -> Result<Config, ConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let file = path.display().to_string();
        let err = |line: Option<usize>, message: String| ConfigError { file: file.clone(), line, message };
        let line_of = |needle: &str| -> Option<usize> {
            text.lines().position(|l| l.trim_start().starts_with(needle)).map(|i| i + 1)
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| crate::classify::rules::line_of(text, s.start));
            err(line, e.message().trim().to_string())
        })?;
        if raw.version != CONFIG_VERSION {
            return Err(err(
                line_of("version"),
                format!(
                    "version {} is not supported: this urpmail reads version = {CONFIG_VERSION}",
                    raw.version
                ),
            ));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        let limits = {
            let d = crate::parse::Limits::default();
            let r = &raw.limits;
            let check = |key: &str, value: Option<usize>, default: usize, min: usize, max: usize| {
                let v = value.unwrap_or(default);
                if (min..=max).contains(&v) {
                    Ok(v)
                } else {
                    Err(err(
                        line_of(key),
                        format!("limits.{key} = {v} is out of range: use {min}..={max} (default {default})"),
                    ))
                }
            };
            crate::parse::Limits {
                max_message_bytes: check(
                    "max_message_bytes",
                    r.max_message_bytes,
                    d.max_message_bytes,
                    1024,
                    1 << 30,
                )?,
                max_mime_parts: check("max_mime_parts", r.max_mime_parts, d.max_mime_parts, 1, 1_000_000)?,
                max_mime_depth: check("max_mime_depth", r.max_mime_depth, d.max_mime_depth, 1, 10_000)?,
                max_text_bytes: check("max_text_bytes", r.max_text_bytes, d.max_text_bytes, 1024, 1 << 30)?,
                max_attachments: check("max_attachments", r.max_attachments, d.max_attachments, 0, 100_000)?,
                ..d
            }
        };
        let mut accounts = Vec::new();
        for a in raw.account {
            let at = line_of(&format!("name = \"{}\"", a.name)).or_else(|| line_of("[[account]]"));
            let aerr = |m: String| err(at, format!("account {:?}: {m}", a.name));
            if a.name.trim().is_empty() || accounts.iter().any(|x: &Account| x.name == a.name) {
                return Err(aerr("account names must be non-empty and unique".into()));
            }
            if a.mailboxes.is_empty() {
                return Err(aerr("mailboxes must list at least one mailbox, e.g. [\"INBOX\"]".into()));
            }
            if a.tls == Tls::None && !is_loopback(&a.host) {
                return Err(aerr(format!(
                    "tls = \"none\" is refused for {:?}: passwords and citizens' mail would travel in clear text; use tls = \"implicit\" or \"starttls\" (plain connections are allowed only to a loopback address)",
                    a.host
                )));
            }
            if a.password.is_some() {
                return Err(aerr(
                    "passwords are never written in the configuration: use password_file or password_env"
                        .into(),
                ));
            }
            let password =
                match (&a.password_file, &a.password_env) {
                    (Some(_), Some(_)) => {
                        return Err(aerr("give either password_file or password_env, not both".into()));
                    }
                    (None, None) => return Err(aerr("missing password_file or password_env".into())),
                    _ if !secrets => Secret(String::new()),
                    (Some(p), None) => Secret(read_password_file(&resolve(p)).map_err(aerr)?),
                    (None, Some(var)) => Secret(env(var).filter(|v| !v.is_empty()).ok_or_else(|| {
                        aerr(format!("environment variable {var} (password_env) is not set"))
                    })?),
                };
            let ca_file = a.ca_file.as_deref().map(resolve);
            if let Some(ca) = &ca_file
                && !ca.is_file()
            {
                return Err(aerr(format!("ca_file {} does not exist", ca.display())));
            }
            if !(1..=10_000).contains(&a.batch_size) {
                return Err(aerr("batch_size must be between 1 and 10000".into()));
            }
            if a.timeout_secs == 0 || a.poll_interval_secs == 0 {
                return Err(aerr("timeout_secs and poll_interval_secs must be positive".into()));
            }
            let port = a.port.unwrap_or(match a.tls {
                Tls::Implicit => 993,
                Tls::Starttls | Tls::None => 143,
            });
            accounts.push(Account {
                name: a.name,
                host: a.host,
                port,
                tls: a.tls,
                ca_file,
                username: a.username,
                password,
                mailboxes: a.mailboxes,
                poll_interval: std::time::Duration::from_secs(a.poll_interval_secs),
                idle: a.idle,
                batch_size: a.batch_size,
                timeout: std::time::Duration::from_secs(a.timeout_secs),
            });
        }
        let rules = if raw.classification.rules == "default" || raw.classification.rules == "none" {
            raw.classification.rules
        } else {
            resolve(Path::new(&raw.classification.rules)).display().to_string()
        };
        let model = if ["default", "builtin", "none"].contains(&raw.classification.model.as_str()) {
            raw.classification.model
        } else {
            resolve(Path::new(&raw.classification.model)).display().to_string()
        };
        let mut store = store_target(&raw.store, &resolve).map_err(|m| err(line_of("[store]"), m))?;
        let ente = match raw.ente {
            None => None,
            Some(e) => {
                let schema = crate::store::ente_schema(&e.id)
                    .map_err(|m| err(line_of("id"), format!("[ente] {m}")))?;
                let name = e.name.trim().to_string();
                if name.is_empty() || name.chars().count() > 200 {
                    return Err(err(line_of("name"), "[ente] name must be the ente's name, 1 to 200 characters (for example \"Comune di Esempio\")".into()));
                }
                if let crate::store::StoreTarget::Postgres(pg) = &mut store {
                    pg.schema = schema;
                }
                Some(Ente { id: e.id, name })
            }
        };
        let lease = match raw.store.lease_secs {
            None => DEFAULT_LEASE,
            Some(s) if (2..=3600).contains(&s) => std::time::Duration::from_secs(s),
            Some(s) => {
                return Err(err(
                    line_of("lease_secs"),
                    format!(
                        "lease_secs = {s} is out of range: use 2..=3600 (default {})",
                        DEFAULT_LEASE.as_secs()
                    ),
                ));
            }
        };
        Ok(Config {
            file: path.to_path_buf(),
            ente,
            store,
            lease,
            store_snippets: raw.store.store_snippets,
            rules,
            model,
            limits,
            accounts,
        })
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            // The file itself, or the folder on the way that cannot be entered.
            let message = match std::fs::metadata(path) {
                Ok(_) => crate::access::denied(path),
                Err(_) => {
                    let blocked = crate::access::blocked_part(path);
                    format!("{}: {}", blocked.display(), crate::access::denied(blocked))
                }
            };
            return ConfigError { file: path.display().to_string(), line: None, message };
        }
        ConfigError {
            file: path.display().to_string(),
            line: None,
            message: format!("cannot read configuration: {e}"),
        }
    })
}

/// `[store]`: a file (`path`) or a database (`url`, with `password_file` or `password_env` and
/// an optional `ca_file`), never both.
fn store_target(
    raw: &RawStore,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<crate::store::StoreTarget, String> {
    use crate::store::{PgPassword, PgTarget, StoreTarget};
    let db_keys = raw.password_file.is_some() || raw.password_env.is_some() || raw.ca_file.is_some();
    match (&raw.path, &raw.url) {
        (Some(_), Some(_)) => Err("[store] takes path (a SQLite file) or url (a PostgreSQL database), not both".into()),
        (None, None) => Err(
            "[store] needs path = \"FILE\" (a SQLite file, the default for one office) or url = \"postgres://USER@HOST/DATABASE\""
                .into(),
        ),
        (Some(_), None) if db_keys => {
            Err("password_file, password_env and ca_file are for a database (url); a store file (path) needs none".into())
        }
        (Some(p), None) => Ok(StoreTarget::File(resolve(p))),
        (None, Some(url)) => {
            let mut t = PgTarget::parse_url(url, false).map_err(|e| format!("[store] url: {e}"))?;
            t.password = match (&raw.password_file, &raw.password_env) {
                (Some(_), Some(_)) => return Err("[store]: give either password_file or password_env, not both".into()),
                (Some(f), None) => PgPassword::File(resolve(f)),
                (None, Some(v)) => PgPassword::Env(v.clone()),
                (None, None) => PgPassword::None,
            };
            t.ca_file = raw.ca_file.as_deref().map(resolve);
            Ok(StoreTarget::Postgres(Box::new(t)))
        }
    }
}

pub(crate) fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn read_password_file(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("password_file {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "password_file {} is readable by group or others (mode {:o}): run chmod 600 on it",
                path.display(),
                mode & 0o777
            ));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("password_file {}: {e}", path.display()))?;
    let pw = text.trim_end_matches(['\n', '\r']).to_string();
    if pw.is_empty() {
        return Err(format!("password_file {} is empty", path.display()));
    }
    let _ = meta;
    Ok(pw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/urpmail/urpmail.toml"), &|v| {
            (v == "PW").then(|| "s3cret".to_string())
        })
    }

    const OK: &str = r#"version = 1
[store]
path = "/var/lib/urpmail/urpmail.db"
[[account]]
name = "urp"
host = "imap.comune.example"
tls = "implicit"
username = "urp"
password_env = "PW"
mailboxes = ["INBOX", "PEC"]
"#;

    #[test]
    fn valid_config_with_defaults() {
        let c = parse(OK).expect("valid");
        let a = &c.accounts[0];
        assert_eq!(a.port, 993);
        assert!(a.idle);
        assert_eq!(a.batch_size, 200);
        assert_eq!(a.password.expose(), "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"), "the password never shows in Debug");
        assert_eq!(c.rules, "default");
    }

    #[test]
    fn errors_name_the_problem() {
        let e =
            parse(&OK.replace("tls = \"implicit\"", "tls = \"implicit\"\ntsl = 1")).expect_err("unknown key");
        assert_eq!(e.line, Some(8));
        assert!(e.message.contains("unknown field"), "{e}");
        let e = parse(&OK.replace("tls = \"implicit\"", "tls = \"none\"")).expect_err("plaintext");
        assert!(e.message.contains("refused"), "{e}");
        assert!(
            parse(
                &OK.replace("tls = \"implicit\"", "tls = \"none\"")
                    .replace("imap.comune.example", "127.0.0.1")
            )
            .is_ok()
        );
        let e = parse(&OK.replace("password_env = \"PW\"", "password_env = \"NOPE\"")).expect_err("env");
        assert!(e.message.contains("NOPE"), "{e}");
        let e = parse(&OK.replace("password_env = \"PW\"", "password = \"x\"")).expect_err("inline password");
        assert!(e.message.contains("never written"), "{e}");
        let e = parse(&OK.replace("version = 1", "version = 2")).expect_err("version");
        assert_eq!(e.line, Some(1));
        assert_eq!(e.file, "/etc/urpmail/urpmail.toml");
    }

    #[test]
    fn limits_have_defaults_and_are_range_checked() {
        let c = parse(OK).expect("valid");
        assert_eq!(c.limits.max_mime_parts, crate::parse::Limits::default().max_mime_parts);
        let with = |section: &str| parse(&format!("{OK}[limits]\n{section}\n"));
        let c = with("max_mime_parts = 50\nmax_mime_depth = 4\nmax_text_bytes = 4096").expect("valid limits");
        assert_eq!(
            (c.limits.max_mime_parts, c.limits.max_mime_depth, c.limits.max_text_bytes),
            (50, 4, 4096)
        );
        assert_eq!(c.limits.max_message_bytes, crate::parse::Limits::default().max_message_bytes);
        let e = with("max_mime_depth = 0").expect_err("zero depth");
        assert_eq!(e.line, Some(12), "{e}");
        assert!(e.message.contains("max_mime_depth = 0 is out of range: use 1..=10000 (default 32)"), "{e}");
        let e = with("max_message_bytes = 10").expect_err("tiny");
        assert!(e.message.contains("max_message_bytes"), "{e}");
        let e = with("max_parts = 10").expect_err("unknown key");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_database_store_and_an_ente_are_read_and_checked() {
        let db = OK.replace(
            "path = \"/var/lib/urpmail/urpmail.db\"",
            "url = \"postgres://urpmail@db.example:6543/urp\"\npassword_file = \"db.pw\"\nca_file = \"/etc/urpmail/ca.pem\"\nlease_secs = 30",
        );
        let ente = |id: &str, name: &str| {
            db.replacen(
                "version = 1\n",
                &format!("version = 1\n[ente]\nid = \"{id}\"\nname = \"{name}\"\n"),
                1,
            )
        };
        let c = parse(&ente("h501", "Comune di Esempio")).expect("ok");
        let crate::store::StoreTarget::Postgres(pg) = &c.store else { panic!("a database") };
        assert_eq!(pg.schema, "ente_h501", "each ente its own schema");
        assert_eq!(
            pg.password,
            crate::store::PgPassword::File("/etc/urpmail/db.pw".into()),
            "relative to the file"
        );
        assert_eq!(c.lease, std::time::Duration::from_secs(30));
        assert_eq!(c.ente.as_ref().map(|e| e.name.as_str()), Some("Comune di Esempio"));
        assert_eq!(c.store.to_string(), "postgres://urpmail@db.example:6543/urp?ente=h501");
        for (text, says, line) in [
            (db.replace("urpmail@db", "urpmail:segreto@db"), "never written in the URL", 2),
            (db.replace("lease_secs = 30", "lease_secs = 1"), "lease_secs = 1 is out of range", 6),
            (ente("Roma", "Roma"), "not an ente id", 3),
            (ente("h501", " "), "[ente] name", 4),
            (OK.replace("[store]\n", "[store]\nurl = \"postgres://u@h/d\"\n"), "not both", 2),
        ] {
            let e = parse(&text).expect_err(says);
            assert!(e.message.contains(says), "{says}: {e}");
            assert_eq!(e.line, Some(line), "{says}: {e}");
            assert!(!e.to_string().contains("segreto"), "the password is not repeated: {e}");
        }
    }

    #[test]
    fn world_readable_password_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "secret\n").expect("write");
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let text =
            OK.replace("password_env = \"PW\"", &format!("password_file = {:?}", pw.display().to_string()));
        let e = parse(&text).expect_err("mode");
        assert!(e.message.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(parse(&text).expect("ok").accounts[0].password.expose(), "secret");
    }
}
