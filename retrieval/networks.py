"""Which addresses a fetch may reach: the owner's choice (none, every private one, or listed hosts
and networks) and the link-local addresses no choice opens. Read by the settings (to fail at start
on a bad entry) and by the guarded fetcher (sources/fetch.py)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

# Never fetched, whatever the owner allows: link-local addresses, where clouds answer with
# instance credentials (169.254.169.254, fd00:ec2::254, Alibaba's 100.100.100.200).
NEVER = tuple(
    ipaddress.ip_network(n)
    for n in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32")
)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Reach:
    """Which private addresses a fetch may reach: none (the default), every one
    (FOOTNOTE_ALLOW_PRIVATE_URLS), or the hosts and networks an owner lists
    (FOOTNOTE_ALLOW_PRIVATE_HOSTS: `intranet.example, 10.2.0.0/16`). Link-local never."""

    everything: bool = False
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, everything: bool, listed: str) -> Reach:
        """Raises ValueError naming the entry that is neither a host name nor a network."""
        hosts, networks = set(), []
        for item in (x.strip().lower() for x in listed.replace(";", ",").split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                if not re.fullmatch(
                    r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", item
                ):
                    raise ValueError(f"{item!r} is neither a host name nor a network") from None
                hosts.add(item)
        return cls(everything, frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if any(address in n for n in NEVER if n.version == address.version):
            return False
        if address.is_global or self.everything:
            return True
        return host.lower().rstrip(".") in self.hosts or any(
            address in n for n in self.networks if n.version == address.version
        )
