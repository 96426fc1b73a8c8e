//! The `urpmail` binary: parses arguments ([`cli`]), sets up logging, dispatches the validated
//! [`urpmail::commands::Command`] and maps errors to exit codes (0 ok, 1 failure while running,
//! 2 bad arguments or input files, 75 mail server unavailable). The only place that prints errors.

#![allow(clippy::print_stderr, clippy::print_stdout)]

mod cli;

// Tokenising allocates many short strings; mimalloc is markedly faster than glibc malloc here.
// Built with `no_thp`: mimalloc does not ask for transparent huge pages, which on kernels with
// THP in `madvise` mode cost synchronous compaction stalls (0.1 s on some runs) and ~35 MB of
// extra resident memory for the same speed (bench/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{self, BufWriter, StdoutLock, Write};
use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, LogFormat};

fn main() -> ExitCode {
    // `status --check` follows the monitoring-plugin convention in every case: a wrong option or
    // a configuration that cannot be read is UNKNOWN (exit 3, one line on stdout), not exit 2,
    // which a monitoring system would read as CRITICAL.
    let check = is_status_check(std::env::args_os());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if check && e.use_stderr() => {
            let first = e.to_string().lines().next().unwrap_or("").trim_start_matches("error: ").to_string();
            println!("URPMAIL UNKNOWN - {first} (urpmail status --check --help)");
            return ExitCode::from(3);
        }
        Err(e) => e.exit(),
    };
    init_logging(&cli);
    let mut out = Stdout { inner: BufWriter::new(io::stdout().lock()), closed: false };
    let result = cli.into_command().and_then(|command| command.run(&mut out, &mut io::stderr()));
    let result = result.and_then(|status| {
        out.flush()
            .map(|()| status)
            .map_err(|e| urpmail::commands::Error::Io { context: "writing output".into(), source: e })
    });
    match result {
        Ok(status) => ExitCode::from(status),
        // The reader of our stdout closed it (`urpmail classify DIR | head -1`): it has what it
        // wanted, so this is a normal end, as in ripgrep, not an error to report.
        Err(_) if out.closed => ExitCode::SUCCESS,
        Err(e) if check => {
            println!("URPMAIL UNKNOWN - {}", message(&e));
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("urpmail: error: {}", message(&e));
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}

/// Whether the command line asks for `status --check` (before it is parsed, so that a wrong
/// option of the check is answered in the check's convention).
fn is_status_check(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<std::ffi::OsString> = args.skip(1).collect();
    args.iter().any(|a| a == "status") && args.iter().any(|a| a == "--check")
}

/// The error and its causes, each cause added only when the text so far does not already say it
/// (most command errors embed their source).
fn message(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

/// Buffered stdout that remembers whether its reader went away (a `BrokenPipe` write).
struct Stdout {
    inner: BufWriter<StdoutLock<'static>>,
    closed: bool,
}

impl Stdout {
    fn seen<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r {
            self.closed |= e.kind() == io::ErrorKind::BrokenPipe;
        }
        r
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        self.seen(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.inner.flush();
        self.seen(r)
    }
}

fn init_logging(cli: &Cli) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let default = if cli.quiet {
        "error"
    } else {
        match cli.verbose {
            0 => "warn,urpmail=info",
            1 => "info",
            _ => "debug",
        }
    };
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // The PostgreSQL client logs statements with their parameter values at debug level: the
    // values are decisions and explanations drawn from citizens' mail, which are never logged,
    // whatever RUST_LOG asks.
    for quiet in ["tokio_postgres=info", "postgres=info"] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_target(false)
        .with_ansi(io::stderr().is_terminal());
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.compact().init(),
    }
}
