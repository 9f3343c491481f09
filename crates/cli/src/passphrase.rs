//! Passphrases a person types: for their own key when they act with `--as`,
//! and when their key is issued or protected. Read from the terminal without
//! echo; scripts give them through an environment variable instead.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Result, bail};
use sanji_pki::CertFiles;
use zeroize::Zeroizing;

/// Where scripts put the passphrase of the person named by `--as`.
pub const AS_PASSPHRASE_ENV: &str = "SANJI_AS_PASSPHRASE";

/// The certificate set of the person acting with `--as FILE`, opened with
/// their passphrase.
pub fn person(file: &str) -> Result<CertFiles> {
    let path = Path::new(file);
    let passphrase = match std::env::var(AS_PASSPHRASE_ENV) {
        Ok(text) if !text.is_empty() => Zeroizing::new(text),
        _ if std::io::stdin().is_terminal() => {
            prompt(&format!("请输入 {} 的口令:", path.display()))?
        }
        _ => bail!(
            "以 {} 的身份办理须由本人输入口令:请在终端里运行(会提示输入),或在脚本中用环境变量 {AS_PASSPHRASE_ENV} 提供",
            path.display()
        ),
    };
    Ok(CertFiles::load_person(path, &passphrase)?)
}

/// A new passphrase: from the environment variable `env` when given, else
/// typed twice at the terminal.
pub fn new_passphrase(env: Option<&str>, whose: &str) -> Result<Zeroizing<String>> {
    let passphrase = match env {
        Some(var) => match std::env::var(var) {
            Ok(text) if !text.is_empty() => Zeroizing::new(text),
            _ => bail!("环境变量 {var} 里没有口令:请先设置,再运行"),
        },
        None if std::io::stdin().is_terminal() => {
            let first = prompt(&format!(
                "为 {whose} 的私钥设置口令(至少 {} 个字符,只告诉本人):",
                sanji_pki::MIN_PASSPHRASE_CHARS
            ))?;
            let again = prompt("再输入一次:")?;
            if first != again {
                bail!("两次输入的口令不一致,什么也没有写:请重新运行");
            }
            first
        }
        None => bail!(
            "{whose} 的私钥须设置口令:请在终端里运行(会提示输入),或用 --passphrase-env 指定存放口令的环境变量"
        ),
    };
    sanji_pki::check_passphrase(&passphrase)?;
    Ok(passphrase)
}

fn prompt(question: &str) -> Result<Zeroizing<String>> {
    Ok(Zeroizing::new(
        rpassword::prompt_password(question)
            .map_err(|e| anyhow::anyhow!("读不到输入的口令:{e}"))?,
    ))
}
