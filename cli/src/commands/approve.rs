//! `provenant approve`: a signed approval of an image digest for an environment, appended to the ledger
//! and, with `--attach`, attached to the image as a referrer.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use base64::Engine as _;
use clap::Args;
use provenant_evidence::{Signer, SigningMethod};
use provenant_records::Record as _;
use provenant_records::approval::{Approval, ChangeRef};

use crate::Outcome;
use crate::args::{
    GlobalArgs, ImageByDigest, KeylessArgs, LedgerArg, OutputFormat, RegistryArgs, parse_image_by_digest,
};
use crate::output::{print_bytes, print_json};

/// `provenant approve`.
#[derive(Debug, Args)]
#[command(after_help = "The approval is an in-toto statement (predicate type \
https://provenant.dev/attestation/approval/v1) about the digest, signed into a sigstore bundle and appended \
to the ledger. It counts for a promotion only for that digest and that environment, when its signer holds \
ROLE in the roles file, once per identity, and (with separation of duties) when the signer is neither the \
commit's author or committer nor the signer of its build or packaging provenance.")]
pub(crate) struct ApproveArgs {
    /// The image approved, by digest (REGISTRY/REPO@sha256:HEX or oci:DIR@sha256:HEX).
    #[arg(value_name = "IMAGE@DIGEST", value_parser = parse_image_by_digest)]
    pub(crate) image: ImageByDigest,
    /// The environment approved for.
    #[arg(long = "env", value_name = "NAME")]
    pub(crate) environment: String,
    /// The role the approver signs as.
    #[arg(long, value_name = "ROLE")]
    pub(crate) role: String,
    /// Sign with this key instead of keylessly.
    #[arg(long, value_name = "K")]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,
    /// The change request this approval is for (its id in the change system).
    #[arg(long, value_name = "ID")]
    pub(crate) change: Option<String>,
    /// The digest of the generated change record approved (sha256:HEX).
    #[arg(long, value_name = "DIGEST")]
    pub(crate) change_digest: Option<String>,
    /// The approver's comment.
    #[arg(long, value_name = "TEXT")]
    pub(crate) comment: Option<String>,
    /// Also write the signed approval (sigstore bundle) here.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: Option<PathBuf>,
    /// Attach the signed approval to the image as a referrer.
    #[arg(long)]
    pub(crate) attach: bool,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
    #[command(flatten)]
    pub(crate) ledger: LedgerArg,
}

/// What `approve` reports.
#[derive(serde::Serialize)]
struct Approved<'a> {
    subject: String,
    environment: &'a str,
    role: &'a str,
    identity: &'a str,
    timestamp: &'a str,
    bundle_digest: String,
    ledger_index: u64,
    attached: bool,
}

pub(crate) fn run(global: &GlobalArgs, args: &ApproveArgs) -> anyhow::Result<Outcome> {
    let reference = &args.image.reference;
    let digest = args.image.digest;
    anyhow::ensure!(
        provenant_env::config::Name::parse(&args.environment).is_some(),
        "--env {}: an environment name is lower-case letters, digits and '-'",
        args.environment
    );
    let (signer, identity) = signer_and_identity(args)?;
    let now = crate::shared::now_unix_i64()?;
    let timestamp = jiff::Timestamp::from_second(now)
        .context("the time is out of range")?
        .to_string();
    let change = (args.change.is_some() || args.change_digest.is_some()).then(|| ChangeRef {
        id: args.change.clone(),
        digest: args.change_digest.clone(),
    });
    let approval = Approval {
        environment: args.environment.clone(),
        role: args.role.clone(),
        identity: identity.clone(),
        timestamp: timestamp.clone(),
        change,
        comment: args.comment.clone(),
    };
    approval.validate()?;
    let statement = approval.to_statement(&reference.to_string(), &digest);
    let signed_approval = signer
        .sign_statement(&statement.to_json())
        .context("cannot sign the approval")?;
    let bundle = signed_approval.bundle.to_json_v0_3()?;
    let bundle_digest = provenant_digest::Algorithm::Sha256.hash_bytes(&bundle);
    if let Some(out) = &args.bundle {
        crate::shared::write_atomic(out, &bundle)?;
    }
    let store = args.ledger.open()?;
    let appended = store
        .append(std::slice::from_ref(&bundle), u64::try_from(now).unwrap_or(0))
        .context("cannot append the approval to the ledger")?;
    let ledger_index = appended
        .first()
        .map(|a| a.index)
        .context("the ledger appended nothing")?;
    if args.attach {
        attach(args, reference, &digest, &bundle)?;
    }
    let report = Approved {
        subject: digest.to_string(),
        environment: &args.environment,
        role: &args.role,
        identity: &identity,
        timestamp: &timestamp,
        bundle_digest: bundle_digest.to_string(),
        ledger_index,
        attached: args.attach,
    };
    match global.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => print_bytes(
            format!(
                "approved {} for {} as {} by {} (ledger entry {}{})\n",
                report.subject,
                report.environment,
                report.role,
                report.identity,
                report.ledger_index,
                if args.attach { ", attached" } else { "" }
            )
            .as_bytes(),
        )?,
    }
    Ok(Outcome::Success)
}

/// The signer, and the identity the approval states: a key's fingerprint (`sha256:` of its public key's
/// DER), or the identity token's `email` (else `sub`) claim. What counts is the verified signer; the
/// stated identity is what a reader sees first.
fn signer_and_identity(args: &ApproveArgs) -> anyhow::Result<(Signer, String)> {
    if let Some(path) = &args.key {
        let key = provenant_evidence::load_signing_key(path, || {
            crate::shared::password(false).map_err(|e| format!("{e:#}"))
        })?;
        let der = key.public_key_der()?;
        let identity = provenant_digest::Algorithm::Sha256.hash_bytes(&der).to_string();
        return Ok((Signer::new(SigningMethod::Key(key)), identity));
    }
    let token = args.keyless.identity_token.as_deref().context(
        "keyless approval needs an identity token (--identity-token or SIGSTORE_ID_TOKEN), or give --key",
    )?;
    let token = match std::fs::metadata(token) {
        Ok(m) if m.is_file() => String::from_utf8(crate::shared::read_bounded(
            std::path::Path::new(token),
            65_536,
            "identity token",
        )?)
        .context("the identity token file is not text")?
        .trim()
        .to_owned(),
        _ => token.to_owned(),
    };
    let identity = token_identity(&token)
        .context("the identity token has no email or sub claim to name the approver")?;
    Ok((args.keyless.signer(None)?, identity))
}

/// The `email` (else `sub`) claim of a JWT's payload, unverified: Fulcio verifies the token and puts
/// the identity in the certificate, which is what approvals are checked against.
fn token_identity(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims
        .get("email")
        .or_else(|| claims.get("sub"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}

fn attach(
    args: &ApproveArgs,
    reference: &provenant_oci::Reference,
    digest: &provenant_digest::Digest,
    bundle: &[u8],
) -> anyhow::Result<()> {
    let client = args.registry.client(None)?;
    let store = provenant_registry::open_store(reference, &client, false)?;
    let manifest = store.get_manifest(&provenant_oci::ManifestRef::Digest(*digest))?;
    let annotations = BTreeMap::from([
        (
            "dev.sigstore.bundle.content".to_owned(),
            "dsse-envelope".to_owned(),
        ),
        (
            "dev.sigstore.bundle.predicateType".to_owned(),
            provenant_attest::predicate::PROVENANT_APPROVAL_V1.to_owned(),
        ),
    ]);
    provenant_evidence::attached::attach_document(
        store.as_ref(),
        &manifest,
        bundle,
        provenant_oci::media::SIGSTORE_BUNDLE_V03,
        "approval.sigstore.json",
        annotations,
    )?;
    Ok(())
}
