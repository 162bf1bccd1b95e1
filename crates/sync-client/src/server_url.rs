//! The one check of a server address, for every connection a device makes (the app's sign-in,
//! its syncs and photos, and [`crate::HttpTransport`]): `https://` to any host; plain `http://`
//! only to an address that cannot be on the open internet — loopback (127.0.0.0/8, ::1,
//! `localhost`), private networks (10/8, 172.16/12, 192.168/16, fc00::/7) and link-local
//! (169.254/16, fe80::/10), e.g. a township server on the office LAN — and then with a warning
//! for the user. A host *name* other than `localhost` is never trusted for plain HTTP: what it
//! resolves to is up to the network.

use std::net::{Ipv4Addr, Ipv6Addr};

use reqwest::Url;

/// The warning shown with a plain-HTTP address (the sign-in screen shows it as is).
pub const PLAIN_HTTP_WARNING: &str = "未加密连接，仅限内网使用。账号、密码和农户信息在网络上以明文传输，请只在乡镇或县里的内部网络中使用；在其他网络中请改用 https:// 地址。";

/// A server address that passed [`check_server_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// The address, without a trailing `/`.
    pub url: String,
    /// Plain `http://` to a loopback or private address: show [`PLAIN_HTTP_WARNING`].
    pub plain_http: bool,
}

impl ServerUrl {
    /// The warning to show with this address, if any.
    pub fn warning(&self) -> Option<&'static str> {
        self.plain_http.then_some(PLAIN_HTTP_WARNING)
    }
}

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ServerUrlError {
    /// Not an `http(s)://host…` address (or one with a user name, query or fragment).
    #[error("not a server address: expected https://host[:port][/path]")]
    Malformed,
    /// `http://` to a host that may be on the open internet.
    #[error("plain http is allowed only to loopback and private addresses: use https://")]
    InsecureHttp,
}

impl ServerUrlError {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ServerUrlError::Malformed => "bad_server_url",
            ServerUrlError::InsecureHttp => "insecure_server_url",
        }
    }
}

/// Checks (and normalises) a server address; see the module's documentation.
pub fn check_server_url(raw: &str) -> Result<ServerUrl, ServerUrlError> {
    let raw = raw.trim();
    let url = Url::parse(raw).map_err(|_| ServerUrlError::Malformed)?;
    let well_formed = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !well_formed {
        return Err(ServerUrlError::Malformed);
    }
    let plain_http = url.scheme() == "http";
    if plain_http && !url.host_str().is_some_and(is_local) {
        return Err(ServerUrlError::InsecureHttp);
    }
    Ok(ServerUrl {
        url: url.as_str().trim_end_matches('/').to_owned(),
        plain_http,
    })
}

/// Loopback, private or link-local (or `localhost`). `host` as the parsed URL gives it: IPv4
/// in dotted form (the parser normalises other spellings), IPv6 in brackets.
fn is_local(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse().is_ok_and(is_local_v6);
    }
    match host.parse::<Ipv4Addr>() {
        Ok(ip) => is_local_v4(ip),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

fn is_local_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback() || ip.is_private() || ip.is_link_local()
}

fn is_local_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_local_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_goes_anywhere_and_plain_http_only_to_loopback_and_private_addresses() {
        let ok = |s: &str| check_server_url(s).map(|u| (u.url, u.plain_http));
        assert_eq!(
            ok(" https://bangfu.xinfeng.gov.cn/ "),
            Ok(("https://bangfu.xinfeng.gov.cn".into(), false))
        );
        assert_eq!(
            ok("https://8.8.8.8:8443/county"),
            Ok(("https://8.8.8.8:8443/county".into(), false))
        );
        for local in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://0x7f.1",
            "http://localhost:8080",
            "http://LOCALHOST",
            "http://[::1]:8080",
            "http://10.1.2.3",
            "http://172.16.0.1",
            "http://172.31.255.254/township",
            "http://192.168.1.20:8080",
            "http://169.254.1.1",
            "http://[fc00::1]",
            "http://[fd12:3456::1]",
            "http://[fe80::1]",
            "http://[::ffff:192.168.1.2]",
        ] {
            let u = check_server_url(local).unwrap_or_else(|e| panic!("{local}: {e}"));
            assert!(u.plain_http, "{local}");
            assert_eq!(u.warning(), Some(PLAIN_HTTP_WARNING));
        }
        for public in [
            "http://bangfu.xinfeng.gov.cn",
            "http://8.8.8.8",
            "http://172.32.0.1",
            "http://172.15.255.255",
            "http://192.169.0.1",
            "http://11.0.0.1",
            "http://[2001:db8::1]",
            "http://[::ffff:8.8.8.8]",
            "http://localhost.evil.example",
            "http://127.0.0.1.nip.io",
            "http://bangfu.lan",
        ] {
            assert_eq!(
                check_server_url(public),
                Err(ServerUrlError::InsecureHttp),
                "{public}"
            );
        }
        for bad in [
            "bangfu.xinfeng",
            "ftp://h",
            "https://",
            "https://u:p@h",
            "https://h/?x=1",
            "https://h/#f",
            "not a url",
        ] {
            assert_eq!(
                check_server_url(bad),
                Err(ServerUrlError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(ServerUrlError::InsecureHttp.code(), "insecure_server_url");
    }
}
