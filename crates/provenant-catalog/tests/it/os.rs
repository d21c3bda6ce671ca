//! Operating system packages: Debian licences from machine-readable copyright files, the Alpine apk
//! installed database.

use crate::support::{expected, found};
use provenant_catalog::{catalog, debcopyright};

const STATUS: &str = "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n\n\
    Package: tar\nStatus: install ok installed\nVersion: 1.34+dfsg-1.2\nArchitecture: amd64\n\n\
    Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n\n\
    Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2\nArchitecture: amd64\n\n\
    Package: linked\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n";

const DEP5: &str =
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n\n";

#[test]
fn dpkg_licences_come_from_machine_readable_copyright_files() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("var/lib/dpkg")).unwrap();
    std::fs::write(r.join("var/lib/dpkg/status"), STATUS).unwrap();
    let doc = |pkg: &str, text: &str| {
        std::fs::create_dir_all(r.join("usr/share/doc").join(pkg)).unwrap();
        std::fs::write(r.join("usr/share/doc").join(pkg).join("copyright"), text).unwrap();
    };
    doc(
        "zlib1g",
        &format!("{DEP5}Files: *\nCopyright: 1995 Jean-loup Gailly\nLicense: Zlib\n\nLicense: Zlib\n text\n"),
    );
    doc(
        "tar",
        &format!(
            "{DEP5}Files: *\nCopyright: FSF\nLicense: GPL-3+\n\nFiles: lib/*\nCopyright: FSF\nLicense: GPL-3+ with Bison exception\n\n\
             Files: doc/*\nCopyright: FSF\nLicense: GFDL-NIV-1.3 or Expat\n"
        ),
    );
    doc(
        "libc6",
        "This is the Debian prepackaged version of the GNU C Library.\n",
    );
    doc(
        "bash",
        &format!(
            "{DEP5}Files: *\nCopyright: x\nLicense: GPL-3+\n\nFiles: y\nCopyright: y\nLicense: MIT-like\n"
        ),
    );
    // A doc directory that is a symbolic link (possibly out of the root filesystem) is not followed.
    std::fs::create_dir_all(r.join("elsewhere")).unwrap();
    std::fs::write(
        r.join("elsewhere/copyright"),
        format!("{DEP5}Files: *\nCopyright: x\nLicense: MIT\n"),
    )
    .unwrap();
    std::os::unix::fs::symlink(r.join("elsewhere"), r.join("usr/share/doc/linked")).unwrap();
    let c = catalog(r).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let lic = |n: &str| c.components.iter().find(|c| c.name == n).unwrap().license.clone();
    assert_eq!(lic("zlib1g").as_deref(), Some("Zlib"));
    assert_eq!(
        lic("tar").as_deref(),
        Some(
            "(GFDL-1.3-no-invariants-only OR MIT) AND GPL-3.0-or-later AND (GPL-3.0-or-later WITH Bison-exception-2.2)"
        )
    );
    assert_eq!(lic("libc6"), None, "free-form copyright file");
    // MIT-like has no SPDX equivalent: kept as a LicenseRef with the file's text, nothing dropped.
    let bash = c.components.iter().find(|c| c.name == "bash").unwrap();
    let bash_licence = bash.license.as_deref().unwrap();
    assert!(
        bash_licence.starts_with("GPL-3.0-or-later AND LicenseRef-MIT-like-"),
        "{bash_licence}"
    );
    assert_eq!(bash.license_texts.len(), 1);
    let (id, text) = bash.license_texts.iter().next().unwrap();
    assert!(bash_licence.ends_with(id.as_str()));
    assert!(text.contains("MIT-like"), "{text}");
    assert_eq!(lic("linked"), None, "symbolic link not followed");
}

#[test]
fn debian_short_names_translate_to_spdx() {
    let one =
        |l: &str| debcopyright::license(format!("{DEP5}Files: *\nCopyright: x\nLicense: {l}\n").as_bytes());
    let expr = |l: &str| one(l).map(|l| l.expression);
    assert_eq!(expr("GPL-2").as_deref(), Some("GPL-2.0-only"));
    assert_eq!(expr("LGPL-2.1+").as_deref(), Some("LGPL-2.1-or-later"));
    assert_eq!(
        expr("Artistic or GPL-1+").as_deref(),
        Some("Artistic-1.0-Perl OR GPL-1.0-or-later")
    );
    assert_eq!(expr("BSD-3-clause").as_deref(), Some("BSD-3-Clause"));
    assert_eq!(
        expr("Apache-2.0 and/or Expat").as_deref(),
        Some("Apache-2.0 OR MIT")
    );
    // A free-form file: the common licences it refers to.
    let free = debcopyright::license(
        b"This is the Debian version of foo.\n\nSee /usr/share/common-licenses/LGPL-2.1 and\n\
          /usr/share/common-licenses/GPL-2. The manual: /usr/share/common-licenses/GFDL.\n",
    )
    .unwrap();
    assert!(
        free.expression
            .starts_with("GPL-2.0-only AND LGPL-2.1-only AND LicenseRef-GFDL-")
            || free.expression.contains("LicenseRef-GFDL-"),
        "{free:?}"
    );
    assert!(free.expression.contains("GPL-2.0-only") && free.expression.contains("LGPL-2.1-only"));
    assert_eq!(free.texts.len(), 1);
    let pd = one("public-domain").unwrap();
    assert!(pd.expression.starts_with("LicenseRef-public-domain-"), "{pd:?}");
    // Its text: the standalone licence paragraph of that name.
    let with_text = debcopyright::license(
        format!(
            "{DEP5}Files: *\nCopyright: x\nLicense: public-domain or GPL-2+ with OpenSSL exception\n\n\
             License: public-domain\n The author places this in the public domain.\n .\n No warranty.\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let ids: Vec<&String> = with_text.texts.keys().collect();
    assert_eq!(ids.len(), 2, "{with_text:?}");
    assert!(
        with_text
            .expression
            .contains(" OR LicenseRef-GPL-2.0-or-later-with-openssl-exception-"),
        "{with_text:?}"
    );
    let pd_text = with_text
        .texts
        .iter()
        .find(|(id, _)| id.starts_with("LicenseRef-public-domain-"))
        .unwrap()
        .1;
    assert_eq!(
        pd_text,
        "The author places this in the public domain.\n\nNo warranty."
    );
    // Different texts of the same name get different ids.
    assert_ne!(pd.expression, with_text.expression.split(' ').next().unwrap());
    let header = format!(
        "{}\nLicense: Apache-2.0\n\nFiles: *\nCopyright: x\nLicense: public-domain\n",
        DEP5.trim_end()
    );
    assert_eq!(
        debcopyright::license(header.as_bytes())
            .map(|l| l.expression)
            .as_deref(),
        Some("Apache-2.0"),
        "header licence wins"
    );
}

/// This machine's Debian database: machine-readable copyright files give licences to many packages.
#[test]
fn host_debian_packages_get_licences() {
    let c = catalog(std::path::Path::new("/var/lib/dpkg/status")).unwrap();
    let with = c.components.iter().filter(|c| c.license.is_some()).count();
    assert!(with * 4 > c.components.len(), "{with} of {}", c.components.len());
    if let Some(z) = c.components.iter().find(|c| c.name == "zlib1g") {
        assert_eq!(z.license.as_deref(), Some("Zlib"));
    }
}

/// Hand-written to the apk database format (no apk tool in this environment), modelled on an Alpine 3.19
/// base image; ground truth in its expected.txt.
#[test]
fn apk_installed_database() {
    let dir = provenant_testkit::repo_root().join("testdata/sbom/apk");
    let c = catalog(&dir).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.files, ["lib/apk/db/installed"]);
    assert_eq!(found(&c.components), expected("apk"));
    let get = |n: &str| c.components.iter().find(|c| c.name == n).unwrap();
    assert_eq!(
        get("musl").purl.as_str(),
        "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64"
    );
    assert_eq!(
        get("ca-certificates-bundle").license.as_deref(),
        Some("MPL-2.0 AND MIT")
    );
    assert_eq!(get("busybox").supplier.as_deref(), Some("Sören Tempel"));
    // so: provides resolve to the providing package; `!` conflicts are not dependencies.
    let deps: Vec<&str> = get("scanelf")
        .depends_on
        .iter()
        .map(provenant_sbom::Purl::as_str)
        .collect();
    assert_eq!(
        deps,
        [
            "pkg:apk/alpine/libcrypto3@3.1.4-r2?arch=x86_64",
            "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64"
        ]
    );
    let (comps, warnings) =
        provenant_catalog::apk::parse("installed", b"P:x\nV:1\n\nP:nover\nA:x86_64\n\nbroken line\n");
    assert_eq!(comps.len(), 1);
    let lines: Vec<Option<usize>> = warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [Some(7), Some(4), Some(7)], "{warnings:?}");
}

/// An `rpmdb.sqlite` written by rpm 4.18 (`rpm -i --justdb` of packages built with rpmbuild); ground truth
/// from `rpm -qa`. One header is 60 KB and spans `SQLite` overflow pages.
#[test]
fn rpmdb_sqlite_equals_rpm_qa() {
    let dir = provenant_testkit::repo_root().join("testdata/sbom/rpm");
    let c = catalog(&dir).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.files, ["var/lib/rpm/rpmdb.sqlite"]);
    assert_eq!(found(&c.components), expected("rpm"));
    let get = |n: &str| c.components.iter().find(|c| c.name == n).unwrap();
    assert_eq!(
        get("libwidget").purl.as_str(),
        "pkg:rpm/libwidget@0.9-1.fc40?arch=noarch&epoch=2"
    );
    assert_eq!(get("hello-tool").license.as_deref(), Some("MIT"));
    assert_eq!(get("oldstyle").license, None, "GPLv2+ is no SPDX expression");
    assert_eq!(get("bigpkg").supplier.as_deref(), Some("Fixture Vendor"));
}

#[test]
fn corrupt_sqlite_and_rpm_headers_warn_and_never_panic() {
    let path = provenant_testkit::repo_root().join("testdata/sbom/rpm/var/lib/rpm/rpmdb.sqlite");
    let good = std::fs::read(path).unwrap();
    for cut in (0..good.len()).step_by(4093) {
        let _ = provenant_catalog::rpm::parse("rpmdb.sqlite", &good[..cut]);
    }
    let mut flipped = good.clone();
    for i in (100..flipped.len()).step_by(1021) {
        flipped[i] ^= 0xa5;
    }
    let _ = provenant_catalog::rpm::parse("rpmdb.sqlite", &flipped);
    let (c, w) = provenant_catalog::rpm::parse("rpmdb.sqlite", b"SQLite format 3\0garbage");
    assert!(c.is_empty() && w.len() == 1, "{w:?}");
}

proptest::proptest! {
    #[test]
    fn any_bytes_as_os_databases_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
        let mut db = b"SQLite format 3\0\x10\x00".to_vec();
        db.extend_from_slice(&b);
        let _ = provenant_catalog::rpm::parse("rpmdb.sqlite", &db);
        let _ = provenant_catalog::apk::parse("installed", &b);
        let _ = debcopyright::license(&b);
    }
}

/// This machine's Debian database against syft: every package syft gives a licence from its copyright
/// file gets one here too (names without an SPDX equivalent are kept as `LicenseRef-`s, not dropped).
#[test]
fn debian_licences_cover_what_syft_finds() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("var/lib/dpkg")).unwrap();
    std::fs::copy("/var/lib/dpkg/status", r.join("var/lib/dpkg/status")).unwrap();
    for entry in std::fs::read_dir("/usr/share/doc").unwrap().flatten() {
        let from = entry.path().join("copyright");
        if entry.file_type().is_ok_and(|t| t.is_dir()) && from.is_file() {
            let to = r.join("usr/share/doc").join(entry.file_name());
            std::fs::create_dir_all(&to).unwrap();
            std::fs::copy(&from, to.join("copyright")).unwrap();
        }
    }
    let ours = catalog(r).unwrap();
    let ours_with: std::collections::BTreeSet<&str> = ours
        .components
        .iter()
        .filter(|c| c.license.is_some())
        .map(|c| c.name.as_str())
        .collect();
    // Every LicenseRef has its text.
    for c in &ours.components {
        if let Some(l) = &c.license {
            for id in provenant_sbom::license_refs(l) {
                assert!(c.license_texts.contains_key(id), "{}: {id} without text", c.name);
            }
        }
    }

    let out = r.join("syft.cdx.json");
    let status = std::process::Command::new(provenant_testkit::require_venv_tool("syft", "syft"))
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .arg(format!("dir:{}", r.display()))
        .args(["-q", "-o"])
        .arg(format!("cyclonedx-json={}", out.display()))
        .status()
        .unwrap();
    assert!(status.success(), "syft failed");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let syft_with: std::collections::BTreeSet<String> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        // Only Debian packages are in this root (without an os-release, syft writes them without PURLs).
        .filter(|c| c["licenses"].as_array().is_some_and(|l| !l.is_empty()))
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<&String> = syft_with
        .iter()
        .filter(|n| !ours_with.contains(n.as_str()))
        .collect();
    eprintln!(
        "Debian packages with a licence: provenant {}, syft {} (of {}); syft-only: {}",
        ours_with.len(),
        syft_with.len(),
        ours.components.len(),
        missing.len()
    );
    assert!(
        !syft_with.is_empty(),
        "syft found no licences: the comparison is void"
    );
    assert!(missing.is_empty(), "licensed by syft, not here: {missing:?}");
}
