//! ELF package notes (systemd's ELF package metadata specification, `.note.package`): a binary copied out
//! of its package still names it.

use std::process::Command;

use provenant_catalog::{binary, catalog};

/// `dpkg-query`'s answer for `package`'s `field`: the ground truth for a Debian binary's note.
fn dpkg_field(package: &str, field: &str) -> String {
    let o = Command::new(provenant_testkit::require_on_path("dpkg-query"))
        .args(["-W", &format!("-f=${{{field}}}"), package])
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn elf_package_notes_are_component_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    // Debian's systemd writes the note into its programs: busctl, copied out of its package.
    std::fs::copy(
        provenant_testkit::require_on_path("busctl"),
        tmp.path().join("busctl"),
    )
    .unwrap();
    // A program linked here with a note as Fedora writes them (GNU ld's --package-metadata).
    let src = tmp.path().join("hello.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    let note = r#"{"type":"rpm","name":"hello","version":"1.0-1.fc40","architecture":"x86_64","os":"fedora","osCpe":"cpe:/o:fedoraproject:fedora:40"}"#;
    let linked = Command::new(provenant_testkit::require_on_path("gcc"))
        .arg(&src)
        .arg("-o")
        .arg(tmp.path().join("hello"))
        .arg("-Xlinker")
        .arg(format!("--package-metadata={note}"))
        .output()
        .unwrap();
    assert!(
        linked.status.success(),
        "{}",
        String::from_utf8_lossy(&linked.stderr)
    );
    let c = catalog(tmp.path()).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let purls: Vec<&str> = c.components.iter().map(|c| c.purl.as_str()).collect();
    let systemd = format!(
        "pkg:deb/debian/systemd@{}?arch={}",
        dpkg_field("systemd", "Version"),
        dpkg_field("systemd", "Architecture")
    );
    assert!(purls.contains(&systemd.as_str()), "{systemd} not in {purls:?}");
    assert!(
        purls.contains(&"pkg:rpm/fedora/hello@1.0-1.fc40?arch=x86_64"),
        "{purls:?}"
    );
    for comp in &c.components {
        assert_eq!(
            comp.evidence.iter().next().unwrap().method,
            binary::METHOD_PACKAGE_NOTE
        );
    }

    // Hostile notes: sizes past the section, a descriptor that is not JSON, a huge name size.
    let bytes = std::fs::read(tmp.path().join("hello")).unwrap();
    let at = bytes.windows(4).position(|w| w == b"FDO\0").unwrap() - 12;
    for (offset, value) in [(0usize, u32::MAX), (4, u32::MAX), (4, 4096), (0, 5)] {
        let mut b = bytes.clone();
        b[at + offset..at + offset + 4].copy_from_slice(&value.to_le_bytes());
        let w = binary::parse("hello", &b).unwrap_err();
        assert!(w.message.starts_with("unreadable ELF package note"), "{w}");
    }
    let mut b = bytes.clone();
    let json = b.windows(8).position(|w| w == b"{\"type\":").unwrap();
    b[json] = b'[';
    assert!(
        binary::parse("hello", &b)
            .unwrap_err()
            .message
            .contains("not its JSON")
    );
    // Another owner's note is not read.
    let mut b = bytes;
    b[at + 12] = b'X';
    assert!(binary::parse("hello", &b).unwrap().is_empty());
}
