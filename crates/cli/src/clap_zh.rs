//! clap in Chinese: the help's headings and its own flags, and every error
//! clap finds on a command line re-told in the user's terms: the flag typed,
//! what it expects, and where to read more. clap's English stays out of sight.

use std::ffi::OsString;
use std::fmt::Write as _;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};
use sanji_domain::Labelled;

const HELP_TEMPLATE: &str =
    "{before-help}{about-with-newline}\n用法:{usage}\n\n{all-args}{after-help}";

/// `cmd` and every command under it with Chinese headings and help flags.
pub fn localize(cmd: Command) -> Command {
    let mut cmd = localize_tree(
        cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本"),
        ),
    );
    // clap adds its `help` subcommands when the tree is built; only then can they be re-labelled.
    cmd.build();
    localize_help_subcommands(&mut cmd);
    cmd
}

fn localize_tree(cmd: Command) -> Command {
    cmd.help_template(HELP_TEMPLATE)
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助"),
        )
        .mut_args(|arg| {
            let arg = defaults_in_chinese(arg);
            if arg.get_help_heading().is_some() {
                arg
            } else if arg.is_positional() {
                arg.help_heading("参数")
            } else {
                arg.help_heading("选项")
            }
        })
        .mut_subcommands(localize_tree)
}

/// clap's `[default: …]` and `[env: …]` notes, said in Chinese instead.
fn defaults_in_chinese(arg: Arg) -> Arg {
    let mut notes = vec![];
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && arg.get_action().takes_values() {
        let shown: Vec<String> = defaults
            .iter()
            .map(|d| {
                if d.is_empty() {
                    "空".to_owned()
                } else {
                    d.clone()
                }
            })
            .collect();
        notes.push(format!("默认 {}", shown.join("、")));
    }
    if let Some(env) = arg.get_env() {
        notes.push(format!("也可用环境变量 {}", env.to_string_lossy()));
    }
    if notes.is_empty() {
        return arg;
    }
    let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    arg.help(format!("{help}[{}]", notes.join(";")))
        .hide_default_value(true)
        .hide_env(true)
}

fn localize_help_subcommands(cmd: &mut Command) {
    if cmd.find_subcommand("help").is_some() {
        *cmd = std::mem::take(cmd).mut_subcommand("help", |help| {
            help.about("显示本说明,或所列命令的说明")
                .help_template(HELP_TEMPLATE)
        });
    }
    for sub in cmd.get_subcommands_mut() {
        localize_help_subcommands(sub);
    }
}

/// The accepted values of a closed vocabulary, for a flag's help: every
/// identifier with its Chinese label, either of which may be typed.
pub fn one_of<T: Labelled>(what: &str) -> String {
    let values: Vec<String> = T::ALL
        .iter()
        .map(|v| format!("{}({})", v.id(), v.label()))
        .collect();
    format!("{what}:{};填英文标识或中文名称均可", values.join("、"))
}

/// Parses the process's command line with `cmd`; on a mistake prints it in
/// Chinese and exits (help and version are printed as asked).
pub fn matches(cmd: &mut Command) -> clap::ArgMatches {
    match cmd.try_get_matches_from_mut(std::env::args_os().collect::<Vec<OsString>>()) {
        Ok(matches) => matches,
        Err(err) => exit(&err, cmd),
    }
}

/// Prints a clap error in Chinese (or the help clap was asked for) and exits.
pub fn exit(err: &clap::Error, root: &Command) -> ! {
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => err.exit(),
        _ => {
            eprintln!("错误:{}", explain(err, root));
            std::process::exit(err.exit_code());
        }
    }
}

fn text(err: &clap::Error, kind: ContextKind) -> Option<String> {
    match err.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join("、")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("、"),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn strings(err: &clap::Error, kind: ContextKind) -> Vec<String> {
    match err.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        _ => vec![],
    }
}

/// The command the user typed, as far as its words name subcommands
/// (`sanji station screening add`): some errors carry no usage line to read it from.
fn typed_path(root: &Command) -> Vec<String> {
    let mut path = vec![root.get_name().to_owned()];
    let mut here = root;
    for word in std::env::args().skip(1) {
        if let Some(sub) = here.find_subcommand(&word) {
            path.push(sub.get_name().to_owned());
            here = sub;
        }
    }
    path
}

fn find_command<'a>(root: &'a Command, path: &[String]) -> Option<&'a Command> {
    path.iter()
        .skip(1)
        .try_fold(root, |cmd, name| cmd.find_subcommand(name))
}

/// The argument `shown` names (`--people <PEOPLE>`, `-h`, `<WHAT>`).
fn find_arg<'a>(cmd: &'a Command, shown: &str) -> Option<&'a Arg> {
    let word = shown.split_whitespace().next().unwrap_or(shown);
    cmd.get_arguments().find(|a| {
        if let Some(long) = word.strip_prefix("--") {
            a.get_long() == Some(long)
        } else if let Some(short) = word.strip_prefix('-') {
            a.get_short().is_some_and(|c| short == c.to_string())
        } else {
            a.is_positional()
                && a.get_value_names()
                    .is_some_and(|names| names.iter().any(|n| word == format!("<{n}>")))
        }
    })
}

fn flag_word(shown: &str) -> &str {
    shown.split_whitespace().next().unwrap_or(shown)
}

/// What a value failed to parse as, in words a clerk knows.
fn why_invalid(err: &clap::Error) -> Option<String> {
    let source = std::error::Error::source(err)?;
    if let Some(e) = source.downcast_ref::<std::num::ParseIntError>() {
        use std::num::IntErrorKind::*;
        return Some(
            match e.kind() {
                Empty => "不能为空",
                PosOverflow => "数值过大",
                NegOverflow => "数值过小",
                _ => "须为整数,请用阿拉伯数字填写(如 12)",
            }
            .to_owned(),
        );
    }
    Some(source.to_string())
}

/// A clap error as one Chinese paragraph: what is wrong, what the flag
/// expects, the usage line, and where the full help is.
pub fn explain(err: &clap::Error, root: &Command) -> String {
    let usage = text(err, ContextKind::Usage).unwrap_or_default();
    let path = typed_path(root);
    let here = find_command(root, &path);
    let help_of = |shown: &str| {
        here.and_then(|c| find_arg(c, shown))
            .and_then(|a| a.get_help())
            .map(|h| h.to_string())
    };
    let arg = text(err, ContextKind::InvalidArg).unwrap_or_default();
    let value = text(err, ContextKind::InvalidValue).unwrap_or_default();
    let mut out = String::new();
    match err.kind() {
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let flag = flag_word(&arg);
            let _ = write!(out, "{flag} 的值 {value:?} 不对");
            if let Some(why) = why_invalid(err) {
                let _ = write!(out, ":{why}");
            }
            let valid = strings(err, ContextKind::ValidValue);
            if !valid.is_empty() {
                let _ = write!(out, ";可选:{}", valid.join("、"));
            }
            if let Some(help) = help_of(&arg) {
                let _ = write!(out, "\n  {flag}:{help}");
            }
        }
        ErrorKind::MissingRequiredArgument => {
            let missing = strings(err, ContextKind::InvalidArg);
            let _ = write!(
                out,
                "缺少必填项 {}",
                missing
                    .iter()
                    .map(|m| flag_word(m))
                    .collect::<Vec<_>>()
                    .join("、")
            );
            for m in &missing {
                if let Some(help) = help_of(m) {
                    let _ = write!(out, "\n  {}:{help}", flag_word(m));
                }
            }
        }
        ErrorKind::UnknownArgument => {
            let _ = write!(out, "不认识的选项 {}", flag_word(&arg));
            if let Some(s) = text(err, ContextKind::SuggestedArg) {
                let _ = write!(out, ";是不是要用 {}?", flag_word(&s));
            }
        }
        ErrorKind::InvalidSubcommand | ErrorKind::MissingSubcommand => {
            let sub = text(err, ContextKind::InvalidSubcommand).unwrap_or_default();
            if err.kind() == ErrorKind::InvalidSubcommand {
                let _ = write!(out, "不认识的命令 {sub:?}");
            } else {
                let _ = write!(out, "{sub} 后面须跟一个命令");
            }
            if let Some(s) = text(err, ContextKind::SuggestedSubcommand) {
                let _ = write!(out, ";是不是要用 {s}?");
            }
            if let Some(cmd) = here {
                let _ = write!(out, "\n可用的命令:");
                for c in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
                    let about = c.get_about().map(|a| a.to_string()).unwrap_or_default();
                    let _ = write!(out, "\n  {:<12}{about}", c.get_name());
                }
            }
        }
        ErrorKind::ArgumentConflict => {
            let prior = text(err, ContextKind::PriorArg).unwrap_or_default();
            let _ = write!(
                out,
                "{} 不能与 {} 同时使用",
                flag_word(&arg),
                flag_word(&prior)
            );
        }
        ErrorKind::NoEquals
        | ErrorKind::TooManyValues
        | ErrorKind::TooFewValues
        | ErrorKind::WrongNumberOfValues => {
            if arg.is_empty() {
                let _ = write!(out, "多余的参数 {value:?}");
            } else {
                let _ = write!(out, "{} 的值个数不对", flag_word(&arg));
            }
        }
        ErrorKind::InvalidUtf8 => {
            out.push_str("命令行中有无法识别的字符(不是 UTF-8 编码)");
        }
        _ => out.push_str("命令行无法解析"),
    }
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    if !usage.is_empty() {
        let _ = write!(out, "\n\n用法:{usage}");
    }
    let _ = write!(out, "\n查看说明:{} --help", path.join(" "));
    out
}
