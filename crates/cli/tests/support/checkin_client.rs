//! A lean HTTP/1.1 client of the public check-in API (`POST /api/v1/checkins`), shared
//! by the check-in load generator (`examples/checkin_load.rs`) and the crash test
//! (`tests/crash.rs`): one keep-alive connection per worker (hyper), visitors with
//! valid Vietnamese phones and names, client addresses spread through
//! `X-Forwarded-For` (the server trusts the loopback proxy in both), a fresh
//! idempotency key per check-in as the check-in page's hidden field carries.

#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// One keep-alive connection to the server.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

/// What the server answered to one check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The check-in's id when it was made (201) or replayed (200).
    pub check_in_id: Option<i64>,
}

/// A visitor of the load: a valid phone and a name of letters only, distinct for
/// distinct `i` below 100,000,000.
pub fn visitor(i: u64) -> (String, String) {
    const FAMILY: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Lò"];
    const MIDDLE: [&str; 6] = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thanh"];
    const GIVEN: [&str; 10] = [
        "An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Tú",
    ];
    let phone = format!("09{:08}", i % 100_000_000);
    let name = format!(
        "{} {} {}",
        FAMILY[(i % 8) as usize],
        MIDDLE[(i / 8 % 6) as usize],
        GIVEN[(i / 48 % 10) as usize]
    );
    (phone, name)
}

/// A client address for the `X-Forwarded-For` header: 10.x.y.z from `i`.
pub fn client_address(i: u64) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

impl Connection {
    /// Opens a connection to `addr`.
    pub async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            // Ends when the server goes away; the next request then fails.
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
        })
    }

    /// Checks `phone`/`name` in at the venue of `token`, from `client`, with
    /// idempotency `key`.
    pub async fn check_in(
        &mut self,
        token: &str,
        phone: &str,
        name: &str,
        client: &str,
        key: &str,
    ) -> Result<Answer, String> {
        let body =
            serde_json::json!({ "token": token, "phone": phone, "full_name": name }).to_string();
        let request = hyper::Request::post("/api/v1/checkins")
            .header("host", &self.host)
            .header("content-type", "application/json")
            .header("x-forwarded-for", client)
            .header("idempotency-key", key)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let check_in_id = if status == 200 || status == 201 {
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("check_in_id").and_then(serde_json::Value::as_i64))
        } else {
            None
        };
        Ok(Answer {
            status,
            check_in_id,
        })
    }
}
