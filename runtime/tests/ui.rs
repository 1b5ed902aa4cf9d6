//! Compile-time proofs of the mode typestate: each case under `tests/ui/fail/` (and `live/` or
//! `no_live/`) must fail to compile with exactly the error in its `.stderr` file, so a case that
//! fails for an unrelated reason fails the test; each case under `tests/ui/pass/` must compile.
//!
//! Cases that name `Live` run only with the cargo feature `live` (`live/`); the proof that `Live`
//! cannot be named without it runs only without (`no_live/`). Cases whose compiler message lists
//! the modes (and so differs with `Live` present) exist in both folders. `scripts/test` runs this
//! target both ways. To re-record after a deliberate change:
//! `TRYBUILD=overwrite cargo test -p airlock --test ui` (and again with `--features live`), then
//! review the diff.

#[test]
fn mode_typestate() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
    if cfg!(feature = "live") {
        cases.compile_fail("tests/ui/live/*.rs");
    } else {
        cases.compile_fail("tests/ui/no_live/*.rs");
    }
}
