use provenant_registry::auth::{
    Challenge, CredentialSource, Credentials, docker_config_lookup, parse_challenge,
};

#[test]
fn challenges() {
    assert_eq!(parse_challenge(r#"Basic realm="x""#), Some(Challenge::Basic));
    assert_eq!(
        parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#
        ),
        Some(Challenge::Bearer {
            realm: "https://auth.example/token".to_owned(),
            service: Some("registry.example".to_owned()),
            scope: Some("repository:a/b:pull,push".to_owned()),
        })
    );
    assert_eq!(parse_challenge("Bearer service=x"), None);
    assert_eq!(parse_challenge("Digest realm=x"), None);
}

#[test]
fn docker_config_auths_and_redaction() {
    let config = serde_json::json!({
        "auths": {
            "127.0.0.1:5000": { "auth": "dXNlcjpzM2NyM3Q=" },
            "https://ghcr.io": { "username": "u2", "password": "p2" }
        }
    });
    let c = docker_config_lookup(&config, "127.0.0.1:5000").unwrap();
    assert_eq!(c, Credentials::new("user", "s3cr3t"));
    assert_eq!(c.basic_header(), "Basic dXNlcjpzM2NyM3Q=");
    assert!(!format!("{c} {c:?}").contains("s3cr3t"));
    assert_eq!(
        docker_config_lookup(&config, "ghcr.io").unwrap(),
        Credentials::new("u2", "p2")
    );
    assert!(docker_config_lookup(&config, "quay.io").is_none());

    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("config.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let source = CredentialSource::anonymous().with_docker_config(&path);
    assert_eq!(source.lookup("127.0.0.1:5000").unwrap().username(), "user");
    let source = source.with_host("127.0.0.1:5000", Credentials::new("flag", "x"));
    assert_eq!(source.lookup("127.0.0.1:5000").unwrap().username(), "flag");
}

#[test]
fn plain_http_only_for_loopback_and_named_insecure_registries() {
    use provenant_registry::remote::{Client, ClientOptions};
    let client = Client::new(ClientOptions {
        insecure_registries: vec!["registry.internal:5000".to_owned()],
        credentials: CredentialSource::anonymous(),
        ..ClientOptions::default()
    });
    let scheme = |h: &str| client.scheme(&h.parse().unwrap());
    assert_eq!(scheme("ghcr.io"), "https");
    assert_eq!(scheme("docker.io"), "https");
    assert_eq!(scheme("registry.internal"), "https");
    assert_eq!(scheme("registry.internal:5000"), "http");
    assert_eq!(scheme("127.0.0.1:5000"), "http");
    assert_eq!(scheme("localhost:5000"), "http");
    assert_eq!(scheme("[::1]:5000"), "http");
    assert_eq!(scheme("127.example.com"), "https");
}
