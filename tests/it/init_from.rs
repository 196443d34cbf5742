//! `ccgw init --from FILE|URL`: a published profile from a file, and over HTTPS from a real
//! server (Python's `http.server` with `ssl`) whose certificate a private CA issued and ccgw
//! trusts through `SSL_CERT_FILE`; the keyring secret the profile lacks is the only thing
//! asked (from stdin, into a real Secret Service). Refused: plain http to another machine, and
//! a profile carrying a secret, with the config file untouched.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::common::secret_service::SecretService;
use crate::common::{self, TestEnv};

const PUBLISHED: &str = "# Acme's gateway profile\n[profiles.acme]\ngateway = \"https://llm.acme.example\"\n\
    key_ttl = \"30m\"\nmodel = \"claude-sonnet-5-5\"\nheaders = { \"x-team\" = \"platform\" }\n\n\
    [profiles.acme.key]\nsource = \"keyring\"\n";

const SECRET: &str = "sk-ccgw-init-from-5d1e8a77";

fn config(env: &TestEnv) -> toml::Table {
    common::read(env.config_path()).parse().unwrap()
}

fn settings(env: &TestEnv) -> serde_json::Value {
    serde_json::from_str(&common::read(env.user_settings())).unwrap()
}

/// `ccgw init --non-interactive --no-doctor --scope user --from SOURCE`.
fn init_from(env: &TestEnv, source: &str) -> Command {
    let mut cmd = Command::new(common::ccgw_bin());
    env.apply(&mut cmd);
    cmd.args([
        "init",
        "--non-interactive",
        "--no-doctor",
        "--scope",
        "user",
        "--from",
        source,
    ]);
    cmd
}

fn run(mut cmd: Command, stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_published_file_answers_everything_but_the_keyring_secret() {
    let ss = SecretService::start();
    let env = TestEnv::new();
    let file = env.root.path().join("acme.toml");
    std::fs::write(&file, PUBLISHED).unwrap();
    let mut cmd = init_from(&env, file.to_str().unwrap());
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &ss.address);
    let out = run(cmd, &format!("{SECRET}\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let c = config(&env);
    assert_eq!(c["default_profile"].as_str(), Some("acme"));
    let p = &c["profiles"]["acme"];
    assert_eq!(p["gateway"].as_str(), Some("https://llm.acme.example"));
    assert_eq!(p["model"].as_str(), Some("claude-sonnet-5-5"));
    assert_eq!(p["headers"]["x-team"].as_str(), Some("platform"));
    let s = settings(&env);
    assert_eq!(s["env"]["ANTHROPIC_BASE_URL"], "https://llm.acme.example");
    // The secret is in the keyring, and the helper gets it back.
    let key = env
        .ccgw()
        .env("DBUS_SESSION_BUS_ADDRESS", &ss.address)
        .args(["key", "--no-cache"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&key.stdout), format!("{SECRET}\n"));
    assert!(!common::read(env.config_path()).contains(SECRET));
}

/// A static HTTPS file server: Python's `http.server` behind `ssl`, serving `dir` on a port of
/// its choosing (printed on its first line). Killed on drop.
struct HttpsServer {
    child: Child,
    port: u16,
}

impl HttpsServer {
    fn start(dir: &Path, cert: &Path, key: &Path) -> Self {
        const SERVER: &str = r#"
import functools, http.server, ssl, sys
directory, cert, key = sys.argv[1:4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
        let mut child = Command::new(common::dep("python"))
            .args(["-c", SERVER])
            .arg(dir)
            .arg(cert)
            .arg(key)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the HTTPS server did not start: {line:?}"));
        HttpsServer { child, port }
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private CA and a `localhost`/127.0.0.1 certificate it issued: (ca.pem, cert.pem, key.pem).
fn private_ca(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "ccgw test private CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca_cert.pem()).unwrap();
    std::fs::write(&paths.1, leaf.pem()).unwrap();
    std::fs::write(&paths.2, leaf_key.serialize_pem()).unwrap();
    (paths.0, paths.1, paths.2)
}

#[test]
fn a_published_profile_over_https_from_a_private_ca() {
    let ss = SecretService::start();
    let env = TestEnv::new();
    let tls = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(tls.path());
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("acme.toml"), PUBLISHED).unwrap();
    let server = HttpsServer::start(site.path(), &cert, &key);
    let url = format!("https://localhost:{}/acme.toml", server.port);

    // Without the CA the certificate is not trusted, and nothing is written.
    let mut cmd = init_from(&env, &url);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &ss.address);
    let out = run(cmd, &format!("{SECRET}\n"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not download"), "{stderr}");
    assert!(!env.config_path().exists());

    let mut cmd = init_from(&env, &url);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &ss.address)
        .env("SSL_CERT_FILE", &ca);
    let out = run(cmd, &format!("{SECRET}\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let c = config(&env);
    assert_eq!(
        c["profiles"]["acme"]["gateway"].as_str(),
        Some("https://llm.acme.example")
    );
    // `--profile` installs it under another name.
    let mut cmd = init_from(&env, &url);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &ss.address)
        .env("SSL_CERT_FILE", &ca)
        .args(["--profile", "acme-eu"]);
    let out = run(cmd, &format!("{SECRET}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(config(&env)["profiles"].get("acme-eu").is_some());
}

#[test]
fn plain_http_to_another_machine_is_refused() {
    let env = TestEnv::new();
    env.write_config(common::SIMPLE_CONFIG);
    let before = common::read(env.config_path());
    let out = run(init_from(&env, "http://profiles.example.com/acme.toml"), "");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plain http to another machine"), "{stderr}");
    assert!(
        stderr.contains("hint: publish the profile over https"),
        "{stderr}"
    );
    assert_eq!(common::read(env.config_path()), before);
}

#[test]
fn a_published_profile_carrying_a_secret_is_refused_and_nothing_changes() {
    let env = TestEnv::new();
    env.write_config(common::SIMPLE_CONFIG);
    let before = common::read(env.config_path());
    let leaked = "hvs.CAESIPublishedVaultToken0123456789";
    let file = env.root.path().join("acme.toml");
    std::fs::write(
        &file,
        format!(
            "[profiles.acme]\ngateway = \"https://llm.acme.example\"\n\n[profiles.acme.key]\nsource = \"vault\"\npath = \"gw\"\ntoken = \"{leaked}\"\n"
        ),
    )
    .unwrap();
    let out = run(init_from(&env, file.to_str().unwrap()), "");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "acme.toml:7: profiles.acme.key.token: a published profile must not carry a secret"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(leaked), "{stderr}");
    assert_eq!(common::read(env.config_path()), before);
    assert!(!env.user_settings().exists());
}

/// In the wizard a published profile leaves one question (the settings scope, for an `env`
/// key source): the profile and the settings diff are on the screen before "Write these?",
/// and declining writes nothing.
#[test]
fn the_wizard_asks_only_the_scope_and_shows_what_it_will_write() {
    use crate::common::tmux::Tmux;
    let env = TestEnv::new();
    let file = env.root.path().join("acme.toml");
    std::fs::write(
        &file,
        "[profiles.acme]\ngateway = \"https://llm.acme.example\"\n\n[profiles.acme.key]\nsource = \"env\"\nvar = \"ACME_KEY\"\n",
    )
    .unwrap();
    let t = Tmux::start(
        &env,
        &common::ccgw_bin(),
        &["init", "--no-doctor", "--from", file.to_str().unwrap()],
        &[],
    );
    t.select("Where should Claude Code's settings be written?", 0);
    t.wait_for("? Write these?");
    let screen = t.screen();
    for asked in [
        "Profile name",
        "Gateway URL",
        "How should Claude Code",
        "Key TTL",
    ] {
        assert!(!screen.contains(asked), "{asked} was asked:\n{screen}");
    }
    assert!(screen.contains("[profiles.acme]"), "{screen}");
    assert!(
        screen.contains("\"ANTHROPIC_BASE_URL\": \"https://llm.acme.example\""),
        "{screen}"
    );
    t.answer("Write these?", "n");
    assert_eq!(t.exit_status(), 1, "{}", t.screen());
    assert!(!env.config_path().exists());
    assert!(!env.user_settings().exists());
}
