//! No test, example or default names a live endpoint outside the `live` feature.
//!
//! Scans every text file of the repository for Alpaca's live trading host. An occurrence is
//! allowed only
//! - in the one constant that defines it (`brokers/src/endpoint.rs`, `ALPACA_LIVE_HOST`),
//! - in the live environment's own file (`environments/live.toml`, which only a `live` build can
//!   start) and in documentation (`*.md`), which describes what live uses,
//! - in Rust code compiled only with the `live` feature: inside the item that follows a
//!   `#[cfg(feature = "live")]` attribute, or in a file or folder named `live`.
//!
//! Everything else (tests, examples, defaults, scripts) must not name it: a paper test that needs
//! a host off the allow-list uses a made-up one.

use std::path::{Path, PathBuf};

/// The live host, built at run time so this file does not name it.
fn live_host() -> String {
    ["api", "alpaca", "markets"].join(".")
}

const LIVE_CFG: &str = "#[cfg(feature = \"live\")]";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if matches!(
                name.as_ref(),
                "target" | ".git" | "node_modules" | "__pycache__"
            ) || name.starts_with('.') && name != ".ci" && name != ".cargo"
            {
                continue;
            }
            text_files(&path, out);
        } else if !matches!(
            path.extension().and_then(|extension| extension.to_str()),
            Some("gz" | "bin" | "png" | "lock" | "sqlite" | "pyc")
        ) {
            out.push(path);
        }
    }
}

/// Byte offsets of the live host in `text`, skipping `paper-api.…`.
fn occurrences(text: &str, host: &str) -> Vec<usize> {
    text.match_indices(host)
        .map(|(offset, _)| offset)
        .filter(|offset| !text[..*offset].ends_with("paper-"))
        .collect()
}

/// The byte ranges of the items that follow a `#[cfg(feature = "live")]` attribute: from the
/// attribute to the brace closing the item's first `{` (or to its first `;` if that comes first).
fn live_items(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut items = Vec::new();
    for (start, _) in text.match_indices(LIVE_CFG) {
        let mut depth = 0usize;
        let mut end = text.len();
        for (index, byte) in bytes.iter().enumerate().skip(start + LIVE_CFG.len()) {
            match byte {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = index;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    end = index;
                    break;
                }
                _ => {}
            }
        }
        items.push((start, end));
    }
    items
}

fn allowed(relative: &Path, text: &str, offset: usize) -> bool {
    let path = relative.to_string_lossy().replace('\\', "/");
    if path.ends_with(".md") || path == "environments/live.toml" {
        return true;
    }
    if path == "brokers/src/endpoint.rs" {
        let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
        if text[line_start..].starts_with("pub const ALPACA_LIVE_HOST") {
            return true;
        }
    }
    if path.ends_with(".rs") {
        let in_live_path = relative
            .components()
            .any(|part| part.as_os_str() == "live" || part.as_os_str() == "live.rs");
        if in_live_path {
            return true;
        }
        return live_items(text)
            .iter()
            .any(|(start, end)| (*start..*end).contains(&offset));
    }
    false
}

#[test]
fn no_live_endpoint_is_named_outside_the_live_feature() {
    let root = repo();
    let host = live_host();
    let mut files = Vec::new();
    text_files(&root, &mut files);
    assert!(files.len() > 100, "scanned too few files: {}", files.len());
    let mut offenders = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let relative = file.strip_prefix(&root).unwrap_or(file);
        for offset in occurrences(&text, &host) {
            if !allowed(relative, &text, offset) {
                let line = text[..offset].matches('\n').count() + 1;
                offenders.push(format!("{}:{line}", relative.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the live host is named outside the live feature at: {offenders:#?}"
    );
}

#[test]
fn the_scan_tells_live_items_from_the_rest() {
    let host = live_host();
    let code = format!(
        "const A: &str = \"https://{host}\";\n\
         {LIVE_CFG}\nmod live {{\n    const B: &str = \"https://{host}\";\n}}\n\
         const C: &str = \"https://paper-{host}\";\n\
         fn d() {{ let _ = \"{host}\"; }}\n"
    );
    let offsets = occurrences(&code, &host);
    assert_eq!(offsets.len(), 3, "paper- occurrences are not the live host");
    let verdicts: Vec<bool> = offsets
        .iter()
        .map(|offset| allowed(Path::new("runtime/src/x.rs"), &code, *offset))
        .collect();
    assert_eq!(verdicts, [false, true, false]);
    assert!(allowed(
        Path::new("environments/live.toml"),
        &code,
        offsets[0]
    ));
    assert!(!allowed(
        Path::new("environments/paper.toml"),
        &code,
        offsets[0]
    ));
    assert!(allowed(
        Path::new("runtime/tests/ui/live/x.rs"),
        &code,
        offsets[0]
    ));
}

/// The strongest form of the rule: a build without the `live` feature does not contain the live
/// host at all, so nothing it runs can reach it. The `live` build's binary does contain it, which
/// proves the search would find it.
#[test]
fn the_binary_contains_the_live_host_only_in_a_live_build() {
    let binary = std::fs::read(env!("CARGO_BIN_EXE_airlock")).expect("the airlock binary");
    let host = live_host();
    let found = memchr::memmem::find_iter(&binary, host.as_bytes())
        .any(|offset| !binary[..offset].ends_with(b"paper-"));
    assert_eq!(
        found,
        cfg!(feature = "live"),
        "live host in the binary: {found}, live feature: {}",
        cfg!(feature = "live")
    );
}
