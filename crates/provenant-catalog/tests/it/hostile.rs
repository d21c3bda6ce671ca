//! Hostile lockfiles: nesting that used to take quadratic time, and padding that used to take memory in
//! proportion to the line count.

use provenant_catalog::{Warning, bound, cargo, pip, pnpm, pylock, uvlock, yarn};

/// The column a depth warning names, which says how far into the line the reader went.
fn column(w: &Warning) -> usize {
    w.message
        .strip_prefix("column ")
        .and_then(|m| m.split(':').next())
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no column in {w}"))
}

#[test]
fn quadratic_time_in_pnpm_and_yarn_berry_lockfiles() {
    let pnpm_head = "lockfileVersion: '9.0'\n\npackages:\n  x: ";
    let berry_head = "__metadata:\n  version: 8\n\n\"a@npm:1.0.0\":\n  resolution: ";
    // Nested brackets, also behind the things a plain scalar takes in: a quote after a space, a comment
    // sign inside a word, and a quoted scalar holding closing brackets.
    let units = [
        ("[", 400_000),
        ("{", 400_000),
        ("[a 'b, ", 100_000),
        ("{k: \"]]]}}\", v: ", 100_000),
        ("[x#y, ", 100_000),
    ];
    for (unit, n) in units {
        let body = unit.repeat(n);
        let w = pnpm::parse("pnpm-lock.yaml", format!("{pnpm_head}{body}").as_bytes()).unwrap_err();
        assert_eq!(w.line, Some(4), "{w}");
        assert!(w.message.contains("nest deeper than 128"), "{w}");
        // It stops at the limit: the column is where the 129th level opened, not the end of the line.
        assert!(column(&w) < 200 * unit.len(), "{w}");
        let w = yarn::parse("yarn.lock", format!("{berry_head}{body}").as_bytes(), None).unwrap_err();
        assert_eq!(w.line, Some(5), "{w}");
        assert!(column(&w) < 200 * unit.len(), "{w}");
    }
    // Brackets that open no flow collection do not count: in quoted scalars, comments, block scalars and
    // block-context plain scalars.
    let fine = format!(
        "lockfileVersion: '9.0'\n# {b}\nimporters:\n  .:\n    specifiers: {{}}\npackages:\n  x@1.0.0:\n    \
         resolution: {{integrity: \"{b}\"}}\n    a: '{b}'\n    c: x {b}\n    d: |\n      {b}\n",
        b = "[".repeat(1000)
    );
    assert!(bound::yaml_flow_depth("pnpm-lock.yaml", &fine).is_ok());
    assert!(pnpm::parse("pnpm-lock.yaml", fine.as_bytes()).is_ok());
}

#[test]
fn memory_amplification_in_lockfile_parsers_padding_is_not_parsed() {
    // The padding never reaches the TOML parser: what it is given is the content alone.
    let lock =
        std::fs::read_to_string(provenant_testkit::repo_root().join("testdata/sbom/cargo-v4/Cargo.lock"))
            .unwrap();
    let padded = format!("{lock}{}", "\n#\n  \n".repeat(100_000));
    assert_eq!(bound::toml_content(&padded), bound::toml_content(&lock));
    assert_eq!(
        cargo::parse("Cargo.lock", padded.as_bytes()).unwrap(),
        cargo::parse("Cargo.lock", lock.as_bytes()).unwrap()
    );
    // Errors still name the line of the file as written.
    let bad = format!("version = 4\n{}[[package]]\nname = 1\n", "\n".repeat(1000));
    let w = cargo::parse("Cargo.lock", bad.as_bytes()).unwrap_err();
    assert_eq!(w.line, Some(1003), "{w}");
    // Content beyond the bound is refused, before any value is built.
    let dense = format!("version = 4\nx = [{}]\n", "1,".repeat(bound::MAX_VALUES));
    let w = cargo::parse("Cargo.lock", dense.as_bytes()).unwrap_err();
    assert!(
        w.message
            .contains("more than the 4000000 a lockfile is read with"),
        "{w}"
    );
    for (name, r) in [
        ("uv.lock", uvlock::parse("uv.lock", dense.as_bytes()).map(|_| ())),
        (
            "poetry.lock",
            pylock::parse_poetry("poetry.lock", dense.as_bytes(), None).map(|_| ()),
        ),
    ] {
        assert!(r.unwrap_err().message.contains("values, more than"), "{name}");
    }
    // requirements.txt is read a line at a time: blank lines cost nothing and pins are still found.
    let (found, warnings) = pip::parse(
        "requirements.txt",
        format!("six==1.16.0\n{}", "\n".repeat(1 << 20)).as_bytes(),
    );
    assert_eq!(found.len(), 1);
    assert!(warnings.is_empty());
}
