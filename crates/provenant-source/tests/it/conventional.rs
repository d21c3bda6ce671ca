//! The Conventional Commits parser against the specification's examples and hostile input.

use std::fmt::Write as _;

use provenant_source::conventional::{Found, ParseError, Position, Separator, parse};

#[test]
fn spec_example_description_and_breaking_footer() {
    let m = parse(
        "feat: allow provided config object to extend other configs\n\nBREAKING CHANGE: `extends` key in config file is now used for extending other config files\n",
    )
    .unwrap();
    assert!(m.is_type("feat"));
    assert_eq!(m.scope, None);
    assert!(!m.bang);
    assert_eq!(
        m.description,
        "allow provided config object to extend other configs"
    );
    assert_eq!(m.body, None);
    assert_eq!(m.footers.len(), 1);
    assert_eq!(m.footers[0].token, "BREAKING CHANGE");
    assert_eq!(m.footers[0].separator, Separator::Colon);
    assert!(m.is_breaking());
    assert_eq!(
        m.breaking_notes(),
        vec!["`extends` key in config file is now used for extending other config files"]
    );
}

#[test]
fn spec_example_bang() {
    let m = parse("feat!: send an email to the customer when a product is shipped").unwrap();
    assert!(m.bang);
    assert!(m.is_breaking());
    assert_eq!(
        m.breaking_notes(),
        vec!["send an email to the customer when a product is shipped"]
    );
}

#[test]
fn spec_example_scope_and_bang() {
    let m = parse("feat(api)!: send an email to the customer when a product is shipped").unwrap();
    assert_eq!(m.scope.as_deref(), Some("api"));
    assert!(m.bang);
}

#[test]
fn spec_example_bang_and_footer() {
    let m = parse("chore!: drop support for Node 6\n\nBREAKING CHANGE: use JavaScript features not available in Node 6.").unwrap();
    assert!(m.is_type("chore"));
    assert!(m.bang);
    assert_eq!(
        m.breaking_notes(),
        vec!["use JavaScript features not available in Node 6."]
    );
}

#[test]
fn spec_example_no_body() {
    let m = parse("docs: correct spelling of CHANGELOG").unwrap();
    assert!(m.is_type("docs"));
    assert!(!m.is_breaking());
    assert!(m.footers.is_empty());
}

#[test]
fn spec_example_scope() {
    let m = parse("feat(lang): add Polish language").unwrap();
    assert_eq!(m.scope.as_deref(), Some("lang"));
    assert_eq!(m.description, "add Polish language");
}

#[test]
fn spec_example_multi_paragraph_body_and_footers() {
    let m = parse(
        "fix: prevent racing of requests\n\nIntroduce a request id and a reference to latest request. Dismiss\nincoming responses other than from latest request.\n\nRemove timeouts which were used to mitigate the racing issue but are\nobsolete now.\n\nReviewed-by: Z\nRefs: #123\n",
    )
    .unwrap();
    assert!(m.is_type("fix"));
    assert_eq!(
        m.body.as_deref(),
        Some(
            "Introduce a request id and a reference to latest request. Dismiss\nincoming responses other than from latest request.\n\nRemove timeouts which were used to mitigate the racing issue but are\nobsolete now."
        )
    );
    assert_eq!(m.footers.len(), 2);
    assert_eq!(
        (m.footers[0].token.as_str(), m.footers[0].value.as_str()),
        ("Reviewed-by", "Z")
    );
    assert_eq!(
        (m.footers[1].token.as_str(), m.footers[1].value.as_str()),
        ("Refs", "#123")
    );
}

#[test]
fn hash_separator_and_multiline_value() {
    let m = parse("fix(db): close the pool\n\nFixes #42\nBREAKING-CHANGE: the pool is closed\n  on drop now\nAcked-by: Ann\n").unwrap();
    assert_eq!(m.footers.len(), 3);
    assert_eq!(m.footers[0].separator, Separator::Hash);
    assert_eq!(m.footers[0].value, "42");
    assert!(m.footers[1].is_breaking());
    assert_eq!(m.footers[1].value, "the pool is closed\n  on drop now");
    assert_eq!(m.footers[2].token, "Acked-by");
}

#[test]
fn type_is_case_insensitive_but_kept() {
    let m = parse("FEAT: shout").unwrap();
    assert!(m.is_type("feat"));
    assert_eq!(m.kind, "FEAT");
    assert_eq!(m.kind_lowercase(), "feat");
}

#[test]
fn crlf_lines_are_accepted() {
    let m = parse("fix: a\r\n\r\nbody\r\n\r\nRefs: 1\r\n").unwrap();
    assert_eq!(m.body.as_deref(), Some("body"));
    assert_eq!(m.footers[0].value, "1");
}

fn at(line: usize, column: usize) -> Position {
    Position { line, column }
}

#[test]
fn errors_name_what_and_where() {
    let cases: Vec<(&str, ParseError)> = vec![
        ("", ParseError::Empty),
        ("  \n\n", ParseError::Empty),
        (
            "add a thing",
            ParseError::UnexpectedAfterType {
                at: at(1, 4),
                found: Found::Char(' '),
            },
        ),
        (
            ": nothing",
            ParseError::MissingType {
                at: at(1, 1),
                found: Found::Char(':'),
            },
        ),
        (
            "1fix: x",
            ParseError::MissingType {
                at: at(1, 1),
                found: Found::Char('1'),
            },
        ),
        ("feat(api: x", ParseError::UnclosedScope { at: at(1, 5) }),
        ("feat(): x", ParseError::EmptyScope { at: at(1, 5) }),
        ("feat(a(b)): x", ParseError::NestedScope { at: at(1, 7) }),
        (
            "feat(api) : x",
            ParseError::UnexpectedAfterScope {
                at: at(1, 10),
                found: Found::Char(' '),
            },
        ),
        (
            "feat!x: y",
            ParseError::UnexpectedAfterBang {
                at: at(1, 6),
                found: Found::Char('x'),
            },
        ),
        (
            "feat:x",
            ParseError::MissingSpace {
                at: at(1, 6),
                found: Found::Char('x'),
            },
        ),
        (
            "feat:",
            ParseError::MissingSpace {
                at: at(1, 6),
                found: Found::EndOfLine,
            },
        ),
        (
            "feat:  x",
            ParseError::MissingSpace {
                at: at(1, 7),
                found: Found::Char(' '),
            },
        ),
        ("feat: ", ParseError::EmptyDescription { at: at(1, 7) }),
        ("feat: x\nbody right away", ParseError::MissingBlankLine),
        (
            "feat: x\n\nbreaking change: lower",
            ParseError::BreakingNotUppercase {
                at: at(3, 1),
                token: "breaking change".into(),
            },
        ),
        (
            "feat: x\n\nBreaking-Change: mixed",
            ParseError::BreakingNotUppercase {
                at: at(3, 1),
                token: "Breaking-Change".into(),
            },
        ),
        (
            "feat: x\n\nBREAKING CHANGE: \n",
            ParseError::EmptyBreakingChange {
                at: at(3, 16),
                token: "BREAKING CHANGE".into(),
            },
        ),
        (
            "fé: accent",
            ParseError::UnexpectedAfterType {
                at: at(1, 2),
                found: Found::Char('é'),
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(parse(input), Err(expected), "input {input:?}");
    }
}

#[test]
fn error_messages_are_readable() {
    let e = parse("feat(api) : x").unwrap_err().to_string();
    assert_eq!(
        e,
        "line 1, column 10: expected `!` or `: ` after the scope, found a space"
    );
    let e = parse("feat:\u{7}x").unwrap_err().to_string();
    assert_eq!(
        e,
        "line 1, column 6: the colon must be followed by one space and the description, found the control character U+0007"
    );
}

#[test]
fn hostile_inputs_do_not_panic_and_are_bounded() {
    let huge = "a".repeat(provenant_source::conventional::MAX_MESSAGE_BYTES + 1);
    assert!(matches!(parse(&huge), Err(ParseError::TooLong { .. })));
    // Many footers and many lines: linear work.
    let mut many = String::from("fix: x\n\n");
    for i in 0..20_000 {
        writeln!(many, "Refs: #{i}").unwrap();
    }
    assert_eq!(parse(&many).unwrap().footers.len(), 20_000);
    let parens = format!("feat({}): x", "(".repeat(10_000));
    assert!(matches!(parse(&parens), Err(ParseError::NestedScope { .. })));
    for input in [
        "\u{0}",
        "(",
        ")",
        "!",
        ":",
        "a(",
        "a(b",
        "a(b)",
        "a(b)!",
        "a!",
        "a:",
        "\n\n\n",
        "é",
        "a\u{301}: x",
    ] {
        let _ = parse(input);
    }
}
