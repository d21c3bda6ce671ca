//! Provenant's default rules: each finds the token shape it is written for, and the placeholders and
//! dependency trees of its allowlists give nothing.

use provenant_scan::secrets::{self, detect::Detector};

use crate::compat::Rng;

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &str = "0123456789abcdef";

#[test]
fn each_default_rule_finds_its_kind() {
    let mut r = Rng::new(99);
    let cases: Vec<(&str, String)> = vec![
        (
            "aws-access-key-id",
            format!("key = AKIA{}", r.string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
        ),
        (
            "aws-secret-access-key",
            format!("aws_secret_access_key = {}", r.string(B64, 40)),
        ),
        ("gcp-api-key", format!("k = \"AIza{}\"", r.string(ALNUM, 35))),
        (
            "gcp-service-account-key",
            format!("  \"private_key_id\": \"{}\",", r.string(HEX, 40)),
        ),
        (
            "azure-storage-account-key",
            format!(
                "DefaultEndpointsProtocol=https;AccountName=x;AccountKey={}==;",
                r.string(B64, 86)
            ),
        ),
        (
            "azure-ad-client-secret",
            format!("secret: {}8Q~{}", r.string(ALNUM, 3), r.string(ALNUM, 34)),
        ),
        ("github-token", format!("GH=ghp_{}", r.string(ALNUM, 36))),
        (
            "github-fine-grained-pat",
            format!("t=github_pat_{}", r.string(ALNUM, 82)),
        ),
        ("gitlab-token", format!("t=glpat-{}", r.string(ALNUM, 20))),
        (
            "slack-token",
            format!("t=xoxb-{}-{}", r.string("0123456789", 12), r.string(ALNUM, 24)),
        ),
        (
            "slack-webhook-url",
            format!(
                "u=https://hooks.slack.com/services/T{}/B{}/{}",
                r.string(ALNUM, 9),
                r.string(ALNUM, 9),
                r.string(ALNUM, 24)
            ),
        ),
        ("stripe-secret-key", format!("s=sk_live_{}", r.string(ALNUM, 24))),
        (
            "jwt",
            format!(
                "t=eyJ{}.eyJ{}.{}",
                r.string(ALNUM, 20),
                r.string(ALNUM, 30),
                r.string(ALNUM, 40)
            ),
        ),
        (
            "generic-high-entropy-assignment",
            format!("db_password = \"{}\"", r.string(ALNUM, 24)),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (_, line)) in cases.iter().enumerate() {
        std::fs::write(dir.path().join(format!("f{i:02}.txt")), format!("{line}\n")).unwrap();
    }
    let mut key = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for _ in 0..5 {
        key.push_str(&r.string(B64, 70));
        key.push('\n');
    }
    key.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    std::fs::write(dir.path().join("id_ed25519"), key).unwrap();
    let detector = Detector::new(secrets::load_config(dir.path(), None).unwrap());
    let report = secrets::scan(dir.path(), &detector, 1).unwrap();
    for (i, (rule, line)) in cases.iter().enumerate() {
        let file = format!("f{i:02}.txt");
        let rules: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.path == file)
            .map(|f| f.rule_id.as_str())
            .collect();
        assert!(rules.contains(rule), "{rule} did not find {line:?}: {rules:?}");
    }
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.path == "id_ed25519" && f.rule_id == "private-key")
    );
}

#[test]
fn default_allowlists_drop_placeholders_and_dependency_trees() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("config.env"),
        "password = \"${DB_PASSWORD}\"\napi_key = \"{{ .Values.apiKey }}\"\ntoken = \"<your-token-here>\"\nsecret = \"changeme\"\nkey_id = \"abcDEF123456ghiJKL\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("node_modules/x")).unwrap();
    std::fs::write(
        root.join("node_modules/x/a.js"),
        "t=ghp_0123456789abcdefghijABCDEFGHIJ012345\n",
    )
    .unwrap();
    let detector = Detector::new(secrets::load_config(root, None).unwrap());
    let report = secrets::scan(root, &detector, 1).unwrap();
    assert_eq!(report.findings, vec![], "{:?}", report.findings);
    assert_eq!(report.files_scanned, 1);
}
