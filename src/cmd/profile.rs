//! `ccgw profile list | show | use | remove`: read and edit the profiles of the config file.
//! Edits go through `config::Editor`, so comments and layout survive.

use std::io::Write;

use anyhow::{Context, Result};

use crate::claude::write;
use crate::cli::ProfileCommand;
use crate::cmd::Ctx;
use crate::config::{ConfigFile, Editor};
use crate::error;

pub fn run(ctx: &Ctx, cmd: ProfileCommand) -> Result<()> {
    match cmd {
        ProfileCommand::List => list(ctx),
        ProfileCommand::Show { name } => show(ctx, name.as_deref()),
        ProfileCommand::Use { name } => {
            let loaded = ctx.load()?;
            loaded.select(Some(&name))?;
            write::make_default(&loaded, &name)
        }
        ProfileCommand::Remove { name } => remove(ctx, &name),
    }
}

fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn list(ctx: &Ctx) -> Result<()> {
    let loaded = ctx.load()?;
    if loaded.file.profiles.is_empty() {
        eprintln!(
            "no profiles in `{}`; run `ccgw init` to create one",
            loaded.path.path.display()
        );
    }
    print(&list_lines(&loaded.file))
}

/// One line per profile: `*` for the default, name, mode, gateway; columns aligned.
fn list_lines(file: &ConfigFile) -> String {
    // The profile commands use when none is named: `default_profile`, else the only one.
    let only = (file.profiles.len() == 1).then(|| file.profiles.keys().next());
    let default = file
        .default_profile
        .as_ref()
        .or(only.flatten())
        .map(String::as_str);
    let width = file.profiles.keys().map(|n| n.len()).max().unwrap_or(0);
    file.profiles
        .iter()
        .map(|(name, p)| {
            let mark = if Some(name.as_str()) == default {
                '*'
            } else {
                ' '
            };
            format!(
                "{mark} {name:<width$}  {:<9}  {}\n",
                p.mode.as_str(),
                p.gateway
            )
        })
        .collect()
}

fn show(ctx: &Ctx, name: Option<&str>) -> Result<()> {
    let loaded = ctx.load()?;
    let (_, profile) = loaded.select(name.or(ctx.profile_flag.as_deref()))?;
    // A profile names where its secret lives, never the secret: safe to print whole.
    print(&toml::to_string(profile).context("could not serialise the profile")?)
}

fn remove(ctx: &Ctx, name: &str) -> Result<()> {
    let loaded = ctx.load()?;
    loaded.select(Some(name))?;
    let path = loaded.path.path.display();
    let mut editor = Editor::open(&loaded)?;
    if !editor.remove_profile(name) {
        // Known to serde but not as a `[profiles.NAME]` table: an inline `profiles = {…}`.
        return Err(error::config(
            format!("could not remove profile `{name}` from `{path}`"),
            Some("write the profiles as `[profiles.NAME]` tables, or edit the file".into()),
        ));
    }
    let was_default = loaded.file.default_profile.as_deref() == Some(name);
    if was_default {
        editor.clear_default();
    }
    editor.save()?;
    eprintln!("removed profile `{name}` from `{path}`");
    if was_default && loaded.file.profiles.len() > 1 {
        eprintln!("note: it was the default; choose another with `ccgw profile use NAME`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ConfigFile {
        crate::config::parse(std::path::Path::new("c.toml"), text).unwrap()
    }

    const TWO: &str = "[profiles.work]\ngateway = \"https://gw.example\"\nmode = \"bedrock\"\nbedrock = { region = \"r\" }\n[profiles.work.key]\nsource = \"env\"\nvar = \"K\"\n[profiles.lab-1]\ngateway = \"http://127.0.0.1:4000\"\n[profiles.lab-1.key]\nsource = \"env\"\nvar = \"K\"\n";

    #[test]
    fn list_marks_the_default_and_aligns() {
        let f = file(&format!("default_profile = \"lab-1\"\n{TWO}"));
        assert_eq!(
            list_lines(&f),
            "  work   bedrock    https://gw.example\n* lab-1  unified    http://127.0.0.1:4000\n"
        );
        assert!(!list_lines(&file(TWO)).contains('*'));
        assert_eq!(list_lines(&file("")), "");
    }

    #[test]
    fn a_single_profile_is_the_default() {
        let one = TWO.split("[profiles.lab-1]").next().unwrap();
        assert!(list_lines(&file(one)).starts_with("* work "));
    }
}
