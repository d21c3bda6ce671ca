//! Verification throughput on the calling thread, for `tests/harness/bench/30-verify.sh`.
//!
//! `throughput verify TRUSTED_ROOT BUNDLE ARTIFACT IDENTITY ISSUER N` verifies the bundle N times with one
//! prepared verifier and prints `<N> <wall seconds> <CPU seconds>` (CPU time of this thread from
//! `/proc/thread-self/schedstat`, which is what counts on a loaded machine); `throughput sign-p256 - - - - - N` makes N ECDSA P-256
//! signatures (SHA-256) of a 4 KiB message with one key and prints the same.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use provenant_sigstore::{Artifact, Bundle, IdentityPolicy, Policy, SanMatcher, TrustedRoot, Verifier};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, root, bundle, artifact, identity, issuer, n] = args.as_slice() else {
        return Err("usage: throughput verify TRUSTED_ROOT BUNDLE ARTIFACT IDENTITY ISSUER N".into());
    };
    if mode == "sign-p256" {
        let cpu0 = cpu_seconds();
        let key = sigstore_crypto::KeyPair::generate_ecdsa_p256()?;
        let message = vec![7u8; 4096];
        let n: u32 = n.parse()?;
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(key.sign(&message)?);
        }
        println!(
            "{n} {:.6} {:.6}",
            start.elapsed().as_secs_f64(),
            cpu_seconds() - cpu0
        );
        return Ok(());
    }
    if mode != "verify" {
        return Err(format!("unknown mode {mode}").into());
    }
    let verifier = Verifier::new(&TrustedRoot::from_json(&std::fs::read(root)?)?)?;
    let bundle_json = std::fs::read(bundle)?;
    let artifact = std::fs::read(artifact)?;
    let policy = Policy::Identity(
        IdentityPolicy::new(SanMatcher::Exact(identity.clone())).with_issuer(issuer.clone()),
    );
    let n: u32 = n.parse()?;
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    for _ in 0..n {
        // Each round parses the bundle too, as a verifier of many bundles would.
        let bundle = Bundle::from_json(&bundle_json)?;
        verifier.verify(Artifact::Bytes(&artifact), &bundle, &policy)?;
    }
    println!(
        "{n} {:.6} {:.6}",
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu0
    );
    Ok(())
}

/// CPU time this thread has run, in seconds (0 where the kernel does not say).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|ns| ns.parse::<f64>().ok()))
        .map_or(0.0, |ns| ns / 1e9)
}
