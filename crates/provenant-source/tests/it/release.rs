//! Versions and changelogs as data: semantic-release's bump rules and deterministic Markdown.

use provenant_source::changelog::{Entry, build};
use provenant_source::conventional::parse;
use provenant_source::version::{Bump, FIRST_RELEASE, Version, bump_for, next};

#[test]
fn release_versions_parse_strictly() {
    assert_eq!(
        Version::parse_release("1.2.3"),
        Some(Version {
            major: 1,
            minor: 2,
            patch: 3
        })
    );
    for bad in [
        "1.2",
        "1.2.3.4",
        "01.2.3",
        "1.2.3-rc.1",
        "1.2.3+build",
        "",
        "a.b.c",
        "1..3",
    ] {
        assert_eq!(Version::parse_release(bad), None, "{bad}");
    }
    let max = Version {
        major: u64::MAX,
        minor: 0,
        patch: 0,
    };
    assert_eq!(
        max.bumped(Bump::Major),
        None,
        "overflow is no version, never a wrap"
    );
}

#[test]
fn bumps_follow_the_commit_analyzer_defaults() {
    let bump = |m: &str| bump_for(&parse(m).unwrap());
    assert_eq!(bump("fix: a"), Bump::Patch);
    assert_eq!(bump("perf: a"), Bump::Patch);
    assert_eq!(bump("Feat: a"), Bump::Minor);
    assert_eq!(bump("docs!: a"), Bump::Major);
    assert_eq!(bump("chore: a\n\nBREAKING-CHANGE: b"), Bump::Major);
    assert_eq!(bump("docs: a"), Bump::None);
    let v = |s| Version::parse_release(s);
    assert_eq!(next(v("0.3.1"), [Bump::Major]), v("1.0.0"));
    assert_eq!(next(v("0.3.1"), [Bump::Minor, Bump::Patch]), v("0.4.0"));
    assert_eq!(next(None, [Bump::Patch]), Some(FIRST_RELEASE));
    assert_eq!(next(v("2.0.0"), [Bump::None]), None);
    assert_eq!(next(None, []), None);
}

#[test]
fn changelog_markdown_is_escaped_and_stable() {
    let entries = [
        Entry {
            id: "1111111111111111111111111111111111111111",
            message: "feat(ui): a [link](x) and <b>",
            merge: false,
        },
        Entry {
            id: "2222222222222222222222222222222222222222",
            message: "Merge branch 'x'",
            merge: true,
        },
        Entry {
            id: "3333333333333333333333333333333333333333",
            message: "custom: thing",
            merge: false,
        },
    ];
    let md = build(&entries).to_markdown("1.0.0", None);
    assert_eq!(
        md,
        "## 1.0.0\n\n### Features\n\n* **ui:** a \\[link\\](x) and \\<b\\> (1111111)\n\n### Type custom\n\n* thing (3333333)\n"
    );
    assert_eq!(build(&[]).to_markdown("x", None), "## x\n\nNo changes.\n");
}
