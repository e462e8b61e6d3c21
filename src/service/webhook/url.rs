//! Outbound safety of webhook URLs: only `http` and `https`, and never a host that resolves to an
//! address inside the service's own network (loopback, private, link-local, unspecified and the
//! other non-global ranges) unless an operator listed that host in `IPCP_WEBHOOK_ALLOW_HOSTS`.
//!
//! The check runs when an endpoint is registered and again on every attempt (the delivery client
//! resolves names through `GuardedResolver`), so a name that later resolves somewhere else
//! (DNS rebinding) is refused at delivery too.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use reqwest::Url;

use crate::error::{AppError, ErrorCode, Result};

const MAX_URL_LEN: usize = 2048;

/// Hosts exempt from the address check, as configured (lower case, brackets of IPv6 removed).
#[derive(Debug, Clone, Default)]
pub struct AllowHosts(Arc<Vec<String>>);

impl AllowHosts {
    pub fn new(hosts: &[String]) -> Self {
        AllowHosts(Arc::new(
            hosts
                .iter()
                .map(|h| normalise_host(h))
                .filter(|h| !h.is_empty())
                .collect(),
        ))
    }

    pub fn allows(&self, host: &str) -> bool {
        let host = normalise_host(host);
        self.0.contains(&host)
    }
}

fn normalise_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

/// Parses and checks a URL an ADMIN wants deliveries sent to; the URL in its normal form.
pub async fn check(text: &str, allow: &AllowHosts) -> Result<Url> {
    let text = text.trim();
    if text.len() > MAX_URL_LEN {
        return Err(AppError::invalid(
            "url",
            format!("at most {MAX_URL_LEN} characters"),
        ));
    }
    let url = Url::parse(text)
        .map_err(|e| AppError::invalid("url", format!("not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AppError::invalid(
            "url",
            format!("the scheme must be http or https, not {}", url.scheme()),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in the URL would be stored and listed with it: not a place for secrets.
        return Err(AppError::invalid(
            "url",
            "credentials in the URL are not accepted; authenticate the sender by its signature",
        ));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| AppError::invalid("url", "the URL names no host"))?;
    if allow.allows(host) {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs = resolve(host, port)
        .await
        .map_err(|_| AppError::invalid("url", format!("the host {host} does not resolve")))?;
    if let Some(bad) = addrs.iter().find(|a| !is_global(a.ip())) {
        return Err(AppError::rule(ErrorCode::WebhookUrlRefused,
            format!(
                "the host {host} resolves to {}, an address inside a private network; an operator may allow it with IPCP_WEBHOOK_ALLOW_HOSTS",
                bad.ip()
            ),
        ));
    }
    if addrs.is_empty() {
        return Err(AppError::invalid(
            "url",
            format!("the host {host} does not resolve"),
        ));
    }
    Ok(url)
}

async fn resolve(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    Ok(tokio::net::lookup_host((host, port)).await?.collect())
}

/// Whether an address is reachable on the public internet (the ranges of the IANA special-purpose
/// registries that are not: `Ipv4Addr::is_global` is not stable yet).
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_global_v4(v4);
            }
            is_global_v6(v6)
        }
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64, may reach IPv4 private ranges
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
}

/// The delivery client's name resolution: the addresses of a name, without those `is_global`
/// refuses, unless the name is allowed. A name left with no address fails the attempt.
pub struct GuardedResolver {
    pub allow: AllowHosts,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let allowed = self.allow.allows(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allowed || is_global(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(
                    format!("{host} resolves to no address a webhook may be sent to").into(),
                );
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Whether a URL whose host is an address literal (which the resolver never sees) may be called.
pub fn literal_allowed(url: &Url, allow: &AllowHosts) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    match normalise_host(host).parse::<IpAddr>() {
        Ok(ip) => allow.allows(host) || is_global(ip),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_not_global() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_global(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_global(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn loopback_is_refused_unless_allowed() {
        let none = AllowHosts::default();
        let err = check("http://127.0.0.1:9/hook", &none).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::WebhookUrlRefused);
        let err = check("http://[::1]:9/hook", &none).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::WebhookUrlRefused);
        let allow = AllowHosts::new(&["127.0.0.1".into()]);
        assert!(check("http://127.0.0.1:9/hook", &allow).await.is_ok());
    }

    #[tokio::test]
    async fn other_schemes_and_malformed_urls_are_bad_input() {
        let none = AllowHosts::default();
        for text in [
            "ftp://example.org/x",
            "not a url",
            "http://",
            "/relative",
            "http://u:p@1.1.1.1/",
        ] {
            let err = check(text, &none).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{text}");
        }
    }
}
