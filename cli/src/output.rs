//! Rendering helpers shared by commands.

use std::io::Write;

/// Writes a JSON document and a newline to stdout.
///
/// Through a buffer: stdout is line-buffered, and a pretty-printed document of 100,000 findings would
/// otherwise cost one write per line.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    Ok(to_stdout(|w| write_json(w, value))?)
}

/// Writes raw bytes (paths are bytes on Unix) to stdout.
pub(crate) fn print_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// What an `init` command generated (a file's `text`), written to `out` (never over an existing file
/// without `force`) or to standard output, then reported: as JSON, `report` with `file` (`null` for
/// standard output, the text then in `content`); as text, the text itself, or `wrote PATH` and
/// `wrote_detail` after it.
pub(crate) fn emit_generated(
    output: crate::args::OutputFormat,
    out: Option<&std::path::Path>,
    force: bool,
    text: &str,
    mut report: serde_json::Map<String, serde_json::Value>,
    wrote_detail: &str,
) -> anyhow::Result<()> {
    use crate::args::OutputFormat;
    let Some(path) = out else {
        return match output {
            OutputFormat::Json => {
                report.insert("file".to_owned(), serde_json::Value::Null);
                report.insert("content".to_owned(), text.into());
                print_json(&report)
            }
            OutputFormat::Text => print_bytes(text.as_bytes()),
        };
    };
    anyhow::ensure!(
        force || !path.exists(),
        "{} exists: give --force to overwrite it",
        path.display()
    );
    crate::shared::write_atomic(path, text.as_bytes())?;
    match output {
        OutputFormat::Json => {
            report.insert("file".to_owned(), path.display().to_string().into());
            print_json(&report)
        }
        OutputFormat::Text => print_bytes(format!("wrote {}{wrote_detail}\n", path.display()).as_bytes()),
    }
}

/// A transparency-log entry, as reports show it.
#[derive(serde::Serialize)]
pub(crate) struct LogEntryReport {
    pub(crate) kind: String,
    pub(crate) log_index: u64,
    pub(crate) log_id: String,
}

impl From<&provenant_sigstore::LogEntry> for LogEntryReport {
    fn from(e: &provenant_sigstore::LogEntry) -> LogEntryReport {
        LogEntryReport {
            kind: e.kind.to_string(),
            log_index: e.log_index,
            log_id: e.log_id.clone(),
        }
    }
}

#[derive(serde::Serialize)]
struct KeylessSignReport {
    bundle: String,
    identity: String,
    issuer: String,
    log_entries: Vec<LogEntryReport>,
    rfc3161_timestamps: usize,
}

#[derive(serde::Serialize)]
struct KeyedSignReport {
    bundle: String,
    key_hint: String,
    key_kind: String,
    content: &'static str,
}

/// Writes a signed bundle to `out` (atomically) and reports on stdout what was signed, by whom.
pub(crate) fn print_signed(
    format: crate::args::OutputFormat,
    signed: &provenant_evidence::Signed,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use provenant_evidence::SignedBy;
    let bundle = &signed.bundle;
    crate::shared::write_atomic(out, &bundle.to_json_v0_3()?)?;
    let json = format == crate::args::OutputFormat::Json;
    match &signed.signer {
        SignedBy::Key { hint, kind } => {
            let report = KeyedSignReport {
                bundle: out.display().to_string(),
                key_hint: hint.clone(),
                key_kind: kind.clone(),
                content: if bundle.dsse_payload().is_some() {
                    "dsseEnvelope"
                } else {
                    "messageSignature"
                },
            };
            to_stdout(|w| {
                if json {
                    return write_json(w, &report);
                }
                writeln!(
                    w,
                    "Wrote {} ({}, signed with {} key {}; no transparency-log entry)",
                    report.bundle, report.content, report.key_kind, report.key_hint
                )
            })?;
        }
        SignedBy::Identity { identity, issuer } => {
            let report = KeylessSignReport {
                bundle: out.display().to_string(),
                identity: identity.clone(),
                issuer: issuer.clone(),
                log_entries: bundle.log_entries().iter().map(LogEntryReport::from).collect(),
                rfc3161_timestamps: bundle.rfc3161_timestamp_count(),
            };
            to_stdout(|w| {
                if json {
                    return write_json(w, &report);
                }
                writeln!(
                    w,
                    "Wrote {} (signed as {}, issuer {})",
                    report.bundle, report.identity, report.issuer
                )?;
                for e in &report.log_entries {
                    writeln!(
                        w,
                        "  log entry: {} index {} (log {})",
                        e.kind, e.log_index, e.log_id
                    )?;
                }
                Ok(())
            })?;
        }
        _ => anyhow::bail!("internal error: an unknown kind of signer"),
    }
    Ok(())
}

/// Writes a JSON document and a newline to `w`.
pub(crate) fn write_json<T: serde::Serialize>(w: &mut impl Write, value: &T) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, value)?;
    w.write_all(b"\n")
}

/// Standard output, locked and buffered, as commands render their reports into it.
pub(crate) type Stdout = std::io::BufWriter<std::io::StdoutLock<'static>>;

/// Runs `render` against standard output, locked and buffered, and flushes it: commands render into a
/// writer, one write per buffer rather than per line.
pub(crate) fn to_stdout(render: impl FnOnce(&mut Stdout) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    render(&mut out)?;
    out.flush()
}

/// The names of the checks skipped by request, as every verifying report lists them
/// (`"skipped": ["transparency-log"]`).
pub(crate) fn skipped_names(skipped: &[provenant_evidence::SkippedCheck]) -> Vec<&'static str> {
    skipped.iter().map(|c| c.name()).collect()
}

/// The text reports' note of each check skipped by request, one line each.
pub(crate) fn write_skipped(w: &mut impl Write, skipped: &[&str]) -> std::io::Result<()> {
    for check in skipped {
        writeln!(w, "  skipped: {check} (NOT checked, by request)")?;
    }
    Ok(())
}

/// Adds `"skipped": [...]` to a JSON report object when a check was skipped (absent otherwise, as in
/// every report).
pub(crate) fn with_skipped(mut report: serde_json::Value, skipped: &[&str]) -> serde_json::Value {
    if !skipped.is_empty()
        && let Some(object) = report.as_object_mut()
    {
        object.insert("skipped".to_owned(), serde_json::json!(skipped));
    }
    report
}
