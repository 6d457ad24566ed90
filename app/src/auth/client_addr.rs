//! Which address a request comes from. Behind a reverse proxy every
//! request arrives from the proxy, so the sign-in throttle would count all
//! users as one; the proxy names the real client in `X-Forwarded-For` or
//! `Forwarded`. Those headers are believed only when the connection comes
//! from a proxy the admin listed (`--trusted-proxies`): anyone else could
//! write any address there.

use std::net::IpAddr;

/// The client's address as [`TrustedProxies::client`] decided it, put
/// into each request's extensions by the server's first middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Addresses and CIDR ranges of trusted reverse proxies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `127.0.0.1, 10.0.0.0/8, ::1`; the error names the bad part.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (addr, bits) = match part.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (part, None),
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("'{part}' is not an IP address or CIDR range"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("'{part}': the prefix length must be 0–{max}"))?,
            };
            out.push((addr, bits));
        }
        Ok(Self(out))
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0
            .iter()
            .any(|(net, bits)| match (canonical(*net), ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
                (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
                _ => false,
            })
    }

    /// The client's address: the peer, unless the peer is a trusted proxy;
    /// then the forwarding chain is read from the right (the hop nearest
    /// us) and the first address that is not a trusted proxy is the
    /// client. `Forwarded` (RFC 7239) is preferred to `X-Forwarded-For`.
    pub fn client(&self, peer: IpAddr, headers: &http::HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers);
        chain
            .iter()
            .rev()
            .copied()
            .find(|ip| !self.contains(*ip))
            .or_else(|| chain.first().copied())
            .unwrap_or(peer)
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`) compares as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = usize::from(bits / 8);
    let rest = bits % 8;
    if a[..full] != b[..full] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[full] & mask == b[full] & mask
    }
}

/// The addresses of the forwarding headers, oldest (the client) first.
/// Unparseable entries (obfuscated identifiers, `unknown`) end the chain
/// there, since nothing before them can be trusted either.
fn forwarded_chain(headers: &http::HeaderMap) -> Vec<IpAddr> {
    let forwarded: Vec<String> = headers
        .get_all(http::header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| v.trim().trim_matches('"').to_string())
            })
        })
        .collect();
    let entries: Vec<String> = if forwarded.is_empty() {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .collect()
    } else {
        forwarded
    };
    let mut out: Vec<IpAddr> = Vec::new();
    for e in entries.iter().rev() {
        match parse_node(e) {
            Some(ip) => out.push(ip),
            None => break,
        }
    }
    out.reverse();
    out
}

/// `203.0.113.7`, `203.0.113.7:4711`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.rsplit_once(':').and_then(|(a, _)| a.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match() {
        let t = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8, 2001:db8::/32").unwrap();
        assert!(t.contains(ip("127.0.0.1")));
        assert!(t.contains(ip("10.200.3.4")));
        assert!(t.contains(ip("::ffff:10.1.1.1")));
        assert!(t.contains(ip("2001:db8:ffff::1")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(!t.contains(ip("127.0.0.2")));
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/33").unwrap_err(),
            "'10.0.0.0/33': the prefix length must be 0–32"
        );
        assert!(TrustedProxies::parse("proxy.local").is_err());
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let t = TrustedProxies::parse("10.0.0.5").unwrap();
        let h = headers(&[("x-forwarded-for", "198.51.100.9, 203.0.113.7")]);
        // Straight from the internet: the header is the client's own words.
        assert_eq!(t.client(ip("192.0.2.1"), &h), ip("192.0.2.1"));
        // Through the proxy: the hop the proxy saw is the client; a
        // spoofed entry further left does not matter.
        assert_eq!(t.client(ip("10.0.0.5"), &h), ip("203.0.113.7"));
        // No header: the proxy itself.
        assert_eq!(t.client(ip("10.0.0.5"), &headers(&[])), ip("10.0.0.5"));
    }

    #[test]
    fn forwarded_is_preferred_and_skips_trusted_hops() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[
            (
                "forwarded",
                "for=\"[2001:db8::7]:4711\";proto=https, for=10.1.2.3",
            ),
            ("x-forwarded-for", "198.51.100.9"),
        ]);
        assert_eq!(t.client(ip("10.0.0.5"), &h), ip("2001:db8::7"));
        let h = headers(&[("x-forwarded-for", "unknown, 203.0.113.7:55000")]);
        assert_eq!(t.client(ip("10.0.0.5"), &h), ip("203.0.113.7"));
    }
}
