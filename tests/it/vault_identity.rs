//! Vault/OpenBao identity tokens (`source = "vault"` with `identity_role`), on the real OpenBao
//! dev server, verified by the JWKS-verifying gateway (the real LiteLLM with a PyJWT
//! `custom_auth`, `common::jwks_gateway`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use std::path::PathBuf;

use crate::common::jwks_gateway::{Call, JwksGateway};
use crate::common::litellm::MODEL;
use crate::common::openbao::{IdentityRole, OpenBao};
use crate::common::{Ccgw, Config, Profile, TestEnv, read};

/// `POST /v1/messages` to `base` with `key` as `x-api-key`; the status and the body.
fn messages(base: &str, key: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body = format!(
        r#"{{"model":"{MODEL}","max_tokens":16,"messages":[{{"role":"user","content":"hi"}}]}}"#
    );
    write!(
        s,
        "POST /v1/messages HTTP/1.0\r\nHost: {addr}\r\nx-api-key: {key}\r\nanthropic-version: 2023-06-01\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = Vec::new();
    s.take(1 << 20).read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    (status, text)
}

/// An identity token read with the bao CLI as the userpass user.
fn bao_identity_token(bao: &OpenBao, role: &IdentityRole) -> String {
    let user = bao.userpass_token();
    let out = bao
        .bao(&[
            "read",
            "-field=token",
            &format!("identity/oidc/token/{}", role.name),
        ])
        .env("BAO_TOKEN", &user)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The fixture itself: a token OpenBao signed passes and its subject is recorded; the same
/// token with a forged signature, or for an audience the gateway does not trust, is a 401.
#[test]
fn the_jwks_gateway_verifies_openbao_identity_tokens() {
    let gw = JwksGateway::shared();
    let bao = OpenBao::start();
    let role = bao.identity_role("gw", "5m");
    let token = bao_identity_token(&bao, &role);

    // Not trusted yet: refused.
    let (status, text) = messages(gw.base(), &token);
    assert_eq!(status, 401, "{text}");

    gw.trust(&role.issuer, &role.jwks_url, &role.client_id);
    let (status, text) = messages(gw.base(), &token);
    assert_eq!(status, 200, "{text}\n{}", gw.log());
    assert!(text.contains(crate::common::upstream::ANSWER), "{text}");

    // One character inside the signature changed (not the last one, whose low bits are
    // padding: PyJWT refuses a token whose padding bits are set before it looks at `iss`).
    let mut forged = token.clone().into_bytes();
    let at = token.rfind('.').unwrap() + 10;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let (status, text) = messages(gw.base(), &forged);
    assert_eq!(status, 401, "{text}");

    let calls = gw.calls(&role.issuer);
    let verdicts: Vec<&str> = calls.iter().map(|c| c.verdict.as_str()).collect();
    assert_eq!(verdicts.len(), 3, "{verdicts:?}\nwhole log:\n{}", gw.log());
    assert!(verdicts[0].starts_with("untrusted issuer"), "{verdicts:?}");
    assert_eq!(verdicts[1], "ok");
    assert!(
        verdicts[2].contains("Signature verification failed"),
        "{verdicts:?}"
    );
    let ok = &calls[1];
    assert_eq!(ok.path, "/v1/messages");
    let sub = ok.sub.as_deref().unwrap();
    assert!(!sub.is_empty());
    assert_eq!(ok.claims["preferred_username"], IdentityRole::USER);
    assert_eq!(ok.claims["team"], IdentityRole::TEAM);
    assert_eq!(ok.claims["aud"], role.client_id.as_str());
}

/// The one cached key entry (not the Vault login entry), as JSON.
fn key_entry(env: &TestEnv) -> serde_json::Value {
    let entries: Vec<PathBuf> = std::fs::read_dir(env.cache_home().join("ccgw"))
        .unwrap()
        .map(|d| d.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.ends_with(".json") && !n.contains("vault-login")
        })
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    serde_json::from_str(&read(&entries[0])).unwrap()
}

/// `key` sent to the gateway must pass; the verifier's record of it.
fn verified(gw: &JwksGateway, role: &IdentityRole, key: &str) -> Call {
    let (status, text) = messages(gw.base(), key);
    assert_eq!(status, 200, "{text}\n{}", gw.log());
    let call = gw.calls(&role.issuer).pop().unwrap();
    assert_eq!(call.verdict, "ok", "{call:#?}");
    call
}

/// The entity a Vault token belongs to (the identity token's `sub`).
fn entity_of(bao: &OpenBao, token: &str) -> String {
    let out = bao
        .bao(&["token", "lookup", "-format=json"])
        .env("BAO_TOKEN", token)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["data"]["entity_id"].as_str().unwrap().to_owned()
}

fn identity_profile(gateway: &str, bao: &OpenBao, key_ttl: &str) -> Profile {
    Profile::new("work")
        .gateway(gateway)
        .set("key_ttl", key_ttl)
        .key("vault", &[("addr", &bao.addr), ("identity_role", "gw")])
}

/// Token auth (a userpass login's token in VAULT_TOKEN): the identity token verifies against
/// OpenBao's JWKS, names the user's entity, carries the role's template claims, and is read
/// from Vault once: the second `ccgw key` is served with the Vault token already revoked.
#[test]
fn an_identity_token_verifies_carries_its_claims_and_is_read_once() {
    let gw = JwksGateway::shared();
    let bao = OpenBao::start();
    let role = bao.identity_role("gw", "5m");
    gw.trust(&role.issuer, &role.jwks_url, &role.client_id);
    let user = bao.userpass_token();
    let env = TestEnv::new();
    env.write_config(
        &Config::new()
            .profile(identity_profile(gw.base(), &bao, "1h"))
            .build(),
    );

    let first = Ccgw::new(&env)
        .args(["key"])
        .env("VAULT_TOKEN", &user)
        .success()
        .run();
    let key = first.stdout.trim_end().to_owned();
    assert_eq!(first.stdout, format!("{key}\n"));
    let call = verified(gw, &role, &key);
    assert_eq!(call.sub.as_deref(), Some(entity_of(&bao, &user).as_str()));
    assert_eq!(call.claims["preferred_username"], IdentityRole::USER);
    assert_eq!(call.claims["team"], IdentityRole::TEAM);
    assert_eq!(call.claims["aud"], role.client_id.as_str());
    let exp = call.claims["exp"].as_u64().unwrap();
    let iat = call.claims["iat"].as_u64().unwrap();
    assert_eq!(exp - iat, 300, "the role's ttl");

    // Cached until a minute before the token's own exp (key_ttl, 1h, is later).
    assert_eq!(key_entry(&env)["expires_at"].as_u64(), Some(exp - 60));
    // `cache status` shows the token's own expiry; doctor whom it is for: never the token.
    let status = Ccgw::new(&env)
        .args(["cache", "status"])
        .success()
        .stdout_has("TOKEN EXP")
        .stdout_lacks(&key)
        .run();
    let row: Vec<&str> = status
        .stdout
        .lines()
        .find(|l| l.starts_with("work "))
        .unwrap_or_else(|| panic!("{}", status.stdout))
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(row[1], "vault", "{row:?}");
    let left = |cell: &str| {
        humantime::parse_duration(
            cell.strip_prefix("in ")
                .unwrap_or_else(|| panic!("{row:?}")),
        )
        .unwrap()
    };
    // Both from the same clock reading: the token outlives its cache entry by the margin.
    assert_eq!(
        left(row[5]) - left(row[3]),
        Duration::from_secs(60),
        "{row:?}"
    );
    assert!(left(row[5]) <= Duration::from_secs(300), "{row:?}");
    let doctor = Ccgw::new(&env)
        .args(["doctor", "--only", "key"])
        .env("VAULT_TOKEN", &user)
        .stdout_has(format!("JWT for `{}`", IdentityRole::USER))
        .stdout_lacks(&key)
        .run();
    assert!(doctor.code.is_some(), "{doctor:?}");

    // The Vault token is gone: only the cache can answer now.
    let revoke = bao
        .bao(&["token", "revoke", "-self"])
        .env("BAO_TOKEN", &user)
        .output()
        .unwrap();
    assert!(revoke.status.success(), "{revoke:?}");
    Ccgw::new(&env)
        .args(["key"])
        .env("VAULT_TOKEN", &user)
        .success()
        .stdout_is(&format!("{key}\n"))
        .run();
    assert_eq!(bao.count_requests("identity/oidc/token/gw", "read"), 1);

    // Asking Vault again proves it: the revoked token is refused (exit 4, nothing on stdout).
    Ccgw::new(&env)
        .args(["key", "--refresh"])
        .env("VAULT_TOKEN", &user)
        .code(4)
        .stdout_is("")
        .stderr_has("identity token of role `gw`")
        .stderr_has("hint: ")
        .stderr_lacks(&key)
        .run();
}

/// AppRole auth: ccgw logs in, reads the token for the approle's entity, and caches it no
/// longer than the profile's key_ttl when that is shorter than the token's life.
#[test]
fn an_identity_token_through_an_approle_login_is_capped_by_key_ttl() {
    let gw = JwksGateway::shared();
    let bao = OpenBao::start();
    let role = bao.identity_role("gw", "1h");
    gw.trust(&role.issuer, &role.jwks_url, &role.client_id);
    bao.run(&["auth", "enable", "approle"]);
    bao.run(&[
        "write",
        "auth/approle/role/ci",
        "token_policies=id-token",
        "token_ttl=20m",
    ]);
    let role_id = bao
        .run(&["read", "-field=role_id", "auth/approle/role/ci/role-id"])
        .trim()
        .to_owned();
    let secret_id = bao
        .run(&[
            "write",
            "-f",
            "-field=secret_id",
            "auth/approle/role/ci/secret-id",
        ])
        .trim()
        .to_owned();
    let env = TestEnv::new();
    let secret_file = env.home().join("secret-id");
    std::fs::write(&secret_file, &secret_id).unwrap();
    let secret_file = secret_file.display().to_string();
    env.write_config(
        &Config::new()
            .profile(
                identity_profile(gw.base(), &bao, "2m")
                    .key_raw("auth", "\"approle\"")
                    .key_raw("role_id", &format!("{role_id:?}"))
                    .key_raw("secret_id_file", &format!("{secret_file:?}")),
            )
            .build(),
    );

    let out = Ccgw::new(&env).args(["key"]).success().run();
    let key = out.stdout.trim_end();
    let call = verified(gw, &role, key);
    assert!(call.sub.as_deref().is_some_and(|s| !s.is_empty()));
    assert_eq!(call.claims["team"], IdentityRole::TEAM);
    let entry = key_entry(&env);
    let (fetched, expires) = (
        entry["fetched_at"].as_u64().unwrap(),
        entry["expires_at"].as_u64().unwrap(),
    );
    assert_eq!(
        expires - fetched,
        120,
        "capped at key_ttl, not the token's hour"
    );
    Ccgw::new(&env)
        .args(["key"])
        .success()
        .stdout_is(&out.stdout)
        .run();
    assert_eq!(bao.count_requests("auth/approle/login", "update"), 1);
    assert_eq!(bao.count_requests("identity/oidc/token/gw", "read"), 1);
}

/// A token without the policy: exit 4, and the hint names the path the policy must grant; a
/// token of no entity: exit 4 with Vault's reason.
#[test]
fn a_token_without_the_policy_is_told_what_to_grant() {
    let bao = OpenBao::start();
    let _role = bao.identity_role("gw", "5m");
    let no_policy = bao
        .run(&["token", "create", "-policy=default", "-field=token"])
        .trim()
        .to_owned();
    let env = TestEnv::new();
    env.write_config(
        &Config::new()
            .profile(identity_profile("http://127.0.0.1:4000", &bao, "1h"))
            .build(),
    );
    Ccgw::new(&env)
        .args(["key"])
        .env("VAULT_TOKEN", &no_policy)
        .code(4)
        .stdout_is("")
        .stderr_has("vault denied access to the identity token of role `gw`")
        .stderr_has("`read` on `identity/oidc/token/gw`")
        .run();
    // The root token belongs to no entity: Vault's own reason is shown.
    Ccgw::new(&env)
        .args(["key"])
        .env("VAULT_TOKEN", crate::common::openbao::ROOT_TOKEN)
        .code(4)
        .stdout_is("")
        .stderr_has("vault answered 400 to the identity token of role `gw`")
        .stderr_has("entity")
        .run();
}

/// `ccgw init --vault-identity-role` writes a profile whose `ccgw key` is the verified identity
/// token; naming a KV path beside it is a usage error that writes nothing.
#[test]
fn init_with_a_vault_identity_role_gives_a_working_profile() {
    let gw = JwksGateway::shared();
    let bao = OpenBao::start();
    let role = bao.identity_role("gw", "5m");
    gw.trust(&role.issuer, &role.jwks_url, &role.client_id);
    let user = bao.userpass_token();
    let env = TestEnv::new();
    let init = |extra: &[&str]| {
        Ccgw::new(&env)
            .args([
                "init",
                "--non-interactive",
                "--no-doctor",
                "--scope",
                "none",
            ])
            .args([
                "--gateway",
                gw.base(),
                "--mode",
                "unified",
                "--key-ttl",
                "1h",
            ])
            .args(["--key-source", "vault", "--vault-addr", &bao.addr])
            .args(extra)
    };
    init(&["--vault-identity-role", "gw", "--vault-path", "team/gw"])
        .code(2)
        .stderr_has("--vault-identity-role")
        .run();
    assert!(!env.config_path().exists());

    init(&["--vault-identity-role", "gw"]).success().run();
    let config: toml::Table = read(env.config_path()).parse().unwrap();
    let key = config["profiles"]["default"]["key"].as_table().unwrap();
    assert_eq!(key["identity_role"].as_str(), Some("gw"));
    assert!(!key.contains_key("path"), "{key:?}");

    let out = Ccgw::new(&env)
        .args(["key"])
        .env("VAULT_TOKEN", &user)
        .success()
        .run();
    let call = verified(gw, &role, out.stdout.trim_end());
    assert_eq!(call.claims["preferred_username"], IdentityRole::USER);
}

/// End to end: the real Claude Code, configured by `ccgw settings write` and then launched by
/// `ccgw exec`, runs `ccgw key` as its apiKeyHelper and is answered by the verifying gateway,
/// which saw the Vault user's entity as the subject of every request; both runs (and every
/// helper call inside them) were served by one read of the identity token.
#[test]
fn claude_code_reaches_the_gateway_as_the_vault_user() {
    use crate::common::claude::{self, TIMEOUT};
    let gw = JwksGateway::shared();
    let bao = OpenBao::start();
    let role = bao.identity_role("gw", "10m");
    gw.trust(&role.issuer, &role.jwks_url, &role.client_id);
    let user = bao.userpass_token();
    let entity = entity_of(&bao, &user);
    let env = TestEnv::new();
    // Where `bao login` leaves the token, so that no claude process needs VAULT_TOKEN.
    std::fs::write(env.home().join(".vault-token"), &user).unwrap();
    env.write_config(
        &Config::new()
            .profile(identity_profile(gw.base(), &bao, "1h").set("model", MODEL))
            .build(),
    );

    Ccgw::new(&env)
        .args(["settings", "write", "--scope", "user"])
        .success()
        .run();
    let run = claude::run(claude::print(&env, "say hello"), TIMEOUT);
    run.assert_success();
    assert!(
        run.stdout.contains(crate::common::upstream::ANSWER),
        "{run:#?}"
    );
    let through_settings = gw.calls(&role.issuer).len();
    assert!(through_settings > 0, "{}", gw.log());

    Ccgw::new(&env)
        .args(["settings", "remove", "--scope", "user"])
        .success()
        .run();
    let mut exec = std::process::Command::new(crate::common::ccgw_bin());
    claude::offline(&env, &mut exec, 0);
    exec.args(["exec", "--"])
        .arg(crate::common::dep("claude"))
        .args(["-p", "say hello"]);
    let run = claude::run(exec, TIMEOUT);
    run.assert_success();
    assert!(
        run.stdout.contains(crate::common::upstream::ANSWER),
        "{run:#?}"
    );

    let calls = gw.calls(&role.issuer);
    assert!(calls.len() > through_settings, "{}", gw.log());
    for c in &calls {
        assert_eq!(c.verdict, "ok", "{c:#?}");
        assert_eq!(c.sub.as_deref(), Some(entity.as_str()), "{c:#?}");
        assert_eq!(c.claims["preferred_username"], IdentityRole::USER);
    }
    assert!(calls.iter().any(|c| c.path == "/v1/messages"), "{calls:#?}");
    assert_eq!(bao.count_requests("identity/oidc/token/gw", "read"), 1);
}

/// Userpass auth with the password in the OS keyring (a real Secret Service): ccgw logs in as
/// the user itself and serves that user's identity token.
#[test]
fn an_identity_token_through_a_userpass_login_from_the_keyring() {
    use crate::common::secret_service::SecretService;
    let gw = JwksGateway::shared();
    let bao = OpenBao::start();
    let role = bao.identity_role("gw", "5m");
    gw.trust(&role.issuer, &role.jwks_url, &role.client_id);
    let ss = SecretService::start();
    let env = TestEnv::new();
    env.write_config(
        &Config::new()
            .profile(
                identity_profile(gw.base(), &bao, "1h")
                    .key_raw("auth", "\"userpass\"")
                    .key_raw("username", &format!("{:?}", IdentityRole::USER)),
            )
            .build(),
    );
    let ccgw = |args: &[&str], stdin: &str| {
        let mut cmd = std::process::Command::new(crate::common::ccgw_bin());
        env.apply(&mut cmd);
        ss.apply(&mut cmd);
        cmd.args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    ccgw(&["secret", "set"], IdentityRole::PASSWORD);
    let key = ccgw(&["key"], "");
    let call = verified(gw, &role, key.trim_end());
    assert_eq!(call.claims["preferred_username"], IdentityRole::USER);
    assert_eq!(ccgw(&["key"], ""), key);
    let login = format!("auth/userpass/login/{}", IdentityRole::USER);
    assert_eq!(bao.count_requests(&login, "update"), 1);
    assert_eq!(bao.count_requests("identity/oidc/token/gw", "read"), 1);
}
