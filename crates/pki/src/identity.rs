//! Who a certificate speaks for: a node (site) or a person, read from its URI SAN.

use std::fmt;
use std::str::FromStr;

use sanji_domain::{Code, Labelled, Level};

use crate::error::PkiError;

/// The URI SAN prefix of node certificates: `sanji://node/<code>`.
pub(crate) const NODE_PREFIX: &str = "sanji://node/";
/// The URI SAN prefix of person certificates: `sanji://person/<code>/<role>/<name>`.
pub(crate) const PERSON_PREFIX: &str = "sanji://person/";
/// The URI SAN prefix of the county CA: `sanji://ca/<county>`.
pub(crate) const CA_PREFIX: &str = "sanji://ca/";

/// Longest person name accepted, in characters.
pub(crate) const NAME_MAX_CHARS: usize = 50;

/// The role a person certificate is issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonRole {
    /// 总台 (township level).
    Operator,
    /// 中心主任 (township level).
    Director,
    /// 单位工作人员 (township level).
    UnitStaff,
    /// 村工作人员 (village level).
    VillageStaff,
}

impl PersonRole {
    pub const ALL: &'static [PersonRole] = &[
        PersonRole::Operator,
        PersonRole::Director,
        PersonRole::UnitStaff,
        PersonRole::VillageStaff,
    ];

    /// The identifier used in URIs, file names and flags.
    pub fn id(self) -> &'static str {
        match self {
            PersonRole::Operator => "operator",
            PersonRole::Director => "director",
            PersonRole::UnitStaff => "unit_staff",
            PersonRole::VillageStaff => "village_staff",
        }
    }

    /// The Chinese label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            PersonRole::Operator => "总台",
            PersonRole::Director => "中心主任",
            PersonRole::UnitStaff => "单位工作人员",
            PersonRole::VillageStaff => "村工作人员",
        }
    }

    /// The tier of code a person in this role belongs to.
    pub fn level(self) -> Level {
        match self {
            PersonRole::Operator | PersonRole::Director | PersonRole::UnitStaff => Level::Township,
            PersonRole::VillageStaff => Level::Village,
        }
    }

    fn from_id(id: &str) -> Option<PersonRole> {
        PersonRole::ALL.iter().copied().find(|r| r.id() == id)
    }
}

impl Labelled for PersonRole {
    const ALL: &'static [Self] = PersonRole::ALL;
    fn id(self) -> &'static str {
        PersonRole::id(self)
    }
    fn label(self) -> &'static str {
        PersonRole::label(self)
    }
}

impl fmt::Display for PersonRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for PersonRole {
    type Err = PkiError;

    /// Accepts the identifier (`operator`) or the label (`总台`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        PersonRole::ALL
            .iter()
            .copied()
            .find(|r| r.id() == text || r.label() == text)
            .ok_or_else(|| PkiError::BadRole { text: s.to_owned() })
    }
}

/// Who a certificate speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A site (county, township or village node).
    Node(Code),
    /// A person working for the unit `code`.
    Person {
        code: Code,
        role: PersonRole,
        name: String,
    },
}

impl Identity {
    /// The code of the node, or of the unit the person belongs to.
    pub fn code(&self) -> &Code {
        match self {
            Identity::Node(code) => code,
            Identity::Person { code, .. } => code,
        }
    }

    /// The URI SAN that carries this identity in a certificate.
    pub fn uri(&self) -> String {
        match self {
            Identity::Node(code) => format!("{NODE_PREFIX}{code}"),
            Identity::Person { code, role, name } => {
                format!(
                    "{PERSON_PREFIX}{code}/{}/{}",
                    role.id(),
                    percent_encode(name)
                )
            }
        }
    }

    /// For people: "360123100201 站点" or "张三(总台,360123100)".
    pub fn display_name(&self) -> String {
        match self {
            Identity::Node(code) => format!("{code} 站点"),
            Identity::Person { code, role, name } => format!("{name}({},{code})", role.label()),
        }
    }

    /// Reads a `sanji://node/…` or `sanji://person/…` URI; `None` for other URIs.
    fn from_uri(uri: &str) -> Option<Result<Identity, PkiError>> {
        let bad = |reason: String| PkiError::BadIdentity {
            uri: uri.to_owned(),
            reason,
        };
        if let Some(rest) = uri.strip_prefix(NODE_PREFIX) {
            return Some(
                Code::parse(rest)
                    .map(Identity::Node)
                    .map_err(|e| bad(e.to_string())),
            );
        }
        let rest = uri.strip_prefix(PERSON_PREFIX)?;
        Some((|| {
            let mut parts = rest.split('/');
            let (Some(code), Some(role), Some(name), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad("须为 sanji://person/<代码>/<角色>/<姓名> 的形式".into()));
            };
            let code = Code::parse(code).map_err(|e| bad(e.to_string()))?;
            let role =
                PersonRole::from_id(role).ok_or_else(|| bad(format!("未知角色 {role:?}")))?;
            check_role_level(role, &code).map_err(|e| bad(e.to_string()))?;
            let name = percent_decode(name).map_err(bad)?;
            check_name(&name).map_err(bad)?;
            Ok(Identity::Person { code, role, name })
        })())
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_name())
    }
}

/// Reads the identity from a DER certificate (element 0 of tonic's `peer_certs()`).
///
/// The certificate must carry exactly one `sanji://node/…` or `sanji://person/…`
/// URI SAN, with a valid code. The chain itself is not verified here: that is
/// the TLS layer's job.
pub fn identity_from_der(der: &[u8]) -> Result<Identity, PkiError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| PkiError::BadCert {
        reason: format!("不是有效的 DER 编码 X.509 证书({e})"),
    })?;
    identity_of(&cert)
}

pub(crate) fn identity_of(
    cert: &x509_parser::certificate::X509Certificate<'_>,
) -> Result<Identity, PkiError> {
    let uris = uri_sans(cert)?;
    let mut found: Vec<Result<Identity, PkiError>> = uris
        .iter()
        .filter_map(|uri| Identity::from_uri(uri))
        .collect();
    match found.len() {
        1 => found.remove(0),
        0 => Err(PkiError::NoIdentity {
            reason: if uris.is_empty() {
                "证书没有 URI 形式的主体备用名称(SAN);sanji 证书须由 sanji pki issue 签发".into()
            } else {
                format!(
                    "证书的 URI SAN 中没有 sanji://node/… 或 sanji://person/…(只有:{})",
                    uris.join("、")
                )
            },
        }),
        n => Err(PkiError::NoIdentity {
            reason: format!(
                "证书带有 {n} 个 sanji 身份 URI,须恰好一个:{}",
                uris.join("、")
            ),
        }),
    }
}

/// Every URI SAN of `cert`, in order.
pub(crate) fn uri_sans(
    cert: &x509_parser::certificate::X509Certificate<'_>,
) -> Result<Vec<String>, PkiError> {
    let san = cert
        .subject_alternative_name()
        .map_err(|e| PkiError::BadCert {
            reason: format!("主体备用名称(SAN)扩展无法解析({e})"),
        })?;
    Ok(san
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    x509_parser::extensions::GeneralName::URI(uri) => Some((*uri).to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default())
}

/// The person's code must be of the role's tier.
pub(crate) fn check_role_level(role: PersonRole, code: &Code) -> Result<(), PkiError> {
    if code.level() != role.level() {
        return Err(PkiError::WrongLevel {
            role: role.label(),
            code: code.as_str().to_owned(),
            expected: role.level().label(),
            actual: code.level().label(),
        });
    }
    Ok(())
}

/// 1..=50 characters, no control characters, no leading or trailing blanks.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if chars == 0 {
        return Err("姓名不能为空".into());
    }
    if chars > NAME_MAX_CHARS {
        return Err(format!(
            "姓名最多 {NAME_MAX_CHARS} 个字,而这里有 {chars} 个"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("姓名不能含控制字符(如换行、制表符)".into());
    }
    if name.trim() != name {
        return Err("姓名首尾不能有空白".into());
    }
    Ok(())
}

/// Percent-encodes every byte but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
    }
    out
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(nibble & 0x0f)])
}

/// Decodes `%XX` escapes; the result must be UTF-8.
pub(crate) fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .ok_or("姓名中的 % 后须跟两位十六进制数字")?;
            let hex = std::str::from_utf8(hex).map_err(|_| "姓名中的 % 后须跟两位十六进制数字")?;
            let byte =
                u8::from_str_radix(hex, 16).map_err(|_| format!("姓名中的转义 %{hex} 无效"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "姓名解码后不是有效的 UTF-8 文本".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_id_or_label_and_show_the_label() {
        for role in PersonRole::ALL {
            assert_eq!(role.id().parse::<PersonRole>().unwrap(), *role);
            assert_eq!(role.label().parse::<PersonRole>().unwrap(), *role);
            assert_eq!(role.to_string(), role.label());
        }
        let err = "boss".parse::<PersonRole>().unwrap_err().to_string();
        assert!(err.contains("boss") && err.contains("总台"), "{err}");
    }

    #[test]
    fn percent_encoding_round_trips() {
        for name in ["张三", "Zhang San", "a/b%c", "欧阳·修", "~._-"] {
            let enc = percent_encode(name);
            assert!(
                enc.bytes().all(|b| b.is_ascii_graphic() && b != b'/'),
                "{enc}"
            );
            assert_eq!(percent_decode(&enc).unwrap(), name);
        }
        assert_eq!(percent_encode("张三"), "%E5%BC%A0%E4%B8%89");
        assert!(percent_decode("%E5%BC").is_err());
        assert!(percent_decode("%G0").is_err());
        assert!(percent_decode("%4").is_err());
    }

    #[test]
    fn uris_parse_back() {
        let code = Code::parse("360123100").unwrap();
        let person = Identity::Person {
            code: code.clone(),
            role: PersonRole::Director,
            name: "李四".into(),
        };
        assert_eq!(Identity::from_uri(&person.uri()).unwrap().unwrap(), person);
        assert_eq!(person.display_name(), "李四(中心主任,360123100)");
        let node = Identity::Node(code);
        assert_eq!(node.uri(), "sanji://node/360123100");
        assert_eq!(Identity::from_uri(&node.uri()).unwrap().unwrap(), node);
        assert_eq!(node.display_name(), "360123100 站点");
        assert!(Identity::from_uri("https://example.com").is_none());
        for bad in [
            "sanji://node/36012",
            "sanji://person/360123100/operator",
            "sanji://person/360123100/boss/x",
            "sanji://person/360123100/village_staff/x",
            "sanji://person/360123100/operator/",
            "sanji://person/360123100/operator/a/b",
            "sanji://person/360123100/operator/%0A",
        ] {
            assert!(Identity::from_uri(bad).unwrap().is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("张三").is_ok());
        assert!(check_name(&"张".repeat(50)).is_ok());
        assert!(check_name(&"张".repeat(51)).is_err());
        assert!(check_name("").is_err());
        assert!(check_name("张\n三").is_err());
        assert!(check_name(" 张三").is_err());
    }
}
