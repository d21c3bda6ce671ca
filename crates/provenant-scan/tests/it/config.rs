//! gitleaks' own configuration (8.30.1, read in place from the vectors) and Provenant's defaults load.

use provenant_scan::secrets::config::{Config, ConfigError, ExtendError, ExtendResolver, NoExtend};

pub(crate) fn gitleaks_config_path() -> std::path::PathBuf {
    provenant_testkit::vectors_dir().join("gitleaks/gitleaks-8.30.1.toml")
}

#[test]
fn gitleaks_8_30_1_config_compiles_every_rule() {
    let text = std::fs::read_to_string(gitleaks_config_path()).unwrap();
    let config = Config::parse(&text, "gitleaks-8.30.1.toml", &NoExtend).unwrap();
    assert_eq!(config.unsupported, vec![], "patterns the regex crate refused");
    assert_eq!(config.rules.len(), 222);
    assert_eq!(config.allowlists.len(), 1);
    let generic = config.rules.iter().find(|r| r.id == "generic-api-key").unwrap();
    assert_eq!(generic.allowlists.len(), 4);
}

#[test]
fn default_rules_compile() {
    let config = Config::default_rules().unwrap();
    assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
    assert!(config.rules.len() >= 14);
}

struct Map(Vec<(&'static str, &'static str)>);

impl ExtendResolver for Map {
    fn read(&self, path: &str) -> Result<String, ExtendError> {
        self.0
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| (*t).to_owned())
            .ok_or_else(|| {
                ExtendError::Read(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no {path}"),
                ))
            })
    }
}

#[test]
fn extend_path_merges_and_disables_rules() {
    let base = r#"
[[rules]]
id = "a"
regex = '''aaa(\d+)'''
keywords = ["aaa"]
[[rules]]
id = "b"
regex = '''bbb'''
"#;
    let top = r#"
[extend]
path = "base.toml"
disabledRules = ["b"]
[[rules]]
id = "a"
description = "overridden"
[rules.allowlist]
stopwords = ["zz"]
"#;
    let config = Config::parse(top, "top.toml", &Map(vec![("base.toml", base)])).unwrap();
    assert_eq!(config.rules.len(), 1);
    let a = &config.rules[0];
    assert_eq!(a.description, "overridden");
    assert!(a.regex.is_some());
    assert_eq!(a.allowlists.len(), 1);
}

#[test]
fn invalid_configurations_name_the_problem() {
    let cases = [
        ("[[rules]]\nid = \"x\"\n", "both regex and path are empty"),
        (
            "[[rules]]\nid = \"x\"\nregex = 'a'\nsecretGroup = 2\n",
            "invalid regex secret group 2",
        ),
        (
            "[[rules]]\nid = \"x\"\nregex = 'a'\n[[rules.allowlists]]\ndescription = \"d\"\n",
            "at least one check",
        ),
        (
            "[[rules]]\nid = \"x\"\nregex = 'a'\n[[rules.allowlists]]\ncondition = \"xor\"\nstopwords=['a']\n",
            "unknown allowlist condition",
        ),
        (
            "[[allowlists]]\ntargetRules = [\"nope\"]\nstopwords=['a']\n[[rules]]\nid = \"x\"\nregex = 'a'\n",
            "target rule ID 'nope'",
        ),
        (
            "[extend]\nuseDefault = true\npath = 'x'\n",
            "extend.path and extend.useDefault",
        ),
        ("title = [", "not valid TOML"),
    ];
    for (text, expected) in cases {
        let err = Config::parse(text, "c.toml", &NoExtend).unwrap_err().to_string();
        assert!(err.contains(expected), "{text:?}: {err}");
    }
}

#[test]
fn an_uncompilable_pattern_is_reported_not_dropped() {
    let text = "[[rules]]\nid = \"backref\"\nregex = '''(a)\\1'''\n[[rules]]\nid = \"ok\"\nregex = 'b'\n";
    let config = Config::parse(text, "c.toml", &NoExtend).unwrap();
    assert_eq!(config.rules.len(), 1);
    assert_eq!(config.unsupported.len(), 1);
    assert_eq!(config.unsupported[0].rule_id, "backref");
}

/// An `[extend] path` that cannot be read says which file extends which and why, typed.
#[test]
fn an_unreadable_extend_path_is_a_typed_error() {
    let top = "[extend]\npath = \"base.toml\"\n";
    let err = Config::parse(top, "top.toml", &NoExtend).unwrap_err();
    assert_eq!(
        err.to_string(),
        "top.toml: cannot read the extended configuration base.toml: extending base.toml is not allowed here"
    );
    assert!(
        matches!(&err, ConfigError::Extend { reason: ExtendError::NotAllowed { path }, .. } if path == "base.toml"),
        "{err:?}"
    );
    let err = Config::parse(top, "top.toml", &Map(vec![])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "top.toml: cannot read the extended configuration base.toml: no base.toml"
    );
    assert!(
        matches!(&err, ConfigError::Extend { reason: ExtendError::Read(e), .. } if e.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
}
