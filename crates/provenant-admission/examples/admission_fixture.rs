//! Writes the benchmark's fixture: a `SQLite` ledger with N signed promotion records into `prod`, the
//! roles and environments files, and `digests.txt` listing the promoted digests, one a line.
//!
//! `admission_fixture DIR N`
// A benchmark tool sharing the tests' fixture: a failed unwrap aborts the benchmark, which is what we
// want, and the fixture's functions the benchmark does not call are not dead in the tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    dead_code
)]

use std::fmt::Write as _;
use std::path::PathBuf;

#[path = "../tests/it/fixture.rs"]
mod fixture;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: admission_fixture DIR N"));
    let n: u64 = args
        .next()
        .expect("usage: admission_fixture DIR N")
        .parse()
        .expect("N: a number");
    std::fs::create_dir_all(&dir).unwrap();
    let fx = fixture::Fixture::new(&dir);
    let mut digests = String::new();
    let all: Vec<u64> = (1..=n).collect();
    for batch in all.chunks(1000) {
        fx.records(batch, "prod", fixture::Outcome::Promoted, &fx.promoter);
        for i in batch {
            let _ = writeln!(digests, "{}", fixture::digest(*i));
        }
    }
    std::fs::write(dir.join("digests.txt"), digests).unwrap();
    println!("{n} promotion records in {}", fx.ledger.display());
}
