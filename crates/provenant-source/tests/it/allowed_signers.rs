//! git's allowed-signers format: options, quoting, patterns and errors naming the line.

use provenant_source::allowed_signers::{
    AllowedSigners, ParseError, PatternMatch, match_pattern_list, wildcard_match,
};

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGr7PwIVrR7XaRdnEytKSnsl6g5R2AuHDP3dSEE2H8dy";

#[test]
fn lines_with_and_without_options() {
    let text = format!(
        "# comment\n\nalice@example.com {KEY} alice's laptop\n\"bob@example.com,carol@example.com\" NAMESPACES=\"git,file\",valid-after=20240101,valid-before=202501011230Z {KEY}\n*@example.org cert-authority {KEY}\n"
    );
    let s = AllowedSigners::parse(&text).unwrap();
    let e = s.entries();
    assert_eq!(e.len(), 3);
    assert_eq!(
        (e[0].line, e[0].principals.clone(), e[0].namespaces.clone()),
        (3, vec!["alice@example.com".to_owned()], None)
    );
    assert_eq!(
        e[1].principals,
        vec!["bob@example.com".to_owned(), "carol@example.com".to_owned()]
    );
    assert_eq!(e[1].namespaces, Some(vec!["git".to_owned(), "file".to_owned()]));
    assert_eq!(e[1].valid_after, Some(1_704_067_200));
    assert_eq!(e[1].valid_before, Some(1_735_734_600));
    assert!(e[2].cert_authority);
}

#[test]
fn errors_name_the_line() {
    let cases = [
        (
            format!("a@b {KEY}\n\"a@b {KEY}\n"),
            ParseError::UnterminatedQuote { line: 2 },
        ),
        ("a@b\n".to_owned(), ParseError::MissingKey { line: 1 }),
        (
            format!("a@b restrict {KEY}\n"),
            ParseError::UnknownOption {
                line: 1,
                option: "restrict".into(),
            },
        ),
        (
            format!("a@b valid-after {KEY}\n"),
            ParseError::MissingValue {
                line: 1,
                option: "valid-after".into(),
            },
        ),
        (
            format!("a@b valid-after=20231301 {KEY}\n"),
            ParseError::BadTimestamp {
                line: 1,
                value: "20231301".into(),
            },
        ),
        (
            format!("a@b valid-after=2023 {KEY}\n"),
            ParseError::BadTimestamp {
                line: 1,
                value: "2023".into(),
            },
        ),
        (
            format!("a@b valid-before=20230229 {KEY}\n"),
            ParseError::BadTimestamp {
                line: 1,
                value: "20230229".into(),
            },
        ),
        (format!(", {KEY}\n"), ParseError::EmptyPrincipals { line: 1 }),
    ];
    for (text, expected) in cases {
        assert_eq!(AllowedSigners::parse(&text).unwrap_err(), expected, "{text}");
    }
    let err = AllowedSigners::parse("a@b ssh-ed25519 AAAAnot-a-key\n").unwrap_err();
    assert!(matches!(err, ParseError::BadKey { line: 1, .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("line 1: the ssh-ed25519 key does not parse"),
        "{err}"
    );
}

#[test]
fn patterns_as_openssh() {
    assert!(wildcard_match("alice@example.com", "*@example.com"));
    assert!(wildcard_match("alice@example.com", "al?ce@*"));
    assert!(wildcard_match("", "*"));
    assert!(!wildcard_match("alice@example.com", "*@example.org"));
    assert!(!wildcard_match("alice@example.com", "Alice@example.com"));
    let list = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        match_pattern_list("a@x", &list("*@x,!a@x")),
        PatternMatch::Negated
    );
    assert_eq!(
        match_pattern_list("b@x", &list("*@x,!a@x")),
        PatternMatch::Positive
    );
    assert_eq!(match_pattern_list("b@y", &list("*@x,!a@x")), PatternMatch::None);
}

#[test]
fn hostile_patterns_are_bounded() {
    let s = "a".repeat(5_000);
    let p = format!("{}b", "*a".repeat(2_000));
    assert!(!wildcard_match(&s, &p));
}
