//! The Kubernetes objects that install the webhook: Namespace, `ServiceAccount`, Deployment, Service and
//! `ValidatingWebhookConfiguration`, built as k8s-openapi objects and written as one YAML stream or as one
//! JSON `List`.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::{
    RuleWithOperations, ServiceReference, ValidatingWebhook, ValidatingWebhookConfiguration,
    WebhookClientConfig,
};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ContainerPort, HTTPGetAction, Namespace,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile,
    SecretVolumeSource, SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::review::PodKind;

/// The name of every object (and of the TLS Secret and configuration `ConfigMap` they expect).
pub const NAME: &str = "provenant-admission";
/// The webhook's name in the configuration.
pub const WEBHOOK_NAME: &str = "admission.provenant.dev";
/// The container's HTTPS port.
pub const PORT: i32 = 8443;
/// The API server's timeout for one call (the webhook's own deadline is below it).
pub const TIMEOUT_SECONDS: i32 = 10;

/// What the manifests are made of.
#[derive(Debug, Clone)]
pub struct Options {
    /// The webhook's own namespace (excluded from admission).
    pub namespace: String,
    /// The webhook's image, by digest.
    pub image: String,
    /// The CA certificate(s) that signed the webhook's serving certificate, PEM.
    pub ca_bundle: Vec<u8>,
    /// The ledger location passed to `--ledger`.
    pub ledger: Option<String>,
    /// `NAMESPACE=ENV` pairs passed to `--namespace-env`.
    pub namespace_env: Vec<(String, String)>,
    /// The `--default-env`.
    pub default_env: Option<String>,
}

/// Why the manifests cannot be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// An object could not be written as YAML.
    #[error("cannot write the {kind} as YAML: {source}")]
    Yaml {
        /// The object's kind.
        kind: &'static str,
        /// Why.
        #[source]
        source: yaml_serde::Error,
    },
    /// An object could not be written as JSON.
    #[error("cannot write the {kind} as JSON")]
    Json {
        /// The object's kind.
        kind: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: Some(labels()),
        ..ObjectMeta::default()
    }
}

fn labels() -> BTreeMap<String, String> {
    BTreeMap::from([("app.kubernetes.io/name".to_owned(), NAME.to_owned())])
}

fn args(options: &Options) -> Vec<String> {
    let mut args = vec![
        "admission".to_owned(),
        "serve".to_owned(),
        "--environments=/etc/provenant/config/environments.yaml".to_owned(),
        "--roles=/etc/provenant/config/roles.yaml".to_owned(),
        format!("--listen=0.0.0.0:{PORT}"),
        "--tls-cert=/etc/provenant/tls/tls.crt".to_owned(),
        "--tls-key=/etc/provenant/tls/tls.key".to_owned(),
    ];
    if let Some(ledger) = &options.ledger {
        args.push(format!("--ledger={ledger}"));
    }
    for (ns, env) in &options.namespace_env {
        args.push(format!("--namespace-env={ns}={env}"));
    }
    if let Some(env) = &options.default_env {
        args.push(format!("--default-env={env}"));
    }
    args
}

fn probe(path: &str) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_owned()),
            port: IntOrString::Int(PORT),
            scheme: Some("HTTPS".to_owned()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(10),
        timeout_seconds: Some(3),
        failure_threshold: Some(3),
        ..Probe::default()
    }
}

fn quantities(cpu: &str, memory: &str) -> BTreeMap<String, Quantity> {
    BTreeMap::from([
        ("cpu".to_owned(), Quantity(cpu.to_owned())),
        ("memory".to_owned(), Quantity(memory.to_owned())),
    ])
}

fn deployment(options: &Options) -> Deployment {
    let ns = Some(options.namespace.as_str());
    let container = Container {
        name: "webhook".to_owned(),
        image: Some(options.image.clone()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        args: Some(args(options)),
        ports: Some(vec![ContainerPort {
            name: Some("https".to_owned()),
            container_port: PORT,
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]),
        readiness_probe: Some(probe("/readyz")),
        liveness_probe: Some(probe("/healthz")),
        resources: Some(ResourceRequirements {
            requests: Some(quantities("100m", "64Mi")),
            limits: Some(quantities("500m", "256Mi")),
            ..ResourceRequirements::default()
        }),
        security_context: Some(SecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(65_532),
            run_as_group: Some(65_532),
            read_only_root_filesystem: Some(true),
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".to_owned()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "tls".to_owned(),
                mount_path: "/etc/provenant/tls".to_owned(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "config".to_owned(),
                mount_path: "/etc/provenant/config".to_owned(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    };
    Deployment {
        metadata: meta(NAME, ns),
        spec: Some(DeploymentSpec {
            replicas: Some(2),
            selector: LabelSelector {
                match_labels: Some(labels()),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels()),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(NAME.to_owned()),
                    automount_service_account_token: Some(false),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        seccomp_profile: Some(SeccompProfile {
                            type_: "RuntimeDefault".to_owned(),
                            ..SeccompProfile::default()
                        }),
                        ..PodSecurityContext::default()
                    }),
                    containers: vec![container],
                    volumes: Some(vec![
                        Volume {
                            name: "tls".to_owned(),
                            secret: Some(SecretVolumeSource {
                                secret_name: Some(format!("{NAME}-tls")),
                                ..SecretVolumeSource::default()
                            }),
                            ..Volume::default()
                        },
                        Volume {
                            name: "config".to_owned(),
                            config_map: Some(ConfigMapVolumeSource {
                                name: format!("{NAME}-config"),
                                ..ConfigMapVolumeSource::default()
                            }),
                            ..Volume::default()
                        },
                    ]),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn service(options: &Options) -> Service {
    Service {
        metadata: meta(NAME, Some(&options.namespace)),
        spec: Some(ServiceSpec {
            selector: Some(labels()),
            ports: Some(vec![ServicePort {
                name: Some("https".to_owned()),
                port: 443,
                target_port: Some(IntOrString::String("https".to_owned())),
                protocol: Some("TCP".to_owned()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn webhook_configuration(options: &Options) -> ValidatingWebhookConfiguration {
    let mut rules: Vec<RuleWithOperations> = PodKind::ALL
        .iter()
        .map(|(_, group, version, resource)| RuleWithOperations {
            api_groups: Some(vec![(*group).to_owned()]),
            api_versions: Some(vec![(*version).to_owned()]),
            operations: Some(vec!["CREATE".to_owned(), "UPDATE".to_owned()]),
            resources: Some(vec![(*resource).to_owned()]),
            scope: Some("Namespaced".to_owned()),
        })
        .collect();
    // Ephemeral containers are added through their own subresource.
    rules.push(RuleWithOperations {
        api_groups: Some(vec![String::new()]),
        api_versions: Some(vec!["v1".to_owned()]),
        operations: Some(vec!["UPDATE".to_owned()]),
        resources: Some(vec!["pods/ephemeralcontainers".to_owned()]),
        scope: Some("Namespaced".to_owned()),
    });
    ValidatingWebhookConfiguration {
        metadata: ObjectMeta {
            name: Some(NAME.to_owned()),
            labels: Some(labels()),
            ..ObjectMeta::default()
        },
        webhooks: Some(vec![ValidatingWebhook {
            name: WEBHOOK_NAME.to_owned(),
            admission_review_versions: vec!["v1".to_owned()],
            client_config: WebhookClientConfig {
                ca_bundle: Some(ByteString(options.ca_bundle.clone())),
                service: Some(ServiceReference {
                    name: NAME.to_owned(),
                    namespace: options.namespace.clone(),
                    path: Some("/validate".to_owned()),
                    port: Some(443),
                }),
                url: None,
            },
            failure_policy: Some("Fail".to_owned()),
            match_policy: Some("Equivalent".to_owned()),
            side_effects: "None".to_owned(),
            timeout_seconds: Some(TIMEOUT_SECONDS),
            namespace_selector: Some(LabelSelector {
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "kubernetes.io/metadata.name".to_owned(),
                    operator: "NotIn".to_owned(),
                    values: Some(vec![options.namespace.clone()]),
                }]),
                ..LabelSelector::default()
            }),
            rules: Some(rules),
            ..ValidatingWebhook::default()
        }]),
    }
}

fn document<T: serde::Serialize>(
    out: &mut String,
    kind: &'static str,
    object: &T,
) -> Result<(), ManifestError> {
    let yaml = yaml_serde::to_string(object).map_err(|source| ManifestError::Yaml { kind, source })?;
    out.push_str("---\n");
    out.push_str(&yaml);
    Ok(())
}

fn value<T: serde::Serialize>(kind: &'static str, object: &T) -> Result<serde_json::Value, ManifestError> {
    serde_json::to_value(object).map_err(|source| ManifestError::Json { kind, source })
}

/// The five objects, in the order they are applied.
struct Objects {
    namespace: Namespace,
    account: ServiceAccount,
    deployment: Deployment,
    service: Service,
    webhook: ValidatingWebhookConfiguration,
}

impl Objects {
    fn of(options: &Options) -> Objects {
        Objects {
            namespace: Namespace {
                metadata: ObjectMeta {
                    name: Some(options.namespace.clone()),
                    labels: Some(labels()),
                    ..ObjectMeta::default()
                },
                ..Namespace::default()
            },
            account: ServiceAccount {
                metadata: meta(NAME, Some(&options.namespace)),
                automount_service_account_token: Some(false),
                ..ServiceAccount::default()
            },
            deployment: deployment(options),
            service: service(options),
            webhook: webhook_configuration(options),
        }
    }
}

/// The five objects as one YAML stream, in the order they are applied.
pub fn render(options: &Options) -> Result<String, ManifestError> {
    let objects = Objects::of(options);
    let mut out = String::new();
    document(&mut out, "Namespace", &objects.namespace)?;
    document(&mut out, "ServiceAccount", &objects.account)?;
    document(&mut out, "Deployment", &objects.deployment)?;
    document(&mut out, "Service", &objects.service)?;
    document(&mut out, "ValidatingWebhookConfiguration", &objects.webhook)?;
    Ok(out)
}

/// The same five objects as a Kubernetes `v1` `List`, the JSON form `kubectl apply -f` reads, its items in
/// the order they are applied.
pub fn list(options: &Options) -> Result<serde_json::Value, ManifestError> {
    let objects = Objects::of(options);
    let items = vec![
        value("Namespace", &objects.namespace)?,
        value("ServiceAccount", &objects.account)?,
        value("Deployment", &objects.deployment)?,
        value("Service", &objects.service)?,
        value("ValidatingWebhookConfiguration", &objects.webhook)?,
    ];
    Ok(serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": items,
    }))
}
