//! The administrative subcommands: `user add` and `token add`. Each opens the
//! database (creating and migrating it if needed), acts, and records the
//! change in the audit log as the actor `cli`.

use crate::config::CommonSettings;
use anyhow::{Context as _, bail};
use app::audit::server::Actor;
use app::auth::Role;
use std::io::IsTerminal as _;

/// `dwconsole user add --email E --role R`; the password comes from
/// `APP_PASSWORD` or an interactive prompt, never from a flag (flags end up
/// in shell history and process lists).
pub async fn user_add(common: &CommonSettings, email: &str, role: &str) -> anyhow::Result<()> {
    let role: Role = role
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--role: {e}"))?;
    let password = match std::env::var("APP_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() => {
            let p = rpassword::prompt_password(format!("Password for {email}: "))?;
            let again = rpassword::prompt_password("Repeat it: ")?;
            if p != again {
                bail!("the two passwords do not match");
            }
            p
        }
        Err(_) => {
            bail!("set APP_PASSWORD or run this command in a terminal to be asked for the password")
        }
    };
    let pool = crate::db::connect(&common.database).await?;
    let mut tx = pool.begin().await?;
    let id = app::users::server::create(&mut tx, &Actor::cli(), email, password, role)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await.context("cannot save the user")?;
    println!(
        "added user {id}: {} as {role}",
        email.trim().to_ascii_lowercase()
    );
    Ok(())
}

/// `dwconsole token add --name N`: prints the secret once on stdout.
pub async fn token_add(common: &CommonSettings, name: &str) -> anyhow::Result<()> {
    let pool = crate::db::connect(&common.database).await?;
    let mut tx = pool.begin().await?;
    let (_, secret) = app::tokens::server::create(&mut tx, &Actor::cli(), name)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await.context("cannot save the token")?;
    eprintln!(
        "API token '{}' created. Copy it now; it is not shown again:",
        name.trim()
    );
    println!("{secret}");
    Ok(())
}

/// `dwconsole env add NAME [--fo-url URL] [--dataverse-url URL] [--legal-entities CODES]`.
pub async fn env_add(
    common: &CommonSettings,
    name: &str,
    fo_url: &str,
    dataverse_url: &str,
    legal_entities: &str,
) -> anyhow::Result<()> {
    let input =
        app::environments::validate_environment(name, fo_url, dataverse_url, legal_entities)
            .map_err(|(field, message)| {
                anyhow::anyhow!("--{}: {message}", field.replace('_', "-"))
            })?;
    let pool = crate::db::connect(&common.database).await?;
    let mut tx = pool.begin().await?;
    let id = app::environments::server::save(&mut tx, &Actor::cli(), None, &input)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await.context("cannot save the environment")?;
    println!("added environment {id}: {}", input.name);
    Ok(())
}
