//! `provenant ledger`: the audit ledger, an append-only transparency log of pipeline events.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use base64::Engine as _;
use clap::{Args, Subcommand};
use provenant_keys::cosign;
use provenant_ledger::entry::{EntryKeys, MAX_ENTRY_BYTES};
use provenant_ledger::{Hash, NoteVerifier};
use provenant_ledger_store::audit::{self, AuditFailure};
use provenant_ledger_store::redaction::redaction_statement;
use provenant_ledger_store::{LedgerStore, Location, Query};

use crate::args::{
    LedgerArg, NOTE_KEY_PEM_LABEL, NoteKeyArg, check_key_is_the_ledgers, load_note_key,
    note_key_password as password, sign_checkpoint,
};
use serde::Serialize;
use serde_json::json;
use zeroize::Zeroizing;

use crate::Outcome;
use crate::args::{GlobalArgs, OutputFormat};
use crate::output::{print_bytes, print_json, to_stdout};

/// Largest key or checkpoint file read.
const MAX_SMALL_FILE: u64 = 64 << 10;
/// Largest audit bundle read.
const MAX_BUNDLE: u64 = 4 << 30;

/// `provenant ledger`.
#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Create a ledger and its checkpoint note key pair (P.key, P.pub).
    #[command(
        after_help = "P.key is the note signer key in C2SP form (PRIVATE+KEY+name+hash+key), \
encrypted (scrypt + NaCl secretbox, cosign's parameters) when PROVENANT_PASSWORD or COSIGN_PASSWORD is set \
or a password is typed on the terminal; without a terminal and without those variables it is written \
unencrypted, readable by its owner only. P.pub is the verifier key (name+hash+key) auditors keep."
    )]
    Init(InitArgs),
    /// Append entries (in-toto statements or DSSE envelopes of one) in one batch, and sign a checkpoint.
    Append(AppendArgs),
    /// Sign and print a checkpoint of the ledger's current tree.
    Checkpoint(CheckpointArgs),
    /// Write an entry's bytes, exactly as appended, to stdout.
    Get(GetArgs),
    /// Print an inclusion proof (--index) or a consistency proof (--from, --to).
    Prove(ProveArgs),
    /// Find entries by subject digest, predicate type, commit, environment, run, actor or time.
    Query(QueryArgs),
    /// Recompute the tree, check every checkpoint handed out, and prove consistency with a saved one.
    Verify(VerifyArgs),
    /// Export every entry about an artefact with its inclusion proof, the checkpoint and the key.
    Export(ExportArgs),
    /// Verify an audit bundle offline.
    VerifyBundle(VerifyBundleArgs),
    /// Remove an entry's content by appending a redaction entry (its leaf hash and proofs remain).
    Redact(RedactArgs),
    /// Serve the ledger over HTTPS: the /v1 API (bearer tokens with roles), tlog-tiles, metrics.
    #[command(
        after_help = "Roles: writer appends (POST /v1/entries); auditor reads the /v1 API and /metrics; admin does both. \
/checkpoint, /tile/... and /healthz are public, as a static tile host would serve them. The tokens file is \
`tokens: [{name, role, sha256}]` with each token's SHA-256 in hexadecimal. Plain HTTP only without --tls-cert \
and on a loopback address."
    )]
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    #[command(flatten)]
    note_key: NoteKeyArg,
    /// The address to listen on, e.g. 0.0.0.0:8443 (plain HTTP only on loopback).
    #[arg(long, value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// TLS certificate chain (PEM).
    #[arg(long, value_name = "C", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "K", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The tokens file: `tokens: [{name, role, sha256}]`.
    #[arg(long, value_name = "FILE")]
    tokens: PathBuf,
    /// Largest request body in bytes (larger is 413).
    #[arg(long, value_name = "BYTES", default_value_t = provenant_ledger_server::DEFAULT_BODY_LIMIT)]
    max_body_bytes: usize,
    /// Seconds a request may take (longer is 503).
    #[arg(long, value_name = "SECONDS", default_value_t = provenant_ledger_server::DEFAULT_REQUEST_TIMEOUT.as_secs())]
    request_timeout: u64,
    /// Requests handled at once (more wait, within the request timeout).
    #[arg(long, value_name = "N", default_value_t = provenant_ledger_server::DEFAULT_CONCURRENCY)]
    max_concurrent: usize,
}

fn is_remote(arg: &LedgerArg) -> bool {
    arg.is_remote()
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    /// The log's origin (and its key's name), e.g. example.com/audit.
    #[arg(long, value_name = "NAME")]
    origin: String,
    /// Prefix of the key files written (P.key, P.pub).
    #[arg(long, value_name = "P")]
    output_key_prefix: PathBuf,
    /// Overwrite existing key files.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AppendArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    #[command(flatten)]
    note_key: NoteKeyArg,
    /// The entries, appended in this order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckpointArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    #[command(flatten)]
    note_key: NoteKeyArg,
}

#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    /// The entry's index.
    #[arg(long)]
    index: u64,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("proof").required(true).args(["index", "from"]))]
pub(crate) struct ProveArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    /// Inclusion proof of this entry.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    index: Option<u64>,
    /// The tree size the inclusion proof is for (default: the current size).
    #[arg(long, requires = "index")]
    size: Option<u64>,
    /// Consistency proof from this tree size.
    #[arg(long)]
    from: Option<u64>,
    /// Consistency proof to this tree size (default: the current size).
    #[arg(long, requires = "from")]
    to: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    /// A subject digest, algorithm:value (sha256:…).
    #[arg(long, value_name = "DIGEST")]
    subject: Option<String>,
    /// A predicate type URI.
    #[arg(long = "type", value_name = "URI")]
    predicate_type: Option<String>,
    /// A source commit.
    #[arg(long, value_name = "SHA")]
    commit: Option<String>,
    /// An environment.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// A pipeline run.
    #[arg(long, value_name = "ID")]
    run: Option<String>,
    /// An actor.
    #[arg(long, value_name = "ID")]
    actor: Option<String>,
    /// Entries integrated at or after this time (RFC 3339, or seconds since the epoch).
    #[arg(long, value_name = "TIME", value_parser = crate::args::parse_time)]
    since: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    /// The log's verifier key (P.pub), as the auditor keeps it.
    #[arg(long, value_name = "P.pub")]
    key: PathBuf,
    /// A signed checkpoint saved earlier: the log must be consistent with it.
    #[arg(long, value_name = "SAVED")]
    checkpoint: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    /// The artefact, algorithm:value (sha256:…).
    #[arg(long, value_name = "DIGEST")]
    subject: String,
    /// The audit bundle (a tar archive) to write.
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    output_file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyBundleArgs {
    /// The audit bundle.
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The log's verifier key (P.pub).
    #[arg(long, value_name = "P.pub")]
    key: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct RedactArgs {
    #[command(flatten)]
    ledger: LedgerArg,
    #[command(flatten)]
    note_key: NoteKeyArg,
    /// The entry whose content is removed.
    #[arg(long)]
    index: u64,
    /// Why (recorded in the redaction entry).
    #[arg(long)]
    reason: String,
}

pub(crate) fn run(global: &GlobalArgs, command: &LedgerCommand) -> anyhow::Result<Outcome> {
    match command {
        LedgerCommand::Init(a) => init(global, a),
        LedgerCommand::Append(a) => append(global, a),
        LedgerCommand::Checkpoint(a) => checkpoint(global, a),
        LedgerCommand::Get(a) => get(a),
        LedgerCommand::Prove(a) => prove(global, a),
        LedgerCommand::Query(a) => query(global, a),
        LedgerCommand::Verify(a) => verify(global, a),
        LedgerCommand::Export(a) => export(global, a),
        LedgerCommand::VerifyBundle(a) => verify_bundle(global, a),
        LedgerCommand::Redact(a) => redact(global, a),
        LedgerCommand::Serve(a) => serve(a),
    }
}

fn open(arg: &LedgerArg) -> anyhow::Result<Arc<dyn LedgerStore>> {
    arg.open()
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(super::read_bounded(path, MAX_SMALL_FILE, what)?);
    Ok(Zeroizing::new(String::from_utf8(bytes.to_vec()).with_context(
        || format!("{what} {} is not UTF-8 text", path.display()),
    )?))
}

fn load_verifier(path: &Path) -> anyhow::Result<NoteVerifier> {
    let text = read_text(path, "verifier key")?;
    NoteVerifier::from_text(&text).with_context(|| format!("cannot read the verifier key {}", path.display()))
}

fn init(global: &GlobalArgs, args: &InitArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        !is_remote(&args.ledger),
        "a remote ledger cannot be initialised over HTTP: initialise its store (sqlite:PATH or postgres://…) where it is served"
    );
    anyhow::ensure!(
        provenant_ledger::note::is_valid_name(&args.origin),
        "origin {:?} cannot name a note key: it must be non-empty, without spaces, plus signs or control characters",
        args.origin
    );
    let (key_path, pub_path) = crate::shared::key_pair_paths(&args.output_key_prefix, args.force)?;
    let store = open(&args.ledger)?;
    let signer = provenant_ledger_store::generate_note_key(&args.origin)?;
    let encrypted = if let Some(pw) = password(true)? {
        let pem = cosign::encrypt_secret(
            signer.to_text().as_bytes(),
            NOTE_KEY_PEM_LABEL,
            pw.as_bytes(),
            &cosign::KdfParams::COSIGN,
        )?;
        crate::shared::write_private(&key_path, pem.as_bytes())?;
        true
    } else {
        let mut text = Zeroizing::new(signer.to_text().as_bytes().to_vec());
        text.push(b'\n');
        crate::shared::write_private(&key_path, &text)?;
        false
    };
    crate::shared::write_atomic(&pub_path, format!("{}\n", signer.verifier_key()).as_bytes())?;
    store.init(&args.origin, signer.verifier_key())?;
    let note = sign_checkpoint(store.as_ref(), &signer)?;
    match global.output {
        OutputFormat::Json => print_json(&json!({
            "ledger": args.ledger.ledger.to_string(),
            "origin": args.origin,
            "privateKey": key_path.display().to_string(),
            "encrypted": encrypted,
            "publicKey": pub_path.display().to_string(),
            "verifierKey": signer.verifier_key(),
            "checkpoint": String::from_utf8_lossy(&note),
        }))?,
        OutputFormat::Text => print_bytes(
            format!(
                "Ledger {} initialised with origin {}\nNote key written to {}{}\nVerifier key written to {}: {}\n",
                args.ledger.ledger,
                args.origin,
                key_path.display(),
                if encrypted { " (encrypted)" } else { " (not encrypted: no password was given)" },
                pub_path.display(),
                signer.verifier_key()
            )
            .as_bytes(),
        )?,
    }
    Ok(Outcome::Success)
}

#[derive(Serialize)]
struct AppendedJson {
    index: u64,
    leaf_hash: String,
}

fn append(global: &GlobalArgs, args: &AppendArgs) -> anyhow::Result<Outcome> {
    // A server signs its own checkpoint after each append.
    let signer = if is_remote(&args.ledger) {
        None
    } else {
        Some(load_note_key(args.note_key.required()?)?)
    };
    let entries = args
        .files
        .iter()
        .map(|f| super::read_bounded(f, MAX_ENTRY_BYTES as u64, "entry"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let store = open(&args.ledger)?;
    if let Some(signer) = &signer {
        check_key_is_the_ledgers(store.as_ref(), signer)?;
    }
    let appended = store
        .append(&entries, crate::shared::now_unix()?)
        .map_err(|e| match &e {
            provenant_ledger_store::StoreError::BadEntry { position, .. } => {
                let file = args
                    .files
                    .get(*position)
                    .map(|f| f.display().to_string())
                    .unwrap_or_default();
                anyhow::Error::new(e).context(format!("{file} was refused"))
            }
            _ => anyhow::Error::new(e),
        })?;
    if let Some(signer) = &signer {
        sign_checkpoint(store.as_ref(), signer)?;
    }
    let out: Vec<AppendedJson> = appended
        .iter()
        .map(|a| AppendedJson {
            index: a.index,
            leaf_hash: a.leaf_hash.to_base64(),
        })
        .collect();
    match global.output {
        OutputFormat::Json => print_json(&out)?,
        OutputFormat::Text => to_stdout(|w| {
            for (a, f) in out.iter().zip(&args.files) {
                writeln!(w, "{} {} {}", a.index, a.leaf_hash, f.display())?;
            }
            Ok(())
        })?,
    }
    Ok(Outcome::Success)
}

fn checkpoint(global: &GlobalArgs, args: &CheckpointArgs) -> anyhow::Result<Outcome> {
    let note = if is_remote(&args.ledger) {
        // The server's latest signed checkpoint, as it hands it out.
        let store = open(&args.ledger)?;
        store
            .latest_checkpoint()?
            .context("the ledger server has no checkpoint")?
    } else {
        let signer = load_note_key(args.note_key.required()?)?;
        let store = open(&args.ledger)?;
        check_key_is_the_ledgers(store.as_ref(), &signer)?;
        sign_checkpoint(store.as_ref(), &signer)?
    };
    match global.output {
        OutputFormat::Json => print_json(&CheckpointReport::of(&note)?)?,
        OutputFormat::Text => print_bytes(&note)?,
    }
    Ok(Outcome::Success)
}

/// What `ledger checkpoint --output json` prints: the checkpoint's body, read from its note, and the note.
#[derive(Serialize)]
struct CheckpointReport<'a> {
    origin: String,
    size: u64,
    /// The root hash, base64 as the note writes it (`rootHash`, as `ledger prove` spells it).
    #[serde(rename = "rootHash")]
    root_hash: String,
    /// The whole signed note.
    note: &'a str,
}

impl CheckpointReport<'_> {
    /// Reads a signed note's text (up to the blank line before its signatures) as a C2SP checkpoint.
    /// The signatures are not checked here: `ledger verify` does that.
    fn of(note: &[u8]) -> anyhow::Result<CheckpointReport<'_>> {
        let cp = provenant_ledger::note::unverified_checkpoint(note)
            .context("the ledger's checkpoint note cannot be read")?;
        // A well-formed signed note is UTF-8 text: `unverified_checkpoint` has checked it.
        let text = std::str::from_utf8(note).context("the checkpoint note is not UTF-8 text")?;
        Ok(CheckpointReport {
            origin: cp.origin,
            size: cp.size,
            root_hash: base64::engine::general_purpose::STANDARD.encode(&cp.root_hash),
            note: text,
        })
    }
}

fn get(args: &GetArgs) -> anyhow::Result<Outcome> {
    let store = open(&args.ledger)?;
    let entry = store.entry(args.index)?;
    match entry.content {
        Some(c) => print_bytes(&c)?,
        None => anyhow::bail!(
            "entry {} was redacted by entry {}: only its leaf hash {} remains",
            args.index,
            entry.redacted_by.map_or_else(String::new, |b| b.to_string()),
            entry.leaf_hash
        ),
    }
    Ok(Outcome::Success)
}

fn b64(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(Hash::to_base64).collect()
}

fn prove(global: &GlobalArgs, args: &ProveArgs) -> anyhow::Result<Outcome> {
    let store = open(&args.ledger)?;
    let current = store.size()?;
    let (doc, hashes) = if let Some(index) = args.index {
        let size = args.size.unwrap_or(current);
        let hashes = store.prove_inclusion(index, size)?;
        let leaf = store.entry(index)?.leaf_hash;
        let root = store.root_at(size)?;
        (
            json!({"index": index, "treeSize": size, "leafHash": leaf.to_base64(), "rootHash": root.to_base64(), "hashes": b64(&hashes)}),
            hashes,
        )
    } else {
        let from = args.from.unwrap_or_default();
        let to = args.to.unwrap_or(current);
        let hashes = store.prove_consistency(from, to)?;
        (
            json!({"from": from, "to": to, "rootFrom": store.root_at(from)?.to_base64(), "rootTo": store.root_at(to)?.to_base64(), "hashes": b64(&hashes)}),
            hashes,
        )
    };
    match global.output {
        OutputFormat::Json => print_json(&doc)?,
        OutputFormat::Text => to_stdout(|w| {
            for h in b64(&hashes) {
                writeln!(w, "{h}")?;
            }
            Ok(())
        })?,
    }
    Ok(Outcome::Success)
}

fn query(global: &GlobalArgs, args: &QueryArgs) -> anyhow::Result<Outcome> {
    let store = open(&args.ledger)?;
    let q = Query {
        subject: args.subject.clone(),
        predicate_type: args.predicate_type.clone(),
        commit: args.commit.clone(),
        environment: args.env.clone(),
        pipeline_run: args.run.clone(),
        actor: args.actor.clone(),
        since: args.since,
        ..Query::default()
    };
    let mut out = Vec::new();
    for index in store.query(&q)? {
        let Some(content) = store.entry(index)?.content else {
            continue;
        };
        let keys =
            EntryKeys::from_entry(&content).with_context(|| format!("entry {index} is not a statement"))?;
        out.push(json!({"index": index, "predicateType": keys.predicate_type, "statement": keys.statement}));
    }
    match global.output {
        OutputFormat::Json => print_json(&out)?,
        OutputFormat::Text => to_stdout(|w| {
            for e in &out {
                writeln!(
                    w,
                    "{} {}",
                    e["index"],
                    e["predicateType"].as_str().unwrap_or_default()
                )?;
            }
            Ok(())
        })?,
    }
    Ok(Outcome::Success)
}

fn report_failure(global: &GlobalArgs, failure: &AuditFailure) -> anyhow::Result<Outcome> {
    match global.output {
        OutputFormat::Json => {
            print_json(&json!({"verified": false, "check": failure.check(), "error": failure.to_string()}))?;
        }
        OutputFormat::Text => print_bytes(format!("FAILED {failure}\n").as_bytes())?,
    }
    Ok(Outcome::Failure)
}

fn verify(global: &GlobalArgs, args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let key = load_verifier(&args.key)?;
    let saved = args
        .checkpoint
        .as_deref()
        .map(|p| super::read_bounded(p, MAX_SMALL_FILE, "checkpoint"))
        .transpose()?;
    let store = provenant_ledger_store::open_for_audit(&args.ledger.ledger, args.ledger.token()?)
        .with_context(|| format!("cannot open the ledger {}", args.ledger.ledger))?;
    match audit::verify_ledger(store.as_ref(), &key, saved.as_deref())? {
        Err(failure) => report_failure(global, &failure),
        Ok(report) => {
            match global.output {
                OutputFormat::Json => print_json(&json!({"verified": true, "ledger": report}))?,
                OutputFormat::Text => print_bytes(
                    format!(
                        "Verified {}: {} entries recomputed, root {}, {} signed checkpoints match (latest of {} entries), {} redacted{}\n",
                        report.origin,
                        report.size,
                        report.root,
                        report.checkpoints,
                        report.signed_size,
                        report.redacted,
                        report
                            .consistent_with_saved
                            .map_or_else(String::new, |s| format!(", consistent with the saved checkpoint of {s} entries"))
                    )
                    .as_bytes(),
                )?,
            }
            Ok(Outcome::Success)
        }
    }
}

fn export(global: &GlobalArgs, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let store = open(&args.ledger)?;
    let (bytes, summary) = audit::export_bundle(store.as_ref(), &args.subject)?;
    std::fs::write(&args.output_file, bytes)
        .with_context(|| format!("cannot write {}", args.output_file.display()))?;
    match global.output {
        OutputFormat::Json => print_json(&summary)?,
        OutputFormat::Text => print_bytes(
            format!(
                "Exported {} entries about {} (checkpoint of {} entries) to {}\n",
                summary.entries.len(),
                summary.subject,
                summary.tree_size,
                args.output_file.display()
            )
            .as_bytes(),
        )?,
    }
    Ok(Outcome::Success)
}

fn verify_bundle(global: &GlobalArgs, args: &VerifyBundleArgs) -> anyhow::Result<Outcome> {
    let key = load_verifier(&args.key)?;
    let bytes = super::read_bounded(&args.bundle, MAX_BUNDLE, "audit bundle")?;
    match audit::verify_bundle(&bytes, &key) {
        Err(failure) => report_failure(global, &failure),
        Ok(summary) => {
            match global.output {
                OutputFormat::Json => print_json(&json!({"verified": true, "bundle": summary}))?,
                OutputFormat::Text => print_bytes(
                    format!(
                        "Verified {} entries about {} in {} (checkpoint of {} entries)\n",
                        summary.entries.len(),
                        summary.subject,
                        summary.origin,
                        summary.tree_size
                    )
                    .as_bytes(),
                )?,
            }
            Ok(Outcome::Success)
        }
    }
}

fn redact(global: &GlobalArgs, args: &RedactArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        !is_remote(&args.ledger),
        "the ledger server does not redact over HTTP: redaction needs the note key and the store itself; run `provenant ledger redact` against the sqlite: or postgres:// ledger it serves"
    );
    let signer = load_note_key(args.note_key.required()?)?;
    let store = open(&args.ledger)?;
    check_key_is_the_ledgers(store.as_ref(), &signer)?;
    let leaf = store.entry(args.index)?.leaf_hash;
    let appended = store.redact(
        args.index,
        &redaction_statement(args.index, &leaf, &args.reason),
        crate::shared::now_unix()?,
    )?;
    sign_checkpoint(store.as_ref(), &signer)?;
    match global.output {
        OutputFormat::Json => print_json(
            &json!({"redacted": args.index, "index": appended.index, "leaf_hash": appended.leaf_hash.to_base64()}),
        )?,
        OutputFormat::Text => {
            print_bytes(format!("Entry {} redacted by entry {}\n", args.index, appended.index).as_bytes())?;
        }
    }
    Ok(Outcome::Success)
}

fn serve(args: &ServeArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        !matches!(args.ledger.ledger, Location::Remote(_)),
        "ledger serve serves a store (sqlite:PATH or postgres://…), not another server"
    );
    let signer = load_note_key(args.note_key.required()?)?;
    let tokens = provenant_ledger_server::Tokens::read(&args.tokens)?;
    let store = open(&args.ledger)?;
    let mut config = provenant_ledger_server::Config::new(args.listen);
    config.tls = args.tls_cert.clone().zip(args.tls_key.clone());
    config.body_limit = args.max_body_bytes;
    config.request_timeout = std::time::Duration::from_secs(args.request_timeout.max(1));
    config.concurrency = args.max_concurrent.max(1);
    provenant_ledger_server::Server::new(store, signer, tokens, config)?.serve()?;
    Ok(Outcome::Success)
}
