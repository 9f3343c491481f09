//! ARCHITECTURE.md's invariants, checked on the code itself (in the manner of
//! rust-analyzer's `xtask/src/tidy.rs`): manifests through `cargo metadata`,
//! sources by a scan of their code with comments and string literals removed,
//! so a sentence that mentions a word is not a use of it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
        .to_path_buf()
}

/// Every workspace package's manifest, with workspace inheritance resolved.
fn packages() -> Vec<Value> {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    metadata["packages"].as_array().expect("packages").to_vec()
}

fn package(name: &str) -> Value {
    packages()
        .into_iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name}"))
}

fn dependencies(package: &Value) -> Vec<&Value> {
    package["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .collect()
}

fn features(dependency: &Value) -> Vec<&str> {
    dependency["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// Every `.rs` file below `dir`, skipping build output.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// The code of a Rust source: comments removed, string and character
/// literals emptied, line breaks kept so that line numbers still hold.
fn code_of(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('#') | Some('"')) && !ident_before(&chars, i) {
            // r"…" or r#"…"#: ends at a quote followed by as many hashes.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                if chars[j] == '\n' {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if chars.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\''
            && (chars.get(i + 2) == Some(&'\'') || (next == Some('\\') && i + 3 < chars.len()))
        {
            // A character literal ('x', '\n', '\u{..}'); a lifetime has no closing quote.
            let mut j = i + 1;
            if chars[j] == '\\' {
                j += 1;
            }
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Where `word` occurs in `code` as a whole word (or path segment).
fn occurrences(code: &str, word: &str) -> Vec<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    code.lines()
        .enumerate()
        .filter(|(_, line)| {
            line.match_indices(word).any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let after = line[at + word.len()..].chars().next();
                !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
            })
        })
        .map(|(n, _)| n + 1)
        .collect()
}

/// `path:line: word` for every use of any of `words` in the code of `files`.
fn uses(files: &[PathBuf], words: &[&str]) -> Vec<String> {
    let root = workspace_root();
    let mut found = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(file).expect("a readable source");
        let code = code_of(&source);
        for word in words {
            for line in occurrences(&code, word) {
                let shown = file.strip_prefix(&root).unwrap_or(file).display();
                found.push(format!("{shown}:{line}: {word}"));
            }
        }
    }
    found
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("crates"))
        .expect("crates/")
        .map(|e| e.expect("a crate folder").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

// ------------------------------------------------------------------ the checks

#[test]
fn the_domain_depends_only_on_its_listed_crates_without_clock_or_id_minting() {
    let domain = package("sanji-domain");
    let mut failures = Vec::new();
    // ARCHITECTURE.md: "Its dependencies are serde (with serde_json and
    // serde_path_to_error), schemars, chrono, uuid, sha2, hex and thiserror".
    let allowed = [
        "serde",
        "serde_json",
        "serde_path_to_error",
        "schemars",
        "chrono",
        "uuid",
        "sha2",
        "hex",
        "thiserror",
    ];
    for dep in dependencies(&domain) {
        let name = dep["name"].as_str().expect("a name");
        let normal = dep["kind"].is_null();
        if normal && !allowed.contains(&name) {
            failures.push(format!("the domain depends on {name}"));
        }
        // chrono's default features include `clock`; uuid's generators read the clock or randomness.
        let (forbidden, default_has_them): (&[&str], bool) = match name {
            "chrono" => (&["clock", "now", "wasmbind"], true),
            "uuid" => (&["v1", "v4", "v6", "v7", "rng", "fast-rng"], false),
            _ => continue,
        };
        for feature in features(dep) {
            if forbidden.contains(&feature) {
                failures.push(format!("the domain enables {name}'s `{feature}`"));
            }
        }
        if default_has_them && dep["uses_default_features"] == true {
            failures.push(format!(
                "the domain takes {name}'s default features, `clock` among them"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_domain_does_no_io_and_reads_no_clock() {
    let files = rust_files(&workspace_root().join("crates/domain/src"));
    assert!(!files.is_empty(), "the domain's sources are found");
    let found = uses(
        &files,
        &[
            "std::fs",
            "std::net",
            "std::io",
            "std::env",
            "std::process",
            "std::thread",
            "tokio",
            "SystemTime",
            "Instant",
            "Utc::now",
            "Local::now",
            "now_v7",
            "new_v4",
            "rand",
            "getrandom",
            "println",
            "eprintln",
        ],
    );
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[test]
fn only_the_store_names_sled() {
    let mut failures = Vec::new();
    for package in packages() {
        let name = package["name"].as_str().expect("a name");
        if name == "sanji-store" {
            continue;
        }
        for dep in dependencies(&package) {
            if dep["name"] == "sled" {
                failures.push(format!("{name} depends on sled"));
            }
        }
    }
    let root = workspace_root();
    let mut files: Vec<PathBuf> = crate_dirs()
        .into_iter()
        .filter(|dir| !dir.ends_with("store"))
        .flat_map(|dir| rust_files(&dir))
        .collect();
    files.extend(rust_files(&root.join("tests")));
    files.extend(rust_files(&root.join("fuzz")));
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("crates/sync/src/server.rs")),
        "the scan reaches the other crates"
    );
    failures.extend(uses(&files, &["sled"]));
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn only_proto_convert_builds_domain_events_from_wire_bytes() {
    let root = workspace_root();
    let convert = root.join("crates/proto/src/convert.rs");
    let files: Vec<PathBuf> = crate_dirs()
        .into_iter()
        .filter(|dir| !dir.ends_with("domain"))
        .flat_map(|dir| rust_files(&dir.join("src")))
        .filter(|f| *f != convert)
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("crates/sync/src/server.rs")),
        "the scan reaches the other crates"
    );
    // The payload decoder, the wire digest reader and the wire stamp fields:
    // whoever uses them outside convert.rs is decoding wire events itself.
    let found = uses(
        &files,
        &[
            "EventBody::decode",
            "Digest::from_slice",
            "hlc_wall_ms",
            "hlc_counter",
        ],
    );
    assert!(found.is_empty(), "\n{}", found.join("\n"));
}

#[test]
fn the_code_scan_sees_code_and_not_prose() {
    let source = r##"
        // tokio in a comment
        /* sled in /* a nested */ block */
        let s = "std::fs in a string";
        let r = r#"sled in a raw "string""#;
        let c = '"'; let lifetime: &'static str = "x";
        use sled::Db;
        let t = tokio::spawn(f);
    "##;
    let code = code_of(source);
    assert_eq!(occurrences(&code, "sled"), vec![7]);
    assert_eq!(occurrences(&code, "tokio"), vec![8]);
    assert_eq!(occurrences(&code, "std::fs"), Vec::<usize>::new());
    assert_eq!(occurrences("let sledge = 1;", "sled"), Vec::<usize>::new());
}

/// Library crates speak in the user's terms: which flag to type is the
/// CLI's business, so no message of theirs names a command-line flag
/// (`--unit`, `--by`, `--config`). Doc comments and test modules may.
#[test]
fn no_library_message_names_a_command_line_flag() {
    let libraries = [
        "domain", "proto", "pki", "store", "sync", "node", "web", "demo",
    ];
    let mut found = Vec::new();
    for name in libraries {
        for file in rust_files(&workspace_root().join("crates").join(name).join("src")) {
            let source = std::fs::read_to_string(&file).expect("a readable source");
            for (n, line) in source.lines().enumerate() {
                if line.trim_start().starts_with("#[cfg(test)]") {
                    break;
                }
                if line.trim_start().starts_with("//") {
                    continue;
                }
                if names_a_flag(line) {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "flags named in library messages: {found:#?}"
    );
    // The check itself sees a flag in a string and nothing else.
    assert!(names_a_flag(r#"    "请用 --by 姓名","#));
    assert!(!names_a_flag(r#"    let x = a - -b; // --not-a-string"#));
    assert!(!names_a_flag(r#"    "--- 分隔线 ---""#));
}

/// A string literal on this line holds `--` followed by a letter.
fn names_a_flag(line: &str) -> bool {
    let mut in_string = false;
    let chars: Vec<char> = line.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '"' if i == 0 || chars[i - 1] != '\\' => in_string = !in_string,
            '-' if in_string
                && chars.get(i + 1) == Some(&'-')
                && chars.get(i + 2).is_some_and(|c| c.is_ascii_lowercase())
                && (i == 0 || chars[i - 1] != '-') =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}
