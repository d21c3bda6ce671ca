//! Deploy admission: only what was promoted into an environment runs there.
//!
//! - [`review`] reads `AdmissionReview` `admission.k8s.io/v1` requests (kube-core's and k8s-openapi's
//!   types) and lists the image of every container, init container and ephemeral container of Pods and
//!   every pod-template kind;
//! - [`decision`] decides: each image must name a digest, and that digest must have a verified
//!   promotion into the namespace's environment; anything that prevents an answer denies;
//! - [`cache`] caches decisions per (digest, environment) with single-flight lookups;
//! - [`server`] is the HTTPS webhook (`/validate`, `/healthz`, `/readyz`, `/metrics`);
//! - [`manifests`] writes the Kubernetes objects that install it.
#![forbid(unsafe_code)]

pub mod cache;
pub mod decision;
pub mod environments;
pub mod ledger;
pub mod manifests;
pub mod metrics;
pub mod review;
pub mod server;
pub mod source;

pub use decision::{
    Decider, Decision, ImageDecision, Namespaces, PromotionSource, Reason, SourceError, Verdict,
};
