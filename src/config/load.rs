//! The edge of the settings: reads the environment, the config file and the
//! password (file or prompt), then hands the layers to the pure `merge`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::{env_layer, merge, parse_file, render, ConfigError, Layer, Password, Sources};
use crate::settings::{Mode, Secret, Settings};

/// What the program should do after reading its settings.
#[derive(Debug)]
pub enum Outcome {
    Run(Box<Settings>),
    /// `--print-config`: print this and exit 0.
    Print(String),
}

/// What the command line asks for, beyond its layer of settings.
#[derive(Debug, Clone)]
pub struct Request {
    pub layer: Layer,
    pub mode: Mode,
    pub config_file: Option<PathBuf>,
    pub print_config: bool,
    /// `--serve`: host a broker here, listening on this address; the
    /// command-line layer then points the client at it.
    pub hosting: Option<std::net::SocketAddr>,
    /// What the run does (`--keep-history`, `--print-history`, `--search`, or chat).
    pub task: crate::settings::Task,
}

/// Reads the environment, the config file and the password, and merges
/// everything. Certificate files are not read here: the caller checks them.
pub fn load(request: Request) -> Result<Outcome, ConfigError> {
    let environment = env_layer(|name| std::env::var(name).ok())?;
    let explicit = request.config_file.clone().or_else(|| {
        std::env::var_os("KOMUNIKATOR_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let (config_path, config_file) = read_config_file(explicit)?;
    let sources = Sources {
        command_line: request.layer,
        environment,
        config_file,
        default_log_file: default_log_file(),
    };
    let mut resolved = merge(sources, request.mode)?;
    resolved.settings.hosting = request.hosting;
    resolved.settings.task = request.task;
    if request.hosting.is_some() {
        // The broker inside takes anyone: a login set for another broker
        // would only ask for a password here for nothing.
        resolved.settings.login = None;
    }
    if request.print_config {
        let label = match &config_path {
            Some(path) => path.display().to_string(),
            None => "none".into(),
        };
        return Ok(Outcome::Print(render(&resolved, &label)));
    }
    resolved.require_username()?;
    let address = resolved.settings.address();
    if let Some(login) = &mut resolved.settings.login {
        login.password = match &resolved.password {
            Password::Given(secret, _) => Some(secret.clone()),
            Password::File(path, _) => Some(read_password_file(path)?),
            Password::Missing if std::io::stdin().is_terminal() => {
                prompt_password(&format!("Password for {} at {address}: ", login.user))?
            }
            Password::Missing => None,
        };
    }
    Ok(Outcome::Run(Box::new(resolved.settings)))
}

/// The explicit file must exist; the default one may be missing.
fn read_config_file(explicit: Option<PathBuf>) -> Result<(Option<PathBuf>, Layer), ConfigError> {
    let (path, required) = match explicit {
        Some(path) => (path, true),
        None => match default_config_file() {
            Some(path) => (path, false),
            None => return Ok((None, Layer::default())),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let layer = parse_file(&text, &path)?;
            Ok((Some(path), layer))
        }
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok((None, Layer::default())),
        Err(source) => Err(ConfigError::ReadFile { path, source }),
    }
}

pub fn default_config_file() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("komunikator").join("config.toml"))
}

/// The platform's state directory (`~/.local/state` on Linux), else its cache directory.
pub fn default_log_file() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .map(|dir| dir.join("komunikator").join("komunikator.log"))
}

/// The first line of the file, without its line ending.
pub fn read_password_file(path: &Path) -> Result<Secret, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadPasswordFile {
        path: path.to_owned(),
        source,
    })?;
    match text.lines().next() {
        Some(first) if !first.is_empty() => Ok(Secret::new(first)),
        _ => Err(ConfigError::EmptyPasswordFile { path: path.to_owned() }),
    }
}

fn prompt_password(prompt: &str) -> Result<Option<Secret>, ConfigError> {
    let text = rpassword::prompt_password(prompt).map_err(ConfigError::PromptPassword)?;
    Ok((!text.is_empty()).then(|| Secret::new(text)))
}
