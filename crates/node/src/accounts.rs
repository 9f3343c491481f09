//! People's accounts at a hub or the county: who they are (name, role, the
//! member unit of unit staff), an Argon2id password hash, and the lockout
//! that stops guessing. Accounts live in the node's own store (bookkeeping,
//! sealed with the store), and every login, logout, failure and lockout is
//! recorded with its time and the address it came from.
//!
//! The CLI creates accounts (an administrator at the server) and the web
//! console signs people in; both call this module and nothing else.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use sanji_domain::case::ActorRole;
use sanji_domain::{Code, FieldError, Labelled, VersionVector};
use sanji_store::Store;
use serde::{Deserialize, Serialize};

use crate::NodeError;
use crate::ops::Actor;

const ACCOUNTS: &str = "accounts";
const AUDIT: &str = "audit";
/// Per login: the store's version vector when the person last looked at the
/// arrivals page, so "new" means "arrived since", however old its records.
const LAST_LOOKED: &str = "last-looked";

/// Wrong passwords in a row before an account is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a lockout lasts.
pub const LOCKOUT_MS: u64 = 15 * 60 * 1000;
/// The shortest password a person may choose.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// One person's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// What they type to sign in (their name unless the administrator chose another).
    pub login: String,
    pub name: String,
    pub role: ActorRole,
    /// The member unit (司法所、派出所 …) whose cases unit staff see and work.
    pub unit: Option<String>,
    /// The node the account belongs to.
    pub code: Code,
    password_hash: String,
    /// Set for a one-time password: the person chooses their own at first login.
    pub must_change_password: bool,
    pub disabled: bool,
    failures: u32,
    locked_until_ms: Option<u64>,
    pub created_ms: u64,
    /// Counts the times every session of this account was ended (a reset
    /// password, a disabled account): a session begun before the last of
    /// them is no longer good.
    #[serde(default)]
    pub sessions_ended: u32,
}

impl Account {
    /// The person as the operator layer sees them.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.name.clone(),
            role: self.role,
            code: self.code.clone(),
        }
    }

    /// Whether this person may see and work `file`: member-unit staff only
    /// the cases assigned to their own unit; everyone else at the node every
    /// case it keeps.
    pub fn sees(&self, file: &sanji_domain::case::CaseFile) -> bool {
        self.leads(file) || self.assists(file)
    }

    /// Whether this person works `file` as its handler: anyone at the hub,
    /// or the staff of the unit leading it (主办).
    pub fn leads(&self, file: &sanji_domain::case::CaseFile) -> bool {
        self.sees_assignee(
            file.assignment
                .as_ref()
                .map(|a| a.assignee.label())
                .as_deref(),
        )
    }

    /// The steps offered to this person on `file` now: the staff of an
    /// assisting unit report on their task and nothing else, and the lead's
    /// staff are not offered the assisting units' report.
    pub fn offered_steps(
        &self,
        file: &sanji_domain::case::CaseFile,
        here: &sanji_domain::Code,
    ) -> Vec<sanji_domain::case::StepKind> {
        use sanji_domain::case::StepKind;
        let steps = file.steps_for(self.role, here);
        if self.role != ActorRole::UnitStaff {
            return steps;
        }
        let (leads, assists) = (self.leads(file), self.assists(file));
        steps
            .into_iter()
            .filter(|k| {
                if *k == StepKind::AssistReport {
                    assists
                } else {
                    leads
                }
            })
            .collect()
    }

    /// Refuses a step this person may not take on `file` for whom they
    /// work for (a unit assisting it takes only its report); fills in
    /// their own unit as the one reporting.
    pub fn fit_step(
        &self,
        file: &sanji_domain::case::CaseFile,
        kind: sanji_domain::case::StepKind,
        posted: &mut std::collections::HashMap<String, String>,
    ) -> Result<(), NodeError> {
        use sanji_domain::case::StepKind;
        if self.role != ActorRole::UnitStaff {
            return Ok(());
        }
        if kind == StepKind::AssistReport {
            if !self.assists(file) {
                return Err(NodeError::Forbidden(format!(
                    "{}不是本案的协办单位",
                    self.unit.as_deref().unwrap_or("本单位")
                )));
            }
            posted.insert("unit".into(), self.unit.clone().unwrap_or_default());
            return Ok(());
        }
        if !self.leads(file) {
            return Err(NodeError::Forbidden(format!(
                "{}是本案的协办单位,只能填写协办情况;办理由主办单位进行",
                self.unit.as_deref().unwrap_or("本单位")
            )));
        }
        Ok(())
    }

    /// Whether this person is staff of a unit assisting `file` (协办), who
    /// see the case and report on their own task, nothing more.
    pub fn assists(&self, file: &sanji_domain::case::CaseFile) -> bool {
        self.role == ActorRole::UnitStaff
            && file
                .assisting
                .iter()
                .any(|a| Some(a.unit.as_str()) == self.unit.as_deref())
    }

    /// [`Account::sees`] for a case known by its assignee's label only (a list row).
    pub fn sees_assignee(&self, assignee: Option<&str>) -> bool {
        self.role != ActorRole::UnitStaff
            || (assignee.is_some() && assignee == self.unit.as_deref())
    }

    /// Whether this person sees the township's own ledgers (screenings,
    /// visits, arrivals, stations, conflicts): everyone but member-unit
    /// staff, who see the cases assigned to their unit and nothing else.
    pub fn sees_ledgers(&self) -> Result<(), NodeError> {
        if self.role == ActorRole::UnitStaff {
            return Err(NodeError::Forbidden(format!(
                "{}只能查看交办给{}的案件,排查、接访和站点由中心总台查看",
                self.role.label(),
                self.unit.as_deref().unwrap_or("本单位")
            )));
        }
        Ok(())
    }

    pub fn locked_at(&self, now_ms: u64) -> bool {
        self.locked_until_ms.is_some_and(|until| now_ms < until)
    }
}

/// Why a sign-in failed, in words a person can act on. A wrong login and a
/// wrong password read the same, so a guesser learns nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("用户名或密码不对")]
    Wrong,
    #[error(
        "连续 {MAX_FAILURES} 次密码错误,账号已锁定,请 {minutes} 分钟后再试,或请中心主任重置密码"
    )]
    Locked { minutes: u64 },
    #[error("账号已停用,请与中心主任联系")]
    Disabled,
}

/// One line of the sign-in record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at_ms: u64,
    pub login: String,
    pub what: AuditKind,
    /// The address the request came from.
    pub address: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    Login,
    Logout,
    Failed,
    Locked,
    PasswordChanged,
    Created,
    Reset,
    Disabled,
    Enabled,
}

impl AuditKind {
    pub fn label(self) -> &'static str {
        match self {
            AuditKind::Login => "登录",
            AuditKind::Logout => "退出",
            AuditKind::Failed => "密码错误",
            AuditKind::Locked => "锁定",
            AuditKind::PasswordChanged => "修改密码",
            AuditKind::Created => "创建账号",
            AuditKind::Reset => "重置密码",
            AuditKind::Disabled => "停用",
            AuditKind::Enabled => "启用",
        }
    }
}

/// Who manages a node's accounts and directory from the console: the
/// director at a hub, the county office at the county.
pub const MANAGE_ROLES: &[ActorRole] = &[ActorRole::Director, ActorRole::County];

/// The roles a console account can have at a node of this level.
pub fn roles_at(node: &Code) -> &'static [ActorRole] {
    match node.level() {
        sanji_domain::Level::County => &[ActorRole::County],
        _ => &[
            ActorRole::Operator,
            ActorRole::Director,
            ActorRole::UnitStaff,
        ],
    }
}

/// The accounts of one node.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
}

fn hash(password: &str) -> Result<String, NodeError> {
    let salt: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| NodeError::Internal(format!("密码盐无法编码:{e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| NodeError::Internal(format!("密码无法加密保存:{e}")))
}

fn verifies(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A one-time password: 12 characters with no look-alikes (0/O, 1/l/I),
/// easy to read out over the phone.
fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn check_password(password: &str) -> Result<(), FieldError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            "password",
            format!("新密码至少 {MIN_PASSWORD_CHARS} 个字符"),
        ));
    }
    Ok(())
}

impl Accounts {
    pub fn new(store: Store) -> Accounts {
        Accounts { store }
    }

    pub fn get(&self, login: &str) -> Result<Option<Account>, NodeError> {
        self.store
            .meta_get(ACCOUNTS, login)?
            .map(|bytes| {
                serde_json::from_slice(&bytes)
                    .map_err(|e| NodeError::Internal(format!("账号 {login} 的记录无法读取:{e}")))
            })
            .transpose()
    }

    pub fn all(&self) -> Result<Vec<Account>, NodeError> {
        self.store
            .meta_scan(ACCOUNTS)?
            .into_iter()
            .map(|(login, bytes)| {
                serde_json::from_slice(&bytes)
                    .map_err(|e| NodeError::Internal(format!("账号 {login} 的记录无法读取:{e}")))
            })
            .collect()
    }

    fn put(&self, account: &Account) -> Result<(), NodeError> {
        let bytes = serde_json::to_vec(account).expect("accounts serialise");
        Ok(self.store.meta_put(ACCOUNTS, &account.login, &bytes)?)
    }

    fn record(
        &self,
        now_ms: u64,
        login: &str,
        what: AuditKind,
        address: &str,
    ) -> Result<(), NodeError> {
        let entry = AuditEntry {
            at_ms: now_ms,
            login: login.to_owned(),
            what,
            address: address.to_owned(),
        };
        tracing::info!(login, what = what.label(), address, "账号记录");
        // Time first, so a scan reads in order; the random tail keeps two
        // entries of one millisecond apart.
        let key = format!("{now_ms:016}-{:08x}", rand::rng().random::<u32>());
        let bytes = serde_json::to_vec(&entry).expect("audit entries serialise");
        Ok(self.store.meta_put(AUDIT, &key, &bytes)?)
    }

    /// The sign-in record, oldest first.
    pub fn audit(&self) -> Result<Vec<AuditEntry>, NodeError> {
        self.store
            .meta_scan(AUDIT)?
            .into_iter()
            .map(|(key, bytes)| {
                serde_json::from_slice(&bytes)
                    .map_err(|e| NodeError::Internal(format!("登录记录 {key} 无法读取:{e}")))
            })
            .collect()
    }

    /// Creates an account with a one-time password, which is returned once
    /// and never stored in the clear.
    pub fn add(
        &self,
        name: &str,
        login: Option<&str>,
        role: ActorRole,
        unit: Option<&str>,
        now_ms: u64,
        by: &str,
    ) -> Result<(Account, String), NodeError> {
        sanji_domain::record::name("name", name)?;
        let login = login.unwrap_or(name).trim();
        sanji_domain::record::name("login", login)?;
        let node = self.store.node().clone();
        if !roles_at(&node).contains(&role) {
            let allowed: Vec<&str> = roles_at(&node).iter().map(|r| r.label()).collect();
            return Err(NodeError::Invalid(FieldError::new(
                "role",
                format!("{node} 的账号只能是:{}", allowed.join("、")),
            )));
        }
        let unit = match (role, unit.map(str::trim).filter(|u| !u.is_empty())) {
            (ActorRole::UnitStaff, Some(unit)) => {
                crate::directory::Directory::new(self.store.clone())
                    .listing()?
                    .check_unit(unit, "可选的成员单位")?;
                Some(unit.to_owned())
            }
            (ActorRole::UnitStaff, None) => {
                return Err(NodeError::Invalid(FieldError::new(
                    "unit",
                    "成员单位工作人员须写明所属单位(如 司法所)",
                )));
            }
            (_, Some(_)) => {
                return Err(NodeError::Invalid(FieldError::new(
                    "unit",
                    format!("只有成员单位工作人员有所属单位,{}没有", role.label()),
                )));
            }
            (_, None) => None,
        };
        if self.get(login)?.is_some() {
            return Err(NodeError::Invalid(FieldError::new(
                "login",
                format!("用户名 {login} 已被使用,请换一个"),
            )));
        }
        let password = one_time_password();
        let account = Account {
            login: login.to_owned(),
            name: name.trim().to_owned(),
            role,
            unit,
            code: node,
            password_hash: hash(&password)?,
            must_change_password: true,
            disabled: false,
            failures: 0,
            locked_until_ms: None,
            created_ms: now_ms,
            sessions_ended: 0,
        };
        self.put(&account)?;
        self.record(now_ms, login, AuditKind::Created, by)?;
        // A new person's arrivals start from what the node holds today.
        self.mark_looked(login, &self.store.version_vector()?)?;
        Ok((account, password))
    }

    fn mark_looked(&self, login: &str, held: &VersionVector) -> Result<(), NodeError> {
        let bytes = serde_json::to_vec(held).expect("version vectors serialise");
        Ok(self.store.meta_put(LAST_LOOKED, login, &bytes)?)
    }

    /// What arrived since `login` last looked (by village, in order of
    /// arrival), and from now on that is what they have seen. `None` when
    /// the account has never looked (one made before arrivals were kept):
    /// from this look on they are.
    pub fn arrivals_since_last_look(
        &self,
        login: &str,
    ) -> Result<Option<Vec<crate::views::ArrivalRow>>, NodeError> {
        // Read before listing, so what lands meanwhile is new next time.
        let held = self.store.version_vector()?;
        let since: Option<VersionVector> = self
            .store
            .meta_get(LAST_LOOKED, login)?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| {
                    NodeError::Internal(format!("账号 {login} 的查看记录无法读取:{e}"))
                })
            })
            .transpose()?;
        let rows = since
            .map(|since| crate::views::arrivals(&self.store, &since, &held))
            .transpose()?;
        self.mark_looked(login, &held)?;
        Ok(rows)
    }

    /// Signs a person in. Five wrong passwords in a row lock the account
    /// for fifteen minutes; while locked, even the right password is refused.
    pub fn sign_in(
        &self,
        login: &str,
        password: &str,
        now_ms: u64,
        address: &str,
    ) -> Result<Account, LoginError> {
        let internal = |_| LoginError::Wrong;
        let Some(mut account) = self.get(login.trim()).map_err(internal)? else {
            let _ = self.record(now_ms, login, AuditKind::Failed, address);
            // The same work as a real check, so timing does not tell which logins exist.
            static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            verifies(
                password,
                DECOY.get_or_init(|| hash("decoy").unwrap_or_default()),
            );
            return Err(LoginError::Wrong);
        };
        if account.disabled {
            let _ = self.record(now_ms, &account.login, AuditKind::Failed, address);
            return Err(LoginError::Disabled);
        }
        if let Some(until) = account.locked_until_ms.filter(|until| now_ms < *until) {
            let _ = self.record(now_ms, &account.login, AuditKind::Failed, address);
            return Err(LoginError::Locked {
                minutes: (until - now_ms).div_ceil(60_000),
            });
        }
        if verifies(password, &account.password_hash) {
            account.failures = 0;
            account.locked_until_ms = None;
            self.put(&account).map_err(internal)?;
            let _ = self.record(now_ms, &account.login, AuditKind::Login, address);
            return Ok(account);
        }
        account.failures += 1;
        let locked = account.failures >= MAX_FAILURES;
        if locked {
            account.failures = 0;
            account.locked_until_ms = Some(now_ms + LOCKOUT_MS);
            tracing::warn!(login = %account.login, address, "连续密码错误,账号已锁定");
        }
        self.put(&account).map_err(internal)?;
        let _ = self.record(now_ms, &account.login, AuditKind::Failed, address);
        if locked {
            let _ = self.record(now_ms, &account.login, AuditKind::Locked, address);
            return Err(LoginError::Locked {
                minutes: LOCKOUT_MS / 60_000,
            });
        }
        Err(LoginError::Wrong)
    }

    pub fn signed_out(&self, login: &str, now_ms: u64, address: &str) -> Result<(), NodeError> {
        self.record(now_ms, login, AuditKind::Logout, address)
    }

    /// A person sets their own password (the current one proves it is them).
    pub fn change_password(
        &self,
        login: &str,
        current: &str,
        new: &str,
        now_ms: u64,
        address: &str,
    ) -> Result<Account, NodeError> {
        let mut account = self
            .get(login)?
            .ok_or_else(|| NodeError::NotFound(format!("账号 {login}")))?;
        if !verifies(current, &account.password_hash) {
            return Err(NodeError::Invalid(FieldError::new(
                "current",
                "当前密码不对",
            )));
        }
        check_password(new)?;
        if new == current {
            return Err(NodeError::Invalid(FieldError::new(
                "password",
                "新密码不能与当前密码相同",
            )));
        }
        account.password_hash = hash(new)?;
        account.must_change_password = false;
        self.put(&account)?;
        self.record(now_ms, login, AuditKind::PasswordChanged, address)?;
        Ok(account)
    }

    /// Gives an account a new one-time password and lifts a lockout.
    pub fn reset(&self, login: &str, now_ms: u64, by: &str) -> Result<String, NodeError> {
        let mut account = self
            .get(login)?
            .ok_or_else(|| NodeError::NotFound(format!("账号 {login}")))?;
        let password = one_time_password();
        account.password_hash = hash(&password)?;
        account.must_change_password = true;
        account.failures = 0;
        account.locked_until_ms = None;
        account.sessions_ended += 1;
        self.put(&account)?;
        self.record(now_ms, login, AuditKind::Reset, by)?;
        Ok(password)
    }

    pub fn set_disabled(
        &self,
        login: &str,
        disabled: bool,
        now_ms: u64,
        by: &str,
    ) -> Result<Account, NodeError> {
        let mut account = self
            .get(login)?
            .ok_or_else(|| NodeError::NotFound(format!("账号 {login}")))?;
        account.disabled = disabled;
        if disabled {
            account.sessions_ended += 1;
        }
        self.put(&account)?;
        let what = if disabled {
            AuditKind::Disabled
        } else {
            AuditKind::Enabled
        };
        self.record(now_ms, login, what, by)?;
        Ok(account)
    }
}
