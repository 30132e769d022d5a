//! Refusing targets on loopback, private and link-local addresses (unless the operator allows
//! them: `--allow-private-targets`, `ZCC_ALLOW_PRIVATE_TARGETS`), so a subscription cannot make
//! the server call into the network it runs in.
//!
//! Two checks: [`check_url`] when a subscription is added and before each send (a URL whose
//! host is an address literal, or `localhost`), and [`GuardedResolver`], the HTTP client's name
//! resolver, which drops private addresses from every name it resolves (so a name that
//! resolves to one, or changes to one later, is refused at connect time). The client follows no
//! redirects, so a redirect cannot lead around either check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("target URL {url:?} does not parse: {reason}")]
    Unparsable { url: String, reason: String },
    #[error("target URL {0:?} is not http or https")]
    Scheme(String),
    #[error(
        "target URL {0:?} is a loopback, private or link-local address; allow it with \
         --allow-private-targets (ZCC_ALLOW_PRIVATE_TARGETS)"
    )]
    Private(String),
}

/// Whether an address is loopback, private, link-local, shared (CGNAT), unspecified,
/// multicast or broadcast: anything but a public unicast address.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            is_private_v6(v6)
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
}

/// Parse a target URL and refuse what is plainly private: http(s) only; a host that is an
/// address literal in a private range, or `localhost`, unless `allow_private`.
pub fn check_url(url: &str, allow_private: bool) -> Result<Url, TargetError> {
    let parsed = Url::parse(url).map_err(|e| TargetError::Unparsable {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(TargetError::Scheme(url.to_owned()));
    }
    let Some(host) = parsed.host_str() else {
        return Err(TargetError::Unparsable {
            url: url.to_owned(),
            reason: "no host".to_owned(),
        });
    };
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let private = match literal.parse::<IpAddr>() {
        Ok(ip) => is_private(ip),
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if private && !allow_private {
        return Err(TargetError::Private(url.to_owned()));
    }
    Ok(parsed)
}

/// The HTTP client's resolver: the system's, without private addresses unless allowed.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || !is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves to no public address (loopback, private and link-local \
                     targets need --allow-private-targets)"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_private() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_unless_allowed() {
        for url in [
            "http://127.0.0.1:9/x",
            "http://[::1]/",
            "https://localhost/h",
            "http://169.254.169.254/latest",
        ] {
            assert_eq!(
                check_url(url, false),
                Err(TargetError::Private(url.to_owned()))
            );
            assert!(check_url(url, true).is_ok(), "{url}");
        }
        assert!(check_url("https://hooks.example.com/zcc", false).is_ok());
        assert!(matches!(
            check_url("ftp://example.com/", true),
            Err(TargetError::Scheme(_))
        ));
        assert!(matches!(
            check_url("not a url", true),
            Err(TargetError::Unparsable { .. })
        ));
    }
}
