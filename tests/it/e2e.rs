//! End to end with the real client: the real Claude Code (`claude -p`) reads only what ccgw
//! configured (a settings file ccgw wrote, or `ccgw exec`'s `--settings`), runs `ccgw key` as its
//! apiKeyHelper, and talks to a real LiteLLM proxy whose model's upstream (a loopback
//! Anthropic-shaped server, `common::upstream`) answers with a canned text. The answer on
//! claude's stdout proves the whole chain. Each test runs once per Claude Code version of the
//! matrix (`each_claude!`).
//!
//! Each claude run takes seconds, so these tests are few; every run is bounded and killed with
//! its process group (`common::claude`). No timing is asserted.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::claude::{self, Claude, TIMEOUT};
use crate::common::fakegw::{FakeGateway, Req, Resp};
use crate::common::litellm::{LiteLlm, MASTER_KEY, MODEL};
use crate::common::openbao::OpenBao;
use crate::common::secret_service::SecretService;
use crate::common::upstream::ANSWER;
use crate::common::{TestEnv, dep, scrub};
use crate::each_claude;

/// A unified profile `work` for `gateway`, with the given `[profiles.work.key]` body.
fn unified_config(gateway: &str, key: &str) -> String {
    format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"{gateway}\"\nmode = \"unified\"\n\
         key_ttl = \"1h\"\nmodel = \"{MODEL}\"\n\n[profiles.work.key]\n{key}"
    )
}

fn settings_write(env: &TestEnv) {
    env.ccgw()
        .args(["settings", "write", "--scope", "user"])
        .assert()
        .success();
}

/// Every Claude Code settings file under `dir` (any depth).
fn settings_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(settings_files(&p));
        } else if matches!(
            p.file_name().and_then(|n| n.to_str()),
            Some("settings.json" | "settings.local.json")
        ) {
            found.push(p);
        }
    }
    found
}

each_claude!(fn vault_key_via_settings_and_the_cache_serves_a_second_claude(claude) {
    let litellm = LiteLlm::shared();
    let bao = OpenBao::start();
    bao.run(&["kv", "put", "secret/gw", &format!("api_key={MASTER_KEY}")]);
    let env = TestEnv::new();
    env.write_config(&unified_config(
        &litellm.base,
        &format!(
            "source = \"vault\"\naddr = \"{}\"\npath = \"gw\"\n",
            bao.addr
        ),
    ));
    // The token where `bao login` would leave it, so that no claude process needs VAULT_TOKEN.
    std::fs::write(
        env.home().join(".vault-token"),
        crate::common::openbao::ROOT_TOKEN,
    )
    .unwrap();
    settings_write(&env);
    let settings = crate::common::read(env.user_settings());
    assert!(settings.contains("apiKeyHelper"), "{settings}");
    assert!(
        !settings.contains(MASTER_KEY),
        "the key is in settings.json"
    );

    for _ in 0..2 {
        let run = claude::run(claude.print(&env, "say hello"), TIMEOUT);
        run.assert_success();
        assert!(run.stdout.contains(ANSWER), "{run:#?}");
    }
    // Two claude processes, each running the helper: one read of the secret, the rest from
    // ccgw's cache.
    assert_eq!(bao.count_requests("secret/data/gw", "read"), 1);
});

each_claude!(fn exec_launches_claude_without_writing_a_settings_file(claude) {
    let litellm = LiteLlm::shared();
    let env = TestEnv::new();
    env.write_config(&unified_config(
        &litellm.base,
        "source = \"env\"\nvar = \"CCGW_E2E_KEY\"\n",
    ));
    let mut cmd = Command::new(crate::common::ccgw_bin());
    claude::offline(&env, &mut cmd, 0);
    cmd.env("CCGW_E2E_KEY", MASTER_KEY)
        .args(["exec", "--"])
        .arg(claude.bin())
        .args(["-p", "say hello"]);
    let run = claude::run(cmd, TIMEOUT);
    run.assert_success();
    assert!(run.stdout.contains(ANSWER), "{run:#?}");
    let written: Vec<PathBuf> = [env.home(), env.cwd(), env.managed_dir()]
        .iter()
        .flat_map(|d| settings_files(d))
        .collect();
    assert!(written.is_empty(), "settings files appeared: {written:?}");
});

each_claude!(fn keyring_key_from_a_real_secret_service(claude) {
    let litellm = LiteLlm::shared();
    let ss = SecretService::start();
    let env = TestEnv::new();
    env.write_config(&unified_config(&litellm.base, "source = \"keyring\"\n"));
    let mut set = Command::new(crate::common::ccgw_bin());
    env.apply(&mut set);
    ss.apply(&mut set);
    let out = assert_cmd::Command::from_std(set)
        .args(["secret", "set"])
        .write_stdin(format!("{MASTER_KEY}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    settings_write(&env);
    assert!(!crate::common::read(env.user_settings()).contains(MASTER_KEY));

    let mut cmd = claude.print(&env, "say hello");
    ss.apply(&mut cmd);
    let run = claude::run(cmd, TIMEOUT);
    run.assert_success();
    assert!(run.stdout.contains(ANSWER), "{run:#?}");
});

/// The verifying gateway of `tests/fixtures/jwt_gateway.py` (see its docstring for why it
/// exists), in front of the shared LiteLLM. Killed with its process group on drop.
struct JwtGateway {
    child: Child,
    base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

const ISSUER: &str = "https://idp.e2e.test";
const AUDIENCE: &str = "litellm-e2e";

impl JwtGateway {
    fn start(upstream: &str, public_key_pem: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pubkey = dir.path().join("public.pem");
        std::fs::write(&pubkey, public_key_pem).unwrap();
        let log = dir.path().join("gateway.jsonl");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jwt_gateway.py");
        let mut cmd = Command::new(dep("python"));
        scrub(&mut cmd);
        cmd.arg(script)
            .env("UPSTREAM", upstream)
            .env("UPSTREAM_KEY", MASTER_KEY)
            .env("JWT_PUBLIC_KEY_FILE", &pubkey)
            .env("JWT_ISSUER", ISSUER)
            .env("JWT_AUDIENCE", AUDIENCE)
            .env("JWT_CLAIM", "team=platform")
            .env("GATEWAY_LOG", &log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .process_group(0);
        let mut child = cmd.spawn().expect("start the JWT gateway");
        // It prints its port once it listens (or dies, closing stdout: then the read fails).
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the JWT gateway did not start: {line:?}"));
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        }
    }

    /// The verdict on each request so far (`ok`, or why it was refused).
    fn verdicts(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| v["verdict"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

impl Drop for JwtGateway {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// A profile that mints ES256 JWTs with the key at `key_file`, for `gateway`.
fn jwt_env(gateway: &str, signing_key_pem: &str) -> TestEnv {
    let env = TestEnv::new();
    let key_file = env.home().join("signing.pem");
    std::fs::write(&key_file, signing_key_pem).unwrap();
    env.write_config(&unified_config(
        gateway,
        &format!(
            "source = \"jwt\"\nalgorithm = \"ES256\"\nkey_file = \"{}\"\nttl = \"10m\"\n\
             issuer = \"{ISSUER}\"\naudience = \"{AUDIENCE}\"\nsubject = \"{{user}}\"\n\n\
             [profiles.work.key.claims]\nteam = \"platform\"\n",
            key_file.display()
        ),
    ));
    settings_write(&env);
    env
}

/// `claude -p` for a JWT profile: `sub` is the `{user}` template, so the login name is set.
fn jwt_claude(claude: Claude, env: &TestEnv) -> Command {
    let mut cmd = claude.print(env, "say hello");
    cmd.env("USER", "e2e-user");
    cmd
}

each_claude!(fn jwt_profile_through_a_verifying_gateway(claude) {
    let litellm = LiteLlm::shared();
    let key = rcgen::KeyPair::generate().unwrap(); // P-256, PKCS#8: an ES256 key
    let gw = JwtGateway::start(&litellm.base, &key.public_key_pem());
    let env = jwt_env(&gw.base, &key.serialize_pem());

    let run = claude::run(jwt_claude(claude, &env), TIMEOUT);
    run.assert_success();
    assert!(run.stdout.contains(ANSWER), "{run:#?}");
    let verdicts = gw.verdicts();
    assert!(
        !verdicts.is_empty() && verdicts.iter().all(|v| v == "ok"),
        "{verdicts:?}"
    );
});

each_claude!(fn jwt_signed_with_the_wrong_key_is_refused_with_401(claude) {
    let litellm = LiteLlm::shared();
    let trusted = rcgen::KeyPair::generate().unwrap();
    let other = rcgen::KeyPair::generate().unwrap();
    let gw = JwtGateway::start(&litellm.base, &trusted.public_key_pem());
    let env = jwt_env(&gw.base, &other.serialize_pem());

    // Claude Code retries a 401 for a long time: stop it once the gateway has refused one.
    let run = claude::run_until(jwt_claude(claude, &env), TIMEOUT, || !gw.verdicts().is_empty());
    assert!(!run.stdout.contains(ANSWER), "{run:#?}");
    let verdicts = gw.verdicts();
    assert!(
        !verdicts.is_empty(),
        "no request reached the gateway: {run:#?}"
    );
    assert!(
        verdicts
            .iter()
            .all(|v| v.contains("Signature verification failed")),
        "{verdicts:?}"
    );
});

/// One request as the recording gateway saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    authorization: Option<String>,
}

/// Records every request, and answers Claude Code's Bedrock model listing with an empty list
/// and everything else with a 400. Why a loopback server: there is no Bedrock or Vertex upstream
/// offline (LiteLLM's pass-through routes would forward to AWS / Google); what ccgw decides is
/// where Claude Code sends its requests and with which credential, and that is what it records.
fn recording_gateway() -> (FakeGateway, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let gw = FakeGateway::start(move |r: &Req| {
        log.lock().unwrap().push(Seen {
            method: r.method.clone(),
            target: r.target.clone(),
            authorization: r.header("authorization").map(str::to_owned),
        });
        if r.path().ends_with("/inference-profiles") {
            Resp::json(200, r#"{"inferenceProfileSummaries":[]}"#)
        } else {
            Resp::json(
                400,
                r#"{"message":"recording gateway: no model upstream offline"}"#,
            )
        }
    });
    (gw, seen)
}

/// Run claude with a profile of `mode_toml` against the recording gateway until the model
/// request `is_model_request` arrives; return it.
fn model_request(claude: Claude, mode_toml: &str, is_model_request: fn(&Seen) -> bool) -> Seen {
    const KEY: &str = "sk-e2e-passthrough-5d1c";
    let (gw, seen) = recording_gateway();
    let env = TestEnv::new();
    env.write_config(&format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"{}\"\n{mode_toml}\
         key_ttl = \"1h\"\n\n[profiles.work.key]\nsource = \"env\"\nvar = \"CCGW_E2E_KEY\"\n",
        gw.base()
    ));
    settings_write(&env);
    let mut cmd = claude.print(&env, "say hello");
    cmd.env("CCGW_E2E_KEY", KEY);
    let run = claude::run_until(cmd, TIMEOUT, || {
        seen.lock().unwrap().iter().any(is_model_request)
    });
    let seen = seen.lock().unwrap().clone();
    let req = seen
        .iter()
        .find(|s| is_model_request(s))
        .unwrap_or_else(|| panic!("no model request among {seen:#?}; {run:#?}"))
        .clone();
    assert_eq!(req.method, "POST", "{req:?}");
    assert_eq!(
        req.authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str()),
        "{req:?}"
    );
    req
}

each_claude!(fn bedrock_mode_requests_reach_the_gateways_bedrock_route_with_the_bearer_key(claude) {
    let req = model_request(
        claude,
        "mode = \"bedrock\"\nbedrock = { region = \"us-east-1\" }\n",
        |s| s.target.starts_with("/bedrock/model/") && s.target.contains("/invoke"),
    );
    assert!(
        req.target.ends_with("/invoke-with-response-stream"),
        "{req:?}"
    );
});

each_claude!(fn vertex_mode_requests_reach_the_gateways_vertex_route_with_the_bearer_key(claude) {
    let req = model_request(
        claude,
        // A region-shaped name: 2.1.332 replaces a CLOUD_ML_REGION that is not one (e.g. `R`)
        // with us-east5; 2.1.197 took it as given.
        "mode = \"vertex\"\nvertex = { project = \"P\", region = \"europe-west1\" }\n",
        |s| s.target.starts_with("/vertex_ai/"),
    );
    assert!(
        req.target
            .starts_with(
                "/vertex_ai/v1/projects/P/locations/europe-west1/publishers/anthropic/models/"
            ),
        "{req:?}"
    );
});

#[test]
fn demo_script_prints_the_mock_answer_and_cleans_up() {
    let env = TestEnv::new();
    let tmp = env.root.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = Command::new(crate::common::require("bash"));
    env.apply(&mut cmd);
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo.sh"))
        .env("CCGW_BIN", crate::common::ccgw_bin())
        .env("CCGW_TEST_DEPS", crate::common::deps_dir())
        .env("TMPDIR", &tmp);
    // It starts its own LiteLLM (~10 s) and OpenBao, runs doctor, then claude.
    let run = claude::run(cmd, Duration::from_secs(300));
    run.assert_success();
    // The demo's own LiteLLM answers with a mock_response (scripts/demo.sh).
    assert!(
        run.stdout.contains("Hello from the LiteLLM mock"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("ccgw doctor"), "{run:#?}");
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(left.is_empty(), "the demo left {left:?} behind");
}
