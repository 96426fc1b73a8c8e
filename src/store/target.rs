//! Where a store lives: a SQLite file (the embedded default, one office) or a PostgreSQL
//! database (shared by many daemons and comuni), as `[store]` in the configuration or
//! `--store FILE|URL` give it. Parsing and checks only: no connection is made here.

use std::fmt;
use std::path::{Path, PathBuf};

/// The PostgreSQL port when a URL names none.
pub const DEFAULT_PG_PORT: u16 = 5432;

/// The PostgreSQL schema (namespace) holding a store's tables when the configuration names no
/// ente.
pub const DEFAULT_PG_SCHEMA: &str = "urpmail";

/// Where a store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreTarget {
    /// A SQLite file.
    File(PathBuf),
    /// A PostgreSQL database.
    Postgres(Box<PgTarget>),
}

/// A PostgreSQL store: who connects where, how the password is found, how the server is
/// verified. Never holds the password itself (it is read when the store is opened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTarget {
    pub user: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub password: PgPassword,
    /// The CA certificate(s) that verify the server (PEM). Without it, a server that is not on
    /// loopback is verified against the system's roots; one on loopback is reached in clear.
    pub ca_file: Option<PathBuf>,
    /// The PostgreSQL schema holding the tables.
    pub schema: String,
}

/// Where the PostgreSQL password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgPassword {
    /// No password (the server trusts this client, for example on loopback).
    None,
    /// A file readable by the service user only (0600), first line.
    File(PathBuf),
    /// An environment variable.
    Env(String),
}

/// How the connection is protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgTls {
    /// Clear text: only to a loopback address.
    None,
    /// TLS verified against the system's root certificates.
    SystemRoots,
    /// TLS verified against this CA file.
    CaFile(PathBuf),
}

impl StoreTarget {
    /// Reads `--store`: a `postgres://` or `postgresql://` URL (its query may give
    /// `password_file` and `ca_file`), else a file path.
    pub fn parse_arg(s: &str) -> Result<StoreTarget, String> {
        if is_url(s) {
            PgTarget::parse_url(s, true).map(|t| StoreTarget::Postgres(Box::new(t)))
        } else {
            Ok(StoreTarget::File(PathBuf::from(s)))
        }
    }

    /// The SQLite file, if this is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            StoreTarget::File(p) => Some(p),
            StoreTarget::Postgres(_) => None,
        }
    }

    /// Where `learn` writes the model files of a file store: `STORE-models/` beside it, so
    /// several stores in one folder keep apart. A PostgreSQL store keeps its learned models in
    /// the database (every daemon, on any machine, reads them there): `None`.
    pub fn models_dir(&self) -> Option<PathBuf> {
        let store = self.file()?;
        let stem = store.file_stem().map_or_else(|| "store".into(), |s| s.to_string_lossy().into_owned());
        Some(store.parent().unwrap_or(Path::new(".")).join(format!("{stem}-models")))
    }

    /// The name to print for a published table: a file's name without its folders, a
    /// database's name without host or user.
    pub fn public_name(&self) -> String {
        match self {
            StoreTarget::File(p) => {
                p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
            }
            StoreTarget::Postgres(pg) => format!("{} (PostgreSQL)", pg.database),
        }
    }
}

impl fmt::Display for StoreTarget {
    /// The file path, or the URL without password, parameters or schema.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreTarget::File(p) => write!(f, "{}", p.display()),
            StoreTarget::Postgres(pg) => write!(f, "{pg}"),
        }
    }
}

impl fmt::Display for PgTarget {
    /// The URL without password or file parameters; an ente's store names its ente.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        write!(f, "postgres://{}@{host}:{}/{}", self.user, self.port, self.database)?;
        match self.schema.strip_prefix("ente_") {
            Some(id) => write!(f, "?ente={id}"),
            None => Ok(()),
        }
    }
}

/// The PostgreSQL schema of an ente's store in a shared database: `ente_ID`. The id is checked
/// here (lower-case letters, digits and `_`, 1 to 40 characters).
pub fn ente_schema(id: &str) -> Result<String, String> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(format!("ente_{id}"))
    } else {
        Err(format!(
            "id {id:?} is not an ente id: use 1 to 40 lower-case letters, digits and _ (for example the cadastral code, \"h501\")"
        ))
    }
}

/// Whether `--store` or `url` names a PostgreSQL database.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl PgTarget {
    /// Parses `postgres://USER@HOST[:PORT]/DATABASE`. With `query`, the parameters
    /// `password_file=FILE` and `ca_file=FILE` are read from after `?` (for `--store`); the
    /// configuration gives them as keys instead. A password inside the URL is refused: it would
    /// show in process lists, logs and shell history.
    pub fn parse_url(url: &str, query: bool) -> Result<PgTarget, String> {
        const FORM: &str = "postgres://USER@HOST[:PORT]/DATABASE";
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| format!("{url:?} is not a PostgreSQL URL: write {FORM}"))?;
        let (main, params) = match rest.split_once('?') {
            Some((m, p)) => (m, Some(p)),
            None => (rest, None),
        };
        let (authority, database) =
            main.split_once('/').ok_or_else(|| format!("the URL names no database: write {FORM}"))?;
        let database = decode(database)?;
        if database.is_empty() || database.contains('/') {
            return Err(format!("the URL names no database: write {FORM}"));
        }
        let (userinfo, hostport) =
            authority.rsplit_once('@').ok_or_else(|| format!("the URL names no user: write {FORM}"))?;
        if userinfo.contains(':') {
            return Err(
                "passwords are never written in the URL (they would show in process lists and logs): \
                 put the password in a file readable only by the service user (chmod 600) and give it \
                 as password_file"
                    .into(),
            );
        }
        let user = decode(userinfo)?;
        if user.is_empty() {
            return Err(format!("the URL names no user: write {FORM}"));
        }
        let (host, port) = split_host_port(hostport)?;
        let mut target = PgTarget {
            user,
            host,
            port,
            database,
            password: PgPassword::None,
            ca_file: None,
            schema: DEFAULT_PG_SCHEMA.into(),
        };
        if let Some(params) = params {
            if !query {
                return Err(
                    "the URL takes no parameters here: give password_file, password_env and ca_file as keys of [store]"
                        .into(),
                );
            }
            for pair in params.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let v = decode(v)?;
                if v.is_empty() {
                    return Err(format!("the URL parameter {k} has no value"));
                }
                match k {
                    "password_file" => target.password = PgPassword::File(PathBuf::from(v)),
                    "ca_file" => target.ca_file = Some(PathBuf::from(v)),
                    "ente" => target.schema = ente_schema(&v)?,
                    _ => {
                        return Err(format!(
                            "unknown URL parameter {k:?}: the parameters are password_file, ca_file and ente"
                        ));
                    }
                }
            }
        }
        Ok(target)
    }

    /// How the connection is protected (see [`PgTarget::ca_file`]).
    pub fn tls(&self) -> PgTls {
        match &self.ca_file {
            Some(ca) => PgTls::CaFile(ca.clone()),
            None if crate::config::is_loopback(&self.host) => PgTls::None,
            None => PgTls::SystemRoots,
        }
    }
}

fn split_host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("an IPv6 host needs its closing ]")?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (s.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("the URL names no host: write postgres://USER@HOST[:PORT]/DATABASE".into());
    }
    let port = match port {
        None => DEFAULT_PG_PORT,
        Some(p) => p.parse().ok().filter(|p| *p > 0).ok_or_else(|| format!("{p:?} is not a port number"))?,
    };
    Ok((host, port))
}

/// Percent-decoding of a URL part.
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            let b = hex.ok_or_else(|| format!("{s:?}: a % must be followed by two hexadecimal digits"))?;
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_their_parts() {
        let t = PgTarget::parse_url("postgres://urpmail@db.example:6543/urp", false).expect("ok");
        assert_eq!(
            (t.user.as_str(), t.host.as_str(), t.port, t.database.as_str()),
            ("urpmail", "db.example", 6543, "urp")
        );
        assert_eq!(t.tls(), PgTls::SystemRoots);
        assert_eq!(t.to_string(), "postgres://urpmail@db.example:6543/urp");
        let t = PgTarget::parse_url("postgresql://u%40x@127.0.0.1/d", false).expect("ok");
        assert_eq!((t.user.as_str(), t.port), ("u@x", DEFAULT_PG_PORT));
        assert_eq!(t.tls(), PgTls::None, "loopback without a CA is clear text");
        let t = PgTarget::parse_url("postgres://u@[::1]:5433/d", false).expect("ok");
        assert_eq!((t.host.as_str(), t.port), ("::1", 5433));
        assert_eq!(t.to_string(), "postgres://u@[::1]:5433/d");
        let t =
            StoreTarget::parse_arg("postgres://u@h/d?password_file=/etc/pw&ca_file=/etc/ca.pem").expect("ok");
        let StoreTarget::Postgres(t) = t else { panic!("a database") };
        assert_eq!(t.password, PgPassword::File("/etc/pw".into()));
        assert_eq!(t.tls(), PgTls::CaFile("/etc/ca.pem".into()));
        assert_eq!(
            StoreTarget::parse_arg("urpmail.db").expect("file"),
            StoreTarget::File("urpmail.db".into())
        );
    }

    #[test]
    fn bad_urls_say_what_to_write() {
        for (url, says) in [
            ("postgres://u:secret@h/d", "never written in the URL"),
            ("postgres://h/d", "no user"),
            ("postgres://u@h", "no database"),
            ("postgres://u@h/", "no database"),
            ("postgres://u@/d", "no host"),
            ("postgres://u@h:99999/d", "not a port"),
            ("postgres://u@h/d?sslmode=require", "unknown URL parameter"),
            ("postgres://u@h/d?password_file=", "has no value"),
            ("postgres://u@h/d%zz", "two hexadecimal digits"),
        ] {
            let e = StoreTarget::parse_arg(url).expect_err(url);
            assert!(e.contains(says), "{url}: {e}");
            assert!(!e.contains("secret"), "the password is not repeated: {e}");
        }
        let e = PgTarget::parse_url("postgres://u@h/d?ca_file=x", false).expect_err("no query in config");
        assert!(e.contains("as keys of [store]"), "{e}");
    }

    #[test]
    fn models_live_beside_a_file_and_in_a_database() {
        let f = StoreTarget::File("/var/lib/urpmail/urpmail.db".into());
        assert_eq!(f.models_dir(), Some(PathBuf::from("/var/lib/urpmail/urpmail-models")));
        assert_eq!(f.public_name(), "urpmail.db");
        let pg = StoreTarget::parse_arg("postgres://u@h/urp").expect("ok");
        assert_eq!(pg.models_dir(), None);
        assert_eq!(pg.public_name(), "urp (PostgreSQL)");
    }
}
