//! Requests the sync client would never send: [`device`] makes operations by hand, to push them
//! as they are (or altered) over plain HTTP with [`Api`].

use std::time::Duration;

pub use bangfu_testkit::HandDevice;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::cadre_id;

/// Hand-made device `n` on the machine's clock (the server refuses operations from long ago),
/// authoring as cadre 1 of the fixtures.
pub fn device(n: u128) -> HandDevice {
    HandDevice::new(n).on_system_clock().by(cadre_id(1))
}

/// Plain HTTP calls to a server, answers read as JSON.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    /// Calls to the server at `base` (`http://127.0.0.1:port`), each on a new connection (a
    /// connection the server closed after refusing a request is never raced by the next), with
    /// a guard of a minute.
    pub fn new(base: String) -> Api {
        Api {
            base,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .pool_max_idle_per_host(0)
                .build()
                .expect("an HTTP client"),
        }
    }

    /// `method path` with `token` and a JSON `body`; the status and the body as JSON (null if
    /// it is not).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("body");
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    /// `method path` with `token` and `body` as JSON.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).expect("json");
        self.call(method, path, token, Some(bytes)).await
    }

    /// Signs in; the token.
    pub async fn sign_in(&self, username: &str, password: &str, device: Uuid) -> String {
        let (status, body) = self
            .json(
                Method::POST,
                "/v1/auth/signin",
                None,
                &json!({"username": username, "password": password, "device_id": device,
                        "device_name": "测试设备"}),
            )
            .await;
        assert_eq!(status, 200, "sign-in of {username}: {body}");
        body["device_token"]
            .as_str()
            .expect("a device token")
            .to_owned()
    }
}
