//! The staff accounts of the web page: a text file of `name:hash` lines (argon2id PHC strings),
//! with `:ENTE` after the hash for an account of one ente of a consortium (`:*` for a
//! consortium administrator), mode 0600, written only by `urpmail users add` and `users remove`
//! (atomically) and read by `serve` at each login, so an account added or removed counts at once.

use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::commands::Error;

/// A hash checked when the name is unknown, so an unknown name costs as long as a wrong
/// password (the time does not tell which names exist). Its password is not guessable: it is
/// made at start from random bytes.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut secret = [0u8; 32];
        let _ = getrandom::fill(&mut secret);
        Argon2::default().hash_password(&secret).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// Whose data an account sees.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    /// The store the page serves (one office).
    #[default]
    Served,
    /// The store of this ente (`ENTE` after the hash).
    Ente(String),
    /// Every ente the page serves, one at a time: a consortium administrator (`*`).
    Admin,
}

impl Scope {
    fn suffix(&self) -> String {
        match self {
            Scope::Served => String::new(),
            Scope::Ente(id) => format!(":{id}"),
            Scope::Admin => ":*".into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    hash: String,
    scope: Scope,
}

/// The accounts of a users file.
#[derive(Debug, Clone, Default)]
pub struct Users {
    entries: Vec<Entry>,
}

impl Users {
    /// Reads a users file: refuses one readable by group or others, a line that is not
    /// `name:hash`, a name twice; errors name the file and the line.
    pub fn load(path: &Path) -> Result<Users, Error> {
        let bad = |line: Option<usize>, msg: String| {
            let at = line.map(|l| format!(":{l}")).unwrap_or_default();
            Error::Input(format!("{}{at}: {msg}", path.display()))
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(path).map_err(|e| bad(None, users_io(path, &e)))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(bad(
                    None,
                    format!(
                        "readable by group or others (mode {:o}): run chmod 600 on it",
                        meta.permissions().mode() & 0o777
                    ),
                ));
            }
        }
        let text = std::fs::read_to_string(path).map_err(|e| bad(None, users_io(path, &e)))?;
        let mut entries: Vec<Entry> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, rest)) = line.split_once(':') else {
                return Err(bad(
                    Some(i + 1),
                    "not NAME:HASH (write accounts with `urpmail users add`)".into(),
                ));
            };
            // A PHC string has no ':'; what follows one is the account's ente.
            let (hash, scope) = match rest.split_once(':') {
                None => (rest, Scope::Served),
                Some((h, "*")) => (h, Scope::Admin),
                Some((h, ente)) => {
                    crate::store::ente_schema(ente)
                        .map_err(|m| bad(Some(i + 1), format!("the ente of {name}: {m}")))?;
                    (h, Scope::Ente(ente.to_string()))
                }
            };
            check_name(name).map_err(|m| bad(Some(i + 1), m))?;
            if PasswordHash::new(hash).is_err() {
                return Err(bad(
                    Some(i + 1),
                    format!(
                        "the hash of {name} is not a PHC string: set the password again with `urpmail users add {name}`"
                    ),
                ));
            }
            if entries.iter().any(|e| e.name == name) {
                return Err(bad(Some(i + 1), format!("{name} appears twice")));
            }
            entries.push(Entry { name: name.to_string(), hash: hash.to_string(), scope });
        }
        Ok(Users { entries })
    }

    /// Whether `password` is `name`'s. Slow on purpose (argon2id), and as slow for a name that
    /// does not exist.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let found = self.entries.iter().find(|e| e.name == name).map(|e| e.hash.as_str());
        let known = found.is_some();
        let hash: &str = match found {
            Some(h) => h,
            None => decoy(),
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        known && ok
    }

    /// The account names, in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// Whose data an account sees (`None`: no such account).
    pub fn scope(&self, name: &str) -> Option<&Scope> {
        self.entries.iter().find(|e| e.name == name).map(|e| &e.scope)
    }
}

fn users_io(path: &Path, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "no such users file: create one with `urpmail users add NAME --file FILE`".into()
        }
        // Typically written by root for a page that runs as the service user.
        std::io::ErrorKind::PermissionDenied => crate::access::denied(path),
        _ => format!("cannot read the users file: {e}"),
    }
}

/// Account names: letters, digits, `.`, `_`, `-`; 1 to 64 characters (they appear in the audit
/// trail and in the users file's `name:` prefix).
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!("{name:?} is not an account name: use letters, digits, '.', '_' or '-' (at most 64)"))
    }
}

/// Sets `name`'s password (a new account or a new password), writing the file with mode 0600
/// through a temporary file and a rename. Returns whether the account is new.
pub fn add(path: &Path, name: &str, password: &str, scope: Scope) -> Result<bool, Error> {
    check_name(name).map_err(Error::Input)?;
    if password.chars().count() < 10 {
        return Err(Error::Input("the password must be at least 10 characters long".into()));
    }
    let mut users = if path.exists() { Users::load(path)? } else { Users::default() };
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| Error::Input(format!("cannot hash the password: {e}")))?
        .to_string();
    let new = match users.entries.iter_mut().find(|e| e.name == name) {
        Some(entry) => {
            entry.hash = hash;
            entry.scope = scope;
            false
        }
        None => {
            users.entries.push(Entry { name: name.to_string(), hash, scope });
            true
        }
    };
    write(path, &users)?;
    Ok(new)
}

/// Removes `name`'s account; returns whether it existed.
pub fn remove(path: &Path, name: &str) -> Result<bool, Error> {
    let mut users = Users::load(path)?;
    let before = users.entries.len();
    users.entries.retain(|e| e.name != name);
    if users.entries.len() == before {
        return Ok(false);
    }
    write(path, &users)?;
    Ok(true)
}

fn write(path: &Path, users: &Users) -> Result<(), Error> {
    let mut text = String::from(
        "# urpmail web accounts: NAME:argon2id hash[:ENTE, or :* for a consortium administrator]. Edit with `urpmail users add|remove`.\n",
    );
    for e in &users.entries {
        text.push_str(&format!("{}:{}{}\n", e.name, e.hash, e.scope.suffix()));
    }
    let tmp: PathBuf = path.with_extension("tmp");
    let io = |e: std::io::Error| Error::Io { context: format!("writing {}", path.display()), source: e };
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_added_verified_changed_and_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("utenti");
        assert!(add(&file, "maria", "una password lunga", Scope::Served).expect("add"));
        assert!(
            !add(&file, "maria", "un'altra password lunga", Scope::Served).expect("change"),
            "the same account"
        );
        assert!(add(&file, "luca.b", "password di luca", Scope::Ente("h501".into())).expect("add"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let users = Users::load(&file).expect("load");
        assert_eq!(users.names().collect::<Vec<_>>(), ["maria", "luca.b"]);
        assert!(users.verify("maria", "un'altra password lunga"));
        assert!(!users.verify("maria", "una password lunga"), "the old password no longer works");
        assert!(!users.verify("nessuno", "un'altra password lunga"));
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(text.contains("maria:$argon2id$") && !text.contains("password"), "{text}");
        assert_eq!(users.scope("luca.b"), Some(&Scope::Ente("h501".into())));
        assert!(text.lines().any(|l| l.starts_with("luca.b:$argon2id$") && l.ends_with(":h501")), "{text}");
        add(&file, "consorzio", "password del consorzio", Scope::Admin).expect("admin");
        let users = Users::load(&file).expect("load");
        assert_eq!(users.scope("consorzio"), Some(&Scope::Admin));
        assert_eq!(users.scope("maria"), Some(&Scope::Served));
        assert!(
            users.verify("consorzio", "password del consorzio"),
            "the ente does not get in the way of the hash"
        );
        assert!(remove(&file, "maria").expect("remove"));
        assert!(!remove(&file, "maria").expect("remove again"));
        assert!(!Users::load(&file).expect("load").verify("maria", "un'altra password lunga"));
    }

    #[test]
    fn bad_files_and_names_are_refused_with_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("utenti");
        assert!(
            add(&file, "maria rossi", "una password lunga", Scope::Served).is_err(),
            "a space in the name"
        );
        assert!(add(&file, "maria", "corta", Scope::Served).is_err(), "a short password");
        std::fs::write(&file, "# accounts\nmaria\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            let e = Users::load(&file).expect_err("group-readable").to_string();
            assert!(e.contains("chmod 600"), "{e}");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let e = Users::load(&file).expect_err("no hash").to_string();
        assert!(e.contains("utenti:2: not NAME:HASH"), "{e}");
        add(&file.with_file_name("ok"), "maria", "una password lunga", Scope::Served).expect("add");
        let good = std::fs::read_to_string(file.with_file_name("ok")).expect("read");
        let line = good.lines().find(|l| l.starts_with("maria:")).expect("line");
        std::fs::write(&file, format!("{line}:Comune X\n")).expect("write");
        let e = Users::load(&file).expect_err("bad ente").to_string();
        assert!(e.contains("utenti:1: the ente of maria"), "{e}");
    }
}
