//! The client's address, for the audit log and the sign-in throttle. Behind a reverse
//! proxy every request comes from the proxy; when the peer is one of the trusted
//! proxies (`PHONGDICH_TRUSTED_PROXIES`), the right-most address of `X-Forwarded-For`
//! that is not itself a trusted proxy is the client.

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client's IP address as text (empty when unknown, e.g. in `oneshot` tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

/// The client of a request whose peer is `peer`, given the forwarded-for header and
/// the trusted proxies.
pub fn client_of(peer: Option<IpAddr>, forwarded: Option<&str>, trusted: &[IpAddr]) -> String {
    let Some(peer) = peer else {
        return String::new();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let hops = forwarded
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .rev();
    for hop in hops {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip.to_string(),
            Err(_) => break,
        }
    }
    peer.to_string()
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(Self(client_of(
            peer,
            forwarded,
            &state.settings().trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::client_of;
    use std::net::IpAddr;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            client_of(Some(peer), Some("1.2.3.4"), &[proxy]),
            "203.0.113.9"
        );
        assert_eq!(client_of(Some(proxy), Some("1.2.3.4"), &[proxy]), "1.2.3.4");
        assert_eq!(
            client_of(Some(proxy), Some("6.6.6.6, 1.2.3.4, 10.0.0.1"), &[proxy]),
            "1.2.3.4",
            "a forged left-most value is ignored"
        );
        assert_eq!(client_of(Some(proxy), None, &[proxy]), "10.0.0.1");
        assert_eq!(client_of(Some(proxy), Some("junk"), &[proxy]), "10.0.0.1");
        assert_eq!(client_of(None, None, &[]), "");
    }
}
