//! `AdmissionReview` `admission.k8s.io/v1` requests: strict reading, the images of every pod spec they
//! carry, and the response that echoes the request's uid.
//!
//! The request and response types are kube-core's (built on k8s-openapi's); the pod specs are
//! k8s-openapi's. Nothing here decides: [`workload`] lists what must be decided.

use std::fmt;

use k8s_openapi::api::apps::v1::{DaemonSetSpec, DeploymentSpec, ReplicaSetSpec, StatefulSetSpec};
use k8s_openapi::api::batch::v1::{CronJobSpec, JobSpec};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec, ReplicationControllerSpec};
use kube_core::DynamicObject;
use kube_core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};
use serde::de::DeserializeOwned;

/// The largest request body read: an object is at most about 1.5 MiB in etcd, and an UPDATE carries
/// the old object too.
pub const MAX_REVIEW_BYTES: usize = 4 << 20;

/// The only API version and kind of review accepted.
const API_VERSION: &str = "admission.k8s.io/v1";
const KIND: &str = "AdmissionReview";

/// Why a request body is not an `AdmissionReview` this webhook can answer (HTTP 400).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// The body is larger than [`MAX_REVIEW_BYTES`].
    #[error("the request body has {len} bytes, more than the {max} accepted")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not an `AdmissionReview`.
    #[error("the request body is not an AdmissionReview: {0}")]
    Json(#[source] serde_json::Error),
    /// Another API version or kind than `admission.k8s.io/v1` `AdmissionReview`.
    #[error("expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got {api_version} {kind}")]
    Version {
        /// The apiVersion sent.
        api_version: String,
        /// The kind sent.
        kind: String,
    },
    /// The review has no `request`.
    #[error("the AdmissionReview has no request")]
    NoRequest,
    /// The request has an empty uid (the response could not be matched to it).
    #[error("the AdmissionReview request has an empty uid")]
    NoUid,
}

/// Reads an `AdmissionReview` request body.
pub fn parse_review(body: &[u8]) -> Result<AdmissionRequest<DynamicObject>, ReviewError> {
    if body.len() > MAX_REVIEW_BYTES {
        return Err(ReviewError::TooLarge {
            len: body.len(),
            max: MAX_REVIEW_BYTES,
        });
    }
    let review: AdmissionReview<DynamicObject> = serde_json::from_slice(body).map_err(ReviewError::Json)?;
    if review.types.api_version != API_VERSION || review.types.kind != KIND {
        return Err(ReviewError::Version {
            api_version: review.types.api_version,
            kind: review.types.kind,
        });
    }
    let request: AdmissionRequest<DynamicObject> = review.try_into().map_err(|_| ReviewError::NoRequest)?;
    if request.uid.is_empty() {
        return Err(ReviewError::NoUid);
    }
    Ok(request)
}

/// Which list of a pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerList {
    /// `containers`.
    Containers,
    /// `initContainers`.
    InitContainers,
    /// `ephemeralContainers`.
    EphemeralContainers,
}

impl fmt::Display for ContainerList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContainerList::Containers => "containers",
            ContainerList::InitContainers => "initContainers",
            ContainerList::EphemeralContainers => "ephemeralContainers",
        })
    }
}

/// One container's image, as the object names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerImage {
    /// The list it is in.
    pub list: ContainerList,
    /// The container's name.
    pub name: String,
    /// The image reference exactly as written (`None` when the container names none).
    pub image: Option<String>,
}

/// The pod-carrying kinds decided: Pods and every kind with a pod template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodKind {
    /// core/v1 Pod.
    Pod,
    /// core/v1 `ReplicationController`.
    ReplicationController,
    /// apps/v1 Deployment.
    Deployment,
    /// apps/v1 `ReplicaSet`.
    ReplicaSet,
    /// apps/v1 `StatefulSet`.
    StatefulSet,
    /// apps/v1 `DaemonSet`.
    DaemonSet,
    /// batch/v1 Job.
    Job,
    /// batch/v1 `CronJob`.
    CronJob,
}

impl PodKind {
    /// The kind of an API group and kind, when it carries a pod spec.
    #[must_use]
    pub fn of(group: &str, kind: &str) -> Option<PodKind> {
        Some(match (group, kind) {
            ("", "Pod") => PodKind::Pod,
            ("", "ReplicationController") => PodKind::ReplicationController,
            ("apps", "Deployment") => PodKind::Deployment,
            ("apps", "ReplicaSet") => PodKind::ReplicaSet,
            ("apps", "StatefulSet") => PodKind::StatefulSet,
            ("apps", "DaemonSet") => PodKind::DaemonSet,
            ("batch", "Job") => PodKind::Job,
            ("batch", "CronJob") => PodKind::CronJob,
            _ => return None,
        })
    }

    /// Every kind, with its API group, version and resource name (for the webhook's rules).
    pub const ALL: [(PodKind, &'static str, &'static str, &'static str); 8] = [
        (PodKind::Pod, "", "v1", "pods"),
        (PodKind::ReplicationController, "", "v1", "replicationcontrollers"),
        (PodKind::Deployment, "apps", "v1", "deployments"),
        (PodKind::ReplicaSet, "apps", "v1", "replicasets"),
        (PodKind::StatefulSet, "apps", "v1", "statefulsets"),
        (PodKind::DaemonSet, "apps", "v1", "daemonsets"),
        (PodKind::Job, "batch", "v1", "jobs"),
        (PodKind::CronJob, "batch", "v1", "cronjobs"),
    ];

    /// The kind's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            PodKind::Pod => "Pod",
            PodKind::ReplicationController => "ReplicationController",
            PodKind::Deployment => "Deployment",
            PodKind::ReplicaSet => "ReplicaSet",
            PodKind::StatefulSet => "StatefulSet",
            PodKind::DaemonSet => "DaemonSet",
            PodKind::Job => "Job",
            PodKind::CronJob => "CronJob",
        }
    }
}

/// What a request asks to be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workload {
    /// Nothing to decide: a DELETE or CONNECT, or an object without a pod spec.
    NotApplicable(&'static str),
    /// The images of a pod spec, in the object's order (containers, initContainers,
    /// ephemeralContainers).
    Images {
        /// The object's kind.
        kind: PodKind,
        /// Every container's image.
        images: Vec<ContainerImage>,
    },
}

/// Why an object of a pod-carrying kind cannot be read (the request is denied, never allowed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// A CREATE or UPDATE without an object.
    #[error("the request has no object to decide")]
    Missing,
    /// The object does not have the kind's shape.
    #[error("the {kind}'s {field} cannot be read: {source}")]
    Shape {
        /// The kind.
        kind: &'static str,
        /// The field path read.
        field: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

/// What `request` asks to be decided: the images of its object's pod spec, or nothing.
pub fn workload(request: &AdmissionRequest<DynamicObject>) -> Result<Workload, ObjectError> {
    match request.operation {
        Operation::Delete => return Ok(Workload::NotApplicable("DELETE operations are allowed")),
        Operation::Connect => return Ok(Workload::NotApplicable("CONNECT operations are allowed")),
        Operation::Create | Operation::Update => {}
    }
    let Some(kind) = PodKind::of(&request.kind.group, &request.kind.kind) else {
        return Ok(Workload::NotApplicable("the object has no pod spec"));
    };
    let object = request.object.as_ref().ok_or(ObjectError::Missing)?;
    let spec = object
        .data
        .get("spec")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let pod = pod_spec(kind, spec)?;
    Ok(Workload::Images {
        kind,
        images: images(&pod),
    })
}

fn read<T: DeserializeOwned>(
    kind: PodKind,
    field: &'static str,
    value: serde_json::Value,
) -> Result<T, ObjectError> {
    serde_json::from_value(value).map_err(|source| ObjectError::Shape {
        kind: kind.name(),
        field,
        source,
    })
}

/// A template's pod spec; a template without one has no containers, so nothing can run from it.
fn template(template: Option<PodTemplateSpec>) -> PodSpec {
    template.and_then(|t| t.spec).unwrap_or_default()
}

fn pod_spec(kind: PodKind, spec: serde_json::Value) -> Result<PodSpec, ObjectError> {
    Ok(match kind {
        PodKind::Pod => read(kind, "spec", spec)?,
        PodKind::ReplicationController => {
            let s: ReplicationControllerSpec = read(kind, "spec", spec)?;
            template(s.template)
        }
        PodKind::Deployment => {
            let s: DeploymentSpec = read(kind, "spec", spec)?;
            template(Some(s.template))
        }
        PodKind::ReplicaSet => {
            let s: ReplicaSetSpec = read(kind, "spec", spec)?;
            template(s.template)
        }
        PodKind::StatefulSet => {
            let s: StatefulSetSpec = read(kind, "spec", spec)?;
            template(Some(s.template))
        }
        PodKind::DaemonSet => {
            let s: DaemonSetSpec = read(kind, "spec", spec)?;
            template(Some(s.template))
        }
        PodKind::Job => {
            let s: JobSpec = read(kind, "spec", spec)?;
            template(Some(s.template))
        }
        PodKind::CronJob => {
            let s: CronJobSpec = read(kind, "spec", spec)?;
            let job = s.job_template.spec.map(|j| j.template);
            template(job)
        }
    })
}

fn images(pod: &PodSpec) -> Vec<ContainerImage> {
    let mut out = Vec::new();
    for c in &pod.containers {
        out.push(ContainerImage {
            list: ContainerList::Containers,
            name: c.name.clone(),
            image: c.image.clone(),
        });
    }
    for c in pod.init_containers.iter().flatten() {
        out.push(ContainerImage {
            list: ContainerList::InitContainers,
            name: c.name.clone(),
            image: c.image.clone(),
        });
    }
    for c in pod.ephemeral_containers.iter().flatten() {
        out.push(ContainerImage {
            list: ContainerList::EphemeralContainers,
            name: c.name.clone(),
            image: c.image.clone(),
        });
    }
    out
}

/// The response to `request`: allowed, or denied with `message`. The uid is always the request's.
#[must_use]
pub fn respond(
    request: &AdmissionRequest<DynamicObject>,
    denial: Option<&str>,
) -> AdmissionReview<DynamicObject> {
    let response = AdmissionResponse::from(request);
    let response = match denial {
        None => response,
        Some(message) => {
            let mut denied = response.deny(message);
            denied.result.code = 403;
            "Forbidden".clone_into(&mut denied.result.reason);
            denied
        }
    };
    response.into_review()
}
