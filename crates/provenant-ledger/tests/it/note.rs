//! Signed notes and checkpoints against the Go sumdb/C2SP vectors and transparency-dev/formats.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use provenant_ledger::note::{is_valid_name, unverified_checkpoint, unverified_text};
use provenant_ledger::{Checkpoint, CheckpointError, Hash, NoteError, NoteSigner, NoteVerifier};

use crate::{json, vectors};

fn doc() -> serde_json::Value {
    json(&vectors(
        "signed-note-checkpoint/signed_note_checkpoint_vectors.json",
    ))
}

#[test]
fn signed_note_vectors() {
    let d = doc();
    let notes = d["signed_notes"].as_array().unwrap();
    assert_eq!(notes.len(), 5);
    for n in notes {
        let name = n["name"].as_str().unwrap();
        let v = NoteVerifier::from_text(n["vkey"].as_str().unwrap()).unwrap();
        let got = v.open(n["note"].as_str().unwrap().as_bytes());
        let expect = n["expect"].as_str().unwrap();
        match expect.split(' ').next().unwrap() {
            "VERIFIED" => {
                let text = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(
                    n["note"].as_str().unwrap().as_bytes().starts_with(&text),
                    "{name}"
                );
            }
            "REJECT" if expect.contains("bad signature") => {
                assert!(
                    matches!(got, Err(NoteError::BadSignature { .. })),
                    "{name}: {got:?}"
                );
            }
            "REJECT" => assert!(
                matches!(got, Err(NoteError::NotSignedByKey { .. })),
                "{name}: {got:?}"
            ),
            other => panic!("{name}: unknown expectation {other}"),
        }
    }
}

/// The published Go signer key re-signs the published note byte for byte, and its verifier key is the
/// published one.
#[test]
fn signer_key_reproduces_the_go_note() {
    let d = doc();
    let n = &d["signed_notes"][0];
    let signer = NoteSigner::from_text(n["skey"].as_str().unwrap()).unwrap();
    assert_eq!(signer.verifier_key(), n["vkey"].as_str().unwrap());
    assert_eq!(signer.to_text().as_str(), n["skey"].as_str().unwrap());
    let note = n["note"].as_str().unwrap();
    let text = &note[..=note.find("\n\n").unwrap()];
    assert_eq!(signer.sign(text.as_bytes()).unwrap(), note.as_bytes());
    assert!(!format!("{signer:?}").contains("PRIVATE"));
}

#[test]
fn bad_verifier_keys_are_refused() {
    let d = doc();
    for b in d["bad_vkeys_from_go_tests"].as_array().unwrap() {
        if let Some(k) = b["vkey"].as_str() {
            assert!(NoteVerifier::from_text(k).is_err(), "{k}");
        }
    }
    // Every proper substring and every single-byte increment of the valid key (Go's TestNewVerifier).
    let good = d["signed_notes"][0]["vkey"].as_str().unwrap();
    NoteVerifier::from_text(good).unwrap();
    let mut tried = 0;
    for i in 0..good.len() {
        for j in i + 1..=good.len() {
            if (i, j) == (0, good.len()) {
                continue;
            }
            let sub = &good[i..j];
            // Surrounding whitespace is trimmed, so a substring equal to the key after trimming is the key.
            if sub.trim() != good {
                assert!(NoteVerifier::from_text(sub).is_err(), "{sub}");
                tried += 1;
            }
        }
    }
    let mut bytes = good.as_bytes().to_vec();
    for i in 0..bytes.len() {
        bytes[i] += 1;
        if let Ok(s) = std::str::from_utf8(&bytes) {
            assert!(NoteVerifier::from_text(s).is_err(), "{s}");
            tried += 1;
        }
        bytes[i] -= 1;
    }
    assert!(tried > 1000);
}

#[test]
fn bad_signer_keys_are_refused() {
    let d = doc();
    let good = d["signed_notes"][0]["skey"].as_str().unwrap();
    for bad in [
        "",
        "PRIVATE+KEY+",
        &good.replace("c74f20a3", "c74f20a4"),
        &good.replace("PRIVATE+KEY+", "PRIVATE+KEY"),
        &good[..good.len() - 4],
        "PRIVATE+KEY+a b+00000000+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    ] {
        let err = NoteSigner::from_text(bad).unwrap_err();
        assert!(!err.to_string().contains("AYEK"), "secret in error: {err}");
    }
    assert!(
        !is_valid_name("a b")
            && !is_valid_name("a+b")
            && !is_valid_name("")
            && is_valid_name("example.com/log")
    );
}

#[test]
fn checkpoint_body_vectors() {
    let d = doc();
    for c in d["checkpoint_body_parse"].as_array().unwrap() {
        let m = c["m"].as_str().unwrap();
        let got = Checkpoint::parse(m.as_bytes());
        if c["expect"] == "OK" {
            let cp = got.unwrap_or_else(|e| panic!("{m:?}: {e}"));
            if let Some(o) = c["origin"].as_str() {
                assert_eq!(cp.origin, o);
                assert_eq!(cp.size, c["size"].as_u64().unwrap());
                assert_eq!(cp.root_hash, c["hash_utf8"].as_str().unwrap().as_bytes());
            }
            assert_eq!(cp.rest, c["rest"].as_str().unwrap_or(""));
            assert_eq!(cp.to_bytes(), m.as_bytes(), "round trip");
        } else {
            let expect = c["expect"].as_str().unwrap();
            let err = got.expect_err(m);
            let want = match expect {
                "ERROR insufficient lines" => CheckpointError::MissingLines,
                "ERROR empty origin" => CheckpointError::EmptyOrigin,
                "ERROR missing final newline" => CheckpointError::NoFinalNewline,
                "ERROR root hash not base64" => CheckpointError::BadRootHash,
                _ => CheckpointError::BadSize,
            };
            assert_eq!(err, want, "{m:?}");
        }
    }
    for c in d["checkpoint_marshal"].as_array().unwrap() {
        let cp = Checkpoint {
            origin: c["origin"].as_str().unwrap().into(),
            size: c["size"].as_u64().unwrap(),
            root_hash: c["hash_utf8"].as_str().unwrap().as_bytes().to_vec(),
            rest: String::new(),
        };
        assert_eq!(cp.to_bytes(), c["want"].as_str().unwrap().as_bytes());
    }
}

#[test]
fn checkpoints_sign_and_open() {
    let signer = NoteSigner::from_seed("example.com/ledger", &[7u8; 32]).unwrap();
    let verifier = NoteVerifier::from_text(signer.verifier_key()).unwrap();
    let root = provenant_ledger::leaf_hash(b"x");
    let cp = Checkpoint::new("example.com/ledger", 1, &root);
    let note = signer.sign_checkpoint(&cp).unwrap();
    let opened = verifier.open_checkpoint(&note).unwrap();
    assert_eq!(opened, cp);
    assert_eq!(opened.root().unwrap(), root);
    // Tampered size: the signature fails.
    let text = String::from_utf8(note.clone())
        .unwrap()
        .replacen("\n1\n", "\n2\n", 1);
    assert!(matches!(
        verifier.open_checkpoint(text.as_bytes()),
        Err(NoteError::BadSignature { .. })
    ));
    // Another key of the same name: not signed by the trusted key.
    let other = NoteSigner::from_seed("example.com/ledger", &[8u8; 32]).unwrap();
    let forged = other.sign_checkpoint(&cp).unwrap();
    assert!(matches!(
        verifier.open_checkpoint(&forged),
        Err(NoteError::NotSignedByKey { .. })
    ));
    // A checkpoint of another origin is never signed, nor accepted.
    let foreign = Checkpoint::new("other.example/log", 1, &root);
    assert!(matches!(
        signer.sign_checkpoint(&foreign),
        Err(NoteError::OriginMismatch { .. })
    ));
    let foreign_note = signer.sign(&foreign.to_bytes()).unwrap();
    assert!(matches!(
        verifier.open_checkpoint(&foreign_note),
        Err(NoteError::OriginMismatch { .. })
    ));
    // A root that is not SHA-256.
    let short = Checkpoint::parse(format!("o\n1\n{}\n", BASE64.encode([1u8; 31])).as_bytes()).unwrap();
    assert!(matches!(short.root(), Err(CheckpointError::RootNotSha256(_))));
    let _ = Hash::EMPTY_ROOT;
}

/// A note's text is read without its signatures being checked, split at the blank line before them.
#[test]
fn unverified_text_splits_at_the_blank_line() {
    let signer = NoteSigner::from_seed("example.com/ledger", &[7u8; 32]).unwrap();
    let root = provenant_ledger::leaf_hash(b"x");
    let cp = Checkpoint::new("example.com/ledger", 1, &root);
    let note = signer.sign_checkpoint(&cp).unwrap();
    assert_eq!(unverified_text(&note).unwrap(), cp.to_bytes());
    assert_eq!(unverified_checkpoint(&note).unwrap(), cp);
    // A note signed by some other key still reads: nothing is verified.
    let other = NoteSigner::from_seed("example.com/ledger", &[8u8; 32]).unwrap();
    assert_eq!(
        unverified_checkpoint(&other.sign_checkpoint(&cp).unwrap()).unwrap(),
        cp
    );
    // Text holding a blank line: the split is at the last one, before the signatures.
    let text = b"first\n\nsecond\n";
    let note = signer.sign(text).unwrap();
    assert_eq!(unverified_text(&note).unwrap(), text);
    // A signed text that is not a checkpoint.
    assert!(matches!(
        unverified_checkpoint(&signer.sign(b"origin only\n").unwrap()),
        Err(NoteError::Checkpoint(CheckpointError::MissingLines))
    ));
}

#[test]
fn unverified_text_refuses_malformed_notes() {
    let signer = NoteSigner::from_seed("example.com/ledger", &[7u8; 32]).unwrap();
    let cp = Checkpoint::new("example.com/ledger", 1, &provenant_ledger::leaf_hash(b"x"));
    let note = signer.sign_checkpoint(&cp).unwrap();
    let body = cp.to_bytes();
    let mut non_utf8 = note.clone();
    non_utf8.insert(0, 0xff);
    let hostile: [(&str, &[u8]); 8] = [
        ("empty", b""),
        ("a blank line only", b"\n\n"),
        ("no blank line: a bare checkpoint", &body),
        (
            "text and blank line, no signature",
            &[body.as_slice(), b"\n"].concat(),
        ),
        ("no final newline", note.strip_suffix(b"\n").unwrap()),
        ("not UTF-8", &non_utf8),
        (
            "a control character",
            &[b"o\x01\n1\n", &note[body.len()..]].concat(),
        ),
        (
            "a signature line that is not one",
            &[body.as_slice(), b"\nnot a signature\n"].concat(),
        ),
    ];
    for (what, bytes) in hostile {
        assert!(
            matches!(unverified_text(bytes), Err(NoteError::Malformed)),
            "{what}: {:?}",
            unverified_text(bytes)
        );
        assert!(
            matches!(unverified_checkpoint(bytes), Err(NoteError::Malformed)),
            "{what}"
        );
    }
}
