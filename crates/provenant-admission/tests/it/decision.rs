//! The decision against a real ledger of signed promotion records.

use std::sync::Arc;
use std::time::Duration;

use provenant_admission::environments;
use provenant_admission::review::{ContainerImage, ContainerList, PodKind, Workload};
use provenant_admission::source::LedgerPromotions;
use provenant_admission::{Decider, Namespaces, Reason};
use provenant_evidence::roles::Roles;
use provenant_ledger_store::{LedgerStore, Location};
use provenant_records::promotion::Outcome;

use crate::fixture::{Fixture, digest, image};

pub(crate) fn source_over(fx: &Fixture, store: Arc<dyn LedgerStore>) -> LedgerPromotions {
    let roles = Roles::load(&fx.roles).unwrap();
    let promote = environments::read("environments.yaml", &std::fs::read(&fx.environments).unwrap()).unwrap();
    LedgerPromotions::new(store, roles, promote, None)
}

pub(crate) fn namespaces() -> Namespaces {
    Namespaces {
        map: [
            ("shop".to_owned(), "prod".to_owned()),
            ("shop-dev".to_owned(), "dev".to_owned()),
        ]
        .into(),
        default: None,
    }
}

pub(crate) fn decider(fx: &Fixture) -> Decider {
    let store = provenant_admission::ledger::open(&Location::Sqlite(fx.ledger.clone()), None).unwrap();
    Decider::new(
        Arc::new(source_over(fx, store)),
        namespaces(),
        Duration::from_secs(10),
    )
}

pub(crate) fn pod(images: &[(ContainerList, &str, &str)]) -> Workload {
    Workload::Images {
        kind: PodKind::Pod,
        images: images
            .iter()
            .map(|(list, name, image)| ContainerImage {
                list: *list,
                name: (*name).to_owned(),
                image: Some((*image).to_owned()),
            })
            .collect(),
    }
}

pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_digest_promoted_into_the_namespaces_environment_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    let index = fx.promote(1, "prod");
    let d = decider(&fx);
    let decision = rt().block_on(d.decide(
        Some("shop"),
        Ok(pod(&[(ContainerList::Containers, "app", &image(1))])),
    ));
    assert_eq!(decision.reason, Reason::Promoted, "{}", decision.message);
    assert!(decision.allowed());
    let single = rt().block_on(d.decide_image(&image(1), "prod"));
    assert!(
        single.message.contains(&format!("ledger entry {index}")),
        "{}",
        single.message
    );
}

#[test]
fn each_missing_promotion_is_denied_naming_the_container_the_image_and_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "prod");
    fx.promote(2, "dev");
    let d = decider(&fx);
    let decision = rt().block_on(d.decide(
        Some("shop"),
        Ok(pod(&[
            (ContainerList::Containers, "app", &image(1)),
            (ContainerList::InitContainers, "setup", &image(2)),
            (ContainerList::EphemeralContainers, "debug", &image(3)),
        ])),
    ));
    assert_eq!(decision.reason, Reason::NotPromoted);
    let m = &decision.message;
    assert!(
        m.starts_with("denied in namespace shop (environment prod): "),
        "{m}"
    );
    assert!(
        !m.contains("containers app:"),
        "a promoted container is not named: {m}"
    );
    assert!(
        m.contains(&format!(
            "initContainers setup: digest {} of image {}",
            digest(2),
            image(2)
        )),
        "{m}"
    );
    assert!(
        m.contains(&format!(
            "ephemeralContainers debug: digest {} of image {}",
            digest(3),
            image(3)
        )),
        "{m}"
    );
    assert!(
        m.contains("has no verified promotion into prod: the ledger holds no promotion record for it"),
        "{m}"
    );
}

#[test]
fn a_tag_is_denied_naming_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    let d = decider(&fx);
    let decision = rt().block_on(d.decide(
        Some("shop"),
        Ok(pod(&[(
            ContainerList::Containers,
            "app",
            "registry.example/shop:1.2",
        )])),
    ));
    assert_eq!(decision.reason, Reason::Tag);
    assert!(
        decision
            .message
            .contains("containers app: image registry.example/shop:1.2 names no digest"),
        "{}",
        decision.message
    );
}

#[test]
fn a_refused_promotion_and_one_signed_without_the_role_do_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    let refused = fx.record(5, "prod", Outcome::Refused, &fx.promoter);
    let forged = fx.record(5, "prod", Outcome::Promoted, &fx.stranger);
    let d = decider(&fx);
    let decision = rt().block_on(d.decide_image(&image(5), "prod"));
    assert_eq!(decision.reason, Reason::NotPromoted);
    let m = &decision.message;
    assert!(
        m.contains(&format!(
            "ledger entry {refused}: a refused promotion (approval: missing approval by release-manager)"
        )),
        "{m}"
    );
    assert!(
        m.contains(&format!(
            "ledger entry {forged}: its signature is not by a role allowed to promote: not signed by a holder of the role promoter"
        )),
        "{m}"
    );
}

#[test]
fn a_namespace_without_environment_is_denied_unless_a_default_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "dev");
    let d = decider(&fx);
    let workload = || Ok(pod(&[(ContainerList::Containers, "app", &image(1))]));
    let decision = rt().block_on(d.decide(Some("elsewhere"), workload()));
    assert_eq!(decision.reason, Reason::NoEnvironment);
    assert!(
        decision
            .message
            .contains("namespace elsewhere maps to no environment"),
        "{}",
        decision.message
    );
    let store = provenant_admission::ledger::open(&Location::Sqlite(fx.ledger.clone()), None).unwrap();
    let mut ns = namespaces();
    ns.default = Some("dev".to_owned());
    let with_default = Decider::new(Arc::new(source_over(&fx, store)), ns, Duration::from_secs(10));
    let decision = rt().block_on(with_default.decide(Some("elsewhere"), workload()));
    assert_eq!(decision.reason, Reason::Promoted, "{}", decision.message);
}

#[test]
fn an_environment_missing_from_the_environments_file_is_denied() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "uat");
    let d = decider(&fx);
    let decision = rt().block_on(d.decide_image(&image(1), "uat"));
    assert_eq!(decision.reason, Reason::UnknownEnvironment);
    assert!(
        decision
            .message
            .contains("environment uat is not in the environments file"),
        "{}",
        decision.message
    );
}

#[test]
fn delete_and_objects_without_pod_specs_are_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    let d = decider(&fx);
    let decision = rt().block_on(d.decide(
        Some("shop"),
        Ok(Workload::NotApplicable("DELETE operations are allowed")),
    ));
    assert_eq!(decision.reason, Reason::NotApplicable);
    assert!(decision.allowed());
}
