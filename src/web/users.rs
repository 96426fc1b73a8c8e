//! The staff accounts of the web page: a text file of `name:hash` lines (argon2id PHC strings),
//! mode 0600, written only by `urpmail users add` and `users remove` (atomically) and read by
//! `serve` at each login, so an account added or removed counts at once.

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

/// The accounts of a users file.
#[derive(Debug, Clone, Default)]
pub struct Users {
    entries: Vec<(String, String)>,
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
        let mut entries: Vec<(String, String)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, hash)) = line.split_once(':') else {
                return Err(bad(
                    Some(i + 1),
                    "not NAME:HASH (write accounts with `urpmail users add`)".into(),
                ));
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
            if entries.iter().any(|(n, _)| n == name) {
                return Err(bad(Some(i + 1), format!("{name} appears twice")));
            }
            entries.push((name.to_string(), hash.to_string()));
        }
        Ok(Users { entries })
    }

    /// Whether `password` is `name`'s. Slow on purpose (argon2id), and as slow for a name that
    /// does not exist.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let found = self.entries.iter().find(|(n, _)| n == name).map(|(_, h)| h.as_str());
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
        self.entries.iter().map(|(n, _)| n.as_str())
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
pub fn add(path: &Path, name: &str, password: &str) -> Result<bool, Error> {
    check_name(name).map_err(Error::Input)?;
    if password.chars().count() < 10 {
        return Err(Error::Input("the password must be at least 10 characters long".into()));
    }
    let mut users = if path.exists() { Users::load(path)? } else { Users::default() };
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| Error::Input(format!("cannot hash the password: {e}")))?
        .to_string();
    let new = match users.entries.iter_mut().find(|(n, _)| n == name) {
        Some(entry) => {
            entry.1 = hash;
            false
        }
        None => {
            users.entries.push((name.to_string(), hash));
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
    users.entries.retain(|(n, _)| n != name);
    if users.entries.len() == before {
        return Ok(false);
    }
    write(path, &users)?;
    Ok(true)
}

fn write(path: &Path, users: &Users) -> Result<(), Error> {
    let mut text =
        String::from("# urpmail web accounts: NAME:argon2id hash. Edit with `urpmail users add|remove`.\n");
    for (n, h) in &users.entries {
        text.push_str(&format!("{n}:{h}\n"));
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
        assert!(add(&file, "maria", "una password lunga").expect("add"));
        assert!(!add(&file, "maria", "un'altra password lunga").expect("change"), "the same account");
        assert!(add(&file, "luca.b", "password di luca").expect("add"));
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
        assert!(remove(&file, "maria").expect("remove"));
        assert!(!remove(&file, "maria").expect("remove again"));
        assert!(!Users::load(&file).expect("load").verify("maria", "un'altra password lunga"));
    }

    #[test]
    fn bad_files_and_names_are_refused_with_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("utenti");
        assert!(add(&file, "maria rossi", "una password lunga").is_err(), "a space in the name");
        assert!(add(&file, "maria", "corta").is_err(), "a short password");
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
    }
}
