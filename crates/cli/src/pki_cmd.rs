use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use sanji_domain::Code;
use sanji_pki::PersonRole;

#[derive(Subcommand)]
pub enum PkiCommand {
    /// 创建县级 CA(ca.pem 与 ca-key.pem;私钥务必离线保管)
    Init {
        /// 本县区划代码(6 位数字,如 360123)
        #[arg(long)]
        county: String,
        /// CA 文件存放目录(不存在则新建;已有 CA 则拒绝覆盖)
        #[arg(long)]
        dir: PathBuf,
    },
    /// 签发证书
    #[command(subcommand)]
    Issue(IssueCommand),
    /// 吊销证书(如村里电脑丢失):写入 CA 目录的 revoked.json,再复制到镇中心和县的证书目录
    Revoke {
        /// 县级 CA 所在目录(sanji pki init --dir 所建,含 ca-key.pem)
        #[arg(long)]
        ca_dir: PathBuf,
        /// 要吊销的证书文件(.pem)
        #[arg(long)]
        cert: PathBuf,
        /// 吊销原因(如 电脑丢失)
        #[arg(long)]
        reason: String,
    },
    /// 为没有口令的个人证书私钥设置口令(旧版签发的私钥须先这样做,才能用于 --as)
    ProtectKey {
        /// 私钥文件(<文件名>-key.pem)
        #[arg(long)]
        key: PathBuf,
        /// 存放口令的环境变量名(脚本用);不给则在终端提示输入两次
        #[arg(long)]
        passphrase_env: Option<String>,
    },
    /// 查看证书中的身份
    Show {
        /// 证书文件(.pem)
        cert: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum IssueCommand {
    /// 为节点(县、镇中心或村工作站)签发证书
    Node {
        /// 节点的区划代码:县 6 位、镇中心 9 位、村工作站 12 位,须在本 CA 的县内
        #[arg(long)]
        code: String,
        /// 县级 CA 所在目录(sanji pki init --dir 所建,含 ca-key.pem)
        #[arg(long)]
        ca_dir: PathBuf,
        /// 证书输出目录(写出 <代码>.pem、<代码>-key.pem 与 ca.pem;不覆盖已有文件)
        #[arg(long)]
        out: PathBuf,
        /// 服务端证书的附加域名或 IP(镇中心、县的服务器地址;可多次)
        #[arg(long = "dns")]
        dns: Vec<String>,
        /// 以 JSON 输出写出的文件(供程序读取)
        #[arg(long)]
        json: bool,
    },
    /// 为人员(总台、主任、单位或村工作人员)签发证书
    Person {
        /// 所属单位的区划代码:总台、中心主任、单位工作人员用乡镇 9 位代码,村工作人员用村 12 位代码
        #[arg(long)]
        code: String,
        #[arg(long, help = crate::clap_zh::one_of::<PersonRole>("角色"))]
        role: String,
        /// 人员姓名(最多 50 字,写入证书,办理记录中显示)
        #[arg(long)]
        name: String,
        /// 县级 CA 所在目录(sanji pki init --dir 所建,含 ca-key.pem)
        #[arg(long)]
        ca_dir: PathBuf,
        /// 证书输出目录(写出 <文件名>.pem、<文件名>-key.pem 与 ca.pem;不覆盖已有文件)。交给本人,放在本人电脑上,不要放进镇中心的证书目录
        #[arg(long)]
        out: PathBuf,
        /// 存放私钥口令的环境变量名(脚本用);不给则在终端提示输入两次
        #[arg(long)]
        passphrase_env: Option<String>,
        /// 以 JSON 输出文件名与写出的文件(供程序读取,如 --as 所用的文件)
        #[arg(long)]
        json: bool,
    },
}

fn code(text: &str) -> Result<Code> {
    Ok(Code::parse(text)?)
}

pub fn run(cmd: PkiCommand) -> Result<ExitCode> {
    match cmd {
        PkiCommand::Init { county, dir } => {
            sanji_pki::init_ca(&dir, &code(&county)?)?;
            println!("已创建县级 CA {county}:{}", dir.display());
            println!("  {}/ca.pem      分发给每个节点", dir.display());
            println!(
                "  {}/ca-key.pem  私钥,只留在签发证书的电脑上",
                dir.display()
            );
        }
        PkiCommand::Issue(IssueCommand::Node {
            code: c,
            ca_dir,
            out,
            dns,
            json,
        }) => {
            let written = sanji_pki::issue_node(&ca_dir, &code(&c)?, &out, &dns)?;
            if json {
                crate::render::json(&serde_json::json!({
                    "code": c,
                    "name": c,
                    "files": written,
                }));
            } else {
                println!("已为节点 {c} 签发证书:");
                for path in written {
                    println!("  {}", path.display());
                }
            }
        }
        PkiCommand::Issue(IssueCommand::Person {
            code: c,
            role,
            name,
            ca_dir,
            out,
            passphrase_env,
            json,
        }) => {
            let role: PersonRole = role.parse()?;
            let township = code(&c)?;
            let passphrase = crate::passphrase::new_passphrase(passphrase_env.as_deref(), &name)?;
            let (stem, written) =
                sanji_pki::issue_person(&ca_dir, &township, role, &name, &out, &passphrase)?;
            if json {
                crate::render::json(&serde_json::json!({
                    "code": c,
                    "role": role.id(),
                    "person": name,
                    "name": stem,
                    "files": written,
                }));
            } else {
                println!("已为 {name}({role},{c})签发证书,文件名 {stem}:");
                for path in written {
                    println!("  {}", path.display());
                }
                println!(
                    "私钥已用口令保护。请把这些文件交给 {name} 本人,放在本人电脑上;口令只告诉本人。"
                );
            }
        }
        PkiCommand::ProtectKey {
            key,
            passphrase_env,
        } => {
            let passphrase = crate::passphrase::new_passphrase(
                passphrase_env.as_deref(),
                &key.display().to_string(),
            )?;
            sanji_pki::protect_key_file(&key, &passphrase)?;
            println!("已为 {} 设置口令。", key.display());
        }
        PkiCommand::Revoke {
            ca_dir,
            cert,
            reason,
        } => {
            let pem = std::fs::read_to_string(&cert)
                .map_err(|e| anyhow::anyhow!("读不到证书 {}:{e}", cert.display()))?;
            let now = sanji_domain::time::format_cst(sanji_sync::Clock::system().now_ms());
            let identity = sanji_pki::RevocationList::revoke(&ca_dir, &pem, &reason, &now)?;
            let list = ca_dir.join(sanji_pki::REVOKED_FILE);
            println!("已吊销 {}({reason})。", identity.display_name());
            println!(
                "请把 {} 复制到每个镇中心和县的证书目录(与 ca.pem 放在一起),",
                list.display()
            );
            println!("服务不必重启:该证书下次连接即被拒绝。");
        }
        PkiCommand::Show { cert } => {
            let pem = std::fs::read_to_string(&cert)
                .map_err(|e| anyhow::anyhow!("读不到证书 {}:{e}", cert.display()))?;
            let files = sanji_pki::CertFiles {
                ca_pem: String::new(),
                cert_pem: pem,
                key_pem: String::new(),
            };
            let identity = files.identity()?;
            println!("{}  ({})", identity.display_name(), identity.uri());
        }
    }
    Ok(ExitCode::SUCCESS)
}
