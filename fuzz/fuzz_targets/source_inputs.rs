//! The source stage's parsers of hostile input on arbitrary bytes: never panic, bounded work. The first
//! byte selects the parser: 0 a Conventional Commits message, 1 an allowed-signers file (and an
//! authorisation against it), 2 a CODEOWNERS file (and lookups of paths taken from the input), 3 GitHub
//! reviews JSON (and the approvals it gives), 4 a teams mapping, 5 an `OpenPGP` keyring, 6 an SSH
//! signature verified over the rest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_source::{allowed_signers, codeowners, conventional, openpgp, reviews, signature};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = std::str::from_utf8(rest).ok();
    match selector % 7 {
        0 => {
            if let Some(text) = text
                && let Ok(message) = conventional::parse(text)
            {
                assert!(!message.description.is_empty());
                assert_eq!(message.is_breaking(), !message.breaking_notes().is_empty());
            }
        }
        1 => {
            if let Some(text) = text
                && let Ok(signers) = allowed_signers::AllowedSigners::parse(text)
            {
                for entry in signers.entries() {
                    let _ = signers.authorize(&entry.key, "a@example.com", "git", 1_700_000_000);
                }
            }
        }
        2 => {
            if let Some(text) = text
                && let Ok(owners) = codeowners::CodeOwners::parse(text)
            {
                for line in text.lines().take(64) {
                    let _ = owners.owners_of(line);
                }
                let _ = owners.owners_of("src/main.rs");
            }
        }
        3 => {
            if let Ok(parsed) = reviews::parse_reviews(rest) {
                let a = reviews::approvals(&parsed, "author", "0000000000000000000000000000000000000000");
                assert!(a.approved.iter().all(|l| l != "author"));
            }
        }
        4 => {
            let _ = reviews::Members::parse(rest);
        }
        5 => {
            let _ = openpgp::Keyring::parse(rest);
        }
        _ => {
            let _ = signature::verify_ssh(
                rest,
                b"tree 0\n\nmessage\n",
                &allowed_signers::AllowedSigners::default(),
                "a@example.com",
                0,
            );
        }
    }
});
