//! `provenant attest`: a DSSE-signed in-toto Statement v1 about the given subjects, keyed or keyless.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use provenant_attest::{ResourceDescriptor, Statement};
use provenant_digest::{Algorithm, Digest, NoProgress};

use crate::Outcome;
use crate::args::{GlobalArgs, KeylessArgs};
use crate::output;
use crate::shared::write_atomic;

/// Largest predicate file read.
const MAX_PREDICATE: u64 = 64 << 20;

/// `provenant attest`.
#[derive(Debug, Args)]
#[command(
    after_help = "Each SUBJECT is a file (named by its path, digested with SHA-256) or \
NAME@sha256:HEX. With --key the bundle is signed by that key and carries no log entry; without it the \
statement is signed keylessly (Fulcio, Rekor, optional timestamp)."
)]
pub(crate) struct AttestArgs {
    /// Files, or NAME@sha256:HEX, that the statement is about.
    #[arg(required = true, value_name = "SUBJECT")]
    pub(crate) subjects: Vec<String>,
    /// The predicate (a JSON document).
    #[arg(long, value_name = "FILE")]
    pub(crate) predicate: PathBuf,
    /// The predicate type URI.
    #[arg(long = "type", value_name = "URI")]
    pub(crate) predicate_type: String,
    /// Sign with this key (cosign's encrypted format or PKCS#8/SEC1 PEM) instead of keylessly.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<PathBuf>,
    /// Also write the unsigned statement here.
    #[arg(long, value_name = "FILE")]
    pub(crate) statement: Option<PathBuf>,
    /// Where to write the bundle.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: PathBuf,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
}

fn subject(spec: &str) -> anyhow::Result<ResourceDescriptor> {
    if let Some((name, digest)) = spec.rsplit_once('@')
        && !Path::new(spec).exists()
    {
        let digest: Digest = digest
            .parse()
            .with_context(|| format!("subject {spec:?}: bad digest"))?;
        return Ok(ResourceDescriptor::for_digest(name, &digest));
    }
    let digest = Algorithm::Sha256
        .hash_file(Path::new(spec), &NoProgress)
        .with_context(|| format!("subject {spec:?}"))?;
    Ok(ResourceDescriptor::for_digest(spec, &digest))
}

/// Builds the statement the command signs.
pub(crate) fn build_statement(args: &AttestArgs) -> anyhow::Result<Statement> {
    use std::io::Read as _;
    let mut text = Vec::new();
    std::fs::File::open(&args.predicate)
        .with_context(|| format!("cannot open predicate {}", args.predicate.display()))?
        .take(MAX_PREDICATE + 1)
        .read_to_end(&mut text)?;
    anyhow::ensure!(
        text.len() as u64 <= MAX_PREDICATE,
        "predicate is larger than {MAX_PREDICATE} bytes"
    );
    let predicate: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("predicate {} is not JSON", args.predicate.display()))?;
    let subjects = args
        .subjects
        .iter()
        .map(|s| subject(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let statement = Statement::new(subjects, args.predicate_type.clone(), predicate);
    statement.validate()?;
    Ok(statement)
}

pub(crate) fn run(global: &GlobalArgs, args: &AttestArgs) -> anyhow::Result<Outcome> {
    let statement = build_statement(args)?;
    let bytes = statement.to_json();
    if let Some(path) = &args.statement {
        write_atomic(path, &bytes)?;
    }
    let signed = args.keyless.signer(args.key.as_deref())?.sign_statement(&bytes)?;
    output::print_signed(global.output, &signed, &args.bundle)?;
    Ok(Outcome::Success)
}
