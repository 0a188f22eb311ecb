// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ftinject: hand-built packets into a device, for what sockets cannot send:
 * IP packets written into a tun device (received there, as from a VPN or
 * PPP peer), and Ethernet frames (PPPoE session frames, odd EtherTypes)
 * sent on an interface through a packet socket.
 *
 *   ftinject -t TUNDEV -s SRC -d DST [-P PROTO] [-p DPORT] [-n COUNT]
 *   ftinject -i IFNAME [-o] [-v VLAN [-v VLAN]] [-e ETHERTYPE] [-s SRC -d DST ...]
 *            [-x EXTHDR,...] [-f first|later] [-O OPTBYTES] [-T LEN]
 *
 * -t: the IP packet alone (IFF_TUN, no packet information header), into an
 * existing tun device (ip tuntap add dev TUNDEV mode tun).
 * -i: an Ethernet frame to the broadcast address; -o wraps the IP packet
 * in a PPPoE session header (EtherType 0x8864, PPP 0x0021/0x0057); -e
 * sends a frame of that EtherType instead of IP (28 zero bytes of payload).
 * A second -v makes the frame QinQ (802.1ad outer, the first -v, then
 * 802.1Q). -x: IPv6 extension headers in this order (next-header numbers:
 * 0, 43, 44, 51, 60); -f: a first or later fragment (IPv4, or IPv6 with
 * 44 among -x); -O: IPv4 option bytes (NOPs, multiple of 4, <= 40); -T:
 * send only the first LEN bytes of the frame (truncated headers).
 * IPv4 header checksums are valid; L4 checksums are zero (the tests count
 * packets in netfilter before any L4 check).
 * Prints "sent N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>

#include "../bpf/pkt.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ftinject (-t TUNDEV | -i IFNAME [-o] [-v VLAN] [-e ETHERTYPE])\n"
		   "                [-s SRC -d DST] [-P udp|tcp|icmp|NUM] [-p DPORT] [-S SPORT]\n"
		   "                [-n COUNT] [-x EXTHDR,...] [-f first|later] [-O OPTBYTES]\n"
		   "                [-T LEN]\n");
}

static uint16_t csum16(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int main(int argc, char **argv)
{
	const char *tun = NULL, *ifname = NULL, *proto = "udp";
	struct pkt_spec sp = { 0 };
	uint8_t buf[PKT_MAX];
	size_t hdr_end, len, l3;

	long count = 1, sent = 0, trunc = 0;
	char *tok, *save;
	int opt, fd;

	sp.sport = 40000;
	while ((opt = getopt(argc, argv, "t:i:ov:e:s:d:P:p:S:n:x:f:O:T:h")) != -1) {
		switch (opt) {
		case 't': tun = optarg; break;
		case 'i': ifname = optarg; break;
		case 'o': sp.l2 = PKT_L2_PPPOE; break;
		case 'v':
			if (sp.nvlan == 2) {
				usage(stderr);
				return 2;
			}
			sp.vlan[sp.nvlan++] = atoi(optarg);
			break;
		case 'x':
			for (tok = strtok_r(optarg, ",", &save); tok && sp.next < 4;
			     tok = strtok_r(NULL, ",", &save))
				sp.ext[sp.next++] = atoi(tok);
			break;
		case 'f':
			sp.frag = !strcmp(optarg, "later") ? PKT_FRAG_LATER : PKT_FRAG_FIRST;
			sp.frag_id = 0x1234;
			break;
		case 'O':
			sp.ip4_optlen = atoi(optarg) & ~3;
			if (sp.ip4_optlen < 0 || sp.ip4_optlen > 40) {
				fprintf(stderr, "ftinject: -O: 0..40 option bytes\n");
				return 2;
			}
			break;
		case 'T': trunc = atol(optarg); break;
		case 'e':
			sp.etype = (int)strtol(optarg, NULL, 0);
			if (!sp.etype)
				sp.etype = PKT_ETYPE_ZERO;
			break;
		case 's': sp.src = optarg; break;
		case 'd': sp.dst = optarg; break;
		case 'P': proto = optarg; break;
		case 'p': sp.dport = atoi(optarg); break;
		case 'S': sp.sport = atoi(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((!tun) == (!ifname) || (!sp.etype && (!sp.src || !sp.dst))) {
		usage(stderr);
		return 2;
	}
	if (!sp.etype) {
		uint8_t a[16];

		sp.family = inet_pton(AF_INET, sp.src, a) == 1 ? AF_INET : AF_INET6;
		if (!strcmp(proto, "udp"))
			sp.proto = IPPROTO_UDP;
		else if (!strcmp(proto, "tcp"))
			sp.proto = IPPROTO_TCP;
		else if (!strcmp(proto, "icmp"))
			sp.proto = sp.family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		else
			sp.proto = atoi(proto);
		sp.tcp_flags = 0x02;	/* SYN */
		sp.payload = 16;
	}
	if (tun) {
		struct ifreq ifr = { 0 };

		if (sp.etype) {
			fprintf(stderr, "ftinject: a tun device carries IP only\n");
			return 2;
		}
		sp.l2 = PKT_L2_NONE;
		fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			perror("ftinject: /dev/net/tun");
			return 1;
		}
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tun);
		if (ioctl(fd, TUNSETIFF, &ifr)) {
			fprintf(stderr, "ftinject: TUNSETIFF %s: %s\n", tun, strerror(errno));
			return 1;
		}
	} else {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };

		fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("ftinject: packet socket");
			return 1;
		}
		sll.sll_ifindex = (int)if_nametoindex(ifname);
		if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
			fprintf(stderr, "ftinject: %s: %s\n", ifname, strerror(errno));
			return 1;
		}
	}

	len = pkt_build(&sp, buf, &hdr_end);
	l3 = pkt_l3_off(&sp);
	if (sp.l2 != PKT_L2_NONE)
		memset(buf, 0xff, 6);	/* broadcast: every receiver takes it */
	if (sp.family == AF_INET) {
		uint16_t c = csum16(buf + l3, 20 + sp.ip4_optlen);

		buf[l3 + 10] = c >> 8;
		buf[l3 + 11] = c & 0xff;
	}

	if (trunc > 0 && (size_t)trunc < len)
		len = (size_t)trunc;
	for (; sent < count; sent++) {
		if (write(fd, buf, len) != (ssize_t)len) {
			perror("ftinject: write");
			break;
		}
	}
	close(fd);
	printf("sent %ld\n", sent);
	return sent == count ? 0 : 1;
}
