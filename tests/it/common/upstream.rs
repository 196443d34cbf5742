//! An Anthropic-shaped upstream on 127.0.0.1 for the LiteLLM proxy of the tests: the model's
//! `api_base`. A small server of the tests' own, because the real upstream (the Anthropic API)
//! is not reachable here, and LiteLLM 1.108 forwards `/v1/messages/count_tokens` upstream
//! (1.106 counted locally), so a proxy without a reachable upstream answers count_tokens with a
//! 500 while Claude Code still works: that is not a healthy gateway to test doctor against.
//!
//! It answers `POST /v1/messages` (a JSON message, or Anthropic's SSE events when `stream` is
//! true) with [`ANSWER`], and `POST /v1/messages/count_tokens` with `input_tokens`, or with the
//! 500 of an upstream whose count_tokens is broken ([`Upstream::broken_count_tokens`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::fakegw::{FakeGateway, Req, Resp};

/// What the upstream's model says.
pub const ANSWER: &str = "Hello from the test upstream";

pub struct Upstream {
    gw: FakeGateway,
    count_tokens_calls: Arc<AtomicUsize>,
}

impl Upstream {
    pub fn start() -> Self {
        Self::spawn(true)
    }

    /// An upstream whose count_tokens answers 500 (messages still work).
    pub fn broken_count_tokens() -> Self {
        Self::spawn(false)
    }

    fn spawn(count_tokens_works: bool) -> Self {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let gw = FakeGateway::start(move |r: &Req| match (r.method.as_str(), r.path()) {
            ("POST", "/v1/messages/count_tokens") => {
                seen.fetch_add(1, Ordering::SeqCst);
                if count_tokens_works {
                    Resp::json(200, r#"{"input_tokens":12}"#)
                } else {
                    Resp::json(
                        500,
                        r#"{"type":"error","error":{"type":"api_error","message":"test upstream: count_tokens is down"}}"#,
                    )
                }
            }
            ("POST", "/v1/messages") => message(r),
            _ => Resp::json(
                404,
                r#"{"type":"error","error":{"type":"not_found_error","message":"test upstream: no such route"}}"#,
            ),
        });
        Self {
            gw,
            count_tokens_calls: calls,
        }
    }

    /// The `api_base` to give LiteLLM.
    pub fn base(&self) -> String {
        self.gw.base()
    }

    /// How many count_tokens requests reached the upstream.
    pub fn count_tokens_calls(&self) -> usize {
        self.count_tokens_calls.load(Ordering::SeqCst)
    }
}

fn message(r: &Req) -> Resp {
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    let model = serde_json::to_string(body["model"].as_str().unwrap_or("unknown")).unwrap();
    let text = serde_json::to_string(ANSWER).unwrap();
    if body["stream"].as_bool() == Some(true) {
        let events = [
            (
                "message_start",
                format!(
                    r#"{{"type":"message_start","message":{{"id":"msg_test","type":"message","role":"assistant","model":{model},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":12,"output_tokens":1}}}}}}"#
                ),
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#.to_owned(),
            ),
            (
                "content_block_delta",
                format!(
                    r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{text}}}}}"#
                ),
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#.to_owned(),
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":6}}"#.to_owned(),
            ),
            ("message_stop", r#"{"type":"message_stop"}"#.to_owned()),
        ];
        let body: String = events
            .iter()
            .map(|(e, d)| format!("event: {e}\ndata: {d}\n\n"))
            .collect();
        return Resp {
            status: 200,
            content_type: "text/event-stream",
            body,
        };
    }
    Resp::json(
        200,
        &format!(
            r#"{{"id":"msg_test","type":"message","role":"assistant","model":{model},"content":[{{"type":"text","text":{text}}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":12,"output_tokens":6}}}}"#
        ),
    )
}
