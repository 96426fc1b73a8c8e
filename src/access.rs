//! Plain-words messages for files this process may not read: who is running, the file's mode
//! and owner, and how to run the command instead. Shared by the configuration and the store.

use std::path::Path;

/// "permission denied for user maria (uid 1001) (PATH is mode 0640, owned by root): ..." with
/// the way out for IT (the service user) and for staff (urpmail-staff); the caller says which
/// file it was reading.
pub(crate) fn denied(path: &Path) -> String {
    format!(
        "permission denied for user {}{}: run the command as the service user (sudo -u urpmail urpmail ...); URP staff use urpmail-staff instead (docs/service.md, \"Who runs what\")",
        current_user(),
        describe_owner(path)
    )
}

/// The first folder on the way to `path` that cannot be entered, or `path` itself.
pub(crate) fn blocked_part(path: &Path) -> &Path {
    path.ancestors().skip(1).find(|d| std::fs::read_dir(d).is_err()).unwrap_or(path)
}

/// The user running this process, for messages about permissions ("urpmail (uid 998)").
fn current_user() -> String {
    // Linux: the real uid from /proc; its name from /etc/passwd.
    let uid = std::fs::read_to_string("/proc/self/status").ok().and_then(|st| {
        st.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|v| v.split_whitespace().next().map(str::to_string))
    });
    let Some(uid) = uid else { return "this user".into() };
    match user_name(&uid) {
        Some(n) => format!("{n} (uid {uid})"),
        None => format!("uid {uid}"),
    }
}

/// The login name of a numeric uid, from /etc/passwd.
fn user_name(uid: &str) -> Option<String> {
    std::fs::read_to_string("/etc/passwd").ok().and_then(|p| {
        p.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
        })
    })
}

/// " (PATH is mode 0600, owned by urpmail)" when the file's details can be read.
fn describe_owner(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = std::fs::metadata(path) {
            let uid = m.uid().to_string();
            let owner = user_name(&uid).unwrap_or_else(|| format!("uid {uid}"));
            return format!(" ({} is mode {:04o}, owned by {owner})", path.display(), m.mode() & 0o7777);
        }
    }
    let _ = path;
    String::new()
}
