//! Errors of the PKI: Chinese first, naming the file or field, saying what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A file the caller needs is not there; `hint` says how to create it.
    #[error("找不到证书文件 {}:{hint}", path.display())]
    Missing { path: PathBuf, hint: String },

    #[error("{} 已存在,拒绝覆盖:如确需重新生成,请先移走或删除该文件", path.display())]
    AlreadyExists { path: PathBuf },

    #[error("读写 {} 失败:{source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A PEM file that does not hold what it should.
    #[error("{} 不是有效的{what}:{reason}", path.display())]
    BadFile {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },

    #[error("{} 已存在且来自另一个 CA:一个目录只能存放同一个县级 CA 签发的证书;请换一个输出目录", path.display())]
    OtherCa { path: PathBuf },

    #[error("私钥 {} 与证书 {} 不配对:请确认两者是同一次签发生成的", key.display(), cert.display())]
    KeyMismatch { key: PathBuf, cert: PathBuf },

    #[error("证书 {} 不是由 {} 签发的:请用同一个县级 CA 目录里的 ca.pem", cert.display(), ca.display())]
    NotIssuedByCa { cert: PathBuf, ca: PathBuf },

    #[error("CA 须使用县级代码(6 位数字),而 {code} 是{level}级代码")]
    NotCounty { code: String, level: &'static str },

    #[error(
        "{code} 不在本 CA 所辖的县 {county} 之内:本 CA 只能为 {county} 及其下属乡镇、村签发证书"
    )]
    OutsideCounty { code: String, county: String },

    #[error("{role}证书须使用{expected}级代码,而 {code} 是{actual}级代码")]
    WrongLevel {
        role: &'static str,
        code: String,
        expected: &'static str,
        actual: &'static str,
    },

    #[error("人员姓名 {name:?} 无效:{reason}")]
    BadName { name: String, reason: String },

    #[error(
        "未知人员角色 {text:?};可选:operator(总台)、director(中心主任)、unit_staff(单位工作人员)、village_staff(村工作人员)"
    )]
    BadRole { text: String },

    #[error("附加域名 {name:?} 无效:{reason}")]
    BadDnsName { name: String, reason: String },

    /// The peer certificate could not be parsed at all.
    #[error("证书无法解析:{reason}")]
    BadCert { reason: String },

    /// The peer certificate parsed, but carries no usable sanji identity.
    #[error("证书中没有可用的 sanji 身份:{reason}")]
    NoIdentity { reason: String },

    #[error("证书身份 {uri:?} 无效:{reason}")]
    BadIdentity { uri: String, reason: String },

    #[error("个人证书的口令至少 {min} 个字符:请换一个更长的口令")]
    WeakPassphrase { min: usize },

    #[error("口令不对,打不开私钥 {}:请本人重新输入", path.display())]
    WrongPassphrase { path: PathBuf },

    #[error("私钥 {} 有口令保护:须由本人输入口令才能使用", path.display())]
    KeyNeedsPassphrase { path: PathBuf },

    #[error(
        "个人证书的私钥 {} 没有口令保护,任何能读到这个文件的人都能冒用此人身份:请由本人用 sanji pki protect-key 为它设置口令后再用",
        path.display()
    )]
    UnprotectedPersonKey { path: PathBuf },

    #[error("私钥 {} 已有口令保护,无需再设", path.display())]
    AlreadyProtected { path: PathBuf },

    #[error("生成证书失败:{0}")]
    Generate(#[from] rcgen::Error),
}
