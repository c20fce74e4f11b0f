//! Profile photos in `quytac check` (CS-2): the file a profile's `photo` names is read here (the
//! core reads no files), checked by `quytac-photo`, and handed to the engine as a
//! [`PhotoCheck`]. A photo that cannot be read or decoded becomes a finding of its item, never an
//! error of the batch.

use quytac_core::engine::{PhotoCheck, PhotoProblem};
use quytac_photo::{PhotoChecker, PhotoReport};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Reads and checks profile photos named relative to one folder.
pub struct PhotoReader {
    checker: PhotoChecker,
    base: PathBuf,
}

impl PhotoReader {
    /// Photos named relative to `base` (the input file's folder, or the current folder for
    /// standard input); absolute paths are taken as they are.
    pub fn new(base: PathBuf) -> PhotoReader {
        PhotoReader {
            checker: PhotoChecker::new(),
            base,
        }
    }

    /// The folder of an input file (`None` or `-`: standard input, the current folder).
    pub fn for_input(input: Option<&Path>) -> PhotoReader {
        let base = match input {
            Some(p) if p.as_os_str() != "-" => p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            _ => PathBuf::from("."),
        };
        PhotoReader::new(base)
    }

    /// The path a profile's `photo` field names.
    pub fn resolve(&self, photo: &str) -> PathBuf {
        let p = Path::new(photo.trim());
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// Reads and checks one photo.
    pub fn check(&self, photo: &str) -> PhotoCheck {
        let path = self.resolve(photo);
        match self.read(&path) {
            Ok(bytes) => match self.checker.check(&bytes) {
                Ok(report) => to_core(&report),
                Err(e) => PhotoCheck::Unreadable(e.to_string()),
            },
            Err(why) => PhotoCheck::Unreadable(why),
        }
    }

    /// The file's bytes, at most the checker's byte limit (read no further, whatever the
    /// file is).
    fn read(&self, path: &Path) -> Result<Vec<u8>, String> {
        let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
        let file = std::fs::File::open(path).map_err(cannot)?;
        if file.metadata().map_err(cannot)?.is_dir() {
            return Err(format!("{} is a folder, not an image", path.display()));
        }
        let max = self.checker.limits.max_bytes;
        let mut bytes = Vec::new();
        file.take(max as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
        if bytes.len() > max {
            return Err(format!(
                "{} is larger than the {max} bytes accepted for a photo",
                path.display()
            ));
        }
        Ok(bytes)
    }
}

/// The engine's view of a photo report: its problems.
pub fn to_core(report: &PhotoReport) -> PhotoCheck {
    PhotoCheck::Checked(
        report
            .problems
            .iter()
            .map(|r| PhotoProblem {
                code: r.code().to_string(),
                message_vi: r.message_vi().to_string(),
                message_en: r.message_en().to_string(),
            })
            .collect(),
    )
}
