// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Test helper: a tc egress program that puts VLAN tag 100 into the skb's
 * metadata (bpf_skb_vlan_push sets vlan_tci, as a VLAN device with
 * tx-vlan offload does), so the frame that reaches the veth peer carries the
 * tag outside the packet data: XDP there cannot see it, tc can.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int ft_vlan_push(struct __sk_buff *skb)
{
	if (!skb->vlan_present)
		bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 100);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
