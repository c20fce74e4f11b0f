//! The one outbound-address policy: which IP addresses the service may connect to when it
//! fetches what an agency published (portal feeds, domain challenges).
//!
//! An address is refused when it falls in a block of the IANA IPv4 or IPv6 Special-Purpose
//! Address Registry (RFC 6890 and its updates) — loopback, private, shared (CGNAT), link-local,
//! "this network", protocol assignments, benchmarking, documentation, multicast, reserved,
//! broadcast, unique-local, site-local, discard-only, Teredo, ORCHID, SRv6 … — or when it is
//! one of this host's own interface addresses. IPv6 forms that carry an IPv4 address are judged
//! by that address: IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`, IPv4-translated
//! `::ffff:0:0:0/96`, NAT64 `64:ff9b::/96` and 6to4 `2002::/16`. Anything outside IPv6 global
//! unicast (`2000::/3`) that is not one of those forms is refused as well.
//!
//! The policy is applied twice: when an address is stored ([`super::check_url`], on IP
//! literals) and when a connection is made (the resolver of [`super::get`] drops refused
//! addresses, so a name that is re-pointed inside the network after it was stored — DNS
//! rebinding — is not reached; redirects are re-checked the same way).

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The IPv4 blocks refused, with the registry's name for each.
const V4_BLOCKS: &[(&str, &str)] = &[
    ("0.0.0.0/8", "\"this network\" (0.0.0.0/8)"),
    ("10.0.0.0/8", "private-use (10.0.0.0/8)"),
    (
        "100.64.0.0/10",
        "shared address space / CGNAT (100.64.0.0/10)",
    ),
    ("127.0.0.0/8", "loopback (127.0.0.0/8)"),
    ("169.254.0.0/16", "link-local (169.254.0.0/16)"),
    ("172.16.0.0/12", "private-use (172.16.0.0/12)"),
    ("192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"),
    ("192.0.2.0/24", "documentation TEST-NET-1 (192.0.2.0/24)"),
    ("192.31.196.0/24", "AS112-v4 (192.31.196.0/24)"),
    ("192.52.193.0/24", "AMT (192.52.193.0/24)"),
    (
        "192.88.99.0/24",
        "deprecated 6to4 relay anycast (192.88.99.0/24)",
    ),
    ("192.168.0.0/16", "private-use (192.168.0.0/16)"),
    (
        "192.175.48.0/24",
        "direct delegation AS112 (192.175.48.0/24)",
    ),
    ("198.18.0.0/15", "benchmarking (198.18.0.0/15)"),
    (
        "198.51.100.0/24",
        "documentation TEST-NET-2 (198.51.100.0/24)",
    ),
    (
        "203.0.113.0/24",
        "documentation TEST-NET-3 (203.0.113.0/24)",
    ),
    ("224.0.0.0/4", "multicast (224.0.0.0/4)"),
    ("240.0.0.0/4", "reserved (240.0.0.0/4)"),
    (
        "255.255.255.255/32",
        "limited broadcast (255.255.255.255/32)",
    ),
];

/// The IPv6 blocks refused outright (the forms that embed an IPv4 address are judged by it
/// before this table is consulted).
const V6_BLOCKS: &[(&str, &str)] = &[
    ("::/128", "unspecified (::/128)"),
    ("::1/128", "loopback (::1/128)"),
    ("64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)"),
    ("100::/64", "discard-only (100::/64)"),
    ("2001::/32", "Teredo (2001::/32)"),
    ("2001:2::/48", "benchmarking (2001:2::/48)"),
    ("2001:10::/28", "ORCHID (2001:10::/28)"),
    ("2001:20::/28", "ORCHIDv2 (2001:20::/28)"),
    ("2001::/23", "IETF protocol assignments (2001::/23)"),
    ("2001:db8::/32", "documentation (2001:db8::/32)"),
    (
        "2620:4f:8000::/48",
        "direct delegation AS112 (2620:4f:8000::/48)",
    ),
    ("3fff::/20", "documentation (3fff::/20)"),
    ("5f00::/16", "SRv6 SIDs (5f00::/16)"),
    ("fc00::/7", "unique-local (fc00::/7)"),
    ("fe80::/10", "link-local (fe80::/10)"),
    ("fec0::/10", "site-local, deprecated (fec0::/10)"),
    ("ff00::/8", "multicast (ff00::/8)"),
];

fn v4_block(ip: Ipv4Addr) -> Option<&'static str> {
    V4_BLOCKS.iter().find_map(|(net, name)| {
        let net: Ipv4Net = net.parse().expect("a CIDR of the table");
        net.contains(&ip).then_some(*name)
    })
}

fn v6_block(ip: Ipv6Addr) -> Option<&'static str> {
    V6_BLOCKS.iter().find_map(|(net, name)| {
        let net: Ipv6Net = net.parse().expect("a CIDR of the table");
        net.contains(&ip).then_some(*name)
    })
}

/// The IPv4 address an IPv6 address carries, and the form it carries it in: IPv4-mapped,
/// IPv4-translated, IPv4-compatible, NAT64 well-known prefix or 6to4.
pub fn embedded_v4(ip: Ipv6Addr) -> Option<(Ipv4Addr, &'static str)> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some((low, "IPv4-mapped")),
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some((low, "IPv4-translated")),
        // `::` and `::1` are the IPv6 unspecified and loopback addresses, not IPv4-compatible.
        [0, 0, 0, 0, 0, 0, 0, 0] | [0, 0, 0, 0, 0, 0, 0, 1] => None,
        [0, 0, 0, 0, 0, 0, _, _] => Some((low, "IPv4-compatible")),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some((low, "NAT64")),
        [0x2002, a, b, ..] => Some((
            Ipv4Addr::new((a >> 8) as u8, a as u8, (b >> 8) as u8, b as u8),
            "6to4",
        )),
        _ => None,
    }
}

/// Why the service must not connect to `ip`, or `None` when it may. `allow_loopback` lets
/// plain loopback (127.0.0.0/8, `::1`) through — the test configuration only — but never an
/// IPv6 form that embeds a loopback IPv4 address, and never another refused block. `own` are
/// this host's interface addresses.
pub fn refusal(ip: IpAddr, allow_loopback: bool, own: &[IpAddr]) -> Option<String> {
    if allow_loopback && ip.is_loopback() {
        return None;
    }
    let own_ip = || {
        own.contains(&ip)
            .then(|| format!("{ip} is an address of this host"))
    };
    match ip {
        IpAddr::V4(v4) => v4_block(v4).map(|b| format!("{ip} is {b}")).or_else(own_ip),
        IpAddr::V6(v6) => {
            if let Some((v4, form)) = embedded_v4(v6) {
                // Judged by the IPv4 address it reaches, never with loopback allowed.
                let own_v4 = own.contains(&IpAddr::V4(v4));
                return match v4_block(v4) {
                    Some(b) => Some(format!("{ip} is {form} {v4}, which is {b}")),
                    None if own_v4 => Some(format!("{ip} is {form} {v4}, an address of this host")),
                    None => None,
                };
            }
            if let Some(b) = v6_block(v6) {
                return Some(format!("{ip} is {b}"));
            }
            let global_unicast: Ipv6Net = "2000::/3".parse().expect("a CIDR");
            (!global_unicast.contains(&v6))
                .then(|| format!("{ip} is outside IPv6 global unicast (2000::/3)"))
                .or_else(own_ip)
        }
    }
}

/// This host's own interface addresses (every interface, up or not). An empty list when they
/// cannot be read, which leaves the registry's blocks (loopback, private, …) still refused.
pub fn own_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(list) => list.into_iter().map(|i| i.ip()).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "reading this host's interface addresses failed");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        refusal(s.parse().unwrap(), false, &[]).is_some()
    }

    #[test]
    fn every_address_of_issue_11_and_every_registry_block_is_refused() {
        // Issue 11, "What broke" 6: each was accepted as a feed address.
        let listed = [
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "::ffff:0:7f00:1",
            "fec0::1",
            "ff02::1",
            "0.0.0.1",
            "192.0.0.1",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
        ];
        let blocks = [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.170",
            "192.0.2.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.1.1",
            "192.175.48.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "239.255.255.250",
            "250.1.2.3",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:0:10.0.0.1",
            "::10.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::169.254.169.254",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "2001:1::1",
            "2001:db8::1",
            "2002:a00:1::1",
            "2002:c0a8:101::1",
            "2620:4f:8000::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "feff::1",
            "ff00::1",
            "ff0e::1",
            "4000::1",
            "1::1",
        ];
        for a in listed.iter().chain(blocks.iter()) {
            assert!(refused(a), "{a} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass_and_embedded_forms_are_judged_by_their_ipv4() {
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "203.113.131.1",
            "100.128.0.1",
            "198.20.0.1",
            "2404:6800:4005:80a::200e",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(!refused(a), "{a} must pass");
        }
    }

    #[test]
    fn loopback_only_plain_and_only_when_allowed_and_own_addresses_never() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(refusal(lo, true, &[]).is_none());
        assert!(refusal("::1".parse().unwrap(), true, &[]).is_none());
        assert!(refusal(lo, false, &[]).is_some());
        // An embedded loopback is never the test allowance.
        assert!(refusal("::ffff:127.0.0.1".parse().unwrap(), true, &[]).is_some());
        assert!(refusal("64:ff9b::7f00:1".parse().unwrap(), true, &[]).is_some());
        // This host's own public address, and its forms.
        let own: IpAddr = "203.113.131.7".parse().unwrap();
        assert!(refusal(own, true, &[own]).is_some());
        assert!(refusal("::ffff:203.113.131.7".parse().unwrap(), false, &[own]).is_some());
        assert!(refusal("203.113.131.8".parse().unwrap(), false, &[own]).is_none());
    }

    #[test]
    fn this_hosts_addresses_are_read() {
        let own = own_addresses();
        assert!(own.iter().any(|a| a.is_loopback()), "{own:?}");
    }
}
