//! Requests the sync client would never send: [`RawDevice`] makes operations by hand, to push
//! them as they are (or altered) over plain HTTP with [`Api`].

use std::time::Duration;

use bangfu_core::Record;
use bangfu_core::sync::{Hlc, OP_SCHEMA_VERSION, Operation};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{at_ms, cadre_id};
use crate::system_now_ms;

/// A device making operations by hand: consecutive seqs from 1, HLCs from the system clock,
/// op ids unique per `n`.
#[derive(Debug, Clone)]
pub struct RawDevice {
    pub id: Uuid,
    /// The seq of the last operation made.
    pub seq: u64,
    /// The author of every operation.
    pub author: Uuid,
    n: u128,
}

impl RawDevice {
    /// Hand-made device `n`, authoring as cadre 1.
    pub fn new(n: u128) -> RawDevice {
        RawDevice {
            id: Uuid::from_u128(0x0190_0000_0000_7000_8000_00ee_0000_0000 | n),
            seq: 0,
            author: cadre_id(1),
            n,
        }
    }

    /// The same device under the id `id` (a device an account signed in with).
    pub fn with_id(self, id: Uuid) -> RawDevice {
        RawDevice { id, ..self }
    }

    /// The same device authoring as `author`.
    pub fn by(self, author: Uuid) -> RawDevice {
        RawDevice { author, ..self }
    }

    /// The next operation: `fields` (a JSON object) of `entity` `id`, created or edited.
    pub fn op(
        &mut self,
        entity: &str,
        id: Uuid,
        create: bool,
        fields: Value,
        scope: &str,
    ) -> Operation {
        self.seq += 1;
        let now = system_now_ms();
        let Value::Object(fields) = fields else {
            panic!("fields must be an object")
        };
        Operation {
            op_id: Uuid::from_u128(
                (self.n << 64) | 0x0190_0000_0000_7000_8000_0000_0000 | u128::from(self.seq),
            ),
            origin_device: self.id,
            origin_seq: self.seq,
            hlc: Hlc::new(now, 0),
            entity: entity.to_owned(),
            entity_id: id,
            create,
            fields: fields.into_iter().collect(),
            base: Default::default(),
            scope_path: scope.to_owned(),
            schema_version: OP_SCHEMA_VERSION,
            author: self.author,
            recorded_at: at_ms(now),
        }
    }

    /// The next operation: `r` created, every field set.
    pub fn record(&mut self, r: &Record, scope: &str) -> Operation {
        let fields = Value::Object(Operation::fields_of(r).into_iter().collect());
        self.op(r.entity(), r.id(), true, fields, scope)
    }

    /// A push request body of `ops` from this device.
    pub fn push(&self, ops: &[Operation]) -> Value {
        json!({"device_id": self.id, "ops": ops})
    }
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
