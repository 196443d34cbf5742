//! The `jwt` key source: tokens minted by `ccgw key` verify with independent implementations
//! (PyJWT for every algorithm, OpenBao's JWT auth method as a real relying party), carry the
//! configured claims, and live exactly `ttl`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::common::openbao::OpenBao;
use crate::common::{TestEnv, dep, require};

/// The HMAC secret (48 bytes: PyJWT warns below the hash size).
const HMAC_SECRET: &str = "ccgw-test-hmac-secret-0123456789abcdef0123456789";

/// Signing keys made by the openssl CLI, each with its public half.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn generate() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ccgw-jwt-keys-")
            .tempdir()
            .unwrap();
        let keys = Self { dir };
        let gen_args: [(&str, &[&str]); 4] = [
            (
                "rsa",
                &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            ),
            (
                "p256",
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            ),
            (
                "p384",
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            ),
            ("ed25519", &["-algorithm", "ed25519"]),
        ];
        for (name, args) in gen_args {
            openssl(
                &[
                    &["genpkey"],
                    args,
                    &["-out", keys.private(name).to_str().unwrap()],
                ]
                .concat(),
            );
            openssl(&[
                "pkey",
                "-in",
                keys.private(name).to_str().unwrap(),
                "-pubout",
                "-out",
                keys.public(name).to_str().unwrap(),
            ]);
        }
        std::fs::write(keys.hmac(), HMAC_SECRET).unwrap();
        keys
    }
    fn private(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.pem"))
    }
    fn public(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.pub.pem"))
    }
    fn hmac(&self) -> PathBuf {
        self.dir.path().join("hmac.key")
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new(require("openssl"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Which key file signs (and which verifies) each algorithm.
fn key_name(alg: &str) -> &'static str {
    match alg {
        a if a.starts_with("HS") => "hmac",
        a if a.starts_with("RS") || a.starts_with("PS") => "rsa",
        "ES256" => "p256",
        "ES384" => "p384",
        _ => "ed25519",
    }
}

const ALGORITHMS: [&str; 12] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "EdDSA",
];

/// One profile per algorithm. HS* take the secret from `CCGW_JWT_SECRET` except HS512, which
/// reads the key file's bytes; ES256 reads its PEM from `CCGW_JWT_PEM`; the rest read PEM files.
fn config(keys: &Keys) -> String {
    let mut toml = String::new();
    for alg in ALGORITHMS {
        let name = alg.to_lowercase();
        let source = match alg {
            "HS256" | "HS384" => "secret_env = \"CCGW_JWT_SECRET\"".to_owned(),
            "HS512" => format!("key_file = \"{}\"", keys.hmac().display()),
            "ES256" => "secret_env = \"CCGW_JWT_PEM\"".to_owned(),
            _ => format!("key_file = \"{}\"", keys.private(key_name(alg)).display()),
        };
        // Half the profiles set their own ttl; the others inherit key_ttl (40m).
        let ttl = if alg.ends_with("256") {
            "ttl = \"25m\"\n"
        } else {
            ""
        };
        toml.push_str(&format!(
            r#"[profiles.{name}]
gateway = "http://127.0.0.1:4000"
key_ttl = "40m"

[profiles.{name}.key]
source = "jwt"
algorithm = "{alg}"
{source}
{ttl}issuer = "ccgw-test"
audience = "litellm"
subject = "{{user}}"
key_id = "kid-{name}"

[profiles.{name}.key.claims]
team = "{{env:JWT_TEST_TEAM}}"
host = "{{host}}"
profile = "{{profile}}"
literal = "{{{{not a template}}}}"
nested = {{ who = ["{{user}}", 3], on = true }}

"#
        ));
    }
    toml
}

/// Mint with `ccgw key --no-cache` for profile `name`.
fn mint(env: &TestEnv, keys: &Keys, name: &str) -> String {
    let out = env
        .ccgw()
        .args(["--profile", name, "key", "--no-cache"])
        .env("USER", "ada")
        .env("JWT_TEST_TEAM", "platform")
        .env("CCGW_JWT_SECRET", HMAC_SECRET)
        .env(
            "CCGW_JWT_PEM",
            std::fs::read_to_string(keys.private("p256")).unwrap(),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ccgw key for {name}: {stderr}");
    assert!(stderr.is_empty(), "ccgw key wrote to stderr: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout
        .strip_suffix('\n')
        .expect("one line ending in a newline");
    assert!(!token.contains('\n'), "{stdout:?}");
    assert!(token.bytes().all(|b| b.is_ascii_graphic()));
    token.to_owned()
}

/// Verify with PyJWT (signature, `exp`, `aud`, `iss`, required claims); return
/// `{"header": …, "claims": …, "host": …}`.
fn pyjwt_verify(token: &str, alg: &str, key: &Path) -> Value {
    const SCRIPT: &str = r#"
import json, socket, sys, jwt
token, alg, key_path = sys.argv[1], sys.argv[2], sys.argv[3]
key = open(key_path, "rb").read()
claims = jwt.decode(token, key, algorithms=[alg], audience="litellm", issuer="ccgw-test",
                    options={"require": ["exp", "iat", "jti", "sub"]})
print(json.dumps({"header": jwt.get_unverified_header(token), "claims": claims,
                  "host": socket.gethostname()}))
"#;
    let out = Command::new(dep("python"))
        .args(["-c", SCRIPT, token, alg, key.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "PyJWT rejected the {alg} token: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn every_algorithm_verifies_with_pyjwt_with_the_configured_claims() {
    let keys = Keys::generate();
    let env = TestEnv::new();
    env.write_config(&config(&keys));
    for alg in ALGORITHMS {
        let name = alg.to_lowercase();
        let before = now();
        let token = mint(&env, &keys, &name);
        let verify_key = if alg.starts_with("HS") {
            keys.hmac()
        } else {
            keys.public(key_name(alg))
        };
        let v = pyjwt_verify(&token, alg, &verify_key);
        let (h, c) = (&v["header"], &v["claims"]);
        assert_eq!(h["alg"], alg, "{v}");
        assert_eq!(h["typ"], "JWT");
        assert_eq!(h["kid"], format!("kid-{name}"));
        assert_eq!(c["iss"], "ccgw-test");
        assert_eq!(c["aud"], "litellm");
        assert_eq!(c["sub"], "ada");
        assert_eq!(c["team"], "platform");
        assert_eq!(c["host"], v["host"]);
        assert_eq!(c["profile"], name.as_str());
        assert_eq!(c["literal"], "{not a template}");
        assert_eq!(
            c["nested"],
            serde_json::json!({"who": ["ada", 3], "on": true})
        );
        assert!(c.get("nbf").is_none(), "ccgw sets no nbf: {c}");
        let jti = c["jti"].as_str().unwrap();
        assert!(
            jti.len() == 32 && jti.bytes().all(|b| b.is_ascii_hexdigit()),
            "{jti}"
        );
        let (iat, exp) = (c["iat"].as_u64().unwrap(), c["exp"].as_u64().unwrap());
        let ttl = if alg.ends_with("256") {
            25 * 60
        } else {
            40 * 60
        };
        assert_eq!(exp - iat, ttl, "{alg}: exp - iat");
        assert!(iat >= before && iat <= now(), "{alg}: iat {iat} is now");
        assert!(exp > now(), "{alg}: exp in the future");
    }
}

#[test]
fn each_token_is_unique() {
    let keys = Keys::generate();
    let env = TestEnv::new();
    env.write_config(&config(&keys));
    let a = mint(&env, &keys, "hs256");
    let b = mint(&env, &keys, "hs256");
    assert_ne!(a, b, "two mints, two jti");
}

/// `ccgw key` with `profile`'s `[key]` replaced by `key_toml`; returns (code, stdout, stderr).
fn run_with_key(key_toml: &str, envs: &[(&str, &str)]) -> (i32, String, String) {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[profiles.p]\ngateway = \"http://127.0.0.1:4000\"\n\n[profiles.p.key]\nsource = \"jwt\"\n{key_toml}"
    ));
    let mut cmd = env.ccgw();
    cmd.args(["key", "--no-cache"]).env("USER", "ada");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_template_naming_an_unset_variable_is_a_config_error() {
    let (code, out, err) = run_with_key(
        "algorithm = \"HS256\"\nsecret_env = \"S\"\n[profiles.p.key.claims]\nteam = \"{env:JWT_TEST_UNSET}\"\n",
        &[("S", HMAC_SECRET)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("`JWT_TEST_UNSET` is not set"), "{err}");
    assert!(err.contains("hint: export JWT_TEST_UNSET"), "{err}");
}

#[test]
fn a_missing_signing_secret_is_exit_4_and_names_the_variable() {
    let (code, out, err) = run_with_key(
        "algorithm = \"HS256\"\nsecret_env = \"JWT_TEST_NOSECRET\"\n",
        &[],
    );
    assert_eq!(code, 4, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("`JWT_TEST_NOSECRET` is not set"), "{err}");
}

#[test]
fn a_key_of_the_wrong_kind_is_refused_with_a_hint() {
    let keys = Keys::generate();
    // An RSA key for ES256.
    let (code, out, err) = run_with_key(
        &format!(
            "algorithm = \"ES256\"\nkey_file = \"{}\"\n",
            keys.private("rsa").display()
        ),
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("not usable for ES256"), "{err}");
    assert!(
        err.contains("hint: ES256 needs a P-256 private key in PKCS#8 PEM"),
        "{err}"
    );
    // A P-384 key for ES256 parses as EC but cannot sign ES256.
    let (code, _, err) = run_with_key(
        &format!(
            "algorithm = \"ES256\"\nkey_file = \"{}\"\n",
            keys.private("p384").display()
        ),
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ES256"), "{err}");
    // A SEC1 (`EC PRIVATE KEY`) P-256 key: jsonwebtoken takes PKCS#8 only; the hint converts.
    let sec1 = keys.dir.path().join("sec1.pem");
    openssl(&[
        "ecparam",
        "-genkey",
        "-name",
        "prime256v1",
        "-noout",
        "-out",
        sec1.to_str().unwrap(),
    ]);
    let (code, _, err) = run_with_key(
        &format!("algorithm = \"ES256\"\nkey_file = \"{}\"\n", sec1.display()),
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("openssl pkcs8 -topk8 -nocrypt"), "{err}");
    // An unknown algorithm.
    let (code, _, err) = run_with_key("algorithm = \"none\"\nsecret_env = \"S\"\n", &[("S", "x")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown JWT algorithm `none`"), "{err}");
}

/// OpenBao's JWT auth method, configured with the public keys, accepts ccgw's RS256 and ES256
/// tokens for a role bound to the audience and a custom claim, and rejects one whose claim
/// does not match: a real relying party, not only a library.
#[test]
fn openbao_jwt_auth_accepts_minted_tokens() {
    let keys = Keys::generate();
    let bao = OpenBao::start();
    let run = |args: &[&str]| {
        let out = bao.bao(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&["auth", "enable", "jwt"]);
    assert!(ok, "{err}");
    let rsa = format!("jwt_validation_pubkeys=@{}", keys.public("rsa").display());
    let ec = format!("jwt_validation_pubkeys=@{}", keys.public("p256").display());
    let (ok, _, err) = run(&["write", "auth/jwt/config", &rsa, &ec]);
    assert!(ok, "{err}");
    let role = bao.dir.path().join("role.json");
    std::fs::write(
        &role,
        r#"{"role_type": "jwt", "bound_audiences": ["litellm"], "user_claim": "sub",
            "bound_claims": {"team": "platform"}, "token_policies": ["default", "read-gw"], "token_ttl": "5m"}"#,
    )
    .unwrap();
    let (ok, _, err) = run(&[
        "write",
        "auth/jwt/role/ccgw",
        &format!("@{}", role.display()),
    ]);
    assert!(ok, "{err}");

    let env = TestEnv::new();
    env.write_config(&config(&keys));
    for name in ["rs256", "es256"] {
        let token = mint(&env, &keys, name);
        let file = bao.dir.path().join(format!("{name}.jwt"));
        std::fs::write(&file, &token).unwrap();
        let (ok, out, err) = run(&[
            "write",
            "-format=json",
            "auth/jwt/login",
            "role=ccgw",
            &format!("jwt=@{}", file.display()),
        ]);
        assert!(ok, "OpenBao rejected the {name} token: {err}");
        let login: Value = serde_json::from_str(&out).unwrap();
        let auth = &login["auth"];
        assert!(
            auth["client_token"].as_str().is_some_and(|t| !t.is_empty()),
            "{login}"
        );
        assert_eq!(auth["metadata"]["role"], "ccgw", "{login}");
    }

    // Same key, but the bound claim does not match: OpenBao must refuse.
    let wrong = env
        .ccgw()
        .args(["--profile", "rs256", "key", "--no-cache"])
        .env("USER", "ada")
        .env("JWT_TEST_TEAM", "elsewhere")
        .output()
        .unwrap();
    assert!(wrong.status.success());
    let file = bao.dir.path().join("wrong.jwt");
    std::fs::write(&file, String::from_utf8(wrong.stdout).unwrap().trim()).unwrap();
    let (ok, _, err) = run(&[
        "write",
        "auth/jwt/login",
        "role=ccgw",
        &format!("jwt=@{}", file.display()),
    ]);
    assert!(!ok, "a token with team=elsewhere must be refused");
    assert!(err.contains("claim") || err.contains("bound"), "{err}");

    // ccgw's own vault source logging in with `auth = "jwt"` (a workload token in a file, here
    // the ccgw-minted RS256 one) reads the gateway key, and reuses the login from its cache.
    let policy = bao.dir.path().join("read-gw.hcl");
    std::fs::write(&policy, "path \"secret/data/gw\" { capabilities = [\"read\"] }\npath \"sys/internal/ui/mounts/*\" { capabilities = [\"read\"] }\n").unwrap();
    let (ok, _, err) = run(&["policy", "write", "read-gw", policy.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&["kv", "put", "secret/gw", "api_key=sk-via-vault-jwt-login"]);
    assert!(ok, "{err}");
    let vault_env = TestEnv::new();
    vault_env.write_config(&format!(
        "[profiles.v]\ngateway = \"http://127.0.0.1:4000\"\n\n[profiles.v.key]\nsource = \"vault\"\naddr = \"{}\"\npath = \"gw\"\nauth = \"jwt\"\nrole = \"ccgw\"\njwt_file = \"{}\"\n",
        bao.addr,
        bao.dir.path().join("rs256.jwt").display()
    ));
    for args in [&["key"][..], &["key", "--refresh"]] {
        let out = vault_env.ccgw().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "sk-via-vault-jwt-login\n"
        );
    }
    assert_eq!(
        bao.count_requests("auth/jwt/login", "update"),
        4,
        "3 logins by bao above, 1 by ccgw"
    );
    assert_eq!(bao.count_requests("secret/data/gw", "read"), 2);
}
