//! The walk: [`verify`] from an image or artifact manifest through its packaging provenance to each
//! packaged file, the file's build provenance and the source commit it records, with the SBOMs,
//! reproducibility attestations and signatures attached along the way; each step builds an [`Edge`]
//! of the lineage.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use provenant_digest::{Algorithm, Digest};
use provenant_evidence::TrustPolicy;
use provenant_oci::{Manifest, ManifestRef};
use provenant_registry::Store;
use provenant_sigstore::{Artifact, Bundle, Verified};
use provenant_slsa::policy;
use provenant_slsa::{Provenance, ResourceDescriptor};
use serde_json::Value;

use crate::evidence::{self, Document, Evidence};
use crate::model::{Edge, EdgeKind, Expectations, LineageError, Rejection, Report, Trust, Verdict};
use crate::reason::{Holder, Reason, Rejected};
use provenant_image::rootfs::{self, Filesystem, Node};

/// The DSSE payload type of in-toto statements.
use provenant_attest::IN_TOTO_PAYLOAD_TYPE;

/// The predicate type of Provenant's reproducibility attestations.
use provenant_attest::predicate::PROVENANT_REPRODUCIBILITY_V1 as REPRODUCIBILITY_PREDICATE;

/// Most packaged files listed by name in one "not recorded" edge.
const MAX_LISTED: usize = 10;

/// What a verified provenance established.
struct Accepted {
    provenance: Provenance,
    signer: String,
}

fn describe_signer(verified: &Verified, bundle: &Bundle) -> String {
    match (&verified.identity, &verified.issuer) {
        (Some(id), Some(iss)) => format!("{id} ({iss})"),
        (Some(id), None) => id.clone(),
        _ => bundle
            .public_key_hint()
            .map_or_else(|| "the trusted key".to_owned(), |h| format!("key {}…", short(h))),
    }
}

/// Verifies a provenance bundle for `subject` under `signer`: signature, statement, predicate.
fn accept_provenance(signer: &TrustPolicy, bundle: &Bundle, subject: &Digest) -> Result<Accepted, Rejection> {
    signer.evidence_present(bundle)?;
    let outcome = signer
        .verifier()
        .verify(Artifact::Digest(*subject), bundle, signer.signer_policy())
        .map_err(|source| match bundle.public_key_hint() {
            Some(hint) => Rejection::UntrustedKey {
                hint: short(hint).to_owned(),
                source,
            },
            None => Rejection::Signature(source),
        })?;
    let Some((payload_type, payload)) = &outcome.dsse else {
        return Err(Rejection::NoStatement);
    };
    if payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(Rejection::PayloadType {
            found: payload_type.chars().take(200).collect(),
        });
    }
    let (statement, _) = provenant_provenance::parse_statement(payload).map_err(Rejection::Statement)?;
    let predicate_type = statement
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let provenance = Provenance::parse(predicate_type, statement.get("predicate").unwrap_or(&Value::Null))
        .map_err(Rejection::Predicate)?;
    Ok(Accepted {
        provenance,
        signer: describe_signer(&outcome, bundle),
    })
}

fn is_provenance(e: &Evidence) -> Option<(&Bundle, &evidence::Claim)> {
    match &e.document {
        Document::Bundle {
            bundle,
            claim: Some(claim),
        } if provenant_slsa::PROVENANCE_PREDICATE_TYPES.contains(&claim.predicate_type.as_str()) => {
            Some((bundle, claim))
        }
        _ => None,
    }
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}

/// A layer of an OCI artifact: its title (`org.opencontainers.image.title`) and digest. The manifest is
/// fetched by its verified digest, so each layer's digest is pinned without reading the blob.
#[derive(Debug)]
struct ArtifactLayer {
    title: Option<String>,
    digest: Digest,
}

/// What the packaged files are found in: an image's final filesystem, or an artifact's layers.
#[derive(Debug)]
enum Contents {
    /// An image's filesystem; `None` when its layers could not be read.
    Image(Option<Filesystem>),
    /// An artifact's layers, in manifest order.
    Artifact(Vec<ArtifactLayer>),
}

impl Contents {
    fn holder(&self) -> Holder {
        match self {
            Contents::Image(_) => Holder::Image,
            Contents::Artifact(_) => Holder::Artifact,
        }
    }

    /// The build type packaging provenance of this kind of manifest must have (never the other's).
    fn build_type(&self) -> &'static str {
        match self {
            Contents::Image(_) => provenant_slsa::IMAGE_BUILD_TYPE,
            Contents::Artifact(_) => provenant_slsa::ARTIFACT_BUILD_TYPE,
        }
    }

    /// Whether the packaged file `name` with `digest` is there; `Ok` carries what the edge shows.
    fn find(&self, name: &str, digest: &Digest) -> Result<String, Reason> {
        let holder = self.holder();
        match self {
            Contents::Image(None) => {
                Ok("not checked against the image: its layers could not be read".to_owned())
            }
            Contents::Image(Some(fs)) => match fs.entries.get(name).map(|p| (&p.node, p.layer)) {
                Some((
                    Node::File {
                        digest: Some(actual),
                        size,
                    },
                    layer,
                )) if actual == digest => {
                    let layer_digest = fs.layers.get(layer).map(ToString::to_string).unwrap_or_default();
                    Ok(format!("in layer {layer} ({layer_digest}), {size} bytes"))
                }
                Some((
                    Node::File {
                        digest: Some(actual), ..
                    },
                    _,
                )) => Err(Reason::FileDigestMismatch {
                    holder,
                    path: name.to_owned(),
                    actual: *actual,
                    recorded: *digest,
                }),
                // Lineage reads the layers with file digests, so a file without one is never seen here.
                Some((Node::File { digest: None, .. }, _)) => Err(Reason::FileReadWithoutDigest {
                    path: name.to_owned(),
                }),
                Some(_) => Err(Reason::NotRegularFile {
                    path: name.to_owned(),
                }),
                None => Err(Reason::FileMissing {
                    holder,
                    path: name.to_owned(),
                }),
            },
            Contents::Artifact(layers) => {
                let titled: Vec<(usize, &ArtifactLayer)> = layers
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.title.as_deref() == Some(name))
                    .collect();
                // Every layer of that title must be the recorded file: a second one with other bytes is
                // not hidden behind the first.
                if let Some((_, other)) = titled.iter().find(|(_, l)| l.digest != *digest) {
                    return Err(Reason::FileDigestMismatch {
                        holder,
                        path: name.to_owned(),
                        actual: other.digest,
                        recorded: *digest,
                    });
                }
                match titled.first() {
                    Some((index, _)) => Ok(format!("layer {index}, pinned by the manifest digest")),
                    None => Err(Reason::FileMissing {
                        holder,
                        path: name.to_owned(),
                    }),
                }
            }
        }
    }

    /// What the packaging provenance does not record: an image's files by path, an artifact's layers by
    /// title (an untitled layer by its index and digest).
    fn unrecorded(&self, recorded: &BTreeSet<&str>) -> Vec<String> {
        match self {
            Contents::Image(None) => Vec::new(),
            Contents::Image(Some(fs)) => fs
                .files()
                .map(|(p, _, _)| p)
                .filter(|p| !recorded.contains(p))
                .map(ToOwned::to_owned)
                .collect(),
            Contents::Artifact(layers) => layers
                .iter()
                .enumerate()
                .filter_map(|(i, l)| match &l.title {
                    Some(t) if recorded.contains(t.as_str()) => None,
                    Some(t) => Some(t.clone()),
                    None => Some(format!("untitled layer {i} ({})", l.digest)),
                })
                .collect(),
        }
    }
}

/// Verifies the lineage of the image or OCI artifact `digest` in `store`; `progress` hears of the layer
/// bytes read (an artifact's layers are not read: the manifest digest pins them).
pub fn verify(
    store: &dyn Store,
    digest: &Digest,
    trust: &Trust<'_>,
    expectations: &Expectations,
    progress: &dyn provenant_digest::Progress,
) -> Result<Report, LineageError> {
    let fetched = store.get_manifest(&ManifestRef::Digest(*digest))?;
    let Manifest::Image(manifest) = &fetched.manifest else {
        return Err(LineageError::NotAnImage {
            digest: *digest,
            kind: "an index",
        });
    };
    let evidence = evidence::collect(store, digest)?;
    let mut root = Edge::new(EdgeKind::Image, format!("{}@{digest}", store.location()));
    let contents = if let Some(artifact_type) = &manifest.artifact_type {
        root = root.holds(format!(
            "artifact of type {artifact_type}, {} layer(s), {} referrer(s)",
            manifest.layers.len(),
            evidence.len()
        ));
        let layers: Vec<ArtifactLayer> = manifest
            .layers
            .iter()
            .map(|l| ArtifactLayer {
                title: l
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(provenant_oci::manifest::ANNOTATION_TITLE))
                    .cloned(),
                digest: l.digest,
            })
            .collect();
        root.push(Edge::new(EdgeKind::Layers, "").holds(format!(
            "{} artifact layer(s), pinned by the manifest digest",
            layers.len()
        )));
        Contents::Artifact(layers)
    } else {
        root = root.holds(format!(
            "{} layer(s), {} referrer(s)",
            manifest.layers.len(),
            evidence.len()
        ));
        match rootfs::read(store, manifest, &rootfs::KeepNothing, progress) {
            Ok(fs) => {
                root.push(Edge::new(EdgeKind::Layers, "").holds(format!(
                    "{} layer(s) verified against their digests and diff ids, {} file(s)",
                    fs.layers.len(),
                    fs.files().count()
                )));
                Contents::Image(Some(fs))
            }
            Err(e) => {
                root.push(
                    Edge::new(EdgeKind::Layers, "").broken(Reason::LayersUnreadable { error: e.to_string() }),
                );
                Contents::Image(None)
            }
        }
    };
    root.push(packaging_edge(digest, &evidence, &contents, trust, expectations));
    for edge in sbom_edges(digest, &evidence, expectations) {
        root.push(edge);
    }
    for edge in signature_edges(digest, &evidence, trust) {
        root.push(edge);
    }
    let verified = root.broken_edges().is_empty();
    let mut skipped = trust.packager.skipped();
    skipped.extend(trust.builder.skipped());
    skipped.sort_unstable();
    skipped.dedup();
    Ok(Report {
        verified,
        digest: *digest,
        lineage: root,
        skipped,
    })
}

fn packaging_edge(
    image: &Digest,
    evidence: &[Evidence],
    contents: &Contents,
    trust: &Trust<'_>,
    expectations: &Expectations,
) -> Edge {
    let edge = Edge::new(EdgeKind::PackagingProvenance, "");
    let candidates: Vec<(&Evidence, &Bundle)> = evidence
        .iter()
        .filter_map(|e| is_provenance(e).map(|(b, c)| (e, b, c)))
        .filter(|(_, _, c)| c.subjects.contains(image))
        .map(|(e, b, _)| (e, b))
        .collect();
    if candidates.is_empty() {
        return edge.broken(Reason::NoPackagingProvenance { image: *image });
    }
    let mut reasons = Vec::new();
    for (ev, bundle) in candidates {
        let accepted = match accept_provenance(trust.packager, bundle, image) {
            Ok(a) => a,
            Err(reason) => {
                reasons.push(Rejected {
                    evidence: ev.digest().to_string(),
                    why: reason.to_string(),
                });
                continue;
            }
        };
        if accepted.provenance.build_type() != contents.build_type() {
            reasons.push(Rejected {
                evidence: ev.digest().to_string(),
                why: format!(
                    "build type {} is not {}",
                    accepted.provenance.build_type(),
                    contents.build_type()
                ),
            });
            continue;
        }
        let Provenance::V1(v1) = &accepted.provenance else {
            reasons.push(Rejected {
                evidence: ev.digest().to_string(),
                why: "not SLSA provenance v1".to_owned(),
            });
            continue;
        };
        let files = &v1.build_definition.resolved_dependencies;
        // A build provenance usually covers many packaged files: each is verified once.
        let builds = RefCell::new(BTreeMap::new());
        let mut edge = edge
            .with_evidence(ev.digest())
            .signed_by(accepted.signer.clone())
            .holds(format!(
                "signed by {}, builder {}, {} packaged file(s)",
                accepted.signer,
                accepted.provenance.builder_id(),
                files.len()
            ));
        for file in files {
            edge.push(file_edge(file, evidence, contents, trust, expectations, &builds));
        }
        let recorded: BTreeSet<&str> = files.iter().filter_map(|f| f.name.as_deref()).collect();
        let unrecorded = contents.unrecorded(&recorded);
        if !unrecorded.is_empty() {
            let count = unrecorded.len();
            let more = count.saturating_sub(MAX_LISTED);
            let listed = unrecorded.into_iter().take(MAX_LISTED).collect::<Vec<_>>();
            edge.push(
                Edge::new(EdgeKind::File, format!("{count} unrecorded file(s)")).broken(
                    Reason::UnrecordedFiles {
                        holder: contents.holder(),
                        listed,
                        more,
                    },
                ),
            );
        }
        return edge;
    }
    edge.broken(Reason::PackagingRejected {
        image: *image,
        candidates: reasons,
    })
}

fn sha256_of(d: &ResourceDescriptor) -> Option<Digest> {
    d.digest
        .get("sha256")
        .and_then(|h| Digest::from_hex(Algorithm::Sha256, h).ok())
}

/// The outcome of each build provenance already checked, by referrer digest.
type BuildCache = RefCell<BTreeMap<Digest, (Stage, Edge)>>;

fn file_edge(
    file: &ResourceDescriptor,
    evidence: &[Evidence],
    contents: &Contents,
    trust: &Trust<'_>,
    expectations: &Expectations,
    builds: &BuildCache,
) -> Edge {
    let name = file.name.clone().unwrap_or_default();
    let Some(digest) = sha256_of(file) else {
        return Edge::new(EdgeKind::File, name).broken(Reason::FileWithoutDigest);
    };
    let edge = Edge::new(EdgeKind::File, format!("{name} {digest}"));
    let mut edge = match (contents.find(&name, &digest), contents) {
        (Err(reason), _) => return edge.broken(reason),
        (Ok(note), Contents::Image(None)) => edge.shown(note),
        (Ok(detail), _) => edge.holds(detail),
    };
    edge.push(build_edge(&name, &digest, evidence, trust, expectations, builds));
    for repro in repro_edges(&digest, evidence, trust) {
        edge.push(repro);
    }
    edge
}

/// How far a candidate build provenance got: higher is further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Signature,
    Builder,
    Source,
    Passed,
}

fn build_edge(
    name: &str,
    digest: &Digest,
    evidence: &[Evidence],
    trust: &Trust<'_>,
    expectations: &Expectations,
    builds: &BuildCache,
) -> Edge {
    let edge = Edge::new(EdgeKind::BuildProvenance, "");
    let candidates: Vec<(&Evidence, &Bundle)> = evidence
        .iter()
        .filter_map(|e| is_provenance(e).map(|(b, c)| (e, b, c)))
        .filter(|(_, _, c)| {
            c.subjects.contains(digest)
                && !matches!(
                    c.build_type.as_deref(),
                    Some(provenant_slsa::IMAGE_BUILD_TYPE | provenant_slsa::ARTIFACT_BUILD_TYPE)
                )
        })
        .map(|(e, b, _)| (e, b))
        .collect();
    // The signature covers the whole statement, so verifying it for one subject verifies it for all: the
    // file's digest is among the subjects of exactly the payload that is verified.
    if candidates.is_empty() {
        if expectations
            .allow_unattested
            .as_ref()
            .is_some_and(|g| g.is_match(name))
        {
            return edge.shown(format!(
                "no build provenance has subject {digest}; {name} is allowed without one"
            ));
        }
        return edge.broken(Reason::NoBuildProvenance {
            digest: *digest,
            path: name.to_owned(),
        });
    }
    let mut best: Option<(Stage, Edge)> = None;
    for (ev, bundle) in candidates {
        let cached = builds.borrow().get(&ev.digest()).cloned();
        let (stage, result) = cached.unwrap_or_else(|| {
            let outcome = one_build(ev, bundle, digest, trust, expectations);
            builds.borrow_mut().insert(ev.digest(), outcome.clone());
            outcome
        });
        if stage == Stage::Passed {
            return result;
        }
        if best.as_ref().is_none_or(|(s, _)| stage > *s) {
            best = Some((stage, result));
        }
    }
    best.map_or(edge, |(_, e)| e)
}

fn one_build(
    ev: &Evidence,
    bundle: &Bundle,
    digest: &Digest,
    trust: &Trust<'_>,
    expectations: &Expectations,
) -> (Stage, Edge) {
    let edge = Edge::new(EdgeKind::BuildProvenance, "").with_evidence(ev.digest());
    let accepted = match accept_provenance(trust.builder, bundle, digest) {
        Ok(a) => a,
        Err(reason) => {
            return (
                Stage::Signature,
                edge.broken(Reason::UntrustedBuild {
                    evidence: ev.digest(),
                    why: reason.to_string(),
                }),
            );
        }
    };
    let builder = accepted.provenance.builder_id().to_owned();
    if !expectations.builder_ids.is_empty() {
        let trusted = expectations
            .builder_ids
            .iter()
            .any(|b| policy::check_builder_id(&accepted.provenance, b).is_ok());
        if !trusted {
            let list: Vec<String> = expectations.builder_ids.iter().map(ToString::to_string).collect();
            return (
                Stage::Builder,
                edge.broken(Reason::UntrustedBuilderId {
                    signer: accepted.signer,
                    builder,
                    trusted: list,
                }),
            );
        }
    }
    let mut edge = edge
        .signed_by(accepted.signer.clone())
        .holds(format!("signed by {}, builder {builder}", accepted.signer));
    let source = source_edge(&accepted.provenance, expectations);
    let stage = if source.verdict == Verdict::Broken {
        Stage::Source
    } else {
        Stage::Passed
    };
    edge.push(source);
    (stage, edge)
}

/// The source commit and repository a provenance records: the resolved dependency with a `gitCommit`.
fn recorded_source(provenance: &Provenance) -> Option<(String, String)> {
    match provenance {
        Provenance::V1(p) => p.build_definition.resolved_dependencies.iter().find_map(|d| {
            let commit = d.digest.get("gitCommit").or_else(|| d.digest.get("sha1"))?;
            Some((d.uri.clone().unwrap_or_default(), commit.to_owned()))
        }),
        Provenance::V02(p) => p.materials.iter().find_map(|m| {
            let commit = m.digest.get("sha1").or_else(|| m.digest.get("gitCommit"))?;
            Some((m.uri.clone().unwrap_or_default(), commit.to_owned()))
        }),
        _ => None,
    }
}

fn source_edge(provenance: &Provenance, expectations: &Expectations) -> Edge {
    let Some((uri, commit)) = recorded_source(provenance) else {
        return Edge::new(EdgeKind::Source, "source").broken(Reason::NoSourceCommit);
    };
    let edge = Edge::new(EdgeKind::Source, format!("{uri} @ {commit}"));
    if let Some(expected) = &expectations.source
        && let Err(e) = policy::check_source(provenance, expected)
    {
        return edge.broken(Reason::SourcePolicy { error: e.to_string() });
    }
    if let Some(expected) = &expectations.commit {
        let expected = expected.to_ascii_lowercase();
        let matches = if expected.len() >= 7 && expected.len() < commit.len() {
            commit.starts_with(&expected)
        } else {
            commit == expected
        };
        if !matches {
            return edge.broken(Reason::WrongCommit {
                recorded: short(&commit).to_owned(),
                expected,
            });
        }
    }
    let mut notes = Vec::new();
    if expectations.commit.is_some() {
        notes.push("the expected commit".to_owned());
    }
    if let Some(branch) = &expectations.branch
        && expectations.repo.is_none()
    {
        if let Err(e) = policy::check_branch(provenance, branch) {
            return edge.broken(Reason::SourcePolicy { error: e.to_string() });
        }
        notes.push(format!("built for branch {branch}"));
    }
    if let Some(repo) = &expectations.repo {
        use provenant_build::git::Reachability;
        let branch = expectations.branch.as_deref();
        let on = branch.unwrap_or("HEAD");
        match provenant_build::git::reachability(repo, &commit, branch) {
            Ok(Reachability::OnBranch) => notes.push(format!("on {on} in {}", repo.display())),
            Ok(Reachability::NotOnBranch) => {
                return edge.broken(Reason::CommitNotOnBranch {
                    commit: short(&commit).to_owned(),
                    branch: on.to_owned(),
                });
            }
            Ok(Reachability::Missing) => {
                return edge.broken(Reason::CommitNotInClone {
                    commit: short(&commit).to_owned(),
                    repo: repo.display().to_string(),
                });
            }
            Err(e) => return edge.broken(Reason::CloneUnreadable { error: e.to_string() }),
        }
    }
    if notes.is_empty() {
        edge.holds("recorded by the build provenance (no commit, branch or clone given to check it against)")
    } else {
        edge.holds(notes.join(", "))
    }
}

/// What a bundle for `subject` establishes under either trusted signer (packager first), if anything.
fn verify_either(trust: &Trust<'_>, subject: &Digest, bundle: &Bundle) -> Option<Verified> {
    [trust.packager, trust.builder].iter().find_map(|p| {
        p.evidence_present(bundle).ok()?;
        p.verifier()
            .verify(Artifact::Digest(*subject), bundle, p.signer_policy())
            .ok()
    })
}

fn repro_edges(digest: &Digest, evidence: &[Evidence], trust: &Trust<'_>) -> Vec<Edge> {
    let mut out = Vec::new();
    for ev in evidence {
        let Document::Bundle {
            bundle,
            claim: Some(claim),
        } = &ev.document
        else {
            continue;
        };
        if claim.predicate_type != REPRODUCIBILITY_PREDICATE || !claim.subjects.contains(digest) {
            continue;
        }
        let signed = verify_either(trust, digest, bundle);
        let edge = Edge::new(EdgeKind::Reproducibility, "").with_evidence(ev.digest());
        let Some(verified) = signed else {
            out.push(edge.shown("attached, but not signed by a trusted builder or packager: not relied on"));
            continue;
        };
        let statement: Value = verified
            .dsse
            .as_ref()
            .and_then(|(_, p)| serde_json::from_slice(p).ok())
            .unwrap_or(Value::Null);
        let verdict = statement
            .pointer("/predicate/verdict")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let runs = statement
            .pointer("/predicate/runs")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        out.push(edge.shown(format!(
            "{verdict} over {runs} run(s), signed by {}",
            describe_signer(&verified, bundle)
        )));
    }
    out
}

fn sbom_edges(image: &Digest, evidence: &[Evidence], expectations: &Expectations) -> Vec<Edge> {
    let mut out = Vec::new();
    for ev in evidence {
        let Document::Sbom { media_type, document } = &ev.document else {
            continue;
        };
        let edge = Edge::new(EdgeKind::Sbom, media_type.clone()).with_evidence(ev.digest());
        let described = provenant_sbom::described_digests(document);
        out.push(if described.contains(image) {
            edge.holds(format!("describes {image}"))
        } else if described.is_empty() {
            edge.broken(Reason::SbomDescribesNothing)
        } else {
            edge.broken(Reason::SbomDescribesOther {
                described,
                image: *image,
            })
        });
    }
    if out.is_empty() {
        let edge = Edge::new(EdgeKind::Sbom, "");
        out.push(if expectations.require_sbom {
            edge.broken(Reason::NoSbom { image: *image })
        } else {
            edge.shown("none attached")
        });
    }
    out
}

fn signature_edges(image: &Digest, evidence: &[Evidence], trust: &Trust<'_>) -> Vec<Edge> {
    let mut out = Vec::new();
    for ev in evidence {
        let Document::Bundle { bundle, claim: None } = &ev.document else {
            continue;
        };
        if bundle.message_digest() != Some(*image) {
            continue;
        }
        let edge = Edge::new(EdgeKind::Signature, "").with_evidence(ev.digest());
        let verified = verify_either(trust, image, bundle);
        out.push(match verified {
            Some(v) => edge.shown(format!("signed by {}", describe_signer(&v, bundle))),
            None => edge.shown("not signed by a trusted packager or builder: not relied on"),
        });
    }
    out
}
