//! Java: archives as Debian ships them plus a `.war` written by the JDK's `jar` tool (ground truth: their
//! `pom.properties` as `unzip` extracts them), and a `pom.xml` and `gradle.lockfile` hand-written to the
//! Maven POM 4.0.0 reference and Gradle's locking format (testdata/sbom/make-fixtures.sh).

use std::collections::BTreeSet;
use std::io::Write as _;

use sha2::Digest as _;

use crate::support::{expected, fixture, found};
use provenant_catalog::{catalog, java};
use provenant_sbom::Scope;

#[test]
fn jars_and_nested_war_equal_their_pom_properties() {
    let c = catalog(&fixture("java-jars")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.files, ["app.war", "lib/aopalliance.jar", "lib/commons-cli.jar"]);
    assert_eq!(found(&c.components), expected("java-jars"));
    let cli: Vec<_> = c
        .components
        .iter()
        .filter(|c| c.name == "commons-cli:commons-cli")
        .collect();
    assert_eq!(cli.len(), 2, "the jar on its own and inside the war");
    assert_eq!(cli[0].purl.as_str(), "pkg:maven/commons-cli/commons-cli@1.5.0");
    let evidence: BTreeSet<&str> = cli
        .iter()
        .flat_map(|c| c.evidence.iter().map(|e| e.file.as_str()))
        .collect();
    assert_eq!(
        evidence,
        BTreeSet::from(["app.war!/WEB-INF/lib/commons-cli.jar", "lib/commons-cli.jar"])
    );
    // The archive's own SHA-256 (one pom.properties: the archive is that artefact).
    let bytes = std::fs::read(fixture("java-jars").join("lib/commons-cli.jar")).unwrap();
    let want =
        provenant_sbom::HashValue::from_bytes(provenant_sbom::HashAlg::Sha256, &sha2::Sha256::digest(&bytes))
            .unwrap();
    let standalone = cli
        .iter()
        .find(|c| c.evidence.iter().any(|e| e.file == "lib/commons-cli.jar"))
        .unwrap();
    assert!(standalone.hashes.contains(&want));
}

#[test]
fn pom_xml_resolves_properties_within_the_file() {
    let c = catalog(&fixture("maven-pom")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(found(&c.components), expected("maven-pom"));
    assert!(c.components.iter().all(|c| c.scope == Scope::Direct));
    let guava = c
        .components
        .iter()
        .find(|c| c.name == "com.google.guava:guava")
        .unwrap();
    assert_eq!(guava.purl.as_str(), "pkg:maven/com.google.guava/guava@33.2.0-jre");
}

#[test]
fn pom_without_versions_or_with_unknown_properties_warns_per_line() {
    let pom = "<project>\n<dependencies>\n<dependency><groupId>a</groupId><artifactId>b</artifactId></dependency>\n\
               <dependency><groupId>a</groupId><artifactId>c</artifactId><version>${nope}</version></dependency>\n\
               <dependency><groupId>a</groupId><artifactId>d</artifactId><version>${x}</version></dependency>\n\
               </dependencies>\n<properties><x>${y}</x><y>${x}</y></properties>\n</project>\n";
    let (comps, warnings) = java::parse_pom("pom.xml", pom.as_bytes());
    assert!(comps.is_empty());
    let lines: Vec<Option<usize>> = warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [Some(3), Some(4), Some(5)], "{warnings:?}");
    // Entity expansion is refused (no DTD), and so is a document that is not a POM.
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><project>&b;</project>";
    let (c, w) = java::parse_pom("pom.xml", bomb.as_bytes());
    assert!(c.is_empty() && w.len() == 1, "{w:?}");
    let (_, w) = java::parse_pom("pom.xml", b"<settings/>");
    assert!(w[0].message.contains("<project>"), "{w:?}");
}

#[test]
fn gradle_lockfile_lists_every_locked_module() {
    let c = catalog(&fixture("gradle-lock")).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(found(&c.components), expected("gradle-lock"));
    let w = java::parse_gradle_lock("gradle.lockfile", b"# c\na:b:1=x\nbroken=y\n").unwrap_err();
    assert_eq!(w.line, Some(3), "{w}");
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    // A stored-only zip written per APPNOTE 4.3 (local headers, central directory, end record).
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let off = u32::try_from(out.len()).unwrap();
        let len = u32::try_from(data.len()).unwrap();
        let n = u16::try_from(name.len()).unwrap();
        out.write_all(b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0")
            .unwrap();
        out.write_all(&len.to_le_bytes()).unwrap();
        out.write_all(&len.to_le_bytes()).unwrap();
        out.write_all(&n.to_le_bytes()).unwrap();
        out.write_all(&0u16.to_le_bytes()).unwrap();
        out.write_all(name.as_bytes()).unwrap();
        out.write_all(data).unwrap();
        central
            .write_all(b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0\0\0\0\0")
            .unwrap();
        central.write_all(&len.to_le_bytes()).unwrap();
        central.write_all(&len.to_le_bytes()).unwrap();
        central.write_all(&n.to_le_bytes()).unwrap();
        central.write_all(&[0u8; 12]).unwrap();
        central.write_all(&off.to_le_bytes()).unwrap();
        central.write_all(name.as_bytes()).unwrap();
    }
    let cd_off = u32::try_from(out.len()).unwrap();
    let cd_len = u32::try_from(central.len()).unwrap();
    let count = u16::try_from(entries.len()).unwrap();
    out.extend_from_slice(&central);
    out.write_all(b"PK\x05\x06\0\0\0\0").unwrap();
    out.write_all(&count.to_le_bytes()).unwrap();
    out.write_all(&count.to_le_bytes()).unwrap();
    out.write_all(&cd_len.to_le_bytes()).unwrap();
    out.write_all(&cd_off.to_le_bytes()).unwrap();
    out.write_all(&0u16.to_le_bytes()).unwrap();
    out
}

#[test]
fn archives_nest_to_a_bounded_depth_and_corruption_warns() {
    let props: &[u8] = b"groupId=g\nartifactId=a\nversion=1\n";
    let inner = zip_with(&[("META-INF/maven/g/a/pom.properties", props)]);
    let mut nested = inner.clone();
    for _ in 0..4 {
        nested = zip_with(&[("lib/x.jar", &nested)]);
    }
    // Depth 0 and two levels of nesting are read; the artefact five levels down is not reached, and
    // the archive left unread is named in a warning.
    let (c, w) = java::parse_archive("deep.jar", &nested);
    assert!(c.is_empty(), "{c:?}");
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].file, "deep.jar!/lib/x.jar!/lib/x.jar");
    assert_eq!(
        w[0].message,
        "entry lib/x.jar is an archive nested deeper than 2 levels: not read"
    );
    let (c, _) = java::parse_archive("ok.jar", &zip_with(&[("lib/x.jar", &inner)]));
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].evidence.iter().next().unwrap().file, "ok.jar!/lib/x.jar");
    // Truncation and garbage: warnings, never a panic.
    let good = zip_with(&[("META-INF/maven/g/a/pom.properties", props)]);
    for cut in 0..good.len() {
        let _ = java::parse_archive("t.jar", &good[..cut]);
    }
    let (c, w) = java::parse_archive("t.jar", b"PK\x05\x06garbage");
    assert!(c.is_empty() && !w.is_empty());
}

proptest::proptest! {
    #[test]
    fn any_bytes_as_archive_or_pom_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        let mut z = b.clone();
        z.extend_from_slice(b"PK\x05\x06");
        z.extend_from_slice(&b[..b.len().min(18)]);
        let _ = java::parse_archive("x.jar", &z);
        let _ = java::parse_pom("pom.xml", &b);
        let _ = java::parse_gradle_lock("gradle.lockfile", &b);
    }
}
