//! CODEOWNERS with GitHub's documented examples, and review approvals in GitHub's REST shape.

use provenant_source::codeowners::{CodeOwners, Owner, ParseError};
use provenant_source::reviews::{self, Members, approvals};

/// GitHub's example file ("About code owners"), trimmed to the rules the assertions use.
const GITHUB_EXAMPLE: &str = r"# This is a comment.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
/sub/ @sub-owner
/sub/pkg @pkg-owner
";

fn owners(c: &CodeOwners, path: &str) -> Option<Vec<String>> {
    c.owners_of(path)
        .map(|o| o.rule.owners.iter().map(Owner::spelling).collect())
}

#[test]
fn github_examples() {
    let c = CodeOwners::parse(GITHUB_EXAMPLE).unwrap();
    let v = |s: &[&str]| Some(s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>());
    assert_eq!(owners(&c, "README.md"), v(&["@global-owner1", "@global-owner2"]));
    assert_eq!(
        owners(&c, "src/app.js"),
        v(&["@js-owner"]),
        "inline comment is not an owner"
    );
    assert_eq!(owners(&c, "main.go"), v(&["docs@example.com"]));
    assert_eq!(owners(&c, "notes/a.txt"), v(&["@octo-org/octocats"]));
    // `/build/logs/` matches, but `**/logs` (line 11) matches too and comes later: the last match wins.
    assert_eq!(owners(&c, "build/logs/x.log"), v(&["@octocat"]));
    assert_eq!(c.owners_of("build/logs/x.log").unwrap().rule.line, 11);
    // `docs/*` matches docs/getting-started.md but not nested files; `/docs/` (later) wins for both.
    assert_eq!(owners(&c, "docs/getting-started.md"), v(&["@doctocat"]));
    assert_eq!(owners(&c, "docs/build-app/troubleshooting.md"), v(&["@doctocat"]));
    // `**/logs` matches a logs directory anywhere.
    assert_eq!(owners(&c, "deep/down/logs/today.log"), v(&["@octocat"]));
    // `/apps/github` with no owner leaves that subtree unowned; the rule still matched.
    let o = c.owners_of("apps/github/index.js").unwrap();
    assert!(o.rule.owners.is_empty());
    assert_eq!(o.rule.line, 13);
    assert_eq!(owners(&c, "apps/main/index.js"), v(&["@octocat"]));
    assert_eq!(owners(&c, "sub/pkg/lib.rs"), v(&["@pkg-owner"]));
    assert_eq!(owners(&c, "sub/other.rs"), v(&["@sub-owner"]));
}

#[test]
fn docs_star_does_not_reach_nested_files() {
    let c = CodeOwners::parse("docs/*  docs@example.com\n").unwrap();
    assert!(c.owners_of("docs/getting-started.md").is_some());
    assert!(c.owners_of("docs/build-app/troubleshooting.md").is_none());
    let c = CodeOwners::parse("apps/ @octocat\n").unwrap();
    assert!(c.owners_of("x/apps/y/z.js").is_some());
    assert!(
        c.owners_of("apps").is_none(),
        "a directory pattern does not match a file of that name"
    );
    let c = CodeOwners::parse("/docs/**/*.md @d\n").unwrap();
    assert!(c.owners_of("docs/a.md").is_some());
    assert!(c.owners_of("docs/x/y/a.md").is_some());
    assert!(c.owners_of("other/docs/a.md").is_none());
}

#[test]
fn last_match_wins() {
    let c = CodeOwners::parse("*.rs @rust\n* @everyone\n").unwrap();
    assert_eq!(owners(&c, "src/lib.rs"), Some(vec!["@everyone".to_owned()]));
}

#[test]
fn unsupported_gitignore_syntax_is_refused_with_the_line() {
    let cases = [
        ("* @a\n!*.md @b\n", 2, "`!` negation"),
        ("*.[ch] @a\n", 1, "a `[ ]` character range"),
        ("\\#file @a\n", 1, "a `\\#` escape"),
    ];
    for (text, line, feature) in cases {
        match CodeOwners::parse(text).unwrap_err() {
            ParseError::Unsupported {
                line: l, feature: f, ..
            } => assert_eq!((l, f), (line, feature), "{text}"),
            other => panic!("{text}: {other}"),
        }
    }
    assert_eq!(
        CodeOwners::parse("* @a not-an-owner\n").unwrap_err(),
        ParseError::BadOwner {
            line: 1,
            owner: "not-an-owner".into()
        }
    );
}

#[test]
fn hostile_patterns_are_bounded() {
    let pattern = "**/".repeat(2_000) + "x";
    let c = CodeOwners::parse(&format!("{pattern} @a\n")).unwrap();
    let path = "a/".repeat(2_000) + "y";
    assert!(c.owners_of(&path).is_none());
}

const HEAD: &str = "1111111111111111111111111111111111111111";
const OLD: &str = "2222222222222222222222222222222222222222";

fn review(id: u64, login: &str, state: &str, commit: &str, at: &str) -> String {
    format!(
        r#"{{"id":{id},"node_id":"x","user":{{"login":"{login}","id":1,"type":"User"}},"body":"","state":"{state}","html_url":"https://github.com/o/r/pull/1#pullrequestreview-{id}","author_association":"MEMBER","submitted_at":"{at}","commit_id":"{commit}"}}"#
    )
}

#[test]
fn latest_state_per_user_counts() {
    let json = format!(
        "[{},{},{},{},{},{},{}]",
        review(1, "alice", "APPROVED", HEAD, "2024-01-01T10:00:00Z"),
        review(2, "alice", "COMMENTED", HEAD, "2024-01-01T11:00:00Z"),
        review(3, "bob", "APPROVED", HEAD, "2024-01-01T10:00:00Z"),
        review(4, "bob", "CHANGES_REQUESTED", HEAD, "2024-01-01T12:00:00Z"),
        review(5, "Carol", "APPROVED", OLD, "2024-01-01T10:00:00Z"),
        review(6, "author", "APPROVED", HEAD, "2024-01-01T10:00:00Z"),
        review(7, "dave", "DISMISSED", HEAD, "2024-01-01T13:00:00Z"),
    );
    let parsed = reviews::parse_reviews(json.as_bytes()).unwrap();
    let a = approvals(&parsed, "Author", HEAD);
    assert_eq!(
        a.approved.into_iter().collect::<Vec<_>>(),
        vec!["alice".to_owned()]
    );
    assert_eq!(a.stale.into_iter().collect::<Vec<_>>(), vec!["carol".to_owned()]);
    assert!(a.author_approved);
}

#[test]
fn reviews_errors_name_the_problem() {
    let err = reviews::parse_reviews(br#"[{"id":1,"user":null,"state":"LGTM"}]"#).unwrap_err();
    assert_eq!(err.to_string(), "review 1 has the unknown state LGTM");
    let err = reviews::parse_reviews(b"{\"id\": 1}").unwrap_err();
    assert!(
        err.to_string().starts_with("the reviews file is not valid"),
        "{err}"
    );
}

#[test]
fn teams_and_emails_resolve_through_the_mapping() {
    let m = Members::parse(br#"{"@Octo-Org/Octocats": ["Alice", "@bob"], "docs@example.com": ["carol"]}"#)
        .unwrap();
    let team = Owner::Team("octo-org/octocats".into());
    assert_eq!(
        m.logins(&team).unwrap().into_iter().collect::<Vec<_>>(),
        vec!["alice".to_owned(), "bob".to_owned()]
    );
    assert_eq!(
        m.logins(&Owner::Email("docs@example.com".into())).unwrap().len(),
        1
    );
    assert!(m.logins(&Owner::Team("octo-org/other".into())).is_none());
    assert_eq!(
        m.logins(&Owner::User("Dave".into()))
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["dave".to_owned()]
    );
}
