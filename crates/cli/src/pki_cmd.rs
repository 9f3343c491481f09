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
        /// 县级区划代码(6 位)
        #[arg(long)]
        county: String,
        /// CA 文件存放目录
        #[arg(long)]
        dir: PathBuf,
    },
    /// 签发证书
    #[command(subcommand)]
    Issue(IssueCommand),
    /// 吊销证书(如村里电脑丢失):写入 CA 目录的 revoked.json,再复制到镇中心和县的证书目录
    Revoke {
        /// 县级 CA 所在目录
        #[arg(long)]
        ca_dir: PathBuf,
        /// 要吊销的证书(.pem)
        #[arg(long)]
        cert: PathBuf,
        /// 吊销原因
        #[arg(long)]
        reason: String,
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
        /// 节点的区划代码(6、9 或 12 位)
        #[arg(long)]
        code: String,
        /// 县级 CA 所在目录
        #[arg(long)]
        ca_dir: PathBuf,
        /// 证书输出目录
        #[arg(long)]
        out: PathBuf,
        /// 服务端证书的附加域名或 IP(可多次)
        #[arg(long = "dns")]
        dns: Vec<String>,
    },
    /// 为人员(总台、主任、单位或村工作人员)签发证书
    Person {
        #[arg(long)]
        code: String,
        /// operator(总台) / director(中心主任) / unit_staff(单位工作人员) / village_staff(村工作人员)
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        ca_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
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
        }) => {
            let written = sanji_pki::issue_node(&ca_dir, &code(&c)?, &out, &dns)?;
            println!("已为节点 {c} 签发证书:");
            for path in written {
                println!("  {}", path.display());
            }
        }
        PkiCommand::Issue(IssueCommand::Person {
            code: c,
            role,
            name,
            ca_dir,
            out,
        }) => {
            let role: PersonRole = role.parse()?;
            let (stem, written) = sanji_pki::issue_person(&ca_dir, &code(&c)?, role, &name, &out)?;
            println!("已为 {name}({role},{c})签发证书,文件名 {stem}:");
            for path in written {
                println!("  {}", path.display());
            }
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
