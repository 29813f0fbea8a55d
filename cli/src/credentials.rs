//! `~/.axiom/credentials`: the key and endpoint that `axiom login` stored. The file is JSON,
//! mode 0600 in a folder of mode 0700, and is replaced atomically (written aside, then renamed),
//! so a crash never leaves half a key behind.

use std::{
    fs::{self, DirBuilder, OpenOptions, Permissions},
    io::{ErrorKind, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::error::CliError;

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub endpoint: String,
    pub api_key: String,
}

/// `$HOME/.axiom/credentials`.
pub fn path() -> Result<PathBuf, CliError> {
    let home = std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .ok_or_else(|| CliError::Local("HOME is not set: cannot find ~/.axiom/credentials".into()))?;
    Ok(Path::new(&home).join(".axiom").join("credentials"))
}

fn local_error(path: &Path, action: &str, error: impl std::fmt::Display) -> CliError {
    CliError::Local(format!("cannot {action} {}: {error}", path.display()))
}

/// The stored credentials, `None` when there are none.
pub fn load() -> Result<Option<Credentials>, CliError> {
    let path = path()?;
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(local_error(&path, "read", error)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|error| local_error(&path, "use", format!("{error}; run `axiom login` again")))
}

/// Stores `credentials`, replacing what was there; returns the file's path.
pub fn save(credentials: &Credentials) -> Result<PathBuf, CliError> {
    let path = path()?;
    let folder = path.parent().expect("the credentials file is inside ~/.axiom");
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
        .map_err(|error| local_error(folder, "create", error))?;
    // A folder made earlier, by hand or by an older version, may be open to others.
    fs::set_permissions(folder, Permissions::from_mode(0o700))
        .map_err(|error| local_error(folder, "restrict", error))?;

    let aside = folder.join(format!(".credentials.{}", std::process::id()));
    let written = write_private(&aside, credentials).and_then(|()| fs::rename(&aside, &path));
    if let Err(error) = written {
        let _ = fs::remove_file(&aside);
        return Err(local_error(&path, "write", error));
    }
    Ok(path)
}

fn write_private(path: &Path, credentials: &Credentials) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(credentials).expect("credentials serialize");
    text.push('\n');
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies only to a new file; a leftover from a crashed run keeps its own.
    file.set_permissions(Permissions::from_mode(0o600))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Deletes the stored credentials; returns the path when there was a file to delete.
pub fn remove() -> Result<Option<PathBuf>, CliError> {
    let path = path()?;
    match fs::remove_file(&path) {
        Ok(()) => Ok(Some(path)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(local_error(&path, "remove", error)),
    }
}
