//! Finds the SeetaFace frontal face model that the `rustface` package ships
//! (`model/seeta_fd_frontal_v1.0.bin` in its crates.io package) so that the library can embed it
//! with `include_bytes!`; the model file is never copied into this repository.
//!
//! Where it looks, in order:
//! 1. `QUYTAC_SEETA_MODEL`: the path of the model file (for vendored or offline builds);
//! 2. the unpacked crates.io sources of `rustface` under `$CARGO_HOME/registry/src/*/`
//!    (`CARGO_HOME` defaults to `~/.cargo`), the version locked in the workspace's `Cargo.lock`
//!    first;
//! 3. `cargo metadata`, which knows where any other source (a vendor directory, a git checkout)
//!    put the package.
//!
//! It sets `QUYTAC_SEETA_MODEL_PATH` (the model) and `QUYTAC_RUSTFACE_DIR` (the package
//! directory, where the tests also find the package's sample photograph) for the compiler.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const MODEL: &str = "model/seeta_fd_frontal_v1.0.bin";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=QUYTAC_SEETA_MODEL");
    println!("cargo:rerun-if-env-changed=CARGO_HOME");
    let (model, dir) = match find() {
        Some(found) => found,
        None => panic!(
            "quytac-photo: cannot find the SeetaFace model `{MODEL}` of the `rustface` package.\n\
             It is shipped inside rustface's crates.io package; run `cargo fetch` so that the \
             package is unpacked under $CARGO_HOME/registry/src, or set QUYTAC_SEETA_MODEL to \
             the path of seeta_fd_frontal_v1.0.bin."
        ),
    };
    println!("cargo:rerun-if-changed={}", model.display());
    println!(
        "cargo:rustc-env=QUYTAC_SEETA_MODEL_PATH={}",
        model.display()
    );
    println!("cargo:rustc-env=QUYTAC_RUSTFACE_DIR={}", dir.display());
}

fn find() -> Option<(PathBuf, PathBuf)> {
    if let Some(p) = env::var_os("QUYTAC_SEETA_MODEL") {
        let p = PathBuf::from(p);
        if p.is_file() {
            let dir = p
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_default();
            return Some((p, dir));
        }
        panic!(
            "quytac-photo: QUYTAC_SEETA_MODEL={} is not a file",
            p.display()
        );
    }
    from_registry().or_else(from_metadata)
}

/// The package directory if it holds the model.
fn with_model(dir: PathBuf) -> Option<(PathBuf, PathBuf)> {
    let model = dir.join(MODEL);
    model.is_file().then_some((model, dir))
}

fn cargo_home() -> Option<PathBuf> {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// The version of rustface in the workspace's Cargo.lock, if there is one.
fn locked_version() -> Option<String> {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?);
    let lock = manifest
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())?;
    let text = std::fs::read_to_string(lock).ok()?;
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"rustface\"" {
            let v = lines.next()?.trim();
            return v
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(String::from);
        }
    }
    None
}

fn from_registry() -> Option<(PathBuf, PathBuf)> {
    let src = cargo_home()?.join("registry").join("src");
    let mut candidates: Vec<PathBuf> = Vec::new();
    for index in std::fs::read_dir(&src).ok()?.flatten() {
        for pkg in std::fs::read_dir(index.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = pkg.file_name().to_string_lossy().into_owned();
            if name.starts_with("rustface-") {
                candidates.push(pkg.path());
            }
        }
    }
    let locked = locked_version().map(|v| format!("rustface-{v}"));
    // The locked version first, then the newest.
    candidates.sort();
    candidates.reverse();
    if let Some(locked) = &locked {
        candidates.sort_by_key(|p| p.file_name().is_none_or(|n| n.to_string_lossy() != *locked));
    }
    candidates.into_iter().find_map(with_model)
}

fn from_metadata() -> Option<(PathBuf, PathBuf)> {
    let cargo = env::var_os("CARGO")?;
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?).join("Cargo.toml");
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    // The JSON is searched as text, to need no JSON parser here: the manifest path of a
    // package named rustface ends in `rustface-<version>/Cargo.toml` or `rustface/Cargo.toml`.
    let text = String::from_utf8_lossy(&out.stdout);
    text.split("\"manifest_path\":\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|p| {
            let p = Path::new(p);
            p.parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n.to_string_lossy().starts_with("rustface"))
        })
        .find_map(|p| with_model(Path::new(&p.replace("\\\\", "\\")).parent()?.to_path_buf()))
}
