//! `ccgw logout`: revoke the sign-in at the identity provider, forget it here.

use anyhow::Result;

use crate::cmd::Ctx;
use crate::error;
use crate::key::{self, cache, oidc};

pub fn run(ctx: &Ctx) -> Result<()> {
    let sel = ctx.select()?;
    let Some(src) = oidc::source(sel.profile()) else {
        return Err(error::config(
            format!(
                "profile `{}` does not sign in: its key source is `{}`",
                sel.name,
                sel.profile().key.kind()
            ),
            Some("`ccgw logout` is for profiles with `source = \"oidc\"`".into()),
        ));
    };
    // Under the entry's lock: a `ccgw key` refreshing now finishes first, and none starts until
    // the token is revoked, deleted and the cached tokens are gone.
    let done = key::with_entry_lock(&sel.name, sel.profile(), &sel.loaded.path.path, || {
        let done = oidc::sign_out(&sel.name, src)?;
        if let Ok(dir) = cache::dir()
            && dir.is_dir()
        {
            cache::remove_entries_of(&dir, &sel.name, "oidc");
        }
        Ok::<_, anyhow::Error>(done)
    })?;
    match done.revoked {
        Ok(true) => eprintln!("revoked the refresh token at the identity provider"),
        Ok(false) if done.deleted => {
            eprintln!(
                "the identity provider has no revocation endpoint: the refresh token was not revoked there"
            );
        }
        Ok(false) => {}
        Err(e) => eprintln!("warning: could not revoke the refresh token: {e:#}"),
    }
    if done.deleted {
        eprintln!("signed out of profile `{}`", sel.name);
    } else {
        eprintln!("profile `{}` was not signed in", sel.name);
    }
    Ok(())
}
