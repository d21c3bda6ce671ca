//! Compatibility with gitleaks 8.30.1: with gitleaks' own configuration (read in place from the vectors),
//! `scan secrets` finds what `gitleaks dir` finds on the same tree, finding by finding (file, line,
//! rule id, secret).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use provenant_scan::secrets::{self, detect::Detector};

use crate::config::gitleaks_config_path;

/// A small deterministic generator (xorshift64*), so the tree is the same on every run.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    pub(crate) fn string(&mut self, alphabet: &str, len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..len).map(|_| chars[self.below(chars.len())]).collect()
    }
}

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// One line holding a fake secret of a well-known shape.
pub(crate) fn secret_line(rng: &mut Rng) -> String {
    match rng.below(24) {
        0 => format!(
            "aws_access_key_id = AKIA{}",
            rng.string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        ),
        1 => format!("token: ghp_{}", rng.string(ALNUM, 36)),
        2 => format!("GITLAB_TOKEN=glpat-{}", rng.string(URLSAFE, 20)),
        3 => format!(
            "slack = \"xoxb-{}-{}-{}\"",
            rng.string("0123456789", 12),
            rng.string("0123456789", 13),
            rng.string(ALNUM, 24)
        ),
        4 => format!("stripe_key = 'sk_live_{}'", rng.string(ALNUM, 24)),
        5 => format!("const key = \"AIza{}\";", rng.string(URLSAFE, 35)),
        6 => format!(
            "jwt = eyJ{}.eyJ{}.{}",
            rng.string(URLSAFE, 20),
            rng.string(URLSAFE, 40),
            rng.string(URLSAFE, 43)
        ),
        7 => format!("api_key = \"{}\"", rng.string(ALNUM, 32)),
        8 => format!("client_secret: {}", rng.string(HEX, 40)),
        9 => format!("password={}", rng.string(B64, 24)),
        10 => format!(
            "github_pat_{}",
            rng.string(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
                82
            )
        ),
        11 => format!(
            "SENDGRID_API_KEY=SG.{}.{}",
            rng.string(URLSAFE, 22),
            rng.string(URLSAFE, 43)
        ),
        12 => format!("npm_token = npm_{}", rng.string(ALNUM, 36)),
        13 => format!(
            "OPENAI_API_KEY=sk-proj-{}T3BlbkFJ{}",
            rng.string(URLSAFE, 74),
            rng.string(URLSAFE, 74)
        ),
        14 => format!(
            "hooks: https://hooks.slack.com/services/T{}/B{}/{}",
            rng.string(UPPER, 8),
            rng.string(UPPER, 8),
            rng.string(ALNUM, 24)
        ),
        15 => format!(
            "heroku_api_key = \"{}-{}-{}-{}-{}\"",
            rng.string(HEX, 8),
            rng.string(HEX, 4),
            rng.string(HEX, 4),
            rng.string(HEX, 4),
            rng.string(HEX, 12)
        ),
        16 => format!("pypi-AgEIcHlwaS5vcmc{}", rng.string(URLSAFE, 60)),
        17 => format!("twilio_key = SK{}", rng.string(HEX, 32)),
        18 => format!("datadog_api_key: {}", rng.string(HEX, 40)),
        19 => format!("secret_token := \"{}\"", rng.string(ALNUM, 8)),
        20 => format!("auth = \"{}abcdefghijklmnopqrstuvwxyz\"", rng.string(ALNUM, 10)),
        21 => format!("access_token = {} # gitleaks:allow", rng.string(ALNUM, 30)),
        22 => format!("shopify = shpat_{}", rng.string(HEX, 32)),
        _ => format!("dop_v1_{}", rng.string(HEX, 64)),
    }
}

fn private_key(rng: &mut Rng) -> String {
    let mut s = String::from("-----BEGIN RSA PRIVATE KEY-----\n");
    for _ in 0..8 {
        let _ = writeln!(s, "{}", rng.string(B64, 64));
    }
    s.push_str("-----END RSA PRIVATE KEY-----\n");
    s
}

const FILLER: [&str; 6] = [
    "fn main() { println!(\"hello\"); }",
    "    let value = compute(input, 42);",
    "// a comment about keys and tokens in general",
    "import os",
    "",
    "    return result;",
];

/// A text file of `lines` lines, a secret on about one line in `density`.
fn text(rng: &mut Rng, lines: usize, density: usize) -> String {
    let mut s = String::new();
    for _ in 0..lines {
        if rng.below(density) == 0 {
            s.push_str(&secret_line(rng));
        } else {
            s.push_str(rng.pick(&FILLER));
        }
        s.push('\n');
    }
    s
}

fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// The test tree: many kinds of secrets in many files, binaries, big files, allowlisted paths, stop words.
pub(crate) fn build_tree(root: &Path, seed: u64) {
    let mut rng = Rng::new(seed);
    for i in 0..40 {
        let dir = ["src", "config", "deploy/k8s", ".hidden", "docs"][i % 5];
        let ext = ["rs", "py", "env", "yaml", "json", "txt", "js", "go"][i % 8];
        let lines = 30 + rng.below(100);
        let body = text(&mut rng, lines, 4);
        write(root, &format!("{dir}/file{i}.{ext}"), body);
    }
    write(root, "keys/id_rsa", private_key(&mut rng));
    // Windows line endings and a last line without a newline.
    let crlf = text(&mut rng, 20, 2).replace('\n', "\r\n");
    write(root, "src/crlf.ps1", crlf);
    let mut no_newline = text(&mut rng, 5, 2);
    no_newline.push_str(&secret_line(&mut rng));
    write(root, "src/no-newline.txt", no_newline);
    // gitleaks:allow on a last line without a newline, after the secret and before it on an earlier line
    // (gitleaks then takes the whole piece as the secret's line).
    let token = rng.string(ALNUM, 36);
    write(
        root,
        "src/last-allow.txt",
        format!("x = 1\ntoken: ghp_{token} # gitleaks:allow"),
    );
    let token = rng.string(ALNUM, 36);
    write(
        root,
        "src/earlier-allow.txt",
        format!("# gitleaks:allow\nx = 1\ntoken: ghp_{token}"),
    );
    let token = rng.string(ALNUM, 36);
    write(
        root,
        "src/cr-last.txt",
        format!("x = 1\ntoken: ghp_{token}\r# gitleaks:allow"),
    );
    // Big files: secrets around the 100 kB piece boundaries, and a long line without newlines.
    let mut big = String::new();
    while big.len() < 2_500_000 {
        big.push_str(&text(&mut rng, 200, 40));
        if rng.below(3) == 0 {
            big.push('\n');
        }
    }
    write(root, "data/big.log", &big);
    let mut minified = String::new();
    while minified.len() < 300_000 {
        minified.push_str("var a=1;");
        if rng.below(50) == 0 {
            minified.push_str(&secret_line(&mut rng).replace('\n', " "));
            minified.push(';');
        }
    }
    write(root, "web/app.min.js", &minified);
    // Binaries: secrets inside files with an ELF, gzip or zip signature are not scanned.
    let mut elf = vec![0x7F, b'E', b'L', b'F'];
    elf.extend(std::iter::repeat_n(0u8, 60));
    elf.extend_from_slice(text(&mut rng, 10, 1).as_bytes());
    write(root, "bin/tool", &elf);
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(text(&mut rng, 10, 1).as_bytes());
    write(root, "bin/bundle.jar", &zip);
    write(root, "bin/notes.tar.txt", text(&mut rng, 10, 1));
    // Allowlisted paths (gitleaks' global allowlist) and a .gitignore that gitleaks does not honour.
    write(root, "node_modules/pkg/index.js", text(&mut rng, 10, 1));
    write(root, "vendor/github.com/x/y.go", text(&mut rng, 10, 1));
    write(root, "package-lock.json", text(&mut rng, 10, 1));
    write(root, "img/logo.svg", text(&mut rng, 10, 1));
    write(root, ".gitignore", "ignored/\n");
    write(root, "ignored/secrets.env", text(&mut rng, 10, 1));
    // Stop words and placeholders that the allowlists drop.
    write(
        root,
        "config/placeholders.env",
        "api_key = \"abcdefghijklmnopqrstuvwxyz1234\"\npassword = ${DB_PASSWORD}\ntoken = \"{{ .Values.token }}\"\nsecret = true\n",
    );
    write(root, "empty.txt", "");
}

/// (file, line, rule, secret), sorted.
type Key = (String, usize, String, String);

pub(crate) fn gitleaks_findings(root: &Path) -> Vec<Key> {
    let gitleaks = provenant_testkit::require_venv_tool("gitleaks", "gitleaks");
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let status = Command::new(gitleaks)
        .args([
            "dir",
            root.to_str().unwrap(),
            "--no-banner",
            "--log-level",
            "error",
            "--exit-code",
            "0",
        ])
        .arg("--config")
        .arg(gitleaks_config_path())
        .args(["--report-format", "json", "--report-path"])
        .arg(&report)
        .status()
        .unwrap();
    assert!(status.success(), "gitleaks failed");
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let mut keys: Vec<Key> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["File"].as_str().unwrap().to_owned(),
                f["StartLine"].as_u64().unwrap() as usize,
                f["RuleID"].as_str().unwrap().to_owned(),
                f["Secret"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    keys.sort();
    keys
}

pub(crate) fn provenant_findings(root: &Path) -> Vec<Key> {
    let config = secrets::load_config(root, Some(&gitleaks_config_path())).unwrap();
    assert!(config.unsupported.is_empty());
    let report = secrets::scan(root, &Detector::new(config), 0).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let mut keys: Vec<Key> = report
        .findings
        .into_iter()
        .map(|f| (f.file, f.start_line, f.rule_id, f.secret))
        .collect();
    keys.sort();
    keys
}

fn diff(expected: &[Key], actual: &[Key]) -> String {
    let mut counts: BTreeMap<&Key, i64> = BTreeMap::new();
    for k in expected {
        *counts.entry(k).or_default() += 1;
    }
    for k in actual {
        *counts.entry(k).or_default() -= 1;
    }
    let mut s = String::new();
    for (k, n) in counts.into_iter().filter(|(_, n)| *n != 0) {
        let _ = writeln!(
            s,
            "{} {k:?}",
            if n > 0 {
                "only gitleaks:"
            } else {
                "only provenant:"
            }
        );
    }
    s
}

#[test]
fn finds_what_gitleaks_8_30_1_finds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    build_tree(&root, 0x005E_C2E7);
    let expected = gitleaks_findings(&root);
    let actual = provenant_findings(&root);
    assert!(
        expected.len() > 100,
        "the tree should give gitleaks many findings, got {}",
        expected.len()
    );
    let rules: std::collections::BTreeSet<&str> = expected.iter().map(|k| k.2.as_str()).collect();
    assert!(rules.len() >= 12, "too few rules exercised: {rules:?}");
    assert!(
        expected
            .iter()
            .all(|k| !k.0.contains("node_modules") && !k.0.contains("bin/"))
    );
    assert!(expected.iter().any(|k| k.0.ends_with("ignored/secrets.env")));
    assert!(
        expected
            .iter()
            .any(|k| k.0.ends_with("data/big.log") && k.1 > 10_000)
    );
    let d = diff(&expected, &actual);
    assert!(
        d.is_empty(),
        "{} gitleaks findings, {} ours; differences:\n{d}",
        expected.len(),
        actual.len()
    );
}

#[test]
fn relative_root_gives_gitleaks_file_names() {
    let dir = tempfile::tempdir().unwrap();
    build_tree(&dir.path().join("t"), 7);
    let config = secrets::load_config(&dir.path().join("t"), Some(&gitleaks_config_path())).unwrap();
    let detector = Detector::new(config);
    // Scanned as "./t/" from its parent, files are named "t/…" as gitleaks' walk names them.
    let here = std::env::current_dir().unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    let report = secrets::scan(Path::new("./t/"), &detector, 2);
    std::env::set_current_dir(here).unwrap();
    let report = report.unwrap();
    assert!(!report.findings.is_empty());
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.file.starts_with("t/") && !f.path.starts_with("t/"))
    );
}
