//! `ccgw login`: sign in with the profile's identity provider.

use anyhow::Result;

use crate::cli::LoginArgs;
use crate::cmd::Ctx;
use crate::key::oidc;
use crate::redact::terminal_safe;

pub fn run(ctx: &Ctx, args: LoginArgs) -> Result<()> {
    let sel = ctx.select()?;
    let browser = if args.no_browser {
        None
    } else {
        crate::oidc::browser()
    };
    let open = |url: &str| {
        if let Some(b) = &browser
            && let Err(e) = crate::oidc::open_url(b, url)
        {
            eprintln!("warning: {e:#}");
        }
    };
    let who = oidc::sign_in(
        &sel.name,
        sel.profile(),
        &sel.loaded.path.path,
        |start| {
            // The complete URL carries the code; the code is shown anyway, to compare.
            let url = start
                .verification_uri_complete
                .as_deref()
                .unwrap_or(&start.verification_uri);
            eprintln!("To sign in, open {}", terminal_safe(url));
            eprintln!(
                "and check that it shows the code {}",
                terminal_safe(&start.user_code)
            );
            open(url);
            eprintln!("Waiting for the sign-in…");
        },
        |url| {
            eprintln!("To sign in, open {}", terminal_safe(url));
            open(url);
        },
    )?;
    match who {
        Some(who) => eprintln!("signed in as {}", terminal_safe(&who)),
        None => eprintln!("signed in"),
    }
    Ok(())
}
