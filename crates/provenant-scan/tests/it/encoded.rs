//! Secrets inside encoded text (base64, hex, percent-encoding, Unicode escapes, and nestings of them),
//! decoded as gitleaks 8.30.1 decodes them (`--max-decode-depth`, default 5): compared with the real
//! gitleaks finding by finding — file, lines, columns, rule, secret, match and tags (`decoded:KIND`,
//! `decode-depth:N`).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use provenant_scan::secrets::{self, detect::Detector};

use crate::compat::{Rng, secret_line};
use crate::config::gitleaks_config_path;

fn base64(data: &[u8], url: bool) -> String {
    let alphabet: &[u8] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
        if !url {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

fn hex(data: &[u8]) -> String {
    data.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Percent-encodes every character that is not alphanumeric (so the whole value is one segment).
fn percent(data: &[u8]) -> String {
    data.iter().fold(String::new(), |mut s, &b| {
        if b.is_ascii_alphanumeric() {
            s.push(char::from(b));
        } else {
            let _ = write!(s, "%{b:02X}");
        }
        s
    })
}

fn unicode(data: &[u8]) -> String {
    data.iter().fold(String::new(), |mut s, &b| {
        let _ = write!(s, "\\u{b:04x}");
        s
    })
}

/// `value` encoded by `layers`, innermost first (0 base64, 1 base64url, 2 hex, 3 percent, 4 unicode).
fn encode(value: &str, layers: &[usize]) -> String {
    let mut v = value.to_owned();
    for &l in layers {
        v = match l {
            0 => base64(v.as_bytes(), false),
            1 => base64(v.as_bytes(), true),
            2 => hex(v.as_bytes()),
            3 => percent(v.as_bytes()),
            _ => unicode(v.as_bytes()),
        };
    }
    v
}

const WRAPPERS: [(&str, &str); 6] = [
    ("data = \"", "\""),
    ("config: ", ""),
    ("", ""),
    ("url = https://example.com/?q=", "&x=1"),
    ("<value>", "</value>"),
    ("echo ", " | base64 -d"),
];

/// A tree of files whose secrets are encoded one to six times over, with plain secrets and encoded
/// harmless text beside them.
fn build_encoded_tree(root: &Path, seed: u64) {
    let mut rng = Rng::new(seed);
    for i in 0..30 {
        let mut body = String::new();
        for _ in 0..(10 + rng.below(30)) {
            let line = match rng.below(10) {
                0 => secret_line(&mut rng),
                1 => encode("just some harmless configuration text", &[rng.below(5)]),
                2 => {
                    // Several secrets in one encoded value, over several lines.
                    let text = format!("{}\n{}\n", secret_line(&mut rng), secret_line(&mut rng));
                    encode(&text, &[rng.below(2)])
                }
                3..=5 => {
                    let layers: Vec<usize> = (0..=rng.below(2)).map(|_| rng.below(5)).collect();
                    encode(&secret_line(&mut rng), &layers)
                }
                6 => {
                    let layers: Vec<usize> = (0..3 + rng.below(4)).map(|_| rng.below(3)).collect();
                    encode(&secret_line(&mut rng), &layers)
                }
                7 => {
                    // A plain secret and an encoded one on the same line.
                    format!(
                        "{} {}",
                        secret_line(&mut rng),
                        encode(&secret_line(&mut rng), &[rng.below(3)])
                    )
                }
                _ => "    let value = compute(input, 42);".to_owned(),
            };
            let (pre, post) = WRAPPERS[rng.below(WRAPPERS.len())];
            let _ = writeln!(body, "{pre}{line}{post}");
        }
        let dir = ["src", "config", "deploy"][i % 3];
        let path = root.join(format!("{dir}/enc{i}.txt"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
}

/// (file, start line, end line, start column, end column, rule, secret, match, tags), sorted.
type Full = (
    String,
    usize,
    usize,
    usize,
    usize,
    String,
    String,
    String,
    Vec<String>,
);

fn gitleaks_full(root: &Path, depth: Option<usize>) -> Vec<Full> {
    let gitleaks = provenant_testkit::require_venv_tool("gitleaks", "gitleaks");
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let mut cmd = Command::new(gitleaks);
    cmd.args([
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
    .arg(&report);
    if let Some(d) = depth {
        cmd.args(["--max-decode-depth", &d.to_string()]);
    }
    assert!(cmd.status().unwrap().success(), "gitleaks failed");
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let mut all: Vec<Full> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let n = |k: &str| f[k].as_u64().unwrap() as usize;
            let s = |k: &str| f[k].as_str().unwrap().to_owned();
            let tags = f["Tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            (
                s("File"),
                n("StartLine"),
                n("EndLine"),
                n("StartColumn"),
                n("EndColumn"),
                s("RuleID"),
                s("Secret"),
                s("Match"),
                tags,
            )
        })
        .collect();
    all.sort();
    all
}

fn provenant_full(root: &Path, depth: Option<usize>) -> Vec<Full> {
    let config = secrets::load_config(root, Some(&gitleaks_config_path())).unwrap();
    let mut detector = Detector::new(config);
    if let Some(d) = depth {
        detector = detector.with_max_decode_depth(d);
    }
    let report = secrets::scan(root, &detector, 0).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let mut all: Vec<Full> = report
        .findings
        .into_iter()
        .map(|f| {
            (
                f.file,
                f.start_line,
                f.end_line,
                f.start_column,
                f.end_column,
                f.rule_id,
                f.secret,
                f.matched,
                f.tags,
            )
        })
        .collect();
    all.sort();
    all
}

fn differences(expected: &[Full], actual: &[Full]) -> String {
    let mut s = String::new();
    for e in expected.iter().filter(|e| !actual.contains(e)) {
        let _ = writeln!(s, "only gitleaks: {e:?}");
    }
    for a in actual.iter().filter(|a| !expected.contains(a)) {
        let _ = writeln!(s, "only provenant: {a:?}");
    }
    s
}

#[test]
fn finds_encoded_secrets_as_gitleaks_8_30_1_does() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("encoded");
    build_encoded_tree(&root, 0x00DE_C0DE);
    let expected = gitleaks_full(&root, None);
    let decoded: Vec<&Full> = expected
        .iter()
        .filter(|f| f.8.iter().any(|t| t.starts_with("decode-depth:")))
        .collect();
    assert!(decoded.len() > 50, "too few decoded findings: {}", decoded.len());
    for kind in ["base64", "hex", "percent", "unicode"] {
        let tag = format!("decoded:{kind}");
        assert!(
            decoded.iter().any(|f| f.8.contains(&tag)),
            "no finding tagged {tag}"
        );
    }
    for depth in 1..=4 {
        let tag = format!("decode-depth:{depth}");
        assert!(
            decoded.iter().any(|f| f.8.contains(&tag)),
            "no finding tagged {tag}"
        );
    }
    let actual = provenant_full(&root, None);
    let d = differences(&expected, &actual);
    assert!(
        d.is_empty(),
        "{} gitleaks findings, {} ours; differences:\n{d}",
        expected.len(),
        actual.len()
    );
}

#[test]
fn max_decode_depth_limits_the_passes_as_in_gitleaks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("encoded");
    build_encoded_tree(&root, 0x0000_0DE9);
    for depth in [0, 2] {
        let expected = gitleaks_full(&root, Some(depth));
        assert!(
            expected.iter().all(|f| !f
                .8
                .iter()
                .any(|t| t.starts_with("decode-depth:") && t[13..].parse::<usize>().unwrap() > depth)),
            "gitleaks went deeper than {depth}"
        );
        let actual = provenant_full(&root, Some(depth));
        let d = differences(&expected, &actual);
        assert!(d.is_empty(), "depth {depth}: differences:\n{d}");
    }
}

/// Hostile encoded text: pieces of every encoding's alphabet, nested encodings and newlines in any
/// order, decoded at the largest depth. Detection never panics, and every finding lies inside the text.
mod hostile {
    use proptest::prelude::*;
    use provenant_scan::secrets::config::Config;
    use provenant_scan::secrets::decode::MAX_DECODE_DEPTH;
    use provenant_scan::secrets::detect::{Detector, Fragment};

    const PIECES: [&str; 14] = [
        "%41",
        "%0a",
        "%",
        "\\u0067",
        "\\\\U0068",
        "U+0070 ",
        "6768705f",
        "Z2hwXw==",
        "Z2hwXw",
        "=",
        "\n",
        "ghp_",
        "aGVsbG8gd29ybGQgdG9rZW4=",
        "0123456789abcdefABCDEF",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn decoding_hostile_text_never_panics(picks in proptest::collection::vec(0usize..PIECES.len(), 0..200),
                                              layers in 0usize..4) {
            let mut text: String = picks.iter().map(|&i| PIECES[i]).collect();
            for _ in 0..layers {
                text = super::encode(&text, &[0]);
            }
            let detector = Detector::new(Config::default_rules().unwrap()).with_max_decode_depth(MAX_DECODE_DEPTH);
            let lines = text.lines().count().max(1);
            for f in detector.detect(&Fragment { raw: text.as_bytes(), file: "t", path: "t", start_line: 1 }) {
                prop_assert!(f.start_line >= 1 && f.end_line <= lines + 1, "{} of {lines} lines", f.end_line);
            }
        }
    }
}
