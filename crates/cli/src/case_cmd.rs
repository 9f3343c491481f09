//! Case steps as command-line arguments, shared by the hub's and the
//! station's `case` commands. The subcommands and their flags are built from
//! the domain's one description of each step ([`StepKind::inputs`]), and
//! what is typed becomes a command through the same
//! [`CaseCommand::from_inputs`] the web console's forms use.

use anyhow::{Result, anyhow};
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, Subcommand};
use sanji_domain::Labelled;
use sanji_domain::attachment::FileRef;
use sanji_domain::case::{StepKind, roles_for};
use sanji_domain::command::{InputKind, StepInput};
use sanji_node::attachments::FileUpload;
use sanji_node::ops::CaseCommand;

#[derive(Args, Clone)]
pub struct CaseRef {
    /// 案件编号(如 360123100-2026-0001),或案件 ID(表格中显示的末 8 位即可)
    #[arg(long)]
    pub case: String,
}

/// One step on one case, as typed: `sanji hub case assign --case … --village …`.
#[derive(Clone, Debug)]
pub struct StepArgs {
    kind: StepKind,
    case: String,
    /// (input name, text) for each input given.
    given: Vec<(&'static str, String)>,
}

/// `not_accept` is typed `not-accept`; `reject` is kept as the older name.
fn command_name(kind: StepKind) -> String {
    kind.id().replace('_', "-")
}

fn flag(input: &StepInput) -> String {
    input.name.replace('_', "-")
}

fn help(input: &StepInput) -> String {
    let mut text = input.label.to_owned();
    if !input.hint.is_empty() {
        text.push_str(&format!("({})", input.hint));
    }
    match input.kind {
        InputKind::Date => text.push_str(",格式 YYYY-MM-DD"),
        InputKind::Days => text.push_str(",天数"),
        InputKind::Choice(vocabulary) => {
            let choices: Vec<String> = vocabulary
                .choices()
                .iter()
                .map(|(id, label)| format!("{id}({label})"))
                .collect();
            text.push_str(&format!(",可选:{}(中文亦可)", choices.join("、")));
        }
        InputKind::Village => text.push_str(",填 12 位村代码"),
        InputKind::File => text.push_str(",填文件的路径"),
        InputKind::Text | InputKind::LongText | InputKind::Flag => {}
    }
    text
}

fn step_command(kind: StepKind) -> Command {
    let who: Vec<&str> = roles_for(kind)
        .iter()
        .filter(|r| **r != sanji_domain::case::ActorRole::System)
        .map(|r| r.label())
        .collect();
    let mut command = Command::new(command_name(kind))
        .about(format!("{}({})", kind.label(), who.join("、")))
        .arg(
            Arg::new("case")
                .long("case")
                .required(true)
                .value_name("案件")
                .help("案件编号(如 360123100-2026-0001 或 0001),或案件 ID 的末 8 位"),
        );
    if kind == StepKind::NotAccept {
        command = command.alias("reject");
    }
    for input in kind.inputs() {
        let arg = Arg::new(input.name).long(flag(input)).help(help(input));
        let arg = match input.kind {
            InputKind::Flag => arg.action(ArgAction::SetTrue),
            _ => arg
                .value_name(value_name(input.kind))
                .required(input.required && !is_defaulted(kind, input)),
        };
        command = command.arg(arg);
    }
    command
}

fn value_name(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Text | InputKind::LongText | InputKind::Flag => "文字",
        InputKind::Date => "日期",
        InputKind::Days => "天数",
        InputKind::Village => "村代码",
        InputKind::File => "文件",
        InputKind::Choice(_) => "取值",
    }
}

/// Inputs the domain fills in when left out, though they are required in the command.
fn is_defaulted(kind: StepKind, input: &StepInput) -> bool {
    kind == StepKind::Progress && input.name == "kind"
}

fn kind_named(name: &str) -> Option<StepKind> {
    StepKind::taken_by_people()
        .find(|k| command_name(*k) == name || (name == "reject" && *k == StepKind::NotAccept))
}

impl FromArgMatches for StepArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let (name, sub) = matches
            .subcommand()
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingSubcommand))?;
        let kind = kind_named(name)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))?;
        let case = sub
            .get_one::<String>("case")
            .cloned()
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingRequiredArgument))?;
        let given = kind
            .inputs()
            .iter()
            .filter_map(|input| match input.kind {
                InputKind::Flag => sub
                    .get_flag(input.name)
                    .then(|| (input.name, "true".to_owned())),
                _ => sub
                    .get_one::<String>(input.name)
                    .map(|v| (input.name, v.clone())),
            })
            .collect();
        Ok(StepArgs { kind, case, given })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = StepArgs::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Subcommand for StepArgs {
    fn augment_subcommands(command: Command) -> Command {
        StepKind::taken_by_people().fold(command, |c, kind| c.subcommand(step_command(kind)))
    }

    fn augment_subcommands_for_update(command: Command) -> Command {
        StepArgs::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        kind_named(name).is_some()
    }
}

impl StepArgs {
    /// Reads each file the step names (typed as a path) and hands it to
    /// `take_in` (the hub over the console, or the station), which keeps it
    /// and gives back the reference the step names it by.
    pub async fn take_in_files(
        &mut self,
        mut take_in: impl AsyncFnMut(FileUpload) -> Result<FileRef>,
    ) -> Result<()> {
        for (name, value) in self.given.iter_mut() {
            if self.kind.input(name).map(|i| i.kind) != Some(InputKind::File) {
                continue;
            }
            let path = std::path::PathBuf::from(value.as_str());
            let bytes = std::fs::read(&path).map_err(|e| {
                anyhow!(
                    "参数 --{}:无法读取文件 {}:{}",
                    name.replace('_', "-"),
                    path.display(),
                    sanji_node::io_reason(&e)
                )
            })?;
            let upload = FileUpload {
                name: sanji_domain::attachment::file_name(value),
                bytes,
            };
            let file = take_in(upload)
                .await
                .map_err(|e| anyhow!("参数 --{}:{e}", name.replace('_', "-")))?;
            *value = file.token();
        }
        Ok(())
    }

    /// The case named and the command to take on it; a bad value is named
    /// by the flag it was typed into.
    pub fn into_command(self) -> Result<(String, CaseCommand)> {
        let kind = self.kind;
        let command =
            CaseCommand::from_inputs(kind, self.given.iter().map(|(n, v)| (*n, v.as_str())))
                .map_err(|e| {
                    let flag = kind
                        .input(&e.field)
                        .map(|i| format!("--{}", flag(i)))
                        .unwrap_or(e.field.clone());
                    anyhow!("参数 {flag}:{}", e.rule)
                })?;
        Ok((self.case, command))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every step is a subcommand, its flags are its inputs, and what is
    /// typed reaches the same command a form would build.
    #[test]
    fn every_step_is_a_subcommand_built_from_its_inputs() {
        let cli = StepArgs::augment_subcommands(Command::new("case"));
        cli.clone().debug_assert();
        for kind in StepKind::taken_by_people() {
            let sub = cli
                .find_subcommand(command_name(kind))
                .unwrap_or_else(|| panic!("{kind:?}"));
            let flags: Vec<&str> = sub
                .get_arguments()
                .filter(|a| a.get_id() != "case")
                .map(|a| a.get_id().as_str())
                .collect();
            let inputs: Vec<&str> = kind.inputs().iter().map(|i| i.name).collect();
            assert_eq!(flags, inputs, "{kind:?}");
        }
        let matches = cli
            .try_get_matches_from([
                "case",
                "follow-up",
                "--case",
                "0001",
                "--satisfied",
                "--note",
                "满意",
            ])
            .unwrap();
        let (case, command) = StepArgs::from_arg_matches(&matches)
            .unwrap()
            .into_command()
            .unwrap();
        assert_eq!(case, "0001");
        assert!(matches!(
            command,
            CaseCommand::FollowUp {
                satisfied: true,
                recurred: false,
                ..
            }
        ));
    }

    #[test]
    fn a_bad_value_is_named_by_its_flag() {
        let cli = StepArgs::augment_subcommands(Command::new("case"));
        let matches = cli
            .try_get_matches_from([
                "case", "extend", "--case", "0001", "--days", "十", "--reason", "鉴定",
            ])
            .unwrap();
        let err = StepArgs::from_arg_matches(&matches)
            .unwrap()
            .into_command()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("参数 --days:"), "{err}");
        let cli = StepArgs::augment_subcommands(Command::new("case"));
        let matches = cli
            .try_get_matches_from(["case", "reject", "--case", "1", "--reason", "不属受理范围"])
            .unwrap();
        let (_, command) = StepArgs::from_arg_matches(&matches)
            .unwrap()
            .into_command()
            .unwrap();
        assert_eq!(command.kind(), StepKind::NotAccept);
    }
}
