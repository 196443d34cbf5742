//! Vault/OpenBao identity tokens (`source = "vault"` with `identity_role`), on the real OpenBao
//! dev server, verified by the JWKS-verifying gateway (the real LiteLLM with a PyJWT
//! `custom_auth`, `common::jwks_gateway`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::common::jwks_gateway::JwksGateway;
use crate::common::litellm::MODEL;
use crate::common::openbao::{IdentityRole, OpenBao};

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
    assert!(text.contains("Hello from the LiteLLM mock"), "{text}");

    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let (status, text) = messages(gw.base(), &forged);
    assert_eq!(status, 401, "{text}");

    let calls = gw.calls(&role.issuer);
    let verdicts: Vec<&str> = calls.iter().map(|c| c.verdict.as_str()).collect();
    assert_eq!(verdicts.len(), 3, "{calls:#?}");
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
    assert_eq!(ok.claims["username"], IdentityRole::USER);
    assert_eq!(ok.claims["team"], IdentityRole::TEAM);
    assert_eq!(ok.claims["aud"], role.client_id.as_str());
}
