//! A node's configuration file (TOML). Every path and address a role needs,
//! and nothing a certificate already says.

use std::path::{Path, PathBuf};

use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::{Code, Level};
use serde::{Deserialize, Serialize};

use crate::NodeError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Station,
    Hub,
    County,
}

impl Role {
    pub fn level(self) -> Level {
        match self {
            Role::Station => Level::Village,
            Role::Hub => Level::Township,
            Role::County => Level::County,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Station => "村工作站",
            Role::Hub => "镇中心",
            Role::County => "县综治办",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub role: Role,
    pub code: Code,
    /// The sled folder.
    pub data_dir: PathBuf,
    /// Holds `ca.pem`, `<cert_name>.pem`, `<cert_name>-key.pem`.
    pub certs_dir: PathBuf,
    /// Defaults to the node code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_name: Option<String>,
    /// Where a hub or county serves (`0.0.0.0:7100`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Where a hub or county serves its web console (`0.0.0.0:8443`): over
    /// HTTPS with this node's certificate, or over plain HTTP on a loopback
    /// address when `console_plain_http` is set (the demo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_addr: Option<String>,
    /// The host names and IP addresses township PCs type to reach the
    /// console; this node's certificate must list every one (issue it with
    /// `dns` names), so a PC that trusts the county CA gets no warning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub console_names: Vec<String>,
    /// Serve the console without TLS: refused unless `console_addr` is a
    /// loopback address.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub console_plain_http: bool,
    /// The parent's address (`host:port`): a station's hub, a hub's county.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_addr: Option<String>,
    /// The person recorded as author when a command names nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_author: Option<String>,
    /// sled's page cache, in MiB. Village laptops are small.
    #[serde(default = "default_cache_mb")]
    pub cache_mb: u64,
    /// What one child may hold open at once (hub and county).
    #[serde(default)]
    pub limits: StreamLimits,
    /// The township's deadlines (hub only; defaults per 信访工作条例).
    #[serde(default)]
    pub policy: DeadlinePolicy,
    /// How the data folder is encrypted at rest; stations default to `node_key`,
    /// hubs and the county (in locked offices) to `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    /// For drills and tests only: run as if the clock were this far off.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clock_offset_ms: i64,
}

/// What protects the key of an encrypted data folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encryption {
    /// Not encrypted.
    None,
    /// The node's private key (`<certs_dir>/<cert_name>-key.pem`): the folder
    /// opens only beside the certificate folder it was made with.
    NodeKey,
    /// A passphrase, read from the environment variable `SANJI_PASSPHRASE`.
    Passphrase,
}

/// Where a passphrase-protected station reads its passphrase.
pub const PASSPHRASE_ENV: &str = "SANJI_PASSPHRASE";

fn default_cache_mb() -> u64 {
    32
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// Limits a server puts on each child and on every connection, so one broken
/// or hostile laptop (or anything else that reaches the port) cannot hold the
/// hub's connections for everyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamLimits {
    /// Push and pull streams one child may have open at once.
    pub streams_per_peer: usize,
    /// A push stream silent this long is ended.
    pub idle_timeout_ms: u64,
    /// Connections open at once, whoever they are from; more are closed as
    /// soon as they are accepted. A county morning is 500 stations at once.
    pub max_connections: usize,
    /// A connection that has not finished its TLS handshake this long after
    /// it was accepted is closed (silence, or half a handshake).
    pub handshake_timeout_ms: u64,
    /// A connection with no request open this long is closed. A connection
    /// in the middle of a push or pull is never idle, however long it takes.
    /// Keep it well above the pauses between the calls of one sync round:
    /// a call sent just as its connection is closed fails, and the station
    /// tries again.
    pub connection_idle_timeout_ms: u64,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            streams_per_peer: 4,
            idle_timeout_ms: 60_000,
            max_connections: 2_000,
            handshake_timeout_ms: 10_000,
            connection_idle_timeout_ms: 60_000,
        }
    }
}

impl NodeConfig {
    pub fn new(role: Role, code: Code, data_dir: PathBuf, certs_dir: PathBuf) -> NodeConfig {
        NodeConfig {
            role,
            code,
            data_dir,
            certs_dir,
            cert_name: None,
            listen: None,
            console_addr: None,
            console_names: Vec::new(),
            console_plain_http: false,
            parent_addr: None,
            default_author: None,
            cache_mb: default_cache_mb(),
            limits: StreamLimits::default(),
            policy: DeadlinePolicy::default(),
            encryption: None,
            clock_offset_ms: 0,
        }
    }

    /// The encryption in force: the configured one, or the role's default.
    pub fn encryption(&self) -> Encryption {
        self.encryption.unwrap_or(match self.role {
            Role::Station => Encryption::NodeKey,
            Role::Hub | Role::County => Encryption::None,
        })
    }

    /// What opens this node's data folder, read from the certificate folder or the environment.
    pub fn unlock(&self) -> Result<sanji_store::Unlock, NodeError> {
        match self.encryption() {
            Encryption::None => Ok(sanji_store::Unlock::Plain),
            Encryption::NodeKey => {
                let path = self.certs_dir.join(format!("{}-key.pem", self.cert_name()));
                let key = std::fs::read(&path).map_err(|e| {
                    NodeError::Config(format!(
                        "数据目录用节点私钥加密,但读不到私钥 {}:{e}。请检查 certs_dir,或用 sanji pki issue 补发证书后以 station rekey 换钥",
                        path.display()
                    ))
                })?;
                Ok(sanji_store::Unlock::node_key(&key))
            }
            Encryption::Passphrase => passphrase_from_env(PASSPHRASE_ENV),
        }
    }

    pub fn store_options(&self) -> Result<sanji_store::StoreOptions, NodeError> {
        Ok(sanji_store::StoreOptions {
            cache_bytes: self.cache_mb << 20,
            unlock: self.unlock()?,
        })
    }

    pub fn load(path: &Path) -> Result<NodeConfig, NodeError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            NodeError::Config(format!(
                "读不到配置文件 {}:{}。请指明配置文件所在的路径;村工作站第一次使用时先初始化本站",
                path.display(),
                crate::error::io_reason(&e)
            ))
        })?;
        let mut config: NodeConfig = toml::from_str(&text)
            .map_err(|e| NodeError::Config(format!("配置文件 {} 有误:{e}", path.display())))?;
        // Relative folders are relative to the file that names them, not to
        // wherever a command happens to run: one village, one ledger.
        let base = path.parent().unwrap_or(Path::new("."));
        config.data_dir = base.join(&config.data_dir);
        config.certs_dir = base.join(&config.certs_dir);
        config.check()?;
        Ok(config)
    }

    pub fn save(&self, path: &Path) -> Result<(), NodeError> {
        self.check()?;
        let text = toml::to_string_pretty(self).map_err(|e| NodeError::Config(e.to_string()))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| NodeError::io(dir, e))?;
        }
        std::fs::write(path, text).map_err(|e| NodeError::io(path, e))
    }

    pub fn check(&self) -> Result<(), NodeError> {
        if self.code.level() != self.role.level() {
            return Err(NodeError::Config(format!(
                "{} 的代码须为 {} 位,而 {} 是 {} 位",
                self.role.label(),
                self.role.level().digits(),
                self.code,
                self.code.as_str().len()
            )));
        }
        self.policy
            .validate()
            .map_err(|e| NodeError::Config(format!("policy.{}: {}", e.field, e.rule)))?;
        if self.role != Role::Station && self.listen.is_none() {
            return Err(NodeError::Config(format!(
                "{} 须配置 listen(监听地址)",
                self.role.label()
            )));
        }
        if self.role == Role::Station && self.parent_addr.is_none() {
            return Err(NodeError::Config(
                "村工作站须配置 parent_addr(镇中心地址)".into(),
            ));
        }
        Ok(())
    }

    pub fn cert_name(&self) -> String {
        self.cert_name
            .clone()
            .unwrap_or_else(|| self.code.to_string())
    }

    pub fn parent(&self) -> Option<Code> {
        self.code.parent()
    }
}

/// A passphrase from the environment variable `var`; an empty or missing one is refused.
pub fn passphrase_from_env(var: &str) -> Result<sanji_store::Unlock, NodeError> {
    match std::env::var(var) {
        Ok(text) if !text.is_empty() => Ok(sanji_store::Unlock::passphrase(&text)),
        _ => Err(NodeError::Config(format!(
            "数据目录用口令加密:请在环境变量 {var} 中提供口令"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deploy_examples_parse_and_spell_out_the_defaults() {
        for (name, text) in [
            ("hub.toml", include_str!("../../../deploy/hub.toml")),
            ("county.toml", include_str!("../../../deploy/county.toml")),
            ("station.toml", include_str!("../../../deploy/station.toml")),
        ] {
            let config: NodeConfig =
                toml::from_str(text).unwrap_or_else(|e| panic!("deploy/{name}: {e}"));
            config.check().unwrap();
            assert_eq!(config.limits, StreamLimits::default(), "deploy/{name}");
        }
    }

    #[test]
    fn connection_limits_can_be_set_and_default_when_left_out() {
        let limits: StreamLimits =
            toml::from_str("max_connections = 3\nconnection_idle_timeout_ms = 500").unwrap();
        assert_eq!(limits.max_connections, 3);
        assert_eq!(limits.connection_idle_timeout_ms, 500);
        assert_eq!(limits.handshake_timeout_ms, 10_000);
        assert_eq!(limits.streams_per_peer, 4);
        assert!(toml::from_str::<StreamLimits>("max_conections = 3").is_err());
    }
}
