use provenant_digest::checklist::{self, MalformedReason, Style};
use provenant_digest::{Algorithm, Digest};

#[test]
fn reads_every_supported_line_form() {
    let d = Algorithm::Sha256.hash_bytes(b"x");
    let d512 = Algorithm::Sha512.hash_bytes(b"x");
    let input = format!(
        "# comment\n{d}  ours.txt\n{}  coreutils.txt\n{} *binary.txt\nSHA256 (bsd (1).txt) = {}\n\\{}  a\\\\b\\nc\r\n\n{}  long.txt\n",
        d.hex(),
        d.hex(),
        d.hex(),
        d.hex(),
        d512.hex()
    );
    let (entries, malformed) = checklist::parse(input.as_bytes());
    assert!(malformed.is_empty(), "{malformed:?}");
    let got: Vec<(usize, Digest, &[u8])> = entries
        .iter()
        .map(|e| (e.line, e.expected, e.path.as_slice()))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, d, &b"ours.txt"[..]),
            (3, d, b"coreutils.txt"),
            (4, d, b"binary.txt"),
            (5, d, b"bsd (1).txt"),
            (6, d, b"a\\b\nc"),
            (8, d512, b"long.txt"),
        ]
    );
}

#[test]
fn malformed_lines_are_reported_with_line_numbers() {
    let input = b"nonsense\nabcd  short.txt\nsha256:ZZ  bad.txt\n\\deadbeef  x\\q\n";
    let (entries, malformed) = checklist::parse(input);
    assert!(entries.is_empty());
    let lines: Vec<usize> = malformed.iter().map(|m| m.line).collect();
    assert_eq!(lines, vec![1, 2, 3, 4]);
    assert_eq!(malformed[0].reason, MalformedReason::NoSeparator);
    assert_eq!(malformed[1].reason, MalformedReason::UnknownHexLength { len: 4 });
}

#[test]
fn format_escapes_like_coreutils_and_round_trips() {
    let d = Algorithm::Sha256.hash_bytes(b"");
    for path in [&b"plain"[..], b"back\\slash", b"new\nline", b"car\rriage"] {
        for style in [Style::Prefixed, Style::Coreutils] {
            let mut out = Vec::new();
            checklist::format_line(&mut out, &d, path, style);
            let (entries, malformed) = checklist::parse(&out);
            assert!(malformed.is_empty());
            assert_eq!(entries[0].path, path);
            assert_eq!(entries[0].expected, d);
        }
    }
    let mut out = Vec::new();
    checklist::format_line(&mut out, &d, b"a\\b", Style::Coreutils);
    assert_eq!(out, format!("\\{}  a\\\\b\n", d.hex()).into_bytes());
}

#[test]
fn parse_never_panics_on_arbitrary_bytes() {
    use proptest::prelude::*;
    proptest!(|(data in proptest::collection::vec(any::<u8>(), 0..512))| {
        let _ = checklist::parse(&data);
    });
}
